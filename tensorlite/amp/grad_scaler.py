"""`tl.amp.GradScaler`: dynamic loss scaling for float16 training, PyTorch's algorithm and API.

Gradients of a float16 forward underflow to zero when small; scaling the loss by S before backward
scales every gradient by S, and `step` divides them by S again before the optimizer sees them:

    scaler = tl.amp.GradScaler("cpu")
    for x, y in loader:
        opt.zero_grad()
        with tl.autocast("cpu", dtype=tl.float16):
            loss = loss_fn(model(x), y)
        scaler.scale(loss).backward()
        scaler.step(opt)        # unscales, skips the step if any gradient is inf/NaN
        scaler.update()         # S *= backoff_factor after an overflow; S *= growth_factor after
                                # growth_interval overflow-free steps in a row

The scale is a float32 0-d array on the device of the first scaled output, the growth tracker an
int32 one; the inf/NaN check and the unscaling run per gradient array with `xp` (one vectorised
pass each, no Python loop over elements), and the host reads the overflow flag once per step.
"""
from __future__ import annotations

import warnings
from collections import abc, defaultdict
from enum import Enum
from typing import Any

import numpy as np

__all__ = ["GradScaler", "OptState"]


class OptState(Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _refresh_per_optimizer_state() -> dict:
    return {"stage": OptState.READY, "found_inf_per_device": {}}


def _on_cpu(arr) -> bool:
    return isinstance(arr, (np.ndarray, np.generic))


def _xp_of(arr):
    return np if _on_cpu(arr) else __import__("cupy")


def _device_key(arr) -> str:
    return "cpu" if _on_cpu(arr) else f"cuda:{arr.device.id}"


def _on_device_of(arr, like):
    """`arr` (a small array) moved to the device of `like` (CuPy <-> NumPy, or across GPUs)."""
    if _on_cpu(like):
        return np.asarray(arr) if _on_cpu(arr) else arr.get()
    if not _on_cpu(arr) and arr.device.id == like.device.id:
        return arr
    import cupy  # noqa: PLC0415

    with cupy.cuda.Device(like.device.id):
        return cupy.asarray(arr)


class GradScaler:
    """Dynamic loss scaling: GradScaler(device="cuda", init_scale=2.**16, growth_factor=2.0,
    backoff_factor=0.5, growth_interval=2000, enabled=True).

    Per optimizer, one iteration goes READY -> (unscale_) UNSCALED -> (step) STEPPED; `update`
    resets every optimizer to READY. Calling unscale_ twice, unscale_ after step, or step twice
    before update raises RuntimeError, as in PyTorch; so does any of them before `scale` made the
    scale (AssertionError, PyTorch's type for that mistake).
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = str(device).split(":")[0]
        self._enabled = enabled
        if self._device == "cuda" and enabled:
            from ..backend.device import cuda_available, cuda_unavailable_reason

            if not cuda_available():
                warnings.warn(f"GradScaler('cuda') is enabled, but CUDA is not available "
                              f"({cuda_unavailable_reason()}). Disabling.", UserWarning, stacklevel=2)
                self._enabled = False
        if self._enabled:
            assert growth_factor > 1.0, "The growth factor must be > 1.0."
            assert backoff_factor < 1.0, "The backoff factor must be < 1.0."
            self._init_scale = init_scale
            self._scale = None  # made on the first scale(), on the device of what it scales
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._init_growth_tracker = 0
            self._growth_tracker = None
            self._per_optimizer_states: dict = defaultdict(_refresh_per_optimizer_state)

    # -- scaling -------------------------------------------------------------------------------------------
    def _lazy_init_scale_growth_tracker(self, like) -> None:
        assert self._growth_tracker is None, "_growth_tracker initialized before _scale"
        xp = _xp_of(like)
        self._scale = xp.full((), self._init_scale, dtype=np.float32)
        self._growth_tracker = xp.full((), self._init_growth_tracker, dtype=np.int32)

    def scale(self, outputs):
        """outputs * scale: a Tensor, or (nested) lists/tuples of Tensors scaled element by element.

        The product follows type promotion (the scale is a float32 0-d tensor), so a float16 loss is
        scaled into float32, as in PyTorch.
        """
        if not self._enabled:
            return outputs
        from ..tensor import Tensor

        if isinstance(outputs, Tensor):
            if self._scale is None:
                self._lazy_init_scale_growth_tracker(outputs._data)
            return outputs * Tensor._wrap(_on_device_of(self._scale, outputs._data))

        def apply_scale(val):
            if isinstance(val, Tensor):
                if self._scale is None:
                    self._lazy_init_scale_growth_tracker(val._data)
                return val * Tensor._wrap(_on_device_of(self._scale, val._data))
            if isinstance(val, abc.Iterable) and not isinstance(val, (str, bytes)):
                scaled = map(apply_scale, val)
                if isinstance(val, (list, tuple)):
                    return type(val)(scaled)
                return scaled
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")

        return apply_scale(outputs)

    def _check_scale_growth_tracker(self, funcname: str):
        fix = "This may indicate your script did not use scaler.scale(loss or outputs) earlier in the iteration."
        assert self._scale is not None, f"Attempted {funcname} but _scale is None.  " + fix
        assert self._growth_tracker is not None, f"Attempted {funcname} but _growth_tracker is None.  " + fix
        return self._scale, self._growth_tracker

    # -- unscaling -----------------------------------------------------------------------------------------
    def _unscale_grads_(self, optimizer, inv_scale, allow_fp16: bool) -> dict:
        """Multiply every gradient by inv_scale in place; per device, a float32 0-d array that is 1.0 if
        any of them held an inf or NaN (checked before the multiply)."""
        grouped: dict = defaultdict(list)  # (device, dtype) -> grad arrays
        for group in optimizer.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                g = param.grad._data
                if not allow_fp16 and g.dtype == np.float16:
                    raise ValueError("Attempting to unscale FP16 gradients.")
                grouped[(_device_key(g), g.dtype)].append(param.grad)
        found = {}
        for (dev, _), grads in grouped.items():
            arrays = [g._data for g in grads]
            xp = _xp_of(arrays[0])
            inv = _on_device_of(inv_scale, arrays[0])
            # One reduction per gradient, then one over the flags: the host is not consulted here.
            bad = xp.asarray(xp.stack([~xp.isfinite(a).all() for a in arrays]).any(), dtype=np.float32)
            found[dev] = bad if dev not in found else xp.maximum(found[dev], bad)
            for t, a in zip(grads, arrays):
                # In place, in the gradient's dtype (float32 * float32 scalar, as torch's kernel does).
                if getattr(a.flags, "writeable", True):
                    xp.multiply(a, inv.astype(a.dtype), out=a)
                else:  # a read-only broadcast view kept as .grad under create_graph: replace the buffer
                    t._data = a * inv.astype(a.dtype)
                t._vc[0] += 1
        return found

    def unscale_(self, optimizer) -> None:
        """Divide the gradients of `optimizer`'s parameters by the scale, in place (once per step).

        Call it before operating on the true gradients (clip_grad_norm_, ...); `step` then skips it.
        """
        if not self._enabled:
            return
        self._check_scale_growth_tracker("unscale_")
        optimizer_state = self._per_optimizer_states[id(optimizer)]
        if optimizer_state["stage"] is OptState.UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        if optimizer_state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        # 1/scale rounded once to float32 from the double reciprocal, as PyTorch computes it.
        inv_scale = (1.0 / self._scale.astype(np.float64)).astype(np.float32)
        optimizer_state["found_inf_per_device"] = self._unscale_grads_(optimizer, inv_scale, False)
        optimizer_state["stage"] = OptState.UNSCALED

    # -- stepping ------------------------------------------------------------------------------------------
    def _maybe_opt_step(self, optimizer, optimizer_state: dict, *args, **kwargs):
        if not sum(float(v) for v in optimizer_state["found_inf_per_device"].values()):
            return optimizer.step(*args, **kwargs)
        return None

    def step(self, optimizer, *args, **kwargs):
        """Unscale (unless `unscale_` already did) and call `optimizer.step(*args, **kwargs)` only if
        no gradient holds an inf or NaN; returns what step returned, or None when skipped."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale_growth_tracker("step")
        optimizer_state = self._per_optimizer_states[id(optimizer)]
        if optimizer_state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if optimizer_state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        assert len(optimizer_state["found_inf_per_device"]) > 0, "No inf checks were recorded for this optimizer."
        retval = self._maybe_opt_step(optimizer, optimizer_state, *args, **kwargs)
        optimizer_state["stage"] = OptState.STEPPED
        return retval

    def update(self, new_scale=None) -> None:
        """New scale for the next iteration: `new_scale` if given (a float or a 1-element tensor), else
        scale * backoff_factor if any optimizer stepped over an inf/NaN, else scale * growth_factor once
        growth_interval clean steps have passed in a row (kept only if finite)."""
        if not self._enabled:
            return
        scale, tracker = self._check_scale_growth_tracker("update")
        if new_scale is not None:
            if isinstance(new_scale, float):
                scale[...] = new_scale
            else:
                from ..tensor import Tensor

                reason = ("new_scale should be a float or a 1-element tensorlite Tensor with "
                          "requires_grad=False.")
                assert isinstance(new_scale, Tensor), reason
                assert new_scale.device.type == self._device, reason
                assert new_scale.numel() == 1, reason
                assert new_scale.requires_grad is False, reason
                scale[...] = _on_device_of(new_scale._data, scale).reshape(())
        else:
            found_infs = [_on_device_of(found, scale) for st in self._per_optimizer_states.values()
                          for found in st["found_inf_per_device"].values()]
            assert len(found_infs) > 0, "No inf checks were recorded prior to update."
            found = found_infs[0]
            for f in found_infs[1:]:
                found = found + f
            self._update_scale(scale, tracker, found)
        self._per_optimizer_states = defaultdict(_refresh_per_optimizer_state)

    def _update_scale(self, scale, tracker, found_inf) -> None:
        """PyTorch's _amp_update_scale_, on the 0-d device arrays (no host round trip for the values).

        The products are formed in double and rounded to float32 once, as PyTorch's kernel does."""
        xp = _xp_of(scale)
        overflow = found_inf > 0
        grown = tracker + 1
        grow = xp.logical_and(~overflow, grown == self._growth_interval)
        s64 = scale.astype(np.float64)
        with np.errstate(over="ignore"):  # a grown scale past float32's range stays unchanged (not inf)
            bigger = (s64 * self._growth_factor).astype(np.float32)
            smaller = (s64 * self._backoff_factor).astype(np.float32)
        new_scale = xp.where(overflow, smaller, xp.where(xp.logical_and(grow, xp.isfinite(bigger)), bigger, scale))
        new_tracker = xp.where(xp.logical_or(overflow, grow), 0, grown)
        scale[...] = new_scale.astype(np.float32)
        tracker[...] = new_tracker.astype(np.int32)

    # -- accessors -----------------------------------------------------------------------------------------
    def get_scale(self) -> float:
        """The current scale as a Python float (1.0 when disabled); reading it syncs with the device."""
        if self._enabled:
            return self._init_scale if self._scale is None else float(self._scale)
        return 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        if self._enabled:
            return self._init_growth_tracker if self._growth_tracker is None else int(self._growth_tracker)
        return 0

    def is_enabled(self) -> bool:
        return self._enabled

    def _found_inf_per_device(self, optimizer) -> dict:
        return self._per_optimizer_states[id(optimizer)]["found_inf_per_device"]

    # -- checkpoints ---------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """{"scale", "growth_factor", "backoff_factor", "growth_interval", "_growth_tracker"}; {} when disabled."""
        if self._enabled:
            return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                    "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                    "_growth_tracker": self._get_growth_tracker()}
        return {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved from a disabled "
                               "instance of GradScaler.")
        self._init_scale = float(state_dict["scale"])
        if self._scale is not None:
            self._scale[...] = state_dict["scale"]
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._init_growth_tracker = int(state_dict["_growth_tracker"])
        if self._growth_tracker is not None:
            self._growth_tracker[...] = state_dict["_growth_tracker"]

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if self._enabled:
            assert len(self._per_optimizer_states) == 0, ("A GradScaler instance may only be pickled at the "
                                                          "beginning of an iteration, or at the end after "
                                                          "scaler.update().")
            # The scale lives on a device; a pickle keeps the values and remakes the arrays lazily.
            state["_init_scale"] = self.get_scale()
            state["_init_growth_tracker"] = self._get_growth_tracker()
            state["_scale"] = None
            state["_growth_tracker"] = None
            state["_per_optimizer_states"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if self._enabled:
            self._per_optimizer_states = defaultdict(_refresh_per_optimizer_state)
