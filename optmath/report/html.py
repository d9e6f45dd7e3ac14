r"""Standalone HTML from optmath's Markdown, with the math rendered offline.

The Markdown uses GitHub's math syntax (``$...$`` inline, ``$$...$$`` on display).  Math is cut
out before the Markdown is rendered (so ``_`` and ``*`` inside formulas are not read as
emphasis), put back HTML-escaped, and rendered in the browser by KaTeX, which is embedded in the
page together with its fonts (``vendor/katex``, MIT): nothing is fetched when the page is
viewed.  The same input gives the same bytes.
"""
from __future__ import annotations

import base64
import html
import re
from functools import lru_cache
from pathlib import Path

VENDOR = Path(__file__).parent / "vendor" / "katex"
_MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$", re.S)
_CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)


@lru_cache(maxsize=1)
def _katex_assets() -> tuple[str, str]:
    """(CSS with the woff2 fonts as data URIs, JS of KaTeX and its auto-render extension)."""
    css = (VENDOR / "katex.min.css").read_text()

    def font(m):
        name = m.group(1)
        data = base64.b64encode((VENDOR / "fonts" / f"{name}.woff2").read_bytes()).decode()
        return f"url(data:font/woff2;base64,{data}) format(\"woff2\")"

    css = re.sub(r"url\(fonts/([A-Za-z0-9_-]+)\.woff2\) format\(\"woff2\"\)", font, css)
    css = re.sub(r",url\(fonts/[^)]+\.(?:woff|ttf)\) format\(\"(?:woff|truetype)\"\)", "", css)
    js = (VENDOR / "katex.min.js").read_text() + "\n" + (VENDOR / "auto-render.min.js").read_text()
    return css, js


def _protect(markdown: str) -> tuple[str, list[str]]:
    """Replace math outside code by placeholders; return the text and the math pieces."""
    pieces: list[str] = []

    def repl(m):
        display = m.group(1) is not None
        tex = m.group(1) if display else m.group(2)
        pieces.append(("\\[" + tex + "\\]") if display else ("\\(" + tex + "\\)"))
        return f"OPTMATHMATH{len(pieces) - 1}X"

    out = []
    for part in _CODE.split(markdown):
        out.append(part if part.startswith("`") else _MATH.sub(repl, part))
    return "".join(out), pieces


STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 52em;
       margin: 2em auto; padding: 0 1em; line-height: 1.5; color: #1f2328; }
pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; }
code { background: #f6f8fa; padding: 0.1em 0.3em; }
table { border-collapse: collapse; } td, th { border: 1px solid #d0d7de; padding: 0.3em 0.6em; }
"""


def to_html(markdown: str, title: str) -> str:
    """A standalone HTML page for ``markdown`` (GitHub math syntax), math rendered offline."""
    from markdown_it import MarkdownIt

    text, pieces = _protect(markdown)
    body = MarkdownIt("commonmark").enable("table").render(text)
    for i, tex in enumerate(pieces):
        body = body.replace(f"OPTMATHMATH{i}X", html.escape(tex, quote=False))
    css, js = _katex_assets()
    render = ('renderMathInElement(document.body, {delimiters: [{left: "\\\\[", right: "\\\\]", display: true}, '
              '{left: "\\\\(", right: "\\\\)", display: false}], throwOnError: false});')
    return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{html.escape(title)}</title>\n"
            f"<style>{css}</style>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n<script>{js}</script>\n"
            f"<script>{render}</script>\n</body>\n</html>\n")
