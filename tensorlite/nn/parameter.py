"""`Parameter` and `Buffer`, as `torch.nn.parameter`.

`Buffer(t)` marks a tensor so that assigning it to a module attribute registers a buffer
(`m.stats = nn.Buffer(zeros(3))` is `m.register_buffer("stats", zeros(3))`). As in PyTorch it
is not a class of its own: the result is a detached tensor flagged `_is_buffer`, and
`isinstance(t, Buffer)` checks that flag.
"""
from __future__ import annotations

from ..tensor import Parameter, Tensor

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "is_lazy"]


class _BufferMeta(type):
    def __instancecheck__(cls, instance) -> bool:
        return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    """A tensor that registers as a module buffer when assigned (persistent: saved in state_dict)."""

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Tensor:
        if data is None:
            from ..creation import empty

            data = empty(0)
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t


class UninitializedTensorMixin:
    """A placeholder without a shape yet (lazy modules); `materialize(shape)` turns it into a real tensor."""

    cls_to_become: type = Tensor

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Allocate (uninitialised) storage of `shape` in place; the object becomes a cls_to_become."""
        from ..creation import empty

        device = self.device if device is None else device
        dtype = self.dtype if dtype is None else dtype
        self._data = empty(tuple(shape), device=device, dtype=dtype)._data
        self._vc[0] += 1
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. This error usually happens "
                           "in `load_state_dict` when trying to load an uninitialized parameter into an initialized "
                           "one. Call `forward` to initialize the parameters before accessing their attributes.")

    def size(self, dim=None):
        return self.shape

    def numel(self) -> int:
        return self.shape

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __deepcopy__(self, memo):
        new = type(self)(self.requires_grad, self.device, self.dtype)
        memo[id(self)] = new
        return new


def is_lazy(param) -> bool:
    """Whether param is an uninitialised parameter or buffer of a lazy module."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """The parameter of a lazy module before its first forward (which gives it a shape)."""

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        from ..creation import empty

        super().__init__(empty(0, device=device, dtype=dtype), requires_grad)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """The buffer of a lazy module before its first forward (which gives it a shape)."""

    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device=None, dtype=None, persistent: bool = True) -> None:
        from ..creation import empty

        super().__init__(empty(0, device=device, dtype=dtype), requires_grad)
        self.persistent = persistent
