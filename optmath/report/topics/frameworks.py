"""Framework conventions: every optimizer's profiles (paper, PyTorch, Keras, optax, d2l) as
switch settings, the equivalence verdict of each profile against PyTorch's (or the paper's) from
:func:`optmath.equivalence.equivalence`, and the first Adam step of each profile against the
reference values measured with the frameworks."""
from __future__ import annotations

import numpy as np

from ..common import fnum, table

TITLE = "Framework conventions: PyTorch vs Keras vs optax vs paper"
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "rmsprop_centered", "rmsprop_momentum",
              "adadelta", "adam", "adamw", "amsgrad", "adamax", "nadam", "radam", "yogi", "adabelief", "lion")
PROFILE_ORDER = ("paper", "pytorch", "keras", "optax", "d2l")
# REFERENCES.md section 2: float64, p0 = 0, g = [1e-6, 1e-3, 1, -2] every step, lr = 2^-10,
# default betas; after step 1 (values measured with torch, optax and Keras)
GOLDEN_G = (1e-6, 1e-3, 1.0, -2.0)
GOLDEN = {"pytorch": (-9.668936e-04, -9.765527e-04, -9.765625e-04, 9.765625e-04),
          "optax": (-9.668936e-04, -9.765527e-04, -9.765625e-04, 9.765625e-04),
          "keras": (-2.346221e-04, -9.734841e-04, -9.765594e-04, 9.765610e-04)}


def compute(seed: int) -> dict:
    from ...equivalence import equivalence
    from ...kernels.runner import run
    from ...optimizers import get_spec
    from ...proof import jsonable

    verdicts, switches = [], []
    for name in OPTIMIZERS:
        spec = get_spec(name)
        profiles = [p for p in PROFILE_ORDER if p in spec.profiles]
        base = "pytorch" if "pytorch" in profiles else "paper"
        for p in profiles:
            alg = spec.resolve(p)
            switches.append({"optimizer": name, "profile": p, "switches": dict(alg.switches),
                             "defaults": {h.name: alg.values[h.name] for h in alg.hypers},
                             "source": spec.profiles[p].note})
            if p != base:
                r = equivalence(f"{name}:{base}", f"{name}:{p}", steps=2, seed=seed)
                verdicts.append({"optimizer": name, **jsonable(r.as_dict())})  # with a, b as NAME:PROFILE
    golden = []
    g = np.array([GOLDEN_G])
    for p, ref in GOLDEN.items():
        alg = get_spec("adam").resolve(p, lr=2.0**-10)
        x1 = run(alg, g).xs[1]
        rel = float(np.max(np.abs(x1 - np.array(ref)) / np.abs(np.array(ref))))
        golden.append({"profile": p, "kernel": x1.tolist(), "reference": list(ref), "max_relative_difference": rel})
    return {"notation": [["lr", r"\eta", "learning rate", ""], ["eps", r"\epsilon", "numerical stabiliser", ""],
                         ["b1, b2", r"\beta_1, \beta_2", "decays of the first and second moment", ""],
                         ["mu", r"\mu", "momentum coefficient", ""], ["wd", r"\lambda", "weight decay", ""],
                         ["A, B", "A, B", "the two profiles compared (B's hyperparameters carry a suffix _B)", ""]],
            "verdicts": verdicts, "switches": switches, "golden": golden}


def _verdict_cell(v: dict) -> str:
    kind = v["kind"]
    extra = []
    if v.get("map"):
        extra.append("map " + ", ".join(f"`{k} = {x}`" for k, x in v["map"].items()))
    if v.get("shift"):
        extra.append(f"shift: {v['shift']}")
    if v.get("conditions"):
        extra.append("only when " + "; ".join(f"`{c}`" for c in v["conditions"]))
    if v.get("first_difference"):
        extra.append(f"first differs at step {v['first_difference']}")
    return f"**{kind}**" + (" (" + "; ".join(extra) + ")" if extra else "")


def render(d: dict) -> tuple[str, dict]:
    rows = [[f"`{v['optimizer']}`", v["a"], v["b"], _verdict_cell(v)] for v in d["verdicts"]]
    kinds = {}
    for v in d["verdicts"]:
        kinds[v["kind"]] = kinds.get(v["kind"], 0) + 1
    evidence = []
    for v in d["verdicts"]:
        num = ", ".join(f"{k} = {fnum(x, 3) if isinstance(x, float) else x}" for k, x in (v.get("numeric") or {}).items())
        evidence.append(f"* `{v['optimizer']}` {v['a']} vs {v['b']}: {v['symbolic']}" + (f"; kernels: {num}" if num else ""))
    sw_rows = []
    for s in d["switches"]:
        sw = ", ".join(f"{k}={x}" for k, x in s["switches"].items()) or "-"
        defaults = ", ".join(f"{k}={fnum(x, 4)}" for k, x in s["defaults"].items())
        sw_rows.append([f"`{s['optimizer']}`", s["profile"], sw, defaults])
    g_rows = [[x["profile"], ", ".join(f"{v:.6e}" for v in x["kernel"]), ", ".join(f"{v:.6e}" for v in x["reference"]),
               f"{x['max_relative_difference']:.1e}"] for x in d["golden"]]
    summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    md = f"""## Equivalence verdicts

Each profile is compared with PyTorch's (the paper's where PyTorch has none) by
`optmath equiv NAME:A NAME:B --steps 2`: the iterates of both are written as SymPy expressions of
symbolic gradients and hyperparameters and their difference is simplified. The verdict is one of
**identical**; **shift** (the same iterates, indexed differently); **reparameterisation** (a
map between the hyperparameters makes them identical); **conditional** (identical exactly when the
listed conditions hold); or **different**, with a witness. Every verdict is then checked with the
Numba kernels over 400 steps (the evidence below). The verdicts are for a constant learning
rate; some change under a schedule (`optmath equiv ... --varying-lr`: PyTorch's and Keras's
momentum, for one, agree only for a constant one). Verdicts: {summary}.

{table(['optimizer', 'A', 'B', 'verdict'], rows)}
## The conventions behind them

Switch settings and default hyperparameters of each profile, from the one spec of each optimizer:

{table(['optimizer', 'profile', 'switches', 'defaults'], sw_rows)}
## Adam's first step against the frameworks

Kernel with each profile, float64, $\\theta_0 = 0$, $g = [10^{{-6}}, 10^{{-3}}, 1, -2]$,
$\\eta = 2^{{-10}}$, default betas and eps, against the values measured with torch, optax and Keras
(REFERENCES.md section 2, given to 7 significant digits, so differences up to about 5e-7 are
the rounding of the reference values):

{table(['profile', 'kernel step 1', 'framework step 1', 'largest relative difference'], g_rows)}
The Keras difference at $g = 10^{{-6}}$ is the eps-hat convention: with $\\hat\\epsilon = 10^{{-7}}$
outside $\\sqrt{{v}}$ instead of inside the corrected one, a gradient of $10^{{-6}}$ moves about a
quarter of the learning rate instead of almost all of it.

## Evidence

{chr(10).join(evidence)}
"""
    return md, {}
