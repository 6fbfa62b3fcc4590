"""tl.nn layers against torch.nn: the same weights give the same outputs, gradients and running stats.

Every module of modules/linear.py, activation.py, normalization.py, dropout.py and flatten.py
is built in both libraries, tensorlite's parameters and buffers are copied from PyTorch's
(by state_dict name, so the names are checked too), and one forward and backward runs on the
same input (float64, tight tolerances). Normalization layers also run several training steps
and then eval(), comparing running_mean/running_var/num_batches_tracked. Also: init schemes'
bounds and statistics, reprs, and the containers' list/dict behaviour.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn as nn
from tensorlite.nn import init

torch = pytest.importorskip("torch")
tnn = torch.nn

RNG = np.random.default_rng(0)


# -- helpers ---------------------------------------------------------------------------------------------------
def copy_state(tl_mod: nn.Module, t_mod) -> None:
    """Copy PyTorch's parameters and buffers into tensorlite's, by state_dict name."""
    ours = tl_mod.state_dict()
    theirs = t_mod.state_dict()
    assert list(ours.keys()) == list(theirs.keys())
    tl_mod.load_state_dict({k: tl.tensor(v.detach().numpy().copy()) for k, v in theirs.items()})


def run_both(tl_mod, t_mod, shapes, dtype=np.float64, positive=False, grad=True):
    """Forward and backward through both modules on the same inputs; compare outputs and all gradients."""
    arrays = [RNG.uniform(0.1, 2.0, s) if positive else RNG.standard_normal(s) for s in shapes]
    arrays = [a.astype(dtype) for a in arrays]
    xs = [tl.tensor(a.copy(), requires_grad=grad) for a in arrays]
    txs = [torch.tensor(a.copy(), requires_grad=grad) for a in arrays]
    out = tl_mod(*xs)
    tout = t_mod(*txs)
    tol = 1e-10 if dtype == np.float64 else 1e-5
    assert tuple(out.shape) == tuple(tout.shape)
    assert out.dtype.name == str(tout.dtype).replace("torch.", "")
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=tol, atol=tol)
    if grad and tout.requires_grad:
        w = RNG.standard_normal(tuple(tout.shape)).astype(dtype)
        out.backward(tl.tensor(w))
        tout.backward(torch.tensor(w))
        gtol = 1e-7 if dtype == np.float64 else 1e-4  # some PyTorch kernels use float constants (hardsigmoid's 1/6)
        for x, tx in zip(xs, txs):
            np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=gtol, atol=gtol)
        tparams = dict(t_mod.named_parameters())
        for name, p in tl_mod.named_parameters():
            tp = tparams[name]
            if tp.grad is None:
                assert p.grad is None or not p.grad.numpy().any()
                continue
            np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=gtol, atol=gtol, err_msg=name)
    return out, tout


def same_repr(tl_mod, t_mod) -> None:
    assert repr(tl_mod) == repr(t_mod).replace("torch.", "tensorlite.")


# -- linear ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (2, 5, 3), (3,)])
def test_linear(bias, shape):
    m, tm = nn.Linear(3, 6, bias=bias).double(), tnn.Linear(3, 6, bias=bias).double()
    copy_state(m, tm)
    run_both(m, tm, [shape])
    same_repr(m, tm)
    assert m.weight.shape == (6, 3) and (m.bias is None) == (not bias)


def test_linear_default_dtype_and_init_bounds():
    tl.manual_seed(0)
    m = nn.Linear(50, 40)
    assert m.weight.dtype == tl.float32 and m.bias.dtype == tl.float32
    bound = 1 / math.sqrt(50)
    w = m.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(m.bias.detach().numpy()).max() <= bound
    # U(-b, b) has std b / sqrt(3)
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
    assert m.weight.requires_grad and m.weight.is_leaf


def test_linear_dtype_argument():
    m = nn.Linear(2, 3, dtype=tl.float64)
    assert m.weight.dtype == tl.float64 and m.bias.dtype == tl.float64


def test_bilinear():
    m, tm = nn.Bilinear(3, 4, 5).double(), tnn.Bilinear(3, 4, 5).double()
    copy_state(m, tm)
    run_both(m, tm, [(6, 3), (6, 4)])
    same_repr(m, tm)
    m, tm = nn.Bilinear(2, 2, 3, bias=False).double(), tnn.Bilinear(2, 2, 3, bias=False).double()
    copy_state(m, tm)
    run_both(m, tm, [(4, 2), (4, 2)])


def test_identity():
    m = nn.Identity(54, unused="x")
    x = tl.randn(3)
    assert m(x) is x
    same_repr(m, tnn.Identity())


# -- activations -------------------------------------------------------------------------------------------------
ACTIVATIONS = [
    ("ReLU", (), {}), ("ReLU", (), {"inplace": True}), ("ReLU6", (), {}), ("LeakyReLU", (0.2,), {}),
    ("LeakyReLU", (), {"inplace": True}), ("ELU", (0.5,), {}), ("SELU", (), {}), ("CELU", (1.5,), {}),
    ("GELU", (), {}), ("GELU", (), {"approximate": "tanh"}), ("SiLU", (), {}), ("Mish", (), {}), ("Sigmoid", (), {}),
    ("Tanh", (), {}), ("Softplus", (2.0, 5.0), {}), ("Softsign", (), {}), ("Hardtanh", (-0.5, 0.7), {}),
    ("Hardsigmoid", (), {}), ("Hardswish", (), {}), ("Tanhshrink", (), {}), ("Softshrink", (0.3,), {}),
    ("Hardshrink", (0.4,), {}), ("Threshold", (0.1, -2.0), {}), ("LogSigmoid", (), {}), ("GLU", (), {}),
    ("GLU", (0,), {}), ("Softmax", (1,), {}), ("LogSoftmax", (-1,), {}), ("Softmin", (0,), {}),
    ("Softmax2d", (), {}), ("PReLU", (), {}), ("PReLU", (4,), {"init": 0.1}),
]


@pytest.mark.parametrize("name, args, kwargs", ACTIVATIONS,
                         ids=[f"{n}{a}{k}" for n, a, k in ACTIVATIONS])
def test_activation_module(name, args, kwargs):
    m = getattr(nn, name)(*args, **kwargs).double()
    tm = getattr(tnn, name)(*args, **kwargs).double()
    copy_state(m, tm)
    same_repr(m, tm)
    shape = (2, 4, 3, 2)
    if kwargs.get("inplace"):
        # in-place on a non-leaf: run through an identity op first, as a network would
        a = RNG.standard_normal(shape)
        x, tx = tl.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        y, ty = m(x * 1.0), tm(tx * 1.0)
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
        y.sum().backward()
        ty.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)
        return
    run_both(m, tm, [shape])


def test_activation_reprs_with_settings():
    pairs = [(nn.ReLU(True), tnn.ReLU(True)), (nn.ReLU6(True), tnn.ReLU6(True)),
             (nn.LeakyReLU(0.2, True), tnn.LeakyReLU(0.2, True)), (nn.ELU(0.5, True), tnn.ELU(0.5, True)),
             (nn.Hardtanh(-2, 2, True), tnn.Hardtanh(-2, 2, True)), (nn.Hardsigmoid(True), tnn.Hardsigmoid(True)),
             (nn.Threshold(0.1, 20, True), tnn.Threshold(0.1, 20, True)), (nn.Softmax(), tnn.Softmax()),
             (nn.RReLU(0.1, 0.3, True), tnn.RReLU(0.1, 0.3, True)), (nn.PReLU(3), tnn.PReLU(3)),
             (nn.SiLU(True), tnn.SiLU(True)), (nn.Mish(True), tnn.Mish(True))]
    for m, tm in pairs:
        same_repr(m, tm)


def test_prelu_parameter_and_errors():
    m = nn.PReLU(3, init=0.1)
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    np.testing.assert_allclose(m.weight.detach().numpy(), 0.1)
    with pytest.raises(AssertionError):
        nn.Hardtanh(1.0, -1.0)


def test_rrelu_eval_and_train():
    m, tm = nn.RReLU(0.1, 0.3), tnn.RReLU(0.1, 0.3)
    m.eval()
    tm.eval()
    run_both(m, tm, [(3, 4)])
    m.train()
    x = tl.tensor(RNG.standard_normal((200,)), requires_grad=True)
    y = m(x)
    ratio = (y / x).detach().numpy()
    neg = x.detach().numpy() < 0
    assert np.all(ratio[~neg] == 1.0)
    assert np.all((ratio[neg] >= 0.1) & (ratio[neg] <= 0.3))
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), ratio, rtol=1e-12)


# -- normalization ----------------------------------------------------------------------------------------------
NORM_CASES = [
    ("BatchNorm1d", (3,), {}, (5, 3)),
    ("BatchNorm1d", (3,), {"momentum": 0.3}, (4, 3, 6)),
    ("BatchNorm1d", (3,), {"affine": False}, (5, 3)),
    ("BatchNorm1d", (3,), {"bias": False}, (5, 3)),
    ("BatchNorm2d", (2,), {}, (3, 2, 3, 4)),
    ("BatchNorm2d", (2,), {"momentum": None}, (3, 2, 3, 4)),
    ("BatchNorm2d", (2,), {"track_running_stats": False}, (3, 2, 3, 3)),
    ("BatchNorm2d", (2,), {"eps": 1e-2, "affine": False, "track_running_stats": False}, (3, 2, 2, 2)),
    ("BatchNorm3d", (2,), {}, (2, 2, 2, 3, 2)),
    ("InstanceNorm1d", (3,), {}, (2, 3, 5)),
    ("InstanceNorm1d", (3,), {"affine": True, "track_running_stats": True}, (2, 3, 5)),
    ("InstanceNorm1d", (3,), {"affine": True}, (3, 5)),
    ("InstanceNorm2d", (2,), {"affine": True}, (2, 2, 3, 3)),
    ("InstanceNorm2d", (2,), {"track_running_stats": True, "momentum": 0.5}, (3, 2, 3, 3)),
    ("InstanceNorm3d", (2,), {"affine": True}, (2, 2, 2, 2, 3)),
    ("LayerNorm", (4,), {}, (3, 4)),
    ("LayerNorm", ((3, 4),), {}, (2, 3, 4)),
    ("LayerNorm", (4,), {"elementwise_affine": False}, (2, 5, 4)),
    ("LayerNorm", (4,), {"bias": False, "eps": 1e-3}, (2, 4)),
    ("GroupNorm", (2, 4), {}, (3, 4, 5)),
    ("GroupNorm", (3, 6), {"affine": False}, (2, 6, 2, 2)),
    ("GroupNorm", (1, 4), {"eps": 1e-3}, (2, 4)),
    ("RMSNorm", (4,), {}, (3, 4)),
    ("RMSNorm", ([3, 4],), {"eps": 1e-3}, (2, 3, 4)),
    ("RMSNorm", (4,), {"elementwise_affine": False}, (2, 4)),
    ("LocalResponseNorm", (3,), {}, (2, 5, 3)),
    ("LocalResponseNorm", (2,), {"alpha": 0.1, "beta": 0.5, "k": 2.0}, (2, 4, 2, 2)),
]


def _randomise_affine(m, tm) -> None:
    """Non-trivial weights (PyTorch initialises them to ones and zeros), the same in both."""
    with torch.no_grad():
        for p in tm.parameters():
            p.copy_(torch.tensor(RNG.uniform(0.5, 1.5, tuple(p.shape))))
    copy_state(m, tm)


@pytest.mark.parametrize("name, args, kwargs, shape", NORM_CASES,
                         ids=[f"{n}{a}{k}-{s}" for n, a, k, s in NORM_CASES])
def test_norm_layer_train_then_eval(name, args, kwargs, shape):
    m = getattr(nn, name)(*args, **kwargs).double()
    tm = getattr(tnn, name)(*args, **kwargs).double()
    same_repr(m, tm)
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in tm.named_buffers()]
    _randomise_affine(m, tm)
    for _ in range(3):  # several training steps: running statistics must follow PyTorch's
        run_both(m, tm, [shape])
    for (n, b), (tn, tb) in zip(m.named_buffers(), tm.named_buffers()):
        assert n == tn
        assert b.dtype.name == str(tb.dtype).replace("torch.", "")
        np.testing.assert_allclose(b.numpy(), tb.numpy(), rtol=1e-12, atol=1e-12, err_msg=n)
    m.eval()
    tm.eval()
    run_both(m, tm, [shape])
    for (n, b), (_, tb) in zip(m.named_buffers(), tm.named_buffers()):
        np.testing.assert_allclose(b.numpy(), tb.numpy(), rtol=1e-12, atol=1e-12, err_msg=f"{n} changed in eval")


def test_batchnorm_float32_and_buffers():
    m = nn.BatchNorm2d(4)
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in m.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    assert m.num_batches_tracked.dtype == tl.int64 and m.num_batches_tracked.item() == 0
    y = m(tl.randn(2, 4, 3, 3))
    assert y.dtype == tl.float32
    assert m.running_mean.dtype == tl.float32 and m.num_batches_tracked.item() == 1
    m.double()
    assert m.running_mean.dtype == tl.float64 and m.num_batches_tracked.dtype == tl.int64
    m.reset_running_stats()
    assert m.num_batches_tracked.item() == 0 and float(m.running_var.sum()) == 4.0


def test_batchnorm_cumulative_average():
    m, tm = nn.BatchNorm1d(2, momentum=None).double(), tnn.BatchNorm1d(2, momentum=None).double()
    for _ in range(4):
        run_both(m, tm, [(6, 2)])
    np.testing.assert_allclose(m.running_mean.numpy(), tm.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(m.running_var.numpy(), tm.running_var.numpy(), rtol=1e-12)


def test_batchnorm_eval_without_running_stats_uses_batch():
    m, tm = nn.BatchNorm1d(3, track_running_stats=False).double(), tnn.BatchNorm1d(3, track_running_stats=False)
    tm = tm.double()
    m.eval()
    tm.eval()
    run_both(m, tm, [(5, 3)])


def test_norm_input_checks():
    with pytest.raises(ValueError):
        nn.BatchNorm2d(3)(tl.randn(2, 3))
    with pytest.raises(ValueError):
        nn.BatchNorm1d(3)(tl.randn(2, 3, 4, 5))
    with pytest.raises(ValueError):
        nn.BatchNorm1d(3)(tl.randn(1, 3))  # one value per channel in training
    with pytest.raises(ValueError):
        nn.InstanceNorm1d(3, affine=True)(tl.randn(2, 4, 5))
    with pytest.raises(ValueError):
        nn.GroupNorm(3, 4)
    with pytest.raises(RuntimeError):
        nn.LayerNorm(4)(tl.randn(2, 3))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.InstanceNorm1d(3)(tl.randn(2, 4, 5))
    assert any("does not match num_features" in str(w.message) for w in caught)


def test_batchnorm_float32_matches_torch():
    m, tm = nn.BatchNorm2d(3), tnn.BatchNorm2d(3)
    _randomise_affine(m, tm)
    run_both(m, tm, [(4, 3, 5, 5)], dtype=np.float32)
    np.testing.assert_allclose(m.running_var.numpy(), tm.running_var.numpy(), rtol=1e-5)


def test_batchnorm_double_backward():
    m = nn.BatchNorm1d(2).double()
    x = tl.tensor(RNG.standard_normal((4, 2)), requires_grad=True)
    assert tl.autograd.gradcheck(lambda t: m(t), (x,))
    assert tl.autograd.gradgradcheck(lambda t: m(t), (x,))


def test_batchnorm_load_state_dict_without_num_batches_tracked():
    m = nn.BatchNorm1d(2)
    sd = {k: v for k, v in m.state_dict().items() if k != "num_batches_tracked"}
    m.load_state_dict(sd)  # older checkpoints lack the counter, as in PyTorch


# -- dropout ----------------------------------------------------------------------------------------------------
DROPOUTS = [("Dropout", (4, 5), 0.3), ("Dropout1d", (2, 4, 5), 0.5), ("Dropout2d", (2, 4, 3, 3), 0.5),
            ("Dropout3d", (2, 4, 2, 2, 2), 0.5), ("AlphaDropout", (4, 5), 0.2), ("FeatureAlphaDropout", (2, 4, 3), 0.2)]


@pytest.mark.parametrize("name, shape, p", DROPOUTS, ids=[d[0] for d in DROPOUTS])
def test_dropout_modules(name, shape, p):
    m, tm = getattr(nn, name)(p), getattr(tnn, name)(p)
    same_repr(m, tm)
    same_repr(getattr(nn, name)(0.2, inplace=True), getattr(tnn, name)(0.2, inplace=True))
    x = tl.tensor(RNG.standard_normal(shape), requires_grad=True)
    tl.manual_seed(3)
    y1 = m(x)
    tl.manual_seed(3)
    y2 = m(x)
    np.testing.assert_array_equal(y1.detach().numpy(), y2.detach().numpy())  # seeded
    assert y1.shape == x.shape and y1.dtype == x.dtype
    # gradient is the same mask and scale as the forward
    y1.backward(tl.ones_like(y1))
    if "Alpha" not in name:
        factor = y1.detach().numpy() / x.detach().numpy()
        np.testing.assert_allclose(x.grad.numpy(), factor, rtol=1e-10)
        kept = factor != 0
        np.testing.assert_allclose(factor[kept], 1 / (1 - p), rtol=1e-10)
        if name != "Dropout":  # whole channels
            per_channel = kept.reshape(shape[0], shape[1], -1)
            assert np.all(per_channel.all(-1) | ~per_channel.any(-1))
    m.eval()
    assert m(x) is x
    with pytest.raises(ValueError):
        getattr(nn, name)(1.5)


def test_dropout_statistics():
    tl.manual_seed(0)
    x = tl.ones(200_000)
    y = nn.Dropout(0.3)(x).numpy()
    assert abs((y == 0).mean() - 0.3) < 0.01
    assert abs(y.mean() - 1.0) < 0.02
    z = nn.AlphaDropout(0.2)(tl.randn(200_000, dtype=tl.float64)).numpy()
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1.0) < 0.02  # self-normalising: mean 0, var 1 kept


def test_dropout_inplace_module():
    m = nn.Dropout(0.5, inplace=True)
    x = tl.ones(100)
    y = m(x)
    assert y is x and set(np.unique(x.numpy())) <= {0.0, 2.0}


# -- flatten ----------------------------------------------------------------------------------------------------
def test_flatten_unflatten():
    for args, shape in [((), (2, 3, 4)), ((0, 1), (2, 3, 4)), ((1, -1), (2, 3)), ((0,), (2, 3, 4))]:
        m, tm = nn.Flatten(*args), tnn.Flatten(*args)
        run_both(m, tm, [shape])
        same_repr(m, tm)
    for dim, sizes, shape in [(1, (2, 3), (4, 6)), (-1, [2, 2], (3, 4)), (1, (2, -1), (4, 6))]:
        m, tm = nn.Unflatten(dim, sizes), tnn.Unflatten(dim, sizes)
        run_both(m, tm, [shape])
        same_repr(m, tm)
    with pytest.raises(TypeError):
        nn.Unflatten(1, 2)
    with pytest.raises(TypeError):
        nn.Unflatten(1, [2.0, 3])
    with pytest.raises(RuntimeError):
        nn.Unflatten(1, (4, 3))(tl.randn(4, 6))


# -- init -------------------------------------------------------------------------------------------------------------
def test_calculate_gain_matches_torch():
    for name, param in [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                        ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None), ("conv_transpose3d", None)]:
        assert init.calculate_gain(name, param) == pytest.approx(tnn.init.calculate_gain(name, param))
    with pytest.raises(ValueError):
        init.calculate_gain("swish")
    with pytest.raises(ValueError):
        init.calculate_gain("leaky_relu", "0.2")


def test_fans():
    for shape in [(3, 4), (8, 3, 5, 5), (2, 6, 3)]:
        assert init._calculate_fan_in_and_fan_out(tl.empty(*shape)) == \
            tnn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    with pytest.raises(ValueError):
        init._calculate_fan_in_and_fan_out(tl.empty(3))
    with pytest.raises(ValueError):
        init.kaiming_uniform_(tl.empty(3, 4), mode="fan_avg")


def _stats(fill, shape=(400, 500), seed=0):
    t = tl.empty(*shape)
    tl.manual_seed(seed)
    out = fill(t)
    assert out is t
    return t.numpy().astype(np.float64)


def test_init_distributions():
    fan_in, fan_out = 500, 400
    a = _stats(lambda t: init.uniform_(t, -0.5, 1.5))
    assert a.min() >= -0.5 and a.max() < 1.5 and abs(a.mean() - 0.5) < 0.01
    a = _stats(lambda t: init.normal_(t, 2.0, 0.5))
    assert abs(a.mean() - 2.0) < 0.01 and abs(a.std() - 0.5) < 0.01
    a = _stats(lambda t: init.xavier_uniform_(t, gain=2.0))
    bound = 2.0 * math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(a).max() <= bound and abs(a.std() - bound / math.sqrt(3)) < 0.01 * bound
    a = _stats(lambda t: init.xavier_normal_(t))
    assert abs(a.std() - math.sqrt(2 / (fan_in + fan_out))) < 0.01 * math.sqrt(2 / (fan_in + fan_out))
    a = _stats(lambda t: init.kaiming_uniform_(t, a=0.1, mode="fan_out", nonlinearity="leaky_relu"))
    bound = math.sqrt(2 / (1 + 0.01)) * math.sqrt(3 / fan_out)
    assert np.abs(a).max() <= bound and np.abs(a).max() > 0.99 * bound
    a = _stats(lambda t: init.kaiming_normal_(t, nonlinearity="relu"))
    assert abs(a.std() - math.sqrt(2 / fan_in)) < 0.01 * math.sqrt(2 / fan_in)
    a = _stats(lambda t: init.trunc_normal_(t, mean=0.5, std=1.0, a=-1.0, b=1.5))
    assert a.min() >= -1.0 and a.max() <= 1.5
    ref = torch.empty(400, 500)
    torch.manual_seed(0)
    tnn.init.trunc_normal_(ref, mean=0.5, std=1.0, a=-1.0, b=1.5)
    assert abs(a.mean() - ref.mean().item()) < 0.01 and abs(a.std() - ref.std().item()) < 0.01


def test_init_deterministic_fills():
    t = init.constant_(tl.empty(2, 3), 0.7)
    np.testing.assert_allclose(t.numpy(), 0.7)
    assert init.ones_(tl.empty(3)).numpy().tolist() == [1, 1, 1]
    assert init.zeros_(tl.ones(3)).numpy().tolist() == [0, 0, 0]
    np.testing.assert_array_equal(init.eye_(tl.empty(3, 4)).numpy(), torch.nn.init.eye_(torch.empty(3, 4)).numpy())
    for shape, groups in [((4, 3, 3), 1), ((6, 2, 3, 3), 2), ((4, 2, 3, 3, 3), 1)]:
        np.testing.assert_array_equal(init.dirac_(tl.empty(*shape), groups).numpy(),
                                      tnn.init.dirac_(torch.empty(*shape), groups).numpy())
    with pytest.raises(ValueError):
        init.eye_(tl.empty(3))
    with pytest.raises(ValueError):
        init.dirac_(tl.empty(3, 3))


def test_orthogonal_and_sparse():
    for shape in [(6, 4), (4, 6), (3, 2, 2)]:
        t = init.orthogonal_(tl.empty(*shape), gain=2.0).numpy().reshape(shape[0], -1).astype(np.float64)
        small = min(t.shape)
        gram = t @ t.T if t.shape[0] == small else t.T @ t
        np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-5)
    with pytest.raises(ValueError):
        init.orthogonal_(tl.empty(3))
    s = init.sparse_(tl.empty(10, 6), sparsity=0.3, std=0.1).numpy()
    assert ((s == 0).sum(0) >= 3).all()


def test_init_generator_and_no_grad():
    g1, g2 = tl.Generator().manual_seed(5), tl.Generator().manual_seed(5)
    a = init.normal_(tl.empty(10), generator=g1)
    b = init.normal_(tl.empty(10), generator=g2)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    p = nn.Parameter(tl.zeros(3))
    version = p._version
    init.uniform_(p)  # a leaf that requires grad is filled without an in-place autograd error
    assert p.grad_fn is None and p.requires_grad and p._version > version
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        init.kaiming_uniform_(tl.empty(0, 3))
    assert caught


# -- containers --------------------------------------------------------------------------------------------------
def test_sequential_indexing_and_editing():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    s = nn.Sequential(a, b, c)
    assert len(s) == 3 and s[0] is a and s[-1] is c and list(s) == [a, b, c]
    sub = s[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c] and list(sub._modules) == ["1", "2"]
    with pytest.raises(IndexError):
        s[3]
    d = nn.Tanh()
    s[1] = d
    assert s[1] is d
    del s[0]
    assert list(s._modules) == ["0", "1"] and s[0] is d
    s.append(b).insert(0, a).extend([nn.Sigmoid()])
    assert [type(m).__name__ for m in s] == ["Linear", "Tanh", "Linear", "ReLU", "Sigmoid"]
    assert list(s._modules) == ["0", "1", "2", "3", "4"]
    popped = s.pop(1)
    assert isinstance(popped, nn.Tanh) and len(s) == 4
    t = s + nn.Sequential(nn.ReLU())
    assert len(t) == 5 and list(t._modules)[-1] == "4"
    with pytest.raises(ValueError):
        s + [nn.ReLU()]
    with pytest.raises(IndexError):
        s.insert(10, nn.ReLU())
    assert len(nn.Sequential(nn.ReLU()) * 3) == 3


def test_sequential_forward_and_ordereddict():
    from collections import OrderedDict

    s = nn.Sequential(OrderedDict([("fc", nn.Linear(3, 2)), ("act", nn.ReLU())]))
    ts = tnn.Sequential(OrderedDict([("fc", tnn.Linear(3, 2)), ("act", tnn.ReLU())]))
    assert s.fc is s[0] and list(s.state_dict()) == ["fc.weight", "fc.bias"]
    copy_state(s.double(), ts.double())
    run_both(s, ts, [(4, 3)])
    same_repr(s, ts)


def test_modulelist():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(ml) == 3 and [n for n, _ in ml.named_parameters()][:2] == ["0.weight", "0.bias"]
    ml.append(nn.ReLU())
    ml += [nn.Tanh()]
    ml.insert(1, nn.Sigmoid())
    assert [type(m).__name__ for m in ml] == ["Linear", "Sigmoid", "Linear", "Linear", "ReLU", "Tanh"]
    assert isinstance(ml[1:3], nn.ModuleList) and len(ml[1:3]) == 2
    del ml[1]
    assert list(ml._modules) == [str(i) for i in range(5)]
    ml[0] = nn.ReLU()
    assert isinstance(ml[0], nn.ReLU) and isinstance(ml.pop(-1), nn.Tanh)
    assert len(ml + nn.ModuleList([nn.ReLU()])) == 5
    with pytest.raises(IndexError):
        ml[10]
    with pytest.raises(TypeError):
        ml.extend(5)
    tml = tnn.ModuleList([tnn.Linear(2, 2) for _ in range(3)] + [tnn.ReLU(), tnn.ReLU(), tnn.Tanh()])
    ours = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU(), nn.ReLU(), nn.Tanh()])
    same_repr(ours, tml)
    same_repr(nn.ModuleList(), tnn.ModuleList())


def test_moduledict():
    md = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Linear(2, 2)})
    assert list(md.keys()) == ["b", "a"] and "a" in md and len(md) == 2
    md["c"] = nn.Tanh()
    md.update([("d", nn.Sigmoid())])
    assert list(md) == ["b", "a", "c", "d"]
    assert isinstance(md.pop("b"), nn.ReLU) and list(md.keys()) == ["a", "c", "d"]
    del md["c"]
    assert [k for k, _ in md.items()] == ["a", "d"] and [n for n, _ in md.named_parameters()] == ["a.weight", "a.bias"]
    with pytest.raises(TypeError):
        md.update(5)
    with pytest.raises(ValueError):
        md.update([("x", nn.ReLU(), 3)])
    same_repr(nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()}), tnn.ModuleDict({"b": tnn.ReLU(), "a": tnn.Tanh()}))
    md.clear()
    assert len(md) == 0


def test_parameterlist_and_dict():
    pl = nn.ParameterList([nn.Parameter(tl.randn(3)), tl.randn(2, 2, dtype=tl.float64)])
    assert isinstance(pl[1], nn.Parameter) and len(pl) == 2
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pl.append(tl.ones(1))
    assert len(pl) == 3 and len(pl[0:2]) == 2 and isinstance(pl[0:2], nn.ParameterList)
    tpl = tnn.ParameterList([tnn.Parameter(torch.randn(3)), torch.randn(2, 2).double(), torch.ones(1)])
    same_repr(pl, tpl)
    with pytest.raises(TypeError):
        pl.extend(tl.ones(3))
    pd = nn.ParameterDict({"b": nn.Parameter(tl.randn(3)), "a": tl.randn(2, 2)})
    tpd = tnn.ParameterDict({"b": tnn.Parameter(torch.randn(3)), "a": torch.randn(2, 2)})
    assert list(pd.keys()) == list(tpd.keys()) == ["a", "b"]  # a plain dict is added in sorted order
    same_repr(pd, tpd)
    pd["c"] = tl.zeros(1)
    assert isinstance(pd["c"], nn.Parameter) and "c" in pd and pd.get("zz") is None
    assert [n for n, _ in pd.named_parameters()] == ["a", "b", "c"]
    assert isinstance(pd.pop("a"), nn.Parameter) and list(pd) == ["b", "c"]
    merged = pd | nn.ParameterDict({"z": tl.ones(1)})
    assert list(merged) == ["b", "c", "z"]
    with pytest.raises(TypeError):
        pd[1] = tl.ones(1)
    with pytest.raises(RuntimeError):
        pd(tl.ones(1))


def test_containers_inside_a_model_state_dict():
    class Net(nn.Module):
        def __init__(self, lib):
            super().__init__()
            self.blocks = lib.ModuleList([lib.Linear(2, 2), lib.Linear(2, 2)])
            self.heads = lib.ModuleDict({"x": lib.Linear(2, 1)})
            self.scales = lib.ParameterList([lib.Parameter(tl.ones(2) if lib is nn else torch.ones(2))])

    class TNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = tnn.ModuleList([tnn.Linear(2, 2), tnn.Linear(2, 2)])
            self.heads = tnn.ModuleDict({"x": tnn.Linear(2, 1)})
            self.scales = tnn.ParameterList([tnn.Parameter(torch.ones(2))])

    assert list(Net(nn).state_dict().keys()) == list(TNet().state_dict().keys())
