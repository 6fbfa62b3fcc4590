"""Making tensors: from data (`tensor`), filled (`zeros`, `full`, ...), ranges and random draws."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from . import _dtype as dt
from .backend.device import cuda_context, cuda_module, device as Device, is_cuda_array
from .random import numpy_generator
from .tensor import Tensor

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "from_dlpack", "zeros", "ones", "full", "empty",
           "zeros_like", "ones_like", "full_like", "empty_like", "arange", "linspace", "logspace", "eye", "rand",
           "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "scalar_tensor",
           "normal", "bernoulli", "multinomial", "tril_indices", "triu_indices",
           "memory_format", "contiguous_format", "preserve_format", "channels_last", "channels_last_3d"]


class memory_format:
    """A memory layout name (`tl.contiguous_format`, `tl.channels_last`, ...), accepted wherever PyTorch takes
    `memory_format=`; tensorlite keeps every new tensor row-major, so the choice changes no values."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"tensorlite.{self.name}"


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")


def _size(size, op: str) -> tuple:
    """zeros(2, 3), zeros((2, 3)), zeros([2, 3]) and zeros(tl.Size) all mean shape (2, 3)."""
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        size = size[0]
    try:
        shape = tuple(int(s) for s in size)
    except TypeError:
        raise TypeError(f"{op}(): size must be a sequence of ints, got {size!r}") from None
    if any(s < 0 for s in shape):
        raise RuntimeError(f"{op}: Trying to create tensor with negative dimension: {list(shape)}")
    return shape


def _place(arr: np.ndarray, device, requires_grad: bool) -> Tensor:
    if device is not None:
        dev = Device(device)
        if dev.type != "cpu":
            with cuda_context(dev):
                arr = dev.xp.asarray(arr)
        elif type(arr) is not np.ndarray:  # a CUDA array asked for on the CPU
            arr = arr.get()
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_dtype(data) -> dt.dtype:
    """PyTorch's inference: Python floats -> default dtype, ints -> int64, bools -> bool."""
    arr = np.asarray(data)
    if arr.dtype.kind in "fV":
        return dt.get_default_dtype()
    if arr.dtype.kind == "b":
        return dt.bool
    if arr.dtype.kind in "iu":
        return dt.int64
    if arr.dtype.kind == "O":  # None (or another object) somewhere in the data
        bad = next((x for x in _flat_all(data) if not isinstance(x, (bool, int, float, np.generic))), data)
        raise RuntimeError(f"tensor(): Could not infer dtype of {type(bad).__name__}")
    raise TypeError(f"tensor(): could not infer dtype of {type(data).__name__} (numpy gave {arr.dtype})")


def tensor(data, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (nested lists, numbers, arrays or tensors)."""
    if isinstance(data, Tensor):
        arr = data._host().copy()
        src_dtype = data.dtype
        if device is None:
            device = data.device
    elif isinstance(data, (np.ndarray, np.generic)):
        arr = np.array(data)
        src_dtype = dt.from_numpy_dtype(arr.dtype)
    elif is_cuda_array(data):  # a CuPy array: copied on its device unless `device` says otherwise
        arr = data.copy()
        src_dtype = dt.from_numpy_dtype(arr.dtype)
        if device is None:
            device = Device("cuda", int(data.device.id))
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat_first(data)):
            data = _tensors_to_lists(data)
        try:
            arr = np.array(data)
        except ValueError as e:  # ragged nested lists
            raise ValueError(f"tensor(): expected a nested sequence whose rows all have the same length, "
                             f"got {type(data).__name__} of ragged shape ({e})") from None
        src_dtype = _infer_dtype(data) if arr.size or arr.dtype.kind not in "fV" else dt.get_default_dtype()
    target = dt.to_dtype(dtype) if dtype is not None else src_dtype
    return _place(arr.astype(target.np, copy=False), device, requires_grad)


def _flat_all(data):
    if isinstance(data, (list, tuple)):
        for x in data:
            yield from _flat_all(x)
    else:
        yield data


def _flat_first(data):
    while isinstance(data, (list, tuple)) and data:
        yield data[0]
        data = data[0]


def _tensors_to_lists(data):
    if isinstance(data, Tensor):
        return data.tolist()
    if isinstance(data, (list, tuple)):
        return [_tensors_to_lists(x) for x in data]
    return data


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like `tensor` but shares memory with a NumPy array (or returns a Tensor unchanged) when it can."""
    if isinstance(data, Tensor):
        return data.to(*(x for x in (device, dtype) if x is not None))
    if isinstance(data, np.ndarray) and (dtype is None or dt.to_dtype(dtype).np == data.dtype) and \
            (device is None or Device(device).type == "cpu"):
        dt.from_numpy_dtype(data.dtype)
        return Tensor._wrap(data)
    if is_cuda_array(data) and (dtype is None or dt.to_dtype(dtype).np == data.dtype) and \
            (device is None or Device(device) in ("cuda", f"cuda:{data.device.id}")):
        dt.from_numpy_dtype(data.dtype)
        return Tensor._wrap(data)  # shares the CuPy array's memory
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with `array` (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dt.from_numpy_dtype(array.dtype)
    return Tensor._wrap(array)


def from_dlpack(ext) -> Tensor:
    """A tensor sharing memory with any DLPack producer (NumPy, CuPy, PyTorch, ...)."""
    device_type = ext.__dlpack_device__()[0] if hasattr(ext, "__dlpack_device__") else 1
    if device_type == 1:
        try:
            return Tensor._wrap(np.from_dlpack(ext))
        except (RuntimeError, BufferError, TypeError):
            if "bfloat16" in str(getattr(ext, "dtype", "")):
                raise BufferError("from_dlpack: NumPy's DLPack cannot import bfloat16; pass x.view(torch.int16) "
                                  "(or another 16-bit integer view) and call .view(tl.bfloat16) on the result") from None
            raise
    return Tensor._wrap(cuda_module().from_dlpack(ext))


def _check_layout(layout, op: str) -> None:
    """tensorlite has one layout, strided (dense); PyTorch's sparse layouts are not supported."""
    if layout is not None and getattr(layout, "name", None) != "strided":
        raise NotImplementedError(f"{op}: tensorlite tensors have one layout, tl.strided (no sparse tensors); "
                                  f"got layout={layout!r}")


def _filled(fill, size, dtype, device, requires_grad, op):
    shape = _size(size, op)
    d = dt.to_dtype(dtype) if dtype is not None else dt.get_default_dtype()
    return _place(fill(shape, d.np), device, requires_grad)


def zeros(*size, dtype=None, layout=None, device=None, requires_grad: bool = False, out=None) -> Tensor:
    _check_layout(layout, "zeros")
    return _filled(np.zeros, size, dtype, device, requires_grad, "zeros")


def ones(*size, dtype=None, layout=None, device=None, requires_grad: bool = False, out=None) -> Tensor:
    _check_layout(layout, "ones")
    return _filled(np.ones, size, dtype, device, requires_grad, "ones")


def empty(*size, dtype=None, layout=None, device=None, requires_grad: bool = False, pin_memory: bool = False,
          memory_format=None) -> Tensor:
    _check_layout(layout, "empty")
    return _filled(np.empty, size, dtype, device, requires_grad, "empty")


def full(size, fill_value, *, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    _check_layout(layout, "full")
    if dtype is None:
        dtype = _infer_dtype(fill_value.item() if isinstance(fill_value, Tensor) else fill_value)
    shape = _size((size,) if not isinstance(size, int) else (size,), "full")
    return _place(np.full(shape, fill_value, dt.to_dtype(dtype).np), device, requires_grad)


def scalar_tensor(value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return full((), value, dtype=dtype or dt.get_default_dtype(), device=device, requires_grad=requires_grad)


def _like(input: Tensor, dtype, device):
    return (dtype if dtype is not None else input.dtype), (device if device is not None else input.device)


def zeros_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
               memory_format=None) -> Tensor:
    _check_layout(layout, "zeros_like")
    d, dev = _like(input, dtype, device)
    return zeros(input.shape, dtype=d, device=dev, requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
              memory_format=None) -> Tensor:
    _check_layout(layout, "ones_like")
    d, dev = _like(input, dtype, device)
    return ones(input.shape, dtype=d, device=dev, requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
               memory_format=None) -> Tensor:
    _check_layout(layout, "empty_like")
    d, dev = _like(input, dtype, device)
    return empty(input.shape, dtype=d, device=dev, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
              memory_format=None) -> Tensor:
    _check_layout(layout, "full_like")
    d, dev = _like(input, dtype, device)
    return full(input.shape, fill_value, dtype=d, device=dev, requires_grad=requires_grad)


def arange(start, end=None, step=1, *, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """[start, end) in steps; int64 unless any argument is a float (then the default dtype)."""
    _check_layout(layout, "arange")
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if vals[2] == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (vals[1] - vals[0]) / vals[2] < 0:
        raise RuntimeError(f"arange: upper bound and larger bound inconsistent with step sign "
                           f"(start={vals[0]}, end={vals[1]}, step={vals[2]})")
    if dtype is None:
        dtype = dt.get_default_dtype() if any(isinstance(v, float) for v in vals) else dt.int64
    d = dt.to_dtype(dtype)
    n = max(0, math.ceil((vals[1] - vals[0]) / vals[2]))
    arr = (vals[0] + np.arange(n, dtype=np.float64 if d.is_floating_point or any(
        isinstance(v, float) for v in vals) else np.int64) * vals[2]).astype(d.np)
    return _place(arr, device, requires_grad)


def linspace(start, end, steps: int, *, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    _check_layout(layout, "linspace")
    if steps < 0:
        raise RuntimeError("linspace: number of steps must be non-negative")
    d = dt.to_dtype(dtype) if dtype is not None else dt.get_default_dtype()
    return _place(np.linspace(float(start), float(end), int(steps)).astype(d.np), device, requires_grad)


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    _check_layout(layout, "logspace")
    d = dt.to_dtype(dtype) if dtype is not None else dt.get_default_dtype()
    return _place(np.logspace(float(start), float(end), int(steps), base=base).astype(d.np), device, requires_grad)


def eye(n: int, m: int | None = None, *, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    _check_layout(layout, "eye")
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"eye: n and m must be non-negative, got n={n}, m={m}")
    d = dt.to_dtype(dtype) if dtype is not None else dt.get_default_dtype()
    return _place(np.eye(n, m, dtype=d.np), device, requires_grad)


def _tri_indices(row: int, col: int, offset: int, dtype, device, op: str, upper: bool) -> Tensor:
    if row < 0 or col < 0:
        raise RuntimeError(f"{op}: row and col must be non-negative, got row={row}, col={col}")
    d = dt.to_dtype(dtype) if dtype is not None else dt.int64
    if d.is_floating_point or d is dt.bool:  # PyTorch accepts only integer dtypes here
        raise RuntimeError(f"{op}: not implemented for dtype {d} (expected an integer dtype)")
    rows, cols = (np.triu_indices if upper else np.tril_indices)(row, offset, col)
    return _place(np.stack([rows, cols]).astype(d.np), device, False)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None) -> Tensor:
    """The (2, N) row/column coordinates of the lower triangle (j <= i + offset) of a row x col matrix."""
    _check_layout(layout, "tril_indices")
    return _tri_indices(row, col, offset, dtype, device, "tril_indices", upper=False)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None) -> Tensor:
    """The (2, N) row/column coordinates of the upper triangle (j >= i + offset) of a row x col matrix."""
    _check_layout(layout, "triu_indices")
    return _tri_indices(row, col, offset, dtype, device, "triu_indices", upper=True)


def _float_dtype(dtype, op: str) -> dt.dtype:
    d = dt.to_dtype(dtype) if dtype is not None else dt.get_default_dtype()
    if not d.is_floating_point:  # PyTorch's NotImplementedError (a RuntimeError) for integer dtypes
        raise NotImplementedError(f"{op}: not implemented for dtype {d} (expected a floating point dtype)")
    return d


def _size_arg(sizes: tuple, size, op: str) -> tuple:
    """rand(2, 3), rand((2, 3)) or rand(size=(2, 3))."""
    if size is not None:
        if sizes:
            raise TypeError(f"{op}() got multiple values for argument 'size'")
        sizes = (size,)
    return _size(sizes, op)


def rand(*sizes, size=None, generator=None, dtype=None, layout=None, device=None, requires_grad: bool = False,
         pin_memory: bool = False) -> Tensor:
    """Uniform on [0, 1)."""
    _check_layout(layout, "rand")
    d = _float_dtype(dtype, "rand")
    arr = numpy_generator(generator).random(_size_arg(sizes, size, "rand"), dtype=np.float64).astype(d.np)
    return _place(arr, device, requires_grad)


def randn(*sizes, size=None, generator=None, dtype=None, layout=None, device=None, requires_grad: bool = False,
          pin_memory: bool = False) -> Tensor:
    """Standard normal."""
    _check_layout(layout, "randn")
    d = _float_dtype(dtype, "randn")
    arr = numpy_generator(generator).standard_normal(_size_arg(sizes, size, "randn"), dtype=np.float64).astype(d.np)
    return _place(arr, device, requires_grad)


def randint(low=None, high=None, size=None, *, generator=None, dtype=None, layout=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """Integers uniform on [low, high); int64 by default. `randint(high, size)` also works."""
    _check_layout(layout, "randint")
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    elif low is None:  # randint(high=5, size=...)
        low = 0
    if high is None:
        raise TypeError("randint() missing required argument 'high'")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    d = dt.to_dtype(dtype) if dtype is not None else dt.int64
    arr = numpy_generator(generator).integers(low, high, size=_size((size,), "randint")).astype(d.np)
    return _place(arr, device, requires_grad)


def randperm(n: int, *, generator=None, dtype=None, layout=None, device=None, requires_grad: bool = False,
             pin_memory: bool = False) -> Tensor:
    _check_layout(layout, "randperm")
    d = dt.to_dtype(dtype) if dtype is not None else dt.int64
    return _place(numpy_generator(generator).permutation(int(n)).astype(d.np), device, requires_grad)


def rand_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
              memory_format=None) -> Tensor:
    _check_layout(layout, "rand_like")
    d, dev = _like(input, dtype, device)
    return rand(input.shape, dtype=d, device=dev, requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
               memory_format=None) -> Tensor:
    _check_layout(layout, "randn_like")
    d, dev = _like(input, dtype, device)
    return randn(input.shape, dtype=d, device=dev, requires_grad=requires_grad)


def randint_like(input: Tensor, low=0, high=None, *, dtype=None, layout=None, device=None,
                 requires_grad: bool = False, memory_format=None) -> Tensor:
    """randint_like(x, high) or randint_like(x, low, high): integers in [low, high) shaped like x."""
    _check_layout(layout, "randint_like")
    if high is None:
        low, high = 0, low
    d, dev = _like(input, dtype, device)
    return randint(low, high, tuple(input.shape), dtype=d, device=dev, requires_grad=requires_grad)


def normal(mean, std, size: Sequence[int] | None = None, *, generator=None, dtype=None, device=None) -> Tensor:
    """Draws from N(mean, std^2); mean/std may be tensors (broadcast) or numbers with `size`."""
    m = mean._host() if isinstance(mean, Tensor) else mean
    s = std._host() if isinstance(std, Tensor) else std
    shape = np.broadcast_shapes(np.shape(m), np.shape(s)) if size is None else _size((size,), "normal")
    ref = mean if isinstance(mean, Tensor) else (std if isinstance(std, Tensor) else None)
    d = dt.to_dtype(dtype) if dtype is not None else (ref.dtype if ref is not None else dt.get_default_dtype())
    arr = (m + s * numpy_generator(generator).standard_normal(shape)).astype(d.np)
    return _place(arr, device if device is not None else (ref.device if ref is not None else None), False)


def bernoulli(input: Tensor, p: float | None = None, *, generator=None) -> Tensor:
    """Each element is 1 with probability `input` (or `p`), else 0; same dtype as input."""
    probs = input._host() if p is None else np.full(input.shape, p)
    arr = (numpy_generator(generator).random(probs.shape) < probs).astype(input._data.dtype)
    return _place(arr, input.device, False)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:
    """Sample category indices with probabilities proportional to each row of `input`."""
    probs = np.atleast_2d(input._host().astype(np.float64))
    if (probs < 0).any() or not np.isfinite(probs).all():
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or element < 0")
    rng = numpy_generator(generator)
    rows = []
    for row in probs:
        total = row.sum()
        if total <= 0:
            raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
        if not replacement and num_samples > np.count_nonzero(row):
            raise RuntimeError("multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement")
        rows.append(rng.choice(len(row), size=num_samples, replace=replacement, p=row / total))
    out = np.array(rows, dtype=np.int64)
    return _place(out if input.ndim == 2 else out[0], input.device, False)
