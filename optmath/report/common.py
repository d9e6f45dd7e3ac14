"""Pieces every report topic shares: Markdown tables, notation rows, proof blocks, JSON numbers."""
from __future__ import annotations

import math
import re
from contextlib import contextmanager

from ..errors import OptmathValueError


class ReportError(OptmathValueError):
    """A report that cannot be computed or rendered (unknown topic, missing or damaged results)."""


def table(header: list[str], rows: list[list]) -> str:
    """A GitHub Markdown table; cells are text already formatted."""
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c).replace("|", r"\|").replace("\n", " ") for c in r) + " |" for r in rows]
    return "\n".join(out) + "\n"


def notation_rows(alg) -> list[list[str]]:
    """``[code, LaTeX, meaning, value]`` rows of an algorithm's notation (from its spec)."""
    return [[code, tex, doc, val] for code, tex, doc, val in alg.notation()]


def notation_markdown(rows: list[list[str]]) -> str:
    return "## Notation\n\n" + table(["code", "math", "meaning", "value"],
                                     [[f"`{c}`", f"${t}$", d, v] for c, t, d, v in rows])


def fnum(v, digits: int = 6) -> str:
    """A float for a report: ``g`` format with ``digits`` significant digits; inf and nan spelled."""
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if math.isnan(v):
        return "nan"
    return f"{v:.{digits}g}"


def tex_num(v: float) -> str:
    """A number for LaTeX: ``10^{-8}`` or ``2.5 \\times 10^{-7}`` for small and large magnitudes."""
    if v == 0 or 1e-3 <= abs(v) < 1e5:
        return f"{v:g}"
    mant, exp = f"{v:.6e}".split("e")
    mant = mant.rstrip("0").rstrip(".")
    power = f"10^{{{int(exp)}}}"
    return power if mant == "1" else (f"-{power}" if mant == "-1" else f"{mant} \\times {power}")


def jnum(v):
    """A float for stored JSON: itself when finite, else its name (``"inf"``, ``"nan"``)."""
    v = float(v)
    return v if math.isfinite(v) else str(v)


_SECTION = re.compile(r"^(Assumptions|Derivation|Kind|References|Example)\s*$")


def proof_sections(doc: str) -> dict:
    """The titled sections of a proof file's docstring (``Assumptions``, ``Derivation``, ...)."""
    out, current = {}, None
    for line in (doc or "").splitlines():
        m = _SECTION.match(line)
        if m:
            current = m.group(1)
            out[current] = []
        elif current:
            out[current].append(line.strip())
    return {k: " ".join(x for x in v if x) for k, v in out.items()}


#: the fields of a proof's result that a report keeps (its checks, status and numbers; no timings)
RESULT_FIELDS = ("claim", "symbolic", "numeric", "status", "expected", "kind", "ok", "data", "value", "reference",
                 "error", "tolerance", "numbers_agree")


_REUSED: list = []


@contextmanager
def reusing_proof_results(results: list[dict]):
    """Within the block, :func:`run_proof_group` takes its claims from ``results`` (the ``"claims"``
    of an ``optmath prove --json`` run) instead of running the proofs: a test suite that has run
    the proof suite once checks a topic's other computations without running its proofs again."""
    _REUSED.append(results)
    try:
        yield
    finally:
        _REUSED.pop()


def run_proof_group(pattern: str, results: list[dict] | None = None) -> list[dict]:
    """Run the proofs matching ``pattern`` and keep what a report shows: the claim, its
    assumptions and steps (from the proof file), both checks and the status (no timings).

    ``results``: the claims of an ``optmath prove --json`` run (its ``"claims"`` list), used
    instead of running the proofs again (a test that already ran the suite); they must hold
    every claim the pattern matches."""
    import fnmatch

    from ..proof import discover, jsonable, run_proofs

    entries = discover()
    if results is None and _REUSED:
        results = _REUSED[-1]
    if results is None:
        runs = [{"name": r.name, "claim": r.result.claim, "symbolic": r.result.symbolic, "numeric": r.result.numeric,
                 "status": r.result.status, "expected": r.expected, "kind": r.result.kind, "ok": r.ok,
                 "data": jsonable(r.result.data), **r.result.numbers()} for r in run_proofs(pattern)]
    else:
        names = [n for n in entries if fnmatch.fnmatch(n, pattern)]
        by_name = {c["name"]: c for c in results}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise KeyError(f"the given proof results lack {', '.join(missing)}")
        runs = [{"name": n, **{k: by_name[n].get(k) for k in RESULT_FIELDS}} for n in names]
    out = []
    for r in runs:
        doc = _module_doc(entries[r["name"]].path).strip()
        sections = proof_sections(doc)
        out.append({"name": r["name"], "title": " ".join(doc.split("\n\n")[0].split()),
                    "assumptions": sections.get("Assumptions", ""), "steps": sections.get("Derivation", ""),
                    "references": sections.get("References", ""), **{k: r[k] for k in RESULT_FIELDS}})
    return out


def _module_doc(path) -> str:
    import ast

    return ast.get_docstring(ast.parse(path.read_text())) or ""


def proofs_markdown(proofs: list[dict], heading: str = "##") -> str:
    """Each claim with its assumptions, steps, symbolic check, numeric check and status."""
    parts = []
    for p in proofs:
        mark = "" if p["ok"] else f" (UNEXPECTED: the suite expects {p['expected']})"
        parts.append(f"{heading} `{p['name']}`\n\n**Claim.** {p['title']}\n\n"
                     + (f"**Assumptions.** {p['assumptions']}\n\n" if p["assumptions"] else "")
                     + (f"**Steps.** {p['steps']}\n\n" if p["steps"] else "")
                     + f"**Symbolic check.** {p['symbolic']}\n\n**Numeric check.** {p['numeric']}\n\n"
                     + _numbers_line(p)
                     + f"**Status:** {p['status']} ({p['kind']}){mark}\n")
    return "\n".join(parts)


_RULES = {"exact": "error <= tolerance", "upper bound": "value <= reference + tolerance",
          "lower bound": "value >= reference - tolerance", "counterexample": "value > reference + tolerance"}


def _numbers_line(p: dict) -> str:
    """The proof's numbers (value, reference, error, tolerance) and the verdict of its kind's rule."""
    if p.get("value") is None:
        return ""
    verdict = {True: "holds", False: "FAILS", None: "not applicable"}[p.get("numbers_agree")]
    return (f"**Numbers.** value {fnum(p['value'], 10)}, reference {fnum(p['reference'], 10)}, error "
            f"{fnum(p['error'], 3)}, tolerance {fnum(p['tolerance'], 3)}: {_RULES[p['kind']]} {verdict}\n\n")


def derivation_markdown(d: dict) -> str:
    """A :class:`~optmath.symbolic.derive.Derivation` (as stored) as steps with their checks."""
    lines = [f"Derived from the `{d['optimizer']}` spec ({d['profile']} profile) by "
             f"`optmath derive {d['topic']} -o {d['optimizer']} -p {d['profile']}`:\n"]
    for i, item in enumerate(d["items"], 1):
        lines.append(f"**Step {i}.** {item['label']}:\n\n$$\n{item['latex']}\n$$\n")
    if d["checks"]:
        lines.append("Symbolic checks of these steps (substituted back and simplified to zero, or checked at "
                     "random rational points):\n")
        lines.append(table(["check", "result"], [[k, {True: "pass", False: "FAIL", None: "not applicable"}[v]]
                                                for k, v in d["checks"].items()]))
    for n in d.get("notes", []):
        lines.append(f"Note: {n}\n")
    return "\n".join(lines)
