"""The corpus: real optimizer implementations installed from PyPI, checked by import path against
the verdicts written in ``tests/data/corpus.toml`` from reading their sources, before the checker
first ran on them (the commit order shows it).  The README's corpus table reads the same file.

* ``expected = "conforms"``: the check must conform, with the table's profile among the matches
  where it names one.  Where the table says the code ``needs`` a convention optmath does not
  have yet, the case is an expected failure (strict: it fails loudly once the convention exists).
* ``expected = "differs"``: the check must not conform, and the difference must be named (a
  catalogued bug, another profile, another optimizer): never "no catalogued bug class".
* ``blocked``: the package cannot be imported on Python 3.11 or installed beside the test extra;
  the reason is in the table (and the README), and the row is not counted.

The default tier checks the rows marked ``default_tier`` (every style, five packages outside
torch.optim, optax and Keras); ``pytest -m slow`` checks them all."""
from __future__ import annotations

import importlib.util
import os
import tomllib
from pathlib import Path

import pytest

from optmath.verify.conformance import check

TABLE = Path(__file__).parent / "data" / "corpus.toml"
ROWS = tomllib.loads(TABLE.read_text())["implementation"]
CORE = ("torch", "optax", "keras")
#: rows whose convention optmath does not model yet: why, from the table's ``needs``
_DECOUPLED = ("decoupled weight decay on {}: the spec has none|l2 only; the conventions issue (17) offers "
              "every decay fragment to every rule")
_ADAMP = ("the authors' AdamP projects only tensors of two or more dimensions and tries the per-row (channel) "
          "view first: a per-row reduction the spec language lacks (the kernel generator's reduction fragment)")
UNSUPPORTED: dict[str, str] = {
    "torch-nadam-decoupled": _DECOUPLED.format("nadam"),
    "torch-radam-decoupled": _DECOUPLED.format("radam"),
    # float32 arithmetic of a correct rule conforms as float32 (issue 18), but its decay is decoupled
    "torch-optimizer-radam": _DECOUPLED.format("radam"),
    # pytorch-optimizer's RAdam decouples its decay (weight_decouple=True by default)
    "pytorch-optimizer-radam": _DECOUPLED.format("radam"), "pytorch-optimizer-radam-sgd": _DECOUPLED.format("radam"),
    "adamp-adamp": _ADAMP, "torch-optimizer-adamp": _ADAMP, "pytorch-optimizer-adamp": _ADAMP,
}
pytestmark = pytest.mark.parity  # never skipped in CI


def _param(row):
    marks = [] if row.get("default_tier") else [pytest.mark.slow]
    if row["id"] in UNSUPPORTED:
        marks.append(pytest.mark.xfail(strict=True, reason=UNSUPPORTED[row["id"]]))
    return pytest.param(row, id=row["id"], marks=marks)


def test_the_table_meets_the_corpus_requirements():
    ids = [r["id"] for r in ROWS]
    assert len(ids) == len(set(ids))
    runnable = [r for r in ROWS if not r.get("blocked")]
    assert len(runnable) >= 30
    assert len([r for r in runnable if r["package"] not in CORE]) >= 15
    assert {r["style"] for r in runnable} >= {"torch", "optax", "keras", "loop"}
    for r in ROWS:
        assert r["expected"] in ("conforms", "differs"), r["id"]
        assert (r["expected"] == "differs") == bool(r.get("cause")), r["id"]
        assert ":" in r["source"] and r["source"].rsplit(":", 1)[1].isdigit(), r["id"]
    default = [r for r in runnable if r.get("default_tier")]
    assert not {r["id"] for r in default} & set(UNSUPPORTED), "an expected failure in the default tier costs time"
    assert {r["style"] for r in default} >= {"torch", "optax", "keras", "loop"}
    assert len({r["package"] for r in default if r["package"] not in CORE}) >= 5


@pytest.mark.parametrize("row", [_param(r) for r in ROWS if not r.get("blocked")])
def test_corpus_implementation_gets_its_documented_verdict(row):
    assert importlib.util.find_spec(row["target"].split(":")[0].split(".")[0]) is not None, \
        f"{row['package']} {row['version']} (the test extra) is not installed"
    os.environ.setdefault("KERAS_BACKEND", "jax")
    r = check(row["target"], row["optimizer"], options=row.get("kwargs") or None,
              examples=2 if row.get("default_tier") else 20)
    assert r.exit_code != 2, r.reason
    if row["expected"] == "conforms":
        assert r.conforms, str(r)
        decay = any(k in r.kwargs and r.kwargs[k] for k in ("weight_decay", "decay"))
        if row.get("profile") and not decay:  # the profile is read at the package's defaults (no decay)
            assert any(f"profile {row['profile']}" in m or f"/ {row['profile']}" in m for m in r.matched), \
                (row["profile"], r.matched)
    else:
        assert not r.conforms and r.exit_code == 1, str(r)
        assert r.diagnosis is not None or r.matching_profile or r.other_algorithm, str(r)



# --- the README's corpus table: rendered from the same file --------------------------------------
README = Path(__file__).parent.parent / "README.md"
START, END = "<!-- corpus table: generated by python tests/test_corpus.py -->", "<!-- end of corpus table -->"


def corpus_markdown() -> str:
    runnable = [r for r in ROWS if not r.get("blocked")]
    outside = {r["package"] for r in runnable if r["package"] not in CORE}
    lines = [START, "",
             f"{len(ROWS)} rows, {len(runnable)} runnable ({len([r for r in runnable if r['package'] not in CORE])} "
             f"outside torch.optim, optax and Keras, from {len(outside)} packages); "
             f"{len([r for r in runnable if r.get('default_tier')])} in the default tier.", "",
             "| row | target | style | as | expected | status | source |", "|---|---|---|---|---|---|---|"]
    for r in ROWS:
        status = (f"blocked: {r['blocked']}" if r.get("blocked") else
                  f"expected failure: {UNSUPPORTED[r['id']]}" if r["id"] in UNSUPPORTED else
                  "default tier" if r.get("default_tier") else "slow tier")
        verdict = r["expected"] + (f" ({r['profile']})" if r.get("profile") else "")
        if r.get("cause"):
            verdict += f": {r['cause']}"
        elif r.get("needs"):
            verdict += f"; needs {r['needs']}"
        cells = [r["id"], f"`{r['target']}` {r['package']} {r['version']}", r["style"], r["optimizer"], verdict,
                 status, f"`{r['source']}`"]
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    lines += ["", END]
    return "\n".join(lines)


def test_the_readme_shows_the_corpus_table_as_it_is():
    text = README.read_text()
    assert START in text and END in text, "README has no corpus table; run python tests/test_corpus.py"
    shown = text[text.index(START):text.index(END) + len(END)]
    assert shown == corpus_markdown(), "README's corpus table is stale; run python tests/test_corpus.py"


if __name__ == "__main__":  # rewrite the README's table from tests/data/corpus.toml
    text = README.read_text()
    if START in text:
        text = text[:text.index(START)] + corpus_markdown() + text[text.index(END) + len(END):]
    else:
        raise SystemExit(f"README.md has no line {START!r}: add it where the table goes, then run again")
    README.write_text(text)
