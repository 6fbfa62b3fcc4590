"""Binomial(total_count, probs | logits): the number of successes in total_count Bernoulli(p) trials."""
from __future__ import annotations

import numpy as np

import tensorlite as tl

from ..tensor import Size, Tensor
from . import constraints
from ._params import ProbsLogitsMixin
from .distribution import Distribution
from .utils import _draw

__all__ = ["Binomial"]


def _clamp_by_zero(x: Tensor) -> Tensor:
    """max(x, 0) with gradient 1/2 at 0 (as PyTorch's, so the normaliser's gradient matches)."""
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial(ProbsLogitsMixin, Distribution):
    """total_count (a number or tensor of nonnegative integers) broadcasts with probs/logits."""

    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args: bool | None = None) -> None:
        (total_count,) = self._init_probs_or_logits(probs, logits, total_count)
        self.total_count = total_count.type_as(self._param)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand(Binomial, batch_shape, _instance, "total_count")

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        return tl.minimum(((self.total_count + 1) * self.probs).floor(), self.total_count)

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        n = np.broadcast_to(self.total_count.detach()._host(), shape).astype(np.int64)
        p = np.broadcast_to(self.probs.detach()._host().astype(np.float64), shape)
        return _draw(lambda rng, s: rng.binomial(n, p), shape, self.probs.dtype, self.probs.device)

    def log_prob(self, value):
        """log C(n, k) + k logit - n log(1 + e^logit), the last term written to stay finite for any logit."""
        if self._validate_args:
            self._validate_sample(value)
        log_factorial_n = tl.lgamma(self.total_count + 1)
        log_factorial_k = tl.lgamma(value + 1)
        log_factorial_nmk = tl.lgamma(self.total_count - value + 1)
        normalize_term = (self.total_count * _clamp_by_zero(self.logits)
                          + self.total_count * (-self.logits.abs()).exp().log1p() - log_factorial_n)
        return value * self.logits - log_factorial_k - log_factorial_nmk - normalize_term

    def _homogeneous_count(self, what: str) -> int:
        total_count = int(self.total_count.max())
        if not self.total_count.min() == total_count:
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return total_count

    def entropy(self):
        self._homogeneous_count("entropy")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        total_count = self._homogeneous_count("enumerate_support")
        return self._support_values(1 + total_count, self._param.dtype, expand)
