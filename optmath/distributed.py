r"""Sweeps, phase diagrams and searches beyond one machine: blocks of work as Dask tasks.

``scheduler="local"`` starts a :class:`distributed.LocalCluster` on this machine (one worker
process per core, one thread each: each task's kernel is itself parallel); ``tcp://HOST:PORT``
connects to an existing scheduler (``dask scheduler`` on one machine, ``dask worker
tcp://HOST:PORT`` on the others, each with optmath installed at the same version).

Every task is a module-level function of small, picklable arguments: a grid sweep's task
carries the :class:`~optmath.grid.Grid` (a few hundred bytes) and its chunk bounds; a phase
diagram's, one row of cells; a search's, one candidate problem.  :func:`dask_map` yields each
task's result with its index, so the caller places it where the local loop would have; when a
worker dies, the scheduler reschedules the tasks it held on the remaining workers, and since a
task is pure (the same inputs give the same bits on the same software stack), a recomputed task
is identical and, placed by its index, counted once.
"""
from __future__ import annotations

import os

from contextlib import contextmanager

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
    timeout = os.environ.get("OPTMATH_DASK_TIMEOUT", "10")  # seconds to wait for a scheduler
    try:
        seconds = float(timeout)
        if not seconds > 0:
            raise ValueError
    except ValueError:
        raise DomainError(f"OPTMATH_DASK_TIMEOUT = {timeout!r} must be a positive number of seconds") from None
    try:
        return Client(scheduler, timeout=f"{seconds}s"), None
    except OSError as e:
        raise DomainError(f"cannot reach the Dask scheduler {scheduler}: {e}") from None


@contextmanager
def connected(scheduler=None, client=None):
    """The client to send tasks to: ``client`` itself, ``None`` when neither is given (run
    locally), else a new one for ``scheduler``, closed with its cluster on exit."""
    if client is not None or scheduler is None:
        yield client
        return
    client, cluster = _client(scheduler)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def dask_map(fn, arglist, *, scheduler=None, client=None, ordered: bool = False, window: int | None = None):
    """Yield ``(index, fn(*arglist[index]))`` for every task, computed on Dask workers.

    ``ordered=False`` yields in completion order; ``ordered=True`` in index order, keeping at
    most ``window`` tasks submitted ahead of the one awaited (``None``: all at once), so a
    consumer that stops early (a search that found its counterexample) wastes at most
    ``window`` tasks; the ones still pending are cancelled when the generator is closed.
    """
    import uuid

    from distributed import as_completed

    token = uuid.uuid4().hex
    source = iter(arglist)  # any iterable: taken lazily in ordered mode
    futures = []
    with connected(scheduler, client) as client:

        def submit():
            args = next(source, None)
            if args is None:
                return False
            i = len(futures)
            futures.append(client.submit(fn, *args, key=f"optmath-{fn.__name__}-{i}-{token}", pure=False,
                                         retries=2))
            return True

        try:
            if not ordered:
                while submit():
                    pass
                index = {f.key: i for i, f in enumerate(futures)}
                for f in as_completed(list(futures)):
                    yield index[f.key], f.result()
            else:
                while (window is None or len(futures) < max(1, int(window))) and submit():
                    pass
                i = 0
                while i < len(futures):
                    res = futures[i].result()
                    futures[i] = None  # release the result on the cluster
                    submit()
                    yield i, res
                    i += 1
        finally:
            pending = [f for f in futures if f is not None and not f.done()]
            if pending:
                client.cancel(pending)


def local_map(fn, arglist):
    """:func:`dask_map`'s local twin: ``(index, fn(*args))`` computed lazily, in order."""
    for i, args in enumerate(arglist):
        yield i, fn(*args)


def task_map(fn, arglist, *, scheduler=None, client=None, ordered: bool = False, window: int | None = None):
    """:func:`local_map` without a scheduler or client, else :func:`dask_map`."""
    if scheduler is None and client is None:
        return local_map(fn, arglist)
    return dask_map(fn, arglist, scheduler=scheduler, client=client, ordered=ordered, window=window)


def worker_threads(client) -> int:
    """Threads across the cluster's workers (at least 1)."""
    try:
        return max(1, sum(client.nthreads().values()))
    except Exception:  # pragma: no cover - a scheduler that does not answer: be modest
        return 1
