r"""QHAdam (Ma & Yarats 2019): quasi-hyperbolic Adam, averages of the momentum and the gradient.

``m_hat``, ``s_hat`` are Adam's bias-corrected moments of ``g`` and ``g^2``; the step is
``x <- x - lr (nu1 m_hat + (1 - nu1) g) / (sqrt(nu2 s_hat + (1 - nu2) g^2) + eps)``.
``nu1 = nu2 = 1`` is Adam; the paper recommends ``nu1 = 0.7, nu2 = 1``.

Switches
--------
``moments`` ``corrected`` (the paper: EMAs from 0 divided by ``1 - b^t``) | ``weights`` (the
authors' qhoptim and torch-optimizer: the corrected averages held directly, with
``w <- 1 + b w`` and ``m <- (1 - 1/w) m + (1/w) g``, equal in exact arithmetic);
``weight_decay`` any of the usual kinds (``l2`` is the packages' default,
``decouple_weight_decay=True`` is ``decoupled``).
"""
from __future__ import annotations

import sympy as sp

from ..spec import Hyper, Profile, Program, Spec, StateVar, Switch
from .fragments import B1, B2, EPS, LR, WD, A, S, bias_correction, ema, g, lr, x, decay_before, weight_decay_switch

NU1 = Hyper("nu1", r"\nu_1", "weight of the momentum in the numerator", 0.7, 0.0, 1.0)
NU2 = Hyper("nu2", r"\nu_2", "weight of the second moment in the denominator", 1.0, 0.0, 1.0)
SWITCHES = (
    Switch("moments", "how the bias-corrected moments are computed", {
        "corrected": "EMAs from 0, divided by 1 - b^t (the paper)",
        "weights": "w <- 1 + b w, m <- (1 - 1/w) m + (1/w) g (qhoptim, torch-optimizer)"}),
    weight_decay_switch(),
)


def build(sw) -> Program:
    m, s, eps = S("m"), S("s"), S("eps")
    wd = sw["weight_decay"]
    ups = decay_before(wd)
    states = [StateVar("m", r"\hat m", "bias-corrected first moment" if sw["moments"] == "weights" else "first moment"),
              StateVar("s", r"\hat s", "bias-corrected second moment" if sw["moments"] == "weights" else "second moment")]
    if sw["moments"] == "weights":
        w1, w2 = S("w1"), S("w2")
        ups += [A("w1", 1 + S("b1") * w1, "sum of b1^i, i < t"), A("w2", 1 + S("b2") * w2, "sum of b2^i, i < t"),
                A("a1", 1 - 1 / w1, "weight of the old first moment"), A("a2", 1 - 1 / w2, "weight of the old second moment"),
                A("m", m * S("a1") + (1 - S("a1")) * g, "bias-corrected first moment"),
                A("s", s * S("a2") + (1 - S("a2")) * g**2, "bias-corrected second moment")]
        states += [StateVar("w1", "w_1", "sum of b1 powers", sp.Integer(0), scalar=True),
                   StateVar("w2", "w_2", "sum of b2 powers", sp.Integer(0), scalar=True)]
        mhat, shat = m, s
        temps = {"a1": "old-moment weight", "a2": "old-moment weight"}
    else:
        ups += ema("m", "b1", g, note="first moment") + ema("s", "b2", g**2, note="second moment")
        mhat, shat = m / bias_correction("b1"), s / bias_correction("b2")
        temps = {}
    ups.append(A("x", x - lr * (S("nu1") * mhat + (1 - S("nu1")) * g)
                 / (sp.sqrt(S("nu2") * shat + (1 - S("nu2")) * g**2) + eps), "quasi-hyperbolic step"))
    return Program(tuple(states), tuple(ups), temporaries=temps)


QHADAM = Spec(
    "qhadam", "QHAdam", "qhadam", (LR, B1, B2, NU1, NU2, EPS, WD), SWITCHES,
    {
        "paper": Profile({}, {}, "Ma & Yarats (2019), Algorithm 2 with the recommended nu1 = 0.7, nu2 = 1"),
        "authors": Profile({"moments": "weights", "weight_decay": "l2"}, {"nu1": 1.0, "nu2": 1.0},
                           "the authors' qhoptim 1.1.0 (and torch-optimizer 0.3.0, the same arithmetic) at their "
                           "defaults nus = (1, 1)", "qhoptim/pyt/qhadam.py:109-147"),
    },
    build, ("Ma & Yarats (2019), Quasi-hyperbolic momentum and Adam for deep learning",),
)
SPECS = (QHADAM,)
