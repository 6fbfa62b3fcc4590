"""The array half of the stand-in CUDA device (tensorlite.testing.fake_cuda): `FakeCudaArray`, a NumPy
array behind CuPy's rules (no implicit host conversion, no host arrays mixed into device ufuncs, only
CuPy's names, keywords and dtypes), its ufunc plumbing and its CuPy-shaped attributes."""
from __future__ import annotations

import contextlib
import functools
import inspect
from typing import Any, Iterator

import numpy as np


_SCALARS = (bool, int, float, complex, np.generic)
_UFUNC_KWARGS = {"__call__": {"out", "dtype", "casting"}, "reduce": {"axis", "dtype", "out", "keepdims"},
                 "accumulate": {"axis", "dtype", "out"}, "reduceat": {"axis", "dtype", "out"}, "outer": set(),
                 "at": set()}
# dtypes CuPy's scatter kernels (ufunc.at, cupyx.scatter_*) accept
_AT_DTYPES = {"add": {"int32", "float16", "float32", "float64", "uint32", "uint64"},
              "subtract": {"int32", "uint32"},
              "maximum": {"int32", "float32", "float64", "uint32", "uint64"},
              "minimum": {"int32", "float32", "float64", "uint32", "uint64"}}


@functools.lru_cache(maxsize=None)
def _real(path: str) -> Any:
    """The real CuPy object at `path` ("cupy", "cupy.linalg", "cupy.ndarray"), False if absent, None if
    CuPy does not import (then every name is accepted). Importing CuPy needs no GPU."""
    try:
        import cupy  # noqa: PLC0415
    except Exception:  # noqa: BLE001 - not installed or broken: no namespace to check against
        return None
    obj: Any = cupy
    for part in path.split(".")[1:]:
        obj = getattr(obj, part, False)
        if obj is False:
            return False
    return obj


def _cupy_has(path: str, name: str) -> bool:
    mod = _real(path)
    return mod is None or (mod is not False and hasattr(mod, name))


@functools.lru_cache(maxsize=None)
def _keywords(path: str, name: str) -> frozenset | None:
    """The keyword arguments the real `path.name` takes, or None if unknown (no CuPy, a Cython function, **kw)."""
    mod = _real(path)
    func = getattr(mod, name, None) if mod else None
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return frozenset(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


def _check_keywords(path: str, name: str, kwargs: dict) -> None:
    known = _keywords(path, name)
    if known is not None and not set(kwargs) <= known:
        raise TypeError(f"{path}.{name}() got unexpected keyword arguments {sorted(set(kwargs) - known)} (CuPy's "
                        f"{name} takes {sorted(known)})")


def _unsupported(x: Any, where: str) -> TypeError:
    return TypeError(f"Unsupported type {type(x)} in {where}: CuPy (here the fake CUDA backend) does not mix host "
                     f"arrays with device arrays; move it with xp.asarray(...) first")


def _check_dtype(dtype: np.dtype) -> None:
    if dtype.kind not in "biufcV" or dtype in (np.longdouble, np.clongdouble) and dtype.itemsize > 8:
        raise TypeError(f"Unsupported dtype {dtype} (CuPy arrays hold bool, integer, float and complex numbers)")


class _Strict:
    """Unwraps arguments for a NumPy call, remembering the wrappers so results that are an input come back as it."""

    __slots__ = ("where", "aliases")

    def __init__(self, where: str):
        self.where, self.aliases = where, {}

    def arg(self, x: Any) -> Any:
        """A ufunc/function operand: device arrays, scalars, nested lists/tuples of them; host arrays rejected."""
        t = type(x)
        if t is FakeCudaArray:
            self.aliases[id(x._a)] = x
            return x._a
        if isinstance(x, np.ndarray):
            raise _unsupported(x, self.where)
        if t is list or t is tuple:
            return t(self.arg(v) for v in x)
        return x

    def index(self, x: Any) -> Any:
        """An index (CuPy converts host index arrays and lists itself)."""
        t = type(x)
        if t is FakeCudaArray:
            return x._a
        if t is tuple:
            return tuple(self.index(v) for v in x)
        return x

    def wrap(self, r: Any) -> Any:
        if isinstance(r, np.ndarray):
            hit = self.aliases.get(id(r))
            if hit is not None and hit._a is r:
                return hit
            _check_dtype(r.dtype)
            if not r.flags.writeable:  # NumPy's read-only views (diagonal, broadcast_to): CuPy's are writable
                with contextlib.suppress(ValueError):
                    r.setflags(write=True)
            return FakeCudaArray._new(r)
        if isinstance(r, np.generic):  # CuPy's reductions and scalar indexing return 0-d device arrays
            _check_dtype(r.dtype)
            return FakeCudaArray._new(np.asarray(r))
        if type(r) is tuple or type(r) is list:
            return type(r)(self.wrap(v) for v in r)
        if isinstance(r, tuple) and hasattr(r, "_fields"):  # SVDResult, SlogdetResult, ...
            return type(r)(*(self.wrap(v) for v in r))
        return r


def _apply_ufunc(uf: np.ufunc, method: str, args: tuple, kwargs: dict) -> Any:
    name = uf.__name__
    where = f"cupy.{name}" + ("" if method == "__call__" else f".{method}")
    if not _cupy_has("cupy", name):
        raise TypeError(f"{where}: CuPy has no ufunc {name!r}")
    extra = set(kwargs) - _UFUNC_KWARGS.get(method, set())
    if extra:
        raise TypeError(f"{where}: Wrong arguments {sorted(extra)} (CuPy's ufuncs take {sorted(_UFUNC_KWARGS[method])})")
    s = _Strict(where)
    if method == "at":
        a = args[0]
        if type(a) is not FakeCudaArray:
            raise TypeError(f"{where}: the operand must be a cupy.ndarray, got {type(a).__name__}")
        allowed = _AT_DTYPES.get(name)
        if allowed is None:
            raise TypeError(f"{where}: CuPy supports ufunc.at only for {sorted(_AT_DTYPES)}")
        if a.dtype.name not in allowed:
            raise TypeError(f"{where} only supports {', '.join(sorted(allowed))} as data type, got {a.dtype}")
        rest = [s.index(v) if not isinstance(v, FakeCudaArray) else v._a for v in args[1:]]
        with np.errstate(all="ignore"):
            getattr(uf, "at")(a._a, *rest)
        return None
    inner = [s.arg(a) if not isinstance(a, _SCALARS) else a for a in args]
    for a, orig in zip(inner, args):
        if not isinstance(orig, (FakeCudaArray,) + _SCALARS):
            raise _unsupported(orig, where)
    out = kwargs.get("out")
    if out is not None:
        outs = out if type(out) is tuple else (out,)
        for o in outs:
            if o is not None and type(o) is not FakeCudaArray:
                raise _unsupported(o, where + " (out=)")
        kwargs = dict(kwargs, out=tuple(s.arg(o) for o in outs) if type(out) is tuple else s.arg(out))
    with np.errstate(all="ignore"):  # CUDA kernels never warn about inf/nan
        return s.wrap(getattr(uf, method)(*inner, **kwargs))


class _Flags:
    """CuPy's flags: contiguity and ownership, no `writeable` (CuPy arrays are always writable)."""

    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, a: np.ndarray):
        self.c_contiguous, self.f_contiguous, self.owndata = a.flags.c_contiguous, a.flags.f_contiguous, a.flags.owndata


class _MemoryPointer:
    __slots__ = ("ptr", "device_id")

    def __init__(self, ptr: int):
        self.ptr, self.device_id = ptr, 0


class _Device:
    """`cupy.cuda.Device`: a context manager selecting a device (only indices below the fake's count exist)."""

    count = 1  # set by the active FakeCuda

    def __init__(self, device: int | None = None):
        self.id = 0 if device is None else int(device)

    def use(self) -> None:
        if not 0 <= self.id < _Device.count:
            raise _Runtime.CUDARuntimeError(f"cudaErrorInvalidDevice: invalid device ordinal ({self.id}; the fake "
                                            f"CUDA backend has {_Device.count} device(s))")

    def __enter__(self) -> "_Device":
        self.use()
        return self

    def __exit__(self, *exc) -> None:
        return None

    def synchronize(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"<CUDA Device {self.id}>"


class _Runtime:
    """`cupy.cuda.runtime`: the calls tensorlite makes."""

    class CUDARuntimeError(RuntimeError):
        pass

    @staticmethod
    def getDeviceCount() -> int:  # noqa: N802 - CuPy's names
        return _Device.count

    @staticmethod
    def getDevice() -> int:  # noqa: N802
        return 0

    @staticmethod
    def getDeviceProperties(i: int) -> dict:  # noqa: N802
        _Device(i).use()
        return {"name": b"tensorlite fake CUDA device (NumPy)", "totalGlobalMem": 0, "major": 0, "minor": 0}


class _Stream:
    def synchronize(self) -> None:
        return None


_DEVICE0 = _Device(0)


class FakeCudaArray:
    """A NumPy array posing as a `cupy.ndarray` on device 0 (see the module docstring for its rules)."""

    __slots__ = ("_a", "__weakref__")
    __array_priority__ = 100  # CuPy's: objects with a higher priority (tl.Tensor) get the reflected operator
    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def _new(cls, a: np.ndarray) -> "FakeCudaArray":
        obj = object.__new__(cls)
        obj._a = a
        return obj

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        """`cupy.ndarray(shape, dtype)`: uninitialised memory, as in CuPy."""
        dtype = np.dtype(dtype)
        _check_dtype(dtype)
        self._a = np.empty(shape, dtype, order=order)

    # -- CuPy's attributes -----------------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    T = property(lambda self: FakeCudaArray._new(self._a.T))
    mT = property(lambda self: FakeCudaArray._new(self._a.mT))
    real = property(lambda self: FakeCudaArray._new(self._a.real))
    imag = property(lambda self: FakeCudaArray._new(self._a.imag))
    flags = property(lambda self: _Flags(self._a))
    device = property(lambda self: _DEVICE0)
    data = property(lambda self: _MemoryPointer(self._a.ctypes.data))

    @shape.setter
    def shape(self, value) -> None:
        self._a.shape = value

    @property
    def base(self) -> "FakeCudaArray | None":
        b = self._a.base
        return None if b is None or not isinstance(b, np.ndarray) else FakeCudaArray._new(b)

    def get(self, stream=None, order="C", out=None, blocking=True) -> np.ndarray:
        """A host copy (the one explicit device -> host transfer)."""
        if out is not None:
            out[...] = self._a
            return out
        return np.array(self._a, order=order, copy=True)

    def set(self, arr: np.ndarray, stream=None) -> None:
        if not isinstance(arr, np.ndarray) or arr.shape != self._a.shape:
            raise ValueError(f"set: expected a NumPy array of shape {self._a.shape}")
        self._a[...] = arr

    def __getattr__(self, name: str) -> Any:
        """Array methods CuPy has (sum, reshape, astype, take, ...), run by NumPy, results wrapped."""
        if name.startswith("__") or not _cupy_has("cupy.ndarray", name):
            raise AttributeError(f"'cupy.ndarray' object has no attribute '{name}' (fake CUDA backend)")
        attr = getattr(self._a, name)
        if not callable(attr):
            return _Strict(name).wrap(attr)

        def method(*args, **kwargs):
            kwargs = _stable_kind(name, kwargs)
            s = _Strict(f"cupy.ndarray.{name}")
            s.aliases[id(self._a)] = self
            if name in ("take", "put", "compress", "repeat"):  # CuPy converts host indices here
                args = tuple(s.index(a) for a in args)
            else:
                args = tuple(s.arg(a) for a in args)
            with np.errstate(all="ignore"):
                return s.wrap(attr(*args, **{k: s.arg(v) for k, v in kwargs.items()}))

        method.__name__ = name
        return method

    # -- conversions CuPy allows, and the one it forbids -------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a "
                        "NumPy array explicitly. (fake CUDA backend)")

    def tolist(self) -> Any:
        return self._a.tolist()

    def item(self, *args) -> Any:
        return self._a.item(*args)

    def __bool__(self) -> bool:
        return bool(self._a)

    def __int__(self) -> int:
        return int(self._a)

    def __float__(self) -> float:
        return float(self._a)

    def __complex__(self) -> complex:
        return complex(self._a)

    def __index__(self) -> int:
        return self._a.__index__()

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self) -> Iterator["FakeCudaArray"]:
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(len(self._a)))

    def __repr__(self) -> str:
        return repr(self._a)

    def __str__(self) -> str:
        return str(self._a)

    def __format__(self, spec: str) -> str:
        return format(self._a, spec)

    def __copy__(self) -> "FakeCudaArray":
        return FakeCudaArray._new(self._a.copy())

    def __deepcopy__(self, memo) -> "FakeCudaArray":
        return FakeCudaArray._new(self._a.copy())

    def __reduce__(self):
        return (_rebuild, (self.get(),))

    def __dlpack_device__(self) -> tuple[int, int]:
        return (2, 0)  # kDLCUDA, device 0

    def __dlpack__(self, *args, **kwargs) -> "_FakeCapsule":
        # Not a real DLPack capsule: only the fake's from_dlpack accepts it (np.from_dlpack raises TypeError)
        return _FakeCapsule(self)

    # -- NumPy protocols: device-only operands -----------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _apply_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types_, args, kwargs):
        path = "cupy" + "".join("." + p for p in func.__module__.split(".")[1:] if not p.startswith("_"))
        if not _cupy_has(path, func.__name__):
            return NotImplemented  # NumPy raises TypeError: no implementation found, as for CuPy
        s = _Strict(f"{path}.{func.__name__}")
        _check_keywords(path, func.__name__, kwargs)
        kwargs = _stable_kind(func.__name__, kwargs)
        with np.errstate(all="ignore"):
            return s.wrap(func(*s.arg(args), **{k: s.arg(v) for k, v in kwargs.items()}))

    # -- indexing ----------------------------------------------------------------------------------
    def __getitem__(self, key) -> "FakeCudaArray":
        s = _Strict("cupy.ndarray.__getitem__")
        return s.wrap(self._a[s.index(key)])

    def __setitem__(self, key, value) -> None:
        s = _Strict("cupy.ndarray.__setitem__")
        k = s.index(key)
        if isinstance(value, np.ndarray) or type(value) in (list, tuple):
            keys = k if type(k) is tuple else (k,)
            advanced = any(isinstance(x, (np.ndarray, list)) for x in keys)
            if not advanced and np.ndim(value) != 0:  # basic indexing fills: CuPy refuses host arrays
                raise ValueError(f"cupy.ndarray.__setitem__: a host {type(value).__name__} cannot be assigned "
                                 f"through basic indexing (CuPy calls fill()); move it with xp.asarray first")
            self._a[k] = np.asarray(value)
            return
        self._a[k] = value._a if type(value) is FakeCudaArray else value

    def __contains__(self, value) -> bool:
        return bool((self == value).any())


class _FakeCapsule:
    __slots__ = ("array",)

    def __init__(self, array: FakeCudaArray):
        self.array = array


def _rebuild(host: np.ndarray) -> FakeCudaArray:
    return FakeCudaArray._new(host)


def _binop(uf: np.ufunc, reflected: bool = False, inplace: bool = False):
    def op(self, other):
        if type(other) is not FakeCudaArray and getattr(other, "__array_priority__", 0) > self.__array_priority__ \
                and not isinstance(other, np.ndarray):
            return NotImplemented  # CuPy's _should_use_rop: let tl.Tensor's reflected operator run
        if inplace:
            return _apply_ufunc(uf, "__call__", (self, other), {"out": self})
        return _apply_ufunc(uf, "__call__", (other, self) if reflected else (self, other), {})

    return op


for _name, _uf in {"add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
                   "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power, "matmul": np.matmul,
                   "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor,
                   "lshift": np.left_shift, "rshift": np.right_shift}.items():
    setattr(FakeCudaArray, f"__{_name}__", _binop(_uf))
    setattr(FakeCudaArray, f"__r{_name}__", _binop(_uf, reflected=True))
    setattr(FakeCudaArray, f"__i{_name}__", _binop(_uf, inplace=True))
for _name, _uf in {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
                   "eq": np.equal, "ne": np.not_equal}.items():
    setattr(FakeCudaArray, f"__{_name}__", _binop(_uf))
for _name, _uf in {"neg": np.negative, "pos": np.positive, "abs": np.absolute, "invert": np.invert}.items():
    setattr(FakeCudaArray, f"__{_name}__", (lambda u: lambda self: _apply_ufunc(u, "__call__", (self,), {}))(_uf))


def _stable_kind(name: str, kwargs: dict) -> dict:
    """CuPy's sort and argsort are stable, and refuse any other `kind`."""
    if name in ("sort", "argsort"):
        kind = kwargs.get("kind")
        if kind not in (None, "stable"):
            raise ValueError(f"cupy.{name}: kind={kind!r} is not supported (CuPy sorts are stable)")
        kwargs = dict(kwargs, kind="stable")
    return kwargs
