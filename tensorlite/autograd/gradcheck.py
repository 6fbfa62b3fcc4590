"""`gradcheck` and `gradgradcheck`: analytic gradients against central finite differences.

    x = tl.randn(3, 4, dtype=tl.float64, requires_grad=True)
    tl.autograd.gradcheck(lambda x: (x * x).sin(), (x,))          # True, or raises GradcheckError

The Jacobian J of each differentiable output with respect to each input that requires grad is
built twice and compared element by element, |analytic - numeric| <= atol + rtol * |numeric|:
  numeric   column by column: (f(x + eps e_k) - f(x - eps e_k)) / (2 eps), perturbing one
            element of one input at a time (in place, restored exactly afterwards);
  analytic  row by row: the vector-Jacobian product `tl.autograd.grad(out, inputs, e_m)` for
            each unit vector e_m of the output.
That is O(inputs x outputs) work. In fast mode (`fast_mode=True`, or automatically once
input elements x output elements exceeds `FAST_MODE_THRESHOLD`) only the projection
v^T J u is compared for random unit vectors u (inputs) and v (outputs): one directional finite
difference per input and one backward per output, with atol scaled by sum(u) * sum(v) as
PyTorch does. On a failure the slow Jacobian of the failing pair is computed (when affordable)
so the message names the worst element either way.

`gradgradcheck` runs gradcheck on the function that maps (inputs, grad_outputs) to the
vector-Jacobian product computed with `create_graph=True`: it checks second derivatives.

Signatures, defaults and the error type (`GradcheckError`, a RuntimeError) follow PyTorch's
`torch.autograd.gradcheck`. Differences: there is no forward-mode AD (check_forward_ad=True
raises NotImplementedError) and no vmap (check_batched_grad is accepted and skipped with a
warning); input and output indices in messages are positions in the caller's tuples.
"""
from __future__ import annotations

import math
import warnings
from typing import Callable, Sequence

import numpy as np

from ..backend.device import get_array_module
from ..tensor import Tensor
from . import api

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "FAST_MODE_THRESHOLD"]

# Above this many (input elements x output elements) the full Jacobian is too costly to build
# by finite differences: gradcheck switches to random projections.
FAST_MODE_THRESHOLD = 100_000
# On a fast-mode failure, the slow Jacobian of the failing pair is built for the message if it
# needs at most this many function evaluations plus backward calls.
_EXPLAIN_LIMIT = 20_000
# The Jacobians themselves are printed in the message up to this many elements.
_PRINT_LIMIT = 64


class GradcheckError(RuntimeError):
    """Raised by gradcheck/gradgradcheck when analytic and numeric gradients disagree."""


# -- small helpers ---------------------------------------------------------------------------------
def _as_tuple(x) -> tuple:
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _host64(arr) -> np.ndarray:
    """A float64 NumPy copy of a NumPy or CuPy array (outputs may alias inputs we are about to perturb)."""
    if type(arr) is not np.ndarray:
        arr = arr.get()
    return np.array(arr, dtype=np.float64, copy=True)


def _fmt_index(idx: tuple) -> str:
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def _differentiable(out) -> bool:
    return isinstance(out, Tensor) and out._requires_grad


def _check_inputs(inputs: tuple) -> list[int]:
    """Indices of the inputs that require grad, with PyTorch's warnings and errors."""
    diff = []
    for i, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x._requires_grad):
            continue
        if x._data.dtype != np.float64:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or complex. "
                          f"This check will likely fail if all the inputs are not of double precision floating "
                          f"point or complex. ", stacklevel=3)
        arr = x._data
        # NumPy gives empty arrays zero strides: only a non-empty input can overlap itself
        if arr.size and any(st == 0 and sz > 1 for st, sz in zip(arr.strides, arr.shape)):
            raise RuntimeError(f"The {i}th input has a dimension with stride 0. gradcheck only supports inputs that "
                               f"are non-overlapping to be able to compute the numerical gradients correctly. You "
                               f"should call .contiguous on the input before passing it to gradcheck.")
        diff.append(i)
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them have "
                         "requires_grad=True.")
    return diff


class _Checker:
    """One gradcheck run: the function, its inputs, tolerances, and the statistics gathered."""

    def __init__(self, func: Callable, inputs: tuple, eps: float, atol: float, rtol: float, nondet_tol: float,
                 check_grad_dtypes: bool):
        self.func, self.inputs = func, inputs
        self.eps, self.atol, self.rtol, self.nondet_tol = eps, atol, rtol, nondet_tol
        self.check_grad_dtypes = check_grad_dtypes
        self.diff_in = _check_inputs(inputs)
        self.max_abs_error = 0.0
        self.rng = np.random.default_rng(0)  # fixed: a gradcheck verdict must be reproducible

    # -- evaluation -----------------------------------------------------------------------------
    def outputs(self) -> tuple:
        return _as_tuple(self.func(*self.inputs))

    def values(self, out_idx: Sequence[int]) -> list[np.ndarray]:
        """The chosen outputs of one fresh call, as flat float64 arrays."""
        outs = self.outputs()
        return [_host64(outs[j]._data).ravel() for j in out_idx]

    def numeric_column(self, i: int, index: tuple, out_idx: Sequence[int]) -> list[np.ndarray]:
        """d outputs / d inputs[i][index] by central differences; the element is restored exactly."""
        arr = self.inputs[i]._data
        orig = arr[index].item()
        try:
            arr[index] = orig + self.eps
            plus = self.values(out_idx)
            arr[index] = orig - self.eps
            minus = self.values(out_idx)
        finally:
            arr[index] = orig
        return [(p - m) / (2 * self.eps) for p, m in zip(plus, minus)]

    def numeric_direction(self, i: int, u, out_idx: Sequence[int]) -> list[np.ndarray]:
        """J u for input i along direction u (same shape as the input), by central differences."""
        arr = self.inputs[i]._data
        orig = arr.copy()
        step = (u * self.eps).astype(arr.dtype)
        try:
            arr += step
            plus = self.values(out_idx)
            arr[...] = orig
            arr -= step
            minus = self.values(out_idx)
        finally:
            arr[...] = orig
        return [(p - m) / (2 * self.eps) for p, m in zip(plus, minus)]

    def numeric_jacobian(self, i: int, out_idx: Sequence[int], sizes: Sequence[int]) -> list[np.ndarray]:
        """One (input elements x output elements) Jacobian per output, for input i."""
        shape = self.inputs[i]._data.shape
        n = int(np.prod(shape, dtype=np.int64))
        jacs = [np.zeros((n, m)) for m in sizes]
        for k in range(n):
            cols = self.numeric_column(i, np.unravel_index(k, shape), out_idx)
            for jac, col in zip(jacs, cols):
                jac[k] = col
        return jacs

    def vjp(self, out: Tensor, seed) -> list:
        """Gradients of the inputs that require grad for output gradient `seed`, None where unused."""
        grads = api.grad(out, [self.inputs[i] for i in self.diff_in], grad_outputs=Tensor._wrap(seed),
                         retain_graph=True, allow_unused=True)
        for i, g in zip(self.diff_in, grads):
            if g is not None:
                self.check_grad_attributes(i, g)
        return list(grads)

    def check_grad_attributes(self, i: int, g: Tensor) -> None:
        x = self.inputs[i]
        if tuple(g._data.shape) != tuple(x._data.shape):
            raise GradcheckError(f"Gradient has incorrect size: the gradient of input {i} has shape "
                                 f"{list(g._data.shape)}, expected {list(x._data.shape)}")
        if self.check_grad_dtypes and g._data.dtype != x._data.dtype:
            raise GradcheckError(f"Gradient has dtype mismatch: the gradient of input {i} is {g.dtype}, expected "
                                 f"{x.dtype}")

    def analytic_jacobian(self, out: Tensor) -> list[np.ndarray]:
        """One (input elements x output elements) Jacobian per input requiring grad, for one output."""
        data = out._data
        m = int(data.size)
        jacs = [np.zeros((int(self.inputs[i]._data.size), m)) for i in self.diff_in]
        seed = _zeros_like(data)
        flat = seed.reshape(-1)  # a view: setting flat[k] sets the seed's element k
        for k in range(m):
            flat[k] = 1
            grads = self.vjp(out, seed.copy())
            flat[k] = 0
            for jac, g in zip(jacs, grads):
                if g is not None:
                    jac[:, k] = _host64(g._data).ravel()
        return jacs

    # -- the checks -----------------------------------------------------------------------------
    def compare(self, a: np.ndarray, n: np.ndarray, j: int, i: int, atol: float | None = None) -> bool:
        atol = self.atol if atol is None else atol
        diff = np.abs(a - n)
        if diff.size:
            finite = diff[np.isfinite(diff)]
            if finite.size:
                self.max_abs_error = max(self.max_abs_error, float(finite.max()))
        with np.errstate(invalid="ignore"):
            ok = np.isclose(a, n, rtol=self.rtol, atol=atol, equal_nan=False)
        return bool(ok.all())

    def mismatch_message(self, a: np.ndarray, n: np.ndarray, j: int, i: int, out_shape: tuple) -> str:
        """Name the worst Jacobian element (most beyond tolerance), with its place in both tensors."""
        in_shape = tuple(self.inputs[i]._data.shape)
        with np.errstate(invalid="ignore"):
            excess = np.abs(a - n) - (self.atol + self.rtol * np.abs(n))
            excess = np.where(np.isnan(excess), np.inf, excess)
        r, c = np.unravel_index(int(np.argmax(excess)), a.shape)
        bad = int((excess > 0).sum())
        msg = (f"Jacobian mismatch for output {j} with respect to input {i}: worst element ({r}, {c}): "
               f"analytic {a[r, c]:.6g}, numeric {n[r, c]:.6g} (atol {self.atol:g}, rtol {self.rtol:g})\n"
               f"  that is d(output {j}){_fmt_index(np.unravel_index(c, out_shape))} / d(input {i})"
               f"{_fmt_index(np.unravel_index(r, in_shape))}: row {r}, column {c} of the {a.shape[0]} x "
               f"{a.shape[1]} Jacobian (rows: elements of input {i}, columns: elements of output {j}, as PyTorch "
               f"prints it); {bad} of {a.size} elements outside tolerance, max |analytic - numeric| = "
               f"{float(np.nanmax(np.abs(a - n))):.6g}")
        if a.size <= _PRINT_LIMIT:
            with np.printoptions(precision=5, suppress=True, linewidth=120):
                msg += f"\nnumerical:\n{n}\nanalytical:\n{a}"
        return msg

    def slow(self, outs: tuple, out_idx: list[int]) -> None:
        sizes = [int(outs[j]._data.size) for j in out_idx]
        numeric = {i: self.numeric_jacobian(i, out_idx, sizes) for i in self.diff_in}
        for pos, j in enumerate(out_idx):
            analytic = self.analytic_jacobian(outs[j])
            self.check_reentrant(outs[j], j)
            for a, i in zip(analytic, self.diff_in):
                n = numeric[i][pos]
                if not self.compare(a, n, j, i):
                    raise GradcheckError(self.mismatch_message(a, n, j, i, tuple(outs[j]._data.shape)))

    def fast(self, outs: tuple, out_idx: list[int]) -> None:
        us = {i: _unit(self.rng, self.inputs[i]._data) for i in self.diff_in}
        vs = {j: _unit(self.rng, outs[j]._data) for j in out_idx}
        # J u per input (one directional difference each), then v^T (J u) per output
        ju = {i: self.numeric_direction(i, us[i], out_idx) for i in self.diff_in}
        for pos, j in enumerate(out_idx):
            v = vs[j]
            v_host = _host64(v).ravel()
            grads = self.vjp(outs[j], v)
            self.check_reentrant(outs[j], j, v)
            for i, g in zip(self.diff_in, grads):
                u_host = _host64(us[i]).ravel()
                a = 0.0 if g is None else float(_host64(g._data).ravel() @ u_host)
                n = float(v_host @ ju[i][pos])
                atol = self.atol * float(u_host.sum()) * float(v_host.sum())
                if not self.compare(np.array(a), np.array(n), j, i, atol=atol):
                    raise GradcheckError(self.fast_message(a, n, atol, outs, out_idx, j, i))

    def fast_message(self, a: float, n: float, atol: float, outs: tuple, out_idx: list[int], j: int, i: int) -> str:
        msg = (f"Jacobian mismatch for output {j} with respect to input {i} (fast mode: projections v^T J u on "
               f"random unit vectors): analytic {a:.6g}, numeric {n:.6g} (atol {atol:g} after scaling by "
               f"sum(u)*sum(v), rtol {self.rtol:g})")
        n_in, n_out = int(self.inputs[i]._data.size), int(outs[j]._data.size)
        if 2 * n_in + n_out > _EXPLAIN_LIMIT:
            return msg + "\n  Rerun with fast_mode=False on smaller inputs to see the worst element."
        numeric = self.numeric_jacobian(i, [j], [n_out])[0]
        analytic = self.analytic_jacobian(outs[j])[self.diff_in.index(i)]
        if self.compare(analytic, numeric, j, i):
            return msg + "\n  (the element-wise Jacobians agree within tolerance: the projection's error is the sum " \
                         "of many small ones)"
        return msg + "\n  the full Jacobian of this pair, computed to explain:\n" + \
            self.mismatch_message(analytic, numeric, j, i, tuple(outs[j]._data.shape))

    def check_reentrant(self, out: Tensor, j: int, v=None) -> None:
        """The same backward twice must give the same gradient (within nondet_tol)."""
        if v is None:
            v = _unit(self.rng, out._data)
        first, second = self.vjp(out, v), self.vjp(out, v)
        for i, g1, g2 in zip(self.diff_in, first, second):
            if (g1 is None) != (g2 is None):
                raise GradcheckError(f"Backward is not reentrant for output {j} and input {i}: one call returned no "
                                     f"gradient and the other did")
            if g1 is None:
                continue
            d = np.abs(_host64(g1._data) - _host64(g2._data))
            if d.size and not float(np.nanmax(d)) <= self.nondet_tol:
                raise GradcheckError(f"Backward is not reentrant, i.e., running backward with same input and "
                                     f"grad_output multiple times gives different values, although analytical "
                                     f"gradient matches numerical gradient (output {j}, input {i}: max difference "
                                     f"{float(np.nanmax(d)):.6g}). The tolerance for nondeterminism was "
                                     f"{self.nondet_tol}.")

    def check_no_differentiable_outputs(self, outs: tuple) -> None:
        """No output requires grad: then every numeric derivative must be zero."""
        idx = [j for j, o in enumerate(outs) if isinstance(o, Tensor) and o._data.dtype.kind in "fV"]
        if not idx:
            return
        sizes = [int(outs[j]._data.size) for j in idx]
        for i in self.diff_in:
            for j, jac in zip(idx, self.numeric_jacobian(i, idx, sizes)):
                if np.any(np.abs(jac) > self.atol):
                    raise GradcheckError(f"Numerical gradient for function expected to be zero: output {j} does not "
                                         f"require grad but changes with input {i} (max |d output / d input| = "
                                         f"{float(np.abs(jac).max()):.6g})")

    def check_undefined_grad(self, outs: tuple, out_idx: list[int]) -> None:
        """Zero output gradients (what undefined ones become) must give zero or no input gradients."""
        seeds = [Tensor._wrap(_zeros_like(outs[j]._data)) for j in out_idx]
        try:
            grads = api.grad([outs[j] for j in out_idx], [self.inputs[i] for i in self.diff_in], grad_outputs=seeds,
                             retain_graph=True, allow_unused=True)
        except Exception as exc:
            raise GradcheckError(f"Expected backward function to handle undefined (zero) output grads, but it "
                                 f"raised {type(exc).__name__}: {exc}") from exc
        for i, g in zip(self.diff_in, grads):
            if g is not None and np.any(_host64(g._data) != 0):
                raise GradcheckError(f"Expected backward function to handle undefined output grads: with all output "
                                     f"gradients zero, the gradient of input {i} is not zero")


def _zeros_like(arr):
    if type(arr) is np.ndarray:
        return np.zeros(arr.shape, dtype=arr.dtype)
    return get_array_module(arr).zeros(arr.shape, dtype=arr.dtype)


def _unit(rng: np.random.Generator, like):
    """A random non-negative unit vector shaped like `like`, in its dtype and array library."""
    u = rng.random(like.shape)
    norm = np.linalg.norm(u)
    if norm > 0:
        u /= norm
    u = u.astype(like.dtype)
    if type(like) is not np.ndarray:
        u = get_array_module(like).asarray(u)
    return u


# -- public API ------------------------------------------------------------------------------------
def _run(func, inputs, *, eps, atol, rtol, nondet_tol, check_undefined_grad, check_grad_dtypes, check_batched_grad,
         check_batched_forward_grad, check_forward_ad, check_backward_ad, fast_mode) -> _Checker:
    """Every check of gradcheck; raises GradcheckError on the first failure, returns the checker's statistics."""
    if check_forward_ad or check_batched_forward_grad:
        raise NotImplementedError("gradcheck: tensorlite has no forward-mode AD; use check_forward_ad=False")
    if not check_backward_ad:
        raise ValueError("Expected at least one of check_forward_ad or check_backward_ad to be True")
    if check_batched_grad:
        warnings.warn("gradcheck: check_batched_grad needs vmap, which tensorlite does not have; that check is "
                      "skipped", stacklevel=3)
    checker = _Checker(func, _as_tuple(inputs), eps, atol, rtol, nondet_tol, check_grad_dtypes)
    # Finite differences perturb inputs in place: a read-only input is swapped for a writable copy meanwhile.
    swapped = [(x, x._data) for x in (checker.inputs[i] for i in checker.diff_in)
               if not getattr(x._data.flags, "writeable", True)]
    for x, arr in swapped:
        x._data = arr.copy()
    try:
        _check_all(checker, check_undefined_grad, fast_mode)
    finally:
        for x, arr in swapped:
            x._data = arr
    return checker


def _check_all(checker: _Checker, check_undefined_grad: bool, fast_mode: bool) -> None:
    outs = checker.outputs()
    out_idx = [j for j, o in enumerate(outs) if _differentiable(o)]
    if not out_idx:
        checker.check_no_differentiable_outputs(outs)
        return
    n_in = sum(int(checker.inputs[i]._data.size) for i in checker.diff_in)
    n_out = sum(int(outs[j]._data.size) for j in out_idx)
    if fast_mode or n_in * n_out > FAST_MODE_THRESHOLD:
        checker.fast(outs, out_idx)
    else:
        checker.slow(outs, out_idx)
    if check_undefined_grad:
        checker.check_undefined_grad(outs, out_idx)


def gradcheck(func: Callable[..., Tensor | Sequence[Tensor]], inputs: Tensor | Sequence, *, eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False, check_batched_grad: bool = False,
              check_batched_forward_grad: bool = False, check_forward_ad: bool = False,
              check_backward_ad: bool = True, fast_mode: bool = False, masked: bool | None = None) -> bool:
    """Check the gradients of `func(*inputs)` against central finite differences (PyTorch's gradcheck).

    Inputs that are float64 tensors with requires_grad are checked; other inputs are passed through.
    Returns True; on a mismatch raises GradcheckError, or returns False with raise_exception=False.
    """
    try:
        _run(func, inputs, eps=eps, atol=atol, rtol=rtol, nondet_tol=nondet_tol,
             check_undefined_grad=check_undefined_grad, check_grad_dtypes=check_grad_dtypes,
             check_batched_grad=check_batched_grad, check_batched_forward_grad=check_batched_forward_grad,
             check_forward_ad=check_forward_ad, check_backward_ad=check_backward_ad, fast_mode=fast_mode)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _grad_outputs_like(outputs: Sequence[Tensor], non_contiguous: bool) -> tuple:
    """Random grad_outputs in [-1, 1) that require grad (gradgradcheck differentiates with respect to them)."""
    rng = np.random.default_rng(1)
    result = []
    for o in outputs:
        shape, dtype = tuple(o._data.shape), o._data.dtype
        vals = rng.uniform(-1.0, 1.0, size=shape)
        if non_contiguous and len(shape) and math.prod(shape) > 1:
            buf = np.zeros(shape[:-1] + (2 * shape[-1],), dtype=dtype)
            buf[..., ::2] = vals
            arr = buf[..., ::2]
        else:
            arr = vals.astype(dtype)
        if type(o._data) is not np.ndarray:
            arr = get_array_module(o._data).asarray(arr)  # CuPy copies to a contiguous buffer; non-contiguity is CPU-only here
        result.append(Tensor._wrap(arr, requires_grad=True))
    return tuple(result)


def _vjp_function(func: Callable, n_inputs: int, inputs: tuple, grad_outputs: tuple) -> Callable:
    """(inputs..., grad_outputs...) -> the gradients of the differentiable inputs, differentiably."""
    diff_in = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._requires_grad]

    def vjp(*args):
        ins, gos = args[:n_inputs], args[n_inputs:]
        outs = [o for o in _as_tuple(func(*ins)) if _differentiable(o)]
        if len(outs) != len(gos):
            raise GradcheckError(f"gradgradcheck: got {len(gos)} grad_outputs for {len(outs)} differentiable outputs")
        grads = api.grad(outs, [ins[i] for i in diff_in], grad_outputs=list(gos), create_graph=True,
                         allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return vjp


def gradgradcheck(func: Callable[..., Tensor | Sequence[Tensor]], inputs: Tensor | Sequence,
                  grad_outputs: Tensor | Sequence[Tensor | None] | None = None, *, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad: bool = True,
                  check_grad_dtypes: bool = False, check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False, masked: bool = False) -> bool:
    """Check second derivatives: gradcheck of (inputs, grad_outputs) -> vjp computed with create_graph=True.

    grad_outputs default to random float64 tensors (non-contiguous with gen_non_contig_grad_outputs).
    """
    if check_fwd_over_rev:
        raise NotImplementedError("gradgradcheck: tensorlite has no forward-mode AD; use check_fwd_over_rev=False")
    if not check_rev_over_rev:
        return True
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outs = [o for o in _as_tuple(func(*inputs)) if _differentiable(o)]
        grad_outputs = _grad_outputs_like(outs, gen_non_contig_grad_outputs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    return gradcheck(_vjp_function(func, len(inputs), inputs, grad_outputs), inputs + grad_outputs, eps=eps,
                     atol=atol, rtol=rtol, raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad, check_grad_dtypes=check_grad_dtypes,
                     check_batched_grad=check_batched_grad, fast_mode=fast_mode)


def gradcheck_stats(func: Callable, inputs, **kwargs) -> float:
    """Run gradcheck (raising GradcheckError on failure) and return the largest |analytic - numeric| seen."""
    kwargs.setdefault("eps", 1e-6)
    kwargs.setdefault("atol", 1e-5)
    kwargs.setdefault("rtol", 1e-3)
    opts = dict(nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True, fast_mode=False)
    opts.update(kwargs)
    return _run(func, inputs, **opts).max_abs_error


def gradgradcheck_stats(func: Callable, inputs, grad_outputs=None, **kwargs) -> float:
    """gradgradcheck that raises on failure and returns the largest |analytic - numeric| seen."""
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outs = [o for o in _as_tuple(func(*inputs)) if _differentiable(o)]
        grad_outputs = _grad_outputs_like(outs, kwargs.pop("gen_non_contig_grad_outputs", False))
    else:
        grad_outputs = _as_tuple(grad_outputs)
    return gradcheck_stats(_vjp_function(func, len(inputs), inputs, grad_outputs), inputs + grad_outputs, **kwargs)
