"""Kernel against the reference step generated from the same spec's SymPy equations.

Every optimizer and every profile, 1,000 steps, hypothesis-generated streams (zeros,
magnitudes 1e-12..1e6, sign flips, constants, sparse, mixed, spikes): iterates and state agree
to 1e-12 in the scaled sense (optmath.verify.tolerances), or, where the two differ by more, the
conditioning-aware comparison (optmath.verify.conditioning) finds both as accurate as a correct
float64 evaluation can be on that stream; and a non-finite value appears at the same step in
both or in neither.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings

from conftest import budget, kernel_tiered
from optmath import get_spec, run
from optmath.verify.conditioning import assert_accurate, compare_trajectories
from optmath.verify.reference import reference_run
from optmath.verify.tolerances import KERNEL_VS_SPEC
from streams import build_stream, streams

X0 = np.array([0.5, -0.3, 1e-3])


def _compare(alg, G):
    ref = reference_run(alg, G, X0)
    tr = run(alg, G, x0=X0, record_states=True, on_nonfinite="stop")
    assert tr.nonfinite_step == ref.nonfinite_step, (tr.nonfinite_step, ref.nonfinite_step)
    n = ref.xs.shape[0] - (1 if ref.nonfinite_step else 0)  # compare up to the last finite step
    runs = {"kernel": {"x": tr.xs[:n], **{k: v[:n] for k, v in tr.states.items()}},
            "reference": {"x": ref.xs[:n], **{k: v[:n] for k, v in ref.states.items()}}}
    cmp = compare_trajectories(alg, G, X0, runs, rtol=KERNEL_VS_SPEC, what=f"{alg.spec.name}/{alg.profile}")
    assert_accurate(cmp)
    return cmp


@pytest.mark.parametrize("name,profile", kernel_tiered())
@settings(max_examples=budget(3), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(G=streams)
@example(G=build_stream("zeros", 0, 0))
@example(G=build_stream("mixed_magnitudes", 0, 1))
@example(G=build_stream("periodic_spike", 0, 0))
def test_kernel_matches_generated_reference(name, profile, G):
    _compare(get_spec(name).resolve(profile), G)


SWITCH_SWEEP = [
    ("adam", {"amsgrad": "corrected", "eps_root": "yes"}, {"eps_root": 1e-12}),
    ("adam", {"second_moment": "belief", "weight_decay": "decoupled_unscaled"}, {"wd": 1e-3}),
    ("adam", {"weight_decay": "l2", "first_moment": "lerp"}, {"wd": 0.05}),
    ("momentum", {"form": "buffer", "first_step": "zero_init"}, {"damp": 0.5}),
    ("momentum", {"form": "buffer", "first_step": "grad", "weight_decay": "l2"}, {"damp": 0.5, "wd": 0.1}),
    ("rmsprop_momentum", {"centered": "yes", "lr_placement": "inside_buffer"}, {"mu": 0.5}),
    ("rmsprop_nesterov", {"centered": "yes", "eps_placement": "outside"}, {"mu": 0.5}),
    ("adagrad", {"weight_decay": "l2"}, {"lr_decay": 0.1, "wd": 0.01, "acc0": 0.3}),
    ("nadam", {"schedule": "keras", "weight_decay": "l2"}, {"wd": 0.01}),
    ("radam", {"eps_placement": "vhat", "threshold_rule": "ge"}, {"threshold": 6.0}),
    ("adamp", {"nesterov": "yes"}, {"wd": 0.1, "delta": 2.0}),
    ("lion", {}, {"wd": 0.5}),
]


@pytest.mark.parametrize("name,switches,values", SWITCH_SWEEP)
@settings(max_examples=budget(4), deadline=None)
@given(G=streams)
@example(G=build_stream("constant", -6, 0))  # NAdam + L2 at x = -g/wd: ill-conditioned (issue 15)
def test_switch_combinations_match_reference(name, switches, values, G):
    spec = get_spec(name)
    _compare(spec.resolve(next(iter(spec.profiles)), switches, **values), G)


def test_nonfinite_run_is_reported_with_its_step():
    from optmath import NonFiniteError

    alg = get_spec("amsgrad").resolve("paper")  # eps = 0: 0/0 on a zero gradient
    with pytest.raises(NonFiniteError, match="step 1") as e:
        run(alg, np.zeros((5, 1)))
    assert e.value.step == 1
    G = np.ones((10, 1))
    G[3:] = 0.0  # v stays positive, so nothing goes wrong
    assert run(alg, G).nonfinite_step == 0
