"""dtypes: PyTorch-shaped names over NumPy dtypes, and PyTorch's type-promotion rules.

A `tl.dtype` is a thin named wrapper around a NumPy dtype so that `t.dtype` prints as
`tensorlite.float32` and compares equal to `tl.float32`. Promotion follows PyTorch, not
NumPy: int32 tensor / int32 tensor is float32 (the default dtype), and a Python scalar or a
0-d tensor never widens a dimensioned tensor of the same category (float32 * 2.0 -> float32).
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "dtype", "float16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64", "bool",
    "half", "float", "double", "short", "int", "long", "get_default_dtype", "set_default_dtype",
    "promote_types", "is_floating_point",
]

_builtin_bool, _builtin_int, _builtin_float = bool, int, float


class dtype:
    """A tensor element type. `np` is the NumPy dtype that stores it."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_kind")

    def __init__(self, name: str, np_dtype, kind: int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self._kind = kind  # 0 bool, 1 integer, 2 floating: the promotion category
        self.is_floating_point = kind == 2
        self.is_signed = kind == 2 or self.np.kind == "i"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"tensorlite.{self.name}"

    def __reduce__(self):  # dtypes are singletons
        return self.name

    def to_real(self) -> "dtype":
        return self


bool = dtype("bool", np.bool_, 0)  # noqa: A001 - PyTorch's name
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)
half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001

_ALL = (bool, uint8, int8, int16, int32, int64, float16, float32, float64)
_FROM_NP = {d.np: d for d in _ALL}
_default_float = float32


def get_default_dtype() -> dtype:
    return _default_float


def set_default_dtype(d) -> None:
    global _default_float
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the default type, got {d}")
    _default_float = d


def from_numpy_dtype(npd) -> dtype:
    """The tl.dtype for a NumPy dtype; TypeError for types tensorlite does not support."""
    try:
        return _FROM_NP[npd]
    except (KeyError, TypeError):
        pass
    try:
        return _FROM_NP[np.dtype(npd)]
    except (KeyError, TypeError):
        raise TypeError(f"unsupported dtype {npd!r}: tensorlite supports {', '.join(d.name for d in _ALL)}") from None


def to_dtype(d) -> dtype:
    """Accept tl.dtype, NumPy dtypes/types, Python bool/int/float (as PyTorch does) or a name."""
    if type(d) is dtype:
        return d
    if d is _builtin_float:
        return float64
    if d is _builtin_int:
        return int64
    if d is _builtin_bool:
        return bool
    if isinstance(d, str):
        found = globals().get(d.replace("torch.", "").replace("tensorlite.", ""))
        if type(found) is dtype:
            return found
    return from_numpy_dtype(d)


def is_floating_point(d) -> _builtin_bool:
    return to_dtype(d).is_floating_point


# promote_types: the lattice of PyTorch's torch.promote_types for the dtypes above.
def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both a and b convert to without losing category (PyTorch's table)."""
    if a is b:
        return a
    if a._kind != b._kind:
        return a if a._kind > b._kind else b
    if a._kind == 2:
        return a if a.itemsize >= b.itemsize else b
    # integers: uint8 with a signed type needs the next signed size up
    if a is uint8 or b is uint8:
        other = b if a is uint8 else a
        return int16 if other is int8 else other
    return a if a.itemsize >= b.itemsize else b


def result_type_of(operands) -> dtype:
    """PyTorch's result_type over tensors and Python scalars.

    Three priority groups: tensors with dims, 0-d tensors, Python scalars. The result category
    is the highest category present; the dtype comes from the highest-priority group holding
    an operand of that category (a Python float alone gives the default float dtype).
    """
    from .tensor import Tensor

    groups = [None, None, None]  # promoted dtype per group: dimensioned, zero-dim, scalar
    for x in operands:
        if isinstance(x, Tensor):
            d = from_numpy_dtype(x._data.dtype)  # `.data` is a Tensor; the raw array is `._data`
            g = 0 if x._data.ndim else 1
        elif isinstance(x, _builtin_bool):
            d, g = bool, 2
        elif isinstance(x, _builtin_int):
            d, g = int64, 2
        elif isinstance(x, _builtin_float):
            d, g = _default_float, 2
        elif isinstance(x, np.generic):  # NumPy scalars promote like Python numbers, as in PyTorch
            d, g = (bool if x.dtype.kind == "b" else int64 if x.dtype.kind in "iu" else _default_float), 2
        elif isinstance(x, np.ndarray):
            d, g = from_numpy_dtype(x.dtype), (0 if np.ndim(x) else 1)
        else:
            raise TypeError(f"unsupported operand type {type(x).__name__}")
        groups[g] = d if groups[g] is None else promote_types(groups[g], d)
    category = max(gd._kind for gd in groups if gd is not None)
    for gd in groups:
        if gd is not None and gd._kind == category:
            return gd
    raise AssertionError("unreachable")
