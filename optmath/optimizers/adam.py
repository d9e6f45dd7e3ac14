r"""Adam and the optimizers that differ from it by one fragment or one switch.

Adam (Kingma & Ba 2014), AdamW (Loshchilov & Hutter 2019), AMSGrad (Reddi, Kale & Kumar
2018), Yogi (Zaheer et al. 2018), AdaBelief (Zhuang et al. 2020) share this builder:

* Yogi swaps :func:`~.fragments.second_moment` for :func:`~.fragments.yogi_second_moment`;
* AdaBelief swaps it for :func:`~.fragments.belief_second_moment`;
* AMSGrad adds a running maximum (switch ``amsgrad``); AdamW sets ``weight_decay``.

Switches
--------
``second_moment`` ``ema`` | ``yogi`` | ``belief``;
``amsgrad`` ``none`` | ``raw`` (max of raw v, then corrected: PyTorch, Keras, Reddi) |
``corrected`` (max of bias-corrected v: optax);
``bias_correction`` ``both`` | ``none`` | ``second`` (AdamD: the second moment only,
pytorch-optimizer's ``adam_debias=True``);
``eps_placement`` ``vhat`` (Algorithm 1: ``m_hat / (sqrt(v_hat) + eps)``) | ``hat`` (the
paper's "efficient" form used by Keras/TF: ``lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + eps_hat)``);
``eps_root`` ``no`` | ``yes`` (optax's ``eps_root`` inside the square root);
``weight_decay`` ``none`` | ``l2`` | ``decoupled`` | ``decoupled_unscaled``;
``first_moment`` ``blend`` | ``lerp`` (PyTorch's ``lerp_``; equal in exact arithmetic);
``init`` ``zero`` | ``accumulator`` (m0 = v0 = acc0: optax Yogi) | ``second_only``
(m0 = 0, v0 = acc0: TF-Addons Yogi);
``nesterov`` ``no`` | ``yes`` (the step uses ``b1 m/(1 - b1^(t+1)) + (1 - b1) g/(1 - b1^t)``:
optax's ``adam(nesterov=True)`` and ``adamw(nesterov=True)``);
``rectify`` ``none`` | ``gt`` | ``ge`` (RAdam's rectifier from :mod:`.fragments`, applied to this
rule's adaptive step while ``rho_t`` passes the threshold: adabelief-pytorch's ``rectify=True``),
with ``below_threshold`` ``sgd`` | ``skip`` for the steps before.
"""
from __future__ import annotations


import sympy as sp

from ..errors import DomainError
from ..spec import Hyper, Profile, Program, Spec, StateVar, Switch
from .fragments import (B1, B2, BELOW_THRESHOLD, EMA_FORMS, EPS, EPS_ROOT, LR, THRESHOLD, THRESHOLD_RULES, WD, A, S,
                        belief_second_moment, bias_correction, ema, g, lr, rectifier, second_moment, sma_length, x,
                        yogi_second_moment, decay_before, weight_decay_switch, running_max_switch, running_max,
                        nesterov_switch, first_moment_used, bias_correction_switch)

ACC0 = Hyper("acc0", r"v_0", "initial accumulator value (Yogi)", 1e-6, 0.0, None)

SWITCHES = (
    Switch("second_moment", "second-moment fragment", {
        "ema": "v <- b2 v + (1 - b2) g^2 (Adam)",
        "yogi": "v <- v - (1 - b2) sign(v - g^2) g^2 (Yogi)",
        "belief": "s <- b2 s + (1 - b2)(g - m)^2 + eps_root (AdaBelief)"}),
    running_max_switch(),
    bias_correction_switch(),
    Switch("eps_placement", "where eps enters", {
        "vhat": "m_hat / (sqrt(v_hat) + eps) (Algorithm 1, PyTorch, optax)",
        "hat": "lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + eps_hat) (Keras/TF)"}),
    Switch("eps_root", "optax eps_root inside the square root", {"no": "absent", "yes": "sqrt(v_hat + eps_root)"}),
    weight_decay_switch(),
    Switch("first_moment", "arithmetic form of the first-moment EMA", EMA_FORMS),
    Switch("init", "initial moments", {"zero": "m0 = v0 = 0",
                                        "accumulator": "m0 = v0 = acc0 (optax Yogi)",
                                        "second_only": "m0 = 0, v0 = acc0 (TF-Addons Yogi)"}),
    Switch("rectify", "RAdam's rectification of the adaptive step", {
        "none": "no rectification", **{k: f"rectified while {v} (RAdam's r_t)" for k, v in THRESHOLD_RULES.items()}}),
    Switch("below_threshold", "the step while rho_t has not passed the threshold (rectify only)", {
        "sgd": BELOW_THRESHOLD["sgd"], "skip": "no step (the decay still applies, as in adabelief-pytorch)"}),
    nesterov_switch(),
)


def build(sw) -> Program:
    v, eps = S("v"), S("eps")
    if sw["amsgrad"] == "corrected" and sw["eps_placement"] == "hat":
        raise DomainError("amsgrad='corrected' has no eps-hat form; use eps_placement='vhat'")
    wd_mode = sw["weight_decay"]
    ups = sma_length() if sw["rectify"] != "none" else []
    ups += decay_before(wd_mode)
    ups += ema("m", "b1", g, sw["first_moment"], "first moment")
    kind = sw["second_moment"]
    ups += {"ema": second_moment, "yogi": yogi_second_moment,
            "belief": belief_second_moment}[kind]()
    acc0 = S("acc0")
    m0 = acc0 if sw["init"] == "accumulator" else sp.Integer(0)
    v0 = acc0 if sw["init"] in ("accumulator", "second_only") else sp.Integer(0)
    states = [StateVar("m", "m", "first moment (EMA of g)", m0),
              StateVar("v", "s" if kind == "belief" else "v",
                       "EMA of (g - m)^2" if kind == "belief" else "second moment", v0)]
    correct = sw["bias_correction"] == "both"  # the first moment's; "second" corrects the second only (AdamD)
    bc1 = bias_correction("b1") if correct else 1
    bc2 = bias_correction("b2") if sw["bias_correction"] in ("both", "second") else 1
    more, extra, second, max_corrected = running_max(sw["amsgrad"], v, bc2)
    ups += more
    states += extra
    mhat = first_moment_used(sw["nesterov"], correct)
    root_eps = S("eps_root") if sw["eps_root"] == "yes" and kind != "belief" else 0
    rectified = sw["rectify"] != "none"
    if rectified:  # RAdam's rectifier (fragments.rectifier), applied to this rule's adaptive step
        cond, rect = rectifier(sw["rectify"])
        below = 1 if sw["below_threshold"] == "sgd" else 0
    temps = {"rho_t": "SMA length"} if rectified else {}
    if sw["eps_placement"] == "hat":
        if rectified:
            ups.append(A("x", x - lr * sp.Piecewise((rect * sp.sqrt(bc2) * mhat / (sp.sqrt(second + root_eps) + eps),
                                                     cond), (below * mhat, True)), "rectified step (eps-hat form)"))
        else:
            ups.append(A("x", x - lr * sp.sqrt(bc2) * mhat / (sp.sqrt(second + root_eps) + eps),
                         "step (eps-hat form)"))
        return Program(tuple(states), tuple(ups), temporaries=temps)
    ups.append(A("mhat", mhat, "bias-corrected first moment" if sw["nesterov"] == "no"
                 else "bias-corrected first moment, looked ahead (Nesterov)"))
    vhat = second if max_corrected else second / bc2
    ups.append(A("vhat", vhat, "bias-corrected second moment"))
    if rectified:
        ups.append(A("x", x - lr * S("mhat") * sp.Piecewise((rect / (sp.sqrt(S("vhat") + root_eps) + eps), cond),
                                                           (below, True)), "rectified step"))
    else:
        ups.append(A("x", x - lr * S("mhat") / (sp.sqrt(S("vhat") + root_eps) + eps), "step"))
    return Program(tuple(states), tuple(ups),
                   temporaries={**temps, "mhat": "bias-corrected first moment",
                                "vhat": "bias-corrected second moment"})


ADAM = Spec(
    "adam", "Adam", "adam",
    (LR, B1, B2, EPS, EPS_ROOT, WD, ACC0, THRESHOLD), SWITCHES,
    {
        "paper": Profile({}, {}, "Kingma & Ba (2014), Algorithm 1"),
        "pytorch": Profile({"first_moment": "lerp", "weight_decay": "l2"}, {},
                           "torch.optim.Adam", "torch/optim/adam.py"),
        "keras": Profile({"eps_placement": "hat", "first_moment": "lerp"}, {"eps": 1e-7},
                         "keras.optimizers.Adam (eps-hat form)", "keras/src/optimizers/adam.py"),
        "optax": Profile({"eps_root": "yes"}, {}, "optax.adam", "optax/_src/transform.py"),
        "d2l": Profile({}, {"lr": 0.01, "eps": 1e-6}, "d2l.ai 12.10"),
    },
    build,
    ("Kingma & Ba (2014), arXiv:1412.6980",),
    "Adam with every convention of the frameworks as a switch.",
    implementations={
        "qhadam_nu1": Profile({"weight_decay": "l2"}, {}, "QHAdam with nu1 = nu2 = 1 (torch-optimizer 0.3.0, "
                              "qhoptim 1.1.0): Adam with L2 decay", "torch_optimizer/qhadam.py:137, qhoptim/pyt/qhadam.py:133"),
        "torchopt": Profile({"eps_root": "yes", "weight_decay": "l2"}, {}, "torchopt 0.7.3's Adam",
                            "torchopt/transform/scale_by_adam.py:210"),
        "optax_nesterov": Profile({"eps_root": "yes", "nesterov": "yes"}, {}, "optax 0.2.8's adam(nesterov=True) "
                                  "(and optax.nadam)", "optax/_src/transform.py, scale_by_adam"),
    },
)

ADAMW = ADAM.variant("adamw", "AdamW", adjust={
    "paper": Profile({"weight_decay": "decoupled_unscaled"}, {"wd": 1e-4},
                     "Loshchilov & Hutter (2019), Algorithm 2 with schedule multiplier 1"),
    "pytorch": Profile({"weight_decay": "decoupled"}, {"wd": 1e-2}, "torch.optim.AdamW"),
    "keras": Profile({"weight_decay": "decoupled"}, {"wd": 0.004}, "keras.optimizers.AdamW"),
    "optax": Profile({"weight_decay": "decoupled"}, {"wd": 1e-4}, "optax.adamw"),
    "d2l": None,
}, implementations={
    "optax_nesterov": Profile({"eps_root": "yes", "nesterov": "yes", "weight_decay": "decoupled"}, {"wd": 1e-4},
                              "optax 0.2.8's adamw(nesterov=True) (NAdamW)", "optax/_src/alias.py, adamw"),
})

AMSGRAD = ADAM.variant("amsgrad", "AMSGrad", adjust={
    "paper": Profile({"amsgrad": "raw", "bias_correction": "none"}, {"eps": 0.0},
                     "Reddi, Kale & Kumar (2018), Algorithm 2 (no bias correction, no eps)"),
    "pytorch": Profile({"amsgrad": "raw"}, {}, "torch.optim.Adam(amsgrad=True)"),
    "keras": Profile({"amsgrad": "raw"}, {}, "keras.optimizers.Adam(amsgrad=True)"),
    "optax": Profile({"amsgrad": "corrected"}, {}, "optax.amsgrad"),
    "d2l": None,
})

YOGI = ADAM.variant("yogi", "Yogi", second_moment="yogi", adjust={
    "paper": Profile({"bias_correction": "none"}, {"lr": 0.01, "eps": 1e-3},
                     "Zaheer et al. (2018), Algorithm 2 (m0 = v0 = 0, no bias correction)"),
    "pytorch": None,
    "keras": Profile({"init": "second_only", "eps_placement": "hat", "first_moment": "blend"},
                     {"lr": 0.01, "eps": 1e-3, "acc0": 1e-6}, "TF-Addons tfa.optimizers.Yogi"),
    "optax": Profile({"init": "accumulator"}, {"lr": 0.01, "eps": 1e-3, "acc0": 1e-6}, "optax.yogi"),
    "d2l": Profile({}, {"lr": 0.01, "eps": 1e-3}, "d2l.ai 12.10.3"),
}, implementations={
    "torch_optimizer": Profile({"init": "accumulator", "weight_decay": "l2"}, {"lr": 0.01, "eps": 1e-3, "acc0": 1e-6},
                               "torch-optimizer 0.3.0's Yogi", "torch_optimizer/yogi.py:136"),
    "pytorch_optimizer": Profile({"init": "accumulator", "weight_decay": "decoupled", "first_moment": "lerp"},
                                 {"lr": 0.01, "eps": 1e-3, "acc0": 1e-6}, "pytorch-optimizer 4.1.0's Yogi",
                                 "pytorch_optimizer/optimizer/yogi.py:106"),
    "pytorch_optimizer_adamd": Profile({"init": "accumulator", "weight_decay": "decoupled", "first_moment": "lerp",
                                        "bias_correction": "second"}, {"lr": 0.01, "eps": 1e-3, "acc0": 1e-6},
                                       "pytorch-optimizer 4.1.0's Yogi(adam_debias=True)",
                                       "pytorch_optimizer/optimizer/yogi.py:219, base/optimizer.py apply_adam_debias"),
})

ADABELIEF = ADAM.variant("adabelief", "AdaBelief", second_moment="belief", adjust={
    "paper": Profile({}, {"eps": 1e-16, "eps_root": 1e-16},
                     "Zhuang et al. (2020), Algorithm 2 (eps added to s_t and to the root)"),
    "pytorch": None, "keras": None, "d2l": None,
    "optax": Profile({}, {"eps": 1e-16, "eps_root": 1e-16}, "optax.adabelief"),
    "authors": Profile({"rectify": "ge", "eps_placement": "hat", "weight_decay": "decoupled"},
                       {"lr": 1e-3, "eps": 1e-16, "eps_root": 1e-16, "wd": 0.0},
                       "the authors' adabelief-pytorch 0.2.1 with its defaults (rectify=True, weight_decouple=True, "
                       "degenerated_to_sgd=True; eps_root = eps, added to s in place)",
                       "adabelief_pytorch/AdaBelief.py:175-179 (decay), 204 (s + eps in place), 224-238 (rectified step)"),
}, implementations={
    "authors_unrectified": Profile({"weight_decay": "decoupled"}, {"eps": 1e-16, "eps_root": 1e-16},
                                   "adabelief-pytorch 0.2.1 with rectify=False", "adabelief_pytorch/AdaBelief.py:204"),
    "torch_optimizer": Profile({"weight_decay": "l2"}, {"eps": 1e-8, "eps_root": 1e-8},
                               "torch-optimizer 0.3.0's AdaBelief", "torch_optimizer/adabelief.py:184"),
    "pytorch_optimizer": Profile({"weight_decay": "decoupled", "first_moment": "lerp"}, {"eps": 1e-16, "eps_root": 1e-16},
                                 "pytorch-optimizer 4.1.0's AdaBelief", "pytorch_optimizer/optimizer/adabelief.py:142"),
    "pytorch_optimizer_adamd": Profile({"weight_decay": "decoupled", "first_moment": "lerp", "bias_correction": "second"},
                                       {"eps": 1e-16, "eps_root": 1e-16}, "pytorch-optimizer 4.1.0's AdaBelief(adam_debias=True)",
                                       "pytorch_optimizer/base/optimizer.py apply_adam_debias"),
})

SPECS = (ADAM, ADAMW, AMSGRAD, YOGI, ADABELIEF)
