r"""Under a constant gradient G, heavy ball v <- mu v - lr g tends to -lr G/(1-mu); PyTorch's buffer form takes the same terminal step.

Assumptions
    0 <= mu < 1, dampening 0, weight decay 0, g_t = G.
Derivation
    :func:`optmath.symbolic.limits.steady_state` solves the fixed point of the spec's state
    update (velocity form: paper/Keras; buffer form: PyTorch) and reads the limiting step off
    the x update: -lr G/(1-mu) in both.  Kernel: 2,000 steps with mu = 0.9, G = +-0.7.
Kind
    exact
References
    Polyak (1964); REFERENCES.md section 1.
Example
    >>> prove_heavy_ball_terminal_velocity().status
    'proved'
"""
from __future__ import annotations

import sympy as sp

from optmath.proof import ProofResult, verdict
from optmath.symbolic.limits import GRAD, check_steady_steps

EXPECTED = "proved"


def prove_heavy_ball_terminal_velocity() -> ProofResult:
    mu, lr = sp.Symbol("mu", positive=True), sp.Symbol("lr", positive=True)
    claimed = -lr * GRAD / (1 - mu)
    r = check_steady_steps("momentum", {p: claimed for p in ('paper', 'pytorch')}, {"mu": 0.9, "lr": 0.01},
                           Gs=(0.7, -0.7), steps=2000, substitute={"damp": 0})
    ok, worst, steps = r["symbolic_ok"], r["worst"], r["steps"]
    return ProofResult(
        claim="heavy ball terminal step is -lr G/(1-mu) (velocity and PyTorch buffer forms)",
        symbolic=f"limiting steps {steps}; equal to -lr G/(1-mu): {ok}",
        numeric=f"kernel, mu = 0.9, lr = 0.01, G = +-0.7, 2,000 steps: max relative error {worst:.1e}",
        status=verdict(ok, worst < 1e-12), references=("Polyak (1964)",),
        data={"steps": steps, "max_relative_error": worst},
        value=worst, reference=0.0, error=worst, tolerance=1e-12)


if __name__ == "__main__":
    print(prove_heavy_ball_terminal_velocity())
