r"""AdaMax (Kingma & Ba 2014, section 7.1): Adam with the infinity norm.

``u <- max(b2 u, |g|)``, step ``lr / (1 - b1^t) * m / u``.  Switch ``eps_placement``:
``in_max`` (PyTorch, optax: ``u <- max(b2 u, |g| + eps)``) | ``denominator`` (Keras:
divide by ``u + eps``) | ``none`` (paper).
"""
from __future__ import annotations

from dataclasses import replace

import sympy as sp

from ..spec import Profile, Program, Spec, StateVar, Switch
from .fragments import (B1, B2, EMA_FORMS, EPS, LR, WD, A, S, bias_correction, ema, g, lr, x, decay_before,
                        weight_decay_switch)

SWITCHES = (
    Switch("eps_placement", "where eps enters", {"in_max": "max(b2 u, |g| + eps)",
                                                  "denominator": "m / (u + eps)", "none": "no eps"}),
    Switch("first_moment", "arithmetic form of the first-moment EMA", EMA_FORMS),
    weight_decay_switch(),
)


def build(sw) -> Program:
    u, eps = S("u"), S("eps")
    ups = decay_before(sw["weight_decay"])
    ups += ema("m", "b1", g, sw["first_moment"], "first moment")
    add = eps if sw["eps_placement"] == "in_max" else 0
    ups.append(A("u", sp.Max(S("b2") * u, sp.Abs(g) + add), "infinity-norm accumulator"))
    den = u + eps if sw["eps_placement"] == "denominator" else u
    ups.append(A("x", x - lr / bias_correction("b1") * S("m") / den, "step"))
    return Program((StateVar("m", "m", "first moment"), StateVar("u", "u", "infinity norm")), tuple(ups))


ADAMAX = Spec(
    "adamax", "AdaMax", "adamax", (replace(LR, default=2e-3), B1, B2, EPS, WD), SWITCHES,
    {
        "paper": Profile({"eps_placement": "none"}, {}, "Kingma & Ba (2014), Algorithm 2"),
        "pytorch": Profile({"eps_placement": "in_max", "first_moment": "lerp", "weight_decay": "l2"},
                           {}, "torch.optim.Adamax"),
        "keras": Profile({"eps_placement": "denominator", "first_moment": "lerp"},
                         {"lr": 1e-3, "eps": 1e-7}, "keras.optimizers.Adamax"),
        "optax": Profile({"eps_placement": "in_max"}, {}, "optax.adamax"),
    },
    build, ("Kingma & Ba (2014), section 7.1",),
)
SPECS = (ADAMAX,)
