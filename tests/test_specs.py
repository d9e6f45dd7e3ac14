"""Generic properties of every spec in the registry, and the conventions that must exist."""
from __future__ import annotations

import math

import pytest

from conftest import CASES
from optmath import DomainError, OptmathError, OptmathTypeError, UnknownNameError, get_spec
from optmath.optimizers import REGISTRY

REQUIRED = {"adam", "adamw", "amsgrad", "adamax", "nadam", "radam", "yogi", "adamp", "adabelief", "lion",
            "gd", "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "rmsprop_centered",
            "rmsprop_momentum", "rmsprop_nesterov", "adadelta"}


def test_registry_covers_the_issue_list():
    assert REQUIRED <= set(REGISTRY)


@pytest.mark.parametrize("name,profile", CASES)
def test_spec_renders(name, profile):
    alg = get_spec(name).resolve(profile)
    tex = alg.latex()
    assert tex.startswith(r"\begin{array}") and r"\textbf{return }" in tex
    assert "x <-" in alg.text() or "x <-" in alg.text().replace("x <- ", "x <- ")
    codes = [r[0] for r in alg.notation()]
    for h in alg.hypers:
        assert h.name in codes
    for s in alg.states:
        assert s.name in codes


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_hyperparameter_domain_is_enforced(name):
    spec = get_spec(name)
    for h in spec.hypers:
        if h.lo is not None:
            bad = h.lo if h.lo_open else h.lo - 1.0
            with pytest.raises(DomainError, match=h.name):
                spec.resolve(next(iter(spec.profiles)), **{h.name: bad})
        if h.hi is not None:
            bad = h.hi if h.hi_open else h.hi + 1.0
            with pytest.raises(DomainError, match=h.name):
                spec.resolve(next(iter(spec.profiles)), **{h.name: bad})
        with pytest.raises(DomainError):
            spec.resolve(next(iter(spec.profiles)), **{h.name: math.nan})
        with pytest.raises(OptmathTypeError):
            spec.resolve(next(iter(spec.profiles)), **{h.name: "0.1"})


@pytest.mark.parametrize("kwargs,match", [({"b1": 1.0}, r"b1 = 1.0 .*\[0, 1\)"), ({"lr": 0.0}, r"lr = 0.0"),
                                          ({"lr": -1e-3}, "lr"), ({"eps": -1e-8}, "eps"), ({"b2": 1.5}, "b2")])
def test_named_bad_values(kwargs, match):
    with pytest.raises(DomainError, match=match):
        get_spec("adam").resolve("pytorch", **kwargs)


def test_unknown_names():
    with pytest.raises(UnknownNameError, match="unknown optimizer 'adamz'"):
        get_spec("adamz")
    with pytest.raises(UnknownNameError, match="profile"):
        get_spec("adam").resolve("tensorflow")
    with pytest.raises(UnknownNameError, match="switch"):
        get_spec("adam").resolve("paper", {"eps_location": "x"})
    with pytest.raises(UnknownNameError, match="value of switch"):
        get_spec("adam").resolve("paper", {"eps_placement": "outside"})
    with pytest.raises(UnknownNameError, match="hyperparameter"):
        get_spec("adam").resolve("paper", beta1=0.9)
    with pytest.raises(DomainError, match="fixed"):
        get_spec("yogi").resolve("optax", {"second_moment": "ema"})
    assert issubclass(UnknownNameError, ValueError) and issubclass(UnknownNameError, OptmathError)


# The conventions table of REFERENCES.md section 2: each row is a named switch (or a default).
CONVENTIONS = [
    ("adam", "eps_placement", {"pytorch": "vhat", "optax": "vhat", "keras": "hat", "paper": "vhat"}),
    ("adam", "eps_root", {"optax": "yes", "pytorch": "no"}),
    ("adam", "first_moment", {"pytorch": "lerp", "optax": "blend", "keras": "lerp"}),
    ("momentum", "form", {"pytorch": "buffer", "optax": "buffer", "keras": "velocity"}),
    ("momentum", "first_step", {"pytorch": "grad", "optax": "zero_init"}),
    ("nesterov", "form", {"pytorch": "buffer", "keras": "velocity", "paper": "lookahead"}),
    ("adagrad", "eps_placement", {"pytorch": "outside", "optax": "inside", "keras": "inside"}),
    ("rmsprop", "eps_placement", {"pytorch": "outside", "optax": "inside", "keras": "inside"}),
    ("rmsprop_momentum", "lr_placement", {"pytorch": "outside_buffer", "optax": "inside_buffer"}),
    ("amsgrad", "amsgrad", {"pytorch": "raw", "optax": "corrected", "keras": "raw", "paper": "raw"}),
    ("amsgrad", "bias_correction", {"paper": "none", "pytorch": "both"}),
    ("adamw", "weight_decay", {"pytorch": "decoupled", "optax": "decoupled", "keras": "decoupled",
                               "paper": "decoupled_unscaled"}),
    ("adamax", "eps_placement", {"pytorch": "in_max", "optax": "in_max", "keras": "denominator", "paper": "none"}),
    ("nadam", "schedule", {"pytorch": "dozat", "optax": "constant", "keras": "keras"}),
    ("radam", "eps_placement", {"pytorch": "raw", "optax": "vhat"}),
    ("radam", "threshold_rule", {"pytorch": "gt", "optax": "ge", "paper": "gt"}),
    ("yogi", "init", {"optax": "accumulator", "keras": "second_only", "paper": "zero"}),
]
DEFAULTS = [
    ("adam", "keras", "eps", 1e-7), ("adam", "pytorch", "eps", 1e-8), ("adagrad", "pytorch", "eps", 1e-10),
    ("adagrad", "optax", "eps", 1e-7), ("adagrad", "optax", "acc0", 0.1), ("adagrad", "pytorch", "acc0", 0.0),
    ("rmsprop", "pytorch", "alpha", 0.99), ("rmsprop", "optax", "alpha", 0.9), ("adadelta", "pytorch", "lr", 1.0),
    ("adadelta", "keras", "lr", 1e-3), ("adadelta", "keras", "rho", 0.95), ("adamw", "pytorch", "wd", 1e-2),
    ("adamw", "optax", "wd", 1e-4), ("adamw", "keras", "wd", 0.004), ("yogi", "optax", "acc0", 1e-6),
    ("yogi", "optax", "eps", 1e-3), ("radam", "paper", "threshold", 4.0), ("radam", "pytorch", "threshold", 5.0),
    ("nadam", "pytorch", "psi", 0.004),
]


@pytest.mark.parametrize("name,switch,expected", CONVENTIONS)
def test_convention_switches(name, switch, expected):
    for profile, value in expected.items():
        assert get_spec(name).resolve(profile).switches[switch] == value, profile


@pytest.mark.parametrize("name,profile,hyper,value", DEFAULTS)
def test_framework_defaults(name, profile, hyper, value):
    assert get_spec(name).resolve(profile).values[hyper] == value


def test_yogi_differs_from_adam_in_one_fragment():
    adam = get_spec("adam").resolve("paper")
    yogi = get_spec("yogi").resolve("paper", {"bias_correction": "both"})
    diff = [(a.target, b.target) for a, b in zip(adam.updates, yogi.updates) if a != b]
    assert diff == [("v", "v")]


def test_keras_and_pytorch_adam_forms():
    keras = get_spec("adam").resolve("keras").text()
    torch = get_spec("adam").resolve("pytorch").text()
    assert "sqrt(1 - b2**t)" in keras and "vhat" not in keras
    assert "vhat <- v/(1 - b2**t)" in torch and "mhat <- m/(1 - b1**t)" in torch


def test_an_equation_may_not_assign_to_a_context_name():
    """A temporary called d would be the dimension of x (Adan's first draft named its gradient
    difference so, which made the rule look vector-level to the equivalence checker)."""
    import sympy as sp

    from optmath.errors import DomainError
    from optmath.spec import Assign, Hyper, Profile, Program, Spec, g, x

    def build(sw):
        return Program((), (Assign("d", 2 * g), Assign("x", x - sp.Symbol("lr", real=True) * g)))

    spec = Spec("bad", "Bad", "bad", (Hyper("lr", "lr", "learning rate", 0.1, 0.0, None, lo_open=True),), (),
                {"paper": Profile()}, build)
    with pytest.raises(DomainError, match="assigns to 'd', which names dimension of the parameter vector"):
        spec.resolve("paper")
