"""Numeric validation: generated reference steps, high-precision replay, tolerances."""
