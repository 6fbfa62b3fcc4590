"""Multinomial(total_count, probs | logits): counts of each of K classes in total_count categorical draws."""
from __future__ import annotations

import math

import numpy as np

import tensorlite as tl

from ..tensor import Size, Tensor
from . import constraints
from ._params import CategoricalParamsMixin, expand_params
from .binomial import Binomial
from .distribution import Distribution
from .utils import _draw, broadcast_all

__all__ = ["Multinomial"]


class Multinomial(CategoricalParamsMixin, Distribution):
    """total_count is a Python int (as in PyTorch); the event is the vector of K counts."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    total_count: int

    @property
    def mean(self) -> Tensor:
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def __init__(self, total_count: int = 1, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        batch_shape, event_shape = self._init_categorical(probs, logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = expand_params(self, Multinomial, batch_shape, _instance, "_categorical")
        new.total_count = self.total_count
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    def sample(self, sample_shape=Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        probs = self.probs.detach()._host().astype(np.float64)
        probs = probs / probs.sum(-1, keepdims=True)  # NumPy insists on sums within 1e-12 of 1
        return _draw(lambda rng, s: rng.multinomial(self.total_count, probs, size=tuple(shape[:-1])), shape,
                     self.probs.dtype, self.probs.device)

    def entropy(self):
        """n H(categorical) - log n! + sum_i E[log x_i!], the last term from each count's Binomial marginal."""
        n = self.total_count
        term1 = n * self._categorical.entropy() - math.lgamma(n + 1)
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = self._binomial.log_prob(support).exp()
        weights = tl.lgamma(support + 1)
        term2 = (binomial_probs * weights).sum([0, -1])
        return term1 + term2

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_factorial_n = tl.lgamma(value.sum(-1) + 1)
        log_factorial_xs = tl.lgamma(value + 1).sum(-1)
        logits = tl.where((value == 0) & (logits == -math.inf), 0.0, logits)  # 0 * log 0 = 0
        return log_factorial_n - log_factorial_xs + (logits * value).sum(-1)
