r"""Adagrad (Duchi, Hazan & Singer 2011).

Switches: ``eps_placement`` ``outside`` (PyTorch, paper: ``g / (sqrt(s) + eps)``) |
``inside`` (optax, Keras, d2l: ``g / sqrt(s + eps)``); ``weight_decay`` ``none`` | ``l2``.
PyTorch's ``lr_decay`` divides lr by ``1 + (t - 1) lr_decay``; the accumulator starts at
``acc0`` (PyTorch 0, optax and Keras 0.1).
"""
from __future__ import annotations

from dataclasses import replace

import sympy as sp

from ..spec import Hyper, Profile, Program, Spec, StateVar, Switch
from .fragments import EPS, LR, WD, A, S, g, lr, t, x, decay_before, weight_decay_switch

ACC0 = Hyper("acc0", r"s_0", "initial accumulator value", 0.0, 0.0, None)
LR_DECAY = Hyper("lr_decay", r"\kappa", "learning-rate decay: lr / (1 + (t-1) lr_decay)", 0.0, 0.0, None)

SWITCHES = (
    Switch("eps_placement", "where eps enters the denominator",
           {"outside": "g / (sqrt(s) + eps)", "inside": "g / sqrt(s + eps)"}),
    weight_decay_switch(),
)


def build(sw) -> Program:
    s, eps = S("s"), S("eps")
    ups = decay_before(sw["weight_decay"])
    ups.append(A("s", s + g**2, "sum of squared gradients"))
    denom = sp.sqrt(s) + eps if sw["eps_placement"] == "outside" else sp.sqrt(s + eps)
    step_lr = lr / (1 + (t - 1) * S("lr_decay"))
    ups.append(A("x", x - step_lr * g / denom, "step"))
    return Program((StateVar("s", "s", "sum of squared gradients", S("acc0")),), tuple(ups))


ADAGRAD = Spec(
    "adagrad", "Adagrad", "adagrad",
    (replace(LR, default=0.01), replace(EPS, default=1e-10), ACC0, LR_DECAY, WD),
    SWITCHES,
    {
        "paper": Profile({"eps_placement": "outside"}, {}, "Duchi et al. (2011), diagonal form with delta = eps"),
        "pytorch": Profile({"eps_placement": "outside", "weight_decay": "l2"}, {},
                           "torch.optim.Adagrad", "torch/optim/adagrad.py"),
        "keras": Profile({"eps_placement": "inside"}, {"lr": 1e-3, "eps": 1e-7, "acc0": 0.1},
                         "keras.optimizers.Adagrad"),
        "optax": Profile({"eps_placement": "inside"}, {"eps": 1e-7, "acc0": 0.1},
                         "optax.adagrad (scale_by_rss uses rsqrt(s + eps) where s > 0)"),
        "d2l": Profile({"eps_placement": "inside"}, {"lr": 0.1, "eps": 1e-6}, "d2l.ai 12.7"),
    },
    build, ("Duchi, Hazan & Singer (2011)",),
)
SPECS = (ADAGRAD,)
