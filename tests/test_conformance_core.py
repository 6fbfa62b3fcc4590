"""Conformance of the core API (Tensor, creation, indexing, reductions, shape ops, promotion, autograd) with PyTorch.

Most cases are one expression written against a module `M`: it runs once with M = torch and once with
M = tensorlite, and the two results must agree (type, dtype, shape and values, recursively through
tuples and namedtuples), or both must raise the same kind of exception. Random draws are compared
by shape and dtype only.
"""
import math
import warnings

import numpy as np
import pytest

import tensorlite as tl

torch = pytest.importorskip("torch")


# -- the comparison harness ---------------------------------------------------------------------------------
def _norm(r):
    """A result in a module-neutral form: tensors as (dtype name, shape, array), tuples recursively."""
    if isinstance(r, (torch.Tensor, tl.Tensor)):
        return ("T", str(r.dtype).split(".")[-1], tuple(r.shape), r.detach().numpy())
    if isinstance(r, (torch.dtype, tl.dtype)):
        return ("dtype", str(r).split(".")[-1])
    if isinstance(r, tuple) and (hasattr(r, "_fields") or hasattr(type(r), "__match_args__")):
        fields = getattr(r, "_fields", None) or type(r).__match_args__
        return ("NT", tuple(fields), tuple(_norm(x) for x in r))
    if isinstance(r, (list, tuple)):
        return ("seq", tuple(_norm(x) for x in r))
    return ("V", r)


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.dtype.kind == "f":
            return np.allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True)
        return np.array_equal(a, b)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-6)
    return type(a) is type(b) and a == b


def _builtin_exc(e: BaseException) -> type:
    """The built-in exception class PyTorch's (possibly private) class derives from."""
    return next(c for c in type(e).__mro__ if c.__module__ == "builtins")


def _run(src: str, M, env: dict):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return eval(src, {"M": M, "np": np, **env})


def check(src: str, **env) -> None:
    """Evaluate `src` with M = torch and M = tensorlite; results (or exception kinds) must agree."""
    try:
        expected, err = _norm(_run(src, torch, env)), None
    except Exception as e:  # noqa: BLE001 - any exception is part of the contract
        expected, err = None, e
    if err is not None:
        with pytest.raises(_builtin_exc(err)):
            _run(src, tl, env)
        return
    got = _norm(_run(src, tl, env))
    assert _same(expected, got), f"{src}\n torch: {expected}\n tensorlite: {got}"


# -- creation -------------------------------------------------------------------------------------------------
CREATION = """
M.tensor(1.5)
M.tensor(3)
M.tensor(True)
M.tensor([1, 2.5])
M.tensor([True, 1])
M.tensor([[1, 2], [3, 4]])
M.tensor([])
M.tensor([[]])
M.tensor([[1, 2], [3]])
M.tensor([M.tensor(1.), M.tensor(2.)])
M.tensor(np.array([1, 2], dtype=np.int32))
M.tensor(np.float64(2.0))
M.tensor([1, 2], dtype=M.bool)
M.tensor('a')
M.tensor(None)
M.tensor([1, None])
M.tensor((1, 2))
M.tensor(range(3))
M.tensor([1.5], dtype=M.int64)
M.as_tensor([1, 2])
M.as_tensor(np.array([1, 2]), dtype=M.float32)
M.asarray([1., 2], dtype=M.float64)
M.from_numpy(np.array([1, 2], dtype=np.int16))
M.from_numpy([1, 2])
M.zeros(2, 3)
M.zeros((2, 3))
M.zeros([2, 3], dtype=M.int32)
M.zeros(())
M.zeros(-1)
M.ones(2, dtype=M.bool)
M.full((2,), 3)
M.full((2,), 3.0)
M.full((2,), True)
M.full((2,), 3, dtype=M.float32)
M.full((), 7)
M.empty(2, 3).shape
M.empty((2, 3), dtype=M.int64).dtype
M.Tensor([1, 2])
M.Tensor(2, 3).shape
M.Tensor().shape
M.arange(5)
M.arange(1, 4)
M.arange(0, 1, 0.1)
M.arange(0, 1, 0.3)
M.arange(1.0, 4)
M.arange(5, 0, -1)
M.arange(10, 0, -3)
M.arange(0, 5, -1)
M.arange(0, 5, 0)
M.arange(0, 0)
M.arange(5, dtype=M.float32)
M.arange(0.5, 3, dtype=M.int64)
M.arange(M.tensor(3))
M.arange(-3, 3, 0.7)
M.linspace(0, 1, 5)
M.linspace(0, 1, steps=5)
M.linspace(0, 1)
M.linspace(0, 10, 5, dtype=M.int64)
M.linspace(0, 1, 1)
M.linspace(0, 1, -1)
M.logspace(0, 2, 3)
M.logspace(0, 2, 3, base=2)
M.logspace(0, 2)
M.eye(3)
M.eye(2, 3)
M.eye(3, m=2)
M.eye(3, dtype=M.int64)
M.eye(-1)
M.zeros_like(M.tensor([1, 2]))
M.zeros_like(M.tensor([1, 2]), dtype=M.float32)
M.ones_like(M.tensor([1., 2]), dtype=M.int32)
M.full_like(M.tensor([1, 2]), 2.7)
M.full_like(M.tensor([1., 2]), 2, dtype=M.int64)
M.empty_like(M.zeros(2, dtype=M.int32)).dtype
M.rand_like(M.zeros(2, 3, dtype=M.float64)).dtype
M.rand_like(M.zeros(2, dtype=M.int64))
M.randn_like(M.zeros(2, dtype=M.int64))
M.randn_like(M.zeros(2), dtype=M.float64).dtype
M.randint_like(M.zeros(2, 3), 5).dtype
M.randint_like(M.zeros(2, 3), 3, 5).shape
M.randint_like(M.zeros(2, 3, dtype=M.int32), high=5).dtype
M.randint(5, (3,)).dtype
M.randint(2, 5, (3, 2)).shape
M.randint(2, 5, size=(3, 2)).shape
M.randint(low=2, high=5, size=(3, 2)).shape
M.randint(high=5, size=(3,)).shape
M.randint(5, size=(3,)).shape
M.randint(5, [3]).shape
M.randint(5, 3)
M.randint(5, (3,), dtype=M.float32).dtype
M.randint(5, 5, (3,))
M.rand(2, 3).shape
M.rand((2, 3)).shape
M.rand([2, 3]).shape
M.rand(size=(2, 3)).shape
M.randn(size=(2, 3)).shape
M.rand(()).shape
M.rand(M.Size([2, 3])).shape
M.rand(2, 3, dtype=M.float64).dtype
M.rand(2, dtype=M.int64)
M.randperm(5).dtype
M.tril_indices(3, 3)
M.tril_indices(3, 4, 1)
M.tril_indices(4, 3, -2)
M.triu_indices(3, 3)
M.triu_indices(4, 3, -1)
M.triu_indices(3, 5, 2)
M.tril_indices(3, 3, dtype=M.int32)
M.tril_indices(0, 3)
M.scalar_tensor(3)
M.tensor([1., 2], requires_grad=True)
M.tensor([1, 2], requires_grad=True)
M.ones(2, dtype=M.int64, requires_grad=True)
M.zeros(2, requires_grad=True).requires_grad
type(M.manual_seed(0)).__name__
M.Generator().manual_seed(3).initial_seed()
M.rand(2, generator=M.Generator().manual_seed(1)).shape
M.randint(0, 5, (2,), generator=M.Generator().manual_seed(1)).shape
M.Generator(device='cpu').device.type
M.get_rng_state().dtype
M.normal(0., 1., (2, 3)).shape
M.normal(M.zeros(3), M.ones(3)).dtype
M.bernoulli(M.full((3,), 0.5)).dtype
M.multinomial(M.tensor([0.2, 0.8]), 3, replacement=True).shape
M.poisson(M.ones(3)).shape
M.poisson(M.ones(3, dtype=M.float64)).dtype
M.zeros(2, 3).contiguous(memory_format=M.contiguous_format).shape
M.tensor([1.5]).clone(memory_format=M.preserve_format)
"""


@pytest.mark.parametrize("src", [s for s in CREATION.strip().splitlines()])
def test_creation(src):
    check(src)


def test_seeded_generators_repeat():
    g = tl.Generator()
    assert tl.equal(tl.rand(3, generator=g.manual_seed(1)), tl.rand(3, generator=g.manual_seed(1)))
    state = tl.get_rng_state()
    a = tl.randn(4)
    tl.set_rng_state(state)
    assert tl.equal(a, tl.randn(4))


# -- random fills in place ----------------------------------------------------------------------------------
RANDOM_FILLS = """
M.zeros(3).uniform_().shape
M.zeros(3, dtype=M.float64).uniform_(2, 3).dtype
M.zeros(3).uniform_(3, 2)
M.zeros(3, dtype=M.int64).uniform_()
M.zeros(3).normal_(0, 1).shape
M.zeros(3).normal_(mean=5, std=0.1).shape
M.zeros(3, dtype=M.int32).normal_()
M.zeros(3, dtype=M.int64).random_(0, 10).dtype
M.zeros(3).random_(10).shape
M.zeros(3).random_(5, 5)
M.zeros(3).bernoulli_(0.5).dtype
M.zeros(3, dtype=M.int64).bernoulli_(M.full((3,), 0.5)).dtype
M.zeros(3).exponential_().shape
M.zeros(3).geometric_(0.5).shape
M.zeros(3).log_normal_().shape
M.zeros(3).cauchy_().shape
M.zeros(3, requires_grad=True).normal_()
"""


@pytest.mark.parametrize("src", RANDOM_FILLS.strip().splitlines())
def test_random_fills(src):
    check(src)


def test_random_fill_ranges_and_autograd():
    tl.manual_seed(0)
    assert (tl.zeros(1000).uniform_(2, 3) >= 2).all() and (tl.zeros(1000).uniform_(2, 3) < 3).all()
    r = tl.zeros(1000, dtype=tl.int64).random_(3, 7)
    assert r.min().item() == 3 and r.max().item() == 6
    assert set(tl.zeros(100).random_(2).tolist()) == {0.0, 1.0}
    assert abs(tl.zeros(10000).normal_(5, 0.1).mean().item() - 5) < 0.01
    assert set(tl.zeros(100).bernoulli_(tl.tensor(1.0)).tolist()) == {1.0}
    assert (tl.zeros(100, dtype=tl.int64).geometric_(0.5) >= 1).all()
    x = tl.ones(3, requires_grad=True)
    y = x * 2
    y.uniform_()  # a non-leaf: its old history gets a zero gradient, as in PyTorch
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    with tl.no_grad():
        x.normal_()
    assert x.requires_grad and x.is_leaf


# -- Tensor attributes and conversions --------------------------------------------------------------------------
TENSOR_API = """
M.zeros(2, 3).size()
M.zeros(2, 3).size(-1)
M.zeros(2, 3).size(2)
M.zeros(2, 3).size(dim=0)
M.zeros(2, 3).dim()
M.zeros(2, 3).ndim
M.zeros(2, 3).numel()
M.zeros(2, 3).nelement()
M.zeros(2, 3, dtype=M.int16).element_size()
M.zeros(2, 3).stride()
M.zeros(2, 3).stride(-1)
M.zeros(2, 3).t().stride()
M.zeros(2, 3).t().is_contiguous()
M.zeros(4)[::2].stride()
M.zeros(3, 4).expand(2, 3, 4).stride()
M.zeros(4).storage_offset()
M.zeros(4)[1:].storage_offset()
M.zeros(3, 4)[1:, 2:].storage_offset()
M.arange(12.).reshape(3, 4).t()[1].storage_offset()
M.arange(12.).reshape(3, 4)[2].view(2, 2).storage_offset()
M.tensor(3).stride()
M.tensor(3).size(0)
M.tensor(3).size(1)
M.zeros(2, 3).item()
M.tensor([2.5]).item()
M.tensor([[3]]).item()
M.zeros(0).item()
M.tensor([1, 2]).tolist()
M.tensor(2).tolist()
M.zeros(2, requires_grad=True).numpy()
len(M.tensor(1.))
len(M.zeros(3, 2))
bool(M.tensor([1, 2]))
bool(M.tensor([]))
bool(M.tensor([0.]))
M.tensor([1, 2]).is_nonzero()
M.tensor([3]).is_nonzero()
M.is_nonzero(M.tensor(0.))
[1, 2, 3][M.tensor(1)]
[1, 2, 3][M.tensor(1.)]
[1, 2, 3][M.tensor([1])]
int(M.tensor(2.7))
int(M.tensor([2.7, 1]))
float(M.tensor(3))
float(M.tensor([3, 4]))
list(iter(M.tensor(1)))
list(M.tensor([1, 2]))
f'{M.tensor(2)}'
f'{M.tensor(2.5):.3f}'
'{:>6}'.format(M.tensor(7))
M.tensor([1, 2]).float()
M.tensor([1.7, -2.7]).long()
M.tensor([1.7, -2.7]).int()
M.tensor([1, 0]).bool()
M.tensor([1.5]).double()
M.tensor([1.5]).half()
M.tensor([1.5]).to(M.int64)
M.tensor([1.5]).to(dtype=M.float64)
M.tensor([1.5]).to('cpu', M.float64)
M.tensor([1.5]).to(M.tensor([1])).dtype
M.tensor([1.5]).type(M.float64)
M.tensor([1.5]).type_as(M.tensor([1]))
M.tensor([1, 2]).type_as(M.zeros(1, dtype=M.float64))
M.tensor([1.5]).is_signed()
M.tensor([1], dtype=M.uint8).is_signed()
M.tensor([True]).is_signed()
M.tensor([1.5]).is_complex()
M.is_complex(M.tensor([1]))
M.is_floating_point(M.zeros(2))
M.is_floating_point(M.zeros(2, dtype=M.int64))
M.tensor([1.5]).new_zeros(2, 3)
M.tensor([1.5]).new_zeros((2, 3))
M.tensor([1]).new_ones(2)
M.tensor([1.5]).new_ones((2,), dtype=M.int64)
M.tensor([1.5]).new_full((2,), 3)
M.tensor([1]).new_full((2,), 3.7)
M.tensor([1.5]).new_tensor([1, 2])
M.tensor([1]).new_tensor([1.5, 2])
M.tensor([1.5], dtype=M.float64).new_tensor([1, 2], dtype=M.int32)
M.tensor([1.5]).new_empty(2, 3).shape
M.zeros(2, 3).new(2, 3).shape
M.zeros(2, 3, dtype=M.int64).new([1, 2])
M.zeros(2, dtype=M.float64).new().shape
M.zeros(2).new(M.Size([2, 1])).shape
M.tensor([1.5]).new_zeros(2, requires_grad=True).requires_grad
M.tensor([1.5], requires_grad=True).clone().requires_grad
M.tensor([1.5], requires_grad=True).clone().is_leaf
M.tensor([1.5], requires_grad=True).detach().requires_grad
M.tensor([1.5], requires_grad=True).is_leaf
M.tensor([1.5]).is_leaf
(M.tensor([1.5], requires_grad=True) * 2).is_leaf
(M.tensor([1.5]) * 2).is_leaf
M.tensor([1]).requires_grad_()
M.tensor([1.]).requires_grad_(False).requires_grad
(M.tensor([1.], requires_grad=True) * 2).requires_grad_(False)
M.tensor([1.]).retain_grad()
M.zeros(2, 3).T.shape
M.zeros(2, 3, 4).mT.shape
M.zeros(2).fill_(3).tolist()
M.zeros(2, dtype=M.int64).fill_(3.7).tolist()
M.zeros(2).copy_(M.tensor([1, 2]))
M.zeros(2).copy_(M.tensor([1, 2, 3]))
M.zeros(2, dtype=M.int64).copy_(M.tensor([1.7, 2]))
repr(M.tensor([1., 2.])).split('(')[0]
repr(M.tensor([1., 2.], requires_grad=True)).split(',')[-1]
repr(M.tensor([1, 2], dtype=M.int32)).split('dtype=')[-1].split('.')[-1]
str(M.tensor(3.5)).startswith('tensor(3.5')
"""


@pytest.mark.parametrize("src", TENSOR_API.strip().splitlines())
def test_tensor_api(src):
    check(src)


def test_ndarray_operands_act_as_tensors():
    t = tl.tensor([1., 2.])
    for r in (t + np.array([1., 2.]), np.array([1., 2.]) - t, t * np.array([[1.], [2.]]), t > np.array([0., 3.]),
              np.array([0., 3.]) <= t):
        assert isinstance(r, tl.Tensor)
    assert (np.array([3., 4.]) - t).tolist() == [2.0, 2.0]
    assert (t == np.array([1., 0.])).tolist() == [True, False]


# -- autograd ---------------------------------------------------------------------------------------------------
def _autograd_case(M, case: str):  # noqa: C901 - one small scenario per branch
    x = M.tensor([1., 2., 3.], requires_grad=True)
    if case == "nonscalar_backward":
        (x * 2).backward()
    if case == "accumulate":
        (x * 2).sum().backward()
        (x * 3).sum().backward()
        return x.grad
    if case == "retain_grad":
        y = x * 2
        y.retain_grad()
        y.sum().backward()
        return y.grad, y.retains_grad
    if case == "backward_twice":
        y = (x * x).sum()
        y.backward()
        y.backward()
    if case == "backward_twice_retained":
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad
    if case == "backward_gradient":
        (x * 2).backward(M.tensor([1., 0., 2.]))
        return x.grad
    if case == "backward_int_gradient":
        (x * 2).backward(M.tensor([1, 1, 1]))
        return x.grad
    if case == "backward_gradient_shape":
        (x * 2).backward(M.ones(2))
    if case == "backward_inputs":
        z = M.tensor([1.], requires_grad=True)
        (x.sum() * z).sum().backward(inputs=[z])
        return x.grad, z.grad
    if case == "backward_no_grad_fn":
        M.tensor([1.]).sum().backward()
    if case == "grad_unused":
        z = M.tensor([1.], requires_grad=True)
        return M.autograd.grad((x * 2).sum(), [x, z])
    if case == "grad_allow_unused":
        z = M.tensor([1.], requires_grad=True)
        return M.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
    if case == "grad_materialize":
        z = M.tensor([1.], requires_grad=True)
        return M.autograd.grad((x * 2).sum(), [x, z], materialize_grads=True)
    if case == "grad_materialize_not_allowed":
        z = M.tensor([1.], requires_grad=True)
        return M.autograd.grad((x * 2).sum(), [x, z], allow_unused=False, materialize_grads=True)
    if case == "grad_create_graph":
        g, = M.autograd.grad((x ** 3).sum(), x, create_graph=True)
        return g.requires_grad, M.autograd.grad(g.sum(), x)
    if case == "grad_no_create_graph":
        g, = M.autograd.grad((x ** 3).sum(), x)
        return g.requires_grad, g.grad_fn is None, x.grad
    if case == "grad_freed_graph":
        y = (x ** 3).sum()
        M.autograd.grad(y, x)
        return M.autograd.grad(y, x)
    if case == "grad_retain_graph":
        y = (x ** 3).sum()
        M.autograd.grad(y, x, retain_graph=True)
        return M.autograd.grad(y, x)
    if case == "grad_outputs":
        return M.autograd.grad(x * 2, x, grad_outputs=M.ones(3))
    if case == "grad_outputs_int":
        return M.autograd.grad(x.sum(), x, grad_outputs=M.tensor(2))
    if case == "grad_not_requiring":
        return M.autograd.grad((x.detach() * 2).sum(), x)
    if case == "grad_list_outputs":
        return M.autograd.grad([x.sum(), (x * 2).sum()], [x])
    if case == "grad_empty_inputs":
        return M.autograd.grad(x.sum(), [])
    if case == "autograd_backward":
        M.autograd.backward([x * 2], [M.ones(3)])
        return x.grad
    if case == "inplace_leaf":
        x.add_(1)
    if case == "inplace_leaf_no_grad":
        with M.no_grad():
            x.add_(1)
        return x, x.requires_grad, x.is_leaf
    if case == "setitem_leaf":
        x[0] = 5
    if case == "setitem_grad":
        y = x.clone()
        y[0] = x[1] * 3
        y.sum().backward()
        return x.grad
    if case == "setitem_value_grad":
        y = M.zeros(3)
        v = M.tensor(2., requires_grad=True)
        y[1:] = v
        y.sum().backward()
        return v.grad, y.requires_grad, y.is_leaf
    if case == "copy_grad":
        y = M.zeros(3)
        y.copy_(x)
        y.sum().backward()
        return x.grad, y.requires_grad, y.is_leaf
    if case == "hook":
        x.register_hook(lambda g: g * 2)
        (x * 1).sum().backward()
        return x.grad
    if case == "detach_shares_memory":
        d = x.detach()
        d[0] = 10
        return x
    if case == "detach_":
        y = x * 2
        y.detach_()
        return y.requires_grad, y.is_leaf
    if case == "nonleaf_requires_grad_false":
        y = x * 2
        y.requires_grad = False
    if case == "int_requires_grad":
        return M.tensor([1, 2]).requires_grad_(True)
    raise AssertionError(case)


AUTOGRAD_CASES = [
    "nonscalar_backward", "accumulate", "retain_grad", "backward_twice", "backward_twice_retained",
    "backward_gradient", "backward_int_gradient", "backward_gradient_shape", "backward_inputs", "backward_no_grad_fn",
    "grad_unused", "grad_allow_unused", "grad_materialize", "grad_materialize_not_allowed", "grad_create_graph",
    "grad_no_create_graph", "grad_freed_graph", "grad_retain_graph", "grad_outputs", "grad_outputs_int",
    "grad_not_requiring", "grad_list_outputs", "grad_empty_inputs", "autograd_backward", "inplace_leaf",
    "inplace_leaf_no_grad", "setitem_leaf", "setitem_grad", "setitem_value_grad", "copy_grad", "hook",
    "detach_shares_memory", "detach_", "nonleaf_requires_grad_false", "int_requires_grad",
]


@pytest.mark.parametrize("case", AUTOGRAD_CASES)
def test_autograd(case):
    check("f(M, case)", f=_autograd_case, case=case)


def test_implicit_grad_message():
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (tl.ones(2, requires_grad=True) * 2).backward()


def _grad_mode_case(M, case: str):
    x = M.ones(2, requires_grad=True)
    if case == "no_grad_ctx":
        with M.no_grad():
            y = x * 2
        return y.requires_grad, M.is_grad_enabled()
    if case == "no_grad_decorator":
        return M.no_grad()(lambda: (x * 2).requires_grad)(), M.is_grad_enabled()
    if case == "no_grad_bare_decorator":
        return M.no_grad(lambda: (x * 2).requires_grad)(), M.is_grad_enabled()
    if case == "enable_grad_in_no_grad":
        with M.no_grad():
            with M.enable_grad():
                return (x * 2).requires_grad
    if case == "enable_grad_bare_decorator":
        f = M.enable_grad(lambda: (x * 2).requires_grad)
        with M.no_grad():
            return f(), M.is_grad_enabled()
    if case == "set_grad_enabled_ctx":
        with M.set_grad_enabled(False):
            y = x * 2
        return y.requires_grad, M.is_grad_enabled()
    if case == "set_grad_enabled_call":
        M.set_grad_enabled(False)
        off = M.is_grad_enabled()
        M.set_grad_enabled(True)
        return off, M.is_grad_enabled()
    if case == "set_grad_enabled_decorator":
        return M.set_grad_enabled(False)(lambda: M.is_grad_enabled())(), M.is_grad_enabled()
    if case == "set_grad_enabled_bad_type":
        M.set_grad_enabled(None)
    if case == "inference_mode":
        with M.inference_mode():
            y = x * 2
            inside = M.is_inference_mode_enabled()
        return y.requires_grad, inside, M.is_inference_mode_enabled(), M.is_grad_enabled()
    if case == "inference_mode_false":
        with M.inference_mode(False):
            return (x * 2).requires_grad, M.is_inference_mode_enabled()
    if case == "inference_mode_decorators":
        f = M.inference_mode()(lambda: (x * 2).requires_grad)
        g = M.inference_mode(lambda: M.is_inference_mode_enabled())
        return f(), g(), M.is_grad_enabled()
    if case == "restored_after_exception":
        try:
            with M.no_grad():
                raise ValueError
        except ValueError:
            pass
        return M.is_grad_enabled()
    if case == "decorated_generator":
        @M.no_grad()
        def gen():
            yield M.is_grad_enabled()
            yield M.is_grad_enabled()

        it = gen()
        first = next(it)
        between = M.is_grad_enabled()
        return first, between, next(it)
    raise AssertionError(case)


GRAD_MODE_CASES = ["no_grad_ctx", "no_grad_decorator", "no_grad_bare_decorator", "enable_grad_in_no_grad",
                   "enable_grad_bare_decorator", "set_grad_enabled_ctx", "set_grad_enabled_call",
                   "set_grad_enabled_decorator", "set_grad_enabled_bad_type", "inference_mode",
                   "inference_mode_false", "inference_mode_decorators", "restored_after_exception",
                   "decorated_generator"]


@pytest.mark.parametrize("case", GRAD_MODE_CASES)
def test_grad_modes(case):
    try:
        check("f(M, case)", f=_grad_mode_case, case=case)
    finally:
        torch.set_grad_enabled(True)
        tl.set_grad_enabled(True)


# -- indexing -----------------------------------------------------------------------------------------------------
def _setitem(M, key, value, shape=(3, 4)):
    x = M.arange(float(np.prod(shape))).reshape(shape)
    x[key] = value
    return x


INDEXING = """
X[1]
X[-1, 2]
X[3]
X[-4]
X[:, 4]
X[1:3, ::2]
X[::-1]
X[None].shape
X[..., None].shape
X[..., 1]
X[..., None, 1:]
X[[0, 2]]
X[[0, 2], [1, 3]]
X[M.tensor([0, 2])]
X[M.tensor([[0, 2], [1, 1]])]
X[M.tensor([0, 3])]
X[M.tensor([0, -3])]
X[[0, 5]]
X[:, [0, 5]]
X[M.tensor([True, False, True])]
X[M.tensor([True, False])]
X[X > 5]
X[M.tensor(1)]
X[M.tensor([1.])]
X[1.0]
X[M.tensor(True)].shape
X[M.tensor(False)].shape
X[None, [0, 1], None, [1, 2]].shape
M.arange(24.).reshape(2, 3, 4)[:, [0, 1], [1, 2]].shape
M.arange(24.).reshape(2, 3, 4)[[0, 1], :, [1, 2]].shape
M.arange(24.).reshape(2, 3, 4)[0, :, [1, 2]].shape
X[1, 2, 3]
X[M.tensor([], dtype=M.int64)].shape
X[10:20].shape
M.tensor(5.)[None].shape
M.tensor(5.)[0]
X[M.tensor([0, 2], dtype=M.int32)]
S(M, 1, 5.)
S(M, (slice(None), 1), M.tensor([1., 2, 3]))
S(M, (slice(None), 1), M.tensor([1., 2]))
S(M, 1, M.tensor([[1., 2, 3, 4]]))
S(M, 1, M.tensor([[[1., 2, 3, 4]]]))
S(M, M.tensor([0, 2]), 7.)
S(M, (M.tensor([0, 2]), M.tensor([1, 3])), M.tensor([7., 8]))
S(M, 5, 1.)
S(M, M.tensor([5]), 1.)
S(M, X > 5, 0.)
S(M, X > 5, M.tensor([1., 2, 3, 4, 5, 6]))
S(M, X > 5, M.tensor([1., 2]))
S(M, M.tensor([True, False, True]), M.tensor([1., 2, 3, 4]))
S(M, Ellipsis, 2)
S(M, slice(None, None, -1), 2)
S(M, 1, M.tensor([1, 2, 3, 4]))
X.index_select(0, M.tensor([2, 0]))
X.index_select(-1, M.tensor([3]))
X.index_select(0, M.tensor([3]))
X.index_select(0, M.tensor([[1]]))
X.index_select(0, M.tensor([1.]))
M.index_select(X, 1, M.tensor([1], dtype=M.int32))
X.gather(1, M.tensor([[0, 1], [2, 3], [1, 1]]))
X.gather(0, M.tensor([[0, 1, 2, 0]]))
X.gather(1, M.tensor([[4]]))
X.gather(1, M.tensor([0, 1]))
M.zeros(3, 4).scatter(1, M.tensor([[0, 1], [2, 3], [1, 1]]), M.ones(3, 2))
M.zeros(3, 4).scatter(1, M.tensor([[0, 1], [2, 3], [1, 1]]), 5.)
M.zeros(3, 4).scatter(1, M.tensor([[0, 1], [2, 3], [1, 1]]), value=5.)
M.zeros(3, 4).scatter(1, M.tensor([[0, 1], [2, 3], [1, 1]]), M.ones(3, 2), reduce='add')
M.zeros(3, 4).scatter(1, M.tensor([[0, 1], [2, 3], [1, 1]]), M.ones(3, 2) * 2, reduce='multiply')
M.zeros(3, 4).scatter(1, M.tensor([[0, 4]]), 2.)
M.zeros(3, 4).scatter_add(1, M.tensor([[0, 0], [2, 3], [1, 1]]), M.ones(3, 2))
M.zeros(3, 4).scatter_add_(0, M.tensor([[0, 0, 0, 0]]), M.ones(3, 4))
M.ones(3, 4).scatter_reduce(1, I, S2, reduce='sum')
M.ones(3, 4).scatter_reduce(1, I, S2, reduce='prod')
M.ones(3, 4).scatter_reduce(1, I, S2, reduce='mean')
M.ones(3, 4).scatter_reduce(1, I, S2, reduce='amax')
M.ones(3, 4).scatter_reduce(1, I, S2, reduce='amin')
M.ones(3, 4).scatter_reduce(1, I, S2, reduce='sum', include_self=False)
M.ones(3, 4).scatter_reduce(1, I, S2, reduce='prod', include_self=False)
M.ones(3, 4).scatter_reduce(1, I, S2, reduce='mean', include_self=False)
M.ones(3, 4).scatter_reduce(1, I, S2, reduce='amax', include_self=False)
M.ones(3, 4).scatter_reduce(1, I, S2, reduce='amin', include_self=False)
M.ones(3, 4, dtype=M.int64).scatter_reduce(1, I, M.arange(6).reshape(3, 2), reduce='mean')
M.ones(3, 4).scatter_reduce(1, I, S2, reduce='median')
M.zeros(3, 4).index_add_(0, M.tensor([0, 0]), M.ones(2, 4))
M.zeros(3, 4).index_add(1, M.tensor([0, 0]), M.ones(3, 2), alpha=2)
M.zeros(3, 4).index_add(1, M.tensor([0, 0]), M.ones(3, 3))
M.zeros(3, 4).index_copy_(0, M.tensor([2, 0]), M.ones(2, 4))
M.zeros(3, 4).index_copy(1, M.tensor([2, 0]), M.arange(6.).reshape(3, 2))
M.zeros(3, 4).index_fill_(1, M.tensor([2, 0]), 7.)
M.zeros(3, 4).index_fill(0, M.tensor([2]), M.tensor(7.))
M.zeros(3, 4).masked_fill(M.tensor([True, False, True, False]), 3.)
M.zeros(3, 4).masked_fill(M.tensor([True, False, True, False]), M.tensor(3.))
M.zeros(3, 4).masked_fill(M.tensor([True, False, True, False]), M.tensor([3.]))
M.zeros(3, 4).masked_fill(M.tensor([1, 0, 1, 0]), 3.)
M.zeros(4).masked_fill(M.zeros(3, 4, dtype=M.bool), 3.)
M.zeros(4).masked_fill_(M.ones(3, 4, dtype=M.bool), 3.)
M.zeros(3, 4).masked_scatter(M.tensor([True, False, True, False]), X)
M.zeros(3, 4).masked_scatter(M.tensor([True, False, True, False]), M.arange(3.))
X.masked_select(M.tensor([True, False, True, False]))
X.take(M.tensor([0, 5, -1]))
X.take(M.tensor([[0, 5], [11, 2]]))
X.take(M.tensor([12]))
M.take_along_dim(X, M.tensor([[0], [1], [2]]), dim=1)
M.take_along_dim(X, M.tensor([0, 5]))
X.take_along_dim(M.tensor([[0, 1]]), 0)
M.zeros(3, 4).put_(M.tensor([0, 5]), M.tensor([1., 2.]))
M.zeros(3, 4).put_(M.tensor([0, 0]), M.tensor([1., 2.]), accumulate=True)
M.zeros(3, 4).put(M.tensor([0, 13]), M.tensor([1., 2.]))
M.zeros(3, 4).index_put((M.tensor([0, 0]), M.tensor([1, 1])), M.tensor([1., 2.]), accumulate=True)
"""


@pytest.mark.parametrize("src", INDEXING.strip().splitlines())
def test_indexing(src):
    env = {"X": None, "S": _setitem, "I": None, "S2": None}
    src = src.replace("X", "M.arange(12.).reshape(3, 4)").replace("S2", "M.arange(6.).reshape(3, 2)")
    src = src.replace("I", "M.tensor([[0, 0], [2, 3], [1, 1]])") if "reduce" in src else src
    check(src, **env)


# -- reductions ---------------------------------------------------------------------------------------------------
REDUCTIONS = """
X.sum()
X.sum(0)
X.sum(-1, keepdim=True)
X.sum((0, 1))
X.sum([0, 1])
X.sum(dim=None)
X.sum(dim=(-1, -2))
X.sum(2)
X.sum((0, 0))
X.sum(dtype=M.float64)
X.sum(0, dtype=M.int64)
M.sum(X, dim=1, keepdim=True)
M.tensor([1, 2]).sum()
M.tensor([True, True]).sum()
M.tensor([1, 2], dtype=M.int32).sum()
M.tensor([1, 2], dtype=M.uint8).sum()
M.tensor([1, 2], dtype=M.int8).prod()
M.tensor([1., 2, 3]).sum(dtype=M.int32)
M.zeros(0).sum()
M.zeros(0, 3).sum(0)
M.zeros(0).prod()
M.zeros(0).mean()
M.zeros(0, 3).mean(0)
M.zeros(0).max()
M.zeros(0).amax()
M.zeros(0, 3).amax(1)
M.zeros(0, 3).amax(0)
M.zeros(0, 3).max(0)
M.zeros(0).argmax()
M.zeros(0).std()
M.zeros(0).all()
M.zeros(0).any()
M.zeros(0).cumsum(0)
X.mean()
X.mean((0, 1), keepdim=True)
X.mean(dtype=M.float64)
M.tensor([1, 2]).mean()
M.tensor([1, 2]).mean(dtype=M.float32)
X.prod(1, keepdim=True)
M.tensor([True, True]).prod()
X.max()
X.max(0)
X.max(1, keepdim=True)
X.max(dim=1).indices
type(X.max(1)).__name__
M.max(X, dim=-1)
M.max(X, M.ones(4) * 5)
X.max(M.tensor(5.))
X.min(dim=0, keepdim=True)
X.amax((0, 1))
X.amax(dim=(0,), keepdim=True)
M.amin(X, -1)
X.argmax()
X.argmax(1, keepdim=True)
X.argmax(dim=None, keepdim=True)
M.tensor([1., 3, 3]).argmax()
M.tensor([3., 1, 1]).argmin()
M.tensor([1., float('nan'), 3]).argmax()
M.tensor([1., float('nan'), 3]).max(0)
M.tensor([True, False]).argmax()
M.tensor(3.).max(0)
M.tensor(3.).sum(-1)
M.tensor(3.).sum(1)
X.std()
X.std(0, unbiased=False)
X.std(0, correction=0)
X.std(0, correction=2)
X.std(dim=1, keepdim=True)
X.std(False)
X.std(1, True, True)
X.var(1, unbiased=False)
X.var((0, 1), correction=1, keepdim=True)
X.var(dim=None, correction=0)
M.var(X, 1, correction=0)
M.std_mean(X, 1)
M.var_mean(X, 1, correction=0)
M.tensor([1.]).var()
M.tensor([1, 2]).var()
X.median()
X.median(1, keepdim=True)
M.tensor([1., 3, 2, 4]).median()
M.tensor([4., 1, 1, 4]).median(0)
M.tensor([1, 2, 2, 3, 3]).mode()
M.tensor([[1, 2, 2], [3, 3, 1]]).mode(1, keepdim=True)
M.tensor([3., 1, 2]).kthvalue(2)
X.kthvalue(2, 0, keepdim=True)
X.kthvalue(5, 1)
X.topk(2)
X.topk(2, 0, largest=False)
X.topk(5)
X.topk(0)
M.tensor([3., 1, 2, 1]).sort()
M.tensor([3., 1, 2, 1]).sort(descending=True, stable=True)
M.tensor([3., 1, 2, 1]).sort(0, True)
M.sort(M.tensor([3., 1, 2, 1]), stable=True)
M.tensor([3., float('nan'), 2]).sort()
M.tensor([3., 1, 2, 1]).argsort(stable=True)
M.argsort(M.tensor([3., 1, 2, 1]), 0, True)
X.cumsum(dim=1)
X.cumsum(1, dtype=M.float64)
M.tensor([True, True]).cumsum(0)
M.tensor([1, 2], dtype=M.int32).cumprod(0)
X.cumsum()
X.cummax(1)
M.tensor([3, 1, 2]).cummin(0)
X.logsumexp(1)
X.logsumexp((0, 1), keepdim=True)
M.tensor([1, 2]).logsumexp(0)
M.tensor([float('-inf'), float('-inf')]).logsumexp(0)
X.norm()
X.norm(1)
X.norm(p=2, dim=1, keepdim=True)
X.norm(p=float('inf'))
X.norm(p='fro')
X.norm(0)
M.tensor([1, 2]).norm()
X.all(1)
X.any(dim=1, keepdim=True)
X.all(dim=(0, 1))
M.tensor([1, 0], dtype=M.uint8).all()
X.count_nonzero()
X.count_nonzero(dim=(0, 1))
M.tensor([1., float('nan')]).nansum()
M.tensor([1., float('nan')]).nanmean()
X.aminmax(dim=1)
M.unique(M.tensor([3, 1, 3]), return_inverse=True, return_counts=True)
M.tensor([[1, 2], [1, 2], [0, 1]]).unique(dim=0)
X.std(dim=2)
X.max(2)
X.cumsum(2)
X.topk(2, 2)
"""


@pytest.mark.parametrize("src", REDUCTIONS.strip().splitlines())
def test_reductions(src):
    check(src.replace("X", "M.arange(12.).reshape(3, 4)"))


# -- shape ops ----------------------------------------------------------------------------------------------------
SHAPE = """
X.view(6, 4)
X.view(-1)
X.view(-1, -1)
X.view(5, -1)
X.transpose(0, 1).view(-1)
X.transpose(1, 2).view(2, 12)
X.transpose(0, 1).reshape(-1).shape
X.reshape((4, -1)).shape
X.reshape(5, -1)
M.zeros(0, 3).reshape(-1, 0)
M.zeros(0, 3).reshape(0, -1).shape
M.tensor([1.]).reshape(()).shape
M.zeros(1, 3, 1).squeeze().shape
M.zeros(1, 3, 1).squeeze(1).shape
M.zeros(1, 3, 1).squeeze((0, 2)).shape
M.zeros(1, 3, 1).squeeze([0, 1]).shape
M.zeros(1, 3, 1).squeeze(3).shape
M.tensor(1.).squeeze(0).shape
M.tensor(1.).squeeze(1).shape
M.zeros(2, 3).unsqueeze(2).shape
M.zeros(2, 3).unsqueeze(-3).shape
M.zeros(2, 3).unsqueeze(3).shape
M.zeros(2, 3).unsqueeze(-4).shape
M.tensor(1.).unsqueeze(-1).shape
M.tensor(1.).unsqueeze(2).shape
X.permute(2, 0, 1).shape
X.permute((2, 0, 1)).shape
X.permute(2, 0, -2).shape
X.permute(2, 0).shape
X.permute(2, 0, 0).shape
X.permute(2, 0, 3).shape
M.permute(X, dims=(2, 0, 1)).shape
X.transpose(-1, 0).shape
X.transpose(0, 3).shape
M.swapaxes(X, 0, 1).shape
M.zeros(2).t().shape
M.zeros(2, 3, 4).t()
X.movedim((0, 1), (2, 0)).shape
X.movedim(0, -1).shape
M.moveaxis(X, 0, 1).shape
X.movedim((0, 1), (2, 2)).shape
X.flatten(1).shape
X.flatten(-2, -1).shape
X.flatten(2, 1).shape
M.tensor(1.).flatten().shape
X.unflatten(-1, (2, -1)).shape
X.unflatten(2, (3, 2)).shape
M.zeros(3, 1).expand(-1, 4).shape
M.zeros(3, 1).expand((2, 3, 4)).shape
M.zeros(3, 1).expand(-1, 3, 4).shape
M.zeros(3, 1).expand(4, 4).shape
M.zeros(3, 1).expand(3).shape
M.zeros(3, 1).expand(3, 4).stride()
M.arange(3).repeat(2, 2)
M.arange(6).reshape(2, 3).repeat(2)
M.arange(3).repeat(0).shape
M.arange(6).reshape(2, 3).tile((2,))
M.tile(M.arange(3), (2, 2))
M.arange(10).chunk(3)
M.arange(10).chunk(4)
M.arange(6).reshape(2, 3).chunk(2, dim=1)
M.arange(10).chunk(0)
M.arange(10).split(3)
M.arange(10).split([3, 7])
M.arange(10).split([3, 3])
M.split(M.arange(10), split_size_or_sections=3)
M.arange(10).tensor_split(3)
M.arange(10).tensor_split([1, 4])
M.arange(10).tensor_split(M.tensor([1, 4]))
M.tensor_split(M.arange(10), indices=[2, 3])
M.arange(10).tensor_split([7, 3])
M.arange(6).reshape(2, 3).unbind(1)
M.tensor(1.).unbind()
M.cat([M.zeros(2, 3), M.ones(1, 3)])
M.cat([M.zeros(2, 3), M.ones(2, 1)], dim=-1)
M.cat([M.zeros(2, 3), M.ones(2, 3, dtype=M.int64)])
M.cat([M.zeros(2, 3, dtype=M.int32), M.ones(2, 3, dtype=M.int64)]).dtype
M.cat([M.zeros(2, 3), M.zeros(0)]).shape
M.cat([M.zeros(2, 3), M.zeros(2)]).shape
M.cat([])
M.cat([M.tensor(1.), M.tensor(2.)])
M.concatenate([M.zeros(2, 3), M.ones(1, 3)], axis=0).shape
M.stack([M.zeros(2, 3), M.ones(2, 3)], -1).shape
M.stack([M.zeros(2, 3), M.ones(2, 3)], 3).shape
M.stack([M.zeros(2, 3), M.ones(3, 2)])
M.stack([M.tensor(1.), M.tensor(2)])
M.hstack([M.zeros(2), M.ones(3)])
M.vstack([M.zeros(2), M.ones(2)])
M.dstack([M.zeros(2, 3), M.ones(2, 3)]).shape
M.column_stack([M.zeros(2), M.ones(2, 3)]).shape
X.flip((0, 2))
X.flip(3)
M.arange(6).reshape(2, 3).fliplr()
M.arange(6).reshape(2, 3).roll(1)
M.arange(6).reshape(2, 3).roll((1, 1), (0, 1))
M.arange(6).reshape(2, 3).roll(shifts=-1, dims=1)
M.arange(6).reshape(2, 3).narrow(1, 1, 2)
M.arange(6).reshape(2, 3).narrow(1, 2, 2)
M.arange(6).reshape(2, 3).narrow(1, -1, 1)
M.arange(9).reshape(3, 3).diagonal(1)
M.arange(9).reshape(3, 3).diagonal(offset=5)
X.diagonal(dim1=0, dim2=2)
X.diagonal(0, 1, 1)
M.arange(3).diag(1)
M.arange(9.).reshape(3, 3).tril(1)
M.arange(12.).reshape(3, 4).triu(diagonal=1)
X.tril()
M.arange(3.).tril()
M.broadcast_to(M.zeros(3), (2, 3)).shape
M.broadcast_shapes((3,), (2, 1))
"""


@pytest.mark.parametrize("src", SHAPE.strip().splitlines())
def test_shape_ops(src):
    check(src.replace("X", "M.arange(24.).reshape(2, 3, 4)"))


# -- select, unfold, rot90, repeat_interleave, diff, meshgrid, cartesian_prod, sum_to_size ----------------------
REARRANGE = """
M.arange(6).reshape(2, 3).rot90()
M.arange(6).reshape(2, 3).rot90(2)
M.arange(6).reshape(2, 3).rot90(-1)
M.arange(6).reshape(2, 3).rot90(1, [1, 0])
M.arange(6).reshape(2, 3).rot90(4)
M.rot90(M.arange(24).reshape(2, 3, 4), k=3, dims=(0, 2))
M.rot90(M.arange(24).reshape(2, 3, 4), 1, (-1, 1))
M.arange(6).rot90()
M.rot90(M.zeros(2, 2), 1, (0, 0))
M.rot90(M.zeros(2, 2), 1, (0,))
X.unfold(2, 2, 2)
X.unfold(2, 2, 1)
X.unfold(1, 3, 1)
X.unfold(0, 1, 5)
X.unfold(-1, 0, 1).shape
M.zeros(3, 4).unfold(0, 2, 1).stride()
M.zeros(5).unfold(0, 6, 1)
M.zeros(5).unfold(0, 2, 0)
M.tensor(2.).unfold(0, 1, 1)
M.arange(9).reshape(3, 3).select(1, -1)
M.zeros(3, 3).select(1, 3)
M.zeros(3).select(0, -4)
M.tensor(1.).select(0, 0)
M.select(M.arange(9).reshape(3, 3), 0, 0)
M.arange(3).repeat_interleave(2)
M.arange(3).repeat_interleave(M.tensor([1, 2, 3]))
M.arange(6).reshape(2, 3).repeat_interleave(2, dim=1)
M.repeat_interleave(M.tensor([1, 2, 3]))
M.repeat_interleave(M.tensor([[1, 2], [3, 4]]), 2)
M.tensor([[1, 2], [3, 4]]).repeat_interleave(M.tensor([1, 2]), dim=0)
M.tensor([[1, 2], [3, 4]]).repeat_interleave(M.tensor(2), dim=0)
M.tensor([[1, 2], [3, 4]]).repeat_interleave(2, dim=-1, output_size=4)
M.zeros(3).repeat_interleave(M.tensor([1, 2]))
M.zeros(3).repeat_interleave(-1)
M.tensor(5.).repeat_interleave(3)
M.tensor([True, False, False]).diff()
M.tensor([1, 3, 7]).diff(n=2)
M.tensor([1, 3, 7]).diff(n=5)
M.tensor([1, 3, 7]).diff(prepend=M.tensor([0]), append=M.tensor([9, 10]))
M.tensor([1, 3, 7]).diff(prepend=M.tensor(0))
M.tensor(1).diff()
M.arange(12.).reshape(3, 4).diff(dim=0)
M.arange(12.).reshape(3, 4).diff(n=2, dim=1, append=M.zeros(3, 1))
M.diff(M.arange(12.).reshape(3, 4), 1, 0, M.ones(1, 4))
M.meshgrid(M.arange(3), M.arange(2), indexing='ij')
M.meshgrid(M.arange(3), M.arange(2), indexing='xy')
M.meshgrid(M.arange(3), M.arange(2), M.arange(4), indexing='xy')
M.meshgrid([M.arange(3), M.arange(2)], indexing='ij')
M.meshgrid(M.tensor(1), M.arange(2), indexing='xy')
M.meshgrid(M.arange(3), M.arange(2))
M.meshgrid(M.arange(2), M.arange(2.), indexing='ij')
M.meshgrid(M.zeros(2, 2), indexing='ij')
M.meshgrid(indexing='ij')
M.cartesian_prod(M.arange(2), M.arange(3))
M.cartesian_prod(M.arange(2))
M.cartesian_prod(M.arange(2), M.arange(3), M.arange(2))
M.zeros(3).sum_to_size(1)
M.arange(6.).reshape(3, 2).sum_to_size(3, 1)
M.arange(6.).reshape(3, 2).sum_to_size((1, 2))
M.arange(6.).reshape(3, 2).sum_to_size(2)
M.zeros(3, 2).sum_to_size(3)
"""


@pytest.mark.parametrize("src", REARRANGE.strip().splitlines())
def test_rearrangements(src):
    check(src.replace("X", "M.arange(24.).reshape(2, 3, 4)"))


GRAD_OPS = [
    lambda M, x: x.unfold(1, 2, 1) * M.arange(6.).reshape(3, 2),
    lambda M, x: x.unfold(0, 2, 2),
    lambda M, x: x.rot90(1) * M.arange(12.).reshape(4, 3),
    lambda M, x: x.rot90(3, (1, 0)),
    lambda M, x: x.repeat_interleave(M.tensor([1, 0, 2]), dim=0),
    lambda M, x: x.select(1, 2) * 3,
    lambda M, x: x.diff(n=2) ** 2,
    lambda M, x: x.sum_to_size(1, 4) * 2,
    lambda M, x: M.meshgrid(x[0], x[1, :2], indexing="xy")[0] * 2,
    lambda M, x: M.cartesian_prod(x[0], x[1]) ** 2,
]


@pytest.mark.parametrize("i", range(len(GRAD_OPS)))
def test_rearrangement_gradients(i):
    data = np.random.default_rng(i).standard_normal((3, 4))
    grads = []
    for M in (torch, tl):
        x = M.tensor(data, requires_grad=True)
        (GRAD_OPS[i](M, x) * 1.0).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6, atol=1e-12)


def test_unfold_is_a_view():
    x = tl.arange(6.)
    w = x.unfold(0, 2, 2)
    x[0] = 10.0
    assert w[0, 0].item() == 10.0 and w._version == x._version


# -- type promotion, in-place casting, integer arithmetic -----------------------------------------------------------
def _iop(M, a, op, b):
    x = a.clone()
    return {"+": x.__iadd__, "-": x.__isub__, "*": x.__imul__, "/": x.__itruediv__, "//": x.__ifloordiv__,
            "%": x.__imod__, "**": x.__ipow__, "&": x.__iand__, "|": x.__ior__}[op](b)


PROMOTION = """
I(M, M.tensor([1, 2]), '+', 1.5)
I(M, M.tensor([1, 2]), '+', M.tensor([1.5, 1]))
I(M, M.tensor([1, 2]), '*', 2)
I(M, M.tensor([1, 2]), '/', 2)
I(M, M.tensor([1, 2]), '//', 2)
I(M, M.tensor([1, 2], dtype=M.int32), '+', M.tensor([1, 2]))
I(M, M.tensor([1., 2.]), '+', M.tensor([1, 2], dtype=M.float64))
I(M, M.tensor([True, False]), '+', 1)
I(M, M.tensor([True, False]), '|', M.tensor([False, True]))
I(M, M.tensor([1., 2]), '&', 3)
I(M, M.tensor([1., 2]), '+', M.zeros(2, 2))
I(M, M.tensor([1., 2], requires_grad=True), '+', 1)
I(M, M.tensor([1, 2]), '**', 0.5)
I(M, M.tensor([1, 2]), '%', 2)
I(M, M.tensor([True]), '-', M.tensor([True]))
M.tensor([1, 2]).add_(1.5)
M.tensor([1, 2]).div_(2)
M.tensor([1, 2]).div_(2, rounding_mode='floor')
M.tensor([5, -5]) / 2
M.tensor([5, -5]) // 2
M.tensor([5, -5]) // -2
M.tensor([5., -5.]) // 2
M.tensor([5, -5]).div(2, rounding_mode='trunc')
M.tensor([5, -5]).div(2, rounding_mode='floor')
M.tensor([5., -5.]).div(2, rounding_mode='trunc')
M.tensor([5, -5]).div(2, rounding_mode='round')
M.tensor([5, -5], dtype=M.int32) / 2
M.tensor([5, -5]) // 0
M.tensor([5, -5]) % 0
M.tensor([5., -5.]) // 0
M.tensor([5, -5]) % 3
M.tensor([5, -5]) % -3
M.tensor([5., -5.]) % 3
M.tensor([5, -5]).fmod(3)
M.tensor([5, -5]).fmod(-3)
M.tensor([5., -5.]).fmod(3.5)
M.remainder(M.tensor([5, -5]), 2.5)
M.remainder(5, M.tensor([2, -3]))
5 // M.tensor([2, -3])
M.tensor([2, 3]) ** -1
M.tensor([2, 3]) ** M.tensor([-1, 1])
M.tensor([2, 3]).pow(-1.0)
M.pow(2, M.tensor([2, 3]))
2 ** M.tensor([-2, 3])
M.tensor([0., 2]) ** -1
M.tensor([True, False]) ** 2
M.float_power(M.tensor([2, 3]), 2)
M.tensor([1, 2]) == M.tensor([1, 3])
M.tensor([1, 2]) < 1.5
M.tensor([1., 2]) >= M.tensor([1, 3])
M.tensor([1, 2]).lt(M.tensor([[1], [2]]))
M.tensor([1, 2]) == None
M.where(M.tensor([True, False]), 1., 0.)
M.where(M.tensor([True, False]), 1, 0)
M.where(M.tensor([True, False]), M.tensor([1, 2]), 0.5)
M.where(M.tensor([True, False]), M.tensor([1, 2], dtype=M.int32), 5)
M.where(M.tensor([1, 0]), 1., 0.)
M.where(M.tensor([[True, False], [True, True]]))
M.tensor([1., 2]).where(M.tensor([True, False]), 0.)
M.tensor([1., 5., 10.]).clamp(2, 8)
M.tensor([1., 5., 10.]).clamp(max=2)
M.tensor([1., 5., 10.]).clamp(8, 2)
M.tensor([1., 5., 10.]).clamp()
M.tensor([1, 5, 10]).clamp(2.5, 8)
M.tensor([1., 5., 10.]).clamp(min=M.tensor(2.), max=M.tensor([4., 4, 4]))
M.tensor([1., float('nan')]).clamp(0, 1)
M.tensor([1, 5, 10]).clamp_(2.5, 8)
M.tensor([True, False]) ^ M.tensor([True, True])
~M.tensor([True, False])
~M.tensor([1, 2])
~M.tensor([1., 2])
M.tensor([6, 3]) & M.tensor([3, 1])
M.tensor([6, 3]) << 1
M.tensor([1., 2]) & 1
M.bitwise_xor(M.tensor([6, 3], dtype=M.uint8), M.tensor([3, 1], dtype=M.int8))
M.logical_and(M.tensor([1, 0]), M.tensor([2., 2.]))
M.tensor([-3, 2]).sign()
M.tensor([-3., 0., 2.]).sign()
M.tensor([True, False]).sign()
M.tensor([-3, 2], dtype=M.int8).abs()
-M.tensor([True, False])
M.tensor([4, 2]).sqrt()
M.tensor([4, 2], dtype=M.uint8).log()
M.tensor([-3, 2]).floor()
M.tensor([-3.5, 2.5]).round()
M.tensor([-3.55, 2.45]).round(decimals=1)
M.tensor([-3, 2]).reciprocal()
M.maximum(M.tensor([1, 5]), M.tensor([3., 2]))
M.minimum(M.tensor([1., float('nan')]), M.tensor([3., 2]))
M.fmax(M.tensor([1., float('nan')]), M.tensor([3., 2]))
M.max(M.tensor([1, 5]), M.tensor([3, 2]))
M.min(M.tensor([1, 5]), M.tensor([3., 2]))
M.isclose(M.tensor([1., 2]), M.tensor([1.00001, 2.1]))
M.isclose(M.tensor([1., float('nan')]), M.tensor([1., float('nan')]), equal_nan=True)
M.isclose(M.tensor([1, 2]), M.tensor([1, 3]))
M.isclose(M.tensor([1., 2]), M.tensor([1.5, 2]), rtol=0, atol=0.6)
M.allclose(M.tensor([1., 2]), M.tensor([1.00001, 2]))
M.allclose(M.tensor([1., 2]), M.tensor([1, 2]))
M.allclose(M.tensor([1., 2]), M.tensor([1., 2, 3]))
M.allclose(M.tensor([1., float('nan')]), M.tensor([1., float('nan')]))
M.equal(M.tensor([1., 2]), M.tensor([1., 2]))
M.equal(M.tensor([1., 2]), M.tensor([1, 2]))
M.equal(M.tensor([1., 2]), M.tensor([1., 2, 3]))
M.tensor([1, 2]) + M.tensor([1., 2], dtype=M.float64)
M.tensor([1, 2], dtype=M.int32) + 1.5
M.tensor([1, 2], dtype=M.int32) + M.tensor(1.5, dtype=M.float64)
M.tensor([1., 2]) + M.tensor(1.5, dtype=M.float64)
M.tensor([1, 2], dtype=M.uint8) + M.tensor([1, 2], dtype=M.int8)
M.tensor([True]) + True
M.tensor([True]) * 1.5
M.tensor([1.], dtype=M.float16) + M.tensor(1.5)
M.tensor([1.], dtype=M.float16) + M.tensor([1.5])
M.add(M.tensor([1, 2]), M.tensor([1, 2]), alpha=2)
M.add(M.tensor([1, 2]), M.tensor([1, 2]), alpha=2.5)
M.tensor([True]) - M.tensor([True])
M.tensor([1, 2]) @ M.tensor([1, 2])
M.tensor([1., 2]) @ M.tensor([1, 2])
M.tensor(3.5) + M.tensor([1])
M.tensor(3., dtype=M.float64) + M.tensor([1.])
M.tensor([1, 2]) + 'a'
M.tensor([1, 2]) + [1, 2]
M.zeros(2, 3) + M.zeros(3, 2)
M.tensor([1, 2]).exp_()
M.tensor([1, 2]).sqrt_()
M.tensor([1, 2]).eq_(1)
M.result_type(M.tensor([1]), 1.0)
M.result_type(M.tensor([1], dtype=M.int32), M.tensor([1]))
M.promote_types(M.int32, M.float16)
M.promote_types(M.uint8, M.int8)
M.can_cast(M.float32, M.int32)
"""


@pytest.mark.parametrize("src", PROMOTION.strip().splitlines())
def test_promotion_and_inplace(src):
    check(src, I=_iop)


def test_inplace_cast_message():
    x = tl.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        x += 1.5


# -- more elementwise math, statistics, assembled tensors --------------------------------------------------------
MORE_OPS = """
M.nan_to_num(M.tensor([1, 2]))
M.nan_to_num(M.tensor([float('nan'), float('inf'), -float('inf')], dtype=M.float16))
M.nan_to_num(M.tensor([float('nan'), float('inf'), -float('inf')]), nan=1.0, posinf=2.0)
M.tensor([float('nan'), 1.]).nan_to_num_(5.)
M.logaddexp(M.tensor([1, 2]), M.tensor([1, 2]))
M.logaddexp(M.tensor([1., -float('inf')]), M.tensor([1000., -float('inf')]))
M.logaddexp2(M.tensor([1., 2]), M.tensor([[3.], [0.]]))
M.logit(M.tensor([1, 0]))
M.logit(M.tensor([0.25, 0.5, 1.]), eps=0.1)
M.sinc(M.tensor([0., 0.5, -1.5]))
M.deg2rad(M.tensor([180]))
M.rad2deg(M.tensor([1.], dtype=M.float64))
M.ldexp(M.tensor([1]), M.tensor([3]))
M.frexp(M.tensor([8., 3, 0, -5]))
M.frexp(M.tensor([8]))
M.gcd(M.tensor([4, 6]), M.tensor([6, 9]))
M.gcd(M.tensor([4., 6]), M.tensor([6., 9]))
M.lcm(M.tensor([4, 6]), M.tensor([6, 9]))
M.heaviside(M.tensor([-1., 0, 2]), M.tensor(0.5))
M.heaviside(M.tensor([-1, 0, 2]), M.tensor(0.5))
M.isin(M.tensor([1, 2, 3]), M.tensor([2, 5]))
M.isin(M.tensor([1., 2]), 2)
M.isin(2, M.tensor([1, 2]))
M.isin(M.tensor([1, 2, 3]), M.tensor([2, 5]), invert=True)
M.nextafter(M.tensor([1.], dtype=M.float64), M.tensor([0.], dtype=M.float64)) - 1
M.tensor([1, 2]).gcd_(M.tensor([4, 4]))
M.bincount(M.tensor([0, 1, 1, 3]))
M.bincount(M.tensor([0, 1, 1, 3]), weights=M.tensor([1., 2, 3, 4]))
M.bincount(M.tensor([0, 1, 1, 3]), weights=M.tensor([1, 2, 3, 4]))
M.bincount(M.tensor([0, 1, 1, 3]), M.tensor([1., 2, 3, 4], dtype=M.float64), minlength=6)
M.bincount(M.tensor([-1]))
M.bincount(M.tensor([], dtype=M.int64))
M.bincount(M.tensor([1.]))
M.histc(M.tensor([1, 2, 1]), bins=4)
M.histc(M.tensor([1., 2, 1]), bins=4, min=0, max=3)
M.histc(M.tensor([1., 2, 1]), bins=4)
M.histc(M.tensor([1., 1]), bins=4)
M.histc(M.tensor([1., 2, 5, -1]), bins=3, min=0, max=4)
M.quantile(M.tensor([1, 2]), 0.5)
M.quantile(M.tensor([1., 2, 3, 4]), M.tensor([0.25, 0.5]))
M.quantile(M.tensor([1., 2, 3, 4]), M.tensor([0.25, 0.5], dtype=M.float64))
M.quantile(M.tensor([1., 2, 3, 4]), 1.5)
M.quantile(M.tensor([1., 2, 3, 4]), M.tensor([[0.5]]))
M.quantile(M.arange(12.).reshape(3, 4), 0.3, dim=1)
M.quantile(M.arange(12.).reshape(3, 4), 0.3, dim=0, keepdim=True)
M.quantile(M.arange(12.).reshape(3, 4), M.tensor([0.1, 0.9]), dim=1, keepdim=True)
M.quantile(M.arange(12.).reshape(3, 4), M.tensor([0.1, 0.9]), keepdim=True)
M.quantile(M.tensor([3., 1, 2, 9, 4]), 0.4, interpolation='lower')
M.quantile(M.tensor([3., 1, 2, 9, 4]), 0.4, interpolation='higher')
M.quantile(M.tensor([3., 1, 2, 9, 4]), 0.4, interpolation='midpoint')
M.quantile(M.tensor([3., 1, 2, 9, 4]), 0.375, interpolation='nearest')
M.quantile(M.tensor([3., 1, 2, 9, 4]), 0.4, interpolation='foo')
M.quantile(M.tensor([3., float('nan'), 2]), 0.5)
M.nanquantile(M.tensor([3., float('nan'), 2]), 0.5)
M.nanquantile(M.tensor([[3., float('nan'), 2], [float('nan')] * 3]), 0.5, dim=1)
M.quantile(M.tensor(3.), 0.5)
M.quantile(M.zeros(0), 0.5)
M.logcumsumexp(M.tensor([1, 2]), 0)
M.logcumsumexp(M.tensor([1., 2, 1000]), 0)
M.logcumsumexp(M.tensor([[-float('inf'), -float('inf')], [0., 1]]), 1)
M.logcumsumexp(M.arange(6.).reshape(2, 3), dim=0)
M.cov(M.tensor([1., 2, 4]))
M.cov(M.tensor([[1, 2, 4], [1, 0, 3]]))
M.cov(M.tensor([[1., 2, 4], [1, 0, 3]]), correction=0)
M.cov(M.tensor([[1., 2, 4], [1, 0, 3]]), fweights=M.tensor([1, 2, 1]), aweights=M.tensor([0.5, 2, 1]), correction=2)
M.cov(M.tensor([[1., 2, 4], [1, 0, 3]]), fweights=M.tensor([1., 2, 1]))
M.cov(M.zeros(2, 2, 2))
M.corrcoef(M.tensor([[1., 2, 4], [1, 0, 3], [5, 5, 6]]))
M.corrcoef(M.tensor([1., 2, 4]))
M.dist(M.zeros(3), M.tensor([3., 4, 0]))
M.dist(M.zeros(2, 3), M.ones(3), float('inf'))
M.cdist(M.arange(6.).reshape(3, 2), M.ones(4, 2))
M.cdist(M.arange(12.).reshape(2, 3, 2), M.ones(2, 4, 2), p=0)
M.cdist(M.arange(6.).reshape(3, 2), M.ones(4, 3))
M.trapezoid(M.tensor([1, 2, 4]))
M.trapezoid(M.tensor([1., 2, 4]), dx=2)
M.trapezoid(M.arange(6.).reshape(2, 3), M.tensor([0., 1, 3]))
M.trapezoid(M.arange(6.).reshape(2, 3), M.arange(6.).reshape(2, 3) ** 2, dim=1)
M.trapezoid(M.zeros(2, 0))
M.trapezoid(M.tensor([1., 2, 4]), 0.5)
M.trapz(M.tensor([1., 2, 4]), dx=3)
M.cumulative_trapezoid(M.arange(6.).reshape(2, 3), M.tensor([0., 1, 3]))
M.cumulative_trapezoid(M.arange(6.).reshape(2, 3), dx=2, dim=0)
M.unravel_index(M.tensor([5, -1]), (2, 3))
M.unravel_index(M.tensor([[1, 2]]), (2, 3))
M.unravel_index(M.tensor([1.]), (2, 3))
M.unravel_index(M.tensor(4), 5)
M.select_scatter(M.zeros(2, 3), M.ones(2), 1, -1)
M.select_scatter(M.zeros(2, 2), M.ones(3), 0, 0)
M.slice_scatter(M.zeros(4, 4), M.ones(4, 2), dim=1, start=0, end=4, step=2)
M.diagonal_scatter(M.zeros(3, 4), M.arange(3.), 1)
M.diagonal_scatter(M.zeros(2, 3, 4), M.arange(6.).reshape(3, 2), 0, 0, 2)
M.diagonal_scatter(M.zeros(2, 3, 4), M.arange(6.).reshape(2, 3), 0, 2, 1)
M.diagonal_scatter(M.zeros(3, 3), M.ones(4))
M.diagflat(M.tensor([[1, 2], [3, 4]]))
M.diagflat(M.tensor([1, 2]), -1)
M.renorm(M.tensor([[1., 2], [3, 4]]), 2, 0, 3)
M.tensor([[1., 2], [3, 4]]).renorm_(1, 1, 5)
M.narrow_copy(M.arange(6).reshape(2, 3), 1, 1, 2)
M.as_strided(M.arange(9.), (2, 2), (3, 1), 1)
M.arange(9.)[2:].as_strided((3,), (2,))
M.arange(9.)[2:].as_strided((3,), (2,), 0)
M.arange(9.).reshape(3, 3).t().as_strided((2,), (4,))
M.arange(9.).as_strided((4,), (3,))
M.block_diag(M.tensor(1), M.tensor([2., 3]), M.ones(2, 2, dtype=M.int32))
M.block_diag(M.ones(2, 2), M.zeros(0, 3))
M.block_diag(M.ones(1, 1, 1))
M.vander(M.tensor([1, 2, 3]))
M.vander(M.tensor([1., 2, 3]), N=2, increasing=True)
M.vander(M.tensor([True, False]))
M.combinations(M.tensor([1, 2, 3]), r=1)
M.combinations(M.tensor([1, 2, 3]), r=4)
M.combinations(M.tensor([1, 2, 3]), with_replacement=True)
M.zeros(5, 2).fill_diagonal_(2, wrap=True)
M.zeros(5, 2).fill_diagonal_(2)
M.zeros(2, 2, 2).fill_diagonal_(1)
M.zeros(2, 3, 2).fill_diagonal_(1)
M.zeros(1, 3, dtype=M.int64).fill_diagonal_(2.7)
"""


@pytest.mark.parametrize("src", MORE_OPS.strip().splitlines())
def test_more_ops(src):
    check(src)


MORE_GRADS = [
    lambda M, a, b: M.logaddexp(a, b[:4]) + M.logaddexp2(a, b[:4] * 2),
    lambda M, a, b: M.sinc(a) * M.logit(M.sigmoid(a), eps=0.3) + M.nan_to_num(a.log()).nan_to_num(),
    lambda M, a, b: M.quantile(a, 0.3, dim=1) + M.nanquantile(a, M.tensor([0.1, 0.77], dtype=M.float64)).sum(),
    lambda M, a, b: M.logcumsumexp(a * 30, 1) * M.arange(4.),
    lambda M, a, b: M.cov(a, aweights=b[:4].abs()) ** 2 + M.corrcoef(a).sum(),
    lambda M, a, b: M.cdist(a, b.reshape(-1, 4), p=1) + M.cdist(a, b.reshape(-1, 4)).sum(),
    lambda M, a, b: M.trapezoid(a, b[:4]) + M.cumulative_trapezoid(a, dim=0).sum(),
    lambda M, a, b: M.select_scatter(a, b[:4], 0, 1) ** 2 + M.diagonal_scatter(a, b[:3] ** 2, 1).sum(),
    lambda M, a, b: M.renorm(a, 2, 0, 1.5) ** 2 + M.combinations(b, 2).prod(1).sum(),
    lambda M, a, b: (a * 1).fill_diagonal_(0.5) ** 2 + (a * 1).as_strided((3, 3), (1, 2), 1).sum(),
    lambda M, a, b: M.block_diag(a, b) ** 2,
]


@pytest.mark.parametrize("i", range(len(MORE_GRADS)))
def test_more_op_gradients(i):
    rng = np.random.default_rng(i)
    data, other = rng.standard_normal((3, 4)), rng.standard_normal(8)
    grads = []
    for M in (torch, tl):
        a, b = M.tensor(data, requires_grad=True), M.tensor(other, requires_grad=True)
        with np.errstate(all="ignore"):  # log of negatives on purpose: NaN for nan_to_num to replace
            MORE_GRADS[i](M, a, b).sum().backward()
        grads.append([t.grad.numpy() if t.grad is not None else None for t in (a, b)])
    for got, want in zip(grads[1], grads[0]):
        assert (got is None) == (want is None)
        if want is not None:
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)


def test_logcumsumexp_second_order():
    data = np.random.default_rng(0).standard_normal((3, 4))
    results = []
    for M in (torch, tl):
        a = M.tensor(data, requires_grad=True)
        y = M.logcumsumexp(a, 1)
        g, = M.autograd.grad((y * M.tensor([1., -1., 2., 0.5])).sum() + (y[:, -1] ** 2).sum(), a, create_graph=True)
        results.append(M.autograd.grad(g.sum(), a)[0].numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6, atol=1e-9)


# -- linalg ----------------------------------------------------------------------------------------------------------
LINALG = """
M.linalg.inv(A)
M.linalg.inv(M.zeros(2, 2))
M.linalg.inv(M.ones(2, 3))
M.linalg.inv(M.ones(3))
M.linalg.inv(M.tensor([[1, 2], [3, 4]]))
M.linalg.inv(M.eye(2, dtype=M.float16))
M.linalg.inv(M.stack([A, A * 2]))
A.inverse()
M.linalg.inv_ex(A)
M.linalg.inv_ex(M.zeros(2, 2)).info
M.linalg.det(A)
M.det(M.stack([A, A * 2]))
M.linalg.det(M.zeros(2, 2))
M.linalg.slogdet(-A)
M.slogdet(A)
M.logdet(A)
M.logdet(-A)
M.logdet(M.zeros(2, 2))
M.linalg.solve(A, M.tensor([1., 2, 3]))
M.linalg.solve(A, M.ones(3, 2), left=False)
M.linalg.solve(M.stack([A, A * 2]), M.ones(3))
M.linalg.solve(M.stack([A, A * 2]), M.ones(2, 3))
M.linalg.solve(M.stack([A, A * 2]), M.ones(3, 4))
M.linalg.solve(A, M.ones(2))
M.linalg.solve(A, M.ones(3, dtype=M.float64))
M.linalg.solve(M.zeros(2, 2), M.ones(2))
M.linalg.solve_ex(A, M.ones(3))
M.linalg.cholesky(A, upper=True)
M.linalg.cholesky(-A)
M.cholesky(A)
M.linalg.cholesky_ex(-A).info
M.linalg.qr(R)
M.linalg.qr(R, mode='complete')
M.linalg.qr(R, mode='r')
M.qr(R, some=False)
M.linalg.eigvalsh(A)
M.linalg.eigh(A, UPLO='X')
[t.shape for t in M.linalg.svd(R, full_matrices=False)]
[t.shape for t in M.linalg.svd(R)]
(lambda u, s, vh: (u * s) @ vh)(*M.linalg.svd(R, full_matrices=False))
(lambda u, s, vh: (u[:, :3] * s) @ vh)(*M.linalg.svd(R))
M.linalg.svdvals(R)
(lambda u, s, v: ([t.shape for t in (u, s, v)], (u * s) @ v.t()))(*M.svd(R))
M.linalg.solve(A, M.ones(3), left=False)
M.svd(R, compute_uv=False)
M.linalg.pinv(R)
M.linalg.pinv(M.ones(3, 3))
M.linalg.pinv(R, atol=2.)
M.pinverse(R)
M.linalg.matrix_power(A, 3)
M.linalg.matrix_power(A, 0)
M.linalg.matrix_power(A, -2)
M.matrix_power(M.tensor([[1, 1], [0, 1]]), 5)
M.linalg.matrix_exp(A * 3)
M.linalg.matrix_exp(M.stack([A, -A]) / 5)
M.linalg.matrix_norm(R, 'nuc')
M.linalg.matrix_norm(R, -2)
M.linalg.matrix_norm(R, 1)
M.linalg.matrix_norm(R, -float('inf'))
M.linalg.matrix_norm(R, 3)
M.linalg.matrix_norm(M.stack([R, R * 2]), 1, dim=(0, 2), keepdim=True)
M.linalg.matrix_norm(M.stack([R, R * 2]), 2, dim=(2, 0))
M.linalg.norm(R, 1)
M.linalg.norm(M.arange(8.).reshape(2, 2, 2))
M.linalg.norm(M.arange(8.).reshape(2, 2, 2), 2)
M.linalg.norm(M.arange(8.).reshape(2, 2, 2), 3, dim=1)
M.linalg.norm(R, float('inf'), keepdim=True)
R.norm(p='nuc')
M.linalg.cond(A)
M.linalg.cond(A, 1)
M.linalg.matrix_rank(M.stack([A, M.ones(3, 3)]))
M.linalg.lstsq(R, M.tensor([[1.], [2], [4], [0]]))
M.linalg.lstsq(R, M.tensor([[1.], [2], [4], [0]]), driver='gelsd')
M.linalg.multi_dot([M.ones(4), R, M.ones(3)])
M.linalg.multi_dot([R])
M.linalg.vecdot(R, R)
M.linalg.solve_triangular(A, M.ones(3, 2), upper=False, unitriangular=True)
M.linalg.solve_triangular(A, M.ones(2, 3), upper=True, left=False)
"""


@pytest.mark.parametrize("src", LINALG.strip().splitlines())
def test_linalg(src):
    a = "M.tensor([[4., 1, 2], [1, 3, 0.5], [2, 0.5, 5]])"
    r = "M.tensor([[1., 2, 0], [3, 4, 1], [5, 7, 2], [0, 1, 1]])"
    check(src.replace("A", a).replace("R", r))


def test_eigh_reconstructs():
    a = tl.tensor([[4., 1, 2], [1, 3, 0.5], [2, 0.5, 5]])
    w, q = tl.linalg.eigh(a)
    np.testing.assert_allclose(w.numpy(), torch.linalg.eigvalsh(torch.tensor(a.numpy())).numpy(), rtol=1e-5)
    np.testing.assert_allclose((q @ w.diag_embed() @ q.t()).numpy(), a.numpy(), rtol=1e-5, atol=1e-5)


_A0 = np.array([[4.2, 1, 2], [1, 3.1, 0.5], [2, 0.5, 5.3]])
_R0 = np.random.default_rng(3).standard_normal((4, 3))
_W0 = np.random.default_rng(4).standard_normal((4, 3))

LINALG_GRADS = {
    "inv_det_slogdet": lambda M, a, r: (M.linalg.inv(a) * 1.5).sum() + M.linalg.det(a) + M.logdet(a),
    "solve": lambda M, a, r: (M.linalg.solve(a, r.t()) ** 2).sum() + M.linalg.solve(a, r, left=False).sum(),
    "cholesky": lambda M, a, r: (M.linalg.cholesky(a) * M.tensor(_A0)).sum(),
    "qr": lambda M, a, r: (M.linalg.qr(r).Q * M.tensor(_W0)).sum() + (M.linalg.qr(r).R ** 2).sum(),
    "eigh": lambda M, a, r: (M.linalg.eigvalsh(a) ** 2).sum() + (M.linalg.eigh(a)[1] ** 4).sum(),
    "svd": lambda M, a, r: (M.linalg.svdvals(r) ** 2).sum() + (M.linalg.svd(r, full_matrices=False).U ** 4).sum(),
    "pinv_matrix_exp": lambda M, a, r: (M.linalg.pinv(r) ** 2).sum() + (M.linalg.matrix_exp(a / 5) ** 2).sum(),
    "norms": lambda M, a, r: M.linalg.matrix_norm(r, "nuc") + M.linalg.matrix_norm(r, -2) + M.linalg.cond(a),
}


@pytest.mark.parametrize("name", LINALG_GRADS)
def test_linalg_gradients_of_first_and_second_order(name):
    results = []
    for M in (torch, tl):
        a, r = M.tensor(_A0, requires_grad=True), M.tensor(_R0, requires_grad=True)
        ga, gr = M.autograd.grad(LINALG_GRADS[name](M, a, r), (a, r), create_graph=True, allow_unused=True)
        firsts = [g.detach().numpy() if g is not None else None for g in (ga, gr)]
        total = sum((g * g).sum() for g in (ga, gr) if g is not None)
        seconds = [g.numpy() if g is not None else None for g in M.autograd.grad(total, (a, r), allow_unused=True)]
        results.append(firsts + seconds)
    for got, want in zip(results[1], results[0]):
        assert (got is None) == (want is None)
        if want is not None:
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


# -- in-place ops on views inside a recorded graph (CopySlices) ------------------------------------------------
VIEW_INPLACE = {
    "row_mul": lambda M, x, v: (lambda a: (a[0].mul_(2), a)[1])(x * 1),
    "chained_setitem": lambda M, x, v: (lambda a: (a[0].__setitem__(1, v[0] * 3), a)[1])(x * 1),
    "column_copy": lambda M, x, v: (lambda a: (a[:, 1].copy_(v[:3]), a)[1])(x * 1),
    "diagonal_fill": lambda M, x, v: (lambda a: (a.diagonal().fill_(0), a)[1])(x * 1),
    "transposed_add": lambda M, x, v: (lambda a: (a.t()[1:3].add_(v.unsqueeze(1)[:2] * 2), a)[1])(x * 1),
    "flat_view_exp": lambda M, x, v: (lambda a: (a.view(-1)[2:6].exp_(), a)[1])(x * 1),
    "strided_pow_then_view_used": lambda M, x, v: (lambda a: (lambda b: (b.pow_(2), a * 2 + b.sum())[1])(
        a[1:, ::2]))(x * 1),
    "into_constant_base": lambda M, x, v: (lambda a: (a[1].copy_(v), a)[1])(M.zeros(3, 4)),
    "chained_inplace": lambda M, x, v: (lambda a: (a[2][1:3].mul_(0).add_(v[:2]), a)[1])(M.zeros(3, 4)),
    "two_views": lambda M, x, v: (lambda a: (a[0].mul_(2), a[:, 1].add_(v[:3]), a)[2])(x * 1),
    "relu_on_row": lambda M, x, v: (lambda a: (a[1].relu_(), a)[1])(x * 1),
}


@pytest.mark.parametrize("name", VIEW_INPLACE)
def test_inplace_on_views_rebases_the_base(name):
    data, vec = np.random.default_rng(0).standard_normal((3, 4)), np.random.default_rng(1).standard_normal(4)
    results = []
    for M in (torch, tl):
        x, v = M.tensor(data, requires_grad=True), M.tensor(vec, requires_grad=True)
        out = VIEW_INPLACE[name](M, x, v)
        weights = M.tensor(np.arange(out.numel()).reshape(tuple(out.shape)) % 5 - 2.0)
        (out * weights).sum().backward()
        results.append([out.detach().numpy()] + [t.grad.numpy() if t.grad is not None else None for t in (x, v)])
    for got, want in zip(results[1], results[0]):
        assert (got is None) == (want is None)
        if want is not None:
            np.testing.assert_allclose(got, want, rtol=1e-10)


def test_inplace_on_view_of_leaf_raises():
    x = tl.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x[0:2].mul_(2)
    with tl.no_grad():
        x[0:2].mul_(2)
    assert x.tolist() == [2.0, 2.0, 1.0]
