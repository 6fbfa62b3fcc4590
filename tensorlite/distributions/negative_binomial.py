"""NegativeBinomial(total_count, probs | logits): failures before total_count successes,
P(k) = C(k + r - 1, k) p^k (1 - p)^r (p the probability of a *failure*, as in PyTorch)."""
from __future__ import annotations

import numpy as np

import tensorlite as tl

from ..tensor import Size, Tensor
from . import constraints
from ._params import ProbsLogitsMixin
from .distribution import Distribution
from .gamma import Gamma
from .utils import _draw, lazy_property

__all__ = ["NegativeBinomial"]


class NegativeBinomial(ProbsLogitsMixin, Distribution):
    """A Gamma-Poisson mixture: samples are Poisson(lambda), lambda ~ Gamma(total_count, e^-logits)."""

    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0), "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args: bool | None = None) -> None:
        (total_count,) = self._init_probs_or_logits(probs, logits, total_count)
        self.total_count = total_count.type_as(self._param)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand(NegativeBinomial, batch_shape, _instance, "total_count")

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.logits.exp()

    @property
    def mode(self) -> Tensor:
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self) -> Tensor:
        return self.mean / (-self.logits).sigmoid()

    @lazy_property
    def _gamma(self) -> Gamma:
        return Gamma(concentration=self.total_count, rate=(-self.logits).exp(), validate_args=False)

    def sample(self, sample_shape=Size()) -> Tensor:
        with tl.no_grad():
            rate = self._gamma.sample(sample_shape=sample_shape)
            lam = rate._host().astype(np.float64)
            return _draw(lambda rng, s: rng.poisson(lam), rate.shape, rate.dtype, rate.device)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        F = tl.nn.functional
        log_unnormalized_prob = self.total_count * F.logsigmoid(-self.logits) + value * F.logsigmoid(self.logits)
        log_normalization = (-tl.lgamma(self.total_count + value) + tl.lgamma(1.0 + value)
                             + tl.lgamma(self.total_count))
        log_normalization = log_normalization.masked_fill(self.total_count + value == 0.0, 0.0)  # r = k = 0
        return log_unnormalized_prob - log_normalization
