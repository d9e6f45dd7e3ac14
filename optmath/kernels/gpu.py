r"""The sweep on a CUDA GPU: one configuration per thread (``optmath sweep --device cuda``).

The kernel is generated with the CPU kernels (``make_cuda`` of the module that
:mod:`optmath.kernels.generate` writes): the same printed statements of the program, the same
problem family's gradient and loss (compiled as device functions from their Python source), the same acceptance rule (projection, regret, freezing at the first
non-finite value, max |x|).

In CI there is no GPU: the tests run this kernel under Numba's CUDA simulator
(``NUMBA_ENABLE_CUDASIM=1``), where it executes as Python on NumPy scalars and gives the CPU
kernels' bits.  On a real GPU division and square root are IEEE-rounded, but ``pow`` (the
running products' anchors, non-integer powers) comes from CUDA's libdevice and NVVM may contract
multiply-adds, so results agree with the CPU to rounding, not bit for bit; the benchmark prints
the largest difference.
"""
from __future__ import annotations

import math

import numpy as np
from numba import cuda

from ..errors import OptmathError
from . import generate
from .blocked import columns

THREADS = 128
_KERNELS: dict = {}


class CudaUnavailableError(OptmathError, RuntimeError):
    """``--device cuda`` without a usable CUDA GPU (or the simulator)."""


def _cuda():
    if not cuda.is_available():
        raise CudaUnavailableError("no CUDA GPU is available (numba.cuda.is_available() is False); use --device cpu, "
                                   "or set NUMBA_ENABLE_CUDASIM=1 to run the kernel in Numba's simulator")
    return cuda


def run_cuda(batch) -> np.ndarray:
    """Run a :class:`optmath.grid.Batch` on the GPU; ``out`` (n, 4) as the CPU backends."""
    _cuda()
    mod = generate.load_sweep(batch.alg, batch.problem, precision=batch.precision)
    kernel = _KERNELS.get(mod.__name__)
    if kernel is None:
        kernel = _KERNELS[mod.__name__] = mod.make_cuda()
    n = len(batch)
    out = np.empty((n, 4))
    if n == 0:
        return out
    args = columns(batch)
    dev = [cuda.to_device(a) if isinstance(a, np.ndarray) else a for a in args]
    d_out = cuda.to_device(out)
    kernel[math.ceil(n / THREADS), THREADS](*dev, d_out)
    return d_out.copy_to_host()
