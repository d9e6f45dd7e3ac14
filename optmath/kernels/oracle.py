r"""The problem families' gradient and loss for one configuration lane, as the sweep kernels use them.

:func:`gradient1` gives, for one lane, the gradient at the gradient point ``xe``, the loss
difference ``f_t(x) - f_t(x*)`` added to the regret, and the next value of the periodic
family's counter; :func:`gradients` runs it over a block of lanes.  The family is a compile-time
constant of a generated sweep kernel, so the branches fold away and each family's loop is
straight-line code (selects, no branches between loads, so it vectorises).  The values are
those of :func:`optmath.problems.grad` and :func:`optmath.problems.loss` for one coordinate
(``tests/test_sweep_backends.py`` checks the sweeps against single runs).
"""
from __future__ import annotations

from numba import njit, uint64

from .. import problems as P


@njit(inline="always", error_model="numpy")
def gradient1(prob, p0, p1, p2, p3, xe, x, xs, t, u, ctr):
    """``(g, f_t(x) - f_t(x*), next counter)`` of one lane (``t`` the step, ``u`` its draw)."""
    if prob == P.PERIODIC:  # a counter per lane instead of an integer modulo
        big = p0
        small = -p3
        g = big if ctr == 0.0 else small
        nxt = ctr + 1.0
        return g, P.lin_loss1(g, x) - P.lin_loss1(g, xs), 0.0 if nxt == p1 else nxt
    if prob == P.QUADRATIC:
        return (P.quad_grad1(p0, p1, xe),
                (0.0 + P.quad_loss1(p0, p1, x)) - (0.0 + P.quad_loss1(p0, p1, xs)), ctr)
    if prob == P.FINITE_SUM:
        first = u == 0.0
        return (P._fs_grad(p0, first, xe),
                (0.0 + P._fs_loss(p0, first, x)) - (0.0 + P._fs_loss(p0, first, xs)), ctr)
    if prob == P.STOCHASTIC:  # the values coef1 picks, without its branches on the family
        big = p0
        small = -p2
        g = big if u < p1 else small
        return g, P.lin_loss1(g, x) - P.lin_loss1(g, xs), ctr
    g = P.coef1(prob, p0, p1, p2, p3, t, u)
    return g, P.lin_loss1(g, x) - P.lin_loss1(g, xs), ctr


@njit(inline="always", error_model="numpy")
def gradients(prob, PP, XS, W, X, XE, t, u, CTR, G, REG, BAD):
    """:func:`gradient1` over a block of ``W`` lanes: gradients into ``G``, loss differences
    added to ``REG`` for the lanes still running (``BAD == 0``)."""
    for jj in range(W):
        j = uint64(jj)
        g, ld, c = gradient1(prob, PP[0, j], PP[1, j], PP[2, j], PP[3, j], XE[j], X[j], XS[j], t, u, CTR[j])
        G[j] = g
        CTR[j] = c
        REG[j] = REG[j] + ld if BAD[j] == 0.0 else REG[j]


#: the same computation as statements, for the generated kernels (no function-call inlining,
#: which costs Numba compile time): reads p0..p3, xe, x_0, xs, t, u, ctr; writes g_0, ld, ctr
STATEMENTS = {
    P.PERIODIC: ["g_0 = p0 if ctr == 0.0 else -p3", "nxt = ctr + 1.0", "ctr = 0.0 if nxt == p1 else nxt",
                 "ld = P.lin_loss1(g_0, x_0) - P.lin_loss1(g_0, xs)"],
    P.QUADRATIC: ["g_0 = P.quad_grad1(p0, p1, xe)",
                  "ld = (0.0 + P.quad_loss1(p0, p1, x_0)) - (0.0 + P.quad_loss1(p0, p1, xs))"],
    P.FINITE_SUM: ["g_0 = P._fs_grad(p0, u == 0.0, xe)",
                   "ld = (0.0 + P._fs_loss(p0, u == 0.0, x_0)) - (0.0 + P._fs_loss(p0, u == 0.0, xs))"],
    P.STOCHASTIC: ["g_0 = p0 if u < p1 else -p2", "ld = P.lin_loss1(g_0, x_0) - P.lin_loss1(g_0, xs)"],
}
OTHER = ["g_0 = P.coef1(PROBLEM, p0, p1, p2, p3, t, u)", "ld = P.lin_loss1(g_0, x_0) - P.lin_loss1(g_0, xs)"]


def statements(prob: int) -> list[str]:
    """:data:`STATEMENTS` of family ``prob`` (the linear families without their own use
    :func:`optmath.problems.coef1`)."""
    return STATEMENTS.get(int(prob), OTHER)


__all__ = ["gradient1", "gradients", "statements", "STATEMENTS"]
