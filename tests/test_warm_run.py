"""A warm ``optmath run`` (issue 16, fast start): the second run of a command reads the plan the
first one stored, imports no SymPy, gives the same bits, and never trusts a plan it cannot read
or one written for other source or other optimizer arguments."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from optmath import get_spec
from optmath.kernels import quick
from optmath.kernels.runner import run
from optmath.problems import get_family, parse_problem

COMMAND = ["run", "adam", "--problem", "reddi:C=3", "--steps", "1000"]
PROBE = ("import sys; from optmath.cli import main; sys.argv = ['optmath'] + {args!r}; "
         "import atexit; atexit.register(lambda: print('SYMPY', 'sympy' in sys.modules)); main()")


def _cli(args, env):
    """The console script's code path in a fresh process; prints whether SymPy was imported."""
    r = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True,
                       env={**os.environ, **env}, timeout=300)
    return r


@pytest.fixture
def caches(tmp_path):
    return {"OPTMATH_KERNEL_CACHE": str(tmp_path / "kernels"), "NUMBA_CACHE_DIR": str(tmp_path / "numba")}


def _lines(out):
    return [ln for ln in out.splitlines() if not ln.startswith(("  kernel time", "SYMPY"))]


def test_a_warm_run_imports_no_sympy_and_prints_what_the_cold_run_printed(caches):
    cold = _cli(COMMAND, caches)
    assert cold.returncode == 0, cold.stderr
    assert "SYMPY True" in cold.stdout  # the cold run resolves the spec
    plans = os.listdir(os.path.join(caches["OPTMATH_KERNEL_CACHE"], "plans"))
    assert len(plans) == 1
    warm = _cli(COMMAND, caches)
    assert warm.returncode == 0, warm.stderr
    # the console script ends a warm run without the interpreter's teardown: no atexit line,
    # and the output flushed before it ends
    assert "SYMPY" not in warm.stdout
    assert _lines(warm.stdout) == _lines(cold.stdout) and "final x" in warm.stdout
    probe = subprocess.run([sys.executable, "-c", "import sys; from optmath.cli import cli; "
                            f"cli({COMMAND!r}, standalone_mode=False); print('SYMPY', 'sympy' in sys.modules)"],
                           capture_output=True, text=True, env={**os.environ, **caches}, timeout=300)
    assert probe.returncode == 0 and "SYMPY False" in probe.stdout, probe.stderr
    other = _cli(COMMAND + ["--set", "b2=0.99"], caches)  # other optimizer arguments: another plan
    assert other.returncode == 0 and "SYMPY True" in other.stdout
    assert len(os.listdir(os.path.join(caches["OPTMATH_KERNEL_CACHE"], "plans"))) == 2


def test_a_stored_plan_gives_the_bits_of_a_resolved_run(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTMATH_KERNEL_CACHE", str(tmp_path))
    for name, profile, sw, sets, problem in [("adam", "pytorch", {}, {"lr": 0.01}, "reddi:C=3"),
                                             ("yogi", "optax", {"weight_decay": "l2"}, {"wd": 0.1}, "quadratic"),
                                             ("nadam", "pytorch", {}, {}, "stochastic:C=3")]:
        alg = get_spec(name).resolve(profile, sw, **sets)
        tr = run(alg, problem=parse_problem(problem), steps=300, x0=0.5, seed=3)
        fam = parse_problem(problem).family
        assert quick.load(name, profile, sw, sets, fam) is None
        assert quick.store(name, profile, sw, sets, alg, fam)
        plan = quick.load(name, profile, sw, sets, fam)
        out = quick.run(plan, parse_problem(problem), 300, x0=0.5, seed=3)
        assert np.array_equal(out["xs"], tr.xs) and np.array_equal(out["regrets"], tr.regrets), name


def test_a_plan_is_keyed_by_the_source_the_optimizer_arguments_and_the_family():
    q = get_family("quadratic")
    base = quick.plan_key("adam", "paper", {}, {}, q)
    assert quick.plan_key("adam", "paper", {}, {}, q, source="another tree") != base
    assert quick.plan_key("adam", "pytorch", {}, {}, q) != base
    assert quick.plan_key("adam", "paper", {"first_moment": "lerp"}, {}, q) != base
    assert quick.plan_key("adam", "paper", {}, {"lr": 0.1}, q) != base
    assert quick.plan_key("adam", "paper", {}, {"lr": 0.1}, q) != quick.plan_key("adam", "paper", {}, {"lr": 0.1 + 1e-17}, q)
    assert quick.plan_key("adam", "paper", {}, {}, get_family("reddi")) != base
    assert len(quick.fingerprint()) == 64


@pytest.mark.parametrize("damage", ["garbage", "wrong version", "module gone", "missing field", "states mismatch",
                                    "foreign module"])
def test_an_unreadable_plan_is_a_miss_never_an_error(tmp_path, monkeypatch, damage):
    monkeypatch.setenv("OPTMATH_KERNEL_CACHE", str(tmp_path))
    alg = get_spec("adam").resolve("paper")
    run(alg, problem=parse_problem("quadratic"), steps=5)
    path = quick.store("adam", "paper", {}, {}, alg, get_family("quadratic"))
    data = json.loads(open(path).read())
    if damage == "garbage":
        open(path, "w").write("{not json")
    elif damage == "wrong version":
        json.dump({**data, "version": "0"}, open(path, "w"))
    elif damage == "module gone":
        json.dump({**data, "module": str(tmp_path / "nowhere.py")}, open(path, "w"))
    elif damage == "missing field":
        json.dump({k: v for k, v in data.items() if k != "hv"}, open(path, "w"))
    elif damage == "states mismatch":
        json.dump({**data, "init": data["init"] + [0.0]}, open(path, "w"))
    else:
        json.dump({**data, "module_name": "os"}, open(path, "w"))
    assert quick.load("adam", "paper", {}, {}, get_family("quadratic")) is None


def test_bad_input_on_a_warm_run_is_the_same_one_line_error(caches):
    assert _cli(COMMAND, caches).returncode == 0
    for bad, message in [(["--steps", "0"], "steps = 0 must be a positive integer"),
                         (["--x0", "nan"], "x0 contains a non-finite value nan"),
                         (["--schedule", "cosine"], "unknown schedule 'cosine'")]:
        args = [a for a in COMMAND]
        if bad[0] == "--steps":
            args[args.index("--steps") + 1] = bad[1]
        else:
            args += bad
        r = _cli(args, caches)
        assert r.returncode == 2, (bad, r.stdout, r.stderr)
        err = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert len(err) == 1 and message in err[0], (bad, r.stderr)
