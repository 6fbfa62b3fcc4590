"""Triton implementations of ``conv2d_forward``, ``conv2d_backward_input`` and
``conv2d_backward_weight`` (contract: kernels/conv.py), as implicit GEMMs.

Read side by side with the other two forms of the same math:

* the spec (kernels/conv.py, ``reference``): build im2col columns, then ONE matmul per chunk,
      y[n, o, q] = bias[o] + sum_{c in group(o), r} w[o, c, r] * xpad[n, c, q * s + r * d];
* the C++ kernel (csrc/conv_kernels.h): a packed SGEMM per group whose B panels are copied
  straight from x a block at a time (the column matrix exists only in cache), a flipped-kernel
  convolution for stride-1 input gradients and GEMM + col2im for strided ones;
* here: no column matrix at all.  Each program owns one BLOCK_M x BLOCK_N tile of a GEMM and,
  for each BLOCK_K slice of the reduction, *gathers* the A or B tile it needs from the input by
  index arithmetic (a masked load: out-of-range rows and the zero border of ``xpad`` are the
  mask), multiplies with ``tl.dot`` and accumulates in float32 registers.  Groups (depthwise
  included) are a program axis.

Per group g (Cg = C / G, Og = O / G, kernel kh x kw, output Ho x Wo):

  forward          M = N Ho Wo positions (n, oh, ow)   x  N = Og channels   reduce K = Cg kh kw (c, r, s)
                   A[q, k] = xpad[n, g Cg + c, oh sh + r dh, ow sw + s dw],  B[k, o] = w[g Og + o, c, r, s],
                   bias fused in the epilogue.
  backward_input   M = input pixels (n, ih, iw)        x  N = Cg channels   reduce K = Og kh kw (o, r, s)
                   grad_x[n, c, ih, iw] = sum w[o, c, r, s] grad_out[n, o, oh, ow]  over the (r, s) with
                   oh sh = ih + ph - r dh (and the same in w) for an integer oh in [0, Ho).  The gather is done
                   per *residue class* (ih mod sh, iw mod sw), one program axis: within a class the (r, s)
                   that can hit are the same for every pixel, so a whole kernel offset is skipped with one
                   scalar test instead of masking sh sw - 1 of every sh sw products away.  Every pixel is
                   written (zeros where no window reaches it), so no zero fill and no col2im scatter.
  backward_weight  M = Og channels                     x  N = Cg kh kw      reduce over N Ho Wo (n, oh, ow)
                   grad_w[o, c, r, s] = sum grad_out[n, o, oh, ow] xpad[n, c, oh sh + r dh, ow sw + s dw].
                   A small grad_w with a long reduction has too few tiles to fill the GPU, so the reduction
                   is cut into ``split`` chunks (a program axis) written to a float32 buffer and summed in
                   chunk order on the host: deterministic, no atomics.

dtypes: float32 and float16 (tiles loaded in the input dtype, accumulation in float32, results
rounded once to the input dtype).  float32 ``tl.dot`` runs in IEEE float32 (``ALLOW_TF32 = False``;
set it True to trade ~3 decimal digits for tensor-core TF32 speed, as cuDNN does by default).
**float64 (and any other dtype) delegates to the reference implementation**: GPU tensor cores
have no float64 path worth a Triton kernel, and gradcheck needs the exact spec anyway.

Layout: the kernels take every stride explicitly (in elements), so any strided input works: NCHW,
channels-last (NHWC memory seen as NCHW), slices.  Results are new C-contiguous NCHW arrays.
conv3d stays on the reference (only the conv2d kernels register ``triton``).

Autotuned (``_CONFIGS``, keyed on the GEMM sizes; under TRITON_INTERPRET=1 only the first, a
small tile, runs).
"""

from __future__ import annotations

from typing import Any

import numpy
import triton
import triton.language as tl

from ._triton import autotune, cdiv, gemm_config, launch_arg
from ._xp import _xp
from .conv import (
    conv_backward_input_reference,
    conv_backward_weight_reference,
    conv_forward_reference,
    output_size,
)

__all__ = ["ALLOW_TF32", "conv2d_backward_input", "conv2d_backward_weight", "conv2d_forward"]

ALLOW_TF32 = False

_FAST_DTYPES = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float16))
_MAX_GRID_YZ = 65535  # CUDA's limit on grid axes 1 and 2


# First: the interpreter's (small, so tiny test shapes still span several tiles).  BLOCK_N = 16 serves the
# narrow GEMMs of depthwise / few-channel groups; the rest are the usual Hopper-sized tiles.
_CONFIGS = [
    gemm_config(32, 32, 32, 4, 2),
    gemm_config(128, 128, 32, 8, 3),
    gemm_config(128, 64, 32, 4, 4),
    gemm_config(64, 128, 32, 4, 4),
    gemm_config(64, 64, 32, 4, 4),
    gemm_config(128, 32, 32, 4, 4),
    gemm_config(64, 32, 64, 4, 3),
    gemm_config(32, 64, 64, 4, 3),
    gemm_config(128, 16, 32, 4, 3),
]


# -- kernels ----------------------------------------------------------------------------------------------------
@autotune(_CONFIGS, key=["M", "OG", "KG"])
@triton.jit
def _forward_kernel(x_ptr, w_ptr, b_ptr, y_ptr,
                    C, H, W, O, HO, WO,
                    sxn, sxc, sxh, sxw, swo, swc, swh, sww,
                    SH, SW, PH, PW, DH, DW,
                    M, OG, CG, KG,
                    KH: tl.constexpr, KW: tl.constexpr, HAS_BIAS: tl.constexpr, PRECISION: tl.constexpr,
                    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    """y[n, g Og + o, oh, ow] = bias + sum_k xpad[n, g Cg + c, oh sh + r dh, ow sw + s dw] w[g Og + o, c, r, s]."""
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    grp = tl.program_id(2)
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    m_ok = offs_m < M
    n_ok = offs_n < OG
    ow = offs_m % WO
    oh = (offs_m // WO) % HO
    nb = offs_m // (WO * HO)
    ih0 = oh * SH - PH  # the window's top-left corner in x (may be in the border)
    iw0 = ow * SW - PW
    # address = row part (depends on the output position) + column part (on the reduction index)
    x_row = nb.to(tl.int64) * sxn + ih0.to(tl.int64) * sxh + iw0.to(tl.int64) * sxw + (grp * CG).to(tl.int64) * sxc
    o = grp * OG + offs_n
    w_col = o.to(tl.int64) * swo
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k0 in range(0, KG, BLOCK_K):
        offs_k = k0 + tl.arange(0, BLOCK_K)
        k_ok = offs_k < KG
        c = offs_k // (KH * KW)
        r = (offs_k // KW) % KH
        s = offs_k % KW
        ih = ih0[:, None] + (r * DH)[None, :]
        iw = iw0[:, None] + (s * DW)[None, :]
        a_mask = m_ok[:, None] & k_ok[None, :] & (ih >= 0) & (ih < H) & (iw >= 0) & (iw < W)
        x_col = c.to(tl.int64) * sxc + (r * DH).to(tl.int64) * sxh + (s * DW).to(tl.int64) * sxw
        a = tl.load(x_ptr + x_row[:, None] + x_col[None, :], mask=a_mask, other=0.0)
        w_row = c.to(tl.int64) * swc + r.to(tl.int64) * swh + s.to(tl.int64) * sww
        b = tl.load(w_ptr + w_row[:, None] + w_col[None, :], mask=k_ok[:, None] & n_ok[None, :], other=0.0)
        acc = tl.dot(a, b, acc, input_precision=PRECISION)
    if HAS_BIAS:
        acc += tl.load(b_ptr + o, mask=n_ok, other=0.0).to(tl.float32)[None, :]
    y_row = nb.to(tl.int64) * O * HO * WO + (oh * WO + ow).to(tl.int64)
    y_col = o.to(tl.int64) * HO * WO
    tl.store(y_ptr + y_row[:, None] + y_col[None, :], acc.to(y_ptr.dtype.element_ty),
             mask=m_ok[:, None] & n_ok[None, :])


@autotune(_CONFIGS, key=["M", "OG", "CG"])
@triton.jit
def _backward_input_kernel(g_ptr, w_ptr, gx_ptr,
                           C, H, W, HO, WO,
                           sgn, sgc, sgh, sgw, swo, swc, swh, sww,
                           SH, SW, PH, PW, DH, DW,
                           M, HC, WC, OG, CG,
                           KH: tl.constexpr, KW: tl.constexpr, PRECISION: tl.constexpr,
                           BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    """grad_x[n, g Cg + c, ih, iw] = sum_{o, r, s} w[g Og + o, c, r, s] grad_out[n, g Og + o, oh, ow], over the
    (r, s) with oh sh = ih + ph - r dh, ow sw = iw + pw - s dw; pixels of one residue class (ih % sh, iw % sw)."""
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    pid_z = tl.program_id(2)
    grp = pid_z // (SH * SW)
    cls = pid_z % (SH * SW)
    a0 = cls // SW  # this program's pixels: ih = a0 + i sh, iw = b0 + j sw
    b0 = cls % SW
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    j = offs_m % WC
    i = (offs_m // WC) % HC
    nb = offs_m // (WC * HC)
    ih = a0 + i * SH
    iw = b0 + j * SW
    m_ok = (offs_m < M) & (ih < H) & (iw < W)
    n_ok = offs_n < CG
    g_base = nb.to(tl.int64) * sgn
    w_col = offs_n.to(tl.int64) * swc
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for r in range(KH):
        th = a0 + PH - r * DH  # ih + ph - r dh = th + i sh: a multiple of sh for all i, or for none
        if th % SH == 0:
            oh = th // SH + i
            h_ok = m_ok & (oh >= 0) & (oh < HO)
            for s in range(KW):
                tw = b0 + PW - s * DW
                if tw % SW == 0:
                    ow = tw // SW + j
                    row_ok = h_ok & (ow >= 0) & (ow < WO)
                    g_row = g_base + oh.to(tl.int64) * sgh + ow.to(tl.int64) * sgw
                    w_rs = r * swh + s * sww  # within one filter: int32 is enough
                    for o0 in range(0, OG, BLOCK_K):
                        offs_k = o0 + tl.arange(0, BLOCK_K)
                        k_ok = offs_k < OG
                        o = (grp * OG + offs_k).to(tl.int64)
                        a = tl.load(g_ptr + g_row[:, None] + (o * sgc)[None, :],
                                    mask=row_ok[:, None] & k_ok[None, :], other=0.0)
                        b = tl.load(w_ptr + (o * swo + w_rs)[:, None] + w_col[None, :],
                                    mask=k_ok[:, None] & n_ok[None, :], other=0.0)
                        acc = tl.dot(a, b, acc, input_precision=PRECISION)
    x_row = nb.to(tl.int64) * C * H * W + (ih * W + iw).to(tl.int64)
    x_col = (grp * CG + offs_n).to(tl.int64) * H * W
    tl.store(gx_ptr + x_row[:, None] + x_col[None, :], acc.to(gx_ptr.dtype.element_ty),
             mask=m_ok[:, None] & n_ok[None, :])


@autotune(_CONFIGS, key=["MR", "OG", "KG", "SPLIT"])
@triton.jit
def _backward_weight_kernel(x_ptr, g_ptr, out_ptr,
                            O, H, W, HO, WO,
                            sxn, sxc, sxh, sxw, sgn, sgc, sgh, sgw,
                            SH, SW, PH, PW, DH, DW,
                            MR, OG, CG, KG, CHUNK, SPLIT,
                            KH: tl.constexpr, KW: tl.constexpr, PRECISION: tl.constexpr,
                            BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    """out[split, g Og + o, (c, r, s)] = sum over this split's (n, oh, ow) of
    grad_out[n, g Og + o, oh, ow] xpad[n, g Cg + c, oh sh + r dh, ow sw + s dw]."""
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    pid_z = tl.program_id(2)
    grp = pid_z // SPLIT
    part = pid_z % SPLIT
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    m_ok = offs_m < OG
    n_ok = offs_n < KG
    c = offs_n // (KH * KW)
    rd = ((offs_n // KW) % KH) * DH
    sd = (offs_n % KW) * DW
    x_col = (grp * CG + c).to(tl.int64) * sxc + rd.to(tl.int64) * sxh + sd.to(tl.int64) * sxw
    g_row = (grp * OG + offs_m).to(tl.int64) * sgc
    start = part * CHUNK
    end = tl.minimum(start + CHUNK, MR)
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for j0 in range(start, end, BLOCK_K):
        offs_j = j0 + tl.arange(0, BLOCK_K)
        j_ok = offs_j < end
        ow = offs_j % WO
        oh = (offs_j // WO) % HO
        nb = (offs_j // (WO * HO)).to(tl.int64)
        a = tl.load(g_ptr + g_row[:, None] + (nb * sgn + oh.to(tl.int64) * sgh + ow.to(tl.int64) * sgw)[None, :],
                    mask=m_ok[:, None] & j_ok[None, :], other=0.0)
        ih0 = oh * SH - PH
        iw0 = ow * SW - PW
        ih = ih0[:, None] + rd[None, :]
        iw = iw0[:, None] + sd[None, :]
        b_mask = j_ok[:, None] & n_ok[None, :] & (ih >= 0) & (ih < H) & (iw >= 0) & (iw < W)
        x_row = nb * sxn + ih0.to(tl.int64) * sxh + iw0.to(tl.int64) * sxw
        b = tl.load(x_ptr + x_row[:, None] + x_col[None, :], mask=b_mask, other=0.0)
        acc = tl.dot(a, b, acc, input_precision=PRECISION)
    out_row = (part * O + grp * OG + offs_m).to(tl.int64) * KG
    tl.store(out_ptr + out_row[:, None] + offs_n[None, :], acc.to(out_ptr.dtype.element_ty),
             mask=m_ok[:, None] & n_ok[None, :])


# -- host side --------------------------------------------------------------------------------------------------
def _operands(kernel: str, names: tuple[str, ...], arrays: tuple[Any, ...]) -> bool:
    """Check ranks and dtypes; True when the Triton kernels serve the dtype (float32 / float16)."""
    for name, a in zip(names, arrays):
        if a is None:
            continue
        if not hasattr(a, "dtype") or not hasattr(a, "shape"):
            raise TypeError(f"{kernel} triton: {name} must be a NumPy or CuPy array, got {type(a).__name__}")
        want = 1 if name == "bias" else 4
        if a.ndim != want:
            raise ValueError(f"{kernel} triton: expected {name} to be {want}-d, got shape {tuple(a.shape)}")
    dtype = arrays[0].dtype.newbyteorder("=")  # byte order is not the dtype: _launchable converts it
    for name, a in zip(names[1:], arrays[1:]):
        if a is not None and a.dtype.newbyteorder("=") != dtype:
            raise TypeError(f"{kernel} triton: all operands must have the same dtype, got {names[0]} {dtype} "
                            f"and {name} {a.dtype}")
    devices = {_xp(a).__name__ for a in arrays if a is not None}
    if len(devices) > 1:
        raise TypeError(f"{kernel} triton: operands on different devices ({sorted(devices)})")
    return dtype in _FAST_DTYPES


def _geometry(kernel: str, x_shape: tuple, w_shape: tuple, stride: Any, padding: Any, dilation: Any,
              groups: int) -> tuple:
    """(stride, padding, dilation, groups, (Ho, Wo)) as ints, after checking they describe a convolution."""
    try:
        sh, sw = (int(v) for v in stride)
        ph, pw = (int(v) for v in padding)
        dh, dw = (int(v) for v in dilation)
        groups = int(groups)
    except (TypeError, ValueError):
        raise TypeError(f"{kernel} triton: stride, padding and dilation must be pairs of ints, groups an int; got "
                        f"{stride!r}, {padding!r}, {dilation!r}, {groups!r}") from None
    if min(sh, sw, dh, dw, groups) < 1 or min(ph, pw) < 0:
        raise ValueError(f"{kernel} triton: need stride, dilation, groups >= 1 and padding >= 0, got stride "
                         f"{(sh, sw)}, padding {(ph, pw)}, dilation {(dh, dw)}, groups {groups}")
    n, c, h, w = x_shape
    o, cg, kh, kw = w_shape
    if c != cg * groups or o % groups:
        raise ValueError(f"{kernel} triton: input of shape {tuple(x_shape)} and weight of shape {tuple(w_shape)} "
                         f"do not match groups={groups} (need C = weight.shape[1] * groups and O % groups == 0)")
    out = output_size((h, w), (kh, kw), (sh, sw), (ph, pw), (dh, dw))
    if min(out) < 1:
        raise ValueError(f"{kernel} triton: kernel {(kh, kw)} (dilation {(dh, dw)}) does not fit the padded input "
                         f"{(h + 2 * ph, w + 2 * pw)}")
    return (sh, sw), (ph, pw), (dh, dw), groups, out


def _launchable(a: Any) -> Any:
    """``a`` itself, or a C-contiguous copy when its strides are not whole non-negative elements (a NumPy view
    the interpreter's torch.from_numpy refuses) or its bytes are not in native order."""
    if isinstance(a, numpy.ndarray) and (not a.dtype.isnative or
                                         any(s < 0 or s % a.itemsize for s in a.strides)):
        return numpy.ascontiguousarray(a, dtype=a.dtype.newbyteorder("="))
    return a


def _strides(a: Any) -> tuple:
    return tuple(s // a.itemsize for s in a.strides)


def _precision(dtype: Any) -> str:
    return "tf32" if ALLOW_TF32 and dtype == numpy.float32 else "ieee"


def conv2d_forward(x: Any, w: Any, bias: Any, stride: tuple, padding: tuple, dilation: tuple,
                   groups: int) -> Any:
    """y[n, o] = bias[o] + sum_{c in group(o), r} w[o, c, r] xpad[n, c, q s + r d] (float64: the reference)."""
    kernel = "conv2d_forward"
    if not _operands(kernel, ("x", "w", "bias"), (x, w, bias)):
        return conv_forward_reference(x, w, bias, tuple(stride), tuple(padding), tuple(dilation), groups)
    (sh, sw), (ph, pw), (dh, dw), groups, (ho, wo) = _geometry(kernel, x.shape, w.shape, stride, padding,
                                                               dilation, groups)
    if bias is not None and bias.shape != (w.shape[0],):
        raise ValueError(f"{kernel} triton: bias must have shape ({w.shape[0]},), got {tuple(bias.shape)}")
    xp = _xp(x)
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    x, w = _launchable(x), _launchable(w)
    y = xp.empty((n, o, ho, wo), dtype=x.dtype)
    if y.size == 0:
        return y
    if groups > _MAX_GRID_YZ:
        return conv_forward_reference(x, w, bias, (sh, sw), (ph, pw), (dh, dw), groups)
    if bias is not None:
        bias = xp.ascontiguousarray(bias, dtype=bias.dtype.newbyteorder("="))  # the kernel reads bias[o] densely
    m, og, kg = n * ho * wo, o // groups, cg * kh * kw
    if kg == 0:  # no input channels: the sum is empty
        y[...] = 0 if bias is None else bias.reshape(1, o, 1, 1)
        return y
    grid = lambda meta: (cdiv(m, meta["BLOCK_M"]), cdiv(og, meta["BLOCK_N"]), groups)  # noqa: E731
    _forward_kernel[grid](
        launch_arg(x), launch_arg(w), launch_arg(bias if bias is not None else y), launch_arg(y),
        c, h, wd, o, ho, wo, *_strides(x), *_strides(w), sh, sw, ph, pw, dh, dw, m, og, cg, kg,
        KH=kh, KW=kw, HAS_BIAS=bias is not None, PRECISION=_precision(x.dtype),
    )
    return y


def conv2d_backward_input(grad_out: Any, w: Any, input_shape: tuple, stride: tuple, padding: tuple,
                          dilation: tuple, groups: int) -> Any:
    """grad_x: the adjoint of the forward in x, of shape input_shape (float64: the reference)."""
    kernel = "conv2d_backward_input"
    if not _operands(kernel, ("grad_out", "w"), (grad_out, w)):
        return conv_backward_input_reference(grad_out, w, tuple(input_shape), tuple(stride), tuple(padding),
                                             tuple(dilation), groups)
    input_shape = tuple(int(v) for v in input_shape)
    if len(input_shape) != 4:
        raise ValueError(f"{kernel} triton: input_shape must have 4 dims (N, C, H, W), got {input_shape}")
    (sh, sw), (ph, pw), (dh, dw), groups, (ho, wo) = _geometry(kernel, input_shape, w.shape, stride, padding,
                                                               dilation, groups)
    n, c, h, wd = input_shape
    o, cg, kh, kw = w.shape
    if tuple(grad_out.shape) != (n, o, ho, wo):
        raise ValueError(f"{kernel} triton: grad_out has shape {tuple(grad_out.shape)}, expected {(n, o, ho, wo)} "
                         f"for input_shape {input_shape} and weight {tuple(w.shape)}")
    xp = _xp(grad_out)
    grad_out, w = _launchable(grad_out), _launchable(w)
    gx = xp.empty(input_shape, dtype=grad_out.dtype)
    if gx.size == 0:
        return gx
    og = o // groups
    if og == 0:
        gx[...] = 0
        return gx
    if groups * sh * sw > _MAX_GRID_YZ:
        return conv_backward_input_reference(grad_out, w, input_shape, (sh, sw), (ph, pw), (dh, dw), groups)
    hc, wc = cdiv(h, sh), cdiv(wd, sw)  # pixels per residue class, at most
    m = n * hc * wc
    grid = lambda meta: (cdiv(m, meta["BLOCK_M"]), cdiv(cg, meta["BLOCK_N"]), groups * sh * sw)  # noqa: E731
    _backward_input_kernel[grid](
        launch_arg(grad_out), launch_arg(w), launch_arg(gx),
        c, h, wd, ho, wo, *_strides(grad_out), *_strides(w), sh, sw, ph, pw, dh, dw, m, hc, wc, og, cg,
        KH=kh, KW=kw, PRECISION=_precision(grad_out.dtype),
    )
    return gx


def _split_count(reduction: int, tiles: int, groups: int) -> int:
    """Reduction chunks for the weight gradient: enough programs for ~2 waves of a large GPU (256), each chunk
    at least 1024 positions long, and the grid's third axis within CUDA's limit."""
    return max(1, min(cdiv(reduction, 1024), cdiv(256, max(tiles, 1)), _MAX_GRID_YZ // groups))


def conv2d_backward_weight(x: Any, grad_out: Any, weight_shape: tuple, stride: tuple, padding: tuple,
                           dilation: tuple, groups: int, split: int | None = None) -> Any:
    """grad_w[o, c, r] = sum_{n, q} grad_out[n, o, q] xpad[n, c, q s + r d] (float64: the reference).

    ``split`` (tests) forces the number of reduction chunks; None picks it from the sizes."""
    kernel = "conv2d_backward_weight"
    if not _operands(kernel, ("x", "grad_out"), (x, grad_out)):
        return conv_backward_weight_reference(x, grad_out, tuple(weight_shape), tuple(stride), tuple(padding),
                                              tuple(dilation), groups)
    weight_shape = tuple(int(v) for v in weight_shape)
    if len(weight_shape) != 4:
        raise ValueError(f"{kernel} triton: weight_shape must have 4 dims (O, C/groups, kh, kw), got {weight_shape}")
    (sh, sw), (ph, pw), (dh, dw), groups, (ho, wo) = _geometry(kernel, x.shape, weight_shape, stride, padding,
                                                               dilation, groups)
    n, c, h, wd = x.shape
    o, cg, kh, kw = weight_shape
    if tuple(grad_out.shape) != (n, o, ho, wo):
        raise ValueError(f"{kernel} triton: grad_out has shape {tuple(grad_out.shape)}, expected {(n, o, ho, wo)} "
                         f"for x {tuple(x.shape)} and weight_shape {weight_shape}")
    xp = _xp(x)
    og, kg, mr = o // groups, cg * kh * kw, n * ho * wo
    x, grad_out = _launchable(x), _launchable(grad_out)
    if mr == 0 or o * kg == 0:
        return xp.zeros(weight_shape, dtype=x.dtype)
    if groups > _MAX_GRID_YZ:
        return conv_backward_weight_reference(x, grad_out, weight_shape, (sh, sw), (ph, pw), (dh, dw), groups)
    if split is None:
        split = _split_count(mr, groups * cdiv(og, 64) * cdiv(kg, 64), groups)
    split = max(1, min(int(split), mr, _MAX_GRID_YZ // groups))
    chunk = cdiv(mr, split)
    split = cdiv(mr, chunk)  # no empty chunks
    out = xp.empty((o, kg), dtype=x.dtype) if split == 1 else xp.empty((split, o, kg), dtype=xp.float32)
    grid = lambda meta: (cdiv(og, meta["BLOCK_M"]), cdiv(kg, meta["BLOCK_N"]), groups * split)  # noqa: E731
    _backward_weight_kernel[grid](
        launch_arg(x), launch_arg(grad_out), launch_arg(out),
        o, h, wd, ho, wo, *_strides(x), *_strides(grad_out), sh, sw, ph, pw, dh, dw, mr, og, cg, kg, chunk, split,
        KH=kh, KW=kw, PRECISION=_precision(x.dtype),
    )
    if split > 1:
        out = out.sum(axis=0).astype(x.dtype)  # chunk order: deterministic
    return out.reshape(weight_shape)
