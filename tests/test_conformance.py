"""optmath check / assert_conforms: correct code conforms with the right profile in every style,
every planted bug is caught and named, misbehaving targets give a verdict, bad input exits 2."""
from __future__ import annotations

import json
import math
import subprocess
import sys
import time

import numpy as np
import pytest

from conformance_cases import (CORRECT, FRAMEWORK_OWN, FILES, MUTANTS, TARGETS, correct_cases, default_correct_ids,
                               default_mutant_ids, mutant_cases, mutate, tiered)
from optmath import get_spec
from optmath.errors import OptmathError
from optmath.verify.bugs import CATALOGUE, SCALING_CLASSES, describe_effect, factor_holds, mutants
from optmath.verify.conformance import LARGE_EFFECT, check

pytest.importorskip("torch")
pytest.importorskip("optax")
pytestmark = pytest.mark.parity  # needs torch and optax: never skipped in CI


def _run(style, optimizer, file, names, **kw):
    if style.startswith("d2l"):
        return check(str(file), optimizer, step=names[0], init=names[1], **kw)
    return check(f"{file}:{names[0]}", optimizer, **kw)


@pytest.mark.parametrize("cid,style,optimizer,names,profile", tiered(correct_cases(), default_correct_ids()))
def test_correct_implementation_conforms_with_its_profile(cid, style, optimizer, names, profile):
    # the default tier's cases look for a counterexample in 10 streams, the slow tier's in 20
    r = _run(style, optimizer, TARGETS / FILES[style], names, examples=10 if cid in default_correct_ids() else 20)
    assert r.conforms and r.exit_code == 0, str(r)
    assert r.style == style
    assert any(f"profile {profile}" in m or f"/ {profile}" in m or f"{profile} /" in m
               for m in r.matched if m.startswith("profile")) or \
        (optimizer == "adamw" and "weight_decay=decoupled" in r.matched[0]), r.matched
    assert r.probes >= 7 and r.examples >= 1


@pytest.mark.parametrize("style,name,optimizer,profile", FRAMEWORK_OWN)
def test_the_frameworks_own_optimizers_conform(style, name, optimizer, profile):
    r = _run(style, optimizer, TARGETS / FILES[style], (name,), examples=10)
    assert r.conforms, str(r)
    assert profile in r.matched[0] or any(profile in m for m in r.matched)


@pytest.mark.parametrize("cid,style,optimizer,bug,profile,reps", tiered(mutant_cases(), default_mutant_ids()))
def test_planted_bug_is_caught_and_named(tmp_path, cid, style, optimizer, bug, profile, reps):
    file = tmp_path / f"{cid.replace('-', '_').replace(':', '_')}.py"
    file.write_text(mutate(style, optimizer, reps))
    r = _run(style, optimizer, file, CORRECT[optimizer][style][0], profile=profile, examples=0)
    assert not r.conforms and r.exit_code == 1, str(r)
    if bug.startswith("other:"):
        assert f"implements {bug.split(':')[1]} " in r.other_algorithm, str(r)
    else:
        assert r.diagnosis is not None and r.diagnosis.key == bug, str(r)
        assert CATALOGUE[bug].title in str(r)
    assert r.difference is not None and r.stream is not None
    assert r.stream.T <= 60 and "first difference: step" in str(r)
    # the minimal stream keeps a clear part of the difference the failing stream showed
    assert r.effect >= min(LARGE_EFFECT, r.failing_effect / 2), (r.effect, r.failing_effect)
    if bug == "t_never_incremented":
        assert "sqrt(1 - b2)" in r.diagnosis.effect and "0.3162" in r.diagnosis.effect


def test_the_default_sample_covers_every_optimizer_style_and_bug_class():
    correct = [c for c in correct_cases() if c[0] in default_correct_ids()]
    assert {c[2] for c in correct} == set(CORRECT)
    assert {c[1] for c in correct} == {s for per in CORRECT.values() for s in per}
    planted = [c for c in mutant_cases() if c[0] in default_mutant_ids()]
    assert len(planted) == len(MUTANTS) and {c[3] for c in planted} == {c[3] for c in mutant_cases()}
    assert {c[1] for c in planted} == {c[1] for c in mutant_cases()}


def test_catalogue_covers_every_bug_class_of_the_references():
    covered = {c[3] for c in mutant_cases()}
    assert set(CATALOGUE) - {"sign_reversed"} <= covered
    assert len({c[0].split("-", 1)[1] for c in mutant_cases()}) >= 15


def test_the_minimal_stream_is_one_where_the_bugs_effect_is_large(tmp_path):
    """optax's eps_root moved outside the root.  On the failing probe the difference is the whole
    step; before the shrinking kept the effect, it was traded for one step with g = 1, where the
    difference is 5e-9 of the path length (measured with LARGE_EFFECT = 0).  Now the step shown
    still differs by about its own length."""
    case = next(c for c in mutant_cases() if c[0] == "torch-adam-eps_root_moved")
    file = tmp_path / "m.py"
    file.write_text(mutate("torch", "adam", case[5]))
    r = _run("torch", "adam", file, CORRECT["adam"]["torch"][0], profile=case[4], examples=0)
    assert r.diagnosis is not None and r.diagnosis.key == "eps_root_moved", str(r)
    assert r.effect > 0.5 and r.failing_effect > 0.5, (r.effect, r.failing_effect)
    assert f"the largest difference on it is {100 * r.effect:.3g}% of the expected path length" in str(r)


def test_hypothesis_finds_what_the_probes_miss():
    r = check(f"{TARGETS / 'misbehaving.py'}:SharedStateAdam", "adam", examples=100, seed=0)
    assert not r.conforms and r.examples > 0, str(r)
    shapes = r.stream.shapes()
    assert len(shapes) >= 2 and len(set(shapes)) < len(shapes)  # two tensors of one shape share state


@pytest.mark.parametrize("name,opts,expect", [
    ("Hangs", {"timeout": 3}, "no answer within 3 s"),
    ("Raises", {}, "RuntimeError: CUDA error"),
    ("Exits", {}, "process died (exit code 3)"),
    ("Reshapes", {}, "changed shape from (3,) to (1, 3)"),
    ("not_a_transformation", {"style": "optax"}, "not a GradientTransformation"),
])
def test_misbehaving_target_gets_a_verdict_in_time(name, opts, expect):
    t0 = time.time()
    r = check(f"{TARGETS / 'misbehaving.py'}:{name}", "sgd", **opts)
    assert time.time() - t0 < 60
    assert not r.conforms and r.exit_code == 1
    assert expect in r.reason and "\n" not in r.reason


def test_import_error_is_exit_2(tmp_path):
    bad = tmp_path / "broken.py"
    bad.write_text("import torch\ndef f(:\n")
    r = check(f"{bad}:Adam", "adam")
    assert r.exit_code == 2 and "SyntaxError" in r.reason


@pytest.mark.parametrize("kwargs,message", [
    ({"target": "tests/targets/nope.py:Adam"}, "does not exist"),
    ({"target": "tests/targets/torch_impl.py"}, "must be 'path/to/file.py:Name'"),
    ({"target": "README.md:Adam"}, "not a .py file"),
    ({"target": "tests/targets/torch_impl.py:Nope"}, "has no attribute 'Nope'"),
    ({"target": "tests/targets/torch_impl.py:math"}, "not a class or function"),
    ({"target": "tests/targets/torch_impl.py:Adam", "optimizer": "adamx"}, "unknown optimizer 'adamx'"),
    ({"target": "tests/targets/torch_impl.py:Adam", "profile": "jax"}, "unknown profile of adam 'jax'"),
    ({"target": "tests/targets/torch_impl.py:Adam", "style": "mxnet"}, "unknown style 'mxnet'"),
    ({"target": "tests/targets/d2l_impl.py", "step": "adam"}, "needs both --step NAME and --init NAME"),
    ({"target": "tests/targets/torch_impl.py:Adam", "examples": -1}, "examples = -1"),
    ({"target": "tests/targets/torch_impl.py:Adam", "timeout": float("nan")}, "timeout = nan"),
])
def test_usage_errors_are_one_line(kwargs, message):
    kwargs = {"optimizer": "adam", **kwargs}
    with pytest.raises(OptmathError) as e:
        check(**kwargs)
    assert message in str(e.value) and "\n" not in str(e.value)
    assert isinstance(e.value, ValueError)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "optmath.cli", "check", *args], capture_output=True, text=True,
                          timeout=300)


def test_cli_conforms_and_writes_json(tmp_path):
    out = tmp_path / "r.json"
    p = _cli("tests/targets/torch_impl.py:Adam", "--as", "adam", "--examples", "10", "--json", str(out))
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("CONFORMS: tests/targets/torch_impl.py:Adam (torch) as adam")
    d = json.loads(out.read_text())
    assert d["verdict"] == "CONFORMS" and d["kwargs"]["betas"] == [0.9, 0.999]


def test_cli_reports_a_bug_with_exit_1(tmp_path):
    case = next(c for c in mutant_cases() if c[0] == "torch-adam-t_never_incremented")
    file = tmp_path / "mine.py"
    file.write_text(mutate("torch", "adam", case[5]))
    p = _cli(f"{file}:Adam", "--as", "adam", "--examples", "0")
    assert p.returncode == 1, p.stderr
    assert "DOES NOT CONFORM" in p.stdout and "diagnosis: step counter never incremented" in p.stdout


@pytest.mark.parametrize("args,message", [
    (["tests/targets/nope.py:Adam", "--as", "adam"], "does not exist"),
    (["tests/targets/torch_impl.py:Adam", "--as", "nope"], "unknown optimizer"),
    (["tests/targets/torch_impl.py:Adam", "--as", "adam", "--examples", "x"], "Invalid value"),
])
def test_cli_usage_error_exit_2(args, message):
    p = _cli(*args)
    assert p.returncode == 2 and message in p.stderr and p.stderr.count("\n") == 1 and not p.stdout


def test_assert_conforms_in_a_users_test_suite(tmp_path):
    import importlib.util

    from optmath.testing import assert_conforms

    spec = importlib.util.spec_from_file_location("torch_impl_for_test", TARGETS / "torch_impl.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["torch_impl_for_test"] = module  # as an ordinary import would
    spec.loader.exec_module(module)
    report = assert_conforms(module.RMSprop, "rmsprop", examples=5)
    assert report.conforms and "pytorch" in report.matched[0]
    case = next(c for c in mutant_cases() if c[0] == "torch-rmsprop-eps_precedence")
    file = tmp_path / "mine.py"
    file.write_text(mutate("torch", "rmsprop", case[5]))
    with pytest.raises(AssertionError, match="eps added outside the division"):
        assert_conforms(f"{file}:RMSprop", "rmsprop", examples=0)


# --- the catalogue's closed forms, checked two ways -------------------------------------------
@pytest.mark.parametrize("name,profile", [("adam", "pytorch"), ("adam", "keras"), ("yogi", "optax"),
                                          ("amsgrad", "pytorch"), ("adamax", "pytorch")])
def test_scaling_factors_hold_numerically(name, profile):
    alg = get_spec(name).resolve(profile)
    checked = 0
    for m in mutants(alg):
        if m.key not in SCALING_CLASSES:
            continue
        eff = describe_effect(m, alg)
        if eff.factor is not None:
            assert factor_holds(eff.factor, m, alg)  # a second, independent check
            checked += 1
    assert checked >= 2


def test_t_never_incremented_factor_is_the_textbook_one():
    alg = get_spec("adam").resolve("pytorch")
    m = next(m for m in mutants(alg) if m.key == "t_never_incremented")
    eff = describe_effect(m, alg)
    assert math.isclose(eff.values["t->inf"], math.sqrt(1 - 0.999) / (1 - 0.9), rel_tol=1e-12)
    assert eff.values["t=1"] == pytest.approx(1.0)
    # t = 10 by hand: (1 - 0.9^10)/(1 - 0.9) * sqrt((1 - 0.999)/(1 - 0.999^10))
    assert eff.values["t=10"] == pytest.approx((1 - 0.9**10) / 0.1 * math.sqrt(0.001 / (1 - 0.999**10)), rel=1e-12)


def test_missing_one_minus_b_limit_ratio():
    alg = get_spec("adam").resolve("optax")  # m <- b1 m + (1 - b1) g; in the lerp form it becomes m <- g
    texts = {m.variant: describe_effect(m, alg).text for m in mutants(alg) if m.key == "missing_one_minus_b"}
    assert "= 10 times" in texts["(1 - b1) missing in the update of m"]
    assert "= 0.03162 times" in texts["(1 - b2) missing in the update of v"]


def test_probe_streams_hold_the_advertised_features():
    from optmath.verify.conformance import probes

    ps = probes("torch", 0.1)
    flat = np.concatenate([np.abs(np.concatenate([G.reshape(G.shape[0], -1) for G in s.grads], axis=1)).ravel()
                           for s in ps])
    assert flat[flat > 0].min() <= 1e-12 and flat.max() >= 1e6 and (flat == 0).any()
    assert any(s.lrs is not None for s in ps) and max(s.T for s in ps) >= 1000


def test_torch_nadam_conforms_under_the_default_dtype_despite_the_chaotic_l2_probe():
    """torch.optim.NAdam itself, by its import path (torch's default dtype left at float32): torch
    keeps NAdam's step and mu_product in the default dtype, and the worker sets it to the
    parameters' float64 (issue 18).  At the L2 equilibrium of the weight-decay probe (lr 0.1,
    wd 0.05) rounding alone moves the trajectory by O(1), so that probe is reported as no
    evidence, with the measured amplification, instead of rejecting torch (issue 15)."""
    r = check("torch.optim:NAdam", "nadam", examples=10)
    assert r.conforms and r.target == "torch.optim:NAdam (torch)", str(r)
    assert r.kwargs.get("weight_decay", 0) > 0 and r.precision == "float64"
    assert "profile pytorch" in r.matched[0]
    (ev,) = [e for e in r.conditioning if e["stream"] == "constant, 1000 steps"]
    assert ev["verdict"] == "inconclusive" and ev["amplification"] > 1e6
    assert "not evidence" in str(r) and "no float64 evaluation can be judged" in str(r)
    assert r.as_dict()["conditioning"][0]["stream"] == ev["stream"]


def test_a_1e8_error_in_torch_nadam_is_still_caught():
    r = check(f"{TARGETS / 'torch_float64.py'}:SlightlyOffNAdam", "nadam", examples=10)
    assert not r.conforms and r.exit_code == 1, str(r)
    assert r.difference is not None and r.difference.step < 1000


def test_targets_share_a_fork_server_but_not_their_state(tmp_path):
    """Every target runs in a fresh process forked from one server per framework: the second
    target does not see the first one's global change (torch's default dtype set to float64 at
    import), and the framework is imported once."""
    from optmath.verify.targets import TargetProcess, _SERVERS, make_target

    probe = tmp_path / "probe.py"
    probe.write_text("import torch\n\nclass Probe(torch.optim.SGD):\n"
                     "    def __init__(self, params, lr=64.0 if torch.get_default_dtype() == torch.float64 else 32.0):\n"
                     "        super().__init__(params, lr=lr)\n")
    pids, servers = [], []
    for file, name in ((TARGETS / "torch_float64.py", "TorchNAdam"), (probe, "Probe"), (probe, "Probe")):
        with TargetProcess(make_target(f"{file}:{name}"), 30.0) as proc:
            assert proc.start()["status"] == "ready"
            pids.append(proc._proc.pid)
            servers.append(proc._proc.server)
            if name == "Probe":
                assert proc.describe[0]["defaults"]["lr"] == 32.0  # float32: the default dtype did not leak
    assert len(set(pids)) == 3 and len(set(map(id, servers))) == 1 and servers[0] in _SERVERS.values()


# --- issue 18: working precision -------------------------------------------------------------------

def test_working_precision_is_read_from_the_iterates():
    from optmath.verify.conformance import working_precision

    rng = np.random.default_rng(0)
    x = np.cumsum(rng.normal(size=(50, 3)) * 0.1, axis=0)
    assert working_precision([x])[0] == "float64"
    for p in ("float32", "float16"):
        assert working_precision([x.astype(p).astype(np.float64)])[0] == p
    ml_dtypes = pytest.importorskip("ml_dtypes")
    assert working_precision([x.astype(ml_dtypes.bfloat16).astype(np.float64)])[0] == "bfloat16"
    precision, why = working_precision([np.zeros((5, 2))])  # nothing to infer from: the strict one
    assert precision == "float64" and "too few" in why


def test_a_float32_radam_conforms_and_the_report_says_float32():
    r = check(f"{TARGETS / 'torch_precision.py'}:RAdamFloat32", "radam", examples=10)
    assert r.conforms, str(r)
    assert r.precision == "float32" and "precision: float32 (every iterate" in str(r)
    assert r.as_dict()["precision"] == "float32"


@pytest.mark.slow  # 12-21 s: the whole diagnosis runs, compound search included
def test_a_float64_radam_with_a_float32_sized_error_does_not_conform():
    r = check(f"{TARGETS / 'torch_precision.py'}:RAdamRoundedBeta2", "radam", examples=0, shrink_budget=20)
    assert not r.conforms and r.exit_code == 1, str(r)
    assert r.precision == "float64" and r.difference is not None


# --- issue 18: compound diagnoses and the new bug classes -----------------------------------------

def _planted(tmp_path, style, optimizer, *bugs):
    reps = [r for bug in bugs for (opt, key, _p, per_style) in MUTANTS if opt == optimizer and key == bug
            for r in per_style[style]]
    file = tmp_path / f"{style}_{optimizer}_{'_'.join(bugs)}.py"
    file.write_text(mutate(style, optimizer, reps))
    return _run(style, optimizer, file, CORRECT[optimizer][style][0], examples=0)


def test_two_bugs_at_once_are_both_named(tmp_path):
    # the d2l TensorFlow tab's Adam: eps added to the parameter and the counter never incremented
    r = _planted(tmp_path, "d2l", "adam", "eps_precedence", "t_never_incremented")
    assert not r.conforms and r.exit_code == 1, str(r)
    assert r.diagnosis is not None and set(r.diagnosis.key.split("+")) == {"eps_precedence", "t_never_incremented"}, str(r)
    assert "2 bugs together" in str(r) and "fresh ones included" in r.diagnosis.effect
    assert {p["bug_class"] for p in r.as_dict()["diagnosis"]["numbers"]["parts"]} == {"eps_precedence",
                                                                                      "t_never_incremented"}


# --- issue 18: calling styles without an adapter -----------------------------------------------------

def test_a_course_style_function_is_checked_without_an_adapter():
    r = check(f"{TARGETS / 'course_impl.py'}:adam", "adam", examples=5)
    assert r.conforms and r.style == "course", str(r)
    assert r.kwargs["learning_rate"] == 0.1 and "epsilon" in r.kwargs
    bad = check(f"{TARGETS / 'course_impl.py'}:adam_t_never_incremented", "adam", examples=0)
    assert not bad.conforms and bad.diagnosis is not None and bad.diagnosis.key == "t_never_incremented", str(bad)


def test_a_numpy_class_with_update_is_checked_without_an_adapter():
    r = check(f"{TARGETS / 'numpy_impl.py'}:Adam", "adam", examples=5)
    assert r.conforms and r.style == "numpy", str(r)
    assert r.kwargs["lr"] == 0.1 and r.kwargs["beta1"] == 0.9
    inplace = check(f"{TARGETS / 'numpy_impl.py'}:RMSprop", "rmsprop", examples=5)
    assert inplace.conforms and inplace.style == "numpy", str(inplace)


def test_a_target_that_fits_no_style_exits_2_with_one_line():
    from optmath.verify.targets import TargetError

    with pytest.raises(TargetError, match="a class with neither step.. .torch.optim. nor update.w, grad.") as e:
        check(f"{TARGETS / 'numpy_impl.py'}:NotAnOptimizer", "adam", examples=0)
    assert "\n" not in str(e.value) and "styles: torch" in str(e.value)
    r = _cli(str(TARGETS / "course_impl.py") + ":not_an_update_rule", "--as", "adam")
    assert r.returncode == 2, r.stdout + r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "a function of 1 positional parameter(s) (w)" in r.stderr and "styles: torch" in r.stderr


# --- installed classes by import path, Keras 3, progress, a demanded profile that fails ---------

def test_an_installed_class_is_checked_by_its_import_path():
    import torch

    r = check("torch.optim:Adamax", "adamax", examples=3)
    assert r.conforms and r.style == "torch" and r.target == "torch.optim:Adamax (torch)", str(r)
    assert "profile pytorch" in r.matched[0]
    dotted = check("torch.optim.Adagrad", "adagrad", examples=0)  # module.Name works as well
    assert dotted.conforms and dotted.target == "torch.optim:Adagrad (torch)", str(dotted)
    obj = check(torch.optim.RMSprop, "rmsprop", examples=0)  # the class itself: imported by name, not as a file
    assert obj.conforms and obj.target.startswith("torch.optim.rmsprop:RMSprop"), str(obj)


@pytest.mark.parametrize("target,message", [
    ("nopackage_xyz.optim:Adam", "no installed module 'nopackage_xyz'"),
    ("torch.nope:Adam", "torch has no submodule 'nope'"),
    ("torch.optim:Nope", "torch.optim has no attribute 'Nope'"),
    ("torch.optim:__init__", "is not a class or function"),
])
def test_a_bad_import_path_is_a_one_line_usage_error(target, message):
    p = _cli(target, "--as", "adam", "--examples", "0")
    assert p.returncode == 2 and message in p.stderr, p.stdout + p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and not p.stdout


def test_keras_optimizers_are_checked_in_float64_and_match_the_keras_profile():
    import importlib.util

    assert importlib.util.find_spec("keras") is not None, "keras (the test extra) is not installed"
    # keras.optimizers:Adam itself is a corpus row (tests/test_corpus.py): Adam's decay, decoupled
    # in Keras, is not probed there; AdamW's is
    w = check("keras.optimizers:AdamW", "adamw", examples=0)
    assert w.conforms and w.style == "keras" and w.precision == "float64", str(w)
    assert "weight_decay=decoupled" in w.matched[0] and w.kwargs["weight_decay"] > 0 and w.kwargs["epsilon"] == 1e-7


def test_a_failing_demanded_profile_names_the_profile_the_code_follows():
    r = check("torch.optim:Adam", "adam", profile="keras", examples=0)
    assert not r.conforms and r.exit_code == 1
    assert r.matching_profile.startswith("profile pytorch"), str(r)
    assert "the code follows profile pytorch" in str(r) and "not profile keras" in str(r)
    assert "no catalogued bug class" not in str(r)
    assert r.as_dict()["matching_profile"] == r.matching_profile


def test_progress_is_reported_and_the_cli_prints_it_on_stderr_unless_quiet():
    from optmath.cli import Progress

    seen = []
    r = check(f"{TARGETS / 'torch_impl.py'}:Adam", "adam", examples=2, progress=lambda *a: seen.append(a))
    assert r.conforms
    probes = [a for a in seen if a[0] == "probe streams"]
    assert [a[1] for a in probes] == list(range(1, r.probes + 1)) and {a[2] for a in probes} == {r.probes}
    assert [a for a in seen if a[0] == "generated streams"][-1][1:] == (2, 2)
    with pytest.raises(OptmathError, match="progress = 3"):
        check(f"{TARGETS / 'torch_impl.py'}:Adam", "adam", progress=3)
    clock = iter([0.0, 1.0, 3.5, 3.9, 5.0, 5.2])
    lines = []
    p = Progress("optmath check")
    p.clock, p.start = lambda: next(clock), 0.0
    import click

    orig = click.echo
    click.echo = lambda text, err=False: lines.append((text, err))
    try:
        for i in range(1, 6):  # at 0, 1, 3.5, 3.9 and 5 s: none in the first 3 s, then one a second
            p("generated streams", i, 5)
        p("diagnosing", 0, 0)  # at 5.2 s: a new phase is shown at once
    finally:
        click.echo = orig
    assert lines == [("optmath check: generated streams 3/5, 4 s", True),
                     ("optmath check: generated streams 5/5, 5 s", True), ("optmath check: diagnosing, 5 s", True)]
    quiet = _cli("tests/targets/torch_impl.py:Adam", "--as", "adam", "--examples", "0", "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr


def test_a_custom_entry_point_is_named_with_method():
    r = check(f"{TARGETS / 'numpy_impl.py'}:AdamApply", "adam", method="apply", examples=3)
    assert r.conforms and r.style == "numpy", str(r)
    with pytest.raises(OptmathError, match="method = 'no such'"):
        check(f"{TARGETS / 'numpy_impl.py'}:AdamApply", "adam", method="no such")
    with pytest.raises(OptmathError, match="AdamApply has no method 'update'"):
        check(f"{TARGETS / 'numpy_impl.py'}:AdamApply", "adam", method="update", examples=0)
    p = _cli("torch.optim:Adam", "--as", "adam", "--method", "apply")
    assert p.returncode == 2 and "NumPy-style class" in p.stderr and len(p.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("bug", ["eps_root_moved", "lazy_sparse", "wd_twice"])
def test_the_tracker_classes_are_built_for_every_spec_that_has_their_ingredients(bug):
    """eps in or out of a root, a lazy sparse update, decay applied twice: SymPy rewrites of any
    spec, so every optimizer with the ingredient gets them (the planted cases are in the matrix)."""
    from optmath.optimizers import REGISTRY

    built = {name for name, spec in REGISTRY.items() for prof in spec.profiles
             if any(m.key == bug for m in mutants(spec.resolve(prof)))}
    need = {"eps_root_moved": {"adam", "rmsprop", "adagrad", "adabelief", "radam"},
            "lazy_sparse": {"sgd", "adam", "lion", "adadelta"}, "wd_twice": {"adamw", "adam", "adamp"}}[bug]
    assert need <= built, need - built


def test_a_partial_explanation_is_reported_as_partial():
    r = check(f"{TARGETS / 'partial_adam.py'}:Adam", "adam", examples=0)
    assert not r.conforms and r.diagnosis is not None, str(r)
    assert r.diagnosis.key == "partial:t_never_incremented", str(r)
    assert "partial explanation" in str(r) and "no catalogued explanation" in str(r)
    n = r.diagnosis.numbers
    assert n["agreed_steps"] >= 2 * n["agreed_without"] and n["agreed_steps"] < n["steps"]
    assert r.as_dict()["diagnosis"]["bug_class"] == "partial:t_never_incremented"


@pytest.mark.slow  # 9 s on a clean clone; Keras on JAX is checked in the default tier
def test_keras_on_the_torch_backend_too():
    import os

    p = subprocess.run([sys.executable, "-m", "optmath.cli", "check", "keras.optimizers:Adam", "--as", "adam",
                        "--examples", "0", "-q"], capture_output=True, text=True, timeout=300,
                       env={**os.environ, "KERAS_BACKEND": "torch"})
    assert p.returncode == 0 and p.stdout.startswith("CONFORMS: keras.optimizers:Adam (keras)"), p.stdout + p.stderr
    assert "profile keras" in p.stdout and "precision: float64" in p.stdout
