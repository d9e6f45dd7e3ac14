"""The report topics: each module has ``TITLE``, ``compute(seed) -> dict`` (runs the library and
returns JSON-able data) and ``render(data) -> (markdown body, {figure name: PNG bytes})``, which
reads the stored data only."""
from __future__ import annotations

import importlib

TOPICS = {
    "ema": "EMA and bias correction: exact weights, steps until negligible, windows",
    "momentum": "momentum limits and quadratic rates, with a rate map over (lr, momentum)",
    "adam-bounds": "Adam's step bounds: sparse, expected and exact worst case",
    "frameworks": "framework conventions and equivalence verdicts: PyTorch vs Keras vs optax vs paper",
    "counterexamples": "Adam vs Yogi and AMSGrad: certified counterexamples, trajectories, phase diagrams",
    "proofs": "the proof-suite summary",
    "literature": "published results reproduced: Reddi et al., Zhang et al., Goh, Kingma & Ba beside optmath's values",
}
_MODULES = {"ema": "ema", "momentum": "momentum", "adam-bounds": "bounds", "frameworks": "frameworks",
            "counterexamples": "counterexamples", "proofs": "proofs",
            "literature": "literature"}


def module(topic: str):
    return importlib.import_module(f"{__name__}.{_MODULES[topic]}")
