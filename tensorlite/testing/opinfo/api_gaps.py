"""Registry entries for the API-gap ops: fill, the *_copy functions and unsafe splits
(tensorlite/ops/api_gaps.py), index_reduce (ops/tensor_extras.py), gradient and the legacy norms
(ops/numerics.py), and the LU family and older solvers (ops/lu.py).

The LU and Cholesky entries factor inside the op (as PyTorch's own tests do): pivots are int32 and a
Cholesky factor must be triangular, so the samples are plain matrices; the Cholesky ones symmetrize
their input first so finite differences see the same function as the analytic gradient.
"""
from __future__ import annotations

import warnings

import numpy as np

import tensorlite as tl

from . import ErrorSample, OpInfo, Sample, arr
from ._common import _t_quiet as _t, _torch


def _quiet(make):
    """make(torch) as a torch_op, with torch's deprecation warnings (torch.lu, ...) silenced."""
    def call(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return make(_torch())(*args, **kwargs)

    return call


def _entry(name: str, samples, errors=None, **kw) -> OpInfo:
    return OpInfo(name, getattr(tl, name), _t(name), samples, errors, **kw)


# -- fill and the copies ---------------------------------------------------------------------------------------
def fill_samples(rng):
    yield Sample((arr(rng, 3, 4), arr(rng)), desc="0-d tensor value")
    yield Sample((arr(rng, 2, 0), arr(rng)), desc="zero-size")
    yield Sample((arr(rng), arr(rng)), desc="0-d input")
    yield Sample((arr(rng, 3), 2.5), desc="number")


def fill_errors():
    yield ErrorSample((np.zeros(3), np.zeros(2)), error=RuntimeError, match="0-dimension")


def _copy_samples(*calls):
    def samples(rng):
        for shape, args, kwargs, desc in calls:
            yield Sample((arr(rng, *shape),) + args, kwargs, desc=desc)

    return samples


_COPIES = {
    "alias_copy": [((3, 4), (), {}, "2-d"), ((), (), {}, "0-d")],
    "diagonal_copy": [((3, 4), (), {}, "main"), ((2, 3, 4), (1, 0, 2), {}, "offset, dims")],
    "expand_copy": [((3, 1), ((3, 4),), {}, "size-1 dim"), ((4,), ((2, 4),), {}, "new dim")],
    "permute_copy": [((2, 3, 4), ((2, 0, 1),), {}, "3-d")],
    "select_copy": [((3, 4), (1, -1), {}, "negative index")],
    "slice_copy": [((5, 3), (0, 1, 4, 2), {}, "step 2"), ((5, 3), (1, -2), {}, "negative start"),
                   ((5, 3), (), {}, "defaults")],
    "split_copy": [((5, 3), (2,), {}, "uneven")],
    "split_with_sizes_copy": [((5, 3), ([2, 3],), {}, "dim 0"), ((5, 3), ([1, 2], 1), {}, "dim 1")],
    "split_with_sizes": [((5, 3), ([2, 3],), {}, "dim 0")],
    "unsafe_split": [((5, 3), (2,), {}, "uneven")],
    "unsafe_chunk": [((5, 3), (2, 1), {}, "dim 1")],
    "unsafe_split_with_sizes": [((5, 3), ([4, 1],), {}, "dim 0")],
    "squeeze_copy": [((3, 1, 2), (), {}, "all"), ((3, 1, 2), (1,), {}, "one dim")],
    "t_copy": [((3, 4), (), {}, "2-d"), ((4,), (), {}, "1-d")],
    "transpose_copy": [((2, 3, 4), (0, 2), {}, "3-d")],
    "unbind_copy": [((3, 2), (1,), {}, "dim 1")],
    "unfold_copy": [((7,), (0, 3, 2), {}, "1-d"), ((2, 6), (1, 2, 2), {}, "2-d")],
    "unsqueeze_copy": [((3, 4), (-1,), {}, "last")],
    "view_copy": [((3, 4), ((2, 6),), {}, "reshape"), ((3, 4), ((-1,),), {}, "flatten")],
    "as_strided_copy": [((3, 4), ((2, 2), (1, 2)), {}, "overlapping windows")],
}


# -- index_reduce ----------------------------------------------------------------------------------------------
def _index_reduce_samples(reduce):
    def samples(rng):
        lo, hi = (0.5, 1.5) if reduce == "prod" else (-2.0, 2.0)
        for inc in (True, False):
            kw = {"include_self": inc}
            yield Sample((arr(rng, 3, 4, low=lo, high=hi), 0, np.array([0, 2, 0, 1, 0]),
                          arr(rng, 5, 4, low=lo, high=hi), reduce), kw, desc=f"repeats, include_self={inc}")
            yield Sample((arr(rng, 2, 4, low=lo, high=hi), -1, np.array([3, 3]), arr(rng, 2, 2, low=lo, high=hi),
                          reduce), kw, desc=f"last dim, untouched columns, include_self={inc}")
        yield Sample((arr(rng, low=lo, high=hi), 0, np.array([0]), arr(rng, low=lo, high=hi), reduce), desc="0-d")
        if reduce == "prod":
            x, s = arr(rng, 3, low=lo, high=hi), arr(rng, 4, low=lo, high=hi)
            x[2], s[0] = 0.0, 0.0
            yield Sample((x, 0, np.array([0, 0, 1, 2]), s, reduce), desc="exact zeros in input and source")

    return samples


def index_reduce_errors():
    x = np.zeros((3, 2))
    yield ErrorSample((x, 0, np.array([0, 1]), np.zeros((2, 2)), "sum"), error=RuntimeError, match="reduce")
    yield ErrorSample((x, 0, np.array([0, 3]), np.zeros((2, 2)), "prod"), error=IndexError)
    yield ErrorSample((x, 0, np.array([0, 1]), np.zeros((3, 2)), "amax"), error=RuntimeError, match="indices")
    yield ErrorSample((x, 0, np.array([[0, 1]]), np.zeros((2, 2)), "amin"), error=IndexError, match="vector")
    yield ErrorSample((x, 0, np.array([0, 1]), np.zeros((2, 1)), "mean"), error=RuntimeError, match="shape")


def _index_reduce_(x, *args, **kwargs):
    return x.clone().index_reduce_(*args, **kwargs)


# -- gradient ----------------------------------------------------------------------------------------------------
def gradient_samples(rng):
    yield Sample((arr(rng, 4, 5),), desc="all dims, unit spacing")
    yield Sample((arr(rng, 4, 5),), {"spacing": 0.5, "edge_order": 2}, desc="edge_order=2")
    yield Sample((arr(rng, 4, 5),), {"spacing": [2.0, 3.0]}, desc="spacing per dim")
    yield Sample((arr(rng, 3, 6),), {"dim": 1, "spacing": (np.cumsum(rng.uniform(0.5, 1.5, 6)),)},
                 desc="coordinates", grad=(True, False))
    yield Sample((arr(rng, 3, 6),), {"dim": [-1], "edge_order": 2, "spacing": [np.cumsum(rng.uniform(0.5, 1.5, 6))]},
                 desc="coordinates, edge_order=2")
    yield Sample((arr(rng, 2, 3, 4),), {"dim": (0, 2)}, desc="two of three dims")
    yield Sample((np.array([1, 4, 9, 16]),), desc="int64 input")


def gradient_errors():
    x = np.zeros((2, 4))
    yield ErrorSample((x,), {"edge_order": 2}, error=RuntimeError, match="edge_order")
    yield ErrorSample((x,), {"edge_order": 3}, error=RuntimeError, match="edge_order")
    yield ErrorSample((x,), {"spacing": [1.0, 2.0, 3.0]}, error=RuntimeError, match="spacing")
    yield ErrorSample((x,), {"dim": (1, 1)}, error=RuntimeError, match="multiple times")
    yield ErrorSample((x,), {"dim": 2}, error=IndexError)


# -- norms ------------------------------------------------------------------------------------------------------
def nuclear_norm_samples(rng):
    yield Sample((arr(rng, 3, 4),), desc="2-d")
    yield Sample((arr(rng, 3, 4),), {"keepdim": True}, desc="keepdim")
    yield Sample((arr(rng, 2, 3, 4), (0, 2)), desc="dims (0, 2)")


def frobenius_norm_samples(rng):
    yield Sample((arr(rng, 3, 4), (0, 1)), desc="2-d")
    yield Sample((arr(rng, 2, 3, 4), 1, True), desc="one dim, keepdim")
    yield Sample((arr(rng, 2, 3, 4), (-1, 0)), desc="two dims")


def frobenius_norm_errors():
    yield ErrorSample((np.zeros((2, 2, 2)), (0, 1, 2)), error=RuntimeError, match="at most 2")


# -- LU and the older solvers ----------------------------------------------------------------------------------
def _lu(lib):
    return lambda A: lib.lu(A)


def _lu_unpack(lib):
    return lambda A: lib.lu_unpack(*lib.lu(A))


def _lu_solve(lib):
    return lambda b, A: lib.lu_solve(b, *lib.lu(A))


def lu_samples(rng):
    yield Sample((arr(rng, 3, 3),), desc="square")
    yield Sample((arr(rng, 2, 4, 4),), desc="batch")
    yield Sample((arr(rng, 3, 5),), desc="wide")
    yield Sample((arr(rng, 5, 3),), desc="tall")
    yield Sample((arr(rng, 1, 1),), desc="1x1")


def lu_errors():
    yield ErrorSample((np.zeros(3),), error=RuntimeError, match="2 or more dimensions")


def lu_solve_samples(rng):
    yield Sample((arr(rng, 3, 2), arr(rng, 3, 3)), desc="square")
    yield Sample((arr(rng, 2, 4, 1), arr(rng, 2, 4, 4)), desc="batch")
    yield Sample((arr(rng, 2, 3, 2), arr(rng, 3, 3)), desc="broadcast batch")


def triangular_solve_samples(rng):
    def tri(*shape):
        a = arr(rng, *shape)
        return a + 3 * np.eye(shape[-1])  # a well-conditioned diagonal

    yield Sample((arr(rng, 3, 2), tri(3, 3)), desc="upper")
    yield Sample((arr(rng, 3, 2), tri(3, 3)), {"upper": False}, desc="lower")
    yield Sample((arr(rng, 3, 2), tri(3, 3)), {"transpose": True}, desc="transpose")
    yield Sample((arr(rng, 3, 2), tri(3, 3), False, True, True), desc="lower, transpose, unitriangular")
    yield Sample((arr(rng, 2, 3, 1), tri(3, 3)), desc="broadcast batch")


def triangular_solve_errors():
    yield ErrorSample((np.zeros(3), np.eye(3)), error=RuntimeError, match="at least 2 dimensions")
    yield ErrorSample((np.zeros((4, 1)), np.eye(3)), error=RuntimeError, match="Incompatible")
    yield ErrorSample((np.zeros((3, 1)), np.zeros((3, 4))), error=RuntimeError, match="square")


def _spd(rng, *shape):
    m = arr(rng, *shape)
    return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])


def _symmetric(A):
    return (A + A.transpose(-2, -1)) / 2


def _cholesky_solve(lib):
    def call(B, A, upper=False):
        L = lib.linalg.cholesky(_symmetric(A), upper=upper)
        return lib.cholesky_solve(B, L, upper)

    return call


def _cholesky_inverse(lib):
    def call(A, upper=False):
        return lib.cholesky_inverse(lib.linalg.cholesky(_symmetric(A), upper=upper), upper)

    return call


def cholesky_solve_samples(rng):
    yield Sample((arr(rng, 3, 2), _spd(rng, 3, 3)), desc="lower")
    yield Sample((arr(rng, 3, 2), _spd(rng, 3, 3), True), desc="upper")
    yield Sample((arr(rng, 2, 4, 1), _spd(rng, 4, 4)), desc="broadcast batch")


def cholesky_inverse_samples(rng):
    yield Sample((_spd(rng, 3, 3),), desc="lower")
    yield Sample((_spd(rng, 2, 3, 3), True), desc="batch, upper")


_LINALG = {"extra": {"no_bfloat16": True}}  # LAPACK has no bfloat16 (PyTorch's CPU kernels neither)

OPS = [
    _entry("fill", fill_samples, fill_errors),
    *[_entry(name, _copy_samples(*calls)) for name, calls in _COPIES.items()],
    *[OpInfo(f"index_reduce_{r}", tl.index_reduce, _t("index_reduce"), _index_reduce_samples(r),
             index_reduce_errors if r == "prod" else None) for r in ("prod", "mean", "amax", "amin")],
    OpInfo("index_reduce_", _index_reduce_, _index_reduce_, _index_reduce_samples("amax")),
    _entry("gradient", gradient_samples, gradient_errors),
    _entry("nuclear_norm", nuclear_norm_samples, **_LINALG),
    _entry("frobenius_norm", frobenius_norm_samples, frobenius_norm_errors),
    OpInfo("lu", _lu(tl), _quiet(_lu), lu_samples, lu_errors, **_LINALG),
    OpInfo("lu_unpack", _lu_unpack(tl), _quiet(_lu_unpack), lu_samples, **_LINALG),
    OpInfo("lu_solve", _lu_solve(tl), _quiet(_lu_solve), lu_solve_samples, **_LINALG),
    _entry("triangular_solve", triangular_solve_samples, triangular_solve_errors, **_LINALG),
    OpInfo("cholesky_solve", _cholesky_solve(tl), _quiet(_cholesky_solve), cholesky_solve_samples, **_LINALG),
    OpInfo("cholesky_inverse", _cholesky_inverse(tl), _quiet(_cholesky_inverse), cholesky_inverse_samples,
           **_LINALG),
]
