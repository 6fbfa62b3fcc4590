"""gather and the scatter family (scatter, scatter_add, scatter_reduce), and take_along_dim.

gather reads y[i][j] = x[index[i][j]][j] (for dim 0); scatter writes y[index[i][j]][j] = src[i][j].
They are each other's adjoint: gather's gradient is a scatter_add of g into zeros, and
scatter_add's gradient for src is a gather of g, so both are twice differentiable. The index
may be smaller than x (and src) in every dim; only its leading block takes part.
"""
from __future__ import annotations

import numpy as np

from ..amp import policy as _amp
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, _wrap_dim
from .arithmetic import broadcast_to
from .index import (BasicIndex, IndexPut, MaskedFill, _broadcast, _dtype_name, as_1d, check_bounds, index_array,
                    reshape_small, take, ufunc_at, zero_scalar, zeros_tensor)

__all__ = ["gather", "scatter", "scatter_add", "scatter_reduce", "take_along_dim"]


def _coords(index, dim: int) -> tuple:
    """Where each element of `index` lands: index itself along `dim`, its own position along the other dims."""
    xp = get_array_module(index)
    nd = index.ndim
    return tuple(index if d == dim else xp.arange(n).reshape((n,) + (1,) * (nd - d - 1))
                 for d, n in enumerate(index.shape))


def _lead(shape: tuple) -> tuple:
    return tuple(slice(0, n) for n in shape)


def _pad_to(t: Tensor, shape: tuple) -> Tensor:
    """t placed in the leading corner of zeros of `shape` (src may be larger than index)."""
    if t._data.shape == tuple(shape):
        return t
    if len(shape) == 0 or t._data.ndim == 0:
        return reshape_small(t, shape)
    return IndexPut.apply(zeros_tensor(shape, t._data), t, basic=_lead(t._data.shape) + (Ellipsis,), adv=None,
                          fresh=True)


def _gather_array(x, dim: int, index):
    xp = get_array_module(x)
    idx = as_1d(index)
    if idx.size == 0:
        return xp.empty(index.shape, dtype=x.dtype)
    lead = tuple(slice(0, n) if d != dim else slice(None) for d, n in enumerate(idx.shape))
    return xp.take_along_axis(as_1d(x)[lead], idx, axis=dim).reshape(index.shape)


class Gather(Function):
    """y[i][j] = x[index[i][j]][j] (dim 0). Gradient: g scatter-added into zeros of x's shape."""

    keep_inputs = False

    def forward(self, x, dim, index):
        self.in_shape, self.dim, self.index = x.shape, dim, index
        return _gather_array(x, dim, index)

    def backward(self, grad):
        base = zeros_tensor(self.in_shape, grad._data)
        return ScatterAdd.apply(base, grad, dim=self.dim, index=self.index, fresh=True)


class ScatterAdd(Function):
    """y = x; y[index[i][j]][j] += src[i][j] (dim 0). Gradients: g, and g gathered at index (for src)."""

    keep_inputs = False

    def forward(self, x, src, dim, index, fresh=False):
        self.dim, self.index, self.src_shape = dim, index, src.shape
        out = x if fresh else x.copy()
        idx = as_1d(index)
        if idx.size:
            ufunc_at("add", as_1d(out), _coords(idx, dim), as_1d(src)[_lead(idx.shape)])
        return out

    def backward(self, grad):
        gx = grad if self.needs_input_grad[0] else None
        gs = None
        if self.needs_input_grad[1]:
            gs = _pad_to(Gather.apply(grad, dim=self.dim, index=self.index), self.src_shape)
        return gx, gs


class Scatter(Function):
    """y = x; y[index[i][j]][j] = src[i][j] (dim 0). Gradients: g zeroed where written, g gathered at index."""

    keep_inputs = False

    def forward(self, x, src, dim, index):
        self.dim, self.index, self.src_shape = dim, index, src.shape
        out = x.copy()
        idx = as_1d(index)
        if idx.size:
            as_1d(out)[_coords(idx, dim)] = as_1d(src)[_lead(idx.shape)]
        return out

    def backward(self, grad):
        gx = gs = None
        if self.needs_input_grad[0]:
            gx = ScatterFill.apply(grad, dim=self.dim, index=self.index, value=0)
        if self.needs_input_grad[1]:
            gs = _pad_to(Gather.apply(grad, dim=self.dim, index=self.index), self.src_shape)
        return gx, gs


class ScatterFill(Function):
    """y = x; y[index[i][j]][j] = value (a number). Gradient: g zeroed where written."""

    keep_inputs = False

    def forward(self, x, dim, index, value):
        self.dim, self.index = dim, index
        out = x.copy()
        idx = as_1d(index)
        if idx.size:
            as_1d(out)[_coords(idx, dim)] = value
        return out

    def backward(self, grad):
        return ScatterFill.apply(grad, dim=self.dim, index=self.index, value=0)


class ScatterLegacyReduce(Function):
    """scatter(..., reduce='add'|'multiply'): forward only, as in PyTorch (no derivative)."""

    keep_inputs = False

    def forward(self, x, src, dim, index, reduce):
        out = x.copy()
        idx = as_1d(index)
        if idx.size:
            vals = as_1d(src)[_lead(idx.shape)] if src.ndim else src
            ufunc_at("add" if reduce == "add" else "multiply", as_1d(out), _coords(idx, dim), vals)
        return out

    def backward(self, grad):
        raise RuntimeError("the derivative for 'scatter' with a 'reduce' argument is not implemented")


_IDENTITY = {"sum": 0, "mean": 0, "prod": 1}


class ScatterReduce(Function):
    """y = x with src reduced (sum, prod, mean, amax, amin) into the positions `index` (with x's own value
    taking part when include_self).

    Gradients (PyTorch's formulas): sum: g, g[index]; mean: g/N; amax/amin: g shared evenly among the
    elements equal to the result; prod: g times the product of the other elements (zeros handled exactly).
    """

    save_output = True

    def forward(self, x, src, dim, index, reduce, include_self):
        self.dim, self.index, self.reduce, self.include_self = dim, index, reduce, include_self
        xp = get_array_module(x)
        out = x.copy()
        idx = as_1d(index)
        if idx.size == 0:
            self.weights = None
            return out
        o, s = as_1d(out), as_1d(src)[_lead(idx.shape)]
        coords = _coords(idx, dim)
        if not include_self:
            o[coords] = _identity(reduce, x.dtype)
        name = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum", "amin": "minimum"}[reduce]
        ufunc_at(name, o, coords, s)
        self.weights = None
        if reduce == "mean":
            count = xp.full(o.shape, 1 if include_self else 0, dtype=x.dtype)
            ufunc_at("add", count, coords, xp.ones(idx.shape, dtype=x.dtype))
            count[count == 0] = 1
            if x.dtype.kind in "fV":
                o /= count
            else:
                o //= count
            self.weights = count.reshape(x.shape)
        elif reduce in ("amax", "amin") and x.dtype.kind in "fV":
            # Constant weights that share the gradient among the elements equal to the result.
            self_is = (as_1d(x) == o).astype(x.dtype)
            value = o[coords]
            src_is = (s == value).astype(x.dtype)
            n = self_is.copy()  # as PyTorch: an excluded self equal to the result still counts as a tie
            ufunc_at("add", n, coords, src_is)
            if not include_self:
                self_is[coords] = 0
            with np.errstate(divide="ignore", invalid="ignore"):
                self.weights = ((self_is / n).reshape(x.shape), src_is / n[coords])
        return out

    def backward(self, grad):
        x, src = self.inputs
        dim, index, reduce, inc = self.dim, self.index, self.reduce, self.include_self
        if as_1d(index).size == 0:
            return (grad if self.needs_input_grad[0] else None), (_zero_like(grad, src) if self.needs_input_grad[1]
                                                                  else None)
        gx = gs = None
        if reduce in ("sum", "mean"):
            g = grad if reduce == "sum" else grad / Tensor._wrap(self.weights)
            gx = g if inc else ScatterFill.apply(g, dim=dim, index=index, value=0)
            gs = Gather.apply(g, dim=dim, index=index)
        elif reduce in ("amax", "amin"):
            w_self, w_src = self.weights
            gx = grad * Tensor._wrap(w_self)
            gs = Gather.apply(grad, dim=dim, index=index) * Tensor._wrap(w_src.reshape(index.shape))
        else:
            gx, gs = self._prod_backward(grad, x, src)
        return (gx if self.needs_input_grad[0] else None), (_pad_to(gs, src._data.shape)
                                                            if self.needs_input_grad[1] else None)

    def _prod_backward(self, grad, x, src):
        """PyTorch's exact product rule: zeros in x or src are masked out of the 'product of the others'."""
        dim, index, inc = self.dim, self.index, self.include_self
        result = self.output()
        one = Tensor._wrap(get_array_module(grad._data).ones((), dtype=grad._data.dtype))
        x_zero = x._data == 0
        masked_x = MaskedFill.apply(x, one, mask=x_zero)
        gx = grad * ScatterReduce.apply(masked_x, src, dim=dim, index=index, reduce="prod", include_self=inc) / masked_x
        if not inc:
            gx = ScatterFill.apply(gx, dim=dim, index=index, value=0)
        src_lead = BasicIndex.apply(src, key=_lead(index.shape) + (Ellipsis,)) if src._data.shape != index.shape \
            else src
        s = src_lead._data
        s_zero = s == 0
        n_zero = get_array_module(s).zeros(as_1d(x._data).shape, dtype=np.int32)  # int32: CuPy's scatter_add
        ufunc_at("add", n_zero, _coords(as_1d(index), dim), as_1d(s_zero).astype(np.int32))
        single = s_zero & (_gather_array(n_zero.reshape(x._data.shape), dim, index) == 1)
        masked_src = MaskedFill.apply(src_lead, one, mask=single)
        masked_src_result = ScatterReduce.apply(x, masked_src, dim=dim, index=index, reduce="prod", include_self=inc)
        from_single = Gather.apply(grad * masked_src_result, dim=dim, index=index)
        from_rest = Gather.apply(grad * result, dim=dim, index=index) / MaskedFill.apply(src_lead, one, mask=s_zero)
        zero = zero_scalar(grad._data)
        gs = MaskedFill.apply(from_single, zero, mask=~single) + MaskedFill.apply(from_rest, zero, mask=single)
        return gx, gs


def _identity(reduce: str, dtype):
    if reduce in _IDENTITY:
        return _IDENTITY[reduce]
    if dtype.kind in "fV":
        return -np.inf if reduce == "amax" else np.inf
    if dtype.kind == "b":
        return reduce == "amin"
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _zero_like(grad: Tensor, t: Tensor) -> Tensor:
    return zeros_tensor(t._data.shape, grad._data)


# -- argument checks ---------------------------------------------------------------------------------------
def _src_dim_check(x, d: int, idx, s, op: str) -> None:
    """PyTorch's shape check sizes src along each index dim until one is too large: past src's dims, IndexError."""
    if not idx.size or not 1 <= s.ndim < idx.ndim or max(x.ndim, 1) != idx.ndim:
        return
    if any(idx.shape[k] > x.shape[k] for k in range(idx.ndim) if k != d):
        return  # PyTorch stops at the self mismatch before reading src's sizes
    for k in range(idx.ndim):
        if k >= s.ndim:
            raise IndexError(f"{op}(): Dimension out of range (expected to be in range of [{-s.ndim}, {s.ndim - 1}], "
                             f"but got {k}): src of shape {tuple(s.shape)} has fewer dims than index of shape "
                             f"{tuple(idx.shape)}")
        if idx.shape[k] > s.shape[k]:
            return


def _scatter_checks(input: Tensor, dim: int, index, src, op: str, value_ok: bool = True):
    """Wrapped dim and index array, with PyTorch's checks on dims, sizes, dtypes and bounds."""
    idx = index_array(index, op, input, allowed=(np.int64, np.int32),
                      msg=f"{op}(): Expected dtype int32/int64 for index")
    x = input._data
    d = _wrap_dim(dim, x.ndim, op)
    nd = max(idx.ndim, 1)
    if isinstance(src, Tensor):
        _src_dim_check(x, d, idx, src._data, op)
        if max(src._data.ndim, 1) != nd:
            raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as src tensor")
        if src._data.dtype != x.dtype:
            raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype")
        if type(src._data) is not type(x):
            raise RuntimeError(f"{op}(): Expected all tensors to be on the same device")
    if max(x.ndim, 1) != nd:
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as self tensor")
    if idx.size:
        ish, xsh = idx.shape or (1,), x.shape or (1,)
        ssh = (src._data.shape or (1,)) if isinstance(src, Tensor) else None
        if any(ish[k] > xsh[k] for k in range(nd) if k != d) or (ssh is not None and any(
                ish[k] > ssh[k] for k in range(nd))):
            raise RuntimeError(f"{op}(): Expected index {list(idx.shape)} to be no larger than self {list(x.shape)} "
                               f"apart from dimension {d}" + (f" and to be no larger size than src {list(src.shape)}"
                                                              if ssh is not None else ""))
        check_bounds(idx, xsh[d], d, RuntimeError, op=f"{op}(): ")
    return d, idx.astype(np.int64, copy=False)


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """y[i][j][k] = input[index[i][j][k]][j][k] (dim 0; likewise for other dims). y has index's shape."""
    idx = index_array(index, "gather", input, allowed=(np.int64, np.int32),
                      msg="gather(): Expected dtype int32/int64 for index")
    x = input._data
    d = _wrap_dim(dim, x.ndim, "gather")
    if max(x.ndim, 1) != max(idx.ndim, 1):
        raise RuntimeError("gather(): Index tensor must have the same number of dimensions as input tensor")
    if idx.size:
        ish, xsh = idx.shape or (1,), x.shape or (1,)
        for k in range(len(ish)):
            if k != d and ish[k] > xsh[k]:
                raise RuntimeError(f"gather(): Size does not match at dimension {k} expected index {list(idx.shape)} "
                                   f"to be no larger than self {list(x.shape)} apart from dimension {d}")
        check_bounds(idx, xsh[d], d, RuntimeError, op="gather(): ")
    return Gather.apply(input, dim=d, index=idx.astype(np.int64, copy=False))


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce: str | None = None) -> Tensor:
    """out = input; out[index[i][j]][j] = src[i][j] (dim 0), or = value (a number).

    reduce='add'/'multiply' combines instead of overwriting (forward only, as in PyTorch).
    """
    if src is None and value is None:
        raise TypeError("scatter(): expected an argument 'src' (Tensor) or 'value' (Number)")
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    if isinstance(value, Tensor):
        raise RuntimeError("scatter(): Index tensor must have the same number of dimensions as src tensor"
                           if value._data.ndim == 0 else "scatter(): expected a number for 'value'")
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    d, idx = _scatter_checks(input, dim, index, src, "scatter")
    if reduce is not None:
        vals = src if src is not None else Tensor._wrap(_value_array(value, input))
        return ScatterLegacyReduce.apply(input, vals, dim=d, index=idx, reduce=reduce)
    if src is not None:
        return Scatter.apply(input, src, dim=d, index=idx)
    return ScatterFill.apply(input, dim=d, index=idx, value=_value_array(value, input))


def _value_array(value, input: Tensor):
    with np.errstate(invalid="ignore", over="ignore"):
        return get_array_module(input._data).asarray(np.array(value).astype(input._data.dtype))


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """out = input; out[index[i][j]][j] += src[i][j] (dim 0); repeated indices add up."""
    if _amp.active[0]:
        input, src = _amp.cast_inputs("scatter_add", input, src)
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' must be Tensor, not {type(src).__name__}")
    d, idx = _scatter_checks(input, dim, index, src, "scatter_add")
    return ScatterAdd.apply(input, src, dim=d, index=idx)


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """out = input with src reduced into it at `index` along `dim`: reduce in sum, prod, mean, amax, amin."""
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce(): argument 'src' must be Tensor, not {type(src).__name__}")
    d, idx = _scatter_checks(input, dim, index, src, "scatter_reduce")
    return ScatterReduce.apply(input, src, dim=d, index=idx, reduce=reduce, include_self=bool(include_self))


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """gather along `dim` after broadcasting input and indices in the other dims; dim=None: on the flattened input."""
    idx = index_array(indices, "take_along_dim", input, msg=(
        "torch.take_along_dim(): dtype of indices should be Long but got "
        + (_dtype_name(indices._data) if isinstance(indices, Tensor) else "")))
    x = input._data
    if dim is None:
        return take(input, Tensor._wrap(idx.reshape(-1)))
    if x.ndim != idx.ndim:  # checked before dim, as PyTorch does
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, but "
                           f"got {x.ndim} dimensions for input, and {idx.ndim} dimensions for indices")
    if x.ndim == 0:
        raise IndexError(f"take_along_dim: Dimension specified as {dim} but tensor has no dimensions")
    d = _wrap_dim(dim, x.ndim, "take_along_dim")
    xs = list(x.shape)
    if xs:
        xs[d] = idx.shape[d]
    shape = list(_broadcast(tuple(xs), idx.shape))
    idx_b = get_array_module(idx).broadcast_to(idx, tuple(shape))
    if shape:
        shape[d] = x.shape[d]
    x_b = broadcast_to(input, tuple(shape))
    size = x.shape[d] if x.ndim else 1
    check_bounds(idx_b, size, d, IndexError, negative_ok=True, op="take_along_dim(): ")
    if idx_b.size and int(idx_b.min()) < 0:
        idx_b = idx_b % size
    return Gather.apply(x_b, dim=d, index=idx_b)
