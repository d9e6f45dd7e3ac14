r"""The rigorous replay kernel: the spec's equations in interval arithmetic, printed by the generator.

:func:`interval_source` turns a resolved algorithm into the source of one Numba kernel,
``enclose(hv, grads, lrs, x0, lo, hi, project, XL, XH, SL, SH)``, that runs a one-dimensional
problem on an explicit gradient stream with every value replaced by an interval ``[lo, hi]``
that contains the value of the *exact* real recurrence: the same equations, hyperparameters,
learning rates, gradients and start (their float64 values taken exactly), computed with real
numbers.  It is printed from the same lane program (:func:`optmath.kernels.lanes.analyse`) as the
float64 kernels, so no rule is written twice and nothing here knows an optimizer by name.

Outward rounding
----------------
IEEE 754 ``+ - * /`` and ``sqrt`` are correctly rounded: the float64 result ``p`` is within half
a spacing of the exact result of its float64 operands.  Each bound is therefore moved outwards
after every operation by ``|p| 2^-52 + 2^-1074``, at least one spacing of ``p`` (the subtraction
rounds monotonically to a float at or beyond the neighbour of ``p``), which encloses the exact
result; a sum that rounds
to zero is exact (sums of floats are multiples of the smallest subnormal) and is not moved, and
a product or quotient that rounds to zero keeps the sign its operands give it, so a state that
is a sum of non-negative terms keeps a lower bound >= 0.  ``pow``, ``exp`` and ``log`` are
library functions with an error below one ulp (glibc documents it): their bounds move two ulps.
This is the only assumption beyond IEEE 754; an integer power is a product of intervals, and a
power of the step ``base**(a t + b)`` is a running product ``P_t = P_{t-1} base**a`` of intervals
(the float64 kernels re-anchor it with ``pow`` every :data:`~optmath.kernels.lanes.ANCHOR` steps;
the enclosure need not, it contains the exact power at every step).

Functions of intervals: ``sqrt``, ``max``, ``min``, ``abs`` and ``sign`` are monotone pieces
evaluated at the ends (``sign`` of an interval holding 0 is ``[-1, 1]``, or one side of it);
a division by an interval that holds 0 gives ``[-inf, inf]``; ``sqrt`` of an interval that reaches
below 0 gives NaN.  A condition (``>``, ``>=``, ``==``, ``and``, ...) is three-valued (true,
false, undecided); a ``Piecewise`` takes the branch a decided condition selects and the hull of
both branches when it is undecided.  Projection onto ``[lo, hi]`` clamps both ends.

The kernel stops at the first step where a bound of the iterate or of a state is not finite
(the enclosure is lost: too wide to say anything, or a division by an interval holding 0) and
returns that step; 0 when the whole stream ran.  Enclosures of oracle problems (a gradient that
depends on ``x``) would grow by the dependency effect and are not offered: the stream is explicit.
"""
from __future__ import annotations

import math
from fractions import Fraction

import sympy as sp
from sympy.functions.elementary.piecewise import ExprCondPair

from ..errors import DomainError
from ..spec import Algorithm
from .lanes import LaneProgram, Plus0, analyse

#: bump when the template or the interval rules change: part of the cache key
INTERVAL_VERSION = "4"

class _Emitter:
    """Three-address interval code for the expressions of one lane program.

    Every SymPy node becomes one statement ``L_k, H_k = _op(...)`` (or a condition ``c_k = ...``);
    a symbol ``s`` of the program is the pair ``L_s, H_s``; ``t`` and ``lr`` are points."""

    def __init__(self):
        self.lines: list[str] = []
        self.counter = 0
        self.memo: dict = {}

    def fresh(self) -> str:
        self.counter += 1
        return f"q{self.counter}"

    def emit(self, line: str) -> None:
        self.lines.append(line)

    def number(self, e) -> tuple[str, str]:
        if e.is_Integer:
            if abs(int(e)) > 2**53:
                raise DomainError(f"integer {e} has no exact float64 value for the enclosure")
            v = repr(float(int(e)))
            return v, v
        if e.is_Rational:
            return rational_bounds(int(e.p), int(e.q))
        if isinstance(e, sp.Float):
            v = repr(float(e))  # a Float of the spec is its float64 value, as in the float64 kernels
            return v, v
        if e is sp.nan:
            return "math.nan", "math.nan"
        if e is sp.oo:
            return "math.inf", "math.inf"
        if e is sp.zoo or e is -sp.oo:
            return "(-math.inf)", "(-math.inf)"
        raise DomainError(f"number {e} cannot be enclosed")

    def interval(self, e) -> tuple[str, str]:
        """The pair of names (or literals) enclosing ``e``."""
        if e.is_Symbol:
            name = e.name
            if name == "t":
                return "tf", "tf"
            if name == "lr":
                return "lr", "lr"
            return f"L_{name}", f"H_{name}"
        if e.is_Number or e in (sp.nan, sp.zoo, sp.oo, -sp.oo):
            return self.number(e)
        key = sp.srepr(e)
        if key in self.memo:
            return self.memo[key]
        out = self._node(e)
        self.memo[key] = out
        return out

    def _op(self, call: str) -> tuple[str, str]:
        n = self.fresh()
        self.emit(f"L{n}, H{n} = {call}")
        return f"L{n}", f"H{n}"

    def _fold(self, helper: str, args) -> tuple[str, str]:
        cur = self.interval(args[0])
        for a in args[1:]:
            b = self.interval(a)
            cur = self._op(f"{helper}({cur[0]}, {cur[1]}, {b[0]}, {b[1]})")
        return cur

    def _node(self, e) -> tuple[str, str]:
        if isinstance(e, sp.Add):
            return self._fold("_add", e.args)
        if isinstance(e, sp.Mul):
            args = list(e.args)
            if args[0] == -1 and len(args) > 1:  # -a b: the product, negated exactly
                rest = self._node(sp.Mul(*args[1:], evaluate=False)) if len(args) > 2 else self.interval(args[1])
                return self._op(f"_neg({rest[0]}, {rest[1]})")
            return self._fold("_mul", args)
        if isinstance(e, sp.Pow):
            return self._pow(e.base, e.exp)
        if isinstance(e, Plus0):
            return self.interval(e.args[0])  # 0.0 + a: exact
        if isinstance(e, sp.Max):
            return self._fold("_max", e.args)
        if isinstance(e, sp.Min):
            return self._fold("_min", e.args)
        if isinstance(e, sp.Abs):
            a = self.interval(e.args[0])
            return self._op(f"_abs({a[0]}, {a[1]})")
        if isinstance(e, sp.sign):
            a = self.interval(e.args[0])
            return self._op(f"_sgn({a[0]}, {a[1]})")
        if isinstance(e, sp.exp):
            a = self.interval(e.args[0])
            return self._op(f"_exp({a[0]}, {a[1]})")
        if isinstance(e, sp.log):
            a = self.interval(e.args[0])
            return self._op(f"_log({a[0]}, {a[1]})")
        if isinstance(e, sp.Piecewise):
            return self._piecewise(e)
        raise DomainError(f"{type(e).__name__} ({e}) cannot be printed into the interval replay")

    def _pow(self, base, ex) -> tuple[str, str]:
        b = self.interval(base)
        if ex == sp.Rational(1, 2):
            return self._op(f"_sqrt({b[0]}, {b[1]})")
        if ex == -sp.Rational(1, 2):
            r = self._op(f"_sqrt({b[0]}, {b[1]})")
            return self._op(f"_div(1.0, 1.0, {r[0]}, {r[1]})")
        if ex.is_Integer and ex != 0:
            k = abs(int(ex))
            if k > 64:
                raise DomainError(f"integer power {ex} is too large for the interval replay")
            acc, sq, first = None, b, True
            while k:  # exponentiation by squaring of intervals
                if k & 1:
                    acc = sq if first else self._op(f"_mul({acc[0]}, {acc[1]}, {sq[0]}, {sq[1]})")
                    first = False
                k >>= 1
                if k:
                    sq = self._op(f"_sq({sq[0]}, {sq[1]})")
            if ex < 0:
                acc = self._op(f"_div(1.0, 1.0, {acc[0]}, {acc[1]})")
            return acc
        x = self.interval(ex)
        return self._op(f"_pow({b[0]}, {b[1]}, {x[0]}, {x[1]})")

    def condition(self, c) -> str:
        """A three-valued condition variable for a SymPy boolean."""
        if c.is_Symbol:  # a condition computed once per step (hoisted): its three-valued variable
            return f"C_{c.name}"
        if c is sp.true:
            return "1"
        if c is sp.false:
            return "0"
        n = self.fresh()
        if isinstance(c, sp.Rel):
            a, b = self.interval(c.lhs), self.interval(c.rhs)
            op = c.rel_op
            call = {">": f"_gt({a[0]}, {a[1]}, {b[0]}, {b[1]})", ">=": f"_ge({a[0]}, {a[1]}, {b[0]}, {b[1]})",
                    "<": f"_gt({b[0]}, {b[1]}, {a[0]}, {a[1]})", "<=": f"_ge({b[0]}, {b[1]}, {a[0]}, {a[1]})",
                    "==": f"_eq({a[0]}, {a[1]}, {b[0]}, {b[1]})",
                    "!=": f"_not(_eq({a[0]}, {a[1]}, {b[0]}, {b[1]}))"}.get(op)
            if call is None:
                raise DomainError(f"relation {op} cannot be printed into the interval replay")
            self.emit(f"c{n} = {call}")
            return f"c{n}"
        if isinstance(c, (sp.And, sp.Or)):
            parts = [self.condition(a) for a in c.args]
            helper = "_and" if isinstance(c, sp.And) else "_or"
            cur = parts[0]
            for p in parts[1:]:
                cur = f"{helper}({cur}, {p})"
            self.emit(f"c{n} = {cur}")
            return f"c{n}"
        if isinstance(c, sp.Not):
            self.emit(f"c{n} = _not({self.condition(c.args[0])})")
            return f"c{n}"
        raise DomainError(f"condition {c} cannot be printed into the interval replay")

    def _piecewise(self, e) -> tuple[str, str]:
        pairs = [(p.expr, p.cond) if isinstance(p, ExprCondPair) else p for p in e.args]
        *rest, (last, cond) = pairs
        if cond is sp.true:
            out = self.interval(last)
        else:
            val = self.interval(last)
            c = self.condition(cond)
            out = self._op(f"_pick({c}, {val[0]}, {val[1]}, math.nan, math.nan)")
        for val, c in reversed(rest):
            v = self.interval(val)
            cv = self.condition(c)
            out = self._op(f"_pick({cv}, {v[0]}, {v[1]}, {out[0]}, {out[1]})")
        return out

    def assign(self, name: str, e, indent: str = "") -> list[str]:
        """Statements setting ``L_name, H_name`` to the enclosure of ``e``."""
        start = len(self.lines)
        self.memo = {}  # values of one equation only: each statement list is self-contained
        e = sp.sympify(e)
        if isinstance(e, (sp.Rel, sp.And, sp.Or, sp.Not)) or e in (sp.true, sp.false):
            self.emit(f"C_{name} = {self.condition(e)}")
        else:
            lo, hi = self.interval(e)
            self.emit(f"L_{name}, H_{name} = {lo}, {hi}")
        body = self.lines[start:]
        del self.lines[start:]
        return [indent + ln for ln in body]


def rational_bounds(p: int, q: int) -> tuple[str, str]:
    """The float64 literals enclosing ``p/q``, decided exactly when the source is printed: the
    value itself when it is a float64, else its two neighbours (Python's ``p / q`` is correctly
    rounded for integers of any size, and ``Fraction`` compares it with ``p/q`` exactly)."""
    exact = Fraction(p, q)
    f = p / q
    if Fraction(f) == exact:
        return repr(f), repr(f)
    lo = f if Fraction(f) < exact else math.nextafter(f, -math.inf)
    hi = f if Fraction(f) > exact else math.nextafter(f, math.inf)
    return repr(lo), repr(hi)


def _uses(e, s) -> int:
    return sum(1 for a in sp.preorder_traversal(e) if a == s)


def single_use(e, uncertain) -> sp.Expr:
    """``e`` rewritten so that each symbol of ``uncertain`` it is linear in occurs once: ``m + a (g - m)``
    becomes ``(1 - a) m + a g``.  Interval arithmetic treats two occurrences of one value as two
    independent values (the dependency effect): an EMA written in its lerp form would widen its
    enclosure by ``1 + a`` per step instead of shrinking it by ``1 - a``.  The rewrite is an
    identity of real numbers (checked: the difference expands to zero), so the enclosure is still
    one of the exact recurrence; only the float64 kernels need the spec's order of operations."""
    if e.atoms(sp.Float):  # SymPy rounds Float coefficients when it distributes them: no rewrite
        return e
    for s in sorted(uncertain, key=str):
        if _uses(e, s) < 2:
            continue
        d = sp.diff(e, s)
        if s in d.free_symbols:
            continue  # not linear in s: left as it is (wider, still an enclosure)
        new = sp.collect(sp.expand(e), s)
        if _uses(new, s) < _uses(e, s) and sp.expand(new - e) == 0:
            e = new
    return e


def _program(alg: Algorithm) -> LaneProgram:
    prog = analyse(alg, one_dimensional=True)
    if prog.reductions or prog.tensor:
        raise DomainError(f"{alg.spec.name}: reductions over coordinates have no one-dimensional enclosure")
    return prog


def interval_source(alg: Algorithm) -> str:
    """The Python source of the module holding ``enclose`` for ``alg`` (see the module docstring)."""
    from . import interval_ops  # the operations it calls (Numba's import: not at this module's)

    prog = _program(alg)
    em = _Emitter()
    rows = {s: r for r, s in enumerate(prog.states)}
    sw = ", ".join(f"{k}={v}" for k, v in sorted(alg.switches.items()))
    out = [f'"""Interval replay of {alg.spec.name} (switches: {sw or "none"}), generated by',
           f'optmath.kernels.interval version {INTERVAL_VERSION} from the spec\'s equations.  Do not edit."""',
           "import math", "", "from numba import njit", "",
           f"from optmath.kernels.interval_ops import {', '.join(interval_ops.__all__)}", "",
           f"INPUTS = {tuple(prog.inputs)!r}", f"STATES = {tuple(prog.states)!r}", "", ""]
    out += ['@njit(cache=True, error_model="numpy")',
            "def enclose(hv, grads, lrs, x0, lo, hi, project, XL, XH, SL, SH):"]
    ind = "    "
    for k, n in enumerate(prog.inputs):
        out += [f"{ind}L_{n}_0 = hv[{k}]", f"{ind}H_{n}_0 = hv[{k}]"]
    for v in prog.const:
        out += em.assign(v.name, v.expr, ind)
    # initial states (expressions of the inputs, whose symbols are name_0)
    for s, e in zip(prog.states, prog.init):
        out += em.assign(f"init_{s}", e, ind)
    scalar = {c.state: c for c in prog.carried if c.state}
    for s in prog.states:
        var = scalar[s].name if s in scalar else f"{s}_0"
        out += [f"{ind}L_{var}, H_{var} = L_init_{s}, H_init_{s}"]
    for p in prog.products:
        out += [f"{ind}L_{p.name}, H_{p.name} = 1.0, 1.0"]
    out += [f"{ind}L_x_0, H_x_0 = x0, x0", f"{ind}XL[0] = x0", f"{ind}XH[0] = x0",
            f"{ind}for k in range(lrs.shape[0]):",
            f"{ind}    tf = float(k + 1)",
            f"{ind}    lr = lrs[k]",
            f"{ind}    L_g_0 = grads[k]",
            f"{ind}    H_g_0 = grads[k]"]
    ind2 = ind + "    "
    for p in prog.products:
        anchor = em.assign(f"{p.name}a", p.anchor, ind2 + "    ")
        out += [f"{ind2}if k == 0:"] + anchor + [f"{ind2}    L_{p.name}, H_{p.name} = L_{p.name}a, H_{p.name}a",
                                                  f"{ind2}else:"]
        out += em.assign(p.name, sp.Mul(sp.Symbol(p.name), sp.Symbol(p.factor), evaluate=False), ind2 + "    ")
    for v in list(prog.step) + list(prog.steplr):
        out += em.assign(v.name, v.expr, ind2)
    # the lane equations: temporaries substituted into the values that outlive the step (the
    # iterate and the states), then each of those rewritten to use every uncertain value once
    keep = {prog.x} | {prog.finals[s] for s in prog.lane_states}
    uncertain = {sp.Symbol(n, real=True) for n in ["x_0"] + [f"{s}_0" for s in prog.lane_states]}
    uncertain |= {sp.Symbol(c.name, real=True) for c in prog.carried}
    temps: dict = {}
    for v in prog.lane:
        e = v.expr.xreplace(temps) if temps else v.expr
        if v.name in keep:
            out += em.assign(v.name, single_use(e, uncertain | {sp.Symbol(n, real=True) for n in keep}), ind2)
        else:
            temps[sp.Symbol(v.name, real=True)] = e
    out += [f"{ind2}L_x_0, H_x_0 = L_{prog.x}, H_{prog.x}"]
    for s in prog.states:
        fin = prog.finals[s]
        var = scalar[s].name if s in scalar else f"{s}_0"
        if fin != var:
            out += [f"{ind2}L_{var}, H_{var} = L_{fin}, H_{fin}"]
    out += [f"{ind2}if project:",
            f"{ind2}    L_x_0 = lo if L_x_0 < lo else (hi if L_x_0 > hi else L_x_0)",
            f"{ind2}    H_x_0 = lo if H_x_0 < lo else (hi if H_x_0 > hi else H_x_0)",
            f"{ind2}XL[k + 1] = L_x_0",
            f"{ind2}XH[k + 1] = H_x_0"]
    for s in prog.states:
        var = scalar[s].name if s in scalar else f"{s}_0"
        out += [f"{ind2}SL[{rows[s]}] = L_{var}", f"{ind2}SH[{rows[s]}] = H_{var}"]
    names = ["x_0"] + [scalar[s].name if s in scalar else f"{s}_0" for s in prog.states]
    fin = " + ".join(f"(L_{n} - L_{n}) + (H_{n} - H_{n})" for n in names)
    out += [f"{ind2}if not ({fin} == 0.0):", f"{ind2}    return k + 1", f"{ind}return 0", ""]
    return "\n".join(out) + "\n"


__all__ = ["interval_source", "INTERVAL_VERSION"]
