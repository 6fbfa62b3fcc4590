"""The class-index losses: `nll_loss` and the fused `cross_entropy` (log_softmax + nll in one Function).

Every layout PyTorch accepts, (C,), (N, C) and (N, C, d1, ...), is viewed as (N, C, M) with the
target as (N, M) (M = d1*d2*..., 1 when there are no spatial dims), so one vectorised code path
serves them all: the target's entries are picked with one fancy index `x3[n, t, m]`.

cross_entropy is on the hot path of every classifier, so it is one Function: forward computes
the per-row log-sum-exp once (kept for backward, a (N, 1, M) array) and never materialises
log_softmax; backward is softmax minus the (smoothed, weighted) one-hot target, scaled by the
incoming gradient, in place on a single fresh array. When a graph of the gradient is being built
(create_graph=True), backward is written in Tensor ops instead (softmax(x) * A - B, with A and B
constants), so the loss is differentiable any number of times.
"""
from __future__ import annotations

import numpy as np

from ...autograd import grad_mode
from ...autograd.function import Function
from ...backend import get_array_module
from ...ops.shape import reshape
from ...ops.softmax import softmax
from ...tensor import Tensor

_grad_enabled = grad_mode._grad_enabled
_TORCH_DTYPE = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def torch_type_name(a) -> str:
    return _TORCH_DTYPE.get(a.dtype.name, a.dtype.name)


class Layout:
    """How an (input, target) pair of a class-index loss maps onto (N, C, M) and (N, M)."""

    __slots__ = ("n", "c", "m", "out_shape")

    def __init__(self, n: int, c: int, m: int, out_shape: tuple):
        self.n, self.c, self.m, self.out_shape = n, c, m, out_shape


def class_layout(input_shape: tuple, target_shape: tuple) -> Layout:
    """Check the shapes as PyTorch's nll_loss_nd does (same exception types) and return the layout."""
    nd, td = len(input_shape), len(target_shape)
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    if nd != 1 and (target_shape[0] if td else 0) != input_shape[0]:
        raise ValueError(f"Expected input batch_size ({input_shape[0]}) to match target batch_size "
                         f"({target_shape[0] if td else 0}).")
    if nd <= 2:
        if td > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if nd == 1:
            if td == 1 and target_shape[0] != 1:
                raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target_shape[0]}")
            return Layout(1, input_shape[0], 1, ())
        return Layout(input_shape[0], input_shape[1], 1, (input_shape[0],))
    expected = (input_shape[0],) + tuple(input_shape[2:])
    if nd == 4:
        if td != 3:
            raise RuntimeError(f"only batches of spatial targets supported (3D tensors) but got targets of dimension: "
                               f"{td}")
        if tuple(target_shape) != expected:
            raise RuntimeError(f"size mismatch (got input: {list(input_shape)} , target: {list(target_shape)}")
    elif tuple(target_shape) != expected:
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(target_shape)}")
    m = 1
    for s in input_shape[2:]:
        m *= s
    return Layout(input_shape[0], input_shape[1], m, expected)


def check_target_dtype(target: Tensor) -> None:
    if target._data.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {torch_type_name(target._data)}")


def check_weight(weight: Tensor | None, input: Tensor, c: int, op: str = "") -> None:
    """weight: a float vector of one entry per class, input's dtype, not requiring grad (as PyTorch)."""
    if weight is None:
        return
    w = weight._data
    if w.ndim != 1 or w.shape[0] != c:
        raise RuntimeError(f"{op}weight tensor should be defined either for all {c} classes or no classes but got "
                           f"weight tensor of shape: {list(w.shape)}")
    if w.dtype != input._data.dtype:
        raise RuntimeError(f"expected scalar type {torch_type_name(input._data)} but found {torch_type_name(w)}")
    if weight._requires_grad and _grad_enabled[0]:
        raise RuntimeError("The function 'nll_loss_forward' is not differentiable with respect to argument 'weight'. "
                           "This input cannot have requires_grad True.")


class Targets:
    """The target as (N, M) indices ready for fancy indexing, with its validity mask and per-item weights.

    `wt[i] = weight[t_i]` (1 without weights) where the item is not ignored, 0 where it is; `total`
    is sum(wt) as a 0-d array of the input's dtype: the denominator of reduction='mean'.
    """

    __slots__ = ("rows", "t", "cols", "valid", "all_valid", "wt", "total")

    def __init__(self, target, layout: Layout, ignore_index: int, weight, dtype):
        xp = get_array_module(target)
        t = target.reshape(layout.n, layout.m).astype(np.int64, copy=False)
        valid = t != ignore_index
        all_valid = bool(valid.all())
        if not all_valid:
            t = xp.where(valid, t, 0)  # ignored items read class 0, then get weight 0
        bad = (t < 0) | (t >= layout.c)
        if layout.n * layout.m and bool(bad.any()):
            raise IndexError(f"Target {int(t[bad][0])} is out of bounds.")
        self.rows = xp.arange(layout.n).reshape(-1, 1)
        self.cols = xp.arange(layout.m).reshape(1, -1)
        self.t, self.valid, self.all_valid = t, valid, all_valid
        if weight is not None:
            wt = weight[t]
            self.wt = wt if all_valid else xp.where(valid, wt, 0).astype(dtype, copy=False)
        else:
            self.wt = valid.astype(dtype)
        self.total = xp.asarray(self.wt.sum(dtype=dtype))

    def scatter(self, values, shape: tuple, dtype):
        """Zeros of (N, C, M) with `values` (N, M) written at each item's target class."""
        xp = get_array_module(values)
        out = xp.zeros(shape, dtype=dtype)
        out[self.rows, self.t, self.cols] = values
        return out


def _reduce_items(loss, tg: Targets, layout: Layout, reduction: str):
    """Per-item losses (N, M) -> the reduced result array."""
    if reduction == "none":
        return loss.reshape(layout.out_shape)
    total = loss.sum()
    if reduction == "sum":
        return total
    with np.errstate(invalid="ignore", divide="ignore"):  # all items ignored: 0/0 = nan, as PyTorch
        return total / tg.total


def _grad_scale(grad: Tensor, tg: Targets, layout: Layout, reduction: str) -> Tensor:
    """The incoming gradient shaped to broadcast against (N, C, M): per item for 'none', else a scalar."""
    if reduction == "none":
        return reshape(grad, (layout.n, 1, layout.m))
    if reduction == "mean":
        return grad / Tensor._wrap(tg.total)
    return grad


def _no_items(tg: Targets, reduction: str) -> bool:
    """'mean' over no (unignored) items: the loss is nan and, as in PyTorch, the gradient is 0, not nan."""
    return reduction == "mean" and not tg.total


def _zeros(like, shape) -> Tensor:
    return Tensor._wrap(get_array_module(like).zeros(shape, dtype=like.dtype))


class NLLLoss(Function):
    """l_i = -w[t_i] x[i, t_i] (0 for ignored items); 'mean' divides by sum w[t_i]. Gradient: -w[t_i] g at t_i."""

    keep_inputs = False

    def forward(self, x, tg: Targets, layout: Layout, reduction: str):
        self.tg, self.layout, self.reduction, self.shape = tg, layout, reduction, x.shape
        if x.size == 0:
            loss = get_array_module(x).zeros((layout.n, layout.m), dtype=x.dtype)
        else:
            picked = x.reshape(layout.n, layout.c, layout.m)[tg.rows, tg.t, tg.cols]
            loss = -(picked * tg.wt)
            if not tg.all_valid:  # an ignored item contributes 0 even where x is inf or nan
                loss = get_array_module(x).where(tg.valid, loss, 0).astype(x.dtype, copy=False)
        return _reduce_items(loss, tg, self.layout, reduction)

    def backward(self, grad):
        layout, tg = self.layout, self.tg
        if _no_items(tg, self.reduction):
            return _zeros(grad._data, self.shape)
        coef = Tensor._wrap(tg.scatter(-tg.wt, (layout.n, layout.c, layout.m), grad._data.dtype))
        return reshape(coef * _grad_scale(grad, tg, layout, self.reduction), self.shape)


class CrossEntropy(Function):
    """Cross entropy with class indices, weights, ignore_index and label smoothing eps, over classes c:

        l_i = (1 - eps) * (-w[t_i] logp[i, t_i]) + eps / C * sum_c (-w_c logp[i, c]),  logp = log_softmax(x)

    Gradient: g * (p * ((1 - eps) w[t_i] + eps/C * sum_c w_c) - (1 - eps) w[t_i] onehot(t_i) - eps/C * w),
    with p = softmax(x).
    """

    def forward(self, x, tg: Targets, layout: Layout, reduction: str, weight, smoothing: float):
        self.tg, self.layout, self.reduction, self.weight, self.eps = tg, layout, reduction, weight, smoothing
        xp = get_array_module(x)
        n, c, m = layout.n, layout.c, layout.m
        if x.size == 0:
            self.lse = None
            return _reduce_items(xp.zeros((n, m), dtype=x.dtype), tg, layout, reduction)
        x3 = x.reshape(n, c, m)
        top = x3.max(axis=1, keepdims=True)
        e = x3 - top
        xp.exp(e, out=e)
        lse = e.sum(axis=1, keepdims=True)
        xp.log(lse, out=lse)
        lse += top  # (N, 1, M): log sum_c exp(x_c), computed without overflow
        self.lse = lse
        lse2 = lse[:, 0, :]
        loss = (lse2 - x3[tg.rows, tg.t, tg.cols]) * tg.wt
        if smoothing > 0:
            if weight is None:  # -sum_c logp_c = C * lse - sum_c x_c
                smooth = lse2 * c - x3.sum(axis=1)
            else:
                smooth = lse2 * weight.sum() - (x3 * weight.reshape(1, c, 1)).sum(axis=1)
            loss = loss * (1 - smoothing) + smooth * (smoothing / c)
        if not tg.all_valid:
            loss = xp.where(tg.valid, loss, 0).astype(x.dtype, copy=False)
        return _reduce_items(loss, tg, layout, reduction)

    def _coefficients(self, dtype):
        """The gradient before scaling by g is p * a - b, b = on_target at each item's class + spread * w.

        a (N, 1, M) = (1-eps) w[t] + eps/C sum_c w_c; on_target (N, M) = (1-eps) w[t]; spread (N, 1, M) =
        eps/C (None without smoothing). Ignored items have all three 0.
        """
        tg, layout, eps, w = self.tg, self.layout, self.eps, self.weight
        n, m = layout.n, layout.m
        on_target = tg.wt * (1 - eps) if eps else tg.wt
        a, spread = on_target, None
        if eps:
            valid = tg.valid.astype(dtype)
            total_w = w.sum() if w is not None else layout.c
            a = a + valid * (total_w * eps / layout.c)
            spread = valid.reshape(n, 1, m) * (eps / layout.c)
        return a.reshape(n, 1, m).astype(dtype, copy=False), on_target, spread

    def backward(self, grad):
        (x,) = self.inputs
        layout, tg = self.layout, self.tg
        n, c, m = layout.n, layout.c, layout.m
        dtype = x._data.dtype
        if self.lse is None or _no_items(tg, self.reduction):  # nothing contributed to the loss
            return _zeros(x._data, x._data.shape)
        a, on_target, spread = self._coefficients(dtype)
        w = None if self.weight is None else self.weight.reshape(1, c, 1)
        if _grad_enabled[0]:  # create_graph: the same formula in Tensor ops, differentiable again
            b = tg.scatter(on_target, (n, c, m), dtype)
            if spread is not None:
                b += spread * (w if w is not None else 1)
            p = softmax(reshape(x, (n, c, m)), 1)
            out = (p * Tensor._wrap(a) - Tensor._wrap(b)) * _grad_scale(grad, tg, layout, self.reduction)
            return reshape(out, x._data.shape)
        xp = get_array_module(x._data)
        g = grad._data
        if self.reduction == "none":
            g = g.reshape(n, 1, m)
        elif self.reduction == "mean":
            g = g / tg.total
        p = x._data.reshape(n, c, m) - self.lse
        xp.exp(p, out=p)
        p *= a * g  # (N, 1, M): one pass over the (N, C, M) array
        p[tg.rows, tg.t, tg.cols] -= on_target * (g[:, 0, :] if g.ndim else g)
        if spread is not None:
            p -= spread * g * (w if w is not None else 1)
        return Tensor._wrap(p.reshape(x._data.shape))
