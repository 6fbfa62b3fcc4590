"""Comparisons, logical and bitwise ops, and value tests (isnan, isclose, ...): not differentiable.

They return bool tensors (bitwise ops keep their integer dtype) and never enter the autograd graph.
Comparison operands are promoted as in PyTorch first (an int tensor compared with 2.5 compares as
float). Re-exported by `elementwise.py`, whose group they belong to.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from ..autograd.function import check_same_device
from ..tensor import Tensor
from ._pointwise import check_tensor as _check_tensor, xp_of as _xp
from .arithmetic import _check_broadcast, as_operands

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal",
           "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
           "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "isnan", "isinf", "isfinite", "isposinf",
           "isneginf", "signbit", "isclose", "allclose", "equal"]

_NUMBER = (bool, int, float)


def _wrap(out, like) -> Tensor:
    """A Tensor around a ufunc result (NumPy returns scalars for 0-d inputs)."""
    if type(out) is not type(like):
        out = _xp(like).asarray(out)
    return Tensor._wrap(out)


# -- comparisons -----------------------------------------------------------------------------------------
def _compare(ufunc: str, input, other, op: str) -> Tensor:
    _check_tensor(input, op)
    a, b = as_operands(input, other, op)
    _check_broadcast(a, b, op)
    return _wrap(getattr(_xp(a._data), ufunc)(a._data, b._data), a._data)


def eq(input: Tensor, other) -> Tensor:
    """input == other, elementwise (bool)."""
    return _compare("equal", input, other, "eq")


def ne(input: Tensor, other) -> Tensor:
    """input != other, elementwise (bool)."""
    return _compare("not_equal", input, other, "ne")


def lt(input: Tensor, other) -> Tensor:
    """input < other, elementwise (bool)."""
    return _compare("less", input, other, "lt")


def le(input: Tensor, other) -> Tensor:
    """input <= other, elementwise (bool)."""
    return _compare("less_equal", input, other, "le")


def gt(input: Tensor, other) -> Tensor:
    """input > other, elementwise (bool)."""
    return _compare("greater", input, other, "gt")


def ge(input: Tensor, other) -> Tensor:
    """input >= other, elementwise (bool)."""
    return _compare("greater_equal", input, other, "ge")


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _operator(fn):
    """An operator method: NotImplemented for operands that are neither tensors nor numbers, so that
    `t == None` is False and `t == "a"` is False, as in PyTorch."""
    def method(self, other):
        if type(other) is np.ndarray:  # as in PyTorch, an array operand acts as a tensor
            other = Tensor._wrap(other)
        elif not isinstance(other, (Tensor, *_NUMBER, np.generic)):
            return NotImplemented
        return fn(self, other)

    method.__name__ = fn.__name__
    return method


# -- logical -------------------------------------------------------------------------------------------------
def _logical(ufunc: str, input: Tensor, other: Tensor, op: str) -> Tensor:
    _check_tensor(input, op)
    _check_tensor(other, op, "other")
    check_same_device(op, input, other)
    _check_broadcast(input, other, op)
    return _wrap(getattr(_xp(input._data), ufunc)(input._data, other._data), input._data)


def logical_and(input: Tensor, other: Tensor) -> Tensor:
    """Truth of input and other (nonzero is true), elementwise."""
    return _logical("logical_and", input, other, "logical_and")


def logical_or(input: Tensor, other: Tensor) -> Tensor:
    return _logical("logical_or", input, other, "logical_or")


def logical_xor(input: Tensor, other: Tensor) -> Tensor:
    return _logical("logical_xor", input, other, "logical_xor")


def logical_not(input: Tensor) -> Tensor:
    _check_tensor(input, "logical_not")
    return _wrap(_xp(input._data).logical_not(input._data), input._data)


# -- bitwise (bool and integer tensors) ------------------------------------------------------------------------
def _bitwise(ufunc: str, input, other, op: str, kinds: str = "biu") -> Tensor:
    a, b = as_operands(input, other, op)
    if a._data.dtype.kind not in kinds:
        raise NotImplementedError(f"{op}: not implemented for '{a.dtype.name}' tensors")
    _check_broadcast(a, b, op)
    return _wrap(getattr(_xp(a._data), ufunc)(a._data, b._data), a._data)


def bitwise_and(input, other) -> Tensor:
    """input & other: bitwise for integers, logical for bools."""
    return _bitwise("bitwise_and", input, other, "bitwise_and")


def bitwise_or(input, other) -> Tensor:
    return _bitwise("bitwise_or", input, other, "bitwise_or")


def bitwise_xor(input, other) -> Tensor:
    return _bitwise("bitwise_xor", input, other, "bitwise_xor")


def bitwise_left_shift(input, other) -> Tensor:
    """input << other for integer tensors (0 once everything is shifted out, as PyTorch)."""
    return _bitwise("left_shift", input, other, "bitwise_left_shift", "iu")


def bitwise_right_shift(input, other) -> Tensor:
    """input >> other for integer tensors (arithmetic shift: the sign fills in)."""
    return _bitwise("right_shift", input, other, "bitwise_right_shift", "iu")


def bitwise_not(input: Tensor) -> Tensor:
    _check_tensor(input, "bitwise_not")
    if input._data.dtype.kind not in "biu":
        raise NotImplementedError(f"bitwise_not: not implemented for '{input.dtype.name}' "
                                  f"(only bool and integer tensors)")
    return _wrap(_xp(input._data).invert(input._data), input._data)


def _invert(self: Tensor) -> Tensor:
    if self._data.dtype.kind not in "biu":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return bitwise_not(self)


def _reflected(fn):
    def method(self, other):
        if type(other) is np.ndarray:
            other = Tensor._wrap(other)
        elif not isinstance(other, (Tensor, *_NUMBER, np.generic)):
            return NotImplemented
        return fn(other, self)

    return method


# -- value tests ------------------------------------------------------------------------------------------------
def _test(input: Tensor, op: str, float_test, other_value: bool = False) -> Tensor:
    _check_tensor(input, op)
    x = input._data
    xp = _xp(x)
    if x.dtype.kind in "fV":
        return _wrap(float_test(xp, x), x)
    return Tensor._wrap(xp.full(x.shape, other_value, dtype=np.bool_))


def isnan(input: Tensor) -> Tensor:
    return _test(input, "isnan", lambda xp, x: xp.isnan(x))


def isinf(input: Tensor) -> Tensor:
    return _test(input, "isinf", lambda xp, x: xp.isinf(x))


def isposinf(input: Tensor) -> Tensor:
    return _test(input, "isposinf", lambda xp, x: x == xp.inf)


def isneginf(input: Tensor) -> Tensor:
    return _test(input, "isneginf", lambda xp, x: x == -xp.inf)


def isfinite(input: Tensor) -> Tensor:
    return _test(input, "isfinite", lambda xp, x: xp.isfinite(x), other_value=True)


def signbit(input: Tensor) -> Tensor:
    """True where the sign bit is set (negative numbers and -0.0)."""
    _check_tensor(input, "signbit")
    x = input._data
    if x.dtype.kind == "i":
        return _wrap(x < 0, x)
    return _test(input, "signbit", lambda xp, x: xp.signbit(x))


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol*|other| elementwise (equal infinities are close; NaN only with equal_nan)."""
    _check_tensor(input, "isclose")
    _check_tensor(other, "isclose", "other")
    check_same_device("isclose", input, other)
    a, b = input._data, other._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"isclose: {input.dtype.name} did not match {other.dtype.name} "
                           f"(both inputs must have the same dtype)")
    if rtol < 0 or atol < 0:
        raise RuntimeError(f"isclose: rtol and atol must be greater than or equal to zero, got rtol={rtol}, "
                           f"atol={atol}")
    _check_broadcast(input, other, "isclose")
    xp = _xp(a)
    close = a == b
    if equal_nan and a.dtype.kind in "fV":
        close = close | (xp.isnan(a) & xp.isnan(b))
    if rtol == 0 and atol == 0:
        return _wrap(close, a)
    with np.errstate(invalid="ignore", over="ignore"):
        if a.dtype.kind in "fV":
            error, allowed = xp.abs(a - b), atol + xp.abs(rtol * b)  # Python floats keep float32 float32
        else:  # PyTorch measures the error of integers and bools against a default-float tolerance
            fd = dt.get_default_dtype().np
            error = xp.abs(a.astype(np.int64) - b.astype(np.int64))
            allowed = atol + xp.abs(rtol * b.astype(fd))
        close = close | (xp.isfinite(error) & (error <= allowed))
    return _wrap(close, input._data)


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """True if isclose holds everywhere."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input: Tensor, other: Tensor) -> bool:
    """True if both have the same shape and the same values."""
    _check_tensor(input, "equal")
    _check_tensor(other, "equal", "other")
    check_same_device("equal", input, other)
    if input._data.shape != other._data.shape:
        return False
    return bool(eq(input, other)._data.all())


TENSOR_METHODS = {name: globals()[name] for name in __all__}
TENSOR_METHODS.update({
    "__eq__": _operator(eq), "__ne__": _operator(ne), "__lt__": _operator(lt), "__le__": _operator(le),
    "__gt__": _operator(gt), "__ge__": _operator(ge),
    "__and__": _operator(bitwise_and), "__or__": _operator(bitwise_or), "__xor__": _operator(bitwise_xor),
    "__rand__": _reflected(bitwise_and), "__ror__": _reflected(bitwise_or), "__rxor__": _reflected(bitwise_xor),
    "__lshift__": _operator(bitwise_left_shift), "__rshift__": _operator(bitwise_right_shift),
    "__rlshift__": _reflected(bitwise_left_shift), "__rrshift__": _reflected(bitwise_right_shift),
    "__invert__": _invert,
})

# x.eq_(y) and friends write the bool result into x, converted to x's dtype (as PyTorch).
INPLACE = {name: globals()[name] for name in
           ("eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal",
            "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
            "bitwise_not", "bitwise_left_shift", "bitwise_right_shift")}
DUNDER_INPLACE = {"__iand__": "bitwise_and", "__ior__": "bitwise_or", "__ixor__": "bitwise_xor",
                  "__ilshift__": "bitwise_left_shift", "__irshift__": "bitwise_right_shift"}
