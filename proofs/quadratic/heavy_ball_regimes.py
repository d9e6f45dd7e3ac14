r"""Heavy ball's eigenvalues are complex iff (1 - sqrt(mu))^2 < lr h < (1 + sqrt(mu))^2, and then both have modulus sqrt(mu).

Assumptions
    0 < mu < 1, lr, h > 0.
Derivation
    The discriminant T^2 - 4D of the spec-derived matrix factors (with mu = r^2) as
    (lr h - (1-r)^2)(lr h - (1+r)^2): negative exactly between the roots.  There the
    eigenvalues are conjugate, so |lambda|^2 = det = mu.  Outside: two real roots (overdamped
    below, oscillating with a negative root above).  Kernel: the empirical rate inside the
    complex band equals sqrt(mu) for several lr h.
Kind
    exact
References
    Polyak (1964); Goh (2017).
Example
    >>> prove_heavy_ball_regimes().status
    'proved'
"""
from __future__ import annotations

import math

import sympy as sp

from optmath import get_spec
from optmath.proof import ProofResult, verdict
from optmath.symbolic.assume import symbol
from optmath.symbolic.checks import simplifies_to_zero
from optmath.symbolic.quadratic import H, iteration_matrix, kernel_rate

EXPECTED = "proved"


def prove_heavy_ball_regimes(mu: float = 0.64) -> ProofResult:
    lr, m = symbol("lr"), symbol("mu")
    r = sp.Symbol("r", positive=True)
    M = iteration_matrix(get_spec("momentum").resolve("paper"))
    disc = sp.factor(M.discriminant().subs(m, r**2))
    ok = simplifies_to_zero(disc - (lr * H - (1 - r) ** 2) * (lr * H - (1 + r) ** 2))
    lam = sp.Symbol("lambda")
    # inside the band the roots are conjugate: |lambda|^2 = lambda * conj(lambda) = det
    roots = sp.solve(M.charpoly(lam), lam)
    prod = sp.simplify(sp.expand(roots[0] * roots[1]))
    ok &= simplifies_to_zero(prod - m)
    s = math.sqrt(mu)
    rates = {}
    for frac in (0.2, 0.5, 0.8):
        q = (1 - s) ** 2 + frac * ((1 + s) ** 2 - (1 - s) ** 2)
        rates[round(q, 4)] = kernel_rate(get_spec("momentum").resolve("paper", mu=mu, lr=q), 1.0, 2000)
    num_ok = all(abs(v - s) < 2e-3 for v in rates.values())
    return ProofResult(
        claim="complex regime iff (1-sqrt mu)^2 < lr h < (1+sqrt mu)^2, with |lambda| = sqrt(mu) there",
        symbolic=f"discriminant with mu = r^2: {disc}; product of the roots {prod}",
        numeric=f"kernel, mu = {mu} (sqrt = {s}): empirical rates in the band {rates}",
        status=verdict(ok, num_ok), data={"rates": {str(k): v for k, v in rates.items()}})


if __name__ == "__main__":
    print(prove_heavy_ball_regimes())
