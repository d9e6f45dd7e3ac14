"""Issue 21: the errors an independent audit found in the prose of the reports, each with a test
that would have caught it.  The expected numbers are computed here independently of optmath
(exact rationals, mpmath, plain loops) and compared with the stored results and the rendered
text."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import mpmath
import pytest

from optmath.report.build import load

ROOT = Path(__file__).parent.parent
REPORTS = ROOT / "reports"


def _md(topic: str) -> str:
    return (REPORTS / topic / f"{topic}.md").read_text()


def _proof(topic: str, name: str) -> dict:
    (p,) = [p for p in load(topic, REPORTS)["proofs"] if p["name"] == name]
    return p


# --- 1. the first case of Kingma & Ba's bound is not attained and not a bound over all streams
def _sup(b1, b2, t):
    """sup over streams of |step|/lr (Cauchy-Schwarz), at mpmath's precision."""
    s = mpmath.fsum((b1**2 / b2) ** k for k in range(t))
    return (1 - b1) / (1 - b1**t) * mpmath.sqrt((1 - b2**t) / (1 - b2)) * mpmath.sqrt(s)


def test_1_first_case_bound_is_exceeded_over_all_streams_and_only_approached_by_the_sparse_step():
    with mpmath.workdps(50):
        b1, b2 = mpmath.mpf("0.9"), mpmath.mpf("0.999")
        bound = (1 - b1) / mpmath.sqrt(1 - b2)
        first = next(t for t in range(1, 1001) if _sup(b1, b2, t) > bound)
        sup1000 = float(_sup(b1, b2, 1000))
        limit = float(bound / mpmath.sqrt(1 - b1**2 / b2))
        spike = [(1 - b1) * mpmath.sqrt(1 - b2**t) / ((1 - b1**t) * mpmath.sqrt(1 - b2)) for t in range(1, 3001)]
        assert all(s < bound for s in spike)
    assert first == 210 and round(sup1000, 2) == 5.78 and round(limit, 2) == 7.27
    (case,) = [c for c in load("adam-bounds", REPORTS)["cases"] if (c["b1"], c["b2"]) == ("0.9", "0.999")]
    assert case["first_case"] and case["spike_below_limit"] is True
    assert case["sup_above_bound"]["first"] == first and case["sup_above_bound"]["holds_after"]
    assert abs(case["sup_limit"] - limit) < 1e-12 * limit
    md = _md("adam-bounds")
    assert "The second is not a bound over all streams" not in md  # the old text, which spared the first
    assert "approaches it from below and never attains it" in md
    assert f"it exceeds it from $t = {first}$ on" in md and "tends to $7.27029\\,\\eta$" in md
    doc = (ROOT / "proofs" / "bounds" / "kingma_ba_sparse_case.py").read_text()
    assert "attained\n    when" not in doc and "never\n    attains it" in doc
    refute = _proof("adam-bounds", "bounds/refute_kingma_ba_first_case_bound")
    assert refute["status"] == "refuted" and refute["data"]["first_t_above_bound"] == first
    assert refute["numbers_agree"] is True and refute["value"] > refute["reference"]


# --- 2. "exceeds lr for t >= 2": the sparse step exceeds lr from t = 106
def _first_above_lr(b1: Fraction, b2: Fraction, t_max: int) -> int:
    for t in range(1, t_max + 1):
        if (1 - b1) ** 2 * (1 - b2**t) > (1 - b1**t) ** 2 * (1 - b2):
            return t
    raise AssertionError("never above lr")


def test_2_sparse_step_exceeds_lr_from_106_not_from_2():
    first = _first_above_lr(Fraction(9, 10), Fraction(999, 1000), 200)
    assert first == 106
    for topic in ("adam-bounds", "proofs"):
        p = _proof(topic, "bounds/refute_adam_step_at_most_lr")
        assert p["data"]["first_t_above_lr"] == first and p["data"]["above_at_every_later_t"] is True
        assert f"step > lr from t = {first} on" in p["symbolic"]
        assert "exceeds lr for t >= 2" not in _md(topic)
    (case,) = [c for c in load("adam-bounds", REPORTS)["cases"] if (c["b1"], c["b2"]) == ("0.9", "0.999")]
    assert case["spike_above_lr"] == {"first": first, "holds_after": True, "last": case["spike_above_lr"]["last"]}
    assert f"exceeds $\\eta$ from $t = {first}$ on" in _md("adam-bounds")


# --- 3. the heavy-ball step counts at the optimal tuning (a Jordan block, t rho^t)
def _hb_count(kappa: int, h: float, tol: float = 1e-6) -> int:
    """Steps until |x_t| <= tol at every later step, heavy ball on h x^2/2 from x_0 = 1 at rest."""
    with mpmath.workdps(30):
        L = mpmath.mpf(kappa)
        lr = (2 / (mpmath.sqrt(L) + 1)) ** 2
        mu = ((mpmath.sqrt(L) - 1) / (mpmath.sqrt(L) + 1)) ** 2
        x, prev, last = mpmath.mpf(1), mpmath.mpf(1), 0
        n = 4 * int(mpmath.ceil(mpmath.log(tol) / mpmath.log(mpmath.sqrt(mu))))
        for t in range(1, n + 1):
            x, prev = x - lr * h * x + mu * (x - prev), x
            if abs(x) > tol:
                last = t
        return last + 1


def test_3_heavy_ball_steps_count_the_jordan_block():
    tuning = {t["kappa"]: t for t in load("momentum", REPORTS)["tuning"]}
    t100 = tuning[100]
    assert t100["hb_steps_rate_only"] == 69  # ceil(ln 1e-6 / ln rho): the old column
    assert (t100["hb_steps_l"], t100["hb_steps_L"]) == (_hb_count(100, 1.0), _hb_count(100, 100.0)) == (83, 95)
    for kappa, t in tuning.items():
        assert t["hb_steps_l"] == _hb_count(kappa, 1.0) and t["hb_steps_L"] == _hb_count(kappa, float(kappa))
        assert t["hb_steps_kernel_l"] == t["hb_steps_l"] and t["hb_steps_kernel_L"] == t["hb_steps_L"]
        assert t["double_root_at_both_ends"] and max(t["hb_steps_l"], t["hb_steps_L"]) > t["hb_steps_rate_only"]
    md = _md("momentum")
    assert "| 100 |" in md and "| 69 | 83 / 95 |" in md and "Jordan block" in md


# --- 4. "negligible after about 20 steps": which quantity, which tolerance
def test_4_negligible_after_20_steps_names_its_quantity_and_tolerance():
    b1, b2 = Fraction(9, 10), Fraction(999, 1000)
    factor20 = 1 / (1 - b1**20)
    assert round(float(factor20), 3) == 1.138
    first_factor = next(t for t in range(1, 10000) if 1 / (1 - b2**t) <= Fraction(101, 100))
    first_weight = next(t for t in range(1, 10000) if b2**t <= Fraction(1, 100))
    assert (first_factor, first_weight) == (4613, 4603)
    b1_1pct = next(t for t in range(1, 100) if 1 / (1 - b1**t) <= Fraction(101, 100))
    p = _proof("ema", "ema/refute_correction_negligible_after_20_steps")
    assert p["data"]["b1_factor_at_t"] == pytest.approx(float(factor20), rel=1e-15)
    assert p["data"]["b1_first_t_factor_within_1pct"] == b1_1pct == 44
    assert p["data"]["first_t_factor_within_1pct"] == first_factor
    assert p["data"]["first_t_weight_within_1pct"] == first_weight
    doc = (ROOT / "proofs" / "ema" / "refute_correction_negligible_after_20_steps.py").read_text()
    assert "holds for b1 = 0.9 (about 44" not in doc
    md = _md("ema")
    assert "22 steps to\n10%" not in md and "(22 steps to 10%)" not in md  # b1 at 10% against b2 at 1%
    claim = {(c["beta"], c["delta"]): c for c in load("ema", REPORTS)["claim"]}
    assert claim[("0.9", "0.01")]["holds"] is False and claim[("0.999", "0.01")]["factor_steps"] == first_factor
    assert claim[("0.999", "0.01")]["weight_steps"] == first_weight
    assert "| 0.999 | 0.01 | 50.4767 | no | 4,603 | 4,613 |" in md


# --- 5. the smaller items
def test_5a_window_is_not_called_a_normalised_sum():
    md = _md("ema")
    assert "(normalised)" not in md and "they sum to 1" in md


def test_5b_keras_small_step_is_eps_hat_together_with_the_larger_eps():
    import numpy as np

    from optmath.kernels.runner import run
    from optmath.optimizers import get_spec

    k = load("frameworks", REPORTS)["keras_parts"]

    def step(profile, eps):  # step 1 / lr at g: |g| / (|g| + eps_pytorch_form)
        return float(abs(run(get_spec("adam").resolve(profile, lr=2.0**-10, eps=eps), np.array([[k["g"]]])).xs[1, 0])
                     / 2.0**-10)

    # the report's numbers are the kernel's: recomputed when the kernels change (optmath report --compute)
    assert k["keras"] == step("keras", 1e-7) and k["eps_hat_alone"] == step("keras", 1e-8)
    assert k["larger_eps_alone"] == step("pytorch", 1e-7)
    # independent: PyTorch form |g|/(|g| + eps); eps-hat form |g|/(|g| + eps/sqrt(1 - b2)) at t = 1
    g, s = 1e-6, (1 - 0.999) ** 0.5
    assert k["keras"] == pytest.approx(g / (g + 1e-7 / s), rel=1e-9)
    assert k["eps_hat_alone"] == pytest.approx(g / (g + 1e-8 / s), rel=1e-9)
    assert k["larger_eps_alone"] == pytest.approx(g / (g + 1e-7), rel=1e-9)
    md = _md("frameworks")
    assert "is the eps-hat convention:" not in md
    assert "eps-hat together with the larger eps" in md


def test_5c_a_drift_certificate_is_not_shown_as_a_verdict_on_the_run():
    d = load("counterexamples", REPORTS)
    first = d["found"][0]
    own = first["trajectories"]["classes"]
    assert "amsgrad" in first["record"]["certificate"]["drift_value"] and "amsgrad" not in first["record"]["converges"]
    md = _md("counterexamples")
    if own["amsgrad"]["class"] != "converges":
        assert f"amsgrad's drift points towards the optimum, but its own run on this problem is " \
               f"**{own['amsgrad']['class']}**" in md
    assert "the method's own run" in md


def test_5d_demo_explains_first_order_bound_exceeded_next_to_certified():
    import copy
    import json

    from optmath import demo

    result = json.loads((REPORTS / "demo" / "demo.json").read_text())
    md = (REPORTS / "demo" / "demo.md").read_text()
    assert md == demo.markdown(result)  # the committed report is the rendering of its JSON
    rec = result["counterexample"]["record"]
    exceeded = [m for m, rep in rec["replay"].items() if not rep["spot_check"]["bound_holds"]]
    assert exceeded, "the committed demo has no exceeded bound to explain"
    assert [n["method"] for n in result["counterexample"]["bound_notes"]] == exceeded
    for m in exceeded:
        (line,) = [ln for ln in md.splitlines() if f"first-order bound exceeded for {m} means" in ln]
        rep = rec["replay"][m]
        assert f"{rep['spot_check']['max_error']:.2e}" in line and f"{rep['max_width']:.2e}" in line
        assert f"over all {rec['steps']:,} steps" in line and "'certified' stands" in line
        assert rep["full_horizon"] and rep["class"] == rec["verdicts"][m]["class"] and rec["certified"]
    for ln in md.splitlines():  # every mention in the summary block says what it means right there
        if "first-order rounding bound exceeded" in ln:
            assert "informational, the certificate rests on the enclosure" in ln
    # the words follow the numbers: a spot check outside the enclosure makes the note say FAILS
    bad = copy.deepcopy(rec)
    bad["replay"][exceeded[0]]["spot_check"]["inside_enclosure"] = False
    (note,) = [n for n in demo.bound_notes(bad) if n["method"] == exceeded[0]]
    text = demo.bound_note_text(note)
    assert "they do NOT" in text and "the certificate FAILS on this method" in text
    other = copy.deepcopy(rec)
    other["replay"][exceeded[0]]["class"] = "inconclusive"
    (note,) = [n for n in demo.bound_notes(other) if n["method"] == exceeded[0]]
    assert "DIFFERS from the kernel's" in demo.bound_note_text(note)
    short = copy.deepcopy(rec)
    short["replay"][exceeded[0]].update(full_horizon=False, steps=1000)
    (note,) = [n for n in demo.bound_notes(short) if n["method"] == exceeded[0]]
    assert f"over only 1,000 of {rec['steps']:,} steps" in demo.bound_note_text(note)


# --- 6. adam_failure_b2 missed a root above its scan (it stopped at b2 = 0.999)
def _drift(C, b2, n, D=1):
    """Adam's per-period drift at b1 = 0 from the geometric series of every phase (O(n^2),
    independent of optmath's closed form)."""
    C, D = mpmath.mpf(C), mpmath.mpf(D)
    u = [C**2] + [D**2] * (n - 1)
    g = [C] + [-D] * (n - 1)
    total = mpmath.mpf(0)
    for k in range(n):
        v = (1 - b2) / (1 - b2**n) * mpmath.fsum(b2**j * u[(k - j) % n] for j in range(n))
        total += g[k] / mpmath.sqrt(v)
    return total


def test_6_adam_failure_b2_finds_a_root_above_0_999():
    import time

    from optmath.search.certify import adam_drift_b1_zero, adam_drift_b1_zero_mp, adam_failure_b2

    start = time.perf_counter()
    r = adam_failure_b2(100, n=100)
    took = time.perf_counter() - start
    assert r is not None and r == pytest.approx(0.99959473846352, rel=1e-12) and r > 0.999
    assert took < 5, f"adam_failure_b2(100, n=100) took {took:.1f} s"
    with mpmath.workdps(30):  # the independent drift changes sign across the root
        below, above = _drift(100, mpmath.mpf(r) - mpmath.mpf("1e-9"), 100), _drift(100, mpmath.mpf(r) + mpmath.mpf("1e-9"), 100)
        assert below < 0 < above
        assert abs(_drift(100, mpmath.mpf(r), 100)) < 1e-6
    # the O(n) closed form equals the SymPy sum of geometric series (n = 5) and the drift here
    import sympy as sp

    for b2 in ("0.3", "0.9", "0.999"):
        exact = float(adam_drift_b1_zero(sp.Rational(7, 2), sp.Rational(b2), 5))
        with mpmath.workdps(30):
            mine = float(_drift(mpmath.mpf("3.5"), mpmath.mpf(b2), 5))
        assert float(adam_drift_b1_zero_mp(3.5, b2, 5)) == pytest.approx(exact, rel=1e-12, abs=1e-14)
        assert mine == pytest.approx(exact, rel=1e-12, abs=1e-14)
    # the stored edges of the counterexamples report are found again (C = 3: b2* = 0.4723...)
    for e in load("counterexamples", REPORTS)["edge_b2"]:
        assert adam_failure_b2(e["C"]) == pytest.approx(e["b2_star"], rel=1e-12)


def test_6_report_does_not_claim_one_signed_drift_where_the_scan_found_none():
    md = _md("counterexamples")
    assert "drift keeps one sign" not in md
