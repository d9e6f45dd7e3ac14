"""Yogi on Reddi's periodic problem: cycles per sign pattern, invariant bands and drift bounds
(``optmath.search.certify.yogi_certificate``), checked against exact arithmetic and the kernel."""
from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from optmath import get_spec, make_problem, run
from optmath.errors import DomainError, LimitError
from optmath.search.certify import YOGI_MAX_STEPS, yogi_certificate
from optmath.search.classify import classify_trajectory
from optmath.verify.tolerances import assert_lower_bound, assert_upper_bound

R = sp.Rational
#: Reddi's problem with b2 = 0.1, the search defaults, and optax's initial accumulator v0 = 1e-6
REDDI = dict(C=3, n=3, D=1, b1=0, b2=R(1, 10))
DEFAULTS = dict(C=3, n=3, D=1, b1=0.9, b2=0.999, eps=1e-8)
OPTAX = dict(C=3, n=3, D=1, b1=0.9, b2=0.999, eps=1e-3, v0=1e-6)
#: Yogi certified at the wrong end: mean gradient +1/60, yet the drift pushes x up
WRONG = dict(C=R(41, 20), n=3, D=1, b1=R(1, 2), b2=R(1, 2), eps=0, v0=R(1, 10**6))


def _yogi_period(w: Fraction, g2, a: Fraction):
    """One period of Yogi's v in Fractions, written out here once more (the test's own reference)."""
    vals, signs, v = [w], [], w
    for h in g2:
        s = (v > h) - (v < h)
        v -= a * s * h
        signs.append(s)
        vals.append(v)
    return vals, signs


def _all_checks_pass(c):
    assert all(v for v in c.checks.values() if isinstance(v, bool)), c.checks


def test_reddi_b2_tenth_no_cycle_union_band_towards_the_optimum():
    c = yogi_certificate(**REDDI)
    assert c.direction == "towards the optimum" and c.optimum_end == "lo"
    assert c.cycles == [] and "9 is not an integer in 1..2" in c.cycle_proof and "does not close" in c.cycle_proof
    # the only candidate, v_0 = C^2 = 9: signs 0++ and 9 -> 36/5, rechecked here
    vals, signs = _yogi_period(Fraction(9), [Fraction(9), Fraction(1), Fraction(1)], Fraction(9, 10))
    assert signs == [0, 1, 1] and vals[-1] == Fraction(36, 5) and "36/5 != 9" in c.cycle_proof
    # one interval cannot decide here: its drift bound straddles 0 (the box bound even more)
    ib = c.interval_band
    assert ib["band"] == ["1/10", "153/10"] and ib["drift"][0] < 0 < ib["drift"][1]
    assert ib["box"][0] <= ib["drift"][0] and ib["drift"][1] <= ib["box"][1]
    # the union band around the orbit's 10-period cycle decides
    assert c.band_kind == "union" and len(c.band) == 10 and c.entry_step == 16 and c.delta == "1/40"
    assert c.eventual_cycle["start_period"] == 5 and c.eventual_cycle["periods"] == 10
    assert 0 < c.drift_lo <= c.eventual_cycle["drift"] <= c.drift_hi
    assert c.drift_lo == pytest.approx(0.246954, abs=1e-6) and c.drift_hi == pytest.approx(0.263862, abs=1e-6)
    assert c.period_drift[0] <= c.drift_lo and c.drift_hi <= c.period_drift[1]
    _all_checks_pass(c)


@pytest.mark.parametrize("args", [DEFAULTS, OPTAX], ids=["search-defaults", "optax-accumulator"])
def test_search_defaults_single_interval_band(args):
    c = yogi_certificate(**args)
    assert c.direction == "towards the optimum" and c.band_kind == "interval"
    assert c.band == [["8989/1000", "9007/1000"]] and c.entry_step == 3700
    assert c.phase_bands[0] == ["8991/1000", "9009/1000"]  # the clamps (1 -+ a) C^2 around C^2 = 9
    assert_lower_bound(c.drift_lo, 0.3330)
    assert_upper_bound(c.drift_hi, 0.3336)
    assert c.drift_lo <= c.eventual_cycle["drift"] <= c.drift_hi
    _all_checks_pass(c)
    assert c.checks["m_cycle_exact_vs_50_digits"]


def test_optax_accumulator_with_reddi_b2_breaks_every_tie():
    c = yogi_certificate(**{**REDDI, "eps": 1e-3, "v0": 1e-6})
    assert c.direction == "towards the optimum" and c.band_kind == "union"
    assert c.drift_hi - c.drift_lo < 1e-6  # v0 off the breakpoints' lattice: no tie, one simple cycle
    _all_checks_pass(c)


@pytest.mark.parametrize("C,n,pattern,lo,hi", [(sp.sqrt(2), 3, "-++", "1/10", "2"), (2, 5, "-++++", "1/10", "4")])
def test_a_family_of_period_n_cycles_with_its_pattern_checked(C, n, pattern, lo, hi):
    """C^2/D^2 = n - 1: sigma_0 = -1 with every later sign + closes, for v_0 in (1 - a, C^2)."""
    c = yogi_certificate(C, n, 1, 0, R(1, 10))
    assert len(c.cycles) == 1 and "is an integer in 1.." in c.cycle_proof
    cyc = c.cycles[0]
    assert cyc["pattern"] == pattern and cyc["v0_range"] == [lo, hi] and cyc["closed"] == [False, False]
    assert cyc["checked"]
    C2 = Fraction(int(sp.Integer(C**2)))
    g2 = [C2] + [Fraction(1)] * (n - 1)
    for w in (Fraction(lo) + Fraction(1, 1000), Fraction(cyc["representative"]), Fraction(hi) - Fraction(1, 1000)):
        vals, signs = _yogi_period(w, g2, Fraction(9, 10))
        assert vals[-1] == w and "".join("+-0"[[1, -1, 0].index(s)] for s in signs) == pattern
    # the ends are not cycles (closed == [False, False])
    assert _yogi_period(Fraction(hi), g2, Fraction(9, 10))[0][-1] != Fraction(hi)
    # v from 0 lands on the family: a one-point band, the drift exactly that cycle's
    assert c.band_kind == "interval" and c.band == [["9/5", "9/5"]] and c.direction == "towards the optimum"
    v = [Fraction(9, 5)]
    for h in g2:
        v.append(_yogi_period(v[-1], [h], Fraction(9, 10))[0][-1])
    g = [C] + [-1] * (n - 1)
    exact = float(sp.N(sum(gk / sp.sqrt(sp.Rational(vk.numerator, vk.denominator)) for gk, vk in zip(g, v[1:])), 30))
    assert c.drift_lo <= exact <= c.drift_hi and c.drift_hi - c.drift_lo < 1e-14
    _all_checks_pass(c)


def test_several_cycles_at_an_integer_ratio():
    """C = D = 1, n = 4: v = 1 is a fixed point (every sign 0) between two families that flip."""
    c = yogi_certificate(1, 4, 1, 0, R(1, 2))
    got = [(cy["pattern"], cy["v0_range"], cy["closed"]) for cy in c.cycles]
    assert got == [("-+-+", ["1/2", "1"], [False, False]), ("0000", ["1", "1"], [True, True]),
                   ("+-+-", ["1", "3/2"], [False, False])]
    for cy in c.cycles:
        w = Fraction(cy["representative"])
        vals, signs = _yogi_period(w, [Fraction(1)] * 4, Fraction(1, 2))
        assert vals[-1] == w and "".join("+-0"[[1, -1, 0].index(s)] for s in signs) == cy["pattern"]
    assert "the identity on 3 of them" in c.cycle_proof and c.checks["cycles_checked"]


@pytest.mark.parametrize("args", [dict(DEFAULTS, v0=10**6), dict(REDDI, max_steps=12)])
def test_band_not_reached_within_max_steps_is_undecided(args):
    c = yogi_certificate(**args)
    assert c.direction == "undecided" and c.band_kind == "" and c.entry_step is None
    assert c.drift_lo is None and c.drift_hi is None and "max_steps" in c.reason
    assert 0 < c.steps_used <= 2 * args.get("max_steps", YOGI_MAX_STEPS)


def test_mean_gradient_zero_is_undecided_with_bounds():
    c = yogi_certificate(2, 3, 1, 0, R(1, 2))
    assert c.mean_gradient == 0 and c.optimum_end == "none" and c.direction == "undecided"
    assert "mean gradient is 0" in c.reason


@pytest.mark.parametrize("args,error", [
    (dict(C=3, n=1), DomainError), (dict(C=3, n=3, b2=1), DomainError), (dict(C=-1, n=3), DomainError),
    (dict(C=3, n=2.5), DomainError), (dict(C=3, n=10**6), LimitError), (dict(C=3, n=3, max_steps=10**9), LimitError),
    (dict(C=3, n=50_000, max_steps=1000), LimitError), (dict(C=3, n=3, v0=-1), DomainError),
    (dict(C=sp.root(2, 4), n=3), DomainError), (dict(C=float("nan"), n=3), DomainError),
    (dict(C=3, n=3, b1=1), DomainError), (dict(C=3, n="three"), DomainError)])
def test_bad_input_is_one_line(args, error):
    with pytest.raises(error) as info:
        yogi_certificate(**args)
    msg = str(info.value)
    assert "\n" not in msg and len(msg) < 300


def test_as_dict_is_json_and_text_is_short():
    c = yogi_certificate(**REDDI)
    d = json.loads(json.dumps(c.as_dict()))
    assert d["direction"] == "towards the optimum" and d["band"][0] == ["7/8", "37/40"]
    lines = c.text().splitlines()
    assert 4 <= len(lines) <= 6 and "towards the optimum" in lines[3] and "step 16" in lines[2]


def test_yogi_can_be_certified_at_the_wrong_end():
    c = yogi_certificate(**WRONG)
    assert c.mean_gradient > 0 and c.direction == "wrong end" and c.drift_hi < 0
    assert c.drift_lo <= c.eventual_cycle["drift"] <= c.drift_hi
    _all_checks_pass(c)


# --- the kernel: the real Yogi x-iteration, optax profile (v0 = m0 = acc0 = 1e-6) ---------------------
def _optax_yogi(b1, b2, eps, lr=0.1):
    return get_spec("yogi").resolve("optax", {}, lr=lr, b1=b1, b2=b2, eps=eps)


@pytest.mark.parametrize("args,end", [(dict(REDDI, eps=0.0), -1.0), (DEFAULTS, -1.0), (WRONG, 1.0)],
                         ids=["reddi", "search-defaults", "wrong-end"])
def test_direction_matches_the_projected_kernel(args, end):
    c = yogi_certificate(**{**args, "v0": R(1, 10**6)})
    assert c.direction == ("wrong end" if end > 0 else "towards the optimum")
    alg = _optax_yogi(float(args["b1"]), float(args["b2"]), float(args.get("eps", 0)))
    prob = make_problem("periodic", C=float(args["C"]), n=float(args["n"]), D=float(args["D"]))
    tr = run(alg, problem=prob, steps=30_000, x0=1.0, schedule="inv_sqrt")
    assert abs(tr.xs[-1, 0] - end) < 0.01, tr.xs[-1, 0]
    verdict = classify_trajectory(tr, prob)
    assert verdict.kind == ("fails" if end > 0 else "converges"), verdict


def test_constant_lr_kernel_moves_by_the_certified_drift():
    """Unconstrained, constant lr: over whole late periods the kernel moves by -lr x drift per
    period, inside [drift_lo, drift_hi], and its v at phase 0 lies in the band."""
    c = yogi_certificate(**{**REDDI, "eps": 0, "v0": R(1, 10**6)})
    lr, n, periods = 1e-3, 3, 1000
    alg = _optax_yogi(0.0, 0.1, 0.0, lr=lr)
    prob = make_problem("periodic", C=3.0, n=3.0, D=1.0, lo=-1e12, hi=1e12)
    steps = 3 * 2 * periods
    tr = run(alg, problem=prob, steps=steps, x0=0.0, schedule="constant", record_states=True)
    per_period = -(tr.xs[-1, 0] - tr.xs[-1 - n * periods, 0]) / (lr * periods)
    slack = 2 * len(c.band) * max(map(abs, c.period_drift)) / periods
    assert c.drift_lo - slack <= per_period <= c.drift_hi + slack
    band = [(float(Fraction(a)), float(Fraction(b))) for a, b in c.band]
    v_phase0 = tr.states["v"][np.arange(steps - n * periods, steps, n), 0]  # v before each phase-0 step
    assert all(any(a - 1e-9 <= v <= b + 1e-9 for a, b in band) for v in v_phase0)


# --- properties --------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(C=st.fractions(min_value=Fraction(1, 2), max_value=12, max_denominator=10), n=st.integers(2, 6),
       b1=st.sampled_from([0, R(1, 2), R(9, 10)]), b2=st.sampled_from([R(1, 10), R(1, 2), R(9, 10), R(99, 100)]),
       v0=st.sampled_from([0, R(1, 10**6), R(5)]))
@example(C=Fraction(3), n=3, b1=0, b2=R(1, 10), v0=0)
@example(C=Fraction(41, 20), n=3, b1=R(1, 2), b2=R(1, 2), v0=R(1, 10**6))
def test_every_certificate_checks_out(C, n, b1, b2, v0):
    """Whatever the verdict, the cycles are checked, the band is invariant, the float64 run and the
    exact cycle agree with the bound; a decided direction agrees with the exact cycle's drift."""
    c = yogi_certificate(sp.Rational(C.numerator, C.denominator), n, 1, b1, b2, 0, v0, max_steps=40_000)
    _all_checks_pass(c)
    assert all(cy["checked"] for cy in c.cycles)
    if c.direction != "undecided" and c.eventual_cycle:
        assert (c.eventual_cycle["drift"] > 0) == (c.drift_lo > 0)
