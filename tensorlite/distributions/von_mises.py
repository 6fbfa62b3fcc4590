"""VonMises(loc, concentration): the circular normal distribution, density exp(k cos(x - loc)) / (2 pi I0(k)).

log I0 and log I1 come from tl.special.i0e / i1e, accurate to float64; PyTorch evaluates them with
Abramowitz-Stegun polynomial fits good to ~2e-7, so log_prob and variance agree with PyTorch's to about
that. Samples come from Best and Fisher's rejection sampler (on the host, in float64); there is no
rsample, as in PyTorch.
"""
from __future__ import annotations

import math

import numpy as np

import tensorlite as tl

from ..tensor import Size, Tensor
from . import constraints
from ._params import LocAsMeanAndMode
from .distribution import Distribution
from .utils import _draw, broadcast_all, lazy_property

__all__ = ["VonMises"]


def _log_modified_bessel_fn(x: Tensor, order: int = 0) -> Tensor:
    """log I_order(x) for x > 0, order 0 or 1: log of the exponentially scaled Bessel function, plus x."""
    if order not in (0, 1):
        raise AssertionError(f"order must be 0 or 1, got {order}")
    scaled = tl.special.i0e(x) if order == 0 else tl.special.i1e(x)
    return scaled.log() + x


def _rejection_sample(loc: np.ndarray, kappa: np.ndarray, rng) -> np.ndarray:
    """Best-Fisher sampler: wrapped-Cauchy proposals accepted with the von Mises / proposal ratio."""
    tau = 1 + np.sqrt(1 + 4 * kappa ** 2)
    rho = (tau - np.sqrt(2 * tau)) / (2 * kappa)
    r = np.where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho ** 2) / (2 * rho))  # Taylor form for tiny kappa
    x = np.empty(loc.shape)
    done = np.zeros(loc.shape, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        while not done.all():
            u1, u2, u3 = rng.random((3,) + loc.shape)
            z = np.cos(math.pi * u1)
            f = (1 + r * z) / (r + z)
            c = kappa * (r - f)
            accept = ~done & ((c * (2 - c) - u2 > 0) | (np.log(c / u2) + 1 - c >= 0))
            x = np.where(accept, np.sign(u3 - 0.5) * np.arccos(np.clip(f, -1, 1)), x)
            done |= accept
    return (x + math.pi + loc) % (2 * math.pi) - math.pi


class VonMises(LocAsMeanAndMode, Distribution):
    """mean (the circular mean) and mode are loc."""

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc: Tensor, concentration: Tensor, validate_args: bool | None = None) -> None:
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, Size(), validate_args)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.concentration * (value - self.loc).cos()
        return log_prob - math.log(2 * math.pi) - _log_modified_bessel_fn(self.concentration, order=0)

    def sample(self, sample_shape=Size()) -> Tensor:
        """Angles in [-pi, pi)."""
        shape = tuple(self._extended_shape(sample_shape))
        loc = np.broadcast_to(self.loc.detach()._host().astype(np.float64), shape)
        kappa = np.broadcast_to(self.concentration.detach()._host().astype(np.float64), shape)
        return _draw(lambda rng, s: _rejection_sample(loc, kappa, rng), shape, self.loc.dtype, self.loc.device)

    def expand(self, batch_shape, _instance=None):
        validate_args = self.__dict__.get("_validate_args")
        return type(self)(self.loc.expand(batch_shape), self.concentration.expand(batch_shape),
                          validate_args=validate_args)

    @lazy_property
    def variance(self) -> Tensor:
        """The circular variance 1 - I1(k)/I0(k)."""
        log_ratio = (_log_modified_bessel_fn(self.concentration, order=1)
                     - _log_modified_bessel_fn(self.concentration, order=0))
        return 1 - log_ratio.exp()
