"""Dirichlet(concentration): density prod x_i^(a_i - 1) / B(a) on the simplex (last dim = event)."""
from __future__ import annotations

import tensorlite as tl

from ..tensor import Size, Tensor
from . import constraints
from ._gamma import standard_gamma
from .exp_family import ExponentialFamily

__all__ = ["Dirichlet"]


class Dirichlet(ExponentialFamily):
    """rsample normalises independent Gamma(a_i, 1) draws, each reparameterised by implicit gradients.
    (PyTorch differentiates the normalised sample directly with a Beta-marginal formula; both are
    unbiased reparameterisations, so per-sample gradients differ while their expectations agree.)"""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration: Tensor, validate_args: bool | None = None) -> None:
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = Size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape + self.event_shape)
        super(Dirichlet, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=Size()) -> Tensor:
        gammas = standard_gamma(self.concentration.expand(self._extended_shape(sample_shape)))
        return gammas / gammas.sum(-1, keepdim=True)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (tl.xlogy(self.concentration - 1.0, value).sum(-1) + tl.lgamma(self.concentration.sum(-1))
                - tl.lgamma(self.concentration).sum(-1))

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self) -> Tensor:
        """(a - 1)+ normalised; where every a_i < 1 the mode is the vertex of the largest a_i."""
        concentrationm1 = (self.concentration - 1).clamp(min=0.0)
        mode = concentrationm1 / concentrationm1.sum(-1, True)
        all_below_one = (self.concentration < 1).all(dim=-1, keepdim=True)
        vertex = tl.nn.functional.one_hot(mode.argmax(dim=-1), concentrationm1.shape[-1]).to(mode.dtype)
        return tl.where(all_below_one, vertex, mode)

    @property
    def variance(self) -> Tensor:
        con0 = self.concentration.sum(-1, True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))

    def entropy(self):
        k = self.concentration.shape[-1]
        a0 = self.concentration.sum(-1)
        return (tl.lgamma(self.concentration).sum(-1) - tl.lgamma(a0) - (k - a0) * tl.digamma(a0)
                - ((self.concentration - 1.0) * tl.digamma(self.concentration)).sum(-1))

    @property
    def _natural_params(self) -> tuple:
        return (self.concentration,)

    def _log_normalizer(self, x):
        return tl.lgamma(x).sum(-1) - tl.lgamma(x.sum(-1))
