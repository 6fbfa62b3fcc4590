"""Property tests for einsum: random valid equations against torch.einsum (forward, gradient and
second derivative).

Each case draws 1-3 operands over a few labels (repeated labels within an operand, labels in
one operand only, size-1 dims that broadcast, zero sizes), optionally an ellipsis in any
position (with broadcast batch dims), and either an explicit output (any order, any subset,
ellipsis kept or summed) or the implicit one.
"""
from __future__ import annotations

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import tensorlite as tl  # noqa: E402

LABELS = "abcdijkAB"


@st.composite
def einsum_cases(draw):
    """(equation, operand shapes) for a random valid einsum."""
    letters = draw(st.lists(st.sampled_from(LABELS), min_size=1, max_size=5, unique=True))
    sizes = {c: draw(st.sampled_from([1, 2, 2, 3, 3, 0])) for c in letters}
    use_ellipsis = draw(st.integers(0, 3)) == 0
    ell_shape = draw(st.lists(st.integers(1, 3), max_size=2)) if use_ellipsis else []
    terms, shapes, any_ellipsis = [], [], False
    for _ in range(draw(st.integers(1, 3))):
        n = draw(st.integers(0, 3))
        subs = draw(st.lists(st.sampled_from(letters), min_size=n, max_size=n))
        # A label may be size 1 in one operand while larger in another: it broadcasts.
        own = {c: (1 if draw(st.integers(0, 4)) == 0 else sizes[c]) for c in set(subs)}
        shape = [own[c] for c in subs]
        term = "".join(subs)
        if use_ellipsis and draw(st.booleans()):
            n_ell = draw(st.integers(0, len(ell_shape)))
            ell = [1 if draw(st.integers(0, 3)) == 0 else s for s in ell_shape[len(ell_shape) - n_ell:]]
            pos = draw(st.integers(0, len(subs)))
            term = term[:pos] + "..." + term[pos:]
            shape = shape[:pos] + ell + shape[pos:]
            any_ellipsis = True
        terms.append(term)
        shapes.append(tuple(shape))
    equation = ",".join(terms)
    if draw(st.integers(0, 3)) > 0:  # explicit output
        present = sorted({c for t in terms for c in t if c != "."})
        out = draw(st.permutations(present))[:draw(st.integers(0, len(present)))]
        out = "".join(out)
        if any_ellipsis and draw(st.integers(0, 4)) > 0:
            pos = draw(st.integers(0, len(out)))
            out = out[:pos] + "..." + out[pos:]
        equation += "->" + out
    return equation, shapes


def _pair(shapes, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-2, 2, size=s) for s in shapes]
    ours = [tl.tensor(a, dtype=tl.float64, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    return rng, ours, theirs


def _grads_equal(ours, theirs, what):
    for k, (g, h) in enumerate(zip(ours, theirs)):
        h = np.zeros(()) if h is None else h.detach().numpy()
        g = np.zeros_like(h) if g is None else g.detach().numpy()
        assert g.shape == h.shape, f"{what} of operand {k}: shape {g.shape} vs PyTorch {h.shape}"
        np.testing.assert_allclose(g, h, rtol=1e-9, atol=1e-9, err_msg=f"{what} of operand {k}")


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(einsum_cases(), st.integers(0, 2**31 - 1))
def test_einsum_matches_torch(case, seed):
    equation, shapes = case
    rng, ours, theirs = _pair(shapes, seed)
    expected = torch.einsum(equation, *theirs)
    result = tl.einsum(equation, *ours)
    assert tuple(result.shape) == tuple(expected.shape), equation
    assert result.dtype == tl.float64
    np.testing.assert_allclose(result.detach().numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-10,
                               err_msg=equation)

    # First derivative: a random weighting of the output, the same in both libraries.
    w = rng.uniform(-1, 1, size=tuple(expected.shape))
    w_ours = tl.tensor(w, dtype=tl.float64, requires_grad=True)
    w_theirs = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    g_ours = tl.autograd.grad(result, ours, w_ours, create_graph=True, allow_unused=True)
    g_theirs = torch.autograd.grad(expected, theirs, w_theirs, create_graph=True, allow_unused=True)
    _grads_equal(g_ours, g_theirs, f"{equation}: gradient")

    # Second derivative: differentiate <gradients, v> with respect to the operands and the weights.
    vs = [rng.uniform(-1, 1, size=s) for s in shapes]
    pairs = [(g, h, v) for g, h, v in zip(g_ours, g_theirs, vs) if g is not None and h is not None and h.requires_grad]
    if not pairs:
        return
    s_ours = sum((g * tl.tensor(v, dtype=tl.float64)).sum() for g, _, v in pairs)
    s_theirs = sum((h * torch.tensor(v, dtype=torch.float64)).sum() for _, h, v in pairs)
    gg_ours = tl.autograd.grad(s_ours, ours + [w_ours], allow_unused=True)
    gg_theirs = torch.autograd.grad(s_theirs, theirs + [w_theirs], allow_unused=True)
    _grads_equal(gg_ours, gg_theirs, f"{equation}: second derivative")


@settings(max_examples=100, deadline=None)
@given(einsum_cases(), st.integers(0, 2**31 - 1))
def test_einsum_float32_stays_float32(case, seed):
    equation, shapes = case
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-2, 2, size=s).astype(np.float32) for s in shapes]
    result = tl.einsum(equation, *[tl.tensor(a) for a in arrays])
    expected = torch.einsum(equation, *[torch.from_numpy(a) for a in arrays])
    assert result.dtype == tl.float32
    np.testing.assert_allclose(result.numpy(), expected.numpy(), rtol=1e-4, atol=1e-4, err_msg=equation)


@st.composite
def bad_equations(draw):
    """Equations PyTorch rejects: wrong subscript counts, unknown output labels, bad sizes."""
    kind = draw(st.sampled_from(["ndim", "output", "size", "repeat_out", "operands"]))
    if kind == "ndim":
        return "ij->i", [(2, 3, 4)]
    if kind == "output":
        return "ij->iz", [(2, 3)]
    if kind == "size":
        n = draw(st.integers(2, 4))
        return "ij,jk->ik", [(2, n), (n + 1, 2)]
    if kind == "repeat_out":
        return "ij->jj", [(2, 3)]
    return "ij,jk->ik", [(2, 3)]


@settings(max_examples=30, deadline=None)
@given(bad_equations())
def test_einsum_invalid_equations_raise_like_torch(case):
    equation, shapes = case
    with pytest.raises(RuntimeError):
        torch.einsum(equation, *[torch.zeros(s) for s in shapes])
    with pytest.raises(RuntimeError):
        tl.einsum(equation, *[tl.zeros(s) for s in shapes])
