"""The op base class: forward on raw arrays, backward in Tensor ops (so it is differentiable).

An op is a subclass of `Function` with two methods standing side by side:

    class Mul(Function):
        def forward(self, a, b):            # arrays in, array out
            return a * b
        def backward(self, grad):           # Tensors in, Tensors out
            a, b = self.inputs
            return grad * b, grad * a

`Mul.apply(x, y)` runs forward and, when grad mode is on and an input requires grad, records
the call as a node of the graph: the node (the Function instance) keeps its input Tensors when
`keep_inputs` is set, remembers the version of each kept tensor so an in-place change made
before backward is caught, and stores one edge per input pointing at where that input's
gradient goes (its own `grad_fn`, or the leaf itself). Because backward is written with Tensor
ops, running it with grad mode on builds the graph of the gradient: higher-order gradients.
"""
from __future__ import annotations

import numpy as np

from .._dtype import BFLOAT16_NP
from ..backend.device import get_array_module, is_cuda_array
from . import grad_mode

_grad_enabled = grad_mode._grad_enabled
_ndarray = np.ndarray
_BF16 = BFLOAT16_NP  # None without ml_dtypes


class _Freed:
    """Stands in for saved tensors after backward freed them; touching it explains why."""

    __slots__ = ("op",)

    def __init__(self, op: str):
        self.op = op

    def _fail(self, *args):
        raise RuntimeError(
            f"Trying to backward through the graph a second time (or directly access saved tensors after they "
            f"have already been freed) in {self.op}. Saved intermediate values of the graph are freed when you "
            f"call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through "
            f"the graph a second time or if you need to access saved tensors after calling backward."
        )

    __getitem__ = __iter__ = __len__ = _fail


_FREED: dict = {}  # one stand-in per op class


class Function:
    """Base of every differentiable op. Subclasses define `forward(*arrays, **attrs)` and `backward(*grads)`.

    Class attributes a subclass may set:
      keep_inputs  -- backward reads `self.inputs` (the input Tensors); False frees them early.
      save_output  -- backward reads `self.output()` (the result, rebuilt without a reference cycle).
      is_view      -- the result shares memory with input 0, so it shares its version counter.
      bfloat16_native -- forward handles bfloat16 arrays itself; otherwise they arrive as float32
                      and float32 results are rounded back to bfloat16 (`_forward_bf16`).
    """

    keep_inputs = True
    save_output = False
    is_view = False
    bfloat16_native = False  # True: forward takes bfloat16 arrays as they are (views, kernels that handle it)
    once_differentiable = False
    _out_meta = None  # per output (shape, dtype, array type), set for multi-output nodes only

    # Set by apply() on recorded nodes: the graph structure.
    next_edges: tuple
    needs_input_grad: tuple

    @classmethod
    def apply(cls, *inputs, **attrs):
        if len(inputs) > 1:
            kind = type(inputs[0]._data)
            for t in inputs:
                if type(t._data) is not kind:
                    inputs = _same_device(cls.__name__, inputs)
                    break
        fn = cls.__new__(cls)
        record = _grad_enabled[0]
        if record:
            for t in inputs:
                if t._requires_grad:
                    break
            else:
                record = False
        if record:
            fn.needs_input_grad = tuple(t._requires_grad for t in inputs)
        arrays = [t._data for t in inputs]
        if _BF16 is not None and not (cls.bfloat16_native or cls.is_view) and _has_bf16(arrays):
            out = _forward_bf16(fn, arrays, attrs)
        else:
            out = fn.forward(*arrays, **attrs)
        if type(out) is tuple:
            return fn._wrap_outputs(out, inputs, record)
        if type(out) is not _ndarray:
            out = _as_array(out, inputs)
        result = Tensor.__new__(Tensor)
        result._data = out
        result.grad = None
        result._hooks = None
        result._retains_grad = False
        if cls.is_view:
            result._vc = inputs[0]._vc
            result._base = inputs[0] if inputs[0]._base is None else inputs[0]._base
        else:
            result._vc = [0]
            result._base = None
        if record and out.dtype.kind in "fV":  # "V": bfloat16 (ml_dtypes)
            fn._record(inputs)
            result._requires_grad = True
            result.grad_fn = fn
            result._output_nr = 0
            if cls.save_output:
                fn._saved_outputs = ((out, result._vc, result._vc[0]),)
        else:
            result._requires_grad = False
            result.grad_fn = None
            result._output_nr = 0
        return result

    def _record(self, inputs) -> None:
        """Store the edges (where each input's gradient flows) and the tensors backward needs."""
        self.next_edges = tuple(
            ((t.grad_fn, t._output_nr, t._data.dtype) if t.grad_fn is not None else (t, -1, t._data.dtype))
            if t._requires_grad else None
            for t in inputs
        )
        if self.keep_inputs:
            self.inputs = inputs
            self._input_versions = tuple(t._vc[0] for t in inputs)
        self._hooks = None

    def _wrap_outputs(self, outs, inputs, record):
        """Multi-output ops (split, max with indices, ...): one Tensor per array."""
        cls = type(self)
        results = []
        recorded = False
        for i, out in enumerate(outs):
            if type(out) is not _ndarray:
                out = _as_array(out, inputs)
            t = Tensor.__new__(Tensor)
            t._data, t.grad, t._hooks, t._retains_grad, t._output_nr = out, None, None, False, i
            if cls.is_view:
                t._vc = inputs[0]._vc
                t._base = inputs[0] if inputs[0]._base is None else inputs[0]._base
            else:
                t._vc, t._base = [0], None
            if record and out.dtype.kind in "fV":
                if not recorded:
                    self._record(inputs)
                    recorded = True
                t._requires_grad, t.grad_fn = True, self
            else:
                t._requires_grad, t.grad_fn = False, None
            results.append(t)
        if recorded:
            self._out_meta = tuple((t._data.shape, t._data.dtype, type(t._data)) if t.grad_fn is self else None for t in results)
            if cls.save_output:
                self._saved_outputs = tuple((t._data, t._vc, t._vc[0]) for t in results)
        return tuple(results)

    # -- used inside backward -------------------------------------------------------------------
    def output(self, i: int = 0) -> "Tensor":
        """The i-th result of forward as a Tensor attached to this node (for ops like exp, tanh)."""
        data, version, saved_at = self._saved_outputs[i]
        if version[0] != saved_at:
            raise _modified_error(type(self).__name__, data, version[0], saved_at, "output")
        t = Tensor.__new__(Tensor)
        t._data, t.grad, t._hooks, t._retains_grad, t._output_nr = data, None, None, False, i
        t._vc, t._base = version, None
        t._requires_grad = True
        t.grad_fn = self
        return t

    def _check_versions(self) -> None:
        inputs = self.inputs
        if type(inputs) is _Freed:
            return  # backward raises when it touches them
        for t, v in zip(inputs, self._input_versions):
            if t._vc[0] != v:
                raise _modified_error(type(self).__name__, t._data, t._vc[0], v, "input")

    def _release(self) -> None:
        cls = type(self)
        if cls.keep_inputs or cls.save_output:
            freed = _FREED.get(cls)
            if freed is None:
                freed = _FREED[cls] = _Freed(cls.__name__)
            if cls.keep_inputs:
                self.inputs = freed
            if cls.save_output:
                self._saved_outputs = freed

    def name(self) -> str:
        return type(self).__name__ + "Backward0"

    def __repr__(self) -> str:
        return f"<{self.name()} object>"

    def forward(self, *arrays, **attrs):
        raise NotImplementedError(f"{type(self).__name__} must define forward")

    def backward(self, *grads):
        raise NotImplementedError(f"{type(self).__name__} is not differentiable")

    # PyTorch's grad_fn surface: next_functions and hooks on the node.
    @property
    def next_functions(self) -> tuple:
        return tuple((None, 0) if e is None else ((e[0], e[1]) if e[1] >= 0 else (_AccumulateGrad(e[0]), 0))
                     for e in self.next_edges)


class _AccumulateGrad:
    """What `next_functions` shows for a leaf, as in PyTorch."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return "<AccumulateGrad object>"


def _modified_error(op: str, data, now: int, saved: int, what: str) -> RuntimeError:
    return RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"[{data.dtype} {list(data.shape)}], which is {what} of {op}, is at version {now}; expected version "
        f"{saved} instead. Hint: do the in-place change after backward, or clone() the tensor before it."
    )


def _same_device(op: str, inputs: tuple) -> tuple:
    """Inputs on one device, as PyTorch requires; a 0-d CPU tensor joins a CUDA one (as a CPU scalar does)."""
    cuda = next((t for t in inputs if is_cuda_array(t._data)), None)
    if cuda is None:  # several host array types (a NumPy scalar slipped in): nothing to move
        return inputs
    cuda = cuda.device
    moved = []
    for t in inputs:
        if not is_cuda_array(t._data):
            if t._data.ndim != 0:
                raise RuntimeError(device_mismatch(cuda, t.device, op))
            t = t.to(cuda)
        elif t.device != cuda:
            raise RuntimeError(device_mismatch(cuda, t.device, op))
        moved.append(t)
    return tuple(moved)


def check_same_device(op: str, *tensors) -> None:
    """RuntimeError in PyTorch's words unless the given tensors (None skipped) are all on one device.

    For tensors an op reads outside `Function.apply`'s inputs (targets, class weights, masks, indices).
    """
    first = None
    for t in tensors:
        if t is None:
            continue
        if first is None:
            first = t
        elif t.device != first.device:
            a, b = (first, t) if is_cuda_array(first._data) else (t, first)
            raise RuntimeError(device_mismatch(a.device, b.device, op))


def device_mismatch(a, b, op: str) -> str:
    """PyTorch's message for tensors of one op on two devices."""
    return (f"Expected all tensors to be on the same device, but found at least two devices, {a} and {b}! "
            f"(in {op})")


def _has_bf16(arrays) -> bool:
    for a in arrays:
        if a.dtype is _BF16:
            return True
    return False


def _forward_bf16(fn, arrays, attrs):
    """bfloat16 is storage only: forward runs on float32 copies and float32 results are rounded back.

    As PyTorch's CPU kernels compute bfloat16 in float32 ("opmath"), sums and products accumulate in
    float32. Results stay float32 when an input was float32 or float64 (mixed inputs already promoted).
    """
    wide = False
    upcast = []
    for a in arrays:
        if a.dtype is _BF16:
            a = a.astype(np.float32)
        elif a.dtype.kind in "fV" and a.dtype.itemsize >= 4:
            wide = True
        upcast.append(a)
    out = fn.forward(*upcast, **attrs)
    if wide:
        return out
    if type(out) is tuple:
        return tuple(_round_bf16(o) for o in out)
    return _round_bf16(out)


def _round_bf16(out):
    dtype = getattr(out, "dtype", None)
    if dtype is not None and dtype == np.float32:
        return out.astype(_BF16)
    return out


def _as_array(out, inputs):
    """NumPy ufuncs return scalars for 0-d inputs; a Tensor always holds an array (on its inputs' device)."""
    if is_cuda_array(out):
        return out
    if not inputs:
        return np.asarray(out)
    return get_array_module(*[t._data for t in inputs]).asarray(out)


from ..tensor import Tensor  # noqa: E402  - Tensor imports this module's Function lazily
