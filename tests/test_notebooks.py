"""The example notebooks under docs/notebooks execute without errors (nbclient, a real kernel),
are committed without outputs (so no stale output is ever committed), and show optmath objects
through their rich displays."""
from __future__ import annotations

from pathlib import Path

import pytest

from optmath.report.topics import TOPICS

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).parent.parent / "docs" / "notebooks"


def test_one_notebook_per_report_topic():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(TOPICS)


@pytest.mark.parametrize("topic", list(TOPICS))
def test_notebook_is_committed_without_outputs(topic):
    nb = nbformat.read(NOTEBOOKS / f"{topic}.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.parametrize("topic", list(TOPICS))
def test_notebook_executes(topic, tmp_path):
    nb = nbformat.read(NOTEBOOKS / f"{topic}.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on any failing cell (assertions included)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    rich = [o for o in outputs if o.output_type == "execute_result"]
    assert rich, "the notebook displays nothing"
    if topic != "frameworks":  # the frameworks notebook shows Equivalence verdicts (Markdown)
        assert any("text/markdown" in o.data or "text/latex" in o.data for o in rich)
