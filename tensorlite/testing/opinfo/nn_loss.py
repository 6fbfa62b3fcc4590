"""Registry entries for the losses of `tensorlite.nn.functional` (loss.py, _nll.py, _ctc.py).

Each loss is sampled with every reduction and option (class weights, ignore_index present in
the targets, label smoothing, probability targets, pos_weight broadcast, log_target,
'batchmean', unbatched and K-dim inputs), extreme logits for the stable losses, and values kept
away from kinks. Targets and indices are int64 arrays; class weights are marked as not requiring
grad (PyTorch refuses gradients for them).
"""
from __future__ import annotations

import numpy as np

from ...nn import functional as F
from . import ErrorSample, OpInfo, Sample, away_from
from . import arr, positive, torch_functional

REDUCTIONS = ("mean", "sum", "none")


_torch_call = torch_functional


def _int(*values) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def _logits(rng, *shape):
    return arr(rng, *shape, low=-3.0, high=3.0)


def _extreme_logits() -> np.ndarray:
    return np.array([[50.0, -50.0, 0.5, -0.5], [-50.0, -50.0, 50.0, 3.0], [1.0, 2.0, -1.0, 0.0]])


# -- cross_entropy / nll_loss ----------------------------------------------------------------------------------
def _class_index_samples(rng, fused: bool):
    """Shared by cross_entropy and nll_loss: every layout, weights, ignore_index and reduction."""
    x = _logits(rng, 4, 5)
    t = _int(1, 0, 4, 1)
    for r in REDUCTIONS:
        yield Sample((x, t), {"reduction": r}, desc=f"(N, C), {r}")
    w = positive(rng, 5)
    for r in REDUCTIONS:
        yield Sample((x, t), {"weight": w, "reduction": r}, desc=f"class weights, {r}", grad=(True, False, False))
    t_ign = _int(1, -100, 4, 2)
    yield Sample((x, t_ign), desc="ignore_index -100 present")
    yield Sample((x, t_ign), {"weight": w, "reduction": "none"}, desc="ignored item, weights, none",
                 grad=(True, False, False))
    yield Sample((x, t), {"ignore_index": 1, "weight": w}, desc="ignore_index=1 with weights",
                 grad=(True, False, False))
    yield Sample((_logits(rng, 5), np.array(3, dtype=np.int64)), desc="unbatched (C,)")
    yield Sample((_logits(rng, 5), np.array(3, dtype=np.int64)), {"reduction": "none"}, desc="unbatched, none")
    xk = _logits(rng, 2, 3, 2, 2)
    tk = rng.integers(0, 3, size=(2, 2, 2))
    tk[0, 1, 0] = -100
    for r in REDUCTIONS:
        yield Sample((xk, tk), {"reduction": r}, desc=f"K-dim (N, C, d1, d2), {r}")
    yield Sample((_logits(rng, 2, 3, 4), rng.integers(0, 3, size=(2, 4))), {"weight": positive(rng, 3)},
                 desc="(N, C, d1), weights", grad=(True, False, False))
    yield Sample((_logits(rng, 1, 3), _int(2)), desc="N = 1")
    yield Sample((np.zeros((0, 4)), np.zeros(0, dtype=np.int64)), {"reduction": "sum"}, desc="empty batch, sum")
    yield Sample((np.zeros((0, 4)), np.zeros(0, dtype=np.int64)), {"reduction": "none"}, desc="empty batch, none")
    if fused:
        yield Sample((_extreme_logits(), _int(1, 0, 3)), desc="extreme logits +-50")
        yield Sample((_extreme_logits(), _int(1, 0, 3)), {"reduction": "none", "label_smoothing": 0.2},
                     desc="extreme logits, label smoothing")
        for r in REDUCTIONS:
            yield Sample((x, t_ign), {"label_smoothing": 0.15, "weight": w, "reduction": r},
                         desc=f"label smoothing + weights + ignored item, {r}", grad=(True, False, False))
        yield Sample((xk, tk), {"label_smoothing": 0.3}, desc="K-dim, label smoothing")
        yield Sample((x, t), {"label_smoothing": 1.0}, desc="label_smoothing = 1")


def _cross_entropy_samples(rng):
    yield from _class_index_samples(rng, fused=True)
    x = _logits(rng, 3, 4)
    q = positive(rng, 3, 4)
    q = q / q.sum(1, keepdims=True)
    for r in REDUCTIONS:
        yield Sample((x, q), {"reduction": r}, desc=f"probability targets, {r}")
    yield Sample((x, q), {"label_smoothing": 0.2, "weight": positive(rng, 4)},
                 desc="probability targets, smoothing, weights", grad=(True, True, False))
    yield Sample((_logits(rng, 2, 3, 2), positive(rng, 2, 3, 2)), {"reduction": "none"},
                 desc="K-dim probability targets")
    yield Sample((_logits(rng, 4), positive(rng, 4)), desc="unbatched probability targets")
    yield Sample((np.zeros((0, 3)), np.zeros((0, 3))), {"reduction": "sum"}, desc="empty probability targets")


def _class_index_errors(op: str):
    def errors():
        x = np.zeros((3, 5))
        yield ErrorSample((x, _int(1, 2, 7)), error=IndexError, match="out of bounds", desc="target >= C")
        yield ErrorSample((x, _int(1, 2, -1)), error=IndexError, desc="negative target")
        yield ErrorSample((x, _int(1, 2)), error=ValueError, match="batch_size", desc="batch size mismatch")
        yield ErrorSample((x, _int(1, 2, 3)), {"reduction": "avg"}, error=ValueError,
                          match="not a valid value for reduction", desc="bad reduction")
        yield ErrorSample((x, _int(1, 2, 3)), {"weight": np.ones(4)}, error=RuntimeError,
                          desc="weight of the wrong size")
        yield ErrorSample((x, np.array([1, 2, 3], dtype=np.int32)), error=RuntimeError, desc="int32 target")
        yield ErrorSample((x, np.zeros((3, 2), dtype=np.int64)), error=RuntimeError, desc="2-d target for (N, C)")
        yield ErrorSample((np.zeros((2, 3, 4, 5)), np.zeros((2, 4), dtype=np.int64)), error=RuntimeError,
                          desc="(N, C, H, W) with a 2-d target")
        yield ErrorSample((np.zeros((2, 3, 4)), np.zeros((2, 5), dtype=np.int64)), error=RuntimeError,
                          desc="K-dim target size mismatch")
        yield ErrorSample((np.zeros(5), _int(1, 2)), error=ValueError, desc="1-d input, 1-d target of size 2")
        yield ErrorSample((x.astype(np.float32), _int(1, 2, 3)), {"weight": np.ones(5)}, error=RuntimeError,
                          desc="weight dtype differs from input's")
        if op == "cross_entropy":
            yield ErrorSample((x, _int(1, 2, 3)), {"label_smoothing": 1.5}, error=RuntimeError, desc="smoothing > 1")
            yield ErrorSample((x, np.zeros((3, 5), dtype=np.int64)), error=RuntimeError,
                              desc="integer target of the input's shape (probabilities must be float)")
            yield ErrorSample((x, np.zeros((3, 5))), {"ignore_index": 1}, error=RuntimeError,
                              desc="ignore_index with probability targets")
            yield ErrorSample((x, np.zeros((3, 5))), {"weight": np.ones(4)}, error=RuntimeError,
                              desc="probability targets, weight of the wrong size")
            yield ErrorSample((np.array([[1, 2], [3, 4]]), _int(0, 1)), error=NotImplementedError,
                              desc="integer logits")
        else:
            yield ErrorSample((np.zeros(()), np.array(0, dtype=np.int64)), error=ValueError, desc="0-d input")
            yield ErrorSample((np.array([[1, 2], [3, 4]], dtype=np.int32), _int(0, 1)), error=NotImplementedError,
                              desc="integer input")

    return errors


# -- binary -----------------------------------------------------------------------------------------------------
def _bce_samples(rng):
    p = rng.uniform(0.05, 0.95, size=(3, 4))
    t = rng.uniform(0, 1, size=(3, 4))
    for r in REDUCTIONS:
        yield Sample((p, t), {"reduction": r}, desc=r)
    yield Sample((p, t), {"weight": positive(rng, 4)}, desc="weight broadcast over rows", grad=(True, True, False))
    yield Sample((p, (t > 0.5).astype(np.float64)), {"reduction": "none"}, desc="hard 0/1 targets",
                 grad=(True, False))
    yield Sample((np.asarray(rng.uniform(0.05, 0.95)), np.asarray(rng.uniform(0, 1))), desc="0-d")
    yield Sample((np.zeros((0, 2)), np.zeros((0, 2))), {"reduction": "sum"}, desc="empty")
    yield Sample((np.array([1e-5, 0.5, 1 - 1e-5]), np.array([0.0, 0.5, 1.0])), desc="near 0 and 1",
                 grad=(True, False), gradgrad=False)


def _bce_errors():
    yield ErrorSample((np.array([0.5, 1.5]), np.array([0.0, 1.0])), error=RuntimeError, match="between 0 and 1",
                      desc="input outside [0, 1]")
    yield ErrorSample((np.array([0.5, 0.5]), np.array([0.0, 1.0, 1.0])), error=ValueError,
                      match="Using a target size", desc="target size differs")
    yield ErrorSample((np.array([0.5, 0.5]), np.array([0.0, 1.0])), {"reduction": "avg"}, error=ValueError,
                      desc="bad reduction")


def _bce_logits_samples(rng):
    x = _logits(rng, 3, 4)
    t = rng.uniform(0, 1, size=(3, 4))
    for r in REDUCTIONS:
        yield Sample((x, t), {"reduction": r}, desc=r)
    yield Sample((x, t), {"pos_weight": positive(rng, 4)}, desc="pos_weight broadcast over rows",
                 grad=(True, True, False))
    yield Sample((x, t), {"weight": positive(rng, 3, 1), "pos_weight": positive(rng, 4), "reduction": "none"},
                 desc="weight and pos_weight", grad=(True, True, False, False))
    e = np.array([-50.0, -20.0, 0.3, 20.0, 50.0])
    yield Sample((e, np.array([1.0, 0.0, 0.5, 1.0, 0.0])), {"reduction": "none"}, desc="extreme logits +-50")
    yield Sample((e, np.array([0.0, 1.0, 0.5, 0.0, 1.0])), {"pos_weight": np.array(3.0)},
                 desc="extreme logits, 0-d pos_weight", grad=(True, True, False))
    yield Sample((_logits(rng), np.asarray(rng.uniform(0, 1))), desc="0-d")
    yield Sample((np.zeros((0, 3)), np.zeros((0, 3))), {"reduction": "sum"}, desc="empty")


def _bce_logits_errors():
    yield ErrorSample((np.zeros(2), np.zeros(3)), error=ValueError, match="Target size", desc="target size differs")
    yield ErrorSample((np.zeros(2), np.zeros(2)), {"reduction": "x"}, error=ValueError, desc="bad reduction")


# -- regression -----------------------------------------------------------------------------------------------
def _diff_pair(rng, *shape, kinks=(0.0,), gap=0.1):
    """(input, target) whose difference keeps `gap` away from each kink."""
    x = arr(rng, *shape)
    d = away_from(np.atleast_1d(arr(rng, *shape, low=-2.0, high=2.0)), kinks, gap).reshape(shape)
    return x, np.asarray(x - d)


def _regression_samples(kinks=(0.0,), **extra):
    def samples(rng):
        x, t = _diff_pair(rng, 3, 4, kinks=kinks)
        for r in REDUCTIONS:
            yield Sample((x, t), {"reduction": r, **extra}, desc=r)
        x1, t1 = _diff_pair(rng, 3, 1, kinks=kinks)
        yield Sample((x1, t1[:1, 0].copy()), dict(extra), desc="broadcast target (warns, as PyTorch)")
        x0, t0 = _diff_pair(rng, kinks=kinks)
        yield Sample((x0, t0), dict(extra), desc="0-d")
        yield Sample((np.zeros((0, 3)), np.zeros((0, 3))), {"reduction": "sum", **extra}, desc="empty, sum")
        yield Sample((x, t), {"reduction": "sum", **extra}, desc="target without grad", grad=(True, False))

    return samples


def _weighted_regression_samples(kinks=(0.0,), **extra):
    base = _regression_samples(kinks, **extra)

    def samples(rng):
        yield from base(rng)
        x, t = _diff_pair(rng, 2, 3, kinks=kinks)
        for r in REDUCTIONS:
            yield Sample((x, t), {"weight": positive(rng, 2, 3), "reduction": r, **extra}, desc=f"weight, {r}")

    return samples


def _regression_errors(extra_errors=()):
    def errors():
        yield ErrorSample((np.zeros(3), np.zeros(3)), {"reduction": "avg"}, error=ValueError, desc="bad reduction")
        yield ErrorSample((np.zeros(3), np.zeros(4)), error=RuntimeError, desc="shapes do not broadcast")
        yield from extra_errors

    return errors


# -- kl_div -----------------------------------------------------------------------------------------------------
def _kl_samples(rng):
    x = np.log(positive(rng, 3, 4))
    t = positive(rng, 3, 4)
    for r in ("batchmean", "sum", "none", "mean"):
        yield Sample((x, t), {"reduction": r}, desc=r)
    yield Sample((x, np.log(t)), {"log_target": True, "reduction": "batchmean"}, desc="log_target, batchmean")
    yield Sample((x, np.log(t)), {"log_target": True, "reduction": "none"}, desc="log_target, none")
    yield Sample((x, t[:1]), {"reduction": "sum"}, desc="broadcast target")
    yield Sample((np.asarray(np.log(positive(rng))), positive(rng)), {"reduction": "batchmean"}, desc="0-d, batchmean")


# -- margin and embedding losses ------------------------------------------------------------------------------------
def _cosine_embedding_samples(rng):
    x1, x2 = arr(rng, 3, 4), arr(rng, 3, 4)
    t = _int(1, -1, 1)
    for r in REDUCTIONS:
        yield Sample((x1, x2, t), {"reduction": r}, desc=r)
    yield Sample((x1, x2, _int(-1, -1, 1)), {"margin": -0.9}, desc="margin")
    yield Sample((arr(rng, 4), arr(rng, 4), np.array(1, dtype=np.int64)), desc="1-d inputs, 0-d target")
    yield Sample((x1, x2, np.array([1.0, -1.0, -1.0])), {"margin": -0.5}, desc="float target", grad=(True, True, False))


def _cosine_embedding_errors():
    yield ErrorSample((np.ones((3, 4)), np.ones((3, 4)), np.ones((3, 1))), error=RuntimeError,
                      desc="2-d target")
    yield ErrorSample((np.ones(4), np.ones(4), _int(1, 1)), error=RuntimeError, desc="1-d target, 1-d inputs")
    yield ErrorSample((np.ones((3, 4)), np.ones((3, 4)), _int(1, 1, 1)), {"reduction": "x"}, error=ValueError,
                      desc="bad reduction")


def _margin_ranking_samples(rng):
    x1 = arr(rng, 6)
    t = np.array([1.0, -1.0, 1.0, 1.0, -1.0, -1.0])
    x2 = x1 - t * away_from(arr(rng, 6), [0.3], 0.15)  # keep -t (x1 - x2) + margin away from 0
    for r in REDUCTIONS:
        yield Sample((x1, x2, t), {"reduction": r, "margin": 0.3}, desc=r)
    yield Sample((x1, x2, t), {"margin": 0.3}, desc="target with grad")
    yield Sample((arr(rng, 3, 1), arr(rng, 3, 1) + 5.0, np.ones((1, 4))), {"reduction": "none"},
                 desc="broadcast", grad=(True, True, False))


def _hinge_samples(rng):
    x = away_from(arr(rng, 3, 4), [1.0, 0.5])
    t = np.where(rng.uniform(size=(3, 4)) > 0.5, 1.0, -1.0)
    for r in REDUCTIONS:
        yield Sample((x, t), {"reduction": r}, desc=r, grad=(True, False))
    yield Sample((x, t), {"margin": 0.5}, desc="margin", grad=(True, False))
    yield Sample((x, t.astype(np.int64)), desc="int target")
    yield Sample((x, np.full((3, 4), 0.5)), desc="target neither 1 nor -1", grad=(True, False))


def _soft_margin_samples(rng):
    x = arr(rng, 3, 4)
    t = np.where(rng.uniform(size=(3, 4)) > 0.5, 1.0, -1.0)
    for r in REDUCTIONS:
        yield Sample((x, t), {"reduction": r}, desc=r, grad=(True, False))
    yield Sample((np.array([-50.0, -10.0, 10.0, 50.0]), np.array([1.0, -1.0, 1.0, -1.0])), desc="extreme margins",
                 grad=(True, False))


def _soft_margin_errors():
    yield ErrorSample((np.zeros(3), np.ones(3)), {"reduction": "x"}, error=ValueError, desc="bad reduction")
    yield ErrorSample((np.zeros(3), np.ones(4)), error=RuntimeError, desc="shapes do not broadcast")


def _multilabel_soft_margin_samples(rng):
    x = arr(rng, 3, 4)
    t = (rng.uniform(size=(3, 4)) > 0.5).astype(np.float64)
    for r in REDUCTIONS:
        yield Sample((x, t), {"reduction": r}, desc=r)
    yield Sample((x, t), {"weight": positive(rng, 4)}, desc="class weights", grad=(True, True, False))
    yield Sample((np.array([[50.0, -50.0, 3.0]]), np.array([[1.0, 0.0, 0.0]])), desc="extreme logits")
    yield Sample((arr(rng, 4), t[0]), desc="1-d")
    yield Sample((arr(rng, 2, 3, 4), rng.uniform(0, 1, size=(2, 3, 4))), {"reduction": "none"},
                 desc="3-d: classes along the last dim, soft targets")
    yield Sample((x, t[0]), {"weight": positive(rng, 3, 1)}, desc="target and (N, 1) weight broadcast",
                 grad=(True, True, False))
    yield Sample((np.zeros((0, 4)), np.zeros((0, 4))), {"reduction": "none"}, desc="zero batch, none")
    yield Sample((np.zeros((0, 4)), np.zeros((0, 4))), {"reduction": "sum"}, desc="zero batch, sum")
    yield Sample((np.zeros((2, 0)), np.zeros((2, 0))), {"reduction": "none"}, desc="no classes: nan per row")


def _multilabel_soft_margin_errors():
    yield ErrorSample((np.zeros((2, 3)), np.ones((2, 3))), {"reduction": "x"}, error=ValueError, desc="bad reduction")
    yield ErrorSample((np.zeros(()), np.ones(())), error=IndexError, desc="0-d input (no class dim)")
    yield ErrorSample((np.zeros((2, 3)), np.ones((2, 2))), error=RuntimeError, desc="target does not broadcast")
    yield ErrorSample((np.zeros((2, 3), dtype=np.int64), np.ones((2, 3))), error=NotImplementedError,
                      desc="integer input")


def _multilabel_margin_samples(rng):
    def kink_free(target):
        """Scores with |1 - x[y_j] + x[i]| >= 0.1 for every listed class y_j and unlisted class i."""
        n, c = target.shape
        while True:
            x = arr(rng, n, c)
            z = 1 - x[:, :, None] + x[:, None, :]  # [n, j, i]: 1 - x[j] + x[i]
            if np.abs(z[~np.eye(c, dtype=bool)[None].repeat(n, 0)]).min() > 0.1:
                return x

    t = np.array([[3, 0, -1, 1], [1, 2, 3, -1], [-1, 1, 1, 1], [2, 2, 0, 1]], dtype=np.int64)
    x = kink_free(t)
    for r in REDUCTIONS:
        yield Sample((x, t), {"reduction": r}, desc=f"-1 ends each list (junk after it), a repeated class, {r}")
    yield Sample((x[0], t[1]), desc="1-d")
    yield Sample((x[0], t[0]), {"reduction": "none"}, desc="1-d, none")
    yield Sample((np.asarray(0.3), np.array(0, dtype=np.int64)), desc="0-d")
    yield Sample((np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64)), {"reduction": "none"}, desc="zero batch")
    yield Sample((np.array([[np.inf, 0.5, 1.0]]), _int(1, -1, 0).reshape(1, 3)), {"reduction": "none"},
                 grad=(False, False), desc="inf score of an unlisted class")
    yield Sample((np.array([[np.nan, 0.5, 1.0]]), _int(1, -1, 0).reshape(1, 3)), grad=(False, False),
                 desc="nan score of an unlisted class: its term (not > 0) drops out")


def _multilabel_margin_errors():
    x = np.zeros((2, 3))
    yield ErrorSample((x, _int(0, 3, -1, 1, 0, -1).reshape(2, 3)), desc="target >= C")
    yield ErrorSample((x, _int(0, -2, -1, 1, 0, -1).reshape(2, 3)), desc="target < -1")
    yield ErrorSample((x, _int(0, 1, 2)), match="inconsistent target size", desc="target of another shape")
    yield ErrorSample((x, np.zeros((2, 3), dtype=np.int32)), match="Long", desc="int32 target")
    yield ErrorSample((np.zeros((2, 0)), np.zeros((2, 0), dtype=np.int64)), desc="no classes")
    yield ErrorSample((np.zeros((2, 3, 4)), np.zeros((2, 3, 4), dtype=np.int64)), desc="3-d input")
    yield ErrorSample((x.astype(np.int64), np.zeros((2, 3), dtype=np.int64)), error=NotImplementedError,
                      desc="integer input")
    yield ErrorSample((x, np.zeros((2, 3), dtype=np.int64)), {"reduction": "x"}, error=ValueError,
                      desc="bad reduction")


def _multi_margin_samples(rng):
    def kink_free(shape, target, margin):
        while True:
            x = arr(rng, *shape)
            x2 = x.reshape(-1, shape[-1]) if shape else x.reshape(1, 1)
            y = target.reshape(-1)
            z = margin - x2[np.arange(len(y)), y][:, None] + x2
            if np.abs(z).min() > 0.1:
                return x

    t = _int(1, 0, 3)
    x = kink_free((3, 4), t, 1.0)
    for r in REDUCTIONS:
        yield Sample((x, t), {"reduction": r}, desc=r)
    yield Sample((x, t), {"p": 2}, desc="p=2")
    xm = kink_free((3, 4), t, 0.5)
    yield Sample((xm, t), {"margin": 0.5, "weight": positive(rng, 4)}, desc="margin, weight",
                 grad=(True, False, False))
    yield Sample((kink_free((4,), _int(2), 1.0), np.array(2, dtype=np.int64)), {"reduction": "none"},
                 desc="1-d input")


def _multi_margin_errors():
    yield ErrorSample((np.zeros((2, 3)), _int(0, 1)), {"p": 3}, error=ValueError, desc="p = 3")
    yield ErrorSample((np.zeros((2, 3)), _int(0, 1, 1)), error=RuntimeError, desc="target size")
    yield ErrorSample((np.zeros((2, 3)), _int(0, 1)), {"weight": np.ones((3, 1))}, error=ValueError,
                      desc="2-d weight")
    yield ErrorSample((np.zeros((2, 0)), _int(0, 1)), error=RuntimeError, desc="no classes")


def _triplet_samples(rng):
    a, p, n = arr(rng, 3, 4), arr(rng, 3, 4), arr(rng, 3, 4)
    for r in REDUCTIONS:
        yield Sample((a, p, n), {"reduction": r, "margin": 3.0}, desc=r)
    yield Sample((a, p, n), {"swap": True, "margin": 3.0}, desc="swap")
    yield Sample((a, p, n), {"p": 1.0, "margin": 4.0}, desc="p = 1")
    yield Sample((a, p, n), {"p": 3.0, "margin": 2.0, "eps": 1e-3}, desc="p = 3, eps")
    yield Sample((arr(rng, 4), arr(rng, 4), arr(rng, 4)), {"margin": 3.0}, desc="1-d (one triplet)")


def _triplet_errors():
    yield ErrorSample((np.zeros((2, 3)), np.zeros((2, 3)), np.zeros(3)), error=RuntimeError, desc="dims differ")
    yield ErrorSample((np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 3))), {"margin": 0.0}, error=ValueError,
                      desc="margin 0")


# -- likelihood losses ------------------------------------------------------------------------------------------
def _poisson_samples(rng):
    x = arr(rng, 3, 4)
    counts = rng.integers(0, 5, size=(3, 4)).astype(np.float64)
    for r in REDUCTIONS:
        yield Sample((x, counts), {"reduction": r}, desc=f"log input, {r}")
    rate = positive(rng, 3, 4)
    yield Sample((rate, counts), {"log_input": False}, desc="rate input")
    big = rng.uniform(1.5, 6.0, size=(3, 4))
    big[0, :2] = [0.5, 0.8]  # the Stirling term is masked for targets <= 1
    yield Sample((x, big), {"full": True}, desc="full (Stirling term where target > 1)")
    yield Sample((rate, big), {"log_input": False, "full": True, "eps": 1e-4, "reduction": "none"},
                 desc="rate input, full, eps")


def _gaussian_samples(rng):
    x, t, v = arr(rng, 3, 4), arr(rng, 3, 4), positive(rng, 3, 4)
    for r in REDUCTIONS:
        yield Sample((x, t, v), {"reduction": r}, desc=f"heteroscedastic, {r}")
    yield Sample((x, t, positive(rng, 3)), desc="var one dim short")
    yield Sample((x, t, positive(rng, 3, 1)), {"full": True}, desc="var with a size-1 dim, full")
    yield Sample((x, t, 0.7), desc="var a float")


def _gaussian_errors():
    yield ErrorSample((np.zeros((2, 3)), np.zeros((2, 3)), -np.ones((2, 3))), error=ValueError, desc="negative var")
    yield ErrorSample((np.zeros((2, 3)), np.zeros((2, 3)), np.ones((2, 2))), error=ValueError, desc="var size")
    yield ErrorSample((np.zeros((2, 3)), np.zeros((2, 3)), np.ones((2, 3))), {"reduction": "x"}, error=ValueError,
                      desc="bad reduction")


# -- ctc_loss ------------------------------------------------------------------------------------------------------
def _ctc_op(logits, *args, **kwargs):
    """ctc_loss of log_softmax(logits): PyTorch's CTC gradient is the exact one only composed with log_softmax."""
    return F.ctc_loss(F.log_softmax(logits, -1), *args, **kwargs)


def _ctc_torch(logits, *args, **kwargs):
    return torch_functional("ctc_loss")(torch_functional("log_softmax")(logits, -1), *args, **kwargs)


def _ctc_samples(rng):
    x = _logits(rng, 6, 3, 4)  # T=6, N=3, C=4
    targets = np.array([[1, 2, 2], [3, 1, 0], [2, 0, 0]], dtype=np.int64)
    il, tl = _int(6, 5, 3), _int(3, 2, 1)
    for r in REDUCTIONS:
        yield Sample((x, targets, il, tl), {"reduction": r}, desc=f"padded targets, {r}")
    concat = _int(1, 2, 2, 3, 1, 2)
    yield Sample((x, concat, il, tl), {"reduction": "sum"}, desc="concatenated targets")
    yield Sample((x, targets, il, _int(3, 0, 1)), desc="empty target")
    yield Sample((x, targets, il, tl), {"blank": 3, "reduction": "none"}, desc="blank = 3")
    impossible = np.array([[1, 1, 1], [2, 2, 2], [1, 2, 1]], dtype=np.int64)
    yield Sample((x, impossible, _int(6, 4, 3), _int(3, 3, 3)), {"zero_infinity": True, "reduction": "sum"},
                 desc="zero_infinity with infeasible items")
    yield Sample((x[:, 0], targets[0], np.array(6, dtype=np.int64), np.array(3, dtype=np.int64)),
                 desc="unbatched")


def _ctc_errors():
    x = np.zeros((6, 2, 4))
    t = _int(1, 2, 1, 2).reshape(2, 2)
    yield ErrorSample((x, t, _int(6, 7), _int(2, 2)), error=RuntimeError, desc="input length > T")
    yield ErrorSample((x, t, _int(6), _int(2, 2)), error=RuntimeError, desc="input_lengths size")
    yield ErrorSample((x, t, _int(6, 6), _int(2, 3)), error=RuntimeError, desc="padded targets too short")
    yield ErrorSample((x, _int(1, 2, 1), _int(6, 6), _int(2, 2)), error=RuntimeError, desc="concatenated size")
    yield ErrorSample((x, t, _int(6, 6), _int(2, 2)), {"blank": 4}, error=RuntimeError, desc="blank out of range")
    yield ErrorSample((x, t, np.array([6.0, 6.0]), _int(2, 2)), error=RuntimeError, desc="float lengths")
    yield ErrorSample((x, t, _int(6, 6), _int(2, 2)), {"reduction": "x"}, error=ValueError, desc="bad reduction")


# -- nn.AdaptiveLogSoftmaxWithLoss (a module: its forward, log_prob and predict with given weights) -----------------
_ASM = dict(in_features=4, n_classes=7, cutoffs=[2, 4], div_value=2.0)  # head 2 + 2 clusters; tails 4-2-2, 4-1-3
_ASM_NAMES = ("head.weight", "tail.0.0.weight", "tail.0.1.weight", "tail.1.0.weight", "tail.1.1.weight", "head.bias")


def _asm(lib: str, method: str):
    """Call `method` of an AdaptiveLogSoftmaxWithLoss whose parameters are the given tensors (functional_call),
    so gradients reach them; head_bias follows from whether a head bias is passed."""
    def call(x, *rest):
        if lib == "tl":
            from ...nn import AdaptiveLogSoftmaxWithLoss, Module
            from ...nn.utils.stateless import functional_call
        else:
            from torch.func import functional_call  # noqa: PLC0415 - the test oracle only
            from torch.nn import AdaptiveLogSoftmaxWithLoss, Module  # noqa: PLC0415

        target, weights = (rest[0], rest[1:]) if method == "forward" else (None, rest)

        class Call(Module):
            def __init__(self):
                super().__init__()
                self.m = AdaptiveLogSoftmaxWithLoss(**_ASM, head_bias=len(weights) == 6)

            def forward(self, *args):
                return getattr(self.m, method)(*args)

        params = {"m." + name: w for name, w in zip(_ASM_NAMES, weights)}
        return functional_call(Call(), params, (x,) if target is None else (x, target))

    return call


def _asm_weights(rng, head_bias=False):
    w = (arr(rng, 4, 4), arr(rng, 2, 4), arr(rng, 2, 2), arr(rng, 1, 4), arr(rng, 3, 1))
    return w + (arr(rng, 4),) if head_bias else w


def _asm_samples(rng):
    yield Sample((arr(rng, 5, 4), _int(0, 3, 6, 2, 1)) + _asm_weights(rng), desc="shortlist and both clusters")
    yield Sample((arr(rng, 3, 4), _int(1, 0, 1)) + _asm_weights(rng), desc="shortlist only")
    yield Sample((arr(rng, 4, 4), _int(5, 6, 4, 4)) + _asm_weights(rng, head_bias=True),
                 desc="second cluster only, head bias")
    yield Sample((arr(rng, 4), np.array(3, dtype=np.int64)) + _asm_weights(rng), desc="unbatched")


def _asm_method_samples(rng):
    yield Sample((arr(rng, 5, 4),) + _asm_weights(rng), desc="batch")
    yield Sample((arr(rng, 3, 4),) + _asm_weights(rng, head_bias=True), desc="head bias")
    yield Sample((arr(rng, 0, 4),) + _asm_weights(rng), desc="empty batch")


def _asm_method_errors():
    w = tuple(np.zeros(a.shape) for a in _asm_weights(np.random.default_rng(0)))
    yield ErrorSample((np.zeros(4),) + w, error=IndexError, desc="1-d input (a minibatch is required)")
    yield ErrorSample((np.zeros(()),) + w, desc="0-d input")
    # A tail whose output width is not its cluster's size (head column 2, a cluster, wins for every row, so
    # predict looks inside the clusters too).
    head = np.zeros((4, 4))
    head[2] = 1.0
    for i, bad in ((2, (3, 2)), (2, (0, 2)), (4, (4, 1)), (4, (0, 1))):
        ws = list((head,) + w[1:])
        ws[i] = np.ones(bad)
        yield ErrorSample((np.ones((3, 4)),) + tuple(ws), desc=f"tail weight {i} of shape {bad}: wrong cluster size")


def _asm_errors():
    w = tuple(np.zeros(a.shape) for a in _asm_weights(np.random.default_rng(0)))
    yield ErrorSample((np.zeros((3, 4)), _int(0, 7, 1)) + w, match="Target values", desc="target >= n_classes")
    yield ErrorSample((np.zeros((3, 4)), _int(0, -1, 1)) + w, desc="negative target")
    yield ErrorSample((np.zeros((3, 4)), _int(0, 1)) + w, match="batch dimension", desc="batch sizes differ")
    yield ErrorSample((np.zeros((3, 4)), np.zeros((3, 1), dtype=np.int64)) + w, desc="2-d target")
    yield ErrorSample((np.zeros((3, 4)), np.array(1, dtype=np.int64)) + w, desc="0-d target with a 2-d input")
    yield ErrorSample((np.zeros((2, 3, 4)), _int(0, 1)) + w, desc="3-d input")


# -- the entries -------------------------------------------------------------------------------------------------
OPS = [
    OpInfo("nn.functional.cross_entropy", F.cross_entropy, _torch_call("cross_entropy"), _cross_entropy_samples,
           _class_index_errors("cross_entropy"), atol={"float32": 3e-5, "float64": 1e-10}),
    OpInfo("nn.functional.nll_loss", F.nll_loss, _torch_call("nll_loss"),
           lambda rng: _class_index_samples(rng, fused=False), _class_index_errors("nll_loss")),
    OpInfo("nn.functional.binary_cross_entropy", F.binary_cross_entropy, _torch_call("binary_cross_entropy"),
           _bce_samples, _bce_errors, atol={"float32": 3e-5, "float64": 1e-10}),
    OpInfo("nn.functional.binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits,
           _torch_call("binary_cross_entropy_with_logits"), _bce_logits_samples, _bce_logits_errors),
    OpInfo("nn.functional.mse_loss", F.mse_loss, _torch_call("mse_loss"), _weighted_regression_samples(),
           _regression_errors()),
    OpInfo("nn.functional.l1_loss", F.l1_loss, _torch_call("l1_loss"), _weighted_regression_samples(),
           _regression_errors()),
    OpInfo("nn.functional.smooth_l1_loss", F.smooth_l1_loss, _torch_call("smooth_l1_loss"),
           _regression_samples(kinks=(0.5, -0.5, 0.0), beta=0.5), _regression_errors([
               ErrorSample((np.zeros(3), np.zeros(3)), {"beta": -1.0}, error=RuntimeError, desc="negative beta")])),
    OpInfo("nn.functional.smooth_l1_loss_beta0", lambda x, t, **k: F.smooth_l1_loss(x, t, beta=0.0, **k),
           lambda x, t, **k: torch_functional("smooth_l1_loss")(x, t, beta=0.0, **k), _regression_samples()),
    OpInfo("nn.functional.huber_loss", F.huber_loss, _torch_call("huber_loss"),
           _weighted_regression_samples(kinks=(0.7, -0.7, 0.0), delta=0.7), _regression_errors([
               ErrorSample((np.zeros(3), np.zeros(3)), {"delta": 0.0}, error=RuntimeError, desc="delta 0")])),
    OpInfo("nn.functional.kl_div", F.kl_div, _torch_call("kl_div"), _kl_samples,
           lambda: [ErrorSample((np.zeros(3), np.ones(3)), {"reduction": "avg"}, error=ValueError)]),
    OpInfo("nn.functional.cosine_embedding_loss", F.cosine_embedding_loss, _torch_call("cosine_embedding_loss"),
           _cosine_embedding_samples, _cosine_embedding_errors),
    OpInfo("nn.functional.margin_ranking_loss", F.margin_ranking_loss, _torch_call("margin_ranking_loss"),
           _margin_ranking_samples,
           lambda: [ErrorSample((np.zeros(3), np.zeros(3), np.ones((1, 3))), error=RuntimeError, desc="dims differ")]),
    OpInfo("nn.functional.hinge_embedding_loss", F.hinge_embedding_loss, _torch_call("hinge_embedding_loss"),
           _hinge_samples, lambda: [ErrorSample((np.zeros(3), np.ones(3)), {"reduction": "x"}, error=ValueError)]),
    OpInfo("nn.functional.soft_margin_loss", F.soft_margin_loss, _torch_call("soft_margin_loss"),
           _soft_margin_samples, _soft_margin_errors),
    OpInfo("nn.functional.multilabel_soft_margin_loss", F.multilabel_soft_margin_loss,
           _torch_call("multilabel_soft_margin_loss"), _multilabel_soft_margin_samples, _multilabel_soft_margin_errors),
    OpInfo("nn.functional.multilabel_margin_loss", F.multilabel_margin_loss, _torch_call("multilabel_margin_loss"),
           _multilabel_margin_samples, _multilabel_margin_errors),
    OpInfo("nn.functional.multi_margin_loss", F.multi_margin_loss, _torch_call("multi_margin_loss"),
           _multi_margin_samples, _multi_margin_errors),
    OpInfo("nn.functional.triplet_margin_loss", F.triplet_margin_loss, _torch_call("triplet_margin_loss"),
           _triplet_samples, _triplet_errors),
    OpInfo("nn.functional.poisson_nll_loss", F.poisson_nll_loss, _torch_call("poisson_nll_loss"), _poisson_samples,
           lambda: [ErrorSample((np.zeros(3), np.ones(3)), {"reduction": "x"}, error=ValueError)]),
    OpInfo("nn.functional.gaussian_nll_loss", F.gaussian_nll_loss, _torch_call("gaussian_nll_loss"),
           _gaussian_samples, _gaussian_errors),
    OpInfo("nn.functional.ctc_loss", _ctc_op, _ctc_torch, _ctc_samples, _ctc_errors, supports_gradgrad=False,
           atol={"float32": 3e-5, "float64": 1e-10}),
    OpInfo("nn.AdaptiveLogSoftmaxWithLoss", _asm("tl", "forward"), _asm("torch", "forward"), _asm_samples,
           _asm_errors, notes="the module's forward (output, loss) with given parameters, through functional_call"),
    OpInfo("nn.AdaptiveLogSoftmaxWithLoss.log_prob", _asm("tl", "log_prob"), _asm("torch", "log_prob"),
           _asm_method_samples, _asm_method_errors),
    OpInfo("nn.AdaptiveLogSoftmaxWithLoss.predict", _asm("tl", "predict"), _asm("torch", "predict"),
           _asm_method_samples, _asm_method_errors, differentiable=False),
]
