"""Photometric and noise transforms (see `transforms` for layouts, randomness and batch semantics)."""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Sequence

import numpy as np

from ..backend import get_array_module
from ..random import Generator
from . import _image
from ._image import Batch
from ._transform_base import Transform, _Random

__all__ = ["ColorJitter", "Grayscale", "GaussianNoise", "GaussianBlur", "RandomErasing"]


def _bound(dtype) -> float:
    """The value of full intensity: 1 for float images, the dtype's maximum for integer images."""
    return float(np.iinfo(dtype).max) if np.issubdtype(dtype, np.integer) else 1.0


def _jitter_range(value, name: str, center: float = 1.0, bound=(0.0, float("inf")), clip_first_on_zero=True):
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be non negative.")
        value = [center - float(value), center + float(value)]
        if clip_first_on_zero:
            value[0] = max(value[0], 0.0)
    elif isinstance(value, Sequence) and len(value) == 2:
        value = [float(value[0]), float(value[1])]
    else:
        raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
    if not bound[0] <= value[0] <= value[1] <= bound[1]:
        raise ValueError(f"{name} values should be between {bound}, but got {value}.")
    return None if value[0] == value[1] == center else tuple(value)


class ColorJitter(_Random):
    """Random brightness, contrast, saturation and hue changes, applied in a random order per image.

    brightness: x * f; contrast: blend with the mean grey level; saturation: blend with the greyscale
    image; hue: shift the HSV hue by h (a fraction of a turn, |h| <= 0.5). A number v means factors in
    [max(0, 1 - v), 1 + v] (hue: [-v, v]). Saturation and hue leave single-channel images unchanged.
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0, *, generator: Generator | None = None):
        self.brightness = _jitter_range(brightness, "brightness")
        self.contrast = _jitter_range(contrast, "contrast")
        self.saturation = _jitter_range(saturation, "saturation")
        self.hue = _jitter_range(hue, "hue", center=0, bound=(-0.5, 0.5), clip_first_on_zero=False)
        self.generator = generator

    def forward(self, img):
        b = Batch(img, "ColorJitter")
        x = b.array
        xp = get_array_module(x)
        bound = _bound(x.dtype)
        u = self._uniforms(b.n, 8)
        order = np.argsort(u[:, :4], axis=1, kind="stable")
        ranges = (self.brightness, self.contrast, self.saturation, self.hue)
        factors = [None if r is None else r[0] + (r[1] - r[0]) * u[:, 4 + k] for k, r in enumerate(ranges)]
        out = x.astype(_image.work_dtype(x.dtype))
        for position in range(4):
            for op, factor in enumerate(factors):
                if factor is None:
                    continue
                chosen = np.nonzero(order[:, position] == op)[0]
                if chosen.size:
                    sel = xp.asarray(chosen)
                    out[sel] = _JITTERS[op](out[sel], xp.asarray(factor[chosen], dtype=out.dtype), bound)
        return b.restore(_image.to_output_dtype(out, x.dtype))

    def _extra_repr(self) -> str:
        return (f"brightness={self.brightness}, contrast={self.contrast}, saturation={self.saturation}, "
                f"hue={self.hue}")


def _blend(a, b, f, bound: float):
    xp = get_array_module(a)
    f = f.reshape(-1, 1, 1, 1)
    return xp.clip(f * a + (1 - f) * b, 0, bound)


def _brightness(x, f, bound):
    return _blend(x, 0, f, bound)


def _contrast(x, f, bound):
    grey = _image.grayscale(x) if x.shape[1] == 3 else x
    return _blend(x, grey.mean(axis=(1, 2, 3), keepdims=True), f, bound)


def _saturation(x, f, bound):
    return x if x.shape[1] != 3 else _blend(x, _image.grayscale(x), f, bound)


def _hue(x, f, bound):
    if x.shape[1] != 3:
        return x
    hsv = _image.rgb_to_hsv(x / bound)
    hsv[:, 0] = (hsv[:, 0] + f.reshape(-1, 1, 1)) % 1.0
    return _image.hsv_to_rgb(hsv) * bound


_JITTERS = (_brightness, _contrast, _saturation, _hue)


class Grayscale(Transform):
    """RGB -> luma (0.2989 R + 0.587 G + 0.114 B), repeated to `num_output_channels` (1 or 3)."""

    def __init__(self, num_output_channels: int = 1):
        if num_output_channels not in (1, 3):
            raise ValueError("num_output_channels should be either 1 or 3")
        self.num_output_channels = num_output_channels

    def forward(self, img):
        b = Batch(img, "Grayscale")
        x = b.array
        if x.shape[1] != 3:
            raise TypeError(f"Input image tensor permitted channel values are [3], but found {x.shape[1]}")
        xp = get_array_module(x)
        grey = _image.to_output_dtype(_image.grayscale(x.astype(_image.work_dtype(x.dtype))), x.dtype)
        return b.restore(xp.repeat(grey, self.num_output_channels, axis=1))

    def _extra_repr(self) -> str:
        return f"num_output_channels={self.num_output_channels}"


class GaussianNoise(_Random):
    """x + N(mean, sigma^2) per pixel, for float images; clipped to [0, 1] when `clip`."""

    def __init__(self, mean: float = 0.0, sigma: float = 0.1, clip: bool = True, *,
                 generator: Generator | None = None):
        if sigma < 0:
            raise ValueError(f"sigma shouldn't be negative. Got {sigma}")
        self.mean, self.sigma, self.clip, self.generator = mean, sigma, clip, generator

    def forward(self, img):
        b = Batch(img, "GaussianNoise")
        x = b.array
        if not np.issubdtype(x.dtype, np.floating):
            raise ValueError(f"Input tensor is expected to be in float dtype, got dtype={x.dtype}")
        xp = get_array_module(x)
        noise = _image.rng(self.generator).standard_normal(x.shape, dtype=np.float64 if x.dtype == np.float64
                                                           else np.float32)
        out = x + (self.mean + self.sigma * xp.asarray(noise)).astype(x.dtype)
        if self.clip:
            out = xp.clip(out, 0, 1)
        return b.restore(out)

    def _extra_repr(self) -> str:
        return f"mean={self.mean}, sigma={self.sigma}, clip={self.clip}"


class GaussianBlur(_Random):
    """Blur with a Gaussian kernel of `kernel_size` (odd; an int or (kx, ky)); sigma drawn uniformly from
    `sigma` = (min, max) per image, or fixed when a number. Borders are reflected."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0), *, generator: Generator | None = None):
        kx, ky = (kernel_size, kernel_size) if isinstance(kernel_size, numbers.Number) else tuple(kernel_size)
        for k in (kx, ky):
            if k <= 0 or k % 2 == 0:
                raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (float(sigma), float(sigma))
        elif isinstance(sigma, Sequence) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError("sigma values should be positive and of the form (min, max).")
        else:
            raise ValueError("sigma should be a single number or a list/tuple with length 2.")
        self.kernel_size, self.sigma, self.generator = (int(kx), int(ky)), tuple(sigma), generator

    def forward(self, img):
        b = Batch(img, "GaussianBlur")
        x = b.array
        xp = get_array_module(x)
        wd = _image.work_dtype(x.dtype)
        s = self.sigma[0] + (self.sigma[1] - self.sigma[0]) * self._uniforms(b.n, 1)[:, 0]
        out = x.astype(wd)
        for axis, k in ((3, self.kernel_size[0]), (2, self.kernel_size[1])):
            if k == 1:
                continue
            taps = np.linspace(-(k - 1) / 2, (k - 1) / 2, k)
            kernel = np.exp(-0.5 * (taps[None, :] / s[:, None]) ** 2)
            kernel = xp.asarray(kernel / kernel.sum(axis=1, keepdims=True), dtype=wd)  # (N, k)
            widths = [(0, 0)] * 4
            widths[axis] = (k // 2, k // 2)
            padded = xp.pad(out, widths, mode="reflect")
            windows = xp.lib.stride_tricks.sliding_window_view(padded, k, axis=axis)  # (..., k)
            out = xp.einsum("nchwk,nk->nchw", windows, kernel)
        return b.restore(_image.to_output_dtype(out, x.dtype))

    def _extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, sigma={self.sigma}"


class RandomErasing(_Random):
    """With probability p, fill a random rectangle (area fraction in `scale`, aspect ratio in `ratio`)
    with `value`: a number, one value per channel, or "random" (standard normal noise)."""

    def __init__(self, p: float = 0.5, scale: tuple[float, float] = (0.02, 0.33),
                 ratio: tuple[float, float] = (0.3, 3.3), value=0, inplace: bool = False, *,
                 generator: Generator | None = None):
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)")
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p, self.scale, self.ratio, self.value, self.inplace = p, tuple(scale), tuple(ratio), value, inplace
        self.generator = generator

    def get_params(self, n: int, h: int, w: int):
        """Per image: erase?, top, left, height, width, and a seed for "random" values."""
        u = self._uniforms(n, 42)
        attempts = u[:, 1:41].reshape(n, 10, 4)
        area = h * w
        target = area * (self.scale[0] + (self.scale[1] - self.scale[0]) * attempts[..., 0])
        lo, hi = math.log(self.ratio[0]), math.log(self.ratio[1])
        aspect = np.exp(lo + (hi - lo) * attempts[..., 1])
        eh = np.rint(np.sqrt(target * aspect)).astype(np.intp)
        ew = np.rint(np.sqrt(target / aspect)).astype(np.intp)
        ok = (eh < h) & (ew < w)
        first = ok.argmax(axis=1)
        rows = np.arange(n)
        eh, ew = eh[rows, first], ew[rows, first]
        erase = (u[:, 0] < self.p) & ok[rows, first]
        top = np.floor(attempts[rows, first, 2] * (h - eh + 1)).astype(np.intp)
        left = np.floor(attempts[rows, first, 3] * (w - ew + 1)).astype(np.intp)
        seeds = (u[:, 41] * 2 ** 53).astype(np.int64)
        return erase, top, left, eh, ew, seeds

    def forward(self, img):
        b = Batch(img, "RandomErasing")
        x = b.array
        xp = get_array_module(x)
        n, channels, h, w = x.shape
        erase, top, left, eh, ew, seeds = self.get_params(n, h, w)
        if not erase.any():
            return img
        ys, xs = np.arange(h)[None, :, None], np.arange(w)[None, None, :]
        region = (erase[:, None, None] & (ys >= top[:, None, None]) & (ys < (top + eh)[:, None, None])
                  & (xs >= left[:, None, None]) & (xs < (left + ew)[:, None, None]))
        region = xp.asarray(region)[:, None]  # (N, 1, H, W)
        if isinstance(self.value, str):
            # each image's noise from its own seed, so batches and single images agree
            noise = np.stack([np.random.Generator(np.random.PCG64(int(s))).standard_normal((channels, h, w))
                              if e else np.zeros((channels, h, w)) for s, e in zip(seeds, erase)])
            fill = xp.asarray(noise).astype(x.dtype)
        else:
            values = np.asarray(self.value, dtype=np.float64).reshape(-1)
            if values.size not in (1, channels):
                raise ValueError(f"If value is a sequence, it should have either a single value or {channels} "
                                 f"(number of input channels), got {values.size}")
            fill = xp.asarray(np.broadcast_to(values, (channels,)).astype(x.dtype))[:, None, None]
        out = b.restore(xp.where(region, fill, x))
        if not self.inplace:
            return out
        if b.is_tensor:
            return img.copy_(out)  # an in-place op on the tensor: version counter and autograd rules apply
        img[...] = out
        return img

    def _extra_repr(self) -> str:
        return f"p={self.p}, scale={self.scale}, ratio={self.ratio}, value={self.value}, inplace={self.inplace}"
