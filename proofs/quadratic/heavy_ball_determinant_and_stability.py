r"""Heavy ball on h x^2/2: the iteration matrix has det mu and trace 1 + mu - lr h; it is stable iff 0 <= mu < 1 and 0 < lr h < 2 + 2 mu.

Assumptions
    h, lr > 0, 0 <= mu < 1, dampening 0; the same for the velocity (paper/Keras) and the
    PyTorch buffer forms.
Derivation
    The matrices come from the specs (g = h x substituted, Jacobian of one step); Schur's
    conditions for lambda^2 - T lambda + D are 1 - D > 0, 1 - T + D > 0 (here lr h > 0) and
    1 + T + D > 0 (here lr h < 2 + 2 mu).  Kernel: empirical rates just inside and just outside
    the boundary lr h = 2 + 2 mu.
Kind
    exact
References
    Polyak (1964); REFERENCES.md section 1.
Example
    >>> prove_heavy_ball_determinant_and_stability().status
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


def prove_heavy_ball_determinant_and_stability(mu: float = 0.5) -> ProofResult:
    lr, m = symbol("lr"), symbol("mu")
    ok, info = True, {}
    for profile in ("paper", "pytorch"):
        M = iteration_matrix(get_spec("momentum").resolve(profile), damp=0)
        ok &= simplifies_to_zero(M.det - m) and simplifies_to_zero(M.trace - (1 + m - lr * H))
        conds = [sp.simplify(c) for c in M.stability_conditions()]
        ok &= any(simplifies_to_zero(c.lhs - (2 + 2 * m - lr * H)) for c in conds if c != sp.true)
        info[profile] = {"det": str(M.det), "trace": str(M.trace), "conditions": [str(c) for c in conds]}
    h = 1.0
    inside = kernel_rate(get_spec("momentum").resolve("paper", mu=mu, lr=(2 + 2 * mu) * 0.98), h, 3000)
    outside = kernel_rate(get_spec("momentum").resolve("paper", mu=mu, lr=(2 + 2 * mu) * 1.02), h, 400)
    num_ok = inside < 1 < outside
    return ProofResult(
        claim="heavy ball: det = mu, stable iff 0 < lr h < 2 + 2 mu (|mu| < 1)",
        symbolic=f"{info}",
        numeric=f"kernel, mu = {mu}, h = 1: rate {inside:.5f} at lr h = 0.98 (2+2mu), "
                f"{outside:.5f} at 1.02 (2+2mu)",
        status=verdict(ok, num_ok), data={"inside": inside, "outside": outside, **info})


if __name__ == "__main__":
    print(prove_heavy_ball_determinant_and_stability())
