r"""Under a constant gradient G, AdaMax's u tends to |G| (+ eps in PyTorch/optax) and its step to -lr G/(|G| + eps).

Assumptions
    0 < b1, b2 < 1, g_t = G != 0, weight decay 0.
Derivation
    The fixed point of u = max(b2 u, |G| + eps) is solved branch by branch: the branch
    u = b2 u forces u = 0, which violates its condition, so u = |G| + eps; with Keras' form
    u = max(b2 u, |G|) and eps added outside, the same limit.  Kernel: G = +-0.01, eps = 1e-3.
Kind
    exact
References
    Kingma & Ba (2014), section 7.1.
Example
    >>> prove_adamax_steady_step().status
    'proved'
"""
from __future__ import annotations

from optmath.proof import ProofResult, verdict
from optmath.symbolic.assume import symbol
from optmath.symbolic.limits import GRAD, check_steady_steps

EXPECTED = "proved"


def prove_adamax_steady_step() -> ProofResult:
    lr, eps = symbol("lr"), symbol("eps")
    claimed = {p: -lr * GRAD / (GRAD + eps) for p in ("pytorch", "keras", "optax")}
    r = check_steady_steps("adamax", claimed, {"eps": 1e-3}, steps=5000)
    return ProofResult(
        claim="AdaMax's steady step is -lr G/(|G| + eps)",
        symbolic=f"limiting steps {r['steps']}; equal to the claim: {r['symbolic_ok']}",
        numeric=f"kernel, G = +-0.01, eps = 1e-3, 5,000 steps: max relative error {r['worst']:.1e}",
        status=verdict(r["symbolic_ok"], r["worst"] < 1e-9), data={"steps": r["steps"]})


if __name__ == "__main__":
    print(prove_adamax_steady_step())
