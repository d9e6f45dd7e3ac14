"""Where a stored result came from: version, commit, command, seed and library versions."""
from __future__ import annotations

import platform
import subprocess
from pathlib import Path

from .._version import __version__

LIBRARIES = ("numpy", "sympy", "numba", "mpmath", "matplotlib")


def commit() -> str:
    """Short hash of the checkout this package runs from, with ``+dirty`` when tracked files
    differ from it; ``unknown`` outside a git checkout."""
    here = Path(__file__).parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=here, timeout=5).stdout.strip()
        if not head:
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ":/optmath", ":/proofs"],
                               capture_output=True, text=True, cwd=here, timeout=10).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "optmath": __version__}
    for name in LIBRARIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def provenance(command: str, seed: int | None = None) -> dict:
    """The provenance block every stored result carries (``command`` reproduces the result)."""
    return {"optmath": __version__, "commit": commit(), "command": command, "seed": seed, "versions": versions()}


def header_markdown(p: dict) -> str:
    """The provenance header at the top of every report (Markdown)."""
    libs = ", ".join(f"{k} {v}" for k, v in sorted(p["versions"].items()) if k != "optmath")
    seed = "none (no randomness)" if p.get("seed") is None else str(p["seed"])
    return ("| provenance | |\n|---|---|\n"
            f"| optmath | {p['optmath']} |\n| commit | `{p['commit']}` |\n| command | `{p['command']}` |\n"
            f"| seed | {seed} |\n| libraries | {libs} |\n\n"
            "Generated from the stored results next to this file; do not edit: regenerate with "
            "`optmath report --compute`.\n")
