r"""Running generated sweep kernels: blocks of SIMD lanes in threads, or one configuration per iteration.

A sweep runs ``N`` one-dimensional configurations (hyperparameters, problem parameters,
start) of one program over the same ``T`` steps and the same seeded draws.  The kernels are
generated from the program's equations (:mod:`optmath.kernels.generate`): ``sweep_blocked``
lays the configurations out in blocks of ``W`` lanes (struct of arrays: ``x[W]``, one array per
state and per input) and advances a whole block per step with loops over the lanes that LLVM
turns into vector instructions; ``sweep_scalar`` gives one configuration to each parallel
iteration.  Both execute the same printed statements in the same order, so they give the same
bits (tested); no ``fastmath`` (no reassociation, no contraction into FMA, NaN and Inf kept).

Per block, values that depend only on the step and the inputs (bias corrections, schedules,
rectifiers, running products) are computed once when every lane of the block has the same
inputs (the usual case of an ``lr x C`` sweep; :func:`run_blocked` sorts configurations so that
equal inputs share blocks) and lane by lane otherwise (a phase diagram over ``(b1, b2)``),
with the same statements either way.

A lane that produces a non-finite value is frozen from that step on exactly as the scalar
kernel stops that configuration: its final x, regret and max |x| are those at that step and
its first non-finite step is recorded.  Summaries (final x, average regret, max |x|, first
non-finite step) are accumulated per lane; trajectories are not stored.
"""
from __future__ import annotations

import numpy as np
from concurrent.futures import ThreadPoolExecutor

from numba import get_num_threads

from . import compile_once, generate
from .precision import input_warnings, round_array

#: lanes per block: 16 AVX-512 registers of float64, enough independent work to hide the
#: latency of divide and square root
DEFAULT_BLOCK = 128


_POOL: list = []  # one thread pool per process, made on first use (threads: NUMBA_NUM_THREADS)


def _pool() -> ThreadPoolExecutor:
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(get_num_threads(), thread_name_prefix="optmath-blocked"))
    return _POOL[0]


def in_threads(fn, args, n_blocks: int) -> None:
    """``fn(*args, first, last)`` over blocks ``[0, n_blocks)``, split into contiguous ranges
    run by Numba's number of threads (``NUMBA_NUM_THREADS``; the kernels release the GIL).
    Blocks are independent and write disjoint rows, so the split never changes a bit.

    A serial kernel run from threads compiles in about half the time of a ``prange`` kernel
    (whose body Numba types and compiles a second time as a gufunc): about 3 s instead of 6 s
    per (family, switch codes) on the machine of ``benchmarks/results``, for a single-thread
    throughput about 8% lower."""
    compile_once.ensure_compiled(fn, (*args, 0, n_blocks))
    threads = max(1, min(get_num_threads(), n_blocks))
    if threads == 1:
        fn(*args, 0, n_blocks)
        return
    parts = min(n_blocks, 4 * threads)  # a few ranges per thread: blocks differ in cost
    edges = [n_blocks * i // parts for i in range(parts + 1)]
    futures = [_pool().submit(fn, *args, a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]
    for f in futures:
        f.result()


def columns(batch, rows=None):
    """The kernel arguments of ``batch`` (rows ``rows``, default all) in the generated kernels'
    layout: inputs and states as rows of configuration columns."""
    r = slice(None) if rows is None else rows
    ns = batch.inits.shape[1]
    pr = batch.precision  # the start and states in the format; hyperparameters stay float64 scalars
    return (np.ascontiguousarray(batch.hps[r].T), np.ascontiguousarray(batch.lrs0[r]), batch.lr_mult,
            round_array(batch.x0s[r], pr),
            np.ascontiguousarray(round_array(batch.inits[r], pr).T) if ns else np.zeros((0, len(batch.x0s[r]))),
            np.ascontiguousarray(batch.pps[r].T), batch.draws, float(batch.lo), float(batch.hi),
            bool(batch.project), np.ascontiguousarray(batch.xstars[r]),
            batch.problem.cycle_start(batch.pps[r]))


def warn_inputs(mod, batch) -> None:
    """A :class:`~optmath.errors.PrecisionWarning` for each input value of a low-precision
    sweep that its format cannot hold (checked on each input's distinct values)."""
    if batch.precision == "float64" or not len(batch):
        return
    from .execute import warn_precision

    named = {}
    for k, n in enumerate(mod.INPUTS):
        if k:
            for v in np.unique(batch.hps[:, k])[:64]:
                named.setdefault(n, []).append(float(v))
    named["lr"] = [float(np.min(batch.lrs0) * np.min(batch.lr_mult))]
    seen = set()
    for n, vals in named.items():
        for v in vals:
            for line in input_warnings({n: v}, batch.precision):
                if n not in seen:
                    seen.add(n)
                    warn_precision(line)


def run_blocked(batch, block: int = DEFAULT_BLOCK, anchor: int = generate.ANCHOR, reciprocals: bool = True) -> np.ndarray:
    """Sweep a :class:`optmath.grid.Batch` in blocks of ``block`` lanes; ``out`` (N, 4) in the
    input order, bit-identical to :func:`run_scalar`.

    Configurations are sorted by their inputs (so that equal inputs share blocks and get their
    per-step values once per block) and padded to whole blocks with copies of the last one,
    whose results are dropped.  ``anchor``: the running products' anchor period (tests)."""
    mod = generate.load_sweep(batch.alg, batch.problem, anchor, batch.precision, reciprocals)
    warn_inputs(mod, batch)
    W = int(block)
    n = len(batch)
    out = np.empty((n, 4))
    if n == 0:
        return out
    order = np.lexsort(batch.hps.T[::-1]) if batch.hps.shape[1] > 1 else np.arange(n)
    full = np.concatenate([order, np.full((-n) % W, order[-1])])
    res = np.empty((full.size, 4))
    in_threads(mod.sweep_blocked, (W, *columns(batch, full), res), full.size // W)
    out[order] = res[:n]
    return out


def run_scalar(batch) -> np.ndarray:
    """Sweep a :class:`optmath.grid.Batch` with one configuration per parallel iteration."""
    mod = generate.load_sweep(batch.alg, batch.problem, precision=batch.precision)
    warn_inputs(mod, batch)
    out = np.empty((len(batch), 4))
    if len(batch):
        in_threads(mod.sweep_scalar, (*columns(batch), out), len(batch))
    return out
