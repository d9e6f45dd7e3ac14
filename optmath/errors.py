"""One error hierarchy for the whole project.

Every error raised on bad input is an :class:`OptmathError`; the ones about bad values are
also :class:`ValueError`, the ones about bad types also :class:`TypeError`, so callers can
catch either the project error or the builtin they expect.
"""
from __future__ import annotations


class OptmathError(Exception):
    """Base class of every error optmath raises on purpose."""


class OptmathValueError(OptmathError, ValueError):
    """A value is outside what optmath accepts."""


class OptmathTypeError(OptmathError, TypeError):
    """An argument has the wrong type."""


class UnknownNameError(OptmathValueError):
    """An optimizer, profile, switch, problem or schedule name that does not exist."""

    def __init__(self, kind: str, name: object, known) -> None:
        self.kind, self.name, self.known = kind, name, sorted(known)
        super().__init__(f"unknown {kind} {name!r}; known: {', '.join(self.known)}")


class DomainError(OptmathValueError):
    """A hyperparameter outside its valid domain."""


class ShapeError(OptmathValueError):
    """Arrays whose shapes do not fit together."""


class NonFiniteError(OptmathValueError):
    """A NaN or infinity appeared in an input or during a run.

    ``step`` is the 1-based step index at which it first appeared (0 for an input).
    """

    def __init__(self, message: str, step: int = 0) -> None:
        self.step = step
        super().__init__(message)


class LimitError(OptmathValueError):
    """A size (steps, configurations, examples, memory) beyond a documented limit, refused
    before any work starts (see :mod:`optmath.limits`)."""


class PrecisionWarning(UserWarning):
    """A value that a low-precision run's format cannot hold: a hyperparameter that rounds to
    zero, becomes subnormal or overflows, or a state that underflowed during the run
    (:mod:`optmath.kernels.precision`)."""
