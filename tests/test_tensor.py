"""Tensor creation, attributes, dtypes, promotion and printing, against PyTorch."""
import copy
import pickle

import numpy as np
import pytest

import tensorlite as tl

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def tdt(name):
    return getattr(torch, name)


# -- creation ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [[1, 2, 3], [1.0, 2.5], [True, False], [[1, 2], [3, 4]], 3, 2.5, True, [],
                                  [[1.0], [2]], np.float64(1.5), np.arange(3, dtype=np.int32)])
def test_tensor_infers_dtype_like_torch(data):
    t, r = tl.tensor(data), torch.tensor(data)
    assert t.dtype.name == str(r.dtype).split(".")[1]
    assert tuple(t.shape) == tuple(r.shape)
    np.testing.assert_array_equal(t.numpy(), r.numpy())


@pytest.mark.parametrize("name,args", [("zeros", (2, 3)), ("ones", ((2, 3),)), ("empty", ([0, 4],)),
                                       ("eye", (3,)), ("eye", (2, 4))])
def test_filled_constructors(name, args):
    t, r = getattr(tl, name)(*args), getattr(torch, name)(*args)
    assert tuple(t.shape) == tuple(r.shape) and t.dtype == tl.float32
    if name != "empty":
        np.testing.assert_array_equal(t.numpy(), r.numpy())


def test_full_infers_dtype():
    for v in (1, 1.5, True):
        assert tl.full((2,), v).dtype.name == str(torch.full((2,), v).dtype).split(".")[1]


@pytest.mark.parametrize("args", [(5,), (1, 4), (0, 1, 0.25), (1.0, 2.0, 0.3), (10, 0, -3), (0, 0)])
def test_arange_like_torch(args):
    t, r = tl.arange(*args), torch.arange(*args)
    assert t.dtype.name == str(r.dtype).split(".")[1]
    np.testing.assert_allclose(t.numpy(), r.numpy(), rtol=1e-6)


def test_linspace_and_like_constructors():
    np.testing.assert_allclose(tl.linspace(0, 1, 5).numpy(), torch.linspace(0, 1, 5).numpy())
    x = tl.tensor([[1, 2]], dtype=tl.int32)
    for name in ("zeros_like", "ones_like", "empty_like"):
        y = getattr(tl, name)(x)
        assert y.shape == x.shape and y.dtype == tl.int32
    assert tl.full_like(x, 7).tolist() == [[7, 7]]
    assert tl.rand_like(tl.zeros(2, 2)).shape == (2, 2)


def test_random_is_seeded_and_reproducible():
    tl.manual_seed(0)
    a = (tl.rand(3), tl.randn(3), tl.randint(0, 10, (3,)), tl.randperm(5))
    tl.manual_seed(0)
    b = (tl.rand(3), tl.randn(3), tl.randint(0, 10, (3,)), tl.randperm(5))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    assert a[0].dtype == tl.float32 and a[2].dtype == tl.int64
    assert ((a[0].numpy() >= 0) & (a[0].numpy() < 1)).all()
    g = tl.Generator().manual_seed(1)
    c1 = tl.randn(4, generator=g)
    g.manual_seed(1)
    np.testing.assert_array_equal(c1.numpy(), tl.randn(4, generator=g).numpy())


def test_rng_state_roundtrip():
    state = tl.get_rng_state()
    a = tl.randn(3)
    tl.set_rng_state(state)
    np.testing.assert_array_equal(a.numpy(), tl.randn(3).numpy())


def test_negative_size_raises():
    with pytest.raises(RuntimeError, match="negative dimension"):
        tl.zeros(2, -1)


# -- attributes ------------------------------------------------------------------------------------------
def test_attributes_match_torch():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t, r = tl.tensor(a), torch.tensor(a)
    assert t.shape == r.shape and t.size() == tuple(r.size()) and t.size(-1) == r.size(-1)
    assert t.ndim == r.ndim == t.dim() and t.numel() == r.numel()
    assert t.item() if t.numel() == 1 else True
    assert t.tolist() == r.tolist()
    assert str(t.device) == "cpu" and t.device == tl.device("cpu")
    assert t.is_leaf and not t.requires_grad and t.grad is None
    assert t.is_contiguous() and t.stride() == r.stride()
    assert t.element_size() == 4 and t.is_floating_point()
    with pytest.raises(IndexError):
        t.size(3)
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        t.item()
    assert tl.tensor([2.5]).item() == 2.5 and isinstance(tl.tensor(3).item(), int)
    assert repr(t.shape) == "tensorlite.Size([2, 3, 4])"


def test_numpy_interop_shares_memory():
    a = np.zeros(3, dtype=np.float32)
    t = tl.from_numpy(a)
    a[0] = 5
    assert t[0].item() == 5.0 if hasattr(t, "__getitem__") else t.numpy()[0] == 5
    assert np.asarray(t) is a or np.shares_memory(np.asarray(t), a)
    with pytest.raises(RuntimeError, match="requires grad"):
        tl.zeros(2, requires_grad=True).numpy()
    assert tl.zeros(2, requires_grad=True).detach().numpy().shape == (2,)


def test_dlpack_roundtrip_with_numpy_and_torch():
    t = tl.arange(6, dtype=tl.float32)
    back = tl.from_dlpack(np.from_dlpack(t))
    np.testing.assert_array_equal(back.numpy(), t.numpy())
    r = torch.from_dlpack(t)
    assert r.tolist() == t.tolist()
    assert tl.from_dlpack(r).tolist() == t.tolist()


def test_detach_clone_contiguous():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and np.shares_memory(d.numpy(), x.detach().numpy())
    c = x.clone()
    assert c.requires_grad and c.grad_fn is not None
    c.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_to_dtype_is_differentiable_and_noop_when_same():
    x = tl.tensor([1.5, 2.5], requires_grad=True)
    assert x.to(tl.float32) is x
    y = x.to(tl.float64)
    assert y.dtype == tl.float64 and y.requires_grad
    (y * 2.0).sum().backward()
    assert x.grad.dtype == tl.float32 and x.grad.tolist() == [2.0, 2.0]
    assert x.double().dtype == tl.float64 and x.long().dtype == tl.int64 and x.bool().dtype == tl.bool
    assert x.to("cpu") is x


def test_cuda_unavailable_is_reported_cleanly():
    if tl.cuda.is_available():
        pytest.skip("a GPU is present")
    assert isinstance(tl.cuda.unavailable_reason(), str)
    with pytest.raises(RuntimeError, match="cuda"):
        tl.zeros(2, device="cuda")


def test_pickle_is_refused_deepcopy_works():
    t = tl.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(t)
    c = copy.deepcopy(t)
    assert c.requires_grad and c.tolist() == t.tolist() and not np.shares_memory(c.numpy(force=True), t.numpy(force=True))


# -- type promotion (PyTorch's rules, not NumPy's) ----------------------------------------------------
@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", DTYPES)
def test_promote_types_table(a, b):
    got = tl.promote_types(getattr(tl, a), getattr(tl, b))
    assert got.name == str(torch.promote_types(tdt(a), tdt(b))).split(".")[1]


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"])
@pytest.mark.parametrize("other", [2, 2.5, True, "0d_float64", "0d_int64", "1d_int32"])
def test_result_type_with_scalars_and_zero_dim(dtype, other):
    def make(lib, spec):
        if spec == "0d_float64":
            return lib.tensor(1.5, dtype=lib.float64)
        if spec == "0d_int64":
            return lib.tensor(3, dtype=lib.int64)
        if spec == "1d_int32":
            return lib.tensor([3], dtype=lib.int32)
        return spec

    x = tl.ones(2, dtype=getattr(tl, dtype))
    xr = torch.ones(2, dtype=tdt(dtype))
    assert tl.result_type(x, make(tl, other)).name == str(torch.result_type(xr, make(torch, other))).split(".")[1]
    if dtype != "bool":
        assert (x * make(tl, other)).dtype.name == str((xr * make(torch, other)).dtype).split(".")[1]


def test_true_division_of_ints_gives_default_float():
    assert (tl.tensor([1, 2]) / tl.tensor([2, 2])).dtype == tl.float32
    assert (tl.tensor([1, 2]) / 2).tolist() == [0.5, 1.0]


# -- printing ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("data,kw", [
    ([1.0, 2.0, 3.0], {}), ([1.5, -2.25], {}), ([[1, 2], [3, 4]], {}), ([True, False], {}),
    ([1.0, 2.0], {"dtype": "float64"}), ([1, 2], {"dtype": "int32"}), (2.5, {}), (7, {}),
    ([], {}), ([1e-8, 1.0], {}), ([float("nan"), float("inf"), 1.0], {}),
])
def test_repr_like_torch(data, kw):
    t_kw = {k: getattr(tl, v) for k, v in kw.items()}
    r_kw = {k: getattr(torch, v) for k, v in kw.items()}
    assert repr(tl.tensor(data, **t_kw)) == repr(torch.tensor(data, **r_kw)).replace("torch.", "tensorlite.")


def test_repr_shows_grad_state():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2.0) == "tensor([2., 4.], grad_fn=<MulBackward0>)"


def test_repr_summarizes_large_tensors():
    s = repr(tl.arange(2000))
    assert "..." in s and len(s) < 200
