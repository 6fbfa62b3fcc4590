"""`tl.save` / `tl.load`: checkpoints as safetensors files, never pickle.

A checkpoint is any nesting of dicts, lists and tuples whose leaves are tensors, numbers,
strings, booleans or None (a model's state_dict, an optimizer's, a scheduler's, an epoch
counter). The tensors go into the safetensors body under readable dotted names
(`model.layer1.0.conv1.weight`); the nesting and every non-tensor leaf go into the file's
metadata as JSON. Loading parses data only: nothing in the file can run code.

Files are written atomically (to a temporary file in the same folder, then renamed), so a
crash mid-save never leaves a truncated checkpoint behind.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from typing import Any

import numpy as np

from .tensor import Tensor

__all__ = ["save", "load"]

_FORMAT = "tensorlite.checkpoint.v1"


def _safetensors_numpy():
    try:
        from safetensors import numpy as st_numpy  # noqa: PLC0415 - optional dependency
    except ImportError:
        raise ImportError("tl.save/tl.load need the 'safetensors' package: pip install 'tensorlite[data]' "
                          "(or pip install safetensors)") from None
    return st_numpy


def _contiguous(a: np.ndarray) -> np.ndarray:
    # (np.ascontiguousarray would turn a 0-d array into shape (1,))
    return a if a.flags.c_contiguous else a.copy(order="C")


class _Encoder:
    """Walks a nested object, pulling tensors out into a flat name -> array table."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def name_for(self, path: list) -> str:
        base = ".".join(str(p) for p in path) or "tensor"
        name, n = base, 1
        while name in self.arrays:
            name, n = f"{base}#{n}", n + 1
        return name

    def encode(self, obj: Any, path: list) -> dict:
        if isinstance(obj, Tensor):
            name = self.name_for(path)
            self.arrays[name] = _contiguous(obj.detach()._host())
            return {"tensor": name}
        if isinstance(obj, np.ndarray):
            name = self.name_for(path)
            self.arrays[name] = _contiguous(obj)
            return {"ndarray": name}
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                if not isinstance(k, (str, int, float, bool)) and k is not None:
                    raise TypeError(f"tl.save: dict keys must be str, int, float, bool or None, got {type(k).__name__} "
                                    f"at {'.'.join(map(str, path)) or '<root>'}")
                items.append([k, self.encode(v, path + [k])])
            return {"dict": items}
        if isinstance(obj, (list, tuple)):
            kind = "list" if isinstance(obj, list) else "tuple"
            return {kind: [self.encode(v, path + [i]) for i, v in enumerate(obj)]}
        if obj is None or isinstance(obj, (bool, int, str)):
            return {"value": obj}
        if isinstance(obj, float):
            return {"value": obj} if math.isfinite(obj) else {"float": repr(obj)}
        if isinstance(obj, np.generic):
            return self.encode(obj.item(), path)
        if hasattr(obj, "name") and type(obj).__name__ == "dtype":
            return {"dtype": obj.name}
        raise TypeError(f"tl.save: cannot store a {type(obj).__name__} at {'.'.join(map(str, path)) or '<root>'}; "
                        f"checkpoints hold tensors, numbers, strings, None and dicts/lists/tuples of them "
                        f"(no pickle, by design)")


def save(obj: Any, f: str | os.PathLike, metadata: dict[str, str] | None = None) -> None:
    """Write `obj` (e.g. {"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3}) to `f`."""
    st = _safetensors_numpy()
    enc = _Encoder()
    structure = enc.encode(obj, [])
    meta = dict(metadata or {})
    meta["format"] = _FORMAT
    meta["structure"] = json.dumps(structure, allow_nan=False)
    payload = st.save(enc.arrays, metadata=meta)
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".safetensors", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _decode(node: dict, arrays: dict, path: str, device) -> Any:
    from .creation import as_tensor

    (kind, payload), = node.items()
    if kind == "tensor":
        if payload not in arrays:
            raise RuntimeError(f"tl.load: {path}: the file's structure names tensor '{payload}', which is missing")
        t = Tensor._wrap(arrays[payload])
        return t if device is None else as_tensor(t, device=device)
    if kind == "ndarray":
        return arrays[payload]
    if kind == "dict":
        return {k: _decode(v, arrays, path, device) for k, v in payload}
    if kind == "list":
        return [_decode(v, arrays, path, device) for v in payload]
    if kind == "tuple":
        return tuple(_decode(v, arrays, path, device) for v in payload)
    if kind == "value":
        return payload
    if kind == "float":
        return float(payload)
    if kind == "dtype":
        from . import _dtype

        return _dtype.to_dtype(payload)
    raise RuntimeError(f"tl.load: {path}: unknown entry kind '{kind}' in the checkpoint structure")


def load(f: str | os.PathLike, map_location=None, weights_only: bool = True, mmap: bool | None = None) -> Any:
    """Read a checkpoint written by `tl.save` (or any safetensors file: then a flat name -> tensor dict).

    map_location: a device (or device string) to put every tensor on.
    """
    st = _safetensors_numpy()
    path = os.fspath(f)
    if not os.path.exists(path):
        raise FileNotFoundError(f"tl.load: no such file: '{path}'")
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        arrays = dict(st.load(raw))
    except Exception as exc:  # SafetensorError for truncated or corrupted files
        arrays = _load_bfloat16(raw, path) if "'BF16'" in repr(exc) else None
        if arrays is None:
            raise RuntimeError(f"tl.load: '{path}' is not a valid safetensors checkpoint (truncated or corrupted?): "
                               f"{exc}") from None
    meta = _read_metadata(raw, path)
    # safetensors hands back read-only views on the file buffer; give each tensor its own memory.
    arrays = {k: np.array(v) for k, v in arrays.items()}
    device = map_location if not callable(map_location) else None
    if meta.get("format") != _FORMAT or "structure" not in meta:
        from .creation import as_tensor

        return {k: (Tensor._wrap(v) if device is None else as_tensor(Tensor._wrap(v), device=device))
                for k, v in arrays.items()}
    try:
        structure = json.loads(meta["structure"])
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"tl.load: '{path}': the checkpoint structure metadata is corrupted: {exc}") from None
    return _decode(structure, arrays, path, device)


def _load_bfloat16(raw: bytes, path: str) -> dict | None:
    """The tensors of a file holding BF16 entries, which safetensors' NumPy reader does not map: the header
    gives each tensor's dtype, shape and byte range; BF16 becomes ml_dtypes' bfloat16 (None: not readable)."""
    from ._dtype import BFLOAT16_MISSING, BFLOAT16_NP

    if BFLOAT16_NP is None:
        raise RuntimeError(f"tl.load: '{path}' holds bfloat16 tensors: {BFLOAT16_MISSING}")
    types = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "BF16": BFLOAT16_NP, "I64": np.int64,
             "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
    n = int.from_bytes(raw[:8], "little")
    try:
        header = json.loads(raw[8:8 + n])
        data = memoryview(raw)[8 + n:]
        arrays = {}
        for name, entry in header.items():
            if name == "__metadata__":
                continue
            begin, end = entry["data_offsets"]
            dtype = np.dtype(types[entry["dtype"]])
            if not 0 <= begin <= end <= len(data) or end - begin != dtype.itemsize * int(np.prod(entry["shape"])):
                return None
            arrays[name] = np.frombuffer(data[begin:end], dtype=dtype).reshape(entry["shape"])
        return arrays
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


def _read_metadata(raw: bytes, path: str) -> dict:
    """The `__metadata__` entry of a safetensors header (8-byte length, then JSON)."""
    if len(raw) < 8:
        raise RuntimeError(f"tl.load: '{path}' is too short to be a safetensors file ({len(raw)} bytes)")
    n = int.from_bytes(raw[:8], "little")
    try:
        header = json.loads(raw[8:8 + n])
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RuntimeError(f"tl.load: '{path}' has a corrupted header: {exc}") from None
    return header.get("__metadata__", {}) or {}
