"""Start-up costs: ``optmath --help``, ``import optmath``, and a command's first run with an empty
Numba cache against its second run with the cache filled.

Run: ``python benchmarks/bench_startup.py [--repeat N]``.  Every figure is measured in this run, in
fresh processes; the target for ``optmath --help`` is 0.3 s, for a warm 1,000-step ``optmath run``
0.5 s without importing SymPy (issue 16).  The cache runs use a temporary ``NUMBA_CACHE_DIR`` and
``OPTMATH_KERNEL_CACHE``, so the cold figure includes resolving the spec, generating the module and
compiling it, and the warm one only the stored plan (:mod:`optmath.kernels.quick`) and the cache load.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HELP_TARGET_S = 0.3
WARM_RUN_TARGET_S = 0.5  # issue 16: a warm 1,000-step run, without importing SymPy
COMMAND = ["run", "adam", "--problem", "reddi:C=3", "--steps", "1000"]


def wall(args, env=None) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(args, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=900)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {r.stderr.strip().splitlines()[-1:]}")
    return dt


def measure(repeat: int = 7) -> dict:
    """The start-up figures, each measured now in fresh processes: label -> text."""
    exe = shutil.which("optmath")
    cli = [exe] if exe else [sys.executable, "-m", "optmath.cli"]
    python = [sys.executable, "-c"]
    wall(python + ["pass"])  # warm the file-system cache
    base = statistics.median(wall(python + ["pass"]) for _ in range(repeat))
    imp = statistics.median(wall(python + ["import optmath"]) for _ in range(repeat))
    hlp = statistics.median(wall(cli + ["--help"]) for _ in range(repeat))
    heavy = subprocess.run(python + ["import sys, optmath; print(sorted({m.split('.')[0] for m in sys.modules} "
                                     "& {'numba', 'sympy', 'numpy'}))"], capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory() as cache:
        # both caches empty: Numba's and optmath's (generated modules and the plans of warm runs)
        env = {"NUMBA_CACHE_DIR": os.path.join(cache, "numba"), "OPTMATH_KERNEL_CACHE": os.path.join(cache, "kernels")}
        cold = wall(cli + COMMAND, env)
        warm = statistics.median(wall(cli + COMMAND, env) for _ in range(max(3, repeat)))
        probe = ("import sys; from optmath.cli import cli; cli(%r, standalone_mode=False); "
                 "print('sympy' in sys.modules)" % (COMMAND,))
        r = subprocess.run(python + [probe], capture_output=True, text=True, env={**os.environ, **env}, timeout=300)
        sympy_warm = r.stdout.strip().splitlines()[-1] if r.returncode == 0 else f"failed: {r.stderr[-200:]}"
    import importlib.util

    extras = [m for m in ("scipy", "torch", "jax") if importlib.util.find_spec(m) is not None]
    return {
        "environment": (f"{sys.prefix}; installed beside optmath: {', '.join(extras) or 'none of scipy, torch, jax'}"
                        " (Numba imports scipy's BLAS at start-up when scipy is installed, about 0.1 s of a warm run;"
                        " `pip install -e .` alone brings none of them)"),
        f"python -c pass (median of {repeat})": f"{base:.3f} s",
        'python -c "import optmath"': f"{imp:.3f} s, heavy modules loaded: {heavy}",
        "optmath --help": f"{hlp:.3f} s (target < {HELP_TARGET_S} s: {'met' if hlp < HELP_TARGET_S else 'MISSED'})",
        f"optmath {' '.join(COMMAND)}, cold (empty Numba and kernel caches)": f"{cold:.3f} s",
        f"optmath {' '.join(COMMAND)}, warm (caches filled, median of {max(3, repeat)})":
            f"{warm:.3f} s (cold/warm {cold / warm:.1f}; target <= {WARM_RUN_TARGET_S} s: "
            f"{'met' if warm <= WARM_RUN_TARGET_S else 'MISSED'}); SymPy imported by the warm run: {sympy_warm}",
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--out", help="also write the figures as Markdown, with the command, commit and machine")
    a = ap.parse_args()
    figures = measure(a.repeat)
    print(f"start-up, fresh processes (python {sys.version.split()[0]})")
    for k, v in figures.items():
        print(f"  {k}: {v}")
    if a.out:
        import platform

        from optmath import __version__

        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True).stdout.strip()
        cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")),
                   platform.processor()) if os.path.exists("/proc/cpuinfo") else platform.processor()
        lines = [f"# Start-up ({os.cpu_count()} cores, {cpu}, python {sys.version.split()[0]})", "",
                 "| what | measured |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in figures.items()]
        lines += ["", f"Command: `python benchmarks/bench_startup.py --repeat {a.repeat} --out {a.out}` at optmath "
                      f"{__version__}, commit {commit}{' (with uncommitted changes)' if dirty else ''}; every figure "
                      "measured in that run, in fresh processes."]
        with open(a.out, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
