r"""``f(x) = sum h/2 (x - c)^2``: curvature ``h``, optimum ``c``, unconstrained."""
import math

from ..family import NO_DRAWS, Param, family


def gradient(x, t, u, cyc, h, c):
    return h * (x - c)


def loss(x, t, u, cyc, h, c):
    return 0.5 * h * (x - c) ** 2


FAMILY = family(
    "quadratic",
    params=(Param("h", 1.0, lo=0.0, doc="curvature"), Param("c", 0.0, doc="the optimum")),
    gradient=gradient, loss=loss, draws=NO_DRAWS,
    optimum=lambda v: v["c"],
    domain=lambda v: (-math.inf, math.inf),
    scale=lambda v: v["h"],
    doc=__doc__,
)
