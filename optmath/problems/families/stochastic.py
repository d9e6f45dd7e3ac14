r"""Reddi et al. (2018), Theorem 3: ``f_t(x) = C x`` with probability ``p``, else ``-D x``, on ``[lo, hi]``."""
from ..family import Param, family, uniform_draws


def gradient(x, t, u, cyc, C, p, D):
    return C if u < p else -D



def _check(v):
    if not v["lo"] < v["hi"]:
        return f"problem domain lo = {v['lo']!r} must be below hi = {v['hi']!r}"
    return None


FAMILY = family(
    "stochastic",
    params=(Param("C", 3.0, lo=0.0, lo_open=True), Param("p", 0.4, lo=0.0, hi=1.0, doc="probability of C"),
            Param("D", 1.0, lo=0.0, lo_open=True)),
    domain_params=(Param("lo", -1.0), Param("hi", 1.0)),
    gradient=gradient, loss=None, draws=uniform_draws, check=_check, linear=True, stochastic=True,
    optimum=lambda v: v["lo"] if v["p"] * v["C"] - (1 - v["p"]) * v["D"] > 0 else v["hi"],
    domain=lambda v: (v["lo"], v["hi"]),
    scale=lambda v: v["p"] * v["C"] + (1 - v["p"]) * v["D"],
    doc=__doc__,
)
