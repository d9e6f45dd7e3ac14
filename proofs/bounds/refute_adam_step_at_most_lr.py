r"""Refuted: "Adam's per-coordinate step never exceeds the learning rate" -- false for PyTorch's b1 = 0.9, b2 = 0.999.

Assumptions
    The claim read as |x_t - x_{t-1}| <= lr for every stream and every t (eps = 1e-8).
Derivation
    The sparse stream (zeros, then one nonzero gradient at step t) gives the step
    lr (1-b1) sqrt(1-b2^t)/((1-b1^t) sqrt(1-b2)) (derived in kingma_ba_sparse_case).  Whether it
    exceeds lr at a step t is decided with exact rationals on the squares,
    (1-b1)^2 (1-b2^t) > (1-b1^t)^2 (1-b2), at every t up to the witness: the result names the
    first such t and that it holds at every later t checked (the step dips below lr first,
    since it starts at lr and falls before it rises).  Witness: the spike at the last t
    checked (evaluated with 40-digit b1, b2); kernel: the same stream with eps = 1e-8 and
    g_t = 1.
Kind
    counterexample
References
    Kingma & Ba (2014), section 2.1 (the step is "approximately bounded" by lr).
Example
    >>> prove_refute_adam_step_at_most_lr().status
    'refuted'
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

from optmath import get_spec, run
from optmath.proof import ProofResult, verdict
from optmath.symbolic.limits import B1, B2, TT, adam_spike_step

EXPECTED = "refuted"
DIGITS = 40  # b1, b2 as 40-digit floats: sqrt of a 3,000-digit rational would be factored


def first_step_above_lr(b1: Fraction, b2: Fraction, t_max: int) -> tuple[int | None, bool]:
    """``(first t <= t_max with step > lr, whether every later t <= t_max also has it)``, exactly."""
    p1 = p2 = Fraction(1)
    first, after = None, True
    for t in range(1, t_max + 1):
        p1, p2 = p1 * b1, p2 * b2
        above = (1 - b1) ** 2 * (1 - p2) > (1 - p1) ** 2 * (1 - b2)
        if above and first is None:
            first = t
        elif first is not None and not above:
            after = False
    return first, first is not None and after


def prove_refute_adam_step_at_most_lr(t: int = 1000) -> ProofResult:
    b1, b2 = Fraction(9, 10), Fraction(999, 1000)
    first, stays = first_step_above_lr(b1, b2, t)
    r = adam_spike_step().subs({B1: sp.Float("0.9", DIGITS), B2: sp.Float("0.999", DIGITS), TT: t})
    value = sp.N(r, 30)
    before = float(sp.N(adam_spike_step().subs({B1: sp.Float("0.9", DIGITS), B2: sp.Float("0.999", DIGITS),
                                                TT: first - 1}), 30))
    symbolic_counter = bool(value > 1) and first is not None and stays
    grads = np.zeros((t, 1))
    grads[-1, 0] = 1.0
    tr = run(get_spec("adam").resolve("pytorch", lr=1e-3), grads, on_nonfinite="raise")
    step = abs(tr.xs[-1, 0] - tr.xs[-2, 0]) / 1e-3
    numeric_counter = step > 1 and abs(step - float(value)) < 1e-6
    return ProofResult(
        claim="Adam's step never exceeds lr (b1 = 0.9, b2 = 0.999)",
        symbolic=f"sparse stream: step <= lr for t < {first} (t = {first - 1}: {before:.6f} lr), step > lr from "
                 f"t = {first} on ({'at every' if stays else 'NOT at every'} t up to {t}, exact rationals); "
                 f"spike at t = {t}: step = {value} lr",
        numeric=f"kernel, lr = 1e-3, eps = 1e-8, spike g_{t} = 1: step = {step:.9f} lr",
        status=verdict(symbolic_counter, numeric_counter, refutes=True), kind="counterexample",
        data={"t": t, "step_over_lr": float(value), "kernel_step_over_lr": step, "first_t_above_lr": first,
              "step_before_first": before, "above_at_every_later_t": stays, "digits": DIGITS},
        value=step, reference=1.0, tolerance=0.0)


if __name__ == "__main__":
    print(prove_refute_adam_step_at_most_lr())
