"""int8 matrix multiplication: the exact int8 x int8 -> int32 product, weight packing, and the
fused quantized-linear form.

Contract
--------
``int8_matmul(a, b) -> c``
    ``a`` int8 (M, K), ``b`` int8 (K, N) or a :class:`PackedInt8Weight`; ``c`` int32 (M, N),
    ``c = a.astype(int32) @ b.astype(int32)``, exact.  (|c| <= 128 * 128 * K, so it cannot
    overflow for K <= 131071; beyond that every implementation wraps modulo 2**32 the same way.)

``pack_int8_weight(b) -> PackedInt8Weight``
    ``b`` int8 (K, N), packed once for repeated use (a layer's weight).  The layout,
    ``"k4n64u8"``, is the one the native micro-kernel reads (csrc/int8_matmul.cpp):
    columns in panels of 64, K in groups of 4, each byte stored as ``b + 128`` (unsigned, for
    the AVX-512 VNNI ``vpdpbusd`` u8 x s8 instruction); padding holds 128 (= b of 0):

        data[((p * K4 + g) * 64 + c) * 4 + q] = uint8(b[4 g + q, 64 p + c] + 128),  K4 = ceil(K / 4)

    plus ``col_sums`` = ``b.sum(0)`` as int32 (for the zero-point correction).  Every
    implementation writes and reads this same layout, so a weight packed by one serves all.

``int8_linear(a, w, a_scale, w_scale, a_zero_point=None, w_zero_point=None, bias=None, relu=False)``
    ``a`` int8 (M, K); ``w`` int8 (K, N) or a :class:`PackedInt8Weight`;
    ``a_scale`` float (M,) per row or a scalar; ``w_scale`` float (N,) per output column or a
    scalar; zero points: None, an int, or ints (M,) / (N,); ``bias`` None or float (N,):

        y = relu?((a - za) @ (w - zw) * a_scale[:, None] * w_scale[None, :] + bias)   float32 (M, N)

    The integer product is exact in int32 (wrapping modulo 2**32 like ``int8_matmul``; it
    cannot overflow while |a - za|, |w - zw| <= 255, e.g. int8 zero points, and K <= 33025).  The float part is
    computed in float64 by ``reference`` and rounded once; ``native`` works in float32 on the
    registers of the tile (int32 -> float, a_scale * w_scale, one fma with bias), so it
    differs by a few float32 ulps of ``|acc * scale| + |bias|`` (tests/test_kernels_int8.py
    states the bound).  ReLU keeps NaN (as torch.relu does).

Errors: a non-array or a wrong dtype (anything but int8 for ``a``/``b``, non-real scales,
non-integer zero points) raises TypeError; a wrong number of dims, mismatched K, or a scale /
zero point / bias of the wrong length raises ValueError; every message names the kernel and
the shapes.  Zero-size M, N or K are allowed (K = 0 gives zeros, and ``relu?(bias)`` in the
fused form).

Implementations: ``reference`` (NumPy/CuPy: int32 ``matmul``, which is not BLAS and slow,
but it is the spec) and ``native`` (C++, cpu; AVX-512 VNNI, AVX2 and portable paths picked
at run time, see ``tensorlite.kernels.cpu``).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy

from . import _native
from ._registry import dispatch, register
from ._xp import _xp, device_of

KERNEL_MATMUL = "int8_matmul"
KERNEL_LINEAR = "int8_linear"
KERNEL_PACK = "pack_int8_weight"

LAYOUT = "k4n64u8"
PANEL = 64  # columns per packed panel
GROUP = 4  # k per group
_INT32 = numpy.iinfo(numpy.int32)


@dataclass(frozen=True, eq=False)
class PackedInt8Weight:
    """An int8 (K, N) weight in the ``k4n64u8`` layout (see the module docstring).

    ``data``: uint8 (ceil(N/64) * ceil(K/4) * 256,); ``col_sums``: int32 (N,) = w.sum(0).
    Build it with :func:`pack_int8_weight`; ``unpack()`` gives the int8 (K, N) matrix back.
    """

    data: Any
    col_sums: Any
    k: int
    n: int
    layout: str = LAYOUT

    @property
    def shape(self) -> tuple[int, int]:
        return (self.k, self.n)

    @property
    def device(self) -> str:
        return device_of(self.data)

    def unpack(self) -> Any:
        """The int8 (K, N) weight: the inverse of the packing (the layout's readable spec)."""
        xp = _xp(self.data)
        k4, panels = -(-self.k // GROUP), -(-self.n // PANEL)
        blocks = self.data.reshape(panels, k4, PANEL, GROUP)  # [p, g, c, q]
        full = blocks.transpose(1, 3, 0, 2).reshape(k4 * GROUP, panels * PANEL)  # row 4g+q, column 64p+c
        return xp.ascontiguousarray((full[: self.k, : self.n] ^ 0x80).view(xp.int8))

    def __repr__(self) -> str:
        return f"PackedInt8Weight(shape={self.shape}, layout={self.layout!r}, device={self.device!r})"


def _packed_size(k: int, n: int) -> int:
    return -(-n // PANEL) * -(-k // GROUP) * PANEL * GROUP


# --- argument checks (shared by every implementation) ----------------------------------------


def _int8_matrix(x: Any, fn: str, name: str) -> Any:
    if isinstance(x, PackedInt8Weight):
        raise TypeError(f"{fn}: {name} must be an int8 array, got a PackedInt8Weight")
    if not hasattr(x, "dtype") or not hasattr(x, "shape"):
        raise TypeError(f"{fn}: {name} must be an int8 array, got {type(x).__name__}")
    if x.dtype != numpy.int8:
        raise TypeError(f"{fn}: {name} must have dtype int8, got {x.dtype} (shape {tuple(x.shape)})")
    if x.ndim != 2:
        raise ValueError(f"{fn}: {name} must be 2-D, got shape {tuple(x.shape)}")
    return x


def _weight(w: Any, fn: str, k: int, a_shape: tuple[int, ...]) -> Any:
    if isinstance(w, PackedInt8Weight):
        if w.layout != LAYOUT:
            raise ValueError(f"{fn}: packed weight layout {w.layout!r} is not {LAYOUT!r}")
        if w.data.size != _packed_size(w.k, w.n) or w.col_sums.shape != (w.n,):
            raise ValueError(f"{fn}: packed weight of shape {w.shape} has inconsistent data")
        shape = w.shape
    else:
        w = _int8_matrix(w, fn, "b" if fn == KERNEL_MATMUL else "w")
        shape = tuple(w.shape)
    if shape[0] != k:
        raise ValueError(
            f"{fn}: a {tuple(a_shape)} and weight {tuple(shape)} cannot be multiplied "
            f"(a has K={k} columns, the weight {shape[0]} rows)"
        )
    return w


def _real_vector(x: Any, length: int, fn: str, name: str, xp: Any) -> Any:
    """A float32 (length,) array from a scalar or a (length,) array of reals."""
    if isinstance(x, bool):
        raise TypeError(f"{fn}: {name} must be real numbers, got bool")
    if isinstance(x, numbers.Real):
        return xp.full((length,), x, dtype=xp.float32)
    if not hasattr(x, "dtype"):
        raise TypeError(f"{fn}: {name} must be a real scalar or array, got {type(x).__name__}")
    if x.dtype.kind not in "fiuV":
        raise TypeError(f"{fn}: {name} must have a real dtype, got {x.dtype}")
    if x.ndim == 0:
        return xp.full((length,), x, dtype=xp.float32)
    if x.shape != (length,):
        raise ValueError(f"{fn}: {name} must be a scalar or of shape ({length},), got shape {tuple(x.shape)}")
    return xp.ascontiguousarray(x, dtype=xp.float32)


def _zero_point(x: Any, length: int, fn: str, name: str, xp: Any) -> Any:
    """None, or an int32 (length,) array from an int or a (length,) integer array."""
    if x is None:
        return None
    if isinstance(x, bool) or (hasattr(x, "dtype") and x.dtype.kind not in "iu"):
        kind = "bool" if isinstance(x, bool) else getattr(x, "dtype", type(x).__name__)
        raise TypeError(f"{fn}: {name} must be an int or an integer array, got {kind}")
    if isinstance(x, numbers.Integral):
        if not _INT32.min <= int(x) <= _INT32.max:
            raise ValueError(f"{fn}: {name} must fit in int32, got {int(x)}")
        x = xp.asarray(int(x))
    elif not hasattr(x, "dtype"):
        raise TypeError(f"{fn}: {name} must be an int or an integer array, got {type(x).__name__}")
    if x.ndim not in (0, 1) or (x.ndim == 1 and x.shape != (length,)):
        raise ValueError(f"{fn}: {name} must be an int or of shape ({length},), got shape {tuple(x.shape)}")
    if x.size and (int(x.min()) < _INT32.min or int(x.max()) > _INT32.max):
        raise ValueError(f"{fn}: {name} must fit in int32")
    return xp.ascontiguousarray(xp.broadcast_to(x, (length,)), dtype=xp.int32)


# --- public functions -----------------------------------------------------------------------


def pack_int8_weight(b: Any) -> PackedInt8Weight:
    """Pack an int8 (K, N) weight for :func:`int8_matmul` / :func:`int8_linear`."""
    b = _int8_matrix(b, KERNEL_PACK, "b")
    return dispatch(KERNEL_PACK, device_of(b))(b)


def int8_matmul(a: Any, b: Any) -> Any:
    """``a.astype(int32) @ b.astype(int32)`` for int8 ``a`` (M, K) and ``b`` (K, N) or packed."""
    a = _int8_matrix(a, KERNEL_MATMUL, "a")
    b = _weight(b, KERNEL_MATMUL, a.shape[1], a.shape)
    return dispatch(KERNEL_MATMUL, device_of(a))(a, b)


def int8_linear(
    a: Any,
    w: Any,
    a_scale: Any,
    w_scale: Any,
    a_zero_point: Any = None,
    w_zero_point: Any = None,
    bias: Any = None,
    relu: bool = False,
) -> Any:
    """``relu?((a - za) @ (w - zw) * a_scale[:, None] * w_scale[None, :] + bias)``, float32 (M, N)."""
    fn = KERNEL_LINEAR
    a = _int8_matrix(a, fn, "a")
    m, k = a.shape
    w = _weight(w, fn, k, a.shape)
    n = w.shape[1]
    xp = _xp(a)
    a_scale = _real_vector(a_scale, m, fn, "a_scale", xp)
    w_scale = _real_vector(w_scale, n, fn, "w_scale", xp)
    a_zero_point = _zero_point(a_zero_point, m, fn, "a_zero_point", xp)
    w_zero_point = _zero_point(w_zero_point, n, fn, "w_zero_point", xp)
    if bias is not None:
        if not hasattr(bias, "dtype") or bias.dtype.kind not in "fiuV":
            got = getattr(bias, "dtype", type(bias).__name__)
            raise TypeError(f"{fn}: bias must be a real array of shape ({n},), got {got}")
        if bias.shape != (n,):
            raise ValueError(f"{fn}: bias must have shape ({n},), got {tuple(bias.shape)}")
        bias = xp.ascontiguousarray(bias, dtype=xp.float32)
    return dispatch(fn, device_of(a))(a, w, a_scale, w_scale, a_zero_point, w_zero_point, bias, bool(relu))


# --- reference: NumPy / CuPy ------------------------------------------------------------------


@register(KERNEL_PACK, "reference")
def pack_int8_weight_reference(b: Any) -> PackedInt8Weight:
    """The layout spelled out with reshapes: pad to (4 K4, 64 P), add 128, reorder to [p, g, c, q]."""
    xp = _xp(b)
    k, n = b.shape
    k4, panels = -(-k // GROUP), -(-n // PANEL)
    padded = xp.zeros((k4 * GROUP, panels * PANEL), dtype=xp.int8)
    padded[:k, :n] = b
    unsigned = padded.view(xp.uint8) ^ 0x80  # int8 v -> uint8 v + 128
    blocks = unsigned.reshape(k4, GROUP, panels, PANEL).transpose(2, 0, 3, 1)  # [p, g, c, q]
    data = xp.ascontiguousarray(blocks).reshape(-1)
    return PackedInt8Weight(data, b.sum(axis=0, dtype=xp.int32), k, n)


def _unpacked(w: Any) -> Any:
    return w.unpack() if isinstance(w, PackedInt8Weight) else w


@register(KERNEL_MATMUL, "reference")
def int8_matmul_reference(a: Any, b: Any) -> Any:
    """int32 matmul (NumPy's integer matmul: exact, wrapping, not BLAS)."""
    xp = _xp(a)
    return xp.matmul(a.astype(xp.int32), _unpacked(b).astype(xp.int32))


@register(KERNEL_LINEAR, "reference")
def int8_linear_reference(
    a: Any, w: Any, a_scale: Any, w_scale: Any, a_zero_point: Any, w_zero_point: Any, bias: Any, relu: bool
) -> Any:
    """The formula of the contract: exact int32 product, float64 scaling, one rounding to float32."""
    xp = _xp(a)
    a32 = a.astype(xp.int32)
    w32 = _unpacked(w).astype(xp.int32)
    if a_zero_point is not None:
        a32 -= a_zero_point[:, None]
    if w_zero_point is not None:
        w32 -= w_zero_point[None, :]
    acc = xp.matmul(a32, w32)
    y = acc.astype(xp.float64) * a_scale.astype(xp.float64)[:, None] * w_scale.astype(xp.float64)[None, :]
    if bias is not None:
        y += bias.astype(xp.float64)
    if relu:
        y = xp.maximum(y, 0.0)  # maximum propagates NaN, as torch.relu does
    return y.astype(xp.float32)


# --- native: C++ (csrc/int8_matmul.cpp) -------------------------------------------------------


def _numpy_only(x: Any, fn: str) -> None:
    if not isinstance(x, numpy.ndarray):
        raise TypeError(f"{fn} native: expected a numpy.ndarray, got {type(x).__name__}")


@register(KERNEL_PACK, "native", available=_native.is_available)
def pack_int8_weight_native(b: Any) -> PackedInt8Weight:
    """C++ packing into a 64-byte-aligned buffer (the micro-kernel's vector loads stay in one line)."""
    _numpy_only(b, KERNEL_PACK)
    data, col_sums = _native.require().int8_pack_weight(b)
    return PackedInt8Weight(data, col_sums, int(b.shape[0]), int(b.shape[1]))


@register(KERNEL_MATMUL, "native", available=_native.is_available)
def int8_matmul_native(a: Any, b: Any) -> Any:
    """Blocked VNNI / AVX2 / portable GEMM; an unpacked ``b`` is packed per call into a reused buffer."""
    _numpy_only(a, KERNEL_MATMUL)
    c = _native.require()
    if isinstance(b, PackedInt8Weight):
        _numpy_only(b.data, KERNEL_MATMUL)
        return c.int8_matmul_packed(a, b.data, b.col_sums, b.k, b.n)
    _numpy_only(b, KERNEL_MATMUL)
    return c.int8_matmul(a, b)


@register(KERNEL_LINEAR, "native", available=_native.is_available)
def int8_linear_native(
    a: Any, w: Any, a_scale: Any, w_scale: Any, a_zero_point: Any, w_zero_point: Any, bias: Any, relu: bool
) -> Any:
    """The GEMM with the epilogue (zero points, scales, bias, ReLU) fused on the register tile."""
    _numpy_only(a, KERNEL_LINEAR)
    c = _native.require()
    if isinstance(w, PackedInt8Weight):
        _numpy_only(w.data, KERNEL_LINEAR)
        return c.int8_linear_packed(
            a, w.data, w.col_sums, w.k, w.n, a_scale, w_scale, a_zero_point, w_zero_point, bias, relu
        )
    _numpy_only(w, KERNEL_LINEAR)
    return c.int8_linear(a, w, a_scale, w_scale, a_zero_point, w_zero_point, bias, relu)
