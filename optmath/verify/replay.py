r"""High-precision replay: the spec's own equations in mpmath, beside the float64 kernel.

The replay evaluates the generated reference step (see :mod:`optmath.verify.reference`) with
mpmath numbers at ``dps`` significant digits, on the same hyperparameters and gradients as the
float64 kernel (their float64 values taken exactly).  Only the arithmetic's rounding differs,
so the difference measures the kernel's rounding error.

Stated rounding bound
---------------------
With ``u = 2^-53`` and the float64 iterates ``x_k``, the kernel's error after step k must stay
below ``B_k = u * sum_{j <= k} (|x_{j-1}| + L |x_j - x_{j-1}|)``: each step adds one rounding of
the running sum (``u |x|``) and at most ``L`` units of relative error of the step itself
(``L = 64`` covers the ~20 roundings of an Adam/Yogi step and the relative error carried by
the moment estimates, which stays below ``~4u/(1-b)`` for an EMA).  It is a first-order bound on
explicit gradient streams, where the states do not depend on ``x``.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import mpmath
import numpy as np

from ..spec import Algorithm
from .reference import ReferenceRun, ReferenceStep, mpmath_namespace, reference_step, shape_of

UNIT_ROUNDOFF = 2.0**-53
STEP_ROUNDINGS = 64


@dataclass
class ReplayResult:
    """Float64 kernel iterates, high-precision iterates (as float64), errors and the bound."""

    kernel: np.ndarray
    exact: np.ndarray
    error: np.ndarray
    bound: np.ndarray
    dps: int

    @property
    def holds(self) -> bool:
        return bool(np.all(self.error <= self.bound))

    @property
    def worst_ratio(self) -> float:
        """Largest error / bound over the run (below 1 when the bound holds)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(self.bound > 0, self.error / self.bound, np.where(self.error > 0, np.inf, 0.0))
        return float(np.max(r))


def replay(alg: Algorithm, grads, x0: float = 0.0, lrs=None, dps: int = 50,
           lo: float | None = None, hi: float | None = None) -> ReplayResult:
    """Replay a one-dimensional run in mpmath at ``dps`` digits and compare with the kernel.

    ``lo``/``hi`` project the iterate onto an interval after every step, as the kernel does
    (projection is 1-Lipschitz, so the rounding bound still holds)."""
    from ..kernels.runner import learning_rates, run

    G = np.asarray(grads, dtype=np.float64).reshape(-1)
    lr_arr = learning_rates(alg.values["lr"], "constant" if lrs is None else lrs, G.shape[0])
    kernel = run(alg, G[:, None], x0=x0, schedule=lr_arr, lo=lo, hi=hi).xs[:, 0]
    ref = reference_step(alg)
    with mpmath.workdps(dps):
        mp = mpmath.mp
        F = mpmath_namespace(mp)
        H = {k: mp.mpf(v) for k, v in alg.values.items()}
        S = {s.name: mp.mpf(alg.initial_value(s)) for s in alg.states}
        x = mp.mpf(float(x0))
        exact = [x]
        for k, gk in enumerate(G):
            H["lr"] = mp.mpf(float(lr_arr[k]))
            x, S = ref.fn(x, mp.mpf(float(gk)), k + 1, 1, H, S, F)
            if lo is not None and x < lo:
                x = mp.mpf(lo)
            if hi is not None and x > hi:
                x = mp.mpf(hi)
            exact.append(x)
        exact_f = np.array([float(v) for v in exact])
        err = np.array([float(abs(mp.mpf(float(a)) - b)) for a, b in zip(kernel, exact)])
    steps = np.abs(np.diff(kernel))
    per = np.abs(kernel[:-1]) + STEP_ROUNDINGS * steps
    bound = UNIT_ROUNDOFF * np.concatenate([[0.0], np.cumsum(per)])
    return ReplayResult(kernel, exact_f, err, bound, dps)


@dataclass
class Enclosure:
    """A rigorous replay: ``lo[k] <= x_k <= hi[k]`` for the exact real recurrence at every step
    ``k = 0 .. T`` (see :mod:`optmath.kernels.interval`), and the final states' enclosures.

    ``lost_step`` is the first step whose enclosure is not finite (0: the whole stream ran); the
    arrays stop there."""

    lo: np.ndarray
    hi: np.ndarray
    states_lo: dict
    states_hi: dict
    lost_step: int

    @property
    def steps(self) -> int:
        """The steps the enclosure covers."""
        return len(self.lo) - 1

    @property
    def max_width(self) -> float:
        return float(np.max(self.hi - self.lo)) if len(self.lo) else 0.0

    def outside(self, xs) -> float:
        """The largest distance of the values ``xs`` (a float64 run) from the enclosure."""
        n = min(len(xs), len(self.lo))
        xs = np.asarray(xs, dtype=np.float64)[:n]
        return float(np.max(np.maximum(np.maximum(self.lo[:n] - xs, xs - self.hi[:n]), 0.0), initial=0.0))

    def contains(self, xs) -> bool:
        """Whether the values ``xs`` (e.g. a high-precision replay, as float64 nearest values) lie
        in the enclosure, allowing the half ulp of their conversion to float64."""
        n = min(len(xs), len(self.lo))
        xs = np.asarray(xs, dtype=np.float64)[:n]
        return bool(np.all((np.nextafter(self.lo[:n], -np.inf) <= xs) & (xs <= np.nextafter(self.hi[:n], np.inf))))


def interval_replay(alg: Algorithm, grads, x0: float = 0.0, lrs=None, lo: float | None = None,
                    hi: float | None = None) -> Enclosure:
    """Enclose the exact real run of ``alg`` on the explicit one-dimensional stream ``grads``
    with the generated interval kernel (:func:`optmath.kernels.generate.load_interval`): the
    same inputs as :func:`replay` (float64 values taken exactly), outward rounding at every
    operation.  ``lo``/``hi`` project as the kernel does.  Costs a few float64 runs' time, so it
    covers horizons that the mpmath replay cannot."""
    from ..kernels.generate import load_interval
    from ..kernels.runner import learning_rates
    from ..kernels.lanes import input_names

    G = np.ascontiguousarray(np.asarray(grads, dtype=np.float64).reshape(-1))
    lr_arr = np.ascontiguousarray(learning_rates(alg.values["lr"], "constant" if lrs is None else lrs, G.shape[0]),
                                  dtype=np.float64)
    mod = load_interval(alg)
    hv = np.array([1.0 if n == "d" else float(alg.values[n]) for n in input_names(alg)], dtype=np.float64)
    XL = np.empty(G.shape[0] + 1)
    XH = np.empty(G.shape[0] + 1)
    ns = len(alg.states)
    SL, SH = np.zeros(max(ns, 1)), np.zeros(max(ns, 1))
    project = lo is not None and hi is not None
    lost = int(mod.enclose(hv, G, lr_arr, float(x0), -np.inf if lo is None else float(lo),
                           np.inf if hi is None else float(hi), project, XL, XH, SL, SH))
    if lost:
        XL, XH = XL[:lost], XH[:lost]
    names = [s.name for s in alg.states]
    return Enclosure(XL, XH, {n: float(SL[i]) for i, n in enumerate(names)},
                     {n: float(SH[i]) for i, n in enumerate(names)}, lost)


def mpmath_vector_namespace(mp, shape=None, dim: int = 1):
    """The ``F`` namespace for mpmath numbers in NumPy object arrays (one entry a coordinate).

    Arithmetic on object arrays applies mpmath's operators entry by entry, so the generated
    step runs unchanged; reductions (``dot``, ``norm``) see the whole tensor, unlike
    :func:`~optmath.verify.reference.mpmath_namespace`, which sees one coordinate."""
    sqrt = np.vectorize(mp.sqrt, otypes=[object])
    sign = np.vectorize(mp.sign, otypes=[object])
    exp = np.vectorize(mp.exp, otypes=[object])
    log = np.vectorize(mp.log, otypes=[object])

    def where(c, a, b):
        return np.where(np.asarray(c, dtype=bool), a, b)

    def maximum(a, b):
        return np.where(np.asarray(b > a, dtype=bool), b, a)

    def minimum(a, b):
        return np.where(np.asarray(b < a, dtype=bool), b, a)

    def dot(a, b):
        return mp.fsum(np.broadcast_to(a * b, np.broadcast(a, b).shape).reshape(-1))

    def one(v):  # a scalar as a one-entry object array (see high_precision_run)
        return np.array([v], dtype=object)

    rank, rows, cols = shape_of(shape, dim)

    def rowdot(a, b):
        flat = np.broadcast_to(a * b, (rows * cols,)).reshape(rows, cols)
        return np.repeat(np.array([mp.fsum(r) for r in flat], dtype=object), cols)

    def tmax(a):
        vals = list(np.broadcast_to(a, (dim,)))
        if any(mp.isnan(v) for v in vals):
            return one(mp.nan)
        return one(max(vals))

    return SimpleNamespace(sqrt=sqrt, exp=exp, log=log, maximum=maximum, minimum=minimum, sign=sign, where=where,
                           rat=lambda p, q: one(mp.mpf(p) / q), nan=one(mp.nan), dot=lambda a, b: one(dot(a, b)),
                           norm=lambda a: one(mp.sqrt(dot(a, a))), rowdot=rowdot,
                           rownorm=lambda a: sqrt(rowdot(a, a)), tmax=tmax, rank=rank, cols=cols)


def high_precision_run(alg: Algorithm, grads, x0, lrs=None, *, dps: int = 60, t_of=None,
                       step: ReferenceStep | None = None, perturb: float = 0.0, seed: int = 0,
                       shape=None) -> ReferenceRun:
    r"""The spec's generated step evaluated in mpmath at ``dps`` digits on a stream ``(T, d)``.

    Hyperparameters, gradients, learning rates and ``x0`` enter as their exact float64 values,
    so only the arithmetic's rounding differs from a float64 evaluation.  With ``perturb = u``
    every state and the iterate are multiplied by ``1 + u r`` after each step, ``r`` uniform in
    ``[-1, 1]`` (drawn from ``seed``, outside the recurrence): a model of one rounding per value
    and step, whose growth measures how the recurrence amplifies rounding errors on this
    stream.  Returns float64 copies of the high-precision values; ``nonfinite_step`` is the
    first step with a non-finite value or an exact division by zero (the run stops there).
    ``shape`` is the tensor's shape for per-row reductions (``None``: a vector).
    """
    ref = step or reference_step(alg)
    G = np.asarray(grads, dtype=np.float64)
    T, dim = G.shape
    names = [s.name for s in alg.states]
    R = np.random.default_rng(seed).uniform(-1.0, 1.0, size=(T, 1 + len(names), dim)) if perturb else None
    xs = np.empty((T + 1, dim))
    hist = {n: np.empty((T + 1, dim)) for n in names}
    bad = 0

    def obj(a):
        return np.array([mpmath.mp.mpf(float(v)) for v in np.reshape(a, -1)], dtype=object)

    with mpmath.workdps(dps):
        mp = mpmath.mp
        F = mpmath_vector_namespace(mp, shape, dim)
        # every scalar is a one-entry object array, so that no mpf ever meets an array as the left
        # operand: mpmath would first try to convert the array and format it (numpy's repr) for
        # the error it then swallows, which cost more than the arithmetic (NAdam: 22 of 48 s)
        H = {k: obj([v]) for k, v in alg.values.items()}
        S = {s.name: obj(np.full(dim, alg.initial_value(s))) for s in alg.states}
        x = obj(np.broadcast_to(np.asarray(x0, dtype=np.float64), (dim,)))
        xs[0] = [float(v) for v in x]
        for n in names:
            hist[n][0] = [float(v) for v in S[n]]
        for k in range(T):
            if lrs is not None:
                H["lr"] = obj([lrs[k]])
            try:
                x, S = ref.fn(x, obj(G[k]), k + 1 if t_of is None else t_of(k + 1), dim, H, S, F)
            except ZeroDivisionError:
                bad = k + 1
                xs[bad] = np.nan
                for n in names:
                    hist[n][bad] = np.nan
                break
            x = np.broadcast_to(np.asarray(x, dtype=object), (dim,))
            S = {n: np.broadcast_to(np.asarray(S[n], dtype=object), (dim,)) for n in names}
            if R is not None:
                x = x * (1 + perturb * R[k, 0])
                S = {n: S[n] * (1 + perturb * R[k, j + 1]) for j, n in enumerate(names)}
            xs[k + 1] = [float(v) for v in x]
            for n in names:
                hist[n][k + 1] = [float(v) for v in S[n]]
            if not (np.all(np.isfinite(xs[k + 1])) and all(np.all(np.isfinite(hist[n][k + 1])) for n in names)):
                bad = k + 1
                break
    if bad:
        xs, hist = xs[: bad + 1], {n: h[: bad + 1] for n, h in hist.items()}
    return ReferenceRun(xs, hist, bad)
