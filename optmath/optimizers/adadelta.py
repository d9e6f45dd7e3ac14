r"""Adadelta (Zeiler 2012).

``delta = sqrt(u + eps) / sqrt(s + eps) * g``; the accumulator ``u`` keeps the *unscaled*
delta; the step is ``lr * delta``.  Zeiler has no learning rate (lr = 1).  Note: optax's
``adadelta(learning_rate=None)`` applies no sign flip and so moves *up* the gradient; its
profile here assumes a learning rate is given.
"""
from __future__ import annotations

from dataclasses import replace

import sympy as sp

from ..spec import Hyper, Profile, Program, Spec, StateVar
from .fragments import EPS, LR, WD, A, S, ema, g, lr, x, decay_before, weight_decay_switch

RHO = Hyper("rho", r"\rho", "decay of both running averages", 0.9, 0.0, 1.0, hi_open=True)
SWITCHES = (weight_decay_switch(),)


def build(sw) -> Program:
    s, u, eps = S("s"), S("u"), S("eps")
    ups = decay_before(sw["weight_decay"])
    ups += ema("s", "rho", g**2, note="squared-gradient average")
    ups.append(A("delta", sp.sqrt(u + eps) / sp.sqrt(s + eps) * g, "unit-corrected step"))
    ups += ema("u", "rho", S("delta") ** 2, note="squared-step average")
    ups.append(A("x", x - lr * S("delta"), "step"))
    return Program((StateVar("s", "s", "average of squared gradients"),
                    StateVar("u", r"\Delta", "average of squared steps")), tuple(ups),
                   temporaries={"delta": "unit-corrected step"})


ADADELTA = Spec(
    "adadelta", "Adadelta", "adadelta",
    (replace(LR, default=1.0), RHO, replace(EPS, default=1e-6), WD), SWITCHES,
    {
        "paper": Profile({}, {"lr": 1.0, "rho": 0.95, "eps": 1e-6}, "Zeiler (2012), Algorithm 1 (no lr)"),
        "pytorch": Profile({"weight_decay": "l2"}, {}, "torch.optim.Adadelta"),
        "keras": Profile({}, {"lr": 1e-3, "rho": 0.95, "eps": 1e-7}, "keras.optimizers.Adadelta"),
        "optax": Profile({}, {"eps": 1e-6}, "optax.adadelta with a learning rate given"),
        "d2l": Profile({}, {"lr": 1.0, "eps": 1e-5}, "d2l.ai 12.9 (no lr)"),
    },
    build, ("Zeiler (2012)",),
)
SPECS = (ADADELTA,)
