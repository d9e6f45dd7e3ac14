r"""Refuted: "Adam's per-coordinate step never exceeds the learning rate" -- false for PyTorch's b1 = 0.9, b2 = 0.999.

Assumptions
    The claim read as |x_t - x_{t-1}| <= lr for every stream and every t (eps = 1e-8).
Derivation
    The sparse stream (zeros, then one nonzero gradient at step t) gives the step
    lr (1-b1) sqrt(1-b2^t)/((1-b1^t) sqrt(1-b2)) (derived in kingma_ba_sparse_case), which
    exceeds lr for t >= 2 when b1 = 0.9, b2 = 0.999, and tends to sqrt(10) lr = 3.16 lr.
    Witness: t = 1000 gives 2.51 lr (evaluated with 40-digit b1, b2).  Kernel: the same
    stream with eps = 1e-8 and g_t = 1.
Kind
    counterexample
References
    Kingma & Ba (2014), section 2.1 (the step is "approximately bounded" by lr).
Example
    >>> prove_refute_adam_step_at_most_lr().status
    'refuted'
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from optmath import get_spec, run
from optmath.proof import ProofResult, verdict
from optmath.symbolic.limits import B1, B2, TT, adam_spike_step

EXPECTED = "refuted"


def prove_refute_adam_step_at_most_lr(t: int = 1000) -> ProofResult:
    r = adam_spike_step().subs({B1: sp.Float("0.9", 40), B2: sp.Float("0.999", 40), TT: t})
    value = sp.N(r, 30)  # 40-digit inputs: sqrt of a 3,000-digit rational would be factored
    symbolic_counter = bool(value > 1)
    grads = np.zeros((t, 1))
    grads[-1, 0] = 1.0
    tr = run(get_spec("adam").resolve("pytorch", lr=1e-3), grads, on_nonfinite="raise")
    step = abs(tr.xs[-1, 0] - tr.xs[-2, 0]) / 1e-3
    numeric_counter = step > 1 and abs(step - float(value)) < 1e-6
    return ProofResult(
        claim="Adam's step never exceeds lr (b1 = 0.9, b2 = 0.999)",
        symbolic=f"sparse stream, spike at t = {t}: step = {value} lr (> 1)",
        numeric=f"kernel, lr = 1e-3, eps = 1e-8, spike g_{t} = 1: step = {step:.9f} lr",
        status=verdict(symbolic_counter, numeric_counter, refutes=True), kind="counterexample",
        data={"t": t, "step_over_lr": float(value), "kernel_step_over_lr": step})


if __name__ == "__main__":
    print(prove_refute_adam_step_at_most_lr())
