"""The generated CUDA sweep kernel against the CPU blocked kernel, in one short run.

Run on a machine with a CUDA GPU: ``bash benchmarks/bench_gpu.sh`` (or ``python
benchmarks/bench_gpu.py [--repeat N] [--out FILE]``).  Without a GPU, ``--sim`` runs a tiny form of
every workload in Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``), which checks the script and
the kernel's bits (the simulator executes the kernel as Python, so its timings mean nothing).

Workloads: issue 16's four (``benchmarks/bench_workloads.py``'s ``shared``, ``phase``, ``yogi`` and
``stochastic``, 8,192 configurations x 3,000 steps) and ``shared`` at 1,048,576 configurations (a
GPU needs many threads: 8,192 fill a small part of one).  For each: the CPU blocked kernel
(``sweep_grid(..., backend="blocked")``, all cores) and the CUDA kernel (one configuration per
thread, :func:`optmath.kernels.gpu.run_cuda`: host-to-device copies and the copy back included),
each best of ``--repeat`` warm runs, and the largest difference of the four summaries between
them.  On a real GPU division and square root are IEEE-rounded but ``pow`` (the running
products' anchors) comes from libdevice and NVVM may contract multiply-adds, so the summaries
agree to rounding, not bit for bit: the check is a relative difference below ``AGREE`` on every
finite summary; under the simulator the bits must be equal.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

#: largest relative difference of a summary between the GPU and the CPU on a real device
AGREE = 1e-9


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sim", action="store_true", help="Numba's CUDA simulator, tiny workloads (checks only)")
    ap.add_argument("--out", help="also write the table as Markdown")
    return ap.parse_args(argv)


def main(argv=None):
    a = parse(argv)
    if a.sim:
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
    import numpy as np
    from numba import cuda

    import bench_workloads as W
    from optmath.grid import sweep_grid
    from optmath.kernels import gpu

    if not cuda.is_available():
        raise SystemExit("bench_gpu: no CUDA GPU (numba.cuda.is_available() is False); --sim runs the simulator")
    device = "Numba CUDA simulator" if a.sim else cuda.get_current_device().name
    device = device.decode() if isinstance(device, bytes) else str(device)

    class Size:  # bench_workloads' sizes; the simulator gets a tiny form
        steps, n_lr, n_c, n_b1, n_b2 = (30, 4, 4, 4, 4) if a.sim else (3000, 64, 128, 91, 90)

    class Big(Size):
        n_lr, n_c = (4, 8) if a.sim else (256, 4096)

    rows = []
    for label, name, size in [("shared", "shared", Size), ("phase", "phase", Size), ("yogi", "yogi", Size),
                              ("stochastic", "stochastic", Size), ("shared, large", "shared", Big)]:
        s = W.spec_of(name, size)
        grid = s["grid"]
        batch = grid.batch(0, grid.size)
        work = grid.size * size.steps
        cpu_out = sweep_grid(grid, backend="blocked")
        cpu = np.stack([cpu_out.final_x, cpu_out.average_regret, cpu_out.max_abs_x,
                        cpu_out.first_nonfinite_step.astype(float)], axis=1)
        gpu.run_cuda(batch)  # compile
        t_cpu = min(_timed(lambda: sweep_grid(grid, backend="blocked")) for _ in range(a.repeat))
        t_gpu, got = min((_timed_out(lambda: gpu.run_cuda(batch)) for _ in range(1 if a.sim else a.repeat)),
                         key=lambda z: z[0])
        fin = np.isfinite(cpu[:, :3]) & np.isfinite(got[:, :3])
        rel = float(np.max(np.abs(got[:, :3] - cpu[:, :3])[fin] / np.maximum(1.0, np.abs(cpu[:, :3])[fin]),
                           initial=0.0))
        same_bad = bool(np.array_equal(got[:, 3], cpu[:, 3]))
        ok = (np.array_equal(got.view(np.uint64), cpu.view(np.uint64)) if a.sim else rel <= AGREE and same_bad)
        rows.append((label, grid.size, size.steps, work / t_cpu, work / t_gpu, rel, same_bad, ok))
        print(f"{label}: CPU {work / t_cpu:.3e}, GPU {work / t_gpu:.3e} config-steps/s, max rel diff {rel:.1e}, "
              f"first non-finite steps equal {same_bad}: {'agrees' if ok else 'DISAGREES'}", flush=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    cpu_name = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")),
                    platform.processor()) if os.path.exists("/proc/cpuinfo") else platform.processor()
    lines = [f"# CUDA sweep kernel against the CPU blocked kernel ({device}; CPU {os.cpu_count()} cores, {cpu_name})",
             "", f"Command: `python benchmarks/bench_gpu.py {' '.join(argv if argv is not None else sys.argv[1:])}` "
             f"at commit {commit}; every figure measured in this run, best of {a.repeat}; the GPU time includes the "
             "copies to and from the device." + (" Simulator: timings mean nothing, bits must be equal." if a.sim
                                                  else f" Agreement: relative difference <= {AGREE:g}."), "",
             "| workload | configurations x steps | CPU blocked (config-steps/s) | CUDA (config-steps/s) | CUDA / CPU | "
             "max rel diff | first non-finite equal | agrees |", "|---|---|---|---|---|---|---|---|"]
    for label, n, T, c, g, rel, same_bad, ok in rows:
        lines.append(f"| {label} | {n} x {T} | {c:.3e} | {g:.3e} | {g / c:.2f} | {rel:.1e} | {same_bad} | "
                     f"{'yes' if ok else 'NO'} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        Path(a.out).write_text(text)
    if not all(r[-1] for r in rows):
        raise SystemExit(1)


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _timed_out(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


if __name__ == "__main__":
    main()
