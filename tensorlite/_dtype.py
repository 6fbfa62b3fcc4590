"""dtypes: PyTorch-shaped names over NumPy dtypes, and PyTorch's type-promotion rules.

A `tl.dtype` is a thin named wrapper around a NumPy dtype so that `t.dtype` prints as
`tensorlite.float32` and compares equal to `tl.float32`. Promotion follows PyTorch, not
NumPy: int32 tensor / int32 tensor is float32 (the default dtype), and a Python scalar or a
0-d tensor never widens a dimensioned tensor of the same category (float32 * 2.0 -> float32).

bfloat16 exists when the optional `ml_dtypes` package is installed (`pip install 'tensorlite[bf16]'`),
which gives NumPy (and CuPy >= 14) a bfloat16 array type. It is a storage type here: ops compute on
bfloat16 inputs in float32 and round their results back (`Function.apply`), as PyTorch's CPU kernels
do with their float32 "opmath" type. NumPy reports its kind as "V", so float checks test `kind in "fV"`.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "dtype", "float16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64", "bool",
    "half", "float", "double", "short", "int", "long", "get_default_dtype", "set_default_dtype",
    "promote_types", "is_floating_point", "finfo", "iinfo",
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

try:  # the optional bfloat16 array type (the `bf16` extra)
    import ml_dtypes as _ml_dtypes
except ImportError:
    _ml_dtypes = None
if _ml_dtypes is not None:
    bfloat16 = dtype("bfloat16", _ml_dtypes.bfloat16, 2)
    __all__.append("bfloat16")
    _ALL = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64)
    BFLOAT16_NP = bfloat16.np
else:
    _ALL = (bool, uint8, int8, int16, int32, int64, float16, float32, float64)
    BFLOAT16_NP = None  # checks `array.dtype is BFLOAT16_NP` are then always False

BFLOAT16_MISSING = ("tensorlite.bfloat16 needs the optional ml_dtypes package (NumPy has no bfloat16 type): "
                    "pip install 'tensorlite[bf16]'")
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
        name = d.replace("torch.", "").replace("tensorlite.", "")
        found = globals().get(name)
        if type(found) is dtype:
            return found
        if name == "bfloat16":
            raise TypeError(BFLOAT16_MISSING)
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
        if a.itemsize == b.itemsize:  # float16 with bfloat16: neither holds the other, float32 holds both
            return float32
        return a if a.itemsize > b.itemsize else b
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


class finfo:
    """Machine limits of a floating dtype, as torch.finfo: bits, eps, max, min, tiny (= smallest_normal), resolution."""

    def __init__(self, type=None):  # noqa: A002 - PyTorch's argument name
        d = _default_float if type is None else to_dtype(type)
        if not d.is_floating_point:
            raise TypeError(f"finfo(): requires a floating point input type, got {d}; use tl.iinfo for integer types")
        info = _ml_dtypes.finfo(d.np) if d.np is BFLOAT16_NP else np.finfo(d.np)
        self.bits = d.itemsize * 8
        self.eps, self.max, self.min = _builtin_float(info.eps), _builtin_float(info.max), _builtin_float(info.min)
        self.tiny = self.smallest_normal = _builtin_float(info.smallest_normal)
        self.resolution = 10.0 ** -_builtin_int(info.precision)  # computed in float64, as PyTorch does
        self.dtype = d.name

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.tiny:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer (or bool) dtype, as torch.iinfo: bits, min, max."""

    def __init__(self, type):  # noqa: A002
        d = to_dtype(type)
        if d.is_floating_point:
            raise TypeError(f"iinfo(): requires an integer input type, got {d}; use tl.finfo for floating types")
        info = np.iinfo(np.uint8 if d is bool else d.np)
        self.bits = d.itemsize * 8
        self.min, self.max = (0, 1) if d is bool else (_builtin_int(info.min), _builtin_int(info.max))
        self.dtype = d.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


def opmath(array):
    """`array` in the dtype arithmetic runs in: bfloat16 computes in float32 (for backward code on raw arrays)."""
    return array.astype(np.float32) if array.dtype is BFLOAT16_NP else array
