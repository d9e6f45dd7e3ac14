r"""Adan (Xie et al. 2022): adaptive Nesterov momentum from the gradient and its difference.

With ``dg_t = g_t - g_{t-1}`` (0 at the first step) and decay-convention betas:
``m <- b1 m + (1 - b1) g``, ``v <- b2 v + (1 - b2) dg``, ``n <- b3 n + (1 - b3) (g + c dg)^2``,
``x <- [x - lr (m / (1 - b1^t) + c v / (1 - b2^t)) / (sqrt(n / (1 - b3^t)) + eps)] / (1 + lr wd)``,
where ``c`` is the weight of the difference: ``b2`` in the paper's Algorithm 1 (its ``1 - beta_2``
in the paper's convention, 0.92 at the defaults) and ``1 - b2`` (0.08) in ``optax.adan``.

Switches
--------
``difference_weight`` ``b2`` (the paper, the authors' code, pytorch-optimizer) | ``one_minus_b2``
(optax 0.2.8's ``scale_by_adan``: ``g + (1 - b2) dg`` and ``m_hat + (1 - b2) v_hat``);
``weight_decay`` ``proximal`` (``x / (1 + lr wd)`` after the step: the paper, the authors'
default ``no_prox=False``) | ``decoupled`` (``x (1 - lr wd)`` before it: ``no_prox=True``,
pytorch-optimizer's ``weight_decouple=True``, optax);
``eps_placement`` ``outside`` (``sqrt(n) / sqrt(1 - b3^t) + eps``) | ``root`` (optax:
``sqrt(n / (1 - b3^t) + eps_root) + eps``);
``first_moment`` ``blend`` | ``lerp`` (pytorch-optimizer's ``lerp_`` for ``m`` and ``v``).
"""
from __future__ import annotations

from dataclasses import replace

import sympy as sp

from ..spec import Hyper, Profile, Program, Spec, StateVar, Switch
from .fragments import (B1, B2, EMA_FORMS, EPS, EPS_ROOT, LR, WD, A, S, bias_correction, decay_after, decay_before, ema,
                        g, lr, t, weight_decay_switch, x)

B3 = Hyper("b3", r"\beta_3", "decay of the squared corrected gradient", 0.99, 0.0, 1.0, hi_open=True)
SWITCHES = (
    Switch("difference_weight", "weight c of the gradient difference in n and in the step", {
        "b2": "c = b2 (the paper's 1 - beta_2; the authors' code, pytorch-optimizer)",
        "one_minus_b2": "c = 1 - b2 (optax.adan)"}),
    weight_decay_switch("proximal", first="proximal"),
    Switch("eps_placement", "where eps enters", {
        "outside": "sqrt(n) / sqrt(1 - b3^t) + eps",
        "root": "sqrt(n / (1 - b3^t) + eps_root) + eps (optax)"}),
    Switch("first_moment", "arithmetic form of the EMAs of g and d", EMA_FORMS),
)


def build(sw) -> Program:
    m, v, n, gp, eps = S("m"), S("v"), S("n"), S("gp"), S("eps")
    c = S("b2") if sw["difference_weight"] == "b2" else 1 - S("b2")
    ups = decay_before(sw["weight_decay"])  # decoupled: no_prox=True, pytorch-optimizer's weight_decouple, optax
    ups.append(A("dg", sp.Piecewise((0, sp.Eq(t, 1)), (g - gp, True)), "gradient difference (0 at the first step)"))
    ups += ema("m", "b1", g, sw["first_moment"], "first moment")
    ups += ema("v", "b2", S("dg"), sw["first_moment"], "EMA of the gradient difference")
    ups.append(A("n", S("b3") * n + (1 - S("b3")) * (g + c * S("dg")) ** 2, "EMA of the squared corrected gradient"))
    if sw["eps_placement"] == "root":
        den = sp.sqrt(n / bias_correction("b3") + S("eps_root")) + eps
    else:
        den = sp.sqrt(n) / sp.sqrt(bias_correction("b3")) + eps
    ups.append(A("den", den, "denominator"))
    ups.append(A("x", x - lr / bias_correction("b1") * m / S("den") - lr * c / bias_correction("b2") * v / S("den"),
                 "step"))
    ups += decay_after(sw["weight_decay"])  # proximal: the paper, the authors' default
    ups.append(A("gp", g, "previous gradient"))
    states = (StateVar("m", "m", "first moment"), StateVar("v", "v", "EMA of the gradient difference"),
              StateVar("n", "n", "EMA of the squared corrected gradient"), StateVar("gp", "g'", "previous gradient"))
    return Program(states, tuple(ups), temporaries={"dg": "gradient difference", "den": "denominator"})


ADAN = Spec(
    "adan", "Adan", "adan", (LR, replace(B1, default=0.98), replace(B2, default=0.92), B3, EPS, EPS_ROOT, WD),
    SWITCHES,
    {
        "paper": Profile({}, {}, "Xie et al. (2022), Algorithm 1, as the authors' code computes it "
                                 "(sail-sg/Adan adan.py: bias-corrected, proximal decay)"),
        "pytorch_optimizer": Profile({"first_moment": "lerp"}, {}, "pytorch-optimizer 4.1.0's Adan",
                                     "pytorch_optimizer/optimizer/adan.py:143-163"),
        "optax": Profile({"difference_weight": "one_minus_b2", "weight_decay": "decoupled", "eps_placement": "root"},
                         {"eps_root": 1e-8}, "optax.adan (0.2.8)", "optax/_src/transform.py:653-686"),
    },
    build, ("Xie et al. (2022), Adan: adaptive Nesterov momentum algorithm for faster optimizing deep models",),
)
SPECS = (ADAN,)
