r"""Renderings of a resolved algorithm: LaTeX algorithm block, plain text, notation table.

Code names are ASCII (``lr``, ``b1``, ``m``, ``v``); Greek letters appear only here.  Every
rendering carries its notation, since d2l's ``v`` is the first moment while PyTorch's ``v`` is
the second.
"""
from __future__ import annotations

import sympy as sp

from .spec import DOC_CONTEXT, LATEX_CONTEXT, Algorithm, sym


def _latex_names(alg: Algorithm) -> dict:
    names = dict(LATEX_CONTEXT)
    names.update({h.name: h.latex for h in alg.spec.hypers})
    names.update({s.name: s.latex for s in alg.states})
    names.update({"mhat": r"\hat m", "vhat": r"\hat v", "mu_t": r"\mu_t", "mu_next": r"\mu_{t+1}",
                  "rho_t": r"\rho_t", "den": "D", "delta": r"\delta_t", "c": "c", "q": "q",
                  "proj": r"\pi"})
    return names


def _to_latex(expr, names) -> str:
    expr = sp.sympify(expr)
    subs = {sym(n): sp.Symbol(tex) for n, tex in names.items()}
    return sp.latex(expr.subs(subs, simultaneous=True), mul_symbol=None)


def _timed(name, names, done) -> str:
    """``m_t`` once ``m`` was assigned in this step, ``m_{t-1}`` before."""
    tex = names.get(name, name)
    return f"{tex}_{{t}}" if name in done else f"{tex}_{{t-1}}"


def _step_latex(expr, names, timed, done) -> str:
    local = dict(names)
    for n in timed:
        local[n] = _timed(n, names, done)
    return _to_latex(expr, local)


def algorithm_latex(alg: Algorithm) -> str:
    """An algorithm block: input, initialise, for each step, return (GitHub/MathJax math)."""
    names = _latex_names(alg)
    timed = {s.name for s in alg.states} | {"x"}
    hyp = ", ".join(f"{h.latex} = {alg.values[h.name]:g}" for h in alg.hypers)
    lines = [r"\begin{array}{l}",
             rf"\textbf{{{alg.spec.title}}}\ \text{{({alg.profile} profile)}}\\",
             rf"\textbf{{input: }} \theta_0,\ {hyp}\\" if hyp else r"\textbf{input: } \theta_0\\"]
    init = ", ".join(f"{names[s.name]}_0 = {_to_latex(s.init, names)}" for s in alg.states)
    if init:
        lines.append(rf"\textbf{{initialise: }} {init}\\")
    lines.append(r"\textbf{for } t = 1, 2, \dots\ \textbf{do}\\")
    look = alg.program.lookahead
    at = _step_latex(look, names, timed, set()) if look is not None else r"\theta_{t-1}"
    lines.append(rf"\quad g_t \leftarrow \nabla f_t({at})\\")
    done: set = set()
    names["g"] = "g_{t}"
    for a in alg.updates:
        rhs = _step_latex(a.expr, names, timed, done)
        if a.target in timed:
            done.add(a.target)
        lhs = _timed(a.target, names, done) if a.target in timed else names.get(a.target, a.target)
        lines.append(rf"\quad {lhs} \leftarrow {rhs}\quad \text{{{a.note}}}\\")
    lines.append(r"\textbf{return } \theta_t")
    lines.append(r"\end{array}")
    return "\n".join(lines)


def algorithm_text(alg: Algorithm) -> str:
    """A plain-text form for terminals."""
    out = [f"{alg.spec.title} [{alg.spec.name}, profile {alg.profile}]"]
    note = alg.spec.profiles[alg.profile].note
    if note:
        out.append(f"  source: {note}")
    out.append("  input: x0, " + ", ".join(f"{h.name}={alg.values[h.name]:g}" for h in alg.hypers))
    if alg.states:
        out.append("  init:  " + ", ".join(f"{s.name}0 = {sp.sstr(s.init)}" for s in alg.states))
    out.append("  switches: " + ", ".join(f"{k}={v}" for k, v in alg.switches.items()) if alg.switches else "  switches: none")
    out.append("  for t = 1, 2, ...:")
    look = alg.program.lookahead
    out.append(f"    g = grad f_t({sp.sstr(look) if look is not None else 'x'})")
    for a in alg.updates:
        out.append(f"    {a.target} <- {sp.sstr(a.expr)}" + (f"    # {a.note}" if a.note else ""))
    return "\n".join(out)


def notation_rows(alg: Algorithm) -> list[tuple[str, str, str, str]]:
    """Rows ``(code name, LaTeX, meaning, value or initial value)`` for every symbol used."""
    used = alg.free_names() | {a.target for a in alg.updates}
    rows = [(n, LATEX_CONTEXT[n], DOC_CONTEXT[n], "") for n in ("x", "g", "t") if n in used or n in ("x", "g")]
    rows += [(h.name, h.latex, h.doc, f"{alg.values[h.name]:g}") for h in alg.hypers]
    rows += [(s.name, s.latex, s.doc, f"initial {sp.sstr(s.init)}") for s in alg.states]
    rows += [(n, _latex_names(alg).get(n, n), doc, "temporary") for n, doc in alg.program.temporaries.items()]
    return rows
