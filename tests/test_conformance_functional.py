"""Conformance of tensorlite.nn.functional (and the loss modules) with PyTorch, torch as the oracle.

Each case runs the same call in both libraries on the same arrays and compares: the exception type
(when torch raises), the warning categories, output values / shapes / dtypes, and the gradients of
sum(out * w) for a random w with respect to every input that requires grad. Random ops (rrelu,
gumbel_softmax, fractional pooling without samples) are checked by their defining properties.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn as nn
import tensorlite.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

_RNG = np.random.default_rng(1234)


class G:
    """An array argument: converted to a tensor of each library; `grad` marks it as requiring grad."""

    def __init__(self, a, grad: bool = False):
        self.a, self.grad = np.asarray(a), grad


def rn(*shape, dtype=np.float32, grad=True):
    return G(_RNG.standard_normal(shape).astype(dtype), grad)


def un(*shape, lo=0.05, hi=0.95, dtype=np.float32, grad=False):
    return G(_RNG.uniform(lo, hi, shape).astype(dtype), grad)


def ix(high, *shape, dtype=np.int64):
    return G(_RNG.integers(0, high, shape).astype(dtype))


def _convert(v, lib):
    if isinstance(v, G):
        t = torch.tensor(v.a.copy()) if lib == "torch" else tl.tensor(v.a.copy())
        return t.requires_grad_(True) if v.grad else t
    if isinstance(v, (tuple, list)) and any(isinstance(e, G) for e in v):
        return type(v)(_convert(e, lib) for e in v)
    return v


def _call(fn, args, kwargs, lib):
    a = [_convert(v, lib) for v in args]
    k = {key: _convert(v, lib) for key, v in kwargs.items()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out, err = fn(*a, **k), None
        except Exception as e:  # noqa: BLE001 - the type is what is compared
            out, err = None, e
    leaves = [t for t in list(a) + list(k.values()) if getattr(t, "requires_grad", False)]
    return out, err, {w.category for w in caught}, leaves


def _np(t):
    return t.detach().numpy()


def check(name: str, args=(), kwargs=None, rtol=1e-5, atol=1e-6, grad=True, warn=True, ours=None):
    """Run F.name (or `ours`) and torch.nn.functional.name on the same inputs and compare everything."""
    kwargs = kwargs or {}
    theirs_fn = getattr(TF, name) if hasattr(TF, name) else getattr(torch, name)
    t_out, t_err, t_warn, t_leaves = _call(theirs_fn, args, kwargs, "torch")
    l_out, l_err, l_warn, l_leaves = _call(ours or getattr(F, name), args, kwargs, "tl")
    if t_err is not None:
        assert l_err is not None, f"{name}: PyTorch raised {type(t_err).__name__}: {t_err}; tensorlite did not"
        assert type(l_err) is type(t_err), f"{name}: {type(l_err).__name__} ({l_err}) vs {type(t_err).__name__}"
        return
    assert l_err is None, f"{name}: tensorlite raised {type(l_err).__name__}: {l_err}"
    if warn:
        assert l_warn == t_warn, f"{name}: warnings {l_warn} vs PyTorch {t_warn}"
    t_outs = t_out if isinstance(t_out, tuple) else (t_out,)
    l_outs = l_out if isinstance(l_out, tuple) else (l_out,)
    assert len(l_outs) == len(t_outs)
    for a, b in zip(l_outs, t_outs):
        assert tuple(a.shape) == tuple(b.shape), f"{name}: shape {tuple(a.shape)} vs {tuple(b.shape)}"
        assert _np(a).dtype == _np(b).dtype, f"{name}: dtype {_np(a).dtype} vs {_np(b).dtype}"
        np.testing.assert_allclose(_np(a), _np(b), rtol=rtol, atol=atol, equal_nan=True, err_msg=name)
    first = t_outs[0]
    if not (grad and first.requires_grad and t_leaves):
        return
    w = _RNG.standard_normal(tuple(first.shape)).astype(_np(first).dtype)
    t_grads = torch.autograd.grad((first * torch.tensor(w)).sum(), t_leaves, allow_unused=True)
    l_grads = tl.autograd.grad((l_outs[0] * tl.tensor(w)).sum(), l_leaves, allow_unused=True)
    for k, (a, b) in enumerate(zip(l_grads, t_grads)):
        assert (a is None) == (b is None), f"{name}: gradient {k} is None in one library only"
        if b is not None:
            np.testing.assert_allclose(_np(a), _np(b), rtol=max(rtol, 1e-4), atol=max(atol, 1e-5), equal_nan=True,
                                       err_msg=f"{name} gradient {k}")


# -- losses ----------------------------------------------------------------------------------------------------
_MLM_TARGET = np.array([[3, 0, -1, 1], [0, 1, 2, 3], [1, -1, 0, 0], [-1, 2, 2, 1], [2, 2, -1, 0]])
_SIGNS = np.sign(_RNG.standard_normal((3, 4))).astype(np.float32)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,args,kwargs", [
    ("mse_loss", lambda: (rn(3, 4), rn(3, 4)), {}),
    ("l1_loss", lambda: (rn(3, 4), rn(3, 4)), {}),
    ("smooth_l1_loss", lambda: (rn(3, 4), rn(3, 4)), {"beta": 0.5}),
    ("huber_loss", lambda: (rn(3, 4), rn(3, 4)), {"delta": 0.7}),
    ("cross_entropy", lambda: (rn(5, 4), ix(4, 5)), {"weight": un(4), "label_smoothing": 0.2}),
    ("cross_entropy", lambda: (rn(5, 4), un(5, 4, grad=True)), {"weight": un(4), "label_smoothing": 0.3}),
    ("cross_entropy", lambda: (rn(2, 3, 4, 5), ix(3, 2, 4, 5)), {"weight": un(3), "label_smoothing": 0.1}),
    ("cross_entropy", lambda: (rn(4), G(np.array(2))), {}),
    ("cross_entropy", lambda: (rn(6, 4), G(np.array([0, -100, 3, 1, -100, 2]))), {"weight": un(4)}),
    ("nll_loss", lambda: (rn(5, 4), ix(4, 5)), {"weight": un(4)}),
    ("nll_loss", lambda: (rn(2, 3, 4), ix(3, 2, 4)), {"ignore_index": 1}),
    ("binary_cross_entropy", lambda: (un(3, 4, grad=True), un(3, 4, grad=True)), {"weight": un(3, 4)}),
    ("binary_cross_entropy_with_logits", lambda: (rn(2, 3, 4), un(2, 3, 4, grad=True)),
     {"weight": un(4), "pos_weight": un(3, 1, lo=0.5, hi=2.0)}),
    ("kl_div", lambda: (rn(3, 4), un(3, 4, grad=True)), {}),
    ("kl_div", lambda: (rn(3, 4), rn(3, 4)), {"log_target": True}),
    ("poisson_nll_loss", lambda: (rn(3, 4), un(3, 4, lo=1.5, hi=4, grad=True)), {"full": True}),
    ("poisson_nll_loss", lambda: (un(3, 4, grad=True), un(3, 4)), {"log_input": False}),
    ("gaussian_nll_loss", lambda: (rn(3, 4), rn(3, 4), un(3, 1, grad=True)), {"full": True}),
    ("cosine_embedding_loss", lambda: (rn(3, 4), rn(3, 4), G(np.array([1, -1, 1]))), {"margin": 0.2}),
    ("margin_ranking_loss", lambda: (rn(3), rn(3), G(np.array([1., -1., 1.], np.float32))), {"margin": 0.2}),
    ("hinge_embedding_loss", lambda: (rn(3, 4), G(_SIGNS)), {"margin": 0.5}),
    ("soft_margin_loss", lambda: (rn(3, 4), G(_SIGNS)), {}),
    ("multilabel_soft_margin_loss", lambda: (rn(3, 4), G((_SIGNS > 0).astype(np.float32))), {"weight": un(4)}),
    ("multi_margin_loss", lambda: (rn(3, 4), ix(4, 3)), {"weight": un(4), "p": 2, "margin": 0.7}),
    ("multilabel_margin_loss", lambda: (rn(5, 4), G(_MLM_TARGET)), {}),
    ("triplet_margin_loss", lambda: (rn(3, 4), rn(3, 4), rn(3, 4)), {"swap": True, "p": 1.5}),
])
def test_loss_matches_torch(name, args, kwargs, reduction):
    check(name, args(), {**kwargs, "reduction": reduction}, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,args,kwargs", [
    ("mse_loss", lambda: (rn(3, 4), rn(4)), {}),                          # broadcasting: UserWarning
    ("l1_loss", lambda: (rn(3, 1), rn(3, 4)), {}),
    ("mse_loss", lambda: (rn(3, 4), rn(5)), {}),                          # not broadcastable: RuntimeError
    ("mse_loss", lambda: (rn(0, 4), rn(0, 4)), {}),                       # mean of nothing: nan
    ("cross_entropy", lambda: (rn(0, 4), ix(4, 0)), {}),
    ("cross_entropy", lambda: (rn(2, 4), G(np.array([-100, -100]))), {}),  # all ignored: nan, zero gradient
    ("cross_entropy", lambda: (rn(5, 4), un(5)), {}),                     # float target of the wrong shape
    ("cross_entropy", lambda: (rn(5, 4), G(np.array([0, 1, 2, 3, 0], np.int32))), {}),  # int32 target
    ("cross_entropy", lambda: (rn(5, 4), G(np.array([0, 1, 2, 4, 0]))), {}),  # class out of range
    ("cross_entropy", lambda: (rn(5, 4), ix(4, 6)), {}),                  # batch size mismatch: ValueError
    ("cross_entropy", lambda: (rn(5, 4), ix(4, 5)), {"label_smoothing": 1.5}),
    ("cross_entropy", lambda: (rn(5, 4), un(5, 4)), {"ignore_index": 1}),
    ("cross_entropy", lambda: (rn(5, 4), ix(4, 5)), {"reduction": "bad"}),
    ("nll_loss", lambda: (rn(2, 3, 2, 2), ix(3, 2, 2)), {}),
    ("binary_cross_entropy", lambda: (G(np.array([0., 1., .5, 1.], np.float32), True),
                                      G(np.array([1., 0., .5, 1.], np.float32))), {"reduction": "none"}),
    ("binary_cross_entropy", lambda: (G(np.array([1.5], np.float32)), G(np.array([1.], np.float32))), {}),
    ("binary_cross_entropy", lambda: (un(3, 4, grad=True), un(3, 4)), {"weight": un(3, 4, grad=True)}),
    ("binary_cross_entropy_with_logits", lambda: (G(np.array([-1e4, 1e4, 100., -100., 0.], np.float32), True),
                                                  un(5)), {"pos_weight": un(5), "reduction": "none"}),
    ("binary_cross_entropy_with_logits", lambda: (rn(3, 4), un(3, 4)), {"weight": un(4, grad=True)}),
    ("binary_cross_entropy_with_logits", lambda: (rn(3, 4), un(3, 4)), {"pos_weight": un(4, grad=True)}),
    ("binary_cross_entropy_with_logits", lambda: (rn(3, 4), un(4)), {}),
    ("kl_div", lambda: (rn(3, 4), un(3, 4)), {"reduction": "batchmean"}),
    ("kl_div", lambda: (rn(3, 4), un(3, 4)), {"reduction": "mean"}),      # 'mean' warns
    ("multilabel_soft_margin_loss", lambda: (rn(0), rn(0)), {}),
    ("multilabel_soft_margin_loss", lambda: (rn(), rn()), {}),
    ("multilabel_margin_loss", lambda: (rn(4), G(np.array([2, 1, -1, 0]))), {}),
    ("multilabel_margin_loss", lambda: (rn(), G(np.array(0))), {}),
    ("multilabel_margin_loss", lambda: (rn(2, 4), G(np.array([[4, 0, 0, 0], [0, 0, 0, 0]]))), {}),
    ("multilabel_margin_loss", lambda: (rn(2, 4), G(np.zeros((2, 4), np.int32))), {}),
    ("multilabel_margin_loss", lambda: (rn(2, 4), G(np.zeros((2, 3), np.int64))), {}),
    ("multilabel_margin_loss", lambda: (rn(2, 3, 4), G(np.zeros((2, 3, 4), np.int64))), {}),
    ("multilabel_margin_loss", lambda: (rn(2, 4, dtype=np.float64), G(np.zeros((2, 4), np.int64))),
     {"size_average": False}),
    ("gaussian_nll_loss", lambda: (rn(3, 4), rn(3, 4), un(2)), {}),
    ("triplet_margin_loss", lambda: (rn(3, 4), rn(3, 4), rn(3, 4)), {"margin": 0.0}),
])
def test_loss_edge_cases_match_torch(name, args, kwargs):
    check(name, args(), kwargs)


def test_loss_modules_match_torch():
    x, t = _RNG.standard_normal((5, 4)).astype(np.float32), _MLM_TARGET
    ours = nn.MultiLabelMarginLoss(reduction="sum")(tl.tensor(x), tl.tensor(t))
    theirs = torch.nn.MultiLabelMarginLoss(reduction="sum")(torch.tensor(x), torch.tensor(t))
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=1e-6)
    assert repr(nn.MultiLabelMarginLoss()) == repr(torch.nn.MultiLabelMarginLoss())
    with pytest.warns(UserWarning, match="NLLLoss2d"):
        legacy = nn.NLLLoss2d(weight=tl.ones(4), ignore_index=1)
    assert isinstance(legacy, nn.NLLLoss) and list(legacy.state_dict()) == ["weight"]
    ours = legacy(tl.tensor(x), tl.tensor(np.array([0, 1, 2, 3, 1])))
    theirs = TF.nll_loss(torch.tensor(x), torch.tensor([0, 1, 2, 3, 1]), ignore_index=1)
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=1e-6)


# -- activations -------------------------------------------------------------------------------------------------
_EXTREMES = np.array([-1e4, -30., -3., -1., -0.5, -1e-3, 0., 1e-3, 0.5, 1., 3., 6., 30., 1e4], np.float32)


@pytest.mark.parametrize("name,kwargs", [
    ("relu", {}), ("relu6", {}), ("leaky_relu", {"negative_slope": 0.2}), ("elu", {"alpha": 0.5}), ("selu", {}),
    ("celu", {"alpha": 2.0}), ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("mish", {}),
    ("softplus", {"beta": 2, "threshold": 5}), ("hardtanh", {"min_val": -2., "max_val": 0.5}), ("hardsigmoid", {}),
    ("hardswish", {}), ("logsigmoid", {}), ("softsign", {}), ("tanhshrink", {}), ("softshrink", {"lambd": 0.7}),
    ("threshold", {"threshold": 0.5, "value": -2.}), ("hardshrink", {"lambd": 0.7}), ("sigmoid", {}), ("tanh", {}),
    ("rrelu", {}), ("rrelu", {"lower": 0.2, "upper": 0.5}),
])
def test_activation_matches_torch(name, kwargs):
    check(name, (G(_EXTREMES, True),), kwargs, atol=1e-5)
    check(name, (rn(2, 3, dtype=np.float64),), kwargs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,args,kwargs", [
    ("glu", lambda: (rn(4, 6),), {"dim": 0}),
    ("glu", lambda: (rn(4, 5),), {}),                                       # odd size: RuntimeError
    ("prelu", lambda: (rn(2, 3, 4), un(3, grad=True)), {}),
    ("prelu", lambda: (rn(2, 3, 4), un(4)), {}),
    ("softmax", lambda: (rn(2, 3, 4),), {}),                                # dim=None: warning, dim 1 (ndim 3)
    ("log_softmax", lambda: (rn(3, 4),), {"dim": -1, "dtype": "float64"}),
    ("softmin", lambda: (ix(4, 3, 4),), {"dim": 1, "dtype": "float32"}),
    ("softmax", lambda: (ix(4, 3, 4),), {"dim": 1}),                       # integer input: RuntimeError
    ("normalize", lambda: (rn(3, 4),), {"p": 1, "dim": 0}),
    ("normalize", lambda: (G(np.zeros((2, 3), np.float32), True),), {}),
    ("rrelu", lambda: (ix(3, 3, 4),), {"training": True}),
    ("rrelu", lambda: (rn(3, 4),), {"lower": 0.5, "upper": 0.2, "training": True}),
    ("gumbel_softmax", lambda: (ix(3, 3, 4),), {}),
    ("gelu", lambda: (rn(3),), {"approximate": "bad"}),
])
def test_activation_edge_cases_match_torch(name, args, kwargs):
    kw = dict(kwargs)
    theirs_kw = {k: (getattr(torch, v) if k == "dtype" else v) for k, v in kw.items()}
    ours_kw = {k: (getattr(tl, v) if k == "dtype" else v) for k, v in kw.items()}
    check(name, args(), theirs_kw, ours=lambda *a, **k: getattr(F, name)(*a, **ours_kw))


def test_rrelu_training_draws_slopes_in_range():
    x = tl.tensor(np.linspace(-3, 3, 2001).astype(np.float32), requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    y.sum().backward()
    xs, ys, g = x.detach().numpy(), y.detach().numpy(), x.grad.numpy()
    neg = xs < 0
    slope = ys[neg] / xs[neg]
    assert slope.min() >= 0.1 and slope.max() <= 0.3 and slope.std() > 0.03  # random, not constant
    np.testing.assert_allclose(g[neg], slope, rtol=1e-5)                      # gradient = the slope used
    np.testing.assert_array_equal(ys[xs > 0], xs[xs > 0])
    np.testing.assert_array_equal(g[xs > 0], 1)
    z = tl.tensor([-1.0, 2.0])
    assert F.rrelu_(z, training=False) is z
    np.testing.assert_allclose(z.numpy(), [-(1 / 8 + 1 / 3) / 2, 2.0], rtol=1e-6)


def test_gumbel_softmax_statistics_and_straight_through():
    tl.manual_seed(0)
    probs = np.array([0.1, 0.2, 0.7])
    logits = tl.tensor(np.tile(np.log(probs), (4000, 1)).astype(np.float32), requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.detach().numpy().sum(-1), 1, rtol=1e-5)
    hard = F.gumbel_softmax(logits, hard=True)
    h = hard.detach().numpy()
    assert set(np.unique(h)) == {0.0, 1.0} and (h.sum(-1) == 1).all()
    np.testing.assert_allclose(h.mean(0), probs, atol=0.03)  # argmax of logits + Gumbel noise ~ softmax(logits)
    (hard * tl.tensor([1.0, 2.0, 3.0])).sum().backward()    # straight-through: the soft sample's gradient
    assert np.isfinite(logits.grad.numpy()).all() and np.abs(logits.grad.numpy()).sum() > 0
    h0 = F.gumbel_softmax(tl.randn(5, 2), hard=True, dim=0).numpy()
    assert (h0.sum(0) == 1).all()
    with pytest.warns(UserWarning, match="eps"):
        F.gumbel_softmax(tl.randn(3), eps=1e-5)


# -- layers ----------------------------------------------------------------------------------------------------------
def _grid(*shape, lo=-1.3, hi=1.3, dtype=np.float32):
    return G(_RNG.uniform(lo, hi, shape).astype(dtype), True)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_matches_torch(mode, padding_mode, align_corners):
    kw = {"mode": mode, "padding_mode": padding_mode, "align_corners": align_corners}
    check("grid_sample", (rn(2, 3, 5, 6), _grid(2, 4, 3, 2, lo=-3, hi=3)), kw, rtol=1e-4, atol=1e-4)
    check("grid_sample", (rn(1, 2, 1, 1), _grid(1, 3, 2, 2)), kw, rtol=1e-4, atol=1e-4)
    if mode != "bicubic":  # 5-D input: trilinear / nearest
        check("grid_sample", (rn(1, 2, 3, 4, 5), _grid(1, 2, 3, 2, 3, lo=-2, hi=2)), kw, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("args,kwargs", [
    (lambda: (rn(1, 2, 4, 3), _grid(1, 3, 2, 2)), {}),                                  # align_corners=None warns
    (lambda: (rn(1, 2, 4, 3, dtype=np.float64), _grid(1, 3, 2, 2, dtype=np.float64)), {"mode": "bicubic"}),
    (lambda: (rn(1, 2, 3, 4, 3), _grid(1, 2, 2, 2, 3)), {"mode": "bicubic"}),         # bicubic is 4-D only
    (lambda: (rn(1, 2, 4, 3), _grid(2, 3, 2, 2)), {}),                                  # batch mismatch
    (lambda: (rn(1, 2, 4, 3), _grid(1, 3, 2, 3)), {}),                                  # last grid dim
    (lambda: (rn(1, 2, 0, 3), _grid(1, 3, 2, 2)), {}),                                  # empty spatial dim
    (lambda: (rn(1, 2, 4, 3), _grid(1, 3, 2, 2)), {"mode": "area"}),
    (lambda: (rn(1, 2, 4, 3), G(np.array([[[[np.nan, 0.]]]], np.float32))), {"align_corners": False}),
])
def test_grid_sample_edge_cases_match_torch(args, kwargs):
    check("grid_sample", args(), kwargs, rtol=1e-6, atol=1e-6)


def test_grid_sample_nearest_grid_gradient_is_zero():
    x, g = tl.randn(1, 1, 3, 3, requires_grad=True), tl.tensor(_RNG.uniform(-1, 1, (1, 2, 2, 2)).astype(np.float32),
                                                               requires_grad=True)
    F.grid_sample(x, g, mode="nearest", align_corners=False).sum().backward()
    np.testing.assert_array_equal(g.grad.numpy(), 0)


@pytest.mark.parametrize("size,align_corners", [([2, 3, 5, 4], None), ([2, 3, 1, 4], True), ([2, 3, 0, 4], False),
                                                ([2, 3, 4, 5, 3], True)])
def test_affine_grid_matches_torch(size, align_corners):
    theta = rn(2, 2, 3) if len(size) == 4 else rn(2, 3, 4)
    check("affine_grid", (theta, size), {"align_corners": align_corners})


@pytest.mark.parametrize("name", ["upsample", "upsample_nearest", "upsample_bilinear"])
def test_upsample_aliases_warn_deprecated(name):
    check(name, (rn(1, 2, 3, 4),), {"scale_factor": 2})


@pytest.mark.parametrize("name,args,kwargs", [
    ("lp_pool1d", lambda: (rn(2, 3, 9),), {"norm_type": float("inf"), "kernel_size": 3, "stride": 2}),
    ("lp_pool2d", lambda: (rn(2, 3, 9, 8),), {"norm_type": float("inf"), "kernel_size": 2, "ceil_mode": True}),
    ("lp_pool3d", lambda: (rn(1, 2, 4, 5, 4),), {"norm_type": -float("inf"), "kernel_size": 2}),
    ("lp_pool2d", lambda: (un(2, 3, 9, 8, grad=True),), {"norm_type": 3, "kernel_size": 2}),
    ("max_pool2d_with_indices", lambda: (rn(2, 3, 7, 8),), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("adaptive_max_pool1d_with_indices", lambda: (rn(2, 3, 10),), {"output_size": 4}),
    ("conv_tbc", lambda: (rn(5, 2, 3), rn(3, 3, 4), rn(4), 1), {}),
    ("conv_tbc", lambda: (rn(5, 2, 3), rn(2, 3, 4), rn(4), -1), {}),
    ("conv_tbc", lambda: (rn(5, 2, 3), rn(2, 2, 4), rn(4)), {}),
    ("conv_tbc", lambda: (rn(5, 2, 3), rn(2, 3, 4), rn(4), 1.5), {}),
    ("channel_shuffle", lambda: (rn(2, 6, 3, 4), 3), {}),
    ("channel_shuffle", lambda: (rn(2, 6, 3), 4), {}),
    ("native_channel_shuffle", lambda: (rn(2, 6, 3, grad=False), 2), {}),
    ("conv2d", lambda: (rn(2, 4, 7, 8), rn(6, 4, 2, 4)), {"padding": "same", "dilation": (2, 1)}),
])
def test_layer_matches_torch(name, args, kwargs):
    check(name, args(), kwargs, rtol=1e-4, atol=1e-5, warn=False)


def test_conv_same_padding_with_even_kernel_warns():
    # PyTorch warns once per process (TORCH_WARN_ONCE), so only tensorlite's side is checked here
    with pytest.warns(UserWarning, match="padding='same' with even kernel"):
        F.conv1d(tl.randn(1, 2, 8), tl.randn(3, 2, 4), padding="same")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.conv1d(tl.randn(1, 2, 8), tl.randn(3, 2, 3), padding="same")


@pytest.mark.parametrize("nd,shape,kernel,out", [
    (2, (2, 3, 9, 8), 2, (4, 5)), (2, (2, 3, 10, 7), (3, 2), (3, 6)), (2, (3, 9, 8), 3, 4),
    (2, (2, 3, 9, 8), 2, (8, 7)), (3, (2, 2, 7, 6, 9), 2, (3, 4, 5)), (3, (2, 5, 6, 7), (2, 3, 2), (3, 2, 5)),
])
def test_fractional_max_pool_matches_torch_given_samples(nd, shape, kernel, out):
    batch, channels = (shape[0] if len(shape) == nd + 2 else 1), shape[-nd - 1]
    samples = _RNG.random((batch, channels, nd))
    name = f"fractional_max_pool{nd}d"
    for dtype in (np.float32, np.float64):
        check(name, (rn(*shape, dtype=dtype),), {"kernel_size": kernel, "output_size": out, "return_indices": True,
                                                 "_random_samples": G(samples.astype(dtype))})


@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 2}, {"kernel_size": 2, "output_size": 9}, {"kernel_size": 2, "output_size": 8},
    {"kernel_size": 2, "output_size": 4, "_random_samples": G(np.full((2, 3, 3), 0.5, np.float32))},
    {"kernel_size": 2, "output_size": 4, "_random_samples": G(np.full((1, 3, 2), 0.5, np.float32))},
    {"kernel_size": 2, "output_ratio": (0.5, 0.5), "_random_samples": G(np.full((2, 3, 2), 0.3, np.float32))},
])
def test_fractional_max_pool_errors_match_torch(kwargs):
    check("fractional_max_pool2d", (rn(2, 3, 9, 8),), kwargs)


def test_fractional_max_pool_random_windows():
    x = tl.randn(2, 3, 12, 11)
    y, idx = F.fractional_max_pool2d(x, 3, output_ratio=0.5, return_indices=True)
    assert tuple(y.shape) == (2, 3, 6, 5) and idx.dtype == tl.int64
    flat = x.numpy().reshape(2, 3, -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, idx.numpy().reshape(2, 3, -1), 2).reshape(y.shape),
                                  y.numpy())


@pytest.mark.parametrize("name,args", [
    ("pdist", lambda: (rn(5, 4),)), ("pixel_shuffle", lambda: (rn(1, 8, 2, 3), 2)),
    ("cosine_similarity", lambda: (rn(3, 4), rn(3, 4))), ("conv_tbc", lambda: (rn(5, 2, 3), rn(2, 3, 4), rn(4))),
])
def test_torch_top_level_aliases(name, args):
    check(name, args(), ours=getattr(tl, name))
    assert getattr(tl, name) is getattr(F, name)


@pytest.mark.parametrize("args,kwargs", [
    (lambda: (rn(5, 4), rn(3, 4)), {}), (lambda: (rn(2, 30, 4), rn(2, 3, 4)), {}),
    (lambda: (rn(5, 4), rn(3, 4)), {"p": 1.0}),
    (lambda: (rn(2, 1, 5, 4), rn(3, 3, 4)), {"p": float("inf")}),
    (lambda: (rn(5, 4), rn(3, 4)), {"compute_mode": "use_mm_for_euclid_dist"}),
    (lambda: (rn(5, 4), rn(3, 4)), {"compute_mode": "bad"}), (lambda: (rn(4), rn(3, 4)), {}),
])
def test_cdist_matches_torch(args, kwargs):
    check("cdist", args(), kwargs, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("head_bias", [False, True])
def test_adaptive_log_softmax_matches_torch(head_bias):
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 10, 15], div_value=2.0, head_bias=head_bias).double()
    ours = nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 10, 15], div_value=2.0, head_bias=head_bias, dtype=tl.float64)
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: tl.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x, y = _RNG.standard_normal((7, 16)), np.array([0, 3, 4, 9, 10, 19, 15])
    tx, lx = torch.tensor(x, requires_grad=True), tl.tensor(x, requires_grad=True)
    t_out, l_out = theirs(tx, torch.tensor(y)), ours(lx, tl.tensor(y))
    assert type(l_out).__name__ == "_ASMoutput" and l_out._fields == ("output", "loss")
    np.testing.assert_allclose(_np(l_out.output), _np(t_out.output), rtol=1e-12)
    t_out.loss.backward()
    l_out.loss.backward()
    np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), atol=1e-12)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-12, err_msg=name)
    np.testing.assert_allclose(_np(ours.log_prob(lx)), _np(theirs.log_prob(tx)), atol=1e-12)
    np.testing.assert_array_equal(ours.predict(lx).numpy(), theirs.predict(tx).numpy())
    single = ours(lx[0], tl.tensor(y[0]))
    expected = theirs(tx[0], torch.tensor(y[0])).loss.item()
    assert tuple(single.output.shape) == () and np.isclose(single.loss.item(), expected)


@pytest.mark.parametrize("cutoffs", [[], [4, 3], [0], [20], [4, 4]])
def test_adaptive_log_softmax_rejects_bad_cutoffs(cutoffs):
    with pytest.raises(ValueError):
        torch.nn.AdaptiveLogSoftmaxWithLoss(16, 20, cutoffs)
    with pytest.raises(ValueError):
        nn.AdaptiveLogSoftmaxWithLoss(16, 20, cutoffs)


@pytest.mark.parametrize("x_shape,y", [((3, 16), [0, 1, 20]), ((3, 16), [0, 1]), ((3, 16), [[0], [1], [2]]),
                                       ((3, 16), 1)])
def test_adaptive_log_softmax_errors_match_torch(x_shape, y):
    x, y = np.zeros(x_shape, np.float32), np.array(y)
    with pytest.raises(RuntimeError):
        torch.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4])(torch.tensor(x), torch.tensor(y))
    with pytest.raises(RuntimeError):
        nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4])(tl.tensor(x), tl.tensor(y))
