"""Geometric(probs | logits): the number of failures before the first success, P(k) = (1-p)^k p."""
from __future__ import annotations

import tensorlite as tl

from ..tensor import Size, Tensor
from . import constraints
from ._params import ProbsLogitsMixin
from .distribution import Distribution
from .utils import _uniform, broadcast_all

__all__ = ["Geometric"]


class Geometric(ProbsLogitsMixin, Distribution):
    """Support {0, 1, 2, ...}; probs in (0, 1] (validated positive)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        self._init_probs_or_logits(probs, logits)
        super().__init__(self._param.size(), validate_args=validate_args)
        if self._validate_args and probs is not None:
            value = self.probs
            valid = value > 0
            if not bool(valid.all()):
                raise ValueError(f"Expected parameter probs ({type(value).__name__} of shape {tuple(value.shape)}) "
                                 f"of distribution {self!r} to be positive but found invalid values:\n"
                                 f"{value.detach()[~valid]}")

    def expand(self, batch_shape, _instance=None):
        return self._expand(Geometric, batch_shape, _instance)

    @property
    def mean(self) -> Tensor:
        return 1.0 / self.probs - 1.0

    @property
    def mode(self) -> Tensor:
        return tl.zeros_like(self.probs)

    @property
    def variance(self) -> Tensor:
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=Size()) -> Tensor:
        """floor(log u / log(1 - p)), u ~ U(tiny, 1)."""
        tiny = tl.finfo(self.probs.dtype).tiny
        with tl.no_grad():
            u = _uniform(self._extended_shape(sample_shape), self.probs.dtype, self.probs.device).clamp(min=tiny)
            return (u.log() / (-self.probs).log1p()).floor()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        probs = tl.where((probs == 1) & (value == 0), 0.0, probs)  # 0 * log(0) = 0 at p = 1, k = 0
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self):
        bce = tl.nn.functional.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")
        return bce / self.probs
