"""Issue 15: a Numba specialisation is compiled once per machine even when several processes
(xdist workers, Dask workers, two CLI runs) ask for it at the same moment; the others load it
from the on-disk cache."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from optmath.kernels import compile_once

MODULE = textwrap.dedent("""
    import numpy as np
    from numba import njit

    @njit(cache=True)
    def work(a, k):
        s = 0.0
        for i in range(a.shape[0]):
            for j in range(k):
                s += np.sin(a[i] * j) / (1.0 + np.cos(a[i]) ** 2) + np.sqrt(abs(a[i]) + j)
        return s
    """)

CHILD = textwrap.dedent("""
    import json, os, sys, time
    sys.path.insert(0, sys.argv[1])
    import numpy as np
    import cmod
    from optmath.kernels import compile_once
    while not os.path.exists(sys.argv[2]):  # start together
        time.sleep(0.001)
    a = np.linspace(0.0, 1.0, 5)
    if sys.argv[3] == "locked":
        v = compile_once.call(cmod.work, a, 3)
    else:
        v = cmod.work(a, 3)
    st = cmod.work.stats
    print(json.dumps({"value": v, "hits": sum(st.cache_hits.values()), "misses": sum(st.cache_misses.values())}))
    """)


def _race(tmp_path, mode: str, n: int = 3) -> list[dict]:
    src = tmp_path / mode
    src.mkdir()
    (src / "cmod.py").write_text(MODULE)
    go = tmp_path / f"go-{mode}"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / f"cache-{mode}"), TMPDIR=str(tmp_path))
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, str(src), str(go), mode], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for _ in range(n)]
    time.sleep(2.0)  # all have imported numba and wait at the barrier
    go.write_text("")
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outs.append(json.loads(out))
    return outs


def test_processes_asking_at_once_compile_a_specialisation_once(tmp_path):
    outs = _race(tmp_path, "locked")
    assert sum(o["misses"] for o in outs) == 1, outs  # one compiled and saved it
    assert sum(o["hits"] for o in outs) == len(outs) - 1, outs  # the others loaded it from the cache
    assert len({o["value"] for o in outs}) == 1


def test_without_the_lock_the_same_race_compiles_more_than_once(tmp_path):
    """The control: the race above is real (plain calls at the same moment all compile), so the
    locked test would fail if the lock did nothing."""
    outs = _race(tmp_path, "plain")
    assert sum(o["misses"] for o in outs) > 1, outs


def test_a_specialisation_in_memory_takes_no_lock(tmp_path, monkeypatch):
    from numba import njit

    @njit
    def twice(a):
        return 2.0 * a

    a = np.ones(3)
    assert compile_once.call(twice, a)[0] == 2.0
    monkeypatch.setattr(compile_once, "_locked", lambda path: pytest.fail("locked again"))
    assert compile_once.call(twice, a)[1] == 2.0
    assert compile_once.signature((a, 1, 2.0, True)) == tuple(
        __import__("numba").typeof(v) for v in (a, 1, 2.0, True))


def test_the_lock_key_tells_generated_kernels_apart():
    """Two programs (Adam with and without AMSGrad) are two generated modules, hence two locks;
    the same program generated twice is the same module and the same lock."""
    from optmath import get_spec
    from optmath.kernels import generate
    from optmath.problems import get_family

    REDDI = get_family("reddi")
    k1 = generate.load_sweep(get_spec("adam").resolve("pytorch"), REDDI).sweep_blocked
    k2 = generate.load_sweep(get_spec("amsgrad").resolve("pytorch"), REDDI).sweep_blocked
    sig = (np.float64,)
    assert compile_once._lock_path(k1, sig) != compile_once._lock_path(k2, sig)
    again = generate.load_sweep(get_spec("adam").resolve("pytorch", lr=0.5), REDDI).sweep_blocked
    assert compile_once._lock_path(k1, sig) == compile_once._lock_path(again, sig)
