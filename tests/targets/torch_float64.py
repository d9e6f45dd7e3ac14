"""torch.optim's own NAdam computing in float64 (the default dtype set at import, as a user who
trains in float64 does), and a copy whose learning rate is off by one part in 1e8."""
import torch

torch.set_default_dtype(torch.float64)

TorchNAdam = torch.optim.NAdam


class SlightlyOffNAdam(torch.optim.NAdam):
    def __init__(self, params, lr=2e-3, **kwargs):
        super().__init__(params, lr=lr * (1 + 1e-8), **kwargs)
