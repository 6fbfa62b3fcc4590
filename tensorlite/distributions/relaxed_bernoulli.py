"""RelaxedBernoulli (binary Concrete / Gumbel-softmax): a differentiable relaxation of Bernoulli.

LogitRelaxedBernoulli samples x = (logit(u) + logits) / temperature; RelaxedBernoulli is sigmoid(x), in
(0, 1), approaching a Bernoulli sample as the temperature goes to 0.
"""
from __future__ import annotations

from ..tensor import Size, Tensor
from . import constraints
from ._params import ProbsLogitsMixin, RelaxedParamsMixin
from .distribution import Distribution
from .transformed_distribution import TransformedDistribution
from .transforms import SigmoidTransform
from .utils import _uniform, broadcast_all, clamp_probs

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli"]


class LogitRelaxedBernoulli(ProbsLogitsMixin, Distribution):
    """The logit of a RelaxedBernoulli sample; `temperature` a tensor, one of `probs` or `logits`."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real

    def __init__(self, temperature: Tensor, probs=None, logits=None, validate_args: bool | None = None) -> None:
        self.temperature = temperature
        self._init_probs_or_logits(probs, logits)
        batch_shape = self._param.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand(LogitRelaxedBernoulli, batch_shape, _instance)
        new.temperature = self.temperature
        return new

    def rsample(self, sample_shape=Size()) -> Tensor:
        """(logit(u) + logit(p)) / temperature, u ~ U(0, 1) (u and p clamped away from 0 and 1)."""
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.expand(shape))
        uniforms = clamp_probs(_uniform(shape, probs.dtype, probs.device))
        return (uniforms.log() - (-uniforms).log1p() + probs.log() - (-probs).log1p()) / self.temperature

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value.mul(self.temperature)
        return self.temperature.log() + diff - 2 * diff.exp().log1p()


class RelaxedBernoulli(RelaxedParamsMixin, TransformedDistribution):
    """sigmoid of a LogitRelaxedBernoulli sample: values in (0, 1), reparameterised."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature: Tensor, probs=None, logits=None, validate_args: bool | None = None) -> None:
        base_dist = LogitRelaxedBernoulli(temperature, probs, logits)
        super().__init__(base_dist, SigmoidTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(RelaxedBernoulli, _instance)
        return super().expand(batch_shape, _instance=new)
