"""The registry: one list of optimizer specs, the single source of truth.

Every module of this package except :mod:`.fragments` is a spec file: it defines ``SPECS``, a
tuple of :class:`~optmath.spec.Spec`, and is found here without being listed, so adding an
optimizer is adding one file.  The registry's order (the order of ``optmath list``, of the
reports and of the registry-driven tests) is the historical one below, then every other spec
file in alphabetical order.
"""
from __future__ import annotations

import importlib
import pkgutil

from ..errors import UnknownNameError
from ..spec import Spec

_FIRST = ("sgd", "adagrad", "rmsprop", "adadelta", "adam", "adamax", "nadam", "radam", "adamp", "lion")
_NOT_SPEC_FILES = {"fragments"}


def _spec_modules() -> list[str]:
    found = sorted(m.name for m in pkgutil.iter_modules(__path__)
                   if m.name not in _NOT_SPEC_FILES and not m.name.startswith("_"))
    return [n for n in _FIRST if n in found] + [n for n in found if n not in _FIRST]


REGISTRY: dict[str, Spec] = {}
for _name in _spec_modules():
    _mod = importlib.import_module(f"{__name__}.{_name}")
    _specs = getattr(_mod, "SPECS", None)
    if not isinstance(_specs, tuple) or not all(isinstance(s, Spec) for s in _specs):
        raise TypeError(f"optmath/optimizers/{_name}.py must define SPECS, a tuple of Spec")
    for _spec in _specs:
        if _spec.name in REGISTRY:
            raise ValueError(f"optimizer name {_spec.name!r} is defined twice (optmath/optimizers/{_name}.py)")
        REGISTRY[_spec.name] = _spec


def get_spec(name: str) -> Spec:
    """The spec registered as ``name``; a one-line :class:`UnknownNameError` otherwise."""
    if not isinstance(name, str) or name not in REGISTRY:
        raise UnknownNameError("optimizer", name, REGISTRY)
    return REGISTRY[name]


def names() -> list[str]:
    return list(REGISTRY)


__all__ = ["REGISTRY", "get_spec", "names"]
