"""Limits checked before any work starts: no input may exhaust the machine.

Every size that drives memory or time (the steps of a run, the configurations of a grid, the
examples of a conformance check, the horizon of a record, the exponents of an exercise) is
checked here before anything is allocated, against a named limit below or against the memory
this machine has available.  A refusal is one :class:`~optmath.errors.LimitError` naming the
value and the limit.

========================  ==============================================================
``MAX_STEPS``             steps of one run, sweep, phase cell, search or record (10**9)
``MAX_CONFIGURATIONS``    configurations of one sweep grid (10**9)
``MAX_CELLS``             cells of one phase diagram (400 x 400)
``MAX_EXAMPLES``          Hypothesis streams of ``optmath check`` (100,000)
``MAX_SEED``              largest seed (2**32 - 1; seeds are >= 0)
``MEMORY_FRACTION``       share of the available memory one plan may take (1/2)
``TARGET_MEMORY``         memory a ``check`` target may allocate beyond its framework (4 GiB)
========================  ==============================================================
"""
from __future__ import annotations

import os

from .errors import LimitError

MAX_STEPS = 10**9
MAX_CONFIGURATIONS = 10**9
MAX_CELLS = 400 * 400
MAX_EXAMPLES = 100_000
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
