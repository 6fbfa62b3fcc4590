"""Helpers shared by the elementwise op modules (elementwise, elementwise_binary, comparison)."""
from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from ..amp import policy as _amp
from ..backend.device import get_array_module
from ..tensor import Tensor

_ndarray = np.ndarray


def xp_of(x):
    return np if type(x) is _ndarray else get_array_module(x)


def check_tensor(x, op: str, arg: str = "input") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' must be Tensor, not {type(x).__name__}")


def floating(x: Tensor, op: str) -> Tensor:
    """x itself if floating, else x converted to the default float dtype (ints can't require grad)."""
    check_tensor(x, op)
    if x._data.dtype.kind in "fV":
        if _amp.active[0]:  # exp, log, ... run in float32 under CUDA autocast
            return _amp.cast_input(op, x)
        return x
    return Tensor._wrap(x._data.astype(dt.get_default_dtype().np))


# PyTorch's names for dtypes in its '"<kernel>" not implemented for 'Long'' errors.
_TORCH_TYPE_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
                     "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool", "bfloat16": "BFloat16"}


def not_for(x: Tensor, op: str, kinds: str) -> None:
    """PyTorch's '"op" not implemented for 'Long'' (a NotImplementedError, itself a RuntimeError) for the dtype
    kinds in `kinds` ('b' bool, 'i'/'u' integers, 'f'/'V' floating)."""
    check_tensor(x, op)
    if x._data.dtype.kind in kinds:
        name = x._data.dtype.name
        raise NotImplementedError(f'"{op}" not implemented for \'{_TORCH_TYPE_NAMES.get(name, name)}\'')


def zeros_of(t: Tensor) -> Tensor:
    return Tensor._wrap(xp_of(t._data).zeros_like(t._data))


def const(array) -> Tensor:
    """A constant (no-grad) Tensor around an array computed in backward (NumPy scalars become 0-d arrays)."""
    if isinstance(array, np.generic):
        array = np.asarray(array)
    return Tensor._wrap(array)

