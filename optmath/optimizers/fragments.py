r"""Named fragments that specs are composed from (the optax idea, with equations).

Each fragment returns a list of :class:`~optmath.spec.Assign`; a builder concatenates them.
A variant of an optimizer is one swapped fragment (Yogi = Adam with
:func:`yogi_second_moment` instead of :func:`second_moment`) or one switch value.
"""
from __future__ import annotations

import sympy as sp

from ..spec import Assign, Dot, Hyper, Norm, StateVar, Switch, d, g, lr, sym, t, x

# --- hyperparameters that many specs share ------------------------------------------------
LR = Hyper("lr", r"\eta", "learning rate", 1e-3, 0.0, None, lo_open=True)
B1 = Hyper("b1", r"\beta_1", "decay of the first moment", 0.9, 0.0, 1.0, hi_open=True)
B2 = Hyper("b2", r"\beta_2", "decay of the second moment", 0.999, 0.0, 1.0, hi_open=True)
EPS = Hyper("eps", r"\epsilon", "numerical stabiliser", 1e-8, 0.0, None)
EPS_ROOT = Hyper("eps_root", r"\epsilon_{\mathrm{root}}", "stabiliser inside the square root", 0.0, 0.0, None)
WD = Hyper("wd", r"\lambda", "weight decay coefficient", 0.0, 0.0, None)
MU = Hyper("mu", r"\mu", "momentum coefficient", 0.9, 0.0, 1.0, hi_open=True)
THRESHOLD = Hyper("threshold", r"\rho_{\min}", "rectification threshold on rho_t", 5.0, None, None)

WEIGHT_DECAY_CHOICES = {
    "none": "no weight decay",
    "l2": "L2 penalty added to the gradient: g <- g + wd x",
    "decoupled": "decoupled decay times lr: x <- x - lr wd x (PyTorch AdamW, optax, Keras)",
    "decoupled_unscaled": "decoupled decay not times lr: x <- x - wd x (AdamW paper with "
                          "schedule multiplier 1, TF-Addons)",
    "decoupled_after": "decoupled decay after the step: x <- x (1 - lr wd) (pytorch-optimizer's LaProp)",
    "proximal": "proximal decay after the step: x <- x / (1 + lr wd) (Adan's paper and authors' code)",
}
#: the kinds of weight decay every rule admits (the frameworks apply them before the step);
#: a rule whose real code decays after the step adds ``decoupled_after`` or ``proximal``
STANDARD_DECAY = ("none", "l2", "decoupled", "decoupled_unscaled")

EMA_FORMS = {
    "blend": "b m + (1 - b) g (optax, paper)",
    "lerp": "m + (1 - b)(g - m) (PyTorch lerp_, Keras increment); equal in exact arithmetic",
}


def A(target: str, expr, note: str = "") -> Assign:
    return Assign(target, sp.sympify(expr), note)


def S(name: str) -> sp.Symbol:
    return sym(name)


def ema(state: str, beta: str, value, form: str = "blend", note: str = "") -> list[Assign]:
    """Exponential moving average ``state <- beta state + (1 - beta) value``."""
    s, b = S(state), S(beta)
    if form == "lerp":
        return [A(state, s + (1 - b) * (value - s), note)]
    return [A(state, b * s + (1 - b) * value, note)]


def l2_penalty(wd: str = "wd") -> list[Assign]:
    """Coupled weight decay: the L2 penalty's gradient added to ``g``."""
    return [A("g", g + S(wd) * x, "L2 penalty")]


def decoupled_decay(mode: str, wd: str = "wd", ratio=1) -> list[Assign]:
    """Decoupled weight decay applied to the previous iterate, before the step."""
    if mode == "decoupled":
        return [A("x", x - lr * S(wd) * ratio * x, "decoupled weight decay")]
    if mode == "decoupled_unscaled":
        return [A("x", x - S(wd) * ratio * x, "decoupled weight decay (not times lr)")]
    return []


def weight_decay_switch(*extra: str, first: str = "none") -> Switch:
    """The ``weight_decay`` convention switch: :data:`STANDARD_DECAY` and the ``extra`` kinds of
    :data:`WEIGHT_DECAY_CHOICES`, ``first`` the default (the one a profile that names none takes)."""
    names = [first] + [k for k in (*STANDARD_DECAY, *extra) if k != first]
    return Switch("weight_decay", "weight decay", {k: WEIGHT_DECAY_CHOICES[k] for k in names})


def decay_before(mode: str, wd: str = "wd", ratio=1) -> list[Assign]:
    """The weight decay of kind ``mode`` that acts before the step: the L2 penalty on ``g`` or a
    decoupled decay of ``x`` (nothing for ``none`` and for the kinds that act after the step)."""
    if mode == "l2":
        return l2_penalty(wd)
    return decoupled_decay(mode, wd, ratio)


def decay_after(mode: str, wd: str = "wd") -> list[Assign]:
    """The weight decay of kind ``mode`` that acts on the stepped iterate (``decoupled_after``,
    ``proximal``; nothing for the others)."""
    if mode == "decoupled_after":
        return [A("x", x * (1 - lr * S(wd)), "decoupled weight decay after the step")]
    if mode == "proximal":
        return [A("x", x / (1 + lr * S(wd)), "proximal weight decay")]
    return []


def second_moment(form: str = "blend") -> list[Assign]:
    """Adam's second moment: EMA of ``g**2``."""
    return ema("v", "b2", g**2, form if form == "blend" else "blend", "second moment")


def yogi_second_moment() -> list[Assign]:
    """Yogi's additive second moment: ``v <- v - (1 - b2) sign(v - g^2) g^2``."""
    v = S("v")
    return [A("v", v - (1 - S("b2")) * sp.sign(v - g**2) * g**2, "Yogi second moment")]


def belief_second_moment() -> list[Assign]:
    """AdaBelief: EMA of the squared prediction error ``(g - m)^2``, plus ``eps_root``."""
    v, m = S("v"), S("m")
    return [A("v", S("b2") * v + (1 - S("b2")) * (g - m) ** 2 + S("eps_root"), "belief (s_t)")]


def bias_correction(beta: str, shift: int = 0):
    """The factor ``1 - beta^(t + shift)`` by which an EMA started at zero is biased."""
    return 1 - S(beta) ** (t + shift)


THRESHOLD_RULES = {"gt": "rho_t > threshold", "ge": "rho_t >= threshold"}
BELOW_THRESHOLD = {"sgd": "lr m_hat (momentum SGD with bias correction)",
                   "skip": "no update (the RAdam authors' degenerated_to_sgd=False)"}


def sma_length(beta: str = "b2") -> list[Assign]:
    """RAdam's length of the approximated simple moving average, ``rho_t`` (Liu et al. 2020)."""
    b = S(beta)
    rho_inf = 2 / (1 - b) - 1
    return [A("rho_t", rho_inf - 2 * t * b**t / bias_correction(beta), "length of the approximated SMA")]


def rectifier(rule: str, beta: str = "b2"):
    """``(condition, r_t)`` of RAdam's rectification, on the ``rho_t`` of :func:`sma_length`:
    ``r_t = sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t))`` applies while
    ``rho_t`` passes the threshold by ``rule`` (``gt`` or ``ge``, :data:`THRESHOLD_RULES`)."""
    b, rho = S(beta), S("rho_t")
    rho_inf = 2 / (1 - b) - 1
    cond = rho > S("threshold") if rule == "gt" else rho >= S("threshold")
    return cond, sp.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))


RUNNING_MAX_CHOICES = {
    "none": "no maximum",
    "raw": "max of raw v, then corrected (PyTorch, Keras, Reddi; torch-optimizer's amsbound, "
           "pytorch-optimizer's ams_bound)",
    "corrected": "max of bias-corrected v (optax)",
}


def running_max_switch(*kinds: str) -> Switch:
    """The ``amsgrad`` switch: a running maximum of the second moment (:func:`running_max`), one
    name and one wording on every rule that admits it; ``kinds`` the rule admits (default all)."""
    kinds = kinds or tuple(RUNNING_MAX_CHOICES)
    return Switch("amsgrad", "running maximum of the second moment", {k: RUNNING_MAX_CHOICES[k] for k in kinds})


def running_max(mode: str, second, bc2=1, state: str = "vmax"):
    """AMSGrad's running maximum of the second moment ``second`` (kind ``mode`` of
    :data:`RUNNING_MAX_CHOICES`; ``bc2`` its bias correction).  Returns ``(updates, states,
    used, corrected)``: the update of the maximum, its state, the value the rule uses in place of
    ``second``, and whether that value is bias-corrected already (``corrected``: the rule must
    not divide by ``bc2`` again)."""
    if mode == "none":
        return [], [], second, False
    new = second if mode == "raw" else second / bc2
    st = StateVar(state, r"\hat v^{\max}", "running maximum of the second moment")
    return [A(state, sp.Max(S(state), new), "AMSGrad maximum")], [st], S(state), mode == "corrected"


BIAS_CORRECTION_CHOICES = {
    "both": "divide by 1 - b^t",
    "none": "no correction (Reddi's AMSGrad, Yogi paper)",
    "second": "the second moment only (AdamD, St John 2021; pytorch-optimizer's adam_debias=True)",
}


def bias_correction_switch(*kinds: str) -> Switch:
    """The ``bias_correction`` switch: which moments are divided by their bias factor
    ``1 - b^t`` (:data:`BIAS_CORRECTION_CHOICES`; ``kinds`` the rule admits, default all)."""
    kinds = kinds or tuple(BIAS_CORRECTION_CHOICES)
    return Switch("bias_correction", "bias correction of the moments", {k: BIAS_CORRECTION_CHOICES[k] for k in kinds})


NESTEROV_CHOICES = {
    "no": "m / (1 - b1^t)",
    "yes": "b1 m / (1 - b1^(t+1)) + (1 - b1) g / (1 - b1^t): the first moment looked ahead by one "
           "step (optax's nesterov=True, Dozat's NAdam at a constant momentum)",
}


def nesterov_switch() -> Switch:
    """The ``nesterov`` switch: the first moment the step uses looks one step ahead
    (:func:`first_moment_used`)."""
    return Switch("nesterov", "Nesterov look-ahead of the first moment", NESTEROV_CHOICES)


def first_moment_used(mode: str, correct: bool = True, beta: str = "b1", state: str = "m"):
    """The first moment a step uses: ``m / (1 - b1^t)`` (``correct``; else ``m``), or with
    ``mode = "yes"`` its Nesterov look-ahead ``b1 m / (1 - b1^(t+1)) + (1 - b1) g / (1 - b1^t)``
    (optax ``scale_by_adam(nesterov=True)``; without correction ``b1 m + (1 - b1) g``)."""
    b, m = S(beta), S(state)
    if mode == "yes":
        if correct:
            return b * m / bias_correction(beta, 1) + (1 - b) * g / bias_correction(beta)
        return b * m + (1 - b) * g
    return m / bias_correction(beta) if correct else m


def descend(direction, note: str = "") -> list[Assign]:
    return [A("x", x - lr * direction, note)]


__all__ = [
    "A", "S", "LR", "B1", "B2", "EPS", "EPS_ROOT", "WD", "MU", "THRESHOLD", "WEIGHT_DECAY_CHOICES",
    "STANDARD_DECAY", "weight_decay_switch", "decay_before", "decay_after",
    "EMA_FORMS", "ema", "l2_penalty", "decoupled_decay", "second_moment",
    "yogi_second_moment", "belief_second_moment", "bias_correction", "descend", "THRESHOLD_RULES",
    "BELOW_THRESHOLD", "sma_length", "rectifier", "RUNNING_MAX_CHOICES", "running_max_switch", "running_max",
    "NESTEROV_CHOICES", "nesterov_switch", "first_moment_used", "BIAS_CORRECTION_CHOICES", "bias_correction_switch",
    "Dot", "Norm", "StateVar", "Hyper", "d", "g", "lr", "t", "x",
]
