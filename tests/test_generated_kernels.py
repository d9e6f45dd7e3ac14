"""Issue 16: every kernel is generated from the spec's equations.

* The generated kernels agree with what the hand-written kernels computed before they were
  deleted (``tests/data/kernels_before_generator.npz``, recorded at efeac82 by
  ``tests/data/record_kernels.py``) within the conditioning-aware comparison, on every registry
  profile (runs) and on every problem family (sweeps).
* Every bit-level difference is explained: with the running products switched off (anchor 1,
  every power by ``pow``) a generated run performs the spec's printed operations, so it equals
  the generated NumPy reference step bit for bit, or differs first by at most a few units in
  the last place where renaming and hoisting changed the order in which SymPy prints a product's
  or a sum's operands; the running products add at most ``ANCHOR - 1`` roundings per power.
* A rule written against the public spec API (four states, one the previous gradient, a
  look-ahead gradient point, a step-only schedule) runs bit-identically in the scalar, blocked,
  CUDA-simulator and Dask paths and matches its reference step, with no kernel file touched.
* No optimizer name appears in the generator.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from optmath import get_spec, problems as P
from optmath.grid import Batch, run_batch
from optmath.kernels import generate
from optmath.kernels.lanes import ANCHOR
from optmath.kernels.plan import plan
from optmath.kernels.runner import learning_rates, run
from optmath.optimizers import REGISTRY
from optmath.spec import Hyper, Profile, Program, Spec, StateVar
from optmath.verify.conditioning import assert_accurate, compare_trajectories
from optmath.verify.reference import reference_run
from optmath.verify.tolerances import KERNEL_VS_SPEC

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).with_name("data") / "kernels_before_generator.npz"
sys.path.insert(0, str(DATA.parent))
import record_kernels as REC  # noqa: E402
from conftest import ONE_PER_SPEC  # noqa: E402

#: the (optimizer, profile) pairs the hand-written kernels were recorded on; a spec or profile
#: added after their deletion never had one (its kernels are checked against the reference step)
RECORDED = {tuple(k.split("/")[1:3]) for k in np.load(DATA).files if k.startswith("run/") and k.endswith("/x")}
CASES = [c for c in REC.cases() if c in RECORDED]
#: the programs whose sweeps the default tier compares with the recording (one blocked kernel
#: each); the slow tier compares every profile
SWEEP_CASES = [("adam", "pytorch"), ("yogi", "optax"), ("nadam", "pytorch"), ("radam", "optax"),
               ("nesterov", "paper"), ("adamax", "keras"), ("amsgrad", "pytorch"), ("lion", "paper")]
#: a first difference this small (in units of the last place) is a different rounding order
ORDER_ULPS = 8


@pytest.fixture(scope="module")
def before():
    return np.load(DATA)


def _ulps(a: float, b: float) -> float:
    return abs(a - b) / max(np.spacing(abs(a)), np.spacing(abs(b)), np.finfo(float).tiny)


# the default tier: ONE_PER_SPEC (conftest), every optimizer in one profile; the slow tier: every profile


def _check_run(before, name, profile):
    alg = get_spec(name).resolve(profile)
    G = REC.stream()
    tr = run(alg, G, x0=REC.X0, record_states=True, on_nonfinite="stop")
    key = f"run/{name}/{profile}"
    assert tr.nonfinite_step == int(before[f"{key}/bad"])
    old = {"x": before[f"{key}/x"], **{s: before[f"{key}/{s}"] for s in tr.states}}
    new = {"x": tr.xs, **tr.states}
    cmp = compare_trajectories(alg, G, REC.X0, {"generated": new, "hand-written": old}, rtol=KERNEL_VS_SPEC,
                               what=f"{name}/{profile}")
    assert_accurate(cmp)


@pytest.mark.parametrize("name,profile", [c for c in ONE_PER_SPEC if c in RECORDED])
def test_generated_runs_agree_with_the_hand_written_kernels(before, name, profile):
    _check_run(before, name, profile)


@pytest.mark.slow
@pytest.mark.parametrize("name,profile", CASES)
def test_generated_runs_agree_with_the_hand_written_kernels_on_every_profile(before, name, profile):
    _check_run(before, name, profile)


def _sweep(name, profile, problem, x0=0.2, anchor=ANCHOR, reciprocals=True, lr_ulps=0):
    from optmath.kernels.blocked import run_blocked

    alg = get_spec(name).resolve(profile)
    lrs = np.geomspace(1e-3, 1.0, 12)
    if lr_ulps:  # every learning rate moved by one unit in the last place, up or down
        lrs = np.nextafter(lrs, np.inf if lr_ulps > 0 else 0.0)
    n = lrs.size
    p = plan(alg)
    q = P.parse_problem(problem)
    pp = np.repeat(q.pp[None], n, 0)
    b = Batch(alg, q.family, np.repeat(p.hv[None], n, 0), lrs, np.full(n, x0), np.repeat(p.init[None], n, 0), pp,
              np.full(n, q.xstar), learning_rates(1.0, "constant", REC.SWEEP_STEPS), P.draws(q, REC.SWEEP_STEPS, 3),
              q.lo, q.hi)
    return run_blocked(b, anchor=anchor, reciprocals=reciprocals)


def _scaled(a, b):
    return np.max(np.abs(a[:, :3] - b[:, :3]) / np.maximum(1.0, np.abs(b[:, :3])), axis=1)


def _far_lanes(new, old, name, profile, problem, reciprocals=True):
    """Lanes more than 1e-9 (scaled) from the record that their own conditioning does not
    explain.  A lane is explained when a perturbation of one unit in the last place moves its
    summaries by at least a tenth of its distance from the record: the start (absorbed at once
    where the gradient does not depend on x), every step's learning rate (one rounding in every
    update, up and down), or the powers by pow instead of running products.  Two correct float64
    evaluations (the hand-written and the generated kernel) part that far on such a lane; on a
    piecewise problem (the finite sum's kink at x = -1) momentum can amplify one rounding to 1e-2."""
    gap = _scaled(new, old)
    far = gap > 1e-9
    if far.any():
        probes = [_sweep(name, profile, problem, x0=float(np.nextafter(0.2, 1.0)), reciprocals=reciprocals),
                  _sweep(name, profile, problem, anchor=1, reciprocals=reciprocals),
                  _sweep(name, profile, problem, lr_ulps=1, reciprocals=reciprocals),
                  _sweep(name, profile, problem, lr_ulps=-1, reciprocals=reciprocals)]
        moved = np.max([_scaled(p, new) for p in probes], axis=0)
        far &= ~(moved >= 0.1 * gap)
    return far


def _check_sweep(before, name, profile, problems=None):
    """Summaries within 1e-9 (scaled) of the hand-written kernels', except on lanes that amplify
    rounding (:func:`_far_lanes`).  A lane beyond both is explained when it is the one change of
    an operation that hoisting makes, the multiplication by a hoisted reciprocal instead of the
    division (lanes.py, rule 3): the same program with its divisions kept must then meet the
    same bar on that lane."""
    for problem in problems or REC.PROBLEMS:
        new = _sweep(name, profile, problem)
        old = before[f"sweep/{name}/{profile}/{problem}"]
        far = _far_lanes(new, old, name, profile, problem)
        if far.any():
            div = _sweep(name, profile, problem, reciprocals=False)
            still = far & _far_lanes(div, old, name, profile, problem, reciprocals=False)
            assert not still.any(), (name, profile, problem, np.flatnonzero(still))
        near = _scaled(new, old) <= 1e-9
        assert np.array_equal(new[:, 3][near], old[:, 3][near]), (problem, "first non-finite step")


#: the default tier: each of the SWEEP_CASES programs on two of the recorded problems in turn (a
#: program and a family make one module), every problem on two or three programs
SWEEP_PAIRS = [(n, p, q) for i, (n, p) in enumerate(SWEEP_CASES) for j, q in enumerate(REC.PROBLEMS)
               if (i + j) % len(REC.PROBLEMS) < 2]


@pytest.mark.parametrize("name,profile,problem", SWEEP_PAIRS)
def test_generated_sweeps_agree_with_the_hand_written_kernels(before, name, profile, problem):
    _check_sweep(before, name, profile, [problem])


@pytest.mark.slow
@pytest.mark.parametrize("name,profile", [c for c in CASES if get_spec(c[0]).kernel != "adamp"])
def test_generated_sweeps_agree_with_the_hand_written_kernels_on_every_profile(before, name, profile):
    _check_sweep(before, name, profile)


def _generated_run(alg, G, x0, anchor, reciprocals=True):
    mod = generate.load_run(alg, anchor, reciprocals=reciprocals)
    pl = plan(alg)
    T, d = G.shape
    hv = pl.hv.copy()
    hv[0] = d
    st = np.ascontiguousarray(np.repeat(pl.init[:, None], d, axis=1)) if pl.states else np.zeros((0, d))
    xs, srec = np.empty((T + 1, d)), np.empty((T + 1, len(pl.states), d))
    mod.run_grads(np.array(x0, dtype=float), st, hv, G, np.full(T, alg.values["lr"]), -np.inf, np.inf, False,
                  xs, srec, True, np.empty((mod.KEPT, d)), np.zeros(1))
    return xs


def _explained(name, profile):
    """How the generated run (powers by pow) differs from the reference step, bit for bit: not at
    all, by operation order (the first differing value within ``ORDER_ULPS``), or by the
    hoisted reciprocals alone (the same program with its divisions kept is identical or within
    ``ORDER_ULPS``: a product with a reciprocal is within two units in the last place of the
    division, which a cancellation, x near 0, may magnify in the result's own units)."""
    alg = get_spec(name).resolve(profile)
    G = REC.stream()[:300]
    ref = reference_run(alg, G, REC.X0)
    for reciprocals, why in ((True, "operation order"), (False, "reciprocals")):
        xs = _generated_run(alg, G, REC.X0, 1, reciprocals)
        if np.array_equal(xs.view(np.uint64), ref.xs.view(np.uint64)):
            return "identical" if reciprocals else why
        k, i = np.argwhere(xs.view(np.uint64) != ref.xs.view(np.uint64))[0]
        if _ulps(xs[k, i], ref.xs[k, i]) <= ORDER_ULPS:
            return why
    raise AssertionError((name, profile, k, xs[k, i], ref.xs[k, i]))


@pytest.mark.parametrize("name,profile", SWEEP_CASES)
def test_bit_level_differences_are_operation_order(name, profile):
    _explained(name, profile)


@pytest.mark.slow
@pytest.mark.parametrize("name,profile", CASES)
def test_bit_level_differences_are_operation_order_on_every_profile(name, profile):
    _explained(name, profile)


def test_running_products_stay_within_their_bound():
    """b**t by running products, anchored every ANCHOR steps, against pow (anchor 1): the same
    at step 1, and within the 1e-12 of the framework parity tests over three anchor periods
    at the default betas."""
    alg = get_spec("adam").resolve("paper", b1=0.9, b2=0.999)
    prog_src = generate.run_source(alg)
    assert "if anchor else" in prog_src
    T = 3 * ANCHOR + 5
    G = np.ones((T, 1))
    a = _generated_run(alg, G, [0.0], ANCHOR)
    b = _generated_run(alg, G, [0.0], 1)
    assert a[1, 0] == b[1, 0]  # step 1 is an anchor: pow itself
    assert not np.array_equal(a, b)  # the products are used between anchors
    assert np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)) < 1e-12


# -- a rule nobody registered -------------------------------------------------------------------

def _lookahead_rule() -> Spec:
    """Four states (m, v, n and the previous gradient gp), the gradient taken at a look-ahead
    point x - lr mu m, and a warm-up factor that depends on the step only."""
    x, g, lr, t = sp.symbols("x g lr", real=True) + (sp.Symbol("t", integer=True, positive=True),)
    m, v, n, gp, mu, b2, eps, k = (sp.Symbol(s, real=True) for s in ("m", "v", "n", "gp", "mu", "b2", "eps", "k"))
    hypers = (Hyper("lr", r"\eta", "learning rate", 0.05, 0.0, None, lo_open=True),
              Hyper("mu", r"\mu", "momentum", 0.9, 0.0, 1.0, hi_open=True),
              Hyper("b2", r"\beta_2", "second moment decay", 0.99, 0.0, 1.0, hi_open=True),
              Hyper("eps", r"\epsilon", "stabiliser", 1e-8, 0.0, None),
              Hyper("k", "k", "warm-up length", 10.0, 1.0, None))
    from optmath.spec import Assign

    def build(sw):
        warm = sp.Min(1, t / k)
        diff = g - gp
        ups = (Assign("m", mu * m + (1 - mu) * g, "momentum"),
               Assign("n", mu * n + (1 - mu) * diff, "gradient difference"),
               Assign("v", b2 * v + (1 - b2) * (g + mu * diff) ** 2, "second moment"),
               Assign("gp", g, "previous gradient"),
               Assign("x", x - lr * warm * (m + mu * n) / (sp.sqrt(v / (1 - b2 ** t)) + eps), "step"))
        states = (StateVar("m", "m", "momentum"), StateVar("n", "n", "difference"), StateVar("v", "v", "second"),
                  StateVar("gp", "g'", "previous gradient"))
        return Program(states, ups, lookahead=x - lr * mu * m)

    return Spec("lookahead_test_rule", "Look-ahead test rule", "generated", hypers, (),
                {"paper": Profile({}, {}, "test")}, build)


def test_a_new_rule_matches_its_reference_step():
    alg = _lookahead_rule().resolve("paper")
    G = REC.stream()[:400]
    tr = run(alg, G, x0=REC.X0, record_states=True)
    ref = reference_run(alg, G, REC.X0)
    cmp = compare_trajectories(alg, G, REC.X0,
                               {"kernel": {"x": tr.xs, **tr.states}, "reference": {"x": ref.xs, **ref.states}},
                               rtol=KERNEL_VS_SPEC, what="lookahead rule")
    assert_accurate(cmp)
    # the gradient point is used: on a quadratic the oracle run differs from a run at x
    on_problem = run(alg, problem="quadratic:h=2,c=0.3", steps=50, x0=1.0)
    assert on_problem.nonfinite_step == 0 and abs(on_problem.final[0] - 0.3) < 0.5


def _batch(alg, problem, n=29, steps=120, seed=5):
    rng = np.random.default_rng(seed)
    p = plan(alg)
    q = P.parse_problem(problem)
    hps = np.repeat(p.hv[None], n, 0)
    hps[:, p.column("mu")] = rng.uniform(0.5, 0.95, n)  # per-lane step values (mu) and shared ones
    pp = np.repeat(q.pp[None], n, 0)
    return Batch(alg, q.family, hps, np.exp(rng.uniform(np.log(1e-3), np.log(3.0), n)), rng.uniform(-1, 1, n),
                 np.repeat(p.init[None], n, 0), pp, np.full(n, q.xstar), learning_rates(1.0, "inv_sqrt", steps),
                 P.draws(q, steps, seed), q.lo, q.hi)


def test_a_new_rule_runs_bit_identically_on_every_cpu_path():
    alg = _lookahead_rule().resolve("paper")
    for problem in ("quadratic:h=2,c=0.5", "reddi", "stochastic:p=0.3"):
        b = _batch(alg, problem)
        ref = run_batch(b, "scalar")
        for block in (1, 8, 64):
            assert np.array_equal(run_batch(b, "blocked", block=block).view(np.uint64), ref.view(np.uint64))
        # a one-dimensional run of the same configuration: the same bits as its sweep lane
        j = 3
        one = alg.with_values(mu=float(b.hps[j, plan(alg).column("mu")]), lr=float(b.lrs0[j]))
        tr = run(one, problem=problem, steps=b.lr_mult.size, x0=float(b.x0s[j]), schedule="inv_sqrt", seed=5,
                 on_nonfinite="stop")
        if not ref[j, 3]:
            assert tr.final[0] == ref[j, 0]


def test_a_new_rule_on_dask_workers_gives_the_same_bits():
    distributed = pytest.importorskip("distributed")
    alg = _lookahead_rule().resolve("paper")
    b = _batch(alg, "quadratic:h=2,c=0.5", n=40)
    ref = run_batch(b, "blocked")
    with distributed.Client(processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None) as client:
        parts = [(a, min(a + 7, len(b))) for a in range(0, len(b), 7)]
        futs = [client.submit(_chunk, b, a, z, pure=False) for a, z in parts]
        out = np.concatenate([f.result() for f in futs])
    assert np.array_equal(out.view(np.uint64), ref.view(np.uint64))


def _chunk(b, a, z):
    sl = slice(a, z)
    sub = Batch(b.alg, b.problem, b.hps[sl], b.lrs0[sl], b.x0s[sl], b.inits[sl], b.pps[sl], b.xstars[sl], b.lr_mult,
                b.draws, b.lo, b.hi)
    return run_batch(sub, "blocked", block=4)


CUDA_CODE = """
import json, sys, numpy as np
sys.path.insert(0, {tests!r})
import test_generated_kernels as T
alg = T._lookahead_rule().resolve("paper")
out = {{}}
for problem in ("quadratic:h=2,c=0.5", "reddi"):
    b = T._batch(alg, problem)
    out[problem] = [T.run_batch(b, "cuda").view(np.uint64).tolist(), T.run_batch(b, "blocked").view(np.uint64).tolist()]
print(json.dumps(out))
"""


def test_a_new_rule_in_the_cuda_simulator_gives_the_cpu_bits():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    r = subprocess.run([sys.executable, "-c", CUDA_CODE.format(tests=str(ROOT / "tests"))], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    for problem, (cuda, cpu) in json.loads(r.stdout.strip().splitlines()[-1]).items():
        assert cuda == cpu, problem


def test_no_optimizer_name_appears_in_the_generator():
    names = set(REGISTRY) | {s.kernel for s in REGISTRY.values()} | {"adabelief", "rmsprop", "momentum"}
    words = re.compile(r"\b(" + "|".join(sorted(names, key=len, reverse=True)) + r")\b", re.IGNORECASE)
    for f in ("lanes.py", "generate.py", "plan.py", "blocked.py", "gpu.py"):
        text = (ROOT / "optmath" / "kernels" / f).read_text()
        hits = words.findall(text)
        assert not hits, (f, sorted(set(hits)))


def test_generated_source_is_cached_by_its_hash(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTMATH_KERNEL_CACHE", str(tmp_path))
    monkeypatch.setattr(generate, "_MODULES", {})
    monkeypatch.setattr(generate, "_BY_PROGRAM", {})
    alg = get_spec("adam").resolve("pytorch")
    mod = generate.load_run(alg)
    files = sorted(p.name for p in tmp_path.glob("k_*.py"))
    assert files == [Path(mod.__file__).name]
    assert generate.load_run(alg.with_values(lr=0.5, b2=0.9)) is mod  # a new value never regenerates
    assert generate.load_run(get_spec("adam").resolve("pytorch", {"amsgrad": "raw"})) is not mod


def test_optmath_show_kernel_prints_the_generated_source():
    from click.testing import CliRunner

    from optmath.cli import cli

    r = CliRunner().invoke(cli, ["show", "adam", "-p", "pytorch", "--kernel"])
    assert r.exit_code == 0, r.output
    alg = get_spec("adam").resolve("pytorch")
    fam = P.get_family("periodic")
    assert generate.run_source(alg) in r.output and generate.sweep_source(alg, fam) in r.output
    assert generate.oracle_source(alg, fam) in r.output
    assert "def sweep_blocked(" in r.output and "def run_grads(" in r.output and "generated by" in r.output
    r = CliRunner().invoke(cli, ["show", "adam", "--kernel", "--family", "heavy_tail"])
    assert r.exit_code == 0 and "on problem family heavy_tail" in r.output, r.output
    r = CliRunner().invoke(cli, ["show", "adam", "--kernel", "--switch", "nosuch=1"])
    from optmath.errors import UnknownNameError

    assert isinstance(r.exception, UnknownNameError) and "nosuch" in str(r.exception)  # exit 2 via main
