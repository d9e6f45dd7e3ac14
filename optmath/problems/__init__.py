r"""Gradient oracles: problem families with their optimum and regret.

Every family is a jitted branch of :func:`grad` and :func:`loss` selected by an integer code,
with its parameters in a float64 vector ``pp``; randomness (the stochastic families) is drawn
*outside* the kernels from a seeded :class:`numpy.random.Generator` and passed in as one
uniform number per step.

Families
--------
``quadratic``  ``f(x) = sum h/2 (x - c)^2``; ``pp = [h, c]``; optimum ``c``.
``periodic``   Reddi et al. (2018) Theorem 1 and their synthetic problem: ``f_t(x) = C x`` when
               ``(t - 1 - phase) mod n == 0``, else ``-D x``; ``pp = [C, n, phase, D]``;
               optimise over ``[lo, hi]`` (Reddi: ``[-1, 1]``, ``C = 3, n = 3, D = 1``).
``stochastic`` Reddi et al. Theorem 3: ``C x`` with probability ``p``, else ``-D x``;
               ``pp = [C, p, D]``.
``finite_sum`` the n-component family in the spirit of Zhang et al. (2022)'s divergence study:
               Reddi's components ``f_0 = n x``, ``f_i = -x`` (i >= 1) for ``x >= -1``, continued
               to the whole real line by quadratic pieces with matching value and slope,
               ``f_0 = n/2 (x+2)^2 - 3n/2`` and ``f_i = -(x+2)^2/2 + 3/2`` for ``x < -1``; the sum is
               ``x`` (``x >= -1``) and ``(x+2)^2/2 - 3/2`` below, with its minimum at ``x* = -2``.
               Unconstrained; one component per step in cyclic order (``order = 0``) or by
               random reshuffling, a fresh permutation per epoch (``order = 1``);
               ``pp = [n, order]``.
``sparse``     sparse gradients on ``[-1, 1]``: ``C x`` with probability ``p``, ``-D x`` with
               probability ``q``, else 0 (most steps carry no gradient); ``pp = [C, p, D, q]``.
``heavy_tail`` ``(mu + xi_t) x`` on ``[-1, 1]`` with symmetric Pareto noise of tail index
               ``alpha`` and scale ``s``: ``xi = s sign(u - 1/2) ((2|u - 1/2|)^(-1/alpha) - 1)``
               (infinite variance for ``alpha <= 2``); ``pp = [mu, alpha, s]``.

Every family's draws come from :func:`draws` (one number per step, seeded, outside the kernels).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..errors import DomainError, UnknownNameError

QUADRATIC, PERIODIC, STOCHASTIC, FINITE_SUM, SPARSE, HEAVY_TAIL = 0, 1, 2, 3, 4, 5


@njit(cache=True, error_model="numpy")
def coef1(prob, p0, p1, p2, p3, t, u):
    """Slope of the linear families at step t (``u`` is the step's draw), from the parameters
    ``pp[0..3]`` passed one by one, so a lane of a blocked kernel can call it."""
    if prob == PERIODIC:
        n = int(p1)
        if (t - 1 - int(p2)) % n == 0:
            return p0
        return -p3
    if prob == SPARSE:
        if u < p1:
            return p0
        if u < p1 + p3:
            return -p2
        return 0.0
    if prob == HEAVY_TAIL:
        h = u - 0.5
        mag = (2.0 * abs(h)) ** (-1.0 / p1) - 1.0
        return p0 + p2 * (mag if h >= 0 else -mag)
    if u < p1:
        return p0
    return -p2


@njit(cache=True, error_model="numpy")
def _coef(prob, pp, t, u):
    """Slope of the linear families at step t (``u`` is the step's draw)."""
    p3 = pp[3] if pp.shape[0] > 3 else 0.0
    return coef1(prob, pp[0], pp[1], pp[2] if pp.shape[0] > 2 else 0.0, p3, t, u)


@njit(cache=True, error_model="numpy")
def quad_grad1(h, c, xi):
    return h * (xi - c)


@njit(cache=True, error_model="numpy")
def quad_loss1(h, c, xi):
    return 0.5 * h * (xi - c) ** 2


@njit(cache=True, error_model="numpy")
def lin_loss1(c, xi):
    """One coordinate's linear loss as :func:`loss` accumulates it from 0."""
    return 0.0 + c * xi


@njit(cache=True, error_model="numpy")
def _fs_grad(n, first, xi):
    """Gradient of one finite-sum component (``first``: the component with slope n)."""
    if xi >= -1.0:
        return n if first else -1.0
    return n * (xi + 2.0) if first else -(xi + 2.0)


@njit(cache=True, error_model="numpy")
def _fs_loss(n, first, xi):
    if xi >= -1.0:
        return n * xi if first else -xi
    return 0.5 * n * (xi + 2.0) ** 2 - 1.5 * n if first else -0.5 * (xi + 2.0) ** 2 + 1.5


@njit(cache=True, error_model="numpy")
def grad(prob, pp, x, t, u, out):
    """Write the gradient of ``f_t`` at ``x`` into ``out``."""
    if prob == QUADRATIC:
        for i in range(x.shape[0]):
            out[i] = quad_grad1(pp[0], pp[1], x[i])
    elif prob == FINITE_SUM:  # u is the component index of this step
        for i in range(x.shape[0]):
            out[i] = _fs_grad(pp[0], u == 0.0, x[i])
    else:
        c = _coef(prob, pp, t, u)
        for i in range(x.shape[0]):
            out[i] = c
    return out


@njit(cache=True, error_model="numpy")
def loss(prob, pp, x, t, u):
    """``f_t(x)`` summed over coordinates."""
    s = 0.0
    if prob == QUADRATIC:
        for i in range(x.shape[0]):
            s += quad_loss1(pp[0], pp[1], x[i])
    elif prob == FINITE_SUM:
        for i in range(x.shape[0]):
            s += _fs_loss(pp[0], u == 0.0, x[i])
    else:
        c = _coef(prob, pp, t, u)
        for i in range(x.shape[0]):
            s += c * x[i]
    return s


def draws(problem: "Problem", steps: int, seed: int = 0) -> np.ndarray:
    """The per-step draws of a problem, seeded and outside the kernels: uniforms for the
    stochastic families, the component index for the finite sum (cyclic, or a fresh
    permutation per epoch), zeros otherwise."""
    rng = np.random.default_rng(seed)
    if problem.code == FINITE_SUM:
        n = int(problem.pp[0])
        if problem.pp[1] == 0:
            return (np.arange(steps) % n).astype(np.float64)
        epochs = -(-steps // n)
        return np.concatenate([rng.permutation(n) for _ in range(epochs)])[:steps].astype(np.float64)
    if problem.stochastic:
        return rng.random(steps)
    return np.zeros(steps)


@dataclass(frozen=True)
class Problem:
    """A concrete problem: family code, parameters, domain and optimum."""

    name: str
    code: int
    pp: np.ndarray
    lo: float = -math.inf
    hi: float = math.inf
    xstar: float = 0.0
    stochastic: bool = False

    @property
    def constrained(self) -> bool:
        return math.isfinite(self.lo) or math.isfinite(self.hi)


def _need(params, name, default, lo=None, hi=None, lo_open=False):
    v = params.pop(name, default)
    try:
        v = float(v)
    except (TypeError, ValueError):
        raise DomainError(f"problem parameter {name} = {v!r} is not a number") from None
    if not math.isfinite(v) or (lo is not None and (v < lo or (lo_open and v == lo))) or (hi is not None and v > hi):
        raise DomainError(f"problem parameter {name} = {v!r} is outside its valid range")
    return v


def make_problem(name: str, **params) -> Problem:
    """Build a problem by family name; unknown names and bad parameters raise one-line errors."""
    params = dict(params)
    if name == "quadratic":
        h = _need(params, "h", 1.0, 0.0, lo_open=False)
        c = _need(params, "c", 0.0)
        prob = Problem(name, QUADRATIC, np.array([h, c]), xstar=c)
    elif name in ("periodic", "reddi", "synthetic"):
        base = {"reddi": (3.0, 3.0, 0.0, 1.0), "synthetic": (1010.0, 101.0, 0.0, 10.0)}.get(name, (3.0, 3.0, 0.0, 1.0))
        C = _need(params, "C", base[0], 0.0, lo_open=True)
        n = _need(params, "n", base[1], 1.0)
        if n != int(n):
            raise DomainError(f"problem parameter n = {n!r} must be an integer")
        phase = _need(params, "phase", base[2], 0.0, n - 1)
        D = _need(params, "D", base[3], 0.0, lo_open=True)
        lo, hi = _need(params, "lo", -1.0), _need(params, "hi", 1.0)
        if not lo < hi:
            raise DomainError(f"problem domain lo = {lo!r} must be below hi = {hi!r}")
        mean = (C - D * (n - 1)) / n
        prob = Problem(name, PERIODIC, np.array([C, n, phase, D]), lo, hi, lo if mean > 0 else hi)
    elif name == "stochastic":
        C = _need(params, "C", 3.0, 0.0, lo_open=True)
        p = _need(params, "p", 0.4, 0.0, 1.0)
        D = _need(params, "D", 1.0, 0.0, lo_open=True)
        lo, hi = _need(params, "lo", -1.0), _need(params, "hi", 1.0)
        if not lo < hi:
            raise DomainError(f"problem domain lo = {lo!r} must be below hi = {hi!r}")
        mean = p * C - (1 - p) * D
        prob = Problem(name, STOCHASTIC, np.array([C, p, D]), lo, hi, lo if mean > 0 else hi, True)
    elif name == "finite_sum":
        n = _need(params, "n", 20.0, 2.0)
        order = params.pop("order", "cyclic")
        if n != int(n):
            raise DomainError(f"problem parameter n = {n!r} must be an integer")
        if order not in ("cyclic", "reshuffle"):
            raise DomainError(f"problem parameter order = {order!r} must be 'cyclic' or 'reshuffle'")
        prob = Problem(name, FINITE_SUM, np.array([n, 0.0 if order == "cyclic" else 1.0]), xstar=-2.0,
                       stochastic=order == "reshuffle")
    elif name == "sparse":
        C = _need(params, "C", 10.0, 0.0, lo_open=True)
        p = _need(params, "p", 0.01, 0.0, 1.0)
        D = _need(params, "D", 1.0, 0.0, lo_open=True)
        q = _need(params, "q", 0.05, 0.0, 1.0)
        if p + q > 1:
            raise DomainError(f"problem parameters p + q = {p + q!r} must not exceed 1")
        mean = p * C - q * D
        prob = Problem(name, SPARSE, np.array([C, p, D, q]), -1.0, 1.0, -1.0 if mean > 0 else 1.0, True)
    elif name == "heavy_tail":
        mu = _need(params, "mu", 0.1)
        alpha = _need(params, "alpha", 1.5, 0.0, lo_open=True)
        scale = _need(params, "s", 1.0, 0.0)
        if mu == 0:
            raise DomainError("problem parameter mu = 0 leaves no unique optimum")
        prob = Problem(name, HEAVY_TAIL, np.array([mu, alpha, scale]), -1.0, 1.0, -1.0 if mu > 0 else 1.0, True)
    else:
        raise UnknownNameError("problem", name, ["quadratic", "periodic", "reddi", "synthetic", "stochastic",
                                                 "finite_sum", "sparse", "heavy_tail"])
    if params:
        raise DomainError(f"unknown parameter(s) {', '.join(sorted(params))} for problem {name!r}")
    return prob


def parameter_rows(problems) -> np.ndarray:
    """The parameter vectors of a list of problems, one row each, padded with zeros to the
    four slots that :func:`coef1` reads."""
    rows = np.zeros((len(problems), 4))
    for i, q in enumerate(problems):
        rows[i, :q.pp.shape[0]] = q.pp
    return rows


def linear_gradients(problem: Problem, steps: int, seed: int = 0) -> np.ndarray:
    """The gradient of every step of a linear family (it does not depend on x), from the same
    jitted oracle and seeded draws as :func:`optmath.kernels.runner.run`: the explicit stream
    behind a run."""
    if problem.code in (QUADRATIC, FINITE_SUM):
        raise DomainError(f"problem {problem.name!r} is not a linear family: its gradient depends on x")
    u = draws(problem, steps, seed)
    return np.array([_coef(problem.code, problem.pp, k + 1, u[k]) for k in range(steps)])


def gradient_scale(problem: Problem) -> float:
    """Mean absolute gradient of a linear family (curvature for the quadratic): the scale of regrets."""
    C = float(problem.pp[0])
    if problem.code == PERIODIC:
        n, D = float(problem.pp[1]), float(problem.pp[3])
        return (C + D * (n - 1)) / n
    if problem.code == STOCHASTIC:
        p, D = float(problem.pp[1]), float(problem.pp[2])
        return p * C + (1 - p) * D
    if problem.code == SPARSE:
        return float(problem.pp[1]) * C + float(problem.pp[3]) * float(problem.pp[2])
    if problem.code == HEAVY_TAIL:
        return abs(C) + float(problem.pp[2])
    if problem.code == FINITE_SUM:
        return 2.0 * (C - 1.0) / C  # mean |slope| of the components on x >= -1
    return C


def parse_problem(text: str) -> Problem:
    """Parse ``NAME[:k=v,k=v]`` (CLI syntax) without evaluating anything."""
    name, _, rest = text.partition(":")
    params = {}
    for item in filter(None, rest.split(",")):
        k, eq, v = item.partition("=")
        if not eq or not k.strip().isidentifier():
            raise DomainError(f"bad problem parameter {item!r}; expected key=value")
        if k.strip() in params:
            raise DomainError(f"problem parameter {k.strip()} given twice ({params[k.strip()]} and {v.strip()})")
        params[k.strip()] = v.strip()
    return make_problem(name.strip(), **params)
