"""Conformance with PyTorch of the nn ops added this session, where the op registry cannot look.

The registry (tests/test_ops.py, tests/test_cuda_backend.py) checks values, gradients and errors of
multilabel_margin_loss, rrelu, gumbel_softmax, fractional_max_pool2d/3d, conv_tbc, grid_sample,
affine_grid, channel_shuffle, lp_pool with norm_type=inf, F.tanh and AdaptiveLogSoftmaxWithLoss. Here:
random ops' distributions and straight-through gradients, window placement in reduced precision,
gradients at kinks (finite differences cannot check them), and the dtypes autocast gives each op.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn.functional as F
from tensorlite.nn.functional import pooling

torch = pytest.importorskip("torch")
tF = torch.nn.functional


def _t(lib, a):
    return torch.from_numpy(np.array(a)) if lib == "torch" else tl.tensor(np.array(a))


# -- random activations ----------------------------------------------------------------------------------------
def test_rrelu_training_slopes_lie_in_bounds_and_gradient_is_the_slope():
    x = np.linspace(-3, 3, 400).reshape(20, 20)
    for lib, mod in (("tl", F), ("torch", tF)):
        xt = _t(lib, x).requires_grad_(True)
        y = mod.rrelu(xt, 0.1, 0.3, training=True)
        y.sum().backward()
        slope = (y.detach().numpy() / x)[x < 0]
        assert ((slope >= 0.1) & (slope <= 0.3)).all() and slope.std() > 0.02, lib  # drawn, not constant
        np.testing.assert_array_equal(y.detach().numpy()[x > 0], x[x > 0])
        np.testing.assert_allclose(xt.grad.numpy(), np.where(x > 0, 1.0, y.detach().numpy() / x), rtol=1e-12)


def test_rrelu_checks_bounds_in_evaluation_too():
    for lib, mod in (("tl", F), ("torch", tF)):
        for training in (False, True):
            with pytest.raises(RuntimeError, match="Lower bound"):
                mod.rrelu(_t(lib, np.zeros(3)), 0.5, 0.2, training=training)


@pytest.mark.parametrize("dim", [-1, 0])
def test_gumbel_softmax_hard_is_one_hot_with_the_soft_samples_gradient(dim):
    x = np.random.default_rng(0).standard_normal((4, 5))
    w = np.random.default_rng(1).standard_normal((4, 5))
    for lib, mod, seed in (("tl", F, tl.manual_seed), ("torch", tF, torch.manual_seed)):
        grads, outs = [], []
        for hard in (False, True):
            seed(7)
            xt = _t(lib, x).requires_grad_(True)
            y = mod.gumbel_softmax(xt, tau=0.5, hard=hard, dim=dim)
            (y * _t(lib, w)).sum().backward()
            outs.append(y.detach().numpy())
            grads.append(xt.grad.numpy())
        soft, hard_y = outs
        np.testing.assert_allclose(soft.sum(dim), 1.0)
        assert set(np.unique(hard_y)) == {0.0, 1.0} and (hard_y.sum(dim) == 1).all(), lib
        np.testing.assert_array_equal(hard_y.argmax(dim), soft.argmax(dim))  # the same noise under one seed
        np.testing.assert_allclose(grads[1], grads[0], atol=1e-12)  # straight-through


def test_gumbel_softmax_hard_over_an_empty_dim_raises_index_error():
    for lib, mod in (("tl", F), ("torch", tF)):
        with pytest.raises(IndexError):
            mod.gumbel_softmax(_t(lib, np.zeros((3, 0))), hard=True)


# -- fractional max pooling in reduced precision ---------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_windows_in_reduced_precision_match_pytorch(dtype, nd):
    """PyTorch places the windows with float16 / bfloat16 arithmetic (every step rounded): same indices."""
    rng = np.random.default_rng(nd)
    for _ in range(25):
        sizes = tuple(int(v) for v in rng.integers(3, 40, size=nd))
        kernel = tuple(int(rng.integers(1, min(s - 1, 3) + 1)) for s in sizes)
        out = tuple(int(rng.integers(1, s - k + 1)) for s, k in zip(sizes, kernel))
        x = rng.standard_normal((1, 2) + sizes).astype(np.float32)
        u = rng.random((1, 2, nd)).astype(np.float32)
        idx = []
        for lib, mod in (("tl", F), ("torch", tF)):
            cast = (lambda a: _t(lib, a).to(getattr(torch if lib == "torch" else tl, dtype)))
            pool = getattr(mod, f"fractional_max_pool{nd}d")
            _, i = pool(cast(x), kernel, output_size=out, _random_samples=cast(u), return_indices=True)
            idx.append(i.numpy())
        np.testing.assert_array_equal(idx[0], idx[1], err_msg=f"{sizes} {kernel} {out}")


def test_fractional_window_pushed_outside_by_rounding_raises_in_both():
    x, u = np.zeros((1, 1, 1, 200)), np.array([[[0.63671875, 0.5]]])  # bfloat16 rounding ends a window past 200
    for lib, mod, lib_m in (("tl", F, tl), ("torch", tF, torch)):
        with pytest.raises(RuntimeError):
            mod.fractional_max_pool2d(_t(lib, x).to(lib_m.bfloat16), (1, 3), output_size=(1, 159),
                                      _random_samples=_t(lib, u).to(lib_m.bfloat16))


# -- grid_sample's gradient at the borders ----------------------------------------------------------------------
@pytest.mark.parametrize("padding_mode", ["border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_grid_gradient_on_border_pixel_centres(padding_mode, align_corners):
    """Coordinates exactly on the clip bounds get PyTorch's zero gradient (a plain clamp would pass it)."""
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4))
    g = np.array([[[[-1.0, -1.0], [1.0, 1.0], [-0.75, 0.25], [0.75, -0.75]], [[0.1, 0.3], [-0.4, 1.0],
                                                                               [1.0, -0.2], [-1.0, 0.6]]]])
    w = np.random.default_rng(1).standard_normal((1, 2, 2, 4))
    res = []
    for lib, mod in (("tl", F), ("torch", tF)):
        xt, gt = _t(lib, x).requires_grad_(True), _t(lib, g).requires_grad_(True)
        y = mod.grid_sample(xt, gt, padding_mode=padding_mode, align_corners=align_corners)
        (y * _t(lib, w)).sum().backward()
        res.append((y.detach().numpy(), xt.grad.numpy(), gt.grad.numpy()))
    for ours, theirs in zip(*res):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


# -- autocast: each new op's output dtype, as torch.autocast("cpu") gives it ------------------------------------------
_R = np.random.default_rng(3)
_A = {"x": _R.standard_normal((3, 4)), "img": _R.standard_normal((2, 2, 6, 6)),
      "vol": _R.standard_normal((1, 2, 5, 5, 5)), "seq": _R.standard_normal((5, 2, 3)),
      "w3": _R.standard_normal((3, 3, 4)), "b4": _R.standard_normal(4),
      "u2": _R.random((2, 2, 2)), "u3": _R.random((1, 2, 3)), "grid": _R.uniform(-1, 1, (2, 3, 3, 2)),
      "grid3": _R.uniform(-1, 1, (1, 2, 2, 2, 3)), "theta": _R.standard_normal((2, 2, 3)),
      "t01": (_R.random((3, 4)) > 0.5) * 1.0}
_MLT = np.array([[3, 0, -1, 1], [1, 2, 3, -1], [-1, 1, 1, 1]])
_INF = float("inf")
AMP_CASES = {
    "multilabel_margin_loss": lambda m, F, a: F.multilabel_margin_loss(a["x"], a["mlt"]),
    "multilabel_soft_margin_loss": lambda m, F, a: F.multilabel_soft_margin_loss(a["x"], a["t01"]),
    "rrelu": lambda m, F, a: F.rrelu(a["x"]),
    "gumbel_softmax_hard": lambda m, F, a: F.gumbel_softmax(a["x"], hard=True),
    "fractional_max_pool2d": lambda m, F, a: F.fractional_max_pool2d(a["img"], 2, output_size=3,
                                                                     _random_samples=a["u2"]),
    "fractional_max_pool3d": lambda m, F, a: F.fractional_max_pool3d(a["vol"], 2, output_size=3,
                                                                     _random_samples=a["u3"], return_indices=True)[0],
    "conv_tbc": lambda m, F, a: m.conv_tbc(a["seq"], a["w3"], a["b4"], 1),
    "grid_sample_5d": lambda m, F, a: F.grid_sample(a["vol"], a["grid3"], align_corners=True),
    "grid_sample_bicubic": lambda m, F, a: F.grid_sample(a["img"], a["grid"], mode="bicubic", align_corners=False),
    "affine_grid": lambda m, F, a: F.affine_grid(a["theta"], (2, 1, 3, 4), align_corners=False),
    "channel_shuffle": lambda m, F, a: F.channel_shuffle(a["img"], 2),
    "lp_pool1d_inf": lambda m, F, a: F.lp_pool1d(a["img"][0], _INF, 2),
    "lp_pool2d_inf": lambda m, F, a: F.lp_pool2d(a["img"], -_INF, 2),
    "lp_pool3d_inf": lambda m, F, a: F.lp_pool3d(a["vol"], _INF, 2),
    "lp_pool3d": lambda m, F, a: F.lp_pool3d(a["vol"].abs(), 2, 2),
    "tanh": lambda m, F, a: F.tanh(a["x"]),
}


@pytest.mark.parametrize("inputs", ["float32", "lower"])
@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("name", sorted(AMP_CASES))
def test_autocast_dtype_of_new_ops_matches_torch(name, dtype, inputs):
    got = {}
    for lib, m, mod in (("tl", tl, F), ("torch", torch, tF)):
        a = {k: _t(lib, v.astype(np.float32)).to(getattr(m, dtype if inputs == "lower" else "float32"))
             for k, v in _A.items()}
        a["mlt"] = _t(lib, _MLT)
        m.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with m.autocast("cpu", dtype=getattr(m, dtype)):
                out = AMP_CASES[name](m, mod, a)
        got[lib] = (str(out.dtype).split(".")[-1], tuple(out.shape), out.detach().float().numpy())
    assert got["tl"][:2] == got["torch"][:2]
    if name not in ("rrelu", "gumbel_softmax_hard"):  # (rrelu is deterministic in eval, but gumbel is not)
        scale = max(1.0, float(np.abs(got["torch"][2]).max()))
        np.testing.assert_allclose(got["tl"][2], got["torch"][2], rtol=2e-2, atol=2e-2 * scale)


# -- odds and ends ---------------------------------------------------------------------------------------------------
def test_max_pool1d_without_indices_has_no_integer_kernel_on_cpu_like_pytorch():
    x = np.arange(12).reshape(1, 2, 6)
    for lib, mod in (("tl", F), ("torch", tF)):
        with pytest.raises(NotImplementedError):
            mod.max_pool1d(_t(lib, x), 2)
        assert mod.max_pool1d(_t(lib, x), 2, return_indices=True)[0].numpy().tolist() == [[[1, 3, 5], [7, 9, 11]]]


def test_adaptive_pools_stay_importable_from_pooling_after_the_split():
    for name in ("adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
                 "adaptive_max_pool2d", "adaptive_max_pool3d", "adaptive_max_pool2d_with_indices"):
        assert getattr(pooling, name) is getattr(F, name)
        assert name in pooling.__all__


@pytest.mark.parametrize("method", ["log_prob", "predict"])
def test_adaptive_log_softmax_methods_need_a_minibatch_like_pytorch(method):
    for lib, m in (("tl", tl), ("torch", torch)):
        asm = m.nn.AdaptiveLogSoftmaxWithLoss(4, 7, [2, 4], div_value=2.0)
        assert tuple(getattr(asm, method)(_t(lib, np.ones((3, 4), np.float32))).shape)[0] == 3
        with pytest.raises(IndexError):
            getattr(asm, method)(_t(lib, np.ones(4, np.float32)))
