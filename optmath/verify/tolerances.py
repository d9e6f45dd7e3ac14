r"""Named tolerances and the three assertion helpers (exact, upper bound, lower bound).

Relative differences of trajectories are measured against the *trajectory's scale*: at step k
the error of coordinate i is divided by ``max_{j <= k} |ref_j[i]|`` (at least ``TINY``).  An
iterate is a running sum of steps, so its rounding error is relative to the size of the partial
sums, not to the value at a zero crossing.
"""
from __future__ import annotations

import numpy as np

KERNEL_VS_SPEC = 1e-12  # kernel against the generated reference step, float64
FRAMEWORK_PARITY = 1e-12  # kernel against torch.optim / optax, float64
FRAGMENT_IDENTITY = 1e-12  # a convention fragment against the same arithmetic written out by hand (operation order)
FAMILY_DERIVATIVE = 1e-6  # a family's gradient against the central difference (step 1e-6) of its loss
GOLDEN_DIGITS = 7  # printed digits of the golden values in REFERENCES.md
TINY = 1e-300
CLOSED_FORM_VS_KERNEL = 1e-12  # a derived closed form evaluated in float64 against the kernel
STEADY_STATE = 1e-8  # a derived limit against a finite kernel run (limited by b^T, not rounding)
MONTE_CARLO_SIGMAS = 5.0  # a Monte Carlo estimate must lie within this many standard errors

#: the conditioning-aware comparison (optmath.verify.conditioning): digits of the high-precision
#: evaluation, perturbed runs that measure the spread rounding produces, and how closely the
#: evaluation must agree with one at twice the digits (a fraction of the tolerance) to count
CONDITIONING_DPS = 60
CONDITIONING_PROBES = 3
RESOLVED = 1e-3
UNIT_ROUNDOFF = {"float64": 2.0**-53, "float32": 2.0**-24, "float16": 2.0**-11, "bfloat16": 2.0**-8}
#: where rounding alone moves a trajectory by more than this (scaled), no evaluation in that
#: precision can be judged on the stream: the comparison is inconclusive, never "agree"
ILL_CONDITIONED_LIMIT = {"float64": 1e-6, "float32": 1e-3, "float16": 1e-1, "bfloat16": 5e-1}


def scaled_difference(a, b) -> float:
    """Largest ``|a - b|`` over the running maximum of ``|b|`` along axis 0 (see module doc)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise AssertionError(f"shapes differ: {a.shape} vs {b.shape}")
    scale = np.maximum.accumulate(np.abs(b), axis=0) if b.ndim else np.abs(b)
    return float(np.max(np.abs(a - b) / np.maximum(scale, TINY), initial=0.0))


def assert_exact(a, b, rtol: float, what: str = "") -> None:
    """``a`` equals ``b`` up to ``rtol`` in the scaled sense."""
    err = scaled_difference(a, b)
    if not err <= rtol:
        raise AssertionError(f"{what}: scaled difference {err:.3e} > {rtol:.1e}")


def assert_upper_bound(value, bound, rtol: float = 0.0, what: str = "") -> None:
    """``value <= bound (1 + rtol)`` everywhere."""
    value, bound = np.asarray(value, float), np.asarray(bound, float)
    if not np.all(value <= bound + rtol * np.abs(bound)):
        raise AssertionError(f"{what}: {np.max(value - bound):.3e} above the bound")


def assert_lower_bound(value, bound, rtol: float = 0.0, what: str = "") -> None:
    """``value >= bound (1 - rtol)`` everywhere."""
    value, bound = np.asarray(value, float), np.asarray(bound, float)
    if not np.all(value >= bound - rtol * np.abs(bound)):
        raise AssertionError(f"{what}: {np.max(bound - value):.3e} below the bound")

#: user code against the spec (optmath check): (rtol, unit roundoff u).  At step k an iterate may
#: differ from the expected one by rtol * (|x_0| + sum_j<=k |x_j - x_{j-1}|)  (operations reordered:
#: lerp vs blend, eps-hat algebra) plus k * u * max_j<=k |x_j| (the rounding of x itself at every
#: step); the d2l style keeps float32 tensors.
#: float16 and bfloat16 (about 170 unit roundoffs, as for float32) can see only gross bugs.
CONFORMANCE = {"float64": (1e-9, 2.0**-53), "float32": (2e-5, 2.0**-24), "float16": (8e-2, 2.0**-11),
               "bfloat16": (6e-1, 2.0**-8)}

#: equivalence verdicts (optmath.verify.equivalence): a kernel scaled difference at most
#: EQUIV_AGREE agrees and one of at least EQUIV_DIFFER differs; in between, or against the
#: claim, both sides are replayed at 60 digits, whose float64 copies agree up to EQUIV_HP_AGREE
#: (a few roundings of the final conversion) and differ from EQUIV_HP_DIFFER
EQUIV_AGREE = 1e-10
EQUIV_DIFFER = 1e-8
EQUIV_HP_AGREE = 1e-15
EQUIV_HP_DIFFER = 1e-13
