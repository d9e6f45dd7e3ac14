r"""NAdam (Dozat 2016): Adam with Nesterov momentum and a momentum schedule.

``mu_t`` is the momentum coefficient of step t, ``p`` the running product of the ``mu_t``;
``x <- x - lr (1 - mu_t)/(1 - p_t) g / D - lr mu_{t+1}/(1 - p_t mu_{t+1}) m / D`` with
``D = sqrt(v / (1 - b2^t)) + eps``.  Switch ``schedule``:
``dozat`` (PyTorch, paper: ``mu_t = b1 (1 - 0.5 * 0.96^(psi t))``, psi = 0.004) |
``keras`` (``mu_t = b1 (1 - 0.5 * 0.96^t)``) | ``constant`` (``mu_t = b1``: optax's nadam, whose
``b1 m/(1 - b1^(t+1)) + (1 - b1) g/(1 - b1^t)`` is this form with ``p_t = b1^t``).
"""
from __future__ import annotations

from dataclasses import replace

import sympy as sp

from ..spec import Hyper, Profile, Program, Spec, StateVar, Switch
from .fragments import (B1, B2, EMA_FORMS, EPS, LR, WD, A, S, ema, g, lr, second_moment, t, x, decay_before,
                        weight_decay_switch)

PSI = Hyper("psi", r"\psi", "momentum decay (PyTorch momentum_decay)", 0.004, 0.0, None)
SWITCHES = (
    Switch("schedule", "momentum schedule mu_t", {"dozat": "b1 (1 - 0.5 * 0.96^(psi t))",
                                                   "keras": "b1 (1 - 0.5 * 0.96^t)",
                                                   "constant": "b1"}),
    Switch("first_moment", "arithmetic form of the first-moment EMA", EMA_FORMS),
    weight_decay_switch(),
)
DECAY = sp.Rational(96, 100)


def _mu(step, sched):
    b1 = S("b1")
    if sched == "constant":
        return b1
    expo = S("psi") * step if sched == "dozat" else step
    return b1 * (1 - sp.Rational(1, 2) * DECAY**expo)


def build(sw) -> Program:
    p, eps = S("p"), S("eps")
    ups = decay_before(sw["weight_decay"])
    ups.append(A("mu_t", _mu(t, sw["schedule"]), "momentum coefficient of this step"))
    ups.append(A("mu_next", _mu(t + 1, sw["schedule"]), "momentum coefficient of the next step"))
    ups.append(A("p", p * S("mu_t"), "product of momentum coefficients"))
    ups += ema("m", "b1", g, sw["first_moment"], "first moment")
    ups += second_moment()
    ups.append(A("den", sp.sqrt(S("v") / (1 - S("b2") ** t)) + eps, "denominator"))
    ups.append(A("x", x - lr * (1 - S("mu_t")) / (1 - p) * g / S("den")
                 - lr * S("mu_next") / (1 - p * S("mu_next")) * S("m") / S("den"), "step"))
    return Program((StateVar("m", "m", "first moment"), StateVar("v", "v", "second moment"),
                    StateVar("p", r"\Pi", "product of momentum coefficients", sp.Integer(1), scalar=True)),
                   tuple(ups), temporaries={"mu_t": "momentum of step t", "mu_next": "momentum of step t+1",
                                            "den": "denominator"})


NADAM = Spec(
    "nadam", "NAdam", "nadam", (replace(LR, default=2e-3), B1, B2, EPS, PSI, WD), SWITCHES,
    {
        "paper": Profile({"schedule": "dozat"}, {}, "Dozat (2016)"),
        "pytorch": Profile({"schedule": "dozat", "first_moment": "lerp", "weight_decay": "l2"}, {},
                           "torch.optim.NAdam"),
        "pytorch_decoupled": Profile({"schedule": "dozat", "first_moment": "lerp", "weight_decay": "decoupled"},
                                     {}, "torch.optim.NAdam(decoupled_weight_decay=True) (NAdamW)"),
        "keras": Profile({"schedule": "keras", "first_moment": "lerp"}, {"lr": 1e-3, "eps": 1e-7},
                         "keras.optimizers.Nadam"),
        "optax": Profile({"schedule": "constant"}, {"lr": 1e-3}, "optax.nadam"),
    },
    build, ("Dozat (2016), Incorporating Nesterov momentum into Adam",),
)
SPECS = (NADAM,)
