"""EMA and bias correction: exact weights, the weight of g_1 after correction, steps until the
correction is negligible, windows and half-lives, each checked against the Numba kernel."""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..common import derivation_markdown, fnum, notation_rows, proofs_markdown, run_proof_group, table
from ..prose import yes_no

TITLE = "EMA and bias correction"
# The reviewed table of inputs: every number this report is computed for.
INPUTS = {
    "weight_beta": "0.9", "weight_t": 5,  # the exact weight table
    "g1_betas": ("0.9", "0.99", "0.999"), "g1_steps": (1, 2, 5, 10, 20, 50, 100, 1000),
    "betas": ("0.5", "0.9", "0.95", "0.99", "0.995", "0.999", "0.9999"),
    "deltas": ("0.1", "0.01", "0.001"),
    "curve_betas": ("0.9", "0.99", "0.999"), "curve_t": 5000,
    "window_span": 60,  # kernel impulse responses run 60/(1-beta) steps (tail below exp(-60))
    "claim_t": 20,  # "bias correction is negligible after about 20 steps"
    "claim_betas": ("0.9", "0.999"),  # Adam's b1 and b2 in PyTorch's defaults
    "crossing_slack": 1e-15,  # float64 slack of the kernel crossing check
}
WEIGHT_BETA, WEIGHT_T = INPUTS["weight_beta"], INPUTS["weight_t"]
G1_BETAS, G1_STEPS = INPUTS["g1_betas"], INPUTS["g1_steps"]
BETAS, DELTAS = INPUTS["betas"], INPUTS["deltas"]
CURVE_BETAS, CURVE_T = INPUTS["curve_betas"], INPUTS["curve_t"]


def _impulse(alg, b: float, i: int, T: int) -> np.ndarray:
    """Kernel m_t, t = 0..T, for the stream that is 1 at step i and 0 elsewhere."""
    from ...kernels.runner import run

    g = np.zeros((T, 1))
    g[i - 1, 0] = 1.0
    return run(alg.with_values(b1=b), g, record_states=True).states["m"][:, 0]


def compute(seed: int) -> dict:
    from ...kernels.runner import run
    from ...optimizers import get_spec
    from ...symbolic.derive import derive
    from ...symbolic.ema import analyse, steps_until, weight_table

    adam = get_spec("adam").resolve("pytorch")
    form = analyse(get_spec("adam").resolve("paper"), "m")

    # exact weights of g_i in m_t, read off the spec's expansion; kernel impulse responses as the check
    b = Fraction(WEIGHT_BETA)
    rows = weight_table(adam, "m", WEIGHT_T, b1=b)
    worst = 0.0
    for i in range(1, WEIGHT_T + 1):
        m = _impulse(adam, float(b), i, WEIGHT_T)
        for r in rows:
            if r["i"] == i:
                exact = float(r["raw"])
                worst = max(worst, abs(m[r["t"]] - exact) / exact)
    weights = {"beta": WEIGHT_BETA, "T": WEIGHT_T, "kernel_max_relative_error": worst,
               "rows": [{"t": r["t"], "i": r["i"], "raw": str(r["raw"]), "share": str(r["share"])} for r in rows]}

    # weight of g_1 after bias correction: (1-b) b^(t-1) / (1-b^t), exactly, vs the kernel's m_t / (1 - b^t)
    g1 = []
    for bs in G1_BETAS:
        bf = Fraction(bs)
        m = _impulse(adam, float(bf), 1, max(G1_STEPS))
        for t in G1_STEPS:
            exact = (1 - bf) * bf ** (t - 1) / (1 - bf**t)
            kern = m[t] / (1 - float(bf) ** t)
            g1.append({"beta": bs, "t": t, "exact": float(exact), "kernel": float(kern),
                       "relative_error": abs(kern - float(exact)) / float(exact)})

    # steps until the weight sum (or the correction factor) is within delta of 1
    negligible = []
    for bs in BETAS:
        for ds in DELTAS:
            nw, nf = steps_until(bs, ds, "weight"), steps_until(bs, ds, "factor")
            bf, df = Fraction(bs), Fraction(ds)
            # n is the first step that qualifies: it does and n - 1 does not (a factor at step 0 is infinite)
            exact_ok = (bf**nw <= df < bf ** (nw - 1)
                        and 1 / (1 - bf**nf) <= 1 + df and (nf == 1 or 1 + df < 1 / (1 - bf ** (nf - 1))))
            m = run(adam.with_values(b1=float(bf)), np.ones((nw, 1)), record_states=True).states["m"][:, 0]
            slack = INPUTS["crossing_slack"]
            kernel_ok = bool(m[nw] >= 1 - float(df) - slack and m[nw - 1] < 1 - float(df) + slack)
            negligible.append({"beta": bs, "delta": ds, "weight_steps": nw, "factor_steps": nf,
                               "exact_check": bool(exact_ok), "kernel_crossing": kernel_ok,
                               "kernel_m_at_n": float(m[nw]), "kernel_m_before": float(m[nw - 1])})

    # window, mean age and half-life from the derived expressions, mean age also from the kernel
    windows = []
    bsym = [s for s in form.window.free_symbols][0]
    for bs in BETAS:
        bf = float(bs)
        T = int(round(INPUTS["window_span"] / (1 - bf)))  # beta^T ~ exp(-60): the cut-off tail is below 1e-25
        resp = _impulse(adam, bf, 1, T)[1:]  # the weight of an input of age 0, 1, ..., T - 1
        ages = np.arange(T)
        windows.append({"beta": bs, "window": float(form.window.subs(bsym, Fraction(bs))),
                        "mean_age": float(form.mean_age.subs(bsym, Fraction(bs))),
                        "half_life": float(form.half_life.subs(bsym, Fraction(bs)).evalf(30)),
                        "kernel_mean_age": float((ages * resp).sum() / resp.sum()), "kernel_steps": T})

    # figure data: W_t = 1 - b^t from the closed form and m_t of the kernel under g = 1
    ts = np.unique(np.round(np.geomspace(1, CURVE_T, 80)).astype(int))
    curves = []
    for bs in CURVE_BETAS:
        m = run(adam.with_values(b1=float(bs)), np.ones((CURVE_T, 1)), record_states=True).states["m"][:, 0]
        closed = [float(1 - Fraction(bs) ** int(t)) for t in ts]
        curves.append({"beta": bs, "t": ts.tolist(), "closed": closed, "kernel": [float(m[t]) for t in ts],
                       "max_error": float(max(abs(m[t] - c) for t, c in zip(ts, closed)))})

    # the circulating claim "negligible after about 20 steps", read at each tolerance for b1 and b2
    claim = []
    for bs in INPUTS["claim_betas"]:
        bf, t = Fraction(bs), INPUTS["claim_t"]
        factor = 1 / (1 - bf**t)
        for ds in DELTAS:
            claim.append({"beta": bs, "delta": ds, "t": t, "factor_at_t": float(factor),
                          "weight_at_t": float(1 - bf**t), "holds": bool(factor <= 1 + Fraction(ds)),
                          "weight_steps": steps_until(bs, ds, "weight"), "factor_steps": steps_until(bs, ds, "factor")})

    return {"notation": notation_rows(adam) + [["W_t", "W_t", "weight sum 1 - b^t of an EMA started at 0", ""],
                                               ["delta", r"\delta", "tolerance on the weight sum or factor", ""]],
            "derivation": derive("ema", "adam", "paper").as_dict(), "weights": weights, "g1": g1,
            "negligible": negligible, "windows": windows, "curves": curves, "claim": claim,
            "windows_worst_difference": max(abs(r["kernel_mean_age"] - r["mean_age"]) / max(r["mean_age"], 1)
                                            for r in windows),
            "inputs": {"window_span": INPUTS["window_span"], "claim_t": INPUTS["claim_t"]},
            "proofs": run_proof_group("ema/*")}


def render(d: dict) -> tuple[str, dict]:
    from ..figures import png

    w = d["weights"]
    T = w["T"]
    by = {(r["t"], r["i"]): r for r in w["rows"]}
    wrows = [[str(t)] + [f"${_frac_tex(by[(t, i)]['raw'])}$" if i <= t else "" for i in range(1, T + 1)]
             for t in range(1, T + 1)]
    srows = [[str(t)] + [f"{float(Fraction(by[(t, i)]['share'])):.4f}" if i <= t else "" for i in range(1, T + 1)]
             for t in range(1, T + 1)]
    g1_rows = [[r["beta"], str(r["t"]), fnum(r["exact"], 8), fnum(r["kernel"], 8), f"{r['relative_error']:.1e}"]
               for r in d["g1"]]
    neg = {(r["beta"], r["delta"]): r for r in d["negligible"]}
    neg_rows = [[b] + [f"{neg[(b, dl)]['weight_steps']:,} / {neg[(b, dl)]['factor_steps']:,}" for dl in DELTAS]
                for b in BETAS]
    all_exact = all(r["exact_check"] for r in d["negligible"])
    all_kernel = all(r["kernel_crossing"] for r in d["negligible"])
    win_rows = [[r["beta"], fnum(r["window"], 6), fnum(r["mean_age"], 6), fnum(r["kernel_mean_age"], 10),
                 fnum(r["half_life"], 6)] for r in d["windows"]]
    worst_age = d["windows_worst_difference"]

    def draw(fig):
        ax = fig.add_subplot(1, 1, 1)
        for c in d["curves"]:
            line, = ax.plot(c["t"], c["closed"], label=f"$1-\\beta^t$, $\\beta$ = {c['beta']}")
            ax.plot(c["t"], c["kernel"], "o", ms=2.5, color=line.get_color(), alpha=0.7)
        ax.set_xscale("log")
        ax.set_xlabel("step t")
        ax.set_ylabel("weight sum $W_t$ (= $m_t$ under $g = 1$)")
        ax.set_title("Bias of a zero-started EMA: closed form (lines) and kernel $m_t$ (dots)")
        ax.legend(loc="lower right")

    figs = {"ema_bias.png": png(draw, (6.4, 3.8))}
    curve_err = max(c["max_error"] for c in d["curves"])
    md = f"""## The EMA and its bias

Every linear state of an optimizer (here Adam's first moment $m$) is an exponential moving average
started at 0. Its closed form, weights, weight sum, correction factor, window and bias-free form are
derived from the spec (nothing is typed in per optimizer):

{derivation_markdown(d['derivation'])}
![Weight sum of a zero-started EMA]({'ema_bias.png'})

The dots are the Numba kernel's $m_t$ under a constant gradient 1; the largest difference from
$1-\\beta^t$ over the plotted steps is {curve_err:.1e}.

## Exact weights ($\\beta_1 = {w['beta']}$)

Weight of $g_i$ (column) in $m_t$ (row), exact rationals read off the unrolled spec:

{table(['t'] + [f'$g_{i}$' for i in range(1, T + 1)], wrows)}
Share of $g_i$ after bias correction, $w_{{t,i}}/W_t$:

{table(['t'] + [f'$g_{i}$' for i in range(1, T + 1)], srows)}
Numeric check: kernel impulse responses (one stream per $i$, 1 at step $i$ and 0 elsewhere)
reproduce every raw weight with a largest relative error of {w['kernel_max_relative_error']:.1e}.

## The weight of $g_1$ after correction

$\\hat m_t$ gives $g_1$ the weight $(1-\\beta)\\beta^{{t-1}}/(1-\\beta^t)$: all of it at $t = 1$, and
about $1/t$ while $t \\ll 1/(1-\\beta)$. Exact value against the kernel ($m_t/(1-\\beta^t)$ for
the impulse at step 1):

{table(['beta', 't', 'exact', 'kernel', 'relative error'], g1_rows)}
## Steps until the bias correction is negligible

Smallest $t$ with $\\beta^t \\le \\delta$ (weight sum within $\\delta$ of 1) / smallest $t$ with
$1/(1-\\beta^t) \\le 1+\\delta$ (correction factor within $\\delta$ of 1). The closed form
$\\lceil \\ln\\delta/\\ln\\beta \\rceil$ is confirmed with exact rationals
($\\beta^n \\le \\delta < \\beta^{{n-1}}$): {'every entry' if all_exact else 'NOT every entry'}.
Kernel check: Adam's $m_t$ under $g = 1$ crosses $1-\\delta$ exactly at the first number:
{'every entry' if all_kernel else 'NOT every entry'}.

{table(['beta'] + [f'delta = {x}' for x in DELTAS], neg_rows)}
{_claim_markdown(d)}

## Window, mean age and half-life

Derived from the spec's weights $(1-\\beta)\\beta^k$ of an input of age $k$ (they sum to 1): the effective
window $1/(1-\\beta)$ is their sum relative to the newest weight, $\\sum_k \\beta^k$; the mean age is
$\\beta/(1-\\beta)$ and the half-life $\\ln(1/2)/\\ln\\beta$. The kernel column is the mean age of the
kernel's impulse response over ${d['inputs']['window_span']}/(1-\\beta)$ steps (largest relative difference {worst_age:.1e}).

{table(['beta', 'window', 'mean age', 'kernel mean age', 'half-life'], win_rows)}
## Claims in the proof suite

{proofs_markdown(d['proofs'], '###')}"""
    return md, figs


def _claim_markdown(d: dict) -> str:
    """ "Bias correction is negligible after about 20 steps", read at every tolerance for b1 and b2
    (factor = 1/(1 - beta^t) within delta of 1 at the claim's t), with both counts named."""
    rows, t = [], d["inputs"]["claim_t"]
    for c in d["claim"]:
        rows.append([c["beta"], c["delta"], fnum(c["factor_at_t"], 6), yes_no(c["holds"]), f"{c['weight_steps']:,}",
                     f"{c['factor_steps']:,}"])
    by = {}
    for c in d["claim"]:
        by.setdefault(c["beta"], []).append(c)
    parts = []
    for beta, cs in by.items():
        ok = [c["delta"] for c in cs if c["holds"]]
        holds = f"holds for $\\delta$ = {', '.join(ok)}" if ok else "holds for none of these $\\delta$"
        loose = max(cs, key=lambda c: float(c["delta"]))
        parts.append(f"for $\\beta = {beta}$ the factor at $t = {t}$ is {fnum(cs[0]['factor_at_t'], 4)}: the claim "
                     f"{holds}, and even at $\\delta = {loose['delta']}$ the factor needs $t = {loose['factor_steps']:,}$")
    return (f"""The circulating claim "bias correction is negligible after about {t} steps", read as the
correction factor $1/(1-\\beta^{{{t}}})$ within $\\delta$ of 1, at each tolerance; two counts answer "from when",
and they differ: the weight sum $1-\\beta^t \\ge 1-\\delta$ (the first number of the table above) and the
correction factor $1/(1-\\beta^t) \\le 1+\\delta$ (the second):

{table(['beta', 'delta', f'factor at t = {t}', 'claim holds', 'weight sum within delta from t', 'factor within delta from t'], rows)}
So """ + "; ".join(parts) + ".")  # noqa: E501


def _frac_tex(text: str) -> str:
    f = Fraction(text)
    return str(f.numerator) if f.denominator == 1 else f"\\tfrac{{{f.numerator}}}{{{f.denominator}}}"
