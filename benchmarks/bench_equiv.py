"""Equivalence verdicts over the fixed set of pairs: time per pair, verdicts, and soundness.

Run: ``python benchmarks/bench_equiv.py [--jobs N] [--only SUBSTRING] [--out FILE]``.

The set is :func:`optmath.verify.equivalence.profile_pairs` (every pair of profiles of one
spec, the frameworks report's 55 among them).  Each pair is answered by
``equivalence(a, b)`` with its defaults (three symbolic steps, both questions), one pair per
process at a time, ``--jobs`` processes (default 2: the two cores of CI).  Printed: the slowest
pair's time against the target of 30 s, the verdict counts of both questions, every
INCONCLUSIVE verdict with its reason, and the share of INCONCLUSIVE (target at most 5%).  A
verdict contradicted by its numeric check is INCONCLUSIVE by construction, so the count of
contradictions is the count of inconclusive rule-level verdicts whose ``claimed`` kind differs.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import time
from collections import Counter

TARGET_PAIR_S = 30.0
TARGET_INCONCLUSIVE = 0.05


def one(pair):
    from optmath.verify.equivalence import equivalence

    a, b = pair
    t = time.perf_counter()
    try:
        r = equivalence(a, b)
        out = {"a": a, "b": b, "kind": r.kind, "claimed": r.claimed, "reason": r.reason,
               "assumptions": r.assumptions, "except_where": r.except_where,
               "first_difference": r.first_difference, "witness": r.witness is not None,
               "shipped": r.shipped.kind, "shipped_first_difference": r.shipped.constant_lr["first_difference"],
               "shipped_reason": r.shipped.constant_lr.get("reason") or r.shipped.changing_lr.get("reason"),
               "checks_ok": all(c["ok"] for c in r.checks)}
    except Exception as exc:  # noqa: BLE001 - a failing pair is reported, not hidden
        out = {"a": a, "b": b, "kind": "error", "reason": f"{type(exc).__name__}: {exc}"}
    out["seconds"] = time.perf_counter() - t
    return out


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", default=None, help="only pairs whose names contain this")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    from optmath.verify.equivalence import profile_pairs

    pairs = [p for p in profile_pairs() if a.only is None or a.only in p[0] + p[1]]
    t0 = time.perf_counter()
    with mp.get_context("spawn").Pool(a.jobs, maxtasksperchild=8) as pool:
        rows = pool.map(one, pairs, chunksize=1)
    wall = time.perf_counter() - t0
    slow = max(rows, key=lambda r: r["seconds"])
    rule = Counter(r["kind"] for r in rows)
    ship = Counter(r.get("shipped", "error") for r in rows)
    inc = [r for r in rows if r["kind"] in ("inconclusive", "error")]
    inc_s = [r for r in rows if r.get("shipped") == "inconclusive"]
    share = (len(inc) + len(inc_s)) / (2 * len(rows))
    print(f"{len(rows)} pairs in {wall:.0f} s with {a.jobs} processes ({platform.processor() or platform.machine()})")
    print(f"slowest pair: {slow['a']} vs {slow['b']}: {slow['seconds']:.1f} s (target <= {TARGET_PAIR_S:g} s: "
          f"{'met' if slow['seconds'] <= TARGET_PAIR_S else 'NOT met'})")
    print("rule-level verdicts: " + ", ".join(f"{k} {n}" for k, n in sorted(rule.items())))
    print("as shipped: " + ", ".join(f"{k} {n}" for k, n in sorted(ship.items())))
    print(f"inconclusive: {len(inc)} rule-level, {len(inc_s)} as shipped, {share:.1%} of {2 * len(rows)} verdicts "
          f"(target <= {TARGET_INCONCLUSIVE:.0%}: {'met' if share <= TARGET_INCONCLUSIVE else 'NOT met'})")
    for r in inc:
        print(f"  {r['a']} vs {r['b']} (rules): {r.get('claimed')} contradicted: {r['reason']}")
    for r in inc_s:
        print(f"  {r['a']} vs {r['b']} (as shipped): {r['shipped_reason']}")
    out = {"pairs": len(rows), "jobs": a.jobs, "wall_s": wall, "slowest": {k: slow[k] for k in ("a", "b", "seconds")},
           "target_pair_s": TARGET_PAIR_S, "rule_counts": dict(rule), "shipped_counts": dict(ship),
           "inconclusive_share": share, "rows": sorted(rows, key=lambda r: -r["seconds"]),
           "machine": platform.processor() or platform.machine()}
    if a.out:
        with open(a.out, "w") as f:
            json.dump(out, f, indent=1, default=str)
    return out


if __name__ == "__main__":
    main()
