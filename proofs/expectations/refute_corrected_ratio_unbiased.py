r"""Refuted: "after bias correction, mhat_t / sqrt(vhat_t) is an unbiased estimate of E[g] / sqrt(E[g^2])".

Assumptions
    g_i i.i.d. N(mu, sigma^2), eps = 0.
Derivation
    At t = 1, mhat_1/sqrt(vhat_1) = g_1/|g_1| = sign(g_1), whose mean is
    P(g > 0) - P(g < 0) = erf(mu/(sigma sqrt 2)) (from :mod:`sympy.stats`), while
    E[mhat]/sqrt(E[vhat]) = mu/sqrt(mu^2 + sigma^2); at mu = sigma = 1 they are 0.6827 and
    0.7071.  For t = 1 and 10 the bias is confirmed by Monte Carlo with the Adam kernel on
    200,000 coordinates (more than 5 standard errors); t = 100 (50,000 coordinates) is
    reported, not required.
Kind
    counterexample
References
    Kingma & Ba (2014), section 3 ("correct for the initialization bias").
Example
    >>> prove_refute_corrected_ratio_unbiased().status
    'refuted'
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from optmath import get_spec, run
from optmath.proof import ProofResult, verdict
from optmath.symbolic.expectations import MU, SIGMA, ratio_bias_first_step

EXPECTED = "refuted"


Z_MIN = 5  # standard errors


def prove_refute_corrected_ratio_unbiased(N: int = 200_000) -> ProofResult:
    r = ratio_bias_first_step()
    at = {MU: 1, SIGMA: 1}
    diff1 = sp.N(r["difference"].subs(at), 30)
    symbolic_counter = abs(diff1) > 1e-3
    target = 1 / np.sqrt(2)
    alg = get_spec("adam").resolve("pytorch", eps=0.0)
    b1, b2 = alg.values["b1"], alg.values["b2"]
    mc = {}
    numeric_counter = True
    # t <= 10 on N coordinates (required); t = 100 on N/4 (reported: its bias ~1e-3 is near the
    # Monte Carlo resolution); two runs keep the recorded states small
    for T, n, seed in ((10, N, 21), (100, N // 4, 22)):
        grads = np.random.default_rng(seed).normal(1.0, 1.0, size=(T, n))
        st = run(alg, grads, record_states=True).states
        for t in ((1, 10) if T == 10 else (100,)):
            ratio = (st["m"][t] / (1 - b1**t)) / np.sqrt(st["v"][t] / (1 - b2**t))
            mean, se = float(ratio.mean()), float(ratio.std(ddof=1) / np.sqrt(n))
            mc[t] = {"mean": mean, "se": se, "bias": mean - target, "z": (mean - target) / se, "n": n}
            if t <= 10:
                numeric_counter &= abs(mean - target) > Z_MIN * se
    return ProofResult(
        claim="mhat_t/sqrt(vhat_t) is unbiased for E[g]/sqrt(E[g^2]) after bias correction",
        symbolic=f"t = 1: E = {r['mean_of_direction']} vs {r['ratio_of_means']}; at mu = sigma = 1 "
                 f"the difference is {float(diff1):.6f}",
        numeric="kernel Monte Carlo, mu = sigma = 1, target 0.707107: " + "; ".join(
            f"t = {t}: mean {v['mean']:.5f} +- {v['se']:.5f} (bias {v['bias']:+.5f}, {v['z']:.0f} SE)"
            for t, v in mc.items()),
        status=verdict(symbolic_counter, numeric_counter, refutes=True), kind="counterexample",
        data={"z_min": Z_MIN, "coordinates": N, "difference_t1": float(diff1),
              "mean_of_direction_t1": float(sp.N(r["mean_of_direction"].subs(at), 30)), "monte_carlo": {str(k): v for k, v in mc.items()}})


if __name__ == "__main__":
    print(prove_refute_corrected_ratio_unbiased())
