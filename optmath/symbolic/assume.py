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
symbolic identity is also checked at random points.  A checker that must not miss a boundary
(:func:`optmath.symbolic.claims.decide`) uses :func:`probe` instead: the random points plus the
points of :func:`edge_values` (closed endpoints, points ``10**-k`` inside each endpoint, small
integers and simple rationals), combined over the symbols.  :func:`bounded_symbol` makes a
symbol whose SymPy assumptions follow from both bounds of its domain (a closed endpoint at 0
gives ``nonnegative``, never ``positive``), and :func:`parametrize` writes a bounded variable
through a new positive symbol so that SymPy can use the bounds it cannot carry as assumptions.
"""
from __future__ import annotations

import itertools
import math
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
        lo = "-oo" if self.lo is None else exact_text(self.lo)
        hi = "oo" if self.hi is None else exact_text(self.hi)
        return f"{kind} in {'[' if self.lo_closed else '('}{lo}, {hi}{']' if self.hi_closed else ')'}"

    def normalized(self) -> "Interval":
        """The same set, with an integer domain's bounds written as closed integers
        (``integer in (0, 5/2]`` is ``integer in [1, 2]``); a real domain is returned as it is."""
        if not self.integer:
            return self
        lo = hi = None
        if self.lo is not None:
            lo = Fraction(math.floor(self.lo) + 1 if not self.lo_closed else math.ceil(self.lo))
        if self.hi is not None:
            hi = Fraction(math.ceil(self.hi) - 1 if not self.hi_closed else math.floor(self.hi))
        return Interval(lo, hi, True, lo is not None, hi is not None)

    def is_empty(self) -> bool:
        """Whether no number (no integer, for an integer domain) lies in the interval."""
        d = self.normalized()
        if d.lo is None or d.hi is None:
            return False
        return d.lo > d.hi or (d.lo == d.hi and not (d.lo_closed and d.hi_closed))


def exact_text(v: Fraction) -> str:
    """``str(v)``, or ``~`` and 20 significant digits where Python refuses to write the
    integers in decimal (over 4300 digits)."""
    try:
        return str(v)
    except ValueError:
        import mpmath

        with mpmath.workprec(96):
            return "~" + mpmath.nstr(mpmath.mpf(v.numerator) / v.denominator, 20,
                                     strip_zeros=False)


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
    s = sp.Symbol(name, **_sign_assumptions(dom, upper=False))
    if domain is not None:
        _DOMAINS[s] = domain
    return s


def bounded_symbol(name: str, domain: Interval) -> sp.Symbol:
    """A SymPy symbol carrying every sign assumption that ``domain`` implies, from both bounds:
    ``positive`` only for a lower bound above 0 or an open one at 0, ``nonnegative`` for a
    closed one at 0, and likewise ``negative``/``nonpositive`` from the upper bound.  Unlike
    :func:`symbol` it does not remember the domain with the symbol (two claims about the same
    name may give it different domains).

    >>> bounded_symbol("x", Interval(Fraction(0), Fraction(1), lo_closed=True)).is_positive
    >>> bounded_symbol("x", Interval(Fraction(0), Fraction(1), lo_closed=True)).is_nonnegative
    True
    """
    return sp.Symbol(name, **_sign_assumptions(domain.normalized(), upper=True))


def _sign_assumptions(dom: Interval, upper: bool) -> dict:
    """SymPy assumptions implied by ``dom``: real, integer, and the sign from the lower bound
    (``positive`` only above 0 or open at 0, ``nonnegative`` closed at 0) and, with ``upper``,
    likewise from the upper bound."""
    kw: dict = {"real": True}
    if dom.integer:
        kw["integer"] = True
    if dom.lo is not None and (dom.lo > 0 or (dom.lo == 0 and not dom.lo_closed)):
        kw["positive"] = True
    elif dom.lo is not None and dom.lo >= 0:
        kw["nonnegative"] = True
    if upper and dom.hi is not None and (dom.hi < 0 or (dom.hi == 0 and not dom.hi_closed)):
        kw["negative"] = True
    elif upper and dom.hi is not None and dom.hi <= 0:
        kw["nonpositive"] = True
    return kw


def _exact_by_assumptions(dom: Interval) -> bool:
    """Whether the assumptions of :func:`bounded_symbol` describe ``dom`` exactly: all reals,
    a half-line ending at 0, or integers from 0 or 1 up (down to 0 or -1)."""
    d = dom.normalized()
    if d.lo is not None and d.hi is not None:
        return False
    ends = (0, 1) if d.integer else (0,)
    return (d.lo is None or d.lo in ends) and (d.hi is None or -d.hi in ends)


def parametrize(s: sp.Symbol, domain: Interval, single: bool = False) -> list:
    r"""Forms of ``s`` through a new symbol whose assumptions SymPy can use, covering ``domain``.

    The union of the forms' ranges (over the new symbols' assumptions) contains ``domain``, so
    a sign or an identity shown for every form holds on the whole domain.  A real ``(lo, hi)``
    becomes ``lo + (hi - lo)/(1 + r)`` with ``r > 0``; ``(lo, hi]`` the same with ``r >= 0``;
    ``[lo, hi)`` is ``hi - (hi - lo)/(1 + r)``, ``r >= 0``; ``[lo, hi]`` is ``(lo, hi]`` plus
    the point ``lo`` (one form only with ``single``: then ``lo + r``, ``r >= 0``, a superset);
    a half-line is ``lo + r`` or ``hi - r``.  An integer domain is ``lo + r`` or ``hi - r``
    with ``r`` a nonnegative integer (a bounded one is widened to its lower half-line).  A
    domain that the assumptions of :func:`bounded_symbol` already describe (``x > 0``,
    ``t >= 1`` integer, all reals) gives ``[s]``.

    >>> b = sp.Symbol("b", positive=True)
    >>> parametrize(b, Interval(Fraction(0), Fraction(1), hi_closed=True))
    [1/(_r_b + 1)]
    """
    d = domain.normalized()
    if _exact_by_assumptions(d):
        return [s]
    if d.lo is not None and d.hi is not None and d.lo == d.hi:
        return [sp.Rational(d.lo.numerator, d.lo.denominator)]
    lo = None if d.lo is None else sp.Rational(d.lo.numerator, d.lo.denominator)
    hi = None if d.hi is None else sp.Rational(d.hi.numerator, d.hi.denominator)
    if d.integer:
        r = sp.Dummy(f"r_{s}", integer=True, nonnegative=True)
        return [lo + r] if lo is not None else [hi - r]
    if lo is None or hi is None:
        closed = d.lo_closed if lo is not None else d.hi_closed
        r = sp.Dummy(f"r_{s}", **({"nonnegative": True} if closed else {"positive": True}))
        return [lo + r] if lo is not None else [hi - r]
    w = hi - lo
    if d.lo_closed and d.hi_closed and single:
        return [lo + sp.Dummy(f"r_{s}", nonnegative=True)]
    if d.lo_closed and not d.hi_closed:
        return [hi - w / (1 + sp.Dummy(f"r_{s}", nonnegative=True))]
    r = sp.Dummy(f"r_{s}", **({"nonnegative": True} if d.hi_closed else {"positive": True}))
    forms = [lo + w / (1 + r)]
    return forms + [lo] if d.lo_closed else forms


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
        if dom.integer and dom.lo is None and dom.hi is not None:
            v = Fraction(math.floor(dom.hi) - int(rng.integers(0, 40)))
        elif dom.integer:
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


NEAR = (1, 2, 3, 5, 8, 12, 20, 30, 50, 80, 120)  # points 10**-k inside every endpoint
SIMPLE = tuple(Fraction(v) for v in (
    0, 1, -1, 2, -2, 3, -3, "1/2", "-1/2", "1/3", "-1/3", "2/3", "-2/3", "1/4", "3/4", "-1/4",
    "-3/4", "3/2", "-3/2", "5/2", 5, -5, 10, -10, 100, -100, 1000, -1000))
FAR = (1, 2, 10, 100, 1000)  # distances from a finite endpoint of a half-line
INTEGER_STEPS = (1, 2, 3, 5, 10, 100)  # distances from an integer domain's endpoint
ENUMERATE = 64  # an integer domain with at most this many values is tried at every one
DENSE = 100  # and every integer within this distance of a finite endpoint (of 0 when none)


ANCHOR_OFFSETS = (0, 1, Fraction(1, 2), Fraction(1, 10**3), Fraction(1, 10**20),
                  Fraction(1, 10**120))


def edge_values(domain: Interval, scales: Iterable[Fraction] = (),
                anchors: Iterable[Fraction] = ()) -> list[Fraction]:
    r"""Exact values of ``domain`` that a checker must try, closed endpoints first.

    The closed endpoints themselves; for a real domain, ``lo + 10**-k`` and ``hi - 10**-k`` for
    every ``k`` in :data:`NEAR` and for every offset in ``scales`` (open endpoints as well as
    closed ones), the midpoint, and points at distance :data:`FAR` from a finite endpoint of a
    half-line; for an integer domain, the endpoints, the integers at :data:`INTEGER_STEPS` from
    them, and every value of a domain with at most :data:`ENUMERATE` of them; then every
    ``anchor`` (the constants of a claim, say) and the points at :data:`ANCHOR_OFFSETS` and the
    smallest of ``scales`` on either side of it (1 for an integer domain); then the small
    integers and simple rationals of :data:`SIMPLE`; last, for an integer domain, every integer
    within :data:`DENSE` of a finite endpoint (of 0 for all the integers).  Only values inside
    the domain, without duplicates.

    >>> [str(v) for v in edge_values(Interval(Fraction(0), Fraction(1), hi_closed=True))[:3]]
    ['1', '1/10', '9/10']
    """
    d = domain.normalized()
    out: list[Fraction] = []
    seen: set = set()

    def add(v):
        if v not in seen and d.contains(v):
            seen.add(v)
            out.append(v)

    for end, closed in ((d.lo, d.lo_closed), (d.hi, d.hi_closed)):
        if end is not None and closed:
            add(end)
    if d.integer:
        if d.lo is not None and d.hi is not None and d.hi - d.lo < ENUMERATE:
            for k in range(int(d.hi - d.lo) + 1):
                add(d.lo + k)
        for k in INTEGER_STEPS:
            if d.lo is not None:
                add(d.lo + k)
            if d.hi is not None:
                add(d.hi - k)
        dense = []
        for k in range(DENSE + 1):
            if d.lo is not None:
                dense.append(d.lo + k)
            if d.hi is not None:
                dense.append(d.hi - k)
            if d.lo is None and d.hi is None:
                dense += [Fraction(k), Fraction(-k)]
    else:
        offsets = [Fraction(1, 10**k) for k in NEAR]
        offsets += sorted({abs(Fraction(c)) for c in scales if c}, reverse=True)
        if d.lo is not None and d.hi is not None:
            offsets += [(d.hi - d.lo) / 10**k for k in (1, 3)]
        for off in offsets:
            if d.lo is not None:
                add(d.lo + off)
            if d.hi is not None:
                add(d.hi - off)
        if d.lo is not None and d.hi is not None:
            add((d.lo + d.hi) / 2)
        for k in FAR:
            if d.lo is not None and d.hi is None:
                add(d.lo + k)
            if d.hi is not None and d.lo is None:
                add(d.hi - k)
    tiny = min((abs(Fraction(c)) for c in scales if c), default=Fraction(0))
    near = [Fraction(0), Fraction(1)] if d.integer else \
        sorted({Fraction(o) for o in ANCHOR_OFFSETS} | {tiny})
    for a in anchors:
        for off in near:
            add(Fraction(a) - off)
            add(Fraction(a) + off)
    for v in SIMPLE:
        if not d.integer or abs(v) <= 10:  # larger counters come from INTEGER_STEPS
            add(v)
    if d.integer:
        for v in dense:
            add(v)
    return out


def _typical(domain: Interval) -> Fraction:
    """One unremarkable value inside ``domain`` (a midpoint, or 1 away from the endpoint)."""
    d = domain.normalized()
    if d.lo is not None and d.hi is not None:
        v = (d.lo + d.hi) / 2
        return Fraction(math.floor(v)) if d.integer else v
    if d.lo is not None:
        return d.lo + 1
    if d.hi is not None:
        return d.hi - 1
    return Fraction(1)


CORNERS = 64  # at most this many corner points (products of every symbol's extreme values)


def probe(symbols: Iterable[sp.Symbol], n: int = 20, seed: int = 0,
          domains: Mapping[str, Interval] | None = None, scales: Iterable[Fraction] = (),
          anchors: Iterable[Fraction] = ()) -> list[dict[sp.Symbol, sp.Rational]]:
    r"""The points a checker tries: every symbol's :func:`edge_values` with ``scales`` and
    ``anchors`` (one symbol at a time,
    the others at a typical value), the same values for all symbols together (the ``i``-th of
    each), the corners (each symbol at its closed endpoints or, for an open one, the innermost
    point :func:`edge_values` gives, at most :data:`CORNERS` of them), then the ``n`` points of
    :func:`sample` with ``seed``.  Every point lies in every symbol's domain; no duplicates.
    """
    domains = dict(domains or {})
    syms = sorted(set(symbols), key=str)
    if not syms:
        return [{}]
    doms = {s: domains.get(str(s)) or _DOMAINS.get(s) or default_domain(str(s)) for s in syms}
    scales, anchors = tuple(scales), tuple(anchors)
    edges = {s: edge_values(doms[s], scales, anchors) for s in syms}
    base = {s: _typical(doms[s]) for s in syms}
    rows: list[tuple] = []
    for s in syms:
        for v in edges[s]:
            rows.append(tuple(v if u is s else base[u] for u in syms))
    longest = max(len(e) for e in edges.values())
    for i in range(longest):
        rows.append(tuple(edges[s][i % len(edges[s])] if edges[s] else base[s] for s in syms))
    extremes = [_extremes(doms[s], edges[s]) or [base[s]] for s in syms]
    if math.prod(len(e) for e in extremes) <= CORNERS:
        rows.extend(itertools.product(*extremes))
    points, seen = [], set()
    for row in rows:
        if row not in seen:
            seen.add(row)
            points.append({s: sp.Rational(v.numerator, v.denominator) for s, v in zip(syms, row)})
    for pt in sample(syms, n, seed, {str(s): doms[s] for s in syms}):
        key = tuple(Fraction(int(pt[s].p), int(pt[s].q)) for s in syms)
        if key not in seen:
            seen.add(key)
            points.append(pt)
    return points


def _extremes(domain: Interval, edges: list[Fraction]) -> list[Fraction]:
    """Per finite end of ``domain``: the endpoint when closed, else the closest value of
    ``edges`` inside it."""
    d = domain.normalized()
    out = []
    for end in (d.lo, d.hi):
        if end is not None and edges:
            v = min(edges, key=lambda e: abs(e - end))
            if v not in out:
                out.append(v)
    return out
