"""Gamma(concentration, rate) and Chi2(df) = Gamma(df/2, 1/2).

Density rate^a x^(a-1) e^(-rate x) / Gamma(a). rsample is reparameterised through implicit gradients of
the Gamma(a, 1) draw (see _gamma.py), as torch's.
"""
from __future__ import annotations

import tensorlite as tl

from ..tensor import Size, Tensor
from . import constraints
from ._gamma import standard_gamma
from ._params import expand_params
from .exp_family import ExponentialFamily
from .utils import broadcast_all

__all__ = ["Gamma", "Chi2"]


class Gamma(ExponentialFamily):
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate.pow(2)

    def __init__(self, concentration, rate, validate_args: bool | None = None) -> None:
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return expand_params(self, Gamma, batch_shape, _instance, "concentration", "rate")

    def rsample(self, sample_shape=Size()) -> Tensor:
        """G / rate with G ~ Gamma(concentration, 1) (at least the dtype's tiny, so log stays finite)."""
        shape = self._extended_shape(sample_shape)
        return standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)

    def log_prob(self, value):
        if not isinstance(value, Tensor):
            value = tl.tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        return (tl.xlogy(self.concentration, self.rate) + tl.xlogy(self.concentration - 1, value)
                - self.rate * value - tl.lgamma(self.concentration))

    def entropy(self):
        return (self.concentration - self.rate.log() + tl.lgamma(self.concentration)
                + (1.0 - self.concentration) * tl.digamma(self.concentration))

    @property
    def _natural_params(self) -> tuple:
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x, y):
        return tl.lgamma(x + 1) + (x + 1) * (-y.reciprocal()).log()

    def cdf(self, value):
        """P(concentration, rate * value): the regularised lower incomplete gamma function."""
        if self._validate_args:
            self._validate_sample(value)
        return tl.special.gammainc(self.concentration, self.rate * value)


class Chi2(Gamma):
    """Chi-squared with `df` degrees of freedom."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args: bool | None = None) -> None:
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Chi2, _instance)
        return super().expand(batch_shape, new)

    @property
    def df(self) -> Tensor:
        return self.concentration * 2
