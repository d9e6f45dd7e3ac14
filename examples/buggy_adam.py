"""A hand-written Adam with a classic bug, for `optmath check` (see the README).

The step counter is set once and never incremented, so the bias correction stays at its
t = 1 value.  Try:  optmath check examples/buggy_adam.py:MyAdam --as adam
"""
import math

import torch
from torch.optim import Optimizer


class MyAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))
        self.t = 1

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    state["m"], state["v"] = torch.zeros_like(p), torch.zeros_like(p)
                m, v = state["m"], state["v"]
                m.mul_(b1).add_((1 - b1) * p.grad)
                v.mul_(b2).add_((1 - b2) * p.grad ** 2)
                m_hat = m / (1 - b1 ** self.t)
                v_hat = v / (1 - b2 ** self.t)
                p.sub_(group["lr"] * m_hat / (v_hat.sqrt() + group["eps"]))
