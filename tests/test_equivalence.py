"""Every equivalence case of issue 4, point 1: the verdict kind, its map, conditions or witness,
and the kernel confirmation (agreement with the map or condition applied, disagreement without)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from optmath.kernels.runner import run
from optmath.optimizers import get_spec
from optmath.verify import equivalence as E
from optmath.verify.equivalence import equivalence
from optmath.errors import DomainError, OptmathError, OptmathTypeError, UnknownNameError

AGREE = 1e-12  # scaled difference of two kernels that must be the same method
DISAGREE = 1e-9  # a violated condition must show at least this much


def test_pytorch_vs_keras_momentum_is_identical_without_dampening():
    r = equivalence("momentum:pytorch", "momentum:keras", shipped_too=False)
    assert r.kind == "identical" and r.numeric["max_scaled_difference"] < AGREE


def test_pytorch_vs_keras_momentum_with_dampening_needs_damp_zero():
    r = equivalence("momentum:pytorch", "momentum:keras", keep=("damp",))
    assert r.kind == "conditional" and r.conditions == ["damp = 0"]
    assert r.numeric["with damp = 0"] < AGREE and r.numeric["with damp = 0.1"] > DISAGREE


def test_pytorch_vs_keras_momentum_with_changing_lr_needs_constant_lr():
    r = equivalence("momentum:pytorch", "momentum:keras", varying_lr=True, shipped_too=False)
    assert r.kind == "conditional" and r.conditions == ["constant lr"]
    assert r.numeric["constant_lr"] < AGREE and r.numeric["decaying_lr"] > DISAGREE


def test_pytorch_vs_sutskever_nesterov_is_an_iterate_shift():
    r = equivalence("nesterov:pytorch", "nesterov:paper", shipped_too=False)
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
    r = equivalence("adam:pytorch", "adam:keras", steps=2, shipped_too=False)
    assert r.kind == "conditional"
    assert "eps = 0" in r.conditions and "eps_B at step t = eps*sqrt(1 - b2**t)" in r.conditions
    assert r.numeric["with eps = 0"] < AGREE and r.numeric["with eps = 0.001"] > DISAGREE


@pytest.mark.parametrize("a,b,step", [("amsgrad:pytorch", "amsgrad:optax", 2),
                                      ("amsgrad:pytorch", "amsgrad:paper", 1)])
def test_amsgrad_variants_differ_with_a_witness(a, b, step):
    r = equivalence(a, b, steps=2, shipped_too=False)
    assert r.kind == "different" and r.first_difference == step
    assert r.witness["step"] == step and r.witness["x_A"] != r.witness["x_B"] and r.witness["exact"]
    assert r.numeric["max_scaled_difference"] > DISAGREE


def test_adamw_vs_adam_l2_agree_only_without_decay():
    r = equivalence("adamw:pytorch", "adam:pytorch", steps=2, keep=("wd",))
    assert r.kind == "conditional" and r.conditions == ["wd = 0"]
    assert r.numeric["with wd = 0"] < AGREE and r.numeric["with wd = 0.01"] > DISAGREE


def test_adamw_decay_times_lr_vs_schedule_only():
    r = equivalence("adamw:pytorch", "adamw:paper", steps=2, shipped_too=False)
    assert r.kind == "reparameterisation" and r.map == {"wd_B": "lr*wd"}
    assert r.numeric["max_scaled_difference"] < AGREE
    varying = equivalence("adamw:pytorch", "adamw:paper", steps=2, varying_lr=True, shipped_too=False)
    assert varying.kind != "identical"  # with a schedule the map wd_B = lr_t wd changes every step


def test_rmsprop_is_adam_with_b1_zero_and_no_bias_correction():
    r = equivalence("rmsprop:pytorch", "adam:pytorch", steps=2, b_switches={"bias_correction": "none"},
                    b_values={"b1": 0.0})
    assert r.kind == "reparameterisation" and r.map == {"b2_B": "alpha"}
    assert r.numeric["max_scaled_difference"] < AGREE
    with_correction = equivalence("rmsprop:pytorch", "adam:pytorch", steps=2, b_values={"b1": 0.0}, shipped_too=False)
    assert with_correction.kind == "different" and with_correction.first_difference == 1


@pytest.mark.slow  # 22 s; one-name conditions stay in the default tier (the eps tests below)
def test_nadam_pytorch_vs_keras_vs_optax():
    r = equivalence("nadam:pytorch", "nadam:keras", steps=2, shipped_too=False)
    assert r.kind == "conditional" and r.conditions == ["psi = 1"]
    assert r.numeric["with psi = 1"] < AGREE and r.numeric["with psi = 0.5"] > DISAGREE
    k = equivalence("nadam:keras", "nadam:optax", steps=2, shipped_too=False)
    assert k.kind == "different" and k.first_difference == 1


@pytest.mark.parametrize("name", ["adagrad", "rmsprop"])
def test_eps_inside_vs_outside_the_root(name):
    r = equivalence(f"{name}:pytorch", f"{name}:keras", steps=2)
    assert "CONDITIONAL" in r._repr_markdown_() and r.as_dict()["kind"] == "conditional"
    assert r.kind == "conditional" and "eps = 0" in r.conditions
    assert r.numeric["with eps = 0"] < AGREE
    assert max(v for k, v in r.numeric.items() if k.startswith("with eps = ") and k != "with eps = 0") > DISAGREE


@pytest.mark.slow  # 14 s, the only two-name condition; with the property test over every pair
def test_yogi_optax_vs_tf_addons():
    r = equivalence("yogi:optax", "yogi:keras", steps=2, shipped_too=False)
    assert r.kind == "conditional" and r.conditions == ["acc0 = 0 and eps = 0"]
    assert r.numeric["with acc0 = 0 and eps = 0"] < AGREE


def test_bad_input():
    with pytest.raises(UnknownNameError):
        equivalence("nope:paper", "adam", shipped_too=False)
    with pytest.raises(UnknownNameError):
        equivalence("adam:nope", "adam", shipped_too=False)
    with pytest.raises(DomainError):
        equivalence("adam", "adam", steps=0, shipped_too=False)
    with pytest.raises(DomainError):
        equivalence("adamp", "adam", shipped_too=False)
    with pytest.raises(OptmathTypeError):
        equivalence(3, "adam")
    with pytest.raises(OptmathError):
        equivalence("adam", "adam", b_values={"b1": 2.0}, shipped_too=False)


# ---------------------------------------------------------------------------------------------
# issue 19: the profiles as shipped, witnesses, and verdicts that never contradict their numbers

def test_radam_paper_vs_pytorch_as_shipped_differ_from_step_5_with_an_exact_witness():
    # rho_5 = 4.996 with b2 = 0.999: above the paper's threshold 4, below PyTorch's 5
    r = equivalence("radam:paper", "radam:pytorch")
    s = r.shipped
    assert s.kind == "different" and s.constant_lr["first_difference"] == 5
    assert s.changing_lr["first_difference"] == 5
    w = s.constant_lr["witness"]
    assert w["step"] == 5 and w["exact"] and w["stream"] == [1] * 5 and w["x_A"] != w["x_B"]
    assert s.defaults_differ == {"eps": ["0", "1e-08"], "threshold": ["4", "5"]}
    # (b): the update rules with shared hyperparameters are the same (lerp and blend EMA agree)
    assert r.kind == "identical" and r.numeric["max_scaled_difference"] < AGREE
    assert "as shipped DIFFERENT from step 5" in str(r) and "update rules IDENTICAL" in str(r)
    # independently: the SMA length at step 5 lies between the two thresholds ...
    b2 = sp.Rational(999, 1000)
    rho5 = 2 / (1 - b2) - 1 - 2 * 5 * b2**5 / (1 - b2**5)
    assert 4 < rho5 < 5
    # ... and the kernels with each profile's own defaults agree to step 4 and split at step 5
    xa = run(get_spec("radam").resolve("paper"), np.ones((6, 1))).xs[:, 0]
    xb = run(get_spec("radam").resolve("pytorch"), np.ones((6, 1))).xs[:, 0]
    assert np.allclose(xa[:5], xb[:5], rtol=1e-14, atol=0) and abs(xa[5] - xb[5]) > 1e-4
    # the witness's PyTorch value is the unrectified step: five steps of lr * m_hat = lr
    assert sp.Float(w["x_B"], 25) == sp.Float("-0.005", 25)


def test_pinned_thresholds_differ_at_step_5_and_the_kernel_line_shows_it():
    r = equivalence("radam:paper", "radam:pytorch", a_values={"threshold": 4.0}, b_values={"threshold": 5.0},
                    shipped_too=False)
    assert r.kind == "different" and r.first_difference == 5 and r.witness["exact"]
    assert r.witness["hyperparameters (B)"]["threshold"] == "5"
    assert r.numeric["max_scaled_difference"] > DISAGREE


def test_gt_against_ge_is_identical_except_on_the_threshold_itself():
    # PyTorch's rule against the same rule with >=, at eps = 1e-3 (the case)
    r = equivalence("radam:pytorch", "radam:pytorch", b_switches={"threshold_rule": "ge"},
                    a_values={"eps": 1e-3}, b_values={"eps": 1e-3})
    assert r.kind == "identical" and r.except_where == ["rho_t = threshold"] and not r.conditions
    w = r.exception_witness
    assert w["exact"] and w["x_A"] != w["x_B"] and w["on"].startswith("threshold = rho_t at step")
    assert all(c["ok"] for c in r.checks) and r.numeric["max_scaled_difference"] < AGREE
    assert r.shipped.kind == "identical"
    assert "IDENTICAL except where rho_t = threshold" in str(r)


def test_a_changing_lr_is_named_as_an_assumption_with_a_witness():
    r = equivalence("momentum:pytorch", "momentum:keras")
    assert r.kind == "identical" and r.assumptions == ["constant lr"]
    w = r.lr_witness
    # by hand, g = (1, 1), lr_k = 1/(1000 k): PyTorch v = mu v + g, x -= lr_k v gives
    # x_2 = -0.001 - 0.0005 * 1.9; Keras v = mu v - lr_k g, x += v gives x_2 = -0.001 - 0.0014
    assert w["lrs"] == "lr/k" and w["step"] == 2 and w["exact"]
    assert sp.Float(w["x_A"], 20) == sp.Float("-0.00195", 20) and sp.Float(w["x_B"], 20) == sp.Float("-0.0024", 20)
    v = equivalence("momentum:pytorch", "momentum:keras", varying_lr=True, shipped_too=False)
    assert v.kind == "conditional" and v.first_difference == 2 and v.witness == w
    assert json.loads(json.dumps(v.as_dict(), default=str))["witness"]["step"] == 2
    assert r.shipped.kind == "conditional" and r.shipped.conditions == ["constant lr"]


def test_a_verdict_its_numbers_contradict_is_inconclusive(monkeypatch):
    # a symbolic side that (wrongly) finds every difference zero: the kernels must overrule it
    monkeypatch.setattr(E, "_zero", lambda *args, **kw: True)
    r = equivalence("amsgrad:pytorch", "amsgrad:optax", steps=2, shipped_too=False)
    assert r.kind == "inconclusive" and r.claimed == "identical"
    assert "expected to agree, found differ" in r.reason and "INCONCLUSIVE" in str(r)


def test_the_pair_set_holds_the_frameworks_report():
    from optmath.report.topics.frameworks import OPTIMIZERS, profile_order

    pairs = set(E.profile_pairs())
    for name in OPTIMIZERS:
        spec = get_spec(name)
        profiles = profile_order(spec)
        base = "pytorch" if "pytorch" in profiles else "paper"
        for p in profiles:
            if p != base:
                assert (f"{name}:{base}", f"{name}:{p}") in pairs
    assert len(pairs) == len(E.profile_pairs())


#: the bounded form of the property test in the default tier: pairs of the fixed set not tested
#: above (identical as shipped or not, an lr assumption found only at drawn values, a shift);
#: the slow test below covers every pair
PROPERTY_SAMPLE = [("lion:paper", "lion:optax"), ("rmsprop_momentum:paper", "rmsprop_momentum:optax"),
                   ("nesterov:paper", "nesterov:keras")]


def _sound(r):
    assert r.kind in E.KINDS
    if r.kind == "inconclusive":
        assert r.reason and r.claimed and r.claimed != "inconclusive"
    else:
        assert all(c["ok"] for c in r.checks) and (r.checks or r.kind == "shift")
    if r.kind in ("conditional", "different"):
        assert r.witness and r.first_difference == r.witness["step"] and r.witness["x_A"] != r.witness["x_B"]
    s = r.shipped
    assert s.kind in ("identical", "conditional", "different", "inconclusive")
    if s.kind == "different":
        w = s.constant_lr["witness"]
        assert w and w["step"] == s.constant_lr["first_difference"] and w["x_A"] != w["x_B"]
    if s.kind == "conditional":
        assert s.constant_lr["kind"] == "identical" and s.changing_lr["witness"]
    return r


@pytest.mark.parametrize("a,b", PROPERTY_SAMPLE)
def test_a_sample_of_the_pair_set_is_decided_without_contradiction(a, b):
    r = _sound(equivalence(a, b))
    assert r.kind != "inconclusive" and r.shipped.kind != "inconclusive"


@pytest.mark.slow
def test_every_pair_of_the_fixed_set_is_decided_without_contradiction():
    results = [_sound(equivalence(a, b)) for a, b in E.profile_pairs()]
    inconclusive = [f"{r.a} vs {r.b}: {r.reason}" for r in results if r.kind == "inconclusive"]
    inconclusive += [f"{r.a} vs {r.b} as shipped" for r in results if r.shipped.kind == "inconclusive"]
    assert len(inconclusive) <= 0.05 * 2 * len(results), inconclusive
