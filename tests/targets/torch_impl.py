"""Hand-written torch.optim.Optimizer subclasses, as a user would write them (correct versions).

The conformance tests check each class against its spec and plant one bug at a time into this
source (tests/conformance_cases.py) to check that the bug is found and named.
"""
import math

import torch
from torch.optim import Optimizer


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))
        self.t = 0

    @torch.no_grad()
    def step(self):
        self.t += 1
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
                p.sub_(group["lr"] / bc1 * m / denom)


class AdamW(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            b1, b2 = group["betas"]
            lr, wd = group["lr"], group["weight_decay"]
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                state["step"] += 1
                t = state["step"]
                p.mul_(1 - lr * wd)
                state["m"].lerp_(p.grad, 1 - b1)
                state["v"].mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                m_hat = state["m"] / (1 - b1 ** t)
                v_hat = state["v"] / (1 - b2 ** t)
                p.add_(-lr * m_hat / (v_hat.sqrt() + group["eps"]))


class Yogi(Optimizer):
    """optax's conventions: m0 = v0 = initial_accumulator, bias-corrected, eps on sqrt(v_hat)."""

    def __init__(self, params, lr=1e-2, betas=(0.9, 0.999), eps=1e-3, initial_accumulator=1e-6):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, initial_accumulator=initial_accumulator))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    acc = group["initial_accumulator"]
                    state.update(step=0, m=torch.full_like(p, acc), v=torch.full_like(p, acc))
                state["step"] += 1
                t, g, m, v = state["step"], p.grad, state["m"], state["v"]
                g2 = g * g
                m.mul_(b1).add_((1 - b1) * g)
                v.sub_((1 - b2) * torch.sign(v - g2) * g2)
                m_hat = m / (1 - b1 ** t)
                v_hat = v / (1 - b2 ** t)
                p.sub_(group["lr"] * m_hat / (v_hat.sqrt() + group["eps"]))


class AMSGrad(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p), vmax=torch.zeros_like(p))
                state["step"] += 1
                t, g = state["step"], p.grad
                state["m"].mul_(b1).add_((1 - b1) * g)
                state["v"].mul_(b2).add_((1 - b2) * g * g)
                torch.maximum(state["vmax"], state["v"], out=state["vmax"])
                denom = (state["vmax"] / (1 - b2 ** t)).sqrt() + group["eps"]
                p.sub_(group["lr"] * (state["m"] / (1 - b1 ** t)) / denom)


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            alpha, lr, eps = group["alpha"], group["lr"], group["eps"]
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    state["s"] = torch.zeros_like(p)
                s, g = state["s"], p.grad
                s.mul_(alpha).add_((1 - alpha) * g * g)
                p.sub_(lr * g / (s.sqrt() + eps))


class Adadelta(Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            rho, eps = group["rho"], group["eps"]
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    state["s"], state["u"] = torch.zeros_like(p), torch.zeros_like(p)
                s, u, g = state["s"], state["u"], p.grad
                s.mul_(rho).add_((1 - rho) * g * g)
                delta = (u + eps).sqrt() / (s + eps).sqrt() * g
                u.mul_(rho).add_((1 - rho) * delta * delta)
                p.sub_(group["lr"] * delta)


class Momentum(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.9, dampening=0.0, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            mu, lr = group["momentum"], group["lr"]
            for p in group["params"]:
                g = p.grad + group["weight_decay"] * p
                state = self.state[p]
                if "buf" not in state:
                    state["buf"] = g.clone()
                else:
                    state["buf"].mul_(mu).add_((1 - group["dampening"]) * g)
                p.sub_(lr * state["buf"])


class Nesterov(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.9):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            mu, lr = group["momentum"], group["lr"]
            for p in group["params"]:
                state = self.state[p]
                if "buf" not in state:
                    state["buf"] = p.grad.clone()
                else:
                    state["buf"].mul_(mu).add_(p.grad)
                direction = p.grad + mu * state["buf"]
                p.sub_(lr * direction)


class TorchAdam(torch.optim.Adam):
    """torch's own Adam, to check that the reference implementation conforms too."""
