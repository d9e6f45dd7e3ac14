"""Kernel with profile ``pytorch`` against ``torch.optim``: float64, 1,000 steps, iterates and state."""
from __future__ import annotations

import numpy as np
import pytest

from optmath import get_spec, run
from optmath.verify.conditioning import assert_accurate, compare_trajectories
from optmath.verify.tolerances import FRAMEWORK_PARITY

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.parity

# (optmath name, switch overrides, optmath values, torch class, torch kwargs, state map torch->optmath)
CASES = [
    ("sgd", {}, {"lr": 0.01}, "SGD", {"lr": 0.01}, {}),
    ("sgd", {}, {"lr": 0.01, "wd": 0.05}, "SGD", {"lr": 0.01, "weight_decay": 0.05}, {}),
    ("momentum", {}, {"lr": 0.01, "mu": 0.9, "damp": 0.3, "wd": 0.01}, "SGD",
     {"lr": 0.01, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}, {"momentum_buffer": "buf"}),
    ("nesterov", {}, {"lr": 0.01, "mu": 0.9, "wd": 0.01}, "SGD",
     {"lr": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}, {"momentum_buffer": "buf"}),
    ("adagrad", {}, {"lr": 0.1, "lr_decay": 0.01, "wd": 0.01, "acc0": 0.5}, "Adagrad",
     {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01, "initial_accumulator_value": 0.5}, {"sum": "s"}),
    ("rmsprop", {}, {"lr": 0.01, "wd": 0.01}, "RMSprop", {"lr": 0.01, "weight_decay": 0.01}, {"square_avg": "s"}),
    ("rmsprop_centered", {}, {"lr": 0.01}, "RMSprop", {"lr": 0.01, "centered": True},
     {"square_avg": "s", "grad_avg": "a"}),
    ("rmsprop_momentum", {}, {"lr": 0.01, "mu": 0.8}, "RMSprop", {"lr": 0.01, "momentum": 0.8},
     {"square_avg": "s", "momentum_buffer": "buf"}),
    ("rmsprop_momentum", {"centered": "yes"}, {"lr": 0.01, "mu": 0.8}, "RMSprop",
     {"lr": 0.01, "momentum": 0.8, "centered": True},
     {"square_avg": "s", "grad_avg": "a", "momentum_buffer": "buf"}),
    ("adadelta", {}, {"lr": 1.0, "wd": 0.01}, "Adadelta", {"lr": 1.0, "weight_decay": 0.01},
     {"square_avg": "s", "acc_delta": "u"}),
    ("adam", {}, {"lr": 0.01}, "Adam", {"lr": 0.01}, {"exp_avg": "m", "exp_avg_sq": "v"}),
    ("adam", {}, {"lr": 0.01, "wd": 0.05}, "Adam", {"lr": 0.01, "weight_decay": 0.05},
     {"exp_avg": "m", "exp_avg_sq": "v"}),
    ("amsgrad", {}, {"lr": 0.01}, "Adam", {"lr": 0.01, "amsgrad": True},
     {"exp_avg": "m", "exp_avg_sq": "v", "max_exp_avg_sq": "vmax"}),
    ("adamw", {}, {"lr": 0.01, "wd": 0.1}, "AdamW", {"lr": 0.01, "weight_decay": 0.1},
     {"exp_avg": "m", "exp_avg_sq": "v"}),
    ("adamax", {}, {"lr": 0.002, "wd": 0.01}, "Adamax", {"lr": 0.002, "weight_decay": 0.01},
     {"exp_avg": "m", "exp_inf": "u"}),
    ("nadam", {}, {"lr": 0.002, "wd": 0.01}, "NAdam", {"lr": 0.002, "weight_decay": 0.01},
     {"exp_avg": "m", "exp_avg_sq": "v", "mu_product": "p"}),
    ("radam", {}, {"lr": 0.01, "wd": 0.01}, "RAdam", {"lr": 0.01, "weight_decay": 0.01},
     {"exp_avg": "m", "exp_avg_sq": "v"}),
]


def stream(seed=0, steps=1000, dim=4):
    rng = np.random.default_rng(seed)
    G = rng.normal(size=(steps, dim)) * 10.0 ** rng.uniform(-3, 2, size=(steps, dim))
    G[::97] = 0.0  # exact zeros too
    return G


def torch_run(cls, kwargs, G, x0, state_map):
    torch.set_default_dtype(torch.float64)
    p = torch.nn.Parameter(torch.tensor(x0, dtype=torch.float64))
    opt = getattr(torch.optim, cls)([p], **kwargs, foreach=False)
    xs, states = [p.detach().clone().numpy()], {v: [] for v in state_map.values()}
    for g in G:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        xs.append(p.detach().clone().numpy())
        st = opt.state[p]
        for k, v in state_map.items():
            states[v].append(np.broadcast_to(st[k].detach().numpy(), p.shape).copy())
    return np.array(xs), {k: np.array(v) for k, v in states.items()}


@pytest.mark.parametrize("name,switches,values,cls,kwargs,state_map", CASES,
                         ids=[f"{c[0]}-{c[3]}-{i}" for i, c in enumerate(CASES)])
def test_pytorch_profile_matches_torch_optim(name, switches, values, cls, kwargs, state_map):
    G = stream()
    x0 = np.array([0.5, -1.5, 2.0, 1e-3])
    alg = get_spec(name).resolve("pytorch", switches, **values)
    tr = run(alg, G, x0=x0, record_states=True)
    txs, tstates = torch_run(cls, kwargs, G, x0, state_map)
    runs = {"kernel": {"x": tr.xs, **{k: tr.states[k][1:] for k in tstates}}, "torch": {"x": txs, **tstates}}
    assert_accurate(compare_trajectories(alg, G, x0, runs, rtol=FRAMEWORK_PARITY, what=f"{name} vs torch"))


def test_every_pytorch_profile_has_a_parity_case():
    from optmath.optimizers import REGISTRY

    covered = {c[0] for c in CASES}
    with_profile = {n for n, s in REGISTRY.items() if "pytorch" in s.profiles and n not in ("gd", "rmsprop_nesterov")}
    assert with_profile <= covered, with_profile - covered
