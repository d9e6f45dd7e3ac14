r"""Blocked sweep kernels: configurations in SIMD lanes, blocks in parallel, IEEE-strict.

A sweep runs ``N`` one-dimensional configurations (hyperparameters, problem parameters,
start) over the same ``T`` steps and the same seeded draws.  The scalar kernel
(:func:`optmath.kernels.runner._sweep`) gives one configuration to each parallel iteration and
advances it through the generic ``step`` dispatch; here the configurations are laid out in
blocks of ``W`` lanes (struct of arrays: ``x[W]``, ``state[3][W]``, one column of
hyperparameters per lane), and each step advances a whole block with loops over the lanes that
LLVM turns into vector instructions.  Blocks are independent and run in parallel threads (:func:`in_threads`).

Bit-identity with the scalar kernel is by construction and is tested: every lane calls the
same lane function as the per-coordinate step (:mod:`optmath.kernels.steps`), with the same
arguments in the same order; the factors that depend only on the step (bias corrections,
NAdam's schedule, RAdam's rectifier) come from the same ``*_times`` functions, tabulated once
per sweep for each distinct tuple of the parameters they read (:func:`time_table`; past
:data:`TABLE_BYTES`, computed per block and step instead) and passed as scalars to a block
whose lanes share them; no ``fastmath`` (so no reassociation, no contraction into FMA, NaN and
Inf kept).  The switch
codes are read from a block's first lane: the driver groups configurations with equal codes
into the same blocks (:func:`code_groups`).

Each (family, switch codes) combination gets its own kernel, built by a
closure whose free variables are those codes: Numba compiles them as constants, so the branches
of the generic lane functions fold away and the lane loop is straight-line code that LLVM
vectorises (a kernel with the codes as run-time values runs several times slower).  Numba's
cache keys closures by the values of their free variables, so each combination is compiled
once per machine, on first use.

A lane that produces a non-finite value is frozen from that step on exactly as the scalar
kernel stops that configuration: its final x, regret and max |x| are those at that step and
its first non-finite step is recorded.  Summaries (final x, average regret, max |x|, first
non-finite step) are accumulated per lane; trajectories are not stored.
"""
from __future__ import annotations

import numpy as np
from concurrent.futures import ThreadPoolExecutor

from numba import get_num_threads, njit, uint64

from .. import problems as P
from . import compile_once
from . import steps as K

#: families with a blocked kernel (AdamP's projection needs whole-vector norms: scalar only)
FAMILIES = (K.SGD, K.ADAGRAD, K.RMSPROP, K.ADADELTA, K.ADAM, K.ADAMAX, K.NADAM, K.RADAM, K.LION)
#: hp columns holding switch codes, per family code (equal within a block)
CODE_COLUMNS = {K.SGD: (3, 4, 5), K.ADAGRAD: (3,), K.RMSPROP: (4, 5, 6, 7), K.ADADELTA: (),
                K.ADAM: (5, 6, 7, 8, 9, 10), K.ADAMAX: (3, 5), K.NADAM: (4, 6), K.RADAM: (4, 5, 7),
                K.LION: ()}
#: hp columns the per-step factors read (a block computes them once when its lanes agree)
TIME_COLUMNS = {K.ADAM: (0, 1, 8), K.ADAMAX: (0,), K.NADAM: (0, 1, 3, 4), K.RADAM: (0, 1, 3, 4)}
#: lanes per block: 16 AVX-512 registers of float64, enough independent work to hide the
#: latency of divide and square root
DEFAULT_BLOCK = 128
#: largest table of per-step factors (distinct parameter tuples x steps x 4 float64) built
#: ahead of a sweep; beyond it each block computes its factors step by step
TABLE_BYTES = 64 << 20


@njit(cache=True, error_model="numpy", inline="always")
def _gradients(prob, look, hpT, ppT, xstar, W, x, S1, t, u, ctr, g, reg, bad):
    """The gradient at the evaluation point of every lane, and f_t(x) - f_t(x*) added to the
    regret of the lanes still running, as problems.grad and problems.loss compute them (one
    loop per family: no branch inside).  ``hpT``, ``ppT``, ``xstar`` are the block's columns."""
    if prob == P.PERIODIC:  # a counter per lane instead of an integer modulo
        for jj in range(W):
            j = uint64(jj)
            big = ppT[0, j]  # both slopes loaded, then selected: a select vectorises, a branch
            small = -ppT[3, j]  # between two loads does not
            period = ppT[1, j]
            gj = big if ctr[j] == 0.0 else small
            nxt = ctr[j] + 1.0
            ctr[j] = 0.0 if nxt == period else nxt
            g[j] = gj
            ld = P.lin_loss1(gj, x[j]) - P.lin_loss1(gj, xstar[j])
            reg[j] = reg[j] + ld if bad[j] == 0.0 else reg[j]
    elif prob == P.QUADRATIC:
        for jj in range(W):
            j = uint64(jj)
            xe = x[j] + hpT[0, j] * S1[j] if look else x[j]
            g[j] = P.quad_grad1(ppT[0, j], ppT[1, j], xe)
            ld = ((0.0 + P.quad_loss1(ppT[0, j], ppT[1, j], x[j]))
                  - (0.0 + P.quad_loss1(ppT[0, j], ppT[1, j], xstar[j])))
            reg[j] = reg[j] + ld if bad[j] == 0.0 else reg[j]
    elif prob == P.FINITE_SUM:
        first = u == 0.0
        for jj in range(W):
            j = uint64(jj)
            xe = x[j] + hpT[0, j] * S1[j] if look else x[j]
            g[j] = P._fs_grad(ppT[0, j], first, xe)
            ld = ((0.0 + P._fs_loss(ppT[0, j], first, x[j]))
                  - (0.0 + P._fs_loss(ppT[0, j], first, xstar[j])))
            reg[j] = reg[j] + ld if bad[j] == 0.0 else reg[j]
    elif prob == P.STOCHASTIC:  # the values coef1 picks, without its branches on the family
        for jj in range(W):
            j = uint64(jj)
            big = ppT[0, j]
            small = -ppT[2, j]
            gj = big if u < ppT[1, j] else small
            g[j] = gj
            ld = P.lin_loss1(gj, x[j]) - P.lin_loss1(gj, xstar[j])
            reg[j] = reg[j] + ld if bad[j] == 0.0 else reg[j]
    else:
        for jj in range(W):
            j = uint64(jj)
            gj = P.coef1(prob, ppT[0, j], ppT[1, j], ppT[2, j], ppT[3, j], t, u)
            g[j] = gj
            ld = P.lin_loss1(gj, x[j]) - P.lin_loss1(gj, xstar[j])
            reg[j] = reg[j] + ld if bad[j] == 0.0 else reg[j]


@njit(cache=True, error_model="numpy", inline="always")
def _times1(fam, hpT, c, t):
    """The per-step factors of configuration ``c`` (column of ``hpT``) at step ``t``: the
    ``*_times`` function of its family, padded with ones to four values."""
    if fam == K.ADAM:
        a, b = K.adam_times(hpT[0, c], hpT[1, c], hpT[8, c] != 0.0, t)
        return a, b, 1.0, 1.0
    if fam == K.ADAMAX:
        return K.adamax_times(hpT[0, c], t), 1.0, 1.0, 1.0
    if fam == K.NADAM:
        a, b, d = K.nadam_times(hpT[0, c], hpT[1, c], hpT[3, c], int(hpT[4, c]), t)
        return a, b, d, 1.0
    return K.radam_times(hpT[0, c], hpT[1, c], hpT[3, c], hpT[4, c] != 0.0, t)


@njit(cache=True, error_model="numpy")
def time_table(fam, hpT, T):
    """``tab[d, k]``: the per-step factors of configuration ``d`` (a column of ``hpT``, one per
    distinct tuple of the parameters they read) at step ``k + 1``, computed once for a whole
    sweep instead of once per block and step (each costs a ``pow`` or two)."""
    D = hpT.shape[1]
    tab = np.empty((D, T, 4))
    for d in range(D):
        for k in range(T):
            tab[d, k, 0], tab[d, k, 1], tab[d, k, 2], tab[d, k, 3] = _times1(fam, hpT, d, k + 1)
    return tab


def _make(fam: int, codes: tuple):
    """The blocked kernel of one family and tuple of switch codes."""
    C = tuple(int(c) for c in codes) + (0,) * (6 - len(codes))
    C0, C1, C2, C3, C4, C5 = C
    FAM = fam
    LOOK = fam == K.SGD and C0 == 2 and C1 == 2  # Sutskever's look-ahead gradient point
    TIMED = fam in (K.ADAM, K.ADAMAX, K.NADAM, K.RADAM)

    @njit(cache=True, nogil=True, error_model="numpy")
    def kernel(W, prob, hpT, lr0, lr_mult, x0, init, ppT, draws, lo, hi, project, xstar, ctr0, tab, tix, out,
               first, last):
        tabled = tab.shape[0] > 0
        T = lr_mult.shape[0]
        for b in range(first, last):
            s0 = b * W
            s = uint64(s0)
            hpB = hpT[:, s:s + W].copy()  # contiguous: rows of hpT are N apart, same L1 sets
            ppB = ppT[:, s:s + W].copy()
            lrB = lr0[s:s + W].copy()
            xsB = xstar[s:s + W].copy()
            tixB = tix[s:s + W].copy()
            tix0 = tixB[0]
            x = x0[s:s + W].copy()
            S0 = init[0, s:s + W].copy()
            S1 = init[1, s:s + W].copy()
            S2 = init[2, s:s + W].copy()
            ctr = ctr0[s:s + W].copy()
            T0 = np.ones(W)
            T1 = np.ones(W)
            T2 = np.ones(W)
            T3 = np.ones(W)
            g = np.empty(W)
            reg = np.zeros(W)
            xmax = np.abs(x)
            bad = np.zeros(W)
            uni = True  # the lanes share their per-step factors (one tuple number)
            for j in range(W):
                uni = uni and tixB[j] == tix0
            for k in range(T):
                t = k + 1
                tf = float(t)
                lm = lr_mult[k]
                u = draws[k]
                a0, a1, a2, a3 = 1.0, 1.0, 1.0, 1.0  # the block's factors when its lanes share them
                if TIMED and uni:
                    if tabled:  # from the sweep's table: no pow in the step loop
                        a0, a1, a2, a3 = tab[tix0, k, 0], tab[tix0, k, 1], tab[tix0, k, 2], tab[tix0, k, 3]
                    else:
                        a0, a1, a2, a3 = _times1(FAM, hpB, 0, t)
                elif TIMED:  # lane by lane (same function or table, same bits)
                    for j in range(W):
                        if tabled:
                            d = tixB[j]
                            T0[j], T1[j], T2[j], T3[j] = tab[d, k, 0], tab[d, k, 1], tab[d, k, 2], tab[d, k, 3]
                        else:
                            T0[j], T1[j], T2[j], T3[j] = _times1(FAM, hpB, j, t)
                _gradients(prob, LOOK, hpB, ppB, xsB, W, x, S1, t, u, ctr, g, reg, bad)
                for jj in range(W):
                    j = uint64(jj)
                    xj = x[j]
                    lr = lrB[j] * lm
                    gj = g[j]
                    b0 = a0 if uni else T0[j]
                    b1 = a1 if uni else T1[j]
                    b2 = a2 if uni else T2[j]
                    b3 = a3 if uni else T3[j]
                    # one step of the family (the lane functions of the per-coordinate kernels)
                    n2 = S2[j]
                    if FAM == K.ADAM:
                        xn, n0, n1, n2 = K.adam_lane(xj, gj, S0[j], S1[j], S2[j], hpB[0, j], hpB[1, j], hpB[2, j],
                                                     hpB[3, j], hpB[4, j], C0, C1, C2, C4 != 0, C5 != 0, lr,
                                                     b0, b1)
                    elif FAM == K.SGD:
                        xn, n0, n1 = K.sgd_lane(xj, gj, S0[j], S1[j], hpB[0, j], hpB[1, j], hpB[2, j], C0, C1,
                                                C2 != 0, lr, t)
                    elif FAM == K.ADAGRAD:
                        xn, n0 = K.adagrad_lane(xj, gj, S0[j], hpB[0, j], hpB[2, j], C0 != 0,
                                                K.adagrad_lr(lr, hpB[1, j], t))
                        n1 = S1[j]
                    elif FAM == K.RMSPROP:
                        xn, n0, n1, n2 = K.rmsprop_lane(xj, gj, S0[j], S1[j], S2[j], hpB[0, j], hpB[1, j],
                                                        hpB[2, j], hpB[3, j], C0 != 0, C1 != 0, C2, C3 != 0, lr)
                    elif FAM == K.ADADELTA:
                        xn, n0, n1 = K.adadelta_lane(xj, gj, S0[j], S1[j], hpB[0, j], hpB[1, j], hpB[2, j], lr)
                    elif FAM == K.ADAMAX:
                        xn, n0, n1 = K.adamax_lane(xj, gj, S0[j], S1[j], hpB[0, j], hpB[1, j], hpB[2, j], C0,
                                                   hpB[4, j], C1 != 0, lr, b0)
                    elif FAM == K.NADAM:
                        xn, n0, n1, n2 = K.nadam_lane(xj, gj, S0[j], S1[j], S2[j], hpB[0, j], hpB[1, j], hpB[2, j],
                                                      hpB[5, j], C1 != 0, lr, b0, b1, b2)
                    elif FAM == K.RADAM:
                        xn, n0, n1 = K.radam_lane(xj, gj, S0[j], S1[j], hpB[0, j], hpB[1, j], hpB[2, j], C1 == 0,
                                                  hpB[6, j], C2 != 0, lr, b0, b1, b2, b3)
                    else:  # LION
                        xn, n0 = K.lion_lane(xj, gj, S0[j], hpB[0, j], hpB[1, j], hpB[2, j], lr)
                        n1 = S1[j]
                    # accept the step as the scalar kernel does: project, freeze a lane at its
                    # first non-finite value, track max |x| (the regret is added in _gradients);
                    # selects only
                    alive = bad[j] == 0.0
                    if project:
                        xn = lo if xn < lo else (hi if xn > hi else xn)
                    fin = (xn - xn) + (n0 - n0) + (n1 - n1) + (n2 - n2) == 0.0
                    x[j] = xn if alive else xj
                    S0[j] = n0 if alive else S0[j]
                    S1[j] = n1 if alive else S1[j]
                    S2[j] = n2 if alive else S2[j]
                    ax = abs(xn)
                    xmax[j] = ax if (alive & fin & (ax > xmax[j])) else xmax[j]
                    bad[j] = tf if (alive & (not fin)) else bad[j]
            for jj in range(W):
                j = uint64(jj)
                out[s + j, 0] = x[j]
                out[s + j, 1] = reg[j] / T
                out[s + j, 2] = xmax[j]
                out[s + j, 3] = bad[j]

    return kernel


_KERNELS: dict = {}


def kernel(fam: int, codes: tuple):
    """The (cached) blocked kernel for a family and its switch codes."""
    key = (int(fam), tuple(int(c) for c in codes))
    if key not in _KERNELS:
        _KERNELS[key] = _make(*key)
    return _KERNELS[key]


def code_groups(fam: int, hps: np.ndarray):
    """``[(codes, indices), ...]``: the configurations sharing each tuple of switch codes (one
    kernel each, on the CPU and on the GPU)."""
    cols = list(CODE_COLUMNS[fam])
    n = hps.shape[0]
    if n == 0:
        return []
    codes = hps[:, cols]
    if not cols or np.all(codes == codes[:1]):  # the usual case: one tuple (np.unique(axis=0)
        return [(tuple(int(v) for v in codes[0]), np.arange(n))]  # costs ~10 ms per 10**4 rows)
    keys, inverse = np.unique(codes, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    return [(tuple(int(v) for v in keys[g]), np.flatnonzero(inverse == g)) for g in range(keys.shape[0])]


def time_tuples(hps: np.ndarray, tcols: list):
    """``(first, index)`` for configurations sorted by the columns the per-step factors read:
    the row of the first configuration of each distinct tuple (compared bit for bit) and each
    configuration's tuple number."""
    bits = np.ascontiguousarray(hps[:, tcols]).view(np.int64)
    new = np.ones(hps.shape[0], dtype=np.bool_)
    new[1:] = np.any(bits[1:] != bits[:-1], axis=1)
    return np.flatnonzero(new), np.cumsum(new) - 1


def period_start(prob: int, pp: np.ndarray) -> np.ndarray:
    """Each configuration's position in its period at step 1 (``(t - 1 - phase) mod n`` of
    problems.coef1 at t = 1; ``pp`` is (N, 4)); zeros for the other families."""
    if prob == P.PERIODIC:
        return np.mod(-np.floor(pp[:, 2]), pp[:, 1])
    return np.zeros(pp.shape[0])


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


def run_blocked(fam, hps, lrs0, lr_mult, x0s, inits, prob, pps, draws, lo, hi, project, xstars,
                block: int = DEFAULT_BLOCK) -> np.ndarray:
    """Sweep the configurations given row by row (``hps`` (N, NHP), ``pps`` (N, 4), ...);
    returns ``out`` (N, 4) in the input order, bit-identical to the scalar sweep kernel.

    Configurations are grouped by switch codes (one kernel per group), sorted inside a group by
    the parameters of the per-step factors (so most blocks share one tuple of them and get the
    factors as scalars) and padded to whole blocks with copies of the group's last
    configuration, whose results are dropped.
    """
    if fam not in FAMILIES:
        raise ValueError(f"no blocked kernel for family code {fam}")
    W = int(block)
    out = np.empty((hps.shape[0], 4))
    tcols = list(TIME_COLUMNS.get(fam, ()))
    for codes, idx in code_groups(fam, hps):
        if tcols:
            idx = idx[np.lexsort(hps[idx][:, tcols[::-1]].T)]
        n = idx.size
        full = np.concatenate([idx, np.full((-n) % W, idx[-1])])
        hpT = np.ascontiguousarray(hps[full].T)
        ppT = np.ascontiguousarray(pps[full].T)
        initT = np.ascontiguousarray(inits[full].T)
        ctr0 = period_start(prob, pps[full])
        tab, tix = np.empty((0, 0, 4)), np.zeros(full.size, dtype=np.int64)
        if tcols:
            first, tix = time_tuples(hps[full], tcols)
            if first.size * lr_mult.size * 32 <= TABLE_BYTES:
                tab = time_table(fam, np.ascontiguousarray(hpT[:, first]), lr_mult.size)
        res = np.empty((full.size, 4))
        args = (W, prob, hpT, np.ascontiguousarray(lrs0[full]), lr_mult, np.ascontiguousarray(x0s[full]), initT,
                ppT, draws, float(lo), float(hi), bool(project), np.ascontiguousarray(xstars[full]), ctr0, tab, tix,
                res)
        in_threads(kernel(fam, codes), args, full.size // W)
        out[idx] = res[:n]
    return out
