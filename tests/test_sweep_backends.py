"""Issue 7: the blocked (SIMD-lane), scalar, CUDA-simulator and Dask sweep paths give the same
bits; grids stream in chunks; bad input gets one-line errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from optmath import get_spec, problems as P
from optmath.errors import DomainError, OptmathError, UnknownNameError
from optmath.kernels.plan import plan
from optmath.kernels.runner import learning_rates
from optmath.optimizers import REGISTRY
from optmath.grid import Batch, Grid, parse_axis, run_batch, sweep_grid

from conftest import REPRESENTATIVE

ROOT = Path(__file__).resolve().parents[1]
CASES = [(name, prof) for name in REGISTRY for prof in get_spec(name).profiles]
# REPRESENTATIVE (conftest): the programs the default tier compiles sweep kernels for; the
# registry-wide test is slow (one blocked and one scalar kernel per profile)
PROBLEMS = ["reddi:C=3", "stochastic:C=3,p=0.3", "quadratic:h=2,c=0.5", "finite_sum:n=5,order=reshuffle",
            "sparse", "heavy_tail:alpha=1.5", "periodic:C=5,n=4,phase=2"]


def bits(a):
    return np.ascontiguousarray(a).view(np.uint64)


def batch(name, prof, problem, n=37, steps=150, seed=0, vary_betas=False):
    """n random configurations: learning rates from 1e-3 to 50 (some overflow), random starts."""
    rng = np.random.default_rng(seed)
    alg = get_spec(name).resolve(prof)
    p = plan(alg)
    q = P.parse_problem(problem)
    hps = np.repeat(p.hv[None], n, 0)
    if vary_betas:  # lanes with different b1, b2: per-lane bias corrections
        hps[:, p.column("b1")] = rng.uniform(0.5, 0.99, n)
        hps[:, p.column("b2")] = rng.choice([0.9, 0.99, 0.999], n)
    pp = np.repeat(q.pp[None], n, 0)
    return Batch(p.alg, q.family, hps, np.exp(rng.uniform(np.log(1e-3), np.log(50.0), n)), rng.uniform(-1, 1, n),
                 np.repeat(p.init[None], n, 0), pp, np.full(n, q.xstar), learning_rates(1.0, "inv_sqrt", steps),
                 P.draws(q, steps, seed + 1), q.lo, q.hi)


THREE = ("reddi:C=3", "stochastic:C=3,p=0.3", "quadratic:h=2,c=0.5")


def _blocked_equals_scalar(name, prof, problems=THREE):
    for problem in problems:
        b = batch(name, prof, problem)
        ref = run_batch(b, "scalar")
        assert np.array_equal(bits(run_batch(b, "blocked", block=8)), bits(ref)), (name, prof, problem)


@pytest.mark.parametrize("name,prof", REPRESENTATIVE, ids=[f"{a}-{b}" for a, b in REPRESENTATIVE])
def test_blocked_equals_scalar_bit_for_bit(name, prof):
    """The default tier: each representative program on one of the three families in turn (the
    family is a compile-time choice, so each pair is a module; all three per profile under -m slow)."""
    _blocked_equals_scalar(name, prof, (THREE[REPRESENTATIVE.index((name, prof)) % len(THREE)],))


@pytest.mark.slow
@pytest.mark.parametrize("name,prof", CASES, ids=[f"{a}-{b}" for a, b in CASES])
def test_blocked_equals_scalar_bit_for_bit_for_every_registry_profile(name, prof):
    _blocked_equals_scalar(name, prof)


FAMILY_PROGRAMS = [("adam", "pytorch"), ("nesterov", "paper"), ("yogi", "optax"), ("nadam", "pytorch"), ("radam", "optax")]
#: every family with two of the five programs in the default tier (in turn), every pair under -m slow
FAMILY_CASES = [pytest.param(n, p, q, id=f"{n}-{p}-{q}", marks=() if (i + j) % len(FAMILY_PROGRAMS) < 2 else pytest.mark.slow)
                for i, (n, p) in enumerate(FAMILY_PROGRAMS) for j, q in enumerate(PROBLEMS)]


@pytest.mark.parametrize("name,prof,problem", FAMILY_CASES)
def test_blocked_equals_scalar_on_every_problem_family(name, prof, problem):
    b = batch(name, prof, problem, n=41, steps=120, seed=3, vary_betas=name in ("adam", "nadam", "radam"))
    ref = run_batch(b, "scalar")
    for block in (1, 8, 128):
        assert np.array_equal(bits(run_batch(b, "blocked", block=block)), bits(ref)), block


def test_some_lanes_overflow_and_are_frozen_like_the_scalar_kernel():
    b = batch("sgd", "pytorch", "quadratic:h=2,c=0.5", n=64, steps=200)
    b.lo, b.hi = -np.inf, np.inf  # no projection: large steps on the quadratic diverge
    b.lrs0[:] = np.linspace(0.1, 30.0, 64)
    b.lr_mult[:] = 1.0  # a constant step: |1 - 2 lr| > 1 grows until it overflows
    ref = run_batch(b, "scalar")
    out = run_batch(b, "blocked", block=16)
    assert (ref[:, 3] > 0).sum() > 10 and (ref[:, 3] == 0).sum() > 10
    assert np.array_equal(bits(out), bits(ref))


def test_sweep_of_a_list_uses_the_blocked_kernel_and_matches_single_runs():
    from optmath import run, sweep

    spec = get_spec("adam")
    algs = [spec.resolve("pytorch", lr=lr, b2=b2) for lr in (0.01, 0.3) for b2 in (0.9, 0.999)]
    a = sweep(algs, "reddi", steps=500, x0=0.5, schedule="inv_sqrt")
    s = sweep(algs, "reddi", steps=500, x0=0.5, schedule="inv_sqrt", backend="scalar")
    assert np.array_equal(bits(a.final_x), bits(s.final_x)) and np.array_equal(bits(a.max_abs_x), bits(s.max_abs_x))
    for k, alg in enumerate(algs):
        assert run(alg, problem="reddi", steps=500, x0=0.5, schedule="inv_sqrt").final[0] == a.final_x[k]


def small_grid(**kw):
    axes = kw.pop("axes", {"lr": np.geomspace(1e-3, 1.0, 6), "b2": [0.9, 0.99, 0.999], "C": [2.5, 3.0, 6.0]})
    return Grid.make(kw.pop("optimizer", "adam"), kw.pop("problem", "reddi"), axes,
                     steps=kw.pop("steps", 300), profile=kw.pop("profile", "pytorch"), schedule="inv_sqrt", x0=1.0, **kw)


def test_grid_rows_are_the_configurations_of_single_runs():
    from optmath import make_problem, run

    g = small_grid()
    res = sweep_grid(g)
    assert g.shape == (6, 3, 3) and res.table("final_x").shape == (6, 3, 3)
    for i, j, k in [(0, 0, 0), (5, 2, 1), (3, 1, 2)]:
        lr, b2, C = g.axes[0][1][i], g.axes[1][1][j], g.axes[2][1][k]
        tr = run(get_spec("adam").resolve("pytorch", lr=lr, b2=b2), problem=make_problem("reddi", C=C), steps=300,
                 x0=1.0, schedule="inv_sqrt")
        assert tr.final[0] == res.table("final_x")[i, j, k]


def test_chunking_and_backends_do_not_change_a_bit():
    g = small_grid()
    ref = sweep_grid(g, chunk=1 << 16)
    seen = []
    for kw in ({"chunk": 5}, {"chunk": 7, "backend": "scalar"}, {"chunk": 54, "block": 4}):
        r = sweep_grid(g, progress=lambda d, n: seen.append((d, n)), **kw)
        for f in ("final_x", "average_regret", "max_abs_x", "first_nonfinite_step"):
            assert np.array_equal(bits(getattr(r, f)), bits(getattr(ref, f))), (kw, f)
    assert (11, 11) in seen and (8, 8) in seen  # 54 configurations in chunks of 5 and of 7


def test_cuda_kernel_in_the_simulator_matches_the_cpu_kernels():
    """CI has no GPU: the CUDA kernel runs under NUMBA_ENABLE_CUDASIM=1 in a fresh process."""
    code = """
import json, numpy as np
from optmath.grid import Grid, sweep_grid
out = {}
for opt, prof, prob in [("adam", "pytorch", "reddi"), ("yogi", "optax", "stochastic:p=0.3"),
                        ("nesterov", "paper", "quadratic:h=2,c=0.5"), ("rmsprop", "pytorch", "reddi"),
                        ("nadam", "pytorch", "sparse"), ("amsgrad", "pytorch", "reddi")]:
    g = Grid.make(opt, prob, {"lr": [0.001, 0.1, 1.5], "x0": [-0.5, 0.7]}, steps=40, profile=prof, schedule="inv_sqrt")
    r = sweep_grid(g, device="cuda")
    out[opt] = [r.final_x.view(np.uint64).tolist(), r.average_regret.view(np.uint64).tolist(), r.first_nonfinite_step.tolist()]
print(json.dumps(out))
"""
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    r = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    sim = json.loads(r.stdout.strip().splitlines()[-1])
    for opt, prof, prob in [("adam", "pytorch", "reddi"), ("yogi", "optax", "stochastic:p=0.3"),
                            ("nesterov", "paper", "quadratic:h=2,c=0.5"), ("rmsprop", "pytorch", "reddi"),
                            ("nadam", "pytorch", "sparse"), ("amsgrad", "pytorch", "reddi")]:
        g = Grid.make(opt, prob, {"lr": [0.001, 0.1, 1.5], "x0": [-0.5, 0.7]}, steps=40, profile=prof,
                      schedule="inv_sqrt")
        cpu = sweep_grid(g)
        assert sim[opt][0] == bits(cpu.final_x).tolist(), opt
        assert sim[opt][1] == bits(cpu.average_regret).tolist(), opt
        assert sim[opt][2] == cpu.first_nonfinite_step.tolist(), opt


def test_device_cuda_without_a_gpu_is_a_one_line_error():
    r = subprocess.run([sys.executable, "-m", "optmath.cli", "sweep", "adam", "--axis", "lr=0.1,0.2", "--device", "cuda"],
                       cwd=ROOT, capture_output=True, text=True, env={k: v for k, v in os.environ.items()
                                                                      if k != "NUMBA_ENABLE_CUDASIM"})
    try:
        from numba import cuda

        has_gpu = cuda.is_available()
    except Exception:  # pragma: no cover
        has_gpu = False
    if has_gpu:  # pragma: no cover - CI has none
        assert r.returncode == 0
    else:
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and "no CUDA GPU" in r.stderr


def test_dask_local_cluster_with_a_killed_worker_gives_the_same_bits():
    """Chunks run as Dask tasks on a LocalCluster over loopback; one worker process is killed
    while the sweep runs; its tasks are recomputed elsewhere; every chunk is placed once."""
    distributed = pytest.importorskip("distributed")
    g = small_grid(axes={"lr": np.geomspace(1e-3, 1.0, 16), "C": np.linspace(2.0, 8.0, 16)}, steps=20000)
    ref = sweep_grid(g, chunk=16)
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                       host="127.0.0.1")
    client = distributed.Client(cluster)
    killed = []
    ticks = []

    def progress(done, total):
        ticks.append(done)
        if not killed:
            nanny = next(iter(cluster.workers.values()))
            proc = nanny.process.process
            killed.append(proc.pid)
            proc.kill()

    try:
        res = sweep_grid(g, chunk=16, client=client, progress=progress)
        lost = [e for e in cluster.scheduler.get_events("all") if "remove-worker" in str(e)] if hasattr(
            cluster.scheduler, "get_events") else []
    finally:
        client.close()
        cluster.close()
    assert killed and ticks == list(range(1, 17))  # each of the 16 chunks counted once
    for f in ("final_x", "average_regret", "max_abs_x", "first_nonfinite_step"):
        assert np.array_equal(bits(getattr(res, f)), bits(getattr(ref, f))), f
    assert lost, "the scheduler never saw the killed worker leave"


def test_cli_sweep_runs_a_grid_and_writes_its_summaries(tmp_path):
    out = tmp_path / "s.npz"
    r = subprocess.run([sys.executable, "-m", "optmath.cli", "sweep", "adam", "--profile", "pytorch",
                        "--axis", "lr=log:1e-3:1:8", "--axis", "C=2:10:4", "--steps", "200", "--schedule", "inv_sqrt",
                        "--x0", "1", "--out", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "32 configurations x 200 steps" in r.stdout
    data = np.load(out)
    g = Grid.make("adam", "reddi", dict([parse_axis("lr=log:1e-3:1:8"), parse_axis("C=2:10:4")]), steps=200,
                  profile="pytorch", schedule="inv_sqrt", x0=1.0)
    assert np.array_equal(data["final_x"], sweep_grid(g).final_x) and tuple(data["shape"]) == (8, 4)


@pytest.mark.parametrize("args,needle", [
    (["--axis", "lr=0:1"], "bad grid axis"),
    (["--axis", "lr=log:-1:1:4"], "log spacing"),
    (["--axis", "zeta=0.1,0.2"], "unknown grid axis"),
    (["--axis", "b1=0.5,1.5"], "b1 = 1.5"),
    (["--axis", "lr=0.1", "--axis", "lr=0.2"], "repeat"),
    (["--axis", "lr=nan,0.1"], "non-finite"),
    (["--axis", "wd=0.1,0.2"], "cannot be a grid axis"),
    (["--axis", "lr=0.1", "--chunk", "0"], "chunk"),
    (["--axis", "lr=0.1", "--dask", "local", "--scheduler", "tcp://127.0.0.1:1"], "not both"),
    (["--axis", "lr=0.1", "--scheduler", "http://x"], "scheduler"),
    (["--axis", "C=-1,2"], "problem parameter C"),
    (["--axis", "lr=0.1", "--steps", "0"], "steps"),
])
def test_cli_sweep_bad_input_is_one_line_exit_2(args, needle):
    r = subprocess.run([sys.executable, "-m", "optmath.cli", "sweep", "adam", *args], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.count("\n") == 1 and needle in r.stderr, r.stderr


def test_python_bad_input_raises_project_errors():
    with pytest.raises(UnknownNameError):
        sweep_grid(small_grid(), backend="gpu")
    with pytest.raises(UnknownNameError):
        sweep_grid(small_grid(), device="tpu")
    with pytest.raises(DomainError):
        sweep_grid(small_grid(), block=0)
    with pytest.raises(OptmathError):
        sweep_grid("not a grid")
    with pytest.raises(DomainError):
        small_grid().batch(0, 10**9)


PEAK_RSS = """
def peak_rss_mib():
    # VmHWM: this process's own high-water mark (ru_maxrss can carry the forking parent's over exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
"""


def test_a_large_grid_streams_in_bounded_memory():
    """262,144 configurations in chunks: peak RSS far below what holding per-step data would take.
    The first process compiles the kernel; the second loads it from Numba's cache and measures
    the sweep itself, by its own high-water mark."""
    code = """
import numpy as np
from optmath.grid import Grid, sweep_grid
g = Grid.make("adam", "reddi", {"lr": np.geomspace(1e-4, 1, 512), "C": np.linspace(2, 10, 512)}, steps=50,
              profile="pytorch", schedule="inv_sqrt", x0=1.0)
r = sweep_grid(g, chunk=1 << 15)
print(r.final_x.size, peak_rss_mib())
"""
    for _ in range(2):
        r = subprocess.run([sys.executable, "-c", PEAK_RSS + code], cwd=ROOT, capture_output=True, text=True,
                           timeout=600)
        assert r.returncode == 0, r.stderr[-2000:]
    n, mib = (int(v) for v in r.stdout.split())
    assert n == 512 * 512 and mib < 700, mib
