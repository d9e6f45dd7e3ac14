"""The result object every proof in ``proofs/`` returns, and discovery of the proof files."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

STATUSES = ("proved", "refuted", "checked-numerically", "inconclusive")


@dataclass
class ProofResult:
    """Claim, symbolic verdict, numeric cross-check and a status from one vocabulary."""

    claim: str
    symbolic: str
    numeric: str
    status: str
    kind: str = "exact"
    references: tuple[str, ...] = ()
    data: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} is not one of {STATUSES}")

    def __str__(self) -> str:
        return (f"claim:    {self.claim}\nsymbolic: {self.symbolic}\nnumeric:  {self.numeric}\n"
                f"status:   {self.status} ({self.kind})")

    def _repr_markdown_(self) -> str:
        return (f"**Claim** {self.claim}\n\n* symbolic: {self.symbolic}\n* numeric: {self.numeric}\n"
                f"* status: **{self.status}** ({self.kind})")


def discover(root: str | Path) -> dict:
    """Every ``prove_*`` function in ``root/**/*.py`` (files starting with ``_`` excluded)."""
    found = {}
    for path in sorted(Path(root).rglob("*.py")):
        if path.name.startswith("_"):
            continue
        spec = importlib.util.spec_from_file_location(f"proofs.{path.stem}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for name in dir(mod):
            if name.startswith("prove_"):
                found[f"{path.parent.name}/{name}"] = getattr(mod, name)
    return found
