"""Every proof file is discovered (no hand-kept list) and its status is not a failure."""
from __future__ import annotations

from pathlib import Path

import pytest

from optmath.proof import ProofResult, discover

PROOFS = discover(Path(__file__).parent.parent / "proofs")


def test_proofs_are_discovered():
    assert PROOFS


@pytest.mark.parametrize("name", sorted(PROOFS))
def test_proof_holds(name):
    result = PROOFS[name]()
    assert isinstance(result, ProofResult)
    assert result.status in ("proved", "refuted", "checked-numerically"), str(result)


def test_bad_status_is_refused():
    with pytest.raises(ValueError, match="status"):
        ProofResult("c", "s", "n", "probably")
