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

* a rigorous replay of every method over the whole horizon: the generated interval kernel
  (:mod:`optmath.kernels.interval`) encloses the exact real run at every step, and the
  enclosure must decide the same class as the float64 kernel for every run inside it
  (:func:`~optmath.search.classify.classify_enclosure`); an independent mpmath replay of the
  first ``SPOT_STEPS`` steps must lie inside the enclosure.  ``certification`` in the record says
  per method what is certified (which steps) and what is not; ``certified`` is true only when
  every method is;
* limit-cycle certificates for every method the record makes a claim about (periodic family):
  the exact drift of Adam and AMSGrad, Yogi's sign-pattern cycles and invariant band; one that
  contradicts the claim withdraws ``certified``;
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

SPOT_STEPS = 1_000  # the mpmath spot check of the interval replay covers this prefix
ENCLOSURE_BYTES_PER_STEP = 40  # gradients, learning rates and two bounds per step, and classification work
REFINEMENTS = 4  # neighbouring problems simulated around a counterexample
REPLAY_DPS = 30
CERT_ERROR = 1e-9  # largest difference of a record's final x from the replay's, relative to the interval
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
                   switches: dict | None, per: dict | None = None):
    """``name`` resolved as a search or a phase diagram runs it: ``profile`` (default: pytorch,
    else optax, else paper), the switches it has, and lr, b1, b2, eps where it has them; then the
    method's own settings in ``per[name]`` (``{"profile": ..., "hyper": {name: value}}``, see
    :func:`method_settings`), which take precedence."""
    spec = get_spec(name)
    own = (per or {}).get(name, {})
    profile = own.get("profile", profile)
    prof = profile if profile in spec.profiles else next(p for p in ("pytorch", "optax", "paper", *spec.profiles)
                                                         if p in spec.profiles)
    names = {h.name for h in spec.hypers}
    vals = {k: v for k, v in {"lr": lr, "b1": b1, "b2": b2, "eps": eps}.items() if k in names}
    vals.update(own.get("hyper", {}))
    sw = {k: v for k, v in (switches or {}).items() if any(s.name == k for s in spec.switches)}
    return spec.resolve(prof, sw, **vals)


def method_settings(methods, eps=None, profile=None, hyper=None) -> tuple:
    """Split per-method settings from common ones; ``(eps, profile, per)``.

    ``eps`` is a number for every method or ``{method: number}``; ``profile`` a profile name for
    every method or ``{method: name}``; ``hyper`` ``{method: {hyperparameter: number}}`` (an initial
    state set by a hyperparameter, such as Yogi's ``acc0``, goes here).  ``per`` is
    ``{method: {"profile": name, "hyper": {name: number}}}`` with only what was given; a method,
    profile or hyperparameter that does not exist, or a value that is not a finite number, is one
    :class:`SearchError` naming it."""
    per: dict = {}

    def own(m, what):
        if m not in methods:
            raise SearchError(f"{what} names {m!r}, which is not one of the methods ({', '.join(methods)})")
        return per.setdefault(m, {})

    def number(m, k, v):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise SearchError(f"{m}: {k} = {v!r} must be a finite number")
        names = {h.name for h in get_spec(m).hypers}
        if k not in names:
            raise SearchError(f"{m} has no hyperparameter {k} (its hyperparameters: {', '.join(sorted(names))})")
        if k == "eps" and v < 0:
            raise SearchError(f"{m}: eps = {v!r} must be >= 0")
        return float(v)

    common_eps = eps
    if isinstance(eps, dict):
        common_eps = None
        for m, v in eps.items():
            own(m, "eps").setdefault("hyper", {})["eps"] = number(m, "eps", v)
    common_profile = profile
    if isinstance(profile, dict):
        common_profile = None
        for m, p in profile.items():
            entry = own(m, "profile")  # refuses a method that is not searched
            profs = tuple(get_spec(m).profiles)
            if not isinstance(p, str) or p not in profs:
                raise UnknownNameError(f"profile of {m}", p, profs)
            entry["profile"] = p
    for m, vals in (hyper or {}).items():
        if not isinstance(vals, dict):
            raise SearchError(f"settings of {m} must map hyperparameter names to numbers, not {vals!r}")
        for k, v in vals.items():
            h = own(m, "settings").setdefault("hyper", {})
            if k in h:
                raise SearchError(f"{m}: {k} given twice")
            h[k] = number(m, k, v)
    return common_eps, common_profile, per


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
                 (f"  hyperparameters (all methods): {r['hyper']}" if not r.get("method_settings") else
                  "  hyperparameters per method: " + "; ".join(f"{m} {h}" for m, h in r["method_hyper"].items()))]
        for m, v in r["verdicts"].items():
            lines.append(f"  {m} ({r['profiles'][m]}): {v['class']}, x_T = {r['final_x'][m]:+.6f}; {v['reason']}")
            lines += ["    " + ln for ln in method_certificate_lines(r, m)]
        cert = r.get("certification")
        if cert:
            lines.append("  " + cert["summary"])
        return "\n".join(lines)


def cycle_summary(cyc: dict) -> str:
    """One line for a method's limit-cycle certificate (an entry of ``record["cycles"]``)."""
    if not cyc.get("kind"):
        return cyc["text"]
    if cyc["kind"].startswith("yogi"):
        n = int(cyc["n"])
        cycles = (f"no period-{n} cycle exists (proved from the sign patterns)" if not cyc["cycles"] else
                  f"{len(cyc['cycles'])} period-{n} cycle famil{'y' if len(cyc['cycles']) == 1 else 'ies'} "
                  f"(sign patterns {', '.join(c['pattern'] for c in cyc['cycles'])}, each checked)")
        return f"Yogi: {cycles}; {cyc['reason']} -> {cyc['direction']}"
    return f"{cyc['text']} -> {cyc['direction']}"


def method_certificate_lines(record: dict, m: str) -> list[str]:
    """What the record certifies about method ``m``, in words taken from its fields: the interval
    replay (steps, class, width), the mpmath spot check, and the limit-cycle certificate."""
    out = []
    rep = record.get("replay", {}).get(m)
    if rep:
        spot = rep["spot_check"]
        out.append(f"interval replay of {rep['steps']:,} of {record['steps']:,} steps: "
                   + (f"the exact run {rep['class']}" if rep["decided"] else f"undecided ({rep['reason']})")
                   + f", enclosure width at most {rep['max_width']:.2e}")
        out.append(f"mpmath spot check ({spot['dps']} digits, first {spot['steps']:,} steps): "
                   + ("inside the enclosure" if spot["inside_enclosure"] else "OUTSIDE the enclosure")
                   + f"; float64 differs by at most {spot['max_error']:.2e} (first-order rounding bound "
                   + ("holds" if spot["bound_holds"] else "exceeded: informational, the certificate rests on the enclosure")
                   + ")")
    cyc = record.get("cycles", {}).get(m)
    if cyc:
        out.append("limit cycle: " + cycle_summary(cyc))
    why = record.get("certification", {}).get("methods", {}).get(m)
    if why:
        out.append(why)
    return out


def _b2_value(b2, params: dict) -> float:
    """``b2`` itself, or Reddi's ``1/(1 + C^2)`` for ``b2 = "reddi"``."""
    return 1.0 / (1.0 + params["C"] ** 2) if b2 == "reddi" else b2


def _problem(family: str, params: dict):
    if family == "periodic":
        return make_problem("periodic", C=params["C"], n=params["n"], D=params.get("D", 1.0))
    return make_problem("stochastic", C=params["C"], p=params["p"], D=params.get("D", 1.0))


def _trial(methods, family, params, lr, schedule, steps, x0, seed, b1, b2, eps, profile, switches,
           per=None, precision="float64") -> Trial:
    import warnings

    from ..errors import PrecisionWarning
    from ..kernels.runner import run

    prob = _problem(family, params)
    b2v = _b2_value(b2, params)
    verdicts, final = {}, {}
    for m in methods:
        alg = resolve_method(m, lr, b1, b2v, eps, profile, switches, per)
        with warnings.catch_warnings():  # a low-precision search reports its inputs' warnings once, up front
            warnings.simplefilter("ignore", PrecisionWarning)
            tr = run(alg, problem=prob, steps=steps, x0=x0, schedule=schedule, seed=seed, on_nonfinite="stop",
                     precision=precision)
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
           client=None, settings: dict | None = None, precision: str = "float64") -> SearchResult:
    r"""Find a problem of ``family`` where ``fails`` fails or diverges while every method in
    ``converges`` converges, all with identical step sizes, start, stream, betas and eps.

    ``b2="reddi"`` sets ``b2 = 1/(1 + C^2)`` for each problem (Reddi et al.'s Theorem 1).
    ``b1``, ``b2`` and ``eps`` left at ``None`` take :data:`DEFAULTS` in the methods that have
    them; a value given must be a hyperparameter of every method (else a :class:`SearchError`).
    Per-method settings (:func:`method_settings`): ``eps={"adam": 1e-6, "yogi": 1e-3}``,
    ``profile={"adam": "d2l", "yogi": "optax"}``, ``settings={"yogi": {"acc0": 1e-6}}`` (any
    hyperparameter, an initial accumulator included); they are recorded and replayed.
    ``lr=None`` tries the scales ``LR_GRID``; ``budget`` bounds the problems simulated (at most
    ``optmath.limits.MAX_BUDGET``), and problems x methods x steps at most ``MAX_WORK``.
    ``progress(done, total)`` is called after each simulated problem.  ``scheduler``
    (``"local"`` or ``tcp://HOST:PORT``) or ``client`` simulates the candidates as Dask tasks, a
    few per worker thread ahead of the one awaited, and takes them in the local loop's order:
    the same record, counts and trials as the local search.  ``precision`` (float32, float16,
    bfloat16): every run in that arithmetic (:mod:`optmath.kernels.precision`); such a record is
    never certified (the interval replay encloses the exact run), and says why.
    """
    from ..kernels.precision import check_precision

    check_precision(precision)
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
    eps, profile, per = method_settings(methods, eps, profile, settings)
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
            if screen and not _adam_pushed_wrong(params, b1, b2, eps, per):
                passed[0] += 1
                continue
            before.append(passed[0])
            yield (methods, family, params, lr_k, schedule, steps, x0, seed, b1, b2, eps, profile, switches, per,
                   precision)

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
            if screen and not _adam_pushed_wrong(p, b1, b2, eps, per):
                continue
            refine.append((methods, family, p, found.lr * factor_lr, schedule, steps, x0, seed, b1, b2, eps, profile,
                           switches, per, precision))
        for _, t in task_map(_trial, refine, client=client, ordered=True):
            evaluated += 1
            trials.append(t)
            if t.is_counterexample(fails, converges) and t.margin(fails, converges) > best.margin(fails, converges):
                best = t
    record = make_record(best, fails, list(converges), family, schedule, steps, x0, seed, b1, b2, eps,
                         profile, switches, certify=certify, per=per, precision=precision)
    msg = ("counterexample found and certified" if record["certified"] else
           f"counterexample found in {precision} (not certified: an interval replay encloses the exact run only)"
           if precision != "float64" else
           "counterexample found; certification FAILED" if certify else "counterexample found (not certified)")
    return SearchResult(record, evaluated, screened, budget, msg, trials)


def _adam_pushed_wrong(params, b1, b2, eps, per=None) -> bool:
    from .certify import periodic_certificate

    b2v = _b2_value(b2, params)
    own = (per or {}).get("adam", {}).get("hyper", {})
    cert = periodic_certificate(params["C"], int(params["n"]), params.get("D", 1.0), own.get("b1", b1),
                                own.get("b2", b2v), own.get("eps", eps))
    return cert.pushes_to_wrong_end["adam"]


def make_record(trial: Trial, fails, converges, family, schedule, steps, x0, seed, b1, b2, eps,
                profile, switches, certify: bool = True, per: dict | None = None, precision: str = "float64") -> dict:
    """The JSON record of a counterexample with its certificates (see the module docstring)."""
    import mpmath
    import numba
    import sympy

    methods = [fails, *converges]
    b2v = _b2_value(b2, trial.params)
    algs = {m: resolve_method(m, trial.lr, b1, b2v, eps, profile, switches, per) for m in methods}
    rec = {"family": family, "params": trial.params, "lr": trial.lr, "schedule": schedule, "steps": steps,
           "x0": x0, "seed": seed, "fails": fails, "converges": converges,
           "hyper": {"b1": b1, "b2": b2v, "eps": eps}, "b2_rule": "reddi" if b2 == "reddi" else "fixed",
           "profile": profile, "switches": switches or {}, "method_settings": per or {},
           "profiles": {m: a.profile for m, a in algs.items()},
           "method_hyper": {m: _hyper_values(a) for m, a in algs.items()},
           "verdicts": {m: v.as_dict() for m, v in trial.verdicts.items()},
           "final_x": trial.final_x, "replay": {}, "certificate": None, "cycles": {},
           "versions": {"optmath": __version__, "numpy": np.__version__, "numba": numba.__version__,
                        "sympy": sympy.__version__, "mpmath": mpmath.__version__,
                        "python": platform.python_version()}}
    if precision != "float64":  # the runs are rounded; an enclosure of the exact run says nothing of them
        rec["precision"] = precision
        from ..kernels.precision import input_warnings

        rec["warnings"] = sorted({w for m in methods for w in input_warnings(
            {f"{m}: {k}": v for k, v in rec["method_hyper"][m].items() if isinstance(v, (int, float))}, precision)})
        rec["certification"] = {"certified": False, "methods": {m: f"not certified: the runs are in {precision}" for m in methods},
                                "summary": f"not certified: the runs are in {precision}, and the interval replay "
                                           "encloses the exact (real-arithmetic) run, not the rounded one"}
    elif certify:
        certify_record(rec, trial, b2v, algs)
    else:
        rec["certification"] = {"certified": False, "summary": "not certified (certification was not asked for)",
                                "methods": {m: "not checked" for m in methods}}
    rec["certified"] = bool(certify and rec["certification"]["certified"])
    if precision != "float64":
        rec["certified"] = False
    return rec


def certify_record(rec: dict, trial: Trial, b2v: float, algs: dict) -> None:
    """Fill ``rec["replay"]``, ``rec["cycles"]``, ``rec["certificate"]`` and ``rec["certification"]``.

    A method is certified when the interval replay (:func:`optmath.verify.replay.interval_replay`)
    encloses the exact run over the whole horizon, its enclosure decides a class
    (:func:`~optmath.search.classify.classify_enclosure`) equal to the float64 kernel's, and the
    independent mpmath replay of the first ``SPOT_STEPS`` steps lies inside the enclosure.  The
    record is certified when every method is and no limit-cycle certificate contradicts a claim.
    ``algs``: each method resolved as it ran (by :func:`make_record`)."""
    from ..kernels.runner import learning_rates
    from ..verify.replay import interval_replay, replay
    from .classify import classify_enclosure

    methods = [rec["fails"], *rec["converges"]]
    steps, x0 = rec["steps"], rec["x0"]
    prob = _problem(rec["family"], trial.params)
    limits.check_memory(ENCLOSURE_BYTES_PER_STEP * steps, f"the interval replay of {steps:,} steps")
    G = linear_gradients(prob, steps, rec["seed"])
    n_spot = min(steps, SPOT_STEPS)
    tol = CERT_ERROR * (prob.hi - prob.lo)
    why: dict = {}
    for m in methods:
        alg = algs[m]
        # the step sizes the kernel ran with: the method's own lr (a per-method setting may change it)
        lrs = learning_rates(alg.values["lr"], rec["schedule"], steps)
        enc = interval_replay(alg, G, x0=x0, lrs=lrs, lo=prob.lo, hi=prob.hi)
        v = classify_enclosure(enc.lo, enc.hi, prob.xstar, G, lo=prob.lo, hi=prob.hi,
                               grad_scale=gradient_scale(prob), lost_step=enc.lost_step)
        spot = replay(alg, G[:n_spot], x0=x0, lrs=lrs[:n_spot], dps=REPLAY_DPS, lo=prob.lo, hi=prob.hi)
        inside = enc.contains(spot.exact)
        kernel_class = trial.verdicts[m].kind
        full = enc.lost_step == 0 and enc.steps == steps
        rec["replay"][m] = {
            "method": "interval", "steps": enc.steps, "full_horizon": full, "class": v.kind, "decided": v.decided,
            "reason": v.reason, "max_width": enc.max_width, "final_enclosure": [float(enc.lo[-1]), float(enc.hi[-1])],
            "kernel_final_outside": float(max(enc.lo[-1] - trial.final_x[m], trial.final_x[m] - enc.hi[-1], 0.0))
            if full else None,
            "spot_check": {"steps": n_spot, "dps": REPLAY_DPS, "inside_enclosure": inside,
                           "max_error": float(spot.error.max()), "bound_holds": spot.holds}}
        if not full:
            why[m] = (f"not certified: the enclosure was lost at step {enc.lost_step:,} of {steps:,}"
                      if enc.lost_step else f"not certified: the enclosure covers {enc.steps:,} of {steps:,} steps")
        elif not v.decided:
            why[m] = f"not certified: {v.reason} (enclosure width up to {enc.max_width:.2e})"
        elif v.kind != kernel_class:
            why[m] = f"not certified: the exact run {v.kind}, the float64 kernel's run {kernel_class}"
        elif not inside:
            why[m] = f"not certified: the {REPLAY_DPS}-digit mpmath replay of the first {n_spot:,} steps leaves the enclosure"
        elif rec["replay"][m]["kernel_final_outside"] > tol:
            why[m] = (f"not certified: the float64 kernel's final x lies {rec['replay'][m]['kernel_final_outside']:.2e} "
                      f"outside the enclosure of the exact run (more than {tol:.1e}): they are not the same run")
        else:
            why[m] = (f"certified over all {steps:,} steps: the exact run {v.kind} "
                      f"(enclosure width at most {enc.max_width:.2e}; mpmath spot check of {n_spot:,} steps inside)")
    ok = all(t.startswith("certified") for t in why.values())
    cycles_ok = True
    if rec["family"] == "periodic":
        cert, cycles = cycle_certificates(rec, trial.params, b2v, algs)
        rec["certificate"] = cert
        rec["cycles"] = cycles
        for m, c in cycles.items():
            claim = "fails" if m == rec["fails"] else "converges"
            if c.get("direction") == ("towards the optimum" if claim == "fails" else "wrong end"):
                cycles_ok = False
                why[m] += f"; its limit-cycle certificate contradicts the claim ({c['direction']})"
    certified = ok and cycles_ok
    done = [m for m in methods if why[m].startswith("certified")]
    summary = (f"certified: every method's class holds for the exact run over all {steps:,} steps" if certified else
               f"NOT certified: {', '.join(done) or 'no method'} certified over the horizon; "
               + "; ".join(f"{m}: {why[m]}" for m in methods if not why[m].startswith("certified") or not cycles_ok))
    rec["certification"] = {"certified": certified, "summary": summary, "methods": why,
                            "spot_steps": n_spot, "steps": steps}


def _hyper_values(alg) -> dict:
    """The hyperparameter values a resolved method's equations read (lr excluded: the record has it)."""
    used = alg.free_names()
    return {k: float(v) for k, v in sorted(alg.values.items()) if k != "lr" and k in used}


def cycle_certificates(rec: dict, params: dict, b2v: float, algs: dict) -> tuple[dict, dict]:
    """The periodic certificate of Adam and AMSGrad at the failing method's settings, and, for every
    method the record makes a claim about, its own limit-cycle certificate at its own b1, b2 and
    eps: Adam and AMSGrad from the exact EMA cycles, Yogi from its sign patterns and invariant band
    (:func:`~optmath.search.certify.yogi_certificate`, from its own initial v); a method with no
    derivation says so."""
    from .certify import periodic_certificate, yogi_certificate

    C, n, D = params["C"], int(params["n"]), params.get("D", 1.0)
    out, first = {}, None
    for m in [rec["fails"], *rec["converges"]]:
        alg = algs[m]  # the method as it ran (make_record resolved it)
        vals = alg.values
        b1, b2, eps = (float(vals.get(k, d)) for k, d in (("b1", 0.0), ("b2", b2v), ("eps", 0.0)))
        kind = get_spec(m).name
        if kind in ("adam", "amsgrad"):
            cert = periodic_certificate(C, n, D, b1, b2, eps)
            first = first or cert
            d = cert.drift_value[kind]
            out[m] = {"kind": "ema limit cycle", "drift": d, "b1": b1, "b2": b2, "eps": eps,
                      "direction": "wrong end" if cert.pushes_to_wrong_end[kind] else "towards the optimum",
                      "text": f"per-period drift {-d:+.6g} x lr_t from the exact limit cycles of m and v"}
        elif kind == "yogi":
            v0 = alg.initial_value(next(s for s in alg.states if s.name == "v"))
            y = yogi_certificate(C, n, D, b1, b2, eps, v0=v0)
            out[m] = {"kind": "yogi sign patterns and invariant band", **y.as_dict(), "text": y.text()}
        else:
            out[m] = {"kind": None, "direction": None,
                      "text": f"no limit-cycle derivation for {m}: only the {rec['steps']:,} replayed steps are certified"}
    if first is None:
        first = periodic_certificate(C, n, D, rec["hyper"]["b1"], b2v, rec["hyper"]["eps"])
    return first.as_dict(), out


def write_record(record: dict, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return path


#: the fields of a record: those replay needs, and those it recomputes (checked for type only)
RECORD_NEEDS = ("family", "params", "lr", "schedule", "steps", "x0", "seed", "fails", "converges", "hyper",
                "verdicts")
RECORD_MAY = ("b2_rule", "profile", "switches", "method_settings", "method_hyper", "profiles", "final_x", "replay",
              "certificate", "cycles", "certification", "versions", "certified", "precision", "warnings")
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
    for k, kind in (("profiles", dict), ("final_x", dict), ("replay", dict), ("versions", dict), ("cycles", dict),
                    ("certification", dict), ("method_hyper", dict),
                    ("certificate", (dict, type(None))), ("certified", bool)):
        if k in rec and not isinstance(rec[k], kind):
            raise bad(f"{k} = {str(rec[k])[:60]!r} has the wrong type")
    settings = rec.get("method_settings") or {}
    if not isinstance(settings, dict) or not all(isinstance(v, dict) and set(v) <= {"profile", "hyper"}
                                                 for v in settings.values()):
        raise bad(f"method_settings = {str(settings)[:60]!r} must map methods to {{'profile': name, 'hyper': {{...}}}}")
    try:
        _, _, per = method_settings(methods, None, {m: v["profile"] for m, v in settings.items() if "profile" in v},
                                    {m: v.get("hyper", {}) for m, v in settings.items()})
    except OptmathValueError as exc:
        raise bad(f"method_settings: {exc}") from None
    check_methods(methods, profile, switches)
    b2 = "reddi" if rule == "reddi" else b2v
    precision = rec.get("precision", "float64")
    if precision not in ("float32", "float16", "bfloat16", "float64"):
        raise bad(f"precision = {str(precision)[:40]!r} must be float32, float16 or bfloat16")
    return {"methods": methods, "args": (family, params, lr, rec["schedule"], steps, x0, seed, b1, b2, eps, profile,
                                         switches, per, precision)}


def replay_record(path, certify: bool = True) -> tuple[bool, dict]:
    """Re-run a record from scratch; ``(still_holds, fresh_record)``.  The record is validated
    first (:func:`check_record`); every bad field is one :class:`SearchError` naming it."""
    holds, fresh, _ = replay_report(path, certify)
    return holds, fresh


def replay_report(path, certify: bool = True) -> tuple[bool, dict, list[str]]:
    """:func:`replay_record` with the claims that the replay does not reproduce, in words
    (:func:`compare_records`): empty exactly when it holds."""
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
                        args[10], args[11], certify=certify, per=args[12], precision=args[13])
    holds, problems = compare_records(rec, fresh, trial.is_counterexample(fails, converges), certify)
    return holds, fresh, problems


def compare_records(rec: dict, fresh: dict, counterexample: bool, certify: bool = True) -> tuple[bool, list[str]]:
    """Whether a fresh run reproduces every claim of the record ``rec``, and each claim that it does
    not, in words: the classes, the final iterates (within ``CERT_ERROR`` of the interval width
    of the replay's, and inside the fresh enclosure when there is one), the profiles and
    hyperparameter values each method is said to have run with, the counterexample itself, and a
    ``certified: true`` that the fresh certification must also reach."""
    problems = []
    prob = _problem(fresh["family"], fresh["params"])
    tol = CERT_ERROR * (prob.hi - prob.lo)
    for m in [fresh["fails"], *fresh["converges"]]:
        old, new = rec["verdicts"][m]["class"], fresh["verdicts"][m]["class"]
        if old != new:
            problems.append(f"{m}: the record says {old}, the replay gives {new}")
        fx = rec.get("final_x", {}).get(m)
        if fx is not None:
            if not (_is_number(fx) and math.isfinite(fx)) or abs(fx - fresh["final_x"][m]) > tol:
                problems.append(f"{m}: the record's final x {fx!r} is not the replay's {fresh['final_x'][m]!r}")
            else:
                enc = (fresh.get("replay", {}).get(m) or {}).get("final_enclosure")
                if enc and not enc[0] - tol <= fx <= enc[1] + tol:
                    problems.append(f"{m}: the record's final x {fx!r} lies outside the enclosure {enc} of the exact run")
        for key in ("profiles", "method_hyper"):  # the settings a reader takes the record to have used
            if key in rec and rec[key].get(m) != fresh[key][m]:
                problems.append(f"{m}: the record's {key} {rec[key].get(m)!r} are not the replay's {fresh[key][m]!r}")
    if not counterexample:
        problems.append("the replayed runs are not a counterexample")
    if certify and not fresh["certified"] and "precision" not in fresh:  # a low-precision record claims no certificate
        problems.append(fresh.get("certification", {}).get("summary", "the replay is not certified"))
    if rec.get("certified") and not fresh["certified"]:
        problems.append("the record says certified, the replay does not certify it")
    return not problems, problems
