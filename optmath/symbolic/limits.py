r"""Steady states under a constant gradient, Adam's step bounds, and the Gamma_t question.

:func:`steady_state` runs a spec's equations with :math:`g_t = G` (a positive constant; the
case :math:`G < 0` follows by odd symmetry and is checked numerically), lets
:math:`t \to \infty` (every :math:`b^t \to 0`), and solves each state's fixed-point equation
:math:`s = f(s)`.  Non-smooth updates (``Max``, ``sign``, ``Abs``) are solved branch by branch,
keeping only solutions that satisfy their branch's condition; a branch on which the update is
the identity gives a continuum of fixed points, and the least one is taken (states start below
it and the maps are monotone; the kernel check confirms).  The limiting step
:math:`x_{t} - x_{t-1}` is then read off the ``x`` update.

Heavy ball's terminal velocity, Adam's :math:`\eta G/(|G| + \epsilon)` and the others are all
this one routine applied to different specs.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ..errors import DomainError
from ..spec import Algorithm, g, lr, sym, t, x
from .assume import is_decay, symbol
from .checks import simplifies_to_zero, unify
from .ema import assumption_map, limit_t_inf

GRAD = sp.Symbol("G", positive=True)
_BRANCHY = (sp.Max, sp.Min, sp.sign, sp.Abs, sp.Piecewise)


def _t_to_infinity(expr):
    """Replace every ``base**(... t ...)`` with ``0 < base < 1`` by 0, then take any limit left."""
    expr = sp.sympify(expr)

    def small(p):
        base, ex = p.as_base_exp()
        if not ex.has(t):
            return False
        if base.is_number:
            return bool(0 < base < 1)
        return is_decay(base)

    expr = expr.replace(lambda e: isinstance(e, sp.Pow) and small(e), lambda e: sp.Integer(0))
    # a warm-up written max(T, t) or min(T, t) (T free of t) is t, or T, for every t > T
    def clipped(e):
        return isinstance(e, (sp.Max, sp.Min)) and t in e.args and not any(a.has(t) for a in e.args if a != t)
    expr = expr.replace(clipped, lambda e: t if isinstance(e, sp.Max) else
                        (e.func(*[a for a in e.args if a != t]) if len(e.args) > 2 else
                         next(a for a in e.args if a != t)))
    if expr.has(t):
        try:
            expr = limit_t_inf(expr, t, simplify=False)
        except (NotImplementedError, ValueError, TypeError) as exc:  # SymPy's series machinery
            raise DomainError(f"the limit t -> oo of {expr} is not found ({type(exc).__name__})") from None
    if expr.has(*_BRANCHY):  # simplify would rewrite sign() as a Piecewise of Abs
        return expr
    return sp.simplify(expr)


def _branches(atom):
    """(value, condition) pairs that together cover every case of ``atom``."""
    if isinstance(atom, sp.Max):
        a, b = atom.args[0], sp.Max(*atom.args[1:])
        return [(a, a >= b), (b, b >= a)]
    if isinstance(atom, sp.Min):
        a, b = atom.args[0], sp.Min(*atom.args[1:])
        return [(a, a <= b), (b, b <= a)]
    if isinstance(atom, sp.Abs):
        a = atom.args[0]
        return [(a, a >= 0), (-a, a <= 0)]
    if isinstance(atom, sp.sign):
        a = atom.args[0]
        return [(sp.Integer(1), a > 0), (sp.Integer(0), sp.Eq(a, 0)), (sp.Integer(-1), a < 0)]
    if isinstance(atom, sp.Piecewise):
        return [(v, c) for v, c in atom.args]
    raise TypeError(atom)


def _holds(cond, s, value) -> bool | None:
    c = cond.subs(s, value) if s is not None else cond
    if c in (sp.true, True):
        return True
    if c in (sp.false, False):
        return False
    c = sp.simplify(c)
    return True if c == sp.true else False if c == sp.false else None


def fixed_points(f, s) -> tuple[list, list]:
    """Isolated solutions of ``s = f(s)`` and lower ends of continua (branch by branch)."""
    f = sp.sympify(f)
    atoms = [a for a in f.atoms(*_BRANCHY) if a.has(s)]
    if not atoms:
        eq = sp.simplify(f - s)
        if eq == 0:
            return [], [sp.S.NegativeInfinity]
        return [sp.simplify(v) for v in sp.solve(eq, s)], []
    atom = min(atoms, key=lambda a: sp.count_ops(a))
    isolated, continua = [], []
    for value, cond in _branches(atom):
        if isinstance(atom, sp.sign) and cond.has(sp.Eq):
            cands = sp.solve(atom.args[0], s)
            for c in cands:
                if simplifies_to_zero(f.subs(s, c) - c):
                    isolated.append(sp.simplify(c))
            continue
        iso, cont = fixed_points(f.subs(atom, value), s)
        for v in iso:
            if _holds(cond, s, v) is not False:
                isolated.append(v)
        if cont:
            # identity branch: every s satisfying cond is a fixed point; its least element
            lo = sp.solve(sp.Eq(cond.lhs, cond.rhs), s) if isinstance(cond, sp.core.relational.Relational) else []
            continua.extend(sp.simplify(v) for v in lo)
    return list(dict.fromkeys(isolated)), list(dict.fromkeys(continua))


@dataclass
class SteadyState:
    """Fixed points of the states and the limiting step under :math:`g_t = G > 0`."""

    optimizer: str
    profile: str
    states: dict
    step: sp.Expr | None
    reason: str = ""
    notes: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"optimizer": self.optimizer, "profile": self.profile,
                "states": {k: str(v) for k, v in self.states.items()},
                "step": None if self.step is None else str(self.step),
                "reason": self.reason, "notes": self.notes}


def steady_state(alg: Algorithm, **values) -> SteadyState:
    r"""Fixed points of every state and the limiting step :math:`x_t - x_{t-1}` under the
    constant gradient :math:`G > 0`.  Weight decay is switched off (the gradient must not depend
    on :math:`x`); ``values`` substitutes hyperparameters (e.g. ``damp=0``).

    >>> from optmath import get_spec
    >>> steady_state(get_spec("adam").resolve("pytorch")).step
    -G*lr/(G + eps)
    """
    amap = assumption_map(sum((a.expr for a in alg.updates), sp.Integer(0)), alg)
    fixed = {sym("wd"): 0}
    fixed.update({sym(k): sp.nsimplify(v) for k, v in values.items()})
    env: dict = {g: GRAD}
    states = {v.name: v for v in alg.states}
    result: dict = {}
    notes: list[str] = []
    if any(a.target == "g" for a in alg.updates) and "wd" in alg.free_names():
        notes.append("weight decay set to 0 (with it the gradient depends on x)")
    exprs = [(a.target, a.expr.subs(fixed).subs(amap)) for a in alg.updates]
    for target, expr in exprs:
        if target != "x" and expr.has(x):
            raise DomainError(f"{alg.spec.name}: the update of {target} depends on x, so a "
                              "constant gradient does not give a steady state")
    # pass 1: fixed point of each state, in update order
    for target, expr in exprs:
        if target == "x":
            continue
        if target in states:
            s = sym(target)
            others = {k: v for k, v in env.items() if k != s}
            f = _t_to_infinity(expr.subs(others))
            if sp.simplify(f - s) == 0:
                raise DomainError(f"{alg.spec.name}: the update of {target} becomes the identity under a constant "
                                  f"gradient ({target} <- {target}): its limit is what the first steps leave, "
                                  f"which no fixed-point equation decides")
            iso, cont = fixed_points(f, s)
            cands = [v for v in iso if v.is_finite is not False] or [v for v in cont if v.is_finite]
            if not cands:
                return SteadyState(alg.spec.name, alg.profile, result, None,
                                   f"state {target} has no fixed point under a constant gradient "
                                   f"(its update becomes {target} <- {f})", notes)
            if len(cands) > 1:
                cands = sorted(cands, key=sp.default_sort_key)
                nonzero = [v for v in cands if v != 0]
                notes.append(f"{target}: fixed points {cands}; the nonzero one is reached from "
                             f"the start" if nonzero else f"{target}: fixed points {cands}")
                cands = nonzero or cands
            if cont and not iso:
                notes.append(f"{target}: least of a continuum of fixed points")
            env[s] = cands[0]
            result[target] = cands[0]
        else:  # a temporary (mhat, g with decay off, ...)
            env[sym(target)] = _t_to_infinity(expr.subs(env))
    # a fixed point found while a state updated later in the step was still a symbol (Adan's v
    # reads the previous gradient gp): substitute the later ones until none is left
    state_syms = {sym(k) for k in states}
    for _ in range(len(result)):
        done = {sym(k): v for k, v in result.items()}
        new = {k: sp.simplify(v.subs({s_: e for s_, e in done.items() if s_ != sym(k)})) for k, v in result.items()}
        if new == result:
            break
        result = new
    if any(v.free_symbols & state_syms for v in result.values()):
        raise DomainError(f"{alg.spec.name}: the fixed points of its states depend on each other in a cycle "
                          f"({result}); no sequential derivation decides them")
    env.update({sym(k): v for k, v in result.items()})
    for target, expr in exprs:  # temporaries again, now that every state has its value
        if target not in states and target != "x":
            env[sym(target)] = _t_to_infinity(expr.subs(env))
    # pass 2: temporaries and the step with every state at its fixed point
    for target, expr in exprs:
        if target in states:
            continue
        value = _t_to_infinity(expr.subs(env))
        if target == "x":
            env[x] = value
        else:
            env[sym(target)] = value
    if x not in env:
        raise DomainError(f"{alg.spec.name} has no update of x")
    step = sp.simplify(env[x] - x)
    return SteadyState(alg.spec.name, alg.profile, result, step, notes=notes)


# --- Kingma & Ba's step bounds ------------------------------------------------------------
B1, B2 = symbol("b1"), symbol("b2")
TT = sp.Symbol("t", integer=True, positive=True)


def adam_spike_step() -> sp.Expr:
    r"""|m-hat/sqrt(v-hat)| at step t for the stream that is zero except at step t (eps = 0):
    :math:`\frac{(1-b_1)\sqrt{1-b_2^t}}{(1-b_1^t)\sqrt{1-b_2}}`, derived by running the Adam spec
    for that stream (m_t = (1-b1) g, v_t = (1-b2) g^2)."""
    gg = sp.Symbol("gamma_", positive=True)
    m = (1 - B1) * gg  # everything before step t was zero
    v = (1 - B2) * gg**2
    return sp.simplify((m / (1 - B1**TT)) / sp.sqrt(v / (1 - B2**TT)))


def adam_worst_case_ratio() -> sp.Expr:
    r"""The exact supremum over all streams of |m-hat_t / sqrt(v-hat_t)| (eps = 0).

    By Cauchy-Schwarz, with :math:`w_i = (1-b_1)b_1^{t-i}` and :math:`u_i = (1-b_2)b_2^{t-i}`,
    :math:`|\sum w_i g_i| \le \sqrt{\sum w_i^2/u_i}\,\sqrt{\sum u_i g_i^2}` with equality for
    :math:`g_i \propto w_i/u_i`; so the supremum is
    :math:`\frac{\sqrt{1-b_2^t}}{1-b_1^t}\sqrt{\sum_i w_i^2/u_i}`.
    """
    i = sp.Symbol("i", integer=True, positive=True)
    w = (1 - B1) * B1 ** (TT - i)
    u = (1 - B2) * B2 ** (TT - i)
    from .ema import _drop_unit_branch

    s = sp.simplify(_drop_unit_branch(sp.summation(sp.powsimp(w**2 / u, force=True), (i, 1, TT))))
    return sp.sqrt(1 - B2**TT) / (1 - B1**TT) * sp.sqrt(s)


# --- Gamma_t -------------------------------------------------------------------------------
def gamma_t(v_prev, v_new, lr_prev, lr_new):
    r""":math:`\Gamma_t = \sqrt{v_t}/\eta_t - \sqrt{v_{t-1}}/\eta_{t-1}` (one coordinate)."""
    return sp.sqrt(v_new) / lr_new - sp.sqrt(v_prev) / lr_prev


__all__ = ["GRAD", "SteadyState", "steady_state", "fixed_points", "adam_spike_step",
           "adam_worst_case_ratio", "gamma_t", "lr"]


def kernel_steady_step(alg: Algorithm, G: float, steps: int = 20_000) -> float:
    """The kernel's last step ``x_T - x_{T-1}`` under the constant gradient ``G`` (the
    independent numeric check of :func:`steady_state`)."""
    import numpy as np

    from ..kernels.runner import run

    tr = run(alg, np.full((steps, 1), float(G)))
    return float(tr.xs[-1, 0] - tr.xs[-2, 0])


def steady_step_value(ss: SteadyState, G: float, alg: Algorithm, **values) -> float:
    """Evaluate the symbolic limiting step at ``G`` (using the odd symmetry for ``G < 0``)."""
    from .checks import subs_by_name

    vals = {**alg.values, **values}
    val = float(subs_by_name(ss.step.subs(GRAD, abs(G)), vals))
    return val if G > 0 else -val


def check_steady_steps(optimizer: str, claimed: dict, values: dict, Gs=(0.01, -0.01),
                       steps: int = 20_000, substitute: dict | None = None) -> dict:
    """Derive the limiting step for each profile in ``claimed`` (profile -> expected SymPy
    expression in ``G``), compare it symbolically, then run the kernel at ``values`` for each
    ``G`` and return the worst relative difference.  The shared body of the steady-step proofs."""
    from ..optimizers import get_spec

    out = {"symbolic_ok": True, "worst": 0.0, "steps": {}, "kernel": {}}
    for profile, expected in claimed.items():
        alg = get_spec(optimizer).resolve(profile, **values)
        ss = steady_state(alg, **(substitute or {}))
        out["steps"][profile] = str(ss.step)
        out["symbolic_ok"] &= ss.step is not None and simplifies_to_zero(ss.step - unify(expected, ss.step))
        for G in Gs:
            k = kernel_steady_step(alg, G, steps)
            e = steady_step_value(ss, G, alg, **(substitute or {}))
            out["kernel"][f"{profile},G={G}"] = (k, e)
            out["worst"] = max(out["worst"], abs(k - e) / abs(e))
    return out
