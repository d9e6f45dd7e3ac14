r"""Lion (Chen et al. 2023): sign of an interpolation of momentum and gradient.

``c = b1 m + (1 - b1) g``; ``x <- x - lr (sign(c) + wd x)``; ``m <- b2 m + (1 - b2) g``.
``weight_decay`` ``decoupled`` (the paper, optax, lion-pytorch: the ``lr wd x`` above) or any other
kind of :data:`~.fragments.STANDARD_DECAY` (``l2`` adds ``wd x`` to ``g`` before the interpolation).
"""
from __future__ import annotations

from dataclasses import replace

import sympy as sp

from ..spec import Profile, Program, Spec, StateVar
from .fragments import B1, B2, LR, WD, A, S, decay_before, ema, g, lr, weight_decay_switch, x


SWITCHES = (weight_decay_switch(first="decoupled"),)


def build(sw) -> Program:
    m = S("m")
    native = sw["weight_decay"] == "decoupled"  # the paper's form: the decay inside the step
    ups = [] if native else decay_before(sw["weight_decay"])
    ups += [A("c", S("b1") * m + (1 - S("b1")) * g, "interpolation"),
            A("x", x - lr * (sp.sign(S("c")) + S("wd") * x), "sign step with decoupled decay") if native
            else A("x", x - lr * sp.sign(S("c")), "sign step")]
    ups += ema("m", "b2", g, note="momentum")
    return Program((StateVar("m", "m", "momentum"),), tuple(ups), temporaries={"c": "interpolation"})


LION = Spec(
    "lion", "Lion", "lion", (replace(LR, default=1e-4), B1, replace(B2, default=0.99), WD), SWITCHES,
    {
        "paper": Profile({}, {"wd": 0.0}, "Chen et al. (2023), Algorithm 2"),
        "optax": Profile({}, {"wd": 1e-3}, "optax.lion"),
    },
    build, ("Chen et al. (2023), Symbolic discovery of optimization algorithms",),
)
SPECS = (LION,)
