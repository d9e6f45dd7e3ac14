r"""Reference steps generated from a spec's SymPy equations.

:func:`reference_step` prints every equation of a resolved algorithm to Python source with a
small whitelisted printer (functions come from a namespace ``F``), so one generated body runs
either on NumPy arrays (float64, vectorised over coordinates) or on mpmath numbers at any
precision.  Nothing here is written by hand per optimizer: the equations are the only input,
which is what makes the kernels' agreement with it a real check.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable

import numpy as np
import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from ..spec import Algorithm, Dot, Norm, RowInner, RowNorm, TensorMax


class _Printer(PythonCodePrinter):
    """Python source for an equation; every non-arithmetic function goes through ``F``."""

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.args
        if exp == sp.Rational(1, 2):
            return f"F.sqrt({self._print(base)})"
        if exp == -sp.Rational(1, 2):
            return f"(1/F.sqrt({self._print(base)}))"
        if exp == -1:
            return f"(1/({self._print(base)}))"
        return f"(({self._print(base)})**({self._print(exp)}))"

    def _print_Rational(self, expr):
        return f"F.rat({expr.p}, {expr.q})"

    def _print_Integer(self, expr):
        return f"{int(expr)}"

    def _print_Float(self, expr):
        return repr(float(expr))

    def _fold(self, name: str, expr) -> str:
        """``F.name(F.name(a, b), c)`` for a Max or Min of any number of arguments."""
        out = self._print(expr.args[0])
        for a in expr.args[1:]:
            out = f"F.{name}({out}, {self._print(a)})"
        return out

    def _print_Max(self, expr):
        return self._fold("maximum", expr)

    def _print_Min(self, expr):
        return self._fold("minimum", expr)

    def _print_exp(self, expr):
        return f"F.exp({self._print(expr.args[0])})"

    def _print_log(self, expr):
        return f"F.log({self._print(expr.args[0])})"

    def _print_sign(self, expr):
        return f"F.sign({self._print(expr.args[0])})"

    def _print_Abs(self, expr):
        return f"abs({self._print(expr.args[0])})"

    def _print_Piecewise(self, expr):
        *pairs, (last, cond) = expr.args
        out = self._print(last) if cond == sp.true else f"F.where({self._print(cond)}, {self._print(last)}, F.nan)"
        for val, c in reversed(pairs):
            out = f"F.where({self._print(c)}, {self._print(val)}, {out})"
        return out

    #: the spec's reductions and the namespace function each one is printed as
    _REDUCTIONS = ((Dot, "dot"), (Norm, "norm"), (RowInner, "rowdot"), (RowNorm, "rownorm"), (TensorMax, "tmax"))

    def _print_Function(self, expr):
        for cls, name in self._REDUCTIONS:
            if isinstance(expr, cls):
                return f"F.{name}({', '.join(self._print(a) for a in expr.args)})"
        raise TypeError(f"function {expr.func} is not allowed in a spec")


_PRINTER = _Printer({"fully_qualified_modules": False})


def equation_source(expr) -> str:
    """Python source of one expression, through the whitelisted printer."""
    return _PRINTER.doprint(sp.sympify(expr))


def _np_where(c, a, b):
    with np.errstate(all="ignore"):
        return np.where(c, a, b)


def shape_of(shape, dim: int) -> tuple[int, int, int]:
    """``(rank, rows, cols)`` of the channel view of a tensor of ``shape`` with ``dim``
    coordinates; ``None`` is a vector (rank 1, ``dim`` rows of one coordinate)."""
    if shape is None:
        return 1, dim, 1
    shape = tuple(int(n) for n in shape)
    size = math.prod(shape)
    if size != dim:
        raise ValueError(f"a tensor of shape {shape} has {size} coordinates, not {dim}")
    rows = shape[0] if shape else 1
    return max(len(shape), 1), rows, (size // rows if rows else 0)


def numpy_namespace(shape=None) -> SimpleNamespace:
    """The ``F`` namespace for float NumPy arrays holding one tensor of ``shape``, flattened
    (``None``: a vector).  The per-row reductions (``rowdot``, ``rownorm``) use its channel view."""
    if shape is None:
        rank, cols = 1, 1

        def rowsum(a):
            return a
    else:
        rank, rows, cols = shape_of(shape, math.prod(shape))

        def rowsum(a):
            flat = np.broadcast_to(a, (rows * cols,)).reshape(rows, cols)
            return np.repeat(flat.sum(axis=1), cols)

    return SimpleNamespace(
        sqrt=np.sqrt, exp=np.exp, log=np.log, maximum=np.maximum, minimum=np.minimum, sign=np.sign, where=_np_where, rat=lambda p, q: p / q,
        nan=math.nan, dot=lambda a, b: float(np.dot(a, b)), norm=lambda a: float(np.sqrt(np.dot(a, a))),
        rowdot=lambda a, b: rowsum(a * b), rownorm=lambda a: np.sqrt(rowsum(a * a)),
        tmax=lambda a: float(np.max(a)), rank=rank, cols=cols,
    )


#: the namespace for a vector (rank 1: each row of the channel view is one coordinate)
NUMPY = numpy_namespace()


def mpmath_namespace(mp):
    """The ``F`` namespace for scalar mpmath evaluation (vector functions see one coordinate)."""
    return SimpleNamespace(
        sqrt=mp.sqrt, exp=mp.exp, log=mp.log, maximum=lambda a, b: b if b > a else a, minimum=lambda a, b: b if b < a else a, sign=mp.sign,
        where=lambda c, a, b: a if c else b, rat=lambda p, q: mp.mpf(p) / q, nan=mp.nan,
        dot=lambda a, b: a * b, norm=abs, rowdot=lambda a, b: a * b, rownorm=abs, tmax=lambda a: a,
        rank=1, cols=1,
    )


@dataclass(frozen=True)
class ReferenceStep:
    """Generated step: ``new_x, new_states = fn(x, g, t, d, H, S, F)``; ``source`` is the code."""

    fn: Callable
    source: str
    look: Callable | None
    state_names: tuple[str, ...]


def _generate(alg: Algorithm) -> ReferenceStep:
    names = [s.name for s in alg.states]
    lines = ["def step(x, g, t, d, H, S, F):"]
    for h in alg.spec.hypers:
        lines.append(f"    {h.name} = H[{h.name!r}]")
    for n in names:
        lines.append(f"    {n} = S[{n!r}]")
    if alg.free_names() & {"rank", "cols"}:
        lines.append("    rank, cols = F.rank, F.cols")
    for a in alg.updates:
        lines.append(f"    {a.target} = {equation_source(a.expr)}  # {a.note}")
    lines.append("    return x, {" + ", ".join(f"{n!r}: {n}" for n in names) + "}")
    src = "\n".join(lines)
    look_fn = None
    if alg.program.lookahead is not None:
        look_src = ["def look(x, t, d, H, S, F):"]
        look_src += [f"    {h.name} = H[{h.name!r}]" for h in alg.spec.hypers]
        look_src += [f"    {n} = S[{n!r}]" for n in names]
        if alg.free_names() & {"rank", "cols"}:
            look_src.append("    rank, cols = F.rank, F.cols")
        look_src.append(f"    return {equation_source(alg.program.lookahead)}")
        src += "\n\n" + "\n".join(look_src)
    namespace: dict = {}
    exec(compile(src, f"<reference {alg.spec.name}/{alg.profile}>", "exec"), namespace)  # noqa: S102 - our own printed specs
    if alg.program.lookahead is not None:
        look_fn = namespace["look"]
    return ReferenceStep(namespace["step"], src, look_fn, tuple(names))


_CACHE: dict = {}


def compile_step(alg: Algorithm) -> ReferenceStep:
    """The generated step of ``alg``, uncached (for programs built on the fly, e.g. mutants)."""
    return _generate(alg)


def reference_step(alg: Algorithm) -> ReferenceStep:
    """The generated reference step of ``alg`` (cached per spec object and switches)."""
    key = (id(alg.spec), tuple(sorted(alg.switches.items())))
    hit = _CACHE.get(key)
    if hit is None or hit[0] is not alg.spec:
        hit = _CACHE[key] = (alg.spec, _generate(alg))
    return hit[1]


@dataclass
class ReferenceRun:
    xs: np.ndarray  # (T+1, d)
    states: dict  # name -> (T+1, d)
    nonfinite_step: int  # 0 when every value stayed finite


def reference_run(alg: Algorithm, grads: np.ndarray, x0, lrs: np.ndarray | None = None, *,
                  step: ReferenceStep | None = None, t_of=None, dtype: str = "float64",
                  stop_at_nonfinite: bool = True, shape=None) -> ReferenceRun:
    """Run the generated NumPy reference over an explicit gradient stream ``grads`` (T, d).

    ``shape`` is the tensor's shape (``d`` coordinates, flattened in C order) for the rules
    that reduce per row of its channel view; ``None`` is a vector.

    ``step`` replaces the cached generated step (a program built on the fly, e.g. a mutant);
    ``t_of(k)`` is the counter the step sees at step ``k`` (default ``k``); ``dtype`` is the
    precision of the iterate and states.  With ``stop_at_nonfinite=False`` the run goes on
    after a non-finite value (a Python ``ZeroDivisionError`` gives a NaN iterate) and keeps all
    ``T + 1`` rows.
    """
    ref = step or reference_step(alg)
    dt = np.dtype(dtype)
    grads = np.asarray(grads, dtype=np.float64)
    T, dim = grads.shape
    shape_of(shape, dim)  # a shape of another size is a caller's error
    F = numpy_namespace(shape)
    x = np.array(np.broadcast_to(np.asarray(x0, dtype=dt), (dim,)))
    S = {s.name: np.full(dim, alg.initial_value(s), dtype=dt) for s in alg.states}
    H = dict(alg.values)
    xs = np.empty((T + 1, dim))
    xs[0] = x
    hist = {n: np.empty((T + 1, dim)) for n in S}
    for n in S:
        hist[n][0] = S[n]
    bad = 0
    with np.errstate(all="ignore"):
        for k in range(T):
            if lrs is not None:
                H["lr"] = float(lrs[k])
            try:
                x, S = ref.fn(x, grads[k].astype(dt), k + 1 if t_of is None else t_of(k + 1), dim, H, S, F)
            except ZeroDivisionError:
                if stop_at_nonfinite:
                    raise
                x = np.full(dim, np.nan)
            x = np.broadcast_to(np.asarray(x, dtype=dt), (dim,)).copy()
            S = {n: np.broadcast_to(np.asarray(v, dtype=dt), (dim,)).copy() for n, v in S.items()}
            xs[k + 1] = x
            for n in S:
                hist[n][k + 1] = S[n]
            if not bad and not (np.all(np.isfinite(x)) and all(np.all(np.isfinite(v)) for v in S.values())):
                bad = k + 1
                if stop_at_nonfinite:
                    xs, hist = xs[: k + 2], {n: h[: k + 2] for n, h in hist.items()}
                    break
    return ReferenceRun(xs, hist, bad)
