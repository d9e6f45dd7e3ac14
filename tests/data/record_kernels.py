"""Record what optmath's kernels compute on every registry profile and problem family.

Run once with the hand-written kernels (before the kernel generator replaced them) to write
``kernels_before_generator.npz``; ``tests/test_generated_kernels.py`` compares the generated
kernels with it.  Inputs (all fixed here, nothing random without its seed):

* runs: 1,000 steps over 3 coordinates of a seeded Gaussian stream scaled by (1, 1e-3, 10),
  x0 = (0.5, -0.3, 1e-3), every state recorded;
* sweeps: for every problem family, 12 configurations (lr log-spaced 1e-3..1, x0 = 0.2) x 400
  steps, seed 3: the four summaries (final x, average regret, max |x|, first non-finite step).

    python tests/data/record_kernels.py OUT.npz
"""
import subprocess
import sys

import numpy as np

from optmath import get_spec, run, sweep
from optmath.optimizers import REGISTRY

PROBLEMS = ("quadratic:h=2,c=0.3", "reddi", "synthetic", "stochastic", "finite_sum:n=5", "sparse", "heavy_tail")
RUN_STEPS, SWEEP_STEPS = 1000, 400
X0 = np.array([0.5, -0.3, 1e-3])


def stream():
    rng = np.random.default_rng(20261202)
    return rng.standard_normal((RUN_STEPS, 3)) * np.array([1.0, 1e-3, 10.0])


def cases():
    for name in REGISTRY:
        for profile in get_spec(name).profiles:
            yield name, profile


def main(path):
    out = {}
    G = stream()
    for name, profile in cases():
        alg = get_spec(name).resolve(profile)
        tr = run(alg, G, x0=X0, record_states=True, on_nonfinite="stop")
        out[f"run/{name}/{profile}/x"] = tr.xs
        for s, v in tr.states.items():
            out[f"run/{name}/{profile}/{s}"] = v
        out[f"run/{name}/{profile}/bad"] = np.array(tr.nonfinite_step)
        if alg.spec.kernel == "adamp":
            continue  # no sweep kernel before the generator
        lrs = np.geomspace(1e-3, 1.0, 12)
        for prob in PROBLEMS:
            res = sweep([alg.with_values(lr=float(lr)) for lr in lrs], prob, steps=SWEEP_STEPS, x0=0.2, seed=3)
            out[f"sweep/{name}/{profile}/{prob}"] = np.stack(
                [res.final_x, res.average_regret, res.max_abs_x, res.first_nonfinite_step.astype(float)], axis=1)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    out["commit"] = np.array(commit)
    np.savez_compressed(path, **out)
    print(f"{len(out)} arrays from commit {commit} -> {path}")


if __name__ == "__main__":
    main(sys.argv[1])
