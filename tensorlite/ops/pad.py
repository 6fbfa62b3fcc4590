"""Rearrangements that copy: pad (constant, reflect, replicate, circular), repeat/tile, flip, roll.

Constant padding is one op whose gradient is the same padding negated (a crop); the other
modes are assembled from views (narrow, flip, expand) and `cat`, so their gradients (and
gradients of gradients) come from those ops.
"""
from __future__ import annotations

from ..amp import policy as _amp
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor
from .arithmetic import sum_to_shape
from .join import Cat, narrow
from .shape import dim_arg, dims_arg, expand, int_tuple, permute, reshape

__all__ = ["flip", "fliplr", "flipud", "roll", "tile"]


# -- pad ------------------------------------------------------------------------------------------------------
class ConstantPad(Function):
    """y = x framed by `value`, pads[d] = (before, after) for every dim (negative pads crop).

    Gradient: g with the frame cropped off (the same padding negated, filled with 0).
    """

    keep_inputs = False

    def forward(self, x, pads, value):
        self.pads = pads
        shape = tuple(n + b + a for n, (b, a) in zip(x.shape, pads))
        out = get_array_module(x).full(shape, value, dtype=x.dtype)
        src = tuple(slice(max(-b, 0), n - max(-a, 0)) for n, (b, a) in zip(x.shape, pads))
        dst = tuple(slice(max(b, 0), m - max(a, 0)) for m, (b, a) in zip(shape, pads))
        out[dst] = x[src]
        return out

    def backward(self, grad):
        return ConstantPad.apply(grad, pads=tuple((-b, -a) for b, a in self.pads), value=0)


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last len(pad)//2 dims; `pad` = (last_before, last_after, 2nd-last_before, ...); negative pads crop.

    Modes: 'constant' (fill with `value`), 'reflect' (mirror without the edge), 'replicate' (repeat the edge),
    'circular' (wrap around). The non-constant modes pad the last 1-3 dims of a (batched) 2-5-D input, as in PyTorch.
    """
    pad = int_tuple((pad,), "pad", "pad")
    shape = input._data.shape
    nd = len(shape)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > nd:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {nd}")
    per_dim = {nd - 1 - i: (pad[2 * i], pad[2 * i + 1]) for i in range(k)}
    if mode == "constant":
        for d, (b, a) in per_dim.items():
            if shape[d] + b + a < 0:
                raise RuntimeError(f"pad: The input size {shape[d]}, plus negative padding {b} and {a} resulted in a "
                                   f"negative output size, which is invalid. Check dimension {d} of your input.")
        pads = tuple(per_dim.get(d, (0, 0)) for d in range(nd))
        return ConstantPad.apply(input, pads=pads, value=0 if value is None else value)
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if k not in (1, 2, 3) or nd not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {nd}D input tensor.\nSupported combinations for "
            f"non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads last dimension)\n  - 3D or 4D input: "
            f"padding size = 4 (pads last 2 dimensions)\n  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    if any(shape[d] == 0 for d in range(1 if nd == k + 2 else 0, nd)):
        raise RuntimeError(f"pad: Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and "
                           f"other non-zero dimensions for input, but got: {list(shape)}")
    for d, (b, a) in per_dim.items():
        if mode == "reflect" and (b >= shape[d] or a >= shape[d]):
            raise RuntimeError(f"pad: Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({b}, {a}) at dimension {d} of input {list(shape)}")
        if mode == "circular" and (b > shape[d] or a > shape[d]):
            raise RuntimeError(f"pad: Padding value causes wrapping around more than once (padding ({b}, {a}) at "
                               f"dimension {d} of input {list(shape)}).")
        if shape[d] + b + a < 0:
            raise RuntimeError(f"pad: The input size {shape[d]}, plus negative padding {b} and {a} resulted in a "
                               f"negative output size, which is invalid. Check dimension {d} of your input.")
    if _amp.active[0] and mode != "circular":  # reflection_pad1d/2d and replication_pad1d-3d: float32 on CPU
        input = _amp.cast_input(f"{'reflection' if mode == 'reflect' else 'replication'}_pad{k}d", input)
    out = input
    for d in sorted(per_dim, reverse=True):
        out = _pad_dim(out, d, *per_dim[d], mode)
    return out


def _pad_dim(x: Tensor, dim: int, before: int, after: int, mode: str) -> Tensor:
    """Pad one dim in a non-constant mode; negative amounts crop.

    As in PyTorch, 'circular' crops first and wraps the cropped content, while 'reflect' and
    'replicate' pad the whole input first and crop the result.
    """
    if mode == "circular":
        x = _crop(x, dim, before, after)
        return _extend(x, dim, max(before, 0), max(after, 0), mode)
    return _crop(_extend(x, dim, max(before, 0), max(after, 0), mode), dim, before, after)


def _crop(x: Tensor, dim: int, before: int, after: int) -> Tensor:
    """Remove -before / -after elements from the ends of `dim` where those are negative."""
    n = x._data.shape[dim]
    start, stop = max(-before, 0), n - max(-after, 0)
    return x if (start, stop) == (0, n) else narrow(x, dim, start, stop - start)


def _extend(x: Tensor, dim: int, before: int, after: int, mode: str) -> Tensor:
    """Add `before` and `after` (>= 0) elements at the ends of `dim`, from views of x and one cat."""
    n = x._data.shape[dim]
    if mode == "circular" and (before > n or after > n):
        raise RuntimeError(f"pad: Padding value causes wrapping around more than once (padding ({before}, {after}) "
                           f"of a dimension of size {n} after cropping).")
    parts = []
    if before:
        if mode == "reflect":
            parts.append(flip(narrow(x, dim, 1, before), dim))
        elif mode == "replicate":
            parts.append(_repeat_edge(x, dim, 0, before))
        else:
            parts.append(narrow(x, dim, n - before, before))
    parts.append(x)
    if after:
        if mode == "reflect":
            parts.append(flip(narrow(x, dim, n - 1 - after, after), dim))
        elif mode == "replicate":
            parts.append(_repeat_edge(x, dim, n - 1, after))
        else:
            parts.append(narrow(x, dim, 0, after))
    return Cat.apply(*parts, dim=dim) if len(parts) > 1 else x


def _repeat_edge(x: Tensor, dim: int, index: int, count: int) -> Tensor:
    shape = list(x._data.shape)
    shape[dim] = count
    return expand(narrow(x, dim, index, 1), shape)


# -- repeat and tile ----------------------------------------------------------------------------------------------
class Repeat(Function):
    """y = x tiled reps[i] times along each dim (x gets leading size-1 dims if reps is longer).

    Gradient: g split into its tiles, summed over them.
    """

    keep_inputs = False

    def forward(self, x, reps):
        self.in_shape, self.reps = x.shape, reps
        lead = len(reps) - x.ndim
        return get_array_module(x).tile(x.reshape((1,) * lead + x.shape), reps)

    def backward(self, grad):
        reps, n = self.reps, len(self.reps)
        shape = (1,) * (n - len(self.in_shape)) + self.in_shape
        # Output index k*s + j along a dim is tile k, element j: split each dim into (tile, element),
        # move the tile axes to the front and sum them away.
        g = reshape(grad, tuple(v for pair in zip(reps, shape) for v in pair))
        g = permute(g, tuple(range(0, 2 * n, 2)) + tuple(range(1, 2 * n, 2)))
        return reshape(sum_to_shape(g, shape), self.in_shape)


def repeat(input: Tensor, *sizes, **kwargs) -> Tensor:
    """Tile the tensor: `x.repeat(2, 1)` stacks two copies along dim 0 (len(sizes) >= x.ndim)."""
    if "repeats" in kwargs:
        sizes = (kwargs.pop("repeats"),)
    if kwargs:
        raise TypeError(f"repeat() got unexpected keyword arguments {sorted(kwargs)}")
    reps = int_tuple(sizes, "repeat", "repeats")
    shape = input._data.shape
    if len(reps) < len(shape):
        raise RuntimeError(f"repeat: Number of dimensions of repeat dims ({len(reps)}) can not be smaller than number "
                           f"of dimensions of tensor ({len(shape)})")
    if any(r < 0 for r in reps):
        full = (1,) * (len(reps) - len(shape)) + shape
        raise RuntimeError(f"repeat: Trying to create tensor with negative dimension: "
                           f"{[r * s for r, s in zip(reps, full)]} (repeats {list(reps)})")
    return Repeat.apply(input, reps=reps)


def tile(input: Tensor, dims) -> Tensor:
    """repeat, with missing leading repeats taken as 1 (`x.tile(2)` on a matrix repeats its columns)."""
    reps = int_tuple((dims,) if not isinstance(dims, (tuple, list)) else (tuple(dims),), "tile", "dims")
    nd = input._data.ndim
    return repeat(input, (1,) * (nd - len(reps)) + reps)


def _tile_method(self, *dims) -> Tensor:
    if not dims:
        raise TypeError('tile() missing 1 required positional arguments: "dims"')
    return tile(self, int_tuple(dims, "tile", "dims"))


# -- flip and roll ------------------------------------------------------------------------------------------------
class Flip(Function):
    """y = x reversed along dims (a copy, as in PyTorch). Gradient: g flipped back."""

    keep_inputs = False

    def forward(self, x, dims):
        self.dims = dims
        return get_array_module(x).flip(x, dims).copy() if dims else x.copy()

    def backward(self, grad):
        return Flip.apply(grad, dims=self.dims)


def flip(input: Tensor, *dims, **kwargs) -> Tensor:
    """Reverse the order of elements along `dims` (an int or a sequence)."""
    if "dims" in kwargs:
        dims = (kwargs.pop("dims"),)
    if kwargs:
        raise TypeError(f"flip() got unexpected keyword arguments {sorted(kwargs)}")
    if not dims:
        raise TypeError('flip() missing 1 required positional arguments: "dims"')
    nd = input._data.ndim
    wrapped = dims_arg(int_tuple(dims, "flip", "dims"), nd, "flip")
    return Flip.apply(input, dims=wrapped if nd else ())


def fliplr(input: Tensor) -> Tensor:
    """Reverse dim 1 (left/right)."""
    if input._data.ndim < 2:
        raise RuntimeError(f"fliplr: Input must be >= 2-d (got {input._data.ndim}-d).")
    return Flip.apply(input, dims=(1,))


def flipud(input: Tensor) -> Tensor:
    """Reverse dim 0 (up/down)."""
    if input._data.ndim < 1:
        raise RuntimeError("flipud: Input must be >= 1-d.")
    return Flip.apply(input, dims=(0,))


class Roll(Function):
    """y = x shifted cyclically by shifts[i] along dims[i]. Gradient: g shifted back."""

    keep_inputs = False

    def forward(self, x, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return get_array_module(x).roll(x, shifts, axis=dims)

    def backward(self, grad):
        return Roll.apply(grad, shifts=tuple(-s for s in self.shifts), dims=self.dims)


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Shift elements cyclically along `dims` (over the flattened tensor when dims is None)."""
    shifts = int_tuple((shifts,) if not isinstance(shifts, (tuple, list)) else (tuple(shifts),), "roll", "shifts")
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        flat = reshape(input, (-1,))
        return reshape(Roll.apply(flat, shifts=shifts, dims=(0,)), input._data.shape)
    dims = int_tuple((dims,) if not isinstance(dims, (tuple, list)) else (tuple(dims),), "roll", "dims")
    if not shifts:
        raise RuntimeError("roll: `shifts` required")
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    nd = input._data.ndim
    if nd == 0:
        raise IndexError(f"roll: Dimension specified as {dims[0]} but tensor has no dimensions")
    return Roll.apply(input, shifts=shifts, dims=tuple(dim_arg(d, nd, "roll") for d in dims))


TENSOR_METHODS = {"repeat": repeat, "tile": _tile_method, "flip": flip, "fliplr": fliplr, "flipud": flipud,
                  "roll": roll}
