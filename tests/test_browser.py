"""The HTML pages in headless Chromium: the math is rendered (no raw TeX left in the visible text),
the console has no errors, and a screenshot is kept under test-artifacts/browser/.

Chromium is Debian's package; the fixture installs it (apt-get) when it is missing.  With
CI=true a skipped browser test counts as a failure (tests/conftest.py)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import one_process_at_a_time

from optmath.report.html import _protect, to_html
from optmath.teach.exercises import make_sheet, write_sheet

pytestmark = pytest.mark.browser
ROOT = Path(__file__).parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "browser"


@pytest.fixture(scope="module")
def chromium():
    with one_process_at_a_time("apt-get"):  # two workers must not run apt-get at once
        path = shutil.which("chromium") or shutil.which("chromium-browser")
        if path is None and shutil.which("apt-get") and os.geteuid() == 0:
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True, timeout=600, env=env)
            subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], capture_output=True, timeout=1200, env=env)
            path = shutil.which("chromium")
    if path is None:
        pytest.skip("Debian's chromium is not installed and cannot be installed here")
    return path


def _open(chromium, page: Path, shot: Path | None = None) -> tuple[str, list[str]]:
    """(DOM after the scripts ran, console errors) for a local page."""
    base = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--virtual-time-budget=10000", "--enable-logging=stderr", "--v=0"]
    url = page.resolve().as_uri()
    dom = subprocess.run(base + ["--dump-dom", url], capture_output=True, text=True, timeout=120)
    errors = [ln for ln in dom.stderr.splitlines() if "Uncaught" in ln or re.search(r":ERROR:CONSOLE|CONSOLE.*[Ee]rror", ln)]
    if shot is not None:
        shot.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(base + ["--window-size=1000,1800", f"--screenshot={shot}", url], capture_output=True, timeout=120)
    return dom.stdout, errors


def _visible_text(dom: str) -> str:
    dom = re.sub(r"<annotation\b.*?</annotation>", "", dom, flags=re.S)  # MathML keeps the TeX source
    dom = re.sub(r"<(script|style)\b.*?</\1>", "", dom, flags=re.S)
    return re.sub(r"<[^>]+>", " ", dom)


RAW_TEX = re.compile(r"\\\(|\\\[|\\beta|\\frac|\\sum|\$[^$\s]")


@pytest.mark.parametrize("name", ["sheet.html", "key.html"])
def test_exercise_pages_render_their_math(chromium, tmp_path, name):
    write_sheet(make_sheet(0), tmp_path)
    dom, errors = _open(chromium, tmp_path / name, ARTIFACTS / f"exercises-{name}.png")
    assert errors == [], errors
    assert dom.count('class="katex"') >= 8
    leftover = RAW_TEX.findall(_visible_text(dom))
    assert leftover == [], leftover[:5]
    assert (ARTIFACTS / f"exercises-{name}.png").stat().st_size > 10_000


def test_the_checks_can_fail(chromium, tmp_path):
    """Negative controls: a page whose script throws, and a page without KaTeX, are caught."""
    broken = tmp_path / "broken.html"
    broken.write_text(to_html("# x\n\n$\\beta_1$\n", "x").replace("renderMathInElement(", "throw new Error('boom'); ("))
    dom, errors = _open(chromium, broken)
    assert errors and RAW_TEX.findall(_visible_text(dom))


def test_committed_pages_render_too(chromium):
    page = ROOT / "reports" / "exercises" / "key.html"
    dom, errors = _open(chromium, page, ARTIFACTS / "reports-exercises-key.png")
    assert errors == [] and not RAW_TEX.findall(_visible_text(dom)) and 'class="katex"' in dom


REPORT_PAGES = ["ema", "momentum", "adam-bounds", "frameworks", "counterexamples", "proofs", "demo"]


@pytest.mark.parametrize("topic", REPORT_PAGES)
def test_report_pages_render_math_and_figures(chromium, topic):
    """Every committed report page: math rendered, no raw TeX, no console errors, every figure
    decoded by the browser (an undecodable image would show its alt text in the layout)."""
    page = ROOT / "reports" / topic / f"{topic}.html"
    shot = ARTIFACTS / f"report-{topic}.png"
    dom, errors = _open(chromium, page, shot)
    assert errors == [], errors
    leftover = RAW_TEX.findall(_visible_text(dom))
    assert leftover == [], leftover[:5]
    md = (ROOT / "reports" / topic / f"{topic}.md").read_text()
    assert dom.count('class="katex"') == len(_protect(md)[1]) > 0  # every formula of the page rendered
    assert dom.count("<img src=\"data:image/png;base64,") == md.count("![")
    assert shot.stat().st_size > 10_000
