"""Parameter plumbing shared by the distribution families, so each family's file holds its own math.

- `ProbsLogitsMixin`: families given by exactly one of `probs` or `logits` (Bernoulli, Binomial,
  Categorical, ...). The other one is computed on first use: logits = log(p / (1 - p)) and
  p = sigmoid(logits) for binary families, logits = log p and p = softmax(logits) over the last dim
  for categorical ones (`_binary = False`).
- `CategoricalParamsMixin`: families built on a Categorical over K classes (`self._categorical`, event
  shape (K,)), whose probs and logits are the Categorical's.
- `RelaxedParamsMixin`: the relaxed (Concrete) families, transforms of a base distribution that holds
  their temperature, probs and logits.
- `LocAsMeanAndMode`: symmetric unimodal families centred at `loc`, whose mean and mode are both loc.
- `expand_params`: the body of `expand` for families whose parameters all have the batch shape.
"""
from __future__ import annotations

import tensorlite as tl

from ..tensor import Size, Tensor
from .utils import broadcast_all, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["CategoricalParamsMixin", "LocAsMeanAndMode", "ProbsLogitsMixin", "RelaxedParamsMixin",
           "expand_params"]


def expand_params(dist, cls, batch_shape, _instance, *names: str):
    """dist.expand(batch_shape) for a `cls` whose attributes `names` (tensors or distributions) all have
    the batch shape: a new `cls` holding them expanded to `batch_shape` (views, no copy)."""
    new = dist._get_checked_instance(cls, _instance)
    batch_shape = Size(batch_shape)
    for name in names:
        setattr(new, name, getattr(dist, name).expand(batch_shape))
    super(cls, new).__init__(batch_shape, dist.event_shape, validate_args=False)
    new._validate_args = dist._validate_args
    return new


class LocAsMeanAndMode:
    """Mixin for families symmetric and unimodal about `loc`: mean = mode = loc."""

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc


class ProbsLogitsMixin:
    """Mixin for a Distribution given by exactly one of `probs` or `logits`; `_param` is the given one."""

    _binary = True  # sigmoid / log-odds; False: softmax / log over the last dim

    @staticmethod
    def _given(probs, logits) -> str:
        """'probs' or 'logits', whichever was given; ValueError unless exactly one was."""
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        return "probs" if probs is not None else "logits"

    def _set_param(self, name: str, value: Tensor) -> None:
        setattr(self, name, value)
        self._param = value

    def _init_probs_or_logits(self, probs, logits, *others) -> tuple:
        """Store whichever of probs/logits was given, broadcast with `others` (numbers become tensors; the
        first tensor among others-then-parameter sets their dtype); return the broadcast `others`."""
        name = self._given(probs, logits)
        *others, param = broadcast_all(*others, probs if name == "probs" else logits)
        self._set_param(name, param)
        return tuple(others)

    def _expand(self, cls, batch_shape, _instance, *names: str):
        """expand_params for `names`, and this distribution's probs and/or logits (whichever exist yet)
        expanded to the new batch shape (plus the class dim of categorical families)."""
        new = expand_params(self, cls, batch_shape, _instance, *names)
        param_shape = new.batch_shape + self._param.shape[len(self.batch_shape):]
        for name in ("probs", "logits"):
            if name in self.__dict__:
                new._set_param(name, getattr(self, name).expand(param_shape))
        return new

    def _new(self, *args, **kwargs) -> Tensor:
        return self._param.new(*args, **kwargs)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=self._binary)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=self._binary)

    @property
    def param_shape(self) -> Size:
        return self._param.size()

    def _support_values(self, count: int, dtype, expand: bool) -> Tensor:
        """0, 1, ..., count - 1 along dim 0, then a dim per batch dim (of size 1 unless `expand`)."""
        values = tl.arange(count, dtype=dtype, device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values


class CategoricalParamsMixin:
    """Mixin for a Distribution built on `self._categorical`, a Categorical over K classes."""

    def _init_categorical(self, probs, logits) -> tuple:
        """Build self._categorical from probs or logits; return (batch_shape, event_shape = (K,))."""
        from .categorical import Categorical  # noqa: PLC0415 - categorical.py imports this module

        self._categorical = Categorical(probs=probs, logits=logits)
        return self._categorical.batch_shape, self._categorical.param_shape[-1:]

    def _new(self, *args, **kwargs) -> Tensor:
        return self._categorical._new(*args, **kwargs)

    @property
    def _param(self) -> Tensor:
        return self._categorical._param

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def param_shape(self) -> Size:
        return self._categorical.param_shape


class RelaxedParamsMixin:
    """Mixin for a TransformedDistribution whose base_dist holds temperature, probs and logits."""

    @property
    def temperature(self) -> Tensor:
        return self.base_dist.temperature

    @property
    def logits(self) -> Tensor:
        return self.base_dist.logits

    @property
    def probs(self) -> Tensor:
        return self.base_dist.probs
