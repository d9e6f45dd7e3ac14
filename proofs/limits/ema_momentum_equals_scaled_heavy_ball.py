r"""Heavy ball with (mu, lr) gives exactly the iterates of EMA momentum m <- b m + (1-b) g, x <- x - lr' m with b = mu, lr' = lr/(1-mu).

Assumptions
    0 < mu < 1, constant lr, zero initial state, the same gradient stream (any).
Derivation
    Both states are linear recurrences read off the specs (heavy ball: velocity form; EMA
    momentum: the buffer form with dampening mu, so 1 - damp = 1 - mu).  The generic closed forms give
    vel_t = -lr sum mu^(t-i) g_i and m_t = (1-mu) sum mu^(t-i) g_i, so vel_t = -lr/(1-mu) m_t
    term by term for every t (the weights' ratio simplifies to a constant), hence equal steps.
    The map in the other direction is lr = (1-b) lr'.  EMA momentum's own terminal value is G.
    Kernel: both methods on a random stream for 1,000 steps.
Kind
    exact
References
    REFERENCES.md section 1; Goh (2017), "Why momentum really works".
Example
    >>> prove_ema_momentum_equals_scaled_heavy_ball().status
    'proved'
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from optmath import get_spec, run
from optmath.proof import ProofResult, verdict
from optmath.symbolic.checks import simplifies_to_zero, unify
from optmath.symbolic.ema import analyse
from optmath.symbolic.limits import GRAD, steady_state

EXPECTED = "proved"


def prove_ema_momentum_equals_scaled_heavy_ball() -> ProofResult:
    mu, lr = sp.Symbol("mu", positive=True), sp.Symbol("lr", positive=True)
    hb = analyse(get_spec("momentum").resolve("paper"), "vel")
    ema = analyse(get_spec("momentum").resolve("optax"), "buf")
    damp = next(s for s in ema.weight.free_symbols if str(s) == "damp")
    ratio = sp.simplify(unify(hb.weight / ema.weight, ema.weight).subs(damp, mu))
    ok = simplifies_to_zero(ratio + lr / (1 - mu))
    ss = steady_state(get_spec("momentum").resolve("optax"), damp=sp.Rational(9, 10), mu=sp.Rational(9, 10))
    ok &= simplifies_to_zero(ss.states["buf"] - GRAD)
    grads = np.random.default_rng(4).normal(size=(1000, 3))
    a = run(get_spec("momentum").resolve("paper", mu=0.9, lr=0.01), grads, x0=1.0)
    b = run(get_spec("momentum").resolve("optax", mu=0.9, damp=0.9, lr=0.1), grads, x0=1.0)
    err = float(np.max(np.abs(a.xs - b.xs)) / np.max(np.abs(a.xs)))
    return ProofResult(
        claim="heavy ball (mu, lr) == EMA momentum (b = mu, lr' = lr/(1-mu)); conversely lr = (1-b) lr'",
        symbolic=f"weight ratio vel/m = {ratio} for every t and i; EMA momentum tends to G: {ok}",
        numeric=f"kernel, mu = 0.9, lr = 0.01 vs b = 0.9, lr' = 0.1, 1,000 steps, 3 coordinates: "
                f"max scaled difference of iterates {err:.1e}",
        status=verdict(ok, err < 1e-12), data={"weight_ratio": str(ratio), "max_scaled_difference": err})


if __name__ == "__main__":
    print(prove_ema_momentum_equals_scaled_heavy_ball())
