"""Shared fixtures, the Hypothesis profiles, the CI rule (parity, browser and external tests must run, never
skip, when CI=true) and the time ledger printed at the end of every run.

Hypothesis profiles
-------------------
``deterministic`` (the default): every machine draws the same examples (``derandomize=True``)
and no example database carries examples from one run or machine to the next.
``explore`` (``pytest --hypothesis-profile=explore``): fresh random examples on every run, a
local database under ``.hypothesis/`` that replays what failed before, and every test's example
budget multiplied by ``OPTMATH_EXPLORE_FACTOR`` (default 10).  The default run also explores in a
bounded form: ``test_exploration.py`` draws from a seed fixed by the source tree (see
:func:`tree_seed`), so a change of the code explores new examples while two clean clones of one
commit still run the same ones.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.database import DirectoryBasedExampleDatabase

from optmath.optimizers import REGISTRY

CASES = [(name, profile) for name, spec in REGISTRY.items() for profile in spec.profiles]
#: every optimizer of the registry in its first profile
ONE_PER_SPEC = [next((n, p) for n, p in CASES if n == name) for name in REGISTRY]
#: the specs registered before issue 17's: their paper, PyTorch and optax profiles are all in the
#: default tier; a spec added since is there once (ONE_PER_SPEC), its other profiles in the slow tier
_BEFORE_17 = {"gd", "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "rmsprop_centered", "rmsprop_momentum",
              "rmsprop_nesterov", "adadelta", "adam", "adamw", "amsgrad", "yogi", "adabelief", "adamax", "nadam",
              "radam", "adamp", "lion"}
#: programs covering every construct the generator prints (running products, a scalar state,
#: Piecewise thresholds, max, sign, abs, a gradient point, reductions, lr-dependent step values,
#: an initial state from a hyperparameter)
REPRESENTATIVE = [("adam", "pytorch"), ("adam", "keras"), ("amsgrad", "optax"), ("yogi", "optax"),
                  ("nadam", "pytorch"), ("radam", "optax"), ("nesterov", "paper"), ("adagrad", "pytorch"),
                  ("adamax", "keras"), ("lion", "paper"), ("adamp", "paper"), ("rmsprop_nesterov", "paper")]
#: the profiles whose kernels the default tier compiles for its registry-wide kernel tests: every
#: paper, PyTorch and optax profile (the parity tests compile most of those anyway) and every
#: optimizer at least once; each further program costs one to four seconds of Numba compilation
#: on a clean clone.  ``pytest -m slow`` runs those tests on every profile of CASES (Keras and d2l too)
KERNEL_CASES = [c for c in CASES if c in ONE_PER_SPEC or (c[1] in ("paper", "pytorch", "optax") and c[0] in _BEFORE_17)]


def kernel_tiered(cases=CASES) -> list:
    """``cases`` (name, profile) as pytest params: KERNEL_CASES in the default run, the rest ``slow``."""
    return [pytest.param(*c, id=f"{c[0]}-{c[1]}", marks=() if c in KERNEL_CASES else pytest.mark.slow)
            for c in cases]
ROOT = Path(__file__).resolve().parents[1]

settings.register_profile("deterministic", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True,
                          database=DirectoryBasedExampleDatabase(str(ROOT / ".hypothesis" / "explore")))
settings.load_profile("deterministic")  # --hypothesis-profile=explore replaces it


def exploring() -> bool:
    """Whether the ``explore`` profile is loaded (the only one that does not derandomize)."""
    return not settings.default.derandomize


def budget(n: int) -> int:
    """A test's Hypothesis example budget: ``n``, times ``OPTMATH_EXPLORE_FACTOR`` when exploring."""
    return n * int(os.environ.get("OPTMATH_EXPLORE_FACTOR", "10")) if exploring() else n


def tree_seed() -> int:
    """A seed from the contents of every ``.py`` file under ``optmath/`` and ``tests/``."""
    h = hashlib.sha256()
    for path in sorted(p for d in ("optmath", "tests") for p in (ROOT / d).rglob("*.py")):
        h.update(path.relative_to(ROOT).as_posix().encode())
        h.update(path.read_bytes())
    return int.from_bytes(h.digest()[:4], "big")


@contextlib.contextmanager
def one_process_at_a_time(name: str):
    """An exclusive lock shared by every test process on this machine (pytest-xdist workers
    included), for work that must not run twice at once: installing a package, a shared cache."""
    with open(Path(tempfile.gettempdir()) / f"optmath-tests-{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def evidence(tmp_path_factory):
    """``optmath prove --json`` run once for the whole test run: the per-claim tests of
    test_proofs.py and the proof-suite report check of test_reports.py read their claims from its
    output (the suite runs once here, not once per claim, again through the CLI and again for the
    report).  pytest-xdist workers share it through a file beside their temporary directories."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if "PYTEST_XDIST_WORKER" in os.environ else base  # this run's, for all its workers
    out = shared / "prove-evidence.json"
    with one_process_at_a_time(f"prove-{shared.name}"):
        if not out.exists():
            r = subprocess.run([sys.executable, "-m", "optmath.cli", "prove", "--json", str(out)],
                               capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "200"})
            (shared / "prove-evidence.log").write_text(json.dumps([r.returncode, r.stderr[-2000:]]))
        code, stderr = json.loads((shared / "prove-evidence.log").read_text())
    return code, stderr, (json.loads(out.read_text()) if out.exists() else None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    marker = next((m for m in map(item.get_closest_marker, ("parity", "browser", "external")) if m), None)
    if os.environ.get("CI") == "true" and rep.skipped and marker and not hasattr(rep, "wasxfail"):  # an xfail is no skip
        rep.outcome = "failed"
        rep.longrepr = f"{marker.name} test {item.nodeid} was skipped, which CI forbids: {rep.longrepr}"


# --- the time ledger ------------------------------------------------------------------------------
_TIMES: dict = defaultdict(float)


def pytest_runtest_logreport(report):
    _TIMES[report.nodeid] += report.duration  # setup, call and teardown together


def pytest_report_header(config):
    return [f"hypothesis profile: {'explore' if exploring() else 'deterministic'}; "
            f"exploration seed of this source tree: {tree_seed()}"]


# --- the budget of compiled kernels ------------------------------------------------------------
#: Most generated-kernel specialisations (module x function x signature, counted in the test
#: processes with optmath.kernels.generate.specialisations) that the default tier may compile or
#: load: every program costs about a second of Numba compilation on a clean clone (a sweep kernel
#: several).  README ("Test suite") documents this number; a run of the default tier over it fails.
#: 155 until the problem family became a compile-time choice of the oracle and sweep modules
#: (one module per program and family) and low precision added its modules: 278 at that change.
SPECIALISATION_LIMIT = 320
_SPECS: set = set()


def _default_tier(config) -> bool:
    return config.getoption("markexpr") == "not slow" and not config.getoption("keyword")


def pytest_sessionfinish(session, exitstatus):
    from optmath.kernels.generate import specialisations

    own = {"|".join(s) for s in specialisations()}
    if hasattr(session.config, "workeroutput"):  # a pytest-xdist worker: hand them to the controller
        session.config.workeroutput["specialisations"] = sorted(own)
        return
    _SPECS.update(own)
    if _default_tier(session.config) and len(_SPECS) > SPECIALISATION_LIMIT and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    _SPECS.update(getattr(node, "workeroutput", {}).get("specialisations", ()))


def pytest_terminal_summary(terminalreporter):
    if _SPECS:
        line = (f"{len(_SPECS)} generated-kernel specialisations compiled or loaded "
                f"({len({s.split('|')[0] for s in _SPECS})} programs); the default tier's limit is "
                f"{SPECIALISATION_LIMIT}")
        if _default_tier(terminalreporter.config) and len(_SPECS) > SPECIALISATION_LIMIT:
            terminalreporter.write_sep("=", "over the kernel budget: " + line, red=True)
        else:
            terminalreporter.write_line(line)
    if not _TIMES:
        return
    tr = terminalreporter
    per_file: dict = defaultdict(float)
    for nodeid, secs in _TIMES.items():
        per_file[nodeid.split("::", 1)[0]] += secs
    tr.write_sep("=", "time ledger")
    tr.write_line("ten slowest tests (setup + call + teardown):")
    for nodeid, secs in sorted(_TIMES.items(), key=lambda kv: -kv[1])[:10]:
        tr.write_line(f"  {secs:8.1f} s  {nodeid}")
    tr.write_line("time per file:")
    for f, secs in sorted(per_file.items(), key=lambda kv: -kv[1]):
        tr.write_line(f"  {secs:8.1f} s  {f}")
    tr.write_line(f"  {sum(per_file.values()):8.1f} s  in all (summed over workers)")
