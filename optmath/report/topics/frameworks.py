"""Framework conventions: every optimizer's profiles (paper, PyTorch, Keras, optax, d2l) as
switch settings, the equivalence verdict of each profile against PyTorch's (or the paper's) from
:func:`optmath.equivalence.equivalence`, and the first Adam step of each profile against the
reference values measured with the frameworks."""
from __future__ import annotations

import numpy as np

from ..common import fnum, table, tex_num
from ..prose import compare

TITLE = "Framework conventions: PyTorch vs Keras vs optax vs paper"
PROFILE_ORDER = ("paper", "pytorch", "keras", "optax", "d2l")  # then a spec's other profiles, in its order


def profile_order(spec) -> list[str]:
    """``spec``'s profiles: the frameworks' in ``PROFILE_ORDER``, then the others (authors', packages')."""
    return [p for p in PROFILE_ORDER if p in spec.profiles] + [p for p in spec.profiles if p not in PROFILE_ORDER]


def _optimizers() -> tuple[str, ...]:
    """Every registered optimizer whose profiles can be compared coordinate-wise (AdamP's
    projection reads the whole tensor), in registry order: a new spec file appears here by itself."""
    from ...optimizers import REGISTRY

    out = []
    for name, spec in REGISTRY.items():
        alg = spec.resolve("paper" if "paper" in spec.profiles else next(iter(spec.profiles)))
        if "d" not in alg.free_names() and len(spec.profiles) > 1:
            out.append(name)
    return tuple(out)


OPTIMIZERS = _optimizers()
# REFERENCES.md section 2: float64, p0 = 0, g = [1e-6, 1e-3, 1, -2] every step, lr = 2^-10,
# default betas; after step 1 (values measured with torch, optax and Keras)
GOLDEN_G = (1e-6, 1e-3, 1.0, -2.0)
GOLDEN = {"pytorch": (-9.668936e-04, -9.765527e-04, -9.765625e-04, 9.765625e-04),
          "optax": (-9.668936e-04, -9.765527e-04, -9.765625e-04, 9.765625e-04),
          "keras": (-2.346221e-04, -9.734841e-04, -9.765594e-04, 9.765610e-04)}
GOLDEN_LR_LOG2 = -10  # lr = 2^-10, exact in float32
GOLDEN_DIGITS = 7  # the reference values are given to 7 significant digits
EQUIV_STEPS = 2  # symbolic steps of each equivalence
# The reviewed table of inputs (OPTIMIZERS, PROFILE_ORDER and GOLDEN above are inputs too).
INPUTS = {"golden_g": GOLDEN_G, "golden_lr_log2": GOLDEN_LR_LOG2, "golden_digits": GOLDEN_DIGITS,
          "golden": GOLDEN, "equiv_steps": EQUIV_STEPS}


def compute(seed: int) -> dict:
    from ...kernels.runner import run
    from ...verify.equivalence import HP_DPS, SHIPPED_STEPS, check_streams, equivalence
    from ...optimizers import get_spec
    from ...proof import jsonable

    verdicts, switches = [], []
    for name in OPTIMIZERS:
        spec = get_spec(name)
        profiles = profile_order(spec)
        base = "pytorch" if "pytorch" in profiles else "paper"
        for p in profiles:
            alg = spec.resolve(p)
            switches.append({"optimizer": name, "profile": p, "switches": dict(alg.switches),
                             "defaults": {h.name: alg.values[h.name] for h in alg.hypers},
                             "source": spec.profiles[p].note})
            if p != base:
                r = equivalence(f"{name}:{base}", f"{name}:{p}", steps=EQUIV_STEPS, seed=seed)
                verdicts.append({"optimizer": name, **jsonable(r.as_dict())})  # with a, b as NAME:PROFILE
    golden = []
    g = np.array([GOLDEN_G])
    for p, ref in GOLDEN.items():
        alg = get_spec("adam").resolve(p, lr=2.0**GOLDEN_LR_LOG2)
        x1 = run(alg, g).xs[1]
        rel = float(np.max(np.abs(x1 - np.array(ref)) / np.abs(np.array(ref))))
        golden.append({"profile": p, "kernel": x1.tolist(), "reference": list(ref), "max_relative_difference": rel})
    # Keras's small step at the smallest gradient, taken apart: the eps-hat form and the larger
    # default eps, each alone and together (step 1 / lr, kernel runs)
    lr = 2.0**GOLDEN_LR_LOG2
    eps = {p: get_spec("adam").resolve(p).values["eps"] for p in ("pytorch", "keras")}
    g0 = np.array([[GOLDEN_G[0]]])

    def step1(profile, e):
        return float(abs(run(get_spec("adam").resolve(profile, lr=lr, eps=e), g0).xs[1, 0]) / lr)

    keras_parts = {"g": GOLDEN_G[0], "eps_pytorch": eps["pytorch"], "eps_keras": eps["keras"],
                   "pytorch": step1("pytorch", eps["pytorch"]), "keras": step1("keras", eps["keras"]),
                   "eps_hat_alone": step1("keras", eps["pytorch"]), "larger_eps_alone": step1("pytorch", eps["keras"])}
    return {"notation": [["lr", r"\eta", "learning rate", ""], ["eps", r"\epsilon", "numerical stabiliser", ""],
                         ["b1, b2", r"\beta_1, \beta_2", "decays of the first and second moment", ""],
                         ["mu", r"\mu", "momentum coefficient", ""], ["wd", r"\lambda", "weight decay", ""],
                         ["A, B", "A, B", "the two profiles compared (B's hyperparameters carry a suffix _B)", ""]],
            "verdicts": verdicts, "switches": switches, "golden": golden, "keras_parts": keras_parts,
            "verdict_counts": {k: sum(v["kind"] == k for v in verdicts) for k in sorted({v["kind"] for v in verdicts})},
            "witness_counts": _witness_counts(verdicts),
            "shipped_counts": {k: sum(v["shipped"]["kind"] == k for v in verdicts)
                               for k in sorted({v["shipped"]["kind"] for v in verdicts})},
            "settings": {"equiv_steps": EQUIV_STEPS, "check_steps": _check_steps(), "golden_g": list(GOLDEN_G),
                         "shipped_steps": SHIPPED_STEPS, "hp_dps": HP_DPS, "streams": int(check_streams(1).shape[1]),
                         "golden_lr_log2": GOLDEN_LR_LOG2, "golden_digits": GOLDEN_DIGITS,
                         "golden_rounding": 0.5 * 10.0 ** (1 - GOLDEN_DIGITS)}}


def _witness_counts(verdicts) -> dict:
    needing = [v for v in verdicts if v["kind"] in ("conditional", "different")]
    with_w = [v for v in needing if v.get("witness")]
    return {"needing": len(needing), "with_witness": len(with_w),
            "exact": sum(bool(v["witness"].get("exact")) for v in with_w)}


def _check_steps() -> int:
    """The kernel steps :func:`optmath.equivalence.equivalence` checks each verdict over (its default)."""
    import inspect

    from ...verify.equivalence import equivalence

    return int(inspect.signature(equivalence).parameters["check_steps"].default)


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
    if v.get("except_where"):
        extra.append("except where " + " or ".join(f"`{c}`" for c in v["except_where"]))
    if v.get("assumptions"):
        extra.append("assumes " + ", ".join(v["assumptions"]))
    return f"**{kind}**" + (" (" + "; ".join(extra) + ")" if extra else "")


def _shipped_cell(v: dict) -> str:
    s = v.get("shipped") or {}
    if not s:
        return "-"
    if s["kind"] == "different":
        return f"**different** from step {s['constant_lr']['first_difference']}"
    if s["kind"] == "conditional":
        return "**identical** only with a constant lr"
    return f"**{s['kind']}**"


def _keras_sentence(k: dict) -> str:
    """Why Keras's first step is small at the smallest gradient, from the four kernel runs."""
    ratio = k["eps_keras"] / k["eps_pytorch"]
    both = k["keras"] < min(k["eps_hat_alone"], k["larger_eps_alone"])
    return (f"At $g = {tex_num(k['g'])}$ PyTorch's first step is {fnum(k['pytorch'], 3)} of the learning rate and Keras's "
            f"{fnum(k['keras'], 3)}. Two conventions differ there, and the kernel takes them apart: Keras's eps-hat form "
            f"(eps added to $\\sqrt{{v}}$ before the correction by $\\sqrt{{1-\\beta_2^t}}$, so it weighs "
            f"$1/\\sqrt{{1-\\beta_2^t}}$ times more) with PyTorch's eps ${tex_num(k['eps_pytorch'])}$ gives "
            f"{fnum(k['eps_hat_alone'], 3)}; PyTorch's form with Keras's {fnum(ratio, 3)} times larger default eps "
            f"${tex_num(k['eps_keras'])}$ gives {fnum(k['larger_eps_alone'], 3)}; both together give "
            f"{fnum(k['keras'], 3)}, which {compare(k['keras'], min(k['eps_hat_alone'], k['larger_eps_alone']))} "
            "either alone" + (": the small step is eps-hat together with the larger eps." if both else "."))


def render(d: dict) -> tuple[str, dict]:
    rows = [[f"`{v['optimizer']}`", v["a"], v["b"], _shipped_cell(v), _verdict_cell(v)] for v in d["verdicts"]]
    kinds = d["verdict_counts"]
    shipped_kinds = d["shipped_counts"]
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
    shipped_summary = ", ".join(f"{n} {k}" for k, n in sorted(shipped_kinds.items()))
    st = d["settings"]
    const_lr = [f"{v['a']} vs {v['b']}" for v in d["verdicts"] if "constant lr" in (v.get("assumptions") or [])]
    wc = d["witness_counts"]
    md = f"""## Equivalence verdicts

Each profile is compared with PyTorch's (the paper's where PyTorch has none) by
`optmath equiv NAME:A NAME:B --steps {st['equiv_steps']}`, which answers two questions.

**As shipped**: each profile with its own default hyperparameters, rules and thresholds, the same
learning rate given to both, under a constant and under a changing learning rate ($\\eta_k = \\eta/k$).
Both are unrolled symbolically for {st['equiv_steps']} steps (gradients, $x_0$ and the learning rate symbolic,
every other value exact) and replayed at {st['hp_dps']} digits over {st['shipped_steps']} steps on
{st['streams']} random and adversarial streams; a difference comes with its first step and an exact witness.
Verdicts as shipped: {shipped_summary}.

**Update rules** with shared hyperparameters: the iterates of both are written as SymPy expressions of
symbolic gradients and hyperparameters and their difference is evaluated at random rational points
({st['hp_dps']} digits). The verdict is one of **identical**; **shift** (the same iterates, indexed differently);
**reparameterisation** (a map between the hyperparameters makes them identical); **conditional**
(identical exactly when the listed conditions hold); **different**; or **inconclusive** (the symbolic
verdict and its numeric check disagree: {kinds.get('inconclusive', 0)} here). Of the {wc['needing']} conditional and
different verdicts, {wc['with_witness']} carry their first differing step and a witness stream ({wc['exact']} with exact
values, the others from the {st['hp_dps']}-digit replay). Every claim of a verdict (agree
with the map or under the conditions, differ where they fail) is checked with the Numba kernels over
{st['check_steps']:,} steps on the same {st['streams']} streams, with a {st['hp_dps']}-digit replay where the kernels'
difference is too small to decide (the evidence below). A verdict that holds only for a constant
learning rate says so: {'; '.join(const_lr) if const_lr else 'none'}. Verdicts on the update rules: {summary}.

{table(['optimizer', 'A', 'B', 'as shipped', 'update rules'], rows)}
## The conventions behind them

Switch settings and default hyperparameters of each profile, from the one spec of each optimizer:

{table(['optimizer', 'profile', 'switches', 'defaults'], sw_rows)}
## Adam's first step against the frameworks

Kernel with each profile, float64, $\\theta_0 = 0$, $g = [{', '.join(tex_num(x) for x in st['golden_g'])}]$,
$\\eta = 2^{{{st['golden_lr_log2']}}}$, default betas and eps, against the values measured with torch, optax and Keras
(REFERENCES.md section 2, given to {st['golden_digits']} significant digits, so differences up to about {fnum(st['golden_rounding'])} are
the rounding of the reference values):

{table(['profile', 'kernel step 1', 'framework step 1', 'largest relative difference'], g_rows)}
{_keras_sentence(d['keras_parts'])}

## Evidence

{chr(10).join(evidence)}
"""
    return md, {}
