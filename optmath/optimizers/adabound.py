r"""AdaBound (Luo et al. 2019): Adam whose per-coordinate step size is clipped into bounds that
close in on a final SGD learning rate.

``eta = lr sqrt(1 - b2^t) / ((1 - b1^t)(sqrt(v + eps_root) + eps))``, clipped to
``[f (1 - 1/(gamma t + 1)), f (1 + 1/(gamma t))]`` with ``f = final_lr lr / lr_1`` (``lr_1`` the
first step's learning rate, so a schedule moves the bounds with it, as the authors' code does
with its ``base_lr``); the step is ``x <- x - clip(eta) m``.

Switches
--------
``weight_decay`` any of the usual kinds (L2 in the authors' code and torch-optimizer;
pytorch-optimizer's default ``weight_decouple=True`` is ``decoupled``);
``first_moment`` ``blend`` | ``lerp`` (pytorch-optimizer's ``lerp_``);
``amsgrad`` ``none`` | ``raw`` (AMSBound: the step size divides by the running maximum of the raw
second moment, torch-optimizer's ``amsbound=True`` and pytorch-optimizer's ``ams_bound=True``).  pytorch-optimizer also
adds ``eps_root = 1e-15`` inside the root (``apply_ams_bound``).
"""
from __future__ import annotations

import sympy as sp

from ..spec import Hyper, Profile, Program, Spec, StateVar, Switch
from .fragments import (B1, B2, EMA_FORMS, EPS, EPS_ROOT, LR, WD, A, S, bias_correction, ema, g, lr, second_moment,
                        t, x, decay_before, weight_decay_switch, running_max, running_max_switch)

FINAL_LR = Hyper("final_lr", r"\alpha^*", "the SGD learning rate the bounds converge to", 0.1, 0.0, None, lo_open=True)
GAMMA = Hyper("gamma", r"\gamma", "convergence speed of the bounds", 1e-3, 0.0, None, lo_open=True)
SWITCHES = (
    weight_decay_switch(),
    Switch("first_moment", "arithmetic form of the first-moment EMA", EMA_FORMS),
    running_max_switch("none", "raw"),
)


def build(sw) -> Program:
    m, v = S("m"), S("v")
    wd = sw["weight_decay"]
    ups = [A("lr1", sp.Piecewise((lr, sp.Eq(t, 1)), (S("lr1"), True)), "the first step's learning rate")]
    ups += decay_before(wd)
    ups += ema("m", "b1", g, sw["first_moment"], "first moment") + second_moment()
    more, extra, second, _ = running_max(sw["amsgrad"], v)
    ups += more
    f = S("final_lr") * lr / S("lr1")
    ups += [A("lo", f * (1 - 1 / (S("gamma") * t + 1)), "lower bound"),
            A("hi", f * (1 + 1 / (S("gamma") * t)), "upper bound"),
            A("eta", lr * sp.sqrt(bias_correction("b2")) / bias_correction("b1") / (sp.sqrt(second + S("eps_root")) + S("eps")),
              "Adam's step size"),
            A("x", x - sp.Min(sp.Max(S("eta"), S("lo")), S("hi")) * m, "bounded step")]
    states = (StateVar("m", "m", "first moment"), StateVar("v", "v", "second moment"), *extra,
              StateVar("lr1", r"\eta_1", "the first step's learning rate", sp.Integer(0), scalar=True))
    return Program(states, tuple(ups), temporaries={"lo": "lower bound", "hi": "upper bound", "eta": "step size"})


ADABOUND = Spec(
    "adabound", "AdaBound", "adabound", (LR, B1, B2, FINAL_LR, GAMMA, EPS, EPS_ROOT, WD), SWITCHES,
    {
        "paper": Profile({}, {}, "Luo et al. (2019), Algorithm 2 as the authors' code computes it "
                                 "(adabound 0.0.5: bias corrections in the step size)"),
        "authors": Profile({"weight_decay": "l2"}, {}, "the authors' adabound 0.0.5 and torch-optimizer 0.3.0 "
                           "(the same arithmetic)", "adabound/adabound.py:88-116"),
        "pytorch_optimizer": Profile({"weight_decay": "decoupled", "first_moment": "lerp"}, {"eps_root": 1e-15},
                                     "pytorch-optimizer 4.1.0's AdaBound (sqrt(v + 1e-15) + eps)",
                                     "pytorch_optimizer/optimizer/adabound.py:114-143"),
    },
    build, ("Luo et al. (2019), Adaptive gradient methods with dynamic bound of learning rate",),
    implementations={
        "authors_amsbound": Profile({"weight_decay": "l2", "amsgrad": "raw"}, {},
                                    "AMSBound: adabound 0.0.5 and torch-optimizer 0.3.0 with amsbound=True",
                                    "torch_optimizer/adabound.py (torch.max(max_exp_avg_sq, exp_avg_sq))"),
        "pytorch_optimizer_amsbound": Profile({"weight_decay": "decoupled", "first_moment": "lerp", "amsgrad": "raw"},
                                              {"eps_root": 1e-15}, "pytorch-optimizer 4.1.0's AdaBound(ams_bound=True)",
                                              "pytorch_optimizer/base/optimizer.py, apply_ams_bound"),
    },
)
SPECS = (ADABOUND,)
