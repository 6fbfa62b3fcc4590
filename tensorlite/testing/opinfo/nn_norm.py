"""Registry entries for nn.functional linear, normalization and dropout
(tensorlite/nn/functional/linear.py, normalization.py, dropout.py).

Normalization samples keep at least a few elements per statistic (a variance over two values
has a kink-free but steep gradient) and cover 2-d to 4-d inputs, missing weight/bias, and
running statistics (passed without requires_grad; the parity check also compares them after
the call, so the in-place running update is checked against PyTorch's). Dropout is checked
two ways: deterministic settings (p=0, p=1, training=False) against PyTorch's values, and
random masks (shapes, dtypes, and gradcheck under a fixed seed).
"""
from __future__ import annotations

import numpy as np

import sys

import tensorlite.nn.functional.dropout  # noqa: F401 - the submodules, not the same-named functions
import tensorlite.nn.functional.linear  # noqa: F401
import tensorlite.nn.functional.normalization  # noqa: F401
from . import ErrorSample, OpInfo, Sample, arr, away_from, positive

# `tensorlite.nn.functional.linear` as an attribute is the function linear(); the modules live in sys.modules.
D = sys.modules["tensorlite.nn.functional.dropout"]
L = sys.modules["tensorlite.nn.functional.linear"]
N = sys.modules["tensorlite.nn.functional.normalization"]


def _torch_f():
    import torch.nn.functional as F  # noqa: PLC0415 - the test oracle, imported only when checking

    return F


def _f(name):
    """torch.nn.functional.<name>, looked up when called."""
    return lambda *args, **kwargs: getattr(_torch_f(), name)(*args, **kwargs)


# -- linear and bilinear --------------------------------------------------------------------------------------
def _linear_samples(rng):
    yield Sample((arr(rng, 4, 3), arr(rng, 5, 3), arr(rng, 5)), desc="2-d with bias")
    yield Sample((arr(rng, 4, 3), arr(rng, 5, 3)), desc="no bias")
    yield Sample((arr(rng, 2, 3, 3), arr(rng, 4, 3), arr(rng, 4)), desc="batch dims folded into rows")
    yield Sample((arr(rng, 3), arr(rng, 4, 3), arr(rng, 4)), desc="1-d input")
    yield Sample((arr(rng, 3, 1), arr(rng, 2, 1), arr(rng, 2)), desc="size-1 in_features")
    yield Sample((arr(rng, 3, 2), arr(rng, 1, 2), arr(rng, 1)), desc="one output feature")
    yield Sample((arr(rng, 3, 2), arr(rng, 4, 2), arr(rng)), desc="0-d bias broadcast")
    yield Sample((arr(rng, 3, 2), arr(rng, 4, 2)), {"bias": arr(rng, 4)}, desc="bias as keyword")
    yield Sample((arr(rng, 0, 3), arr(rng, 4, 3), arr(rng, 4)), desc="zero-size batch")
    yield Sample((arr(rng, 2, 0), arr(rng, 4, 0), arr(rng, 4)), desc="zero in_features")


def _linear_errors():
    yield ErrorSample((np.zeros((2, 3)), np.zeros((4, 5))), {}, RuntimeError, desc="linear: inner sizes differ")
    yield ErrorSample((np.zeros((2, 3)), np.zeros((4, 3)), np.zeros(5)), {}, RuntimeError,
                      desc="linear: bias size mismatch")
    yield ErrorSample((np.zeros((2, 3), np.float32), np.zeros((4, 3))), {}, RuntimeError,
                      desc="linear: float32 input, float64 weight")
    yield ErrorSample((np.array(1.0), np.zeros((4, 3))), {}, RuntimeError, desc="linear: 0-d input")
    yield ErrorSample((np.zeros((2, 3)), np.zeros((4, 3, 1))), {}, RuntimeError, desc="linear: 3-d weight")


def _bilinear_samples(rng):
    yield Sample((arr(rng, 3, 2), arr(rng, 3, 4), arr(rng, 5, 2, 4), arr(rng, 5)), desc="2-d with bias")
    yield Sample((arr(rng, 3, 2), arr(rng, 3, 4), arr(rng, 5, 2, 4)), desc="no bias")
    yield Sample((arr(rng, 2, 2, 3), arr(rng, 2, 2, 2), arr(rng, 3, 3, 2), arr(rng, 3)), desc="batch dims")
    yield Sample((arr(rng, 2), arr(rng, 3), arr(rng, 4, 2, 3)), desc="1-d inputs")
    yield Sample((arr(rng, 0, 2), arr(rng, 0, 3), arr(rng, 4, 2, 3), arr(rng, 4)), desc="zero-size batch")


def _bilinear_errors():
    yield ErrorSample((np.zeros((2, 3)), np.zeros((3, 5)), np.zeros((4, 3, 5))), {}, RuntimeError,
                      desc="bilinear: batch sizes differ")
    yield ErrorSample((np.zeros((2, 3)), np.zeros((2, 5)), np.zeros((4, 3, 6))), {}, RuntimeError,
                      desc="bilinear: input2 size mismatch")
    yield ErrorSample((np.zeros((2, 3)), np.zeros((2, 5)), np.zeros((4, 3, 5)), np.zeros(5)), {}, RuntimeError,
                      desc="bilinear: bias size mismatch")


# -- batch norm -------------------------------------------------------------------------------------------------
_NO_STATS = (True, False, False, True, True)  # x, running_mean, running_var, weight, bias


def _batch_norm_samples(rng):
    def stats(c):
        return arr(rng, c, low=-0.5, high=0.5), positive(rng, c, low=0.5, high=1.5)

    rm, rv = stats(3)
    yield Sample((arr(rng, 4, 3, 2), rm, rv, arr(rng, 3), arr(rng, 3)), {"training": True}, desc="3-d, training",
                 grad=_NO_STATS)
    rm, rv = stats(2)
    yield Sample((arr(rng, 2, 2, 2, 3), rm, rv, arr(rng, 2), arr(rng, 2)), {"training": True, "momentum": 0.3},
                 desc="4-d, momentum 0.3", grad=_NO_STATS)
    rm, rv = stats(3)
    yield Sample((arr(rng, 5, 3), rm, rv, arr(rng, 3), arr(rng, 3)), {"training": True, "eps": 1e-3},
                 desc="2-d, eps", grad=_NO_STATS)
    yield Sample((arr(rng, 4, 3, 2), None, None, arr(rng, 3), arr(rng, 3)), {"training": True},
                 desc="no running stats")
    yield Sample((arr(rng, 4, 3, 2), None, None), {"training": True}, desc="no affine, no stats")
    rm, rv = stats(3)
    yield Sample((arr(rng, 4, 3, 2), rm, rv, arr(rng, 3)), {"training": True}, desc="weight only",
                 grad=(True, False, False, True))
    rm, rv = stats(1)
    yield Sample((arr(rng, 6, 1), rm, rv, arr(rng, 1), arr(rng, 1)), {"training": True}, desc="one channel",
                 grad=_NO_STATS)
    yield Sample((arr(rng, 0, 3), None, None, arr(rng, 3), arr(rng, 3)), {"training": True}, desc="zero-size batch")


def _batch_norm_eval_samples(rng):
    def stats(c):
        return arr(rng, c, low=-0.5, high=0.5), positive(rng, c, low=0.5, high=1.5)

    rm, rv = stats(3)
    yield Sample((arr(rng, 4, 3, 2), rm, rv, arr(rng, 3), arr(rng, 3)), desc="3-d, running stats", grad=_NO_STATS)
    rm, rv = stats(2)
    yield Sample((arr(rng, 2, 2, 2, 2), rm, rv), {"eps": 1e-3}, desc="4-d, no affine", grad=(True, False, False))
    rm, rv = stats(3)
    yield Sample((arr(rng, 1, 3), rm, rv, arr(rng, 3), arr(rng, 3)), desc="batch of one", grad=_NO_STATS)
    rm, rv = stats(3)
    yield Sample((arr(rng, 0, 3, 2), rm, rv, arr(rng, 3), arr(rng, 3)), desc="zero-size batch", grad=_NO_STATS)


def _batch_norm_errors():
    yield ErrorSample((np.zeros((1, 3)), np.zeros(3), np.ones(3)), {"training": True}, ValueError,
                      desc="batch_norm: one value per channel in training")
    yield ErrorSample((np.zeros((4, 3)), None, None), {"training": False}, RuntimeError,
                      desc="batch_norm: eval without running stats")
    yield ErrorSample((np.zeros((4, 5)), np.zeros(3), np.ones(3)), {"training": True}, RuntimeError,
                      desc="batch_norm: running stats size mismatch")
    yield ErrorSample((np.zeros((4, 3)), np.zeros(3), np.ones(3), np.ones(4)), {"training": False}, RuntimeError,
                      desc="batch_norm: weight size mismatch")
    yield ErrorSample((np.ones((4, 3), np.int64), None, None), {"training": True}, NotImplementedError,
                      desc="batch_norm: int64 input")
    yield ErrorSample((np.ones((4, 3)), None, None, np.ones(3, np.float32)), {"training": True}, RuntimeError,
                      desc="batch_norm: float64 input, float32 weight")


# -- layer, group, instance, rms norm ---------------------------------------------------------------------------------
def _layer_norm_samples(rng):
    yield Sample((arr(rng, 3, 4), (4,), arr(rng, 4), arr(rng, 4)), desc="2-d")
    yield Sample((arr(rng, 2, 3, 4), (3, 4), arr(rng, 3, 4), arr(rng, 3, 4)), desc="two normalized dims")
    yield Sample((arr(rng, 2, 3, 4), [4]), desc="no affine, list shape")
    yield Sample((arr(rng, 2, 5), (5,), arr(rng, 5)), desc="weight only")
    yield Sample((arr(rng, 2, 5), (5,), None, arr(rng, 5)), desc="bias only")
    yield Sample((arr(rng, 6), (6,), arr(rng, 6), arr(rng, 6)), {"eps": 1e-3}, desc="1-d, eps")
    yield Sample((arr(rng, 0, 4), (4,), arr(rng, 4), arr(rng, 4)), desc="zero-size batch")


def _layer_norm_errors():
    yield ErrorSample((np.zeros((4, 3)), (4,)), {}, RuntimeError, desc="layer_norm: shape mismatch")
    yield ErrorSample((np.zeros((4, 3)), (3,), np.ones(4)), {}, RuntimeError, desc="layer_norm: weight shape")
    yield ErrorSample((np.zeros((4, 3)), ()), {}, RuntimeError, desc="layer_norm: empty normalized_shape")
    yield ErrorSample((np.zeros((4, 3)), (2, 4, 3)), {}, RuntimeError, desc="layer_norm: more dims than input")


def _group_norm_samples(rng):
    yield Sample((arr(rng, 2, 4, 3), 2, arr(rng, 4), arr(rng, 4)), desc="3-d, two groups")
    yield Sample((arr(rng, 2, 6, 2, 2), 3, arr(rng, 6), arr(rng, 6)), {"eps": 1e-3}, desc="4-d, eps")
    yield Sample((arr(rng, 3, 4), 2), desc="2-d, no affine")
    yield Sample((arr(rng, 2, 4, 3), 1, arr(rng, 4), arr(rng, 4)), desc="one group (layer-norm-like)")
    yield Sample((arr(rng, 2, 4, 3), 4, arr(rng, 4)), desc="a group per channel, weight only")
    yield Sample((arr(rng, 0, 4, 3), 2, arr(rng, 4), arr(rng, 4)), desc="zero-size batch")


def _group_norm_errors():
    yield ErrorSample((np.zeros((4, 6)), 4), {}, RuntimeError, desc="group_norm: channels not divisible")
    yield ErrorSample((np.zeros((4, 6, 5)), 3, np.ones(5)), {}, RuntimeError, desc="group_norm: weight size")
    yield ErrorSample((np.zeros(6), 3), {}, RuntimeError, desc="group_norm: 1-d input")
    yield ErrorSample((np.zeros((1, 6)), 6), {}, ValueError, desc="group_norm: one value per group")


def _instance_norm_samples(rng):
    yield Sample((arr(rng, 2, 3, 4),), desc="3-d, no stats, no affine")
    yield Sample((arr(rng, 2, 3, 4),), {"weight": arr(rng, 3), "bias": arr(rng, 3)}, desc="affine")
    yield Sample((arr(rng, 2, 2, 2, 3), arr(rng, 2, low=-0.5, high=0.5), positive(rng, 2), arr(rng, 2),
                  arr(rng, 2)), {"momentum": 0.2}, desc="4-d, running stats updated",
                 grad=(True, False, False, True, True))
    yield Sample((arr(rng, 2, 3, 4), arr(rng, 3, low=-0.5, high=0.5), positive(rng, 3, low=0.5, high=1.5),
                  arr(rng, 3), arr(rng, 3)), {"use_input_stats": False}, desc="running stats used",
                 grad=(True, False, False, True, True))


def _instance_norm_errors():
    yield ErrorSample((np.zeros((2, 3)),), {}, ValueError, desc="instance_norm: one spatial element")
    yield ErrorSample((np.zeros((2, 3, 4)),), {"use_input_stats": False}, RuntimeError,
                      desc="instance_norm: no running stats but use_input_stats=False")


def _rms_norm_samples(rng):
    yield Sample((arr(rng, 3, 4), (4,), arr(rng, 4)), desc="2-d")
    yield Sample((arr(rng, 2, 3, 4), [3, 4]), desc="two dims, no weight")
    yield Sample((arr(rng, 2, 5), (5,), arr(rng, 5)), {"eps": 1e-3}, desc="eps")
    yield Sample((arr(rng, 0, 4), (4,), arr(rng, 4)), desc="zero-size batch")


def _rms_norm_errors():
    yield ErrorSample((np.zeros((2, 3, 4)), (5,)), {}, RuntimeError, desc="rms_norm: shape mismatch")
    yield ErrorSample((np.zeros((2, 3, 4)), (3, 4), np.ones(4)), {}, RuntimeError, desc="rms_norm: weight shape")


def _lrn_samples(rng):
    yield Sample((arr(rng, 2, 4, 3), 3), desc="3-d, odd window")
    yield Sample((arr(rng, 1, 5, 2, 2), 2), {"alpha": 0.1, "beta": 0.5, "k": 2.0}, desc="4-d, even window")
    yield Sample((arr(rng, 2, 3, 2), 5), {"alpha": 1e-2}, desc="window wider than the channels")


def _lrn_errors():
    yield ErrorSample((np.zeros((2, 3)), 2), {}, ValueError, desc="local_response_norm: 2-d input")


# -- dropout ------------------------------------------------------------------------------------------------------------
def _dropout_deterministic_samples(rng):
    yield Sample((arr(rng, 3, 4),), {"p": 0.0}, desc="p=0")
    yield Sample((arr(rng, 3, 4),), {"p": 1.0}, desc="p=1: all zero")
    yield Sample((arr(rng, 3, 4),), {"p": 0.5, "training": False}, desc="eval: identity")
    yield Sample((arr(rng),), {"p": 1.0}, desc="0-d, p=1")
    yield Sample((arr(rng, 0, 3),), {"p": 0.5}, desc="zero-size")


def _dropout_random_samples(rng):
    yield Sample((arr(rng, 4, 5),), {"p": 0.3}, desc="p=0.3")
    yield Sample((arr(rng, 2, 3, 2),), {"p": 0.5}, desc="3-d")
    yield Sample((arr(rng),), {"p": 0.5}, desc="0-d")


def _channel_samples(ndim):
    def samples(rng):
        shape = {3: (2, 3, 4), 4: (2, 3, 2, 2), 5: (2, 2, 2, 2, 2)}[ndim]
        yield Sample((arr(rng, *shape),), {"p": 0.5}, desc="batched")
        if ndim != 4:  # dropout2d reads a 3-d input as batched (N, C, L), so only 1d and 3d have an unbatched form
            yield Sample((arr(rng, *shape[1:]),), {"p": 0.4}, desc="no batch dim")
        yield Sample((arr(rng, *shape),), {"p": 0.0}, desc="p=0")

    return samples


def _channel_deterministic(ndim):
    def samples(rng):
        shape = {3: (2, 3, 4), 4: (2, 3, 2, 2), 5: (2, 2, 2, 2, 2)}[ndim]
        yield Sample((arr(rng, *shape),), {"p": 1.0}, desc="p=1")
        yield Sample((arr(rng, *shape),), {"p": 0.5, "training": False}, desc="eval")

    return samples


def _alpha_samples(rng):
    yield Sample((arr(rng, 4, 5),), {"p": 0.3, "training": True}, desc="alpha dropout, training")
    yield Sample((arr(rng, 2, 3, 2),), {"p": 0.5, "training": True}, desc="3-d")


def _alpha_deterministic(rng):
    yield Sample((arr(rng, 4, 5),), {"p": 0.3}, desc="training=False by default: identity")
    yield Sample((arr(rng, 4, 5),), {"p": 0.0, "training": True}, desc="p=0")


def _dropout_errors(extra=()):
    def errors():
        yield ErrorSample((np.zeros(3),), {"p": 1.5}, ValueError, desc="dropout: p > 1")
        yield ErrorSample((np.zeros(3),), {"p": -0.1}, ValueError, desc="dropout: p < 0")
        yield from extra

    return errors


_DROP = dict(nondeterministic_output=True, notes="random mask: parity checks shapes and dtypes only")


# -- rrelu, gumbel_softmax (random activations) ------------------------------------------------------------------------
def _rrelu_samples(rng):
    yield Sample((away_from(arr(rng, 3, 4), [0.0]),), desc="evaluation (the default): slope (lower + upper) / 2")
    yield Sample((away_from(arr(rng, 2, 3, 2), [0.0]), 0.2, 0.6), {"training": False}, desc="bounds, 3-d")
    yield Sample((away_from(arr(rng, 4), [0.0]), 0.3, 0.3), {"training": True}, desc="training, lower == upper")
    yield Sample((away_from(arr(rng, 3), [0.0]), -0.5, 2.0), desc="negative and > 1 slope bounds")
    yield Sample((away_from(arr(rng), [0.0]),), desc="0-d")
    yield Sample((arr(rng, 0, 3),), {"training": True}, desc="zero-size, training")


def _rrelu_random_samples(rng):
    yield Sample((away_from(arr(rng, 4, 5), [0.0]),), {"training": True}, desc="training: a ~ U(lower, upper)")
    yield Sample((away_from(arr(rng, 2, 3, 2), [0.0]), 0.05, 0.8), {"training": True}, desc="bounds, 3-d")
    yield Sample((np.asarray(-0.7),), {"training": True}, desc="0-d")


def _rrelu_errors():
    yield ErrorSample((np.zeros(3), 0.4, 0.2), {}, RuntimeError, match="Lower bound", desc="rrelu: lower > upper")
    yield ErrorSample((np.zeros(3), 0.4, 0.2), {"training": True}, RuntimeError, match="Lower bound",
                      desc="rrelu: lower > upper, training")
    yield ErrorSample((np.zeros(3, dtype=np.int64),), {"training": True}, NotImplementedError,
                      desc="rrelu: integer input, training")
    yield ErrorSample((np.zeros(3, dtype=np.int64),), {}, NotImplementedError, desc="rrelu: integer input")


def _gumbel_samples(rng):
    yield Sample((arr(rng, 3, 4),), desc="soft, last dim")
    yield Sample((arr(rng, 2, 3, 2),), {"tau": 0.5, "dim": 1}, desc="tau 0.5, dim 1")
    yield Sample((arr(rng, 4),), {"tau": 2.0, "dim": 0}, desc="1-d")
    yield Sample((arr(rng),), desc="0-d")
    yield Sample((arr(rng, 0, 3),), desc="zero batch")


def _gumbel_hard_samples(rng):
    yield Sample((arr(rng, 3, 4),), {"hard": True}, desc="hard: one-hot of the argmax")
    yield Sample((arr(rng, 2, 3, 2),), {"hard": True, "dim": -2, "tau": 0.3}, desc="hard, dim -2")
    yield Sample((arr(rng),), {"hard": True}, desc="hard, 0-d")
    yield Sample((arr(rng, 0, 3),), {"hard": True}, desc="hard, zero batch")


def _gumbel_errors():
    yield ErrorSample((np.zeros((2, 3), dtype=np.int64),), {}, RuntimeError, desc="gumbel_softmax: integer logits")
    yield ErrorSample((np.zeros((2, 3)),), {"dim": 2}, IndexError, desc="gumbel_softmax: dim out of range")
    yield ErrorSample((np.zeros((2, 0)),), {"hard": True}, IndexError, desc="gumbel_softmax: hard, empty dim")


_RANDOM = dict(nondeterministic_output=True, notes="random noise: parity checks shapes and dtypes only")

OPS = [
    OpInfo("linear", L.linear, _f("linear"), _linear_samples, _linear_errors),
    OpInfo("bilinear", L.bilinear, _f("bilinear"), _bilinear_samples, _bilinear_errors),
    OpInfo("batch_norm", N.batch_norm, _f("batch_norm"), _batch_norm_samples, _batch_norm_errors,
           atol={"float32": 1e-5, "float64": 1e-9}),
    OpInfo("batch_norm_eval", lambda *a, **k: N.batch_norm(*a, training=False, **k),
           lambda *a, **k: _torch_f().batch_norm(*a, training=False, **k), _batch_norm_eval_samples),
    OpInfo("layer_norm", N.layer_norm, _f("layer_norm"), _layer_norm_samples, _layer_norm_errors),
    OpInfo("group_norm", N.group_norm, _f("group_norm"), _group_norm_samples, _group_norm_errors),
    OpInfo("instance_norm", N.instance_norm, _f("instance_norm"), _instance_norm_samples, _instance_norm_errors),
    OpInfo("rms_norm", N.rms_norm, _f("rms_norm"), _rms_norm_samples, _rms_norm_errors),
    OpInfo("local_response_norm", N.local_response_norm, _f("local_response_norm"), _lrn_samples, _lrn_errors),
    OpInfo("dropout", D.dropout, _f("dropout"), _dropout_deterministic_samples, _dropout_errors()),
    OpInfo("dropout_random", D.dropout, _f("dropout"), _dropout_random_samples, **_DROP),
    OpInfo("dropout_inplace", lambda x, **k: D.dropout(x.clone(), inplace=True, **k),
           lambda x, **k: _torch_f().dropout(x.clone(), inplace=True, **k), _dropout_random_samples, **_DROP),
    OpInfo("dropout1d", D.dropout1d, _f("dropout1d"), _channel_deterministic(3),
           _dropout_errors([ErrorSample((np.zeros(3),), {}, RuntimeError, desc="dropout1d: 1-d input")])),
    OpInfo("dropout1d_random", D.dropout1d, _f("dropout1d"), _channel_samples(3), **_DROP),
    OpInfo("dropout2d", D.dropout2d, _f("dropout2d"), _channel_deterministic(4), _dropout_errors()),
    OpInfo("dropout2d_random", D.dropout2d, _f("dropout2d"), _channel_samples(4), **_DROP),
    OpInfo("dropout3d", D.dropout3d, _f("dropout3d"), _channel_deterministic(5), _dropout_errors()),
    OpInfo("dropout3d_random", D.dropout3d, _f("dropout3d"), _channel_samples(5), **_DROP),
    OpInfo("alpha_dropout", D.alpha_dropout, _f("alpha_dropout"), _alpha_deterministic, _dropout_errors()),
    OpInfo("alpha_dropout_random", D.alpha_dropout, _f("alpha_dropout"), _alpha_samples, **_DROP),
    OpInfo("feature_alpha_dropout", D.feature_alpha_dropout, _f("feature_alpha_dropout"), _alpha_deterministic,
           _dropout_errors()),
    OpInfo("feature_alpha_dropout_random", D.feature_alpha_dropout, _f("feature_alpha_dropout"), _alpha_samples,
           **_DROP),
    OpInfo("rrelu", D.rrelu, _f("rrelu"), _rrelu_samples, _rrelu_errors),
    OpInfo("rrelu_random", D.rrelu, _f("rrelu"), _rrelu_random_samples, **_RANDOM),
    OpInfo("gumbel_softmax", D.gumbel_softmax, _f("gumbel_softmax"), _gumbel_samples, _gumbel_errors, **_RANDOM),
    OpInfo("gumbel_softmax_hard", D.gumbel_softmax, _f("gumbel_softmax"), _gumbel_hard_samples, differentiable=False,
           nondeterministic_output=True, notes="random noise; the gradient is straight-through (the soft "
           "sample's, not the zero derivative of the one-hot output), so finite differences cannot check it"),
]
