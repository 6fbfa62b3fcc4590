"""Registry entries for tensorlite/ops/decomp.py, the top-level matrix functions: det, logdet, slogdet,
inverse, pinverse, matrix_power, matrix_exp, svd, cholesky and qr (tl.linalg's are in linalg_api.py).

Samples are well conditioned by construction (`matrix`: U diag(s) V^T with singular values spread
over [1, 3]), so finite differences are accurate and singular vectors are unique up to sign.
Factors with a sign ambiguity are compared after fixing it the same way in both libraries
(`svd_gauge`, `qr_gauge`, `eigh_gauge`: each vector's largest-magnitude entry made positive, or
R's diagonal made positive), which keeps their gradients comparable too. Cholesky and eigh read
one triangle only, so their entries factor A A^T (or eigendecompose A + A^T): a symmetric input
whose gradient finite differences can check in every entry.
"""
from __future__ import annotations

import warnings

import numpy as np

from ...ops import decomp as D
from . import ErrorSample, OpInfo, Sample, arr
from ._common import _t_quiet as _quiet, _torch, _z
from ._not_tensor import add_not_tensor_errors


def _int(*shape):
    return np.ones(shape, dtype=np.int64)


# -- well-conditioned samples --------------------------------------------------------------------------------
def matrix(rng, *shape, low: float = 1.0, high: float = 3.0) -> np.ndarray:
    """A (batch of) m x n matrices U diag(s) V^T: orthonormal U, V, distinct singular values s in [low, high]."""
    *batch, m, n = shape
    k = min(m, n)
    u = np.linalg.qr(rng.standard_normal((*batch, m, m)))[0][..., :k]
    v = np.linalg.qr(rng.standard_normal((*batch, n, n)))[0][..., :k]
    s = np.linspace(high, low, k) if k > 1 else np.full(k, (low + high) / 2)
    return (u * s) @ np.swapaxes(v, -1, -2)


def symmetric(rng, n: int, *batch, eigenvalues=None) -> np.ndarray:
    """Q diag(w) Q^T with distinct eigenvalues w (default spread over [-2, 2])."""
    q = np.linalg.qr(rng.standard_normal((*batch, n, n)))[0]
    w = np.linspace(-2, 2, n) if eigenvalues is None else np.asarray(eigenvalues, dtype=np.float64)
    return (q * w) @ np.swapaxes(q, -1, -2)


# -- gauge fixing, the same code for tensorlite and PyTorch tensors ------------------------------------------------
def column_signs(vectors):
    """+-1 per column: the sign of the column's largest-magnitude entry (a smooth function away from ties)."""
    index = vectors.abs().argmax(-2, keepdim=True)
    return vectors.gather(-2, index).sign()


def _fixed(vectors, signs, k: int) -> tuple:
    """The first k columns flipped by `signs`, any further ones (a full basis) by their own signs."""
    first = vectors[..., :k] * signs
    rest = vectors[..., k:]
    return first, rest * column_signs(rest) if rest.shape[-1] else rest


def svd_gauge(u, s, v) -> tuple:
    """(U, S, V) with V's columns the right singular vectors, made sign-unique: U's columns fixed, V's flipped alike."""
    k = s.shape[-1]
    signs = column_signs(u[..., :k])
    return (*_fixed(u, signs, k), s, *_fixed(v, signs, k))


def eigh_gauge(w, q) -> tuple:
    return w, q * column_signs(q)


def qr_gauge(q, r) -> tuple:
    """(Q, R) with R's diagonal made positive (unique for full-rank inputs), any further columns of Q fixed."""
    k = min(r.shape[-2], r.shape[-1])
    d = r[..., :k, :k].diagonal(0, -2, -1).sign()
    r_fixed = r[..., :k, :] * d.unsqueeze(-1)
    if q.numel() == 0:  # mode="r"
        return q, r_fixed
    return (*_fixed(q, d.unsqueeze(-2), k), r_fixed)


def _gram(a):
    """A A^T: symmetric (positive definite for full-rank square A), as a differentiable function of every entry."""
    return a @ a.mT


# -- det, logdet, slogdet ------------------------------------------------------------------------------------------
def _det_samples(rng):
    yield Sample((matrix(rng, 3, 3),), desc="3 x 3")
    yield Sample((matrix(rng, 2, 3, 3),), desc="batched")
    yield Sample((-matrix(rng, 3, 3),), desc="sign flipped")
    yield Sample((matrix(rng, 1, 1),), desc="1 x 1")
    yield Sample((arr(rng, 0, 0),), desc="0 x 0")
    yield Sample((arr(rng, 2, 0, 0),), desc="batch of 0 x 0")
    yield Sample((np.array([[1.0, 2.0], [2.0, 4.0]]),), grad=(False,), desc="singular")


def _det_singular_samples(rng):
    yield Sample((np.array([[1.0, 2.0], [2.0, 4.0]]),), desc="singular: the gradient from the cofactors")
    yield Sample((np.stack([np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 1.0], [0.0, 0.0, 3.0]]), matrix(rng, 3, 3)]),),
                 desc="a singular matrix in a batch")


def _square_errors(op: str, int_error=RuntimeError):
    def errors():
        yield ErrorSample((_z(3),), match="at least 2 dimensions", desc="1-d input")
        yield ErrorSample((_z(2, 3),), match="square", desc="non-square")
        yield ErrorSample((_int(2, 2),), error=int_error, desc="int64 input")

    return errors


def _slogdet_samples(rng):
    yield from (s for s in _det_samples(rng) if "singular" not in s.desc)  # log|0|: -inf, no gradient
    yield Sample((np.array([[1.0, 2.0], [2.0, 4.0]]),), grad=(False,), desc="singular: sign 0, -inf")


def _logdet_samples(rng):
    yield from (s for s in _det_samples(rng) if s.desc in ("3 x 3", "batched", "1 x 1", "0 x 0", "batch of 0 x 0"))
    yield Sample((np.array([[1.0, 2.0], [2.0, 4.0]]),), grad=(False,), desc="singular: -inf")
    yield Sample((-matrix(rng, 2, 2),), desc="negated 2 x 2 (a positive determinant)")
    yield Sample((np.array([[0.0, 1.0], [1.0, 0.0]]),), grad=(False,), desc="negative determinant: NaN")


# -- inverse, pinverse, matrix_power, matrix_exp -------------------------------------------------------------------
def _inverse_samples(rng):
    yield Sample((matrix(rng, 3, 3),), desc="3 x 3")
    yield Sample((matrix(rng, 2, 3, 3),), desc="batched")
    yield Sample((matrix(rng, 1, 1),), desc="1 x 1")
    yield Sample((arr(rng, 0, 0),), desc="0 x 0")


def _inverse_errors():
    yield from _square_errors("inverse")()
    yield ErrorSample((np.array([[1.0, 2.0], [2.0, 4.0]]),), desc="singular")


def _pinverse_samples(rng):
    yield Sample((matrix(rng, 4, 3),), desc="tall")
    yield Sample((matrix(rng, 2, 4),), desc="wide")
    yield Sample((matrix(rng, 2, 3, 3),), desc="batched square")
    yield Sample((matrix(rng, 4, 3), 1e-3), desc="rcond")
    yield Sample((np.diag([2.0, 1.0, 1e-20]),), grad=(False,), desc="rank-deficient: tiny singular value dropped")
    yield Sample((arr(rng, 0, 3),), desc="empty")


def _pinverse_errors():
    yield ErrorSample((_z(3),), desc="1-d input")
    yield ErrorSample((_int(2, 2),), desc="int64 input")


def _matrix_power_samples(rng):
    a = matrix(rng, 3, 3, low=0.5, high=1.5)
    for n in (1, 2, 3, 6, -1, -3):
        yield Sample((a, n), desc=f"n={n}")
    # PyTorch's identity for n=0 is part of the graph (a zero gradient), tensorlite's a constant
    yield Sample((a, 0), grad=(False,), desc="n=0")
    yield Sample((matrix(rng, 2, 3, 3, low=0.5, high=1.5), 3), desc="batched")
    yield Sample((arr(rng, 0, 0), 2), desc="0 x 0")
    yield Sample((np.array([[1, 1], [1, 0]]), 10), desc="int64 (Fibonacci)")


def _matrix_power_errors():
    yield ErrorSample((_z(3), 2), desc="1-d input")
    yield ErrorSample((_z(2, 3), 2), desc="non-square")
    yield ErrorSample((np.array([[1.0, 2.0], [2.0, 4.0]]), -1), desc="singular, negative power")


def _matrix_exp_samples(rng):
    yield Sample((arr(rng, 3, 3, low=-0.5, high=0.5),), desc="small norm")
    yield Sample((arr(rng, 3, 3, low=-3, high=3),), desc="scaling and squaring")
    yield Sample((arr(rng, 2, 2, 2),), desc="batched")
    yield Sample((arr(rng, 1, 1),), desc="1 x 1")
    yield Sample((np.zeros((3, 3)),), desc="zero: the identity")
    yield Sample((arr(rng, 0, 0),), desc="0 x 0")


def _matrix_exp_errors():
    yield ErrorSample((_z(3),), desc="1-d input")
    yield ErrorSample((_z(2, 3),), desc="non-square")


# -- svd, cholesky, qr ---------------------------------------------------------------------------------------------
def gauged(fn, gauge):
    """fn's factors with their sign ambiguity fixed by `gauge`."""
    return lambda *args, **kwargs: gauge(*fn(*args, **kwargs))


def _svd_gauge(u, s, v):
    return (u, s, v) if not u.abs().sum() else svd_gauge(u, s, v)  # compute_uv=False: U and V are zeros


def _svd_samples(rng):
    yield Sample((matrix(rng, 3, 3),), desc="square")
    yield Sample((matrix(rng, 4, 3),), desc="tall")
    yield Sample((matrix(rng, 2, 4),), desc="wide")
    yield Sample((matrix(rng, 2, 4, 3),), desc="batched")
    yield Sample((matrix(rng, 4, 3), False), grad=(False,), desc="some=False: full U (forward only)")
    yield Sample((matrix(rng, 2, 3),), {"some": False}, grad=(False,), desc="some=False: full V (forward only)")
    yield Sample((matrix(rng, 3, 3),), {"some": False}, desc="some=False, square")
    yield Sample((matrix(rng, 4, 3),), {"compute_uv": False}, desc="compute_uv=False")
    yield Sample((arr(rng, 0, 3),), grad=(False,), desc="empty")


def _svd_errors():
    yield ErrorSample((_z(3),), desc="1-d input")
    yield ErrorSample((_int(2, 2),), desc="int64 input")


def _cholesky(lib):
    def call(a, *args, **kwargs):
        with warnings.catch_warnings():  # torch.cholesky is deprecated
            warnings.simplefilter("ignore")
            return lib().cholesky(_gram(a), *args, **kwargs)

    return call


def _cholesky_samples(rng):
    yield Sample((matrix(rng, 3, 3),), desc="3 x 3")
    yield Sample((matrix(rng, 3, 3), True), desc="upper")
    yield Sample((matrix(rng, 2, 3, 3),), desc="batched")
    yield Sample((matrix(rng, 1, 1),), desc="1 x 1")
    yield Sample((arr(rng, 0, 0),), desc="0 x 0")


def _cholesky_errors():
    yield ErrorSample((_z(3),), desc="1-d input")
    yield ErrorSample((_z(2, 3),), desc="non-square")
    yield ErrorSample((_int(2, 2),), desc="int64 input")
    yield ErrorSample((np.array([[1.0, 2.0], [2.0, 1.0]]),), desc="not positive-definite")



def _qr_samples(rng):
    yield Sample((matrix(rng, 3, 3),), desc="square")
    yield Sample((matrix(rng, 4, 3),), desc="tall")
    yield Sample((matrix(rng, 2, 4, 3),), desc="batched")
    yield Sample((matrix(rng, 3, 3), False), desc="some=False, square")
    yield Sample((matrix(rng, 4, 3), False), grad=(False,), desc="some=False, tall: complete Q (forward only)")
    yield Sample((matrix(rng, 2, 4),), grad=(False,), desc="wide (no derivative)")


def _qr_errors():
    yield ErrorSample((_z(3),), desc="1-d input")
    yield ErrorSample((_int(2, 2),), desc="int64 input")


OPS = [
    OpInfo("det", D.det, _quiet("det"), _det_samples, _square_errors("det")),
    OpInfo("det.singular", D.det, None, _det_singular_samples,
           notes="PyTorch 2.13's gradient at an exactly singular matrix is 0 (it fails its own gradcheck): the "
           "cofactors, checked by finite differences only"),
    OpInfo("logdet", D.logdet, _quiet("logdet"), _logdet_samples, _square_errors("logdet")),
    OpInfo("slogdet", D.slogdet, _quiet("slogdet"), _slogdet_samples, _square_errors("slogdet")),
    OpInfo("inverse", D.inverse, _quiet("inverse"), _inverse_samples, _inverse_errors),
    OpInfo("pinverse", D.pinverse, _quiet("pinverse"), _pinverse_samples, _pinverse_errors),
    OpInfo("matrix_power", D.matrix_power, _quiet("matrix_power"), _matrix_power_samples, _matrix_power_errors),
    OpInfo("matrix_exp", D.matrix_exp, _quiet("matrix_exp"), _matrix_exp_samples, _matrix_exp_errors,
           extra={"no_bfloat16": True}, notes="PyTorch 2.13's bfloat16 matrix_exp returns NaN and huge values"),
    OpInfo("svd", gauged(D.svd, _svd_gauge), gauged(_quiet("svd"), _svd_gauge), _svd_samples, _svd_errors,
           notes="U and V compared after fixing their signs (svd_gauge)"),
    OpInfo("cholesky", _cholesky(lambda: D), _cholesky(_torch), _cholesky_samples,
           notes="of A A^T: symmetric for every perturbation of A"),
    OpInfo("cholesky.raw", D.cholesky, _quiet("cholesky"), lambda rng: iter(()), _cholesky_errors,
           notes="error samples only, on the input itself"),
    OpInfo("qr", gauged(D.qr, qr_gauge), gauged(_quiet("qr"), qr_gauge), _qr_samples, _qr_errors,
           notes="compared after making R's diagonal positive"),
]

add_not_tensor_errors(OPS, {name: () for name in ("det", "logdet", "slogdet", "inverse", "pinverse", "matrix_exp", "svd",
                                                  "cholesky.raw", "qr")})
add_not_tensor_errors(OPS, {"matrix_power": (2,)})
