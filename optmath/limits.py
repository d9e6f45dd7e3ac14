"""Limits checked before any work starts: no input may exhaust the machine.

Every size that drives memory or time (the steps of a run, the configurations of a grid, the
examples of a conformance check, the horizon of a record, the exponents of an exercise) is
checked here before anything is allocated, against a named limit below or against the memory
this machine has available.  A refusal is one :class:`~optmath.errors.LimitError` naming the
value and the limit.

========================  ==============================================================
``MAX_STEPS``             steps of one run, sweep, phase cell, search or record (10**9)
``MAX_CONFIGURATIONS``    configurations of one sweep grid (10**9)
``MAX_WORK``              configuration-steps of one command: configurations (grid points, phase
                          cells, search problems x methods) times steps (10**12, ten times the
                          README's 10**6 x 10**5 benchmark sweep, about 25 minutes of it)
``MAX_CELLS``             cells of one phase diagram (400 x 400)
``MAX_EXAMPLES``          Hypothesis streams of ``optmath check`` (100,000)
``MAX_BUDGET``            problems one ``optmath search`` may simulate (100,000)
``MAX_PERIOD``            period ``n`` of a periodic problem that a certificate unrolls (100,000)
``MAX_EXERCISES``         exercises of one sheet that ``optmath grade`` recomputes (100)
``MAX_RECORD_BYTES``      size of a record, sheet or answers file read back (1,000,000 bytes)
``MAX_JSON_DEPTH``        nesting depth of such a file (32; deeper JSON is refused, never recursed)
``MAX_SEED``              largest seed (2**32 - 1; seeds are >= 0)
``MEMORY_FRACTION``       share of the available memory one plan may take (1/2)
``TARGET_MEMORY``         memory a ``check`` target may allocate beyond its framework (4 GiB)
``STEP_ARRAY_BYTES``      bytes per step of the arrays every sweep holds whatever its size: the
                          learning-rate multipliers and the draws, 8 bytes a step each (16)
========================  ==============================================================

Memory estimates count every array of the plan's size, the per-step ones included: a sweep of
ten configurations over ``10**9`` steps needs 16 GB of per-step arrays although its summaries
take 480 bytes.
"""
from __future__ import annotations

import gc
import json
import math
import os
import signal
import threading
import time
from contextlib import contextmanager

from .errors import LimitError, OptmathValueError

MAX_STEPS = 10**9
MAX_CONFIGURATIONS = 10**9
MAX_CELLS = 400 * 400
MAX_WORK = 10**12
MAX_EXAMPLES = 100_000
MAX_BUDGET = 100_000
MAX_PERIOD = 100_000
MAX_EXERCISES = 100
MAX_RECORD_BYTES = 1_000_000
MAX_JSON_DEPTH = 32
STEP_ARRAY_BYTES = 16
MAX_SEED = 2**32 - 1
MEMORY_FRACTION = 0.5
TARGET_MEMORY = 4 << 30


def available_memory() -> int:
    """Bytes of memory available to a new allocation (``MemAvailable`` on Linux, else the
    physical memory)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - no way to ask
        return 1 << 40


def size(nbytes: float) -> str:
    """``nbytes`` for a message: 1.5 GiB, 320.0 MiB, ..."""
    for unit, scale in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{int(nbytes)} B"


def check_count(name: str, value, limit: int, low: int = 1) -> int:
    """``value`` as an int in ``[low, limit]``; a LimitError beyond the limit (the caller checks
    type and sign where it wants its own message)."""
    if isinstance(value, bool) or not isinstance(value, int) and not hasattr(value, "__index__"):
        raise LimitError(f"{name} = {value!r} must be an integer")
    v = int(value)
    if v < low:
        raise LimitError(f"{name} = {v} must be at least {low}")
    if v > limit:
        raise LimitError(f"{name} = {v} exceeds the limit {limit:,} (optmath.limits)")
    return v


def check_seed(seed, name: str = "seed") -> int:
    """A seed in ``[0, MAX_SEED]``."""
    if isinstance(seed, bool) or not hasattr(seed, "__index__"):
        raise LimitError(f"{name} = {seed!r} must be an integer in [0, {MAX_SEED}]")
    if not 0 <= int(seed) <= MAX_SEED:
        raise LimitError(f"{name} = {int(seed)} must be in [0, {MAX_SEED}]")
    return int(seed)


def check_memory(nbytes: float, what: str) -> None:
    """Refuse a plan that needs more than ``MEMORY_FRACTION`` of the available memory."""
    avail = available_memory()
    if nbytes > MEMORY_FRACTION * avail:
        raise LimitError(f"{what} would need {size(nbytes)}, more than {MEMORY_FRACTION:.0%} of the "
                         f"{size(avail)} of memory available")


def check_work(factors, what: str) -> int:
    """Refuse a plan whose total work, the product of ``factors`` (``(name, count)`` pairs such as
    ``("configurations", N), ("steps", T)``), exceeds ``MAX_WORK`` configuration-steps; the
    message names every factor, the product and the limit."""
    work = math.prod(int(v) for _, v in factors)
    if work > MAX_WORK:
        shown = " x ".join(f"{int(v):,} {name}" for name, v in factors)
        raise LimitError(f"{what}: {shown} = {work:,} configuration-steps exceeds the limit {MAX_WORK:,} "
                         "(optmath.limits.MAX_WORK)")
    return work


def _depth(text: str) -> int:
    """Largest nesting depth of brackets and braces outside strings (JSON's own grammar)."""
    import re

    depth = deepest = 0
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]', text):
        ch = m.group()
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def load_json(text: str, what: str, hook=None):
    """``json.loads(text)`` for files people may edit: at most ``MAX_RECORD_BYTES`` characters
    and ``MAX_JSON_DEPTH`` levels (checked before parsing, so a deep file is one LimitError and
    never a RecursionError); ``hook`` is passed as ``object_pairs_hook``.  Syntax errors are
    left to the caller (``json.JSONDecodeError``)."""
    if len(text) > MAX_RECORD_BYTES:
        raise LimitError(f"{what} is {len(text):,} characters long (limit {MAX_RECORD_BYTES:,}, optmath.limits)")
    deepest = _depth(text)
    if deepest > MAX_JSON_DEPTH:
        raise LimitError(f"{what} nests {deepest} levels deep (limit {MAX_JSON_DEPTH}, optmath.limits)")
    try:
        return json.loads(text, object_pairs_hook=hook)
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise LimitError(f"{what} nests too deeply to read") from None


def unique_keys(what: str):
    """An ``object_pairs_hook`` for :func:`load_json` that refuses a key given twice in one object."""
    def hook(pairs):
        out = {}
        for k, v in pairs:
            if k in out:
                raise OptmathValueError(f"{what} gives the key {k[:60]!r} twice")
            out[k] = v
        return out
    return hook


def read_small_text(path, what: str, limit: int, error=None, encoding: str = "utf-8") -> str:
    """The text of a small file people hand in (answers, a roster): ``error`` (an exception class
    of the project's hierarchy, :class:`LimitError` by default) with one line when it is missing,
    unreadable, over ``limit`` bytes or not ``encoding`` text; ``what`` names it in the message."""
    from pathlib import Path

    error = error or LimitError
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise error(f"{what} does not exist") from None
    except OSError as exc:
        raise error(f"{what} cannot be read: {exc.strerror}") from None
    if len(raw) > limit:
        raise error(f"{what} is {len(raw):,} bytes (limit {limit:,})")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        raise error(f"{what} is not UTF-8 text") from None


def read_json(path, what: str):
    """The JSON file ``path`` (a record, a sheet) through :func:`load_json`: its size checked
    before it is read, its depth before it is parsed, and a key given twice in one object
    refused (``json`` would keep the last silently).  ``FileNotFoundError``, ``OSError``,
    ``UnicodeDecodeError`` and ``json.JSONDecodeError`` are left to the caller."""
    from pathlib import Path

    p = Path(path)
    nbytes = p.stat().st_size
    if nbytes > MAX_RECORD_BYTES:
        raise LimitError(f"{what} is {nbytes:,} bytes (limit {MAX_RECORD_BYTES:,}, optmath.limits)")
    return load_json(p.read_text(encoding="utf-8"), what, hook=unique_keys(what))


# -- time limits on a computation (SymPy solves, claims) ----------------------------------------
class TimeLimitExceeded(Exception):
    """The time of a :func:`time_limit` ran out (raised inside its body; not an input error)."""


class Clock:
    """The deadline of one :func:`time_limit`; :meth:`check` raises :class:`TimeLimitExceeded` once it
    has passed (the cooperative half of the limit, which also works off the main thread)."""

    def __init__(self, seconds: float | None):
        self.at = None if seconds is None else time.monotonic() + seconds

    def check(self) -> None:
        if self.at is not None and time.monotonic() > self.at:
            raise TimeLimitExceeded()


def _in_swallowing_code(frame) -> bool:
    """Whether ``frame`` (or a caller of it) is a garbage-collection callback or a ``__del__``:
    Python prints and drops an exception raised there (Hypothesis and JAX install gc callbacks),
    so the alarm must wait until the work itself runs again."""
    codes = set()
    for cb in list(gc.callbacks):
        code = getattr(getattr(cb, "__func__", cb), "__code__", None)
        if code is not None:
            codes.add(code)
    while frame is not None:
        if frame.f_code in codes or frame.f_code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


@contextmanager
def time_limit(seconds: float | None):
    """Raise :class:`TimeLimitExceeded` in the body after ``seconds``; yields a :class:`Clock`.

    On the main thread a ``SIGALRM`` interrupts long SymPy calls; an alarm that arrives inside a
    gc callback or a finalizer is postponed by 10 ms instead of being raised there, and one that
    is raised and swallowed anyway fires again 0.2 s later.  The handler and the timer of an
    enclosing limit are restored on exit, with the time that is left of it.  Elsewhere (other
    threads, no ``setitimer``) only the clock's cooperative checks apply.
    """
    clock = Clock(seconds)
    if seconds is None or threading.current_thread() is not threading.main_thread() \
            or not hasattr(signal, "setitimer"):
        yield clock
        return

    def handler(signum, frame):
        if _in_swallowing_code(frame):
            signal.setitimer(signal.ITIMER_REAL, 0.01)
            return
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        raise TimeLimitExceeded()

    start = time.monotonic()
    old = signal.signal(signal.SIGALRM, handler)
    outer, outer_interval = signal.setitimer(signal.ITIMER_REAL, 0)
    signal.setitimer(signal.ITIMER_REAL, max(1e-6, min(seconds, outer) if outer else seconds))
    try:
        yield clock
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        if outer:
            left = outer - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), outer_interval)
