r"""The problem families' gradient and loss for one configuration lane, as the sweep kernels use them.

For one lane, :data:`STATEMENTS` compute the gradient at the gradient point ``xe`` (``g_0``),
the loss difference ``f_t(x) - f_t(x*)`` added to the regret (``ld``) and the next value of the
periodic family's counter (``ctr``).  The generated sweep kernels paste them, one loop per family
chosen outside the lane loops, so each family's loop is straight-line code (selects, no
branches between loads, so it vectorises).  The values are those of
:func:`optmath.problems.grad` and :func:`optmath.problems.loss` for one coordinate
(``tests/test_sweep_backends.py`` checks the sweeps against single runs).
"""
from __future__ import annotations

from .. import problems as P


#: per family, as statements pasted into the generated kernels (no function-call inlining,
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


__all__ = ["statements", "STATEMENTS", "OTHER"]
