r"""The run-time inputs of a resolved algorithm's generated kernels.

A :class:`KernelPlan` holds what a kernel call needs beside the kernel itself: the input vector
``hv`` (``d`` first, then the hyperparameters the equations read, in the order of
:func:`optmath.kernels.lanes.input_names`; ``lr`` is separate, an input per step), the
initial value of every state, and the key of the program (the switch-resolved equations), which
says which configurations one kernel can run together.  Hyperparameters that a switch turns
off are not inputs: the program does not read them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..spec import Algorithm
from .lanes import input_names


@dataclass(frozen=True)
class KernelPlan:
    alg: Algorithm
    inputs: tuple  # names; "d" first
    hv: np.ndarray  # float64[len(inputs)]: d = 1 (a one-dimensional configuration)
    states: tuple  # spec state names, the rows of the state arrays
    init: np.ndarray  # float64[len(states)]
    lr: float
    program: tuple  # (spec name, switches): configurations with equal keys share kernels

    def column(self, name: str) -> int | None:
        """The position of ``name`` in :attr:`hv`, or None when the program does not read it."""
        return self.inputs.index(name) if name in self.inputs else None


def plan(alg: Algorithm) -> KernelPlan:
    """The kernel inputs of ``alg``."""
    inputs = tuple(input_names(alg))
    hv = np.array([1.0] + [float(alg.values[n]) for n in inputs[1:]])
    init = np.array([alg.initial_value(s) for s in alg.states], dtype=np.float64)
    return KernelPlan(alg, inputs, hv, tuple(s.name for s in alg.states), init, float(alg.values["lr"]),
                      (alg.spec.name, tuple(sorted(alg.switches.items()))))


__all__ = ["KernelPlan", "plan"]
