"""Registry entries for the tl.linalg namespace (tensorlite/linalg.py): norms, inverses, solvers,
factorizations (sign-fixed as in decomp.py), pseudo-inverse, rank, condition number, least squares,
multi_dot and vecdot. Entry names carry the "linalg." prefix.

The *_ex entries compare their result only where info == 0 (PyTorch leaves LAPACK's partial
factorization where it is not, tensorlite NaN), and info everywhere.
"""
from __future__ import annotations

import math

import numpy as np

from ... import linalg as L
from . import ErrorSample, OpInfo, Sample, arr
from ._not_tensor import add_not_tensor_errors
from .decomp import (_gram, _matrix_exp_errors, _matrix_exp_samples, _matrix_power_errors, _matrix_power_samples,
                     eigh_gauge, gauged, matrix, qr_gauge, svd_gauge, symmetric)


def _torch():
    import torch  # noqa: PLC0415 - the test oracle, imported only when checking

    return torch


def _tl(name):
    return lambda *args, **kwargs: getattr(_torch().linalg, name)(*args, **kwargs)


def _z(*shape, dtype=np.float64):
    return np.zeros(shape, dtype=dtype)


def _int(*shape):
    return np.ones(shape, dtype=np.int64)


_SINGULAR = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 0.0, 1.0]])  # LU's second pivot is exactly 0
_NOT_PD = np.array([[4.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # the 2 x 2 leading minor is singular


def _square_errors(int_error=RuntimeError):
    def errors():
        yield ErrorSample((_z(3),), desc="1-d input")
        yield ErrorSample((_z(2, 3),), desc="non-square")
        yield ErrorSample((_int(2, 2),), error=int_error, desc="int64 input")

    return errors


# -- norms ---------------------------------------------------------------------------------------------------------
def _matrix_norm_samples(rng):
    a = matrix(rng, 3, 4)
    yield Sample((a,), desc="Frobenius")
    for ord_ in ("nuc", 2, -2, 1, -1, math.inf, -math.inf):
        yield Sample((a, ord_), desc=f"ord={ord_}")
    yield Sample((matrix(rng, 2, 3, 3), 2), desc="batched, ord=2")
    yield Sample((np.ascontiguousarray(np.moveaxis(matrix(rng, 2, 3, 4), 0, 1)), "fro", (0, 2)), desc="dim=(0, 2)")
    yield Sample((matrix(rng, 2, 3, 4), "nuc", (-1, -2), True), desc="dim=(-1, -2), keepdim")
    yield Sample((matrix(rng, 2, 3, 4), 1), {"keepdim": True}, desc="ord=1, keepdim")
    yield Sample((arr(rng, 0, 3),), desc="empty, Frobenius")


def _matrix_norm_errors():
    yield ErrorSample((_z(3),), desc="1-d input")
    yield ErrorSample((_z(3, 3), 3), desc="unsupported ord")
    yield ErrorSample((_z(2, 3, 3), "fro", (0, 1, 2)), desc="three dims")
    yield ErrorSample((_z(3, 3), "fro", (0, 0)), desc="equal dims")
    yield ErrorSample((_int(3, 3),), desc="int64 input")


# -- inverses and solvers ------------------------------------------------------------------------------------------
def _inv_samples(rng):
    yield Sample((matrix(rng, 3, 3),), desc="3 x 3")
    yield Sample((matrix(rng, 2, 3, 3),), desc="batched")
    yield Sample((arr(rng, 0, 0),), desc="0 x 0")


def _inv_errors():
    yield from _square_errors()()
    yield ErrorSample((_SINGULAR,), desc="singular")


def _ex(fn):
    """fn's (result, info), with the result zeroed where info != 0 (LAPACK's partial work in PyTorch, NaN in ours)."""
    def call(*args, **kwargs):
        out, info = fn(*args, **kwargs)
        failed = info != 0
        extra = out.ndim - failed.ndim
        return out.masked_fill(failed.reshape(tuple(failed.shape) + (1,) * extra), 0.0), info

    return call


def _inv_ex_samples(rng):
    yield from _inv_samples(rng)
    yield Sample((np.stack([matrix(rng, 3, 3), _SINGULAR, matrix(rng, 3, 3)]),), grad=(False,),
                 desc="one singular matrix in a batch")
    yield Sample((_SINGULAR,), {"check_errors": False}, grad=(False,), desc="singular")


def _inv_ex_errors():
    yield ErrorSample((_SINGULAR,), {"check_errors": True}, desc="singular, check_errors")
    yield ErrorSample((_z(2, 3),), desc="non-square")


def _solve_samples(rng):
    a = matrix(rng, 3, 3)
    yield Sample((a, arr(rng, 3, 2)), desc="matrix B")
    yield Sample((a, arr(rng, 3)), desc="vector B")
    yield Sample((matrix(rng, 2, 3, 3), arr(rng, 2, 3, 2)), desc="batched")
    yield Sample((a, arr(rng, 2, 3, 2)), desc="broadcast A")
    yield Sample((matrix(rng, 2, 3, 3), arr(rng, 2, 3)), desc="batch of vectors")
    yield Sample((matrix(rng, 2, 3, 3), arr(rng, 3, 1)), desc="broadcast B")
    yield Sample((a, arr(rng, 2, 3)), {"left": False}, desc="left=False")
    yield Sample((a, arr(rng, 3, 0)), desc="B with no columns")


def _solve_errors():
    yield ErrorSample((_z(2, 3), _z(2, 1)), desc="non-square A")
    yield ErrorSample((_z(3, 3), _z(4, 1)), desc="B's rows differ")
    yield ErrorSample((np.eye(3), _z(3, 1, dtype=np.float32)), desc="dtypes differ")
    yield ErrorSample((_SINGULAR, _z(3, 1)), desc="singular A")
    yield ErrorSample((np.eye(3), _z(3)), {"left": False}, desc="left=False with a vector B")
    yield ErrorSample((np.stack([np.eye(3)] * 2), _z(2, 3)), {"left": False}, desc="left=False with a batch of vectors")


def _solve_ex_samples(rng):
    yield from (s for s in _solve_samples(rng))
    yield Sample((np.stack([matrix(rng, 3, 3), _SINGULAR]), arr(rng, 2, 3, 2)), grad=(False, False),
                 desc="one singular matrix in a batch")
    yield Sample((np.stack([_SINGULAR, matrix(rng, 3, 3)]), arr(rng, 3)), grad=(False, False),
                 desc="one singular matrix, vector B")
    yield Sample((np.stack([_SINGULAR, matrix(rng, 3, 3)]), arr(rng, 4, 3)), {"left": False}, grad=(False, False),
                 desc="one singular matrix, left=False")
    yield Sample((_SINGULAR, arr(rng, 2, 3, 1)), grad=(False, False), desc="singular A broadcast over B's batch")


def _solve_ex_errors():
    yield ErrorSample((_SINGULAR, _z(3, 1)), {"check_errors": True}, desc="singular, check_errors")
    yield ErrorSample((_z(3, 3), _z(4, 1)), desc="B's rows differ")


def _triangular(rng, *shape):
    """Well-conditioned triangles: a random matrix plus 3 I."""
    return arr(rng, *shape) + 3 * np.eye(shape[-1])


def _solve_triangular_samples(rng):
    for upper in (True, False):
        yield Sample((_triangular(rng, 3, 3), arr(rng, 3, 2)), {"upper": upper}, desc=f"upper={upper}")
    yield Sample((_triangular(rng, 3, 3), arr(rng, 2, 3)), {"upper": True, "left": False}, desc="left=False")
    yield Sample((_triangular(rng, 3, 3), arr(rng, 3, 2)), {"upper": False, "unitriangular": True},
                 desc="unitriangular")
    yield Sample((_triangular(rng, 2, 3, 3), arr(rng, 3, 1)), {"upper": True}, desc="batched A, broadcast B")


def _solve_triangular_errors():
    yield ErrorSample((np.eye(3), _z(3)), {"upper": True}, desc="1-d B")
    yield ErrorSample((_z(2, 3), _z(2, 1)), {"upper": True}, desc="non-square A")
    yield ErrorSample((np.eye(3), _z(3, 1)), error=TypeError, desc="upper is required")


# -- factorizations ------------------------------------------------------------------------------------------------
def _cholesky(fn):
    return lambda a, *args, **kwargs: fn(_gram(a), *args, **kwargs)


def _cholesky_samples(rng):
    yield Sample((matrix(rng, 3, 3),), desc="3 x 3")
    yield Sample((matrix(rng, 3, 3),), {"upper": True}, desc="upper")
    yield Sample((matrix(rng, 2, 3, 3),), desc="batched")
    yield Sample((arr(rng, 0, 0),), desc="0 x 0")


def _cholesky_errors():
    yield from _square_errors()()
    yield ErrorSample((_NOT_PD,), desc="not positive-definite")


def _cholesky_ex(fn):
    def call(a, *args, gram=True, **kwargs):
        return _ex(fn)(_gram(a) if gram else a, *args, **kwargs)

    return call


def _cholesky_ex_samples(rng):
    yield from _cholesky_samples(rng)
    yield Sample((np.stack([np.eye(3) * 2, _NOT_PD, _SINGULAR]),), {"gram": False}, grad=(False,),
                 desc="batch with matrices that are not positive-definite")


def _cholesky_ex_errors():
    yield ErrorSample((_NOT_PD,), {"check_errors": True}, desc="not positive-definite, check_errors")


def _qr_samples(rng):
    yield Sample((matrix(rng, 3, 3),), desc="square")
    yield Sample((matrix(rng, 4, 3),), desc="tall")
    yield Sample((matrix(rng, 2, 4, 3),), desc="batched")
    yield Sample((matrix(rng, 3, 3), "complete"), desc="complete, square")
    yield Sample((matrix(rng, 4, 3),), {"mode": "complete"}, grad=(False,), desc="complete, tall (forward only)")
    yield Sample((matrix(rng, 4, 3), "r"), grad=(False,), desc="mode r (forward only)")
    yield Sample((matrix(rng, 2, 4),), grad=(False,), desc="wide (forward only)")


def _qr_errors():
    yield ErrorSample((_z(3),), desc="1-d input")
    yield ErrorSample((_z(3, 3), "full"), desc="unknown mode")
    yield ErrorSample((_int(2, 2),), desc="int64 input")


def _eigh(fn, gauge=None):
    """fn of A + A^T (symmetric whatever the perturbation), or of A itself with raw=True (forward only)."""
    def call(a, *args, raw=False, **kwargs):
        out = fn(a if raw else a + a.mT, *args, **kwargs)
        return gauge(*out) if gauge else out

    return call


def _eigh_samples(rng):
    yield Sample((symmetric(rng, 4) / 2,), desc="4 x 4")
    yield Sample((symmetric(rng, 3, 2) / 2,), desc="batched")
    yield Sample((symmetric(rng, 3, eigenvalues=[0.5, 1.0, 3.0]) / 2,), {"UPLO": "U"}, desc="UPLO=U")
    yield Sample((arr(rng, 1, 1),), desc="1 x 1")
    yield Sample((arr(rng, 3, 3),), {"raw": True}, grad=(False,), desc="not symmetric: the lower triangle is read")
    yield Sample((arr(rng, 3, 3),), {"raw": True, "UPLO": "U"}, grad=(False,), desc="not symmetric, UPLO=U")


def _eigh_errors():
    yield ErrorSample((_z(2, 3),), {"raw": True}, desc="non-square")
    yield ErrorSample((_z(3),), {"raw": True}, desc="1-d input")
    yield ErrorSample((_z(3, 3),), {"raw": True, "UPLO": "X"}, desc="bad UPLO")


def _svd_vh_gauge(u, s, vh):
    return svd_gauge(u, s, vh.mT)


def _svd_samples(rng):
    yield Sample((matrix(rng, 3, 3),), desc="square (full_matrices=True by default)")
    yield Sample((matrix(rng, 4, 3), False), desc="tall, reduced")
    yield Sample((matrix(rng, 2, 4),), {"full_matrices": False}, desc="wide, reduced")
    yield Sample((matrix(rng, 2, 4, 3), False), desc="batched, reduced")
    yield Sample((matrix(rng, 4, 3),), grad=(False,), desc="tall, full (forward only)")
    yield Sample((matrix(rng, 2, 3),), grad=(False,), desc="wide, full (forward only)")


def _svd_errors():
    yield ErrorSample((_z(3),), desc="1-d input")
    yield ErrorSample((_int(2, 2),), desc="int64 input")


def _svdvals_samples(rng):
    yield Sample((matrix(rng, 3, 3),), desc="square")
    yield Sample((matrix(rng, 4, 3),), desc="tall")
    yield Sample((matrix(rng, 2, 2, 4),), desc="batched, wide")
    yield Sample((arr(rng, 0, 3),), grad=(False,), desc="empty")


def _pinv_samples(rng):
    yield Sample((matrix(rng, 4, 3),), desc="tall")
    yield Sample((matrix(rng, 2, 4),), desc="wide")
    yield Sample((matrix(rng, 2, 3, 3),), desc="batched")
    yield Sample((matrix(rng, 4, 3),), {"rtol": 1e-3}, desc="rtol")
    yield Sample((matrix(rng, 4, 3),), {"atol": 1e-3}, desc="atol")
    yield Sample((symmetric(rng, 3, eigenvalues=[1.0, 2.0, 3.0]),), {"hermitian": True}, grad=(False,),
                 desc="hermitian")
    yield Sample((np.diag([2.0, 1.0, 1e-20]),), grad=(False,), desc="rank-deficient")
    yield Sample((np.diag([3.0, 1.0, 0.1]),), {"atol": 0.5}, grad=(False,), desc="atol drops a singular value")


def _pinv_errors():
    yield ErrorSample((_z(3),), desc="1-d input")
    yield ErrorSample((_int(2, 2),), desc="int64 input")


# -- rank, condition number, least squares, products ---------------------------------------------------------------
def _matrix_rank_samples(rng):
    yield Sample((matrix(rng, 4, 3),), desc="full rank")
    yield Sample((_SINGULAR,), desc="rank 2")
    yield Sample((np.diag([3.0, 1.0, 0.1]),), {"atol": 0.5}, desc="atol")
    yield Sample((np.diag([3.0, 1.0, 0.1]),), {"rtol": 0.1}, desc="rtol")
    yield Sample((np.stack([_SINGULAR, np.eye(3), np.zeros((3, 3))]),), desc="batched")
    yield Sample((symmetric(rng, 3, eigenvalues=[1.0, 0.0, -2.0]),), {"hermitian": True}, desc="hermitian")
    yield Sample((arr(rng, 0, 3),), desc="empty")


def _matrix_rank_errors():
    yield ErrorSample((_z(3),), desc="1-d input")
    yield ErrorSample((_int(2, 2),), desc="int64 input")


def _cond_samples(rng):
    a = matrix(rng, 3, 3)
    yield Sample((a,), desc="2-norm")
    for p in ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf):
        yield Sample((a, p), desc=f"p={p}")
    yield Sample((matrix(rng, 4, 3),), desc="non-square, 2-norm")
    yield Sample((matrix(rng, 2, 3, 3), 1), desc="batched, p=1")


def _torch_cond(a, p=None):
    """torch.linalg.cond, whose backward fails for p other than None/2/-2 (an in-place op on inv_ex's output):
    there ||A|| ||A^-1|| by its definition, checked against torch.linalg.cond's forward."""
    torch = _torch()
    if p in (None, 2, -2) or not a.requires_grad:
        return torch.linalg.cond(a, p)
    out = torch.linalg.matrix_norm(a, p) * torch.linalg.matrix_norm(torch.linalg.inv(a), p)
    assert torch.allclose(out.detach(), torch.linalg.cond(a.detach(), p), rtol=1e-4)
    return out


def _cond_errors():
    yield ErrorSample((_z(3),), desc="1-d input")
    yield ErrorSample((_z(4, 3), 1), desc="non-square, p=1")
    yield ErrorSample((_int(3, 3),), desc="int64 input")


def _lstsq_samples(rng):
    yield Sample((matrix(rng, 5, 3), arr(rng, 5, 2)), desc="overdetermined")
    yield Sample((matrix(rng, 5, 3), arr(rng, 5)), desc="vector B")
    yield Sample((matrix(rng, 2, 4), arr(rng, 2, 2)), desc="underdetermined: the minimum-norm solution")
    yield Sample((matrix(rng, 2, 4, 3), arr(rng, 2, 4, 1)), desc="batched")
    yield Sample((matrix(rng, 5, 3), arr(rng, 5, 2)), {"driver": "gelsd"}, desc="gelsd: residuals, singular values")
    yield Sample((matrix(rng, 3, 3), arr(rng, 3, 2)), {"driver": "gelss"}, desc="gelss, square")
    yield Sample((matrix(rng, 5, 3), arr(rng, 5, 2), 1e-3), desc="rcond")


def _lstsq_errors():
    yield ErrorSample((_z(3), _z(3)), desc="1-d A")
    yield ErrorSample((_z(4, 3), _z(5, 1)), desc="rows differ")
    yield ErrorSample((_z(4, 3), _z(4, 1, dtype=np.float32)), desc="dtypes differ")
    yield ErrorSample((_z(4, 3), _z(4, 1)), {"driver": "magic"}, desc="unknown driver")


def _multi_dot_samples(rng):
    yield Sample(([arr(rng, 2, 3), arr(rng, 3, 4), arr(rng, 4, 2)],), desc="three")
    yield Sample(([arr(rng, 3), arr(rng, 3, 4), arr(rng, 4)],), desc="vectors at both ends: 0-d")
    yield Sample(([arr(rng, 2, 3), arr(rng, 3)],), desc="two, vector last")
    yield Sample(((arr(rng, 3), arr(rng, 3, 2)),), desc="a tuple, vector first")
    yield Sample(([arr(rng, 2, 0), arr(rng, 0, 3), arr(rng, 3, 2)],), desc="zero inner size")


def _multi_dot_errors():
    yield ErrorSample(([_z(2, 3)],), desc="one tensor")
    yield ErrorSample(([1.5, _z(2, 3)],), error=TypeError, desc="a Python number in the list")
    yield ErrorSample(([_z(2, 3), _z(2, 3, 3)],), desc="3-d tensor")
    yield ErrorSample(([_z(2, 3), _z(4, 2)],), desc="sizes differ")
    yield ErrorSample(([_z(2, 3), _z(3, 2, dtype=np.float32)],), desc="dtypes differ")


def _vecdot_samples(rng):
    yield Sample((arr(rng, 3, 4), arr(rng, 3, 4)), desc="last dim")
    yield Sample((arr(rng, 3, 4), arr(rng, 4)), desc="broadcast")
    yield Sample((arr(rng, 3, 4), arr(rng, 3, 1)), {"dim": 0}, desc="dim 0, broadcast")
    yield Sample((arr(rng, 0, 3), arr(rng, 0, 3)), desc="empty")


def _vecdot_errors():
    yield ErrorSample((_z(3), _z(4)), desc="sizes differ")
    yield ErrorSample((_z(3), _z(3, dtype=np.float32)), desc="dtypes differ")
    yield ErrorSample((_z(2, 3), _z(2, 3)), {"dim": -3}, error=IndexError, desc="dim out of range")
    yield ErrorSample((np.array([1, 2]), np.array([3, 4])), desc="int64 inputs")


OPS = [
    OpInfo("linalg.matrix_norm", L.matrix_norm, _tl("matrix_norm"), _matrix_norm_samples, _matrix_norm_errors),
    OpInfo("linalg.inv", L.inv, _tl("inv"), _inv_samples, _inv_errors),
    OpInfo("linalg.inv_ex", _ex(L.inv_ex), _ex(_tl("inv_ex")), _inv_ex_samples, _inv_ex_errors),
    OpInfo("linalg.det", L.det, _tl("det"), _inv_samples, _square_errors()),
    OpInfo("linalg.slogdet", L.slogdet, _tl("slogdet"), _inv_samples, _square_errors()),
    OpInfo("linalg.solve", L.solve, _tl("solve"), _solve_samples, _solve_errors),
    OpInfo("linalg.solve_ex", _ex(L.solve_ex), _ex(_tl("solve_ex")), _solve_ex_samples, _solve_ex_errors),
    OpInfo("linalg.solve_triangular", L.solve_triangular, _tl("solve_triangular"), _solve_triangular_samples,
           _solve_triangular_errors),
    OpInfo("linalg.cholesky", _cholesky(L.cholesky), _cholesky(_tl("cholesky")), _cholesky_samples,
           notes="of A A^T: symmetric for every perturbation of A"),
    OpInfo("linalg.cholesky.raw", L.cholesky, _tl("cholesky"), lambda rng: iter(()), _cholesky_errors,
           notes="error samples only, on the input itself"),
    OpInfo("linalg.cholesky_ex", _cholesky_ex(L.cholesky_ex), _cholesky_ex(_tl("cholesky_ex")),
           _cholesky_ex_samples, _cholesky_ex_errors),
    OpInfo("linalg.qr", gauged(L.qr, qr_gauge), gauged(_tl("qr"), qr_gauge), _qr_samples, _qr_errors),
    OpInfo("linalg.eigh", _eigh(L.eigh, eigh_gauge), _eigh(_tl("eigh"), eigh_gauge), _eigh_samples, _eigh_errors,
           notes="of A + A^T; eigenvectors compared after fixing their signs"),
    OpInfo("linalg.eigvalsh", _eigh(L.eigvalsh), _eigh(_tl("eigvalsh")), _eigh_samples, _eigh_errors),
    OpInfo("linalg.svd", gauged(L.svd, _svd_vh_gauge), gauged(_tl("svd"), _svd_vh_gauge), _svd_samples, _svd_errors),
    OpInfo("linalg.svdvals", L.svdvals, _tl("svdvals"), _svdvals_samples, _svd_errors),
    OpInfo("linalg.pinv", L.pinv, _tl("pinv"), _pinv_samples, _pinv_errors),
    OpInfo("linalg.matrix_power", L.matrix_power, _tl("matrix_power"), _matrix_power_samples, _matrix_power_errors),
    OpInfo("linalg.matrix_exp", L.matrix_exp, _tl("matrix_exp"), _matrix_exp_samples, _matrix_exp_errors,
           extra={"no_bfloat16": True}, notes="PyTorch 2.13's bfloat16 matrix_exp returns NaN and huge values"),
    OpInfo("linalg.matrix_rank", L.matrix_rank, _tl("matrix_rank"), _matrix_rank_samples, _matrix_rank_errors,
           differentiable=False),
    OpInfo("linalg.cond", L.cond, _torch_cond, _cond_samples, _cond_errors),
    OpInfo("linalg.lstsq", L.lstsq, _tl("lstsq"), _lstsq_samples, _lstsq_errors),
    OpInfo("linalg.multi_dot", L.multi_dot, _tl("multi_dot"), _multi_dot_samples, _multi_dot_errors),
    OpInfo("linalg.vecdot", L.vecdot, _tl("vecdot"), _vecdot_samples, _vecdot_errors),
]

add_not_tensor_errors(OPS, {name: () for name in (
    "linalg.matrix_norm", "linalg.inv", "linalg.inv_ex", "linalg.det", "linalg.slogdet", "linalg.cholesky.raw",
    "linalg.qr", "linalg.svd", "linalg.svdvals", "linalg.pinv", "linalg.matrix_exp", "linalg.matrix_rank",
    "linalg.cond")})
add_not_tensor_errors(OPS, {"linalg.solve": (np.eye(3),), "linalg.solve_ex": (np.eye(3),),
                            "linalg.solve_triangular": ((np.eye(3),), {"upper": True}),
                            "linalg.eigh": ((), {"raw": True}), "linalg.eigvalsh": ((), {"raw": True}),
                            "linalg.matrix_power": (2,), "linalg.lstsq": (_z(3, 1),), "linalg.vecdot": (_z(3),)})
