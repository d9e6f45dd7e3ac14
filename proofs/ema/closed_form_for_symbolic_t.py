r"""For every t, Adam's m_t = sum_{i=1}^t (1-b1) b1^(t-i) g_i and v_t = sum (1-b2) b2^(t-i) g_i^2.

Assumptions
    0 < b1, b2 < 1; m_0 = v_0 = 0; t a positive integer (symbolic).
Derivation
    :func:`optmath.symbolic.ema.analyse` reads the linear recurrence off the Adam spec and
    writes the closed form as a ``Sum`` over i; the weight sum W_t is substituted back into
    W_t = a W_{t-1} + c, the closed form is compared with the explicit expansion of the spec's
    own update for t = 1..5, and the kernel's m_t, v_t on a random stream are compared with the
    closed form evaluated term by term.
Kind
    exact
References
    Kingma & Ba (2014), section 3.
Example
    >>> prove_closed_form_for_symbolic_t().status
    'proved'
"""
from __future__ import annotations

import numpy as np

from optmath import get_spec, run
from optmath.proof import ProofResult, verdict
from optmath.symbolic.ema import analyse

EXPECTED = "proved"


def prove_closed_form_for_symbolic_t() -> ProofResult:
    alg = get_spec("adam").resolve("pytorch")
    forms = {s: analyse(alg, s) for s in ("m", "v")}
    symbolic_ok = all(all(v is not False for v in f.checks.values()) for f in forms.values())
    grads = np.random.default_rng(7).normal(0.3, 1.0, size=(400, 1))
    tr = run(alg, grads, record_states=True)
    T = 400
    k = np.arange(1, T + 1)
    b1, b2 = alg.values["b1"], alg.values["b2"]
    m_closed = np.sum((1 - b1) * b1 ** (T - k) * grads[:, 0])
    v_closed = np.sum((1 - b2) * b2 ** (T - k) * grads[:, 0] ** 2)
    err = max(abs(tr.states["m"][-1, 0] - m_closed) / max(1e-300, abs(m_closed)),
              abs(tr.states["v"][-1, 0] - v_closed) / v_closed)
    return ProofResult(
        claim="m_t = sum (1-b1) b1^(t-i) g_i and v_t = sum (1-b2) b2^(t-i) g_i^2 for symbolic t",
        symbolic=f"closed forms {forms['m'].closed_form} and {forms['v'].closed_form}; checks: "
                 + ", ".join(f"{k}={v}" for k, v in forms["m"].checks.items()),
        numeric=f"kernel (pytorch profile) vs closed form at t = {T}: relative error {err:.1e}",
        status=verdict(symbolic_ok, err < 1e-12), references=("Kingma & Ba (2014), section 3",),
        data={"relative_error": err, "m_checks": forms["m"].checks, "v_checks": forms["v"].checks})


if __name__ == "__main__":
    print(prove_closed_form_for_symbolic_t())
