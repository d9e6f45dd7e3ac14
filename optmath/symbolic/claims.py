r"""Decide a user's claim ``"EXPR == EXPR"`` (or ``<``, ``<=``, ``>``, ``>=``, ``!=``).

The formula is parsed by a whitelist parser, never by ``eval`` or ``sympify``: the text must
use only letters, digits, spaces and ``+ - * / ( ) . , < > = !``; it is read with Python's
:mod:`ast` parser and every node must be a number, a name, ``+ - * / **``, unary minus, a call
of one of :data:`FUNCTIONS`, or one comparison.  Names starting with ``_``, attribute access,
subscripts, keywords arguments, strings and anything else are refused, as are texts longer than
:data:`MAX_CHARS`, more than :data:`MAX_NODES` nodes, numeric exponents above
:data:`MAX_EXPONENT`, and numbers whose size would explode (``9**9**9**9``).

Domains.  Every ``--assume`` is read into bounds on one name, and all the bounds on a name are
intersected (``x > 1`` with ``x < 10`` is ``(1, 10)``; the larger lower bound wins, and of two
equal bounds the open one); ``integer`` wins over ``real``; a name without assumptions keeps its
default domain (:mod:`optmath.symbolic.assume`), and the result shows every name's domain,
``(default)`` marking those.  An empty intersection (``x > 2`` with ``x < 1``, ``x > 1`` with
``x <= 1``, an integer between 1/3 and 2/3) is a one-line :class:`ClaimError` naming the name
and both bounds, and so is an assumption on a name the claim does not contain.

Definedness.  A claim is false at a point of its domain where a side is undefined (a division by
zero, ``0`` to a negative power, ``log 0``): ``x/x == 1`` is refuted at ``x = 0``, with the
reason.  An inequality compares reals, so it is also false where a side, or a value on the way
to it, is not real (``sqrt`` or a fractional power of a negative number, SymPy's principal
branch; ``log`` of a negative number); an equation compares SymPy's complex values.  SymPy
simplifies while it builds (``x/x`` is ``1``), so the parser records every node that may be
undefined (divisions, powers other than nonnegative integer ones, ``sqrt``, ``log``, ``Sum``)
as it builds it, and each is evaluated at each point.

Decision, in this order:

1. **Points.**  The claim is tried at the points of :func:`optmath.symbolic.assume.probe`:
   closed endpoints exactly, points ``10**-k`` inside every endpoint (open ones too, and at the
   scales of the claim's own constants ``p/q``: ``1/q``, ``1/p``, ``10**-k`` for their numbers
   of digits), small integers and simple rationals, every integer within 100 of an integer
   domain's endpoint, corners, and ``points`` seeded random rationals; then the exact rational
   roots of the difference (for ``!=`` and the inequalities; an equation holds there) and of
   every recorded node's argument (a denominator, a log's argument), solving for one name with the others fixed at the simplest points (a
   factorization over the rationals for a polynomial or rational function, ``sympy.solve`` for
   other algebraic ones, at most :data:`ROOT_SECONDS`), with points beside each root for an
   inequality, among them the decimal approximations of irrational real roots to
   :data:`ROOT_DIGITS` digits and as many more as the largest constant has.  At each point every recorded node must be defined (and real, for an
   inequality); then ``d = lhs - rhs`` is computed exactly in rational arithmetic where it is
   rational; otherwise it is enclosed in an mpmath interval at a precision that grows with the
   sizes of the claim's constants and of the point (``10**-100`` cannot slip under it) and is
   doubled, up to :data:`MAX_PRECISION` bits, until the interval excludes 0; where no interval
   applies (a value that is not real), SymPy's exact arithmetic and its significance-checked
   sign tests decide.  Only a certain sign counts: a point where ``d`` is exactly nonzero
   refutes an equation (``1 + 10**(-100) == 1`` is refuted), ``d = 0`` refutes a strict
   inequality at that point, and so on; a point where a side is undefined refutes any claim.
2. **Refuted** when some point fails; the points are tried simplest first (fewest digits), so
   the counterexample is the simplest failing point, shown exactly, and it is checked to
   satisfy every assumption before it is reported.  A side undefined there shows as
   ``undefined`` (or ``not real``) with a ``reason``.  For a claim in one real name, an exact
   irrational real root inside the domain (radicals or ``CRootOf``, polynomials up to degree
   :data:`MAX_REAL_ROOT_DEGREE`) refutes too: of a denominator or a log's argument (undefined
   there: ``x/(x**2 - 2)*(x**2 - 2)/x == 1`` at ``sqrt(2)``), or of the difference's numerator
   for ``!=``, ``<``, ``>`` (``x**2 != 2``), every recorded node checked defined there.
3. **Proved** when no point fails and SymPy shows it: ``lhs - rhs`` simplifies to 0 (``==``),
   is known to be nonzero (``!=``), or has the required sign (inequalities); and every
   recorded node is shown defined on the whole domain (each denominator and log argument
   nonzero, for an inequality each log argument positive and each base of a fractional power
   nonnegative; a power ``b**t`` of a name in (0, 1) with ``t > 0`` counts as a number in
   (0, 1)).  Names carry only the sign assumptions their domains imply (a closed endpoint at 0
   gives ``nonnegative``, never ``positive``), and bounds SymPy cannot carry are written
   through new positive symbols (``(0, 1]`` as ``1/(1 + r)`` with ``r >= 0``; a closed
   endpoint that no such form reaches is its own case), see
   :func:`optmath.symbolic.assume.parametrize`.
4. Otherwise the points whose sign no interval certified are tried again by SymPy with
   simplification; a failure there refutes.  **checked-numerically** when every point holds
   with a certain sign and both sides defined (at least one point); **inconclusive** when the
   sign or the definedness stayed uncertain at some point, or when the work exceeded the time
   limit.  So a claim false at a point the checker tried is never "checked-numerically", and
   the points include every exact rational root it could find.  What sampling cannot cover: a
   claim in several names false only at irrational points (it is not proved, since the
   condition does not follow, but it may be checked-numerically), or false only on an
   interval between the points tried.

Memory.  Exact values are kept below :data:`EXACT_BITS` bits (larger ones are enclosed in
intervals), interval precision below :data:`MAX_PRECISION` bits, integer literals and
rational powers below :data:`MAX_BITS` bits, so a claim within the parser's limits stays under
500 MB (tests/test_claims_soundness.py measures heavy ones).

The time limit is a ``SIGALRM`` on the main thread (postponed while a gc callback or a
finalizer runs, where Python would swallow the exception) plus a cooperative deadline checked
between points and between symbolic cases.
"""
from __future__ import annotations

import ast
import functools
import math
import re
import threading
import time
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp
from mpmath import iv, mp

from ..errors import OptmathValueError
from ..limits import TimeLimitExceeded, time_limit as within
from .assume import (Interval, bounded_symbol, default_domain, exact_text, parametrize, probe,
                     symbol)
from .checks import simplifies_to_zero

MAX_CHARS = 2000
MAX_NODES = 400
MAX_EXPONENT = 10_000
MAX_BITS = 200_000
MAX_SUM_TERMS = 2_000
ALLOWED_CHARS = re.compile(r"^[A-Za-z0-9_+\-*/().,<>=!\s]*$")
FUNCTIONS = {
    "sqrt": sp.sqrt, "exp": sp.exp, "log": sp.log, "ln": sp.log, "abs": sp.Abs, "Abs": sp.Abs,
    "sign": sp.sign, "max": sp.Max, "Max": sp.Max, "min": sp.Min, "Min": sp.Min,
    "floor": sp.floor, "ceil": sp.ceiling, "ceiling": sp.ceiling, "erf": sp.erf,
    "sin": sp.sin, "cos": sp.cos, "Sum": None, "sum": None,
}
CONSTANTS = {"pi": sp.pi, "E": sp.E}
RELATIONS = {ast.Eq: sp.Eq, ast.NotEq: sp.Ne, ast.Lt: sp.Lt, ast.LtE: sp.Le, ast.Gt: sp.Gt,
             ast.GtE: sp.Ge}
STATUSES = ("proved", "refuted", "checked-numerically", "inconclusive")


class ClaimError(OptmathValueError):
    """A claim or an assumption that the whitelist parser refuses."""


def _check_text(text: object, what: str) -> str:
    if not isinstance(text, str):
        raise ClaimError(f"{what} must be a string, not {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise ClaimError(f"{what} is {len(text)} characters long (limit {MAX_CHARS})")
    if not text.strip():
        raise ClaimError(f"{what} is empty")
    bad = sorted(set(ch for ch in text if not ALLOWED_CHARS.match(ch)))
    if bad:
        hint = " (use ** for powers)" if "^" in bad else ""
        raise ClaimError(f"{what} {text[:60]!r} contains characters that are not allowed: "
                         f"{''.join(bad)!r}{hint}")
    return text


def _short(v) -> str:
    """``v`` for a one-line message: at most 40 characters (and never Python's refusal to
    write an integer of more than 4300 digits)."""
    if isinstance(v, sp.Rational) and max(abs(int(v.p)).bit_length(), int(v.q).bit_length()) > 130:
        bits = max(abs(int(v.p)).bit_length(), int(v.q).bit_length())
        return f"(a rational of about {int(bits * 0.30103)} digits)"
    try:
        t = str(v)
    except ValueError:
        return "(a number of more than 4300 digits)"
    return t if len(t) < 40 else t[:40] + "..."


_DECIMAL = re.compile(r"(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?")


def _decimal(text: str) -> sp.Rational:
    """A decimal literal read exactly from its text (``1e-400`` is 10**-400, not the float 0.0,
    and ``1.00000000000000000001`` is not 1), with its exponent bounded by MAX_EXPONENT."""
    m = _DECIMAL.fullmatch(text.replace("_", ""))
    if not m or not (m.group(1) or m.group(2)):
        raise ClaimError(f"constant {text!r} is not a decimal number")
    exp = int(m.group(3) or 0)
    if abs(exp) > MAX_EXPONENT or len(text) > 400:
        raise ClaimError(f"constant {text!r} has an exponent beyond {MAX_EXPONENT}")
    frac = m.group(2) or ""
    digits = int((m.group(1) or "0") + frac)
    return sp.Rational(digits) * sp.Rational(10) ** (exp - len(frac))


class _Builder:
    """AST -> SymPy, node by node, refusing anything outside the whitelist."""

    def __init__(self, domains: dict[str, Interval], source: str = ""):
        self.domains = domains
        self.source = source  # the parsed text: a decimal literal is read from it exactly
        self.names: dict[str, sp.Symbol] = {}
        self.nodes = 0
        # every node whose value may be undefined (a division, a power that is not a
        # nonnegative integer one, log, sqrt, Sum), recorded as built: SymPy's automatic
        # simplification would lose some of them (x/x is 1 as soon as it is built)
        self.guards: list = []
        self.indices: set = set()  # the Sums' bound index symbols

    def guard(self, e):
        if not e.is_Rational and e not in self.guards:
            self.guards.append(e)
        return e

    def name(self, n: str) -> sp.Symbol:
        if n.startswith("_"):
            raise ClaimError(f"name {n!r} is not allowed (names may not start with '_')")
        if n in FUNCTIONS:
            raise ClaimError(f"{n!r} is a function; call it with arguments")
        if n in ("lambda", "import", "eval", "exec"):
            raise ClaimError(f"{n!r} is not allowed")
        if n not in self.names:
            dom = self.domains.get(n)
            self.names[n] = symbol(n) if dom is None else bounded_symbol(n, dom)
        return self.names[n]

    def __call__(self, node):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ClaimError(f"formula has more than {MAX_NODES} nodes")
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ClaimError(f"constant {v!r} is not a number")
            if isinstance(v, int):
                if v.bit_length() > MAX_BITS:
                    raise ClaimError("integer literal is too large")
                return sp.Integer(v)
            seg = ast.get_source_segment(self.source, node) if self.source else None
            if seg is not None:
                return _decimal(seg)
            if v != v or v in (float("inf"), float("-inf")):
                raise ClaimError(f"constant {v!r} is not finite")
            return sp.Rational(repr(v))
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            a, b = self(node.left), self(node.right)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            if isinstance(node.op, ast.Div):
                if b == 0:
                    raise ClaimError("division by zero in the formula")
                if not b.is_Rational:
                    self.guard(sp.Pow(b, -1))
                return a / b
            if isinstance(node.op, ast.Pow):
                return self.power(a, b)
            raise ClaimError(f"operator {type(node.op).__name__} is not allowed "
                             f"(allowed: + - * / **)")
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Attribute):
            raise ClaimError(f"attribute access '.{node.attr}' is not allowed")
        if isinstance(node, ast.Compare):
            raise ClaimError("only one comparison is allowed, at the top level")
        raise ClaimError(f"{type(node).__name__} is not allowed in a formula")

    def power(self, a, b):
        if b.is_number:
            if b.is_real is False or abs(b) > MAX_EXPONENT:
                raise ClaimError(f"exponent {_short(b)} is too large (limit {MAX_EXPONENT})")
            if a.is_Rational and b.is_Rational:
                bits = max(abs(a.p).bit_length(), abs(a.q).bit_length()) * abs(b)
                if bits > MAX_BITS:
                    raise ClaimError(f"power {_short(a)}**{_short(b)} would have about "
                                     f"{int(bits)} bits (limit {MAX_BITS})")
                if a == 0 and b < 0:
                    raise ClaimError("division by zero in the formula (0 to a negative power)")
        e = sp.Pow(a, b)
        if not (b.is_Integer and b >= 0):
            self.guard(e)
        return e

    def call(self, node: ast.Call):
        if not isinstance(node.func, ast.Name):
            raise ClaimError("only calls of named functions are allowed")
        fname = node.func.id
        if fname not in FUNCTIONS:
            raise ClaimError(f"function {fname!r} is not allowed; allowed: "
                             f"{', '.join(sorted(FUNCTIONS))}")
        if node.keywords:
            raise ClaimError(f"keyword arguments are not allowed (in {fname})")
        if fname in ("Sum", "sum"):
            if len(node.args) != 4 or not isinstance(node.args[1], ast.Name):
                raise ClaimError("write a sum as Sum(term, index, lower, upper)")
            idx = sp.Symbol(node.args[1].id, integer=True)
            self.indices.add(idx)
            if node.args[1].id.startswith("_"):
                raise ClaimError(f"name {node.args[1].id!r} is not allowed")
            saved = self.names.get(node.args[1].id)
            self.names[node.args[1].id] = idx
            term = self(node.args[0])
            if saved is None:
                del self.names[node.args[1].id]
            else:
                self.names[node.args[1].id] = saved
            lo, hi = self(node.args[2]), self(node.args[3])
            if lo.is_number and hi.is_number and (hi - lo) > MAX_SUM_TERMS:
                raise ClaimError(f"sum over {hi - lo + 1} terms (limit {MAX_SUM_TERMS})")
            return self.guard(sp.Sum(term, (idx, lo, hi)))
        args = [self(a) for a in node.args]
        f = FUNCTIONS[fname]
        try:
            e = f(*args)
        except (TypeError, ValueError) as exc:
            raise ClaimError(f"bad arguments to {fname}: {exc}") from None
        return self.guard(e) if fname in ("sqrt", "log", "ln") else e


def _parse(text: str, what: str):
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ClaimError(f"{what} {text[:60]!r} is not a formula: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ClaimError(f"{what} is nested too deeply") from None


def _read_assumption(text: str) -> tuple[str, str | None, list]:
    """``(name, kind, bounds)`` of one assumption: ``kind`` is ``"integer"``, ``"real"`` or
    ``None`` (the name's default), ``bounds`` a list of ``(value, upper, closed)``."""
    _check_text(text, "assumption")
    words = text.split()
    if len(words) == 2 and words[1] in ("integer", "real", "positive"):
        n = words[0]
        if not n.isidentifier() or n.startswith("_"):
            raise ClaimError(f"bad name {n!r} in assumption {text!r}")
        if words[1] == "positive":
            return n, "real", [(Fraction(0), False, False)]
        return n, words[1], []
    node = _parse(text, "assumption")
    if not isinstance(node, ast.Compare):
        raise ClaimError(f"assumption {text!r} must be a comparison such as '0 < b < 1'")
    items = [node.left] + list(node.comparators)
    names = [i for i in items if isinstance(i, ast.Name)]
    if len(names) != 1:
        raise ClaimError(f"assumption {text!r} must bound exactly one name by numbers")
    n = names[0].id
    if n.startswith("_"):
        raise ClaimError(f"name {n!r} is not allowed")
    bounds = []
    b = _Builder({}, text.strip())
    for k, op in enumerate(node.ops):
        left, right = items[k], items[k + 1]
        if isinstance(left, ast.Name) == isinstance(right, ast.Name):
            raise ClaimError(f"assumption {text!r} must compare the name with numbers")
        num = b(right if isinstance(left, ast.Name) else left)
        if not num.is_Rational:
            raise ClaimError(f"bound {num} in {text!r} must be a rational number")
        val = Fraction(int(num.p), int(num.q))
        flip = not isinstance(left, ast.Name)  # number OP name
        if isinstance(op, (ast.Lt, ast.LtE)):
            upper = not flip
        elif isinstance(op, (ast.Gt, ast.GtE)):
            upper = flip
        else:
            raise ClaimError(f"assumption {text!r} may use only < <= > >=")
        bounds.append((val, upper, isinstance(op, (ast.LtE, ast.GtE))))
    return n, None, bounds


def _bound_text(name: str, val: Fraction, upper: bool, closed: bool) -> str:
    return f"{name} {'<' if upper else '>'}{'=' if closed else ''} {val}"


def _combine(name: str, parts: list[tuple[str | None, list]]) -> Interval:
    """Intersect every assumption on ``name``: the largest lower bound and the smallest upper
    bound win (the closed one of two equal bounds loses), ``integer`` wins over ``real``, and
    a name said neither keeps its default kind (``t`` is an integer).  An empty intersection
    is a :class:`ClaimError` that names both bounds."""
    lo = hi = None
    lo_c = hi_c = False
    kinds = {kind for kind, _ in parts if kind}
    for _, bounds in parts:
        for val, upper, closed in bounds:
            if upper and (hi is None or val < hi or (val == hi and not closed)):
                hi, hi_c = val, closed
            if not upper and (lo is None or val > lo or (val == lo and not closed)):
                lo, lo_c = val, closed
    integer = "integer" in kinds or (not kinds and default_domain(name).integer)
    dom = Interval(lo, hi, integer, lo_c, hi_c)
    if dom.is_empty():  # only possible with both bounds
        what = "no value" if Interval(lo, hi, False, lo_c, hi_c).is_empty() else "no integer"
        raise ClaimError(f"contradictory assumptions on {name}: "
                         f"{_bound_text(name, lo, False, lo_c)} and "
                         f"{_bound_text(name, hi, True, hi_c)} leave {what}")
    return dom


def parse_assumption(text: str) -> dict[str, Interval]:
    """``"0 < b < 1"``, ``"t >= 1"``, ``"x > 0"``, ``"t integer"``, ``"x real"``,
    ``"x positive"``: one name and its domain.  Bounds are intersected (``"0 < b > 1/2"`` is
    ``b > 1/2``); bounds that leave no value are a :class:`ClaimError`."""
    n, kind, bounds = _read_assumption(text)
    return {n: _combine(n, [(kind, bounds)])}


def parse_assumptions(texts) -> dict[str, Interval]:
    """Every name's domain from several assumptions, intersected name by name (``x > 1`` and
    ``x < 10`` give ``(1, 10)``); a contradiction is a one-line :class:`ClaimError`."""
    if isinstance(texts, str):
        texts = [texts]
    parts: dict[str, list] = {}
    for text in texts or ():
        n, kind, bounds = _read_assumption(text)
        parts.setdefault(n, []).append((kind, bounds))
    return {n: _combine(n, p) for n, p in parts.items()}


@dataclass
class ClaimResult:
    claim: str
    status: str
    symbolic: str
    numeric: str
    counterexample: dict | None = None
    domains: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def _repr_markdown_(self) -> str:
        return "```\n" + str(self) + "\n```"

    def __str__(self) -> str:
        s = f"{self.status}: {self.claim}\n  symbolic: {self.symbolic}\n  numeric:  {self.numeric}"
        if self.domains:
            s += "\n  domains:  " + "; ".join(f"{k}: {v}" for k, v in self.domains.items())
        if self.counterexample:
            s += "\n  counterexample: " + ", ".join(f"{k} = {v}" for k, v in self.counterexample.items())
        return s




def parse_expression(text: str, what: str = "formula") -> sp.Expr:
    """One expression (not a relation) through the same whitelist as claims; ``what`` names the
    input in the one-line error."""
    _check_text(text, what)
    return _Builder({}, text.strip())(_parse(text, what))


def parse_claim(text: str, assume=()) -> tuple[sp.Basic, dict[str, Interval]]:
    """The claim as a SymPy relation and the assumed domains (intersected per name, see
    :func:`parse_assumptions`); names carry the sign assumptions their domains imply.  An
    assumption on a name that the claim does not contain is a :class:`ClaimError`."""
    c = _read_claim(text, assume)
    return c.rel, c.domains


@dataclass
class _Claim:
    rel: sp.Basic
    domains: dict  # the assumed domains, by name
    names: dict  # every name of the text -> its symbol (x of x/x too, which SymPy cancels)
    guards: dict  # "lhs"/"rhs" -> the nodes of that side that may be undefined (Builder.guards)
    indices: set  # the Sums' bound index symbols


def _read_claim(text: str, assume=()) -> _Claim:
    _check_text(text, "claim")
    domains = parse_assumptions(assume)
    node = _parse(text, "claim")
    if not isinstance(node, ast.Compare) or len(node.ops) != 1:
        raise ClaimError(f"claim {text[:60]!r} must be one comparison: LHS == RHS, <, <=, >, >=, !=")
    b = _Builder(domains, text.strip())
    lhs = b(node.left)
    left = list(b.guards)
    b.guards = []
    rhs = b(node.comparators[0])
    for n in domains:
        if n not in b.names:
            raise ClaimError(f"an assumption names {n}, which the claim does not contain")
    rel = RELATIONS[type(node.ops[0])]
    return _Claim(rel(lhs, rhs, evaluate=False), domains, dict(b.names),
                  {"lhs": left, "rhs": list(b.guards)}, set(b.indices))


# --- exact evaluation at a rational point -------------------------------------------------------
# A value is a Fraction (exact) or an mpmath interval that certainly contains the true value.

class _Undefined(Exception):
    """A side is not defined at the point (division by zero, log 0)."""


class _NotReal(Exception):
    """An intermediate value is not real; SymPy decides the point instead."""


class _Unsupported(Exception):
    """A node this evaluator does not know; SymPy decides the point instead."""


class _Unsure(Exception):
    """An interval straddles a value where the result changes (0 under a log, say)."""


EXACT_BITS = 20_000  # an exact value with more bits is enclosed in an interval instead


def _cap(v):
    return _iv(v) if isinstance(v, Fraction) and _bits(v) > EXACT_BITS else v


def _iv(v):
    if isinstance(v, Fraction):
        return iv.mpf(v.numerator) / v.denominator if v.denominator != 1 else iv.mpf(v.numerator)
    return v


def _ends(v):
    return mp.make_mpf(v._mpi_[0]), mp.make_mpf(v._mpi_[1])


def _sign(v) -> int | None:
    """-1, 0, 1, or ``None`` when an interval straddles 0."""
    if isinstance(v, Fraction):
        return (v > 0) - (v < 0)
    if (v > 0) is True:
        return 1
    if (v < 0) is True:
        return -1
    lo, hi = _ends(v)
    return 0 if lo == 0 and hi == 0 else None


def _bits(v: Fraction) -> int:
    return max(abs(v.numerator).bit_length(), v.denominator.bit_length())


def _add(vals):
    exact = sum((v for v in vals if isinstance(v, Fraction)), Fraction(0))
    rest = [v for v in vals if not isinstance(v, Fraction)]
    if not rest:
        return _cap(exact)
    out = _iv(exact)
    for v in rest:
        out = out + v
    return out


def _mul(vals):
    if any(isinstance(v, Fraction) and v == 0 for v in vals):
        return Fraction(0)
    exact = Fraction(1)
    for v in vals:
        if isinstance(v, Fraction):
            exact *= v
    rest = [v for v in vals if not isinstance(v, Fraction)]
    if not rest:
        return _cap(exact)
    out = _iv(exact)
    for v in rest:
        out = out * v
    return out


def _root(v: Fraction, q: int) -> Fraction | None:
    """The exact ``q``-th root of ``v >= 0``, or ``None``."""
    a, ok_a = sp.integer_nthroot(v.numerator, q)
    b, ok_b = sp.integer_nthroot(v.denominator, q)
    return Fraction(int(a), int(b)) if ok_a and ok_b else None


def _pow(b, x):
    sb = _sign(b)
    if isinstance(x, Fraction) and x.denominator == 1:
        n = int(x)
        if isinstance(b, Fraction):
            if b == 0 and n < 0:
                raise _Undefined()
            if _bits(b) * abs(n) <= EXACT_BITS:
                return b ** n
        elif n < 0 and sb is None:
            raise _Unsure()
        return _iv(b) ** n
    if sb is None:
        raise _Unsure()
    if sb < 0:
        raise _NotReal()  # SymPy's principal power of a negative base is not real
    if sb == 0:
        sx = _sign(x)
        if sx is None:
            raise _Unsure()
        if sx <= 0:
            raise _Undefined()
        return Fraction(0)
    if isinstance(x, Fraction):
        if isinstance(b, Fraction):
            r = _root(b, x.denominator)
            if r is not None and _bits(r) * abs(x.numerator) <= EXACT_BITS:
                return r ** x.numerator
        if x.denominator == 2:
            return iv.sqrt(_iv(b)) ** x.numerator
    return iv.exp(_iv(x) * iv.log(_iv(b)))


def _log(v):
    s_ = _sign(v)
    if s_ is None:
        raise _Unsure()
    if s_ == 0:
        raise _Undefined()
    if s_ < 0:
        raise _NotReal()
    return Fraction(0) if v == 1 else iv.log(_iv(v))


def _erf(v):
    if isinstance(v, Fraction) and v == 0:
        return Fraction(0)
    lo, hi = _ends(_iv(v))
    with mp.workprec(iv.prec + 30):  # erf is increasing; widen by far more than its error
        tol = mp.ldexp(1, -iv.prec)
        a, b = mp.erf(lo) - tol, mp.erf(hi) + tol
    return iv.mpf([a, b])


def _step(f):
    def g(v):
        if isinstance(v, Fraction):
            return Fraction(f(v))
        lo, hi = _ends(v)
        a, b = f(lo), f(hi)
        if a != b:
            raise _Unsure()
        return Fraction(int(a))
    return g


def _signum(v):
    s_ = _sign(v)
    if s_ is None:
        raise _Unsure()
    return Fraction(s_)


def _extreme(pick):
    def g(*vals):
        if all(isinstance(v, Fraction) for v in vals):
            return pick(vals)
        ends = [_ends(_iv(v)) for v in vals]
        return iv.mpf([pick(e[0] for e in ends), pick(e[1] for e in ends)])
    return g


def _fixed(exact_at_zero, f):
    def g(v):
        if isinstance(v, Fraction) and v == 0 and exact_at_zero is not None:
            return Fraction(exact_at_zero)
        return f(_iv(v))
    return g


_UNARY = {
    sp.exp: _fixed(1, lambda v: iv.exp(v)), sp.sin: _fixed(0, lambda v: iv.sin(v)),
    sp.cos: _fixed(1, lambda v: iv.cos(v)), sp.log: _log, sp.erf: _erf,
    sp.Abs: lambda v: abs(v), sp.sign: _signum,
    sp.floor: _step(lambda v: math.floor(v) if isinstance(v, Fraction) else int(mp.floor(v))),
    sp.ceiling: _step(lambda v: math.ceil(v) if isinstance(v, Fraction) else int(mp.ceil(v))),
}
_NARY = {sp.Max: _extreme(max), sp.Min: _extreme(min)}


def _compile(e):
    """A function ``env -> value`` computing the SymPy number expression ``e`` exactly where it
    is rational and as a certain enclosure (at the current ``iv.prec``) where it is not."""
    if e.is_Rational:
        c = Fraction(int(e.p), int(e.q))
        return lambda env: c
    if e.is_Symbol:
        return lambda env: env[e]
    if e is sp.pi:
        return lambda env: +iv.pi
    if e is sp.E:
        return lambda env: +iv.e
    if e in (sp.zoo, sp.nan, sp.oo, sp.S.NegativeInfinity):
        def undefined(env):
            raise _Undefined()
        return undefined
    if isinstance(e, sp.Sum):
        return _compile_sum(e)
    fs = [_compile(a) for a in e.args]
    if e.is_Add:
        return lambda env: _add([f(env) for f in fs])
    if e.is_Mul:
        return lambda env: _mul([f(env) for f in fs])
    if e.is_Pow:
        fb, fx = fs
        return lambda env: _pow(fb(env), fx(env))
    if e.func in _UNARY and len(fs) == 1:
        f, (fa,) = _UNARY[e.func], fs
        return lambda env: f(fa(env))
    if e.func in _NARY:
        f = _NARY[e.func]
        return lambda env: f(*[g(env) for g in fs])
    if e is sp.I or e.is_imaginary:
        def not_real(env):
            raise _NotReal()
        return not_real
    raise _Unsupported(type(e).__name__)


def _compile_sum(e: sp.Sum):
    if len(e.limits) != 1:
        raise _Unsupported("Sum with several limits")
    idx, lo_e, hi_e = e.limits[0]
    term, flo, fhi = _compile(e.function), _compile(lo_e), _compile(hi_e)

    def total(env):
        lo, hi = flo(env), fhi(env)
        if not (isinstance(lo, Fraction) and isinstance(hi, Fraction)
                and lo.denominator == 1 and hi.denominator == 1):
            raise _Unsupported("Sum with limits that are not integers")
        a, b, sign = int(lo), int(hi), 1
        if b < a:  # SymPy's (Karr's) convention: Sum(f, (i, a, b)) = -Sum(f, (i, b+1, a-1))
            a, b, sign = b + 1, a - 1, -1
        if b - a + 1 > MAX_SUM_TERMS:
            raise _Unsupported("Sum with too many terms")
        vals = [term({**env, idx: Fraction(k)}) for k in range(a, b + 1)]
        v = _add(vals)
        return -v if sign < 0 else v
    return total


# The sign of d = lhs - rhs at a point: "neg", "zero", "pos", "nonzero" (not real, or of an
# unknown sign), "undefined", "notreal" or "unsure".


def _fast(fn, env, bits: int, top: int) -> str | None:
    """``d`` at ``env`` exactly or by intervals at ``bits``, doubling up to ``top`` until the sign
    is certain; ``None`` where only SymPy can tell (a non-real or unknown node)."""
    prec = bits
    while True:
        old = iv.prec
        iv.prec = prec
        try:
            v = fn(env)
            s_ = _sign(v)
        except _Undefined:
            return "undefined"
        except _Unsure:
            s_ = None
        except (_NotReal, _Unsupported, KeyError, ArithmeticError, ValueError, TypeError):
            return None
        finally:
            iv.prec = old
        if s_ is not None:
            return ("neg", "zero", "pos")[s_ + 1]
        if prec >= top:
            return "unsure"
        prec = min(2 * prec, top)


SLOW_BITS = MAX_BITS  # SymPy's exact arithmetic at a point only below this estimated size


class _TooLarge(ValueError):
    """SymPy's exact value at the point would be too large to compute in bounded time and
    memory (SymPy's big-integer gcds cannot be interrupted by the time limit)."""


@functools.lru_cache(maxsize=256)
def _growth(e) -> int:
    """How many times the bits of a point the exact value of ``e`` there may need: a sum's
    terms the most of theirs (a Sum's its term's), a product's factors added, a power
    ``u**(p/q)`` ``|p|`` times its base's, a symbolic exponent up to :data:`MAX_EXPONENT`
    times.  An estimate that keeps SymPy away from values of millions of digits."""
    if e.is_Atom:
        return 1
    if e.is_Pow:
        base, x = e.args
        k = abs(int(x.p)) if x.is_Rational else MAX_EXPONENT
        return k * _growth(base) + (0 if x.is_Rational else _growth(x))
    if e.is_Mul:
        return sum(_growth(a) for a in e.args)
    if isinstance(e, sp.Sum):  # terms over one base add few bits; a symbolic power many
        return _growth(e.function)
    return max((_growth(a) for a in e.args), default=1)


def _at(d, pt):
    bits = _size(pt) + max((_bits(Fraction(int(a.p), int(a.q))) for a in d.atoms(sp.Rational)),
                           default=0)
    if _growth(d) * bits > SLOW_BITS:
        raise _TooLarge()
    v = d.xreplace(pt)
    if v.has(sp.Sum):
        v = v.doit()
    return v


def _slow(d, pt, kind, prove_zero: bool) -> str:
    """The sign of ``d`` at ``pt`` by SymPy: exact arithmetic and its own sign tests on numbers
    (which evaluate until the digits are significant); with ``prove_zero``, also simplification."""
    try:
        v = _at(d, pt)
        if v.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            return "undefined"
        if v.is_Rational:
            return ("neg", "zero", "pos")[int(bool(v > 0)) - int(bool(v < 0)) + 1]
        if v == 0 or (prove_zero and simplifies_to_zero(v)):
            return "zero"
        if kind not in (sp.Eq, sp.Ne) and v.is_extended_real is False:
            return "notreal"
        if v.is_extended_positive:
            return "pos"
        if v.is_extended_negative:
            return "neg"
        if v.is_zero is False:
            return "nonzero"
    except (TypeError, ValueError, ZeroDivisionError, NotImplementedError, RecursionError,
            AttributeError):
        pass
    return "unsure"


# sign of d -> verdict of each relation at the point
_VERDICT = {
    sp.Eq: {"zero": "holds", "neg": "fails", "pos": "fails", "nonzero": "fails"},
    sp.Ne: {"zero": "fails", "neg": "holds", "pos": "holds", "nonzero": "holds"},
    sp.Lt: {"neg": "holds", "zero": "fails", "pos": "fails"},
    sp.Le: {"neg": "holds", "zero": "holds", "pos": "fails"},
    sp.Gt: {"pos": "holds", "zero": "fails", "neg": "fails"},
    sp.Ge: {"pos": "holds", "zero": "holds", "neg": "fails"},
}


def _verdict(kind, sign: str) -> str:
    """``holds``, ``fails`` or ``unsure`` (a sign of an inequality's difference that is not known
    to be real is unsure: the sides' realness is the guards' business)."""
    if sign in ("undefined", "notreal"):
        return "fails"
    return _VERDICT[kind].get(sign, "unsure")


# --- definedness at a point ----------------------------------------------------------------------
# A claim is false at a point where a side is undefined (x/x == 1 at x = 0), and an inequality is
# false where a side is not real.  SymPy simplifies while it builds (x/x is 1), so the parser
# records every node that may be undefined (Builder.guards) and each is evaluated at each point.


def _state(fn, env, bits: int, top: int) -> str | None:
    """Whether the node compiled as ``fn`` is defined at ``env``: ``"ok"``, ``"undefined"``,
    ``"notreal"`` (some value on the way is not real), ``"unsure"``, or ``None`` (only SymPy can
    tell)."""
    prec = bits
    while True:
        old = iv.prec
        iv.prec = prec
        try:
            fn(env)
            return "ok"
        except _Undefined:
            return "undefined"
        except _NotReal:
            return "notreal"
        except _Unsure:
            pass
        except (_Unsupported, KeyError, ArithmeticError, ValueError, TypeError):
            return None
        finally:
            iv.prec = old
        if prec >= top:
            return "unsure"
        prec = min(2 * prec, top)


def _slow_state(g, pt, real: bool) -> str:
    """:func:`_state` by SymPy's exact arithmetic (complex values included)."""
    try:
        v = _at(g, pt)
        if v.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            return "undefined"
        if real and v.is_extended_real is False:
            return "notreal"
        if v.is_finite and (not real or v.is_extended_real):
            return "ok"
    except (TypeError, ValueError, ZeroDivisionError, NotImplementedError, RecursionError,
            AttributeError):
        pass
    return "unsure"


def _why(g, state: str) -> str:
    """What goes wrong in the node ``g``, for the reader."""
    if state == "undefined":
        if g.is_number and g.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            return "a log of 0 or a division by zero, for every value"
        if isinstance(g, sp.Sum):
            return f"a term of {_short(g)} is undefined"
        if g.func is sp.log:
            return f"{_short(g)} is the log of 0"
        return f"{_short(g)} divides by zero"
    if g.func is sp.log:
        return f"{_short(g)} is the log of a negative number"
    return f"{_short(g)} is a fractional power of a negative number (principal branch)"


def _undefined_at(guards, env, pt, bits, top, real: bool):
    """``None`` when every guard is defined (and real, with ``real``) at the point, ``"unsure"``
    when some could not be told, else ``(side, state, node)`` of the first (innermost) failure."""
    unsure = False
    for side, g, fn in guards:
        st = _state(fn, env, bits, top) if fn is not None else None
        if st == "notreal" and not real:
            st = None  # complex on the way is fine for == and !=: SymPy decides definedness
        if st is None:
            st = _slow_state(g, pt, real)
        if st == "unsure":
            unsure = True
        elif st != "ok":
            return side, st, g
    return "unsure" if unsure else None


# --- the conditions for a proof: every guard defined on the whole domain -------------------------

def _conditions(nodes, real: bool) -> list[tuple[sp.Expr, str]]:
    """``(expr, need)`` with ``need`` in ``nonzero``, ``positive``, ``nonnegative``: conditions
    that together make every power and log among ``nodes`` (and inside them) defined, and real
    with ``real``.  Sufficient, not necessary (``b**t`` with ``b`` of unknown sign asks ``b > 0``
    of an inequality)."""
    out = []
    for node in nodes:
        for e in sp.preorder_traversal(node):
            if e.is_Pow:
                base, x = e.args
                if (x.is_Integer and x >= 0) or base.is_positive:
                    continue
                if x.is_number and x.is_real:
                    frac = not x.is_Integer
                    if x.is_negative:
                        out.append((base, "positive" if real and frac else "nonzero"))
                    elif real and frac:
                        out.append((base, "nonnegative"))
                else:
                    out.append((base, "positive" if real else "nonzero"))
            elif e.func is sp.log:
                out.append((e.args[0], "positive" if real else "nonzero"))
    seen, uniq = set(), []
    for c in out:
        if c not in seen:
            seen.add(c)
            uniq.append(c)
    return uniq


def _bounded_powers(e, domains):
    """``e`` with every power ``u**x`` of a name ``u`` in (0, 1) and a positive ``x`` written as
    a new ``w`` in (0, 1) (``1/(1 + z)``, ``z > 0``), and in (1, oo) for a negative ``x``: a
    condition shown for every such ``w`` holds for the powers themselves (``1 - b**t != 0``)."""
    rep = {}
    for p in e.atoms(sp.Pow):
        u, x = p.args
        dom = domains.get(str(u)) if u.is_Symbol else None
        if dom is None or dom.integer or dom.lo is None or dom.hi is None:
            continue
        inside = (dom.lo > 0 or (dom.lo == 0 and not dom.lo_closed)) and \
            (dom.hi < 1 or (dom.hi == 1 and not dom.hi_closed))
        if inside and (x.is_positive or x.is_negative):
            z = sp.Dummy("z", positive=True)
            rep[p] = 1 / (1 + z) if x.is_positive else 1 + z
    return e.xreplace(rep) if rep else e


def _condition_follows(e, need, free, domains, clock) -> bool:
    attr = {"nonzero": None, "positive": sp.Gt, "nonnegative": sp.Ge}[need]
    syms = [s for s in free if s in e.free_symbols]
    for c in (e, _bounded_powers(e, domains)):
        clock.check()
        try:
            if attr is None and _nonzero_follows(c, syms, domains, clock):
                return True
            if attr is not None and _sign_follows(c, attr, syms, domains, clock):
                return True
        except SYMPY_FAILURES:
            pass
    return False


MAX_PRECISION = 1 << 16  # bits; the first try is at most a quarter of it


def _precision(const_bits: int, pt) -> int:
    """Working precision in bits at ``pt``: enough to resolve every constant of the claim and
    every coordinate of the point twice over (``10**-100`` in the claim asks for about 760)."""
    bits = [const_bits] + [max(abs(int(v.p)).bit_length(), int(v.q).bit_length())
                           for v in pt.values()]
    return min(2 * max(bits) + 96, MAX_PRECISION // 4)


MAX_SCALES = 24


def _scales(rel) -> list[Fraction]:
    """Offsets from the endpoints suggested by the claim's own constants ``p/q``: ``1/q`` and
    ``1/(10 q)``, ``1/|p|`` and ``1/(10 |p|)``, and ``10**-k`` and ``10**-(k+1)`` for the number
    ``k`` of decimal digits of ``p`` and of ``q`` (a claim with ``10**-40`` is tried ``10**-40``
    and ``10**-41`` inside each endpoint, one with ``x*10**300`` at ``10**-300``); at most
    :data:`MAX_SCALES`, the smallest and the largest kept."""
    out = set()
    for a in rel.atoms(sp.Rational):
        for n in {abs(int(a.p)), int(a.q)} - {0, 1}:
            out |= {Fraction(1, n), Fraction(1, 10 * n)}
            k = len(str(n)) if n.bit_length() < 13_000 else int(n.bit_length() * 0.30103)
            out |= {Fraction(1, 10 ** (k - 1)), Fraction(1, 10 ** k)}
    out = sorted(out)
    if len(out) > MAX_SCALES:
        out = out[:MAX_SCALES // 2] + out[-(MAX_SCALES // 2):]
    return out


MAX_ANCHORS = 12


def _anchors(rel) -> list[Fraction]:
    """The claim's own constants and their negatives (``x > -21`` on the integers must try
    ``x = -21``), smallest first, at most :data:`MAX_ANCHORS`."""
    out = set()
    for a in rel.atoms(sp.Rational):
        out |= {Fraction(int(a.p), int(a.q)), -Fraction(int(a.p), int(a.q))}
    return sorted(out, key=lambda v: (abs(v), v))[:MAX_ANCHORS]


# --- exact roots: where the difference or a guard's argument is 0 ---------------------------------

_TRANSCENDENTAL = (sp.sin, sp.cos, sp.exp, sp.log, sp.erf, sp.floor, sp.ceiling, sp.Abs,
                   sp.sign, sp.Max, sp.Min, sp.Sum)
MAX_ROOT_DEGREE = 400  # polynomials of higher degree are not factored
ROOT_SECONDS = 1.0  # at most this long (and a fifth of the time limit) for all root finding
ROOT_BASES = 4  # the other names fixed at this many points when solving for one name
ROOT_OFFSETS = (1, Fraction(1, 10), Fraction(1, 10**3), Fraction(1, 10**10), Fraction(1, 10**30))


MAX_REAL_ROOT_DEGREE = 40  # irrational real roots are isolated up to this degree
ROOT_DIGITS = 40  # an irrational root is tried at decimal approximations to this many digits,
# and as many more as the claim's largest constant has


def _approximations(r, digits: int) -> set[Fraction]:
    """Rationals just beside the real algebraic number ``r``: its value rounded to ``digits``
    significant digits, down and up."""
    v = sp.Rational(str(sp.N(r, digits + 5)))
    if v == 0:
        return set()
    k = digits - int((abs(int(v.p)).bit_length() - int(v.q).bit_length()) * 0.30103)
    scale = sp.Integer(10) ** k if k >= 0 else sp.Rational(1, 10 ** -k)
    lo = sp.floor(v * scale) / scale
    return {Fraction(int(w.p), int(w.q)) for w in (lo, lo + 1 / scale)}


def _rational_roots(u, s, solve: bool, near: int = 0) -> set[Fraction]:
    """The rational roots in ``s`` of the numerator and the denominator of ``u`` (an expression
    in ``s`` alone): exact, from a factorization over the rationals for a polynomial, else from
    ``sympy.solve`` when ``solve`` (only under an alarm: it may take long) and ``u`` is
    algebraic; with ``near`` digits, also the rationals just beside each irrational real root
    (:func:`_approximations`; a polynomial's up to degree :data:`MAX_REAL_ROOT_DEGREE`)."""
    out: set = set()
    num, den = sp.fraction(sp.together(u))
    for part in (num, den):
        if not part.has(s):
            continue
        try:
            poly = sp.Poly(part, s)
            polynomial = poly.domain.is_ZZ or poly.domain.is_QQ
        except (sp.PolynomialError, sp.GeneratorsNeeded, *SYMPY_FAILURES):
            polynomial = False
        if polynomial:
            if poly.degree() <= MAX_ROOT_DEGREE:
                out |= {Fraction(int(r.p), int(r.q)) for r in poly.ground_roots()}
            if near and poly.degree() <= MAX_REAL_ROOT_DEGREE:
                for r in sp.real_roots(poly):
                    if not r.is_Rational:
                        out |= _approximations(r, near)
            continue
        if solve and not part.has(*_TRANSCENDENTAL):  # sympy.solve of sin(x) = c is slow
            try:
                sols = sp.solve(part, s)
            except (*SYMPY_FAILURES, sp.PolynomialError):
                continue
            for r in sols:
                if isinstance(r, sp.Basic) and r.is_Rational:
                    out.add(Fraction(int(r.p), int(r.q)))
                elif near and isinstance(r, sp.Basic) and r.is_real:
                    out |= _approximations(r, near)
    return out


def _irrational_zero(d, kind, s, dom, guards, real, clock):
    """For a claim in one real name ``s``: an irrational real root ``r`` inside ``dom`` of the
    numerator of ``d`` (``!=``, ``<``, ``>``: false there, ``d = 0``) or of a denominator or log
    argument (any claim: undefined there), as ``(r, side, node)`` (``side`` None for a root of
    ``d``); every guard is checked by SymPy to be defined at a root of ``d``.  ``None`` if there
    is none or SymPy cannot tell quickly."""
    if dom.integer:
        return None
    def roots(e):
        num = sp.fraction(sp.cancel(sp.together(e)))[0]
        try:
            poly = sp.Poly(num, s)
        except (sp.PolynomialError, sp.GeneratorsNeeded, *SYMPY_FAILURES):
            return []
        if not (poly.domain.is_ZZ or poly.domain.is_QQ) or \
                not 1 <= poly.degree() <= MAX_REAL_ROOT_DEGREE:
            return []
        out = []
        for r in sp.real_roots(poly):
            clock.check()
            if r.is_Rational:
                continue
            lo_ok = dom.lo is None or bool(r > sp.Rational(dom.lo.numerator, dom.lo.denominator))
            hi_ok = dom.hi is None or bool(r < sp.Rational(dom.hi.numerator, dom.hi.denominator))
            if lo_ok and hi_ok:
                out.append(r)
        return out
    for side, g, _ in guards:
        arg = g.args[0] if g.is_Pow and g.args[1].is_negative else \
            g.args[0] if g.func is sp.log else None
        if arg is not None and arg.free_symbols == {s}:
            for r in roots(arg):
                return r, side, g
    if kind in (sp.Ne, sp.Lt, sp.Gt) and d.free_symbols == {s} and not d.has(sp.Sum):
        for r in roots(d):
            ok = True
            for side, g, _ in guards:
                v = g.xreplace({s: r})
                if not (v.is_finite is True and (not real or v.is_extended_real is True)):
                    ok = False
                    break
            if ok:
                return r, None, None
    return None


def _root_points(exprs, free, domains, bases, kind, scales, time_limit,
                 const_bits: int = 0) -> list[dict]:
    """Points where an expression of ``exprs`` (the difference, the guards' arguments) is 0 or
    undefined, solving for one name at a time with the others fixed at each of ``bases``; for
    an inequality also points beside each root (at :data:`ROOT_OFFSETS` and ``scales``; 1 on
    the integers) and the decimal approximations of irrational real roots (to
    :data:`ROOT_DIGITS` digits and the digits of the largest constant, of ``const_bits``).
    Only points inside the name's domain count."""
    digits = ROOT_DIGITS + min(int(const_bits * 0.30103), 2000)
    out: list[dict] = []
    solve = threading.current_thread() is threading.main_thread()
    seconds = ROOT_SECONDS if time_limit is None else min(ROOT_SECONDS, time_limit / 5)
    start = time.monotonic()
    done: set = set()
    try:
        with within(seconds) as clock:
            for e in exprs:
                for s in free:
                    if s not in e.free_symbols:
                        continue
                    dom = domains[str(s)]
                    for base in bases:
                        fixed = {u: v for u, v in base.items() if u != s}
                        u = e.xreplace(fixed)
                        if u.free_symbols != {s} or u in done:
                            continue
                        done.add(u)
                        clock.check()
                        roots = _rational_roots(u, s, solve,
                                                near=0 if kind in (sp.Eq, sp.Ne) else digits)
                        near = [Fraction(1)] if dom.integer else \
                            sorted(set(ROOT_OFFSETS) | set(scales[:4]), reverse=True)
                        for r in sorted(roots, key=lambda v: (_bits(v), v)):
                            vals = [r] if kind in (sp.Eq, sp.Ne) else \
                                [r] + [r + o for o in near] + [r - o for o in near]
                            for v in vals:
                                if dom.contains(v):
                                    out.append({**fixed, s: sp.Rational(v.numerator,
                                                                        v.denominator)})
    except TimeLimitExceeded:
        if time_limit is not None and time.monotonic() - start < seconds * 0.5:
            raise  # the enclosing limit, not this one
    return out


def _bounded(fn, time_limit):
    """``fn()`` within :data:`ROOT_SECONDS` (and a fifth of ``time_limit``); ``None`` when it
    ran out of that time or SymPy gave up."""
    seconds = ROOT_SECONDS if time_limit is None else min(ROOT_SECONDS, time_limit / 5)
    start = time.monotonic()
    try:
        with within(seconds):
            return fn()
    except TimeLimitExceeded:
        if time_limit is not None and time.monotonic() - start < seconds * 0.5:
            raise  # the enclosing limit, not this one
    except (*SYMPY_FAILURES, sp.PolynomialError):
        pass
    return None


def _algebraic_refutation(text, lhs, rhs, s, hit, dom_text, n) -> ClaimResult:
    """The refutation at the irrational real root ``r`` of ``hit = (r, side, node)``."""
    r, side, node = hit
    witness = {str(s): sp.sstr(r)}
    if side is None:
        for name, e in (("lhs", lhs), ("rhs", rhs)):
            witness[name] = _fmt(e.xreplace({s: r}))
        witness["lhs - rhs"] = "0"
        return ClaimResult(text, "refuted", "not needed: a point refutes it",
                           f"holds at {n} rational points but fails at an exact irrational "
                           f"root of the difference's numerator, where lhs - rhs = 0", witness,
                           dom_text)
    word = "undefined"
    for name, e in (("lhs", lhs), ("rhs", rhs)):
        witness[name] = word if name == side else _fmt(e.xreplace({s: r}))
    witness["lhs - rhs"] = word
    witness["reason"] = f"{word}: {_why(node, 'undefined')} ({side})"
    what = {"lhs": "the left side", "rhs": "the right side"}[side]
    return ClaimResult(text, "refuted", "not needed: a point refutes it",
                       f"holds at {n} rational points but {what} is undefined at an exact "
                       f"irrational root of a denominator or a log's argument", witness,
                       dom_text)


def decide(text: str, assume=(), points: int = 40, seed: int = 0,
           time_limit: float | None = 10.0) -> ClaimResult:
    """Prove, refute (with a concrete point) or report a claim inconclusive.

    >>> decide("Sum((1 - b)*b**(t - i), i, 1, t) == 1 - b**t").status
    'proved'
    >>> r = decide("sqrt(a + c) == sqrt(a) + sqrt(c)")
    >>> r.status, sorted(r.counterexample)[:2]
    ('refuted', ['a', 'c'])
    >>> r = decide("b < 1", ["0 < b <= 1"])
    >>> r.status, r.counterexample["b"]
    ('refuted', '1')
    >>> r = decide("x/x == 1")
    >>> r.status, r.counterexample["x"], r.counterexample["reason"]
    ('refuted', '0', 'undefined: 1/x divides by zero (lhs)')
    """
    if not isinstance(points, int) or isinstance(points, bool) or not 1 <= points <= 1000:
        raise ClaimError(f"points = {points!r} must be an integer in [1, 1000]")
    c = _read_claim(text, assume)
    free = sorted(c.names.values(), key=str)
    domains = {str(s): c.domains.get(str(s)) or default_domain(str(s)) for s in free}
    dom_text = {n: dom.text() + ("" if n in c.domains else " (default)")
                for n, dom in domains.items()}
    try:
        with within(time_limit) as clock:
            return _decide(text, c, free, domains, dom_text, points, seed, clock, time_limit)
    except TimeLimitExceeded:
        return ClaimResult(text, "inconclusive", f"stopped at the time limit ({time_limit} s)",
                           "not finished", None, dom_text)


def _size(pt) -> int:
    return sum(abs(int(v.p)).bit_length() + int(v.q).bit_length() for v in pt.values())


def _compiled(e):
    try:
        return _compile(e)
    except _Unsupported:
        return None


def _decide(text, c, free, domains, dom_text, points, seed, clock, time_limit) -> ClaimResult:
    rel = c.rel
    lhs, rhs = rel.lhs, rel.rhs
    kind = type(rel)
    real = kind not in (sp.Eq, sp.Ne)  # an inequality needs real sides
    d = lhs - rhs
    scales = _scales(rel)
    pts = probe(free, points, seed, domains, scales, _anchors(rel))
    guards = [(side, g, _compiled(g)) for side in ("lhs", "rhs") for g in c.guards[side]
              if not g.free_symbols & c.indices]
    const_bits = max((_bits(Fraction(int(a.p), int(a.q))) for a in rel.atoms(sp.Rational)),
                     default=0)
    # exact roots of the difference and of every guard's argument (where it is undefined)
    if free:
        args = [g.args[0] if g.is_Pow or g.func is sp.log else g for _, g, _ in guards]
        # (an equation holds at the roots of d: only the guards' roots can refute it there)
        exprs = [e for e in ([] if kind is sp.Eq else [d]) + args if not e.has(sp.Sum)]
        bases = sorted(pts, key=_size)[:ROOT_BASES]
        seen = {tuple(pt[s] for s in free) for pt in pts}
        for pt in _root_points(exprs, free, domains, bases, kind, scales, time_limit,
                               const_bits):
            key = tuple(pt[s] for s in free)
            if key not in seen:
                seen.add(key)
                pts.append(pt)
    pts.sort(key=_size)
    top = 0
    fn = _compiled(d)
    in_d = set(sp.preorder_traversal(d))
    lost = [g for g in guards if g[1] not in in_d]
    # 1. every point, simplest first: definedness, then the sign of d, exactly or with certified
    #    intervals, SymPy where the evaluator cannot; the first failure refutes
    judged = []
    for k, pt in enumerate(pts):
        clock.check()
        env = {s: Fraction(int(v.p), int(v.q)) for s, v in pt.items()}
        bits = _precision(const_bits, pt)
        cap = min(4 * bits, MAX_PRECISION)
        top = max(top, cap)
        p = _fast(fn, env, bits, cap) if fn is not None else None
        # a sign certified by the evaluator means every node of d was defined (and real)
        # there: only the nodes that SymPy's simplification removed from d are left to try
        bad = _undefined_at(lost if p in ("neg", "zero", "pos") else guards, env, pt, bits,
                            cap, real)
        if isinstance(bad, tuple):
            return _refutation(text, lhs, rhs, pt, domains, dom_text, k + 1, len(pts),
                               const_bits, bad)
        if p is None:
            p = _slow(d, pt, kind, prove_zero=False)
        verdict = _verdict(kind, p)
        if verdict == "fails":  # also where definedness is unsure: false either way
            why = ("lhs - rhs", p, d) if p in ("undefined", "notreal") else None
            return _refutation(text, lhs, rhs, pt, domains, dom_text, k + 1, len(pts),
                               const_bits, why, zero=p == "zero")
        judged.append((pt, "unsure" if bad == "unsure" else verdict, bad == "unsure"))
    # 1b. one real name: an irrational real root where d = 0 or a denominator vanishes
    if len(free) == 1:
        hit = _bounded(lambda: _irrational_zero(d, kind, free[0], domains[str(free[0])],
                                                guards, real, clock), time_limit)
        if hit is not None:
            return _algebraic_refutation(text, lhs, rhs, free[0], hit, dom_text, len(pts))
    # 2. SymPy, with the bounds SymPy cannot carry written through positive symbols; a proof
    #    also needs every guard defined (and real, for an inequality) on the whole domain
    try:
        if kind is sp.Eq:
            ok = _zero_follows(d, free, domains, clock)
        elif kind is sp.Ne:
            ok = _nonzero_follows(d, free, domains, clock)
        else:
            ok = _sign_follows(d, kind, free, domains, clock)
    except SYMPY_FAILURES:  # SymPy gave up: not shown
        ok = False
    missing = None
    if ok:
        nodes = c.guards["lhs"] + c.guards["rhs"] + ([lhs, rhs] if real else [])
        for e, need in _conditions(nodes, real):
            if not _condition_follows(e, need, free, domains, clock):
                missing, ok = (e, need), False
                break
    # 3. points whose sign no interval could certify: SymPy, simplification included
    if not ok:
        for k, (pt, verdict, undecided) in enumerate(judged):
            if verdict == "unsure" and not undecided:
                clock.check()
                p = _slow(d, pt, kind, prove_zero=True)
                verdict = _verdict(kind, p)
                if verdict == "fails":
                    return _refutation(text, lhs, rhs, pt, domains, dom_text, None, len(pts),
                                       const_bits, None, zero=p == "zero")
                judged[k] = (pt, verdict, undecided)
    held = sum(v == "holds" for _, v, _ in judged)
    unsure = sum(v == "unsure" for _, v, _ in judged)
    undecided = sum(u for _, _, u in judged)
    where = ("points (closed endpoints, near-endpoints, the claim's constants, exact roots, "
             "simple and random rationals)" if free else "point (no free symbols)")
    numeric = (f"holds at {held} of {len(pts)} {where}, each exactly or with certified bounds, "
               f"both sides defined{' and real' if real else ''}")
    if unsure:
        numeric += (f"; at {unsure} the difference could not be separated from 0 (intervals to "
                    f"{int(top * 0.30103)} digits{'' if ok else ', then simplification'})")
    if undecided:
        numeric += f"; at {undecided} whether both sides are defined was not decided"
    if ok:
        return ClaimResult(text, "proved", "difference simplifies to 0" if kind is sp.Eq
                           else "difference is nonzero under the assumptions" if kind is sp.Ne
                           else "sign of the difference follows from the assumptions",
                           numeric, None, dom_text)
    symbolic = "SymPy could not show it"
    if missing is not None:
        symbolic = (f"the relation follows where both sides are defined, but SymPy could not "
                    f"show {_short(missing[0])} {_NEEDS[missing[1]]} on the whole domain")
    if unsure or not held:
        return ClaimResult(text, "inconclusive", symbolic, numeric, None, dom_text)
    return ClaimResult(text, "checked-numerically", symbolic, numeric, None, dom_text)


_NEEDS = {"nonzero": "!= 0", "positive": "> 0", "nonnegative": ">= 0"}


def _refutation(text, lhs, rhs, pt, domains, dom_text, k, n, const_bits, why,
                zero: bool = False) -> ClaimResult:
    """The refutation at ``pt``, the ``k``-th of ``n`` points in order of size (``None``: found
    when the uncertain points were retried); ``why`` is ``(side, state, node)`` where a side is
    undefined or not real there; ``zero`` where the difference is known to be exactly 0 (its
    enclosure may not show it)."""
    _check_inside(pt, domains)
    witness = {str(s): exact_text(Fraction(int(v.p), int(v.q))) for s, v in pt.items()}
    bits = _precision(const_bits, pt)
    where = (f"at point {k} of {n} (tried simplest first)" if k is not None
             else f"at one of {n} points, once simplified")
    if why is not None:
        side, state, node = why
        word = "undefined" if state == "undefined" else "not real"
        for name, e in (("lhs", lhs), ("rhs", rhs)):
            witness[name] = word if side in (name, "lhs - rhs") else _show(e, pt, bits)
        witness["lhs - rhs"] = word
        witness["reason"] = f"{word}: {_why(node, state)} ({side})"
        what = {"lhs": "the left side", "rhs": "the right side"}.get(side, "the difference")
        return ClaimResult(text, "refuted", "not needed: a point refutes it",
                           f"fails {where}: {what} is {word} there"
                           + ("" if state == "undefined" else " (an inequality needs real sides)"),
                           witness, dom_text)
    witness["lhs"], witness["rhs"] = _show(lhs, pt, bits), _show(rhs, pt, bits)
    witness["lhs - rhs"] = "0" if zero else _show(lhs - rhs, pt, bits)
    return ClaimResult(text, "refuted", "not needed: a point refutes it",
                       f"fails {where}, exactly or with certified bounds", witness, dom_text)


def _check_inside(pt, domains) -> None:
    """A counterexample must satisfy every assumption; anything else is a bug here."""
    for s, v in pt.items():
        if not domains[str(s)].contains(Fraction(int(v.p), int(v.q))):
            raise AssertionError(f"counterexample {s} = {v} is outside {domains[str(s)].text()}")


# --- the symbolic side --------------------------------------------------------------------------

MAX_CASES = 8
SYMPY_FAILURES = (TypeError, ValueError, NotImplementedError, RecursionError, AttributeError,
                  ZeroDivisionError)


def _cases(d, free, domains) -> list:
    """``d`` with every bounded symbol written through :func:`~.assume.parametrize` (the cases
    together cover the domains; at most :data:`MAX_CASES`, closed intervals widened beyond)."""
    cases = [d]
    for s in free:
        forms = parametrize(s, domains[str(s)])
        if len(cases) * len(forms) > MAX_CASES:
            forms = parametrize(s, domains[str(s)], single=True)
        if forms != [s]:
            cases = [c.subs(s, f) for c in cases for f in forms]
    return cases


def _zero_follows(d, free, domains, clock) -> bool:
    if simplifies_to_zero(d.doit()):
        return True
    cases = _cases(d, free, domains)
    if cases == [d]:
        return False
    for c in cases:
        clock.check()
        if not simplifies_to_zero(sp.piecewise_fold(c.doit())):
            return False
    return True


def _nonzero_follows(d, free, domains, clock) -> bool:
    """Whether SymPy knows that ``d`` (or every case of :func:`_cases`) is not zero."""
    def known(c):
        clock.check()
        try:
            c = c.doit()
            return c.is_zero is False or sp.simplify(c).is_zero is False
        except (TypeError, ValueError, NotImplementedError, RecursionError, AttributeError):
            return False
    return known(d) or all(known(c) for c in _cases(d, free, domains))


def _has_sign(e, attr) -> bool:
    e = e.doit()
    for f in (lambda x: x, sp.simplify, sp.factor):
        try:
            e = f(e)
            if getattr(e, attr):
                return True
        except (TypeError, ValueError, NotImplementedError, RecursionError, AttributeError):
            return False
    return False


def _sign_follows(d, kind, free, domains, clock) -> bool:
    """Whether the sign that ``kind`` needs of ``d = lhs - rhs`` follows from the assumptions:
    on ``d`` itself (its symbols carry the sign assumptions their domains imply), else on every
    case of :func:`_cases`."""
    attr = {sp.Lt: "is_negative", sp.Le: "is_nonpositive", sp.Gt: "is_positive",
            sp.Ge: "is_nonnegative"}[kind]
    if _has_sign(d, attr):
        return True
    cases = _cases(d, free, domains)
    if cases == [d]:
        return False
    for c in cases:
        clock.check()
        if not _has_sign(c, attr):
            return False
    return True


def _show(expr, pt, bits: int) -> str:
    """``expr`` at ``pt`` for the reader, 20 digits of an enclosure at ``bits`` or exact: through
    the exact evaluator where it applies (no SymPy power of a huge point is ever expanded), else
    by SymPy."""
    env = {s: Fraction(int(v.p), int(v.q)) for s, v in pt.items()}
    old = iv.prec
    iv.prec = bits
    try:
        v = _compile(expr)(env)
        if isinstance(v, Fraction):
            return _fmt(sp.Rational(v.numerator, v.denominator))
        lo, hi = _ends(v)
        if not (mp.isfinite(lo) and mp.isfinite(hi)):
            return "undefined"
        with mp.workprec(bits):
            return mp.nstr((lo + hi) / 2, 20, strip_zeros=False)
    except (_Undefined, ZeroDivisionError):
        return "undefined"
    except (_NotReal, _Unsupported, _Unsure, KeyError, ArithmeticError, ValueError, TypeError):
        pass
    finally:
        iv.prec = old
    try:
        return _fmt(_at(expr, pt))
    except _TooLarge:
        return "(too large to show)"


def _fmt(v) -> str:
    """Exact for a short rational, else 20 significant digits (``lhs - rhs`` shows what these
    digits hide: ``1 + 10**-100`` prints as ``1.0000000000000000000``)."""
    if v.is_Rational:
        small = max(abs(v.p).bit_length(), abs(v.q).bit_length()) < 190
        if small:
            return str(v)
        with mp.workprec(96):
            return mp.nstr(mp.mpf(int(v.p)) / int(v.q), 20, strip_zeros=False)
    try:
        return sp.sstr(sp.N(v, 20))
    except (TypeError, ValueError):
        return sp.sstr(v)
