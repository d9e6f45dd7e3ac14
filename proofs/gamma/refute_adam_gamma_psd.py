r"""Refuted: Kingma & Ba's assumption that Gamma_t = sqrt(v_t)/lr_t - sqrt(v_{t-1})/lr_{t-1} >= 0 holds for Adam (lr_t = lr/sqrt(t)).

Assumptions
    One coordinate, lr_t = lr/sqrt(t), the Adam spec's uncorrected v (as in the convergence
    proof), v_{t-1} > 0.
Derivation
    Substituting the spec's update v_t = b2 v_{t-1} + (1-b2) g_t^2 with g_t = 0 gives
    Gamma_t = sqrt(v_{t-1}) (sqrt(t b2) - sqrt(t-1)) / lr, negative exactly when
    t b2 < t - 1, i.e. t > 1/(1-b2).  Symbolic witness: b2 = 999/1000, t = 2000, v_{t-1} = 1:
    Gamma = (sqrt(1998) - sqrt(1999))/lr < 0.  Kernel: Adam on Reddi's periodic problem (C = 3)
    with lr/sqrt(t); Gamma_t computed from the recorded v is negative at many steps.
Kind
    counterexample
References
    Reddi, Kale & Kumar (2018), section 3; Kingma & Ba (2014), section 4.
Example
    >>> prove_refute_adam_gamma_psd().status
    'refuted'
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from optmath import get_spec, run
from optmath.proof import ProofResult, verdict
from optmath.spec import g
from optmath.symbolic.limits import gamma_t

EXPECTED = "refuted"


def prove_refute_adam_gamma_psd() -> ProofResult:
    alg = get_spec("adam").resolve("paper")
    upd = next(a.expr for a in alg.updates if a.target == "v")
    vp, lr = sp.Symbol("v", positive=True), sp.Symbol("lr", positive=True)
    tt = sp.Symbol("t", positive=True)
    b2 = sp.Symbol("b2", positive=True)
    v_new = upd.subs({sp.Symbol("v", real=True): vp, g: 0, sp.Symbol("b2", real=True): b2})
    gam = sp.simplify(gamma_t(vp, v_new, lr / sp.sqrt(tt - 1), lr / sp.sqrt(tt)))
    witness = gam.subs({vp: 1, b2: sp.Rational(999, 1000), tt: 2000, lr: 1})
    symbolic_counter = bool(sp.N(witness, 30) < 0)
    tr = run(get_spec("adam").resolve("paper", b1=0.0, b2=0.999, lr=0.1),
             problem="reddi:C=3", steps=6000, schedule="inv_sqrt", record_states=True)
    v = tr.states["v"][:, 0]
    t = np.arange(1, len(v))
    G = np.sqrt(v[1:] * t) - np.sqrt(v[:-1] * (t - 1))  # lr * Gamma_t
    neg = int(np.sum(G < -1e-12))
    numeric_counter = neg > 0
    return ProofResult(
        claim="Gamma_t = sqrt(v_t)/lr_t - sqrt(v_{t-1})/lr_{t-1} >= 0 for Adam with lr_t = lr/sqrt(t)",
        symbolic=f"with g_t = 0: Gamma_t = {gam}; witness b2 = 999/1000, t = 2000, v = 1, lr = 1: "
                 f"{sp.N(witness, 12)}",
        numeric=f"kernel, Reddi periodic C = 3, b1 = 0, b2 = 0.999, lr/sqrt(t), 6,000 steps: "
                f"Gamma_t < 0 at {neg} steps (most negative {G.min():.3e})",
        status=verdict(symbolic_counter, numeric_counter, refutes=True), kind="counterexample",
        references=("Reddi, Kale & Kumar (2018)",),
        data={"gamma_g0": str(gam), "negative_steps": neg, "witness": float(sp.N(witness))})


if __name__ == "__main__":
    print(prove_refute_adam_gamma_psd())
