"""ExponentialFamily: distributions with density exp(<t(x), theta> - F(theta) + k(x)).

Subclasses give the natural parameters theta (`_natural_params`), the log normaliser F
(`_log_normalizer`) and E[k(x)] (`_mean_carrier_measure`); entropy and the KL divergence between two
members of one family (a Bregman divergence of F) then follow from autograd: grad F(theta) = E[t(x)].
"""
from __future__ import annotations

import tensorlite as tl

from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Base class of the exponential families (Normal, Bernoulli, Exponential, Gamma, ...)."""

    @property
    def _natural_params(self) -> tuple:
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self) -> float:
        raise NotImplementedError

    def entropy(self):
        """H = F(theta) - <theta, grad F(theta)> - E[k(x)]."""
        result = -self._mean_carrier_measure
        nparams = [p.detach().requires_grad_() for p in self._natural_params]
        lg_normal = self._log_normalizer(*nparams)
        gradients = tl.autograd.grad(lg_normal.sum(), nparams, create_graph=True)
        result = result + lg_normal
        for nparam, g in zip(nparams, gradients):
            result = result - (nparam * g).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result
