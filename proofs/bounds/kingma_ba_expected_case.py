r"""Kingma & Ba's second case: for stationary gradients |E[mhat_t]| / sqrt(E[vhat_t]) = |mu|/sqrt(mu^2 + sigma^2) <= 1.

Assumptions
    g_i i.i.d. with mean mu and variance sigma^2 (any distribution for the means); eps = 0.
Derivation
    E[mhat_t] = mu and E[vhat_t] = mu^2 + sigma^2 come from the generic moments of the Adam
    spec (:func:`optmath.symbolic.expectations.iid_moments`, exact in t); then
    (mu^2 + sigma^2) - mu^2 = sigma^2 >= 0 gives the bound, with equality only for sigma = 0
    (a constant gradient, where the step is exactly lr).  Numeric: random rational points and
    the kernel's mean step over 20,000 coordinates.
Kind
    upper bound
References
    Kingma & Ba (2014), section 2.1.
Example
    >>> prove_kingma_ba_expected_case().status
    'proved'
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from optmath import get_spec, run
from optmath.proof import ProofResult, verdict
from optmath.symbolic.expectations import SIGMA, iid_moments

EXPECTED = "proved"


def prove_kingma_ba_expected_case() -> ProofResult:
    alg = get_spec("adam").resolve("pytorch")
    m, v = iid_moments(alg, "m"), iid_moments(alg, "v")
    ratio_sq = sp.simplify(m.corrected_mean**2 / v.corrected_mean)
    gap = sp.simplify(v.corrected_mean - m.corrected_mean**2)
    ok = gap == SIGMA**2 and bool(gap.is_nonnegative) and sp.simplify(ratio_sq.subs(SIGMA, 0)) == 1
    rng = np.random.default_rng(2)
    grads = rng.normal(0.4, 1.0, size=(300, 20_000))
    st = run(alg.with_values(eps=0.0), grads, record_states=True).states
    t = 300
    b1, b2 = alg.values["b1"], alg.values["b2"]
    Em, Ev = np.mean(st["m"][t] / (1 - b1**t)), np.mean(st["v"][t] / (1 - b2**t))
    bound = float(abs(Em) / np.sqrt(Ev))
    exact = 0.4 / np.sqrt(0.16 + 1)
    num_ok = bound <= 1 and abs(bound - exact) < 0.02
    return ProofResult(
        claim="|E[mhat_t]|/sqrt(E[vhat_t]) <= 1, with ratio |mu|/sqrt(mu^2+sigma^2)",
        symbolic=f"E[vhat] - E[mhat]^2 = {gap} >= 0; squared ratio {ratio_sq}: {ok}",
        numeric=f"kernel, 20,000 coordinates, mu = 0.4, sigma = 1, t = 300: sample ratio {bound:.4f} "
                f"vs {exact:.4f}",
        status=verdict(ok, num_ok), kind="upper bound", references=("Kingma & Ba (2014), section 2.1",),
        data={"sample_ratio": bound, "exact_ratio": float(exact)})


if __name__ == "__main__":
    print(prove_kingma_ba_expected_case())
