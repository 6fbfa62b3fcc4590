"""Loss functions with PyTorch's signatures, shape rules, reductions and exception types.

Every loss takes `reduction='mean' | 'sum' | 'none'` (any other value is a ValueError) and, where
PyTorch still has them, the deprecated `size_average`/`reduce` flags. The class-index losses
(`cross_entropy`, `nll_loss`) are fused Functions (see `_nll.py`); the CTC loss has its own
Function (`_ctc.py`); the rest are compositions of differentiable ops written in a numerically
stable form (log-sigmoid rather than log(sigmoid), clamped logs for BCE), so each is as many times
differentiable as the ops it is made of.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ...amp import policy as _amp
from ...autograd.function import check_same_device
from ...autograd.grad_mode import _grad_enabled
from ...backend import get_array_module
from ...ops._pointwise import not_for
from ...ops.activation import log_softmax, logsigmoid, softplus
from ...ops.elementwise import exp, log, sqrt, where, xlogy
from ...ops.reduce import sum as _sum
from ...ops.shape import reshape
from ...tensor import Tensor
from ._ctc import ctc_loss
from ._common import (BinaryCrossEntropy, ClampMinValue, SquaredError, apply_reduction, check_reduction,
                      legacy_reduction, require_tensor)
from ._nll import (CrossEntropy, NLLLoss, Targets, check_target_dtype, check_weight, class_layout, torch_type_name)
from .distance import pairwise_distance

__all__ = ["cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "mse_loss",
           "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "cosine_embedding_loss", "margin_ranking_loss",
           "hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss", "multi_margin_loss",
           "triplet_margin_loss", "triplet_margin_with_distance_loss", "poisson_nll_loss", "gaussian_nll_loss",
           "multilabel_margin_loss", "ctc_loss"]


def _size(t: Tensor):
    return t.shape


# -- class-index losses ------------------------------------------------------------------------------------
@_amp.autocast_op("nll_loss")
def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood: l_i = -weight[t_i] * input[i, t_i], class dim 1 ((C,) unbatched; (N, C, d1, ...)).

    'mean' is sum(l_i) / sum(weight[t_i]) over the items whose target is not `ignore_index`.
    """
    require_tensor(input, "nll_loss", "input")
    check_same_device("nll_loss", input, target, weight)
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    layout = class_layout(tuple(input._data.shape), tuple(target._data.shape))
    check_target_dtype(target)
    if input._data.dtype.kind not in "fV":
        raise NotImplementedError(f"\"nll_loss_out_frame\" not implemented for '{torch_type_name(input._data)}'")
    check_weight(weight, input, layout.c)
    w = None if weight is None else weight._data
    tg = Targets(target._data, layout, ignore_index, w, input._data.dtype)
    return NLLLoss.apply(input, tg=tg, layout=layout, reduction=reduction)


@_amp.autocast_op("cross_entropy")
def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy of softmax(input) along dim 1 against class indices or class probabilities.

    Class indices (int64/uint8 target of input's shape without dim 1): l_i = (1-eps) nll_i + eps/C * sum_c -w_c logp_ic,
    mean = sum l_i / sum w[t_i] over non-ignored items. Probabilities (float target of input's shape):
    l_i = -sum_c w_c logp_ic q_ic with q = (1-eps) target + eps/C, mean = sum l_i / (number of items).
    """
    require_tensor(input, "cross_entropy", "input")
    require_tensor(target, "cross_entropy", "target")
    check_same_device("cross_entropy", input, target, weight)
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    x = input._data
    if x.shape == target._data.shape:
        return _cross_entropy_probs(input, target, weight, ignore_index, reduction, label_smoothing)
    if x.ndim == 0:  # PyTorch takes log_softmax along dim 1 first: out of range for a 0-d input
        raise IndexError(f"cross_entropy: Dimension out of range (expected to be in range of [-1, 0], but got 1): "
                         f"input is 0-d, target has shape {tuple(target._data.shape)}")
    layout = class_layout(tuple(x.shape), tuple(target._data.shape))
    if x.dtype.kind not in "fV":
        raise NotImplementedError(f"\"log_softmax_lastdim_kernel_impl\" not implemented for '{torch_type_name(x)}'")
    check_target_dtype(target)
    check_weight(weight, input, layout.c)
    w = None if weight is None else weight._data
    tg = Targets(target._data, layout, ignore_index, w, x.dtype)
    return CrossEntropy.apply(input, tg=tg, layout=layout, reduction=reduction, weight=w,
                              smoothing=float(label_smoothing))


def _cross_entropy_probs(input, target, weight, ignore_index, reduction, label_smoothing) -> Tensor:
    """Cross entropy against class probabilities, composed from log_softmax (differentiable in both inputs)."""
    x = input._data
    if target._data.dtype.kind not in "fV":
        raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                           f"{torch_type_name(target._data)}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    class_dim = 0 if x.ndim == 1 else 1
    n_classes = x.shape[class_dim] if x.ndim else 1
    if weight is not None and (weight._data.ndim != 1 or weight._data.shape[0] != n_classes):
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all {n_classes} classes or no "
                           f"classes but got weight tensor of shape: {list(weight._data.shape)}")
    if x.dtype.kind not in "fV":
        raise NotImplementedError(f"\"log_softmax_lastdim_kernel_impl\" not implemented for '{torch_type_name(x)}'")
    logp = log_softmax(input, class_dim)
    q = target * (1 - label_smoothing) + label_smoothing / n_classes if label_smoothing > 0 else target
    terms = logp * q
    if weight is not None:
        terms = terms * reshape(weight, (n_classes,) + (1,) * (x.ndim - class_dim - 1))
    if reduction == "none":
        return -_sum(terms, class_dim)
    total = -terms.sum()
    if reduction == "sum":
        return total
    items = x.size // n_classes if n_classes else 0
    return total / items if items else total * float("nan")


# -- binary losses -------------------------------------------------------------------------------------------
@_amp.autocast_op("binary_cross_entropy")
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """l = -weight * (t log(x) + (1 - t) log(1 - x)), each log clamped at -100; x must lie in [0, 1]."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    if target._data.shape != input._data.shape:
        raise ValueError(f"Using a target size ({_size(target)}) that is different to the input size "
                         f"({_size(input)}) is deprecated. Please ensure they have the same size.")
    x = input._data
    if x.dtype.kind not in "fV":
        raise NotImplementedError(f"\"binary_cross_entropy\" not implemented for '{torch_type_name(x)}'")
    if target._data.dtype != x.dtype:
        raise RuntimeError(f"Found dtype {torch_type_name(target._data)} but expected {torch_type_name(x)}")
    if x.size and not bool(((x >= 0) & (x <= 1)).all()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    _no_target_grad(weight, "binary_cross_entropy", "weight")
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return apply_reduction(loss, reduction)


@_amp.autocast_op("binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """l = weight * ((1 - t) x - (1 + (pos_weight - 1) t) log_sigmoid(x)): BCE of sigmoid(x), stable for any x."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    if target._data.shape != input._data.shape:
        raise ValueError(f"Target size ({_size(target)}) must be the same as input size ({_size(input)})")
    if target._data.dtype.kind not in "fV":
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{torch_type_name(target._data)}")
    _no_target_grad(weight, "binary_cross_entropy_with_logits", "weight")
    _no_target_grad(pos_weight, "binary_cross_entropy_with_logits", "pos_weight")
    ls = logsigmoid(input)
    if pos_weight is not None:
        ls = ls * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input - ls
    if weight is not None:
        loss = loss * weight
    return apply_reduction(loss, reduction)


# -- regression losses ---------------------------------------------------------------------------------------
def _no_target_grad(target: Tensor | None, op: str, name: str = "target") -> None:
    """PyTorch's kernels that define no gradient for an argument (target, weight) refuse one that requires it."""
    if target is not None and target._requires_grad and _grad_enabled[0]:
        raise RuntimeError(f"The function '{op}' is not differentiable with respect to argument '{name}'. This input "
                           f"cannot have requires_grad True.")


def _float_result(t: Tensor, op: str, name: str = "input") -> None:
    """PyTorch computes these losses into a buffer of `t`'s dtype, so a non-float `t` cannot hold the result."""
    if t._data.dtype.kind not in "fV":
        raise RuntimeError(f"{op}: result type Float can't be cast to the desired output type "
                           f"{torch_type_name(t._data)} ({name} has dtype {t.dtype}, expected a floating point tensor)")


def _warn_size(input: Tensor, target: Tensor) -> None:
    if target._data.shape != input._data.shape:
        warnings.warn(f"Using a target size ({_size(target)}) that is different to the input size ({_size(input)}). "
                      f"This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      f"same size.", stacklevel=3)


def _weighted(loss: Tensor, weight: Tensor, input: Tensor, reduction: str, mean_by_weight: bool) -> Tensor:
    """PyTorch's weighted regression losses: weight must match input's shape; 'mean' is by sum(weight) or count."""
    if weight._data.shape != input._data.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / weight.sum() if mean_by_weight else loss.mean()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


@_amp.autocast_op("mse_loss")
def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """l = (input - target)^2 (broadcast, with a warning when the shapes differ). Gradient: 2 (input - target) g."""
    _warn_size(input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    x, t = input._data, target._data
    if x.dtype.kind not in "fV" and t.dtype.kind not in "fV":
        raise NotImplementedError(f"\"mse_cpu\" not implemented for '{torch_type_name(x)}'")
    if weight is None and reduction in ("mean", "sum"):
        if x.shape == t.shape and x.dtype == t.dtype and x.dtype.kind in "fV" and type(x) is type(t):
            return SquaredError.apply(input, target, mean=reduction == "mean")
    diff = input - target
    loss = diff * diff
    if weight is not None:
        return _weighted(loss, weight, input, reduction, mean_by_weight=True)
    return apply_reduction(loss, check_reduction(reduction))


@_amp.autocast_op("l1_loss")
def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """l = |input - target|. Gradient: sign(input - target) g (0 where they are equal)."""
    _warn_size(input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    loss = (input - target).abs()
    if weight is not None:
        return _weighted(loss, weight, input, reduction, mean_by_weight=True)
    return apply_reduction(loss, check_reduction(reduction))


@_amp.autocast_op("smooth_l1_loss")
def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """l = 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target); beta = 0 is l1_loss."""
    _warn_size(input, target)
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    diff = input - target
    if beta == 0:
        return apply_reduction(diff.abs(), reduction)
    ad = diff.abs()
    loss = where(ad < beta, diff * diff * (0.5 / beta), ad - 0.5 * beta)
    return apply_reduction(loss, reduction)


@_amp.autocast_op("huber_loss")
def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """l = 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta) (d = input - target)."""
    _warn_size(input, target)
    if weight is None:
        reduction = check_reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _float_result(input, "huber_loss")
    diff = input - target
    ad = diff.abs()
    loss = where(ad < delta, diff * diff * 0.5, (ad - 0.5 * delta) * delta)
    if weight is not None:
        return _weighted(loss, weight, input, check_reduction(reduction), mean_by_weight=False)
    return apply_reduction(loss, reduction)


@_amp.autocast_op("kl_div")
def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise: target (log target - input), or exp(t) (t - input) when log_target.

    reduction='batchmean' divides the sum by the batch size (input.size(0)): the true KL divergence.
    """
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    inner = "sum" if reduction == "batchmean" else check_reduction(reduction)
    if input._data.dtype.kind not in "fV" or target._data.dtype.kind not in "fV":
        raise RuntimeError("kl_div: Integral inputs not supported.")
    loss = exp(target) * (target - input) if log_target else xlogy(target, target) - target * input
    out = apply_reduction(loss, inner)
    if reduction == "batchmean" and input._data.ndim != 0:
        out = out / input._data.shape[0]
    return out


@_amp.autocast_op("poisson_nll_loss")
def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False, size_average=None,
                     eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """l = exp(input) - target * input (log_input), or input - target * log(input + eps); `full` adds the
    Stirling term target log(target) - target + 0.5 log(2 pi target) where target > 1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    loss = exp(input) - target * input if log_input else input - target * log(input + eps)
    if full:
        big = target > 1
        safe = where(big, target, 1.0)  # the term is masked where target <= 1: keep log away from 0 there
        stirling = safe * log(safe) - safe + 0.5 * log(safe * (2 * math.pi))
        loss = loss + where(big, stirling, 0.0)
    return apply_reduction(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """l = 0.5 (log(max(var, eps)) + (input - target)^2 / max(var, eps)) (+ 0.5 log(2 pi) when full).

    As in PyTorch the clamp of var is not differentiated through: the gradient flows to var as if
    unclamped. var may have input's shape, one dim fewer, or size 1 in one dim (homoscedastic).
    """
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = input.new_ones(tuple(input.shape)) * var
    elif not isinstance(var, Tensor):
        raise TypeError(f"gaussian_nll_loss(): var must be a Tensor or a float, not {type(var).__name__}")
    _float_result(var, "gaussian_nll_loss", "var")
    if bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    vs, xs = tuple(var._data.shape), tuple(input._data.shape)
    if vs != xs:
        if xs[:-1] == vs:
            var = var.unsqueeze(-1)
        elif not (len(xs) == len(vs) and sum(v for s, v in zip(xs, vs) if s != v) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = ClampMinValue.apply(var, low=eps)
    diff = input - target
    loss = (log(var) + diff * diff / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return apply_reduction(loss, reduction)


# -- margin and embedding losses ----------------------------------------------------------------------------
@_amp.autocast_op("cosine_embedding_loss")
def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0, size_average=None,
                          reduce=None, reduction: str = "mean") -> Tensor:
    """l = 1 - cos(x1, x2) where target = 1, max(0, cos(x1, x2) - margin) where target = -1."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    td = target._data.ndim
    if td > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = 2 if td == 1 else 1
    if input1._data.ndim != want or input2._data.ndim != want:
        raise RuntimeError(f"{td}D target tensor expects {want}D input tensors, but found inputs with sizes "
                           f"{list(input1._data.shape)} and {list(input2._data.shape)}.")
    dot = _sum(input1 * input2, td)
    sq1 = _sum(input1 * input1, td) + 1e-12
    sq2 = _sum(input2 * input2, td) + 1e-12
    cos = dot / sqrt(sq1 * sq2)
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, (cos - margin).clamp_min(0), 0.0)
    return apply_reduction(loss, reduction)


@_amp.autocast_op("margin_ranking_loss")
def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """l = max(0, -target * (input1 - input2) + margin)."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    if not input1._data.ndim == input2._data.ndim == target._data.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {_size(input1)}, input2: {_size(input2)}, target: {_size(target)} ")
    loss = (-target * (input1 - input2) + margin).clamp_min(0)
    return apply_reduction(loss, reduction)


@_amp.autocast_op("hinge_embedding_loss")
def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """l = x where target = 1, max(0, margin - x) where target = -1 (other targets: the sum of both)."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    if reduction == "mean" and input._data.dtype.kind in "iu":  # PyTorch's loss keeps input's integer dtype
        raise RuntimeError(f"hinge_embedding_loss: mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {torch_type_name(input._data)}")
    loss = where(target != 1, (margin - input).clamp_min(0), 0.0) + where(target != -1, input, 0.0)
    return apply_reduction(loss, reduction)


@_amp.autocast_op("soft_margin_loss")
def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """l = log(1 + exp(-target * input)), as a softplus (no overflow for large margins)."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    _no_target_grad(target, "soft_margin_loss")
    _float_result(input, "soft_margin_loss")
    xs, ts = tuple(input._data.shape), tuple(target._data.shape)
    try:  # PyTorch writes the elementwise loss into an input-shaped buffer: target may only broadcast to it
        fits = np.broadcast_shapes(xs, ts) == xs
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"soft_margin_loss: output with shape {list(xs)} doesn't match the broadcast shape of "
                           f"input {list(xs)} and target {list(ts)}")
    return apply_reduction(softplus(-target * input), reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                                reduce=None, reduction: str = "mean") -> Tensor:
    """l_n = -mean_c w_c (t_c log_sigmoid(x_c) + (1 - t_c) log_sigmoid(-x_c)), classes along the last dim."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input._data.ndim - 1
    if class_dim < 0:
        raise IndexError("multilabel_soft_margin_loss: Dimension specified as -1 but tensor has no dimensions")
    loss = loss.mean(class_dim)  # sum / C (nan, silently, for C = 0)
    if reduction == "none":
        return loss
    if reduction in ("mean", "sum"):
        return apply_reduction(loss, reduction)
    raise ValueError(reduction + " is not valid")


@_amp.autocast_op("multi_margin_loss")
def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                      size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """l_i = sum_{j != y_i} w[y_i] max(0, margin - x[i, y_i] + x[i, j])^p / C, p in {1, 2}."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight._data.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    not_for(input, "multi_margin_loss", "biu")
    shape = tuple(input._data.shape)
    nd = len(shape)
    if not ((nd == 2 and shape[1] != 0) or (nd == 1 and shape[0] != 0) or nd == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(shape)}")
    nframe, dim = (shape[0], shape[1]) if nd == 2 else (1, shape[0] if nd else 1)
    t = target._data
    if t.ndim > 1 or t.size != nframe:
        raise RuntimeError(f"inconsistent target size, expected {nframe} but got {list(t.shape)}")
    if weight is not None and weight._data.size != dim:
        raise RuntimeError(f"inconsistent weight size, expected {dim} but got {list(weight._data.shape)}")
    if t.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {torch_type_name(t)}")
    t = t.reshape(nframe)
    if t.size and (bool((t < 0).any()) or bool((t >= dim).any())):
        raise RuntimeError("target out of range")
    x = reshape(input, (nframe, dim))
    cols = Tensor._wrap(t.reshape(nframe, 1))
    picked = x.gather(1, cols)
    z = (x - picked + margin).clamp_min(0)
    if p == 2:
        z = z * z
    others = get_array_module(t).arange(dim).reshape(1, dim) != t.reshape(nframe, 1)  # j != y_i
    z = z * Tensor._wrap(others.astype(input._data.dtype))
    if weight is not None:
        z = z * weight[Tensor._wrap(t)].reshape(nframe, 1)
    loss = _sum(z, 1) / dim
    if nd < 2:
        loss = reshape(loss, ())
    return apply_reduction(loss, reduction)


@_amp.autocast_op("multilabel_margin_loss")
def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """l_n = sum_{j valid} sum_{i not a target} max(0, 1 - (x[y_j] - x[i])) / C.

    target (input's shape, int64) lists each sample's classes, ended by the first -1 (what follows is unused).
    """
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    shape, t = tuple(input._data.shape), target._data
    nd = len(shape)
    if not ((nd == 2 and shape[1] != 0) or (nd == 1 and shape[0] != 0) or nd == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(shape)}")
    nframe, dim = (shape[0], shape[1]) if nd == 2 else (1, shape[0] if nd else 1)
    if (nd == 2 and tuple(t.shape) != shape) or (nd < 2 and (t.ndim > 1 or t.size != dim)):
        raise RuntimeError(f"inconsistent target size: {list(t.shape)} for input of size: {list(shape)}")
    if t.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {torch_type_name(t)}")
    if input._data.dtype.kind not in "fV":
        raise NotImplementedError(f"\"multilabel_margin_loss_forward_out_frame\" not implemented for "
                                  f"'{torch_type_name(input._data)}'")
    xp = get_array_module(t)
    t = t.reshape(nframe, dim)
    if t.size and (bool((t < -1).any()) or bool((t >= dim).any())):
        raise RuntimeError("argument #2 'target' is out of range")
    valid = xp.cumprod(t >= 0, axis=1).astype(bool)  # the entries before the first -1
    safe = xp.where(valid, t, 0)
    is_target = xp.zeros((nframe, dim), dtype=bool)
    rows = xp.broadcast_to(xp.arange(nframe).reshape(-1, 1), t.shape)
    is_target[rows[valid], safe[valid]] = True
    x = reshape(input, (nframe, dim))
    picked = x.gather(1, Tensor._wrap(safe))  # x[y_j], (N, C)
    z = (x.unsqueeze(1) - picked.unsqueeze(2) + 1).clamp_min(0)  # [n, j, i] = 1 - x[y_j] + x[i]
    # PyTorch adds a term only where z > 0, so a nan score drops out rather than spreading
    mask = valid[:, :, None] & ~is_target[:, None, :] & (z._data > 0)
    loss = _sum(z.where(Tensor._wrap(mask), 0.0), (1, 2)) / dim  # a select: an inf left out is no nan
    if nd < 2:
        loss = reshape(loss, ())
    return apply_reduction(loss, reduction)


@_amp.autocast_op("triplet_margin_loss")
def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """l = max(0, margin + d(a, p) - d(a, n)), d the pairwise p-norm distance.

    swap=True replaces d(a, n) by min(d(a, n), d(p, n)).
    """
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    da, dp, dn = anchor._data.ndim, positive._data.ndim, negative._data.ndim
    if not da == dp == dn:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {da}D, positive {dp}D, and negative {dn}D inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        from ...ops.elementwise_binary import minimum

        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return apply_reduction((d_pos - d_neg + margin).clamp_min(0), reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:
    """triplet_margin_loss with any distance function (pairwise_distance by default)."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: expected margin to be greater than 0, got {margin} "
                         f"instead")
    da, dp, dn = anchor._data.ndim, positive._data.ndim, negative._data.ndim
    if not da == dp == dn:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {da}D, positive {dp}D, and negative {dn}D inputs")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        from ...ops.elementwise_binary import minimum

        d_neg = minimum(d_neg, dist(positive, negative))
    return apply_reduction((d_pos - d_neg + margin).clamp_min(0), reduction)
