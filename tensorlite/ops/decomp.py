"""Matrix functions and decompositions: inv, det, slogdet, solve, cholesky, qr, eigh, svd, pinv, matrix_exp.

Forward runs NumPy's (or CuPy's) LAPACK-backed routines on the last two dims (the rest are batch
dims); each backward is the standard matrix-calculus formula written in Tensor ops, so gradients of
gradients work. Singular or non-positive-definite inputs raise `LinAlgError`, a RuntimeError, as in
PyTorch. The public `tl.linalg` namespace (tensorlite/linalg.py) is built on these.
"""
from __future__ import annotations


import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module
from ..backend.device import cupyx_module
from ..tensor import Tensor
from .arithmetic import sum_to_shape
from ._reduce_common import _named
from .elementwise_binary import where
from .linalg import matmul

__all__ = ["det", "logdet", "slogdet", "inverse", "pinverse", "matrix_power", "matrix_exp", "svd", "cholesky",
           "qr"]


class LinAlgError(RuntimeError):
    """A matrix that the requested factorization or inverse does not exist for (PyTorch's linalg.LinAlgError)."""


# torch.linalg's functions name their results linalg_*; the older top-level forms plain
SlogdetResult = _named("linalg_slogdet", "sign logabsdet")
LegacySlogdetResult = _named("slogdet", "sign logabsdet")
QRResult = _named("linalg_qr", "Q R")
LegacyQRResult = _named("qr", "Q R")
EighResult = _named("linalg_eigh", "eigenvalues eigenvectors")
SVDResult = _named("linalg_svd", "U S Vh")
LegacySVDResult = _named("svd", "U S V")


_TORCH_DTYPE = {"b": "Bool", "i": "Long", "u": "Byte"}  # PyTorch's names in dtype-dispatch errors


def check_matrix(A, op: str, square: bool = True, low_precision: str = "kernel", kernel: str = "") -> None:
    """A float32/float64 tensor with at least 2 dims (square ones if `square`), as LAPACK needs.

    float16/bfloat16 inputs, as PyTorch treats them: low_precision="raise" (an op that checks the dtype first):
    always an error; "kernel" (an op whose CPU kernel lacks the dtype): an error unless the input is empty (no
    kernel runs); "allow": accepted. Integer/bool inputs: RuntimeError, or, for an op whose PyTorch form goes
    straight to its CPU kernel (named by `kernel`), NotImplementedError as PyTorch's dtype dispatch raises.
    """
    if not isinstance(A, Tensor):
        raise TypeError(f"{op}(): argument 'A' must be Tensor, not {type(A).__name__}")
    if A._data.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if square and A._data.shape[-1] != A._data.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are {A._data.shape[-2]} by "
                           f"{A._data.shape[-1]} matrices")
    kind, size = A._data.dtype.kind, A._data.itemsize
    if kind not in "fV":
        if kernel:
            raise NotImplementedError(f"{op}: \"{kernel}\" not implemented for '{_TORCH_DTYPE.get(kind, kind)}' "
                                      f"(got {A.dtype}; expected a floating point tensor)")
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got {A.dtype}")
    if (size < 4 or kind == "V") and low_precision != "allow":
        if low_precision == "raise":  # NotImplementedError, a RuntimeError: PyTorch raises either, by the arguments
            raise NotImplementedError(f"{op}: Low precision dtypes not supported. Got {A.dtype}")
        if A._data.size:
            raise NotImplementedError(f"{op}: not implemented for {A.dtype} (LAPACK takes float32 and float64)")


def _lapack(fn, op: str, what: str, like=None):
    """Run fn(), turning the array library's LinAlgError into ours (message naming the op).

    CuPy reports a failed factorization only inside cupyx.errstate(linalg="raise") (else it returns NaN).
    """
    xp = get_array_module(like) if like is not None else np
    try:
        if xp is not np:
            with cupyx_module().errstate(linalg="raise"):
                return fn()
        return fn()
    except Exception as e:  # numpy.linalg.LinAlgError, cupy's equivalent
        if type(e).__name__ != "LinAlgError":
            raise
        raise LinAlgError(f"{op}: {what} ({e})") from None


def mT(t: Tensor) -> Tensor:
    return t.transpose(-2, -1)


def _eye_like(t: Tensor, n: int) -> Tensor:
    return Tensor._wrap(get_array_module(t._data).eye(n, dtype=t._data.dtype))


# -- inverse, determinants, solve ----------------------------------------------------------------------------
class Inv(Function):
    """Y = A^-1. Gradient: -Y^T g Y^T."""

    keep_inputs, save_output = False, True

    def forward(self, a):
        xp = get_array_module(a)
        return _lapack(lambda: xp.linalg.inv(a), "linalg.inv", "the input matrix is singular", a)

    def backward(self, grad):
        y = mT(self.output())
        return -matmul(matmul(y, grad), y)


class Det(Function):
    """d = det A. Gradient: g adj(A)^T, i.e. g d A^-T, or from the SVD where A is singular (`_cofactors`)."""

    save_output = True

    def forward(self, a):
        return get_array_module(a).linalg.det(a)

    def backward(self, grad):
        a = self.inputs[0]
        try:
            inv_t = mT(Inv.apply(a))
        except LinAlgError:  # a singular matrix in the batch: its cofactors are still defined (rank n-1: nonzero)
            return grad.unsqueeze(-1).unsqueeze(-1) * _cofactors(a)
        return (grad * self.output()).unsqueeze(-1).unsqueeze(-1) * inv_t


def _cofactors(a: Tensor) -> Tensor:
    """adj(A)^T = det(U) det(V) U diag(prod_{j != i} s_j) V^T for A = U diag(s) V^T: no inverse needed."""
    from .join import cat

    u, s, vh = SVD.apply(a)
    xp = get_array_module(a._data)
    sign = Tensor._wrap(xp.linalg.det(u._data) * xp.linalg.det(vh._data))  # +-1: a constant
    ones = Tensor._wrap(xp.ones(s._data.shape[:-1] + (1,), s._data.dtype))
    before = cat([ones, s[..., :-1]], -1).cumprod(-1)  # prod_{j < i} s_j
    after = cat([s[..., 1:], ones], -1).flip(-1).cumprod(-1).flip(-1)  # prod_{j > i} s_j
    return matmul(u * (before * after * sign.unsqueeze(-1)).unsqueeze(-2), vh)


class Slogdet(Function):
    """(sign, log|det A|). Gradient of log|det A|: g A^-T (sign is piecewise constant)."""

    def forward(self, a):
        sign, logabs = get_array_module(a).linalg.slogdet(a)
        return sign, logabs

    def backward(self, grad_sign, grad_logabs):
        return grad_logabs.unsqueeze(-1).unsqueeze(-1) * mT(Inv.apply(self.inputs[0]))


class Solve(Function):
    """X = A^-1 B (B with a trailing column dim). Gradients: gB = A^-T g, gA = -gB X^T (summed over broadcast)."""

    save_output = True

    def forward(self, a, b):
        xp = get_array_module(a)
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a_b = xp.broadcast_to(a, batch + a.shape[-2:])
        b_b = xp.broadcast_to(b, batch + b.shape[-2:])
        return _lapack(lambda: xp.linalg.solve(a_b, b_b), "linalg.solve", "the input matrix is singular", a)

    def backward(self, grad):
        a, b = self.inputs
        gb = Solve.apply(mT(a), grad)
        ga = -matmul(gb, mT(self.output())) if self.needs_input_grad[0] else None
        return (sum_to_shape(ga, a._data.shape) if ga is not None else None,
                sum_to_shape(gb, b._data.shape) if self.needs_input_grad[1] else None)


def inv(A: Tensor) -> Tensor:
    check_matrix(A, "linalg.inv", low_precision="raise")
    return Inv.apply(A)


def det(A: Tensor) -> Tensor:
    check_matrix(A, "linalg.det")
    return Det.apply(A)


def linalg_slogdet(A: Tensor) -> tuple:
    """(sign, log|det A|) of each matrix: the log-determinant without overflow."""
    check_matrix(A, "linalg.slogdet", low_precision="raise")
    return SlogdetResult(*Slogdet.apply(A))


def slogdet(input: Tensor) -> tuple:
    return LegacySlogdetResult(*linalg_slogdet(input))


def logdet(input: Tensor) -> Tensor:
    """log det A: NaN where det A < 0, -inf where it is 0."""
    sign, logabs = linalg_slogdet(input)
    return where(sign < 0, float("nan"), where(sign == 0, float("-inf"), logabs))


inverse = inv


def is_vector_rhs(A: Tensor, B: Tensor) -> bool:
    """Whether solve's B is a vector (or a batch of vectors, A's batch shape exactly) rather than matrices."""
    return B._data.ndim == 1 or (B._data.ndim == A._data.ndim - 1 and B._data.shape == A._data.shape[:-1])


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B (X A = B when left=False); B may be a vector (or a batch of vectors)."""
    check_matrix(A, "linalg.solve")
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.solve(): argument 'B' must be Tensor, not {type(B).__name__}")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type {A.dtype} "
                           f"and B of type {B.dtype} instead")
    if B._data.ndim < 1:
        raise RuntimeError(f"linalg.solve: The input tensor B must have at least 2 dimensions (got shape "
                           f"{list(B.shape)}, with A of shape {list(A.shape)})")
    if not left:
        if B._data.ndim < 2 or is_vector_rhs(A, B):  # X A = B has no vector form
            raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation XA = B "
                               f"({list(A.shape)} and {list(B.shape)})")
        return mT(solve(mT(A), mT(B)))
    n = A._data.shape[-1]
    vector = is_vector_rhs(A, B)
    b = B.unsqueeze(-1) if vector else B
    if b._data.shape[-2] != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({list(A.shape)} and {list(B.shape)})")
    x = Solve.apply(A, b)
    return x.squeeze(-1) if vector else x


# -- factorizations ------------------------------------------------------------------------------------------------
class Cholesky(Function):
    """L with A = L L^T (lower). Gradient: S = L^-T Phi(L^T g) L^-1 symmetrised, Phi = lower triangle, half diagonal."""

    keep_inputs, save_output = False, True

    def forward(self, a):
        xp = get_array_module(a)
        return _lapack(lambda: xp.linalg.cholesky(a), "linalg.cholesky",
                       "The factorization could not be completed because the input is not positive-definite", a)

    def backward(self, grad):
        L = self.output()
        phi = matmul(mT(L), grad).tril()
        phi = phi - 0.5 * phi.diagonal(0, -2, -1).diag_embed()
        L_inv = Inv.apply(L)
        s = matmul(matmul(mT(L_inv), phi), L_inv)
        return 0.5 * (s + mT(s))


def cholesky(A: Tensor, upper: bool = False, *, _legacy: bool = True) -> Tensor:
    """The Cholesky factor of a symmetric positive-definite A: lower L (A = L L^T), or U = L^T if upper."""
    # torch.cholesky (legacy) skips linalg.cholesky's dtype check: its CPU kernel rejects integer inputs
    check_matrix(A, "linalg.cholesky", kernel="cholesky_cpu" if _legacy else "")
    L = Cholesky.apply(A)
    return mT(L) if upper else L


class QR(Function):
    """A = Q R (reduced: Q is m x k, R is k x n, k = min(m, n)).

    Gradient (m >= n): M = R gR^T - gQ^T Q; gA = (gQ + Q copyltu(M)) R^-T, copyltu mirroring M's lower triangle.
    """

    keep_inputs = False
    save_output = True

    def forward(self, a, mode):
        self.mode = mode
        q, r = get_array_module(a).linalg.qr(a, mode=mode)
        return q, r

    def backward(self, gq, gr):
        q, r = self.output(0), self.output(1)
        m, n = q._data.shape[-2], r._data.shape[-1]
        if m < n or (self.mode == "complete" and m > n):
            raise NotImplementedError(f"linalg.qr: the derivative is implemented only for mode='reduced' with m >= n "
                                      f"(or square inputs), got a {m} x {n} input in mode {self.mode!r}")
        M = matmul(r, mT(gr)) - matmul(mT(gq), q)
        low = M.tril(-1)
        copyltu = low + mT(low) + M.diagonal(0, -2, -1).diag_embed()
        return matmul(gq + matmul(q, copyltu), mT(Inv.apply(r)))


def linalg_qr(A: Tensor, mode: str = "reduced") -> tuple:
    """Q R factorization: mode 'reduced' (Q m x k), 'complete' (Q m x m) or 'r' (R only, Q empty)."""
    check_matrix(A, "linalg.qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           f"or 'complete'")
    if mode == "r":
        r = get_array_module(A._data).linalg.qr(A._data, mode="r")
        return QRResult(Tensor._wrap(get_array_module(A._data).empty((0,), A._data.dtype)), Tensor._wrap(r))
    return QRResult(*QR.apply(A, mode=mode))


def qr(input: Tensor, some: bool = True) -> tuple:
    """torch.qr (legacy): the reduced (some=True) or complete Q R factorization."""
    return LegacyQRResult(*linalg_qr(input, "reduced" if some else "complete"))


def _pairwise_inverse_gaps(values: Tensor) -> Tensor:
    """F_ij = 1 / (v_j - v_i) off the diagonal, 0 on it."""
    gaps = values.unsqueeze(-2) - values.unsqueeze(-1)
    n = values._data.shape[-1]
    off = Tensor._wrap(~get_array_module(values._data).eye(n, dtype=bool))
    return where(off, 1.0 / where(off, gaps, 1.0), 0.0)


class Eigh(Function):
    """A = Q diag(w) Q^T for symmetric A (ascending w).

    Gradient: the symmetric part of Q (diag(gw) + F o (Q^T gQ)) Q^T, F_ij = 1/(w_j - w_i).
    """

    keep_inputs, save_output = False, True

    def forward(self, a, uplo):
        w, q = get_array_module(a).linalg.eigh(a, UPLO=uplo)
        return w, q

    def backward(self, gw, gq):
        w, q = self.output(0), self.output(1)
        inner = gw.diag_embed() if gw is not None else 0.0
        if gq is not None:
            inner = inner + _pairwise_inverse_gaps(w) * matmul(mT(q), gq)
        ga = matmul(matmul(q, inner), mT(q))
        return 0.5 * (ga + mT(ga))  # A is symmetric: its gradient is too (as PyTorch returns it)


def eigh(A: Tensor, UPLO: str = "L") -> tuple:
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric matrices (only the UPLO triangle is read)."""
    check_matrix(A, "linalg.eigh", kernel="linalg_eigh_cpu")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"linalg.eigh: Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return EighResult(*Eigh.apply(A, uplo=UPLO))


class SVD(Function):
    """A = U diag(S) Vh (reduced). Gradient (Townsend 2016), with F_ij = 1/(s_j^2 - s_i^2):

    gA = U[(F o (U^T gU - gU^T U)) S + diag(gS) + S (F o (V^T gV - gV^T V))]V^T
         + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T)
    """

    keep_inputs, save_output = False, True

    def forward(self, a):
        u, s, vh = _lapack(lambda: get_array_module(a).linalg.svd(a, full_matrices=False), "linalg.svd",
                           "the algorithm failed to converge", a)
        return u, s, vh

    def backward(self, gu, gs, gvh):
        u, s, vh = self.output(0), self.output(1), self.output(2)
        v = mT(vh)
        m, n, k = u._data.shape[-2], v._data.shape[-2], s._data.shape[-1]
        S = s.diag_embed()
        inner = gs.diag_embed() if gs is not None else None
        if gu is not None or gvh is not None:
            F = _pairwise_inverse_gaps(s * s)
            s_inv = where(s == 0, 0.0, 1.0 / where(s == 0, 1.0, s))
        extra = None
        if gu is not None:
            ut_gu = matmul(mT(u), gu)
            term = matmul(F * (ut_gu - mT(ut_gu)), S)
            inner = term if inner is None else inner + term
            if m > k:
                proj = gu - matmul(u, ut_gu)  # (I - U U^T) gU
                extra = matmul(proj * s_inv.unsqueeze(-2), vh)
        if gvh is not None:
            gv = mT(gvh)
            vt_gv = matmul(mT(v), gv)
            term = matmul(S, F * (vt_gv - mT(vt_gv)))
            inner = term if inner is None else inner + term
            if n > k:
                proj = gv - matmul(v, vt_gv)  # (I - V V^T) gV
                right = matmul(u * s_inv.unsqueeze(-2), mT(proj))
                extra = right if extra is None else extra + right
        ga = matmul(matmul(u, inner), vh) if inner is not None else None
        if extra is not None:
            ga = extra if ga is None else ga + extra
        return ga


def svd_reduced(A: Tensor) -> tuple:
    check_matrix(A, "linalg.svd", square=False)
    return SVDResult(*SVD.apply(A))


def svd_full(A: Tensor) -> tuple:
    """The full SVD (U m x m, Vh n x n); no gradient (as for PyTorch's full_matrices=True with m != n)."""
    check_matrix(A, "linalg.svd", square=False)
    xp = get_array_module(A._data)
    u, s, vh = _lapack(lambda: xp.linalg.svd(A._data, full_matrices=True), "linalg.svd",
                       "the algorithm failed to converge", A._data)
    if A._requires_grad:
        m, n = A._data.shape[-2:]
        if m == n:
            return svd_reduced(A)
    return SVDResult(Tensor._wrap(u), Tensor._wrap(s), Tensor._wrap(vh))


def svd(input: Tensor, some: bool = True, compute_uv: bool = True) -> tuple:
    """torch.svd (legacy): (U, S, V) with V (not V^T); `some=False` gives square U and V."""
    if not compute_uv:  # PyTorch then returns zero-filled square U and V
        xp = get_array_module(input._data)
        m, n = input._data.shape[-2:]
        zeros = [Tensor._wrap(xp.zeros(input._data.shape[:-2] + (k, k), input._data.dtype)) for k in (m, n)]
        return LegacySVDResult(zeros[0], svd_reduced(input).S, zeros[1])
    u, s, vh = svd_reduced(input) if some else svd_full(input)
    return LegacySVDResult(u, s, mT(vh))


class Pinv(Function):
    """A+ (Moore-Penrose, via the SVD with singular values <= tol dropped). Gradient (constant rank):
    gA = -A+^T g A+^T + (I - A A+)^T... written out in backward."""

    keep_inputs, save_output = True, True

    def forward(self, a, atol, rtol, hermitian):
        xp = get_array_module(a)
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        smax = s.max(axis=-1, keepdims=True) if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), s.dtype)
        tol = xp.maximum(atol, rtol * smax)
        s_inv = xp.where(s > tol, 1.0 / xp.where(s > tol, s, 1), 0).astype(a.dtype)
        return xp.matmul(xp.swapaxes(vh, -1, -2) * s_inv[..., None, :], xp.swapaxes(u, -1, -2))

    def backward(self, grad):
        a, p = self.inputs[0], self.output()
        pt = mT(p)
        m, n = a._data.shape[-2:]
        left = _eye_like(a, m) - matmul(a, p)   # I - A A+   (m x m)
        right = _eye_like(a, n) - matmul(p, a)  # I - A+ A   (n x n)
        ga = -matmul(matmul(pt, grad), pt)
        ga = ga + matmul(matmul(matmul(left, mT(grad)), p), pt)
        ga = ga + matmul(matmul(matmul(pt, p), mT(grad)), right)
        return ga


def pinv(A: Tensor, *, atol: float | None = None, rtol: float | None = None, hermitian: bool = False) -> Tensor:
    """The pseudo-inverse; singular values below max(atol, rtol * largest) count as zero."""
    check_matrix(A, "linalg.pinv", square=False, low_precision="raise")
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else float(np.finfo(A._data.dtype).eps) * max(A._data.shape[-2:])
    return Pinv.apply(A, atol=0.0 if atol is None else float(atol), rtol=float(rtol), hermitian=hermitian)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    return pinv(input, rtol=rcond)


def matrix_power(input: Tensor, n: int) -> Tensor:
    """A^n by repeated squaring (n < 0: of the inverse; n = 0: the identity)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"matrix_power(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input._data.ndim < 2 or input._data.shape[-1] != input._data.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, got shape "
                           f"{list(input.shape)}")
    n = int(n)
    if n < 0:
        input, n = inv(input), -n
    if n == 0:
        eye = _eye_like(input, input._data.shape[-1])
        return eye.expand(*input._data.shape).clone()
    result, base = None, input
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result if result is not input else input.clone()


# -- matrix exponential --------------------------------------------------------------------------------------------
_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800., 129060195264000.,
           10559470521600., 670442572800., 33522128640., 1323241920., 40840800., 960960., 16380., 182., 1.)


def _expm(a, xp):
    """exp(A) by scaling and squaring with the degree-13 Pade approximant (Higham 2005)."""
    norm = xp.abs(a).sum(axis=-2).max(axis=-1) if a.size else xp.zeros(a.shape[:-2])
    theta13 = 5.371920351148152
    s = int(max(0, np.ceil(np.log2(float(norm.max()) / theta13)))) if a.size and float(norm.max()) > 0 else 0
    a = a / (2.0 ** s)
    b = _PADE13
    eye = xp.broadcast_to(xp.eye(a.shape[-1], dtype=a.dtype), a.shape)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    r = xp.linalg.solve(v - u, v + u)
    for _ in range(s):
        r = r @ r
    return r


class MatrixExp(Function):
    """Y = exp(A). Gradient: the top-right block of exp([[A^T, g], [0, A^T]])."""

    def forward(self, a):
        return _expm(a.astype(np.float64), get_array_module(a)).astype(a.dtype)

    def backward(self, grad):
        at = mT(self.inputs[0])
        n = at._data.shape[-1]
        zeros = Tensor._wrap(get_array_module(grad._data).zeros_like(grad._data))
        from .join import cat

        block = cat([cat([at, grad], -1), cat([zeros, at], -1)], -2)
        return MatrixExp.apply(block)[..., :n, n:]


def matrix_exp(A: Tensor) -> Tensor:
    """The matrix exponential sum_k A^k / k!."""
    check_matrix(A, "linalg.matrix_exp", low_precision="allow")  # computed in float64 whatever the dtype
    return MatrixExp.apply(A)


TENSOR_METHODS = {"det": det, "logdet": logdet, "slogdet": slogdet, "inverse": inverse, "pinverse": pinverse,
                  "matrix_power": matrix_power, "matrix_exp": matrix_exp, "svd": svd, "cholesky": cholesky, "qr": qr}
