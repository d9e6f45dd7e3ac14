r"""Yogi's v decreases by at most (1-b2) min(g_t^2, v_{t-1}) per step (and not at all when g_t = 0); Gamma_t can still be negative.

Assumptions
    v_{t-1} >= 0, 0 < b2 < 1, the Yogi spec's update v_t = v_{t-1} - (1-b2) sign(v_{t-1} - g_t^2) g_t^2.
Derivation
    Branch by branch on the sign: if v_{t-1} > g^2 the decrease is exactly (1-b2) g^2, which is
    (1-b2) min(g^2, v_{t-1}); otherwise v does not decrease.  So Adam's witness (g_t = 0, where
    Adam's v shrinks by the factor b2) leaves Yogi's v unchanged and Gamma_t >= 0 there.  What
    does not hold: Gamma_t >= 0 in general -- with lr/sqrt(t), g_t^2 just below v_{t-1} and
    t > 1/(1-b2) it is negative (a symbolic witness is returned in the data).  Kernel: the
    decrease bound on Reddi's problem and on a heavy-tailed random stream.
Kind
    upper bound
References
    Zaheer et al. (2018), section 3.
Example
    >>> prove_yogi_bounded_decrease().status
    'proved'
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from optmath import get_spec, run
from optmath.proof import ProofResult, verdict
from optmath.spec import g

EXPECTED = "proved"


def prove_yogi_bounded_decrease() -> ProofResult:
    alg = get_spec("yogi").resolve("paper")
    upd = next(a.expr for a in alg.updates if a.target == "v")
    v = sp.Symbol("v", real=True)
    vp, gg = sp.Symbol("V", positive=True), sp.Symbol("gamma", positive=True)  # g^2 = gamma
    b2 = sp.Symbol("b2", real=True)
    dec = sp.expand(v - upd).subs(g**2, gg).subs(v, vp)
    sgn = next(iter(dec.atoms(sp.sign)))
    branches = {}
    for val, name in ((1, "v > g^2"), (0, "v = g^2"), (-1, "v < g^2")):
        branches[name] = sp.simplify(dec.subs(sgn, val))
    ok = (sp.simplify(branches["v > g^2"] - (1 - b2) * gg) == 0 and branches["v = g^2"] == 0
          and sp.simplify(branches["v < g^2"] + (1 - b2) * gg) == 0)
    ok &= sp.simplify(upd.subs({g: 0})) == v
    # Gamma_t < 0 witness: lr/sqrt(t), v_{t-1} = 1, g^2 = 99/100, b2 = 999/1000, t = 2000
    vn = 1 - (1 - sp.Rational(999, 1000)) * sp.Rational(99, 100)
    wit = sp.sqrt(2000 * vn) - sp.sqrt(1999)
    ok &= bool(sp.N(wit, 30) < 0)
    worst = -np.inf
    streams = {"reddi": run(get_spec("yogi").resolve("paper", b1=0.0, b2=0.999, lr=0.1),
                            problem="reddi:C=3", steps=3000, schedule="inv_sqrt", record_states=True)}
    rng = np.random.default_rng(8)
    heavy = rng.standard_cauchy(size=(3000, 4))
    streams["cauchy"] = run(get_spec("yogi").resolve("paper", b2=0.99), heavy, record_states=True)
    for name, tr in streams.items():
        vs = tr.states["v"]
        if name == "reddi":
            t = np.arange(1, vs.shape[0])
            gs = np.where(t % 3 == 1, 3.0, -1.0).reshape(-1, 1)
            b = 0.999
        else:
            gs, b = heavy, 0.99
        decrease = vs[:-1] - vs[1:]
        bound = (1 - b) * np.minimum(gs**2, vs[:-1])
        worst = max(worst, float(np.max((decrease - bound) / np.maximum(1e-300, np.abs(vs[:-1])))))
    num_ok = worst <= 1e-14
    return ProofResult(
        claim="Yogi: v_{t-1} - v_t <= (1-b2) min(g_t^2, v_{t-1}); v unchanged when g_t = 0",
        symbolic=f"decrease by branch {branches}; v unchanged at g = 0; Gamma_t < 0 witness "
                 f"(lr/sqrt(t), t = 2000, g^2 = 0.99 v) = {sp.N(wit, 6)}",
        numeric=f"kernel on Reddi (C = 3) and Cauchy streams: max scaled excess of the decrease "
                f"over the bound {worst:.1e}",
        status=verdict(ok, num_ok), kind="upper bound", references=("Zaheer et al. (2018)",),
        data={"max_excess": worst, "gamma_witness": float(sp.N(wit))},
        value=worst, reference=0.0, tolerance=1e-14)


if __name__ == "__main__":
    print(prove_yogi_bounded_decrease())
