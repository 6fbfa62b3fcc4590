"""`torch.special` for tensorlite: `import tensorlite as tl; tl.special.gammaln(x)`.

The functions are tensorlite's ops under PyTorch's special-module names (gammaln is lgamma, psi is
digamma, expit is sigmoid, gammainc is igamma, multigammaln is mvlgamma, ...); the ones only torch.special
has (i0e, i1, i1e, ndtr, ndtri, log_ndtr, erfcx, entr, xlog1py, zeta, bessel_j0, bessel_j1) live in
tensorlite/ops/special_fns.py with the rest of the special functions.
"""
from __future__ import annotations

from .ops import softmax as _softmax
from .ops.activation import sigmoid as expit
from .ops.elementwise import erf, erfc, exp2, expm1, log1p, round  # noqa: A004 - PyTorch's names
from .ops.elementwise_binary import xlogy
from .ops.math_extra import logit, sinc
from .ops.reduce import logsumexp
from .ops.special_fns import (bessel_j0, bessel_j1, digamma, entr, erfcx, erfinv, i0, i0e, i1, i1e, igamma, igammac,
                              lgamma, log_ndtr, mvlgamma, ndtr, ndtri, polygamma, xlog1py, zeta)
from .tensor import Tensor

__all__ = ["bessel_j0", "bessel_j1", "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1",
           "gammainc", "gammaincc", "gammaln", "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr", "log_softmax", "logit",
           "logsumexp", "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc", "softmax", "xlog1py",
           "xlogy", "zeta"]

gammaln = lgamma
psi = digamma
gammainc = igamma
gammaincc = igammac


def multigammaln(input: Tensor, p: int) -> Tensor:
    """Multivariate log-gamma of dimension p (torch.special.multigammaln, the same as mvlgamma)."""
    return mvlgamma(input, p)


def softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along dim (dim is required here, as in torch.special)."""
    return _softmax.softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """x_i - log(sum_j exp(x_j)) along dim."""
    return _softmax.log_softmax(input, dim, dtype=dtype)
