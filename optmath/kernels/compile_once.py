"""Compile each Numba specialisation once per machine, also when several processes want it.

Numba's on-disk cache (``cache=True``) makes a second process load a kernel that a first one
compiled, but only once the first has finished: two processes that ask for the same
specialisation at the same moment (pytest-xdist workers, Dask workers on one host, two
``optmath sweep`` runs) both compile it, a few seconds each for a blocked sweep kernel.
:func:`call` takes an inter-process lock per specialisation around compile-or-load, so the
second process waits for the first and then loads its result from the cache; the call itself
runs outside the lock.

Locks are files in the temporary directory keyed by the Numba cache directory (so processes
sharing a cache share the locks), the dispatcher's source file and function name, and the
argument types.  Where ``fcntl`` is unavailable (Windows) compiling is unlocked, as before.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from contextlib import contextmanager

import numba

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


def signature(args) -> tuple:
    """The Numba types of ``args``: the key of the specialisation a call with them uses."""
    return tuple(numba.typeof(a) for a in args)


def _lock_path(dispatcher, sig) -> str:
    fn = dispatcher.py_func
    code = fn.__code__
    key = "\0".join([str(numba.config.CACHE_DIR), code.co_filename, fn.__qualname__, str(code.co_firstlineno),
                     repr(dispatcher.targetoptions), repr(sig),
                     repr([_cell(c) for c in (fn.__closure__ or ())])])
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    folder = os.path.join(tempfile.gettempdir(), f"optmath-numba-locks-{os.getuid() if hasattr(os, 'getuid') else 0}")
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, digest + ".lock")


def _cell(cell) -> str:
    """A closure's free variable as part of the key: its value, or a function's name."""
    try:
        v = cell.cell_contents
    except ValueError:
        return "<empty>"
    if isinstance(v, (bool, int, float, str, tuple)):
        return repr(v)
    v = getattr(v, "py_func", v)
    return getattr(v, "__module__", "") + "." + getattr(v, "__qualname__", type(v).__name__)


@contextmanager
def _locked(path: str):
    if fcntl is None:  # pragma: no cover
        yield
        return
    with open(path, "a") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def ensure_compiled(dispatcher, args) -> None:
    """Make the specialisation of ``dispatcher`` for ``args`` ready in this process: found in
    memory, loaded from Numba's cache, or compiled (and saved) while holding its lock."""
    sig = signature(args)
    if sig in dispatcher.overloads:
        return
    try:
        path = _lock_path(dispatcher, sig)
    except OSError:  # no writable temporary directory: compile unlocked
        dispatcher.compile(sig)
        return
    with _locked(path):
        dispatcher.compile(sig)


def call(dispatcher, *args):
    """``dispatcher(*args)``, compiling its specialisation at most once across processes."""
    ensure_compiled(dispatcher, args)
    return dispatcher(*args)
