"""Sweep throughput: optmath's blocked kernels against the tools a user would otherwise pick.

Run: ``python benchmarks/bench_sweep.py`` (about 2-4 minutes on 2 cores; ``--quick`` for a
smaller run, ``--memory`` adds the 10**6 x 10**5 bounded-memory sweep, ``--out FILE`` writes
the table as Markdown with the machine's details).

Workload (issue 7): PyTorch-default Adam (b1 0.9, b2 0.999, eps 1e-8, bias correction) and
Yogi (optax's profile) over 8192 configurations (64 learning rates x 128 values of C) x 3000
steps, lr/sqrt(t), x0 = 1, float64, on Reddi's periodic problem (C x once every 3 steps, else
-x, on [-1, 1]) and on the stochastic family (C x with probability 0.3, same draws for all).

Peers, each vectorised over the configurations the way its users would write it:
NumPy arrays of configurations; PyTorch CPU float64 tensors; JAX ``jit(vmap(scan))`` with
x64; a naive Numba loop (``prange`` over configurations, the PyTorch algorithm per config:
``beta ** t`` each step); optmath's scalar sweep kernel (one config per iteration, generic
step dispatch); optmath's blocked kernel.  Every peer's final iterates are compared with
optmath's before its time is printed.  Times are the best of ``--repeat`` warm runs; ratios
are measured in this one run (machines differ; the ratios travel).
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from numba import njit, prange

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optmath.grid import Grid, sweep_grid  # noqa: E402

B1, B2, EPS = 0.9, 0.999, 1e-8


def configs(n_lr: int, n_c: int):
    lrs = np.geomspace(1e-3, 1.0, n_lr)
    Cs = np.linspace(2.0, 10.0, n_c)
    return np.repeat(lrs, n_c), np.tile(Cs, n_lr)  # row-major, as the Grid orders them


def coefs(problem: str, C, t, u, p=0.3):
    """The slope of step t (1-based) for every configuration."""
    if problem == "reddi":
        return C if (t - 1) % 3 == 0 else -1.0
    return C if u[t - 1] < p else -1.0


# -- peers ---------------------------------------------------------------------------------

#: m and v at the start: optax's Yogi starts them at 1e-6
YOGI_M0 = 1e-6
M0 = {"adam": 0.0, "yogi": YOGI_M0}


def step(xp, opt, x, m, v, g, lr, t):
    """One Adam or Yogi step with bias correction and lr / sqrt(t), projected on [-1, 1], in the
    array library ``xp`` (NumPy or jax.numpy: the same lines either way)."""
    m = B1 * m + (1 - B1) * g
    if opt == "adam":
        v = B2 * v + (1 - B2) * g * g
    else:
        v = v - (1 - B2) * xp.sign(v - g * g) * g * g
    s = lr / xp.sqrt(t) * (m / (1 - B1**t)) / (xp.sqrt(v / (1 - B2**t)) + EPS)
    return xp.clip(x - s, -1.0, 1.0), m, v


def numpy_run(opt, problem, lr, C, T, u):
    x = np.ones_like(lr)
    m = np.zeros_like(lr) + M0[opt]
    v = np.zeros_like(lr) + M0[opt]
    for t in range(1, T + 1):
        x, m, v = step(np, opt, x, m, v, coefs(problem, C, t, u) * np.ones_like(lr), lr, t)
    return x


def torch_run(opt, problem, lr, C, T, u):
    import torch

    lr_t, C_t = torch.from_numpy(lr), torch.from_numpy(C)
    x = torch.ones_like(lr_t)
    m = torch.zeros_like(lr_t) + M0[opt]
    v = torch.zeros_like(lr_t) + M0[opt]
    with torch.no_grad():
        for t in range(1, T + 1):
            g = C_t if (coefs(problem, 1.0, t, u) > 0) else -torch.ones_like(lr_t)
            m.mul_(B1).add_(g, alpha=1 - B1)
            if opt == "adam":
                v.mul_(B2).addcmul_(g, g, value=1 - B2)
            else:
                g2 = g * g
                v.sub_((1 - B2) * torch.sign(v - g2) * g2)
            denom = (v / (1 - B2**t)).sqrt_().add_(EPS)
            x.sub_(lr_t / math.sqrt(t) * (m / (1 - B1**t)) / denom).clamp_(-1.0, 1.0)
    return x.numpy()


def jax_fn(opt, problem, T, u):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    ts = jnp.arange(1, T + 1, dtype=jnp.float64)
    us = jnp.asarray(u)

    def one(lr, C):
        def body(carry, tu):
            x, m, v = carry
            t, uu = tu
            if problem == "reddi":
                g = jnp.where(jnp.mod(t - 1, 3) == 0, C, -1.0)
            else:
                g = jnp.where(uu < 0.3, C, -1.0)
            return step(jnp, opt, x, m, v, g, lr, t), None

        (x, _, _), _ = jax.lax.scan(body, (jnp.float64(1.0), jnp.float64(M0[opt]), jnp.float64(M0[opt])), (ts, us))
        return x

    return jax.jit(jax.vmap(one))


@njit(parallel=True, cache=True, error_model="numpy")
def naive_numba(yogi, periodic, lr, C, T, u, out):
    for n in prange(lr.shape[0]):
        x, m, v = 1.0, (YOGI_M0 if yogi else 0.0), (YOGI_M0 if yogi else 0.0)
        for t in range(1, T + 1):
            if periodic:
                g = C[n] if (t - 1) % 3 == 0 else -1.0
            else:
                g = C[n] if u[t - 1] < 0.3 else -1.0
            m = B1 * m + (1 - B1) * g
            if yogi:
                d = v - g * g
                v = v - (1 - B2) * (1.0 if d > 0 else (-1.0 if d < 0 else 0.0)) * g * g
            else:
                v = B2 * v + (1 - B2) * g * g
            x = x - lr[n] / math.sqrt(t) * (m / (1 - B1**t)) / (math.sqrt(v / (1 - B2**t)) + EPS)
            x = min(1.0, max(-1.0, x))
        out[n] = x


# -- measurement -----------------------------------------------------------------------------

def best(fn, repeat):
    times = []
    res = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = fn()
        times.append(time.perf_counter() - t0)
    return min(times), res


def grid_for(opt, problem, n_lr, n_c, T):
    prof = {"adam": "pytorch", "yogi": "optax"}[opt]
    return Grid.make(opt, "reddi" if problem == "reddi" else "stochastic:p=0.3,D=1",
                     {"lr": np.geomspace(1e-3, 1.0, n_lr), "C": np.linspace(2.0, 10.0, n_c)}, steps=T,
                     profile=prof, values={"b1": B1, "b2": B2, "eps": EPS}, schedule="inv_sqrt", x0=1.0, seed=0)


def workload(opt, problem, n_lr, n_c, T, repeat, peers):
    lr, C = configs(n_lr, n_c)
    grid = grid_for(opt, problem, n_lr, n_c, T)
    u = grid.batch(0, 1).draws
    N = lr.size
    rows = []
    sweep_grid(grid, backend="blocked")  # compile or load from cache
    t_blk, ref = best(lambda: sweep_grid(grid, backend="blocked").final_x, repeat)
    rows.append(("optmath blocked (SIMD lanes)", t_blk, 0.0))
    sweep_grid(Grid.make(grid.optimizer, grid.problem, {"lr": [1e-3]}, steps=3, profile=grid.profile,
                         values=dict(grid.values), schedule="inv_sqrt", x0=1.0), backend="scalar")
    t, res = best(lambda: sweep_grid(grid, backend="scalar").final_x, 1)
    assert np.array_equal(res, ref), "scalar and blocked kernels differ"
    rows.append(("optmath scalar kernel (1 config/iteration)", t, 0.0))
    out = np.empty(N)
    naive_numba(opt == "yogi", problem == "reddi", lr[:2], C[:2], 3, u, out[:2])
    t, _ = best(lambda: naive_numba(opt == "yogi", problem == "reddi", lr, C, T, u, out), repeat)
    rows.append(("naive Numba loop (1 config/thread)", t, float(np.max(np.abs(out - ref)))))
    if "numpy" in peers:
        t, res = best(lambda: numpy_run(opt, problem, lr, C, T, u), 1)
        rows.append(("NumPy vectorised over configs", t, float(np.max(np.abs(res - ref)))))
    if "torch" in peers:
        import torch

        torch.set_num_threads(os.cpu_count() or 1)
        t, res = best(lambda: torch_run(opt, problem, lr, C, T, u), 1)
        rows.append(("PyTorch CPU vectorised (float64)", t, float(np.max(np.abs(res - ref)))))
    if "jax" in peers:
        f = jax_fn(opt, problem, T, u)
        import jax.numpy as jnp

        a, b = jnp.asarray(lr), jnp.asarray(C)
        f(a, b).block_until_ready()  # compile
        t, res = best(lambda: np.asarray(f(a, b).block_until_ready()), repeat)
        rows.append(("JAX jit(vmap(scan)) x64", t, float(np.max(np.abs(res - ref)))))
    return N, T, rows


def first_counterexample():
    """Wall time of `optmath search` (PyTorch betas) with an empty Numba cache, then warm, then
    warm with the candidates as Dask tasks (one worker process per core)."""
    cmd = [sys.executable, "-m", "optmath.cli", "search", "--fails", "adam", "--converges", "yogi",
           "--b1", "0.9", "--b2", "0.999", "--seed", "0", "--out", os.devnull]
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label, extra in (("cold (empty Numba cache)", []), ("warm (cache filled)", []),
                             ("warm, candidates as tasks on a Dask LocalCluster (--dask local)", ["--dask", "local"])):
            if extra:
                try:
                    import distributed  # noqa: F401
                except ImportError:
                    continue
            t0 = time.perf_counter()
            r = subprocess.run(cmd + extra, env=env, cwd=ROOT, capture_output=True, text=True)
            out[label] = (time.perf_counter() - t0, r.returncode, (r.stdout.strip().splitlines() or [""])[0])
    return out


def memory_run(n_configs: int, steps: int):
    """Run the bounded-memory sweep in a fresh process; returns (seconds, peak RSS bytes)."""
    code = f"""
import time, resource, numpy as np
def peak():  # this process's own high-water mark; ru_maxrss can carry the forking parent's over exec
    try:
        return [int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
from optmath.grid import Grid, sweep_grid
g = Grid.make("adam", "reddi", {{"lr": np.geomspace(1e-4, 1.0, {n_configs // 1000}), "C": np.linspace(2, 10, 1000)}},
              steps={steps}, profile="pytorch", schedule="inv_sqrt", x0=1.0)
t0 = time.perf_counter(); r = sweep_grid(g); dt = time.perf_counter() - t0
print(dt, peak(), int((r.final_x > 0.9).sum()))
"""
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    dt, rss, fails = r.stdout.split()
    return float(dt), int(rss), int(fails)


def machine():
    info = {"python": platform.python_version(), "platform": platform.platform(), "cores": os.cpu_count()}
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
    except OSError:
        info["cpu"] = platform.processor()
    import numba
    import numpy

    info["numba"], info["numpy"] = numba.__version__, numpy.__version__
    for mod in ("torch", "jax"):
        try:
            info[mod] = __import__(mod).__version__
        except ImportError:
            pass
    return info


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2048 configs x 1000 steps, no memory run")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--memory", action="store_true", help="also run 10**6 configs x 10**5 steps (minutes)")
    ap.add_argument("--memory-size", default="1000000x100000", help="CONFIGSxSTEPS for --memory")
    ap.add_argument("--peers", default="numpy,torch,jax")
    ap.add_argument("--no-search", action="store_true", help="skip the time to the first counterexample")
    ap.add_argument("--out", type=Path, help="write the results as Markdown here")
    a = ap.parse_args(argv)
    n_lr, n_c, T = (32, 64, 1000) if a.quick else (64, 128, 3000)
    peers = set(filter(None, a.peers.split(",")))
    lines = []

    def emit(s=""):
        print(s, flush=True)
        lines.append(s)

    info = machine()
    emit("# optmath sweep benchmark")
    emit()
    emit("Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    emit(f"Command: python benchmarks/bench_sweep.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    emit()
    summary = {}
    for opt in ("adam", "yogi"):
        for problem in ("reddi", "stochastic"):
            N, steps, rows = workload(opt, problem, n_lr, n_c, T, a.repeat, peers)
            work = N * steps
            t_blk = rows[0][1]
            emit(f"## {opt} on {problem}: {N} configs x {steps} steps, float64")
            emit()
            emit("| implementation | config-steps/s | optmath blocked is | max abs diff of final x vs optmath |")
            emit("| --- | ---: | ---: | ---: |")
            for name, t, diff in rows:
                emit(f"| {name} | {work / t:.3e} | {t / t_blk:.1f}x faster | {diff:.1e} |")
            emit()
            summary[(opt, problem)] = {name: work / t for name, t, _ in rows}
    adam = summary[("adam", "reddi")]
    blk = adam["optmath blocked (SIMD lanes)"]
    emit("## Targets (Adam on Reddi's problem)")
    emit()
    emit(f"- blocked: {blk:.3e} config-steps/s (target >= 7e8)")
    if "JAX jit(vmap(scan)) x64" in adam:
        emit(f"- vs JAX jit(vmap(scan)): {blk / adam['JAX jit(vmap(scan)) x64']:.1f}x (target >= 20x)")
    emit(f"- vs naive Numba loop: {blk / adam['naive Numba loop (1 config/thread)']:.1f}x (target >= 4x)")
    emit()
    if not a.no_search:
        emit("## Time to the first certified counterexample (optmath search --fails adam --converges yogi "
             "--b1 0.9 --b2 0.999 --seed 0)")
        emit()
        for label, (dt, rc, first) in first_counterexample().items():
            emit(f"- {label}: {dt:.1f} s, exit {rc}: {first}")
        emit()
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_startup import measure as startup

    emit("## Start-up")
    emit()
    for k, v in startup().items():
        emit(f"- {k}: {v}")
    emit()
    try:
        from numba import cuda

        gpu = cuda.is_available()
    except Exception:  # pragma: no cover - numba without its CUDA target
        gpu = False
    if gpu:
        g = grid_for("adam", "reddi", n_lr, n_c, T)
        sweep_grid(g, device="cuda")
        t, res = best(lambda: sweep_grid(g, device="cuda").final_x, a.repeat)
        ref = sweep_grid(g, backend="blocked").final_x
        emit(f"## GPU: {cuda.get_current_device().name.decode() if isinstance(cuda.get_current_device().name, bytes) else cuda.get_current_device().name}")
        emit()
        emit(f"- Adam on Reddi, {g.size} configs x {T} steps: {g.size * T / t:.3e} config-steps/s; "
             f"max abs diff of final x vs CPU blocked {float(np.max(np.abs(res - ref))):.1e}")
        emit()
    if a.memory:
        nc, ns = (int(v) for v in a.memory_size.lower().split("x"))
        dt, rss, fails = memory_run(nc, ns)
        emit(f"## Bounded memory: {nc} configs x {ns} steps (Adam, PyTorch profile, Reddi, chunks of 65536)")
        emit()
        emit(f"- {dt:.1f} s, {nc * ns / dt:.3e} config-steps/s, peak RSS {rss / 2**20:.0f} MiB (target < 1024 MiB); "
             f"{fails} configurations end above x = 0.9")
        emit()
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text("\n".join(lines) + "\n")
        print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
