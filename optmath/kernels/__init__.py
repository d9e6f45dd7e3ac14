"""Numba kernels: step kernels per family, trajectory and sweep runners."""
