r"""Per-student variants: one sheet and one key per student of a roster.

A student's seed is :func:`student_seed`, the first six bytes of SHA-256 over a fixed prefix and
the student id (stable across runs, machines and Python versions, unlike ``hash``), so the same
roster always gives the same sheets, and two students' sheets differ in their numbers.

The roster is a CSV file with a header holding an ``id`` column (other columns, e.g. ``name``,
are kept but not used); ids are folder names, so they are letters, digits, ``.``, ``_``, ``-``.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path

from .. import limits
from .exercises import GradeError, make_sheet, write_sheet

SEED_PREFIX = b"optmath-roster-v1:"
MAX_ROSTER_BYTES = 5_000_000
MAX_STUDENTS = 5000
ID_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")


class RosterError(GradeError):
    """A roster that cannot be used (one line)."""


def student_seed(student_id: str) -> int:
    """The sheet seed of ``student_id``: a 48-bit integer from SHA-256 (stable everywhere)."""
    return int.from_bytes(hashlib.sha256(SEED_PREFIX + student_id.encode("utf-8")).digest()[:6], "big")


def read_roster(path) -> list[dict]:
    """The rows of a roster CSV, each with a valid, unique ``id``; one RosterError otherwise."""
    where = f"roster {str(path)!r}"
    text = limits.read_small_text(path, where, MAX_ROSTER_BYTES, RosterError, encoding="utf-8-sig")
    try:
        rows = list(csv.DictReader(io.StringIO(text)))
        header = csv.DictReader(io.StringIO(text)).fieldnames
    except csv.Error as exc:
        raise RosterError(f"{where} is not valid CSV: {exc}") from None
    if not header:
        raise RosterError(f"{where} is empty (expected a header with an 'id' column and one row per student)")
    header = [h.strip() for h in header if h is not None]
    if "id" not in header:
        raise RosterError(f"{where} has no 'id' column (columns: {', '.join(header)[:120]})")
    if not rows:
        raise RosterError(f"{where} has a header but no students")
    if len(rows) > MAX_STUDENTS:
        raise RosterError(f"{where} has {len(rows):,} students (limit {MAX_STUDENTS:,})")
    seen = {}
    out = []
    for n, row in enumerate(rows, start=2):
        row = {(k or "").strip(): (v or "").strip() if isinstance(v, str) else v for k, v in row.items()}
        sid = row.get("id", "")
        if not sid:
            raise RosterError(f"{where}, line {n}: empty id")
        if not ID_RE.fullmatch(sid):
            raise RosterError(f"{where}, line {n}: id {sid[:40]!r} must be 1-64 letters, digits, '.', '_' or '-' "
                              "(it names the student's folder)")
        if sid in seen:
            raise RosterError(f"{where}, line {n}: id {sid!r} appears twice (first on line {seen[sid]})")
        seen[sid] = n
        out.append(row)
    return out


def write_roster_sheets(roster_path, out_dir, topic: str | None = None) -> list[Path]:
    """``OUT/<id>/`` with the student's sheet and key (as :func:`write_sheet`) and ``OUT/roster.json``
    (id -> seed).  Returns the paths written."""
    rows = read_roster(roster_path)
    out = Path(out_dir)
    written = []
    seeds = {}
    for row in rows:
        sid = row["id"]
        seeds[sid] = student_seed(sid)
        written += write_sheet(make_sheet(seeds[sid], topic), out / sid)
    index = out / "roster.json"
    index.write_text(json.dumps({"seed_rule": "sha256(b'optmath-roster-v1:' + id)[:6], big-endian",
                                 "topic": topic, "students": seeds}, indent=2, sort_keys=True) + "\n")
    return written + [index]
