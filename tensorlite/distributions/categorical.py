"""Categorical(probs | logits): one of K classes {0, ..., K-1}, parameters over the last dimension."""
from __future__ import annotations

import math

import numpy as np

import tensorlite as tl

from ..tensor import Size, Tensor
from . import constraints
from .distribution import Distribution
from .utils import _draw, lazy_property, logits_to_probs, probs_to_logits

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


class Categorical(Distribution):
    """Exactly one of `probs` (nonnegative, normalised over the last dim) or `logits` (unnormalised log
    probabilities). batch_shape = param.shape[:-1]; samples are int64 class indices."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.size()[-1]
        batch_shape = self._param.size()[:-1] if self._param.ndimension() > 1 else Size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Categorical, _instance)
        batch_shape = Size(batch_shape)
        param_shape = batch_shape + (self._num_events,)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(param_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(param_shape)
            new._param = new.logits
        new._num_events = self._num_events
        super(Categorical, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _new(self, *args, **kwargs):
        return self._param.new(*args, **kwargs)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> Size:
        return self._param.size()

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
        values = tl.arange(self._num_events, dtype=tl.int64, device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values
