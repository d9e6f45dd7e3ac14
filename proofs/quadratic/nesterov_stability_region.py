r"""Nesterov momentum on h x^2/2 (PyTorch or Keras form) has det mu (1 - lr h) and is stable iff 0 < lr h < 2 (1 + mu)/(1 + 2 mu).

Assumptions
    0 <= mu < 1, lr, h > 0, dampening 0.
Derivation
    Iteration matrices from the specs; det and trace; Schur's conditions: 1 + T + D > 0 gives
    lr h < (2 + 2 mu)/(1 + 2 mu), 1 - T + D > 0 gives lr h > 0, and |D| < 1 holds inside.
    So Nesterov's region is smaller than heavy ball's 2 + 2 mu (for mu = 0.9: 1.357 vs 3.8).
    Kernel: empirical rates at 0.98 and 1.02 times the boundary.
Kind
    exact
References
    Sutskever et al. (2013); Nesterov (1983).
Example
    >>> prove_nesterov_stability_region().status
    'proved'
"""
from __future__ import annotations

import sympy as sp

from optmath import get_spec
from optmath.proof import ProofResult, verdict
from optmath.symbolic.assume import symbol
from optmath.symbolic.checks import simplifies_to_zero
from optmath.symbolic.quadratic import H, iteration_matrix, kernel_rate

EXPECTED = "proved"


def prove_nesterov_stability_region(mu: float = 0.9) -> ProofResult:
    lr, m = symbol("lr"), symbol("mu")
    q = sp.Symbol("q", positive=True)
    ok, info = True, {}
    for profile in ("pytorch", "keras"):
        M = iteration_matrix(get_spec("nesterov").resolve(profile), damp=0)
        ok &= simplifies_to_zero(M.det - m * (1 - lr * H))
        T, D = M.trace.subs(lr, q / H), M.det.subs(lr, q / H)
        edge = sp.solve(sp.Eq(1 + T + D, 0), q)
        ok &= len(edge) == 1 and simplifies_to_zero(edge[0] - (2 + 2 * m) / (1 + 2 * m))
        ok &= simplifies_to_zero(sp.simplify(1 - T + D) - q)
        info[profile] = {"det": str(M.det), "trace": str(M.trace), "edge": str(edge)}
    bound = (2 + 2 * mu) / (1 + 2 * mu)
    inside = kernel_rate(get_spec("nesterov").resolve("pytorch", mu=mu, lr=0.98 * bound), 1.0, 3000)
    outside = kernel_rate(get_spec("nesterov").resolve("pytorch", mu=mu, lr=1.02 * bound), 1.0, 600)
    num_ok = inside < 1 < outside
    return ProofResult(
        claim="Nesterov: det = mu (1 - lr h); stable iff 0 < lr h < 2(1+mu)/(1+2mu)",
        symbolic=f"{info}",
        numeric=f"kernel, mu = {mu}: boundary {bound:.5f}; rate {inside:.5f} at 0.98x, {outside:.5f} at 1.02x",
        status=verdict(ok, num_ok), data={"boundary": bound, "inside": inside, "outside": outside,
                                               "heavy_ball_boundary": 2 + 2 * mu})


if __name__ == "__main__":
    print(prove_nesterov_stability_region())
