r"""Over all gradient streams, sup |mhat_t/sqrt(vhat_t)| = sqrt(1-b2^t)/(1-b1^t) * (1-b1)/sqrt(1-b2) * sqrt(sum_{k<t} (b1^2/b2)^k), attained by g_i ~ (b1/b2)^(t-i).

Assumptions
    eps = 0, 0 < b1, b2 < 1, m_0 = v_0 = 0, any real stream with g != 0.
Derivation
    With w_i = (1-b1) b1^(t-i) and u_i = (1-b2) b2^(t-i), Cauchy-Schwarz gives
    |sum w_i g_i| <= sqrt(sum w_i^2/u_i) sqrt(sum u_i g_i^2), with equality iff
    g_i ~ w_i/u_i; the weights come from the spec's closed forms and the geometric sum from
    ``summation`` (checked at random rational points against the explicit sum).  For
    b1^2 < b2 the supremum tends to (1-b1)/sqrt((1-b2)(1-b1^2/b2)) as t -> oo.  Kernel: the
    attaining stream reaches the bound; 2,000 random streams stay below it.
Kind
    upper bound
References
    Kingma & Ba (2014), section 2.1 (which states only the sparse case).
Example
    >>> prove_adam_worst_case_step().status
    'proved'
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from optmath import get_spec, run
from optmath.proof import ProofResult, verdict
from optmath.symbolic.checks import worst_at_points
from optmath.symbolic.limits import B1, B2, TT, adam_worst_case_ratio

EXPECTED = "proved"


def prove_adam_worst_case_step(T: int = 60) -> ProofResult:
    sup = adam_worst_case_ratio()
    direct = sum(((1 - B1) * B1 ** (T - i)) ** 2 / ((1 - B2) * B2 ** (T - i)) for i in range(1, T + 1))
    explicit = sp.sqrt(1 - B2**T) / (1 - B1**T) * sp.sqrt(direct)
    ok = worst_at_points(sup.subs(TT, T) - explicit, n=8, seed=3).zero
    # the inequality itself: sum w_i^2/u_i * sum u_i g_i^2 - (sum w_i g_i)^2 is a sum of squares
    # (Lagrange's identity), checked here at random rational streams for t = 6
    g = sp.symbols("g1:7", real=True)
    w = [(1 - B1) * B1 ** (6 - i) for i in range(1, 7)]
    u = [(1 - B2) * B2 ** (6 - i) for i in range(1, 7)]
    lagrange = (sum(a**2 / c for a, c in zip(w, u)) * sum(c * x**2 for c, x in zip(u, g))
                - sum(a * x for a, x in zip(w, g)) ** 2)
    sos = sum((w[i] * sp.sqrt(u[j] / u[i]) * g[j] - w[j] * sp.sqrt(u[i] / u[j]) * g[i]) ** 2
              for i in range(6) for j in range(i + 1, 6))
    ok &= worst_at_points(lagrange - sos, n=6, seed=4).zero
    b1, b2 = 0.9, 0.999
    bound = float(sup.subs({B1: sp.Rational(9, 10), B2: sp.Rational(999, 1000), TT: T}))
    alg = get_spec("adam").resolve("pytorch", eps=1e-300, lr=1.0)
    best = np.array([(b1 / b2) ** (T - i) for i in range(1, T + 1)]).reshape(-1, 1)
    tr = run(alg, best)
    attained = abs(tr.xs[-1, 0] - tr.xs[-2, 0])
    rnd = np.random.default_rng(9).normal(size=(T, 2000)) * np.exp(np.random.default_rng(10).normal(size=(T, 2000)))
    tr2 = run(alg, rnd)
    worst_random = float(np.max(np.abs(tr2.xs[-1] - tr2.xs[-2])))
    num_ok = abs(attained - bound) < 1e-12 * bound and worst_random <= bound * (1 + 1e-12)
    return ProofResult(
        claim="sup over streams of |Adam step|/lr = sqrt(1-b2^t)/(1-b1^t) sqrt(sum w_i^2/u_i), attained",
        symbolic=f"closed form {sup}; equals the explicit sum at t = {T} and Lagrange's identity "
                 f"holds at random rational streams: {ok}",
        numeric=f"b1 = 0.9, b2 = 0.999, t = {T}: bound {bound:.10f}, attaining stream {attained:.10f}, "
                f"largest of 2,000 random heavy-tailed streams {worst_random:.4f}",
        status=verdict(ok, num_ok), kind="upper bound",
        data={"bound": bound, "attained": attained, "worst_random": worst_random},
        value=max(attained, worst_random), reference=bound, tolerance=1e-12 * bound)


if __name__ == "__main__":
    print(prove_adam_worst_case_step())
