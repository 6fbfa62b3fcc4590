"""Pooling: max / avg / adaptive / Lp pooling over 1-3 spatial dims, and max_unpool, PyTorch's semantics.

Windows are never materialised: a pool walks the kernel offsets (prod(kernel) of them), and each
offset reads one strided view of the (padded) input covering every window at once, so the work
is a few vectorised passes per offset, never a loop over pixels (the passes run over blocks of
planes small enough to stay in cache).  Max pooling keeps the winning
offset of each window (a small int array): its gradient scatters g back through the same views
(`MaxPoolScatter`), whose own gradient gathers through them (`MaxPoolGather`), so max pooling is
twice differentiable.  Average pooling is linear: its backward and its backward's backward are
each other.  Lp pooling is built on these two.  Adaptive pooling lives in adaptive_pool.py (its
names are re-exported here).
"""
from __future__ import annotations

from math import prod

import numpy as np

from ...amp import policy as _amp
from ...autograd.function import Function
from ...backend import get_array_module
from ...ops import activation as _act
from ...ops._pointwise import not_for
from ...tensor import Tensor
from .adaptive_pool import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d,  # noqa: F401 (re-exported)
                            adaptive_max_pool1d, adaptive_max_pool1d_with_indices, adaptive_max_pool2d,
                            adaptive_max_pool2d_with_indices, adaptive_max_pool3d, adaptive_max_pool3d_with_indices)
from .conv import check_tensor, ntuple, shape_str
from ._nll import torch_type_name

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "max_pool3d_with_indices", "max_unpool1d", "max_unpool2d", "max_unpool3d", "avg_pool1d", "avg_pool2d",
           "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "adaptive_max_pool3d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices", "lp_pool1d", "lp_pool2d",
           "lp_pool3d"]


# -- geometry ------------------------------------------------------------------------------------------------------
def _pool_out(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling_output_shape: floor or ceil division, and a last window must start inside input + pad."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


class _Plan:
    """Where the windows of one pool sit: kernel offsets -> strided views of the padded input."""

    def __init__(self, spatial: tuple, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple, out: tuple):
        self.spatial, self.kernel, self.stride, self.padding, self.dilation, self.out = \
            spatial, kernel, stride, padding, dilation, out
        # ceil_mode windows may run past the right padding: pad that far too
        self.high = tuple(max(p, (o - 1) * s + d * (k - 1) + 1 - n - p)
                          for n, k, s, p, d, o in zip(spatial, kernel, stride, padding, dilation, out))
        self.padded = tuple(n + p + h for n, p, h in zip(spatial, padding, self.high))
        self._windows = None

    def windows(self) -> list:
        """[(offset number, index of the view)] for every kernel offset."""
        if self._windows is None:
            self._windows = [(k, (Ellipsis,) + tuple(slice(ri * d, ri * d + s * (o - 1) + 1, s)
                                                     for ri, o, s, d in zip(r, self.out, self.stride, self.dilation)))
                             for k, r in enumerate(np.ndindex(*self.kernel))]
        return self._windows

    def interior(self) -> tuple:
        return (Ellipsis,) + tuple(slice(p, p + n) for p, n in zip(self.padding, self.spatial))

    def pad(self, x, fill):
        """x with the plan's padding around its last dims, filled with `fill` (x itself if there is none)."""
        if not any(self.padding) and self.padded == self.spatial:
            return x
        xp = get_array_module(x)
        buf = xp.full(x.shape[:-len(self.spatial)] + self.padded, fill, dtype=x.dtype)
        buf[self.interior()] = x
        return buf

    def unpad(self, buf):
        xp = get_array_module(buf)
        return buf if self.padded == self.spatial and not any(self.padding) else \
            xp.ascontiguousarray(buf[self.interior()])

    def first_valid(self):
        """Per output position, the first kernel offset that lands inside the input (PyTorch's initial argmax)."""
        nd = len(self.kernel)
        per_dim = []
        for i in range(nd):
            start = np.arange(self.out[i]) * self.stride[i] - self.padding[i]
            r = np.maximum(0, -(start // self.dilation[i]))  # ceil(-start / d) where start < 0
            per_dim.append(np.minimum(r, self.kernel[i] - 1).reshape((-1,) + (1,) * (nd - 1 - i)))
        flat = np.zeros(self.out, dtype=np.int64)
        for i in range(nd):
            flat = flat * self.kernel[i] + per_dim[i]
        return flat

    def flat_indices(self, arg, xp):
        """Offsets -> PyTorch's indices: the flat position of each window's winner within its input plane."""
        nd = len(self.kernel)
        arg = arg.astype(np.int64)
        flat = None
        rest = arg
        coords = []
        for i in range(nd - 1, -1, -1):
            coords.append(rest % self.kernel[i])
            rest = rest // self.kernel[i]
        coords.reverse()
        for i in range(nd):
            q = xp.arange(self.out[i], dtype=np.int64).reshape((-1,) + (1,) * (nd - 1 - i))
            pos = q * self.stride[i] - self.padding[i] + coords[i] * self.dilation[i]
            flat = pos if flat is None else flat * self.spatial[i] + pos
        return flat


def _offset_dtype(kernel: tuple):
    n = prod(kernel)
    return np.int8 if n < 127 else np.int16 if n < 32767 else np.int32


# -- the Functions -------------------------------------------------------------------------------------------------
# The offset loops run over blocks of (N * C) planes holding about this many input elements, so that the
# prod(kernel) passes over a block hit the cache instead of memory.
_BLOCK = 1 << 17


def _blocks(planes: int, plane_size: int):
    step = max(1, _BLOCK // max(plane_size, 1))
    for p0 in range(0, planes, step):
        yield slice(p0, p0 + step)


def _planes(a, nd: int):
    """(*lead, *spatial) -> (prod(lead), *spatial) (a view when a is contiguous)."""
    return a.reshape((-1,) + a.shape[a.ndim - nd:])


def _window_argmax(x, plan: _Plan, fill):
    """(max over each window, offset of its first maximum) with PyTorch's NaN and all -inf rules."""
    xp = get_array_module(x)
    nd = len(plan.kernel)
    xpad = _planes(plan.pad(x, fill), nd)
    planes = xpad.shape[0]
    best = xp.empty((planes,) + plan.out, dtype=x.dtype)
    arg = xp.empty((planes,) + plan.out, dtype=_offset_dtype(plan.kernel))
    kind = arg.dtype.type
    windows = plan.windows()
    upd = None
    for blk in _blocks(planes, prod(plan.padded)):
        xs, b, a = xpad[blk], best[blk], arg[blk]
        b[...] = xs[windows[0][1]]
        a.fill(0)
        u = xp.empty(b.shape, dtype=bool) if upd is None or upd.shape != b.shape else upd
        upd = u
        for k, view in windows[1:]:
            v = xs[view]
            xp.greater(v, b, out=u)  # strict: the first maximum wins ties, as in PyTorch
            xp.maximum(b, v, out=b)  # propagates NaN
            xp.copyto(a, kind(k), where=u)
    if x.dtype.kind in "fV":
        nan = xp.isnan(best)
        if nan.any():  # PyTorch picks a window's last NaN
            for k, view in windows:
                xp.copyto(arg, kind(k), where=nan & xp.isnan(xpad[view]))
    if any(plan.padding) or plan.padded != plan.spatial:
        lost = best == fill  # nothing beat the padding: PyTorch keeps the first in-bounds offset
        if lost.any():
            first = xp.broadcast_to(xp.asarray(plan.first_valid().astype(arg.dtype)), best.shape)
            xp.copyto(arg, first, where=lost)
    shape = x.shape[:x.ndim - nd] + plan.out
    return best.reshape(shape), arg.reshape(shape)


class MaxPoolGather(Function):
    """y = x at each window's winning offset (`values` when forward already has them).  Gradient: MaxPoolScatter."""

    keep_inputs = False

    def forward(self, x, *, plan: _Plan, arg, values=None):
        self.plan, self.arg = plan, arg
        if values is not None:
            return values
        xp = get_array_module(x)
        nd = len(plan.kernel)
        xpad, a_all = _planes(plan.pad(x, 0), nd), _planes(arg, nd)
        out = xp.zeros(a_all.shape, dtype=x.dtype)
        for blk in _blocks(xpad.shape[0], prod(plan.padded)):
            xs, a, o = xpad[blk], a_all[blk], out[blk]
            for k, view in plan.windows():
                o += xs[view] * (a == k)
        return out.reshape(arg.shape)

    def backward(self, grad):
        return MaxPoolScatter.apply(grad, plan=self.plan, arg=self.arg)


class MaxPoolScatter(Function):
    """dx = g added back at each window's winning position (overlapping windows sum).  Gradient: MaxPoolGather."""

    keep_inputs = False

    def forward(self, g, *, plan: _Plan, arg):
        self.plan, self.arg = plan, arg
        xp = get_array_module(g)
        nd = len(plan.kernel)
        g_all, a_all = _planes(g, nd), _planes(arg, nd)
        acc = xp.zeros((g_all.shape[0],) + plan.padded, dtype=g.dtype)
        for blk in _blocks(acc.shape[0], prod(plan.padded)):
            gs, a, dst = g_all[blk], a_all[blk], acc[blk]
            for k, view in plan.windows():
                dst[view] += gs * (a == k)
        return plan.unpad(acc).reshape(g.shape[:g.ndim - nd] + plan.spatial)

    def backward(self, grad):
        return MaxPoolGather.apply(grad, plan=self.plan, arg=self.arg)


class AvgPool(Function):
    """y = (sum of each window) / divisor.  Gradient: AvgPoolBackward (its adjoint)."""

    keep_inputs = False

    def forward(self, x, *, plan: _Plan, divisor):
        self.plan, self.divisor = plan, divisor
        xp = get_array_module(x)
        nd = len(plan.kernel)
        xpad = _planes(plan.pad(x, 0), nd)
        windows = plan.windows()
        acc = xp.empty((xpad.shape[0],) + plan.out, dtype=x.dtype)
        for blk in _blocks(xpad.shape[0], prod(plan.padded)):
            xs, a = xpad[blk], acc[blk]
            a[...] = xs[windows[0][1]]
            for _, view in windows[1:]:
                a += xs[view]
        acc = acc.reshape(x.shape[:x.ndim - nd] + plan.out)
        if x.dtype.kind in "iu":  # PyTorch divides integer sums with C++ truncation
            q = xp.abs(acc) // divisor.astype(acc.dtype)
            return xp.where(acc < 0, -q, q)
        acc /= divisor
        return acc

    def backward(self, grad):
        return AvgPoolBackward.apply(grad, plan=self.plan, divisor=self.divisor)


class AvgPoolBackward(Function):
    """dx = sum over windows of g / divisor spread over each window.  Gradient: AvgPool."""

    keep_inputs = False

    def forward(self, g, *, plan: _Plan, divisor):
        self.plan, self.divisor = plan, divisor
        xp = get_array_module(g)
        nd = len(plan.kernel)
        share = _planes(g / divisor, nd)
        acc = xp.zeros((share.shape[0],) + plan.padded, dtype=g.dtype)
        for blk in _blocks(acc.shape[0], prod(plan.padded)):
            src, dst = share[blk], acc[blk]
            for _, view in plan.windows():
                dst[view] += src
        return plan.unpad(acc).reshape(g.shape[:g.ndim - nd] + plan.spatial)

    def backward(self, grad):
        return AvgPool.apply(grad, plan=self.plan, divisor=self.divisor)


# -- argument checks -----------------------------------------------------------------------------------------------
def _check_input(op: str, input, nd: int) -> bool:
    """Validate a pooling input (C, *sp) or (N, C, *sp) with non-empty C and spatial dims; returns batched."""
    check_tensor(input, op)
    shape = tuple(input.shape)
    if len(shape) not in (nd + 1, nd + 2) or any(s == 0 for s in shape[-nd - 1:]):
        raise RuntimeError(f"{op}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got: {list(shape)}")
    return len(shape) == nd + 2


def _pool_geometry(op: str, nd: int, input: Tensor, kernel_size, stride, padding, dilation, ceil_mode: bool,
                   with_dilation: bool = True) -> _Plan:
    kernel = ntuple(kernel_size, nd, "kernel_size", op)
    stride = ntuple(stride, nd, "stride", op, allow_empty=True) if stride is not None else ()
    stride = stride or kernel
    padding = ntuple(padding, nd, "padding", op)
    dilation = ntuple(dilation, nd, "dilation", op)
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"{op}: kernel_size must be greater than zero, but got {list(kernel)}")
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"{op}: stride should not be zero, but got {list(stride)}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"{op}: dilation should be greater than zero, but got {list(dilation)}")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"{op}: pad must be non-negative, but got pad: {list(padding)}")
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, but got pad={list(padding)}, "
                           f"kernel_size={list(kernel)}" + (f" and dilation={list(dilation)}" if with_dilation else ""))
    spatial = tuple(input.shape[-nd:])
    out = tuple(_pool_out(n, k, s, p, d, ceil_mode) for n, k, s, p, d in zip(spatial, kernel, stride, padding,
                                                                               dilation))
    if any(o < 1 for o in out):
        raise RuntimeError(f"{op}: Given input size: ({'x'.join(map(str, input.shape[-nd - 1:]))}). Calculated "
                           f"output size: ({'x'.join(map(str, (input.shape[-nd - 1],) + out))}). Output size is too "
                           f"small")
    return _Plan(spatial, kernel, stride, padding, dilation, out)


# -- max pool ------------------------------------------------------------------------------------------------------
def _max_pool(op: str, nd: int, input: Tensor, kernel_size, stride, padding, dilation, ceil_mode: bool,
              return_indices: bool):
    if _amp.active[0] and not return_indices:  # max_pool3d (not max_pool3d_with_indices): float32 on CPU
        input = _amp.cast_input(op, input)
    _check_input(op, input, nd)
    plan = _pool_geometry(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode)
    x = input._data
    xp = get_array_module(x)
    kind = x.dtype.kind
    if kind == "b":
        raise NotImplementedError(f"{op}: not implemented for 'bool' inputs")
    fill = -np.inf if kind in "fV" else np.iinfo(x.dtype).min
    best, arg = _window_argmax(x, plan, fill)
    values = MaxPoolGather.apply(input, plan=plan, arg=arg, values=best)
    if not return_indices:
        return values
    return values, Tensor._wrap(plan.flat_indices(arg, xp))


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over sliding windows of the last dim of (N, C, L) or (C, L); -inf padding; indices are positions in L."""
    if (not return_indices and isinstance(input, Tensor) and type(input._data) is np.ndarray
            and input._data.dtype.kind in "iub"):
        # PyTorch's CPU max_pool1d without indices is a floating-point-only kernel (with indices: any dtype)
        raise NotImplementedError(f"\"max_pool1d_impl\" not implemented for '{torch_type_name(input._data)}'")
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over kH x kW windows of (N, C, H, W) or (C, H, W).  Gradient: g routed to each window's (first) argmax.

    out = floor_or_ceil((H + 2p - d (k - 1) - 1) / s) + 1; indices (int64) are flat positions h * W + w per plane.
    """
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over kD x kH x kW windows of (N, C, D, H, W) or (C, D, H, W)."""
    return _max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def _with_indices(fn):
    def call(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
        return fn(input, kernel_size, stride, padding, dilation, ceil_mode, True)  # always both, as PyTorch

    call.__name__ = fn.__name__ + "_with_indices"
    call.__doc__ = f"`{fn.__name__}(..., return_indices=True)`: (values, indices)."
    return call


max_pool1d_with_indices = _with_indices(max_pool1d)
max_pool2d_with_indices = _with_indices(max_pool2d)
max_pool3d_with_indices = _with_indices(max_pool3d)


# -- max unpool ----------------------------------------------------------------------------------------------------
def _max_unpool(op: str, nd: int, input: Tensor, indices: Tensor, kernel_size, stride, padding, output_size):
    check_tensor(input, op)
    check_tensor(indices, op, "indices")
    not_for(input, op, "biu")  # PyTorch's unpool kernels are floating-only
    kernel = ntuple(kernel_size, nd, "kernel_size", op)
    stride = ntuple(stride, nd, "stride", op) if stride is not None else kernel
    padding = ntuple(padding, nd, "padding", op)
    if input.ndim < nd:  # PyTorch reads the last nd sizes before checking the rank: an IndexError
        raise IndexError(f"{op}: Expected {nd + 1}D or {nd + 2}D input, but got input of shape "
                         f"{shape_str(input.shape)}")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}: Expected {nd + 1}D or {nd + 2}D input, but got input of shape "
                           f"{shape_str(input.shape)}")
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"{op}: expected indices to have dtype int64, but got {indices.dtype.name}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"{op}: Expected shape of indices to be same as that of the input tensor "
                           f"({shape_str(input.shape)}) but got indices tensor with shape {shape_str(indices.shape)}")
    spatial = tuple(input.shape[-nd:])
    default = tuple((n - 1) * s - 2 * p + k for n, s, p, k in zip(spatial, stride, padding, kernel))
    if output_size is None:
        out = default
    else:
        out = tuple(int(v) for v in output_size)
        if len(out) == nd + 2 or (len(out) == nd + 1 and input.ndim == nd + 1):
            out = out[-nd:]
        if len(out) != nd:
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it has a "
                             f"length of '{len(out)}'")
        for d in range(nd):
            lo, hi = default[d] - stride[d], default[d] + stride[d]
            if not lo < out[d] < hi:
                raise ValueError(f'invalid output_size "{out}" (dim {d} must be between {lo} and {hi})')
    lead = tuple(input.shape[:-nd])
    plane = prod(out)
    idx = indices._data.reshape(lead + (-1,))
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= plane):
        bad = int(idx.max()) if int(idx.max()) >= plane else int(idx.min())
        raise RuntimeError(f"{op}: Found an invalid max index: {bad} (output volumes are of size "
                           f"{'x'.join(map(str, out))})")
    base = input.new_zeros(lead + (plane,))
    flat = base.scatter(-1, Tensor._wrap(idx), input.reshape(lead + (-1,)))
    return flat.reshape(lead + out)


@_amp.autocast_op("max_unpool1d")  # float32 under CPU autocast
def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """Partial inverse of max_pool1d: input values placed at `indices` in a zero tensor."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)


@_amp.autocast_op("max_unpool2d")  # float32 under CPU autocast
def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """Partial inverse of max_pool2d: y.flatten(-2)[..., indices] = input, zeros elsewhere.

    Default size (H - 1) s - 2 p + k; `output_size` may pick one within a stride of it (as PyTorch).
    """
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)


@_amp.autocast_op("max_unpool3d")  # float32 under CPU autocast
def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """Partial inverse of max_pool3d."""
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding, output_size)


# -- avg pool ------------------------------------------------------------------------------------------------------
def _avg_divisor(plan: _Plan, count_include_pad: bool, divisor_override, dtype, xp):
    """PyTorch's divisor per output position: window size clipped to input + pad (or to the input)."""
    nd = len(plan.kernel)
    if divisor_override is not None:
        return xp.asarray(np.full(plan.out, divisor_override, dtype=np.float64).astype(dtype))
    div = np.ones(plan.out, dtype=np.float64)
    for i in range(nd):
        start = np.arange(plan.out[i]) * plan.stride[i] - plan.padding[i]
        end = np.minimum(start + plan.kernel[i], plan.spatial[i] + plan.padding[i])
        size = end - start
        if not count_include_pad:
            size = np.minimum(end, plan.spatial[i]) - np.maximum(start, 0)
        div = div * size.reshape((-1,) + (1,) * (nd - 1 - i))
    return xp.asarray(div.astype(dtype))


def _avg_pool(op: str, nd: int, input: Tensor, kernel_size, stride, padding, ceil_mode: bool,
              count_include_pad: bool, divisor_override) -> Tensor:
    if nd == 2 and isinstance(input, Tensor) and input.ndim < 3:  # PyTorch reads size(-3) first: an IndexError
        raise IndexError(f"{op}: Expected 3D or 4D (batch mode) tensor, but got input of shape {list(input.shape)}")
    _check_input(op, input, nd)
    plan = _pool_geometry(op, nd, input, kernel_size, stride, padding, 1, ceil_mode, with_dilation=False)
    if divisor_override is not None:
        if not isinstance(divisor_override, (int, np.integer)) or isinstance(divisor_override, bool):
            raise TypeError(f"{op}(): argument 'divisor_override' must be int, not "
                            f"{type(divisor_override).__name__}")
        if divisor_override == 0:
            raise RuntimeError(f"{op}: divisor must be not zero")
    x = input._data
    if x.dtype.kind == "b":
        raise NotImplementedError(f"{op}: not implemented for 'bool' inputs")
    xp = get_array_module(x)
    divisor = _avg_divisor(plan, count_include_pad, divisor_override, x.dtype, xp)
    return AvgPool.apply(input, plan=plan, divisor=divisor)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over sliding windows of the last dim of (N, C, L) or (C, L); zero padding counted unless told not to."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over kH x kW windows: y = sum(window) / divisor.  Gradient: g / divisor spread over each window.

    divisor: divisor_override, else the window clipped to the padded input (count_include_pad) or to the input.
    """
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


@_amp.autocast_op("avg_pool3d")  # float32 under CPU autocast
def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over kD x kH x kW windows of (N, C, D, H, W) or (C, D, H, W)."""
    return _avg_pool("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


# -- Lp pool -------------------------------------------------------------------------------------------------------
def _lp_pool(nd: int, input: Tensor, norm_type, kernel_size, stride, ceil_mode: bool) -> Tensor:
    """PyTorch's definition: (sign(a) relu(|a|) * prod(kernel)) ** (1 / p) with a = avg_pool(x ** p);
    p = +-inf is the max (min) of |x| over the window."""
    op = f"lp_pool{nd}d"
    if isinstance(norm_type, (int, float)) and norm_type in (float("inf"), -float("inf")):
        sign = 1 if norm_type > 0 else -1
        max_pool = (max_pool1d, max_pool2d, max_pool3d)[nd - 1]  # PyTorch's calls, with their dtype rules
        return max_pool(input.abs() * sign, kernel_size, stride, 0, 1, ceil_mode) * sign
    kernel = ntuple(kernel_size, nd, "kernel_size", op)
    pooled = _avg_pool(f"avg_pool{nd}d", nd, input.pow(norm_type), kernel, stride, 0, ceil_mode, True, None)
    return (pooled.sign() * _act.relu(pooled.abs())).mul(prod(kernel)).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling: y = (sum over the window of x ** p) ** (1 / p)."""
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over kH x kW windows: y = (sum x ** p) ** (1 / p)."""
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


@_amp.autocast_op("lp_pool3d")  # float32 under CPU autocast (torch builds it on avg_pool3d)
def lp_pool3d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over kD x kH x kW windows."""
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)
