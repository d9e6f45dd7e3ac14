"""AdamP's implementation profiles against the real packages: float64, 1,000 steps, tensors of
rank 1, 2 and 3, by the conditioning-aware comparison at the framework-parity tolerance.

The gradient stream is built from the iterate the package holds, so that both of the authors'
projections happen: every third step the gradient is orthogonal to each row of the channel view
(the channel projection fires), every third step orthogonal to the whole tensor only (the layer
projection fires), and otherwise it is Gaussian.  The spec's reference step is then run on the
recorded stream with the tensor's shape.  Sources: adamp 0.3.0 (clovaai/AdamP, the authors'
code), torch-optimizer 0.3.0 and pytorch-optimizer 4.1.0, all in the test extra."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
adamp = pytest.importorskip("adamp")
torch_optimizer = pytest.importorskip("torch_optimizer")
pytorch_optimizer = pytest.importorskip("pytorch_optimizer")

from optmath import get_spec  # noqa: E402
from optmath.verify.conditioning import assert_accurate, compare_trajectories  # noqa: E402
from optmath.verify.reference import reference_run  # noqa: E402
from optmath.verify.tolerances import FRAMEWORK_PARITY  # noqa: E402

pytestmark = pytest.mark.parity

PACKAGES = {"authors": lambda: adamp.AdamP, "torch_optimizer": lambda: torch_optimizer.AdamP,
            "pytorch_optimizer": lambda: pytorch_optimizer.AdamP}
SHAPES = [(6,), (3, 4), (2, 3, 2)]
OPTIONS = [{}, {"lr": 1e-2, "weight_decay": 1e-2, "nesterov": True}]


def package_run(cls, shape, kwargs, steps=1000, seed=1):
    """The package's iterates (flattened) and the gradients it was given, ``(T + 1, d)`` and ``(T, d)``."""
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(seed)
    x0 = rng.normal(size=shape)
    p = torch.nn.Parameter(torch.tensor(x0))
    opt = cls([p], **kwargs)
    xs, gs = [x0.reshape(-1).copy()], []
    for k in range(steps):
        x = p.detach().numpy().reshape(shape[0], -1)
        gm = rng.normal(size=x.shape)
        if k % 3 == 0:  # orthogonal to every row
            gm = gm - x * (np.sum(gm * x, axis=1, keepdims=True) / np.sum(x * x, axis=1, keepdims=True))
        elif k % 3 == 1:  # orthogonal to the whole tensor
            gm = gm - x * (np.sum(gm * x) / np.sum(x * x))
        gs.append(gm.reshape(-1))
        p.grad = torch.tensor(gm.reshape(shape))
        opt.step()
        xs.append(p.detach().numpy().reshape(-1).copy())
    return np.array(xs), np.array(gs), x0.reshape(-1)


def _values(kwargs):
    return {"lr": kwargs.get("lr", 1e-3), "wd": kwargs.get("weight_decay", 0.0)}, \
        ({"nesterov": "yes"} if kwargs.get("nesterov") else {})


@pytest.mark.parametrize("options", OPTIONS, ids=["defaults", "decay-nesterov"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("profile", sorted(PACKAGES))
def test_adamp_profile_matches_its_package(profile, shape, options):
    X, G, x0 = package_run(PACKAGES[profile](), shape, options)
    values, switches = _values(options)
    alg = get_spec("adamp").resolve(profile, switches=switches, **values)
    R = reference_run(alg, G, x0, shape=shape).xs
    assert_accurate(compare_trajectories(alg, G, x0, {"package": {"x": X}, "spec": {"x": R}}, rtol=FRAMEWORK_PARITY,
                                         shape=shape, what=f"adamp:{profile} on a {shape} tensor"))


def test_the_authors_code_is_not_the_papers_layer_view_rule():
    """The paper profile projects the whole tensor; the authors' code never projects a vector and
    projects a matrix per row first: on the same stream they part within the first steps."""
    for shape in [(6,), (3, 4)]:
        X, G, x0 = package_run(adamp.AdamP, shape, {}, steps=30)
        paper = reference_run(get_spec("adamp").resolve("paper"), G, x0, shape=shape).xs
        authors = reference_run(get_spec("adamp").resolve("authors"), G, x0, shape=shape).xs
        assert np.max(np.abs(authors - X)) < 1e-15 < 1e-6 < np.max(np.abs(paper - X))


def test_a_row_reduction_needs_the_tensors_shape():
    """A shape of another size is refused; without a shape the tensor is a vector (no projection
    in the authors' rule)."""
    alg = get_spec("adamp").resolve("authors")
    G = np.ones((3, 4))
    with pytest.raises(ValueError, match="has 6 coordinates, not 4"):
        reference_run(alg, G, np.ones(4), shape=(2, 3))
    vec = reference_run(alg, G, np.ones(4)).xs
    adam = reference_run(get_spec("adam").resolve("pytorch", wd=0.0, lr=1e-3), G, np.ones(4)).xs
    np.testing.assert_allclose(vec, adam, rtol=1e-15)


@pytest.mark.slow  # 10 s; the corpus's adamp rows (also slow) check the same, this one by name
def test_the_checker_finds_the_authors_profile_in_the_authors_code():
    """Issue 18's acceptance point: the AdamP authors' reference code conforms to the authors'
    profile, and the probe with tensors below eps tells its cosine from torch-optimizer's."""
    from optmath.verify.conformance import check

    r = check("adamp:AdamP", "adamp", examples=0)
    assert r.conforms, str(r)
    assert any("profile authors" in m for m in r.matched), r.matched
    assert not any("torch_optimizer" in m or "cosine_eps=added" in m for m in r.matched), r.matched
