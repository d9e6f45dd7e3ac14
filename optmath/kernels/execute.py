r"""The calls into a generated run module, and the checks and arrays around them, without the spec.

Nothing here imports SymPy: :mod:`optmath.kernels.runner` (which resolves an
:class:`~optmath.spec.Algorithm`) and :mod:`optmath.kernels.quick` (a warm ``optmath run`` from
a stored plan) share these functions, so both give the same bits for the same inputs.
"""
from __future__ import annotations

import math

import numpy as np

from .. import limits
from .. import problems as P
from ..errors import DomainError, NonFiniteError, ShapeError, UnknownNameError
from . import compile_once
from .precision import PRECISIONS, check_precision, input_warnings, round_array, state_warning

SCHEDULES = ("constant", "inv_sqrt")

#: most states a registry rule keeps per coordinate (the default of trajectory_bytes)
MAX_STATES = 4


def trajectory_bytes(steps: int, dim: int = 1, record_states: bool = False, states: int = MAX_STATES) -> int:
    """Bytes :func:`~optmath.kernels.runner.run` allocates for a trajectory of ``steps`` steps:
    iterates, the states when recorded, losses, regrets and the learning rates (checked against
    the available memory before anything is allocated)."""
    rows = (steps + 1) * dim * (1 + (states if record_states else 0))
    return 8 * (rows + 3 * steps)


def learning_rates(lr: float, schedule, steps: int) -> np.ndarray:
    """Per-step learning rates: ``constant``, ``inv_sqrt`` (lr/sqrt(t)) or an explicit array."""
    if isinstance(schedule, str):
        if schedule == "constant":
            return np.full(steps, float(lr))
        if schedule == "inv_sqrt":  # lr times the multiplier 1/sqrt(t), as a sweep computes it
            return float(lr) * (1.0 / np.sqrt(np.arange(1, steps + 1, dtype=np.float64)))
        raise UnknownNameError("schedule", schedule, SCHEDULES)
    arr = np.asarray(schedule, dtype=np.float64)
    if arr.shape != (steps,):
        raise ShapeError(f"learning-rate array has shape {arr.shape}, expected ({steps},)")
    bad = np.flatnonzero(~(np.isfinite(arr) & (arr > 0)))
    if bad.size:
        raise DomainError(f"learning rate at step {bad[0] + 1} is {float(arr[bad[0]])!r}; must be finite and > 0")
    return arr


def initial_iterate(x0, dim) -> np.ndarray:
    """``x0`` as a float64 vector of ``dim`` coordinates (a scalar is broadcast)."""
    arr = np.asarray(x0, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(dim, float(arr))
    if arr.shape != (dim,):
        raise ShapeError(f"x0 has shape {arr.shape}, expected ({dim},) to match the gradients")
    if not np.all(np.isfinite(arr)):
        raise NonFiniteError(f"x0 contains a non-finite value {float(arr[~np.isfinite(arr)][0])!r}")
    return arr.copy()


def check_bounds(lo, hi):
    """The projection interval ``[lo, hi]`` as floats (``None``: unbounded), refused if empty."""
    lo = -math.inf if lo is None else float(lo)
    hi = math.inf if hi is None else float(hi)
    if not lo < hi or math.isnan(lo) or math.isnan(hi):
        raise DomainError(f"projection interval [{lo!r}, {hi!r}] is empty")
    return lo, hi


def start_arrays(hv: np.ndarray, init: np.ndarray, dim: int):
    """The input vector (``d`` = ``dim``) and the state array (states x coordinates) of a run,
    from a plan's ``hv`` and per-state initial values ``init``."""
    hv = np.array(hv, dtype=np.float64)
    hv[0] = float(dim)
    init = np.asarray(init, dtype=np.float64)
    st = np.ascontiguousarray(np.repeat(init[:, None], dim, axis=1)) if init.size else np.zeros((0, dim))
    return hv, st


def to_precision(mod, hv, init, lrs, x, precision: str):
    """The inputs of a run in ``precision``: the start and the initial states rounded to it (the
    hyperparameters and learning rates stay float64 scalars), with a
    :class:`~optmath.errors.PrecisionWarning` for each value the format cannot hold."""
    if check_precision(precision) == "float64":
        return hv, init, lrs, x
    named = {n: hv[k] for k, n in enumerate(mod.INPUTS) if k > 0}
    named["lr"] = float(np.min(lrs))
    named.update({f"x0[{i}]": v for i, v in enumerate(x) if v != 0.0} if x.size <= 8 else {})
    for line in input_warnings(named, precision):
        warn_precision(line)
    return hv, round_array(init, precision), lrs, round_array(x, precision)


def warn_precision(line: str) -> None:
    import warnings

    from ..errors import PrecisionWarning

    warnings.warn(PrecisionWarning(line), stacklevel=3)


def after_run(uf: np.ndarray, precision: str) -> None:
    """The warning for a state that underflowed during a low-precision run (``uf[0]``: its step)."""
    line = state_warning(int(uf[0]), precision) if precision != "float64" else None
    if line:
        warn_precision(line)


def oracle(load, hv, init, lr: float, prob, steps, x0, schedule, seed: int, lo=None, hi=None,
           record_states: bool = False, precision: str = "float64") -> dict:
    """Run the generated run module that ``load()`` returns on ``prob``'s gradient oracle (the
    checks first, then the module, the draws made outside the kernel and the call).  Returns ``xs``, ``srec``, ``losses``, ``regrets`` (cut
    at the first non-finite step) and ``bad_step`` (0 when every value stayed finite)."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise DomainError(f"steps = {steps!r} must be a positive integer")
    steps = limits.check_count("steps", steps, limits.MAX_STEPS)
    limits.check_seed(seed)
    dim0 = 1 if np.ndim(x0) == 0 else len(x0)
    ns = len(init)
    limits.check_memory(trajectory_bytes(steps, dim0, record_states, ns), f"a run of {steps:,} steps")
    lo_ = prob.lo if lo is None else float(lo)
    hi_ = prob.hi if hi is None else float(hi)
    lo_, hi_ = check_bounds(lo_, hi_)
    lrs = learning_rates(lr, schedule, int(steps))
    x = initial_iterate(x0, dim0)
    dim = x.shape[0]
    draws = P.draws(prob, int(steps), seed)
    mod = load()
    hv, init, lrs, x = to_precision(mod, np.asarray(hv, dtype=np.float64), np.asarray(init, dtype=np.float64), lrs, x,
                                    precision)
    hv, st = start_arrays(hv, init, dim)
    xs = np.empty((steps + 1, dim))
    srec = np.empty((steps + 1, ns, dim) if record_states else (1, ns, dim))
    losses, regrets = np.empty(steps), np.empty(steps)
    ctr0 = float(prob.family.cycle_start(prob.pp[None])[0])
    bad_step = compile_once.call(mod.run_oracle, x, st, hv, prob.pp, draws, lrs, lo_, hi_,
                                 bool(math.isfinite(lo_) or math.isfinite(hi_)), float(prob.xstar), ctr0, xs, srec,
                                 record_states, losses, regrets, np.empty((mod.KEPT, dim)), np.empty(dim),
                                 np.empty(dim), uf := np.zeros(1))
    after_run(uf, precision)
    n = bad_step or steps
    return {"xs": xs, "srec": srec, "losses": losses[:n], "regrets": regrets[:n], "bad_step": int(bad_step)}


__all__ = ["PRECISIONS", "to_precision", "after_run", "warn_precision", "SCHEDULES", "MAX_STATES", "trajectory_bytes", "learning_rates", "initial_iterate", "check_bounds",
           "start_arrays", "oracle"]
