r"""Conformance checking: does a user's optimizer implement a spec, and if not, what is wrong?

:func:`check` runs the target (see :mod:`optmath.verify.targets`) and the spec side by side:

1. **Candidates.**  Every legitimate convention of the spec is a candidate
   (:class:`CandidateSpace`): each switch takes any value some profile or listed implementation
   (``Spec.implementations``) gives it (eps placement, first-moment form, AMSGrad's maximum,
   Yogi's initial state, where lr sits, ...), and every hyperparameter the target does not
   receive as a keyword (a constant hard-coded in d2l-style code) ranges over the values the
   profiles use and the usual eps values.  Weight decay is probed with a positive coefficient
   whenever the target accepts one, and every kind of decay the spec's switch has is a candidate.
2. **Probes.**  Nine fixed streams chosen to separate conventions and expose the catalogued
   bugs (magnitudes 1e-12 to 1e6 side by side, sign flips, zeros, a changing learning rate, a
   start away from 0, a tiny start along the gradient, sparse spikes, a 1,000-step constant
   run) settle the conventions one coordinate at a time (:func:`_settle`: from the preferred
   profile, each coordinate takes the value of least residual, the others held, until none
   changes), so a check tries the sum of the coordinates' sizes rather than their product.  The
   settings tried that agree on every probe are the candidates; where none does, the whole
   product is pruned probe by probe, and before a generated stream rejects the last candidate
   every other setting of the product that agrees with every stream run so far takes over: a
   target is rejected only when no setting of the product agrees with every stream run.
3. **Search.**  If candidates survive, Hypothesis generates further streams (shapes, lengths up
   to 300 steps, magnitudes 1e-12..1e6, zeros, sign flips, constant and sparse streams, lr
   changes) looking for one on which no surviving candidate matches.
4. **Verdict.**  CONFORMS names the matching convention(s).  Otherwise the failing stream is
   shrunk (Hypothesis's shrinking, then a greedy pass that truncates, drops tensors and
   coordinates and rounds values, never letting the difference fall below ``LARGE_EFFECT`` of
   the path length, or half of what the failing stream showed if that was less: the stream shown
   is one where the bug's effect is large), the first differing step is reported with expected and
   actual values, and the bug catalogue (:mod:`optmath.verify.bugs`) and the other optimizers
   of the registry are run on every stream seen: one that reproduces the target everywhere is
   the diagnosis, with its effect in closed form where one exists.

Agreement is judged per coordinate and step with the tolerance ``CONFORMANCE[precision]``
relative to the path length ``|x_0| + sum |x_k - x_{k-1}|`` of the expected trajectory, plus
``k u max |x_j|`` for the rounding of the iterate itself (``u`` the unit roundoff of the target's
precision); together they bound what a correct implementation can accumulate.  Where the target
first crosses that bound by less than ``GRADUAL`` times (drift, not a jump), the stream is judged
by :mod:`optmath.verify.conditioning`: the target agrees if it is as close to a 60-digit evaluation
as rounding on that stream allows, and a stream that no evaluation in the target's precision can
be judged on is no evidence either way (listed in the report).  Non-finite values agree when both
sides become non-finite at the same step; an arithmetic exception at step ``k``
(``ZeroDivisionError``, ``FloatingPointError``, ``OverflowError``) counts as a non-finite value.
"""
from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field, replace
from random import Random

import numpy as np

from .. import limits
from .._version import __version__
from ..errors import DomainError, UnknownNameError
from ..spec import Algorithm
from .bugs import Mutant, describe_effect, mutants
from .conditioning import AGREE, DIFFER, INCONCLUSIVE, compare_trajectories
from .reference import compile_step, reference_run
from .targets import (TargetCrashed, TargetError, TargetProcess, TargetTimeout, framework_kwargs, keyword_places,
                      make_target, parse_keywords)
from .tolerances import CONFORMANCE

ARITHMETIC = ("ZeroDivisionError", "FloatingPointError", "OverflowError")
#: hard-coded initial values of a state tried beside the profiles' (autograd's RMSProp starts
#: its average of squares at 1, TF's Adagrad at 0.1, Yogi implementations at 1e-6)
INIT_GUESSES = (0.0, 1.0, 0.1, 1e-6)
EPS_GUESSES = (1e-8, 1e-7, 1e-6, 1e-5, 1e-10, 1e-3, 1e-16, 0.0)
STYLE_PROFILE = {"torch": "pytorch", "optax": "optax", "keras": "keras", "d2l": "d2l", "d2l-numpy": "d2l", "course": "paper",
                 "numpy": "paper", "loop": "paper"}
STYLE_HELP = ("torch (a torch.optim.Optimizer subclass, file.py:Class), optax (a factory of a GradientTransformation; "
              "the file imports optax or jax), keras (a Keras 3 optimizer class; the file imports keras), "
              "d2l (--step NAME --init NAME), course (a function "
              "f(w, dw, config) -> (next_w, config)), numpy (a class whose update(w, grad) returns the new w), "
              "loop (a function f(grad, x0, callback, num_iters, step_size, ...) that runs the whole loop)")


def infer_style(desc: dict, label: str) -> str:
    """The calling style of an object the user named without ``--style`` (the file imports
    neither optax nor JAX): a torch.optim class, a course-style function, a NumPy class; a
    :class:`TargetError` (exit 2) saying what was found when it fits none."""
    if desc.get("is_class"):
        if desc.get("torch_optimizer") or ("step" in desc.get("methods", []) and "update" not in desc.get("methods", [])):
            return "torch"
        if "update" in desc.get("methods", []):
            return "numpy"
        raise TargetError(f"{label} is a class with neither step() (torch.optim) nor update(w, grad) (NumPy): "
                          f"it fits no calling style; styles: {STYLE_HELP}")
    pos = desc.get("positional", [])
    if len(pos) >= 2 and ("num_iters" in desc.get("names", []) or "callback" in pos
                          or pos[0] in ("grad", "grad_fn", "gradient", "fprime")):
        return "loop"  # f(grad, x0, callback, num_iters, ...): the whole loop in one call
    if len(pos) == 3:
        return "course"
    raise TargetError(f"{label} is a function of {len(pos)} positional parameter(s) ({', '.join(pos) or 'none'}): "
                      f"it fits no calling style; styles: {STYLE_HELP}")
D2L_WITHOUT_LR = ("adadelta",)  # d2l.ai's Adadelta has no learning rate
PROBE_WD, PROBE_DAMP, PROBE_LR = 0.05, 0.25, 0.1
MAX_TIMEOUT = 3600.0  # seconds per call into a target
GRADUAL = 1e3  # a first difference within this factor of the bound may be amplified rounding
MAX_COMPOUND = 3  # bugs in one compound diagnosis
COMPOUND_BEAM = 20  # partial combinations (the smallest residual first) extended at each depth
COMPOUND_PER_CLASS = 2  # of them at most this many per combination of bug classes
RESIDUAL_STREAMS = 2  # the shortest streams seen, on which partial combinations are ranked
SETTLE_SWEEPS = 3  # sweeps over the conventions' coordinates when the probes settle them (_settle)
SETTLE_MAX_STEPS = 300  # the streams _settle ranks settings on (a longer one only judges agreement)
FRESH_STREAMS = 2  # streams a compound diagnosis must also reproduce, not among those it was found on
PARTIAL_STREAMS = 4  # the shortest streams seen, on which a partial explanation is measured
#: the minimal stream keeps a difference of at least this fraction of the expected path length
#: from every legitimate convention (or half the failing stream's, if that was smaller):
#: shrinking never trades a clear effect of the bug for one that only an initial value's slow
#: decay or rounding leaves
LARGE_EFFECT = 0.01


#: the precisions a target may compute in, tried in this order (bfloat16 through ml_dtypes): a
#: bfloat16 number in float16's range is a float16 number too, so bfloat16 comes first
PRECISIONS = ("bfloat16", "float16", "float32", "float64")
PRECISION_MIN_VALUES = 4  # distinct nonzero iterates needed before a narrower precision is inferred


def numpy_dtype(precision: str) -> np.dtype:
    """The NumPy dtype of ``precision`` (``bfloat16`` from ml_dtypes, which JAX installs)."""
    if precision == "bfloat16":
        try:
            import ml_dtypes
        except ImportError as exc:  # pragma: no cover - ml_dtypes comes with jax
            raise DomainError("bfloat16 needs the ml_dtypes package (pip install ml_dtypes)") from exc
        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(precision)


def working_precision(xs: list) -> tuple[str, str]:
    """The narrowest precision in which every iterate a target returned (steps 1..T, finite) is
    exactly representable, and why.  A float64 computation on a probe with non-dyadic values
    (lr = 0.1) practically never lands on float32 numbers only; a target that stores its
    iterate in float32 (or narrower) always does, whatever it returns it as."""
    vals = np.concatenate([np.asarray(x, dtype=np.float64)[1:].reshape(-1) for x in xs]) if xs else np.empty(0)
    vals = vals[np.isfinite(vals)]
    if np.unique(vals[vals != 0]).size < PRECISION_MIN_VALUES:
        return "float64", "too few distinct iterates to infer a narrower precision"
    for p in PRECISIONS[:-1]:
        dt = numpy_dtype(p)
        with np.errstate(all="ignore"):
            if np.array_equal(vals.astype(dt).astype(np.float64), vals):
                return p, f"every iterate the target returned on the probe is a {p} number"
    return "float64", "its iterates are not all float32 numbers"


# --- streams ---------------------------------------------------------------------------------------
@dataclass
class Stream:
    """Gradients per parameter tensor ``(T, *shape)``, starting points, optional lr per step."""

    grads: list
    x0: list
    lrs: np.ndarray | None
    label: str = ""
    dtype: str = "float64"  # the precision the target computes in; the spec runs in the same

    @property
    def T(self) -> int:
        return int(self.grads[0].shape[0])

    def shapes(self) -> list[tuple]:
        return [tuple(x.shape) for x in self.x0]

    def as_dict(self) -> dict:
        return {"label": self.label, "shapes": self.shapes(),
                "grads": [G.reshape(G.shape[0], -1).tolist() for G in self.grads],
                "x0": [x.reshape(-1).tolist() for x in self.x0],
                "lrs": None if self.lrs is None else self.lrs.tolist()}

    def text(self, lr: float) -> str:
        def fmt(a):
            return np.array2string(np.asarray(a).reshape(-1), separator=", ", precision=6,
                                   formatter={"float_kind": lambda v: f"{v:.6g}"})
        lines = [f"{self.T} step(s), tensors of shape {', '.join(str(s) for s in self.shapes())}"]
        for i, G in enumerate(self.grads):
            rows = "; ".join(fmt(G[k]) for k in range(min(self.T, 8)))
            lines.append(f"tensor {i}: x0 = {fmt(self.x0[i])}, g_1..g_{self.T} = {rows}"
                         + (" ..." if self.T > 8 else ""))
        lines.append("lr per step: " + (fmt(self.lrs) if self.lrs is not None else f"{lr:g} throughout"))
        return "\n".join(lines)


def default_layout(style: str) -> list[tuple]:
    return [(2, 1), (1,)] if style.startswith("d2l") else [(3,), (2, 2)]


def _fill(layout, per_coord) -> list:
    """Split a flat (T, n) array into tensors of ``layout``."""
    out, at = [], 0
    for shape in layout:
        size = int(np.prod(shape))
        out.append(per_coord[:, at:at + size].reshape((per_coord.shape[0],) + tuple(shape)))
        at += size
    return out


def probes(style: str, lr: float, seed: int = 0, vary_lr: bool = True) -> list[Stream]:
    """The fixed probe streams (see the module docstring), for the style's tensor layout."""
    layout = default_layout(style)
    n = sum(int(np.prod(s)) for s in layout)
    rng = np.random.default_rng(seed)
    zeros = [np.zeros(s) for s in layout]
    mags = np.array([1e-12, 1e-6, 1e-3, 1.0, -2.0, 1e3, 1e6, -1e-9])[np.arange(n) % 8]

    def noisy(T):
        return rng.normal(size=(T, n)) * 10.0 ** rng.uniform(-3, 1, size=(T, n))

    out = [Stream(_fill(layout, np.tile(mags, (30, 1))), zeros, None, "constant, magnitudes 1e-12..1e6")]
    flips = np.tile(mags, (30, 1)) * np.where(np.arange(30) % 2 == 0, 1.0, -1.0)[:, None]
    out.append(Stream(_fill(layout, flips), zeros, None, "sign flips"))
    z = noisy(20)
    z[:3] = 0.0
    z[7] = 0.0
    out.append(Stream(_fill(layout, z), zeros, None, "zeros first"))
    out.append(Stream(_fill(layout, noisy(40)), zeros, None, "random"))
    x0 = _fill(layout, (1.0 + np.arange(n))[None, :] * np.where(np.arange(n) % 2, -0.5, 1.0))
    out.append(Stream(_fill(layout, noisy(20)), [a[0] for a in x0], None, "start away from 0"))
    if vary_lr:
        lrs = np.array([lr] * 5 + [lr / 10] * 5 + [3 * lr] * 5 + [lr] * 5)
        out.append(Stream(_fill(layout, noisy(20)), zeros, lrs, "changing lr"))
    if not style.startswith("d2l"):
        # tensors whose norms are below eps, the gradient along x: tells apart how eps enters a
        # norm or a cosine.  At eps = 1e-8 and delta = 0.1, AdamP's channel view projects the 3e-9
        # matrix only under max(|a| |b|, eps) and the 2.5e-9 one also under (|a| + eps)(|b| + eps),
        # never under max(|a|, eps) max(|b|, eps).  Every shape differs from the others, as in
        # every probe (a state shared between tensors of one shape is Hypothesis's to find)
        tiny = [np.full(s, 3e-9) for s in layout] + [np.full((2, 1, 2), 2.5e-9)]
        out.append(Stream([np.tile(a, (10,) + (1,) * a.ndim) for a in tiny], tiny, None,
                          "tiny start along the gradient"))
    sparse = np.zeros((60, n))
    sparse[::10] = 5.0 * np.sign(mags)
    sparse[5::10] = -1e-4
    out.append(Stream(_fill(layout, sparse), zeros, None, "sparse spikes"))
    out.append(Stream(_fill(layout, np.tile(np.where(np.arange(n) % 2, -0.5, 1.0) * 10.0 ** -(np.arange(n) % 4),
                                             (1000, 1))), zeros, None, "constant, 1000 steps"))
    return out


def stream_strategy(style: str, lr: float, vary_lr: bool = True):
    """Hypothesis strategy for gradient streams in the style's layout (see module docstring)."""
    from hypothesis import strategies as st

    values = st.builds(lambda e, m, s: (-1.0 if s else 1.0) * m * 10.0 ** e,
                       st.integers(-12, 6), st.sampled_from([1.0, 2.0, 1.5, 3.0, 7.25, 9.5]), st.booleans())

    @st.composite
    def build(draw):
        if style.startswith("d2l"):
            layout = [(draw(st.integers(1, 3)), 1), (1,)]
        else:
            layout = draw(st.lists(st.sampled_from([(1,), (2,), (3,), (2, 2), (1, 3)]), min_size=1, max_size=3))
        n = sum(int(np.prod(s)) for s in layout)
        T = draw(st.one_of(st.integers(1, 12), st.integers(13, 60), st.sampled_from([150, 300])))
        kind = draw(st.sampled_from(["explicit", "constant", "flip", "noise", "sparse"]))
        base = np.array(draw(st.lists(values, min_size=n, max_size=n)))
        if kind == "explicit" and T <= 12:
            G = np.array(draw(st.lists(st.lists(values | st.just(0.0), min_size=n, max_size=n),
                                       min_size=T, max_size=T)))
        elif kind == "constant":
            G = np.tile(base, (T, 1))
        elif kind == "flip":
            G = np.tile(base, (T, 1)) * np.where(np.arange(T) % 2 == 0, 1.0, -1.0)[:, None]
        else:
            rng = np.random.default_rng(draw(st.integers(0, 2**31)))
            G = rng.normal(size=(T, n)) * np.abs(base)[None, :]
            if kind == "sparse":
                G *= rng.random((T, n)) < 0.1
        if draw(st.booleans()):
            G[draw(st.integers(0, T - 1))] = 0.0
        x0 = np.array(draw(st.lists(st.sampled_from([0.0, 1.0, -0.5, 2.0, 1e-3]), min_size=n, max_size=n)))
        lrs = None
        if vary_lr and T > 1 and draw(st.booleans()):
            cut = draw(st.integers(1, T - 1))
            factor = draw(st.sampled_from([0.1, 0.5, 3.0, 10.0]))
            lrs = np.where(np.arange(T) < cut, lr, lr * factor)
        return Stream(_fill(layout, G), [a[0] for a in _fill(layout, x0[None, :])], lrs, "hypothesis")

    return build()


# --- the spec side ---------------------------------------------------------------------------------
@dataclass
class Candidate:
    """One legitimate convention setting of the spec, with the profiles it coincides with."""

    alg: Algorithm
    profiles: list
    unknown: dict  # hyperparameters guessed (not told to the target) -> value
    varying: tuple = ()  # the switches that differ between legitimate conventions
    known: list = field(default_factory=list)  # Spec.implementations (not profiles) with these conventions

    def _kin(self) -> list:
        """Names of the profiles and implementations with these equations up to operation order
        (:meth:`~optmath.spec.Algorithm.known_as`), computed once and only where needed."""
        if not hasattr(self, "_kin_cache"):
            self._kin_cache = [n for n, _ in self.alg.known_as(up_to_order=True)]
        return self._kin_cache

    @property
    def unknown_combination(self) -> bool:
        """Whether no profile and no known implementation of the spec uses these conventions,
        not even in another operation order."""
        return not self.profiles and not self.known and not self._kin()

    def describe(self) -> str:
        parts = [f"{n}={self.alg.switches[n]}" for n in self.varying]
        vals = ", ".join(f"{k} = {v:g}" for k, v in self.unknown.items())
        head = f"profile {' / '.join(self.profiles)}" if self.profiles else "switch setting"
        text = head + (f" ({'; '.join(parts)})" if parts else "")
        if not self.profiles:
            spec = self.alg.spec
            if self.known:
                text += " as in " + " and ".join(spec.implementations[k].note for k in self.known)
            elif self._kin():
                text += " as in " + " and ".join(f"profile {k}" if k in spec.profiles else spec.implementations[k].note
                                                 for k in self._kin()[:2]) + " up to operation order"
            else:
                text += ", which no known implementation uses"
        return text + (f"; fixed in the code: {vals}" if vals else "")

    def conventions(self) -> dict:
        out = {s.name: f"{self.alg.switches[s.name]}: {s.choices[self.alg.switches[s.name]]}"
               for s in self.alg.spec.switches if s.name not in self.alg.spec.fixed}
        out.update({k: f"{v:g}" for k, v in self.unknown.items()})
        return out


def _legit_switch_values(spec, profile: str | None) -> dict[str, list[str]]:
    out = {}
    # the values every profile and every listed implementation gives a switch (a demanded profile: its own)
    profiles = [spec.profiles[profile]] if profile else [*spec.profiles.values(), *spec.implementations.values()]
    for s in spec.switches:
        if s.name in spec.fixed:
            out[s.name] = [spec.fixed[s.name]]
            continue
        vals = []
        for p in profiles:
            v = p.switches.get(s.name, next(iter(s.choices)))
            if v not in vals:
                vals.append(v)
        if s.name == "weight_decay" and not profile:
            # every rule admits every kind of decay: real code adds one its profiles may not use
            # (torch-optimizer's Yogi and AdaBelief: L2, where AdaBelief's authors' profile is
            # decoupled), named as a switch setting when no profile has it
            vals += [c for c in s.choices if c not in vals]
        out[s.name] = vals
    return out


class CandidateSpace:
    """The legitimate convention settings of a spec (step 1 of the module docstring), resolved
    lazily: one coordinate per varying switch and per constant the target does not receive, each
    with its legitimate values.  :meth:`at` gives the candidate of one setting, :meth:`all` the
    whole product, :attr:`start` the preferred profile's setting (where :func:`_settle` starts)."""

    def __init__(self, spec, values: dict, known: dict, profile: str | None, prefer: str):
        self.spec, self.values, self.prefer = spec, values, prefer
        legit = _legit_switch_values(spec, profile)
        if "weight_decay" in legit:
            if values.get("wd", 0.0) == 0.0:
                legit["weight_decay"] = (["none"] if "none" in spec.switch("weight_decay").choices
                                         else legit["weight_decay"][:1])
            else:
                legit["weight_decay"] = [v for v in legit["weight_decay"] if v != "none"] or legit["weight_decay"]
        if "eps_root" in legit and values.get("eps_root", 0.0) == 0.0:
            legit["eps_root"] = ["no"]
        unknown = {}
        base = spec.resolve(next(iter(spec.profiles)))
        initial = {str(v) for st in base.states for v in getattr(st.init, "free_symbols", ())}
        for h in spec.hypers:
            if known.get(h.name, 0) is None:
                guesses = [values[h.name]] + [p.defaults[h.name] for p in spec.profiles.values() if h.name in p.defaults]
                guesses.append(h.default)
                if h.name == "eps":
                    guesses += list(EPS_GUESSES)
                if h.name in initial:  # a hard-coded initial state: the values real code uses
                    guesses += list(INIT_GUESSES)
                if h.name != "lr":  # tied to another of its kind (autograd: dampening = momentum;
                    # adabelief-pytorch: eps_root = eps, one eps added to s and outside the root)
                    guesses += [values[o.name] for o in spec.hypers if o.name not in (h.name, "lr")
                                and (o.lo, o.hi) == (h.lo, h.hi) and known.get(o.name) is not None and o.name in values]
                unknown[h.name] = list(dict.fromkeys(float(v) for v in guesses))
        self.legit, self.unknown = legit, unknown
        self.names = list(legit)
        self.varying = tuple(n for n in self.names if len(legit[n]) > 1)
        #: the coordinates: (name, values) for every switch, then every guessed constant
        self.dims = [(n, legit[n]) for n in self.names] + list(unknown.items())
        pref = spec.chosen_switches(spec.profiles[prefer])
        self.start = tuple(pref[n] if pref.get(n) in vals else vals[0] for n, vals in self.dims[:len(self.names)]) \
            + tuple(vals[0] for _, vals in self.dims[len(self.names):])
        self.size = math.prod(len(v) for _, v in self.dims)
        self._at: dict = {}
        self._by_equations: dict = {}

    def at(self, setting: tuple) -> Candidate | None:
        """The candidate of ``setting`` (one value per coordinate of :attr:`dims`); ``None`` where
        the spec refuses the combination or evaluates the gradient elsewhere (a look-ahead)."""
        if setting in self._at:
            return self._at[setting]
        spec, values, legit = self.spec, self.values, self.legit
        k = len(self.names)
        sw = dict(zip(self.names, setting[:k]))
        guess = setting[k:]
        vals = dict(values)
        vals.update(dict(zip(self.unknown, guess)))
        try:
            alg = spec.resolve(next(iter(spec.profiles)), sw, **vals)
        except DomainError:
            alg = None
        if alg is None or alg.program.lookahead is not None:
            # a fixed gradient stream cannot see where the gradient is evaluated
            self._at[setting] = None
            return None
        used = alg.free_names()
        guessed = {n: v for n, v in zip(self.unknown, guess) if n in used}

        def follows(p) -> bool:  # the switches of profile (or implementation) p, moot ones aside
            return all(alg.switches[n] == v for n, v in _profile_switches(spec, p, legit, values).items())

        matching = [pname for pname, p in spec.profiles.items()
                    if follows(p) and all(vals[n] == p.defaults.get(n, spec.hyper(n).default) for n in guessed)]
        impls = [iname for iname, p in spec.implementations.items() if follows(p)]
        # the same equations under two switch settings (a moot switch) are one candidate
        key = (alg.updates, tuple((st.name, str(st.init)) for st in alg.states),
               tuple(sorted((n, v) for n, v in vals.items() if n in used)))
        c = self._by_equations.get(key)
        if c is None:
            c = self._by_equations[key] = Candidate(alg, matching, guessed, self.varying, impls)
        else:
            c.profiles.extend(p for p in matching if p not in c.profiles)
            c.known.extend(p for p in impls if p not in c.known)
        self._at[setting] = c
        return c

    def order(self, cands) -> list[Candidate]:
        """``cands`` without repeats, the preferred profile first, then other profiles, then
        listed implementations."""
        out = list({id(c): c for c in cands if c is not None}.values())
        out.sort(key=lambda c: (self.prefer not in c.profiles, not c.profiles, not c.known))
        return out

    def all(self) -> list[Candidate]:
        """Every setting of the product (the fallback of :func:`_settle`), preferred profile first."""
        return self.order(self.at(tuple(st)) for st in itertools.product(*(v for _, v in self.dims)))


def candidates(spec, values: dict, known: dict, profile: str | None, prefer: str) -> list[Candidate]:
    """Every legitimate convention setting (see the module docstring), preferred profile first."""
    return CandidateSpace(spec, values, known, profile, prefer).all()


def _profile_switches(spec, p, legit, values) -> dict:
    sw = {s.name: p.switches.get(s.name, next(iter(s.choices))) for s in spec.switches}
    for k, h in (("weight_decay", "wd"), ("eps_root", "eps_root")):  # switches that are moot at 0
        if k in sw and values.get(h, 0.0) == 0.0:
            sw[k] = legit[k][0]
    return sw


_COMPILED: dict = {}


def _compiled(alg: Algorithm):
    """The generated step of ``alg`` (compiled once per algorithm object)."""
    key = id(alg)
    hit = _COMPILED.get(key)
    if hit is None or hit[0] is not alg:
        if len(_COMPILED) > 4096:
            _COMPILED.clear()
        hit = _COMPILED[key] = (alg, compile_step(alg))
    return hit[1]


def simulate(alg: Algorithm, stream: Stream, tmap=None) -> list[np.ndarray]:
    """Run the spec's generated step (:func:`~optmath.verify.reference.reference_run`) on every
    tensor of ``stream`` in the stream's precision (float32 for the d2l style), through
    non-finite values: ``(T+1, *shape)`` float64 arrays, one per tensor."""
    step = _compiled(alg)
    P = len(stream.grads)
    out = []
    for i, (G, x0) in enumerate(zip(stream.grads, stream.x0)):
        t_of = None if tmap is None else (lambda k, i=i: tmap(k, i, P))
        run = reference_run(alg, G.reshape(stream.T, -1), x0.reshape(-1), stream.lrs, step=step, t_of=t_of,
                            dtype=stream.dtype, stop_at_nonfinite=False, shape=x0.shape)
        out.append(run.xs.reshape((stream.T + 1,) + x0.shape))
    return out


# --- comparing ----------------------------------------------------------------------------------------
@dataclass
class Outcome:
    """What the target did on one stream."""

    xs: list | None  # per tensor (T+1, *shape) when it finished
    failed_step: int = 0  # step at which it raised (0: it finished)
    message: str = ""
    exc_type: str = ""
    kind: str = ""

    @property
    def arithmetic(self) -> bool:
        return self.failed_step > 0 and self.exc_type in ARITHMETIC

    @property
    def crashed(self) -> bool:
        return self.failed_step != 0 and not self.arithmetic


@dataclass
class Difference:
    step: int
    tensor: int
    index: tuple
    expected: float
    actual: float | str

    def text(self) -> str:
        where = f"tensor {self.tensor}{list(self.index)}"
        act = self.actual if isinstance(self.actual, str) else f"{self.actual:.10g}"
        return f"step {self.step}, {where}: expected {self.expected:.10g}, got {act}"


def _bound(flatE: np.ndarray, rtol: tuple) -> np.ndarray:
    """Per step and coordinate, what a correct implementation may differ by (module docstring)."""
    rel, unit = rtol
    T = flatE.shape[0] - 1
    with np.errstate(all="ignore"):
        path = np.abs(flatE[0]) + np.vstack([np.zeros((1, flatE.shape[1])),
                                             np.cumsum(np.abs(np.diff(flatE, axis=0)), axis=0)])
        return rel * path + unit * np.arange(T + 1)[:, None] * np.maximum.accumulate(np.abs(flatE), axis=0)


def effect(outcome: Outcome, expected: list) -> float:
    """The largest ``|actual - expected|`` over the steps and coordinates of ``outcome``, as a
    fraction of the expected path length ``|x_0| + sum |x_k - x_{k-1}|`` up to that step
    (``inf`` where one side is not finite and the other is, or the target failed)."""
    if outcome.crashed or (not outcome.xs and not outcome.arithmetic):
        return math.inf
    worst = 0.0
    for i, E in enumerate(expected):
        flatE = E.reshape(E.shape[0], -1)
        if outcome.arithmetic:  # an arithmetic exception at step k is a non-finite value there
            k = outcome.failed_step
            if k < flatE.shape[0] and np.any(np.isfinite(flatE[k])):
                return math.inf
            if not outcome.xs:
                continue
        A = np.asarray(outcome.xs[i], dtype=np.float64).reshape(-1, flatE.shape[1])[: flatE.shape[0]]
        if outcome.arithmetic:
            A = A[: outcome.failed_step]
        flatE = flatE[: A.shape[0]]
        fin_a, fin_e = np.isfinite(A), np.isfinite(flatE)
        if np.any(fin_a != fin_e):
            return math.inf
        path = _bound(flatE, (1.0, 0.0))
        with np.errstate(all="ignore"):
            diff = np.where(fin_a, np.abs(A - flatE), 0.0)
            r = np.where(path > 0, diff / path, np.where(diff > 0, np.inf, 0.0))
        worst = max(worst, float(np.max(r, initial=0.0)))
    return worst


def compare(outcome: Outcome, expected: list, rtol: tuple) -> Difference | None:
    """First difference of ``outcome`` from the expected trajectories, or ``None``.

    ``rtol`` is ``(relative tolerance, unit roundoff)`` (see ``tolerances.CONFORMANCE``)."""
    if outcome.crashed:
        return Difference(max(outcome.failed_step, 0), 0, (), math.nan, outcome.message)
    best: Difference | None = None
    for i, E in enumerate(expected):
        T = E.shape[0] - 1
        flatE = E.reshape(T + 1, -1)
        bound = _bound(flatE, rtol)
        A = outcome.xs[i].reshape(-1, flatE.shape[1]) if outcome.xs else np.empty((0, flatE.shape[1]))
        limit = outcome.failed_step if outcome.arithmetic else T + 1
        for k in range(1, T + 1):
            e = flatE[k]
            e_bad = ~np.isfinite(e)
            if k >= limit:  # the target raised an arithmetic error at this step
                if not e_bad.any():
                    d = Difference(k, i, tuple(int(v) for v in np.unravel_index(0, E.shape[1:])), float(e[0]),
                                   outcome.message)
                    best = d if best is None or d.step < best.step else best
                break
            a = A[k]
            a_bad = ~np.isfinite(a)
            if e_bad.any() or a_bad.any():
                if np.array_equal(e_bad, a_bad):
                    break  # both non-finite at the same coordinates: agreement, stop here
                j = int(np.argmax(e_bad != a_bad))
            else:
                with np.errstate(all="ignore"):
                    err = np.abs(a - e) > bound[k] + 1e-300
                if not err.any():
                    continue
                j = int(np.argmax(err))
            d = Difference(k, i, tuple(int(v) for v in np.unravel_index(j, E.shape[1:])), float(e[j]), float(a[j]))
            if best is None or d.step < best.step:
                best = d
            break
    return best


# --- the verdict ----------------------------------------------------------------------------------------
@dataclass
class Diagnosis:
    key: str
    title: str
    variant: str
    effect: str
    factor: str | None = None
    numbers: dict = field(default_factory=dict)

    def text(self) -> str:
        return f"{self.title} ({self.variant}): {self.effect}"


@dataclass
class ConformanceReport:
    """The result of :func:`check`; ``exit_code`` 0 conforms, 1 does not, 2 could not check."""

    target: str
    style: str
    optimizer: str
    profile: str | None
    conforms: bool
    exit_code: int
    matched: list = field(default_factory=list)  # descriptions of the matching conventions
    conventions: dict = field(default_factory=dict)  # switch -> meaning, of the first match
    probes: int = 0
    examples: int = 0
    reason: str = ""
    difference: Difference | None = None
    expected_from: str = ""
    stream: Stream | None = None
    diagnosis: Diagnosis | None = None
    other_algorithm: str = ""
    lr: float = 0.0
    kwargs: dict = field(default_factory=dict)
    seed: int = 0
    conditioning: list = field(default_factory=list)  # ill-conditioned or unresolved streams of the match
    precision: str = "float64"  # the target's working precision, as inferred (working_precision)
    precision_reason: str = ""
    matching_profile: str = ""  # with a demanded profile that fails: the convention the code does follow
    lr_fixed: str = ""  # why the learning rate was held constant (the target cannot change it)
    effect: float | None = None  # the largest difference on the minimal stream / the path length (see effect())
    failing_effect: float | None = None  # the same on the failing stream, before shrinking
    known_combination: bool = True  # whether a profile or a known implementation uses the matched conventions
    settings: int = 0  # convention settings in the product (CandidateSpace.size)
    settings_tried: int = 0  # those the probes tried (_settle), with any fallback

    @property
    def verdict(self) -> str:
        return "CONFORMS" if self.conforms else ("ERROR" if self.exit_code == 2 else "DOES NOT CONFORM")

    def __str__(self) -> str:
        lines = [f"{self.verdict}: {self.target} as {self.optimizer}"
                 + (f" (profile {self.profile})" if self.profile else "")]
        if self.reason:
            lines.append(f"  reason: {self.reason}")
        if self.conforms:
            lines.append(f"  matches {self.matched[0]}")
            if not self.known_combination:
                lines.append("  note: no profile and no known implementation of this spec uses these conventions "
                             "together; the code may be a new variant, or a bug that is one")
            if len(self.matched) > 1:
                lines.append("  indistinguishable from: " + "; ".join(self.matched[1:4])
                             + (f" (+{len(self.matched) - 4} more)" if len(self.matched) > 4 else ""))
        for ev in self.conditioning:
            head = {INCONCLUSIVE: "not evidence", DIFFER: "the spec's float64 evaluation is the less accurate"}.get(
                ev["verdict"], "ill-conditioned")
            more = f" (the least conclusive of {ev['tensors']} tensors)" if ev["tensors"] > 1 else ""
            lines.append(f"  {head}{more}: {ev['text']}")
        if self.exit_code != 2:
            lines.append(f"  precision: {self.precision}" + (f" ({self.precision_reason}; the spec runs and is "
                                                             f"judged in {self.precision})" if self.precision != "float64"
                                                             else ""))
        if self.lr_fixed:
            lines.append(f"  learning rate held constant: {self.lr_fixed}")
        if self.kwargs:
            lines.append("  called with: " + ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items()))
        if self.probes or self.examples:
            lines.append(f"  streams run: {self.probes} probes, {self.examples} generated by Hypothesis (seed {self.seed})"
                         + (f"; conventions settled on the probes: {self.settings_tried} of {self.settings} "
                            "settings tried" if self.settings > 1 else ""))
        if self.difference is not None:
            lines.append(f"  first difference: {self.difference.text()}")
            if self.expected_from:
                lines.append(f"  expected from: {self.expected_from}")
        if self.stream is not None:
            text = self.stream.text(self.lr)
            if self.effect is not None:
                first, _, rest = text.partition("\n")
                size = ("a non-finite value on one side only" if math.isinf(self.effect)
                        else f"{100 * self.effect:.3g}% of the expected path length")
                text = f"{first}; the largest difference on it is {size}" + ("\n" + rest if rest else "")
            lines.append("  minimal stream: " + text.replace("\n", "\n    "))
        if self.matching_profile:
            lines.append(f"  the code follows {self.matching_profile}, not profile {self.profile}")
        if self.diagnosis is not None:
            lines.append(f"  diagnosis: {self.diagnosis.text()}")
        elif self.other_algorithm:
            lines.append(f"  diagnosis: {self.other_algorithm}")
        elif not self.conforms and self.exit_code == 1 and self.difference is not None and not self.matching_profile:
            lines.append("  diagnosis: no catalogued bug class explains the difference")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return "```\n" + str(self) + "\n```"

    def as_dict(self) -> dict:
        d = {k: getattr(self, k) for k in ("target", "style", "optimizer", "profile", "conforms", "exit_code",
                                          "matched", "conventions", "probes", "examples", "reason",
                                          "expected_from", "other_algorithm", "lr", "seed", "conditioning",
                                          "precision", "precision_reason", "matching_profile", "lr_fixed",
                                          "effect", "failing_effect", "known_combination", "settings",
                                          "settings_tried")}
        d["verdict"] = self.verdict
        d["kwargs"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.kwargs.items()}
        d["difference"] = None if self.difference is None else {
            "step": self.difference.step, "tensor": self.difference.tensor, "index": list(self.difference.index),
            "expected": self.difference.expected, "actual": self.difference.actual}
        d["stream"] = None if self.stream is None else self.stream.as_dict()
        d["diagnosis"] = None if self.diagnosis is None else {
            "bug_class": self.diagnosis.key, "title": self.diagnosis.title, "variant": self.diagnosis.variant,
            "effect": self.diagnosis.effect, "factor": self.diagnosis.factor, "numbers": self.diagnosis.numbers}
        d["version"] = __version__
        return d

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, allow_nan=True)


class _Checker:
    """State of one check: the process, the candidates and every stream run so far."""

    def __init__(self, proc: TargetProcess, style: str, kwargs: dict, rtol: tuple, space: CandidateSpace):
        self.proc, self.style, self.kwargs, self.rtol = proc, style, kwargs, rtol
        self.space = space
        self.alive: list[Candidate] = []
        self._all: list | None = None
        self.seen: list[tuple[Stream, Outcome]] = []  # the probes and every failing stream
        self.passed: list[tuple[Stream, Outcome]] = []  # the generated streams the alive candidates matched
        self.conditioning: dict = {}  # (id(candidate), id(stream)) -> (stream, (label, [Comparison]) or None)

    @property
    def all(self) -> list[Candidate]:
        """Every candidate of the product (built on first use: a failure, or a fallback)."""
        if self._all is None:
            self._all = self.space.all()
        return self._all

    precision = "float64"
    tell = staticmethod(lambda phase, done, total: None)  # progress (check's ``progress``)
    method = None  # a NumPy-style class's entry point (check's ``method``)

    def prepare(self, s: Stream) -> Stream:
        """``s`` as a target in :attr:`precision` sees it (gradients and starts rounded); the spec
        then runs in that precision too (:func:`simulate`)."""
        if self.precision != "float64":
            dt = numpy_dtype(self.precision)
            s = Stream([G.astype(dt).astype(np.float64) for G in s.grads],
                       [x.astype(dt).astype(np.float64) for x in s.x0], s.lrs, s.label, self.precision)
        return s

    def run(self, s: Stream) -> Outcome:
        req = {"style": self.style, "kwargs": self.kwargs, "T": s.T, "grads": s.grads, "x0": s.x0, "method": self.method,
               "lrs": None if s.lrs is None else np.asarray(s.lrs, dtype=np.float64)}
        msg = self.proc.call(req, f"running the stream '{s.label}' ({s.T} steps)")
        if msg["status"] == "ok":
            return Outcome(msg["xs"])
        step = msg["step"]
        return Outcome(msg.get("xs"), step if step != 0 else -1, msg["message"], msg.get("exc_type", ""),
                       msg.get("kind", ""))

    def matching(self, s: Stream, out: Outcome, cands) -> list:
        return [c for c in cands if self.agrees(c, s, out)]

    def agrees(self, c: Candidate, s: Stream, out: Outcome, expected: list | None = None) -> bool:
        """The target agrees with candidate ``c`` on ``s``: within the bound, or, where it first
        crosses the bound by less than ``GRADUAL`` times, as accurate as a correct evaluation
        can be on this stream (:mod:`optmath.verify.conditioning`), even where the spec's own
        float64 evaluation is the less accurate one.  A stream that cannot be judged in the
        target's precision is no evidence either way (recorded)."""
        expected = simulate(c.alg, s) if expected is None else expected
        d = compare(out, expected, self.rtol)
        if d is None:
            return True
        if out.failed_step or not out.xs or isinstance(d.actual, str):
            return False
        key = (id(c), id(s))
        if key not in self.conditioning:  # the value holds the stream, so its id is not reused
            self.tell(f"judging the stream '{s.label}' against a 60-digit evaluation", 0, 0)
            self.conditioning[key] = (s, self._conditioned(c, s, out, expected, d))
        found = self.conditioning[key][1]  # the target as accurate as the truth allows, or no evidence
        return found is not None and all(cmp.verdict == INCONCLUSIVE or cmp.accurate("target") for cmp in found[1])

    def _conditioned(self, c: Candidate, s: Stream, out: Outcome, expected: list, d: Difference):
        flatE = expected[d.tensor].reshape(s.T + 1, -1)
        j = int(np.ravel_multi_index(d.index, expected[d.tensor].shape[1:])) if d.index else 0
        allowed = _bound(flatE, self.rtol)[d.step, j]
        if not abs(d.actual - d.expected) <= GRADUAL * allowed:
            return None  # a jump, not drift: the stream cannot be what separates them
        found = []
        for i, (G, x0, E) in enumerate(zip(s.grads, s.x0, expected)):
            A = np.asarray(out.xs[i], dtype=np.float64).reshape(s.T + 1, -1)
            E = E.reshape(s.T + 1, -1)
            if not (np.all(np.isfinite(A)) and np.all(np.isfinite(E))):
                return None
            found.append(compare_trajectories(
                c.alg, G.reshape(s.T, -1), x0.reshape(-1), {"target": {"x": A}, "spec": {"x": E}},
                rtol=self.rtol[0], lrs=s.lrs, precision=s.dtype, step=_compiled(c.alg),
                what=f"stream '{s.label}', tensor {i}", shape=x0.shape))
        return s.label, found

    def evidence(self, c: Candidate) -> list[dict]:
        """What the conditioning-aware comparison decided for ``c``: streams that agree only as an
        ill-conditioned stream, or that could not be resolved (no evidence)."""
        out = []
        for (cid, _), (_, found) in self.conditioning.items():
            if cid == id(c) and found is not None:
                worst = [cmp for cmp in found[1] if cmp.verdict != AGREE]
                if worst:  # one line per stream: its least conclusive tensor
                    cmp = max(worst, key=lambda m: (m.verdict == INCONCLUSIVE, m.tolerance))
                    out.append({"stream": found[0], "tensors": len(worst), **cmp.as_dict(), "text": cmp.text()})
        return out


def _probe_failure(s: Stream, out: Outcome) -> str:
    """The report's reason when the target fails on the probe ``s``."""
    when = f"at step {out.failed_step}" if out.failed_step > 0 else "before its first step"
    return f"the target failed {when} of the probe '{s.label}': {out.message}"


def _prune(chk: _Checker, s: Stream | None, out: Outcome | None, tried: set, report) -> bool:
    """Keep the alive candidates that agree on ``s`` (already in ``chk.seen``; ``None``: a stream
    that rejected them all).  When none does, every setting of the product not tried yet that
    agrees with every stream run so far takes over (step 2 of the module docstring).  Returns
    whether any candidate is left."""
    if s is not None:
        alive = chk.matching(s, out, chk.alive)
        if alive:
            chk.alive = alive
            return True
    more = [c for c in chk.all if id(c) not in tried
            and all(chk.agrees(c, s2, o2) for s2, o2 in chk.seen + chk.passed)]
    tried |= {id(c) for c in more}
    report.settings_tried += len(more)
    if more:
        chk.alive = more
    return bool(more)


def _closest(cands, s: Stream, out: Outcome, rtol: tuple):
    best, best_diff = None, None
    for c in cands:
        d = compare(out, simulate(c.alg, s), rtol)
        if d is not None and (best_diff is None or d.step > best_diff.step):
            best, best_diff = c, d
    return best, best_diff


def _shrink(chk: _Checker, s: Stream, fails, budget: int = 120) -> Stream:
    """Greedy shrinking of a failing stream: truncate, drop tensors and coordinates, round values."""
    tries = [0]

    def still(c: Stream) -> bool:
        if tries[0] >= budget:
            return False
        tries[0] += 1
        chk.tell("shrinking the failing stream", tries[0], budget)
        return fails(c)

    def truncated(c: Stream, T: int) -> Stream:
        return replace(c, grads=[G[:T] for G in c.grads], lrs=None if c.lrs is None else c.lrs[:T])

    def shortest(s: Stream, test=still) -> Stream:
        """The prefix up to the step at which the last candidate stops agreeing, if it still fails."""
        out = chk.run(s)
        worst = 1
        for c in chk.all:
            d = compare(out, simulate(c.alg, s), chk.rtol)
            if d is not None:
                worst = max(worst, d.step)
        if worst < s.T and test(truncated(s, worst)):  # no candidate agrees beyond step `worst`
            return truncated(s, worst)
        return s

    # 1. the shortest prefix
    s = shortest(s)
    # 2. fewer tensors / coordinates (the d2l layout stays [w (d, 1), b (1,)])
    d2l = chk.style.startswith("d2l")
    if not d2l:
        for i in range(len(s.grads) - 1, -1, -1):
            if len(s.grads) > 1:
                c = replace(s, grads=s.grads[:i] + s.grads[i + 1:], x0=s.x0[:i] + s.x0[i + 1:])
                if still(c):
                    s = c
    for i in range(len(s.grads)):
        shape = s.x0[i].shape
        if int(np.prod(shape)) == 1:
            continue
        flatG = s.grads[i].reshape(s.T, -1)
        flat0 = s.x0[i].reshape(-1)
        for j in range(flatG.shape[1]):
            new_shape = (1, 1) if d2l and i == 0 else (1,)
            c = replace(s, grads=list(s.grads), x0=list(s.x0))
            c.grads[i] = flatG[:, j].reshape((s.T,) + new_shape)
            c.x0[i] = flat0[j:j + 1].reshape(new_shape)
            if still(c):
                s = c
                break
    # 3. simpler numbers: lr constant, x0 = 0, each gradient 0, +-1, a power of ten
    if s.lrs is not None:
        c = replace(s, lrs=None)
        if still(c):
            s = c
    for i in range(len(s.x0)):
        if np.any(s.x0[i] != 0):
            c = replace(s, x0=list(s.x0))
            c.x0[i] = np.zeros_like(s.x0[i])
            if still(c):
                s = c
    for i in range(len(s.grads)):
        for k in range(s.T):
            for j in range(int(np.prod(s.x0[i].shape))):
                v = float(s.grads[i].reshape(s.T, -1)[k, j])
                if v == 0.0:
                    continue
                for simple in (0.0, math.copysign(1.0, v), math.copysign(10.0 ** round(math.log10(abs(v))), v)):
                    if simple == v:
                        break
                    G = s.grads[i].reshape(s.T, -1).copy()
                    G[k, j] = simple
                    c = replace(s, grads=list(s.grads))
                    c.grads[i] = G.reshape(s.grads[i].shape)
                    if still(c):
                        s = c
                        break
    # 4. the shortest prefix again (one try beyond the budget): simpler numbers can make the
    # difference appear sooner
    s = shortest(s, fails)
    return replace(s, label="shrunk")


def _residual(chk, seen, alg, tmap, limit: int = RESIDUAL_STREAMS) -> float:
    """How far ``alg`` (with counter map ``tmap``) is from the target on the shortest streams
    seen (:data:`RESIDUAL_STREAMS`): the mean over steps and coordinates of
    ``log10(1 + |error| / bound)`` (the bound of :func:`compare`), so that a bug which removes a
    large relative error anywhere ranks first."""
    total = 0.0
    for s, out in seen[:limit]:
        if not out.xs:
            continue
        for E, A in zip(simulate(alg, s, tmap), out.xs):
            flatE = E.reshape(s.T + 1, -1)
            flatA = np.asarray(A, dtype=np.float64).reshape(-1, flatE.shape[1])[: s.T + 1]
            n = min(len(flatA), len(flatE))
            with np.errstate(all="ignore"):
                r = np.abs(flatA[1:n] - flatE[1:n]) / (_bound(flatE, chk.rtol)[1:n] + 1e-300)
                r = np.where(np.isfinite(r), r, 1e6)  # a non-finite value: a large, bounded miss
                total += float(np.mean(np.log10(1.0 + r))) if r.size else 0.0
    return total


def _settle(chk, space: CandidateSpace, seen) -> tuple[list, int]:
    """The conventions the probes ``seen`` find, one coordinate at a time (step 1 of the module
    docstring): from the preferred profile's setting, each varying switch and each guessed
    constant takes the value whose residual (:func:`_residual`) on the probes is least, the others
    held, in sweeps until none changes (at most :data:`SETTLE_SWEEPS`).  The cost is the sum of
    the coordinates' sizes per sweep, not their product.  Returns the settings tried that agree
    with the target on every probe (preferred first; empty where the coordinates interact so
    that no sweep reaches an agreeing setting: the caller then falls back to the product) and the
    number of settings tried."""
    streams = sorted((so for so in seen if so[1].xs and not so[1].crashed), key=lambda so: so[0].T)
    ranked = [so for so in streams if so[0].T <= SETTLE_MAX_STEPS] or streams  # rank on the short ones
    scores: dict = {}

    def score(c: Candidate) -> float:
        if id(c) not in scores:
            scores[id(c)] = (c, _residual(chk, ranked, c.alg, None, limit=len(ranked)))
        return scores[id(c)][1]

    cur = list(space.start)
    if space.at(space.start) is not None:
        score(space.at(space.start))  # the start is tried even where no coordinate varies
    for _ in range(SETTLE_SWEEPS):
        changed = False
        for i, (_, vals) in enumerate(space.dims):
            opts = []
            for j, v in enumerate(vals):
                c = space.at(tuple(cur[:i] + [v] + cur[i + 1:]))
                if c is not None:
                    opts.append((score(c), j, v))
            if opts:
                best = min(opts)[2]
                if best != cur[i]:
                    cur[i], changed = best, True
        if not changed:
            break
    tried = [c for c, _ in scores.values()]
    agree = [c for c in tried if all(chk.agrees(c, st, out) for st, out in streams)]
    return space.order(agree), len(tried)


def settle(space: CandidateSpace, seen: list, precision: str = "float64") -> tuple[list, int]:
    """:func:`_settle` on outcomes already known: ``seen`` is ``[(Stream, Outcome)]`` (the
    target's iterates on each stream, e.g. another candidate's simulation), judged with the
    tolerance of ``precision``.  Returns the agreeing settings tried and how many were tried."""
    chk = _Checker(None, "torch", {}, CONFORMANCE[precision], space)
    chk.precision = precision
    return _settle(chk, space, list(seen))


def _compound(chk, cands, seen, reproduces, P, fresh):
    """Two or three catalogued bugs together, searched greedily: of every single mutant of every
    candidate convention, the :data:`COMPOUND_BEAM` with the smallest :func:`_residual` (then of
    the pairs) are extended by every mutant of their own program (one wrong counter at most).  A
    combination that reproduces every stream seen must also reproduce fresh streams it was not
    found on.  Returns ``((Diagnosis, candidate) or None, best)`` where ``best`` is the chain that
    followed the target longest, ``(steps agreed, chain, candidate)``, for :func:`_partial_diagnosis`."""
    frontier = [((m,), m.alg, m.tmap, cand) for cand in cands for m in mutants(cand.alg)]
    best = None  # (steps agreed, chain, candidate): the longest partial explanation
    for _depth in range(2, MAX_COMPOUND + 1):
        # the beam: the best COMPOUND_PER_CLASS of each combination of bug classes (a hard-coded
        # constant that only the other bug reveals must not crowd the right one out), smallest
        # residual first, at most COMPOUND_BEAM in all
        frontier.sort(key=lambda f: _residual(chk, seen, f[1], f[2]))
        taken: dict = {}
        beam = []
        for f in frontier:
            key = tuple(sorted(m.key for m in f[0]))
            if taken.get(key, 0) < COMPOUND_PER_CLASS:
                taken[key] = taken.get(key, 0) + 1
                beam.append(f)
        for chain, alg, tmap, cand in beam[:COMPOUND_BEAM]:
            agreed = _agreed_steps(seen, alg, tmap, chk.rtol)
            if best is None or agreed > best[0]:
                best = (agreed, chain, cand)
        nxt = []
        for chain, alg, tmap, cand in beam[:COMPOUND_BEAM]:
            for mut in mutants(alg):
                if (mut.tmap is not None and tmap is not None) or any(m.key == mut.key for m in chain):
                    continue
                tm = mut.tmap or tmap
                combo = (*chain, mut)
                if reproduces(mut.alg, tm):
                    streams = fresh() if fresh else []
                    outs = [(st, chk.run(st)) for st in streams]
                    if all(compare(o, simulate(mut.alg, st, tm), chk.rtol) is None for st, o in outs):
                        chk.seen.extend(outs)
                        return (_compound_diagnosis(combo, cand, P, len(streams)), cand), best
                nxt.append((combo, mut.alg, tm, cand))
        frontier = nxt
    return None, best


def _agreed_steps(seen, alg, tmap, rtol) -> int:
    """Steps on which ``alg`` follows the target before their first difference, summed over the
    :data:`PARTIAL_STREAMS` shortest streams seen."""
    total = 0
    for s, out in seen[:PARTIAL_STREAMS]:
        d = compare(out, simulate(alg, s, tmap), rtol)
        total += s.T if d is None else d.step - 1
    return total


def _partial_diagnosis(best, chk, seen, P) -> Diagnosis | None:
    """The combination that follows the target longest, when no combination follows it
    throughout: named as *partial* when it agrees on at least twice as many steps (and two more)
    as the convention it was found on, on the shortest streams seen."""
    if best is None:
        return None
    agreed, chain, cand = best
    base = _agreed_steps(seen, cand.alg, None, chk.rtol)
    if agreed < max(2 * base, base + 2):
        return None
    total = sum(s.T for s, _ in seen[:PARTIAL_STREAMS])
    parts = _chain_parts(chain, cand, P)
    text = "; ".join(f"({i + 1}) {p['title']} ({p['variant']})" for i, p in enumerate(parts))
    return Diagnosis("partial:" + "+".join(p["bug_class"] for p in parts), "partial explanation",
                     " and ".join(p["variant"] for p in parts),
                     f"{text} reproduce{'s' if len(parts) == 1 else ''} the target for {agreed} of the {total} steps of "
                     f"the {min(len(seen), PARTIAL_STREAMS)} shortest streams seen ({base} without "
                     f"{'it' if len(parts) == 1 else 'them'}); the rest of the difference has no catalogued explanation",
                     numbers={"parts": parts, "agreed_steps": agreed, "steps": total, "agreed_without": base})


def _chain_parts(chain, cand, P) -> list[dict]:
    """Each bug of a chain of mutants with its effect relative to the program before it."""
    parts, base = [], cand.alg
    for m in chain:
        eff = describe_effect(m, base, P)
        parts.append({"bug_class": m.key, "title": m.bug.title, "variant": m.variant, "effect": eff.text,
                      "factor": None if eff.factor is None else str(eff.factor)})
        base = m.alg
    return parts


def _compound_diagnosis(combo, cand, P, n_fresh) -> Diagnosis:
    parts = _chain_parts(combo, cand, P)
    text = "; ".join(f"({i + 1}) {p['title']} ({p['variant']}): {p['effect']}" for i, p in enumerate(parts))
    return Diagnosis("+".join(p["bug_class"] for p in parts), f"{len(parts)} bugs together",
                     " and ".join(p["variant"] for p in parts),
                     text + f"; the combination reproduces the target on every stream, {n_fresh} fresh ones included",
                     numbers={"parts": parts})


def _diagnose(chk: _Checker, spec_name: str, values: dict, P: int, fresh=None):
    """The catalogued bug (or other optimizer) that reproduces the target on every stream seen.

    Returns ``(diagnosis, candidate, other)``.  Candidates are tried in order of how far they
    agree with the target, each with every mutant of the catalogue; streams are tried shortest
    first so that a wrong guess is dropped after a few steps.
    """
    from ..optimizers import REGISTRY

    seen = sorted(chk.seen, key=lambda so: so[0].T)

    def reproduces(alg, tmap=None) -> bool:
        return all(compare(out, simulate(alg, s, tmap), chk.rtol) is None for s, out in seen)

    def agreement(c: Candidate) -> float:
        total = 0.0
        for s, out in seen[:4]:
            d = compare(out, simulate(c.alg, s), chk.rtol)
            total += 1.0 if d is None else (d.step - 1) / s.T
        return -total

    ranked = sorted(chk.all, key=agreement)
    for cand in ranked:
        for mut in mutants(cand.alg):
            if reproduces(mut.alg, mut.tmap):
                eff = describe_effect(mut, cand.alg, P)
                return Diagnosis(mut.key, mut.bug.title, mut.variant, eff.text,
                                 None if eff.factor is None else str(eff.factor), eff.values), cand, ""
    prefer = [STYLE_PROFILE[chk.style], "pytorch", "optax", "keras", "paper", "d2l"]
    for name, other in REGISTRY.items():
        if name == spec_name:
            continue
        hits = []
        for pname in sorted(other.profiles, key=lambda p: prefer.index(p) if p in prefer else 99):
            try:
                vals = {k: v for k, v in values.items() if any(h.name == k for h in other.hypers)}
                alg = other.resolve(pname, **vals)
            except (DomainError, UnknownNameError):
                continue
            if alg.program.lookahead is None and reproduces(alg):
                hits.append(pname)
        if hits:
            return None, None, f"the code implements {name} ({' / '.join(hits)} profile), not {spec_name}"
    # the simplest explanations first: one bug, another optimizer; then two or three bugs
    found, best = _compound(chk, ranked, seen, reproduces, P, fresh)
    if found is not None:
        return found[0], found[1], ""
    partial = _partial_diagnosis(best, chk, seen, P)
    if partial is not None:
        return partial, best[2], ""
    return None, None, ""


def check(target, optimizer: str, profile: str | None = None, style: str | None = None,
          step=None, init=None, examples: int = 100, timeout: float = 60.0, seed: int = 0,
          shrink_budget: int = 120, memory: int = limits.TARGET_MEMORY, progress=None,
          options: dict | None = None, method: str | None = None,
          keywords: dict | None = None) -> ConformanceReport:
    r"""Check ``target`` against the spec ``optimizer`` (see the module docstring).

    ``target`` is ``'path/to/file.py:Name'`` or the class/factory itself; for the d2l style give
    ``step`` and ``init`` (names or functions).  ``profile`` demands that profile's conventions;
    without it any legitimate convention is accepted and named.  ``timeout`` bounds every call
    into the target (seconds), its import included; ``memory`` (bytes) bounds what the target's
    process may allocate beyond the framework it imports (a larger allocation raises
    ``MemoryError`` inside the target, reported as the target failing).  ``options`` are
    keyword arguments passed to the target as they are, beside the hyperparameters the checker
    sets (``{"foreach": True}``, ``{"rectify": False}``); they win over the checker's own
    flags.  ``method`` names the method a NumPy-style class is called through, ``obj.METHOD(w,
    grad)`` (default: ``update``, else ``step``): a custom entry point without an adapter.
    ``keywords`` names the target's own keyword for a hyperparameter where it is not the style's
    (``{"b1": "1 - betas[0]"}``: adan-pytorch's betas hold 1 - beta; see
    :func:`~optmath.verify.targets.parse_keywords`).  ``progress``, when
    given, is called as ``progress(phase, done, total)`` as streams are run (the CLI prints it on
    stderr).  Returns a :class:`ConformanceReport`; raises
    :class:`~optmath.verify.targets.TargetError` (a ``ValueError``) on a usage error.
    """
    options = _check_options(options)
    if method is not None and (not isinstance(method, str) or not method.isidentifier() or method.startswith("__")):
        raise TargetError(f"method = {method!r} must be the name of a method of the target's class")
    if progress is not None and not callable(progress):
        raise TargetError(f"progress = {progress!r} must be a function (phase, done, total) or None")
    tell = progress or (lambda phase, done, total: None)
    from ..optimizers import get_spec

    spec = get_spec(optimizer)
    if profile is not None and profile not in spec.profiles:
        raise UnknownNameError(f"profile of {spec.name}", profile, spec.profiles)
    kw_map = parse_keywords(keywords)
    for h in kw_map:
        spec.hyper(h)  # an unknown name is a one-line UnknownNameError
    for name, v, lo in (("examples", examples, 0), ("timeout", timeout, 1e-3), ("shrink_budget", shrink_budget, 0)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (v >= lo) or not math.isfinite(v):
            raise TargetError(f"{name} = {v!r} must be a number >= {lo:g}")
    if not isinstance(examples, int) or examples > limits.MAX_EXAMPLES:
        raise TargetError(f"examples = {examples!r} must be an integer <= {limits.MAX_EXAMPLES:,} (optmath.limits)")
    if timeout > MAX_TIMEOUT:
        raise TargetError(f"timeout = {timeout!r} exceeds the limit of {MAX_TIMEOUT:g} s per call")
    if isinstance(memory, bool) or not isinstance(memory, (int, float)) or not 1 << 20 <= memory <= limits.available_memory():
        raise TargetError(f"memory = {memory!r} must be between 1 MiB and the {limits.size(limits.available_memory())} "
                          "available (bytes)")
    seed = limits.check_seed(seed)
    tgt = make_target(target, style, step, init)
    report = ConformanceReport(tgt.label, tgt.style, spec.name, profile, False, 1, seed=seed)
    with TargetProcess(tgt, float(timeout), memory=int(memory)) as proc:
        try:
            first = proc.start()
        except (TargetTimeout, TargetCrashed) as exc:
            report.reason = f"could not import the target: {exc}"
            return report
        if first["status"] == "usage":
            raise TargetError(first["message"])
        if first["status"] != "ready":
            report.exit_code, report.reason = 2, first["message"]
            return report
        st = tgt.style
        if st == "d2l" and proc.describe[0].get("arity") == 4:
            st = "d2l-numpy"
        if style is None and st == "torch":  # chosen by default: tell the style from the object
            desc0 = proc.describe[0]
            if method and desc0.get("is_class") and not desc0.get("torch_optimizer"):
                st = "numpy"  # a class called through the method the user named
            else:
                st = infer_style(desc0, tgt.label.rsplit(" (", 1)[0])
        if method and st != "numpy":
            raise TargetError(f"--method names the method of a NumPy-style class; the target is {st}-style")
        if method and method not in proc.describe[0].get("public", []):
            raise TargetError(f"{tgt.label.rsplit(' (', 1)[0]} has no method {method!r}")
        report.style = st
        report.target = report.target.rsplit(" (", 1)[0] + f" ({st})"
        prefer = profile or next(p for p in (STYLE_PROFILE[st], "pytorch", "optax", *spec.profiles)
                                 if p in spec.profiles)
        base = spec.resolve(prefer)
        values = dict(base.values)
        desc = proc.describe[0] if not (st.startswith("d2l") or st == "course") else None
        accepts = set(desc["names"]) if desc else set()
        var_kw = bool(desc and desc["var_kw"])
        if "wd" in values:
            decay_variant = base.values.get("wd", 0.0) > 0
            if st.startswith("d2l"):
                values["wd"] = PROBE_WD if decay_variant else 0.0
            elif st == "keras" and base.switches.get("weight_decay", "none") == "none":
                # every Keras optimizer takes weight_decay, decoupled; probed where the keras
                # profile of the spec has decay (AdamW), left off (None) otherwise
                values["wd"] = 0.0
            elif "weight_decay" in accepts or var_kw:
                values["wd"] = PROBE_WD
            else:
                values["wd"] = desc["defaults"].get("weight_decay", values["wd"]) if desc else values["wd"]
        if "damp" in values:
            nesterov = base.switches.get("momentum") == "nesterov"  # torch refuses dampening with it
            values["damp"] = PROBE_DAMP if st == "torch" and not nesterov and ("dampening" in accepts or var_kw) else 0.0
        no_lr = st.startswith("d2l") and spec.name in D2L_WITHOUT_LR
        vary = not no_lr and st not in ("numpy", "loop")  # a NumPy class's lr (a loop's step_size) is fixed
        if not no_lr:  # a large step makes every bug visible above rounding, float32 included
            values["lr"] = max(values["lr"], PROBE_LR)
        if options and not st.startswith("d2l"):
            # an option that is a hyperparameter's own keyword (weight_decay=1e-2) sets that
            # hyperparameter: the spec must run with the value the target is given
            for h, v in _hyper_options(st, values, options, kw_map).items():
                try:
                    values[h] = spec.hyper(h).check(v, f"{spec.name}: ")
                except DomainError as exc:
                    raise TargetError(f"an option sets {h} outside the spec's domain ({exc})") from None
        kwargs, known = framework_kwargs(st, values, base.switches, desc,
                                         used=base.free_names() - ({"lr"} if no_lr else set()),
                                         native={s.name: next(iter(s.choices)) for s in spec.switches},
                                         keywords=kw_map)
        for h, v in known.items():
            if v is not None and not isinstance(v, list):
                values[h] = v
        if options:
            if st.startswith("d2l"):
                raise TargetError("options are keyword arguments of a constructor or factory; the d2l style has none")
            kwargs.update(options)
        report.kwargs, report.lr = kwargs, values.get("lr", 0.0)
        space = CandidateSpace(spec, values, known, profile, prefer)
        chk = _Checker(proc, st, kwargs, CONFORMANCE["float64"], space)
        chk.tell, chk.method = tell, method
        P = len(default_layout(st))
        failing: Stream | None = None
        try:
            # the working precision: from the iterates on the first probe, as given (d2l's tensors
            # are float32 by construction); the spec then runs, and is judged, in that precision
            probe_list = probes(st, values.get("lr", 1e-3), seed, vary_lr=vary)
            first_probe = probe_list[0]
            found = chk.run(first_probe)
            precision, why = working_precision(found.xs or []) if not found.crashed else ("float64", "")
            if st == "d2l" and PRECISIONS.index(precision) > PRECISIONS.index("float32"):
                precision, why = "float32", "the d2l style's tensors are float32"
            chk.precision, chk.rtol = precision, CONFORMANCE[precision]
            report.precision, report.precision_reason = precision, why
            pending = list(probe_list)
            longest = max(pending, key=lambda p: p.T).label  # run once the conventions are settled
            deferred = []
            while pending:
                raw = pending.pop(0)
                if raw.label == longest:
                    deferred.append(raw)
                    continue
                s = chk.prepare(raw)
                out = found if s.label == first_probe.label and not chk.seen else chk.run(s)
                if out.crashed and out.kind == "lr fixed" and vary:
                    # the target's lr cannot change between steps (torchopt): constant-lr probes only
                    vary = False
                    report.lr_fixed = out.message
                    seen_labels = {x.label for x, _ in chk.seen} | {x.label for x in deferred}
                    pending = [p for p in probes(st, values.get("lr", 1e-3), seed, vary_lr=False)
                               if p.label not in seen_labels]
                    continue
                chk.seen.append((s, out))
                report.probes += 1
                tell("probe streams", report.probes, report.probes + len(pending) + len(deferred))
                if out.crashed:
                    report.reason = _probe_failure(s, out)
                    return report
            tell("settling the conventions on the probes", 0, 0)
            settled, report.settings_tried = _settle(chk, space, chk.seen)
            report.settings = space.size
            tried: set = set()
            if settled:
                chk.alive = settled
                tried = {id(c) for c in settled}
            else:  # the coordinates interact: the whole product, pruned probe by probe
                chk.alive, tried = chk.all, {id(c) for c in chk.all}
                report.settings_tried = space.size
                if not chk.all:
                    report.reason = f"no convention setting of {spec.name} accepts these hyperparameter values"
                    return report
                for s, out in chk.seen:
                    alive = chk.matching(s, out, chk.alive)
                    if not alive:
                        failing = s
                        break
                    chk.alive = alive
            for raw in deferred if failing is None else ():
                s = chk.prepare(raw)
                out = chk.run(s)
                chk.seen.append((s, out))
                report.probes += 1
                tell("probe streams", report.probes, report.probes)
                if out.crashed:
                    report.reason = _probe_failure(s, out)
                    return report
                if not _prune(chk, s, out, tried, report):
                    failing = s
            rounds = 0
            while failing is None and examples > 0:
                # a search after a fallback draws other streams (the first ones are in chk.passed)
                failing = _search(chk, st, values.get("lr", 1e-3), examples, seed + 7919 * rounds, report, vary)
                rounds += 1
                if failing is None or not _prune(chk, None, None, tried, report):
                    break
                failing = None  # other settings of the product agree with every stream so far: search on
        except (TargetTimeout, TargetCrashed) as exc:
            report.reason = str(exc)
            return report
        if failing is None:
            tell("done", report.probes + report.examples, report.probes + report.examples)
            report.conforms, report.exit_code = True, 0
            report.matched = [c.describe() for c in chk.alive]
            report.conventions = chk.alive[0].conventions()
            report.known_combination = not chk.alive[0].unknown_combination
            report.conditioning = chk.evidence(chk.alive[0])
            return report
        try:
            # the effect of the difference on the failing stream, from the legitimate convention
            # nearest to the target there; a shrunk stream must keep a clear part of it
            out0 = chk.run(failing)
            report.failing_effect = None if out0.crashed else min(
                (effect(out0, simulate(k.alg, failing)) for k in chk.all), default=None)
            need = 0.0 if report.failing_effect is None else min(LARGE_EFFECT, 0.5 * report.failing_effect)

            def fails(c: Stream) -> bool:
                o = chk.run(c)
                if o.crashed:
                    return False
                sims = [(k, simulate(k.alg, c)) for k in chk.all]
                if need and min(effect(o, E) for _, E in sims) < need:
                    return False
                return not any(chk.agrees(k, c, o, E) for k, E in sims)

            tell("shrinking the failing stream", 0, shrink_budget)
            small = _shrink(chk, failing, fails, shrink_budget) if shrink_budget else failing
            out = chk.run(small)
            chk.seen.append((small, out))
            done_labels = {x.label for x, _ in chk.seen}
            for s in [p for p in probes(st, values.get("lr", 1e-3), seed, vary_lr=vary) if p.label not in done_labels]:
                s = chk.prepare(s)  # the remaining probes are evidence for the diagnosis
                chk.seen.append((s, chk.run(s)))
                report.probes += 1
            def fresh() -> list:
                # the probes drawn from the random generator, with another seed
                drawn = [s for s in probes(st, values.get("lr", 1e-3), seed + 1, vary_lr=vary)
                         if s.label in ("random", "start away from 0")]
                return [chk.prepare(replace(s, label=f"fresh: {s.label}")) for s in drawn[:FRESH_STREAMS]]

            tell("diagnosing", 0, 0)
            if profile is not None:  # the demanded profile fails: does the code follow another convention?
                others = [c for c in candidates(spec, values, known, None, prefer)
                          if all(chk.agrees(c, s2, o2) for s2, o2 in chk.seen if not o2.crashed)]
                if others and not out.crashed:
                    report.matching_profile = others[0].describe()
            diag, cand, other = _diagnose(chk, spec.name, values, P, fresh)
        except (TargetTimeout, TargetCrashed) as exc:
            report.reason = str(exc)
            return report
        rtol = chk.rtol
        ref, diff = (cand, compare(out, simulate(cand.alg, small), rtol)) if cand else _closest(chk.all, small, out, rtol)
        if ref is None:
            ref = chk.all[0]
            diff = compare(out, simulate(ref.alg, small), rtol)
        report.stream, report.difference, report.expected_from = small, diff, ref.describe()
        if not out.crashed:
            report.effect = effect(out, simulate(ref.alg, small))
        # code that follows another profile of this very rule is not "another optimizer" (torch's
        # Adam is also QHAdam with nu1 = nu2 = 1): the profile it follows is the answer
        report.diagnosis, report.other_algorithm = diag, ("" if report.matching_profile else other)
        if out.crashed:
            report.reason = f"the target failed at step {out.failed_step}: {out.message}"
        return report


def _hyper_options(style: str, values: dict, options: dict, keywords: dict | None = None) -> dict:
    """The hyperparameter values that ``options`` give by the target's own keywords (``betas[1]``
    from ``betas=(0.9, 0.99)``; a declared keyword, :func:`~optmath.verify.targets.parse_keywords`,
    read through its complement); an option of another kind is the target's business."""
    out = {}
    for h in values:
        for base, idx, complement in keyword_places(style, h, keywords):
            if base not in options:
                continue
            v = options[base]
            if idx is not None:
                v = v[idx] if isinstance(v, (list, tuple)) and len(v) > idx else None
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
                out[h] = 1.0 - float(v) if complement else float(v)
            break
    return out


def _check_options(options) -> dict:
    """``options`` as a dict of keyword names to plain values (bool, number, string, None, or a
    list of them); a :class:`TargetError` naming the bad entry otherwise."""
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise TargetError(f"options = {options!r} must be a dict of keyword arguments")
    plain = (bool, int, float, str, type(None))
    for k, v in options.items():
        if not isinstance(k, str) or not k.isidentifier():
            raise TargetError(f"option name {k!r} is not a Python keyword name")
        if not (isinstance(v, plain) or (isinstance(v, (list, tuple)) and all(isinstance(u, plain) for u in v))):
            raise TargetError(f"option {k} = {v!r} must be a bool, number, string, None or a list of them")
    return {k: (tuple(v) if isinstance(v, list) else v) for k, v in options.items()}


def _search(chk: _Checker, style: str, lr: float, examples: int, seed: int, report, vary_lr: bool):
    """Hypothesis search for a stream on which no surviving candidate matches (``None``: none found)."""
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample

    state = {"n": 0}

    def bad(s: Stream) -> bool:
        s = chk.prepare(s)
        state["n"] += 1
        chk.tell("generated streams", min(state["n"], examples), examples)
        out = chk.run(s)
        if out.crashed:
            chk.seen.append((s, out))
            return True
        alive = chk.matching(s, out, chk.alive)
        if alive:
            chk.alive = alive
            chk.passed.append((s, out))
            return False
        chk.seen.append((s, out))
        return True

    conf = settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate, Phase.shrink],
                    suppress_health_check=list(HealthCheck))
    try:
        found = find(stream_strategy(style, lr, vary_lr), bad, settings=conf, random=Random(seed))
    except NoSuchExample:
        found = None
    report.examples += state["n"]
    return None if found is None else chk.prepare(found)


__all__ = ["check", "ConformanceReport", "Stream", "probes", "stream_strategy", "candidates", "simulate",
           "compare", "Mutant", "CandidateSpace", "settle", "Outcome"]
