"""In-place ops (`x.exp_()`, `x.clamp_(...)`, `x += y`, `x &= y`, ...) against PyTorch.

Each in-place form must: write the same values as PyTorch into the same tensor object, keep its
dtype, bump the version counter exactly as PyTorch does, refuse a leaf that requires grad, pass
gradients through when applied to a non-leaf, and make a backward that needs the overwritten
values fail with RuntimeError.
"""
from __future__ import annotations

import operator

import numpy as np
import pytest

import tensorlite as tl

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X = RNG.uniform(0.2, 0.9, size=(3, 4))  # inside every unary op's domain (log, asin, acosh after +1, ...)
Y = RNG.uniform(0.5, 1.5, size=(4,))  # broadcasts against X; away from 0 for division


def _pair(arr, dtype="float64", requires_grad=False):
    """The same values as a tensorlite and a PyTorch tensor."""
    arr = np.array(arr, dtype=dtype)
    return (tl.tensor(arr, requires_grad=requires_grad), torch.tensor(arr, requires_grad=requires_grad))


def _same(ours, theirs, rtol=1e-7, atol=1e-10):
    theirs_np = theirs.detach().numpy()
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(np.asarray(ours.detach()), theirs_np, rtol=rtol, atol=atol, equal_nan=True)


# -- values, identity, dtype and version of every in-place method ----------------------------------------
UNARY = ["abs_", "absolute_", "sign_", "sgn_", "exp_", "exp2_", "expm1_", "log_", "log2_", "log10_", "log1p_",
         "sqrt_", "rsqrt_", "sin_", "cos_", "tan_", "asin_", "acos_", "atan_", "sinh_", "cosh_", "tanh_", "asinh_",
         "atanh_", "arcsin_", "arccos_", "arctan_", "arcsinh_", "arctanh_", "reciprocal_", "square_", "erf_",
         "erfc_", "floor_", "ceil_", "trunc_", "fix_", "round_", "frac_", "neg_", "negative_", "logical_not_"]

WITH_ARGS = [
    ("clamp_", (0.3, 0.6), {}), ("clamp_", (), {"min": 0.5}), ("clamp_", (), {"max": 0.5}), ("clip_", (0.3, 0.6), {}),
    ("clamp_min_", (0.5,), {}), ("clamp_max_", (0.5,), {}), ("round_", (), {"decimals": 1}),
    ("add_", ("Y",), {}), ("add_", ("Y",), {"alpha": 2.0}), ("add_", (1.5,), {}), ("sub_", ("Y",), {"alpha": 0.5}),
    ("mul_", ("Y",), {}), ("div_", ("Y",), {}), ("div_", ("Y",), {"rounding_mode": "floor"}),
    ("div_", ("Y",), {"rounding_mode": "trunc"}), ("pow_", (2,), {}), ("pow_", ("Y",), {}),
    ("remainder_", ("Y",), {}), ("fmod_", ("Y",), {}), ("floor_divide_", ("Y",), {}),
    ("atan2_", ("Y",), {}), ("arctan2_", ("Y",), {}), ("hypot_", ("Y",), {}), ("copysign_", (-1.0,), {}),
    ("xlogy_", ("Y",), {}), ("lerp_", ("Y", 0.3), {}), ("lerp_", ("Y", 0.8), {}),
    ("addcmul_", ("Y", "Y"), {"value": 0.5}), ("addcdiv_", ("Y", "Y"), {"value": 2.0}),
    ("eq_", ("Y",), {}), ("ne_", ("Y",), {}), ("lt_", ("Y",), {}), ("le_", (0.5,), {}), ("gt_", ("Y",), {}),
    ("ge_", (0.5,), {}), ("greater_", ("Y",), {}), ("less_equal_", ("Y",), {}), ("not_equal_", ("Y",), {}),
    ("logical_and_", ("Y",), {}), ("logical_or_", ("Y",), {}), ("logical_xor_", ("Y",), {}),
]


def _args(args, lib):
    y = tl.tensor(Y) if lib == "tl" else torch.tensor(Y)
    return tuple(y if a == "Y" else a for a in args)


def _check_inplace(name, args=(), kwargs=None, x=X):
    kwargs = kwargs or {}
    ours, theirs = _pair(x)
    ret = getattr(ours, name)(*_args(args, "tl"), **kwargs)
    getattr(theirs, name)(*_args(args, "torch"), **kwargs)
    assert ret is ours, f"{name} must return the tensor it modified"
    _same(ours, theirs)
    assert ours._version == theirs._version == 1


@pytest.mark.parametrize("name", UNARY)
def test_unary_inplace_matches_torch(name):
    _check_inplace(name)


@pytest.mark.parametrize("name, args, kwargs", WITH_ARGS, ids=[f"{n}{a}{k}" for n, a, k in WITH_ARGS])
def test_inplace_with_arguments_matches_torch(name, args, kwargs):
    _check_inplace(name, args, kwargs)


def test_acosh_inplace():
    _check_inplace("acosh_", x=X + 1.0)
    _check_inplace("arccosh_", x=X + 1.0)


def test_float_power_inplace_needs_float64():
    ours, theirs = _pair(X)
    ours.float_power_(2)
    theirs.float_power_(2)
    _same(ours, theirs)
    ours32 = tl.tensor(X, dtype=tl.float32)
    with pytest.raises(RuntimeError):
        ours32.float_power_(2)
    with pytest.raises(RuntimeError):
        torch.tensor(X, dtype=torch.float32).float_power_(2)


# -- augmented assignment operators ----------------------------------------------------------------------------
AUGMENTED = [
    ("+=", operator.iadd, "float64", 1.5),
    ("-=", operator.isub, "float64", "Y"),
    ("*=", operator.imul, "float64", "Y"),
    ("/=", operator.itruediv, "float64", "Y"),
    ("**=", operator.ipow, "float64", 2),
    ("//=", operator.ifloordiv, "float64", "Y"),
    ("%=", operator.imod, "float64", "Y"),
    ("+= int", operator.iadd, "int64", 3),
    ("*= int", operator.imul, "int64", 2),
    ("**= int", operator.ipow, "int64", 2),
    ("&=", operator.iand, "int64", 6),
    ("|=", operator.ior, "int64", 6),
    ("^=", operator.ixor, "int64", 6),
    ("&= bool", operator.iand, "bool", "B"),
    ("|= bool", operator.ior, "bool", "B"),
    ("^= bool", operator.ixor, "bool", "B"),
    ("<<=", operator.ilshift, "int64", 2),
    (">>=", operator.irshift, "int64", 1),
    ("+= bool", operator.iadd, "bool", "B"),
]


@pytest.mark.parametrize("sym, fn, dtype, other", AUGMENTED, ids=[a[0] for a in AUGMENTED])
def test_augmented_assignment_matches_torch(sym, fn, dtype, other):
    base = {"float64": X, "int64": np.array([[5, -3, 12, 7]]), "bool": np.array([True, False, True, False])}[dtype]
    ours, theirs = _pair(base, dtype)
    o_other, t_other = other, other
    if other == "Y":
        o_other, t_other = tl.tensor(Y), torch.tensor(Y)
    elif other == "B":
        b = np.array([True, True, False, False])
        o_other, t_other = tl.tensor(b), torch.tensor(b)
    before = ours
    ours = fn(ours, o_other)
    theirs = fn(theirs, t_other)
    assert ours is before, f"{sym} must modify the tensor in place"
    _same(ours, theirs)
    assert ours._version == theirs._version == 1


def test_version_counts_every_inplace_op():
    ours, theirs = _pair(X)
    for t in (ours, theirs):
        t.add_(1)
        t += 1
        t.mul_(0.5)
        t.clamp_(0, 1)
        t.exp_()
    assert ours._version == theirs._version == 5
    _same(ours, theirs)


def test_detached_tensor_shares_the_version_counter():
    x = tl.tensor(X)
    d = x.detach()
    d.add_(1)
    assert x._version == 1
    np.testing.assert_allclose(np.asarray(x), X + 1)


# -- dtype and shape errors --------------------------------------------------------------------------------------
ERRORS = [
    ("exp_ on int64", lambda lib: lib.tensor([1, 2]).exp_()),
    ("/= on int64", lambda lib: operator.itruediv(lib.tensor([1, 2]), 2)),
    ("+= float on int64", lambda lib: operator.iadd(lib.tensor([1, 2]), 1.5)),
    ("+= int on bool", lambda lib: operator.iadd(lib.tensor([True, False]), 1)),
    ("clamp_ float on int64", lambda lib: lib.tensor([1, 2]).clamp_(0.5)),
    ("add_ broadcasting to a larger shape", lambda lib: lib.zeros(3).add_(lib.ones(2, 3))),
    ("&= on float", lambda lib: operator.iand(lib.ones(3), lib.ones(3))),
]


@pytest.mark.parametrize("desc, fn", ERRORS, ids=[e[0] for e in ERRORS])
def test_inplace_errors_match_torch(desc, fn):
    with pytest.raises(RuntimeError):
        fn(torch)
    with pytest.raises(RuntimeError):
        fn(tl)


# -- autograd ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["exp_", "add_", "mul_", "clamp_", "sigmoid_"])
def test_inplace_on_leaf_requiring_grad_raises(name):
    args = {"exp_": (), "add_": (1.0,), "mul_": (2.0,), "clamp_": (0.0, 1.0), "sigmoid_": ()}[name]
    for lib in (torch, tl):
        x = lib.ones(3, requires_grad=True)
        if not hasattr(x, name):
            pytest.skip(f"{name} not available")
        with pytest.raises(RuntimeError):
            getattr(x, name)(*args)
    x = tl.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError):
        x += 1


def test_inplace_on_leaf_under_no_grad_is_allowed():
    x = tl.ones(3, requires_grad=True)
    with tl.no_grad():
        x.mul_(2)
    assert x.is_leaf and x.requires_grad and x._version == 1
    np.testing.assert_allclose(np.asarray(x.detach()), 2.0)


CHAINS = [
    ("exp_", lambda y, lib: y.exp_()),
    ("mul_ by tensor", lambda y, lib: y.mul_(lib.tensor(Y))),
    ("clamp_", lambda y, lib: y.clamp_(0.7, 1.4)),
    ("+= then sin_", lambda y, lib: operator.iadd(y, 1.0).sin_()),
    ("div_ then pow_", lambda y, lib: y.div_(lib.tensor(Y)).pow_(2)),
    ("sin_ twice", lambda y, lib: y.sin_().sin_()),
    ("mul_ then tanh_", lambda y, lib: y.mul_(3.0).tanh_()),
    ("lerp_", lambda y, lib: y.lerp_(lib.tensor(Y), 0.25)),
    ("addcmul_", lambda y, lib: y.addcmul_(lib.tensor(Y), lib.tensor(Y), value=0.5)),
]


@pytest.mark.parametrize("desc, chain", CHAINS, ids=[c[0] for c in CHAINS])
def test_gradient_through_inplace_on_non_leaf_matches_torch(desc, chain):
    w = RNG.uniform(-1, 1, size=X.shape)
    grads = []
    for lib in (tl, torch):
        x = lib.tensor(X, requires_grad=True)
        y = x * 2.0  # a non-leaf
        out = chain(y, lib)
        assert out is y and not y.is_leaf and y.requires_grad
        y.backward(lib.tensor(w))
        grads.append((y, x.grad))
    (ours_y, ours_g), (theirs_y, theirs_g) = grads
    _same(ours_y, theirs_y)
    _same(ours_g, theirs_g)


def test_inplace_with_grad_argument_makes_the_target_require_grad():
    results = []
    for lib in (tl, torch):
        a = lib.zeros(3)
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        a.add_(x * x)
        assert a.requires_grad and not a.is_leaf
        a.backward(lib.ones(3))
        results.append(x.grad)
    _same(*results)


def test_second_order_gradient_through_inplace():
    results = []
    for lib in (tl, torch):
        x = lib.tensor([0.3, -0.7, 1.1], requires_grad=True)
        y = x * 1.0
        y.sin_()
        (g,) = (tl.autograd.grad if lib is tl else torch.autograd.grad)(y, x, lib.ones(3), create_graph=True)
        g.backward(lib.ones(3))
        results.append(x.grad)
    _same(*results)


SAVED = [
    # (what, forward making `out` from the non-leaf y, in-place change to y that backward of `out` needs)
    ("output saved by exp, then add_", lambda y: y.exp_(), lambda y: y.add_(1.0)),
    ("input saved by sin, then mul_", lambda y: y.sin(), lambda y: y.mul_(2.0)),
    ("input saved by mul, then clamp_", lambda y: y * y, lambda y: y.clamp_(0.0, 0.5)),
    ("input saved by pow, then +=", lambda y: y ** 3, lambda y: operator.iadd(y, 1.0)),
    ("output saved by tanh_, then tanh_ again", lambda y: y.tanh_(), lambda y: y.tanh_()),
]


@pytest.mark.parametrize("desc, forward, modify", SAVED, ids=[s[0] for s in SAVED])
def test_modifying_a_tensor_saved_for_backward_raises_at_backward(desc, forward, modify):
    for lib in (torch, tl):
        x = lib.tensor(X, requires_grad=True)
        y = x * 1.0
        out = forward(y)
        modify(y)  # forward still works...
        with pytest.raises(RuntimeError):
            out.backward(lib.ones_like(out))  # ...but backward needs the overwritten values


def test_inplace_on_tensor_not_saved_is_fine():
    results = []
    for lib in (tl, torch):
        x = lib.tensor(X, requires_grad=True)
        y = x + 1.0  # add saves nothing
        y.mul_(3.0)
        y.backward(lib.ones_like(y))
        results.append(x.grad)
    _same(*results)


def test_inplace_comparison_results_have_no_grad_history():
    x = tl.tensor(X, requires_grad=True)
    y = x * 1.0
    y.gt_(0.5)
    t = torch.tensor(X, requires_grad=True)
    u = t * 1.0
    u.gt_(0.5)
    _same(y, u)
    y.backward(tl.ones_like(y))
    u.backward(torch.ones_like(u))
    _same(x.grad, t.grad)  # zero: a comparison's gradient is 0
