r"""<Claim in math, one line.>

Assumptions
    <domains of the symbols, e.g. beta = 1 - rho, rho > 0>
Derivation
    <in words: which spec equations are used and how>
Kind
    exact | upper bound | lower bound
References
    <paper, section>
Example
    >>> prove_<claim>().status
    'proved'
"""
from __future__ import annotations

from optmath.proof import ProofResult

EXPECTED = "proved"  # or "refuted" for a circulating false claim (kind="counterexample")


def prove_claim() -> ProofResult:
    # 1. derive from a spec with optmath.symbolic (never type the formula you are proving)
    # 2. symbolic check: substitute back and simplify to zero (optmath.symbolic.checks)
    # 3. numeric check: a kernel run (optmath.run) and/or random rational points
    # 4. return ProofResult(claim, symbolic, numeric, optmath.proof.verdict(symbolic_ok, numeric_ok))
    raise NotImplementedError("copy this template; files starting with _ are not discovered")


if __name__ == "__main__":
    print(prove_claim())
