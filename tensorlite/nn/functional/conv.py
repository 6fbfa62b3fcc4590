"""Convolutions: conv1d/2d/3d and conv_transpose1d/2d/3d, PyTorch's semantics.

Three Functions carry every convolution, each calling the kernel layer
(`tensorlite.kernels.conv`, im2col + one matmul):

    ConvForward(x, w[, b])      y = conv(x, w) + b
    ConvBackwardInput(g, w)     dx = conv^T(g, w)            (= conv_transpose's forward)
    ConvBackwardWeight(x, g)    dw = corr(x, g)

Each is bilinear, so each one's backward is written with the other two (the adjoint identities
<conv(x, w), g> = <x, conv^T(g, w)> = <w, corr(x, g)>): convolution is differentiable any
number of times (gradient penalties need the second order).  conv1d runs as conv2d with a
height of 1 inside those Functions; "same" padding with an even kernel pads the input
explicitly on the right first, as PyTorch does.  conv_tbc (time-first 1-d convolution) is one matmul
of Tensor ops instead, which also covers its degenerate sizes (no taps, no input channels, empty time).
"""
from __future__ import annotations

import operator
import warnings

from ...amp import policy as _amp
from ...autograd.function import Function
from ...kernels import conv as _k
from ...ops.join import stack
from ...ops.pad import pad as _pad
from ...tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "conv_tbc"]


# -- argument helpers (shared with pooling.py and vision.py) ---------------------------------------------------
def ntuple(value, n: int, name: str, op: str, allow_empty: bool = False) -> tuple:
    """An int or a sequence of 1 or n ints as an n-tuple of ints (TypeError for other types)."""
    if isinstance(value, (tuple, list)) or (isinstance(value, Tensor) and value.ndim == 1):
        items = tuple(value)
        if allow_empty and not items:
            return ()
        if len(items) == 1:
            items = items * n
        if len(items) != n:
            raise RuntimeError(f"{op}: expected {name} to be a single integer value or a list of {n} values to "
                               f"match the convolution dimensions, but got {name}={list(items)}")
    else:
        items = (value,) * n
    try:
        return tuple(operator.index(v) for v in items)
    except TypeError:
        bad = next(v for v in items if not _is_int(v))
        raise TypeError(f"{op}(): argument '{name}' must be an int or a tuple of {n} ints, but got "
                        f"{type(bad).__name__} ({bad!r})") from None


def _is_int(v) -> bool:
    try:
        operator.index(v)
        return True
    except TypeError:
        return False


def check_tensor(x, op: str, name: str = "input") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' (position 1) must be Tensor, not {type(x).__name__}")


def shape_str(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


# -- the three Functions ----------------------------------------------------------------------------------------
class _Geom:
    """Convolution geometry: spatial rank nd (1, 2 or 3) and per-dim stride / padding / dilation, groups."""

    __slots__ = ("nd", "stride", "padding", "dilation", "groups")

    def __init__(self, nd: int, stride: tuple, padding: tuple, dilation: tuple, groups: int):
        self.nd, self.stride, self.padding, self.dilation, self.groups = nd, stride, padding, dilation, groups

    def kernel_args(self) -> tuple:
        """(stride, padding, dilation) as the kernels take them: a 1-d geometry runs as 2-d with height 1."""
        if self.nd == 1:
            return (1,) + self.stride, (0,) + self.padding, (1,) + self.dilation
        return self.stride, self.padding, self.dilation

    def kernels(self):
        if self.nd == 3:
            return _k.conv3d_forward, _k.conv3d_backward_input, _k.conv3d_backward_weight
        return _k.conv2d_forward, _k.conv2d_backward_input, _k.conv2d_backward_weight


def _as2d(a, nd: int):
    """A 1-d layout (N, C, L) as (N, C, 1, L) (a view), other layouts unchanged."""
    return a.reshape(a.shape[:2] + (1,) + a.shape[2:]) if nd == 1 else a


def _shape2d(shape: tuple, nd: int) -> tuple:
    return tuple(shape[:2]) + (1,) + tuple(shape[2:]) if nd == 1 else tuple(shape)


def _back1d(a, nd: int):
    return a.reshape(a.shape[:2] + a.shape[3:]) if nd == 1 else a


class ConvForward(Function):
    """y = conv(x, w) + b.  Gradients: dx = conv^T(g, w), dw = corr(x, g), db = sum of g over (N, *spatial)."""

    def forward(self, x, w, b=None, *, geom: _Geom):
        self.geom = geom
        s, p, d = geom.kernel_args()
        y = geom.kernels()[0](_as2d(x, geom.nd), _as2d(w, geom.nd), b, s, p, d, geom.groups)
        return _back1d(y, geom.nd)

    def backward(self, grad):
        x, w = self.inputs[0], self.inputs[1]
        need = self.needs_input_grad
        gx = ConvBackwardInput.apply(grad, w, input_shape=tuple(x.shape), geom=self.geom) if need[0] else None
        gw = ConvBackwardWeight.apply(x, grad, weight_shape=tuple(w.shape), geom=self.geom) if need[1] else None
        if len(need) == 3:
            gb = grad.sum(dim=(0,) + tuple(range(2, grad.ndim))) if need[2] else None
            return gx, gw, gb
        return gx, gw


class ConvBackwardInput(Function):
    """dx = conv^T(g, w) (the adjoint of conv in x; conv_transpose's forward).

    Gradients (ggx the incoming one): dg = conv(ggx, w), dw = corr(ggx, g).
    """

    def forward(self, g, w, *, input_shape: tuple, geom: _Geom):
        self.geom = geom
        s, p, d = geom.kernel_args()
        gx = geom.kernels()[1](_as2d(g, geom.nd), _as2d(w, geom.nd), _shape2d(input_shape, geom.nd), s, p, d,
                               geom.groups)
        return _back1d(gx, geom.nd)

    def backward(self, ggx):
        g, w = self.inputs
        need = self.needs_input_grad
        dg = ConvForward.apply(ggx, w, geom=self.geom) if need[0] else None
        dw = ConvBackwardWeight.apply(ggx, g, weight_shape=tuple(w.shape), geom=self.geom) if need[1] else None
        return dg, dw


class ConvBackwardWeight(Function):
    """dw = corr(x, g) (the weight gradient of conv).

    Gradients (ggw the incoming one): dx = conv^T(g, ggw), dg = conv(x, ggw).
    """

    def forward(self, x, g, *, weight_shape: tuple, geom: _Geom):
        self.geom = geom
        s, p, d = geom.kernel_args()
        gw = geom.kernels()[2](_as2d(x, geom.nd), _as2d(g, geom.nd), _shape2d(weight_shape, geom.nd), s, p, d,
                               geom.groups)
        return _back1d(gw, geom.nd)

    def backward(self, ggw):
        x, g = self.inputs
        need = self.needs_input_grad
        dx = ConvBackwardInput.apply(g, ggw, input_shape=tuple(x.shape), geom=self.geom) if need[0] else None
        dg = ConvForward.apply(x, ggw, geom=self.geom) if need[1] else None
        return dx, dg


# -- checks -------------------------------------------------------------------------------------------------------
def _check_operands(op: str, input, weight, bias, nd: int, transposed: bool) -> bool:
    """Validate types, ranks and dtypes; returns whether the input is batched."""
    check_tensor(input, op)
    check_tensor(weight, op, "weight")
    if bias is not None:
        check_tensor(bias, op, "bias")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {op}, but got input of "
                           f"size: {list(input.shape)}")
    if weight.ndim != nd + 2:
        what = "(in_channels, out_channels/groups, *kernel)" if transposed else "(out_channels, in_channels/groups, " \
                                                                                 "*kernel)"
        raise RuntimeError(f"{op}: expected weight to be {nd + 2}-dimensional {what}, got weight of shape "
                           f"{shape_str(weight.shape)}")
    if type(input._data) is not type(weight._data) or (bias is not None and type(bias._data) is not type(input._data)):
        raise RuntimeError(f"{op}: Expected all tensors to be on the same device, but found input on "
                           f"{input.device} and weight on {weight.device}")
    kind = input._data.dtype.kind
    if kind == "b" or kind == "c":
        raise NotImplementedError(f"{op}: not implemented for '{input.dtype.name}' inputs")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"{op}: Input type ({input.dtype.name}) and weight type ({weight.dtype.name}) should be "
                           f"the same")
    if bias is not None and bias._data.dtype != input._data.dtype:
        raise RuntimeError(f"{op}: Input type ({input.dtype.name}) and bias type ({bias.dtype.name}) should be "
                           f"the same")
    return input.ndim == nd + 2


def _check_geometry(op: str, stride: tuple, padding: tuple, dilation: tuple, groups) -> int:
    try:
        groups = operator.index(groups)
    except TypeError:
        raise TypeError(f"{op}(): argument 'groups' must be int, not {type(groups).__name__}") from None
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"{op}: non-positive stride is not supported (stride={list(stride)})")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"{op}: negative padding is not supported (padding={list(padding)})")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"{op}: non-positive dilation is not supported (dilation={list(dilation)})")
    if groups <= 0:
        raise RuntimeError(f"{op}: non-positive groups is not supported (groups={groups})")
    return groups


def _check_channels(op: str, input: Tensor, weight: Tensor, bias, groups: int, transposed: bool) -> None:
    w0, w1 = weight.shape[0], weight.shape[1]
    if w0 == 0:
        raise RuntimeError(f"{op}: Given groups={groups}, expected weight to be at least 1 at dimension 0, but got "
                           f"weight of shape {shape_str(weight.shape)}")
    if w0 % groups:
        raise RuntimeError(f"{op}: Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of shape {shape_str(weight.shape)}")
    c = input.shape[1]
    expected = w0 if transposed else w1 * groups
    if c != expected:
        raise RuntimeError(f"{op}: expected input with {expected} channels (weight {shape_str(weight.shape)}, groups "
                           f"{groups}), got input of shape {shape_str(input.shape)}")
    if bias is not None:
        out = w1 * groups if transposed else w0
        if bias.ndim != 1 or bias.shape[0] != out:
            raise RuntimeError(f"{op}: Given weight of shape {shape_str(weight.shape)}, expected bias to be "
                               f"1-dimensional with {out} elements, but got bias of shape {shape_str(bias.shape)}")


# -- conv ---------------------------------------------------------------------------------------------------------
def _conv(op: str, nd: int, input: Tensor, weight: Tensor, bias, stride, padding, dilation, groups) -> Tensor:
    if _amp.active[0]:
        input, weight, bias = _amp.cast_inputs(op, input, weight, bias)
    batched = _check_operands(op, input, weight, bias, nd, transposed=False)
    stride = ntuple(stride, nd, "stride", op)
    dilation = ntuple(dilation, nd, "dilation", op)
    kernel = tuple(weight.shape[2:])
    extra = None  # right-side padding "same" needs on top of the symmetric part
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError(f"{op}: padding='same' is not supported for strided convolutions "
                                   f"(stride={list(stride)})")
            total = tuple(d * (k - 1) for d, k in zip(dilation, kernel))
            padding = tuple(t // 2 for t in total)
            if any(t % 2 for t in total):
                extra = tuple(t - 2 * (t // 2) for t in total)
                warnings.warn("Using padding='same' with even kernel lengths and odd dilation may require a "
                              "zero-padded copy of the input be created", UserWarning, stacklevel=3)
        else:
            raise RuntimeError(f"{op}: Invalid padding string: {padding!r}; expected 'same', 'valid' or ints")
    else:
        padding = ntuple(padding, nd, "padding", op)
    groups = _check_geometry(op, stride, padding, dilation, groups)
    if not batched:
        input = input.unsqueeze(0)
    _check_channels(op, input, weight, bias, groups, transposed=False)
    if extra is not None:
        pads = []
        for e in reversed(extra):  # F.pad order: last dim first, (before, after)
            pads += [0, e]
        input = _pad(input, tuple(pads))
    spatial = tuple(input.shape[2:])
    padded = tuple(s + 2 * p for s, p in zip(spatial, padding))
    effective = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
    if any(e > q for e, q in zip(effective, padded)):
        raise RuntimeError(f"{op}: Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                           f"Kernel size: ({' x '.join(map(str, effective))}). Kernel size can't be greater than "
                           f"actual input size")
    geom = _Geom(nd, stride, padding, dilation, groups)
    args = (input, weight) if bias is None else (input, weight, bias)
    out = ConvForward.apply(*args, geom=geom)
    if input.shape[1] == 0:
        out = out.narrow(1, 0, 0)  # PyTorch: an input with no channels gives an output with none
    return out if batched else out.squeeze(0)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """1-d cross-correlation: y[n, o, l] = b[o] + sum_{c, r} w[o, c, r] x[n, c, l s + r d - p].

    input (N, C, L) or (C, L); weight (O, C / groups, k); padding an int, a tuple, 'same' or 'valid'.
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-d cross-correlation over (N, C, H, W) or (C, H, W) input with weight (O, C / groups, kH, kW).

    y[n, o, i, j] = b[o] + sum_{c, r, t} w[o, c, r, t] xpad[n, c, i sH + r dH, j sW + t dW]; padding an
    int, a tuple, 'same' (stride 1 only; an even kernel puts the extra zero on the right) or 'valid'.
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """3-d cross-correlation over (N, C, D, H, W) or (C, D, H, W) input with weight (O, C / groups, kD, kH, kW)."""
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


@_amp.autocast_op("conv_tbc")  # lower precision under autocast, as conv1d
def conv_tbc(input: Tensor, weight: Tensor, bias: Tensor, pad: int = 0) -> Tensor:
    """Temporal convolution of (T, B, C_in) input with weight (K, C_in, C_out), time first:
    y[t, b] = bias + sum_k x[t + k - pad, b] @ weight[k], zero outside the input (a negative pad crops it);
    T_out = T + 2 pad - K + 1. Computed as one matmul of the K shifted inputs side by side."""
    check_tensor(input, "conv_tbc")
    check_tensor(weight, "conv_tbc", "weight")
    check_tensor(bias, "conv_tbc", "bias")
    if isinstance(pad, bool) or not _is_int(pad):
        raise TypeError(f"conv_tbc(): argument 'pad' (position 4) must be int, not {type(pad).__name__}")
    if input.ndim != 3:
        raise RuntimeError(f"conv_tbc: Input must have 3 dims: time, batch, in_channel (got {shape_str(input.shape)})")
    if weight.ndim != 3:
        raise RuntimeError(f"conv_tbc: Weight tensor must have 3 dims: kernel_width, in_channels, out_channels (got "
                           f"{shape_str(weight.shape)})")
    if bias.ndim != 1:
        raise RuntimeError(f"conv_tbc: Bias must be 1-D (got {shape_str(bias.shape)})")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError(f"conv_tbc: Input dim 2 (input channels) is not == dim 1 in the weight tensor (input "
                           f"{shape_str(input.shape)}, weight {shape_str(weight.shape)})")
    if weight.shape[2] != bias.shape[0]:
        raise RuntimeError(f"conv_tbc: Bias size must equal dim 2 in the weight tensor (output channels) (weight "
                           f"{shape_str(weight.shape)}, bias {shape_str(bias.shape)})")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"conv_tbc: expected input and weight to have the same dtype, but got {input.dtype.name} "
                           f"and {weight.dtype.name}")
    pad = operator.index(pad)
    (t, n, c_in), (k, _, c_out) = input.shape, weight.shape
    t_out = t + 2 * pad - k + 1
    if t_out < 0:
        raise RuntimeError(f"conv_tbc: output length T + 2 pad - K + 1 = {t_out} is negative (input "
                           f"{shape_str(input.shape)}, weight {shape_str(weight.shape)}, pad {pad})")
    bias = bias.to(input.dtype)  # PyTorch copies the bias into an output of the input's dtype
    if k == 0:  # no taps: the bias alone
        return input.new_zeros((t_out, n, c_out)) + bias
    x = input
    if pad > 0:
        x = _pad(x, (0, 0, 0, 0, pad, pad))
    elif pad < 0:
        x = x.narrow(0, -pad, t + 2 * pad)
    taps = stack([x.narrow(0, j, t_out) for j in range(k)], 2)  # (T_out, B, K, C_in): taps[o, :, j] = x[o + j]
    return taps.reshape(t_out, n, k * c_in).matmul(weight.reshape(k * c_in, c_out)) + bias


# -- transposed conv -----------------------------------------------------------------------------------------------
def _conv_transpose(op: str, nd: int, input: Tensor, weight: Tensor, bias, stride, padding, output_padding, groups,
                    dilation) -> Tensor:
    if _amp.active[0]:
        input, weight, bias = _amp.cast_inputs(op, input, weight, bias)
    batched = _check_operands(op, input, weight, bias, nd, transposed=True)
    if isinstance(padding, str):
        raise TypeError(f"{op}(): argument 'padding' must be tuple of ints, not str")
    stride = ntuple(stride, nd, "stride", op)
    padding = ntuple(padding, nd, "padding", op)
    output_padding = ntuple(output_padding, nd, "output_padding", op)
    dilation = ntuple(dilation, nd, "dilation", op)
    groups = _check_geometry(op, stride, padding, dilation, groups)
    if any(o < 0 for o in output_padding):
        raise RuntimeError(f"{op}: negative output_padding is not supported (output_padding={list(output_padding)})")
    if any(o >= s and o >= d for o, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(f"{op}: output padding must be smaller than either stride or dilation, but got "
                           f"output_padding={list(output_padding)}, stride={list(stride)}, dilation={list(dilation)}")
    if not batched:
        input = input.unsqueeze(0)
    _check_channels(op, input, weight, bias, groups, transposed=True)
    kernel = tuple(weight.shape[2:])
    out = tuple((i - 1) * s - 2 * p + d * (k - 1) + op_ + 1
                for i, s, p, d, k, op_ in zip(input.shape[2:], stride, padding, dilation, kernel, output_padding))
    if any(o < 1 for o in out):
        raise RuntimeError(f"{op}: Given input size per channel: ({' x '.join(map(str, input.shape[2:]))}). "
                           f"Calculated output size per channel: ({' x '.join(map(str, out))}). Output size is too "
                           f"small")
    out_shape = (input.shape[0], weight.shape[1] * groups) + out
    geom = _Geom(nd, stride, padding, dilation, groups)
    y = ConvBackwardInput.apply(input, weight, input_shape=out_shape, geom=geom)
    if bias is not None:
        y = y + bias.reshape((-1,) + (1,) * nd)
    return y if batched else y.squeeze(0)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-d transposed convolution (the gradient of conv1d in its input): weight (C_in, C_out / groups, k).

    L_out = (L - 1) s - 2 p + d (k - 1) + output_padding + 1.
    """
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-d transposed convolution ("deconvolution"): weight (C_in, C_out / groups, kH, kW).

    H_out = (H - 1) sH - 2 pH + dH (kH - 1) + output_padding[0] + 1 (and likewise W).
    """
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """3-d transposed convolution: weight (C_in, C_out / groups, kD, kH, kW)."""
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)
