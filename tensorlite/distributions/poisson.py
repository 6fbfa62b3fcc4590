"""Poisson(rate): P(k) = rate^k e^-rate / k! on k = 0, 1, 2, ..."""
from __future__ import annotations

import numpy as np

import tensorlite as tl

from ..tensor import Size, Tensor
from . import constraints
from ._params import expand_params
from .exp_family import ExponentialFamily
from .utils import _draw, broadcast_all

__all__ = ["Poisson"]


class Poisson(ExponentialFamily):
    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        return self.rate

    def __init__(self, rate, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return expand_params(self, Poisson, batch_shape, _instance, "rate")

    def sample(self, sample_shape=Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        rate = np.broadcast_to(self.rate.detach()._host().astype(np.float64), tuple(shape))
        return _draw(lambda rng, s: rng.poisson(rate), shape, self.rate.dtype, self.rate.device)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return tl.xlogy(value, rate) - rate - tl.lgamma(value + 1)

    @property
    def _natural_params(self) -> tuple:
        return (self.rate.log(),)

    def _log_normalizer(self, x):
        return x.exp()
