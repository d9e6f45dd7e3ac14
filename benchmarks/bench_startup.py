"""Start-up costs: ``optmath --help``, ``import optmath``, and a command's first run with an empty
Numba cache against its second run with the cache filled.

Run: ``python benchmarks/bench_startup.py [--repeat N]``.  Every figure is measured in this run, in
fresh processes; the target for ``optmath --help`` is 0.3 s.  The cache runs use a temporary
``NUMBA_CACHE_DIR`` so the cold figure includes compilation and the warm one only the cache load.
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
        env = {"NUMBA_CACHE_DIR": cache}
        cold = wall(cli + COMMAND, env)
        warm = statistics.median(wall(cli + COMMAND, env) for _ in range(3))
    return {
        f"python -c pass (median of {repeat})": f"{base:.3f} s",
        'python -c "import optmath"': f"{imp:.3f} s, heavy modules loaded: {heavy}",
        "optmath --help": f"{hlp:.3f} s (target < {HELP_TARGET_S} s: {'met' if hlp < HELP_TARGET_S else 'MISSED'})",
        f"optmath {' '.join(COMMAND)}, cold (empty Numba cache)": f"{cold:.3f} s",
        f"optmath {' '.join(COMMAND)}, warm (cache filled, median of 3)": f"{warm:.3f} s (cold/warm {cold / warm:.1f})",
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    a = ap.parse_args()
    print(f"start-up, fresh processes (python {sys.version.split()[0]})")
    for k, v in measure(a.repeat).items():
        print(f"  {k}: {v}")


if __name__ == "__main__":
    main()
