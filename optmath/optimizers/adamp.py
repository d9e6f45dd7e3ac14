r"""AdamP (Heo et al. 2021): Adam whose step loses its radial component on scale-invariant weights.

The whole parameter vector is treated as one weight tensor (the paper's layer view).  With
``cos = |<x, g>| / max(|x| |g|, eps)``: when ``cos < delta / sqrt(d)`` the step direction
``q = m_hat / (sqrt(v_hat) + eps)`` is projected, ``q <- q - x_n <x_n, q>`` with
``x_n = x / (|x| + eps)``, and the decoupled weight decay is scaled by ``wd_ratio``.
Switch ``nesterov``: ``no`` | ``yes`` (``q`` uses ``b1 m + (1 - b1) g`` instead of ``m``).
"""
from __future__ import annotations

import sympy as sp

from ..spec import Dot, Hyper, Norm, Profile, Program, Spec, StateVar, Switch
from .fragments import B1, B2, EPS, LR, WD, A, S, bias_correction, d, ema, g, lr, second_moment, x

DELTA = Hyper("delta", r"\delta", "cosine threshold of the projection", 0.1, 0.0, None, lo_open=True)
WD_RATIO = Hyper("wd_ratio", r"\omega", "weight-decay ratio when projected", 0.1, 0.0, 1.0)
SWITCHES = (Switch("nesterov", "Nesterov-style numerator", {"no": "m", "yes": "b1 m + (1 - b1) g"}),)


def build(sw) -> Program:
    m, v, eps = S("m"), S("v"), S("eps")
    ups = ema("m", "b1", g, note="first moment") + second_moment()
    num = S("b1") * m + (1 - S("b1")) * g if sw["nesterov"] == "yes" else m
    ups.append(A("q", num / (sp.sqrt(v) / sp.sqrt(bias_correction("b2")) + eps), "step direction"))
    cos = sp.Abs(Dot(x, g)) / sp.Max(Norm(x) * Norm(g), eps)
    ups.append(A("proj", sp.Piecewise((1, cos < S("delta") / sp.sqrt(d)), (0, True)), "1 if projected"))
    xn = x / (Norm(x) + eps)
    ups.append(A("q", S("q") - S("proj") * xn * Dot(xn, S("q")), "remove the radial component"))
    ratio = 1 + S("proj") * (S("wd_ratio") - 1)
    ups.append(A("x", x * (1 - lr * S("wd") * ratio), "decoupled weight decay"))
    ups.append(A("x", x - lr / bias_correction("b1") * S("q"), "step"))
    return Program((StateVar("m", "m", "first moment"), StateVar("v", "v", "second moment")), tuple(ups),
                   temporaries={"q": "step direction", "proj": "projection indicator"})


ADAMP = Spec(
    "adamp", "AdamP", "adamp", (LR, B1, B2, EPS, WD, DELTA, WD_RATIO), SWITCHES,
    {"paper": Profile({}, {}, "Heo et al. (2021), clovaai/AdamP (layer view)")},
    build, ("Heo et al. (2021), AdamP: slowing down the slowdown for momentum optimizers",),
)
SPECS = (ADAMP,)
