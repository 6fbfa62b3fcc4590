"""A stand-in CUDA device for machines without a GPU: NumPy underneath, CuPy's rules on top.

    from tensorlite.testing.fake_cuda import fake_cuda

    with fake_cuda():
        x = tl.randn(3, device="cuda")      # x._data is a FakeCudaArray, x.device == "cuda:0"
        (x * 2).sum().backward()

While the context is active, `tensorlite.backend.device` (the one hook every `get_array_module`,
`kernels._xp._xp` and `device_of` call goes through) treats `FakeCudaArray` as the CUDA array
type and hands out `FakeCupy`, a namespace shaped like the subset of `cupy` tensorlite uses,
whose functions run NumPy on the unwrapped data and wrap the results again.

What makes it useful is where it is *as strict as CuPy* (each rule is CuPy's own behaviour):

  * `FakeCudaArray` is not an `np.ndarray`: `np.asarray(x)`, `np.array(x)`, `float(np.sum(...))`
    on a host path, ... raise TypeError ("Implicit conversion to a NumPy array is not allowed"),
    and `isinstance(x, np.ndarray)` is False, so NumPy-only code paths are not taken silently;
  * a NumPy array (even 0-d) in a ufunc or in a `cupy.*` function next to device arrays raises
    TypeError ("Unsupported type"): CuPy accepts only its arrays, Python and NumPy scalars;
    host data must be moved with `xp.asarray` (indices may be host arrays, as in CuPy);
  * NumPy functions reached through `__array_function__`, ufuncs, array methods and `cupy.*`
    names exist only if real CuPy has them (checked against the installed `cupy` namespace when
    it imports; without CuPy installed every NumPy name is accepted);
  * ufuncs take only CuPy's keywords (`out`, `dtype`, `casting`; no `where=`), `ufunc.at` and
    `cupyx.scatter_*` only CuPy's dtypes (no int64 scatter_add), dtypes only CuPy's (no object,
    string or long double arrays); reductions and scalar indexing give 0-d arrays, not scalars;
  * array attributes are CuPy's: `.get()`, `.device.id`, `.data.ptr`, `.flags` without
    `writeable`; no `__array_interface__`.

Known blind spots (documented in tests/test_cuda_backend.py too): it cannot see host/device
synchronisation cost, streams, multiple devices (every array is on device 0), CuPy's
wrap-around of out-of-bounds advanced indices (NumPy raises instead), numerical differences of
CUDA kernels, or float16 support gaps of individual CuPy kernels.
"""
from __future__ import annotations

import contextlib
import importlib
import types
from typing import Any

import numpy as np

from ._fake_cuda_array import (  # noqa: F401 - the array half; re-exported
    _stable_kind,
    FakeCudaArray,
    _Device,
    _FakeCapsule,
    _Runtime,
    _Stream,
    _Strict,
    _UFUNC_KWARGS,
    _apply_ufunc,
    _check_dtype,
    _check_keywords,
    _cupy_has,
)

__all__ = ["FakeCudaArray", "FakeCuda", "fake_cuda"]


class _FakeUfunc:
    """`cupy.<ufunc>`: call, reduce, accumulate, outer and at on device arrays only."""

    def __init__(self, uf: np.ufunc):
        self._uf = uf
        self.__name__ = uf.__name__

    def __call__(self, *args, **kwargs):
        return _apply_ufunc(self._uf, "__call__", args, kwargs)

    def __getattr__(self, name: str) -> Any:
        if name in _UFUNC_KWARGS:
            return lambda *args, **kwargs: _apply_ufunc(self._uf, name, args, kwargs)
        return getattr(self._uf, name)  # nin, nout, nargs, identity

    def __repr__(self) -> str:
        return f"<fake cupy ufunc '{self.__name__}'>"


def _function(func, path: str):
    module, _, name = path.rpartition(".")

    def call(*args, **kwargs):
        _check_keywords(module, name, kwargs)
        kwargs = _stable_kind(name, kwargs)
        s = _Strict(path)
        with np.errstate(all="ignore"):
            return s.wrap(func(*s.arg(args), **{k: s.arg(v) for k, v in kwargs.items()}))

    call.__name__ = getattr(func, "__name__", path)
    call.__doc__ = f"{path}: NumPy's {call.__name__} on the fake CUDA device."
    return call


class _Namespace:
    """A CuPy-shaped namespace over a NumPy module: names CuPy lacks raise AttributeError."""

    def __init__(self, np_module: Any, path: str, **overrides: Any):
        self.__dict__.update(overrides)
        self._np, self._path = np_module, path
        self.__name__ = path

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or not _cupy_has(self._path, name):
            raise AttributeError(f"module '{self._path}' has no attribute '{name}' (fake CUDA backend mirrors CuPy)")
        try:
            obj = getattr(self._np, name)
        except AttributeError:
            raise AttributeError(f"'{self._path}.{name}' exists in CuPy but the fake CUDA backend does not emulate "
                                 f"it (NumPy has no {name})") from None
        if isinstance(obj, np.ufunc):
            w: Any = _FakeUfunc(obj)
        elif isinstance(obj, types.ModuleType):
            w = _Namespace(obj, f"{self._path}.{name}")
        elif isinstance(obj, type) or not callable(obj):
            w = obj  # dtypes (cupy.float32 is numpy.float32), constants, finfo, ...
        else:
            w = _function(obj, f"{self._path}.{name}")
        self.__dict__[name] = w
        return w

    def __repr__(self) -> str:
        return f"<fake module '{self._path}' (NumPy-backed, tensorlite.testing.fake_cuda)>"


def _host_data(x: Any) -> Any:
    """Data for a host -> device copy: nested lists may hold device arrays (CuPy stacks them)."""
    if type(x) is FakeCudaArray:
        return x._a
    if type(x) in (list, tuple):
        return [_host_data(v) for v in x]
    return x


def asarray(a: Any, dtype=None, order=None, *, blocking: bool = False) -> FakeCudaArray:
    """`cupy.asarray`: device arrays pass through (cast if asked); anything else is copied to the device."""
    if type(a) is FakeCudaArray:
        if dtype is None or np.dtype(dtype) == a.dtype:
            return a
        return FakeCudaArray._new(a._a.astype(dtype))
    return array(a, dtype=dtype, order=order)


def array(obj: Any, dtype=None, copy: bool = True, order="K", subok: bool = False, ndmin: int = 0,
          *, blocking: bool = False) -> FakeCudaArray:
    if hasattr(obj, "__cuda_array_interface__") and type(obj) is not FakeCudaArray:
        raise TypeError("fake CUDA backend: cannot import real CUDA memory")
    """`cupy.array`: a new device array holding a copy of host data (or of another device array)."""
    a = np.array(_host_data(obj), dtype=dtype, copy=True, order=order, ndmin=ndmin)
    _check_dtype(a.dtype)
    return FakeCudaArray._new(a)


def asnumpy(a: Any, stream=None, order="C", out=None, blocking: bool = True) -> np.ndarray:
    if type(a) is FakeCudaArray:
        return a.get(order=order, out=out)
    return np.asarray(a, order=order)


def from_dlpack(x: Any) -> FakeCudaArray:
    """`cupy.from_dlpack`: shares memory with a producer on the (fake) device."""
    capsule = x.__dlpack__() if hasattr(x, "__dlpack__") else x
    if type(capsule) is _FakeCapsule:
        return capsule.array
    raise TypeError(f"fake cupy.from_dlpack: only fake CUDA arrays can be imported, got {type(x).__name__}")


class FakeCuda:
    """The stand-in backend: `ndarray`, `cupy` and `cupyx` as `tensorlite.backend.device` expects them.

    Use it as a context manager (`with fake_cuda():`); on entry it also forces the kernels'
    "reference" implementation (`tensorlite.kernels.use`), since "native" serves only the CPU
    and "triton" cannot run on arrays that only pretend to live on a GPU.
    """

    ndarray = FakeCudaArray

    def __init__(self, device_count: int = 1, reference_kernels: bool = True):
        self.device_count = device_count
        self.reference_kernels = reference_kernels
        cuda = types.SimpleNamespace(Device=_Device, runtime=_Runtime, is_available=lambda: True,
                                     get_current_stream=lambda: _Stream(), Stream=_Stream,
                                     CUDARuntimeError=_Runtime.CUDARuntimeError)
        self.cupy = _Namespace(np, "cupy", ndarray=FakeCudaArray, asarray=asarray, array=array,
                               asanyarray=asarray, asnumpy=asnumpy, from_dlpack=from_dlpack, cuda=cuda,
                               is_available=lambda: True,
                               get_array_module=lambda *args: self.cupy if any(
                                   type(a) is FakeCudaArray for a in args) else np,
                               random=_Namespace(np.random, "cupy.random"))
        self.cupy.__name__ = "cupy"
        self.cupyx = types.SimpleNamespace(__name__="cupyx", scatter_add=_scatter("add"),
                                           scatter_max=_scatter("maximum"), scatter_min=_scatter("minimum"),
                                           errstate=_errstate)
        self._saved: list = []

    def __enter__(self) -> "FakeCuda":
        from .. import kernels  # noqa: PLC0415

        _backend = _backend_module()

        use = kernels.use("reference") if self.reference_kernels else contextlib.nullcontext()
        use.__enter__()
        self._saved.append((_backend._fake, _Device.count, use))
        _backend._fake = self
        _Device.count = self.device_count
        return self

    def __exit__(self, *exc) -> None:
        _backend = _backend_module()
        prev, count, use = self._saved.pop()
        _backend._fake = prev
        _Device.count = count
        use.__exit__(*exc)


def _backend_module():
    # `tensorlite.backend.device` the module (the package re-exports a class of the same name)
    return importlib.import_module("tensorlite.backend.device")


def _scatter(ufunc_name: str):
    uf = getattr(np, ufunc_name)

    def scatter(a: FakeCudaArray, slices: Any, value: Any) -> None:
        """`cupyx.scatter_*(a, slices, value)`: `a[slices] (op)= value` with repeated indices combining."""
        _apply_ufunc(uf, "at", (a, slices, value), {})

    scatter.__name__ = f"scatter_{ufunc_name.replace('imum', '')}"
    return scatter


def _errstate(*, linalg=None):
    """`cupyx.errstate(linalg="raise")`: CuPy's linalg then raises LinAlgError, as NumPy's always does."""
    if linalg not in (None, "ignore", "raise"):
        raise ValueError(f"cupyx.errstate: linalg must be 'ignore' or 'raise', got {linalg!r}")
    return contextlib.nullcontext()


def fake_cuda(device_count: int = 1, reference_kernels: bool = True) -> FakeCuda:
    """A context manager making device "cuda" available, backed by NumPy with CuPy's strictness."""
    return FakeCuda(device_count, reference_kernels)
