"""High-precision replay (mpmath, 50 digits, 10,000 steps) and the golden values of REFERENCES.md."""
from __future__ import annotations

import numpy as np
import pytest

from optmath import get_spec, make_problem, run
from optmath.verify.replay import replay


def _streams():
    rng = np.random.default_rng(7)
    yield "normal", rng.normal(size=10_000)
    yield "reddi", np.where(np.arange(10_000) % 3 == 0, 3.0, -1.0)
    yield "heavy_tailed", rng.standard_cauchy(10_000)


@pytest.mark.parametrize("name,profile", [("adam", "pytorch"), ("adam", "keras"), ("yogi", "optax"), ("yogi", "paper")])
@pytest.mark.parametrize("stream", ["normal", "reddi", "heavy_tailed"])
def test_mpmath_replay_within_rounding_bound(name, profile, stream):
    G = dict(_streams())[stream]
    r = replay(get_spec(name).resolve(profile), G, x0=0.3, dps=50)
    assert r.kernel.shape == (10_001,)
    assert r.holds, f"worst error/bound ratio {r.worst_ratio:.3g}"
    assert r.error[-1] < 1e-11  # and the bound is not vacuous


def test_replay_detects_a_wrong_kernel():
    """The bound is tight enough to matter: a 1e-9 relative slip in one step's lr (a defect far
    smaller than any real bug) moves the final iterate by more than the stated rounding bound."""
    alg = get_spec("adam").resolve("pytorch")
    G = np.random.default_rng(0).normal(size=2000)
    ok = replay(alg, G)
    lrs = np.full(2000, alg.values["lr"])
    lrs[1000] *= 1 + 1e-9
    slipped = run(alg, G[:, None], schedule=lrs).xs[-1, 0]
    assert ok.holds
    assert abs(slipped - ok.exact[-1]) > ok.bound[-1]


GRAD = np.array([[1e-6, 1e-3, 1.0, -2.0]])
LR = 2.0**-10


def test_golden_adam_torch_optax_step1():
    want = [-9.668936e-04, -9.765527e-04, -9.765625e-04, 9.765625e-04]
    for profile in ("pytorch", "optax", "paper"):
        x1 = run(get_spec("adam").resolve(profile, lr=LR), GRAD).xs[1]
        np.testing.assert_allclose(x1, want, rtol=5e-7)


def test_golden_keras_adam_step1():
    want = [-2.346221e-04, -9.734841e-04, -9.765594e-04, 9.765610e-04]
    x1 = run(get_spec("adam").resolve("keras", lr=LR), GRAD).xs[1]
    np.testing.assert_allclose(x1, want, rtol=5e-7)


def test_golden_torch_sgd_momentum_step2():
    want = [-2.83203125e-09, -2.83203125e-06, -2.83203125e-03, 5.6640625e-03]
    x2 = run(get_spec("momentum").resolve("pytorch", lr=LR, mu=0.9), np.repeat(GRAD, 2, axis=0)).xs[2]
    np.testing.assert_allclose(x2, want, rtol=1e-15)


def test_golden_lr_baked_into_the_buffer():
    """g = 1, mu = 0.9, lr 0.1 then 0.01: p_2 = -0.119 (lr outside) vs -0.200 (lr inside)."""
    G, lrs = np.ones((2, 1)), np.array([0.1, 0.01])
    outside = run(get_spec("momentum").resolve("pytorch", mu=0.9), G, schedule=lrs).xs[2, 0]
    inside = run(get_spec("momentum").resolve("keras", mu=0.9), G, schedule=lrs).xs[2, 0]
    assert outside == pytest.approx(-0.119, abs=1e-15) and inside == pytest.approx(-0.2, abs=1e-15)


def test_golden_reddi_theorem1():
    """C = 3, b2 = 0.1, b1 = 0, lr 0.5/sqrt(t), no bias correction, eps = 0, x_1 = 1."""
    alg = get_spec("adam").resolve("paper", {"bias_correction": "none"}, lr=0.5, b1=0.0, b2=0.1, eps=0.0)
    tr = run(alg, problem=make_problem("reddi", C=3.0), steps=30_000, x0=1.0, schedule="inv_sqrt")
    assert tr.xs[1, 0] == pytest.approx(0.472954, abs=5e-7)
    assert tr.xs[2, 0] == pytest.approx(0.743323, abs=5e-7)
    assert np.all(tr.xs[3::3, 0] == 1.0)
    assert tr.average_regret == pytest.approx(2 / 3, abs=5e-3)  # (2C - 4)/3, approached from above
    ams = get_spec("amsgrad").resolve("paper", lr=0.5, b1=0.0, b2=0.1)
    tr2 = run(ams, problem=make_problem("reddi", C=3.0), steps=30_000, x0=1.0, schedule="inv_sqrt")
    assert tr2.final[0] < -0.99
