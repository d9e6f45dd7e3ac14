r"""Under a constant gradient c, the bias-corrected m_t / (1 - b1^t) equals c at every step t.

Assumptions
    0 < b1 < 1, m_0 = 0, g_t = c for all t.
Derivation
    The generic routine gives the weight sum W_t = 1 - b1^t of Adam's m; with a constant
    input the closed form is c W_t, and the correction factor 1/W_t derived from it is the one
    the spec's mhat equation uses (compared symbolically).  Kernel: m_t / (1 - b1^t) on a
    constant stream for 2,000 steps.
Kind
    exact
References
    Kingma & Ba (2014), section 3.
Example
    >>> prove_bias_correction_exact_under_constant_gradient().status
    'proved'
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from optmath import get_spec, run
from optmath.proof import ProofResult, verdict
from optmath.symbolic.checks import simplifies_to_zero
from optmath.symbolic.ema import T_, analyse, assumption_map

EXPECTED = "proved"


def prove_bias_correction_exact_under_constant_gradient() -> ProofResult:
    alg = get_spec("adam").resolve("paper")
    f = analyse(alg, "m")
    c = sp.Symbol("c", real=True)
    at_constant = f.correction * c * f.weight_sum
    mhat = next(a.expr for a in alg.updates if a.target == "mhat")
    mhat = mhat.subs(assumption_map(mhat, alg)).subs(sp.Symbol("t", integer=True, positive=True), T_)
    m = sp.Symbol("m", real=True)
    same_factor = simplifies_to_zero(mhat - m * f.correction)
    symbolic_ok = simplifies_to_zero(at_constant - c) and same_factor
    b1 = alg.values["b1"]
    tr = run(alg, np.full((2000, 1), -0.83), record_states=True)
    k = np.arange(1, 2001)
    err = float(np.max(np.abs(tr.states["m"][1:, 0] / (1 - b1**k) + 0.83)))
    return ProofResult(
        claim="m_t / (1 - b1^t) = c for every t when g_t = c",
        symbolic=f"W_t = {f.weight_sum}, correction {f.correction}; c W_t / W_t - c = 0; the "
                 f"spec's mhat uses the same factor: {same_factor}",
        numeric=f"kernel, c = -0.83, 2,000 steps: max |mhat_t - c| = {err:.1e}",
        status=verdict(symbolic_ok, err < 1e-13), references=("Kingma & Ba (2014), section 3",),
        data={"max_error": err})


if __name__ == "__main__":
    print(prove_bias_correction_exact_under_constant_gradient())
