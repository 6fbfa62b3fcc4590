"""Convolution kernels (N-d, NCHW / NCDHW), and im2col / col2im for unfold / fold.

Contract
--------
Layout channels-first: ``x`` is (N, C, *spatial), ``w`` is (O, C // groups, *kernel), ``y`` is
(N, O, *out).  ``spatial`` has 2 dims for the ``conv2d_*`` kernels and 3 for ``conv3d_*``
(conv1d is conv2d with a height of 1, in ``nn.functional``).  ``stride``, ``padding`` and
``dilation`` are tuples of ints, one per spatial dim (stride, dilation >= 1; padding >= 0 and
symmetric: asymmetric padding is the caller's explicit pad).  dtypes: float32 or float64 (any
dtype NumPy's matmul takes works in ``reference``), all arrays of the same dtype; arrays may be
strided.  Results are new C-contiguous arrays of that dtype; inputs are never written.

    out[i]  = (in[i] + 2 p[i] - d[i] (k[i] - 1) - 1) // s[i] + 1                  (>= 1)

    conv{2,3}d_forward(x, w, bias, stride, padding, dilation, groups) -> y
        y[n, o, q] = bias[o] + sum_{c in group(o), r} w[o, c, r] * xpad[n, c, q * s + r * d]
    conv{2,3}d_backward_input(grad_out, w, input_shape, stride, padding, dilation, groups) -> grad_x
        the adjoint of forward in x (a transposed convolution; ``input_shape`` says the size, since
        rows the windows never reach get gradient 0)
    conv{2,3}d_backward_weight(x, grad_out, weight_shape, stride, padding, dilation, groups) -> grad_w
        grad_w[o, c, r] = sum_{n, q} grad_out[n, o, q] * xpad[n, c, q * s + r * d]

    im2col(x, kernel_size, dilation, padding, stride) -> cols   (N, C, *sp) -> (N, C * prod(k), L)
    col2im(cols, output_size, kernel_size, dilation, padding, stride) -> x   (its adjoint, summing overlaps)

Method (``reference``)
----------------------
im2col: the padded input, laid out (C, n, *padded), is read through an ``as_strided`` window
view of shape (C, *kernel, n, *out), copied once into a buffer, and multiplied by the weight in
ONE matmul: (groups, O/g, K/g) @ (groups, K/g, n * L) -> (O, n * L) (groups are the batch of the
matmul, so a grouped convolution is one call too).  The weight gradient is one
matmul against the same buffer; the input gradient is one matmul into it followed by col2im, a
strided add per kernel offset (prod(kernel) adds, each over the whole batch).  The batch is cut
into chunks so the column buffer stays under ``WORKSPACE_LIMIT`` bytes (peak memory stays near
the activations' size instead of prod(kernel) times it); the buffers are reused across calls
(per thread), which saves the page faults of fresh large allocations.  Special cases:
  * 1x1 / stride-1 / unpadded: no im2col, a batched matmul on the input itself;
  * stride 1 (padding <= d (k - 1)): the input gradient is itself a convolution (of grad_out with the
    flipped, channel-swapped weight), which skips col2im;
  * depthwise (groups == C): one vectorised multiply-add per kernel offset instead of per-group tiny
    matmuls; at stride 1 each offset is a contiguous shift of the flattened padded planes.

Implementations: ``reference`` (NumPy/CuPy, cpu and cuda).  A ``native`` one registers under
the same names.
"""

from __future__ import annotations

import threading
from math import prod
from typing import Any, Sequence

import numpy

from ._registry import dispatch, register
from ._xp import _xp, device_of

__all__ = [
    "conv2d_forward", "conv2d_backward_input", "conv2d_backward_weight",
    "conv3d_forward", "conv3d_backward_input", "conv3d_backward_weight",
    "im2col", "col2im", "output_size", "release_workspace", "WORKSPACE_LIMIT",
]

# Column buffers larger than this are built a chunk of the batch at a time.
WORKSPACE_LIMIT = 32 * 1024 * 1024

_local = threading.local()


# -- workspace -----------------------------------------------------------------------------------------------
def _workspace(xp: Any, slot: str, shape: tuple, dtype: Any) -> Any:
    """A C-contiguous scratch array of `shape` for this thread, reused across calls (contents undefined)."""
    n = prod(shape) * numpy.dtype(dtype).itemsize
    if xp is not numpy:  # CuPy has its own memory pool
        return xp.empty(shape, dtype=dtype)
    pool = getattr(_local, "buffers", None)
    if pool is None:
        pool = _local.buffers = {}
    buf = pool.get(slot)
    if buf is None or buf.nbytes < n:
        buf = pool[slot] = numpy.empty(max(n, 1), dtype=numpy.uint8)
    return buf[:n].view(dtype).reshape(shape)


def release_workspace() -> None:
    """Free this thread's scratch buffers (they are re-made on the next call)."""
    _local.buffers = {}


# -- geometry --------------------------------------------------------------------------------------------------
def output_size(in_size: Sequence[int], kernel: Sequence[int], stride: Sequence[int], padding: Sequence[int],
                dilation: Sequence[int]) -> tuple:
    """out[i] = (in[i] + 2 p[i] - d[i] (k[i] - 1) - 1) // s[i] + 1 per spatial dim (may be < 1: caller checks)."""
    return tuple((i + 2 * p - d * (k - 1) - 1) // s + 1
                 for i, k, s, p, d in zip(in_size, kernel, stride, padding, dilation))


def _window_view(xp: Any, xpad: Any, kernel: tuple, out: tuple, stride: tuple, dilation: tuple) -> Any:
    """(C, n, *padded) -> the read-only view (C, *kernel, n, *out) of every window element."""
    sc, sn, *sp = xpad.strides
    shape = (xpad.shape[0], *kernel, xpad.shape[1], *out)
    strides = (sc, *(d * s_ for d, s_ in zip(dilation, sp)), sn, *(st * s_ for st, s_ in zip(stride, sp)))
    return _as_strided(xp, xpad, shape, strides)


def _as_strided(xp: Any, a: Any, shape: tuple, strides: tuple) -> Any:
    if xp is numpy:
        return numpy.lib.stride_tricks.as_strided(a, shape, strides, writeable=False)
    return xp.lib.stride_tricks.as_strided(a, shape, strides)


def _offsets(kernel: tuple):
    """Every kernel offset r (a tuple), in C order."""
    return numpy.ndindex(*kernel)


def _window_slices(r: tuple, out: tuple, stride: tuple, dilation: tuple) -> tuple:
    """The slices of a padded input read by kernel offset r across all output positions."""
    return tuple(slice(ri * d, ri * d + s * (o - 1) + 1, s) for ri, o, s, d in zip(r, out, stride, dilation))


def _pad_into(xp: Any, x: Any, padding: tuple, slot: str) -> Any:
    """x (n, C, *sp) -> workspace (C, n, *padded) holding x transposed, zeros around it."""
    n, c, *sp = x.shape
    padded = tuple(s + 2 * p for s, p in zip(sp, padding))
    buf = _workspace(xp, slot, (c, n, *padded), x.dtype)
    if any(padding):
        buf.fill(0)
    interior = (slice(None), slice(None)) + tuple(slice(p, p + s) for p, s in zip(padding, sp))
    buf[interior] = xp.swapaxes(x, 0, 1)
    return buf


def _chunk(n: int, per_item_bytes: int) -> int:
    """How many batch items one column buffer holds."""
    return max(1, min(n, WORKSPACE_LIMIT // max(per_item_bytes, 1)))


def _is_pointwise(kernel: tuple, stride: tuple, padding: tuple, groups: int) -> bool:
    return all(k == 1 for k in kernel) and all(s == 1 for s in stride) and not any(padding) and groups == 1


def _im2col_chunk(xp: Any, x: Any, kernel: tuple, out: tuple, stride: tuple, padding: tuple,
                  dilation: tuple) -> Any:
    """x chunk (n, C, *sp) -> workspace columns (C, *kernel, n, *out)."""
    xpad = _pad_into(xp, x, padding, "pad")
    view = _window_view(xp, xpad, kernel, out, stride, dilation)
    cols = _workspace(xp, "cols", view.shape, x.dtype)
    cols[...] = view
    return cols


# -- reference implementations --------------------------------------------------------------------------------
def conv_forward_reference(x: Any, w: Any, bias: Any, stride: tuple, padding: tuple, dilation: tuple,
                           groups: int) -> Any:
    """N-d convolution forward (the spec of conv2d_forward / conv3d_forward): im2col + one matmul per chunk."""
    xp = _xp(x)
    n, c, *sp = x.shape
    o, cg, *kernel = w.shape
    kernel = tuple(kernel)
    out = output_size(sp, kernel, stride, padding, dilation)
    y = xp.empty((n, o, *out), dtype=x.dtype)
    if n == 0:
        return y
    big_l = prod(out)
    if _is_pointwise(kernel, stride, padding, groups):
        # no windows: y[n] = W @ x[n], a batched matmul straight into y
        xp.matmul(w.reshape(o, c), x.reshape(n, c, big_l), out=y.reshape(n, o, big_l))
    elif cg == 1 and groups == c and c > 1:
        nc = _chunk(n, o * prod(s + 2 * p for s, p in zip(sp, padding)) * x.dtype.itemsize)
        for n0 in range(0, n, nc):
            _depthwise_forward(xp, x[n0:n0 + nc], w, y[n0:n0 + nc], kernel, out, stride, padding, dilation)
    else:
        wg = w.reshape(groups, o // groups, cg * prod(kernel))
        nc = _chunk(n, c * prod(kernel) * big_l * x.dtype.itemsize)
        for n0 in range(0, n, nc):
            xs = x[n0:n0 + nc]
            m = xs.shape[0]
            cols = _im2col_chunk(xp, xs, kernel, out, stride, padding, dilation)
            res = _workspace(xp, "out", (groups, o // groups, m * big_l), x.dtype)
            xp.matmul(wg, cols.reshape(groups, cg * prod(kernel), m * big_l), out=res)
            # (O, m, L) -> y[n0:n0+m] as (m, O, L): the transpose is this copy
            y[n0:n0 + m].reshape(m, o, big_l)[...] = xp.swapaxes(res.reshape(o, m, big_l), 0, 1)
    if bias is not None:
        y += bias.reshape((o,) + (1,) * len(out))
    return y


# Depthwise (one input channel per group): the per-group matmuls would be (m x K) @ (K x n L) with tiny m and
# K, so instead each kernel offset is one vectorised multiply-add over all channels.
def _flat_shift(xpad: Any, kernel: tuple, dilation: tuple) -> tuple:
    """Stride-1 windows as shifts of the flattened padded planes: (planes (C, n P), per-offset shifts, length).

    Output q of every image sits at flat position n P + pos(q) of the padded grid, and its window element r
    at that position + shift(r): each kernel offset becomes ONE contiguous slice (computing the padded
    grid's invalid positions too, (padded / out) times the work, but at full vector speed).
    """
    c, n, *padded = xpad.shape
    steps = [prod(padded[i + 1:]) for i in range(len(padded))]
    shifts = [sum(ri * d * st for ri, d, st in zip(r, dilation, steps)) for r in _offsets(kernel)]
    flat = xpad.reshape(c, n * prod(padded))
    return flat, shifts, flat.shape[1] - shifts[-1]


def _grid_view(xp: Any, acc: Any, n: int, padded: tuple, out: tuple, writeable: bool = False) -> Any:
    """The valid outputs (lead..., n, *out) inside a flat padded-grid array (lead..., length)."""
    item = acc.itemsize
    steps = [prod(padded[i + 1:]) * item for i in range(len(padded))]
    shape = acc.shape[:-1] + (n,) + out
    strides = acc.strides[:-1] + (prod(padded) * item,) + tuple(steps)
    if xp is numpy:
        return numpy.lib.stride_tricks.as_strided(acc, shape, strides, writeable=writeable)
    return _as_strided(xp, acc, shape, strides)


def _depthwise_forward(xp: Any, x: Any, w: Any, y: Any, kernel: tuple, out: tuple, stride: tuple, padding: tuple,
                       dilation: tuple) -> None:
    """y[n, c m + j] = sum_r w[c m + j, 0, r] xpad[n, c, q s + r d], written into y."""
    n, c = x.shape[:2]
    o = w.shape[0]
    mult = o // c
    nd = len(kernel)
    xpad = _pad_into(xp, x, padding, "pad")  # (C, n, *padded)
    wv = w.reshape(c, mult, prod(kernel))
    if all(s == 1 for s in stride):
        flat, shifts, length = _flat_shift(xpad, kernel, dilation)
        acc = _workspace(xp, "out", (c, mult, length), x.dtype)
        tmp = _workspace(xp, "cols", (c, mult, length), x.dtype)
        for k, sh in enumerate(shifts):
            v = flat[:, None, sh:sh + length]
            if k == 0:
                xp.multiply(v, wv[:, :, k:k + 1], out=acc)
            else:
                xp.multiply(v, wv[:, :, k:k + 1], out=tmp)
                acc += tmp
        grid = _grid_view(xp, acc.reshape(o, length), n, tuple(xpad.shape[2:]), out)  # (O, n, *out)
        y[...] = xp.swapaxes(grid, 0, 1)
        return
    acc = _workspace(xp, "out", (c, mult, n) + out, x.dtype)
    tmp = _workspace(xp, "cols", (c, mult, n) + out, x.dtype)
    bshape = (-1, mult) + (1,) * (1 + nd)
    for k, r in enumerate(_offsets(kernel)):
        v = xpad[(slice(None), None, slice(None)) + _window_slices(r, out, stride, dilation)]
        wk = wv[:, :, k].reshape(bshape)
        if k == 0:
            xp.multiply(v, wk, out=acc)
        else:
            xp.multiply(v, wk, out=tmp)
            acc += tmp
    y.reshape((n, o) + out)[...] = xp.swapaxes(acc.reshape((o, n) + out), 0, 1)


def _depthwise_backward_weight(xp: Any, x: Any, grad_out: Any, weight_shape: tuple, kernel: tuple, out: tuple,
                               stride: tuple, padding: tuple, dilation: tuple) -> Any:
    """gw[c m + j, 0, r] = sum_{n, q} g[n, c m + j, q] xpad[n, c, q s + r d], one offset at a time."""
    n, c = x.shape[:2]
    o = weight_shape[0]
    mult = o // c
    nd = len(kernel)
    xpad = _pad_into(xp, x, padding, "pad")
    gw = xp.empty((c, mult, prod(kernel)), dtype=x.dtype)
    if all(s == 1 for s in stride):
        # grad_out on the flat padded grid (zeros at the invalid positions), then one dot per offset and channel
        flat, shifts, length = _flat_shift(xpad, kernel, dilation)
        g_flat = _workspace(xp, "out", (c, mult, length), x.dtype)
        g_flat.fill(0)
        grid = _grid_view(xp, g_flat.reshape(o, length), n, tuple(xpad.shape[2:]), out, writeable=True)
        grid[...] = xp.swapaxes(grad_out, 0, 1)
        for k, sh in enumerate(shifts):
            gw[:, :, k] = xp.matmul(g_flat, flat[:, sh:sh + length, None])[..., 0]
        return gw.reshape(tuple(weight_shape))
    g_t = _workspace(xp, "out", (c, mult, n) + out, x.dtype)
    g_t.reshape((o, n) + out)[...] = xp.swapaxes(grad_out, 0, 1)
    tmp = _workspace(xp, "cols", (c, mult, n) + out, x.dtype)
    axes = tuple(range(2, 3 + nd))
    for k, r in enumerate(_offsets(kernel)):
        v = xpad[(slice(None), None, slice(None)) + _window_slices(r, out, stride, dilation)]
        xp.multiply(g_t, v, out=tmp)
        gw[:, :, k] = tmp.sum(axis=axes)
    return gw.reshape(tuple(weight_shape))


def conv_backward_input_reference(grad_out: Any, w: Any, input_shape: tuple, stride: tuple, padding: tuple,
                                  dilation: tuple, groups: int) -> Any:
    """The adjoint of forward in x: one matmul into columns, then col2im (a strided add per kernel offset)."""
    xp = _xp(grad_out)
    n, c, *sp = input_shape
    o, cg, *kernel = w.shape
    kernel = tuple(kernel)
    out = tuple(grad_out.shape[2:])
    big_l = prod(out)
    gx = xp.empty(tuple(input_shape), dtype=grad_out.dtype)
    if n == 0 or gx.size == 0:
        return gx
    if _is_pointwise(kernel, stride, padding, groups) and tuple(sp) == out:
        xp.matmul(w.reshape(o, c).T, grad_out.reshape(n, o, big_l), out=gx.reshape(n, c, big_l))
        return gx
    full = tuple(d * (k - 1) for d, k in zip(dilation, kernel))
    if all(s == 1 for s in stride) and all(p <= f for p, f in zip(padding, full)):
        # stride 1: the adjoint is itself a convolution, of grad_out padded by d (k - 1) - p with the weight
        # flipped and its in/out channels swapped (per group); this skips col2im's prod(kernel) strided adds
        og = o // groups
        flip = (slice(None),) * 3 + (slice(None, None, -1),) * len(kernel)
        wt = xp.swapaxes(w.reshape(groups, og, cg, *kernel), 1, 2)[flip].reshape(c, og, *kernel)
        return conv_forward_reference(grad_out, wt, None, stride, tuple(f - p for f, p in zip(full, padding)),
                                      dilation, groups)
    kg = cg * prod(kernel)
    wt = xp.swapaxes(w.reshape(groups, o // groups, kg), 1, 2)  # (g, K/g, O/g)
    padded = tuple(s + 2 * p for s, p in zip(sp, padding))
    interior = tuple(slice(p, p + s) for p, s in zip(padding, sp))
    nc = _chunk(n, c * prod(kernel) * big_l * grad_out.dtype.itemsize)
    for n0 in range(0, n, nc):
        gs = grad_out[n0:n0 + nc]
        m = gs.shape[0]
        g_t = _workspace(xp, "out", (o, m, big_l), grad_out.dtype)
        g_t[...] = xp.swapaxes(gs.reshape(m, o, big_l), 0, 1)
        cols = _workspace(xp, "cols", (groups, kg, m * big_l), grad_out.dtype)
        xp.matmul(wt, g_t.reshape(groups, o // groups, m * big_l), out=cols)
        cols = cols.reshape(c, *kernel, m, *out)
        acc = _workspace(xp, "pad", (c, m, *padded), grad_out.dtype)
        acc.fill(0)
        for r in _offsets(kernel):
            acc[(slice(None), slice(None)) + _window_slices(r, out, stride, dilation)] += cols[(slice(None),) + r]
        gx[n0:n0 + m] = xp.swapaxes(acc[(slice(None), slice(None)) + interior], 0, 1)
    return gx


def conv_backward_weight_reference(x: Any, grad_out: Any, weight_shape: tuple, stride: tuple, padding: tuple,
                                   dilation: tuple, groups: int) -> Any:
    """grad_w = grad_out (as (O, n L)) @ columns(x).T, one matmul per chunk (batched over groups)."""
    xp = _xp(x)
    n, c, *sp = x.shape
    o, cg, *kernel = weight_shape
    kernel = tuple(kernel)
    out = tuple(grad_out.shape[2:])
    big_l = prod(out)
    kg = cg * prod(kernel)
    if n == 0 or o == 0:
        return xp.zeros(tuple(weight_shape), dtype=x.dtype)
    if cg == 1 and groups == c and c > 1:
        nc = _chunk(n, o * prod(s + 2 * p for s, p in zip(sp, padding)) * x.dtype.itemsize)
        gw = None
        for n0 in range(0, n, nc):
            part = _depthwise_backward_weight(xp, x[n0:n0 + nc], grad_out[n0:n0 + nc], weight_shape, kernel, out,
                                              stride, padding, dilation)
            gw = part if gw is None else gw + part
        return gw
    if _is_pointwise(kernel, stride, padding, groups):
        # sum_n g[n] @ x[n].T as one matmul over the joint (n, L) axis
        gw = xp.tensordot(grad_out.reshape(n, o, big_l), x.reshape(n, c, big_l), axes=([0, 2], [0, 2]))
        return xp.ascontiguousarray(gw.reshape(tuple(weight_shape)), dtype=x.dtype)
    gw = None
    nc = _chunk(n, c * prod(kernel) * big_l * x.dtype.itemsize)
    for n0 in range(0, n, nc):
        xs = x[n0:n0 + nc]
        m = xs.shape[0]
        cols = _im2col_chunk(xp, xs, kernel, out, stride, padding, dilation)
        g_t = _workspace(xp, "out", (o, m, big_l), x.dtype)
        g_t[...] = xp.swapaxes(grad_out[n0:n0 + m].reshape(m, o, big_l), 0, 1)
        part = xp.matmul(g_t.reshape(groups, o // groups, m * big_l),
                         xp.swapaxes(cols.reshape(groups, kg, m * big_l), 1, 2))
        if gw is None:
            gw = part
        else:
            gw += part
    return gw.reshape(tuple(weight_shape))


# -- registered kernels (2-d and 3-d share the N-d reference) -----------------------------------------------
def _spatial_check(name: str, x: Any, nd: int) -> None:
    if x.ndim != nd + 2:
        raise ValueError(f"{name}: expected a {nd + 2}-d array (N, C, *{nd} spatial dims), got shape {x.shape}")


def _make(nd: int):
    fwd, bwi, bww = f"conv{nd}d_forward", f"conv{nd}d_backward_input", f"conv{nd}d_backward_weight"

    @register(fwd, "reference")
    def forward_ref(x, w, bias, stride, padding, dilation, groups):
        _spatial_check(fwd, x, nd)
        return conv_forward_reference(x, w, bias, tuple(stride), tuple(padding), tuple(dilation), groups)

    @register(bwi, "reference")
    def backward_input_ref(grad_out, w, input_shape, stride, padding, dilation, groups):
        _spatial_check(bwi, grad_out, nd)
        return conv_backward_input_reference(grad_out, w, tuple(input_shape), tuple(stride), tuple(padding),
                                             tuple(dilation), groups)

    @register(bww, "reference")
    def backward_weight_ref(x, grad_out, weight_shape, stride, padding, dilation, groups):
        _spatial_check(bww, x, nd)
        return conv_backward_weight_reference(x, grad_out, tuple(weight_shape), tuple(stride), tuple(padding),
                                              tuple(dilation), groups)

    def forward(x: Any, w: Any, bias: Any, stride: tuple, padding: tuple, dilation: tuple, groups: int) -> Any:
        return dispatch(fwd, device_of(x))(x, w, bias, stride, padding, dilation, groups)

    def backward_input(grad_out: Any, w: Any, input_shape: tuple, stride: tuple, padding: tuple, dilation: tuple,
                       groups: int) -> Any:
        return dispatch(bwi, device_of(grad_out))(grad_out, w, input_shape, stride, padding, dilation, groups)

    def backward_weight(x: Any, grad_out: Any, weight_shape: tuple, stride: tuple, padding: tuple,
                        dilation: tuple, groups: int) -> Any:
        return dispatch(bww, device_of(x))(x, grad_out, weight_shape, stride, padding, dilation, groups)

    forward.__doc__ = f"{nd}-d convolution forward by the implementation the registry picks (module docstring)."
    backward_input.__doc__ = f"{nd}-d convolution input gradient (a transposed convolution); see the module docstring."
    backward_weight.__doc__ = f"{nd}-d convolution weight gradient; see the module docstring."
    return forward, backward_input, backward_weight


conv2d_forward, conv2d_backward_input, conv2d_backward_weight = _make(2)
conv3d_forward, conv3d_backward_input, conv3d_backward_weight = _make(3)


# -- unfold / fold ----------------------------------------------------------------------------------------------
@register("im2col", "reference")
def im2col_reference(x: Any, kernel_size: tuple, dilation: tuple, padding: tuple, stride: tuple) -> Any:
    """(N, C, *sp) -> (N, C * prod(kernel), L), column (c, r) at position q = xpad[n, c, q * s + r * d]."""
    xp = _xp(x)
    n, c, *sp = x.shape
    kernel = tuple(kernel_size)
    out = output_size(sp, kernel, stride, padding, dilation)
    xpad = xp.zeros((n, c, *(s + 2 * p for s, p in zip(sp, padding))), dtype=x.dtype)
    xpad[(slice(None), slice(None)) + tuple(slice(p, p + s) for p, s in zip(padding, sp))] = x
    sn, sc, *ss = xpad.strides
    view = _as_strided(xp, xpad, (n, c, *kernel, *out),
                       (sn, sc, *(d * s_ for d, s_ in zip(dilation, ss)), *(st * s_ for st, s_ in zip(stride, ss))))
    return xp.ascontiguousarray(view).reshape(n, c * prod(kernel), prod(out))


@register("col2im", "reference")
def col2im_reference(cols: Any, output_size_: tuple, kernel_size: tuple, dilation: tuple, padding: tuple,
                     stride: tuple) -> Any:
    """The adjoint of im2col: (N, C * prod(kernel), L) -> (N, C, *output_size), overlapping windows summed."""
    xp = _xp(cols)
    kernel = tuple(kernel_size)
    n, ck, _ = cols.shape
    c = ck // prod(kernel)
    out = output_size(output_size_, kernel, stride, padding, dilation)
    acc = xp.zeros((n, c, *(s + 2 * p for s, p in zip(output_size_, padding))), dtype=cols.dtype)
    cols = cols.reshape(n, c, *kernel, *out)
    for r in _offsets(kernel):
        acc[(slice(None), slice(None)) + _window_slices(r, out, stride, dilation)] += \
            cols[(slice(None), slice(None)) + r]
    return xp.ascontiguousarray(acc[(slice(None), slice(None)) +
                                    tuple(slice(p, p + s) for p, s in zip(padding, output_size_))])


def im2col(x: Any, kernel_size: tuple, dilation: tuple, padding: tuple, stride: tuple) -> Any:
    """Unfold: sliding windows of x as columns (see the module docstring)."""
    return dispatch("im2col", device_of(x))(x, kernel_size, dilation, padding, stride)


def col2im(cols: Any, output_size_: tuple, kernel_size: tuple, dilation: tuple, padding: tuple,
           stride: tuple) -> Any:
    """Fold: sum columns back into an image of `output_size_` (the adjoint of im2col)."""
    return dispatch("col2im", device_of(cols))(cols, output_size_, kernel_size, dilation, padding, stride)
