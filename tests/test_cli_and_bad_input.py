"""The CLI (one-line errors, exit code 2, lazy imports, Numba cache) and bad input through the API."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from optmath import (DomainError, NonFiniteError, OptmathError, OptmathTypeError, ShapeError, UnknownNameError,
                     get_spec, make_problem, parse_problem, run, sweep)
from optmath.optimizers import REGISTRY


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "optmath.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)


def test_help_imports_neither_numba_nor_sympy():
    code = ("import sys; sys.argv=['optmath','--help']\nfrom optmath.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "bad=[m for m in sys.modules if m.split('.')[0] in ('numba','sympy')]\nprint('HEAVY', bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert "HEAVY []" in out


def test_list_shows_every_optimizer_with_profiles():
    r = cli("list")
    assert r.returncode == 0
    for name, spec in REGISTRY.items():
        assert name in r.stdout
    assert "paper, pytorch, keras, optax, d2l" in r.stdout


def test_show_adam_keras_and_pytorch_forms():
    keras = cli("show", "adam", "--profile", "keras")
    torch = cli("show", "adam", "--profile", "pytorch")
    assert "eps-hat" in keras.stdout and "sqrt(1 - b2**t)" in keras.stdout and "eps=1e-07" in keras.stdout
    assert "vhat <- v/(1 - b2**t)" in torch.stdout and "eps=1e-08" in torch.stdout
    tex = cli("show", "adam", "--profile", "keras", "--latex").stdout
    assert r"\sqrt{1 - \beta_{2}^{t}}" in tex


@pytest.mark.parametrize("args,needle", [
    (("show", "adamz"), "unknown optimizer 'adamz'"),
    (("show", "adam", "--profile", "tf"), "unknown profile"),
    (("show", "adam", "--set", "b1=1"), "b1 = 1.0 is outside its valid range [0, 1)"),
    (("show", "adam", "--set", "lr=0"), "lr = 0.0 is outside"),
    (("show", "adam", "--set", "eps=-1"), "eps = -1.0 is outside"),
    (("show", "adam", "--set", "b1=abc"), "is not a number"),
    (("show", "adam", "--switch", "eps_placement=nowhere"), "unknown value of switch eps_placement"),
    (("run", "adam", "--problem", "reddi:C=abc"), "C = 'abc' is not a number"),
    (("run", "adam", "--problem", "nope"), "unknown problem 'nope'"),
    (("run", "adam", "--problem", "quadratic", "--steps", "0"), "steps = 0"),
    (("run", "adam", "--problem", "quadratic", "--schedule", "cosine"), "unknown schedule 'cosine'"),
    (("run", "adam", "--problem", "reddi:lo=1,hi=-1"), "lo = 1.0 must be below hi = -1.0"),
    (("run", "adam"), "Missing option"),
])
def test_cli_bad_input_is_one_line_exit_2(args, needle):
    r = cli(*args)
    assert r.returncode == 2, r
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in r.stderr, r.stderr


def test_cli_nonfinite_run_reports_step():
    r = cli("run", "sgd", "--problem", "quadratic:h=1", "--x0", "1", "--set", "lr=1e10", "--steps", "200")
    assert r.returncode == 2 and "non-finite value at step" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_second_run_loads_compiled_kernels_from_the_cache(tmp_path):
    code = ("import numpy as np\nfrom optmath import get_spec, run\nfrom optmath.kernels import generate\n"
            "alg = get_spec('adam').resolve('pytorch')\n"
            "run(alg, problem='reddi', steps=100)\n"
            "from optmath.problems import get_family\n"
            "k = generate.load_oracle(alg, get_family('reddi')).run_oracle\n"
            "import json; print(json.dumps({'hits': sum(k.stats.cache_hits.values()),"
            " 'misses': sum(k.stats.cache_misses.values())}))")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba"), "OPTMATH_KERNEL_CACHE": str(tmp_path / "gen")}
    first = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env).stdout)
    second = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env).stdout)
    assert first["misses"] == 1 and second["hits"] == 1 and second["misses"] == 0


def test_api_bad_shapes_and_values():
    alg = get_spec("adam").resolve("pytorch")
    with pytest.raises(ShapeError, match=r"x0 has shape \(2,\), expected \(3,\)"):
        run(alg, np.ones((5, 3)), x0=[1.0, 2.0])
    with pytest.raises(ShapeError, match="grads must have shape"):
        run(alg, np.ones((2, 2, 2)))
    with pytest.raises(ShapeError, match="learning-rate array"):
        run(alg, np.ones((5, 1)), schedule=np.ones(4))
    with pytest.raises(DomainError, match="learning rate at step 2"):
        run(alg, np.ones((3, 1)), schedule=np.array([0.1, -0.1, 0.1]))
    with pytest.raises(NonFiniteError, match="step 3, coordinate 1 is nan") as e:
        G = np.ones((5, 2)); G[2, 1] = np.nan
        run(alg, G)
    assert e.value.step == 3
    with pytest.raises(NonFiniteError, match="inf"):
        run(alg, np.ones((2, 1)), x0=np.inf)
    with pytest.raises(DomainError, match="exactly one"):
        run(alg)
    with pytest.raises(OptmathTypeError):
        run(3.0, np.ones((2, 1)))
    with pytest.raises(DomainError, match="empty"):
        run(alg, np.ones((2, 1)), lo=1.0, hi=0.0)
    with pytest.raises(UnknownNameError):
        run(alg, np.ones((2, 1)), on_nonfinite="ignore")
    with pytest.raises(DomainError, match="problem parameter p = 2.0"):
        make_problem("stochastic", p=2.0)
    with pytest.raises(DomainError, match="unknown parameter"):
        parse_problem("reddi:Z=1")
    with pytest.raises(ShapeError):
        sweep([alg, alg], ["reddi"] * 3, steps=10)
    for cls in (ShapeError, NonFiniteError, DomainError, UnknownNameError):
        assert issubclass(cls, OptmathError) and issubclass(cls, ValueError)


def test_nonfinite_during_an_oracle_run_is_reported_with_its_step():
    alg = get_spec("sgd").resolve("paper", lr=1e10)
    with pytest.raises(NonFiniteError, match=r"non-finite value at step \d+") as e:
        run(alg, problem="quadratic:h=1", steps=500, x0=1.0)
    stopped = run(alg, problem="quadratic:h=1", steps=500, x0=1.0, on_nonfinite="stop")
    assert stopped.nonfinite_step == e.value.step and stopped.xs.shape[0] == e.value.step + 1


def test_sweep_matches_single_runs_bit_for_bit():
    spec = get_spec("yogi")
    algs = [spec.resolve("optax", lr=lr, b2=b2) for lr in (0.01, 0.1) for b2 in (0.9, 0.999)]
    res = sweep(algs, "stochastic:C=3,p=0.3", steps=2000, x0=0.5, seed=3)
    for k, a in enumerate(algs):
        tr = run(a, problem="stochastic:C=3,p=0.3", steps=2000, x0=0.5, seed=3)
        assert tr.final[0] == res.final_x[k]
        assert np.isclose(tr.average_regret, res.average_regret[k], rtol=1e-12)


def test_nesterov_lookahead_uses_the_gradient_at_the_lookahead_point():
    """Sutskever's form on a quadratic equals the PyTorch form shifted (checked on iterates)."""
    a = run(get_spec("nesterov").resolve("paper", lr=0.1, mu=0.9), problem="quadratic:h=1,c=0", steps=50, x0=1.0)
    # hand recurrence: v = mu v - lr h (x + mu v); x = x + v
    x, v = 1.0, 0.0
    for _ in range(50):
        v = 0.9 * v - 0.1 * (x + 0.9 * v)
        x = x + v
    assert a.final[0] == pytest.approx(x, rel=1e-13)


def test_demo_runs_and_writes_a_report(tmp_path):
    r = cli("demo", "--out", str(tmp_path), "--steps", "3000")
    assert r.returncode == 0, r.stderr
    assert "all checks passed" in r.stdout
    data = json.loads((tmp_path / "demo.json").read_text())
    assert data["ok"] and data["provenance"]["seed"] == 0
    md = (tmp_path / "demo.md").read_text()
    assert md.startswith("# optmath demo report")
    from optmath.report.html import to_html

    assert (tmp_path / "demo.html").read_text() == to_html(md, "optmath demo report")
