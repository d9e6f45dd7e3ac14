r"""The quadratic model :math:`f(x) = h x^2/2`: iteration matrices, eigenvalues, stability,
regimes, optimal tuning and rate maps, derived from the specs.

:func:`iteration_matrix` substitutes :math:`g = h\,x` (at the spec's look-ahead point when it
has one) into the spec's equations, runs one step symbolically and takes the Jacobian of the
map :math:`(x, \text{state}) \mapsto (x', \text{state}')`; for a linear method this *is* the
iteration matrix.  Everything else (determinant, trace, eigenvalues, the Schur stability
conditions, the discriminant that separates real from complex roots, optimal step and
momentum for a condition number) is computed from that matrix.  A diagonal quadratic in
several dimensions decouples into one such matrix per curvature; its rate is the largest.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..errors import DomainError
from ..spec import Algorithm, g, sym, t, x
from .assume import symbol
from .checks import simplifies_to_zero
from .ema import assumption_map

H = sp.Symbol("h", positive=True)
Q = sp.Symbol("q", positive=True)  # q = lr * h, the step in units of the curvature


def _steady_branch(expr):
    """Drop ``Piecewise`` first-step cases (``Eq(t, 1)``): the matrix is that of ``t >= 2``."""
    def pick(*args):
        for val, cond in args:
            if cond == sp.true or not (isinstance(cond, sp.Eq) and cond.has(t)):
                return val
        return args[-1][0]
    return expr.replace(lambda e: isinstance(e, sp.Piecewise), lambda e: pick(*e.args))


@dataclass
class IterationMatrix:
    optimizer: str
    profile: str
    variables: tuple[str, ...]
    matrix: sp.Matrix

    @property
    def trace(self):
        return sp.simplify(self.matrix.trace())

    @property
    def det(self):
        return sp.factor(self.matrix.det())

    def charpoly(self, lam=sp.Symbol("lambda")):
        return sp.expand(self.matrix.charpoly(lam).as_expr())

    def eigenvalues(self):
        return [sp.simplify(e) for e in self.matrix.eigenvals()]

    def stability_conditions(self) -> list:
        r"""Schur conditions for all eigenvalues inside the unit disc (size 1 or 2):
        size 2, :math:`\lambda^2 - T\lambda + D`: :math:`|D| < 1`, :math:`1 - T + D > 0`,
        :math:`1 + T + D > 0`."""
        if self.matrix.shape == (1, 1):
            m = self.matrix[0, 0]
            return [sp.simplify(1 - m) > 0, sp.simplify(1 + m) > 0]
        if self.matrix.shape == (2, 2):
            T, D = self.trace, self.det
            return [sp.simplify(1 - D) > 0, sp.simplify(1 + D) > 0,
                    sp.factor(1 - T + D) > 0, sp.factor(1 + T + D) > 0]
        raise DomainError("stability conditions are implemented for 1 or 2 variables")

    def discriminant(self):
        return sp.factor(self.trace**2 - 4 * self.det)

    def as_dict(self) -> dict:
        return {"optimizer": self.optimizer, "profile": self.profile,
                "variables": list(self.variables), "matrix": str(self.matrix.tolist()),
                "trace": str(self.trace), "det": str(self.det),
                "eigenvalues": [str(e) for e in self.eigenvalues()],
                "stability": [str(c) for c in self.stability_conditions()]}

    def numeric(self):
        """A NumPy function ``(lr, h, **hypers) -> matrix`` (vectorised over broadcasting)."""
        syms = sorted(self.matrix.free_symbols, key=str)
        f = sp.lambdify(syms, self.matrix, "numpy")
        return syms, f


def iteration_matrix(alg: Algorithm, **values) -> IterationMatrix:
    r"""The matrix of one step on :math:`f = h x^2/2`, from the spec's own equations.

    >>> from optmath import get_spec
    >>> M = iteration_matrix(get_spec("momentum").resolve("paper"))
    >>> M.det
    mu
    """
    point = alg.program.lookahead if alg.program.lookahead is not None else x
    amap = assumption_map(sum((a.expr for a in alg.updates), point), alg)
    fixed = {sym("wd"): 0, **{sym(k): sp.nsimplify(v) for k, v in values.items()}}
    states = [v.name for v in alg.states]
    if any(v.scalar for v in alg.states):
        raise DomainError(f"{alg.spec.name} has a scalar product state; not a linear method")
    env = {x: x, **{sym(s): sym(s) for s in states}}
    env[g] = H * point.subs(fixed).subs(amap).subs(env)
    for a in alg.updates:
        expr = _steady_branch(a.expr).subs(fixed).subs(amap)
        env[sym(a.target)] = sp.expand(expr.subs(env, simultaneous=True))
        if a.target == "g":
            env[g] = env[sym("g")]
    new = [env[x]] + [env[sym(s)] for s in states]
    old = [x] + [sym(s) for s in states]
    if any(e.has(t) for e in new):
        raise DomainError(f"{alg.spec.name} ({alg.profile}) changes with t on a quadratic; "
                          "no single iteration matrix")
    M = sp.Matrix([[sp.diff(e, v) for v in old] for e in new])
    for e in new:
        if any(sp.diff(e, v, 2) != 0 for v in old) or e.has(sp.sqrt, sp.Abs, sp.Max, sp.sign):
            raise DomainError(f"{alg.spec.name} is not linear in (x, state) on a quadratic")
    if not all(simplifies_to_zero(e) for e in sp.Matrix(new) - M * sp.Matrix(old)):
        raise DomainError(f"{alg.spec.name}: the step is affine, not linear, on a quadratic")
    return IterationMatrix(alg.spec.name, alg.profile, tuple(str(v) for v in old), sp.simplify(M))


def spectral_radius(M_num: np.ndarray) -> np.ndarray:
    """Largest eigenvalue modulus of a stack of matrices (last two axes)."""
    return np.max(np.abs(np.linalg.eigvals(M_num)), axis=-1)


def rate_map(im: IterationMatrix, lrs, mus, curvatures, **hypers) -> np.ndarray:
    """Worst spectral radius over ``curvatures`` on the grid ``lrs x mus`` (shape (len(lrs),
    len(mus))); values >= 1 are divergent.  ``curvatures`` holds the Hessian's eigenvalues."""
    lrs, mus, hs = (np.asarray(a, dtype=float) for a in (lrs, mus, curvatures))
    syms, f = im.numeric()
    L, Mu, Hh = np.meshgrid(lrs, mus, hs, indexing="ij")
    args = []
    for s in syms:
        name = str(s)
        if name == "lr":
            args.append(L)
        elif name == "mu":
            args.append(Mu)
        elif name == "h":
            args.append(Hh)
        elif name in hypers:
            args.append(np.full_like(L, hypers[name]))
        else:
            raise DomainError(f"no value for {name}")
    n = im.matrix.shape[0]
    mats = np.empty(L.shape + (n, n))
    for r in range(n):
        for c in range(n):
            entry = sp.lambdify(syms, im.matrix[r, c], "numpy")(*args)
            mats[..., r, c] = entry
    return spectral_radius(mats).max(axis=-1)


# --- optimal tuning for a condition number --------------------------------------------------
def gd_optimal(l=None, L=None) -> dict:
    r"""GD: minimise :math:`\max(|1-\eta l|, |1-\eta L|)`; the optimum equalises the two,
    :math:`1 - \eta l = \eta L - 1`."""
    l = l or symbol("l")
    L = L or symbol("L")
    eta = symbol("lr")
    lr_opt = sp.solve(sp.Eq(1 - eta * l, eta * L - 1), eta)[0]
    rate = sp.simplify(1 - lr_opt * l)
    k = symbol("kappa")
    return {"lr": lr_opt, "rate": rate, "rate_in_kappa": sp.simplify(rate.subs(L, k * l))}


def heavy_ball_optimal(l=None, L=None) -> dict:
    r"""Heavy ball: the complex regime :math:`(1-\sqrt\mu)^2 \le \eta h \le (1+\sqrt\mu)^2`
    (read off the factored discriminant) has rate :math:`\sqrt\mu` for every curvature in it;
    covering :math:`[l, L]` with the smallest :math:`\sqrt\mu` puts both ends on its boundary."""
    l = l or symbol("l")
    L = L or symbol("L")
    eta, r = symbol("lr"), sp.Symbol("r", positive=True)  # r = sqrt(mu)
    a, b = sp.Symbol("a", positive=True), sp.Symbol("b", positive=True)  # a^2 = l, b^2 = L
    sol = sp.solve([sp.Eq(eta * a**2, (1 - r) ** 2), sp.Eq(eta * b**2, (1 + r) ** 2)], [eta, r],
                   dict=True)
    # the admissible root has 0 < r < 1 when L > l (checked at l = 1, L = 4)
    sol = [s for s in sol if 0 < s[r].subs({a: 1, b: 2}) < 1][0]
    back = {a: sp.sqrt(l), b: sp.sqrt(L)}
    k = symbol("kappa")
    rate = sp.factor(sp.simplify(sol[r]))
    lr_opt = sp.factor(sp.simplify(sol[eta]))
    return {"lr": lr_opt.subs(back), "mu": (rate**2).subs(back), "rate": rate.subs(back),
            "rate_in_kappa": sp.simplify(rate.subs({a: 1, b: sp.sqrt(k)}))}


def kernel_rate(alg: Algorithm, h: float, steps: int = 600, window: int = 40) -> float:
    """Empirical contraction rate of the kernel on ``f = h x^2/2`` from ``x_0 = 1``: the growth
    of the running maximum of ``|x_t|`` between the middle and the end of the run (robust to
    the oscillation of complex eigenvalues).  The numeric twin of the spectral radius."""
    from ..kernels.runner import run
    from ..problems import make_problem

    tr = run(alg, problem=make_problem("quadratic", h=h), steps=steps, x0=1.0, on_nonfinite="stop")
    xs = np.abs(tr.xs[:, 0])
    if tr.nonfinite_step or not np.isfinite(xs).all():
        return float("inf")
    half = steps // 2
    a, b = xs[half - window:half + 1].max(), xs[steps - window:steps + 1].max()
    if a == 0 or b == 0:
        return 0.0
    return float((b / a) ** (1.0 / (steps - half)))


REGIMES = ("divergent", "marginal", "complex (underdamped)", "repeated root (critically damped)",
           "real, non-negative roots (overdamped)", "real with a negative root (oscillating)")


def regime(im: IterationMatrix, **values) -> str:
    """Classify one point (``lr``, ``h``, hyperparameters) of a 1x1 or 2x2 iteration matrix.

    The rule, in order: spectral radius > 1 -> divergent, = 1 -> marginal (exact arithmetic on
    rationals); then for 2x2 the sign of the discriminant T^2 - 4D: < 0 complex, = 0 repeated,
    > 0 real, split by whether the smaller root is negative.
    """
    from .checks import subs_by_name

    vals = {k: sp.nsimplify(v) for k, v in values.items()}
    M = im.matrix.applyfunc(lambda e: subs_by_name(e, vals))
    if M.free_symbols:
        raise DomainError(f"regime needs values for {sorted(str(s) for s in M.free_symbols)}")
    eigs = [complex(sp.N(e, 30)) for e in M.eigenvals(multiple=True)]
    rho = max(abs(e) for e in eigs)
    if rho > 1 + 1e-15:
        return REGIMES[0]
    if abs(rho - 1) <= 1e-15:
        return REGIMES[1]
    if M.shape == (1, 1):
        return REGIMES[4] if eigs[0].real >= 0 else REGIMES[5]
    disc = sp.simplify(M.trace() ** 2 - 4 * M.det())
    if disc < 0:
        return REGIMES[2]
    if disc == 0:
        return REGIMES[3]
    return REGIMES[5] if min(e.real for e in eigs) < 0 else REGIMES[4]
