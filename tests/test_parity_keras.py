"""Kernel with profile ``keras`` against Keras 3 itself: float64 (the JAX backend with x64 and
``floatx`` float64), 1,000 steps, the iterates compared by the conditioning-aware comparison at
the framework-parity tolerance.  Until these tests the keras profiles rested on golden values."""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")  # before keras is imported; the test extra has JAX
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
keras = pytest.importorskip("keras")

from optmath import get_spec, run  # noqa: E402
from optmath.verify.conditioning import assert_accurate, compare_trajectories  # noqa: E402
from optmath.verify.tolerances import FRAMEWORK_PARITY  # noqa: E402
from test_parity_torch import stream  # noqa: E402

pytestmark = [pytest.mark.parity,  # Keras 3 on NumPy 2 warns once per step from its own variables
              pytest.mark.filterwarnings("ignore:__array__ implementation doesn.t accept a copy keyword:DeprecationWarning")]

# (optmath name, optmath values, keras class, kwargs)
CASES = [
    ("sgd", {"lr": 0.05}, "SGD", {"learning_rate": 0.05}),
    ("gd", {"lr": 0.05}, "SGD", {"learning_rate": 0.05}),
    ("momentum", {"lr": 0.05, "mu": 0.9}, "SGD", {"learning_rate": 0.05, "momentum": 0.9}),
    ("nesterov", {"lr": 0.05, "mu": 0.9}, "SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    ("adagrad", {"lr": 0.1}, "Adagrad", {"learning_rate": 0.1}),
    ("rmsprop", {"lr": 0.01}, "RMSprop", {"learning_rate": 0.01}),
    ("rmsprop_centered", {"lr": 0.01}, "RMSprop", {"learning_rate": 0.01, "centered": True}),
    ("rmsprop_momentum", {"lr": 0.01, "mu": 0.8}, "RMSprop", {"learning_rate": 0.01, "momentum": 0.8}),
    ("adadelta", {"lr": 1.0}, "Adadelta", {"learning_rate": 1.0}),
    ("adam", {"lr": 0.01}, "Adam", {"learning_rate": 0.01}),
    ("adamw", {"lr": 0.01, "wd": 0.1}, "AdamW", {"learning_rate": 0.01, "weight_decay": 0.1}),
    ("amsgrad", {"lr": 0.01}, "Adam", {"learning_rate": 0.01, "amsgrad": True}),
    ("adamax", {"lr": 0.002}, "Adamax", {"learning_rate": 0.002}),
    ("nadam", {"lr": 0.002}, "Nadam", {"learning_rate": 0.002}),
]


def keras_run(cls, kwargs, G, x0):
    keras.config.set_floatx("float64")
    opt = getattr(keras.optimizers, cls)(**kwargs)
    var = keras.Variable(np.array(x0, dtype=np.float64), dtype="float64")
    xs = [np.array(keras.ops.convert_to_numpy(var))]
    for g in G:
        opt.apply_gradients([(keras.ops.convert_to_tensor(g, dtype="float64"), var)])
        xs.append(np.array(keras.ops.convert_to_numpy(var)))
    return np.array(xs)


@pytest.mark.parametrize("name,values,cls,kwargs", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_keras_profile_matches_keras(name, values, cls, kwargs):
    G = stream(2)
    x0 = np.array([0.5, -1.5, 2.0, 1e-3])
    alg = get_spec(name).resolve("keras", **values)
    tr = run(alg, G, x0=x0)
    kx = keras_run(cls, kwargs, G, x0)
    runs = {"kernel": {"x": tr.xs}, "keras": {"x": kx}}
    assert_accurate(compare_trajectories(alg, G, x0, runs, rtol=FRAMEWORK_PARITY, what=f"{name} vs keras.{cls}"))


def test_every_keras_profile_of_a_keras_3_optimizer_has_a_parity_case():
    from optmath.optimizers import REGISTRY

    covered = {c[0] for c in CASES}
    # yogi's keras profile is TF-Addons' Yogi (tfa.optimizers.Yogi), which Keras 3 does not ship
    with_profile = {n for n, s in REGISTRY.items() if "keras" in s.profiles and n not in ("yogi",)}
    assert with_profile <= covered, with_profile - covered
