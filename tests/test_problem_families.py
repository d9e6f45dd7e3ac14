"""Problem families declared once (optmath/problems/families/, one file each, and a user's own
file): every declaration is checked against itself (gradient = derivative of the loss, optimum =
minimiser of the average loss), and the generated kernels against a plain Python loop over the
family's own functions, bit for bit."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from optmath import get_spec, problems as P
from optmath.errors import DomainError, OptmathError, OptmathTypeError
from optmath.kernels.runner import run, sweep
from optmath.problems.family import Param, family

from optmath.verify.tolerances import FAMILY_DERIVATIVE

ROOT = Path(__file__).resolve().parents[1]
USER_FILE = ROOT / "tests" / "data" / "families" / "huber_center.py"
USER = P.load_family(str(USER_FILE))
#: one problem per family (the defaults), and the user's file
PROBLEMS = {name: P.make_problem(name) for name in P.FAMILIES} | {"huber_center": P.make_problem(USER)}


def _points(q, n=40, seed=0):
    rng = np.random.default_rng(seed)
    lo = q.lo if math.isfinite(q.lo) else -4.0
    hi = q.hi if math.isfinite(q.hi) else 4.0
    return rng.uniform(lo, hi, n)


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_the_gradient_is_the_derivative_of_the_loss(name):
    q = PROBLEMS[name]
    fam = q.family
    u = P.draws(q, 12, seed=1)
    h = 1e-6
    for k, x in enumerate(_points(q)):
        t = float(k % 12 + 1)
        cyc = float(fam.cycle_at(q.pp, np.array([t]))[0])
        uk = float(u[k % 12])
        g = fam.grad_jit(float(x), t, uk, cyc, *q.pp)
        f = [fam.loss_value(float(x) + s * h, t, uk, cyc, q.pp) for s in (-1.0, 1.0)]
        if fam.linear:
            assert fam.grad_jit(float(x) + 0.5, t, uk, cyc, *q.pp) == g  # a linear family's gradient ignores x
        assert (f[1] - f[0]) / (2 * h) == pytest.approx(g, rel=FAMILY_DERIVATIVE, abs=FAMILY_DERIVATIVE), (name, x)


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_the_optimum_minimises_the_average_loss_over_the_domain(name):
    q = PROBLEMS[name]
    fam = q.family
    T = 20000 if q.stochastic else 3 * 101
    t = np.arange(1, T + 1, dtype=np.float64)
    u, cyc = P.draws(q, T, seed=2), fam.cycle_at(q.pp, t)
    lo = q.lo if math.isfinite(q.lo) else q.xstar - 3.0
    hi = q.hi if math.isfinite(q.hi) else q.xstar + 3.0
    xs = np.linspace(lo, hi, 61)

    def avg(x):
        return sum(fam.loss_value(float(x), t[k], u[k], cyc[k], q.pp) for k in range(T)) / T

    best = xs[int(np.argmin([avg(x) for x in xs]))]
    assert abs(best - q.xstar) <= (hi - lo) / 60 * 1.01, (name, best, q.xstar)
    assert avg(q.xstar) <= min(avg(x) for x in xs) + 1e-12 * max(1.0, abs(avg(q.xstar)))


def _plain_sgd(q, lr, steps, x0, seed):
    """SGD on the family's own Python functions (not the compiled ones): x, regret sum."""
    fam = q.family
    u = P.draws(q, steps, seed)
    t = np.arange(1, steps + 1, dtype=np.float64)
    cyc = fam.cycle_at(q.pp, t)

    def f(x, k):
        if fam.loss is None:
            return fam.gradient(x, t[k], float(u[k]), float(cyc[k]), *q.pp) * x
        return fam.loss(x, t[k], float(u[k]), float(cyc[k]), *q.pp)

    x, xs, reg = x0, [x0], []
    for k in range(steps):
        g = fam.gradient(x, t[k], float(u[k]), float(cyc[k]), *q.pp)
        reg.append(f(x, k) - f(q.xstar, k))
        x = x - lr * g
        x = min(max(x, q.lo), q.hi)
        xs.append(x)
    return np.array(xs), np.array(reg)


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_generated_kernels_compute_the_family_as_a_plain_python_loop_does(name):
    q = PROBLEMS[name]
    alg = get_spec("sgd").resolve("paper", lr=0.05)
    xs, reg = _plain_sgd(q, 0.05, 200, 0.3, seed=4)
    tr = run(alg, problem=q, steps=200, x0=0.3, seed=4)
    assert np.array_equal(tr.xs[:, 0], xs) and np.array_equal(tr.regrets, reg), name
    # the sweep kernels: the same final x and average regret (blocked and scalar, same bits)
    algs = [alg.with_values(lr=v) for v in (0.05, 0.01, 0.2)]
    blocked = sweep(algs, q, steps=200, x0=0.3, seed=4, backend="blocked")
    scalar = sweep(algs, q, steps=200, x0=0.3, seed=4, backend="scalar")
    assert np.array_equal(blocked.final_x, scalar.final_x) and np.array_equal(blocked.average_regret, scalar.average_regret)
    assert blocked.final_x[0] == xs[-1]
    # a sweep adds the regrets of the steps one by one in float64, then divides by T
    s = 0.0
    for r in reg:
        s = s + r
    assert blocked.average_regret[0] == s / 200


def test_a_users_family_runs_everywhere_with_no_kernel_file_changed():
    """The file in tests/data/families, loaded by path: runs, sweeps (blocked, scalar and the
    CUDA simulator, bit for bit), ``optmath show --kernel`` names it."""
    q = P.make_problem(USER, c=-0.25, w=0.5)
    assert (q.xstar, q.stochastic, q.pp.tolist()) == (-0.25, True, [-0.25, 0.5, 0.25])
    adam = get_spec("adam").resolve("pytorch", lr=0.05)
    tr = run(adam, problem=q, steps=3000, x0=np.array([2.0, -2.0]), seed=1)
    assert np.all(np.abs(tr.xs[-1] - q.xstar) < 0.1)  # Adam settles near the centre
    code = f"""
import json, sys, numpy as np
from optmath import get_spec, problems as P
from optmath.kernels.runner import sweep
q = P.make_problem(P.load_family({str(USER_FILE)!r}), c=-0.25, w=0.5)
algs = [get_spec("adam").resolve("pytorch", lr=float(v)) for v in np.geomspace(1e-3, 1.0, 9)]
out = {{be: sweep(algs, q, steps=300, x0=0.4, seed=2, backend=be).final_x.view(np.uint64).tolist()
        for be in ("cuda", "blocked", "scalar")}}
print(json.dumps(out))
"""
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    r = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["cuda"] == out["blocked"] == out["scalar"]
    from optmath.kernels import generate

    src = generate.sweep_source(adam, USER)
    assert "huber_center" in src and USER.fingerprint in src


def _decl(**kw):
    base = dict(params=(Param("a", 1.0),), gradient=lambda x, t, u, cyc, a: a, loss=None, linear=True,
                optimum=lambda v: 0.0, domain=lambda v: (-1.0, 1.0), scale=lambda v: 1.0)
    base.update(kw)
    return family("bad", **base)


@pytest.mark.parametrize("kw, message", [
    (dict(params=()), "0 kernel parameters"),
    (dict(params=tuple(Param(f"a{i}", 1.0) for i in range(5))), "5 kernel parameters"),
    (dict(params=(Param("a", 1.0), Param("a", 2.0))), "repeated"),
    (dict(gradient=lambda x, t, u, a: a), "gradient takes (x, t, u, a); expected (x, t, u, cyc, a)"),
    (dict(linear=False), "loss=None (gradient times x) needs linear=True"),
    (dict(cycle=("a", "b")), "cycle ('a', 'b') must name two kernel parameters"),
    (dict(params=(1.0,)), "is not a Param"),
    (dict(optimum=3.0), "optimum is not a function"),
])
def test_a_bad_declaration_is_a_one_line_error(kw, message):
    with pytest.raises(OptmathError) as e:
        _decl(**kw)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_bad_family_files_and_parameters_are_one_line_errors(tmp_path):
    with pytest.raises(DomainError, match="does not exist"):
        P.load_family(str(tmp_path / "none.py"))
    (tmp_path / "empty.py").write_text("x = 1\n")
    with pytest.raises(OptmathTypeError, match="defines no FAMILY"):
        P.load_family(str(tmp_path / "empty.py"))
    for bad, message in [(dict(delta=0.0), "delta = 0.0 is outside its valid range"),
                         (dict(w="wide"), "w = 'wide' is not a number"), (dict(z=1), "unknown parameter(s) z")]:
        with pytest.raises(DomainError, match=message.replace("(", r"\(").replace(")", r"\)")):
            P.make_problem(USER, **bad)


def test_grid_axes_are_the_familys_parameters():
    from optmath.grid import Grid

    g = Grid.make("adam", "stochastic", {"p": [0.2, 0.4], "lr": [0.01]}, steps=50)
    assert g.size == 2 and g.batch(0, 2).pps[:, 1].tolist() == [0.2, 0.4]
    with pytest.raises(OptmathError, match="nosuch"):
        Grid.make("adam", "stochastic", {"nosuch": [1.0]}, steps=50).batch(0)
