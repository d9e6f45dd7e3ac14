r"""Refuted: "heavy ball with (mu, lr) is EMA momentum with b = mu and the same lr" (also with lr' = lr (1 - mu)).

Assumptions
    0 < mu < 1, zero initial state.
Derivation
    The terminal steps differ: heavy ball -lr G/(1-mu), EMA momentum -lr G (steady_state on
    both specs), a ratio 1/(1-mu) = 10 at mu = 0.9; with the other wrong map lr' = lr (1-mu) the
    ratio is 1/(1-mu)^2.  Exact witness: one step with g_1 = 1 from x_0 = 0 gives x_1 = -lr
    (heavy ball) and -(1-mu) lr (EMA), computed with the generated reference step on rationals.
Kind
    counterexample
References
    REFERENCES.md section 1 (the mapping must be derived, not assumed).
Example
    >>> prove_refute_heavy_ball_ema_same_lr().status
    'refuted'
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from optmath import get_spec, run
from optmath.proof import ProofResult, verdict
from optmath.symbolic.limits import steady_state

EXPECTED = "refuted"


def prove_refute_heavy_ball_ema_same_lr() -> ProofResult:
    mu = sp.Rational(9, 10)
    hb = steady_state(get_spec("momentum").resolve("paper"), mu=mu)
    ema = steady_state(get_spec("momentum").resolve("optax"), mu=mu, damp=mu)
    ratio = sp.simplify(hb.step / ema.step)
    ratio2 = sp.simplify(hb.step / (ema.step * (1 - mu)))
    symbolic_counter = ratio != 1 and ratio2 != 1
    lr = sp.Rational(1, 100)
    x1_hb, x1_ema = -lr * 1, -(1 - mu) * lr * 1  # first step from the recurrences with g_1 = 1
    a = run(get_spec("momentum").resolve("paper", mu=0.9, lr=0.01), [[1.0]])
    b = run(get_spec("momentum").resolve("optax", mu=0.9, damp=0.9, lr=0.01), [[1.0]])
    numeric_counter = abs(a.xs[1, 0] - float(x1_hb)) < 1e-15 and abs(b.xs[1, 0] - float(x1_ema)) < 1e-15 \
        and a.xs[1, 0] != b.xs[1, 0]
    grads = np.full((2000, 1), 1.0)
    la = run(get_spec("momentum").resolve("paper", mu=0.9, lr=0.01), grads).xs[:, 0]
    lb = run(get_spec("momentum").resolve("optax", mu=0.9, damp=0.9, lr=0.01), grads).xs[:, 0]
    kernel_ratio = float((la[-1] - la[-2]) / (lb[-1] - lb[-2]))
    numeric_counter &= abs(kernel_ratio - 10) < 1e-9
    return ProofResult(
        claim="heavy ball (mu, lr) equals EMA momentum (b = mu) with the same lr",
        symbolic=f"terminal steps {hb.step} vs {ema.step} at mu = 9/10: ratio {ratio} "
                 f"(with lr' = lr (1-mu): {ratio2})",
        numeric=f"witness g_1 = 1, lr = 1/100: x_1 = {x1_hb} vs {x1_ema} (kernel {a.xs[1, 0]} vs "
                f"{b.xs[1, 0]}); terminal step ratio from the kernel {kernel_ratio:.12f}",
        status=verdict(symbolic_counter, numeric_counter, refutes=True), kind="counterexample",
        data={"ratio": str(ratio), "kernel_ratio": kernel_ratio})


if __name__ == "__main__":
    print(prove_refute_heavy_ball_ema_same_lr())
