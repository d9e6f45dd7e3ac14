"""Issue 23: every bad input to every command gets one line on stderr and exit 2 (never a
traceback, a hang, the machine's memory or silently another setup), output paths are checked
before any work, and sizes are checked against documented limits before anything is allocated.

The table runs the real entry point (``optmath.cli.main``) in this process, each input with a
time bound and a bound on this process's memory high-water mark; a few rows run as a
subprocess to check that nothing reaches the user as a traceback."""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from conftest import budget
from optmath import limits
from optmath.cli import main

ROOT = Path(__file__).resolve().parents[1]
UNWRITABLE = "/proc/optmath-cannot-write-here"  # even root cannot create files in /proc
SECONDS = 30.0  # each bad input is refused within this (none of them may start the work)
MEGABYTES = 400  # nor raise this process's memory high-water mark by more than this


def call(argv) -> tuple[int, str, str]:
    """Run ``optmath ARGV`` in this process: (exit code, stdout, stderr)."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(argv))
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("robust")
    (d / "a_file").write_text("")
    (d / "empty_proofs").mkdir()
    (d / "broken_proofs" / "topic").mkdir(parents=True)
    (d / "broken_proofs" / "topic" / "claim.py").write_text("def prove_it(:\n")
    (d / "not_proofs" / "pkg").mkdir(parents=True)  # Python files that are not proofs: never run
    (d / "not_proofs" / "pkg" / "tool.py").write_text("open(__file__ + '.ran', 'w')\n")
    (d / "good.py").write_text("import torch\n\nclass Adam(torch.optim.Adam):\n    pass\n")
    sheet = {"exercises": [{"id": "corrected_weight-0-1", "kind": "corrected_weight",
                            "params": {"b": "9/10", "t": 10**9}}], "seed": 0}
    (d / "sheet.json").write_text(json.dumps(sheet))
    (d / "answers.json").write_text(json.dumps({"corrected_weight-0-1": "1/10"}))
    for folder, inside in (("phase_out", "phase_adam_reddi.json"), ("demo_out", "demo.md"), ("ex_out", "key.md")):
        (d / folder / inside).mkdir(parents=True)  # a folder where the command would write a file
    for name, edit in RECORD_EDITS.items():
        rec = json.loads(json.dumps(RECORD))
        edit(rec)
        (d / f"rec_{name}.json").write_text(json.dumps(rec))
    (d / "rec_deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (d / "rec_twice.json").write_text(json.dumps(RECORD)[:-1] + ', "seed": 1}')
    (d / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    for name, items in SHEET_EDITS.items():
        (d / f"sheet_{name}.json").write_text(json.dumps({"exercises": items, "seed": 0}))
    (d / "answers_twice.json").write_text('{"a-0-1": "1", "a-0-1": "2"}')
    (d / "answers_twice.txt").write_text("a-0-1: 1\na-0-1: 2\n")
    return d


#: a counterexample record as ``optmath search`` writes it (abridged: the recomputed fields left out);
#: each edit below must be refused before anything runs
RECORD = {"family": "periodic", "params": {"C": 2.755, "n": 3.0, "D": 1.0}, "lr": 0.5, "schedule": "inv_sqrt",
          "steps": 3000, "x0": 1.0, "seed": 0, "fails": "adam", "converges": ["amsgrad", "yogi"],
          "hyper": {"b1": 0.0, "b2": 0.11641409658295522, "eps": 1e-08}, "b2_rule": "reddi", "profile": "paper",
          "switches": {"bias_correction": "none"},
          "verdicts": {"adam": {"class": "fails"}, "amsgrad": {"class": "converges"}, "yogi": {"class": "converges"}}}
RECORD_EDITS = {
    "switch": lambda r: r["switches"].update(nosuch="1"),
    "extra": lambda r: r.update(extra=1),
    "seed": lambda r: r.update(seed=1.5),
    "boolsteps": lambda r: r.update(steps=True),
    "noconv": lambda r: r.update(converges=[]),
    "strconv": lambda r: r.update(converges="yogi"),
    "noverdicts": lambda r: r.pop("verdicts"),
    "period": lambda r: r["params"].update(n=1e9, C=2e9),
    "class": lambda r: r["verdicts"]["adam"].update({"class": "wins"}),
    "verdicts": lambda r: r["verdicts"].pop("yogi"),
    "hyper": lambda r: r["hyper"].update(b1=1.0),
}
_EX = {"id": "x-0-1", "kind": "noise_floor", "params": {"lr": "1/10", "h": "2", "s2": "1"}}
SHEET_EDITS = {
    "ok": [_EX],  # the control: a valid sheet
    "twice": [_EX, _EX],
    "many": [dict(_EX, id=f"x-0-{k}") for k in range(101)],
    "h0": [{"id": "x-0-1", "kind": "heavy_ball_lr", "params": {"h": "0", "mu": "1/2"}}],
    "lrh2": [dict(_EX, params={"lr": "1", "h": "2", "s2": "1"})],
    "G0": [{"id": "x-0-1", "kind": "rmsprop_limit", "params": {"lr": "0.01", "eps": "0", "G": "0"}}],
    "both": [{"id": "x-0-1", "kind": "which_correct", "params": {"A": "correct", "B": "correct"}}],
    "param": [dict(_EX, params={"lr": "1/10", "h": "2", "s2": "1", "T": 5})],
}


def _rows():
    bad_out = [
        (["run", "adam", "--problem", "reddi", "--plot", f"{UNWRITABLE}/x.png"], "not writable"),
        (["run", "adam", "--problem", "reddi", "--plot", "{d}/a_file/x.png"], "is not a folder"),
        (["demo", "--out", f"{UNWRITABLE}/demo"], "not writable"),
        (["prove", "--json", f"{UNWRITABLE}/p.json"], "not writable"),
        (["search", "--out", f"{UNWRITABLE}/c.json"], "not writable"),
        (["phase", "--out", f"{UNWRITABLE}/phase"], "not writable"),
        (["phase", "--out", "{d}/a_file"], "is a file"),
        (["sweep", "adam", "--axis", "lr=0.1,0.2", "--out", f"{UNWRITABLE}/s.npz"], "not writable"),
        (["check", "{d}/good.py:Adam", "--as", "adam", "--json", f"{UNWRITABLE}/r.json"], "not writable"),
        (["exercises", "--out", f"{UNWRITABLE}/ex"], "not writable"),
        (["report", "ema", "--out", f"{UNWRITABLE}/rep"], "not writable"),
        # found by review: names too long for the file system, and a path NumPy or matplotlib would change
        (["run", "adam", "--problem", "reddi", "--plot", "a" * 300 + ".png"], "File name too long"),
        (["demo", "--out", "a" * 300], "File name too long"),
        (["prove", "--json", "a" * 300 + ".json"], "File name too long"),
        (["run", "adam", "--problem", "reddi", "--steps", "100", "--plot", "out.nosuch"], "must name a .png file"),
        (["sweep", "adam", "--axis", "lr=0.1,0.2", "--out", "{d}/d"], "must name a .npz file"),
    ]
    seeds = [([*cmd, "--seed", "-1"], "-1 is not in the range") for cmd in (
        ["run", "adam", "--problem", "reddi"], ["demo"], ["search"], ["phase"], ["sweep", "adam", "--axis", "lr=0.1"],
        ["claim", "x == x"], ["exercises"], ["check", "{d}/good.py:Adam", "--as", "adam"], ["report", "--compute"])]
    sizes = [
        (["run", "adam", "--problem", "reddi", "--steps", str(10**12)], "exceeds the limit 1,000,000,000"),
        (["run", "adam", "--problem", "reddi", "--steps", "2000000000"], "exceeds the limit"),
        (["run", "adam", "--problem", "reddi", "--steps", str(10**9)], "of memory available"),
        (["search", "--steps", str(10**12)], "exceeds the limit"),
        (["demo", "--steps", str(10**12)], "exceeds the limit"),
        (["phase", "--horizon", str(10**12)], "exceeds the limit"),
        (["sweep", "adam", "--axis", "lr=log:0.001:1:1000000", "--axis", "x0=-1:1:1000000", "--axis",
          "b1=0:0.9:1000000"], "grid configurations (1000000 x 1000000 x 1000000)"),
        (["sweep", "adam", "--axis", "lr=log:0.001:1:1000", "--axis", "x0=-1:1:1000", "--axis", "b1=0:0.9:1000"],
         "of memory available"),
        (["check", "{d}/good.py:Adam", "--as", "adam", "--examples", "1000000000"], "must be an integer <= 100,000"),
        (["grade", "{d}/sheet.json", "{d}/answers.json"], "t = 1000000000 exceeds the limit 10000"),
        (["search", "--eps", "nan"], "eps = nan must be a finite number"),
        (["search", "--b1", "1.5"], "b1 = 1.5 must be in [0, 1)"),
        (["check", "{d}/good.py:Adam", "--as", "adam", "--memory", "-1"], "--memory -1.0 must be a positive"),
    ]
    silent = [
        (["phase", "-p", "torchy"], "unknown profile of adam 'torchy'"),
        (["phase", "--switch", "nosuch=1"], "unknown switch of adam 'nosuch'"),
        (["search", "-p", "torchy"], "unknown profile of adam 'torchy'"),
        (["search", "--switch", "nosuch=1"], "unknown switch of adam, yogi 'nosuch'"),
        (["search", "-p", "yogi=torchy"], "unknown profile of yogi 'torchy'"),
        (["search", "--eps", "yogi=abc"], "--eps yogi = 'abc' is not a number"),
        (["search", "--set", "yogi"], "bad --set 'yogi'; expected METHOD:NAME=VALUE"),
        (["phase", "-o", "sgd"], "sgd has no hyperparameter b1"),
        (["equiv", "adam", "adam", "--keep", "nosuch"], "unknown hyperparameter to keep 'nosuch'"),
        (["run", "adam", "--problem", "reddi:C=3,C=4"], "problem parameter C given twice (3 and 4)"),
        (["run", "adam", "--problem", "reddi", "--set", "lr=0.1", "--set", "lr=0.2"],
         "--set lr given twice ('0.1' and '0.2')"),
        (["show", "adam", "--switch", "lerp=1", "--switch", "lerp=0"], "--switch lerp given twice"),
        (["phase", "--param", "C=3", "--param", "C=4"], "--param C given twice"),
        (["prove", "--root", "{d}/empty_proofs"], "no proofs found under"),
        (["prove", "--root", "{d}/broken_proofs"], "claim.py' does not parse: invalid syntax (line 1)"),
        (["prove", "--root", "{d}/not_proofs"], "no proofs found under"),
        (["check", "{d}/good.py:__class__", "--as", "adam"], "is a special (dunder) name"),
        (["check", "{d}/good.py:Adam.__init__", "--as", "adam"], "is a special (dunder) name"),
    ]
    review = [  # found by an independent review of the above (issue 23); each row failed before its fix
        # 1. limits on the total work and memory with the per-step arrays, before any allocation
        (["demo", "--steps", str(10**9), "--out", "{d}/demo"], "the demo's runs of 1,000,000,000 steps would need"),
        (["sweep", "adam", "--axis", "lr=0.1:1:10", "--steps", str(10**9)],
         "(summaries, chunks and per-step arrays) would need"),
        (["sweep", "adam", "--axis", "lr=0.1:1:100000", "--steps", str(10**8)],
         "the sweep: 100,000 configurations x 100,000,000 steps = 10,000,000,000,000 configuration-steps exceeds "
         "the limit 1,000,000,000,000 (optmath.limits.MAX_WORK)"),
        (["phase", "--horizon", str(10**8), "--b1", "0:0.9:400", "--b2", "0.5:0.99:400"],
         "the phase diagram: 160,000 cells x 100,000,000 steps"),
        (["search", "--budget", str(10**12)], "budget = 1000000000000 exceeds the limit 100,000"),
        (["replay", "{d}/rec_period.json"], "params.n = 1000000000.0 must be an integer period in [2, 100,000]"),
        (["grade", "{d}/sheet_many.json", "{d}/answers.json"], "has 101 exercises (limit 100"),
        # 9. twelve axes of 10**7 values: refused from the axis texts, before any axis is built
        (["sweep", "yogi", "-p", "optax", *[f"--axis={k}=0.1:0.2:10000000" for k in
                                             ("lr", "b1", "b2", "eps", "eps_root", "wd", "acc0", "x0", "C", "D",
                                              "phase", "n")]], "grid configurations (10000000 x 10000000 x"),
        # 2. every file an output folder will hold is checked before the work
        (["phase", "--out", "{d}/phase_out", "--b1", "0:0.9:2", "--b2", "0.5:0.9:2", "--horizon", "200"],
         "phase_out/phase_adam_reddi.json' is a folder, not a file"),
        (["demo", "--out", "{d}/demo_out", "--steps", "100"], "demo_out/demo.md' is a folder, not a file"),
        (["exercises", "--out", "{d}/ex_out"], "ex_out/key.md' is a folder, not a file"),
        # 3. a hyperparameter or switch given must belong to every method
        (["phase", "-o", "lion", "--eps", "1e-8"], "lion has no hyperparameter eps (its hyperparameters: b1, b2, lr, wd)"),
        (["search", "--converges", "sgd", "--b1", "0.5"], "sgd has no hyperparameter b1 (its hyperparameters: damp, lr"),
        (["search", "--converges", "yogi", "--converges", "lion", "--switch", "bias_correction=none"],
         "lion has no switch bias_correction (its switches: weight_decay)"),
        # 4. one key from two flags
        (["sweep", "adam", "--set", "lr=0.1", "--axis", "lr=0.1,0.2"],
         "lr is given by both --set lr=0.1 and --axis lr=0.1,0.2; give it once"),
        (["sweep", "adam", "--problem", "reddi:C=3", "--axis", "C=3,4"],
         "C is given by both --problem reddi:C=3 and --axis C=3,4"),
        (["sweep", "adam", "--x0", "0.5", "--axis", "x0=0.1,0.2"], "x0 is given by both --x0 0.5 and --axis x0=0.1,0.2"),
        # 5. --keep of a hyperparameter that is never switched off
        (["equiv", "adam", "adam", "--keep", "lr"], "keeping lr makes no difference: lr is always kept symbolic"),
        # 6. edited records
        (["replay", "{d}/rec_switch.json"], "unknown switch of adam, amsgrad, yogi 'nosuch'"),
        (["replay", "{d}/rec_extra.json"], "lacks or mangles a field: unknown key 'extra'"),
        (["replay", "{d}/rec_seed.json"], "seed = 1.5 must be an integer"),
        (["replay", "{d}/rec_boolsteps.json"], "steps = True must be an integer"),
        (["replay", "{d}/rec_noconv.json"], "converges = [] must be a non-empty list"),
        (["replay", "{d}/rec_strconv.json"], "converges = 'yogi' must be a non-empty list"),
        (["replay", "{d}/rec_noverdicts.json"], "'verdicts' is missing"),
        (["replay", "{d}/rec_class.json"], "verdicts.adam must be an object whose class is one of"),
        (["replay", "{d}/rec_verdicts.json"], "verdicts must have exactly the methods adam, amsgrad, yogi"),
        (["replay", "{d}/rec_hyper.json"], "hyper.b1 = 1.0 must be in [0, 1)"),
        (["replay", "{d}/rec_deep.json"], "nests 100000 levels deep (limit 32"),
        (["replay", "{d}/rec_twice.json"], "gives the key 'seed' twice"),
        # 7. edited sheets and answers
        (["grade", "{d}/sheet_twice.json", "{d}/answers.json"], "exercise id 'x-0-1' appears twice"),
        (["grade", "{d}/deep.json", "{d}/answers.json"], "nests 100000 levels deep"),
        (["grade", "{d}/sheet_h0.json", "{d}/answers.json"], "exercise x-0-1: h = '0' must be > 0"),
        (["grade", "{d}/sheet_lrh2.json", "{d}/answers.json"], "lr*h = 2 must be below 2"),
        (["grade", "{d}/sheet_G0.json", "{d}/answers.json"], "G = '0' must not be 0"),
        (["grade", "{d}/sheet_both.json", "{d}/answers.json"], "exactly one of A = 'correct' and B = 'correct'"),
        (["grade", "{d}/sheet_param.json", "{d}/answers.json"], "(noise_floor) needs the parameters lr, h, s2; got"),
        (["grade", "{d}/sheet_ok.json", "{d}/answers_twice.json"], "gives the key 'a-0-1' twice"),
        (["grade", "{d}/sheet_ok.json", "{d}/answers_twice.txt"], "line 2: 'a-0-1' is answered twice"),
        (["grade", "{d}/sheet_ok.json", "{d}/deep.json"], "deep.json' nests 100000 levels deep"),
    ]
    return bad_out + seeds + sizes + silent + review


ROWS = _rows()


@pytest.mark.parametrize("argv,needle", ROWS, ids=[" ".join(a)[:60] for a, _ in ROWS])
def test_bad_input_is_one_line_exit_2_in_bounded_time_and_memory(files, argv, needle):
    argv = [a.replace("{d}", str(files)) for a in argv]
    before, t0 = peak_mb(), time.perf_counter()
    code, out, err = call(argv)
    wall = time.perf_counter() - t0
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, (code, out[-500:], err[-500:])
    assert len(lines) == 1 and lines[0].startswith("optmath: error: "), err
    assert needle in lines[0], lines[0]
    assert "Traceback" not in err + out
    assert wall < SECONDS, wall
    assert peak_mb() - before < MEGABYTES, peak_mb() - before


@pytest.mark.parametrize("argv", [
    ["run", "adam", "--problem", "reddi", "--seed", "-1"],
    ["demo", "--out", f"{UNWRITABLE}/demo"],
    ["search", "--eps", "nan"],
    ["run", "adam", "--problem", "reddi", "--steps", str(10**12)],
])
def test_the_real_command_prints_no_traceback(argv):
    r = subprocess.run([sys.executable, "-m", "optmath.cli", *argv], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_nothing_is_written_when_the_output_is_refused(tmp_path):
    """The refusal comes first: no folder of the demo's report and no partial results."""
    target = tmp_path / "file"
    target.write_text("")
    code, _, err = call(["demo", "--out", str(target / "demo")])
    assert code == 2 and "is not a folder" in err
    assert target.read_text() == ""


BAD = {"--seed": ["-1", "-7", "nan", "inf", "1e400", str(2**32), str(10**30), "abc", "", "1.5", "0x10"],
       "--steps": ["-1", "0", "nan", "inf", "-inf", "1e400", str(10**9 + 1), str(10**30), "abc", "", "1.5"]}


@settings(max_examples=budget(40), deadline=None)
@given(flag=st.sampled_from(sorted(BAD)), data=st.data(),
       cmd=st.sampled_from([["run", "adam", "--problem", "reddi"], ["search"], ["phase"], ["demo"]]))
def test_generated_bad_numbers_never_give_a_traceback(flag, data, cmd):
    value = data.draw(st.sampled_from(BAD[flag]))
    if cmd == ["phase"] and flag == "--steps":
        flag = "--horizon"
    t0 = time.perf_counter()
    code, out, err = call([*cmd, f"{flag}={value}"])
    assert code == 2, (cmd, flag, value, code, err[-300:])
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert time.perf_counter() - t0 < SECONDS


@settings(max_examples=budget(40), deadline=None)
@given(keys=st.lists(st.sampled_from(["C", "n", "phase"]), min_size=2, max_size=4),
       vals=st.lists(st.integers(1, 9), min_size=4, max_size=4))
def test_generated_duplicate_problem_keys_are_refused(keys, vals):
    spec = "reddi:" + ",".join(f"{k}={v}" for k, v in zip(keys, vals))
    code, _, err = call(["run", "adam", "--problem", spec, "--steps", "10"])
    if len(set(keys)) < len(keys):
        assert code == 2 and "given twice" in err, (spec, err)
    else:
        assert "given twice" not in err


def test_limits_are_documented_and_named_in_the_refusal():
    doc = limits.__doc__
    for name in ("MAX_STEPS", "MAX_CONFIGURATIONS", "MAX_WORK", "MAX_CELLS", "MAX_EXAMPLES", "MAX_BUDGET",
                 "MAX_PERIOD", "MAX_EXERCISES", "MAX_RECORD_BYTES", "MAX_JSON_DEPTH", "MAX_SEED", "MEMORY_FRACTION",
                 "TARGET_MEMORY", "STEP_ARRAY_BYTES"):
        assert name in doc and hasattr(limits, name)
    with pytest.raises(limits.LimitError, match=r"a plan: 1,000,001 configurations x 1,000,000 steps = "
                                                r"1,000,001,000,000 configuration-steps exceeds the limit "
                                                r"1,000,000,000,000 \(optmath.limits.MAX_WORK\)"):
        limits.check_work((("configurations", 10**6 + 1), ("steps", 10**6)), "a plan")
    assert limits.check_work((("configurations", 10**6), ("steps", 10**6)), "a plan") == 10**12
    with pytest.raises(limits.LimitError, match="nests 33 levels deep"):
        limits.load_json("[" * 33 + "]" * 33, "x")
    assert limits.load_json('{"a": "[[[[" , "b": [[1]]}' .replace(" ,", ","), "x") == {"a": "[[[[", "b": [[1]]}
    with pytest.raises(limits.OptmathValueError, match="gives the key 'a' twice"):
        limits.load_json('{"a": 1, "a": 2}', "x", hook=limits.unique_keys("x"))
    with pytest.raises(limits.LimitError, match="steps = 1000000001 exceeds the limit 1,000,000,000"):
        limits.check_count("steps", 10**9 + 1, limits.MAX_STEPS)
    with pytest.raises(limits.LimitError, match="of memory available"):
        limits.check_memory(10 * limits.available_memory(), "a plan")


def test_check_timeout_applies_to_the_import(tmp_path):
    """``--timeout 5`` bounds the target's import too (it was a fixed 60 s)."""
    f = tmp_path / "slow.py"
    f.write_text("import time\nimport torch\ntime.sleep(60)\n\nclass Adam(torch.optim.Adam):\n    pass\n")
    t0 = time.perf_counter()
    code, out, err = call(["check", f"{f}:Adam", "--as", "adam", "--timeout", "5"])
    wall = time.perf_counter() - t0
    assert code == 1 and "could not import the target" in out and "within 5 s" in out, (out, err)
    assert wall < 40, wall  # includes starting torch's fork server on a cold machine


def test_a_target_allocating_too_much_at_import_is_stopped(tmp_path):
    """A target that allocates 2 GiB at import under ``--memory 0.5`` (GiB) gets a MemoryError in
    its own process; the check reports it and this process is untouched."""
    f = tmp_path / "hog.py"
    f.write_text("import numpy as np\nimport torch\nHOG = np.ones(2 * 2**30 // 8)\n\n"
                 "class Adam(torch.optim.Adam):\n    pass\n")
    before = peak_mb()
    code, out, err = call(["check", f"{f}:Adam", "--as", "adam", "--memory", "0.5"])
    assert code == 2 and "raised MemoryError" in err, (code, out, err)  # as `optmath check --help` says
    assert peak_mb() - before < MEGABYTES


def test_check_help_states_the_exit_code_of_each_failure():
    """The exit codes that --help documents are the ones the command gives: an exception raised
    while importing the target (a MemoryError beyond --memory included) is 2, a hang is 1."""
    code, out, _ = call(["check", "--help"])
    text = " ".join(out.split())
    assert code == 0
    assert "1: does not, or the target hung, crashed or raised while it ran, or its import exceeded --timeout" in text
    assert "or importing the target raised an exception (SyntaxError, ImportError, or MemoryError beyond --memory)" \
        in text


def test_hyperparameters_left_at_their_defaults_apply_where_a_method_has_them():
    """Refusing a value given for a method that lacks it must not refuse the defaults: Lion has no
    eps, and its phase diagram runs with eps left at the default."""
    from optmath.search.phase import phase
    from optmath.search.search import SearchError, check_methods

    d = phase("lion", "reddi", {}, b1=[0.0], b2=[0.9], steps=200)
    assert d.counts()["converges"] + d.counts()["fails"] + d.counts()["diverges"] + d.counts()["inconclusive"] == 1
    with pytest.raises(SearchError, match="lion has no hyperparameter eps"):
        phase("lion", "reddi", {}, b1=[0.0], b2=[0.9], steps=200, eps=1e-8)
    check_methods(["adam", "sgd"], None, None)  # nothing given: nothing refused
    with pytest.raises(SearchError, match="sgd has no hyperparameter eps"):
        check_methods(["adam", "sgd"], None, None, given=("eps",))
    with pytest.raises(SearchError, match="sgd has no switch amsgrad"):
        check_methods(["adam", "sgd"], None, {"amsgrad": "raw"})


def test_keep_is_refused_where_it_changes_nothing_and_honoured_where_it_does():
    from optmath.verify.equivalence import equivalence
    from optmath.errors import DomainError

    with pytest.raises(DomainError, match="keeping b1 makes no difference: b1 is always kept symbolic; only "
                                          "acc0, eps, eps_root, wd can be switched off"):
        equivalence("adam:pytorch", "adam:pytorch", keep=("b1",), steps=1)
    r = equivalence("momentum:pytorch", "momentum:keras", keep=("damp",), steps=2)  # damp = 0 on both: kept
    assert r.kind == "conditional"


def test_a_certificate_refuses_a_period_beyond_the_limit_before_building_it():
    from optmath.search.certify import periodic_certificate

    before = peak_mb()
    with pytest.raises(limits.LimitError, match=r"period n = 1,000,000,000 exceeds the limit 100,000"):
        periodic_certificate(2e9, 10**9)
    assert peak_mb() - before < MEGABYTES


def test_a_generated_sheet_and_a_valid_record_still_pass_the_strict_checks(tmp_path):
    from optmath.search.search import check_record
    from optmath.teach.exercises import check_sheet, make_sheet

    for seed in range(5):
        check_sheet(json.loads(json.dumps(make_sheet(seed))), "sheet")
    assert check_record(json.loads(json.dumps(RECORD)))["methods"] == ["adam", "amsgrad", "yogi"]
