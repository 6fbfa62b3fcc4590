"""Differentiable ops, grouped by kind; this file attaches them to Tensor as methods.

Each ops module declares
  TENSOR_METHODS  name -> function, bound as `tensor.name(...)` (operators included)
  INPLACE         name -> out-of-place function; `tensor.name_(...)` is made from it by
                  `Tensor._inplace`, which gives the in-place form PyTorch's autograd semantics
"""
from __future__ import annotations

from ..tensor import Tensor
from . import (activation, arithmetic, assemble, convert, decomp, diag, elementwise, index, join, linalg, math_extra,
               pad, rearrange, reduce, sampling, shape, statistics)
from . import api_gaps, lu, numerics, tensor_extras
from . import special_fns

MODULES = (arithmetic, convert, elementwise, activation, reduce, shape, join, diag, pad, index, linalg, rearrange,
           sampling, math_extra, statistics, assemble, decomp, api_gaps, tensor_extras, numerics, lu)
MODULES += (special_fns,)


def _make_inplace(name: str, fn):
    def method(self, *args, **kwargs):
        return self._inplace(name, fn, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"In-place form of `{fn.__name__}`: writes the result into this tensor."
    return method


def _bind() -> None:
    for module in MODULES:
        for name, fn in getattr(module, "TENSOR_METHODS", {}).items():
            setattr(Tensor, name, fn)
        for name, fn in getattr(module, "INPLACE", {}).items():
            setattr(Tensor, name + "_", _make_inplace(name + "_", fn))
        for dunder, name in getattr(module, "DUNDER_INPLACE", {}).items():
            setattr(Tensor, dunder, _make_inplace(dunder, getattr(module, "INPLACE")[name]))


_bind()
