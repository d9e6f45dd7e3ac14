r"""Gradient descent, SGD, heavy-ball momentum and Nesterov momentum: one builder.

Switches
--------
``momentum``: ``none`` | ``heavy_ball`` | ``nesterov``.
``form``:
  * ``buffer``   PyTorch/optax/d2l: ``buf <- mu buf + (1 - damp) g``, step ``lr * buf``
    (Nesterov: step ``lr * (g + mu buf)``), lr *outside* the buffer;
  * ``velocity`` Sutskever/Keras: ``v <- mu v - lr g``, ``x <- x + v``, lr *inside*
    (Nesterov: Keras's shifted form ``x <- x + mu v - lr g``);
  * ``lookahead`` Sutskever et al. (2013) Nesterov: the gradient is taken at ``x + mu v``.
``first_step``: ``grad`` (PyTorch: the buffer is set to ``g`` undamped on step 1) |
``zero_init`` (buffer starts at 0 and the ordinary update runs on step 1: optax, d2l).
``weight_decay``: ``none`` | ``l2``.
"""
from __future__ import annotations

from dataclasses import replace

import sympy as sp

from ..errors import DomainError
from ..spec import Hyper, Profile, Program, Spec, StateVar, Switch
from .fragments import LR, MU, WD, A, S, g, lr, t, x, decay_before, weight_decay_switch

DAMP = Hyper("damp", r"\tau", "dampening of the gradient in the buffer", 0.0, 0.0, 1.0)

SWITCHES = (
    Switch("momentum", "kind of momentum", {"none": "plain gradient step",
                                            "heavy_ball": "Polyak heavy-ball momentum",
                                            "nesterov": "Nesterov momentum"}),
    Switch("form", "where lr sits and how momentum is stored", {
        "buffer": "buffer of gradients, lr outside (PyTorch, optax, d2l)",
        "velocity": "velocity with lr inside, x <- x + v (Sutskever, Keras)",
        "lookahead": "Sutskever's Nesterov: gradient at x + mu v"}),
    Switch("first_step", "how the buffer starts", {
        "grad": "buf_1 = g_1 undamped (PyTorch)",
        "zero_init": "buf_0 = 0, ordinary update on step 1 (optax, d2l)"}),
    weight_decay_switch(),
)


def build(sw) -> Program:
    ups = decay_before(sw["weight_decay"])
    kind, form = sw["momentum"], sw["form"]
    mu, damp = S("mu"), S("damp")
    if kind == "none":
        return Program((), tuple(ups + [A("x", x - lr * g, "gradient step")]))
    if form == "buffer":
        buf = S("buf")
        if sw["first_step"] == "grad":
            new = sp.Piecewise((g, sp.Eq(t, 1)), (mu * buf + (1 - damp) * g, True))
        else:
            new = mu * buf + (1 - damp) * g
        ups.append(A("buf", new, "momentum buffer"))
        direction = g + mu * buf if kind == "nesterov" else buf
        ups.append(A("x", x - lr * direction, "step"))
        return Program((StateVar("buf", r"b", "momentum buffer"),), tuple(ups))
    if form == "lookahead" and kind != "nesterov":
        raise DomainError("form 'lookahead' exists only for Nesterov momentum")
    v = S("vel")
    ups.append(A("vel", mu * v - lr * g, "velocity"))
    if kind == "nesterov" and form == "velocity":
        ups.append(A("x", x + mu * v - lr * g, "shifted Nesterov step"))
    else:
        ups.append(A("x", x + v, "step"))
    look = x + mu * v if form == "lookahead" else None
    return Program((StateVar("vel", r"v", "velocity"),), tuple(ups), look)


_PROFILES = {
    "paper": Profile({"form": "velocity", "first_step": "zero_init"}, {"lr": 0.01},
                     "Polyak (1964) heavy ball / Sutskever et al. (2013)"),
    "pytorch": Profile({"form": "buffer", "first_step": "grad", "weight_decay": "l2"},
                       {"lr": 1e-3}, "torch.optim.SGD", "torch/optim/sgd.py"),
    "keras": Profile({"form": "velocity", "first_step": "zero_init"}, {"lr": 0.01},
                     "keras.optimizers.SGD", "keras/src/optimizers/sgd.py"),
    "optax": Profile({"form": "buffer", "first_step": "zero_init"}, {"lr": 0.01},
                     "optax.sgd (trace, then scale_by_learning_rate)", "optax/_src/alias.py"),
    "d2l": Profile({"form": "buffer", "first_step": "zero_init"}, {"lr": 0.01},
                   "d2l.ai chapter 12 from-scratch code"),
}

SGD = Spec(
    "sgd", "Stochastic gradient descent", "sgd",
    (replace(LR, default=0.01), MU, DAMP, WD),
    SWITCHES, _PROFILES, build,
    ("Robbins & Monro (1951)", "Polyak (1964)", "Sutskever et al. (2013)", "Nesterov (1983)"),
    "SGD with optional heavy-ball or Nesterov momentum; the conventions table of the README "
    "lists what each framework does.",
)

GD = SGD.variant("gd", "Gradient descent (full batch, no momentum)", momentum="none")
PLAIN_SGD = SGD.variant("sgd", "Stochastic gradient descent", momentum="none")
MOMENTUM = SGD.variant("momentum", "Heavy-ball momentum", momentum="heavy_ball", implementations={
    "qhm_nu1": Profile({"form": "buffer", "first_step": "zero_init", "weight_decay": "l2"}, {},
                       "QHM with nu = 1 (torch-optimizer 0.3.0, qhoptim 1.1.0): momentum with L2 decay",
                       "torch_optimizer/qhm.py:113, qhoptim/pyt/qhm.py:133")})
NESTEROV = SGD.variant("nesterov", "Nesterov momentum",
                       adjust={"paper": Profile({"form": "lookahead"}, note="Sutskever et al. (2013), eq. (3)-(4)")}, momentum="nesterov")

SPECS = (GD, PLAIN_SGD, MOMENTUM, NESTEROV)
