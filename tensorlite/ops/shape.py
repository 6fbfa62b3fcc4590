"""Shape ops that return views: reshape/view, squeeze, transpose, permute, expand, diagonal, ...

A view shares memory with its input, as in PyTorch: `is_view = True` makes the result share
the input's version counter too, so an in-place change through either is seen by the other
and caught if a graph saved the old values. The gradient of a view is the inverse
rearrangement of the output gradient (reshape back, permute back, sum over what expand
repeated, write back onto the diagonal). Joining and splitting (cat, stack, split, narrow, ...)
live in `join.py`; the diagonal family (diagonal, diag, diag_embed, trace, tril, triu) in
`diag.py`; copying rearrangements (pad, repeat, flip, roll) in `pad.py`.
"""
from __future__ import annotations

import operator
import warnings

import numpy as np

from ..autograd import grad_mode
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, _wrap_dim
from .arithmetic import sum_to_shape

__all__ = ["reshape", "flatten", "unflatten", "ravel", "squeeze", "unsqueeze", "transpose", "swapaxes", "swapdims",
           "t", "permute", "movedim", "moveaxis", "adjoint", "atleast_1d", "atleast_2d", "atleast_3d"]

_ndarray = np.ndarray


# -- argument parsing ----------------------------------------------------------------------------------
def int_tuple(args, op: str, name: str = "size") -> tuple:
    """`f(2, 3)`, `f((2, 3))`, `f([2, 3])`, `f(tl.Size([2, 3]))` all give (2, 3); TypeError for non-ints."""
    if len(args) == 1 and (isinstance(args[0], (tuple, list)) or (
            isinstance(args[0], Tensor) and args[0]._data.ndim == 1)):
        args = args[0]
    out = []
    for i, a in enumerate(args):
        try:
            out.append(operator.index(a))
        except TypeError:
            raise TypeError(f"{op}(): argument '{name}' must be tuple of ints, but found element of type "
                            f"{type(a).__name__} at pos {i}") from None
    return tuple(out)


def dim_arg(dim, ndim: int, op: str, name: str = "dim") -> int:
    """One dim, checked to be an int and wrapped into [0, ndim) (a 0-d tensor accepts 0 and -1)."""
    try:
        dim = operator.index(dim)
    except TypeError:
        raise TypeError(f"{op}(): argument '{name}' must be int, not {type(dim).__name__}") from None
    return _wrap_dim(dim, ndim, op)


def dims_arg(dims, ndim: int, op: str) -> tuple:
    """An int or a sequence of ints as wrapped dims; RuntimeError when one appears twice."""
    dims = (dims,) if not isinstance(dims, (tuple, list)) else tuple(dims)
    out = tuple(dim_arg(d, ndim, op) for d in dims)
    if len(set(out)) != len(out):
        seen = set()
        for d in out:
            if d in seen:
                raise RuntimeError(f"{op}: dim {d} appears multiple times in the list of dims")
            seen.add(d)
    return out


def _sizes(args, kwargs, op: str, keys=("size", "shape")) -> tuple:
    """Sizes given positionally or as one keyword (`x.view(size=(2, 3))`, `tl.reshape(x, shape=...)`)."""
    if kwargs:
        unknown = set(kwargs) - set(keys)
        if unknown or args or len(kwargs) > 1:
            raise TypeError(f"{op}() got an unexpected combination of arguments: {args} and {sorted(kwargs)}")
        args = (next(iter(kwargs.values())),)
    return int_tuple(args, op)


def _prod(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def infer_shape(shape: tuple, numel: int) -> tuple:
    """Fill in a single -1 so the shape holds `numel` elements; PyTorch's errors otherwise."""
    infer, known = -1, 1
    for i, s in enumerate(shape):
        if s == -1:
            if infer >= 0:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
        else:
            known *= s
    if infer >= 0:
        if known == 0 and numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                               f"unspecified dimension size -1 can be any value and is ambiguous")
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        return shape[:infer] + (numel // known,) + shape[infer + 1:]
    if known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


# -- reshape and view ----------------------------------------------------------------------------------
class Reshape(Function):
    """y = x's elements (row-major) in a new shape, as a view. Gradient: g reshaped back."""

    keep_inputs = False
    is_view = True

    def forward(self, x, out):
        # `out` is x already rearranged by the caller (which needed it to decide view vs copy).
        self.in_shape = x.shape
        return out

    def backward(self, grad):
        return reshape(grad, self.in_shape)


class ReshapeCopy(Reshape):
    """reshape of a layout no view can express: a copy, with its own memory and version counter."""

    is_view = False


def _reshaped(x, shape):
    """(x in `shape`, whether that is a view of x): a copy only when x's strides require one."""
    if type(x) is _ndarray:
        try:
            return x.reshape(shape, copy=False), True
        except ValueError:
            return x.reshape(shape), False
    out = x.reshape(shape)  # CuPy copies only when it must
    return out, x.size == 0 or out.data.ptr == x.data.ptr


def reshape(input: Tensor, *shape, **kwargs) -> Tensor:
    """x with a new shape (one -1 is inferred): a view when the layout allows, else a copy."""
    shape = infer_shape(_sizes(shape, kwargs, "reshape"), input._data.size)
    out, is_view = _reshaped(input._data, shape)
    return (Reshape if is_view else ReshapeCopy).apply(input, out=out)


def view(input: Tensor, *shape, **kwargs) -> Tensor:
    """x with a new shape, always sharing memory; RuntimeError when the strides cannot express it.

    `view(dtype)` reinterprets the bytes (no gradient), as PyTorch's.
    """
    if "dtype" in kwargs or (len(shape) == 1 and _is_dtype(shape[0])):
        return _view_dtype(input, kwargs.pop("dtype", None) or shape[0])
    shape = infer_shape(_sizes(shape, kwargs, "view"), input._data.size)
    out, is_view = _reshaped(input._data, shape)
    if not is_view:
        raise RuntimeError(
            f"view size is not compatible with input tensor's size and stride (at least one dimension spans across "
            f"two contiguous subspaces): input shape {list(input.shape)}, strides {list(input.stride())}, "
            f"requested shape {list(shape)}. Use .reshape(...) instead.")
    return Reshape.apply(input, out=out)


def _is_dtype(x) -> bool:
    from .. import _dtype as dt

    return type(x) is dt.dtype or (isinstance(x, type) and issubclass(x, np.generic)) or isinstance(x, np.dtype)


def _view_dtype(input: Tensor, dtype) -> Tensor:
    from .. import _dtype as dt

    target = dt.to_dtype(dtype)
    try:
        arr = input._data.view(target.np)
    except ValueError as exc:
        raise RuntimeError(f"view: cannot view a {input.dtype.name} tensor of shape {list(input.shape)} as "
                           f"{target.name}: {exc}") from None
    out = Tensor._wrap(arr)
    out._vc, out._base = input._vc, (input if input._base is None else input._base)
    return out


def view_as(input: Tensor, other: Tensor) -> Tensor:
    return view(input, other._data.shape)


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    return reshape(input, other._data.shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim into one (a view when possible; a 0-d tensor becomes shape (1,))."""
    shape = input._data.shape
    nd = len(shape)
    if nd == 0:
        return reshape(input, (1,))
    s, e = dim_arg(start_dim, nd, "flatten", "start_dim"), dim_arg(end_dim, nd, "flatten", "end_dim")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input  # PyTorch returns the input itself here
    return reshape(input, shape[:s] + (_prod(shape[s:e + 1]),) + shape[e + 1:])


def ravel(input: Tensor) -> Tensor:
    """The elements as a 1-D tensor (a view when contiguous, else a copy)."""
    return reshape(input, (-1,))


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Split dim `dim` into `sizes` (one may be -1); always a view."""
    shape = input._data.shape
    sizes = int_tuple((sizes,), "unflatten", "sizes")
    d = dim_arg(dim, len(shape), "unflatten")  # out of range: IndexError, a 0-d tensor taken as 1-d
    if len(shape) == 0:
        raise RuntimeError("unflatten: Dimension specified as 0 but tensor has no dimensions")
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = shape[d]
    if sizes.count(-1) > 1:
        raise RuntimeError("unflatten: only one dimension can be inferred")
    known = _prod(s for s in sizes if s != -1)
    full = sizes
    if -1 in sizes and known and n % known == 0:
        full = tuple(n // known if s == -1 else s for s in sizes)
    if _prod(full) != n or any(s < 0 for s in full) or (-1 in sizes and known == 0):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                           f"({n}) in the input tensor")
    return reshape(input, shape[:d] + full + shape[d + 1:])


# -- squeeze and unsqueeze -------------------------------------------------------------------------------
class Squeeze(Function):
    """y = x without the given size-1 dims (a view). Gradient: g reshaped back."""

    keep_inputs = False
    is_view = True

    def forward(self, x, dims):
        self.in_shape = x.shape
        return x.squeeze(axis=dims) if dims else x[...]

    def backward(self, grad):
        return reshape(grad, self.in_shape)


class Unsqueeze(Function):
    """y = x with a size-1 dim inserted at `dim` (a view). Gradient: g with that dim removed."""

    keep_inputs = False
    is_view = True

    def forward(self, x, dim):
        self.dim = dim
        return x[(slice(None),) * dim + (None,)]

    def backward(self, grad):
        return Squeeze.apply(grad, dims=(self.dim,))


def squeeze(input: Tensor, dim=None) -> Tensor:
    """Remove size-1 dims: all of them, or those among `dim` (an int or a tuple; other sizes are kept)."""
    shape = input._data.shape
    if dim is None:
        dims = tuple(i for i, s in enumerate(shape) if s == 1)
    else:
        dims = tuple(d for d in dims_arg(dim, len(shape), "squeeze") if shape and shape[d] == 1)
    return Squeeze.apply(input, dims=dims)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at `dim` (in [-ndim-1, ndim])."""
    return Unsqueeze.apply(input, dim=dim_arg(dim, input._data.ndim + 1, "unsqueeze"))


# -- transpose and permute ------------------------------------------------------------------------------
class Permute(Function):
    """y = x with its dims reordered (y.shape[i] = x.shape[dims[i]]), a view. Gradient: g permuted back."""

    keep_inputs = False
    is_view = True

    def forward(self, x, dims):
        self.dims = dims
        return x.transpose(dims)

    def backward(self, grad):
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return Permute.apply(grad, dims=tuple(inverse))


class Transpose(Permute):
    """y = x with two dims swapped (a view). Gradient: g with them swapped back."""


def permute(input: Tensor, *dims, **kwargs) -> Tensor:
    """Reorder the dims: `x.permute(2, 0, 1)` or `x.permute((2, 0, 1))`."""
    if "dims" in kwargs:
        dims = (kwargs.pop("dims"),)
    if kwargs:
        raise TypeError(f"permute() got unexpected keyword arguments {sorted(kwargs)}")
    dims = int_tuple(dims, "permute", "dims")
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the length "
                           f"of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal to "
                           f"len(dims) = {len(dims)}")
    wrapped = tuple(_wrap_dim(d, nd, "permute") for d in dims)
    if len(set(wrapped)) != nd:
        raise RuntimeError(f"permute(): duplicate dims are not allowed (got {list(dims)}).")
    return Permute.apply(input, dims=wrapped)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap dims dim0 and dim1 (a view)."""
    nd = input._data.ndim
    d0, d1 = dim_arg(dim0, nd, "transpose", "dim0"), dim_arg(dim1, nd, "transpose", "dim1")
    order = list(range(nd))
    if nd:
        order[d0], order[d1] = order[d1], order[d0]
    return Transpose.apply(input, dims=tuple(order))


swapaxes = swapdims = transpose


def t(input: Tensor, *, _op: str = "t()") -> Tensor:
    """Transpose of a matrix; a 0-d or 1-D tensor comes back as a view of itself."""
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"{_op} expects a tensor with <= 2 dimensions, but self is {nd}D")
    return Transpose.apply(input, dims=(1, 0) if nd == 2 else tuple(range(nd)))


def adjoint(input: Tensor) -> Tensor:
    """The conjugate transpose of the last two dims; for real tensors the same as `mT`."""
    return _mT(input, "adjoint()")


def _T(input: Tensor) -> Tensor:
    nd = input._data.ndim
    if nd != 2:
        warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated "
                      "and it will throw an error in a future release. Consider `x.mT` to transpose batches of "
                      "matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a "
                      "tensor.", UserWarning, stacklevel=2)
    return Permute.apply(input, dims=tuple(range(nd - 1, -1, -1)))


def _mT(input: Tensor, name: str = "tensor.mT") -> Tensor:
    nd = input._data.ndim
    if nd < 2:
        raise RuntimeError(f"{name} is only supported on matrices or batches of matrices. Got {nd}-D tensor.")
    return transpose(input, -2, -1)


def _H(input: Tensor) -> Tensor:
    nd = input._data.ndim
    if nd not in (0, 2):
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {nd}-D tensor."
                           + (" For batches of matrices, consider using tensor.mH" if nd > 2 else ""))
    return Permute.apply(input, dims=tuple(range(nd - 1, -1, -1)))


def movedim(input: Tensor, source, destination) -> Tensor:
    """Move dims `source` to positions `destination`; the others keep their order (a view)."""
    src = source if isinstance(source, (tuple, list)) else (source,)
    dst = destination if isinstance(destination, (tuple, list)) else (destination,)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain "
                           f"the same number of dims as destination ({list(dst)} dims)")
    nd = input._data.ndim
    ws = [dim_arg(d, nd, "movedim", "source") for d in src]
    wd = [dim_arg(d, nd, "movedim", "destination") for d in dst]
    if len(set(ws)) != len(ws):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(src)})")
    if len(set(wd)) != len(wd):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(dst)})")
    if nd == 0:
        return Permute.apply(input, dims=())
    order = [-1] * nd
    for s, d in zip(ws, wd):
        order[d] = s
    moved = set(ws)
    rest = iter(i for i in range(nd) if i not in moved)
    order = [o if o >= 0 else next(rest) for o in order]
    return Permute.apply(input, dims=tuple(order))


moveaxis = movedim


# -- expand -----------------------------------------------------------------------------------------------
class Expand(Function):
    """y = x broadcast to a larger shape without copying (a view). Gradient: g summed back to x's shape."""

    keep_inputs = False
    is_view = True

    def forward(self, x, shape):
        self.in_shape = x.shape
        return get_array_module(x).broadcast_to(x, shape)

    def backward(self, grad):
        return sum_to_shape(grad, self.in_shape)


def expand(input: Tensor, *sizes, **kwargs) -> Tensor:
    """Broadcast to `sizes` (-1 keeps a dim's size; new dims go in front) without copying."""
    sizes = _sizes(sizes, kwargs, "expand", ("size",))
    shape = input._data.shape
    nd, n = len(shape), len(sizes)
    if n < nd:
        raise RuntimeError(f"expand(tensorlite.{input.dtype.name}{{{list(shape)}}}, size={list(sizes)}): the number of "
                           f"sizes provided ({n}) must be greater or equal to the number of dimensions in the tensor "
                           f"({nd})")
    lead = n - nd
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a leading, non-existing "
                                   f"dimension {i}")
        else:
            cur = shape[i - lead]
            if s == -1:
                s = cur
            elif s != cur and (cur != 1 or s < 0):
                raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                                   f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                                   f"{list(shape)}")
        target.append(s)
    return Expand.apply(input, shape=tuple(target))


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other._data.shape)


# -- atleast_nd ------------------------------------------------------------------------------------------------
def _atleast(tensors, fn):
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return fn(tensors[0])
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    for x in tensors:
        if not isinstance(x, Tensor):
            raise TypeError(f"{fn.__name__.replace('_at', 'atleast_')}d(): expected Tensors, got {type(x).__name__}")
    return tuple(fn(x) for x in tensors)


def _at1(x: Tensor) -> Tensor:
    return reshape(x, (1,)) if x._data.ndim == 0 else x


def _at2(x: Tensor) -> Tensor:
    nd = x._data.ndim
    return reshape(x, (1, 1)) if nd == 0 else (Unsqueeze.apply(x, dim=0) if nd == 1 else x)


def _at3(x: Tensor) -> Tensor:
    nd = x._data.ndim
    if nd == 0:
        return reshape(x, (1, 1, 1))
    if nd == 1:
        return reshape(x, (1, x._data.shape[0], 1))
    return Unsqueeze.apply(x, dim=2) if nd == 2 else x


def atleast_1d(*tensors):
    """Each tensor viewed with at least 1 dim (0-d -> (1,))."""
    return _atleast(tensors, _at1)


def atleast_2d(*tensors):
    """Each tensor viewed with at least 2 dims ((n,) -> (1, n))."""
    return _atleast(tensors, _at2)


def atleast_3d(*tensors):
    """Each tensor viewed with at least 3 dims ((n,) -> (1, n, 1), (m, n) -> (m, n, 1))."""
    return _atleast(tensors, _at3)


# -- in-place shape changes ---------------------------------------------------------------------------------
def _metadata_inplace(name: str, fn):
    """`x.unsqueeze_(0)`-style ops: x itself takes the new shape (same memory), as a view op would give it."""

    def method(self, *args, **kwargs):
        if grad_mode._grad_enabled[0] and self._requires_grad and self.grad_fn is None:
            raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used in an in-place operation.")
        result = fn(self, *args, **kwargs)
        self._data = result._data
        self._vc[0] += 1  # PyTorch counts a metadata change as a modification, too
        if result.grad_fn is not None:
            self.grad_fn, self._output_nr = result.grad_fn, result._output_nr
        return self

    method.__name__ = name
    method.__doc__ = f"In-place form of `{fn.__name__}`: this tensor takes the new shape (its memory is unchanged)."
    return method


def _t_inplace(input: Tensor) -> Tensor:
    return t(input, _op="t_()")


TENSOR_METHODS = {
    "view": view, "view_as": view_as, "reshape": reshape, "reshape_as": reshape_as, "flatten": flatten,
    "unflatten": unflatten, "ravel": ravel, "squeeze": squeeze, "unsqueeze": unsqueeze, "transpose": transpose,
    "swapaxes": transpose, "swapdims": transpose, "t": t, "permute": permute, "movedim": movedim,
    "moveaxis": movedim, "adjoint": adjoint, "expand": expand, "expand_as": expand_as,
    "T": property(_T), "mT": property(_mT), "H": property(_H),
    "mH": property(lambda self: _mT(self, "tensor.mH")),
    "squeeze_": _metadata_inplace("squeeze_", squeeze), "unsqueeze_": _metadata_inplace("unsqueeze_", unsqueeze),
    "t_": _metadata_inplace("t_", _t_inplace), "transpose_": _metadata_inplace("transpose_", transpose),
    "swapaxes_": _metadata_inplace("swapaxes_", transpose), "swapdims_": _metadata_inplace("swapdims_", transpose),
}


def __getattr__(name: str):
    # `pad` lives in pad.py (which imports this module); it stays importable from here lazily.
    if name == "pad":
        from .pad import pad

        return pad
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
