"""Sample arrays to tensors of either library, for the registry's checker (tensorlite/testing/check.py).

Floating arrays take the tested dtype (and requires_grad, per `Sample.grad`), integer arrays become
int64, bool arrays bool; lists and tuples are converted element by element, other values pass through.
bfloat16 crosses to torch by its bits (torch.from_numpy refuses ml_dtypes' type). PyTorch is imported
lazily: everything but the parity check works without it.
"""
from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from .. import _dtype as _dt
from ..tensor import Tensor
from .opinfo import OpInfo, Sample

# -- torch, lazily -----------------------------------------------------------------------------------
_torch_module: Any = None


def _torch():
    """The torch module, or None when it is not installed."""
    global _torch_module
    if _torch_module is None:
        try:
            import torch  # noqa: PLC0415 - dev dependency, the test oracle only
        except ImportError:
            _torch_module = False
        else:
            _torch_module = torch
    return _torch_module or None


def torch_available() -> bool:
    return _torch() is not None


# -- samples and their conversion ----------------------------------------------------------------------
_sample_cache: dict[int, tuple[OpInfo, list]] = {}


def samples_of(info: OpInfo) -> list[Sample]:
    """The op's samples, made once per OpInfo from a generator seeded by the op's name (so reproducible)."""
    hit = _sample_cache.get(id(info))
    if hit is None or hit[0] is not info:
        rng = np.random.default_rng(zlib.crc32(info.name.encode()))
        hit = _sample_cache[id(info)] = (info, list(info.sample_inputs(rng)))
    return hit[1]


_NP_DTYPES = {"float16": np.float16, "float32": np.float32, "float64": np.float64}
if _dt.BFLOAT16_NP is not None:
    _NP_DTYPES["bfloat16"] = _dt.BFLOAT16_NP

# bfloat16 has 8 significant bits: both libraries compute in float32 and round, but a composite op (ours
# or PyTorch's) rounds at every step, so values agree to a few bfloat16 ulps (PyTorch's own tests: 1.6e-2)
BFLOAT16_ATOL, BFLOAT16_RTOL = 2e-2, 2e-2


def _torch_from_array(arr: np.ndarray):
    """A torch CPU tensor sharing `arr`'s memory; bfloat16 (which torch.from_numpy refuses) goes by its bits."""
    torch = _torch()
    if arr.dtype is _dt.BFLOAT16_NP:
        return torch.from_numpy(arr.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(arr)


class _Builder:
    """Turns sample arrays into tensors of one library ("tl" or "torch"), collecting them in order."""

    def __init__(self, lib: str, dtype: str | None, contiguous: bool = True, grad: tuple | None = None,
                 keep_dtypes: bool = False):
        self.lib, self.contiguous, self.keep_dtypes = lib, contiguous, keep_dtypes
        self.np_dtype = _NP_DTYPES[dtype] if dtype else None
        self.grad = grad
        self.leaves: list = []  # every tensor made, in argument order

    def build(self, sample) -> tuple[tuple, dict]:
        self._flags = self._grad_flags(sample)
        args = tuple(self.convert(a) for a in sample.args)
        kwargs = {k: self.convert(v) for k, v in sample.kwargs.items()}
        return args, kwargs

    def _grad_flags(self, sample) -> list[bool] | None:
        """Sample.grad has one flag per tensor argument; accept one per floating argument too."""
        if self.grad is None:
            return None
        arrays = []
        _collect_arrays((sample.args, tuple(sample.kwargs.values())), arrays)
        floating = [a.dtype.kind in "fV" for a in arrays]
        if len(self.grad) == len(arrays):
            return [bool(g) and f for g, f in zip(self.grad, floating)]
        if len(self.grad) == sum(floating):
            it = iter(self.grad)
            return [bool(next(it)) if f else False for f in floating]
        raise ValueError(f"Sample.grad has {len(self.grad)} flags for {len(arrays)} tensor arguments "
                         f"({sum(floating)} floating)")

    def convert(self, value):
        if isinstance(value, np.ndarray):
            k = len(self.leaves)
            requires_grad = value.dtype.kind in "fV" and (self._flags is None or self._flags[k])
            t = self.make(value, requires_grad)
            self.leaves.append(t)
            return t
        if type(value) in (list, tuple):
            return type(value)(self.convert(v) for v in value)
        return value

    def make(self, arr: np.ndarray, requires_grad: bool):
        kind = arr.dtype.kind
        if self.keep_dtypes:
            data = arr.copy()
        elif kind in "fV":
            data = arr.astype(self.np_dtype)
        elif kind in "iu":
            data = arr.astype(np.int64)
        else:
            data = arr.copy()
        if not self.contiguous and data.dtype.kind in "fV":
            data = _non_contiguous(data)
        if self.lib == "tl":
            t = Tensor._wrap(data)
            if requires_grad and data.dtype.kind in "fV":
                t.requires_grad_(True)
            return t
        if data.flags.c_contiguous:
            t = _torch_from_array(data)  # data is this builder's own copy
        else:  # keep the strides: view into a fresh torch buffer the same way
            d = _strided_dim(data.shape)
            t = _torch_from_array(data.base.copy())[(slice(None),) * d + (slice(None, None, 2),)]
        if requires_grad and data.dtype.kind in "fV":
            t.requires_grad_(True)
        return t


def _collect_arrays(value, out: list) -> None:
    if isinstance(value, np.ndarray):
        out.append(value)
    elif type(value) in (list, tuple):
        for v in value:
            _collect_arrays(v, out)


def _strided_dim(shape: tuple) -> int:
    """The last dim of size > 1 (the one made strided), or -1 if there is none."""
    for d in range(len(shape) - 1, -1, -1):
        if shape[d] > 1:
            return d
    return -1


def _non_contiguous(data: np.ndarray) -> np.ndarray:
    """The same values in a buffer twice as long along one dim, read with step 2 there."""
    d = _strided_dim(data.shape)
    if d < 0:
        return data  # 0-d, empty or all-ones shapes have no non-contiguous layout
    shape = list(data.shape)
    shape[d] *= 2
    buf = np.zeros(shape, dtype=data.dtype)
    index = (slice(None),) * d + (slice(None, None, 2),)
    buf[index] = data
    view = buf[index]
    assert view.base is buf
    return view
