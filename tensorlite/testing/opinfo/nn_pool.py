"""Registry entries for pooling (tensorlite/nn/functional/pooling.py, adaptive_pool.py, fractional_pool.py).

Samples cover strides, padding, dilation, ceil_mode (windows running past the input), returned
indices, count_include_pad / divisor_override, adaptive sizes that do not divide the input
(overlapping windows) or exceed it, unbatched inputs and zero batch.  Random values keep max
pooling away from ties, where its gradient is not defined.
"""
from __future__ import annotations

import numpy as np

from ...nn.functional import fractional_pool as FP, pooling as P
from . import ErrorSample, OpInfo, Sample, arr, away_from, positive


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


def _lp_inf_samples(nd):
    """norm_type = inf is max pooling of |x| (-inf: the min of |x|); values kept away from 0 (|x|'s kink)."""
    shapes = {1: (2, 2, 7), 2: (1, 2, 5, 6), 3: (1, 2, 4, 5, 4)}

    def samples(rng):
        shape = shapes[nd]
        yield Sample((away_from(arr(rng, *shape), [0.0]), float("inf"), 2), desc="p = inf: max |x|")
        yield Sample((away_from(arr(rng, *shape), [0.0]), -float("inf"), 3), {"stride": 2, "ceil_mode": True},
                     desc="p = -inf: min |x|, ceil")
        yield Sample((away_from(arr(rng, *shape[1:]), [0.0]), float("inf"), 2), {"stride": 1},
                     desc="p = inf, unbatched, overlapping")
        yield Sample((arr(rng, *((0,) + shape[1:])), float("inf"), 2), desc="p = inf, zero batch")

    return samples


def _lp_inf_errors(nd):
    def errors():
        yield ErrorSample((np.ones((1, 2) + (2,) * nd), float("inf"), 3), desc="p = inf, window too large")
        yield ErrorSample((np.ones((1, 2) + (4,) * nd), float("inf"), 2), {"stride": 0}, desc="p = inf, stride 0")
        if nd == 1:  # PyTorch's CPU max_pool1d (no indices) has no integer kernel
            yield ErrorSample((np.ones((1, 2, 4), dtype=np.int64), float("inf"), 2), error=NotImplementedError,
                              desc="p = inf, integer input")

    return errors


# -- fractional max pool -------------------------------------------------------------------------------------------
def _frac2d_samples(rng):
    u = rng.uniform(0, 1, size=(2, 3, 2))
    grad = (True, False)  # _random_samples carries no gradient
    yield Sample((arr(rng, 2, 3, 7, 6), 2), {"output_size": 3, "return_indices": True, "_random_samples": u},
                 grad=grad, desc="output_size, indices")
    yield Sample((arr(rng, 2, 3, 7, 6), (2, 3)), {"output_size": (4, 3), "_random_samples": u}, grad=grad,
                 desc="per-dim kernel and size")
    yield Sample((arr(rng, 2, 3, 7, 6), 3), {"output_ratio": (0.5, 0.7), "_random_samples": u}, grad=grad,
                 desc="output_ratio")
    yield Sample((arr(rng, 2, 3, 7, 6), 2), {"output_size": (6, 5), "return_indices": True, "_random_samples": u},
                 grad=grad, desc="output = input - kernel + 1: overlapping windows at every step")
    yield Sample((arr(rng, 1, 3, 5, 5), 2), {"output_size": 1, "_random_samples": u}, grad=grad,
                 desc="one window, more samples than the batch")
    yield Sample((arr(rng, 3, 5, 6), 2), {"output_size": (2, 3), "return_indices": True, "_random_samples": u[:1]},
                 grad=grad, desc="unbatched")
    yield Sample((arr(rng, 0, 3, 5, 6), 2), {"output_size": 2, "_random_samples": u[:0]}, grad=grad,
                 desc="zero batch")


def _frac3d_samples(rng):
    u = rng.uniform(0, 1, size=(2, 2, 3))
    grad = (True, False)
    yield Sample((arr(rng, 2, 2, 5, 6, 5), 2), {"output_size": 3, "return_indices": True, "_random_samples": u},
                 grad=grad, desc="output_size, indices")
    yield Sample((arr(rng, 1, 2, 5, 6, 7), (2, 1, 3)), {"output_size": (3, 4, 2), "_random_samples": u}, grad=grad,
                 desc="per-dim kernel and size")
    yield Sample((arr(rng, 2, 2, 5, 6, 7), 2), {"output_ratio": 0.5, "_random_samples": u}, grad=grad,
                 desc="output_ratio")
    yield Sample((arr(rng, 2, 4, 5, 4), 2), {"output_size": (2, 3, 2), "return_indices": True,
                                             "_random_samples": u[:1]}, grad=grad, desc="unbatched")
    yield Sample((arr(rng, 0, 2, 4, 4, 4), 2), {"output_size": 2, "_random_samples": u[:0]}, grad=grad,
                 desc="zero batch")


def _frac_random_samples(nd):
    def samples(rng):
        yield Sample((arr(rng, *((2, 2) + (6,) * nd)), 2), {"output_size": 3, "return_indices": True},
                     desc="drawn samples")
        yield Sample((arr(rng, *((2,) + (5,) * nd)), 2), {"output_ratio": (0.5,) * nd}, desc="drawn samples, unbatched")

    return samples


def _frac_errors(nd):
    def errors():
        x = np.zeros((2, 3) + (6,) * nd)
        u = np.full((2, 3, nd), 0.5)
        yield ErrorSample((x, 2), {"_random_samples": u}, ValueError, desc="neither output_size nor output_ratio")
        yield ErrorSample((x, 2), {"output_size": 6, "_random_samples": u}, match="too large",
                          desc="pool too large for the input")
        yield ErrorSample((x, 2), {"output_size": 3, "_random_samples": u.astype(np.float32)}, match="dtype",
                          desc="_random_samples of another dtype")
        yield ErrorSample((x, 2), {"output_size": 3, "_random_samples": u[0]}, match="3 dimensions",
                          desc="2-d _random_samples")
        yield ErrorSample((x, 2), {"output_size": 3, "_random_samples": u[:1]}, match="batch size",
                          desc="fewer samples than the batch")
        yield ErrorSample((x, 2), {"output_size": 3, "_random_samples": u[:, :2]}, match="channel",
                          desc="samples for another channel count")
        yield ErrorSample((x, 2), {"output_size": 3, "_random_samples": np.full((2, 3, nd + 1), 0.5)},
                          desc="samples with a wrong last dim")
        yield ErrorSample((np.zeros((1,) + x.shape), 2), {"output_size": 3}, desc="too many dims")
        yield ErrorSample((np.zeros((2, 0) + (6,) * nd), 2), {"output_size": 3, "_random_samples": u[:, :0]},
                          match="non-zero size", desc="zero channels")
        yield ErrorSample((x, 2), {"output_size": (3,) * (nd + 1), "_random_samples": u}, desc="output_size length")

    return errors


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
    _entry("lp_pool1d_inf", P.lp_pool1d, _lp_inf_samples(1), _lp_inf_errors(1), torch_name="lp_pool1d"),
    _entry("lp_pool2d_inf", P.lp_pool2d, _lp_inf_samples(2), _lp_inf_errors(2), torch_name="lp_pool2d"),
    _entry("lp_pool3d_inf", P.lp_pool3d, _lp_inf_samples(3), _lp_inf_errors(3), torch_name="lp_pool3d"),
    _entry("fractional_max_pool2d", FP.fractional_max_pool2d, _frac2d_samples, _frac_errors(2)),
    _entry("fractional_max_pool3d", FP.fractional_max_pool3d, _frac3d_samples, _frac_errors(3)),
    _entry("fractional_max_pool2d_with_indices", FP.fractional_max_pool2d_with_indices, _frac2d_samples),
    _entry("fractional_max_pool3d_with_indices", FP.fractional_max_pool3d_with_indices, _frac3d_samples),
    _entry("fractional_max_pool2d_random", FP.fractional_max_pool2d, _frac_random_samples(2),
           torch_name="fractional_max_pool2d", nondeterministic_output=True,
           notes="windows placed by drawn samples: parity checks shapes and dtypes only"),
    _entry("fractional_max_pool3d_random", FP.fractional_max_pool3d, _frac_random_samples(3),
           torch_name="fractional_max_pool3d", nondeterministic_output=True,
           notes="windows placed by drawn samples: parity checks shapes and dtypes only"),
]
