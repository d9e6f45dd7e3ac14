"""Phase diagrams and searches as Dask tasks: the same results as the local loops, a killed
worker's tasks recomputed without losing or duplicating one, and one-line errors for bad
scheduler input.  (Grid sweeps on Dask: tests/test_sweep_backends.py.)"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from optmath.errors import OptmathError
from optmath.search.phase import phase
from optmath.search.search import search

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
PHASE = dict(b1=np.linspace(0.0, 0.9, 4), b2=np.linspace(0.5, 0.99, 3), steps=3000, lr=0.5)
#: b1 = 0 with Reddi's b2: a counterexample within a few candidates (found, then refined)
FOUND = dict(b1=0.0, b2="reddi", steps=20000, budget=30, certify=False)
#: PyTorch's betas over a short horizon: screened candidates, budget reached, nothing found
NOT_FOUND = dict(b1=0.9, b2=0.999, steps=5000, budget=12, certify=False)


def cluster(n=2):
    c = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                 host="127.0.0.1")
    return c, distributed.Client(c)


def kill_one_worker(c):
    proc = next(iter(c.workers.values())).process.process
    proc.kill()
    return proc.pid


def trials(res):
    return [(t.params, t.lr, {m: v.as_dict() for m, v in t.verdicts.items()}, t.final_x) for t in res.trials]


def same_search(a, b):
    assert (a.evaluated, a.screened_out, a.message) == (b.evaluated, b.screened_out, b.message)
    assert json.dumps(a.record, sort_keys=True) == json.dumps(b.record, sort_keys=True)
    assert trials(a) == trials(b)


@pytest.fixture(scope="module")
def client():
    c, cl = cluster()
    yield cl
    cl.close()
    c.close()


def test_phase_rows_as_dask_tasks_give_the_local_diagram(client):
    ref = phase("adam", "reddi", {}, **PHASE)
    ticks = []
    res = phase("adam", "reddi", {}, client=client, progress=lambda d, n: ticks.append((d, n)), **PHASE)
    assert res.as_dict() == ref.as_dict()  # classes and final x (floats compared exactly)
    assert ticks == [(k, 12) for k in range(1, 13)]


@pytest.mark.parametrize("kw", [FOUND, NOT_FOUND], ids=["found", "budget-reached"])
def test_search_on_dask_takes_candidates_in_the_local_order(client, kw):
    ref = search("adam", ("yogi",), **kw)
    res = search("adam", ("yogi",), client=client, **kw)
    same_search(res, ref)
    if kw is NOT_FOUND:
        assert ref.screened_out > 0 and ref.evaluated == kw["budget"] and ref.record is None
    else:
        assert ref.record is not None and ref.evaluated < kw["budget"]


# with a worker killed, Dask warns that a dashboard's default port 8787 is taken (seen in CI, in
# these two tests only); it concerns a dashboard, not the tasks or their results
RESTART_PORT = "ignore:Port 8787 is already in use"


@pytest.mark.filterwarnings(RESTART_PORT)
def test_search_with_a_killed_worker_gives_the_local_result():
    """A worker process dies after the first simulated candidate; the tasks it held are
    recomputed on the other one; every candidate is counted once and the result is unchanged."""
    ref = search("adam", ("yogi",), **FOUND)
    c, cl = cluster()
    killed, ticks = [], []

    def progress(done, total):
        ticks.append(done)
        if not killed:
            killed.append(kill_one_worker(c))

    try:
        res = search("adam", ("yogi",), client=cl, progress=progress, **FOUND)
        lost = [e for e in c.scheduler.get_events("all") if "remove-worker" in str(e)]
    finally:
        cl.close()
        c.close()
    assert killed and lost, "the worker was not killed, or the scheduler never saw it leave"
    assert ticks == list(range(1, len(ticks) + 1))
    same_search(res, ref)


@pytest.mark.filterwarnings(RESTART_PORT)
def test_phase_with_a_killed_worker_gives_the_local_diagram():
    ref = phase("adam", "reddi", {}, **PHASE)
    c, cl = cluster()
    killed = []

    def progress(done, total):
        if not killed:
            killed.append(kill_one_worker(c))

    try:
        res = phase("adam", "reddi", {}, client=cl, progress=progress, **PHASE)
    finally:
        cl.close()
        c.close()
    assert killed
    assert res.as_dict() == ref.as_dict()


def test_ordered_dask_map_keeps_a_window_and_cancels_what_an_early_stop_leaves(client):
    from optmath.distributed import dask_map

    submitted = []

    def args():
        for i in range(50):
            submitted.append(i)
            yield (i,)

    it = dask_map(abs, args(), client=client, ordered=True, window=4)
    got = [next(it) for _ in range(3)]
    it.close()
    assert got == [(0, 0), (1, 1), (2, 2)]
    assert len(submitted) <= 3 + 4  # never more than the window ahead of what was taken


def test_bad_scheduler_address_is_a_one_line_error():
    with pytest.raises(OptmathError, match="must be 'local' or an address"):
        phase("adam", "reddi", {}, scheduler="http://example", **PHASE)


@pytest.mark.parametrize("args,needle", [
    (["phase", "--dask", "local", "--scheduler", "tcp://127.0.0.1:1"], "not both"),
    (["search", "--scheduler", "nonsense", "--steps", "1000", "--budget", "1"], "must be 'local' or an address"),
    (["phase", "--scheduler", "tcp://127.0.0.1:1", "--b1", "0:0.9:2", "--b2", "0.5:0.9:2"], "cannot reach the Dask scheduler"),
    (["search", "--dask", "remote"], "--dask"),
])
def test_cli_dask_options_give_exit_2_and_one_line(tmp_path, args, needle):
    r = subprocess.run([sys.executable, "-m", "optmath.cli", *args], cwd=tmp_path, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT), "OPTMATH_DASK_TIMEOUT": "2"}, timeout=120)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr and r.stderr.strip().count("\n") == 0, r.stderr


def test_a_bad_dask_timeout_is_a_one_line_error(monkeypatch):
    monkeypatch.setenv("OPTMATH_DASK_TIMEOUT", "soon")
    with pytest.raises(OptmathError, match="OPTMATH_DASK_TIMEOUT = 'soon' must be a positive number of seconds"):
        phase("adam", "reddi", {}, scheduler="tcp://127.0.0.1:1", **PHASE)


def test_cli_phase_on_a_local_dask_cluster_writes_the_local_diagram(tmp_path):
    common = ["phase", "--b1", "0:0.9:2", "--b2", "0.5:0.99:2", "--horizon", "2000"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name, extra in (("local", []), ("dask", ["--dask", "local"])):
        r = subprocess.run([sys.executable, "-m", "optmath.cli", *common, *extra, "--out", str(tmp_path / name)],
                           cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
        assert r.returncode == 0, r.stderr
    a = json.loads(next((tmp_path / "local").glob("*.json")).read_text())
    b = json.loads(next((tmp_path / "dask").glob("*.json")).read_text())
    assert a == b
