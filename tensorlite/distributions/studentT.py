"""StudentT(df, loc, scale): loc + scale * X / sqrt(V / df), X ~ N(0, 1), V ~ Chi2(df)."""
from __future__ import annotations

import math

import tensorlite as tl

from ..tensor import Size, Tensor
from . import constraints
from ._params import expand_params
from .distribution import Distribution
from .gamma import Chi2
from .utils import _standard_normal, broadcast_all

__all__ = ["StudentT"]


class StudentT(Distribution):
    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    @property
    def mean(self) -> Tensor:
        """loc for df > 1, else undefined (NaN)."""
        return tl.where(self.df <= 1, math.nan, self.loc)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        """scale^2 df / (df - 2) for df > 2, inf for 1 < df <= 2, NaN for df <= 1."""
        finite = self.scale.pow(2) * self.df / (self.df - 2)
        return tl.where(self.df > 2, finite, tl.where(self.df > 1, math.inf, math.nan))

    def __init__(self, df, loc=0.0, scale=1.0, validate_args: bool | None = None) -> None:
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self.df.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return expand_params(self, StudentT, batch_shape, _instance, "df", "loc", "scale", "_chi2")

    def rsample(self, sample_shape=Size()) -> Tensor:
        X = _standard_normal(self._extended_shape(sample_shape), self.df.dtype, self.df.device)
        Z = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * (X * (Z / self.df).rsqrt())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        Z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi) + tl.lgamma(0.5 * self.df)
             - tl.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * (y ** 2.0 / self.df).log1p() - Z

    def entropy(self):
        lbeta = tl.lgamma(0.5 * self.df) + math.lgamma(0.5) - tl.lgamma(0.5 * (self.df + 1))
        return (self.scale.log() + 0.5 * (self.df + 1) * (tl.digamma(0.5 * (self.df + 1)) - tl.digamma(0.5 * self.df))
                + 0.5 * self.df.log() + lbeta)
