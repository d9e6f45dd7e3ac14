r"""Refuted: "AdaMax's step is bounded by lr, |Delta_t| <= lr" (Kingma & Ba section 7.1) -- exceeded by up to (1-b1)/(1-b1/b2), 0.9% for b2 = 0.999.

Assumptions
    0 < b1 < b2 < 1, eps = 0 (exactly as stated in the paper), u_0 = m_0 = 0.
Derivation
    For the decreasing stream g_i = b2^(i-t) (so g_t = 1), u_i = max(b2 u_{i-1}, |g_i|) ties
    at every step and u_t = 1, while m_t = (1-b1) sum_k (b1/b2)^k; the corrected ratio
    m_t/((1-b1^t) u_t) = (1-b1)(1-(b1/b2)^t)/((1-b1^t)(1-b1/b2)) exceeds 1.  Exact witness with
    rationals at t = 200 (b1 = 9/10, b2 = 999/1000): the step is above 1.009 lr, computed both from
    the closed form and by running the spec's recurrences exactly; kernel (eps = 1e-300) agrees.
Kind
    counterexample
References
    Kingma & Ba (2014), section 7.1; REFERENCES.md section 1.
Example
    >>> prove_refute_adamax_step_at_most_lr().status
    'refuted'
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from optmath import get_spec, run
from optmath.proof import ProofResult, verdict

EXPECTED = "refuted"


def prove_refute_adamax_step_at_most_lr(t: int = 200) -> ProofResult:
    b1, b2 = Fraction(9, 10), Fraction(999, 1000)
    grads = [b2 ** (i - t) for i in range(1, t + 1)]
    m = u = Fraction(0)
    for g in grads:  # the spec's recurrences (paper profile), exactly
        m = b1 * m + (1 - b1) * g
        u = max(b2 * u, abs(g))
    ratio = m / ((1 - b1**t) * u)
    r = b1 / b2
    closed = (1 - b1) * (1 - r**t) / ((1 - b1**t) * (1 - r))
    symbolic_counter = ratio == closed and ratio > 1
    alg = get_spec("adamax").resolve("keras", eps=1e-300, lr=1.0)
    tr = run(alg, np.array([float(g) for g in grads]).reshape(-1, 1))
    step = abs(tr.xs[-1, 0] - tr.xs[-2, 0])
    numeric_counter = step > 1 and abs(step - float(ratio)) < 1e-12
    return ProofResult(
        claim="AdaMax's step satisfies |Delta_t| <= lr (b1 = 0.9, b2 = 0.999)",
        symbolic=f"stream g_i = b2^(i-t), t = {t}: exact ratio {float(ratio):.15f} = closed form "
                 f"(1-b1)(1-(b1/b2)^t)/((1-b1^t)(1-b1/b2)); sup (1-b1)/(1-b1/b2) = {float((1 - b1) / (1 - r)):.6f}",
        numeric=f"kernel (keras profile, eps = 1e-300): step = {step:.15f} lr",
        status=verdict(symbolic_counter, numeric_counter, refutes=True), kind="counterexample",
        data={"t": t, "ratio": float(ratio), "kernel": step, "sup_excess": float((1 - b1) / (1 - r)) - 1},
        value=step, reference=1.0, tolerance=0.0)


if __name__ == "__main__":
    print(prove_refute_adamax_step_at_most_lr())
