r"""For curvatures in [l, L] (k = L/l), heavy ball is optimal at lr = (2/(sqrt L + sqrt l))^2, mu = ((sqrt k - 1)/(sqrt k + 1))^2, with rate (sqrt k - 1)/(sqrt k + 1).

Assumptions
    0 < l < L; a diagonal quadratic with eigenvalues in [l, L] (each coordinate decouples).
Derivation
    In the complex band the rate is sqrt(mu) for every curvature (heavy_ball_regimes); the
    smallest sqrt(mu) whose band covers [l, L] puts l and L on its edges: solve
    lr l = (1 - r)^2, lr L = (1 + r)^2 for (lr, r).  Numeric: the worst spectral radius over
    [l, L] on a grid around the optimum (rate map) is minimal there, and the kernel on
    h = l and h = L converges at the predicted rate, against GD's (k-1)/(k+1).
Kind
    exact
References
    Polyak (1964); REFERENCES.md section 1.
Example
    >>> prove_heavy_ball_optimal_tuning().status
    'proved'
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from optmath import get_spec
from optmath.proof import ProofResult, verdict
from optmath.symbolic.assume import symbol
from optmath.symbolic.checks import simplifies_to_zero
from optmath.symbolic.quadratic import heavy_ball_optimal, iteration_matrix, kernel_rate, rate_map

EXPECTED = "proved"


def prove_heavy_ball_optimal_tuning(l: float = 1.0, L: float = 100.0) -> ProofResult:
    opt = heavy_ball_optimal()
    k, ll, LL = symbol("kappa"), symbol("l"), symbol("L")
    ok = simplifies_to_zero(opt["rate_in_kappa"] - (sp.sqrt(k) - 1) / (sp.sqrt(k) + 1))
    ok &= simplifies_to_zero(opt["lr"] - (2 / (sp.sqrt(LL) + sp.sqrt(ll))) ** 2)
    lr_o = float(opt["lr"].subs({ll: l, LL: L}))
    mu_o = float(opt["mu"].subs({ll: l, LL: L}))
    rate_o = float(opt["rate"].subs({ll: l, LL: L}))
    M = iteration_matrix(get_spec("momentum").resolve("paper"))
    hs = np.linspace(l, L, 41)
    grid = rate_map(M, lr_o * np.array([0.9, 1.0, 1.1]), mu_o * np.array([0.9, 1.0, 1.1]), hs)
    best = np.unravel_index(np.argmin(grid), grid.shape)
    num_ok = best == (1, 1) and abs(grid[1, 1] - rate_o) < 1e-6
    alg = get_spec("momentum").resolve("paper", lr=lr_o, mu=mu_o)
    emp = [kernel_rate(alg, h, 3000) for h in (l, L)]
    num_ok &= all(abs(e - rate_o) < 5e-3 for e in emp)
    gd_rate = (L / l - 1) / (L / l + 1)
    return ProofResult(
        claim="Polyak's optimal heavy-ball tuning and rate (sqrt k - 1)/(sqrt k + 1)",
        symbolic=f"lr = {opt['lr']}, mu = {opt['mu']}, rate in k: {opt['rate_in_kappa']}",
        numeric=f"k = {L / l:g}: rate map minimum at the derived point ({grid[1, 1]:.6f} vs {rate_o:.6f}); "
                f"kernel rates {emp[0]:.5f}, {emp[1]:.5f}; GD's best {gd_rate:.5f}",
        status=verdict(ok, num_ok), data={"lr": lr_o, "mu": mu_o, "rate": rate_o, "kernel": emp})


if __name__ == "__main__":
    print(prove_heavy_ball_optimal_tuning())
