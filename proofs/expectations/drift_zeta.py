r"""Under a drifting mean E[g_i] = p + delta i, E[m_t] = (1-b^t) E[g_t] + zeta_t, and the corrected bias tends to -delta b/(1-b).

Assumptions
    E[g_i] = p + delta i (linear drift); 0 < b < 1; m_0 = 0.
Derivation
    Kingma & Ba's zeta term, in closed form: zeta_t = -delta sum_i w_i (t - i), summed by
    ``summation`` and checked against the recurrence of E[m_t] and at random points; it
    vanishes for delta = 0, and zeta_t/(1-b^t) tends to -delta b/(1-b) = -delta times the mean
    age, so bias correction does not remove a drift-induced lag.  Kernel: since m_t is linear,
    E[m_t] is m_t on the mean stream p + delta i.
Kind
    exact
References
    Kingma & Ba (2014), section 3 (the zeta term).
Example
    >>> prove_drift_zeta().status
    'proved'
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from optmath import get_spec, run
from optmath.proof import ProofResult, verdict
from optmath.symbolic.ema import T_
from optmath.symbolic.expectations import DELTA, P0, drift_moments

EXPECTED = "proved"


def prove_drift_zeta(T: int = 300) -> ProofResult:
    alg = get_spec("adam").resolve("pytorch")
    mo = drift_moments(alg, "m")
    ok = all(mo.checks.values())
    b = sp.Symbol("b1", positive=True)
    p, dl = 0.3, 0.01
    stream = (p + dl * np.arange(1, T + 1)).reshape(-1, 1)
    m = run(alg, stream, record_states=True).states["m"][1:, 0]
    f = sp.lambdify(T_, mo.mean.subs({P0: p, DELTA: dl, b: 0.9}), "numpy")
    k = np.arange(1, T + 1, dtype=float)
    err = float(np.max(np.abs(m - f(k)) / np.abs(m)))
    corrected_bias = m[-1] / (1 - 0.9**T) - stream[-1, 0]
    lag = float(mo.corrected_bias_limit.subs({DELTA: dl, b: 0.9}))
    num_ok = err < 1e-12 and abs(corrected_bias - lag) < 1e-9
    return ProofResult(
        claim="zeta_t in closed form for a linear drift; corrected bias -> -delta b/(1-b)",
        symbolic=f"zeta_t = {mo.zeta}; limit of the corrected bias {mo.corrected_bias_limit}; checks {mo.checks}",
        numeric=f"kernel on the mean stream (p = {p}, delta = {dl}, b1 = 0.9): max relative "
                f"error {err:.1e}; corrected bias at t = {T} is {corrected_bias:.6f} vs limit {lag:.6f}",
        status=verdict(ok, num_ok), references=("Kingma & Ba (2014), section 3",),
        data={"zeta": str(mo.zeta), "max_relative_error": err, "corrected_bias": corrected_bias})


if __name__ == "__main__":
    print(prove_drift_zeta())
