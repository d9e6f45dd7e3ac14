"""The result object every proof in ``proofs/`` returns, discovery, and running the suite.

A proof file ``proofs/<topic>/<claim>.py`` defines one ``prove_<claim>()`` returning a
:class:`ProofResult` and a module constant ``EXPECTED`` (the status the claim must reach:
``"proved"`` for a true statement, ``"refuted"`` for a circulating false one).  Nobody keeps a
list of proofs: :func:`discover` finds them.
"""
from __future__ import annotations

import fnmatch
import importlib.util
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import DomainError

STATUSES = ("proved", "refuted", "checked-numerically", "inconclusive")
KINDS = ("exact", "upper bound", "lower bound", "counterexample")


@dataclass
class ProofResult:
    """Claim, symbolic verdict, numeric cross-check and a status from one vocabulary, and the
    numbers behind them (the way PEPit's examples return the worst case beside the theory's value):

    ``value``
        the number the check computed (a kernel step, a supremum, a count of steps);
    ``reference``
        what it is compared with: the exact value (kind ``exact``), the bound (``upper bound``,
        ``lower bound``) or the bound a circulating claim states (``counterexample``);
    ``error``
        ``|value - reference|`` unless the proof gives its own (a relative error, say);
    ``tolerance``
        how far apart they may be (``exact``), how far past the bound (the bounds), or how far
        past the claimed bound the witness must be (``counterexample``).

    :meth:`numbers_agree` applies the rule of the kind; it is ``None`` when the proof carries no
    numbers, and a proof that declares a ``reference`` must give a finite ``value``."""

    claim: str
    symbolic: str
    numeric: str
    status: str
    kind: str = "exact"
    references: tuple[str, ...] = ()
    data: dict = field(default_factory=dict)
    value: float | None = None
    reference: float | None = None
    error: float | None = None
    tolerance: float | None = None

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} is not one of {STATUSES}")
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r} is not one of {KINDS}")
        numbers = (self.value, self.reference, self.error, self.tolerance)
        if any(x is not None for x in numbers):
            for name in ("value", "reference"):
                x = getattr(self, name)
                if x is None or not isinstance(x, (int, float)) or x != x or abs(x) == float("inf"):
                    raise ValueError(f"{name} {x!r}: a proof that carries numbers needs a finite value and "
                                     "reference (a check that returned None is not a number)")
            self.value, self.reference = float(self.value), float(self.reference)
            self.tolerance = 0.0 if self.tolerance is None else float(self.tolerance)
            self.error = abs(self.value - self.reference) if self.error is None else float(self.error)

    def numbers_agree(self) -> bool | None:
        """The kind's rule on the numbers: ``exact``: ``error <= tolerance``; ``upper bound``:
        ``value <= reference + tolerance``; ``lower bound``: ``value >= reference - tolerance``;
        ``counterexample``: ``value > reference + tolerance`` (the witness breaks the claimed
        bound by more than the tolerance).  ``None`` when the result carries no numbers."""
        if self.value is None:
            return None
        if self.kind == "exact":
            return self.error <= self.tolerance
        if self.kind == "upper bound":
            return self.value <= self.reference + self.tolerance
        if self.kind == "lower bound":
            return self.value >= self.reference - self.tolerance
        return self.value > self.reference + self.tolerance

    def __str__(self) -> str:
        return (f"claim:    {self.claim}\nsymbolic: {self.symbolic}\nnumeric:  {self.numeric}\n"
                f"status:   {self.status} ({self.kind})")

    def as_dict(self) -> dict:
        return {"claim": self.claim, "symbolic": self.symbolic, "numeric": self.numeric,
                "status": self.status, "kind": self.kind, "references": list(self.references),
                "data": jsonable(self.data), **self.numbers()}

    def numbers(self) -> dict:
        """``value``, ``reference``, ``error``, ``tolerance`` and ``numbers_agree`` (JSON-able)."""
        return {"value": self.value, "reference": self.reference, "error": self.error,
                "tolerance": self.tolerance, "numbers_agree": self.numbers_agree()}

    def _repr_markdown_(self) -> str:
        return (f"**Claim** {self.claim}\n\n* symbolic: {self.symbolic}\n* numeric: {self.numeric}\n"
                f"* status: **{self.status}** ({self.kind})")


def jsonable(v):
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, (bool, int, str)) or v is None:
        return v
    if isinstance(v, float):
        return v if v == v and abs(v) != float("inf") else str(v)
    try:
        return float(v)
    except (TypeError, ValueError):
        return str(v)


def verdict(symbolic_ok: bool, numeric_ok: bool, refutes: bool = False) -> str:
    """One rule for every proof: both checks -> ``proved`` (or ``refuted`` for a refutation
    whose counterexample is confirmed both ways); only the numeric one -> ``checked-numerically``
    (never for a refutation); otherwise ``inconclusive``."""
    if symbolic_ok and numeric_ok:
        return "refuted" if refutes else "proved"
    if numeric_ok and not refutes:
        return "checked-numerically"
    return "inconclusive"


@dataclass(frozen=True)
class ProofEntry:
    name: str
    func: Callable[[], ProofResult]
    expected: str
    path: Path
    doc: str

    def __call__(self) -> ProofResult:
        return self.func()


def default_root() -> Path:
    """``proofs/`` of the source checkout this package runs from."""
    return Path(__file__).resolve().parent.parent / "proofs"


def _defines_a_proof(path: Path) -> bool:
    """Whether ``path`` defines a top-level ``prove_*`` function, read with :mod:`ast` without
    running it (so a folder of other Python files is never executed); a file that mentions
    ``def prove_`` but does not parse is a one-line error."""
    import ast

    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise DomainError(f"proof file {str(path)!r} cannot be read: {e.strerror}") from None
    if "def prove_" not in text:
        return False
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as e:
        raise DomainError(f"proof file {str(path)!r} does not parse: {e.msg} (line {e.lineno})") from None
    return any(isinstance(n, ast.FunctionDef) and n.name.startswith("prove_") for n in tree.body)


#: most proof files one suite may hold (a --root that is not a proof suite is refused, not imported)
MAX_PROOF_FILES = 1000


def discover(root: str | Path | None = None) -> dict[str, ProofEntry]:
    """Every ``prove_*`` function in ``root/<topic>/<claim>.py``, the layout of ``proofs/``
    (files and folders starting with ``_`` or ``.`` excluded).  Only that depth is read, so a
    ``--root`` such as ``/`` does not import every Python file below it, and a file is imported
    only when it defines a top-level ``prove_*`` function (read with :mod:`ast` first); more than
    :data:`MAX_PROOF_FILES` files, or a file that fails to import, is a one-line error naming it."""
    root = Path(root) if root is not None else default_root()
    if not root.is_dir():
        raise DomainError(f"proof directory {str(root)!r} does not exist")
    found = {}
    paths = []
    for path in root.glob("*/*.py"):
        if path.name.startswith(("_", ".")) or path.parent.name.startswith(("_", ".")):
            continue
        paths.append(path)
        if len(paths) > MAX_PROOF_FILES:
            raise DomainError(f"{str(root)!r} holds more than {MAX_PROOF_FILES} files of the form TOPIC/CLAIM.py; "
                              f"is it a proof suite? (optmath.proof.MAX_PROOF_FILES)")
    for path in sorted(paths):
        if not _defines_a_proof(path):
            continue
        spec = importlib.util.spec_from_file_location(f"optmath_proofs.{path.parent.name}.{path.stem}", path)
        mod = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(mod)
        except Exception as e:  # noqa: BLE001 - a proof file is the user's code: report it in one line
            text = " ".join(str(e).split())
            raise DomainError(f"proof file {str(path)!r} does not import: {type(e).__name__}: {text}") from None
        expected = getattr(mod, "EXPECTED", "proved")
        if expected not in STATUSES:
            raise DomainError(f"{path}: EXPECTED = {expected!r} is not one of {STATUSES}")
        for name in dir(mod):
            if name.startswith("prove_"):
                key = f"{path.parent.name}/{name[len('prove_'):]}"
                found[key] = ProofEntry(key, getattr(mod, name), expected, path,
                                        (mod.__doc__ or "").strip().splitlines()[0] if mod.__doc__ else "")
    return found


@dataclass
class ProofRun:
    name: str
    expected: str
    result: ProofResult
    seconds: float

    @property
    def ok(self) -> bool:
        return self.result.status == self.expected

    def as_dict(self) -> dict:
        return {"name": self.name, "expected": self.expected, "ok": self.ok,
                "seconds": round(self.seconds, 3), **self.result.as_dict()}


_DONE: dict = {}  # (file, function, mtime, size) -> (result, seconds): each proof runs once a process


def run_proofs(only: str | None = None, root: str | Path | None = None,
               progress: Callable[[str], None] | None = None) -> list[ProofRun]:
    """Run every discovered proof (``only``: a glob such as ``"ema/*"`` or a substring).

    A proof is a deterministic function of its file: within one process each is run once and
    its result reused (``optmath report --compute`` shows the same proofs in several topics)
    until the file changes."""
    entries = discover(root)
    if not entries:
        raise DomainError(f"no proofs found under {str(root) if root is not None else 'proofs/'} "
                          "(files proofs/<topic>/<name>.py with a claim function)")
    if only:
        pat = only if any(c in only for c in "*?[") else f"*{only}*"
        entries = {k: v for k, v in entries.items() if fnmatch.fnmatch(k, pat)}
        if not entries:
            raise DomainError(f"no proof matches {only!r}")
    runs = []
    for name, entry in entries.items():
        if progress:
            progress(name)
        st = entry.path.stat()
        key = (str(entry.path), entry.func.__name__, st.st_mtime_ns, st.st_size)
        if key not in _DONE:
            t0 = time.perf_counter()
            result = entry()
            _DONE[key] = (result, time.perf_counter() - t0)
        result, seconds = _DONE[key]
        runs.append(ProofRun(name, entry.expected, result, seconds))
    return runs
