"""Tensor: an array of the device's array library, plus what reverse-mode autodiff needs.

A Tensor holds
  _data          the NumPy (or CuPy) array; views, strides and broadcasting are its job
  requires_grad  whether gradients should flow to it
  grad           the accumulated gradient (a Tensor) after backward, for leaves
  grad_fn        the Function node that produced it (None for leaves: tensors made by the user)
  _output_nr     which output of grad_fn it is
  _vc            the version counter, a one-element list shared with its views; in-place ops bump it
                 so backward can detect a saved tensor that changed underneath it

Arithmetic operators and the op methods (`x.exp()`, `x.sum(dim)`, ...) are defined in
`tensorlite/ops/` and attached to this class by `tensorlite/ops/__init__.py`; this file holds
what every tensor is, not what can be computed with it.
"""
from __future__ import annotations

import sys
import weakref
from typing import Any, Callable

import numpy as np

from . import _dtype as dt
from .autograd import grad_mode
from .backend.device import CPU, device as Device, is_cuda_array

_grad_enabled = grad_mode._grad_enabled
_ndarray = np.ndarray


class Tensor:
    __slots__ = ("_data", "_requires_grad", "grad", "grad_fn", "_output_nr", "_vc", "_base",
                 "_hooks", "_retains_grad", "__weakref__", "__dict__")
    # NumPy scalars defer to our reflected operators (np.float64(2) * t is a Tensor, not an ndarray).
    __array_priority__ = 1000

    # -- construction ----------------------------------------------------------------------------
    def __init__(self, data: Any = (), *sizes: int, requires_grad: bool = False):
        """`tl.Tensor(data)` or `tl.Tensor(*sizes)` as in PyTorch: the default float dtype. Prefer `tl.tensor(...)`."""
        if isinstance(data, Tensor):
            arr = data._data
        elif sizes or isinstance(data, (int, np.integer)) and not isinstance(data, bool):
            # Tensor(2, 3): a new tensor of that shape (PyTorch leaves it uninitialized; zeros here)
            arr = np.zeros(tuple(int(n) for n in (data,) + sizes), dtype=dt.get_default_dtype().np)
        else:
            arr = np.array(data, dtype=dt.get_default_dtype().np)
        _init(self, arr, requires_grad)

    @classmethod
    def _wrap(cls, array, requires_grad: bool = False) -> "Tensor":
        """Fast internal constructor around an existing array (no copy, no checks)."""
        t = cls.__new__(cls)
        t._data = array
        t._requires_grad = requires_grad
        t.grad = t.grad_fn = t._base = t._hooks = None
        t._output_nr = 0
        t._vc = [0]
        t._retains_grad = False
        return t

    # -- basic attributes ------------------------------------------------------------------------
    @property
    def data(self) -> "Tensor":
        """The same values, detached from the graph (PyTorch's `.data`). The raw array is `._data`."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value: "Tensor") -> None:
        arr = value._data if isinstance(value, Tensor) else np.asarray(value)
        self._data = arr

    @property
    def shape(self) -> "Size":
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    @property
    def dtype(self) -> dt.dtype:
        return dt.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> Device:
        data = self._data
        if type(data) is _ndarray or not is_cuda_array(data):
            return CPU
        return Device("cuda", int(data.device.id))

    @property
    def is_cuda(self) -> bool:
        return type(self._data) is not _ndarray and is_cuda_array(self._data)

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind in "fV"

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def stride(self, dim: int | None = None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim, "stride")]

    def storage_offset(self) -> int:
        """How many elements into its memory block this tensor's first element lies (nonzero for some views)."""
        data = self._data
        root = data
        while getattr(root, "base", None) is not None:
            root = root.base
        if type(data) is _ndarray:
            if type(root) is not _ndarray:  # memory from elsewhere (a buffer, DLPack): no offset to measure
                return 0
            start = root.__array_interface__["data"][0]
            return (data.__array_interface__["data"][0] - start) // data.itemsize
        return (int(data.data.ptr) - int(root.data.ptr)) // data.itemsize

    def is_signed(self) -> bool:
        return self._data.dtype.kind in "ifV"

    def is_complex(self) -> bool:
        return False  # tensorlite has no complex dtypes

    def is_nonzero(self) -> bool:
        return self.__bool__()

    def data_ptr(self) -> int:
        if type(self._data) is _ndarray:
            return self._data.__array_interface__["data"][0]
        return int(self._data.data.ptr)

    @property
    def _version(self) -> int:
        return self._vc[0]

    # -- autograd attributes ---------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                    "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
            return self
        if requires_grad and self._data.dtype.kind not in "fV":
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients, got {self.dtype}")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def retain_grad(self) -> None:
        """Keep `.grad` for this non-leaf tensor after backward (leaves always keep theirs)."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        node = self.grad_fn
        _node_hooks(node).setdefault(self._output_nr, []).append("retain_grad")
        if not hasattr(node, "_retained"):
            node._retained = {}
        node._retained[self._output_nr] = weakref.ref(self)
        self._retains_grad = True

    def register_hook(self, hook: Callable[["Tensor"], "Tensor | None"]) -> "RemovableHandle":
        """Call `hook(grad)` when this tensor's gradient is computed; a returned Tensor replaces it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = {}
            handle = RemovableHandle(self._hooks)
            self._hooks[handle.id] = hook
            return handle
        hooks = _node_hooks(self.grad_fn).setdefault(self._output_nr, [])
        hooks.insert(len([h for h in hooks if h != "retain_grad"]), hook)
        return RemovableHandle(hooks, hook)

    def backward(self, gradient: "Tensor | None" = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (weighted by `gradient`)."""
        from .autograd import api  # (a module attribute lookup after the first call: cheap)

        api.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> "Tensor":
        """The same data (shared, not copied) with no history."""
        t = Tensor._wrap(self._data)
        t._vc = self._vc
        return t

    def detach_(self) -> "Tensor":
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._requires_grad = False
        return self

    # -- conversion --------------------------------------------------------------------------------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._host().tolist()

    def numpy(self, force: bool = False) -> np.ndarray:
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if type(self._data) is not _ndarray:
            if not force:
                raise TypeError(f"can't convert {self.device} device type tensor to numpy. "
                                f"Use Tensor.cpu() to copy the tensor to host memory first.")
            return self._data.get()
        return self._data

    def _host(self) -> np.ndarray:
        return self._data if type(self._data) is _ndarray else self._data.get()

    def __array__(self, dtype=None, copy=None):
        if type(self._data) is not _ndarray:  # as PyTorch: no implicit device -> host copy
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. "
                            f"Use Tensor.cpu() to copy the tensor to host memory first.")
        arr = self._data
        return arr if dtype is None else arr.astype(dtype, copy=False)

    def __dlpack__(self, stream=None, **kwargs):
        if self._data.dtype.name == "bfloat16" and type(self._data) is np.ndarray:
            raise BufferError("__dlpack__: NumPy's DLPack cannot export bfloat16 (an ml_dtypes type); export "
                              "t.view(tl.int16) and view the result as bfloat16 on the other side")
        return self._data.__dlpack__(**({"stream": stream} if stream is not None else {}), **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {'no values' if self._data.size == 0 else 'more than one value'} is ambiguous")
        return bool(self._data.reshape(()))

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def _scalar(self):
        """The one element, for int()/float(): ValueError for other sizes, as Python (and PyTorch) do."""
        if self._data.size != 1:
            raise ValueError(f"only one element tensors can be converted to Python scalars (got {self._data.size} "
                             f"elements, shape {list(self._data.shape)})")
        return self._data.reshape(()).item()

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __hash__(self) -> int:
        return id(self)

    def __reduce_ex__(self, protocol):
        raise TypeError("tensorlite tensors are not picklable by design: use tl.save (safetensors) instead")

    def __deepcopy__(self, memo) -> "Tensor":
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol")
        t = Tensor._wrap(self._data.copy(), self._requires_grad)
        if self.grad is not None:
            t.grad = Tensor._wrap(self.grad._data.copy())
        memo[id(self)] = t
        return t

    def __repr__(self) -> str:
        from ._printing import tensor_repr

        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:  # as PyTorch: a 0-d tensor formats as its value (f"{t}" == "2")
            return format(self.item(), spec)
        return object.__format__(self, spec) if spec else repr(self)

    # -- device and dtype --------------------------------------------------------------------------
    def to(self, *args, **kwargs) -> "Tensor":
        """`to(dtype)`, `to(device)`, `to(device, dtype)`, `to(other)`; differentiable; self if nothing changes."""
        from .ops.convert import to

        return to(self, *args, **kwargs)

    def cpu(self) -> "Tensor":
        return self.to("cpu")

    def cuda(self, device: int | str | None = None) -> "Tensor":
        return self.to("cuda" if device is None else (f"cuda:{device}" if isinstance(device, int) else device))

    def type(self, dtype=None):
        if dtype is None:
            return f"tensorlite.{_TYPE_NAMES.get(self.dtype.name, self.dtype.name)}"
        return self.to(dt.to_dtype(dtype))

    def type_as(self, other: "Tensor") -> "Tensor":
        return self.to(other.dtype)

    def float(self) -> "Tensor":
        return self.to(dt.float32)

    def double(self) -> "Tensor":
        return self.to(dt.float64)

    def half(self) -> "Tensor":
        return self.to(dt.float16)

    def bfloat16(self) -> "Tensor":
        """self as bfloat16 (needs ml_dtypes, the `bf16` extra)."""
        return self.to(dt.to_dtype("bfloat16"))

    def int(self) -> "Tensor":
        return self.to(dt.int32)

    def long(self) -> "Tensor":
        return self.to(dt.int64)

    def short(self) -> "Tensor":
        return self.to(dt.int16)

    def char(self) -> "Tensor":
        return self.to(dt.int8)

    def byte(self) -> "Tensor":
        return self.to(dt.uint8)

    def bool(self) -> "Tensor":
        return self.to(dt.bool)

    # -- new tensors like this one ---------------------------------------------------------------
    def new_tensor(self, data, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        from .creation import tensor

        return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        from .creation import zeros

        return zeros(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        from .creation import ones

        return ones(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        from .creation import full

        return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        from .creation import empty

        return empty(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    # -- in-place ops ------------------------------------------------------------------------------
    def _inplace(self, op: str, compute: Callable[..., "Tensor"], *args, **kwargs) -> "Tensor":
        """Make an in-place op from an out-of-place one, with PyTorch's autograd semantics.

        `compute(old_self, *args)` runs out of place; its result is written into this tensor's
        buffer (so views see it), the version counter is bumped, and if a graph was recorded this
        tensor takes the result's place in it ("rebasing its history").
        """
        data = self._data
        if (not data.flags.writeable) if type(data) is _ndarray else data.size > 1 and any(
                s == 0 and n > 1 for s, n in zip(data.strides, data.shape)):
            # NumPy marks broadcast views (expand) read-only; CuPy has no such flag, so a zero stride tells.
            # PyTorch's error, not NumPy's ValueError.
            raise RuntimeError(f"{op}: unsupported operation: more than one element of the written-to tensor refers "
                               f"to a single memory location (an expanded view), or its memory is read-only. Please "
                               f"clone() the tensor before performing the operation.")
        record = _grad_enabled[0] and (self._requires_grad or any(
            isinstance(a, Tensor) and a._requires_grad for a in args))
        if record:
            if self.grad_fn is None and self._requires_grad:
                raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an in-place operation.")
            if self._base is not None and self._base.grad_fn is None and self._base._requires_grad:
                raise RuntimeError(f"{op}: a view of a leaf Variable that requires grad is being used in an in-place "
                                   f"operation.")
            # `old` stands for this tensor's value before the write, at its old place in the graph.
            old = Tensor._wrap(self._data, self._requires_grad)
            old.grad_fn, old._output_nr = self.grad_fn, self._output_nr
        else:
            old = self
        with grad_mode.set_grad_enabled(record):
            result = compute(old, *args, **kwargs)
        if record and sys.getrefcount(old) > 2:
            # The graph kept `old` for backward (mul_ needs the old value; relu_ does not): give it
            # a private copy, since this buffer is about to be overwritten.
            old._data = old._data.copy()
        res = result._data
        if res.dtype != self._data.dtype and not _can_cast_inplace(res.dtype, self._data.dtype):
            src, dst = dt.from_numpy_dtype(res.dtype).name, self.dtype.name
            raise RuntimeError(f"{op}: result type {_SCALAR_TYPE.get(src, src)} can't be cast to the desired "
                               f"output type {_SCALAR_TYPE.get(dst, dst)}")
        if res.shape != self._data.shape:
            raise RuntimeError(f"{op}: output with shape {list(self._data.shape)} doesn't match the broadcast "
                               f"shape {list(res.shape)}")
        if res is not self._data:
            self._data[...] = res
        self._vc[0] += 1
        if record and self._base is not None:  # a view: the write changes its base's history too
            from .autograd.view_inplace import rebase_view

            rebase_view(self, result)
        elif record and result._requires_grad:
            self.grad_fn, self._output_nr, self._requires_grad = result.grad_fn, result._output_nr, True
            saved = getattr(result.grad_fn, "_saved_outputs", None)
            if type(saved) is tuple and saved[result._output_nr][0] is res:
                # The op saved its output (exp_, tanh_, ...), which now lives in this tensor: save this buffer
                # and version instead, so a later in-place change to it is caught at backward, as in PyTorch.
                i = result._output_nr
                result.grad_fn._saved_outputs = saved[:i] + ((self._data, self._vc, self._vc[0]),) + saved[i + 1:]
        elif record and self._requires_grad:
            # New values that don't depend on anything differentiable (fill_, eq_, ...): as in PyTorch the
            # tensor still requires grad and its old history gets gradient 0 (not the stale gradient of before).
            from .ops.convert import Overwritten

            node = Overwritten.apply(old, values=self._data)
            self.grad_fn, self._output_nr = node.grad_fn, 0
        return self

    def zero_(self) -> "Tensor":
        return self.fill_(0)

    def fill_(self, value) -> "Tensor":
        from .ops.convert import full_like_value

        return self._inplace("fill_", full_like_value, value)

    def copy_(self, src: "Tensor", non_blocking: bool = False) -> "Tensor":
        from .ops.convert import copy_from

        return self._inplace("copy_", copy_from, src)


def _can_cast_inplace(src: np.dtype, dst: np.dtype) -> bool:
    """PyTorch lets an in-place result go down in size but not across categories (float into int)."""
    order = {"b": 0, "u": 1, "i": 1, "f": 2}
    return order[src.kind] <= order[dst.kind]


def _init(t: Tensor, arr, requires_grad: bool) -> None:
    t._data = arr
    t._requires_grad = False
    t.grad = t.grad_fn = t._base = t._hooks = None
    t._output_nr = 0
    t._vc = [0]
    t._retains_grad = False
    if requires_grad:
        t.requires_grad_(True)


def _node_hooks(node) -> dict:
    if node._hooks is None:
        node._hooks = {}
    return node._hooks


def _wrap_dim(dim: int, ndim: int, op: str) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


# PyTorch's names for dtypes in its messages ("result type Float can't be cast to ... Long")
_SCALAR_TYPE = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int64": "Long",
                "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}

_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor", "int64": "LongTensor",
               "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
               "bool": "BoolTensor", "bfloat16": "BFloat16Tensor"}


class Size(tuple):
    """`tensor.shape`: a tuple that prints like PyTorch's torch.Size."""

    def __repr__(self) -> str:
        return f"tensorlite.Size([{', '.join(str(s) for s in self)}])"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    # Slices and concatenations stay Sizes, as torch.Size's do (batch_shape + event_shape is a Size).
    def __getitem__(self, key):
        item = tuple.__getitem__(self, key)
        return Size(item) if isinstance(key, slice) else item

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other))) if isinstance(other, tuple) else NotImplemented

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self)) if isinstance(other, tuple) else NotImplemented


class RemovableHandle:
    """Returned by `register_hook`; `.remove()` unregisters the hook."""

    _next_id = 0

    def __init__(self, container, item=None):
        RemovableHandle._next_id += 1
        self.id = RemovableHandle._next_id
        self._container, self._item = container, item

    def remove(self) -> None:
        if isinstance(self._container, dict):
            self._container.pop(self.id, None)
        elif self._item in self._container:
            self._container.remove(self._item)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class Parameter(Tensor):
    """A Tensor that is a module parameter: a leaf that requires grad by default."""

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True):
        from .creation import empty

        if data is None:
            data = empty(0)
        arr = data._data if isinstance(data, Tensor) else np.asarray(data)
        _init(self, arr, requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo) -> "Parameter":
        p = Parameter(Tensor._wrap(self._data.copy()), self._requires_grad)
        memo[id(self)] = p
        return p
