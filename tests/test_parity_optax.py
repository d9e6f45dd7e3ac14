"""Kernel with profile ``optax`` against optax: float64 (jax x64), 1,000 steps, iterates and state."""
from __future__ import annotations

import numpy as np
import pytest

from optmath import get_spec, run
from optmath.verify.conditioning import assert_accurate, compare_trajectories
from optmath.verify.tolerances import FRAMEWORK_PARITY
from test_parity_torch import stream

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy
pytestmark = pytest.mark.parity

# (optmath name, switches, optmath values, optax factory, kwargs, state map {(StateType, field): (name, sign)})
CASES = [
    ("sgd", {}, {"lr": 0.05}, "sgd", {"learning_rate": 0.05}, {}),
    ("momentum", {}, {"lr": 0.05, "mu": 0.9}, "sgd", {"learning_rate": 0.05, "momentum": 0.9},
     {("TraceState", "trace"): ("buf", 1)}),
    ("nesterov", {}, {"lr": 0.05, "mu": 0.9}, "sgd", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True},
     {("TraceState", "trace"): ("buf", 1)}),
    ("adagrad", {}, {"lr": 0.1}, "adagrad", {"learning_rate": 0.1}, {("ScaleByRssState", "sum_of_squares"): ("s", 1)}),
    ("rmsprop", {}, {"lr": 0.01}, "rmsprop", {"learning_rate": 0.01}, {("ScaleByRmsState", "nu"): ("s", 1)}),
    ("rmsprop_centered", {}, {"lr": 0.01}, "rmsprop", {"learning_rate": 0.01, "centered": True},
     {("ScaleByRStdDevState", "nu"): ("s", 1), ("ScaleByRStdDevState", "mu"): ("a", 1)}),
    ("rmsprop_momentum", {}, {"lr": 0.01, "mu": 0.8}, "rmsprop", {"learning_rate": 0.01, "momentum": 0.8},
     {("ScaleByRmsState", "nu"): ("s", 1), ("TraceState", "trace"): ("buf", -1)}),
    ("rmsprop_nesterov", {}, {"lr": 0.01, "mu": 0.8}, "rmsprop",
     {"learning_rate": 0.01, "momentum": 0.8, "nesterov": True},
     {("ScaleByRmsState", "nu"): ("s", 1), ("TraceState", "trace"): ("buf", -1)}),
    ("adam", {}, {"lr": 0.01}, "adam", {"learning_rate": 0.01},
     {("ScaleByAdamState", "mu"): ("m", 1), ("ScaleByAdamState", "nu"): ("v", 1)}),
    ("adam", {}, {"lr": 0.01, "eps_root": 1e-10}, "adam", {"learning_rate": 0.01, "eps_root": 1e-10},
     {("ScaleByAdamState", "mu"): ("m", 1), ("ScaleByAdamState", "nu"): ("v", 1)}),
    ("adamw", {}, {"lr": 0.01, "wd": 0.1}, "adamw", {"learning_rate": 0.01, "weight_decay": 0.1},
     {("ScaleByAdamState", "mu"): ("m", 1), ("ScaleByAdamState", "nu"): ("v", 1)}),
    # the Nesterov fragment (issue 17): optax's adam and adamw with nesterov=True, and optax.nadam as Adam
    ("adam", {"nesterov": "yes"}, {"lr": 0.01}, "adam", {"learning_rate": 0.01, "nesterov": True},
     {("ScaleByAdamState", "mu"): ("m", 1), ("ScaleByAdamState", "nu"): ("v", 1)}),
    ("adamw", {"nesterov": "yes"}, {"lr": 0.01, "wd": 0.1}, "adamw",
     {"learning_rate": 0.01, "weight_decay": 0.1, "nesterov": True},
     {("ScaleByAdamState", "mu"): ("m", 1), ("ScaleByAdamState", "nu"): ("v", 1)}),
    ("adam", {"nesterov": "yes"}, {"lr": 0.002, "eps_root": 1e-10}, "nadam", {"learning_rate": 0.002, "eps_root": 1e-10},
     {("ScaleByAdamState", "mu"): ("m", 1), ("ScaleByAdamState", "nu"): ("v", 1)}),
    ("amsgrad", {}, {"lr": 0.01}, "amsgrad", {"learning_rate": 0.01},
     {("ScaleByAmsgradState", "mu"): ("m", 1), ("ScaleByAmsgradState", "nu"): ("v", 1),
      ("ScaleByAmsgradState", "nu_max"): ("vmax", 1)}),
    ("adamax", {}, {"lr": 0.002}, "adamax", {"learning_rate": 0.002},
     {("ScaleByAdamState", "mu"): ("m", 1), ("ScaleByAdamState", "nu"): ("u", 1)}),
    ("nadam", {}, {"lr": 0.002}, "nadam", {"learning_rate": 0.002},
     {("ScaleByAdamState", "mu"): ("m", 1), ("ScaleByAdamState", "nu"): ("v", 1)}),
    ("radam", {}, {"lr": 0.01}, "radam", {"learning_rate": 0.01},
     {("ScaleByAdamState", "mu"): ("m", 1), ("ScaleByAdamState", "nu"): ("v", 1)}),
    ("yogi", {}, {"lr": 0.01}, "yogi", {"learning_rate": 0.01},
     {("ScaleByAdamState", "mu"): ("m", 1), ("ScaleByAdamState", "nu"): ("v", 1)}),
    ("adabelief", {}, {"lr": 0.01}, "adabelief", {"learning_rate": 0.01},
     {("ScaleByBeliefState", "mu"): ("m", 1), ("ScaleByBeliefState", "nu"): ("v", 1)}),
    ("lion", {}, {"lr": 1e-3}, "lion", {"learning_rate": 1e-3},
     {("ScaleByLionState", "mu"): ("m", 1)}),
    ("adan", {}, {"lr": 1e-2}, "adan", {"learning_rate": 1e-2}, {}),
    ("adan", {}, {"lr": 1e-2, "wd": 1e-2}, "adan", {"learning_rate": 1e-2, "weight_decay": 1e-2}, {}),
    ("ademamix", {}, {"lr": 1e-2}, "contrib.ademamix", {"learning_rate": 1e-2}, {}),
    ("ademamix", {}, {"lr": 1e-2, "wd": 1e-2, "b3": 0.999, "alpha": 2.0}, "contrib.ademamix",
     {"learning_rate": 1e-2, "weight_decay": 1e-2, "b3": 0.999, "alpha": 2.0}, {}),
]


def _walk(state, found):
    if hasattr(state, "_fields"):
        for f in state._fields:
            val = getattr(state, f)
            if hasattr(val, "shape") and getattr(val, "ndim", 0) == 1:
                found[(type(state).__name__, f)] = np.asarray(val)
            else:
                _walk(val, found)
    elif isinstance(state, (tuple, list)):
        for s in state:
            _walk(s, found)
    return found


def optax_run(factory, kwargs, G, x0, state_map):
    fn = optax
    for part in factory.split("."):  # optax.contrib's factories too
        fn = getattr(fn, part)
    opt = fn(**kwargs)
    params = jnp.asarray(x0, dtype=jnp.float64)
    state = opt.init(params)
    step = jax.jit(lambda g, s, p: opt.update(g, s, p))
    xs, states = [np.asarray(params)], {name: [] for name, _ in state_map.values()}
    for g in G:
        updates, state = step(jnp.asarray(g), state, params)
        params = optax.apply_updates(params, updates)
        xs.append(np.asarray(params))
        found = _walk(state, {})
        for key, (name, sign) in state_map.items():
            states[name].append(sign * found[key])
    return np.array(xs), {k: np.array(v) for k, v in states.items()}


@pytest.mark.parametrize("name,switches,values,factory,kwargs,state_map", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_optax_profile_matches_optax(name, switches, values, factory, kwargs, state_map):
    G = stream(1)
    x0 = np.array([0.5, -1.5, 2.0, 1e-3])
    alg = get_spec(name).resolve("optax", switches, **values)
    tr = run(alg, G, x0=x0, record_states=True)
    oxs, ostates = optax_run(factory, kwargs, G, x0, state_map)
    runs = {"kernel": {"x": tr.xs, **{k: tr.states[k][1:] for k in ostates}}, "optax": {"x": oxs, **ostates}}
    assert_accurate(compare_trajectories(alg, G, x0, runs, rtol=FRAMEWORK_PARITY, what=f"{name} vs optax"))


def test_every_optax_profile_has_a_parity_case():
    from optmath.optimizers import REGISTRY

    covered = {c[0] for c in CASES}
    with_profile = {n for n, s in REGISTRY.items() if "optax" in s.profiles and n not in ("gd", "adadelta")}
    assert with_profile <= covered, with_profile - covered
