"""Momentum limits and quadratic rates: terminal velocity, the heavy-ball iteration matrix on
h x^2/2, its stability region, a rate map over (lr h, mu) checked against kernel runs, and the
optimal tuning for a condition number."""
from __future__ import annotations

import math

import numpy as np

from ..common import derivation_markdown, fnum, jnum, notation_rows, proofs_markdown, run_proof_group, table, tex_num

TITLE = "Momentum limits and quadratic rates"
# The reviewed table of inputs: every number this report is computed for.
INPUTS = {
    "lr_grid": (0.02, 4.2, 106),  # lr h from 0.02 to 4.2, 106 points
    "mu_grid": (0.0, 0.98, 50),
    "n_checks": 12,  # kernel checks of the rate map
    "agree_tol": 5e-3,  # a kernel rate agrees with rho within this (or both at least agree_unstable)
    "agree_unstable": 0.999,
    "run_min": 200, "run_max": 40000, "run_log": 500,  # kernel run: min(run_max, max(run_min, run_log/ln(1/rho)))
    "run_unstable": 2000,
    "kappas": (10, 100, 1000, 10000),
    "shrink": 1e-6,  # "steps": until the error is at most this times the start, at every later step
    "count_runs": 4,  # the counting runs last this many times the rate-only estimate
    "digits": 30,  # working precision of the exact iteration
    "rho_clip": 1.2,  # the rate map's colour scale is clipped here
}
LR_GRID, MU_GRID, N_CHECKS, KAPPAS = INPUTS["lr_grid"], INPUTS["mu_grid"], INPUTS["n_checks"], INPUTS["kappas"]


def _steps(rate: float) -> int:
    """Kernel steps for an empirical rate: long enough to see it, short enough that rate^steps
    stays above exp(-run_log) (no underflow to subnormals or 0)."""
    if rate >= 1:
        return INPUTS["run_unstable"]
    return int(min(INPUTS["run_max"], max(INPUTS["run_min"], INPUTS["run_log"] / -math.log(max(rate, 1e-300)))))


def _last_above(xs, tol) -> int:
    """The first N with |x_t| <= tol |x_0| at every t >= N in the run ``xs`` (x_0 first)."""
    big = [t for t, x in enumerate(xs) if abs(x) > tol * abs(xs[0])]
    return (big[-1] + 1) if big else 0


def count_steps(alg, h: float, n: int, tol: float) -> int:
    """Steps of the kernel on f = h x^2/2 from x_0 = 1 (at rest) until |x_t| <= tol at every later
    step of an ``n``-step run."""
    from ...kernels.runner import run
    from ...problems import make_problem

    tr = run(alg, problem=make_problem("quadratic", h=h), steps=n, x0=1.0)
    return _last_above(tr.xs[:, 0].tolist(), tol)


def exact_count(im, values: dict, n: int, tol: float, dps: int) -> int:
    """The same count from the derived iteration matrix, iterated at ``dps`` digits from x_0 = 1
    at rest (every other state variable 0), independent of the kernel."""
    import mpmath
    import sympy as sp

    from ...symbolic.checks import subs_by_name

    with mpmath.workdps(dps):
        M = mpmath.matrix(sp.N(subs_by_name(im.matrix, values), dps + 10).tolist())
        z = mpmath.matrix([[1]] + [[0]] * (M.rows - 1))
        xs = [z[0]]
        for _ in range(n):
            z = M * z
            xs.append(z[0])
        return _last_above(xs, tol)


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
                       "agree": bool((rho[i, j] >= 1 and k >= INPUTS["agree_unstable"])
                                     or abs(k - rho[i, j]) <= INPUTS["agree_tol"])})

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
        tol = INPUTS["shrink"]
        # GD: |x_t| = rate^t at both ends exactly, so the rate gives the count; heavy ball: both ends
        # sit on the double-root boundary (a Jordan block, error ~ t rho^t), so the rate does not
        estimate = math.ceil(math.log(tol) / math.log(r_hb))
        n = INPUTS["count_runs"] * estimate
        alg = hb.with_values(lr=lr_hb, mu=mu_hb)
        ends, disc = {}, []
        for name, h in (("l", 1), ("L", kappa)):
            vals = {"lr": subs_by_name(hbo["lr"], at), "mu": subs_by_name(hbo["mu"], at), "h": h}
            disc.append(sp.simplify(subs_by_name(im.discriminant(), vals)))
            ends[name] = {"kernel": count_steps(alg, float(h), n, tol),
                          "exact": exact_count(im, vals, n, tol, INPUTS["digits"])}
        tuning.append({"kappa": kappa, "gd_lr": lr_gd, "gd_rate": r_gd, "hb_lr": lr_hb, "hb_mu": mu_hb,
                       "hb_rate": r_hb, "hb_kernel_rate": k_hb,
                       "gd_steps": math.ceil(math.log(tol) / math.log(r_gd)),
                       "hb_steps_rate_only": estimate, "hb_run": n,
                       "hb_steps_l": ends["l"]["exact"], "hb_steps_L": ends["L"]["exact"],
                       "hb_steps_kernel_l": ends["l"]["kernel"], "hb_steps_kernel_L": ends["L"]["kernel"],
                       "double_root_at_both_ends": all(x == 0 for x in disc),
                       "rate_only_short_percent": 100 * (max(ends["l"]["exact"], ends["L"]["exact"]) / estimate - 1)})

    return {"notation": notation_rows(hb) + [["h", "h", "curvature of f(x) = h x^2/2", ""],
                                             ["rho", r"\rho", "spectral radius of the iteration matrix (rate)", ""],
                                             ["kappa", r"\kappa", "condition number L/l", ""]],
            "limits": derive("limits", "momentum", "paper").as_dict(),
            "quadratic": derive("quadratic", "momentum", "paper").as_dict(),
            "boundary": boundary, "hb_optimal": {k: sp.latex(v) for k, v in hbo.items()},
            "gd_optimal": {k: sp.latex(v) for k, v in gdo.items()},
            "rate_map": {"lr_h": [round(float(v), 10) for v in lrs], "mu": [round(float(v), 10) for v in mus],
                         "rho": [[round(float(v), 8) for v in row] for row in rho]},
            "kernel_checks": checks, "tuning": tuning, "inputs": jsonable_inputs(),
            "kernel_worst_difference": max((abs(c["kernel"] - c["rho"]) for c in checks if c["rho"] < 1), default=0.0),
            "terminal": {"mu": float(hb.values["mu"]), "factor": 1 / (1 - float(hb.values["mu"]))},
            "proofs": run_proof_group("limits/*") + run_proof_group("quadratic/*")}


def jsonable_inputs() -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in INPUTS.items()}


def render(d: dict) -> tuple[str, dict]:
    from ..figures import png

    rm = d["rate_map"]
    clip = INPUTS["rho_clip"]
    lr, mu, rho = np.array(rm["lr_h"]), np.array(rm["mu"]), np.array(rm["rho"])

    def draw(fig):
        ax = fig.add_subplot(1, 1, 1)
        dl, dm = lr[1] - lr[0], mu[1] - mu[0]
        im = ax.imshow(np.minimum(rho, clip).T, origin="lower", aspect="auto", cmap="viridis", vmin=0, vmax=clip,
                       extent=(lr[0] - dl / 2, lr[-1] + dl / 2, mu[0] - dm / 2, mu[-1] + dm / 2))
        cs = ax.contour(lr, mu, rho.T, levels=[0.5, 0.7, 0.8, 0.9, 0.95, 0.99], colors="white", linewidths=0.6)
        ax.clabel(cs, fontsize=6, fmt="%.2f")
        ax.contour(lr, mu, rho.T, levels=[1.0], colors="red", linewidths=1.4)
        for c in d["kernel_checks"]:
            ax.plot(c["lr_h"], c["mu"], "o", mfc="white" if c["agree"] else "magenta", mec="black", ms=4.5)
        ax.set_xlabel(r"$\eta h$")
        ax.set_ylabel(r"momentum $\mu$")
        ax.set_title(r"Heavy ball on $h x^2/2$: rate $\rho$ (red: $\rho = 1$; dots: kernel checks)")
        fig.colorbar(im, ax=ax, label=rf"$\rho$ (clipped at {fnum(clip)})")

    figs = {"rate_map.png": png(draw, (6.4, 4.4))}
    chk = [[fnum(c["lr_h"], 4), fnum(c["mu"], 4), fnum(c["rho"], 6), fnum(c["kernel"], 6),
            "yes" if c["agree"] else "NO"] for c in d["kernel_checks"]]
    agree = sum(c["agree"] for c in d["kernel_checks"])
    worst = d["kernel_worst_difference"]
    tun = [[f"{t['kappa']:,}", fnum(t["gd_lr"], 6), fnum(t["gd_rate"], 6), f"{t['gd_steps']:,}",
            fnum(t["hb_lr"], 6), fnum(t["hb_mu"], 6), fnum(t["hb_rate"], 6), fnum(t["hb_kernel_rate"], 6),
            f"{t['hb_steps_rate_only']:,}", f"{t['hb_steps_l']:,} / {t['hb_steps_L']:,}"] for t in d["tuning"]]
    inp = d["inputs"]
    short = [t["rate_only_short_percent"] for t in d["tuning"]]
    kernel_same = all(t["hb_steps_kernel_l"] == t["hb_steps_l"] and t["hb_steps_kernel_L"] == t["hb_steps_L"]
                      for t in d["tuning"])
    jordan = all(t["double_root_at_both_ends"] for t in d["tuning"])
    term = d["terminal"]
    hbo, gdo = d["hb_optimal"], d["gd_optimal"]
    md = f"""## Limits under a constant gradient

{derivation_markdown(d['limits'])}
The velocity tends to $\\eta G/(\\mu - 1)$: the terminal step is $1/(1-\\mu)$ times the plain
gradient step ({fnum(term['factor'], 6)} times for the default $\\mu = {fnum(term['mu'], 6)}$). The kernel checks are in the claims below.

## Quadratic model $f(\\theta) = h\\theta^2/2$

{derivation_markdown(d['quadratic'])}
The stability conditions that are not always true: {', '.join(f'`{b}`' for b in d['boundary'])}; so
heavy ball is stable exactly for $0 \\le \\mu < 1$ and $0 < \\eta h < 2 + 2\\mu$.

## Rate map over $(\\eta h, \\mu)$

![Rate map of heavy ball]({'rate_map.png'})

The map is the spectral radius of the derived iteration matrix on a {len(lr)} x {len(mu)} grid. Numeric
check: the kernel's contraction rate (growth of the running maximum of $|\\theta_t|$ between the middle and the
end of a run of $\\min({inp['run_max']}, \\max({inp['run_min']}, {inp['run_log']}/\\ln(1/\\rho)))$ steps) at {len(chk)} grid points drawn
with seed {d['provenance']['seed']}; {agree} of {len(chk)} agree (within {fnum(inp['agree_tol'])}, or $\\rho \\ge 1$ and a kernel rate of at
least {fnum(inp['agree_unstable'])}), largest difference where $\\rho < 1$: {worst:.1e}.

{table(['lr h', 'mu', 'rho (matrix)', 'kernel rate', 'agree'], chk)}
## Optimal tuning for a condition number

For curvatures in $[l, L]$, gradient descent is best at $\\eta = {gdo['lr']}$ with rate
${gdo['rate_in_kappa']}$; heavy ball at $\\eta = {hbo['lr']}$, $\\mu = {hbo['mu']}$ with rate
${hbo['rate_in_kappa']}$ (derived by putting both ends of $[l, L]$ on the boundary of the complex regime).
With $l = 1$, $L = \\kappa$; the kernel column is the slower of the two kernel runs at $h = l$ and
$h = L$. "Steps" is the first $N$ with $|\\theta_t| \\le {tex_num(inp['shrink'])}\\,|\\theta_0|$ at every $t \\ge N$ (start at rest,
runs of {inp['count_runs']} times the rate-only count). For gradient descent $|\\theta_t| = \\rho^t$ at both ends, so
$\\lceil \\ln {tex_num(inp['shrink'])} / \\ln \\rho \\rceil$ is the count. For heavy ball it is not: both ends of $[l, L]$ sit on the
double-root boundary (the discriminant of the iteration matrix is 0 there, exactly: {'every' if jordan else 'NOT every'} $\\kappa$
here), the matrix is a Jordan block and the error falls like $t\\rho^t$. The column "HB steps, rate only" is
$\\lceil \\ln {tex_num(inp['shrink'])} / \\ln \\rho \\rceil$; the last column counts by iterating the derived matrix at
{inp['digits']} digits at $h = l$ / $h = L$ (the kernel's counts {'are the same for every' if kernel_same else 'DIFFER for some'} $\\kappa$).
The rate-only count is short of the slower end by {fnum(min(short), 3)}% to {fnum(max(short), 3)}%:

{table(['kappa', 'GD lr', 'GD rate', 'GD steps', 'HB lr', 'HB mu', 'HB rate', 'HB kernel rate',
        'HB steps, rate only', 'HB steps, h = l / h = L'], tun)}
## Claims in the proof suite

{proofs_markdown(d['proofs'], '###')}"""
    return md, figs
