"""`tl.autograd.Function`: user-defined ops, exactly as PyTorch's `torch.autograd.Function`.

    class Exp(tl.autograd.Function):
        @staticmethod
        def forward(ctx, x):                  # Tensors in; runs without recording a graph
            y = x.exp()
            ctx.save_for_backward(y)
            return y
        @staticmethod
        def backward(ctx, grad):              # Tensors in, one gradient per forward argument out
            (y,) = ctx.saved_tensors
            return grad * y

A call `Exp.apply(x)` creates a node (the `ctx`) that the engine treats like any built-in op.
When backward is written in differentiable ops, double backward works too.
"""
from __future__ import annotations

import functools

from . import grad_mode
from .function import Function as _Node, _Freed, _modified_error


class FunctionCtx(_Node):
    """The `ctx` of a custom Function, and its node in the graph."""

    keep_inputs = False

    def save_for_backward(self, *tensors) -> None:
        self._to_save = tensors

    def mark_dirty(self, *tensors) -> None:
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize = value

    @property
    def saved_tensors(self) -> tuple:
        saved = self._saved
        if type(saved) is _Freed:
            saved[0]  # raises the "backward through the graph a second time" error
        for t, v in zip(saved, self._saved_versions):
            if t is not None and t._vc[0] != v:
                raise _modified_error(self.name(), t._data, t._vc[0], v, "saved by save_for_backward")
        return saved

    def name(self) -> str:
        return self._cls.__name__ + "Backward"

    def backward(self, *grads):
        cls = self._cls
        if self._materialize is False:
            grads = tuple(grads)
        result = cls.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n_args = len(self._arg_is_tensor)
        if len(result) < n_args:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                               f"(expected {n_args}, got {len(result)})")
        from ..tensor import Tensor

        out = []
        for i, (is_tensor, g) in enumerate(zip(self._arg_is_tensor, result)):
            if not is_tensor:
                continue
            if g is not None:
                if not isinstance(g, Tensor):
                    raise TypeError(f"function {self.name()} returned a {type(g).__name__} as gradient {i}, "
                                    f"expected a Tensor or None")
                shape = self._input_shapes[i]
                if tuple(g._data.shape) != shape:
                    if g._data.size == _prod(shape):
                        g = g.reshape(shape)
                    else:
                        raise RuntimeError(f"Function {self.name()} returned an invalid gradient at index {i} - got "
                                           f"{list(g.shape)} but expected shape compatible with {list(shape)}")
            out.append(g)
        return tuple(out)

    def _release(self) -> None:
        self._saved = _Freed(self.name())


def _prod(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


class _FunctionMeta(type):
    pass


class Function(metaclass=_FunctionMeta):
    """Subclass with static `forward(ctx, *args)` and `backward(ctx, *grads)`; call `.apply(*args)`."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not overridden")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        from ..tensor import Tensor

        ctx = FunctionCtx.__new__(FunctionCtx)
        ctx._cls = cls
        ctx._to_save = ()
        ctx._dirty = ()
        ctx._non_differentiable = set()
        ctx._materialize = True
        ctx._hooks = None
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        record = grad_mode._grad_enabled[0] and any(ctx.needs_input_grad)
        uses_setup_context = cls.setup_context is not Function.setup_context
        with grad_mode.no_grad():
            if uses_setup_context:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        ctx._saved = tuple(ctx._to_save)
        ctx._saved_versions = tuple(t._vc[0] if t is not None else 0 for t in ctx._saved)
        if not record:
            return output
        ctx._arg_is_tensor = tuple(isinstance(a, Tensor) for a in args)
        ctx._input_shapes = tuple(tuple(a._data.shape) if isinstance(a, Tensor) else None for a in args)
        tensor_args = [a for a in args if isinstance(a, Tensor)]
        ctx.next_edges = tuple(
            ((t.grad_fn, t._output_nr, t._data.dtype) if t.grad_fn is not None else (t, -1, t._data.dtype))
            if t._requires_grad else None
            for t in tensor_args)
        is_tuple = isinstance(output, tuple)
        outs = output if is_tuple else (output,)
        wrapped, meta = [], []
        dirty = {id(t) for t in ctx._dirty}
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                wrapped.append(o)
                meta.append(None)
                continue
            if id(o) in dirty:
                t = o  # modified in place: rebase its history onto this node
            elif any(o is a for a in tensor_args) or o._requires_grad or o.grad_fn is not None:
                t = o.detach()  # an input returned as is (or a tensor with history) becomes a new output
            else:
                t = o
            differentiable = t._data.dtype.kind in "fV" and id(o) not in ctx._non_differentiable
            if differentiable:
                t.grad_fn, t._output_nr, t._requires_grad = ctx, i, True
            meta.append((t._data.shape, t._data.dtype, type(t._data)) if differentiable else None)
            wrapped.append(t)
        ctx._out_meta = tuple(meta) if len(meta) > 1 else None
        if ctx._out_meta is None:
            del ctx._out_meta
        return tuple(wrapped) if is_tuple else wrapped[0]


def once_differentiable(backward):
    """Decorate a custom backward that is not itself differentiable: it runs without a graph."""

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with grad_mode.no_grad():
            return backward(ctx, *grads)

    return wrapper
