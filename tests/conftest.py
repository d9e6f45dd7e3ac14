"""Shared fixtures and the CI rule: parity and browser tests must run, never skip, when CI=true."""
from __future__ import annotations

import os

import pytest

from optmath.optimizers import REGISTRY

CASES = [(name, profile) for name, spec in REGISTRY.items() for profile in spec.profiles]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    marker = item.get_closest_marker("parity") or item.get_closest_marker("browser")
    if os.environ.get("CI") == "true" and rep.skipped and marker:
        rep.outcome = "failed"
        rep.longrepr = f"{marker.name} test {item.nodeid} was skipped, which CI forbids: {rep.longrepr}"
