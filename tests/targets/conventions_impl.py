"""Targets for the convention tests: correct rules with a weight decay that no profile of their
spec, and no implementation listed in it, combines them with (tests/test_conventions.py)."""
import torch


class AdagradDecoupled(torch.optim.Adagrad):
    """torch.optim.Adagrad with AdamW-style decoupled decay ``x <- x - lr wd x`` before the step."""

    def __init__(self, params, lr=1e-2, eps=1e-10, weight_decay=0.0):
        super().__init__(params, lr=lr, eps=eps)
        for group in self.param_groups:
            group["decoupled_wd"] = weight_decay

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                p.mul_(1 - group["lr"] * group["decoupled_wd"])
        return super().step(closure)


class AdamComplementBetas(torch.optim.Adam):
    """torch.optim.Adam whose ``betas`` keyword holds 1 - beta (as adan-pytorch's does)."""

    def __init__(self, params, lr=1e-3, betas=(0.1, 0.001), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr=lr, betas=(1 - betas[0], 1 - betas[1]), eps=eps, weight_decay=weight_decay)
