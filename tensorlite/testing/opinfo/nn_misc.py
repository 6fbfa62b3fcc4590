"""Registry entries for lookups and distances of `tensorlite.nn.functional` (sparse.py, distance.py).

Indices are int64 arrays (repeated indices, so the gradient's scatter-add is exercised);
distances avoid coincident points where norms have kinks. What finite differences cannot check
is tested against PyTorch in tests/test_nn_losses.py instead: embedding's padding_idx and
scale_grad_by_freq (deliberately not the true gradient), max_norm (an in-place renormalisation)
and sparse=True (PyTorch returns a sparse gradient).
"""
from __future__ import annotations

import numpy as np

from ...nn import functional as F
from . import ErrorSample, OpInfo, Sample
from . import arr, positive, torch_functional

REDUCTIONS = ("mean", "sum", "none")


_torch_call = torch_functional


def _int(*values) -> np.ndarray:
    return np.array(values, dtype=np.int64)


# -- embedding / embedding_bag / one_hot ---------------------------------------------------------------------------
def _embedding_samples(rng):
    w = arr(rng, 6, 4)
    idx = np.array([[0, 2, 5], [2, 2, 1]], dtype=np.int64)
    yield Sample((idx, w), desc="repeated indices")
    yield Sample((idx, w), {"padding_idx": 3}, desc="padding_idx absent from the input")
    yield Sample((np.array(3, dtype=np.int64), w), desc="0-d index")
    yield Sample((np.zeros((0, 2), dtype=np.int64), w), desc="no indices")


def _embedding_errors():
    w = np.zeros((5, 3))
    yield ErrorSample((np.array([1.0, 2.0]), w), error=RuntimeError, desc="float indices")
    yield ErrorSample((_int(1, 5), w), error=IndexError, desc="index out of range")
    yield ErrorSample((_int(1, -1), w), error=IndexError, desc="negative index")
    yield ErrorSample((_int(1, 2), np.zeros(5)), error=RuntimeError, desc="1-d weight")
    yield ErrorSample((_int(1, 2), w), {"padding_idx": 5}, error=AssertionError, desc="padding_idx out of range")
    yield ErrorSample((_int(1, 2), w), {"padding_idx": -6}, error=AssertionError, desc="padding_idx < -num")


def _embedding_bag_samples(rng):
    w = arr(rng, 6, 3)
    idx2 = np.array([[0, 2, 5], [2, 2, 1]], dtype=np.int64)
    for mode in ("sum", "mean", "max"):
        yield Sample((idx2, w), {"mode": mode}, desc=f"2-d input, {mode}")
    idx1 = _int(1, 2, 4, 5, 4, 3, 2)
    offsets = _int(0, 2, 2, 5)  # the third bag is empty
    for mode in ("sum", "mean", "max"):
        yield Sample((idx1, w, offsets), {"mode": mode}, desc=f"1-d input with offsets (an empty bag), {mode}")
    yield Sample((idx1, w, _int(0, 2, 5, 7)), {"include_last_offset": True, "mode": "sum"},
                 desc="include_last_offset")
    yield Sample((idx1, w, offsets), {"per_sample_weights": arr(rng, 7), "mode": "sum"}, desc="per_sample_weights")
    yield Sample((idx1, w, offsets), {"padding_idx": 4, "mode": "mean"}, desc="padding_idx left out of the mean")


def _embedding_bag_errors():
    w = np.zeros((5, 3))
    yield ErrorSample((_int(1, 2), w), error=ValueError, desc="1-d input without offsets")
    yield ErrorSample((_int(1, 2).reshape(1, 2), w, _int(0)), error=ValueError, desc="2-d input with offsets")
    yield ErrorSample((_int(1, 2).reshape(1, 2), w), {"mode": "median"}, error=ValueError, desc="bad mode")
    yield ErrorSample((_int(1, 2).reshape(1, 2), w), {"mode": "max", "per_sample_weights": np.ones((1, 2))},
                      error=NotImplementedError, desc="per_sample_weights with max")
    yield ErrorSample((_int(1, 2).reshape(1, 2, 1), w), error=ValueError, desc="3-d input")


def _one_hot_samples(rng):
    yield Sample((_int(0, 2, 1, 2),), desc="num_classes inferred")
    yield Sample((_int(0, 2, 1),), {"num_classes": 5}, desc="num_classes given")
    yield Sample((np.array([[1, 0], [3, 3]], dtype=np.int64),), desc="2-d")
    yield Sample((np.array(2, dtype=np.int64),), desc="0-d")
    yield Sample((np.zeros(0, dtype=np.int64),), {"num_classes": 3}, desc="empty, num_classes given")


def _one_hot_errors():
    yield ErrorSample((np.array([1, 2], dtype=np.int32),), error=RuntimeError, desc="int32")
    yield ErrorSample((_int(1, -2),), error=RuntimeError, desc="negative class")
    yield ErrorSample((_int(1, 3),), {"num_classes": 3}, error=RuntimeError, desc="class >= num_classes")
    yield ErrorSample((np.zeros(0, dtype=np.int64),), error=RuntimeError, desc="empty, num_classes inferred")


# -- distances ---------------------------------------------------------------------------------------------------
def _normalize_samples(rng):
    x = arr(rng, 3, 4)
    yield Sample((x,), desc="default (p=2, dim=1)")
    yield Sample((x,), {"p": 1.0, "dim": 0}, desc="p=1, dim=0")
    yield Sample((x,), {"p": 3.0, "dim": -1}, desc="p=3, dim=-1")
    yield Sample((arr(rng, 2, 3, 2),), {"dim": 1, "eps": 1e-3}, desc="3-d, eps")
    yield Sample((arr(rng, 5),), {"dim": 0}, desc="1-d")
    yield Sample((arr(rng, 0, 3),), desc="empty")


def _normalize_errors():
    yield ErrorSample((np.ones(3),), {"dim": 1}, error=IndexError, desc="dim out of range")


def _cosine_samples(rng):
    yield Sample((arr(rng, 3, 4), arr(rng, 3, 4)), desc="dim=1")
    yield Sample((arr(rng, 3, 4), arr(rng, 3, 4)), {"dim": 0}, desc="dim=0")
    yield Sample((arr(rng, 2, 1, 4), arr(rng, 3, 4)), {"dim": -1}, desc="broadcast, dim=-1")
    yield Sample((arr(rng, 5), arr(rng, 5)), {"dim": 0}, desc="1-d")
    yield Sample((arr(rng, 3, 4), arr(rng, 3, 4)), {"eps": 0.5}, desc="eps")
    yield Sample((arr(rng, 0, 4), arr(rng, 0, 4)), desc="empty")


def _cosine_errors():
    yield ErrorSample((np.ones((2, 3)), np.ones((2, 3))), {"dim": 2}, error=IndexError, desc="dim out of range")
    yield ErrorSample((np.ones((2, 3)), np.ones((2, 4))), error=RuntimeError, desc="shapes do not broadcast")
    yield ErrorSample((_int(1, 2), _int(1, 2)), {"dim": 0}, error=RuntimeError, desc="integer inputs")


def _pairwise_samples(rng):
    yield Sample((arr(rng, 3, 4), arr(rng, 3, 4)), desc="p=2")
    yield Sample((arr(rng, 3, 4), arr(rng, 4)), {"p": 1.0}, desc="broadcast, p=1")
    yield Sample((arr(rng, 3, 4), arr(rng, 3, 4)), {"p": 3.0, "keepdim": True}, desc="p=3, keepdim")
    yield Sample((arr(rng, 3, 4), arr(rng, 3, 4)), {"p": float("inf")}, desc="p=inf")
    yield Sample((arr(rng, 3, 4), arr(rng, 3, 4)), {"eps": 0.1}, desc="eps")
    yield Sample((arr(rng), arr(rng)), desc="0-d")
    yield Sample((arr(rng, 0, 3), arr(rng, 0, 3)), desc="empty")


def _pairwise_errors():
    yield ErrorSample((np.ones((2, 3)), np.ones((2, 4))), error=RuntimeError, desc="shapes do not broadcast")


def _cdist_samples(rng):
    yield Sample((arr(rng, 3, 4), arr(rng, 5, 4)), desc="p=2")
    yield Sample((arr(rng, 3, 4), arr(rng, 5, 4)), {"p": 1.0}, desc="p=1")
    yield Sample((arr(rng, 3, 4), arr(rng, 2, 4)), {"p": 3.0}, desc="p=3")
    yield Sample((arr(rng, 3, 2), arr(rng, 2, 2)), {"p": float("inf")}, desc="p=inf")
    yield Sample((arr(rng, 2, 3, 2), arr(rng, 2, 4, 2)), desc="batched")
    yield Sample((arr(rng, 2, 1, 2, 2), arr(rng, 3, 2, 2)), desc="batch dims broadcast")
    yield Sample((arr(rng, 26, 2), arr(rng, 2, 2)), desc="P > 25: matrix-product path")
    yield Sample((arr(rng, 3, 4), arr(rng, 5, 4)), {"compute_mode": "use_mm_for_euclid_dist"}, desc="mm forced")
    yield Sample((arr(rng, 3, 4), arr(rng, 5, 4)), {"compute_mode": "donot_use_mm_for_euclid_dist"}, desc="no mm")
    yield Sample((arr(rng, 0, 3), arr(rng, 2, 3)), desc="P = 0")


def _cdist_errors():
    yield ErrorSample((np.ones(3), np.ones((2, 3))), error=RuntimeError, desc="1-d X1")
    yield ErrorSample((np.ones((2, 3)), np.ones((2, 4))), error=RuntimeError, desc="columns differ")
    yield ErrorSample((np.ones((2, 3)), np.ones((2, 3))), {"p": -1.0}, error=RuntimeError, desc="negative p")
    yield ErrorSample((_int(1, 2).reshape(1, 2), _int(1, 2).reshape(1, 2)), error=RuntimeError, desc="int64")
    yield ErrorSample((np.ones((2, 3)), np.ones((2, 3))), {"compute_mode": "x"}, error=ValueError, desc="bad mode")
    yield ErrorSample((np.ones((2, 2, 3)), np.ones((3, 2, 3))), error=RuntimeError, desc="batch dims differ")


def _pdist_samples(rng):
    yield Sample((arr(rng, 4, 3),), desc="p=2")
    yield Sample((arr(rng, 4, 3),), {"p": 1.0}, desc="p=1")
    yield Sample((arr(rng, 3, 2),), {"p": 3.0}, desc="p=3")
    yield Sample((arr(rng, 1, 3),), desc="one row: empty result")


def _tanh_samples(rng):
    yield Sample((arr(rng, 3, 4),), desc="F.tanh (PyTorch's alias of torch.tanh)")
    yield Sample((np.array([-100.0, -20.0, 0.0, 20.0, 100.0]),), desc="saturated")
    yield Sample((arr(rng),), desc="0-d")
    yield Sample((arr(rng, 0, 2),), desc="empty")
    yield Sample((np.array([[1, -2], [0, 3]], dtype=np.int64),), desc="integer input: a float32 result")
    yield Sample((np.array([True, False]),), desc="bool input: a float32 result")


def _pdist_errors():
    yield ErrorSample((np.ones((2, 3, 3)),), error=RuntimeError, desc="3-d")
    yield ErrorSample((np.ones((2, 3)),), {"p": -1.0}, error=RuntimeError, desc="negative p")


OPS = [
    OpInfo("nn.functional.embedding", F.embedding, _torch_call("embedding"), _embedding_samples, _embedding_errors),
    OpInfo("nn.functional.embedding_bag", F.embedding_bag, _torch_call("embedding_bag"), _embedding_bag_samples,
           _embedding_bag_errors),
    OpInfo("nn.functional.one_hot", F.one_hot, _torch_call("one_hot"), _one_hot_samples, _one_hot_errors,
           differentiable=False),
    OpInfo("nn.functional.normalize", F.normalize, _torch_call("normalize"), _normalize_samples, _normalize_errors),
    OpInfo("nn.functional.cosine_similarity", F.cosine_similarity, _torch_call("cosine_similarity"), _cosine_samples,
           _cosine_errors),
    OpInfo("nn.functional.pairwise_distance", F.pairwise_distance, _torch_call("pairwise_distance"),
           _pairwise_samples, _pairwise_errors),
    OpInfo("nn.functional.cdist", F.cdist, lambda *a, **k: __import__("torch").cdist(*a, **k), _cdist_samples,
           _cdist_errors),
    OpInfo("nn.functional.pdist", F.pdist, _torch_call("pdist"), _pdist_samples, _pdist_errors),
    OpInfo("nn.functional.tanh", F.tanh, _torch_call("tanh"), _tanh_samples),
]
