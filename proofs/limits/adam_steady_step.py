r"""Under a constant gradient G, Adam's step tends to -lr G/(|G| + eps) (PyTorch, Keras) and -lr G/(eps + sqrt(G^2 + eps_root)) (optax).

Assumptions
    0 < b1, b2 < 1, g_t = G != 0, weight decay 0.
Derivation
    :func:`optmath.symbolic.limits.steady_state` on the Adam spec: m -> G, v -> G^2, the
    corrections tend to 1, so the step tends to -lr G/(|G| + eps): not lr sign(G); the eps
    effect is the factor |G|/(|G| + eps), a 9% shorter step at |G| = 10 eps.  The Keras eps-hat
    form has the same limit.  Kernel: G = +-0.01 with eps = 1e-3 (eps effect visible),
    b2 = 0.99, 20,000 steps.
Kind
    exact
References
    Kingma & Ba (2014), section 2.1; REFERENCES.md section 1.
Example
    >>> prove_adam_steady_step().status
    'proved'
"""
from __future__ import annotations

import sympy as sp

from optmath.proof import ProofResult, verdict
from optmath.symbolic.assume import symbol
from optmath.symbolic.limits import GRAD, check_steady_steps

EXPECTED = "proved"


def prove_adam_steady_step() -> ProofResult:
    lr, eps, eps_root = symbol("lr"), symbol("eps"), symbol("eps_root")
    claimed = {"pytorch": -lr * GRAD / (GRAD + eps), "keras": -lr * GRAD / (GRAD + eps),
               "optax": -lr * GRAD / (eps + sp.sqrt(GRAD**2 + eps_root))}
    r = check_steady_steps("adam", claimed, {"b2": 0.99, "eps": 1e-3, "eps_root": 1e-4})
    return ProofResult(
        claim="Adam's steady step is -lr G/(|G| + eps) (optax: -lr G/(eps + sqrt(G^2 + eps_root)))",
        symbolic=f"limiting steps {r['steps']}; equal to the claims: {r['symbolic_ok']}",
        numeric=f"kernel, G = +-0.01, eps = 1e-3, eps_root = 1e-4, 20,000 steps: max relative "
                f"error {r['worst']:.1e} (step is {abs(r['kernel']['pytorch,G=0.01'][0]) / 1e-3:.4f} lr)",
        status=verdict(r["symbolic_ok"], r["worst"] < 1e-9), references=("Kingma & Ba (2014)",),
        data={"steps": r["steps"], "max_relative_error": r["worst"], "b2": 0.99,
              "g_over_eps": 10, "eps_effect": 1 - 10 / (10 + 1)})


if __name__ == "__main__":
    print(prove_adam_steady_step())
