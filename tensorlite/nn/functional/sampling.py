"""affine_grid and grid_sample: sampling an image at arbitrary normalised coordinates, with PyTorch's rules.

grid_sample is composed from differentiable ops: the integer tap positions are computed on arrays
(they carry no gradient) and read with one `gather` per tap, and the interpolation weights are Tensor
expressions of the grid, so gradients reach both the input (through gather) and the grid (through
the weights), to any order. Bilinear sums 2^d taps (d = 2 or 3 spatial dims), bicubic 16 (4-D only),
nearest one.
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np

from ...amp import policy as _amp
from ...autograd.function import Function
from ...backend import get_array_module
from ...tensor import Tensor
from .conv import check_tensor, shape_str

__all__ = ["affine_grid", "grid_sample"]

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. Please "
                  "specify align_corners=True if the old behavior is desired. See the documentation of grid_sample "
                  "for details.")


def _base_coords(n: int, align_corners: bool, dtype, xp):
    """Normalised pixel centres in [-1, 1] (align_corners: the corner pixels' centres are -1 and 1)."""
    if n == 1:
        return xp.zeros(1, dtype=dtype)
    c = np.linspace(-1.0, 1.0, n)
    if not align_corners:
        c = c * (n - 1) / n
    return xp.asarray(c.astype(dtype))


def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """Sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) = base (x, y[, z], 1) coordinates @ theta^T."""
    check_tensor(theta, "affine_grid", "theta")
    if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in size):
        raise TypeError(f"affine_grid(): argument 'size' must be a sequence of ints, but got {list(size)}")
    size = tuple(int(s) for s in size)
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
    align_corners = bool(align_corners)
    if theta._data.dtype.kind not in "fV":
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype.name}")
    xp = get_array_module(theta._data)
    dtype = theta._data.dtype
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[1:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. Got "
                             f"{shape_str(theta.shape)}.")
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[1:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. Got "
                             f"{shape_str(theta.shape)}.")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if align_corners and min(size[2:]) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation of "
                      "affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {list(size)}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"affine_grid: expected theta with batch size {size[0]} (size[0]), but got theta of shape "
                           f"{shape_str(theta.shape)}")
    if len(size) == 4:
        n, _, h, w = size
        xs, ys = _base_coords(w, align_corners, dtype, xp), _base_coords(h, align_corners, dtype, xp)
        base = xp.stack([xp.broadcast_to(xs[None, :], (h, w)), xp.broadcast_to(ys[:, None], (h, w)),
                         xp.ones((h, w), dtype=dtype)], -1).reshape(1, h * w, 3)
        return Tensor._wrap(base).matmul(theta.transpose(1, 2)).reshape(n, h, w, 2)
    n, _, d, h, w = size
    xs = _base_coords(w, align_corners, dtype, xp)
    ys = _base_coords(h, align_corners, dtype, xp)
    zs = _base_coords(d, align_corners, dtype, xp)
    shape = (d, h, w)
    base = xp.stack([xp.broadcast_to(xs[None, None, :], shape), xp.broadcast_to(ys[None, :, None], shape),
                     xp.broadcast_to(zs[:, None, None], shape), xp.ones(shape, dtype=dtype)], -1)
    base = base.reshape(1, d * h * w, 4)
    return Tensor._wrap(base).matmul(theta.transpose(1, 2)).reshape(n, d, h, w, 3)


# -- grid_sample ---------------------------------------------------------------------------------------------------
def _unnormalise(coord: Tensor, n: int, align_corners: bool) -> Tensor:
    """[-1, 1] -> pixel index space (align_corners: -1, 1 are the corner centres; else the corner edges)."""
    if align_corners:
        return (coord + 1) * ((n - 1) / 2)
    return ((coord + 1) * n - 1) / 2


def _reflect(c: Tensor, lo: float, hi: float) -> Tensor:
    """Reflect coordinates into [lo, hi] (PyTorch's reflect_coordinates, on twice-scaled bounds)."""
    if hi <= lo:
        return c * 0
    span = hi - lo
    d = (c - lo).abs()
    flips = (d / span).floor()
    extra = d - flips * span
    even = (flips.remainder(2) == 0)
    return (extra + lo).where(even, hi - extra)


def _clip(c: Tensor, n: int) -> Tensor:
    """c clamped to [0, n - 1] with PyTorch's clip_coordinates gradient: 1 strictly inside, 0 on the borders
    too (a plain clamp passes the gradient at the borders, e.g. at align_corners' corner pixel centres)."""
    a = c._data
    xp = get_array_module(a)
    inside = (a > 0) & (a < n - 1)
    return c.where(Tensor._wrap(inside), Tensor._wrap(xp.clip(a, 0, n - 1).astype(a.dtype, copy=False)))


def _apply_padding(c: Tensor, n: int, padding_mode: str, align_corners: bool) -> Tensor:
    """PyTorch's compute_coordinates: clamp ('border') or reflect then clamp ('reflection'); 'zeros' keeps c."""
    if padding_mode == "border":
        return _clip(c, n)
    if padding_mode == "reflection":
        c = _reflect(c, 0, n - 1) if align_corners else _reflect(c, -0.5, n - 0.5)
        return _clip(c, n)
    return c


def _cubic_weights(t: Tensor) -> list:
    """The 4 cubic-convolution weights (A = -0.75) of the taps at offsets -1, 0, 1, 2 for fraction t."""
    a = -0.75

    def near(x):  # |x| <= 1
        return ((x * (a + 2) - (a + 3)) * x) * x + 1

    def far(x):  # 1 < |x| < 2
        return ((x * a - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


class _ZeroGradFor(Function):
    """y = x; `anchor` gets a zero gradient. Nearest sampling is piecewise constant in the grid, and PyTorch
    reports its grid gradient as zeros (not as "unused")."""

    def forward(self, x, anchor):
        return x

    def backward(self, grad):
        (_, anchor) = self.inputs
        zeros = get_array_module(anchor._data).zeros(anchor._data.shape, dtype=anchor._data.dtype)
        return grad, Tensor._wrap(zeros)


def _check_grid_sample(input: Tensor, grid: Tensor, mode: str, padding_mode: str) -> None:
    check_tensor(input, "grid_sample")
    check_tensor(grid, "grid_sample", "grid")
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    xs, gs = list(input.shape), list(grid.shape)
    if not xs or not gs:  # PyTorch reads size(0) of both first: out of range for a 0-d tensor
        raise IndexError(f"grid_sampler(): Dimension specified as 0 but tensor has no dimensions (input with sizes "
                         f"{xs}, grid with sizes {gs})")
    # an integer input reaches PyTorch's kernel dispatch (NotImplementedError, below) before the dtype comparison
    if input._data.dtype != grid._data.dtype and input._data.dtype.kind in "fV":
        raise RuntimeError(f"grid_sampler(): expected input and grid to have same dtype, but input has "
                           f"{input.dtype.name} and grid has {grid.dtype.name}")
    if len(xs) not in (4, 5) or len(gs) != len(xs):
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but "
                           f"got input with sizes {xs} and grid with sizes {gs}")
    if xs[0] != gs[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {xs} and grid with sizes {gs}")
    if gs[-1] != len(xs) - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {len(xs) - 2} in last dimension, but got grid "
                           f"with sizes {gs}")
    for i in range(2, len(xs)):
        if xs[i] == 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {xs} with dimension {i} being empty")
    if mode == "bicubic" and len(xs) != 4:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input._data.dtype.kind not in "fV":
        from ._nll import torch_type_name

        raise NotImplementedError(f"grid_sampler(): \"grid_sampler_{len(xs) - 2}d_cpu_kernel_impl\" not implemented "
                                  f"for '{torch_type_name(input._data)}' (input {input.dtype.name}, grid "
                                  f"{grid.dtype.name}; expected floating point)")


@_amp.autocast_op("grid_sample")
def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:
    """Sample (N, C, H, W) at grid (N, Ho, Wo, 2) locations ((x, y) in [-1, 1]), or (N, C, D, H, W) at
    (N, Do, Ho, Wo, 3) ((x, y, z)).

    Bilinear: out = sum over the 2^d neighbours of prod(1 - |frac|) * value; nearest: the value at the
    rounded (half to even) position; bicubic: a 4x4 cubic-convolution (A = -0.75). Taps outside the
    image read 0 ('zeros') or are clamped / reflected into it ('border', 'reflection').
    """
    _check_grid_sample(input, grid, mode, padding_mode)
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
    align_corners = bool(align_corners)
    nd = input.ndim - 2
    n, c = input.shape[0], input.shape[1]
    sizes = tuple(input.shape[2:])
    out_sp = tuple(grid.shape[1:-1])
    m = int(np.prod(out_sp))
    flat = input.reshape(n, c, int(np.prod(sizes)))
    xp = get_array_module(input._data)
    strides = [int(np.prod(sizes[a + 1:])) for a in range(nd)]
    # the grid's last dim lists (x, y[, z]): x indexes the last spatial dim of input
    coords = [_unnormalise(grid[..., nd - 1 - a], sizes[a], align_corners) for a in range(nd)]

    def tap(idx: list) -> Tensor:
        """input at integer positions idx (one array per spatial dim, shape (N, *out)), 0 outside."""
        inside = None
        pos = 0
        for a, (i, s) in enumerate(zip(idx, sizes)):
            ok = (i >= 0) & (i <= s - 1)
            inside = ok if inside is None else inside & ok
            pos = pos + xp.where(ok, i, 0).astype(np.int64) * strides[a]  # outside (or nan): read 0, then mask
        pos = xp.broadcast_to(pos.reshape(n, 1, m), (n, c, m))
        vals = flat.gather(2, Tensor._wrap(xp.ascontiguousarray(pos))).reshape((n, c) + out_sp)
        if bool(inside.all()):
            return vals
        return vals.where(Tensor._wrap(inside.reshape((n, 1) + out_sp)), 0.0)  # a select: inf * 0 is no nan

    if mode == "nearest":
        padded = [_apply_padding(g, s, padding_mode, align_corners) for g, s in zip(coords, sizes)]
        out = tap([xp.rint(g._data) for g in padded])  # round half to even, as PyTorch's nearbyint
        return _ZeroGradFor.apply(out, grid) if grid.requires_grad else out
    if mode == "bilinear":
        coords = [_apply_padding(g, s, padding_mode, align_corners) for g, s in zip(coords, sizes)]
        lows = [xp.floor(g._data) for g in coords]
        fracs = [g - Tensor._wrap(lo) for g, lo in zip(coords, lows)]
        weights = [(1 - f, f) for f in fracs]
        out = None
        for offsets in itertools.product((0, 1), repeat=nd):
            w = weights[0][offsets[0]]
            for a in range(1, nd):
                w = w * weights[a][offsets[a]]
            term = tap([lo + o for lo, o in zip(lows, offsets)]) * w.unsqueeze(1)
            out = term if out is None else out + term
        return out
    # bicubic (4-D): taps at floor(coord) - 1 .. + 2, each padded on its own (PyTorch's get_value_bounded)
    lows = [xp.floor(g._data) for g in coords]
    weights = [_cubic_weights(g - Tensor._wrap(lo)) for g, lo in zip(coords, lows)]
    out = None
    for oy in range(4):
        row = None
        for ox in range(4):
            idx = []
            for a, o in ((0, oy), (1, ox)):
                i = Tensor._wrap(lows[a] + (o - 1))
                idx.append(_apply_padding(i, sizes[a], padding_mode, align_corners)._data)
            term = tap(idx) * weights[1][ox].unsqueeze(1)
            row = term if row is None else row + term
        term = row * weights[0][oy].unsqueeze(1)
        out = term if out is None else out + term
    return out
