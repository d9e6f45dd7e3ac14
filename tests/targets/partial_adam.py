"""An Adam with a catalogued bug (its step counter never incremented) and an uncatalogued one (from
the sixth call on, every step is half as large again): only part of the difference has a
catalogued explanation, and the report must say "partial".  Built on the correct Adam of
``torch_impl.py`` (this file's folder is on ``sys.path`` when the checker loads it)."""
import torch

from torch_impl import Adam as CorrectAdam


class Adam(CorrectAdam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr, betas, eps, weight_decay)
        self.calls = 0

    @torch.no_grad()
    def step(self):
        self.calls += 1
        self.t = 0  # the correct step increments it: t = 1 at every step
        params = [p for group in self.param_groups for p in group["params"]]
        before = [p.clone() for p in params]
        super().step()
        if self.calls > 5:
            for p, old in zip(params, before):
                p.add_(0.5 * (p - old))
