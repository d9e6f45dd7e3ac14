r"""The catalogue of bug classes seen in real optimizer code, as mutations of a spec's program.

Each :class:`BugClass` turns a resolved :class:`~optmath.spec.Algorithm` into zero or more
:class:`Mutant`\ s: the same equations with the bug put in (``eps`` added after the division,
a missing ``(1 - b)``, ``g`` where ``g**2`` belongs, ...) or the same equations fed a wrong step
counter (never incremented, incremented once per parameter, starting at 0).  The conformance
checker runs the mutants beside the user's code; a mutant that reproduces the code's iterates on
every probe stream is the diagnosis.  Nothing is written per optimizer: the mutations are
SymPy rewrites of whatever equations the spec has, so a new optimizer gets the whole
catalogue for free.

:func:`effect` states a mutant's effect in closed form where one exists.  For mutations of the
step counter and of the bias factors the step of the buggy code is the correct step times a
factor that does not depend on the gradient stream (with ``eps = 0``): it is derived here by
composing the update of ``x`` from the equations and dividing.  Every closed form is evaluated
and checked against a run of the mutant and the correct program before it is printed.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import sympy as sp

from ..spec import Algorithm, Assign, Program, g, lr, sym, t, x

P_SYM = sp.Symbol("P", integer=True, positive=True)  # number of parameter tensors
I_SYM = sp.Symbol("i", integer=True, nonnegative=True)  # 0-based index of the tensor
DECAY_NAMES = ("b1", "b2", "alpha", "rho", "damp")


@dataclass(frozen=True)
class Mutant:
    """A buggy variant of an algorithm: new equations and/or a wrong step counter."""

    key: str
    variant: str
    alg: Algorithm
    tmap: Callable[[int, int, int], int] | None = None  # (step k >= 1, tensor i >= 0, P) -> t used
    t_expr: sp.Expr | None = None  # the same map in symbols (t, i, P), for the closed-form effect

    @property
    def bug(self) -> "BugClass":
        return CATALOGUE[self.key]


@dataclass(frozen=True)
class BugClass:
    key: str
    title: str
    reference: str  # the wording of ../shared/REFERENCES.md section 3 (or "extra")
    make: Callable[[Algorithm], list[Mutant]] = field(repr=False)


def _with_updates(alg: Algorithm, updates) -> Algorithm:
    prog = alg.program
    return replace(alg, program=Program(prog.states, tuple(updates), prog.lookahead, prog.temporaries))


def _state_names(alg: Algorithm) -> set[str]:
    return {s.name for s in alg.states}


def _uses_t(alg: Algorithm) -> bool:
    return "t" in alg.free_names()


def _last_x(updates) -> int:
    return max(i for i, a in enumerate(updates) if a.target == "x")


# --- the mutations -------------------------------------------------------------------------------
def _eps_precedence(alg):
    ups = list(alg.updates)
    i = _last_x(ups)
    eps = sym("eps")
    if eps not in ups[i].expr.free_symbols:
        return []
    out = []
    for sign, variant in ((1, "p - lr*u/sqrt(s) + eps"), (-1, "p -= lr*u/sqrt(s) + eps")):
        changed = list(ups)
        changed[i] = Assign("x", ups[i].expr.subs(eps, 0) + sign * eps, "step with eps outside the division")
        out.append(Mutant("eps_precedence", variant, _with_updates(alg, changed)))
    return out


def _t_never_incremented(alg):
    if not _uses_t(alg):
        return []
    return [Mutant("t_never_incremented", "t = 1 at every step", alg, lambda k, i, P: 1, sp.Integer(1))]


def _t_per_parameter(alg):
    if not _uses_t(alg):
        return []
    return [Mutant("t_per_parameter", "t += 1 for every parameter tensor", alg,
                   lambda k, i, P: (k - 1) * P + i + 1, (t - 1) * P_SYM + I_SYM + 1)]


def _t_starts_at_0(alg):
    if not _uses_t(alg):
        return []
    return [Mutant("t_starts_at_0", "t = 0, 1, 2, ...", alg, lambda k, i, P: k - 1, t - 1)]


def _t_one_ahead(alg):
    if not _uses_t(alg):
        return []
    return [Mutant("t_one_ahead", "t = 2, 3, ... (the counter incremented before its first use and "
                   "started at 1)", alg, lambda k, i, P: k + 1, t + 1)]


def _first_step_without_one_minus_b(alg):
    """At t = 1 the moments are set to the raw gradient terms (``m = g``, ``v = g^2``), without
    their ``(1 - b)`` factors: code that special-cases the first step."""
    changed, done = [], set()
    for i, a, b in _one_minus_b_terms(alg):
        first = a.expr.subs(1 - b, 1).subs(sym(a.target), 0)
        if i not in done and first != a.expr.subs(sym(a.target), 0):
            changed.append((i, a, first))
            done.add(i)
    out = []
    for chosen in ([changed] if len(changed) > 1 else []) + [[c] for c in changed]:
        ups = list(alg.updates)
        for i, a, first in chosen:
            ups[i] = Assign(a.target, sp.Piecewise((first, sp.Eq(t, 1)), (a.expr, True)), a.note)
        names = " and ".join(a.target for _, a, _ in chosen)
        out.append(Mutant("first_step_without_one_minus_b", f"{names} set to the raw term at t = 1",
                          _with_updates(alg, ups)))
    return out


def _decays_with_power(alg) -> list[sp.Symbol]:
    out = []
    for name in DECAY_NAMES:
        b = sym(name)
        if any(e.has(b**t) for e in (a.expr for a in alg.updates)):
            out.append(b)
    return out


def _exponent_minus_one(alg):
    out = []
    for b in _decays_with_power(alg):
        ups = [Assign(a.target, a.expr.subs(b**t, b ** (t - 1)), a.note) for a in alg.updates]
        out.append(Mutant("exponent_minus_one", f"1 - {b}^(t-1) for 1 - {b}^t", _with_updates(alg, ups)))
    return out


def _sqrt_one_minus_bc2(alg):
    b2 = sym("b2")
    if b2 not in _decays_with_power(alg):
        return []
    ups = [Assign(a.target, a.expr.subs(1 - b2**t, b2**t), a.note) for a in alg.updates]
    return [Mutant("sqrt_one_minus_bc2", "sqrt(1 - bc2) with bc2 = 1 - b2^t, i.e. sqrt(b2^t)",
                   _with_updates(alg, ups))]


def _cumulative_correction(alg):
    states = _state_names(alg)
    out = []
    found = []
    for i, a in enumerate(alg.updates):
        num, den = sp.fraction(sp.together(a.expr))
        if a.target in states or not (isinstance(num, sp.Symbol) and str(num) in states):
            continue
        if any(den.has(sym(b) ** t) for b in DECAY_NAMES):
            found.append((i, str(num)))
    for chosen in [[f] for f in found] + ([found] if len(found) > 1 else []):
        ups = list(alg.updates)
        for i, s in sorted(chosen, reverse=True):
            a = ups[i]
            ups[i:i + 1] = [Assign(s, a.expr, "bias correction applied to the state in place"),
                            Assign(a.target, sym(s), a.note)]
        names = " and ".join(s for _, s in chosen)
        out.append(Mutant("cumulative_correction", f"{names} divided by its bias factor in place",
                          _with_updates(alg, ups)))
    return out


def _one_minus_b_terms(alg):
    """``(index, update, b)`` for every state update with a ``(1 - b)`` factor of a decay ``b``."""
    states = _state_names(alg)
    for i, a in enumerate(alg.updates):
        if a.target in states:
            for name in DECAY_NAMES:
                if a.expr.has(1 - sym(name)):
                    yield i, a, sym(name)


def _missing_one_minus_b(alg):
    out = []
    for i, a, b in _one_minus_b_terms(alg):
        new = a.expr.subs(1 - b, 1)
        if new != a.expr:
            ups = list(alg.updates)
            ups[i] = Assign(a.target, new, a.note)
            out.append(Mutant("missing_one_minus_b", f"(1 - {b}) missing in the update of {a.target}",
                              _with_updates(alg, ups)))
    return out


def _square_missing(alg):
    states = _state_names(alg)
    out = []
    for i, a in enumerate(alg.updates):
        if a.target not in states:
            continue
        squares = {p for p in a.expr.atoms(sp.Pow) if p.exp == 2 and isinstance(p.base, sp.Symbol)
                   and str(p.base) not in states}
        for p in sorted(squares, key=str):
            ups = list(alg.updates)
            ups[i] = Assign(a.target, a.expr.subs(p, p.base), a.note)
            out.append(Mutant("square_missing", f"{p.base} instead of {p.base}^2 in the update of {a.target}",
                              _with_updates(alg, ups)))
    return out


def _wd_on_updated(alg):
    wd = sym("wd")
    ups = list(alg.updates)
    last = _last_x(ups)
    for i, a in enumerate(ups[:last]):
        if wd in a.expr.free_symbols and a.target in ("x", "g"):
            rest = ups[:i] + ups[i + 1:]
            if a.target == "x":  # decoupled: x - lr wd x or x - wd x
                decay = a.expr
            else:  # coupled L2 written as a decay of the updated parameter
                decay = x - lr * wd * x
            rest.append(Assign("x", decay, "weight decay applied to the updated parameter"))
            return [Mutant("wd_on_updated", "decay applied after the step", _with_updates(alg, rest))]
    return []


def _lr_in_buffer(alg):
    if "buf" not in _state_names(alg):
        return []
    ups = list(alg.updates)
    last = _last_x(ups)
    if lr not in ups[last].expr.free_symbols:
        return []
    for i, a in enumerate(ups):
        if a.target == "buf":
            ups[i] = Assign("buf", a.expr.subs(g, lr * g), "buffer holds lr-scaled steps")
    ups[last] = Assign("x", ups[last].expr.subs(lr, 1).subs(g, lr * g), "step without lr")
    return [Mutant("lr_in_buffer", "buf <- mu buf + lr g; p -= buf", _with_updates(alg, ups))]


def _yogi_sign(alg):
    out = []
    for i, a in enumerate(alg.updates):
        signs = [s for s in a.expr.atoms(sp.sign)]
        if a.target in _state_names(alg) and signs:
            ups = list(alg.updates)
            ups[i] = Assign(a.target, a.expr.subs({s: -s for s in signs}), a.note)
            out.append(Mutant("sign_reversed", f"sign(...) reversed in the update of {a.target}",
                              _with_updates(alg, ups)))
    return out


def _eps_root_moved(alg):
    """eps moved into the square root (``sqrt(v + eps)`` for ``sqrt(v) + eps``) or out of it."""
    eps = sym("eps")
    out = []
    for i, a in enumerate(alg.updates):
        if eps not in a.expr.free_symbols:
            continue
        inside = {}
        outside = {}
        for node in sp.preorder_traversal(a.expr):
            if isinstance(node, sp.Add) and eps in node.args:
                roots = [u for u in node.args if isinstance(u, sp.Pow) and u.exp == sp.Rational(1, 2)]
                if len(roots) == 1 and len(node.args) == 2:  # sqrt(X) + eps -> sqrt(X + eps)
                    inside[node] = sp.sqrt(roots[0].base + eps)
            if isinstance(node, sp.Pow) and node.exp == sp.Rational(1, 2) and isinstance(node.base, sp.Add) \
                    and eps in node.base.args:  # sqrt(X + eps) -> sqrt(X) + eps
                outside[node] = sp.sqrt(node.base - eps) + eps
        for rep, variant in ((inside, "eps inside the square root"), (outside, "eps outside the square root")):
            if rep:
                ups = list(alg.updates)
                ups[i] = Assign(a.target, a.expr.xreplace(rep), a.note)
                out.append(Mutant("eps_root_moved", f"{variant} in the update of {a.target}", _with_updates(alg, ups)))
    return out


def _lazy_sparse(alg):
    """Coordinates whose gradient is 0 keep their states and their value (a lazy sparse update,
    TF-Addons' LazyAdam, MXNet's ``lazy_update``): every state and the step guarded by g != 0."""
    states = _state_names(alg) | {"x"}
    if not any(a.target in states and g in a.expr.free_symbols for a in alg.updates):
        return []
    raw = sym("g_sparse")  # the gradient as given, before any L2 term: its zeros are the absent rows
    ups = [Assign("g_sparse", g, "the gradient as given")]
    ups += [Assign(a.target, sp.Piecewise((a.expr, sp.Ne(raw, 0)), (sym(a.target), True)), a.note)
            if a.target in states else a for a in alg.updates]
    prog = alg.program
    lazy = replace(alg, program=Program(prog.states, tuple(ups), prog.lookahead,
                                        {**prog.temporaries, "g_sparse": "the gradient as given"}))
    return [Mutant("lazy_sparse", "states and parameter left as they are where the gradient is 0", lazy)]


def _wd_twice(alg):
    """Weight decay applied twice: as L2 in the gradient and again decoupled (or the reverse)."""
    wd = sym("wd")
    ups = list(alg.updates)
    last = _last_x(ups)
    for i, a in enumerate(ups[:last]):
        if wd not in a.expr.free_symbols:
            continue
        if a.target == "g":  # L2: add the decoupled decay too, before the step
            extra = Assign("x", x - lr * wd * x, "decoupled decay as well")
            return [Mutant("wd_twice", "L2 in the gradient and decoupled decay",
                           _with_updates(alg, ups[:last] + [extra] + ups[last:]))]
        if a.target == "x":  # decoupled: add L2 to the gradient too
            extra = Assign("g", g + wd * x, "L2 penalty as well")
            return [Mutant("wd_twice", "decoupled decay and L2 in the gradient", _with_updates(alg, [extra] + ups))]
    return []


def _first_update_skipped(alg):
    """The first step updates no state while the step counter advances: code that guards the
    moment updates with ``if step > 0:`` and counts that step in its bias corrections
    (adan-pytorch 0.1.0, adan.py:62-81).  The parameter takes its step with the initial states
    (no move for a moment-driven rule; a decay still acts), and a state that copies the gradient
    (Adan's previous gradient) still copies it."""
    states = _state_names(alg)
    ups, changed = [], False
    for a in alg.updates:
        if a.target in states and sp.sympify(a.expr) != g:
            ups.append(Assign(a.target, sp.Piecewise((sym(a.target), sp.Eq(t, 1)), (a.expr, True)), a.note))
            changed = True
        else:
            ups.append(a)
    if not changed:
        return []
    return [Mutant("first_update_skipped", "no state updated at t = 1; the counter counts that step",
                   _with_updates(alg, ups))]


CATALOGUE: dict[str, BugClass] = {b.key: b for b in (
    BugClass("eps_precedence", "eps added outside the division by operator precedence",
             "`p - lr*m/sqrt(s) + eps`", _eps_precedence),
    BugClass("t_never_incremented", "step counter never incremented",
             "step counter never incremented", _t_never_incremented),
    BugClass("t_per_parameter", "step counter incremented once per parameter instead of once per step",
             "incremented once per parameter instead of once per step", _t_per_parameter),
    BugClass("t_starts_at_0", "step counter starting at 0 (division by zero)",
             "counter starting at 0 (division by zero)", _t_starts_at_0),
    BugClass("t_one_ahead", "step counter one ahead (the first step uses t = 2)", "extra", _t_one_ahead),
    BugClass("first_step_without_one_minus_b", "first-step moments set to g and g^2 without the (1 - b) factors",
             "extra", _first_step_without_one_minus_b),
    BugClass("cumulative_correction", "bias correction applied cumulatively in place",
             "bias correction applied cumulatively in place", _cumulative_correction),
    BugClass("exponent_minus_one", "a duplicated -1 in a bias exponent",
             "a duplicated `-1` in a bias exponent", _exponent_minus_one),
    BugClass("sqrt_one_minus_bc2", "sqrt(1 - bc2) written for sqrt(bc2)",
             "`sqrt(1-bc2)` written for `sqrt(bc2)`", _sqrt_one_minus_bc2),
    BugClass("missing_one_minus_b", "a missing (1 - b) factor", "a missing `(1-b)` factor",
             _missing_one_minus_b),
    BugClass("square_missing", "square missing in a second-moment accumulator",
             "square missing in a second-moment accumulator", _square_missing),
    BugClass("wd_on_updated", "weight decay applied to the updated rather than the previous parameter",
             "weight decay applied to the updated rather than the previous parameter", _wd_on_updated),
    BugClass("lr_in_buffer", "lr baked into the momentum buffer while lr changes",
             "lr baked into a momentum buffer while lr changes", _lr_in_buffer),
    BugClass("sign_reversed", "sign of a sign() term reversed (Yogi's update)", "extra", _yogi_sign),
    BugClass("eps_root_moved", "eps moved into or out of a square root", "extra", _eps_root_moved),
    BugClass("lazy_sparse", "a lazy sparse update: states and parameter frozen where the gradient is 0 "
             "(TF-Addons LazyAdam, MXNet lazy_update)", "extra", _lazy_sparse),
    BugClass("wd_twice", "weight decay applied twice (L2 in the gradient and decoupled)", "extra", _wd_twice),
    BugClass("first_update_skipped", "the first step updates no state, yet the step counter counts it "
             "(adan-pytorch 0.1.0)", "extra", _first_update_skipped),
)}


def mutants(alg: Algorithm) -> list[Mutant]:
    """Every mutant of ``alg`` that the catalogue can build (each changes the algorithm)."""
    out = []
    for bug in CATALOGUE.values():
        out.extend(bug.make(alg))
    return out


# --- closed-form effects ---------------------------------------------------------------------------
def step_expression(alg: Algorithm) -> sp.Expr:
    """``x_t - x_{t-1}`` composed from the equations, with the *updated* states as symbols."""
    states = _state_names(alg)
    env: dict = {}
    cur = x
    for a in alg.updates:
        expr = a.expr.subs(env)
        if a.target == "x":
            cur = expr.subs(x, cur)
        elif a.target not in states:
            env[sym(a.target)] = expr.subs(x, cur)
    return cur - x


SCALING_CLASSES = ("t_never_incremented", "t_per_parameter", "t_one_ahead", "exponent_minus_one",
                   "sqrt_one_minus_bc2")


@dataclass
class Effect:
    """A mutant's effect: text, the closed-form factor (or None), and numbers."""

    text: str
    factor: sp.Expr | None = None
    values: dict = field(default_factory=dict)  # label -> float


def scaling_factor(mutant: Mutant, base: Algorithm) -> sp.Expr | None:
    r"""The factor ``step_mutant / step_correct`` when it is the same for every stream (eps = 0).

    Exists when the mutation leaves the state updates alone (counter and bias-factor bugs);
    ``None`` otherwise.
    """
    mut = mutant.alg
    states = _state_names(base)
    same_states = [a for a in base.updates if a.target in states] == [a for a in mut.updates if a.target in states]
    if mutant.tmap is not None:  # a wrong counter changes the states too if their updates use t
        same_states &= not any(a.expr.has(t) for a in base.updates if a.target in states)
    if not same_states or mutant.key not in SCALING_CLASSES:
        return None
    zero = {sym("eps"): 0, sym("eps_root"): 0, sym("wd"): 0}
    f0 = step_expression(base).subs(zero)
    f1 = step_expression(mut).subs(zero)
    if mutant.t_expr is not None:
        f1 = f1.subs(t, mutant.t_expr)
    if f0 == 0:
        return None
    positive = {sym(n): sp.Symbol(n, positive=True) for n in states}  # moments, accumulators
    ratio = sp.powsimp(sp.powdenest((f1 / f0).subs(positive), force=True), force=True)
    if ratio.free_symbols & set(positive.values()):
        ratio = sp.simplify(ratio)
    if ratio.free_symbols & (set(positive.values()) | {g, x, lr}):
        return None
    return ratio


def factor_holds(factor, mutant: Mutant, base: Algorithm, steps: int = 40, rtol: float = 1e-9) -> bool:
    """Numeric check of a scaling factor: run the mutant and the correct program (eps = 0) on a
    random two-tensor stream and compare every step ratio with the factor."""
    import numpy as np

    from ..symbolic.checks import subs_by_name
    from .conformance import Stream, simulate

    rng = np.random.default_rng(0)
    stream = Stream([rng.normal(size=(steps, 3)), rng.normal(size=(steps, 2))], [np.zeros(3), np.zeros(2)], None)
    zero = {k: 0.0 for k in ("eps", "eps_root", "wd") if k in base.values}
    good, bad = replace(base, values={**base.values, **zero}), replace(mutant.alg, values={**base.values, **zero})
    ref, mut = simulate(good, stream), simulate(bad, stream, mutant.tmap)
    f = sp.lambdify((t, I_SYM), subs_by_name(factor.subs(P_SYM, len(stream.grads)), base.values), "math")
    compared = 0
    with np.errstate(all="ignore"):
        for i, (a, b) in enumerate(zip(ref, mut)):
            for k in range(2, steps + 1):
                da, db = a[k] - a[k - 1], b[k] - b[k - 1]
                try:
                    expect = float(f(k, i))
                except (ZeroDivisionError, ValueError, OverflowError):
                    continue
                finite = np.isfinite(da) & np.isfinite(db)
                ok = np.abs(db - expect * da) <= rtol * np.maximum(np.abs(db), np.abs(expect * da)) + 1e-300
                if not np.all(ok | ~finite):
                    return False
                compared += int(finite.sum())
    return compared > 0


def _tidy(expr) -> str:
    """Print with ``1 - b`` kept together for each decay ``b`` (SymPy prefers ``-(b - 1)``)."""
    gaps = {}
    for b in sorted(expr.free_symbols, key=str):  # by name: derivations may use assumed symbols
        if b.name in DECAY_NAMES:
            gap = sp.Symbol(f"GAP_{b.name}", positive=True)
            gaps[gap] = f"(1 - {b.name})"
            expr = expr.subs(b, 1 - gap)
    text = sp.sstr(sp.powsimp(expr, force=True))
    for gap, shown in gaps.items():
        text = text.replace(f"({gap})", shown).replace(str(gap), shown)
    return text


def _limit_t(expr):
    from ..symbolic.limits import _t_to_infinity

    return _t_to_infinity(expr)


def describe_effect(mutant: Mutant, base: Algorithm, P: int = 2) -> Effect:
    """Closed-form effect of ``mutant`` relative to ``base`` where one exists, with numbers."""
    from ..symbolic.checks import subs_by_name

    vals = {k: v for k, v in base.values.items()}
    key = mutant.key
    if key == "eps_precedence":
        sign = "+" if mutant.variant.startswith("p - ") else "-"
        return Effect(f"every step moves the parameter by {sign}eps = {sign}{vals.get('eps', 0):g} on top of the "
                      "update, and nothing keeps the denominator away from 0 (a zero gradient gives 0/0)")
    if key == "t_starts_at_0":
        return Effect("the first step divides by a bias factor 1 - b^0 = 0: the iterate becomes "
                      "non-finite (or Python raises ZeroDivisionError) at step 1")
    if key == "lr_in_buffer":
        return Effect("the buffer keeps each step's lr, so after a change of lr the old steps still move "
                      "with the old lr; identical for a constant lr (REFERENCES §3 witness: g = 1, mu = 0.9, "
                      "lr 0.1 then 0.01 gives p_2 = -0.119 instead of -0.200)")
    from ..limits import TimeLimitExceeded, time_limit

    try:
        with time_limit(10.0):
            factor = scaling_factor(mutant, base)
    except TimeLimitExceeded:
        factor = None
    if factor is not None and not factor_holds(factor, mutant, base):
        factor = None
    if factor is None:
        return Effect(_STATE_EFFECTS.get(key, "changes the state recurrences") + _limit_ratio_text(mutant, base))
    f = factor.subs(P_SYM, P)
    numbers = {}
    for tv in (1, 2, 10, 100):
        for iv in ((0, P - 1) if f.has(I_SYM) else (0,)):
            try:
                val = complex(subs_by_name(f.subs({t: tv, I_SYM: iv}), vals))
            except (TypeError, ZeroDivisionError):
                continue
            if val.imag == 0:
                label = f"t={tv}" + (f", tensor {iv}" if f.has(I_SYM) else "")
                numbers[label] = val.real
    lim = _limit_t(f.subs(I_SYM, 0))
    lim_val = None
    try:
        lim_val = float(subs_by_name(lim, vals))
        numbers["t->inf"] = lim_val
    except (TypeError, ValueError):
        pass
    text = f"every step is scaled by {sp.sstr(factor)} (exact for every gradient stream when eps = 0)"
    if "t=1" not in numbers and not f.has(I_SYM):
        text += "; at t = 1 a bias factor is 1 - b^0 = 0 and the step is not finite"
    if lim_val is not None:
        text += f"; as t -> inf this tends to {_tidy(lim)} = {lim_val:.4g}"
    if "t=1" in numbers:
        text += f"; at t = 1 it is {numbers['t=1']:.4g}"
    return Effect(text, factor, numbers)


def limit_ratio(mutant: Mutant, base: Algorithm, seconds: float = 10.0):
    r"""``lim step_mutant / lim step_correct`` under a constant gradient ``G > 0`` with eps = 0
    (SymPy, :func:`optmath.symbolic.limits.steady_state` on both programs), or ``None``."""
    from ..limits import TimeLimitExceeded, time_limit
    from ..symbolic.limits import GRAD, steady_state

    zero = {"eps": 0, "eps_root": 0}
    try:
        with time_limit(seconds):
            a = steady_state(mutant.alg, **zero).step
            b = steady_state(base, **zero).step
            if a is None or b is None or b == 0:
                return None
            ratio = sp.simplify(a / b)
    except (TimeLimitExceeded, Exception):  # noqa: BLE001 - no closed form is an answer too
        return None
    if ratio.has(GRAD) or ratio.has(x) or ratio == 1 or ratio.has(sp.zoo, sp.oo, sp.nan):
        return None
    return ratio


def _limit_ratio_text(mutant: Mutant, base: Algorithm) -> str:
    from ..symbolic.checks import subs_by_name

    ratio = limit_ratio(mutant, base)
    if ratio is None:
        return ""
    try:
        value = float(subs_by_name(ratio, base.values))
    except (TypeError, ValueError):
        return f"; under a constant gradient the step tends to {_tidy(ratio)} times the correct one"
    return f"; under a constant gradient the step tends to {_tidy(ratio)} = {value:.4g} times the correct one"


_STATE_EFFECTS = {
    "t_never_incremented": "the bias correction stays at its t = 1 value for the whole run",
    "t_per_parameter": "each parameter tensor sees a counter that runs P times too fast, so its bias "
                       "correction fades too early",
    "exponent_minus_one": "at t = 1 the factor 1 - b^(t-1) is 0: step 1 divides by zero",
    "sqrt_one_minus_bc2": "the second moment is divided by b2^t instead of 1 - b2^t: the early steps are "
                          "about 1/sqrt(1 - b2) times too large",
    "cumulative_correction": "the stored moment is divided by 1 - b^t again at every step, so it "
                             "compounds: under a constant gradient g, m_2 = g / (1 - b^2) instead of g",
    "missing_one_minus_b": "the average becomes a sum: under a constant gradient the state tends to "
                           "value / (1 - b) instead of value",
    "square_missing": "the accumulator averages g instead of g^2: the step is no longer scale-invariant "
                      "and a negative average gives sqrt of a negative number (NaN)",
    "wd_on_updated": "the decay multiplies the new iterate: x_t = (1 - lr wd)(x_{t-1} - lr u_t) instead "
                     "of x_{t-1} - lr u_t - lr wd x_{t-1}, a difference of lr^2 wd u_t per step",
    "sign_reversed": "the second moment moves away from g^2 instead of towards it",
    "eps_root_moved": "eps moves between the root and the denominator: sqrt(v + eps) against sqrt(v) + eps, "
                      "which differ most where v is small (the first steps, rare coordinates): for v = 0 the "
                      "denominator is sqrt(eps) against eps",
    "lazy_sparse": "a coordinate whose gradient is 0 keeps its moments and its value, where the dense rule "
                   "decays the moments and keeps moving by the momentum of earlier steps",
    "wd_twice": "the parameter decays twice per step: by lr wd x through the gradient (then scaled by the "
                "adaptive step) and by lr wd x directly",
}
