"""Check one op of the registry: gradients against finite differences, values against PyTorch.

Each `check_*` function tests one aspect of one `OpInfo` over all of its samples, raises
AssertionError naming every failing sample (and what differs), raises `NotApplicable` when the
aspect does not apply (tests skip, the CLI prints "n/a"), and returns normally when it passes:

    check_gradcheck(info)                      first-order gradcheck, float64
    check_gradgradcheck(info)                  second-order gradcheck on samples with gradgrad=True
    check_torch_parity(info, dtype, contiguous) forward values/shapes/dtypes and gradients vs PyTorch
    check_errors(info)                         exception types for invalid inputs, in both libraries
    run_op(info) -> OpReport                   all of the above, as strings, for the CLI

Sample arrays become tensors in tensorlite/testing/_samples.py. Error samples keep their arrays'
NumPy dtypes, so an ErrorSample can state a dtype mismatch with a float32 or int32 array.
PyTorch is imported lazily: everything but the parity check works without it.
"""
from __future__ import annotations

import dataclasses
import math
import re
import traceback
from typing import Any, Callable

import numpy as np

from .. import _dtype as _dt
from .. import random as _random
from ..autograd import api as _autograd
from ..autograd.gradcheck import GradcheckError, gradcheck_stats, gradgradcheck_stats
from ..tensor import Tensor
from .opinfo import ErrorSample, OpInfo, Sample
from ._samples import (BFLOAT16_ATOL, BFLOAT16_RTOL, _Builder, _collect_arrays, _NP_DTYPES,  # noqa: F401
                       _strided_dim, _torch, _torch_from_array, samples_of, torch_available)

__all__ = ["NotApplicable", "OpReport", "check_gradcheck", "check_gradgradcheck", "check_torch_parity",
           "check_errors", "run_op", "torch_available", "samples_of"]

# Second-order checks are the costly part of the registry; past this many (input elements x
# output elements) of the vjp function, they compare random projections (gradcheck's fast mode).
GRADGRAD_FAST_THRESHOLD = 2_500
FIRST_ORDER_FAST_THRESHOLD = 20_000
_SEED = 1234  # nondeterministic ops rerun with this seed, so repeated calls agree
_MAX_REPORTED = 6  # failing samples listed per check


class NotApplicable(Exception):
    """The check does not apply to this op (not differentiable, no error samples, torch missing...)."""


@dataclasses.dataclass
class OpReport:
    """One op's results as the CLI prints them: each field "ok", "n/a", "skipped: ..." or "FAIL: ..."."""

    name: str
    first_order: str
    second_order: str
    parity: str
    errors: str
    max_abs_error: float | None = None

    @property
    def passed(self) -> bool:
        return not any(s.startswith("FAIL") for s in (self.first_order, self.second_order, self.parity, self.errors))


# -- describing things in messages ---------------------------------------------------------------------------
def _describe_value(v) -> str:
    if isinstance(v, np.ndarray):
        kind = {"f": "float", "i": "int", "u": "uint", "b": "bool"}.get(v.dtype.kind, str(v.dtype))
        return f"{kind}{list(v.shape)}"
    if type(v) in (list, tuple):
        inner = ", ".join(_describe_value(x) for x in v)
        return f"[{inner}]" if type(v) is list else f"({inner}{',' if len(v) == 1 else ''})"
    return repr(v)


def describe(sample) -> str:
    """`desc` if the sample has one, with its argument shapes, e.g. "broadcast: (float[3, 1], float[4]), alpha=2"."""
    parts = [_describe_value(a) for a in sample.args] + [f"{k}={_describe_value(v)}" for k, v in sample.kwargs.items()]
    text = "(" + ", ".join(parts) + ")"
    return f"{sample.desc}: {text}" if sample.desc else text


def _exc_text(exc: BaseException) -> str:
    """The exception and the innermost frame it came from (where to look)."""
    frames = [f"{f.filename.split('/')[-1]}:{f.lineno} in {f.name}" for f in traceback.extract_tb(exc.__traceback__)]
    where = f" [at {' <- '.join(reversed(frames[-3:]))}]" if frames else ""
    msg = str(exc).strip().splitlines()
    first = msg[0] if msg else ""
    return f"{type(exc).__name__}: {first}{where}"


def _fail(info: OpInfo, what: str, failures: list[str], total: int) -> None:
    if failures:
        shown = failures[:_MAX_REPORTED]
        more = f"\n  ... and {len(failures) - len(shown)} more" if len(failures) > len(shown) else ""
        body = "\n".join("  " + f.replace("\n", "\n    ") for f in shown)
        raise AssertionError(f"{info.name}: {what} failed on {len(failures)} of {total} samples:\n{body}{more}")


def _call(info: OpInfo, args, kwargs):
    if info.nondeterministic_output:
        _random.manual_seed(_SEED)
    return info.op(*args, **kwargs)


# -- gradcheck -------------------------------------------------------------------------------------------
def _gradcheck_samples(info: OpInfo, second_order: bool) -> list[tuple[int, Sample]]:
    if not info.differentiable:
        raise NotApplicable(f"{info.name} is not differentiable")
    if "float64" not in info.dtypes:
        raise NotApplicable(f"{info.name} does not support float64")
    if second_order and not info.supports_gradgrad:
        raise NotApplicable(f"{info.name} is not twice differentiable")
    chosen = [(k, s) for k, s in enumerate(samples_of(info)) if s.gradgrad or not second_order]
    if not chosen:
        raise NotApplicable(f"{info.name} has no samples for {'second' if second_order else 'first'}-order checks")
    return chosen


def _run_gradchecks(info: OpInfo, second_order: bool) -> float:
    chosen = _gradcheck_samples(info, second_order)
    failures, max_err, checked = [], 0.0, 0
    state = _random.get_rng_state() if info.nondeterministic_output else None
    try:
        for k, s in chosen:
            b = _Builder("tl", "float64", grad=s.grad)
            try:
                args, kwargs = b.build(s)
            except Exception as exc:  # noqa: BLE001 - a bad sample is reported, not fatal
                failures.append(f"sample {k} ({describe(s)}): could not build inputs: {_exc_text(exc)}")
                continue
            leaves = tuple(b.leaves)
            if not any(t._requires_grad for t in leaves):
                continue
            checked += 1

            def func(*_leaves, args=args, kwargs=kwargs):
                # gradcheck perturbs the leaves in place; args hold those same tensors
                return _call(info, args, kwargs)

            opts = dict(atol=info.gradcheck_atol, rtol=info.gradcheck_rtol)
            try:
                if second_order:
                    max_err = max(max_err, gradgradcheck_stats(func, leaves, fast_mode=_large(func, leaves, True),
                                                               **opts))
                else:
                    max_err = max(max_err, gradcheck_stats(func, leaves, fast_mode=_large(func, leaves, False),
                                                           **opts))
            except GradcheckError as exc:
                failures.append(f"sample {k} ({describe(s)}): {exc}")
            except Exception as exc:  # noqa: BLE001 - the op itself raised
                failures.append(f"sample {k} ({describe(s)}): {_exc_text(exc)}")
    finally:
        if state is not None:
            _random.set_rng_state(state)
    if not checked and not failures:
        raise NotApplicable(f"{info.name}: no sample has an input that requires grad")
    _fail(info, "second-order gradcheck" if second_order else "gradcheck", failures, len(chosen))
    return max_err


def _large(func: Callable, leaves: tuple, second_order: bool) -> bool:
    """Whether the full Jacobian would be costly enough to use random projections instead."""
    n_in = sum(int(t._data.size) for t in leaves if t._requires_grad)
    try:
        outs = func(*leaves)
    except Exception:  # noqa: BLE001 - gradcheck will call it again and report the error
        return False
    outs = outs if isinstance(outs, (tuple, list)) else (outs,)
    n_out = sum(int(o._data.size) for o in outs if isinstance(o, Tensor) and o._requires_grad)
    if second_order:  # the vjp function maps (inputs, grad_outputs) to input-sized gradients
        return (n_in + n_out) * n_in > GRADGRAD_FAST_THRESHOLD
    return n_in * n_out > FIRST_ORDER_FAST_THRESHOLD


def check_gradcheck(info: OpInfo) -> float:
    """First-order gradcheck in float64 on every sample; returns the largest |analytic - numeric|."""
    return _run_gradchecks(info, second_order=False)


def check_gradgradcheck(info: OpInfo) -> float:
    """Second-order gradcheck on samples with `gradgrad=True`, when the op supports it."""
    return _run_gradchecks(info, second_order=True)


# -- parity with PyTorch ---------------------------------------------------------------------------------------
def _flatten(out) -> list:
    """Outputs as a flat list: tensors, tuples/lists/named tuples of them (by position), other values."""
    if isinstance(out, (tuple, list)) and not _is_size(out):
        flat = []
        for o in out:
            flat.extend(_flatten(o))
        return flat
    return [out]


def _is_size(x) -> bool:
    return type(x).__name__ == "Size"


def _is_tensor(x) -> bool:
    torch = _torch()
    return isinstance(x, Tensor) or (torch is not None and isinstance(x, torch.Tensor))


def _host(t) -> np.ndarray:
    if isinstance(t, Tensor):
        return np.asarray(t._host())
    t = t.detach().cpu()
    if str(t.dtype) == "torch.bfloat16":
        return t.contiguous().view(_torch().int16).numpy().view(_dt.BFLOAT16_NP)
    return t.numpy()


def _dtype_name(t) -> str:
    return t.dtype.name if isinstance(t, Tensor) else str(t.dtype).replace("torch.", "")


def _compare_arrays(a: np.ndarray, b: np.ndarray, atol: float, rtol: float) -> tuple[bool, str, float]:
    """(ok, message, max abs error) for tensorlite's `a` against PyTorch's `b`."""
    if a.dtype.kind not in "fV" and b.dtype.kind not in "fV":
        if np.array_equal(a, b):
            return True, "", 0.0
        bad = np.argwhere(a != b)
        idx = tuple(int(i) for i in bad[0])
        return False, f"{len(bad)} elements differ, first at {list(idx)}: tensorlite {a[idx]!r}, PyTorch {b[idx]!r}", \
            math.nan
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    with np.errstate(invalid="ignore"):
        close = np.isclose(a64, b64, atol=atol, rtol=rtol, equal_nan=True)
        diff = np.abs(a64 - b64)
    finite = diff[np.isfinite(diff)]
    max_err = float(finite.max()) if finite.size else 0.0
    if close.all():
        return True, "", max_err
    with np.errstate(invalid="ignore"):
        excess = np.where(close, -np.inf, np.nan_to_num(diff - (atol + rtol * np.abs(b64)), nan=np.inf))
    idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(excess)), a.shape)) if a.ndim else ()
    return False, (f"{int((~close).sum())} of {close.size} elements differ beyond atol={atol:g}, rtol={rtol:g}; "
                   f"worst at {list(idx)}: tensorlite {a64[idx]:.9g}, PyTorch {b64[idx]:.9g} "
                   f"(max abs error {max_err:.3g})"), max_err


def _compare_outputs(ours: list, theirs: list, atol: float, rtol: float, values: bool) -> list[str]:
    problems = []
    if len(ours) != len(theirs):
        return [f"tensorlite returned {len(ours)} outputs, PyTorch {len(theirs)}"]
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if _is_tensor(a) != _is_tensor(b):
            problems.append(f"output {i}: tensorlite returned {type(a).__name__}, PyTorch {type(b).__name__}")
            continue
        if not _is_tensor(a):
            if not _same_value(a, b, atol, rtol):
                problems.append(f"output {i}: tensorlite {a!r}, PyTorch {b!r}")
            continue
        if tuple(a.shape) != tuple(b.shape):
            problems.append(f"output {i}: shape {list(a.shape)} in tensorlite, {list(b.shape)} in PyTorch")
            continue
        if _dtype_name(a) != _dtype_name(b):
            problems.append(f"output {i}: dtype {_dtype_name(a)} in tensorlite, {_dtype_name(b)} in PyTorch")
            continue
        if a.requires_grad != b.requires_grad:
            problems.append(f"output {i}: requires_grad is {a.requires_grad} in tensorlite, {b.requires_grad} in "
                            f"PyTorch")
        if values:
            ok, msg, _ = _compare_arrays(_host(a), _host(b), atol, rtol)
            if not ok:
                problems.append(f"output {i}: {msg}")
    return problems


def _same_value(a, b, atol: float, rtol: float) -> bool:
    """Non-tensor outputs: numbers within tolerance, dtypes by name, sequences element by element."""
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same_value(x, y, atol, rtol) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and type(a) is not bool:
        return type(a) is type(b) and (a == b or math.isclose(a, b, rel_tol=rtol, abs_tol=atol) or
                                       (math.isnan(a) and math.isnan(b)))
    if hasattr(a, "is_floating_point") and hasattr(b, "is_floating_point") and not callable(a.is_floating_point):
        return str(a).split(".")[-1] == str(b).split(".")[-1]  # tl.float32 vs torch.float32
    return a == b


def _tolerances(info: OpInfo, dtype: str) -> tuple[float, float, float, float]:
    if dtype == "bfloat16" and dtype not in info.atol:
        return BFLOAT16_ATOL, BFLOAT16_RTOL, 10 * BFLOAT16_ATOL, 10 * BFLOAT16_RTOL
    atol = info.atol.get(dtype, 1e-5 if dtype != "float64" else 1e-10)
    rtol = info.rtol.get(dtype, 1.3e-5 if dtype != "float64" else 1e-7)
    grad_atol = info.grad_atol.get(dtype, 10 * atol) if info.grad_atol else 10 * atol
    return atol, rtol, grad_atol, 10 * rtol


def _parity_one(info: OpInfo, sample: Sample, k: int, dtype: str, contiguous: bool) -> list[str]:
    torch = _torch()
    atol, rtol, grad_atol, grad_rtol = _tolerances(info, dtype)
    ours_b = _Builder("tl", dtype, contiguous, grad=sample.grad)
    theirs_b = _Builder("torch", dtype, contiguous, grad=sample.grad)
    args, kwargs = ours_b.build(sample)
    targs, tkwargs = theirs_b.build(sample)
    ours_exc = theirs_exc = None
    try:
        ours = _call(info, args, kwargs)
    except Exception as exc:  # noqa: BLE001
        ours_exc = exc
    try:
        if info.nondeterministic_output:
            torch.manual_seed(_SEED)
        theirs = info.torch_op(*targs, **tkwargs)
    except Exception as exc:  # noqa: BLE001
        theirs_exc = exc
    if ours_exc is None and isinstance(theirs_exc, NotImplementedError) and dtype == "bfloat16":
        # PyTorch has no bfloat16 kernel for this op on the CPU (cdist, ctc_loss, ...): compare the forward
        # with PyTorch's float32 result on the same (bfloat16-valued) inputs, rounded to bfloat16
        return _bfloat16_vs_float32(info, ours, targs, tkwargs, atol, rtol)
    if ours_exc is not None or theirs_exc is not None:
        if ours_exc is None:
            return [f"PyTorch raises {_exc_text(theirs_exc)} but tensorlite returns a result"]
        if theirs_exc is None:
            return [f"tensorlite raised {_exc_text(ours_exc)}"]
        # both raise: parity holds when the exception types agree (error_inputs is the better home for such a sample)
        return [] if isinstance(ours_exc, type(theirs_exc)) else \
            [f"both raise, but tensorlite {_exc_text(ours_exc)} vs PyTorch {_exc_text(theirs_exc)}"]
    ours_flat, theirs_flat = _flatten(ours), _flatten(theirs)
    problems = _compare_outputs(ours_flat, theirs_flat, atol, rtol, values=not info.nondeterministic_output)
    for j, (x, y) in enumerate(zip(ours_b.leaves, theirs_b.leaves)):
        # an op must leave its inputs as PyTorch does (untouched, unless it is an in-place op)
        if info.nondeterministic_output:
            break  # a random in-place op fills its input with numbers from a different generator
        ok, msg, _ = _compare_arrays(_host(x), _host(y), atol, rtol)
        if not ok:
            problems.append(f"input {j} after the call differs from PyTorch's (modified in place?): {msg}")
    if problems or info.nondeterministic_output:
        return problems
    # gradients of sum(out_i * w_i) over the floating outputs that require grad, same weights in both
    # (also for ops marked not differentiable: where PyTorch's outputs require grad, e.g. floor, its zeros count)
    rng = np.random.default_rng(k + 1)
    pairs = [(a, b) for a, b in zip(ours_flat, theirs_flat)
             if _is_tensor(a) and a.requires_grad and b.requires_grad]
    if not pairs or not any(getattr(t, "requires_grad", False) for t in theirs_b.leaves):
        return problems
    weights = [rng.uniform(-1, 1, size=tuple(a.shape)).astype(_host(a).dtype) for a, _ in pairs]
    ours_exc = theirs_exc = None
    try:
        _autograd.backward([a for a, _ in pairs], [Tensor._wrap(w) for w in weights])
    except Exception as exc:  # noqa: BLE001
        ours_exc = exc
    try:
        torch.autograd.backward([b for _, b in pairs], [_torch_from_array(w) for w in weights])
    except Exception as exc:  # noqa: BLE001 - some PyTorch ops have no derivative (floor_divide, scatter reduce)
        theirs_exc = exc
    if ours_exc is not None or theirs_exc is not None:
        if ours_exc is not None and theirs_exc is not None and isinstance(ours_exc, type(theirs_exc)):
            return problems
        if ours_exc is None and isinstance(theirs_exc, NotImplementedError) and dtype == "bfloat16":
            return problems  # no bfloat16 backward kernel in PyTorch: nothing to compare with
        return problems + [f"backward: tensorlite {'raised ' + _exc_text(ours_exc) if ours_exc else 'works'}, "
                           f"PyTorch {'raised ' + _exc_text(theirs_exc) if theirs_exc else 'works'}"]
    for j, (x, y) in enumerate(zip(ours_b.leaves, theirs_b.leaves)):
        if not y.requires_grad:
            continue
        gx = None if x.grad is None else _host(x.grad)
        gy = None if y.grad is None else _host(y.grad)
        if gx is None and gy is None:
            continue
        if gx is not None and gy is not None:
            if gx.shape != gy.shape or gx.dtype != gy.dtype:
                problems.append(f"grad of input {j}: {gx.dtype}{list(gx.shape)} in tensorlite, "
                                f"{gy.dtype}{list(gy.shape)} in PyTorch")
                continue
        gx = np.zeros(tuple(y.shape), _host(y).dtype) if gx is None else gx
        gy = np.zeros(tuple(y.shape), _host(y).dtype) if gy is None else gy
        ok, msg, _ = _compare_arrays(gx, gy, grad_atol, grad_rtol)
        if not ok:
            problems.append(f"grad of input {j}: {msg}")
    return problems


def _bfloat16_vs_float32(info: OpInfo, ours, targs, tkwargs, atol: float, rtol: float) -> list[str]:
    torch = _torch()

    def widen(v):
        if isinstance(v, torch.Tensor) and v.dtype == torch.bfloat16:
            return v.detach().float()
        return type(v)(widen(x) for x in v) if type(v) in (list, tuple) else v

    theirs = info.torch_op(*widen(targs), **{key: widen(v) for key, v in tkwargs.items()})
    theirs_flat = [t.to(torch.bfloat16) if _is_tensor(t) and t.dtype == torch.float32 else t
                   for t in _flatten(theirs)]
    return [p + " (vs PyTorch in float32: it has no bfloat16 kernel)"
            for p in _compare_outputs(_flatten(ours), theirs_flat, atol, rtol, values=True)
            if "requires_grad" not in p]


def check_torch_parity(info: OpInfo, dtype: str = "float64", contiguous: bool = True) -> None:
    """Forward (shapes, dtypes, values) and gradients against PyTorch, inputs in `dtype` in both libraries."""
    if _torch() is None:
        raise NotApplicable("torch not installed")
    if info.torch_op is None:
        raise NotApplicable(f"{info.name} has no PyTorch equivalent")
    if dtype not in info.dtypes and not (dtype == "bfloat16" and "float32" in info.dtypes
                                         and not info.extra.get("no_bfloat16")):
        raise NotApplicable(f"{info.name} is not tested in {dtype}")
    if dtype not in _NP_DTYPES:
        raise NotApplicable(f"{dtype} is not available here (bfloat16 needs ml_dtypes)")
    samples = samples_of(info)
    if not contiguous and not any(_has_strided_float(s) for s in samples):
        raise NotApplicable(f"{info.name}: no sample has a floating input with a non-contiguous layout")
    failures = []
    state = _random.get_rng_state() if info.nondeterministic_output else None
    try:
        for k, s in enumerate(samples):
            try:
                problems = _parity_one(info, s, k, dtype, contiguous)
            except Exception as exc:  # noqa: BLE001 - a harness-level error still names the sample
                problems = [f"check raised {_exc_text(exc)}"]
            if problems:
                failures.append(f"sample {k} ({describe(s)}): " + "; ".join(problems))
    finally:
        if state is not None:
            _random.set_rng_state(state)
    layout = "contiguous" if contiguous else "non-contiguous"
    _fail(info, f"PyTorch parity ({dtype}, {layout})", failures, len(samples))


def _has_strided_float(sample: Sample) -> bool:
    arrays: list = []
    _collect_arrays((sample.args, tuple(sample.kwargs.values())), arrays)
    return any(a.dtype.kind in "fV" and _strided_dim(a.shape) >= 0 for a in arrays)


# -- error inputs ------------------------------------------------------------------------------------------
def _error_one(info: OpInfo, es: ErrorSample, check_torch: bool) -> list[str]:
    problems = []
    b = _Builder("tl", None, keep_dtypes=True)
    args, kwargs = b.build(es)
    try:
        info.op(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001
        if not isinstance(exc, es.error):
            problems.append(f"tensorlite raised {_exc_text(exc)}, expected {es.error.__name__}")
        elif es.match is not None and not re.search(es.match, str(exc)):
            problems.append(f"tensorlite's message {str(exc)!r} does not match {es.match!r}")
    else:
        problems.append(f"tensorlite did not raise (expected {es.error.__name__})")
    if check_torch:
        tb = _Builder("torch", None, keep_dtypes=True)
        targs, tkwargs = tb.build(es)
        try:
            info.torch_op(*targs, **tkwargs)
        except Exception as exc:  # noqa: BLE001
            if not isinstance(exc, es.error):
                problems.append(f"PyTorch raises {_exc_text(exc)}, not {es.error.__name__}: the ErrorSample "
                                f"disagrees with PyTorch")
        else:
            problems.append(f"PyTorch does not raise on this input (expected {es.error.__name__}): the ErrorSample "
                            f"disagrees with PyTorch")
    return problems


def check_errors(info: OpInfo, with_torch: bool = True) -> None:
    """Each ErrorSample raises its exception type in tensorlite (message matching `match`) and in PyTorch."""
    if info.error_inputs is None:
        raise NotApplicable(f"{info.name} has no error samples")
    samples = list(info.error_inputs())
    if not samples:
        raise NotApplicable(f"{info.name} has no error samples")
    check_torch = with_torch and info.torch_op is not None and _torch() is not None
    failures = []
    for k, es in enumerate(samples):
        try:
            problems = _error_one(info, es, check_torch)
        except Exception as exc:  # noqa: BLE001
            problems = [f"check raised {_exc_text(exc)}"]
        if problems:
            failures.append(f"error sample {k} ({describe(es)}): " + "; ".join(problems))
    _fail(info, "error checks", failures, len(samples))


# -- everything, for the CLI ---------------------------------------------------------------------------------
def _status(fn: Callable, *args) -> tuple[str, Any]:
    try:
        return "ok", fn(*args)
    except NotApplicable as exc:
        return ("skipped: torch not installed" if "torch not installed" in str(exc) else "n/a"), None
    except AssertionError as exc:
        return f"FAIL: {exc}", None
    except Exception as exc:  # noqa: BLE001 - a broken entry fails, it does not stop the run
        return f"FAIL: the check itself raised {_exc_text(exc)}", None


def run_op(info: OpInfo, dtypes: tuple = ("float32", "float64"), parity: bool = True) -> OpReport:
    """Every check of one op, each summarised as "ok", "n/a", "skipped: ..." or "FAIL: <details>"."""
    first, max_err = _status(check_gradcheck, info)
    second, err2 = _status(check_gradgradcheck, info)
    if max_err is not None and err2 is not None:
        max_err = max(max_err, err2)
    if not parity:
        par = "skipped"
    elif _torch() is None:
        par = "skipped: torch not installed"
    else:
        results = [_status(check_torch_parity, info, d, c)[0] for d in dtypes for c in (True, False)]
        fails = [r for r in results if r.startswith("FAIL")]
        par = "FAIL: " + "\n".join(f[6:] for f in fails) if fails else ("ok" if "ok" in results else "n/a")
    errors, _ = _status(check_errors, info)
    return OpReport(info.name, first, second, par, errors, max_err)
