r"""Sweeps beyond one machine: chunks of a grid as Dask tasks.

``scheduler="local"`` starts a :class:`distributed.LocalCluster` on this machine (one worker
process per core, one thread each: each task's kernel is itself parallel); ``tcp://HOST:PORT``
connects to an existing scheduler (``dask scheduler`` on one machine, ``dask worker
tcp://HOST:PORT`` on the others, each with optmath installed at the same version).

A task carries the :class:`~optmath.grid.Grid` (a few hundred bytes: axes, optimizer, problem)
and its chunk bounds, computes the chunk with the chosen backend and returns the summaries.
Results are placed by chunk index as they complete.  When a worker dies, the scheduler
reschedules the tasks it held on the remaining workers; a task is pure (the same inputs give the
same bits), so a recomputed chunk is identical and, being placed by its index, is counted once.
"""
from __future__ import annotations

from .errors import DomainError, OptmathError


class DaskUnavailableError(OptmathError, RuntimeError):
    """The Dask backend was asked for without ``distributed`` installed."""


def _client(scheduler):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise DaskUnavailableError("the Dask backend needs the 'distributed' package: pip install 'optmath[dask]'") from None
    if scheduler == "local":
        cluster = LocalCluster(processes=True, threads_per_worker=1, dashboard_address=None)
        return Client(cluster), cluster
    if not isinstance(scheduler, str) or not scheduler.startswith(("tcp://", "tls://", "inproc://")):
        raise DomainError(f"scheduler {scheduler!r} must be 'local' or an address such as tcp://HOST:8786")
    try:
        return Client(scheduler, timeout="10s"), None
    except OSError as e:
        raise DomainError(f"cannot reach the Dask scheduler {scheduler}: {e}") from None


def map_chunks(grid, bounds, backend, block, *, scheduler=None, client=None):
    """Yield ``(chunk index, (start, summaries))`` for every chunk, as the tasks complete."""
    from distributed import as_completed

    from .grid import _chunk_task

    own = None
    if client is None:
        client, cluster = _client(scheduler)
        own = (client, cluster)
    try:
        futures = {}
        for i, (a, b) in enumerate(bounds):
            f = client.submit(_chunk_task, grid, a, b, backend, block, key=f"optmath-chunk-{grid.size}-{a}-{b}-{id(grid)}",
                              pure=False, retries=2)
            futures[f] = i
        for f in as_completed(list(futures)):
            yield futures[f], f.result()
    finally:
        if own is not None:
            own[0].close()
            if own[1] is not None:
                own[1].close()
