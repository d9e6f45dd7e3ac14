r"""Trajectory and sweep runners over the jitted step kernels.

Public functions validate their input, draw randomness from a seeded generator, allocate the
output and then call a private ``@njit(cache=True, error_model="numpy")`` loop that allocates and draws nothing, so
the same input gives the same bits.  A non-finite value is reported with its step index.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from .. import limits
from .. import problems as P
from ..errors import DomainError, NonFiniteError, OptmathTypeError, ShapeError, UnknownNameError
from ..spec import Algorithm
from . import compile_once, generate
from .execute import check_bounds as _check_bounds
from .execute import initial_iterate as _x0
from .execute import after_run, learning_rates, oracle, start_arrays, to_precision, trajectory_bytes
from .precision import check_precision, round_array
from .plan import plan

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


def _resolve(alg) -> Algorithm:
    if isinstance(alg, Algorithm):
        return alg
    if isinstance(alg, str):
        from ..optimizers import get_spec

        return get_spec(alg).resolve("paper")
    raise OptmathTypeError(f"expected an Algorithm or an optimizer name, got {type(alg).__name__}")


def _finish(alg, xs, srec, p, bad, on_nonfinite, record_states, **kw) -> Trajectory:
    if bad:
        xs = xs[: bad + 1]
        srec = srec[: bad + 1] if record_states else srec
        if on_nonfinite == "raise":
            raise NonFiniteError(f"{alg.spec.name}/{alg.profile}: non-finite value at step {bad}", bad)
    states = {name: srec[:, r, :] for r, name in enumerate(p.states)} if record_states else None
    return Trajectory(alg, xs, states, nonfinite_step=bad, **kw)


def run(alg, grads=None, *, problem=None, steps: int | None = None, x0=0.0, schedule="constant",
        lo=None, hi=None, record_states: bool = False, seed: int = 0,
        on_nonfinite: str = "raise", precision: str = "float64") -> Trajectory:
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
    precision : ``"float64"`` (default), ``"float32"``, or ``"float16"`` / ``"bfloat16"``
        (emulated): every operation of the rule rounded to it (:mod:`optmath.kernels.precision`),
        with a :class:`~optmath.errors.PrecisionWarning` for a hyperparameter the format cannot
        hold (``eps = 1e-8`` is 0 in float16) or a state that underflowed.

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
        ns = len(p.states)
        limits.check_memory(trajectory_bytes(T, dim, record_states, ns), f"a run of {T:,} steps")
        lrs = learning_rates(p.lr, schedule, T)
        lo_, hi_ = _check_bounds(lo, hi)
        x = _x0(x0, dim)
        mod = generate.load_run(alg, precision=precision)
        hv, init, lrs, x = to_precision(mod, np.asarray(p.hv, dtype=np.float64), np.asarray(p.init, dtype=np.float64),
                                        lrs, x, precision)
        G = round_array(G, precision)
        hv, st = start_arrays(hv, init, dim)
        xs = np.empty((T + 1, dim))
        srec = np.empty((T + 1, ns, dim) if record_states else (1, ns, dim))
        bad_step = compile_once.call(mod.run_grads, x, st, hv, np.ascontiguousarray(G), lrs, lo_, hi_,
                                     bool(lo is not None or hi is not None), xs, srec, record_states,
                                     np.empty((mod.KEPT, dim)), uf := np.zeros(1))
        after_run(uf, precision)
        return _finish(alg, xs, srec, p, bad_step, on_nonfinite, record_states)
    prob = P.parse_problem(problem) if isinstance(problem, str) else problem
    if not isinstance(prob, P.Problem):
        raise OptmathTypeError(f"problem must be a Problem or text, got {type(problem).__name__}")
    out = oracle(lambda: generate.load_oracle(alg, prob.family, precision=precision), p.hv, p.init, p.lr, prob, steps,
                 x0, schedule, seed, lo, hi, record_states, precision)
    return _finish(alg, out["xs"], out["srec"], p, out["bad_step"], on_nonfinite, record_states,
                   losses=out["losses"], regrets=out["regrets"], meta={"problem": prob.name, "seed": seed})


@dataclass
class SweepResult:
    """Per-configuration summaries of a sweep."""

    final_x: np.ndarray
    average_regret: np.ndarray
    max_abs_x: np.ndarray
    first_nonfinite_step: np.ndarray  # 0 where every value stayed finite


def sweep(algs, problems, *, steps: int, x0=0.0, schedule="constant", seed: int = 0,
          backend: str = "auto", precision: str = "float64") -> SweepResult:
    """Run many one-dimensional configurations in parallel and summarise each.

    ``algs`` is a list of :class:`Algorithm` (different hyperparameters and switches; each
    program, that is each choice of optimizer and switches, runs in its own generated kernel),
    ``problems`` a list of problems of one family and the same length (or one problem for all).  Every configuration sees the same seeded stream of draws.  ``backend``:
    ``blocked`` (SIMD lanes, the default ``auto``), ``scalar`` or ``cuda``,
    bit-identical on a CPU (:mod:`optmath.grid`; for grids too large to list, see
    :class:`optmath.grid.Grid`).  ``precision``: as for :func:`run`.
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
    if len({q.family for q in probs}) != 1:
        raise DomainError("a sweep runs one problem family")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise DomainError(f"steps = {steps!r} must be a positive integer")
    steps = limits.check_count("steps", steps, limits.MAX_STEPS)
    limits.check_seed(seed)
    N = len(algs)
    limits.check_work((("configurations", N), ("steps", steps)), "the sweep")
    limits.check_memory(48 * N + limits.STEP_ARRAY_BYTES * steps, f"a sweep of {N:,} configurations")
    sched = learning_rates(1.0, schedule, steps)
    x0s = np.broadcast_to(np.asarray(x0, dtype=np.float64), (N,)).copy()
    if not np.all(np.isfinite(x0s)):
        raise NonFiniteError("x0 contains a non-finite value")
    pps = P.parameter_rows(probs)
    xstars = np.array([q.xstar for q in probs])
    lo = max(q.lo for q in probs)
    hi = min(q.hi for q in probs)
    draws = P.draws(probs[0], steps, seed)
    from ..grid import Batch, run_batch

    out = np.empty((N, 4))
    groups: dict = {}
    for i, pl in enumerate(plans):  # one kernel per program (switch-resolved equations)
        groups.setdefault(pl.program, []).append(i)
    for idx in groups.values():
        ix = np.array(idx)
        pl = plans[idx[0]]
        out[ix] = run_batch(Batch(pl.alg, probs[0].family, np.stack([plans[i].hv for i in idx]),
                                  np.array([plans[i].lr for i in idx]), x0s[ix],
                                  np.stack([plans[i].init for i in idx]).reshape(len(idx), len(pl.states)),
                                  pps[ix], xstars[ix], sched, draws, lo, hi, check_precision(precision)), backend)
    return SweepResult(out[:, 0], out[:, 1], out[:, 2], out[:, 3].astype(np.int64))


__all__ = ["run", "sweep", "Trajectory", "SweepResult", "learning_rates", "trajectory_bytes"]
