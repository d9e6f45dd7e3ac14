r"""The main job: derive, verify with the kernels, search a counterexample, write a report.

Steps (each prints its claim and both checks):

1. *Derive* from the Adam spec: unroll ``m`` with symbolic gradients, read off the weights,
   and prove that they are ``(1 - b1) b1^(T-i)`` and sum to ``1 - b1^T`` (simplify to zero).
2. *Verify* with the Numba kernel: under a constant gradient ``c`` the kernel's ``m_t`` equals
   ``c (1 - b1^t)`` for 1,000 steps, and the bias-corrected first step has size ``lr``.
3. *Search* Reddi et al.'s Theorem-1 family over ``C`` with the same step size, start, stream and
   eps for every method: Adam ends at the wrong end while AMSGrad converges.
4. *Certify* one counterexample with :func:`optmath.search.search.search`: the classification
   of every run, an mpmath replay of each method and the symbolic limit-cycle drift.
5. *Report*: Markdown, standalone HTML and JSON with a provenance header.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import sympy as sp

from . import limits
from ._version import __version__
from .kernels.runner import run, sweep
from .optimizers import get_spec
from .problems import make_problem
from .report.provenance import header_markdown, provenance
from .symbolic.ema import unroll, weights
from .verify.tolerances import KERNEL_VS_SPEC, scaled_difference


def derive_ema(T: int = 8) -> dict:
    alg = get_spec("adam").resolve("paper")
    u = unroll(alg, "m", T)
    b1 = sp.Symbol("b1", real=True)
    w = weights(u)
    claimed = [(1 - b1) * b1 ** (T - i) for i in range(1, T + 1)]
    per_weight = all(sp.simplify(a - c) == 0 for a, c in zip(w, claimed))
    total = sp.simplify(sum(w) - (1 - b1**T)) == 0
    # random rational points: an independent numeric check of the same identity
    rng = np.random.default_rng(0)
    pts = [sp.Rational(int(k), 1000) for k in rng.integers(1, 999, size=5)]
    at_points = all(sum(wi.subs(b1, p) for wi in w) == 1 - p**T for p in pts)
    return {"claim": f"m_T = (1-b1) sum_i b1^(T-i) g_i, weights sum to 1 - b1^T (T = {T})",
            "weights": [str(x) for x in w], "symbolic": bool(per_weight and total),
            "rational_points": bool(at_points)}


def verify_kernel(steps: int = 1000, c: float = 0.37) -> dict:
    alg = get_spec("adam").resolve("pytorch")
    tr = run(alg, np.full((steps, 1), c), record_states=True)
    b1 = alg.values["b1"]
    closed = c * (1 - b1 ** np.arange(0, steps + 1))
    err = scaled_difference(tr.states["m"][:, 0], closed)
    first = abs(tr.xs[1, 0] - tr.xs[0, 0])
    return {"claim": "constant gradient c: m_t = c (1 - b1^t); first Adam step has size lr",
            "max_scaled_error": float(err), "tolerance": KERNEL_VS_SPEC, "first_step": float(first),
            "lr": alg.values["lr"], "holds": bool(err <= KERNEL_VS_SPEC and abs(first - alg.values["lr"]) < 1e-9)}


def search_reddi(steps: int = 30000, seed: int = 0) -> dict:
    """Sweep C on Reddi's Theorem-1 problem; same lr/sqrt(t), start, stream, eps for all."""
    Cs = np.linspace(2.5, 10.0, DEMO_C)
    out = {}
    for name in DEMO_METHODS:
        spec = get_spec(name)
        algs, probs = [], []
        for C in Cs:
            b2 = 1.0 / (1.0 + C * C)
            algs.append(spec.resolve("paper", {"bias_correction": "none"}, lr=0.5, b1=0.0, b2=b2,
                                     eps=1e-8))
            probs.append(make_problem("reddi", C=float(C)))
        res = sweep(algs, probs, steps=steps, x0=1.0, schedule="inv_sqrt", seed=seed)
        out[name] = {"final_x": res.final_x.tolist(), "average_regret": res.average_regret.tolist()}
    fails = [bool(a > 0.9 and m < -0.9) for a, m in zip(out["adam"]["final_x"], out["amsgrad"]["final_x"])]
    return {"claim": "Reddi Theorem 1 (b1 = 0, b2 = 1/(1+C^2), lr 0.5/sqrt(t), x0 = 1, eps = 1e-8): "
                     "Adam ends at +1 while AMSGrad approaches the optimum -1",
            "C": Cs.tolist(), "steps": steps, "results": out, "adam_fails_amsgrad_converges": fails}


def certified_counterexample(steps: int = 30000, seed: int = 0) -> dict:
    """The same setting through :func:`optmath.search.search.search`: found, enclosed by the
    interval replay over the whole horizon, spot-checked in mpmath and given each method's
    limit-cycle certificate."""
    from .search.search import search

    r = search("adam", ("amsgrad", "yogi"), b1=0.0, b2="reddi", eps=1e-8, lr=0.5, steps=steps, seed=seed,
               profile="paper", switches={"bias_correction": "none"})
    return {"summary": str(r), "record": r.record, "bound_notes": bound_notes(r.record)}


def bound_notes(record: dict | None) -> list[dict]:
    """For every method whose mpmath spot check exceeds the first-order rounding bound of
    :mod:`optmath.verify.replay`, what that means for the certificate, from the record's fields:
    the certificate does not rest on that bound (a bound for smooth arithmetic), it rests on the
    interval enclosure of the exact run, which must cover the whole horizon and decide the
    kernel's class, and on the spot check lying inside the enclosure."""
    if not record:
        return []
    notes = []
    for m, rep in record["replay"].items():
        spot = rep["spot_check"]
        if spot["bound_holds"]:
            continue
        kernel_class = record["verdicts"][m]["class"]
        notes.append({"method": m, "max_error": spot["max_error"], "dps": spot["dps"], "spot_steps": spot["steps"],
                      "inside": bool(spot["inside_enclosure"]), "steps": rep["steps"], "horizon": record["steps"],
                      "full_horizon": bool(rep["full_horizon"]), "replay_class": rep["class"],
                      "kernel_class": kernel_class, "same_class": rep["class"] == kernel_class,
                      "max_width": rep["max_width"], "certified": bool(record["certified"])})
    return notes


def bound_note_text(note: dict) -> str:
    """One note of :func:`bound_notes` in words; every number and verdict comes from the note."""
    ok = note["inside"] and note["same_class"] and note["full_horizon"]
    cls = (f"the enclosure decides that the exact run {note['replay_class']}, which "
           + ("equals" if note["same_class"] else "DIFFERS from") + f" the kernel's class ({note['kernel_class']})")
    horizon = (f"over all {note['horizon']:,} steps" if note["full_horizon"] else
               f"over only {note['steps']:,} of {note['horizon']:,} steps")
    verdict = ("so the exceeded bound does not touch the certificate, and 'certified' stands" if ok and note["certified"]
               else "so the certificate FAILS on this method" if not ok
               else "the certificate fails for another reason")
    return (f"first-order bound exceeded for {note['method']} means: in the mpmath spot check of the first "
            f"{note['spot_steps']:,} steps its float64 run differs from the {note['dps']}-digit values by "
            f"{note['max_error']:.2e}, more than the first-order rounding bound of optmath.verify.replay (a bound for "
            f"smooth arithmetic; a branch of sign() or max() taken differently on a near-tie is outside it). The "
            f"certificate does not rest on that bound: it rests on the interval enclosure of the exact run {horizon} "
            f"(width at most {note['max_width']:.2e}), where {cls}, and on the {note['dps']}-digit values lying inside "
            f"the enclosure ({'they do' if note['inside'] else 'they do NOT'}); {verdict}.")


#: values of C swept per method by :func:`search_reddi`, and the methods it compares
DEMO_C = 16
DEMO_METHODS = ("adam", "amsgrad", "yogi")
#: problems the certified search may simulate (its default budget)
DEMO_BUDGET = 200


def check_plan(steps: int) -> None:
    """Refuse a demo of ``steps`` steps whose runs would not fit, before any of them starts: the
    largest single allocation (a sweep's per-step arrays, or one trajectory per method of the
    certified search) against the available memory, and the runs x steps against ``MAX_WORK``."""
    from .kernels.runner import trajectory_bytes

    need = max(limits.STEP_ARRAY_BYTES * steps, len(DEMO_METHODS) * trajectory_bytes(steps))
    limits.check_memory(need, f"the demo's runs of {steps:,} steps")
    limits.check_work((("runs", len(DEMO_METHODS) * (DEMO_C + DEMO_BUDGET)), ("steps", steps)), "the demo")


def main(out_dir: str | None = "reports/demo", steps: int = 30000, seed: int = 0, echo=print,
         command: str | None = None) -> dict:
    """Run the demo; ``command`` is recorded in the provenance (default: the CLI call that
    reproduces this run)."""
    limits.check_count("steps", steps, limits.MAX_STEPS, low=100)
    limits.check_seed(seed)
    check_plan(steps)
    echo(f"optmath {__version__}: derive, verify, search, report")
    d = derive_ema()
    echo(f"[derive] {d['claim']}\n         symbolic: {'proved' if d['symbolic'] else 'FAILED'}; "
         f"rational points: {'agree' if d['rational_points'] else 'DISAGREE'}")
    v = verify_kernel()
    echo(f"[verify] {v['claim']}\n         kernel vs closed form: {v['max_scaled_error']:.2e} "
         f"(tolerance {v['tolerance']:.0e}); first step {v['first_step']:.12g} vs lr {v['lr']:g}")
    s = search_reddi(steps, seed)
    n = sum(s["adam_fails_amsgrad_converges"])
    echo(f"[search] {s['claim']}\n         counterexamples: {n} of {len(s['C'])} values of C in "
         f"[{s['C'][0]:g}, {s['C'][-1]:g}] after {steps} steps")
    k = s["C"].index(next(c for c, f in zip(s["C"], s["adam_fails_amsgrad_converges"]) if f)) if n else 0
    echo(f"         e.g. C = {s['C'][k]:g}: Adam x_T = {s['results']['adam']['final_x'][k]:+.4f}, "
         f"AMSGrad x_T = {s['results']['amsgrad']['final_x'][k]:+.4f}, "
         f"Yogi x_T = {s['results']['yogi']['final_x'][k]:+.4f}")
    cx = certified_counterexample(steps, seed)
    certified = bool(cx["record"] and cx["record"]["certified"])
    echo("[certify] " + cx["summary"].replace("\n", "\n          "))
    for note in cx["bound_notes"]:
        echo("          note: " + bound_note_text(note))
    command = command or f"optmath demo --out {out_dir} --steps {steps} --seed {seed}"
    result = {"provenance": provenance(command, seed),
              "derive": d, "verify": v, "search": s, "counterexample": cx,
              "ok": bool(d["symbolic"] and d["rational_points"] and v["holds"] and n > 0 and certified)}
    if out_dir:
        echo(f"[report] wrote {', '.join(str(p) for p in save(result, out_dir))}")
    echo("all checks passed" if result["ok"] else "SOME CHECKS FAILED")
    return result


def save(result: dict, folder, html: bool = True) -> list[Path]:
    """``demo.json`` and the report rendered from it in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "demo.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return [folder / "demo.json"] + write_report(result, folder, html)


def write_report(result: dict, folder, html: bool = True) -> list[Path]:
    """``demo.md`` (and ``demo.html``) in ``folder``, rendered from a demo result (``demo.json``)."""
    from .report.html import to_html

    folder = Path(folder)
    md = markdown(result)
    (folder / "demo.md").write_text(md)
    written = [folder / "demo.md"]
    if html:
        (folder / "demo.html").write_text(to_html(md, "optmath demo report"))
        written.append(folder / "demo.html")
    return written


def markdown(r: dict) -> str:
    p = r["provenance"]
    d, v, s = r["derive"], r["verify"], r["search"]
    rows = "\n".join(f"| {c:.3g} | {a:+.4f} | {m:+.4f} | {y:+.4f} | {'yes' if f else 'no'} |" for c, a, m, y, f in zip(
        s["C"], s["results"]["adam"]["final_x"], s["results"]["amsgrad"]["final_x"],
        s["results"]["yogi"]["final_x"], s["adam_fails_amsgrad_converges"]))
    return f"""# optmath demo report

{header_markdown(p)}
## Notation
| code | math | meaning |
|---|---|---|
| `b1`, `b2` | $\\beta_1, \\beta_2$ | decays of the first and second moment |
| `m` | $m_t$ | first moment (EMA of the gradients) |
| `lr` | $\\eta$ | learning rate |
| `C` | $C$ | gradient of the rare step in Reddi et al.'s problem |

## 1. Derivation
Claim: {d['claim']}.

Weights read off the unrolled Adam spec: {', '.join(f'`{w}`' for w in d['weights'])}.

Symbolic check (difference simplifies to zero): **{'proved' if d['symbolic'] else 'failed'}**;
random rational points: **{'agree' if d['rational_points'] else 'disagree'}**.

## 2. Kernel check
Claim: {v['claim']}.  Largest scaled difference over 1,000 steps: {v['max_scaled_error']:.3e}
(tolerance {v['tolerance']:.0e}); first step {v['first_step']:.15g} for lr = {v['lr']:g}.

## 3. Counterexample search
Claim: {s['claim']}.  {s['steps']} steps, identical step size, start, stream and eps.

| C | Adam $x_T$ | AMSGrad $x_T$ | Yogi $x_T$ | Adam fails, AMSGrad converges |
|---|---|---|---|---|
{rows}

## 4. Certified counterexample (`optmath.search`)
```
{r["counterexample"]["summary"]}
```
{_notes_markdown(r["counterexample"].get("bound_notes", []))}"""


def _notes_markdown(notes: list[dict]) -> str:
    if not notes:
        return ""
    return "\n" + "\n".join(f"- {bound_note_text(n)}" for n in notes) + "\n"
