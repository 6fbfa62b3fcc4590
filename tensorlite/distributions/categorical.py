"""Categorical(probs | logits): one of K classes {0, ..., K-1}, parameters over the last dimension."""
from __future__ import annotations

import math

import numpy as np

import tensorlite as tl

from ..tensor import Size, Tensor
from . import constraints
from ._params import ProbsLogitsMixin
from .distribution import Distribution
from .utils import _draw

__all__ = ["Categorical"]


def _sample_rows(probs: np.ndarray, n: int, rng) -> np.ndarray:
    """n class indices per row of (B, K) unnormalised `probs`, by inverting each row's CDF: (n, B) int64."""
    cdf = np.cumsum(probs.astype(np.float64), -1)
    cdf /= cdf[:, -1:]
    u = rng.random((n, probs.shape[0]))
    k = probs.shape[-1]
    if n * cdf.size <= 1 << 22:
        idx = (cdf[None, :, :] <= u[:, :, None]).sum(-1)  # how many classes lie wholly below u
    else:  # row by row, without the (n, B, K) comparison
        idx = np.stack([np.searchsorted(cdf[b], u[:, b], side="right") for b in range(cdf.shape[0])], 1)
    return np.minimum(idx, k - 1).reshape(n, probs.shape[0])


class Categorical(ProbsLogitsMixin, Distribution):
    """Exactly one of `probs` (nonnegative, normalised over the last dim) or `logits` (unnormalised log
    probabilities). batch_shape = param.shape[:-1]; samples are int64 class indices."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True
    _binary = False  # logits = log p, p = softmax(logits) over the last dim

    def __init__(self, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        name = self._given(probs, logits)
        param = probs if probs is not None else logits
        if param.dim() < 1:
            raise ValueError(f"`{name}` parameter must be at least one-dimensional.")
        if probs is not None:
            self._set_param("probs", probs / probs.sum(-1, keepdim=True))
        else:
            self._set_param("logits", logits - logits.logsumexp(dim=-1, keepdim=True))
        self._num_events = self._param.size()[-1]
        batch_shape = self._param.size()[:-1] if self._param.ndimension() > 1 else Size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand(Categorical, batch_shape, _instance)
        new._num_events = self._num_events
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def mean(self) -> Tensor:
        return tl.full(self._extended_shape(), math.nan, dtype=self.probs.dtype, device=self.probs.device)

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(dim=-1)

    @property
    def variance(self) -> Tensor:
        return tl.full(self._extended_shape(), math.nan, dtype=self.probs.dtype, device=self.probs.device)

    def sample(self, sample_shape=Size()) -> Tensor:
        sample_shape = Size(sample_shape)
        probs_2d = self.probs.detach().reshape(-1, self._num_events)._host()
        n = sample_shape.numel()
        samples = _draw(lambda rng, s: _sample_rows(probs_2d, n, rng), (), tl.int64, self.probs.device)
        return samples.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = tl.broadcast_tensors(value, self.logits)
        value = value[..., :1]
        return log_pmf.gather(-1, value).squeeze(-1)

    def entropy(self):
        """-sum p log p, with log 0 clamped to the dtype's most negative value (so 0 * log 0 = 0)."""
        logits = self.logits.clamp(min=tl.finfo(self.logits.dtype).min)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        return self._support_values(self._num_events, tl.int64, expand)
