"""Adam's step bounds: the sparse (spike) case of Kingma & Ba, its limit, and the exact
supremum over all gradient streams, each evaluated from the derived expression and checked by
running the kernel on the stream that attains it."""
from __future__ import annotations

import math

import numpy as np

from ..common import derivation_markdown, fnum, notation_rows, proofs_markdown, run_proof_group, table, tex_num
from ..prose import compare, first_true, from_step, yes_no

TITLE = "Adam's step bounds"
# The reviewed table of inputs: every number this report is computed for (the prose takes the
# rest from the stored results).
INPUTS = {
    "pairs": (("0.9", "0.999"), ("0.9", "0.99"), ("0.99", "0.999"), ("0.5", "0.999"), ("0.0", "0.999"),
              ("0.9", "0.8")),
    "spike_t": (1, 2, 10, 100, 1000, 10000),  # rows of the sparse-case table
    "worst_t": (10, 100, 1000),  # rows of the worst-case table
    "curve_t": 20000,  # last step of the figure
    "scan_t": 20000,  # the predicates "exceeds from t = N" are evaluated at every t up to this
    "lr": 1.0,  # the kernel runs (step / lr is reported)
    "eps": 1e-300,  # 0 would make 0/0 on the zero steps; vanishes next to sqrt(v)
    "underflow": 1e-150,  # attaining-stream entries below this are set to 0 (squares underflow)
    "digits": 50,  # working precision of the derived expressions
}
PAIRS, SPIKE_T, WORST_T, CURVE_T = INPUTS["pairs"], INPUTS["spike_t"], INPUTS["worst_t"], INPUTS["curve_t"]


def _step(alg, grads) -> float:
    """|last step| / lr of the kernel (lr = 1, eps = 1e-300) on ``grads``."""
    from ...kernels.runner import run

    tr = run(alg, np.asarray(grads, dtype=float).reshape(-1, 1))
    return float(abs(tr.xs[-1, 0] - tr.xs[-2, 0]))


def _case(b1s: str, b2s: str, spike, sup, spike_limit, sup_limit_expr, mpmath, sp) -> dict:
    """Kingma & Ba's two cases for one pair, with the predicates the prose states, each evaluated
    at every t up to ``scan_t``: which case applies (exact rationals), the stated bound, whether
    the sparse step exceeds lr and stays below its limit, and from which t the supremum over all
    streams exceeds the stated bound."""
    from ...symbolic.limits import B1, B2, TT

    b1, b2 = sp.Rational(b1s), sp.Rational(b2s)
    first_case = bool((1 - b1) ** 2 > 1 - b2)  # (1 - b1) > sqrt(1 - b2), decided exactly
    bound_expr = (1 - b1) / sp.sqrt(1 - b2) if first_case else sp.Integer(1)
    ts = np.arange(1, INPUTS["scan_t"] + 1)
    f_spike = sp.lambdify(TT, spike.subs({B1: b1, B2: b2}), "numpy")
    f_sup = sp.lambdify(TT, sup.subs({B1: b1, B2: b2}), "numpy")
    m_spike = sp.lambdify(TT, spike.subs({B1: b1, B2: b2}), "mpmath")
    m_sup = sp.lambdify(TT, sup.subs({B1: b1, B2: b2}), "mpmath")
    limit = spike_limit.subs({B1: b1, B2: b2})
    bound, lim = float(bound_expr), float(limit)
    # enough digits that b^t stays visible next to 1 at the last t (the step nears its limit like b2^t)
    dps = INPUTS["digits"] + int(INPUTS["scan_t"] * -math.log10(max(float(b2), 1e-300)))

    def above(f_np, f_mp, ref_expr, dps=INPUTS["digits"]):
        """f(t) > ref at every t (float64 where the margin is wide, mpmath at ``dps`` digits where
        it is not or float64 overflows)."""
        ref = float(ref_expr)
        with np.errstate(all="ignore"):
            vals = np.asarray(f_np(ts.astype(float)), dtype=float) * np.ones(len(ts))
        flags = vals > ref
        # mpmath where float64 cannot decide: near the reference, or overflow/underflow (the
        # quantities are positive and finite, so anything else is float64's failure)
        close = ~np.isfinite(vals) | ~(vals > 0) | (np.abs(vals - ref) <= 1e-9 * max(abs(ref), 1.0))
        if close.any():
            with mpmath.workdps(dps):
                r = mpmath.mpf(sp.N(ref_expr, dps + 10))
                tie = mpmath.mpf(10) ** (10 - dps) * max(abs(r), 1)  # rounding of the working precision
                for k in np.nonzero(close)[0]:
                    flags[k] = f_mp(int(ts[k])) - r > tie
        return flags.tolist()

    spike_above_lr = first_true(ts.tolist(), above(f_spike, m_spike, sp.Integer(1), dps))
    spike_below_limit = None  # the claim "approached from below" is about the first case
    if first_case:
        below = [not f for f in above(f_spike, m_spike, limit, dps)]
        with mpmath.workdps(dps):  # strictly below (equal is not below) at the last t as well
            r = mpmath.mpf(sp.N(limit, dps + 10))
            spike_below_limit = all(below) and r - m_spike(int(ts[-1])) > mpmath.mpf(10) ** (10 - dps) * r
    sup_above_bound = first_true(ts.tolist(), above(f_sup, m_sup, bound_expr))
    bounded = bool(b1**2 < b2)
    sup_limit = float(sp.N(sup_limit_expr.subs({B1: b1, B2: b2}), 30)) if bounded else float("inf")
    return {"b1": b1s, "b2": b2s, "first_case": first_case, "one_minus_b1": float(1 - b1),
            "sqrt_one_minus_b2": float(sp.sqrt(1 - b2)), "bound": bound, "spike_limit": lim,
            "spike_above_lr": spike_above_lr, "spike_below_limit": spike_below_limit,
            "sup_above_bound": sup_above_bound, "sup_bounded": bounded,
            "sup_limit": sup_limit if bounded else "inf"}


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
        with mpmath.workdps(INPUTS["digits"]):
            return float(f(mpmath.mpf(b1s), mpmath.mpf(b2s), t))

    sup_limit = limit_t_inf(sup)  # valid where b1^2 < b2; the supremum is unbounded otherwise
    cases = [_case(b1s, b2s, spike, sup, spike_limit, sup_limit, mpmath, sp) for b1s, b2s in PAIRS]

    spikes, worst, curves = [], [], []
    for b1s, b2s in PAIRS:
        at = {B1: sp.Rational(b1s), B2: sp.Rational(b2s)}
        alg = adam.with_values(b1=float(b1s), b2=float(b2s), eps=INPUTS["eps"], lr=INPUTS["lr"])
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
            # g_i ~ (b1/b2)^(t-i); entries below the underflow input are set to 0 (their squares
            # would underflow, and their share of the supremum is below its square)
            g = np.array([(b1f / b2f) ** (t - i) if b1f > 0 else float(i == t) for i in range(1, t + 1)])
            g[g < INPUTS["underflow"]] = 0.0
            k = _step(alg, g)
            worst.append({"b1": b1s, "b2": b2s, "t": t, "exact": exact, "kernel": k,
                          "relative_error": abs(k - exact) / exact})
        curves.append({"b1": b1s, "b2": b2s, "t": ts, "closed": [derived[t] for t in ts],
                       "kernel": [kernel[t] for t in ts], "limit": float(sp.N(spike_limit.subs(at), 30))})
    return {"notation": notation_rows(adam) + [["Delta_t", r"\Delta_t", "Adam's step at t, divided by lr (eps = 0)",
                                                ""]],
            "derivation": derive("bounds", "adam", "paper").as_dict(), "spike_limit": sp.latex(spike_limit),
            "sup": sp.latex(sup), "spikes": spikes, "worst": worst, "curves": curves, "cases": cases,
            "inputs": {k: INPUTS[k] for k in ("scan_t", "lr", "eps", "underflow", "digits")},
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
    case_md = _cases_markdown(d)
    w_rows = [[r["b1"], r["b2"], f"{r['t']:,}", fnum(r["exact"], 10), fnum(r["kernel"], 10),
               f"{r['relative_error']:.1e}"] for r in d["worst"]]
    worst_err = max(r["relative_error"] for r in d["spikes"] + d["worst"])
    md = f"""## Derivation

{derivation_markdown(d['derivation'])}
Kingma & Ba state $|\\Delta_t| \\le \\eta (1-\\beta_1)/\\sqrt{{1-\\beta_2}}$ when
$(1-\\beta_1) > \\sqrt{{1-\\beta_2}}$ (the first case) and $|\\Delta_t| \\le \\eta$ otherwise (the
second). The sparse stream (one non-zero gradient) gives the step of Step 1, which tends to

$$
{d['spike_limit']}
$$

and the supremum over every stream (Cauchy-Schwarz with equality for
$g_i \\propto (\\beta_1/\\beta_2)^{{t-i}}$) is

$$
{d['sup']}
$$

{case_md}
## The sparse case

![Adam's step after a single spike]({'spike_step.png'})

$|\\Delta_t|/\\eta$ when every gradient before step $t$ was 0 (derived expression vs the Numba
kernel with $\\epsilon = {tex_num(d['inputs']['eps'])}$, $\\eta = {fnum(d['inputs']['lr'])}$):

{table(['b1', 'b2', 't', 'derived', 'kernel', 'relative error'], sp_rows)}
## The exact worst case over all streams

Supremum of $|\\Delta_t|/\\eta$ over all streams, and the kernel run on the stream that attains it
(entries of that stream below ${tex_num(d['inputs']['underflow'])}$ are set to 0, since their squares would
underflow in float64; their share of the supremum is below ${tex_num(d['inputs']['underflow'] ** 2)}$):

{table(['b1', 'b2', 't', 'supremum', 'kernel on the attaining stream', 'relative error'], w_rows)}
{_unbounded_sentence(d)}
Largest relative difference between a derived value and the kernel in this report: {worst_err:.1e}.

## Claims in the proof suite

{proofs_markdown(d['proofs'], '###')}"""
    return md, figs


def _found(f: dict) -> str:
    return "never" if f["first"] is None else (f"from {f['first']:,}" if f["holds_after"] else f"first at {f['first']:,}")


def _cases_markdown(d: dict) -> str:
    """The table of both cases against the data, and the sentences it supports (all predicates
    computed in :func:`_case`)."""
    scan = d["inputs"]["scan_t"]
    sups = {(r["b1"], r["b2"], r["t"]): r["exact"] for r in d["worst"]}
    t_sup = max(r["t"] for r in d["worst"])
    rows = [[c["b1"], c["b2"], "first" if c["first_case"] else "second", fnum(c["bound"], 6), fnum(c["spike_limit"], 6),
             "-" if c["spike_below_limit"] is None else yes_no(c["spike_below_limit"]), _found(c["spike_above_lr"]),
             _found(c["sup_above_bound"]), fnum(c["sup_limit"], 6) if c["sup_bounded"] else "unbounded"]
            for c in d["cases"]]
    c = d["cases"][0]
    sup_t = sups[(c["b1"], c["b2"], t_sup)]
    case = "first" if c["first_case"] else "second"
    why = compare(c["one_minus_b1"], c["sqrt_one_minus_b2"])
    lines = [f"""Both cases against the data, every predicate evaluated at every $t \\le {scan:,}$ (which case
applies is decided with exact rationals; "from N" means at $t = N$ and at every later $t$ checked):

{table(['b1', 'b2', 'case', 'stated bound / lr', 'sparse step: limit / lr', 'sparse step below its limit',
        'sparse step exceeds lr', 'supremum exceeds the stated bound', 'supremum: limit / lr'], rows)}"""]
    sparse = ("approaches it from below and never attains it" if c["spike_below_limit"]
              else "is not below it at every step")
    lines.append(
        f"For $\\beta_1 = {c['b1']}$, $\\beta_2 = {c['b2']}$ the {case} case applies "
        f"($1-\\beta_1 = {fnum(c['one_minus_b1'], 6)}$ {why} $\\sqrt{{1-\\beta_2}} = {fnum(c['sqrt_one_minus_b2'], 6)}$) "
        f"and the stated bound is ${fnum(c['bound'], 6)}\\,\\eta$. The sparse step {sparse}; it "
        + from_step(c["spike_above_lr"], "exceeds $\\eta$", "never exceeds $\\eta$")
        + f". The supremum over all streams {compare(sup_t, c['bound'])} the stated bound at $t = {t_sup:,}$ "
        f"(${fnum(sup_t, 6)}\\,\\eta$); it "
        + from_step(c["sup_above_bound"], "exceeds it", "never exceeds it")
        + (f", and tends to ${fnum(c['sup_limit'], 6)}\\,\\eta$." if c["sup_bounded"] else ", and grows without bound."))
    broken = [x for x in d["cases"] if x["sup_above_bound"]["first"] is not None]
    for which in ("first", "second"):
        xs = [x for x in d["cases"] if x["first_case"] == (which == "first")]
        bad = [x for x in xs if x in broken]
        if xs:
            pairs = ", ".join(f"({x['b1']}, {x['b2']})" for x in bad) or "none"
            lines.append(f"Pairs in the {which} case whose stated bound the supremum exceeds at some $t \\le {scan:,}$: "
                         f"{len(bad)} of {len(xs)} ({pairs}).")
    return "\n\n".join(lines) + "\n"


def _unbounded_sentence(d: dict) -> str:
    un = [c for c in d["cases"] if not c["sup_bounded"]]
    if not un:
        return "For every pair here $\\beta_1^2 < \\beta_2$, so the supremum has a finite limit."
    pairs = ", ".join(f"({c['b1']}, {c['b2']})" for c in un)
    return (f"Where $\\beta_1^2 \\ge \\beta_2$ (here {pairs}, decided with exact rationals) the supremum grows "
            "without bound in $t$.")
