r"""One comparison of two trajectories that follows the conditioning of the stream.

Two correct float64 evaluations of one recurrence agree to about the unit roundoff only where
the recurrence does not amplify rounding errors.  Where it does (NAdam with L2 decay sitting at
the equilibrium ``x = -g/wd``, whose linearised step is unstable), they drift apart, and a
fixed tolerance calls one of them wrong.  :func:`compare_trajectories` decides instead:

1. **Direct.**  The scaled difference (:func:`~optmath.verify.tolerances.scaled_difference`)
   of the two sides is at most ``rtol``: they agree, nothing else is run.
2. **High precision.**  Otherwise the same recurrence (the spec's generated step) is evaluated
   on the same stream in mpmath at ``CONDITIONING_DPS`` digits, and again at twice as many; if
   the two disagree by more than ``RESOLVED * rtol`` the stream is not resolved even there and
   the verdict is *inconclusive*.
3. **Conditioning, measured.**  The high-precision run is repeated with every state and the
   iterate multiplied by ``1 + u r`` after each step (``r`` uniform in ``[-1, 1]``, ``u`` the
   unit roundoff of the precision compared): a model of one rounding per value and step.  The
   largest scaled deviation ``E`` over ``CONDITIONING_PROBES`` seeds is what rounding alone
   does on this stream; its *amplification* is ``E / (T u)`` (about 1 or below where errors
   merely accumulate).  One step performs ``n`` arithmetic operations (counted in the spec's
   equations), each at most one rounding, so the tolerance of this stream is
   ``max(rtol, n E)``: it exceeds ``rtol`` only when the measurement says so.  Where it
   exceeds ``ILL_CONDITIONED_LIMIT`` (1e-6 in float64), rounding alone decides too much of the
   trajectory for any evaluation in that precision to be judged: *inconclusive*.
4. **Each side judged.**  A side is *accurate* when its scaled distance to the high-precision
   trajectory is within that tolerance.  Both accurate: they agree (and, when the tolerance
   was raised, the stream is reported as ill-conditioned with its amplification).  Otherwise
   the verdict names the inaccurate side(s).

A planted difference of 1e-9 on a well-conditioned stream is therefore still caught (there
``n E`` stays below 1e-12), and an ill-conditioned stream is only ever reported with the
measured amplification that justifies it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import sympy as sp

from ..spec import Algorithm
from .reference import reference_step
from .replay import high_precision_run
from .tolerances import (CONDITIONING_DPS, CONDITIONING_PROBES, ILL_CONDITIONED_LIMIT, RESOLVED,
                         UNIT_ROUNDOFF, scaled_difference)

AGREE, ILL_CONDITIONED, DIFFER, INCONCLUSIVE = "agree", "agree (ill-conditioned stream)", "differ", "inconclusive"


@dataclass(frozen=True)
class Side:
    """One side of a comparison: its scaled distance to the high-precision trajectory."""

    label: str
    error: float
    accurate: bool


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare_trajectories` (see the module docstring)."""

    what: str
    labels: tuple[str, str]
    difference: float  # scaled difference of the two sides
    rtol: float
    tolerance: float  # the tolerance applied to each side: rtol, or the stream's when raised
    verdict: str
    amplification: float | None = None  # E / (T u), measured only when the sides disagree
    rounding_spread: float | None = None  # E, the scaled deviation that rounding alone produces
    operations: int = 0
    steps: int = 0
    sides: tuple[Side, ...] = ()
    reason: str = ""
    checked: dict = field(default_factory=dict)  # trajectory name -> scaled difference
    tolerances: dict = field(default_factory=dict)  # trajectory name -> tolerance of this stream

    @property
    def agrees(self) -> bool:
        return self.verdict in (AGREE, ILL_CONDITIONED)

    @property
    def ill_conditioned(self) -> bool:
        return self.verdict == ILL_CONDITIONED

    def accurate(self, label: str) -> bool:
        """Whether side ``label`` is as accurate as a correct evaluation can be on this stream."""
        if self.difference <= self.rtol:
            return True
        return any(s.label == label and s.accurate for s in self.sides)

    def text(self) -> str:
        a, b = self.labels
        head = f"{self.what}: {a} vs {b}: {self.verdict}; scaled difference {self.difference:.3e}"
        if self.difference <= self.rtol:
            return head + f" <= {self.rtol:.1e}"
        parts = [head + f" > {self.rtol:.1e}"]
        if self.sides:
            parts.append("against a " + f"{CONDITIONING_DPS}-digit evaluation: "
                         + ", ".join(f"{s.label} {s.error:.3e}" + ("" if self.verdict == INCONCLUSIVE else
                                                                         f" ({'accurate' if s.accurate else 'inaccurate'})")
                                     for s in self.sides)
                         + ", tolerance " + ", ".join(f"{n} {t:.3e}" for n, t in self.tolerances.items()))
        if self.amplification is not None:
            parts.append(f"one rounding per value and step grows to {self.rounding_spread:.3e} over "
                         f"{self.steps} steps (amplification {self.amplification:.3g}, "
                         f"{self.operations} operations per step)")
        if self.reason:
            parts.append(self.reason)
        return "; ".join(parts)

    def as_dict(self) -> dict:
        return {"what": self.what, "labels": list(self.labels), "verdict": self.verdict,
                "difference": self.difference, "rtol": self.rtol, "tolerance": self.tolerance,
                "amplification": self.amplification, "rounding_spread": self.rounding_spread,
                "operations": self.operations, "steps": self.steps, "reason": self.reason,
                "tolerances": dict(self.tolerances),
                "sides": [{"label": s.label, "error": s.error, "accurate": s.accurate} for s in self.sides]}


def operations_per_step(alg: Algorithm) -> int:
    """Arithmetic operations in one step of ``alg`` (SymPy's ``count_ops`` of its equations)."""
    return max(1, int(sum(sp.count_ops(a.expr) for a in alg.updates)))


def _aligned(side: np.ndarray, full: np.ndarray) -> np.ndarray:
    """Rows of ``full`` that ``side`` covers: a side of ``T`` rows is steps ``1..T``."""
    return full[full.shape[0] - side.shape[0]:] if side.shape[0] < full.shape[0] else full


def _distances(traj: Mapping[str, np.ndarray], hp) -> dict:
    """Scaled distance of each named trajectory to the high-precision run ``hp``."""
    out = {}
    for name, a in traj.items():
        full = hp.xs if name == "x" else hp.states[name]
        a = np.asarray(a, dtype=np.float64)
        a = a.reshape(a.shape[0], -1)
        out[name] = scaled_difference(a, _aligned(a, full))
    return out


def compare_trajectories(alg: Algorithm, grads, x0, runs: Mapping[str, Mapping[str, np.ndarray]], *,
                         rtol: float, lrs=None, t_of=None, precision: str = "float64",
                         what: str = "", step=None, shape=None) -> Comparison:
    r"""Compare two runs of ``alg`` on the stream ``grads`` (``(T, d)``), following its conditioning.

    ``runs`` maps two labels (``"kernel"``, ``"reference"``, ``"torch"``, ...) to trajectories
    by name: ``"x"`` for the iterates and state names for states, each ``(T + 1, d)`` (or
    ``(T, d)`` for steps ``1..T``).  ``precision`` sets the unit roundoff of the perturbation
    model.  ``shape`` is the tensor's shape for rules that reduce per row (``None``: a vector).
    See the module docstring for the decision; the first side is the one under test.

    Examples
    --------
    >>> import numpy as np
    >>> from optmath import get_spec, run
    >>> from optmath.verify.reference import reference_run
    >>> alg = get_spec("adam").resolve("pytorch")
    >>> G = np.random.default_rng(0).normal(size=(50, 2))
    >>> k, r = run(alg, G).xs, reference_run(alg, G, 0.0).xs
    >>> compare_trajectories(alg, G, 0.0, {"kernel": {"x": k}, "reference": {"x": r}}, rtol=1e-12).verdict
    'agree'
    """
    labels = tuple(runs)
    if len(labels) != 2:
        raise ValueError(f"compare_trajectories takes two runs, got {len(labels)}")
    a, b = (runs[label] for label in labels)
    names = [n for n in a if n in b]
    checked = {}
    for n in names:
        checked[n] = scaled_difference(a[n], b[n])
    diff = max(checked.values(), default=0.0)
    G = np.asarray(grads, dtype=np.float64)
    base = dict(what=what, labels=labels, difference=diff, rtol=rtol, tolerance=rtol, checked=checked)
    if diff <= rtol:
        return Comparison(verdict=AGREE, **base)
    rows = max(np.asarray(a[n]).shape[0] for n in names)
    T = min(G.shape[0], rows - 1)  # the iterates have T + 1 rows
    G = G.reshape(G.shape[0], -1)[:T]
    if lrs is not None:
        lrs = np.asarray(lrs, dtype=np.float64)[:T]
    step = step or reference_step(alg)
    kw = dict(lrs=lrs, t_of=t_of, step=step, shape=shape)
    hp = high_precision_run(alg, G, x0, dps=CONDITIONING_DPS, **kw)
    if hp.nonfinite_step:
        return Comparison(verdict=INCONCLUSIVE, steps=T, reason=f"the {CONDITIONING_DPS}-digit evaluation is "
                          f"not finite at step {hp.nonfinite_step}", **base)
    hp2 = high_precision_run(alg, G, x0, dps=2 * CONDITIONING_DPS, **kw)
    unresolved = max(scaled_difference(hp.xs, hp2.xs),
                     max((scaled_difference(hp.states[n], hp2.states[n]) for n in hp.states), default=0.0))
    if not unresolved <= RESOLVED * rtol:
        return Comparison(verdict=INCONCLUSIVE, steps=T, reason=(
            f"the stream is not resolved at {CONDITIONING_DPS} digits (it differs from a "
            f"{2 * CONDITIONING_DPS}-digit evaluation by {unresolved:.3e})"), **base)
    u = UNIT_ROUNDOFF[precision]
    spread = dict.fromkeys(names, 0.0)
    for seed in range(CONDITIONING_PROBES):
        pert = high_precision_run(alg, G, x0, dps=CONDITIONING_DPS, perturb=u, seed=seed, **kw)
        if pert.nonfinite_step:
            spread = dict.fromkeys(names, np.inf)
            break
        d = _distances({n: (pert.xs if n == "x" else pert.states[n]) for n in names}, hp)
        spread = {n: max(spread[n], d[n]) for n in names}
    n_ops = operations_per_step(alg)
    tols = {n: max(rtol, n_ops * spread[n]) for n in names}
    sides = []
    for label in labels:
        err = _distances({n: runs[label][n] for n in names}, hp)
        worst = max(names, key=lambda n: err[n] / tols[n])
        sides.append(Side(label, err[worst], all(err[n] <= tols[n] for n in names)))
    verdict, reason = DIFFER, ""
    if all(s.accurate for s in sides):
        verdict = ILL_CONDITIONED if any(t > rtol for t in tols.values()) else AGREE
    worst_spread = max(spread.values())
    limit = ILL_CONDITIONED_LIMIT[precision]
    if max(tols.values()) > max(limit, rtol):
        verdict, reason = INCONCLUSIVE, (f"rounding alone moves the trajectory by more than {limit:g} on this "
                                         f"stream: no {precision} evaluation can be judged on it")
    return Comparison(verdict=verdict, reason=reason, amplification=worst_spread / (max(T, 1) * u),
                      rounding_spread=worst_spread, operations=n_ops, steps=T, sides=tuple(sides),
                      tolerances=tols, **{**base, "tolerance": max(tols.values())})


def assert_accurate(comparison: Comparison, label: str | None = None) -> None:
    """Raise ``AssertionError`` unless side ``label`` (default: both sides) is accurate."""
    labels = comparison.labels if label is None else (label,)
    if not all(comparison.accurate(lb) for lb in labels) or comparison.verdict == INCONCLUSIVE:
        raise AssertionError(comparison.text())


__all__ = ["Comparison", "Side", "compare_trajectories", "assert_accurate", "operations_per_step",
           "AGREE", "ILL_CONDITIONED", "DIFFER", "INCONCLUSIVE"]
