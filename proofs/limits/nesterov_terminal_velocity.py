r"""Under a constant gradient, Nesterov momentum (PyTorch, Keras and Sutskever forms) takes the terminal step -lr G/(1-mu).

Assumptions
    0 <= mu < 1, dampening 0, weight decay 0, g_t = G.
Derivation
    The same fixed-point routine on the three Nesterov specs: PyTorch's x <- x - lr (g + mu buf),
    Keras' x <- x + mu v - lr g, and Sutskever's look-ahead velocity; all three give
    -lr G/(1-mu), the heavy-ball terminal velocity.  Kernel: 2,000 steps, mu = 0.9.
Kind
    exact
References
    Sutskever et al. (2013); Nesterov (1983).
Example
    >>> prove_nesterov_terminal_velocity().status
    'proved'
"""
from __future__ import annotations

import sympy as sp

from optmath.proof import ProofResult, verdict
from optmath.symbolic.limits import GRAD, check_steady_steps

EXPECTED = "proved"
KERNEL_STEPS = 2000


def prove_nesterov_terminal_velocity() -> ProofResult:
    mu, lr = sp.Symbol("mu", positive=True), sp.Symbol("lr", positive=True)
    claimed = -lr * GRAD / (1 - mu)
    r = check_steady_steps("nesterov", {p: claimed for p in ('pytorch', 'keras', 'paper')}, {"mu": 0.9, "lr": 0.01},
                           Gs=(0.7, -0.7), steps=KERNEL_STEPS, substitute={"damp": 0})
    ok, worst, steps = r["symbolic_ok"], r["worst"], r["steps"]
    return ProofResult(
        claim="Nesterov terminal step is -lr G/(1-mu) in the PyTorch, Keras and Sutskever forms",
        symbolic=f"limiting steps {steps}; all equal -lr G/(1-mu): {ok}",
        numeric=f"kernel, mu = 0.9, lr = 0.01, G = +-0.7: max relative error {worst:.1e}",
        status=verdict(ok, worst < 1e-12), data={"steps": steps, "max_relative_error": worst, "kernel_steps": KERNEL_STEPS})


if __name__ == "__main__":
    print(prove_nesterov_terminal_velocity())
