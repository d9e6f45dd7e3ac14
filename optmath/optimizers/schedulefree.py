r"""Schedule-Free AdamW and SGD (Defazio et al. 2024): no learning-rate schedule, an average of
the iterates instead, and the gradient taken between the average and the base sequence.

The three sequences: the base ``z``, the average ``xa`` (``xa <- (1 - c) xa + c z``) and the
point ``y = (1 - b1) z + b1 xa`` where the gradient is taken.  **The iterate optmath compares
is y**, the parameter the implementations hold in training mode (their ``.eval()`` swaps in the
average).  As the implementations do, the step keeps ``y`` and ``z`` and not the average:
``y <- y + c (z - y)``, ``y <- y + lr_t (b1 (1 - c) - 1) u``, ``z <- z - lr_t u``, which is
the three-sequence form in exact arithmetic.  ``z`` starts at the first step's iterate (a clone
of the parameter), and the first weight is ``c_1 = 1``.

Schedules, from the step only: the warm-up ``lr_t = lr min(1, t / warmup)`` (none when
``warmup = 0``), ``lr_max = max(lr_max, lr_t)`` (from -1), the weight
``w_t = t^r lr_max^p`` and ``c_t = w_t / sum_{i <= t} w_i``.  AdamW's direction is
``u = g / (sqrt(v / (1 - b2^t) + eps_root) + eps)`` with ``v`` Adam's second moment; SGD's is
``u = g``; weight decay adds ``wd y`` to ``u`` (evaluated at y, so it is scaled by ``lr_t``).
"""
from __future__ import annotations

from dataclasses import replace

import sympy as sp

from ..spec import Hyper, Profile, Program, Spec, StateVar
from .fragments import B1, B2, EPS, EPS_ROOT, LR, MU, WD, A, S, bias_correction, g, lr, second_moment, t, x

WARMUP = Hyper("warmup", "W", "linear warm-up steps (0: none)", 0.0, 0.0, None)
R = Hyper("r", "r", "power of t in the averaging weight", 0.0, 0.0, None)
WLP = Hyper("wlp", "p", "power of lr_max in the averaging weight", 2.0, 0.0, None)


def _common(adaptive: bool):
    b1 = S("b1") if adaptive else S("mu")
    z = S("z")
    ups = [A("zp", sp.Piecewise((x, sp.Eq(t, 1)), (z, True)), "z (a clone of the parameter at the first step)"),
           A("lrt", lr * (t / sp.Max(S("warmup"), t)), "warmed-up learning rate: t / W until W, then 1"),
           A("lrmax", sp.Max(S("lrt"), S("lrmax")), "largest learning rate so far"),
           A("w", t ** S("r") * S("lrmax") ** S("wlp"), "averaging weight"),
           A("wsum", S("wsum") + S("w"), "sum of the weights"),
           A("c", S("w") / S("wsum"), "weight of z in the average")]
    if adaptive:
        ups += second_moment()
        ups.append(A("u", g / (sp.sqrt(S("v") / bias_correction("b2") + S("eps_root")) + S("eps")), "Adam direction"))
        ups.append(A("u", S("u") + S("wd") * x, "weight decay at y"))
    else:
        ups.append(A("u", g + S("wd") * x, "direction with weight decay at y"))
    ups += [A("x", x + S("c") * (S("zp") - x), "y towards z (the average's update)"),
            A("x", x + S("lrt") * (b1 * (1 - S("c")) - 1) * S("u"), "y after the step"),
            A("z", S("zp") - S("lrt") * S("u"), "base sequence")]
    states = [StateVar("z", "z", "base sequence (set to the iterate at the first step)"),
              StateVar("lrmax", r"\eta_{\max}", "largest learning rate so far", sp.Integer(-1), scalar=True),
              StateVar("wsum", r"W", "sum of the averaging weights", sp.Integer(0), scalar=True)]
    if adaptive:
        states.insert(1, StateVar("v", "v", "second moment"))
    temps = {"zp": "z before the step", "lrt": "warmed-up lr", "w": "averaging weight", "c": "average weight",
             "u": "direction"}
    return Program(tuple(states), tuple(ups), temporaries=temps)


SF_ADAMW = Spec(
    "schedulefree_adamw", "Schedule-Free AdamW", "schedulefree",
    (replace(LR, default=0.0025), B1, B2, EPS, EPS_ROOT, WD, WARMUP, R, WLP), (),
    {
        "paper": Profile({}, {}, "Defazio et al. (2024), Algorithm 1 in the form the authors' schedulefree 1.4.1 "
                                 "computes (AdamWScheduleFree; the iterate is y)",
                         "schedulefree/adamw_schedulefree.py:121-212"),
        "pytorch_optimizer": Profile({}, {"eps_root": 1e-15}, "pytorch-optimizer 4.1.0's ScheduleFreeAdamW "
                                     "(sqrt(v_hat + 1e-15) + eps)", "pytorch_optimizer/optimizer/schedulefree.py:397-434"),
    },
    lambda sw: _common(True),
    ("Defazio et al. (2024), The road less scheduled",),
)
SF_SGD = Spec(
    "schedulefree_sgd", "Schedule-Free SGD", "schedulefree", (replace(LR, default=1.0), MU, WD, WARMUP, R, WLP), (),
    {"paper": Profile({}, {}, "Defazio et al. (2024), in the form the authors' schedulefree 1.4.1 computes "
                              "(SGDScheduleFree; the iterate is y)", "schedulefree/sgd_schedulefree.py:122-188")},
    lambda sw: _common(False),
    ("Defazio et al. (2024), The road less scheduled",),
)
SPECS = (SF_ADAMW, SF_SGD)
