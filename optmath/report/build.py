r"""``optmath report``: compute a topic's results once (JSON with provenance), render them as
Markdown with GitHub math and figures, and as standalone HTML with the math and figures embedded.

Layout under ``OUT``: ``OUT/<topic>/results.json`` (the stored results), ``OUT/<topic>/<topic>.md``,
``OUT/<topic>/<topic>.html`` and the figures ``OUT/<topic>/*.png``.  Rendering reads the JSON and
nothing else, so it never recomputes; the same JSON gives the same bytes.
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

from .common import ReportError, notation_markdown
from .provenance import header_markdown, provenance
from .topics import TOPICS, module

FORMATS = ("md", "html")
RESULTS = "results.json"


def check_topics(topics) -> list[str]:
    topics = list(topics) or list(TOPICS)
    for t in topics:
        if t not in TOPICS:
            raise ReportError(f"unknown report topic {t!r}; choose from {', '.join(TOPICS)}")
    return topics


def check_formats(text: str) -> tuple[str, ...]:
    fmts = tuple(f.strip() for f in str(text).split(",") if f.strip())
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise ReportError(f"--format {text!r}: give md, html or md,html")
    return fmts


def compute(topic: str, seed: int = 0) -> dict:
    """Run the library for ``topic`` and return its results with provenance (JSON-able)."""
    check_topics([topic])
    data = module(topic).compute(seed)
    return {"topic": topic, "title": module(topic).TITLE,
            "provenance": provenance(f"optmath report {topic} --compute --seed {seed}", seed), **data}


def dumps(data: dict) -> str:
    return json.dumps(data, indent=1, sort_keys=True, allow_nan=False) + "\n"


def store(data: dict, out) -> Path:
    path = Path(out) / data["topic"] / RESULTS
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(data))
    return path


def load(topic: str, out) -> dict:
    """The stored results of ``topic`` under ``out`` (one-line errors when missing or damaged)."""
    check_topics([topic])
    path = Path(out) / topic / RESULTS
    if not path.is_file():
        raise ReportError(f"no stored results {str(path)!r}; compute them with: optmath report {topic} --compute "
                          f"--out {out}")
    try:
        data = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"stored results {str(path)!r} are not valid JSON ({exc.__class__.__name__})") from None
    if not isinstance(data, dict) or data.get("topic") != topic or "provenance" not in data:
        raise ReportError(f"stored results {str(path)!r} are not results of topic {topic!r}")
    return data


def render(data: dict, formats=FORMATS) -> dict[str, bytes]:
    """``{file name: bytes}`` for one topic's stored results."""
    from .html import to_html

    topic = data["topic"]
    try:
        body, figures = module(topic).render(data)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ReportError(f"stored results of {topic!r} are incomplete or damaged "
                          f"({exc.__class__.__name__}: {exc}); recompute them with --compute") from None
    md = (f"# {data['title']}\n\n{header_markdown(data['provenance'])}\n{notation_markdown(data['notation'])}\n"
          f"{body.rstrip()}\n")
    files: dict[str, bytes] = {}
    if "md" in formats:
        files[f"{topic}.md"] = md.encode()
        files.update(figures)
    if "html" in formats:
        page = to_html(md, data["title"])
        for name, blob in figures.items():
            page = page.replace(f'src="{name}"', 'src="data:image/png;base64,' + base64.b64encode(blob).decode() + '"')
        files[f"{topic}.html"] = page.encode()
    return files


def write(files: dict[str, bytes], folder) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, blob in files.items():
        p = folder / name
        p.write_bytes(blob)
        paths.append(p)
    return paths


def _extras(out, formats, recompute: bool, seed: int, progress) -> list[Path]:
    """The demo report and the exercise sheet, which have their own commands and layouts: with
    ``recompute`` they are run again, otherwise re-rendered from their stored JSON."""
    from .. import demo
    from ..teach.exercises import make_sheet, write_sheet

    out = Path(out)
    if progress:
        progress("demo and exercises")
    if recompute:
        result = demo.main(None, seed=seed, echo=lambda *a, **k: None, command=f"optmath report --compute --seed {seed}")
        written = demo.save(result, out / "demo", html="html" in formats)
        sheet = make_sheet(seed)
    else:
        result = _stored_json(out / "demo" / "demo.json", f"optmath demo --out {out / 'demo'}")
        written = demo.write_report(result, out / "demo", html="html" in formats)
        sheet = _stored_json(out / "exercises" / "sheet.json", f"optmath exercises --out {out / 'exercises'}")
    return written + write_sheet(sheet, out / "exercises")


def _stored_json(path: Path, how: str) -> dict:
    if not path.is_file():
        raise ReportError(f"no stored results {str(path)!r}; run: {how}")
    return json.loads(path.read_text())


def report(topics=(), out="reports", formats=FORMATS, recompute: bool = False, seed: int = 0,
           progress=None) -> list[Path]:
    """Render (and with ``recompute`` first compute and store) every topic; return written paths.
    With no topics: every topic, the demo report and the exercise sheet, so that one command
    regenerates the whole ``reports/`` folder."""
    everything = not list(topics)
    topics = check_topics(topics)
    written = []
    for t in topics:
        if recompute:
            if progress:
                progress(f"computing {t}")
            written.append(store(compute(t, seed), out))
        if progress:
            progress(f"rendering {t}")
        written += write(render(load(t, out), formats), Path(out) / t)
    if everything:
        written += _extras(out, formats, recompute, seed, progress)
    return written
