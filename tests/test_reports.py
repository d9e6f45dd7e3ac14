"""Reports: the committed reports/ folder is exactly what `optmath report` renders from the stored
results; the stored results are what the code computes now; every report carries provenance and
notation; HTML is standalone; bad input gets one-line errors."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from optmath.errors import OptmathError
from optmath.report.build import FORMATS, RESULTS, check_formats, check_topics, compute, dumps, load, render, report
from optmath.report.common import ReportError
from optmath.report.topics import TOPICS

ROOT = Path(__file__).parent.parent
REPORTS = ROOT / "reports"
STORED = [f"{t}/{RESULTS}" for t in TOPICS] + ["demo/demo.json", "exercises/sheet.json"]


def _without_provenance(d: dict) -> dict:
    return {k: v for k, v in json.loads(dumps(d)).items() if k != "provenance"}


def test_committed_reports_are_regenerated_byte_for_byte(tmp_path):
    for rel in STORED:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPORTS / rel, tmp_path / rel)
    written = report((), tmp_path)
    rendered = {p.relative_to(tmp_path).as_posix() for p in written} - set(STORED)
    committed = {p.relative_to(REPORTS).as_posix() for p in REPORTS.rglob("*") if p.is_file()} - set(STORED)
    assert rendered == committed, "reports/ holds files optmath report does not write, or misses some"
    import matplotlib

    stale = [rel for rel in sorted(rendered) if (tmp_path / rel).read_bytes() != (REPORTS / rel).read_bytes()]
    assert not stale, (f"stale: {stale}; regenerate with `optmath report` (rendering with matplotlib "
                       f"{matplotlib.__version__})")


def test_every_topic_exists_in_markdown_and_html_with_provenance_and_notation():
    for t in TOPICS:
        md = (REPORTS / t / f"{t}.md").read_text()
        assert md.startswith(f"# {load(t, REPORTS)['title']}\n")
        for row in ("| optmath |", "| commit |", "| command | `optmath report", "| seed |", "| libraries |"):
            assert row in md, (t, row)
        assert "## Notation" in md and "$" in md
        page = (REPORTS / t / f"{t}.html").read_text()
        assert page.startswith("<!DOCTYPE html>") and "renderMathInElement" in page
        # standalone: nothing is fetched when the page is viewed
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
        figures = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", md)
        assert page.count('src="data:image/png;base64,') == len(figures)
        for f in figures:
            blob = (REPORTS / t / f).read_bytes()
            assert blob.startswith(b"\x89PNG") and b"tIME" not in blob and b"Software" not in blob


@pytest.mark.parametrize("topic", ["ema", "momentum", "adam-bounds"])
def test_stored_results_are_what_the_code_computes_now(topic, evidence):
    """Every stored number of the topic recomputed now; its proof sections are taken from this
    run's ``optmath prove --json`` (the conftest fixture), which ran those proofs already (the
    recomputation with the proofs run again is the slow test below)."""
    from optmath.report.common import reusing_proof_results

    code, stderr, fresh = evidence
    assert fresh is not None, stderr
    with reusing_proof_results(fresh["claims"]):
        assert _without_provenance(compute(topic, 0)) == _without_provenance(load(topic, REPORTS))


@pytest.mark.slow
@pytest.mark.parametrize("topic", ["ema", "momentum", "adam-bounds"])
def test_stored_results_are_what_the_code_computes_now_with_its_proofs(topic):
    assert _without_provenance(compute(topic, 0)) == _without_provenance(load(topic, REPORTS))


from optmath.report.common import RESULT_FIELDS  # noqa: E402


def test_stored_proof_summary_is_what_the_proof_suite_gives_now(evidence):
    """The proofs topic against this run's ``optmath prove --json`` (the conftest fixture runs the
    suite once for test_proofs.py and for this test): every claim's checks, status and numbers, and
    the text the report takes from the proof files.  The full recomputation through ``compute``
    is the slow test below."""
    import ast

    from optmath.proof import discover
    from optmath.report.common import proof_sections

    code, stderr, fresh = evidence
    assert fresh is not None, stderr
    stored = load("proofs", REPORTS)
    claims = {c["name"]: c for c in fresh["claims"]}
    assert [p["name"] for p in stored["proofs"]] == list(claims)
    assert stored["count"] == len(claims) and stored["reached"] == sum(c["ok"] for c in claims.values())
    entries = discover()
    for p in stored["proofs"]:
        assert {k: p[k] for k in RESULT_FIELDS} == {k: claims[p["name"]][k] for k in RESULT_FIELDS}, p["name"]
        doc = (ast.get_docstring(ast.parse(entries[p["name"]].path.read_text())) or "").strip()
        sections = proof_sections(doc)
        assert p["title"] == " ".join(doc.split("\n\n")[0].split())
        assert (p["assumptions"], p["steps"], p["references"]) == \
            (sections.get("Assumptions", ""), sections.get("Derivation", ""), sections.get("References", ""))


@pytest.mark.slow
def test_stored_proof_summary_is_what_compute_gives_now():
    assert _without_provenance(compute("proofs", 0)) == _without_provenance(load("proofs", REPORTS))


def test_stored_framework_verdicts_are_recomputed_for_a_sample():
    from optmath.verify.equivalence import equivalence
    from optmath.proof import jsonable

    stored = load("frameworks", REPORTS)
    # one verdict of each kind (conditional twice); "different" through AMSGrad (5 s) rather than
    # Yogi (27 s: its sign() makes every single-hyperparameter solve run to its time limit)
    sample = [v for v in stored["verdicts"] if v["b"] in
              {"adam:keras", "adamw:paper", "nesterov:paper", "amsgrad:optax", "adagrad:optax"}]
    assert len(sample) == 5 and {v["kind"] for v in sample} == {"conditional", "reparameterisation", "shift",
                                                                 "different"}
    for v in sample:
        fresh = jsonable(equivalence(v["a"], v["b"], steps=2).as_dict())
        assert json.loads(json.dumps(fresh)) == {k: x for k, x in v.items() if k != "optimizer"}


def test_stored_counterexamples_are_recomputed_in_a_bounded_form():
    """The trajectories and the analytic edges again (the searches themselves: the slow test)."""
    from optmath.report.topics.counterexamples import EDGE_B2, _trajectories
    from optmath.search.certify import adam_failure_boundary

    stored = load("counterexamples", REPORTS)
    assert all(f["record"] and f["record"]["certified"] for f in stored["found"])
    for f in stored["found"]:
        assert _trajectories(f["record"]) == f["trajectories"]
    assert [adam_failure_boundary(b) for b in EDGE_B2] == [e["C_star"] for e in stored["edge_C"]]


@pytest.mark.slow
@pytest.mark.parametrize("topic", ["frameworks", "counterexamples"])
def test_slow_topics_recompute_exactly(topic):
    assert _without_provenance(compute(topic, 0)) == _without_provenance(load(topic, REPORTS))


def test_numbers_in_the_reports_come_from_the_library():
    from optmath.symbolic.ema import steps_until

    ema = (REPORTS / "ema" / "ema.md").read_text()
    cells = " | ".join(f"{steps_until('0.999', d):,} / {steps_until('0.999', d, 'factor'):,}"
                       for d in ("0.1", "0.01", "0.001"))
    assert f"| 0.999 | {cells} |" in ema
    assert (f"| 0.999 | 0.01 | 50.4767 | no | {steps_until('0.999', '0.01'):,} | "
            f"{steps_until('0.999', '0.01', 'factor'):,} |") in ema
    proofs = (REPORTS / "proofs" / "proofs.md").read_text()
    n = len(load("proofs", REPORTS)["proofs"])
    assert f"ran {n} claims" in proofs and f"{n} reached the status the suite expects" in proofs


def test_rendering_is_deterministic_and_reads_only_the_stored_data(tmp_path):
    data = load("momentum", REPORTS)
    a, b = render(data), render(json.loads(json.dumps(data)))
    assert a == b and set(a) == {"momentum.md", "momentum.html", "rate_map.png"}
    data["rate_map"]["rho"][0][0] = 0.123456789  # rendering shows what is stored, nothing recomputed
    assert render(data, ("md",))["rate_map.png"] != a["rate_map.png"]


def test_bad_input_gets_one_line_errors(tmp_path):
    for call, text in ((lambda: check_topics(["nope"]), "unknown report topic 'nope'"),
                       (lambda: check_formats("pdf"), "--format 'pdf'"),
                       (lambda: check_formats(""), "--format ''"),
                       (lambda: load("ema", tmp_path), "optmath report ema --compute")):
        with pytest.raises(ReportError, match=re.escape(text)) as exc:
            call()
        assert isinstance(exc.value, (OptmathError, ValueError)) and "\n" not in str(exc.value)
    (tmp_path / "ema").mkdir()
    for content, text in (("{not json", "not valid JSON"), ('{"topic": "momentum", "provenance": {}}', "not results"),
                          ("[1, 2]", "not results"), ("\xff\xfe", "not valid JSON")):
        (tmp_path / "ema" / RESULTS).write_bytes(content.encode("latin-1"))
        with pytest.raises(ReportError, match=text):
            load("ema", tmp_path)
    damaged = load("ema", REPORTS)
    del damaged["negligible"]
    with pytest.raises(ReportError, match="incomplete or damaged"):
        render(damaged)


@pytest.mark.parametrize("args,text", [(["report", "nope"], "unknown report topic"),
                                       (["report", "ema", "--format", "pdf"], "--format"),
                                       (["report", "ema", "--out", "{tmp}"], "no stored results")])
def test_cli_errors_exit_2_with_one_line(tmp_path, args, text):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    r = subprocess.run([sys.executable, "-m", "optmath.cli", *args], capture_output=True, text=True, timeout=120)
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("optmath: error:")]
    assert r.returncode == 2 and len(errors) == 1 and text in errors[0] and "Traceback" not in r.stderr


def test_cli_renders_from_stored_results(tmp_path):
    shutil.copytree(REPORTS / "proofs", tmp_path / "proofs", ignore=shutil.ignore_patterns("*.md", "*.html"))
    r = subprocess.run([sys.executable, "-m", "optmath.cli", "report", "proofs", "--out", str(tmp_path),
                        "--format", "md"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "proofs" / "proofs.md").read_bytes() == (REPORTS / "proofs" / "proofs.md").read_bytes()
    assert not (tmp_path / "proofs" / "proofs.html").exists() and FORMATS == ("md", "html")
