"""Helpers shared by the elementwise op modules (elementwise, elementwise_binary, comparison)."""
from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from ..tensor import Tensor

_ndarray = np.ndarray


def xp_of(x):
    if type(x) is _ndarray:
        return np
    import cupy  # noqa: PLC0415 - only reached for CUDA arrays

    return cupy


def check_tensor(x, op: str, arg: str = "input") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' must be Tensor, not {type(x).__name__}")


def floating(x: Tensor, op: str) -> Tensor:
    """x itself if floating, else x converted to the default float dtype (ints can't require grad)."""
    check_tensor(x, op)
    if x._data.dtype.kind == "f":
        return x
    return Tensor._wrap(x._data.astype(dt.get_default_dtype().np))


def not_for(x: Tensor, op: str, kinds: str) -> None:
    """PyTorch's 'not implemented for <dtype>' (a NotImplementedError, itself a RuntimeError)."""
    check_tensor(x, op)
    if x._data.dtype.kind in kinds:
        raise NotImplementedError(f"{op}: not implemented for '{x.dtype.name}' tensors")


def zeros_of(t: Tensor) -> Tensor:
    return Tensor._wrap(xp_of(t._data).zeros_like(t._data))


def const(array) -> Tensor:
    """A constant (no-grad) Tensor around an array computed in backward (NumPy scalars become 0-d arrays)."""
    if isinstance(array, np.generic):
        array = np.asarray(array)
    return Tensor._wrap(array)

