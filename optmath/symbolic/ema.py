r"""Unrolling a linear state recurrence taken from a spec.

For a state update ``s <- a s + c g`` found in a spec's equations (Adam's ``m``, heavy ball's
buffer, ...), :func:`unroll` substitutes the recurrence into itself ``steps`` times with
symbolic gradients ``g_1 .. g_T`` and returns the explicit expansion; :func:`weights` reads off
the weight of each ``g_i``.  The closed forms ``(1 - b) b^(T-i)`` and ``1 - b^T`` are then
*checked* against this expansion (substitute and simplify to zero), not assumed.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..errors import DomainError
from ..spec import Algorithm, g, sym, t


@dataclass(frozen=True)
class Unrolled:
    state: str
    steps: int
    expansion: sp.Expr  # s_T in terms of g_1..g_T and s_0
    gradients: tuple[sp.Symbol, ...]
    initial: sp.Symbol


def _update_of(alg: Algorithm, state: str) -> sp.Expr:
    for a in alg.updates:
        if a.target == state:
            return a.expr
    raise DomainError(f"{alg.spec.name} has no update of state {state!r}")


def unroll(alg: Algorithm, state: str, steps: int) -> Unrolled:
    """Explicit ``s_T`` after ``steps`` updates, with gradients ``g_1..g_T`` and start ``s_0``."""
    if not isinstance(steps, int) or steps < 1:
        raise DomainError(f"steps = {steps!r} must be a positive integer")
    expr = _update_of(alg, state)
    s = sym(state)
    if sp.Poly(sp.expand(expr), s, g).total_degree() > 1 or expr.has(sp.Piecewise):
        raise DomainError(f"the update of {state!r} is not a linear recurrence in ({state}, g)")
    s0 = sp.Symbol(f"{state}_0", real=True)
    gs = tuple(sp.Symbol(f"g_{i}", real=True) for i in range(1, steps + 1))
    cur = s0
    for k in range(steps):
        cur = sp.expand(expr.subs({s: cur, g: gs[k], t: k + 1}, simultaneous=True))
    return Unrolled(state, steps, cur, gs, s0)


def weights(u: Unrolled) -> list[sp.Expr]:
    """The weight of each ``g_i`` in the expansion (``i = 1..T``)."""
    return [sp.factor(u.expansion.coeff(gi)) for gi in u.gradients]
