"""Momentum limits and quadratic rates: terminal velocity, the heavy-ball iteration matrix on
h x^2/2, its stability region, a rate map over (lr h, mu) checked against kernel runs, and the
optimal tuning for a condition number."""
from __future__ import annotations

import math

import numpy as np

from ..common import derivation_markdown, fnum, jnum, notation_rows, proofs_markdown, run_proof_group, table

TITLE = "Momentum limits and quadratic rates"
LR_GRID = (0.02, 4.2, 106)  # lr h from 0.02 to 4.2
MU_GRID = (0.0, 0.98, 50)
N_CHECKS = 12
KAPPAS = (10, 100, 1000, 10000)


def _steps(rate: float) -> int:
    """Kernel steps for an empirical rate: long enough to see it, short enough that rate^steps
    stays above 1e-217 (no underflow to subnormals or 0)."""
    if rate >= 1:
        return 2000
    return int(min(40000, max(200, 500 / -math.log(max(rate, 1e-300)))))


def compute(seed: int) -> dict:
    import sympy as sp

    from ...optimizers import get_spec
    from ...symbolic.checks import subs_by_name
    from ...symbolic.derive import derive
    from ...symbolic.quadratic import gd_optimal, heavy_ball_optimal, iteration_matrix, kernel_rate, rate_map

    hb = get_spec("momentum").resolve("paper")
    im = iteration_matrix(hb)
    lrs = np.linspace(*LR_GRID[:2], LR_GRID[2])
    mus = np.linspace(*MU_GRID[:2], MU_GRID[2])
    rho = rate_map(im, lrs, mus, [1.0])  # h = 1, so lr is lr h

    # numeric check: kernel runs at points drawn with the seed (a generator outside the kernels)
    rng = np.random.default_rng(seed)
    checks = []
    for _ in range(N_CHECKS):
        i, j = int(rng.integers(len(lrs))), int(rng.integers(len(mus)))
        n = _steps(rho[i, j])
        k = kernel_rate(hb.with_values(lr=float(lrs[i]), mu=float(mus[j])), 1.0, steps=n, window=max(20, n // 20))
        checks.append({"lr_h": float(lrs[i]), "mu": float(mus[j]), "rho": float(rho[i, j]), "kernel": jnum(k),
                       "agree": bool((rho[i, j] >= 1 and k >= 0.999) or abs(k - rho[i, j]) <= 5e-3)})

    # the stability boundary, solved from the derived conditions (lr h < 2 + 2 mu)
    conds = [c for c in im.stability_conditions() if c is not sp.true]
    boundary = [str(c) for c in conds]

    # optimal tuning for l = 1, L = kappa, with kernel runs at both ends
    hbo, gdo = heavy_ball_optimal(), gd_optimal()
    tuning = []
    for kappa in KAPPAS:
        at = {"l": 1, "L": kappa}
        lr_hb, mu_hb, r_hb = (float(sp.N(subs_by_name(hbo[k], at), 30)) for k in ("lr", "mu", "rate"))
        lr_gd = float(sp.N(subs_by_name(gdo["lr"], at), 30))
        r_gd = (kappa - 1) / (kappa + 1)
        steps = _steps(r_hb)
        k_hb = max(kernel_rate(hb.with_values(lr=lr_hb, mu=mu_hb), h, steps=steps, window=max(40, steps // 20))
                   for h in (1.0, float(kappa)))
        tuning.append({"kappa": kappa, "gd_lr": lr_gd, "gd_rate": r_gd, "hb_lr": lr_hb, "hb_mu": mu_hb,
                       "hb_rate": r_hb, "hb_kernel_rate": k_hb,
                       "gd_steps_1e-6": math.ceil(math.log(1e-6) / math.log(r_gd)),
                       "hb_steps_1e-6": math.ceil(math.log(1e-6) / math.log(r_hb))})

    return {"notation": notation_rows(hb) + [["h", "h", "curvature of f(x) = h x^2/2", ""],
                                             ["rho", r"\rho", "spectral radius of the iteration matrix (rate)", ""],
                                             ["kappa", r"\kappa", "condition number L/l", ""]],
            "limits": derive("limits", "momentum", "paper").as_dict(),
            "quadratic": derive("quadratic", "momentum", "paper").as_dict(),
            "boundary": boundary, "hb_optimal": {k: sp.latex(v) for k, v in hbo.items()},
            "gd_optimal": {k: sp.latex(v) for k, v in gdo.items()},
            "rate_map": {"lr_h": [round(float(v), 10) for v in lrs], "mu": [round(float(v), 10) for v in mus],
                         "rho": [[round(float(v), 8) for v in row] for row in rho]},
            "kernel_checks": checks, "tuning": tuning,
            "proofs": run_proof_group("limits/*") + run_proof_group("quadratic/*")}


def render(d: dict) -> tuple[str, dict]:
    from ..figures import png

    rm = d["rate_map"]
    lr, mu, rho = np.array(rm["lr_h"]), np.array(rm["mu"]), np.array(rm["rho"])

    def draw(fig):
        ax = fig.add_subplot(1, 1, 1)
        dl, dm = lr[1] - lr[0], mu[1] - mu[0]
        im = ax.imshow(np.minimum(rho, 1.2).T, origin="lower", aspect="auto", cmap="viridis", vmin=0, vmax=1.2,
                       extent=(lr[0] - dl / 2, lr[-1] + dl / 2, mu[0] - dm / 2, mu[-1] + dm / 2))
        cs = ax.contour(lr, mu, rho.T, levels=[0.5, 0.7, 0.8, 0.9, 0.95, 0.99], colors="white", linewidths=0.6)
        ax.clabel(cs, fontsize=6, fmt="%.2f")
        ax.contour(lr, mu, rho.T, levels=[1.0], colors="red", linewidths=1.4)
        for c in d["kernel_checks"]:
            ax.plot(c["lr_h"], c["mu"], "o", mfc="white" if c["agree"] else "magenta", mec="black", ms=4.5)
        ax.set_xlabel(r"$\eta h$")
        ax.set_ylabel(r"momentum $\mu$")
        ax.set_title(r"Heavy ball on $h x^2/2$: rate $\rho$ (red: $\rho = 1$; dots: kernel checks)")
        fig.colorbar(im, ax=ax, label=r"$\rho$ (clipped at 1.2)")

    figs = {"rate_map.png": png(draw, (6.4, 4.4))}
    chk = [[fnum(c["lr_h"], 4), fnum(c["mu"], 4), fnum(c["rho"], 6), fnum(c["kernel"], 6),
            "yes" if c["agree"] else "NO"] for c in d["kernel_checks"]]
    agree = sum(c["agree"] for c in d["kernel_checks"])
    conv = [c for c in d["kernel_checks"] if c["rho"] < 1]
    worst = max((abs(c["kernel"] - c["rho"]) for c in conv), default=0.0)
    tun = [[f"{t['kappa']:,}", fnum(t["gd_lr"], 6), fnum(t["gd_rate"], 6), f"{t['gd_steps_1e-6']:,}",
            fnum(t["hb_lr"], 6), fnum(t["hb_mu"], 6), fnum(t["hb_rate"], 6), fnum(t["hb_kernel_rate"], 6),
            f"{t['hb_steps_1e-6']:,}"] for t in d["tuning"]]
    hbo, gdo = d["hb_optimal"], d["gd_optimal"]
    md = f"""## Limits under a constant gradient

{derivation_markdown(d['limits'])}
The velocity tends to $\\eta G/(\\mu - 1)$: the terminal step is $1/(1-\\mu)$ times the plain
gradient step (10 times for $\\mu = 0.9$). The kernel checks are in the claims below.

## Quadratic model $f(\\theta) = h\\theta^2/2$

{derivation_markdown(d['quadratic'])}
The stability conditions that are not always true: {', '.join(f'`{b}`' for b in d['boundary'])}; so
heavy ball is stable exactly for $0 \\le \\mu < 1$ and $0 < \\eta h < 2 + 2\\mu$.

## Rate map over $(\\eta h, \\mu)$

![Rate map of heavy ball]({'rate_map.png'})

The map is the spectral radius of the derived iteration matrix on a {len(lr)} x {len(mu)} grid. Numeric
check: the kernel's contraction rate (growth of the running maximum of $|\\theta_t|$ between the middle and the
end of a run of $\\min(40000, 500/\\ln(1/\\rho))$ steps) at {len(chk)} grid points drawn with seed {d['provenance']['seed']}; {agree} of {len(chk)} agree
(within 5e-3, or both at least 1), largest difference where $\\rho < 1$: {worst:.1e}.

{table(['lr h', 'mu', 'rho (matrix)', 'kernel rate', 'agree'], chk)}
## Optimal tuning for a condition number

For curvatures in $[l, L]$, gradient descent is best at $\\eta = {gdo['lr']}$ with rate
${gdo['rate_in_kappa']}$; heavy ball at $\\eta = {hbo['lr']}$, $\\mu = {hbo['mu']}$ with rate
${hbo['rate_in_kappa']}$ (derived by putting both ends of $[l, L]$ on the boundary of the complex regime).
With $l = 1$, $L = \\kappa$; the kernel column is the slower of the two kernel runs at $h = l$ and
$h = L$; "steps" is the number of steps to shrink the error by $10^{{-6}}$:

{table(['kappa', 'GD lr', 'GD rate', 'GD steps', 'HB lr', 'HB mu', 'HB rate', 'HB kernel rate', 'HB steps'], tun)}
## Claims in the proof suite

{proofs_markdown(d['proofs'], '###')}"""
    return md, figs
