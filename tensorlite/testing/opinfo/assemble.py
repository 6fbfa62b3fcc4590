"""Registry entries for tensorlite/ops/assemble.py: block_diag, diagflat, vander, combinations, the
*_scatter family, narrow_copy, chain_matmul, renorm, unravel_index (forward only) and as_strided.
"""
from __future__ import annotations

import warnings

import numpy as np

from ...ops import assemble as A
from . import ErrorSample, OpInfo, Sample, arr, away_from
from ._common import _t, _torch, _z
from ._not_tensor import add_not_tensor_errors


# -- assembled from blocks and positions ---------------------------------------------------------------------
def _block_diag_samples(rng):
    yield Sample((arr(rng, 2, 3), arr(rng, 1, 2)), desc="two matrices")
    yield Sample((arr(rng, 2, 2), arr(rng, 3), arr(rng)), desc="2-d, 1-d (a row) and 0-d blocks")
    yield Sample((arr(rng, 2, 0), arr(rng, 0, 3), arr(rng, 1, 1)), desc="empty blocks")
    yield Sample((arr(rng, 2, 2),), desc="one block")
    yield Sample((arr(rng, 2, 2), np.array([[1, 2]])), desc="int64 block promoted")


def _block_diag_errors():
    yield ErrorSample((_z(2, 2), _z(2, 2, 2)), match="2 or fewer", desc="3-d block")


def _diagflat_samples(rng):
    yield Sample((arr(rng, 3),), desc="1-d")
    yield Sample((arr(rng, 2, 2),), desc="2-d flattened")
    yield Sample((arr(rng, 3), 1), desc="offset 1")
    yield Sample((arr(rng, 2, 2), -2), desc="offset -2")
    yield Sample((arr(rng),), desc="0-d")
    yield Sample((arr(rng, 0),), desc="empty")


def _vander(x, N=None, increasing=False):
    """torch.vander, whose backward fails in PyTorch 2.x (an in-place cumprod); gradients from x ** powers."""
    torch = _torch()
    out = torch.vander(x, N, increasing)
    if not x.requires_grad or out.numel() == 0:
        return out
    powers = torch.arange(out.shape[1])
    with_grad = x.unsqueeze(1) ** (powers if increasing else powers.flip(0))
    assert torch.allclose(with_grad.detach(), out.detach(), rtol=1e-5, atol=0)
    return with_grad


def _vander_samples(rng):
    x = away_from(arr(rng, 4), (0.0,), 0.2)  # the x^0 column's gradient is 0 * x^-1 at x = 0
    yield Sample((x,), desc="square")
    yield Sample((x, 3), desc="N=3")
    yield Sample((x, 5, True), desc="N=5, increasing")
    yield Sample((x,), {"increasing": True}, desc="increasing")
    yield Sample((x, 0), desc="N=0")
    yield Sample((arr(rng, 0),), desc="empty")
    yield Sample((np.array([1, 2, -3]),), desc="int64 x")


def _vander_errors():
    yield ErrorSample((_z(2, 2),), desc="2-d x")
    yield ErrorSample((_z(3), -1), desc="negative N")


def _combinations_samples(rng):
    yield Sample((arr(rng, 4),), desc="pairs")
    yield Sample((arr(rng, 4), 3), desc="r=3")
    yield Sample((arr(rng, 3), 2, True), desc="with replacement")
    yield Sample((arr(rng, 3),), {"r": 3, "with_replacement": True}, desc="r=3 with replacement")
    yield Sample((arr(rng, 2), 3), desc="r > n")
    yield Sample((arr(rng, 3), 1), desc="r=1")
    yield Sample((arr(rng, 0),), desc="empty")
    yield Sample((np.array([3, 1, 2]),), desc="int64")


def _combinations_errors():
    yield ErrorSample((_z(2, 2),), desc="2-d input")
    yield ErrorSample((_z(3), -1), desc="negative r")


# -- the *_scatter family --------------------------------------------------------------------------------------
def _select_scatter_samples(rng):
    yield Sample((arr(rng, 3, 4), arr(rng, 4), 0, 1), desc="dim 0")
    yield Sample((arr(rng, 3, 4), arr(rng, 3), 1, -1), desc="dim 1, index -1")
    yield Sample((arr(rng, 2, 3, 4), arr(rng, 2, 4), -2, 2), desc="3-d, dim -2")
    yield Sample((arr(rng, 3), arr(rng), 0, 0), desc="1-d input, 0-d src")


def _select_scatter_errors():
    yield ErrorSample((_z(3, 4), _z(3), 0, 1), desc="src of the wrong shape")
    yield ErrorSample((_z(3, 4), _z(4), 0, 3), error=IndexError, desc="index out of range")
    yield ErrorSample((_z(3, 4), _z(4), 2, 0), error=IndexError, desc="dim out of range")


def _slice_scatter_samples(rng):
    yield Sample((arr(rng, 5, 3), arr(rng, 5, 3)), desc="whole tensor")
    yield Sample((arr(rng, 5, 3), arr(rng, 2, 3), 0, 1, 3), desc="rows 1:3")
    yield Sample((arr(rng, 3, 6), arr(rng, 3, 3)), {"dim": 1, "start": 0, "step": 2}, desc="step 2")
    yield Sample((arr(rng, 3, 6), arr(rng, 3, 2)), {"dim": -1, "start": -2}, desc="negative start")
    yield Sample((arr(rng, 3, 4), arr(rng, 3, 0)), {"dim": 1, "start": 2, "end": 2}, desc="empty slice")


def _slice_scatter_errors():
    yield ErrorSample((_z(5, 3), _z(3, 3), 0, 1, 3), desc="src of the wrong shape")
    yield ErrorSample((_z(5, 3), _z(5, 3), 2), error=IndexError, desc="dim out of range")


def _diagonal_scatter_samples(rng):
    yield Sample((arr(rng, 3, 3), arr(rng, 3)), desc="main diagonal")
    yield Sample((arr(rng, 3, 4), arr(rng, 3), 1), desc="offset 1")
    yield Sample((arr(rng, 4, 3), arr(rng, 2), -2), desc="offset -2")
    yield Sample((arr(rng, 2, 3, 4), arr(rng, 4, 2), 0, 0, 1), desc="3-d, dims (0, 1)")
    yield Sample((arr(rng, 2, 3, 4), arr(rng, 3, 2)), {"dim1": 0, "dim2": 2}, desc="3-d, dims (0, 2)")
    yield Sample((arr(rng, 2, 3, 4), arr(rng, 2, 3)), {"offset": -1, "dim1": -1, "dim2": -2},
                 desc="3-d, dims (-1, -2), offset -1")
    yield Sample((arr(rng, 2, 3), arr(rng, 0), 3), desc="offset past the end")


def _diagonal_scatter_errors():
    yield ErrorSample((_z(3, 3), _z(2)), desc="src of the wrong length")
    yield ErrorSample((_z(3, 3), _z(3), 0, 1, 1), desc="equal dims")
    yield ErrorSample((_z(3, 3), _z(3), 0, 0, 2), error=IndexError, desc="dim out of range")


def _narrow_copy_samples(rng):
    yield Sample((arr(rng, 5, 3), 0, 1, 3), desc="rows 1:4")
    yield Sample((arr(rng, 3, 5), -1, 2, 2), desc="dim -1")
    yield Sample((arr(rng, 3, 5), 1, -3, 2), desc="negative start")
    yield Sample((arr(rng, 3, 5), 1, 5, 0), desc="zero length at the end")


def _narrow_copy_errors():
    yield ErrorSample((_z(5, 3), 0, 4, 3), desc="past the end")
    yield ErrorSample((_z(), 0, 0, 1), desc="0-d input")


def _chain_matmul(*matrices):
    with warnings.catch_warnings():  # torch.chain_matmul is deprecated (in favour of linalg.multi_dot)
        warnings.simplefilter("ignore")
        return _torch().chain_matmul(*matrices)


def _chain_matmul_samples(rng):
    yield Sample((arr(rng, 2, 3), arr(rng, 3, 4), arr(rng, 4, 2)), desc="three")
    yield Sample((arr(rng, 2, 3), arr(rng, 3, 4)), desc="two")
    yield Sample((arr(rng, 2, 3),), desc="one (a copy)")
    yield Sample((arr(rng, 2, 0), arr(rng, 0, 3), arr(rng, 3, 1)), desc="zero inner size")


def _chain_matmul_errors():
    yield ErrorSample((_z(2, 3), _z(3)), desc="1-d matrix")
    yield ErrorSample((_z(2, 3), _z(4, 2)), desc="sizes differ")
    yield ErrorSample((), desc="no matrices")


def _renorm_samples(rng):
    x = arr(rng, 3, 4)
    yield Sample((x, 2, 0, 1.0), desc="rows, p=2")
    yield Sample((x, 1, 1, 1.5), desc="columns, p=1")
    yield Sample((x, 3.0, -1, 0.8), desc="p=3")
    yield Sample((arr(rng, 2, 3, 2), 2, 1, 1.2), desc="3-d")
    yield Sample((x, 2, 0, 100.0), desc="every norm below maxnorm")


def _renorm_errors():
    yield ErrorSample((_z(3, 4), 0, 0, 1.0), desc="p = 0")
    yield ErrorSample((_z(3, 4), 2, 0, -1.0), desc="negative maxnorm")
    yield ErrorSample((_z(3, 4), 2, 2, 1.0), error=IndexError, desc="dim out of range")
    yield ErrorSample((_z(), 2, 0, 1.0), desc="0-d input")
    yield ErrorSample((_z(5), 2, 0, 1.0), match="at least 2 dimensions", desc="1-d input")


def _unravel_index_samples(rng):
    yield Sample((np.array([0, 5, 11, 7]), (3, 4)), desc="2-d shape")
    yield Sample((np.array(13), (2, 3, 4)), desc="0-d index")
    yield Sample((np.array([[1, 2], [3, 4]]), (5,)), desc="2-d indices, 1-d shape")
    yield Sample((np.array([-1, -5]), (3, 4)), desc="negative indices")
    yield Sample((np.array([12, 13, 100]), (3, 4)), desc="indices past the end wrap around")
    yield Sample((np.zeros(0, dtype=np.int64), (3, 0)), desc="no indices, shape with no elements")
    yield Sample((np.array([0, 1]), ()), desc="empty shape")
    yield Sample((np.array([2, 3]), 4), desc="int shape")


def _unravel_index_errors():
    yield ErrorSample((np.array([1.0]), (3, 4)), error=TypeError, desc="float indices")
    yield ErrorSample((np.array([1]), (3, -4)), error=ValueError, desc="negative size")
    yield ErrorSample((np.array([1]), (3, 0)), desc="shape with no elements")


def _as_strided_samples(rng):
    yield Sample((arr(rng, 3, 4), (2, 2), (1, 2)), desc="a strided window")
    yield Sample((arr(rng, 3, 4), (3, 3), (4, 1), 1), desc="storage_offset")
    yield Sample((arr(rng, 6), (3, 3), (1, 1)), desc="overlapping windows")
    yield Sample((arr(rng, 2, 3), (2, 3, 2), (0, 2, 1)), desc="zero stride")
    yield Sample((arr(rng, 3, 4), (4, 3), (1, 4)), desc="the transpose")
    yield Sample((arr(rng, 5), (), ()), desc="0-d")
    yield Sample((arr(rng, 5), (0, 2), (1, 1)), desc="empty")


def _as_strided_errors():
    yield ErrorSample((_z(3, 4), (2, 2), (1,)), desc="sizes and strides differ in length")
    yield ErrorSample((_z(3, 4), (4, 4), (4, 1)), desc="beyond the storage")
    yield ErrorSample((_z(3, 4), (2, 2), (1, 1), 11), desc="offset beyond the storage")
    yield ErrorSample((_z(3, 4), (2, -2), (1, 1)), desc="negative size")


OPS = [
    OpInfo("block_diag", A.block_diag, _t("block_diag"), _block_diag_samples, _block_diag_errors),
    OpInfo("diagflat", A.diagflat, _t("diagflat"), _diagflat_samples),
    OpInfo("vander", A.vander, _vander, _vander_samples, _vander_errors),
    OpInfo("combinations", A.combinations, _t("combinations"), _combinations_samples, _combinations_errors),
    OpInfo("select_scatter", A.select_scatter, _t("select_scatter"), _select_scatter_samples,
           _select_scatter_errors),
    OpInfo("slice_scatter", A.slice_scatter, _t("slice_scatter"), _slice_scatter_samples, _slice_scatter_errors),
    OpInfo("diagonal_scatter", A.diagonal_scatter, _t("diagonal_scatter"), _diagonal_scatter_samples,
           _diagonal_scatter_errors),
    OpInfo("narrow_copy", A.narrow_copy, _t("narrow_copy"), _narrow_copy_samples, _narrow_copy_errors),
    OpInfo("chain_matmul", A.chain_matmul, _chain_matmul, _chain_matmul_samples, _chain_matmul_errors),
    OpInfo("renorm", A.renorm, _t("renorm"), _renorm_samples, _renorm_errors),
    OpInfo("unravel_index", A.unravel_index, _t("unravel_index"), _unravel_index_samples, _unravel_index_errors,
           differentiable=False),
    OpInfo("as_strided", A.as_strided, _t("as_strided"), _as_strided_samples, _as_strided_errors),
]

add_not_tensor_errors(OPS, {"block_diag": (), "diagflat": (), "vander": (), "combinations": (),
                            "select_scatter": (_z(3), 0, 0), "slice_scatter": (_z(3),), "diagonal_scatter": (_z(3),),
                            "narrow_copy": (0, 0, 1), "chain_matmul": (), "renorm": (2, 0, 1.0),
                            "as_strided": ((1,), (1,))})
