"""`tl.linalg`: PyTorch's torch.linalg namespace (norms, inverses, solvers, decompositions).

The differentiable factorizations live in tensorlite/ops/decomp.py; this module adds the norms,
the composite functions (cond, matrix_rank, lstsq, multi_dot, solve_triangular, ...) and the
`*_ex` forms, with torch.linalg's argument names and result types.
"""
from __future__ import annotations

import math

import numpy as np

from .backend import get_array_module
from .ops import decomp as _d
from .ops._reduce_common import _named
from .ops.decomp import (LinAlgError, det, eigh, inv, matrix_exp, matrix_power, pinv, solve)  # noqa: F401
from .ops.diag import diagonal as _diagonal
from .ops.join import stack
from .ops.linalg import cross as _cross, matmul
from .ops.reduce import vector_norm
from .tensor import Tensor

__all__ = ["norm", "vector_norm", "matrix_norm", "inv", "inv_ex", "det", "slogdet", "solve", "solve_ex",
           "solve_triangular", "cholesky", "cholesky_ex", "qr", "eigh", "eigvalsh", "svd", "svdvals", "pinv",
           "matrix_power", "matrix_exp", "matrix_rank", "cond", "lstsq", "multi_dot", "cross", "vecdot", "diagonal",
           "matmul", "LinAlgError"]


InvExResult = _named("linalg_inv_ex", "inverse info")
CholeskyExResult = _named("linalg_cholesky_ex", "L info")
SolveExResult = _named("linalg_solve_ex", "result info")
LstsqResult = _named("linalg_lstsq", "solution residuals rank singular_values")

slogdet = _d.linalg_slogdet
qr = _d.linalg_qr


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    return _d.cholesky(A, upper, _legacy=False)


def svd(A: Tensor, full_matrices: bool = True) -> tuple:
    """(U, S, Vh) with A = U diag(S) Vh; full_matrices=False gives the reduced factors (differentiable)."""
    return _d.svd_full(A) if full_matrices else _d.svd_reduced(A)


def svdvals(A: Tensor) -> Tensor:
    """The singular values, descending."""
    return _d.svd_reduced(A).S


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues (ascending) of symmetric matrices."""
    return eigh(A, UPLO).eigenvalues


def _info(A: Tensor, batch: tuple) -> Tensor:
    """The int32 info tensor of a batch that factorized everywhere (zeros)."""
    return Tensor._wrap(get_array_module(A._data).zeros(batch, dtype=np.int32))


def _failure_info(a, cholesky: bool) -> int:
    """LAPACK's info for one matrix whose factorization failed: the order of the first leading minor that is not
    positive-definite (potrf), or 1 + the step of LU's first exactly-zero pivot (getrf, partial pivoting)."""
    xp = get_array_module(a)
    n = a.shape[-1]
    if cholesky:
        for k in range(1, n + 1):
            try:
                _d._lapack(lambda k=k: xp.linalg.cholesky(a[:k, :k]), "linalg.cholesky_ex", "", a)
            except LinAlgError:
                return k
        return n
    u = a.copy()
    for k in range(n):
        p = k + int(xp.argmax(xp.abs(u[k:, k])))
        if not bool(u[p, k] != 0):
            return k + 1
        if p != k:
            u[[k, p]] = u[[p, k]]
        u[k + 1:] = u[k + 1:] - u[k + 1:, k:k + 1] * (u[k:k + 1] / u[k, k])
    return n


def _matrixwise(fn, A: Tensor, *others: Tensor, shape: tuple, cholesky: bool = False) -> tuple:
    """(fn(A_i, *others_i) for each matrix i of the broadcast batch, info): once some matrix of a batch fails, each is
    factorized alone, so a failure spoils only its own result (NaN there, info its LAPACK code), as in PyTorch."""
    xp = get_array_module(A._data)
    batch = np.broadcast_shapes(A._data.shape[:-2], *(o._data.shape[:-2] for o in others))
    A = A.expand(*batch, *A._data.shape[-2:])
    others = tuple(o.expand(*batch, *o._data.shape[-2:]) for o in others)
    results, info = [], np.zeros(batch, dtype=np.int32)
    for idx in np.ndindex(*batch):
        try:
            results.append(fn(A[idx], *(o[idx] for o in others)))
        except LinAlgError:
            info[idx] = _failure_info(A._data[idx], cholesky)
            results.append(Tensor._wrap(xp.full(shape, np.nan, dtype=A._data.dtype)))
    return stack(results).reshape(*batch, *shape), Tensor._wrap(xp.asarray(info))


def inv_ex(A: Tensor, *, check_errors: bool = False) -> tuple:
    """(A^-1, info): info is nonzero (and the inverse NaN) where A is singular, unless check_errors raises."""
    try:
        return InvExResult(inv(A), _info(A, A._data.shape[:-2]))
    except LinAlgError:
        if check_errors:
            raise
    return InvExResult(*_matrixwise(inv, A, shape=A._data.shape[-2:]))


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> tuple:
    """(L, info): info is nonzero where A is not positive-definite (L NaN there), unless check_errors raises."""
    try:
        return CholeskyExResult(cholesky(A, upper=upper), _info(A, A._data.shape[:-2]))
    except LinAlgError:
        if check_errors:
            raise
    return CholeskyExResult(*_matrixwise(lambda a: cholesky(a, upper=upper), A, shape=A._data.shape[-2:],
                                         cholesky=True))


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False) -> tuple:
    """(X, info) with A X = B (X A = B if not left): info is nonzero (and X NaN) where A is singular."""
    try:
        x = solve(A, B, left=left)
    except LinAlgError:
        if check_errors:
            raise
        if not left:  # X A = B is A^T X^T = B^T (solve has checked that B is a matrix)
            x, info = solve_ex(A.mT, B.mT)
            return SolveExResult(x.mT, info)
        vector = _d.is_vector_rhs(A, B)
        b = B.unsqueeze(-1) if vector else B
        x, info = _matrixwise(solve, A, b, shape=(A._data.shape[-1], b._data.shape[-1]))
        # info is A's (batch shape A's, as PyTorch's): read it where B's batch dims broadcast A's
        a_batch = A._data.shape[:-2]
        index = (0,) * (info.ndim - len(a_batch)) + tuple(slice(0, 1) if k == 1 else slice(None) for k in a_batch)
        return SolveExResult(x.squeeze(-1) if vector else x, info[index])
    return SolveExResult(x, _info(A, A._data.shape[:-2]))


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False) -> Tensor:
    """X with T X = B (X T = B if not left), T the upper or lower triangle of A (unit diagonal if unitriangular)."""
    _d.check_matrix(A, "linalg.solve_triangular", kernel="triangular_solve_cpu")
    if B._data.ndim < 2:
        raise RuntimeError(f"linalg.solve_triangular: The input tensor B must have at least 2 dimensions, got "
                           f"{B._data.ndim}")
    t = A.triu() if upper else A.tril()
    if unitriangular:
        t = t - t.diagonal(0, -2, -1).diag_embed() + _d._eye_like(A, A._data.shape[-1])
    return solve(t, B, left=left)


# -- norms ---------------------------------------------------------------------------------------------------------
def _matrix_dims(A: Tensor, dim, op: str) -> tuple:
    if not isinstance(A, Tensor):
        raise TypeError(f"{op}(): argument 'A' must be Tensor, not {type(A).__name__}")
    dim = tuple(dim)
    if len(dim) != 2:
        raise RuntimeError(f"{op}: dim must be a 2-tuple. Got {' '.join(map(str, dim))}")
    nd = A._data.ndim
    if nd < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    d0, d1 = (d % nd if -nd <= d < nd else None for d in dim)
    if d0 is None or d1 is None:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got "
                         f"{dim})")
    if d0 == d1:
        raise RuntimeError(f"{op}: dims must be different. Got ({dim[0]}, {dim[1]})")
    return d0, d1


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """'fro' (Frobenius), 'nuc' (sum of singular values), +-2 (extreme singular values), +-1 (extreme column
    abs sums), +-inf (extreme row abs sums) of the matrices in dims `dim`."""
    d0, d1 = _matrix_dims(A, dim, "linalg.matrix_norm")
    if dtype is not None:
        A = A.to(dtype)
    if A._data.dtype.kind not in "fV":
        raise RuntimeError(f"linalg.matrix_norm: Expected a floating point or complex tensor as input. Got {A.dtype}")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        moved = A.movedim((d0, d1), (-2, -1))
        s = svdvals(moved)
        r = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
        if keepdim:
            r = r.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
        return r
    if ord in (1, -1, math.inf, -math.inf):
        summed, other = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(summed, keepdim=True)
        r = sums.amax(other, keepdim=True) if ord > 0 else sums.amin(other, keepdim=True)
        return r if keepdim else r.squeeze((d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """A vector norm (dim an int, or A 1-d) or a matrix norm (dim a 2-tuple, or A 2-d); ord=None is the 2-norm
    of the flattened tensor, or the Frobenius norm."""
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    nd = A._data.ndim
    if nd not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {nd}D.")
    if nd == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)


def cond(A: Tensor, p=None) -> Tensor:
    """The condition number ||A|| ||A^-1|| in norm p (None or 2: largest / smallest singular value)."""
    if p in (None, 2, -2):
        s = svdvals(A)
        hi, lo = s.amax(-1), s.amin(-1)
        return hi / lo if p != -2 else lo / hi
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


def matrix_rank(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The number of singular values above max(atol, rtol * largest singular value)."""
    _d.check_matrix(A, "linalg.matrix_rank", square=False, low_precision="raise")
    s = svdvals(A.detach())._data
    xp = get_array_module(s)
    if rtol is None:
        rtol = 0.0 if atol is not None and float(atol) > 0 else float(np.finfo(s.dtype).eps) * max(A._data.shape[-2:])
    smax = s.max(axis=-1, keepdims=True) if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), s.dtype)
    tol = xp.maximum(0.0 if atol is None else float(atol), float(rtol) * smax)
    return Tensor._wrap(xp.asarray((s > tol).sum(axis=-1), dtype=np.int64))


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None) -> tuple:
    """The least-squares solution of A X = B (via the pseudo-inverse), with residuals (m > n, full rank, and a
    driver other than the default 'gelsy') and the rank."""
    _d.check_matrix(A, "linalg.lstsq", square=False, low_precision="raise")
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss), got "
                           f"{driver!r}")
    if not 0 <= A._data.ndim - B._data.ndim <= 1:
        raise RuntimeError(f"torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and "
                           f"(input.dim() - other.dim()) <= 1 (got A of shape {list(A.shape)} and B of shape "
                           f"{list(B.shape)})")
    vector = B._data.ndim == A._data.ndim - 1
    b = B.unsqueeze(-1) if vector else B
    x = matmul(pinv(A, rtol=rcond) if rcond is not None else pinv(A), b)
    rank = matrix_rank(A, rtol=rcond)
    m, n = A._data.shape[-2:]
    xp = get_array_module(A._data)
    singular = Tensor._wrap(xp.empty((0,), A._data.dtype))
    residuals = x.reshape(-1)[:0]  # empty, but part of the graph like PyTorch's (requires_grad follows x)
    if driver in ("gelsd", "gelss"):
        singular = svdvals(A.detach())
    if driver not in (None, "gelsy") and m > n and bool((rank._data == n).all()):
        residuals = ((matmul(A, x) - b) ** 2).sum(-2)
        residuals = residuals.squeeze(-1) if vector else residuals
    return LstsqResult(x.squeeze(-1) if vector else x, residuals, rank, singular)


def multi_dot(tensors) -> Tensor:
    """The product of a chain of matrices (the first may be a row vector, the last a column vector)."""
    tensors = list(tensors)
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"multi_dot(): argument 'tensors' must be a sequence of Tensors, not {type(t).__name__}")
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first_vec, last_vec = tensors[0]._data.ndim == 1, tensors[-1]._data.ndim == 1
    if first_vec:
        tensors[0] = tensors[0].unsqueeze(0)
    if last_vec:
        tensors[-1] = tensors[-1].unsqueeze(-1)
    for i, t in enumerate(tensors):
        if t._data.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t._data.ndim}D")
    result = tensors[0]
    for t in tensors[1:]:
        result = matmul(result, t)
    if first_vec:
        result = result.squeeze(0)
    if last_vec:
        result = result.squeeze(-1)
    return result


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    return _cross(input, other, dim)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """sum(x * y) along dim (broadcasting)."""
    for t in (x, y):
        if not isinstance(t, Tensor):
            raise TypeError(f"linalg.vecdot(): arguments must be Tensors, not {type(t).__name__}")
        if t._data.dtype.kind not in "fV":
            raise RuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as input. Got {t.dtype}")
    if x.dtype != y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type {x.dtype} and "
                           f"y of type {y.dtype} instead")
    return (x * y).sum(dim)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    return _diagonal(A, offset, dim1, dim2)


from .ops.lu import linalg_lu as lu, linalg_lu_solve as lu_solve, lu_factor, lu_factor_ex  # noqa: E402

__all__ += ["lu", "lu_factor", "lu_factor_ex", "lu_solve"]
