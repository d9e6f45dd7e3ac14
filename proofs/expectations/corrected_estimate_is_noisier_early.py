r"""Var[mhat_t] = sigma^2 (1-b)(1+b^t) / ((1+b)(1-b^t)): the full sigma^2 at t = 1, falling to (1-b)/(1+b) sigma^2.

Assumptions
    i.i.d. gradients with variance sigma^2; 0 < b < 1; m_0 = 0.
Derivation
    Var[m_t]/W_t^2 from the generic moments, simplified with (1-b^(2t)) = (1-b^t)(1+b^t) and
    compared with the claim; its value at t = 1 and its limit.  Correction removes the bias of
    the mean exactly but multiplies the variance by 1/W_t^2, so early corrected estimates are
    as noisy as a single gradient.  Kernel: Monte Carlo of mhat_1 and mhat_200 over 40,000
    coordinates.
Kind
    exact
References
    Kingma & Ba (2014), section 3.
Example
    >>> prove_corrected_estimate_is_noisier_early().status
    'proved'
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from optmath import get_spec, run
from optmath.proof import ProofResult, verdict
from optmath.symbolic.checks import simplifies_to_zero
from optmath.symbolic.ema import T_, limit_t_inf
from optmath.symbolic.expectations import SIGMA, iid_moments

EXPECTED = "proved"


def prove_corrected_estimate_is_noisier_early(N: int = 40_000) -> ProofResult:
    alg = get_spec("adam").resolve("pytorch")
    mo = iid_moments(alg, "m")
    b = sp.Symbol("b1", positive=True)
    claimed = SIGMA**2 * (1 - b) * (1 + b**T_) / ((1 + b) * (1 - b**T_))
    ok = simplifies_to_zero(mo.corrected_variance - claimed)
    ok &= simplifies_to_zero(mo.corrected_variance.subs(T_, 1) - SIGMA**2)
    ok &= simplifies_to_zero(limit_t_inf(mo.corrected_variance) - (1 - b) / (1 + b) * SIGMA**2)
    grads = np.random.default_rng(5).normal(0.0, 1.0, size=(200, N))
    m = run(alg, grads, record_states=True).states["m"]
    b1 = alg.values["b1"]
    out = {}
    num_ok = True
    for t in (1, 200):
        est = m[t] / (1 - b1**t)
        exact = float(claimed.subs({SIGMA: 1, b: sp.Rational(9, 10), T_: t}))
        z = abs(est.var(ddof=1) - exact) / (exact * np.sqrt(2 / (N - 1)))
        out[t] = (float(est.var(ddof=1)), exact, float(z))
        num_ok &= z < 5
    return ProofResult(
        claim="Var[mhat_t] = sigma^2 (1-b)(1+b^t)/((1+b)(1-b^t)); sigma^2 at t = 1",
        symbolic=f"derived {mo.corrected_variance}; equals the claim, sigma^2 at t = 1, limit "
                 f"(1-b)/(1+b) sigma^2: {ok}",
        numeric="kernel Monte Carlo (sigma = 1, b1 = 0.9): " + "; ".join(
            f"t = {t}: {a:.4f} vs {e:.4f} ({z:.2f} SE)" for t, (a, e, z) in out.items()),
        status=verdict(ok, num_ok), data={"monte_carlo": {str(k): v for k, v in out.items()}, "coordinates": N})


if __name__ == "__main__":
    print(prove_corrected_estimate_is_noisier_early())
