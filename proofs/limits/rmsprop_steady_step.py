r"""Under a constant gradient G, RMSProp's step tends to -lr G/(|G| + eps) (PyTorch) and -lr G/sqrt(G^2 + eps) (Keras, optax, paper).

Assumptions
    0 < alpha < 1, g_t = G != 0, weight decay 0, no momentum, not centered.
Derivation
    s -> G^2 by the fixed-point routine; the two eps placements give different limits, and
    the difference matters when |G| is comparable with eps (PyTorch 1e-8 outside the root,
    Keras 1e-7 inside it).  Kernel: G = +-0.01, eps = 1e-3, alpha = 0.9.
Kind
    exact
References
    Tieleman & Hinton (2012); REFERENCES.md section 2.
Example
    >>> prove_rmsprop_steady_step().status
    'proved'
"""
from __future__ import annotations

import sympy as sp

from optmath.proof import ProofResult, verdict
from optmath.symbolic.assume import symbol
from optmath.symbolic.limits import GRAD, check_steady_steps

EXPECTED = "proved"


def prove_rmsprop_steady_step() -> ProofResult:
    lr, eps = symbol("lr"), symbol("eps")
    claimed = {"pytorch": -lr * GRAD / (GRAD + eps), "keras": -lr * GRAD / sp.sqrt(GRAD**2 + eps)}
    r = check_steady_steps("rmsprop", claimed, {"eps": 1e-3, "alpha": 0.9}, steps=3000)
    return ProofResult(
        claim="RMSProp's steady step: -lr G/(|G| + eps) with eps outside, -lr G/sqrt(G^2 + eps) inside",
        symbolic=f"limiting steps {r['steps']}; equal to the claims: {r['symbolic_ok']}",
        numeric=f"kernel, G = +-0.01, eps = 1e-3: max relative error {r['worst']:.1e}",
        status=verdict(r["symbolic_ok"], r["worst"] < 1e-9), data={"steps": r["steps"], "default_eps": {"pytorch": 1e-8, "keras": 1e-7}, "alpha": 0.9})


if __name__ == "__main__":
    print(prove_rmsprop_steady_step())
