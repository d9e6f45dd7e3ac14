r"""The two independent checks every symbolic result goes through.

* :func:`simplifies_to_zero` -- substitute back and simplify the difference to ``0``;
* :func:`worst_at_points` -- evaluate the difference at exact rational points drawn inside the
  declared domains (:func:`optmath.symbolic.assume.sample`), exactly where SymPy can and with
  60-digit mpmath otherwise.

A derivation is accepted only when both agree; SymPy's ``Sum``/``rsolve`` results are never
trusted without the second one.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .assume import sample

DIGITS = 60
POINT_ZERO = sp.Rational(1, 10**40)  # |difference| below this at 60 digits counts as zero


def simplifies_to_zero(expr) -> bool:
    """True when SymPy reduces ``expr`` to exactly zero (``False`` means "not shown")."""
    expr = sp.sympify(expr)
    if expr == 0:
        return True
    for f in (sp.expand, sp.cancel, sp.simplify):
        try:
            if f(expr) == 0:
                return True
        except (TypeError, ValueError, NotImplementedError, RecursionError):
            continue
    try:
        return sp.simplify(sp.powsimp(sp.expand_power_base(expr, force=False))) == 0
    except (TypeError, ValueError, NotImplementedError, RecursionError):
        return False


@dataclass(frozen=True)
class PointCheck:
    points: int
    worst: float  # largest |value| seen
    witness: dict | None  # the point where it was largest (exact rationals), if nonzero

    @property
    def zero(self) -> bool:
        return self.worst <= float(POINT_ZERO)


def subs_by_name(expr, values) -> sp.Expr:
    """Substitute ``{name: value}`` into every free symbol of that name, whatever its
    assumptions (spec symbols are plain reals, derivation symbols carry domains)."""
    expr = sp.sympify(expr)
    return expr.subs({s: values[str(s)] for s in expr.free_symbols if str(s) in values})


def unify(expr, like) -> sp.Expr:
    """``expr`` with each symbol replaced by the same-named symbol of ``like`` (so a formula
    typed with default assumptions can be compared with a derived one)."""
    names = {str(s): s for s in sp.sympify(like).free_symbols}
    expr = sp.sympify(expr)
    return expr.subs({s: names[str(s)] for s in expr.free_symbols if str(s) in names and names[str(s)] != s})


def evaluate(expr, point) -> sp.Expr:
    """``expr`` at ``point``: exact when it reduces to a rational, else a 60-digit float."""
    val = sp.sympify(expr).subs(point)
    if isinstance(val, sp.Sum) or val.has(sp.Sum):
        val = val.doit()
    if val.is_Rational:
        return val
    return sp.N(val, DIGITS)


def worst_at_points(expr, n: int = 20, seed: int = 0, domains=None, extra_points=()) -> PointCheck:
    """Largest ``|expr|`` over ``n`` random rational points (plus ``extra_points``)."""
    expr = sp.sympify(expr)
    pts = list(extra_points) + sample(expr.free_symbols, n, seed, domains)
    worst, witness = 0.0, None
    for pt in pts:
        val = evaluate(expr, pt)
        mag = abs(complex(val)) if not val.is_real else abs(float(val))
        if mag > worst:
            worst, witness = mag, {str(k): str(v) for k, v in pt.items()}
    return PointCheck(len(pts), worst, witness if worst > float(POINT_ZERO) else None)
