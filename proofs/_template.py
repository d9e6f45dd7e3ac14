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


def prove_claim() -> ProofResult:
    raise NotImplementedError("copy this template; do not register it")


if __name__ == "__main__":
    print(prove_claim())
