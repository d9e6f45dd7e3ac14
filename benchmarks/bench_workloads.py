"""Every sweep workload of issue 16 against its ceiling and its peers, measured in one run.

Run: ``python benchmarks/bench_workloads.py [--quick] [--repeat N] [--peers numpy,torch,jax,numba]
[--out FILE]``.

Workloads (3,000 steps, lr / sqrt(t), projected on [-1, 1], x0 = 0, float64):

* ``shared``: Adam (paper profile: bias correction, eps = 1e-8 outside the root) on Reddi's periodic
  problem (C x once every 3 steps, else -x), 64 learning rates x 128 values of C, betas (0.9, 0.999)
  for all: the lr x C sweep;
* ``phase``: the same Adam on Reddi with C = 3 and lr = 0.1, 91 values of b1 x 90 of b2 (8,190
  configurations), each its own betas: the phase-diagram workload;
* ``yogi``: Yogi (optax profile: m0 = v0 = 1e-6, eps = 1e-3) on Reddi, as ``shared``;
* ``stochastic``: Adam on the stochastic family (C x with probability 0.3, else -x; the draws made
  once outside every kernel and shared by all implementations), as ``shared``.

The ceiling of a workload is the faster of ``../shared/bench/ceiling.py`` (Adam on Reddi only:
``shared`` and ``per_config``) and this file's own stripped loop for it (:func:`stripped_shared`,
:func:`stripped_phase`: blocks of ``W`` lanes in parallel, the per-step factors computed once per
step or carried per lane, the four summaries and freezing of optmath's sweeps, no fastmath).  The
target is at least 0.85 of the ceiling.  Peers are ratios, not targets: NumPy and PyTorch vectorised
over the configurations, a naive Numba loop (``prange`` over configurations, ``beta ** t`` per step)
and JAX ``jit(vmap(scan))`` written as a careful JAX user would (the running products of the betas
carried in the scan, no ``pow`` per step).  Every implementation's final iterates are compared with
optmath's.  Times are the best of ``--repeat`` warm runs; the generated kernel, the stripped loops and
the shared ceiling run in interleaved rounds (one run of each per round), so that a slow period of a
shared machine falls on all of them rather than on one.
"""
from __future__ import annotations

import argparse
import importlib.util
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from numba import njit, prange

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CEILING = ROOT.parent / "shared" / "bench" / "ceiling.py"
TARGET = 0.85
W = 64
P_STOCH = 0.3

from optmath.grid import Grid, sweep_grid  # noqa: E402


# -- the workloads, as optmath grids and as plain arrays ----------------------------------------

def spec_of(name: str, a) -> dict:
    """Arrays and constants of workload ``name`` (configurations in the grid's row-major order)."""
    T = a.steps
    if name == "phase":
        b1s, b2s = np.linspace(0.0, 0.9, a.n_b1), np.linspace(0.5, 0.9999, a.n_b2)
        B1, B2 = np.repeat(b1s, a.n_b2), np.tile(b2s, a.n_b1)
        n = B1.size
        grid = Grid.make("adam", "reddi:C=3", {"b1": b1s, "b2": b2s}, steps=T, profile="paper",
                         values={"lr": 0.1}, schedule="inv_sqrt", x0=0.0)
        return dict(grid=grid, b1=B1, b2=B2, lr=np.full(n, 0.1), C=np.full(n, 3.0), yogi=False, periodic=True,
                    m0=0.0, eps=1e-8, u=np.zeros(T))
    lrs, Cs = np.geomspace(1e-3, 1.0, a.n_lr), np.linspace(2.0, 10.0, a.n_c)
    lr, C = np.repeat(lrs, a.n_c), np.tile(Cs, a.n_lr)
    n = lr.size
    opt, prof, problem, eps, m0 = "adam", "paper", "reddi", 1e-8, 0.0
    if name == "yogi":
        opt, prof, eps, m0 = "yogi", "optax", 1e-3, 1e-6
    if name == "stochastic":
        problem = f"stochastic:p={P_STOCH},D=1"
    grid = Grid.make(opt, problem, {"lr": lrs, "C": Cs}, steps=T, profile=prof,
                     values={"b1": 0.9, "b2": 0.999, "eps": eps}, schedule="inv_sqrt", x0=0.0, seed=0)
    u = np.ascontiguousarray(grid.batch(0, 1).draws[:T], dtype=np.float64) if name == "stochastic" else np.zeros(T)
    return dict(grid=grid, b1=np.full(n, 0.9), b2=np.full(n, 0.999), lr=lr, C=C, yogi=name == "yogi",
                periodic=name != "stochastic", m0=m0, eps=eps, u=u)


# -- stripped loops (the ceiling candidates written here) --------------------------------------

@njit(inline="always")
def _slope(periodic, c, t, u):
    if periodic:
        return c if t % 3 == 1 else -1.0
    return c if u[t - 1] < P_STOCH else -1.0


@njit(inline="always")
def _optimum(periodic, c):
    if periodic:
        return -1.0
    return -1.0 if P_STOCH * c - (1.0 - P_STOCH) > 0.0 else 1.0


@njit(parallel=True, cache=True)
def stripped_shared(yogi, periodic, b1, b2, eps, m0, lr, C, T, u, divide=False):
    """Shared betas: the bias factors and 1/sqrt(t) once per step, the lanes in blocks of W.
    With ``divide`` each lane divides by the factors ``1 - b^t`` instead of multiplying by their
    reciprocals (as the generated kernels do): a diagnostic row, not a ceiling candidate."""
    n = lr.shape[0]
    fx = np.empty(n); reg = np.empty(n); mx = np.empty(n); bad = np.zeros(n, np.int64)
    c1s = np.empty(T); c2s = np.empty(T); h1s = np.empty(T); h2s = np.empty(T); rss = np.empty(T)
    p1 = 1.0; p2 = 1.0
    for t in range(1, T + 1):
        p1 *= b1; p2 *= b2
        h1s[t - 1] = 1.0 - p1; h2s[t - 1] = 1.0 - p2
        c1s[t - 1] = 1.0 / (1.0 - p1); c2s[t - 1] = 1.0 / (1.0 - p2); rss[t - 1] = 1.0 / math.sqrt(t)
    for blk in prange((n + W - 1) // W):
        lo = blk * W; hi = min(n, lo + W); w = hi - lo
        x = np.zeros(w); m = np.full(w, m0); v = np.full(w, m0)
        r = np.zeros(w); a = np.zeros(w); live = np.ones(w); stop = np.zeros(w)
        ll = lr[lo:hi].copy(); cc = C[lo:hi].copy(); xs = np.empty(w)
        for j in range(w):
            xs[j] = _optimum(periodic, cc[j])
        for t in range(1, T + 1):
            c1 = c1s[t - 1]; c2 = c2s[t - 1]; h1 = h1s[t - 1]; h2 = h2s[t - 1]; rs = rss[t - 1]
            for j in range(w):
                g = _slope(periodic, cc[j], t, u)
                r[j] += live[j] * (g * x[j] - g * xs[j])
                mj = b1 * m[j] + (1.0 - b1) * g
                if yogi:
                    d = v[j] - g * g
                    vj = v[j] - (1.0 - b2) * (1.0 if d > 0.0 else (-1.0 if d < 0.0 else 0.0)) * g * g
                else:
                    vj = b2 * v[j] + (1.0 - b2) * g * g
                if divide:
                    xn = x[j] - ll[j] * rs * (mj / h1) / (math.sqrt(vj / h2) + eps)
                else:
                    xn = x[j] - ll[j] * rs * (mj * c1) / (math.sqrt(vj * c2) + eps)
                xn = min(1.0, max(-1.0, xn))
                ok = live[j] * (xn - xn == 0.0)
                stop[j] += (live[j] - ok) * t
                live[j] = ok
                x[j] = xn if ok > 0.0 else x[j]; m[j] = mj if ok > 0.0 else m[j]
                v[j] = vj if ok > 0.0 else v[j]
                a[j] = max(a[j], abs(x[j]))
        for j in range(w):
            fx[lo + j] = x[j]; reg[lo + j] = r[j] / T; mx[lo + j] = a[j]; bad[lo + j] = int(stop[j])
    return fx, reg, mx, bad


@njit(parallel=True, cache=True)
def stripped_phase(b1, b2, eps, lr, C, T):
    """Own betas per lane: the running products carried per lane, 1/sqrt(t) once per step."""
    n = b1.shape[0]
    fx = np.empty(n); reg = np.empty(n); mx = np.empty(n); bad = np.zeros(n, np.int64)
    rss = np.empty(T)
    for t in range(1, T + 1):
        rss[t - 1] = 1.0 / math.sqrt(t)
    for blk in prange((n + W - 1) // W):
        lo = blk * W; hi = min(n, lo + W); w = hi - lo
        x = np.zeros(w); m = np.zeros(w); v = np.zeros(w); p1 = np.ones(w); p2 = np.ones(w)
        r = np.zeros(w); a = np.zeros(w); live = np.ones(w); stop = np.zeros(w)
        bb1 = b1[lo:hi].copy(); bb2 = b2[lo:hi].copy(); lrs = lr[lo:hi].copy(); cc = C[lo:hi].copy()
        for t in range(1, T + 1):
            big = t % 3 == 1
            rs = rss[t - 1]
            for j in range(w):
                c = cc[j]
                g = c if big else -1.0
                r[j] += live[j] * (g * x[j] + g)
                mj = bb1[j] * m[j] + (1.0 - bb1[j]) * g
                vj = bb2[j] * v[j] + (1.0 - bb2[j]) * g * g
                q1 = p1[j] * bb1[j]; q2 = p2[j] * bb2[j]
                xn = x[j] - lrs[j] * rs * (mj / (1.0 - q1)) / (math.sqrt(vj / (1.0 - q2)) + eps)
                xn = min(1.0, max(-1.0, xn))
                ok = live[j] * (xn - xn == 0.0)
                stop[j] += (live[j] - ok) * t
                live[j] = ok
                x[j] = xn if ok > 0.0 else x[j]; m[j] = mj if ok > 0.0 else m[j]
                v[j] = vj if ok > 0.0 else v[j]
                p1[j] = q1 if ok > 0.0 else p1[j]; p2[j] = q2 if ok > 0.0 else p2[j]
                a[j] = max(a[j], abs(x[j]))
        for j in range(w):
            fx[lo + j] = x[j]; reg[lo + j] = r[j] / T; mx[lo + j] = a[j]; bad[lo + j] = int(stop[j])
    return fx, reg, mx, bad


def stripped(name, s, T):
    if name == "phase":
        return lambda: stripped_phase(s["b1"], s["b2"], s["eps"], s["lr"], s["C"], T)[0]
    return lambda: stripped_shared(s["yogi"], s["periodic"], 0.9, 0.999, s["eps"], s["m0"], s["lr"], s["C"], T,
                                   s["u"])[0]


# -- peers ---------------------------------------------------------------------------------------

def _g(xp, s, C, t):
    if s["periodic"]:
        return C if (t - 1) % 3 == 0 else -xp.ones_like(C)
    return C if s["u"][t - 1] < P_STOCH else -xp.ones_like(C)


def numpy_peer(s, T):
    b1, b2, lr, C, eps = s["b1"], s["b2"], s["lr"], s["C"], s["eps"]
    x = np.zeros_like(lr); m = np.full_like(lr, s["m0"]); v = np.full_like(lr, s["m0"])
    p1 = np.ones_like(lr); p2 = np.ones_like(lr)
    for t in range(1, T + 1):
        g = _g(np, s, C, t)
        m = b1 * m + (1 - b1) * g
        v = v - (1 - b2) * np.sign(v - g * g) * g * g if s["yogi"] else b2 * v + (1 - b2) * g * g
        p1 = p1 * b1; p2 = p2 * b2
        x = np.clip(x - lr / math.sqrt(t) * (m / (1 - p1)) / (np.sqrt(v / (1 - p2)) + eps), -1.0, 1.0)
    return x


def torch_peer(s, T):
    import torch

    b1, b2, lr, C = (torch.from_numpy(s[k]) for k in ("b1", "b2", "lr", "C"))
    x = torch.zeros_like(lr); m = torch.full_like(lr, s["m0"]); v = torch.full_like(lr, s["m0"])
    p1 = torch.ones_like(lr); p2 = torch.ones_like(lr)
    with torch.no_grad():
        for t in range(1, T + 1):
            g = _g(torch, s, C, t)
            m.mul_(b1).add_((1 - b1) * g)
            if s["yogi"]:
                g2 = g * g
                v.sub_((1 - b2) * torch.sign(v - g2) * g2)
            else:
                v.mul_(b2).add_((1 - b2) * g * g)
            p1.mul_(b1); p2.mul_(b2)
            x.sub_(lr / math.sqrt(t) * (m / (1 - p1)) / ((v / (1 - p2)).sqrt_().add_(s["eps"]))).clamp_(-1.0, 1.0)
    return x.numpy()


@njit(parallel=True, cache=True, error_model="numpy")
def naive_numba(yogi, periodic, b1, b2, eps, m0, lr, C, T, u, out):
    for n in prange(lr.shape[0]):
        x, m, v = 0.0, m0, m0
        for t in range(1, T + 1):
            g = _slope(periodic, C[n], t, u)
            m = b1[n] * m + (1 - b1[n]) * g
            if yogi:
                d = v - g * g
                v = v - (1 - b2[n]) * (1.0 if d > 0 else (-1.0 if d < 0 else 0.0)) * g * g
            else:
                v = b2[n] * v + (1 - b2[n]) * g * g
            x = x - lr[n] / math.sqrt(t) * (m / (1 - b1[n] ** t)) / (math.sqrt(v / (1 - b2[n] ** t)) + eps)
            x = min(1.0, max(-1.0, x))
        out[n] = x


def jax_peer(s, T):
    """``jit(vmap(scan))``, the running products b1^t, b2^t carried in the scan with x, m, v."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    ts = jnp.arange(1, T + 1, dtype=jnp.float64)
    us = jnp.asarray(s["u"])
    periodic, yogi, eps, m0 = s["periodic"], s["yogi"], s["eps"], s["m0"]

    def one(b1, b2, lr, C):
        def body(carry, tu):
            x, m, v, p1, p2 = carry
            t, uu = tu
            g = jnp.where(jnp.mod(t - 1, 3) == 0, C, -1.0) if periodic else jnp.where(uu < P_STOCH, C, -1.0)
            m = b1 * m + (1 - b1) * g
            v = v - (1 - b2) * jnp.sign(v - g * g) * g * g if yogi else b2 * v + (1 - b2) * g * g
            p1, p2 = p1 * b1, p2 * b2
            x = jnp.clip(x - lr / jnp.sqrt(t) * (m / (1 - p1)) / (jnp.sqrt(v / (1 - p2)) + eps), -1.0, 1.0)
            return (x, m, v, p1, p2), None

        init = (jnp.float64(0.0), jnp.float64(m0), jnp.float64(m0), jnp.float64(1.0), jnp.float64(1.0))
        (x, *_), _ = jax.lax.scan(body, init, (ts, us))
        return x

    f = jax.jit(jax.vmap(one))
    args = tuple(jnp.asarray(s[k]) for k in ("b1", "b2", "lr", "C"))
    f(*args).block_until_ready()  # compile
    return lambda: np.asarray(f(*args).block_until_ready())


# -- measurement ---------------------------------------------------------------------------------

def best(fn, repeat):
    times, res = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = fn()
        times.append(time.perf_counter() - t0)
    return min(times), res


def shared_ceiling(name, s, T, repeat):
    """``../shared/bench/ceiling.py``'s loop for the Adam-on-Reddi workloads (None for the others)."""
    if name not in ("shared", "phase") or not CEILING.exists():
        return None
    if "ceiling" not in sys.modules:
        # imported once, from a copy in a temporary folder: Numba's cache of it goes there, not
        # into ../shared, and its index names a module that exists
        import shutil
        import tempfile

        copy = Path(tempfile.mkdtemp(prefix="optmath-ceiling-")) / "ceiling.py"
        shutil.copy(CEILING, copy)
        spec = importlib.util.spec_from_file_location("ceiling", copy)
        sys.modules["ceiling"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules["ceiling"])
    C = sys.modules["ceiling"]
    if name == "phase":
        return C.rate(C.per_config, (s["b1"], s["b2"], s["lr"], s["C"], T), s["lr"].size, T, repeat)
    return C.rate(C.shared, (0.9, 0.999, s["lr"], s["C"], T), s["lr"].size, T, repeat)


def measure(name, a, peers) -> dict:
    T = a.steps
    s = spec_of(name, a)
    grid, n = s["grid"], s["lr"].size
    work = n * T
    sweep_grid(grid, backend="blocked")  # compile or load
    fn = stripped(name, s, T)
    fn()  # compile or load
    cands = {"gen": lambda: sweep_grid(grid, backend="blocked").final_x, "own": fn}
    if name != "phase":  # diagnostic: the stripped loop dividing in every lane
        cands["div"] = lambda: stripped_shared(s["yogi"], s["periodic"], 0.9, 0.999, s["eps"], s["m0"], s["lr"],
                                               s["C"], T, s["u"], True)[0]
        cands["div"]()
    # interleaved rounds, one run of each per round, best of a.repeat rounds: a slow period of a
    # shared machine falls on every candidate of its round, not on one of them
    times = {k: [] for k in cands}
    res = {}
    shared_rates = []
    for _ in range(a.repeat):
        for k, f in cands.items():
            t0 = time.perf_counter()
            res[k] = f()
            times[k].append(time.perf_counter() - t0)
        r = shared_ceiling(name, s, T, 1)
        if r is not None:
            shared_rates.append(r)
    t_gen, ref = min(times["gen"]), res["gen"]
    t_own, own = min(times["own"]), res["own"]
    shared = max(shared_rates) if shared_rates else None
    rows = [("optmath generated blocked kernel", work / t_gen, 0.0),
            ("stripped loop (this file)", work / t_own, float(np.max(np.abs(own - ref))))]
    if "div" in cands:
        rows.append(("stripped loop dividing by 1 - b^t per lane (diagnostic)", work / min(times["div"]),
                     float(np.max(np.abs(res["div"] - ref)))))
    if shared is not None:
        rows.append(("shared/bench/ceiling.py", shared, float("nan")))
    ceiling = max(work / t_own, shared or 0.0)
    if "numba" in peers:
        out = np.empty(n)
        naive_numba(s["yogi"], s["periodic"], s["b1"][:2], s["b2"][:2], s["eps"], s["m0"], s["lr"][:2], s["C"][:2], 3,
                    s["u"], out[:2])
        t, _ = best(lambda: naive_numba(s["yogi"], s["periodic"], s["b1"], s["b2"], s["eps"], s["m0"], s["lr"], s["C"],
                                        T, s["u"], out), a.repeat)
        rows.append(("naive Numba loop (1 config/thread, pow per step)", work / t, float(np.max(np.abs(out - ref)))))
    if "numpy" in peers:
        t, res = best(lambda: numpy_peer(s, T), 1)
        rows.append(("NumPy vectorised over configs", work / t, float(np.max(np.abs(res - ref)))))
    if "torch" in peers:
        import torch

        # the faster of one thread and one per core (on small tensors, torch's threads can cost
        # more than they give: a careful user picks the setting)
        timed = []
        for threads in sorted({1, os.cpu_count() or 1}):
            torch.set_num_threads(threads)
            t, res = best(lambda: torch_peer(s, T), 1)
            timed.append((t, threads, res))
        t, threads, res = min(timed, key=lambda z: z[0])
        rows.append((f"PyTorch CPU vectorised (float64, {threads} thread{'s' if threads > 1 else ''})", work / t,
                     float(np.max(np.abs(res - ref)))))
    if "jax" in peers:
        f = jax_peer(s, T)
        t, res = best(f, a.repeat)
        rows.append(("JAX jit(vmap(scan)), running products carried", work / t, float(np.max(np.abs(res - ref)))))
    return {"n": n, "T": T, "rows": rows, "generated": work / t_gen, "ceiling": ceiling}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a quarter of the configurations, 1,000 steps")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peers", default="numba,numpy,torch,jax")
    ap.add_argument("--workloads", default="shared,phase,yogi,stochastic")
    ap.add_argument("--out", help="write the tables as Markdown")
    a = ap.parse_args(argv)
    a.steps, a.n_lr, a.n_c, a.n_b1, a.n_b2 = (1000, 32, 64, 46, 45) if a.quick else (3000, 64, 128, 91, 90)
    peers = set(filter(None, a.peers.split(",")))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")),
               platform.processor()) if os.path.exists("/proc/cpuinfo") else platform.processor()
    lines = [f"# Sweep workloads against their ceilings ({os.cpu_count()} cores, {cpu}, best of {a.repeat})", "",
             f"Command: `python benchmarks/bench_workloads.py {' '.join(argv if argv is not None else sys.argv[1:])}` "
             f"at commit {commit}; every figure measured in this run. Target: generated >= {TARGET} x ceiling "
             "(the faster of the stripped loop here and shared/bench/ceiling.py where it has the workload).", "",
             "| workload | configurations x steps | generated (config-steps/s) | ceiling | generated / ceiling | "
             f"target {TARGET} |", "|---|---|---|---|---|---|"]
    details = []
    for name in a.workloads.split(","):
        r = measure(name, a, peers)
        ratio = r["generated"] / r["ceiling"]
        lines.append(f"| {name} | {r['n']} x {r['T']} | {r['generated']:.3e} | {r['ceiling']:.3e} | {ratio:.2f} | "
                     f"{'met' if ratio >= TARGET else 'not met'} |")
        details += ["", f"## {name}", "", "| implementation | config-steps/s | generated kernel is | "
                    "max abs diff of final x vs optmath |", "|---|---|---|---|"]
        for label, rate, diff in r["rows"]:
            details.append(f"| {label} | {rate:.3e} | {r['generated'] / rate:.2f}x | "
                           f"{'-' if math.isnan(diff) else f'{diff:.1e}'} |")
        print(lines[-1], flush=True)
    text = "\n".join(lines + details) + "\n"
    print(text)
    if a.out:
        Path(a.out).write_text(text)


if __name__ == "__main__":
    main()
