r"""Exercise sheets with answer keys produced by the toolkit, and their auto-grading.

Every exercise type is a :class:`Kind`: a seeded generator of parameters, a prompt, an answer
*computed by optmath* from those parameters (closed forms from the derivation engine, kernels,
the classifier, the conformance checker), and a grading rule.  A sheet stores only the
parameters (``sheet.json``); grading recomputes each answer from them, so a key can never drift
from the code that produced it.  IDs are stable: ``<kind>-<seed>-<position>``.

Answer forms: ``number`` (parsed by the whitelist formula parser, so ``171/1000`` or
``sqrt(2)/2`` are numbers; compared with ``NUMBER_RTOL``), ``integer``, ``choice`` (a letter),
``formula`` (parsed by the whitelist parser and compared symbolically, then at random points),
``params`` (``C=3, n=3``: a problem the toolkit runs and classifies) and ``code`` (a file checked by
the conformance checker).
"""
from __future__ import annotations

import functools
import json
import math
import random
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Callable

from .._version import __version__
from ..errors import OptmathValueError, UnknownNameError

NUMBER_RTOL = 1e-6
MAX_ANSWER_CHARS = 2000
MAX_ANSWERS_BYTES = 1_000_000


class GradeError(OptmathValueError):
    """A sheet or an answers file that cannot be read (one line)."""


@dataclass(frozen=True)
class Kind:
    key: str
    topic: str
    title: str
    form: str  # number | integer | choice | formula | params | code
    make: Callable[[random.Random], dict]
    prompt: Callable[[dict], str]
    answer: Callable[[dict], object]  # the toolkit's answer from the parameters
    explain: Callable[[dict, object], str]


# --- the kinds -----------------------------------------------------------------------------------------
def _ema_state_make(rng):
    b = rng.choice([Fraction(9, 10), Fraction(4, 5), Fraction(1, 2)])
    g = [rng.choice([-2, -1, 1, 2, 3]) for _ in range(rng.randint(3, 5))]
    return {"b1": str(b), "g": g}


def _ema_state_answer(p):
    """m_k from the spec's own update (exact rationals through the derivation engine's expansion)."""
    from ..optimizers import get_spec
    from ..symbolic.ema import weight_table

    b = Fraction(p["b1"])
    rows = weight_table(get_spec("adam").resolve("paper"), "m", len(p["g"]), b1=b)
    last = [r for r in rows if r["t"] == len(p["g"])]
    return sum(Fraction(str(r["raw"])) * p["g"][r["i"] - 1] for r in last)


def _corrected_weight_answer(p):
    b, t = Fraction(p["b"]), p["t"]
    return (1 - b) * b ** (t - 1) / (1 - b**t)


def _heavy_ball_answer(p):
    """Largest stable lr: where the Schur condition 1 + T + D > 0 of the spec's iteration matrix
    (the eigenvalue -1 edge) first fails."""
    import sympy as sp

    from ..optimizers import get_spec
    from ..symbolic.checks import subs_by_name
    from ..symbolic.quadratic import iteration_matrix

    im = iteration_matrix(get_spec("momentum").resolve("paper"), mu=Fraction(p["mu"]))
    edge = subs_by_name(1 + im.trace + im.det, {"h": sp.nsimplify(Fraction(p["h"]))})
    lr = next(s for s in edge.free_symbols if s.name == "lr")
    roots = [r for r in sp.solve(sp.Eq(edge, 0), lr) if r.is_positive]
    return Fraction(str(min(roots))) if roots else None


def _steps_until_answer(p):
    from ..symbolic.ema import steps_until

    return steps_until(Fraction(p["b"]), Fraction(p["delta"]))


@functools.lru_cache(maxsize=1)
def _bias_free_answer(p=None):
    """(No parameters: computed once per process, which a roster of sheets needs.)"""
    from ..optimizers import get_spec
    from ..symbolic.ema import analyse

    return analyse(get_spec("adam").resolve("paper"), "m").bias_free


SNIPPETS = {
    "correct": "m = b1 * m + (1 - b1) * g\nv = b2 * v + (1 - b2) * g * g\n"
               "p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)",
    "t_never_incremented": "m = b1 * m + (1 - b1) * g\nv = b2 * v + (1 - b2) * g * g\n"
                           "p = p - lr * (m / (1 - b1)) / (np.sqrt(v / (1 - b2)) + eps)",
    "square_missing": "m = b1 * m + (1 - b1) * g\nv = b2 * v + (1 - b2) * g\n"
                      "p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)",
    "eps_precedence": "m = b1 * m + (1 - b1) * g\nv = b2 * v + (1 - b2) * g * g\n"
                      "p = p - lr * (m / (1 - b1 ** t)) / np.sqrt(v / (1 - b2 ** t)) + eps",
    "missing_one_minus_b": "m = b1 * m + g\nv = b2 * v + (1 - b2) * g * g\n"
                           "p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)",
}


def _which_make(rng):
    bug = rng.choice(sorted(k for k in SNIPPETS if k != "correct"))
    correct_first = rng.random() < 0.5
    return {"A": "correct" if correct_first else bug, "B": bug if correct_first else "correct"}


def run_snippet(code: str, grads, lr=0.01, b1=0.9, b2=0.999, eps=1e-8):
    """Run one of the sheet's snippets (our own text, a fixed namespace) over a gradient stream."""
    import numpy as np

    env = {"np": np, "m": 0.0, "v": 0.0, "p": 0.0, "lr": lr, "b1": b1, "b2": b2, "eps": eps}
    xs = [0.0]
    for t, g in enumerate(grads, start=1):
        env.update(g=float(g), t=t)
        with np.errstate(all="ignore"):  # a buggy snippet may take the root of a negative number
            exec(compile(code, "<snippet>", "exec"), env)  # noqa: S102 - SNIPPETS are ours, not user input
        xs.append(float(env["p"]))
    return np.array(xs)


def _which_answer(p):
    """The snippet whose run matches the Adam spec's reference on a probe stream."""
    import numpy as np

    from ..optimizers import get_spec
    from ..verify.reference import reference_run

    grads = np.array([1.0, -0.5, 2.0, 1e-3, -3.0, 0.7])
    ref = reference_run(get_spec("adam").resolve("paper", lr=0.01, eps=1e-8), grads[:, None], 0.0).xs[:, 0]
    ok = [k for k in ("A", "B") if np.allclose(run_snippet(SNIPPETS[p[k]], grads), ref, rtol=1e-12, atol=1e-15)]
    return ok[0] if len(ok) == 1 else None


def _noise_floor_answer(p):
    """Stationary E[x^2] of SGD on h/2 x^2 with gradient noise of variance s2 (SymPy fixed point)."""
    import sympy as sp

    lr, h, s2 = (sp.Rational(Fraction(p[k]).numerator, Fraction(p[k]).denominator) for k in ("lr", "h", "s2"))
    q = sp.Symbol("q", positive=True)
    sol = sp.solve(sp.Eq(q, (1 - lr * h) ** 2 * q + lr**2 * s2), q)
    return Fraction(str(sol[0]))


def _rmsprop_answer(p):
    """Limiting RMSProp step under a constant gradient (derivation engine, PyTorch profile)."""
    from ..optimizers import get_spec
    from ..symbolic.limits import steady_state, steady_step_value

    alg = get_spec("rmsprop").resolve("pytorch", lr=float(p["lr"]), eps=float(p["eps"]))
    return steady_step_value(steady_state(alg), float(p["G"]), alg)


def _tune_answer(p):
    """The lr from the list with the smallest |x_T| for gradient descent (kernel runs)."""
    from ..kernels.runner import run
    from ..optimizers import get_spec

    best = None
    for lr in p["lrs"]:
        tr = run(get_spec("gd").resolve("paper", lr=float(lr)), problem=f"quadratic:h={p['h']}", steps=p["T"],
                 x0=1.0, on_nonfinite="stop")
        val = abs(float(tr.xs[-1, 0])) if tr.nonfinite_step == 0 else math.inf
        if best is None or val < best[0]:
            best = (val, lr)
    return best[1]


def _construct_answer(p):
    return "C=3, n=3"  # one valid answer; grading runs the student's own problem


KINDS: dict[str, Kind] = {k.key: k for k in (
    Kind("ema_state", "ema", "State after k steps", "number", _ema_state_make,
         lambda p: (f"Adam's first moment with $\\beta_1 = {p['b1']}$ and $m_0 = 0$ sees the gradients "
                    f"$g_1, \\dots, g_{{{len(p['g'])}}} = {', '.join(map(str, p['g']))}$. Give $m_{{{len(p['g'])}}}$ "
                    "exactly (a fraction is fine)."),
         _ema_state_answer,
         lambda p, a: f"$m_k = (1 - \\beta_1) \\sum_i \\beta_1^{{k-i}} g_i = {a} \\approx {float(a):.10g}$"),
    Kind("corrected_weight", "ema", "Weight of g_1 after bias correction", "number",
         lambda r: {"b": r.choice(["9/10", "99/100", "1/2"]), "t": r.choice([2, 5, 10, 20])},
         lambda p: (f"With decay $\\beta = {p['b']}$, what weight does $g_1$ carry in the bias-corrected "
                    f"average at step $t = {p['t']}$?"),
         _corrected_weight_answer,
         lambda p, a: f"$\\frac{{(1 - \\beta)\\beta^{{t-1}}}}{{1 - \\beta^t}} = {a} \\approx {float(a):.10g}$"),
    Kind("steps_until", "ema", "Steps until the correction is negligible", "integer",
         lambda r: {"b": r.choice(["9/10", "99/100", "999/1000"]), "delta": r.choice(["1/100", "1/1000"])},
         lambda p: (f"For $\\beta = {p['b']}$, what is the smallest $t$ with $\\beta^t \\le {p['delta']}$ (the "
                    f"weights then sum to within ${p['delta']}$ of 1)?"),
         _steps_until_answer,
         lambda p, a: f"$\\lceil \\ln\\delta / \\ln\\beta \\rceil = {a}$, confirmed at 50 digits"),
    Kind("bias_free", "ema", "Rewrite the moment without bias correction", "formula", lambda r: {},
         lambda p: ("Adam keeps m_t = b1 m_{t-1} + (1 - b1) g_t and divides by 1 - b1^t. Write an update of the "
                    "normalised average m directly in terms of its previous value m, the gradient g, b1 and t, "
                    "so that no separate correction is needed (use ** for powers)."),
         lambda p: _bias_free_answer(), lambda p, a: f"m <- {a}; equal to Adam's m_hat for every t (proved by induction)"),
    Kind("heavy_ball_lr", "momentum", "Largest stable step for heavy ball", "number",
         lambda r: {"h": r.choice(["1", "2", "4", "10"]), "mu": r.choice(["1/2", "9/10", "0"])},
         lambda p: (f"Heavy-ball momentum with $\\mu = {p['mu']}$ on $f(x) = \\tfrac{{h}}{{2}} x^2$ with $h = {p['h']}$: "
                    "above which learning rate does the iteration become unstable?"),
         _heavy_ball_answer, lambda p, a: f"$\\eta h < 2 + 2\\mu$, so $\\eta^* = (2 + 2\\mu)/h = {a}$"),
    Kind("noise_floor", "sgd", "Why reduce the learning rate near convergence", "number",
         lambda r: {"lr": r.choice(["1/10", "1/100"]), "h": r.choice(["1", "2"]), "s2": r.choice(["1", "4"])},
         lambda p: (f"SGD on f(x) = h/2 x^2 (h = {p['h']}) sees gradients h x + noise of variance {p['s2']}. With "
                    f"lr = {p['lr']}, what is the stationary E[x^2]? (It shrinks with lr: this is why the "
                    "step is reduced near convergence.)"),
         _noise_floor_answer,
         lambda p, a: (f"$q = (1 - \\eta h)^2 q + \\eta^2 \\sigma^2$ gives "
                       f"$q = \\frac{{\\eta \\sigma^2}}{{h (2 - \\eta h)}} = {a}$")),
    Kind("rmsprop_limit", "rmsprop", "RMSProp under a constant gradient", "number",
         lambda r: {"lr": r.choice(["0.01", "0.1"]), "eps": r.choice(["1e-8", "0.5"]), "G": r.choice(["1", "2"])},
         lambda p: (f"PyTorch's RMSProp (eps = {p['eps']} outside the root, lr = {p['lr']}) sees the same gradient "
                    f"G = {p['G']} at every step. What does the step x_t - x_(t-1) tend to?"),
         _rmsprop_answer,
         lambda p, a: f"$s \\to G^2$, step $\\to -\\eta G / (|G| + \\epsilon) = {a:.10g}$"),
    Kind("tune_lr", "sgd", "Tune the learning rate and observe", "number",
         lambda r: {"h": r.choice([1.0, 4.0]), "T": 50, "lrs": [0.05, 0.3, 0.9, 1.6, 2.1]},
         lambda p: (f"Run gradient descent on f(x) = h/2 x^2 with h = {p['h']} from x_0 = 1 for {p['T']} steps with "
                    f"each lr in {p['lrs']}. Which lr ends closest to the optimum?"),
         _tune_answer, lambda p, a: f"lr = {a} (|1 - lr h| smallest; lr h > 2 diverges)"),
    Kind("which_correct", "adam", "Which of two implementations is correct", "choice", _which_make,
         lambda p: ("Two NumPy Adam steps (t starts at 1; p, m, v start at 0). Which one is Adam?\n\n"
                    f"A:\n```python\n{SNIPPETS[p['A']]}\n```\nB:\n```python\n{SNIPPETS[p['B']]}\n```"),
         _which_answer, lambda p, a: f"{a}; the other has the bug '{p['B' if a == 'A' else 'A']}'"),
    Kind("construct_failure", "adam", "Construct a case where Adam fails and AMSGrad converges", "params",
         lambda r: {},
         lambda p: ("On Reddi's problem (g = C once every n steps, -1 otherwise, x in [-1, 1], x_0 = 1) with "
                    "b1 = 0, b2 = 1/(1 + C^2), eps = 1e-8, no bias correction and lr_t = 0.5/sqrt(t) for *both* "
                    "methods, give C and n (as 'C=..., n=...') for which Adam fails and AMSGrad converges in 30000 steps."),
         _construct_answer, lambda p, a: f"for example {a} (Reddi et al., Theorem 1); graded by running both"),
    Kind("implement_adam", "adam", "Implement Adam in the d2l style", "code", lambda r: {},
         lambda p: ("Write `init_adam_states(feature_dim)` and `adam(params, states, hyperparams)` in the d2l.ai "
                    "style (torch tensors w, b with .grad; hyperparams['lr'], hyperparams['t'] from 1, incremented "
                    "by your step). Answer with the path of your .py file."),
         lambda p: "a file that `optmath check FILE --step adam --init init_adam_states --as adam` accepts",
         lambda p, a: "graded by the conformance checker, which names the bug when there is one"),
)}


# --- sheets ------------------------------------------------------------------------------------------
def make_sheet(seed: int = 0, topic: str | None = None) -> dict:
    """A sheet: one exercise of every kind (of ``topic``), parameters drawn from ``seed``."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise GradeError(f"seed = {seed!r} must be a non-negative integer")
    topics = sorted({k.topic for k in KINDS.values()})
    if topic is not None and topic not in topics:
        raise UnknownNameError("exercise topic", topic, topics)
    rng = random.Random(seed)
    items = []
    for pos, kind in enumerate(k for k in KINDS.values() if topic is None or k.topic == topic):
        items.append({"id": f"{kind.key}-{seed}-{pos + 1}", "kind": kind.key, "params": kind.make(rng)})
    return {"optmath": __version__, "seed": seed, "topic": topic, "exercises": items}


def render_sheet(sheet: dict, key: bool = False) -> str:
    """Markdown of the sheet (``key=True``: with the toolkit's answers and explanations)."""
    head = f"# optmath exercises{' - answer key' if key else ''} (seed {sheet['seed']})\n\n" \
           f"Generated by optmath {sheet['optmath']}; answers are computed by optmath from the parameters.\n"
    parts = [head]
    for n, item in enumerate(sheet["exercises"], start=1):
        kind = KINDS[item["kind"]]
        parts.append(f"\n## {n}. {kind.title} `{item['id']}`\n\n{kind.prompt(item['params'])}\n")
        if key:
            a = kind.answer(item["params"])
            parts.append(f"\n**Answer** ({kind.form}): `{a}`\n\n{kind.explain(item['params'], a)}\n")
    return "".join(parts)


def write_sheet(sheet: dict, out_dir) -> list[Path]:
    """``sheet.json`` (for grading), ``sheet.md``/``.html`` and ``key.md``/``.html`` in ``out_dir``."""
    from ..report.html import to_html

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / n for n in ("sheet.json", "sheet.md", "key.md", "sheet.html", "key.html")]
    paths[0].write_text(json.dumps(sheet, indent=2, sort_keys=True) + "\n")
    sheet_md, key_md = render_sheet(sheet), render_sheet(sheet, key=True)
    paths[1].write_text(sheet_md)
    paths[2].write_text(key_md)
    paths[3].write_text(to_html(sheet_md, f"optmath exercises (seed {sheet['seed']})"))
    paths[4].write_text(to_html(key_md, f"optmath exercises, answer key (seed {sheet['seed']})"))
    return paths


# --- grading -----------------------------------------------------------------------------------------------
@dataclass
class Mark:
    id: str
    kind: str
    correct: bool
    feedback: str


@dataclass
class GradeReport:
    marks: list
    notes: list = field(default_factory=list)  # e.g. the sandbox fallback's warning

    @property
    def score(self) -> tuple[int, int]:
        return sum(m.correct for m in self.marks), len(self.marks)

    def __str__(self) -> str:
        got, total = self.score
        lines = [f"{'ok   ' if m.correct else 'WRONG'} {m.id}: {m.feedback}" for m in self.marks]
        return "\n".join(self.notes + lines + [f"score: {got}/{total}"])

    def as_dict(self) -> dict:
        return {"score": list(self.score), "marks": [m.__dict__ for m in self.marks], "notes": list(self.notes)}


#: limits on an exercise's parameters (a sheet may be edited by hand): integers, list lengths,
#: text lengths and the size of a fraction's numerator and denominator; generated sheets stay
#: far inside them, an edited ``t = 10**9`` in an exact power is refused before grading
PARAM_INT = 10_000
PARAM_LIST = 100
PARAM_TEXT = 64
PARAM_FRACTION = 10**12


def _check_param(where: str, v) -> None:
    if isinstance(v, bool) or v is None:
        return
    if isinstance(v, int):
        if abs(v) > PARAM_INT:
            raise GradeError(f"{where} = {v} exceeds the limit {PARAM_INT} for an exercise parameter")
    elif isinstance(v, float):
        if not math.isfinite(v) or abs(v) > PARAM_INT:
            raise GradeError(f"{where} = {v!r} must be finite and at most {PARAM_INT} in size")
    elif isinstance(v, str):
        if len(v) > PARAM_TEXT:
            raise GradeError(f"{where} is {len(v)} characters long (limit {PARAM_TEXT})")
        try:
            q = Fraction(v)
        except (ValueError, ZeroDivisionError):
            return
        if abs(q.numerator) > PARAM_FRACTION or q.denominator > PARAM_FRACTION:
            raise GradeError(f"{where} = {v} is too large a number for an exercise parameter")
    elif isinstance(v, list):
        if len(v) > PARAM_LIST:
            raise GradeError(f"{where} has {len(v)} entries (limit {PARAM_LIST})")
        for i, x in enumerate(v):
            _check_param(f"{where}[{i}]", x)
    else:
        raise GradeError(f"{where} has an unexpected type {type(v).__name__}")


def _rational(where: str, key: str, v) -> Fraction:
    """A parameter as an exact rational (text like ``9/10`` or ``1e-8``, or a JSON number)."""
    try:
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise ValueError
        q = Fraction(v) if not isinstance(v, float) else Fraction(repr(v))
    except (ValueError, ZeroDivisionError, OverflowError):
        raise GradeError(f"{where}: {key} = {v!r} is not a number") from None
    return q


def _in(where, p, key, lo=None, hi=None, lo_open=False, hi_open=False, integer=False) -> Fraction:
    """``p[key]`` as a rational inside the given interval, or one GradeError naming the rule."""
    q = _rational(where, key, p[key])
    if integer and (q.denominator != 1 or isinstance(p[key], str)):
        raise GradeError(f"{where}: {key} = {p[key]!r} must be an integer")
    below = lo is not None and (q < lo or (lo_open and q == lo))
    above = hi is not None and (q > hi or (hi_open and q == hi))
    if below or above:
        left = "" if lo is None else ("(" if lo_open else "[") + str(lo)
        right = "" if hi is None else str(hi) + (")" if hi_open else "]")
        rule = (f"in {left}, {right}" if lo is not None and hi is not None else
                f"{'>' if lo_open else '>='} {lo}" if lo is not None else f"{'<' if hi_open else '<='} {hi}")
        raise GradeError(f"{where}: {key} = {p[key]!r} must be {rule}")
    return q


def _domain_noise_floor(where, p):
    lr, h = _in(where, p, "lr", 0, lo_open=True), _in(where, p, "h", 0, lo_open=True)
    _in(where, p, "s2", 0, lo_open=True)
    if lr * h >= 2:
        raise GradeError(f"{where}: lr*h = {lr * h} must be below 2 (the stationary E[x^2] exists only for "
                         "0 < lr h < 2, where |1 - lr h| < 1)")


def _domain_rmsprop(where, p):
    _in(where, p, "lr", 0, lo_open=True)
    _in(where, p, "eps", 0)
    if _rational(where, "G", p["G"]) == 0:
        raise GradeError(f"{where}: G = {p['G']!r} must not be 0 (the limiting step of a zero gradient is 0/0 "
                         "without eps)")


def _domain_tune_lr(where, p):
    _in(where, p, "h", 0, lo_open=True)
    _in(where, p, "T", 1, PARAM_INT, integer=True)
    if not isinstance(p["lrs"], list) or not p["lrs"]:
        raise GradeError(f"{where}: lrs = {p['lrs']!r} must be a non-empty list of learning rates")
    for i, v in enumerate(p["lrs"]):
        _in(where, {f"lrs[{i}]": v}, f"lrs[{i}]", 0, lo_open=True)


def _domain_ema_state(where, p):
    _in(where, p, "b1", 0, 1, hi_open=True)
    if not isinstance(p["g"], list) or not p["g"]:
        raise GradeError(f"{where}: g = {p['g']!r} must be a non-empty list of gradients")
    for i, v in enumerate(p["g"]):
        _in(where, {f"g[{i}]": v}, f"g[{i}]", integer=True)


def _domain_which(where, p):
    for k in ("A", "B"):
        if p[k] not in SNIPPETS:
            raise UnknownNameError(f"snippet ({where}: {k})", p[k], SNIPPETS)
    if sorted((p["A"] == "correct", p["B"] == "correct")) != [False, True]:
        raise GradeError(f"{where}: exactly one of A = {p['A']!r} and B = {p['B']!r} must be 'correct'")


#: the parameters of every kind and the domain their answer is defined on (an edited sheet with
#: ``h = 0`` or ``lr h = 2`` is refused before grading, with the rule it breaks)
DOMAINS: dict[str, tuple[tuple, Callable]] = {
    "ema_state": (("b1", "g"), _domain_ema_state),
    "corrected_weight": (("b", "t"), lambda w, p: (_in(w, p, "b", 0, 1, hi_open=True),
                                                  _in(w, p, "t", 1, PARAM_INT, integer=True))),
    "steps_until": (("b", "delta"), lambda w, p: (_in(w, p, "b", 0, 1, True, True),
                                                  _in(w, p, "delta", 0, 1, True, True))),
    "bias_free": ((), lambda w, p: None),
    "heavy_ball_lr": (("h", "mu"), lambda w, p: (_in(w, p, "h", 0, lo_open=True), _in(w, p, "mu", 0, 1, hi_open=True))),
    "noise_floor": (("lr", "h", "s2"), _domain_noise_floor),
    "rmsprop_limit": (("lr", "eps", "G"), _domain_rmsprop),
    "tune_lr": (("h", "T", "lrs"), _domain_tune_lr),
    "which_correct": (("A", "B"), _domain_which),
    "construct_failure": ((), lambda w, p: None),
    "implement_adam": ((), lambda w, p: None),
}
SHEET_KEYS = ("optmath", "seed", "topic", "exercises")
ITEM_KEYS = ("id", "kind", "params")


def check_sheet(sheet, where: str) -> dict:
    """Validate a sheet strictly (it may be edited by hand): its keys, at most ``MAX_EXERCISES``
    exercises with distinct ids, every exercise's parameters of its kind, within the size limits
    and inside the domain its answer is defined on.  One GradeError naming the key and value."""
    from .. import limits

    if not isinstance(sheet, dict) or not isinstance(sheet.get("exercises"), list):
        raise GradeError(f"{where} is not an optmath exercise sheet (no list of exercises)")
    extra = sorted(set(sheet) - set(SHEET_KEYS))
    if extra:
        raise GradeError(f"{where}: unknown key {extra[0][:60]!r}; a sheet has {', '.join(SHEET_KEYS)}")
    items = sheet["exercises"]
    if len(items) > limits.MAX_EXERCISES:
        raise GradeError(f"{where} has {len(items)} exercises (limit {limits.MAX_EXERCISES}, optmath.limits)")
    seen = set()
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict) or set(item) != set(ITEM_KEYS):
            raise GradeError(f"{where}: exercise {n} must have exactly the keys {', '.join(ITEM_KEYS)}")
        ident, kind, params = item["id"], item["kind"], item["params"]
        if not isinstance(ident, str) or not ident.strip() or len(ident) > PARAM_TEXT:
            raise GradeError(f"{where}: exercise {n} has a bad id {str(ident)[:60]!r}")
        if ident in seen:
            raise GradeError(f"{where}: exercise id {ident!r} appears twice")
        seen.add(ident)
        if kind not in KINDS:
            raise UnknownNameError(f"exercise kind ({where}, exercise {ident})", kind, KINDS)
        if not isinstance(params, dict):
            raise GradeError(f"{where}: exercise {ident} has params {str(params)[:60]!r}, not an object")
        at = f"{where}, exercise {ident}"
        for k, v in params.items():
            _check_param(f"{at}: {k}", v)
        names, domain = DOMAINS[kind]
        if set(params) != set(names):
            raise GradeError(f"{at} ({kind}) needs the parameters {', '.join(names) or 'none'}; "
                             f"got {', '.join(sorted(params)) or 'none'}")
        domain(at, params)
    return sheet


def load_sheet(path) -> dict:
    from .. import limits
    from ..errors import OptmathValueError

    where = f"sheet {str(path)!r}"
    try:
        sheet = limits.read_json(path, where)
    except FileNotFoundError:
        raise GradeError(f"{where} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GradeError(f"{where} is not an optmath exercise sheet ({type(exc).__name__}: {exc})") from None
    except OptmathValueError as exc:
        raise GradeError(str(exc)) from None
    return check_sheet(sheet, where)


def load_answers(path) -> dict:
    """``{id: answer}`` from JSON (an object) or from lines ``ID: answer``; size and type limits."""
    from .. import limits

    text = limits.read_small_text(path, f"answers file {str(path)!r}", MAX_ANSWERS_BYTES, GradeError)
    if text.lstrip()[:1] in ("{", "["):
        from ..errors import OptmathValueError

        try:
            data = limits.load_json(text, f"answers file {str(path)!r}",
                                    hook=limits.unique_keys(f"answers file {str(path)!r}"))
        except (json.JSONDecodeError, RecursionError) as exc:
            raise GradeError(f"answers file {str(path)!r} is not valid JSON: {exc}") from None
        except OptmathValueError as exc:
            raise GradeError(str(exc)) from None
        if not isinstance(data, dict):
            raise GradeError(f"answers file {str(path)!r} must hold an object of id: answer")
    else:
        data = {}
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, colon, value = line.partition(":")
            if not colon:
                raise GradeError(f"answers file {str(path)!r}, line {n}: expected 'ID: answer'")
            if key.strip() in data:
                raise GradeError(f"answers file {str(path)!r}, line {n}: {key.strip()[:60]!r} is answered twice")
            data[key.strip()] = value.strip()
    out = {}
    for k, v in data.items():
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise GradeError(f"answer to {str(k)[:60]!r} must be text or a number, not {type(v).__name__}")
        if isinstance(v, str) and len(v) > MAX_ANSWER_CHARS:
            raise GradeError(f"answer to {str(k)[:60]!r} is {len(v)} characters long (limit {MAX_ANSWER_CHARS})")
        out[str(k)] = v
    return out


def _number(answer) -> float:
    from ..symbolic.claims import parse_expression

    if isinstance(answer, (int, float)):
        return float(answer)
    expr = parse_expression(answer, "answer")
    if expr.free_symbols:
        raise GradeError(f"{answer!r} is not a number (it has the names {sorted(map(str, expr.free_symbols))})")
    return float(expr)


def _close(a: float, e: float) -> bool:
    return math.isfinite(a) and abs(a - e) <= NUMBER_RTOL * max(abs(e), 1e-300)


def _grade_formula(answer, expected):
    from ..symbolic.checks import simplifies_to_zero, unify, worst_at_points
    from ..symbolic.claims import parse_expression

    if not isinstance(answer, str):
        return False, "expected a formula"
    expr = parse_expression(answer, "answer")
    names = {s.name for s in expected.free_symbols}
    unknown = sorted(s.name for s in expr.free_symbols if s.name not in names)
    if unknown:
        return False, f"unknown name(s) {', '.join(unknown)}; use {', '.join(sorted(names))}"
    diff = unify(expr, expected) - expected
    pc = worst_at_points(diff, 20, 0)
    if simplifies_to_zero(diff) and pc.zero:
        return True, f"equals {expected} (symbolically and at 20 random points)"
    return False, "differs from the expected update" + _where_differs(unify(expr, expected), expected, pc.witness)


def _where_differs(mine, expected, witness) -> str:
    """``': at b1 = 1/2, t = 3, ...: yours gives X, the right update Y'`` (a point where they differ)."""
    import sympy as sp

    from ..symbolic.checks import evaluate

    names = {s.name: s for s in (mine.free_symbols | expected.free_symbols)}
    if not witness:
        # equal at the sampled points but not symbolically: say what was expected
        return f" (not equal to {expected})"
    pt = {names[k]: sp.Rational(v) for k, v in witness.items() if k in names}
    shown = ", ".join(f"{k} = {witness[k]}" for k in sorted(witness) if k in names)
    fmt = lambda v: str(v) if getattr(v, "is_Rational", False) and len(str(v)) < 30 else f"{float(v):.10g}"  # noqa: E731
    try:
        return f": at {shown} yours gives {fmt(evaluate(mine, pt))}, the right update {fmt(evaluate(expected, pt))}"
    except (TypeError, ValueError, ZeroDivisionError):
        return f" (not equal to {expected})"


def _grade_params(answer):
    from ..kernels.runner import run
    from ..optimizers import get_spec
    from ..problems import make_problem
    from ..search.classify import classify_trajectory

    if not isinstance(answer, str):
        return False, "expected 'C=..., n=...'"
    vals = {}
    for part in answer.split(","):
        k, eq, v = part.partition("=")
        k = k.strip()
        if not eq or k not in ("C", "n"):
            return False, f"expected 'C=..., n=...', got {answer[:60]!r}"
        vals[k] = _number(v.strip())
    C, n = vals.get("C"), vals.get("n")
    if C is None or n is None or not (0 < C <= 1e6) or n != int(n) or not (2 <= n <= 1000) or C <= n - 1:
        return False, "need 0 < C <= 1e6, an integer n in [2, 1000] and C > n - 1 (so that x = -1 is optimal)"
    prob = make_problem("periodic", C=C, n=n)
    classes = {}
    for name in ("adam", "amsgrad"):
        alg = get_spec(name).resolve("paper", {"bias_correction": "none"}, lr=0.5, b1=0.0, b2=1 / (1 + C * C),
                                     eps=1e-8)
        classes[name] = classify_trajectory(run(alg, problem=prob, steps=30000, x0=1.0, schedule="inv_sqrt",
                                                on_nonfinite="stop"), prob).kind
    ok = classes["adam"] in ("fails", "diverges") and classes["amsgrad"] == "converges"
    return ok, f"Adam {classes['adam']}, AMSGrad {classes['amsgrad']} on C = {C:g}, n = {n:g}"


def _grade_code(answer, base: Path, limits=None, inside: Path | None = None):
    """A code answer, checked by the conformance checker run contained (:mod:`.sandbox`).  The
    feedback names the bug class (when the catalogue has it), the first difference and the
    minimal failing stream, on one line.  ``inside``: the file must lie in that folder (batch
    grading: a student's answer cannot point at another student's file)."""
    from .sandbox import Limits, check_contained

    if not isinstance(answer, str) or not answer.strip():
        return False, "expected the path of a .py file"
    path = (base / answer).resolve() if not Path(answer).is_absolute() else Path(answer).resolve()
    if inside is not None and not path.is_relative_to(Path(inside).resolve()):
        return False, f"{answer[:80]!r} is outside the submission's folder"
    if path.suffix != ".py" or not path.is_file():
        return False, f"{answer[:80]!r} is not a .py file of the submission"
    r = check_contained(path, "adam", step="adam", init="init_adam_states", examples=20,
                        limits=limits or Limits())
    rep = r.report
    if rep is None:
        return False, f"not graded: {r.reason}"
    if rep["conforms"]:
        return True, "conforms: " + rep["matched"][0]
    return False, "does not implement Adam: " + code_feedback(rep, r.text)


def code_feedback(rep: dict, text: str) -> str:
    """One line from a conformance report: the named bug, the first difference, the minimal stream."""
    lines = {ln.strip().partition(":")[0]: ln.strip().partition(":")[2].strip() for ln in text.splitlines()}
    parts = []
    if rep.get("diagnosis"):
        d = rep["diagnosis"]
        parts.append(f"{d['title']} ({d['variant']}): {d['effect']}")
    elif rep.get("other_algorithm"):
        parts.append(rep["other_algorithm"])
    elif rep.get("reason"):
        parts.append(rep["reason"])
    if lines.get("first difference"):
        parts.append("first difference: " + lines["first difference"])
    stream = [ln.strip() for ln in text.split("minimal stream:", 1)[1].splitlines()] if "minimal stream:" in text else []
    if stream:
        body = [stream[0]] + [s for s in stream[1:] if s and not s.startswith(("diagnosis:", "expected from:"))][:4]
        parts.append("minimal failing stream: " + " ".join(body))
    return "; ".join(parts) or "no reason given"


def grade_item(item: dict, answer, base: Path = Path("."), limits=None, inside=None, where: str = "sheet"):
    """``(correct, feedback)`` for one exercise of a checked sheet (``item``: its id, kind and
    params) and one answer; code answers are paths relative to ``base``, run contained.  The
    expected answer is recomputed by optmath.  Used by :func:`grade` and by the otter export."""
    from ..errors import OptmathError

    kind = KINDS[item["kind"]]
    try:
        expected = kind.answer(item["params"])
    except (KeyError, ValueError, TypeError, ZeroDivisionError) as exc:
        raise GradeError(f"{where}: exercise {item['id']} has bad parameters ({exc})") from None
    a = answer
    try:
        if kind.form == "number":
            got = _number(a)
            ok = _close(got, float(expected))
            fb = f"{got:.10g}" + ("" if ok else f" is not {float(expected):.10g} (to {NUMBER_RTOL:g})")
        elif kind.form == "integer":
            got = _number(a)
            ok = got == int(expected)
            fb = f"{got:g}" + ("" if ok else f" is not the smallest such t (t = {got:g} gives the wrong side of the bound)")
        elif kind.form == "choice":
            ok = isinstance(a, str) and a.strip().upper() == expected
            fb = f"{str(a).strip()[:10]}" + ("" if ok else ": that snippet does not match the Adam spec on a test stream")
        elif kind.form == "formula":
            ok, fb = _grade_formula(a, expected)
        elif kind.form == "params":
            ok, fb = _grade_params(a)
        else:
            ok, fb = _grade_code(a, Path(base), limits, inside)
    except (OptmathError, ValueError, TypeError, OverflowError) as exc:
        ok, fb = False, f"answer not accepted: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    return bool(ok), fb


def grade(sheet_path, answers_path, limits=None, inside=None, sheet: dict | None = None) -> GradeReport:
    """Grade an answers file against a sheet; every expected answer is recomputed by optmath.

    Code answers run contained (:mod:`optmath.teach.sandbox`, ``limits``); ``inside``: the folder
    a code answer must lie in; ``sheet``: the sheet already loaded (batch grading)."""
    sheet = sheet if sheet is not None else load_sheet(sheet_path)
    answers = load_answers(answers_path)
    notes = []
    known = {item["id"] for item in sheet["exercises"]}
    marks = []
    for item in sheet["exercises"]:
        kind = KINDS[item["kind"]]
        if item["id"] not in answers:
            marks.append(Mark(item["id"], kind.key, False, "no answer"))
            continue
        if kind.form == "code":
            from .sandbox import FALLBACK_WARNING, mode

            if mode() == "fallback" and FALLBACK_WARNING not in notes:
                notes.append(FALLBACK_WARNING)
        ok, fb = grade_item(item, answers[item["id"]], Path(answers_path).parent, limits, inside,
                            where=f"sheet {str(sheet_path)!r}")
        marks.append(Mark(item["id"], kind.key, ok, fb))
    for extra in sorted(set(answers) - known):
        marks.append(Mark(extra[:60], "unknown", False, "not a question of this sheet"))
    return GradeReport(marks, notes)
