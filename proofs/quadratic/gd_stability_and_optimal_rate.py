r"""Gradient descent on h x^2/2 is stable iff 0 < lr h < 2; for curvatures in [l, L] the best lr is 2/(L+l) with rate (k-1)/(k+1), k = L/l.

Assumptions
    h, l, L > 0, L > l, constant lr.
Derivation
    :func:`optmath.symbolic.quadratic.iteration_matrix` substitutes g = h x into the GD spec
    and differentiates the step: the 1x1 matrix 1 - lr h; Schur's conditions give 0 < lr h < 2.
    The optimal lr equalises |1 - lr l| and |1 - lr L|; the rate in k follows.  Kernel: GD on
    quadratics with h = l and h = L at the optimal lr, empirical rates vs (k-1)/(k+1).
Kind
    exact
References
    Nesterov (2004), section 1.2; Goh (2017).
Example
    >>> prove_gd_stability_and_optimal_rate().status
    'proved'
"""
from __future__ import annotations

import sympy as sp

from optmath import get_spec
from optmath.proof import ProofResult, verdict
from optmath.symbolic.assume import symbol
from optmath.symbolic.checks import simplifies_to_zero
from optmath.symbolic.quadratic import H, gd_optimal, iteration_matrix, kernel_rate

EXPECTED = "proved"


def prove_gd_stability_and_optimal_rate(l: float = 1.0, L: float = 10.0) -> ProofResult:
    lr, k = symbol("lr"), symbol("kappa")
    M = iteration_matrix(get_spec("gd").resolve("paper"))
    cond = M.stability_conditions()
    q = sp.Symbol("q", positive=True)
    region = sp.solve([c.subs(lr, q / H) for c in cond if c != sp.true], q)
    ok = simplifies_to_zero(M.matrix[0, 0] - (1 - lr * H)) and region == (q < 2)
    opt = gd_optimal()
    ok &= simplifies_to_zero(opt["rate_in_kappa"] - (k - 1) / (k + 1))
    lr_opt = 2 / (L + l)
    alg = get_spec("gd").resolve("paper", lr=lr_opt)
    rates = [kernel_rate(alg, h) for h in (l, L)]
    expected = (L / l - 1) / (L / l + 1)
    num_ok = all(abs(r - expected) < 1e-6 for r in rates)
    unstable = kernel_rate(get_spec("gd").resolve("paper", lr=2.05 / L), L, steps=200)
    num_ok &= unstable > 1
    return ProofResult(
        claim="GD stable iff 0 < lr h < 2; optimal lr 2/(L+l), rate (k-1)/(k+1)",
        symbolic=f"matrix {M.matrix.tolist()}, stability {region}, optimum {opt}",
        numeric=f"kernel, l = {l}, L = {L}, lr = 2/(L+l): empirical rates {rates[0]:.8f}, {rates[1]:.8f} "
                f"vs {expected:.8f}; lr h = 2.05 grows at rate {unstable:.4f}",
        status=verdict(ok, num_ok), data={"rates": rates, "expected": expected})


if __name__ == "__main__":
    print(prove_gd_stability_and_optimal_rate())
