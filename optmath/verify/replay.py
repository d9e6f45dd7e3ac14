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

import mpmath
import numpy as np

from ..spec import Algorithm
from .reference import mpmath_namespace, reference_step

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
