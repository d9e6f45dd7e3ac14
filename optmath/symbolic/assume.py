r"""Assumptions on symbols, declared once, and exact sampling inside them.

Every derivation and every check in :mod:`optmath.symbolic` takes its domains from here:

* decay rates (``b``, ``b1``, ``b2``, ``mu``, ``alpha``, ``rho``, ``p``, ``gamma``) lie in
  ``(0, 1)``; SymPy cannot carry ``b < 1`` as an assumption, so a derivation that needs it
  substitutes ``b = 1 - r`` with ``r > 0`` (or takes the ``b != 1`` branch of a ``Piecewise``
  and says so);
* step counters (``t``, ``T``, ``i``, ``k``, ``n``) are positive integers;
* scales (``lr``, ``eps``, ``sigma``, ``h``, ``L``, ``l``, ``kappa``, ``delta``) are positive;
* anything else is real.

:func:`sample` draws exact rational points in these domains (seeded), which is how every
symbolic identity is also checked at random points.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable, Mapping

import numpy as np
import sympy as sp

from ..errors import DomainError


@dataclass(frozen=True)
class Interval:
    """A domain ``(lo, hi)`` (open unless ``closed``) of reals or integers."""

    lo: Fraction | None
    hi: Fraction | None
    integer: bool = False
    lo_closed: bool = False
    hi_closed: bool = False

    def contains(self, v: Fraction) -> bool:
        if self.lo is not None and (v < self.lo or (v == self.lo and not self.lo_closed)):
            return False
        if self.hi is not None and (v > self.hi or (v == self.hi and not self.hi_closed)):
            return False
        return not self.integer or Fraction(v).denominator == 1

    def text(self) -> str:
        kind = "integer" if self.integer else "real"
        lo = "-oo" if self.lo is None else str(self.lo)
        hi = "oo" if self.hi is None else str(self.hi)
        return f"{kind} in {'[' if self.lo_closed else '('}{lo}, {hi}{']' if self.hi_closed else ')'}"


UNIT = Interval(Fraction(0), Fraction(1))
POSITIVE = Interval(Fraction(0), None)
REAL = Interval(None, None)
STEPS = Interval(Fraction(1), None, integer=True, lo_closed=True)

DECAYS = ("b", "b1", "b2", "beta", "beta1", "beta2", "mu", "alpha", "rho", "p", "gamma", "q")
COUNTERS = ("t", "T", "i", "j", "k", "n", "s")
SCALES = ("lr", "eps", "sigma", "h", "L", "l", "kappa", "delta", "C", "a", "c", "eta")


_DOMAINS: dict = {}  # symbol -> Interval, for symbols made with an explicit domain


def is_decay(s) -> bool:
    """Whether the symbol ``s`` (or a name) is known to lie in (0, 1): by its own declared
    domain when it has one, else by the naming convention."""
    dom = _DOMAINS.get(s) if isinstance(s, sp.Symbol) else None
    if dom is not None:
        return dom.lo is not None and dom.hi is not None and dom.lo >= 0 and dom.hi <= 1 \
            and not dom.integer
    return str(s) in DECAYS


def hyper_domain(h) -> Interval:
    """The domain a derivation uses for a spec :class:`~optmath.spec.Hyper`.

    Names with a conventional domain (``b1``, ``lr``, ``eps``, ...) keep it.  Others take the
    spec's interval with the endpoints excluded (derivations work in the open interior; the
    endpoints, such as ``b1 = 0``, are separate cases), and a hyperparameter in (0, 1) is
    remembered with the symbol so that limits know ``k^t -> 0``.
    """
    if h.name in DECAYS or h.name in SCALES:
        return default_domain(h.name)
    lo = None if h.lo is None else Fraction(str(h.lo))
    hi = None if h.hi is None else Fraction(str(h.hi))
    return Interval(lo, hi)


def default_domain(name: str) -> Interval:
    """The domain a symbol gets when nothing else is said about it."""
    if name in DECAYS:
        return UNIT
    if name in COUNTERS:
        return STEPS
    if name in SCALES:
        return POSITIVE
    return REAL


def symbol(name: str, domain: Interval | None = None) -> sp.Symbol:
    """A SymPy symbol whose assumptions are implied by ``domain`` (default by name)."""
    dom = domain or default_domain(name)
    kw: dict = {"real": True}
    if dom.integer:
        kw["integer"] = True
    if dom.lo is not None and (dom.lo > 0 or (dom.lo == 0 and not dom.lo_closed)):
        kw["positive"] = True
    elif dom.lo is not None and dom.lo >= 0:
        kw["nonnegative"] = True
    s = sp.Symbol(name, **kw)
    if domain is not None:
        _DOMAINS[s] = domain
    return s


def decays_inside(expr, positive_only: bool = False) -> tuple[dict, dict]:
    """``(fwd, back)``: every decay ``b`` of ``expr`` written ``1/(1 + r_b)`` with ``r_b > 0``,
    so that SymPy knows ``0 < b < 1`` (``b^t -> 0``, ``b != 1``), and the map back.
    ``positive_only`` keeps only symbols that also carry ``positive=True``."""
    fwd, back = {}, {}
    for b in sp.sympify(expr).free_symbols:
        if is_decay(b) and (b.is_positive or not positive_only):
            r = sp.Symbol(f"r_{b}", positive=True)
            fwd[b], back[r] = 1 / (1 + r), 1 / b - 1
    return fwd, back


def _draw(dom: Interval, rng: np.random.Generator) -> Fraction:
    for _ in range(1000):
        if dom.integer:
            lo = int(dom.lo) if dom.lo is not None else -20
            v = Fraction(int(rng.integers(lo, lo + 40)))
        elif dom.lo is not None and dom.hi is not None:
            den = int(rng.integers(2, 60))
            width = dom.hi - dom.lo
            v = dom.lo + width * Fraction(int(rng.integers(1, den)), den)
        elif dom.lo is not None:
            v = dom.lo + Fraction(int(rng.integers(1, 400)), int(rng.integers(1, 60)))
        elif dom.hi is not None:
            v = dom.hi - Fraction(int(rng.integers(1, 400)), int(rng.integers(1, 60)))
        else:
            v = Fraction(int(rng.integers(-300, 300)), int(rng.integers(1, 60)))
        if dom.contains(v):
            return v
    raise DomainError(f"cannot draw a point in {dom.text()}")


def sample(symbols: Iterable[sp.Symbol], n: int = 20, seed: int = 0,
           domains: Mapping[str, Interval] | None = None) -> list[dict[sp.Symbol, sp.Rational]]:
    """``n`` exact rational points, one value per symbol, inside each symbol's domain."""
    rng = np.random.default_rng(seed)
    domains = dict(domains or {})
    syms = sorted(set(symbols), key=str)
    points = []
    for _ in range(n):
        pt = {}
        for s in syms:
            dom = domains.get(str(s)) or _DOMAINS.get(s) or default_domain(str(s))
            v = _draw(dom, rng)
            pt[s] = sp.Rational(v.numerator, v.denominator)
        points.append(pt)
    return points
