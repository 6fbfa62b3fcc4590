"""Connectionist Temporal Classification loss (Graves et al., 2006), vectorised over batch and labels.

For one batch item with targets l (length S), the extended label sequence l' = (blank, l1, blank,
l2, ..., lS, blank) has L = 2S + 1 entries. With the emission e_t(s) = log_probs[t, l'_s]:

    alpha_0(0) = e_0(0), alpha_0(1) = e_0(1)
    alpha_t(s) = e_t(s) + logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1), alpha_{t-1}(s-2) if skip(s))
    skip(s)    = l'_s != blank and l'_s != l'_{s-2}
    nll        = -logsumexp(alpha_{T-1}(L-1), alpha_{T-1}(L-2))

and beta is the same recursion run backward from t = T-1. The batch is padded to the longest
extended sequence and the recursion runs over time only (one Python step per time step, each
step a few array operations on (N, L)); items whose input is shorter stop updating at their last
step. alpha flows only rightward in s, so padding past an item's end never reaches its answer;
beta starts at -inf past the end and so stays there.

The gradient is PyTorch's: d nll / d log_probs[t, c] = exp(log_probs[t, c]) - sum_{s: l'_s = c}
exp(alpha_t(s) + beta_t(s) + nll - log_probs[t, c]) for t < T, 0 after. This is the gradient with
respect to the logits when log_probs = log_softmax(logits) (the usual use: composing it with
log_softmax's backward gives the same result as the exact gradient). Like PyTorch's, the loss is
only once differentiable: a second backward through it raises.
"""
from __future__ import annotations

import numpy as np

from ...amp import policy as _amp
from ...autograd.function import Function, check_same_device
from ...backend import get_array_module
from ...ops.shape import reshape
from ...tensor import Tensor
from ._common import check_reduction

_WHERE = " (while checking arguments for ctc_loss_allocate_outputs)"


def _logaddexp3(a, b, c, xp):
    """log(e^a + e^b + e^c), elementwise, exact when all three are -inf."""
    m = xp.maximum(xp.maximum(a, b), c)
    m = xp.where(m == -np.inf, 0, m)
    s = xp.exp(a - m)
    s += xp.exp(b - m)
    s += xp.exp(c - m)
    with np.errstate(divide="ignore"):
        out = xp.log(s)
    out += m
    return out


def _shift_right(a, k: int, fill):
    """out[:, s] = a[:, s - k] (fill for s < k)."""
    out = a.copy() if k == 0 else get_array_module(a).full(a.shape, fill, dtype=a.dtype)
    if k:
        out[:, k:] = a[:, :-k]
    return out


def _shift_left(a, k: int, fill):
    """out[:, s] = a[:, s + k] (fill for s >= L - k)."""
    out = get_array_module(a).full(a.shape, fill, dtype=a.dtype)
    if a.shape[1] > k:
        out[:, :-k] = a[:, k:]
    return out


class _Alignment:
    """The extended labels of a batch: ext (N, L), skip mask (N, L), and where each item's sequence ends."""

    def __init__(self, targets, target_lengths, blank: int, xp):
        n = targets.shape[0]
        s_max = int(target_lengths.max()) if n else 0
        length = 2 * s_max + 1
        ext = xp.full((n, length), blank, dtype=np.int64)
        if s_max:
            labels = targets[:, :s_max]
            inside = xp.arange(s_max).reshape(1, -1) < target_lengths.reshape(-1, 1)
            ext[:, 1::2] = xp.where(inside, labels, blank)  # padding past an item's end reads the blank
        skip = xp.zeros((n, length), dtype=bool)
        if length > 2:
            skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
        self.ext, self.skip, self.length = ext, skip, length
        self.last = 2 * target_lengths  # index of the final blank of each item
        self.rows = xp.arange(n)


class CTCLoss(Function):
    """Per-item negative log likelihood of the targets under all CTC alignments (see the module docstring)."""

    def forward(self, lp, targets, input_lengths, target_lengths, blank: int, zero_infinity: bool):
        xp = get_array_module(lp)
        steps, n, _ = lp.shape
        al = _Alignment(targets, target_lengths, blank, xp)
        rows = al.rows.reshape(-1, 1)
        emit = lp[:, rows, al.ext]  # (T, N, L): log_probs of each extended label
        neg_inf = lp.dtype.type(-np.inf)
        alpha = xp.full((steps, n, al.length), neg_inf, dtype=lp.dtype)
        alpha[0, :, 0] = emit[0, :, 0]
        if al.length > 1:
            alpha[0, :, 1] = emit[0, :, 1]
        for t in range(1, steps):
            prev = alpha[t - 1]
            stay_or_move = _logaddexp3(prev, _shift_right(prev, 1, neg_inf),
                                       xp.where(al.skip, _shift_right(prev, 2, neg_inf), neg_inf), xp)
            active = (t < input_lengths).reshape(-1, 1)
            alpha[t] = xp.where(active, stay_or_move + emit[t], prev)
        final = alpha[xp.maximum(input_lengths - 1, 0), al.rows]  # (N, L) at each item's last step
        end = final[al.rows, al.last]
        before = xp.where(al.last > 0, final[al.rows, xp.maximum(al.last - 1, 0)], neg_inf)
        nll = raw = -xp.logaddexp(end, before)
        empty = input_lengths == 0  # no frames: probability 1 for an empty target, 0 otherwise
        if bool(empty.any()):
            nll = xp.where(empty, xp.where(target_lengths == 0, 0, np.inf), nll).astype(lp.dtype)
        self.infinite = xp.isinf(nll)
        if zero_infinity:
            nll = xp.where(self.infinite, 0, nll).astype(lp.dtype)
        self.al, self.alpha, self.emit, self.nll_raw = al, alpha, emit, raw
        self.input_lengths, self.zero_infinity = input_lengths, zero_infinity
        return nll

    def backward(self, grad):
        return CTCLossBackward.apply(grad, self.inputs[0], ctc=self)


class CTCLossBackward(Function):
    """The gradient of CTCLoss (the beta recursion); not differentiable itself, as in PyTorch."""

    keep_inputs = False

    def forward(self, g, lp, ctc: CTCLoss):
        xp = get_array_module(lp)
        al, alpha, emit = ctc.al, ctc.alpha, ctc.emit
        steps, n, classes = lp.shape
        lengths = ctc.input_lengths
        neg_inf = lp.dtype.type(-np.inf)
        # beta, from each item's last frame backward; the sum alpha + beta is all that is kept
        ab = xp.full(alpha.shape, neg_inf, dtype=lp.dtype)
        beta = xp.full((n, al.length), neg_inf, dtype=lp.dtype)
        ends = xp.zeros((n, al.length), dtype=bool)
        ends[al.rows, al.last] = True
        ends[al.rows, xp.maximum(al.last - 1, 0)] |= al.last > 0
        skip_next = _shift_left(al.skip, 2, False)  # the move s -> s+2 is allowed where skip(s+2)
        for t in range(steps - 1, -1, -1):
            moved = _logaddexp3(beta, _shift_left(beta, 1, neg_inf),
                                xp.where(skip_next, _shift_left(beta, 2, neg_inf), neg_inf), xp) + emit[t]
            start = (t == lengths - 1).reshape(-1, 1)
            inside = (t < lengths - 1).reshape(-1, 1)
            beta = xp.where(start, xp.where(ends, emit[t], neg_inf), xp.where(inside, moved, neg_inf))
            ab[t] = alpha[t] + beta
        # occupancy of each class: sum over the extended positions holding it, in linear space per (t, n)
        top = ab.max(axis=2, keepdims=True)
        top = xp.where(top == -np.inf, 0, top)
        weights = xp.exp(ab - top)
        onehot = (al.ext[:, :, None] == xp.arange(classes).reshape(1, 1, -1)).astype(lp.dtype)  # (N, L, C)
        occupancy = xp.einsum("tnl,nlc->tnc", weights, onehot)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_occ = xp.log(occupancy) + top + ctc.nll_raw.reshape(1, n, 1) - lp
            grad = xp.exp(lp) - xp.exp(log_occ)
        grad *= g.reshape(1, n, 1)
        live = xp.arange(steps).reshape(-1, 1) < lengths.reshape(1, -1)  # (T, N): frames inside each input
        if ctc.zero_infinity:
            live = live & ~ctc.infinite.reshape(1, n)
        grad = xp.where(live[:, :, None], grad, 0).astype(lp.dtype, copy=False)
        return grad

    def backward(self, grad):
        raise RuntimeError("derivative for ctc_loss_backward is not implemented: ctc_loss is only once "
                           "differentiable (as in PyTorch)")


# -- the public function ------------------------------------------------------------------------------------
def _lengths(value, name: str, xp) -> np.ndarray:
    """input_lengths / target_lengths as an int64 array: an integer Tensor, or a list/tuple of ints."""
    if isinstance(value, Tensor):
        a = value._data
        if a.dtype.kind not in "iu":
            raise RuntimeError(f"{name} must be integral")
        return xp.asarray(a.reshape(-1), dtype=np.int64)
    if isinstance(value, (list, tuple)) and all(isinstance(v, (int, np.integer)) for v in value):
        return xp.asarray(np.array(value, dtype=np.int64).reshape(-1))
    raise TypeError(f"ctc_loss(): argument '{name}' must be a Tensor or a tuple of ints, not {type(value).__name__}")


def _padded_targets(targets, target_lengths, n: int, xp):
    """Targets as a padded (N, S) int64 array, from padded (N, S) or concatenated 1-D form (checked as PyTorch)."""
    t = targets._data
    if t.dtype.kind not in "iufV":
        raise RuntimeError(f"ctc_loss: expected integer targets, got {t.dtype}")
    if t.ndim not in (1, 2):
        raise RuntimeError(f"Expected 1 to 2 dimensions, but got {t.ndim}-dimensional tensor of shape {tuple(t.shape)} "
                           f"for argument #2 'targets'{_WHERE}")
    t = xp.asarray(t).astype(np.int64, copy=False)
    if t.ndim == 1:
        total = int(target_lengths.sum())
        if t.shape[0] != total:
            raise RuntimeError(f"Expected tensor to have size {total} at dimension 0, but got size {t.shape[0]} for "
                               f"argument #2 'targets'{_WHERE}")
        s_max = int(target_lengths.max()) if n else 0
        if s_max == 0:
            return xp.zeros((n, 0), dtype=np.int64)
        starts = xp.cumsum(target_lengths) - target_lengths
        pos = starts.reshape(-1, 1) + xp.arange(s_max).reshape(1, -1)
        inside = xp.arange(s_max).reshape(1, -1) < target_lengths.reshape(-1, 1)
        return xp.where(inside, t[xp.where(inside, pos, 0)], 0)
    if t.shape[0] != n:
        raise RuntimeError(f"Expected tensor to have size {n} at dimension 0, but got size {t.shape[0]} for argument "
                           f"#2 'targets'{_WHERE}")
    s_max = int(target_lengths.max()) if n else 0
    if t.shape[1] < s_max:
        raise RuntimeError(f"Expected tensor to have size at least {s_max} at dimension 1, but got size {t.shape[1]} "
                           f"for argument #2 'targets'{_WHERE}")
    return t


@_amp.autocast_op("ctc_loss")
def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """CTC loss of log_probs (T, N, C) (or unbatched (T, C)) against targets padded (N, S) or concatenated.

    'mean' is the batch mean of nll_b / max(target_length_b, 1); `zero_infinity` replaces infinite losses
    (no valid alignment) and their gradients by 0. Once differentiable (as PyTorch's).
    """
    reduction = check_reduction(reduction)
    lp = log_probs._data
    if lp.dtype.kind not in "fV":
        from ._nll import torch_type_name

        raise NotImplementedError(f"\"ctc_loss_cpu\" not implemented for '{torch_type_name(lp)}'")
    batched = lp.ndim == 3
    if lp.ndim == 0:  # PyTorch unsqueezes dim 1 of unbatched log_probs: out of range for a 0-d tensor
        raise IndexError("ctc_loss: Dimension out of range (expected to be in range of [-1, 0], but got 1): "
                         "log_probs must be (T, N, C) or (T, C), got a 0-d tensor")
    if not batched:
        if lp.ndim != 2:
            raise RuntimeError(f"Expected 3-dimensional tensor, but got {lp.ndim + 1}-dimensional tensor for argument "
                               f"#1 'log_probs'{_WHERE}")
        log_probs = reshape(log_probs, (lp.shape[0], 1, lp.shape[1]))
        lp = log_probs._data  # 1-d targets of one item are its concatenated form, as in PyTorch
    if lp.size == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    xp = get_array_module(lp)
    if xp is np:  # on the GPU, host targets and lengths are fine (PyTorch's too); on the CPU, device ones are not
        check_same_device("ctc_loss", log_probs, targets,
                          *(x for x in (input_lengths, target_lengths) if isinstance(x, Tensor)))
    steps, n, classes = lp.shape
    if not 0 <= blank < classes:
        raise RuntimeError("blank must be in label range")
    il = _lengths(input_lengths, "input_lengths", xp)
    tl = _lengths(target_lengths, "target_lengths", xp)
    if il.shape[0] != n:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tl.shape[0] != n:
        raise RuntimeError("target_lengths must be of size batch_size")
    for name, a in (("input_lengths", il), ("target_lengths", tl)):
        if bool((a < 0).any()):
            raise RuntimeError(f"Expected {name} to have value at least 0, but got value {int(a.min())}{_WHERE}")
    if bool((il > steps).any()):
        raise RuntimeError(f"Expected input_lengths to have value at most {steps}, but got value {int(il.max())}"
                           f"{_WHERE}")
    padded = _padded_targets(targets, tl, n, xp)
    used = xp.arange(padded.shape[1]).reshape(1, -1) < tl.reshape(-1, 1)
    if bool((used & ((padded < 0) | (padded >= classes))).any()):
        raise RuntimeError(f"ctc_loss: target labels must lie in [0, {classes}) (the number of classes)")
    nll = CTCLoss.apply(log_probs, targets=padded, input_lengths=il, target_lengths=tl, blank=blank,
                        zero_infinity=zero_infinity)
    if reduction == "mean":
        per_char = nll / Tensor._wrap(xp.maximum(tl, 1).astype(lp.dtype))
        return per_char.mean()
    if reduction == "sum":
        return nll.sum()
    return nll if batched else reshape(nll, ())
