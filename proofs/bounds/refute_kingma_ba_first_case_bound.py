r"""Refuted: "when (1-b1) > sqrt(1-b2), Adam's step is at most lr (1-b1)/sqrt(1-b2) for every stream" -- false for b1 = 0.9, b2 = 0.999.

Assumptions
    eps = 0 (the kernel uses eps = 1e-300), m_0 = v_0 = 0, the claim read as a bound on
    |x_t - x_{t-1}| over every stream and every t; b1 = 0.9, b2 = 0.999 is the first case,
    decided exactly: (1-b1)^2 = 1/100 > 1-b2 = 1/1000.
Derivation
    The exact supremum over all streams (adam_worst_case_step, attained by
    g_i ~ (b1/b2)^(t-i)) is evaluated at 50 digits at every t up to the witness; the result
    names the first t at which it exceeds the stated bound and whether it does at every later
    t checked, and the limit of the supremum for b1^2 < b2,
    (1-b1)/sqrt((1-b2)(1-b1^2/b2)).  Kernel: the attaining stream at the witness t (entries
    below 1e-150 set to 0, their squares would underflow) with lr = 1.
Kind
    counterexample
References
    Kingma & Ba (2014), section 2.1 (the first case of the step bound).
Example
    >>> prove_refute_kingma_ba_first_case_bound().status
    'refuted'
"""
from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from optmath import get_spec, run
from optmath.proof import ProofResult, verdict
from optmath.symbolic.ema import limit_t_inf
from optmath.symbolic.limits import B1, B2, TT, adam_worst_case_ratio

EXPECTED = "refuted"
UNDERFLOW = 1e-150  # entries of the attaining stream below this are set to 0


def prove_refute_kingma_ba_first_case_bound(t: int = 1000) -> ProofResult:
    b1, b2 = sp.Rational(9, 10), sp.Rational(999, 1000)
    first_case = bool((1 - b1) ** 2 > 1 - b2)
    bound = (1 - b1) / sp.sqrt(1 - b2)
    sup = adam_worst_case_ratio().subs({B1: b1, B2: b2})
    f = sp.lambdify(TT, sup, "mpmath")
    with mpmath.workdps(50):
        B = mpmath.mpf(sp.N(bound, 60))
        above = [f(k) - B > mpmath.mpf(10) ** -40 for k in range(1, t + 1)]
        value = f(t)
    first = next((k for k, a in enumerate(above, 1) if a), None)
    stays = first is not None and all(above[first - 1:])
    limit = limit_t_inf(adam_worst_case_ratio()).subs({B1: b1, B2: b2})
    limit_ok = bool(b1**2 < b2) and float(sp.N(limit, 30)) > float(value)
    symbolic_counter = first_case and first is not None and stays and value > B
    g = np.array([(0.9 / 0.999) ** (t - i) for i in range(1, t + 1)])
    g[g < UNDERFLOW] = 0.0
    tr = run(get_spec("adam").resolve("pytorch", eps=1e-300, lr=1.0), g.reshape(-1, 1))
    step = float(abs(tr.xs[-1, 0] - tr.xs[-2, 0]))
    err = abs(step - float(value)) / float(value)
    numeric_counter = step > float(bound) and err < 1e-12
    return ProofResult(
        claim="first case (1-b1) > sqrt(1-b2): |Adam step| <= lr (1-b1)/sqrt(1-b2) over all streams "
              "(b1 = 0.9, b2 = 0.999)",
        symbolic=f"first case (exact): {first_case}; stated bound {float(bound):.6f} lr; supremum over streams "
                 f"exceeds it from t = {first} on ({'at every' if stays else 'NOT at every'} t up to {t}, 50 digits); "
                 f"at t = {t} it is {mpmath.nstr(value, 12)} lr; limit {float(sp.N(limit, 30)):.6f} lr",
        numeric=f"kernel on the attaining stream at t = {t}, eps = 1e-300: step {step:.10f} lr (relative difference "
                f"{err:.1e} from the supremum)",
        status=verdict(symbolic_counter and limit_ok, numeric_counter, refutes=True), kind="counterexample",
        references=("Kingma & Ba (2014), section 2.1",),
        data={"t": t, "bound": float(bound), "supremum": float(value), "first_t_above_bound": first,
              "above_at_every_later_t": stays, "supremum_limit": float(sp.N(limit, 30)), "kernel_step": step,
              "one_minus_b1_squared": float((1 - b1) ** 2), "one_minus_b2": float(1 - b2), "underflow": UNDERFLOW},
        value=step, reference=float(bound), tolerance=0.0)


if __name__ == "__main__":
    print(prove_refute_kingma_ba_first_case_bound())
