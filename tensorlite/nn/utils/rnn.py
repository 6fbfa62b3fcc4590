"""Variable-length sequences: `pad_sequence` and `unpad_sequence`; packed sequences
(`PackedSequence`, `pack_padded_sequence`, `pad_packed_sequence`, `pack_sequence`,
`unpack_sequence`), which the recurrent layers take.
"""
from __future__ import annotations

from collections import namedtuple as _namedtuple
from typing import Iterable

import numpy as _np

from ...ops.join import cat as _cat
from ...ops.join import stack
from ...ops.pad import pad
from ...tensor import Tensor

__all__ = ["pad_sequence", "unpad_sequence", "PackedSequence", "pack_padded_sequence", "pad_packed_sequence",
           "pack_sequence", "unpack_sequence"]


def pad_sequence(sequences: Tensor | Iterable[Tensor], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of shapes (L_i, *) into (T, B, *) (or (B, T, *) if batch_first), T = max L_i.

    Shorter sequences are filled with padding_value on the right (or left). The result has the first
    sequence's dtype, as in PyTorch; gradients flow back to every sequence.
    """
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    seqs = list(sequences.unbind(0)) if isinstance(sequences, Tensor) else list(sequences)
    if not seqs:
        raise RuntimeError("received an empty list of sequences")
    for s in seqs:
        if s._data.ndim == 0:
            raise RuntimeError("pad_sequence: every sequence must have at least one dim (its length), got a 0-d "
                               "tensor")
    dtype = seqs[0].dtype
    trailing = seqs[0]._data.shape[1:]
    for i, s in enumerate(seqs):
        if s._data.shape[1:] != trailing:
            raise RuntimeError(f"pad_sequence: sequence {i} has trailing dims {tuple(s._data.shape[1:])}, expected "
                               f"{tuple(trailing)} (all sequences must match except in length)")
    longest = max(s._data.shape[0] for s in seqs)
    padded = []
    for s in seqs:
        if s.dtype != dtype:
            s = s.to(dtype)
        missing = longest - s._data.shape[0]
        if missing:
            spec = [0, 0] * len(trailing) + ([0, missing] if padding_side == "right" else [missing, 0])
            s = pad(s, spec, value=padding_value)
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor, batch_first: bool = False) -> list[Tensor]:
    """The inverse of pad_sequence (right padding): a list of (L_i, *) tensors."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences.unbind(0), lengths)]


# -- packed sequences -------------------------------------------------------------------------------------------
# A PackedSequence holds a batch of sequences sorted by decreasing length, time step by time step:
# data[offset_t : offset_t + batch_sizes[t]] are the elements at step t of the batch_sizes[t]
# sequences that are still running. The recurrent layers step through it without touching padding.


class PackedSequence(_namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """(data, batch_sizes, sorted_indices, unsorted_indices), as PyTorch's: build it with pack_padded_sequence or
    pack_sequence. batch_sizes is an int64 CPU tensor; the indices are int64 tensors or None (already sorted)."""

    __slots__ = ()

    def __new__(cls, data: Tensor, batch_sizes: Tensor | None = None, sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> "PackedSequence":
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence(data_and_sizes_tuple), as PyTorch also allows
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> "PackedSequence":
        """Move or cast `data` (indices follow the device, batch_sizes stays on the CPU)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        dev = data.device
        sorted_i = None if self.sorted_indices is None else self.sorted_indices.to(dev)
        unsorted_i = None if self.unsorted_indices is None else self.unsorted_indices.to(dev)
        return type(self)(data, self.batch_sizes, sorted_i, unsorted_i)

    def cpu(self) -> "PackedSequence":
        return self.to("cpu")

    def cuda(self, *args, **kwargs) -> "PackedSequence":
        return self.to("cuda")

    def double(self) -> "PackedSequence":
        return self.to(self.data.double().dtype)

    def float(self) -> "PackedSequence":
        return self.to(self.data.float().dtype)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return False


def _int64_tensor(values) -> Tensor:
    return Tensor._wrap(_np.asarray(values, dtype=_np.int64))


def _invert_permutation(permutation: Tensor) -> Tensor:
    perm = permutation._host() if hasattr(permutation, "_host") else _np.asarray(permutation)
    inverse = _np.empty_like(perm)
    inverse[perm] = _np.arange(perm.size, dtype=perm.dtype)
    return Tensor._wrap(inverse)


def _lengths_array(lengths) -> _np.ndarray:
    if isinstance(lengths, Tensor):
        arr = lengths._host()
        if arr.ndim != 1 or arr.dtype.kind not in "iu":
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {arr.ndim}D {arr.dtype} "
                               f"tensor")
        return arr.astype(_np.int64)
    return _np.asarray([int(n) for n in lengths], dtype=_np.int64)


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded (T, B, *) batch (B, T, * with batch_first) of sequences of the given lengths.

    With enforce_sorted=True the lengths must be decreasing; otherwise the batch is sorted here and
    the permutation kept (sorted_indices / unsorted_indices). Gradients flow back to `input`.
    """
    lens = _lengths_array(lengths)
    batch_dim = 0 if batch_first else 1
    if input._data.ndim < 2:
        raise RuntimeError(f"pack_padded_sequence: expected input of at least 2 dims (time and batch), got "
                           f"{input._data.ndim}")
    batch = input._data.shape[batch_dim]
    if lens.size != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lens.size} "
                           f"(batch_size={batch})")
    sorted_indices = None
    if enforce_sorted:
        if _np.any(lens[1:] > lens[:-1]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                               "sidestep this requirement if you do not need ONNX exportability.")
    else:
        order = _np.argsort(-lens, kind="stable")
        lens = lens[order]
        sorted_indices = _int64_tensor(order)
        input = input.index_select(batch_dim, _index_on(order, input))
    if lens.size and lens.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    steps = input._data.shape[1 - batch_dim]
    if lens.size and lens[0] > steps:
        raise RuntimeError(f"pack_padded_sequence: the longest length is {int(lens[0])} but the input has only "
                           f"{steps} time steps")
    if batch_first:
        input = input.transpose(0, 1)
    longest = int(lens[0]) if lens.size else 0
    batch_sizes = (lens[None, :] > _np.arange(longest)[:, None]).sum(axis=1)
    # rows of the (T * B, *) view, time-major, keeping the running sequences of each step
    rows = _np.concatenate([t * batch + _np.arange(n) for t, n in enumerate(batch_sizes)]) if longest else \
        _np.zeros(0, _np.int64)
    flat = input.reshape(steps * batch, *input._data.shape[2:])
    data = flat.index_select(0, _index_on(rows, flat))
    return PackedSequence(data, _int64_tensor(batch_sizes), sorted_indices, None)


def _index_on(rows: _np.ndarray, like: Tensor) -> Tensor:
    idx = Tensor._wrap(rows.astype(_np.int64, copy=False))
    return idx if like._data.__class__ is _np.ndarray else idx.to(like.device)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """The inverse of pack_padded_sequence: (padded (T, B, *) or (B, T, *), lengths int64 (B,))."""
    data, batch_sizes = sequence.data, sequence.batch_sizes
    sizes = batch_sizes._host().astype(_np.int64) if isinstance(batch_sizes, Tensor) else \
        _np.asarray(batch_sizes, _np.int64)
    steps = int(sizes.size)
    batch = int(sizes[0]) if steps else 0
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {steps}")
        steps_out = int(total_length)
    else:
        steps_out = steps
    # Each (t, b) of the padded result reads row `src` of data, or the extra padding row at the end.
    n = data._data.shape[0]
    src = _np.full((steps_out, batch), n, dtype=_np.int64)
    offset = 0
    for t, bs in enumerate(sizes):
        src[t, :bs] = _np.arange(offset, offset + bs)
        offset += bs
    pad_row = Tensor._wrap(_xp_full(data, (1,) + tuple(data._data.shape[1:]), padding_value))
    padded = _cat([data, pad_row]).index_select(0, _index_on(src.reshape(-1), data))
    padded = padded.reshape(steps_out, batch, *data._data.shape[1:])
    lengths = (sizes[None, :] > _np.arange(batch)[:, None]).sum(axis=1).astype(_np.int64)
    if sequence.unsorted_indices is not None:
        unsorted = sequence.unsorted_indices
        padded = padded.index_select(1, unsorted)
        lengths = lengths[unsorted._host()]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, _int64_tensor(lengths)


def _xp_full(like: Tensor, shape: tuple, value: float):
    from ...backend import get_array_module

    xp = get_array_module(like._data)
    return xp.full(shape, value, dtype=like._data.dtype)


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) tensors (decreasing L_i unless enforce_sorted=False)."""
    lengths = [int(s._data.shape[0]) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of (L_i, *) tensors that pack_sequence packed, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
