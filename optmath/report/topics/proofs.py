"""The proof-suite summary: every claim in ``proofs/`` with its status, its expected status and
the numeric evidence, grouped by topic."""
from __future__ import annotations

from ..common import proofs_markdown, run_proof_group, table

TITLE = "Proof-suite summary"


def compute(seed: int) -> dict:
    proofs = run_proof_group("*")
    return {"notation": [["b1, b2", r"\beta_1, \beta_2", "decays of the first and second moment", ""],
                         ["lr", r"\eta", "learning rate", ""], ["mu", r"\mu", "momentum coefficient", ""],
                         ["h", "h", "curvature of the quadratic model", ""],
                         ["Gamma_t", r"\Gamma_t", r"sqrt(v_t)/lr_t - sqrt(v_{t-1})/lr_{t-1} (Reddi et al.)", ""]],
            "proofs": proofs, "count": len(proofs), "reached": sum(p["ok"] for p in proofs)}


def render(d: dict) -> tuple[str, dict]:
    proofs = d["proofs"]
    statuses = {}
    for p in proofs:
        statuses[p["status"]] = statuses.get(p["status"], 0) + 1
    ok = d["reached"]
    rows = [[f"`{p['name']}`", p["title"], p["status"], p["expected"], p["kind"]] for p in proofs]
    groups = {}
    for p in proofs:
        groups.setdefault(p["name"].split("/")[0], []).append(p)
    details = "\n".join(f"## {g}\n\n{proofs_markdown(ps, '###')}" for g, ps in groups.items())
    md = f"""## Summary

`optmath prove` ran {d['count']} claims from `proofs/`: {ok} reached the status the suite expects
({', '.join(f'{n} {k}' for k, n in sorted(statuses.items()))}). "proved" means the symbolic check
(substitute back, simplify to zero, or exact rationals) and the numeric check (a Numba kernel run
and/or random rational points) both passed; "refuted" means a circulating claim is false and the
counterexample was confirmed both ways.

{table(['claim', 'statement', 'status', 'expected', 'kind'], rows)}
{details}"""
    return md, {}
