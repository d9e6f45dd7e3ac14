r"""User optimizer code as a *target*: where it is, how to call it, and the subprocess it runs in.

The calling conventions (styles) understood:

``torch``      a ``torch.optim.Optimizer`` subclass, ``file.py:ClassName``, constructed as
               ``ClassName(params, **kwargs)`` with torch.optim's keyword names;
``optax``      a factory returning an optax ``GradientTransformation``, ``file.py:factory``,
               called with optax's keyword names;
``keras``      a Keras 3 optimizer class, constructed with Keras' keyword names and run on
               float64 ``keras.Variable`` parameters with ``floatx`` float64, on the backend
               ``KERAS_BACKEND`` names (JAX by default);
``d2l``        the from-scratch style of the d2l.ai optimization chapter: ``step(params, states,
               hyperparams)`` and ``init_states(feature_dim)``; ``params = [w, b]`` are float32
               torch tensors of shapes ``(d, 1)`` and ``(1,)`` carrying ``.grad``;
               ``hyperparams`` holds ``'lr'``, ``'t'`` (starting at 1; the step function
               increments it) and the chapter's names for the other hyperparameters;
``d2l-numpy``  the same with float64 NumPy arrays and ``step(params, grads, states, hyperparams)``
               (chosen automatically when the step function takes four arguments).

A course's ``f(w, dw, config) -> (next_w, config)`` (``course``) and a NumPy class with
``update(w, grad)`` (``numpy``) are told from the object.  Besides ``file.py:Name``, a target may
be an installed package's class or factory by its import path, ``torch.optim:NAdam`` or
``pytorch_optimizer.AdaBelief``: the module is found without being imported here and imported
by name in the worker, with the package's own keyword names (read from its signature).

The target runs in a separate process (:class:`TargetProcess`) with a time limit per call, so a
target that hangs, crashes, exits or returns the wrong type gives a verdict instead of taking
the checker down with it.  The process is forked from a fork server (one per framework and
environment, kept for the life of the calling process) that has imported torch or JAX already,
so checking many targets in one process (a test suite, a course's submissions) pays the
framework's import once, while every target still gets a fresh process of its own.  The worker
runs with the caller's environment as it is at each check; variables that torch or JAX read
while being imported are those of the first check in the process.
"""
from __future__ import annotations

import atexit
import io
import os
import pickle
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from ..errors import OptmathValueError
from ._worker import FRAMEWORKS, STYLES, receive_message, send_message


class TargetError(OptmathValueError):
    """The target cannot be checked at all: a missing file or name, or a bad option (usage error)."""


@dataclass(frozen=True)
class Target:
    """Where the code under test lives and how it is called."""

    style: str
    file: str  # the file the names are read from (for an import path: the module's file)
    names: tuple[str, ...]  # (ClassName,), (factory,) or (step, init)
    module: str = ""  # an installed module the names are imported from ("" : load ``file`` itself)

    @property
    def label(self) -> str:
        if self.module:
            return f"{self.module}:{'/'.join(self.names)} ({self.style})"
        try:
            shown = os.path.relpath(self.file)
        except ValueError:  # pragma: no cover - another drive on Windows
            shown = self.file
        shown = self.file if shown.startswith("..") else shown
        return f"{shown}:{'/'.join(self.names)} ({self.style})"


def _object_location(obj) -> tuple[str, str]:
    import inspect

    try:
        file = inspect.getsourcefile(obj)
    except TypeError:
        file = None
    qual = getattr(obj, "__qualname__", "")
    if not file or "<locals>" in qual or not qual:
        raise TargetError(f"{obj!r} is not a module-level class or function in a .py file; "
                          "give the target as 'path/to/file.py:Name'")
    return file, qual


def _installed_module(obj) -> str:
    """The importable module of a class or function from an installed package ('' otherwise):
    its file lies in a site-packages folder, or it is part of a package (a dotted module name
    whose top level is found on ``sys.path``).  Such code is imported by name, not loaded as a
    file, so that its relative imports work."""
    import importlib.util

    mod = getattr(obj, "__module__", "") or ""
    if not mod or mod in ("__main__", "optmath_target"):
        return ""
    file = getattr(sys.modules.get(mod), "__file__", "") or ""
    if "site-packages" in Path(file).parts or "dist-packages" in Path(file).parts:
        return mod
    if "." in mod:
        try:
            found = importlib.util.find_spec(mod.partition(".")[0])
        except (ImportError, ValueError):
            return ""
        origin = getattr(found, "origin", None) or ""
        if origin and Path(file).resolve().is_relative_to(Path(origin).resolve().parent):
            return mod
    return ""


def _module_file(module: str) -> Path:
    """The source file of an installed ``module`` (``'torch.optim'``), found without importing it:
    the checker never runs a target's code in its own process."""
    import importlib.util

    parts = module.split(".")
    try:
        top = importlib.util.find_spec(parts[0])
    except (ImportError, ValueError):
        top = None
    if top is None:
        raise TargetError(f"no installed module {parts[0]!r} (from the target {module!r}); "
                          "install it, or give the target as 'path/to/file.py:Name'")
    if len(parts) == 1:
        if not top.origin or not top.origin.endswith(".py"):
            raise TargetError(f"module {module!r} has no Python source file")
        return Path(top.origin)
    folders = list(top.submodule_search_locations or [])
    for i, part in enumerate(parts[1:], start=1):
        found = None
        for folder in folders:
            for cand in (Path(folder) / part / "__init__.py", Path(folder) / f"{part}.py"):
                if cand.is_file():
                    found = cand
                    break
            if found:
                break
        if found is None:
            raise TargetError(f"module {module!r} not found: {'.'.join(parts[:i])} has no submodule {part!r}")
        folders = [str(found.parent)] if found.name == "__init__.py" else []
        if i < len(parts) - 1 and not folders:
            raise TargetError(f"module {module!r} not found: {'.'.join(parts[:i + 1])} is not a package")
    return found


def _style_of_source(text: str) -> str:
    """The style a module's imports suggest: ``keras``, ``optax`` (JAX) or ``torch``."""
    if re.search(r"^\s*(import|from)\s+keras\b", text, re.M):
        return "keras"
    if re.search(r"^\s*(import|from)\s+(optax|jax)\b", text, re.M):
        return "optax"
    return "torch"


def _import_path(target: str) -> tuple[str, str] | None:
    """``('torch.optim', 'NAdam')`` for ``'torch.optim:NAdam'`` or ``'torch.optim.NAdam'``;
    None when ``target`` is a file path."""
    if target.endswith(".py") or "/" in target or "\\" in target or os.path.exists(target.partition(":")[0]):
        return None
    module, colon, name = target.partition(":")
    if not colon:
        module, _, name = target.rpartition(".")
    parts = module.split(".") + name.split(".")
    if not module or not name or not all(p.isidentifier() for p in parts):
        return None
    return module, name


def make_target(target, style: str | None = None, step=None, init=None) -> Target:
    """Build a :class:`Target` from ``'file.py:Name'``, an import path (``'torch.optim:NAdam'``
    or ``'torch.optim.NAdam'``: an installed package's class or factory) or the class/function
    object itself, and a style.

    ``style=None`` picks ``d2l`` when ``step``/``init`` are given, ``keras`` when the file (or
    module) imports keras, ``optax`` when it imports optax or jax, and ``torch`` otherwise (the
    checker then tells the style from the object itself).
    """
    if style is not None and style not in STYLES:
        raise TargetError(f"unknown style {style!r}; known: {', '.join(STYLES)}")
    if step is None and init is None and style not in ("d2l", "d2l-numpy"):
        if isinstance(target, str):
            imported = _import_path(target)
        else:
            mod = _installed_module(target)
            imported = (mod, getattr(target, "__qualname__", "")) if mod else None
        if imported is not None:
            module, name = imported
            if any(p.startswith("__") and p.endswith("__") for p in name.split(".")) or "<locals>" in name:
                raise TargetError(f"{name!r} is not a class or function of {module}")
            file = _module_file(module)
            if style is None:
                style = _style_of_source(file.read_text(errors="replace"))
            return Target(style, str(file.resolve()), (name,), module)
    d2l = style in ("d2l", "d2l-numpy") or step is not None or init is not None
    if d2l:
        if step is None or init is None:
            raise TargetError("the d2l style needs both --step NAME and --init NAME")
        names = []
        file = None
        for what, obj in (("step", step), ("init", init)):
            if isinstance(obj, str):
                names.append(obj)
            else:
                f, q = _object_location(obj)
                file = file or f
                names.append(q)
        if isinstance(target, str):
            file = target.partition(":")[0] if ":" in target else target
        elif target is not None:
            file, _ = _object_location(target)
        if file is None:
            raise TargetError("no file given for the d2l step and init functions")
        names_t = tuple(names)
    else:
        if isinstance(target, str):
            file, colon, name = target.rpartition(":")
            if not colon or not file or not name:
                raise TargetError(f"target {target!r} must be 'path/to/file.py:Name'")
        else:
            file, name = _object_location(target)
        names_t = (name,)
    path = Path(file)
    if path.suffix != ".py":
        raise TargetError(f"target file {file!r} is not a .py file")
    if not path.is_file():
        raise TargetError(f"target file {file!r} does not exist")
    for n in names_t:
        if not all(part.isidentifier() for part in n.split(".")):
            raise TargetError(f"{n!r} is not a Python name")
        if any(part.startswith("__") and part.endswith("__") for part in n.split(".")):
            raise TargetError(f"{n!r} is a special (dunder) name, not a class or function of the file")
    if style is None:
        if d2l:
            style = "d2l"
        else:
            style = _style_of_source(path.read_text(errors="replace"))
    return Target(style, str(path.resolve()), names_t)


# --- the subprocess ---------------------------------------------------------------------------
IMPORT_TIMEOUT = 60.0  # seconds allowed for a fork server to import torch or JAX (once per process)
#: set by a contained check (``optmath.teach.sandbox``): every worker confines itself with
#: ``CONFINE["module"].confine(CONFINE)`` before importing its target; ``None``: not confined
CONFINE: dict | None = None

class TargetTimeout(Exception):
    """A call to the target did not return within the time limit."""


class TargetCrashed(Exception):
    """The target's process died (segfault, os._exit, out of memory...)."""


def _worker_env() -> dict:
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


class _ForkServer:
    """A ``_worker --fork-server`` process for one framework (see :mod:`optmath.verify._worker`);
    one per framework and calling process."""

    def __init__(self, framework: str, env: dict) -> None:
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.proc = subprocess.Popen([sys.executable, "-m", "optmath.verify._worker", "--fork-server", framework,
                                      str(theirs.fileno())], pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                                     cwd=str(Path(__file__).resolve().parents[2]))
        theirs.close()
        mine.settimeout(IMPORT_TIMEOUT + 60)  # the first reply waits for the framework's import
        self.sock = mine
        self.lock = threading.Lock()

    def ask(self, msg: dict, fds: list[int] = ()) -> dict:
        with self.lock:
            send_message(self.sock, msg, fds)
            return receive_message(self.sock)[0]

    def close(self) -> None:
        self.sock.close()  # the server exits on end of file (closing twice is harmless)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            self.proc.kill()


_SERVERS: dict = {}


def start_fork_server(style: str) -> None:
    """Start ``style``'s fork server now (it imports torch or JAX), e.g. in a thread while the
    caller imports the checker; later targets of that framework are forked from it."""
    _fork_server(style)


def _fork_server(style: str) -> _ForkServer:
    """The live fork server for ``style``'s framework (started on first use in this process)."""
    key = FRAMEWORKS[style]
    server = _SERVERS.get(key)
    if server is None or server.proc.poll() is not None:
        server = _SERVERS[key] = _ForkServer(key, _worker_env())
    return server


@atexit.register
def _close_fork_servers() -> None:
    servers = list(_SERVERS.values())
    _SERVERS.clear()
    for server in servers:  # all told first, then waited for
        server.sock.close()
    for server in servers:
        server.close()


class _Forked:
    """A worker forked by a fork server: ``poll``, ``wait`` and ``kill`` like ``subprocess.Popen``."""

    def __init__(self, server: _ForkServer, pid: int) -> None:
        self.server, self.pid, self.returncode = server, pid, None

    def _status(self, timeout: float):
        if self.returncode is None:
            try:
                self.returncode = self.server.ask({"op": "wait", "pid": self.pid, "timeout": timeout})["code"]
            except (EOFError, OSError):  # the server is gone, and with it the status
                self.returncode = -signal.SIGKILL
        return self.returncode

    def poll(self):
        return self._status(0.0)

    def wait(self, timeout: float = 10.0):
        code = self._status(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout)
        return code

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:  # pragma: no cover - exited and reaped already
            pass


REPLY_BYTES = 1 << 28  # the largest reply read from a contained worker


class _ArraysOnly(pickle.Unpickler):
    """An unpickler that rebuilds builtins and numpy arrays only."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
               ("numpy._core.multiarray", "scalar"), ("numpy.core.numeric", "_frombuffer"),
               ("numpy._core.numeric", "_frombuffer")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a reply")
        return super().find_class(module, name)


@dataclass
class TargetProcess:
    """A worker process holding the imported target; :meth:`call` sends one request."""

    target: Target
    timeout: float
    memory: int | None = None  # bytes the worker may allocate beyond the imported framework
    confine: dict | None = field(default_factory=lambda: CONFINE)  # see CONFINE
    describe: list = field(default_factory=list)
    _proc: _Forked | None = None
    _log: object = None

    def start(self) -> dict:
        """Fork the worker and import the target; returns the worker's first message."""
        r1, w1 = os.pipe()
        r2, w2 = os.pipe()
        self._log = tempfile.TemporaryFile(mode="w+b")
        request = {"op": "spawn", "style": self.target.style, "file": self.target.file,
                   "module": self.target.module, "names": list(self.target.names),
                   # an installed module is imported by name from the caller's folder (its own
                   # folder first on sys.path would shadow modules by its files' names)
                   "cwd": os.getcwd() if self.target.module else str(Path(self.target.file).parent),
                   "env": _worker_env(), "memory": self.memory, "confine": self.confine}
        try:
            for attempt in (0, 1):  # a server that died since its last use is started again
                server = _fork_server(self.target.style)
                try:
                    pid = server.ask(request, [r1, w2, self._log.fileno()])["pid"]
                    break
                except (EOFError, OSError):
                    server.proc.kill()
                    server.proc.wait()
                    if attempt:
                        raise TargetCrashed("the worker process could not be started") from None
        finally:
            os.close(r1)
            os.close(w2)
        self._proc = _Forked(server, pid)
        self._out = Connection(w1, readable=False)
        self._in = Connection(r2, writable=False)
        msg = self._receive(self.timeout, "importing the target")  # the framework is imported already
        if msg.get("status") == "ready":
            self.describe = msg["describe"]
        return msg

    def _receive(self, timeout: float, doing: str) -> dict:
        try:
            ready = self._in.poll(timeout)
        except (EOFError, OSError):
            ready = True
        if not ready:
            self.close()
            raise TargetTimeout(f"no answer within {timeout:g} s while {doing}")
        try:
            if self.confine is None:
                return self._in.recv()
            return self._recv_confined(timeout, doing)
        except (EOFError, OSError):
            code = self._proc.wait(timeout=5) if self._proc else None
            tail = self.log_tail()
            self.close()
            raise TargetCrashed(f"the target's process died (exit code {code}) while {doing}"
                                + (f"; last output: {tail}" if tail else "")) from None

    def _recv_confined(self, timeout: float, doing: str) -> dict:
        """A reply of contained code: complete within ``timeout`` (a target that writes part of a
        message into its reply pipe is killed, not waited for) and unpickled with numpy arrays as
        the only classes (a crafted pickle cannot run code in the checker)."""
        def not_ours(why: str = ""):
            self.close()
            return TargetCrashed(f"the target's process sent a reply that is not the worker's while {doing}"
                                 + (f" ({why})" if why else ""))

        timer = threading.Timer(timeout, self._proc.kill)
        timer.start()
        try:
            data = self._in.recv_bytes(REPLY_BYTES)
        except OSError:  # a length header beyond REPLY_BYTES: bytes the target wrote into the pipe
            raise not_ours("bad length") from None
        finally:
            timer.cancel()
        try:
            msg = _ArraysOnly(io.BytesIO(data)).load()
        except Exception as exc:  # noqa: BLE001 - anything a garbled or hostile reply raises
            raise not_ours(type(exc).__name__) from None
        if not isinstance(msg, dict):
            raise not_ours()
        return msg

    def call(self, request: dict, doing: str = "running a stream") -> dict:
        if self._proc is None:
            raise TargetCrashed("the target's process is not running")
        try:
            self._out.send(request)
        except (BrokenPipeError, OSError):
            self.close()
            raise TargetCrashed(f"the target's process died before {doing}") from None
        return self._receive(self.timeout, doing)

    def log_tail(self) -> str:
        if self._log is None:
            return ""
        try:
            self._log.seek(0)
            lines = [ln for ln in self._log.read().decode(errors="replace").splitlines() if ln.strip()]
        except (OSError, ValueError):
            return ""
        return lines[-1].strip()[:200] if lines else ""

    def close(self) -> None:
        if self._proc is not None:
            for conn in (getattr(self, "_out", None), getattr(self, "_in", None)):
                if conn is not None:
                    try:
                        conn.close()
                    except OSError:
                        pass
            if self._proc.poll() is None:
                self._proc.kill()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                pass
            self._proc = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        if self._log is not None:
            self._log.close()


# --- hyperparameter names in each style ---------------------------------------------------------
#: optmath name -> keyword name(s) in each style; ``(name, index)`` is one entry of a tuple kwarg.
KWARG_NAMES = {
    "torch": {"lr": "lr", "b1": ("betas", 0), "b2": ("betas", 1), "eps": "eps", "wd": "weight_decay",
              "mu": "momentum", "damp": "dampening", "alpha": "alpha", "rho": "rho",
              "acc0": ["initial_accumulator_value", "initial_accumulator"], "lr_decay": "lr_decay",
              "b3": ("betas", 2), "nu1": ("nus", 0), "nu2": ("nus", 1), "final_lr": "final_lr", "gamma": "gamma",
              "warmup": "warmup_steps", "r": "r", "wlp": "weight_lr_power"},
    "optax": {"lr": "learning_rate", "b1": "b1", "b2": "b2", "eps": "eps", "eps_root": "eps_root",
              "wd": "weight_decay", "mu": "momentum", "alpha": "decay", "rho": "rho",
              "acc0": "initial_accumulator_value", "s0": "initial_scale", "b3": "b3"},
    "d2l": {"lr": "lr", "mu": "momentum", "alpha": "gamma", "rho": "rho", "b1": "beta1", "b2": "beta2",
            "eps": "eps", "wd": "wd"},
}
KWARG_NAMES["d2l-numpy"] = KWARG_NAMES["d2l"]
#: Keras 3's names (RMSprop's decay is ``rho``, as is Adadelta's)
KWARG_NAMES["keras"] = {"lr": "learning_rate", "b1": "beta_1", "b2": "beta_2", "eps": "epsilon", "wd": "weight_decay",
                        "mu": "momentum", "alpha": "rho", "rho": "rho", "acc0": "initial_accumulator_value"}
#: a course's f(w, dw, config) (CS231n's names) and a NumPy class's constructor (the usual names,
#: the first one the constructor accepts)
KWARG_NAMES["course"] = {"lr": "learning_rate", "b1": "beta1", "b2": "beta2", "eps": "epsilon", "mu": "momentum",
                         "alpha": "decay_rate", "rho": "decay_rate", "wd": "weight_decay"}
#: a whole-loop function f(grad, x0, callback, num_iters, step_size, ...) (autograd.misc.optimizers)
KWARG_NAMES["loop"] = {"lr": ["step_size", "learning_rate", "lr"], "b1": ["b1", "beta1"], "b2": ["b2", "beta2"],
                       "eps": ["eps", "epsilon"], "mu": ["mass", "momentum"], "alpha": ["gamma", "decay"],
                       "rho": ["rho", "gamma"], "wd": ["weight_decay"]}
KWARG_NAMES["numpy"] = {"lr": ["lr", "learning_rate", "eta"], "b1": ["beta1", "beta_1", "b1", "decay1"],
                        "b2": ["beta2", "beta_2", "b2", "decay2"], "eps": ["eps", "epsilon"], "mu": ["momentum", "mu"],
                        "alpha": ["decay", "decay_rate", "rho", "alpha", "gamma"], "rho": ["rho", "decay", "decay_rate"],
                        "wd": ["weight_decay", "wd"]}

#: boolean flags a framework uses to select the algorithm: flag -> (switch, value that sets it)
FLAGS = {"torch": {"nesterov": ("momentum", "nesterov"), "amsgrad": ("amsgrad", "!none"),
                   "centered": ("centered", "yes"), "decoupled_weight_decay": ("weight_decay", "decoupled")},
         "keras": {"nesterov": ("momentum", "nesterov"), "amsgrad": ("amsgrad", "!none"),
                   "centered": ("centered", "yes")},
         "optax": {"nesterov": ("momentum", "nesterov"), "centered": ("centered", "yes")}}


def _flag_value(switches, rule) -> bool:
    name, value = rule
    if name not in switches:
        return False
    return switches[name] != value[1:] if value.startswith("!") else switches[name] == value


_KEYWORD = re.compile(r"^\s*(1\s*-\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[\s*(\d+)\s*\])?\s*$")


def parse_keywords(keywords: dict | None) -> dict:
    """A target's own keyword for each named hyperparameter: ``{"b1": "1 - betas[0]"}`` gives
    ``{"b1": ("betas", 0, True)}`` (keyword, entry or ``None``, whether it holds ``1 - value``).
    The text is matched, never evaluated; anything else is a one-line :class:`TargetError`."""
    out = {}
    for h, text in (keywords or {}).items():
        m = _KEYWORD.match(text) if isinstance(text, str) else None
        if not isinstance(h, str) or m is None:
            raise TargetError(f"keyword for {h!r} = {text!r} must be NAME, NAME[i], 1 - NAME or 1 - NAME[i]")
        out[h] = (m.group(2), None if m.group(3) is None else int(m.group(3)), bool(m.group(1)))
    return out


def keyword_places(style: str, h: str, keywords: dict | None = None) -> list[tuple[str, int | None, bool]]:
    """Where hyperparameter ``h`` goes among a target's keywords, as ``(keyword, entry or None,
    holds 1 - value)``: the declared place (:func:`parse_keywords`), else the style's
    :data:`KWARG_NAMES` entries in order of preference."""
    if keywords and h in keywords:
        return [keywords[h]]
    kw = KWARG_NAMES.get(style, {}).get(h)
    out = []
    for opt in (kw if isinstance(kw, list) else [kw]):
        if opt is not None:
            base, idx = opt if isinstance(opt, tuple) else (opt, None)
            out.append((base, idx, False))
    return out


def framework_kwargs(style: str, values: dict, switches: dict, desc: dict | None,
                     used: set | None = None, native: dict | None = None,
                     keywords: dict | None = None) -> tuple[dict, dict]:
    """Keyword arguments for the target and the value of each hyperparameter it will use.

    Returns ``(kwargs, known)``: ``known[name]`` is the value the target is told or defaults
    to, ``None`` where it cannot be known from outside (a hard-coded constant).  In the d2l
    styles only the hyperparameters in ``used`` go into ``hyperparams``.  ``native`` maps a
    switch to the value the rule has without being told (its first choice): a flag that would
    select it is not set (Lion's decay is decoupled by definition; lion-pytorch's
    ``decoupled_weight_decay=True`` means another thing, the decay divided by the initial lr).
    ``keywords`` (:func:`parse_keywords`) replaces the style's keyword of a hyperparameter with
    the target's own, possibly holding ``1 - value`` (adan-pytorch's ``betas``).
    """
    names = KWARG_NAMES[style]
    d2l = style.startswith("d2l") or style == "course"  # hyperparameters in a dict, constants in the code
    accepted = set(desc["names"]) if desc else set()
    # a Keras optimizer's **kwargs are the base class's options, checked by name: not a way in
    var_kw = bool(desc and desc["var_kw"]) and style != "keras"
    defaults = desc["defaults"] if desc else {}
    kwargs: dict = {}
    known: dict = {}
    for h, v in values.items():
        if style == "keras" and h == "wd" and v == 0:  # Keras' default, None: no decay at all
            known[h] = 0.0
            continue
        if d2l:
            kw = names.get(h)
            if kw is not None and (used is None or h in used):
                kwargs[kw] = v
            known[h] = v if h in ("lr", "mu", "alpha", "rho", "wd") else None
            continue
        known[h] = None  # unless a keyword takes it, or the target's default shows it
        for base, idx, complement in keyword_places(style, h, keywords):
            if base in accepted or var_kw:
                told = 1.0 - v if complement else v
                if idx is None:
                    kwargs[base] = told
                else:
                    cur = list(kwargs.get(base, defaults.get(base) or [None, None]))
                    cur += [None] * (idx + 1 - len(cur))
                    cur[idx] = told
                    kwargs[base] = tuple(cur)
                known[h] = v
                break
            if base in defaults:
                dv = defaults[base]
                raw = dv[idx] if idx is not None and isinstance(dv, list) and len(dv) > idx else (
                    dv if idx is None and not isinstance(dv, list) else None)
                if complement:
                    raw = 1.0 - raw if isinstance(raw, (int, float)) and not isinstance(raw, bool) else None
                known[h] = raw
                break
    for flag, rule in FLAGS.get(style, {}).items():
        if rule[0] not in switches:  # the spec has no such switch: the target's default stands
            continue               # (optax.nadam is adam with nesterov=True)
        on = _flag_value(switches, rule)
        if on and native and native.get(rule[0]) == switches[rule[0]]:
            continue
        if flag in accepted or (var_kw and on):
            kwargs[flag] = on
    if not d2l:
        for k, v in list(kwargs.items()):  # a tuple kwarg with an entry we could not fill
            if isinstance(v, tuple) and None in v:
                del kwargs[k]
    return kwargs, known
