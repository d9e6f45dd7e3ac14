"""The conformance test matrix: correct implementations and planted bugs, in every target style.

A mutant is a list of (old, new) source replacements applied inside one class or function of a
correct implementation under tests/targets/; each ``old`` must occur exactly once there.  Every
mutant names the bug class (optmath.verify.bugs.CATALOGUE key, or ``other:NAME`` when the code
implements a different optimizer of the registry) that the checker must report.
"""
from __future__ import annotations

import re
from pathlib import Path

TARGETS = Path(__file__).parent / "targets"
FILES = {"torch": "torch_impl.py", "optax": "optax_impl.py", "d2l": "d2l_impl.py", "d2l-numpy": "d2l_numpy_impl.py"}

# optimizer -> style -> (names in the file, profile the correct version must be identified as)
CORRECT = {
    "adam": {"torch": (("Adam",), "pytorch"), "optax": (("adam",), "optax"),
             "d2l": (("adam", "init_adam_states"), "d2l"), "d2l-numpy": (("adam", "init_adam_states"), "d2l")},
    "adamw": {"torch": (("AdamW",), "pytorch"), "optax": (("adamw",), "optax"),
              "d2l": (("adamw", "init_adam_states"), "optax"), "d2l-numpy": (("adamw", "init_adam_states"), "optax")},
    "yogi": {"torch": (("Yogi",), "optax"), "optax": (("yogi",), "optax"),
             "d2l": (("yogi", "init_adam_states"), "d2l"), "d2l-numpy": (("yogi", "init_adam_states"), "d2l")},
    "amsgrad": {"torch": (("AMSGrad",), "pytorch"), "optax": (("amsgrad",), "optax"),
                "d2l": (("amsgrad", "init_amsgrad_states"), "pytorch"),
                "d2l-numpy": (("amsgrad", "init_amsgrad_states"), "pytorch")},
    "rmsprop": {"torch": (("RMSprop",), "pytorch"), "optax": (("rmsprop",), "optax"),
                "d2l": (("rmsprop", "init_rmsprop_states"), "d2l"),
                "d2l-numpy": (("rmsprop", "init_rmsprop_states"), "d2l")},
    "adadelta": {"torch": (("Adadelta",), "pytorch"), "optax": (("adadelta",), "optax"),
                 "d2l": (("adadelta", "init_adadelta_states"), "d2l"),
                 "d2l-numpy": (("adadelta", "init_adadelta_states"), "d2l")},
    "momentum": {"torch": (("Momentum",), "pytorch"), "optax": (("momentum",), "optax"),
                 "d2l": (("sgd_momentum", "init_momentum_states"), "d2l"),
                 "d2l-numpy": (("sgd_momentum", "init_momentum_states"), "d2l")},
    "nesterov": {"torch": (("Nesterov",), "pytorch"), "optax": (("nesterov",), "optax"),
                 "d2l": (("sgd_nesterov", "init_momentum_states"), "d2l"),
                 "d2l-numpy": (("sgd_nesterov", "init_momentum_states"), "d2l")},
}
FRAMEWORK_OWN = [("torch", "TorchAdam", "adam", "pytorch"), ("optax", "optax_adam", "adam", "optax")]

T_LINE = "        self.t += 1\n"
# (optimizer, expected bug class, profile demanded or None, {style: [(old, new), ...]})
MUTANTS = [
    ("adam", "eps_precedence", None, {
        "torch": [('denom = v.sqrt() / math.sqrt(bc2) + group["eps"]\n                p.sub_(group["lr"] / bc1 * m / denom)',
                   'denom = v.sqrt() / math.sqrt(bc2)\n                p.sub_(group["lr"] / bc1 * m / denom + group["eps"])')],
        "optax": [("out.append(-lr * m_hat / (jnp.sqrt(v_hat) + eps))", "out.append(-lr * m_hat / jnp.sqrt(v_hat) + eps)")],
        "d2l": [("v_bias_corr / (torch.sqrt(s_bias_corr) + eps)", "v_bias_corr / torch.sqrt(s_bias_corr) + eps")]}),
    ("adam", "t_never_incremented", None, {
        "torch": [("self.t = 0", "self.t = 1"), (T_LINE, "")],
        "optax": [("AdamState(jnp.zeros([], jnp.int32), jnp", "AdamState(jnp.ones([], jnp.int32), jnp"),
                  ("t = state.count + 1", "t = state.count")],
        "d2l": [("    hyperparams['t'] += 1\n", "")]}),
    ("adam", "t_per_parameter", None, {
        "torch": [(T_LINE, ""), ('            for p in group["params"]:\n', '            for p in group["params"]:\n'
                                 '                self.t += 1\n')],
        "optax": [("t = state.count + 1", "t = state.count"),
                  ("for g, m, v in zip(grads, *state.slots):\n", "for g, m, v in zip(grads, *state.slots):\n"
                                                                 "            t = t + 1\n")],
        "d2l": [("        p.grad.data.zero_()\n    hyperparams['t'] += 1", "        p.grad.data.zero_()\n        hyperparams['t'] += 1")]}),
    ("adam", "t_starts_at_0", None, {
        "torch": [(T_LINE, ""), ('p.sub_(group["lr"] / bc1 * m / denom)', 'p.sub_(group["lr"] / bc1 * m / denom)\n        self.t += 1')],
        "optax": [("t = state.count + 1", "t = state.count"), ("AdamState(t, state.step + 1", "AdamState(t + 1, state.step + 1")],
        "d2l": [("t = hyperparams['t']", "t = hyperparams['t'] - 1")]}),
    ("adam", "t_one_ahead", None, {
        "torch": [("self.t = 0", "self.t = 1")],
        "optax": [("AdamState(jnp.zeros([], jnp.int32), jnp", "AdamState(jnp.ones([], jnp.int32), jnp")],
        "d2l": [("t = hyperparams['t']", "t = hyperparams['t'] + 1")]}),
    ("adam", "first_step_without_one_minus_b", None, {
        "torch": [("                m.mul_(b1).add_((1 - b1) * g)\n                v.mul_(b2).add_((1 - b2) * g * g)\n",
                   "                if self.t == 1:\n                    m.copy_(g)\n                    v.copy_(g * g)\n"
                   "                else:\n                    m.mul_(b1).add_((1 - b1) * g)\n"
                   "                    v.mul_(b2).add_((1 - b2) * g * g)\n")],
        "optax": [("m = b1 * m + (1 - b1) * g\n            v = b2 * v + (1 - b2) * g * g",
                   "m = jnp.where(t == 1, g, b1 * m + (1 - b1) * g)\n"
                   "            v = jnp.where(t == 1, g * g, b2 * v + (1 - b2) * g * g)")],
        "d2l": [("v[:] = beta1 * v + (1 - beta1) * p.grad\n            s[:] = beta2 * s + (1 - beta2) * torch.square(p.grad)",
                 "v[:] = p.grad if t == 1 else beta1 * v + (1 - beta1) * p.grad\n"
                 "            s[:] = torch.square(p.grad) if t == 1 else beta2 * s + (1 - beta2) * torch.square(p.grad)")]}),
    ("adam", "first_update_skipped", None, {  # adan-pytorch 0.1.0's `if step > 0:` (adan.py:62)
        "torch": [("                m.mul_(b1).add_((1 - b1) * g)\n                v.mul_(b2).add_((1 - b2) * g * g)\n",
                   "                if self.t > 1:\n                    m.mul_(b1).add_((1 - b1) * g)\n"
                   "                    v.mul_(b2).add_((1 - b2) * g * g)\n")],
        "optax": [("m = b1 * m + (1 - b1) * g\n            v = b2 * v + (1 - b2) * g * g",
                   "m = jnp.where(t == 1, m, b1 * m + (1 - b1) * g)\n"
                   "            v = jnp.where(t == 1, v, b2 * v + (1 - b2) * g * g)")],
        "d2l": [("v[:] = beta1 * v + (1 - beta1) * p.grad\n            s[:] = beta2 * s + (1 - beta2) * torch.square(p.grad)",
                 "v[:] = v if t == 1 else beta1 * v + (1 - beta1) * p.grad\n"
                 "            s[:] = s if t == 1 else beta2 * s + (1 - beta2) * torch.square(p.grad)")]}),
    ("adam", "exponent_minus_one", None, {
        "torch": [("bc2 = 1 - b2 ** self.t", "bc2 = 1 - b2 ** (self.t - 1)")],
        "optax": [("v_hat = v / (1 - b2 ** t)", "v_hat = v / (1 - b2 ** (t - 1))")],
        "d2l": [("s_bias_corr = s / (1 - beta2 ** t)", "s_bias_corr = s / (1 - beta2 ** (t - 1))")]}),
    ("adam", "sqrt_one_minus_bc2", None, {
        "torch": [("math.sqrt(bc2)", "math.sqrt(1 - bc2)")],
        "optax": [("v_hat = v / (1 - b2 ** t)", "v_hat = v / (b2 ** t)")],
        "d2l": [("s_bias_corr = s / (1 - beta2 ** t)", "s_bias_corr = s / (beta2 ** t)")]}),
    ("adam", "cumulative_correction", None, {
        "torch": [('p.sub_(group["lr"] / bc1 * m / denom)', 'm.div_(bc1)\n                p.sub_(group["lr"] * m / denom)')],
        "optax": [("m_hat = m / (1 - b1 ** t)", "m = m / (1 - b1 ** t)\n            m_hat = m")],
        "d2l": [("v_bias_corr = v / (1 - beta1 ** t)", "v[:] = v / (1 - beta1 ** t)\n            v_bias_corr = v")]}),
    ("adamw", "wd_on_updated", None, {
        "torch": [("                p.mul_(1 - lr * wd)\n", ""),
                  ('p.add_(-lr * m_hat / (v_hat.sqrt() + group["eps"]))',
                   'p.add_(-lr * m_hat / (v_hat.sqrt() + group["eps"]))\n                p.mul_(1 - lr * wd)')],
        "optax": [("out.append(-lr * (u + weight_decay * p))", "out.append(-lr * u - lr * weight_decay * (p - lr * u))")],
        "d2l": [("            p[:] -= lr * wd * p\n", ""),
                ("(torch.sqrt(s / (1 - beta2 ** t)) + eps)", "(torch.sqrt(s / (1 - beta2 ** t)) + eps)\n            p[:] -= lr * wd * p")]}),
    ("yogi", "square_missing", None, {
        "torch": [("g2 = g * g", "g2 = g")], "optax": [("g2 = g * g", "g2 = g")],
        "d2l": [("g2 = torch.square(p.grad)", "g2 = p.grad")]}),
    ("yogi", "sign_reversed", None, {
        "torch": [("torch.sign(v - g2)", "torch.sign(g2 - v)")], "optax": [("jnp.sign(v - g2)", "jnp.sign(g2 - v)")],
        "d2l": [("torch.sign(g2 - s)", "torch.sign(s - g2)")]}),
    ("amsgrad", "missing_one_minus_b", None, {
        "torch": [('state["v"].mul_(b2).add_((1 - b2) * g * g)', 'state["v"].mul_(b2).add_(g * g)')],
        "optax": [("v = b2 * v + (1 - b2) * g * g", "v = b2 * v + g * g")],
        "d2l": [("v[:] = beta2 * v + (1 - beta2) * torch.square(p.grad)", "v[:] = beta2 * v + torch.square(p.grad)")]}),
    ("rmsprop", "square_missing", None, {
        "torch": [("s.mul_(alpha).add_((1 - alpha) * g * g)", "s.mul_(alpha).add_((1 - alpha) * g)")],
        "optax": [("s = decay * s + (1 - decay) * g * g", "s = decay * s + (1 - decay) * g")],
        "d2l": [("(1 - gamma) * torch.square(p.grad)", "(1 - gamma) * p.grad")]}),
    ("rmsprop", "eps_precedence", None, {
        "torch": [("p.sub_(lr * g / (s.sqrt() + eps))", "p.sub_(lr * g / s.sqrt() + eps)")],
        "optax": [("out.append(-lr * g / jnp.sqrt(s + eps))", "out.append(-lr * g / jnp.sqrt(s) + eps)")],
        "d2l": [("p.grad / torch.sqrt(s + eps)", "p.grad / torch.sqrt(s) + eps")]}),
    ("adadelta", "missing_one_minus_b", None, {
        "torch": [("u.mul_(rho).add_((1 - rho) * delta * delta)", "u.mul_(rho).add_(delta * delta)")],
        "optax": [("u = rho * u + (1 - rho) * delta * delta", "u = rho * u + delta * delta")],
        "d2l": [("delta[:] = rho * delta + (1 - rho) * g * g", "delta[:] = rho * delta + g * g")]}),
    ("momentum", "lr_in_buffer", "style", {
        "torch": [('state["buf"] = g.clone()', 'state["buf"] = lr * g'),
                  ('add_((1 - group["dampening"]) * g)', 'add_(lr * (1 - group["dampening"]) * g)'),
                  ('p.sub_(lr * state["buf"])', 'p.sub_(state["buf"])')],
        "optax": [("buf = momentum * buf + g", "buf = momentum * buf + lr * g"), ("out.append(-lr * buf)", "out.append(-buf)")],
        "d2l": [("v[:] = hyperparams['momentum'] * v + p.grad\n            p[:] -= hyperparams['lr'] * v",
                 "v[:] = hyperparams['momentum'] * v + hyperparams['lr'] * p.grad\n            p[:] -= v")]}),
    ("nesterov", "lr_in_buffer", "style", {
        "torch": [('state["buf"] = p.grad.clone()', 'state["buf"] = lr * p.grad'),
                  ('state["buf"].mul_(mu).add_(p.grad)', 'state["buf"].mul_(mu).add_(lr * p.grad)'),
                  ('direction = p.grad + mu * state["buf"]\n                p.sub_(lr * direction)',
                   'p.sub_(lr * p.grad + mu * state["buf"])')],
        "optax": [("buf = momentum * buf + g", "buf = momentum * buf + lr * g"),
                  ("out.append(-lr * (g + momentum * buf))", "out.append(-(lr * g + momentum * buf))")],
        "d2l": [("v[:] = hyperparams['momentum'] * v + p.grad", "v[:] = hyperparams['momentum'] * v + hyperparams['lr'] * p.grad"),
                ("p[:] -= hyperparams['lr'] * (p.grad + hyperparams['momentum'] * v)",
                 "p[:] -= hyperparams['lr'] * p.grad + hyperparams['momentum'] * v")]}),
    ("nesterov", "other:momentum", None, {
        "torch": [('direction = p.grad + mu * state["buf"]', 'direction = state["buf"]')],
        "optax": [("out.append(-lr * (g + momentum * buf))", "out.append(-lr * buf)")],
        "d2l": [("p[:] -= hyperparams['lr'] * (p.grad + hyperparams['momentum'] * v)", "p[:] -= hyperparams['lr'] * v")]}),
    # classes from the frameworks' trackers and docs: eps moved into the root, a lazy sparse update
    # (TF-Addons LazyAdam, MXNet lazy_update), decay applied twice (L2 regulariser plus AdamW)
    ("adam", "eps_root_moved", None, {
        "torch": [('denom = v.sqrt() / math.sqrt(bc2) + group["eps"]', 'denom = (v / bc2 + group["eps"]).sqrt()')]}),
    ("adam", "lazy_sparse", None, {
        "torch": [("m.mul_(b1).add_((1 - b1) * g)", "m.copy_(torch.where(p.grad != 0, b1 * m + (1 - b1) * g, m))"),
                  ("v.mul_(b2).add_((1 - b2) * g * g)", "v.copy_(torch.where(p.grad != 0, b2 * v + (1 - b2) * g * g, v))"),
                  ('p.sub_(group["lr"] / bc1 * m / denom)',
                   'p.sub_(torch.where(p.grad != 0, group["lr"] / bc1 * m / denom, torch.zeros_like(p)))')]}),
    ("adamw", "wd_twice", None, {
        "torch": [("                p.mul_(1 - lr * wd)\n", "                g = p.grad + wd * p\n                p.mul_(1 - lr * wd)\n"),
                  ('state["m"].lerp_(p.grad, 1 - b1)', 'state["m"].lerp_(g, 1 - b1)'),
                  ('state["v"].mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)',
                   'state["v"].mul_(b2).addcmul_(g, g, value=1 - b2)')]}),
]
STYLE_PROFILE = {"torch": "pytorch", "optax": "optax", "d2l": "d2l"}


def block(source: str, name: str) -> tuple[int, int]:
    """Start and end offsets of the top-level class or function ``name`` in ``source``."""
    m = re.search(rf"^(class|def) {re.escape(name)}\b", source, re.M)
    assert m, name
    nxt = re.compile(r"^(class|def|[A-Za-z_]\w* = )", re.M).search(source, m.end())
    return m.start(), (nxt.start() if nxt else len(source))


def mutate(style: str, optimizer: str, replacements) -> str:
    """The source of ``style``'s implementation file with ``replacements`` applied in the step code."""
    source = (TARGETS / FILES[style]).read_text()
    name = CORRECT[optimizer][style][0][0]
    lo, hi = block(source, name)
    body = source[lo:hi]
    for old, new in replacements:
        assert body.count(old) == 1, f"{style}/{optimizer}: {old!r} occurs {body.count(old)} times"
        body = body.replace(old, new)
    return source[:lo] + body + source[hi:]


def mutant_cases():
    for opt, bug, profile, per_style in MUTANTS:
        for style, reps in per_style.items():
            prof = STYLE_PROFILE[style] if profile == "style" else profile
            yield (f"{style}-{opt}-{bug}", style, opt, bug, prof, reps)


def correct_cases():
    for opt, per_style in CORRECT.items():
        for style, (names, profile) in per_style.items():
            yield (f"{style}-{opt}", style, opt, names, profile)


# --- the default tier's covering sample ------------------------------------------------------------
# The whole matrix (32 correct cases, 51 mutants: about 5 minutes of checks on two cores) runs under
# ``pytest -m slow``.  The default run checks a fixed sample that still covers every optimizer, every
# style and every bug class: the i-th optimizer of CORRECT in the (i mod 4)-th style, the i-th mutant
# of MUTANTS in the (i mod 3)-th of its styles (tests/test_conformance.py checks the coverage).
def default_correct_ids() -> set[str]:
    out = set()
    for i, (opt, per_style) in enumerate(CORRECT.items()):
        styles = list(per_style)
        out.add(f"{styles[i % len(styles)]}-{opt}")
    return out


def default_mutant_ids() -> set[str]:
    out = set()
    for i, (opt, bug, _profile, per_style) in enumerate(MUTANTS):
        styles = list(per_style)
        out.add(f"{styles[i % len(styles)]}-{opt}-{bug}")
    return out


def tiered(cases, default_ids: set[str]) -> list:
    """``cases`` as pytest params: those in ``default_ids`` in the default run, the rest ``slow``."""
    import pytest

    return [pytest.param(*c, id=c[0], marks=() if c[0] in default_ids else pytest.mark.slow) for c in cases]
