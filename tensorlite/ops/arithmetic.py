"""Arithmetic: + - * / ** and friends, with PyTorch's type promotion and broadcasting.

Every binary op broadcasts its inputs in forward (NumPy does that) and undoes the broadcast in
backward with one helper, `sum_to_shape`: the gradient of an input that was broadcast from
shape (3, 1) to (3, 4) is the output gradient summed back over the broadcast axis.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype as dt
from ..amp import policy as _amp
from ..autograd.function import Function, _same_device
from ..backend.device import cuda_module
from ..tensor import Tensor

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
           "remainder", "fmod", "neg", "negative", "pow", "float_power", "rsub", "sum_to_shape", "broadcast_to",
           "broadcast_tensors", "broadcast_shapes"]

_ndarray = np.ndarray


# -- operands: promotion and device checks ---------------------------------------------------------
def as_operands(a, b, op: str) -> tuple[Tensor, Tensor]:
    """Two Tensors of PyTorch's result dtype on the same device (Python scalars become 0-d tensors)."""
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        da, db = a._data, b._data
        if da.dtype == db.dtype and type(da) is type(db):
            return a, b
        if type(da) is not type(db):  # RuntimeError unless one is a 0-d CPU tensor (PyTorch's rule)
            a, b = _same_device(op, (a, b))
            return as_operands(a, b, op)
    elif isinstance(a, Tensor) and type(b) in (int, float):
        kind = a._data.dtype.kind
        if kind in "fV" or (kind in "iu" and type(b) is int):
            return a, Tensor._wrap(_scalar_array(b, a._data))
    elif isinstance(b, Tensor) and type(a) in (int, float):
        kind = b._data.dtype.kind
        if kind in "fV" or (kind in "iu" and type(a) is int):
            return Tensor._wrap(_scalar_array(a, b._data)), b
    if type(a) is _ndarray and a.ndim or type(b) is _ndarray and b.ndim:  # an array operand acts as a tensor
        a, b = (Tensor._wrap(x) if type(x) is _ndarray and x.ndim else x for x in (a, b))
        return as_operands(a, b, op)
    dtype = dt.result_type_of((a, b))
    like = _like(a, b)
    return as_tensor_of(a, dtype, like, op), as_tensor_of(b, dtype, like, op)


def _like(a, b):
    return a._data if isinstance(a, Tensor) else b._data


def _scalar_array(value, like, dtype=None):
    dtype = like.dtype if dtype is None else dtype
    if type(like) is _ndarray:
        try:
            return np.array(value, dtype=dtype)
        except OverflowError:  # a Python int outside an integer dtype's range wraps around, as in PyTorch
            return np.array(value).astype(dtype)
    return cuda_module().asarray(value, dtype=dtype)


def as_tensor_of(x, dtype: dt.dtype, like, op: str) -> Tensor:
    """`x` (Tensor, Python scalar or array) as a Tensor of `dtype` next to `like`; differentiable cast."""
    if isinstance(x, Tensor):
        return x if x._data.dtype == dtype.np else x.to(dtype)
    if isinstance(x, (bool, int, float, np.generic)) or (isinstance(x, np.ndarray) and x.ndim == 0):
        return Tensor._wrap(_scalar_array(x, like, dtype.np))
    raise TypeError(f"{op}: unsupported operand type {type(x).__name__}; expected a Tensor or a number")


def _check_broadcast(a: Tensor, b: Tensor, op: str) -> None:
    sa, sb = a._data.shape, b._data.shape
    if sa == sb or not sb or not sa:
        return
    for x, y in zip(reversed(sa), reversed(sb)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"{op}: The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                               f"non-singleton dimension (shapes {tuple(sa)} and {tuple(sb)})")


# -- broadcasting and its adjoint --------------------------------------------------------------------
class SumTo(Function):
    """Sum a broadcast gradient back to `shape`. Backward: broadcast it again."""

    keep_inputs = False

    def forward(self, x, shape):
        self.in_shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1)
        y = x.sum(axis=axes, keepdims=True) if axes else x
        return y.reshape(shape) if lead else y

    def backward(self, grad):
        return broadcast_to(grad, self.in_shape)


class BroadcastTo(Function):
    """`expand`: a read-only broadcast view. Backward: sum back to the input shape."""

    keep_inputs = False

    def forward(self, x, shape):
        self.in_shape = x.shape
        xp = np if type(x) is _ndarray else _cupy()
        return xp.broadcast_to(x, shape)

    def backward(self, grad):
        return sum_to_shape(grad, self.in_shape)


def sum_to_shape(t: Tensor, shape: tuple) -> Tensor:
    """The one helper that undoes broadcasting: sum `t` down to `shape`."""
    if t._data.shape == tuple(shape):
        return t
    return SumTo.apply(t, shape=tuple(shape))


def broadcast_to(t: Tensor, shape) -> Tensor:
    shape = tuple(shape)
    if t._data.shape == shape:
        return t
    try:
        np.broadcast_shapes(t._data.shape, shape)
    except ValueError:
        raise RuntimeError(f"broadcast_to: the shape {tuple(t.shape)} cannot be broadcast to {shape}") from None
    return BroadcastTo.apply(t, shape=shape)


def broadcast_shapes(*shapes) -> tuple:
    try:
        from ..tensor import Size

        return Size(np.broadcast_shapes(*[tuple(s) if not isinstance(s, int) else (s,) for s in shapes]))
    except ValueError:
        raise RuntimeError(f"broadcast_shapes: shapes {list(map(tuple, shapes))} cannot be broadcast "
                           f"together") from None


def broadcast_tensors(*tensors: Tensor) -> tuple:
    shape = broadcast_shapes(*[t.shape for t in tensors])
    return tuple(broadcast_to(t, shape) for t in tensors)


def _cupy():
    return cuda_module()


# -- the arithmetic ops ------------------------------------------------------------------------------
class Add(Function):
    """y = a + alpha*b. Gradients: g and alpha*g, each summed to its input's shape."""

    keep_inputs = False

    def forward(self, a, b, alpha=1):
        self.shapes, self.alpha = (a.shape, b.shape), alpha
        return a + b if alpha == 1 else a + alpha * b

    def backward(self, grad):
        sa, sb = self.shapes
        ga = sum_to_shape(grad, sa) if self.needs_input_grad[0] else None
        gb = None
        if self.needs_input_grad[1]:
            gb = sum_to_shape(grad if self.alpha == 1 else grad * self.alpha, sb)
        return ga, gb


class Sub(Function):
    """y = a - alpha*b. Gradients: g and -alpha*g."""

    keep_inputs = False

    def forward(self, a, b, alpha=1):
        self.shapes, self.alpha = (a.shape, b.shape), alpha
        return a - b if alpha == 1 else a - alpha * b

    def backward(self, grad):
        sa, sb = self.shapes
        ga = sum_to_shape(grad, sa) if self.needs_input_grad[0] else None
        gb = sum_to_shape(-grad if self.alpha == 1 else grad * (-self.alpha), sb) if self.needs_input_grad[1] else None
        return ga, gb


class Mul(Function):
    """y = a*b. Gradients: g*b and g*a."""

    def forward(self, a, b):
        return a * b

    def backward(self, grad):
        a, b = self.inputs
        ga = sum_to_shape(grad * b, a._data.shape) if self.needs_input_grad[0] else None
        gb = sum_to_shape(grad * a, b._data.shape) if self.needs_input_grad[1] else None
        return ga, gb


class MulConstant(Function):
    """y = x*c for a constant 0-d c. Gradient: g*c (x itself is not needed, so nothing is kept)."""

    keep_inputs = False

    def forward(self, x, c):
        self.c = c
        return x * c

    def backward(self, grad):
        return MulConstant.apply(grad, c=self.c.astype(grad._data.dtype, copy=False))

    def name(self) -> str:
        return "MulBackward0"  # PyTorch's name: it is the same op


class Div(Function):
    """y = a/b. Gradients: g/b and -g*a/b^2."""

    def forward(self, a, b):
        return a / b

    def backward(self, grad):
        a, b = self.inputs
        ga = sum_to_shape(grad / b, a._data.shape) if self.needs_input_grad[0] else None
        gb = sum_to_shape(-grad * a / (b * b), b._data.shape) if self.needs_input_grad[1] else None
        return ga, gb


class DivConstant(Function):
    """y = x/c for a constant 0-d c. Gradient: g/c (nothing is kept, so x may change in place afterwards)."""

    keep_inputs = False

    def forward(self, x, c):
        self.c = c
        return x / c

    def backward(self, grad):
        return DivConstant.apply(grad, c=self.c.astype(grad._data.dtype, copy=False))

    def name(self) -> str:
        return "DivBackward0"


class Neg(Function):
    """y = -x. Gradient: -g."""

    keep_inputs = False

    def forward(self, x):
        return -x

    def backward(self, grad):
        return -grad


class PowScalar(Function):
    """y = x^p for a Python number p. Gradient: p * x^(p-1) * g."""

    def forward(self, x, exponent):
        self.exponent = exponent
        return x ** exponent

    def backward(self, grad):
        (x,) = self.inputs
        p = self.exponent
        if p == 0:
            return grad * 0.0
        if p == 1:
            return grad
        if p == 2:
            return grad * (x * 2.0)
        return grad * (x ** (p - 1) * p)


class RPowScalar(Function):
    """y = c^x for a Python number c. Gradient: g * y * log(c)."""

    keep_inputs = False
    save_output = True

    def forward(self, x, base):
        self.base = base
        base = _scalar_array(base, x)
        return _int_pow(base, x) if x.dtype.kind in "iu" else base ** x

    def backward(self, grad):
        if self.base == 0:  # d/dx 0^x: 0 where x >= 0 (y finite), as PyTorch; -inf where x < 0 (y = inf)
            from .elementwise import where

            y = self.output()
            return where(y == float("inf"), grad * float("-inf"), 0.0)
        return grad * self.output() * math.log(self.base) if self.base > 0 else grad * self.output() * float("nan")


class Pow(Function):
    """y = a^b (tensors). Gradients: g*b*a^(b-1) and g*y*log(a) (0 where a = 0 and b >= 0)."""

    def forward(self, a, b):
        return _int_pow(a, b) if a.dtype.kind in "iu" else a ** b

    def backward(self, grad):
        from .elementwise import log, where

        a, b = self.inputs
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = where(b == 0, 0.0, grad * b * a ** (b - 1))  # 0 at b = 0, not 0 * 0^-1 = NaN
            ga = sum_to_shape(ga, a._data.shape)
        if self.needs_input_grad[1]:
            safe_a = where(a == 0, 1.0, a)
            gb = sum_to_shape(grad * (a ** b) * log(safe_a), b._data.shape)
        return ga, gb


class FloorDivide(Function):
    """y = floor(a/b). Gradient: 0 for div(rounding_mode="floor"); floor_divide has none (PyTorch raises)."""

    keep_inputs = False

    def forward(self, a, b, zero_grad=True):
        self.shapes, self.zero_grad = (a.shape, b.shape), zero_grad
        return a // b

    def backward(self, grad):
        if not self.zero_grad:
            raise RuntimeError("derivative for floor_divide is not implemented; use div(rounding_mode='floor'), "
                               "whose gradient is zero")
        xp = np if type(grad._data) is _ndarray else _cupy()
        return tuple(Tensor._wrap(xp.zeros(s, dtype=grad._data.dtype)) if need else None
                     for s, need in zip(self.shapes, self.needs_input_grad))


class Remainder(Function):
    """y = a - floor(a/b)*b (Python's sign convention). Gradients: g and -floor(a/b)*g."""

    def forward(self, a, b, fmod=False):
        self.fmod = fmod
        xp = np if type(a) is _ndarray else _cupy()
        return xp.fmod(a, b) if fmod else xp.remainder(a, b)

    def backward(self, grad):
        a, b = self.inputs
        ga = sum_to_shape(grad, a._data.shape) if self.needs_input_grad[0] else None
        gb = None
        if self.needs_input_grad[1]:
            q = a._data / b._data
            xp = np if type(q) is _ndarray else _cupy()
            q = xp.trunc(q) if self.fmod else xp.floor(q)
            gb = sum_to_shape(grad * Tensor._wrap(-q), b._data.shape)
        return ga, gb


def _int_pow(a, b):
    """Integer a**b where b may be negative (NumPy refuses): 1/a^|b| truncates to 0 unless |a| = 1."""
    xp = np if type(a) is _ndarray else _cupy()
    neg = b < 0
    if not neg.any():
        return a ** b
    out = a ** xp.where(neg, -b, b)
    odd = (b % 2) != 0
    small = xp.where(a == 1, 1, xp.where(a == -1, xp.where(odd, -1, 1), 0)).astype(out.dtype)
    return xp.where(neg, small, out)


def _check_int_divisor(a: Tensor, b: Tensor, op: str) -> None:
    """Integer division by zero is an error in PyTorch (NumPy silently returns 0); bools are not divided."""
    kind = a._data.dtype.kind
    if kind == "b":
        raise NotImplementedError(f"{op}: not implemented for 'bool' tensors")
    if kind in "iu" and not b._data.all():
        raise RuntimeError("ZeroDivisionError")


# -- public functions ----------------------------------------------------------------------------------
def _check_alpha(alpha, result: np.dtype) -> None:
    """PyTorch's rules for `alpha`: no float alpha for integer results, bool alpha only for bool results."""
    if isinstance(alpha, bool):
        if result != np.bool_:
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
    elif isinstance(alpha, float) and result.kind in "biu":
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")


def add(input, other, *, alpha=1) -> Tensor:
    a, b = as_operands(input, other, "add")
    _check_broadcast(a, b, "add")
    if alpha != 1 or type(alpha) is not int:
        _check_alpha(alpha, a._data.dtype)
    if a._data.dtype == np.bool_:  # bool + bool is logical or (alpha only says whether b counts)
        return logical_or_bool(a, b) if alpha else Tensor._wrap(a._data | (b._data & False))
    return Add.apply(a, b, alpha=alpha)


_BOOL_SUB = ("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a "
             "mask, use the `~` or `logical_not()` operator instead.")


def sub(input, other, *, alpha=1) -> Tensor:
    if isinstance(input, Tensor) and isinstance(other, Tensor) and input._data.dtype == other._data.dtype == np.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    for x in (input, other):
        if (isinstance(x, Tensor) and x._data.dtype == np.bool_) or type(x) is bool:
            raise RuntimeError(_BOOL_SUB)
    a, b = as_operands(input, other, "sub")
    _check_broadcast(a, b, "sub")
    if alpha != 1 or type(alpha) is not int:
        _check_alpha(alpha, a._data.dtype)
    return Sub.apply(a, b, alpha=alpha)


def rsub(input, other, *, alpha=1) -> Tensor:
    """other - alpha*input."""
    return sub(other, input, alpha=alpha)


def mul(input, other) -> Tensor:
    a, b = as_operands(input, other, "mul")
    _check_broadcast(a, b, "mul")
    # A constant scalar factor (x * 2) needs no saved tensors: backward is just grad * c.
    if b._data.ndim == 0 and not b._requires_grad:
        return MulConstant.apply(a, c=b._data)
    if a._data.ndim == 0 and not a._requires_grad:
        return MulConstant.apply(b, c=a._data)
    return Mul.apply(a, b)


def div(input, other, *, rounding_mode: str | None = None) -> Tensor:
    """input / other; rounding_mode None (true division: ints give the default float dtype), "trunc" or
    "floor" (these two have zero gradient, as in PyTorch)."""
    a, b = as_operands(input, other, "div")
    _check_broadcast(a, b, "div")
    if rounding_mode is None:
        if a._data.dtype.kind not in "fV":  # true division of integers gives the default float dtype
            if type(input) in (int, bool) or type(other) in (int, bool):  # the number as a float, not wrapped
                a, b = as_operands(float(input) if type(input) in (int, bool) else input,
                                   float(other) if type(other) in (int, bool) else other, "div")
            a, b = a.to(dt.get_default_dtype()), b.to(dt.get_default_dtype())
        if b._data.ndim == 0 and not b._requires_grad:  # x / 2: a constant divisor needs no saved tensors
            return DivConstant.apply(a, c=b._data)
        return Div.apply(a, b)
    if rounding_mode not in ("floor", "trunc"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")
    _check_int_divisor(a, b, "div")
    if rounding_mode == "floor":
        return FloorDivide.apply(a, b)
    if a._data.dtype.kind in "fV":
        from .elementwise import trunc

        return trunc(Div.apply(a, b))
    ad, bd = a._data, b._data
    if ad.dtype == np.bool_:
        ad, bd = ad.astype(np.int64), bd.astype(np.int64)
    q = ad // bd  # exact integer trunc: floor, plus one where the quotient is negative and inexact
    q = q + ((q < 0) & (q * bd != ad)).astype(q.dtype)
    return Tensor._wrap(q if type(q) is type(ad) else np.asarray(q))


def floor_divide(input, other) -> Tensor:
    """floor(input / other). Not differentiable (as in PyTorch: backward raises)."""
    a, b = as_operands(input, other, "floor_divide")
    _check_broadcast(a, b, "floor_divide")
    _check_int_divisor(a, b, "floor_divide")
    return FloorDivide.apply(a, b, zero_grad=False)


def remainder(input, other) -> Tensor:
    """input - floor(input/other)*other: the sign of other (Python's %)."""
    a, b = as_operands(input, other, "remainder")
    _check_broadcast(a, b, "remainder")
    _check_int_divisor(a, b, "remainder")
    return Remainder.apply(a, b)


def fmod(input, other) -> Tensor:
    """input - trunc(input/other)*other: the sign of input (C's fmod)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"fmod(): argument 'input' must be Tensor, not {type(input).__name__}")
    a, b = as_operands(input, other, "fmod")
    _check_broadcast(a, b, "fmod")
    _check_int_divisor(a, b, "fmod")
    return Remainder.apply(a, b, fmod=True)


def neg(input: Tensor) -> Tensor:
    if input._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return Neg.apply(input)


def pow(input, exponent) -> Tensor:  # noqa: A001 - PyTorch's name
    """input ** exponent; either may be a Python number (not both)."""
    if _amp.active[0]:
        input, exponent = _amp.cast_inputs("pow", input, exponent)
    if isinstance(input, Tensor) and type(exponent) is bool and input._data.dtype == np.bool_:
        x = input._data  # bool ** True is itself, bool ** False is all True (PyTorch keeps bool here)
        return Tensor._wrap(x.copy() if exponent else (x | True))
    if isinstance(input, Tensor) and type(exponent) in (int, float):
        kind = input._data.dtype.kind
        if kind in "iub":
            if type(exponent) is float:
                input = input.to(dt.get_default_dtype())
            elif exponent < 0:
                raise RuntimeError("Integers to negative integer powers are not allowed.")
            elif kind == "b":  # bool ** int is int64 in PyTorch
                input = input.to(dt.int64)
        return PowScalar.apply(input, exponent=exponent)
    if not isinstance(input, Tensor) and type(exponent) is not bool and isinstance(exponent, Tensor):
        if type(input) in (int, float):
            e = exponent
            if type(input) is float and e._data.dtype.kind not in "fV":  # float ** int tensor: default float dtype
                e = e.to(dt.get_default_dtype())
            elif e._data.dtype == np.bool_:  # int ** bool tensor: int64
                e = e.to(dt.int64)
            return RPowScalar.apply(e, base=input)
    a, b = as_operands(input, exponent, "pow")
    _check_broadcast(a, b, "pow")
    if a._data.dtype == np.bool_:
        raise NotImplementedError("pow: not implemented for 'bool' tensors")
    return Pow.apply(a, b)


def float_power(input, exponent) -> Tensor:
    """pow computed in float64, as PyTorch's float_power."""
    input = input.to(dt.float64) if isinstance(input, Tensor) else input
    exponent = exponent.to(dt.float64) if isinstance(exponent, Tensor) else float(exponent)
    return pow(input, exponent)


def _float_power_inplace(input: Tensor, exponent) -> Tensor:
    if input._data.dtype != np.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {input.dtype.name} but the operation's result "
                           f"requires dtype float64")
    return float_power(input, exponent)


def logical_or_bool(a: Tensor, b: Tensor) -> Tensor:
    return Tensor._wrap(a._data | b._data)


subtract, multiply, divide, true_divide, negative = sub, mul, div, div, neg


_OPERAND = (Tensor, bool, int, float, np.generic, np.ndarray)  # an ndarray operand acts as a tensor


def _operator(fn, reflected: bool = False):
    """An operator method; NotImplemented for other operand types so Python raises its usual TypeError
    (or tries the other operand's reflected method)."""
    if reflected:
        def method(self, other):
            return fn(other, self) if isinstance(other, _OPERAND) else NotImplemented
    else:
        def method(self, other):
            return fn(self, other) if isinstance(other, _OPERAND) else NotImplemented
    method.__name__ = fn.__name__
    return method


def _rtruediv(self, other):
    """number / tensor, as PyTorch computes it: reciprocal(tensor) * number (the same rounding as torch)."""
    if type(other) in (int, float, bool):
        from .elementwise import reciprocal

        return mul(reciprocal(self), other)
    return div(other, self) if isinstance(other, _OPERAND) else NotImplemented


TENSOR_METHODS = {
    "__add__": _operator(add), "__radd__": _operator(add, True),
    "__sub__": _operator(sub), "__rsub__": _operator(sub, True),
    "__mul__": _operator(mul), "__rmul__": _operator(mul, True),
    "__truediv__": _operator(div), "__rtruediv__": _rtruediv,
    "__floordiv__": _operator(floor_divide), "__rfloordiv__": _operator(floor_divide, True),
    "__mod__": _operator(remainder), "__rmod__": _operator(remainder, True),
    "__pow__": _operator(pow), "__rpow__": _operator(pow, True), "__neg__": neg,
    "add": add, "sub": sub, "subtract": sub, "mul": mul, "multiply": mul, "div": div, "divide": div,
    "true_divide": div, "floor_divide": floor_divide, "remainder": remainder, "fmod": fmod, "neg": neg,
    "negative": neg, "pow": pow, "float_power": float_power, "broadcast_to": broadcast_to,
}

# In-place forms: x.add_(y), x += y, ... (see Tensor._inplace for the autograd semantics)
INPLACE = {"add": add, "sub": sub, "mul": mul, "div": div, "pow": pow, "floor_divide": floor_divide,
           "remainder": remainder, "fmod": fmod, "neg": neg, "negative": neg, "subtract": sub, "multiply": mul,
           "divide": div,
           "true_divide": div, "float_power": _float_power_inplace}
DUNDER_INPLACE = {"__iadd__": "add", "__isub__": "sub", "__imul__": "mul", "__itruediv__": "div",
                  "__ipow__": "pow", "__ifloordiv__": "floor_divide", "__imod__": "remainder"}
