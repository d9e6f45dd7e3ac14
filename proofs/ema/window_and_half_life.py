r"""An EMA with decay b has effective window 1/(1-b), mean age b/(1-b) and half-life ln(1/2)/ln(b).

Assumptions
    0 < b < 1.
Derivation
    From the generic analysis of Adam's m: the limit of the weight sum is c/(1-b) = 1, the
    newest input's share tends to 1 - b (window 1/(1-b)); the mean age sum_k k (1-b) b^k is
    computed by ``summation`` and compared with b/(1-b); the half-life h solves b^h = 1/2, and
    the inputs older than h steps carry exactly half of the limiting weight.  Numbers: for
    b = 0.9 the weights of a long kernel run are summed directly.
Kind
    exact
References
    Kingma & Ba (2014), section 3; REFERENCES.md section 1.
Example
    >>> prove_window_and_half_life().status
    'proved'
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from optmath import get_spec, run
from optmath.proof import ProofResult, verdict
from optmath.symbolic.checks import simplifies_to_zero, worst_at_points
from optmath.symbolic.ema import analyse

EXPECTED = "proved"


def prove_window_and_half_life() -> ProofResult:
    alg = get_spec("adam").resolve("paper")
    f = analyse(alg, "m")
    b = f.recurrence.decay
    ok = simplifies_to_zero(f.window - 1 / (1 - b)) and simplifies_to_zero(f.mean_age - b / (1 - b))
    ok &= bool(f.checks["mean_age_equals_a_over_1_minus_a"]) and bool(f.checks["limit_of_weight_sum"])
    half_identity = sp.simplify(sp.exp(f.half_life * sp.log(b)) - sp.Rational(1, 2))
    ok &= half_identity == 0
    ok &= worst_at_points(b ** f.half_life - sp.Rational(1, 2), n=10).zero
    # kernel: a single impulse g_1 = 1 then zeros; m_t is the weight of g_1 after t - 1 steps
    T = 400
    grads = np.zeros((T, 1))
    grads[0, 0] = 1.0
    tr = run(alg.with_values(b1=0.9), grads, record_states=True)
    w = tr.states["m"][1:, 0]  # w[k] = (1 - b) b^k
    mean_age = float(np.sum(np.arange(T) * w))
    h = float(sp.N(f.half_life.subs(b, sp.Rational(9, 10))))
    older = float(np.sum(w[int(np.ceil(h)):]))  # weight of inputs at least ceil(h) steps old
    num_ok = abs(mean_age - 9.0) < 1e-9 and abs(np.sum(w) - 1) < 1e-12 and 0.9**np.ceil(h) <= 0.5 < 0.9**np.floor(h)
    num_ok &= abs(older - 0.9 ** np.ceil(h)) < 1e-12
    return ProofResult(
        claim="window 1/(1-b), mean age b/(1-b), half-life ln(1/2)/ln(b)",
        symbolic=f"window {f.window}, mean age {f.mean_age}, half-life {f.half_life}; b^h = 1/2 "
                 f"simplifies: {half_identity == 0}",
        numeric=f"b = 0.9 impulse response from the kernel: mean age {mean_age:.12f} (exact 9), "
                f"half-life {h:.4f}, weight older than ceil(h) = {older:.6f} <= 1/2",
        status=verdict(ok, num_ok), data={"mean_age_b_0_9": mean_age, "half_life_b_0_9": h})


if __name__ == "__main__":
    print(prove_window_and_half_life())
