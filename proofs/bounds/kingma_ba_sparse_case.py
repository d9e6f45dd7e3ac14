r"""Kingma & Ba's first case: for the sparsest stream (zero except at step t) Adam's step is lr (1-b1) sqrt(1-b2^t) / ((1-b1^t) sqrt(1-b2)), tending to lr (1-b1)/sqrt(1-b2).

Assumptions
    eps = 0, 0 < b1, b2 < 1, g_i = 0 for i < t and g_t != 0.
Derivation
    The Adam spec's m and v for that stream are (1-b1) g_t and (1-b2) g_t^2; the corrected
    ratio is derived and its limit t -> oo taken; at t = 1 the step is exactly lr.  The limit
    is the bound of Kingma & Ba's first case, (1-b1) > sqrt(1-b2), but the sparse step never
    attains it: the step is below its limit exactly when b1^t (2 - b1^t) < b2^t, and the first
    case says b2 > b1 (2 - b1), so b2^t > (b1 (2 - b1))^t >= b1^t (2 - b1^t) (since
    (2 - b1)^t + b1^t >= 2 for t >= 1).  It is approached from below; and it is not a bound
    over all streams either (adam_worst_case_step, refute_kingma_ba_first_case_bound).  Checked:
    the inequality at random rational points and the step below the limit at every t up to
    t_check (mpmath).  Kernel: the stream with one spike at t = t_spike, b1 = 0.9, b2 = 0.999,
    eps = 1e-300 (0 would make 0/0 on the zero steps; 1e-300 vanishes next to sqrt(v) in
    float64).
Kind
    exact
References
    Kingma & Ba (2014), section 2.1.
Example
    >>> prove_kingma_ba_sparse_case().status
    'proved'
"""
from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from optmath import get_spec, run
from optmath.proof import ProofResult, verdict
from optmath.symbolic.checks import simplifies_to_zero, worst_at_points
from optmath.symbolic.ema import limit_t_inf
from optmath.symbolic.limits import B1, B2, TT, adam_spike_step

EXPECTED = "proved"


def prove_kingma_ba_sparse_case(t_spike: int = 500, t_check: int = 20000) -> ProofResult:
    r = adam_spike_step()
    claimed = (1 - B1) * sp.sqrt(1 - B2**TT) / ((1 - B1**TT) * sp.sqrt(1 - B2))
    ok = worst_at_points(r - claimed, n=15).zero and simplifies_to_zero(r.subs(TT, 1) - 1)
    lim = limit_t_inf(r)
    ok &= simplifies_to_zero(lim - (1 - B1) / sp.sqrt(1 - B2))
    # below the limit <=> (r/lim)^2 < 1 <=> b1^t (2 - b1^t) < b2^t: the identity, then the inequality
    ok &= worst_at_points((r / lim) ** 2 - (1 - B2**TT) / (1 - B1**TT) ** 2, n=10, seed=1).zero
    with mpmath.workdps(30):
        b1, b2 = mpmath.mpf("0.9"), mpmath.mpf("0.999")
        margins = [b2**t - b1**t * (2 - b1**t) for t in range(1, t_check + 1)]
        below_everywhere = all(m > 0 for m in margins)
    grads = np.zeros((t_spike, 1))
    grads[-1, 0] = 2.5
    tr = run(get_spec("adam").resolve("pytorch", eps=1e-300, lr=1.0), grads)
    step = abs(tr.xs[-1, 0] - tr.xs[-2, 0])
    exact = float(claimed.subs({B1: sp.Float("0.9", 40), B2: sp.Float("0.999", 40), TT: t_spike}))
    limit = float(lim.subs({B1: 0.9, B2: 0.999}))
    err = abs(step - exact) / exact
    return ProofResult(
        claim="sparse-stream Adam step = lr (1-b1) sqrt(1-b2^t)/((1-b1^t) sqrt(1-b2)) -> lr (1-b1)/sqrt(1-b2), "
              "from below",
        symbolic=f"derived {r}; equals the claim at random points, is 1 at t = 1, limit {lim}: {ok}",
        numeric=f"kernel, spike at t = {t_spike}, b1 = 0.9, b2 = 0.999, eps = 1e-300: step {step:.12f} lr "
                f"vs {exact:.12f} (relative error {err:.1e}); limit {limit:.6f} lr, the step below it at every "
                f"t up to {t_check}: {below_everywhere}",
        status=verdict(ok, err < 1e-12 and below_everywhere), kind="exact",
        references=("Kingma & Ba (2014), section 2.1",),
        data={"step": step, "exact": exact, "limit": limit, "below_limit_up_to": t_check if below_everywhere else None},
        value=step, reference=exact, error=err, tolerance=1e-12)


if __name__ == "__main__":
    print(prove_kingma_ba_sparse_case())
