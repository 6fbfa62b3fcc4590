"""Regressions found while registering the statistics/assemble/math_extra/rearrange/decomp/linalg ops that the
registry's samples cannot state (gradients of NaN results, gradients at kinks, the CuPy error mode); the ops
themselves are checked by tests/test_ops.py and tests/test_cuda_backend.py."""
from __future__ import annotations

import numpy as np
import pytest

import tensorlite as tl
from tensorlite.testing import fake_cuda as _fake_cuda_module
from tensorlite.testing.fake_cuda import fake_cuda

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("op", ["quantile", "nanquantile"])
@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_gradient_of_nan_slices_matches_torch(op, interpolation):
    """A slice holding NaN (all-NaN for nanquantile) gives NaN, and its gradient goes to one NaN element as in PyTorch."""
    x = np.array([[1.0, np.nan, 3.0, 0.5], [np.nan] * 4, [2.0, 1.0, 4.0, 3.0]])
    g = np.array([0.5, -2.0, 1.5])
    ours, theirs = tl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = getattr(tl, op)(ours, 0.3, dim=1, interpolation=interpolation)
    ty = getattr(torch, op)(theirs, 0.3, dim=1, interpolation=interpolation)
    y.backward(tl.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


def test_nextafter_gradient_matches_torch_where_input_equals_other():
    a, b = np.array([0.0, 1.0, -1.0, 2.0]), np.array([1.0, 1.0, 0.0, np.inf])
    ours = [tl.tensor(v, requires_grad=True) for v in (a, b)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (a, b)]
    tl.nextafter(*ours).sum().backward()
    torch.nextafter(*theirs).sum().backward()
    for x, t in zip(ours, theirs):
        np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_det_gradient_of_a_singular_matrix_is_its_cofactor_matrix():
    """d det / dA = adj(A)^T, nonzero for rank n-1 (PyTorch 2.13 returns 0 there, failing its own gradcheck)."""
    a = tl.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=tl.float64, requires_grad=True)
    tl.linalg.det(a).backward()
    np.testing.assert_allclose(a.grad.numpy(), [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64", "int32"])
def test_bincount_weights_dtype_matches_torch(dtype):
    weights = tl.ones(3).to(getattr(tl, dtype))
    out = tl.bincount(tl.tensor([0, 1, 1]), weights)
    expected = torch.bincount(torch.tensor([0, 1, 1]), torch.ones(3).to(getattr(torch, dtype)))
    assert str(out.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]


@pytest.mark.parametrize("call", [
    lambda a: tl.linalg.inv(a),
    lambda a: tl.linalg.cholesky(a @ a.mT),
    lambda a: tl.linalg.solve(a, a),
    lambda a: tl.linalg.svd(a),
])
def test_cuda_factorizations_ask_cupy_to_raise(call, monkeypatch):
    """CuPy returns NaN for a failed factorization unless cupyx.errstate(linalg="raise") is active."""
    modes = []

    def errstate(*, linalg=None):
        modes.append(linalg)
        return _fake_cuda_module._errstate(linalg=linalg)

    with fake_cuda() as fk:
        monkeypatch.setattr(fk.cupyx, "errstate", errstate)
        call(tl.eye(3, device="cuda") * 2)
    assert modes and set(modes) == {"raise"}
