r"""After bias correction, g_1's weight at step t is (1-b) b^(t-1) / (1-b^t): 1 at t = 1, tending to 0.

Assumptions
    0 < b < 1, m_0 = 0.
Derivation
    The generic weight w_{t,1} = c a^(t-1) times the derived correction factor 1/W_t, compared
    symbolically with the textbook expression; its value at t = 1 and its limit t -> oo.
    Kernel: the corrected m of an impulse stream g = (1, 0, 0, ...).
Kind
    exact
References
    REFERENCES.md section 1.
Example
    >>> prove_first_gradient_weight_after_correction().status
    'proved'
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from optmath import get_spec, run
from optmath.proof import ProofResult, verdict
from optmath.symbolic.checks import simplifies_to_zero, worst_at_points
from optmath.symbolic.ema import T_, analyse, i_, limit_t_inf

EXPECTED = "proved"


def prove_first_gradient_weight_after_correction() -> ProofResult:
    alg = get_spec("adam").resolve("pytorch")
    f = analyse(alg, "m")
    b = f.recurrence.decay
    w1 = sp.simplify(f.weight.subs(i_, 1) * f.correction)
    claimed = (1 - b) * b ** (T_ - 1) / (1 - b**T_)
    ok = simplifies_to_zero(w1 - claimed) and simplifies_to_zero(w1.subs(T_, 1) - 1)
    ok &= limit_t_inf(w1) == 0
    ok &= worst_at_points(w1 - claimed, n=10).zero
    T = 200
    grads = np.zeros((T, 1))
    grads[0, 0] = 1.0
    tr = run(alg, grads, record_states=True)
    b1 = alg.values["b1"]
    k = np.arange(1, T + 1)
    kernel = tr.states["m"][1:, 0] / (1 - b1**k)
    exact = (1 - b1) * b1 ** (k - 1) / (1 - b1**k)
    err = float(np.max(np.abs(kernel - exact) / exact))
    return ProofResult(
        claim="corrected weight of g_1 at step t is (1-b) b^(t-1)/(1-b^t)",
        symbolic=f"derived {w1}; equals the claim, is 1 at t = 1, tends to 0: {ok}",
        numeric=f"kernel impulse response, b1 = 0.9, t = 1..{T}: max relative error {err:.1e}; "
                f"weight at t = 10 is {exact[9]:.6f}",
        status=verdict(ok, err < 1e-12), data={"weight_t10_b0_9": float(exact[9])})


if __name__ == "__main__":
    print(prove_first_gradient_weight_after_correction())
