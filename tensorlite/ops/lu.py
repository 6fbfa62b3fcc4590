"""LU factorization and PyTorch's older triangular and Cholesky solvers: `lu`, `lu_unpack`, `lu_solve`,
`triangular_solve`, `cholesky_solve`, `cholesky_inverse` (and the torch.linalg forms `lu_factor`,
`lu_factor_ex`, `lu`, `lu_solve` that tensorlite/linalg.py re-exports).

The factorization is partial-pivoting Gaussian elimination (LAPACK's getrf result: A = P L U, pivots
1-based row swaps) on the array library, one column at a time over the whole batch. Its gradient is
the standard LU backward for square, wide and tall matrices; the solvers are compositions of
triangular solves, except cholesky_solve, whose gradient follows PyTorch's formula.
"""
from __future__ import annotations


import numpy as np

from ..autograd.function import Function
from ..backend.device import get_array_module
from ..tensor import Tensor
from .arithmetic import sum_to_shape
from ._reduce_common import _named
from .decomp import _eye_like, mT
from .linalg import matmul

__all__ = ["lu", "lu_unpack", "lu_solve", "triangular_solve", "cholesky_solve", "cholesky_inverse"]


LUWithInfo = _named("_lu_with_info", "LU pivots info")
LUUnpackResult = _named("lu_unpack", "P L U")
TriangularSolveResult = _named("triangular_solve", "solution cloned_coefficient")
LUFactorResult = _named("linalg_lu_factor", "LU pivots")
LUFactorExResult = _named("linalg_lu_factor_ex", "LU pivots info")
LinalgLUResult = _named("linalg_lu", "P L U")


def _check_input(A, op: str, kernel: str, name: str = "A") -> None:
    if not isinstance(A, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(A).__name__}")
    if A._data.ndim < 2:
        raise RuntimeError(f"{op}: Expected tensor with 2 or more dimensions. Got size: {list(A.shape)} instead")
    if A._data.dtype not in (np.float32, np.float64):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{A.dtype.name}\' ({op} needs float32 or '
                                  f'float64)')


# -- the factorization ---------------------------------------------------------------------------------------------
def _getrf(a):
    """(LU packed, 1-based int32 pivots, int32 info) of each matrix of `a`, as LAPACK's getrf returns them."""
    xp = get_array_module(a)
    *batch, m, n = a.shape
    k = min(m, n)
    nb = int(np.prod(batch, dtype=np.int64))
    lu = a.reshape(nb, m, n).copy()
    piv = xp.zeros((nb, k), dtype=np.int32)
    info = xp.zeros(nb, dtype=np.int32)
    rows = xp.arange(nb)
    for j in range(k):
        p = xp.argmax(xp.abs(lu[:, j:, j]), axis=1) + j  # the first largest |entry| (LAPACK's idamax)
        piv[:, j] = p + 1
        row_j = lu[rows, j].copy()
        lu[rows, j] = lu[rows, p]
        lu[rows, p] = row_j
        pivot = lu[:, j, j]
        zero = pivot == 0
        info = xp.where((info == 0) & zero, j + 1, info).astype(np.int32)
        lu[:, j + 1:, j] /= xp.where(zero, 1, pivot)[:, None]  # a zero column stays zero (nothing to scale)
        lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j:j + 1] * lu[:, j:j + 1, j + 1:]
    return lu.reshape(a.shape), piv.reshape(tuple(batch) + (k,)), info.reshape(tuple(batch))


def _permutation(piv, m: int, dtype):
    """P (batch, m, m) with A = P L U, from the row swaps `piv` (1-based)."""
    xp = get_array_module(piv)
    batch = piv.shape[:-1]
    p = piv.reshape(int(np.prod(batch, dtype=np.int64)), piv.shape[-1]).astype(np.int64) - 1
    perm = xp.broadcast_to(xp.arange(m), (p.shape[0], m)).copy()
    rows = xp.arange(p.shape[0])
    for j in range(p.shape[1]):  # apply the swaps in order: row i of P^T A is row perm[i] of A
        a, b = perm[rows, j].copy(), perm[rows, p[:, j]].copy()
        perm[rows, j], perm[rows, p[:, j]] = b, a
    P = xp.zeros((p.shape[0], m, m), dtype=dtype)
    P[rows[:, None], perm, xp.arange(m)[None, :]] = 1
    return P.reshape(tuple(batch) + (m, m))


def _unpack(LU: Tensor) -> tuple:
    """(L, U) of a packed LU: L (m, k) unit lower, U (k, n) upper."""
    m, n = LU._data.shape[-2:]
    k = min(m, n)
    L = LU[..., :, :k].tril(-1) + _eye_like(LU, m)[:, :k]
    U = LU[..., :k, :].triu()
    return L, U


def _tri_solve(A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False) -> Tensor:
    from ..linalg import solve_triangular

    return solve_triangular(A, B, upper=upper, left=left, unitriangular=unitriangular)


class LUFactor(Function):
    """(LU, pivots, info) with A = P L U. Gradient of the packed LU (L below the diagonal, U on and above):
    with phi = tril(L^T gL, -1) + triu(gU U^T), gA = P L^-T phi U^-T for square A; wide and tall matrices add
    the terms of the extra columns (U2) or rows (L2)."""

    keep_inputs, save_output = False, True

    def forward(self, a):
        lu, piv, info = _getrf(a)
        self.P = _permutation(piv, a.shape[-2], a.dtype)
        return lu, piv, info

    def backward(self, grad, _gpiv=None, _ginfo=None):
        LU = self.output(0)
        m, n = LU._data.shape[-2:]
        k = min(m, n)
        L, U = _unpack(LU)
        gL, gU = grad[..., :, :k].tril(-1), grad[..., :k, :].triu()
        L1, U1, gL1, gU1 = L[..., :k, :], U[..., :, :k], gL[..., :k, :], gU[..., :, :k]
        phi_l = matmul(mT(L1), gL1)
        phi_u = matmul(gU1, mT(U1))
        if n > m:  # wide: U = [U1 U2]
            phi_l = phi_l - matmul(gU[..., :, k:], mT(U[..., :, k:]))
        if m > n:  # tall: L = [L1; L2]
            phi_u = phi_u - matmul(mT(L[..., k:, :]), gL[..., k:, :])
        phi = phi_l.tril(-1) + phi_u.triu()
        x = _tri_solve(mT(L1), phi, upper=True, unitriangular=True)
        gB = _tri_solve(mT(U1), x, upper=False, left=False)
        if n > m:
            from .join import cat

            gB = cat([gB, _tri_solve(mT(L1), gU[..., :, k:], upper=True, unitriangular=True)], -1)
        if m > n:
            from .join import cat

            gB = cat([gB, _tri_solve(mT(U1), gL[..., k:, :], upper=False, left=False)], -2)
        return matmul(Tensor._wrap(self.P), gB)


def _factor(A: Tensor, pivot: bool, op: str) -> tuple:
    _check_input(A, op, "lu_cpu")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    return LUFactor.apply(A)


def lu(A: Tensor, pivot: bool = True, get_infos: bool = False) -> tuple:
    """(LU, pivots) of A = P L U (packed: L's strict lower part and U in one matrix; pivots 1-based, int32);
    with get_infos=True also info (nonzero where U has a zero pivot). Differentiable in LU."""
    LU, piv, info = _factor(A, pivot, "torch.lu_factor")
    return LUWithInfo(LU, piv, info) if get_infos else (LU, piv)


def _raise_singular(info: Tensor, op: str) -> None:
    """LinAlgError naming the first matrix whose U has a zero pivot (info > 0), as torch.linalg.lu_factor."""
    bad = info._host().reshape(-1)
    if bad.size and (bad > 0).any():
        from .decomp import LinAlgError

        k = int(np.argmax(bad > 0))
        where = f"(Batch element {k}): " if info._data.ndim else ""
        raise LinAlgError(f"torch.{op}: {where}U[{bad[k]},{bad[k]}] is zero and using it on lu_solve would result in "
                          f"a division by zero. If you still want to perform the factorization, consider calling "
                          f"linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


def lu_factor(A: Tensor, *, pivot: bool = True) -> tuple:
    """torch.linalg.lu_factor: (LU, pivots); raises LinAlgError for a singular matrix."""
    LU, piv, info = _factor(A, pivot, "linalg.lu_factor")
    _raise_singular(info, "linalg.lu_factor")
    return LUFactorResult(LU, piv)


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False) -> tuple:
    """torch.linalg.lu_factor_ex: (LU, pivots, info), info > 0 where U has a zero pivot (raises if check_errors)."""
    LU, piv, info = _factor(A, pivot, "linalg.lu_factor_ex")
    if check_errors:
        _raise_singular(info, "linalg.lu_factor_ex")
    return LUFactorExResult(LU, piv, info)


def _check_pivots(LU: Tensor, pivots: Tensor, op: str) -> None:
    if not isinstance(pivots, Tensor):
        raise TypeError(f"{op}(): argument 'LU_pivots' must be Tensor, not {type(pivots).__name__}")
    if pivots._data.dtype != np.int32:
        raise RuntimeError(f"{op}: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype.\nNote: this "
                           f"function is intended to be used with the output produced by torch.linalg.lu_factor")
    m, n = LU._data.shape[-2:]
    p = pivots._data
    if p.shape != LU._data.shape[:-2] + (min(m, n),) or (p.size and (int(p.min()) < 1 or int(p.max()) > m)):
        raise RuntimeError("pivots passed to lu_unpack must be between 1 and LU.size(-2) inclusive.Did you properly "
                           "pass the result of lu_factor?")


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True, unpack_pivots: bool = True) -> tuple:
    """(P, L, U) with A = P L U from lu's packed result; empty tensors for the parts not asked for."""
    _check_input(LU_data, "torch.lu_unpack", "lu_unpack", "LU_data")
    _check_pivots(LU_data, LU_pivots, "torch.lu_unpack")
    xp = get_array_module(LU_data._data)
    empty = Tensor._wrap(xp.zeros(0, dtype=LU_data._data.dtype))
    L, U = _unpack(LU_data) if unpack_data else (empty, empty)
    P = Tensor._wrap(_permutation(LU_pivots._data, LU_data._data.shape[-2], LU_data._data.dtype)) if unpack_pivots \
        else empty
    return LUUnpackResult(P, L, U)


def linalg_lu(A: Tensor, *, pivot: bool = True) -> tuple:
    """torch.linalg.lu: (P, L, U) with A = P L U."""
    LU, piv, _ = _factor(A, pivot, "linalg.lu")
    P, L, U = lu_unpack(LU, piv)
    return LinalgLUResult(P, L, U)


def linalg_lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True, adjoint: bool = False) -> Tensor:
    """torch.linalg.lu_solve: X with A X = B (X A = B if not left; A^T instead of A if adjoint), A = P L U."""
    op = "linalg.lu_solve"
    _check_input(LU, op, "lu_solve", "LU")
    if not isinstance(B, Tensor):
        raise TypeError(f"{op}(): argument 'B' must be Tensor, not {type(B).__name__}")
    m, n = LU._data.shape[-2:]
    if m != n:
        raise RuntimeError(f"torch.{op}: A must be batches of square matrices, but they are {m} by {n} matrices")
    if B._data.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor B must have at least 2 dimensions.")
    if B._data.dtype != LU._data.dtype:
        raise RuntimeError(f"{op}: Expected LU and B to have the same dtype, but found LU of type {LU.dtype.name} "
                           f"and B of type {B.dtype.name} instead")
    if not isinstance(pivots, Tensor) or pivots._data.dtype != np.int32:
        raise RuntimeError(f"{op}: pivots should be a Tensor of scalar type torch.int32")
    if pivots._data.shape != LU._data.shape[:-1]:
        raise RuntimeError(f"{op}: Expected LU.shape[:-1] and pivots.shape to be the same, but got pivots with shape "
                           f"{list(pivots.shape)} instead")
    size = B._data.shape[-2] if left else B._data.shape[-1]
    if size != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{op}: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and "
                           f"{B._data.shape[-2]}x{B._data.shape[-1]})")
    _check_pivots(LU, pivots, op)
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return mT(linalg_lu_solve(LU, pivots, mT(B), adjoint=not adjoint))
    L, U = _unpack(LU)
    P = Tensor._wrap(_permutation(pivots._data, n, LU._data.dtype))
    if adjoint:  # A^T = U^T L^T P^T
        y = _tri_solve(mT(U), B, upper=False)
        return matmul(P, _tri_solve(mT(L), y, upper=True, unitriangular=True))
    y = _tri_solve(L, matmul(mT(P), B), upper=False, unitriangular=True)
    return _tri_solve(U, y, upper=True)


def lu_solve(b: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:
    """X with A X = b, from lu(A)'s (LU_data, LU_pivots) (batch dims broadcast). Differentiable in b and LU_data."""
    return linalg_lu_solve(LU_data, LU_pivots, b)


# -- triangular and Cholesky solvers ----------------------------------------------------------------------------
def _check_pair(b: Tensor, A: Tensor, op: str, kernel: str, b_name: str = "b", a_name: str = "A") -> None:
    for name, t in ((b_name, b), (a_name, A)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(t).__name__}")
    if b._data.dtype != A._data.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {b.dtype.name} and A of type "
                           f"{A.dtype.name} instead.")
    if A._data.dtype not in (np.float32, np.float64):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{A.dtype.name}\'')
    if A._data.shape[-1] != A._data.shape[-2]:
        raise RuntimeError(f"A must be batches of square matrices, but they are {A._data.shape[-2]} by "
                           f"{A._data.shape[-1]} matrices")
    if b._data.shape[-2] != A._data.shape[-1]:
        raise RuntimeError(f"Incompatible matrix sizes for {op}: each A matrix is {A._data.shape[-1]} by "
                           f"{A._data.shape[-1]} but each b matrix is {b._data.shape[-2]} by {b._data.shape[-1]}")


def _batch(*ts: Tensor) -> tuple:
    return tuple(np.broadcast_shapes(*(t._data.shape[:-2] for t in ts)))


def triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False) -> tuple:
    """(X, copy of A) with T X = b, T the upper (or lower) triangle of A (transposed if `transpose`, with a unit
    diagonal if `unitriangular`); batch dims broadcast."""
    for name, t in (("b", b), ("A", A)):
        if isinstance(t, Tensor) and t._data.ndim < 2:
            raise RuntimeError(f"torch.triangular_solve: Expected {name} to have at least 2 dimensions, but it has "
                               f"{t._data.ndim} dimensions instead")
    _check_pair(b, A, "triangular_solve", "triangular_solve_cpu")
    batch = _batch(b, A)
    T, tri_upper = (mT(A), not upper) if transpose else (A, upper)
    x = _tri_solve(T, b, upper=tri_upper, unitriangular=unitriangular)
    return TriangularSolveResult(x.expand(batch + x._data.shape[-2:]).clone() if x._data.shape[:-2] != batch else x,
                                 A.expand(batch + A._data.shape[-2:]).clone())


class CholeskySolve(Function):
    """X = (L L^T)^-1 B (or (U^T U)^-1 B). Gradients (PyTorch's): gB = (L L^T)^-1 g; with C = gB X^T + X gB^T,
    gL = -C L (lower) or -U C (upper)."""

    save_output = True

    def forward(self, b, t, upper):
        self.upper = upper
        xp = get_array_module(b)
        batch = np.broadcast_shapes(b.shape[:-2], t.shape[:-2])
        tri = xp.triu(t) if upper else xp.tril(t)
        tri = xp.broadcast_to(tri, batch + t.shape[-2:])
        first, second = (xp.swapaxes(tri, -1, -2), tri) if upper else (tri, xp.swapaxes(tri, -1, -2))
        y = xp.linalg.solve(first, xp.broadcast_to(b, batch + b.shape[-2:]))
        return xp.linalg.solve(second, y)

    def backward(self, grad):
        b, t = self.inputs
        gB = CholeskySolve.apply(grad, t, upper=self.upper)
        gb = sum_to_shape(gB, b._data.shape) if self.needs_input_grad[0] else None
        gt = None
        if self.needs_input_grad[1]:
            c = matmul(gB, mT(self.output()))
            c = c + mT(c)
            gt = sum_to_shape(-(matmul(t, c) if self.upper else matmul(c, t)), t._data.shape)
        return gb, gt


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False) -> Tensor:
    """X with A X = B for A = L L^T given its Cholesky factor L (A = U^T U if upper); batch dims broadcast."""
    for name, t, short in (("B", B, "b"), ("L", L, "u")):
        if isinstance(t, Tensor) and t._data.ndim < 2:
            raise RuntimeError(f"{short} should have at least 2 dimensions, but has {t._data.ndim} dimensions instead")
    _check_pair(B, L, "cholesky_solve", "cholesky_solve_cpu", "B", "L")
    return CholeskySolve.apply(B, L, upper=bool(upper))


def cholesky_inverse(L: Tensor, upper: bool = False) -> Tensor:
    """(L L^T)^-1 from the Cholesky factor L (U^T U if upper)."""
    if not isinstance(L, Tensor):
        raise TypeError(f"cholesky_inverse(): argument 'L' must be Tensor, not {type(L).__name__}")
    if L._data.ndim < 2:
        raise RuntimeError("cholesky_inverse: The input tensor A must have at least 2 dimensions.")
    if L._data.shape[-1] != L._data.shape[-2]:
        raise RuntimeError(f"cholesky_inverse: A must be batches of square matrices, but they are "
                           f"{L._data.shape[-2]} by {L._data.shape[-1]} matrices")
    if L._data.dtype not in (np.float32, np.float64):
        raise NotImplementedError(f'"cholesky_inverse_out_cpu" not implemented for \'{L.dtype.name}\'')
    eye = _eye_like(L, L._data.shape[-1])
    return CholeskySolve.apply(eye, L, upper=bool(upper))


TENSOR_METHODS = {"lu": lu, "lu_solve": lu_solve, "triangular_solve": triangular_solve,
                  "cholesky_solve": cholesky_solve, "cholesky_inverse": cholesky_inverse}
