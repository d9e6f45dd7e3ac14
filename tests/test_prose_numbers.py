"""Numbers in the prose of the reports are computed (issue 21, points 2 and 3): every numeral of a
rendered report is a stored number (to the digits shown), a value of the topic's table of inputs
or a formula constant inside math; the topic modules type no number into their prose; perturbing
a stored number changes the sentence that states it; sentences that compare or say "from step N"
follow the computed predicate."""
from __future__ import annotations

import ast
import copy
import json
from pathlib import Path

import numpy as np
import pytest

from optmath.report.build import load, render
from optmath.report.prose import MATH_CONSTANTS, compare, first_true, from_step, numerals, report_untraceable, \
    traceable
from optmath.report.topics import TOPICS, module

ROOT = Path(__file__).parent.parent
REPORTS = ROOT / "reports"


def _md(data: dict) -> str:
    return render(data, ("md",))[f"{data['topic']}.md"].decode()


@pytest.mark.parametrize("topic", list(TOPICS))
def test_every_numeral_of_a_committed_report_is_traceable(topic):
    md = (REPORTS / topic / f"{topic}.md").read_text()
    bad = report_untraceable(md, load(topic, REPORTS), getattr(module(topic), "INPUTS", None))
    assert not bad, f"numerals in reports/{topic} that no stored result or input explains: {bad}"


def test_the_scan_finds_a_typed_number():
    data = load("adam-bounds", REPORTS)
    md = (REPORTS / "adam-bounds" / "adam-bounds.md").read_text()
    inputs = module("adam-bounds").INPUTS
    assert not report_untraceable(md, data, inputs)
    typed = md.replace("## The sparse case", "The sparse step exceeds lr for t >= 4242.\n\n## The sparse case", 1)
    assert report_untraceable(typed, data, inputs) == {"body": ["4242"]}
    # and inside a proof block the proof's own result is the only source
    # (its ASCII formulas may use the constants 0, 1, 2 and 1/2)
    typed = md.replace("**Claim.** Refuted: \"Adam's per-coordinate step", "**Claim.** (from t = 4242) Refuted: \"Adam's "
                       "per-coordinate step", 1)
    assert report_untraceable(typed, data, inputs) == {"bounds/refute_adam_step_at_most_lr": ["4242"]}


def test_numerals_and_traceable_rules():
    assert numerals("a $10^{-150}$ b `--b1 0.9` **Step 5.** g_1 b2 1,000 and 5.78% in section 7.1 (2018)") == \
        ["1e-150", "1,000", "5.78%"]
    assert traceable("5.78", [5.7811602]) and not traceable("5.79", [5.7811602])
    assert traceable("1,000", [1000]) and traceable("10%", [0.1]) and traceable("2.5e-7", [2.5e-7])
    assert numerals("$1 - \\beta$ and 3", in_math=True) == ["1"] and numerals("$1 - \\beta$ and 3", in_math=False) == ["3"]


def _prose_strings(path: Path) -> list[tuple[int, str]]:
    """String constants (and the constant parts of f-strings) that are not docstrings and not in
    the table of inputs (the module-level UPPER_CASE constants at the top: INPUTS, SEARCHES, ...)."""
    tree = ast.parse(path.read_text())
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and ast.get_docstring(node, clean=False):
            skip.add(id(node.body[0].value))
    for node in tree.body:
        if isinstance(node, ast.Assign) and all(isinstance(t, (ast.Name, ast.Tuple)) for t in node.targets) and all(
                n.id.isupper() for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)):
            skip.update(id(n) for n in ast.walk(node.value))
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skip]


@pytest.mark.parametrize("topic", list(TOPICS))
def test_topic_modules_type_no_number_into_their_prose(topic):
    mod = module(topic)
    path = Path(mod.__file__)
    bad = [(line, n) for line, text in _prose_strings(path) for n in numerals(text)
           if not traceable(n, list(MATH_CONSTANTS))]
    assert not bad, f"{path.name}: numbers typed into prose (put them in INPUTS or the results): {bad}"


# --- mutation: perturb a stored number, the sentence that states it changes -----------------
MUTATIONS = [
    ("adam-bounds", ("cases", 0, "sup_above_bound", "first"), 211, "it exceeds it from $t = 211$ on"),
    ("adam-bounds", ("cases", 0, "spike_above_lr", "first"), 107, "exceeds $\\eta$ from $t = 107$ on"),
    ("adam-bounds", ("cases", 0, "sup_limit"), 7.5, "tends to $7.5\\,\\eta$"),
    ("adam-bounds", ("cases", 0, "bound"), 3.5, "the stated bound is $3.5\\,\\eta$"),
    ("momentum", ("tuning", 1, "hb_steps_L"), 97, "| 69 | 83 / 97 |"),
    ("momentum", ("terminal", "factor"), 11.0, "(11 times for the default"),
    ("ema", ("claim", 4, "factor_steps"), 4614, "| 4,603 | 4,614 |"),
    ("frameworks", ("keras_parts", "eps_hat_alone"), 0.5, "gives 0.5;"),
]


def _set(d, path, value):
    for k in path[:-1]:
        d = d[k]
    old, d[path[-1]] = d[path[-1]], value
    return old


@pytest.mark.parametrize("topic,path,value,text", MUTATIONS, ids=[f"{m[0]}:{'.'.join(map(str, m[1]))}" for m in MUTATIONS])
def test_perturbing_a_stored_number_changes_the_prose(topic, path, value, text):
    data = load(topic, REPORTS)
    before = _md(data)
    changed = copy.deepcopy(data)
    old = _set(changed, path, value)
    assert old != value and text not in before
    after = _md(changed)
    assert after != before and text in after


@pytest.mark.parametrize("topic,subtree", [("adam-bounds", "cases"), ("momentum", "tuning"), ("ema", "claim"),
                                           ("ema", "negligible"), ("adam-bounds", "worst"), ("frameworks", "keras_parts")])
def test_every_stored_number_of_a_prose_table_is_shown(topic, subtree):
    """Every number in these results (ints and floats, sampled) changes the Markdown when perturbed."""
    data = load(topic, REPORTS)
    before = _md(data)
    leaves = []

    def walk(x, path):
        if isinstance(x, bool) or x is None:
            return
        if isinstance(x, (int, float)):
            leaves.append(path)
        elif isinstance(x, dict):
            for k, v in x.items():
                walk(v, path + (k,))
        elif isinstance(x, list):
            for i, v in enumerate(x):
                walk(v, path + (i,))

    walk(data[subtree], (subtree,))
    skip = {"last", "relative_error", "kernel_m_at_n", "kernel_m_before", "one_minus_b1", "weight_at_t", "hb_run",
            "eps_pytorch", "t", "g", "exact", "sqrt_one_minus_b2"}  # shown elsewhere or only through another number
    leaves = [p for p in leaves if p[-1] not in skip]
    rng = np.random.default_rng(0)
    for i in rng.choice(len(leaves), size=min(12, len(leaves)), replace=False):
        changed = json.loads(json.dumps(data))
        x = leaves[i]
        cur = changed
        for k in x[:-1]:
            cur = cur[k]
        cur[x[-1]] = cur[x[-1]] * 3 + 7 if isinstance(cur[x[-1]], int) else cur[x[-1]] * 1.37 + 0.11
        assert _md(changed) != before, f"{topic}: perturbing {x} does not change the report"


# --- predicates: the words follow the data --------------------------------------------------
def test_comparison_words_follow_the_numbers():
    assert compare(5.78, 3.16) == "exceeds" and compare(0.744, 1) == "is below" and compare(1, 1) == "equals"
    f = first_true([1, 2, 3, 4], [False, True, True, True])
    assert f == {"first": 2, "holds_after": True, "last": 4}
    assert "from $t = 2$ on" in from_step(f, "exceeds", "never")
    g = first_true([1, 2, 3], [False, True, False])
    assert "first at $t = 2$, but not at every later step" in from_step(g, "exceeds", "never")
    assert "never" in from_step(first_true([1, 2], [False, False]), "exceeds", "never")


def test_flipped_predicates_flip_the_sentences():
    data = load("adam-bounds", REPORTS)
    md = _md(data)
    assert "approaches it from below and never attains it" in md
    flipped = copy.deepcopy(data)
    flipped["cases"][0]["spike_below_limit"] = False
    flipped["cases"][0]["sup_above_bound"] = {"first": None, "holds_after": False, "last": 20000}
    out = _md(flipped)
    assert "approaches it from below" not in out and "is not below it at every step" in out
    assert "it never exceeds it (checked up to $t = 20,000$)" in out
    swapped = copy.deepcopy(data)
    swapped["cases"][0]["one_minus_b1"], swapped["cases"][0]["sqrt_one_minus_b2"] = 0.01, 0.5
    assert "is below $\\sqrt{1-\\beta_2}" in _md(swapped)
