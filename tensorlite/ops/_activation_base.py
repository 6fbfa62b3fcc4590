"""Helpers shared by activation.py and softmax.py: argument checks that raise PyTorch's exception
types, a NumPy-warning guard for formulas that meet inf*0 at x = +-inf, and the small Tensor-op
pieces (masked where, normal CDF and density) the backward formulas are written with.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from .. import _dtype as dt
from ..tensor import Tensor
from .elementwise import erfc, exp, where
from ._reduce_common import masked_fill

_INV_SQRT2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
# PyTorch's names for dtypes in its "not implemented for 'Long'" errors.
_TORCH_TYPE_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
                     "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool", "bfloat16": "BFloat16"}


# -- argument checks -----------------------------------------------------------------------------------
def _type_name(x: Tensor) -> str:
    return _TORCH_TYPE_NAMES.get(x._data.dtype.name, x._data.dtype.name)


def _kind(input, op: str) -> str:
    """The dtype kind of `input` ('f', 'i', 'u', 'b'); TypeError if it is not a Tensor."""
    try:
        kind = input._data.dtype.kind
    except AttributeError:
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}") from None
    return "f" if kind == "V" else kind  # "V": bfloat16 (ml_dtypes)


def _require_float(input, op: str) -> None:
    """PyTorch's float-only kernels raise NotImplementedError for integer and bool tensors."""
    if _kind(input, op) != "f":
        raise NotImplementedError(f'"{op}" not implemented for \'{_type_name(input)}\'')


def _to_float(input, op: str) -> Tensor:
    """Integer inputs of ops PyTorch promotes (sigmoid, softsign, ...) go to the default float dtype."""
    return input if _kind(input, op) == "f" else input.to(dt.get_default_dtype())


def quiet_at_infinity(method):
    """Run `method` with NumPy's invalid/overflow warnings off. At x = +-inf formulas such as x*sigmoid(x)
    meet inf*0, which is nan here as in PyTorch; PyTorch says nothing, and neither should we."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with np.errstate(invalid="ignore", over="ignore"):
            return method(*args, **kwargs)

    return wrapper


# -- pieces of backward formulas -----------------------------------------------------------------------
def _where(cond, a, b) -> Tensor:
    """where(cond, a, b) with `cond` a boolean array and a, b Tensors or numbers: selects, so an inf or nan
    on the side not taken stays out of the result (multiplying by a 0/1 mask would let it through)."""
    if type(a) in (int, float) and isinstance(b, Tensor) and b._data.shape == cond.shape:
        # The common backward case where(mask, 0, grad): one node instead of a where with promotion.
        return masked_fill(b, cond, a)
    if isinstance(cond, np.generic):  # a comparison of 0-d NumPy arrays gives a NumPy scalar
        cond = np.asarray(cond)
    return where(Tensor._wrap(cond), a, b)


def _normal_cdf(x: Tensor) -> Tensor:
    """Phi(x) = erfc(-x/sqrt(2))/2; erfc keeps the left tail's relative accuracy."""
    return erfc(x * -_INV_SQRT2) * 0.5


def _normal_pdf(x: Tensor) -> Tensor:
    """phi(x) = exp(-x^2/2)/sqrt(2 pi)."""
    return exp(x * x * -0.5) * _INV_SQRT_2PI
