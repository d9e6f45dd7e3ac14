r"""AdEMAMix (Pagliardini, Ablin & Grangier 2024): Adam with a second, slow EMA of the gradient
mixed into the numerator.

``m1 <- b1 m1 + (1 - b1) g``, ``m2 <- b3_t m2 + (1 - b3_t) g``, ``v <- b2 v + (1 - b2) g^2``,
``x <- x - lr (m1 / (1 - b1^t) + alpha_t m2) / (sqrt(v / (1 - b2^t) + eps_root) + eps)``: the
slow EMA is not bias-corrected.  With the warm-up length ``T`` (0: none), ``alpha_t = alpha t / T``
and ``b3_t = exp(ln b1 ln b3 / ((1 - t/T) ln b3 + (t/T) ln b1))``, both capped at their final
values, until ``t = T``: the paper's schedulers, as pytorch-optimizer's ``t_alpha_beta3``.

Switches
--------
``weight_decay`` any of the usual kinds (pytorch-optimizer's default is L2, optax's decoupled);
``first_moment`` ``blend`` | ``lerp`` (pytorch-optimizer's ``lerp_`` for both EMAs).
"""
from __future__ import annotations

import sympy as sp

from ..spec import Hyper, Profile, Program, Spec, StateVar, Switch
from .fragments import (B1, B2, EMA_FORMS, EPS, EPS_ROOT, LR, WD, A, S, bias_correction, ema, g, lr, second_moment,
                        t, x, decay_before, weight_decay_switch)

B3 = Hyper("b3", r"\beta_3", "decay of the slow EMA", 0.9999, 0.0, 1.0, lo_open=True, hi_open=True)
ALPHA = Hyper("alpha", r"\alpha", "weight of the slow EMA", 5.0, 0.0, None)
T_WARM = Hyper("tw", "T", "warm-up length of alpha and b3 (0: none)", 0.0, 0.0, None)
SWITCHES = (
    weight_decay_switch(),
    Switch("first_moment", "arithmetic form of the EMAs of g", EMA_FORMS),
)


def build(sw) -> Program:
    b1, b3, tw = S("b1"), S("b3"), S("tw")
    wd = sw["weight_decay"]
    ups = decay_before(wd)
    frac = t / sp.Max(tw, t)  # t / T until T, then 1 (and 1 without a warm-up)
    ups += [A("alpha_t", S("alpha") * frac, "alpha's warm-up"),
            A("b3_t", sp.Piecewise((b3, sp.Eq(tw, 0)),
                                   (sp.Min(sp.exp(sp.log(b1) * sp.log(b3) / ((1 - frac) * sp.log(b3) + frac * sp.log(b1))),
                                           b3), True)), "b3's warm-up")]
    ups += ema("m1", "b1", g, sw["first_moment"], "fast EMA")
    ups += second_moment()
    ups += ema("m2", "b3_t", g, sw["first_moment"], "slow EMA")
    ups.append(A("x", x - lr * (S("m1") / bias_correction("b1") + S("alpha_t") * S("m2"))
                 / (sp.sqrt(S("v") / bias_correction("b2") + S("eps_root")) + S("eps")), "step"))
    states = (StateVar("m1", "m_1", "fast EMA of g"), StateVar("v", "v", "second moment"),
              StateVar("m2", "m_2", "slow EMA of g"))
    return Program(states, tuple(ups), temporaries={"alpha_t": "scheduled alpha", "b3_t": "scheduled b3"})


ADEMAMIX = Spec(
    "ademamix", "AdEMAMix", "ademamix", (LR, B1, B2, B3, ALPHA, T_WARM, EPS, EPS_ROOT, WD), SWITCHES,
    {
        "paper": Profile({}, {}, "Pagliardini, Ablin & Grangier (2024), Algorithm 1, with weight decay off"),
        "pytorch_optimizer": Profile({"weight_decay": "l2", "first_moment": "lerp"}, {},
                                     "pytorch-optimizer 4.1.0's AdEMAMix", "pytorch_optimizer/optimizer/ademamix.py:250-282"),
        "optax": Profile({"weight_decay": "decoupled"}, {}, "optax.contrib.ademamix (0.2.8)",
                         "optax/contrib/_ademamix.py:103-128"),
    },
    build, ("Pagliardini, Ablin & Grangier (2024), The AdEMAMix optimizer: better, faster, older",),
)
SPECS = (ADEMAMIX,)
