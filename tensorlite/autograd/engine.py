"""The backward engine: reverse-mode accumulation over the recorded graph.

1. Count, for every node reachable from the roots, how many edges point at it.
2. Start from the roots with their seed gradients; a node runs once all of its dependents have
   delivered, so each gradient is complete (summed over every use) before it flows on.
3. A node's `backward` returns one gradient per input; each goes along that input's edge,
   either into another node's buffer or, for a leaf, into `leaf.grad` (or into the result of
   `autograd.grad`).

With `create_graph=False` backward runs under no_grad, so computing gradients builds nothing;
with `create_graph=True` the gradient computation is itself recorded (higher-order gradients).
"""
from __future__ import annotations

import sys
from typing import Sequence

import numpy as np

from .._dtype import from_numpy_dtype
from ..amp import policy as _amp
from ..backend.device import cuda_module
from . import grad_mode
from .function import Function

_grad_enabled = grad_mode._grad_enabled
_getrefcount = sys.getrefcount
# References to a gradient held by the engine's edge loop when a backward returned it: the
# in_grads tuple, the loop variable, and getrefcount's own argument (tests/test_autograd.py checks
# that a gradient held anywhere else is copied, and that a fresh one is not).
_OWNED_REFS = 3  # (indexing, not zip, whose reused result tuple would hold one more)


def run_backward(roots: Sequence, seeds: Sequence, retain_graph: bool, create_graph: bool,
                 inputs: Sequence | None = None, accumulate: bool = True) -> list | None:
    """Propagate `seeds` (gradients of `roots`) back through the graph.

    accumulate=True: add into `.grad` of leaves (all of them, or only `inputs` if given).
    accumulate=False: return the gradients of `inputs` instead (autograd.grad), touching no `.grad`.
    """
    # Where the caller wants gradients captured: leaves by identity, non-leaves by (node, output).
    capture_leaf = {}
    capture_node = {}
    if inputs is not None:
        for k, t in enumerate(inputs):
            if t.grad_fn is None:
                capture_leaf.setdefault(id(t), []).append(k)
            else:
                capture_node.setdefault((t.grad_fn, t._output_nr), []).append(k)
    captured = [None] * (len(inputs) if inputs is not None else 0)
    only_inputs = inputs is not None

    def deliver_leaf(leaf, g, owned=False):
        if only_inputs:
            ks = capture_leaf.get(id(leaf))
            if ks is None:
                return  # a leaf not asked for: as in PyTorch its gradient isn't computed, so its hooks don't run
        if leaf._hooks:
            for hook in leaf._hooks.values():
                r = hook(g)
                if r is not None:
                    g = r
                    owned = False
        if only_inputs and not accumulate:
            for k in ks:
                captured[k] = g if captured[k] is None else captured[k] + g
            return
        _accumulate_grad(leaf, g, create_graph, owned)
        if leaf._post_accumulate_grad_hooks:  # register_post_accumulate_grad_hook (a class default of None)
            from ..ops.tensor_extras import run_post_accumulate_hooks

            run_post_accumulate_hooks(leaf)

    # 1. dependency counts over reachable nodes
    deps: dict = {}
    stack = []
    for t in roots:
        fn = t.grad_fn
        if fn is not None and fn not in deps:
            deps[fn] = 0
            stack.append(fn)
    while stack:
        fn = stack.pop()
        for edge in fn.next_edges:
            if edge is not None and edge[1] >= 0:
                child = edge[0]
                if child in deps:
                    deps[child] += 1
                else:
                    deps[child] = 1
                    stack.append(child)

    # 2. seed the buffers
    buffers: dict = {}
    prev_mode = _grad_enabled[0]
    _grad_enabled[0] = create_graph
    amp_excluded = _amp.active[0]  # backward ops run in the dtypes autocast gave their forward ops
    if amp_excluded:
        _amp.state.excluded += 1
    try:
        for t, g in zip(roots, seeds):
            fn = t.grad_fn
            if fn is None:
                deliver_leaf(t, g)
                continue
            buf = buffers.get(fn)
            if buf is None:
                buf = buffers[fn] = [None] * _n_outputs(fn)
            nr = t._output_nr
            buf[nr] = g if buf[nr] is None else buf[nr] + g
        ready = [fn for fn in buffers if deps[fn] == 0]

        # 3. run nodes in dependency order
        while ready:
            fn = ready.pop()
            grads = buffers.pop(fn, None)
            if grads is None or (grads[0] is None and all(g is None for g in grads)):
                _skip(fn, deps, ready)
                continue
            if fn._hooks is not None:
                grads = _run_node_hooks(fn, grads)
            if capture_node:
                for nr, g in enumerate(grads):
                    ks = capture_node.get((fn, nr))
                    if ks:
                        for k in ks:
                            captured[k] = g
            if len(grads) > 1 and getattr(fn, "_materialize", True) is not False:  # ctx.set_materialize_grads
                grads = [g if g is not None else _zeros_for(fn, i) for i, g in enumerate(grads)]
            if fn.keep_inputs:
                fn._check_versions()
            in_grads = fn.backward(*grads)
            if type(in_grads) is not tuple:
                in_grads = (in_grads,)
            if not retain_graph:
                fn._release()
            edges = fn.next_edges
            for i in range(min(len(edges), len(in_grads))):
                edge = edges[i]
                if edge is None:
                    continue
                g = in_grads[i]
                node, nr, dtype = edge
                if g is not None and g._data.dtype is not dtype:
                    # a gradient has its input's dtype, as PyTorch's engine casts it (bfloat16 inputs
                    # whose backward met a float32 constant, a float16 tensor mixed with float32, ...)
                    g = g.to(from_numpy_dtype(dtype))
                if nr < 0:
                    if g is not None:
                        # Nothing but this loop holds g (and g alone holds its array): a gradient a backward
                        # just computed, which the leaf may keep without a copy, as PyTorch's AccumulateGrad
                        # steals an unshared gradient.  Counted references: in_grads, g, getrefcount's argument.
                        owned = (g.grad_fn is None and _getrefcount(g) <= _OWNED_REFS
                                 and g._data.base is None and _getrefcount(g._data) == 2)
                        deliver_leaf(node, g, owned)
                    continue
                if g is not None:
                    buf = buffers.get(node)
                    if buf is None:
                        buf = buffers[node] = [None] * _n_outputs(node)
                    buf[nr] = g if buf[nr] is None else buf[nr] + g
                deps[node] -= 1
                if deps[node] == 0:
                    ready.append(node)
    finally:
        _grad_enabled[0] = prev_mode
        if amp_excluded:
            _amp.state.excluded -= 1
    return captured if not accumulate else None


def _skip(fn: Function, deps: dict, ready: list) -> None:
    """A node that received no gradient still releases its children's dependency counts."""
    for edge in fn.next_edges:
        if edge is not None and edge[1] >= 0:
            deps[edge[0]] -= 1
            if deps[edge[0]] == 0:
                ready.append(edge[0])


def _n_outputs(fn: Function) -> int:
    meta = fn._out_meta
    return 1 if meta is None else len(meta)


def _zeros_for(fn: Function, i: int):
    from ..tensor import Tensor
    meta = fn._out_meta[i]
    if meta is None:  # a non-differentiable output (indices, a non-tensor value)
        return None
    shape, dtype, array_type = meta
    xp = np if array_type is np.ndarray else cuda_module()
    return Tensor._wrap(xp.zeros(shape, dtype))


def _run_node_hooks(fn: Function, grads: list) -> list:
    """Hooks and retain_grad registered on non-leaf tensors live on their node, per output."""
    grads = list(grads)
    for nr, hooks in fn._hooks.items():
        g = grads[nr]
        if g is None:
            continue
        for hook in hooks:
            if hook == "retain_grad":
                continue
            r = hook(g)
            if r is not None:
                g = r
        grads[nr] = g
        for hook in hooks:
            if hook == "retain_grad":
                ref = fn._retained[nr]()
                if ref is not None:
                    _accumulate_grad(ref, g, _grad_enabled[0])
    return grads


def _accumulate_grad(t, g, create_graph: bool, owned: bool = False) -> None:
    """leaf.grad += g, in place when no graph of the gradient is being built (as PyTorch does).
    `owned`: nothing else refers to g or its array, so a first gradient is kept without a copy."""
    if t.grad is None:
        if create_graph or owned:
            t.grad = g
        else:
            # Own the buffer: backward may hand the same array to several inputs (add, expand).
            t.grad = g.detach().clone()
    elif create_graph or t.grad._requires_grad:
        t.grad = t.grad + g
    else:
        if t.grad._data.shape != g._data.shape:
            raise RuntimeError(f"accumulating a gradient of shape {tuple(g.shape)} into .grad of shape {tuple(t.grad.shape)}")
        t.grad._data += g._data
