"""Random fills in place (`x.uniform_()`, `x.normal_()`, `x.random_()`, ...) and `tl.poisson`.

Each fill is written out of place here (a fresh tensor of x's shape, dtype and device, drawn on the
host from the global generator or `generator=`); `ops/__init__.py` turns it into the in-place
method through `Tensor._inplace`, which gives it PyTorch's autograd rules (a leaf that requires
grad refuses, a non-leaf gets a zero gradient for its old history).
"""
from __future__ import annotations

import math

import numpy as np

from ..creation import _place, bernoulli, multinomial
from ..random import numpy_generator
from ..tensor import Tensor

__all__ = ["poisson"]


def _like(x: Tensor, values: np.ndarray) -> Tensor:
    """`values` (host, any dtype) as a tensor of x's dtype on x's device."""
    return _place(np.asarray(values).astype(x._data.dtype, copy=False), x.device, False)


def _floating_only(x: Tensor, op: str) -> None:
    if not x.is_floating_point():  # PyTorch: NotImplementedError (a RuntimeError) for integer dtypes
        raise NotImplementedError(f"{op}: not implemented for dtype {x.dtype} (expected a floating point tensor)")


def _from_to(args: tuple, kwargs: dict, defaults: tuple, op: str) -> tuple:
    """PyTorch's (from, to) pair, positional or as keywords ('from' is a Python keyword: pass it in **{})."""
    names = ("from", "to")
    values = dict(zip(names, defaults))
    if len(args) > 2:
        raise TypeError(f"{op}() takes at most 2 positional arguments ({len(args)} given)")
    values.update(zip(names, args))
    for k in list(kwargs):
        if k not in names:
            raise TypeError(f"{op}() got an unexpected keyword argument '{k}'")
        values[k] = kwargs.pop(k)
    return values["from"], values["to"]


def uniform(x: Tensor, *args, generator=None, **kwargs) -> Tensor:
    """Values uniform on [from, to) (default [0, 1))."""
    _floating_only(x, "uniform_")
    lo, hi = _from_to(args, kwargs, (0.0, 1.0), "uniform_")
    if lo > hi:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={lo} > to={hi}")
    return _like(x, numpy_generator(generator).uniform(lo, hi, x._data.shape))


def normal(x: Tensor, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    """Values drawn from N(mean, std^2)."""
    _floating_only(x, "normal_")
    if std < 0:
        raise RuntimeError(f"normal_ expects std >= 0.0, but found std {std}")
    return _like(x, numpy_generator(generator).normal(mean, std, x._data.shape))


def _random_upper(x: Tensor) -> int:
    """random_()'s default bound: the largest integer the dtype holds exactly (2^mantissa bits for floats)."""
    if x._data.dtype.kind == "b":
        return 1
    if x.is_floating_point():
        return 2 ** {2: 8 if x._data.dtype.kind == "V" else 11, 4: 24, 8: 53}[x._data.itemsize]
    return int(np.iinfo(x._data.dtype).max)


def random(x: Tensor, *args, generator=None, **kwargs) -> Tensor:
    """Integers uniform on [from, to); `random_(to)` means [0, to); `random_()` spans the dtype's exact integers."""
    if len(args) == 1 and not kwargs:
        lo, hi = 0, args[0]
    else:
        lo, hi = _from_to(args, kwargs, (0, None), "random_")
    top = _random_upper(x) if hi is None else hi - 1  # inclusive (2^63 - 1 + 1 would overflow int64)
    if lo > top:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={lo} >= to={hi}")
    return _like(x, numpy_generator(generator).integers(lo, top, x._data.shape, endpoint=True))


def _bernoulli(x: Tensor, p=0.5, *, generator=None) -> Tensor:
    """1 with probability p (a number or a tensor broadcast to x), else 0."""
    probs = p._host() if isinstance(p, Tensor) else p
    if np.any((np.asarray(probs) < 0) | (np.asarray(probs) > 1)):
        raise RuntimeError("bernoulli_: expects p to be in [0, 1]")
    draws = numpy_generator(generator).random(x._data.shape) < probs
    return _like(x, draws)


def exponential(x: Tensor, lambd: float = 1.0, *, generator=None) -> Tensor:
    """Values from the exponential distribution with rate lambd."""
    _floating_only(x, "exponential_")
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return _like(x, numpy_generator(generator).exponential(1.0 / lambd, x._data.shape))


def geometric(x: Tensor, p: float, *, generator=None) -> Tensor:
    """Number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    return _like(x, numpy_generator(generator).geometric(p, x._data.shape))


def log_normal(x: Tensor, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
    """exp of N(mean, std^2) draws."""
    _floating_only(x, "log_normal_")
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    return _like(x, numpy_generator(generator).lognormal(mean, std, x._data.shape))


def cauchy(x: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
    """median + sigma * tan(pi * (u - 1/2)) for u uniform on (0, 1)."""
    _floating_only(x, "cauchy_")
    u = numpy_generator(generator).random(x._data.shape)
    return _like(x, median + sigma * np.tan(math.pi * (u - 0.5)))


def poisson(input: Tensor, generator=None) -> Tensor:
    """Counts drawn from Poisson(rate) for each element's rate; same dtype as input."""
    if not isinstance(input, Tensor):
        raise TypeError(f"poisson(): argument 'input' must be Tensor, not {type(input).__name__}")
    _floating_only(input, "poisson")
    rates = input._host()
    if not (rates >= 0).all():  # NaN fails this too
        raise RuntimeError("poisson: invalid Poisson rate, expected every rate to be non-negative (and not NaN)")
    return _like(input, numpy_generator(generator).poisson(rates.astype(np.float64)))


TENSOR_METHODS = {"bernoulli": bernoulli, "multinomial": multinomial}
INPLACE = {"uniform": uniform, "normal": normal, "random": random, "bernoulli": _bernoulli,
           "exponential": exponential, "geometric": geometric, "log_normal": log_normal, "cauchy": cauchy}
