"""Device "cuda" (CuPy): every op of the registry, device plumbing and training, on two backends.

* `fake`: tensorlite.testing.fake_cuda, NumPy with CuPy's strictness (host arrays mixed with device
  arrays, implicit device -> host conversions, names and dtypes CuPy lacks all raise), so every
  machine runs these tests and catches code that makes NumPy arrays for CUDA data or hands CUDA
  arrays to NumPy-only code. It cannot see: CUDA numerics, synchronisation and streams, more than
  one device, CuPy's wrap-around of out-of-bounds advanced indices, float16 gaps of single kernels.
* `cupy`: the real CuPy on a GPU (`pytest -m gpu`; skipped where CUDA is not available).

Each is compared with the same computation on the CPU (inputs, seeds and kernels the same:
"reference" everywhere, so the fake must agree to float32 round-off). Detection without a GPU
(`tl.cuda.is_available()`, the reasons, `tensorlite info`) is tested on this machine's real state.
"""
from __future__ import annotations

import copy
import importlib
import math
import subprocess
import sys

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn.functional as F
from tensorlite import nn, optim
from tensorlite import random as _random
from tensorlite.backend import get_array_module
from tensorlite.kernels._xp import _xp, device_of
from tensorlite.tensor import Tensor
from tensorlite.testing import check as C
from tensorlite.testing.fake_cuda import FakeCudaArray, fake_cuda
from tensorlite.testing.opinfo import all_ops

_backend = importlib.import_module("tensorlite.backend.device")  # the module (the package exports a class)
OPS = all_ops()


class Backend:
    """One CUDA backend under test: its array module and how closely it must match the CPU."""

    def __init__(self, name: str, xp, rtol: float, atol: float, train_rtol: float):
        self.name, self.xp, self.rtol, self.atol = name, xp, rtol, atol
        self.train_rtol = train_rtol  # after a few optimizer steps

    def tensor(self, arr: np.ndarray, requires_grad: bool = False) -> Tensor:
        t = Tensor._wrap(self.xp.asarray(arr))
        return t.requires_grad_(True) if requires_grad else t


@pytest.fixture(params=["fake", pytest.param("cupy", marks=pytest.mark.gpu)])
def cuda(request):
    if request.param == "fake":
        with fake_cuda() as fk:
            yield Backend("fake", fk.cupy, rtol=1e-5, atol=1e-6, train_rtol=1e-4)
    else:
        import cupy

        with tl.kernels.use("reference"):  # the CPU side runs "reference" too: one algorithm on both devices
            yield Backend("cupy", cupy, rtol=1e-4, atol=1e-4, train_rtol=2e-3)


def _host(t: Tensor) -> np.ndarray:
    return np.asarray(t._host())


def _close(a: Tensor, b: Tensor, rtol: float, atol: float) -> bool:
    return np.allclose(_host(a).astype(np.float64), _host(b).astype(np.float64), rtol=rtol, atol=atol,
                       equal_nan=True)


# -- (a) the op registry on cuda ---------------------------------------------------------------------------
def _on_device(value, leaves: list, be: Backend):
    """The sample's arguments with every CPU tensor replaced by a CUDA copy (requires_grad kept)."""
    if isinstance(value, Tensor):
        t = be.tensor(value._data.copy(), value.requires_grad)
        leaves.append(t)
        return t
    if type(value) in (list, tuple):
        return type(value)(_on_device(v, leaves, be) for v in value)
    return value


def _call(info, args, kwargs):
    _random.manual_seed(1234)  # random ops draw on the host from this generator: the same numbers on both
    try:
        return info.op(*args, **kwargs), None
    except Exception as exc:  # noqa: BLE001 - compared below
        return None, exc


def _sample_problems(info, sample, k: int, dtype: str, be: Backend) -> list[str]:
    b = C._Builder("tl", dtype, grad=sample.grad)
    args, kwargs = b.build(sample)
    dev_leaves: list = []
    dargs = _on_device(args, dev_leaves, be)
    dkwargs = {key: _on_device(v, dev_leaves, be) for key, v in kwargs.items()}
    ours, exc = _call(info, args, kwargs)
    theirs, dexc = _call(info, dargs, dkwargs)
    if exc is not None or dexc is not None:
        if exc is not None and dexc is not None and type(exc) is type(dexc):
            return []
        return [f"cpu {'raised ' + C._exc_text(exc) if exc else 'works'}, cuda "
                f"{'raised ' + C._exc_text(dexc) if dexc else 'works'}"]
    flat, dflat = C._flatten(ours), C._flatten(theirs)
    if len(flat) != len(dflat):
        return [f"{len(flat)} outputs on cpu, {len(dflat)} on cuda"]
    problems = []
    for i, (a, d) in enumerate(zip(flat, dflat)):
        if not isinstance(a, Tensor):
            same = a == d or (isinstance(a, float) and math.isnan(a) and math.isnan(d))
            if not same or type(a) is not type(d):
                problems.append(f"output {i}: {a!r} on cpu, {d!r} on cuda")
        elif not isinstance(d, Tensor) or not d.is_cuda:
            problems.append(f"output {i} is not a cuda tensor ({getattr(d, 'device', type(d).__name__)})")
        elif (a.dtype, tuple(a.shape), a.requires_grad) != (d.dtype, tuple(d.shape), d.requires_grad):
            problems.append(f"output {i}: {a.dtype}{list(a.shape)} (requires_grad={a.requires_grad}) on cpu, "
                            f"{d.dtype}{list(d.shape)} (requires_grad={d.requires_grad}) on cuda")
        elif not _close(a, d, be.rtol, be.atol):
            problems.append(f"output {i}: values differ (max |diff| "
                            f"{np.nanmax(np.abs(_host(a).astype(float) - _host(d).astype(float)), initial=0):.3g})")
    pairs = [(a, d) for a, d in zip(flat, dflat) if isinstance(a, Tensor) and a.requires_grad]
    if problems or not pairs:
        return problems
    rng = np.random.default_rng(k)
    weights = [rng.uniform(-1, 1, size=tuple(a.shape)).astype(_host(a).dtype) for a, _ in pairs]
    errs = []
    for outs, make in (([a for a, _ in pairs], Tensor._wrap), ([d for _, d in pairs], be.tensor)):
        try:
            tl.autograd.backward(outs, [make(w) for w in weights])
            errs.append(None)
        except Exception as e:  # noqa: BLE001
            errs.append(e)
    if errs[0] is not None or errs[1] is not None:
        if errs[0] is not None and errs[1] is not None and type(errs[0]) is type(errs[1]):
            return []
        return [f"backward: cpu {'raised ' + C._exc_text(errs[0]) if errs[0] else 'works'}, cuda "
                f"{'raised ' + C._exc_text(errs[1]) if errs[1] else 'works'}"]
    for j, (x, y) in enumerate(zip(b.leaves, dev_leaves)):
        if (x.grad is None) != (y.grad is None):
            problems.append(f"grad of input {j}: {'none' if x.grad is None else 'some'} on cpu, "
                            f"{'none' if y.grad is None else 'some'} on cuda")
        elif x.grad is not None:
            if not y.grad.is_cuda or y.grad.dtype != x.grad.dtype:
                problems.append(f"grad of input {j}: {y.grad.dtype} on {y.grad.device}, expected {x.grad.dtype} "
                                f"on cuda")
            elif not _close(x.grad, y.grad, 10 * be.rtol, 10 * be.atol):
                problems.append(f"grad of input {j}: values differ")
    return problems


@pytest.mark.parametrize("info", OPS, ids=[o.name for o in OPS])
def test_op_on_cuda_matches_cpu(info, cuda):
    """Forward and backward of every registered op on cuda: outputs and grads on cuda, equal to the CPU's."""
    dtype = "float32" if "float32" in info.dtypes else info.dtypes[0]
    failures = []
    for k, sample in enumerate(C.samples_of(info)):
        for p in _sample_problems(info, sample, k, dtype, cuda):
            failures.append(f"sample {k} ({C.describe(sample)}): {p}")
    assert not failures, f"{info.name} on {cuda.name} cuda:\n  " + "\n  ".join(failures[:8])


# -- (a) device plumbing ---------------------------------------------------------------------------------------
def test_device_objects_compare_like_pytorch():
    assert tl.device("cuda:0") == tl.device("cuda", 0) == "cuda:0"
    assert tl.device("cuda") != tl.device("cuda:0")  # no index: "the current device", as in PyTorch
    assert tl.device("cuda:1").index == 1 and tl.device("cuda").type == "cuda"
    assert str(tl.device("cuda", 0)) == "cuda:0" and repr(tl.device("cuda:0")) == "device(type='cuda', index=0)"
    assert tl.device("cpu") != "cuda" and hash(tl.device("cuda:0")) == hash(tl.device("cuda", 0))
    with pytest.raises(RuntimeError):
        tl.device("gpu")


def test_creation_ops_take_device(cuda):
    cases = {
        "tensor": lambda d: tl.tensor([[1.0, 2.0], [3.0, 4.0]], device=d),
        "zeros": lambda d: tl.zeros(2, 3, device=d), "ones": lambda d: tl.ones((2, 3), device=d),
        "full": lambda d: tl.full((2,), 7, device=d), "empty": lambda d: tl.empty(0, 3, device=d),
        "arange": lambda d: tl.arange(1, 7, 2, device=d), "linspace": lambda d: tl.linspace(0, 1, 5, device=d),
        "eye": lambda d: tl.eye(3, 2, device=d), "rand": lambda d: tl.rand(3, device=d),
        "randn": lambda d: tl.randn(2, 2, device=d), "randint": lambda d: tl.randint(0, 9, (4,), device=d),
        "randperm": lambda d: tl.randperm(6, device=d), "normal": lambda d: tl.normal(0.0, 2.0, (3,), device=d),
        "zeros_like": lambda d: tl.zeros_like(tl.ones(2, device=d)),
        "ones_like": lambda d: tl.ones_like(tl.zeros(2, dtype=tl.int64, device=d)),
        "full_like": lambda d: tl.full_like(tl.ones(2, device=d), 3.5),
        "rand_like": lambda d: tl.rand_like(tl.ones(2, 2, device=d)),
        "randn_like": lambda d: tl.randn_like(tl.ones(3, device=d)),
        "bernoulli": lambda d: tl.bernoulli(tl.full((6,), 0.5, device=d)),
        "multinomial": lambda d: tl.multinomial(tl.tensor([1.0, 2.0, 3.0], device=d), 2),
        "new_zeros": lambda d: tl.ones(1, device=d).new_zeros(2), "new_tensor": lambda d: tl.ones(1, device=d).new_tensor([3]),
    }
    for name, make in cases.items():
        tl.manual_seed(7)
        on_cpu = make("cpu")
        tl.manual_seed(7)
        on_cuda = make("cuda")
        assert on_cuda.is_cuda and on_cuda.device == "cuda:0", name
        assert on_cuda.dtype == on_cpu.dtype and on_cuda.shape == on_cpu.shape, name
        # random draws come from the one seeded host generator: a seed gives the same numbers on both devices
        np.testing.assert_array_equal(on_cuda.cpu().numpy(), on_cpu.numpy(), err_msg=name)
    assert tl.zeros(2, device="cuda", requires_grad=True).requires_grad
    assert tl.tensor(tl.ones(2, device="cuda")).is_cuda  # a copy stays where it was
    assert not tl.tensor(tl.ones(2, device="cuda"), device="cpu").is_cuda
    assert tl.as_tensor(np.ones(2), device="cuda").is_cuda
    raw = cuda.xp.asarray(np.arange(3.0))  # a CuPy array: tensor() copies it on the device, as_tensor() shares it
    assert tl.tensor(raw).is_cuda and tl.tensor(raw)._data is not raw and tl.as_tensor(raw)._data is raw
    assert tl.tensor(raw, device="cpu").tolist() == [0.0, 1.0, 2.0] and tl.tensor(raw).dtype == tl.float64


def test_to_cuda_cpu_and_friends(cuda):
    x = tl.randn(2, 3, requires_grad=True)
    y = x.to("cuda")
    assert y.is_cuda and y.device == tl.device("cuda", 0) and y.device.type == "cuda" and not x.is_cuda
    assert y.to("cuda") is y and y.cuda() is y and y.to("cuda:0") is y and y.to(y) is y
    assert x.cuda().is_cuda and x.cuda(0).device == "cuda:0" and y.cpu().device == "cpu"
    assert y.to("cuda", copy=True) is not y and y.to("cuda", non_blocking=True) is y
    z = y.to("cpu", tl.float64)
    assert z.device == "cpu" and z.dtype == tl.float64
    w = x.to(tl.ones(1, dtype=tl.float16, device="cuda"))  # to(other): other's device and dtype
    assert w.is_cuda and w.dtype == tl.float16
    assert x.to(device="cuda", dtype=tl.float64).dtype == tl.float64
    (y * y).sum().backward()  # differentiable: the gradient comes back to the CPU leaf
    assert not x.grad.is_cuda
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy(), rtol=1e-6)
    h = tl.ones(3, device="cuda").half()
    assert h.is_cuda and h.dtype == tl.float16


def test_host_conversions_follow_pytorch(cuda):
    x = tl.tensor([[1.5, -2.0], [0.25, 4.0]], device="cuda")
    with pytest.raises(TypeError, match=r"can't convert cuda:0 device type tensor to numpy\. Use Tensor\.cpu\(\)"):
        x.numpy()
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        np.asarray(x)
    np.testing.assert_array_equal(x.cpu().numpy(), [[1.5, -2.0], [0.25, 4.0]])
    assert x.tolist() == [[1.5, -2.0], [0.25, 4.0]]
    assert x[1, 1].item() == 4.0 and float(x[0, 0]) == 1.5 and int(x[1, 1]) == 4 and bool(x[0, 0])
    assert f"{x.sum():.2f}" == "3.75"
    assert "device='cuda:0'" in repr(x) and "device='cuda:0'" in str(x.half())
    assert x.data_ptr() != 0 and x.clone().data_ptr() != x.data_ptr()


def test_mixed_devices_raise_pytorchs_error(cuda):
    x = tl.randn(4, 3, device="cuda", requires_grad=True)
    c = tl.randn(4, 3)
    same_device = r"Expected all tensors to be on the same device, but found at least two devices, (cuda:0 and cpu|cpu and cuda:0)!"
    for call in (lambda: x + c, lambda: c * x, lambda: x @ c.T, lambda: tl.cat([x, c]), lambda: tl.stack([c, x]),
                 lambda: tl.where(c > 0, x, x), lambda: tl.where(x > 0, x, c), lambda: F.mse_loss(x, c),
                 lambda: F.linear(x, tl.randn(2, 3)), lambda: x.detach().add_(c), lambda: x.clamp(c, c + 1),
                 lambda: x.index_select(0, tl.tensor([0, 2])), lambda: x.gather(0, tl.zeros(2, 3, dtype=tl.int64)),
                 lambda: F.cross_entropy(x, tl.tensor([0, 1, 2, 0])),
                 lambda: F.cross_entropy(x, tl.tensor([0, 1, 2, 0], device="cuda"), weight=tl.ones(3)),
                 lambda: x.masked_fill(c > 0, 0.0), lambda: tl.isclose(x, c), lambda: tl.logical_and(x, c),
                 lambda: F.embedding(tl.tensor([0, 1]), x), lambda: tl.searchsorted(x, c)):
        with pytest.raises(RuntimeError, match=same_device):
            call()
    with pytest.raises(RuntimeError, match="expected device cuda:0 but got cpu"):
        (x * 2).backward(tl.ones(4, 3))
    # a 0-d CPU tensor goes with a CUDA tensor (as in PyTorch), and so do Python scalars; grads go home
    s = tl.tensor(2.0, requires_grad=True)
    out = (x * s + 1.5) / 2
    assert out.is_cuda
    out.sum().backward()
    assert not s.grad.is_cuda and x.grad.is_cuda
    np.testing.assert_allclose(s.grad.item(), x.detach().sum().item() / 2, rtol=1e-5)


def test_indexing_a_cuda_tensor_with_host_indices(cuda):
    host = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    x = tl.tensor(host, device="cuda")
    for key in (tl.tensor([0, 2]), [0, 2], np.array([3, 1]), tl.tensor([True, False, True, False]),
                tl.tensor(1), (slice(None), tl.tensor([2, 0]))):
        got = x[key]
        assert got.is_cuda
        np.testing.assert_array_equal(got.cpu().numpy(), tl.tensor(host)[key].numpy())
    y = x.clone()
    y[tl.tensor([0, 3])] = 5.0
    assert y.is_cuda and y.cpu().numpy()[[0, 3]].tolist() == [[5.0] * 3] * 2
    with pytest.raises(RuntimeError, match="indices should be either on cpu or on the same device"):
        tl.tensor(host)[tl.tensor([0, 1], device="cuda")]


def test_in_place_on_an_expanded_cuda_view_raises(cuda):
    x = tl.zeros(3, device="cuda").expand(2, 3)
    with pytest.raises(RuntimeError, match="expanded view"):
        x.add_(1.0)


def test_invalid_device_index(cuda):
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        tl.zeros(1, device=f"cuda:{tl.cuda.device_count()}")


def _small_net() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 3))


@pytest.mark.parametrize("make_opt", [
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    lambda p: optim.Adam(p, lr=0.01, amsgrad=True), lambda p: optim.AdamW(p, lr=0.01),
    lambda p: optim.RMSprop(p, lr=0.01, momentum=0.5), lambda p: optim.Adagrad(p, lr=0.1),
    lambda p: optim.Adadelta(p), lambda p: optim.Adamax(p), lambda p: optim.NAdam(p),
    lambda p: optim.RAdam(p), lambda p: optim.Rprop(p)],
    ids=["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop"])
def test_module_to_cuda_trains_like_cpu(make_opt, cuda):
    """Module.to moves parameters, buffers and grads; optimizer state, schedules and clipping follow the device."""
    results = []
    for dev in ("cpu", "cuda"):
        tl.manual_seed(3)
        net = _small_net()
        x, y = tl.randn(6, 4), tl.tensor([0, 1, 2, 0, 1, 2])
        net(x).sum().backward()  # a grad made on the CPU, moved along by .to()
        net.to(dev)
        assert all(p.device.type == dev for p in net.parameters())
        assert all(b.device.type == dev for b in net.buffers())
        assert all(p.grad.device.type == dev for p in net.parameters())
        opt = make_opt(net.parameters())
        sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        x, y = x.to(dev), y.to(dev)
        norms = []
        for _ in range(3):
            opt.zero_grad()
            F.cross_entropy(net(x), y).backward()
            norm = nn.utils.clip_grad_norm_(net.parameters(), 0.5)
            assert norm.device.type == dev
            norms.append(norm.item())
            opt.step()
            sched.step()
        for state in opt.state.values():
            for key, v in state.items():
                if isinstance(v, Tensor) and v.ndim:  # scalars like `step` stay on the CPU, as in PyTorch
                    assert v.device.type == dev, key
        results.append((norms, [p.detach().cpu().numpy() for p in net.parameters()], net.to("cpu")))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=cuda.train_rtol)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=cuda.train_rtol, atol=cuda.train_rtol / 10)


def test_save_load_and_map_location(cuda, tmp_path):
    tl.manual_seed(0)
    net = _small_net().cuda()
    opt = optim.Adam(net.parameters())
    F.cross_entropy(net(tl.randn(5, 4, device="cuda")), tl.tensor([0, 1, 2, 1, 0], device="cuda")).backward()
    opt.step()
    tl.save({"model": net.state_dict(), "opt": opt.state_dict()}, tmp_path / "ckpt.safetensors")
    loaded = tl.load(tmp_path / "ckpt.safetensors")
    assert all(not t.is_cuda for t in loaded["model"].values())  # saved through the host, loaded on the CPU
    on_cuda = tl.load(tmp_path / "ckpt.safetensors", map_location="cuda")
    assert all(t.is_cuda for t in on_cuda["model"].values())
    fresh = _small_net().cuda()
    fresh.load_state_dict(loaded["model"])  # CPU values copied into CUDA parameters
    opt2 = optim.Adam(fresh.parameters())
    opt2.load_state_dict(loaded["opt"])
    assert all(p.is_cuda for p in fresh.parameters())
    assert all(v.is_cuda for s in opt2.state.values() for k, v in s.items() if k != "step")
    for (name, a), b in zip(net.state_dict().items(), fresh.state_dict().values()):
        np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy(), err_msg=name)
    clone = copy.deepcopy(net)
    assert all(p.is_cuda for p in clone.parameters())


def test_dataloader_yields_cpu_batches(cuda):
    from tensorlite.utils.data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(tl.randn(10, 2), tl.arange(10)), batch_size=4, pin_memory=True)
    batches = [[t.to("cuda", non_blocking=True) for t in b] for b in loader]
    assert all(not t.is_cuda for b in loader for t in b)
    assert all(t.is_cuda for b in batches for t in b) and sum(len(b[0]) for b in batches) == 10


def test_autograd_api_on_cuda(cuda):
    x = tl.randn(3, device="cuda", requires_grad=True)
    y = (x.exp() * x).sum()
    (g,) = tl.autograd.grad(y, x, create_graph=True)
    assert g.is_cuda and g.requires_grad
    g.sum().backward()  # second order, seeded on the device
    assert x.grad.is_cuda
    xs = x.detach().cpu().numpy()
    np.testing.assert_allclose(x.grad.cpu().numpy(), np.exp(xs) * (xs + 2), rtol=1e-5)
    h = x * 2
    h.retain_grad()
    h.backward(tl.ones(3, device="cuda"))
    assert h.grad.is_cuda


def test_float16_on_cuda_matches_cpu(cuda):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 5)).astype(np.float16), rng.standard_normal((5, 3)).astype(np.float16)
    for f in (lambda p, q: p @ q, lambda p, q: (p * 2 - 1).relu().sum(0), lambda p, q: F.softmax(p, 1),
              lambda p, q: p.to(tl.float32).mean(), lambda p, q: tl.cat([p, p]).half()):
        ref = f(tl.tensor(a), tl.tensor(b))
        got = f(tl.tensor(a, device="cuda"), tl.tensor(b, device="cuda"))
        assert got.is_cuda and got.dtype == ref.dtype
        np.testing.assert_allclose(got.cpu().numpy().astype(np.float32), ref.numpy().astype(np.float32),
                                   rtol=1e-2, atol=1e-2)


def test_resnet_mini_training_step_matches_cpu(cuda):
    from tensorlite.models import get_model

    runs = []
    for dev in ("cpu", "cuda"):
        tl.manual_seed(0)
        model = get_model("resnet_mini", num_classes=10, in_channels=1).to(dev)
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
        x, y = tl.randn(4, 1, 16, 16).to(dev), tl.tensor([1, 2, 3, 4]).to(dev)
        losses = []
        for _ in range(2):
            opt.zero_grad()
            loss = nn.CrossEntropyLoss(label_smoothing=0.1)(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert all(p.device.type == dev for p in model.parameters())
        runs.append((losses, {k: v.cpu().numpy() for k, v in model.state_dict().items()}))
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=cuda.train_rtol / 10)
    for k, v in runs[0][1].items():
        np.testing.assert_allclose(runs[1][1][k], v, rtol=cuda.train_rtol, atol=cuda.train_rtol / 10, err_msg=k)


def test_train_command_on_cuda(cuda, tmp_path, monkeypatch, capsys):
    pytest.importorskip("sklearn")  # the digits dataset
    from tensorlite.training import cli, trainer

    seen = []
    real_to = trainer._to

    def spy(batch, device):
        moved = real_to(batch, device)
        seen.append({t.device.type for t in moved})
        return moved

    monkeypatch.setattr(trainer, "_to", spy)
    code = cli.main(["resnet_mini", "--dataset", "digits", "--epochs", "1", "--batch-size", "256", "--scheduler",
                     "none", "--no-progress", "--no-tensorboard", "--out", str(tmp_path), "--name", "c",
                     "--device", "cuda"])
    out = capsys.readouterr().out
    assert code == 0 and "(cuda)" in out and "test accuracy" in out
    assert seen and all(s == {"cuda"} for s in seen)  # every training and validation batch went to the GPU
    state = tl.load(tmp_path / "c" / "checkpoint.safetensors")
    assert all(np.isfinite(v.numpy()).all() for v in state["model"].values() if v.is_floating_point())


# -- the fake backend itself: as strict as CuPy where it matters ------------------------------------------------
def test_fake_cuda_is_as_strict_as_cupy():
    with fake_cuda() as fk:
        xp = fk.cupy
        a = xp.asarray(np.arange(6.0).reshape(2, 3))
        assert isinstance(a, FakeCudaArray) and not isinstance(a, np.ndarray)
        assert get_array_module(a) is xp and _xp(a) is xp
        assert device_of(a) == "cuda" and device_of(np.ones(1)) == "cpu"
        with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
            np.asarray(a)
        for bad in (lambda: a + np.ones(3), lambda: np.multiply(np.ones((2, 3)), a), lambda: xp.maximum(a, np.ones(3)),
                    lambda: a * np.asarray(2.0), lambda: xp.concatenate([a, np.ones((1, 3))]),
                    lambda: xp.exp(a, where=a > 0), lambda: xp.add.at(xp.zeros(3, dtype=np.int64), [0], 1)):
            with pytest.raises(TypeError):
                bad()
        with pytest.raises(ValueError):
            a[0] = np.ones(3)  # basic indexing fills: CuPy refuses host arrays there
        with pytest.raises(AttributeError):
            a.flags.writeable  # noqa: B018 - CuPy arrays have no such flag
        assert isinstance(a.sum(), FakeCudaArray) and a.sum().ndim == 0  # 0-d arrays, not NumPy scalars
        assert isinstance(a[0, 0], FakeCudaArray) and float(a[0, 0]) == 0.0
        assert (a * 2 + np.float32(1)).get().tolist() == [[1, 3, 5], [7, 9, 11]]
        b = a.copy()
        b[np.array([0, 1]), 0] = np.array([9.0, 8.0])  # host index arrays and advanced-index values are fine
        assert b.get()[:, 0].tolist() == [9.0, 8.0] and xp.asarray(b) is b
        with pytest.raises(TypeError):
            np.sum(a, where=True)  # NumPy names go to CuPy's through __array_function__, keywords and all
        assert np.sum(a).get() == 15.0 and a.device.id == 0 and a.data.ptr
        with pytest.raises(AttributeError):
            xp.asfarray  # noqa: B018 - not in CuPy's namespace
        assert tl.cuda.is_available() and tl.cuda.device_count() == 1
        # automatic dispatch: "native" is CPU-only and Triton cannot run on arrays that only pretend to be on a GPU
        assert set(tl.kernels.selected("cuda").values()) == {"reference"}
    assert _backend._fake is None  # leaving the context restores the real backend


def test_kernel_helpers_do_not_import_cupy_for_numpy_arrays():
    code = ("import sys, numpy as np; import tensorlite as tl; from tensorlite.kernels._xp import _xp, device_of; "
            "assert _xp(np.ones(2)) is np and device_of(np.ones(2)) == 'cpu'; "
            "tl.ones(3).exp().sum(); assert 'cupy' not in sys.modules, 'cupy imported'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


# -- (c) detection: CuPy importable but no GPU, and CuPy missing ------------------------------------------------
no_gpu_here = pytest.mark.skipif(tl.cuda.is_available(), reason="a GPU is present: these check the no-GPU reasons")


@pytest.fixture
def fresh_probe():
    _backend._reset_probe()
    yield
    _backend._reset_probe()


@no_gpu_here
def test_no_gpu_is_reported_cleanly(fresh_probe, capsys):
    assert tl.cuda.is_available() is False and tl.cuda.device_count() == 0
    reason = tl.cuda.unavailable_reason()
    assert reason.startswith("CUDA not available")
    for make in (lambda: tl.zeros(1, device="cuda"), lambda: tl.ones(2).cuda(), lambda: tl.randn(2, device="cuda:0"),
                 lambda: nn.Linear(2, 2).to("cuda")):
        with pytest.raises(RuntimeError) as info:
            make()
        assert type(info.value) is RuntimeError and reason in str(info.value)
        assert info.value.__cause__ is None and info.value.__suppress_context__  # no CuPy traceback attached
    from tensorlite.cli import main

    assert main(["info"]) == 0
    assert reason in capsys.readouterr().out


@no_gpu_here
def test_missing_cupy_names_the_extra(fresh_probe, monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # `import cupy` raises ImportError
    assert tl.cuda.is_available() is False
    reason = tl.cuda.unavailable_reason()
    assert "CUDA not available" in reason and "tensorlite[cuda]" in reason
    with pytest.raises(RuntimeError, match=r"tensorlite\[cuda\]"):
        tl.zeros(1, device="cuda")


@no_gpu_here
def test_train_command_refuses_cuda_with_the_reason(fresh_probe):
    from tensorlite.training.cli import main

    with pytest.raises(SystemExit, match="--device cuda: .*CUDA not available"):
        main(["resnet_mini", "--dataset", "digits", "--device", "cuda"])
