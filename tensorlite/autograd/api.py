"""`tl.autograd.backward` and `tl.autograd.grad`: argument checking around the engine."""
from __future__ import annotations


from ..backend.device import get_array_module
from .engine import run_backward


def _tensor_type():
    """Tensor, imported on first use (this module loads before tensor.py does)."""
    global _Tensor
    if _Tensor is None:
        from ..tensor import Tensor

        _Tensor = Tensor
    return _Tensor


_Tensor = None


def _as_tuple(x) -> tuple:
    Tensor = _tensor_type()
    if x is None:
        return ()
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _seed_grads(outputs: tuple, grad_outputs: tuple, op: str) -> list:
    """The gradient each output starts with: given, or ones for a scalar output."""
    Tensor = _tensor_type()
    if grad_outputs and len(grad_outputs) != len(outputs):
        raise RuntimeError(f"{op}: got {len(grad_outputs)} gradients for {len(outputs)} outputs")
    seeds = []
    for i, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"{op}: expected Tensor outputs, got {type(out).__name__}")
        if not out._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        g = grad_outputs[i] if grad_outputs else None
        if g is None:
            if out._data.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs (got shape {list(out.shape)})")
            g = Tensor._wrap(_ones_like(out._data))
        elif not isinstance(g, Tensor):
            from ..creation import tensor

            g = tensor(g, dtype=out.dtype, device=out.device)
        if type(g._data) is not type(out._data):
            raise RuntimeError(f"{op}: invalid gradient at index {i} - expected device {out.device} but got {g.device}")
        if tuple(g._data.shape) != tuple(out._data.shape):
            raise RuntimeError(f"{op}: Mismatch in shape: grad_output[{i}] has a shape of {list(g.shape)} and "
                               f"output[{i}] has a shape of {list(out.shape)}.")
        if g._data.dtype != out._data.dtype:  # PyTorch casts a given gradient to its output's dtype
            g = g.to(out.dtype)
        seeds.append(g)
    return seeds


def _ones_like(arr):
    return get_array_module(arr).ones_like(arr)


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None, create_graph: bool = False,
             inputs=None) -> None:
    """Accumulate gradients of `tensors` into the `.grad` of graph leaves (or only of `inputs`)."""
    outputs = _as_tuple(tensors)
    seeds = _seed_grads(outputs, _as_tuple(grad_tensors) if grad_tensors is not None else (), "backward")
    if retain_graph is None:
        retain_graph = create_graph
    inputs = _as_tuple(inputs) if inputs is not None else None
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("backward: 'inputs' argument to backward() cannot be empty.")
    run_backward(outputs, seeds, retain_graph, create_graph, inputs=inputs, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused: bool | None = None, is_grads_batched: bool = False,
         materialize_grads: bool = False) -> tuple:
    """Return d(outputs)/d(inputs) without touching any `.grad` (PyTorch's torch.autograd.grad)."""
    Tensor = _tensor_type()
    if is_grads_batched:
        raise NotImplementedError("grad: is_grads_batched=True is not supported by tensorlite")
    outputs = _as_tuple(outputs)
    inputs_t = _as_tuple(inputs)
    if not inputs_t:
        raise RuntimeError("grad requires non-empty inputs.")
    for i, t in enumerate(inputs_t):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: inputs[{i}] is a {type(t).__name__}, expected a Tensor")
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("grad: Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                         "allow_unused=False.")
    seeds = _seed_grads(outputs, _as_tuple(grad_outputs) if grad_outputs is not None else (), "grad")
    if retain_graph is None:
        retain_graph = create_graph
    result = run_backward(outputs, seeds, retain_graph, create_graph, inputs=inputs_t, accumulate=False)
    for i, g in enumerate(result):
        if g is None:
            if materialize_grads:
                result[i] = Tensor._wrap(_zeros_like(inputs_t[i]._data))
            elif not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph. "
                                   "Set allow_unused=True if this is the desired behavior.")
        elif not create_graph and g._requires_grad:
            result[i] = g.detach()
    return tuple(result)


def _zeros_like(arr):
    return get_array_module(arr).zeros_like(arr)
