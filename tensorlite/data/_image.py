"""Array-level image helpers shared by the transforms: layouts, random draws, padding, resampling, colour.

Every helper works on a batch array of shape (N, C, H, W) (NumPy, or CuPy where noted by `xp`).
Pixel (row i, column j) has its centre at continuous coordinates (x, y) = (j + 0.5, i + 0.5).
"""
from __future__ import annotations

from enum import Enum
from typing import Sequence

import numpy as np

from ..backend import get_array_module
from ..random import Generator, default_generator
from ..tensor import Tensor

__all__ = ["InterpolationMode"]


class InterpolationMode(str, Enum):
    """How geometric transforms sample between pixels (a str, so "nearest"/"bilinear" also work)."""
    NEAREST = "nearest"
    BILINEAR = "bilinear"


def interpolation_mode(mode) -> InterpolationMode:
    try:
        return InterpolationMode(mode.value if isinstance(mode, Enum) else str(mode).lower())
    except ValueError:
        raise ValueError(f"interpolation should be one of {[m.value for m in InterpolationMode]}, got {mode!r}") \
            from None


def rng(generator: Generator | None) -> np.random.Generator:
    """`generator`, else a DataLoader thread worker's own generator, else the global one."""
    if generator is not None:
        return generator.np
    from ..utils.data._worker import worker_generator

    return (worker_generator() or default_generator).np


class Batch:
    """An image or a batch, seen as an (N, C, H, W) array, and the way back to the caller's layout.

    Tensors are (..., C, H, W) (or (H, W)); NumPy arrays are (H, W), (H, W, C) or (N, H, W, C).
    """

    def __init__(self, img, op: str):
        if isinstance(img, Tensor):
            self.is_tensor = True
            arr = img._data
            if arr.ndim < 2:
                raise ValueError(f"{op}: expected a tensor image of shape (..., C, H, W) or (H, W), "
                                 f"got shape {tuple(arr.shape)}")
            self.shape = arr.shape
            self.array = arr.reshape((-1,) + arr.shape[-3:]) if arr.ndim >= 3 else arr[None, None]
        elif isinstance(img, np.ndarray):
            self.is_tensor = False
            self.shape = img.shape
            if img.ndim == 2:
                self.array = img[None, None]
            elif img.ndim == 3:
                self.array = img.transpose(2, 0, 1)[None]
            elif img.ndim == 4:
                self.array = img.transpose(0, 3, 1, 2)
            else:
                raise ValueError(f"{op}: expected a NumPy image of shape (H, W), (H, W, C) or (N, H, W, C), "
                                 f"got shape {img.shape}")
        else:
            raise TypeError(f"{op}: expected a Tensor or a NumPy array image, got {type(img).__name__}")
        self.n = self.array.shape[0]

    def restore(self, out):
        """Give the (N, C', H', W') result back in the input's layout and kind."""
        if self.is_tensor:
            if len(self.shape) == 2:
                out = out[0, 0]
            else:
                out = out.reshape(tuple(self.shape[:-3]) + out.shape[1:])
            return Tensor._wrap(out)
        if len(self.shape) == 2:
            return out[0, 0]
        if len(self.shape) == 3:
            return out[0].transpose(1, 2, 0)
        return out.transpose(0, 2, 3, 1)


def size_pair(size, name: str = "size") -> tuple[int, int]:
    """An int or a 1- or 2-sequence as (h, w)."""
    if isinstance(size, (int, np.integer)):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) in (1, 2):
        return (int(size[0]), int(size[0])) if len(size) == 1 else (int(size[0]), int(size[1]))
    raise ValueError(f"{name} should be an int or a sequence of 1 or 2 ints, got {size!r}")


def fill_array(fill, channels: int, dtype) -> np.ndarray:
    """`fill` (a number or one value per channel) as a (C,) array."""
    values = np.asarray(0 if fill is None else fill, dtype=np.float64).reshape(-1)
    if values.size == 1:
        values = np.repeat(values, channels)
    elif values.size != channels:
        raise ValueError(f"fill should be a number or a sequence of {channels} values (one per channel), "
                         f"got {fill!r}")
    return values.astype(dtype)


def to_output_dtype(values, dtype):
    """Float results back to the input dtype: integers are rounded and clipped to their range."""
    xp = get_array_module(values)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return xp.clip(xp.rint(values), info.min, info.max).astype(dtype)
    return values.astype(dtype, copy=False)


def work_dtype(dtype) -> np.dtype:
    """The float dtype to compute in: the input's own float dtype, else float32."""
    return np.dtype(dtype) if np.issubdtype(dtype, np.floating) else np.dtype(np.float32)


def pad(x, left: int, top: int, right: int, bottom: int, fill, mode: str):
    """Pad the last two dims; `mode` is constant, edge, reflect or symmetric (NumPy's meanings)."""
    xp = get_array_module(x)
    widths = ((0, 0), (0, 0), (top, bottom), (left, right))
    if mode != "constant":
        return xp.pad(x, widths, mode=mode)
    out = xp.empty(x.shape[:2] + (x.shape[2] + top + bottom, x.shape[3] + left + right), dtype=x.dtype)
    out[...] = xp.asarray(fill_array(fill, x.shape[1], x.dtype))[:, None, None]
    out[:, :, top:top + x.shape[2], left:left + x.shape[3]] = x
    return out


def crop_windows(x, top, left, height: int, width: int):
    """Per-image crops: image n gives x[n, :, top[n]:top[n]+height, left[n]:left[n]+width] (one gather)."""
    xp = get_array_module(x)
    windows = xp.lib.stride_tricks.sliding_window_view(x, (height, width), axis=(2, 3))
    n = xp.arange(x.shape[0])
    # advanced indices on axes 0, 2, 3 split by a slice: the result is (N, C, height, width)
    return windows[n, :, xp.asarray(top), xp.asarray(left)]


def affine_sample(x, inverse, out_hw: tuple[int, int], mode: InterpolationMode, fill):
    """Resample each image through an affine map: output pixel centre (x, y) reads the input at
    `inverse[n] @ (x, y, 1)` (both in centre-at-.5 coordinates); points outside read `fill`."""
    xp = get_array_module(x)
    n_img, channels, h, w = x.shape
    oh, ow = out_hw
    wd = work_dtype(x.dtype)
    inverse = xp.asarray(inverse, dtype=np.float64)
    ys, xs = xp.meshgrid(xp.arange(oh) + 0.5, xp.arange(ow) + 0.5, indexing="ij")
    src_x = inverse[:, 0, 0, None, None] * xs + inverse[:, 0, 1, None, None] * ys + inverse[:, 0, 2, None, None]
    src_y = inverse[:, 1, 0, None, None] * xs + inverse[:, 1, 1, None, None] * ys + inverse[:, 1, 2, None, None]
    src_x -= 0.5  # to pixel-index coordinates
    src_y -= 0.5
    pixels = x.transpose(0, 2, 3, 1)  # NHWC: a gather then yields (N, oh, ow, C)
    n = xp.arange(n_img)[:, None, None]
    fill_value = xp.asarray(fill_array(fill, channels, wd))

    def read(yi, xi):
        inside = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w)
        values = pixels[n, xp.clip(yi, 0, h - 1), xp.clip(xi, 0, w - 1)].astype(wd, copy=False)
        return xp.where(inside[..., None], values, fill_value)

    if mode is InterpolationMode.NEAREST:
        out = read(xp.floor(src_y + 0.5).astype(np.intp), xp.floor(src_x + 0.5).astype(np.intp))
    else:
        x0, y0 = xp.floor(src_x), xp.floor(src_y)
        fx, fy = (src_x - x0).astype(wd)[..., None], (src_y - y0).astype(wd)[..., None]
        x0, y0 = x0.astype(np.intp), y0.astype(np.intp)
        top = read(y0, x0) * (1 - fx) + read(y0, x0 + 1) * fx
        bottom = read(y0 + 1, x0) * (1 - fx) + read(y0 + 1, x0 + 1) * fx
        out = top * (1 - fy) + bottom * fy
    return to_output_dtype(out.transpose(0, 3, 1, 2), x.dtype)


def resize_weights(out_size: int, start, length, in_size: int, antialias: bool, xp=np):
    """(N, out_size, in_size) linear-interpolation weights resampling rows [start, start + length) of each
    image to `out_size` rows (half-pixel centres, like `interpolate(..., align_corners=False)`; with
    `antialias`, a triangle filter widened by the downscale factor, like `antialias=True`)."""
    start = xp.asarray(start, dtype=np.float64).reshape(-1, 1, 1)
    length = xp.asarray(length, dtype=np.float64).reshape(-1, 1, 1)
    scale = length / out_size
    centre = start + (xp.arange(out_size).reshape(1, -1, 1) + 0.5) * scale
    support = xp.maximum(scale, 1.0) if antialias else xp.ones_like(scale)
    pixel = xp.arange(in_size).reshape(1, 1, -1) + 0.5
    weights = xp.clip(1.0 - xp.abs(pixel - centre) / support, 0.0, None)
    weights *= (pixel > start) & (pixel < start + length)
    total = weights.sum(-1, keepdims=True)
    # a centre beyond the last pixel centre of the window keeps only that pixel (weights renormalised)
    return weights / xp.where(total > 0, total, 1.0)


def nearest_indices(out_size: int, start, length, xp=np):
    """(N, out_size) source rows for nearest resampling: floor(dst * length / out) (PyTorch's 'nearest')."""
    start = xp.asarray(start).reshape(-1, 1)
    length = xp.asarray(length, dtype=np.float64).reshape(-1, 1)
    idx = xp.floor(xp.arange(out_size).reshape(1, -1) * (length / out_size)).astype(np.intp)
    return start + xp.minimum(idx, length.astype(np.intp) - 1)


def resample(x, out_hw: tuple[int, int], top, left, height, width, mode: InterpolationMode, antialias: bool):
    """Resize the window (top, left, height, width) of each image (each an int or an (N,) array) to out_hw."""
    xp = get_array_module(x)
    n_img, _, h, w = x.shape
    oh, ow = out_hw
    if mode is InterpolationMode.NEAREST:
        rows = xp.broadcast_to(nearest_indices(oh, top, height, xp), (n_img, oh))
        cols = xp.broadcast_to(nearest_indices(ow, left, width, xp), (n_img, ow))
        n = xp.arange(n_img)[:, None, None]
        return x.transpose(0, 2, 3, 1)[n, rows[:, :, None], cols[:, None, :]].transpose(0, 3, 1, 2)
    wd = work_dtype(x.dtype)
    wh = resize_weights(oh, top, height, h, antialias, xp).astype(wd)  # (N or 1, oh, H)
    ww = resize_weights(ow, left, width, w, antialias, xp).astype(wd)  # (N or 1, ow, W)
    out = xp.matmul(wh[:, None], x.astype(wd, copy=False))            # (N, C, oh, W)
    out = xp.matmul(out, ww[:, None].swapaxes(-1, -2))                # (N, C, oh, ow)
    return to_output_dtype(out, x.dtype)


# -- colour ------------------------------------------------------------------------------------------------
def grayscale(x):
    """ITU-R 601-2 luma, (N, 3, H, W) -> (N, 1, H, W)."""
    return (0.2989 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]).astype(x.dtype, copy=False)


def rgb_to_hsv(x):
    """(N, 3, H, W) RGB in [0, 1] -> HSV in [0, 1] (hue as a fraction of a turn)."""
    xp = get_array_module(x)
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    maxc, minc = x.max(axis=1), x.min(axis=1)
    delta = maxc - minc
    gray = delta == 0
    safe = xp.where(gray, 1, delta)
    s = delta / xp.where(maxc == 0, 1, maxc)
    rc, gc, bc = (maxc - r) / safe, (maxc - g) / safe, (maxc - b) / safe
    h = xp.where(maxc == r, bc - gc, xp.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    h = xp.where(gray, 0, (h / 6.0) % 1.0)
    return xp.stack([h, s, maxc], axis=1).astype(x.dtype, copy=False)


def hsv_to_rgb(x):
    xp = get_array_module(x)
    h, s, v = x[:, 0], x[:, 1], x[:, 2]
    i = xp.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int64) % 6
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = xp.empty_like(x)
    for channel in range(3):
        out[:, channel] = xp.select([i == k for k in range(6)], [c[channel] for c in choices])
    return out
