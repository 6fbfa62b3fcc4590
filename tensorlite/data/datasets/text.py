"""TextCorpus: a character-level language-modelling dataset (input, next-character target) sequences."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from ...tensor import Tensor
from ...utils.data import Dataset

__all__ = ["TextCorpus"]


def default_text() -> str:
    """Python's own help topics (the stdlib `pydoc_data.topics`), about 0.5 MB of English and code."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key] for key in sorted(topics))


class TextCorpus(Dataset):
    """Characters of `text` (default: Python's help topics) as integer ids in a sorted vocabulary.

    Item i is `(x, y)`, two int64 tensors of `seq_len` ids: x = data[s : s + seq_len] and
    y = data[s + 1 : s + seq_len + 1] with s = i * stride (stride defaults to seq_len: no overlap).
    `.data` is the whole encoded text (int64) and `.targets` is `.data[1:]`.
    """

    def __init__(self, text: str | None = None, seq_len: int = 64, stride: int | None = None):
        self.text = default_text() if text is None else text
        if seq_len < 1:
            raise ValueError(f"TextCorpus: seq_len should be >= 1, got {seq_len}")
        self.seq_len = int(seq_len)
        self.stride = self.seq_len if stride is None else int(stride)
        if self.stride < 1:
            raise ValueError(f"TextCorpus: stride should be >= 1, got {stride}")
        self.vocab: list[str] = sorted(set(self.text))
        self.stoi = {ch: i for i, ch in enumerate(self.vocab)}
        self.itos = dict(enumerate(self.vocab))
        self.data = np.array(self.encode(self.text), dtype=np.int64)
        self.targets = self.data[1:]

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> list[int]:
        try:
            return [self.stoi[ch] for ch in text]
        except KeyError as exc:
            raise ValueError(f"TextCorpus.encode: character {exc.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids: Iterable[int] | Tensor | np.ndarray) -> str:
        if isinstance(ids, Tensor):
            ids = ids.tolist()
        return "".join(self.itos[int(i)] for i in np.asarray(ids).reshape(-1))

    def __len__(self) -> int:
        return max(0, (len(self.data) - 1 - self.seq_len) // self.stride + 1)

    def __getitem__(self, index: int):
        from ...creation import from_numpy

        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"TextCorpus index {index} is out of range for {n} sequences")
        start = (index % n) * self.stride
        x = self.data[start:start + self.seq_len].copy()
        y = self.data[start + 1:start + self.seq_len + 1].copy()
        return from_numpy(x), from_numpy(y)

    def __repr__(self) -> str:
        return (f"TextCorpus(characters={len(self.data)}, vocab_size={self.vocab_size}, seq_len={self.seq_len}, "
                f"stride={self.stride}, sequences={len(self)})")
