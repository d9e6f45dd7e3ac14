"""Profiles that follow an implementation outside torch.optim, optax and Keras, against that
package itself: float64, 1,000 steps on the parity stream of ``test_parity_torch`` (magnitudes
1e-3..1e2, exact zeros every 97 steps), the iterates compared by the conditioning-aware
comparison at the framework-parity tolerance.  Every package is in the test extra, pinned."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from optmath import get_spec  # noqa: E402
from optmath.verify.conditioning import assert_accurate, compare_trajectories  # noqa: E402
from optmath.verify.reference import reference_run  # noqa: E402
from optmath.verify.tolerances import FRAMEWORK_PARITY  # noqa: E402
from test_parity_torch import stream  # noqa: E402

pytestmark = pytest.mark.parity

#: AMSBound and LaProp's ams_bound: the running maximum of the raw second moment (fragments.running_max)
AMSBOUND = [
    ("adabound", "authors", {"amsgrad": "raw"}, {"lr": 1e-2}, "adabound:AdaBound", {"lr": 1e-2, "amsbound": True}),
    ("adabound", "authors", {"amsgrad": "raw"}, {"lr": 1e-2, "wd": 1e-2}, "torch_optimizer:AdaBound",
     {"lr": 1e-2, "weight_decay": 1e-2, "amsbound": True}),
    ("adabound", "pytorch_optimizer", {"amsgrad": "raw"}, {"lr": 1e-2, "wd": 1e-2}, "pytorch_optimizer:AdaBound",
     {"lr": 1e-2, "weight_decay": 1e-2, "ams_bound": True}),
    ("laprop", "pytorch_optimizer", {"amsgrad": "raw"}, {"lr": 3e-3}, "pytorch_optimizer:LaProp",
     {"lr": 3e-3, "ams_bound": True, "foreach": False}),
]

# (optmath name, profile, switches, optmath values, "module:Class", kwargs)
CASES = [
    ("adabelief", "authors", {}, {}, "adabelief_pytorch:AdaBelief", {"print_change_log": False}),
    ("adabelief", "authors", {}, {"lr": 1e-2, "wd": 1e-2}, "adabelief_pytorch:AdaBelief",
     {"lr": 1e-2, "weight_decay": 1e-2, "print_change_log": False}),
    ("adan", "pytorch_optimizer", {}, {}, "pytorch_optimizer:Adan", {}),
    ("adan", "pytorch_optimizer", {}, {"lr": 1e-2, "wd": 1e-2}, "pytorch_optimizer:Adan",
     {"lr": 1e-2, "weight_decay": 1e-2}),
    ("adan", "pytorch_optimizer", {"weight_decay": "decoupled"}, {"lr": 1e-2, "wd": 1e-2}, "pytorch_optimizer:Adan",
     {"lr": 1e-2, "weight_decay": 1e-2, "weight_decouple": True}),
    ("qhadam", "authors", {}, {}, "qhoptim.pyt:QHAdam", {}),
    ("qhadam", "authors", {}, {"nu1": 0.7, "lr": 1e-2, "wd": 1e-2}, "qhoptim.pyt:QHAdam",
     {"nus": (0.7, 1.0), "lr": 1e-2, "weight_decay": 1e-2}),
    ("qhadam", "authors", {}, {"nu1": 0.7, "nu2": 0.9}, "torch_optimizer:QHAdam", {"nus": (0.7, 0.9)}),
    ("adabound", "authors", {}, {}, "adabound:AdaBound", {}),
    ("adabound", "authors", {}, {"lr": 1e-2, "wd": 1e-2}, "torch_optimizer:AdaBound", {"lr": 1e-2, "weight_decay": 1e-2}),
    ("adabound", "pytorch_optimizer", {}, {"lr": 1e-2, "wd": 1e-2}, "pytorch_optimizer:AdaBound",
     {"lr": 1e-2, "weight_decay": 1e-2}),
    # the bias-correction fragment (issue 17): AdamD, the second moment corrected only
    ("yogi", "optax", {"weight_decay": "decoupled", "first_moment": "lerp", "bias_correction": "second"},
     {"lr": 1e-2, "wd": 1e-2}, "pytorch_optimizer:Yogi", {"lr": 1e-2, "weight_decay": 1e-2, "adam_debias": True}),
    ("adabelief", "optax", {"weight_decay": "decoupled", "first_moment": "lerp", "bias_correction": "second"},
     {"lr": 1e-2, "wd": 1e-2}, "pytorch_optimizer:AdaBelief", {"lr": 1e-2, "weight_decay": 1e-2, "adam_debias": True}),
    ("schedulefree_adamw", "paper", {}, {}, "schedulefree:AdamWScheduleFree", {}),
    ("schedulefree_adamw", "paper", {}, {"lr": 1e-2, "wd": 1e-2, "warmup": 50.0, "r": 0.5},
     "schedulefree:AdamWScheduleFree", {"lr": 1e-2, "weight_decay": 1e-2, "warmup_steps": 50, "r": 0.5}),
    ("schedulefree_adamw", "pytorch_optimizer", {}, {"lr": 1e-2, "wd": 1e-2}, "pytorch_optimizer:ScheduleFreeAdamW",
     {"lr": 1e-2, "weight_decay": 1e-2}),
    ("schedulefree_sgd", "paper", {}, {"lr": 0.05}, "schedulefree:SGDScheduleFree", {"lr": 0.05}),
    ("schedulefree_sgd", "paper", {}, {"lr": 0.05, "wd": 1e-2, "warmup": 20.0, "mu": 0.8},
     "schedulefree:SGDScheduleFree", {"lr": 0.05, "weight_decay": 1e-2, "warmup_steps": 20, "momentum": 0.8}),
    ("schedulefree_sgd", "paper", {}, {"lr": 0.05}, "pytorch_optimizer:ScheduleFreeSGD", {"lr": 0.05}),
    ("ademamix", "pytorch_optimizer", {}, {}, "pytorch_optimizer:AdEMAMix", {}),
    ("ademamix", "pytorch_optimizer", {}, {"tw": 300.0, "wd": 1e-2, "lr": 1e-2}, "pytorch_optimizer:AdEMAMix",
     {"t_alpha_beta3": 300, "weight_decay": 1e-2, "lr": 1e-2}),
    ("laprop", "pytorch_optimizer", {}, {}, "pytorch_optimizer:LaProp", {"foreach": False}),
    ("laprop", "pytorch_optimizer", {}, {"lr": 3e-3, "wd": 5e-2}, "pytorch_optimizer:LaProp",
     {"lr": 3e-3, "weight_decay": 5e-2, "foreach": False}),
]


def package_run(target: str, kwargs: dict, G, x0):
    module, name = target.split(":")
    cls = getattr(importlib.import_module(module), name)
    torch.set_default_dtype(torch.float64)
    p = torch.nn.Parameter(torch.tensor(x0, dtype=torch.float64))
    opt = cls([p], **kwargs)
    if callable(getattr(opt, "train", None)):  # Schedule-Free: the parameter holds y in training mode
        opt.train()
    xs = [p.detach().clone().numpy()]
    for g in G:
        p.grad = torch.tensor(g, dtype=torch.float64)  # a fresh tensor: some packages write into p.grad
        opt.step()
        xs.append(p.detach().clone().numpy())
    return np.array(xs)


@pytest.mark.parametrize("name,profile,switches,values,target,kwargs", CASES,
                         ids=[f"{c[0]}:{c[1]}-{c[4].split(':')[0]}-{i}" for i, c in enumerate(CASES)])
def test_profile_matches_its_package(name, profile, switches, values, target, kwargs):
    pytest.importorskip(target.split(":")[0])
    G = stream(3)
    x0 = np.array([0.5, -1.5, 2.0, 1e-3])
    alg = get_spec(name).resolve(profile, switches, **values)
    ref = reference_run(alg, G, x0).xs
    got = package_run(target, kwargs, G, x0)
    assert_accurate(compare_trajectories(alg, G, x0, {"package": {"x": got}, "spec": {"x": ref}},
                                         rtol=FRAMEWORK_PARITY, what=f"{name}:{profile} vs {target}"))



def falling_stream():
    """The parity stream, ten times larger for the first 200 steps: the second moment then falls,
    and a running maximum of it holds the early value (the maximum matters)."""
    G = stream(3)
    return G * np.where(np.arange(len(G)) < 200, 10.0, 1.0)[:, None]


@pytest.mark.parametrize("name,profile,switches,values,target,kwargs", AMSBOUND,
                         ids=[f"{c[0]}-{c[4].split(':')[0]}" for c in AMSBOUND])
def test_the_running_maximum_matches_its_package_and_matters(name, profile, switches, values, target, kwargs):
    pytest.importorskip(target.split(":")[0])
    G = falling_stream()
    x0 = np.array([0.5, -1.5, 2.0, 1e-3])
    alg = get_spec(name).resolve(profile, switches, **values)
    got = package_run(target, kwargs, G, x0)
    assert_accurate(compare_trajectories(alg, G, x0, {"package": {"x": got}, "spec": {"x": reference_run(alg, G, x0).xs}},
                                         rtol=FRAMEWORK_PARITY, what=f"{name}:{profile} amsgrad=raw vs {target}"))
    # without the maximum the same rule misses the package by orders of magnitude more than the
    # parity tolerance (AdaBound's bounds clip most of the difference: 2.9e-6 relative here)
    plain = get_spec(name).resolve(profile, {**switches, "amsgrad": "none"}, **values)
    assert np.max(np.abs(got - reference_run(plain, G, x0).xs) / np.maximum(1.0, np.abs(got))) > 1e4 * FRAMEWORK_PARITY
