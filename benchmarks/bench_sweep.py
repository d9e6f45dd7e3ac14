"""Adam on Reddi et al.'s Theorem-1 problem: optmath's parallel sweep vs NumPy vectorised over configs.

Run: ``python benchmarks/bench_sweep.py [--configs N] [--steps T]``.  Prints config-steps per
second for each and their ratio, all measured in this one run (machines differ; ratios travel).
The sweep is warmed up (compiled) before timing; the cold time is printed separately.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from optmath import get_spec, make_problem, sweep


def numpy_adam(b2s, steps, lr=0.5, C=3.0):
    """Reddi's Adam (b1 = 0, no bias correction) for all configs at once, clipped to [-1, 1]."""
    x = np.ones_like(b2s)
    v = np.zeros_like(b2s)
    for k in range(steps):
        g = C if k % 3 == 0 else -1.0
        v = b2s * v + (1 - b2s) * g * g
        x = np.clip(x - lr / np.sqrt(k + 1) * g / (np.sqrt(v) + 1e-8), -1.0, 1.0)
    return x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--configs", type=int, default=8192)
    ap.add_argument("--steps", type=int, default=3000)
    a = ap.parse_args()
    b2s = np.linspace(0.05, 0.5, a.configs)
    spec = get_spec("adam")
    algs = [spec.resolve("paper", {"bias_correction": "none"}, lr=0.5, b1=0.0, b2=float(b), eps=1e-8) for b in b2s]
    prob = make_problem("reddi", C=3.0)
    t0 = time.perf_counter()
    sweep(algs[:2], prob, steps=10, x0=1.0, schedule="inv_sqrt")
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = sweep(algs, prob, steps=a.steps, x0=1.0, schedule="inv_sqrt")
    t_om = time.perf_counter() - t0
    t0 = time.perf_counter()
    xs = numpy_adam(b2s, a.steps)
    t_np = time.perf_counter() - t0
    assert np.allclose(xs, res.final_x, atol=1e-9), "implementations disagree"
    work = a.configs * a.steps
    print(f"Adam, Reddi Theorem 1, {a.configs} configs x {a.steps} steps (float64)")
    print(f"  first call (compile or cache load): {cold:.2f} s")
    print(f"  {'optmath sweep (numba, parallel)':34s} {work / t_om:12.3e} config-steps/s")
    print(f"  {'numpy vectorised over configs':34s} {work / t_np:12.3e} config-steps/s")
    print(f"  ratio optmath / numpy: {t_np / t_om:.3g}x")


if __name__ == "__main__":
    main()
