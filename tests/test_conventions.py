"""Convention fragments on every rule (issue 17): the weight-decay kinds act as their fragment
says on every spec that admits them, every profile is known as itself, and a switch setting that
no profile and no listed implementation uses is accepted but flagged, in ``optmath show`` and in
a conformance verdict."""
from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import CASES
from optmath.cli import cli
from optmath.optimizers import REGISTRY, get_spec
from optmath.errors import DomainError
from optmath.optimizers.fragments import RUNNING_MAX_CHOICES, STANDARD_DECAY, WEIGHT_DECAY_CHOICES
from optmath.verify.conformance import check
from optmath.verify.reference import numpy_namespace, reference_step
from optmath.verify.tolerances import FRAGMENT_IDENTITY

#: the rules whose decay is not a free fragment, and why
NO_DECAY_SWITCH = {
    "adamp": "its authors' decay is scaled by wd_ratio on projected tensors, a per-tensor choice not yet a fragment",
    "schedulefree_adamw": "its decay is taken at the interpolated point y, inside the gradient (not yet a fragment)",
    "schedulefree_sgd": "as schedulefree_adamw",
}
DECAYED = [n for n in REGISTRY if n not in NO_DECAY_SWITCH]


def test_every_rule_admits_every_standard_kind_of_weight_decay():
    assert set(NO_DECAY_SWITCH) <= set(REGISTRY)
    for name in DECAYED:
        choices = get_spec(name).switch("weight_decay").choices
        assert set(STANDARD_DECAY) <= set(choices), name
        assert all(choices[k] == WEIGHT_DECAY_CHOICES[k] for k in choices), name  # one wording, one fragment


def _run(alg, grads, x0, pre=None, post=None, extra=None):
    """The generated reference step of ``alg`` over ``grads``, with ``pre``/``post`` applied to the
    iterate around every step and ``extra(x)`` added to every gradient."""
    ref, F = reference_step(alg), numpy_namespace()
    x = np.array(x0, dtype=float)
    S = {s.name: np.full(x.size, alg.initial_value(s)) for s in alg.states}
    out = []
    with np.errstate(invalid="ignore"):  # a Piecewise evaluates the branch it does not take
        for k, g in enumerate(grads, start=1):
            if pre:
                x = pre(x)
            g = g + (extra(x) if extra else 0.0)
            x, S = ref.fn(x, g, k, x.size, dict(alg.values), S, F)
            x = np.broadcast_to(np.asarray(x, dtype=float), (len(x0),)).copy()
            S = {n: np.broadcast_to(np.asarray(v, dtype=float), (len(x0),)).copy() for n, v in S.items()}
            if post:
                x = post(x)
            out.append(x)
    return np.array(out)


@pytest.mark.parametrize("name", DECAYED)
def test_each_kind_of_weight_decay_is_its_fragment(name):
    """With decay of kind K the rule computes what it computes without decay on a modified
    problem: L2 adds wd x to the gradient, the decoupled kinds shrink x before the step, the
    kinds after the step shrink the stepped iterate."""
    spec = get_spec(name)
    profile = next(iter(spec.profiles))
    lr, wd = 0.05, 0.1
    grads = np.array([[0.3, -1.2], [0.5, 0.2], [-0.7, 0.9], [0.1, -0.4]])
    x0 = [1.0, -2.0]
    plain = spec.resolve(profile, {"weight_decay": "none"}, lr=lr, wd=wd)
    expect = {
        "l2": dict(extra=lambda x: wd * x),
        "decoupled": dict(pre=lambda x: x - lr * wd * x),
        "decoupled_unscaled": dict(pre=lambda x: x - wd * x),
        "decoupled_after": dict(post=lambda x: x * (1 - lr * wd)),
        "proximal": dict(post=lambda x: x / (1 + lr * wd)),
    }
    for kind in spec.switch("weight_decay").choices:
        if kind == "none":
            continue
        got = _run(spec.resolve(profile, {"weight_decay": kind}, lr=lr, wd=wd), grads, x0)
        want = _run(plain, grads, x0, **expect[kind])
        assert np.all(np.isfinite(got)), (name, kind)
        np.testing.assert_allclose(got, want, rtol=FRAGMENT_IDENTITY, atol=0, err_msg=f"{name} {kind}")
        assert not np.allclose(got, _run(plain, grads, x0), rtol=1e-6), (name, kind)  # the decay acts


MAXED = [n for n in REGISTRY if "amsgrad" in {s.name for s in get_spec(n).switches}]
LOOKAHEAD = [n for n in REGISTRY if "nesterov" in {s.name for s in get_spec(n).switches}]


def test_the_running_maximum_and_the_nesterov_fragment_are_offered_beyond_adam():
    assert {"adam", "amsgrad", "yogi", "adabelief", "adabound", "laprop"} <= set(MAXED)
    assert {"adam", "adamw", "yogi", "adabelief"} <= set(LOOKAHEAD)
    assert {"adam", "adamw", "amsgrad", "yogi", "adabelief"} <= set(ADAMD)
    for name in MAXED:  # one wording, one fragment
        assert all(v == RUNNING_MAX_CHOICES[k] for k, v in get_spec(name).switch("amsgrad").choices.items()), name


@pytest.mark.parametrize("name", MAXED)
def test_the_running_maximum_is_its_fragment(name):
    """Where the second moment never falls (|g| growing) its running maximum is the moment itself,
    so each kind of maximum computes what the rule without it computes; where it falls (|g|
    shrinking) the maximum acts."""
    spec = get_spec(name)
    profile = next(iter(spec.profiles))
    grow = np.geomspace(0.1, 10.0, 12)[:, None] * np.array([1.0, -2.0])
    for kind in spec.switch("amsgrad").choices:
        if kind == "none":
            continue
        sw = {"amsgrad": kind}
        names = {s.name for s in spec.switches}
        if kind == "corrected" and "eps_placement" in names and "vhat" in spec.switch("eps_placement").choices:
            sw["eps_placement"] = "vhat"  # the corrected maximum has no other eps form
        try:
            alg = spec.resolve(profile, sw, lr=0.05, b2=0.5)
        except DomainError:  # a combination the rule refuses (and says so)
            continue
        plain = spec.resolve(profile, {**sw, "amsgrad": "none"}, lr=0.05, b2=0.5)
        np.testing.assert_allclose(_run(alg, grow, [1.0, -2.0]), _run(plain, grow, [1.0, -2.0]),
                                   rtol=FRAGMENT_IDENTITY, atol=0, err_msg=f"{name} {kind}")
        fall = grow[::-1]
        assert not np.allclose(_run(alg, fall, [1.0, -2.0]), _run(plain, fall, [1.0, -2.0]), rtol=1e-6), (name, kind)


@pytest.mark.parametrize("name", LOOKAHEAD)
def test_the_nesterov_look_ahead_is_its_fragment(name):
    """With b1 = 0 the first moment is the gradient and looking it ahead changes nothing; with
    b1 = 0.9 it does."""
    spec = get_spec(name)
    profile = next(iter(spec.profiles))
    grads = np.array([[0.3, -1.2], [0.5, 0.2], [-0.7, 0.9], [0.1, -0.4], [0.8, 0.3]])
    for b1, same in ((0.0, True), (0.9, False)):
        ahead = _run(spec.resolve(profile, {"nesterov": "yes"}, lr=0.05, b1=b1), grads, [1.0, -2.0])
        plain = _run(spec.resolve(profile, {"nesterov": "no"}, lr=0.05, b1=b1), grads, [1.0, -2.0])
        if same:
            np.testing.assert_allclose(ahead, plain, rtol=FRAGMENT_IDENTITY, atol=0, err_msg=name)
        else:
            assert not np.allclose(ahead, plain, rtol=1e-6), name


ADAMD = [n for n in REGISTRY if "bias_correction" in {s.name for s in get_spec(n).switches}
         and "second" in get_spec(n).switch("bias_correction").choices]


@pytest.mark.parametrize("name", ADAMD)
def test_correcting_the_second_moment_only_is_its_fragment(name):
    """AdamD (bias_correction = second) is the fully corrected rule with every step's learning rate
    times 1 - b1^t: the first moment's correction is the only difference."""
    from optmath.verify.reference import reference_run

    spec = get_spec(name)
    profile = next(iter(spec.profiles))
    grads = np.array([[0.3, -1.2], [0.5, 0.2], [-0.7, 0.9], [0.1, -0.4], [0.8, 0.3], [-0.2, 0.6]])
    lrs = np.full(len(grads), 0.05)
    adamd = spec.resolve(profile, {"bias_correction": "second"}, lr=0.05, b1=0.9)
    both = spec.resolve(profile, {"bias_correction": "both"}, lr=0.05, b1=0.9)
    scaled = lrs * (1 - 0.9 ** np.arange(1, len(grads) + 1))
    got = reference_run(adamd, grads, [1.0, -2.0], lrs).xs
    np.testing.assert_allclose(got, reference_run(both, grads, [1.0, -2.0], scaled).xs, rtol=FRAGMENT_IDENTITY, atol=0)
    assert not np.allclose(got, reference_run(both, grads, [1.0, -2.0], lrs).xs, rtol=1e-6)


def test_show_names_the_packages_that_use_a_running_maximum_and_flags_one_none_uses(capsys):
    from optmath.cli import main

    runner = CliRunner()
    known = runner.invoke(cli, ["show", "adabound", "-p", "authors", "--switch", "amsgrad=raw"])
    assert known.exit_code == 0 and "conventions used by: authors_amsbound" in known.output
    new = runner.invoke(cli, ["show", "laprop", "--switch", "amsgrad=corrected"])
    assert new.exit_code == 0 and "conventions used by: no known implementation" in new.output
    with pytest.raises(SystemExit) as exit_:
        main(["show", "laprop", "-p", "pytorch_optimizer", "--switch", "amsgrad=corrected"])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert exit_.value.code == 2 and len(err) == 1 and "amsgrad='corrected' has no raw eps form" in err[0], err


@pytest.mark.parametrize("name,profile", CASES, ids=[f"{n}-{p}" for n, p in CASES])
def test_every_profile_is_known_as_itself(name, profile):
    alg = get_spec(name).resolve(profile)
    assert profile in [n for n, _ in alg.known_as()]


def test_listed_implementations_are_valid_settings_with_their_source():
    listed = 0
    for spec in REGISTRY.values():
        for iname, p in spec.implementations.items():
            assert iname not in spec.profiles and p.note and p.source, (spec.name, iname)
            for k, v in p.switches.items():
                assert v in spec.switch(k).choices, (spec.name, iname, k)
            sw = {k: v for k, v in spec.chosen_switches(p).items() if k not in spec.fixed}
            alg = spec.resolve(next(iter(spec.profiles)), sw, wd=1e-2)
            assert iname in [n for n, _ in alg.known_as()], (spec.name, iname)
            listed += 1
    assert listed >= 10


def test_known_as_ignores_a_switch_that_a_zero_hyperparameter_makes_moot():
    adagrad = get_spec("adagrad")
    assert adagrad.resolve("pytorch", {"weight_decay": "decoupled"}, wd=1e-2).known_as() == []
    assert "pytorch" in [n for n, _ in adagrad.resolve("pytorch", {"weight_decay": "decoupled"}, wd=0.0).known_as()]
    yogi_l2 = get_spec("yogi").resolve("optax", {"weight_decay": "l2"}, wd=1e-2)
    assert [n for n, _ in yogi_l2.known_as()] == ["torch_optimizer"]


def test_show_names_who_uses_the_conventions_and_flags_a_new_combination():
    run = CliRunner().invoke(cli, ["show", "adagrad", "-p", "pytorch", "--switch", "weight_decay=decoupled",
                                   "--set", "wd=0.01"])
    assert run.exit_code == 0, run.output
    assert "conventions used by: no known implementation" in run.output
    run = CliRunner().invoke(cli, ["show", "yogi", "-p", "optax", "--switch", "weight_decay=l2", "--set", "wd=0.01"])
    assert "conventions used by: torch_optimizer (torch-optimizer 0.3.0's Yogi)" in run.output
    run = CliRunner().invoke(cli, ["show", "adam", "-p", "pytorch"])
    assert "conventions used by: profile pytorch (torch.optim.Adam)" in run.output


def test_a_correct_rule_with_a_new_combination_conforms_and_is_flagged():
    r = check("tests/targets/conventions_impl.py:AdagradDecoupled", "adagrad", examples=5)
    assert r.conforms, str(r)
    assert not r.known_combination and "which no known implementation uses" in r.matched[0], str(r)
    assert "no profile and no known implementation" in str(r) and r.as_dict()["known_combination"] is False
    assert r.conventions["weight_decay"].startswith("decoupled:")


def test_weight_decay_given_as_an_option_is_the_value_the_spec_runs_with():
    # torch-optimizer's Yogi with weight_decay=1e-2 (issue 17): L2 decay, named as its listed implementation
    r = check("torch_optimizer:Yogi", "yogi", examples=5, options={"weight_decay": 1e-2})
    assert r.conforms and r.kwargs["weight_decay"] == 1e-2, str(r)
    assert r.known_combination and "torch-optimizer 0.3.0's Yogi" in r.matched[0], str(r)
    assert r.conventions["weight_decay"].startswith("l2:")
    betas = check("torch.optim:Adam", "adam", examples=3, options={"betas": (0.8, 0.99)})
    assert betas.conforms and betas.kwargs["betas"] == (0.8, 0.99), str(betas)


def test_a_flag_for_a_rule_s_native_convention_is_not_passed():
    # Lion's decay is decoupled by definition; lion-pytorch's decoupled_weight_decay=True divides wd by the initial lr
    r = check("lion_pytorch:Lion", "lion", examples=3)
    assert r.conforms and "decoupled_weight_decay" not in r.kwargs, str(r)


def _space(name, profile, wd=0.05):
    from optmath.verify.conformance import CandidateSpace

    spec = get_spec(name)
    vals = dict(spec.resolve(profile).values, lr=0.1)
    if "wd" in vals:
        vals["wd"] = wd
    return CandidateSpace(spec, vals, dict(vals), None, profile)


#: products the default tier settles exhaustively (a few seconds); the slow tier takes every spec
SETTLE_DEFAULT = [("adam", "pytorch"), ("nadam", "pytorch"), ("rmsprop_momentum", "pytorch")]


@pytest.mark.parametrize("name,profile", [
    pytest.param(n, next(iter(s.profiles)) if (n, "pytorch") not in SETTLE_DEFAULT else "pytorch", id=n,
                 marks=() if (n, "pytorch") in SETTLE_DEFAULT else pytest.mark.slow)
    for n, s in REGISTRY.items()])
def test_the_probes_settle_every_convention_setting_one_coordinate_at_a_time(name, profile):
    """Every setting of the product, simulated as the target, is found by settling the
    coordinates on the probes, trying fewer settings than the product has."""
    import itertools

    from optmath.verify.conformance import Outcome, probes, settle, simulate

    space = _space(name, profile)
    streams = [p for p in probes("torch", 0.1) if p.T < 1000]
    targets = [c for c in (space.at(st) for st in itertools.product(*(v for _, v in space.dims))) if c is not None]
    total = 0
    for truth in targets:
        seen = [(p, Outcome(simulate(truth.alg, p))) for p in streams]
        found, tried = settle(_space(name, profile), seen)
        assert found, (name, truth.describe())
        assert any(c.alg.updates == truth.alg.updates for c in found) or found[0].describe()
        total += tried
    if space.size >= 8:
        assert total / len(targets) < space.size, (name, total / len(targets), space.size)


def test_a_check_reports_how_many_settings_the_probes_tried():
    r = check("torch.optim:Adagrad", "adagrad", examples=0, options={"weight_decay": 1e-2})
    assert r.conforms and 0 < r.settings_tried <= r.settings == 6, str(r)
    assert f"conventions settled on the probes: {r.settings_tried} of 6 settings tried" in str(r)


@pytest.mark.parametrize("target,optimizer,options,named", [
    # issue 17's acceptance: installed classes, each with the fragment settings named
    ("torch_optimizer:Yogi", "yogi", {"weight_decay": 1e-2}, {"weight_decay": "l2", "init": "accumulator"}),
    ("adabelief_pytorch:AdaBelief", "adabelief", {"print_change_log": False},
     {"weight_decay": "decoupled", "rectify": "ge", "eps_placement": "hat"}),
    ("adabelief_pytorch:AdaBelief", "adabelief", {"weight_decay": 1e-2, "print_change_log": False},
     {"weight_decay": "decoupled", "rectify": "ge", "eps_placement": "hat"}),
    ("torch.optim:RAdam", "radam", {"weight_decay": 1e-2, "decoupled_weight_decay": True},
     {"weight_decay": "decoupled", "eps_placement": "raw"}),
    # the running-maximum and Nesterov fragments on rules beyond Adam's family (slow tier: the
    # corpus rows of the same classes run there too)
    pytest.param("torch_optimizer:AdaBound", "adabound", {"amsbound": True, "weight_decay": 1e-2},
                 {"amsgrad": "raw", "weight_decay": "l2"}, marks=pytest.mark.slow),
    pytest.param("pytorch_optimizer:LaProp", "laprop", {"ams_bound": True, "foreach": False},
                 {"amsgrad": "raw", "lr_placement": "inside", "eps_placement": "raw"}, marks=pytest.mark.slow),
    pytest.param("optax:adam", "adam", {"nesterov": True}, {"nesterov": "yes"}, marks=pytest.mark.slow),
    pytest.param("optax:adamw", "adamw", {"nesterov": True}, {"nesterov": "yes", "weight_decay": "decoupled"},
                 marks=pytest.mark.slow),
], ids=["torch-optimizer-yogi-wd", "adabelief-pytorch-defaults", "adabelief-pytorch-wd", "torch-radam-decoupled",
        "torch-optimizer-amsbound-wd", "pytorch-optimizer-laprop-ams-bound", "optax-adam-nesterov",
        "optax-adamw-nesterov"])
def test_installed_classes_with_weight_decay_conform_with_their_fragments_named(target, optimizer, options, named):
    r = check(target, optimizer, examples=5, options=options)
    assert r.conforms, str(r)
    for switch, value in named.items():
        assert r.conventions[switch].startswith(f"{value}:"), (switch, r.conventions)
        assert f"{switch}={value}" in r.matched[0], str(r)
    decay = "weight_decay" if "weight_decay" in r.kwargs else None
    if "weight_decay" in options:
        assert r.kwargs["weight_decay"] == options["weight_decay"]
    elif decay and "weight_decay" in named:  # the defaults: the checker probes decay with its own coefficient
        assert r.kwargs["weight_decay"] > 0


@pytest.mark.parametrize("target,optimizer,option,message", [
    ("torch.optim:SGD", "momentum", {"momentum": 1.0}, "an option sets mu outside the spec's domain"),
    ("tests/targets/conventions_impl.py:AdagradDecoupled", "adagrad", {"weight_decay": -0.01},
     "an option sets wd outside the spec's domain"),
    ("torch.optim:Adam", "adam", {"betas": (0.9, 1.5)}, "an option sets b2 outside the spec's domain"),
])
def test_an_option_outside_the_spec_s_domain_is_a_usage_error(target, optimizer, option, message, capsys):
    import json

    from optmath.cli import main
    from optmath.errors import OptmathError

    with pytest.raises(OptmathError, match=message):
        check(target, optimizer, examples=0, options=option)
    (key, value), = option.items()
    with pytest.raises(SystemExit) as exit_:
        main(["check", target, "--as", optimizer, "-q", "--examples", "0", "-o", f"{key}={json.dumps(value)}"])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert exit_.value.code == 2 and len(err) == 1 and message in err[0], err


def test_a_keyword_that_holds_one_minus_the_hyperparameter_is_declared_not_adapted():
    target = "tests/targets/conventions_impl.py:AdamComplementBetas"
    plain = check(target, "adam", examples=0)
    assert not plain.conforms  # told betas = (0.9, 0.999), it runs with (0.1, 0.001)
    r = check(target, "adam", examples=5, keywords={"b1": "1 - betas[0]", "b2": "1-betas[1]"})
    assert r.conforms and "profile pytorch" in r.matched[0], str(r)
    assert r.kwargs["betas"] == pytest.approx((0.1, 0.001), abs=1e-15)
    given = check(target, "adam", examples=3, keywords={"b1": "1 - betas[0]", "b2": "1 - betas[1]"},
                  options={"betas": (0.2, 0.01)})  # an option by that keyword is read through the declaration
    assert given.conforms, str(given)


@pytest.mark.parametrize("keywords,error,message", [
    ({"b1": "betas[0] ** 2"}, "TargetError", "must be NAME, NAME[i], 1 - NAME or 1 - NAME[i]"),
    ({"b1": "__import__('os')"}, "TargetError", "must be NAME, NAME[i], 1 - NAME or 1 - NAME[i]"),
    ({"beta1": "betas[0]"}, "UnknownNameError", "beta1"),
])
def test_a_bad_keyword_declaration_is_a_one_line_usage_error(keywords, error, message):
    import re

    from optmath.errors import UnknownNameError
    from optmath.verify.targets import TargetError

    with pytest.raises({"TargetError": TargetError, "UnknownNameError": UnknownNameError}[error], match=re.escape(message)):
        check("torch.optim:Adam", "adam", examples=0, keywords=keywords)


def test_the_cli_takes_keyword_declarations(capsys):
    from optmath.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["check", "tests/targets/conventions_impl.py:AdamComplementBetas", "--as", "adam", "-q",
              "--examples", "2", "-k", "b1=1 - betas[0]", "-k", "b2=1 - betas[1]"])
    assert exit_.value.code == 0 and "CONFORMS" in capsys.readouterr().out
