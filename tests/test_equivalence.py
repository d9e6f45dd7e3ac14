"""Every equivalence case of issue 4, point 1: the verdict kind, its map, conditions or witness,
and the kernel confirmation (agreement with the map or condition applied, disagreement without)."""
from __future__ import annotations

import pytest

from optmath.verify.equivalence import equivalence
from optmath.errors import DomainError, OptmathError, OptmathTypeError, UnknownNameError

AGREE = 1e-12  # scaled difference of two kernels that must be the same method
DISAGREE = 1e-9  # a violated condition must show at least this much


def test_pytorch_vs_keras_momentum_is_identical_without_dampening():
    r = equivalence("momentum:pytorch", "momentum:keras")
    assert r.kind == "identical" and r.numeric["max_scaled_difference"] < AGREE


def test_pytorch_vs_keras_momentum_with_dampening_needs_damp_zero():
    r = equivalence("momentum:pytorch", "momentum:keras", keep=("damp",))
    assert r.kind == "conditional" and r.conditions == ["damp = 0"]
    assert r.numeric["with damp = 0"] < AGREE and r.numeric["with damp = 0.1"] > DISAGREE


def test_pytorch_vs_keras_momentum_with_changing_lr_needs_constant_lr():
    r = equivalence("momentum:pytorch", "momentum:keras", varying_lr=True)
    assert r.kind == "conditional" and r.conditions == ["constant lr"]
    assert r.numeric["constant_lr"] < AGREE and r.numeric["decaying_lr"] > DISAGREE


def test_pytorch_vs_sutskever_nesterov_is_an_iterate_shift():
    r = equivalence("nesterov:pytorch", "nesterov:paper")
    assert r.kind == "shift" and "mu*vel + x" in r.shift


def test_heavy_ball_vs_ema_momentum_map():
    # B = buffer form with dampening: EMA momentum is the member damp_B = mu_B of the family
    r = equivalence("momentum:paper", "momentum:optax", keep=("damp",))
    assert r.kind == "reparameterisation"
    assert r.map["mu_B"] == "mu" and r.map["free"] == "lr_B"
    import sympy as sp
    lr, lrB, mu = sp.symbols("lr lr_B mu")
    damp = sp.sympify(r.map["damp_B"])
    # with damp_B = mu_B = mu the map gives lr_B = lr/(1 - mu): the textbook mapping, derived
    assert sp.simplify(sp.solve(sp.Eq(damp, mu), lrB)[0] - lr / (1 - mu)) == 0
    assert r.numeric["max_scaled_difference"] < AGREE


def test_pytorch_vs_keras_adam_eps_relation():
    r = equivalence("adam:pytorch", "adam:keras", steps=2)
    assert r.kind == "conditional"
    assert "eps = 0" in r.conditions and "eps_B at step t = eps*sqrt(1 - b2**t)" in r.conditions
    assert r.numeric["with eps = 0"] < AGREE and r.numeric["with eps = 0.001"] > DISAGREE


@pytest.mark.parametrize("a,b,step", [("amsgrad:pytorch", "amsgrad:optax", 2),
                                      ("amsgrad:pytorch", "amsgrad:paper", 1)])
def test_amsgrad_variants_differ_with_a_witness(a, b, step):
    r = equivalence(a, b, steps=2)
    assert r.kind == "different" and r.first_difference == step
    assert r.witness["step"] == step and r.witness["x_A"] != r.witness["x_B"] and r.witness["exact"]
    assert r.numeric["max_scaled_difference"] > DISAGREE


def test_adamw_vs_adam_l2_agree_only_without_decay():
    r = equivalence("adamw:pytorch", "adam:pytorch", steps=2, keep=("wd",))
    assert r.kind == "conditional" and r.conditions == ["wd = 0"]
    assert r.numeric["with wd = 0"] < AGREE and r.numeric["with wd = 0.01"] > DISAGREE


def test_adamw_decay_times_lr_vs_schedule_only():
    r = equivalence("adamw:pytorch", "adamw:paper", steps=2)
    assert r.kind == "reparameterisation" and r.map == {"wd_B": "lr*wd"}
    assert r.numeric["max_scaled_difference"] < AGREE
    varying = equivalence("adamw:pytorch", "adamw:paper", steps=2, varying_lr=True)
    assert varying.kind != "identical"  # with a schedule the map wd_B = lr_t wd changes every step


def test_rmsprop_is_adam_with_b1_zero_and_no_bias_correction():
    r = equivalence("rmsprop:pytorch", "adam:pytorch", steps=2, b_switches={"bias_correction": "none"},
                    b_values={"b1": 0.0})
    assert r.kind == "reparameterisation" and r.map == {"b2_B": "alpha"}
    assert r.numeric["max_scaled_difference"] < AGREE
    with_correction = equivalence("rmsprop:pytorch", "adam:pytorch", steps=2, b_values={"b1": 0.0})
    assert with_correction.kind == "different" and with_correction.first_difference == 1


def test_nadam_pytorch_vs_keras_vs_optax():
    r = equivalence("nadam:pytorch", "nadam:keras", steps=2)
    assert r.kind == "conditional" and r.conditions == ["psi = 1"]
    assert r.numeric["with psi = 1"] < AGREE and r.numeric["with psi = 0.5"] > DISAGREE
    k = equivalence("nadam:keras", "nadam:optax", steps=2)
    assert k.kind == "different" and k.first_difference == 1


@pytest.mark.parametrize("name", ["adagrad", "rmsprop"])
def test_eps_inside_vs_outside_the_root(name):
    r = equivalence(f"{name}:pytorch", f"{name}:keras", steps=2)
    assert "CONDITIONAL" in r._repr_markdown_() and r.as_dict()["kind"] == "conditional"
    assert r.kind == "conditional" and "eps = 0" in r.conditions
    assert r.numeric["with eps = 0"] < AGREE
    assert max(v for k, v in r.numeric.items() if k.startswith("with eps = ") and k != "with eps = 0") > DISAGREE


def test_yogi_optax_vs_tf_addons():
    r = equivalence("yogi:optax", "yogi:keras", steps=2)
    assert r.kind == "conditional" and r.conditions == ["acc0 = 0 and eps = 0"]
    assert r.numeric["with acc0 = 0 and eps = 0"] < AGREE


def test_bad_input():
    with pytest.raises(UnknownNameError):
        equivalence("nope:paper", "adam")
    with pytest.raises(UnknownNameError):
        equivalence("adam:nope", "adam")
    with pytest.raises(DomainError):
        equivalence("adam", "adam", steps=0)
    with pytest.raises(DomainError):
        equivalence("adamp", "adam")
    with pytest.raises(OptmathTypeError):
        equivalence(3, "adam")
    with pytest.raises(OptmathError):
        equivalence("adam", "adam", b_values={"b1": 2.0})
