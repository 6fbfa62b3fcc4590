"""Statistics built from the core ops: quantile/nanquantile, logcumsumexp, cov/corrcoef, dist, the
trapezoid rule, and the counting ops bincount and histc (tl.cdist is nn.functional's).

The differentiable ones are compositions (sort + gather + lerp for quantiles, matmul for cov, norm
for distances), so their gradients come from those ops; bincount and histc count, and have none.
"""
from __future__ import annotations

import operator

import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor
from ._pointwise import check_tensor as _check_tensor, floating as _floating, not_for as _not_for
from .elementwise import exp, log, sqrt
from .elementwise_binary import clamp, where
from .join import narrow
from .reduce import norm, sum as _sum
from .reduce_scan import cumsum
from .shape import dim_arg, reshape

__all__ = ["quantile", "nanquantile", "logcumsumexp", "cov", "corrcoef", "dist", "trapezoid", "trapz",
           "cumulative_trapezoid", "bincount", "histc"]

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


# -- quantiles ---------------------------------------------------------------------------------------------------
def _quantile(input: Tensor, q, dim, keepdim: bool, interpolation: str, op: str, ignore_nan: bool) -> Tensor:
    _check_tensor(input, op)
    if input._data.dtype not in (np.float32, np.float64):  # as PyTorch: no float16/bfloat16 kernel
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype, got {input.dtype}")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{op}() interpolation must be one of {', '.join(_INTERPOLATIONS)}. Got {interpolation!r}")
    xp = get_array_module(input._data)
    if isinstance(q, Tensor):
        if q._data.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor, got shape {list(q.shape)}")
        if q._data.dtype != input._data.dtype:
            raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor ({q.dtype} vs {input.dtype})")
        qs, q_dims = q._host().astype(np.float64), q._data.ndim
    else:
        qs, q_dims = np.asarray(float(q)), 0
    if ((qs < 0) | (qs > 1)).any():
        raise RuntimeError(f"{op}() q must be in the range [0, 1] but got {qs.tolist()}")
    nd = input._data.ndim
    x = reshape(input, (-1,)) if dim is None else input
    d = 0 if dim is None else dim_arg(dim, nd, op)
    n = x._data.shape[d] if x._data.ndim else 1
    if input._data.size == 0 or n == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    x = x.movedim(d, -1) if x._data.ndim else reshape(x, (1,))
    values = x.sort(-1).values  # NaN sorts last
    nan = xp.isnan(values._data)
    count = (n - nan.sum(-1)) if ignore_nan else xp.full(values._data.shape[:-1], n)
    qa = xp.asarray(qs).reshape(qs.shape + (1,) * (values._data.ndim - 1))
    pos = xp.asarray(qa * (count - 1))  # shape q.shape + reduced shape (asarray: 0-d results are scalars)
    if interpolation == "nearest":
        pos = xp.asarray(xp.rint(pos))
    lo = xp.asarray(xp.clip(xp.floor(pos), 0, n - 1)).astype(np.int64)
    hi = xp.asarray(xp.clip(xp.ceil(pos), 0, n - 1)).astype(np.int64)
    if not ignore_nan:  # a slice holding NaN reads its last sorted value, a NaN (an all-NaN slice of
        # nanquantile reads its first): the result is NaN and its gradient goes to that element, as in PyTorch
        has_nan = nan.any(-1)
        lo, hi = xp.where(has_nan, n - 1, lo), xp.where(has_nan, n - 1, hi)
    full = values.expand(*(qs.shape + values._data.shape)) if q_dims else values

    def at(index):
        return full.gather(-1, Tensor._wrap(index[..., None])).squeeze(-1)

    if interpolation in ("lower", "nearest"):
        result = at(lo)
    elif interpolation == "higher":
        result = at(hi)
    else:
        v_lo, v_hi = at(lo), at(hi)
        if interpolation == "midpoint":
            result = (v_lo + v_hi) * 0.5
        else:
            weight = Tensor._wrap(xp.asarray(pos - lo).astype(input._data.dtype))
            result = v_lo + (v_hi - v_lo) * weight
    if keepdim:
        kept = [1] * nd if dim is None else list(input._data.shape)
        if dim is not None and nd:
            kept[d] = 1
        result = reshape(result, tuple(qs.shape) + tuple(kept))
    return result


def quantile(input: Tensor, q, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:
    """The q-th quantiles along `dim` (of all elements when dim is None); NaN if a slice holds NaN.

    With a 1-d q, the quantiles make the result's first dim.
    """
    return _quantile(input, q, dim, keepdim, interpolation, "quantile", ignore_nan=False)


def nanquantile(input: Tensor, q, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:
    """quantile ignoring NaN values (NaN only for an all-NaN slice)."""
    return _quantile(input, q, dim, keepdim, interpolation, "nanquantile", ignore_nan=True)


# -- scans ---------------------------------------------------------------------------------------------------------
class LogCumSumExp(Function):
    """y_i = log(sum_{j <= i} exp(x_j)) along dim, accumulated pairwise with logaddexp (no overflow or underflow).

    Gradient: dx_j = sum_{i >= j} g_i exp(x_j - y_i), summed in log space separately for the positive and
    the negative parts of g (PyTorch's formulation), so large |x| stays finite.
    """

    save_output = True

    def forward(self, x, dim):
        self.dim = dim
        if x.ndim == 0:
            return x.copy()
        xp = get_array_module(x)
        if xp is np:
            return np.logaddexp.accumulate(x, axis=dim)
        out = x.copy()  # CuPy: one logaddexp per step along dim
        for i in range(1, x.shape[dim]):
            prev, cur = (slice(None),) * dim + (i - 1,), (slice(None),) * dim + (i,)
            out[cur] = xp.logaddexp(out[prev], x[cur])
        return out

    def backward(self, grad):
        x, y, d = self.inputs[0], self.output(), self.dim
        if x._data.ndim == 0:
            return grad

        def reverse_logcumsumexp(z):
            return logcumsumexp(z.flip(d), d).flip(d)

        def log_positive(v):  # log v where v > 0, else -inf; the guards keep gradients of gradients finite
            keep = v > 0
            return where(keep, log(where(keep, v, 1.0)), float("-inf"))

        # Where y_i = -inf, every x_j (j <= i) is -inf too and its terms vanish: any finite y_i will do there,
        # and 0 keeps -inf - (-inf) = NaN out of this gradient and of its own gradient.
        y = where(y == float("-inf"), 0.0, y)
        result = None
        for sign in (1.0, -1.0):
            part = grad * sign
            if not (part._data > 0).any():  # a sign no element of grad has contributes nothing
                continue
            term = exp(reverse_logcumsumexp(log_positive(part) - y) + x)
            result = term * sign if result is None else result + term * sign
        return result if result is not None else grad * 0.0


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """y_i = log(sum_{j <= i} exp(x_j)) along dim."""
    _not_for(input, "logcumsumexp", "biu")
    d = dim_arg(dim, input._data.ndim, "logcumsumexp")
    return LogCumSumExp.apply(input, dim=d)


# -- covariance and distances --------------------------------------------------------------------------------------
def cov(input: Tensor, *, correction: int = 1, fweights: Tensor | None = None,
        aweights: Tensor | None = None) -> Tensor:
    """Covariance of the variables in input's rows (observations in columns), with optional weights."""
    _check_tensor(input, "cov")
    if input._data.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input._data.ndim} dimensions")
    if input._data.dtype == np.bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = _floating(input, "cov")
    x = reshape(x, (1, -1)) if x._data.ndim < 2 else x
    n_obs = x._data.shape[1]
    w = None
    for name, weights in (("fweights", fweights), ("aweights", aweights)):
        if weights is None:
            continue
        if weights._data.ndim > 1 or weights._data.shape[0] != n_obs:
            raise RuntimeError(f"cov(): expected {name} to be a 1-d tensor of {n_obs} elements, got shape "
                               f"{list(weights.shape)}")
        if name == "fweights" and weights._data.dtype.kind not in "iu":
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got {weights.dtype}")
        if (weights._data < 0).any():
            raise RuntimeError(f"cov(): {name} cannot be negative")
        w = weights if w is None else w * weights
    if w is None:
        w_sum, avg = n_obs, x.mean(1)
        norm_factor = n_obs - correction
    else:
        w = w.to(x.dtype)
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
        if correction == 0:
            norm_factor = w_sum
        elif aweights is None:
            norm_factor = w_sum - correction
        else:
            norm_factor = w_sum - correction * (w * aweights.to(x.dtype)).sum() / w_sum
    if isinstance(norm_factor, Tensor):
        norm_factor = clamp(norm_factor, min=0.0)
    else:
        norm_factor = max(norm_factor, 0)
    xm = x - avg.unsqueeze(1)
    c = ((xm * w) if w is not None else xm) @ xm.t()
    return (c / norm_factor).squeeze()


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the variables in input's rows (cov normalised by the std devs)."""
    c = cov(input)
    if c._data.ndim == 0:
        return c / c
    std = sqrt(c.diagonal())
    c = c / std.unsqueeze(1) / std.unsqueeze(0)
    return clamp(c, -1.0, 1.0)


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The p-norm of input - other (broadcast)."""
    _check_tensor(input, "dist")
    _check_tensor(other, "dist", "other")
    return norm(input - other, p)


# -- the trapezoid rule -----------------------------------------------------------------------------------------------
def _trapezoids(y: Tensor, x, dx, dim: int, op: str) -> tuple[Tensor, int]:
    """The area of each trapezoid along dim (n - 1 of them) and the wrapped dim."""
    _check_tensor(y, op, "y")
    if y._data.dtype == np.bool_:
        raise RuntimeError(f"{op}: received a bool input for `y`, but bool is not supported")
    y = _floating(y, op)
    d = dim_arg(dim, y._data.ndim, op)
    n = y._data.shape[d]
    if n == 0:
        return y, d
    pairs = narrow(y, d, 1, n - 1) + narrow(y, d, 0, n - 1)
    if x is None:
        return pairs * ((1.0 if dx is None else dx) * 0.5), d
    if x._data.ndim == 1:
        if x._data.shape[0] != n:
            raise RuntimeError(f"{op}: There must be one `x` value for each sample point ({n}), got "
                               f"{x._data.shape[0]}")
        shape = [1] * y._data.ndim
        shape[d] = -1
        x = reshape(x, tuple(shape))
        xd = d
    else:
        xd = dim_arg(dim, x._data.ndim, op)
    m = x._data.shape[xd]
    widths = narrow(x, xd, 1, m - 1) - narrow(x, xd, 0, m - 1)
    return pairs * widths * 0.5, d


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None, dim: int = -1) -> Tensor:
    """Integral of y along dim by the trapezoid rule, with sample points x (or uniform spacing dx, default 1)."""
    if x is not None and not isinstance(x, Tensor):
        raise TypeError(f"trapezoid(): argument 'x' must be Tensor, not {type(x).__name__} (pass a spacing as dx=)")
    if x is not None and dx is not None:
        raise RuntimeError("trapezoid: received both x and dx; pass only one")
    areas, d = _trapezoids(y, x, dx, dim, "trapezoid")
    if y._data.shape[d] == 0:  # no points: zeros, detached as in PyTorch (one point: a sum of no areas)
        shape = list(y._data.shape)
        del shape[d]
        return Tensor._wrap(get_array_module(areas._data).zeros(tuple(shape), areas._data.dtype))
    return _sum(areas, d)


trapz = trapezoid


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None, dim: int = -1) -> Tensor:
    """Running trapezoid-rule integral of y along dim (one fewer element along dim)."""
    if x is not None and not isinstance(x, Tensor):
        raise TypeError(f"cumulative_trapezoid(): argument 'x' must be Tensor, not {type(x).__name__} (pass a "
                        f"spacing as dx=)")
    areas, d = _trapezoids(y, x, dx, dim, "cumulative_trapezoid")
    if y._data.shape[d] == 0:
        return areas
    return cumsum(areas, d)


# -- counting ---------------------------------------------------------------------------------------------------------
def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How many times each value 0, 1, ..., max occurs (weighted sums when `weights` is given)."""
    _check_tensor(input, "bincount")
    _not_for(input, "bincount", "fVb")
    a = input._data
    if a.ndim != 1 or (a.size and (a < 0).any()):
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs (got shape {list(a.shape)})")
    minlength = operator.index(minlength)
    if minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
    xp = get_array_module(a)
    if weights is None:
        return Tensor._wrap(xp.bincount(a, minlength=minlength).astype(np.int64))
    if weights._data.shape != a.shape:
        raise RuntimeError(f"bincount: weights should be 1-d and have the same length as input (got shapes "
                           f"{list(weights.shape)} and {list(a.shape)})")
    w = weights._data
    out_dtype = w.dtype if w.dtype in (np.float32, np.float64) else np.float64  # PyTorch: float64 for the rest
    return Tensor._wrap(xp.bincount(a, weights=w.astype(np.float64), minlength=minlength).astype(out_dtype))


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """Histogram of `bins` equal bins over [min, max] (the data's range when min == max); outside values ignored."""
    _not_for(input, "histc", "biu")
    bins = operator.index(bins)
    if bins <= 0:
        raise RuntimeError(f"histc: bins must be > 0, but got {bins}")
    a = input._data.reshape(-1)
    xp = get_array_module(a)
    lo, hi = float(min), float(max)
    if lo > hi:
        raise RuntimeError(f"histc: max must be larger than min, got min={lo} and max={hi}")
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    counts, _ = xp.histogram(a.astype(np.float64), bins=bins, range=(lo, hi))
    return Tensor._wrap(counts.astype(input._data.dtype))


TENSOR_METHODS = {"quantile": quantile, "nanquantile": nanquantile, "logcumsumexp": logcumsumexp, "cov": cov,
                  "corrcoef": corrcoef, "dist": dist, "bincount": bincount, "histc": histc}
