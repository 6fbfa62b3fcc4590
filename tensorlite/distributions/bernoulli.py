"""Bernoulli(probs | logits): 1 with probability p, 0 with probability 1 - p."""
from __future__ import annotations

import math

import tensorlite as tl

from ..tensor import Size, Tensor
from . import constraints
from ._params import ProbsLogitsMixin
from .exp_family import ExponentialFamily
from .utils import _uniform, broadcast_all

__all__ = ["Bernoulli"]


class Bernoulli(ProbsLogitsMixin, ExponentialFamily):
    """Parameterised by exactly one of `probs` (in [0, 1]) or `logits` (log odds)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True
    _mean_carrier_measure = 0

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        self._init_probs_or_logits(probs, logits)
        batch_shape = self._param.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand(Bernoulli, batch_shape, _instance)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        """1 where p > 1/2, 0 where p < 1/2, NaN at p = 1/2 (no unique mode)."""
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return tl.where(self.probs == 0.5, math.nan, mode)

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with tl.no_grad():
            u = _uniform(shape, self.probs.dtype, self.probs.device)
            return (u < self.probs.expand(shape)).to(self.probs.dtype)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -tl.nn.functional.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return tl.nn.functional.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        return self._support_values(2, self._param.dtype, expand)

    @property
    def _natural_params(self) -> tuple:
        return (tl.logit(self.probs),)

    def _log_normalizer(self, x):
        return x.exp().log1p()
