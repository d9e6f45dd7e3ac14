r"""The sweep on a CUDA GPU: one configuration per thread (``optmath sweep --device cuda``).

The per-thread body is the blocked kernel's lane body (:mod:`optmath.kernels.blocked`): the same
gradient, the same lane function of the family, compiled for the GPU from the same Python
source (``cuda.jit(device=True)`` of each lane function's ``py_func``), and the same acceptance
rule (projection, regret, freezing at the first non-finite value, max |x|).

In CI there is no GPU: the tests run this kernel under Numba's CUDA simulator
(``NUMBA_ENABLE_CUDASIM=1``), where it executes as Python on NumPy scalars and gives the CPU
kernels' bits.  On a real GPU division and square root are IEEE-rounded, but ``pow`` (the bias
corrections) comes from CUDA's libdevice and NVVM may contract multiply-adds, so results agree
with the CPU to rounding, not bit for bit; the benchmark prints the largest difference.
"""
from __future__ import annotations

import math

import numpy as np
from numba import cuda

from ..errors import OptmathError
from .. import problems as P
from . import steps as K
from .blocked import FAMILIES, code_groups, period_start

THREADS = 128
_KERNELS: dict = {}
_DEVICE: dict = {}


class CudaUnavailableError(OptmathError, RuntimeError):
    """``--device cuda`` without a usable CUDA GPU (or the simulator)."""


def _cuda():
    if not cuda.is_available():
        raise CudaUnavailableError("no CUDA GPU is available (numba.cuda.is_available() is False); use --device cpu, "
                                   "or set NUMBA_ENABLE_CUDASIM=1 to run the kernel in Numba's simulator")
    return cuda


def _dev(fn):
    """A device version of a CPU lane function, compiled from the same Python source."""
    if fn not in _DEVICE:
        _DEVICE[fn] = cuda.jit(device=True)(fn.py_func)
    return _DEVICE[fn]


def _make(fam: int, prob: int, codes: tuple):
    C0, C1, C2, C3, C4, C5 = tuple(int(c) for c in codes) + (0,) * (6 - len(codes))
    FAM, PROB = fam, prob
    LOOK = fam == K.SGD and C0 == 2 and C1 == 2
    d = {f.__name__: _dev(f) for f in (
        K.adam_lane, K.adam_times, K.sgd_lane, K.adagrad_lane, K.adagrad_lr, K.rmsprop_lane, K.adadelta_lane,
        K.adamax_lane, K.adamax_times, K.nadam_lane, K.nadam_times, K.radam_lane, K.radam_times, K.lion_lane,
        P.coef1, P.quad_grad1, P.quad_loss1, P.lin_loss1, P._fs_grad, P._fs_loss)}
    adam_lane, adam_times, sgd_lane = d["adam_lane"], d["adam_times"], d["sgd_lane"]
    adagrad_lane, adagrad_lr, rmsprop_lane, adadelta_lane = (d["adagrad_lane"], d["adagrad_lr"], d["rmsprop_lane"],
                                                            d["adadelta_lane"])
    adamax_lane, adamax_times, nadam_lane, nadam_times = (d["adamax_lane"], d["adamax_times"], d["nadam_lane"],
                                                         d["nadam_times"])
    radam_lane, radam_times, lion_lane = d["radam_lane"], d["radam_times"], d["lion_lane"]
    coef1, quad_grad1, quad_loss1, lin_loss1 = d["coef1"], d["quad_grad1"], d["quad_loss1"], d["lin_loss1"]
    fs_grad, fs_loss = d["_fs_grad"], d["_fs_loss"]

    @cuda.jit
    def kernel(hpT, lr0, lr_mult, x0, init, ppT, draws, lo, hi, project, xstar, ctr0, out):
        c = cuda.grid(1)
        if c >= x0.shape[0]:
            return
        T = lr_mult.shape[0]
        x, s0, s1, s2, ctr = x0[c], init[0, c], init[1, c], init[2, c], ctr0[c]
        reg, xmax, bad = 0.0, abs(x), 0.0
        T0, T1, T2, T3 = 1.0, 1.0, 1.0, 1.0
        for k in range(T):
            t = k + 1
            tf = float(t)
            u = draws[k]
            lr = lr0[c] * lr_mult[k]
            if FAM == K.ADAM:
                T0, T1 = adam_times(hpT[0, c], hpT[1, c], hpT[8, c] != 0.0, t)
            elif FAM == K.ADAMAX:
                T0 = adamax_times(hpT[0, c], t)
            elif FAM == K.NADAM:
                T0, T1, T2 = nadam_times(hpT[0, c], hpT[1, c], hpT[3, c], int(hpT[4, c]), t)
            elif FAM == K.RADAM:
                T0, T1, T2, T3 = radam_times(hpT[0, c], hpT[1, c], hpT[3, c], hpT[4, c] != 0.0, t)
            if PROB == P.PERIODIC:
                g = ppT[0, c] if ctr == 0.0 else -ppT[3, c]
                nxt = ctr + 1.0
                ctr = 0.0 if nxt == ppT[1, c] else nxt
                ld = lin_loss1(g, x) - lin_loss1(g, xstar[c])
            elif PROB == P.QUADRATIC:
                xe = x + hpT[0, c] * s1 if LOOK else x
                g = quad_grad1(ppT[0, c], ppT[1, c], xe)
                ld = (0.0 + quad_loss1(ppT[0, c], ppT[1, c], x)) - (0.0 + quad_loss1(ppT[0, c], ppT[1, c], xstar[c]))
            elif PROB == P.FINITE_SUM:
                xe = x + hpT[0, c] * s1 if LOOK else x
                g = fs_grad(ppT[0, c], u == 0.0, xe)
                ld = (0.0 + fs_loss(ppT[0, c], u == 0.0, x)) - (0.0 + fs_loss(ppT[0, c], u == 0.0, xstar[c]))
            else:
                g = coef1(PROB, ppT[0, c], ppT[1, c], ppT[2, c], ppT[3, c], t, u)
                ld = lin_loss1(g, x) - lin_loss1(g, xstar[c])
            n0, n1, n2 = s0, s1, s2
            if FAM == K.ADAM:
                xn, n0, n1, n2 = adam_lane(x, g, s0, s1, s2, hpT[0, c], hpT[1, c], hpT[2, c], hpT[3, c], hpT[4, c],
                                           C0, C1, C2, C4 != 0, C5 != 0, lr, T0, T1)
            elif FAM == K.SGD:
                xn, n0, n1 = sgd_lane(x, g, s0, s1, hpT[0, c], hpT[1, c], hpT[2, c], C0, C1, C2 != 0, lr, t)
            elif FAM == K.ADAGRAD:
                xn, n0 = adagrad_lane(x, g, s0, hpT[0, c], hpT[2, c], C0 != 0, adagrad_lr(lr, hpT[1, c], t))
            elif FAM == K.RMSPROP:
                xn, n0, n1, n2 = rmsprop_lane(x, g, s0, s1, s2, hpT[0, c], hpT[1, c], hpT[2, c], hpT[3, c], C0 != 0,
                                              C1 != 0, C2, C3 != 0, lr)
            elif FAM == K.ADADELTA:
                xn, n0, n1 = adadelta_lane(x, g, s0, s1, hpT[0, c], hpT[1, c], hpT[2, c], lr)
            elif FAM == K.ADAMAX:
                xn, n0, n1 = adamax_lane(x, g, s0, s1, hpT[0, c], hpT[1, c], hpT[2, c], C0, hpT[4, c], C1 != 0, lr, T0)
            elif FAM == K.NADAM:
                xn, n0, n1, n2 = nadam_lane(x, g, s0, s1, s2, hpT[0, c], hpT[1, c], hpT[2, c], hpT[5, c], C1 != 0, lr,
                                            T0, T1, T2)
            elif FAM == K.RADAM:
                xn, n0, n1 = radam_lane(x, g, s0, s1, hpT[0, c], hpT[1, c], hpT[2, c], C1 == 0, hpT[6, c], C2 != 0, lr,
                                        T0, T1, T2, T3)
            else:
                xn, n0 = lion_lane(x, g, s0, hpT[0, c], hpT[1, c], hpT[2, c], lr)
            if project:
                xn = lo if xn < lo else (hi if xn > hi else xn)
            fin = (xn - xn) + (n0 - n0) + (n1 - n1) + (n2 - n2) == 0.0
            reg = reg + ld
            x, s0, s1, s2 = xn, n0, n1, n2
            if not fin:
                bad = tf
                break
            if abs(x) > xmax:
                xmax = abs(x)
        out[c, 0] = x
        out[c, 1] = reg / T
        out[c, 2] = xmax
        out[c, 3] = bad

    return kernel


def run_cuda(batch) -> np.ndarray:
    """Run a :class:`optmath.grid.Batch` on the GPU; ``out`` (n, 4) as the CPU backends."""
    _cuda()
    if batch.family not in FAMILIES:
        raise CudaUnavailableError("AdamP has no GPU kernel (its projection needs whole-vector norms)")
    out = np.empty((len(batch), 4))
    for codes, idx in code_groups(batch.family, batch.hps):
        key = (batch.family, batch.problem, codes)
        if key not in _KERNELS:
            _KERNELS[key] = _make(*key)
        pp = batch.pps[idx]
        ctr0 = period_start(batch.problem, pp)
        res = np.empty((idx.size, 4))
        args = [np.ascontiguousarray(a) for a in (batch.hps[idx].T, batch.lrs0[idx], batch.lr_mult, batch.x0s[idx],
                                                  batch.inits[idx].T, pp.T, batch.draws)]
        dev = [cuda.to_device(a) for a in args]
        d_out = cuda.to_device(res)
        blocks = math.ceil(idx.size / THREADS)
        _KERNELS[key][blocks, THREADS](*dev, float(batch.lo), float(batch.hi), bool(batch.project),
                                       cuda.to_device(np.ascontiguousarray(batch.xstars[idx])),
                                       cuda.to_device(np.ascontiguousarray(ctr0)), d_out)
        out[idx] = d_out.copy_to_host()
    return out
