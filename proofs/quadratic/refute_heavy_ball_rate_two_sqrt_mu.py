r"""Refuted: "in the complex regime heavy ball converges at rate 2 sqrt(mu)" -- the rate is sqrt(mu).

Assumptions
    0 < mu < 1 and lr h inside the complex band (1 - sqrt mu)^2 < lr h < (1 + sqrt mu)^2.
Derivation
    For conjugate eigenvalues |lambda|^2 = det = mu (the determinant of the spec-derived
    matrix), so |lambda| = sqrt(mu), not 2 sqrt(mu).  Exact witness: mu = 1/4, lr h = 1 gives
    lambda^2 - (1/4) lambda + 1/4 with roots (1 +- i sqrt(15))/8 of modulus exactly 1/2, while
    2 sqrt(mu) = 1 would mean no convergence at all.  Kernel: the empirical rate at that point.
Kind
    counterexample
References
    REFERENCES.md section 1 (a widely read article prints 2 sqrt(mu)).
Example
    >>> prove_refute_heavy_ball_rate_two_sqrt_mu().status
    'refuted'
"""
from __future__ import annotations

import sympy as sp

from optmath import get_spec
from optmath.proof import ProofResult, verdict
from optmath.symbolic.assume import symbol
from optmath.symbolic.quadratic import H, iteration_matrix, kernel_rate

EXPECTED = "refuted"


def prove_refute_heavy_ball_rate_two_sqrt_mu() -> ProofResult:
    M = iteration_matrix(get_spec("momentum").resolve("paper"))
    at = {symbol("mu"): sp.Rational(1, 4), symbol("lr"): 1, H: 1}
    eig = [sp.nsimplify(e.subs(at)) for e in M.eigenvalues()]
    moduli = [sp.simplify(sp.Abs(e)) for e in eig]
    claimed = 2 * sp.sqrt(sp.Rational(1, 4))
    symbolic_counter = all(mo == sp.Rational(1, 2) for mo in moduli) and claimed == 1
    rate = kernel_rate(get_spec("momentum").resolve("paper", mu=0.25, lr=1.0), 1.0, 600)
    numeric_counter = abs(rate - 0.5) < 1e-2 and abs(rate - 1.0) > 0.4
    return ProofResult(
        claim="heavy ball in the complex regime converges at rate 2 sqrt(mu)",
        symbolic=f"mu = 1/4, lr h = 1: eigenvalues {eig}, moduli {moduli}; claim gives {claimed}",
        numeric=f"kernel empirical rate at mu = 0.25, lr h = 1: {rate:.5f} (sqrt(mu) = 0.5)",
        status=verdict(symbolic_counter, numeric_counter, refutes=True), kind="counterexample",
        data={"eigenvalues": [str(e) for e in eig], "kernel_rate": rate})


if __name__ == "__main__":
    print(prove_refute_heavy_ball_rate_two_sqrt_mu())
