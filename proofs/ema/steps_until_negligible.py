r"""The weight sum 1 - b^t is within delta of 1 from step ceil(ln(delta)/ln(b)) on, and not before.

Assumptions
    0 < b < 1, 0 < delta < 1.
Derivation
    b^t <= delta  <=>  t >= ln(delta)/ln(b) since ln(b) < 0; the closed form is evaluated by
    :func:`optmath.symbolic.ema.steps_until` and confirmed exactly: b^n <= delta and
    b^(n-1) > delta with rational arithmetic.  Kernel: Adam's m under a constant gradient 1
    reaches 1 - delta exactly at that step.
Kind
    exact
References
    REFERENCES.md section 1 (b2 = 0.999 needs about 4,600 steps for delta = 0.01).
Example
    >>> prove_steps_until_negligible().status
    'proved'
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from optmath import get_spec, run
from optmath.proof import ProofResult, verdict
from optmath.symbolic.ema import steps_until

EXPECTED = "proved"
BETAS = ("0.9", "0.99", "0.999")
DELTAS = ("0.1", "0.01", "0.001")


def prove_steps_until_negligible() -> ProofResult:
    table, exact_ok = {}, True
    for b in BETAS:
        for dl in DELTAS:
            n = steps_until(b, dl)
            fb, fd = Fraction(b), Fraction(dl)
            exact_ok &= fb**n <= fd < fb ** (n - 1)
            table[f"b={b},delta={dl}"] = n
    kernel_ok = True
    alg = get_spec("adam").resolve("pytorch")
    for b in BETAS:
        n = table[f"b={b},delta=0.01"]
        tr = run(alg.with_values(b1=float(b)), np.ones((n + 1, 1)), record_states=True)
        m = tr.states["m"][:, 0]
        kernel_ok &= bool(m[n] >= 1 - 0.01 - 1e-15 and m[n - 1] < 1 - 0.01 + 1e-15)
    return ProofResult(
        claim="b^t <= delta exactly from t = ceil(ln delta / ln b)",
        symbolic="closed form confirmed with exact rationals (b^n <= delta < b^(n-1)) for "
                 f"b in {BETAS}, delta in {DELTAS}: {exact_ok}",
        numeric=f"kernel m_t under g = 1 crosses 1 - 0.01 at the predicted step: {kernel_ok}; "
                f"table {table}",
        status=verdict(exact_ok, kernel_ok), data={"steps": table})


if __name__ == "__main__":
    print(prove_steps_until_negligible())
