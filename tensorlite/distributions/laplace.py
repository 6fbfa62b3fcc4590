"""Laplace(loc, scale): density exp(-|x - loc| / scale) / (2 scale)."""
from __future__ import annotations

import tensorlite as tl

from ..tensor import Size, Tensor
from . import constraints
from ._params import LocAsMeanAndMode, expand_params
from .distribution import Distribution
from .utils import _uniform, broadcast_all

__all__ = ["Laplace"]


class Laplace(LocAsMeanAndMode, Distribution):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    @property
    def variance(self) -> Tensor:
        return 2 * self.scale.pow(2)

    @property
    def stddev(self) -> Tensor:
        return (2 ** 0.5) * self.scale

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return expand_params(self, Laplace, batch_shape, _instance, "loc", "scale")

    def rsample(self, sample_shape=Size()) -> Tensor:
        """loc - scale * sign(u) * log(1 - |u|), u ~ U(eps - 1, 1) (never -1, so the log stays finite)."""
        eps = tl.finfo(self.loc.dtype).eps
        u = _uniform(self._extended_shape(sample_shape), self.loc.dtype, self.loc.device, low=eps - 1)
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 - 0.5 * (value - self.loc).sign() * (-(value - self.loc).abs() / self.scale).expm1()

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * (-2 * term.abs()).log1p()

    def entropy(self):
        return 1 + (2 * self.scale).log()
