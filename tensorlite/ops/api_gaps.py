"""PyTorch's smaller API surface: top-level forms of the in-place methods (`tl.abs_(x)`), the `*_copy`
functions, `unsafe_split`/`unsafe_chunk`, `tl.range`, `tl.empty_strided`, `tl.typename`, the
deterministic-algorithms switches (state only), `tl.layout`/`tl.strided`, and the Tensor predicates
and identities of a library without complex or sparse tensors (`is_cpu`, `get_device`, `conj`, `real`,
`imag`, `isreal`, `is_neg`, ...), plus `nonzero_static` and `dim_order`.
"""
from __future__ import annotations

import builtins
import math
import operator
import warnings

import numpy as np

from .. import _dtype as dt
from ..autograd.function import Function
from ..backend.device import get_array_module
from ..tensor import Tensor
from .convert import clone
from .join import chunk, split, split_with_sizes
from .shape import dim_arg

_range = builtins.range  # this module defines tl.range

# torch.<name>_(input, ...) for these in-place methods (relu_ and sigmoid_ live in activation.py)
_INPLACE_NAMES = ("abs_ acos_ acosh_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ asin_ asinh_ atan_ atanh_ "
                  "ceil_ clamp_ clamp_max_ clamp_min_ clip_ cos_ cosh_ deg2rad_ erf_ erfc_ exp2_ exp_ expm1_ fill_ fix_ "
                  "floor_ frac_ gcd_ lcm_ ldexp_ log10_ log1p_ log2_ log_ logit_ neg_ negative_ rad2deg_ reciprocal_ "
                  "round_ rsqrt_ sin_ sinc_ sinh_ sqrt_ square_ tan_ tanh_ trunc_ xlogy_ zero_ index_put_").split()

_COPY_NAMES = ("alias_copy as_strided_copy detach_copy diagonal_copy expand_copy permute_copy select_copy slice_copy "
               "split_copy split_with_sizes_copy squeeze_copy t_copy transpose_copy unbind_copy unfold_copy "
               "unsqueeze_copy view_copy").split()

__all__ = _INPLACE_NAMES + _COPY_NAMES + [
    "detach", "fill", "split_with_sizes", "unsafe_split", "unsafe_chunk", "unsafe_split_with_sizes", "range",
    "empty_strided", "typename", "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode", "get_deterministic_debug_mode",
    "layout", "strided", "is_same_size", "is_inference", "is_neg", "is_conj", "conj", "resolve_conj", "resolve_neg",
    "conj_physical", "real", "imag", "isreal", "nonzero_static"]


def _check_tensor(x, op: str, arg: str = "input") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' (position 1) must be Tensor, not {type(x).__name__}")


# -- torch.abs_(x), torch.fill_(x, v), ...: the in-place methods as functions ------------------------------------
def _function_form(name: str):
    def fn(input: Tensor, *args, **kwargs) -> Tensor:
        _check_tensor(input, name)
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"`tl.{name}(input, ...)` is `input.{name}(...)` (in place; returns input)."
    return fn


for _name in _INPLACE_NAMES:
    globals()[_name] = _function_form(_name)


def detach(input: Tensor) -> Tensor:
    """The same data (shared) with no history: `input.detach()`."""
    _check_tensor(input, "detach")
    return input.detach()


class Fill(Function):
    """y = value everywhere, in x's shape and dtype. Gradients: 0 for x, sum(g) for a 0-d tensor value."""

    keep_inputs = False

    def forward(self, x, value):
        return get_array_module(x).full(x.shape, value, dtype=x.dtype)

    def backward(self, grad):
        zero = Tensor._wrap(get_array_module(grad._data).zeros_like(grad._data))
        return zero, grad.sum()


def fill(input: Tensor, value) -> Tensor:
    """A new tensor of input's shape and dtype holding `value` (a number or a 0-d tensor): `fill_` out of place."""
    _check_tensor(input, "fill")
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"fill only supports 0-dimension value tensor but got tensor with {value._data.ndim} "
                               f"dimensions.")
        return Fill.apply(input, value.to(input.device, input.dtype))
    return Fill.apply(input, Tensor._wrap(get_array_module(input._data).asarray(value, dtype=input._data.dtype)))


# -- *_copy: a view op followed by a copy (the result owns its memory) --------------------------------------------
def _copies(out):
    if isinstance(out, (tuple, list)):
        return tuple(clone(o) for o in out)
    return clone(out)


def alias_copy(input: Tensor) -> Tensor:
    _check_tensor(input, "alias_copy")
    return clone(input)


def as_strided_copy(input: Tensor, size, stride, storage_offset: int | None = None) -> Tensor:
    return _copies(input.as_strided(size, stride, storage_offset))


def detach_copy(input: Tensor) -> Tensor:
    _check_tensor(input, "detach_copy")
    return clone(input.detach())


def diagonal_copy(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    return _copies(input.diagonal(offset, dim1, dim2))


def expand_copy(input: Tensor, size, *, implicit: bool = False) -> Tensor:
    return _copies(input.expand(size))


def permute_copy(input: Tensor, dims) -> Tensor:
    return _copies(input.permute(dims))


def select_copy(input: Tensor, dim: int, index: int) -> Tensor:
    return _copies(input.select(dim, index))


def slice_copy(input: Tensor, dim: int = 0, start: int | None = None, end: int | None = None,
               step: int = 1) -> Tensor:
    """input[start:end:step] along dim, as a copy (bounds clamped as in Python slicing)."""
    _check_tensor(input, "slice_copy")
    if input._data.ndim == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    d = dim_arg(dim, input._data.ndim, "slice_copy")
    if operator.index(step) <= 0:
        raise RuntimeError(f"slice_copy: slice step must be positive, got {step}")
    return clone(input[(slice(None),) * d + (slice(start, end, step),)])


def split_copy(input: Tensor, split_size, dim: int = 0) -> tuple:
    return _copies(split(input, split_size, dim))


def split_with_sizes_copy(input: Tensor, split_sizes, dim: int = 0) -> tuple:
    return _copies(split_with_sizes(input, split_sizes, dim))


def squeeze_copy(input: Tensor, dim=None) -> Tensor:
    return _copies(input.squeeze() if dim is None else input.squeeze(dim))


def t_copy(input: Tensor) -> Tensor:
    return _copies(input.t())


def transpose_copy(input: Tensor, dim0: int, dim1: int) -> Tensor:
    return _copies(input.transpose(dim0, dim1))


def unbind_copy(input: Tensor, dim: int = 0) -> tuple:
    return _copies(input.unbind(dim))


def unfold_copy(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    return _copies(input.unfold(dimension, size, step))


def unsqueeze_copy(input: Tensor, dim: int) -> Tensor:
    return _copies(input.unsqueeze(dim))


def view_copy(input: Tensor, size) -> Tensor:
    """input.view(size) (or .view(dtype)) as a copy; any layout works, as for reshape."""
    _check_tensor(input, "view_copy")
    if isinstance(size, dt.dtype):
        return clone(input.view(size))
    return clone(input.reshape(size))


# -- unsafe_*: PyTorch's forms without view tracking; here the same views as split/chunk ------------------------
def unsafe_split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    return split(tensor, split_size_or_sections, dim)


def unsafe_chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    return chunk(input, chunks, dim)


def unsafe_split_with_sizes(input: Tensor, split_sizes, dim: int = 0) -> tuple:
    return split_with_sizes(input, split_sizes, dim)


# -- creation ------------------------------------------------------------------------------------------------
_RANGE_WARNING = ("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).")


def range(start=0, end=None, step=1, *, dtype=None, layout=None, device=None,  # noqa: A001 - PyTorch's name
          requires_grad: bool = False) -> Tensor:
    """Deprecated (warns): start, start+step, ..., up to and *including* end; the default float dtype."""
    from ..creation import _place

    warnings.warn(_RANGE_WARNING, UserWarning, stacklevel=2)
    if end is None:
        raise TypeError("range() missing required argument 'end' (pos 2)")
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError(f"upper bound and lower bound inconsistent with step sign (start={start}, end={end}, "
                           f"step={step})")
    d = dt.to_dtype(dtype) if dtype is not None else dt.get_default_dtype()
    n = int(math.floor((end - start) / step)) + 1
    return _place((start + np.arange(n, dtype=np.float64) * step).astype(d.np), device, requires_grad)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Tensor:
    """A new tensor with the given sizes and strides (in elements); its memory is zero-filled here."""
    from ..creation import _place

    size, stride = tuple(operator.index(s) for s in size), tuple(operator.index(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"empty_strided: dimensionality of sizes ({len(size)}) must match dimensionality of "
                           f"strides ({len(stride)})")
    if any(s < 0 for s in size):
        raise RuntimeError(f"empty_strided: Trying to create tensor with negative dimension {min(size)}: "
                           f"{list(size)}")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"empty_strided: negative strides are not supported, got {list(stride)}")
    d = dt.to_dtype(dtype) if dtype is not None else dt.get_default_dtype()
    extent = 0 if 0 in size else 1 + sum((n - 1) * s for n, s in zip(size, stride))
    buf = _place(np.zeros(extent, d.np), device, False)._data
    xp = get_array_module(buf)
    arr = xp.lib.stride_tricks.as_strided(buf, size, tuple(s * buf.itemsize for s in stride))
    t = Tensor._wrap(arr)
    return t.requires_grad_(True) if requires_grad else t


def new_empty_strided(self: Tensor, size, stride, dtype=None, device=None, requires_grad: bool = False,
                      layout=None, pin_memory: bool = False) -> Tensor:
    return empty_strided(size, stride, dtype=dtype or self.dtype, device=device or self.device,
                         requires_grad=requires_grad)


def typename(obj, /) -> str:
    """'tensorlite.FloatTensor' for a tensor, else the object's module-qualified name ('int' for builtins)."""
    if isinstance(obj, Tensor):
        return obj.type()
    if hasattr(obj, "__qualname__") or hasattr(obj, "__name__"):
        module = getattr(obj, "__module__", "") or ""
        name = getattr(obj, "__qualname__", None) or obj.__name__
    else:
        module, name = type(obj).__module__, type(obj).__qualname__
    return name if module in ("", "builtins") else f"{module}.{name}"


# -- deterministic algorithms: tensorlite's ops are deterministic, so these only hold the state ----------------
_deterministic = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record the switch (every tensorlite op is deterministic already, so nothing else changes)."""
    if type(mode) is not bool:
        raise TypeError(f"_set_deterministic_algorithms(): argument 'mode' (position 1) must be bool, not "
                        f"{type(mode).__name__}")
    if type(warn_only) is not bool:
        raise TypeError(f"_set_deterministic_algorithms(): argument 'warn_only' must be bool, not "
                        f"{type(warn_only).__name__}")
    _deterministic["mode"], _deterministic["warn_only"] = mode, warn_only and mode


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic["mode"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _deterministic["warn_only"]


def set_deterministic_debug_mode(debug_mode) -> None:
    """0/'default': off, 1/'warn': on with warn_only, 2/'error': on."""
    names = {"default": 0, "warn": 1, "error": 2}
    if isinstance(debug_mode, str):
        if debug_mode not in names:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got "
                               f"{debug_mode}")
        debug_mode = names[debug_mode]
    elif not isinstance(debug_mode, int) or isinstance(debug_mode, bool):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    return 0 if not _deterministic["mode"] else (1 if _deterministic["warn_only"] else 2)


# -- layout ------------------------------------------------------------------------------------------------------
class layout:
    """A memory layout (`tl.strided`, the only one: tensorlite has no sparse tensors)."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"tensorlite.{self.name}"

    def __reduce__(self):
        return self.name


strided = layout("strided")


# -- predicates and identities of real, dense, non-inference tensors ---------------------------------------------
def is_same_size(input: Tensor, other: Tensor) -> bool:
    _check_tensor(input, "is_same_size", "self")
    if not isinstance(other, Tensor):
        raise TypeError(f"is_same_size(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    return input._data.shape == other._data.shape


def is_inference(input: Tensor) -> bool:
    """False: tensorlite has no inference tensors (`inference_mode` works like `no_grad`)."""
    _check_tensor(input, "is_inference")
    return False


def is_neg(input: Tensor) -> bool:
    """False: no lazy negation bit (that is for complex views in PyTorch)."""
    _check_tensor(input, "is_neg")
    return False


def is_conj(input: Tensor) -> bool:
    """False: tensorlite has no complex tensors, so no conjugate views."""
    _check_tensor(input, "is_conj")
    return False


def _identity(name: str):
    def fn(input: Tensor) -> Tensor:
        _check_tensor(input, name)
        return input

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"`{name}` of a real tensor is the tensor itself (as PyTorch returns `self` for non-complex input)."
    return fn


conj = _identity("conj")
resolve_conj = _identity("resolve_conj")
resolve_neg = _identity("resolve_neg")
conj_physical = _identity("conj_physical")
real = _identity("real")


def imag(input: Tensor) -> Tensor:
    _check_tensor(input, "imag")
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def isreal(input: Tensor) -> Tensor:
    """True everywhere: every tensorlite tensor is real."""
    _check_tensor(input, "isreal")
    return Tensor._wrap(get_array_module(input._data).ones(input._data.shape, dtype=bool))


def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """nonzero() padded with `fill_value` rows (or truncated) to exactly `size` rows: shape (size, input.ndim)."""
    _check_tensor(input, "nonzero_static")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    if isinstance(fill_value, bool) or not isinstance(fill_value, (int, np.integer)):
        raise TypeError(f"nonzero_static(): argument 'fill_value' must be int, not {type(fill_value).__name__}")
    x = input._data
    xp = get_array_module(x)
    found = xp.stack(xp.nonzero(x.reshape(x.shape or (1,))), axis=1)[:, :x.ndim] if x.ndim else \
        xp.zeros((int(bool(x)), 0), dtype=np.int64)
    out = xp.full((int(size), x.ndim), int(fill_value), dtype=np.int64)
    n = min(int(size), found.shape[0])
    out[:n] = found[:n]
    return Tensor._wrap(out)


# -- Tensor attributes ---------------------------------------------------------------------------------------------
def _get_device(self: Tensor) -> int:
    """-1 for a CPU tensor, else the CUDA device index."""
    return -1 if not self.is_cuda else self.device.index


def _contiguous_in(shape: tuple, strides: tuple, order: tuple) -> bool:
    """Whether the dims, taken outermost to innermost in `order`, are densely packed (size-1 dims are free; an
    empty tensor is laid out every way)."""
    if 0 in shape:
        return True
    expected = 1
    for d in reversed(order):
        if shape[d] != 1:
            if strides[d] != expected:
                return False
            expected *= shape[d]
    return True


def _format_order(fmt, ndim: int):
    name = getattr(fmt, "name", None)
    if name == "contiguous_format":
        return tuple(_range(ndim))
    if (name, ndim) in (("channels_last", 4), ("channels_last_3d", 5)):
        return (0,) + tuple(_range(2, ndim)) + (1,)
    return None


def dim_order(self: Tensor, *, ambiguity_check=False) -> tuple:
    """The dims from outermost to innermost in memory (by stride; ties and size-1 dims keep logical order).

    ambiguity_check=True raises where several orders fit (size-1 dims, equal strides); a list of memory formats
    raises unless the tensor is laid out as exactly one of them.
    """
    from ..creation import memory_format

    if not isinstance(ambiguity_check, bool) and not (
            isinstance(ambiguity_check, list) and all(isinstance(f, memory_format) for f in ambiguity_check)):
        raise TypeError("The ambiguity_check argument must be a bool or a list of memory formats.")
    shape, strides, nd = self._data.shape, self.stride(), self._data.ndim
    formats = ambiguity_check if isinstance(ambiguity_check, list) else []
    check = ambiguity_check if isinstance(ambiguity_check, bool) else True
    if check and (any(a == b for a, b in zip(strides, strides[1:])) or 1 in shape):
        fits = sum(1 for f in formats if (o := _format_order(f, nd)) is not None and _contiguous_in(shape, strides, o))
        if fits != 1:
            raise RuntimeError("The tensor does not have unique dim order, or cannot map to exact one of the given "
                               "memory formats.")
    if nd <= 1:
        return tuple(_range(nd))
    dense = _contiguous_in(shape, strides, tuple(_range(nd)))
    last = nd == 4 and _contiguous_in(shape, strides, (0, 2, 3, 1))
    if dense != last:
        return tuple(_range(nd)) if dense else (0, 2, 3, 1)

    def outer(a: int, b: int) -> int:
        """1 if dim a lies outside dim b in memory, -1 if inside, 0 if strides can't tell."""
        sa, sb = strides[a], strides[b]
        if sa == 0 or sb == 0:
            return 0
        if sa == sb:  # equal strides: the longer dim counts as the outer one
            return 0 if _at_least(shape[b], shape[a]) else 1
        return -1 if _at_least(sb, sa) else 1

    # insertion sort, innermost dim first; an undecided comparison leaves the logical order
    perm = list(_range(nd - 1, -1, -1))
    for i in _range(1, nd):
        j = i
        for k in _range(i - 1, -1, -1):
            c = outer(perm[k], perm[j])
            if c > 0:
                perm[k], perm[j] = perm[j], perm[k]
                j = k
            elif c < 0:
                break
    if ambiguity_check and any(outer(perm[i], perm[i + 1]) != -1 for i in _range(nd - 1)):
        raise RuntimeError("The tensor does not have unique dim order.")
    return tuple(reversed(perm))


def _at_least(a: int, b: int) -> bool:
    """a >= b in the sense of stride/size ordering (0 is smallest of all; a multiple counts as larger)."""
    if b == 0:
        return True
    if a == 0:
        return False
    return a >= b or a % b == 0


TENSOR_METHODS = {
    "get_device": _get_device, "is_same_size": is_same_size, "is_inference": is_inference, "is_neg": is_neg,
    "is_conj": is_conj, "conj": conj, "resolve_conj": resolve_conj, "resolve_neg": resolve_neg,
    "conj_physical": conj_physical, "isreal": isreal, "nonzero_static": nonzero_static, "dim_order": dim_order,
    "new_empty_strided": new_empty_strided, "unsafe_split": unsafe_split, "unsafe_chunk": unsafe_chunk,
    "unsafe_split_with_sizes": unsafe_split_with_sizes,
    "is_cpu": property(lambda self: not self.is_cuda, doc="Whether the tensor is in host memory."),
    "real": property(real, doc="The tensor itself (tensorlite tensors are real)."),
    "imag": property(imag, doc="Raises: a real tensor has no imaginary part, as in PyTorch."),
    "layout": property(lambda self: strided, doc="tl.strided (the only layout)."),
    "output_nr": property(lambda self: self._output_nr, doc="Which output of its grad_fn this tensor is."),
}
