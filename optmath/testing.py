r"""Helpers for people's own test suites.

>>> from optmath.testing import assert_conforms          # doctest: +SKIP
>>> assert_conforms("my_optim.py:MyAdam", "adam")         # doctest: +SKIP

:func:`assert_conforms` runs :func:`optmath.verify.conformance.check` and raises
``AssertionError`` with the full report (first differing step, minimal stream, diagnosis) when
the code does not implement the optimizer under any legitimate convention (or under
``profile``, when given).
"""
from __future__ import annotations


def assert_conforms(target, optimizer: str, profile: str | None = None, *, style: str | None = None,
                    step=None, init=None, examples: int = 100, timeout: float = 60.0, seed: int = 0):
    """Assert that ``target`` implements ``optimizer``; returns the report when it does.

    ``target`` is ``'path/to/file.py:Name'`` or the class/factory object itself (defined at the
    top level of a module); for the d2l style pass ``step`` and ``init`` (names or functions)
    and the file as ``target`` (or ``None`` when ``step`` is a function object).
    """
    from .verify.conformance import check

    report = check(target, optimizer, profile=profile, style=style, step=step, init=init,
                   examples=examples, timeout=timeout, seed=seed)
    if not report.conforms:
        raise AssertionError("\n" + str(report))
    return report


__all__ = ["assert_conforms"]
