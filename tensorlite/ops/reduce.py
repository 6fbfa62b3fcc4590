"""Reductions: sum, mean, var/std, prod, logsumexp, norms, all/any, count_nonzero, nansum/nanmean.

Selections (max/min, amax/amin, argmax/argmin, median, mode, kthvalue) live in reduce_select.py
and scans (cumsum, cumprod, cummax, cummin) in reduce_scan.py; both are re-exported here, so
this module's __all__ / TENSOR_METHODS / INPLACE cover the whole group.

`dim` follows PyTorch: None (or ()) reduces every dim, an int or a tuple of ints picks dims,
negatives wrap, a repeated dim is a RuntimeError and an out-of-range one an IndexError; a 0-d
tensor accepts dim 0 / -1. Output dtypes follow PyTorch (sum/prod of bool or int -> int64,
mean of an int tensor raises, float32 stays float32).

Backwards are written in Tensor ops (see _reduce_common.py), so each is differentiable again.
"""
from __future__ import annotations

import builtins
import math

import numpy as np

from .. import _dtype as dt
from ..amp import policy as _amp
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor
from ._reduce_common import (Sum, check_keepdim, const, count, exp, expand_reduced, grad_mode_on, kept_shape,
                             masked_fill, numpy_aliases, reduce_axes, reduced_shape, reshape, single_axis)
from .reduce_scan import cummax, cummin, cumprod, cumsum
from .reduce_select import (amax, amin, aminmax, argmax, argmin, kthvalue, max, median, min, mode,  # noqa: A004
                            nanmedian)

__all__ = ["sum", "mean", "var", "std", "var_mean", "std_mean", "prod", "max", "min", "amax", "amin", "aminmax",
           "argmax", "argmin", "logsumexp", "norm", "vector_norm", "all", "any", "count_nonzero", "nansum",
           "nanmean", "median", "nanmedian", "mode", "kthvalue", "cumsum", "cumprod", "cummax", "cummin"]

_bmax = builtins.max
_TORCH_NAME = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char", "uint8": "Byte",
               "int16": "Short", "int32": "Int", "int64": "Long", "bool": "Bool"}


def _tname(a) -> str:
    return _TORCH_NAME.get(a.dtype.name, a.dtype.name)


def _int_result(a) -> bool:
    return a.dtype.kind in "biu"


# -- sum, mean ----------------------------------------------------------------------------------------
@numpy_aliases
def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A001
    """Sum over `dim`. Bool/int inputs sum to int64; `dtype` casts the input first. Gradient: g broadcast back."""
    if _amp.active[0] and dtype is None:
        input = _amp.cast_input("sum", input)
    axes = reduce_axes(dim, input._data.ndim, "sum")
    check_keepdim(keepdim, "sum")
    acc = None
    if dtype is not None:
        d = dt.to_dtype(dtype)
        input = input.to(d)
        acc = None if d.is_floating_point else d.np
    elif _int_result(input._data):
        acc = np.int64
    return Sum.apply(input, axes=axes, keepdim=keepdim, dtype=acc)


class Mean(Function):
    """y = sum(x)/n over `axes` (nan when n = 0). Gradient: g/n broadcast back."""

    keep_inputs = False

    def forward(self, x, axes, keepdim):
        self.in_shape, self.axes, self.keepdim = x.shape, axes, keepdim
        n = self.n = count(x.shape, axes)
        if n == 0:
            return get_array_module(x).full(reduced_shape(x.shape, axes, keepdim), np.nan, x.dtype)
        if x.dtype == np.float16:
            return (x.sum(axis=axes, keepdims=keepdim, dtype=np.float32) / n).astype(np.float16)
        return x.sum(axis=axes, keepdims=keepdim) / n

    def backward(self, grad):
        return expand_reduced(grad, self.in_shape, self.axes, self.keepdim) / self.n


def _float_input(input: Tensor, dtype, op: str, message: str) -> Tensor:
    if dtype is not None:
        d = dt.to_dtype(dtype)
        if not d.is_floating_point:
            raise RuntimeError(f"{op}(): could not infer output dtype. Optional dtype must be either a floating "
                               f"point or complex dtype. Got: {_TORCH_NAME.get(d.name, d.name)}")
        return input.to(d)
    if input._data.dtype.kind not in "fV":
        raise RuntimeError(message.format(op=op, got=_tname(input._data)))
    return input


@numpy_aliases
def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Arithmetic mean over `dim` (floating inputs only, or give `dtype`). Gradient: g/n broadcast back."""
    input = _float_input(input, dtype, "mean", "{op}(): could not infer output dtype. Input dtype must be either "
                                               "a floating point or complex dtype. Got: {got}")
    check_keepdim(keepdim, "mean")
    return Mean.apply(input, axes=reduce_axes(dim, input._data.ndim, "mean"), keepdim=keepdim)


# -- var, std ----------------------------------------------------------------------------------------------
class Var(Function):
    """y = sum((x - mean)^2) / max(0, n - correction). Gradient: g * 2 (x - mean) / (n - correction)."""

    def forward(self, x, axes, correction, keepdim):
        self.axes, self.correction, self.keepdim = axes, correction, keepdim
        n = self.n = count(x.shape, axes)
        if n == 0:
            return get_array_module(x).full(reduced_shape(x.shape, axes, keepdim), np.nan, x.dtype)
        centered = x - x.sum(axis=axes, keepdims=True) / n
        ss = (centered * centered).sum(axis=axes, keepdims=keepdim)
        dof = _bmax(0, n - correction)
        if dof == 0:  # PyTorch: inf (or nan for a zero sum), with a warning we leave out
            with np.errstate(divide="ignore", invalid="ignore"):
                return get_array_module(x).asarray(ss / x.dtype.type(0))
        return ss / dof

    def _centered_scaled(self, g: Tensor) -> Tensor:
        """g (reduced shape) -> 2 g (x - mean) / (n - correction), with mean differentiable (exact 2nd order)."""
        (x,) = self.inputs
        shape = x._data.shape
        dof = self.n - self.correction
        factor = 2.0 / dof if dof != 0 else math.inf  # PyTorch uses n - correction here, even when negative
        centered = x - Mean.apply(x, axes=self.axes, keepdim=True)
        return expand_reduced(g, shape, self.axes, self.keepdim) * centered * factor

    def backward(self, grad):
        return self._centered_scaled(grad)


class Std(Var):
    """y = sqrt(var). Gradient: var's gradient of g / (2 y), and 0 where y = 0 (as PyTorch)."""

    save_output = True

    def forward(self, x, axes, correction, keepdim):
        return get_array_module(x).sqrt(super().forward(x, axes, correction, keepdim))

    def backward(self, grad):
        out = self.output()
        zero = out._data == 0
        if zero.any():
            return self._centered_scaled(masked_fill(grad / (masked_fill(out, zero, 1.0) * 2.0), zero, 0.0))
        return self._centered_scaled(grad / (out * 2.0))


def _correction(dim, unbiased, correction, op: str):
    if isinstance(dim, bool):  # var(x, True): the legacy `unbiased` overload
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}(): pass either `unbiased` (legacy) or `correction`, not both")
    if correction is None:
        correction = 1 if unbiased is None else int(bool(unbiased))
    return dim, correction


def _var_like(cls, input, dim, unbiased, keepdim, correction, op):
    dim, correction = _correction(dim, unbiased, correction, op)
    if input._data.dtype.kind not in "fV":
        raise RuntimeError(f"{op}(): std and var only support floating point and complex dtypes, got "
                           f"{_tname(input._data)}")
    check_keepdim(keepdim, op)
    return cls.apply(input, axes=reduce_axes(dim, input._data.ndim, op), correction=correction, keepdim=keepdim)


@numpy_aliases
def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Variance with Bessel-style `correction` (default 1; legacy `unbiased=False` means 0)."""
    return _var_like(Var, input, dim, unbiased, keepdim, correction, "var")


@numpy_aliases
def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Standard deviation, sqrt(var(...)); same arguments as `var`."""
    return _var_like(Std, input, dim, unbiased, keepdim, correction, "std")


def _var_mean(cls, input, dim, unbiased, keepdim, correction, op):
    dim, correction = _correction(dim, unbiased, correction, op)
    return _var_like(cls, input, dim, None, keepdim, correction, op), mean(input, dim, keepdim)


@numpy_aliases
def var_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> tuple:
    """(var, mean) over the same dims."""
    return _var_mean(Var, input, dim, unbiased, keepdim, correction, "var_mean")


@numpy_aliases
def std_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> tuple:
    """(std, mean) over the same dims."""
    return _var_mean(Std, input, dim, unbiased, keepdim, correction, "std_mean")


# -- prod ----------------------------------------------------------------------------------------------------
def _prod_others_array(a, axis):
    """prod_{j != k} a_j along `axis` (None: the flattened array), exact with zeros: left * right exclusive products."""
    if axis is None:
        return _prod_others_array(a.reshape(-1), 0).reshape(a.shape)
    xp = get_array_module(a)
    m = xp.moveaxis(a, axis, -1)
    left = xp.ones_like(m)
    right = xp.ones_like(m)
    left[..., 1:] = xp.cumprod(m[..., :-1], axis=-1)
    right[..., :-1] = xp.cumprod(m[..., :0:-1], axis=-1)[..., ::-1]
    return xp.moveaxis(left * right, -1, axis)


def _prod_others_graph(x: Tensor, axis) -> Tensor:
    """The same product, built from Tensor ops (for create_graph with zeros in the input).

    A new axis k is broadcast in front of `axis`; the diagonal (i == k) is replaced by 1 and the
    product taken over i: prod_{i != k} x_i, exact at any order (O(n^2) memory per slice).
    """
    if axis is None:
        flat = reshape(x, (x._data.size,))
        return reshape(_prod_others_graph(flat, 0), x._data.shape)
    shape = x._data.shape
    n = shape[axis]
    big = shape[:axis] + (n,) + shape[axis:]
    xp = get_array_module(x._data)
    eye = xp.eye(n, dtype=bool).reshape((1,) * axis + (n, n) + (1,) * (len(shape) - axis - 1))
    z = masked_fill(expand_reduced(x, big, (axis,), False), eye, 1.0)
    return Prod.apply(z, axis=axis + 1, keepdim=False)


class Prod(Function):
    """y = product over `axis` (None: all). Gradient: g * prod of the other elements (exact with zeros)."""

    save_output = True

    def forward(self, x, axis, keepdim, dtype=None):
        self.axis, self.keepdim = axis, keepdim
        return x.prod(axis=axis, keepdims=keepdim, dtype=dtype)

    def backward(self, grad):
        (x,) = self.inputs
        a = x._data
        axes = None if self.axis is None else ((self.axis,) if a.ndim else ())
        g = expand_reduced(grad, a.shape, axes, self.keepdim)
        if count(a.shape, axes) <= 1:  # a product of one element is the identity
            return g
        if not (a == 0).any():
            return g * (expand_reduced(self.output(), a.shape, axes, self.keepdim) / x)
        if not grad_mode_on():  # first order only: a constant is enough
            return g * const(_prod_others_array(a, self.axis))
        return g * _prod_others_graph(x, self.axis)


@numpy_aliases
def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product over one `dim` (int) or all elements. Bool/int inputs give int64."""
    if _amp.active[0] and dtype is None:
        input = _amp.cast_input("prod", input)
    a = input._data
    axis = None if dim is None else single_axis(dim, a.ndim, "prod")
    if axis is not None and a.ndim == 0:
        axis = ()
    check_keepdim(keepdim, "prod")
    acc = None
    if dtype is not None:
        d = dt.to_dtype(dtype)
        input = input.to(d)
        acc = None if d.is_floating_point else d.np
    elif _int_result(a):
        acc = np.int64
    return Prod.apply(input, axis=axis, keepdim=keepdim, dtype=acc)


# -- logsumexp ----------------------------------------------------------------------------------------------
class LogSumExp(Function):
    """y = m + log(sum(exp(x - m))), m the max (0 where it is not finite). Gradient: g * exp(x - y)."""

    save_output = True

    def forward(self, x, axes, keepdim):
        self.axes, self.keepdim = axes, keepdim
        xp = get_array_module(x)
        if count(x.shape, axes) == 0:
            return xp.full(reduced_shape(x.shape, axes, keepdim), -np.inf, x.dtype)
        m = xp.amax(x, axis=axes, keepdims=True)
        finite = xp.isfinite(m)
        if finite.all():
            out = xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True)) + m
        else:  # all -inf gives log(0) = -inf; inf gives inf; nan stays nan
            m = xp.where(finite, m, 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                out = xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True)) + m
        return out if keepdim else out.reshape(reduced_shape(x.shape, axes, False))

    def backward(self, grad):
        (x,) = self.inputs
        shape = x._data.shape
        out = expand_reduced(self.output(), shape, self.axes, self.keepdim)
        return expand_reduced(grad, shape, self.axes, self.keepdim) * exp(x - out)


@numpy_aliases
def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) over `dim`, computed stably; integer inputs give the default float dtype."""
    if _amp.active[0]:
        input = _amp.cast_input("logsumexp", input)
    if input._data.dtype.kind not in "fV":
        input = input.to(dt.get_default_dtype())
    check_keepdim(keepdim, "logsumexp")
    return LogSumExp.apply(input, axes=reduce_axes(dim, input._data.ndim, "logsumexp"), keepdim=keepdim)


# -- norms ---------------------------------------------------------------------------------------------------
class VectorNorm(Function):
    """y = (sum |x|^p)^(1/p) (p = inf/-inf: max/min |x|; p = 0: count of nonzeros).

    Gradient (PyTorch's norm_backward): p=2: g x / y (0 where y = 0); p=1: g sign(x);
    p=inf: g sign(x) split among the maximal |x|; otherwise g sign(x) |x|^(p-1) / y^(p-1).
    """

    save_output = True

    def forward(self, x, p, axes, keepdim):
        self.p, self.axes, self.keepdim = p, axes, keepdim
        xp = get_array_module(x)
        if p == 2:
            return xp.sqrt((x * x).sum(axis=axes, keepdims=keepdim))
        a = xp.abs(x)
        if p == 1:
            return a.sum(axis=axes, keepdims=keepdim)
        if p == math.inf:
            return xp.amax(a, axis=axes, keepdims=keepdim)
        if p == -math.inf:
            return xp.amin(a, axis=axes, keepdims=keepdim)
        if p == 0:
            return (a != 0).sum(axis=axes, keepdims=keepdim).astype(x.dtype)
        with np.errstate(divide="ignore"):  # 0 ** negative p = inf, whose inverse power is 0
            return (a ** p).sum(axis=axes, keepdims=keepdim) ** (1.0 / p)

    def backward(self, grad):
        p = self.p
        if p == 0:
            return None
        (x,) = self.inputs
        a = x._data
        shape, axes, keepdim = a.shape, self.axes, self.keepdim
        if a.size == 0:
            return expand_reduced(grad, shape, axes, keepdim)
        xp = get_array_module(a)
        sign = xp.sign(a)
        if p == 1:
            return expand_reduced(grad, shape, axes, keepdim) * const(sign)
        out = self.output()
        if math.isinf(p):
            absx = xp.abs(a)
            norm = out._data if keepdim else out._data.reshape(kept_shape(shape, axes))
            mask = (absx == norm) | xp.isnan(absx)
            weights = (sign * mask / mask.sum(axis=axes, keepdims=True)).astype(a.dtype)
            return expand_reduced(grad, shape, axes, keepdim) * const(weights)
        zero = out._data == 0
        if p < 1:
            # sign(x) is 0 where x is, so |x| may be replaced by 1 there: no 0 ** negative
            xzero = a == 0
            abs_safe = (masked_fill(x, xzero, 1.0) if xzero.any() else x) * const(xp.where(xzero, 1, sign))
            scaled = abs_safe ** (p - 1) * const(sign)
            return scaled * expand_reduced(grad, shape, axes, keepdim) * expand_reduced(out ** (1 - p), shape, axes,
                                                                                           keepdim)
        # 1 < p: grad / y^(p-1), set to 0 where the norm is 0 (the subgradient PyTorch picks)
        safe = masked_fill(out, zero, 1.0) if zero.any() else out
        scale = grad / (safe if p == 2 else safe ** (p - 1))
        if zero.any():
            scale = masked_fill(scale, zero, 0.0)
        scale = expand_reduced(scale, shape, axes, keepdim)
        if p == 2:
            return x * scale
        if p < 2:
            return (x * const(sign)) ** (p - 1) * const(sign) * scale
        return x * (x * const(sign)) ** (p - 2) * scale


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """`linalg.vector_norm`: the ord-norm of x over `dim` (every element by default)."""
    if _amp.active[0] and dtype is None:
        x = _amp.cast_input("vector_norm", x)
    if isinstance(ord, (str, bool)) or not isinstance(ord, (int, float, np.number)):
        raise TypeError(f"linalg.vector_norm(): argument 'ord' must be Number, not {type(ord).__name__}")
    a = x._data
    if a.dtype.kind not in "fV":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got {_tname(a)}")
    if dtype is not None:
        d = dt.to_dtype(dtype)
        if not d.is_floating_point or d.itemsize < a.itemsize:
            raise RuntimeError(f"linalg.vector_norm: the dtype of the input ({_tname(a)}) should be convertible "
                               f"without narrowing to the specified dtype ({_TORCH_NAME.get(d.name, d.name)})")
        x = x.to(d)
    check_keepdim(keepdim, "linalg.vector_norm")
    axes = reduce_axes(dim, a.ndim, "linalg.vector_norm")
    p = float(ord)
    if p < 0 or math.isinf(p):  # min-like norms have no identity: an empty reduced dim is an error
        if axes is None and a.size == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the "
                               f"operation does not have an identity")
        for d in axes or ():
            if a.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on the dimension {d} because "
                                   f"this dimension is empty and the operation does not have an identity")
    return VectorNorm.apply(x, p=p, axes=axes, keepdim=keepdim)


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """torch.norm: 'fro' (the 2-norm over `dim`, at most 2 dims) or a number p (vector p-norm over `dim`).

    The nuclear norm (p='nuc', the sum of singular values) comes from linalg.matrix_norm.
    """
    if p is None:  # PyTorch: the 2-norm over any number of dims
        return vector_norm(input, 2, dim, keepdim, dtype=dtype)
    if isinstance(p, str):
        if p == "fro":
            if isinstance(dim, (tuple, list)) and len(dim) > 2:
                raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dim))}")
            return vector_norm(input, 2, dim, keepdim, dtype=dtype)
        if p == "nuc":
            from ..linalg import matrix_norm

            return matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


# -- all, any, count_nonzero -------------------------------------------------------------------------------
def _logical(fn_name: str, input: Tensor, dim, keepdim: bool) -> Tensor:
    a = input._data
    axes = reduce_axes(dim, a.ndim, fn_name, empty_means_all=False)
    check_keepdim(keepdim, fn_name)
    xp = get_array_module(a)
    r = getattr(xp, fn_name)(a, axis=axes, keepdims=keepdim)
    return Tensor._wrap(xp.asarray(r, dtype=np.uint8 if a.dtype == np.uint8 else np.bool_))


@numpy_aliases
def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True where every element over `dim` is nonzero (uint8 in, uint8 out, as PyTorch)."""
    return _logical("all", input, dim, keepdim)


@numpy_aliases
def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True where some element over `dim` is nonzero (uint8 in, uint8 out, as PyTorch)."""
    return _logical("any", input, dim, keepdim)


@numpy_aliases
def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """Number of nonzero elements over `dim` (int64)."""
    a = input._data
    axes = reduce_axes(dim, a.ndim, "count_nonzero")
    xp = get_array_module(a)
    return Tensor._wrap(xp.asarray((a != 0).sum(axis=axes, dtype=np.int64)))


# -- nansum, nanmean -----------------------------------------------------------------------------------------
class NanSum(Function):
    """y = sum of the non-nan elements. Gradient: g broadcast back, 0 at nan."""

    keep_inputs = False

    def forward(self, x, axes, keepdim):
        self.in_shape, self.axes, self.keepdim = x.shape, axes, keepdim
        xp = get_array_module(x)
        self.nan = xp.isnan(x)
        return xp.where(self.nan, 0, x).sum(axis=axes, keepdims=keepdim)

    def backward(self, grad):
        g = expand_reduced(grad, self.in_shape, self.axes, self.keepdim)
        return masked_fill(g, self.nan, 0.0) if self.nan.any() else g


@numpy_aliases
def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """sum treating nan as 0."""
    if dtype is not None:
        input = input.to(dt.to_dtype(dtype))
    if input._data.dtype.kind not in "fV":
        return sum(input, dim, keepdim)
    check_keepdim(keepdim, "nansum")
    return NanSum.apply(input, axes=reduce_axes(dim, input._data.ndim, "nansum"), keepdim=keepdim)


@numpy_aliases
def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """mean of the non-nan elements (nan where there are none). Gradient: g / count, 0 at nan."""
    input = _float_input(input, dtype, "nanmean", "{op}(): expected input to have floating point or complex dtype "
                                                  "but got {got}")
    check_keepdim(keepdim, "nanmean")
    a = input._data
    axes = reduce_axes(dim, a.ndim, "nanmean")
    xp = get_array_module(a)
    n = xp.asarray((~xp.isnan(a)).sum(axis=axes, keepdims=keepdim))
    total = NanSum.apply(input, axes=axes, keepdim=keepdim)
    if (n == 0).any():  # no valid element: nan, with a zero gradient
        return masked_fill(total / const(xp.maximum(n, 1).astype(a.dtype)), n == 0, np.nan)
    return total / const(n.astype(a.dtype))


TENSOR_METHODS = {
    "sum": sum, "mean": mean, "var": var, "std": std, "prod": prod, "max": max, "min": min, "amax": amax,
    "amin": amin, "aminmax": aminmax, "argmax": argmax, "argmin": argmin, "logsumexp": logsumexp, "norm": norm,
    "all": all, "any": any, "count_nonzero": count_nonzero, "nansum": nansum, "nanmean": nanmean,
    "median": median, "nanmedian": nanmedian, "mode": mode, "kthvalue": kthvalue,
    "cumsum": cumsum, "cumprod": cumprod, "cummax": cummax, "cummin": cummin,
}
INPLACE = {"cumsum": cumsum, "cumprod": cumprod}
