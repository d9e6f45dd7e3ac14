r"""AdamP (Heo et al. 2021): Adam whose step loses its radial component on scale-invariant weights.

With ``cos(a, b) = |<a, b>| / den(|a|, |b|)``: when ``cos(x, g) < delta / sqrt(n)`` (``n`` the
length of the vectors compared) the step direction ``q = m_hat / (sqrt(v_hat) + eps)`` is
projected, ``q <- q - x_n <x_n, q>`` with ``x_n = x / (|x| + eps)``, and the decoupled weight
decay is scaled by ``wd_ratio``.

Switches
--------
``views``  ``layer`` (the paper's rule on the whole tensor, whatever its rank) |
``channel_then_layer`` (the authors' code, clovaai/AdamP: only tensors of two or more axes are
projected; the channel view, one cosine per row of ``x.view(x.size(0), -1)`` and their maximum
against ``delta / sqrt(cols)``, is tried first, then the layer view; a vector is never projected);
``cosine_eps``  the denominator of the cosine: ``product`` ``max(|a| |b|, eps)`` (torch < 1.12's
``F.cosine_similarity``) | ``per_norm`` ``max(|a|, eps) max(|b|, eps)`` (torch >= 1.12) |
``added`` ``(|a| + eps)(|b| + eps)`` (torch-optimizer's own cosine);
``eps_placement``  ``vhat`` ``m / (sqrt(v) / sqrt(1 - b2^t) + eps)`` | ``hat``
``m sqrt(1 - b2^t) / (sqrt(v) + eps)`` (pytorch-optimizer);
``first_moment``  ``blend`` | ``lerp`` (pytorch-optimizer's ``lerp_``; equal in exact arithmetic);
``nesterov``  ``no`` | ``yes`` (``q`` uses ``b1 m + (1 - b1) g`` instead of ``m``).
"""
from __future__ import annotations

import sympy as sp

from ..spec import (Dot, Hyper, Norm, Profile, Program, RowInner, RowNorm, Spec, StateVar, Switch,
                    TensorMax, cols, rank)
from .fragments import (B1, B2, EMA_FORMS, EPS, LR, WD, A, S, bias_correction, d, ema, g, lr,
                        second_moment, x)

DELTA = Hyper("delta", r"\delta", "cosine threshold of the projection", 0.1, 0.0, None, lo_open=True)
WD_RATIO = Hyper("wd_ratio", r"\omega", "weight-decay ratio when projected", 0.1, 0.0, 1.0)
SWITCHES = (
    Switch("views", "where the projection is tried", {
        "layer": "the whole tensor, whatever its rank (the paper's rule)",
        "channel_then_layer": "tensors of rank >= 2 only: per row of the channel view first, then the "
                              "whole tensor (the authors' code)"}),
    Switch("cosine_eps", "denominator of the cosine similarity", {
        "product": "max(|a| |b|, eps) (torch < 1.12 F.cosine_similarity)",
        "per_norm": "max(|a|, eps) max(|b|, eps) (torch >= 1.12 F.cosine_similarity)",
        "added": "(|a| + eps)(|b| + eps) (torch-optimizer)"}),
    Switch("eps_placement", "where eps enters the direction", {
        "vhat": "m / (sqrt(v) / sqrt(1 - b2^t) + eps)",
        "hat": "m sqrt(1 - b2^t) / (sqrt(v) + eps) (pytorch-optimizer)"}),
    Switch("first_moment", "arithmetic form of the first-moment EMA", EMA_FORMS),
    Switch("nesterov", "Nesterov-style numerator", {"no": "m", "yes": "b1 m + (1 - b1) g"}),
)


def _cosine(inner, norm_a, norm_b, form: str):
    eps = S("eps")
    if form == "per_norm":
        den = sp.Max(norm_a, eps) * sp.Max(norm_b, eps)
    elif form == "added":
        den = (norm_a + eps) * (norm_b + eps)
    else:
        den = sp.Max(norm_a * norm_b, eps)
    return sp.Abs(inner) / den


def build(sw) -> Program:
    m, v, eps, q = S("m"), S("v"), S("eps"), S("q")
    ups = ema("m", "b1", g, sw["first_moment"], "first moment") + second_moment()
    num = S("b1") * m + (1 - S("b1")) * g if sw["nesterov"] == "yes" else m
    if sw["eps_placement"] == "hat":
        ups.append(A("q", num * (sp.sqrt(bias_correction("b2")) / (sp.sqrt(v) + eps)), "step direction"))
    else:
        ups.append(A("q", num / (sp.sqrt(v) / sp.sqrt(bias_correction("b2")) + eps), "step direction"))
    layer_cos = _cosine(Dot(x, g), Norm(x), Norm(g), sw["cosine_eps"])
    xl = x / (Norm(x) + eps)
    layer = sp.StrictLessThan(layer_cos, S("delta") / sp.sqrt(d))
    if sw["views"] == "layer":
        ups.append(A("proj", sp.Piecewise((1, layer), (0, True)), "1 if projected"))
        ups.append(A("q", sp.Piecewise((q - xl * Dot(xl, q), sp.Eq(S("proj"), 1)), (q, True)),
                     "remove the radial component"))
    else:
        row_cos = _cosine(RowInner(x, g), RowNorm(x), RowNorm(g), sw["cosine_eps"])
        xc = x / (RowNorm(x) + eps)
        matrix = sp.GreaterThan(rank, 2)
        channel = sp.StrictLessThan(TensorMax(row_cos), S("delta") / sp.sqrt(cols))
        ups.append(A("proj", sp.Piecewise((1, sp.And(matrix, channel)), (2, sp.And(matrix, layer)), (0, True)),
                     "1: projected per row, 2: on the whole tensor, 0: not"))
        ups.append(A("q", sp.Piecewise((q - xc * RowInner(xc, q), sp.Eq(S("proj"), 1)),
                                       (q - xl * Dot(xl, q), sp.Eq(S("proj"), 2)), (q, True)),
                     "remove the radial component"))
    ratio = sp.Piecewise((1, sp.Eq(S("proj"), 0)), (S("wd_ratio"), True))
    ups.append(A("x", x * (1 - lr * S("wd") * ratio), "decoupled weight decay"))
    ups.append(A("x", x - lr / bias_correction("b1") * q, "step"))
    return Program((StateVar("m", "m", "first moment"), StateVar("v", "v", "second moment")), tuple(ups),
                   temporaries={"q": "step direction", "proj": "which projection was applied (0: none)"})


ADAMP = Spec(
    "adamp", "AdamP", "adamp", (LR, B1, B2, EPS, WD, DELTA, WD_RATIO), SWITCHES,
    {"paper": Profile({}, {}, "Heo et al. (2021): the layer view of the whole parameter tensor"),
     "authors": Profile({"views": "channel_then_layer", "cosine_eps": "per_norm"}, {},
                        "the authors' code (clovaai/AdamP, PyPI adamp 0.3.0) under torch >= 1.12",
                        "adamp/adamp.py:20-41 (views, F.cosine_similarity), 90 (rank >= 2 only)"),
     "torch_optimizer": Profile({"views": "channel_then_layer", "cosine_eps": "added"}, {},
                                "torch-optimizer 0.3.0's AdamP", "torch_optimizer/adamp.py:98-106 (cosine), 181 (rank >= 2 only)"),
     "pytorch_optimizer": Profile({"views": "channel_then_layer", "cosine_eps": "per_norm",
                                   "eps_placement": "hat", "first_moment": "lerp"}, {},
                                  "pytorch-optimizer 4.1.0's AdamP",
                                  "pytorch_optimizer/optimizer/adamp.py:486 (lerp_), 489 (eps before the bias correction), 503")},
    build, ("Heo et al. (2021), AdamP: slowing down the slowdown for momentum optimizers",),
)
SPECS = (ADAMP,)
