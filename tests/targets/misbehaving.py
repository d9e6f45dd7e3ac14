"""Targets that misbehave in the ways user code does: hang, raise, exit, return junk, share state."""
import os

import torch
from torch.optim import Optimizer


class Hangs(Optimizer):
    def __init__(self, params, lr=1e-3):
        super().__init__(params, dict(lr=lr))

    def step(self):
        while True:
            pass


class Raises(Optimizer):
    def __init__(self, params, lr=1e-3):
        super().__init__(params, dict(lr=lr))

    def step(self):
        raise RuntimeError("CUDA error: an illegal memory access was encountered")


class Exits(Optimizer):
    def __init__(self, params, lr=1e-3):
        super().__init__(params, dict(lr=lr))

    def step(self):
        os._exit(3)


class Reshapes(Optimizer):
    def __init__(self, params, lr=1e-3):
        super().__init__(params, dict(lr=lr))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                p.data = (p - group["lr"] * p.grad).reshape(1, -1)


class SharedStateAdam(Optimizer):
    """Keeps its moments in a dict keyed by the parameter's shape: two tensors of the same shape
    share one state.  The probes use distinct shapes; Hypothesis finds the failure."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))
        self.moments, self.t = {}, 0

    @torch.no_grad()
    def step(self):
        self.t += 1
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                key = tuple(p.shape)
                if key not in self.moments:
                    self.moments[key] = (torch.zeros_like(p), torch.zeros_like(p))
                m, v = self.moments[key]
                m.mul_(b1).add_((1 - b1) * p.grad)
                v.mul_(b2).add_((1 - b2) * p.grad * p.grad)
                p.sub_(group["lr"] * (m / (1 - b1 ** self.t)) / ((v / (1 - b2 ** self.t)).sqrt() + group["eps"]))


def not_a_transformation(learning_rate=1e-3):
    return 3


def d2l_returns_nothing(params, states, hyperparams):
    for p in params:
        p.data = p.data.reshape(-1)[:1]


def init_nothing(feature_dim):
    return None
