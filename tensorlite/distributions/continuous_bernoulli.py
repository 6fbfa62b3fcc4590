"""ContinuousBernoulli(probs | logits) (Loaiza-Ganem and Cunningham, 2019): density C(p) p^x (1-p)^(1-x)
on [0, 1], the proper likelihood for [0, 1]-valued data in VAEs (a Bernoulli likelihood on such data
is not normalised).

C(p) = 2 atanh(1 - 2p) / (1 - 2p) is 0/0 at p = 1/2, so inside `lims` (default (0.499, 0.501)) the
quantities that contain it use second-order Taylor expansions around 1/2, as PyTorch does.
"""
from __future__ import annotations

import math

import tensorlite as tl

from ..tensor import Size, Tensor
from . import constraints
from ._params import ProbsLogitsMixin
from .exp_family import ExponentialFamily
from .utils import _uniform, broadcast_all, clamp_probs, lazy_property, logits_to_probs

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(ProbsLogitsMixin, ExponentialFamily):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims: tuple = (0.499, 0.501),
                 validate_args: bool | None = None) -> None:
        self._init_probs_or_logits(probs, logits)
        if probs is not None:
            if validate_args is not None and not bool(self.arg_constraints["probs"].check(self.probs).all()):
                raise ValueError("The parameter probs has invalid values")
            self._set_param("probs", clamp_probs(self.probs))
        batch_shape = self._param.size()
        self._lims = lims
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand(ContinuousBernoulli, batch_shape, _instance)
        new._lims = self._lims
        return new

    def _outside_unstable_region(self) -> Tensor:
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self) -> Tensor:
        """probs, moved to lims[0] inside the unstable region (so the exact branch stays finite there)."""
        return tl.where(self._outside_unstable_region(), self.probs, self._lims[0] * tl.ones_like(self.probs))

    def _cont_bern_log_norm(self) -> Tensor:
        """log C(p) = log|log(1-p) - log p| - log|1 - 2p|; log 2 + 4/3 x + 104/45 x^2 (x = (p - 1/2)^2) near 1/2."""
        cut_probs = self._cut_probs()
        below_half = tl.where(cut_probs <= 0.5, cut_probs, tl.zeros_like(cut_probs))
        above_half = tl.where(cut_probs >= 0.5, cut_probs, tl.ones_like(cut_probs))
        log_norm = ((-cut_probs).log1p() - cut_probs.log()).abs().log() - tl.where(
            cut_probs <= 0.5, (-2.0 * below_half).log1p(), (2.0 * above_half - 1.0).log())
        x = (self.probs - 0.5).pow(2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return tl.where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self) -> Tensor:
        cut_probs = self._cut_probs()
        mus = cut_probs / (2.0 * cut_probs - 1.0) + 1.0 / ((-cut_probs).log1p() - cut_probs.log())
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2)) * x
        return tl.where(self._outside_unstable_region(), mus, taylor)

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    @property
    def variance(self) -> Tensor:
        cut_probs = self._cut_probs()
        vars_ = (cut_probs * (cut_probs - 1.0) / (1.0 - 2.0 * cut_probs).pow(2)
                 + 1.0 / ((-cut_probs).log1p() - cut_probs.log()).pow(2))
        x = (self.probs - 0.5).pow(2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return tl.where(self._outside_unstable_region(), vars_, taylor)

    @lazy_property
    def probs(self) -> Tensor:
        """sigmoid(logits), clamped away from 0 and 1 (as PyTorch's)."""
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    def sample(self, sample_shape=Size()) -> Tensor:
        with tl.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=Size()) -> Tensor:
        """icdf(u), u ~ U(0, 1): differentiable in the parameters."""
        u = _uniform(self._extended_shape(sample_shape), self.probs.dtype, self.probs.device)
        return self.icdf(u)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        bce = tl.nn.functional.binary_cross_entropy_with_logits(logits, value, reduction="none")
        return -bce + self._cont_bern_log_norm()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        cut_probs = self._cut_probs()
        cdfs = (cut_probs.pow(value) * (1.0 - cut_probs).pow(1.0 - value) + cut_probs - 1.0) / (2.0 * cut_probs - 1.0)
        unbounded_cdfs = tl.where(self._outside_unstable_region(), cdfs, value)
        return tl.where(value <= 0.0, tl.zeros_like(value), tl.where(value >= 1.0, tl.ones_like(value), unbounded_cdfs))

    def icdf(self, value):
        cut_probs = self._cut_probs()
        exact = (((-cut_probs + value * (2.0 * cut_probs - 1.0)).log1p() - (-cut_probs).log1p())
                 / (cut_probs.log() - (-cut_probs).log1p()))
        return tl.where(self._outside_unstable_region(), exact, value)

    def entropy(self):
        log_probs0 = (-self.probs).log1p()
        log_probs1 = self.probs.log()
        return self.mean * (log_probs0 - log_probs1) - self._cont_bern_log_norm() - log_probs0

    @property
    def _natural_params(self) -> tuple:
        return (self.logits,)

    def _log_normalizer(self, x):
        """log((e^x - 1) / x), by Taylor expansion near x = 0."""
        out_unst_reg = (x <= self._lims[0] - 0.5) | (x > self._lims[1] - 0.5)
        cut_nat_params = tl.where(out_unst_reg, x, (self._lims[0] - 0.5) * tl.ones_like(x))
        log_norm = cut_nat_params.expm1().abs().log() - cut_nat_params.abs().log()
        taylor = 0.5 * x + x.pow(2) / 24.0 - x.pow(4) / 2880.0
        return tl.where(out_unst_reg, log_norm, taylor)
