r"""Expectations and variances of the moment estimators, exact, derived from the recurrences.

For a linear state :math:`s_t = a s_{t-1} + c\,\phi(g_t)`, :math:`s_0 = 0`, with independent
gradients,

.. math:: E[s_t] = \sum_i w_{t,i} E[\phi(g_i)], \qquad
          \mathrm{Var}[s_t] = \sum_i w_{t,i}^2 \mathrm{Var}[\phi(g_i)].

:func:`iid_moments` evaluates both for Gaussian gradients :math:`N(\mu, \sigma^2)` (the moments of
:math:`\phi(g)` come from :mod:`sympy.stats`), together with the bias-corrected estimator
:math:`\hat s_t = s_t / W_t`.  :func:`drift_moments` does the same for a mean that drifts
linearly, :math:`E[\phi(g_i)] = p + \delta i`, and returns Kingma & Ba's :math:`\zeta_t`
(the part of :math:`E[s_t]` that is not :math:`W_t E[\phi(g_t)]`) in closed form.
Every sum is checked against the recurrence it must satisfy, never trusted alone.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp
from sympy import stats

from ..spec import Algorithm, g
from .checks import simplifies_to_zero, worst_at_points
from .ema import T_, _drop_unit_branch, analyse, i_, limit_t_inf

MU = sp.Symbol("mu", real=True)
SIGMA = sp.Symbol("sigma", positive=True)
DELTA = sp.Symbol("delta", real=True)
P0 = sp.Symbol("p", real=True)


def _sum(expr):
    return sp.factor(sp.simplify(_drop_unit_branch(sp.summation(expr, (i_, 1, T_)))))


@dataclass
class Moments:
    """Mean and variance of a state and of its bias-corrected form, with the checks."""

    optimizer: str
    state: str
    model: str
    drive_mean: sp.Expr
    drive_var: sp.Expr | None
    mean: sp.Expr
    variance: sp.Expr | None
    corrected_mean: sp.Expr
    corrected_variance: sp.Expr | None
    bias_of_corrected: sp.Expr  # E[s_hat_t] - E[phi(g_t)]
    zeta: sp.Expr | None = None
    corrected_bias_limit: sp.Expr | None = None
    checks: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        out = {}
        for k, v in self.__dict__.items():
            out[k] = v if isinstance(v, (dict, str)) or v is None else str(v)
        return out


def _gaussian_drive_moments(drive):
    X = stats.Normal("X", MU, SIGMA)
    phi = drive.subs(g, X)
    mean = sp.simplify(stats.E(phi))
    var = sp.simplify(sp.expand(stats.E(sp.expand(phi**2)) - mean**2))
    return mean, var


def iid_moments(alg: Algorithm, state: str) -> Moments:
    r"""Exact :math:`E` and :math:`\mathrm{Var}` of ``state`` and of its corrected form for
    i.i.d. Gaussian gradients :math:`N(\mu, \sigma^2)`.

    >>> from optmath import get_spec
    >>> m = iid_moments(get_spec("adam").resolve("paper"), "m")
    >>> m.mean, m.bias_of_corrected
    (mu*(1 - b1**t), 0)
    """
    form = analyse(alg, state)
    rec = form.recurrence
    a, c = rec.decay, rec.gain
    if form.weight_sum is None:
        raise ValueError(f"{state} has time-varying coefficients; no closed-form moments")
    dm, dv = _gaussian_drive_moments(rec.drive)
    W = form.weight_sum
    W2 = _sum((c * a ** (T_ - i_)) ** 2)
    mean = sp.factor(W * dm)
    var = sp.factor(W2 * dv)
    cm = sp.simplify(mean / W)
    cv = sp.factor(sp.simplify(var / W**2))
    checks = {
        "mean_satisfies_recurrence": simplifies_to_zero(mean - a * mean.subs(T_, T_ - 1) - c * dm),
        "variance_satisfies_recurrence": simplifies_to_zero(var - a**2 * var.subs(T_, T_ - 1) - c**2 * dv),
        "mean_base_case": simplifies_to_zero(mean.subs(T_, 1) - c * dm),
        "variance_base_case": simplifies_to_zero(var.subs(T_, 1) - c**2 * dv),
        "squared_weight_sum_at_random_points": worst_at_points(
            W2.subs(T_, 7) - sum((c * a ** (7 - k)) ** 2 for k in range(1, 8)), n=10).zero,
    }
    return Moments(rec.optimizer, state, "iid N(mu, sigma^2)", dm, dv, mean, var, cm, cv,
                   sp.simplify(cm - dm), checks=checks)


def drift_moments(alg: Algorithm, state: str) -> Moments:
    r"""Means under a linearly drifting input, :math:`E[\phi(g_i)] = p + \delta i`.

    Returns :math:`E[s_t]`, Kingma & Ba's
    :math:`\zeta_t = E[s_t] - W_t E[\phi(g_t)] = -\delta \sum_i w_{t,i}(t - i)`, and the limit of
    the corrected estimator's bias :math:`\zeta_t / W_t` (a lag of :math:`-\delta a/(1-a)` for an
    EMA: bias correction does not remove it).
    """
    form = analyse(alg, state)
    rec = form.recurrence
    a, c = rec.decay, rec.gain
    W = form.weight_sum
    if W is None:
        raise ValueError(f"{state} has time-varying coefficients; no closed-form moments")
    w = c * a ** (T_ - i_)
    mean = _sum(w * (P0 + DELTA * i_))
    zeta = sp.factor(sp.simplify(mean - W * (P0 + DELTA * T_)))
    corrected_bias = sp.simplify(zeta / W)
    lim = limit_t_inf(corrected_bias) if form.limit_sum is not None else None
    checks = {
        "mean_satisfies_recurrence": simplifies_to_zero(
            mean - a * mean.subs(T_, T_ - 1) - c * (P0 + DELTA * T_)),
        "mean_base_case": simplifies_to_zero(mean.subs(T_, 1) - c * (P0 + DELTA)),
        "zeta_vanishes_without_drift": simplifies_to_zero(zeta.subs(DELTA, 0)),
        "zeta_at_random_points_t_9": worst_at_points(
            zeta.subs(T_, 9) + DELTA * sum(w.subs({T_: 9, i_: k}) * (9 - k) for k in range(1, 10)),
            n=10).zero,
    }
    if lim is not None:
        checks["corrected_bias_limit_is_lag"] = simplifies_to_zero(lim + DELTA * form.mean_age)
    return Moments(rec.optimizer, state, "drift E[phi(g_i)] = p + delta i", P0 + DELTA * T_, None,
                   mean, None, sp.simplify(mean / W), None, corrected_bias, zeta, lim, checks)


def ratio_bias_first_step() -> dict:
    r"""At ``t = 1`` Adam's direction is :math:`\hat m_1/\sqrt{\hat v_1} = g_1/|g_1| =
    \mathrm{sign}(g_1)`, so for :math:`g \sim N(\mu, \sigma^2)` its mean is
    :math:`\mathrm{erf}(\mu/(\sigma\sqrt2))`, not the ratio of the (unbiased) corrected means
    :math:`\mu/\sqrt{\mu^2+\sigma^2}`.  Returns both, and their difference."""
    X = stats.Normal("X", MU, SIGMA)
    exact = sp.simplify(stats.P(X > 0) - stats.P(X < 0))
    target = MU / sp.sqrt(MU**2 + SIGMA**2)
    return {"mean_of_direction": exact, "ratio_of_means": target,
            "difference": sp.simplify(exact - target)}
