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

import math
from dataclasses import dataclass, field

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
