"""``optmath derive`` and ``optmath claim`` render library results; errors are one line, exit 2."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def cli(*args):
    return subprocess.run([sys.executable, "-m", "optmath.cli", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200"}, timeout=600)


def test_derive_ema_json_holds_the_closed_forms():
    r = cli("derive", "ema", "--optimizer", "adam", "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    items = {i["label"]: i["value"] for i in d["items"]}
    assert items["m: weight sum W_t"] == "1 - b1**t" and d["ok"]
    assert all(v is not False for v in d["checks"].values())


@pytest.mark.parametrize("args,expect", [
    (("derive", "limits", "-o", "adam", "-p", "pytorch"), "-G*lr/(G + eps)"),
    (("derive", "quadratic", "-o", "momentum"), "determinant: mu"),
    (("derive", "bounds", "--format", "latex"), "\\begin{aligned}"),
])
def test_derive_topics(args, expect):
    r = cli(*args)
    assert r.returncode == 0 and expect in r.stdout, r.stdout + r.stderr


@pytest.mark.parametrize("args", [("derive", "nope"), ("derive", "ema", "-o", "nope"),
                                  ("derive", "ema", "-o", "adam", "-p", "nope"),
                                  ("derive", "ema", "--format", "pdf"), ("derive", "quadratic", "-o", "adam")])
def test_derive_bad_input_is_one_line_exit_2(args):
    r = cli(*args)
    assert r.returncode == 2 and r.stderr.startswith("optmath: error:")
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_claim_exit_codes_and_json():
    ok = cli("claim", "Sum((1-b)*b**(t-i), i, 1, t) == 1 - b**t", "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["status"] == "proved"
    bad = cli("claim", "sqrt(x**2) == x")
    assert bad.returncode == 1 and "counterexample: x = " in bad.stdout
    assumed = cli("claim", "sqrt(x**2) == x", "--assume", "x > 0")
    assert assumed.returncode == 0


@pytest.mark.parametrize("formula", ["9**9**9**9 == 1", "x.real == 1", "__import__ == 1", "a" * 100_000])
def test_claim_hostile_input_is_one_line_exit_2(formula):
    r = cli("claim", formula)
    assert r.returncode == 2 and r.stderr.startswith("optmath: error:")
    assert len(r.stderr.strip().splitlines()) == 1


def test_equiv_cli_json_and_bad_input():
    r = cli("equiv", "momentum:paper", "momentum:optax", "--keep", "damp", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["kind"] == "reparameterisation" and d["map"]["mu_B"] == "mu"
    for args in (("equiv", "nope", "adam"), ("equiv", "adam", "adam", "--steps", "9"),
                 ("equiv", "adam", "adam", "--b-set", "b1=2")):
        bad = cli(*args)
        assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
