r"""A warm ``optmath run`` without SymPy: a command's resolved plan, stored beside its kernel.

A run resolves its spec (SymPy: the builder, the domains, the initial states), generates its
kernel module and plans the kernel's inputs.  All of that depends only on the optimizer's source
and on the command's optimizer arguments (name, profile, ``--switch``, ``--set``).  After a run
that resolved the spec, :func:`store` writes what a run needs, as numbers and names: the
generated module's file, the input vector, the initial states, the learning rate, the names
printed.  It goes to a JSON *plan* in ``cache_dir()/plans``, keyed by a hash of those arguments
and of the text of every source file the resolution or the generated code depends on
(:func:`fingerprint`: ``spec.py``, the version, ``optimizers/``, ``kernels/``, ``problems/``
and ``problems/families/``, and SymPy's version).  :func:`load` finds it; an edited spec, fragment or
generator, or another SymPy, gives another key, so a stale plan is never used, and a plan that
cannot be read is a miss, never an error.  The
run itself goes through :func:`optmath.kernels.execute.oracle`, as :func:`~optmath.kernels.runner.run`
does, so a warm run gives the cold run's bits; the module is imported from the file the cold run
wrote, so Numba's disk cache of it is reused.
"""
from __future__ import annotations

import hashlib
import json
import os

import numpy as np

from ..errors import NonFiniteError
from . import execute
from .cache import cache_dir, import_file, write_text

PLAN_VERSION = "1"
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_FINGERPRINT: list = []


def _sources() -> list[str]:
    files = [os.path.join(_PACKAGE, f) for f in ("spec.py", "_version.py")]
    for sub in ("optimizers", "kernels", "problems", os.path.join("problems", "families")):
        folder = os.path.join(_PACKAGE, sub)
        files += sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".py"))
    return files


def fingerprint() -> str:
    """A hash of the text of every source file a plan depends on (computed once per process)."""
    if not _FINGERPRINT:
        h = hashlib.sha256(PLAN_VERSION.encode())
        try:  # the printer of the generated source is SymPy's: another version may print other bits
            from importlib.metadata import version

            h.update(f"sympy {version('sympy')}\0".encode())
        except Exception:  # pragma: no cover - metadata unavailable: the source alone keys the plan
            pass
        for path in _sources():
            h.update(os.path.relpath(path, _PACKAGE).encode() + b"\0")
            with open(path, "rb") as f:
                h.update(f.read())
        _FINGERPRINT.append(h.hexdigest())
    return _FINGERPRINT[0]


def plan_key(name: str, profile: str, switches: dict, sets: dict, fam, precision: str = "float64",
             source: str | None = None) -> str:
    """The key of a command's plan: its optimizer arguments, the problem family (its kernel is a
    compile-time choice) and the source fingerprint."""
    payload = json.dumps([source or fingerprint(), name, profile, sorted(switches.items()),
                          sorted((k, float(v).hex()) for k, v in sets.items()), fam.name, fam.fingerprint, precision])
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def plan_path(name: str, profile: str, switches: dict, sets: dict, fam, precision: str = "float64") -> str:
    return os.path.join(cache_dir(), "plans", f"p_{plan_key(name, profile, switches, sets, fam, precision)}.json")


def load(name: str, profile: str, switches: dict, sets: dict, fam, precision: str = "float64") -> dict | None:
    """The stored plan of the command on family ``fam``, or ``None`` (none yet, unreadable, or
    its module gone)."""
    try:
        with open(plan_path(name, profile, switches, sets, fam, precision), encoding="utf-8") as f:
            plan = json.load(f)
        if (plan.get("version") != PLAN_VERSION or not os.path.isfile(plan["module"])
                or plan.get("precision", "float64") != precision):
            return None
        plan["hv"] = np.array(plan["hv"], dtype=np.float64)
        plan["init"] = np.array(plan["init"], dtype=np.float64)
        float(plan["lr"]), str(plan["spec"]), str(plan["title"]), str(plan["module_name"])
        if (plan["hv"].ndim != 1 or plan["hv"].size < 1 or plan["init"].ndim != 1
                or plan["init"].size != len(plan["states"]) or not str(plan["module_name"]).startswith("optmath_generated_")):
            return None
        return plan
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(name: str, profile: str, switches: dict, sets: dict, alg, fam, precision: str = "float64") -> str | None:
    """Write the plan of the command whose resolved algorithm is ``alg``, run on family ``fam``
    (after a run, so its module is in the cache); returns the plan's path, ``None`` where the
    cache cannot be written."""
    from . import generate
    from .plan import plan as kernel_plan

    mod = generate.load_oracle(alg, fam, precision=precision)
    p = kernel_plan(alg)
    data = {"version": PLAN_VERSION, "spec": alg.spec.name, "title": alg.spec.title, "profile": profile,
            "module": os.path.abspath(mod.__file__), "module_name": mod.__name__,
            "hv": [float(v) for v in p.hv], "init": [float(v) for v in p.init], "lr": float(p.lr),
            "states": list(p.states), "precision": precision}
    path = plan_path(name, profile, switches, sets, fam, precision)
    try:
        write_text(path, json.dumps(data, indent=1))
    except OSError:
        return None
    return path


def run(plan: dict, prob, steps, x0=0.0, schedule="constant", seed: int = 0) -> dict:
    """Run a stored plan on the problem ``prob`` (what :func:`~optmath.kernels.runner.run` does
    for a problem, from the plan's numbers): ``xs``, ``losses``, ``regrets``; a non-finite value
    raises :class:`~optmath.errors.NonFiniteError` with the step, as a resolved run does."""
    out = execute.oracle(lambda: import_file(plan["module_name"], plan["module"]), plan["hv"], plan["init"],
                         plan["lr"], prob, steps, x0, schedule, seed, precision=plan.get("precision", "float64"))
    bad = out["bad_step"]
    if bad:
        raise NonFiniteError(f"{plan['spec']}/{plan['profile']}: non-finite value at step {bad}", bad)
    return out


__all__ = ["fingerprint", "plan_key", "plan_path", "load", "store", "run", "PLAN_VERSION"]
