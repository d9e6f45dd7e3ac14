r"""Trajectory and sweep runners over the jitted step kernels.

Public functions validate their input, draw randomness from a seeded generator, allocate the
output and then call a private ``@njit(cache=True, error_model="numpy")`` loop that allocates and draws nothing, so
the same input gives the same bits.  A non-finite value is reported with its step index.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit, prange

from .. import limits
from .. import problems as P
from ..errors import DomainError, NonFiniteError, OptmathTypeError, ShapeError, UnknownNameError
from ..spec import Algorithm
from . import compile_once
from .plan import NHP, plan
from .steps import NS, eval_point, step

SCHEDULES = ("constant", "inv_sqrt")


@njit(cache=True, error_model="numpy")
def _finite(a):
    for v in a.flat:
        if not math.isfinite(v):
            return False
    return True


@njit(cache=True, error_model="numpy")
def _clip(x, lo, hi):
    for i in range(x.shape[0]):
        if x[i] < lo:
            x[i] = lo
        elif x[i] > hi:
            x[i] = hi


@njit(cache=True, error_model="numpy")
def _run_grads(fam, x, st, hp, grads, lrs, lo, hi, project, xs, srec, record, work):
    xs[0, :] = x
    if record:
        srec[0] = st
    for k in range(grads.shape[0]):
        step(fam, x, grads[k], st, hp, lrs[k], k + 1, work)
        if project:
            _clip(x, lo, hi)
        xs[k + 1, :] = x
        if record:
            srec[k + 1] = st
        if not (_finite(x) and _finite(st)):
            return k + 1
    return 0


@njit(cache=True, error_model="numpy")
def _run_oracle(fam, x, st, hp, prob, pp, draws, lrs, lo, hi, project, xstar, xs, srec, record,
                losses, regrets, work, gbuf, xe, xopt):
    xs[0, :] = x
    if record:
        srec[0] = st
    xopt[:] = xstar
    for k in range(lrs.shape[0]):
        t = k + 1
        eval_point(fam, x, st, hp, xe)
        P.grad(prob, pp, xe, t, draws[k], gbuf)
        losses[k] = P.loss(prob, pp, x, t, draws[k])
        regrets[k] = losses[k] - P.loss(prob, pp, xopt, t, draws[k])
        if not _finite(gbuf):
            return t
        step(fam, x, gbuf, st, hp, lrs[k], t, work)
        if project:
            _clip(x, lo, hi)
        xs[k + 1, :] = x
        if record:
            srec[k + 1] = st
        if not (_finite(x) and _finite(st)):
            return t
    return 0


@njit(cache=True, parallel=True, error_model="numpy")
def _sweep(fam, hps, lrs0, lr_mult, x0s, inits, prob, pps, draws, lo, hi, project, xstars, out, xw, stw, ww, gw, ew, ow):
    """One config per iteration; ``out[n] = (final x, average regret, max |x|, first bad step)``."""
    T = lr_mult.shape[0]
    for n in prange(hps.shape[0]):
        x, st, work, gb, xe = xw[n], stw[n], ww[n], gw[n], ew[n]
        x[0] = x0s[n]
        for r in range(NS):
            st[r, 0] = inits[n, r]
        reg = 0.0
        xmax = abs(x[0])
        bad = 0
        xo = ow[n]
        xo[0] = xstars[n]
        for k in range(T):
            t = k + 1
            eval_point(fam, x, st, hps[n], xe)
            P.grad(prob, pps[n], xe, t, draws[k], gb)
            reg += P.loss(prob, pps[n], x, t, draws[k]) - P.loss(prob, pps[n], xo, t, draws[k])
            step(fam, x, gb, st, hps[n], lrs0[n] * lr_mult[k], t, work)
            if project:
                _clip(x, lo, hi)
            if not (math.isfinite(x[0]) and _finite(st)):
                bad = t
                break
            if abs(x[0]) > xmax:
                xmax = abs(x[0])
        out[n, 0] = x[0]
        out[n, 1] = reg / T
        out[n, 2] = xmax
        out[n, 3] = bad


@dataclass
class Trajectory:
    """What a run returns: iterates, optional states, losses and regrets."""

    algorithm: Algorithm
    xs: np.ndarray  # (T+1, d); x_0 first
    states: dict | None = None  # name -> (T+1, d)
    losses: np.ndarray | None = None  # f_t(x_t), t = 1..T
    regrets: np.ndarray | None = None  # f_t(x_t) - f_t(x*)
    nonfinite_step: int = 0
    meta: dict = field(default_factory=dict)

    @property
    def final(self) -> np.ndarray:
        return self.xs[-1]

    @property
    def average_regret(self) -> float:
        if self.regrets is None:
            raise DomainError("this trajectory has no problem, hence no regret")
        return float(np.mean(self.regrets))


def sweep_scalar(fam, hps, lrs0, lr_mult, x0s, inits, prob, pps, draws, lo, hi, project, xstars) -> np.ndarray:
    """The scalar sweep kernel over configurations given row by row (one configuration per
    parallel iteration, the generic step dispatch): ``out`` (N, 4) with final x, average
    regret, max |x| and first non-finite step (0: none)."""
    n = hps.shape[0]
    out = np.empty((n, 4))
    compile_once.call(_sweep, fam, hps, lrs0, lr_mult, x0s, inits, prob, pps, draws, lo, hi, project, xstars, out,
                      np.empty((n, 1)), np.empty((n, NS, 1)), np.empty((n, 1)), np.empty((n, 1)), np.empty((n, 1)),
                      np.empty((n, 1)))
    return out


def trajectory_bytes(steps: int, dim: int = 1, record_states: bool = False) -> int:
    """Bytes :func:`run` allocates for a trajectory of ``steps`` steps: iterates, the states when
    recorded, losses, regrets and the learning rates (checked against the available memory
    before anything is allocated)."""
    rows = (steps + 1) * dim * (1 + (NS if record_states else 0))
    return 8 * (rows + 3 * steps)


def learning_rates(lr: float, schedule, steps: int) -> np.ndarray:
    """Per-step learning rates: ``constant``, ``inv_sqrt`` (lr/sqrt(t)) or an explicit array."""
    if isinstance(schedule, str):
        if schedule == "constant":
            return np.full(steps, float(lr))
        if schedule == "inv_sqrt":
            return float(lr) / np.sqrt(np.arange(1, steps + 1, dtype=np.float64))
        raise UnknownNameError("schedule", schedule, SCHEDULES)
    arr = np.asarray(schedule, dtype=np.float64)
    if arr.shape != (steps,):
        raise ShapeError(f"learning-rate array has shape {arr.shape}, expected ({steps},)")
    bad = np.flatnonzero(~(np.isfinite(arr) & (arr > 0)))
    if bad.size:
        raise DomainError(f"learning rate at step {bad[0] + 1} is {float(arr[bad[0]])!r}; must be finite and > 0")
    return arr


def _resolve(alg) -> Algorithm:
    if isinstance(alg, Algorithm):
        return alg
    if isinstance(alg, str):
        from ..optimizers import get_spec

        return get_spec(alg).resolve("paper")
    raise OptmathTypeError(f"expected an Algorithm or an optimizer name, got {type(alg).__name__}")


def _x0(x0, dim) -> np.ndarray:
    arr = np.asarray(x0, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(dim, float(arr))
    if arr.shape != (dim,):
        raise ShapeError(f"x0 has shape {arr.shape}, expected ({dim},) to match the gradients")
    if not np.all(np.isfinite(arr)):
        raise NonFiniteError(f"x0 contains a non-finite value {float(arr[~np.isfinite(arr)][0])!r}")
    return arr.copy()


def _check_bounds(lo, hi):
    lo = -math.inf if lo is None else float(lo)
    hi = math.inf if hi is None else float(hi)
    if not lo < hi or math.isnan(lo) or math.isnan(hi):
        raise DomainError(f"projection interval [{lo!r}, {hi!r}] is empty")
    return lo, hi


def _finish(alg, xs, srec, p, bad, on_nonfinite, record_states, **kw) -> Trajectory:
    if bad:
        xs = xs[: bad + 1]
        srec = srec[: bad + 1] if record_states else srec
        if on_nonfinite == "raise":
            raise NonFiniteError(f"{alg.spec.name}/{alg.profile}: non-finite value at step {bad}", bad)
    states = {name: srec[:, r, :] for name, r in p.rows.items()} if record_states else None
    return Trajectory(alg, xs, states, nonfinite_step=bad, **kw)


def run(alg, grads=None, *, problem=None, steps: int | None = None, x0=0.0, schedule="constant",
        lo=None, hi=None, record_states: bool = False, seed: int = 0,
        on_nonfinite: str = "raise") -> Trajectory:
    """Run ``alg`` over an explicit gradient stream or a problem's gradient oracle.

    Parameters
    ----------
    alg : Algorithm or str
        A resolved spec (``get_spec("adam").resolve("pytorch")``) or a registry name.
    grads : array (T, d) or (T,), optional
        The gradient of every step.  Exactly one of ``grads`` and ``problem`` is given.
    problem : Problem or str, optional
        A :class:`~optmath.problems.Problem` or CLI text such as ``"reddi:C=3"``; ``steps``
        is then required.  Constrained problems project onto their interval.
    schedule : ``"constant"``, ``"inv_sqrt"`` or an array of per-step learning rates.
    on_nonfinite : ``"raise"`` (default: :class:`NonFiniteError` with the step) or ``"stop"``
        (return the trajectory up to that step with ``nonfinite_step`` set).

    Examples
    --------
    >>> from optmath import get_spec, run
    >>> tr = run(get_spec("sgd").resolve("pytorch", lr=0.5), [[1.0], [1.0]], x0=0.0)
    >>> tr.xs[:, 0].tolist()
    [0.0, -0.5, -1.0]
    """
    alg = _resolve(alg)
    if on_nonfinite not in ("raise", "stop"):
        raise UnknownNameError("on_nonfinite policy", on_nonfinite, ("raise", "stop"))
    if (grads is None) == (problem is None):
        raise DomainError("give exactly one of grads and problem")
    p = plan(alg)
    if grads is not None:
        G = np.asarray(grads, dtype=np.float64)
        if G.ndim == 1:
            G = G[:, None]
        if G.ndim != 2 or G.shape[0] == 0 or G.shape[1] == 0:
            raise ShapeError(f"grads must have shape (steps, d) with both > 0, got {np.shape(grads)}")
        bad = np.argwhere(~np.isfinite(G))
        if bad.size:
            k, i = bad[0]
            raise NonFiniteError(f"gradient at step {k + 1}, coordinate {i} is {float(G[k, i])!r}", int(k + 1))
        T, dim = G.shape
        limits.check_memory(trajectory_bytes(T, dim, record_states), f"a run of {T:,} steps")
        lrs = learning_rates(p.lr, schedule, T)
        lo_, hi_ = _check_bounds(lo, hi)
        x = _x0(x0, dim)
        st = np.repeat(p.init[:, None], dim, axis=1)
        xs = np.empty((T + 1, dim))
        srec = np.empty((T + 1, NS, dim) if record_states else (1, NS, dim))
        bad_step = compile_once.call(_run_grads, p.family, x, st, p.hp, np.ascontiguousarray(G), lrs, lo_, hi_,
                              bool(lo is not None or hi is not None), xs, srec, record_states, np.empty(dim))
        return _finish(alg, xs, srec, p, bad_step, on_nonfinite, record_states)
    prob = P.parse_problem(problem) if isinstance(problem, str) else problem
    if not isinstance(prob, P.Problem):
        raise OptmathTypeError(f"problem must be a Problem or text, got {type(problem).__name__}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise DomainError(f"steps = {steps!r} must be a positive integer")
    steps = limits.check_count("steps", steps, limits.MAX_STEPS)
    limits.check_seed(seed)
    dim0 = 1 if np.ndim(x0) == 0 else len(x0)
    limits.check_memory(trajectory_bytes(steps, dim0, record_states), f"a run of {steps:,} steps")
    lo_ = prob.lo if lo is None else float(lo)
    hi_ = prob.hi if hi is None else float(hi)
    lo_, hi_ = _check_bounds(lo_, hi_)
    lrs = learning_rates(p.lr, schedule, int(steps))
    x = _x0(x0, 1 if np.ndim(x0) == 0 else len(x0))
    dim = x.shape[0]
    draws = P.draws(prob, int(steps), seed)
    st = np.repeat(p.init[:, None], dim, axis=1)
    xs = np.empty((steps + 1, dim))
    srec = np.empty((steps + 1, NS, dim) if record_states else (1, NS, dim))
    losses, regrets = np.empty(steps), np.empty(steps)
    bad_step = compile_once.call(_run_oracle, p.family, x, st, p.hp, prob.code, prob.pp, draws, lrs, lo_, hi_,
                           bool(math.isfinite(lo_) or math.isfinite(hi_)), prob.xstar, xs, srec,
                           record_states, losses, regrets, np.empty(dim), np.empty(dim), np.empty(dim),
                           np.empty(dim))
    n = bad_step or steps
    return _finish(alg, xs, srec, p, bad_step, on_nonfinite, record_states,
                   losses=losses[:n], regrets=regrets[:n], meta={"problem": prob.name, "seed": seed})


@dataclass
class SweepResult:
    """Per-configuration summaries of a sweep."""

    final_x: np.ndarray
    average_regret: np.ndarray
    max_abs_x: np.ndarray
    first_nonfinite_step: np.ndarray  # 0 where every value stayed finite


def sweep(algs, problems, *, steps: int, x0=0.0, schedule="constant", seed: int = 0,
          backend: str = "auto") -> SweepResult:
    """Run many one-dimensional configurations in parallel and summarise each.

    ``algs`` is a list of :class:`Algorithm` of one kernel family (different hyperparameters
    and switches), ``problems`` a list of problems of one family and the same length (or one
    problem for all).  Every configuration sees the same seeded stream of draws.  ``backend``:
    ``blocked`` (SIMD lanes; ``auto`` picks it where the family has one), ``scalar`` or ``cuda``,
    bit-identical on a CPU (:mod:`optmath.grid`; for grids too large to list, see
    :class:`optmath.grid.Grid`).
    """
    algs = [_resolve(a) for a in algs]
    if not algs:
        raise DomainError("sweep needs at least one configuration")
    if isinstance(problems, (P.Problem, str)):
        problems = [problems] * len(algs)
    probs = [P.parse_problem(q) if isinstance(q, str) else q for q in problems]
    if len(probs) != len(algs):
        raise ShapeError(f"{len(algs)} algorithms but {len(probs)} problems")
    plans = [plan(a) for a in algs]
    if len({pl.family for pl in plans}) != 1 or len({q.code for q in probs}) != 1:
        raise DomainError("a sweep runs one kernel family on one problem family")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise DomainError(f"steps = {steps!r} must be a positive integer")
    steps = limits.check_count("steps", steps, limits.MAX_STEPS)
    limits.check_seed(seed)
    N = len(algs)
    hps = np.stack([pl.hp for pl in plans])
    inits = np.stack([pl.init for pl in plans])
    lrs0 = np.array([pl.lr for pl in plans])
    sched = learning_rates(1.0, schedule, steps)
    x0s = np.broadcast_to(np.asarray(x0, dtype=np.float64), (N,)).copy()
    if not np.all(np.isfinite(x0s)):
        raise NonFiniteError("x0 contains a non-finite value")
    pps = P.parameter_rows(probs)
    lo = max(q.lo for q in probs)
    hi = min(q.hi for q in probs)
    from ..grid import Batch, run_batch

    out = run_batch(Batch(plans[0].family, probs[0].code, hps, lrs0, x0s, inits, pps,
                          np.array([q.xstar for q in probs]), sched, P.draws(probs[0], steps, seed), lo, hi),
                    backend)
    return SweepResult(out[:, 0], out[:, 1], out[:, 2], out[:, 3].astype(np.int64))


__all__ = ["run", "sweep", "Trajectory", "SweepResult", "learning_rates", "NHP"]
