"""Activation checkpointing (PyTorch's torch.utils.checkpoint): trade compute for memory.

The wrapped function runs forward under no_grad, keeping only its inputs; backward re-runs it with grad
enabled (restoring the RNG state first, so dropout draws the same mask) and differentiates the recomputed
graph, so gradients equal those of the plain run.
use_reentrant=True: backward accumulates into every leaf's .grad directly (PyTorch's reentrant variant,
which also does not support autograd.grad with respect to parameters).
use_reentrant=False: the tensors that require grad and that `function` reaches (a Module's parameters,
a bound method's Module, closure cells, functools.partial arguments) become inputs of the graph node, so
autograd.grad works through it too; tensors hidden deeper are not seen (a limitation PyTorch does not have).
"""
from __future__ import annotations

import contextlib
import functools
import warnings
from typing import Any, Callable

from .. import random as _random
from ..autograd import api as _api
from ..autograd import grad_mode
from ..autograd.custom_function import Function


class CheckpointError(RuntimeError):
    """The recomputation differed from the original forward (shapes or dtypes of the outputs)."""


def noop_context_fn() -> tuple:
    return contextlib.nullcontext(), contextlib.nullcontext()


def _tensor():
    from ..tensor import Tensor

    return Tensor


def _reached_grad_tensors(function: Any) -> list:
    """Tensors requiring grad that `function` can reach without being passed them (see module docstring)."""
    from ..nn import Module

    Tensor = _tensor()
    found, seen = [], set()

    def visit(obj, depth):
        if depth > 3 or id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, Tensor):
            if obj.requires_grad:
                found.append(obj)
        elif isinstance(obj, Module):
            found.extend(p for p in obj.parameters() if p.requires_grad and id(p) not in seen and not seen.add(id(p)))
        elif isinstance(obj, functools.partial):
            for a in (obj.func, *obj.args, *obj.keywords.values()):
                visit(a, depth + 1)
        elif isinstance(obj, (list, tuple)):
            for a in obj:
                visit(a, depth + 1)
        else:
            if getattr(obj, "__self__", None) is not None:
                visit(obj.__self__, depth + 1)
            for cell in getattr(obj, "__closure__", None) or ():
                try:
                    visit(cell.cell_contents, depth + 1)
                except ValueError:  # an empty cell
                    pass

    visit(function, 0)
    return found


class _CheckpointFunction(Function):
    """apply(run, n_args, *args, *extra): forward without a graph, backward by recomputation."""

    @staticmethod
    def forward(ctx, run, n_args, reentrant, preserve, determinism, recompute_ctx, *tensors_and_args):
        Tensor = _tensor()
        args = tensors_and_args[:n_args]
        ctx.run, ctx.reentrant, ctx.determinism, ctx.recompute_ctx = run, reentrant, determinism, recompute_ctx
        ctx.rng_state = _random.get_rng_state() if preserve else None
        ctx.args = args
        ctx.n_args = n_args
        ctx.extra = tensors_and_args[n_args:]
        ctx.tensor_idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.save_for_backward(*[args[i] for i in ctx.tensor_idx])
        out = run(*args)
        outs = out if isinstance(out, tuple) else (out,)
        ctx.out_meta = [(tuple(o.shape), o.dtype) if isinstance(o, Tensor) else None for o in outs]
        return out

    @staticmethod
    def backward(ctx, *grads):
        Tensor = _tensor()
        args = list(ctx.args)
        for i, t in zip(ctx.tensor_idx, ctx.saved_tensors):
            args[i] = t.detach().requires_grad_(t.requires_grad)
        current = _random.get_rng_state() if ctx.rng_state is not None else None
        try:
            if ctx.rng_state is not None:
                _random.set_rng_state(ctx.rng_state)
            with grad_mode.enable_grad(), ctx.recompute_ctx:
                out = ctx.run(*args)
        finally:
            if current is not None:
                _random.set_rng_state(current)
        outs = out if isinstance(out, tuple) else (out,)
        if ctx.determinism == "default":
            meta = [(tuple(o.shape), o.dtype) if isinstance(o, Tensor) else None for o in outs]
            if meta != ctx.out_meta:
                raise CheckpointError(f"torch.utils.checkpoint: Recomputed values have different metadata than "
                                      f"during the forward pass: {ctx.out_meta} then {meta}")
        pairs = [(o, g) for o, g in zip(outs, grads) if isinstance(o, Tensor) and o.requires_grad and g is not None]
        arg_inputs = [args[i] for i in ctx.tensor_idx if args[i].requires_grad]
        arg_grads = {}
        if pairs:
            if ctx.reentrant:  # every leaf the recomputation reached accumulates its .grad here
                _api.backward(tuple(o for o, _ in pairs), tuple(g for _, g in pairs))
                arg_grads = {id(a): a.grad for a in arg_inputs}
                extra_grads = [None] * len(ctx.extra)
            else:
                wrt = tuple(arg_inputs) + tuple(ctx.extra)
                got = _api.grad(tuple(o for o, _ in pairs), wrt, tuple(g for _, g in pairs),
                                allow_unused=True) if wrt else ()
                arg_grads = {id(a): g for a, g in zip(arg_inputs, got)}
                extra_grads = list(got[len(arg_inputs):])
        else:
            extra_grads = [None] * len(ctx.extra)
        arg_out = [arg_grads.get(id(a)) if isinstance(a, Tensor) else None for a in args]
        return (None,) * 6 + tuple(arg_out) + tuple(extra_grads)


def checkpoint(function: Callable, *args, use_reentrant: bool | None = None, preserve_rng_state: bool = True,
               context_fn: Callable[[], tuple] = noop_context_fn, determinism_check: str = "default",
               debug: bool = False, early_stop: bool = True, **kwargs):
    """function(*args, **kwargs), without keeping its activations: they are recomputed in backward."""
    Tensor = _tensor()
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in "
                      "PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
                      "use_reentrant=False is recommended, but if you need to preserve the current default behavior, "
                      "you can pass use_reentrant=True. Refer to docs for more details on the differences between "
                      "the two variants.", stacklevel=2)
        use_reentrant = True
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if determinism_check not in ("default", "none"):
        raise ValueError(f"determinism_check should be one of ['default', 'none'], but got {determinism_check}")
    if use_reentrant and (context_fn is not noop_context_fn or debug):
        raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
    run = functools.partial(function, **kwargs) if kwargs else function
    forward_ctx, recompute_ctx = context_fn()
    if use_reentrant:
        extra = ()
        if grad_mode.is_grad_enabled() and not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2)
    else:
        extra = tuple(t for t in _reached_grad_tensors(function) if not any(t is a for a in args))
    with forward_ctx:
        return _CheckpointFunction.apply(run, len(args), use_reentrant, preserve_rng_state, determinism_check,
                                         recompute_ctx, *args, *extra)


def checkpoint_sequential(functions, segments: int, input, use_reentrant: bool | None = None, **kwargs):
    """Run `functions` (a Sequential or a list of modules) in `segments` chunks, each checkpointed but the last."""
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be passed "
                      "explicitly. In version 2.9 we will raise an exception if use_reentrant is not passed. "
                      "use_reentrant=False is recommended, but if you need to preserve the current default behavior, "
                      "you can pass use_reentrant=True. Refer to docs for more details on the differences between "
                      "the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    from ..nn import Sequential

    if isinstance(functions, Sequential):
        functions = list(functions.children())
    functions = list(functions)

    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        seg = functools.partial(_run_segment, functions[start:end + 1])
        input = checkpoint(seg, input, use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return _run_segment(functions[end + 1:], input)


def _run_segment(fns: list, x):
    for f in fns:
        x = f(x)
    return x


__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError"]
