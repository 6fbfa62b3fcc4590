"""Resampling and rearranging images: interpolate / upsample, pixel_(un)shuffle, channel_shuffle, unfold / fold,
with PyTorch's semantics (source-index rules included). affine_grid / grid_sample live in sampling.py.

Interpolation is separable: along each spatial dim, output i is a weighted sum of a few input
rows (1 tap for nearest, 2 for linear, 4 for cubic, a variable number for antialiasing), so
each dim is one `Resample` Function: a gather per tap in forward; its adjoint (`ResampleT`)
sums each tap's contributions with `add.reduceat` (source indices are sorted, so equal indices
form runs), and the two are each other's gradient.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ... import _dtype as dt
from ...autograd.function import Function
from ...backend import get_array_module
from ...kernels import conv as _k
from ...ops._pointwise import not_for
from ...tensor import Tensor
from .conv import check_tensor, ntuple
from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle",
           "channel_shuffle", "native_channel_shuffle", "unfold", "fold"]


# -- separable resampling ------------------------------------------------------------------------------------------
def _reduceat_adjoint(g, axis: int, idx, w, n_in: int):
    """sum_t M_t^T g along `axis`, M_t[i, idx[i, t]] = w[i, t] (idx sorted along i for each t)."""
    xp = get_array_module(g)
    shape = list(g.shape)
    shape[axis] = n_in
    gx = xp.zeros(shape, dtype=g.dtype)
    g = xp.moveaxis(g, axis, -1)
    target = xp.moveaxis(gx, axis, -1)
    for t in range(idx.shape[1]):
        col = idx[:, t]
        contrib = g if w is None else g * xp.asarray(w[:, t])
        if xp is np:
            starts = np.flatnonzero(np.r_[True, col[1:] != col[:-1]])
            target[..., col[starts]] += np.add.reduceat(contrib, starts, axis=-1)
        else:  # CuPy: scatter-add (no reduceat)
            from ...backend.device import cupyx_module  # noqa: PLC0415

            cupyx_module().scatter_add(target, (Ellipsis, xp.asarray(col)), contrib)
    return gx


def _resample_forward(x, axis: int, idx, w):
    xp = get_array_module(x)
    out = None
    for t in range(idx.shape[1]):
        v = xp.take(x, xp.asarray(idx[:, t]), axis=axis)
        if w is not None:
            shape = [1] * x.ndim
            shape[axis] = -1
            v *= xp.asarray(w[:, t]).reshape(shape)
        if out is None:
            out = v
        else:
            out += v
    return out


class Resample(Function):
    """y[.., i, ..] = sum_t w[i, t] x[.., idx[i, t], ..] along one axis.  Gradient: ResampleT."""

    keep_inputs = False

    def forward(self, x, *, axis: int, idx, w):
        self.axis, self.idx, self.w, self.n_in = axis, idx, w, x.shape[axis]
        return _resample_forward(x, axis, idx, w)

    def backward(self, grad):
        return ResampleT.apply(grad, axis=self.axis, idx=self.idx, w=self.w, n_in=self.n_in)


class ResampleT(Function):
    """The adjoint of Resample: dx[.., j, ..] = sum over (i, t) with idx[i, t] = j of w[i, t] g[.., i, ..]."""

    keep_inputs = False

    def forward(self, g, *, axis: int, idx, w, n_in: int):
        self.axis, self.idx, self.w = axis, idx, w
        return _reduceat_adjoint(g, axis, idx, w, n_in)

    def backward(self, grad):
        return Resample.apply(grad, axis=self.axis, idx=self.idx, w=self.w)


def _scale(n_in: int, n_out: int, align_corners: bool, scale_factor, dtype):
    """PyTorch's area_pixel_compute_scale, in the op's compute dtype."""
    if align_corners:
        return dtype((n_in - 1) / (n_out - 1)) if n_out > 1 else dtype(0)
    if scale_factor is not None and scale_factor > 0:
        return dtype(1.0 / scale_factor)
    return dtype(dtype(n_in) / dtype(n_out))


def _nearest_taps(n_in: int, n_out: int, scale_factor, exact: bool):
    # PyTorch computes the nearest source index in float32 whatever the input dtype
    scale = np.float32(1.0 / scale_factor) if scale_factor is not None and scale_factor > 0 else \
        np.float32(np.float32(n_in) / np.float32(n_out))
    dst = np.arange(n_out, dtype=np.float32)
    if exact:
        dst = dst + np.float32(0.5)
    src = np.floor(dst * scale).astype(np.int64)
    return np.minimum(src, n_in - 1)[:, None], None


def _linear_taps(n_in: int, n_out: int, align_corners: bool, scale_factor, dtype):
    if n_in == n_out:
        return np.arange(n_out)[:, None], None
    scale = _scale(n_in, n_out, align_corners, scale_factor, dtype)
    dst = np.arange(n_out).astype(dtype)
    src = scale * dst if align_corners else np.maximum(scale * (dst + dtype(0.5)) - dtype(0.5), dtype(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam1 = np.clip(src - i0.astype(dtype), 0, 1).astype(dtype)
    i1 = i0 + (i0 < n_in - 1)
    return np.stack([i0, i1], 1), np.stack([dtype(1) - lam1, lam1], 1).astype(dtype)


def _cubic_taps(n_in: int, n_out: int, align_corners: bool, scale_factor, dtype):
    a = dtype(-0.75)
    scale = _scale(n_in, n_out, align_corners, scale_factor, dtype)
    dst = np.arange(n_out).astype(dtype)
    src = scale * dst if align_corners else scale * (dst + dtype(0.5)) - dtype(0.5)
    i = np.floor(src)
    t = (src - i).astype(dtype)

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    w = np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], 1).astype(dtype)
    idx = np.clip(i.astype(np.int64)[:, None] + np.arange(-1, 3), 0, n_in - 1)
    return idx, w


def _antialias_taps(n_in: int, n_out: int, align_corners: bool, scale_factor, dtype, cubic: bool):
    """PyTorch's antialiased (downsampling) filter: the kernel stretched by the scale, weights normalised."""
    scale = float(_scale(n_in, n_out, align_corners, scale_factor, np.float64))
    size = 4 if cubic else 2
    support = size * 0.5 * scale if scale >= 1.0 else size * 0.5
    invscale = 1.0 / scale if scale >= 1.0 else 1.0
    delta = 0.0  # PyTorch: align_corners changes only the scale of the antialiased filter, not its centres

    def filt(x):
        x = np.abs(x)
        if not cubic:
            return np.maximum(0.0, 1.0 - x)
        a = -0.5
        return np.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                        np.where(x < 2, ((a * x - 5 * a) * x + 8 * a) * x - 4 * a, 0.0))

    center = scale * (np.arange(n_out) + 0.5 - delta)
    xmin = np.maximum((center - support + 0.5 + delta).astype(np.int64), 0)
    xmax = np.minimum((center + support + 0.5 + delta).astype(np.int64), n_in)
    taps = int((xmax - xmin).max())
    j = np.arange(taps)
    w = filt((j[None, :] + xmin[:, None] - center[:, None] + 0.5 - delta) * invscale)
    w = np.where(j[None, :] < (xmax - xmin)[:, None], w, 0.0)
    total = w.sum(1, keepdims=True)
    w = np.where(total != 0, w / np.where(total != 0, total, 1), w)
    idx = np.minimum(xmin[:, None] + j[None, :], n_in - 1)
    return idx, w.astype(dtype)


_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_MODE_DIMS = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Resize the spatial dims of (N, C, *sp) with PyTorch's source-index rules.

    nearest: src = min(floor(dst * scale), in - 1) (scale = in / out, or 1 / scale_factor); nearest-exact:
    floor((dst + 0.5) * scale); linear modes: src = (dst + 0.5) * scale - 0.5 clamped at 0 (align_corners=False)
    or dst * (in - 1) / (out - 1); bicubic: Keys' kernel, a = -0.75; area: adaptive average pooling.
    """
    check_tensor(input, "interpolate")
    if mode not in _MODES:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
                                  f"the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
                                  f"nearest-exact (got {mode})")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.ndim - 2
    if dim < 1 or dim > 3:
        # PyTorch compares a size/scale_factor sequence with the spatial dims (ValueError) before the rank
        name, v = (("output size", size) if scale_factor is None else
                   ("scale_factor of shape", scale_factor) if size is None else (None, None))
        if isinstance(v, (tuple, list)) and len(v) != dim:
            raise ValueError(f"Input and {name.split()[0]} must have the same number of spatial dimensions, but got "
                             f"input with spatial dimensions of {list(input.shape[2:])} and {name} {tuple(v)} "
                             f"(interpolate of a {input.ndim}-D input of shape {tuple(input.shape)})")
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
                                  f"the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
                                  f"nearest-exact (got {mode})")
    if antialias and not (mode in ("bilinear", "bicubic") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D "
                         "tensor as input")
    spatial = tuple(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    scales = None
    if size is not None:
        if isinstance(size, (tuple, list)):
            if len(size) != dim:
                raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input "
                                 f"with spatial dimensions of {list(spatial)} and output size of {size}. Please "
                                 f"provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, "
                                 f"...,oK) format.")
            out = ntuple(tuple(size), dim, "size", "interpolate")
        else:
            out = ntuple(size, dim, "size", "interpolate")
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    else:
        if isinstance(scale_factor, (tuple, list)):
            if len(scale_factor) != dim:
                raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {list(spatial)} and scale_factor of shape "
                                 f"{tuple(scale_factor)}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
                                 f"format and scale_factor in (s1, s2, ...,sK) format.")
            scales = tuple(float(s) for s in scale_factor)
        else:
            scales = (float(scale_factor),) * dim
        out = tuple(int(math.floor(n * s)) for n, s in zip(spatial, scales))
        if recompute_scale_factor or mode == "area":
            scales = None
    if mode in _MODE_DIMS and input.ndim != _MODE_DIMS[mode]:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {_MODE_DIMS[mode]}D input")
    if mode != "area" and (any(o <= 0 for o in out) or any(n <= 0 for n in spatial)):
        raise RuntimeError(f"interpolate ({mode}): Input and output sizes should be greater than 0, but got input "
                           f"{list(spatial)} output {list(out)}")
    if input._data.dtype.kind not in "fV":
        raise NotImplementedError(f'"upsample_{mode}" not implemented for \'{input.dtype.name}\'')
    if mode == "area":
        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[dim - 1](input, out)
    # bfloat16 computes in float32 (Function.apply), so its taps are float32 too: 8-bit weights would cost 2 digits
    dtype = np.float32 if input._data.dtype is dt.BFLOAT16_NP else input._data.dtype.type
    y = input
    for i in range(dim - 1, -1, -1):  # last spatial dim first
        n, o = spatial[i], out[i]
        sf = None if scales is None else scales[i]
        if mode in ("nearest", "nearest-exact"):
            if n == o:
                continue
            idx, w = _nearest_taps(n, o, sf, mode == "nearest-exact")
        elif antialias:
            idx, w = _antialias_taps(n, o, align_corners, sf, dtype, mode == "bicubic")
        elif mode == "bicubic":
            idx, w = _cubic_taps(n, o, align_corners, sf, dtype)
        else:
            if n == o:
                continue
            idx, w = _linear_taps(n, o, align_corners, sf, dtype)
        y = Resample.apply(y, axis=2 + i, idx=idx, w=w)
    return y if y is not input else input.clone()


def _deprecated(name: str) -> None:
    warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=3)


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners: bool | None = None):
    """Deprecated alias of `interpolate` (as in PyTorch, with its warning)."""
    _deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: `interpolate(..., mode='nearest')`."""
    _deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: `interpolate(..., mode='bilinear', align_corners=True)` (PyTorch's historical behaviour)."""
    _deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# -- pixel shuffle -------------------------------------------------------------------------------------------------
def _factor(value, op: str, what: str) -> int:
    try:
        import operator

        r = operator.index(value)
    except TypeError:
        raise TypeError(f"{op}(): argument '{what}' must be int, not {type(value).__name__}") from None
    if r <= 0:
        raise RuntimeError(f"{op} expects a positive {what}, but got {r}")
    return r


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) -> (*, C, H r, W r): out[c, h r + i, w r + j] = in[c r^2 + i r + j, h, w]."""
    check_tensor(input, "pixel_shuffle")
    r = _factor(upscale_factor, "pixel_shuffle", "upscale_factor")
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    lead = tuple(lead)
    n = len(lead)
    y = input.reshape(lead + (c // (r * r), r, r, h, w))
    y = y.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return y.reshape(lead + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of pixel_shuffle."""
    check_tensor(input, "pixel_unshuffle")
    r = _factor(downscale_factor, "pixel_unshuffle", "downscale_factor")
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    *lead, c, h, w = input.shape
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but "
                           f"input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but "
                           f"input.size(-1)={w} is not divisible by {r}")
    lead = tuple(lead)
    n = len(lead)
    y = input.reshape(lead + (c, h // r, r, w // r, r))
    y = y.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return y.reshape(lead + (c * r * r, h // r, w // r))


def _channel_shuffle(op: str, input: Tensor, groups: int) -> Tensor:
    check_tensor(input, op)
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"{op}(): argument 'groups' (position 2) must be int, not {type(groups).__name__}")
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    n, c, *rest = input.shape
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    return input.reshape(n, int(groups), c // groups, *rest).transpose(1, 2).reshape(input.shape)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, C, *) -> (N, C, *) with channels regrouped: out[:, j g + i] = in[:, i (C / g) + j] (ShuffleNet)."""
    return _channel_shuffle("channel_shuffle", input, groups)


def native_channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """PyTorch's other name for channel_shuffle (the same op)."""
    return _channel_shuffle("native_channel_shuffle", input, groups)


# -- unfold / fold -------------------------------------------------------------------------------------------------
class Unfold(Function):
    """cols = im2col(x): (N, C, H, W) -> (N, C kH kW, L).  Gradient: Fold (col2im, which sums overlaps)."""

    keep_inputs = False

    def forward(self, x, *, geom):
        self.geom, self.size = geom, x.shape[2:]
        return _k.im2col(x, *geom)

    def backward(self, grad):
        return Fold.apply(grad, size=self.size, geom=self.geom)


class Fold(Function):
    """x = col2im(cols): sums each column back onto its window.  Gradient: Unfold."""

    keep_inputs = False

    def forward(self, cols, *, size, geom):
        self.geom = geom
        return _k.col2im(cols, tuple(size), *geom)

    def backward(self, grad):
        return Unfold.apply(grad, geom=self.geom)


def _fold_geom(op: str, kernel_size, dilation, padding, stride) -> tuple:
    kernel = ntuple(kernel_size, 2, "kernel_size", op)
    dilation = ntuple(dilation, 2, "dilation", op)
    padding = ntuple(padding, 2, "padding", op)
    stride = ntuple(stride, 2, "stride", op)
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"{op}: kernel size should be greater than zero, but got kernel_size={kernel}")
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"{op}: stride should be greater than zero, but got stride={stride}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"{op}: dilation should be greater than zero, but got dilation={dilation}")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"{op}: padding should be non-negative, but got padding={padding}")
    return kernel, dilation, padding, stride


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding local blocks as columns: (N, C, H, W) -> (N, C kH kW, L) (im2col); (C, H, W) -> (C kH kW, L)."""
    check_tensor(input, "unfold")
    geom = _fold_geom("unfold", kernel_size, dilation, padding, stride)
    shape = tuple(input.shape)
    if len(shape) < 3:  # PyTorch reads the spatial sizes before checking the rank: an IndexError
        d = 1 if len(shape) < 2 else 2
        raise IndexError(f"unfold: Dimension specified as {d} but tensor has no dimensions" if not shape else
                         f"unfold: Dimension out of range (expected to be in range of [{-len(shape)}, "
                         f"{len(shape) - 1}], but got {d}); input must be 3-D or 4-D, got shape {list(shape)}")
    if len(shape) not in (3, 4) or any(s == 0 for s in shape[-3:]):
        raise RuntimeError(f"unfold: Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {list(shape)}")
    kernel, dilation, padding, stride = geom
    blocks = _k.output_size(shape[-2:], kernel, stride, padding, dilation)
    if any(b < 1 for b in blocks):
        raise RuntimeError(f"unfold: Given input with spatial size {tuple(shape[-2:])}, kernel_size={kernel}, "
                           f"dilation={dilation}, padding={padding}, calculated shape of the array of sliding blocks "
                           f"as {blocks}, but its components must be at least one.")
    not_for(input, "unfold", "iu")  # im2col: floating and bool (a copy) only, as in PyTorch
    x = input if len(shape) == 4 else input.unsqueeze(0)
    y = Unfold.apply(x, geom=geom)
    return y if len(shape) == 4 else y.squeeze(0)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sum columns (N, C kH kW, L) back into (N, C, *output_size) (col2im; overlapping values add up)."""
    check_tensor(input, "fold")
    size = ntuple(output_size, 2, "output_size", "fold")
    kernel, dilation, padding, stride = _fold_geom("fold", kernel_size, dilation, padding, stride)
    shape = tuple(input.shape)
    if len(shape) not in (2, 3) or any(s == 0 for s in shape[-2:]):
        raise RuntimeError(f"fold: Expected 2D or 3D (batch mode) input tensor with possibly 0 batch size and "
                           f"non-zero dimensions for input, but got: {list(shape)}")
    k = kernel[0] * kernel[1]
    if shape[-2] % k:
        raise RuntimeError(f"fold: Expected size of input's dimension 1 to be divisible by the product of "
                           f"kernel_size, but got input.size(1)={shape[-2]} and kernel_size={kernel}.")
    blocks = _k.output_size(size, kernel, stride, padding, dilation)
    if any(b < 1 for b in blocks):
        raise RuntimeError(f"fold: Given output_size={size}, kernel_size={kernel}, dilation={dilation}, "
                           f"padding={padding}, stride={stride}, calculated shape of the array of sliding blocks as "
                           f"{blocks}, but its components must be at least one.")
    if shape[-1] != blocks[0] * blocks[1]:
        raise RuntimeError(f"fold: Given output_size={size}, kernel_size={kernel}, dilation={dilation}, "
                           f"padding={padding}, stride={stride}, expected size of input's dimension 2 to match the "
                           f"calculated number of sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, "
                           f"but got input.size(2)={shape[-1]}.")
    not_for(input, "fold", "iu")  # col2im: floating and bool only, as in PyTorch
    x = input if len(shape) == 3 else input.unsqueeze(0)
    y = Fold.apply(x, size=size, geom=(kernel, dilation, padding, stride))
    return y if len(shape) == 3 else y.squeeze(0)
