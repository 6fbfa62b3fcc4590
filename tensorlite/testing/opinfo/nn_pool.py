"""Registry entries for pooling (tensorlite/nn/functional/pooling.py).

Samples cover strides, padding, dilation, ceil_mode (windows running past the input), returned
indices, count_include_pad / divisor_override, adaptive sizes that do not divide the input
(overlapping windows) or exceed it, unbatched inputs and zero batch.  Random values keep max
pooling away from ties, where its gradient is not defined.
"""
from __future__ import annotations

import numpy as np

from ...nn.functional import pooling as P
from . import ErrorSample, OpInfo, Sample, arr, positive


def _tf(name):
    def call(*args, **kwargs):
        import torch.nn.functional as F  # noqa: PLC0415 - the test oracle only

        return getattr(F, name)(*args, **kwargs)

    return call


# -- max pool ------------------------------------------------------------------------------------------------------
def _max_pool2d_samples(rng):
    yield Sample((arr(rng, 2, 2, 4, 4), 2), desc="2x2")
    yield Sample((arr(rng, 1, 2, 5, 5), 3), {"stride": 2, "padding": 1}, desc="3x3, stride 2, pad 1")
    yield Sample((arr(rng, 1, 2, 5, 6), 2), {"ceil_mode": True}, desc="ceil_mode")
    yield Sample((arr(rng, 1, 2, 7, 6), (3, 2)), {"stride": (2, 1), "padding": (1, 1), "dilation": 2},
                 desc="dilation, per-dim")
    yield Sample((arr(rng, 1, 1, 6, 7), 3), {"stride": 2, "padding": 1, "ceil_mode": True, "return_indices": True},
                 desc="indices, ceil, pad")
    yield Sample((arr(rng, 2, 5, 5), 2), {"stride": 1, "return_indices": True}, desc="unbatched, overlapping")
    yield Sample((arr(rng, 0, 2, 4, 4), 2), desc="zero batch")
    yield Sample((arr(rng, 1, 2, 4, 4),), {"kernel_size": [2, 1], "stride": []}, desc="keywords, empty stride")


def _max_pool_errors(nd):
    def errors():
        sp = (5,) * nd
        yield ErrorSample((np.zeros((1, 2) + sp), 3), {"padding": 2}, match="half")
        yield ErrorSample((np.zeros((1, 2) + sp), 2), {"stride": 0}, match="stride")
        yield ErrorSample((np.zeros((1, 2) + sp), 2), {"padding": -1}, match="non-negative")
        yield ErrorSample((np.zeros((1, 2) + (2,) * nd), 3), match="too small")
        yield ErrorSample((np.zeros((1, 0) + sp), 2), match="Expected")
        yield ErrorSample((np.zeros(sp[:1]), 2), match="Expected")

    return errors


def _max_pool1d_samples(rng):
    yield Sample((arr(rng, 2, 2, 7), 3), {"stride": 2, "padding": 1}, desc="pad")
    yield Sample((arr(rng, 1, 3, 9), 2), {"ceil_mode": True, "return_indices": True}, desc="ceil, indices")
    yield Sample((arr(rng, 2, 8), 3), {"stride": 1, "dilation": 2}, desc="unbatched, dilation")


def _max_pool3d_samples(rng):
    yield Sample((arr(rng, 1, 2, 4, 3, 4), 2), desc="2x2x2")
    yield Sample((arr(rng, 1, 1, 3, 4, 5), (2, 3, 2)), {"stride": (1, 2, 2), "padding": 1, "return_indices": True},
                 desc="pad, indices")
    yield Sample((arr(rng, 1, 3, 4, 3), 2), {"ceil_mode": True, "stride": 2}, desc="unbatched, ceil")


# -- max unpool ----------------------------------------------------------------------------------------------------
def _unpool_samples(nd, rng):
    """Inputs with the indices of a real max pool (unique within each plane)."""
    shapes = {1: (2, 2, 6), 2: (1, 2, 4, 5), 3: (1, 1, 4, 4, 4)}
    x = arr(rng, *shapes[nd])
    vals, idx = (P.max_pool1d, P.max_pool2d, P.max_pool3d)[nd - 1](_tensor(x), 2, return_indices=True)
    yield Sample((vals.numpy(), idx.numpy(), 2), desc="default output size")
    yield Sample((vals.numpy(), idx.numpy(), 2), {"output_size": shapes[nd][2:]}, desc="output_size")
    yield Sample((vals.numpy(), idx.numpy(), 2), {"output_size": shapes[nd]}, desc="output_size with (N, C)")


def _tensor(a):
    from ...tensor import Tensor

    return Tensor._wrap(a)


def _unpool_errors(nd):
    def errors():
        shape = (1, 1) + (2,) * nd
        idx = np.zeros(shape, dtype=np.int64)
        bad = idx.copy()
        bad.reshape(-1)[0] = 100
        yield ErrorSample((np.zeros(shape), bad, 2), match="invalid max index")
        yield ErrorSample((np.zeros(shape), idx, 2), {"output_size": (9,) * nd}, error=ValueError)

    return errors


# -- avg pool ------------------------------------------------------------------------------------------------------
def _avg_pool2d_samples(rng):
    yield Sample((arr(rng, 2, 2, 4, 4), 2), desc="2x2")
    yield Sample((arr(rng, 1, 2, 5, 5), 3), {"stride": 2, "padding": 1}, desc="pad counted")
    yield Sample((arr(rng, 1, 2, 5, 6), 3), {"stride": 2, "padding": 1, "count_include_pad": False,
                                             "ceil_mode": True}, desc="pad not counted, ceil")
    yield Sample((arr(rng, 1, 2, 5, 6), 3), {"stride": 2, "padding": 1, "ceil_mode": True}, desc="ceil, pad counted")
    yield Sample((arr(rng, 1, 2, 5, 5), (2, 3)), {"stride": 1, "divisor_override": 4}, desc="divisor_override")
    yield Sample((arr(rng, 2, 4, 5), 2), {"stride": (1, 2)}, desc="unbatched")
    yield Sample((arr(rng, 0, 2, 4, 4), 2), desc="zero batch")


def _avg_pool_errors(nd, divisor=True):
    def errors():
        sp = (5,) * nd
        yield ErrorSample((np.zeros((1, 2) + sp), 3), {"padding": 2}, match="half")
        yield ErrorSample((np.zeros((1, 2) + sp), 2), {"stride": 0}, match="stride")
        yield ErrorSample((np.zeros((1, 2) + (1,) * nd), 3), match="too small")
        if divisor:
            yield ErrorSample((np.zeros((1, 2) + sp), 2), {"divisor_override": 0}, match="divisor")

    return errors


def _avg_pool1d_samples(rng):
    yield Sample((arr(rng, 2, 2, 7), 3), {"stride": 2, "padding": 1}, desc="pad")
    yield Sample((arr(rng, 1, 3, 8), 3), {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
                 desc="ceil, pad not counted")
    yield Sample((arr(rng, 2, 6), 2), desc="unbatched")


def _avg_pool3d_samples(rng):
    yield Sample((arr(rng, 1, 2, 4, 3, 4), 2), desc="2x2x2")
    yield Sample((arr(rng, 1, 1, 3, 4, 5), (2, 3, 2)), {"stride": 2, "padding": 1, "ceil_mode": True,
                                                         "count_include_pad": False}, desc="pad, ceil")
    yield Sample((arr(rng, 1, 3, 4, 3), 2), {"divisor_override": 3, "stride": 1}, desc="unbatched, divisor")


# -- adaptive ------------------------------------------------------------------------------------------------------
def _adaptive2d_samples(rng):
    yield Sample((arr(rng, 2, 2, 6, 6), 3), desc="divides")
    yield Sample((arr(rng, 1, 2, 7, 5), (3, 2)), desc="overlapping windows")
    yield Sample((arr(rng, 1, 2, 3, 2), (5, 4)), desc="larger than the input")
    yield Sample((arr(rng, 1, 2, 5, 4), (None, 3)), desc="None keeps a size")
    yield Sample((arr(rng, 2, 3, 5, 4), 1), desc="global")
    yield Sample((arr(rng, 3, 5, 4), (2, 3)), desc="unbatched")
    yield Sample((arr(rng, 0, 2, 4, 4), 2), desc="zero batch")


def _adaptive1d_samples(rng):
    yield Sample((arr(rng, 2, 2, 7), 3), desc="overlapping")
    yield Sample((arr(rng, 1, 2, 3), 5), desc="larger")
    yield Sample((arr(rng, 3, 8), (4,)), desc="unbatched, tuple")


def _adaptive3d_samples(rng):
    yield Sample((arr(rng, 1, 2, 4, 3, 5), (2, 2, 3)), desc="overlapping")
    yield Sample((arr(rng, 2, 3, 3, 3), 1), desc="unbatched, global")


def _adaptive_errors(nd):
    def errors():
        yield ErrorSample((np.zeros((1, 2) + (4,) * nd), -1), match="greater than or equal to 0")
        yield ErrorSample((np.zeros((1, 2) + (0,) + (4,) * (nd - 1)), 2), match="non-zero size")
        yield ErrorSample((np.zeros((1, 2) + (4,) * nd, dtype=np.int64), 2), error=NotImplementedError)

    return errors


# -- lp pool -------------------------------------------------------------------------------------------------------
def _lp2d_samples(rng):
    yield Sample((positive(rng, 2, 2, 4, 4), 2, 2), desc="p=2")
    yield Sample((positive(rng, 1, 2, 5, 5), 3.0, 3), {"stride": 2}, desc="p=3, stride")
    yield Sample((positive(rng, 1, 2, 5, 6), 1.5, (2, 3)), {"ceil_mode": True, "stride": 2}, desc="ceil")
    yield Sample((positive(rng, 2, 4, 4), 2, 2), desc="unbatched")


def _lp1d_samples(rng):
    yield Sample((positive(rng, 2, 2, 7), 2, 3), {"stride": 2}, desc="p=2")
    yield Sample((positive(rng, 1, 3, 8), 2.5, 2), {"ceil_mode": True, "stride": 3}, desc="ceil")


def _lp3d_samples(rng):
    yield Sample((positive(rng, 1, 2, 4, 4, 4), 2, 2), desc="p=2")


def _lp_errors(nd):
    def errors():
        yield ErrorSample((np.ones((1, 2) + (2,) * nd), 2, 3), match="too small")
        yield ErrorSample((np.ones((1, 2) + (4,) * nd), 2, 2), {"stride": 0}, match="stride")

    return errors


def _entry(name, fn, samples, errors=None, torch_name=None, **kwargs) -> OpInfo:
    return OpInfo(name=name, op=fn, torch_op=_tf(torch_name or name), sample_inputs=samples, error_inputs=errors,
                  **kwargs)


OPS = [
    _entry("max_pool1d", P.max_pool1d, _max_pool1d_samples, _max_pool_errors(1)),
    _entry("max_pool2d", P.max_pool2d, _max_pool2d_samples, _max_pool_errors(2)),
    _entry("max_pool3d", P.max_pool3d, _max_pool3d_samples, _max_pool_errors(3)),
    _entry("max_unpool1d", P.max_unpool1d, lambda rng: _unpool_samples(1, rng), _unpool_errors(1)),
    _entry("max_unpool2d", P.max_unpool2d, lambda rng: _unpool_samples(2, rng), _unpool_errors(2)),
    _entry("max_unpool3d", P.max_unpool3d, lambda rng: _unpool_samples(3, rng), _unpool_errors(3)),
    _entry("avg_pool1d", P.avg_pool1d, _avg_pool1d_samples, _avg_pool_errors(1, divisor=False)),
    _entry("avg_pool2d", P.avg_pool2d, _avg_pool2d_samples, _avg_pool_errors(2)),
    _entry("avg_pool3d", P.avg_pool3d, _avg_pool3d_samples, _avg_pool_errors(3)),
    _entry("adaptive_avg_pool1d", P.adaptive_avg_pool1d, _adaptive1d_samples, _adaptive_errors(1)),
    _entry("adaptive_avg_pool2d", P.adaptive_avg_pool2d, _adaptive2d_samples, _adaptive_errors(2)),
    _entry("adaptive_avg_pool3d", P.adaptive_avg_pool3d, _adaptive3d_samples, _adaptive_errors(3)),
    _entry("adaptive_max_pool1d", P.adaptive_max_pool1d, _adaptive1d_samples, _adaptive_errors(1)),
    _entry("adaptive_max_pool2d", P.adaptive_max_pool2d, _adaptive2d_samples, _adaptive_errors(2)),
    _entry("adaptive_max_pool3d", P.adaptive_max_pool3d, _adaptive3d_samples, _adaptive_errors(3)),
    _entry("adaptive_max_pool2d_with_indices", lambda x, s: P.adaptive_max_pool2d(x, s, return_indices=True),
           _adaptive2d_samples, _adaptive_errors(2), torch_name="adaptive_max_pool2d_with_indices"),
    _entry("lp_pool1d", P.lp_pool1d, _lp1d_samples, _lp_errors(1)),
    _entry("lp_pool2d", P.lp_pool2d, _lp2d_samples, _lp_errors(2)),
    _entry("lp_pool3d", P.lp_pool3d, _lp3d_samples, _lp_errors(3)),
]
