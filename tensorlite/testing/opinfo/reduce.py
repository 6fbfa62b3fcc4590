"""Registry entries for the reductions (tensorlite/ops/reduce.py, reduce_select.py, reduce_scan.py).

Samples cover dim=None, int, negative and tuple dims (unsorted), keepdim, size-1 dims, 0-d
tensors and zero-size dims (reduced and kept), integer/bool inputs (output dtypes), ties,
zeros (prod/cumprod), nan (nansum/nanmedian/...) and extreme values (logsumexp).

Ties and gradients: amax/amin, max()/min()/median() without a dim split the gradient evenly
among tied elements, which is exactly what central differences measure for a two-way tie, so
those samples are gradchecked (first order; second differences jump at a tie). max/min(dim)
send the gradient to the returned index only, which finite differences cannot see: their tie
samples live in separate `*_ties` entries with a loose gradcheck tolerance and are checked for
parity with PyTorch (which gives the same index and the same gradient).
"""
from __future__ import annotations

import numpy as np

from ...ops import reduce as R
from . import ErrorSample, OpInfo, Sample, arr, away_from, positive


def _torch():
    import torch  # noqa: PLC0415 - torch is the test oracle, imported only when checking

    return torch


def _t(name):
    """torch.<name>, looked up when called."""
    return lambda *args, **kwargs: getattr(_torch(), name)(*args, **kwargs)


def _dtype(lib, name):
    import tensorlite  # noqa: PLC0415

    return getattr(tensorlite if lib == "tl" else _torch(), name)


# -- sample generators -------------------------------------------------------------------------------------
def _dims(make=arr, tuples=True, none=True, empty="all", scalar=True, extra=None):
    """Samples over every kind of `dim`: none/int/negative/tuple/list, keepdim, size-1, 0-d, zero-size.

    empty: "all" (sum-like ops with an identity), "kept" (max-like: only a kept dim may be empty) or None.
    """

    def samples(rng):
        def a(*shape):
            return np.asarray(make(rng, *shape))  # size=() gives a NumPy scalar: make it a 0-d array

        x = a(3, 4)
        if none:
            yield Sample((x,), desc="all dims")
            yield Sample((a(3, 4),), {"dim": None, "keepdim": True}, desc="dim=None, keepdim")
        yield Sample((x,), {"dim": 1}, desc="dim=1")
        yield Sample((a(3, 4),), {"dim": -2, "keepdim": True}, desc="negative dim, keepdim")
        yield Sample((a(2, 1, 3),), {"dim": 1}, desc="size-1 dim")
        yield Sample((a(5),), {"dim": 0}, desc="1-d")
        yield Sample((a(2, 3, 4),), {"dim": 2}, desc="3-d, last dim")
        if tuples:
            yield Sample((a(3, 4),), {"dim": (0, 1)}, desc="dim tuple covering all")
            yield Sample((a(2, 3, 4),), {"dim": (-1, 0), "keepdim": True}, desc="unsorted negative tuple, keepdim")
            yield Sample((a(2, 3, 4),), {"dim": [1]}, desc="dim list")
            yield Sample((a(2, 3, 2, 2),), {"dim": (1, 3)}, desc="4-d, two dims")
        if scalar:
            if none:
                yield Sample((a(),), desc="0-d")
            yield Sample((a(),), {"dim": 0}, desc="0-d, dim=0")
            yield Sample((a(),), {"dim": -1, "keepdim": True}, desc="0-d, dim=-1, keepdim")
        if empty:
            e = a(0, 3)
            yield Sample((e,), {"dim": 1}, desc="zero-size, kept dim empty")
            if empty == "all":
                yield Sample((e,), {"dim": 0}, desc="zero-size reduced dim")
                if none:
                    yield Sample((e,), desc="zero-size, all dims")
        if extra is not None:
            yield from extra(rng)

    return samples


def _dim_errors(op_kwargs=None, empty_all=None, empty_dim=None, int_dim_only=False, int_error=None,
                bool_error=None):
    """Errors shared by the reductions: out-of-range dims, repeated dims, wrong dim types, empty inputs."""
    kw = dict(op_kwargs or {})

    def errors():
        x = np.zeros((2, 3))
        yield ErrorSample((x,), {**kw, "dim": 2}, IndexError, match="out of range", desc="dim too large")
        yield ErrorSample((x,), {**kw, "dim": -3}, IndexError, match="out of range", desc="dim too negative")
        yield ErrorSample((np.zeros(()),), {**kw, "dim": 1}, IndexError, desc="0-d, dim=1")
        if int_dim_only:
            yield ErrorSample((x,), {**kw, "dim": (0, 1)}, TypeError, desc="tuple dim where an int is expected")
        else:
            yield ErrorSample((x,), {**kw, "dim": (0, 0)}, RuntimeError, match="multiple times", desc="repeated dim")
            yield ErrorSample((x,), {**kw, "dim": (1, -1)}, RuntimeError, match="multiple times",
                              desc="repeated dim, one negative")
            yield ErrorSample((x,), {**kw, "dim": (0, 2)}, IndexError, desc="tuple with a dim out of range")
        yield ErrorSample((x,), {**kw, "dim": 1.0}, TypeError, desc="float dim")
        if empty_all is not None:
            yield ErrorSample((np.zeros((0, 3)),), dict(kw), empty_all, desc="zero-size input, no dim")
        if empty_dim is not None:
            yield ErrorSample((np.zeros((0, 3)),), {**kw, "dim": 0}, empty_dim, match="non-zero size",
                              desc="reduced dim of size 0")
        if int_error is not None:
            yield ErrorSample((np.array([[1, 2], [3, 4]]),), dict(kw), int_error, desc="integer input")
        if bool_error is not None:
            yield ErrorSample((np.array([True, False]),), dict(kw), bool_error, desc="bool input")

    return errors


def _with_ints(samples_fn, values=((1, 2), (3, 4)), bools=True):
    """Add an int64 and a bool input to a generator (forward-only: output dtypes)."""

    def samples(rng):
        yield from samples_fn(rng)
        yield Sample((np.array(values),), desc="int64 input")
        yield Sample((np.array(values),), {"dim": 0}, desc="int64 input, dim=0")
        if bools:
            yield Sample((np.array([[True, False], [True, True]]),), {"dim": 1}, desc="bool input")

    return samples


def _cast(fn, lib):
    """op(x, dtype_name, **kw) -> fn(x.to(dtype), **kw): exercise the int32/uint8/... input dtypes."""
    return lambda x, name, **kw: fn(x.to(_dtype(lib, name)), **kw)


def _dtype_kw(fn, lib):
    """op(x, dtype_name, **kw) -> fn(x, dtype=dtype, **kw): the `dtype=` keyword."""
    return lambda x, name, **kw: fn(x, dtype=_dtype(lib, name), **kw)


def _int_dtype_samples(rng):
    v = np.array([[1, 2, 0], [3, -4, 5]])
    for name in ("int32", "int16", "uint8", "bool", "int64"):
        yield Sample((np.abs(v) if name == "uint8" else v, name), desc=f"{name} input")
        yield Sample((np.abs(v) if name == "uint8" else v, name), {"dim": 1}, desc=f"{name} input, dim=1")


def _dtype_kw_samples(names=("float64", "float32", "int64")):
    def samples(rng):
        for name in names:
            # a float32 result defeats float64 finite differences; an int result of an input that requires
            # grad is an error in PyTorch ("Autograd not support dtype"), so that input does not
            grad = (False,) if name in ("float32", "int64") else None
            yield Sample((arr(rng, 3, 4), name), desc=f"dtype={name}", grad=grad)
            yield Sample((arr(rng, 3, 4), name), {"dim": 0}, desc=f"dtype={name}, dim=0", grad=grad)

    return samples


def _with_zeros(rng):
    """Inputs for prod/cumprod with exact zeros: none, one, several per slice (the gradient's hard cases)."""
    one = positive(rng, 3, 4) * np.sign(arr(rng, 3, 4))
    one[1, 2] = 0.0
    several = positive(rng, 3, 4)
    several[0, 1] = several[0, 3] = several[2, 0] = 0.0
    return one, several


def _prod_extra(rng):
    one, several = _with_zeros(rng)
    yield Sample((one,), desc="one zero")
    yield Sample((one,), {"dim": 1}, desc="one zero, dim=1")
    yield Sample((one,), {"dim": 0, "keepdim": True}, desc="one zero, dim=0, keepdim")
    yield Sample((several,), {"dim": 1}, desc="two zeros in a row")
    yield Sample((several,), desc="several zeros")
    yield Sample((np.zeros((2, 2)),), {"dim": 0}, desc="all zeros")


def _prod_samples(rng):
    pos = lambda rng, *s: positive(rng, *s, low=0.5, high=1.5) * np.where(arr(rng, *s) < 0, -1.0, 1.0)  # noqa: E731
    for s in _dims(pos, tuples=False, none=True, empty="all", extra=_prod_extra)(rng):
        if "dim" in s.kwargs and s.kwargs["dim"] is None:
            continue  # PyTorch's prod takes no dim=None
        yield s


def _ties(rng):
    """2-way ties (even-split gradient matches central differences)."""
    x = arr(rng, 3, 4)
    x[0, 1] = x[0, 3] = np.abs(x[0]).max() + 0.5
    yield Sample((x,), {"dim": 1}, desc="2-way tie in a row", gradgrad=False)
    y = arr(rng, 2, 3)
    y[1, 0] = y[1, 2] = y.max() + 0.5
    yield Sample((y,), desc="2-way tie overall", gradgrad=False)


def _min_ties(rng):
    for s in _ties(rng):
        yield Sample(tuple(-a for a in s.args), s.kwargs, desc=s.desc, gradgrad=False)


def _nan_input(rng, *shape):
    x = arr(rng, *shape)
    x.flat[1] = np.nan
    return x


# -- entries -----------------------------------------------------------------------------------------------
def _logsumexp_extra(rng):
    yield Sample((np.array([[1000.0, 1000.0, 999.0], [-1000.0, -999.0, -1001.0]]),), {"dim": 1},
                 desc="extreme values (stability)")
    yield Sample((np.array([[-np.inf, -np.inf], [0.0, -np.inf]]),), {"dim": 1}, grad=(False,),
                 desc="-inf rows (forward)")
    yield Sample((np.array([[np.inf, 1.0], [np.nan, 1.0]]),), {"dim": 1}, grad=(False,), desc="inf and nan (forward)")
    yield Sample((np.array([[1, 2], [3, 4]]),), {"dim": 0}, desc="int64 input -> default float")


def _var_extra(rng):
    x = arr(rng, 3, 4)
    yield Sample((x,), {"dim": 1, "correction": 0}, desc="correction=0")
    yield Sample((x,), {"dim": 0, "correction": 2, "keepdim": True}, desc="correction=2, keepdim")
    yield Sample((x,), {"dim": 1, "correction": 1.5}, desc="float correction")
    yield Sample((x,), {"dim": (0, 1), "correction": 0}, desc="tuple dim, correction=0")
    yield Sample((x, 1, False), desc="legacy (dim, unbiased=False) positional")
    yield Sample((x, 0, True, True), desc="legacy (dim, unbiased, keepdim) positional")
    yield Sample((x, False), desc="legacy var(x, unbiased=False)")
    yield Sample((x,), {"unbiased": False, "dim": 1}, desc="unbiased keyword")
    yield Sample((arr(rng, 2, 3),), {"dim": 0, "correction": 2}, grad=(False,), desc="correction = n: inf")
    yield Sample((arr(rng, 2, 3),), {"dim": 0, "correction": 5}, grad=(False,), desc="correction > n: inf")
    yield Sample((np.asarray(arr(rng)),), grad=(False,), desc="0-d, correction 1: nan")
    yield Sample((np.asarray(arr(rng)),), {"correction": 0}, desc="0-d, correction 0")


def _reduced_count(shape, dim):
    if dim is None or dim == () or len(shape) == 0:
        return int(np.prod(shape))
    dims = (dim,) if isinstance(dim, int) else dim
    return int(np.prod([shape[d] for d in dims]))


def _var_samples(rng):
    # one element per slice (correction 1) or none give nan: checked for values only
    for s in _dims(tuples=True, none=True, empty="all", scalar=False)(rng):
        if _reduced_count(s.args[0].shape, s.kwargs.get("dim")) <= 1:
            s.grad = (False,)
        yield s
    yield from _var_extra(rng)


def _median_dim_samples(rng):
    # distinct values: the gradient goes to the one selected element
    yield from _dims(tuples=False, none=False, empty="kept")(rng)
    yield Sample((arr(rng, 4, 4),), {"dim": 1}, desc="even length: lower median")
    yield Sample((_nan_input(rng, 3, 4),), {"dim": 1}, grad=(False,), desc="nan in a row")


def _norm_samples(ords, pname):
    def samples(rng):
        nz = lambda rng, *s: away_from(arr(rng, *s), [0.0], 0.2)  # noqa: E731 - |x|^(p-1) is singular at 0
        for p in ords:
            kw = {pname: p}
            yield Sample((nz(rng, 3, 4),), dict(kw), desc=f"{pname}={p}")
            yield Sample((nz(rng, 3, 4),), {**kw, "dim": 1}, desc=f"{pname}={p}, dim=1")
            yield Sample((nz(rng, 2, 3, 4),), {**kw, "dim": (0, -1), "keepdim": True}, desc=f"{pname}={p}, tuple dim")
            yield Sample((np.asarray(nz(rng)),), dict(kw), desc=f"{pname}={p}, 0-d")
            if p in (float("inf"), -float("inf")) or (not isinstance(p, str) and p < 0):
                yield Sample((np.zeros((0, 3)),), {**kw, "dim": 1}, desc=f"{pname}={p}, zero-size kept dim")
            else:
                yield Sample((np.zeros((0, 3)),), {**kw, "dim": 0}, desc=f"{pname}={p}, zero-size reduced dim")
        yield Sample((nz(rng, 2, 3),), {pname: 2, "dim": 0}, desc="p=2 again")
        z = nz(rng, 3, 2)
        z[1] = 0.0
        yield Sample((z,), {pname: 2, "dim": 1}, gradgrad=False, desc="p=2, an all-zero row: subgradient 0")
        t = nz(rng, 2, 3)
        t[0, 0], t[0, 2] = -3.0, 3.0
        yield Sample((t,), {pname: float("inf"), "dim": 1}, gradgrad=False, desc="inf-norm with a +-tie")

    return samples


def _norm_errors(pname, is_norm):
    def errors():
        yield ErrorSample((np.array([1, 2]),), {}, RuntimeError, match="floating point", desc="integer input")
        yield ErrorSample((np.zeros((2, 3)),), {pname: 2, "dim": 2}, IndexError, desc="dim out of range")
        yield ErrorSample((np.zeros((2, 3)),), {pname: 2, "dim": (1, 1)}, RuntimeError, desc="repeated dim")
        yield ErrorSample((np.zeros((0, 3)),), {pname: float("inf")}, RuntimeError, match="empty",
                          desc="inf-norm of an empty tensor")
        yield ErrorSample((np.zeros((0, 3)),), {pname: -1, "dim": 0}, RuntimeError, match="empty",
                          desc="negative p over an empty dim (no identity)")
        if is_norm:
            yield ErrorSample((np.zeros((2, 3)),), {pname: "foo"}, RuntimeError, desc="unknown norm name")
            yield ErrorSample((np.zeros((2, 2, 2)),), {pname: "fro", "dim": (0, 1, 2)}, RuntimeError,
                              desc="fro over 3 dims")
        else:
            yield ErrorSample((np.zeros((2, 3)),), {pname: "fro"}, TypeError, desc="ord given as a string")

    return errors


def _cum_samples(make=arr, extra=None):
    def samples(rng):
        yield Sample((make(rng, 3, 4), 1), desc="dim=1")
        yield Sample((make(rng, 3, 4), -2), desc="negative dim")
        yield Sample((make(rng, 2, 3, 4),), {"dim": 2}, desc="3-d, dim keyword")
        yield Sample((make(rng, 2, 1, 3), 1), desc="size-1 dim")
        yield Sample((make(rng, 5), 0), desc="1-d")
        yield Sample((np.asarray(make(rng)), 0), desc="0-d")
        yield Sample((np.asarray(make(rng)), -1), desc="0-d, dim=-1")
        yield Sample((make(rng, 0, 3), 0), desc="zero-size dim")
        yield Sample((make(rng, 0, 3), 1), desc="zero-size, other dim")
        if extra is not None:
            yield from extra(rng)

    return samples


def _cum_errors():
    def errors():
        x = np.zeros((2, 3))
        yield ErrorSample((x, 2), {}, IndexError, desc="dim out of range")
        yield ErrorSample((x, -3), {}, IndexError, desc="negative dim out of range")
        yield ErrorSample((x, (0,)), {}, TypeError, desc="tuple dim")
        yield ErrorSample((np.zeros(()), 1), {}, IndexError, desc="0-d, dim=1")

    return errors


def _cumprod_extra(rng):
    one, several = _with_zeros(rng)
    yield Sample((one, 1), desc="one zero")
    yield Sample((one, 0), desc="one zero, dim=0")
    yield Sample((several, 1), desc="several zeros")
    yield Sample((np.array([2.0, 0.0, 3.0, 0.0, 5.0, 1.5]), 0), desc="two zeros in 1-d")
    yield Sample((np.array([0.0, 0.0, 2.0]), 0), desc="leading zeros")
    yield Sample((np.array([[1, 2, 0], [3, 4, 5]]), 1), desc="int64 input")


def _distinct(rng, *shape):
    """Distinct values (no ties): selections are then differentiable everywhere."""
    n = int(np.prod(shape)) if shape else 1
    return np.asarray((rng.permutation(n).reshape(shape) * 0.37 - 0.3 * n / 2) + rng.uniform(-0.05, 0.05, size=shape))


def _cummax_extra(rng):
    yield Sample((np.array([1.0, np.nan, 2.0, np.nan, 3.0]), 0), grad=(False,), desc="nan (forward)")
    yield Sample((np.array([[1, 3, 2], [4, 4, 0]]), 1), desc="int64 input")


def _cum_ties(sign):
    def samples(rng):
        yield Sample((sign * np.array([1.0, 3.0, 3.0, 2.0, 5.0, 5.0]), 0), gradgrad=False,
                     desc="ties: the later index wins")
        yield Sample((sign * np.array([[2.0, 2.0, 1.0], [0.5, 4.0, 4.0]]), 1), gradgrad=False, desc="ties, 2-d")

    return samples


def _select_errors(empty_all_error=None):
    def errors():
        yield from _dim_errors(int_dim_only=True, empty_dim=IndexError)()
        if empty_all_error is not None:
            yield ErrorSample((np.zeros((0, 3)),), {}, empty_all_error, desc="zero-size input, no dim")

    return errors


def _mode_samples(rng):
    yield Sample((np.array([[1.0, 2.0, 2.0, 3.0], [4.0, 4.0, 1.0, 1.0], [0.5, 0.25, 0.75, 1.0]]),),
                 desc="default dim=-1: repeated values, equal counts, all distinct")
    yield Sample((np.array([[2.0, 1.0], [2.0, 3.0], [1.0, 3.0]]),), {"dim": 0, "keepdim": True}, desc="dim=0, keepdim")
    yield Sample((np.array(1.5),), {"dim": 0}, desc="0-d")
    yield Sample((np.zeros((0, 3)),), {"dim": 1}, desc="zero-size, kept dim")
    yield Sample((np.array([[1, 1, 2], [3, 2, 2]]),), desc="int64 input")


def _kth_samples(rng):
    yield Sample((_distinct(rng, 3, 5), 2), desc="k=2, last dim")
    yield Sample((_distinct(rng, 3, 5), 1, 0), desc="k=1, dim=0")
    yield Sample((_distinct(rng, 3, 5), 5), {"dim": -1, "keepdim": True}, desc="k=n, keepdim")
    yield Sample((_distinct(rng), 1), desc="0-d")
    yield Sample((_distinct(rng, 0, 3), 2), {"dim": 1}, desc="zero-size, kept dim")


def _kth_errors():
    yield ErrorSample((np.zeros((2, 3)), 4), {}, RuntimeError, match="out of range", desc="k > n")
    yield ErrorSample((np.zeros((2, 3)), 0), {}, RuntimeError, match="out of range", desc="k = 0")
    yield ErrorSample((np.zeros((2, 3)), 1, 2), {}, IndexError, desc="dim out of range")


def _logical_samples(rng):
    b = rng.uniform(size=(3, 4)) < 0.6
    b[0] = True
    yield from (Sample((b,), kw, desc=d) for kw, d in (
        ({}, "bool, all dims"), ({"dim": 1}, "dim=1"), ({"dim": (0, 1), "keepdim": True}, "tuple dim, keepdim"),
        ({"dim": -1, "keepdim": True}, "negative dim, keepdim"), ({"dim": ()}, "dim=(): reduces nothing")))
    f = arr(rng, 3, 4)
    f[1, 2] = 0.0
    yield Sample((f,), {"dim": 0}, desc="float input with a zero")
    yield Sample((np.zeros((0, 3), dtype=bool),), desc="zero-size: identity")
    yield Sample((np.zeros((0, 3), dtype=bool),), {"dim": 0}, desc="zero-size reduced dim")
    yield Sample((np.array(True),), {"dim": 0}, desc="0-d")
    yield Sample((np.array([[0, 2], [3, 0]]),), {"dim": 1}, desc="int64 input")


def _logical_uint8(fn, lib):
    return lambda x, **kw: fn(x.to(_dtype(lib, "uint8")), **kw)


def _nan_samples(mean: bool):
    def samples(rng):
        x = _nan_input(rng, 3, 4)
        x[2, 3] = np.nan
        yield Sample((x,), desc="nan present, all dims")
        yield Sample((x,), {"dim": 1}, desc="dim=1")
        yield Sample((x,), {"dim": (0, 1), "keepdim": True}, desc="tuple dim, keepdim")
        yield Sample((arr(rng, 3, 4),), {"dim": -1}, desc="no nan")
        allnan = arr(rng, 2, 3)
        allnan[0] = np.nan
        # nanmean: PyTorch's gradient there is nan (g/0 * 0), ours 0: values only
        yield Sample((allnan,), {"dim": 1}, desc="an all-nan row", grad=(False,) if mean else None)
        yield Sample((np.asarray(arr(rng)),), desc="0-d")
        yield Sample((np.zeros((0, 3)),), {"dim": 0}, desc="zero-size reduced dim")
        if not mean:
            yield Sample((np.array([[1, 2], [3, 4]]),), {"dim": 0}, desc="int64 input")

    return samples


def _binary_samples(rng):
    a = arr(rng, 3, 4)
    b = away_from(arr(rng, 3, 4), [0.0])
    yield Sample((a, a + b), desc="same shape")
    yield Sample((arr(rng, 3, 1), arr(rng, 4) + 5.0), desc="broadcast")


def _count_samples(rng):
    x = arr(rng, 3, 4)
    x[0, 1] = x[2, 2] = 0.0
    for kw, d in (({}, "all dims"), ({"dim": 1}, "dim=1"), ({"dim": (0, -1)}, "tuple dim"), ({"dim": -2}, "neg")):
        yield Sample((x,), kw, desc=d)
    yield Sample((np.zeros((0, 3)),), {"dim": 0}, desc="zero-size")
    yield Sample((np.array(0.0),), desc="0-d zero")
    yield Sample((np.array([[True, False], [True, True]]),), {"dim": 0}, desc="bool")


_EVEN_SPLIT = "gradient split evenly among ties (PyTorch's amax/evenly_distribute_backward)"
_LOOSE = {"gradcheck_atol": 0.6, "notes": "tie samples: PyTorch sends the gradient to the returned index, finite "
                                          "differences see the average over the tie; checked against PyTorch"}


def _full_select(sign):
    """max()/min() over every element: distinct values, 0-d, and a 2-way tie (even split)."""

    def samples(rng):
        yield Sample((_distinct(rng, 3, 4),), desc="all")
        yield Sample((_distinct(rng),), desc="0-d")
        y = sign * np.array([[0.5, -1.0, 2.0], [2.0, 1.0, -0.25]])
        yield Sample((y,), gradgrad=False, desc="2-way tie")

    return samples


def _tie_select(sign):
    def samples(rng):
        x = sign * np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, -1.0, 0.5]])
        yield Sample((x,), {"dim": 1}, gradgrad=False, desc="2-way ties: first index")
        yield Sample((x.T.copy(),), {"dim": 0, "keepdim": True}, gradgrad=False, desc="2-way ties, dim=0, keepdim")

    return samples


OPS = [
    OpInfo("sum", R.sum, _t("sum"), _with_ints(_dims(extra=None)), _dim_errors()),
    OpInfo("sum.int_dtypes", _cast(R.sum, "tl"), _cast(_t("sum"), "torch"), _int_dtype_samples, differentiable=False),
    OpInfo("sum.dtype_kw", _dtype_kw(R.sum, "tl"), _dtype_kw(_t("sum"), "torch"), _dtype_kw_samples(),
           atol={"float32": 1e-5, "float64": 1e-6}, notes="dtype=float32 sums in float32 even for float64 inputs"),
    OpInfo("mean", R.mean, _t("mean"), _dims(), _dim_errors(int_error=RuntimeError)),
    OpInfo("mean.dtype_kw", _dtype_kw(R.mean, "tl"), _dtype_kw(_t("mean"), "torch"), _dtype_kw_samples(("float64",)),
           lambda: iter([ErrorSample((np.zeros((2, 3)), "int64"), {}, RuntimeError, desc="int dtype"),
                         ErrorSample((np.array([1, 2]), "int32"), {}, RuntimeError, desc="int input, int dtype")])),
    OpInfo("var", R.var, _t("var"), _var_samples, _dim_errors(int_error=RuntimeError)),
    OpInfo("std", R.std, _t("std"), _var_samples, _dim_errors(int_error=RuntimeError),
           notes="samples away from std = 0, where the gradient is masked to 0 as in PyTorch"),
    OpInfo("var_mean", R.var_mean, _t("var_mean"), _var_samples, _dim_errors(int_error=RuntimeError)),
    OpInfo("std_mean", R.std_mean, _t("std_mean"), _var_samples, _dim_errors(int_error=RuntimeError)),
    OpInfo("prod", R.prod, _t("prod"), _with_ints(_prod_samples), _dim_errors(int_dim_only=True)),
    OpInfo("prod.int_dtypes", _cast(R.prod, "tl"), _cast(_t("prod"), "torch"), _int_dtype_samples,
           differentiable=False),
    OpInfo("prod.dtype_kw", _dtype_kw(R.prod, "tl"), _dtype_kw(_t("prod"), "torch"), _dtype_kw_samples()),
    OpInfo("amax", R.amax, _t("amax"), _dims(none=True, empty="kept", extra=_ties), notes=_EVEN_SPLIT,
           error_inputs=_dim_errors(empty_all=RuntimeError, empty_dim=IndexError)),
    OpInfo("amin", R.amin, _t("amin"), _dims(none=True, empty="kept", extra=_min_ties), notes=_EVEN_SPLIT,
           error_inputs=_dim_errors(empty_all=RuntimeError, empty_dim=IndexError)),
    OpInfo("aminmax", R.aminmax, _t("aminmax"),
           lambda rng: iter([Sample((_distinct(rng, 3, 4),), desc="all"),
                             Sample((_distinct(rng, 3, 4),), {"dim": 1, "keepdim": True}, desc="dim=1, keepdim"),
                             Sample((_distinct(rng),), desc="0-d")])),
    OpInfo("max", R.max, _t("max"), _full_select(1.0),
           lambda: iter([ErrorSample((np.zeros((0, 3)),), {}, RuntimeError, desc="empty, no dim"),
                         ErrorSample((np.zeros((2, 3)), 1.0), {}, TypeError, desc="float dim")]),
           notes=_EVEN_SPLIT),
    OpInfo("min", R.min, _t("min"), _full_select(-1.0),
           lambda: iter([ErrorSample((np.zeros((0, 3)),), {}, RuntimeError, desc="empty, no dim")]),
           notes=_EVEN_SPLIT),
    OpInfo("max.dim", R.max, _t("max"), _dims(_distinct, tuples=False, none=False, empty="kept"),
           _select_errors(RuntimeError)),
    OpInfo("min.dim", R.min, _t("min"), _dims(_distinct, tuples=False, none=False, empty="kept"),
           _select_errors(RuntimeError)),
    OpInfo("max.dim_ties", R.max, _t("max"), _tie_select(1.0), **_LOOSE),
    OpInfo("min.dim_ties", R.min, _t("min"), _tie_select(-1.0), **_LOOSE),
    OpInfo("max.binary", R.max, _t("max"), _binary_samples),
    OpInfo("min.binary", R.min, _t("min"), _binary_samples),
    OpInfo("argmax", R.argmax, _t("argmax"),
           _with_ints(_dims(tuples=False, none=True, empty="kept", extra=_tie_select(1.0)), bools=False),
           differentiable=False, error_inputs=_dim_errors(int_dim_only=True, empty_all=IndexError, empty_dim=IndexError,
                                                          bool_error=RuntimeError)),
    OpInfo("argmin", R.argmin, _t("argmin"),
           _with_ints(_dims(tuples=False, none=True, empty="kept", extra=_tie_select(-1.0)), bools=False),
           differentiable=False, error_inputs=_dim_errors(int_dim_only=True, empty_all=IndexError, empty_dim=IndexError,
                                                          bool_error=RuntimeError)),
    OpInfo("logsumexp", R.logsumexp, _t("logsumexp"), _dims(none=False, empty="all", extra=_logsumexp_extra),
           _dim_errors()),
    OpInfo("norm", R.norm, _t("norm"), _norm_samples(("fro", 1, 2, 3, 1.5, 0.5, float("inf"), -float("inf"), 0, -1),
                                                     "p"), _norm_errors("p", True)),
    OpInfo("vector_norm", R.vector_norm, lambda *a, **k: _torch().linalg.vector_norm(*a, **k),
           _norm_samples((2, 1, 4, 1.25, 0.5, float("inf"), -float("inf"), 0, -2), "ord"),
           _norm_errors("ord", False)),
    OpInfo("cumsum", R.cumsum, _t("cumsum"),
           _cum_samples(extra=lambda rng: iter([Sample((np.array([[1, 2], [3, 4]]), 1), desc="int64 input")])),
           _cum_errors()),
    OpInfo("cumsum.int_dtypes", lambda x, name, d: R.cumsum(x.to(_dtype("tl", name)), d),
           lambda x, name, d: _torch().cumsum(x.to(_dtype("torch", name)), d),
           lambda rng: (Sample((s.args[0], s.args[1], 1), desc=s.desc) for s in _int_dtype_samples(rng)),
           differentiable=False),
    OpInfo("cumsum.dtype_kw", lambda x, name, d: R.cumsum(x, d, dtype=_dtype("tl", name)),
           lambda x, name, d: _torch().cumsum(x, d, dtype=_dtype("torch", name)),
           lambda rng: iter([Sample((arr(rng, 3, 4), "float64", 1)),
                             Sample((arr(rng, 3, 4), "int64", 0), grad=(False,))])),
    OpInfo("cumprod", R.cumprod, _t("cumprod"), _cum_samples(extra=_cumprod_extra), _cum_errors()),
    OpInfo("cummax", R.cummax, _t("cummax"), _cum_samples(_distinct, extra=_cummax_extra), _cum_errors()),
    OpInfo("cummin", R.cummin, _t("cummin"),
           _cum_samples(_distinct, extra=lambda rng: (Sample(tuple(-a if isinstance(a, np.ndarray) else a
                                                                     for a in s.args), s.kwargs, desc=s.desc,
                                                               grad=s.grad, gradgrad=s.gradgrad)
                                                        for s in _cummax_extra(rng))),
           _cum_errors()),
    OpInfo("cummax.ties", R.cummax, _t("cummax"), _cum_ties(1.0), **_LOOSE),
    OpInfo("cummin.ties", R.cummin, _t("cummin"), _cum_ties(-1.0), **_LOOSE),
    OpInfo("all", R.all, _t("all"), _logical_samples, _dim_errors(), differentiable=False),
    OpInfo("any", R.any, _t("any"), _logical_samples, _dim_errors(), differentiable=False),
    OpInfo("all.uint8", _logical_uint8(R.all, "tl"), _logical_uint8(_t("all"), "torch"),
           lambda rng: iter([Sample((np.array([[0, 2], [3, 1]]),), {"dim": 1}), Sample((np.array([1, 2]),))]),
           differentiable=False),
    OpInfo("any.uint8", _logical_uint8(R.any, "tl"), _logical_uint8(_t("any"), "torch"),
           lambda rng: iter([Sample((np.array([[0, 0], [3, 1]]),), {"dim": 1}), Sample((np.array([0, 0]),))]),
           differentiable=False),
    OpInfo("count_nonzero", R.count_nonzero, _t("count_nonzero"), _count_samples, _dim_errors(),
           differentiable=False),
    OpInfo("nansum", R.nansum, _t("nansum"), _nan_samples(False), _dim_errors()),
    OpInfo("nanmean", R.nanmean, _t("nanmean"), _nan_samples(True), _dim_errors(int_error=RuntimeError)),
    OpInfo("median", R.median, _t("median"),
           lambda rng: iter([Sample((_distinct(rng, 3, 4),), desc="all, even count: lower median"),
                             Sample((_distinct(rng, 5),), desc="odd count"),
                             Sample((np.array([1.0, 2.0, 2.0, 3.0]),), gradgrad=False, desc="2-way tie at the median"),
                             Sample((_nan_input(rng, 2, 3),), grad=(False,), desc="nan: nan"),
                             Sample((_distinct(rng),), desc="0-d"),
                             Sample((np.zeros((0, 3)),), desc="empty: nan")]), notes=_EVEN_SPLIT),
    OpInfo("median.dim", R.median, _t("median"), _median_dim_samples, _select_errors()),
    OpInfo("nanmedian", R.nanmedian, _t("nanmedian"),
           lambda rng: iter([Sample((_distinct(rng, 3, 4),), desc="all"),
                             Sample((np.array([[1.0, np.nan, 3.0, 0.5], [np.nan, np.nan, 2.0, 4.0]]),),
                                    desc="nan ignored"),
                             Sample((np.array([[1.0, np.nan, 3.0, 0.5], [np.nan, np.nan, 2.0, 4.0]]),), {"dim": 1},
                                    desc="nan ignored, dim=1"),
                             Sample((np.array([[np.nan, np.nan], [1.0, 2.0]]),), {"dim": 1}, grad=(False,),
                                    desc="all-nan row")])),
    OpInfo("mode", R.mode, _t("mode"), _mode_samples, _select_errors(),
           differentiable=False, notes="mode jumps when a value moves: forward parity here, gradient in "
                                       "tests/test_reduce_properties.py"),
    OpInfo("kthvalue", R.kthvalue, _t("kthvalue"), _kth_samples, _kth_errors),
]
