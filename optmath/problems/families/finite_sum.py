r"""The n-component family in the spirit of Zhang et al. (2022)'s divergence study: Reddi's
components ``f_0 = n x``, ``f_i = -x`` (i >= 1) for ``x >= -1``, continued to the whole real line
by quadratic pieces with matching value and slope, ``f_0 = n/2 (x+2)^2 - 3n/2`` and
``f_i = -(x+2)^2/2 + 3/2`` for ``x < -1``; the sum is ``x`` (``x >= -1``) and ``(x+2)^2/2 - 3/2``
below, with its minimum at ``x* = -2``.  Unconstrained; one component per step (the draw ``u`` is
its index) in cyclic order or by random reshuffling, a fresh permutation per epoch."""
import math

import numpy as np

from ..family import Param, family


def gradient(x, t, u, cyc, n, order):
    first = u == 0.0
    if x >= -1.0:
        return n if first else -1.0
    return n * (x + 2.0) if first else -(x + 2.0)


def loss(x, t, u, cyc, n, order):
    first = u == 0.0
    if x >= -1.0:
        return n * x if first else -x
    return 0.5 * n * (x + 2.0) ** 2 - 1.5 * n if first else -0.5 * (x + 2.0) ** 2 + 1.5


def _draws(rng, steps, v):
    n = int(v["n"])
    if v["order"] == 0:
        return (np.arange(steps) % n).astype(np.float64)
    epochs = -(-steps // n)
    return np.concatenate([rng.permutation(n) for _ in range(epochs)])[:steps].astype(np.float64)


FAMILY = family(
    "finite_sum",
    params=(Param("n", 20.0, lo=2.0, integer=True, doc="components"),
            Param("order", "cyclic", choices=(("cyclic", 0.0), ("reshuffle", 1.0)))),
    gradient=gradient, loss=loss, draws=_draws, stochastic=lambda v: v["order"] == 1.0,
    optimum=lambda v: -2.0,
    domain=lambda v: (-math.inf, math.inf),
    scale=lambda v: 2.0 * (v["n"] - 1.0) / v["n"],  # the mean |slope| of the components on x >= -1
    doc=__doc__,
)
