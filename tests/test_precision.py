"""Low-precision kernels (optmath/kernels/precision.py): the rounding functions against NumPy's
float16 and torch's bfloat16 conversions, the float32 kernel against torch.optim.Adam in
float32, and float16 Adam's eps = 1e-8 against torch.optim.Adam on a float16 parameter."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from optmath import get_spec
from optmath.errors import PrecisionWarning, UnknownNameError
from optmath.kernels import generate
from optmath.kernels.precision import input_warnings, round_array
from optmath.kernels.runner import run, sweep
from optmath.verify.tolerances import UNIT_ROUNDOFF

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
EDGES = np.array([0.0, -0.0, 1e-8, 2.9e-8, 2.98023223876953125e-8, 3.0e-8, 6e-8, 6.1e-5, 65504.0, 65519.99,
                  65520.0, -65520.0, 1e300, 1e-300, 0.999, 1.0 + 2 ** -11, 1.0 + 3 * 2 ** -11, np.inf, -np.inf])


@settings(deadline=None)  # the first example compiles the rounding loop
@given(st.lists(finite, min_size=1, max_size=50))
def test_float16_rounding_is_numpys_conversion(xs):
    x = np.array(xs)
    with np.errstate(over="ignore"):
        want = x.astype(np.float16).astype(np.float64)
    assert np.array_equal(round_array(x, "float16"), want)


def test_float16_and_float32_rounding_at_the_edges():
    with np.errstate(over="ignore"):
        assert np.array_equal(round_array(EDGES, "float16"), EDGES.astype(np.float16).astype(np.float64))
        assert np.array_equal(round_array(EDGES, "float32"), EDGES.astype(np.float32).astype(np.float64))
    assert np.isnan(round_array(np.array([np.nan]), "float16")[0])


@settings(deadline=None)
@given(st.lists(finite, min_size=1, max_size=50))
def test_bfloat16_rounding_is_torchs_conversion(xs):
    torch = pytest.importorskip("torch")
    x = np.array(xs + EDGES.tolist())
    want = torch.tensor(x, dtype=torch.float64).to(torch.bfloat16).double().numpy()
    assert np.array_equal(round_array(x, "bfloat16"), want)


def test_float16_adam_warns_that_eps_is_zero_and_gives_nan_on_a_zero_gradient_as_torch_does():
    alg = get_spec("adam").resolve("pytorch", lr=1e-3)
    with pytest.warns(PrecisionWarning, match=r"eps = 1e-08 rounds to 0 in float16"):
        tr = run(alg, np.zeros((3, 1)), x0=0.5, precision="float16", on_nonfinite="stop")
    assert tr.nonfinite_step == 1
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.tensor([0.5], dtype=torch.float16))
    opt = torch.optim.Adam([p], lr=1e-3)
    p.grad = torch.zeros_like(p)
    opt.step()
    assert torch.isnan(p.data).all()  # the real class on a real float16 parameter
    with warnings.catch_warnings():  # eps = 1e-4, the usual float16 choice, holds
        warnings.simplefilter("error", PrecisionWarning)
        tr = run(get_spec("adam").resolve("pytorch", lr=1e-3, eps=1e-4), np.zeros((3, 1)), x0=0.5, precision="float16")
    assert tr.xs[-1, 0] == 0.5
    # bfloat16 holds 1e-8 (float32's exponent range): no NaN, as in torch
    tr = run(alg, np.zeros((3, 1)), x0=0.5, precision="bfloat16")
    assert tr.xs[-1, 0] == 0.5


def test_a_state_that_underflows_is_reported():
    alg = get_spec("adam").resolve("pytorch", lr=1e-3, eps=1e-4)
    with pytest.warns(PrecisionWarning, match=r"a state underflowed in float16 at step 1"):
        run(alg, np.full((5, 1), 1e-4), x0=0.5, precision="float16")  # (1 - b1) g = 1e-5 is subnormal


def test_float32_kernel_tracks_torch_adam_in_float32():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    G = rng.standard_normal((1000, 4))
    alg = get_spec("adam").resolve("pytorch", lr=1e-2)
    ours = run(alg, G, x0=np.full(4, 0.5), precision="float32").xs
    f64 = run(alg, G, x0=np.full(4, 0.5)).xs
    p = torch.nn.Parameter(torch.full((4,), 0.5, dtype=torch.float32))
    opt = torch.optim.Adam([p], lr=1e-2, foreach=False)
    ref = [p.detach().double().numpy().copy()]
    for g in G:
        p.grad = torch.tensor(g, dtype=torch.float32)
        opt.step()
        ref.append(p.detach().double().numpy().copy())
    ref = np.array(ref)
    # both are float32 evaluations of one rule: they part by float32 rounding, far more than
    # float64's, and far less than the steps' size (lr = 1e-2)
    gap, gap64 = np.max(np.abs(ours - ref)), np.max(np.abs(f64 - ref))
    assert np.all(round_array(ours, "float32") == ours)  # every stored value is a float32
    assert gap < 2e3 * UNIT_ROUNDOFF["float32"], gap
    assert gap64 > 10 * UNIT_ROUNDOFF["float64"]
    # torch's own float32 error (its distance from the float64 run) is of the same size as ours
    assert gap < 5 * gap64, (gap, gap64)


@pytest.mark.parametrize("prec", [pytest.param("float32", marks=pytest.mark.slow), "float16",
                                  pytest.param("bfloat16", marks=pytest.mark.slow)])
def test_low_precision_sweeps_agree_across_backends_and_with_runs(prec):
    """Blocked and scalar sweeps give the same bits, a sweep lane the run's, and every final x is a
    value of the precision (the default tier: float16, whose rounding is emulated; three modules
    of about 7 s each per precision)."""
    alg = get_spec("yogi").resolve("optax")
    algs = [alg.with_values(lr=float(v)) for v in np.geomspace(1e-3, 0.5, 11)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PrecisionWarning)
        b = sweep(algs, "stochastic", steps=300, x0=0.3, seed=1, backend="blocked", precision=prec)
        s = sweep(algs, "stochastic", steps=300, x0=0.3, seed=1, backend="scalar", precision=prec)
        one = run(algs[4], problem="stochastic", steps=300, x0=0.3, seed=1, precision=prec, on_nonfinite="stop")
    assert np.array_equal(b.final_x, s.final_x, equal_nan=True) and np.array_equal(b.average_regret, s.average_regret,
                                                                                   equal_nan=True)
    assert b.final_x[4] == one.xs[-1, 0], prec
    assert np.all(round_array(b.final_x, prec) == b.final_x)


def test_float64_modules_are_unchanged_and_bad_precisions_are_refused():
    alg = get_spec("adam").resolve("pytorch")
    assert generate.run_source(alg) == generate.run_source(alg, precision="float64")
    assert "R(" not in generate.run_source(alg) and "R(" in generate.run_source(alg, precision="float32")
    with pytest.raises(UnknownNameError, match="float8"):
        generate.run_source(alg, precision="float8")
    with pytest.raises(UnknownNameError, match="float8"):
        run(alg, np.zeros((2, 1)), precision="float8")
    assert input_warnings({"eps": 1e-8, "lr": 1e-3}, "float64") == []
    assert input_warnings({"big": 1e5}, "float16") == ["big = 100000.0 overflows to inf in float16"]
    assert input_warnings({"eps": 1e-6}, "float16") == ["eps = 1e-06 is subnormal in float16 (rounds to 1.0132789611816406e-06)"]


def test_cli_run_in_float16_prints_the_warning_on_one_line(tmp_path):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-c", "from optmath.cli import main; main()", "run", "adam", "--problem",
                        "quadratic", "--steps", "10",
                        "--precision", "float16"], capture_output=True, text=True)
    err = r.stderr.strip().splitlines()
    assert r.returncode == 2 and err[0] == "warning: eps = 1e-08 rounds to 0 in float16", err
    assert "non-finite value at step 1" in err[-1] and len(err) == 2


def test_a_float32_search_finds_reddis_counterexample_and_does_not_call_it_certified(tmp_path):
    from optmath.search.search import replay_record, search, write_record

    r = search("adam", ("amsgrad",), b1=0.0, b2="reddi", eps=1e-8, lr=0.5, steps=3000, seed=0, budget=20,
               profile="paper", switches={"bias_correction": "none"}, precision="float32")
    rec = r.record
    assert rec is not None and rec["precision"] == "float32", str(r)
    assert rec["verdicts"]["adam"]["class"] in ("fails", "diverges")
    assert not rec["certified"] and "not certified: the runs are in float32" in rec["certification"]["summary"]
    holds, fresh = replay_record(write_record(rec, tmp_path / "f32.json"))  # the replay reruns in float32
    assert holds and fresh["precision"] == "float32" and fresh["final_x"] == rec["final_x"]


def test_a_float16_phase_diagram_keeps_its_warnings():
    from optmath.search.phase import phase

    d = phase("adam", "reddi", {"C": 3.0}, b1=[0.0], b2=[0.5, 0.9], steps=2000, lr=0.5, x0=1.0, profile="paper",
              precision="float16")
    assert d.settings["precision"] == "float16"
    assert "adam: eps" not in " ".join(d.settings["warnings"])  # a phase names the input itself
    assert any("eps = 1e-08 rounds to 0 in float16" in w for w in d.settings["warnings"])
    with pytest.raises(UnknownNameError, match="float8"):
        phase("adam", "reddi", {"C": 3.0}, b1=[0.0], b2=[0.5], steps=100, precision="float8")
