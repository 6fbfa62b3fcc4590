"""Convolution, pooling and resampling layers against torch.nn, plus the conv kernels' own checks.

    modules vs torch modules with copied weights: forward values and every gradient
    reprs, parameter names / shapes, default-init bounds and statistics
    a grid of ResNet-18-like conv2d shapes (float32, small batch): forward and backward parity
    double backward (a gradient penalty) through conv, conv_transpose and max_pool
    the kernel layer: chunked im2col (small workspace) equals the one-shot result
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn as nn
import tensorlite.nn.functional as F
from tensorlite.kernels import conv as kconv

torch = pytest.importorskip("torch")
tnn = torch.nn

RNG = np.random.default_rng(0)


def _copy_params(ours: nn.Module, theirs) -> None:
    """Load PyTorch's parameters into ours (same names, same shapes)."""
    mine = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        assert name in mine, f"{name} missing from {type(ours).__name__}"
        assert tuple(mine[name].shape) == tuple(p.shape), name
        mine[name]._data[...] = p.detach().numpy()


def _run_pair(ours, theirs, x: np.ndarray, dtype=np.float64, atol=1e-9, rtol=1e-7, **call_kwargs):
    """Forward both with the same input, backward the same weighted sum, compare output and all gradients."""
    x = x.astype(dtype)
    if dtype == np.float64:
        ours = ours.double()
        theirs = theirs.double()
    _copy_params(ours, theirs)
    tx = torch.from_numpy(x.copy()).requires_grad_()
    lx = tl.tensor(x.copy(), requires_grad=True)
    ty = theirs(tx, **call_kwargs)
    ly = ours(lx, **call_kwargs)
    if isinstance(ty, tuple):
        assert np.array_equal(ty[1].numpy(), ly[1].numpy()), "indices differ"
        ty, ly = ty[0], ly[0]
    assert tuple(ty.shape) == tuple(ly.shape)
    np.testing.assert_allclose(ly.detach().numpy(), ty.detach().numpy(), atol=atol, rtol=rtol)
    g = RNG.standard_normal(tuple(ty.shape)).astype(dtype)
    ty.backward(torch.from_numpy(g))
    ly.backward(tl.tensor(g))
    np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), atol=atol * 10, rtol=rtol * 10)
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs_params[name].grad.numpy(), atol=atol * 10,
                                   rtol=rtol * 10, err_msg=name)


# -- modules against torch.nn --------------------------------------------------------------------------------------
CONV_CASES = [
    ("Conv1d", (4, 6, 3), {"stride": 2, "padding": 1}, (2, 4, 9)),
    ("Conv1d", (4, 6, 4), {"padding": "same", "groups": 2, "padding_mode": "circular"}, (2, 4, 9)),
    ("Conv2d", (3, 8, 3), {}, (2, 3, 7, 6)),
    ("Conv2d", (4, 8, (3, 2)), {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 2), "groups": 2,
                                 "bias": False}, (2, 4, 7, 8)),
    ("Conv2d", (4, 4, 3), {"padding": 1, "groups": 4}, (1, 4, 5, 5)),
    ("Conv2d", (3, 5, 3), {"padding": 1, "padding_mode": "reflect"}, (2, 3, 6, 5)),
    ("Conv2d", (3, 5, 4), {"padding": "same", "padding_mode": "replicate"}, (2, 3, 6, 5)),
    ("Conv2d", (3, 5, 3), {"padding": "valid"}, (3, 6, 5)),
    ("Conv3d", (2, 4, 3), {"padding": 1, "stride": (1, 2, 2)}, (1, 2, 4, 5, 5)),
    ("Conv3d", (2, 4, 2), {"padding_mode": "circular", "padding": 1}, (1, 2, 3, 4, 3)),
]


@pytest.mark.parametrize("name, args, kwargs, shape", CONV_CASES, ids=lambda v: str(v))
def test_conv_module_matches_torch(name, args, kwargs, shape):
    _run_pair(getattr(nn, name)(*args, **kwargs), getattr(tnn, name)(*args, **kwargs), RNG.standard_normal(shape))


CONVT_CASES = [
    ("ConvTranspose1d", (4, 6, 3), {"stride": 2, "padding": 1, "output_padding": 1}, (2, 4, 5), None),
    ("ConvTranspose2d", (4, 6, 3), {"stride": 2, "padding": 1, "groups": 2}, (2, 4, 4, 3), (8, 6)),
    ("ConvTranspose2d", (3, 2, (2, 3)), {"stride": (2, 1), "dilation": 2, "bias": False}, (1, 3, 3, 3), None),
    ("ConvTranspose2d", (3, 2, 3), {"stride": 3}, (3, 3, 3), (2, 9, 10)),
    ("ConvTranspose3d", (2, 3, 2), {"stride": 2}, (1, 2, 2, 3, 2), (1, 3, 5, 6, 5)),
]


@pytest.mark.parametrize("name, args, kwargs, shape, output_size", CONVT_CASES, ids=lambda v: str(v))
def test_conv_transpose_module_matches_torch(name, args, kwargs, shape, output_size):
    call = {} if output_size is None else {"output_size": output_size}
    _run_pair(getattr(nn, name)(*args, **kwargs), getattr(tnn, name)(*args, **kwargs), RNG.standard_normal(shape),
              **call)


def test_conv_transpose_bad_output_size():
    m = nn.ConvTranspose2d(3, 2, 3, stride=2)
    with pytest.raises(ValueError, match="valid sizes range"):
        m(tl.zeros(1, 3, 4, 4), output_size=(20, 20))
    with pytest.raises(ValueError):
        nn.ConvTranspose2d(3, 2, 3, padding_mode="reflect")


POOL_CASES = [
    ("MaxPool1d", (3,), {"stride": 2, "padding": 1, "return_indices": True}, (2, 3, 9)),
    ("MaxPool2d", (2,), {}, (2, 3, 6, 6)),
    ("MaxPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True, "dilation": 1}, (2, 3, 7, 6)),
    ("MaxPool3d", (2,), {"return_indices": True}, (1, 2, 4, 4, 4)),
    ("AvgPool1d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}, (2, 3, 8)),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, (2, 3, 7, 6)),
    ("AvgPool2d", (2,), {"divisor_override": 3}, (2, 3, 4, 4)),
    ("AvgPool3d", (2,), {"stride": 1}, (1, 2, 3, 4, 3)),
    ("AdaptiveAvgPool1d", (3,), {}, (2, 3, 7)),
    ("AdaptiveAvgPool2d", ((3, None),), {}, (2, 3, 7, 5)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 7, 5)),
    ("AdaptiveAvgPool3d", (2,), {}, (1, 2, 5, 3, 4)),
    ("AdaptiveMaxPool1d", (4,), {"return_indices": True}, (2, 3, 9)),
    ("AdaptiveMaxPool2d", ((2, 3),), {}, (2, 3, 7, 5)),
    ("AdaptiveMaxPool3d", (2,), {}, (1, 2, 5, 3, 4)),
    ("LPPool1d", (2, 3), {"stride": 2}, (2, 3, 8)),
    ("LPPool2d", (2.5, 2), {}, (2, 3, 4, 6)),
    ("Upsample", (), {"scale_factor": 2, "mode": "nearest"}, (1, 2, 3, 4)),
    ("Upsample", (), {"size": (5, 7), "mode": "bilinear"}, (1, 2, 3, 4)),
    ("Upsample", (), {"scale_factor": 1.5, "mode": "bicubic", "align_corners": True}, (1, 2, 3, 4)),
    ("Upsample", (), {"size": 6, "mode": "linear"}, (1, 2, 4)),
    ("Upsample", (), {"scale_factor": 2, "mode": "trilinear"}, (1, 1, 2, 3, 2)),
    ("UpsamplingNearest2d", (), {"scale_factor": 2}, (1, 2, 3, 3)),
    ("UpsamplingBilinear2d", (), {"size": (4, 5)}, (1, 2, 3, 3)),
    ("PixelShuffle", (2,), {}, (1, 8, 3, 2)),
    ("PixelUnshuffle", (2,), {}, (1, 2, 4, 6)),
    ("Unfold", (2,), {"padding": 1, "stride": 2}, (2, 3, 5, 4)),
    ("Fold", ((4, 5), 2), {}, (2, 8, 12)),
]


@pytest.mark.parametrize("name, args, kwargs, shape", POOL_CASES, ids=lambda v: str(v))
def test_pool_and_vision_modules_match_torch(name, args, kwargs, shape):
    x = RNG.standard_normal(shape)
    if name.startswith("LP"):
        x = np.abs(x) + 0.2  # fractional powers of negatives are nan in both
    _run_pair(getattr(nn, name)(*args, **kwargs), getattr(tnn, name)(*args, **kwargs), x)


def test_max_unpool_module_matches_torch():
    x = RNG.standard_normal((2, 3, 6, 7))
    tv, ti = tnn.MaxPool2d(2, return_indices=True)(torch.from_numpy(x))
    lv, li = nn.MaxPool2d(2, return_indices=True)(tl.tensor(x))
    assert np.array_equal(ti.numpy(), li.numpy())
    want = tnn.MaxUnpool2d(2)(tv, ti, output_size=(6, 7))
    got = nn.MaxUnpool2d(2)(lv, li, output_size=(6, 7))
    np.testing.assert_array_equal(got.numpy(), want.numpy())


# -- reprs, parameters, init ---------------------------------------------------------------------------------------
REPR_CASES = [
    ("Conv2d", (3, 8, 3), {}),
    ("Conv2d", (3, 8, (3, 2)), {"stride": 2, "padding": 1, "dilation": 2, "bias": False, "padding_mode": "reflect"}),
    ("Conv1d", (4, 8, 3), {"padding": "same", "groups": 2}),
    ("Conv3d", (2, 4, 3), {"padding": "valid"}),
    ("ConvTranspose2d", (3, 6, 3), {"stride": 2, "output_padding": 1, "groups": 3}),
    ("ConvTranspose1d", (2, 3, 2), {}),
    ("MaxPool2d", (2,), {}),
    ("MaxPool1d", (3, 2, 1), {"return_indices": True}),
    ("MaxPool3d", ((2, 2, 2),), {}),
    ("AvgPool1d", (3,), {}),
    ("AvgPool2d", (3, 2, 1), {}),
    ("AvgPool3d", (2,), {"divisor_override": 3}),
    ("AdaptiveAvgPool2d", ((3, None),), {}),
    ("AdaptiveMaxPool1d", (3, True), {}),
    ("MaxUnpool2d", (2,), {}),
    ("MaxUnpool1d", (2,), {"stride": 3}),
    ("LPPool2d", (2, 3), {}),
    ("LPPool1d", (1.5, 3, 2), {}),
    ("Upsample", (), {"scale_factor": 2}),
    ("Upsample", (), {"size": (3, 4), "mode": "bilinear"}),
    ("Upsample", (), {"scale_factor": (2, 3)}),
    ("UpsamplingNearest2d", (), {"scale_factor": 2}),
    ("UpsamplingBilinear2d", (), {"size": 3}),
    ("PixelShuffle", (2,), {}),
    ("PixelUnshuffle", (3,), {}),
    ("Unfold", (2,), {}),
    ("Fold", ((4, 4), 2), {"stride": 2}),
]


@pytest.mark.parametrize("name, args, kwargs", REPR_CASES, ids=lambda v: str(v))
def test_repr_matches_torch(name, args, kwargs):
    assert repr(getattr(nn, name)(*args, **kwargs)) == repr(getattr(tnn, name)(*args, **kwargs))


def test_conv2d_repr_example():
    assert repr(nn.Conv2d(3, 8, 3)) == "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))"


@pytest.mark.parametrize("name, args, kwargs", [c for c in REPR_CASES if c[0].startswith("Conv")],
                         ids=lambda v: str(v))
def test_parameters_and_attributes_match_torch(name, args, kwargs):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(tnn, name)(*args, **kwargs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for attr in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
                 "output_padding", "padding_mode", "transposed", "_reversed_padding_repeated_twice"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert ours.weight.dtype == tl.float32 and ours.weight.requires_grad


@pytest.mark.parametrize("layer", [lambda: nn.Conv2d(16, 32, 3), lambda: nn.Conv1d(8, 64, 5, groups=4),
                                   lambda: nn.ConvTranspose2d(32, 16, 4), lambda: nn.Conv3d(4, 8, 3)])
def test_default_init_bounds_and_statistics(layer):
    tl.manual_seed(0)
    m = layer()
    w = m.weight.detach().numpy()
    fan_in = w.shape[1] * int(np.prod(w.shape[2:]))
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)): gain sqrt(2 / 6), bound gain * sqrt(3 / fan_in)
    assert np.abs(w).max() <= bound + 1e-7
    assert abs(w.mean()) < 0.1 * bound
    assert abs(w.var() - bound ** 2 / 3) < 0.1 * bound ** 2 / 3 + 1e-12  # U(-b, b) has variance b^2 / 3
    b = m.bias.detach().numpy()
    assert np.abs(b).max() <= bound + 1e-7 and b.std() > 0


def test_module_options_and_errors():
    with pytest.raises(ValueError):
        nn.Conv2d(3, 8, 3, groups=2)
    with pytest.raises(ValueError):
        nn.Conv2d(4, 6, 3, groups=4)
    with pytest.raises(ValueError):
        nn.Conv2d(3, 8, 3, padding="same", stride=2)
    with pytest.raises(ValueError):
        nn.Conv2d(3, 8, 3, padding="full")
    with pytest.raises(ValueError):
        nn.Conv2d(3, 8, 3, padding_mode="mirror")
    m = nn.Conv2d(3, 8, 3, dtype=tl.float64)
    assert m.weight.dtype == tl.float64 and m.bias.dtype == tl.float64
    assert m(tl.zeros(1, 3, 5, 5, dtype=tl.float64)).shape == (1, 8, 3, 3)


# -- ResNet-18-like shapes, float32 --------------------------------------------------------------------------------
RESNET_SHAPES = [  # (N, C_in, C_out, H, kernel, stride, padding)
    (2, 3, 64, 32, 3, 1, 1),      # small-input stem
    (2, 3, 64, 32, 7, 2, 3),      # ImageNet stem
    (2, 64, 64, 16, 3, 1, 1),     # layer1
    (2, 64, 128, 16, 3, 2, 1),    # layer2 downsampling conv
    (2, 64, 128, 16, 1, 2, 0),    # layer2 shortcut (1x1, stride 2)
    (2, 128, 128, 8, 3, 1, 1),    # layer2
    (2, 128, 256, 8, 3, 2, 1),    # layer3 downsampling conv
    (2, 256, 256, 4, 3, 1, 1),    # layer3
    (2, 256, 512, 4, 1, 2, 0),    # layer4 shortcut
    (2, 512, 512, 2, 3, 1, 1),    # layer4
]


@pytest.mark.parametrize("n, cin, cout, h, k, s, p", RESNET_SHAPES, ids=lambda v: str(v))
def test_resnet_shapes_float32(n, cin, cout, h, k, s, p):
    rng = np.random.default_rng(cin * 1000 + cout + k)
    x = rng.standard_normal((n, cin, h, h)).astype(np.float32)
    w = (rng.standard_normal((cout, cin, k, k)) / math.sqrt(cin * k * k)).astype(np.float32)
    b = rng.standard_normal(cout).astype(np.float32)
    tx, tw, tb = (torch.from_numpy(a.copy()).requires_grad_() for a in (x, w, b))
    lx, lw, lb = (tl.tensor(a.copy(), requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb, s, p)
    ly = F.conv2d(lx, lw, lb, s, p)
    assert ly.dtype == tl.float32
    np.testing.assert_allclose(ly.detach().numpy(), ty.detach().numpy(), atol=2e-4, rtol=1e-4)
    g = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
    ty.backward(torch.from_numpy(g))
    ly.backward(tl.tensor(g))
    for ours, theirs in ((lx, tx), (lw, tw), (lb, tb)):
        assert ours.grad.dtype == tl.float32
        scale = np.abs(theirs.grad.numpy()).max()
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-5 * scale + 1e-5, rtol=1e-4)


# -- higher order --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["conv2d", "conv_transpose2d", "conv1d_pool"])
def test_gradient_penalty_matches_torch(case):
    """d/dparams of ||d out / d x||^2, the second-order use (WGAN-GP)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 6, 6) if case != "conv1d_pool" else (2, 3, 9))
    w = rng.standard_normal((4, 3, 3, 3) if case == "conv2d" else (3, 4, 3, 3) if case == "conv_transpose2d"
                            else (4, 3, 3))

    def run(lib, fn_ns):
        X = lib.tensor(x, requires_grad=True)
        W = lib.tensor(w, requires_grad=True)
        if case == "conv2d":
            out = fn_ns.conv2d(X, W, stride=2, padding=1)
        elif case == "conv_transpose2d":
            out = fn_ns.conv_transpose2d(X, W, stride=2, padding=1, output_padding=1)
        else:
            out = fn_ns.max_pool1d(fn_ns.conv1d(X, W, padding=1), 3, 2, 1)
        out = (out * out).sum()
        (gx,) = lib.autograd.grad(out, X, create_graph=True)
        penalty = (gx * gx).sum()
        gw, gx2 = lib.autograd.grad(penalty, (W, X))
        return penalty.detach().numpy(), gw.numpy(), gx2.numpy()

    ours = run(tl, F)
    theirs = run(torch, torch.nn.functional)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


# -- the kernel layer ----------------------------------------------------------------------------------------------
KERNEL_CASES = {  # weight shape, (stride, padding, dilation, groups)
    "grouped": ((6, 2, 3, 2), ((2, 1), (1, 1), (1, 2), 2)),
    "dense stride 1": ((3, 4, 3, 3), ((1, 1), (1, 1), (1, 1), 1)),
    "depthwise stride 1": ((8, 1, 3, 3), ((1, 1), (1, 1), (2, 1), 4)),
    "depthwise stride 2": ((4, 1, 3, 2), ((2, 2), (1, 0), (1, 1), 4)),
}


@pytest.mark.parametrize("case", sorted(KERNEL_CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_chunking_matches_one_shot(monkeypatch, dtype, case):
    """Chunked (one image per column buffer) and one-shot kernels agree, and agree with PyTorch."""
    rng = np.random.default_rng(2)
    wshape, args = KERNEL_CASES[case]
    x = rng.standard_normal((5, 4, 7, 6)).astype(dtype)
    w = rng.standard_normal(wshape).astype(dtype)
    ty = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), None, *args)
    y = kconv.conv2d_forward(x, w, None, *args)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y, ty.numpy(), rtol=tol, atol=tol * 10)
    g = rng.standard_normal(y.shape).astype(dtype)
    gx = kconv.conv2d_backward_input(g, w, x.shape, *args)
    gw = kconv.conv2d_backward_weight(x, g, w.shape, *args)
    monkeypatch.setattr(kconv, "WORKSPACE_LIMIT", 64)  # one batch item per chunk
    np.testing.assert_allclose(kconv.conv2d_forward(x, w, None, *args), y, rtol=tol, atol=tol)
    np.testing.assert_allclose(kconv.conv2d_backward_input(g, w, x.shape, *args), gx, rtol=tol, atol=tol)
    np.testing.assert_allclose(kconv.conv2d_backward_weight(x, g, w.shape, *args), gw, rtol=tol, atol=tol)
    assert y.dtype == gx.dtype == gw.dtype == dtype and y.flags.c_contiguous
    kconv.release_workspace()


def test_kernels_registered_and_forceable():
    with tl.kernels.use("reference"):
        x = np.ones((1, 1, 3, 3), np.float32)
        y = kconv.conv2d_forward(x, np.ones((1, 1, 2, 2), np.float32), None, (1, 1), (0, 0), (1, 1), 1)
    np.testing.assert_array_equal(y, np.full((1, 1, 2, 2), 4, np.float32))
    for name in ("conv2d_forward", "conv2d_backward_input", "conv2d_backward_weight", "conv3d_forward",
                 "conv3d_backward_input", "conv3d_backward_weight", "im2col", "col2im"):
        assert "reference" in tl.kernels.available("cpu")[name]


def test_conv_does_not_modify_inputs_and_output_is_contiguous():
    x = tl.randn(2, 3, 5, 5)
    w = tl.randn(4, 3, 3, 3)
    x0, w0 = x.numpy().copy(), w.numpy().copy()
    y = F.conv2d(x[:, :, ::1, :], w, padding=1)
    assert y.is_contiguous()
    np.testing.assert_array_equal(x.numpy(), x0)
    np.testing.assert_array_equal(w.numpy(), w0)
