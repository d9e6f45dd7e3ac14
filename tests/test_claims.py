"""User claims: the whitelist parser refuses hostile input; textbook claims are decided right."""
from __future__ import annotations

import time

import pytest

from optmath.errors import OptmathValueError
from optmath.symbolic.claims import ClaimError, decide, parse_assumption, parse_claim

HOSTILE = {
    "attribute access": "x.real == 1",
    "attribute on a number": "(1).__class__ == 1",
    "dunder name": "__import__ == 1",
    "private name": "_secret + 1 == 1",
    "lambda": "(lambda x: x)(1) == 1",
    "import statement": "import os",
    "import call": "__import__('os').system('true') == 0",
    "power tower": "9**9**9**9 == 1",
    "huge exponent": "2**(10**10) == 1",
    "float exponent": "x**1e10 == 1",
    "100k characters": "a" * 100_000,
    "100k-character sum": "+".join(["x"] * 50_000) + " == 0",
    "deep nesting": "(" * 1000 + "x" + ")" * 1000 + " == x",
    "subscript": "x[0] == 1",
    "string": "'a' == 'a'",
    "xor caret": "2^3 == 8",
    "keyword argument": "sqrt(x, evaluate=False) == 1",
    "unknown function": "system(1) == 0",
    "huge sum": "Sum(i, i, 1, 10**9) == 1",
    "chained comparison": "1 == 1 == 1",
    "no comparison": "x + 1",
    "semicolon": "x == 1; y",
    "walrus": "(y := 2) == 2",
    "empty": "   ",
    "division by zero": "1/0 == 1",
}


@pytest.mark.parametrize("label", sorted(HOSTILE))
def test_hostile_input_is_refused_quickly_with_one_line(label):
    t0 = time.perf_counter()
    with pytest.raises(ClaimError) as exc:
        decide(HOSTILE[label])
    elapsed = time.perf_counter() - t0
    assert elapsed < 5.0  # a hang guard, not a speed goal: refusals take microseconds
    msg = str(exc.value)
    assert msg and "\n" not in msg and len(msg) < 300
    assert isinstance(exc.value, OptmathValueError) and isinstance(exc.value, ValueError)


def test_non_string_is_refused():
    with pytest.raises(ClaimError, match="must be a string"):
        decide(123)


@pytest.mark.parametrize("text", ["0 < b < oops", "b", "x < y", "__x > 0", "0 < b < sqrt(2)", "b == 1"])
def test_bad_assumptions_are_refused(text):
    with pytest.raises(ClaimError):
        parse_assumption(text)


def test_assumptions_set_domains():
    assert parse_assumption("0 < b < 1")["b"].contains(__import__("fractions").Fraction(1, 2))
    assert parse_assumption("t >= 3")["t"].lo_closed
    rel, dom = parse_claim("sqrt(x**2) == x", ["x > 0"])
    assert dom["x"].lo == 0


# claim, assumptions, expected status; true and false statements from the optimization chapter
TEXTBOOK = [
    ("Sum((1-b)*b**(t-i), i, 1, t) == 1 - b**t", [], "proved"),
    ("Sum((1-b)*b**(t-i), i, 1, t) == 1", [], "refuted"),
    ("Sum(b**k, k, 0, t-1) == (1 - b**t)/(1 - b)", [], "proved"),
    ("Sum(b**k, k, 0, t-1) == 1/(1-b)", [], "refuted"),
    ("(1 - b**(2*t))/(1-b**t)**2 == (1+b**t)/(1-b**t)", [], "proved"),
    ("(999/1000)**20 < 1/100", [], "refuted"),
    ("(999/1000)**4603 < 1/100", [], "proved"),
    ("(999/1000)**4602 < 1/100", [], "refuted"),
    ("(9/10)**44 <= 1/100", [], "proved"),
    ("(1+mu-lr*h)**2 - 4*mu == (lr*h - (1-sqrt(mu))**2)*(lr*h - (1+sqrt(mu))**2)", [], "proved"),
    ("(2/(sqrt(L)+sqrt(l)))**2*l == (1 - (sqrt(L/l)-1)/(sqrt(L/l)+1))**2", [], "proved"),
    ("(1-b1)/sqrt(1-b2) <= 1", [], "refuted"),
    ("sqrt(x**2) == x", [], "refuted"),
    ("sqrt(x**2) == x", ["x > 0"], "proved"),
    ("sqrt(a + c) == sqrt(a) + sqrt(c)", [], "refuted"),
    ("log(a*c) == log(a) + log(c)", [], "proved"),
    ("exp(log(x)) == x", ["x > 0"], "proved"),
    ("1/(1-b) > 1", [], "proved"),
    ("1 - b**t <= 1", [], "proved"),
    ("max(a, c) >= a", [], "checked-numerically"),
    ("(1-b)*b**(t-1)/(1-b**t) <= 1", [], "checked-numerically"),
    ("lr*h < 2 + 2*mu", [], "refuted"),
    ("mu*(1 - lr*h) == mu - lr*h", [], "refuted"),
]


@pytest.mark.parametrize("text,assume,expected", TEXTBOOK)
def test_textbook_claims_are_decided(text, assume, expected):
    r = decide(text, assume)
    assert r.status == expected, str(r)
    if expected == "refuted":
        assert r.counterexample and "lhs" in r.counterexample


def test_counterexample_is_exact_and_reproducible():
    a = decide("Sum((1-b)*b**(t-i), i, 1, t) == 1", seed=3)
    b = decide("Sum((1-b)*b**(t-i), i, 1, t) == 1", seed=3)
    assert a.counterexample == b.counterexample
    assert "/" in a.counterexample["b"] or a.counterexample["b"].isdigit()


def test_time_limit_gives_inconclusive():
    r = decide("Sum((1-b)*b**(t-i), i, 1, t) == 1 - b**t", time_limit=1e-4)
    assert r.status in ("inconclusive", "proved")


def test_points_must_be_sane():
    with pytest.raises(ClaimError):
        decide("x == x", points=0)


def test_time_limit_survives_a_swallowed_alarm():
    """The alarm may fire inside code that swallows exceptions; it must fire again."""
    import gc

    from optmath.limits import TimeLimitExceeded, time_limit

    swallowed = []

    def swallow(phase, info):  # a gc callback, like JAX's, that would eat the first alarm
        try:
            sum(range(10_000))
        except BaseException as exc:  # noqa: BLE001
            swallowed.append(exc)

    gc.callbacks.append(swallow)
    t0 = time.perf_counter()
    try:
        with pytest.raises(TimeLimitExceeded):
            with time_limit(0.05):
                while True:
                    [object() for _ in range(1000)]
                    gc.collect(0)
    finally:
        gc.callbacks.remove(swallow)
    assert time.perf_counter() - t0 < 10


def test_results_display_in_notebooks():
    r = decide("sqrt(x**2) == x")
    assert r._repr_markdown_().startswith("```") and "refuted" in r._repr_markdown_()
