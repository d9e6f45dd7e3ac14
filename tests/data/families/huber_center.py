r"""A user's own family, written against the public API only (tests/test_problem_families.py):
the Huber loss of ``x`` around a centre drawn uniformly from ``[c - w, c + w]`` at every step,
``f_t(x) = huber_delta(x - c_t)``.  The noise is symmetric, so the minimiser of the average loss
is ``c``; unconstrained, not linear, stochastic."""
import math

from optmath.problems.family import Param, family, uniform_draws


def gradient(x, t, u, cyc, c, w, delta):
    r = x - (c + w * (2.0 * u - 1.0))
    if r > delta:
        return delta
    if r < -delta:
        return -delta
    return r


def loss(x, t, u, cyc, c, w, delta):
    r = x - (c + w * (2.0 * u - 1.0))
    a = abs(r)
    if a <= delta:
        return 0.5 * r * r
    return delta * (a - 0.5 * delta)


FAMILY = family(
    "huber_center",
    params=(Param("c", 0.5), Param("w", 1.0, lo=0.0), Param("delta", 0.25, lo=0.0, lo_open=True)),
    gradient=gradient, loss=loss, draws=uniform_draws, stochastic=True,
    optimum=lambda v: v["c"],
    domain=lambda v: (-math.inf, math.inf),
    scale=lambda v: v["delta"],
    doc=__doc__,
)
