r"""Batch grading: a folder of submissions (one sub-folder per student) into a gradebook.

Layout: ``DIR/<student id>/answers.json`` (or ``answers.txt``, ``ID: answer`` lines) with any
code files the answers name; the student's sheet is ``SHEETS/<student id>/sheet.json`` (the
output of ``optmath exercises --roster``) or one ``sheet.json`` for everyone.  A code answer
must lie inside its student's folder and runs contained (:mod:`.sandbox`); a student whose
folder cannot be graded gets one line in the gradebook and grading goes on with the next.

Output: ``gradebook.csv`` (student, question, kind, score, feedback) and ``summary.md`` /
``summary.json``: per kind of question the success rate, the most frequent wrong answers and,
for code answers, the most frequent bug diagnoses.
"""
from __future__ import annotations

import csv
import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import OptmathError
from .exercises import GradeError, grade, load_answers, load_sheet
from .roster import ID_RE

ANSWER_FILES = ("answers.json", "answers.txt")


@dataclass
class BatchResult:
    rows: list = field(default_factory=list)  # dicts: student, question, kind, score, feedback, answer
    students: int = 0
    seconds: float = 0.0
    notes: list = field(default_factory=list)

    def summary(self) -> dict:
        kinds: dict[str, dict] = {}
        for r in self.rows:
            k = kinds.setdefault(r["kind"], {"n": 0, "right": 0, "wrong": Counter(), "bugs": Counter()})
            k["n"] += 1
            k["right"] += r["score"]
            if not r["score"] and r["kind"] == "implement_adam" and r["feedback"].startswith("does not implement Adam: "):
                k["bugs"][r["feedback"][len("does not implement Adam: "):].split(": ")[0][:100]] += 1
            if not r["score"] and r["answer"] not in ("", None) and r["kind"] != "implement_adam":
                k["wrong"][str(r["answer"]).strip()[:60]] += 1
        return {"students": self.students, "seconds": round(self.seconds, 2),
                "per_minute": round(60 * self.students / self.seconds, 1) if self.seconds else None,
                "questions": {name: {"answered_right": k["right"], "graded": k["n"],
                                     "success_rate": round(k["right"] / k["n"], 3) if k["n"] else 0.0,
                                     "frequent_wrong_answers": k["wrong"].most_common(3),
                                     "frequent_bugs": k["bugs"].most_common(3)}
                              for name, k in sorted(kinds.items())}, "notes": self.notes}

    def summary_markdown(self) -> str:
        s = self.summary()
        lines = [f"# Gradebook summary ({s['students']} students, {s['seconds']} s, {s['per_minute']} per minute)\n"]
        lines += [f"> {n}\n" for n in s["notes"]]
        lines += ["| question | success rate | right / graded | most frequent wrong answers | bug diagnoses |",
                  "|---|---|---|---|---|"]
        for name, q in s["questions"].items():
            wrong = "; ".join(f"`{a}` ({n})" for a, n in q["frequent_wrong_answers"]) or "-"
            bugs = "; ".join(f"{b} ({n})" for b, n in q["frequent_bugs"]) or "-"
            lines.append(f"| {name} | {q['success_rate']:.0%} | {q['answered_right']} / {q['graded']} | "
                         f"{wrong.replace('|', '/')} | {bugs.replace('|', '/')} |")
        return "\n".join(lines) + "\n"


def students_of(folder) -> list[Path]:
    d = Path(folder)
    if not d.is_dir():
        raise GradeError(f"batch folder {str(folder)!r} does not exist or is not a folder")
    subs = sorted(p for p in d.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not subs:
        raise GradeError(f"batch folder {str(folder)!r} has no student folders (expected DIR/<id>/answers.json)")
    return subs


def _grade_one(sub: Path, sheets, sheet_cache: dict, limits) -> list[dict]:
    sid = sub.name

    def one(question, feedback, kind="-"):
        return [{"student": sid, "question": question, "kind": kind, "score": 0, "feedback": feedback, "answer": ""}]

    if not ID_RE.fullmatch(sid):
        return one("-", f"folder name {sid[:40]!r} is not a student id")
    answers = next((sub / n for n in ANSWER_FILES if (sub / n).is_file()), None)
    if answers is None:
        return one("-", f"no {' or '.join(ANSWER_FILES)} in the folder")
    sheet_path = Path(sheets) / sid / "sheet.json" if Path(sheets).is_dir() else Path(sheets)
    try:
        if sheet_path not in sheet_cache:
            sheet_cache[sheet_path] = load_sheet(sheet_path)
        report = grade(sheet_path, answers, limits=limits, inside=sub, sheet=sheet_cache[sheet_path])
        raw = load_answers(answers)
    except OptmathError as exc:
        return one("-", f"not graded: {str(exc).splitlines()[0]}")
    return [{"student": sid, "question": m.id, "kind": m.kind, "score": int(m.correct), "feedback": m.feedback,
             "answer": raw.get(m.id, "")} for m in report.marks], report.notes


def grade_batch(folder, sheets, limits=None, jobs: int = 1, progress=None) -> BatchResult:
    """Grade every ``folder/<id>/`` against its sheet (``sheets``: a roster output folder, or one
    sheet file).  ``progress(done, total)`` is called after each student; ``jobs`` students at once."""
    subs = students_of(folder)
    if not Path(sheets).exists():
        raise GradeError(f"sheets {str(sheets)!r} do not exist (a roster output folder or a sheet.json)")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or not 1 <= jobs <= 64:
        raise GradeError(f"jobs = {jobs!r} must be an integer in [1, 64]")
    t0 = time.monotonic()
    res = BatchResult(students=len(subs))
    cache: dict = {}
    done = 0
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for out in pool.map(lambda s: _grade_one(s, sheets, cache, limits), subs):
            rows, notes = out if isinstance(out, tuple) else (out, [])
            res.rows += rows
            res.notes += [n for n in notes if n not in res.notes]
            done += 1
            if progress:
                progress(done, len(subs))
    res.seconds = time.monotonic() - t0
    return res


def write_gradebook(res: BatchResult, out_dir) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    book = out / "gradebook.csv"
    with open(book, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["student", "question", "kind", "score", "feedback"])
        for r in res.rows:
            w.writerow([r["student"], r["question"], r["kind"], r["score"], r["feedback"]])
    md, js = out / "summary.md", out / "summary.json"
    md.write_text(res.summary_markdown())
    js.write_text(json.dumps(res.summary(), indent=2) + "\n")
    return [book, md, js]
