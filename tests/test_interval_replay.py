"""The rigorous replay: interval operations enclose exact results, the generated enclosure holds the
mpmath replay of the same equations, and the classification of an enclosure decides only what
every run inside it would get."""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from optmath.kernels import interval_ops as iv
from optmath.kernels.interval import interval_source, rational_bounds, single_use
from optmath.optimizers import get_spec
from optmath.problems import linear_gradients, make_problem
from optmath.search.classify import classify, classify_enclosure
from optmath.search.search import resolve_method
from optmath.verify.replay import interval_replay, replay

from conftest import CASES

# -- the operations -------------------------------------------------------------------------
finite = st.floats(min_value=-1e150, max_value=1e150, allow_nan=False, allow_infinity=False)
tiny = st.sampled_from([0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-310, -3e-320])
num = st.one_of(finite, tiny)


def _interval(a, b):
    return (a, b) if a <= b else (b, a)


def _inside(lo, hi, exact: Fraction) -> bool:
    """``lo <= exact <= hi`` exactly; an overflowed bound (an infinity) holds everything beyond it."""
    return (lo == -math.inf or Fraction(lo) <= exact) and (hi == math.inf or exact <= Fraction(hi))


def _points(lo, hi):
    """The ends and the midpoint (as exact fractions) of an interval."""
    return [Fraction(lo), Fraction(hi), (Fraction(lo) + Fraction(hi)) / 2]


@settings(max_examples=300, deadline=None)
@given(num, num, num, num)
def test_interval_operations_enclose_the_exact_results(a, b, c, d):
    (al, ah), (bl, bh) = _interval(a, b), _interval(c, d)
    for op, exact in ((iv._add, lambda x, y: x + y), (iv._sub, lambda x, y: x - y), (iv._mul, lambda x, y: x * y)):
        lo, hi = op(al, ah, bl, bh)
        for x in _points(al, ah):
            for y in _points(bl, bh):
                assert _inside(lo, hi, exact(x, y)), (op.__name__, al, ah, bl, bh, lo, hi)
    lo, hi = iv._div(al, ah, bl, bh)
    if bl > 0 or bh < 0:
        for x in _points(al, ah):
            for y in _points(bl, bh):
                assert _inside(lo, hi, x / y)
    else:
        assert (lo, hi) == (-math.inf, math.inf)
    lo, hi = iv._sq(al, ah)
    assert all(_inside(lo, hi, x * x) for x in _points(al, ah))
    if al >= 0:  # sqrt: lo^2 <= x <= hi^2 for every x in the interval, exactly
        lo, hi = iv._sqrt(al, ah)
        assert lo >= 0 and Fraction(lo) ** 2 <= Fraction(al) and (hi == math.inf or Fraction(hi) ** 2 >= Fraction(ah))
    else:
        assert math.isnan(iv._sqrt(al, ah)[0])


@given(st.integers(-10**30, 10**30), st.integers(1, 10**30))
def test_a_rational_constant_is_enclosed_exactly(p, q):
    """Rationals of a spec (NAdam's 24/25) are bounded when the source is printed, exactly:
    the float itself when it is p/q, else its two neighbours (the review's case: 1/3, whose
    float64 times 3 rounds back to 1, is not a float64)."""
    lo, hi = (float(v) for v in rational_bounds(p, q))
    assert Fraction(lo) <= Fraction(p, q) <= Fraction(hi) and (lo == hi) == (Fraction(lo) == Fraction(p, q))


def test_a_product_that_underflows_keeps_its_sign():
    """1e-200 * 1e-200 rounds to 0: the exact product is positive, so the lower bound is 0 (a
    state that is a sum of squares keeps a lower bound >= 0 and its root stays defined)."""
    lo, hi = iv._mul(1e-200, 1e-200, 1e-200, 1e-200)
    assert lo == 0.0 and hi > 0.0
    lo, hi = iv._mul(-1e-200, -1e-200, 1e-200, 1e-200)
    assert lo < 0.0 and hi == 0.0


def test_conditions_are_three_valued_and_piecewise_takes_the_hull_when_undecided():
    assert iv._gt(2.0, 3.0, 0.0, 1.0) == 1 and iv._gt(0.0, 1.0, 1.0, 2.0) == 0 and iv._gt(0.0, 2.0, 1.0, 1.0) == -1
    assert iv._pick(-1, 1.0, 2.0, 5.0, 6.0) == (1.0, 6.0) and iv._pick(1, 1.0, 2.0, 5.0, 6.0) == (1.0, 2.0)
    assert iv._sgn(-1.0, 2.0) == (-1.0, 1.0) and iv._sgn(0.0, 2.0) == (0.0, 1.0) and iv._sgn(1.0, 2.0) == (1.0, 1.0)


def test_single_use_rewrite_removes_the_dependency_of_the_lerp_form():
    m, a, g, x, lr, wd = sp.symbols("m a g x lr wd", real=True)
    e = m + a * (g - m)
    out = single_use(e, {m})
    assert sum(1 for s in sp.preorder_traversal(out) if s == m) == 1 and sp.expand(out - e) == 0
    e = x - lr * wd * x - lr * g  # decoupled decay reads x twice
    out = single_use(e, {x})
    assert sum(1 for s in sp.preorder_traversal(out) if s == x) == 1 and sp.expand(out - e) == 0
    e = sp.sqrt(m) + m  # not linear in m: left alone (wider, still an enclosure)
    assert single_use(e, {m}) == e
    e = sp.Float(0.3) * (m + sp.Float(0.1) * (g - m))  # SymPy would round 0.3 * 0.9 when distributing
    assert single_use(e, {m}) == e


# -- the generated enclosure ---------------------------------------------------------------
def _stream(steps=200, seed=3):
    rng = np.random.default_rng(seed)
    return rng.normal(size=steps) * 10.0 ** rng.uniform(-3, 1, size=steps)


def _enclosure_case(name, profile):
    alg = get_spec(name).resolve(profile, {})
    G = _stream()
    enc = interval_replay(alg, G, x0=0.3)
    ref = replay(alg, G, x0=0.3, dps=40)
    assert enc.lost_step == 0 and enc.steps == len(G)
    assert enc.contains(ref.exact), f"{name}:{profile}: the 40-digit replay leaves the enclosure"
    scale = max(1.0, float(np.max(np.abs(ref.exact))))
    assert enc.max_width <= 1e-9 * scale, f"{name}:{profile}: enclosure width {enc.max_width:.2e}"
    assert enc.outside(ref.kernel) <= 1e-9 * scale  # the float64 kernel sits at or next to it
    return enc


ONE_D = [c for c in CASES if c[0] != "adamp"]  # AdamP projects over a tensor: no 1-D enclosure
#: the default tier's programs, each costing a compilation: every construct the interval printer
#: meets (running products and the lerp EMA, sign and an initial state from a hyperparameter, a
#: scalar state with a non-integer power, Piecewise thresholds with a hoisted condition; max is
#: AMSGrad's, compiled by the search tests like the first two).  Every program runs under -m slow.
INTERVAL_CASES = [("adam", "pytorch"), ("yogi", "optax"), ("nadam", "pytorch"), ("radam", "optax")]


@pytest.mark.parametrize("name,profile", [pytest.param(*c, id=f"{c[0]}-{c[1]}", marks=() if c in INTERVAL_CASES
                                                       else pytest.mark.slow) for c in ONE_D])
def test_enclosure_holds_the_high_precision_replay(name, profile):
    """The generated interval kernel of each program (every program under ``-m slow``) on a
    stream of mixed magnitudes: the 40-digit mpmath evaluation of the spec's own equations lies
    inside the enclosure at every step, and the enclosure stays narrow."""
    _enclosure_case(name, profile)


def test_the_interval_source_names_no_optimizer():
    src = interval_source(get_spec("yogi").resolve("optax", {}))
    body = src[src.index("def enclose"):]
    assert all(n not in body for n in ("yogi", "adam", "Yogi")) and "_sgn(" in body and "_pick(" not in body


def test_lerp_form_stays_narrow_over_a_long_run():
    """PyTorch's lerp EMA ``m + (1 - b1)(g - m)``, read literally, would widen the enclosure by 1.1x a
    step (the dependency effect); after the single-use rewrite it stays near the rounding level
    over 10^5 steps of Reddi's stream."""
    prob = make_problem("periodic", C=3.0, n=3.0, D=1.0)
    alg = resolve_method("adam", 0.5, 0.9, 0.999, 1e-8, "pytorch", None)
    assert alg.switches["first_moment"] == "lerp"
    G = linear_gradients(prob, 100_000, 0)
    enc = interval_replay(alg, G, x0=1.0, lrs=0.5 / np.sqrt(np.arange(1, 100_001)), lo=-1.0, hi=1.0)
    assert enc.lost_step == 0 and enc.max_width < 1e-11


def test_a_division_by_an_interval_holding_zero_loses_the_enclosure():
    """Adam with eps = 0 on a stream that starts with g = 0 divides 0 by sqrt(0) + 0: the
    enclosure is lost at step 1, and the classification says so instead of deciding."""
    alg = get_spec("adam").resolve("pytorch", {}, eps=0.0)
    G = np.r_[0.0, np.ones(50)]
    enc = interval_replay(alg, G, x0=1.0)
    assert enc.lost_step == 1
    v = classify_enclosure(enc.lo, enc.hi, 0.0, G, lost_step=enc.lost_step)
    assert v.kind is None and "lost" in v.reason and "step 1" in v.reason


# -- deciding a class from an enclosure ----------------------------------------------------
def _runs():
    T = 400
    t = np.arange(T + 1)
    return {"converges": -1 + 2 * 0.97 ** t, "fails": np.where(t < 5, 1 - t / 10, 0.7),
            "inconclusive": -1 + 0.5 * (1 + np.cos(t / 7)) * 0.2 + 0.1}


@pytest.mark.parametrize("kind", ["converges", "fails", "inconclusive"])
def test_a_point_enclosure_gets_the_class_of_its_run(kind):
    xs = _runs()[kind]
    g = np.where(np.arange(len(xs) - 1) % 3 == 0, 3.0, -1.0)
    regrets = g * (xs[:-1] + 1.0)
    ref = classify(xs, -1.0, regrets, lo=-1.0, hi=1.0, grad_scale=5 / 3)
    got = classify_enclosure(xs, xs, -1.0, g, lo=-1.0, hi=1.0, grad_scale=5 / 3)
    assert ref.kind == kind and got.kind == kind and got.decided


def test_an_enclosure_across_a_threshold_is_undecided():
    """A tail that ends 0.04 x scale from the optimum converges; widen the enclosure by 0.03 and
    some runs inside end 0.07 away: the class is left undecided, naming the comparison."""
    xs = -1 + 2 * 0.04 * np.ones(401)
    xs[:50] = np.linspace(1, xs[50], 50)
    assert classify_enclosure(xs, xs, -1.0, lo=-1.0, hi=1.0).kind == "converges"
    v = classify_enclosure(xs - 0.0, xs + 0.06, -1.0, lo=-1.0, hi=1.0)
    assert v.kind is None and "0.05 of the optimum" in v.reason
