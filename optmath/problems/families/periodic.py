r"""Reddi et al. (2018), Theorem 1 and their synthetic problem: ``f_t(x) = C x`` when
``(t - 1 - phase) mod n == 0``, else ``-D x``, optimised over ``[lo, hi]`` (Reddi: ``[-1, 1]``,
``C = 3, n = 3, D = 1``; the synthetic problem of their Section 5: ``C = 1010, n = 101, D = 10``)."""
from ..family import NO_DRAWS, Param, family


def gradient(x, t, u, cyc, C, n, phase, D):
    return C if cyc == 0.0 else -D



def _optimum(v):
    mean = (v["C"] - v["D"] * (v["n"] - 1)) / v["n"]
    return v["lo"] if mean > 0 else v["hi"]


def _check(v):
    if not v["lo"] < v["hi"]:
        return f"problem domain lo = {v['lo']!r} must be below hi = {v['hi']!r}"
    return None


FAMILY = family(
    "periodic",
    params=(Param("C", 3.0, lo=0.0, lo_open=True, doc="the gradient once per period"),
            Param("n", 3.0, lo=1.0, integer=True, doc="the period"),
            Param("phase", 0.0, lo=0.0, hi="n", doc="the step of the period that carries C"),
            Param("D", 1.0, lo=0.0, lo_open=True, doc="minus the gradient on the other steps")),
    domain_params=(Param("lo", -1.0), Param("hi", 1.0)),
    presets={"reddi": {"C": 3.0, "n": 3.0, "phase": 0.0, "D": 1.0},
             "synthetic": {"C": 1010.0, "n": 101.0, "phase": 0.0, "D": 10.0}},
    gradient=gradient, loss=None, draws=NO_DRAWS, check=_check, cycle=("n", "phase"), linear=True,
    optimum=_optimum,
    domain=lambda v: (v["lo"], v["hi"]),
    scale=lambda v: (v["C"] + v["D"] * (v["n"] - 1)) / v["n"],
    doc=__doc__,
)
