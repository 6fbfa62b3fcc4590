"""The Optimizer base: parameter groups, per-parameter state, zero_grad, state dicts and hooks.

PyTorch's contract, kept exactly:
  param_groups  a list of dicts, each {"params": [tensors], <option>: value, ...}; options a group
                does not set are filled in from `defaults` (the constructor's arguments)
  state         a dict keyed by parameter tensor (defaultdict(dict)); each optimizer keeps its
                buffers there ("step" as a 0-d tensor, "exp_avg", "momentum_buffer", ...)
  state_dict()  {"state": {param_index: state}, "param_groups": [group with "params" as indices]}
                where indices number the parameters in group order
  step(closure) runs the update without recording a graph; `closure` (re-evaluating the loss) runs
                with grad mode on and its value is returned

Subclasses define `step`; it is wrapped once per class so the step pre/post hooks run around it.
"""
from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain
from typing import Any, Callable, Iterable

from .. import _dtype as dt
from ..autograd.grad_mode import enable_grad, set_grad_enabled
from ..tensor import RemovableHandle, Tensor

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]


class _RequiredParameter:
    """Marks a default every param group must give (e.g. a learning rate with no default)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

_global_step_pre_hooks: OrderedDict = OrderedDict()
_global_step_post_hooks: OrderedDict = OrderedDict()


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """Call `hook(optimizer, args, kwargs)` before every optimizer's step; it may return new (args, kwargs)."""
    handle = RemovableHandle(_global_step_pre_hooks)
    _global_step_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """Call `hook(optimizer, args, kwargs)` after every optimizer's step."""
    handle = RemovableHandle(_global_step_post_hooks)
    _global_step_post_hooks[handle.id] = hook
    return handle


def _with_step_hooks(step: Callable) -> Callable:
    """Wrap a subclass's `step` so hooks run around it (once, even when a subclass calls super().step)."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if self.__dict__.get("_in_step", False):
            return step(self, *args, **kwargs)
        self._in_step = True
        try:
            for hook in chain(_global_step_pre_hooks.values(), _hooks(self, "_optimizer_step_pre_hooks").values()):
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(f"{hook} must return None or a tuple of (new_args, new_kwargs), but got "
                                           f"{result}.")
                    args, kwargs = result
            self._opt_called = True  # read by lr schedulers to warn about calling them first
            out = step(self, *args, **kwargs)
            for hook in chain(_hooks(self, "_optimizer_step_post_hooks").values(), _global_step_post_hooks.values()):
                hook(self, args, kwargs)
            return out
        finally:
            self._in_step = False

    wrapper._with_hooks = True
    return wrapper


def _hooks(opt, name: str) -> OrderedDict:
    hooks = opt.__dict__.get(name)
    if hooks is None:
        hooks = OrderedDict()
        setattr(opt, name, hooks)
    return hooks


def _scalar_dtype(is_fused: bool | None = None) -> dt.dtype:
    """The dtype of 0-d state such as `step`: float32, or float64 when that is the default dtype (as PyTorch)."""
    if is_fused:
        return dt.float32
    return dt.float64 if dt.get_default_dtype() == dt.float64 else dt.float32


def _to_scalar(x) -> Any:
    """A one-element tensor (lr, beta given as a tensor) as a Python number; anything else unchanged."""
    if isinstance(x, Tensor):
        if x.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        return x.item()
    return x


def _get_value(x) -> float:
    return x.item() if isinstance(x, Tensor) else x


class Optimizer:
    """Base class of all optimizers. `params`: an iterable of tensors, or of dicts (parameter groups)
    holding "params" and per-group options; `defaults`: the options' default values."""

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {type(params).__module__}.{type(params).__name__}")
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_with_hooks", False):
            cls.step = _with_step_hooks(step)

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    _GROUP_DEFAULTS: tuple = ()  # (key, value) pairs a subclass's param groups gained after older releases

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.defaults.setdefault("differentiable", False)
        for group in self.param_groups:
            for key, value in self._GROUP_DEFAULTS:
                group.setdefault(key, value)

    def __repr__(self) -> str:
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        return "\n".join(lines) + "\n)"

    # -- parameter groups ------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group (a dict with "params" and options); missing options take the defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)
        # named parameters: (name, tensor) pairs, as from module.named_parameters()
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group["params"] = params
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__module__}.{type(p).__name__}")
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = {id(p) for p in params}
        if len(ids) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will cause "
                          "an error; see github.com/pytorch/pytorch/issues/40967 for more information", stacklevel=3)
        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(f"all optimizer param groups should be with/without names. cannot add param group "
                                 f"{which} to the optimizer")
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # -- gradients and steps -----------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's `.grad`: to None (default), or to zeros in place (detached first)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad_(False)
                    p.grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None):
        """Update the parameters once; `closure` re-evaluates the loss (with grad on) and its value is returned."""
        raise NotImplementedError

    def _update_grad_mode(self) -> set_grad_enabled:
        """The grad mode `step` updates in: off, or on with `differentiable=True` so the new parameter
        values stay differentiable w.r.t. the old ones and the gradients (the params must then be
        non-leaf tensors, as in PyTorch, since a leaf requiring grad cannot be changed in place)."""
        return set_grad_enabled(bool(self.defaults.get("differentiable", False)))

    @staticmethod
    def _eval_closure(closure: Callable[[], Any] | None):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # -- hooks -------------------------------------------------------------------------------------
    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """`hook(optimizer, args, kwargs)` runs before `step`; returning (args, kwargs) replaces them."""
        return _register(_hooks(self, "_optimizer_step_pre_hooks"), hook)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """`hook(optimizer, args, kwargs)` runs after `step`."""
        return _register(_hooks(self, "_optimizer_step_post_hooks"), hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """`hook(optimizer)` runs before `state_dict()` builds its result."""
        return _register(_hooks(self, "_optimizer_state_dict_pre_hooks"), hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """`hook(optimizer, state_dict)` runs on the result of `state_dict()`; a returned dict replaces it."""
        return _register(_hooks(self, "_optimizer_state_dict_post_hooks"), hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """`hook(optimizer, state_dict)` runs before loading; a returned dict is loaded instead."""
        return _register(_hooks(self, "_optimizer_load_state_dict_pre_hooks"), hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """`hook(optimizer)` runs after loading."""
        return _register(_hooks(self, "_optimizer_load_state_dict_post_hooks"), hook, prepend)

    # -- state dicts -------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """{"state": {index: per-parameter state}, "param_groups": [options with "params" as indices]}.

        Parameters are numbered in the order they appear in the groups. As in PyTorch the state's
        tensors are the live buffers, not copies (clone them, or save to disk, to keep a snapshot).
        """
        for hook in _hooks(self, "_optimizer_state_dict_pre_hooks").values():
            hook(self)
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        result = {"state": state, "param_groups": groups}
        for hook in _hooks(self, "_optimizer_state_dict_post_hooks").values():
            out = hook(self, result)
            if out is not None:
                result = out
        return result

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load what `state_dict()` returned (from an optimizer over parameters of the same sizes).

        Group options are taken from the saved groups; state tensors are cast to their parameter's
        dtype and device ("step" keeps its own dtype), as in PyTorch.
        """
        state_dict = dict(state_dict)
        for hook in _hooks(self, "_optimizer_load_state_dict_pre_hooks").values():
            out = hook(self, state_dict)
            if out is not None:
                state_dict = out
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError(f"loaded state dict has a different number of parameter groups ({len(saved_groups)}) "
                             f"than the optimizer ({len(groups)})")
        for i, (g, s) in enumerate(zip(groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(f"loaded state dict contains a parameter group that doesn't match the size of "
                                 f"optimizer's group (group {i}: {len(s['params'])} saved parameters, "
                                 f"{len(g['params'])} in the optimizer)")
        id_map = dict(zip(chain.from_iterable(s["params"] for s in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        flags = {}
        for s in state_dict["param_groups"]:
            for pid in s["params"]:
                flags[pid] = bool(s.get("fused", False)) or bool(s.get("capturable", False))
        state: defaultdict = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                param = id_map[key]
                state[param] = _cast_state(param, value, flags.get(key, False))
            else:
                state[key] = value
        new_groups = []
        for g, s in zip(groups, saved_groups):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
            new_groups.append(s)
        self.__setstate__({"state": state, "param_groups": new_groups})
        for hook in _hooks(self, "_optimizer_load_state_dict_post_hooks").values():
            hook(self)


def _register(hooks: OrderedDict, hook: Callable, prepend: bool = False) -> RemovableHandle:
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def _cast_state(param: Tensor, value, step_float32: bool, key=None):
    """A loaded state value next to its parameter: tensors in the parameter's dtype and device
    ("step" stays as saved, or float32 for fused/capturable groups); containers walked recursively."""
    if isinstance(value, Tensor):
        if key == "step":
            return value.to(dtype=dt.float32, device=param.device) if step_float32 else value
        if param.is_floating_point():
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)
    if isinstance(value, dict):
        return {k: _cast_state(param, v, step_float32, key=k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, v, step_float32) for v in value)
    return value


def _check_impl_flags(differentiable: bool, fused: bool | None = None, foreach: bool | None = None) -> None:
    """`foreach`/`fused`/`capturable` choose kernels in PyTorch; tensorlite has one update path for all
    (the same math), so they are accepted and stored. `differentiable=True` makes `step` record the
    update in the autograd graph (see `Optimizer._update_grad_mode`)."""
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    if fused and differentiable:
        raise RuntimeError("`fused` does not support `differentiable`")


def _check_range(name: str, value, low: float = 0.0, high: float | None = None, high_open: bool = True) -> None:
    """PyTorch's argument checks: ValueError(f"Invalid {name}: {value}") outside [low, high)."""
    ok = low <= value
    if high is not None:
        ok = ok and (value < high if high_open else value <= high)
    if not ok:
        raise ValueError(f"Invalid {name}: {value}")
