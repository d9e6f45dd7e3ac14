r"""One entry point over the derivation engine: :func:`derive` returns a :class:`Derivation`
(data: labelled SymPy results and the checks they passed), which the CLI and reports render as
text, LaTeX or JSON.  Nothing here is typed in per optimizer; every topic calls the generic
routines of :mod:`optmath.symbolic` on the chosen spec.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ..errors import DomainError, UnknownNameError
from ..optimizers import get_spec

TOPICS = {
    "ema": "closed forms, weights, bias correction, window, half-life, bias-free form of every linear state",
    "expectations": "E and Var of each linear state and its corrected form (i.i.d. Gaussian), drift zeta",
    "limits": "fixed points and limiting step under a constant gradient G > 0",
    "bounds": "Adam's step bounds: sparse case, expected case, exact worst case over streams",
    "quadratic": "iteration matrix on h x^2/2, eigenvalues, stability, regimes",
}
DEFAULT_OPTIMIZER = {"ema": "adam", "expectations": "adam", "limits": "adam", "bounds": "adam",
                     "quadratic": "momentum"}


@dataclass
class Derivation:
    """Labelled results of one derivation topic for one optimizer, with their checks."""

    topic: str
    optimizer: str
    profile: str
    items: list = field(default_factory=list)  # (label, SymPy expression or text)
    checks: dict = field(default_factory=dict)  # name -> bool | None
    notes: list = field(default_factory=list)
    names: dict = field(default_factory=dict)  # code name -> LaTeX (from the spec), for rendering

    @property
    def ok(self) -> bool:
        return all(v is not False for v in self.checks.values())

    def _tex(self, v) -> str:
        """LaTeX of a result with the spec's notation (``lr`` as ``\\eta``, ``b1`` as ``\\beta_1``)."""
        if not isinstance(v, sp.Basic):
            return r"\text{" + str(v) + "}"
        names = {s: self.names[s.name] for s in v.free_symbols if getattr(s, "name", None) in self.names}
        return sp.latex(v, symbol_names=names)

    def as_dict(self) -> dict:
        return {"topic": self.topic, "optimizer": self.optimizer, "profile": self.profile,
                "items": [{"label": k, "value": str(v), "latex": self._tex(v)} for k, v in self.items],
                "checks": self.checks, "ok": self.ok, "notes": self.notes}

    def text(self) -> str:
        lines = [f"{self.topic} for {self.optimizer} ({self.profile})"]
        lines += [f"  {k}: {v}" for k, v in self.items]
        lines += [f"  check {k}: {v}" for k, v in self.checks.items()]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def latex(self) -> str:
        rows = [r"\text{" + k + "} &: " + self._tex(v) for k, v in self.items]
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"

    def _repr_latex_(self) -> str:
        return f"$$\n{self.latex()}\n$$"

    def _repr_markdown_(self) -> str:
        body = "\n".join(f"* **{k}**: ${self._tex(v)}$" for k, v in self.items)
        checks = ", ".join(f"{k}: {'pass' if v else 'FAIL' if v is False else 'n/a'}" for k, v in self.checks.items())
        return f"### {self.topic}: {self.optimizer} ({self.profile})\n\n{body}\n\nChecks: {checks}"


def _linear_states(alg):
    from .ema import linear_recurrence

    out = []
    for v in alg.states:
        try:
            out.append(linear_recurrence(alg, v.name))
        except DomainError:
            continue
    return out


def derive(topic: str, optimizer: str | None = None, profile: str = "paper") -> Derivation:
    """Run one derivation topic (see :data:`TOPICS`) on ``optimizer`` resolved for ``profile``.

    >>> d = derive("ema", "adam")
    >>> d.ok, d.items[2][0]
    (True, 'm: weight sum W_t')
    """
    if topic not in TOPICS:
        raise UnknownNameError("derivation topic", topic, TOPICS)
    name = optimizer or DEFAULT_OPTIMIZER[topic]
    alg = get_spec(name).resolve(profile)
    from ..render import _latex_names

    d = Derivation(topic, name, profile, names={k: v for k, v in _latex_names(alg).items() if k not in ("g", "t")})
    if topic == "ema":
        from .ema import analyse

        recs = _linear_states(alg)
        if not recs:
            raise DomainError(f"{name} ({profile}) has no linear state to analyse")
        for rec in recs:
            f = analyse(alg, rec.state)
            s = rec.state
            d.items += [(f"{s}: recurrence", sp.Eq(sp.Symbol(f"{s}_t"), rec.rhs(sp.Symbol(f"{s}_(t-1)")))),
                        (f"{s}: closed form", f.closed_form), (f"{s}: weight sum W_t", f.weight_sum),
                        (f"{s}: weight of input i", f.weight), (f"{s}: correction factor", f.correction),
                        (f"{s}: effective window", f.window), (f"{s}: mean age", f.mean_age),
                        (f"{s}: half-life", f.half_life), (f"{s}: bias-free update", f.bias_free)]
            d.checks.update({f"{s}: {k}": v for k, v in f.checks.items()})
    elif topic == "expectations":
        from .expectations import drift_moments, iid_moments

        for rec in _linear_states(alg):
            s = rec.state
            if rec.decay.has(sp.Symbol("t", integer=True, positive=True)):
                continue
            try:
                mo = iid_moments(alg, s)
                dm = drift_moments(alg, s)
            except (ValueError, NotImplementedError) as exc:
                d.notes.append(f"{s}: {exc}")
                continue
            d.items += [(f"{s}: E", mo.mean), (f"{s}: Var", mo.variance),
                        (f"{s}: E corrected", mo.corrected_mean),
                        (f"{s}: Var corrected", mo.corrected_variance),
                        (f"{s}: drift zeta_t", dm.zeta), (f"{s}: corrected drift bias limit", dm.corrected_bias_limit)]
            d.checks.update({f"{s}: {k}": v for k, v in {**mo.checks, **dm.checks}.items()})
    elif topic == "limits":
        from .limits import steady_state

        ss = steady_state(alg)
        for k, v in ss.states.items():
            d.items.append((f"fixed point of {k}", v))
        d.items.append(("limiting step", ss.step if ss.step is not None else ss.reason))
        d.notes += ss.notes
        if ss.step is None:
            d.notes.append("no steady state under a constant gradient")
    elif topic == "bounds":
        if name != "adam":
            raise DomainError("the bounds topic is derived for adam")
        from .ema import limit_t_inf
        from .limits import adam_spike_step, adam_worst_case_ratio

        spike = adam_spike_step()
        d.items += [("sparse-stream step / lr", spike), ("its limit", limit_t_inf(spike)),
                    ("sup over streams of step / lr", adam_worst_case_ratio())]
    elif topic == "quadratic":
        from .quadratic import iteration_matrix

        M = iteration_matrix(alg, damp=0) if "damp" in alg.values else iteration_matrix(alg)
        d.items += [("variables", ", ".join(M.variables)), ("iteration matrix", M.matrix),
                    ("trace", M.trace), ("determinant", M.det), ("eigenvalues", sp.FiniteSet(*M.eigenvalues()))]
        d.items += [(f"stability condition {i + 1}", c) for i, c in enumerate(M.stability_conditions())]
        if M.matrix.shape == (2, 2):
            d.items.append(("discriminant T^2 - 4D", M.discriminant()))
    return d
