"""Differentiable binary and ternary elementwise ops: maximum/minimum/fmax/fmin, where, lerp, clamp,
atan2, hypot, copysign, xlogy, addcmul, addcdiv. All broadcast, with PyTorch's type promotion; every
backward undoes the broadcast with `sum_to_shape`. Re-exported by `elementwise.py`.
"""
from __future__ import annotations

import builtins

import numpy as np

from .. import _dtype as dt
from ..autograd.function import Function
from ..tensor import Tensor
from ._pointwise import check_tensor as _check_tensor, const as _const, floating as _floating
from ._pointwise import not_for as _not_for, xp_of as _xp, zeros_of as _zeros
from .arithmetic import _check_broadcast, _scalar_array, as_operands, as_tensor_of, sum_to_shape

__all__ = ["maximum", "minimum", "fmax", "fmin", "where", "lerp", "clamp", "clip", "clamp_min", "clamp_max", "atan2",
           "arctan2", "hypot", "copysign", "xlogy", "addcmul", "addcdiv"]


def _masked(grad: Tensor, keep, shape) -> Tensor:
    """grad where `keep` (a bool array) else 0, summed back to `shape`."""
    zero = _scalar_array(0, grad._data)
    return sum_to_shape(Where.apply(_const(keep), grad, Tensor._wrap(zero)), shape)


# -- the Functions ---------------------------------------------------------------------------------
class Where(Function):
    """y = x where cond else other. Gradients: g masked by cond, and by not cond."""

    def forward(self, cond, x, other):
        return _xp(x).where(cond, x, other)

    def backward(self, grad):
        cond, x, other = self.inputs
        gx = _masked(grad, cond._data, x._data.shape) if self.needs_input_grad[1] else None
        go = _masked(grad, ~cond._data, other._data.shape) if self.needs_input_grad[2] else None
        return None, gx, go


class MaxMin(Function):
    """y = maximum/minimum/fmax/fmin(a, b). Gradient: g to the chosen input; maximum/minimum split ties."""

    def forward(self, a, b, kind):
        self.kind = kind
        return getattr(_xp(a), kind)(a, b)

    def backward(self, grad):
        a, b = (t._data for t in self.inputs)
        xp, dtype = _xp(a), grad._data.dtype
        if self.kind in ("maximum", "minimum"):
            first_wins = a > b if self.kind == "maximum" else a < b
            second_wins = a < b if self.kind == "maximum" else a > b
            tie = (a == b).astype(dtype) * 0.5
            wa = xp.where(second_wins, 0, 1).astype(dtype) - tie  # NaN: both get g, as PyTorch
            wb = xp.where(first_wins, 0, 1).astype(dtype) - tie
        else:  # fmax/fmin: the non-NaN input wins, ties go to a
            pick_a = ((a >= b) if self.kind == "fmax" else (a <= b)) | xp.isnan(b)
            wa, wb = pick_a.astype(dtype), (~pick_a).astype(dtype)
        ga = sum_to_shape(grad * _const(wa), a.shape) if self.needs_input_grad[0] else None
        gb = sum_to_shape(grad * _const(wb), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Lerp(Function):
    """y = start + w*(end - start). Gradients: g*(1 - w), g*w, g*(end - start)."""

    def forward(self, start, end, weight):
        xp = _xp(start)
        diff = end - start
        # PyTorch's form: accurate at both ends (w near 0 and w near 1)
        return xp.where(xp.abs(weight) < 0.5, start + weight * diff, end - diff * (1 - weight))

    def backward(self, grad):
        start, end, weight = self.inputs
        need = self.needs_input_grad
        g0 = sum_to_shape(grad * (1.0 - weight), start._data.shape) if need[0] else None
        g1 = sum_to_shape(grad * weight, end._data.shape) if need[1] else None
        g2 = sum_to_shape(grad * (end - start), weight._data.shape) if need[2] else None
        return g0, g1, g2


class LerpScalar(Function):
    """y = start + w*(end - start) for a number w. Gradients: g*(1 - w), g*w."""

    keep_inputs = False

    def forward(self, start, end, weight):
        self.shapes, self.weight = (start.shape, end.shape), weight
        diff = end - start
        return start + weight * diff if builtins.abs(weight) < 0.5 else end - diff * (1 - weight)

    def backward(self, grad):
        w = self.weight
        g0 = sum_to_shape(grad * (1.0 - w), self.shapes[0]) if self.needs_input_grad[0] else None
        g1 = sum_to_shape(grad * w, self.shapes[1]) if self.needs_input_grad[1] else None
        return g0, g1


class ClampScalar(Function):
    """y = min(max(x, lo), hi) for numbers lo, hi. Gradient: g where lo <= x <= hi, else 0."""

    def forward(self, x, lo, hi):
        self.lo, self.hi = lo, hi
        xp = _xp(x)
        y = x if lo is None else xp.maximum(x, lo)
        return y if hi is None else xp.minimum(y, hi)

    def backward(self, grad):
        x = self.inputs[0]._data
        keep = x >= self.lo if self.lo is not None else None
        if self.hi is not None:
            keep = x <= self.hi if keep is None else keep & (x <= self.hi)
        return _masked(grad, keep, x.shape)


class ClampTensor(Function):
    """y = min(max(x, lo), hi) with tensor bounds (either may be absent). Gradients as PyTorch:
    x gets g where lo <= x <= hi; lo where x < lo (and lo < hi); hi where x > hi (or hi < lo)."""

    def forward(self, x, *bounds, has_lo, has_hi):
        xp = _xp(x)
        self.has_lo, self.has_hi = has_lo, has_hi
        lo = bounds[0] if has_lo else None
        hi = bounds[-1] if has_hi else None
        y = x if lo is None else xp.maximum(x, lo)
        return y if hi is None else xp.minimum(y, hi)

    def backward(self, grad):
        x, *bounds = (t._data for t in self.inputs)
        need = self.needs_input_grad
        lo = bounds[0] if self.has_lo else None
        hi = bounds[-1] if self.has_hi else None
        if lo is not None and hi is not None:
            keep_x, keep_lo, keep_hi = (x >= lo) & (x <= hi), (x < lo) & (lo < hi), (x > hi) | (hi < lo)
        else:
            keep_x = x >= lo if lo is not None else x <= hi
            keep_lo = x < lo if lo is not None else None
            keep_hi = x > hi if hi is not None else None
        grads = [_masked(grad, keep_x, x.shape) if need[0] else None]
        for keep, b in ((keep_lo, lo), (keep_hi, hi)):
            if b is not None:
                grads.append(_masked(grad, keep, b.shape) if need[len(grads)] else None)
        return tuple(grads)


class Atan2(Function):
    """y = atan2(a, b). Gradients: g*b/(a^2 + b^2), -g*a/(a^2 + b^2) (0 at the origin, as PyTorch)."""

    def forward(self, a, b):
        return _xp(a).arctan2(a, b)

    def backward(self, grad):
        a, b = self.inputs
        r2 = a * a + b * b
        r2 = where(r2 == 0, 1.0, r2)  # at a = b = 0 both numerators are 0: gradient 0, not NaN
        ga = sum_to_shape(grad * b / r2, a._data.shape) if self.needs_input_grad[0] else None
        gb = sum_to_shape(grad * -a / r2, b._data.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Hypot(Function):
    """y = sqrt(a^2 + b^2). Gradients: g*a/y, g*b/y."""

    save_output = True

    def forward(self, a, b):
        return _xp(a).hypot(a, b)

    def backward(self, grad):
        a, b = self.inputs
        y = self.output()
        ga = sum_to_shape(grad * a / y, a._data.shape) if self.needs_input_grad[0] else None
        gb = sum_to_shape(grad * b / y, b._data.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Copysign(Function):
    """y = |a| with the sign of b. Gradients: g*y/a (0 where a = 0), and 0 for b."""

    save_output = True

    def forward(self, a, b):
        return _xp(a).copysign(a, b)

    def backward(self, grad):
        a, b = self.inputs
        ga = gb = None
        if self.needs_input_grad[0]:
            xp, ad = _xp(a._data), a._data
            with np.errstate(invalid="ignore", divide="ignore"):
                ratio = xp.where(ad == 0, 0, self.output()._data / ad).astype(grad._data.dtype)
            ga = sum_to_shape(grad * _const(ratio), ad.shape)
        if self.needs_input_grad[1]:
            gb = _zeros(b)
        return ga, gb


class Xlogy(Function):
    """y = x*ln(other) (0 where x = 0, unless other is NaN). Gradients: g*ln(other) (0 where x = 0 and
    other <= 0, as PyTorch), and g*x/other."""

    def forward(self, x, other):
        xp = _xp(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            return xp.where((x == 0) & ~xp.isnan(other), 0, x * xp.log(other)).astype(x.dtype, copy=False)

    def backward(self, grad):
        x, other = self.inputs
        gx = go = None
        if self.needs_input_grad[0]:
            gx = where(_const((x._data == 0) & (other._data <= 0)), 0.0, xlogy(grad, other))
            gx = sum_to_shape(gx, x._data.shape)
        if self.needs_input_grad[1]:
            go = sum_to_shape(grad * x / other, other._data.shape)
        return gx, go


class Addcmul(Function):
    """y = input + value*t1*t2. Gradients: g, g*value*t2, g*value*t1."""

    def forward(self, a, t1, t2, value):
        self.value = value
        return a + value * t1 * t2

    def backward(self, grad):
        a, t1, t2 = self.inputs
        need, v = self.needs_input_grad, self.value
        ga = sum_to_shape(grad, a._data.shape) if need[0] else None
        g1 = sum_to_shape(grad * t2 * v, t1._data.shape) if need[1] else None
        g2 = sum_to_shape(grad * t1 * v, t2._data.shape) if need[2] else None
        return ga, g1, g2


class Addcdiv(Function):
    """y = input + value*t1/t2. Gradients: g, g*value/t2, -g*value*t1/t2^2."""

    def forward(self, a, t1, t2, value):
        self.value = value
        return a + value * t1 / t2

    def backward(self, grad):
        a, t1, t2 = self.inputs
        need, v = self.needs_input_grad, self.value
        ga = sum_to_shape(grad, a._data.shape) if need[0] else None
        g1 = sum_to_shape(grad * v / t2, t1._data.shape) if need[1] else None
        g2 = sum_to_shape(grad * -v * t1 / (t2 * t2), t2._data.shape) if need[2] else None
        return ga, g1, g2


# -- public binary and ternary functions -------------------------------------------------------------------
def _promote_all(tensors: list, op: str) -> list:
    """Tensors (or numbers) promoted to PyTorch's common dtype, checked to broadcast together."""
    like = next(t for t in tensors if isinstance(t, Tensor))._data
    dtype = dt.result_type_of(tensors)
    out = [as_tensor_of(t, dtype, like, op) for t in tensors]
    _check_broadcast_all(out, op)
    return out


def _check_broadcast_all(tensors, op: str) -> None:
    """RuntimeError unless the shapes broadcast together (a plain loop: np.broadcast_shapes costs ~7 us)."""
    shapes = [t._data.shape for t in tensors]
    dimensioned = [s for s in shapes if s]  # 0-d tensors broadcast with anything
    if not dimensioned or all(s == dimensioned[0] for s in dimensioned):
        return
    for sizes in _trailing(shapes):
        sizes = sorted({n for n in sizes if n != 1})  # size 1 stretches; any other sizes must agree (0 included)
        if len(sizes) > 1:
            listed = ", ".join(str(tuple(s)) for s in shapes)
            raise RuntimeError(f"{op}: shapes {listed} cannot be broadcast together (size {sizes[0]} against "
                               f"{sizes[1]} at a non-singleton dimension)")


def _trailing(shapes):
    """The sizes of each dimension, aligned from the right (missing leading dims count as 1)."""
    ndim = builtins.max(len(s) for s in shapes)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    return zip(*padded)


def _float_pair(a, b, op: str) -> tuple[Tensor, Tensor]:
    # A Python int meets the tensor as a float: uint8 x with -1 is x and -1.0, not x and 255 (the wrapped int)
    a, b = (float(v) if type(v) in (int, bool) else v for v in (a, b))
    a, b = as_operands(a, b, op)
    _check_broadcast(a, b, op)
    if a._data.dtype.kind not in "fV":
        a, b = _floating(a, op), _floating(b, op)
    return a, b


def _tensor_pair(a, b, op: str) -> tuple[Tensor, Tensor]:
    _check_tensor(a, op, "input")
    _check_tensor(b, op, "other")
    a, b = as_operands(a, b, op)
    _check_broadcast(a, b, op)
    return a, b


def maximum(input: Tensor, other: Tensor) -> Tensor:
    return MaxMin.apply(*_tensor_pair(input, other, "maximum"), kind="maximum")


def minimum(input: Tensor, other: Tensor) -> Tensor:
    return MaxMin.apply(*_tensor_pair(input, other, "minimum"), kind="minimum")


def fmax(input: Tensor, other: Tensor) -> Tensor:
    """maximum that ignores NaN (NaN only where both are NaN)."""
    return MaxMin.apply(*_tensor_pair(input, other, "fmax"), kind="fmax")


def fmin(input: Tensor, other: Tensor) -> Tensor:
    """minimum that ignores NaN (NaN only where both are NaN)."""
    return MaxMin.apply(*_tensor_pair(input, other, "fmin"), kind="fmin")


def where(condition: Tensor, input=None, other=None):
    """input where condition else other (numbers allowed); `where(condition)` is `nonzero(as_tuple=True)`."""
    _check_tensor(condition, "where", "condition")
    if input is None and other is None:
        xp = _xp(condition._data)
        return tuple(Tensor._wrap(i.astype(np.int64, copy=False)) for i in xp.nonzero(xp.atleast_1d(condition._data)))
    if condition._data.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{condition.dtype.name}")
    if isinstance(input, Tensor) or isinstance(other, Tensor):
        x, y = as_operands(input, other, "where")
    else:  # two numbers: PyTorch's scalar promotion (floats give the default dtype)
        dtype = dt.result_type_of((input, other))
        x, y = (as_tensor_of(v, dtype, condition._data, "where") for v in (input, other))
    _check_broadcast_all((condition, x, y), "where")
    return Where.apply(condition, x, y)


def lerp(input: Tensor, end: Tensor, weight) -> Tensor:
    """input + weight*(end - input); weight a number or a tensor."""
    _check_tensor(input, "lerp")
    _check_tensor(end, "lerp", "end")
    _not_for(input, "lerp", "biu")
    if end._data.dtype != input._data.dtype:
        raise RuntimeError(f"lerp: expected dtype {input.dtype.name} for `end` but got dtype {end.dtype.name}")
    if isinstance(weight, Tensor):
        if weight._data.dtype != input._data.dtype:
            if weight._data.ndim != 0:
                raise RuntimeError(f"lerp: expected dtype {input.dtype.name} for `weight` but got dtype "
                                   f"{weight.dtype.name}")
            weight = weight.to(input.dtype)
        _check_broadcast_all((input, end, weight), "lerp")
        return Lerp.apply(input, end, weight)
    if not isinstance(weight, (int, float)):
        raise TypeError(f"lerp(): argument 'weight' must be Tensor or Number, not {type(weight).__name__}")
    _check_broadcast(input, end, "lerp")
    return LerpScalar.apply(input, end, weight=float(weight))


def clamp(input: Tensor, min=None, max=None) -> Tensor:  # noqa: A002 - PyTorch's names
    """min(max(input, min), max); bounds are numbers or tensors (not one of each)."""
    _check_tensor(input, "clamp")
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    given = [b for b in (min, max) if b is not None]
    if any(isinstance(b, Tensor) for b in given):
        if not all(isinstance(b, Tensor) for b in given):
            raise TypeError("clamp(): min and max must both be Tensors or both be numbers")
        x, *bounds = _promote_all([input, *given], "clamp")
        return ClampTensor.apply(x, *bounds, has_lo=min is not None, has_hi=max is not None)
    if input._data.dtype.kind in "fV" and all(type(b) in (int, float) for b in given):
        return ClampScalar.apply(input, lo=min, hi=max)  # the common case: no promotion to work out
    for b in given:
        if not isinstance(b, (int, float)):
            raise TypeError(f"clamp(): bounds must be numbers or Tensors, not {type(b).__name__}")
    dtype = dt.result_type_of([input, *given])
    x = as_tensor_of(input, dtype, input._data, "clamp")
    if dtype._kind < 2:  # integer result: integer bounds in its dtype (wrapping around, as PyTorch, for -1 and uint8)
        min, max = (None if b is None else _scalar_array(int(b), x._data) for b in (min, max))
    return ClampScalar.apply(x, lo=min, hi=max)


def clamp_min(input: Tensor, min) -> Tensor:  # noqa: A002
    return clamp(input, min=min)


def clamp_max(input: Tensor, max) -> Tensor:  # noqa: A002
    return clamp(input, max=max)


def atan2(input: Tensor, other: Tensor) -> Tensor:
    _check_tensor(input, "atan2")
    _check_tensor(other, "atan2", "other")
    return Atan2.apply(*_float_pair(input, other, "atan2"))


def hypot(input: Tensor, other: Tensor) -> Tensor:
    a, b = _tensor_pair(input, other, "hypot")
    _not_for(a, "hypot", "biu")
    return Hypot.apply(a, b)


def copysign(input: Tensor, other) -> Tensor:
    _check_tensor(input, "copysign")
    return Copysign.apply(*_float_pair(input, other, "copysign"))


def xlogy(input, other) -> Tensor:
    """input * log(other), 0 where input is 0 (either argument may be a number)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("xlogy(): at least one of input and other must be a Tensor")
    return Xlogy.apply(*_float_pair(input, other, "xlogy"))


def _check_value(value, dtype, op: str):
    if not isinstance(value, (int, float)):
        raise TypeError(f"{op}(): argument 'value' must be Number, not {type(value).__name__}")
    return int(value) if dtype._kind != 2 else value  # PyTorch converts value to the tensor's type


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """input + value * tensor1 * tensor2."""
    for name, t in (("input", input), ("tensor1", tensor1), ("tensor2", tensor2)):
        _check_tensor(t, "addcmul", name)
    a, t1, t2 = _promote_all([input, tensor1, tensor2], "addcmul")
    return Addcmul.apply(a, t1, t2, value=_check_value(value, a.dtype, "addcmul"))


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """input + value * tensor1 / tensor2."""
    for name, t in (("input", input), ("tensor1", tensor1), ("tensor2", tensor2)):
        _check_tensor(t, "addcdiv", name)
    if tensor1._data.dtype.kind in "biu" and tensor2._data.dtype.kind in "biu":
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future release addcdiv "
                           "will perform a true division of tensor1 and tensor2. Use addcdiv with float tensors.")
    a, t1, t2 = _promote_all([input, tensor1, tensor2], "addcdiv")
    return Addcdiv.apply(a, t1, t2, value=_check_value(value, a.dtype, "addcdiv"))


def _tensor_where(self: Tensor, condition: Tensor, other) -> Tensor:
    return where(condition, self, other)


clip, arctan2 = clamp, atan2

TENSOR_METHODS = {name: globals()[name] for name in __all__ if name != "where"}
TENSOR_METHODS["where"] = _tensor_where
INPLACE = {name: globals()[name] for name in ("clamp", "clip", "clamp_min", "clamp_max", "atan2", "arctan2", "hypot",
                                              "copysign", "xlogy", "addcmul", "addcdiv", "lerp")}
