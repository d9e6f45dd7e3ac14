"""Generated sweep kernels against the ceiling and against the hand-written kernels they replaced.

Run: ``python benchmarks/bench_generated.py [--quick] [--repeat N] [--before REV] [--out FILE]``.

Workloads (issue 16), Adam with bias correction, eps = 1e-8 outside the root, lr / sqrt(t),
on Reddi's periodic problem (C x once every 3 steps, else -x, on [-1, 1]), x0 = 0, 3,000 steps:

* ``shared``: 64 learning rates x 128 values of C, betas (0.9, 0.999) for all (the lr x C sweep);
* ``phase``: 91 values of b1 x 90 of b2 (8,190 configurations), each its own betas, lr = 0.1,
  C = 3 (the phase-diagram workload).

The ceiling of each is ``../shared/bench/ceiling.py`` (a plain per-lane loop with the same four
summaries and freezing; ``per_config`` for the phase workload, ``shared`` for the other),
timed in this run; the target is at least 0.85 of it.  ``--before REV`` also times the
hand-written kernels of commit REV (default efeac82, the last commit before the generator) in a
``git worktree``, in the same run.  Times are the best of ``--repeat`` warm runs.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CEILING = ROOT.parent / "shared" / "bench" / "ceiling.py"
TARGET = 0.85
STEPS = 3000

OPTMATH = """
import json, sys, time
import numpy as np
sys.path.insert(0, {root!r})
from optmath.grid import Grid, sweep_grid
T = {steps}
grids = {{
    "shared": Grid.make("adam", "reddi", {{"lr": np.geomspace(1e-3, 1.0, {n_lr}), "C": np.linspace(2.0, 10.0, {n_c})}},
                        steps=T, profile="paper", schedule="inv_sqrt", x0=0.0),
    "phase": Grid.make("adam", "reddi:C=3", {{"b1": np.linspace(0.0, 0.9, {n_b1}), "b2": np.linspace(0.5, 0.9999, {n_b2})}},
                       steps=T, profile="paper", values={{"lr": 0.1}}, schedule="inv_sqrt", x0=0.0),
}}
out = {{}}
for name, g in grids.items():
    sweep_grid(g)  # compile or load
    best = 1e9
    for _ in range({repeat}):
        t0 = time.perf_counter(); r = sweep_grid(g); best = min(best, time.perf_counter() - t0)
    out[name] = [g.size * T / best, r.final_x.tolist()]
print(json.dumps(out))
"""


def optmath_rates(root: Path, a) -> dict:
    code = OPTMATH.format(root=str(root), steps=a.steps, n_lr=a.n_lr, n_c=a.n_c, n_b1=a.n_b1, n_b2=a.n_b2,
                          repeat=a.repeat)
    env = dict(os.environ, PYTHONPATH=str(root))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root, timeout=3600)
    if r.returncode:
        raise SystemExit(r.stderr[-3000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def ceiling_rates(a) -> dict:
    spec = importlib.util.spec_from_file_location("ceiling", CEILING)
    C = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(C)
    b1s, b2s = np.linspace(0.0, 0.9, a.n_b1), np.linspace(0.5, 0.9999, a.n_b2)
    B1, B2 = np.repeat(b1s, a.n_b2), np.tile(b2s, a.n_b1)
    n = B1.size
    lr = np.repeat(np.geomspace(1e-3, 1.0, a.n_lr), a.n_c)
    Cs = np.tile(np.linspace(2.0, 10.0, a.n_c), a.n_lr)
    return {"phase": C.rate(C.per_config, (B1, B2, np.full(n, 0.1), np.full(n, 3.0), a.steps), n, a.steps, a.repeat),
            "shared": C.rate(C.shared, (0.9, 0.999, lr, Cs, a.steps), lr.size, a.steps, a.repeat)}


def worktree(rev: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix="optmath-before-"))
    subprocess.run(["git", "worktree", "add", "--detach", str(path), rev], cwd=ROOT, check=True, capture_output=True)
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a quarter of the configurations, 1,000 steps")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--before", default="efeac82", help="commit of the hand-written kernels ('' to skip)")
    ap.add_argument("--out", help="write the table as Markdown")
    a = ap.parse_args(argv)
    a.steps, a.n_lr, a.n_c, a.n_b1, a.n_b2 = (1000, 32, 64, 46, 45) if a.quick else (STEPS, 64, 128, 91, 90)
    new = optmath_rates(ROOT, a)
    ceil = ceiling_rates(a)
    old = None
    if a.before:
        wt = worktree(a.before)
        try:
            old = optmath_rates(wt, a)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(wt)], cwd=ROOT, capture_output=True)
    lines = [f"# Generated sweep kernels vs the ceiling ({platform.processor() or platform.machine()}, "
             f"{os.cpu_count()} cores, {a.steps} steps, best of {a.repeat})", "",
             "| workload | configurations | generated (config-steps/s) | ceiling | generated / ceiling | target "
             f"{TARGET} | hand-written {a.before or '-'} | generated / hand-written | max abs diff of final x |",
             "|---|---|---|---|---|---|---|---|---|"]
    sizes = {"shared": a.n_lr * a.n_c, "phase": a.n_b1 * a.n_b2}
    for w in ("shared", "phase"):
        rate, fx = new[w]
        ratio = rate / ceil[w]
        hw = f"{old[w][0]:.3e}" if old else "-"
        vs = f"{rate / old[w][0]:.2f}" if old else "-"
        diff = f"{float(np.max(np.abs(np.array(fx) - np.array(old[w][1])))):.1e}" if old else "-"
        lines.append(f"| {w} | {sizes[w]} | {rate:.3e} | {ceil[w]:.3e} | {ratio:.2f} | "
                     f"{'met' if ratio >= TARGET else 'not met'} | {hw} | {vs} | {diff} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        Path(a.out).write_text(text)


if __name__ == "__main__":
    main()
