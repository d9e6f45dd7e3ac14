r"""Low-precision arithmetic for the generated kernels: float32, and float16 and bfloat16 emulated.

A kernel generated for a precision other than float64 rounds the result of every arithmetic
operation on coordinates (each ``+ - * / **``, ``sqrt``, ``exp``, ``log`` of the per-coordinate
and per-tensor equations, and the problem's gradient) to that precision, with :func:`rounder`'s
function ``R``; the start, the initial states and an explicit gradient stream are rounded once
before the kernel runs (:func:`round_array`).  The scalars of a configuration and of a step
(hyperparameters, ``1 - b``, bias corrections, schedules, learning rates) stay float64, as the
Python floats of ``torch.optim``'s step do: ``eps = 1e-8`` is added to a float16 value and the
sum rounded, so ``0 + eps`` is 0 and Adam divides 0 by 0 on a zero gradient, as ``torch.optim.Adam``
does on a float16 parameter (``tests/test_precision.py``), while ``b2 = 0.999`` is not rounded
to 1 in bfloat16.  States and iterates are stored in float64 arrays that only ever hold values
of the format.  Regrets and losses are measurements and stay float64.  Results agree with a
framework's low-precision run to the format's rounding, not bit for bit: a framework may fuse
operations (``addcmul``) or compute a half-precision kernel in float32 before rounding once.

- ``float32``: Numba's float32 conversion (round to nearest even, subnormals and overflow as
  IEEE 754).  Each operation is computed in float64 and rounded once: for ``+ - * /`` and
  ``sqrt`` this is the correctly rounded float32 result, because float64 carries at least
  ``2 p + 2`` bits for ``p = 24`` (double rounding is innocuous; Figueroa, "When is double
  rounding innocuous?", SIGNUM 1995).  ``pow``, ``exp`` and ``log`` are float64 libm results
  rounded once, which is at least as accurate as a float32 libm.
- ``float16`` (IEEE binary16: 11-bit significand, smallest normal ``2^-14``, largest finite 65504)
  and ``bfloat16`` (8-bit significand, float32's exponent range): Numba has neither type on the
  CPU, so :func:`round_float16` and :func:`round_bfloat16` round a float64 to the nearest value of
  the format (ties to even, gradual underflow, overflow to infinity) with the same
  double-rounding argument (``53 >= 2 * 11 + 2``).  They are tested against NumPy's float16 and
  torch's bfloat16 conversions.

Values that leave a format's range are reported before a run (:func:`input_warnings`: a
hyperparameter that rounds to zero, becomes subnormal or overflows: ``eps = 1e-8`` is 0 in
float16, so Adam divides 0 by 0 on a zero gradient) and after it (a state that underflowed).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..errors import UnknownNameError

PRECISIONS = ("float64", "float32", "float16", "bfloat16")
#: significand bits, smallest subnormal exponent (the quantum of the subnormals), largest finite
FORMATS = {"float32": (24, -149, float(np.finfo(np.float32).max)),
           "float16": (11, -24, 65504.0),
           "bfloat16": (8, -133, float.fromhex("0x1.fep127"))}
#: smallest positive normal value of each format
TINY = {"float64": float(np.finfo(np.float64).tiny), "float32": 2.0 ** -126, "float16": 2.0 ** -14,
        "bfloat16": 2.0 ** -126}


@njit(inline="always", error_model="numpy")
def _round_bits(v, p, qmin, vmax):
    """``v`` rounded to ``p`` significand bits, quantum at least ``2^qmin``, ties to even;
    beyond ``vmax`` infinity.  NaN, infinities and zeros pass unchanged."""
    if v != v or v == 0.0 or v - v != 0.0:
        return v
    m, e = math.frexp(v)
    q = e - p
    if q < qmin:
        q = qmin
    y = math.ldexp(v, -q)  # exact: a power-of-two scaling within float64's range
    f = math.floor(y)
    d = y - f
    if d > 0.5 or (d == 0.5 and math.floor(0.5 * f) != 0.5 * f):  # ties to the even neighbour
        f += 1.0
    out = math.ldexp(f, q)
    if abs(out) > vmax:
        return math.copysign(math.inf, v)
    return out


@njit(inline="always", error_model="numpy")
def round_float32(v):
    return float(np.float32(v))


@njit(inline="always", error_model="numpy")
def round_float16(v):
    return _round_bits(v, 11, -24, 65504.0)


@njit(inline="always", error_model="numpy")
def round_bfloat16(v):
    return _round_bits(v, 8, -133, 3.3895313892515355e38)


_ROUNDERS = {"float32": round_float32, "float16": round_float16, "bfloat16": round_bfloat16}


def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise UnknownNameError("precision", precision, list(PRECISIONS))
    return precision


def rounder(precision: str):
    """The compiled rounding function of ``precision`` (``None`` for float64)."""
    check_precision(precision)
    return _ROUNDERS.get(precision)


@njit(error_model="numpy")
def _round_loop(fn, a, out):
    for i in range(a.size):
        out[i] = fn(a[i])
    return out


def round_array(a, precision: str) -> np.ndarray:
    """``a`` (any shape) rounded element by element to ``precision``, as float64."""
    a = np.ascontiguousarray(a, dtype=np.float64)
    fn = rounder(precision)
    if fn is None:
        return a
    return _round_loop(fn, a.ravel(), np.empty(a.size)).reshape(a.shape)


def round_value(v: float, precision: str) -> float:
    return float(round_array(np.array([float(v)]), precision)[0])


def input_warnings(named: dict, precision: str) -> list[str]:
    """One line per value that the format cannot hold: a nonzero value that rounds to zero,
    becomes subnormal or overflows (``named``: name -> value)."""
    if check_precision(precision) == "float64":
        return []
    out = []
    for name, v in named.items():
        v = float(v)
        r = round_value(v, precision)
        if v != 0.0 and r == 0.0:
            out.append(f"{name} = {v!r} rounds to 0 in {precision}")
        elif math.isfinite(v) and not math.isfinite(r):
            out.append(f"{name} = {v!r} overflows to {r} in {precision}")
        elif r != 0.0 and abs(r) < TINY[precision]:
            out.append(f"{name} = {v!r} is subnormal in {precision} (rounds to {r!r})")

    return out


def state_warning(step: int, precision: str) -> str | None:
    if step <= 0:
        return None
    return (f"a state underflowed in {precision} at step {step} (a nonzero value became zero or subnormal; "
            f"smallest normal {TINY[precision]:.3g})")


__all__ = ["PRECISIONS", "FORMATS", "TINY", "round_float32", "round_float16", "round_bfloat16", "rounder",
           "round_array", "round_value", "input_warnings", "state_warning", "check_precision"]
