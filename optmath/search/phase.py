r"""Phase diagrams: where in the ``(b1, b2)`` square a method converges, fails or diverges.

Every cell runs the Numba kernel on the same problem, start, step sizes, stream and eps, and is
classified by :func:`optmath.search.classify.classify_trajectory`.  The result is data
(:class:`PhaseDiagram`, JSON) plus a figure drawn with the Agg backend and fixed metadata, so
the same command writes the same bytes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import limits
from .._version import __version__
from ..errors import DomainError
from ..problems import make_problem
from .classify import CLASSES, classify_trajectory
from .search import DEFAULTS, SearchError, check_methods, resolve_method

COLOURS = {"converges": "#4c9f70", "fails": "#e0a030", "diverges": "#c0392b", "inconclusive": "#bdbdbd"}


def parse_grid(text: str, name: str) -> np.ndarray:
    """``LO:HI:N`` -> ``N`` evenly spaced values (``N = 1`` gives ``LO``); one-line errors."""
    parts = str(text).split(":")
    try:
        if len(parts) != 3:
            raise ValueError
        lo, hi, n = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise SearchError(f"--{name} {text!r} must be LO:HI:N (two numbers and a count)") from None
    if n < 1 or n > 400 or not (0 <= lo <= hi < 1) or (name == "b2" and lo <= 0):
        raise SearchError(f"--{name} {text!r}: need 0 {'<' if name == 'b2' else '<='} LO <= HI < 1 and 1 <= N <= 400")
    return np.linspace(lo, hi, n) if n > 1 else np.array([lo])


@dataclass
class PhaseDiagram:
    optimizer: str
    family: str
    params: dict
    b1: list
    b2: list
    classes: list  # rows over b2, columns over b1
    final_x: list
    settings: dict = field(default_factory=dict)

    def counts(self) -> dict:
        flat = [c for row in self.classes for c in row]
        return {k: flat.count(k) for k in CLASSES}

    def failing(self) -> np.ndarray:
        return np.array([[c in ("fails", "diverges") for c in row] for row in self.classes])

    def as_dict(self) -> dict:
        return {"optimizer": self.optimizer, "family": self.family, "params": self.params, "b1": self.b1,
                "b2": self.b2, "classes": self.classes, "final_x": self.final_x, "settings": self.settings,
                "counts": self.counts(), "version": __version__}


def _phase_row(optimizer, prob, b1s, v2, steps, lr, schedule, x0, eps, seed, profile, switches, tick=None,
               precision="float64"):
    """One row of the diagram (every ``b1`` at one ``b2``): ``(classes, final x, warnings)``, the
    warnings of a low-precision row as text.  A module-level function of plain data, so a Dask
    worker can run it."""
    import warnings

    from ..errors import PrecisionWarning
    from ..kernels.runner import run

    row, frow, said = [], [], []
    for v1 in b1s:
        alg = resolve_method(optimizer, lr, v1, v2, eps, profile, switches)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PrecisionWarning)
            tr = run(alg, problem=prob, steps=steps, x0=x0, schedule=schedule, seed=seed, on_nonfinite="stop",
                     precision=precision)
        said += [str(w.message) for w in caught if issubclass(w.category, PrecisionWarning)]
        row.append(classify_trajectory(tr, prob).kind)
        frow.append(float(tr.xs[-1, 0]))
        if tick:
            tick()
    return row, frow, said


def phase(optimizer: str = "adam", family: str = "periodic", params: dict | None = None, *, b1=(0.0,), b2=(0.999,),
          steps: int = 30000, lr: float = 0.5, schedule: str = "inv_sqrt", x0: float = 1.0, eps: float | None = None,
          seed: int = 0, profile: str | None = None, switches: dict | None = None, progress=None,
          scheduler: str | None = None, client=None, precision: str = "float64") -> PhaseDiagram:
    """Classify ``optimizer`` on one problem over the grid ``b1 x b2`` (see the module docstring).

    ``scheduler`` (``"local"`` or ``tcp://HOST:PORT``) or ``client`` runs the rows of the grid as
    Dask tasks; the diagram is the same, bit for bit.  ``progress(done, total)`` counts cells.
    ``precision``: the cells' arithmetic (:mod:`optmath.kernels.precision`); its warnings are
    kept in ``settings["warnings"]``.
    ``eps=None`` is ``1e-8`` where the optimizer has an eps; an ``eps`` given must be one of its
    hyperparameters (Lion has none).  Cells x steps are at most ``optmath.limits.MAX_WORK``.
    """
    try:
        prob = make_problem(family, **(params or {}))
    except DomainError as exc:
        raise SearchError(str(exc)) from None
    b1s, b2s = [float(v) for v in b1], [float(v) for v in b2]
    from ..kernels.precision import check_precision

    check_precision(precision)
    check_methods([optimizer], profile, switches, need=("b1", "b2"), given=() if eps is None else ("eps",))
    eps = DEFAULTS["eps"] if eps is None else eps
    limits.check_count("steps", steps, limits.MAX_STEPS)
    limits.check_seed(seed)
    limits.check_count(f"phase cells ({len(b1s)} x {len(b2s)})", len(b1s) * len(b2s), limits.MAX_CELLS)
    limits.check_work((("cells", len(b1s) * len(b2s)), ("steps", steps)), "the phase diagram")
    from ..kernels.runner import trajectory_bytes

    limits.check_memory(2 * trajectory_bytes(steps), f"a phase cell of {steps:,} steps")  # a row per worker
    settings = {"steps": steps, "lr": lr, "schedule": schedule, "x0": x0, "eps": eps, "seed": seed,
                "profile": resolve_method(optimizer, lr, b1s[0], b2s[0], eps, profile, switches).profile,
                "switches": switches or {}}  # resolves every name first: bad input fails before any run
    total, done = len(b1s) * len(b2s), [0]
    classes, finals = [None] * len(b2s), [None] * len(b2s)
    local = scheduler is None and client is None

    def tick():
        done[0] += 1
        if progress:
            progress(done[0], total)

    args = [(optimizer, prob, b1s, v2, steps, lr, schedule, x0, eps, seed, profile, switches, tick if local else None,
             precision) for v2 in b2s]
    from ..distributed import task_map

    said: list = []
    for i, (row, frow, row_said) in task_map(_phase_row, args, scheduler=scheduler, client=client):
        classes[i], finals[i] = row, frow
        said += [w for w in row_said if w not in said]
        if not local:
            for _ in row:
                tick()
    if precision != "float64":
        settings["precision"] = precision
        settings["warnings"] = sorted(said)  # a state underflow is reported at its first step in any cell
    return PhaseDiagram(optimizer, family, dict(params or {}), b1s, b2s, classes, finals, settings)


def draw_classes(ax, classes, b1, b2) -> None:
    """Draw a grid of classes (rows over ``b2``, columns over ``b1``) on ``ax`` in :data:`COLOURS`."""
    from matplotlib.colors import ListedColormap

    index = {k: i for i, k in enumerate(CLASSES)}
    grid = np.array([[index[c] for c in row] for row in classes])
    d1 = (b1[1] - b1[0]) if len(b1) > 1 else 0.05
    d2 = (b2[1] - b2[0]) if len(b2) > 1 else 0.05
    ax.imshow(grid, origin="lower", aspect="auto", interpolation="nearest",
              cmap=ListedColormap([COLOURS[k] for k in CLASSES]), vmin=0, vmax=len(CLASSES) - 1,
              extent=(b1[0] - d1 / 2, b1[-1] + d1 / 2, b2[0] - d2 / 2, b2[-1] + d2 / 2))
    ax.grid(False)


def phase_files(optimizer: str, family: str, out_dir, stem: str | None = None) -> tuple[Path, Path]:
    """The two files :func:`write_phase` writes (``phase_OPTIMIZER_FAMILY.json`` and ``.png`` in
    ``out_dir`` by default), so that a command can check them before any work."""
    stem = stem or f"phase_{optimizer}_{family}"
    return Path(out_dir) / f"{stem}.json", Path(out_dir) / f"{stem}.png"


def write_phase(diagram: PhaseDiagram, out_dir, stem: str | None = None) -> tuple[Path, Path]:
    """Write ``STEM.json`` and ``STEM.png`` (deterministic bytes) into ``out_dir``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jpath, ppath = phase_files(diagram.optimizer, diagram.family, out, stem)
    jpath.write_text(json.dumps(diagram.as_dict(), indent=2, sort_keys=True) + "\n")
    with plt.style.context("default"), plt.rc_context({"svg.hashsalt": "optmath", "font.size": 9}):
        fig, ax = plt.subplots(figsize=(5.0, 4.0), dpi=100)
        draw_classes(ax, diagram.classes, diagram.b1, diagram.b2)
        ax.set_xlabel("b1")
        ax.set_ylabel("b2")
        params = ", ".join(f"{k}={v}" for k, v in diagram.params.items())
        ax.set_title(f"{diagram.optimizer} on {diagram.family} ({params}), T = {diagram.settings['steps']}")
        ax.legend(handles=[Patch(color=COLOURS[k], label=k) for k in CLASSES], loc="upper left",
                  bbox_to_anchor=(1.01, 1.0), frameon=False)
        fig.tight_layout()
        fig.savefig(ppath, metadata={"Software": None, "Creation Time": None})
        plt.close(fig)
    return jpath, ppath
