"""Exercise sheets: every answer key entry is produced by optmath and checked here a second way;
grading accepts right answers, rejects wrong ones and refuses hostile files with one line."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from optmath import get_spec, run
from optmath.teach.exercises import (KINDS, SNIPPETS, GradeError, grade, make_sheet, render_sheet, run_snippet,
                                     write_sheet)

TARGETS = Path(__file__).parent / "targets"


@pytest.fixture(scope="module")
def sheet_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sheet")
    write_sheet(make_sheet(0), out)
    return out


def _items():
    return {item["kind"]: item for item in make_sheet(0)["exercises"]}


def test_sheet_is_stable_and_covers_every_kind(sheet_dir):
    a, b = make_sheet(0), make_sheet(0)
    assert a == b and {i["kind"] for i in a["exercises"]} == set(KINDS)
    assert [i["id"] for i in a["exercises"]][:2] == ["ema_state-0-1", "corrected_weight-0-2"]
    assert make_sheet(1) != a
    assert (sheet_dir / "sheet.md").read_text() == render_sheet(a)
    assert "**Answer**" in (sheet_dir / "key.md").read_text() and "**Answer**" not in (sheet_dir / "sheet.md").read_text()
    assert [i["kind"] for i in make_sheet(0, "ema")["exercises"]] == ["ema_state", "corrected_weight", "steps_until",
                                                                     "bias_free"]


# --- the key, checked a second way -------------------------------------------------------------
def test_key_ema_state_matches_the_kernel():
    p = _items()["ema_state"]["params"]
    ans = KINDS["ema_state"].answer(p)
    alg = get_spec("adam").resolve("paper", b1=float(Fraction(p["b1"])))
    tr = run(alg, np.array(p["g"], dtype=float)[:, None], record_states=True)
    assert float(ans) == pytest.approx(tr.states["m"][-1, 0], rel=1e-14)


def test_key_corrected_weight_and_steps_until():
    p = _items()["corrected_weight"]["params"]
    b, t = float(Fraction(p["b"])), p["t"]
    assert float(KINDS["corrected_weight"].answer(p)) == pytest.approx((1 - b) * b ** (t - 1) / (1 - b**t), rel=1e-14)
    q = _items()["steps_until"]["params"]
    n = KINDS["steps_until"].answer(q)
    bb, d = Fraction(q["b"]), Fraction(q["delta"])
    assert bb**n <= d < bb ** (n - 1)


def test_key_bias_free_reproduces_adams_m_hat():
    import sympy as sp

    expr = KINDS["bias_free"].answer({})
    f = sp.lambdify(sorted(expr.free_symbols, key=str), expr)
    names = [s.name for s in sorted(expr.free_symbols, key=str)]
    b1, m, mraw = 0.9, 0.0, 0.0
    for t, g in enumerate([1.0, -2.0, 0.5, 3.0], start=1):
        m = f(**{"b1": b1, "g": g, "m": m, "t": t}) if names else m
        mraw = b1 * mraw + (1 - b1) * g
        assert m == pytest.approx(mraw / (1 - b1**t), rel=1e-13)


def test_key_heavy_ball_edge_is_where_the_spectral_radius_crosses_one():
    from optmath.symbolic.quadratic import iteration_matrix, spectral_radius

    p = _items()["heavy_ball_lr"]["params"]
    lr_star = float(KINDS["heavy_ball_lr"].answer(p))
    syms, M = iteration_matrix(get_spec("momentum").resolve("paper")).numeric()
    vals = {"h": float(Fraction(p["h"])), "mu": float(Fraction(p["mu"]))}
    for lr, inside in ((lr_star * 0.999, True), (lr_star * 1.001, False)):
        rho = spectral_radius(np.array(M(*[{"lr": lr, **vals}[s.name] for s in syms]), dtype=float))
        assert (rho < 1) == inside


def test_key_noise_floor_by_monte_carlo():
    p = _items()["noise_floor"]["params"]
    q = float(KINDS["noise_floor"].answer(p))
    lr, h, s2 = (float(Fraction(p[k])) for k in ("lr", "h", "s2"))
    rng = np.random.default_rng(0)
    x = np.zeros(20000)
    for _ in range(400):
        x = x - lr * (h * x + rng.normal(scale=math.sqrt(s2), size=x.size))
    assert np.mean(x * x) == pytest.approx(q, rel=0.05)  # 20,000 chains: about 1% standard error


def test_key_rmsprop_limit_matches_the_kernel():
    from optmath.symbolic.limits import kernel_steady_step

    p = _items()["rmsprop_limit"]["params"]
    alg = get_spec("rmsprop").resolve("pytorch", lr=float(p["lr"]), eps=float(p["eps"]))
    assert KINDS["rmsprop_limit"].answer(p) == pytest.approx(kernel_steady_step(alg, float(p["G"])), rel=1e-8)


def test_key_tune_lr_and_which_correct():
    p = _items()["tune_lr"]["params"]
    best = min(p["lrs"], key=lambda lr: abs(1 - lr * p["h"]))
    assert KINDS["tune_lr"].answer(p) == best
    q = _items()["which_correct"]["params"]
    good = KINDS["which_correct"].answer(q)
    grads = [1.0, -0.5, 2.0]
    assert q[good] == "correct"
    other = run_snippet(SNIPPETS[q["B" if good == "A" else "A"]], grads)
    assert not np.allclose(other, run_snippet(SNIPPETS["correct"], grads), rtol=1e-12, atol=0)


# --- grading: a right and a wrong answer for every kind ------------------------------------------
def _right(tmp_path):
    out = {}
    for item in make_sheet(0)["exercises"]:
        kind = KINDS[item["kind"]]
        a = kind.answer(item["params"])
        out[item["id"]] = {"formula": str(a), "params": "C=3, n=3", "code": str(TARGETS / "d2l_impl.py"),
                           "choice": a}.get(kind.form, str(a))
    return out


def _wrong(tmp_path):
    bad_code = tmp_path / "bad_adam.py"
    bad_code.write_text((TARGETS / "d2l_impl.py").read_text().replace("    hyperparams['t'] += 1\n", "", 1))
    out = {}
    for item in make_sheet(0)["exercises"]:
        kind = KINDS[item["kind"]]
        a = kind.answer(item["params"])
        if kind.form == "number":
            out[item["id"]] = str(float(a) * 1.01 + 1e-3)
        elif kind.form == "integer":
            out[item["id"]] = str(int(a) - 1)
        else:
            out[item["id"]] = {"choice": "A" if a == "B" else "B", "formula": "m + (1 - b1)*(g - m)",
                               "params": "C=1000, n=999", "code": str(bad_code)}[kind.form]
    return out


def test_grading_right_and_wrong_answers_for_every_kind(sheet_dir, tmp_path):
    right, wrong = tmp_path / "right.json", tmp_path / "wrong.txt"
    right.write_text(json.dumps(_right(tmp_path)))
    wrong.write_text("\n".join(f"{k}: {v}" for k, v in _wrong(tmp_path).items()))  # the 'ID: answer' form
    good = grade(sheet_dir / "sheet.json", right)
    assert good.score == (len(KINDS), len(KINDS)), str(good)
    bad = grade(sheet_dir / "sheet.json", wrong)
    assert bad.score == (0, len(KINDS)), str(bad)
    fb = {m.kind: m.feedback for m in bad.marks}
    assert "step counter never incremented" in fb["implement_adam"]
    assert "AMSGrad" in fb["construct_failure"] and "AMSGrad converges" not in fb["construct_failure"]


def test_grading_accepts_equivalent_forms(sheet_dir, tmp_path):
    ids = {i["kind"]: i["id"] for i in make_sheet(0)["exercises"]}
    f = tmp_path / "alt.json"
    f.write_text(json.dumps({ids["bias_free"]: "(1 - (1 - b1)/(1 - b1**t))*m + (1 - b1)/(1 - b1**t)*g",
                             ids["ema_state"]: float(KINDS["ema_state"].answer(_items()["ema_state"]["params"]))}))
    r = {m.kind: m for m in grade(sheet_dir / "sheet.json", f).marks}
    assert r["bias_free"].correct and r["ema_state"].correct and r["steps_until"].feedback == "no answer"


@pytest.mark.parametrize("content,message", [
    (b"\xff\xfe\x00", "not UTF-8"), (b"[1, 2]", "must hold an object"), (b"{1: 2", "not valid JSON"), (b'{"a": {"b": 1}}', "must be text or a number"),
    (b"no colon here", "expected 'ID: answer'"), (b'{"x": "' + b"1" * 3000 + b'"}', "limit 2000"),
    (b"x" * 1_000_001, "limit 1,000,000")])
def test_hostile_answer_files_are_refused(sheet_dir, tmp_path, content, message):
    f = tmp_path / "answers"
    f.write_bytes(content)
    with pytest.raises(GradeError, match=message):
        grade(sheet_dir / "sheet.json", f)


def test_hostile_formula_is_a_wrong_answer_not_an_execution(sheet_dir, tmp_path):
    ids = {i["kind"]: i["id"] for i in make_sheet(0)["exercises"]}
    f = tmp_path / "evil.json"
    f.write_text(json.dumps({ids["bias_free"]: "__import__('os').system('touch pwned')",
                             ids["ema_state"]: "1/0", ids["corrected_weight"]: "m + 1", "nonsense": "1"}))
    marks = {m.kind: m for m in grade(sheet_dir / "sheet.json", f).marks}
    assert not marks["bias_free"].correct and "not accepted" in marks["bias_free"].feedback
    assert not marks["ema_state"].correct and not marks["corrected_weight"].correct
    assert marks["unknown"].feedback == "not a question of this sheet" and not Path("pwned").exists()


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "optmath.cli", *args], capture_output=True, text=True, timeout=600)


def test_cli_end_to_end(tmp_path):
    p = _cli("exercises", "--seed", "0", "--out", str(tmp_path / "ex"))
    assert p.returncode == 0 and (tmp_path / "ex" / "key.md").exists()
    right = tmp_path / "right.json"
    right.write_text(json.dumps(_right(tmp_path)))
    p = _cli("grade", str(tmp_path / "ex" / "sheet.json"), str(right))
    assert p.returncode == 0 and f"score: {len(KINDS)}/{len(KINDS)}" in p.stdout, p.stdout + p.stderr
    one = tmp_path / "one.txt"
    one.write_text("ema_state-0-1: 1/2\n")
    p = _cli("grade", str(tmp_path / "ex" / "sheet.json"), str(one))
    assert p.returncode == 1 and "WRONG ema_state-0-1" in p.stdout
    for args, message in ((["grade", str(tmp_path / "nope.json"), str(one)], "does not exist"),
                          (["grade", str(one), str(one)], "not an optmath exercise sheet"),
                          (["exercises", "--topic", "poetry"], "unknown exercise topic")):
        p = _cli(*args)
        assert p.returncode == 2 and message in p.stderr and p.stderr.count("\n") == 1


def test_committed_sheet_is_regenerated_byte_for_byte(tmp_path):
    """reports/exercises is `optmath exercises --seed 0 --out reports/exercises`: it must not be stale
    (the HTML embeds KaTeX and its fonts, so the pages work offline)."""
    committed = Path(__file__).parent.parent / "reports" / "exercises"
    write_sheet(make_sheet(0), tmp_path)
    for name in ("sheet.json", "sheet.md", "key.md", "sheet.html", "key.html"):
        assert (tmp_path / name).read_bytes() == (committed / name).read_bytes(), f"{name} is stale: regenerate it"
