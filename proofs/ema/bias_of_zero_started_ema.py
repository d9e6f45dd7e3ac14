r"""An EMA started at zero, m_t = b m_{t-1} + (1 - b) g_t, gives g_i the weight (1 - b) b^(t-i),
and the weights sum to 1 - b^t; under a constant gradient c, m_t = c (1 - b^t).

Assumptions
    b = 1 - rho with rho in (0, 1); t a positive integer (checked for t = 1..12).
Derivation
    Unroll the first-moment equation of the Adam spec (not a hand-typed formula) with symbolic
    gradients g_1..g_t, read off each coefficient, compare with the closed form, and sum.
Kind
    exact
References
    Kingma & Ba (2014), section 3.
Example
    >>> prove_bias_of_zero_started_ema().status
    'proved'
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from optmath import get_spec, run
from optmath.proof import ProofResult
from optmath.symbolic.ema import unroll, weights

EXPECTED = "proved"


def prove_bias_of_zero_started_ema(max_t: int = 12) -> ProofResult:
    alg = get_spec("adam").resolve("paper")
    b1 = sp.Symbol("b1", real=True)
    ok = True
    for T in range(1, max_t + 1):
        w = weights(unroll(alg, "m", T))
        ok &= all(sp.simplify(wi - (1 - b1) * b1 ** (T - i)) == 0 for i, wi in enumerate(w, 1))
        ok &= sp.simplify(sum(w) - (1 - b1**T)) == 0
    tr = run(alg, np.full((1000, 1), 0.37), record_states=True)
    err = float(np.max(np.abs(tr.states["m"][:, 0] - 0.37 * (1 - 0.9 ** np.arange(1001)))))
    return ProofResult(
        claim="weights of a zero-started EMA are (1-b) b^(t-i) and sum to 1 - b^t",
        symbolic=f"difference simplifies to 0 for t = 1..{max_t}" if ok else "a difference did not simplify to 0",
        numeric=f"kernel m_t vs 0.37 (1 - 0.9^t) over 1000 steps: max error {err:.2e}",
        status="proved" if ok and err < 1e-12 else "inconclusive",
        references=("Kingma & Ba (2014), section 3",), data={"max_error": err},
        value=err, reference=0.0, error=err, tolerance=1e-12)


if __name__ == "__main__":
    print(prove_bias_of_zero_started_ema())
