r"""The kernel cache: where generated modules are written, and how one is imported by its path.

SymPy-free (see :mod:`optmath.kernels.quick`); :mod:`optmath.kernels.generate` writes and loads
its modules through these functions.
"""
from __future__ import annotations

import importlib.util
import os
import sys
import tempfile


def cache_dir() -> str:
    """Where generated modules are written: ``$OPTMATH_KERNEL_CACHE``, else
    ``$XDG_CACHE_HOME/optmath/kernels`` (``~/.cache/optmath/kernels``), else a folder in the
    temporary directory."""
    env = os.environ.get("OPTMATH_KERNEL_CACHE")
    if env:
        return env
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "optmath", "kernels")


def fallback_dir() -> str:
    """The folder in the temporary directory used where :func:`cache_dir` cannot be written."""
    return os.path.join(tempfile.gettempdir(), f"optmath-kernels-{os.getuid() if hasattr(os, 'getuid') else 0}")


def write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically (nothing is written when the file already holds it)."""
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def import_file(name: str, path: str):
    """Import the module file ``path`` as ``name`` (once per process)."""
    hit = sys.modules.get(name)
    if hit is not None and getattr(hit, "__file__", None) == path:
        return hit
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


__all__ = ["cache_dir", "fallback_dir", "write_text", "import_file"]
