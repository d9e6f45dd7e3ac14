"""The otter-grader export, graded by otter itself (issue 22, item 4): ``optmath exercises --format
otter`` -> ``otter assign`` (which also runs the master's tests) -> ``otter run`` (local, no Docker)
on a right and a wrong sample submission, and the scores checked.  otter-grader is in the test
extra; the two-question ``sgd`` sheet runs in the default tier (about 20 s) and the full sheet
(every exercise kind, the sandboxed code answer included, about 45 s) in the slow tier.  Both are
marked ``external``: with CI=true a skip (otter not installed) fails.  The default tier also checks
the master notebook's structure and calls its test function directly."""
from __future__ import annotations

import glob
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from optmath.teach.exercises import KINDS, make_sheet
from optmath.teach.otter import ADAM_D2L, solution

import nbformat

from optmath.teach.otter import check, master_notebook

OTTER = shutil.which("otter") or str(Path(sys.executable).parent / "otter")


def _otter(*args, cwd):
    pytest.importorskip("otter", reason="otter-grader is not installed (pip install otter-grader==7.0.0)")
    p = subprocess.run([OTTER, *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    return p


def _wrong(item):
    if KINDS[item["kind"]].form == "code":
        return ADAM_D2L.replace("torch.square(p.grad)", "p.grad")  # the square-missing bug
    return {"choice": "Z", "formula": "b1*m + (1 - b1)*g", "params": "C=1, n=2"}.get(KINDS[item["kind"]].form, "1/2")


def _grade_with_otter(tmp_path, topic):
    sheet = make_sheet(0, topic)
    p = subprocess.run([sys.executable, "-m", "optmath.cli", "exercises", "--format", "otter", "--out", "hw"]
                       + (["--topic", topic] if topic else []), cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    _otter("assign", "hw/optmath-exercises.ipynb", "dist", cwd=tmp_path)
    zips = glob.glob(str(tmp_path / "dist" / "autograder" / "*.zip"))
    assert len(zips) == 1
    scores = {}
    for tag, answer in (("right", solution), ("wrong", _wrong)):
        nb = nbformat.read(tmp_path / "dist" / "student" / "optmath-exercises.ipynb", 4)
        filled = 0
        for cell in nb.cells:
            m = re.fullmatch(r"ans_(\d+) = \.\.\.", cell.source.strip())
            if m:
                cell.source = f"ans_{m.group(1)} = {answer(sheet['exercises'][int(m.group(1)) - 1])!r}"
                filled += 1
        assert filled == len(sheet["exercises"])
        nbformat.write(nb, tmp_path / f"{tag}.ipynb")
        (tmp_path / tag).mkdir()
        _otter("run", "-a", zips[0], f"{tag}.ipynb", "-o", tag, "--no-logo", cwd=tmp_path)
        res = json.loads((tmp_path / tag / "results.json").read_text())
        scores[tag] = {t["name"]: (t["score"], t.get("output", "")) for t in res["tests"] if "score" in t}
    return sheet, scores


def _assert_scores(sheet, scores):
    n = len(sheet["exercises"])
    assert sorted(scores["right"]) == sorted(f"q{i}" for i in range(1, n + 1))
    assert all(s == 1.0 for s, _ in scores["right"].values()), scores["right"]
    assert all(s == 0.0 for s, _ in scores["wrong"].values()), scores["wrong"]


def test_master_notebook_has_one_graded_question_per_exercise():
    sheet = make_sheet(0)
    nb = master_notebook(sheet)
    raw = [c.source for c in nb.cells if c.cell_type == "raw"]
    assert raw[0].startswith("# ASSIGNMENT CONFIG") and "generate: true" in raw[0]
    assert sum(r.startswith("# BEGIN QUESTION") for r in raw) == len(sheet["exercises"]) == len(KINDS)
    tests = [c.source for c in nb.cells if c.cell_type == "code" and "check(" in c.source]
    assert len(tests) == len(KINDS) and all("optmath.teach.otter import check" in t for t in tests)
    # the parameters are in the tests (the autograder's copy), not in a cell the student can edit
    sols = [c.source for c in nb.cells if c.cell_type == "code" and "# SOLUTION" in c.source]
    assert len(sols) == len(KINDS) and all(s.startswith("ans_") and '"kind"' not in s for s in sols)


def test_the_otter_test_function_passes_right_and_fails_wrong_answers():
    for item in make_sheet(0, "sgd")["exercises"]:
        assert check(item, solution(item)) is None
        with pytest.raises(AssertionError, match="is not"):
            check(item, _wrong(item))


@pytest.mark.external
def test_otter_grades_the_sgd_sheet(tmp_path):
    sheet, scores = _grade_with_otter(tmp_path, "sgd")
    _assert_scores(sheet, scores)
    # the feedback a student sees in otter is optmath's
    assert any("is not" in out for _, out in scores["wrong"].values())


@pytest.mark.slow
@pytest.mark.external
def test_otter_grades_the_full_sheet(tmp_path):
    sheet, scores = _grade_with_otter(tmp_path, None)
    assert {i["kind"] for i in sheet["exercises"]} == set(KINDS)
    _assert_scores(sheet, scores)
    code_q = next(f"q{n}" for n, i in enumerate(sheet["exercises"], 1) if i["kind"] == "implement_adam")
    assert "square missing" in scores["wrong"][code_q][1]
