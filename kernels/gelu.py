"""GELU forward and backward kernels.

Contract
--------
``gelu_forward(x, approximate="none") -> y``

* ``x``: a NumPy or CuPy array of any shape (0-d and empty included), dtype float32 or
  float64; any strides (the native implementation copies non-contiguous input).
* ``y``: a new array, same shape and dtype as ``x``, on the same device.
* ``approximate="none"``:  y = 0.5 x (1 + erf(x / sqrt(2)))
  ``approximate="tanh"``:  y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3)))
* Special values: gelu(+inf) = +inf; gelu(-inf) = nan (-inf * 0, as in PyTorch float64);
  nan -> nan.
* Accuracy: the exact form is computed as 0.5 x erfc(-x / sqrt(2)) and the tanh form as
  x / (1 + exp(-2u)) with u = sqrt(2/pi) (x + 0.044715 x**3), since 0.5 (1 + tanh u) =
  sigmoid(2u).  These are the same functions without the cancellation of 1 + erf(.) and
  1 + tanh(.) for x << 0, so the left tail keeps its relative accuracy (exact gelu(-10)
  = -7.6e-23 where PyTorch returns -0.0).  Both implementations compute in float64 and
  round once to the input dtype, so they agree to an ulp or two (tests/test_build.py
  states the tolerances).

``gelu_backward(grad, x, approximate="none") -> grad_x``

* ``grad``, ``x``: arrays of one shape and dtype (float32 or float64); ``grad_x`` new, of that dtype:
  ``approximate="none"``:  grad * (Phi(x) + x phi(x)),  Phi(x) = erfc(-x/sqrt 2)/2,
  phi(x) = exp(-x^2/2)/sqrt(2 pi);
  ``approximate="tanh"``:  grad * (s + 2 x s (1 - s) u'),  s = sigmoid(2u),
  u' = sqrt(2/pi) (1 + 3 * 0.044715 x^2).
  Computed in float64, rounded once.  (The Tensor-op formula in tensorlite/ops/activation.py, the
  same math, serves create_graph=True; this kernel is the first-order backward's single pass.)

Implementations: ``reference`` (NumPy/CuPy, cpu and cuda), ``native`` (C++, cpu).
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from . import _native
from ._registry import dispatch, register
from ._xp import _xp, device_of
from .special import erfc

KERNEL = "gelu_forward"
BACKWARD = "gelu_backward"
APPROXIMATIONS = ("none", "tanh")

_INV_SQRT2 = math.sqrt(0.5)  # correctly rounded, the same double as the C++ literal
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_CUBIC = 0.044715
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _check(x: Any, approximate: str) -> None:
    if approximate not in APPROXIMATIONS:
        raise ValueError(f"gelu_forward: approximate must be one of {APPROXIMATIONS}, got {approximate!r}")
    if x.dtype not in (numpy.float32, numpy.float64):
        raise TypeError(f"gelu_forward: expected a float32 or float64 array, got dtype {x.dtype}")


def gelu_forward(x: Any, approximate: str = "none") -> Any:
    """GELU of ``x`` by the implementation the registry picks (see the module docstring)."""
    x = _xp(x).asarray(x)
    _check(x, approximate)
    return dispatch(KERNEL, device_of(x))(x, approximate)


@register(KERNEL, "reference")
def gelu_forward_reference(x: Any, approximate: str = "none") -> Any:
    """The spec: the formulas of the module docstring in float64, rounded once to x.dtype."""
    xp = _xp(x)
    _check(x, approximate)
    v = x.astype(xp.float64, copy=False)
    # -inf * 0 and -inf / inf (gelu(-inf) = nan), v**3 and exp(-2u) overflowing are part of
    # the contract, not accidents: no warnings for them.  (CuPy never warns; errstate is NumPy's.)
    with numpy.errstate(invalid="ignore", over="ignore"):
        if approximate == "none":
            y = 0.5 * v * erfc(-v * _INV_SQRT2)
        else:
            u = _SQRT_2_OVER_PI * (v + _CUBIC * v * v * v)
            y = v / (1.0 + xp.exp(-2.0 * u))
    return y.astype(x.dtype, copy=False)


@register(KERNEL, "native", available=_native.is_available)
def gelu_forward_native(x: Any, approximate: str = "none") -> Any:
    """C++ (csrc/gelu.cpp): one OpenMP pass over a C-contiguous copy of x when x is strided."""
    _check(x, approximate)
    if not isinstance(x, numpy.ndarray):
        raise TypeError(f"gelu_forward native: expected a numpy.ndarray, got {type(x).__name__}")
    if not x.dtype.isnative:  # the C++ side reads native byte order only
        x = x.astype(x.dtype.newbyteorder("="))
    if not x.flags.c_contiguous:
        x = numpy.ascontiguousarray(x)  # 0-d arrays are always contiguous, so ndim >= 1 here
    return _native.require().gelu_forward(x, approximate == "tanh")


def _check_backward(grad: Any, x: Any, approximate: str) -> None:
    _check(x, approximate)
    if grad.dtype != x.dtype or grad.shape != x.shape:
        raise ValueError(f"gelu_backward: grad {grad.dtype} {grad.shape} must match x {x.dtype} {x.shape}")


def gelu_backward(grad: Any, x: Any, approximate: str = "none") -> Any:
    """grad * GELU'(x) by the implementation the registry picks (see the module docstring)."""
    xp = _xp(x)
    grad, x = xp.asarray(grad), xp.asarray(x)
    _check_backward(grad, x, approximate)
    return dispatch(BACKWARD, device_of(x))(grad, x, approximate)


@register(BACKWARD, "reference")
def gelu_backward_reference(grad: Any, x: Any, approximate: str = "none") -> Any:
    """The spec: the derivative formulas of the module docstring in float64, rounded once."""
    xp = _xp(x)
    _check_backward(grad, x, approximate)
    v = x.astype(xp.float64, copy=False)
    with numpy.errstate(invalid="ignore", over="ignore"):
        if approximate == "none":
            slope = 0.5 * erfc(-v * _INV_SQRT2) + v * xp.exp(-0.5 * v * v) * _INV_SQRT_2PI
        else:
            s = 1.0 / (1.0 + xp.exp(-2.0 * _SQRT_2_OVER_PI * (v + _CUBIC * v * v * v)))
            slope = s + 2.0 * v * s * (1.0 - s) * (_SQRT_2_OVER_PI * (1.0 + 3.0 * _CUBIC * v * v))
        # (asarray: on 0-d inputs NumPy's arithmetic gives a scalar, and the contract says array)
        return xp.asarray((grad.astype(xp.float64, copy=False) * slope).astype(x.dtype, copy=False))


@register(BACKWARD, "native", available=_native.is_available)
def gelu_backward_native(grad: Any, x: Any, approximate: str = "none") -> Any:
    """C++ (csrc/gelu.cpp): one OpenMP pass (strided or non-native-order inputs are copied first)."""
    _check_backward(grad, x, approximate)
    if not isinstance(x, numpy.ndarray) or not isinstance(grad, numpy.ndarray):
        raise TypeError(f"gelu_backward native: expected numpy.ndarrays, got {type(grad).__name__}, "
                        f"{type(x).__name__}")
    grad, x = (a if a.dtype.isnative else a.astype(a.dtype.newbyteorder("=")) for a in (grad, x))
    return _native.require().gelu_backward(grad, x, approximate == "tanh")
