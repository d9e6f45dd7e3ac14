r"""Under a constant gradient G, Yogi's v has the fixed point G^2 and its step tends to -lr G/(|G| + eps), up to a band of width (1-b2) G^2 in v.

Assumptions
    0 < b1, b2 < 1, g_t = G != 0, v_0 = 0 (paper) or a small acc0 (optax).
Derivation
    v = v - (1-b2) sign(v - G^2) G^2 is solved branch by branch: sign = +-1 gives no solution,
    sign = 0 gives v = G^2.  From below, v grows by exactly (1-b2) G^2 per step, so in floating
    point it ends in the band |v - G^2| <= (1-b2) G^2 (it need not land on G^2 exactly); the
    kernel's last step must lie between the steps at the band's two ends.
Kind
    exact
References
    Zaheer et al. (2018).
Example
    >>> prove_yogi_steady_step().status
    'proved'
"""
from __future__ import annotations

import math

from optmath import get_spec
from optmath.proof import ProofResult, verdict
from optmath.symbolic.assume import symbol
from optmath.symbolic.checks import simplifies_to_zero
from optmath.symbolic.limits import GRAD, kernel_steady_step, steady_state

EXPECTED = "proved"


def prove_yogi_steady_step() -> ProofResult:
    lr, eps = symbol("lr"), symbol("eps")
    alg = get_spec("yogi").resolve("paper", b2=0.99, eps=1e-3, lr=0.01)
    ss = steady_state(alg)
    ok = simplifies_to_zero(ss.states["v"] - GRAD**2) and simplifies_to_zero(ss.step + lr * GRAD / (GRAD + eps))
    inside, detail = True, []
    for G in (0.01, -0.01):
        k = kernel_steady_step(alg, G, 5000)
        lo_v, hi_v = G**2 * (1 - 0.01), G**2 * (1 + 0.01)
        steps = sorted(abs(0.01 * G / (math.sqrt(v) + 1e-3)) for v in (lo_v, hi_v))
        inside &= steps[0] <= abs(k) <= steps[1] and math.copysign(1, k) == -math.copysign(1, G)
        detail.append(f"G = {G}: |step| {abs(k):.6e} in [{steps[0]:.6e}, {steps[1]:.6e}]")
    return ProofResult(
        claim="Yogi's v has the fixed point G^2; the step tends to -lr G/(|G| + eps) within the band",
        symbolic=f"fixed points {ss.states}, limiting step {ss.step}: {ok}",
        numeric="kernel, b2 = 0.99, eps = 1e-3, 5,000 steps: " + "; ".join(detail),
        status=verdict(ok, inside), references=("Zaheer et al. (2018)",), data={"detail": detail})


if __name__ == "__main__":
    print(prove_yogi_steady_step())
