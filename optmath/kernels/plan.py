r"""Translate a resolved :class:`~optmath.spec.Algorithm` into kernel inputs.

A :class:`KernelPlan` holds the family code, the ``hp`` vector (hyperparameters and switch
codes in the family's layout below), the row of the state array that holds each spec state,
and the initial state values.  Hyperparameters a switch turns off are passed as 0, so the
kernel computes exactly the spec's equations.

Layouts (index: meaning)
------------------------
sgd      0 mu, 1 damp, 2 wd, 3 kind (0 none, 1 heavy ball, 2 nesterov), 4 form (0 buffer,
         1 velocity, 2 lookahead), 5 first step = g
adagrad  0 eps, 1 lr_decay, 2 wd, 3 eps inside
rmsprop  0 alpha, 1 eps, 2 mu, 3 wd, 4 centered, 5 eps inside, 6 momentum kind, 7 lr inside
adadelta 0 rho, 1 eps, 2 wd
adam     0 b1, 1 b2, 2 eps, 3 eps_root, 4 wd, 5 wd mode (0 none, 1 l2, 2 decoupled,
         3 decoupled unscaled), 6 second moment (0 ema, 1 yogi, 2 belief), 7 amsgrad (0 none,
         1 raw, 2 corrected), 8 bias correction, 9 eps-hat form, 10 lerp
adamax   0 b1, 1 b2, 2 eps, 3 eps mode (0 in max, 1 denominator, 2 none), 4 wd, 5 lerp
nadam    0 b1, 1 b2, 2 eps, 3 psi, 4 schedule (0 dozat, 1 keras, 2 constant), 5 wd, 6 lerp
radam    0 b1, 1 b2, 2 eps, 3 threshold, 4 rule >=, 5 eps mode (0 raw, 1 vhat), 6 wd, 7 lerp
adamp    0 b1, 1 b2, 2 eps, 3 wd, 4 delta, 5 wd_ratio, 6 nesterov
lion     0 b1, 1 b2, 2 wd
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..spec import Algorithm
from . import steps as K

NHP = 12
FAMILY = {"sgd": K.SGD, "adagrad": K.ADAGRAD, "rmsprop": K.RMSPROP, "adadelta": K.ADADELTA,
          "adam": K.ADAM, "adamax": K.ADAMAX, "nadam": K.NADAM, "radam": K.RADAM,
          "adamp": K.ADAMP, "lion": K.LION}
ROWS = {"sgd": ("buf", "vel"), "adagrad": ("s",), "rmsprop": ("s", "a", "buf"),
        "adadelta": ("s", "u"), "adam": ("m", "v", "vmax"), "adamax": ("m", "u"),
        "nadam": ("m", "v", "p"), "radam": ("m", "v"), "adamp": ("m", "v"), "lion": ("m",)}


@dataclass(frozen=True)
class KernelPlan:
    family: int
    hp: np.ndarray
    rows: dict  # spec state name -> row of the state array
    init: np.ndarray  # float64[NS]: initial value of each row
    lr: float


def _code(sw, name, values):
    return float(values.index(sw[name]))


def _flag(cond) -> float:
    return 1.0 if cond else 0.0


def plan(alg: Algorithm) -> KernelPlan:
    """The kernel inputs for ``alg`` (family code, hp vector, state rows, initial values)."""
    fam = alg.spec.kernel
    sw, val = alg.switches, alg.values
    wd = val.get("wd", 0.0) if sw.get("weight_decay", "none") != "none" else 0.0
    lerp = _flag(sw.get("first_moment") == "lerp")
    if fam == "sgd":
        hp = [val["mu"], val["damp"] if sw["form"] == "buffer" else 0.0, wd,
              _code(sw, "momentum", ("none", "heavy_ball", "nesterov")),
              _code(sw, "form", ("buffer", "velocity", "lookahead")), _flag(sw["first_step"] == "grad")]
    elif fam == "adagrad":
        hp = [val["eps"], val["lr_decay"], wd, _flag(sw["eps_placement"] == "inside")]
    elif fam == "rmsprop":
        hp = [val["alpha"], val["eps"], val["mu"], wd, _flag(sw["centered"] == "yes"),
              _flag(sw["eps_placement"] == "inside"),
              _code(sw, "momentum", ("none", "heavy_ball", "nesterov")),
              _flag(sw["lr_placement"] == "inside_buffer")]
    elif fam == "adadelta":
        hp = [val["rho"], val["eps"], wd]
    elif fam == "adam":
        eps_root = val["eps_root"] if (sw["eps_root"] == "yes" or sw["second_moment"] == "belief") else 0.0
        hp = [val["b1"], val["b2"], val["eps"], eps_root, wd,
              _code(sw, "weight_decay", ("none", "l2", "decoupled", "decoupled_unscaled")),
              _code(sw, "second_moment", ("ema", "yogi", "belief")),
              _code(sw, "amsgrad", ("none", "raw", "corrected")),
              _flag(sw["bias_correction"] == "both"), _flag(sw["eps_placement"] == "hat"), lerp]
    elif fam == "adamax":
        hp = [val["b1"], val["b2"], val["eps"], _code(sw, "eps_placement", ("in_max", "denominator", "none")),
              wd, lerp]
    elif fam == "nadam":
        hp = [val["b1"], val["b2"], val["eps"], val["psi"],
              _code(sw, "schedule", ("dozat", "keras", "constant")), wd, lerp]
    elif fam == "radam":
        hp = [val["b1"], val["b2"], val["eps"], val["threshold"], _flag(sw["threshold_rule"] == "ge"),
              _code(sw, "eps_placement", ("raw", "vhat")), wd, lerp]
    elif fam == "adamp":
        hp = [val["b1"], val["b2"], val["eps"], val["wd"], val["delta"], val["wd_ratio"],
              _flag(sw["nesterov"] == "yes")]
    elif fam == "lion":
        hp = [val["b1"], val["b2"], val["wd"]]
    else:  # pragma: no cover - the registry only names the families above
        raise AssertionError(fam)
    hp_arr = np.zeros(NHP)
    hp_arr[: len(hp)] = hp
    rows = {}
    init = np.zeros(K.NS)
    for s in alg.states:
        r = ROWS[fam].index(s.name)
        rows[s.name] = r
        init[r] = alg.initial_value(s)
    return KernelPlan(FAMILY[fam], hp_arr, rows, init, float(val["lr"]))
