"""The literature topic (issue 21, point 5): every published row is present with its citation and a
computed value, the agreement column follows from the stored numbers by each row's rule (checked
here by rules written again), every numeral of the committed report traces to the stored results or
the reviewed table, perturbed numbers change the verdicts and the prose, and a few rows are
recomputed, by optmath and independently of it, against the stored results."""
from __future__ import annotations

import copy
import math
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np
import pytest

from optmath.report.build import load, render
from optmath.report.prose import report_untraceable
from optmath.report.topics import TOPICS, module

ROOT = Path(__file__).parent.parent
REPORTS = ROOT / "reports"
lit = module("literature")


@pytest.fixture(scope="module")
def data():
    return load("literature", REPORTS)


@pytest.fixture(scope="module")
def md():
    return (REPORTS / "literature" / "literature.md").read_text()


def _render(d: dict) -> str:
    return render(d, ("md",))["literature.md"].decode()


def _row(d: dict, rid: str) -> dict:
    (r,) = [r for r in d["rows"] if r["id"] == rid]
    return r


# --- presence -----------------------------------------------------------------------------------
def test_the_topic_is_registered_and_offered(tmp_path, md):
    """``optmath report literature`` renders Markdown and HTML from the stored results (no cli.py change)."""
    import shutil

    from click.testing import CliRunner

    from optmath.cli import cli

    assert "literature" in TOPICS
    out = CliRunner().invoke(cli, ["report", "--list"])
    assert out.exit_code == 0 and "literature" in out.output
    (tmp_path / "literature").mkdir()
    shutil.copy(REPORTS / "literature" / "results.json", tmp_path / "literature" / "results.json")
    out = CliRunner().invoke(cli, ["report", "literature", "--out", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "literature" / "literature.md").read_text() == md
    page = (tmp_path / "literature" / "literature.html").read_text()
    assert page == (REPORTS / "literature" / "literature.html").read_text() and "<table" in page


def test_every_published_row_is_present_with_its_citation_and_a_computed_value(data, md):
    ids = [r["id"] for r in lit.PUBLISHED]
    assert len(ids) >= 10 and len(set(ids)) == len(ids)
    assert [r["id"] for r in data["rows"]] == ids
    sources = {r["source"].split(" (")[0] for r in lit.PUBLISHED}
    assert {"Reddi, Kale & Kumar", "Goh", "Kingma & Ba"} <= sources and any(s.startswith("Zhang") for s in sources)
    for r, pub in zip(data["rows"], lit.PUBLISHED):
        for key in ("source", "where", "setting", "statement", "kind"):
            assert r[key] == pub[key] and r[key], (r["id"], key)
        assert r["computed"] is not None and r["how"], r["id"]
        esc = [r[k].replace("|", r"\|") for k in ("source", "where", "setting", "statement")]
        lines = [ln for ln in md.splitlines() if ln.startswith("| ") and all(e in ln for e in esc)]
        assert len(lines) == 1 and lines[0].count(" | ") == 5, r["id"]


def test_published_values_are_the_formulas_at_their_settings(data):
    """Evaluated again here with exact fractions (no SymPy)."""
    want = {"reddi-t1-regret": Fraction(2 * 3 - 4, 3), "reddi-t1-edge": Fraction(1, 1 + 3**2),
            "reddi-t2-edge": Fraction(999, 1000), "goh-gd-optimal": Fraction(100 - 1, 100 + 1),
            "goh-hb-optimal": Fraction(10 - 1, 10 + 1), "goh-stability": 2 + 2 * Fraction(1, 2),
            "goh-critical": 1 - Fraction(1, 2), "kb-second-case": Fraction(1),
            "kb-bias": 1 - Fraction(999, 1000) ** 10}
    for rid, v in want.items():
        assert _row(data, rid)["published"] == pytest.approx(float(v), rel=1e-15), rid
    kb = math.sqrt(1 - 0.999)
    assert _row(data, "kb-first-case")["published"] == pytest.approx(0.1 / kb, rel=1e-14)
    assert all(_row(data, r)["published"] is None for r in ("zhang-region-n", "zhang-region-b2", "zhang-general-a"))


# --- agreement: the rule of each kind, written again --------------------------------------------
def _independent_verdict(r: dict, inputs: dict) -> bool:
    c, p, x, tol = r["computed"], r["published"], r["extra"], inputs["exact_tol"]
    kind = r["kind"]
    if kind in ("exact", "limit"):
        return abs(c - p) <= tol * max(1, abs(p))
    if kind == "at least":
        return c >= p - tol * max(1, abs(p))
    if kind == "at most":
        return c <= p + tol * max(1, abs(p))
    if kind == "near":
        return abs(c - p) <= inputs["near_tol"]
    if kind == "below edge":
        return p < c and x.get("wrong_end", True)
    if kind == "symbolic":
        ok = all(x["symbolic_equal"].values()) and abs(c - p) <= tol * max(1, abs(p))
        return ok and ("kernel_rate" not in x or abs(x["kernel_rate"] - c) <= inputs["kernel_rate_tol"])
    if kind == "grows":
        return x["bad_large"] > x["bad_small"]
    if kind == "shrinks":
        s = x["shares"]
        return all(b <= a for a, b in zip(s, s[1:])) and s[-1] < s[0]
    if kind == "small b2 diverges":
        return x["diverging_per_b2"][0] > 0 and x["diverging_per_b2"][-1] == 0
    raise AssertionError(kind)


def test_agreement_is_computed_from_the_stored_numbers(data, md):
    inputs = data["inputs"]
    verdicts = [lit.verdict(r, inputs) for r in data["rows"]]
    assert [ok for ok, _ in verdicts] == [_independent_verdict(r, inputs) for r in data["rows"]]
    agree = sum(ok for ok, _ in verdicts)
    assert data["agreeing"] == agree and f"{agree} of {len(data['rows'])} agree by their rules" in md
    for r, (ok, cell) in zip(data["rows"], verdicts):
        assert cell.startswith("yes") == ok and cell.replace("|", r"\|") in md, r["id"]
    # the disagreements stay in the table, with the computed numbers that explain them
    off = {r["id"] for r, (ok, _) in zip(data["rows"], verdicts) if not ok}
    assert off == {"kb-first-case", "kb-second-case"}
    first = _row(data, "kb-first-case")
    assert first["extra"]["first_t_above"] == 210 and "exceeds the bound from t = 210" in md


def test_the_committed_report_is_its_stored_results_rendered(data, md):
    assert _render(data) == md


# --- numerals -----------------------------------------------------------------------------------
def test_every_numeral_of_the_report_is_traceable_and_a_typed_one_is_not(data, md):
    assert report_untraceable(md, data, lit.INPUTS) == {}
    typed = md.replace("## The (b1, b2) grids", "Adam fails from t = 4242 on.\n\n## The (b1, b2) grids", 1)
    assert report_untraceable(typed, data, lit.INPUTS) == {"body": ["4242"]}


# test_prose_numbers.py::test_topic_modules_type_no_number_into_their_prose covers this module too
# (it runs over every topic).


# --- mutations: a changed number changes the verdict and the prose -------------------------------
MUTATIONS = [
    ("kb-first-case", ("computed",), 3.0, "yes (limit 3 <= 3.16228)"),
    ("reddi-s5-online-amsgrad", ("computed",), 0.5, "no: off by 1.5, more than 0.1"),
    ("reddi-t1-regret", ("computed",), 0.5, "no: computed 0.5 is below the stated lower bound 0.666667"),
    ("goh-stability", ("computed",), 3.5, "no: the computed value exceeds the published one by 0.5"),
    ("reddi-t2-edge", ("computed",), 0.99, "no: the published b2 = 0.999 exceeds the edge b2* = 0.99"),
    ("zhang-region-n", ("extra", "bad_large"), 2, "no: 3 of 15 cells do not converge at n = 5, 2 of 15 at n = 20"),
    ("kb-sparse", ("computed",), 3.5, "no: the limit is 3.5"),
]


@pytest.mark.parametrize("rid,path,value,text", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_perturbing_a_stored_number_changes_the_verdict_and_the_prose(data, md, rid, path, value, text):
    changed = copy.deepcopy(data)
    row = _row(changed, rid)
    cur = row
    for k in path[:-1]:
        cur = cur[k]
    before_ok = lit.verdict(row, changed["inputs"])[0]
    assert cur[path[-1]] != value and text not in md
    cur[path[-1]] = value
    after_ok, cell = lit.verdict(row, changed["inputs"])
    out = _render(changed)
    assert after_ok != before_ok and text in cell and text in out
    n = sum(lit.verdict(r, changed["inputs"])[0] for r in changed["rows"])
    assert f"{n} of {len(changed['rows'])} agree" in out and n != data["agreeing"]


# --- bounded recomputation against the stored results ----------------------------------------------
def test_the_sparse_row_says_whether_the_bound_is_attained(data, md):
    """The verdict is about the limit; the words about finite t follow the stored scan."""
    assert "approached, never attained" in md
    changed = copy.deepcopy(data)
    _row(changed, "kb-sparse")["extra"]["first_t_above"] = 1500
    out = _render(changed)
    assert "exceeds it from t = 1,500" in out and "exceeds it from t = 1,500" not in md


def test_reddi_theorem_1_rows_recomputed_by_optmath_and_by_a_plain_loop(data):
    from optmath.kernels.runner import run
    from optmath.optimizers import get_spec
    from optmath.problems import make_problem
    from optmath.search.certify import adam_failure_b2

    t1 = data["inputs"]["reddi_t1"]
    C, T = t1["C"], t1["steps"]
    alg = get_spec("adam").resolve("paper", {"bias_correction": "none"}, lr=t1["lr"], b1=0.0, b2=1 / (1 + C * C),
                                   eps=0.0)
    tr = run(alg, problem=make_problem("reddi", C=C), steps=T, x0=t1["x0"], schedule="inv_sqrt")
    end, regret = _row(data, "reddi-t1-endpoint"), _row(data, "reddi-t1-regret")
    assert float(tr.xs[0::3, 0].min()) == end["computed"] and float(tr.regrets.sum() / T) == regret["computed"]
    # plain Python: v = b2 v + (1 - b2) g^2, x = clip(x - lr/sqrt(t) g/sqrt(v)), regret against x* = -1
    b2, x, v, total, rare = 1 / (1 + C * C), t1["x0"], 0.0, 0.0, []
    for t in range(1, T + 1):
        g = C if t % 3 == 1 else -1.0
        if t % 3 == 1:
            rare.append(x)
        total += g * (x + 1)
        v = b2 * v + (1 - b2) * g * g
        x = min(1.0, max(-1.0, x - t1["lr"] / math.sqrt(t) * g / math.sqrt(v)))
        if t == 1:
            x2 = x
    assert min(rare) == 1.0 and x2 == pytest.approx(end["extra"]["x_2"], rel=1e-12)
    assert total / T == pytest.approx(regret["computed"], rel=1e-9) and total / T >= (2 * C - 4) / 3
    assert adam_failure_b2(C) == _row(data, "reddi-t1-edge")["computed"]
    t2 = data["inputs"]["reddi_t2"]
    assert adam_failure_b2(t2["C"], n=t2["n"], D=t2["D"]) == _row(data, "reddi-t2-edge")["computed"]


def test_zhang_general_a_gradient_and_reference_run_recomputed(data):
    """Function (2) summed over its components is x (x >= -1) and (x+2)^2/2 + const below, for every
    a; the reference-step run at one cell is the plain-Python Adam on the same gradient."""
    z = data["inputs"]["zhang"]
    n, a = z["a_n"], _row(data, "zhang-general-a")["extra"]["a"]
    assert a == 1 / (n - 1) ** 2
    for aa in (1.0, a, 0.3):
        for x in (-3.5, -2.0, -1.0, 0.4):
            s = sum(lit.zhang_gradient(x, i, n, aa) for i in range(n))
            assert s == pytest.approx(1.0 if x >= -1 else x + 2, abs=1e-12)
    from optmath.optimizers import get_spec

    steps = 3000
    b1, b2, lr = z["b1"][0], z["b2"][0], z["lr"]
    xs = lit.run_zhang(get_spec("adam").resolve("pytorch", lr=lr, b1=b1, b2=b2), n, a, steps, z["x0"])
    x, m, v = z["x0"], 0.0, 0.0
    for t in range(1, steps + 1):  # PyTorch's Adam, eps = 1e-8
        g = lit.zhang_gradient(x, (t - 1) % n, n, a)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        x = x - lr / (1 - b1**t) * m / (math.sqrt(v) / math.sqrt(1 - b2**t) + 1e-8)
    assert xs[-1] == pytest.approx(x, rel=1e-9, abs=1e-9)
    assert _row(data, "zhang-general-a")["extra"]["a1_check_difference"] == 0.0


def test_goh_and_kingma_ba_rows_recomputed_independently(data):
    with mpmath.workdps(40):
        k = mpmath.mpf(100)
        assert _row(data, "goh-hb-optimal")["computed"] == pytest.approx(float((mpmath.sqrt(k) - 1) / (mpmath.sqrt(k) + 1)),
                                                                          rel=1e-15)
        hb = _row(data, "goh-hb-optimal")["extra"]
        assert hb["lr"] == pytest.approx(float((2 / (1 + mpmath.sqrt(k))) ** 2), rel=1e-15)
        assert hb["mu"] == pytest.approx(float(((mpmath.sqrt(k) - 1) / (mpmath.sqrt(k) + 1)) ** 2), rel=1e-15)
        b1, b2 = mpmath.mpf("0.9"), mpmath.mpf("0.999")
        limit = (1 - b1) / mpmath.sqrt(1 - b2) / mpmath.sqrt(1 - b1**2 / b2)
        assert _row(data, "kb-first-case")["computed"] == pytest.approx(float(limit), rel=1e-12)
        b1 = mpmath.mpf("0.99")
        assert _row(data, "kb-second-case")["computed"] == pytest.approx(
            float((1 - b1) / mpmath.sqrt(1 - b2) / mpmath.sqrt(1 - b1**2 / b2)), rel=1e-12)
    # heavy ball at lr h = 1/4, mu = 1/4: x_{t+1} = (1 + mu - lr h) x_t - mu x_{t-1} has the double root 1/2
    roots = np.roots([1, -(1 + 0.25 - 0.25), 0.25])
    assert np.allclose(np.abs(roots), 0.5) and _row(data, "goh-critical")["computed"] == 0.5
    # the stability edge at mu = 1/2: the spectral radius crosses 1 at lr h = 3
    for lrh, stable in ((2.999, True), (3.001, False)):
        rho = max(abs(np.roots([1, -(1 + 0.5 - lrh), 0.5])))
        assert (rho < 1) == stable
    assert _row(data, "goh-stability")["computed"] == 3.0


def test_kingma_ba_rows_agree_with_the_adam_bounds_report(data):
    """The same supremum, its limit and the first t above the bound as reports/adam-bounds."""
    cases = {(c["b1"], c["b2"]): c for c in load("adam-bounds", REPORTS)["cases"]}
    for rid, pair in (("kb-first-case", ("0.9", "0.999")), ("kb-second-case", ("0.99", "0.999"))):
        r, c = _row(data, rid), cases[pair]
        assert r["computed"] == pytest.approx(c["sup_limit"], rel=1e-12) and r["published"] == c["bound"]
        assert r["extra"]["first_t_above"] == c["sup_above_bound"]["first"]
    assert _row(data, "kb-sparse")["computed"] == pytest.approx(cases[("0.9", "0.999")]["spike_limit"], rel=1e-12)


def test_kernel_grid_and_symbolic_rows_recomputed_by_optmath(data):
    """A bounded recomputation through the topic's own code paths: the n = 5 kernel phase grid of
    Zhang et al.'s rows (15 runs) and the regimes of Goh's rows from the derived iteration matrix."""
    import sympy as sp

    from optmath.optimizers import get_spec
    from optmath.symbolic.quadratic import iteration_matrix, regime

    zn = _row(data, "zhang-region-n")["extra"]
    small = zn["n_small"]
    assert lit._zhang_grid(small, None) == zn["grids"][str(small)]
    im = iteration_matrix(get_spec("momentum").resolve("paper"))
    assert regime(im, lr=sp.Rational(1, 4), h=1, mu=sp.Rational(1, 4)) == _row(data, "goh-critical")["extra"]["regime"]
    assert regime(im, lr=3, h=1, mu=sp.Rational(1, 2)) == _row(data, "goh-stability")["extra"]["regime_at_edge"] \
        == "marginal"


@pytest.mark.slow
def test_stored_results_are_what_the_code_computes_now(data):
    """The whole computation again (about a minute on two cores)."""
    from optmath.report.build import compute

    fresh = compute("literature", 0)
    strip = lambda d: {k: v for k, v in d.items() if k != "provenance"}  # noqa: E731
    import json

    assert json.loads(json.dumps(strip(fresh), sort_keys=True)) == json.loads(json.dumps(strip(data), sort_keys=True))
