r"""Read a resolved algorithm's equations into a lane program: what is computed once per
configuration, once per step, once per tensor and once per coordinate.

This is the analysis half of the kernel generator (:mod:`optmath.kernels.generate` prints the
result).  Nothing here knows an optimizer by name: the only input is the ordered update
equations, the states and the gradient point of an :class:`~optmath.spec.Algorithm`.

Levels
------
Every value of the program gets the lowest level its inputs allow:

``CONST``   the hyperparameters (without ``lr``) and the dimension ``d``: one value per
            configuration, computed before the first step;
``STEP``    also the step ``t``, ``lr`` and the scalar states (one value shared by all
            coordinates, such as a running product of per-step coefficients): one value per step
            and configuration;
``TENSOR``  also reductions over the coordinates (``inner``, ``norm``): one value per step and
            tensor, between coordinate loops;
``LANE``    the iterate, the gradient and the per-coordinate states: one value per coordinate.

Hoisting policy (one policy, used by every backend, so their bits agree)
-----------------------------------------------------------------------
1. The equations are put in SSA form (a name assigned twice, ``x`` under decoupled decay, gets
   two versions), so moving an equation never changes what a later one reads.
2. An equation whose value is below ``LANE`` is computed at its level (a schedule
   coefficient, a rectifier's length, a scalar state's update).
3. Inside a ``LANE`` expression, every maximal subexpression below ``LANE`` that is not a bare
   symbol or number is replaced by a named value computed at its level: ``1 - b1`` once per
   configuration, ``1 - b1**t`` once per step.  A negative power is hoisted whole: a division
   by a value below ``LANE`` becomes a product with its reciprocal, computed once per step
   (``m / (1 - b1**t)`` is ``m * h`` with ``h = 1 / (1 - b1**t)``), as PyTorch's ``step_size =
   lr / bias_correction1`` and the benchmark's ceiling loops do.  That is the one place where
   hoisting changes an operation: ``fl(m * fl(1/b))`` is within two units in the last place of
   ``fl(m / b)`` (relative 2**-52), against a division per coordinate saved.  Everything else
   is moved without change: the same subexpression is hoisted once, and the hoisted program
   performs the operations that printing the substituted expression performs.
4. A power ``base**(a t + b)`` with ``base``, ``a`` and ``b`` constant per configuration is
   carried as a running product: ``P_t = P_{t-1} * base**a``, recomputed exactly as
   ``base**(a t + b)`` at the anchor steps ``t = 1, 1 + K, 1 + 2K, ...`` (:data:`ANCHOR`).  Between
   anchors at most ``K - 1`` roundings accumulate, so ``P_t`` is within ``(K - 1) 2**-53``
   (relative) of the exactly rounded power; per configuration this costs one multiplication per
   step instead of a ``pow``.  A bias correction ``1 - P_t`` inherits that error times
   ``P_t / (1 - P_t)``.  At step ``t`` at most ``min(t, K) - 1`` roundings have accumulated, and
   ``1 - b**t = (1 - b)(1 + b + ... + b**(t-1)) >= n (1 - b) b**n`` for ``n = min(t, K)``, so the
   error is below ``2**-53 / (1 - b)`` relative whatever the period: about 1e-13 at ``b = 0.999``,
   1e-12 at ``0.9999`` and 1e-10 at ``b = 1 - 1e-6``.  The period only bounds the power itself.
   ``K = 256`` (64 before generator version 7): a ``pow`` costs about a dozen lane steps, so with
   ``K = 64`` the anchors took a fifth of the time of a sweep whose configurations have their own
   betas (the phase workload of ``benchmarks/bench_workloads.py``).  A rule whose decay is that close to 1 and that
   needs more can use :func:`optmath.kernels.generate.run_source` with
   ``anchor=1`` (every power by ``pow``).  Every backend (scalar run, blocked and scalar sweep, CUDA) uses the
   same recurrence and the same anchors.

Reductions
----------
``inner(a, b)``, ``norm(a)`` and ``tensor_max(a)`` over the coordinates are ``TENSOR`` values.  A run over ``d``
coordinates executes the ``LANE`` equations in as many coordinate loops (phases) as the
nesting of reductions needs: a reduction of values of phase ``p`` is accumulated in loop ``p``
and available from phase ``p + 1``; a value needed in a later loop than its own is kept in a
work array.  A one-dimensional configuration (a sweep lane) needs no loops: there
``inner(a, b) = 0 + a b``, ``norm(a) = sqrt(0 + a a)`` and ``tensor_max(a) = a``, the same
operations as the ``d = 1`` run.  Every kernel's iterate is a vector (rank 1), whose channel view
has one coordinate per row: there ``rank = cols = 1``, ``row_inner(a, b) = 0 + a b`` and
``row_norm(a) = sqrt(0 + a a)`` per coordinate, as the reference step computes for a vector.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.functions.elementary.piecewise import ExprCondPair

from ..errors import DomainError
from ..spec import Algorithm, Dot, Norm, RowInner, RowNorm, TensorMax, sym

CONST, STEP, TENSOR, LANE = 0, 1, 2, 3
LEVEL_NAMES = ("const", "step", "tensor", "lane")
#: running products are recomputed exactly every ANCHOR steps (see the module docstring)
ANCHOR = 256

T = sym("t")
LR = sym("lr")
D = sym("d")


@dataclass(frozen=True)
class Value:
    """One named value of a lane program: ``name = expr`` at ``level`` (and, for ``LANE`` and
    ``TENSOR`` values of a run over coordinates, the loop ``phase`` that computes it)."""

    name: str
    expr: sp.Expr
    level: int
    phase: int = 0
    note: str = ""


@dataclass(frozen=True)
class Product:
    """A running product ``name = base**(a t + b)``: ``anchor`` is that power, ``factor`` the
    name of the constant ``base**a`` it is multiplied by between anchors."""

    name: str
    anchor: sp.Expr
    factor: str


@dataclass(frozen=True)
class Reduction:
    """``name = sum_i args[0]_i args[1]_i`` (``inner``), ``sqrt(sum_i args[0]_i**2)``
    (``norm``) or ``max_i args[0]_i`` (``max``, NaN if one is NaN) over the coordinates,
    accumulated in loop ``phase``; available after it."""

    name: str
    kind: str  # "inner" | "norm" | "max"
    args: tuple
    phase: int


@dataclass(frozen=True)
class Carried:
    """A value carried from step to step at ``STEP`` level: a scalar state of the spec
    (``state`` is its name) or a running product (``state`` is None)."""

    name: str  # the variable holding the value between steps
    new: str  # the value name that holds it after the step
    state: str | None


@dataclass(frozen=True)
class LaneProgram:
    """The analysed program (see the module docstring).

    ``inputs``: the run-time inputs per configuration (``d`` first, then the hyperparameters
    the equations read, ``lr`` excluded: it is an input per step);
    ``states``: every spec state in spec order; ``lane_states`` the per-coordinate ones;
    ``init``: the initial value of each state as an expression of the inputs;
    ``const``, ``step``, ``steplr``: values computed per configuration, per step without
    ``lr``, per step with ``lr``; ``tensor``: values between coordinate loops;
    ``lane``: the per-coordinate equations in order; ``x`` and ``finals``: the names holding
    the new iterate and each state's new value; ``point``: the gradient point (None: ``x``).
    """

    inputs: tuple
    states: tuple
    lane_states: tuple
    init: tuple
    const: tuple
    products: tuple
    carried: tuple
    step: tuple
    steplr: tuple
    tensor: tuple
    reductions: tuple
    lane: tuple
    x: str
    finals: dict
    point: Value | None
    phases: int
    one_dimensional: bool

    @property
    def kept(self) -> tuple:
        """``LANE`` values that a later coordinate loop reads (kept in work arrays)."""
        return _kept(self)


def _kept(prog) -> tuple:
    users: dict = {}
    for v in prog.lane + prog.tensor:
        for s in v.expr.free_symbols:
            users.setdefault(str(s), set()).add(v.phase)
    for r in prog.reductions:
        for a in r.args:
            for s in a.free_symbols:
                users.setdefault(str(s), set()).add(r.phase)
    out = []
    last = prog.phases - 1
    for v in prog.lane:
        later = {p for p in users.get(v.name, ()) if p > v.phase}
        if v.name in prog.finals.values() or v.name == prog.x:
            later.add(last)
        if any(p > v.phase for p in later):
            out.append(v.name)
    return tuple(out)


def _rebuild(e, args):
    """``e`` with new arguments, not re-evaluated where the node allows (so no simplification
    reorders what the equations say)."""
    try:
        return e.func(*args, evaluate=False)
    except TypeError:  # ExprCondPair, relationals of some SymPy versions
        return e.func(*args)


def _substitute(e, subs):
    """``e`` with symbols replaced, every node rebuilt without evaluation: ``xreplace`` would
    re-flatten ``eps + (s - a**2)`` into one sum and so change the order of the additions the
    spec wrote (and their rounding)."""
    if e.is_Symbol:
        return subs.get(e, e)
    if e.is_Atom:
        return e
    args = [_substitute(a, subs) for a in e.args]
    if all(a is b for a, b in zip(args, e.args)):
        return e
    return _rebuild(e, args)


def input_names(alg: Algorithm) -> list[str]:
    """The run-time inputs of ``alg``'s kernels: ``d``, then every hyperparameter its equations
    read (in spec order), ``lr`` excluded (an input per step)."""
    used = alg.free_names()
    return ["d"] + [h.name for h in alg.spec.hypers if h.name in used and h.name != "lr"]


class Plus0(sp.Function):
    """``0.0 + a``: a one-term sum over the coordinates, printed with the zero the run's
    accumulator starts from (so ``-0.0`` becomes ``0.0`` in both)."""

    nargs = 1


class _Analyser:
    def __init__(self, alg: Algorithm, one_dimensional: bool, reciprocals: bool = True):
        self.alg = alg
        self.one_d = one_dimensional
        self.reciprocals = reciprocals
        self.level: dict = {}  # symbol -> level
        self.phase: dict = {}  # symbol -> phase (LANE and TENSOR values)
        self.lr_dep: dict = {}  # symbol -> reads lr
        self.hoisted: dict = {}  # expr -> symbol
        self.counter = 0
        self.const: list = []
        self.step: list = []
        self.steplr: list = []
        self.tensor: list = []
        self.lane: list = []
        self.products: list = []
        self.reductions: list = []
        self.version: dict = {}
        self.current: dict = {}

    # -- symbols --------------------------------------------------------------------------
    def fresh(self, base: str) -> sp.Symbol:
        """A new name; generated names start with ``_`` and carry no second ``_``, so they never
        meet a spec name's SSA versions (``name_k``)."""
        self.counter += 1
        return sp.Symbol(f"_{base}{self.counter}", real=True)

    def define(self, name: str, level: int, phase: int = 0, lr: bool = False) -> sp.Symbol:
        k = self.version.get(name, -1) + 1
        self.version[name] = k
        s = sp.Symbol(f"{name}_{k}", real=True)
        self.level[s], self.phase[s], self.lr_dep[s] = level, phase, lr
        self.current[name] = s
        return s

    def level_of(self, e) -> int:
        lv = CONST
        for s in e.free_symbols:
            if s not in self.level:
                raise DomainError(f"{self.alg.spec.name}: the equations read {s}, which no equation, state or "
                                  f"hyperparameter defines")
            lv = max(lv, self.level[s])
        return lv

    def phase_of(self, e) -> int:
        return max((self.phase.get(s, 0) for s in e.free_symbols), default=0)

    def reads_lr(self, e) -> bool:
        return any(self.lr_dep.get(s, False) for s in e.free_symbols)

    # -- expressions ----------------------------------------------------------------------
    def rename(self, e):
        e = sp.sympify(e)
        subs = {}
        for s in e.free_symbols:
            name = str(s)
            if name in ("rank", "cols"):  # a vector (see the module docstring)
                subs[s] = sp.Integer(1)
                continue
            if name not in self.current:
                raise DomainError(f"{self.alg.spec.name}: the equations read {name!r}, which no equation, state or "
                                  f"hyperparameter defines")
            subs[s] = self.current[name]
        return _substitute(e, subs)

    def reduce(self, e):
        """Replace every inner/norm by a TENSOR symbol (innermost first), or by its 1-D form."""
        if e.is_Atom:
            return e
        args = [self.reduce(a) for a in e.args]
        if isinstance(e, (RowInner, RowNorm)) or (self.one_d and isinstance(e, (Dot, Norm))):
            prod = Plus0(sp.Mul(args[0], args[-1], evaluate=False))
            return prod if isinstance(e, (Dot, RowInner)) else sp.sqrt(prod, evaluate=False)
        if self.one_d and isinstance(e, TensorMax):
            return args[0]
        if isinstance(e, (Dot, Norm, TensorMax)):
            kind = "inner" if isinstance(e, Dot) else "norm" if isinstance(e, Norm) else "max"
            for r in self.reductions:
                if r.kind == kind and r.args == tuple(args):
                    return sp.Symbol(r.name, real=True)
            phase = max(self.phase_of(a) for a in args)
            name = self.fresh("r")
            self.level[name], self.phase[name], self.lr_dep[name] = TENSOR, phase + 1, any(
                self.reads_lr(a) for a in args)
            self.reductions.append(Reduction(str(name), kind, tuple(args), phase))
            return name
        if all(a is b for a, b in zip(args, e.args)):
            return e
        return _rebuild(e, args)

    def hoist(self, e, target_level: int):
        """``e`` with every maximal subexpression below ``target_level`` named (rule 3)."""
        if e.is_Atom:
            return e
        lv = self.level_of(e)
        if lv < target_level and not isinstance(e, ExprCondPair):
            if not self.reciprocals and isinstance(e, sp.Pow) and e.exp.is_Number and e.exp < 0:
                return sp.Pow(self.hoist(e.base, target_level), e.exp, evaluate=False)  # keep the division
            return self.named(e)  # a reciprocal too: m / (1 - b1**t) becomes m * h, h = 1 / (1 - b1**t)
        args = [self.hoist(a, target_level) for a in e.args]
        if all(a is b for a, b in zip(args, e.args)):
            return e
        return _rebuild(e, args)

    def named(self, e) -> sp.Symbol:
        """A symbol holding ``e`` at its own level (after naming its own lower parts)."""
        if e in self.hoisted:
            return self.hoisted[e]
        lv = self.level_of(e)
        inner = self.hoist(e, lv) if lv > CONST else e
        s = self.fresh("h")
        self.level[s], self.phase[s], self.lr_dep[s] = lv, self.phase_of(e), self.reads_lr(e)
        self.add(Value(str(s), inner, lv, self.phase[s], "hoisted"))
        self.hoisted[e] = s
        return s

    def powers(self, e):
        """``e`` with every power ``base**(a t + b)`` replaced by its running product (rule 4)."""
        if e.is_Atom:
            return e
        args = [self.powers(a) for a in e.args]
        if not all(a is b for a, b in zip(args, e.args)):
            e = _rebuild(e, args)
        hit = self.power_product(e)
        return e if hit is None else hit

    def power_product(self, e):
        """Rule 4: a running product for ``base**(a t + b)``, or None."""
        if not isinstance(e, sp.Pow) or T not in e.exp.free_symbols:
            return None
        if e in self.hoisted:
            return self.hoisted[e]
        base, ex = e.base, e.exp
        if self.level_of(base) != CONST or base.free_symbols & {T}:
            return None
        poly = sp.Poly(sp.expand(ex), T) if ex.is_polynomial(T) else None
        if poly is None or poly.degree() != 1:
            return None
        a, b = poly.coeff_monomial(T), poly.coeff_monomial(1)
        if self.level_of(a) != CONST or self.level_of(b) != CONST:
            return None
        factor = self.named(base) if a == 1 and not base.is_Atom else (base if a == 1 else self.named(sp.Pow(base, a)))
        if not isinstance(factor, sp.Symbol):  # a number base: name it so the kernels read one value
            factor = self.named_const(factor)
        s = self.fresh("pw")
        self.level[s], self.phase[s], self.lr_dep[s] = STEP, 0, False
        self.products.append(Product(str(s), e, str(factor)))
        self.hoisted[e] = s
        return s

    def named_const(self, e) -> sp.Symbol:
        s = self.fresh("h")
        self.level[s], self.phase[s], self.lr_dep[s] = CONST, 0, False
        # the number itself: the float64 printer writes a rational as its float64 value, and the
        # interval replay needs the exact number (24/25, not the float64 nearest to it)
        self.add(Value(str(s), e, CONST, 0, "hoisted"))
        return s

    def add(self, v: Value) -> None:
        s = sp.Symbol(v.name, real=True)
        if v.level == CONST:
            self.const.append(v)
        elif v.level == STEP:
            (self.steplr if self.lr_dep.get(s, False) else self.step).append(v)
        elif v.level == TENSOR:
            self.tensor.append(v)
        else:
            self.lane.append(v)

    # -- the program ----------------------------------------------------------------------
    def run(self) -> LaneProgram:
        alg = self.alg
        inputs = input_names(alg)
        for n in inputs:
            self.define(n, CONST)
        self.current["t"] = T
        self.level[T], self.phase[T], self.lr_dep[T] = STEP, 0, False
        self.current["lr"] = LR
        self.level[LR], self.phase[LR], self.lr_dep[LR] = STEP, 0, True
        self.define("x", LANE)
        self.define("g", LANE)
        for s in alg.states:
            self.define(s.name, STEP if s.scalar else LANE)
        init = []
        for s in alg.states:
            e = sp.sympify(s.init)
            bad = {str(v) for v in e.free_symbols} - set(inputs)
            if bad:
                raise DomainError(f"{alg.spec.name}: the initial value of {s.name} reads {sorted(bad)}; "
                                  f"it may read only hyperparameters")
            init.append(e.xreplace({v: sp.Symbol(f"{v}_0", real=True) for v in e.free_symbols}))
        start = {n: self.current[n] for n in ["x"] + [s.name for s in alg.states]}
        point = None
        if alg.program.lookahead is not None:
            e = self.powers(self.reduce(self.rename(alg.program.lookahead)))
            if self.level_of(e) == TENSOR or self.reductions:
                raise DomainError(f"{alg.spec.name}: a gradient point with reductions is not supported")
            point = Value("xe", self.hoist(e, LANE) if self.level_of(e) == LANE else e, LANE, 0, "gradient point")
        scalar = {s.name for s in alg.states if s.scalar}
        for a in alg.updates:
            e = self.powers(self.reduce(self.rename(a.expr)))
            lv, ph = self.level_of(e), self.phase_of(e)
            if a.target in scalar and lv > STEP:
                raise DomainError(f"{alg.spec.name}: scalar state {a.target} is updated from per-coordinate values; "
                                  f"write it as a reduction")
            if a.target == "x" or a.target == "g" or (a.target in start and a.target not in scalar):
                lv = LANE  # the iterate, the gradient and the per-coordinate states stay per coordinate
            body = self.hoist(e, lv) if lv > CONST else e
            lr = self.reads_lr(e)
            s = self.define(a.target, lv, ph, lr)
            self.add(Value(str(s), body, lv, ph, a.note))
        finals = {s.name: str(self.current[s.name]) for s in alg.states}
        carried = [Carried(str(start[n]), finals[n], n) for n in scalar]
        carried += [Carried(p.name, p.name, None) for p in self.products]
        phases = 1 + max([r.phase + 1 for r in self.reductions], default=0)
        # every final value is written in the last loop; a LANE value's phase is where it is computed
        return LaneProgram(
            inputs=tuple(inputs), states=tuple(s.name for s in alg.states),
            lane_states=tuple(s.name for s in alg.states if not s.scalar), init=tuple(init),
            const=tuple(self.const), products=tuple(self.products), carried=tuple(carried),
            step=tuple(self.step), steplr=tuple(self.steplr), tensor=tuple(self.tensor),
            reductions=tuple(self.reductions), lane=tuple(self.lane), x=str(self.current["x"]),
            finals=finals, point=point, phases=phases, one_dimensional=self.one_d)


def analyse(alg: Algorithm, one_dimensional: bool = False, reciprocals: bool = True) -> LaneProgram:
    """The lane program of ``alg`` (see the module docstring); ``one_dimensional`` for a sweep
    lane, where reductions over the single coordinate are written out; ``reciprocals=False``
    keeps every division by a hoisted value (rule 3's one change of an operation undone, for
    comparisons operation by operation with code that divides)."""
    return _Analyser(alg, one_dimensional, reciprocals).run()


__all__ = ["analyse", "input_names", "LaneProgram", "Value", "Product", "Reduction", "Carried", "ANCHOR",
           "CONST", "STEP", "TENSOR", "LANE", "LEVEL_NAMES", "Plus0"]
