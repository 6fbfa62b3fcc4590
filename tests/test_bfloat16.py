"""bfloat16: the dtype, its promotion, rounding, printing, checkpoints, autograd, training and autocast.

Every op of the registry is also checked in bfloat16 against PyTorch's bfloat16 CPU kernels by
tests/test_ops.py (test_parity[...-bfloat16-...]). bfloat16 needs ml_dtypes (the `bf16` extra); the last
test checks what a user without it sees.
"""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import tensorlite as tl
from tensorlite import _dtype as dt

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(dt.BFLOAT16_NP is None, reason="bfloat16 needs ml_dtypes (the bf16 extra)")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]


def _bits(t) -> np.ndarray:
    """The 16-bit patterns of a bfloat16 tensor of either library."""
    if isinstance(t, torch.Tensor):
        return t.detach().contiguous().view(torch.int16).numpy()
    return t.detach().numpy().view(np.int16)


def _torch(x: tl.Tensor):
    a = x.detach().numpy()
    if a.dtype is dt.BFLOAT16_NP:
        return torch.from_numpy(a.view(np.int16).copy()).view(torch.bfloat16)
    return torch.from_numpy(a.copy())


@pytest.mark.parametrize("a", DTYPES)
def test_promote_types_matches_torch(a):
    for b in DTYPES:
        ours = tl.promote_types(getattr(tl, a), getattr(tl, b))
        assert ours.name == str(torch.promote_types(getattr(torch, a), getattr(torch, b))).split(".")[1], (a, b)


@pytest.mark.parametrize("other, what", [
    (1.5, "python float"), (2, "python int"), (True, "python bool"),
    (np.float32(1.0), "float32 0-d tensor"), (np.int64(3), "int64 tensor"), ("f16", "float16 tensor"),
    ("f32", "float32 tensor"), ("f64-0d", "float64 0-d tensor"),
])
def test_binary_result_dtype_matches_torch(other, what):
    x = tl.tensor([1.0, -2.0, 3.5]).bfloat16()
    tx = torch.tensor([1.0, -2.0, 3.5]).bfloat16()
    if isinstance(other, str):
        d = {"f16": "float16", "f32": "float32", "f64-0d": "float64"}[other]
        val = [0.5, 1.0, 2.0] if other != "f64-0d" else 0.5
        o, to = tl.tensor(val, dtype=getattr(tl, d)), torch.tensor(val, dtype=getattr(torch, d))
    elif isinstance(other, np.generic):
        o, to = tl.tensor(other.item(), dtype=getattr(tl, other.dtype.name)), \
            torch.tensor(other.item(), dtype=getattr(torch, other.dtype.name))
    else:
        o, to = other, other
    for op in ("__add__", "__mul__", "__truediv__", "__rsub__"):
        if op == "__rsub__" and other is True:  # a bool minus a tensor: an error in both libraries
            with pytest.raises(RuntimeError):
                getattr(x, op)(o)
            continue
        ours, theirs = getattr(x, op)(o), getattr(tx, op)(to)
        assert ours.dtype.name == str(theirs.dtype).split(".")[1], (op, what)
        np.testing.assert_allclose(ours.float().numpy(), theirs.float().numpy(), rtol=1e-2, err_msg=f"{op} {what}")


def test_rounding_to_bfloat16_is_bitwise_torchs():
    """Round-to-nearest-even, overflow to inf, subnormals, nan: the same 16 bits as torch.Tensor.bfloat16()."""
    rng = np.random.default_rng(0)
    x = np.concatenate([
        rng.standard_normal(1000).astype(np.float32) * 10.0 ** rng.integers(-30, 30, 1000),
        np.array([0.0, -0.0, 1.0 + 2 ** -8, 1.0 + 3 * 2 ** -8, 3.4e38, -3.4e38, 1e-40, -1e-41, np.inf, -np.inf],
                 np.float32),
    ]).astype(np.float32)
    np.testing.assert_array_equal(_bits(tl.tensor(x).bfloat16()), _bits(torch.from_numpy(x).bfloat16()))
    back = tl.tensor(x).bfloat16().float().numpy()
    np.testing.assert_array_equal(back, torch.from_numpy(x).bfloat16().float().numpy())
    assert np.isnan(tl.tensor([np.nan]).bfloat16().float().item())


def test_creation_and_conversions():
    b = tl.bfloat16
    for t in (tl.zeros(2, 3, dtype=b), tl.ones(4, dtype="bfloat16"), tl.full((2,), 1.5, dtype=b), tl.empty(3, dtype=b),
              tl.arange(5, dtype=b), tl.linspace(0, 1, 5, dtype=b), tl.eye(3, dtype=b), tl.rand(3, dtype=b),
              tl.randn(3, dtype=b), tl.tensor([1.0, 2.0], dtype=b), tl.zeros_like(tl.zeros(2), dtype=b)):
        assert t.dtype is b and t.element_size() == 2 and t.is_floating_point()
    np.testing.assert_array_equal(tl.arange(0, 300, 1.5, dtype=b).float().numpy(),
                                  torch.arange(0, 300, 1.5, dtype=torch.bfloat16).float().numpy())
    # linspace is the correctly rounded float32 sequence (PyTorch's bfloat16 kernel steps in bfloat16)
    np.testing.assert_array_equal(tl.linspace(0, 1, 7, dtype=b).float().numpy(),
                                  torch.linspace(0, 1, 7).bfloat16().float().numpy())
    x = tl.tensor([1.0, 2.5, -3.25], dtype=b)
    assert x.tolist() == [1.0, 2.5, -3.25] and isinstance(x[1].item(), float) and x[1].item() == 2.5
    assert x.type() == "tensorlite.BFloat16Tensor" and x.to(tl.bfloat16) is x
    assert x.double().dtype is tl.float64 and x.half().dtype is tl.float16 and x.long().tolist() == [1, 2, -3]
    assert tl.from_numpy(x.numpy()).dtype is b


def test_finfo_matches_torch():
    for name in ("float16", "bfloat16", "float32", "float64"):
        ours, theirs = tl.finfo(getattr(tl, name)), torch.finfo(getattr(torch, name))
        for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
            assert getattr(ours, attr) == getattr(theirs, attr), (name, attr)
    for name in ("uint8", "int8", "int16", "int32", "int64"):
        ours, theirs = tl.iinfo(getattr(tl, name)), torch.iinfo(getattr(torch, name))
        assert (ours.bits, ours.min, ours.max, ours.dtype) == (theirs.bits, theirs.min, theirs.max, theirs.dtype)
    with pytest.raises(TypeError):
        tl.finfo(tl.int32)
    with pytest.raises(TypeError):
        tl.iinfo(tl.bfloat16)


@pytest.mark.parametrize("values", [[1.0, 2.5, -3.25], [1e-3, 2.0, float("nan")], [[0.1, -1.0], [3.0, 100.0]]])
def test_repr_matches_torch(values):
    ours = repr(tl.tensor(values).bfloat16())
    theirs = repr(torch.tensor(values).bfloat16()).replace("torch.", "tensorlite.")
    assert " ".join(ours.split()) == " ".join(theirs.split())


def test_gradients_take_their_inputs_dtype():
    """As PyTorch's engine casts a gradient to its input's dtype: bfloat16 leaves get bfloat16 grads even
    through float32 ops, and a float32 leaf used in bfloat16 gets a float32 grad."""
    a = tl.tensor([0.5, -1.5, 2.0]).bfloat16().requires_grad_()
    w = tl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ((a * w).sum() + (a.float() ** 2).sum() + (w.bfloat16() * a).sum()).backward()
    ta = _torch(a).requires_grad_()
    tw = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ((ta * tw).sum() + (ta.float() ** 2).sum() + (tw.bfloat16() * ta).sum()).backward()
    assert a.grad.dtype is tl.bfloat16 and w.grad.dtype is tl.float32
    np.testing.assert_array_equal(_bits(a.grad), _bits(ta.grad))
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-6)


def _mlp(lib, seed: int = 0):
    rng = np.random.default_rng(seed)
    w1, b1 = rng.standard_normal((16, 8)) * 0.3, rng.standard_normal(16) * 0.1
    w2, b2 = rng.standard_normal((4, 16)) * 0.3, rng.standard_normal(4) * 0.1
    if lib == "tl":
        m = tl.nn.Sequential(tl.nn.Linear(8, 16), tl.nn.GELU(), tl.nn.LayerNorm(16), tl.nn.Linear(16, 4))
    else:
        m = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.GELU(), torch.nn.LayerNorm(16), torch.nn.Linear(16, 4))
    with (tl.no_grad() if lib == "tl" else torch.no_grad()):
        for p, v in zip([m[0].weight, m[0].bias, m[3].weight, m[3].bias], (w1, b1, w2, b2)):
            p.copy_((tl if lib == "tl" else torch).tensor(v, dtype=(tl if lib == "tl" else torch).float32))
    return m.bfloat16()


@pytest.mark.parametrize("opt", ["sgd", "adam", "adamw"])
def test_training_steps_match_torch(opt):
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((32, 8)).astype(np.float32), rng.integers(0, 4, 32)
    ours, theirs = _mlp("tl"), _mlp("torch")
    make = {"sgd": lambda lib, ps: lib.optim.SGD(ps, lr=0.1, momentum=0.9),
            "adam": lambda lib, ps: lib.optim.Adam(ps, lr=1e-2),
            "adamw": lambda lib, ps: lib.optim.AdamW(ps, lr=1e-2, weight_decay=0.1)}[opt]
    o1, o2 = make(tl, ours.parameters()), make(torch, theirs.parameters())
    xb, tx = tl.tensor(x).bfloat16(), torch.from_numpy(x).bfloat16()
    losses = []
    for _ in range(5):
        o1.zero_grad(), o2.zero_grad()
        l1 = tl.nn.functional.cross_entropy(ours(xb), tl.tensor(y))
        l2 = torch.nn.functional.cross_entropy(theirs(tx), torch.from_numpy(y))
        l1.backward(), l2.backward()
        o1.step(), o2.step()
        assert l1.dtype is tl.bfloat16
        losses.append(l1.item())
        np.testing.assert_allclose(l1.item(), l2.item(), rtol=3e-2)
    assert losses[-1] < losses[0]
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert p.dtype is tl.bfloat16 and p.grad.dtype is tl.bfloat16
        np.testing.assert_allclose(p.float().detach().numpy(), q.float().detach().numpy(), rtol=5e-2, atol=2e-2)


def test_autocast_cpu_defaults_to_bfloat16_as_torch():
    assert tl.get_autocast_dtype("cpu") is tl.bfloat16 and torch.get_autocast_dtype("cpu") == torch.bfloat16
    lin, tlin = tl.nn.Linear(8, 4), torch.nn.Linear(8, 4)
    with torch.no_grad():
        tlin.weight.copy_(torch.from_numpy(lin.weight.detach().numpy()))
        tlin.bias.copy_(torch.from_numpy(lin.bias.detach().numpy()))
    x = np.random.default_rng(2).standard_normal((3, 8)).astype(np.float32)
    with tl.autocast("cpu"):
        y = lin(tl.tensor(x))
        loss = y.float().pow(2).mean()
    with torch.autocast("cpu"):
        ty = tlin(torch.from_numpy(x))
        tloss = ty.float().pow(2).mean()
    assert y.dtype is tl.bfloat16 and ty.dtype == torch.bfloat16
    np.testing.assert_array_equal(_bits(y), _bits(ty))
    loss.backward(), tloss.backward()
    assert lin.weight.grad.dtype is tl.float32
    np.testing.assert_allclose(lin.weight.grad.numpy(), tlin.weight.grad.numpy(), rtol=2e-2, atol=1e-3)


def test_checkpoints_round_trip_and_interoperate_with_torch(tmp_path):
    st_torch = pytest.importorskip("safetensors.torch")
    m = tl.nn.Linear(4, 3).bfloat16()
    tl.save(m.state_dict(), tmp_path / "m.safetensors")
    back = tl.load(tmp_path / "m.safetensors")
    assert back["weight"].dtype is tl.bfloat16
    np.testing.assert_array_equal(_bits(back["weight"]), _bits(m.weight.detach()))
    theirs = st_torch.load_file(str(tmp_path / "m.safetensors"))  # a BF16 entry, as torch writes it
    assert theirs["weight"].dtype == torch.bfloat16
    np.testing.assert_array_equal(_bits(theirs["weight"]), _bits(m.weight.detach()))
    st_torch.save_file({"a": torch.tensor([1.5, -2.0, 3e-3]).bfloat16()}, str(tmp_path / "t.safetensors"))
    a = tl.load(tmp_path / "t.safetensors")["a"]
    assert a.dtype is tl.bfloat16 and a.tolist() == torch.tensor([1.5, -2.0, 3e-3]).bfloat16().tolist()


@pytest.mark.parametrize("impl", ["reference", "native"])
def test_attention_kernels_take_bfloat16(impl):
    import tensorlite.kernels as K

    if impl not in K.available()["attention_forward"]:
        pytest.skip(f"{impl} attention is not built here")
    rng = np.random.default_rng(3)
    q, k, v = (rng.standard_normal((2, 9, 16)).astype(np.float32).astype(dt.BFLOAT16_NP) for _ in range(3))
    with K.use(impl):
        out, lse = K.dispatch("attention_forward")(q, k, v, None, True, None)
    assert out.dtype is dt.BFLOAT16_NP and lse.dtype == np.float32
    ref = torch.nn.functional.scaled_dot_product_attention(*(torch.from_numpy(a.astype(np.float32))
                                                             for a in (q, k, v)), is_causal=True)
    np.testing.assert_allclose(out.astype(np.float32), ref.numpy(), rtol=1e-2, atol=1e-2)


def test_on_the_stand_in_cuda_device():
    from tensorlite.testing.fake_cuda import fake_cuda

    with fake_cuda():
        m = tl.nn.Linear(4, 3).to("cuda").bfloat16()
        x = tl.randn(2, 4).to("cuda").bfloat16().requires_grad_()
        tl.nn.functional.gelu(m(x)).softmax(-1).sum().backward()
        assert x.grad.device.type == "cuda" and x.grad.dtype is tl.bfloat16 and m.weight.grad.dtype is tl.bfloat16


def test_without_ml_dtypes_the_messages_name_the_extra():
    code = (
        "import sys; sys.modules['ml_dtypes'] = None\n"
        "import tensorlite as tl\n"
        "try:\n    tl.bfloat16\nexcept AttributeError as e:\n    assert \"tensorlite[bf16]\" in str(e), e\n"
        "else:\n    raise SystemExit('tl.bfloat16 exists without ml_dtypes')\n"
        "for call in (lambda: tl.zeros(2, dtype='bfloat16'), lambda: tl.autocast('cpu', dtype='bfloat16')):\n"
        "    try:\n        call()\n    except TypeError as e:\n        assert 'tensorlite[bf16]' in str(e), e\n"
        "    else:\n        raise SystemExit('no error')\n"
        "assert tl.get_autocast_dtype('cpu') is tl.float16\n"
        "x = tl.randn(3, requires_grad=True); (x * x).sum().backward(); assert x.grad.dtype is tl.float32\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_dlpack_says_how_to_cross_and_the_bit_view_works():
    b = tl.tensor([1.5, -2.0, 3e-3]).bfloat16()
    with pytest.raises(BufferError, match="view"):
        torch.from_dlpack(b)
    with pytest.raises(BufferError, match="view"):
        tl.from_dlpack(torch.tensor([1.0]).bfloat16())
    theirs = torch.from_dlpack(b.view(tl.int16)).view(torch.bfloat16)
    np.testing.assert_array_equal(_bits(theirs), _bits(b))
    back = tl.from_dlpack(theirs.view(torch.int16)).view(tl.bfloat16)
    assert back.dtype is tl.bfloat16 and back.tolist() == b.tolist()
