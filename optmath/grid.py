r"""Large sweeps: a grid of configurations, run in chunks on one of several backends.

A :class:`Grid` is the Cartesian product of named axes over one optimizer (its hyperparameters,
``lr`` and ``x0``) and one problem family (its parameters), with one step count, schedule and
seed for every configuration.  Nothing of size ``N`` is built up front: :meth:`Grid.batch`
materialises the inputs of configurations ``[a, b)`` on demand, so a sweep of ``10**6``
configurations streams through memory in chunks and keeps only four summaries per
configuration (final x, average regret, max |x|, first non-finite step).

Backends (:func:`run_batch`), all giving the same bits on a CPU:

``blocked``  configurations in SIMD lanes, blocks in parallel (:mod:`optmath.kernels.blocked`);
``scalar``   one configuration per parallel iteration;
``cuda``     one configuration per GPU thread (:mod:`optmath.kernels.gpu`); tested on the CPU
             through Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``).

All three are generated from the optimizer's equations (:mod:`optmath.kernels.generate`), with
the same printed statements, hence the same bits.

:func:`sweep_grid` runs the chunks here, or as Dask tasks on a cluster (``scheduler``:
``"local"`` for a :class:`distributed.LocalCluster` on this machine, or ``tcp://HOST:PORT``).
Each task carries the grid and its chunk bounds, not arrays; results are placed by chunk
index, so a task that a dead worker had started is recomputed by another worker and counted
once.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import limits
from . import problems as P
from .kernels.precision import check_precision
from .errors import DomainError, OptmathTypeError, UnknownNameError
from .kernels.plan import plan
from .kernels.runner import SweepResult, learning_rates

BACKENDS = ("auto", "blocked", "scalar", "cuda")
DEVICES = ("cpu", "cuda")
#: configurations per chunk: a Dask task, a progress tick, the memory held at once
DEFAULT_CHUNK = 1 << 16
#: bytes per configuration of a sweep's summaries (out (N, 4) and the int64 copy of its last column)
RESULT_BYTES = 48
#: bytes per configuration of a chunk in flight (hyperparameter, problem, state and start
#: columns, padded blocks and the kernel's output), an upper estimate
CHUNK_BYTES = 512


@dataclass
class Batch:
    """The inputs of a run of configurations of one program, one row each (arrays float64)."""

    alg: object  # the Algorithm whose program (equations) every row runs
    problem: object  # the problems' Family (optmath.problems.family)
    hps: np.ndarray  # (n, inputs): the kernel inputs (optmath.kernels.plan), d = 1
    lrs0: np.ndarray  # (n,)
    x0s: np.ndarray  # (n,)
    inits: np.ndarray  # (n, states)
    pps: np.ndarray  # (n, the family's parameters)
    xstars: np.ndarray  # (n,)
    lr_mult: np.ndarray  # (T,)
    draws: np.ndarray  # (T,)
    lo: float
    hi: float
    precision: str = "float64"  # optmath.kernels.precision

    def __len__(self) -> int:
        return self.hps.shape[0]

    @property
    def project(self) -> bool:
        return math.isfinite(self.lo) or math.isfinite(self.hi)


def run_batch(batch: Batch, backend: str = "auto", block: int | None = None) -> np.ndarray:
    """``out`` (n, 4): final x, average regret, max |x|, first non-finite step (0: none)."""
    from .kernels import blocked as B

    if backend not in BACKENDS:
        raise UnknownNameError("sweep backend", backend, BACKENDS)
    if backend in ("auto", "blocked"):
        if block is not None and (isinstance(block, bool) or not isinstance(block, int) or not 1 <= block <= 4096):
            raise DomainError(f"block = {block!r} must be an integer in [1, 4096]")
        return B.run_blocked(batch, block or B.DEFAULT_BLOCK)
    if backend == "cuda":
        from .kernels import gpu

        return gpu.run_cuda(batch)
    return B.run_scalar(batch)


def _axis(name, values) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).reshape(-1) if not isinstance(values, str) else None
    if arr is None or arr.size == 0:
        raise DomainError(f"grid axis {name} needs at least one number, got {values!r}")
    bad = arr[~np.isfinite(arr)]
    if bad.size:
        raise DomainError(f"grid axis {name} has a non-finite value {float(bad[0])!r}")
    return arr


@dataclass(frozen=True)
class Grid:
    """A Cartesian grid of configurations of one optimizer on one problem family.

    ``axes`` maps names to 1-D value lists, in row-major order (the last axis varies fastest):
    ``lr``, ``x0``, a hyperparameter of the optimizer (``b1``, ``b2``, ``eps``, ...) or a
    parameter of the problem (``C``, ``n``, ``p``, ...).  ``problem`` is the family with its
    fixed parameters in CLI syntax (``"reddi"``, ``"stochastic:p=0.3"``).
    """

    optimizer: str
    problem: str
    axes: tuple  # ((name, values), ...)
    steps: int
    profile: str = "paper"
    switches: tuple = ()  # ((name, value), ...)
    values: tuple = ()  # fixed hyperparameters ((name, value), ...)
    schedule: str = "constant"
    x0: float = 0.0
    seed: int = 0
    precision: str = "float64"  # the kernels' arithmetic (optmath.kernels.precision)
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def __reduce__(self):  # pickled for Dask without the derived tables
        return (Grid, (self.optimizer, self.problem, self.axes, self.steps, self.profile, self.switches,
                       self.values, self.schedule, self.x0, self.seed, self.precision))

    @classmethod
    def make(cls, optimizer: str, problem: str, axes: dict, *, steps: int, profile: str = "paper",
             switches: dict | None = None, values: dict | None = None, schedule: str = "constant",
             x0: float = 0.0, seed: int = 0, precision: str = "float64") -> "Grid":
        if not isinstance(axes, dict) or not axes:
            raise DomainError("a grid needs at least one axis, e.g. {'lr': [0.01, 0.1]}")
        g = cls(optimizer, problem, tuple((str(k), _axis(k, v)) for k, v in axes.items()), steps, profile,
                tuple(sorted((switches or {}).items())), tuple(sorted((values or {}).items())), schedule,
                float(x0), int(seed), check_precision(precision))
        g._tables()  # validate everything now, with one-line errors
        return g

    @property
    def shape(self) -> tuple:
        return tuple(len(v) for _, v in self.axes)

    @property
    def size(self) -> int:
        return math.prod(self.shape)  # exact: int64 overflows for three axes of 10**7

    def _tables(self) -> dict:
        if self._cache:
            return self._cache
        from .optimizers import get_spec

        if isinstance(self.steps, bool) or not isinstance(self.steps, (int, np.integer)) or self.steps < 1:
            raise DomainError(f"steps = {self.steps!r} must be a positive integer")
        limits.check_count("steps", self.steps, limits.MAX_STEPS)
        limits.check_seed(self.seed)
        shape = " x ".join(str(n) for n in self.shape)
        limits.check_count(f"grid configurations ({shape})", self.size, limits.MAX_CONFIGURATIONS)
        limits.check_work((("configurations", self.size), ("steps", self.steps)), "the sweep")
        limits.check_memory(RESULT_BYTES * self.size + limits.STEP_ARRAY_BYTES * self.steps,
                            f"the summaries of {self.size:,} configurations and {self.steps:,} steps")
        if not math.isfinite(self.x0):
            raise DomainError(f"x0 = {self.x0!r} must be finite")
        spec = get_spec(self.optimizer)
        base = spec.resolve(self.profile, dict(self.switches), **dict(self.values))
        bp = plan(base)
        fam_name, _, fixed = self.problem.partition(":")
        fixed_prob = P.parse_problem(self.problem)
        prob_params = {k.strip(): v.strip() for k, _, v in
                       (item.partition("=") for item in filter(None, fixed.split(",")))}
        names = [k for k, _ in self.axes]
        if len(set(names)) != len(names):
            raise DomainError(f"grid axes repeat a name: {names}")
        hyper_names = {h.name for h in spec.hypers}
        opt_axes, prob_axes = {}, []
        for k, vals in self.axes:
            if k in ("lr", "x0"):
                if k == "lr":
                    for v in vals:
                        spec.hyper("lr").check(float(v), f"{spec.name}: ")
                opt_axes[k] = None
            elif k in hyper_names:
                for v in vals:
                    spec.hyper(k).check(float(v), f"{spec.name}: ")
                col = bp.column(k)
                if col is None:
                    raise DomainError(f"{k} cannot be a grid axis of {spec.name} with these switches "
                                      f"(its equations do not read it)")
                if any(k == str(v) for st in base.states for v in getattr(st.init, "free_symbols", ())):
                    raise DomainError(f"{k} cannot be a grid axis of {spec.name}: it sets an initial state value")
                opt_axes[k] = col
            else:
                prob_axes.append(k)
        if prob_axes:
            known = P.get_family(fam_name.strip()).names
            for k in prob_axes:
                if k not in known:
                    raise UnknownNameError(f"grid axis (not a hyperparameter of {spec.name} nor a parameter of "
                                           f"{fam_name.strip()})", k, sorted(hyper_names | {"lr", "x0"} | set(known)))
            pvals = [dict(self.axes)[k] for k in prob_axes]
            pshape = tuple(len(v) for v in pvals)
            if int(np.prod(pshape)) > 1 << 16:
                raise DomainError(f"the problem axes {prob_axes} give {int(np.prod(pshape))} problems; at most 65536")
            probs = []
            for combo in np.ndindex(*pshape):
                params = dict(prob_params)
                params.update({k: repr(float(pvals[i][combo[i]])) for i, k in enumerate(prob_axes)})
                probs.append(P.make_problem(fam_name.strip(), **params))
            if len({(q.lo, q.hi) for q in probs}) != 1:
                raise DomainError("a grid's problems must share one domain")
        else:
            probs, pshape = [fixed_prob], ()
        pp = P.parameter_rows(probs)
        lr_mult = learning_rates(1.0, self.schedule, int(self.steps))
        self._cache.update(spec=spec, plan=bp, opt_axes=opt_axes, prob_axes=prob_axes, pshape=pshape,
                           pp=pp, xstar=np.array([q.xstar for q in probs]), family=probs[0].family,
                           lo=probs[0].lo, hi=probs[0].hi, lr_mult=lr_mult,
                           draws=P.draws(probs[0], int(self.steps), self.seed))
        return self._cache

    def batch(self, a: int = 0, b: int | None = None) -> Batch:
        """The inputs of configurations ``a .. b-1`` in row-major grid order."""
        tb = self._tables()
        b = self.size if b is None else b
        if not 0 <= a <= b <= self.size:
            raise DomainError(f"chunk [{a}, {b}) is outside the grid of {self.size} configurations")
        n = b - a
        idx = np.unravel_index(np.arange(a, b, dtype=np.int64), self.shape)
        p = tb["plan"]
        hps = np.repeat(p.hv[None, :], n, axis=0)
        lrs0 = np.full(n, p.lr)
        x0s = np.full(n, self.x0)
        pidx = np.zeros(n, dtype=np.int64)
        prob_pos = []
        for i, (k, vals) in enumerate(self.axes):
            col = vals[idx[i]]
            if k == "lr":
                lrs0 = col
            elif k == "x0":
                x0s = col
            elif k in tb["opt_axes"]:
                hps[:, tb["opt_axes"][k]] = col
            else:
                prob_pos.append(idx[i])
        if prob_pos:
            pidx = np.ravel_multi_index(tuple(prob_pos), tb["pshape"])
        return Batch(p.alg, tb["family"], hps, np.ascontiguousarray(lrs0), np.ascontiguousarray(x0s),
                     np.repeat(p.init[None, :], n, axis=0), tb["pp"][pidx], tb["xstar"][pidx], tb["lr_mult"],
                     tb["draws"], tb["lo"], tb["hi"], self.precision)


@dataclass
class GridResult(SweepResult):
    """Per-configuration summaries, flat in row-major grid order (``reshape(grid.shape)``)."""

    grid: Grid | None = None
    backend: str = ""
    chunks: int = 0

    def table(self, name: str) -> np.ndarray:
        """One summary as an array of the grid's shape."""
        if name not in ("final_x", "average_regret", "max_abs_x", "first_nonfinite_step"):
            raise UnknownNameError("sweep summary", name,
                                   ("final_x", "average_regret", "max_abs_x", "first_nonfinite_step"))
        return getattr(self, name).reshape(self.grid.shape)


def _chunk_task(grid: Grid, a: int, b: int, backend: str, block):
    """One task: configurations [a, b) of the grid (module level: picklable for Dask)."""
    return a, run_batch(grid.batch(a, b), backend, block)


def sweep_grid(grid: Grid, *, backend: str = "auto", device: str = "cpu", block: int | None = None,
               chunk: int = DEFAULT_CHUNK, scheduler: str | None = None, progress=None,
               client=None) -> GridResult:
    """Run every configuration of ``grid``; the same bits whatever the chunking or backend.

    ``device="cuda"`` selects the GPU kernel; ``scheduler`` (``"local"`` or ``tcp://HOST:PORT``)
    or ``client`` (a :class:`distributed.Client`) sends the chunks to Dask workers;
    ``progress(done, total)`` is called as chunks finish.
    """
    if not isinstance(grid, Grid):
        raise OptmathTypeError(f"expected a Grid, got {type(grid).__name__}")
    if device not in DEVICES:
        raise UnknownNameError("device", device, DEVICES)
    if device == "cuda":
        if backend not in ("auto", "cuda"):
            raise DomainError(f"backend {backend!r} runs on the CPU; --device cuda uses the cuda backend")
        backend = "cuda"
    if backend not in BACKENDS:
        raise UnknownNameError("sweep backend", backend, BACKENDS)
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise DomainError(f"chunk = {chunk!r} must be a positive integer")
    N = grid.size
    workers = 1 if scheduler is None and client is None else 2  # a local one, or what one Dask worker holds
    limits.check_memory(RESULT_BYTES * N + (CHUNK_BYTES * min(int(chunk), N) + limits.STEP_ARRAY_BYTES * grid.steps)
                        * workers,
                        f"a sweep of {N:,} configurations in chunks of {int(chunk):,}")
    bounds = [(a, min(a + int(chunk), N)) for a in range(0, N, int(chunk))]
    out = np.empty((N, 4))
    done = np.zeros(len(bounds), dtype=bool)
    from .distributed import task_map

    args = [(grid, a, b, backend, block) for a, b in bounds]
    for i, (a, res) in task_map(_chunk_task, args, scheduler=scheduler, client=client):
        if done[i]:
            raise AssertionError(f"chunk {i} returned twice")  # pragma: no cover - each index is yielded once
        out[a:a + res.shape[0]] = res
        done[i] = True
        if progress:
            progress(int(done.sum()), len(bounds))
    if not done.all():  # pragma: no cover - every chunk is awaited above
        raise AssertionError("a chunk is missing")
    return GridResult(out[:, 0], out[:, 1], out[:, 2], out[:, 3].astype(np.int64), grid=grid,
                      backend=backend, chunks=len(bounds))


def parse_axis(text: str) -> tuple[str, np.ndarray]:
    """``NAME=LO:HI:N`` (linear), ``NAME=log:LO:HI:N`` (log-spaced) or ``NAME=v1,v2,...``."""
    name, eq, spec = str(text).partition("=")
    name = name.strip()
    if not eq or not name.isidentifier():
        raise DomainError(f"bad grid axis {text!r}; expected NAME=LO:HI:N, NAME=log:LO:HI:N or NAME=v1,v2")
    parts = spec.split(":")
    try:
        if len(parts) == 1:
            vals = np.array([float(v) for v in spec.split(",") if v.strip()])
        else:
            log = parts[0].strip() == "log"
            if len(parts) != (4 if log else 3):
                raise ValueError
            lo, hi, n = float(parts[-3]), float(parts[-2]), int(parts[-1])
            if n < 1 or n > 10**7:
                raise ValueError
    except ValueError:
        raise DomainError(f"bad grid axis {text!r}; expected NAME=LO:HI:N, NAME=log:LO:HI:N or NAME=v1,v2") from None
    if len(parts) > 1:
        if log and not (lo > 0 and hi > 0):
            raise DomainError(f"grid axis {name}: log spacing needs LO, HI > 0, got {spec!r}")
        vals = np.geomspace(lo, hi, n) if log else np.linspace(lo, hi, n)
    return name, _axis(name, vals)


__all__ = ["Batch", "Grid", "GridResult", "sweep_grid", "run_batch", "parse_axis", "BACKENDS"]
