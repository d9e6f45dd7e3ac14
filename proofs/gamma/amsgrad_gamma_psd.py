r"""For AMSGrad (vhat_t = max(vhat_{t-1}, v_t)) and non-increasing lr_t, Gamma_t = sqrt(vhat_t)/lr_t - sqrt(vhat_{t-1})/lr_{t-1} >= 0.

Assumptions
    lr_t = lr_{t-1}/(1+q) with q >= 0 (non-increasing steps), vhat_{t-1} = a >= 0 and
    max(a, v_t) = a + p with p >= 0 (read off the spec's max update).
Derivation
    lr_{t-1} Gamma_t = (1+q) sqrt(a+p) - sqrt(a) is rewritten as
    p/(sqrt(a+p) + sqrt(a)) + q sqrt(a+p); the two forms are simplified to equal each other,
    and SymPy decides the second is nonnegative from p, q, a >= 0.  Kernel: AMSGrad (paper,
    raw max) on Reddi's periodic problem with lr/sqrt(t): no negative Gamma_t in 6,000 steps.
Kind
    lower bound
References
    Reddi, Kale & Kumar (2018), section 4.
Example
    >>> prove_amsgrad_gamma_psd().status
    'proved'
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from optmath import get_spec, run
from optmath.proof import ProofResult, verdict
from optmath.symbolic.checks import simplifies_to_zero

EXPECTED = "proved"


def prove_amsgrad_gamma_psd() -> ProofResult:
    alg = get_spec("amsgrad").resolve("paper")
    upd = next(a.expr for a in alg.updates if a.target == "vmax")
    is_max = isinstance(upd, sp.Max)
    a = sp.Symbol("a", positive=True)
    p, q = sp.Symbol("p", nonnegative=True), sp.Symbol("q", nonnegative=True)
    lhs = (1 + q) * sp.sqrt(a + p) - sp.sqrt(a)
    rhs = p / (sp.sqrt(a + p) + sp.sqrt(a)) + q * sp.sqrt(a + p)
    same = simplifies_to_zero(sp.radsimp(lhs - rhs)) or simplifies_to_zero(sp.together(lhs - rhs))
    ok = is_max and same and bool(rhs.is_nonnegative)
    tr = run(get_spec("amsgrad").resolve("paper", b1=0.0, b2=0.999, lr=0.1),
             problem="reddi:C=3", steps=6000, schedule="inv_sqrt", record_states=True)
    v = tr.states["vmax"][:, 0]
    t = np.arange(1, len(v))
    G = np.sqrt(v[1:] * t) - np.sqrt(v[:-1] * (t - 1))
    neg = int(np.sum(G < 0))
    return ProofResult(
        claim="Gamma_t >= 0 for AMSGrad with non-increasing lr_t",
        symbolic=f"update of vmax is {upd}; lr_(t-1) Gamma_t = {rhs} (identity simplifies: {same}), "
                 f"nonnegative: {rhs.is_nonnegative}",
        numeric=f"kernel, Reddi periodic C = 3, lr/sqrt(t), 6,000 steps: {neg} negative Gamma_t, "
                f"smallest lr Gamma_t {G.min():.3e}",
        status=verdict(ok, neg == 0), kind="lower bound", references=("Reddi, Kale & Kumar (2018)",),
        data={"negative_steps": neg, "min_lr_gamma": float(G.min())},
        value=float(G.min()), reference=0.0, tolerance=0.0)


if __name__ == "__main__":
    print(prove_amsgrad_gamma_psd())
