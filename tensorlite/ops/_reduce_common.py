"""Shared pieces of the reductions (reduce.py) and scans (reduce_scan.py).

- dim handling with PyTorch's rules: None/() means every dim, negatives wrap, duplicates and
  out-of-range dims raise (RuntimeError / IndexError), a 0-d tensor accepts dim 0 and -1;
- a few linear primitives that backward formulas are written with. Each one's backward is its
  adjoint, itself a primitive here, so gradients built from them can be differentiated again:
    Sum            <->  ExpandReduced   (reduce over axes / put the axes back and broadcast)
    _Gather        <->  _ScatterAdd     (pick along an axis at given indices / add back there)
    _MaskedFill    (its own adjoint: positions under a constant mask get a constant, or 0 grad)
  plus _Exp and _Reshape, which the backward formulas also need. They live here rather than
  being imported from elementwise/shape so that the reductions depend on nothing but
  arithmetic and the autograd core;
- array helpers that work on NumPy and CuPy alike (scatter_add_along, running_max: CuPy's
  ufuncs may lack .at / .accumulate), the named-tuple return types, and `numpy_aliases`
  (PyTorch's reductions accept axis=/keepdims= too).
"""
from __future__ import annotations

import collections
import functools

import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, _wrap_dim


# -- return types (PyTorch's torch.return_types.*) ------------------------------------------------------
def _named(name: str, fields: str):
    cls = collections.namedtuple(name, fields)
    cls.__module__ = "tensorlite.return_types"
    cls.__qualname__ = name

    def __repr__(self) -> str:  # as torch.return_types prints
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"tensorlite.return_types.{name}(\n{body})"

    cls.__repr__ = __repr__
    return cls


class return_types:  # noqa: N801 - mirrors the torch.return_types namespace
    max = _named("max", "values indices")
    min = _named("min", "values indices")
    median = _named("median", "values indices")
    nanmedian = _named("nanmedian", "values indices")
    mode = _named("mode", "values indices")
    kthvalue = _named("kthvalue", "values indices")
    cummax = _named("cummax", "values indices")
    cummin = _named("cummin", "values indices")
    aminmax = _named("aminmax", "min max")


# -- dims ----------------------------------------------------------------------------------------------
def reduce_axes(dim, ndim: int, op: str, empty_means_all: bool = True) -> tuple | None:
    """`dim` (None, int, or a sequence of ints) as sorted NumPy axes; None means every axis.

    `()` also means every axis (PyTorch's convention for sum/mean/amax/...), except for all/any
    (`empty_means_all=False`), where it reduces nothing. A 0-d tensor takes dim 0 or -1 and has
    no axes to reduce, which gives ().
    """
    if dim is None:
        return None
    if isinstance(dim, (int, np.integer)) and not isinstance(dim, bool):
        d = _wrap_dim(int(dim), ndim, op)
        return (d,) if ndim else ()
    if isinstance(dim, Tensor) and dim.ndim == 0 and dim._data.dtype.kind in "iu":
        return reduce_axes(int(dim.item()), ndim, op, empty_means_all)
    if not isinstance(dim, (tuple, list)):
        raise TypeError(f"{op}(): argument 'dim' must be an int or a tuple of ints, not {type(dim).__name__}")
    if len(dim) == 0:
        return None if empty_means_all else ()
    seen = set()
    for d in dim:
        if isinstance(d, Tensor) and d.ndim == 0:
            d = int(d.item())
        if not isinstance(d, (int, np.integer)) or isinstance(d, bool):
            raise TypeError(f"{op}(): argument 'dim' must be a tuple of ints, but found element of type "
                            f"{type(d).__name__}")
        w = _wrap_dim(int(d), ndim, op)
        if w in seen:
            raise RuntimeError(f"{op}(): dim {w} appears multiple times in the list of dims")
        seen.add(w)
    return tuple(sorted(seen)) if ndim else ()


def numpy_aliases(fn):
    """Accept NumPy's `axis=` / `keepdims=` for `dim=` / `keepdim=`, as PyTorch's reductions do."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs:
            if "axis" in kwargs:
                kwargs["dim"] = kwargs.pop("axis")
            if "keepdims" in kwargs:
                kwargs["keepdim"] = kwargs.pop("keepdims")
        return fn(*args, **kwargs)

    return wrapper


def single_axis(dim, ndim: int, op: str) -> int:
    """An int `dim` wrapped to [0, ndim) (0 for a 0-d tensor); TypeError for anything else."""
    if isinstance(dim, Tensor) and dim.ndim == 0 and dim._data.dtype.kind in "iu":
        dim = int(dim.item())
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    return _wrap_dim(int(dim), ndim, op)


def check_keepdim(keepdim, op: str) -> None:
    if not isinstance(keepdim, (bool, np.bool_)):
        raise TypeError(f"{op}(): argument 'keepdim' must be bool, not {type(keepdim).__name__}")


def all_axes(axes, ndim: int) -> tuple:
    return tuple(range(ndim)) if axes is None else axes


def kept_shape(shape: tuple, axes) -> tuple:
    """`shape` with the reduced axes set to 1 (the keepdim=True result shape)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def reduced_shape(shape: tuple, axes, keepdim: bool) -> tuple:
    if keepdim:
        return kept_shape(shape, axes)
    if axes is None:
        return ()
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def count(shape: tuple, axes) -> int:
    """How many elements each output element reduces over."""
    n = 1
    for i in all_axes(axes, len(shape)):
        n *= shape[i]
    return n


def check_nonempty(shape: tuple, axes, op: str) -> None:
    """Max-like reductions have no identity: a reduced dim of size 0 is an error, as in PyTorch."""
    if axes is None:
        if 0 in shape:
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0. "
                               f"Specify the reduction dim with the 'dim' argument.")
        return
    for a in axes:
        if shape[a] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {a} to have non-zero size.")


def const(array) -> Tensor:
    """A constant (no-grad) tensor around an array, for masks and weights in backward formulas."""
    if isinstance(array, np.generic):  # NumPy reductions of 0-d arrays give scalars
        array = np.asarray(array)
    return Tensor._wrap(array)


def grad_mode_on() -> bool:
    from ..autograd import grad_mode

    return grad_mode._grad_enabled[0]


# -- linear primitives and their adjoints ----------------------------------------------------------------
class Sum(Function):
    """y = sum of x over `axes` (None: all). Gradient: g put back on the reduced axes and broadcast."""

    keep_inputs = False

    def forward(self, x, axes=None, keepdim=False, dtype=None):
        self.in_shape, self.axes, self.keepdim = x.shape, axes, keepdim
        if dtype is None and x.dtype == np.float16:  # accumulate half in single precision, as PyTorch does
            return x.sum(axis=axes, keepdims=keepdim, dtype=np.float32).astype(np.float16)
        return x.sum(axis=axes, keepdims=keepdim, dtype=dtype)

    def backward(self, grad):
        return expand_reduced(grad, self.in_shape, self.axes, self.keepdim)


class ExpandReduced(Function):
    """Put reduced axes back (as size 1 unless keepdim) and broadcast to `shape`. Gradient: Sum over them."""

    keep_inputs = False

    def forward(self, g, shape, axes=None, keepdim=False):
        self.axes, self.keepdim = axes, keepdim
        if not keepdim and g.ndim != len(shape):
            g = g.reshape(kept_shape(shape, axes))
        return get_array_module(g).broadcast_to(g, shape)

    def backward(self, grad):
        return Sum.apply(grad, axes=self.axes, keepdim=self.keepdim)


def expand_reduced(g: Tensor, shape: tuple, axes, keepdim: bool) -> Tensor:
    """The gradient of a reduction, broadcast back over the input's shape (a read-only view)."""
    if g._data.shape == tuple(shape):
        return g
    return ExpandReduced.apply(g, shape=tuple(shape), axes=axes, keepdim=keepdim)


class _MaskedFill(Function):
    """y = value where mask (a constant boolean array, broadcastable to x) else x. Gradient: g with 0 under the mask."""

    keep_inputs = False

    def forward(self, x, mask, value):
        self.mask = mask
        xp = get_array_module(x)
        if value == 0 and xp is np and x.size >= 8192 and x.dtype.kind in "fcV" and mask.shape == x.shape:
            # The backward of relu and friends.  On NumPy a multiply by the kept mask is 1.7x faster than
            # where() on 32k floats (below ~8k the fixed cost of the check below outweighs it); + 0 turns the -0.0 of negative * 0 into 0.0.  It is only exact when x is finite
            # (inf * 0 = nan), which the sum checks; otherwise select.  (Not on CuPy: the check would sync.)
            with np.errstate(invalid="ignore", over="ignore"):
                y = x * np.logical_not(mask)
                y += 0
                finite = np.isfinite(y.sum())
            if finite:
                return y
        return xp.where(mask, xp.asarray(value, dtype=x.dtype), x)

    def backward(self, grad):
        return _MaskedFill.apply(grad, mask=self.mask, value=0)


def masked_fill(x: Tensor, mask, value: float) -> Tensor:
    """`x` with `value` where the constant boolean array `mask` is set (differentiable in x)."""
    return _MaskedFill.apply(x, mask=mask, value=value)


class _Gather(Function):
    """y = x picked along `axis` at `index` (int array, keepdim shape), then squeezed unless keepdim.

    Gradient: g added back at the picked positions (the adjoint, _ScatterAdd).
    """

    keep_inputs = False

    def forward(self, x, index, axis, keepdim=True):
        self.index, self.axis, self.keepdim, self.in_shape = index, axis, keepdim, x.shape
        if x.ndim == 0:
            return x.copy()
        y = get_array_module(x).take_along_axis(x, index, axis=axis)
        return y if keepdim else y.squeeze(axis)

    def backward(self, grad):
        return _ScatterAdd.apply(grad, index=self.index, axis=self.axis, shape=self.in_shape, keepdim=self.keepdim)


class _ScatterAdd(Function):
    """y = zeros(shape) with g added along `axis` at `index` (repeated indices accumulate). Gradient: gather."""

    keep_inputs = False

    def forward(self, g, index, axis, shape, keepdim=True):
        self.index, self.axis, self.keepdim = index, axis, keepdim
        xp = get_array_module(g)
        if len(shape) == 0:
            return g.copy()
        if not keepdim:
            g = xp.expand_dims(g, axis)
        out = xp.zeros(shape, dtype=g.dtype)
        if g.size:
            scatter_add_along(out, index, axis, g)
        return out

    def backward(self, grad):
        return _Gather.apply(grad, index=self.index, axis=self.axis, keepdim=self.keepdim)


def scatter_add_along(out, index, axis: int, values) -> None:
    """out[..., index[...], ...] += values along `axis`, accumulating repeated indices (in place)."""
    xp = get_array_module(out)
    nd = index.ndim
    coords = [xp.arange(n).reshape((1,) * i + (n,) + (1,) * (nd - i - 1)) for i, n in enumerate(index.shape)]
    coords[axis] = index
    if xp is np:
        np.add.at(out, tuple(coords), values)
    else:  # CuPy has no ufunc.at in older versions; cupyx.scatter_add is the same operation
        from ..backend.device import cupyx_module  # noqa: PLC0415

        cupyx_module().scatter_add(out, tuple(coords), values)


def running_max(a, axis: int, minimum: bool = False):
    """Cumulative maximum (or minimum) along `axis` (nan propagates), for NumPy and CuPy alike."""
    xp = get_array_module(a)
    pick = xp.minimum if minimum else xp.maximum
    if xp is np:
        return pick.accumulate(a, axis=axis)
    # CuPy's ufuncs may lack accumulate: a Hillis-Steele scan, log2(n) shifted maxima
    out = a.copy()
    n, step = a.shape[axis], 1
    while step < n:
        dst = [slice(None)] * a.ndim
        src = list(dst)
        dst[axis], src[axis] = slice(step, None), slice(None, n - step)
        out[tuple(dst)] = pick(out[tuple(dst)], out[tuple(src)])
        step *= 2
    return out


class _Exp(Function):
    """y = exp(x). Gradient: g*y."""

    keep_inputs = False
    save_output = True

    def forward(self, x):
        return get_array_module(x).exp(x)

    def backward(self, grad):
        return grad * self.output()


class _Reshape(Function):
    """y = x with another shape. Gradient: g reshaped back."""

    keep_inputs = False

    def forward(self, x, shape):
        self.in_shape = x.shape
        return x.reshape(shape)

    def backward(self, grad):
        return _Reshape.apply(grad, shape=self.in_shape)


def reshape(x: Tensor, shape: tuple) -> Tensor:
    return x if x._data.shape == tuple(shape) else _Reshape.apply(x, shape=tuple(shape))


def exp(x: Tensor) -> Tensor:
    return _Exp.apply(x)
