"""Normalization layers: batch, layer, group, instance and RMS norm, local response norm.

Batch/layer/group/instance norm share one Function, `_Normalize`: standardise x over a set of
axes S (y = (x - mean_S x) / sqrt(var_S x + eps)) and apply an optional elementwise affine
w, b that broadcasts against x. Its backward is the closed form

    dx = invstd * (gh - mean_S(gh) - xhat * mean_S(gh * xhat)),   gh = g * w,
    dw = sum_R(g * xhat),   db = sum_R(g)          (R: the axes w is broadcast along)

computed on raw arrays with as few full-size temporaries as possible when no graph of the
gradient is being built, and in Tensor ops (mean and variance recomputed differentiably from
x) when one is (create_graph=True), so double backward works.

When w and b are constant over S (batch and instance norm: one value per channel), forward
folds the normalisation and the affine into y = x * scale + shift with per-channel scale and
shift: one full-size pass and one output buffer after the statistics.

Layer norm of float32/float64 input runs `_LayerNorm`, the same math by the fused kernels of
kernels/layer_norm.py (native C++ on CPU: one call each way instead of a dozen array passes);
float16 input keeps `_Normalize`.
"""
from __future__ import annotations

import numbers

import numpy as np

from ... import _dtype as dt
from ...amp import policy as _amp
from ...autograd import grad_mode
from ...autograd.function import Function
from ...backend import get_array_module
from ...kernels import layer_norm as _kln
from ...ops._pointwise import not_for
from ...ops.shape import reshape
from ...tensor import Size, Tensor

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm", "local_response_norm"]

_grad_enabled = grad_mode._grad_enabled


def _prod(values) -> int:
    n = 1
    for v in values:
        n *= v
    return n


def _group_block(shape: tuple, axes: tuple):
    """(lead, group, trail, g0, g1) when the axes not reduced form one contiguous block [g0, g1), else None."""
    kept = [a for a in range(len(shape)) if a not in axes]
    if not kept or kept != list(range(kept[0], kept[-1] + 1)):
        return None
    g0, g1 = kept[0], kept[-1] + 1
    return _prod(shape[:g0]), _prod(shape[g0:g1]), _prod(shape[g1:]), g0, g1


class _Normalize(Function):
    """y = (x - mean_S x) * rsqrt(var_S x + eps) * w + b (biased variance). Gradient: the closed form above.

    Inputs: x, then w if has_w, then b if has_b. Attributes: axes (S), pshape (the shape w and b are
    viewed as to broadcast against x), eps, fold (w, b constant over S), stats_hook (called with the
    batch mean and biased variance, keepdims arrays, and the count per statistic: running-stat updates).
    """

    def forward(self, x, *params, axes, pshape, eps, has_w, has_b, fold, stats_hook=None):
        self.axes, self.pshape, self.eps, self.has_w, self.has_b = axes, pshape, eps, has_w, has_b
        self.n = _prod(x.shape[a] for a in axes)
        self.blocks = _group_block(x.shape, axes) if fold and x.dtype.kind in "fV" and x.itemsize >= 4 else None
        if self.blocks is not None:
            out, mean, var = self._forward_folded(x, params)
        else:
            out, mean, var = self._forward_general(x, params)
        if stats_hook is not None:
            keep = tuple(1 if a in axes else s for a, s in enumerate(x.shape))
            stats_hook(mean.reshape(keep), var.reshape(keep), self.n)
        return out

    def _params(self, params):
        w = params[0].reshape(self.pshape) if self.has_w else None
        b = params[self.has_w].reshape(self.pshape) if self.has_b else None
        return w, b

    def _per_group(self, p, shape):
        """A parameter (viewed with pshape) as one value per statistic: a (group,) vector."""
        g0, g1 = self.blocks[3], self.blocks[4]
        xp = get_array_module(p)
        return xp.broadcast_to(p.reshape(self.pshape[g0:g1]), shape[g0:g1]).reshape(-1)

    def _forward_folded(self, x, params):
        """Batch/instance norm: x viewed as (lead, group, trail), one statistic per group (the group dims are
        contiguous). Sums are einsum reductions over that view (no |x|^2 temporary); the one full-size
        buffer, x - mean, becomes the output: y = x * scale + shift, scale = w*invstd, shift = b - mean*scale."""
        xp = get_array_module(x)
        lead, group, trail = self.blocks[:3]
        x3 = x.reshape(lead, group, trail)
        n = self.n
        mean = xp.einsum("lgt->g", x3) / n
        out = x3 - mean[:, None]
        var = xp.einsum("lgt,lgt->g", out, out) / n
        invstd = 1.0 / (var + self.eps) ** 0.5
        w, b = self._params(params)
        scale = invstd if w is None else invstd * self._per_group(w, x.shape)
        shift = -(mean * scale)
        if b is not None:
            shift += self._per_group(b, x.shape)
        xp.multiply(x3, scale[:, None], out=out)
        out += shift[:, None]
        self.mean, self.invstd = mean, invstd
        return out.reshape(x.shape), mean, var

    def _forward_general(self, x, params):
        """Layer/group norm: statistics over trailing axes (einsum over a (rows, cols) view when they form a
        trailing block), the affine elementwise with w and b broadcast by pshape."""
        xp = get_array_module(x)
        axes, n = self.axes, self.n
        keep = tuple(1 if a in axes else s for a, s in enumerate(x.shape))
        self.trailing = x.dtype.itemsize >= 4 and axes == tuple(range(x.ndim - len(axes), x.ndim))
        if self.trailing:
            x2 = x.reshape(-1, n) if n else x.reshape(_prod(keep), 0)
            mean = (xp.einsum("rc->r", x2) / n).reshape(keep)
            out = x - mean
            o2 = out.reshape(x2.shape)
            var = (xp.einsum("rc,rc->r", o2, o2) / n).reshape(keep)
        else:
            mean = x.mean(axis=axes, keepdims=True)
            out = x - mean
            var = (out * out).mean(axis=axes, keepdims=True)
        invstd = 1.0 / (var + self.eps) ** 0.5
        out *= invstd
        w, b = self._params(params)
        if w is not None:
            out *= w
        if b is not None:
            out += b
        self.mean, self.invstd = mean, invstd
        return out, mean, var

    def _reduce_axes(self, ndim: int) -> tuple:
        """R: the axes along which w and b were broadcast (their gradients sum over these)."""
        return tuple(a for a in range(ndim) if self.pshape[a] == 1)

    def backward(self, grad):
        if _grad_enabled[0]:
            return self._backward_tensors(grad)
        x = dt.opmath(self.inputs[0]._data)
        if self.blocks is not None:
            gx, gw, gb = self._backward_folded(x, dt.opmath(grad._data))
        else:
            gx, gw, gb = self._backward_general(x, dt.opmath(grad._data))
        xp = get_array_module(x)
        grads = [None if gx is None else Tensor._wrap(gx)]
        if self.has_w:
            grads.append(None if gw is None else Tensor._wrap(xp.asarray(gw).reshape(self.inputs[1]._data.shape)))
        if self.has_b:
            shape = self.inputs[1 + self.has_w]._data.shape
            grads.append(None if gb is None else Tensor._wrap(xp.asarray(gb).reshape(shape)))
        return tuple(grads)

    def _backward_folded(self, x, g):
        """dx = k1 * (g - sum(g)/n - (x - mean) * invstd^2 * sum(g (x - mean))/n), k1 = w*invstd, computed in place
        in one full-size buffer; dw = invstd * sum(g (x - mean)), db = sum(g), per statistic then per parameter."""
        xp = get_array_module(x)
        lead, group, trail, g0, g1 = self.blocks
        x3, g3 = x.reshape(lead, group, trail), g.reshape(lead, group, trail)
        n, mean, invstd = self.n, self.mean, self.invstd
        need = self.needs_input_grad
        xc = x3 - mean[:, None]
        sum_g = xp.einsum("lgt->g", g3)
        sum_gxc = xp.einsum("lgt,lgt->g", g3, xc)
        gx = gw = gb = None
        if need[0]:
            k1 = invstd if not self.has_w else invstd * self._per_group(dt.opmath(self.inputs[1]._data), x.shape)
            xc *= (-(invstd * invstd) * sum_gxc / n)[:, None]
            xc += g3
            xc -= (sum_g / n)[:, None]
            xc *= k1[:, None]
            gx = xc.reshape(x.shape)
        group_shape = x.shape[g0:g1]
        # parameters broadcast within the group block (instance norm: over the batch) sum their gradients there
        within = tuple(i for i, a in enumerate(range(g0, g1)) if self.pshape[a] == 1)
        if self.has_w and need[1]:
            gw = (sum_gxc * invstd).reshape(group_shape)
            gw = gw.sum(axis=within) if within else gw
        if self.has_b and need[1 + self.has_w]:
            gb = sum_g.reshape(group_shape)
            gb = gb.sum(axis=within) if within else gb
        return gx, gw, gb

    def _backward_general(self, x, g):
        """dx = invstd * (gh - mean_S gh - xhat * mean_S(gh xhat)), gh = g*w, computed in place in the xhat buffer."""
        xp = get_array_module(x)
        axes, mean, invstd, n = self.axes, self.mean, self.invstd, self.n
        need = self.needs_input_grad
        w = dt.opmath(self.inputs[1]._data).reshape(self.pshape) if self.has_w else None
        R = self._reduce_axes(x.ndim)
        keep = mean.shape
        xhat = x - mean
        xhat *= invstd
        gh = g if w is None else g * w
        # the parameters' gradients first: they read xhat before it is overwritten with dx
        leading = self.trailing and R == tuple(range(x.ndim - len(axes)))  # layer norm: R is the leading block
        gw = gb = gx = None
        if self.has_w and need[1]:
            if leading:
                gw = xp.einsum("rc,rc->c", g.reshape(-1, n), xhat.reshape(-1, n))
            else:
                gw = (g * xhat).sum(axis=R) if R else g * xhat
        if self.has_b and need[1 + self.has_w]:
            if leading:
                gb = xp.einsum("rc->c", g.reshape(-1, n))
            else:
                gb = g.sum(axis=R) if R else g
        if need[0]:
            if self.trailing:
                gh2, xh2 = gh.reshape(-1, n), xhat.reshape(-1, n)
                m1 = (xp.einsum("rc->r", gh2) / n).reshape(keep)
                m2 = (xp.einsum("rc,rc->r", gh2, xh2) / n).reshape(keep)
            else:
                m1 = gh.mean(axis=axes, keepdims=True)
                m2 = (gh * xhat).mean(axis=axes, keepdims=True)
            xhat *= -m2
            xhat += gh
            xhat -= m1
            xhat *= invstd
            gx = xhat
        return gx, gw, gb

    def _backward_tensors(self, grad):
        """The closed form in differentiable Tensor ops, statistics recomputed from x (create_graph=True)."""
        x = self.inputs[0]
        axes, pshape = self.axes, self.pshape
        need = self.needs_input_grad
        R = self._reduce_axes(x._data.ndim)
        mean = x.mean(axes, keepdim=True)
        xc = x - mean
        invstd = ((xc * xc).mean(axes, keepdim=True) + self.eps).rsqrt()
        xhat = xc * invstd
        grads = []
        gh = grad * reshape(self.inputs[1], pshape) if self.has_w else grad
        gx = None
        if need[0]:
            gx = invstd * (gh - gh.mean(axes, keepdim=True) - xhat * (gh * xhat).mean(axes, keepdim=True))
        grads.append(gx)
        if self.has_w:
            w = self.inputs[1]
            gw = reshape((grad * xhat).sum(R) if R else grad * xhat, w._data.shape) if need[1] else None
            grads.append(gw)
        if self.has_b:
            b = self.inputs[1 + self.has_w]
            gb = reshape(grad.sum(R) if R else grad, b._data.shape) if need[1 + self.has_w] else None
            grads.append(gb)
        return tuple(grads)


class _LayerNorm(_Normalize):
    """Layer norm by the fused kernels of kernels/layer_norm.py (native C++ on CPU): x viewed as (rows, D), D the
    product of the normalised trailing dims, w and b flattened to (D,). The same math as `_Normalize` (whose
    Tensor-op backward serves create_graph=True), in one kernel call each way instead of a dozen array passes."""

    def forward(self, x, *params, axes, pshape, eps, has_w, has_b):
        self.axes, self.pshape, self.eps, self.has_w, self.has_b = axes, pshape, eps, has_w, has_b
        self.n = _prod(x.shape[a] for a in axes)
        w = params[0].reshape(self.n) if has_w else None
        b = params[has_w].reshape(self.n) if has_b else None
        y, self.mean, self.rstd = _kln.layer_norm_forward(x.reshape(-1, self.n), w, b, eps)
        return y.reshape(x.shape)

    def backward(self, grad):
        if _grad_enabled[0]:
            return self._backward_tensors(grad)
        x = self.inputs[0]._data
        need = self.needs_input_grad
        w = self.inputs[1]._data.reshape(self.n) if self.has_w else None
        g2 = grad._data.astype(x.dtype, copy=False).reshape(-1, self.n)
        gx, gw, gb = _kln.layer_norm_backward(g2, x.reshape(-1, self.n), w, self.mean, self.rstd)
        grads = [Tensor._wrap(gx.reshape(x.shape)) if need[0] else None]
        if self.has_w:
            grads.append(Tensor._wrap(gw.reshape(self.inputs[1]._data.shape)) if need[1] else None)
        if self.has_b:
            b_shape = self.inputs[1 + self.has_w]._data.shape
            if gb is None and need[1 + self.has_w]:  # bias without weight: the kernel leaves sum_rows g to us
                gb = g2.sum(axis=0)
            grads.append(Tensor._wrap(gb.reshape(b_shape)) if need[1 + self.has_w] else None)
        return tuple(grads)


def _normalize(input: Tensor, weight, bias, axes: tuple, pshape: tuple, eps: float, fold: bool,
               stats_hook=None) -> Tensor:
    params = [p for p in (weight, bias) if p is not None]
    if input._data.size == 0:
        # Nothing to standardise: keep the shape, and let the affine (if any) give w and b their zero gradients.
        out = input * 1.0
        if weight is not None:
            out = out * reshape(weight, pshape)
        if bias is not None:
            out = out + reshape(bias, pshape)
        return out
    return _Normalize.apply(input, *params, axes=axes, pshape=pshape, eps=float(eps), has_w=weight is not None,
                            has_b=bias is not None, fold=fold, stats_hook=stats_hook)


# -- argument checks ---------------------------------------------------------------------------------------
_TORCH_TYPE = {"float16": "Half", "float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
               "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _require_float(input: Tensor, op: str) -> None:
    if input._data.dtype.kind not in "fV":
        raise NotImplementedError(f"\"{op}\" not implemented for '{_TORCH_TYPE.get(input._data.dtype.name)}'")


def _check_vector(name: str, t: Tensor | None, size: int, input: Tensor) -> None:
    if t is None:
        return
    if t.numel() != size:
        raise RuntimeError(f"{name} should contain {size} elements not {t.numel()}")
    if t._data.dtype != input._data.dtype:
        raise RuntimeError(f"mixed dtype (CPU): expect parameter to have scalar type of "
                           f"{_TORCH_TYPE.get(input._data.dtype.name)} (got {_TORCH_TYPE.get(t._data.dtype.name)} "
                           f"for {name})")


def _verify_batch_size(size: tuple) -> None:
    if _prod(size[:1]) * _prod(size[2:]) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {_size_repr(size)}")


def _size_repr(size) -> str:
    return repr(Size(size)) if isinstance(size, tuple) else repr(size)


def _running_update(running_mean, running_var, momentum: float, reduce_batch: bool):
    """A stats hook that moves the running stats toward the batch's (unbiased variance, as PyTorch does)."""

    def hook(mean, var, n):
        m = float(momentum)
        if running_mean is not None:
            batch_mean = mean.reshape(-1) if not reduce_batch else mean.reshape(mean.shape[0], -1).mean(axis=0)
            rm = running_mean._data
            rm *= 1.0 - m
            rm += (m * batch_mean).astype(rm.dtype, copy=False).reshape(rm.shape)
            running_mean._vc[0] += 1
        if running_var is not None:
            unbiased = var * (n / (n - 1)) if n > 1 else var * float("nan")  # n == 1: undefined, as in PyTorch
            batch_var = unbiased.reshape(-1) if not reduce_batch else unbiased.reshape(var.shape[0], -1).mean(axis=0)
            rv = running_var._data
            rv *= 1.0 - m
            rv += (m * batch_var).astype(rv.dtype, copy=False).reshape(rv.shape)
            running_var._vc[0] += 1

    return hook


class _ChannelAffine(Function):
    """y = x * scale[c] + shift[c] over dim 1 of (N, C, *) input. Gradients: g*scale, sum(g*x), sum(g) per channel."""

    def forward(self, x, scale, shift):
        xp = get_array_module(x)
        x3 = x.reshape(x.shape[0], x.shape[1], _prod(x.shape[2:]))
        out = xp.multiply(x3, scale[:, None])  # one output buffer, the shift added in place
        out += shift[:, None]
        return out.reshape(x.shape)

    def backward(self, grad):
        x, scale, _ = self.inputs
        need = self.needs_input_grad
        shape = x._data.shape
        if _grad_enabled[0]:  # create_graph: the same in differentiable Tensor ops
            view = (1, -1) + (1,) * (len(shape) - 2)
            axes = (0,) + tuple(range(2, len(shape)))
            gx = grad * reshape(scale, view) if need[0] else None
            gs = (grad * x).sum(axes) if need[1] else None
            gb = grad.sum(axes) if need[2] else None
            return gx, gs, gb
        xp = get_array_module(x._data)
        g3 = dt.opmath(grad._data).reshape(shape[0], shape[1], _prod(shape[2:]))
        gx = Tensor._wrap((g3 * dt.opmath(scale._data)[:, None]).reshape(shape)) if need[0] else None
        gs = Tensor._wrap(xp.einsum("ncs,ncs->c", g3, dt.opmath(x._data).reshape(g3.shape))) if need[1] else None
        gb = Tensor._wrap(xp.einsum("ncs->c", g3)) if need[2] else None
        return gx, gs, gb


def _affine_with_stats(input: Tensor, mean: Tensor, var: Tensor, weight, bias, eps: float) -> Tensor:
    """y = (x - mean) / sqrt(var + eps) * w + b with given per-channel stats (evaluation mode): folded into
    y = x * scale + shift (one pass, one buffer); scale and shift are small Tensor ops, so the result is
    differentiable in x, weight, bias and the statistics."""
    scale = (var + eps).rsqrt()
    if weight is not None:
        scale = scale * weight
    shift = -(mean * scale)
    if bias is not None:
        shift = shift + bias
    if input._data.ndim == 1:
        return input * scale + shift
    return _ChannelAffine.apply(input, scale, shift)


def _mixed(input: Tensor, *params) -> bool:
    """PyTorch's mixed-dtype norms: a float16/bfloat16 input with float32 parameters or statistics is
    normalised in float32 and the result rounded back to the input's dtype (what autocast produces:
    a half-precision activation meeting a float32 BatchNorm/LayerNorm)."""
    if input._data.dtype.itemsize != 2 or input._data.dtype.kind not in "fV":
        return False
    return any(p is not None and p._data.dtype == np.float32 for p in params)


# -- the public functions --------------------------------------------------------------------------------------
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) over the batch and spatial dims; see `_Normalize` for the gradient.

    Training: batch statistics, and running_mean/var (if given) move by `momentum` toward the batch mean and
    the *unbiased* batch variance, in place. Evaluation: the running statistics.
    """
    if _mixed(input, weight, bias, running_mean, running_var):
        return batch_norm(input.float(), running_mean, running_var, weight, bias, training, momentum,
                          eps).to(input.dtype)
    x = input._data
    if x.ndim == 0 and training:  # PyTorch reads the batch size first in training: IndexError
        raise IndexError("batch_norm: tuple index out of range (input must have at least 2 dims (N, C, *))")
    if training:
        _verify_batch_size(tuple(x.shape))
    channels = x.shape[1] if x.ndim > 1 else 0
    _require_float(input, "batch_norm")
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("running_mean must be defined in evaluation mode")
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
        _check_vector(name, t, channels, input)
    if x.ndim < 2:
        raise RuntimeError(f"batch_norm: expected an input of at least 2 dims (N, C, *), got {tuple(x.shape)}")
    if not training:
        return _affine_with_stats(input, running_mean, running_var, weight, bias, eps)
    axes = (0,) + tuple(range(2, x.ndim))
    pshape = (1, channels) + (1,) * (x.ndim - 2)
    hook = None
    if (running_mean is not None or running_var is not None) and x.size:
        hook = _running_update(running_mean, running_var, momentum, reduce_batch=False)
    return _normalize(input, weight, bias, axes, pshape, eps, fold=True, stats_hook=hook)


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each (sample, channel) over its spatial dims; running stats get the batch average of them."""
    if _mixed(input, weight, bias, running_mean, running_var):
        return instance_norm(input.float(), running_mean, running_var, weight, bias, use_input_stats, momentum,
                             eps).to(input.dtype)
    x = input._data
    if use_input_stats:
        if _prod(x.shape[2:]) == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                             f"{_size_repr(tuple(x.shape))}")
    if x.ndim < 2:
        raise RuntimeError(f"instance_norm: expected an input of at least 2 dims (N, C, *), got {tuple(x.shape)}")
    _require_float(input, "instance_norm")
    channels = x.shape[1]
    for name, t in (("weight", weight), ("bias", bias)):
        _check_vector(name, t, channels, input)
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.numel() != channels:
            # PyTorch repeats the running stats over the batch first, so it reports N*C expected elements.
            raise RuntimeError(f"{name} should contain {x.shape[0] * channels} elements not "
                               f"{t.numel() * x.shape[0]}")
        _check_vector(name, t, channels, input)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
        return _affine_with_stats(input, running_mean, running_var, weight, bias, eps)
    axes = tuple(range(2, x.ndim))
    pshape = (1, channels) + (1,) * (x.ndim - 2)
    hook = None
    if (running_mean is not None or running_var is not None) and x.size:
        hook = _running_update(running_mean, running_var, momentum, reduce_batch=True)
    return _normalize(input, weight, bias, axes, pshape, eps, fold=True, stats_hook=hook)


def _normalized_shape(normalized_shape, op: str) -> tuple:
    if isinstance(normalized_shape, numbers.Integral) and not isinstance(normalized_shape, bool):
        raise TypeError(f"{op}(): argument 'normalized_shape' (position 2) must be tuple of ints, not int")
    try:
        shape = tuple(int(s) for s in normalized_shape)
    except TypeError:
        raise TypeError(f"{op}(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
                        f"{type(normalized_shape).__name__}") from None
    return shape


def _check_normalized(input: Tensor, shape: tuple, weight, bias, op: str) -> None:
    x = input._data
    if not shape:
        raise RuntimeError(f"Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           f"element, but got normalized_shape = []")
    if x.ndim < len(shape) or tuple(x.shape[x.ndim - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape [*, "
                           f"{', '.join(map(str, shape))}], but got input of size{list(x.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None:
            if tuple(t._data.shape) != shape:
                raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                                   f"{list(t._data.shape)} and normalized_shape = {list(shape)}")
            if t._data.dtype != x.dtype:
                raise RuntimeError(f"{op}: expected {name} to have the input's dtype {input.dtype}, got {t.dtype}")


@_amp.autocast_op("layer_norm")
def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the last len(normalized_shape) dims, then y * weight + bias (elementwise)."""
    if _mixed(input, weight, bias):
        return layer_norm(input.float(), normalized_shape, weight, bias, eps).to(input.dtype)
    shape = _normalized_shape(normalized_shape, "layer_norm")
    _check_normalized(input, shape, weight, bias, "layer_norm")
    _require_float(input, "LayerNormKernelImpl")
    nd, k = input._data.ndim, len(shape)
    axes = tuple(range(nd - k, nd))
    pshape = (1,) * (nd - k) + shape
    if input._data.size and input._data.dtype in (np.float32, np.float64):  # what the fused kernels cover
        params = [p for p in (weight, bias) if p is not None]
        return _LayerNorm.apply(input, *params, axes=axes, pshape=pshape, eps=float(eps), has_w=weight is not None,
                                has_b=bias is not None)
    return _normalize(input, weight, bias, axes, pshape, eps, fold=False)


@_amp.autocast_op("group_norm")
def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Split the channels (dim 1) into num_groups groups; normalise each (sample, group); per-channel affine."""
    if _mixed(input, weight, bias):
        return group_norm(input.float(), num_groups, weight, bias, eps).to(input.dtype)
    x = input._data
    if x.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {x.ndim}")
    n, c = x.shape[0], x.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(x.shape)} and num_groups={num_groups}")
    _verify_batch_size((n * c // num_groups, num_groups) + tuple(x.shape[2:]))
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t._data.ndim != 1 or t._data.shape[0] != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(t._data.shape)} and input of shape {list(x.shape)}")
        if t is not None and t._data.dtype != x.dtype:
            raise RuntimeError(f"group_norm: expected {name} to have the input's dtype {input.dtype}, got {t.dtype}")
    _require_float(input, "group_norm")
    spatial = tuple(x.shape[2:])
    grouped = reshape(input, (n, num_groups, c // num_groups) + spatial)
    axes = tuple(range(2, grouped._data.ndim))
    pshape = (1, num_groups, c // num_groups) + (1,) * len(spatial)
    out = _normalize(grouped, weight, bias, axes, pshape, eps, fold=False)
    return reshape(out, x.shape)


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    """y = x / sqrt(mean(x^2 over the last dims) + eps) * weight; eps defaults to the dtype's machine epsilon."""
    shape = _normalized_shape(normalized_shape, "rms_norm")
    x = input._data
    if x.ndim < len(shape):  # PyTorch checks the rank first, in Python: a ValueError
        raise ValueError(f"rms_norm: Input tensor must have at least {len(shape)} dimensions, but got {x.ndim} "
                         f"(normalized_shape={list(shape)})")
    if tuple(x.shape[x.ndim - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{', '.join(map(str, shape))}], but got input of size{list(x.shape)}")
    if weight is not None and tuple(weight._data.shape) != shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight._data.shape)} and normalized_shape = {list(shape)}")
    _require_float(input, "rms_norm")
    if eps is None:
        eps = dt.finfo(input.dtype).eps
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    out = input * ((input * input).mean(axes, keepdim=True) + eps).rsqrt() if axes else input
    if weight is not None:
        out = out * weight
    return out


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """y = x / (k + alpha/size * sum of x^2 over `size` neighbouring channels)^beta (zero-padded window)."""
    x = input._data
    not_for(input, "local_response_norm", "b")  # PyTorch's avg_pool kernel has no bool version
    if x.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {x.ndim} "
                         f"dimensions)")
    if x.size == 0:
        return input * 1.0
    from ...ops.pad import pad  # noqa: PLC0415 - the op layer's pad, imported where used

    c = x.shape[1]
    sq = input * input
    # Zero-pad the channel dim by size//2 before and (size-1)//2 after, then sum `size` shifted slices:
    # a loop over the window offsets (a handful), not over elements.
    pad_spec = [0, 0] * (x.ndim - 2) + [size // 2, (size - 1) // 2]
    padded = pad(sq, pad_spec)
    window = padded.narrow(1, 0, c)
    for offset in range(1, size):
        window = window + padded.narrow(1, offset, c)
    div = (window * (alpha / size) + k) ** beta
    return input / div
