"""Certification speed: the interval replay against the mpmath replay it replaced, and the certified search.

Run: ``python benchmarks/bench_certify.py [--quick] [--repeat N] [--out FILE]``.

Workloads (issue 20), all on the PyTorch-betas counterexample that ``optmath search --fails adam
--converges yogi --b1 0.9 --b2 0.999`` finds (Reddi's periodic family, lr/sqrt(t)):

* ``replay``: one method's rigorous replay of ``MP_STEPS`` steps, by the generated interval kernel
  and by the 30-digit mpmath replay of the same equations (the certification before), with their
  agreement (every mpmath iterate inside the enclosure) and the enclosure's width; the ratio is
  mpmath time / interval time.  The ceiling is the float64 kernel's own run of the same steps
  (``optmath.kernels.runner.run``): the interval replay's cost over it is the price of rigour.
* ``long``: the interval replay of 10^7 steps (what the mpmath replay could not reach).
* ``search``: the first certified counterexample, warm (kernels compiled and cached), best of
  ``--repeat``: the target is at most 15 s on two cores.
"""
from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

TARGET_SEARCH_S = 15.0
MP_STEPS = 20_000
LONG_STEPS = 10_000_000


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2,000 mpmath steps and 10^6 long steps")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    mp_steps, long_steps = (2_000, 1_000_000) if a.quick else (MP_STEPS, LONG_STEPS)

    from optmath.kernels.runner import learning_rates, run
    from optmath.problems import linear_gradients
    from optmath.search.search import _problem, resolve_method, search
    from optmath.verify.replay import interval_replay, replay

    search("adam", ("yogi",), b1=0.9, b2=0.999)  # warm: compile and cache every kernel once
    t_search = best(lambda: search("adam", ("yogi",), b1=0.9, b2=0.999), a.repeat)
    rec = search("adam", ("yogi",), b1=0.9, b2=0.999).record
    prob = _problem(rec["family"], rec["params"])
    out = {"search_s": t_search, "search_target_s": TARGET_SEARCH_S, "certified": rec["certified"],
           "problem": rec["params"], "lr": rec["lr"], "methods": {}}
    print(f"certified search (PyTorch betas), warm, best of {a.repeat}: {t_search:.2f} s "
          f"(target <= {TARGET_SEARCH_S:g} s: {'met' if t_search <= TARGET_SEARCH_S else 'NOT met'}); "
          f"certified: {rec['certified']}")
    for m in ("adam", "yogi"):
        alg = resolve_method(m, rec["lr"], 0.9, 0.999, 1e-8, None, None)
        G = linear_gradients(prob, mp_steps, 0)
        lrs = learning_rates(rec["lr"], rec["schedule"], mp_steps)
        interval_replay(alg, G[:10], x0=1.0, lrs=lrs[:10], lo=prob.lo, hi=prob.hi)  # compiled
        t_iv = best(lambda: interval_replay(alg, G, x0=1.0, lrs=lrs, lo=prob.lo, hi=prob.hi), a.repeat)
        t_f64 = best(lambda: run(alg, G[:, None], x0=1.0, schedule=lrs, lo=prob.lo, hi=prob.hi), a.repeat)
        t0 = time.perf_counter()
        r = replay(alg, G, x0=1.0, lrs=lrs, dps=30, lo=prob.lo, hi=prob.hi)
        t_mp = time.perf_counter() - t0
        enc = interval_replay(alg, G, x0=1.0, lrs=lrs, lo=prob.lo, hi=prob.hi)
        Gl = linear_gradients(prob, long_steps, 0)
        ll = learning_rates(rec["lr"], rec["schedule"], long_steps)
        t0 = time.perf_counter()
        long = interval_replay(alg, Gl, x0=1.0, lrs=ll, lo=prob.lo, hi=prob.hi)
        t_long = time.perf_counter() - t0
        row = {"steps": mp_steps, "interval_s": t_iv, "mpmath_s": t_mp, "float64_s": t_f64,
               "mpmath_over_interval": t_mp / t_iv, "interval_over_float64": t_iv / t_f64,
               "mpmath_inside": enc.contains(r.exact), "max_width": enc.max_width,
               "long_steps": long_steps, "long_s": t_long, "long_lost_step": long.lost_step,
               "long_max_width": long.max_width}
        out["methods"][m] = row
        print(f"{m}: {mp_steps:,} steps: interval {t_iv * 1e3:.1f} ms, mpmath (30 digits) {t_mp:.2f} s "
              f"-> {t_mp / t_iv:,.0f}x faster; float64 kernel {t_f64 * 1e3:.1f} ms (interval costs "
              f"{t_iv / t_f64:.1f}x the float64 run); mpmath inside the enclosure: {row['mpmath_inside']}; "
              f"width <= {enc.max_width:.2e}")
        print(f"{m}: {long_steps:,} steps by the interval replay: {t_long:.2f} s, "
              f"{'enclosure lost at step ' + str(long.lost_step) if long.lost_step else 'whole horizon'}, "
              f"width <= {long.max_width:.2e}")
    out["machine"] = {"python": platform.python_version(), "processor": platform.processor() or platform.machine()}
    if a.out:
        with open(a.out, "w") as f:
            json.dump(out, f, indent=2)
    return out


if __name__ == "__main__":
    main()
