r"""The subprocess that runs a user's optimizer code for :mod:`optmath.verify.conformance`.

Started as ``python -m optmath.verify._worker READ_FD WRITE_FD STYLE FILE NAME STEP INIT``.  It
imports the target once, answers ``describe`` (the constructor's or factory's keyword
parameters and defaults) and then one ``run`` request per gradient stream: a fresh optimizer,
the given gradients fed step by step, the iterates recorded.  The parent enforces the time
limit and kills this process when it is exceeded; anything the target prints goes to a log file,
never into the message pipe.

Only NumPy and the target's framework are imported here (no SymPy, no Numba), so that the
worker starts quickly.  This module never imports the rest of optmath.

Started as ``python -m optmath.verify._worker --fork-server FRAMEWORK SOCKET_FD`` it is a fork
server: it imports the framework once (torch, or JAX with x64 on, or only NumPy) and forks one
fresh worker per target on request, so each target still runs alone in its own process (no
state of one target reaches the next) without paying the framework's import again.  Requests
and replies are length-prefixed JSON on a Unix socket; the worker's pipes and log file arrive as
file descriptors (``SCM_RIGHTS``).  The server reaps its children and reports their exit status.
"""
from __future__ import annotations

import importlib.util
import inspect
import json
import os
import socket
import struct
import sys
import time
import traceback
from multiprocessing.connection import Connection

import numpy as np

STYLES = ("torch", "optax", "keras", "d2l", "d2l-numpy", "course", "numpy", "loop")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _where(exc: BaseException, file: str) -> str:
    """``file:line`` of the innermost frame of the target's own file, if any."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == file:
            return f" (at line {frame.lineno}: {frame.line})" if frame.line else f" (at line {frame.lineno})"
    return ""


class TargetFailure(Exception):
    """The target misbehaved at ``step`` (0: while being constructed)."""

    def __init__(self, message: str, step: int, kind: str = "raised", exc_type: str = "") -> None:
        super().__init__(message)
        self.step, self.kind, self.exc_type = step, kind, exc_type


def load(file: str, names: list[str], module_name: str = ""):
    """The named objects of the target: imported from the installed ``module_name`` (an import
    path such as ``torch.optim``), or from ``file`` loaded as a module of its own."""
    if module_name:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                raise LookupError(f"no installed module {module_name!r}") from None
            raise
        file = module_name
    else:
        spec = importlib.util.spec_from_file_location("optmath_target", file)
        module = importlib.util.module_from_spec(spec)
        sys.modules["optmath_target"] = module
        spec.loader.exec_module(module)
    out = []
    for name in names:
        obj = module
        for part in name.split("."):
            if not hasattr(obj, part):
                raise LookupError(f"{file} has no attribute {name!r}")
            obj = getattr(obj, part)
        if not callable(obj):
            raise LookupError(f"{file}:{name} is a {type(obj).__name__}, not a class or function")
        out.append(obj)
    return out


UPDATE_METHODS = ("update", "step")  # a NumPy class's method taking (w, grad)


def describe(obj) -> dict:
    """Keyword parameters of a constructor or factory: names, numeric defaults, ``**kwargs``;
    and what the object is (a class, with which update methods, or a function of which
    positional parameters), from which the checker tells the calling style."""
    kind = {"is_class": inspect.isclass(obj),
            "methods": [m for m in UPDATE_METHODS if inspect.isclass(obj) and callable(getattr(obj, m, None))],
            "torch_optimizer": False, "positional": [],
            "public": sorted(m for m in dir(obj) if not m.startswith("_") and callable(getattr(obj, m, None)))
            if inspect.isclass(obj) else []}
    if kind["is_class"]:
        kind["torch_optimizer"] = any(c.__module__.startswith("torch.optim") and c.__name__ == "Optimizer"
                                      for c in inspect.getmro(obj))
    try:
        sig = inspect.signature(_forwarded(obj))
    except (TypeError, ValueError):
        return {"names": [], "defaults": {}, "var_kw": True, "arity": None, **kind}
    kind["positional"] = [p.name for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    names, defaults, var_kw, positional = [], {}, False, 0
    for p in sig.parameters.values():
        if p.kind is p.VAR_KEYWORD:
            var_kw = True
            continue
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            positional += 1
        names.append(p.name)
        d = p.default
        if isinstance(d, (int, float)) and not isinstance(d, bool):
            defaults[p.name] = float(d)
        elif isinstance(d, tuple) and all(isinstance(v, (int, float)) for v in d):
            defaults[p.name] = [float(v) for v in d]
    return {"names": names, "defaults": defaults, "var_kw": var_kw, "arity": positional, **kind}


def _forwarded(obj):
    """The function whose parameters ``obj`` forwards, where a decorator without
    ``functools.wraps`` hides them behind ``*args, **kwargs`` (autograd's optimizers): the one
    function of its closure with its own name; ``obj`` otherwise."""
    obj = inspect.unwrap(obj)
    if inspect.isclass(obj) or not getattr(obj, "__closure__", None):
        return obj
    try:
        params = inspect.signature(obj).parameters.values()
    except (TypeError, ValueError):
        return obj
    if not any(p.kind is p.VAR_KEYWORD for p in params):
        return obj
    inner = [c.cell_contents for c in obj.__closure__
             if inspect.isfunction(getattr(c, "cell_contents", None)) and c.cell_contents.__name__ == obj.__name__]
    return inner[0] if len(inner) == 1 else obj


def _check_param(name: str, value: np.ndarray, shape: tuple, step: int) -> np.ndarray:
    if value.shape != shape:
        raise TargetFailure(f"parameter {name} changed shape from {shape} to {value.shape}", step, "mutated")
    return value


# --- one runner per style: (objs, kwargs, grads, lrs, x0, dtype) -> list of (T+1, *shape) ------
def run_torch(objs, req, out):
    import torch

    cls, = objs
    dtype = torch.float64
    # the default dtype is the parameters' dtype, as a user of float64 parameters would set it:
    # torch.optim keeps scalars such as NAdam's step and mu_product in the default dtype, and
    # with float32 there they would round at float32 beside float64 parameters
    torch.set_default_dtype(dtype)
    params = [torch.nn.Parameter(torch.tensor(x, dtype=dtype)) for x in req["x0"]]
    try:
        opt = cls(params, **req["kwargs"])
    except Exception as exc:  # noqa: BLE001 - user code
        raise TargetFailure(f"constructing {cls.__name__}(params, {_kw(req['kwargs'])}) raised "
                            f"{_one_line(exc)}{_where(exc, req['file'])}", 0, exc_type=type(exc).__name__) from None
    if not hasattr(opt, "step"):
        raise TargetFailure(f"{cls.__name__} has no step() method", 0, "wrong type")
    if callable(getattr(opt, "train", None)):  # Schedule-Free optimizers step only in training mode
        _call(lambda: opt.train(), 0, req["file"])
    out.extend([p.detach().numpy().copy()] for p in params)
    for k in range(req["T"]):
        for p, G in zip(params, req["grads"]):
            p.grad = torch.tensor(G[k], dtype=dtype)
        if req["lrs"] is not None:
            for group in getattr(opt, "param_groups", []):
                try:
                    group["lr"] = float(req["lrs"][k])
                except (TypeError, KeyError) as exc:  # torchopt's groups are immutable
                    raise TargetFailure(f"the learning rate cannot be changed between steps ({_one_line(exc)})",
                                        k + 1, "lr fixed", type(exc).__name__) from None
        _call(lambda: opt.step(), k + 1, req["file"])
        for i, (p, rec) in enumerate(zip(params, out)):
            rec.append(_check_param(f"{i}", p.detach().numpy().copy(), rec[0].shape, k + 1))
    return out


def run_optax(objs, req, out):
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    factory, = objs
    kwargs = dict(req["kwargs"])
    if req["lrs"] is not None:
        table = jnp.asarray(req["lrs"], dtype=jnp.float64)
        kwargs["learning_rate"] = lambda count: table[jnp.minimum(count, table.shape[0] - 1)]
    try:
        tx = factory(**kwargs)
    except Exception as exc:  # noqa: BLE001 - user code
        raise TargetFailure(f"{factory.__name__}({_kw(req['kwargs'])}) raised {_one_line(exc)}"
                            f"{_where(exc, req['file'])}", 0, exc_type=type(exc).__name__) from None
    if not (callable(getattr(tx, "init", None)) and callable(getattr(tx, "update", None))):
        raise TargetFailure(f"{factory.__name__}(...) returned {type(tx).__name__}, not a "
                            "GradientTransformation (an object with init and update)", 0, "wrong type")
    params = [jnp.asarray(x, dtype=jnp.float64) for x in req["x0"]]
    state = _call(lambda: tx.init(params), 0, req["file"])
    out.extend([np.asarray(p).copy()] for p in params)
    # optax transformations are pure by contract and are always used under jit; eager dispatch
    # would compile a kernel per distinct step count (b ** count).  Code that cannot be traced
    # runs eagerly instead.
    update = jax.jit(tx.update)
    for k in range(req["T"]):
        grads = [jnp.asarray(G[k], dtype=jnp.float64) for G in req["grads"]]
        try:
            res = update(grads, state, params) if update is not tx.update else None
        except Exception:  # noqa: BLE001 - not traceable (or failing): run it eagerly to see
            update = tx.update
            res = None
        if res is None:
            res = _call(lambda: tx.update(grads, state, params), k + 1, req["file"])
        if not (isinstance(res, tuple) and len(res) == 2):
            raise TargetFailure(f"update() returned {type(res).__name__}, not (updates, state)", k + 1, "wrong type")
        updates, state = res
        if not isinstance(updates, (list, tuple)) or len(updates) != len(params):
            raise TargetFailure(f"update() returned updates of type {type(updates).__name__} for a "
                                f"list of {len(params)} parameters", k + 1, "wrong type")
        params = [p + jnp.asarray(u, dtype=p.dtype) for p, u in zip(params, updates)]
        for i, (p, rec) in enumerate(zip(params, out)):
            rec.append(_check_param(f"{i}", np.asarray(p).copy(), rec[0].shape, k + 1))
    return out


def run_keras(objs, req, out):
    """A Keras 3 optimizer class: ``Cls(**kwargs)``, float64 ``keras.Variable`` parameters, one
    ``apply_gradients`` per step; a changing lr is assigned to ``learning_rate`` before each step."""
    import keras

    cls, = objs
    # floatx is the parameters' dtype, as a user of float64 parameters sets it: Keras holds the
    # learning rate (and other scalars) as variables of floatx, rounded to float32 otherwise
    keras.config.set_floatx("float64")
    try:
        opt = cls(**req["kwargs"])
    except Exception as exc:  # noqa: BLE001 - user code
        raise TargetFailure(f"constructing {cls.__name__}({_kw(req['kwargs'])}) raised "
                            f"{_one_line(exc)}{_where(exc, req['file'])}", 0, exc_type=type(exc).__name__) from None
    if not callable(getattr(opt, "apply_gradients", None)):
        raise TargetFailure(f"{cls.__name__} has no apply_gradients() method", 0, "wrong type")
    params = [keras.Variable(np.array(x, dtype=np.float64), dtype="float64") for x in req["x0"]]
    out.extend([np.array(keras.ops.convert_to_numpy(p), dtype=np.float64)] for p in params)
    for k in range(req["T"]):
        if req["lrs"] is not None:
            _call(lambda: setattr(opt, "learning_rate", float(req["lrs"][k])), k + 1, req["file"])
        grads = [keras.ops.convert_to_tensor(np.array(G[k], dtype=np.float64), dtype="float64") for G in req["grads"]]
        _call(lambda: opt.apply_gradients(list(zip(grads, params))), k + 1, req["file"])
        for i, (p, rec) in enumerate(zip(params, out)):
            rec.append(_check_param(f"{i}", np.array(keras.ops.convert_to_numpy(p), dtype=np.float64),
                                    rec[0].shape, k + 1))
    return out


def run_d2l(objs, req, out, numpy: bool):
    step_fn, init_fn = objs
    d = req["x0"][0].shape[0]
    if numpy:
        params = [np.array(x, dtype=np.float64) for x in req["x0"]]
    else:
        import torch

        params = [torch.tensor(x, dtype=torch.float32, requires_grad=True) for x in req["x0"]]
    try:
        states = init_fn(d)
    except Exception as exc:  # noqa: BLE001 - user code
        raise TargetFailure(f"{init_fn.__name__}({d}) raised {_one_line(exc)}{_where(exc, req['file'])}", 0,
                            exc_type=type(exc).__name__) from None
    hyper = dict(req["kwargs"])
    hyper["t"] = 1
    out.extend([np.asarray(_np(p), dtype=np.float64).copy()] for p in params)
    for k in range(req["T"]):
        if req["lrs"] is not None:
            hyper["lr"] = float(req["lrs"][k])
        if numpy:
            grads = [np.array(G[k], dtype=np.float64) for G in req["grads"]]
            _call(lambda: step_fn(params, grads, states, hyper), k + 1, req["file"])
        else:
            import torch

            for p, G in zip(params, req["grads"]):
                p.grad = torch.tensor(G[k], dtype=torch.float32)
            _call(lambda: step_fn(params, states, hyper), k + 1, req["file"])
        for i, (p, rec) in enumerate(zip(params, out)):
            rec.append(_check_param(f"{'wb'[i]}", np.asarray(_np(p), dtype=np.float64).copy(), rec[0].shape, k + 1))
    return out


def run_course(objs, req, out):
    """``f(w, dw, config) -> (next_w, config)``, one config per tensor (a course's style)."""
    fn, = objs
    ws = [np.array(x, dtype=np.float64) for x in req["x0"]]
    configs = [dict(req["kwargs"]) for _ in ws]
    lr_key = req.get("lr_key") or "learning_rate"
    out.extend([w.copy()] for w in ws)
    for k in range(req["T"]):
        for i, G in enumerate(req["grads"]):
            if req["lrs"] is not None:
                configs[i][lr_key] = float(req["lrs"][k])
            res = _call(lambda: fn(ws[i], np.array(G[k], dtype=np.float64), configs[i]), k + 1, req["file"])
            if not (isinstance(res, tuple) and len(res) == 2):
                raise TargetFailure(f"{fn.__name__}(w, dw, config) returned {type(res).__name__}, not (next_w, config)",
                                    k + 1, "wrong type")
            nw, cfg = res
            if cfg is not None:
                configs[i] = cfg
            ws[i] = _check_param(f"{i}", np.array(nw, dtype=np.float64), out[i][0].shape, k + 1)
            out[i].append(ws[i].copy())
    return out


def run_numpy(objs, req, out):
    """A NumPy class: ``Cls(**kwargs)`` per tensor, then ``obj.update(w, grad)`` (or ``step``)
    returning the new ``w`` or updating it in place; the learning rate is fixed at construction."""
    cls, = objs
    method = req.get("method") or next((m for m in UPDATE_METHODS if callable(getattr(cls, m, None))), None)
    if method is None:
        raise TargetFailure(f"{cls.__name__} has no update(w, grad) or step(w, grad) method", 0, "wrong type")
    if not callable(getattr(cls, method, None)):
        raise TargetFailure(f"{cls.__name__} has no method {method}()", 0, "wrong type")
    # update(w, grad): one object per tensor; update(w, grad, name) (numpy-ml): one object that
    # keeps each tensor's state under its name, as such a library is used
    named = _required_positional(getattr(cls, method)) >= 4  # self, w, grad, name
    try:
        objs_ = [cls(**req["kwargs"])] * len(req["x0"]) if named else [cls(**req["kwargs"]) for _ in req["x0"]]
    except Exception as exc:  # noqa: BLE001 - user code
        raise TargetFailure(f"constructing {cls.__name__}({_kw(req['kwargs'])}) raised "
                            f"{_one_line(exc)}{_where(exc, req['file'])}", 0, exc_type=type(exc).__name__) from None
    ws = [np.array(x, dtype=np.float64) for x in req["x0"]]
    out.extend([w.copy()] for w in ws)
    for k in range(req["T"]):
        for i, G in enumerate(req["grads"]):
            extra = (f"param{i}",) if named else ()
            res = _call(lambda: getattr(objs_[i], method)(ws[i], np.array(G[k], dtype=np.float64), *extra), k + 1,
                        req["file"])
            nw = ws[i] if res is None else res
            ws[i] = _check_param(f"{i}", np.array(nw, dtype=np.float64), out[i][0].shape, k + 1)
            out[i].append(ws[i].copy())
    return out


def run_loop(objs, req, out):
    """A function that runs the whole loop, ``f(grad, x0, callback, num_iters=T, step_size=lr,
    ...)`` (autograd.misc.optimizers): ``grad(x, i)`` returns the stream's gradients of step
    ``i + 1``, the callback records the iterate before each step, the return value is the last."""
    fn, = objs
    G = req["grads"]
    x0 = [np.array(x, dtype=np.float64) for x in req["x0"]]
    seen: list = []

    def grad(x, i):
        if not 0 <= int(i) < req["T"]:
            raise TargetFailure(f"asked for the gradient of iteration {i} of {req['T']}", len(seen) + 1, "wrong type")
        return [np.array(Gi[int(i)], dtype=np.float64) for Gi in G]

    def callback(x, i, g):
        seen.append([np.array(xi, dtype=np.float64) for xi in x])

    kwargs = dict(req["kwargs"])
    kwargs["num_iters"] = req["T"]
    try:
        final = fn(grad, x0, callback, **kwargs)
    except TargetFailure:
        raise
    except Exception as exc:  # noqa: BLE001 - user code
        raise TargetFailure(f"{_one_line(exc)}{_where(exc, req['file'])}", max(len(seen), 1),
                            exc_type=type(exc).__name__) from None
    if len(seen) != req["T"] or not isinstance(final, (list, tuple)) or len(final) != len(x0):
        raise TargetFailure(f"{getattr(fn, '__name__', 'the function')}(grad, x0, callback, num_iters={req['T']}) "
                            f"called back {len(seen)} times and returned {type(final).__name__}", 1, "wrong type")
    seen.append([np.array(xi, dtype=np.float64) for xi in final])
    for i in range(len(x0)):
        out.append([_check_param(f"{i}", step[i], x0[i].shape, k) for k, step in enumerate(seen)])
    return out


def _required_positional(fn) -> int:
    """Positional parameters of ``fn`` without a default (``self`` included for a method)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return 0
    return sum(1 for p in sig.parameters.values()
               if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty)


def _np(p):
    return p.detach().numpy() if hasattr(p, "detach") else p


def _kw(kwargs) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


def _call(fn, step: int, file: str):
    try:
        with np.errstate(all="ignore"):
            return fn()
    except TargetFailure:
        raise
    except Exception as exc:  # noqa: BLE001 - user code
        raise TargetFailure(f"{_one_line(exc)}{_where(exc, file)}", step, exc_type=type(exc).__name__) from None


RUNNERS = {"torch": run_torch, "optax": run_optax, "keras": run_keras,
           "d2l": lambda objs, req, out: run_d2l(objs, req, out, numpy=False),
           "d2l-numpy": lambda objs, req, out: run_d2l(objs, req, out, numpy=True),
           "course": run_course, "numpy": run_numpy, "loop": run_loop}


def serve(rd: int, wr: int, style: str, file: str, names: list[str], module: str = "") -> None:
    inbox, outbox = Connection(rd, writable=False), Connection(wr, readable=False)
    try:
        _import_framework(FRAMEWORKS[style])
        objs = load(file, names, module)
    except LookupError as exc:
        outbox.send({"status": "usage", "message": exc.args[0] if exc.args else str(exc)})
        return
    except BaseException as exc:  # noqa: BLE001 - importing user code can raise anything
        outbox.send({"status": "load-error", "message": f"importing {module or file} raised {_one_line(exc)}"
                                                       f"{_where(exc, file)}"})
        return
    outbox.send({"status": "ready", "describe": [describe(o) for o in objs]})
    while True:
        try:
            req = inbox.recv()
        except EOFError:
            return
        req["file"] = file
        out: list = []
        try:
            RUNNERS[req.get("style", style)](objs, req, out)
            outbox.send({"status": "ok", "xs": [np.asarray(r) for r in out]})
        except TargetFailure as exc:
            outbox.send({"status": "failed", "message": str(exc), "step": exc.step, "kind": exc.kind,
                         "exc_type": exc.exc_type, "xs": [np.asarray(r[:exc.step]) for r in out]})
        except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt from user code
            outbox.send({"status": "failed", "message": _one_line(exc) or type(exc).__name__, "step": -1,
                         "kind": "raised", "exc_type": type(exc).__name__})


# --- the fork server ---------------------------------------------------------------------------------
FRAMEWORKS = {"torch": "torch", "d2l": "torch", "optax": "jax", "keras": "keras", "d2l-numpy": "numpy", "course": "numpy",
              "numpy": "numpy", "loop": "numpy"}


def send_message(sock: socket.socket, msg: dict, fds: list[int] = ()) -> None:
    data = json.dumps(msg).encode()
    socket.send_fds(sock, [struct.pack("!I", len(data)) + data], list(fds))


def receive_message(sock: socket.socket, maxfds: int = 0) -> tuple[dict, list[int]]:
    """One message and the descriptors that came with it; ``EOFError`` when the peer is gone."""
    head, fds, _, _ = socket.recv_fds(sock, 4, maxfds) if maxfds else (sock.recv(4), [], 0, None)
    if len(head) < 4:
        raise EOFError
    size = struct.unpack("!I", head)[0]
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return json.loads(data), list(fds)


def _import_framework(framework: str) -> None:
    if framework == "torch":
        import torch  # noqa: F401 - imported first, so a slow torch import is not charged to the target
    elif framework == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)
    elif framework == "keras":  # Keras 3 on the backend the caller chose, JAX (x64 on) by default
        os.environ.setdefault("KERAS_BACKEND", "jax")
        if os.environ["KERAS_BACKEND"] == "jax":
            import jax

            jax.config.update("jax_enable_x64", True)
        import keras  # noqa: F401


def limit_memory(extra: int) -> None:
    """Let this process allocate at most ``extra`` more bytes (``RLIMIT_DATA`` above what it
    holds now: the framework imported by the fork server stays usable, an address-space limit
    would break it).  Linux counts private anonymous mappings here, so a large NumPy or torch
    allocation raises ``MemoryError`` in the target instead of exhausting the machine."""
    try:
        import resource

        with open("/proc/self/status") as fh:
            data = next(int(ln.split()[1]) * 1024 for ln in fh if ln.startswith("VmData:"))
        limit = data + extra
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    except (ImportError, OSError, StopIteration, ValueError):  # pragma: no cover - not Linux
        pass


def _child(sock: socket.socket, msg: dict, fds: list[int]) -> None:
    """In the forked worker: the log as stdout/stderr, the target's folder as cwd, then serve."""
    code = 1
    try:
        sock.close()
        rd, wr, log = fds
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.environ.clear()  # the caller's environment at this check, not the server's
        os.environ.update(msg["env"])
        os.chdir(msg["cwd"])
        sys.path[0] = msg["cwd"]
        if msg.get("memory"):
            limit_memory(int(msg["memory"]))
        if msg.get("confine"):  # contained code (optmath.teach.sandbox): confined before it is imported
            import importlib

            importlib.import_module(msg["confine"]["module"]).confine(msg["confine"], keep_fds=(rd, wr),
                                                                      style=msg["style"])
        serve(rd, wr, msg["style"], msg["file"], msg["names"], msg.get("module", ""))
        code = 0
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - the target may have closed or replaced them
                pass
        os._exit(code)


def fork_server(framework: str, fd: int) -> None:
    _import_framework(framework)
    sock = socket.socket(fileno=fd)
    while True:
        try:
            msg, fds = receive_message(sock, maxfds=3)
        except (EOFError, OSError):
            return
        if msg["op"] == "spawn":
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child never returns
                _child(sock, msg, fds)
            for f in fds:
                os.close(f)
            send_message(sock, {"pid": pid})
        elif msg["op"] == "wait":  # the exit status of a child, waiting up to `timeout` seconds
            deadline, code = time.monotonic() + msg["timeout"], None
            while True:
                try:
                    done, status = os.waitpid(msg["pid"], os.WNOHANG)
                except ChildProcessError:  # reaped already, or never ours
                    break
                if done:
                    code = os.waitstatus_to_exitcode(status)
                    break
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.005)
            send_message(sock, {"code": code})


if __name__ == "__main__":  # pragma: no cover - exercised through the conformance tests
    if sys.argv[1] == "--fork-server":
        fork_server(sys.argv[2], int(sys.argv[3]))
    else:
        _rd, _wr, _style, _file, *_names = sys.argv[1:]
        serve(int(_rd), int(_wr), _style, _file, [n for n in _names if n])
