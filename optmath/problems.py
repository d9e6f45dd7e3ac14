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
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from .errors import DomainError, UnknownNameError

QUADRATIC, PERIODIC, STOCHASTIC = 0, 1, 2


@njit(cache=True, error_model="numpy")
def _coef(prob, pp, t, u):
    """Slope of the linear families at step t (``u`` is the step's uniform draw)."""
    if prob == PERIODIC:
        n = int(pp[1])
        if (t - 1 - int(pp[2])) % n == 0:
            return pp[0]
        return -pp[3]
    if u < pp[1]:
        return pp[0]
    return -pp[2]


@njit(cache=True, error_model="numpy")
def grad(prob, pp, x, t, u, out):
    """Write the gradient of ``f_t`` at ``x`` into ``out``."""
    if prob == QUADRATIC:
        for i in range(x.shape[0]):
            out[i] = pp[0] * (x[i] - pp[1])
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
            s += 0.5 * pp[0] * (x[i] - pp[1]) ** 2
    else:
        c = _coef(prob, pp, t, u)
        for i in range(x.shape[0]):
            s += c * x[i]
    return s


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
    else:
        raise UnknownNameError("problem", name, ["quadratic", "periodic", "reddi", "synthetic", "stochastic"])
    if params:
        raise DomainError(f"unknown parameter(s) {', '.join(sorted(params))} for problem {name!r}")
    return prob


def linear_gradients(problem: Problem, steps: int, seed: int = 0) -> np.ndarray:
    """The gradient of every step of a linear family (it does not depend on x), with the same
    seeded draws as :func:`optmath.kernels.runner.run`: the explicit stream behind a run."""
    t = np.arange(1, steps + 1)
    C = float(problem.pp[0])
    if problem.code == PERIODIC:
        n, phase, D = int(problem.pp[1]), int(problem.pp[2]), float(problem.pp[3])
        return np.where((t - 1 - phase) % n == 0, C, -D)
    if problem.code == STOCHASTIC:
        u = np.random.default_rng(seed).random(steps)
        return np.where(u < float(problem.pp[1]), C, -float(problem.pp[2]))
    raise DomainError(f"problem {problem.name!r} is not a linear family: its gradient depends on x")


def gradient_scale(problem: Problem) -> float:
    """Mean absolute gradient of a linear family (curvature for the quadratic): the scale of regrets."""
    C = float(problem.pp[0])
    if problem.code == PERIODIC:
        n, D = float(problem.pp[1]), float(problem.pp[3])
        return (C + D * (n - 1)) / n
    if problem.code == STOCHASTIC:
        p, D = float(problem.pp[1]), float(problem.pp[2])
        return p * C + (1 - p) * D
    return C


def parse_problem(text: str) -> Problem:
    """Parse ``NAME[:k=v,k=v]`` (CLI syntax) without evaluating anything."""
    name, _, rest = text.partition(":")
    params = {}
    for item in filter(None, rest.split(",")):
        k, eq, v = item.partition("=")
        if not eq or not k.strip().isidentifier():
            raise DomainError(f"bad problem parameter {item!r}; expected key=value")
        params[k.strip()] = v.strip()
    return make_problem(name.strip(), **params)
