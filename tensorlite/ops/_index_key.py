"""Turning a PyTorch index expression (`x[key]`) into NumPy indexing, with PyTorch's rules.

PyTorch reads a key left to right: ints select (remove a dim), slices and None are views,
`...` skips dims, and index tensors (int or bool) are collected for one advanced-indexing
step applied afterwards to that view. Two places where this differs from NumPy, which is why
the key is split here rather than handed to NumPy whole:

  * ints next to index tensors select first (`x[0, :, [1, 2]]` has shape (3, 2) for a
    (2, 3, 4) tensor; NumPy would broadcast the 0 with [1, 2] and give (2, 3));
  * Python bools (and 0-d bool tensors) add a dim indexed by [0] (True) or [] (False).

The result is `(basic, adv)`: `basic` a tuple of ints/slices/None ending in `...` (so even a
0-d result is a view, not a NumPy scalar), applied first; `adv` None or a tuple of full slices
and index arrays (int64, or bool masks) applied to that view with NumPy's rules, which are
PyTorch's once the ints are gone.
"""
from __future__ import annotations

import operator

import numpy as np

from ..tensor import Tensor

_ZERO_DIM = ("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to "
             "convert a 0-dim tensor to a number")
_FULL = slice(None)


def _is_int(obj) -> bool:
    return isinstance(obj, (int, np.integer)) and not isinstance(obj, (bool, np.bool_))


def _int_like(obj) -> bool:
    """A Python/NumPy int or a 0-d integer tensor (both select, removing a dim)."""
    if isinstance(obj, Tensor):
        a = obj._data
        return a.ndim == 0 and a.dtype.kind in "iu" and a.dtype != np.uint8
    return _is_int(obj)


def _sequence_as_tuple(key) -> bool:
    """PyTorch's (and old NumPy's) heuristic: a short list holding slices, None, `...`, tensors or sequences
    is a tuple of indices, not one index."""
    if not isinstance(key, list) or len(key) >= 32:
        return False
    return any(isinstance(k, (Tensor, list, tuple, slice, np.ndarray)) or k is None or k is Ellipsis for k in key)


def sequence_to_index(seq, like) -> np.ndarray:
    """A list/tuple/ndarray index as an index array: bool (and uint8) stay masks, anything else becomes int64."""
    if isinstance(seq, (list, tuple)) and any(isinstance(s, Tensor) for s in seq):
        seq = [s.item() if isinstance(s, Tensor) else s for s in seq]
    a = np.asarray(seq)
    if a.dtype == np.uint8 or a.dtype == np.bool_:
        a = a.astype(np.bool_, copy=False)
    elif a.dtype.kind not in "iufV" and a.size:
        raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
                         f"indices (got {type(seq).__name__})")
    else:
        a = a.astype(np.int64)
    if type(like) is not np.ndarray:  # the index lives on the tensor's device
        from ..backend import get_array_module

        a = get_array_module(like).asarray(a)
    return a


def _step_ok(s: slice) -> None:
    if s.step is not None:
        step = operator.index(s.step)
        if step == 0:
            raise ValueError("slice step cannot be zero")
        if step < 0:
            raise ValueError("step must be greater than zero")


def _index_tensor_array(t: Tensor, like) -> np.ndarray:
    a = t._data
    if a.dtype == np.uint8:
        return a.astype(np.bool_)
    if a.dtype != np.int64 and a.dtype != np.int32 and a.dtype != np.bool_:
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if type(a) is not type(like):
        if type(a) is not np.ndarray:
            raise RuntimeError("indices should be either on cpu or on the same device as the indexed tensor (cpu)")
        from ..backend import get_array_module

        a = get_array_module(like).asarray(a)  # CPU indices into a CUDA tensor: PyTorch allows them
    return a


def _basic_tuple(key: tuple, shape: tuple):
    """The hot path: a tuple of Python ints, slices, None and at most one `...` (NumPy's rules are PyTorch's
    there). Returns the NumPy key, or None to take the general path (which also reports errors)."""
    n = 0
    ellipsis = False
    for k in key:
        t = type(k)
        if t is int or t is slice:
            n += 1
        elif k is Ellipsis and not ellipsis:
            ellipsis = True
        elif k is not None:
            return None
    ndim = len(shape)
    if n > ndim:
        return None
    src = dim = 0
    for k in key:
        t = type(k)
        if t is int:
            size = shape[src]
            if not -size <= k < size:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {size}")
            src += 1
        elif t is slice:
            if k.step is not None:
                _step_ok(k)
            src, dim = src + 1, dim + 1
        elif k is None:
            dim += 1
        else:
            src, dim = src + ndim - n, dim + ndim - n
    return key if ellipsis else key + (Ellipsis,)


def parse_key(key, data) -> tuple:
    """Split `key` for array `data` into (basic, adv) as described in the module docstring."""
    shape = data.shape
    ndim = len(shape)
    # Fast paths: one int or one slice (the common `x[i]`, `x[a:b]`).
    if _is_int(key):
        if ndim == 0:
            raise IndexError(_ZERO_DIM)
        if not -shape[0] <= key < shape[0]:
            raise IndexError(f"index {key} is out of bounds for dimension 0 with size {shape[0]}")
        return (key, Ellipsis), None
    if type(key) is slice:
        if ndim == 0:
            raise IndexError("too many indices for tensor of dimension 0")
        _step_ok(key)
        return (key, Ellipsis), None

    if type(key) is tuple:
        fast = _basic_tuple(key, shape)
        if fast is not None:
            return fast, None
        items = key
    elif _sequence_as_tuple(key):
        items = tuple(key)
    else:
        items = (key,)
    if ndim == 0 and len(items) == 1 and _int_like(items[0]):
        raise IndexError(_ZERO_DIM)

    specified = 0
    for obj in items:
        if isinstance(obj, Tensor):
            specified += obj._data.ndim if obj._data.dtype in (np.bool_, np.uint8) else 1
        elif not (obj is None or obj is Ellipsis or isinstance(obj, (bool, np.bool_))):
            specified += 1
    if specified > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")

    basic: list = []
    adv: dict = {}   # position in the basic result -> index array
    src = 0          # dims of `data` consumed so far
    dim = 0          # dims of the basic result produced so far
    for obj in items:
        if isinstance(obj, Tensor):
            a = obj._data
            if a.ndim == 0 and a.dtype.kind in "iub":
                obj = bool(a) if a.dtype.kind == "b" or a.dtype == np.uint8 else int(a)
            else:
                a = _index_tensor_array(obj, data)
                k = a.ndim if a.dtype == np.bool_ else 1
                adv[dim] = a
                basic.extend([_FULL] * k)
                src, dim = src + k, dim + k
                continue
        elif isinstance(obj, (list, tuple, np.ndarray)):
            a = sequence_to_index(obj, data)
            if a.ndim == 0 and a.dtype != np.bool_:
                obj = int(a)
            elif a.ndim == 0:
                obj = bool(a)
            else:
                k = a.ndim if a.dtype == np.bool_ else 1
                adv[dim] = a
                basic.extend([_FULL] * k)
                src, dim = src + k, dim + k
                continue
        if obj is None:
            basic.append(None)
            dim += 1
        elif obj is Ellipsis:
            n = min(ndim - specified, ndim - src)
            basic.extend([_FULL] * n)
            src, dim = src + n, dim + n
        elif isinstance(obj, (bool, np.bool_)):
            # PyTorch: unsqueeze, then index the new dim with [0] (True) or [] (False).
            basic.append(None)
            adv[dim] = _int_array([0] if obj else [], data)
            dim += 1
        elif _is_int(obj):
            if src >= ndim:
                raise IndexError(f"too many indices for tensor of dimension {ndim}")
            size = shape[src]
            if not -size <= obj < size:
                raise IndexError(f"index {int(obj)} is out of bounds for dimension {dim} with size {size}")
            basic.append(int(obj))
            src += 1
        elif type(obj) is slice:
            _step_ok(obj)
            basic.append(obj)
            src, dim = src + 1, dim + 1
        elif isinstance(obj, (float, np.floating)) or not hasattr(obj, "__index__"):
            raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                             f"valid indices (got {type(obj).__name__})")
        else:  # objects with __index__
            basic.append(operator.index(obj))
            src += 1
    basic.append(Ellipsis)
    basic = tuple(basic)
    if not adv:
        return basic, None
    return basic, _adv_key(adv, data[basic].shape)


def _int_array(values, like):
    a = np.asarray(values, dtype=np.int64)
    if type(like) is not np.ndarray:
        from ..backend import get_array_module

        a = get_array_module(like).asarray(a)
    return a


def _adv_key(adv: dict, vshape: tuple) -> tuple:
    """The advanced part as a NumPy key on the basic view: full slices, with index arrays at their dims."""
    key = []
    d = 0
    end = max(p + (a.ndim if a.dtype == np.bool_ else 1) for p, a in adv.items())
    while d < end:
        a = adv.get(d)
        if a is None:
            key.append(_FULL)
            d += 1
            continue
        if a.dtype == np.bool_:
            for j, n in enumerate(a.shape):
                if d + j >= len(vshape) or vshape[d + j] != n:
                    raise IndexError(f"The shape of the mask {list(a.shape)} at index {j} does not match the shape of "
                                     f"the indexed tensor {list(vshape)} at index {d + j}")
            d += a.ndim
        else:
            d += 1
        key.append(a)
    return tuple(key)


def int_key(adv: tuple) -> tuple:
    """`adv` with every bool mask replaced by the int arrays of its nonzero positions (what add.at needs)."""
    if not any(getattr(k, "dtype", None) == np.bool_ for k in adv):
        return adv
    out = []
    for k in adv:
        if getattr(k, "dtype", None) == np.bool_:
            from ..backend import get_array_module

            out.extend(get_array_module(k).nonzero(k))
        else:
            out.append(k)
    return tuple(out)


def indexed_shape(vshape: tuple, adv) -> tuple:
    """Shape of `view[adv]` for a view of shape `vshape`, without indexing (PyTorch's = NumPy's rules)."""
    if adv is None:
        return tuple(vshape)
    before, after, arrays, positions = [], [], [], []
    d = 0
    for i, k in enumerate(adv):
        if isinstance(k, slice):
            (after if arrays else before).append(vshape[d])  # `after`: slices past the first index array
            d += 1
        else:
            if k.dtype == np.bool_:
                arrays.append((int(k.sum()),))
                d += k.ndim
            else:
                arrays.append(k.shape)
                d += 1
            positions.append(i)
    try:
        bshape = np.broadcast_shapes(*arrays)
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                         + ", ".join(str(list(s)) for s in arrays)) from None
    rest = tuple(vshape[d:])
    adjacent = positions[-1] - positions[0] == len(positions) - 1
    if adjacent:
        return tuple(before) + bshape + tuple(after) + rest
    return bshape + tuple(before) + tuple(after) + rest


def reword_index_error(exc: IndexError) -> IndexError:
    """NumPy's wording of an indexing error in PyTorch's terms ("dimension", "tensors", shapes as lists)."""
    msg = str(exc)
    if msg.startswith("shape mismatch"):
        shapes = msg.split("shapes", 1)[-1].strip().split(") (")
        lists = [("[" + s.strip("() ,").replace(",", ", ").replace(",  ", ", ") + "]") for s in shapes]
        return IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                          + ", ".join(lists))
    return IndexError(msg.replace("for axis", "for dimension"))
