"""`tl.testing.assert_close` and `tl.testing.make_tensor`, as PyTorch's torch.testing.

Closeness: |actual - expected| <= atol + rtol * |expected| elementwise, with PyTorch's default
(rtol, atol) per dtype of the pair; integers and bool compare exactly.
"""
from __future__ import annotations

import collections.abc
import math
from typing import Any, Callable

import numpy as np

_TOLS = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7),
         "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}


def _tensor():
    from ..tensor import Tensor

    return Tensor


def _fail(text: str, msg, path: str):
    if msg is not None:
        raise AssertionError(msg(text) if callable(msg) else msg)
    raise AssertionError(text + (f"\n\nThe failure occurred for item {path}" if path else ""))


def _default_tols(*names: str) -> tuple[float, float]:
    tols = [_TOLS.get(n, (0.0, 0.0)) for n in names]
    return max(t[0] for t in tols), max(t[1] for t in tols)


def _compare_numbers(actual, expected, rtol, atol, equal_nan, msg, path):
    if rtol is None:
        # Python floats and complexes are float64/complex128 to PyTorch; ints compare exactly.
        rtol, atol = (1e-7, 1e-7) if isinstance(actual, (float, complex)) or isinstance(expected, (float, complex)) \
            else (0.0, 0.0)
    if actual == expected or (equal_nan and actual != actual and expected != expected):
        return
    if abs(actual - expected) <= atol + rtol * abs(expected):
        return
    abs_diff = abs(actual - expected)
    rel_diff = abs_diff / abs(expected) if expected != 0 else math.inf
    _scalar_mismatch(actual, expected, abs_diff, rel_diff, rtol, atol, msg, path)


def _scalar_mismatch(actual, expected, abs_diff, rel_diff, rtol, atol, msg, path):
    equality = rtol == 0 and atol == 0
    kind = "equal" if equality else "close"
    text = (f"Scalars are not {kind}!\n\nExpected {expected} but got {actual}.\nAbsolute difference: {abs_diff}"
            + ("" if equality else f" (up to {atol} allowed)") + f"\nRelative difference: {rel_diff}"
            + ("" if equality else f" (up to {rtol} allowed)"))
    _fail(text, msg, path)


def _compare_tensors(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, check_stride, msg, path):
    if actual.shape != expected.shape:
        _fail(f"The values for attribute 'shape' do not match: {actual.shape} != {expected.shape}.", msg, path)
    if check_device and actual.device != expected.device:
        _fail(f"The values for attribute 'device' do not match: {actual.device} != {expected.device}.", msg, path)
    if check_dtype and actual.dtype != expected.dtype:
        _fail(f"The values for attribute 'dtype' do not match: {actual.dtype} != {expected.dtype}.", msg, path)
    if check_stride and actual.stride() != expected.stride():
        _fail(f"The values for attribute 'stride()' do not match: {actual.stride()} != {expected.stride()}.", msg,
              path)
    a, e = actual.detach().cpu().numpy(), expected.detach().cpu().numpy()
    if rtol is None:
        rtol, atol = _default_tols(str(actual.dtype).split(".")[-1], str(expected.dtype).split(".")[-1])
    if a.dtype != e.dtype:  # PyTorch compares in the promoted dtype
        common = np.promote_types(a.dtype, e.dtype)
        a, e = a.astype(common), e.astype(common)
    if a.dtype.kind in "biu":
        a, e = a.astype(np.int64), e.astype(np.int64)
    elif a.dtype.kind == "V":  # bfloat16 storage: compare in float32
        a, e = a.astype(np.float32), e.astype(np.float32)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        matches = (a == e) | (np.abs(a - e) <= atol + rtol * np.abs(e)) if a.dtype.kind in "fc" else a == e
        if equal_nan and a.dtype.kind in "fc":
            matches |= np.isnan(a) & np.isnan(e)
        if matches.all():
            return
        abs_diff = np.abs(a - e).reshape(-1)
        abs_diff[matches.reshape(-1)] = 0
        rel_diff = abs_diff / np.abs(e.reshape(-1))
        rel_diff[matches.reshape(-1)] = 0
    n, bad = matches.size, int(matches.size - matches.sum())
    if not a.shape:  # a 0-d tensor reports as a scalar, as PyTorch does
        return _scalar_mismatch(a.item(), e.item(), abs_diff[0].item(), rel_diff[0].item(), rtol, atol, msg, path)
    equality = rtol == 0 and atol == 0
    lines = [f"Tensor-likes are not {'equal' if equality else 'close'}!", "",
             f"Mismatched elements: {bad} / {n} ({bad / n:.1%})"]
    for name, diff, tol in (("absolute", abs_diff, atol), ("relative", rel_diff, rtol)):
        i = int(np.nanargmax(diff)) if not np.isnan(diff).all() else 0
        i = int(np.argmax(np.isnan(diff))) if np.isnan(diff).any() else i  # torch.max propagates nan
        idx = tuple(int(k) for k in np.unravel_index(i, a.shape)) if a.shape else ()
        lines.append(f"Greatest {name} difference: {diff[i].item()} at index {idx}"
                     + ("" if equality else f" (up to {tol} allowed)"))
    _fail("\n".join(lines), msg, path)


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_device: bool = True,
                 check_dtype: bool = True, check_layout: bool = True, check_stride: bool = False,
                 msg: str | Callable[[str], str] | None = None) -> None:
    """Raise AssertionError unless actual and expected (tensors, numbers, or sequences/mappings of them) are close."""
    if (rtol is None) ^ (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.")
    _assert_close(actual, expected, "", rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device,
                  check_dtype=check_dtype, check_stride=check_stride, msg=msg)


def _assert_close(actual, expected, path, *, rtol, atol, equal_nan, check_device, check_dtype, check_stride, msg):
    Tensor = _tensor()
    kw = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device, check_dtype=check_dtype,
              check_stride=check_stride, msg=msg)
    if isinstance(actual, Tensor) or isinstance(expected, Tensor) or isinstance(actual, np.ndarray):
        if isinstance(actual, Tensor) and isinstance(expected, Tensor):
            return _compare_tensors(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, check_stride,
                                    msg, path)
        if isinstance(actual, np.ndarray) and isinstance(expected, np.ndarray):
            from ..creation import from_numpy

            return _compare_tensors(from_numpy(actual), from_numpy(expected), rtol, atol, equal_nan, check_device,
                                    check_dtype, check_stride, msg, path)
        raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.")
    seq = (collections.abc.Sequence,)
    if isinstance(actual, seq) and isinstance(expected, seq) and not isinstance(actual, str) \
            and not isinstance(expected, str):
        if len(actual) != len(expected):
            _fail(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}", msg, path)
        for i, (a, e) in enumerate(zip(actual, expected)):
            _assert_close(a, e, f"{path}[{i}]", **kw)
        return
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
        ka, ke = set(actual.keys()), set(expected.keys())
        if ka != ke:
            missing, extra = sorted(map(repr, ke - ka)), sorted(map(repr, ka - ke))
            _fail(f"The keys of the mappings do not match:\nMissing keys in the actual mapping: {', '.join(missing)}"
                  f"\nExtra keys in the actual mapping: {', '.join(extra)}", msg, path)
        for k in expected:
            _assert_close(actual[k], expected[k], f"{path}[{k!r}]", **kw)
        return
    numbers = (bool, int, float, complex)
    if isinstance(actual, bool) and isinstance(expected, bool):
        if actual is not expected:
            _fail(f"Booleans mismatch: {actual} is not {expected}", msg, path)
        return
    if isinstance(actual, numbers) and isinstance(expected, numbers):
        if check_dtype and type(actual) is not type(expected):
            _fail(f"The (d)types do not match: {type(actual)} != {type(expected)}.", msg, path)
        return _compare_numbers(actual, expected, rtol, atol, equal_nan, msg, path)
    if actual is None and expected is None:
        return
    raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.")


def make_tensor(*shape, dtype, device, low: float | None = None, high: float | None = None,
                requires_grad: bool = False, noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format=None):
    """A random tensor: uniform in [low, high) ([-9, 9] by default; integers [low, high), bool {False, True})."""
    from .. import _dtype as _dt
    from .. import random as _random
    from ..creation import tensor

    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = tuple(shape[0])
    shape = tuple(int(s) for s in shape)
    dt = _dt.to_dtype(dtype) if not isinstance(dtype, _dt.dtype) else dtype
    name = str(dt).split(".")[-1]
    if low is not None and high is not None and low > high:
        raise ValueError(f"make_tensor: low must be less than or equal to high, but got low={low} > high={high}")
    if requires_grad and not (name.startswith("float") or name.startswith("complex") or name == "bfloat16"):
        raise ValueError(f"make_tensor: requires_grad=True is not supported for dtype {dt}")
    gen = _random.numpy_generator()
    if name == "bool":
        arr = gen.integers(0, 2, size=shape).astype(bool)
    elif name.startswith(("int", "uint")):
        info = np.iinfo(name)
        lo = max(math.ceil(low) if low is not None else -9, info.min)
        hi = min(math.ceil(high) if high is not None else 10, info.max)
        arr = gen.integers(lo, hi if hi > lo else lo + 1, size=shape)
    else:
        lo = -9.0 if low is None else low
        hi = 9.0 if high is None else high
        arr = gen.uniform(lo, hi, size=shape)
        if name.startswith("complex"):
            arr = arr + 1j * gen.uniform(lo, hi, size=shape)
    if exclude_zero:
        fill = 1 if name == "bool" or name.startswith(("int", "uint")) else np.finfo(np.float32).tiny
        arr = np.where(arr == 0, fill, arr)
    t = tensor(arr, device=device).to(dt)
    if noncontiguous and t.numel() > 1:
        from ..ops.join import stack

        t = stack([t, t], -1)[..., 0]
    if requires_grad:
        t.requires_grad_(True)
    return t
