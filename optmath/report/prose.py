r"""Sentences of a report from computed predicates, and the scan that finds numbers in prose
that nothing computed.

A report's sentence that compares (``X exceeds Y``, ``X is below Y``) or that says from which
step something holds is written by :func:`compare` and :func:`from_step` from the numbers stored
in the results, never typed: the text cannot say "from t = 2" when the data says 106.

:func:`numerals` and :func:`untraceable` are the other half: every numeral in a rendered report
must be a stored number (to the digits shown), a value of the topic's table of inputs, or a
constant of a formula inside math (``1 - \beta``, ``x^2/2``).
"""
from __future__ import annotations

import math
import re
from typing import Iterable, Sequence


# --- predicates -> words --------------------------------------------------------------------
def compare(x: float, y: float, rel: float = 0.0) -> str:
    """``"exceeds"``, ``"is below"`` or ``"equals"`` for ``x`` against ``y`` (``equals`` within
    the relative tolerance ``rel``)."""
    if abs(x - y) <= rel * max(abs(x), abs(y)):
        return "equals"
    return "exceeds" if x > y else "is below"


def first_true(ts: Sequence[int], flags: Sequence[bool]) -> dict:
    """Where a predicate evaluated at the steps ``ts`` starts to hold: ``{"first": t or None,
    "holds_after": bool, "last": ts[-1]}``; ``holds_after`` says it holds at every later step
    evaluated (so "from step N on, up to the last step checked")."""
    first = next((t for t, f in zip(ts, flags) if f), None)
    after = first is not None and all(f for t, f in zip(ts, flags) if t >= first)
    return {"first": first, "holds_after": bool(after), "last": int(ts[-1]) if len(ts) else None}


def from_step(found: dict, what: str, never: str) -> str:
    """``what`` + ``from t = N on (checked up to t = M)`` from :func:`first_true`'s answer; ``never``
    when it never held, and an honest "first at t = N, not at every later step" when it came and went."""
    if found["first"] is None:
        return f"{never} (checked up to $t = {found['last']:,}$)"
    if found["holds_after"]:
        return f"{what} from $t = {found['first']:,}$ on (checked up to $t = {found['last']:,}$)"
    return f"{what} first at $t = {found['first']:,}$, but not at every later step up to $t = {found['last']:,}$"


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


# --- the scan --------------------------------------------------------------------------------
_NUMERAL = re.compile(r"(?<![\w.\\/])[-+]?(?:\d+/[1-9]\d*(?![\d.])|(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e[-+]?\d+)?%?)"
                      r"(?![\w])")
_NOISE = [
    re.compile(r"`[^`\n]*`"),                         # code spans: commands and names, stored as given
    re.compile(r"\*\*Step \d+\.\*\*"),                  # derivation step labels
    re.compile(r"\b(?:section|Section|sections|Theorem|Lemma|Corollary|Algorithm|Alg\.|Table|Figure|Fig\.|page|p\.|"
               r"eq\.|equation)\s+\d+(?:\.\d+)*(?:\s*(?:and|-|,)\s*\d+(?:\.\d+)*)*"),  # citations
    re.compile(r"\((?:19|20)\d\d[a-z]?\)|\b(?:19|20)\d\d[a-z]?\b(?=[),;])"),  # years of references
    re.compile(r"!\[[^\]]*\]\([^)]*\)"),              # figure links
    re.compile(r"\\(?:[a-zA-Z]+)"),                   # LaTeX commands (\beta, \sqrt, \tfrac)
    re.compile(r"[A-Za-z]+_(?:\{[^}]*\}|[0-9A-Za-z]+)"),  # subscripted names: b_1, g_{t-1}, x_T
    re.compile(r"\b[A-Za-z]+[0-9]+\b"),               # names with digits: b1, b2, traj_1
    re.compile(r"(?m)^#+ \d+\. "),                    # numbered headings
]
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.S)


def _prose_and_math(text: str) -> tuple[str, str]:
    math_parts = _MATH.findall(text)
    return _MATH.sub(" ", text), " ".join(math_parts)


_TEX_POWER = re.compile(r"(?:([-+]?\d+(?:\.\d+)?)\s*\\times\s*)?10\^\{?([-+]?\d+)\}?")


def _tex_powers(text: str) -> str:
    """``2.5 \\times 10^{-7}`` and ``10^{-8}`` (as :func:`~optmath.report.common.tex_num` writes them)
    read as the numerals ``2.5e-7`` and ``1e-8``."""
    return _TEX_POWER.sub(lambda m: f" {m.group(1) or '1'}e{int(m.group(2))} ", text)


def numerals(text: str, in_math: bool | None = None) -> list[str]:
    """The numerals of ``text`` that state a quantity: not inside code spans, figure links, LaTeX
    command names or subscripted names.  ``in_math``: only those inside (True) or outside (False)
    ``$...$``; ``None``: all."""
    text = _tex_powers(text)
    if in_math is not None:
        prose, maths = _prose_and_math(text)
        text = maths if in_math else prose
    for pat in _NOISE:
        text = pat.sub(" ", text)
    return [m.group(0) for m in _NUMERAL.finditer(text)]


def value_of(numeral: str) -> tuple[float, float]:
    """``(value, half a unit of the last digit shown)`` of a numeral (percent read as /100)."""
    s = numeral.replace(",", "").lstrip("+")
    if "/" in s:  # an exact fraction such as 999/1000
        p, q = s.split("/")
        return int(p) / int(q), 0.0
    pct = s.endswith("%")
    s = s.rstrip("%")
    mant, _, exp = s.partition("e")
    decimals = len(mant.split(".")[1]) if "." in mant else 0
    half = 0.5 * 10.0 ** (-decimals + (int(exp) if exp else 0))
    v = float(s)
    return (v / 100, half / 100) if pct else (v, half)


def stored_numbers(data, skip: Iterable[str] = ()) -> list[float]:
    """Every number in stored results: JSON numbers, and numerals inside stored strings (commands,
    computed messages, LaTeX), except under the keys in ``skip`` (text typed by hand)."""
    skip = set(skip)
    out: list[float] = []

    def walk(x):
        if isinstance(x, bool):
            return
        if isinstance(x, (int, float)):
            if math.isfinite(x):
                out.append(float(x))
        elif isinstance(x, str):
            x = _tex_powers(x)
            for p_, q_ in re.findall(r"(?<![\d.])(\d+)/(\d+)(?![\d.])", x):  # exact fractions such as 999/1000
                if int(q_):
                    out.append(int(p_) / int(q_))
            for n in re.findall(r"[-+]?\d+(?:,\d{3})*(?:\.\d+)?(?:e[-+]?\d+)?%?", x):
                out.append(value_of(n)[0])
                if n.endswith("%"):
                    out.append(value_of(n[:-1])[0])
        elif isinstance(x, dict):
            for k, v in x.items():
                if k not in skip:
                    walk(v)
        elif isinstance(x, (list, tuple)):
            for v in x:
                walk(v)

    walk(data)
    return out


def traceable(numeral: str, numbers: Sequence[float]) -> bool:
    """Whether some number rounds to ``numeral`` at the digits shown (either sign; scientific or
    general formatting to 3 or more significant digits both accepted)."""
    readings = [value_of(numeral)]
    if numeral.endswith("%"):  # a percentage may be stored as a fraction or as the percent itself
        readings.append(value_of(numeral[:-1]))
    for v, half in readings:
        v = abs(v)
        if v != 0:
            half = max(half, v * 5e-16)
        if any(abs(abs(x) - v) <= half * (1 + 1e-9) for x in numbers):
            return True
    return False


def untraceable(text: str, numbers: Sequence[float], math_constants: Iterable[float] = ()) -> list[str]:
    """The numerals of ``text`` that no stored number explains; inside math the formula
    constants ``math_constants`` are allowed too (they are not data)."""
    consts = list(math_constants)
    bad = [n for n in numerals(text, in_math=False) if not traceable(n, numbers)]
    bad += [n for n in numerals(text, in_math=True) if not traceable(n, list(numbers) + consts)]
    return bad


# --- a whole report --------------------------------------------------------------------------
HAND_TYPED = ("title", "assumptions", "steps", "references")  # proof docstrings: text, not results
MATH_CONSTANTS = (0, 1, 2, 0.5)  # formula constants: 1 - beta, x^2/2, (1/2)
_PROOF_HEADING = re.compile(r"(?m)^#{2,3} `([a-z_]+/[a-z0-9_]+)`\s*$")


def report_untraceable(md: str, data: dict, inputs=None, summary: bool | None = None) -> dict[str, list[str]]:
    """``{section: [numerals no stored number explains]}`` for a rendered report: the body (after
    the provenance header) against the topic's stored results and its table of inputs, and each
    proof block against that proof's own stored result (claim, checks, data, numbers), so a
    proof's docstring may restate what its function computes and nothing else."""
    body = md.split("## Notation", 1)[-1]
    pieces = _PROOF_HEADING.split(body)
    proofs = {p["name"]: p for p in data.get("proofs", [])}
    numbers = stored_numbers({k: v for k, v in data.items() if k not in ("proofs", "provenance")}, HAND_TYPED)
    numbers += stored_numbers(inputs or {})
    if summary or (summary is None and data.get("topic") == "proofs"):  # a summary restates every claim
        numbers += stored_numbers(list(proofs.values()), HAND_TYPED)
    out = {}
    bad = untraceable(pieces[0], numbers, MATH_CONSTANTS)
    if bad:
        out["body"] = bad
    for name, text in zip(pieces[1::2], pieces[2::2]):
        # proof docstrings write their formulas in ASCII, outside $...$: the constants are allowed there
        own = stored_numbers(proofs.get(name, {}), HAND_TYPED) + list(MATH_CONSTANTS)
        bad = untraceable(text, own, MATH_CONSTANTS)
        if bad:
            out[name] = bad
    return out
