r"""Search for problems where one optimizer fails while others converge, and certify them.

Every method runs with the *same* step-size schedule, start, gradient stream (and seed), eps and
betas; only the update rule differs.  For the periodic family the search walks a grid of
periods ``n`` and rare gradients ``C`` (the mean gradient ``(C - D (n - 1))/n`` just above 0, where
failures live), times a few learning-rate scales when none is given.  When the failing method
is Adam, the limit-cycle certificate (:mod:`optmath.search.certify`) screens each candidate
before any run: only problems where Adam's drift points to the wrong end are simulated.
Each candidate is run for every method with the Numba kernels and classified
(:mod:`optmath.search.classify`); the first counterexample is refined (neighbouring ``C`` and
lr, keeping the one with the widest margins) and certified:

* the symbolic drift of Adam and AMSGrad with its sign (periodic family);
* a high-precision (mpmath) replay of every method over the horizon, or over its first
  ``REPLAY_STEPS`` steps when it is longer (stated in the record): the replayed run must get the
  same class and stay within ``CERT_ERROR`` of the float64 run (the first-order rounding bound of
  :mod:`optmath.verify.replay` is reported beside it);
* a JSON record that :func:`replay_record` re-verifies from scratch.
"""
from __future__ import annotations

import itertools
import json
import math
import platform
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import limits
from .._version import __version__
from ..errors import DomainError, OptmathValueError, UnknownNameError
from ..optimizers import get_spec
from ..problems import gradient_scale, linear_gradients, make_problem
from .classify import classify_trajectory

REPLAY_STEPS = 200_000
REFINEMENTS = 4  # neighbouring problems simulated around a counterexample
REPLAY_DPS = 30
CERT_ERROR = 1e-9  # largest float64 - exact difference a certificate accepts, relative to the interval
FAMILIES = ("periodic", "stochastic")
N_GRID = (3, 5, 10, 20, 50, 100, 200, 500)
MEAN_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)  # target mean gradients (C = n * mean + (n - 1) D)
LR_GRID = (0.5, 2.0, 10.0)
P_GRID = (0.01, 0.02, 0.05, 0.1, 0.2)  # stochastic family: probability of the rare gradient
#: b1, b2 and eps where they are not given: applied to the methods that have them (a value given
#: explicitly must be a hyperparameter of every method, see :func:`check_methods`)
DEFAULTS = {"b1": 0.9, "b2": 0.999, "eps": 1e-8}


class SearchError(OptmathValueError):
    """Bad search or replay input (one line)."""


def check_methods(methods, profile: str | None, switches: dict | None, need=(), given=()) -> None:
    """Refuse what would otherwise be dropped silently: an explicit ``profile`` that a method
    lacks, a switch that a method lacks (every switch applies to every method), a hyperparameter
    in ``need`` (the axes of a phase diagram) and one in ``given`` (set explicitly: ``--b1``,
    ``--eps``, ...) that a method lacks.  One line naming the value and what the method has."""
    specs = {m: get_spec(m) for m in methods}
    if profile is not None:
        for m, spec in specs.items():
            if profile not in spec.profiles:
                raise UnknownNameError(f"profile of {m}", profile, tuple(spec.profiles))
    for k in switches or {}:
        if not any(s.name == k for spec in specs.values() for s in spec.switches):
            known = sorted({s.name for spec in specs.values() for s in spec.switches})
            raise UnknownNameError(f"switch of {', '.join(methods)}", k, tuple(known))
        for m, spec in specs.items():
            names = sorted(s.name for s in spec.switches)
            if k not in names:
                raise SearchError(f"{m} has no switch {k} (its switches: {', '.join(names) or 'none'}); "
                                  "a switch applies to every method")
    for m, spec in specs.items():
        names = {h.name for h in spec.hypers}
        for h in (*need, *given):
            if h not in names:
                raise SearchError(f"{m} has no hyperparameter {h} (its hyperparameters: {', '.join(sorted(names))})")


def resolve_method(name: str, lr: float, b1: float, b2: float, eps: float, profile: str | None,
                   switches: dict | None):
    """``name`` resolved as a search or a phase diagram runs it: ``profile`` (default: pytorch,
    else optax, else paper), the switches it has, and lr, b1, b2, eps where it has them."""
    spec = get_spec(name)
    prof = profile if profile in spec.profiles else next(p for p in ("pytorch", "optax", "paper", *spec.profiles)
                                                         if p in spec.profiles)
    names = {h.name for h in spec.hypers}
    vals = {k: v for k, v in {"lr": lr, "b1": b1, "b2": b2, "eps": eps}.items() if k in names}
    sw = {k: v for k, v in (switches or {}).items() if any(s.name == k for s in spec.switches)}
    return spec.resolve(prof, sw, **vals)


@dataclass
class Trial:
    """One problem with every method's verdict."""

    params: dict
    lr: float
    verdicts: dict  # method -> Verdict
    final_x: dict

    def is_counterexample(self, fails: str, converges) -> bool:
        return self.verdicts[fails].kind in ("fails", "diverges") and all(
            self.verdicts[m].kind == "converges" for m in converges)

    def margin(self, fails: str, converges) -> float:
        from .classify import CONVERGE_TOL, FAIL_TOL

        a = self.verdicts[fails].half_min_distance - FAIL_TOL
        b = min(CONVERGE_TOL - self.verdicts[m].tail_distance for m in converges)
        return min(a, b)


@dataclass
class SearchResult:
    """What the search found (``record`` is the certified counterexample, or ``None``)."""

    record: dict | None
    evaluated: int
    screened_out: int
    budget: int
    message: str
    trials: list = field(default_factory=list)

    def _repr_markdown_(self) -> str:
        return "```\n" + str(self) + "\n```"

    def __str__(self) -> str:
        head = (f"searched {self.evaluated} problem(s) with kernels ({self.screened_out} screened out by the "
                f"certificate), budget {self.budget}: {self.message}")
        if not self.record:
            return head
        r = self.record
        lines = [head, f"  problem: {r['family']} {r['params']}, x0 = {r['x0']}, {r['steps']} steps, "
                       f"lr_t = {r['lr']:g}{'/sqrt(t)' if r['schedule'] == 'inv_sqrt' else ''}, seed {r['seed']}",
                 f"  hyperparameters (all methods): {r['hyper']}"]
        for m, v in r["verdicts"].items():
            rep = r["replay"].get(m)
            lines.append(f"  {m} ({r['profiles'][m]}): {v['class']}, x_T = {r['final_x'][m]:+.6f}; {v['reason']}"
                         + ("" if rep is None else
                            f"; mpmath replay of {rep['steps']} steps: max |float64 - exact| = {rep['max_error']:.2e} "
                            f"(first-order bound {'holds' if rep['bound_holds'] else 'exceeded'}), class {rep['class']}"))
        cert = r.get("certificate")
        if cert:
            for k, v in cert["drift_value"].items():
                lines.append(f"  certificate: {k} per-period drift {-v:+.6g} x lr_t -> "
                             + ("wrong end" if cert["pushes_to_wrong_end"][k] else "towards the optimum"))
        return "\n".join(lines)


def _b2_value(b2, params: dict) -> float:
    """``b2`` itself, or Reddi's ``1/(1 + C^2)`` for ``b2 = "reddi"``."""
    return 1.0 / (1.0 + params["C"] ** 2) if b2 == "reddi" else b2


def _problem(family: str, params: dict):
    if family == "periodic":
        return make_problem("periodic", C=params["C"], n=params["n"], D=params.get("D", 1.0))
    return make_problem("stochastic", C=params["C"], p=params["p"], D=params.get("D", 1.0))


def _trial(methods, family, params, lr, schedule, steps, x0, seed, b1, b2, eps, profile, switches) -> Trial:
    from ..kernels.runner import run

    prob = _problem(family, params)
    b2v = _b2_value(b2, params)
    verdicts, final = {}, {}
    for m in methods:
        alg = resolve_method(m, lr, b1, b2v, eps, profile, switches)
        tr = run(alg, problem=prob, steps=steps, x0=x0, schedule=schedule, seed=seed, on_nonfinite="stop")
        verdicts[m] = classify_trajectory(tr, prob)
        final[m] = float(tr.xs[-1, 0])
    return Trial(dict(params), lr, verdicts, final)


def _candidates(family: str, lrs):
    out = []
    if family == "periodic":
        for n in N_GRID:
            for mean in MEAN_GRID:
                C = float(n * mean + (n - 1))
                for lr in lrs:
                    out.append(({"C": C, "n": float(n), "D": 1.0}, lr))
    else:
        for p in P_GRID:
            for ratio in (1.05, 1.2, 1.5, 2.0):  # C p > (1 - p): positive mean gradient
                C = float(ratio * (1 - p) / p)
                for lr in lrs:
                    out.append(({"C": C, "p": p, "D": 1.0}, lr))
    return out


def search(fails: str = "adam", converges=("yogi",), *, b1: float | None = None, b2=None, eps: float | None = None,
           family: str = "periodic", lr: float | None = None, schedule: str = "inv_sqrt", steps: int = 200_000,
           budget: int = 200, seed: int = 0, x0: float = 1.0, profile: str | None = None,
           switches: dict | None = None, certify: bool = True, progress=None, scheduler: str | None = None,
           client=None) -> SearchResult:
    r"""Find a problem of ``family`` where ``fails`` fails or diverges while every method in
    ``converges`` converges, all with identical step sizes, start, stream, betas and eps.

    ``b2="reddi"`` sets ``b2 = 1/(1 + C^2)`` for each problem (Reddi et al.'s Theorem 1).
    ``b1``, ``b2`` and ``eps`` left at ``None`` take :data:`DEFAULTS` in the methods that have
    them; a value given must be a hyperparameter of every method (else a :class:`SearchError`).
    ``lr=None`` tries the scales ``LR_GRID``; ``budget`` bounds the problems simulated (at most
    ``optmath.limits.MAX_BUDGET``), and problems x methods x steps at most ``MAX_WORK``.
    ``progress(done, total)`` is called after each simulated problem.  ``scheduler``
    (``"local"`` or ``tcp://HOST:PORT``) or ``client`` simulates the candidates as Dask tasks, a
    few per worker thread ahead of the one awaited, and takes them in the local loop's order:
    the same record, counts and trials as the local search.
    """
    methods = [fails, *converges]
    for m in methods:
        get_spec(m)
    if len(set(methods)) != len(methods) or not converges:
        raise SearchError(f"the failing method and the converging ones must be distinct and non-empty: {methods}")
    if family not in FAMILIES:
        raise UnknownNameError("search family", family, FAMILIES)
    if schedule not in ("inv_sqrt", "constant"):
        raise UnknownNameError("schedule", schedule, ("inv_sqrt", "constant"))
    for name, v, lo in (("budget", budget, 1), ("steps", steps, 100)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise SearchError(f"{name} = {v!r} must be an integer >= {lo}")
    limits.check_count("budget", budget, limits.MAX_BUDGET)
    given = tuple(k for k, v in (("b1", b1), ("b2", b2), ("eps", eps)) if v is not None)
    b1 = DEFAULTS["b1"] if b1 is None else b1
    b2 = DEFAULTS["b2"] if b2 is None else b2
    eps = DEFAULTS["eps"] if eps is None else eps
    if lr is not None and not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise SearchError(f"lr = {lr!r} must be a positive number")
    if not (b2 == "reddi" or (isinstance(b2, (int, float)) and 0 < b2 < 1)):
        raise SearchError(f"b2 = {b2!r} must be in (0, 1) or 'reddi'")
    if not (isinstance(b1, (int, float)) and 0 <= b1 < 1):
        raise SearchError(f"b1 = {b1!r} must be in [0, 1)")
    if not (isinstance(eps, (int, float)) and math.isfinite(eps) and eps >= 0):
        raise SearchError(f"eps = {eps!r} must be a finite number >= 0")
    check_methods(methods, profile, switches, given=given)
    limits.check_count("steps", steps, limits.MAX_STEPS, low=100)
    limits.check_seed(seed)
    from ..kernels.runner import trajectory_bytes

    limits.check_memory(len(methods) * trajectory_bytes(steps), f"{len(methods)} runs of {steps:,} steps")
    cands = _candidates(family, LR_GRID if lr is None else (float(lr),))
    # at most the budget's problems (or every candidate and the refinements), each run by every method
    limits.check_work((("problems", min(budget, len(cands) + REFINEMENTS)), ("methods", len(methods)),
                       ("steps", steps)), "the search")
    screen = family == "periodic" and get_spec(fails).kernel == "adam" and fails == "adam"
    # the candidates to simulate, in order and lazily (screening costs ~20 ms a candidate);
    # before[k]: screened candidates passed before the k-th simulated one; passed[0]: all passed
    before, passed = [], [0]

    def simulated():
        for params, lr_k in cands:
            if screen and not _adam_pushed_wrong(params, b1, b2, eps):
                passed[0] += 1
                continue
            before.append(passed[0])
            yield (methods, family, params, lr_k, schedule, steps, x0, seed, b1, b2, eps, profile, switches)

    from ..distributed import connected, task_map, worker_threads

    with connected(scheduler, client) as client:  # one client for both rounds; None: run here
        window = None if client is None else 2 * worker_threads(client)
        evaluated = 0
        trials: list[Trial] = []
        found: Trial | None = None
        results = task_map(_trial, itertools.islice(simulated(), budget), client=client, ordered=True, window=window)
        try:
            for _, t in results:  # in candidate order, as a plain loop: the first counterexample wins
                evaluated += 1
                trials.append(t)
                if progress:
                    progress(evaluated, min(budget, len(cands)))
                if t.is_counterexample(fails, converges):
                    found = t
                    break
        finally:
            results.close()  # cancels the tasks submitted ahead
        # a plain loop stops at the counterexample or at the budget, having passed the screened
        # candidates before the last one it simulated, or runs out of candidates, passing them all
        screened = before[evaluated - 1] if (found is not None or evaluated == budget) else passed[0]
        if found is None:
            near = max(trials, key=lambda t: t.margin(fails, converges), default=None)
            msg = "no counterexample found" + (f"; closest: {near.params}, lr {near.lr:g}, " + ", ".join(
                f"{m} {v.kind}" for m, v in near.verdicts.items()) if near else "")
            return SearchResult(None, evaluated, screened, budget, msg, trials)
        best = found
        refine = []  # local refinement: neighbouring C and lr, within the budget
        for factor_C, factor_lr in ((1.1, 1.0), (0.95, 1.0), (1.0, 2.0), (1.0, 0.5)):
            if evaluated + len(refine) >= budget:
                break
            if factor_lr != 1.0 and lr is not None:
                continue  # a learning rate the user gave is not the search's to change
            p = dict(found.params)
            C_new = p["C"] * factor_C
            if family == "periodic" and C_new <= (p["n"] - 1) * p.get("D", 1.0):
                continue
            p["C"] = C_new
            if screen and not _adam_pushed_wrong(p, b1, b2, eps):
                continue
            refine.append((methods, family, p, found.lr * factor_lr, schedule, steps, x0, seed, b1, b2, eps, profile,
                           switches))
        for _, t in task_map(_trial, refine, client=client, ordered=True):
            evaluated += 1
            trials.append(t)
            if t.is_counterexample(fails, converges) and t.margin(fails, converges) > best.margin(fails, converges):
                best = t
    record = make_record(best, fails, list(converges), family, schedule, steps, x0, seed, b1, b2, eps,
                         profile, switches, certify=certify)
    msg = ("counterexample found and certified" if record["certified"] else
           "counterexample found; certification FAILED" if certify else "counterexample found (not certified)")
    return SearchResult(record, evaluated, screened, budget, msg, trials)


def _adam_pushed_wrong(params, b1, b2, eps) -> bool:
    from .certify import periodic_certificate

    b2v = _b2_value(b2, params)
    cert = periodic_certificate(params["C"], int(params["n"]), params.get("D", 1.0), b1, b2v, eps)
    return cert.pushes_to_wrong_end["adam"]


def make_record(trial: Trial, fails, converges, family, schedule, steps, x0, seed, b1, b2, eps,
                profile, switches, certify: bool = True) -> dict:
    """The JSON record of a counterexample with its certificates (see the module docstring)."""
    import mpmath
    import numba
    import sympy

    from ..kernels.runner import learning_rates
    from ..verify.replay import replay
    from .certify import periodic_certificate
    from .classify import classify

    methods = [fails, *converges]
    b2v = _b2_value(b2, trial.params)
    prob = _problem(family, trial.params)
    rec = {"family": family, "params": trial.params, "lr": trial.lr, "schedule": schedule, "steps": steps,
           "x0": x0, "seed": seed, "fails": fails, "converges": converges,
           "hyper": {"b1": b1, "b2": b2v, "eps": eps}, "b2_rule": "reddi" if b2 == "reddi" else "fixed",
           "profile": profile, "switches": switches or {},
           "profiles": {m: resolve_method(m, trial.lr, b1, b2v, eps, profile, switches).profile for m in methods},
           "verdicts": {m: v.as_dict() for m, v in trial.verdicts.items()},
           "final_x": trial.final_x, "replay": {}, "certificate": None,
           "versions": {"optmath": __version__, "numpy": np.__version__, "numba": numba.__version__,
                        "sympy": sympy.__version__, "mpmath": mpmath.__version__,
                        "python": platform.python_version()}}
    ok = True
    if certify:
        n_rep = min(steps, REPLAY_STEPS)
        G = linear_gradients(prob, n_rep, seed)
        lrs = learning_rates(trial.lr, schedule, n_rep)
        for m in methods:
            alg = resolve_method(m, trial.lr, b1, b2v, eps, profile, switches)
            r = replay(alg, G, x0=x0, lrs=lrs, dps=REPLAY_DPS, lo=prob.lo, hi=prob.hi)
            regrets = G * (r.exact[:-1] - prob.xstar)  # linear losses: f_t(x) - f_t(x*) = g_t (x - x*)
            v = classify(r.exact, prob.xstar, regrets, lo=prob.lo, hi=prob.hi, grad_scale=gradient_scale(prob))
            rec["replay"][m] = {"steps": n_rep, "dps": REPLAY_DPS, "max_error": float(r.error.max()),
                                "bound_holds": r.holds, "class": v.kind,
                                "full_horizon": n_rep == steps}
            # the classification's thresholds are fractions of the interval; an error far below them
            # cannot change a class (the first-order bound can be exceeded where sign() or max()
            # switch branch on a near-tie, which is reported but is not a failure)
            ok &= float(r.error.max()) <= CERT_ERROR * (prob.hi - prob.lo)
            if n_rep == steps:
                ok &= v.kind == trial.verdicts[m].kind
        if family == "periodic":
            cert = periodic_certificate(trial.params["C"], int(trial.params["n"]), trial.params.get("D", 1.0),
                                        b1, b2v, eps)
            rec["certificate"] = cert.as_dict()
            if fails == "adam":
                ok &= cert.pushes_to_wrong_end["adam"]
            if "amsgrad" in converges:
                ok &= not cert.pushes_to_wrong_end["amsgrad"]
    rec["certified"] = bool(ok and certify)
    return rec


def write_record(record: dict, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return path


#: the fields of a record: those replay needs, and those it recomputes (checked for type only)
RECORD_NEEDS = ("family", "params", "lr", "schedule", "steps", "x0", "seed", "fails", "converges", "hyper",
                "verdicts")
RECORD_MAY = ("b2_rule", "profile", "switches", "profiles", "final_x", "replay", "certificate", "versions",
              "certified")
PARAMS = {"periodic": (("C", "n"), ("D",)), "stochastic": (("C", "p"), ("D",))}


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_record(rec) -> dict:
    """Validate a counterexample record strictly (a record may be edited by hand): the allowed
    keys only, every needed one present, each of its type and in its range.  Returns the
    arguments of the replay; a :class:`SearchError` naming the key and the value otherwise."""
    def bad(msg):
        return SearchError(f"lacks or mangles a field: {msg}")

    def number(where, v, ok=lambda x: True, rule="a finite number"):
        if not _is_number(v) or not math.isfinite(v) or not ok(v):
            raise bad(f"{where} = {v!r} must be {rule}")
        return float(v)

    if not isinstance(rec, dict):
        raise bad(f"the record must be a JSON object, not {type(rec).__name__}")
    for k in RECORD_NEEDS:
        if k not in rec:
            raise bad(f"{k!r} is missing")
    extra = sorted(set(rec) - set(RECORD_NEEDS) - set(RECORD_MAY))
    if extra:
        raise bad(f"unknown key {extra[0][:60]!r}; a record has {', '.join(RECORD_NEEDS + RECORD_MAY)}")
    fails, converges = rec["fails"], rec["converges"]
    if not isinstance(fails, str):
        raise bad(f"fails = {fails!r} must be an optimizer name")
    if not isinstance(converges, list) or not converges or not all(isinstance(m, str) for m in converges):
        raise bad(f"converges = {converges!r} must be a non-empty list of optimizer names")
    methods = [fails, *converges]
    if len(set(methods)) != len(methods):
        raise bad(f"fails and converges repeat a method: {methods}")
    family = rec["family"]
    if family not in FAMILIES:
        raise bad(f"family = {family!r} must be one of {', '.join(FAMILIES)}")
    params = rec["params"]
    need, may = PARAMS[family]
    if not isinstance(params, dict) or any(k not in params for k in need) or set(params) - set(need) - set(may):
        raise bad(f"params = {params!r} must give {' and '.join(need)} (and optionally {', '.join(may)}) "
                  f"for the {family} family")
    params = {k: number(f"params.{k}", v) for k, v in params.items()}
    if "n" in params and not (params["n"] == int(params["n"]) and 2 <= params["n"] <= limits.MAX_PERIOD):
        raise bad(f"params.n = {rec['params']['n']!r} must be an integer period in [2, {limits.MAX_PERIOD:,}] "
                  "(optmath.limits.MAX_PERIOD)")
    lr = number("lr", rec["lr"], lambda v: v > 0, "a positive number")
    if rec["schedule"] not in ("inv_sqrt", "constant"):
        raise bad(f"schedule = {rec['schedule']!r} must be inv_sqrt or constant")
    steps = rec["steps"]
    if isinstance(steps, bool) or not isinstance(steps, int):
        raise bad(f"steps = {steps!r} must be an integer")
    try:
        limits.check_count("steps", steps, limits.MAX_STEPS, low=100)
        seed = limits.check_seed(rec["seed"])
    except OptmathValueError as exc:
        raise bad(str(exc)) from None
    x0 = number("x0", rec["x0"])
    hyper = rec["hyper"]
    if not isinstance(hyper, dict) or set(hyper) != {"b1", "b2", "eps"}:
        raise bad(f"hyper = {hyper!r} must give exactly b1, b2 and eps")
    b1 = number("hyper.b1", hyper["b1"], lambda v: 0 <= v < 1, "in [0, 1)")
    b2v = number("hyper.b2", hyper["b2"], lambda v: 0 < v < 1, "in (0, 1)")
    eps = number("hyper.eps", hyper["eps"], lambda v: v >= 0, "a finite number >= 0")
    rule = rec.get("b2_rule", "fixed")
    if rule not in ("reddi", "fixed"):
        raise bad(f"b2_rule = {rule!r} must be reddi or fixed")
    profile, switches = rec.get("profile"), rec.get("switches") or {}
    if profile is not None and not isinstance(profile, str):
        raise bad(f"profile = {profile!r} must be a profile name or null")
    if not isinstance(switches, dict) or not all(isinstance(v, str) for v in switches.values()):
        raise bad(f"switches = {switches!r} must be an object of switch names and text values")
    verdicts = rec["verdicts"]
    if not isinstance(verdicts, dict) or set(verdicts) != set(methods):
        raise bad(f"verdicts must have exactly the methods {', '.join(methods)}; got "
                  f"{', '.join(map(str, verdicts)) if isinstance(verdicts, dict) else repr(verdicts)}")
    from .classify import CLASSES

    for m, v in verdicts.items():
        if not isinstance(v, dict) or v.get("class") not in CLASSES:
            raise bad(f"verdicts.{m} must be an object whose class is one of {', '.join(CLASSES)}")
    for k, kind in (("profiles", dict), ("final_x", dict), ("replay", dict), ("versions", dict),
                    ("certificate", (dict, type(None))), ("certified", bool)):
        if k in rec and not isinstance(rec[k], kind):
            raise bad(f"{k} = {str(rec[k])[:60]!r} has the wrong type")
    check_methods(methods, profile, switches)
    b2 = "reddi" if rule == "reddi" else b2v
    return {"methods": methods, "args": (family, params, lr, rec["schedule"], steps, x0, seed, b1, b2, eps, profile,
                                         switches)}


def replay_record(path, certify: bool = True) -> tuple[bool, dict]:
    """Re-run a record from scratch; ``(still_holds, fresh_record)``.  The record is validated
    first (:func:`check_record`); every bad field is one :class:`SearchError` naming it."""
    where = f"record {str(path)!r}"
    try:
        rec = limits.read_json(path, where)
    except FileNotFoundError:
        raise SearchError(f"{where} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SearchError(f"{where} is not readable JSON: {exc}") from None
    except OptmathValueError as exc:
        raise SearchError(str(exc)) from None
    try:
        checked = check_record(rec)
    except OptmathValueError as exc:
        raise SearchError(f"{where} {exc}" if str(exc).startswith("lacks") else f"{where}: {exc}") from None
    methods, args = checked["methods"], checked["args"]
    fails, converges = methods[0], methods[1:]
    family, steps, seed, b2 = args[0], args[4], args[6], args[8]
    from ..kernels.runner import trajectory_bytes

    try:
        limits.check_memory(len(methods) * trajectory_bytes(steps), f"replaying {steps:,} steps")
        limits.check_work((("methods", len(methods)), ("steps", steps)), "the replay")
    except OptmathValueError as exc:
        raise SearchError(f"{where}: {exc}") from None
    try:
        trial = _trial(methods, *args)
    except (DomainError, UnknownNameError) as exc:
        raise SearchError(f"{where}: {exc}") from None
    fresh = make_record(trial, fails, converges, family, args[3], steps, args[5], seed, args[7], b2, args[9],
                        args[10], args[11], certify=certify)
    same = all(fresh["verdicts"][m]["class"] == rec["verdicts"][m]["class"] for m in methods)
    holds = same and trial.is_counterexample(fails, converges) and (fresh["certified"] or not certify)
    return holds, fresh
