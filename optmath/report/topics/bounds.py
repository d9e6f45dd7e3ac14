"""Adam's step bounds: the sparse (spike) case of Kingma & Ba, its limit, and the exact
supremum over all gradient streams, each evaluated from the derived expression and checked by
running the kernel on the stream that attains it."""
from __future__ import annotations

import numpy as np

from ..common import derivation_markdown, fnum, notation_rows, proofs_markdown, run_proof_group, table

TITLE = "Adam's step bounds"
PAIRS = (("0.9", "0.999"), ("0.9", "0.99"), ("0.99", "0.999"), ("0.5", "0.999"), ("0.0", "0.999"), ("0.9", "0.8"))
SPIKE_T = (1, 2, 10, 100, 1000, 10000)
WORST_T = (10, 100, 1000)
CURVE_T = 20000


def _step(alg, grads) -> float:
    """|last step| / lr of the kernel (lr = 1, eps = 1e-300) on ``grads``."""
    from ...kernels.runner import run

    tr = run(alg, np.asarray(grads, dtype=float).reshape(-1, 1))
    return float(abs(tr.xs[-1, 0] - tr.xs[-2, 0]))


def compute(seed: int) -> dict:
    import mpmath
    import sympy as sp

    from ...optimizers import get_spec
    from ...symbolic.derive import derive
    from ...symbolic.ema import limit_t_inf
    from ...symbolic.limits import B1, B2, TT, adam_spike_step, adam_worst_case_ratio

    adam = get_spec("adam").resolve("pytorch")
    spike, sup = adam_spike_step(), adam_worst_case_ratio()
    spike_limit = limit_t_inf(spike)
    f_spike = sp.lambdify((B1, B2, TT), spike, "mpmath")
    f_sup = sp.lambdify((B1, B2, TT), sup, "mpmath")

    def at50(f, b1s, b2s, t):  # the derived expression at 50 digits (exact decimals for the betas)
        with mpmath.workdps(50):
            return float(f(mpmath.mpf(b1s), mpmath.mpf(b2s), t))

    spikes, worst, curves = [], [], []
    for b1s, b2s in PAIRS:
        at = {B1: sp.Rational(b1s), B2: sp.Rational(b2s)}
        alg = adam.with_values(b1=float(b1s), b2=float(b2s), eps=1e-300, lr=1.0)
        # the spike case (t - 1 zeros, then 1) for the table and the figure, each t run once
        ts = np.unique(np.round(np.geomspace(1, CURVE_T, 40)).astype(int)).tolist()
        kernel = {t: _step(alg, np.eye(1, t, t - 1)) for t in sorted(set(SPIKE_T) | set(ts))}
        derived = {t: at50(f_spike, b1s, b2s, t) for t in kernel}
        for t in SPIKE_T:
            exact, k = derived[t], kernel[t]
            spikes.append({"b1": b1s, "b2": b2s, "t": t, "exact": exact, "kernel": k,
                           "relative_error": abs(k - exact) / exact})
        for t in WORST_T:
            exact = at50(f_sup, b1s, b2s, t)
            b1f, b2f = float(b1s), float(b2s)
            # g_i ~ (b1/b2)^(t-i); entries below 1e-150 are set to 0 (their squares would underflow,
            # and their share of the supremum is below 1e-300)
            g = np.array([(b1f / b2f) ** (t - i) if b1f > 0 else float(i == t) for i in range(1, t + 1)])
            g[g < 1e-150] = 0.0
            k = _step(alg, g)
            worst.append({"b1": b1s, "b2": b2s, "t": t, "exact": exact, "kernel": k,
                          "relative_error": abs(k - exact) / exact})
        curves.append({"b1": b1s, "b2": b2s, "t": ts, "closed": [derived[t] for t in ts],
                       "kernel": [kernel[t] for t in ts], "limit": float(sp.N(spike_limit.subs(at), 30))})
    return {"notation": notation_rows(adam) + [["Delta_t", r"\Delta_t", "Adam's step at t, divided by lr (eps = 0)",
                                                ""]],
            "derivation": derive("bounds", "adam", "paper").as_dict(), "spike_limit": sp.latex(spike_limit),
            "sup": sp.latex(sup), "spikes": spikes, "worst": worst, "curves": curves,
            "proofs": run_proof_group("bounds/*") + run_proof_group("gamma/*")}


def render(d: dict) -> tuple[str, dict]:
    from ..figures import png

    def draw(fig):
        ax = fig.add_subplot(1, 1, 1)
        for c in d["curves"]:
            line, = ax.plot(c["t"], c["closed"], label=f"$\\beta_1$ = {c['b1']}, $\\beta_2$ = {c['b2']}")
            ax.plot(c["t"], c["kernel"], "o", ms=2.5, color=line.get_color(), alpha=0.7)
        ax.axhline(1.0, color="k", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("step t of the only non-zero gradient")
        ax.set_ylabel(r"$|\Delta_t| / \eta$")
        ax.set_title("Adam's step after a single spike: derived (lines) and kernel (dots)")
        ax.legend(loc="upper left", fontsize=7)

    figs = {"spike_step.png": png(draw, (6.4, 4.0))}
    sp_rows = [[r["b1"], r["b2"], f"{r['t']:,}", fnum(r["exact"], 10), fnum(r["kernel"], 10),
                f"{r['relative_error']:.1e}"] for r in d["spikes"]]
    lim = {(c["b1"], c["b2"]): c["limit"] for c in d["curves"]}
    lim_rows = [[b1, b2, fnum(v, 8), "yes" if v > 1 else "no"] for (b1, b2), v in lim.items()]
    w_rows = [[r["b1"], r["b2"], f"{r['t']:,}", fnum(r["exact"], 10), fnum(r["kernel"], 10),
               f"{r['relative_error']:.1e}"] for r in d["worst"]]
    worst_err = max(r["relative_error"] for r in d["spikes"] + d["worst"])
    md = f"""## Derivation

{derivation_markdown(d['derivation'])}
Kingma & Ba state $|\\Delta_t| \\le \\eta (1-\\beta_1)/\\sqrt{{1-\\beta_2}}$ when
$(1-\\beta_1) > \\sqrt{{1-\\beta_2}}$ and $|\\Delta_t| \\le \\eta$ otherwise. The first case is the
sparse stream (one non-zero gradient), whose step tends to

$$
{d['spike_limit']}
$$

The second is not a bound over all streams: the supremum over every stream (Cauchy-Schwarz with
equality for $g_i \\propto (\\beta_1/\\beta_2)^{{t-i}}$) is

$$
{d['sup']}
$$

## The sparse case

![Adam's step after a single spike]({'spike_step.png'})

$|\\Delta_t|/\\eta$ when every gradient before step $t$ was 0 (derived expression vs the Numba
kernel with $\\epsilon = 10^{{-300}}$, $\\eta = 1$):

{table(['b1', 'b2', 't', 'derived', 'kernel', 'relative error'], sp_rows)}
Limit as $t \\to \\infty$ and whether it exceeds the learning rate:

{table(['b1', 'b2', 'limit of step / lr', 'above lr'], lim_rows)}
## The exact worst case over all streams

Supremum of $|\\Delta_t|/\\eta$ over all streams, and the kernel run on the stream that attains it
(entries of that stream below $10^{{-150}}$ are set to 0, since their squares would underflow
in float64; their share of the supremum is below $10^{{-300}}$):

{table(['b1', 'b2', 't', 'supremum', 'kernel on the attaining stream', 'relative error'], w_rows)}
When $\\beta_1^2 \\ge \\beta_2$ (the last pair) the supremum grows without bound in $t$.
Largest relative difference between a derived value and the kernel in this report: {worst_err:.1e}.

## Claims in the proof suite

{proofs_markdown(d['proofs'], '###')}"""
    return md, figs
