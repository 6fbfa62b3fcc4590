"""`repr(tensor)` in PyTorch's style: tensor([1.0000, 2.5000], requires_grad=True)."""
from __future__ import annotations

import numpy as np

from . import _dtype as dt

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80


def set_printoptions(precision: int | None = None, threshold: int | None = None, edgeitems: int | None = None,
                     linewidth: int | None = None, profile: str | None = None, sci_mode=None) -> None:
    """As torch.set_printoptions (profile: 'default', 'short', 'full')."""
    global PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH
    if profile == "default":
        PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH = 4, 1000, 3, 80
    elif profile == "short":
        PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH = 2, 1000, 2, 80
    elif profile == "full":
        PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH = 4, np.inf, 3, 80
    PRECISION = PRECISION if precision is None else precision
    THRESHOLD = THRESHOLD if threshold is None else threshold
    EDGEITEMS = EDGEITEMS if edgeitems is None else edgeitems
    LINEWIDTH = LINEWIDTH if linewidth is None else linewidth


def _float_formatter(arr: np.ndarray):
    finite = arr[np.isfinite(arr)].astype(np.float64)
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.{PRECISION}f}"
    absvals = np.abs(finite)
    if np.all(finite == np.round(finite)):  # integral values print as "1."
        if absvals.max() > 1e8:
            return lambda v: _special(v) or f"{v:.{PRECISION}e}"
        return lambda v: _special(v) or f"{v:.0f}."
    nonzero = absvals[absvals > 0]
    if nonzero.size and (nonzero.max() / nonzero.min() > 1000.0 or nonzero.max() > 1e8 or nonzero.min() < 1e-4):
        return lambda v: _special(v) or f"{v:.{PRECISION}e}"
    return lambda v: _special(v) or f"{v:.{PRECISION}f}"


def _special(v) -> str | None:
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def _format_data(arr: np.ndarray, indent: int) -> str:
    shown = arr if arr.size <= THRESHOLD else _summary_values(arr)
    if arr.dtype.kind in "fV":
        fmt = _float_formatter(shown)
    elif arr.dtype.kind == "b":
        fmt = lambda v: "True" if v else "False"  # noqa: E731
    else:
        fmt = str
    # Like PyTorch, every element is right-aligned to the widest one shown.
    flat = shown.reshape(-1)
    if arr.dtype.kind in "fV":  # nan/inf don't widen the columns (as in PyTorch)
        flat = flat[np.isfinite(flat)]
    width = max((len(fmt(v)) for v in flat), default=0)
    padded = lambda v: fmt(v).rjust(width)  # noqa: E731
    formatter = {"float_kind": padded, "bool": padded, "int": padded}
    return np.array2string(arr, separator=", ", formatter=formatter, threshold=THRESHOLD, edgeitems=EDGEITEMS,
                           max_line_width=LINEWIDTH, prefix=" " * indent)


def _summary_values(arr: np.ndarray) -> np.ndarray:
    flat = arr.reshape(-1)
    return np.concatenate([flat[:EDGEITEMS], flat[-EDGEITEMS:]])


def tensor_repr(t) -> str:
    arr = t._host()
    if t.__class__.__name__ == "Parameter":
        pass
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if arr.size == 0:
        body = "[]"
        if arr.ndim != 1:
            suffixes.insert(0, f"size={tuple(arr.shape)}")
    else:
        body = _format_data(dt.opmath(arr), len("tensor("))  # bfloat16 values print as the float32s they are
    d = dt.from_numpy_dtype(arr.dtype)
    if d not in (dt.get_default_dtype(), dt.int64, dt.bool) or (arr.size == 0 and d is not dt.get_default_dtype()):
        suffixes.append(f"dtype={d}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + s for s in suffixes) + ")"
