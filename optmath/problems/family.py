r"""A problem family, declared once: parameters, gradient, loss, optimum, domain and draws.

A family is one file (``optmath/problems/families/<name>.py``, or a user's own) that calls
:func:`family` with

- ``params``: the :class:`Param` s of the kernels, in order (they are the slots ``p0, p1, ...``
  of every generated kernel, at most :data:`MAX_PARAMS`); ``domain_params`` those that only set
  the feasible interval (``lo``, ``hi``);
- ``gradient(x, t, u, cyc, *params)`` and ``loss(x, t, u, cyc, *params)``: one coordinate's
  gradient and loss (``loss=None`` for a linear family: its loss is ``gradient * x``) at step ``t`` (a float, from 1) with the step's draw ``u`` and the position
  ``cyc`` in the family's cycle (0.0 when it has none).  They are plain Python on floats, with
  ``abs``, ``math`` functions, comparisons and conditional expressions: Numba compiles them for
  the CPU kernels (:attr:`Family.grad_jit`), CUDA as device functions, and every generated
  kernel calls them, so a family's arithmetic is written here and nowhere else;
- ``optimum(values)``, ``domain(values)`` and ``scale(values)`` on the parameter values (a dict):
  the minimiser of the average loss over the domain, the feasible interval, and the gradient's
  typical size (the scale of regrets);
- ``draws(rng, steps, values)``: the per-step draws, made with a seeded
  :class:`numpy.random.Generator` *outside* the kernels (:data:`NO_DRAWS` when the family is
  deterministic, :func:`uniform_draws` for one uniform per step);
- ``cycle``: ``(period, offset)`` names of two parameters when the gradient repeats with a
  period (Reddi et al.'s problem): the kernels keep ``cyc = (t - 1 - offset) mod period`` as a
  counter, without a division per step;
- ``linear``: whether the gradient does not depend on ``x`` (then a run's gradient stream can be
  written out, :func:`optmath.problems.linear_gradients`, and replayed with certificates).

The generated kernels take the family as a compile-time choice: their source names the family's
module and a hash of its file (:attr:`Family.fingerprint`), so an edited family gets new kernels.
"""
from __future__ import annotations

import hashlib
import inspect
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import DomainError, OptmathTypeError

#: most kernel parameters of a family (the slots p0 .. p3 of the generated kernels)
MAX_PARAMS = 4
#: the arguments of ``gradient`` and ``loss`` before the parameters
LEADING = ("x", "t", "u", "cyc")


@dataclass(frozen=True)
class Param:
    """A parameter: default, valid range (``lo``/``hi`` inclusive unless ``*_open``; ``hi`` may
    name another parameter, read first), integer-valued or one of named ``choices``."""

    name: str
    default: float | str
    lo: float | None = None
    hi: float | str | None = None
    lo_open: bool = False
    integer: bool = False
    choices: tuple = ()  # ((text, value), ...): a parameter given by name (finite_sum's order)
    doc: str = ""

    def read(self, raw, values: dict) -> float:
        """The value of ``raw`` (text or number), checked; a one-line DomainError otherwise."""
        if self.choices:
            table = dict(self.choices)
            if raw not in table:
                names = " or ".join(repr(k) for k, _ in self.choices)
                raise DomainError(f"problem parameter {self.name} = {raw!r} must be {names}")
            return float(table[raw])
        try:
            v = float(raw)
        except (TypeError, ValueError):
            raise DomainError(f"problem parameter {self.name} = {raw!r} is not a number") from None
        hi = values[self.hi] - 1 if isinstance(self.hi, str) else self.hi  # "n": an index below n
        if (not math.isfinite(v) or (self.lo is not None and (v < self.lo or (self.lo_open and v == self.lo)))
                or (hi is not None and v > hi)):
            raise DomainError(f"problem parameter {self.name} = {raw!r} is outside its valid range")
        if self.integer and v != int(v):
            raise DomainError(f"problem parameter {self.name} = {raw!r} must be an integer")
        return v


def _zeros(rng, steps: int, values: dict) -> np.ndarray:
    return np.zeros(steps)


def _uniform(rng, steps: int, values: dict) -> np.ndarray:
    return rng.random(steps)


#: draws of a deterministic family (zeros) and of one uniform number per step
NO_DRAWS: Callable = _zeros
uniform_draws: Callable = _uniform


@dataclass(frozen=True, eq=False)
class Family:
    """A declared problem family (see the module's documentation); build with :func:`family`."""

    name: str
    params: tuple
    gradient: Callable
    loss: Callable | None  # None: linear, loss = gradient * x
    optimum: Callable
    domain: Callable
    scale: Callable
    draws: Callable = NO_DRAWS
    domain_params: tuple = ()
    presets: dict = field(default_factory=dict)  # another name with other defaults (reddi, synthetic)
    check: Callable | None = None  # values -> error text or None (constraints between parameters)
    cycle: tuple | None = None
    linear: bool = False
    stochastic: Callable | bool = False  # values -> bool where the draws depend on a parameter
    doc: str = ""
    source: str = ""

    @property
    def names(self) -> tuple:
        """Every parameter a problem of this family takes (kernel and domain parameters)."""
        return tuple(p.name for p in self.params + self.domain_params)

    @property
    def fingerprint(self) -> str:
        """A hash of the family's source file (the generated kernels name it: an edit gives new kernels)."""
        return hashlib.sha256(self.source.encode()).hexdigest()[:16]

    @property
    def grad_jit(self):
        return _jitted(self, "gradient")

    @property
    def loss_jit(self):
        """The compiled ``loss`` (``None`` for a linear family without one: ``gradient * x``)."""
        return None if self.loss is None else _jitted(self, "loss")

    def loss_value(self, x: float, t: float, u: float, cyc: float, pp) -> float:
        """One coordinate's loss as the kernels compute it."""
        if self.loss is None:
            return self.grad_jit(x, t, u, cyc, *pp) * x
        return self.loss_jit(x, t, u, cyc, *pp)

    def is_stochastic(self, values: dict) -> bool:
        return bool(self.stochastic(values)) if callable(self.stochastic) else bool(self.stochastic)

    def cycle_start(self, pp: np.ndarray) -> np.ndarray:
        """Each configuration's ``cyc`` at step 1, ``(-offset) mod period`` (``pp``: (N, params)),
        zeros for a family without a cycle."""
        if self.cycle is None:
            return np.zeros(pp.shape[0])
        k = [p.name for p in self.params]
        period, offset = pp[:, k.index(self.cycle[0])], pp[:, k.index(self.cycle[1])]
        return np.mod(-np.floor(offset), period)

    def cycle_at(self, pp: np.ndarray, t: np.ndarray) -> np.ndarray:
        """``cyc`` at steps ``t`` of one problem (parameters ``pp``), the counter's value."""
        if self.cycle is None:
            return np.zeros(np.shape(t))
        k = [p.name for p in self.params]
        period, offset = pp[k.index(self.cycle[0])], pp[k.index(self.cycle[1])]
        return np.mod(np.asarray(t, dtype=np.float64) - 1.0 - np.floor(offset), period)


_JIT: dict = {}


def _jitted(fam: Family, what: str):
    """The Numba-compiled ``gradient`` or ``loss`` of ``fam`` (one dispatcher per function)."""
    fn = getattr(fam, what)
    hit = _JIT.get(id(fn))
    if hit is None or hit[0] is not fn:
        from numba import njit

        hit = _JIT[id(fn)] = (fn, njit(cache=True, error_model="numpy")(fn))
    return hit[1]


def family(name: str, *, params, gradient, loss, optimum, domain, scale, draws=NO_DRAWS, domain_params=(),
           presets=None, check=None, cycle=None, linear=False, stochastic=False, doc="") -> Family:
    """Declare a family, checking the declaration (one-line errors naming the bad field)."""
    if not isinstance(name, str) or not name.isidentifier():
        raise DomainError(f"problem family name {name!r} must be an identifier")
    params, domain_params = tuple(params), tuple(domain_params)
    if not 1 <= len(params) <= MAX_PARAMS:
        raise DomainError(f"problem family {name}: {len(params)} kernel parameters; between 1 and {MAX_PARAMS}")
    for p in params + domain_params:
        if not isinstance(p, Param):
            raise OptmathTypeError(f"problem family {name}: parameter {p!r} is not a Param")
    seen = [p.name for p in params + domain_params]
    if len(set(seen)) != len(seen):
        raise DomainError(f"problem family {name}: a parameter name is repeated in {seen}")
    if loss is None and not linear:
        raise DomainError(f"problem family {name}: loss=None (gradient times x) needs linear=True")
    for role, fn in (("gradient", gradient), ("loss", loss)):
        if fn is None and role == "loss":
            continue
        if not callable(fn):
            raise OptmathTypeError(f"problem family {name}: {role} is not a function")
        args = tuple(inspect.signature(fn).parameters)
        want = LEADING + tuple(p.name for p in params)
        if args != want:
            raise DomainError(f"problem family {name}: {role} takes ({', '.join(args)}); expected ({', '.join(want)})")
    for role, fn in (("optimum", optimum), ("domain", domain), ("scale", scale), ("draws", draws)):
        if not callable(fn):
            raise OptmathTypeError(f"problem family {name}: {role} is not a function")
    if cycle is not None and (len(cycle) != 2 or any(c not in [p.name for p in params] for c in cycle)):
        raise DomainError(f"problem family {name}: cycle {cycle!r} must name two kernel parameters (period, offset)")
    try:
        source = inspect.getsource(inspect.getmodule(gradient))
    except (OSError, TypeError):  # pragma: no cover - defined where no source is kept
        source = name
    return Family(name, params, gradient, loss, optimum, domain, scale, draws, domain_params, dict(presets or {}),
                  check, cycle, bool(linear), stochastic, doc, source)


__all__ = ["Family", "Param", "family", "NO_DRAWS", "uniform_draws", "MAX_PARAMS", "LEADING"]
