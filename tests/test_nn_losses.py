"""Loss, embedding and distance modules against PyTorch's, and the checks the op registry cannot make.

The registry (tensorlite/testing/opinfo/nn_loss.py, nn_misc.py; run by tests/test_ops.py) covers
the functional forms: gradcheck, second-order gradcheck, parity and error types. Here:
  * every loss module and its settings vs the torch.nn module (forward and input gradients);
  * ctc_loss vs PyTorch on random small problems (lengths, repeated labels, infeasible items,
    zero_infinity, padded and concatenated targets), forward and the raw log_probs gradient;
  * what finite differences cannot check: embedding's padding_idx / scale_grad_by_freq / max_norm /
    sparse, clamps PyTorch does not differentiate through, nan means with zero gradients, double
    backward of cross_entropy against PyTorch's, and errors raised at backward.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn as nn
import tensorlite.nn.functional as F

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional


def _both(a: np.ndarray, requires_grad: bool = False, dtype=None):
    """The same array as a tensorlite and a torch tensor (floats in `dtype`, ints as int64)."""
    a = np.asarray(a)
    if a.dtype.kind == "f":
        a = a.astype(dtype or np.float64)
    ours, theirs = tl.tensor(a.copy()), torch.tensor(a.copy())
    if requires_grad and a.dtype.kind == "f":
        ours.requires_grad_(True)
        theirs.requires_grad_(True)
    return ours, theirs


def _np(t) -> np.ndarray:
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.detach().numpy()


def _assert_close(ours, theirs, atol=1e-9, rtol=1e-7, what="value"):
    a, b = _np(ours), _np(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs PyTorch {b.shape}"
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} vs PyTorch {b.dtype}"
    np.testing.assert_allclose(a, b, atol=atol, rtol=rtol, equal_nan=True, err_msg=what)


def _compare(ours_out, theirs_out, ours_in, theirs_in, atol=1e-9, rtol=1e-7, seed=0):
    """Forward values, then the gradients of sum(out * w) for the same random w in both libraries."""
    _assert_close(ours_out, theirs_out, atol, rtol, "forward")
    if not theirs_out.requires_grad:
        return
    w = np.random.default_rng(seed).uniform(-1, 1, size=tuple(theirs_out.shape)).astype(_np(theirs_out).dtype)
    (ours_out * tl.tensor(w)).sum().backward()
    (theirs_out * torch.tensor(w)).sum().backward()
    for k, (a, b) in enumerate(zip(ours_in, theirs_in)):
        if b.requires_grad:
            assert a.grad is not None, f"input {k}: no gradient"
            _assert_close(a.grad, b.grad, 10 * atol, 10 * rtol, f"gradient of input {k}")


# -- modules vs torch.nn ---------------------------------------------------------------------------------------------
def _logits(rng, *shape):
    return rng.uniform(-3, 3, size=shape)


def _prob(rng, *shape):
    return rng.uniform(0.05, 0.95, size=shape)


def _pm1(rng, *shape):
    return np.where(rng.uniform(size=shape) > 0.5, 1.0, -1.0)


W5 = np.array([0.5, 1.0, 2.0, 0.3, 1.5])
W4 = np.array([0.5, 1.0, 2.0, 0.3])

# (id, module name, constructor kwargs (arrays become tensors), inputs(rng) -> [(array, requires_grad)])
MODULE_CASES = [
    ("ce", "CrossEntropyLoss", {}, lambda r: [(_logits(r, 4, 5), True), (np.array([1, 0, 4, 2]), False)]),
    ("ce-options", "CrossEntropyLoss", {"weight": W5, "ignore_index": 1, "label_smoothing": 0.1, "reduction": "sum"},
     lambda r: [(_logits(r, 4, 5), True), (np.array([1, 0, 4, 2]), False)]),
    ("ce-kdim", "CrossEntropyLoss", {"reduction": "none"},
     lambda r: [(_logits(r, 2, 5, 3), True), (r.integers(0, 5, size=(2, 3)), False)]),
    ("ce-probs", "CrossEntropyLoss", {"label_smoothing": 0.2},
     lambda r: [(_logits(r, 3, 5), True), (_prob(r, 3, 5), True)]),
    ("nll", "NLLLoss", {"weight": W5, "reduction": "none"},
     lambda r: [(_logits(r, 4, 5), True), (np.array([1, 0, 4, 2]), False)]),
    ("bce", "BCELoss", {"weight": W4}, lambda r: [(_prob(r, 3, 4), True), (_prob(r, 3, 4), True)]),
    ("bce-logits", "BCEWithLogitsLoss", {"pos_weight": W4, "reduction": "sum"},
     lambda r: [(_logits(r, 3, 4), True), (_prob(r, 3, 4), True)]),
    ("bce-logits-w", "BCEWithLogitsLoss", {"weight": W4, "reduction": "none"},
     lambda r: [(_logits(r, 3, 4), True), (_prob(r, 3, 4), True)]),
    ("mse", "MSELoss", {}, lambda r: [(_logits(r, 3, 4), True), (_logits(r, 3, 4), True)]),
    ("mse-none", "MSELoss", {"reduction": "none"}, lambda r: [(_logits(r, 3, 4), True), (_logits(r, 3, 4), False)]),
    ("l1", "L1Loss", {"reduction": "sum"}, lambda r: [(_logits(r, 3, 4), True), (_logits(r, 3, 4), True)]),
    ("smooth-l1", "SmoothL1Loss", {"beta": 0.5}, lambda r: [(_logits(r, 3, 4), True), (_logits(r, 3, 4), True)]),
    ("huber", "HuberLoss", {"delta": 0.5}, lambda r: [(_logits(r, 3, 4), True), (_logits(r, 3, 4), True)]),
    ("kl", "KLDivLoss", {"reduction": "batchmean", "log_target": True},
     lambda r: [(np.log(_prob(r, 3, 4)), True), (np.log(_prob(r, 3, 4)), True)]),
    ("cosine-emb", "CosineEmbeddingLoss", {"margin": 0.1},
     lambda r: [(_logits(r, 4, 3), True), (_logits(r, 4, 3), True), (np.array([1, -1, 1, -1]), False)]),
    ("margin-rank", "MarginRankingLoss", {"margin": 0.2},
     lambda r: [(_logits(r, 5), True), (_logits(r, 5), True), (_pm1(r, 5), False)]),
    ("hinge", "HingeEmbeddingLoss", {"margin": 0.5}, lambda r: [(_logits(r, 3, 4), True), (_pm1(r, 3, 4), False)]),
    ("soft-margin", "SoftMarginLoss", {}, lambda r: [(_logits(r, 3, 4), True), (_pm1(r, 3, 4), False)]),
    ("multilabel", "MultiLabelSoftMarginLoss", {"weight": W4},
     lambda r: [(_logits(r, 3, 4), True), ((r.uniform(size=(3, 4)) > 0.5).astype(np.float64), False)]),
    ("multi-margin", "MultiMarginLoss", {"p": 2, "margin": 0.5, "weight": W4},
     lambda r: [(_logits(r, 3, 4), True), (np.array([3, 0, 1]), False)]),
    ("triplet", "TripletMarginLoss", {"margin": 2.0, "swap": True},
     lambda r: [(_logits(r, 3, 4), True), (_logits(r, 3, 4), True), (_logits(r, 3, 4), True)]),
    ("triplet-dist", "TripletMarginWithDistanceLoss", {"margin": 2.0},
     lambda r: [(_logits(r, 3, 4), True), (_logits(r, 3, 4), True), (_logits(r, 3, 4), True)]),
    ("poisson", "PoissonNLLLoss", {"full": True},
     lambda r: [(_logits(r, 3, 4), True), (r.uniform(0, 5, size=(3, 4)), True)]),
    ("gaussian", "GaussianNLLLoss", {"full": True},
     lambda r: [(_logits(r, 3, 4), True), (_logits(r, 3, 4), True), (_prob(r, 3, 4), True)]),
    ("cosine-sim", "CosineSimilarity", {"dim": 0}, lambda r: [(_logits(r, 3, 4), True), (_logits(r, 3, 4), True)]),
    ("pairwise", "PairwiseDistance", {"p": 1.0, "keepdim": True},
     lambda r: [(_logits(r, 3, 4), True), (_logits(r, 3, 4), True)]),
]


def _ctor_kwargs(kwargs, lib):
    out = {}
    for k, v in kwargs.items():
        out[k] = (tl.tensor(v) if lib == "tl" else torch.tensor(v)) if isinstance(v, np.ndarray) else v
    return out


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", MODULE_CASES, ids=[c[0] for c in MODULE_CASES])
def test_module_matches_torch(case, dtype):
    _, name, kwargs, make = case
    np_dtype = np.float64 if dtype == "float64" else np.float32
    inputs = make(np.random.default_rng(7))
    ours_in, theirs_in = zip(*[_both(a, g, np_dtype) for a, g in inputs])
    kw = {k: (v.astype(np_dtype) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}
    ours_mod, theirs_mod = getattr(nn, name)(**_ctor_kwargs(kw, "tl")), getattr(tnn, name)(**_ctor_kwargs(kw, "torch"))
    assert repr(ours_mod) == repr(theirs_mod)
    tol = (1e-9, 1e-7) if dtype == "float64" else (2e-5, 2e-5)
    _compare(ours_mod(*ours_in), theirs_mod(*theirs_in), ours_in, theirs_in, *tol)


def test_loss_weights_are_buffers():
    for name, kwargs in (("CrossEntropyLoss", {"weight": W5}), ("NLLLoss", {"weight": W5}), ("BCELoss", {"weight": W4}),
                         ("BCEWithLogitsLoss", {"weight": W4, "pos_weight": W4}),
                         ("MultiLabelSoftMarginLoss", {"weight": W4}), ("MultiMarginLoss", {"weight": W4}),
                         ("BCEWithLogitsLoss", {"pos_weight": W4}), ("CrossEntropyLoss", {})):
        ours = getattr(nn, name)(**_ctor_kwargs(kwargs, "tl"))
        theirs = getattr(tnn, name)(**_ctor_kwargs(kwargs, "torch"))
        assert list(ours.state_dict()) == list(theirs.state_dict()), name
        assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()], name
        assert not list(ours.parameters())
        if "weight" in kwargs:
            np.testing.assert_array_equal(ours.weight.numpy(), kwargs["weight"])


def test_module_attributes_match_torch():
    pairs = [("CrossEntropyLoss", ("reduction", "ignore_index", "label_smoothing")),
             ("CTCLoss", ("blank", "zero_infinity")),
             ("KLDivLoss", ("log_target",)), ("PairwiseDistance", ("norm", "eps", "keepdim")),
             ("CosineSimilarity", ("dim", "eps")), ("TripletMarginLoss", ("margin", "p", "eps", "swap")),
             ("PoissonNLLLoss", ("log_input", "full", "eps")), ("GaussianNLLLoss", ("full", "eps", "reduction")),
             ("SmoothL1Loss", ("beta",)), ("HuberLoss", ("delta",)), ("MultiMarginLoss", ("p", "margin"))]
    for name, attrs in pairs:
        ours, theirs = getattr(nn, name)(), getattr(tnn, name)()
        for a in attrs:
            assert getattr(ours, a) == getattr(theirs, a), f"{name}.{a}"


def test_legacy_size_average_and_reduce():
    x, tx = _both(np.arange(6.0).reshape(2, 3))
    t, tt = _both(np.ones((2, 3)))
    for size_average, reduce in ((False, None), (None, False), (True, True), (False, True)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = F.mse_loss(x, t, size_average=size_average, reduce=reduce)
            theirs = TF.mse_loss(tx, tt, size_average=size_average, reduce=reduce)
            module = nn.L1Loss(size_average=size_average, reduce=reduce)
            torch_module = tnn.L1Loss(size_average=size_average, reduce=reduce)
        _assert_close(ours, theirs)
        assert module.reduction == torch_module.reduction
    with pytest.warns(UserWarning, match="deprecated"):
        F.l1_loss(x, t, size_average=False)


LOSS_CALLS = {
    "cross_entropy": lambda f, r: f.cross_entropy(r(3, 4), _long(r, [0, 1, 2]), reduction="bad"),
    "nll_loss": lambda f, r: f.nll_loss(r(3, 4), _long(r, [0, 1, 2]), reduction="bad"),
    "binary_cross_entropy": lambda f, r: f.binary_cross_entropy(r(3).sigmoid(), r(3).sigmoid(), reduction="bad"),
    "binary_cross_entropy_with_logits": lambda f, r: f.binary_cross_entropy_with_logits(r(3), r(3), reduction="bad"),
    "mse_loss": lambda f, r: f.mse_loss(r(3), r(3), reduction="bad"),
    "l1_loss": lambda f, r: f.l1_loss(r(3), r(3), reduction="bad"),
    "smooth_l1_loss": lambda f, r: f.smooth_l1_loss(r(3), r(3), reduction="bad"),
    "huber_loss": lambda f, r: f.huber_loss(r(3), r(3), reduction="bad"),
    "kl_div": lambda f, r: f.kl_div(r(3), r(3), reduction="bad"),
    "soft_margin_loss": lambda f, r: f.soft_margin_loss(r(3), r(3), reduction="bad"),
    "multilabel_soft_margin_loss": lambda f, r: f.multilabel_soft_margin_loss(r(2, 3), r(2, 3), reduction="bad"),
    "triplet_margin_loss": lambda f, r: f.triplet_margin_loss(r(2, 3), r(2, 3), r(2, 3), reduction="bad"),
    "poisson_nll_loss": lambda f, r: f.poisson_nll_loss(r(3), r(3), reduction="bad"),
    "gaussian_nll_loss": lambda f, r: f.gaussian_nll_loss(r(3), r(3), r(3).exp(), reduction="bad"),
    "margin_ranking_loss": lambda f, r: f.margin_ranking_loss(r(3), r(3), r(3), reduction="bad"),
    "hinge_embedding_loss": lambda f, r: f.hinge_embedding_loss(r(3), r(3), reduction="bad"),
    "cosine_embedding_loss": lambda f, r: f.cosine_embedding_loss(r(2, 3), r(2, 3), r(2), reduction="bad"),
    "multi_margin_loss": lambda f, r: f.multi_margin_loss(r(2, 3), _long(r, [0, 1]), reduction="bad"),
    "ctc_loss": lambda f, r: f.ctc_loss(r(4, 1, 3), _long(r, [[1]]), _long(r, [4]), _long(r, [1]), reduction="bad"),
}


def _long(r, values):
    return r.long(values)


class _Maker:
    """Builds tensors of one library from the same seeded values: m(3, 4) floats, m.long([...]) indices."""

    def __init__(self, lib):
        self.lib, self.rng = lib, np.random.default_rng(0)

    def __call__(self, *shape):
        a = self.rng.uniform(-1, 1, size=shape)
        return tl.tensor(a) if self.lib == "tl" else torch.tensor(a)

    def long(self, values):
        return tl.tensor(np.array(values)) if self.lib == "tl" else torch.tensor(np.array(values))


@pytest.mark.parametrize("name", list(LOSS_CALLS))
def test_invalid_reduction_is_a_value_error(name):
    with pytest.raises(ValueError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        LOSS_CALLS[name](torch.nn.functional, _Maker("torch"))
    with pytest.raises(ValueError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        LOSS_CALLS[name](F, _Maker("tl"))


# -- cross_entropy / nll_loss ----------------------------------------------------------------------------------------
def test_cross_entropy_all_ignored_gives_nan_and_zero_gradient():
    for smoothing in (0.0, 0.1):
        x, tx = _both(np.random.default_rng(0).normal(size=(3, 5)), True)
        t, tt = _both(np.array([-100, -100, -100]))
        _compare(F.cross_entropy(x, t, label_smoothing=smoothing), TF.cross_entropy(tx, tt, label_smoothing=smoothing),
                 [x], [tx])
        assert np.isnan(F.cross_entropy(x, t).item())
        np.testing.assert_array_equal(x.grad.numpy(), 0)
    x, tx = _both(np.random.default_rng(0).normal(size=(3, 5)), True)
    _compare(F.nll_loss(x, t), TF.nll_loss(tx, tt), [x], [tx])


def test_cross_entropy_uint8_targets_and_float32():
    x, tx = _both(np.random.default_rng(1).normal(size=(4, 6)), True, np.float32)
    t = tl.tensor(np.array([0, 5, 2, 2], dtype=np.uint8))
    tt = torch.tensor(np.array([0, 5, 2, 2], dtype=np.uint8))
    out = F.cross_entropy(x, t, label_smoothing=0.05)
    assert out.dtype == tl.float32
    _compare(out, TF.cross_entropy(tx, tt, label_smoothing=0.05), [x], [tx], 2e-6, 2e-6)


def test_cross_entropy_extreme_logits_stay_finite():
    a = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [3e4, 3e4, -3e4]], dtype=np.float32)
    for smoothing in (0.0, 0.3):
        x, tx = _both(a, True, np.float32)
        t, tt = _both(np.array([1, 2, 0]))
        ours = F.cross_entropy(x, t, label_smoothing=smoothing, reduction="none")
        assert np.isfinite(ours.detach().numpy()).all()
        _compare(ours, TF.cross_entropy(tx, tt, label_smoothing=smoothing, reduction="none"), [x], [tx], 1e-2, 1e-6)


def test_class_weight_requiring_grad_is_refused_like_torch():
    w, tw = _both(W5, True)
    x, tx = _both(np.zeros((2, 5)), True)
    t, tt = _both(np.array([0, 1]))
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
        TF.cross_entropy(tx, tt, weight=tw)
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
        F.cross_entropy(x, t, weight=w)
    with tl.no_grad():
        F.nll_loss(x, t, weight=w)  # no graph: fine, as in PyTorch


@pytest.mark.parametrize("kwargs", [{}, {"label_smoothing": 0.2, "weight": W5},
                                    {"reduction": "none", "ignore_index": 3},
                                    {"reduction": "sum", "label_smoothing": 0.1}])
def test_cross_entropy_double_backward_matches_torch(kwargs):
    """Hessian-vector products through the fused cross_entropy (create_graph) against PyTorch's."""
    rng = np.random.default_rng(3)
    x, tx = _both(rng.normal(size=(4, 5)), True)
    t, tt = _both(np.array([3, 0, 4, 3]))
    kw = {k: tl.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    out, tout = F.cross_entropy(x, t, **kw), TF.cross_entropy(tx, tt, **tkw)
    seed = rng.uniform(-1, 1, size=tuple(tout.shape))
    (g,) = tl.autograd.grad((out * tl.tensor(seed)).sum(), [x], create_graph=True)
    (tg,) = torch.autograd.grad((tout * torch.tensor(seed)).sum(), [tx], create_graph=True)
    _assert_close(g, tg, 1e-10, 1e-8, "first derivative")
    v = rng.uniform(-1, 1, size=(4, 5))
    (h,) = tl.autograd.grad((g * tl.tensor(v)).sum(), [x])
    (th,) = torch.autograd.grad((tg * torch.tensor(v)).sum(), [tx])
    _assert_close(h, th, 1e-10, 1e-8, "Hessian-vector product")


def test_cross_entropy_class_dims_error_like_torch():
    for shape, target in (((2, 3, 4, 5), (2, 4, 6)), ((2, 3, 4), (2, 5)), ((3, 5), (3, 2))):
        x, tx = _both(np.zeros(shape))
        t, tt = _both(np.zeros(target, dtype=np.int64))
        with pytest.raises(RuntimeError):
            TF.cross_entropy(tx, tt)
        with pytest.raises(RuntimeError):
            F.cross_entropy(x, t)


# -- ctc_loss --------------------------------------------------------------------------------------------------------
def _ctc_problem(rng, layout: str):
    """A random batch: lengths differ per item, labels repeat, some items may be infeasible."""
    n = int(rng.integers(1, 5))
    classes = int(rng.integers(2, 6))
    steps = int(rng.integers(1, 9))
    input_lengths = rng.integers(0, steps + 1, size=n)
    input_lengths[0] = steps
    target_lengths = rng.integers(0, 5, size=n)
    s_max = max(int(target_lengths.max()), 1)
    targets = rng.integers(1, classes, size=(n, s_max))
    if s_max > 1:
        targets[:, 1] = targets[:, 0]  # a repeated label needs a blank between its copies
    logits = rng.normal(size=(steps, n, classes)) * 2
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    if layout == "concatenated":
        targets = np.concatenate([targets[i, :target_lengths[i]] for i in range(n)])
    return log_probs, targets.astype(np.int64), input_lengths.astype(np.int64), target_lengths.astype(np.int64)


@pytest.mark.parametrize("layout", ["padded", "concatenated"])
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_ctc_loss_matches_torch_on_random_problems(layout, zero_infinity, reduction):
    rng = np.random.default_rng(hash((layout, zero_infinity, reduction)) % 2**32)
    for _ in range(12):
        lp, targets, il, tlens = _ctc_problem(rng, layout)
        x, tx = _both(lp, True)
        args = [_both(a) for a in (targets, il, tlens)]
        ours = F.ctc_loss(x, *[a for a, _ in args], reduction=reduction, zero_infinity=zero_infinity)
        theirs = TF.ctc_loss(tx, *[b for _, b in args], reduction=reduction, zero_infinity=zero_infinity)
        _assert_close(ours, theirs, 1e-9, 1e-7, "forward")
        ours.sum().backward()
        theirs.sum().backward()
        # the raw gradient w.r.t. log_probs in PyTorch's convention (nan for infeasible items, unless zero_infinity)
        _assert_close(x.grad, tx.grad, 1e-9, 1e-6, "gradient")


def test_ctc_loss_float32_lengths_as_tuples_and_unbatched():
    rng = np.random.default_rng(5)
    lp, targets, il, tlens = _ctc_problem(rng, "padded")
    x, tx = _both(lp, True, np.float32)
    t, tt = _both(targets)
    ours = F.ctc_loss(x, t, tuple(int(v) for v in il), tuple(int(v) for v in tlens), reduction="sum")
    theirs = TF.ctc_loss(tx, tt, tuple(int(v) for v in il), tuple(int(v) for v in tlens), reduction="sum")
    _compare(ours, theirs, [x], [tx], 2e-4, 2e-5)
    steps = lp.shape[0]
    x1, tx1 = _both(lp[:, 0], True)
    one, tone = _both(np.array(steps))
    length, tlength = _both(np.array(int(tlens[0])))
    t1, tt1 = _both(targets[0, :tlens[0]])
    for reduction in ("none", "mean"):
        _compare(F.ctc_loss(x1, t1, one, length, reduction=reduction),
                 TF.ctc_loss(tx1, tt1, tone, tlength, reduction=reduction), [x1], [tx1])
        x1.grad = tx1.grad = None


def test_ctc_loss_module_and_blank():
    rng = np.random.default_rng(11)
    lp, targets, il, tlens = _ctc_problem(rng, "padded")
    targets = np.where(targets == 1, 0, targets)  # blank = 1: labels must avoid it
    x, tx = _both(lp, True)
    ours = nn.CTCLoss(blank=1, zero_infinity=True)(x, *[tl.tensor(a) for a in (targets, il, tlens)])
    theirs = tnn.CTCLoss(blank=1, zero_infinity=True)(tx, *[torch.tensor(a) for a in (targets, il, tlens)])
    _compare(ours, theirs, [x], [tx])


def test_ctc_loss_is_once_differentiable():
    rng = np.random.default_rng(2)
    lp, targets, il, tlens = _ctc_problem(rng, "padded")
    x = tl.tensor(lp, requires_grad=True)
    loss = F.ctc_loss(x, tl.tensor(targets), tl.tensor(il), tl.tensor(tlens), reduction="sum")
    (g,) = tl.autograd.grad(loss, [x], create_graph=True)
    with pytest.raises(RuntimeError, match="once differentiable"):
        g.sum().backward()


# -- embedding -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                    {"scale_grad_by_freq": True, "padding_idx": 1}, {"sparse": True}])
def test_embedding_gradient_options_match_torch(kwargs):
    rng = np.random.default_rng(0)
    w, tw = _both(rng.normal(size=(6, 4)), True)
    idx, tidx = _both(np.array([[0, 2, 5], [2, 2, 1], [5, 5, 5]]))
    ours, theirs = F.embedding(idx, w, **kwargs), TF.embedding(tidx, tw, **kwargs)
    _assert_close(ours, theirs)
    g = rng.normal(size=(3, 3, 4))
    ours.backward(tl.tensor(g))
    theirs.backward(torch.tensor(g))
    grad = tw.grad.to_dense() if tw.grad.is_sparse else tw.grad
    _assert_close(w.grad, grad, 1e-12, 1e-10, "weight gradient")


def test_embedding_max_norm_renormalises_rows_in_place_like_torch():
    rng = np.random.default_rng(1)
    for norm_type in (2.0, 1.0):
        table = rng.normal(size=(5, 3)) * 3
        table[3] *= 0.01  # a small row stays as it is
        w, tw = _both(table, True)
        idx, tidx = _both(np.array([1, 3, 3, 4]))
        ours = F.embedding(idx, w, max_norm=1.0, norm_type=norm_type)
        theirs = TF.embedding(tidx, tw, max_norm=1.0, norm_type=norm_type)
        _assert_close(ours, theirs, 1e-12)
        _assert_close(w, tw, 1e-12, what="renormalised table")
        assert np.allclose(w.detach().numpy()[[0, 2]], table[[0, 2]])  # rows not looked up are untouched


def test_embedding_double_backward():
    rng = np.random.default_rng(4)
    w = tl.tensor(rng.normal(size=(5, 3)), requires_grad=True)
    idx = tl.tensor(np.array([1, 1, 4]))
    assert tl.autograd.gradgradcheck(lambda w: F.embedding(idx, w, padding_idx=4) ** 2, (w,))


def test_embedding_module():
    tl.manual_seed(0)
    emb = nn.Embedding(1000, 8, padding_idx=3)
    assert tuple(emb.weight.shape) == (1000, 8) and emb.weight.requires_grad
    np.testing.assert_array_equal(emb.weight.detach().numpy()[3], 0)
    values = np.delete(emb.weight.detach().numpy(), 3, axis=0)
    assert abs(values.mean()) < 0.05 and abs(values.std() - 1) < 0.05  # N(0, 1)
    assert repr(emb) == repr(tnn.Embedding(1000, 8, padding_idx=3))
    assert repr(nn.Embedding(5, 2, max_norm=1.0, sparse=True)) == repr(tnn.Embedding(5, 2, max_norm=1.0, sparse=True))
    out = emb(tl.tensor(np.array([[3, 4], [5, 3]])))
    assert tuple(out.shape) == (2, 2, 8)
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[3], 0)
    assert list(emb.state_dict()) == ["weight"]

    table = np.arange(12.0).reshape(4, 3)
    frozen = nn.Embedding.from_pretrained(tl.tensor(table))
    assert not frozen.weight.requires_grad and frozen.num_embeddings == 4 and frozen.embedding_dim == 3
    np.testing.assert_array_equal(frozen(tl.tensor(np.array([2]))).numpy(), table[[2]])
    assert nn.Embedding.from_pretrained(tl.tensor(table), freeze=False, padding_idx=0).weight.requires_grad
    with pytest.raises(AssertionError):
        nn.Embedding.from_pretrained(tl.tensor(np.ones(3)))
    with pytest.raises(AssertionError):
        nn.Embedding(4, 2, padding_idx=4)
    with pytest.raises(AssertionError):
        nn.Embedding(4, 2, _weight=tl.tensor(np.ones((3, 2))))
    assert nn.Embedding(4, 2, padding_idx=-1).padding_idx == 3
    assert nn.Embedding(3, 2, dtype=tl.float64).weight.dtype == tl.float64


def test_embedding_bag_module_matches_torch():
    table = np.random.default_rng(3).normal(size=(6, 3))
    for mode in ("sum", "mean", "max"):
        ours = nn.EmbeddingBag.from_pretrained(tl.tensor(table), freeze=False, mode=mode)
        theirs = tnn.EmbeddingBag.from_pretrained(torch.tensor(table), freeze=False, mode=mode)
        idx, tidx = _both(np.array([1, 2, 4, 5, 4, 3, 2]))
        off, toff = _both(np.array([0, 2, 2, 5]))
        _compare(ours(idx, off), theirs(tidx, toff), [ours.weight], [theirs.weight])


# -- clamps and kinks that finite differences cannot check -----------------------------------------------------------
def test_gaussian_nll_var_clamp_not_differentiated_like_torch():
    rng = np.random.default_rng(0)
    var = rng.uniform(0.5, 2.0, size=(3, 4))
    var[0, :2] = [1e-9, 0.0]
    x, tx = _both(rng.normal(size=(3, 4)), True)
    t, tt = _both(rng.normal(size=(3, 4)), True)
    v, tv = _both(var, True)
    _compare(F.gaussian_nll_loss(x, t, v, eps=1e-3, reduction="sum"),
             TF.gaussian_nll_loss(tx, tt, tv, eps=1e-3, reduction="sum"), [x, t, v], [tx, tt, tv])


def test_normalize_and_cosine_similarity_of_zero_vectors_like_torch():
    a = np.zeros((2, 3))
    a[1] = [1.0, -2.0, 0.5]
    x, tx = _both(a, True)
    _compare(F.normalize(x), TF.normalize(tx), [x], [tx])
    x, tx = _both(a, True)
    y, ty = _both(np.ones((2, 3)), True)
    _compare(F.cosine_similarity(x, y), TF.cosine_similarity(tx, ty), [x, y], [tx, ty])


def test_binary_cross_entropy_at_the_edges_like_torch():
    p, tp = _both(np.array([0.0, 1e-30, 0.5, 1.0 - 1e-12, 1.0]), True)
    t, tt = _both(np.array([0.0, 1.0, 0.3, 0.0, 1.0]))
    _compare(F.binary_cross_entropy(p, t, reduction="none"), TF.binary_cross_entropy(tp, tt, reduction="none"),
             [p], [tp], 1e-6, 1e-7)


def test_binary_cross_entropy_with_logits_extreme_float32():
    x, tx = _both(np.array([-1e4, -100.0, 0.0, 100.0, 1e4]), True, np.float32)
    t, tt = _both(np.array([1.0, 0.0, 0.5, 1.0, 0.0]), False, np.float32)
    pw, tpw = _both(np.array([2.0]), False, np.float32)
    _compare(F.binary_cross_entropy_with_logits(x, t, pos_weight=pw, reduction="none"),
             TF.binary_cross_entropy_with_logits(tx, tt, pos_weight=tpw, reduction="none"), [x], [tx], 1e-3, 1e-6)


def test_kl_div_mean_warns_like_torch():
    x, t = tl.tensor(np.log([[0.5, 0.5]])), tl.tensor([[0.3, 0.7]])
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(x, t)


def test_mse_loss_broadcast_warns_and_fused_path_matches_composed():
    x, tx = _both(np.random.default_rng(0).normal(size=(3, 4)), True, np.float32)
    t, tt = _both(np.random.default_rng(1).normal(size=(3, 4)), True, np.float32)
    out = F.mse_loss(x, t)
    assert out.dtype == tl.float32
    _compare(out, TF.mse_loss(tx, tt), [x, t], [tx, tt], 2e-6, 2e-6)
    with pytest.warns(UserWarning, match="target size"):
        F.mse_loss(x, tl.tensor(np.ones(4, dtype=np.float32)))
    (g,) = tl.autograd.grad(F.mse_loss(x, t, reduction="sum"), [x], create_graph=True)
    (h,) = tl.autograd.grad(g.sum(), [x])
    np.testing.assert_allclose(h.numpy(), 2.0)
