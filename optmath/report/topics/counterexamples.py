"""Adam vs Yogi and AMSGrad: certified counterexamples (PyTorch's default betas, and Reddi et
al.'s b1 = 0 setting), their trajectories, the analytic failure edge for b1 = 0 and phase
diagrams over (b1, b2), all from :mod:`optmath.search`."""
from __future__ import annotations

import numpy as np

from ..common import fnum, table, tex_num

TITLE = "Adam vs Yogi and AMSGrad: certified counterexamples"
SEARCHES = (  # inputs, reviewed with INPUTS below
    {"label": "PyTorch default betas", "fails": "adam", "converges": ("yogi",), "b1": 0.9, "b2": 0.999,
     "command": "optmath search --fails adam --converges yogi --b1 0.9 --b2 0.999"},
    {"label": "Reddi et al.'s Theorem 1 (b1 = 0, b2 = 1/(1+C^2))", "fails": "adam", "converges": ("amsgrad", "yogi"),
     "b1": 0.0, "b2": "reddi", "command": "optmath search --fails adam --converges amsgrad --converges yogi "
                                          "--b1 0 --b2 reddi"},
)
PHASE_B1 = "0:0.9:10"
PHASE_B2 = "0.5:0.999:12"
PHASE_METHODS = ("adam", "amsgrad", "yogi")
# The reviewed table of inputs (with SEARCHES and the phase grids above).
INPUTS = {
    "edge_b2": (0.05, 0.1, 0.2, 0.3, 0.4, 0.5),
    "edge_c": (2.5, 3.0, 4.0, 6.0, 10.0),
    "edge_sweep": tuple(round(0.3 + 0.025 * k, 3) for k in range(13)),  # 0.3 .. 0.6
    "sweep": {"C": 3.0, "steps": 30000, "lr": 0.5, "x0": 1.0, "eps": 1e-8},  # kernel check of the edge
    "edge_problem": {"n": 3, "D": 1.0, "eps": 0.0},  # Reddi et al.'s problem for the analytic edge
    "traj_points": 240,
    "searches": SEARCHES, "phase_b1": PHASE_B1, "phase_b2": PHASE_B2,
    "edge_digits": 30,  # the working precision of certify.adam_failure_boundary / adam_failure_b2 (a literal there)
}
EDGE_B2, EDGE_C, EDGE_SWEEP, TRAJ_POINTS = INPUTS["edge_b2"], INPUTS["edge_c"], INPUTS["edge_sweep"], INPUTS["traj_points"]


def _trajectories(rec: dict) -> dict:
    """x_t of every method (and AMSGrad) on the record's problem, sampled at TRAJ_POINTS steps."""
    from ...kernels.runner import run
    from ...search.search import resolve_method, _problem

    prob = _problem(rec["family"], rec["params"])
    T = rec["steps"]
    ts = np.unique(np.concatenate([np.round(np.geomspace(1, T, TRAJ_POINTS // 2)),
                                   np.round(np.linspace(0, T, TRAJ_POINTS // 2))]).astype(int))
    from ...search.classify import classify_trajectory

    out = {"t": ts.tolist()}
    methods = [rec["fails"], *rec["converges"]] + (["amsgrad"] if "amsgrad" not in rec["converges"] else [])
    h = rec["hyper"]
    classes = {}
    for m in methods:
        alg = resolve_method(m, rec["lr"], h["b1"], h["b2"], h["eps"], rec["profile"], rec["switches"])
        tr = run(alg, problem=prob, steps=T, x0=rec["x0"], schedule=rec["schedule"], seed=rec["seed"])
        out[m] = [float(tr.xs[t, 0]) for t in ts]
        v = classify_trajectory(tr, prob)
        classes[m] = {"class": v.kind, "reason": v.reason, "x_T": float(tr.xs[-1, 0])}
    out["xstar"] = float(prob.xstar)
    out["classes"] = classes  # each method's own run, by the rule of optmath.search.classify
    return out


def compute(seed: int) -> dict:
    from ...search.certify import DPS, adam_failure_b2, adam_failure_boundary
    from ...search.search import REPLAY_DPS
    from ...search.phase import parse_grid, phase
    from ...search.search import search

    found = []
    for s in SEARCHES:
        r = search(s["fails"], s["converges"], b1=s["b1"], b2=s["b2"], seed=seed)
        entry = {"label": s["label"], "command": s["command"] + f" --seed {seed}", "summary": str(r),
                 "record": r.record}
        if r.record:
            entry["trajectories"] = _trajectories(r.record)
        found.append(entry)

    phases = []
    rec = found[0]["record"]
    if rec:
        params = {k: float(v) for k, v in rec["params"].items()}
        for m in PHASE_METHODS:
            d = phase(m, rec["family"], params, b1=parse_grid(PHASE_B1, "b1"), b2=parse_grid(PHASE_B2, "b2"),
                      steps=rec["steps"], lr=rec["lr"], schedule=rec["schedule"], x0=rec["x0"], eps=rec["hyper"]["eps"],
                      seed=seed)
            phases.append(d.as_dict())

    edge_C = [{"b2": b2, "C_star": adam_failure_boundary(b2)} for b2 in EDGE_B2]
    # the same edge from kernel runs: Adam (b1 = 0, no bias correction, lr 0.5/sqrt(t)) on C = 3
    sw = INPUTS["sweep"]
    sweep = phase("adam", "reddi", {"C": sw["C"]}, b1=[0.0], b2=EDGE_SWEEP, steps=sw["steps"], lr=sw["lr"], x0=sw["x0"],
                  eps=sw["eps"], seed=seed, profile="paper", switches={"bias_correction": "none"})
    edge_sweep = {"C": sw["C"], "b2": sweep.b2, "classes": [row[0] for row in sweep.classes],
                  "analytic": adam_failure_b2(sw["C"]), "steps": sw["steps"], "lr": sw["lr"], "x0": sw["x0"],
                  "eps": sw["eps"]}
    edge_b2 = [{"C": C, "b2_star": adam_failure_b2(C)} for C in EDGE_C]
    return {"notation": [["C", "C", "the rare large gradient of the periodic problem", ""],
                         ["n", "n", "period: C once, then -D for n - 1 steps", ""],
                         ["D", "D", "the frequent gradient's size", ""],
                         ["lr", r"\eta_t", "step size, lr/sqrt(t) here", ""],
                         ["b1, b2", r"\beta_1, \beta_2", "decays of the first and second moment", ""],
                         ["eps", r"\epsilon", "numerical stabiliser, the same for every method", ""],
                         ["x_T", "x_T", "the last iterate; the feasible set is [-1, 1]", ""]],
            "found": found, "phases": phases, "edge_C": edge_C, "edge_b2": edge_b2, "edge_sweep": edge_sweep,
            "phase_grid": {"b1": PHASE_B1, "b2": PHASE_B2},
            "digits": {"replay": REPLAY_DPS, "cycle": DPS, "edge": INPUTS["edge_digits"]}, "edge_problem": INPUTS["edge_problem"]}


def _record_markdown(i: int, f: dict, digits: dict) -> str:
    rec = f["record"]
    if not rec:
        return f"### {i}. {f['label']}\n\n`{f['command']}` found no counterexample:\n\n```\n{f['summary']}\n```\n"
    from ...search.search import cycle_summary

    rows = []
    for m, v in rec["verdicts"].items():
        rep = rec["replay"].get(m, {})
        spot = rep.get("spot_check", {})
        rows.append([m, rec["profiles"][m], v["class"], f"{rec['final_x'][m]:+.6f}", v["reason"],
                     f"{rep['steps']:,} of {rec['steps']:,} steps, width {rep['max_width']:.1e}" if rep else "-",
                     (rep["class"] or "undecided") if rep else "-",
                     (f"{spot['steps']:,} steps at {spot['dps']} digits: "
                      + ("inside" if spot["inside_enclosure"] else "OUTSIDE")) if spot else "-"])
    cyc_rows = [[m, c.get("kind") or "none", c.get("direction") or "-", cycle_summary(c).rpartition(" -> ")[0]
                 if c.get("kind") else c["text"]] for m, c in rec.get("cycles", {}).items()]
    why = rec.get("certification", {})
    cert = rec.get("certificate") or {}
    own = (f.get("trajectories") or {}).get("classes", {})
    crows = [[k, f"{-v:+.6g}", "wrong end (fails)" if cert["pushes_to_wrong_end"][k] else "towards the optimum",
              own.get(k, {}).get("class", "-")] for k, v in cert.get("drift_value", {}).items()]
    # a drift towards the optimum is not a verdict on the run: say so where the run disagrees
    gaps = [f"{k}'s drift points towards the optimum, but its own run on this problem is "
            f"**{own[k]['class']}** by the rule of `optmath.search.classify` ({own[k]['reason']}; $x_T = {own[k]['x_T']:+.6f}$): "
            f"{k} is not one of the methods this search certifies as converging, and the drift of the limit cycle is "
            f"only the direction it is pushed per period"
            for k in cert.get("drift_value", {}) if k in own and not cert["pushes_to_wrong_end"][k]
            and own[k]["class"] != "converges" and k not in rec["converges"]]
    p = rec["params"]
    return f"""### {i}. {f['label']}

Found by `{f['command']}` ({'certified' if rec['certified'] else 'NOT certified'}): periodic problem
$C = {fnum(p['C'], 6)}$, $n = {int(p['n'])}$, $D = {fnum(p.get('D', 1.0), 4)}$ on $[-1, 1]$ (optimum at
$-1$), $x_0 = {rec['x0']}$, $\\eta_t = {fnum(rec['lr'], 6)}/\\sqrt{{t}}$, {rec['steps']:,} steps, $\\beta_1 = {rec['hyper']['b1']:g}$,
$\\beta_2 = {fnum(rec['hyper']['b2'], 8)}$, $\\epsilon = {tex_num(rec['hyper']['eps'])}$ for every method.

{table(['method', 'profile', 'class', 'x_T', 'why', 'interval replay', 'exact run', 'mpmath spot check'], rows)}
{why.get('summary', '')}.

Limit-cycle certificate of each method the record makes a claim about:

{table(['method', 'certificate', 'direction', 'what it rests on'], cyc_rows)}
The exact limit cycle of the EMAs over one period (SymPy, checked by substitution and at
{digits['cycle']} digits) gives the drift of Adam and AMSGrad per period, in units of $\\eta_t$:

{table(['method', 'drift per period', 'direction', "the method's own run"], crows)}
{''.join(g + '.' + chr(10) + chr(10) for g in gaps)}![Trajectories](traj_{i}.png)
"""


def render(d: dict) -> tuple[str, dict]:
    from ...search.phase import COLOURS, draw_classes
    from ..figures import png

    figs = {}
    for i, f in enumerate(d["found"], 1):
        tj = f.get("trajectories")
        if not tj:
            continue

        def draw(fig, tj=tj, f=f):
            ax = fig.add_subplot(1, 1, 1)
            for m in (k for k in tj if k not in ("t", "xstar", "classes")):
                ax.plot(tj["t"], tj[m], label=m)
            ax.axhline(tj["xstar"], color="k", ls=":", lw=0.8, label="optimum")
            ax.set_xscale("log")
            ax.set_xlabel("step t")
            ax.set_ylabel("$x_t$")
            ax.set_ylim(-1.08, 1.08)
            ax.set_title(f"{f['label']}: same problem, step sizes, stream and eps")
            ax.legend(loc="center left")

        figs[f"traj_{i}.png"] = png(draw, (6.4, 3.6))
    if d["phases"]:
        from matplotlib.patches import Patch

        from ...search.classify import CLASSES

        def draw_phase(fig):
            axes = np.atleast_1d(fig.subplots(1, len(d["phases"]), sharey=True))
            for ax, ph in zip(axes, d["phases"]):
                draw_classes(ax, ph["classes"], ph["b1"], ph["b2"])
                ax.set_title(ph["optimizer"])
                ax.set_xlabel(r"$\beta_1$")
            axes[0].set_ylabel(r"$\beta_2$")
            fig.legend(handles=[Patch(color=COLOURS[k], label=k) for k in CLASSES], loc="lower center", ncol=4)
            fig.tight_layout(rect=(0, 0.08, 1, 1))

        figs["phase.png"] = png(draw_phase, (7.2, 3.6), tight=False)
    parts = [_record_markdown(i, f, d["digits"]) for i, f in enumerate(d["found"], 1)]
    counts = [[ph["optimizer"]] + [str(ph["counts"][k]) for k in ("converges", "fails", "diverges", "inconclusive")]
              for ph in d["phases"]]
    edge_c = [[fnum(e["b2"], 3), fnum(e["C_star"], 6) if e["C_star"] is not None else "none found by the doubling search"]
              for e in d["edge_C"]]
    edge_b = [[fnum(e["C"], 3), fnum(e["b2_star"], 6) if e["b2_star"] is not None
               else "no sign change found by the scan of `adam_failure_b2`"]
              for e in d["edge_b2"]]
    es = d["edge_sweep"]
    ep = d["edge_problem"]
    sweep_text = ", ".join(f"{fnum(b, 4)}: {c}" for b, c in zip(es["b2"], es["classes"]))
    ph0 = d["phases"][0] if d["phases"] else None
    phase_md = ""
    if ph0:
        s = ph0["settings"]
        phase_md = f"""## Phase diagrams over $(\\beta_1, \\beta_2)$

The problem of counterexample 1 with the same step sizes, start, horizon ({s['steps']:,} steps), stream
and eps; every cell is one kernel run classified by the rule in `optmath.search.classify`
(grid `--b1 {d['phase_grid']['b1']} --b2 {d['phase_grid']['b2']}`):

![Phase diagrams](phase.png)

{table(['method', 'converges', 'fails', 'diverges', 'inconclusive'], counts)}
"""
    md = f"""## Certified counterexamples

Each search simulates candidate problems with the Numba kernels and keeps one where the first
method fails while the others converge with identical step sizes, start, gradient stream, betas
and eps. The record is certified only when, for every method, the interval replay printed from the spec
(outward rounding at every operation) encloses the exact run over the whole horizon and decides the
kernel's class, and an independent mpmath replay at {d['digits']['replay']} digits of the first steps lies inside the
enclosure; a limit-cycle certificate that contradicts a claim withdraws it.

{chr(10).join(parts)}
{phase_md}
## Where Adam fails for $\\beta_1 = 0$ (analytic edge)

For Reddi et al.'s problem ($n = {ep['n']}$, $D = {fnum(ep['D'])}$, $\\epsilon = {fnum(ep['eps'])}$) the sign of Adam's per-period drift,
derived from the exact limit cycle of $v$, gives the edge in closed form; it is solved with
mpmath at {d['digits']['edge']} digits. Adam fails for $C$ below $C^*(\\beta_2)$, and for $\\beta_2$ below
$\\beta_2^*(C)$:

{table(['b2', 'C* (Adam fails for 2 < C < C*)'], edge_c)}
{table(['C', 'b2* (Adam fails for b2 < b2*)'], edge_b)}
Kernel check of the edge for $C = {fnum(es['C'], 3)}$ (Adam with $\\beta_1 = 0$, no bias correction,
$\\eta_t = {fnum(es['lr'])}/\\sqrt{{t}}$, {es['steps']:,} steps, $x_0 = {fnum(es['x0'])}$): {sweep_text}; the analytic edge is
$\\beta_2^* = {fnum(es['analytic'], 6)}$ (near the edge the drift is close to zero, so a finite run
can still sit at the end it was pushed to early on).
"""
    return md, figs
