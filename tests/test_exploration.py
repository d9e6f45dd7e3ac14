"""Bounded free exploration in the default run: the kernel-vs-spec property on fresh examples.

The deterministic profile runs the same examples on every machine; this module draws from the
seed of the source tree (``conftest.tree_seed``, printed in the header), so every change of the
code explores examples that no earlier run saw, and two clean clones of one commit still run the
same ones.  A failure prints the seed and Hypothesis's reproduction blob; pin the stream with
``@example`` in ``test_kernels_vs_spec.py``.  ``pytest --hypothesis-profile=explore`` runs it
(and every other property) on random seeds for longer.
"""
from __future__ import annotations

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from conftest import CASES, KERNEL_CASES, budget, exploring, tree_seed
from optmath import get_spec
from streams import streams
from test_kernels_vs_spec import SWITCH_SWEEP, _compare

#: registry profiles and the switch combinations, drawn like the stream
#: (the default run draws from the profiles whose kernels it compiles anyway, KERNEL_CASES; the
#: explore profile from every profile)
ALGORITHMS = [("profile", name, profile, {}) for name, profile in (CASES if exploring() else KERNEL_CASES)] + \
    [("switches", name, switches, values) for name, switches, values in SWITCH_SWEEP]


def _resolve(case):
    kind, name, what, values = case
    spec = get_spec(name)
    return spec.resolve(what) if kind == "profile" else spec.resolve(next(iter(spec.profiles)), what, **values)


def _explore(f):
    """Random draws from the tree's seed; under the explore profile, from a fresh seed each run."""
    conf = settings(max_examples=budget(20), deadline=None, derandomize=False,
                    suppress_health_check=[HealthCheck.too_slow],
                    **({} if exploring() else {"database": None}))
    return conf(f) if exploring() else seed(tree_seed())(conf(f))


@_explore
@given(case=st.sampled_from(ALGORITHMS), G=streams)
def test_kernel_matches_reference_on_fresh_examples(case, G):
    _compare(_resolve(case), G)
