r"""Sparse gradients on ``[-1, 1]``: ``C x`` with probability ``p``, ``-D x`` with probability
``q``, else 0 (most steps carry no gradient)."""
from ..family import Param, family, uniform_draws


def gradient(x, t, u, cyc, C, p, D, q):
    if u < p:
        return C
    if u < p + q:
        return -D
    return 0.0



def _check(v):
    if v["p"] + v["q"] > 1:
        return f"problem parameters p + q = {v['p'] + v['q']!r} must not exceed 1"
    return None


FAMILY = family(
    "sparse",
    params=(Param("C", 10.0, lo=0.0, lo_open=True), Param("p", 0.01, lo=0.0, hi=1.0),
            Param("D", 1.0, lo=0.0, lo_open=True), Param("q", 0.05, lo=0.0, hi=1.0)),
    gradient=gradient, loss=None, draws=uniform_draws, check=_check, linear=True, stochastic=True,
    optimum=lambda v: -1.0 if v["p"] * v["C"] - v["q"] * v["D"] > 0 else 1.0,
    domain=lambda v: (-1.0, 1.0),
    scale=lambda v: v["p"] * v["C"] + v["q"] * v["D"],
    doc=__doc__,
)
