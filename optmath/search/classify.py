r"""One vocabulary and one written rule for how a run ended.

Classes
-------
``diverges``      an iterate or state became non-finite, or the distance to the optimum grows
                  without bound: above ``DIVERGE_RATIO`` times the problem's scale, or (unconstrained)
                  above ``DIVERGE_MIN`` times the scale, multiplied by at least ``DIVERGE_GROWTH``
                  over the second half and still rising: the means of the four windows of the last
                  quarter increase (a distance growing like ``sqrt(t)`` or faster qualifies).
``converges``     the distance to the optimum stays below ``CONVERGE_TOL`` (relative to the scale)
                  over the last ``TAIL_CONVERGE`` of the run.
``fails``         the distance stays above ``FAIL_TOL`` over the whole second half and the average
                  regret over the second half is above ``FAIL_REGRET`` times the scale of the
                  losses (the iterate is held away from the optimum and keeps paying for it).
``inconclusive``  none of these: the horizon is too short to tell.

The *scale* of distances is the width ``hi - lo`` of a constrained problem's interval, or
``max(1, |x_0 - x*|)`` for an unconstrained one; the scale of regrets is that distance scale
times the mean absolute gradient of the problem.  The rule reads only the tail of the run, so
it does not depend on the transient.  All thresholds live here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

CLASSES = ("converges", "fails", "diverges", "inconclusive")
CONVERGE_TOL = 0.05
TAIL_CONVERGE = 0.1
FAIL_TOL = 0.25
FAIL_REGRET = 0.01
DIVERGE_RATIO = 1e3
DIVERGE_MIN = 10.0
DIVERGE_GROWTH = 1.25


@dataclass(frozen=True)
class Verdict:
    """A class from :data:`CLASSES` with the numbers the rule looked at."""

    kind: str
    reason: str
    tail_distance: float  # max distance / scale over the last TAIL_CONVERGE of the run
    half_min_distance: float  # min distance / scale over the second half
    tail_regret: float  # average regret over the second half / regret scale

    def as_dict(self) -> dict:
        return {"class": self.kind, "reason": self.reason, "tail_distance": self.tail_distance,
                "half_min_distance": self.half_min_distance, "tail_regret": self.tail_regret}


def classify(xs, xstar: float, regrets=None, *, lo: float = -math.inf, hi: float = math.inf,
             grad_scale: float = 1.0, nonfinite_step: int = 0) -> Verdict:
    """Classify a one-dimensional run ``xs`` (``x_0 .. x_T``) against the optimum ``xstar``."""
    xs = np.asarray(xs, dtype=np.float64).reshape(len(xs), -1)[:, 0]
    T = len(xs) - 1
    constrained = math.isfinite(lo) and math.isfinite(hi)
    scale = (hi - lo) if constrained else max(1.0, abs(xs[0] - xstar))
    if nonfinite_step or not np.all(np.isfinite(xs)):
        step = nonfinite_step or int(np.argmax(~np.isfinite(xs)))
        return Verdict("diverges", f"non-finite at step {step}", math.inf, math.inf, math.inf)
    if T < 8:
        return Verdict("inconclusive", f"horizon T = {T} is too short", math.nan, math.nan, math.nan)
    dist = np.abs(xs - xstar) / scale
    half = dist[T // 2:]
    tail = dist[T - max(1, int(TAIL_CONVERGE * T)):]
    regret = math.nan
    if regrets is not None:
        r = np.asarray(regrets, dtype=np.float64)
        regret = float(np.mean(r[len(r) // 2:])) / (scale * max(grad_scale, 1e-300))
    if dist[-1] > DIVERGE_RATIO:
        return Verdict("diverges", f"distance {dist[-1]:.3g} x scale", float(tail.max()), float(half.min()), regret)
    if not constrained:
        q = dist[T - T // 4:]
        windows = np.array([w.mean() for w in np.array_split(q, 4)])  # robust to oscillation within a period
        if half[0] > 0 and dist[-1] >= DIVERGE_GROWTH * half[0] and np.all(np.diff(windows) > 0) and dist[-1] > DIVERGE_MIN:
            return Verdict("diverges", f"distance grew {dist[-1] / half[0]:.3g}-fold over the second half",
                           float(tail.max()), float(half.min()), regret)
    if tail.max() <= CONVERGE_TOL:
        return Verdict("converges", f"within {CONVERGE_TOL:g} of the optimum over the last "
                                    f"{TAIL_CONVERGE:.0%} of the run", float(tail.max()), float(half.min()), regret)
    if half.min() >= FAIL_TOL and (regrets is None or regret >= FAIL_REGRET):
        return Verdict("fails", f"at least {FAIL_TOL:g} from the optimum over the second half"
                                + ("" if regrets is None else f", average regret {regret:.3g} x scale"),
                       float(tail.max()), float(half.min()), regret)
    return Verdict("inconclusive", "neither near the optimum at the end nor held away from it",
                   float(tail.max()), float(half.min()), regret)


def classify_trajectory(tr, problem) -> Verdict:
    """:func:`classify` for a :class:`~optmath.kernels.runner.Trajectory` on a problem."""
    from ..problems import gradient_scale

    return classify(tr.xs, problem.xstar, tr.regrets, lo=problem.lo, hi=problem.hi,
                    grad_scale=gradient_scale(problem), nonfinite_step=tr.nonfinite_step)


#: relative allowance for the float64 arithmetic of the statistics an enclosure is judged by
#: (distances, window means, the regret mean): far above their rounding, far below any threshold
ENCLOSURE_MARGIN = 1e-9


@dataclass(frozen=True)
class EnclosureVerdict:
    """The class of the *exact* run whose iterates lie in an enclosure, when every run in the
    enclosure gets the same class under :func:`classify`'s rule; ``kind`` is None when the
    enclosure is too wide to decide, and ``reason`` says which comparison it could not decide."""

    kind: str | None
    reason: str
    tail_distance: tuple  # (lower, upper) bound of the max distance / scale over the last TAIL_CONVERGE
    half_min_distance: tuple  # (lower, upper) bound of the min distance / scale over the second half
    tail_regret: tuple  # (lower, upper) bound of the average regret over the second half / regret scale

    @property
    def decided(self) -> bool:
        return self.kind is not None

    def as_dict(self) -> dict:
        return {"class": self.kind, "decided": self.decided, "reason": self.reason,
                "tail_distance": list(self.tail_distance), "half_min_distance": list(self.half_min_distance),
                "tail_regret": list(self.tail_regret)}


def _above(lo: float, hi: float, c: float):
    """Three-valued ``value > c`` for a value in ``[lo, hi]``: True, False or None (undecided)."""
    return True if lo > c else (False if hi <= c else None)


def _at_least(lo: float, hi: float, c: float):
    return True if lo >= c else (False if hi < c else None)


def _mean_bounds(lo, hi) -> tuple:
    """Bounds of the mean of values in ``[lo_i, hi_i]``, widened by the rounding of a float64 sum."""
    n = len(lo)
    a, b = float(np.mean(lo)), float(np.mean(hi))
    slack = (n + 2) * 2.0**-53 * 1.01 * float(np.mean(np.maximum(np.abs(lo), np.abs(hi)))) + 1e-300
    return a - slack, b + slack


def classify_enclosure(xl, xh, xstar: float, grads=None, *, lo: float = -math.inf, hi: float = math.inf,
                       grad_scale: float = 1.0, lost_step: int = 0) -> EnclosureVerdict:
    """:func:`classify`'s rule applied to every run with ``xl[k] <= x_k <= xh[k]``: the class when
    all of them get the same one, else ``kind = None`` with the comparison that was undecided.

    ``grads`` are the (explicit) gradients of a linear problem, whose regret at step ``k`` is
    ``g_k (x_{k-1} - x*)``, as the search's replay computes it.  Each comparison of
    :func:`classify` is made three-valued on the bounds (distances, window means and the regret
    mean carry an allowance :data:`ENCLOSURE_MARGIN` for their own float64 arithmetic) and the
    same decision order is followed; an undecided comparison that the order reaches leaves the
    class undecided.  A lost enclosure (``lost_step``: a bound not finite) decides nothing."""
    xl = np.asarray(xl, dtype=np.float64).reshape(-1)
    xh = np.asarray(xh, dtype=np.float64).reshape(-1)
    nan2 = (math.nan, math.nan)
    if lost_step or not (np.all(np.isfinite(xl)) and np.all(np.isfinite(xh))):
        return EnclosureVerdict(None, f"the enclosure was lost (a bound not finite) at step {lost_step or '?'}",
                                nan2, nan2, nan2)
    T = len(xl) - 1
    if T < 8:
        return EnclosureVerdict("inconclusive", f"horizon T = {T} is too short", nan2, nan2, nan2)
    constrained = math.isfinite(lo) and math.isfinite(hi)
    scale = (hi - lo) if constrained else max(1.0, abs(xl[0] - xstar))  # x0 is a point of the enclosure
    up, dn = 1 + ENCLOSURE_MARGIN, 1 - ENCLOSURE_MARGIN
    dlo = np.where(xl > xstar, xl - xstar, np.where(xh < xstar, xstar - xh, 0.0)) / scale * dn
    dhi = np.maximum(np.abs(xl - xstar), np.abs(xh - xstar)) / scale * up
    h0, t0 = T // 2, T - max(1, int(TAIL_CONVERGE * T))
    tail = (float(dlo[t0:].max()), float(dhi[t0:].max()))
    half = (float(dlo[h0:].min()), float(dhi[h0:].min()))
    regret = nan2
    if grads is not None:
        g = np.asarray(grads, dtype=np.float64).reshape(-1)[:T]
        a, b = g * (xl[:-1] - xstar), g * (xh[:-1] - xstar)
        rl, rh = np.minimum(a, b), np.maximum(a, b)
        ml, mh = _mean_bounds(rl[len(rl) // 2:], rh[len(rh) // 2:])
        s = scale * max(grad_scale, 1e-300)
        regret = (ml / s - abs(ml / s) * ENCLOSURE_MARGIN, mh / s + abs(mh / s) * ENCLOSURE_MARGIN)

    def verdict(kind, reason):
        return EnclosureVerdict(kind, reason, tail, half, regret)

    def undecided(what):
        return verdict(None, f"the enclosure is too wide to decide whether {what}")

    div = _above(dlo[-1], dhi[-1], DIVERGE_RATIO)
    if div is None:
        return undecided(f"the final distance exceeds {DIVERGE_RATIO:g} x scale")
    if div:
        return verdict("diverges", f"distance at least {dlo[-1]:.3g} x scale")
    if not constrained:
        q0 = T - T // 4
        parts = np.array_split(np.arange(q0, T + 1), 4)
        wins = [_mean_bounds(dlo[p], dhi[p]) for p in parts]
        conds = [_above(dlo[h0], dhi[h0], 0.0),
                 _at_least(dlo[-1] - DIVERGE_GROWTH * dhi[h0], dhi[-1] - DIVERGE_GROWTH * dlo[h0], 0.0)]
        conds += [_above(wins[i + 1][0] - wins[i][1], wins[i + 1][1] - wins[i][0], 0.0) for i in range(3)]
        conds.append(_above(dlo[-1], dhi[-1], DIVERGE_MIN))
        grow = False if any(c is False for c in conds) else (True if all(c is True for c in conds) else None)
        if grow is None:
            return undecided("the distance grows over the second half")
        if grow:
            return verdict("diverges", "the distance grew over the second half for every run in the enclosure")
    conv = True if tail[1] <= CONVERGE_TOL else (False if tail[0] > CONVERGE_TOL else None)
    if conv is None:
        return undecided(f"the tail stays within {CONVERGE_TOL:g} of the optimum")
    if conv:
        return verdict("converges", f"within {CONVERGE_TOL:g} of the optimum over the last {TAIL_CONVERGE:.0%} of "
                                    f"the run (max distance at most {tail[1]:.6g} x scale)")
    far = _at_least(half[0], half[1], FAIL_TOL)
    paid = True if grads is None else _at_least(regret[0], regret[1], FAIL_REGRET)
    fails = False if (far is False or paid is False) else (True if (far and paid) else None)
    if fails is None:
        return undecided(f"the run stays {FAIL_TOL:g} from the optimum and pays regret {FAIL_REGRET:g} x scale")
    if fails:
        return verdict("fails", f"at least {half[0]:.6g} x scale (>= {FAIL_TOL:g}) from the optimum over the second half"
                                + ("" if grads is None else f", average regret at least {regret[0]:.3g} x scale"))
    return verdict("inconclusive", "neither near the optimum at the end nor held away from it, for every run "
                                   "in the enclosure")
