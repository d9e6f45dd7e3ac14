"""Per-student sheets from a roster and batch grading into a gradebook (issue 22, items 2 and 3)."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from optmath import __version__
from optmath.cli import main
from optmath.teach.batch import grade_batch, write_gradebook
from optmath.teach.exercises import KINDS, grade
from optmath.teach.roster import RosterError, read_roster, student_seed, write_roster_sheets

TARGETS = Path(__file__).parent / "targets"


def _right_answers(sheet: dict) -> dict:
    out = {}
    for item in sheet["exercises"]:
        kind = KINDS[item["kind"]]
        a = kind.answer(item["params"])
        out[item["id"]] = {"formula": str(a), "params": "C=3, n=3", "code": "adam.py"}.get(kind.form, str(a))
    return out


@pytest.fixture(scope="module")
def roster_out(tmp_path_factory):
    d = tmp_path_factory.mktemp("roster")
    (d / "students.csv").write_text("id,name\nalice,Alice A\nbob,Bob B\n")
    write_roster_sheets(d / "students.csv", d / "a", topic="ema")
    write_roster_sheets(d / "students.csv", d / "b", topic="ema")
    return d


def test_seed_is_a_stable_hash_of_the_id():
    # SHA-256, not Python's salted hash: the same on every machine and run
    assert student_seed("alice") == 53929544130330
    assert student_seed("alice") == int.from_bytes(__import__("hashlib").sha256(b"optmath-roster-v1:alice")
                                                   .digest()[:6], "big")
    assert student_seed("alice") != student_seed("bob")


def test_same_roster_same_sheets_and_students_differ(roster_out):
    for sid in ("alice", "bob"):
        assert (roster_out / "a" / sid / "sheet.json").read_bytes() == (roster_out / "b" / sid / "sheet.json").read_bytes()
        assert (roster_out / "a" / sid / "key.md").read_text() == (roster_out / "b" / sid / "key.md").read_text()
    a = json.loads((roster_out / "a" / "alice" / "sheet.json").read_text())
    b = json.loads((roster_out / "a" / "bob" / "sheet.json").read_text())
    assert a["seed"] == student_seed("alice") and b["seed"] == student_seed("bob")
    assert [i["params"] for i in a["exercises"]] != [i["params"] for i in b["exercises"]]
    assert json.loads((roster_out / "a" / "roster.json").read_text())["students"] == {
        "alice": student_seed("alice"), "bob": student_seed("bob")}


def test_answers_graded_against_another_students_key_fail(roster_out, tmp_path):
    sa = roster_out / "a" / "alice" / "sheet.json"
    sb = roster_out / "a" / "bob" / "sheet.json"
    alice = _right_answers(json.loads(sa.read_text()))
    (tmp_path / "alice.json").write_text(json.dumps(alice))
    got, total = grade(sa, tmp_path / "alice.json").score
    assert got == total == 4
    # the same answers against bob's key, as they are and re-keyed to bob's question ids
    assert grade(sb, tmp_path / "alice.json").score[0] == 0
    bob_ids = [i["id"] for i in json.loads(sb.read_text())["exercises"]]
    (tmp_path / "rekeyed.json").write_text(json.dumps(dict(zip(bob_ids, alice.values()))))
    got, total = grade(sb, tmp_path / "rekeyed.json").score
    assert got < total


@pytest.mark.parametrize("text, message", [
    ("", "is empty"),
    ("name\nAlice\n", "has no 'id' column"),
    ("id,name\n", "has a header but no students"),
    ("id\nalice\nbob\nalice\n", "line 4: id 'alice' appears twice (first on line 2)"),
    ("id\n../etc\n", "must be 1-64 letters"),
    ("id,name\n,Nobody\n", "line 2: empty id"),
])
def test_bad_roster_is_one_line_exit_2(tmp_path, capsys, text, message):
    (tmp_path / "r.csv").write_text(text)
    with pytest.raises(RosterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_roster(tmp_path / "r.csv")
    with pytest.raises(SystemExit) as e:
        main(["exercises", "--roster", str(tmp_path / "r.csv"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert e.value.code == 2 and message in err and err.count("\n") == 1, err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_batch_grading_goes_on_after_a_hostile_submission(tmp_path, capsys):
    """Three students on a one-question sheet (the code answer): a hostile one, a correct one and a
    folder without answers; the gradebook has a row for each and the summary names the refusal."""
    sheet = {"optmath": __version__, "seed": 0, "topic": None,
             "exercises": [{"id": "implement_adam-0-1", "kind": "implement_adam", "params": {}}]}
    (tmp_path / "sheet.json").write_text(json.dumps(sheet))
    subs = tmp_path / "subs"
    for sid, code in (("a_hostile", "import os\nos.system('touch {out}/pwned')\n"),
                      ("b_correct", (TARGETS / "d2l_impl.py").read_text()), ("c_empty", None)):
        (subs / sid).mkdir(parents=True)
        if code is not None:
            (subs / sid / "adam.py").write_text(code.replace("{out}", str(tmp_path)))
            (subs / sid / "answers.txt").write_text("implement_adam-0-1: adam.py\n")
    seen = []
    res = grade_batch(subs, tmp_path / "sheet.json", jobs=2, progress=lambda d, n: seen.append((d, n)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    paths = write_gradebook(res, tmp_path / "book")
    rows = list(csv.DictReader(open(paths[0])))
    assert [(r["student"], r["score"]) for r in rows] == [("a_hostile", "0"), ("b_correct", "1"), ("c_empty", "0")]
    assert "os.system refused" in rows[0]["feedback"] and rows[1]["feedback"].startswith("conforms")
    assert "no answers.json or answers.txt" in rows[2]["feedback"]
    assert not (tmp_path / "pwned").exists()
    summary = json.loads(paths[2].read_text())
    q = summary["questions"]["implement_adam"]
    assert q["graded"] == 2 and q["success_rate"] == 0.5 and "PermissionError" in q["frequent_bugs"][0][0]
    assert "| implement_adam | 50% |" in paths[1].read_text()


def test_check_sandbox_flag_gives_the_same_verdicts(tmp_path, capsys):
    target = TARGETS / "d2l_numpy_impl.py"
    args = ["check", str(target), "--as", "adam", "--style", "d2l-numpy", "--step", "adam", "--init",
            "init_adam_states", "--examples", "5", "--sandbox"]
    with pytest.raises(SystemExit) as e:
        main(args)
    out = capsys.readouterr()
    assert e.value.code == 0 and out.out.startswith("CONFORMS"), out
    hostile = tmp_path / "hostile.py"
    hostile.write_text("import socket\nsocket.socket()\n" + target.read_text())
    with pytest.raises(SystemExit) as e:
        main([args[0], str(hostile), *args[2:]])
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and "socket.__new__ refused" in err[-1], err


@pytest.mark.parametrize("args, message", [
    (["--batch", "."], "either one SHEET or --sheets FOLDER"),
    (["--batch", ".", "a.json", "--sheets", "."], "either one SHEET or --sheets FOLDER"),
    (["sheet.json"], "give SHEET and ANSWERS"),
])
def test_grade_usage_errors_are_one_line(args, message, capsys):
    with pytest.raises(SystemExit) as e:
        main(["grade", *args])
    err = capsys.readouterr().err
    assert e.value.code == 2 and message in err and err.count("\n") == 1, err
