r"""Refuted: "bias correction stops mattering after about 20 steps" -- false for b2 = 0.999.

Assumptions
    The claim read as: after 20 steps the factor 1/(1 - b2^t) is within 1% of 1.
Derivation
    With b2 = 999/1000 exactly, 1 - b2^20 is about 0.0198, so the factor is about 50.5 at
    t = 20; the factor is within 1% of 1 only from t = 4,613 on (steps_until, kind "factor",
    confirmed with exact rationals).  Kernel: Adam's v under g = 1 at t = 20 is 0.0198, i.e.
    v needs the factor 50.5 to estimate E[g^2] = 1.  The claim holds for b1 = 0.9 (about 44
    steps for 1%), which is where it comes from.
Kind
    counterexample
References
    REFERENCES.md section 1; a claim repeated in tutorials ("after ~20 batches").
Example
    >>> prove_refute_correction_negligible_after_20_steps().status
    'refuted'
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from optmath import get_spec, run
from optmath.proof import ProofResult, verdict
from optmath.symbolic.ema import steps_until

EXPECTED = "refuted"


def prove_refute_correction_negligible_after_20_steps() -> ProofResult:
    b2 = Fraction(999, 1000)
    factor20 = 1 / (1 - b2**20)
    n = steps_until(b2, Fraction(1, 100), kind="factor")
    exact_counter = factor20 > Fraction(101, 100) and (1 / (1 - b2**n) <= Fraction(101, 100) < 1 / (1 - b2 ** (n - 1)))
    tr = run(get_spec("adam").resolve("pytorch"), np.ones((20, 1)), record_states=True)
    v20 = float(tr.states["v"][20, 0])
    kernel_counter = abs(1 / v20 - float(factor20)) < 1e-9 and 1 / v20 > 1.01
    return ProofResult(
        claim="bias correction is negligible (factor within 1% of 1) after about 20 steps, b2 = 0.999",
        symbolic=f"exact: 1/(1 - b2^20) = {float(factor20):.4f}; within 1% only from t = {n}",
        numeric=f"kernel v_20 under g = 1 is {v20:.6f}, needing factor {1 / v20:.4f}",
        status=verdict(exact_counter, kernel_counter, refutes=True), kind="counterexample",
        data={"factor_at_20": float(factor20), "first_t_within_1pct": n, "kernel_v20": v20})


if __name__ == "__main__":
    print(prove_refute_correction_negligible_after_20_steps())
