r"""Symbolic certificates for periodic problems: the limit cycle of the moments and the drift.

On a periodic linear problem (gradient ``g_k`` at phase ``k = 0 .. n-1`` of every period; Reddi et
al.'s family has ``g_0 = C`` and ``g_k = -D`` otherwise) the gradients do not depend on ``x``, so
every EMA state ``s <- b s + (1 - b) u`` with a periodic input ``u_k`` converges to a *limit
cycle* ``s*_0 .. s*_{n-1}``.  It is derived here by SymPy as the fixed point of the ``n``-step
map, ``s = b^n s + (1 - b) sum_j b^(n-1-j) u_j`` (a geometric series), and checked by substituting
it back into the one-step recurrence at every phase (simplifies to zero).

As ``t -> inf`` bias corrections tend to 1 and a decaying learning rate is nearly constant over
one period, so the iterate moves per period by ``-lr_t * Drift`` with

* Adam:    ``Drift = sum_k m*_k / (sqrt(v*_k) + eps)``;
* AMSGrad: ``Drift = sum_k m*_k / (sqrt(max_k v*_k) + eps) = n mean(g) / (sqrt(max v*) + eps)``
  (the EMA cycle keeps the mean: ``sum_k m*_k = sum_k g_k``; ``v_max`` tends to the largest
  cycle value from below, since ``v`` starts at 0 and the cycle map is increasing).

The optimum is the end of the interval against the mean gradient.  A drift whose sign is
*opposite* to the mean gradient pushes the iterate to the wrong end and keeps it there (the
projection holds it): that is the certificate of failure.  AMSGrad's drift always has the sign
of the mean gradient, so it points to the optimum for every ``b1, b2``.

:func:`adam_failure_boundary` solves ``Drift_Adam(C, b2) = 0`` for ``C`` (``b1 = 0``): the
analytic edge of the failure region in the ``(C, b2)`` plane.
"""
from __future__ import annotations

import bisect
import json
import math
from dataclasses import dataclass, field
from fractions import Fraction

import mpmath
import sympy as sp

from .. import limits
from ..errors import DomainError, LimitError
from ..symbolic.checks import simplifies_to_zero

S_STAR = sp.Symbol("s_star", real=True)


def ema_limit_cycle(inputs, b) -> list:
    r"""Limit cycle ``[s*_0, ..., s*_{n-1}]`` of ``s <- b s + (1 - b) u_k`` for periodic ``u``.

    ``s*_k`` is the value right after the update at phase ``k``.  Derived by solving the
    ``n``-step fixed point with SymPy and checked by substitution into the one-step recurrence.
    """
    u = [sp.sympify(v) for v in inputs]
    b = sp.sympify(b)
    n = len(u)
    if n < 1:
        raise DomainError("a periodic input needs at least one phase")
    # s*_{n-1} is the fixed point of n applications of the one-step map starting after phase n-1
    s = S_STAR
    for k in range(n):
        s = b * s + (1 - b) * u[k]
    last = sp.solve(sp.Eq(S_STAR, s), S_STAR)
    if len(last) != 1:
        raise DomainError(f"the {n}-step map has no unique fixed point (b = {b})")
    cycle = []
    prev = last[0]
    for k in range(n):
        prev = sp.simplify(b * prev + (1 - b) * u[k])
        cycle.append(prev)
    # the derivation's own check: the cycle closes and satisfies the recurrence at every phase
    for k in range(n):
        before = cycle[k - 1]
        if not simplifies_to_zero(cycle[k] - (b * before + (1 - b) * u[k])):
            raise DomainError(f"limit cycle check failed at phase {k}")
    return cycle


def geometric_form(inputs, b, k: int):
    r"""The textbook closed form ``(1 - b)/(1 - b^n) sum_j b^j u_{(k - j) mod n}`` of ``s*_k``."""
    n = len(inputs)
    b = sp.sympify(b)
    return (1 - b) / (1 - b**n) * sum(b**j * sp.sympify(inputs[(k - j) % n]) for j in range(n))


SYMBOLIC_MAX_N = 12  # exact SymPy cycles up to this period; beyond, the same closed form at 50 digits
DPS = 50


def ema_limit_cycle_mp(inputs, b, dps: int = DPS) -> tuple[list, float]:
    r"""The same limit cycle evaluated in mpmath at ``dps`` digits in O(n):
    ``s*_{n-1} = (1 - b)/(1 - b^n) sum_j b^(n-1-j) u_j``, then the recurrence forward.
    Returns the cycle and the residual ``|s after one more period - s*_{n-1}|`` (the check)."""
    with mpmath.workdps(dps):
        u = [mpmath.mpf(sp.Rational(v).p) / sp.Rational(v).q if not isinstance(v, mpmath.mpf) else v for v in inputs]
        bb = mpmath.mpf(sp.Rational(b).p) / sp.Rational(b).q
        n = len(u)
        acc = mpmath.mpf(0)
        for j in range(n):
            acc = acc * bb + u[j]
        last = (1 - bb) / (1 - bb**n) * acc
        cycle, s = [], last
        for k in range(n):
            s = bb * s + (1 - bb) * u[k]
            cycle.append(s)
        residual = abs(cycle[-1] - last)
    return cycle, float(residual)


@dataclass
class PeriodicCertificate:
    """Limit cycles, drifts and their signs for one periodic problem and hyperparameters."""

    n: int
    C: str
    D: str
    b1: str
    b2: str
    eps: str
    drift_value: dict  # method -> float (evaluated at 50 digits)
    drift_exact: dict  # method -> exact SymPy expression as text ("" beyond SYMBOLIC_MAX_N)
    mean_gradient: float
    optimum_end: str  # "lo" or "hi"
    pushes_to_wrong_end: dict  # method -> bool
    v_cycle_head: list  # the first few v* values (float)
    checks: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def _repr_markdown_(self) -> str:
        rows = "\n".join(f"| {k} | {-v:+.6g} | {'wrong end' if self.pushes_to_wrong_end[k] else 'towards the optimum'} |"
                         for k, v in self.drift_value.items())
        checks = ", ".join(f"{k}: {v:.1e}" if isinstance(v, float) else f"{k}: {'pass' if v else 'FAIL'}"
                           for k, v in self.checks.items())
        return (f"**Periodic certificate** $C = {self.C}$, $n = {self.n}$, $D = {self.D}$, $\\beta_1 = {self.b1}$, "
                f"$\\beta_2 = {self.b2}$, $\\epsilon = {self.eps}$; mean gradient {self.mean_gradient:+.6g} "
                f"(optimum at the {self.optimum_end} end)\n\n| method | drift per period / lr_t | direction |\n"
                f"|---|---|---|\n{rows}\n\nChecks: {checks}")

    def _repr_latex_(self) -> str:
        parts = [rf"\text{{{k}: drift}} = {-v:+.6g}\,\eta_t" for k, v in self.drift_value.items()]
        return "$$\\begin{aligned}" + r" \\ ".join(parts) + "\\end{aligned}$$"

    def text(self) -> str:
        lines = [f"periodic problem: g = {self.C} once every {self.n} steps, -{self.D} otherwise; "
                 f"mean gradient {self.mean_gradient:+.6g}, so the optimum is the {self.optimum_end} end"]
        for k, v in self.drift_value.items():
            lines.append(f"  {k}: per-period drift {-v:+.6g} x lr_t"
                         + (" -> pushed to the WRONG end" if self.pushes_to_wrong_end[k] else " -> towards the optimum"))
        return "\n".join(lines)


def _exact(v):
    return sp.nsimplify(v, rational=True) if not isinstance(v, sp.Basic) else v


def periodic_certificate(C, n: int, D=1, b1=0, b2=sp.Rational(1, 10), eps=0) -> PeriodicCertificate:
    r"""Certificate for the periodic family (``C`` once per period of ``n``, ``-D`` otherwise).

    Floats are taken as the shortest rational that prints like them (``nsimplify``); pass
    SymPy rationals for exact inputs.  Up to ``SYMBOLIC_MAX_N`` phases the cycles are exact
    SymPy expressions (derived and checked by :func:`ema_limit_cycle`) and the drifts' signs come
    from them; beyond, the closed form is evaluated at 50 digits with its closing residual.
    The drift printed is the per-period displacement divided by ``lr_t`` (negative = down).
    """
    try:
        whole = not isinstance(n, bool) and int(n) == n
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole:
        raise DomainError(f"period n = {n!r} must be an integer")
    n = int(n)
    if n < 2:
        raise DomainError(f"period n = {n!r} must be at least 2")
    if n > limits.MAX_PERIOD:  # the cycles are lists of n values: refused before they are built
        raise LimitError(f"period n = {n:,} exceeds the limit {limits.MAX_PERIOD:,} (optmath.limits.MAX_PERIOD)")
    C, D, b1, b2, eps = (_exact(v) for v in (C, D, b1, b2, eps))
    if not (0 <= b1 < 1 and 0 < b2 < 1) or C <= 0 or D <= 0 or eps < 0:
        raise DomainError(f"need C, D > 0, eps >= 0, 0 <= b1 < 1 and 0 < b2 < 1; got C = {C}, D = {D}, "
                          f"eps = {eps}, b1 = {b1}, b2 = {b2}")
    g = [C] + [-D] * (n - 1)
    mean = sp.Rational(1, n) * sum(g)
    checks: dict = {}
    exact: dict = {}
    if n <= SYMBOLIC_MAX_N:
        m = ema_limit_cycle(g, b1) if b1 != 0 else list(g)
        v = ema_limit_cycle([x**2 for x in g], b2)
        exact = {"adam": sum(mk / (sp.sqrt(vk) + eps) for mk, vk in zip(m, v)),
                 "amsgrad": sum(m) / (sp.sqrt(sp.Max(*v)) + eps)}
        checks["cycle_matches_geometric_series"] = all(
            simplifies_to_zero(v[k] - geometric_form([x**2 for x in g], b2, k)) for k in range(n))
        checks["amsgrad_drift_is_mean"] = bool(simplifies_to_zero(sum(m) - n * mean))
    with mpmath.workdps(DPS):
        m_mp, rm = ema_limit_cycle_mp(g, b1) if b1 != 0 else ([mpmath.mpf(sp.Rational(x).p) / sp.Rational(x).q
                                                                for x in g], 0.0)
        v_mp, rv = ema_limit_cycle_mp([x**2 for x in g], b2)
        e = mpmath.mpf(sp.Rational(eps).p) / sp.Rational(eps).q
        values = {"adam": sum(mk / (mpmath.sqrt(vk) + e) for mk, vk in zip(m_mp, v_mp)),
                  "amsgrad": sum(m_mp) / (mpmath.sqrt(max(v_mp)) + e)}
        checks["closing_residual"] = max(rm, rv)
        drift_value = {k: float(val) for k, val in values.items()}
    for k, ex in exact.items():  # the exact expression and the 50-digit value must agree
        checks[f"{k}_exact_vs_50_digits"] = abs(float(sp.N(ex, 30)) - drift_value[k]) <= 1e-12 * max(1.0, abs(drift_value[k]))
    wrong = {k: bool(val != 0 and (val > 0) != (mean > 0)) for k, val in drift_value.items()}
    return PeriodicCertificate(n, str(C), str(D), str(b1), str(b2), str(eps), drift_value,
                               {k: str(v) for k, v in exact.items()}, float(mean), "lo" if mean > 0 else "hi",
                               wrong, [float(x) for x in v_mp[:3]], checks)


def adam_drift_b1_zero(C, b2, n: int = 3, D=1, eps=0):
    """``Drift_Adam`` as a SymPy expression in ``C`` and ``b2`` (``b1 = 0``), from the limit cycle."""
    g = [C] + [-D] * (n - 1)
    v = [geometric_form([x**2 for x in g], b2, k) for k in range(n)]
    return sum(gk / (sp.sqrt(vk) + eps) for gk, vk in zip(g, v))


def adam_failure_boundary(b2: float, n: int = 3, D: float = 1.0, eps: float = 0.0,
                          C_max: float = 1e6) -> float | None:
    r"""The ``C`` above which Adam (``b1 = 0``) no longer fails: the root of ``Drift_Adam(C) = 0``
    for ``C > D (n - 1)`` (mean gradient positive).  ``None`` when Adam fails up to ``C_max``."""
    Cs, B2 = sp.symbols("C b2", positive=True)
    expr = adam_drift_b1_zero(Cs, B2, n, D, eps).subs(B2, sp.nsimplify(b2))
    f = sp.lambdify(Cs, expr, "mpmath")
    lo = float(D * (n - 1)) * (1 + 1e-12)
    with mpmath.workdps(30):
        if f(lo) >= 0:
            return lo  # no failure at all just above the mean-zero line
        hi = lo * 2
        while f(hi) < 0:
            hi *= 2
            if hi > C_max:
                return None
        root = mpmath.findroot(f, (lo, hi), solver="anderson")
    return float(root)


def adam_drift_b1_zero_mp(C, b2, n: int = 3, D=1, eps=0, dps: int = 30):
    r"""``Drift_Adam`` at ``b1 = 0`` evaluated in mpmath at ``dps`` digits in O(n), from the closed
    form of the limit cycle of ``v`` (the rare ``C^2`` enters phase ``k`` with weight
    ``(1 - b2) b2^k / (1 - b2^n)``, every other phase carries ``D^2``):

    ``v*_k = D^2 + (C^2 - D^2) (1 - b2) b2^k / (1 - b2^n)``,
    ``Drift = C / (sqrt(v*_0) + eps) - D sum_{k=1}^{n-1} 1 / (sqrt(v*_k) + eps)``.

    ``b2`` may be given as ``(r,)``, a one-tuple holding ``r = 1 - b2``, so that ``b2`` close to 1
    keeps its digits (``1 - b2^n`` is then ``-expm1(n log1p(-r))``).  Equal to
    :func:`adam_drift_b1_zero` (the SymPy sum of :func:`geometric_form`), without building it."""
    def exact(x):  # the number x stands for (nsimplify), at the working precision
        if isinstance(x, mpmath.mpf):
            return x
        q = sp.Rational(sp.nsimplify(x))
        return mpmath.mpf(q.p) / q.q

    with mpmath.workdps(dps):
        C, D, eps = exact(C), exact(D), exact(eps)
        if isinstance(b2, tuple):
            r = b2[0] if isinstance(b2[0], mpmath.mpf) else mpmath.mpf(b2[0])
            b = 1 - r
            log_b = mpmath.log1p(-r)
        else:
            b = exact(b2)
            r = 1 - b
            log_b = mpmath.log(b)
        scale = (C**2 - D**2) * r / -mpmath.expm1(n * log_b)
        total = C / (mpmath.sqrt(D**2 + scale) + eps)
        bk = mpmath.mpf(1)
        for _ in range(1, n):
            bk *= b
            total -= D / (mpmath.sqrt(D**2 + scale * bk) + eps)
        return total


#: the scan of :func:`adam_failure_b2`: b2 = k/GRID_B2 for k = 1 .. GRID_B2 - 1, then 1 - b2 on a
#: log grid from 1/GRID_B2 down to TAIL_B2 with TAIL_POINTS points per decade
GRID_B2, TAIL_B2, TAIL_POINTS = 1000, 1e-15, 40


def _drift_b1_zero_np(C: float, r, n: int, D: float, eps: float):
    """The closed form of :func:`adam_drift_b1_zero_mp` in float64 on an array of ``r = 1 - b2``
    (the scan's first pass; its brackets are confirmed at 30 digits)."""
    import numpy as np

    r = np.asarray(r, dtype=float)
    b = 1 - r
    scale = (C * C - D * D) * r / -np.expm1(n * np.log1p(-r))
    total = C / (np.sqrt(D * D + scale) + eps)
    bk = np.ones_like(r)
    for _ in range(1, n):
        bk = bk * b
        total = total - D / (np.sqrt(D * D + scale * bk) + eps)
    return total


def adam_failure_b2(C: float, n: int = 3, D: float = 1.0, eps: float = 0.0) -> float | None:
    r"""The ``b2`` below which Adam (``b1 = 0``) fails on the periodic problem ``(C, n, D)``: the root
    of ``Drift_Adam(b2) = 0`` in ``(0, 1)``, or ``None`` when the scan finds no sign change.

    The scan walks ``b2 = k/1000`` and then ``1 - b2`` on a log grid from ``10^-3`` down to
    ``10^-15`` (``GRID_B2``, ``TAIL_B2``, ``TAIL_POINTS``), since the root moves towards 1 as the
    period grows (``C = 100, n = 100``: 0.9995947...).  The drift is the O(n) closed form of the
    limit cycle, in float64 over the whole grid first; the first bracket where it turns from
    negative to non-negative is confirmed at 30 digits (:func:`adam_drift_b1_zero_mp`) and refined
    there in ``1 - b2``.  Where float64 and the 30 digits disagree on a bracket, the whole scan is
    repeated at 30 digits."""
    import numpy as np

    n = int(n)
    rs = [1 - k / GRID_B2 for k in range(1, GRID_B2)]
    decades = round(-math.log10(GRID_B2 * TAIL_B2))
    tail = [(-math.log10(GRID_B2) * TAIL_POINTS - j, TAIL_POINTS) for j in range(1, decades * TAIL_POINTS + 1)]
    rs_f = np.array(rs + [10.0 ** (p / q) for p, q in tail])
    with mpmath.workdps(30):
        rs_mp = [1 - mpmath.mpf(k) / GRID_B2 for k in range(1, GRID_B2)] + \
                [mpmath.mpf(10) ** (mpmath.mpf(p) / q) for p, q in tail]

        def f(r):  # the drift as a function of r = 1 - b2, at 30 digits
            return adam_drift_b1_zero_mp(C, (r,), n, D, eps)

        def refine(i):
            a, b = rs_mp[i - 1], rs_mp[i]
            return float(1 - mpmath.findroot(f, (a, b), solver="anderson"))

        with np.errstate(all="ignore"):
            vals = _drift_b1_zero_np(float(C), rs_f, n, float(D), float(eps))
        hits = np.nonzero((vals[:-1] < 0) & (vals[1:] >= 0))[0]
        if len(hits) and f(rs_mp[hits[0]]) < 0 <= f(rs_mp[hits[0] + 1]) and np.all(np.isfinite(vals[:hits[0] + 1])):
            return refine(int(hits[0]) + 1)
        if not len(hits) and np.all(np.isfinite(vals)) and np.all(np.abs(vals) > 1e-9 * (C + D * n)):
            return None  # float64 decides every grid point: no sign change
        prev = None
        for i, r in enumerate(rs_mp):  # float64 could not decide: the same scan at 30 digits
            fr = f(r)
            if prev is not None and prev < 0 <= fr:
                return refine(i)
            prev = fr
    return None


# --- Yogi: cycles per sign pattern, invariant bands, drift bounds --------------------------------

#: exact work one :func:`yogi_certificate` may spend by default: orbit steps plus interval-phase
#: steps (one interval pushed through one phase counts as one step)
YOGI_MAX_STEPS = 300_000
#: the largest ``max_steps`` accepted
YOGI_STEPS_LIMIT = 10**7
#: bisections the single-interval drift bound may spend on pieces whose bound still contains 0
YOGI_BISECTIONS = 2_000
#: the drift weights of the union band's graph are integers in units of 2^-WEIGHT_BITS, rounded outwards
WEIGHT_BITS = 60
#: relative tolerance of the float64 cross-check (bands and realised drift)
YOGI_FLOAT_TOL = 1e-9


class _Work:
    """The step budget shared by every stage of one certificate."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0

    def spend(self, k: int) -> bool:
        self.used += k
        return self.used <= self.limit


def _frac(x) -> Fraction:
    q = sp.Rational(x)
    return Fraction(int(q.p), int(q.q))


def _iv_frac(x: Fraction):
    """An mpmath interval enclosing the rational ``x`` (at the current ``iv.dps``)."""
    return mpmath.iv.mpf(x.numerator) / x.denominator


def _iv_span(lo: Fraction, hi: Fraction):
    return mpmath.iv.mpf([_iv_frac(lo).a, _iv_frac(hi).b])


def _iv_of(x, residual=0.0):
    """An interval around a SymPy number, or around an mpf widened by ``residual``."""
    if isinstance(x, sp.Basic) and x.is_Rational:
        return _iv_frac(_frac(x))
    with mpmath.workdps(DPS + 10):
        if isinstance(x, sp.Basic):
            x = mpmath.mpf(str(sp.N(x, DPS + 15)))
        margin = abs(x) * mpmath.mpf(10) ** (-(DPS - 5)) + mpmath.mpf(residual)
        return mpmath.iv.mpf([x - margin, x + margin])


def _ends(x) -> tuple:
    """The ends of an mpmath interval as mpf values."""
    with mpmath.workdps(DPS + 10):
        return mpmath.mpf(x._mpi_[0]), mpmath.mpf(x._mpi_[1])


def _fmt(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


def _num(x: Fraction) -> str:
    """A rational for a sentence: exact when short, else 10 significant digits."""
    s = _fmt(x)
    return s if len(s) <= 16 else f"{float(x):.10g}"


def _pattern(signs) -> str:
    return "".join("+" if s > 0 else "-" if s < 0 else "0" for s in signs)


def _down(x) -> float:
    return math.nextafter(float(x), -math.inf)


def _up(x) -> float:
    return math.nextafter(float(x), math.inf)


class _Lattice:
    r"""The problem in integer units: every value of ``v`` the orbit takes is a multiple of ``1/L``.

    Sets of values are unions of intervals written in *codes*: the real ``x`` (in units of ``1/L``)
    is ``3x``, an open left end at ``x`` is ``3x + 1``, an open right end ``3x - 1``; so ``(l, u]``
    is the integer range ``[3l + 1, 3u]`` and order, intersection and adjacency are integer ones.
    ``delta`` is a quarter of the smaller of the lattice step ``s`` (``v0 + s Z`` holds the orbit)
    and the distance from the breakpoints ``g^2`` to that lattice, where it is not 0.
    """

    def __init__(self, C2: Fraction, D2: Fraction, a: Fraction, v0: Fraction, n: int) -> None:
        L0 = math.lcm(*(q.denominator for q in (C2, D2, a * C2, a * D2, v0)))
        s0 = math.gcd(int(a * C2 * L0), int(a * D2 * L0))
        d = s0
        for h in (C2, D2):  # how close the breakpoints come to the lattice (0: exact ties)
            r = int((h - v0) * L0) % s0
            if r:
                d = min(d, r, s0 - r)
        self.L = 4 * L0  # so that delta = min(s0, d) / 4 (old units) is an integer
        self.delta = min(s0, d)
        self.n = n
        self.H0, self.H1 = int(C2 * self.L), int(D2 * self.L)  # thresholds g^2
        self.S0, self.S1 = int(a * C2 * self.L), int(a * D2 * self.L)  # steps (1 - b2) g^2
        self.V0 = int(v0 * self.L)

    def period(self, w: int) -> int:
        """The exact one-period map on an integer value."""
        H1, S1 = self.H1, self.S1
        v = w + self.S0 if w < self.H0 else (w - self.S0 if w > self.H0 else w)
        for _ in range(self.n - 1):
            v = v + S1 if v < H1 else (v - S1 if v > H1 else v)
        return v

    def values(self, w) -> list:
        """``v`` after each phase's update, from ``w`` (an integer or a Fraction) at phase 0."""
        out, v = [], w
        for k in range(self.n):
            h, s = (self.H0, self.S0) if k == 0 else (self.H1, self.S1)
            v = v + s if v < h else (v - s if v > h else v)
            out.append(v)
        return out

    def split(self, lo: int, hi: int, work: _Work, patterns: bool = False):
        """The codes ``[lo, hi]`` cut into pieces of constant sign pattern over one period, each
        ``[lo, hi, shift, pattern]`` with ``shift`` its translation; ``None`` past the budget."""
        pieces = [[lo, hi, 0, [] if patterns else None]]
        for k in range(self.n):
            h, s = (self.H0, self.S0) if k == 0 else (self.H1, self.S1)
            out = []
            for p in pieces:
                a_, b_, c, pat = p
                t = 3 * (h - c)  # the threshold in the piece's own (phase-0) codes
                if b_ < t or a_ > t:
                    sign = -1 if b_ < t else 1
                    p[2] = c - sign * s
                    out.append(p)
                    if pat is not None:
                        pat.append(sign)
                    continue
                if a_ <= t - 1:
                    out.append([a_, t - 1, c + s, pat + [-1] if pat is not None else None])
                out.append([t, t, c, pat + [0] if pat is not None else None])
                if t + 1 <= b_:
                    out.append([t + 1, b_, c - s, pat + [1] if pat is not None else None])
            pieces = out
            if not work.spend(len(pieces)):
                return None
        return pieces

    def hull_image(self, lo: int, hi: int) -> list:
        r"""The closed interval ``[lo, hi]`` (integers) through each phase by the interval rule: shifted
        by ``-+ a g^2`` when it lies on one side of ``g^2``, else the hull of both shifted pieces and
        ``g^2``.  Returns the ``n`` intervals after each phase's update."""
        out = []
        for k in range(self.n):
            h, s = (self.H0, self.S0) if k == 0 else (self.H1, self.S1)
            if hi < h:
                lo, hi = lo + s, hi + s
            elif lo > h:
                lo, hi = lo - s, hi - s
            else:
                lo, hi = min(lo + s, h - s), max(h + s, hi - s)
            out.append((lo, hi))
        return out

    def neighbourhood(self, p: int) -> tuple:
        """The codes of ``[p - delta, p + delta]``, cut at 0 (``v`` is never negative)."""
        return 3 * max(0, p - self.delta), 3 * (p + self.delta)


def _normalize(ivs) -> list:
    """Sorted, merged code intervals."""
    out: list = []
    for lo, hi in sorted(ivs):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [tuple(p) for p in out]


def _locate(starts, ivs, code: int) -> bool:
    i = bisect.bisect_right(starts, code) - 1
    return i >= 0 and ivs[i][0] <= code <= ivs[i][1]


def _subtract(lo: int, hi: int, ivs: list, starts: list) -> list:
    """The parts of ``[lo, hi]`` outside the sorted disjoint code intervals ``ivs``."""
    parts, cur = [], lo
    i = max(0, bisect.bisect_right(starts, lo) - 1)
    while i < len(ivs) and ivs[i][0] <= hi and cur <= hi:
        a_, b_ = ivs[i]
        if b_ >= cur:
            if a_ > cur:
                parts.append((cur, a_ - 1))
            cur = b_ + 1
        i += 1
    if cur <= hi:
        parts.append((cur, hi))
    return parts


def _closed(lo_code: int, hi_code: int) -> tuple:
    """The closure ``[l, u]`` (integers, units ``1/L``) of a code interval."""
    return lo_code // 3, -((-hi_code) // 3)


def _interior_point(lo_code: int, hi_code: int) -> Fraction:
    """A point of the code interval (units ``1/L``): the midpoint, inside even when ends are open."""
    return Fraction(lo_code + hi_code, 6)


def _band_graph(lat: _Lattice, seeds, work: _Work):
    r"""The graph of lattice points whose ``delta``-neighbourhoods make the union band.

    A neighbourhood meets a breakpoint only at its centre ``p`` (``delta`` is a quarter of the
    distance from the breakpoints to the lattice), so the exact one-period map sends it into the
    neighbourhoods of the points ``p + c`` over its pieces: one successor, or up to three where ``p``
    is a tie (``v = g^2`` at some phase; rounding may break it either way).  Every successor of the
    ``seeds`` is followed.  Returns ``(band, succ, comp)``: the nodes on a cycle of the graph and
    everything reachable from them (``band``, which the exact map sends into itself), the successors
    and the strongly connected component of every node; ``None`` past the budget."""
    succ: dict = {}
    todo = list(dict.fromkeys(seeds))
    while todo:
        p = todo.pop()
        if p in succ:
            continue
        pieces = lat.split(*lat.neighbourhood(p), work)
        if pieces is None:
            return None
        succ[p] = sorted({p + c for _, _, c, _ in pieces})
        todo.extend(q for q in succ[p] if q not in succ)
    index, low, on, stack, comp = {}, {}, set(), [], {}
    for root in succ:  # Tarjan's strongly connected components, without recursion
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        frames = [(root, iter(succ[root]))]
        while frames:
            node, it = frames[-1]
            for q in it:
                if q not in index:
                    index[q] = low[q] = len(index)
                    stack.append(q)
                    on.add(q)
                    frames.append((q, iter(succ[q])))
                    break
                if q in on:
                    low[node] = min(low[node], index[q])
            else:
                frames.pop()
                if frames:
                    low[frames[-1][0]] = min(low[frames[-1][0]], low[node])
                if low[node] == index[node]:
                    members = []
                    while not members or members[-1] != node:
                        members.append(stack.pop())
                        on.discard(members[-1])
                    for q in members:
                        comp[q] = members
    band: set = set()
    todo = [p for p in succ if len(comp[p]) > 1 or p in succ[p]]
    while todo:
        p = todo.pop()
        if p not in band:
            band.add(p)
            todo.extend(succ[p])
    return band, succ, comp


def _contract(members, edges) -> list:
    """The edges ``(u, v, w)`` inside one strongly connected component with every chain of
    single-successor, single-predecessor nodes folded into one edge ``(u, v, total w, length)``."""
    out: dict = {p: [] for p in members}
    indeg: dict = {p: 0 for p in members}
    for u, v, w in edges:
        out[u].append((v, w))
        indeg[v] += 1
    branch = [p for p in members if len(out[p]) != 1 or indeg[p] != 1]
    if not branch:  # the component is one simple cycle
        branch = [next(iter(members))]
    keep = set(branch)
    folded = []
    for k in branch:
        for v, w in out[k]:
            total, length = w, 1
            while v not in keep:
                (v, w), = out[v]
                total, length = total + w, length + 1
            folded.append((k, v, total, length))
    return folded


def _negative_cycle(nodes, folded, lam: Fraction, work: _Work):
    """Whether some cycle has mean weight below ``lam`` (Bellman-Ford on ``w - lam``, exact integers;
    a cycle among the predecessor links proves one); ``None`` past the budget."""
    num, den = lam.numerator, lam.denominator
    es = [(u, v, w * den - num * ln) for u, v, w, ln in folded]
    dist, parent = {p: 0 for p in nodes}, {}
    for _ in range(len(nodes) + 1):
        if not work.spend(len(es)):
            return None
        changed = False
        for u, v, w in es:
            if dist[u] + w < dist[v]:
                dist[v], parent[v], changed = dist[u] + w, u, True
        if not changed:
            return False
        done: set = set()
        for start in parent:  # a cycle among the predecessor links
            path, p = set(), start
            while p in parent and p not in done and p not in path:
                path.add(p)
                p = parent[p]
            if p in path:
                return True
            done |= path
    return True


def _min_mean_bound(members, edges, work: _Work, rounds: int = 48):
    r"""A lower bound on the minimum mean weight of a cycle of one strongly connected component
    with integer-weighted ``edges`` ``(u, v, w)``: bisection on ``lam`` between the smallest and the
    largest mean of a folded chain, keeping the end where no cycle's mean is below ``lam``.  Exact
    rationals; ``None`` past the budget."""
    folded = _contract(members, edges)
    nodes = {u for u, _, _, _ in folded} | {v for _, v, _, _ in folded}
    means = [Fraction(w, ln) for _, _, w, ln in folded]
    lo, hi = min(means), max(means)
    if len(folded) == 1 or lo == hi:
        return lo
    for _ in range(rounds):
        mid = (lo + hi) / 2
        neg = _negative_cycle(nodes, folded, mid, work)
        if neg is None:
            return None
        lo, hi = (lo, mid) if neg else (mid, hi)
    return lo


@dataclass
class YogiCertificate:
    """Period-``n`` cycles of Yogi's ``v``, an invariant band and the asymptotic drift bound for
    one periodic problem and hyperparameters (see :func:`yogi_certificate`).  Values of ``v`` are
    exact rationals as text; drifts are floats rounded outwards."""

    n: int
    C: str
    D: str
    b1: str
    b2: str
    eps: str
    v0: str
    mean_gradient: float
    optimum_end: str  # "lo", "hi" or "none" (mean gradient 0)
    cycles: list  # period-n cycles: pattern, v0_range, closed (ends), representative, orbit, checked
    cycle_proof: str  # the cycles' derivation in words, or the proof that none exists
    band_kind: str  # "interval", "union" or "" (no deciding invariant band within max_steps)
    band: list  # the band of v at phase 0 (before the phase-0 update): [lo, hi] pieces
    phase_bands: list  # hull of v right after the update of each phase k: [lo, hi]
    entry_step: int | None  # first step t (a phase-0 step) from which v stays in the bands
    drift_lo: float | None  # bounds of the long-run drift per period (the direction's evidence)
    drift_hi: float | None
    period_drift: list | None  # bounds of the drift of any single period after entry_step
    direction: str  # "towards the optimum", "wrong end" or "undecided"
    reason: str
    interval_band: dict  # the single-interval band: band, phase_bands, drift (pieces), box
    eventual_cycle: dict | None  # the exact orbit's cycle: start_period, periods, drift (float64)
    delta: str  # half-width of the neighbourhoods of the union band
    steps_used: int
    checks: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return json.loads(json.dumps(self.__dict__))

    def text(self) -> str:
        def fl(x: str) -> str:
            return f"{float(Fraction(x)):.6g}"

        lines = [f"yogi on the periodic problem: g = {self.C} once every {self.n} steps, -{self.D} otherwise "
                 f"(b1 = {self.b1}, b2 = {self.b2}, eps = {self.eps}, v0 = {self.v0}); mean gradient "
                 f"{self.mean_gradient:+.6g}, so the optimum is the {self.optimum_end} end",
                 f"  period-{self.n} cycles: {self.cycle_proof}"]
        if self.band_kind:
            head = ", ".join(f"[{fl(lo)}, {fl(hi)}]" for lo, hi in self.band[:4])
            lines.append(f"  invariant band of v at phase 0 ({self.band_kind} of {len(self.band)}): {head}"
                         f"{' ...' if len(self.band) > 4 else ''}; v stays in the bands from step {self.entry_step}")
            lines.append(f"  long-run drift per period in [{self.drift_lo:+.6g}, {self.drift_hi:+.6g}] (the iterate "
                         f"moves by -drift x lr_t) -> {self.direction}")
        else:
            lines.append(f"  direction: {self.direction} ({self.reason})")
        checks = ", ".join(f"{k}: {'pass' if v else 'FAIL'}" for k, v in self.checks.items() if isinstance(v, bool))
        lines.append(f"  checks: {checks}")
        return "\n".join(lines)


def _positive_int(x, name: str) -> int:
    try:
        whole = not isinstance(x, bool) and int(x) == x
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole:
        raise DomainError(f"{name} = {x!r} must be an integer")
    return int(x)


def _cycle_analysis(lat: _Lattice, C2: Fraction, D2: Fraction, a: Fraction, work: _Work):
    """Period-``n`` cycles of ``v``: derived per sign pattern, each checked by an exact run of one
    period; returns ``(cycles, words, checks)``."""
    n, L = lat.n, lat.L
    g2 = [C2] + [D2] * (n - 1)

    def run(w: Fraction):  # the reference: one period in Fractions, independent of the lattice code
        vals, signs, v = [w], [], w
        for h in g2:
            s = (v > h) - (v < h)
            v = v - a * s * h
            signs.append(s)
            vals.append(v)
        return vals, signs

    def shown(vals, signs) -> str:
        vs = [_num(x) for x in vals]
        if len(vs) > 8:
            vs = vs[:4] + ["..."] + vs[-2:]
        return " -> ".join(vs) + f" (signs {_pattern(signs) if n <= 40 else _pattern(signs[:20]) + '...'})"

    ratio = C2 / D2
    head = (f"a cycle needs sigma_0 C^2 + (sigma_1 + ... + sigma_{n - 1}) D^2 = 0 with the {n - 1} later signs "
            f"summing to an integer in -{n - 1}..{n - 1}")
    checks: dict = {}
    forced_vals, forced_signs = run(C2)
    forced_closes = forced_vals[-1] == C2
    if not (ratio.denominator == 1 and 1 <= ratio <= n - 1):
        cycles = []
        if forced_closes:
            cycles.append({"pattern": _pattern(forced_signs), "v0_range": [_fmt(C2), _fmt(C2)], "closed": [True, True],
                           "representative": _fmt(C2), "orbit": [_fmt(x) for x in forced_vals[:64]], "checked": True})
        words = (f"{head}; C^2/D^2 = {_num(ratio)} is not an integer in 1..{n - 1}, so sigma_0 = 0, i.e. v_0 = C^2 "
                 f"= {_num(C2)}; from it one period runs {shown(forced_vals, forced_signs)}, which "
                 + ("closes: the only period-n cycle" if forced_closes
                    else f"does not close ({_num(forced_vals[-1])} != {_num(C2)}): no period-{n} cycle exists"))
    else:
        cycles, words = None, ""
    # the one-period map on [0, W], beyond which every sign is + (v stays above every g^2)
    W = max(lat.H0, lat.H1) + lat.S0 + (n - 1) * lat.S1
    pieces = lat.split(0, 3 * W, work, patterns=True)
    if pieces is None:
        if cycles is None:
            return None, (f"{head}; C^2/D^2 = {_num(ratio)} is an integer in 1..{n - 1}, and cutting the one-period "
                          "map into pieces of constant sign pattern exceeded max_steps: undecided"), checks
        return cycles, words, checks
    fixed = [p for p in pieces if p[2] == 0]
    found = []
    for lo, hi, _, pat in fixed:
        w = _interior_point(lo, hi) / L
        vals, signs = run(w)
        l_, u_ = _closed(lo, hi)
        found.append({"pattern": _pattern(pat), "v0_range": [_fmt(Fraction(l_, L)), _fmt(Fraction(u_, L))],
                      "closed": [lo % 3 == 0, hi % 3 == 0], "representative": _fmt(w),
                      "orbit": [_fmt(x) for x in vals[:64]], "checked": signs == pat and vals[-1] == w})
    if cycles is not None:  # the ratio argument decided; the pieces are its second check
        checks["cycles_two_ways"] = [c["pattern"] for c in found] == [c["pattern"] for c in cycles]
        return cycles, words, checks
    W_txt = _num(Fraction(W, L))
    if not found:
        smallest = min(abs(p[2]) for p in pieces)
        words = (f"{head}; C^2/D^2 = {_num(ratio)} is an integer in 1..{n - 1}, so patterns with sigma_0 = +-1 could "
                 f"close; the exact one-period map on [0, {W_txt}] (beyond it every sign is +) has {len(pieces)} pieces "
                 f"of constant pattern and translates each by a nonzero amount (smallest |shift| "
                 f"{_num(Fraction(smallest, L))}), and v_0 = C^2 runs {shown(forced_vals, forced_signs)}: "
                 f"no period-{n} cycle exists")
    else:
        fams = []
        for c in found[:6]:
            lo_b = "[" if c["closed"][0] else "("
            hi_b = "]" if c["closed"][1] else ")"
            rng = (f"v_0 = {_num(Fraction(c['v0_range'][0]))}" if c["v0_range"][0] == c["v0_range"][1]
                   else f"v_0 in {lo_b}{_num(Fraction(c['v0_range'][0]))}, {_num(Fraction(c['v0_range'][1]))}{hi_b}")
            w = Fraction(c["representative"])
            fams.append(f"pattern {c['pattern'] if n <= 40 else c['pattern'][:20] + '...'} for {rng}, checked at "
                        f"v_0 = {_num(w)}: {shown(*run(w))}")
        words = (f"{head}; C^2/D^2 = {_num(ratio)} is an integer in 1..{n - 1}; the exact one-period map on "
                 f"[0, {W_txt}] has {len(pieces)} pieces of constant pattern and is the identity on {len(found)} of "
                 f"them: " + "; ".join(fams) + (" ..." if len(found) > 6 else ""))
    return found, words, checks


def _piece(lat: _Lattice, lo_code: int, hi_code: int) -> tuple:
    """A piece of constant pattern as ``(l, u, offsets)``: its closure in units ``1/L`` and the
    shifts ``c_k`` with ``v_k = w + c_k`` after each phase's update."""
    w = _interior_point(lo_code, hi_code)
    l_, u_ = _closed(lo_code, hi_code)
    return Fraction(l_), Fraction(u_), [v - w for v in lat.values(w)]


def _piece_drift(lat: _Lattice, l_: Fraction, u_: Fraction, offs, m_iv, eps_iv):
    """``sum_k m*_k / (sqrt(w + c_k) + eps)`` over ``w`` in ``[l, u]`` (units ``1/L``) in interval
    arithmetic: one occurrence of ``w`` per term, each term monotone, so each is enclosed tightly."""
    iv, L = mpmath.iv, lat.L
    tot = iv.mpf(0)
    for mk, ck in zip(m_iv, offs):
        tot += mk / (iv.sqrt(_iv_span((l_ + ck) / L, (u_ + ck) / L)) + eps_iv)
    return tot


def _drift_bound(lat: _Lattice, lo_code: int, hi_code: int, m_iv, eps_iv, work: _Work, need: int):
    r"""``[min, max]`` of the drift of one period over every start ``w`` in the code interval: cut
    where the sign pattern changes, bounded per piece, and pieces whose bound contains 0 bisected
    (widest first, at most ``YOGI_BISECTIONS``) while the sign ``need`` may still be shown.
    Returns the two ends (mpf), or ``None`` past the budget."""
    pieces = lat.split(lo_code, hi_code, work)
    if pieces is None or not work.spend(lat.n * len(pieces)):
        return None
    vals = []
    for a_, b_, _, _ in pieces:
        l_, u_, offs = _piece(lat, a_, b_)
        vals.append((_piece_drift(lat, l_, u_, offs, m_iv, eps_iv), l_, u_, offs))
    for _ in range(YOGI_BISECTIONS):
        open_ = [i for i, (b, l_, u_, _) in enumerate(vals) if b.a <= 0 <= b.b and l_ < u_]
        signs = {1 if b.a > 0 else -1 for b, _, _, _ in vals if not b.a <= 0 <= b.b}
        if need == 0 or not open_ or len(signs) > 1:
            break
        _, l_, u_, offs = vals.pop(max(open_, key=lambda j: vals[j][2] - vals[j][1]))
        if not work.spend(2 * lat.n):
            return None
        mid = (l_ + u_) / 2
        vals += [(_piece_drift(lat, x, y, offs, m_iv, eps_iv), x, y, offs) for x, y in ((l_, mid), (mid, u_))]
    return min(_ends(b)[0] for b, _, _, _ in vals), max(_ends(b)[1] for b, _, _, _ in vals)


def _direction(lo, hi, mean_sign: int) -> str:
    if mean_sign == 0 or lo is None:
        return "undecided"
    if lo > 0 or hi < 0:
        return "towards the optimum" if (lo > 0) == (mean_sign > 0) else "wrong end"
    return "undecided"


def _orbit(lat: _Lattice, work: _Work, limit: int):
    """The exact orbit of ``v`` at phase 0 from ``v0`` until a value repeats (the orbit lives on a
    bounded part of a lattice, so it is eventually periodic) or ``limit`` steps; returns the values
    and the period at which the cycle starts (``None``: not reached)."""
    ws, seen, w = [], {}, lat.V0
    end = work.used + limit
    while work.used + lat.n <= end:
        if w in seen:
            return ws, seen[w]
        seen[w] = len(ws)
        ws.append(w)
        w = lat.period(w)
        work.spend(lat.n)
    return ws, None


def _interval_stage(lat: _Lattice, recur, m_iv, eps_iv, work: _Work, mean_sign: int):
    """The least interval containing ``recur`` that the interval image sends into itself, the
    per-phase bands and the drift over it (pieces, and term by term over the per-phase bands)."""
    l_, u_ = min(recur), max(recur)
    while True:
        if not work.spend(lat.n):
            return None
        img = lat.hull_image(l_, u_)
        il, iu = img[-1]
        if l_ <= il and iu <= u_:
            break
        l_, u_ = min(l_, il), max(u_, iu)
    drift = _drift_bound(lat, 3 * l_, 3 * u_, m_iv, eps_iv, work, mean_sign)
    box = mpmath.iv.mpf(0)
    for mk, (x, y) in zip(m_iv, img):
        box += mk / (mpmath.iv.sqrt(_iv_span(Fraction(x, lat.L), Fraction(y, lat.L))) + eps_iv)
    L = lat.L
    return {"codes": (3 * l_, 3 * u_), "hulls": img, "drift": drift,
            "record": {"band": [_fmt(Fraction(l_, L)), _fmt(Fraction(u_, L))],
                       "phase_bands": [[_fmt(Fraction(x, L)), _fmt(Fraction(y, L))] for x, y in img],
                       "drift": None if drift is None else [_down(drift[0]), _up(drift[1])],
                       "box": [_down(_ends(box)[0]), _up(_ends(box)[1])]}}


def _union_stage(lat: _Lattice, seeds, m_iv, eps_iv, work: _Work):
    r"""The union band: the graph of :func:`_band_graph` with every edge weighted by the drift of
    its piece (interval arithmetic); the long-run drift per period lies between the minimum and the
    maximum mean weight of a cycle (per strongly connected component, :func:`_min_mean_bound` on the
    weights rounded outwards to ``2^-WEIGHT_BITS``)."""
    graph = _band_graph(lat, seeds, work)
    if graph is None:
        return None
    band, succ, comp = graph
    n, scale = lat.n, 2**WEIGHT_BITS
    edges, hulls = [], [None] * n
    for p in band:
        pieces = lat.split(*lat.neighbourhood(p), work)
        if pieces is None or not work.spend(n * len(pieces)):
            return None
        for a_, b_, c, _ in pieces:
            l_, u_, offs = _piece(lat, a_, b_)
            lo_w, hi_w = _ends(_piece_drift(lat, l_, u_, offs, m_iv, eps_iv))
            with mpmath.workdps(DPS + 10):
                wl, wh = int(mpmath.floor(lo_w * scale)), int(mpmath.ceil(hi_w * scale))
            edges.append((p, p + c, wl, wh))
            for k, ck in enumerate(offs):
                x, y = l_ + ck, u_ + ck
                hulls[k] = (x, y) if hulls[k] is None else (min(hulls[k][0], x), max(hulls[k][1], y))
    cyclic = {id(comp[p]): comp[p] for p in band if len(comp[p]) > 1 or p in succ[p]}
    inner: dict = {key: [] for key in cyclic}
    for e in edges:
        if comp[e[0]] is comp[e[1]] and id(comp[e[0]]) in inner:
            inner[id(comp[e[0]])].append(e)
    lows, highs = [], []
    for key, members in cyclic.items():
        es = inner[key]
        low = _min_mean_bound(members, [(u, v, wl) for u, v, wl, _ in es], work)
        high = _min_mean_bound(members, [(u, v, -wh) for u, v, _, wh in es], work)
        if low is None or high is None:
            return None
        lows.append(low)
        highs.append(-high)
    return {"codes": _normalize(lat.neighbourhood(p) for p in band), "hulls": hulls, "nodes": len(band),
            "average": (min(lows) / scale, max(highs) / scale),
            "period": (Fraction(min(e[2] for e in edges), scale), Fraction(max(e[3] for e in edges), scale))}


def _float_check(lat: _Lattice, C: float, D: float, b1: float, b2: float, eps: float, v0: float,
                 periods: int, band, hulls, lo: float, hi: float, slack: float) -> dict:
    """The second way: float64 Yogi ``(m, v)`` over ``periods`` periods from ``v0`` (``m0 = 0``).
    Its ``v`` at phase 0 must enter the band (within ``YOGI_FLOAT_TOL`` of the scale) by the middle
    of the run and never leave it, its ``v`` after each phase then stay in that phase's hull, and
    the average drift of the last half of the periods lie in ``[lo, hi]`` widened by ``slack``
    (what a path of that length may differ from its cycles' means).  Rounding may break a tie of
    the exact orbit the other way, so the float64 run may enter later than the exact one."""
    n, L = lat.n, lat.L
    g = [C] + [-D] * (n - 1)
    a = 1.0 - b2
    tol = YOGI_FLOAT_TOL * max(C * C, D * D, v0)
    closed = [_closed(lo_c, hi_c) for lo_c, hi_c in band]
    starts = [cl for cl, _ in closed]
    bounds = [(float(x / L) - tol, float(y / L) + tol) for x, y in hulls]
    m, v = 0.0, v0
    entry, left, phases_inside, drifts = None, False, True, []
    for j in range(periods):
        x = v * L  # v at phase 0 in units 1/L
        i = bisect.bisect_right(starts, x)
        if any(cl - tol * L <= x <= cu + tol * L for cl, cu in closed[max(0, i - 1):i + 1]):
            entry = j if entry is None else entry
        elif entry is not None:
            left = True
        d = 0.0
        for k in range(n):
            gk = g[k]
            m = b1 * m + (1.0 - b1) * gk
            v = v - a * (1.0 if v > gk * gk else -1.0 if v < gk * gk else 0.0) * (gk * gk)
            d += m / (math.sqrt(v) + eps)
            if entry is not None and not bounds[k][0] <= v <= bounds[k][1]:
                phases_inside = False
        drifts.append(d)
    late = drifts[periods // 2:]
    avg = math.fsum(late) / len(late)
    stays = entry is not None and not left and entry <= periods // 2
    dtol = YOGI_FLOAT_TOL * max(1.0, abs(lo), abs(hi)) + slack / len(late)
    return {"float64_periods": periods, "float64_entry_step": None if entry is None else entry * n + 1,
            "float64_in_band": stays, "float64_in_phase_bands": stays and phases_inside,
            "float64_late_drift": avg, "float64_drift_in_bound": lo - dtol <= avg <= hi + dtol}


def _m_cycle(C, D, n: int, b1, checks: dict) -> list:
    """The EMA cycle ``m*_k`` of ``m`` as 50-digit intervals: ``g_k`` when ``b1 = 0``, exact SymPy
    (:func:`ema_limit_cycle`, checked against :func:`ema_limit_cycle_mp`) up to ``SYMBOLIC_MAX_N``,
    else the 50-digit closed form widened by its closing residual."""
    g = [C] + [-D] * (n - 1)
    if b1 == 0:
        return [_iv_of(x) for x in g]
    with mpmath.workdps(DPS + 10):
        m_mp, res = ema_limit_cycle_mp([mpmath.mpf(str(sp.N(x, DPS + 15))) for x in g], b1)
    if n > SYMBOLIC_MAX_N:
        checks["m_cycle_closing_residual"] = res < 1e-40
        return [_iv_of(x, res) for x in m_mp]
    exact = ema_limit_cycle(g, b1)
    checks["m_cycle_exact_vs_50_digits"] = all(abs(float(sp.N(e, 30)) - float(x)) <= 1e-14 * max(1.0, abs(float(x)))
                                               for e, x in zip(exact, m_mp))
    return [_iv_of(x) for x in exact]


def yogi_certificate(C, n: int, D=1, b1=0, b2=sp.Rational(1, 10), eps=0, v0=0,
                     max_steps: int = YOGI_MAX_STEPS) -> YogiCertificate:
    r"""Certificate for Yogi on the periodic family (``C`` once per period of ``n``, ``-D`` otherwise).

    Yogi keeps Adam's ``m <- b1 m + (1 - b1) g`` and replaces ``v``'s EMA by
    ``v <- v - a sigma g^2`` with ``a = 1 - b2``, ``sigma = sign(v - g^2)``; the step is
    ``x <- x - lr mhat / (sqrt(vhat) + eps)``.  The gradients do not depend on ``x``, so ``v``'s
    orbit from ``v0`` is computed exactly; it lives on ``v0 + s Z`` (``s = gcd(a C^2, a D^2)``) and
    stays bounded, so it is eventually periodic (``eventual_cycle``).

    1. *Cycles per sign pattern.*  Under a fixed pattern ``sigma_0 .. sigma_{n-1}`` (signs met before
       each update) the ``n``-step map is the translation ``v -> v - a sum_k sigma_k g_k^2``
       (coefficient 1, no contraction), so a period-``n`` cycle needs
       ``sigma_0 C^2 = -(sigma_1 + ... + sigma_{n-1}) D^2``: ``C^2/D^2`` an integer in ``1 .. n-1``,
       or ``sigma_0 = 0`` (``v_0 = C^2``).  When the ratio is no such integer the one candidate,
       ``v_0 = C^2``, is run for one period; otherwise the exact one-period map on ``[0, W]``
       (``W = max g^2 + a sum g^2``, beyond which every sign is ``+``) is cut into pieces of constant
       pattern and the pieces it leaves fixed are the cycles (families ``v_0`` in an interval).  Each
       cycle is checked by one period in ``Fraction`` arithmetic from a point of it (signs met =
       pattern, value closes); the pieces also recheck the ratio argument (``cycles_two_ways``).
    2. *Invariant band* (what certifies the direction).  First the least interval ``B`` holding
       the orbit's cycle (or its last periods) that the interval image maps into itself: each
       phase shifts ``[l, u]`` by ``+a g^2`` if ``u < g^2``, by ``-a g^2`` if ``l > g^2``, else takes
       the hull of both pieces and ``g^2``; ``phase_bands`` are its images.  When the drift over
       ``B`` does not decide, the *union band*: ``delta``-neighbourhoods of lattice points, from
       every point of the orbit, closed under the exact map piece by piece, with ties followed
       both ways (so rounding cannot leave it), kept from the cycles of that graph on.
       ``entry_step`` is the first phase-0 step ``t`` whose ``v`` lies in the band; from there ``v``
       stays in it and in the per-phase bands.
    3. *Drift bound.*  With ``m*_k`` the exact EMA cycle of ``m``, one period started at ``w``
       drifts by ``F(w) = sum_k m*_k / (sqrt(v_k(w)) + eps)``.  On each piece of constant pattern
       ``v_k = w + c_k`` and every term is monotone, so mpmath interval arithmetic at 50 digits
       (outward rounding) bounds ``F``; pieces whose bound holds 0 are bisected.  Over ``B``
       ``[drift_lo, drift_hi] = [min F, max F]``; over the union band the long-run average per
       period lies between the extreme mean weights of the graph's cycles (exact bisection with
       Bellman-Ford's negative-cycle test on the graph with its chains folded), and
       ``period_drift`` bounds single periods.  ``towards the optimum`` when the interval has the
       sign of the mean gradient, ``wrong end`` when the opposite, else ``undecided``.
       ``interval_band["box"]`` is the cruder bound term by term over the per-phase bands.

    Assumptions (as :func:`periodic_certificate`): ``t -> inf``, bias corrections tend to 1 and
    ``lr_t`` is nearly constant over one period (over the orbit's cycle for the long-run bound), so
    the iterate moves per period by ``-lr_t * drift``; ``m`` has reached its EMA cycle; phase 0
    carries ``C``.  Exact: ``v``'s orbit, the cycles, the bands and their invariance (integers in
    units of ``1/L``); at 50 digits: the drifts (interval arithmetic, rounded outwards to floats).
    Floats are taken as the shortest rational that prints like them (``nsimplify``, as
    :func:`periodic_certificate`); ``C``, ``D`` may be SymPy numbers with rational squares.
    ``max_steps`` bounds the exact work (orbit steps plus intervals pushed through one phase; the
    orbit takes at most half); past it the answer is ``undecided``, never a guess.  The second way
    (``checks``): a float64 run of ``(m, v)`` enters the bands and stays, and its late average drift
    lies in ``[drift_lo, drift_hi]``; the exact cycle's average drift lies there too.

    Examples
    --------
    >>> c = yogi_certificate(3, 3, 1, 0, sp.Rational(1, 10))
    >>> c.direction, c.cycles, c.band_kind, c.entry_step
    ('towards the optimum', [], 'union', 16)
    """
    n = _positive_int(n, "period n")
    if n < 2:
        raise DomainError(f"period n = {n!r} must be at least 2")
    if n > limits.MAX_PERIOD:
        raise LimitError(f"period n = {n:,} exceeds the limit {limits.MAX_PERIOD:,} (optmath.limits.MAX_PERIOD)")
    max_steps = _positive_int(max_steps, "max_steps")
    if not 1 <= max_steps <= YOGI_STEPS_LIMIT:
        raise LimitError(f"max_steps = {max_steps:,} must be in 1..{YOGI_STEPS_LIMIT:,} "
                         "(optmath.search.certify.YOGI_STEPS_LIMIT)")
    if 2 * n > max_steps:
        raise LimitError(f"period n = {n:,} needs max_steps >= {2 * n:,}; got {max_steps:,}")
    try:
        C, D, b1, b2, eps, v0 = (_exact(x) for x in (C, D, b1, b2, eps, v0))
        ok = bool(C.is_real and D.is_real and C > 0 and D > 0 and (C**2).is_Rational and (D**2).is_Rational
                  and all(x.is_Rational for x in (b1, b2, eps, v0)) and 0 <= b1 < 1 and 0 < b2 < 1
                  and eps >= 0 and v0 >= 0)
    except (TypeError, ValueError, AttributeError, sp.SympifyError):
        ok = False
    if not ok:
        raise DomainError(f"need C, D > 0 with rational squares, rational eps >= 0 and v0 >= 0, 0 <= b1 < 1, "
                          f"0 < b2 < 1; got C = {C}, D = {D}, eps = {eps}, v0 = {v0}, b1 = {b1}, b2 = {b2}")
    C2, D2, a = _frac(C**2), _frac(D**2), 1 - _frac(b2)
    lat = _Lattice(C2, D2, a, _frac(v0), n)
    L = lat.L
    work = _Work(max_steps)
    mean = (C - D * (n - 1)) / n
    mean_sign = 1 if mean > 0 else -1 if mean < 0 else 0
    checks: dict = {}

    part = _Work(max_steps // 4)  # 1. period-n cycles, within a quarter of the budget
    cycles, words, more = _cycle_analysis(lat, C2, D2, a, part)
    work.spend(min(part.used, part.limit))
    checks.update(more)
    if cycles is not None:
        checks["cycles_checked"] = all(c["checked"] for c in cycles)
    ws, cyc_start = _orbit(lat, work, max_steps // 2)
    recur = ws[cyc_start:] if cyc_start is not None else ws[len(ws) // 2:]

    band_kind, codes, hulls, interval_band, eventual = "", [], [], {}, None
    lo = hi = period = None
    slack = 0.0
    parts = [f"the exact orbit repeats from period {cyc_start} every {len(ws) - cyc_start} period(s)"
             if cyc_start is not None else f"the exact orbit did not repeat within {max_steps // 2:,} steps"]
    iv = mpmath.iv
    saved = iv.dps
    iv.dps = DPS
    try:
        m_iv, eps_iv = _m_cycle(C, D, n, b1, checks), _iv_of(eps)
        stage = _interval_stage(lat, recur, m_iv, eps_iv, work, mean_sign) if recur else None  # 2a, 3
        if stage is None or stage["drift"] is None:
            parts.append("no invariant interval was closed and bounded within max_steps")
        else:
            interval_band = stage["record"]
            if _direction(*stage["drift"], mean_sign) != "undecided":
                band_kind, codes, hulls = "interval", [stage["codes"]], stage["hulls"]
                lo, hi = stage["drift"]
                period = [_down(lo), _up(hi)]
                parts.append("the least invariant interval decides")
            else:
                parts.append("the least invariant interval does not decide")
        if not band_kind and recur:  # 2b, 3: the union band
            union = _union_stage(lat, ws, m_iv, eps_iv, work)
            if union is not None:
                band_kind, codes, hulls = "union", union["codes"], union["hulls"]
                lo, hi = union["average"]
                period = [_down(union["period"][0]), _up(union["period"][1])]
                slack = 2 * union["nodes"] * max(abs(period[0]), abs(period[1]))
                parts.append(f"the union band ({union['nodes']} neighbourhoods) bounds the long-run drift by the "
                             "extreme cycle means of its graph")
            else:
                parts.append(f"the union band was not closed within max_steps = {max_steps:,}")
        starts = [c_[0] for c_ in codes]
        entry = next((j for j, x in enumerate(ws) if _locate(starts, codes, 3 * x)), None) if band_kind else None
        if band_kind and entry is None:
            band_kind, codes, hulls, lo, hi, period = "", [], [], None, None, None
            parts.append("the orbit computed did not reach the band")
        direction = _direction(lo, hi, mean_sign)
        if band_kind:
            parts.append(f"long-run drift in [{float(lo):+.6g}, {float(hi):+.6g}]")
        if mean_sign == 0:
            parts.append("the mean gradient is 0: no end is the optimum")
        elif band_kind and direction == "undecided":
            parts.append("the bound holds 0")
        reason = "; ".join(parts)
        if cyc_start is not None:  # the exact cycle's average drift, float64 from exact values
            m_f, e_f = [float(x.mid) for x in m_iv], float(eps)
            tot = math.fsum(mk / (math.sqrt(vk / L) + e_f) for x in ws[cyc_start:]
                            for mk, vk in zip(m_f, lat.values(x)))
            eventual = {"start_period": cyc_start, "periods": len(ws) - cyc_start, "drift": tot / (len(ws) - cyc_start)}
            if band_kind:
                tol = YOGI_FLOAT_TOL * max(1.0, abs(float(lo)), abs(float(hi)))
                checks["eventual_cycle_drift_in_bound"] = float(lo) - tol <= eventual["drift"] <= float(hi) + tol
    finally:
        iv.dps = saved
    if band_kind:  # invariance rechecked: the interval image, or every piece's exact image
        if band_kind == "interval":
            il, iu = lat.hull_image(*_closed(*codes[0]))[-1]
            checks["band_invariant"] = codes[0][0] <= 3 * il and 3 * iu <= codes[0][1]
        else:
            checks["band_invariant"] = all(not _subtract(pa + 3 * c, pb + 3 * c, codes, starts)
                                           for a_, b_ in codes
                                           for pa, pb, c, _ in lat.split(a_, b_, _Work(YOGI_STEPS_LIMIT)))
        periods = max(entry + 200, 2 * entry + 20, 40 * len(codes))
        if periods * n <= max_steps:
            checks.update(_float_check(lat, float(C), float(D), float(b1), float(b2), float(eps), float(v0),
                                       periods, codes, hulls, float(lo), float(hi), slack))

    def pair(x, y) -> list:
        return [_fmt(Fraction(x, L)), _fmt(Fraction(y, L))]

    return YogiCertificate(
        n, str(C), str(D), str(b1), str(b2), str(eps), str(v0), float(mean),
        "lo" if mean_sign > 0 else "hi" if mean_sign < 0 else "none", cycles if cycles is not None else [], words,
        band_kind, [pair(*_closed(*c_)) for c_ in codes], [pair(x, y) for x, y in hulls],
        None if entry is None else entry * n + 1, None if lo is None else _down(lo), None if hi is None else _up(hi),
        period, direction, reason, interval_band, eventual, _fmt(Fraction(lat.delta, L)), work.used, checks)
