r"""LaProp (Ziyin, Wang & Ueda 2020): the gradient is divided by its adaptive scale before the
momentum averages it, separating momentum from adaptivity.

``v <- b2 v + (1 - b2) g^2``; ``m <- b1 m + (1 - b1) g / D``; ``x <- x - lr m / (1 - b1^t)``
with ``D = sqrt(v / (1 - b2^t)) + eps`` (the paper).

Switches
--------
``lr_placement`` ``outside`` (the paper) | ``inside`` (pytorch-optimizer: the momentum averages
``lr g / D`` and the bias correction is the same average of ``lr``, ``e <- b1 e + (1 - b1) lr``,
``x <- x - m lr / e``: equal at a constant lr, and it follows a schedule);
``eps_placement`` ``vhat`` (``sqrt(v / (1 - b2^t)) + eps``) | ``raw`` (pytorch-optimizer:
``(sqrt(v + eps_root) + eps) / sqrt(1 - b2^t)``, with its hidden ``eps_root = 1e-15``);
``amsgrad`` ``none`` | ``raw`` | ``corrected`` (a running maximum of the second moment in ``D``:
pytorch-optimizer's ``ams_bound=True`` is ``raw``, ``sqrt(max(vmax, v) + eps_root)``);
``weight_decay`` ``none`` | ``decoupled_after`` (``x <- x (1 - lr wd)`` after the step,
pytorch-optimizer's default ``weight_decouple=True``) | ``l2``.
"""
from __future__ import annotations

from dataclasses import replace

import sympy as sp

from ..errors import DomainError
from ..spec import Profile, Program, Spec, StateVar, Switch
from .fragments import (B1, B2, EPS, EPS_ROOT, LR, WD, A, S, bias_correction, decay_after, decay_before, g, lr,
                        running_max, running_max_switch, weight_decay_switch, x)

SWITCHES = (
    Switch("lr_placement", "where the learning rate enters", {
        "outside": "x <- x - lr m / (1 - b1^t) (the paper)",
        "inside": "m averages lr g / D, x <- x - m lr / e with e the average of lr (pytorch-optimizer)"}),
    Switch("eps_placement", "where eps enters D", {
        "vhat": "sqrt(v / (1 - b2^t)) + eps (the paper)",
        "raw": "(sqrt(v + eps_root) + eps) / sqrt(1 - b2^t) (pytorch-optimizer)"}),
    weight_decay_switch("decoupled_after"),
    running_max_switch(),
)


def build(sw) -> Program:
    m, v, eps = S("m"), S("v"), S("eps")
    ups = decay_before(sw["weight_decay"])
    if sw["amsgrad"] == "corrected" and sw["eps_placement"] == "raw":
        raise DomainError("amsgrad='corrected' has no raw eps form; use eps_placement='vhat'")
    ups.append(A("v", S("b2") * v + (1 - S("b2")) * g**2, "second moment"))
    more, extra, second, corrected = running_max(sw["amsgrad"], v, bias_correction("b2"))
    ups += more
    if sw["eps_placement"] == "raw":
        den = (sp.sqrt(second + S("eps_root")) + eps) / sp.sqrt(bias_correction("b2"))
    else:
        den = sp.sqrt(second if corrected else second / bias_correction("b2")) + eps
    ups.append(A("D", den, "adaptive scale"))
    states = [StateVar("m", "m", "momentum of the scaled gradient"), StateVar("v", "v", "second moment"), *extra]
    if sw["lr_placement"] == "inside":
        ups += [A("e", S("b1") * S("e") + (1 - S("b1")) * lr, "average of the learning rates"),
                A("m", S("b1") * m + (1 - S("b1")) * lr * g / S("D"), "momentum of lr g / D"),
                A("x", x - m * lr / S("e"), "step")]
        states.append(StateVar("e", "e", "average of the learning rates", sp.Integer(0), scalar=True))
    else:
        ups += [A("m", S("b1") * m + (1 - S("b1")) * g / S("D"), "momentum of g / D"),
                A("x", x - lr * m / bias_correction("b1"), "step")]
    ups += decay_after(sw["weight_decay"])
    return Program(tuple(states), tuple(ups), temporaries={"D": "adaptive scale"})


LAPROP = Spec(
    "laprop", "LaProp", "laprop", (replace(LR, default=4e-4), B1, B2, replace(EPS, default=1e-15), EPS_ROOT, WD),
    SWITCHES,
    {
        "paper": Profile({}, {}, "Ziyin, Wang & Ueda (2020), arXiv:2002.04839, with bias corrections"),
        "pytorch_optimizer": Profile({"lr_placement": "inside", "eps_placement": "raw", "weight_decay": "decoupled_after"},
                                     {"eps_root": 1e-15}, "pytorch-optimizer 4.1.0's LaProp (foreach=False; its default "
                                     "foreach path rounds -1/e lr to float32)", "pytorch_optimizer/optimizer/laprop.py:192-251"),
    },
    build, ("Ziyin, Wang & Ueda (2020), LaProp: separating momentum and adaptivity in Adam",),
    implementations={
        "pytorch_optimizer_amsbound": Profile({"lr_placement": "inside", "eps_placement": "raw",
                                               "weight_decay": "decoupled_after", "amsgrad": "raw"}, {"eps_root": 1e-15},
                                              "pytorch-optimizer 4.1.0's LaProp(ams_bound=True) (foreach=False)",
                                              "pytorch_optimizer/base/optimizer.py, apply_ams_bound"),
    },
)
SPECS = (LAPROP,)
