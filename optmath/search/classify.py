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
