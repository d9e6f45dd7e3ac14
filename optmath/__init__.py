"""optmath: the mathematics of gradient optimizers, derived with SymPy and checked with Numba.

Importing this package is cheap: NumPy, SymPy and Numba load only when a name that needs
them is first used.
"""
from __future__ import annotations

from importlib import import_module

from ._version import __version__
from .errors import (DomainError, NonFiniteError, OptmathError, OptmathTypeError, OptmathValueError,
                     ShapeError, UnknownNameError)

_LAZY = {
    "get_spec": "optmath.optimizers", "REGISTRY": "optmath.optimizers", "names": "optmath.optimizers",
    "Spec": "optmath.spec", "Algorithm": "optmath.spec",
    "run": "optmath.kernels.runner", "sweep": "optmath.kernels.runner",
    "Trajectory": "optmath.kernels.runner", "SweepResult": "optmath.kernels.runner",
    "Grid": "optmath.grid", "sweep_grid": "optmath.grid",
    "make_problem": "optmath.problems", "parse_problem": "optmath.problems",
    "reference_run": "optmath.verify.reference", "replay": "optmath.verify.replay",
    "demo": "optmath.demo",
    "derive": "optmath.symbolic.derive", "analyse": "optmath.symbolic.ema",
    "decide": "optmath.symbolic.claims", "run_proofs": "optmath.proof",
}

__all__ = ["__version__", "OptmathError", "OptmathValueError", "OptmathTypeError", "UnknownNameError",
           "DomainError", "ShapeError", "NonFiniteError", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'optmath' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
