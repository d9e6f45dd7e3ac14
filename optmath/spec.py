r"""The core types: hyperparameter, state variable, update equation, convention switch, spec.

An optimizer is declared once as a :class:`Spec`: its hyperparameters with defaults and valid
domains, its named convention switches, the profiles (paper, pytorch, keras, optax, d2l) that
pick a value for every switch and override defaults, and a *builder* that composes named
fragments (see :mod:`optmath.optimizers.fragments`) into the ordered update equations for one
choice of switches.  :meth:`Spec.resolve` turns a spec plus a profile into an
:class:`Algorithm`: concrete equations and hyperparameter values, from which the LaTeX, the
plain-text form, the reference step and the kernel plan are all derived.

Notation inside equations (ASCII names; Greek letters only appear in LaTeX output):

* ``x``  the parameter (iterate), ``g`` the stochastic gradient at step ``t`` (``t = 1, 2, ...``),
* ``lr`` the learning rate of the current step (schedules multiply it),
* ``d``  the dimension of ``x`` (only vector-level fragments such as AdamP's projection use it),
* ``rank`` the number of axes of the parameter tensor, ``cols`` the length of one row of its
  *channel view* (the first axis kept, the others flattened: ``x.view(x.size(0), -1)``); with
  :class:`RowInner` and :class:`RowNorm` (a reduction within each row) and :class:`TensorMax`
  (the largest value over the tensor) they state per-row rules such as the AdamP authors'
  channel view.  A rank-1 tensor (a vector, and every kernel's iterate) has ``cols = 1``: each
  row is one coordinate,
* state variables by their names (``m``, ``v``, ...), hyperparameters by theirs (``b1``, ...).

Equations are assignments executed in order; a later one sees the values written by earlier
ones in the same step (``g`` may be reassigned, for instance by an L2 penalty).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping

import sympy as sp

from .errors import DomainError, OptmathTypeError, UnknownNameError

# --- symbols shared by every spec -------------------------------------------------------
x, g, lr = sp.symbols("x g lr", real=True)
t = sp.Symbol("t", integer=True, positive=True)
d = sp.Symbol("d", integer=True, positive=True)
rank = sp.Symbol("rank", integer=True, positive=True)
cols = sp.Symbol("cols", integer=True, positive=True)
CONTEXT_SYMBOLS = {"x": x, "g": g, "t": t, "lr": lr, "d": d, "rank": rank, "cols": cols}


class Inner(sp.Function):
    """Inner product of two vectors (a scalar shared by all coordinates)."""

    nargs = 2

    def _latex(self, printer):
        a, b = (printer._print(v) for v in self.args)
        return rf"\langle {a}, {b} \rangle"

    def _sympystr(self, printer):
        return f"inner({printer._print(self.args[0])}, {printer._print(self.args[1])})"


class VecNorm(sp.Function):
    """Euclidean norm of a vector (a scalar shared by all coordinates)."""

    nargs = 1

    def _latex(self, printer):
        return rf"\lVert {printer._print(self.args[0])} \rVert"

    def _sympystr(self, printer):
        return f"norm({printer._print(self.args[0])})"


class RowInner(sp.Function):
    """Inner product within each row of the channel view (first axis kept, the rest flattened):
    a per-coordinate value, the same for every coordinate of one row."""

    nargs = 2

    def _latex(self, printer):
        a, b = (printer._print(v) for v in self.args)
        return rf"\langle {a}, {b} \rangle_{{\mathrm{{row}}}}"

    def _sympystr(self, printer):
        return f"row_inner({printer._print(self.args[0])}, {printer._print(self.args[1])})"


class RowNorm(sp.Function):
    """Euclidean norm within each row of the channel view (a per-coordinate value)."""

    nargs = 1

    def _latex(self, printer):
        return rf"\lVert {printer._print(self.args[0])} \rVert_{{\mathrm{{row}}}}"

    def _sympystr(self, printer):
        return f"row_norm({printer._print(self.args[0])})"


class TensorMax(sp.Function):
    """The largest value of a per-coordinate expression over the tensor (NaN if one is NaN),
    a scalar shared by all coordinates."""

    nargs = 1

    def _latex(self, printer):
        return rf"\max_{{i}} {printer._print(self.args[0])}"

    def _sympystr(self, printer):
        return f"tensor_max({printer._print(self.args[0])})"


def sym(name: str) -> sp.Symbol:
    """The SymPy symbol used for a hyperparameter, state or temporary called ``name``."""
    if name in CONTEXT_SYMBOLS:
        return CONTEXT_SYMBOLS[name]
    return sp.Symbol(name, real=True)


@dataclass(frozen=True)
class Hyper:
    """A hyperparameter: name, LaTeX, meaning, default and valid domain ``(lo, hi)``.

    ``lo_open``/``hi_open`` say whether the bound itself is excluded.  ``None`` is unbounded.
    """

    name: str
    latex: str
    doc: str
    default: float
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False

    @property
    def symbol(self) -> sp.Symbol:
        return sym(self.name)

    def domain_text(self) -> str:
        left = "(" if self.lo_open or self.lo is None else "["
        right = ")" if self.hi_open or self.hi is None else "]"
        lo = "-inf" if self.lo is None else f"{self.lo:g}"
        hi = "inf" if self.hi is None else f"{self.hi:g}"
        return f"{left}{lo}, {hi}{right}"

    def check(self, value: object, where: str = "") -> float:
        """Return ``value`` as a float, or raise a one-line error naming value and domain."""
        label = f"{where}{self.name}"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            try:
                import numpy as np

                if isinstance(value, np.floating | np.integer):
                    value = float(value)
                else:
                    raise TypeError
            except TypeError:
                raise OptmathTypeError(
                    f"{label} must be a real number, got {type(value).__name__} {value!r}"
                ) from None
        v = float(value)
        bad = not math.isfinite(v)
        if self.lo is not None:
            bad |= v < self.lo or (self.lo_open and v == self.lo)
        if self.hi is not None:
            bad |= v > self.hi or (self.hi_open and v == self.hi)
        if bad:
            raise DomainError(f"{label} = {value!r} is outside its valid range {self.domain_text()}")
        return v


@dataclass(frozen=True)
class StateVar:
    """A state variable with its initial value (an expression in the hyperparameters)."""

    name: str
    latex: str
    doc: str
    init: sp.Expr = sp.Integer(0)
    scalar: bool = False  # one value shared by every coordinate (e.g. NAdam's mu product)

    @property
    def symbol(self) -> sp.Symbol:
        return sym(self.name)


@dataclass(frozen=True)
class Assign:
    """One update equation ``target <- expr``; ``note`` is a short comment for renderings."""

    target: str
    expr: sp.Expr
    note: str = ""


@dataclass(frozen=True)
class Switch:
    """A named convention switch and the meaning of each of its values."""

    name: str
    doc: str
    choices: Mapping[str, str]


@dataclass(frozen=True)
class Profile:
    """How one framework (or the paper) sets a spec's switches and defaults."""

    switches: Mapping[str, str] = field(default_factory=dict)
    defaults: Mapping[str, float] = field(default_factory=dict)
    note: str = ""
    source: str = ""


@dataclass(frozen=True)
class Program:
    """What a builder returns for one choice of switches."""

    states: tuple[StateVar, ...]
    updates: tuple[Assign, ...]
    lookahead: sp.Expr | None = None  # point where the gradient is evaluated, default x
    temporaries: Mapping[str, str] = field(default_factory=dict)  # name -> meaning


PROFILE_NAMES = ("paper", "pytorch", "keras", "optax", "d2l")
LATEX_CONTEXT = {"x": r"\theta", "g": "g", "t": "t", "lr": r"\eta", "d": "d", "rank": r"\operatorname{rank}",
                 "cols": r"d_{\mathrm{row}}"}
DOC_CONTEXT = {
    "x": "parameter (iterate)",
    "g": "stochastic gradient at step t",
    "t": "step counter, starting at 1",
    "lr": "learning rate of the current step",
    "d": "dimension of the parameter vector",
    "rank": "number of axes of the parameter tensor",
    "cols": "length of one row of the channel view (1 for a vector)",
}


@dataclass(frozen=True)
class Spec:
    """One optimizer, declared once.  See the module docstring."""

    name: str
    title: str
    kernel: str
    hypers: tuple[Hyper, ...]
    switches: tuple[Switch, ...]
    profiles: Mapping[str, Profile]
    build: Callable[[Mapping[str, str]], Program]
    references: tuple[str, ...] = ()
    doc: str = ""
    fixed: Mapping[str, str] = field(default_factory=dict)  # switches pinned by a variant
    #: real implementations that are not profiles (no parity test of their own; the conformance
    #: corpus checks them): the switch settings they compute, by name (see Algorithm.known_as)
    implementations: Mapping[str, Profile] = field(default_factory=dict)

    # -- lookup helpers --------------------------------------------------------------
    def hyper(self, name: str) -> Hyper:
        for h in self.hypers:
            if h.name == name:
                return h
        raise UnknownNameError(f"hyperparameter of {self.name}", name, [h.name for h in self.hypers])

    def switch(self, name: str) -> Switch:
        for s in self.switches:
            if s.name == name:
                return s
        raise UnknownNameError(f"switch of {self.name}", name, [s.name for s in self.switches])

    def variant(self, name: str, title: str,
                adjust: Mapping[str, "Profile | None"] | None = None,
                implementations: Mapping[str, Profile] | None = None,
                **fixed: str) -> "Spec":
        """The same spec with some switches pinned: a variant is one switch, never a copy.

        ``adjust`` patches named profiles: a :class:`Profile` whose switches and defaults are
        merged into the base profile's (its note replaces the base note when given), or
        ``None`` to drop a profile the variant does not exist in.  ``implementations`` are the
        variant's own known implementations (the base's are not inherited: they are of another rule).
        """
        for k, v in fixed.items():
            if v not in self.switch(k).choices:
                raise UnknownNameError(f"value of switch {k}", v, self.switch(k).choices)
        adjust = dict(adjust or {})
        profiles = {}
        for pname in list(self.profiles) + [p for p in adjust if p not in self.profiles]:
            base = self.profiles.get(pname, Profile())
            patch = adjust.get(pname, Profile())
            if patch is None:
                continue
            sw = {**base.switches, **patch.switches, **fixed}
            profiles[pname] = Profile(sw, {**base.defaults, **patch.defaults},
                                      patch.note or base.note, patch.source or base.source)
        impls = {k: Profile({**v.switches, **fixed}, v.defaults, v.note, v.source)
                 for k, v in (implementations or {}).items()}
        return Spec(name, title, self.kernel, self.hypers, self.switches, profiles, self.build,
                    self.references, self.doc, {**self.fixed, **fixed}, impls)

    def chosen_switches(self, profile: Profile, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
        """Every switch's value under ``profile`` (a switch it leaves out takes its first choice)."""
        chosen = {s.name: profile.switches.get(s.name, next(iter(s.choices))) for s in self.switches}
        chosen.update(overrides or {})
        return chosen

    # -- resolution ------------------------------------------------------------------
    def resolve(self, profile: str = "paper", switches: Mapping[str, str] | None = None,
                **hyper_values: float) -> "Algorithm":
        """The concrete algorithm for ``profile``, with optional switch and value overrides."""
        if profile not in self.profiles:
            raise UnknownNameError(f"profile of {self.name}", profile, self.profiles)
        prof = self.profiles[profile]
        chosen = self.chosen_switches(prof)
        for k, v in (switches or {}).items():
            sw = self.switch(k)
            if v not in sw.choices:
                raise UnknownNameError(f"value of switch {k}", v, sw.choices)
            if k in self.fixed and self.fixed[k] != v:
                raise DomainError(f"switch {k} is fixed to {self.fixed[k]!r} in {self.name}; "
                                  f"use the base optimizer to change it")
            chosen[k] = v
        program = self.build(chosen)
        for a in program.updates:  # x and g may be reassigned (decay, an L2 penalty); these may not
            if a.target in ("t", "lr", "d", "rank", "cols"):
                raise DomainError(f"{self.name}: an equation assigns to {a.target!r}, which names "
                                  f"{DOC_CONTEXT[a.target]}; give the value another name")
        values: dict[str, float] = {}
        for h in self.hypers:
            values[h.name] = h.check(prof.defaults.get(h.name, h.default), f"{self.name}: ")
        for k, v in hyper_values.items():
            values[k] = self.hyper(k).check(v, f"{self.name}: ")
        return Algorithm(self, profile, chosen, values, program)

    def latex(self, profile: str = "paper") -> str:
        return self.resolve(profile).latex()

    def text(self, profile: str = "paper") -> str:
        return self.resolve(profile).text()


@dataclass(frozen=True)
class Algorithm:
    """A spec resolved for one profile: concrete equations and hyperparameter values."""

    spec: Spec
    profile: str
    switches: Mapping[str, str]
    values: Mapping[str, float]
    program: Program

    @property
    def states(self) -> tuple[StateVar, ...]:
        return self.program.states

    @property
    def updates(self) -> tuple[Assign, ...]:
        return self.program.updates

    def free_names(self) -> set[str]:
        """Names of every symbol that the equations, initial values and look-ahead use."""
        exprs = [a.expr for a in self.updates] + [s.init for s in self.states]
        if self.program.lookahead is not None:
            exprs.append(self.program.lookahead)
        return {str(s) for e in exprs for s in sp.sympify(e).free_symbols}

    @property
    def hypers(self) -> tuple[Hyper, ...]:
        """The hyperparameters this algorithm actually uses."""
        used = self.free_names()
        return tuple(h for h in self.spec.hypers if h.name in used)

    def initial_value(self, state: StateVar) -> float:
        """The float64 initial value of ``state`` for this algorithm's hyperparameters."""
        expr = sp.sympify(state.init)
        subs = {sym(k): v for k, v in self.values.items()}
        return float(expr.subs(subs))

    def known_as(self, up_to_order: bool = False) -> list[tuple[str, Profile]]:
        """The profiles and known implementations (:attr:`Spec.implementations`) whose conventions
        give this algorithm's equations, as ``(name, profile)``: ``[]`` means that no known
        implementation uses this combination of switch values.

        Two settings are the same when their equations agree once every hyperparameter that is 0
        here is set to 0 and the assignments left as ``y <- y`` are dropped (with ``wd = 0`` every
        kind of weight decay is no decay).  With ``up_to_order`` the equations are compared
        expanded, so that two operation orders of one formula (PyTorch's ``lerp_`` and the paper's
        blend of an EMA) are one convention.  Hyperparameter values are not compared: a profile is
        a convention, its defaults are not part of it.
        """
        mine = _normal_form(self.program, self.values, up_to_order)
        out = []
        entries = [(n, p) for n, p in self.spec.profiles.items()] + list(self.spec.implementations.items())
        for name, prof in entries:
            chosen = self.spec.chosen_switches(prof)
            if chosen == dict(self.switches):
                out.append((name, prof))
                continue
            try:
                other = self.spec.build(chosen)
            except DomainError:
                continue
            if _normal_form(other, self.values, up_to_order) == mine:
                out.append((name, prof))
        return out

    def with_values(self, **hyper_values: float) -> "Algorithm":
        values = dict(self.values)
        for k, v in hyper_values.items():
            values[k] = self.spec.hyper(k).check(v, f"{self.spec.name}: ")
        return Algorithm(self.spec, self.profile, self.switches, values, self.program)

    # rendering lives in optmath.render; these are conveniences
    def latex(self) -> str:
        from .render import algorithm_latex

        return algorithm_latex(self)

    def text(self) -> str:
        from .render import algorithm_text

        return algorithm_text(self)

    def notation(self) -> list[tuple[str, str, str, str]]:
        from .render import notation_rows

        return notation_rows(self)


def _normal_form(program: Program, values: Mapping[str, float], expand: bool = False) -> tuple:
    """``program``'s states and equations with the hyperparameters that are 0 in ``values`` set
    to 0 and the identity assignments that leaves dropped, expanded with ``expand`` (see
    :meth:`Algorithm.known_as`)."""
    zeros = {sym(k): 0 for k, v in values.items() if v == 0}
    ups = []
    for a in program.updates:
        e = sp.sympify(a.expr).subs(zeros)
        if expand:
            e = sp.expand(e)
        if e != sym(a.target):
            ups.append((a.target, e))
    states = tuple((s.name, sp.sympify(s.init).subs(zeros)) for s in program.states)
    look = None if program.lookahead is None else sp.sympify(program.lookahead).subs(zeros)
    return states, tuple(ups), look


Dot, Norm = Inner, VecNorm  # short names used by the fragments
