r"""Are two formulations the same optimizer?  Two questions, each derived symbolically and
checked numerically.

**(a) The profiles as shipped** (:func:`shipped`): each side with its own default
hyperparameters, rules and thresholds (``radam:paper`` rectifies when ``rho_t > 4`` with no eps,
``radam:pytorch`` when ``rho_t > 5`` with ``eps = 1e-8``), the same learning rate given to both,
under a constant and under a changing learning rate (``lr_k = lr/k``).  Both are unrolled for a
few steps with symbolic gradients and lr and every other value exact, and replayed at 60 digits
over :data:`SHIPPED_STEPS` steps on random and adversarial streams.  The answer is identical,
identical only under a constant lr, or different from step N with an exact witness.

**(b) The update rules with shared hyperparameters** (:func:`equivalence`): both specs unrolled
with symbolic gradients :math:`g_1, g_2, \dots`, a symbolic start :math:`x_0` and symbolic
hyperparameters (``B``'s get a ``_B`` suffix so that maps between them can be solved for):

* **identical** -- :math:`x^A_k - x^B_k` vanishes for every ``k`` checked with the same
  hyperparameter values (at random rational points, at 60 digits);
* **shift** -- the iterates differ but one method's iterate equals the other's gradient point
  (PyTorch's Nesterov ``x_t`` is Sutskever's look-ahead :math:`\theta_t + \mu v_t`);
* **reparameterisation** -- the differences vanish for every stream after solving for ``B``'s
  hyperparameters; the map is returned, e.g. ``lr_B = lr/(1 - mu)``;
* **conditional** -- they agree only when some hyperparameters take a value (``eps = 0``,
  ``damp = 0``, constant ``lr``, ...) or when ``B``'s hyperparameter follows a time-varying
  relation (Keras' ``eps_hat_t = eps sqrt(1 - b2^t)``);
* **different** -- none of the above;
* **inconclusive** -- the symbolic verdict and its numeric check disagree; both are shown.

Rules that differ only in the strictness of a comparison (``rho_t > threshold`` against
``rho_t >= threshold``) are compared as the measure-zero difference they are: the verdict holds
``except where rho_t = threshold``, with an exact witness on that set.  A verdict that needs a
constant learning rate says so in ``assumptions`` even when ``varying_lr`` was not asked.

Every CONDITIONAL and DIFFERENT verdict carries its first differing step and a witness stream
with exact values (for a condition: a stream on which violating it makes the iterates differ).

**Numeric check.**  Each claim (agree with the map or under the conditions; differ where a
condition fails or the verdict says different) is tried with both kernels on random and
adversarial streams (:func:`check_streams`); where the kernels' float64 difference is too small
to decide, both sides are replayed at 60 digits.  A claim the numbers contradict turns the
verdict INCONCLUSIVE, with the symbolic verdict kept in ``claimed``.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import mpmath
import numpy as np
import sympy as sp

from ..errors import DomainError, OptmathTypeError, UnknownNameError
from ..limits import TimeLimitExceeded, time_limit
from ..optimizers import get_spec
from ..spec import Algorithm, g, lr, sym, t, x
from ..symbolic.assume import default_domain, sample, symbol
from ..symbolic.checks import DIGITS, simplifies_to_zero
from .tolerances import EQUIV_AGREE, EQUIV_DIFFER, EQUIV_HP_AGREE, EQUIV_HP_DIFFER

KINDS = ("identical", "shift", "reparameterisation", "conditional", "different", "inconclusive")
#: the time one SymPy solve of a single hyperparameter may take (a solve that needs longer is
#: skipped: its candidate is neither a map nor a condition, and the verdict says so no more strongly)
SOLVE_SECONDS = 1.0
#: the time the one-step solve for a time-varying relation (Keras' eps_hat_t) may take: one solve
#: per pair, about 0.3 s unloaded, so a generous limit keeps the verdict independent of the load
RELATION_SECONDS = 4.0
#: the time an exact (SymPy) evaluation of a witness may take before its digits come from the
#: 60-digit replay instead (the witness then says ``exact: false``)
EXACT_SECONDS = 5.0
NEUTRAL = {"eps": 0, "eps_root": 0, "wd": 0, "damp": 0, "acc0": 0, "lr_decay": 0, "s0": 0}
#: steps of the 60-digit comparison of two profiles as shipped, and of the high-precision
#: arbitration of a kernel check too close to call
SHIPPED_STEPS = 100
HP_STEPS = 100
HP_DPS = 60
#: the exact changing learning rate of the witnesses and of question (a): lr_k = lr / k
CHANGING_LR = "lr_k = lr/k"
WITNESS_DIGITS = 25
WITNESS_SEARCH_STEPS = 4  # witnesses over every stream of (1, -1, 2) up to this many steps
THRESHOLD_SEARCH_STEPS = 20  # a threshold witness sits at rho_k for the k nearest the default


@dataclass
class Equivalence:
    """The verdicts, with what makes them true and the evidence.

    ``kind`` and the fields after it answer question (b), the update rules with shared
    hyperparameters; ``shipped`` answers question (a), the profiles as shipped."""

    a: str
    b: str
    kind: str
    map: dict = field(default_factory=dict)
    conditions: list = field(default_factory=list)
    shift: str | None = None
    first_difference: int | None = None
    witness: dict | None = None
    symbolic: str = ""
    numeric: dict = field(default_factory=dict)
    steps: int = 0
    assumptions: list = field(default_factory=list)
    except_where: list = field(default_factory=list)
    exception_witness: dict | None = None
    lr_witness: dict | None = None
    claimed: str | None = None
    reason: str | None = None
    checks: list = field(default_factory=list)
    shipped: "Shipped | None" = None

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        d["shipped"] = self.shipped.as_dict() if self.shipped is not None else None
        return d

    def _repr_markdown_(self) -> str:
        return "```\n" + str(self) + "\n```"

    def rule_line(self) -> str:
        """The rule-level verdict in one line: the kind, its exceptions and its assumptions."""
        out = self.kind.upper()
        if self.except_where:
            out += " except where " + " or ".join(self.except_where)
        if self.assumptions:
            out += " (assumes " + ", ".join(self.assumptions) + ")"
        return out

    def __str__(self) -> str:
        head = f"{self.a}  vs  {self.b}:"
        if self.shipped is not None:
            head += f" as shipped {self.shipped.line()}; update rules {self.rule_line()}"
        else:
            head += f" {self.rule_line()}"
        lines = [head]
        if self.shipped is not None:
            lines += ["(a) the profiles as shipped (each with its own defaults, the same lr given to both):"]
            lines += ["  " + ln for ln in self.shipped.describe()]
            lines.append("(b) the update rules with shared hyperparameters: " + self.rule_line())
        ind = "  "
        if self.map:
            lines.append(ind + "map: " + ", ".join(f"{k} = {v}" for k, v in self.map.items()))
        if self.shift:
            lines.append(ind + f"shift: {self.shift}")
        if self.conditions:
            lines.append(ind + "only when: " + "; ".join(self.conditions))
        if self.first_difference:
            lines.append(ind + f"first differing step: {self.first_difference}")
        if self.witness:
            lines.append(ind + "witness: " + _witness_text(self.witness))
        if self.except_where and self.exception_witness:
            lines.append(ind + f"on {' or '.join(self.except_where)}: " + _witness_text(self.exception_witness))
        if self.lr_witness:
            lines.append(ind + "with a changing lr: " + _witness_text(self.lr_witness))
        lines.append(ind + f"symbolic: {self.symbolic}")
        if self.claimed and self.kind == "inconclusive":
            lines.append(ind + f"symbolic verdict {self.claimed.upper()}, contradicted by the numbers: {self.reason}")
        if self.numeric:
            lines.append(ind + "kernels: " + ", ".join(f"{k} = {v}" for k, v in self.numeric.items()))
        return "\n".join(lines)


@dataclass
class Shipped:
    """Question (a): the two profiles as shipped, under a constant and a changing lr."""

    kind: str  # identical | conditional (constant lr only) | different | inconclusive
    constant_lr: dict
    changing_lr: dict
    defaults_differ: dict
    lr: float | None
    conditions: list = field(default_factory=list)
    checked: str = ""

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def line(self) -> str:
        if self.kind == "different":
            return f"DIFFERENT from step {self.constant_lr['first_difference']}"
        if self.kind == "conditional":
            return "IDENTICAL only with a constant lr"
        return self.kind.upper()

    def describe(self) -> list[str]:
        out = []
        for label, part in (("constant lr", self.constant_lr), (f"changing lr ({CHANGING_LR})", self.changing_lr)):
            line = f"{label}: {part['kind'].upper()}"
            if part.get("first_difference"):
                line += f" from step {part['first_difference']}"
            if part.get("reason"):
                line += f" ({part['reason']})"
            out.append(line)
            if part.get("witness"):
                out.append("  witness: " + _witness_text(part["witness"]))
        if self.defaults_differ:
            out.append("defaults that differ: " + "; ".join(f"{k} {a} vs {b}" for k, (a, b) in self.defaults_differ.items()))
        out.append(f"checked: {self.checked}")
        return out


def _witness_text(w: dict) -> str:
    parts = [f"g = {w['stream']}", f"x_0 = {w['x_0']}"]
    if w.get("on"):
        parts.insert(0, w["on"])
    if w.get("lrs"):
        parts.append(f"lr_k = {w['lrs']}")
    for side in ("A", "B"):
        hv = w.get(f"hyperparameters ({side})")
        if hv:
            parts.append(f"{side}: " + ", ".join(f"{k} = {v}" for k, v in hv.items()))
    k = w["step"]
    parts.append(f"x_{k} (A) = {w['x_A']}, x_{k} (B) = {w['x_B']}")
    parts.append("exact" if w.get("exact") else f"{HP_DPS}-digit evaluation")
    return "; ".join(parts)


def _switch_off(alg: Algorithm, names, pinned=None) -> Algorithm:
    """The same algorithm with the hyperparameters ``names`` replaced by 0, and those given
    explicitly in ``pinned`` by their exact values, in its equations."""
    from dataclasses import replace as dc_replace

    from ..spec import Assign, StateVar

    zero = {sym(n): 0 for n in names}
    zero.update({sym(k): _rational(v) for k, v in (pinned or {}).items()})
    ups = tuple(Assign(a.target, sp.sympify(a.expr).subs(zero), a.note) for a in alg.updates)
    ups = tuple(a for a in ups if not (a.target == "g" and a.expr == g) and
                not (a.target == "x" and a.expr == x))
    states = tuple(StateVar(v.name, v.latex, v.doc, sp.sympify(v.init).subs(zero), v.scalar) for v in alg.states)
    look = alg.program.lookahead.subs(zero) if alg.program.lookahead is not None else None
    return Algorithm(alg.spec, alg.profile, alg.switches, alg.values,
                     dc_replace(alg.program, states=states, updates=ups, lookahead=look))


def _relations(alg: Algorithm) -> set:
    return {r for a in alg.updates for r in sp.sympify(a.expr).atoms(sp.Rel)
            if isinstance(r, (sp.StrictGreaterThan, sp.GreaterThan, sp.StrictLessThan, sp.LessThan))}


def _strict(r):
    if isinstance(r, sp.GreaterThan):
        return sp.StrictGreaterThan(r.lhs, r.rhs, evaluate=False)
    if isinstance(r, sp.LessThan):
        return sp.StrictLessThan(r.lhs, r.rhs, evaluate=False)
    return r


def _relax_strictness(A: Algorithm, B: Algorithm):
    """Where A and B compare the same quantities with different strictness (``>`` against
    ``>=``), both with the strict comparison, and the equality sets where they may differ."""
    from dataclasses import replace as dc_replace

    from ..spec import Assign

    ra, rb = _relations(A), _relations(B)
    sa, sb = {_strict(r): r for r in ra}, {_strict(r): r for r in rb}
    differ = [k for k in sa if k in sb and type(sa[k]) is not type(sb[k])]
    if not differ:
        return A, B, [], []

    def relax(alg):
        ups = tuple(Assign(a.target, sp.sympify(a.expr).replace(
            lambda e: isinstance(e, (sp.GreaterThan, sp.LessThan)), _strict), a.note) for a in alg.updates)
        return Algorithm(alg.spec, alg.profile, alg.switches, alg.values, dc_replace(alg.program, updates=ups))

    sets = sorted({f"{k.lhs} = {k.rhs}" for k in differ})
    return relax(A), relax(B), sets, differ


def _resolve(side, switches=None, values=None) -> tuple[Algorithm, str]:
    if isinstance(side, Algorithm):
        return side, f"{side.spec.name}:{side.profile}"
    if not isinstance(side, str):
        raise OptmathTypeError(f"a side must be 'name[:profile]' or an Algorithm, not {type(side).__name__}")
    name, _, profile = side.partition(":")
    alg = get_spec(name.strip()).resolve(profile.strip() or "paper", switches or {}, **(values or {}))
    return alg, f"{alg.spec.name}:{alg.profile}"


def _hyper_symbols(alg: Algorithm, suffix: str) -> dict:
    out = {}
    for h in alg.spec.hypers:
        if h.name == "lr":
            continue
        out[sym(h.name)] = symbol(h.name + suffix, default_domain(h.name)) if suffix else symbol(h.name)
    return out


def trajectory(alg: Algorithm, K: int, gs, x0, suffix: str = "", lrs=None, vary: dict | None = None):
    """Iterates ``x_0..x_K`` and gradient points of ``alg`` for the stream ``gs`` (symbolic)."""
    hs = _hyper_symbols(alg, suffix)
    lr_sym = symbol("lr" + suffix) if suffix and lrs is None else symbol("lr")
    env = {sym(v.name): sp.sympify(v.init).subs(hs) for v in alg.states}
    cur = x0
    xs, points = [x0], []
    for k in range(1, K + 1):
        local = dict(env)
        local[x] = cur
        local[t] = sp.Integer(k)
        local[lr] = lrs[k - 1] if lrs is not None else lr_sym
        local[g] = gs[k - 1]
        step_h = dict(hs)
        for name, f in (vary or {}).items():
            step_h[sym(name)] = (f.subs(t, k).subs(hs) if isinstance(f, sp.Basic) else f)
        look = alg.program.lookahead
        points.append(cur if look is None else look.subs(step_h).subs(local, simultaneous=True))
        for a in alg.updates:
            val = a.expr.subs(step_h).subs(local, simultaneous=True)
            local[sym(a.target)] = val
            if a.target == "g":
                local[g] = val
        env = {sym(v.name): local[sym(v.name)] for v in alg.states}
        cur = local[x]
        xs.append(cur)
    return xs, points


_LAMBDAS: dict = {}


def _lambda(args, expr):
    key = (tuple(args), expr)
    f = _LAMBDAS.get(key)
    if f is None:
        if len(_LAMBDAS) > 4096:
            _LAMBDAS.clear()
        f = _LAMBDAS[key] = sp.lambdify(args, expr, "mpmath", dummify=True)
    return f


def _zero(expr, n=12, seed=0, fixed=None) -> bool:
    """Zero at ``n`` random rational points of every symbol's domain, at 60 digits (the first
    nonzero value decides at once; NaN, an infinity, a complex value or an evaluation error
    counts as nonzero).  ``fixed`` maps symbols to expressions of the others (a map or a
    condition), evaluated at each point instead of being drawn: the same as substituting
    them first, without rewriting a large expression."""
    expr = sp.sympify(expr)
    if expr == 0:
        return True
    fixed = {k: sp.sympify(v) for k, v in (fixed or {}).items()}
    # resolve chains (B's eps_B -> eps, and a condition eps -> 0) before evaluating
    for _ in range(3):
        fixed = {k: v.subs(fixed) for k, v in fixed.items()}
    fixed = {k: v for k, v in fixed.items() if k in expr.free_symbols}
    drawn = (expr.free_symbols - set(fixed)) | set().union(*[v.free_symbols for v in fixed.values()])
    drawn = sorted(drawn, key=str)
    keys = sorted(fixed, key=str)
    f = _lambda(drawn + keys, expr)
    fx = [_lambda(drawn, fixed[k]) for k in keys]
    with mpmath.workdps(DIGITS):
        for pt in sample(drawn, n, seed):
            args = [mpmath.mpf(pt[s].p) / pt[s].q for s in drawn]
            try:
                args = args + [fk(*args) for fk in fx]
                v = f(*args)
                if isinstance(v, (bool, np.bool_)):
                    return False
                v = mpmath.mpmathify(v)
            except (ZeroDivisionError, TypeError, ValueError, OverflowError, AttributeError):
                return False
            if not mpmath.isfinite(v) or abs(v) > 1e-40:
                return False
    return True


def _polynomial_equations(diffs, gs, x0):
    # only a difference that is polynomial in the gradients and x_0 gives coefficient equations;
    # anything else (a root or a maximum of the gradients) is refused before the costly expand
    for d in diffs:
        num = sp.numer(sp.together(d))
        if not num.is_polynomial(*gs, x0):
            return None
    eqs = []
    for d in diffs:
        num = sp.numer(sp.together(sp.expand(d)))
        try:
            poly = sp.Poly(sp.expand(num), *gs, x0)
        except sp.PolynomialError:
            return None
        eqs.extend(c for c in poly.coeffs() if c != 0)
    return eqs


def equivalence(a, b, *, steps: int = 3, varying_lr: bool = False, keep=(), a_switches=None,
                b_switches=None, a_values=None, b_values=None, check_steps: int = 400,
                seed: int = 0, shipped_too: bool = True) -> Equivalence:
    """Compare two formulations (``"momentum:pytorch"``, ``"nesterov:paper"``, Algorithms).

    Answers both questions of the module doc: ``kind`` (and ``map``, ``conditions``, ...) for
    the update rules with shared hyperparameters, and ``shipped`` (unless ``shipped_too`` is
    false) for the profiles as shipped.

    A hyperparameter of :data:`NEUTRAL` (``eps``, ``eps_root``, ``wd``, ``damp``, ``acc0``,
    ``lr_decay``, ``s0``) that is 0 in both configurations (PyTorch's ``weight_decay``,
    ``dampening``) is switched off, as it is in the code being compared, unless it is named
    in ``keep`` (``keep=("damp",)`` asks about dampening; one that is nonzero on a side is kept
    anyway).  Any other hyperparameter (``lr``, ``b1``, ...) is always kept symbolic: naming it
    in ``keep`` would change nothing and is a :class:`DomainError`.  ``varying_lr`` gives every step its
    own learning rate ``lr_1, lr_2, ...``.

    >>> r = equivalence("adamw:pytorch", "adamw:paper", steps=2, shipped_too=False)
    >>> r.kind, r.map, r.assumptions
    ('reparameterisation', {'wd_B': 'lr*wd'}, ['constant lr'])
    """
    if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= 6:
        raise DomainError(f"steps = {steps!r} must be an integer in [1, 6]")
    if not isinstance(check_steps, int) or isinstance(check_steps, bool) or not 10 <= check_steps <= 100_000:
        raise DomainError(f"check_steps = {check_steps!r} must be an integer in [10, 100000]")
    A0, an = _resolve(a, a_switches, a_values)
    B0, bn = _resolve(b, b_switches, b_values)
    if "d" in A0.free_names() | B0.free_names():
        raise DomainError("vector-level optimizers (AdamP) are not compared coordinate-wise")
    if isinstance(keep, str) or not all(isinstance(n, str) for n in keep):
        raise OptmathTypeError(f"keep = {keep!r} must be a list of hyperparameter names")
    # only a NEUTRAL hyperparameter is ever switched off (where it is 0 on both sides); keeping
    # any other name would change nothing, so it is refused rather than accepted as a no-op
    for n in keep:
        if n not in A0.values and n not in B0.values:
            raise UnknownNameError("hyperparameter to keep", n, set(A0.values) | set(B0.values))
        if n not in NEUTRAL:
            can = sorted(m for m in NEUTRAL if m in A0.values or m in B0.values)
            raise DomainError(f"keeping {n} makes no difference: {n} is always kept symbolic; only "
                              f"{', '.join(can) or 'none'} can be switched off (where 0 on both sides) and kept")
    gs = sp.symbols(f"g_1:{steps + 1}", real=True)
    x0 = sp.Symbol("x_0", real=True)
    lrs = sp.symbols(f"lr_1:{steps + 1}", positive=True) if varying_lr else None
    off = {n for n in NEUTRAL if A0.values.get(n, 0) == 0 and B0.values.get(n, 0) == 0
           and n not in keep and (n in A0.values or n in B0.values)}
    A1, B1, except_where, relations = _relax_strictness(A0, B0)
    A = _switch_off(A1, off, a_values)
    B = _switch_off(B1, off, b_values)
    xa, pa = trajectory(A, steps, gs, x0, "", lrs)
    xb, pb = trajectory(B, steps, gs, x0, "_B", lrs)
    hb = {s: symbol(str(s) + "_B", default_domain(str(s))) for s in _hyper_symbols(B, "")}
    if lrs is None:
        hb[symbol("lr")] = symbol("lr_B")
    identity = {bs: symbol(str(bs)[:-2], default_domain(str(bs)[:-2])) for bs in hb.values()}
    res = Equivalence(an, bn, "different", steps=steps, except_where=except_where)

    if all(_zero(xa[k] - xb[k], fixed=identity) for k in range(1, steps + 1)):
        res.kind, res.symbolic = "identical", f"x_k^A - x_k^B = 0 for k = 1..{steps} with the same hyperparameters"
    else:
        if A.program.lookahead is not None and all(_zero(pa[k - 1] - xb[k - 1], fixed=identity)
                                                   for k in range(1, steps + 1)):
            res.kind, res.shift = "shift", f"x^B_t = {A.program.lookahead} of A (A's gradient point)"
        elif B.program.lookahead is not None and all(_zero(xa[k - 1] - pb[k - 1], fixed=identity)
                                                     for k in range(1, steps + 1)):
            res.kind, res.shift = "shift", f"x^A_t = {B.program.lookahead} of B (B's gradient point)"
        if res.kind == "shift":
            res.symbolic = f"gradient points agree with the other's iterates for k = 1..{steps}"
    if res.kind == "different":
        _try_map(res, xa, xb, gs, x0, hb, identity, steps)
    if res.kind == "different":
        _single_solves(res, xa, xb, hb, identity, steps)
    if res.kind == "different":
        _try_conditions(res, A, B, xa, xb, gs, x0, identity, steps, lrs)
    if except_where:
        res.symbolic += (f"; the comparisons {', '.join(str(r) for r in relations)} are taken as strict on both "
                         f"sides, so the verdict holds except where {' or '.join(except_where)}")
    Bs = _shared(A0, B0, set(b_values or {}))  # B's values in question (b)
    if not varying_lr and res.kind != "different":
        _constant_lr_assumption(res, A, B, A0, Bs, gs, x0, identity, steps)
    _witnesses(res, A, B, A0, Bs, steps, varying_lr, relations)
    res.claimed = res.kind
    _confirm(res, A0, Bs, off, check_steps, seed, varying_lr)
    if shipped_too:
        res.shipped = shipped(A0, B0, steps=steps, seed=seed)
    return res


def _try_renaming(res, xa, xb, free_b, identity, steps):
    """Maps that match B's unmatched hyperparameters to A's of the same kind (decay, scale)."""
    free_a = set().union(*[e.free_symbols for e in xa[1:]])
    unmatched_b = [s for s in free_b if identity[s] not in free_a]
    unmatched_a = [s for s in free_a if str(s) + "_B" not in {str(b) for b in free_b}
                   and isinstance(s, sp.Symbol) and not str(s).startswith(("g_", "x_", "lr_"))]
    if not unmatched_b or len(unmatched_b) > 3:
        return False
    for perm in itertools.permutations(unmatched_a, len(unmatched_b)):
        sub = {**identity, **dict(zip(unmatched_b, perm))}
        if all(default_domain(str(bs)[:-2]) == default_domain(str(a)) for bs, a in zip(unmatched_b, perm)) and \
                all(_zero(xa[k] - xb[k], fixed=sub) for k in range(1, steps + 1)):
            res.kind = "reparameterisation"
            res.map = {str(bs): str(a) for bs, a in zip(unmatched_b, perm)}
            res.symbolic = (f"with {', '.join(f'{k} = {v}' for k, v in res.map.items())} the iterates agree "
                            f"for k = 1..{steps} (at random rational points of every symbol)")
            return True
    return False


def _try_map(res, xa, xb, gs, x0, hb, identity, steps):
    free_b = set().union(*[e.free_symbols for e in xb]) & set(hb.values())
    if not free_b:
        return
    eqs = _polynomial_equations([xa[k] - xb[k] for k in range(1, steps + 1)], gs, x0)
    if not eqs:
        _try_renaming(res, xa, xb, free_b, identity, steps)
        return
    try:
        with time_limit(10 * SOLVE_SECONDS):
            sols = sp.solve(eqs, sorted(free_b, key=str), dict=True)
    except (TimeLimitExceeded, NotImplementedError, ValueError):
        return
    for sol in sols:
        free = sorted(free_b - set(sol), key=str)  # a family: these stay free
        full = {s: sol.get(s, s) for s in free_b}
        generic = {**{s: v.subs({f: identity[f] * sp.Rational(17, 10) for f in free}) for s, v in full.items()},
                   **{f: identity[f] * sp.Rational(17, 10) for f in free}}
        if not all(_zero(xa[k] - xb[k], fixed=generic) for k in range(1, steps + 1)):
            continue
        nontrivial = {str(k): str(sp.simplify(v)) for k, v in sorted(sol.items(), key=lambda kv: str(kv[0]))}
        if free:
            nontrivial["free"] = ", ".join(str(f) for f in free)
        if not free and all(sp.simplify(v - identity[k]) == 0 for k, v in full.items()):
            res.kind, res.symbolic = "identical", "the only solution of the coefficient equations is the identity"
        else:
            res.kind, res.map = "reparameterisation", nontrivial
            res.symbolic = (f"coefficients of every monomial in g_1..g_{steps}, x_0 vanish for k = 1..{steps} "
                            f"exactly under the map")
        return


def _single_solves(res, xa, xb, hb, identity, steps):
    """Solve step 1 for one hyperparameter at a time (B's: a map; A's: a condition), within a
    time limit, and keep a solution only if it makes every checked step agree."""
    d1 = xa[1] - xb[1].subs(identity)
    gsyms = set(sp.symbols(f"g_1:{steps + 1}", real=True))
    cands = [(bs, "map") for bs in sorted(set(hb.values()) & xb[1].free_symbols, key=str)]
    cands += [(s_, "condition") for s_ in sorted(d1.free_symbols, key=str)
              if not str(s_).startswith(("g_", "x_", "lr_")) and str(s_) not in ("lr",)]
    for s_, role in cands:
        expr = xa[1] - xb[1].subs({k: v for k, v in identity.items() if k != s_})
        try:
            with time_limit(SOLVE_SECONDS):
                sols = sp.solve(expr, s_)
        except (TimeLimitExceeded, NotImplementedError, ValueError, TypeError):
            continue
        for v in sols:
            if v.free_symbols & gsyms or v.has(sp.Symbol("x_0", real=True)):
                continue
            if not v.is_real and v.is_real is not None:
                continue
            if role == "map":
                sub = {k: val for k, val in identity.items() if k != s_}
                sub[s_] = v
            else:
                sub = {**identity, s_: v}
            if not all(_zero(xa[k] - xb[k], fixed=sub) for k in range(1, steps + 1)):
                continue
            if role == "map":
                res.kind, res.map = "reparameterisation", {str(s_): str(sp.simplify(v))}
            else:
                res.kind, res.conditions = "conditional", [f"{s_} = {sp.simplify(v)}"]
            res.symbolic = (f"solving step 1 for {s_} gives {sp.simplify(v)}; with it the iterates "
                            f"agree for k = 1..{steps}")
            return


def _condition_candidates(A, B, base_syms, lrs):
    cands = []
    if lrs is not None:
        lr_c = symbol("lr")
        cands.append(({lr_i: lr_c for lr_i in lrs}, "constant lr"))
    for n in sorted({str(s) for s in base_syms} & set(NEUTRAL)):
        cands.append(({symbol(n): NEUTRAL[n]}, f"{n} = 0"))
    # a hyperparameter that only A has may be a constant that B hard-codes (NAdam's psi = 1)
    only_a = sorted({str(s_) for s_ in base_syms} & (A.free_names() - B.free_names()) - set(NEUTRAL))
    for n in only_a:
        cands.append(({symbol(n): 1}, f"{n} = 1"))
    for (s1, d1), (s2, d2) in itertools.combinations(list(cands), 2):
        cands.append(({**s1, **s2}, f"{d1} and {d2}"))
    return cands


def _try_conditions(res, A, B, xa, xb, gs, x0, identity, steps, lrs):
    base_syms = set().union(*[(xa[k] - xb[k].subs(identity)).free_symbols for k in range(1, steps + 1)])
    for sub, desc in _condition_candidates(A, B, base_syms, lrs):
        if all(_zero(xa[k] - xb[k], fixed={**identity, **sub}) for k in range(1, steps + 1)):
            res.kind = "conditional"
            res.conditions.append(desc)
    if res.kind == "conditional":
        single = [c for c in res.conditions if " and " not in c]
        res.conditions = single or res.conditions[:1]
        res.symbolic = f"x_k^A - x_k^B vanishes for k = 1..{steps} exactly when " + " or ".join(res.conditions)
    # a time-varying relation for one of B's hyperparameters (same states, one-step comparison)
    rel = _time_varying_relation(A, B)
    if rel is not None:
        name, f = rel
        xb2, _ = trajectory(B, steps, gs, x0, "", lrs, vary={name: f})
        if all(_zero(xa[k] - xb2[k]) for k in range(1, steps + 1)):
            res.kind = "conditional"
            res.conditions.append(f"{name}_B at step t = {f}")
            res.symbolic = ((res.symbolic + "; ") if res.symbolic else "") + (
                f"one step with symbolic t and states gives {name}_B = {f}, and with it the iterates "
                f"agree for k = 1..{steps}")


def _time_varying_relation(A, B):
    """Solve one step of equal states for a B hyperparameter as a function of t."""
    if [v.name for v in A.states] != [v.name for v in B.states]:
        return None
    sa = {a.target: a.expr for a in A.updates if a.target in {v.name for v in A.states}}
    sb = {a.target: a.expr for a in B.updates if a.target in {v.name for v in B.states}}
    if any(not simplifies_to_zero(sa[k] - sb.get(k, sp.nan)) for k in sa):
        return None

    def increment(alg, override=None):
        local = {x: x}
        for a in alg.updates:
            e = a.expr.subs(override or {})
            local[sym(a.target)] = e.subs({k: v for k, v in local.items() if k != sym(a.target) or a.target != "x"})
        inc = local[x] - x
        try:  # a simpler form helps the solve below; without it the solve sees the raw increment
            with time_limit(SOLVE_SECONDS):
                return sp.simplify(inc)
        except TimeLimitExceeded:
            return inc

    da = increment(A)
    for h in B.spec.hypers:
        if not h.name.startswith("eps") or h.name not in B.free_names():
            continue
        hb = sp.Symbol(h.name + "_B", positive=True)
        db = increment(B, {sym(h.name): hb})
        if db.has(hb):
            try:
                with time_limit(RELATION_SECONDS):
                    sol = sp.solve(sp.Eq(da, db), hb)
            except (TimeLimitExceeded, NotImplementedError, ValueError):
                continue
            if len(sol) == 1 and sol[0].has(t):
                # propose a simple form (forcing sqrt(a) sqrt(b) = sqrt(ab)); the caller verifies
                # it on the trajectories, so forcing cannot produce a wrong verdict
                f = sp.powsimp(sp.powdenest(sp.expand(sol[0]), force=True), force=True)
                try:
                    with time_limit(RELATION_SECONDS):
                        f = sp.simplify(f)
                except TimeLimitExceeded:
                    pass
                return h.name, f
    return None


def _rational(v) -> sp.Rational:
    if isinstance(v, sp.Basic):
        return v
    return sp.nsimplify(repr(float(v)), rational=True)


# ---------------------------------------------------------------------------------------------
# streams, runs and first differences

def check_streams(T: int, seed: int = 0) -> np.ndarray:
    """The ``(T, 8)`` streams every numeric check runs on: four random (normal, mean 0.3), a
    constant one, signs alternating with magnitudes from 1e-6 to 1e3, a sparse one (1e-3 with a
    spike of 1 every 50 steps) and one of tiny gradients (1e-8 scale, where eps dominates)."""
    rng = np.random.default_rng(seed)
    G = np.empty((T, 8))
    G[:, :4] = rng.normal(0.3, 1.0, size=(T, 4))
    G[:, 4] = 1.0
    G[:, 5] = np.where(np.arange(T) % 2 == 0, 1.0, -1.0) * 10.0 ** rng.uniform(-6, 3, size=T)
    G[:, 6] = np.where(np.arange(1, T + 1) % 50 == 0, 1.0, 1e-3)
    G[:, 7] = 1e-8 * rng.normal(0.3, 1.0, size=T)
    return G


def _changing_lrs(lr0: float, T: int) -> np.ndarray:
    return float(lr0) / np.arange(1, T + 1, dtype=np.float64)


def _first_differences(xa, xb, rel: float) -> np.ndarray:
    """Per lane, the first step whose iterates differ by more than ``rel`` of the running scale
    (0 where they never do)."""
    xa, xb = np.asarray(xa, dtype=np.float64), np.asarray(xb, dtype=np.float64)
    n = min(len(xa), len(xb))
    xa, xb = xa[:n], xb[:n]
    scale = np.maximum(np.maximum.accumulate(np.maximum(np.abs(xa), np.abs(xb)), axis=0), 1e-300)
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(xa - xb) <= rel * scale)
    bad[0] = False
    first = np.where(bad.any(axis=0), bad.argmax(axis=0), 0)
    return first


def _hp_runs(Av, Bv, G, lrs, x0=0.5):
    from .replay import high_precision_run

    ra = high_precision_run(Av, G, x0, lrs, dps=HP_DPS)
    rb = high_precision_run(Bv, G, x0, lrs, dps=HP_DPS)
    return ra.xs, rb.xs


def _values(alg: Algorithm, over: dict | None = None) -> Algorithm:
    vals = {k: v for k, v in (over or {}).items() if k in alg.values}
    return alg.with_values(**vals) if vals else alg


def _shared(A: Algorithm, B: Algorithm, pinned=()) -> Algorithm:
    """B with every hyperparameter that A also has set to A's value (question b), except those
    the caller pinned on B (part of B's rule, as in the symbolic comparison)."""
    return _values(B, {k: v for k, v in A.values.items() if k in B.values and k not in pinned})


# ---------------------------------------------------------------------------------------------
# witnesses

def _candidate_streams(K: int) -> list[list[float]]:
    out = [[1.0] * K, [-1.0] * K, [2.0] * K, [(-1.0) ** k for k in range(K)], [float(k + 1) for k in range(K)]]
    short = min(K, WITNESS_SEARCH_STEPS)
    for pat in itertools.product((1.0, -1.0, 2.0), repeat=short):
        out.append(list(pat) + [1.0] * (K - short))
    return out


def _pinned(alg: Algorithm, values: dict, keep_lr: bool) -> Algorithm:
    names = [h.name for h in alg.spec.hypers if h.name in values and not (keep_lr and h.name == "lr")]
    return _switch_off(alg, [], {n: values[n] for n in names})


def _exact_iterates(Av, Bv, stream, k, lr_mode, exact_a=None, exact_b=None, x0=0):
    """The exact SymPy iterates at step ``k`` (hyperparameters as the rationals of their
    decimal values, or ``exact_*`` where given), or None past :data:`EXACT_SECONDS`."""
    va = {n: _rational(v) for n, v in Av.values.items()}
    vb = {n: _rational(v) for n, v in Bv.values.items()}
    va.update(exact_a or {})
    vb.update(exact_b or {})
    lra, lrb = va.get("lr", sp.Integer(1)), vb.get("lr", sp.Integer(1))
    gs = [_rational(v) for v in stream[:k]]
    try:
        with time_limit(EXACT_SECONDS):
            if lr_mode == "changing":
                lrs_a = [lra / j for j in range(1, k + 1)]
                lrs_b = [lrb / j for j in range(1, k + 1)]
            else:
                lrs_a, lrs_b = [lra] * k, [lrb] * k
            ea = trajectory(_pinned(Av, va, True), k, gs, sp.Integer(x0), lrs=lrs_a)[0][k]
            eb = trajectory(_pinned(Bv, vb, True), k, gs, sp.Integer(x0), lrs=lrs_b)[0][k]
            diff = sp.N(ea - eb, 2 * WITNESS_DIGITS)
            va_n, vb_n = sp.N(ea, WITNESS_DIGITS), sp.N(eb, WITNESS_DIGITS)
    except (TimeLimitExceeded, TypeError, ValueError, ZeroDivisionError):
        return None
    if not (diff.is_number and diff.is_finite):
        return None
    return va_n, vb_n, diff, va, vb


def _witness_dict(Av, Bv, stream, k, lr_mode, xa_s, xb_s, exact, va=None, vb=None, x0=0) -> dict:
    va = va or {n: _rational(v) for n, v in Av.values.items()}
    vb = vb or {n: _rational(v) for n, v in Bv.values.items()}
    used_a = {h.name for h in Av.hypers}
    used_b = {h.name for h in Bv.hypers}
    return {"step": k, "stream": [int(v) if float(v).is_integer() else repr(float(v)) for v in stream[:k]],
            "x_0": int(x0), "lrs": ("lr/k" if lr_mode == "changing" else None),
            "hyperparameters (A)": {n: str(va[n]) for n in sorted(used_a | {"lr"}) if n in va},
            "hyperparameters (B)": {n: str(vb[n]) for n in sorted(used_b | {"lr"}) if n in vb},
            "x_A": str(xa_s), "x_B": str(xb_s), "exact": bool(exact)}


def find_witness(Av: Algorithm, Bv: Algorithm, lr_mode: str = "constant", horizon: int = 6,
                 seed: int = 0) -> dict | None:
    """The smallest stream (by first differing step, then simplest values) on which ``Av`` and
    ``Bv`` (their values as given) differ, with both iterates at that step: exact where SymPy
    evaluates them within :data:`EXACT_SECONDS`, else from the 60-digit replay.  Streams of
    small integers up to ``horizon`` steps first, then the check streams over
    :data:`SHIPPED_STEPS` steps; None when no stream shows a difference."""
    from .replay import high_precision_run

    for K, streams in ((horizon, None), (SHIPPED_STEPS, check_streams(SHIPPED_STEPS, seed))):
        G = np.array(_candidate_streams(K)).T if streams is None else streams
        n = G.shape[1]
        G = np.concatenate([G, G], axis=1)  # every stream from x_0 = 0 and from x_0 = 1 (weight decay)
        x0 = np.repeat([0.0, 1.0], n)
        lrs = _changing_lrs(Av.values.get("lr", 1.0), G.shape[0]) if lr_mode == "changing" else None
        xa = high_precision_run(Av, G, x0, lrs, dps=HP_DPS).xs
        xb = high_precision_run(Bv, G, x0, lrs, dps=HP_DPS).xs
        first = _first_differences(xa, xb, EQUIV_HP_DIFFER)
        if not first.any():
            continue
        lane = min(np.flatnonzero(first), key=lambda j: (first[j], j))
        k, x0_l = int(first[lane]), int(x0[lane])
        stream = [float(v) for v in G[:k, lane]]
        ex = _exact_iterates(Av, Bv, stream, k, lr_mode, x0=x0_l) if k <= 12 else None
        if ex is not None and ex[2] != 0:
            return _witness_dict(Av, Bv, stream, k, lr_mode, ex[0], ex[1], True, ex[3], ex[4], x0=x0_l)
        return _witness_dict(Av, Bv, stream, k, lr_mode, f"{xa[k, lane]:.17g}", f"{xb[k, lane]:.17g}", False,
                             x0=x0_l)
    return None


def _threshold_witness(A0, B, relations) -> dict | None:
    """An exact stream on the equality set of a comparison whose strictness differs: the
    threshold hyperparameter set to the compared quantity's exact value at the step nearest
    its default, where one side takes the branch and the other does not (``B`` with the
    shared values)."""
    for r in relations:
        if isinstance(r.rhs, sp.Symbol) and str(r.rhs) in A0.values:
            target, quantity = str(r.rhs), r.lhs
        elif isinstance(r.lhs, sp.Symbol) and str(r.lhs) in A0.values:
            target, quantity = str(r.lhs), r.rhs
        else:
            continue
        vals = {n: _rational(v) for n, v in A0.values.items()}
        cands = []
        for k in range(1, THRESHOLD_SEARCH_STEPS + 1):
            local = {sym(n): v for n, v in vals.items() if n != target}
            local[t] = sp.Integer(k)
            states = {v.name for v in A0.states} | {"x", "g"}
            for a in A0.updates:
                if a.target in states:
                    continue
                e = sp.sympify(a.expr).subs(local)
                if not e.free_symbols:
                    local[sym(a.target)] = sp.nsimplify(e)
            q = sp.sympify(quantity).subs(local)
            if q.free_symbols or not q.is_real:
                continue
            cands.append((abs(float(q) - float(A0.values[target])), k, q))
        for _, k, q in sorted(cands, key=lambda c: (c[0], c[1]))[:3]:
            ex = _exact_iterates(A0, B, [1.0] * k, k, "constant", {target: q}, {target: q})
            if ex is not None and ex[2] != 0:
                w = _witness_dict(A0, B, [1.0] * k, k, "constant", ex[0], ex[1], True, ex[3], ex[4])
                w["on"] = f"{target} = {quantity} at step {k} = {q} ({float(q):.12g})"
                return w
    return None


def _agreeing_values(res, A0, B0):
    """(A, B) with the values under which the rule-level verdict says they agree at a constant
    lr: shared values, with the map or the first simple condition applied; None for a verdict
    that names no such values."""
    Av, Bv = A0, B0
    if res.kind == "reparameterisation":
        env = {sp.Symbol(k): v for k, v in A0.values.items()}
        env.update({sp.Symbol(k + "_B"): v for k, v in B0.values.items()})
        free = [f.strip() for f in res.map.get("free", "").split(",") if f.strip()]
        for f in free:  # a generic member of the family, as in the symbolic check
            env[sp.Symbol(f)] = 1.7 * A0.values.get(f[:-2], B0.values.get(f[:-2], 1.0))
        vals = {f[:-2]: env[sp.Symbol(f)] for f in free}
        for k, v in res.map.items():
            if k != "free":
                vals[k[:-2]] = float(sp.sympify(v, locals={str(s): s for s in env}).subs(env))
        return Av, _values(Bv, vals)
    if res.kind == "conditional":
        simple = _simple_conditions(res.conditions)
        if simple:
            return _values(Av, simple[0][1]), _values(Bv, simple[0][1])
        return None
    if res.kind in ("identical", "different"):
        return Av, Bv
    return None


def _simple_conditions(conditions) -> list:
    out = []
    for c in conditions:
        if re.fullmatch(r"[a-z0-9_]+ = -?[\d.]+( and [a-z0-9_]+ = -?[\d.]+)*", c):
            out.append((c, {p.split(" = ")[0].strip(): float(p.split(" = ")[1]) for p in c.split(" and ")}))
    return out


def _violated(A0, on: dict) -> dict:
    # violate a condition visibly: the default value, but at least 1e-3 (a nonzero condition
    # value is halved)
    return {n: max(A0.values.get(n) or 0.1, 1e-3) if v == 0 else 0.5 * v for n, v in on.items()}


def _draw(A0, Bs, rng, keep=()) -> dict:
    """Hyperparameter values away from the defaults (a default of 0 becomes nonzero: PyTorch's
    momentum 0 of RMSprop hides where its lr enters), for a witness the defaults cannot show."""
    unit = default_domain("b1")
    out = {}
    for h in A0.hypers:
        if h.name == "lr" or h.name in keep or h.name not in Bs.values:
            continue
        if default_domain(h.name) == unit:
            out[h.name] = float(f"{rng.uniform(0.5, 0.95):.2g}")
        elif h.default:
            out[h.name] = float(f"{float(h.default) * rng.uniform(0.5, 0.99):.2g}")
        else:
            out[h.name] = float(f"{1e-2 * rng.uniform(1.0, 2.0):.2g}")
    return out


def search_witness(Av: Algorithm, Bv: Algorithm, mode: str = "constant", keep=(), draws: int = 4) -> dict | None:
    """:func:`find_witness` at the given values, else at up to ``draws`` random values of the
    shared hyperparameters (those named in ``keep`` stay as given)."""
    w = find_witness(Av, Bv, mode)
    rng = np.random.default_rng(0)
    for _ in range(draws if w is None else 0):
        d = _draw(Av, Bv, rng, keep)
        try:
            Ad, Bd = _values(Av, d), _values(Bv, d)
        except Exception:  # noqa: BLE001 - a draw outside a domain is skipped
            continue
        w = find_witness(Ad, Bd, mode)
        if w is not None:
            break
    return w


def _witnesses(res, A, B, A0, Bs, steps, varying_lr, relations):
    mode = "changing" if varying_lr else "constant"
    w = None
    if res.kind == "different":
        w = search_witness(A0, Bs, mode)
        if w is not None:
            res.symbolic = (res.symbolic + "; " if res.symbolic else "") + (
                f"no map or condition makes x_k^A = x_k^B; first difference at step {w['step']}")
        else:
            res.symbolic = (res.symbolic + "; " if res.symbolic else "") + (
                "the iterates differ symbolically, but no stream or values tried show it")
    elif res.kind == "conditional":
        simple = _simple_conditions(res.conditions)
        if "constant lr" in res.conditions:
            w = search_witness(A0, Bs, "changing")
        elif simple:
            off = _violated(A0, simple[0][1])
            w = search_witness(_values(A0, off), _values(Bs, off), mode, keep=tuple(off))
        else:  # a time-varying relation: without it (B's hyperparameter plain) they differ
            w = search_witness(A0, Bs, mode)
    if w is not None:
        res.witness, res.first_difference = w, w["step"]
    if relations:
        res.exception_witness = _threshold_witness(A0, Bs, relations)


def _constant_lr_assumption(res, A, B, A0, B0, gs, x0, identity, steps):
    """Whether the verdict reached with one constant lr survives a changing lr; if not,
    ``constant lr`` joins the assumptions, with a witness."""
    lrs = sp.symbols(f"lr_1:{steps + 1}", positive=True)
    xa, pa = trajectory(A, steps, gs, x0, "", lrs)
    xb, pb = trajectory(B, steps, gs, x0, "_B", lrs)
    ident = {k: v for k, v in identity.items() if str(k) != "lr_B"}
    holds = False
    if res.kind == "identical":
        holds = all(_zero(xa[k] - xb[k], fixed=ident) for k in range(1, steps + 1))
    elif res.kind == "shift":
        ok_a = all(_zero(pa[k - 1] - xb[k - 1], fixed=ident) for k in range(1, steps + 1))
        ok_b = all(_zero(xa[k - 1] - pb[k - 1], fixed=ident) for k in range(1, steps + 1))
        holds = ok_a or ok_b
    elif res.kind == "reparameterisation":
        others_use_lr = any("lr" in re.findall(r"[A-Za-z_]\w*", v) for k, v in res.map.items()
                            if k not in ("lr_B", "free"))
        if "free" in res.map:
            holds = True  # a family: which member a changing lr needs is not derived here
        elif not others_use_lr:
            loc = {str(s): s for s in identity.values()}
            if "lr_B" in res.map:  # the map applied at every step: lr_B,k = map(lr_k)
                f = sp.sympify(res.map["lr_B"], locals=loc)
                xb = trajectory(B, steps, gs, x0, "_B", [f.subs(symbol("lr"), lr_k) for lr_k in lrs])[0]
            names = {str(s): s for e in xb[1:] for s in e.free_symbols}
            fixed = dict(ident)
            for k, v in res.map.items():
                if k not in ("free", "lr_B") and k in names:
                    fixed[names[k]] = sp.sympify(v, locals=loc)
            holds = all(_zero(xa[k] - xb[k], fixed=fixed) for k in range(1, steps + 1))
    elif res.kind == "conditional":
        for _, on in _simple_conditions(res.conditions):
            sub = {**ident, **{symbol(n): sp.nsimplify(v) for n, v in on.items()}}
            if all(_zero(xa[k] - xb[k], fixed=sub) for k in range(1, steps + 1)):
                holds = True
        if not _simple_conditions(res.conditions):
            holds = True  # a time-varying relation is stated per step; not re-derived here
    if not holds:
        res.assumptions.append("constant lr")
        agreeing = _agreeing_values(res, A0, B0)
        if agreeing is not None:
            res.lr_witness = search_witness(*agreeing, "changing")


# ---------------------------------------------------------------------------------------------
# the numeric check

def _measure(Av, Bv, G, sched):
    """Kernel scaled difference of ``Av`` and ``Bv`` over the streams ``G`` (None when a kernel
    refuses a value)."""
    from ..errors import OptmathError
    from ..kernels.runner import run
    from .tolerances import scaled_difference

    try:
        d = scaled_difference(run(Bv, G, x0=0.5, schedule=sched).xs, run(Av, G, x0=0.5, schedule=sched).xs)
        d = float(f"{d:.3g}")
    except OptmathError:
        d = None
    return d


def _hp_measure(Av, Bv, G, sched):
    n = min(HP_STEPS, G.shape[0])
    lrs = None if isinstance(sched, str) else np.asarray(sched)[:n]
    xa, xb = _hp_runs(Av, Bv, G[:n], lrs)
    from .tolerances import scaled_difference

    if not (np.all(np.isfinite(xa)) and np.all(np.isfinite(xb))):
        return None
    return float(f"{scaled_difference(xb, xa):.3g}")


def _found(d, hp):
    if hp is not None:
        return "agree" if hp <= EQUIV_HP_AGREE else "differ" if hp >= EQUIV_HP_DIFFER else "undecided"
    if d is None:
        return "undecided"
    return "agree" if d <= EQUIV_AGREE else "differ" if d >= EQUIV_DIFFER else "undecided"


def _confirm(res, A0, B0, off, T, seed, varying_lr):
    """Kernel runs on random and adversarial streams: each claim of the verdict (agree with
    the map or under the conditions, differ where a condition fails or the verdict says
    different) is measured; a kernel difference too small to decide is replayed at 60 digits.
    A contradicted claim makes the verdict INCONCLUSIVE."""
    if res.kind == "shift":
        res.numeric = {"note": "kernels record iterates, not gradient points; checked symbolically"}
        return
    G = check_streams(T, seed)
    changing = _changing_lrs(A0.values.get("lr", 1.0), T)
    sched = changing if varying_lr else "constant"
    Bs = B0
    claims = []  # (numeric key, A, B, schedule, expected)
    w = res.witness
    if w is not None:  # a claim that they differ is measured at the witness's values and lr
        wa, wb = ({k: float(sp.Rational(v)) for k, v in w[f"hyperparameters ({s_})"].items()} for s_ in "AB")
        Aw, Bw = _values(A0, wa), _values(Bs, wb)
        wsched = changing if w.get("lrs") else "constant"
    if res.kind in ("identical", "reparameterisation"):
        Av, Bv = _agreeing_values(res, A0, B0)
        claims.append(("max_scaled_difference", Av, Bv, sched, "agree"))
    elif res.kind == "different":
        claims.append(("max_scaled_difference", Aw, Bw, wsched, "differ") if w is not None else
                      ("max_scaled_difference", A0, Bs, sched, "differ"))
    elif res.kind == "conditional":
        simple = _simple_conditions(res.conditions)
        if "constant lr" in res.conditions:
            claims.append(("constant_lr", A0, Bs, "constant", "agree"))
            claims.append(("decaying_lr", *((Aw, Bw) if w is not None else (A0, Bs)), changing, "differ"))
        elif simple:
            on = simple[0][1]
            offv = _violated(A0, on)
            label = " and ".join(f"{k} = {v:g}" for k, v in on.items())
            label_off = " and ".join(f"{k} = {v:g}" for k, v in offv.items())
            claims.append((f"with {label}", _values(A0, on), _values(Bs, on), sched, "agree"))
            claims.append((f"with {label_off}", *((Aw, Bw) if w is not None else (_values(A0, offv), _values(Bs, offv))),
                           wsched if w is not None else sched, "differ"))
        else:
            claims.append(("without the relation", *((Aw, Bw) if w is not None else (A0, Bs)),
                           wsched if w is not None else sched, "differ"))
    res.numeric = {"steps": T, "streams": G.shape[1]}
    bad, beyond = [], None
    for key, Av, Bv, sc, expect in claims:
        d = _measure(Av, Bv, G, sc)
        hp = None
        if d is None or _found(d, None) != expect:
            hp = _hp_measure(Av, Bv, G, sc)
        found = _found(d, hp)
        res.numeric[key] = d if d is not None else "kernel error"
        entry = {"claim": key, "expected": expect, "kernels": d, "digits_60": hp, "found": found,
                 "ok": found == expect}
        res.checks.append(entry)
        if hp is not None:
            res.numeric[f"{key} (60 digits, {min(HP_STEPS, T)} steps)"] = hp
        if found != expect:
            bad.append(f"{key}: expected to {expect}, found {found} (kernels {d}, 60 digits {hp})")
            if expect == "agree" and found == "differ" and beyond is None:
                beyond = (Av, Bv, "constant" if isinstance(sc, str) else "changing", entry)
    if bad and beyond is not None and len(bad) == 1:
        # agreement was derived for k = 1..steps only: an exact witness past those steps makes
        # the verdict DIFFERENT, the exact evaluation and the kernels agreeing on it
        Av, Bv, mode, entry = beyond
        w = find_witness(Av, Bv, mode)
        if w is not None and w["exact"] and w["step"] > res.steps:
            res.symbolic += (f"; but the exact evaluation differs at step {w['step']}, past the {res.steps} "
                             f"symbolic steps{' (under ' + ' or '.join(res.conditions) + ')' if res.conditions else ''}")
            res.kind, res.witness, res.first_difference = "different", w, w["step"]
            res.conditions, res.map, res.assumptions = [], {}, []
            entry["expected"], entry["ok"] = "differ", True
            return
    if bad:
        res.kind = "inconclusive"
        res.reason = "; ".join(bad)


# ---------------------------------------------------------------------------------------------
# question (a): the profiles as shipped

def _fmt(v) -> str:
    return f"{float(v):g}"


def shipped(a, b, *, steps: int = 3, seed: int = 0, a_switches=None, b_switches=None,
            a_values=None, b_values=None) -> Shipped:
    """Question (a): do the two profiles, each with its own defaults, rules and thresholds,
    compute the same iterates when given the same learning rate?  Under a constant lr and
    under ``lr_k = lr/k``; symbolic over ``steps`` steps (gradients, x_0 and lr symbolic, every
    other value exact), and at 60 digits over :data:`SHIPPED_STEPS` steps on
    :func:`check_streams`."""
    A0, _ = _resolve(a, a_switches, a_values)
    B0, _ = _resolve(b, b_switches, b_values)
    lr0 = A0.values.get("lr") if "lr" in A0.values and "lr" in B0.values else None
    Bs = _values(B0, {"lr": lr0}) if lr0 is not None else B0
    used = sorted({h.name for h in A0.hypers} | {h.name for h in B0.hypers})
    differ = {}
    for n in used:
        va, vb = A0.values.get(n), B0.values.get(n)
        if va != vb:
            differ[n] = [_fmt(va) if va is not None else "absent", _fmt(vb) if vb is not None else "absent"]
    gs = sp.symbols(f"g_1:{steps + 1}", real=True)
    x0 = sp.Symbol("x_0", real=True)
    Ac = _pinned(A0, A0.values, True)
    Bc = _pinned(Bs, Bs.values, True)
    G = check_streams(SHIPPED_STEPS, seed)
    parts = {}
    for mode in ("constant", "changing"):
        lrs_sym = sp.symbols(f"lr_1:{steps + 1}", positive=True) if mode == "changing" else None
        xa = trajectory(Ac, steps, gs, x0, "", lrs_sym)[0]
        xb = trajectory(Bc, steps, gs, x0, "", lrs_sym)[0]
        sym_first = next((k for k in range(1, steps + 1) if not _zero(xa[k] - xb[k])), None)
        lrs = _changing_lrs(lr0 if lr0 is not None else 1.0, SHIPPED_STEPS) if mode == "changing" else None
        ha, hb = _hp_runs(A0, Bs, G, lrs)
        fd = _first_differences(ha, hb, EQUIV_HP_DIFFER)
        num_first = int(fd[fd > 0].min()) if fd.any() else None
        part = {"kind": "identical", "first_difference": None, "witness": None,
                "symbolic_first_difference": sym_first, "numeric_first_difference": num_first}
        if sym_first is None and num_first is None:
            pass
        elif num_first is not None and (sym_first == num_first or (sym_first is None and num_first > steps)):
            part["kind"], part["first_difference"] = "different", num_first
            part["witness"] = find_witness(A0, Bs, mode, horizon=min(max(num_first, 1), 6), seed=seed)
            if part["witness"] is not None:
                part["first_difference"] = min(num_first, part["witness"]["step"])
        else:
            part["kind"] = "inconclusive"
            part["reason"] = (f"symbolic first difference {sym_first}, 60-digit replay first difference "
                              f"{num_first} (over {SHIPPED_STEPS} steps)")
        parts[mode] = part
    c, v = parts["constant"]["kind"], parts["changing"]["kind"]
    if c == "inconclusive" or (c == "identical" and v == "inconclusive"):
        kind, conds = "inconclusive", []
    elif c == "different":
        kind, conds = "different", []
    elif v == "different":
        kind, conds = "conditional", ["constant lr"]
    else:
        kind, conds = "identical", []
    checked = (f"symbolic for k = 1..{steps} (gradients, x_0 and lr symbolic, every other value exact); "
               f"{HP_DPS} digits over {SHIPPED_STEPS} steps on {G.shape[1]} streams")
    return Shipped(kind, parts["constant"], parts["changing"], differ, lr0, conds, checked)


# ---------------------------------------------------------------------------------------------
# the fixed set of pairs the property test and the benchmark cover

#: the profile each frameworks-report comparison starts from (PyTorch's, the paper's where none)
BASE_ORDER = ("pytorch", "paper")


def profile_pairs() -> list[tuple[str, str]]:
    """Every pair of profiles of one spec (coordinate-wise specs), each with the frameworks
    report's base profile (PyTorch's, else the paper's) as ``A`` where the pair has it: this
    includes every pair of the frameworks report."""
    from ..optimizers import REGISTRY

    pairs = []
    for name, spec in REGISTRY.items():
        try:
            alg = spec.resolve("paper" if "paper" in spec.profiles else next(iter(spec.profiles)))
        except Exception:  # noqa: BLE001 - a spec without a resolvable profile has no pairs
            continue
        if "d" in alg.free_names():
            continue
        profiles = list(spec.profiles)
        base = next((p for p in BASE_ORDER if p in profiles), None)
        for p, q in itertools.combinations(profiles, 2):
            if q == base:
                p, q = q, p
            pairs.append((f"{name}:{p}", f"{name}:{q}"))
    return pairs
