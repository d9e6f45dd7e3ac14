r"""Problem families: each declared once, one file, with its gradient, loss, optimum and draws.

The built-in families are the files of :mod:`optmath.problems.families` (a family is a call of
:func:`optmath.problems.family.family`; a user's own family is a file of the same form, see
:func:`load_family`).  Every generated kernel calls a family's ``gradient`` and ``loss`` (one
coordinate, scalars in and out; the family a compile-time choice of the kernel), and the draws of
the stochastic families are made *outside* the kernels from a seeded
:class:`numpy.random.Generator`, one number per step (:func:`draws`).

Families
--------
``quadratic``  ``f(x) = sum h/2 (x - c)^2``; optimum ``c``.
``periodic``   Reddi et al. (2018) Theorem 1 and their synthetic problem: ``f_t(x) = C x`` when
               ``(t - 1 - phase) mod n == 0``, else ``-D x``; optimise over ``[lo, hi]``
               (``reddi``: ``C = 3, n = 3, D = 1`` on ``[-1, 1]``; ``synthetic``:
               ``C = 1010, n = 101, D = 10``).
``stochastic`` Reddi et al. Theorem 3: ``C x`` with probability ``p``, else ``-D x``.
``finite_sum`` n components in the spirit of Zhang et al. (2022), whose sum has its minimum at
               ``x* = -2``; cyclic order or random reshuffling.
``sparse``     ``C x`` with probability ``p``, ``-D x`` with probability ``q``, else 0.
``heavy_tail`` ``(mu + xi_t) x`` with symmetric Pareto noise of tail index ``alpha``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from ..errors import DomainError, OptmathTypeError, UnknownNameError
from .family import Family, Param, family
from .families import finite_sum, heavy_tail, periodic, quadratic, sparse, stochastic

#: the built-in families by name, in the order of the module's table
FAMILIES: dict = {m.FAMILY.name: m.FAMILY for m in (quadratic, periodic, stochastic, finite_sum, sparse, heavy_tail)}
#: every name a problem can be made by: the families and their presets (reddi, synthetic)
NAMES: dict = {**FAMILIES, **{alias: f for f in FAMILIES.values() for alias in f.presets}}


def get_family(name: str) -> Family:
    """The built-in family ``name`` (or the family of a preset such as ``reddi``)."""
    fam = NAMES.get(name)
    if fam is None:
        raise UnknownNameError("problem", name, list(NAMES))
    return fam


_REGISTERED: dict = {(f.name, f.fingerprint): f for f in FAMILIES.values()}


def load_family(path: str) -> Family:
    """The family declared in the Python file ``path`` (its module's ``FAMILY``), a file of the
    same form as the built-in ones, imported as a module (it is code: load only files you
    trust); the generated kernels find it again with :func:`registered`."""
    import hashlib
    import importlib.util
    import os
    import sys

    if not os.path.isfile(path):
        raise DomainError(f"problem family file {path!r} does not exist")
    with open(path, "rb") as f:
        name = "optmath_family_" + hashlib.sha256(f.read()).hexdigest()[:16]
    mod = sys.modules.get(name)
    if mod is None:
        spec = importlib.util.spec_from_file_location(name, os.path.abspath(path))
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    fam = getattr(mod, "FAMILY", None)
    if not isinstance(fam, Family):
        raise OptmathTypeError(f"{path}: defines no FAMILY = family(...)")
    return register(fam)


def register(fam: Family) -> Family:
    """Make ``fam`` known to the generated kernels (built-in families are registered already)."""
    if not isinstance(fam, Family):
        raise OptmathTypeError(f"register takes a Family, got {type(fam).__name__}")
    return _REGISTERED.setdefault((fam.name, fam.fingerprint), fam)


def registered(name: str, fingerprint: str) -> Family:
    """The family a generated kernel names (by name and the hash of its file)."""
    fam = _REGISTERED.get((name, fingerprint))
    if fam is None:
        raise UnknownNameError("registered problem family", f"{name} ({fingerprint})",
                               [f"{n} ({k})" for n, k in _REGISTERED])
    return fam


@dataclass(frozen=True, eq=False)
class Problem:
    """A concrete problem: its family, the kernel parameters ``pp``, domain and optimum."""

    name: str
    family: Family
    pp: np.ndarray
    lo: float = -math.inf
    hi: float = math.inf
    xstar: float = 0.0
    stochastic: bool = False
    values: tuple = ()  # ((parameter, value), ...): every parameter, the domain's included

    @property
    def constrained(self) -> bool:
        return math.isfinite(self.lo) or math.isfinite(self.hi)

    def value(self, name: str) -> float:
        return dict(self.values)[name]


def make_problem(name, **params) -> Problem:
    """A problem of the family ``name`` (a built-in name or preset, or a :class:`Family`) with the
    given parameters (numbers, or text as on the command line); unknown names, unknown parameters
    and values outside their ranges raise one-line errors."""
    if isinstance(name, Family):
        fam, label, base = register(name), name.name, {}
    else:
        fam = get_family(name)
        label, base = name, fam.presets.get(name, {})
    params = dict(params)
    values: dict = {}
    for p in fam.params + fam.domain_params:
        values[p.name] = p.read(params.pop(p.name, base.get(p.name, p.default)), values)
    if params:
        raise DomainError(f"unknown parameter(s) {', '.join(sorted(params))} for problem {label!r}")
    if fam.check is not None:
        msg = fam.check(values)
        if msg:
            raise DomainError(msg)
    lo, hi = (float(v) for v in fam.domain(values))
    pp = np.array([values[p.name] for p in fam.params], dtype=np.float64)
    return Problem(label, fam, pp, lo, hi, float(fam.optimum(values)), fam.is_stochastic(values),
                   tuple(values.items()))


def draws(problem: Problem, steps: int, seed: int = 0) -> np.ndarray:
    """The per-step draws of a problem, seeded and outside the kernels (the family's ``draws``)."""
    out = np.asarray(problem.family.draws(np.random.default_rng(seed), int(steps), dict(problem.values)),
                     dtype=np.float64)
    if out.shape != (int(steps),):
        raise DomainError(f"problem family {problem.family.name}: draws gave shape {out.shape}, expected ({steps},)")
    return out


def parameter_rows(problems) -> np.ndarray:
    """The kernel parameters of a list of problems of one family, one row each."""
    fams = {q.family for q in problems}
    if len(fams) > 1:
        raise DomainError("a sweep runs one problem family, got " + ", ".join(sorted(f.name for f in fams)))
    return np.array([q.pp for q in problems], dtype=np.float64).reshape(len(problems), -1)


_STREAMS: dict = {}


def _stream_kernel(fam: Family):
    """A jitted loop over the steps of ``fam``'s gradient (the kernels' gradient function)."""
    hit = _STREAMS.get(fam)
    if hit is None:
        from numba import njit

        g = fam.grad_jit

        @njit(error_model="numpy")
        def stream(t, u, cyc, pp, out):
            for k in range(t.shape[0]):
                out[k] = g(0.0, t[k], u[k], cyc[k], *pp)
            return out

        hit = _STREAMS[fam] = stream
    return hit


def linear_gradients(problem: Problem, steps: int, seed: int = 0) -> np.ndarray:
    """The gradient of every step of a linear family (it does not depend on x), from the family's
    compiled gradient and the seeded draws of :func:`optmath.kernels.runner.run`: the explicit
    stream behind a run."""
    fam = problem.family
    if not fam.linear:
        raise DomainError(f"problem {problem.name!r} is not a linear family: its gradient depends on x")
    steps = int(steps)
    t = np.arange(1, steps + 1, dtype=np.float64)
    return _stream_kernel(fam)(t, draws(problem, steps, seed), fam.cycle_at(problem.pp, t), tuple(problem.pp),
                               np.empty(steps))


def gradient_scale(problem: Problem) -> float:
    """The typical gradient size of a problem (the family's ``scale``): the scale of regrets."""
    return float(problem.family.scale(dict(problem.values)))


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


__all__ = ["Problem", "Family", "Param", "family", "FAMILIES", "NAMES", "get_family", "load_family", "register", "registered", "make_problem",
           "parse_problem", "draws", "parameter_rows", "linear_gradients", "gradient_scale"]
