r"""Refuted: "bias correction stops mattering after about 20 steps" -- false for b2 = 0.999.

Assumptions
    The claim read as: after 20 steps the factor 1/(1 - b2^t) is within 1% of 1.
Derivation
    With b2 = 999/1000 exactly the factor 1/(1 - b2^20) is far above 1.01 at t = 20, and it
    is within 1% of 1 only from the t that steps_until (kind "factor", confirmed with exact
    rationals) returns; the weight sum 1 - b2^t reaches 0.99 a few steps earlier (kind
    "weight"): the result carries both counts, named.  Kernel: Adam's v under g = 1 at t = 20,
    whose reciprocal is the factor v needs to estimate E[g^2] = 1.  For b1 = 0.9 the result
    gives the same reading (factor at t = 20, first t within 1% and within 10%): the claim
    matches b1's 10% horizon roughly and its 1% horizon not at all.
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


def prove_refute_correction_negligible_after_20_steps(t: int = 20) -> ProofResult:
    b2, tol = Fraction(999, 1000), Fraction(1, 100)
    factor = 1 / (1 - b2**t)
    n = steps_until(b2, tol, kind="factor")
    n_weight = steps_until(b2, tol, kind="weight")
    exact_counter = factor > 1 + tol and (1 / (1 - b2**n) <= 1 + tol < 1 / (1 - b2 ** (n - 1)))
    exact_counter &= b2**n_weight <= tol < b2 ** (n_weight - 1)
    b1 = Fraction(9, 10)
    b1_factor = 1 / (1 - b1**t)
    b1_steps = {str(d): steps_until(b1, d, kind="factor") for d in (Fraction(1, 100), Fraction(1, 10))}
    tr = run(get_spec("adam").resolve("pytorch"), np.ones((t, 1)), record_states=True)
    v_t = float(tr.states["v"][t, 0])
    kernel_counter = abs(1 / v_t - float(factor)) < 1e-9 and 1 / v_t > 1 + float(tol)
    return ProofResult(
        claim=f"bias correction is negligible (factor within 1% of 1) after about {t} steps, b2 = 0.999",
        symbolic=f"exact: 1/(1 - b2^{t}) = {float(factor):.4f}; the factor is within 1% from t = {n:,}, the weight "
                 f"sum 1 - b2^t within 1% from t = {n_weight:,}; for b1 = 0.9 the factor at t = {t} is "
                 f"{float(b1_factor):.4f}, within 1% from t = {b1_steps['1/100']}, within 10% from t = "
                 f"{b1_steps['1/10']}",
        numeric=f"kernel v_{t} under g = 1 is {v_t:.6f}, needing factor {1 / v_t:.4f}",
        status=verdict(exact_counter, kernel_counter, refutes=True), kind="counterexample",
        data={"factor_at_t": float(factor), "first_t_factor_within_1pct": n, "first_t_weight_within_1pct": n_weight,
              "kernel_v_t": v_t, "b1_factor_at_t": float(b1_factor),
              "b1_first_t_factor_within_1pct": b1_steps["1/100"], "b1_first_t_factor_within_10pct": b1_steps["1/10"],
              "weight_target": float(1 - tol)},
        value=1 / v_t, reference=float(1 + tol), tolerance=0.0)


if __name__ == "__main__":
    print(prove_refute_correction_negligible_after_20_steps())
