"""An Adam with a catalogued bug (its step counter never incremented) and an uncatalogued one (from
the sixth call on, every step is half as large again): only part of the difference has a
catalogued explanation, and the report must say "partial"."""
import math

import torch
from torch.optim import Optimizer


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))
        self.t = 1  # never incremented
        self.calls = 0

    @torch.no_grad()
    def step(self):
        self.calls += 1
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                g = p.grad + group["weight_decay"] * p
                state = self.state[p]
                if not state:
                    state["m"], state["v"] = torch.zeros_like(p), torch.zeros_like(p)
                m, v = state["m"], state["v"]
                m.mul_(b1).add_((1 - b1) * g)
                v.mul_(b2).add_((1 - b2) * g * g)
                bc1 = 1 - b1 ** self.t
                bc2 = 1 - b2 ** self.t
                denom = v.sqrt() / math.sqrt(bc2) + group["eps"]
                scale = 1.5 if self.calls > 5 else 1.0
                p.sub_(scale * group["lr"] / bc1 * m / denom)
