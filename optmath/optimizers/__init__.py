"""The registry: one list of optimizer specs, the single source of truth."""
from __future__ import annotations

from ..errors import UnknownNameError
from ..spec import Spec
from . import adadelta, adagrad, adam, adamax, adamp, lion, nadam, radam, rmsprop, sgd

REGISTRY: dict[str, Spec] = {}
for _mod in (sgd, adagrad, rmsprop, adadelta, adam, adamax, nadam, radam, adamp, lion):
    for _spec in _mod.SPECS:
        assert _spec.name not in REGISTRY, _spec.name
        REGISTRY[_spec.name] = _spec


def get_spec(name: str) -> Spec:
    """The spec registered as ``name``; a one-line :class:`UnknownNameError` otherwise."""
    if not isinstance(name, str) or name not in REGISTRY:
        raise UnknownNameError("optimizer", name, REGISTRY)
    return REGISTRY[name]


def names() -> list[str]:
    return list(REGISTRY)


__all__ = ["REGISTRY", "get_spec", "names"]
