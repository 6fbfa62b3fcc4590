"""Copies and conversions: clone, contiguous, dtype casts and device moves (all differentiable)."""
from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from ..autograd.function import Function
from ..backend.device import cuda_context, device as Device, get_array_module
from ..tensor import Size, Tensor

__all__ = ["clone"]


class Clone(Function):
    """y = copy of x. Gradient: g."""

    keep_inputs = False

    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        return grad


class Cast(Function):
    """y = x converted to another dtype. Gradient: g converted back."""

    keep_inputs = False
    bfloat16_native = True  # to and from bfloat16 are plain casts

    def forward(self, x, dtype):
        self.in_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, grad):
        if self.in_dtype.kind not in "fV":
            return None
        return grad.to(dt.from_numpy_dtype(self.in_dtype))


class Overwritten(Function):
    """y = values that replaced x in place without depending on it (fill_, eq_, ...). Gradient: 0."""

    keep_inputs = False

    def forward(self, x, values):
        return values

    def backward(self, grad):
        from ..backend.device import get_array_module

        return Tensor._wrap(get_array_module(grad._data).zeros_like(grad._data))


class ToDevice(Function):
    """y = x on another device. Gradient: g moved back."""

    keep_inputs = False

    def forward(self, x, device):
        host = type(x) is np.ndarray
        self.src = "cpu" if host else f"cuda:{x.device.id}"
        if device.type == "cpu":
            return x if host else x.get()
        with cuda_context(device):
            # asarray copies host data to the device; a CUDA array on another device is copied by copy()
            return device.xp.asarray(x) if host else x.copy()

    def backward(self, grad):
        return grad.to(self.src)


def clone(input: Tensor, *, memory_format=None) -> Tensor:
    return Clone.apply(input)


def contiguous(input: Tensor, memory_format=None) -> Tensor:
    return input if input._data.flags.c_contiguous else Clone.apply(input)


def _parse_to(args, kwargs):
    """PyTorch's overloads: to(dtype), to(device[, dtype]), to(tensor), plus keywords."""
    dev = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            dev, dtype = a.device, a.dtype
        elif isinstance(a, (str, Device)) and not (isinstance(a, str) and a.replace("torch.", "").replace(
                "tensorlite.", "") in ("float32", "float64", "float16", "int64", "int32", "int16", "int8",
                                        "uint8", "bool")):
            dev = a
        elif isinstance(a, int) and not isinstance(a, bool):
            dev = Device("cuda", a)
        elif a is not None and not isinstance(a, bool):
            dtype = a
    return (Device(dev) if dev is not None else None), (dt.to_dtype(dtype) if dtype is not None else None), copy


def to(input: Tensor, *args, **kwargs) -> Tensor:
    dev, dtype, copy = _parse_to(args, kwargs)
    out = input
    if dev is not None and dev != input.device and not (dev.index is None and dev.type == input.device.type):
        out = ToDevice.apply(out, device=dev)
    if dtype is not None and out._data.dtype != dtype.np:
        out = Cast.apply(out, dtype=dtype.np)
    if copy and out is input:
        out = Clone.apply(input)
    return out


def copy_from(old: Tensor, src) -> Tensor:
    """The out-of-place half of `copy_`: src broadcast to old's shape, in old's dtype and device.

    Gradient flows to src (summed back over broadcasting), none to the overwritten values.
    """
    from .arithmetic import broadcast_to

    if not isinstance(src, Tensor):
        from ..creation import tensor

        src = tensor(src)
    src = src.to(old.device, old.dtype)
    try:
        np.broadcast_shapes(src._data.shape, old._data.shape)
    except ValueError:
        raise RuntimeError(f"copy_: The size of tensor a {tuple(old.shape)} must match the size of tensor b "
                           f"{tuple(src.shape)} (src must be broadcastable to self)") from None
    out = broadcast_to(src, old._data.shape)
    if out is src or out._data.base is not None:
        out = Clone.apply(out)
    return out


def full_like_value(old: Tensor, value) -> Tensor:
    """The out-of-place half of `fill_`: a tensor of old's shape holding `value` (a number or 0-d tensor)."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions.")
        return copy_from(old, value)
    xp = get_array_module(old._data)
    return Tensor._wrap(xp.full(old._data.shape, value, dtype=old._data.dtype))


def new(input: Tensor, *args, dtype=None, device=None) -> Tensor:
    """The legacy `x.new(...)`: x.new(data) copies data, x.new(2, 3) is uninitialized (zeros here), both with
    x's dtype and device unless given."""
    from ..creation import tensor, zeros

    dtype = input.dtype if dtype is None else dtype
    device = input.device if device is None else device
    if len(args) == 1 and not isinstance(args[0], (int, np.integer, Size)):  # a Size means sizes, as in PyTorch
        return tensor(args[0], dtype=dtype, device=device)
    return zeros(*args, dtype=dtype, device=device) if args else zeros(0, dtype=dtype, device=device)


TENSOR_METHODS = {"clone": clone, "contiguous": contiguous, "new": new}
