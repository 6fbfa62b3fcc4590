"""Lookup tables: embedding, embedding_bag, one_hot.

`embedding` is one Function: forward takes rows of the weight (`weight[indices]`), backward
scatter-adds the output gradient back into those rows (repeated indices accumulate), with the
padding row's gradient zeroed and, with scale_grad_by_freq, each row's gradient divided by how
often its index occurs in the batch. The scatter is `index_add` (whose own backward is a
gather), so the embedding is twice differentiable. Gradients are always dense: `sparse=True` is
accepted for compatibility and gives the same dense gradient.
"""
from __future__ import annotations

import numpy as np

from ...autograd.function import Function, check_same_device
from ...autograd.grad_mode import no_grad
from ...backend import get_array_module
from ...ops._index_dim import IndexAdd
from ...ops.index import zeros_tensor
from ...ops.reduce import vector_norm
from ...ops.shape import reshape
from ...tensor import Tensor
from ._nll import torch_type_name

__all__ = ["embedding", "embedding_bag", "one_hot"]


class Embedding(Function):
    """y[..., :] = weight[indices[...], :]. Gradient: g's rows index_add-ed into zeros of weight's shape."""

    keep_inputs = False

    def forward(self, weight, indices, padding_idx: int, scale_grad_by_freq: bool):
        self.indices, self.padding_idx, self.scale = indices, padding_idx, scale_grad_by_freq
        self.num, self.dim = weight.shape
        return get_array_module(weight).take(weight, indices, axis=0)

    def backward(self, grad):
        flat = self.indices.reshape(-1)
        rows = reshape(grad, (flat.shape[0], self.dim))
        factor = None
        if self.padding_idx >= 0:
            factor = (flat != self.padding_idx).astype(grad._data.dtype)
        if self.scale:
            xp = get_array_module(flat)
            counts = xp.bincount(flat, minlength=self.num)[flat].astype(grad._data.dtype)
            factor = 1 / counts if factor is None else factor / counts
        if factor is not None:
            rows = rows * Tensor._wrap(factor.reshape(-1, 1))
        base = zeros_tensor((self.num, self.dim), grad._data)
        return IndexAdd.apply(base, rows, dim=0, index=flat, fresh=True)


def _check_indices(input: Tensor, op: str = "embedding"):
    idx = input._data
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{torch_type_name(idx)}Tensor instead (while checking arguments "
                           f"for {op})")
    return idx


def _padding_index(padding_idx, num: int) -> int:
    """padding_idx as a row number (-1 for none); out of range is an AssertionError, as in PyTorch."""
    if padding_idx is None:
        return -1
    if padding_idx > 0:
        assert padding_idx < num, "Padding_idx must be within num_embeddings"
    elif padding_idx < 0:
        assert padding_idx >= -num, "Padding_idx must be within num_embeddings"
        padding_idx = num + padding_idx
    return padding_idx


def _renorm_rows(weight: Tensor, idx, max_norm: float, norm_type: float) -> None:
    """PyTorch's embedding_renorm_: rows used by `idx` whose norm exceeds max_norm are scaled (in place, not
    recorded) to norm max_norm (up to the 1e-7 PyTorch adds to the norm)."""
    xp = get_array_module(weight._data)
    rows = xp.unique(idx.reshape(-1))
    if rows.size == 0:
        return
    w = weight._data
    with no_grad():
        norms = vector_norm(Tensor._wrap(w[rows]), norm_type, dim=1)._data
    big = norms > max_norm
    if bool(big.any()):
        r = rows[big]
        w[r] = w[r] * (max_norm / (norms[big] + 1e-7)).astype(w.dtype).reshape(-1, 1)
        weight._vc[0] += 1  # an in-place change, as PyTorch's renorm_ (a saved copy of weight is now stale)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of `weight` (num_embeddings, dim) picked by the integer tensor `input`: output input.shape + (dim,).

    padding_idx: that row gets no gradient. max_norm: rows looked up whose norm_type-norm exceeds it are
    first rescaled in place to that norm. scale_grad_by_freq: each row's gradient is divided by the
    number of times its index occurs in `input`.
    """
    check_same_device("embedding", weight, input)
    w = weight._data
    if w.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    pad = _padding_index(padding_idx, w.shape[0])
    idx = _check_indices(input)
    if idx.size and w.shape[0] == 0:
        raise RuntimeError(f"embedding: index_select(): self indexing axis dim should be positive (weight of shape "
                           f"{tuple(w.shape)} has no rows, {idx.size} indices given)")
    if idx.size and (bool((idx < 0).any()) or bool((idx >= w.shape[0]).any())):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    return Embedding.apply(weight, indices=idx.astype(np.int64, copy=False), padding_idx=pad,
                           scale_grad_by_freq=bool(scale_grad_by_freq))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """An int64 tensor of shape tensor.shape + (num_classes,) with a 1 at each value (num_classes=-1: max + 1)."""
    t = tensor._data
    if t.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    xp = get_array_module(t)
    if num_classes == -1:
        if t.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(t.max()) + 1
    if t.size:
        if bool((t < 0).any()):
            raise RuntimeError("Class values must be non-negative.")
        if bool((t >= num_classes).any()):
            raise RuntimeError("Class values must be smaller than num_classes.")
    elif num_classes < 0:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._wrap((t[..., None] == xp.arange(num_classes)).astype(np.int64))


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sums, means or maxima of bags of embeddings, without materialising the per-bag sequences.

    input (B, L): B bags of L indices each; or 1-D input with `offsets` (the start of each bag).
    Entries equal to padding_idx are left out (and not counted by 'mean'); an empty bag gives zeros.
    per_sample_weights (input's shape, mode='sum' only) scales each looked-up row.
    """
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it "
                         f"must have the same shape as the input ({input.shape})")
    check_same_device("embedding_bag", weight, input, offsets, per_sample_weights)
    if weight._data.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight._data.ndim}")
    if weight._data.dtype.kind not in "fV":
        raise RuntimeError(f"embedding_bag: Expected tensor for argument #1 'weight' to have one of the following "
                           f"scalar types: Half, BFloat16, Float, Double; but got {torch_type_name(weight._data)} "
                           f"instead")
    idx = _check_indices(input, "embedding_bag")
    xp = get_array_module(idx)
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets).__name__}")
        starts = xp.arange(0, idx.size, max(idx.shape[1], 1), dtype=np.int64)[:idx.shape[0]]
        n_bags = idx.shape[0]
        idx = idx.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = reshape(per_sample_weights, (-1,))
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets._data.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        starts = offsets._data.astype(np.int64)
        if starts.size and int(starts[0]) != 0:
            raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                               f"position 0. However, got {int(starts[0])}")
        n_bags = starts.shape[0] - 1 if include_last_offset else starts.shape[0]
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {idx.ndim}")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
    elif mode not in ("sum", "mean"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  f"GitHub.")
    num, dim = weight._data.shape
    pad = _padding_index(padding_idx, num)
    if idx.size and (bool((idx < 0).any()) or bool((idx >= num).any())):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    bag = xp.searchsorted(starts[:n_bags], xp.arange(idx.size), side="right") - 1  # the bag of each entry
    keep = (bag >= 0) & (bag < n_bags)
    if include_last_offset and starts.size:
        keep &= xp.arange(idx.size) < starts[-1]
    if pad >= 0:
        keep &= idx != pad
    sel = xp.flatnonzero(keep)
    bag, used = bag[sel], idx[sel].astype(np.int64)
    rows = Embedding.apply(weight, indices=used, padding_idx=-1, scale_grad_by_freq=bool(scale_grad_by_freq))
    if per_sample_weights is not None:
        psw = per_sample_weights.index_select(0, Tensor._wrap(sel.astype(np.int64)))
        rows = rows * reshape(psw, (-1, 1))
    base = zeros_tensor((n_bags, dim), weight._data)
    if mode == "max":
        from ...ops._scatter import scatter_reduce

        index = Tensor._wrap(xp.broadcast_to(bag.reshape(-1, 1), (bag.size, dim)).copy())
        return scatter_reduce(base, 0, index, rows, "amax", include_self=False)
    out = IndexAdd.apply(base, rows, dim=0, index=bag, fresh=True)
    if mode == "mean":
        counts = xp.bincount(bag, minlength=n_bags)[:n_bags].astype(weight._data.dtype)
        out = out / Tensor._wrap(xp.maximum(counts, 1).reshape(-1, 1))
    return out
