r"""For b = 999/1000 and t <= 10, the exact weights (1-b) b^(t-i), their shares and relative shares.

Assumptions
    b = 999/1000 exactly (not the float 0.999), m_0 = 0.
Derivation
    :func:`optmath.symbolic.ema.weight_table` runs the recurrence of the Adam spec's v on
    exact rationals; an independent computation with :class:`fractions.Fraction` from the
    textbook formula gives the same table entry by entry.  The kernel's v for the impulse
    stream reproduces each raw weight in float64.
Kind
    exact
References
    Kingma & Ba (2014), section 3.
Example
    >>> prove_weight_table_exact().status
    'proved'
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from optmath import get_spec, run
from optmath.proof import ProofResult, verdict
from optmath.symbolic.ema import weight_table

EXPECTED = "proved"


def prove_weight_table_exact(T: int = 10) -> ProofResult:
    alg = get_spec("adam").resolve("paper")
    rows = weight_table(alg, "v", T, b2=Fraction(999, 1000))
    b = Fraction(999, 1000)
    same = True
    for r in rows:
        t, i = r["t"], r["i"]
        raw = (1 - b) * b ** (t - i)
        share = raw / (1 - b**t)
        same &= (Fraction(int(r["raw"].p), int(r["raw"].q)) == raw
                 and Fraction(int(r["share"].p), int(r["share"].q)) == share
                 and Fraction(int(r["relative"].p), int(r["relative"].q)) == share * t)
    worst = 0.0
    for i in range(1, T + 1):  # impulse at step i, read v_T: the raw weight of g_i^2 at t = T
        grads = np.zeros((T, 1))
        grads[i - 1, 0] = 1.0
        v = run(alg.with_values(b2=0.999), grads, record_states=True).states["v"][T, 0]
        exact = float((1 - b) * b ** (T - i))
        worst = max(worst, abs(v - exact) / exact)
    last = [r for r in rows if r["t"] == T]
    return ProofResult(
        claim=f"exact weight table of an EMA with b = 999/1000, t = 1..{T}",
        symbolic=f"{len(rows)} entries equal a direct Fraction computation: {same}; at t = {T} "
                 f"g_1 has share {last[0]['share']} and relative share {float(last[0]['relative']):.6f}",
        numeric=f"kernel impulse responses match the raw weights at t = {T}: max relative error {worst:.1e}",
        status=verdict(same, worst < 1e-13),
        data={"t10": [{k: str(v) for k, v in r.items()} for r in last]})


if __name__ == "__main__":
    print(prove_weight_table_exact())
