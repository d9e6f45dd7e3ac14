r"""RMSProp (Tieleman & Hinton 2012), plain, centered, with momentum, with Nesterov momentum.

Switches
--------
``centered``: ``no`` | ``yes`` (Graves 2013: divide by the running standard deviation).
``momentum``: ``none`` | ``heavy_ball`` | ``nesterov``.
``lr_placement``: ``outside_buffer`` (PyTorch: ``buf <- mu buf + g/rms``, ``x -= lr buf``) |
``inside_buffer`` (optax, Keras: ``buf <- mu buf + lr g/rms``, ``x -= buf``); equal for a
constant lr.
``eps_placement``: ``outside`` (PyTorch: ``sqrt(s) + eps``) | ``inside`` (optax, Keras,
d2l: ``sqrt(s + eps)``).
"""
from __future__ import annotations

from dataclasses import replace

import sympy as sp

from ..spec import Hyper, Profile, Program, Spec, StateVar, Switch
from .fragments import EPS, LR, MU, WD, A, S, ema, g, lr, x, decay_before, weight_decay_switch

ALPHA = Hyper("alpha", r"\gamma", "decay of the squared-gradient average", 0.99, 0.0, 1.0, hi_open=True)
S0 = Hyper("s0", r"s_0", "initial value of the squared-gradient average", 0.0, 0.0, None)

SWITCHES = (
    Switch("centered", "divide by the centred second moment", {"no": "sqrt(s)", "yes": "sqrt(s - a^2)"}),
    Switch("momentum", "momentum on the preconditioned step",
           {"none": "none", "heavy_ball": "heavy ball", "nesterov": "Nesterov (optax trace)"}),
    Switch("lr_placement", "lr outside or inside the momentum buffer",
           {"outside_buffer": "x -= lr buf (PyTorch)", "inside_buffer": "buf holds lr-scaled steps"}),
    Switch("eps_placement", "where eps enters", {"outside": "sqrt(.) + eps", "inside": "sqrt(. + eps)"}),
    weight_decay_switch(),
)


def build(sw) -> Program:
    s, a, buf, eps, mu = S("s"), S("a"), S("buf"), S("eps"), S("mu")
    ups = decay_before(sw["weight_decay"])
    ups += ema("s", "alpha", g**2, note="squared-gradient average")
    states = [StateVar("s", "s", "average of squared gradients", S("s0"))]
    var = s
    if sw["centered"] == "yes":
        ups += ema("a", "alpha", g, note="gradient average")
        states.append(StateVar("a", "a", "average of gradients"))
        var = s - a**2
    # (s - a^2) + eps is ill-conditioned for a near-constant gradient: keep the frameworks'
    # order of evaluation (unevaluated Add) so that the printed reference rounds like them.
    inside = sp.Add(var, eps, evaluate=False)
    rms = sp.sqrt(var) + eps if sw["eps_placement"] == "outside" else sp.sqrt(inside)
    if sw["momentum"] == "none":
        ups.append(A("x", x - lr * g / rms, "step"))
        return Program(tuple(states), tuple(ups))
    states.append(StateVar("buf", "b", "momentum buffer"))
    scale = 1 if sw["lr_placement"] == "outside_buffer" else lr
    ups.append(A("buf", mu * buf + scale * g / rms, "momentum buffer"))
    direction = buf if sw["momentum"] == "heavy_ball" else mu * buf + scale * g / rms
    outer = lr if sw["lr_placement"] == "outside_buffer" else 1
    ups.append(A("x", x - outer * direction, "step"))
    return Program(tuple(states), tuple(ups))


RMSPROP = Spec(
    "rmsprop", "RMSProp", "rmsprop",
    (replace(LR, default=0.01), ALPHA, replace(EPS, default=1e-8), replace(MU, default=0.0), S0, WD),
    SWITCHES,
    {
        "paper": Profile({"eps_placement": "inside", "lr_placement": "outside_buffer"},
                         {"alpha": 0.9, "lr": 1e-3}, "Tieleman & Hinton (2012), lecture 6e"),
        "pytorch": Profile({"eps_placement": "outside", "lr_placement": "outside_buffer",
                            "weight_decay": "l2"}, {}, "torch.optim.RMSprop"),
        "keras": Profile({"eps_placement": "inside", "lr_placement": "inside_buffer"},
                         {"lr": 1e-3, "alpha": 0.9, "eps": 1e-7}, "keras.optimizers.RMSprop"),
        "optax": Profile({"eps_placement": "inside", "lr_placement": "inside_buffer"},
                         {"alpha": 0.9, "eps": 1e-8}, "optax.rmsprop (decay 0.9, eps_in_sqrt)"),
        "d2l": Profile({"eps_placement": "inside"}, {"alpha": 0.9, "eps": 1e-6}, "d2l.ai 12.8"),
    },
    build, ("Tieleman & Hinton (2012)", "Graves (2013) for the centred form"),
)
RMSPROP_PLAIN = RMSPROP.variant("rmsprop", "RMSProp", centered="no", momentum="none")
RMSPROP_CENTERED = RMSPROP.variant("rmsprop_centered", "Centred RMSProp", centered="yes", momentum="none")
RMSPROP_MOMENTUM = RMSPROP.variant("rmsprop_momentum", "RMSProp with momentum", momentum="heavy_ball")
RMSPROP_NESTEROV = RMSPROP.variant("rmsprop_nesterov", "RMSProp with Nesterov momentum",
                                   adjust={"pytorch": None, "keras": None, "d2l": None}, momentum="nesterov")
SPECS = (RMSPROP_PLAIN, RMSPROP_CENTERED, RMSPROP_MOMENTUM, RMSPROP_NESTEROV)
