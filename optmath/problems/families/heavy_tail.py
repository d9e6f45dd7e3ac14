r"""``(mu + xi_t) x`` on ``[-1, 1]`` with symmetric Pareto noise of tail index ``alpha`` and scale
``s``: ``xi = s sign(u - 1/2) ((2|u - 1/2|)^(-1/alpha) - 1)`` (infinite variance for ``alpha <= 2``)."""
from ..family import Param, family, uniform_draws


def gradient(x, t, u, cyc, mu, alpha, s):
    h = u - 0.5
    mag = (2.0 * abs(h)) ** (-1.0 / alpha) - 1.0
    return mu + s * (mag if h >= 0 else -mag)



def _check(v):
    if v["mu"] == 0:
        return "problem parameter mu = 0 leaves no unique optimum"
    return None


FAMILY = family(
    "heavy_tail",
    params=(Param("mu", 0.1, doc="the mean gradient"), Param("alpha", 1.5, lo=0.0, lo_open=True, doc="tail index"),
            Param("s", 1.0, lo=0.0, doc="noise scale")),
    gradient=gradient, loss=None, draws=uniform_draws, check=_check, linear=True, stochastic=True,
    optimum=lambda v: -1.0 if v["mu"] > 0 else 1.0,
    domain=lambda v: (-1.0, 1.0),
    scale=lambda v: abs(v["mu"]) + v["s"],
    doc=__doc__,
)
