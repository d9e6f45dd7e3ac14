r"""Decide a user's claim ``"EXPR == EXPR"`` (or ``<``, ``<=``, ``>``, ``>=``, ``!=``).

The formula is parsed by a whitelist parser, never by ``eval`` or ``sympify``: the text must
use only letters, digits, spaces and ``+ - * / ( ) . , < > = !``; it is read with Python's
:mod:`ast` parser and every node must be a number, a name, ``+ - * / **``, unary minus, a call
of one of :data:`FUNCTIONS`, or one comparison.  Names starting with ``_``, attribute access,
subscripts, keywords arguments, strings and anything else are refused, as are texts longer than
:data:`MAX_CHARS`, more than :data:`MAX_NODES` nodes, numeric exponents above
:data:`MAX_EXPONENT`, and numbers whose size would explode (``9**9**9**9``).

The decision uses both checks of :mod:`optmath.symbolic.checks`: SymPy simplification and
exact evaluation at random rational points inside the declared domains (``--assume``, else a
default domain by name, see :mod:`optmath.symbolic.assume`).  A failing point refutes the
claim and is printed exactly; proof needs both checks; a claim that holds at every point but
does not simplify is ``checked-numerically``; a claim whose work exceeds the time limit is
``inconclusive``.
"""
from __future__ import annotations

import ast
import gc
import re
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from ..errors import OptmathValueError
from .assume import Interval, default_domain, sample, symbol
from .checks import DIGITS, simplifies_to_zero

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


class _Builder:
    """AST -> SymPy, node by node, refusing anything outside the whitelist."""

    def __init__(self, domains: dict[str, Interval]):
        self.domains = domains
        self.names: dict[str, sp.Symbol] = {}
        self.nodes = 0

    def name(self, n: str) -> sp.Symbol:
        if n.startswith("_"):
            raise ClaimError(f"name {n!r} is not allowed (names may not start with '_')")
        if n in FUNCTIONS:
            raise ClaimError(f"{n!r} is a function; call it with arguments")
        if n in ("lambda", "import", "eval", "exec"):
            raise ClaimError(f"{n!r} is not allowed")
        if n not in self.names:
            self.names[n] = symbol(n, self.domains.get(n))
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
                raise ClaimError(f"exponent {b if len(str(b)) < 40 else str(b)[:40] + '...'} is too "
                                 f"large (limit {MAX_EXPONENT})")
            if a.is_Rational and b.is_Rational:
                bits = max(abs(a.p).bit_length(), abs(a.q).bit_length()) * abs(b)
                if bits > MAX_BITS:
                    raise ClaimError(f"power {a}**{b} would have about {int(bits)} bits "
                                     f"(limit {MAX_BITS})")
                if a == 0 and b < 0:
                    raise ClaimError("division by zero in the formula (0 to a negative power)")
        return sp.Pow(a, b)

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
            return sp.Sum(term, (idx, lo, hi))
        args = [self(a) for a in node.args]
        f = FUNCTIONS[fname]
        try:
            return f(*args)
        except (TypeError, ValueError) as exc:
            raise ClaimError(f"bad arguments to {fname}: {exc}") from None


def _parse(text: str, what: str):
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ClaimError(f"{what} {text[:60]!r} is not a formula: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ClaimError(f"{what} is nested too deeply") from None


def parse_assumption(text: str) -> dict[str, Interval]:
    """``"0 < b < 1"``, ``"t >= 1"``, ``"x > 0"``, ``"t integer"``, ``"b in (0, 1)"``."""
    _check_text(text, "assumption")
    words = text.split()
    if len(words) == 2 and words[1] in ("integer", "real", "positive"):
        n = words[0]
        if not n.isidentifier() or n.startswith("_"):
            raise ClaimError(f"bad name {n!r} in assumption {text!r}")
        return {n: {"integer": Interval(None, None, integer=True),
                    "real": Interval(None, None),
                    "positive": Interval(Fraction(0), None)}[words[1]]}
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
    lo = hi = None
    lo_c = hi_c = False
    b = _Builder({})
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
        closed = isinstance(op, (ast.LtE, ast.GtE))
        if upper:
            hi, hi_c = val, closed
        else:
            lo, lo_c = val, closed
    base = default_domain(n)
    return {n: Interval(lo, hi, base.integer, lo_c, hi_c)}


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
        if self.counterexample:
            s += "\n  counterexample: " + ", ".join(f"{k} = {v}" for k, v in self.counterexample.items())
        return s


class _Timeout(Exception):
    pass


class _Clock:
    """The deadline of one :func:`_time_limit`; :meth:`check` raises :class:`_Timeout` once it
    has passed (the cooperative half of the limit, which also works off the main thread)."""

    def __init__(self, seconds: float | None):
        self.at = None if seconds is None else time.monotonic() + seconds

    def check(self) -> None:
        if self.at is not None and time.monotonic() > self.at:
            raise _Timeout()


def _in_swallowing_code(frame) -> bool:
    """Whether ``frame`` (or a caller of it) is a garbage-collection callback or a ``__del__``:
    Python prints and drops an exception raised there (Hypothesis and JAX install gc callbacks),
    so the alarm must wait until the work itself runs again."""
    codes = set()
    for cb in list(gc.callbacks):
        code = getattr(getattr(cb, "__func__", cb), "__code__", None)
        if code is not None:
            codes.add(code)
    while frame is not None:
        if frame.f_code in codes or frame.f_code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


@contextmanager
def _time_limit(seconds: float | None):
    """Raise :class:`_Timeout` in the body after ``seconds``; yields a :class:`_Clock`.

    On the main thread a ``SIGALRM`` interrupts long SymPy calls; an alarm that arrives inside a
    gc callback or a finalizer is postponed by 10 ms instead of being raised there, and one that
    is raised and swallowed anyway fires again 0.2 s later.  The handler and the timer of an
    enclosing limit are restored on exit, with the time that is left of it.  Elsewhere (other
    threads, no ``setitimer``) only the clock's cooperative checks apply.
    """
    clock = _Clock(seconds)
    if seconds is None or threading.current_thread() is not threading.main_thread() \
            or not hasattr(signal, "setitimer"):
        yield clock
        return

    def handler(signum, frame):
        if _in_swallowing_code(frame):
            signal.setitimer(signal.ITIMER_REAL, 0.01)
            return
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        raise _Timeout()

    start = time.monotonic()
    old = signal.signal(signal.SIGALRM, handler)
    outer, outer_interval = signal.setitimer(signal.ITIMER_REAL, 0)
    signal.setitimer(signal.ITIMER_REAL, max(1e-6, min(seconds, outer) if outer else seconds))
    try:
        yield clock
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        if outer:
            left = outer - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), outer_interval)


def parse_expression(text: str, what: str = "formula") -> sp.Expr:
    """One expression (not a relation) through the same whitelist as claims; ``what`` names the
    input in the one-line error."""
    _check_text(text, what)
    return _Builder({})(_parse(text, what))


def parse_claim(text: str, assume=()) -> tuple[sp.Basic, dict[str, Interval]]:
    """The claim as a SymPy relation (names carry their domains' assumptions)."""
    _check_text(text, "claim")
    domains: dict[str, Interval] = {}
    for a in (assume or ()):
        domains.update(parse_assumption(a))
    node = _parse(text, "claim")
    if not isinstance(node, ast.Compare) or len(node.ops) != 1:
        raise ClaimError(f"claim {text[:60]!r} must be one comparison: LHS == RHS, <, <=, >, >=, !=")
    b = _Builder(domains)
    lhs, rhs = b(node.left), b(node.comparators[0])
    rel = RELATIONS[type(node.ops[0])]
    return rel(lhs, rhs, evaluate=False), domains


def _value(expr, pt):
    v = expr.subs(pt)
    if v.has(sp.Sum):
        v = v.doit()
    return v if v.is_Rational else sp.N(v, DIGITS)


def decide(text: str, assume=(), points: int = 40, seed: int = 0,
           time_limit: float | None = 10.0) -> ClaimResult:
    """Prove, refute (with a concrete point) or report a claim inconclusive.

    >>> decide("Sum((1 - b)*b**(t - i), i, 1, t) == 1 - b**t").status
    'proved'
    >>> r = decide("sqrt(a + c) == sqrt(a) + sqrt(c)")
    >>> r.status, sorted(r.counterexample)[:2]
    ('refuted', ['a', 'c'])
    """
    if not isinstance(points, int) or not 1 <= points <= 1000:
        raise ClaimError(f"points = {points!r} must be an integer in [1, 1000]")
    rel, domains = parse_claim(text, assume)
    lhs, rhs = rel.lhs, rel.rhs
    kind = type(rel)
    free = (lhs.free_symbols | rhs.free_symbols)
    dom_text = {str(s): domains.get(str(s), default_domain(str(s))).text() for s in free}
    pts = sample(free, points, seed, domains) if free else [{}]
    try:
        with _time_limit(time_limit):
            worst, witness = 0.0, None
            for pt in pts:
                lv, rv = _value(lhs, pt), _value(rhs, pt)
                if not (lv.is_real and rv.is_real) and kind is not sp.Eq:
                    continue
                if kind in (sp.Eq, sp.Ne):
                    diff = abs(complex(sp.N(lv - rv, DIGITS)))
                    scale = max(1.0, abs(complex(lv)), abs(complex(rv)))
                    bad = diff > 1e-30 * scale if kind is sp.Eq else diff <= 1e-30 * scale
                    size = diff / scale
                else:
                    holds = bool(kind(lv, rv))
                    bad, size = (not holds), float(abs(lv - rv)) if not holds else 0.0
                if bad and (witness is None or size > worst):
                    worst = size
                    witness = {str(k): str(v) for k, v in pt.items()}
                    witness["lhs"], witness["rhs"] = _fmt(lv), _fmt(rv)
            if witness is not None:
                return ClaimResult(text, "refuted", "not needed: a point refutes it",
                                   f"fails at {len(pts)} sampled point(s); worst shown",
                                   witness, dom_text)
            numeric = f"holds at all {len(pts)} random rational points (60 digits)"
            if kind is sp.Eq:
                ok = simplifies_to_zero(lhs.doit() - rhs.doit()) or _zero_with_decays(lhs - rhs)
            elif kind is sp.Ne:
                ok = False
            else:
                ok = _sign_follows(sp.simplify((lhs - rhs).doit()), kind)
    except _Timeout:
        return ClaimResult(text, "inconclusive", f"stopped at the time limit ({time_limit} s)",
                           "not finished", None, dom_text)
    if ok:
        return ClaimResult(text, "proved", "difference simplifies to 0" if kind is sp.Eq
                           else "sign of the difference follows from the assumptions",
                           numeric, None, dom_text)
    return ClaimResult(text, "checked-numerically", "SymPy could not show it", numeric, None,
                       dom_text)


def _zero_with_decays(d) -> bool:
    """Retry with every decay in (0, 1) written as ``1/(1 + r)``, ``r > 0`` (so the ``b = 1``
    branch that ``Sum`` produces is decided away)."""
    from .assume import decays_inside

    fwd, _ = decays_inside(d, positive_only=True)
    if not fwd:
        return False
    return simplifies_to_zero(sp.piecewise_fold(d.subs(fwd).doit()))


def _sign_follows(d, kind) -> bool:
    """Whether the sign that ``kind`` needs of ``d = lhs - rhs`` follows from the assumptions,
    also after writing every decay ``b`` in (0, 1) as ``1/(1 + r)`` with ``r > 0``."""
    from .assume import decays_inside

    attr = {sp.Lt: "is_negative", sp.Le: "is_nonpositive", sp.Gt: "is_positive",
            sp.Ge: "is_nonnegative"}[kind]
    if getattr(d, attr):
        return True
    fwd, _ = decays_inside(d, positive_only=True)
    if fwd:
        d2 = sp.factor(sp.simplify(d.subs(fwd)))
        return bool(getattr(d2, attr))
    return False


def _fmt(v) -> str:
    if v.is_Rational:
        small = max(abs(v.p).bit_length(), abs(v.q).bit_length()) < 190
        return str(v) if small else sp.sstr(sp.N(v, 20))
    return sp.sstr(sp.N(v, 20))
