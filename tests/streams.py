"""Hypothesis strategies for gradient streams (built from a few drawn numbers, fast to shrink)."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

KINDS = ("zeros", "constant", "sign_flips", "normal", "mixed_magnitudes", "sparse", "periodic_spike")


def build_stream(kind: str, exponent: int, seed: int, steps: int = 1000, dim: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scale = 10.0**exponent
    if kind == "zeros":
        return np.zeros((steps, dim))
    if kind == "constant":
        return np.full((steps, dim), scale) * rng.choice([-1.0, 1.0], size=dim)
    if kind == "sign_flips":
        return scale * np.where(np.arange(steps)[:, None] % 2 == 0, 1.0, -1.0) * np.ones(dim)
    if kind == "normal":
        return scale * rng.normal(size=(steps, dim))
    if kind == "mixed_magnitudes":
        return rng.normal(size=(steps, dim)) * 10.0 ** rng.uniform(-12, 6, size=(steps, dim))
    if kind == "sparse":
        return scale * rng.normal(size=(steps, dim)) * (rng.random((steps, dim)) < 0.05)
    spikes = np.where(np.arange(steps) % 101 == 0, 1010.0, -10.0)  # Reddi et al.'s synthetic stream
    return scale * spikes[:, None] * np.ones(dim)


streams = st.builds(build_stream, st.sampled_from(KINDS), st.integers(-12, 6), st.integers(0, 2**32 - 1))
