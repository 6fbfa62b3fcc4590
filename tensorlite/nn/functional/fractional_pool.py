"""Fractional max pooling (Graham, 2014): max over kernel-sized windows whose starts advance by a
non-integer stride, placed pseudo-randomly by one sample u in [0, 1) per plane and spatial dim.

The window starts are PyTorch's: along a dim of input size n, output size o and kernel k,
alpha = (n - k) / (o - 1), start_i = int((i + u) alpha) - int(u alpha) for i < o - 1, and the last
window ends at the border (start = n - k), computed in the input's float type as PyTorch's CPU
kernel does (float16 and bfloat16 round every step), so the same `_random_samples` give the same
windows. The values are gathered from the argmax
positions, so the gradient is routed to each window's (first) maximum by `gather`'s own backward.
"""
from __future__ import annotations

import numpy as np

from ...amp import policy as _amp
from ...backend import get_array_module
from ...random import numpy_generator
from ...tensor import Tensor
from ._nll import torch_type_name
from .conv import check_tensor, ntuple

__all__ = ["fractional_max_pool2d", "fractional_max_pool3d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d_with_indices"]


def _window_starts(op: str, u, n: int, o: int, k: int):
    """(B, C) samples -> (B, C, o) int64 window starts along one dim (PyTorch's generate_intervals), computed
    in u's dtype: each step of a float16/bfloat16 computation rounds, as in PyTorch's CPU kernel."""
    xp = get_array_module(u)
    starts = xp.empty(u.shape + (o,), dtype=np.int64)
    if o > 1:
        alpha = xp.asarray(n - k, dtype=u.dtype) / xp.asarray(o - 1, dtype=u.dtype)
        i = xp.arange(o - 1).astype(u.dtype)
        starts[..., :-1] = ((i + u[..., None]) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)[..., None]
        if bool((starts[..., :-1] < 0).any()) or bool((starts[..., :-1] > n - k).any()):
            # rounding in a reduced type (or a sample outside [0, 1)) can misplace a window; PyTorch asserts
            raise RuntimeError(f"{op}(): a window of size {k} computed from _random_samples (in "
                               f"{torch_type_name(u)}) falls outside the input of size {n}")
    if o > 0:
        starts[..., -1] = n - k
    return starts


def _fractional_max_pool(op: str, nd: int, input: Tensor, kernel_size, output_size, output_ratio,
                         return_indices: bool, samples):
    check_tensor(input, op)
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        ratio = tuple(output_ratio) if isinstance(output_ratio, (tuple, list)) else (output_ratio,)
        if len(ratio) > nd:
            raise ValueError(f"{op} requires output_ratio to either be a single Int or tuple of Ints.")
        ratio = ratio * nd if len(ratio) == 1 else ratio
        output_size = tuple(int(input.shape[input.ndim - nd + a] * ratio[a]) for a in range(nd))
    kernel = ntuple(kernel_size, nd, "kernel_size", op)
    out = ntuple(output_size, nd, "output_size", op)
    if min(kernel) <= 0:
        raise RuntimeError(f"{op}(): kernel_size must be greater than zero, but got kernel_size={list(kernel)}")
    if min(out) < 0:
        raise RuntimeError(f"{op}(): output_size must be non-negative, but got output_size={list(out)}")
    shape = tuple(input.shape)
    if len(shape) not in (nd + 1, nd + 2):
        if samples is None and len(shape) < nd + 1:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-len(shape)}, {len(shape) - 1}], "
                             f"but got {-nd - 1})")
        raise RuntimeError(f"{op}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: {list(shape)}")
    x = input._data
    if x.dtype.kind not in "fV":
        raise NotImplementedError(f"\"{op}_out_frame\" not implemented for '{torch_type_name(x)}'")
    batched = len(shape) == nd + 2
    for d in range(int(batched), len(shape)):
        if shape[d] == 0:
            raise RuntimeError(f"{op}(): Expected input to have non-zero size for non-batch dimensions, but got "
                               f"{list(shape)} with dimension {d} being empty.")
    b, c = (shape[0], shape[1]) if batched else (1, shape[0])
    sizes = shape[-nd:]
    # PyTorch's checks: 2-D allows the last window to end at the border, 3-D (checked t, w, h) does not
    names = ("time", "height", "width")[3 - nd:]
    for a in ((0, 1) if nd == 2 else (0, 2, 1)):
        span = out[a] + kernel[a] - 1
        if span > sizes[a] or (nd == 3 and span == sizes[a]):
            raise RuntimeError(f"{op}{'_out' if nd == 3 else ''}(): pool {names[a]} {kernel[a]} too large relative "
                               f"to input {names[a]} {sizes[a]}")
    xp = get_array_module(x)
    if samples is None:
        u = numpy_generator().random((b, c, nd)).astype(x.dtype)
        u = u if xp is np else xp.asarray(u)
    else:
        u = samples._data
        if u.dtype != x.dtype:
            raise RuntimeError(f"{op}(): Expect _random_samples to have the same dtype as input, but got "
                               f"_random_samples of {torch_type_name(u)} and input of {torch_type_name(x)}")
        if u.ndim != 3:
            raise RuntimeError(f"Expect _random_samples to have 3 dimensions, but got {u.ndim}")
        if u.shape[2] != nd:
            raise RuntimeError(f"Expect _random_samples.size(2) equals to {nd}; got {u.shape[2]}.")
        if u.shape[0] < b:
            raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
        if u.shape[1] != c:
            raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
        u = u[:b]
    # PyTorch's sample order per plane: (w, h) for 2-D, (t, h, w) for 3-D
    which = (1, 0) if nd == 2 else (0, 1, 2)
    flat_in = x.reshape(b, c, int(np.prod(sizes)))
    pos = 0  # flat input position of every window element, broadcast to (B, C, *out, *kernel)
    stride = 1
    for a in range(nd - 1, -1, -1):
        starts = _window_starts(op, u[:, :, which[a]], sizes[a], out[a], kernel[a])
        full = starts.reshape((b, c) + tuple(out[a] if d == a else 1 for d in range(nd)) + (1,) * nd)
        offs = xp.arange(kernel[a]).reshape(tuple(kernel[a] if d == a else 1 for d in range(nd)))
        pos = pos + (full + offs) * stride
        stride *= sizes[a]
    pos = xp.broadcast_to(pos, (b, c) + out + kernel).reshape(b, c, int(np.prod(out)), int(np.prod(kernel)))
    n_out = pos.shape[2]
    if n_out and pos.shape[3]:
        window = xp.take_along_axis(flat_in, pos.reshape(b, c, n_out * pos.shape[3]), axis=2).reshape(pos.shape)
        best = window.argmax(axis=3)  # the first maximum; PyTorch's scan lets a nan win, the last one
        nan = xp.isnan(window)
        if bool(nan.any()):
            last_nan = nan.shape[3] - 1 - nan[..., ::-1].argmax(axis=3)
            best = xp.where(nan.any(axis=3), last_nan, best)
        arg = xp.take_along_axis(pos, best[..., None], axis=3)[..., 0]
    else:
        arg = xp.zeros((b, c, n_out), dtype=np.int64)
    values = input.reshape(b, c, int(np.prod(sizes))).gather(2, Tensor._wrap(arg)).reshape((b, c) + out)
    indices = Tensor._wrap(arg.reshape((b, c) + out))
    if not batched:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return (values, indices) if return_indices else values


@_amp.autocast_op("fractional_max_pool2d")  # float32 under CPU autocast
def fractional_max_pool2d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples: Tensor | None = None):
    """Fractional max pooling of (N, C, H, W) or (C, H, W) to output_size (or input size * output_ratio).

    _random_samples (N, C, 2): the per-plane samples placing the windows (drawn from U[0, 1) if None).
    """
    return _fractional_max_pool("fractional_max_pool2d", 2, input, kernel_size, output_size, output_ratio,
                                return_indices, _random_samples)


@_amp.autocast_op("fractional_max_pool3d")  # float32 under CPU autocast
def fractional_max_pool3d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples: Tensor | None = None):
    """Fractional max pooling of (N, C, T, H, W) or (C, T, H, W); _random_samples (N, C, 3)."""
    return _fractional_max_pool("fractional_max_pool3d", 3, input, kernel_size, output_size, output_ratio,
                                return_indices, _random_samples)


@_amp.autocast_op("fractional_max_pool2d")  # float32 under CPU autocast
def fractional_max_pool2d_with_indices(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples: Tensor | None = None):
    """fractional_max_pool2d returning (values, indices) always."""
    return _fractional_max_pool("fractional_max_pool2d", 2, input, kernel_size, output_size, output_ratio, True,
                                _random_samples)


@_amp.autocast_op("fractional_max_pool3d")  # float32 under CPU autocast
def fractional_max_pool3d_with_indices(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples: Tensor | None = None):
    """fractional_max_pool3d returning (values, indices) always."""
    return _fractional_max_pool("fractional_max_pool3d", 3, input, kernel_size, output_size, output_ratio, True,
                                _random_samples)
