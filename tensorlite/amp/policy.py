"""Autocast state and op policy: which dtype each op runs in inside a `tl.autocast` region.

An op that autocast affects calls one hook at its top, guarded by a single list index so that it
costs nothing measurable when autocast is off:

    if _amp_on[0]:
        input, weight, bias = _amp.cast_inputs("linear", input, weight, bias)

`active[0]` counts the (thread, device type) pairs with autocast on; only when it is nonzero does
the hook read this thread's state (autocast is thread-local, as in PyTorch). The device an op runs
on is the device of its first tensor argument; the policy comes from that device type's table,
which follows PyTorch's documented autocast op lists (CUDA: float16 lists; CPU: the CPU lists as
torch 2.13 applies them):

  LOWER    cast floating inputs to the autocast dtype (matrix products, convolutions, attention)
  FP32     cast float16/bfloat16 inputs to float32 (losses, reductions, exp/log, norms on CUDA)
  PROMOTE  cast floating inputs to the widest of them (ops that need equal dtypes: dot, cross, ...)
  BANNED   raise: the op is numerically unsafe in float16 (binary_cross_entropy on CUDA)

Only floating tensors on the op's device are cast, never float64 ones (PyTorch's eligibility);
the cast is the differentiable `Cast`, so the gradient reaches a float32 parameter in float32.
Ops in no table run on whatever dtypes they get (elementwise ops then promote to the widest).
Within a region, the lower-precision copy of a float32 leaf that requires grad (a parameter) is
cached and reused until the outermost region exits or the parameter changes in place.
"""
from __future__ import annotations

import functools
import threading

import numpy as np

__all__ = ["active", "cast_inputs", "cast_input", "autocast_op", "suspended", "LOWER", "FP32", "PROMOTE", "BANNED", "POLICIES"]

LOWER, FP32, PROMOTE, BANNED = 1, 2, 3, 4

active = [0]  # (thread, device type) pairs with autocast on: the hot-path check
_count_lock = threading.Lock()

_f16, _f32 = np.dtype(np.float16), np.dtype(np.float32)


def _table(**groups) -> dict:
    out = {}
    for policy, names in groups.items():
        for name in names.split():
            out[name] = {"LOWER": LOWER, "FP32": FP32, "PROMOTE": PROMOTE, "BANNED": BANNED}[policy]
    return out


# PyTorch's "CUDA Ops that can autocast to float16 / float32 / promote" (the ops tensorlite has). Not listed:
# addcmul, addcdiv, atan2 (CUDA promote) and stack (CPU promote), which tensorlite's type promotion already
# runs in the widest input type, and __rtruediv__ (CUDA fp32), left to ordinary promotion.
# sum/prod/cumsum/cumprod/softmax/log_softmax/softmin/norm are "fp32 unless a dtype= is given": their
# hooks are called only when dtype is None.
_CUDA = _table(
    LOWER="matmul mm bmm mv addmm addmv addr addbmm baddbmm einsum linear conv1d conv2d conv3d conv_transpose1d "
          "conv_transpose2d conv_transpose3d conv_tbc prelu scaled_dot_product_attention",
    FP32="acos asin cosh exp expm1 log log10 log2 log1p reciprocal rsqrt sinh tan pow softplus "
         "layer_norm group_norm norm vector_norm cosine_similarity poisson_nll_loss cosine_embedding_loss nll_loss "
         "hinge_embedding_loss kl_div l1_loss smooth_l1_loss huber_loss mse_loss margin_ranking_loss "
         "soft_margin_loss triplet_margin_loss multi_margin_loss multilabel_margin_loss "
         "binary_cross_entropy_with_logits cross_entropy pdist cdist logsumexp normalize "
         "sum prod cumsum cumprod softmax log_softmax softmin",
    PROMOTE="bilinear cross dot grid_sample index_put scatter_add tensordot",
    BANNED="binary_cross_entropy",
)

# PyTorch's "CPU Ops that can autocast to bfloat16 / float32 / promote", as torch 2.13 applies them to
# float16 too (the tests compare output dtypes op by op with torch.autocast("cpu", dtype=torch.float16)).
# lp_pool3d and max_unpool1d are not listed themselves, but torch builds them on avg_pool3d and max_unpool2d.
_CPU = _table(
    LOWER="matmul mm bmm addmm addbmm baddbmm einsum linear conv1d conv2d conv3d conv_transpose1d conv_transpose2d "
          "conv_transpose3d conv_tbc prelu scaled_dot_product_attention",
    FP32="avg_pool3d lp_pool3d max_pool3d adaptive_avg_pool3d adaptive_max_pool3d max_unpool1d max_unpool2d "
         "max_unpool3d "
         "reflection_pad1d reflection_pad2d replication_pad1d replication_pad2d replication_pad3d "
         "binary_cross_entropy binary_cross_entropy_with_logits grid_sample prod trace cdist mse_loss "
         "cosine_embedding_loss nll_loss hinge_embedding_loss poisson_nll_loss smooth_l1_loss cross_entropy "
         "l1_loss huber_loss margin_ranking_loss soft_margin_loss triplet_margin_loss multi_margin_loss ctc_loss "
         "kl_div multilabel_margin_loss fractional_max_pool2d fractional_max_pool3d",
    PROMOTE="index_copy",
)

POLICIES = {"cpu": _CPU, "cuda": _CUDA}

_BANNED_MESSAGE = (
    "{op}: unsafe to autocast. binary_cross_entropy (and BCELoss) take probabilities, usually from a sigmoid "
    "computed in float16, where values near 0 and 1 round badly and the log blows up. Use "
    "binary_cross_entropy_with_logits (BCEWithLogitsLoss) on the logits instead, which combines the sigmoid "
    "and the loss and is safe to autocast; or leave the autocast region (autocast(enabled=False)) and call "
    "the op on .float() inputs."
)


class _ThreadState(threading.local):
    """This thread's autocast settings per device type, the region nesting depth and the cast cache."""

    def __init__(self):
        self.enabled = {"cpu": False, "cuda": False}
        self.dtype = {"cpu": None, "cuda": None}  # filled in by autocast_mode (the tl.dtype defaults)
        self.cache_enabled = True
        self.nesting = 0
        self.cache: dict = {}
        self.excluded = 0  # > 0 inside an autocast op's body or a backward pass: no further casting


state = _ThreadState()

_Tensor = None
_Cast = None


def _load() -> None:
    # Tensor and the Cast op sit above this module (ops import it): bind them on first use.
    global _Tensor, _Cast
    from ..ops.convert import Cast
    from ..tensor import Tensor

    _Tensor, _Cast = Tensor, Cast


def _device_of(args) -> str | None:
    for a in args:
        if isinstance(a, _Tensor):
            return "cpu" if type(a._data) is np.ndarray else "cuda"
        if isinstance(a, (list, tuple)):  # stack(tensors), einsum(eq, [a, b])
            d = _device_of(a)
            if d is not None:
                return d
    return None


def _eligible(t, device: str) -> bool:
    """A floating tensor on `device` other than float64 (float64 and integer tensors are never cast)."""
    if not isinstance(t, _Tensor):
        return False
    a = t._data
    if (type(a) is np.ndarray) != (device == "cpu"):
        return False
    d = a.dtype
    return (d.kind in "fV" and d.itemsize < 8) or d.name == "bfloat16"


def _cast(t, target: np.dtype, lower: bool):
    if t._data.dtype == target:
        return t
    st = state
    if (lower and st.cache_enabled and t._requires_grad and t.grad_fn is None and t._base is None
            and t._data.dtype == _f32):
        from ..autograd import grad_mode

        if grad_mode._grad_enabled[0]:  # a cast made under no_grad has no graph: never reuse it with grad on
            key = (id(t), target)
            hit = st.cache.get(key)
            if hit is not None and hit[0] is t and hit[1] == t._vc[0]:
                return hit[2]
            out = _Cast.apply(t, dtype=target)
            st.cache[key] = (t, t._vc[0], out)
            return out
    return _Cast.apply(t, dtype=target)


def _cast_all(args, device: str, target: np.dtype, lower: bool):
    out = []
    for a in args:
        if isinstance(a, (list, tuple)) and not isinstance(a, _Tensor):
            out.append(type(a)(_cast_all(a, device, target, lower)))
        elif _eligible(a, device):
            out.append(_cast(a, target, lower))
        else:
            out.append(a)
    return out


def _widest(args, device: str, lower: np.dtype) -> np.dtype:
    """PyTorch's autocast promote: float32 if any eligible input is float32, else the lower dtype."""
    for a in args:
        if isinstance(a, (list, tuple)) and not isinstance(a, _Tensor):
            if _widest(a, device, lower) == _f32:
                return _f32
        elif _eligible(a, device) and a._data.dtype == _f32:
            return _f32
    return lower


def cast_inputs(op: str, *args) -> tuple:
    """`args` cast as autocast's policy for `op` says (unchanged when autocast is off for their device).

    Non-tensor arguments (None, numbers, strings) pass through; lists and tuples of tensors are cast
    element by element. Returns a tuple of the same length as `args`.
    """
    if _Tensor is None:
        _load()
    device = _device_of(args)
    st = state
    if device is None or st.excluded or not st.enabled[device]:
        return args
    policy = POLICIES[device].get(op)
    if policy is None:
        return args
    lower = st.dtype[device].np if st.dtype[device] is not None else _f16  # set_autocast_enabled alone: float16
    if policy == LOWER:
        return tuple(_cast_all(args, device, lower, True))
    if policy == FP32:
        return tuple(_cast_all(args, device, _f32, False))
    if policy == PROMOTE:
        return tuple(_cast_all(args, device, _widest(args, device, lower), False))
    raise RuntimeError(_BANNED_MESSAGE.format(op=op))


def cast_input(op: str, x):
    """The one-tensor form of `cast_inputs`: `x = cast_input("exp", x)`."""
    return cast_inputs(op, x)[0]


def policy_of(op: str, device_type: str) -> str | None:
    """The policy name ("lower", "fp32", "promote", "banned") autocast applies to `op` on a device type."""
    p = POLICIES[device_type].get(op)
    return None if p is None else {LOWER: "lower", FP32: "fp32", PROMOTE: "promote", BANNED: "banned"}[p]


def set_flag(device: str, enabled: bool) -> None:
    """Set this thread's autocast flag for a device type, keeping `active` equal to the number of
    (thread, device type) flags that are on."""
    st = state
    was = st.enabled[device]
    enabled = bool(enabled)
    if was != enabled:
        st.enabled[device] = enabled
        with _count_lock:
            active[0] += 1 if enabled else -1


def _enter(device: str, enabled: bool) -> None:
    state.nesting += 1
    set_flag(device, enabled)


def _exit(device: str, enabled_before: bool) -> None:
    st = state
    set_flag(device, enabled_before)
    st.nesting -= 1
    if st.nesting == 0:
        st.cache.clear()  # PyTorch frees cached casts when the outermost region exits


class suspended:
    """No autocasting in this thread while open: the autograd engine runs backward in it (backward ops run
    in the dtypes their forward ops chose, as in PyTorch, even when backward() is called inside a
    region), and `autocast_op` runs the body of a composite op in it."""

    __slots__ = ()

    def __enter__(self):
        state.excluded += 1
        return self

    def __exit__(self, *exc) -> None:
        state.excluded -= 1


def autocast_op(op: str):
    """Decorator for an op on an autocast list whose body is made of other ops (losses, norms, attention).

    With autocast on for the op's device, every Tensor argument (positional or keyword, and inside
    lists/tuples) is cast by the op's policy, and the body then runs with autocasting suspended, as
    PyTorch runs an autocast op's insides below the autocast dispatch key: cdist's inner matmul stays
    in float32. With autocast off it costs one call and one list index.
    """

    def wrap(fn):
        @functools.wraps(fn)
        def autocast_wrapper(*args, **kwargs):
            if not active[0]:
                return fn(*args, **kwargs)
            return _run_op(op, fn, args, kwargs)

        autocast_wrapper.__wrapped_autocast_op__ = op
        return autocast_wrapper

    return wrap


def _run_op(op: str, fn, args: tuple, kwargs: dict):
    if _Tensor is None:
        _load()
    st = state
    device = _device_of(args) or _device_of(tuple(kwargs.values()))
    if device is None or st.excluded or not st.enabled[device] or op not in POLICIES[device]:
        return fn(*args, **kwargs)
    names = list(kwargs)
    cast = cast_inputs(op, *args, *(kwargs[k] for k in names))
    args, kwargs = cast[:len(args)], dict(zip(names, cast[len(args):]))
    st.excluded += 1
    try:
        return fn(*args, **kwargs)
    finally:
        st.excluded -= 1
