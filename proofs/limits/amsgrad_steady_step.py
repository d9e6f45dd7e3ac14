r"""Under a constant gradient G, AMSGrad's vmax tends to G^2 and its step to -lr G/(|G| + eps), for each max convention.

Assumptions
    0 < b1, b2 < 1, g_t = G != 0, weight decay 0, zero initial state.
Derivation
    The fixed point of vmax = max(vmax, v) with v -> G^2 is a continuum {vmax >= G^2}; the
    branch that is not the identity gives the isolated solution G^2, which is the limit from
    vmax_0 = 0 because v_t increases to G^2.  PyTorch (max of raw v, then corrected) and optax
    (max of corrected v) share the limit.  Kernel: G = +-0.01, eps = 1e-3, b2 = 0.99.
Kind
    exact
References
    Reddi, Kale & Kumar (2018).
Example
    >>> prove_amsgrad_steady_step().status
    'proved'
"""
from __future__ import annotations

import sympy as sp

from optmath.proof import ProofResult, verdict
from optmath.symbolic.assume import symbol
from optmath.symbolic.limits import GRAD, check_steady_steps

EXPECTED = "proved"


def prove_amsgrad_steady_step() -> ProofResult:
    lr, eps = symbol("lr"), symbol("eps")
    claimed = {"pytorch": -lr * GRAD / (GRAD + eps), "keras": -lr * GRAD / (GRAD + eps),
               "optax": -lr * GRAD / (eps + sp.sqrt(GRAD**2 + symbol("eps_root")))}
    r = check_steady_steps("amsgrad", claimed, {"b2": 0.99, "eps": 1e-3}, steps=5000)
    return ProofResult(
        claim="AMSGrad's steady step is -lr G/(|G| + eps) (optax: eps_root inside the root)",
        symbolic=f"limiting steps {r['steps']}; equal to the claims: {r['symbolic_ok']}",
        numeric=f"kernel, G = +-0.01, eps = 1e-3, b2 = 0.99: max relative error {r['worst']:.1e}",
        status=verdict(r["symbolic_ok"], r["worst"] < 1e-9), data={"steps": r["steps"]})


if __name__ == "__main__":
    print(prove_amsgrad_steady_step())
