"""Module backward hooks (`register_full_backward_hook`, `register_full_backward_pre_hook`).

As in PyTorch, a module call with backward hooks routes its tensor inputs and its tensor outputs
through an identity autograd node each. The outputs' node sees grad_output first (pre-hooks may
replace it); the inputs' node then sees grad_input and calls hook(module, grad_input, grad_output),
whose non-None return replaces grad_input. As there, grad_output has None for outputs that got no
gradient (or are not tensors requiring grad), and grad_input has None for arguments that are not
tensors and zeros for tensors that got no gradient (when any input requires grad at all).
"""
from __future__ import annotations

import warnings

from ...autograd import grad_mode
from ...autograd.custom_function import Function
from ...creation import zeros
from ...tensor import Tensor


class _BackwardHookFunction(Function):
    """Identity on tensors; its backward hands the incoming gradients to `on_backward` (which may replace them)."""

    @staticmethod
    def forward(ctx, on_backward, materialize, *tensors):
        ctx.on_backward = on_backward
        ctx.set_materialize_grads(materialize)
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None, None, *ctx.on_backward(grads))


class BackwardHook:
    """One module call's backward hooks: wraps its inputs and outputs, then links their gradients."""

    def __init__(self, module, user_hooks: list, user_pre_hooks: list) -> None:
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs: tuple | None = None
        self.n_inputs = self.n_outputs = -1
        self.input_tensors_index: list | None = None
        self.output_tensors_index: list | None = None
        self.zero_inputs: dict = {}  # input position -> (shape, dtype, device) of a tensor that needs no gradient

    @staticmethod
    def _pack_with_none(indices, values, size: int) -> tuple:
        res = [None] * size
        for i, v in zip(indices, values):
            res[i] = v
        return tuple(res)

    @staticmethod
    def _route(args: tuple, on_backward, materialize: bool) -> tuple[tuple, list | None]:
        """args with the tensors that require grad passed through the identity node (None: nothing to route)."""
        index = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        if not index or not grad_mode.is_grad_enabled():
            return args, None
        routed = _BackwardHookFunction.apply(on_backward, materialize, *(args[i] for i in index))
        out = list(args)
        for i, t in zip(index, routed):
            out[i] = t
        return tuple(out), index

    def setup_input_hook(self, args: tuple) -> tuple:
        args, self.input_tensors_index = self._route(args, self._input_backward, True)
        self.n_inputs = len(args)
        if self.input_tensors_index is not None:  # the other tensors' gradients are zeros, as PyTorch's
            self.zero_inputs = {i: (a.shape, a.dtype, a.device) for i, a in enumerate(args)
                                if isinstance(a, Tensor) and i not in self.input_tensors_index}
        return args

    def setup_output_hook(self, result):
        is_tuple = isinstance(result, tuple)
        outs = result if is_tuple else (result,)
        outs, self.output_tensors_index = self._route(outs, self._output_backward, False)
        self.n_outputs = len(outs)
        return outs if is_tuple else outs[0]

    def _output_backward(self, grads: tuple) -> tuple:
        self.grad_outputs = self._pack_with_none(self.output_tensors_index, grads, self.n_outputs)
        for hook in self.user_pre_hooks:
            new = hook(self.module, self.grad_outputs)
            if new is None:
                continue
            if isinstance(new, Tensor):
                new = (new,)
            if len(new) != len(self.grad_outputs):
                raise RuntimeError(f"Backward pre hook returned an invalid number of grad_output, got {len(new)}, "
                                   f"but expected {len(self.grad_outputs)}")
            self.grad_outputs = tuple(new)
        local = self.grad_outputs
        if self.input_tensors_index is None:  # no input requires grad: the hooks fire here, with grad_input all None
            if self.user_hooks:
                warnings.warn("Full backward hook is firing when gradients are computed with respect to module "
                              "outputs since no inputs require gradients.", stacklevel=2)
            grad_inputs = self._pack_with_none([], [], self.n_inputs)
            for hook in self.user_hooks:
                res = hook(self.module, grad_inputs, self.grad_outputs)
                if res is not None and not (isinstance(res, tuple) and all(r is None for r in res)):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                       "return None or None for all gradients.")
            self.grad_outputs = None
        return tuple(local[i] for i in self.output_tensors_index)

    def _input_backward(self, grads: tuple) -> tuple:
        if self.grad_outputs is None:  # the gradient reached the inputs without passing through the outputs
            return grads
        grad_input = list(self._pack_with_none(self.input_tensors_index, grads, self.n_inputs))
        for i, (shape, dtype, device) in self.zero_inputs.items():
            grad_input[i] = zeros(shape, dtype=dtype, device=device)
        grad_input = tuple(grad_input)
        for hook in self.user_hooks:
            new = hook(self.module, grad_input, self.grad_outputs)
            if new is None:
                continue
            if isinstance(new, Tensor):
                new = (new,)
            if len(new) != len(grad_input):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got {len(new)}, but "
                                   f"expected {len(grad_input)}")
            grad_input = tuple(new)
        self.grad_outputs = None
        return tuple(grad_input[i] for i in self.input_tensors_index)
