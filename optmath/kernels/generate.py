r"""The kernel generator: every Numba kernel of a resolved algorithm, printed from its equations.

:func:`source` turns an :class:`~optmath.spec.Algorithm` into the Python source of one module
holding all its kernels; :func:`load` writes it to the kernel cache (:func:`cache_dir`), keyed by
a hash of that source, and imports it, so that Numba's on-disk cache (``cache=True``) finds the
compiled kernels again in the next process.  Nothing here knows an optimizer by name: the
input is the lane program of :mod:`optmath.kernels.lanes` (levels, hoisted values, running
products, reductions), and every kernel is a template around the same printed statements:

``init_states(hv, out)``       the initial value of every state from the inputs ``hv``;
``run_grads(...)``             a run over ``d`` coordinates on an explicit gradient stream;
``run_oracle(...)``            the same on a problem family's gradient (losses and regrets);
``sweep_scalar(...)``          one-dimensional configurations, one per ``prange`` iteration;
``sweep_blocked(...)``         the same in blocks of ``W`` SIMD lanes (run from threads);
``sweep_cuda`` (on demand)     the same, one configuration per CUDA thread.

Kernels copy arrays element by element: a slice copy or an array expression costs Numba
several times the compile time of the loop it replaces (a run kernel compiled in 7.5 s with
``xs[k + 1, :] = x`` against 1.0 s with the loop, first compile in a process), with the same bits.

Switch values are compile-time constants (a program is already specialised to them);
hyperparameters are run-time inputs (the vector ``hv`` in the order of :data:`INPUTS`), so a new
``lr`` or ``b2`` never recompiles.  The printed statements are the same in every kernel, which
is what makes the backends agree bit for bit; see :mod:`optmath.kernels.lanes` for the hoisting
policy.

A problem family (:mod:`optmath.problems.family`) is a compile-time choice of the oracle and
sweep modules: their source names the family and the hash of its file, and every kernel calls
the family's own ``gradient`` and ``loss`` (compiled by Numba; device functions on CUDA) with the
parameters ``p0, p1, ...`` of the family, the step ``tf``, the draw ``u`` and the cycle counter
``ctr``.  A linear family without a ``loss`` has the loss ``g * x``.  Nothing here knows a
family by name either.

Printing rules (one printer for every backend): ``sqrt`` is ``math.sqrt``; integer powers are
written as products (``g**2`` is ``g*g``, also on the GPU and in the CUDA simulator); other
powers are ``**``; ``max``, ``min`` and ``sign`` are small helpers that propagate NaN as NumPy
does; ``Piecewise`` is a chain of conditional expressions; rationals are float literals.
"""
from __future__ import annotations

import ast
import hashlib
import os
import re
from dataclasses import dataclass

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from ..errors import DomainError
from ..spec import Algorithm
from .cache import cache_dir, fallback_dir, import_file, write_text
from .lanes import ANCHOR, LaneProgram, Plus0, analyse
from .precision import TINY, check_precision

#: bump when the templates change: part of every cache key
GENERATOR_VERSION = "8"


class KernelPrinter(PythonCodePrinter):
    """Numba-compatible Python for one expression of a lane program."""

    def _print_Symbol(self, expr):
        name = expr.name
        return {"t": "tf", "lr": "lr"}.get(name, name)

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.args
        b = self._print(base)
        if exp == sp.Rational(1, 2):
            return f"math.sqrt({b})"
        if exp == -sp.Rational(1, 2):
            return f"(1/math.sqrt({b}))"
        if exp.is_Integer and 2 <= abs(int(exp)) <= 8:
            prod = "*".join([f"({b})"] * abs(int(exp)))
            return f"({prod})" if exp > 0 else f"(1/({prod}))"
        if exp == -1:
            return f"(1/({b}))"
        return f"(({b})**({self._print(exp)}))"

    def _print_Rational(self, expr):
        return repr(expr.p / expr.q)

    def _print_Half(self, expr):
        return "0.5"

    def _print_Integer(self, expr):
        return str(int(expr))

    def _print_Float(self, expr):
        return repr(float(expr))

    def _print_NaN(self, expr):
        return "math.nan"

    def _print_Infinity(self, expr):
        return "math.inf"

    def _print_NegativeInfinity(self, expr):
        return "(-math.inf)"

    def _print_BooleanTrue(self, expr):
        return "True"

    def _print_BooleanFalse(self, expr):
        return "False"

    def _fold(self, helper, args):
        out = self._print(args[0])
        for a in args[1:]:
            out = f"{helper}({out}, {self._print(a)})"
        return out

    def _print_Max(self, expr):
        return self._fold("_max", expr.args)

    def _print_Min(self, expr):
        return self._fold("_min", expr.args)

    def _print_sign(self, expr):
        return f"_sign({self._print(expr.args[0])})"

    def _print_Abs(self, expr):
        return f"abs({self._print(expr.args[0])})"

    def _print_Piecewise(self, expr):
        *pairs, (last, cond) = expr.args
        out = self._print(last) if cond == sp.true else f"({self._print(last)} if {self._print(cond)} else math.nan)"
        for val, c in reversed(pairs):
            out = f"({self._print(val)} if {self._print(c)} else {out})"
        return out

    def _print_Relational(self, expr):
        op = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}[expr.rel_op]
        return f"({self._print(expr.lhs)} {op} {self._print(expr.rhs)})"

    def _print_And(self, expr):
        return "(" + " and ".join(self._print(a) for a in expr.args) + ")"

    def _print_Or(self, expr):
        return "(" + " or ".join(self._print(a) for a in expr.args) + ")"

    def _print_Not(self, expr):
        return f"(not {self._print(expr.args[0])})"

    def _print_Function(self, expr):
        if isinstance(expr, Plus0):
            return f"(0.0 + {self._print(expr.args[0])})"
        raise DomainError(f"function {expr.func} cannot be printed into a kernel")

    def _print_exp(self, expr):
        return f"math.exp({self._print(expr.args[0])})"

    def _print_log(self, expr):
        return f"math.log({self._print(expr.args[0])})"


_PRINTER = KernelPrinter({"fully_qualified_modules": False, "allow_unknown_functions": False})


def expr_source(e) -> str:
    """The kernel source of one expression of a lane program."""
    return _PRINTER.doprint(e)


#: the precision whose rounding the templates print while a module is generated (None: float64)
_ROUNDING: list = [None]
#: whether the module being generated multiplies by hoisted reciprocals (lanes.py, rule 3)
_RECIPROCALS: list = [True]
#: calls whose result is exact in any format (selections, sign, magnitude) or already rounded
_EXACT_CALLS = {"_max", "_min", "_sign", "abs", "float", "R"}


class _Rounder(ast.NodeTransformer):
    """Wrap every arithmetic operation and every inexact call in ``R(...)``, innermost first,
    so each operation of the printed evaluation order is rounded once."""

    def visit_BinOp(self, node):
        self.generic_visit(node)
        return ast.Call(func=ast.Name("R", ast.Load()), args=[node], keywords=[])

    def visit_Call(self, node):
        self.generic_visit(node)
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name in _EXACT_CALLS:
            return node
        return ast.Call(func=ast.Name("R", ast.Load()), args=[node], keywords=[])


def _r(text: str) -> str:
    """``text`` (an expression of the templates) with its operations rounded when a
    low-precision module is being generated; unchanged for float64."""
    if _ROUNDING[0] is None:
        return text
    return ast.unparse(_Rounder().visit(ast.parse(text, mode="eval")))


def _e(e) -> str:
    return _r(expr_source(e))


# -- statement blocks -----------------------------------------------------------------------

def _assign(values, indent: str, lane: bool = False) -> list[str]:
    """``name = expr`` per value; ``lane``: per-coordinate (or per-tensor) arithmetic, the part
    that a low-precision module rounds (the scalars of the configuration and of the step stay
    float64, as Python floats do in a framework's optimizer step)."""
    return [f"{indent}{v.name} = {_e(v.expr) if lane else expr_source(v.expr)}" for v in values]


def _products(prog: LaneProgram, indent: str, form: str = "either") -> list[str]:
    """The running products' statements: ``"either"`` chooses on ``anchor`` per statement;
    ``"anchor"`` and ``"product"`` are the two branches, for a lane loop split on ``anchor``
    (a loop without ``pow`` in it vectorises)."""
    out = []
    for p in prog.products:
        rhs = {"either": f"{expr_source(p.anchor)} if anchor else {p.name} * {p.factor}",
               "anchor": expr_source(p.anchor), "product": f"{p.name} * {p.factor}"}[form]
        out.append(f"{indent}{p.name} = {rhs}")
    return out


def _reads(values) -> set:
    names = set()
    for v in values:
        e = v.expr if hasattr(v, "expr") else v
        names |= {str(s) for s in e.free_symbols}
    return names


@dataclass(frozen=True)
class _Names:
    inputs: list  # SSA names of the inputs, in INPUTS order
    const: list
    step: list  # names of STEP values the lane loop or the point reads
    carried_init: list  # (carried variable, state row or None)


def _layout(prog: LaneProgram) -> dict:
    inputs = [f"{n}_0" for n in prog.inputs]
    lane_like = list(prog.lane) + list(prog.tensor) + ([prog.point] if prog.point else [])
    lane_reads = _reads(lane_like) | _reads([sp.Symbol(prog.finals[s]) for s in prog.states]) | {prog.x}
    for r in prog.reductions:
        lane_reads |= _reads(r.args)
    steplr_reads = _reads(prog.steplr)
    step_names = [p.name for p in prog.products] + [c.name for c in prog.carried if c.state] + [v.name for v in prog.step]
    step_used = [n for n in step_names if n in lane_reads | steplr_reads]
    # the carried scalar states' new values are finals: the lane loop checks them
    for c in prog.carried:
        if c.state and c.new not in step_used:
            step_used.append(c.new)
    step_inputs = _reads(list(prog.step) + [p.anchor for p in prog.products]) | {p.factor for p in prog.products}
    const_names = [v.name for v in prog.const]
    # scalar states whose new value reads lr (Schedule-Free's running maximum of lr and sum of
    # weights) differ between the lanes of a block: carried per lane, updated in the lane loop
    steplr_names = {v.name for v in prog.steplr}
    lane_carried = [c for c in prog.carried if c.state and c.new in steplr_names]
    gone = {c.name for c in lane_carried} | {c.new for c in lane_carried}
    step_used = [n for n in step_used if n not in gone]
    return {"inputs": inputs, "const": const_names, "step_used": step_used, "lane_carried": lane_carried,
            "step_inputs": [n for n in inputs if n in step_inputs],
            "step_consts": [n for n in const_names if n in step_inputs]}


def _header(alg: Algorithm, prog: LaneProgram, anchor: int, fam=None) -> list[str]:
    sw = ", ".join(f"{k}={v}" for k, v in sorted(alg.switches.items()))
    on = f" on problem family {fam.name}" if fam is not None else ""
    return [
        f'"""Kernels of {alg.spec.name} (switches: {sw or "none"}){on}, generated by optmath.kernels.generate',
        f'version {GENERATOR_VERSION} from the spec\'s equations.  Do not edit: regenerated from the spec."""',
        "import math",
        "",
        "import numpy as np",
        "from numba import njit, uint64",
        "",
        "from optmath import problems as P",
        "",
        f"INPUTS = {tuple(prog.inputs)!r}",
        f"STATES = {tuple(prog.states)!r}",
        f"SCALAR_STATES = {tuple(c.state for c in prog.carried if c.state)!r}",
        f"ANCHOR = {int(anchor)}",
        f"PHASES = {prog.phases}",
        f"PRECISION = {(_ROUNDING[0] or 'float64')!r}",
        f"RECIPROCALS = {_RECIPROCALS[0]!r}",
        *([f"from optmath.kernels.precision import round_{_ROUNDING[0]} as R",
           f"TINY = {TINY[_ROUNDING[0]]!r}"] if _ROUNDING[0] else []),
        *(_family_globals(fam) if fam is not None else []),
        "",
        "",
        '@njit(inline="always", error_model="numpy")',
        "def _sign(v):",
        "    if v > 0.0:",
        "        return 1.0",
        "    if v < 0.0:",
        "        return -1.0",
        "    if v == 0.0:",
        "        return 0.0",
        "    return v",
        "",
        "",
        '@njit(inline="always", error_model="numpy")',
        "def _max(a, b):",
        "    return a if a > b else (b if b >= a else a + b)",
        "",
        "",
        '@njit(inline="always", error_model="numpy")',
        "def _min(a, b):",
        "    return a if a < b else (b if b <= a else a + b)",
        "",
        "",
    ]


def _load_inputs(prog, names, src: str, indent: str) -> list[str]:
    """``name = src[k]`` for each input (``src`` formats with the row k)."""
    return [f"{indent}{n} = {src.format(k=k)}" for k, n in enumerate(names["inputs"])]


def _init_block(prog: LaneProgram, indent: str, target: str) -> list[str]:
    """Initial state values into ``target.format(r=row)``."""
    return [f"{indent}{target.format(r=r)} = float({_e(e)})" for r, e in enumerate(prog.init)]


def _finite_expr(names) -> str:
    return " + ".join(f"({n} - {n})" for n in names) + " == 0.0"


def _record(ind: str, row: str) -> list[str]:
    """``xs[row] = x`` and, when recording, ``srec[row] = st``, element by element."""
    return [f"{ind}for i in range(n):", f"{ind}    xs[{row}, i] = x[i]", f"{ind}if record:",
            f"{ind}    for r in range(st.shape[0]):", f"{ind}        for i in range(n):",
            f"{ind}            srec[{row}, r, i] = st[r, i]"]


def _run_kernels(prog: LaneProgram, names: dict, fam=None) -> list[str]:
    """``run_grads`` over ``d`` coordinates (phased when there are reductions), or with a problem
    family ``fam``, ``run_oracle`` on its gradient."""
    out = []
    rows = {s: r for r, s in enumerate(prog.states)}
    kept = prog.kept
    kept_row = {n: i for i, n in enumerate(kept)}
    last = prog.phases - 1
    for with_oracle in ((True,) if fam is not None else (False,)):
        if with_oracle:
            out += ["@njit(cache=True, error_model=\"numpy\")",
                    "def run_oracle(x, st, hv, pp, draws, lrs, lo, hi, project, xstar, ctr0, xs, srec, record, "
                    "losses, regrets, work, gbuf, xe, uf):"]
        else:
            out += ["@njit(cache=True, error_model=\"numpy\")",
                    "def run_grads(x, st, hv, grads, lrs, lo, hi, project, xs, srec, record, work, uf):"]
        ind = "    "
        out += _load_inputs(prog, names, "hv[{k}]", ind)
        out += _assign(prog.const, ind)
        for c in prog.carried:
            out.append(f"{ind}{c.name} = st[{rows[c.state]}, 0]" if c.state else f"{ind}{c.name} = 1.0")
        out += [f"{ind}n = x.shape[0]"] + _record(ind, "0")
        if with_oracle:
            out += _load_params(fam, "pp[{r}]", ind) + [f"{ind}ctr = ctr0"]
        out += [f"{ind}for k in range(lrs.shape[0]):",
                f"{ind}    tf = float(k + 1)",
                f"{ind}    anchor = k % ANCHOR == 0",
                f"{ind}    lr = lrs[k]"]
        ind2 = ind + "    "
        out += _products(prog, ind2)
        out += _assign(prog.step, ind2)
        out += _assign(prog.steplr, ind2)
        gsrc = "gbuf[i]" if with_oracle else "grads[k, i]"
        if with_oracle:
            if prog.point is not None:
                out += [f"{ind2}for i in range(n):", f"{ind2}    x_0 = x[i]"]
                out += [f"{ind2}    {s}_0 = st[{rows[s]}, i]" for s in prog.lane_states]
                out += [f"{ind2}    xe[i] = {_e(prog.point.expr)}"]
            else:
                out += [f"{ind2}for i in range(n):", f"{ind2}    xe[i] = x[i]"]
            a = f"tf, u, ctr, {_pargs(fam)}"
            loss = ((lambda v: f"F_grad({v}, {a}) * {v}") if fam.loss is None else (lambda v: f"F_loss({v}, {a})"))
            out += [f"{ind2}u = draws[k]",
                    f"{ind2}for i in range(n):",
                    f"{ind2}    gbuf[i] = {_r(f'F_grad(xe[i], {a})')}",
                    f"{ind2}fx = 0.0",
                    f"{ind2}fo = 0.0",
                    f"{ind2}for i in range(n):",
                    f"{ind2}    fx += {loss('x[i]')}",
                    f"{ind2}    fo += {loss('xstar')}",
                    f"{ind2}losses[k] = fx",
                    f"{ind2}regrets[k] = fx - fo"]
            out += _cycle_step(fam, ind2)
            out += [f"{ind2}for i in range(n):",
                    f"{ind2}    if not math.isfinite(gbuf[i]):",
                    f"{ind2}        return k + 1"]
        for ph in range(prog.phases):
            reds = [r for r in prog.reductions if r.phase == ph]
            out += [f"{ind2}{r.name} = {'-math.inf' if r.kind == 'max' else '0.0'}" for r in reds]
            out += [f"{ind2}for i in range(n):", f"{ind2}    x_0 = x[i]", f"{ind2}    g_0 = {gsrc}"]
            out += [f"{ind2}    {s}_0 = st[{rows[s]}, i]" for s in prog.lane_states]
            out += [f"{ind2}    {n} = work[{kept_row[n]}, i]" for n in kept
                    if any(v.name == n and v.phase < ph for v in prog.lane)]
            out += _assign([v for v in prog.lane if v.phase == ph], ind2 + "    ", lane=True)
            for r in reds:
                a = expr_source(r.args[0])
                if r.kind == "max":  # NaN wins, as in NumPy's and torch's max
                    out += [f"{ind2}    _mx = {_r(a)}", f"{ind2}    if _mx > {r.name} or _mx != _mx:",
                            f"{ind2}        {r.name} = _mx"]
                    continue
                b = expr_source(r.args[-1]) if r.kind == "inner" else a
                if _ROUNDING[0] is None:
                    out.append(f"{ind2}    {r.name} += ({a}) * ({b})")
                else:
                    out.append(f"{ind2}    {r.name} = {_r(f'{r.name} + ({a}) * ({b})')}")
            out += [f"{ind2}    work[{kept_row[n]}, i] = {n}" for n in kept
                    if any(v.name == n and v.phase == ph for v in prog.lane) and ph < last]
            if ph == last:
                out.append(f"{ind2}    x[i] = {prog.x}")
                if _ROUNDING[0] is not None:  # a nonzero state that became zero or subnormal
                    for st_ in prog.states:
                        new, old = prog.finals[st_], f"st[{rows[st_]}, i]"
                        out += [f"{ind2}    if uf[0] == 0.0 and (({new} == 0.0 and {old} != 0.0) or "
                                f"(abs({new}) < TINY and {new} != 0.0)):",
                                f"{ind2}        uf[0] = tf"]
                out += [f"{ind2}    st[{rows[s]}, i] = {prog.finals[s]}" for s in prog.states]
            out += [f"{ind2}{r.name} = {_r(f'math.sqrt({r.name})')}" for r in reds if r.kind == "norm"]
            out += _assign([v for v in prog.tensor if v.phase == ph + 1], ind2, lane=True)
        for c in prog.carried:
            if c.state and c.new != c.name:
                out.append(f"{ind2}{c.name} = {c.new}")
        out += [f"{ind2}if project:",
                f"{ind2}    for i in range(n):",
                f"{ind2}        x[i] = lo if x[i] < lo else (hi if x[i] > hi else x[i])",
                *_record(ind2, "k + 1"),
                f"{ind2}for i in range(n):",
                f"{ind2}    if not math.isfinite(x[i]):",
                f"{ind2}        return k + 1",
                f"{ind2}    for r in range(st.shape[0]):",
                f"{ind2}        if not math.isfinite(st[r, i]):",
                f"{ind2}            return k + 1",
                f"{ind}return 0", "", ""]
    init = ["@njit(cache=True, error_model=\"numpy\")", "def init_states(hv, out):"]
    init += _load_inputs(prog, names, "hv[{k}]", "    ")
    init += _init_block(prog, "    ", "out[{r}]")
    init += ["    return out", "", ""]
    return init + out


def _lane_loads(prog: LaneProgram, names: dict, indent: str, shared: bool = False, form: str = "either") -> list[str]:
    """Lane ``j``'s states, inputs, per-configuration and per-step values and learning rate, read
    from the block arrays (before the lane equations, and before the gradient point).
    ``shared``: the step's values and the inputs they read are lane 0's scalars already; else
    the lane computes its own step values here (the running products in ``form``,
    :func:`_products`), which read those inputs themselves."""
    out = [f"{indent}{s}_0 = S_{s}[j]" for s in prog.lane_states]
    own = not shared and bool(names["step_used"] or prog.carried or prog.step)
    if own:
        out += _step_values(prog, names, indent, "j", form)
    skip = set(names["step_inputs"]) | set(names["step_consts"]) if shared or own else set()
    out += [f"{indent}{n} = I_{n}[j]" for n in names["inputs"] if n not in skip]
    out += [f"{indent}{n} = K_{n}[j]" for n in names["const"] if n not in skip]
    out += [f"{indent}{c.name} = C_{c.name}[j]" for c in names["lane_carried"]]
    return out + [f"{indent}lr = LR0[j] * lm"] + _assign(prog.steplr, indent)


def _lane_body(prog: LaneProgram, names: dict, indent: str, mode: str, loaded: bool = False,
               shared: bool = False, form: str = "either") -> list[str]:
    """The statements of one step of a one-dimensional configuration after its gradient: the
    lane equations and the acceptance rule (projection, freezing at the first non-finite
    value, max |x|).  ``mode`` ``"block"``: lane ``j`` of block arrays; ``"scalar"``: one
    configuration in local variables (``x``, ``s_<state>``, ``g_0``, ``bad``, ``xmax``).
    Conditions are combined with ``&`` (selects, no branches: the lane loop vectorises)."""
    block = mode == "block"
    out = []
    if block and not loaded:  # x_0 and g_0 are the gradient's; the lane's inputs, unless read for its point
        out += _lane_loads(prog, names, indent, shared, form)
    out += _assign(prog.lane, indent, lane=True)
    finals = [prog.finals[s] for s in prog.lane_states] + [c.new for c in prog.carried if c.state]
    out += [f"{indent}xn = {prog.x}",
            f"{indent}if project:",
            f"{indent}    xn = lo if xn < lo else (hi if xn > hi else xn)",
            f"{indent}fin = {_finite_expr(['xn'] + finals)}"]
    if block:
        out += [f"{indent}alive = BAD[j] == 0.0",
                f"{indent}X[j] = xn if alive else x_0"]
        out += [f"{indent}S_{s}[j] = {prog.finals[s]} if alive else {s}_0" for s in prog.lane_states]
        out += [f"{indent}C_{c.name}[j] = {c.new} if alive else {c.name}" for c in names["lane_carried"]]
        out += [f"{indent}ax = abs(xn)",
                f"{indent}XMAX[j] = ax if (alive & fin & (ax > XMAX[j])) else XMAX[j]",
                f"{indent}BAD[j] = tf if (alive & (not fin)) else BAD[j]"]
    else:
        out += [f"{indent}x = xn"]
        out += [f"{indent}s_{s} = {prog.finals[s]}" for s in prog.lane_states]
        out += [f"{indent}if not fin:",
                f"{indent}    bad = tf",
                f"{indent}    break",
                f"{indent}if abs(x) > xmax:",
                f"{indent}    xmax = abs(x)"]
    return out


def _family_globals(fam) -> list[str]:
    """The family's compiled functions as module globals (found again by name and file hash)."""
    out = [f"FAMILY = P.registered({fam.name!r}, {fam.fingerprint!r})", "F_grad = FAMILY.grad_jit"]
    if fam.loss is not None:
        out.append("F_loss = FAMILY.loss_jit")
    return out


def _pargs(fam) -> str:
    return ", ".join(f"p{i}" for i in range(len(fam.params)))


def _family_step(fam, indent: str) -> list[str]:
    """One lane's gradient at ``xe`` (``g_0``), its loss difference ``f_t(x_0) - f_t(xs)``
    (``ld``) and the cycle counter's next value: the family's functions, called with the
    parameters ``p0 ..``, the step ``tf``, the draw ``u`` and the counter ``ctr``."""
    a = f"tf, u, ctr, {_pargs(fam)}"
    out = [f"{indent}g_0 = {_r(f'F_grad(xe, {a})')}"]
    if fam.loss is None:
        out.append(f"{indent}ld = (0.0 + g_0 * x_0) - (0.0 + g_0 * xs)")
    else:
        out.append(f"{indent}ld = (0.0 + F_loss(x_0, {a})) - (0.0 + F_loss(xs, {a}))")
    return out + _cycle_step(fam, indent)


def _cycle_step(fam, indent: str) -> list[str]:
    if fam.cycle is None:
        return []
    period = [p.name for p in fam.params].index(fam.cycle[0])
    return [f"{indent}nxt = ctr + 1.0", f"{indent}ctr = 0.0 if nxt == p{period} else nxt"]


def _load_params(fam, src: str, indent: str) -> list[str]:
    """``p0, p1, .. = src[0], ..`` (``src`` formats with the row r)."""
    k = len(fam.params)
    return [f"{indent}{_pargs(fam)}{',' if k == 1 else ''} = {', '.join(src.format(r=r) for r in range(k))}"]


def _step_values(prog: LaneProgram, names: dict, indent: str, lane: str, form: str = "either") -> list[str]:
    """The per-step statements of a block for lane ``lane`` (``"0"``: once for lanes that share
    their inputs, the values left in scalars that the shared lane loop reads; ``"j"``: lane
    ``j``'s, inside its lane loop); ``form``: the running products' branch (:func:`_products`)."""
    out = [f"{indent}{n} = I_{n}[{lane}]" for n in names["step_inputs"]]
    out += [f"{indent}{n} = K_{n}[{lane}]" for n in names["step_consts"]]
    out += [f"{indent}{c.name} = C_{c.name}[{lane}]" for c in prog.carried]
    out += _products(prog, indent, form)
    out += _assign(prog.step, indent)
    out += [f"{indent}C_{c.name}[{lane}] = {c.new}" for c in prog.carried if c not in names["lane_carried"]]
    return out


def _lane_loop(prog: LaneProgram, names: dict, fam, indent: str, shared: bool = False, form: str = "either") -> list[str]:
    """One loop over the lanes of a block: the gradient at the lane's gradient point and the loss
    difference added to the regret (the family is compiled in: no branch on it), then the lane's
    equations and acceptance rule.  ``shared``: the lanes share the step's values, read from the
    scalars of lane 0; else each lane computes its own in the same loop, the running products in
    ``form`` (:func:`_products`)."""
    i4, out = indent + "    ", []
    out += [f"{indent}for jj in range(W):", f"{i4}j = uint64(jj)", f"{i4}x_0 = X[j]"]
    out += _load_params(fam, "PP[{r}, j]", i4) + [f"{i4}xs = XS[j]", f"{i4}ctr = CTR[j]"]
    if prog.point is not None:
        out += _lane_loads(prog, names, i4, shared, form) + [f"{i4}xe = {_e(prog.point.expr)}"]
    else:
        out += [f"{i4}xe = x_0"]
    out += _family_step(fam, i4)
    out += [f"{i4}CTR[j] = ctr", f"{i4}REG[j] = REG[j] + ld if BAD[j] == 0.0 else REG[j]"]
    return out + _lane_body(prog, names, i4, "block", loaded=prog.point is not None, shared=shared, form=form)


def _blocked_kernel(prog: LaneProgram, names: dict, fam) -> list[str]:
    """Configurations in blocks of ``W`` SIMD lanes (struct of arrays); run from threads."""
    rows = {s: r for r, s in enumerate(prog.states)}
    carried = list(prog.carried)
    out = ["@njit(cache=True, nogil=True, error_model=\"numpy\")",
           "def sweep_blocked(W, HT, lr0, lr_mult, x0, ST0, ppT, draws, lo, hi, project, xstar, ctr0, out, first, "
           "last):",
           "    T = lr_mult.shape[0]",
           "    for b in range(first, last):",
           "        s = uint64(b * W)"]
    i2 = "        "
    # the block's columns copied element by element (see the module's note on slice copies)
    blocks = ([f"I_{n}" for n in names["inputs"]] + ["LR0", "XS", "X", "CTR", "REG", "XMAX", "BAD"]
              + [f"S_{s}" for s in prog.lane_states] + [f"C_{c.name}" for c in carried]
              + [f"K_{n}" for n in names["const"]])
    out += [f"{i2}{a} = np.empty(W)" for a in blocks] + [f"{i2}PP = np.empty((ppT.shape[0], W))"]
    fill = [f"I_{n}[j] = HT[{k}, s + j]" for k, n in enumerate(names["inputs"])]
    fill += ["LR0[j] = lr0[s + j]", "XS[j] = xstar[s + j]", "X[j] = x0[s + j]", "CTR[j] = ctr0[s + j]",
             "REG[j] = 0.0", "XMAX[j] = abs(X[j])", "BAD[j] = 0.0"]
    fill += [f"S_{s}[j] = ST0[{rows[s]}, s + j]" for s in prog.lane_states]
    fill += [f"C_{c.name}[j] = ST0[{rows[c.state]}, s + j]" if c.state else f"C_{c.name}[j] = 1.0" for c in carried]
    fill += ["for r in range(ppT.shape[0]):", "    PP[r, j] = ppT[r, s + j]"]
    fill += [f"{n} = I_{n}[j]" for n in names["inputs"]]
    out += [f"{i2}for jj in range(W):", f"{i2}    j = uint64(jj)"] + [f"{i2}    {ln}" for ln in fill]
    out += _assign(prog.const, i2 + "    ")
    out += [f"{i2}    K_{n}[j] = {n}" for n in names["const"]]
    # the lanes share their per-step values when they share every input those read
    cond = " & ".join(f"(I_{n}[j] == I_{n}[0])" for n in names["step_inputs"]) or "True"
    out += [f"{i2}uni = True", f"{i2}for j in range(W):", f"{i2}    uni = uni & {cond}"]
    out += [f"{i2}for k in range(T):",
            f"{i2}    tf = float(k + 1)",
            f"{i2}    t = k + 1",
            f"{i2}    anchor = k % ANCHOR == 0",
            f"{i2}    lm = lr_mult[k]",
            f"{i2}    u = draws[k]"]
    i3 = i2 + "    "
    i4 = i3 + "    "
    i5 = i4 + "    "
    if names["step_used"] or carried or prog.step:
        # the step's values: once from lane 0 when the lanes share them, then a lane loop that
        # reads them (and the inputs they read) as scalars; else each lane's own, in its lane
        # loop (the same statements, the same bits), split on anchor where running products
        # are: between anchors the loop has no pow in it and vectorises
        out.append(f"{i3}if uni:")
        out += _step_values(prog, names, i4, "0") + [f"{i4}pass"]
        out += _lane_loop(prog, names, fam, i4, shared=True)
        out.append(f"{i3}else:")
        if prog.products:
            out += [f"{i4}if anchor:"] + _lane_loop(prog, names, fam, i5, form="anchor")
            out += [f"{i4}else:"] + _lane_loop(prog, names, fam, i5, form="product")
        else:
            out += _lane_loop(prog, names, fam, i4)
    else:
        out += _lane_loop(prog, names, fam, i3)
    out += [f"{i2}for jj in range(W):",
            f"{i2}    j = uint64(jj)",
            f"{i2}    out[s + j, 0] = X[j]",
            f"{i2}    out[s + j, 1] = REG[j] / T",
            f"{i2}    out[s + j, 2] = XMAX[j]",
            f"{i2}    out[s + j, 3] = BAD[j]", "", ""]
    return out


def _config_body(prog: LaneProgram, names: dict, indent: str, fam) -> list[str]:
    """One configuration ``c`` from start to summaries, in local variables (the scalar sweep's
    iteration and the CUDA kernel's thread)."""
    rows = {s: r for r, s in enumerate(prog.states)}
    out = [f"{indent}{n} = HT[{k}, c]" for k, n in enumerate(names["inputs"])]
    out += _assign(prog.const, indent)
    out += [f"{indent}{c.name} = ST0[{rows[c.state]}, c]" if c.state else f"{indent}{c.name} = 1.0"
            for c in prog.carried]
    out += [f"{indent}s_{s} = ST0[{rows[s]}, c]" for s in prog.lane_states]
    out += [f"{indent}x = x0[c]", f"{indent}ctr = ctr0[c]", f"{indent}reg = 0.0", f"{indent}xmax = abs(x)",
            f"{indent}bad = 0.0", f"{indent}xs = xstar[c]", f"{indent}lrc = lr0[c]",
            *_load_params(fam, "ppT[{r}, c]", indent),
            f"{indent}T = lr_mult.shape[0]",
            f"{indent}for k in range(T):"]
    i2 = indent + "    "
    out += [f"{i2}tf = float(k + 1)", f"{i2}t = k + 1", f"{i2}anchor = k % ANCHOR == 0", f"{i2}u = draws[k]"]
    out += _products(prog, i2)
    out += _assign(prog.step, i2)
    out += [f"{i2}x_0 = x"] + [f"{i2}{s}_0 = s_{s}" for s in prog.lane_states]
    out += [f"{i2}lr = lrc * lr_mult[k]"]
    out += _assign(prog.steplr, i2)
    out += [f"{i2}xe = {_e(prog.point.expr)}" if prog.point is not None else f"{i2}xe = x_0"]
    out += _family_step(fam, i2)
    out += [f"{i2}reg = reg + ld"]
    out += _lane_body(prog, names, i2, "scalar")
    out += [f"{i2}{c.name} = {c.new}" for c in prog.carried if c.new != c.name]
    out += [f"{indent}out[c, 0] = x", f"{indent}out[c, 1] = reg / T", f"{indent}out[c, 2] = xmax",
            f"{indent}out[c, 3] = bad"]
    return out


def _scalar_kernel(prog: LaneProgram, names: dict, fam) -> list[str]:
    """One configuration per iteration over ``[first, last)`` (run from threads, like the
    blocked kernel: a serial ``nogil`` loop compiles in about half the time of a ``prange``)."""
    out = ["@njit(cache=True, nogil=True, error_model=\"numpy\")",
           "def sweep_scalar(HT, lr0, lr_mult, x0, ST0, ppT, draws, lo, hi, project, xstar, ctr0, out, first, last):",
           "    for c in range(first, last):"]
    out += _config_body(prog, names, "        ", fam)
    return out + ["", ""]


def _cuda_kernel(prog: LaneProgram, names: dict, fam) -> list[str]:
    """Built on demand (``make_cuda()``): importing numba.cuda costs time a CPU run does not pay.
    The family's ``gradient`` and ``loss`` and ``_sign``, ``_max``, ``_min`` become device
    functions compiled from the same Python source."""
    out = ["def make_cuda():",
           "    global cuda  # a module global, which Numba's CUDA simulator replaces inside kernels",
           "    from numba import cuda",
           "",
           "    def dev(f):",
           "        return cuda.jit(device=True)(f.py_func)",
           "",
           "    dsign, dmax, dmin = dev(_sign), dev(_max), dev(_min)"]
    out += ["    D_grad = cuda.jit(device=True)(FAMILY.gradient)"]
    out += ["    dR = dev(R)"] if _ROUNDING[0] else []
    out += ["    D_loss = cuda.jit(device=True)(FAMILY.loss)"] if fam.loss is not None else []
    out += ["",
            "    @cuda.jit",
            "    def sweep_cuda(HT, lr0, lr_mult, x0, ST0, ppT, draws, lo, hi, project, xstar, ctr0, out):",
            "        c = cuda.grid(1)",
            "        if c >= x0.shape[0]:",
            "            return"]
    body = _config_body(prog, names, "        ", fam)
    body = [ln.replace("_sign(", "dsign(").replace("_max(", "dmax(").replace("_min(", "dmin(")
            .replace("F_grad(", "D_grad(").replace("F_loss(", "D_loss(") for ln in body]
    body = [re.sub(r"\bR\(", "dR(", ln) for ln in body]
    return out + body + ["", "    return sweep_cuda", "", ""]


def _rounding(fn):
    """Generate with the templates' rounding set to ``precision`` (float64: none) and the
    hoisting of reciprocals on or off (``reciprocals``, default on)."""
    def wrapped(*args, precision: str = "float64", reciprocals: bool = True, **kw):
        check_precision(precision)
        _ROUNDING[0] = None if precision == "float64" else precision
        _RECIPROCALS[0] = bool(reciprocals)
        try:
            return fn(*args, **kw)
        finally:
            _ROUNDING[0] = None
            _RECIPROCALS[0] = True
    wrapped.__name__, wrapped.__doc__ = fn.__name__, fn.__doc__
    return wrapped


@_rounding
def run_source(alg: Algorithm, anchor: int = ANCHOR) -> str:
    """The generated module of ``alg``'s runs over ``d`` coordinates on explicit gradients
    (``init_states``, ``run_grads``); ``anchor`` the running products' anchor period (1: every
    power computed by ``pow``, for tests that compare operation by operation)."""
    prog = analyse(alg, reciprocals=_RECIPROCALS[0])
    lines = _header(alg, prog, anchor) + [f"KEPT = {max(1, len(prog.kept))}", "", ""]
    return "\n".join(lines + _run_kernels(prog, _layout(prog))) + "\n"


@_rounding
def oracle_source(alg: Algorithm, fam, anchor: int = ANCHOR) -> str:
    """The generated module of ``alg``'s runs over ``d`` coordinates on the problem family ``fam``
    (``init_states``, ``run_oracle``)."""
    prog = analyse(alg, reciprocals=_RECIPROCALS[0])
    lines = _header(alg, prog, anchor, fam) + [f"KEPT = {max(1, len(prog.kept))}", "", ""]
    return "\n".join(lines + _run_kernels(prog, _layout(prog), fam)) + "\n"


@_rounding
def sweep_source(alg: Algorithm, fam, anchor: int = ANCHOR) -> str:
    """The generated module of ``alg``'s one-dimensional sweeps on the problem family ``fam``
    (``init_states``, ``sweep_blocked``, ``sweep_scalar``, ``make_cuda``)."""
    prog = analyse(alg, one_dimensional=True, reciprocals=_RECIPROCALS[0])
    names = _layout(prog)
    lines = _header(alg, prog, anchor, fam)
    init = ["@njit(cache=True, error_model=\"numpy\")", "def init_states(hv, out):"]
    init += _load_inputs(prog, names, "hv[{k}]", "    ")
    init += _init_block(prog, "    ", "out[{r}]")
    init += ["    return out", "", ""]
    lines += init + _blocked_kernel(prog, names, fam) + _scalar_kernel(prog, names, fam) + _cuda_kernel(prog, names, fam)
    return "\n".join(lines) + "\n"


_MODULES: dict = {}


def key(text: str) -> str:
    return hashlib.sha256((GENERATOR_VERSION + "\0" + text).encode()).hexdigest()[:20]


def module_path(text: str) -> str:
    """Where the generated module with source ``text`` lives in the kernel cache."""
    return os.path.join(cache_dir(), f"k_{key(text)}.py")


def load_source(text: str):
    """Import a generated module from the cache (writing it there first)."""
    k = key(text)
    hit = _MODULES.get(k)
    if hit is not None:
        return hit
    path = module_path(text)
    try:
        write_text(path, text)
    except OSError:
        path = os.path.join(fallback_dir(), f"k_{k}.py")
        write_text(path, text)
    mod = import_file(f"optmath_generated_{k}", path)
    _MODULES[k] = mod
    return mod


_BY_PROGRAM: dict = {}


def _memo(kind: str, alg: Algorithm, anchor: int, make, fam=None, precision: str = "float64", reciprocals: bool = True):
    """The module of ``alg``'s program, generated once per process: printing the source needs the
    SymPy analysis (tens of milliseconds), which a run of a few steps must not pay each time.
    Keyed by spec, switches and anchor; the stored program is compared with ``alg``'s, so a
    program built on the fly (a mutant of the same spec) gets its own module."""
    fk = None if fam is None else (fam.name, fam.fingerprint)
    k = (kind, alg.spec.name, tuple(sorted(alg.switches.items())), int(anchor), fk, precision, bool(reciprocals))
    hit = _BY_PROGRAM.get(k)
    if hit is not None and hit[0] == alg.program:
        return hit[1]
    pk = {} if (precision, reciprocals) == ("float64", True) else {"precision": precision, "reciprocals": reciprocals}
    mod = load_source(make(alg, anchor, **pk) if fam is None else make(alg, fam, anchor, **pk))
    _BY_PROGRAM[k] = (alg.program, mod)
    return mod


def specialisations() -> list[tuple[str, str, str]]:
    """The kernel specialisations this process compiled or loaded from Numba's disk cache:
    ``(module key, function, signature)`` for every generated module imported here (a test
    suite's budget of compiled programs is counted with this)."""
    from numba.core.registry import CPUDispatcher

    out = []
    for k, mod in list(_MODULES.items()):
        for name, fn in sorted(vars(mod).items()):
            if isinstance(fn, CPUDispatcher) and fn.__module__ == mod.__name__:
                out += [(k, name, str(sig)) for sig in fn.signatures]
    return out


def load_run(alg: Algorithm, anchor: int = ANCHOR, precision: str = "float64", reciprocals: bool = True):
    """The generated run module of ``alg`` (see :func:`run_source`)."""
    return _memo("run", alg, anchor, run_source, None, precision, reciprocals)


def load_oracle(alg: Algorithm, fam, anchor: int = ANCHOR, precision: str = "float64"):
    """The generated run module of ``alg`` on the problem family ``fam`` (:func:`oracle_source`)."""
    return _memo("oracle", alg, anchor, oracle_source, fam, precision)


def load_sweep(alg: Algorithm, fam, anchor: int = ANCHOR, precision: str = "float64", reciprocals: bool = True):
    """The generated sweep module of ``alg`` on the problem family ``fam`` (:func:`sweep_source`)."""
    return _memo("sweep", alg, anchor, sweep_source, fam, precision, reciprocals)


def load_interval(alg: Algorithm):
    """The generated interval-replay module of ``alg`` (:func:`optmath.kernels.interval.interval_source`)."""
    from .interval import INTERVAL_VERSION, interval_source

    return _memo("interval" + INTERVAL_VERSION, alg, 0, lambda a, _anchor: interval_source(a))


__all__ = ["load_interval", "run_source", "oracle_source", "sweep_source", "load_run", "load_oracle", "load_sweep", "specialisations", "module_path", "load_source", "cache_dir", "expr_source", "KernelPrinter", "GENERATOR_VERSION"]
