r"""RAdam (Liu et al. 2020): Adam with the variance of the adaptive lr rectified.

``rho_inf = 2/(1 - b2) - 1``, ``rho_t = rho_inf - 2 t b2^t / (1 - b2^t)``; when ``rho_t`` passes
the threshold the step is ``lr r_t m_hat * l_t`` with the rectifier
``r_t = sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t))``, else ``lr m_hat``.
Switches: ``eps_placement`` ``raw`` (PyTorch: ``l_t = sqrt(1-b2^t)/(sqrt(v) + eps)``) |
``vhat`` (optax: ``1/(sqrt(v_hat) + eps)``); ``threshold_rule`` ``gt`` (PyTorch ``rho_t > 5``,
paper ``> 4``) | ``ge`` (optax ``rho_t >= 5``); ``below_threshold`` ``sgd`` (the step
``lr m_hat``: paper, PyTorch, optax) | ``skip`` (no update at all: the authors' code with
``degenerated_to_sgd=False``, pytorch-optimizer's default).
"""
from __future__ import annotations


import sympy as sp

from ..spec import Profile, Program, Spec, StateVar, Switch
from .fragments import (B1, B2, BELOW_THRESHOLD, EMA_FORMS, EPS, LR, THRESHOLD, THRESHOLD_RULES, WD, A, S,
                        bias_correction, ema, g, lr, rectifier, second_moment, sma_length, x, decay_before,
                        weight_decay_switch)

SWITCHES = (
    Switch("eps_placement", "where eps enters", {"raw": "sqrt(1-b2^t)/(sqrt(v) + eps)",
                                                  "vhat": "1/(sqrt(v_hat) + eps)"}),
    Switch("threshold_rule", "comparison with the threshold", THRESHOLD_RULES),
    Switch("first_moment", "arithmetic form of the first-moment EMA", EMA_FORMS),
    weight_decay_switch(),
    Switch("below_threshold", "the step while rho_t has not passed the threshold", BELOW_THRESHOLD),
)


def build(sw) -> Program:
    eps, v = S("eps"), S("v")
    cond, rect = rectifier(sw["threshold_rule"])
    ups = sma_length()
    # a skipped step skips a decoupled decay too (the authors' code, pytorch-optimizer)
    ups += decay_before(sw["weight_decay"],
                        ratio=1 if sw["below_threshold"] == "sgd" else sp.Piecewise((1, cond), (0, True)))
    ups += ema("m", "b1", g, sw["first_moment"], "first moment")
    ups += second_moment()
    if sw["eps_placement"] == "raw":
        adaptive = sp.sqrt(bias_correction("b2")) / (sp.sqrt(v) + eps)
    else:
        adaptive = 1 / (sp.sqrt(v / bias_correction("b2")) + eps)
    ups.append(A("mhat", S("m") / bias_correction("b1"), "bias-corrected first moment"))
    below = 1 if sw["below_threshold"] == "sgd" else 0
    ups.append(A("x", x - lr * S("mhat") * sp.Piecewise((rect * adaptive, cond), (below, True)), "step"))
    return Program((StateVar("m", "m", "first moment"), StateVar("v", "v", "second moment")), tuple(ups),
                   temporaries={"rho_t": "SMA length", "mhat": "bias-corrected first moment"})


RADAM = Spec(
    "radam", "RAdam", "radam", (LR, B1, B2, EPS, THRESHOLD, WD), SWITCHES,
    {
        "paper": Profile({"eps_placement": "raw", "threshold_rule": "gt"}, {"threshold": 4.0, "eps": 0.0},
                         "Liu et al. (2020), Algorithm 2 (rho_t > 4, no eps)"),
        "pytorch": Profile({"eps_placement": "raw", "threshold_rule": "gt", "first_moment": "lerp",
                            "weight_decay": "l2"}, {}, "torch.optim.RAdam"),
        "pytorch_decoupled": Profile({"eps_placement": "raw", "threshold_rule": "gt", "first_moment": "lerp",
                                      "weight_decay": "decoupled"}, {},
                                     "torch.optim.RAdam(decoupled_weight_decay=True)"),
        "optax": Profile({"eps_placement": "vhat", "threshold_rule": "ge"}, {}, "optax.radam"),
        "authors": Profile({"eps_placement": "raw", "threshold_rule": "ge", "below_threshold": "skip"}, {},
                           "LiyuanLucasLiu/RAdam radam.py with degenerated_to_sgd=False (rho_t >= 5, no update "
                           "below); pytorch-optimizer's RAdam default"),
    },
    build, ("Liu et al. (2020), On the variance of the adaptive learning rate and beyond",),
    implementations={
        "torch_optimizer": Profile({"eps_placement": "raw", "threshold_rule": "ge", "weight_decay": "decoupled"}, {},
                                   "torch-optimizer 0.3.0's RAdam", "torch_optimizer/radam.py:109"),
        "pytorch_optimizer": Profile({"eps_placement": "raw", "threshold_rule": "ge", "first_moment": "lerp",
                                      "weight_decay": "decoupled", "below_threshold": "skip"}, {},
                                     "pytorch-optimizer 4.1.0's RAdam", "pytorch_optimizer/optimizer/radam.py:130"),
        "pytorch_optimizer_sgd": Profile({"eps_placement": "raw", "threshold_rule": "ge", "first_moment": "lerp",
                                          "weight_decay": "decoupled"}, {},
                                         "pytorch-optimizer 4.1.0's RAdam(degenerated_to_sgd=True)",
                                         "pytorch_optimizer/base/optimizer.py:337"),
    },
)
SPECS = (RADAM,)
