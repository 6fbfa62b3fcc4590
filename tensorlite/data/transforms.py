"""Image transforms with torchvision's names and arguments, on tensors and NumPy arrays, one image or a batch.

Inputs: a Tensor (C, H, W), (H, W) or a batch (N, C, H, W) (any leading dims), or a NumPy array
(H, W), (H, W, C) or (N, H, W, C) (as a PIL image would be); the result has the input's kind and
layout (uint8 stays uint8: bilinear results are rounded). `ToTensor` turns NumPy images into float
tensors.

Randomness, where we differ from torchvision: in a batch every image gets its own random parameters
(torchvision draws one set for the whole batch). Draws come from `generator=` or the global
generator (`tl.manual_seed` reproduces them), and each image's draws are taken in order, so a
transform applied to a batch gives exactly what it gives applied to its images one by one, in order,
from the same generator state.

Geometric transforms resample through one vectorised affine gather (nearest or bilinear); resizing
uses separable weight matrices (half-pixel centres, optional antialias), so no SciPy or PIL is needed.
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Callable, Sequence

import numpy as np

from .._dtype import get_default_dtype
from ..backend import get_array_module
from ..random import Generator
from ..tensor import Tensor
from . import _image
from ._image import Batch, InterpolationMode, interpolation_mode, size_pair
from ._transform_base import Transform, _Random

__all__ = ["Compose", "ToTensor", "Normalize", "Lambda", "Pad", "RandomCrop", "CenterCrop", "Resize",
           "RandomResizedCrop", "RandomHorizontalFlip", "RandomVerticalFlip", "RandomRotation", "RandomAffine",
           "ColorJitter", "Grayscale", "GaussianNoise", "GaussianBlur", "RandomErasing", "InterpolationMode"]

_PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


class Compose(Transform):
    """Apply `transforms` one after the other."""

    def __init__(self, transforms: Sequence[Callable]):
        self.transforms = list(transforms)

    def forward(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        lines = "".join(f"\n    {t}" for t in self.transforms)
        return f"{self.__class__.__name__}({lines}\n)"


class Lambda(Transform):
    """Apply a user function."""

    def __init__(self, lambd: Callable):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def forward(self, img):
        return self.lambd(img)


class ToTensor(Transform):
    """NumPy (H, W, C) -> float tensor (C, H, W); uint8 is scaled to [0, 1] (x / 255), other dtypes keep
    their values and dtype; (H, W) -> (1, H, W); a batch (N, H, W, C) -> (N, C, H, W)."""

    def forward(self, pic):
        from ..creation import from_numpy

        if not isinstance(pic, np.ndarray):
            raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
        if pic.ndim == 2:
            arr = pic[None]
        elif pic.ndim == 3:
            arr = pic.transpose(2, 0, 1)
        elif pic.ndim == 4:
            arr = pic.transpose(0, 3, 1, 2)
        else:
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if arr.dtype == np.uint8:
            float_dtype = get_default_dtype().np
            return from_numpy(np.divide(arr, float_dtype.type(255), dtype=float_dtype))
        return from_numpy(np.ascontiguousarray(arr))


class Normalize(Transform):
    """(x - mean[c]) / std[c] per channel, on float images; differentiable on tensors."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def forward(self, img):
        from ..creation import as_tensor

        if isinstance(img, Tensor):
            if not img.is_floating_point():
                raise TypeError(f"Input tensor should be a float tensor. Got {img.dtype}.")
            if img.ndim < 3:
                raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                                 f"tensor.size() = {img.size()}.")
            mean = as_tensor(self.mean, dtype=img.dtype, device=img.device)
            std = as_tensor(self.std, dtype=img.dtype, device=img.device)
            if bool((std == 0).any()):
                raise ValueError(f"std evaluated to zero after conversion to {img.dtype}, leading to division by "
                                 "zero.")
            if mean.ndim == 1:
                mean = mean.reshape(-1, 1, 1)
            if std.ndim == 1:
                std = std.reshape(-1, 1, 1)
            if self.inplace:
                return img.sub_(mean).div_(std)
            return (img - mean) / std
        if isinstance(img, np.ndarray):
            if not np.issubdtype(img.dtype, np.floating):
                raise TypeError(f"Input array should be a float array. Got {img.dtype}.")
            mean = np.asarray(self.mean, dtype=img.dtype)
            std = np.asarray(self.std, dtype=img.dtype)
            if (std == 0).any():
                raise ValueError(f"std evaluated to zero after conversion to {img.dtype}, leading to division by "
                                 "zero.")
            if self.inplace:
                img -= mean
                img /= std
                return img
            return (img - mean) / std  # channels last: mean/std broadcast on the last axis
        raise TypeError(f"img should be a Tensor or a NumPy array. Got {type(img)}")

    def _extra_repr(self) -> str:
        return f"mean={self.mean}, std={self.std}"


def _padding_ltrb(padding) -> tuple[int, int, int, int]:
    if isinstance(padding, numbers.Number):
        p = int(padding)
        return p, p, p, p
    if isinstance(padding, Sequence) and len(padding) in (1, 2, 4):
        p = [int(v) for v in padding]
        if len(p) == 1:
            return p[0], p[0], p[0], p[0]
        if len(p) == 2:
            return p[0], p[1], p[0], p[1]
        return p[0], p[1], p[2], p[3]
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple"
                     if isinstance(padding, Sequence) else f"Got inappropriate padding arg: {padding!r}")


def _check_padding_mode(mode: str) -> str:
    if mode not in _PADDING_MODES:
        raise ValueError(f"Padding mode should be either constant, edge, reflect or symmetric, got {mode!r}")
    return mode


class Pad(Transform):
    """Pad the borders: `padding` is an int, (left/right, top/bottom) or (left, top, right, bottom)."""

    def __init__(self, padding, fill: float | Sequence[float] = 0, padding_mode: str = "constant"):
        self.padding, self.fill = padding, fill
        self.ltrb = _padding_ltrb(padding)
        self.padding_mode = _check_padding_mode(padding_mode)

    def forward(self, img):
        b = Batch(img, "Pad")
        return b.restore(_image.pad(b.array, *self.ltrb, self.fill, self.padding_mode))

    def _extra_repr(self) -> str:
        return f"padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode}"


class RandomCrop(_Random):
    """Crop a random `size` window, after optional `padding` (and padding up to `size` if `pad_if_needed`)."""

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill: float | Sequence[float] = 0,
                 padding_mode: str = "constant", *, generator: Generator | None = None):
        self.size = size_pair(size)
        self.padding, self.pad_if_needed, self.fill = padding, pad_if_needed, fill
        self.padding_mode = _check_padding_mode(padding_mode)
        self.generator = generator

    def forward(self, img):
        b = Batch(img, "RandomCrop")
        x = b.array
        if self.padding is not None:
            x = _image.pad(x, *_padding_ltrb(self.padding), self.fill, self.padding_mode)
        th, tw = self.size
        if self.pad_if_needed and x.shape[3] < tw:
            d = tw - x.shape[3]
            x = _image.pad(x, d, 0, d, 0, self.fill, self.padding_mode)
        if self.pad_if_needed and x.shape[2] < th:
            d = th - x.shape[2]
            x = _image.pad(x, 0, d, 0, d, self.fill, self.padding_mode)
        h, w = x.shape[2:]
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if (h, w) == (th, tw):
            return b.restore(x)
        u = self._uniforms(b.n, 2)
        top = np.floor(u[:, 0] * (h - th + 1)).astype(np.intp)
        left = np.floor(u[:, 1] * (w - tw + 1)).astype(np.intp)
        return b.restore(_image.crop_windows(x, top, left, th, tw))

    def _extra_repr(self) -> str:
        return f"size={self.size}, padding={self.padding}"


class CenterCrop(Transform):
    """Crop the central `size` window (zero-padding first where the image is smaller)."""

    def __init__(self, size):
        self.size = size_pair(size)

    def forward(self, img):
        b = Batch(img, "CenterCrop")
        x = b.array
        th, tw = self.size
        h, w = x.shape[2:]
        if th > h or tw > w:
            dh, dw = max(th - h, 0), max(tw - w, 0)
            x = _image.pad(x, dw // 2, dh // 2, (dw + 1) // 2, (dh + 1) // 2, 0, "constant")
            h, w = x.shape[2:]
        top, left = int(round((h - th) / 2.0)), int(round((w - tw) / 2.0))
        return b.restore(x[:, :, top:top + th, left:left + tw].copy())

    def _extra_repr(self) -> str:
        return f"size={self.size}"


def _resized_hw(h: int, w: int, size, max_size: int | None) -> tuple[int, int]:
    """torchvision's rule: an int (or 1-sequence) sets the shorter edge and keeps the aspect ratio."""
    if isinstance(size, numbers.Number) or len(size) == 1:
        requested = int(size if isinstance(size, numbers.Number) else size[0])
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size for the "
                                 f"smaller edge size = {requested}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_long, new_short) if w <= h else (new_short, new_long)
    if max_size is not None:
        raise ValueError("max_size should only be passed if size specifies the length of the smaller edge")
    return int(size[0]), int(size[1])


class Resize(Transform):
    """Resize to `size` ((h, w), or an int for the shorter edge), bilinear or nearest; `antialias`
    widens the bilinear filter when shrinking (as torchvision/PIL do)."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size: int | None = None,
                 antialias: bool = True):
        if not isinstance(size, (numbers.Number, Sequence)) or (isinstance(size, Sequence) and len(size) not in (1, 2)):
            raise TypeError(f"Size should be int or sequence of length 1 or 2. Got {size!r}")
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = interpolation_mode(interpolation)

    def forward(self, img):
        b = Batch(img, "Resize")
        h, w = b.array.shape[2:]
        out_hw = _resized_hw(h, w, self.size, self.max_size)
        if out_hw == (h, w):
            return img
        return b.restore(_image.resample(b.array, out_hw, 0, 0, h, w, self.interpolation, self.antialias))

    def _extra_repr(self) -> str:
        return f"size={self.size}, interpolation={self.interpolation.value}, antialias={self.antialias}"


class RandomResizedCrop(_Random):
    """Crop a random window (area fraction in `scale`, aspect ratio in `ratio`) and resize it to `size`."""

    def __init__(self, size, scale: tuple[float, float] = (0.08, 1.0), ratio: tuple[float, float] = (3 / 4, 4 / 3),
                 interpolation=InterpolationMode.BILINEAR, antialias: bool = True, *,
                 generator: Generator | None = None):
        self.size = size_pair(size)
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)")
        self.scale, self.ratio, self.antialias = tuple(scale), tuple(ratio), antialias
        self.interpolation = interpolation_mode(interpolation)
        self.generator = generator

    def get_params(self, n: int, h: int, w: int):
        """(top, left, height, width), each (n,): up to 10 tries per image, else a central crop."""
        u = self._uniforms(n, 40).reshape(n, 10, 4)
        area = h * w
        target = area * (self.scale[0] + (self.scale[1] - self.scale[0]) * u[..., 0])
        lo, hi = math.log(self.ratio[0]), math.log(self.ratio[1])
        aspect = np.exp(lo + (hi - lo) * u[..., 1])
        cw = np.rint(np.sqrt(target * aspect)).astype(np.intp)
        ch = np.rint(np.sqrt(target / aspect)).astype(np.intp)
        ok = (cw > 0) & (cw <= w) & (ch > 0) & (ch <= h)
        first = ok.argmax(axis=1)
        rows = np.arange(n)
        ch, cw, found = ch[rows, first], cw[rows, first], ok[rows, first]
        top = np.floor(u[rows, first, 2] * (h - ch + 1)).astype(np.intp)
        left = np.floor(u[rows, first, 3] * (w - cw + 1)).astype(np.intp)
        # fallback: the largest central crop with the ratio clamped into range
        in_ratio = w / h
        if in_ratio < min(self.ratio):
            fw, fh = w, int(round(w / min(self.ratio)))
        elif in_ratio > max(self.ratio):
            fh, fw = h, int(round(h * max(self.ratio)))
        else:
            fw, fh = w, h
        ch, cw = np.where(found, ch, fh), np.where(found, cw, fw)
        top, left = np.where(found, top, (h - fh) // 2), np.where(found, left, (w - fw) // 2)
        return top, left, ch, cw

    def forward(self, img):
        b = Batch(img, "RandomResizedCrop")
        h, w = b.array.shape[2:]
        top, left, ch, cw = self.get_params(b.n, h, w)
        return b.restore(_image.resample(b.array, self.size, top, left, ch, cw, self.interpolation, self.antialias))

    def _extra_repr(self) -> str:
        return f"size={self.size}, scale={self.scale}, ratio={self.ratio}, interpolation={self.interpolation.value}"


class _RandomFlip(_Random):
    axis = -1

    def __init__(self, p: float = 0.5, *, generator: Generator | None = None):
        self.p = p
        self.generator = generator

    def forward(self, img):
        b = Batch(img, self.__class__.__name__)
        flip = self._uniforms(b.n, 1)[:, 0] < self.p
        if not flip.any():
            return img
        x = b.array
        flipped = x[..., ::-1] if self.axis == -1 else x[..., ::-1, :]
        if flip.all():
            return b.restore(flipped.copy())
        xp = get_array_module(x)
        return b.restore(xp.where(xp.asarray(flip)[:, None, None, None], flipped, x))

    def _extra_repr(self) -> str:
        return f"p={self.p}"


class RandomHorizontalFlip(_RandomFlip):
    """Mirror left-right with probability p (per image)."""
    axis = -1


class RandomVerticalFlip(_RandomFlip):
    """Mirror top-bottom with probability p (per image)."""
    axis = -2


def _range(value, name: str, single_min: float = 0.0) -> tuple[float, float]:
    if isinstance(value, numbers.Number):
        if value < single_min:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        return -float(value), float(value)
    if isinstance(value, Sequence) and len(value) == 2:
        return float(value[0]), float(value[1])
    raise ValueError(f"If {name} is a sequence, it must be of len 2.")


class RandomAffine(_Random):
    """A random affine map about the centre: rotation by an angle in `degrees` (counter-clockwise),
    translation up to `translate` (fractions of width, height; rounded to whole pixels), scaling in
    `scale`, shear in `shear` (degrees; x shear, and y shear when 4 values are given); the image is
    resampled with `interpolation` and uncovered pixels get `fill`."""

    def __init__(self, degrees, translate: Sequence[float] | None = None, scale: Sequence[float] | None = None,
                 shear=None, interpolation=InterpolationMode.NEAREST, fill: float | Sequence[float] = 0,
                 center: Sequence[float] | None = None, *, generator: Generator | None = None):
        self.degrees = _range(degrees, "degrees")
        if translate is not None:
            if len(translate) != 2 or not all(0.0 <= t <= 1.0 for t in translate):
                raise ValueError("translation values should be between 0 and 1")
        if scale is not None:
            if len(scale) != 2 or any(s <= 0 for s in scale):
                raise ValueError("scale values should be positive")
        shear_x, shear_y = (0.0, 0.0), (0.0, 0.0)
        if shear is not None:
            if isinstance(shear, numbers.Number):
                shear_x = _range(shear, "shear")
            elif isinstance(shear, Sequence) and len(shear) in (2, 4):
                shear_x = (float(shear[0]), float(shear[1]))
                if len(shear) == 4:
                    shear_y = (float(shear[2]), float(shear[3]))
            else:
                raise ValueError("shear should be a number or a sequence of length 2 or 4")
        self.translate, self.scale, self.shear = translate, scale, shear
        self._shear_ranges = (shear_x, shear_y)
        self.interpolation = interpolation_mode(interpolation)
        self.fill, self.center, self.generator = fill, center, generator

    def _params(self, n: int, h: int, w: int) -> dict:
        u = self._uniforms(n, 6)

        def between(lo_hi, col):
            return lo_hi[0] + (lo_hi[1] - lo_hi[0]) * u[:, col]

        params = {"angle": between(self.degrees, 0)}
        if self.translate is not None:
            max_dx, max_dy = self.translate[0] * w, self.translate[1] * h
            params["tx"] = np.rint(between((-max_dx, max_dx), 1))
            params["ty"] = np.rint(between((-max_dy, max_dy), 2))
        else:
            params["tx"] = params["ty"] = np.zeros(n)
        params["scale"] = between(self.scale, 3) if self.scale is not None else np.ones(n)
        params["shear_x"] = between(self._shear_ranges[0], 4)
        params["shear_y"] = between(self._shear_ranges[1], 5)
        return params

    def forward(self, img):
        b = Batch(img, self.__class__.__name__)
        h, w = b.array.shape[2:]
        p = self._params(b.n, h, w)
        inverse = _inverse_affine(p["angle"], p["tx"], p["ty"], p["scale"], p["shear_x"], p["shear_y"],
                                  self._centre(h, w))
        return b.restore(_image.affine_sample(b.array, inverse, (h, w), self.interpolation, self.fill))

    def _centre(self, h: int, w: int) -> tuple[float, float]:
        # `center` is in pixel indices (x, y), origin at the top-left pixel, as in torchvision
        return (w / 2, h / 2) if self.center is None else (self.center[0] + 0.5, self.center[1] + 0.5)

    def _extra_repr(self) -> str:
        return f"degrees={self.degrees}, translate={self.translate}, scale={self.scale}, shear={self.shear}"


class RandomRotation(RandomAffine):
    """Rotate by a random angle in `degrees` (a number d means (-d, d)), counter-clockwise, about the
    centre (or `center`); `expand=True` is not supported."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand: bool = False,
                 center: Sequence[float] | None = None, fill: float | Sequence[float] = 0, *,
                 generator: Generator | None = None):
        if expand:
            raise NotImplementedError("RandomRotation(expand=True) is not supported: images of one batch would "
                                      "get different sizes")
        super().__init__(degrees, interpolation=interpolation, fill=fill, center=center, generator=generator)
        self.expand = expand

    def _extra_repr(self) -> str:
        return f"degrees={self.degrees}, interpolation={self.interpolation.value}"


def _inverse_affine(angle, tx, ty, scale, shear_x, shear_y, centre) -> np.ndarray:
    """(N, 2, 3) maps output coordinates to input coordinates for the forward map
    p_out = c + t + R(angle) Sh(shear) S(scale) (p_in - c), with y pointing down (so a positive angle
    turns the picture counter-clockwise)."""
    a, sx, sy = np.deg2rad(angle), np.tan(np.deg2rad(shear_x)), np.tan(np.deg2rad(shear_y))
    cos, sin = np.cos(a), np.sin(a)
    # R @ [[1, sx], [sy, 1]] * scale
    m00 = (cos + sin * sy) * scale
    m01 = (cos * sx + sin) * scale
    m10 = (-sin + cos * sy) * scale
    m11 = (-sin * sx + cos) * scale
    det = m00 * m11 - m01 * m10
    i00, i01, i10, i11 = m11 / det, -m01 / det, -m10 / det, m00 / det
    cx, cy = centre
    ox, oy = cx + tx, cy + ty  # p_in = c + M^-1 (p_out - c - t)
    inv = np.empty((len(a), 2, 3))
    inv[:, 0, 0], inv[:, 0, 1], inv[:, 0, 2] = i00, i01, cx - i00 * ox - i01 * oy
    inv[:, 1, 0], inv[:, 1, 1], inv[:, 1, 2] = i10, i11, cy - i10 * ox - i11 * oy
    return inv


from ._color_transforms import ColorJitter, GaussianBlur, GaussianNoise, Grayscale, RandomErasing  # noqa: E402
