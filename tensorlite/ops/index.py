"""Indexing: `x[key]`, `x[key] = v`, index_put, take/put, the index_* and masked_* families.

Reading with ints, slices, None and `...` returns a view of the input (it shares memory and the
version counter); reading with index tensors or masks returns a copy. Both have one adjoint:
the output gradient written into zeros of the input's shape at the indexed positions, *added*
where an index repeats (`IndexPut` with accumulate). IndexPut's own adjoint is indexing again,
so every gradient here is twice differentiable. index_select/index_add/index_copy/index_fill
are in `_index_dim.py`, the gather/scatter family in `_scatter.py`, sorting and searching (sort,
topk, unique, nonzero, ...) in `_sorting.py`; all are re-exported from here, so
`tensorlite.ops.index` is the whole group.
"""
from __future__ import annotations

import numpy as np

from ..autograd import grad_mode
from ..amp import policy as _amp
from ..autograd.function import Function, check_same_device
from ..backend import get_array_module
from ..tensor import Tensor
from ._index_key import indexed_shape, int_key, parse_key, reword_index_error
from .arithmetic import broadcast_to, sum_to_shape

_grad_enabled = grad_mode._grad_enabled
_FULL = slice(None)


# -- array helpers ------------------------------------------------------------------------------------
def zeros_tensor(shape, like) -> Tensor:
    """A fresh zero Tensor of `shape` with the dtype and device of array `like`."""
    return Tensor._wrap(get_array_module(like).zeros(shape, dtype=like.dtype))


def zero_scalar(like) -> Tensor:
    """A 0-d zero Tensor with the dtype and device of array `like` (what masked/indexed gradients are filled with)."""
    return zeros_tensor((), like)


# cupyx's scatter kernel for each ufunc, and the dtypes its atomics support (CuPy's own lists)
_CUPYX_SCATTER = {"add": ("scatter_add", {"int32", "float16", "float32", "float64", "uint32", "uint64"}),
                  "maximum": ("scatter_max", {"int32", "float32", "float64", "uint32", "uint64"}),
                  "minimum": ("scatter_min", {"int32", "float32", "float64", "uint32", "uint64"})}


def ufunc_at(name: str, target, key: tuple, values) -> None:
    """`target[key] (op)= values` with repeated indices combining (np.add.at and friends; cupyx on GPU)."""
    xp = get_array_module(target)
    key = int_key(key)
    if xp is np:
        getattr(np, name).at(target, key, values)
        return
    from ..backend.device import cupyx_module  # noqa: PLC0415

    scatter, dtypes = _CUPYX_SCATTER.get(name, (None, ()))
    if target.dtype.name in dtypes:
        getattr(cupyx_module(), scatter)(target, key, values)
        return
    # No CuPy kernel (multiply.at, or a dtype CuPy's atomics lack such as int64): do it on the host.
    host = target.get()
    getattr(np, name).at(host, tuple(k.get() if hasattr(k, "get") else k for k in key),
                         values.get() if hasattr(values, "get") else values)
    target[...] = xp.asarray(host)


def as_1d(a):
    """0-d arrays as shape (1,) views (so dim 0 exists), others unchanged."""
    return a.reshape(1) if a.ndim == 0 else a


def reshape_small(t: Tensor, shape: tuple) -> Tensor:
    """Differentiably move between a 0-d tensor and a one-element tensor of `shape` (or return t)."""
    if t._data.shape == tuple(shape):
        return t
    if len(shape) == 0:
        return BasicIndex.apply(t, key=(0,) * t._data.ndim + (Ellipsis,))
    return BasicIndex.apply(BasicIndex.apply(t, key=(0,) * t._data.ndim + (Ellipsis,)),
                            key=(None,) * len(shape) + (Ellipsis,))


def index_array(index, op: str, like: Tensor, allowed=(np.int64,), error=RuntimeError, msg: str | None = None):
    """The raw array of an index Tensor, checked for dtype and device."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    a = index._data
    if a.dtype not in allowed:
        raise error(msg or f"{op}(): Expected dtype int64 for index, but got {index.dtype.name}")
    if type(a) is not type(like._data):
        raise RuntimeError(f"{op}(): Expected all tensors to be on the same device, but found at least two devices, "
                           f"{like.device} and {index.device}!")
    return a


def check_bounds(idx, size: int, dim: int, error=RuntimeError, negative_ok: bool = False, op: str = "") -> None:
    """Raise `error` naming the first bad index unless every entry of `idx` is in [0, size) ([-size, size))."""
    if idx.size == 0:
        return
    lo, hi = int(idx.min()), int(idx.max())
    low_limit = -size if negative_ok else 0
    if lo < low_limit or hi >= size:
        bad = lo if lo < low_limit else hi
        raise error(f"{op}index {bad} is out of bounds for dimension {dim} with size {size}")


def _dtype_name(a) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}[np.dtype(a.dtype).name]


# -- reading: x[key] -------------------------------------------------------------------------------------
class BasicIndex(Function):
    """y = x[ints, slices, None, ...]: a view. Gradient: g written into zeros of x's shape."""

    keep_inputs = False
    is_view = True

    def forward(self, x, key):
        self.in_shape, self.key = x.shape, key
        return x[key]

    def backward(self, grad):
        base = zeros_tensor(self.in_shape, grad._data)
        return IndexPut.apply(base, grad, basic=self.key, adv=None, fresh=True)


class AdvancedIndex(Function):
    """y = x[basic][adv] with index arrays (a copy). Gradient: g added into zeros at the indexed positions.

    `unique` says the indices cannot repeat (masks only), so the adjoint may assign instead of add.
    """

    keep_inputs = False

    def forward(self, x, basic, adv, unique=False):
        self.in_shape, self.key, self.unique = x.shape, (basic, adv), unique
        view = x[basic]
        if _nothing_addressed(view.shape, adv):
            return get_array_module(x).empty(indexed_shape(view.shape, adv), dtype=x.dtype)
        return view[adv]

    def backward(self, grad):
        basic, adv = self.key
        base = zeros_tensor(self.in_shape, grad._data)
        return IndexPut.apply(base, grad, basic=basic, adv=adv, accumulate=not self.unique, fresh=True)


class IndexPut(Function):
    """y = x with y[key] = v (accumulate: y[key] += v, repeated indices adding up).

    Gradients: for x, g with the written positions zeroed (all of g when accumulating); for v,
    g[key] summed back to v's shape.
    """

    keep_inputs = False

    def forward(self, base, values, basic, adv, accumulate=False, fresh=False):
        self.key, self.accumulate, self.values_shape = (basic, adv), accumulate, values.shape
        out = base if fresh else base.copy()
        target = out[basic]
        if adv is not None and _nothing_addressed(target.shape, adv):
            return out
        if adv is None:
            if accumulate:
                target += values
            else:
                target[...] = values
        elif accumulate:
            ufunc_at("add", target, adv, values)
        else:
            target[adv] = values
        return out

    def backward(self, grad):
        basic, adv = self.key
        gx = gv = None
        if self.needs_input_grad[0]:
            gx = grad if self.accumulate else IndexPut.apply(grad, zero_scalar(grad._data), basic=basic, adv=adv)
        if self.needs_input_grad[1]:
            gv = sum_to_shape(index_parsed(grad, basic, adv), self.values_shape)
        return gx, gv


def _nothing_addressed(vshape: tuple, adv: tuple) -> bool:
    """Whether view[adv] is empty, so that no index is read: PyTorch then checks bounds only against
    dims of size 0 (which no index fits); NumPy would check them all."""
    if 0 not in vshape or 0 not in indexed_shape(vshape, adv):
        return False
    arrays = [(int(k.sum()),) if k.dtype == np.bool_ else k.shape for k in adv if not isinstance(k, slice)]
    if 0 in np.broadcast_shapes(*arrays):
        return True  # no index value at all
    d = 0
    for k in adv:
        if not isinstance(k, slice) and k.dtype != np.bool_ and vshape[d] == 0 and k.size:
            raise IndexError("index is out of bounds for dimension with size 0")
        d += k.ndim if not isinstance(k, slice) and k.dtype == np.bool_ else 1
    return True


def index_parsed(x: Tensor, basic: tuple, adv, unique: bool = False) -> Tensor:
    """x[basic][adv] as the right Function (a view when there is no advanced part)."""
    if adv is None:
        return BasicIndex.apply(x, key=basic)
    if type(x._data) is not np.ndarray:
        _check_adv_bounds(x._data[basic].shape, adv)
    try:
        return AdvancedIndex.apply(x, basic=basic, adv=adv, unique=unique)
    except IndexError as exc:
        raise reword_index_error(exc) from None


def _check_adv_bounds(vshape, adv) -> None:
    """CuPy does not bounds-check fancy indices (it wraps): check them as NumPy would."""
    d = 0
    for k in adv:
        if isinstance(k, slice):
            d += 1
        elif k.dtype == np.bool_:
            d += k.ndim
        else:
            check_bounds(k, vshape[d], d, IndexError, negative_ok=True)
            d += 1


def getitem(self: Tensor, key) -> Tensor:
    """`x[key]` with PyTorch's rules: basic indexing gives a view, index tensors and masks a copy."""
    basic, adv = parse_key(key, self._data)
    return index_parsed(self, basic, adv)


# -- writing: x[key] = v, index_put ----------------------------------------------------------------------
def _value_tensor(value, like: Tensor, op: str):
    """`value` as a Tensor of like's dtype (Tensors are cast differentiably); TypeError for containers."""
    if isinstance(value, Tensor):
        if type(value._data) is not type(like._data):
            raise RuntimeError(f"{op}: Expected all tensors to be on the same device, but found at least two devices, "
                               f"{like.device} and {value.device}!")
        return value if value._data.dtype == like._data.dtype else value.to(like.dtype)
    if isinstance(value, (bool, int, float, np.number, np.bool_)):
        with np.errstate(invalid="ignore", over="ignore"):
            scalar = np.array(value).astype(like._data.dtype)
        return Tensor._wrap(get_array_module(like._data).asarray(scalar))
    raise TypeError(f"can't assign a {type(value).__name__} to a {like.type()}")


def _fit_values(values: Tensor, shape: tuple) -> Tensor:
    """Drop leading size-1 dims of `values` beyond the indexed shape (PyTorch allows them), check broadcasting."""
    vshape = values._data.shape
    extra = len(vshape) - len(shape)
    if extra > 0 and all(s == 1 for s in vshape[:extra]):
        values = BasicIndex.apply(values, key=(0,) * extra + (Ellipsis,))
        vshape = values._data.shape
    try:
        ok = len(vshape) <= len(shape) and np.broadcast_shapes(vshape, shape) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot be broadcast to indexing "
                           f"result of shape {list(shape)}")
    return values


def put_parsed(old: Tensor, basic: tuple, adv, value, accumulate: bool = False) -> Tensor:
    """Out of place `old[basic][adv] = value` (or `+=`): the differentiable half of __setitem__ and index_put_."""
    values = _value_tensor(value, old, "index_put")
    shape = indexed_shape(old._data[basic].shape, adv)
    values = _fit_values(values, shape)
    if adv is not None and type(old._data) is not np.ndarray:
        _check_adv_bounds(old._data[basic].shape, adv)
    try:
        return IndexPut.apply(old, values, basic=basic, adv=adv, accumulate=accumulate)
    except IndexError as exc:
        raise reword_index_error(exc) from None


def setitem(self: Tensor, key, value) -> None:
    """`x[key] = value`: value a number or a Tensor (cast to x's dtype, broadcast to the indexed shape)."""
    basic, adv = parse_key(key, self._data)
    if not isinstance(value, (Tensor, bool, int, float, np.number, np.bool_)):
        raise TypeError(f"can't assign a {type(value).__name__} to a {self.type()}")
    if (adv is not None and isinstance(value, Tensor) and value._data.dtype != self._data.dtype
            and not isinstance(key, (bool, np.bool_))
            and not (value._data.ndim == 0 and isinstance(key, Tensor) and key._data.dtype in (np.bool_, np.uint8))):
        # PyTorch casts only on its copy_/masked_fill paths; index_put (everything else) wants equal dtypes.
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_dtype_name(self._data)} for the destination and {_dtype_name(value._data)} for the "
                           f"source.")
    if _grad_enabled[0] and (self._requires_grad or (isinstance(value, Tensor) and value._requires_grad)):
        self._inplace("__setitem__", put_parsed, basic, adv, value)
        return
    # Nothing to record: write straight into the buffer (views of it see the change).
    data = self._data
    if isinstance(value, Tensor):
        if type(value._data) is not type(data):
            raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                               f"{self.device} and {value.device}!")
        v = value._data
    elif data.dtype.kind in "fV" and type(value) in (float, int, bool):
        v = value  # NumPy converts a Python number to a float buffer's dtype exactly as PyTorch does
    else:
        v = _value_tensor(value, self, "__setitem__")._data
    view = data[basic]
    if adv is not None and _nothing_addressed(view.shape, adv):
        self._vc[0] += 1  # nothing to write, still a modification
        return
    try:
        if adv is None:
            view[...] = v
        else:
            if type(data) is not np.ndarray:
                _check_adv_bounds(view.shape, adv)
            view[adv] = v
    except IndexError as exc:
        raise reword_index_error(exc) from None
    except ValueError as exc:
        if "read-only" in str(exc):
            raise RuntimeError("unsupported operation: some elements of the input tensor and the written-to tensor "
                               "refer to a single memory location. Please clone() the tensor before performing the "
                               "operation.") from None
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(np.shape(v))} cannot be broadcast to "
                           f"indexing result of shape {list(indexed_shape(view.shape, adv))}") from None
    self._vc[0] += 1


def index_put(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """out = input with out[indices] = values (accumulate: +=, repeated indices adding up).

    `indices` is a tuple of index tensors (int64/int32, or bool masks), one per leading dim.
    """
    if _amp.active[0]:
        input, values = _amp.cast_inputs("index_put", input, values)
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' must be tuple of Tensors, not {type(indices).__name__}")
    for i, t in enumerate(indices):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put(): argument 'values' (position 2) must be Tensor, not {type(values).__name__}")
    if values._data.dtype != input._data.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_dtype_name(input._data)} for the destination and {_dtype_name(values._data)} for the "
                           f"source.")
    if not indices:
        raise RuntimeError("index_put(): expected at least one index tensor")
    n = sum(t._data.ndim if t._data.dtype in (np.bool_, np.uint8) else 1 for t in indices)
    if n > input._data.ndim:
        raise IndexError(f"too many indices for tensor of dimension {input._data.ndim} (got {n})")
    basic, adv = parse_key(tuple(indices), input._data)
    return put_parsed(input, basic, adv, values, accumulate)


# -- take / put: the tensor as if it were 1-D --------------------------------------------------------------
def flat_key(shape: tuple, positions) -> tuple:
    """(basic, adv) that address flat (row-major) `positions` of an array of `shape` (0-d included)."""
    if len(shape) == 0:
        return (None, Ellipsis), (positions,)
    return (Ellipsis,), tuple(get_array_module(positions).unravel_index(positions, shape))


def _flat_positions(idx, numel: int, op: str):
    if idx.size and numel == 0:
        raise IndexError(f"{op}(): tried to take from an empty tensor")
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < -numel or hi >= numel:
            raise IndexError(f"out of range: tried to access index {lo if lo < -numel else hi} on a tensor of "
                             f"{numel} elements.")
        idx = idx % numel
    return idx


def take(input: Tensor, index: Tensor) -> Tensor:
    """y[i] = input.flatten()[index[i]] (negative indices count from the end); y has index's shape.

    Gradient: g added into zeros at those flat positions.
    """
    idx = index_array(index, "take", input, msg=f"take(): Expected a long tensor for index, but got "
                                               f"{_dtype_name(index._data) if isinstance(index, Tensor) else ''}")
    pos = _flat_positions(idx, input._data.size, "take")
    basic, adv = flat_key(input._data.shape, pos)
    return AdvancedIndex.apply(input, basic=basic, adv=adv)


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """out = input with out.flatten()[index] = source.flatten() (accumulate: +=)."""
    idx = index_array(index, "put_", input, msg=f"put_(): Expected a long tensor for index, but got "
                                               f"{_dtype_name(index._data) if isinstance(index, Tensor) else ''}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{_dtype_name(input._data)} and source.dtype = {_dtype_name(source._data)}")
    if idx.size != source._data.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                           f"index.numel() = {idx.size}, source.numel() = {source._data.size}")
    pos = _flat_positions(idx.reshape(-1), input._data.size, "put_")
    xp = get_array_module(idx)
    sb, sa = flat_key(source._data.shape, xp.arange(idx.size))
    values = AdvancedIndex.apply(source, basic=sb, adv=sa, unique=True)
    basic, adv = flat_key(input._data.shape, pos)
    return IndexPut.apply(input, values, basic=basic, adv=adv, accumulate=bool(accumulate))


def _fill_value(value, input: Tensor, op: str) -> Tensor:
    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise RuntimeError(f"{op} only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._data.ndim} dimension(s).")
    return _value_tensor(value, input, op)


# -- masks -----------------------------------------------------------------------------------------------------
class MaskedFill(Function):
    """y = where(mask, value, x) (value a 0-d tensor). Gradients: g where not mask (for x), sum of g where mask."""

    keep_inputs = False

    def forward(self, x, value, mask):
        self.x_shape, self.mask = x.shape, mask
        return get_array_module(x).where(mask, value, x)

    def backward(self, grad):
        gx = gv = None
        zero = zero_scalar(grad._data)
        if self.needs_input_grad[0]:
            gx = sum_to_shape(MaskedFill.apply(grad, zero, mask=self.mask), self.x_shape)
        if self.needs_input_grad[1]:
            gv = sum_to_shape(MaskedFill.apply(grad, zero, mask=~self.mask), ())
        return gx, gv


def _mask_array(mask, input: Tensor, msg: str):
    if not isinstance(mask, Tensor):
        raise TypeError(f"argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask._data.dtype != np.bool_:
        raise RuntimeError(msg.format(dtype={"float32": "float", "float64": "double", "uint8": "unsigned char",
                                             "int64": "long int", "int32": "int"}.get(mask._data.dtype.name,
                                                                                       mask._data.dtype.name)))
    return mask._data


def _broadcast(a_shape, b_shape) -> tuple:
    try:
        return np.broadcast_shapes(a_shape, b_shape)
    except ValueError:
        for i, (x, y) in enumerate(zip(reversed(a_shape), reversed(b_shape))):
            if x != y and x != 1 and y != 1:
                raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton "
                                   f"dimension {max(len(a_shape), len(b_shape)) - 1 - i}") from None
        raise


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """out = input where mask is False, value where True (mask broadcasts; value a number or 0-d tensor)."""
    if isinstance(mask, Tensor):
        check_same_device("masked_fill", input, mask)
    m = _mask_array(mask, input, "masked_fill_ only supports boolean masks, but got mask with dtype {dtype}")
    value = _fill_value(value, input, "masked_fill_")
    _broadcast(input._data.shape, m.shape)
    return MaskedFill.apply(input, value, mask=m)


def mask_key(mask) -> tuple:
    """(basic, adv) selecting the True positions of a full-shape bool mask, in row-major order."""
    if mask.ndim == 0:
        return (None, Ellipsis), (mask.reshape(1),)
    return (Ellipsis,), (mask,)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of input (broadcast with mask) where mask is True, as a 1-D tensor."""
    if isinstance(mask, Tensor):
        check_same_device("masked_select", input, mask)
    m = _mask_array(mask, input, "masked_select: expected BoolTensor for mask")
    shape = _broadcast(input._data.shape, m.shape)
    x = broadcast_to(input, shape)
    m = get_array_module(m).broadcast_to(m, shape)
    basic, adv = mask_key(m)
    return AdvancedIndex.apply(x, basic=basic, adv=adv, unique=True)


class MaskedScatter(Function):
    """y = x (broadcast to mask) with its True positions filled by source's first elements in order.

    Gradients: g where not mask (summed to x's shape); g's masked elements placed at the start of source.
    """

    keep_inputs = False

    def forward(self, x, src, mask):
        self.x_shape, self.src_shape, self.mask = x.shape, src.shape, mask
        out = get_array_module(x).broadcast_to(x, mask.shape).copy()
        n = int(mask.sum())
        self.n = n
        out[mask] = src.reshape(-1)[:n]
        return out

    def backward(self, grad):
        gx = gs = None
        if self.needs_input_grad[0]:
            gx = sum_to_shape(MaskedFill.apply(grad, zero_scalar(grad._data), mask=self.mask), self.x_shape)
        if self.needs_input_grad[1]:
            basic, adv = mask_key(self.mask)
            picked = AdvancedIndex.apply(grad, basic=basic, adv=adv, unique=True)
            sb, sa = flat_key(self.src_shape, get_array_module(grad._data).arange(self.n))
            gs = IndexPut.apply(zeros_tensor(self.src_shape, grad._data), picked, basic=sb, adv=sa, fresh=True)
        return gx, gs


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """out = input with the positions where mask is True filled, in row-major order, by source's elements."""
    m = _mask_array(mask, input, "masked_scatter_ only supports boolean masks, but got mask with dtype {dtype}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{_dtype_name(input._data)} and {_dtype_name(source._data)}")
    shape = _broadcast(input._data.shape, m.shape)
    m = get_array_module(m).broadcast_to(m, shape)
    if int(m.sum()) > source._data.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    return MaskedScatter.apply(input, source, mask=m)


# -- the rest of the group ---------------------------------------------------------------------------------------
from . import _index_dim, _scatter, _sorting  # noqa: E402 - they use the Functions above
from ._index_dim import index_add, index_copy, index_fill, index_select  # noqa: E402
from ._scatter import gather, scatter, scatter_add, scatter_reduce, take_along_dim  # noqa: E402
from ._sorting import (argsort, argwhere, bucketize, msort, nonzero, searchsorted, sort, topk,  # noqa: E402
                       unique, unique_consecutive)

__all__ = (["index_put", "take", "put", "masked_fill", "masked_select", "masked_scatter"] + _index_dim.__all__
           + _scatter.__all__ + _sorting.__all__)

TENSOR_METHODS = {name: globals()[name] for name in __all__ if name not in ("searchsorted", "bucketize")}
TENSOR_METHODS.update({"__getitem__": getitem, "__setitem__": setitem})

# In-place forms: x.index_put_(...), x.masked_fill_(...), x.scatter_(...), ... (Tensor._inplace semantics)
INPLACE = {"index_put": index_put, "put": put, "index_add": index_add, "index_copy": index_copy,
           "index_fill": index_fill, "masked_fill": masked_fill, "masked_scatter": masked_scatter,
           "scatter": scatter, "scatter_add": scatter_add, "scatter_reduce": scatter_reduce}
