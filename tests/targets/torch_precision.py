"""Precision cases for ``optmath check`` (issue 18):

* ``RAdamFloat32``: RAdam with PyTorch's conventions that computes in float32 on purpose (its
  states and arithmetic in float32, the parameter written back in its own dtype): correct, and
  judged in float32;
* ``RAdamRoundedBeta2``: the same in float64 but with b2 rounded to float32 once, a float32-sized
  error in a float64 implementation: it must not conform.

(torch.optim.NAdam under the default dtype is checked by its import path, ``torch.optim:NAdam``.)
"""
import math

import numpy as np
import torch


class _RAdam(torch.optim.Optimizer):
    work = torch.float32

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _b2(self, b2):
        return b2

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            b1, b2 = group["betas"]
            b2 = self._b2(b2)
            lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                g = p.grad.to(self.work)
                x = p.to(self.work)
                st = self.state[p]
                if not st:
                    st["t"], st["m"], st["v"] = 0, torch.zeros_like(x), torch.zeros_like(x)
                st["t"] += 1
                t = st["t"]
                if wd:
                    g = g + wd * x
                st["m"].lerp_(g, 1 - b1)
                st["v"].mul_(b2).addcmul_(g, g, value=1 - b2)
                mhat = st["m"] / (1 - b1**t)
                rho_inf = 2 / (1 - b2) - 1
                rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
                if rho > 5:
                    rect = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
                    x = x - lr * rect * mhat * (math.sqrt(1 - b2**t) / (st["v"].sqrt() + eps))
                else:
                    x = x - lr * mhat
                p.copy_(x.to(p.dtype))


class RAdamFloat32(_RAdam):
    work = torch.float32


class RAdamRoundedBeta2(_RAdam):
    work = torch.float64

    def _b2(self, b2):
        return float(np.float32(b2))

