"""Registry entries for convolutions (tensorlite/nn/functional/conv.py).

Samples cover strides, paddings (ints, tuples, 'same' with odd and even kernels, 'valid'),
dilations, groups (depthwise included), 1x1 kernels (the matmul fast path), kernels as large as
the input, batch 1, unbatched inputs, zero batch and zero channels; tensors stay tiny because
gradcheck is quadratic in their size.  Convolution is bilinear, so second-order checks apply.
"""
from __future__ import annotations

import numpy as np

from ...nn.functional import conv as C
from . import ErrorSample, OpInfo, Sample, arr


def _tf(name):
    def call(*args, **kwargs):
        import torch.nn.functional as F  # noqa: PLC0415 - the test oracle only

        return getattr(F, name)(*args, **kwargs)

    return call


# -- conv2d -------------------------------------------------------------------------------------------------------
def _conv2d_samples(rng):
    yield Sample((arr(rng, 1, 2, 5, 5), arr(rng, 2, 2, 3, 3), arr(rng, 2)), desc="bias")
    yield Sample((arr(rng, 2, 2, 4, 4), arr(rng, 3, 2, 3, 3)), {"stride": 2, "padding": 1}, desc="stride 2, pad 1")
    yield Sample((arr(rng, 1, 2, 5, 4), arr(rng, 2, 2, 3, 2), arr(rng, 2)),
                 {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2)}, desc="per-dim settings")
    yield Sample((arr(rng, 1, 4, 3, 4), arr(rng, 4, 2, 2, 2)), {"groups": 2, "padding": 1}, desc="groups 2")
    yield Sample((arr(rng, 1, 3, 4, 4), arr(rng, 6, 1, 3, 3), arr(rng, 6)), {"groups": 3, "padding": 1},
                 desc="depthwise, multiplier 2")
    yield Sample((arr(rng, 1, 2, 4, 4), arr(rng, 2, 2, 3, 3)), {"padding": "same"}, desc="same, odd kernel")
    yield Sample((arr(rng, 1, 2, 4, 5), arr(rng, 2, 2, 2, 3)), {"padding": "same"}, desc="same, even kernel")
    yield Sample((arr(rng, 1, 1, 5, 5), arr(rng, 2, 1, 2, 2)), {"padding": "same", "dilation": 2},
                 desc="same, dilated")
    yield Sample((arr(rng, 1, 2, 4, 4), arr(rng, 2, 2, 3, 3)), {"padding": "valid"}, desc="valid")
    yield Sample((arr(rng, 2, 4, 4), arr(rng, 3, 2, 2, 2), arr(rng, 3)), {"padding": 1}, desc="unbatched")
    yield Sample((arr(rng, 2, 3, 3, 3), arr(rng, 2, 3, 1, 1), arr(rng, 2)), desc="1x1 (matmul path)")
    yield Sample((arr(rng, 2, 3, 3, 4), arr(rng, 2, 3, 1, 1)), {"stride": 2}, desc="1x1, stride 2")
    yield Sample((arr(rng, 1, 2, 3, 3), arr(rng, 2, 2, 3, 3)), desc="kernel as large as the input")
    yield Sample((arr(rng, 1, 1, 7, 6), arr(rng, 1, 1, 2, 3)), {"stride": 3, "dilation": (2, 1)},
                 desc="stride larger than the kernel, odd sizes")
    yield Sample((arr(rng, 0, 2, 4, 4), arr(rng, 2, 2, 3, 3), arr(rng, 2)), desc="zero batch")
    yield Sample((arr(rng, 2, 0, 3, 3), arr(rng, 2, 0, 2, 2)), desc="zero channels")
    yield Sample((arr(rng, 1, 2, 4, 4), arr(rng, 2, 2, 3, 3), arr(rng, 2)), grad=(False, True, True),
                 desc="gradient for the parameters only")
    yield Sample((arr(rng, 1, 2, 4, 4), arr(rng, 2, 2, 3, 3)), {"bias": None, "stride": [1, 2], "padding": [0, 1]},
                 desc="keywords, lists")


def _conv2d_errors():
    x, w = np.zeros((2, 4, 8, 8)), np.zeros((8, 3, 3, 3))
    yield ErrorSample((x, w), match=r"expected input with 3 channels \(weight \(8, 3, 3, 3\), groups 1\), got input "
                                    r"of shape \(2, 4, 8, 8\)")
    yield ErrorSample((np.zeros((2, 6, 5, 5)), np.zeros((7, 3, 3, 3))), {"groups": 2}, match="divisible by 2")
    yield ErrorSample((np.zeros((2, 6, 5, 5)), np.zeros((8, 3, 3, 3))), {"groups": 4}, match="12 channels")
    yield ErrorSample((np.zeros((1, 3, 2, 2)), np.zeros((4, 3, 3, 3))), match="Kernel size can't be greater")
    yield ErrorSample((np.zeros((1, 3, 5, 5)), np.zeros((4, 3, 3, 3))), {"stride": 2, "padding": "same"},
                      match="strided")
    yield ErrorSample((np.zeros((1, 3, 5, 5)), np.zeros((4, 3, 3, 3))), {"padding": "full"}, match="padding")
    yield ErrorSample((np.zeros((1, 3, 5, 5)), np.zeros((4, 3, 3, 3))), {"padding": -1}, match="negative padding")
    yield ErrorSample((np.zeros((1, 3, 5, 5)), np.zeros((4, 3, 3, 3))), {"stride": 0}, match="stride")
    yield ErrorSample((np.zeros((1, 3, 5, 5)), np.zeros((4, 3, 3, 3))), {"dilation": 0}, match="dilation")
    yield ErrorSample((np.zeros((1, 3, 5, 5)), np.zeros((4, 3, 3, 3))), {"groups": 0}, match="groups")
    yield ErrorSample((np.zeros((1, 3, 5, 5)), np.zeros((4, 3, 3, 3)), np.zeros(3)), match="bias")
    yield ErrorSample((np.zeros((1, 3, 5, 5)), np.zeros((4, 3, 3, 3)), np.zeros((4, 1))), match="bias")
    yield ErrorSample((np.zeros((3, 5)), np.zeros((4, 3, 3, 3))), match="3D")
    yield ErrorSample((np.zeros((1, 1, 3, 5, 5)), np.zeros((4, 3, 3, 3))), match="4D")
    yield ErrorSample((np.zeros((1, 3, 5, 5)), np.zeros((4, 3, 3))))
    yield ErrorSample((np.zeros((1, 3, 5, 5), np.float32), np.zeros((4, 3, 3, 3))), match="should be the same")
    yield ErrorSample((np.zeros((1, 3, 5, 5)), np.zeros((4, 3, 3, 3))), {"stride": (1, 1, 1)}, match="stride")
    yield ErrorSample((np.zeros((1, 3, 5, 5)), np.zeros((4, 3, 3, 3))), {"stride": 1.5}, error=TypeError)
    yield ErrorSample((np.zeros((1, 3, 5, 5)), np.zeros((0, 3, 3, 3))), match="at least 1")


# -- conv1d / conv3d -----------------------------------------------------------------------------------------------
def _conv1d_samples(rng):
    yield Sample((arr(rng, 2, 3, 7), arr(rng, 4, 3, 3), arr(rng, 4)), desc="bias")
    yield Sample((arr(rng, 2, 2, 9), arr(rng, 2, 2, 3)), {"stride": 2, "padding": 1, "dilation": 2},
                 desc="stride, pad, dilation")
    yield Sample((arr(rng, 1, 4, 6), arr(rng, 4, 2, 3)), {"groups": 2, "padding": "same"}, desc="groups, same")
    yield Sample((arr(rng, 1, 2, 7), arr(rng, 3, 2, 4)), {"padding": "same"}, desc="same, even kernel")
    yield Sample((arr(rng, 3, 8), arr(rng, 2, 3, 2), arr(rng, 2)), {"stride": 3}, desc="unbatched")
    yield Sample((arr(rng, 1, 3, 5), arr(rng, 3, 1, 2)), {"groups": 3}, desc="depthwise")
    yield Sample((arr(rng, 0, 2, 5), arr(rng, 3, 2, 2)), desc="zero batch")


def _conv1d_errors():
    yield ErrorSample((np.zeros((2, 4, 8)), np.zeros((5, 3, 3))), match="expected input with 3 channels")
    yield ErrorSample((np.zeros((2, 3, 2)), np.zeros((5, 3, 3))), match="Kernel size")
    yield ErrorSample((np.zeros((2, 3, 2, 2)), np.zeros((5, 3, 3))), match="2D")
    yield ErrorSample((np.zeros((1, 3, 5)), np.zeros((4, 3, 3))), {"stride": 2, "padding": "same"},
                      match="strided")


def _conv3d_samples(rng):
    yield Sample((arr(rng, 1, 2, 3, 3, 3), arr(rng, 2, 2, 2, 2, 2), arr(rng, 2)), desc="bias")
    yield Sample((arr(rng, 1, 1, 4, 3, 4), arr(rng, 2, 1, 2, 2, 2)), {"stride": (2, 1, 2), "padding": 1},
                 desc="stride, pad")
    yield Sample((arr(rng, 1, 2, 3, 4, 3), arr(rng, 2, 1, 2, 2, 2)), {"groups": 2, "dilation": (1, 2, 1)},
                 desc="groups, dilation")
    yield Sample((arr(rng, 1, 3, 3, 3), arr(rng, 2, 1, 2, 2, 2)), {"padding": "same"}, desc="unbatched, same")
    yield Sample((arr(rng, 2, 2, 2, 2, 2), arr(rng, 3, 2, 1, 1, 1)), desc="1x1x1")


def _conv3d_errors():
    yield ErrorSample((np.zeros((1, 4, 3, 3, 3)), np.zeros((2, 3, 2, 2, 2))), match="expected input with 3")
    yield ErrorSample((np.zeros((1, 6, 3, 3, 3)), np.zeros((3, 3, 2, 2, 2))), {"groups": 2}, match="divisible")
    yield ErrorSample((np.zeros((3, 3, 3)), np.zeros((2, 3, 2, 2, 2))), match="4D")


# -- transposed ----------------------------------------------------------------------------------------------------
def _convt2d_samples(rng):
    yield Sample((arr(rng, 1, 2, 3, 3), arr(rng, 2, 3, 3, 3), arr(rng, 3)), desc="bias")
    yield Sample((arr(rng, 2, 2, 3, 3), arr(rng, 2, 2, 3, 3)), {"stride": 2, "padding": 1, "output_padding": 1},
                 desc="stride 2, output_padding")
    yield Sample((arr(rng, 1, 4, 3, 2), arr(rng, 4, 1, 2, 3), arr(rng, 2)), {"groups": 2, "stride": (1, 2)},
                 desc="groups")
    yield Sample((arr(rng, 1, 2, 3, 3), arr(rng, 2, 1, 2, 2)), {"dilation": 2, "stride": 2, "output_padding": 1},
                 desc="dilation, output_padding < dilation")
    yield Sample((arr(rng, 2, 3, 3), arr(rng, 2, 2, 2, 2)), {"padding": (1, 0)}, desc="unbatched")
    yield Sample((arr(rng, 0, 2, 3, 3), arr(rng, 2, 2, 2, 2), arr(rng, 2)), desc="zero batch")


def _convt2d_errors():
    yield ErrorSample((np.zeros((2, 3, 5, 5)), np.zeros((4, 4, 3, 3))), match="expected input with 4 channels")
    yield ErrorSample((np.zeros((2, 3, 5, 5)), np.zeros((3, 4, 3, 3))), {"stride": 2, "output_padding": 2},
                      match="output padding must be smaller")
    yield ErrorSample((np.zeros((2, 3, 5, 5)), np.zeros((3, 4, 3, 3))), {"output_padding": -1},
                      match="negative output_padding")
    yield ErrorSample((np.zeros((2, 4, 5, 5)), np.zeros((4, 3, 3, 3))), {"groups": 3}, match="divisible")
    yield ErrorSample((np.zeros((2, 4, 5, 5)), np.zeros((4, 3, 3, 3)), np.zeros(4)), match="bias")
    yield ErrorSample((np.zeros((4, 5)), np.zeros((4, 3, 3, 3))), match="3D")
    yield ErrorSample((np.zeros((2, 4, 5, 5)), np.zeros((4, 3, 3, 3))), {"padding": "same"}, error=TypeError)
    yield ErrorSample((np.zeros((1, 2, 2, 2)), np.zeros((2, 2, 1, 1))), {"padding": 1}, match="too small")


def _convt1d_samples(rng):
    yield Sample((arr(rng, 2, 3, 4), arr(rng, 3, 2, 3), arr(rng, 2)), {"stride": 2, "padding": 1,
                                                                         "output_padding": 1}, desc="stride")
    yield Sample((arr(rng, 1, 2, 4), arr(rng, 2, 2, 2)), {"dilation": 3, "groups": 2}, desc="dilation, groups")
    yield Sample((arr(rng, 2, 5), arr(rng, 2, 3, 2)), desc="unbatched")


def _convt1d_errors():
    yield ErrorSample((np.zeros((2, 3, 5)), np.zeros((4, 4, 3))), match="expected input with 4 channels")
    yield ErrorSample((np.zeros((2, 3, 5)), np.zeros((3, 4, 3))), {"output_padding": 1}, match="output padding")


def _convt3d_samples(rng):
    yield Sample((arr(rng, 1, 2, 2, 3, 2), arr(rng, 2, 2, 2, 2, 2), arr(rng, 2)), {"stride": 2}, desc="stride")
    yield Sample((arr(rng, 2, 2, 2, 2), arr(rng, 2, 1, 2, 1, 2)), {"padding": (0, 0, 1), "output_padding": (0, 0, 1),
                                                                    "stride": (1, 1, 2)}, desc="unbatched")


def _convt3d_errors():
    yield ErrorSample((np.zeros((1, 3, 2, 2, 2)), np.zeros((2, 2, 2, 2, 2))), match="expected input with 2 channels")


# -- conv_tbc (time, batch, channel) ---------------------------------------------------------------------------------
def _torch_conv_tbc(*args, **kwargs):
    import torch  # noqa: PLC0415 - the test oracle only

    return torch.conv_tbc(*args, **kwargs)


def _conv_tbc_samples(rng):
    yield Sample((arr(rng, 5, 2, 3), arr(rng, 3, 3, 4), arr(rng, 4)), desc="no padding")
    yield Sample((arr(rng, 5, 2, 3), arr(rng, 3, 3, 4), arr(rng, 4), 1), desc="pad 1: same length")
    yield Sample((arr(rng, 4, 2, 2), arr(rng, 2, 2, 3), arr(rng, 3)), {"pad": 2}, desc="pad 2 > K - 1, keyword")
    yield Sample((arr(rng, 6, 1, 2), arr(rng, 2, 2, 2), arr(rng, 2), -1), desc="negative pad crops the input")
    yield Sample((arr(rng, 4, 3, 2), arr(rng, 1, 2, 3), arr(rng, 3)), desc="K = 1")
    yield Sample((arr(rng, 2, 2, 3), arr(rng, 3, 3, 2), arr(rng, 2)), desc="T < K: empty time")
    yield Sample((arr(rng, 0, 2, 3), arr(rng, 3, 3, 2), arr(rng, 2), 1), desc="zero time, padded")
    yield Sample((arr(rng, 4, 0, 3), arr(rng, 2, 3, 2), arr(rng, 2)), desc="zero batch")
    yield Sample((arr(rng, 4, 2, 0), arr(rng, 2, 0, 3), arr(rng, 3)), desc="no input channels: bias only")
    yield Sample((arr(rng, 3, 2, 2), arr(rng, 0, 2, 3), arr(rng, 3)), desc="K = 0: bias only, T + 1 steps")
    yield Sample((arr(rng, 4, 2, 3), arr(rng, 2, 3, 2), arr(rng, 2), 1), grad=(False, True, True),
                 desc="gradient for the parameters only")


def _conv_tbc_errors():
    x, w, b = np.zeros((5, 2, 3)), np.zeros((3, 3, 4)), np.zeros(4)
    yield ErrorSample((x, w, b, 1.0), error=TypeError, desc="float pad")
    yield ErrorSample((x, w, b, True), error=TypeError, desc="bool pad")
    yield ErrorSample((x[0], w, b), match="3 dims", desc="2-d input")
    yield ErrorSample((x, w[0], b), match="3 dims", desc="2-d weight")
    yield ErrorSample((x, w, b[None]), match="1-D", desc="2-d bias")
    yield ErrorSample((x, w[:, :2], b), match="input channels", desc="channel mismatch")
    yield ErrorSample((x, w, b[:3]), match="Bias size", desc="bias size")
    yield ErrorSample((x, w, b, -2), match="negative", desc="pad so negative the output length is < 0")
    yield ErrorSample((x.astype(np.float32), w, b), desc="input and weight dtypes differ")


def _entry(name, fn, samples, errors, **kwargs) -> OpInfo:
    return OpInfo(name=name, op=fn, torch_op=_tf(name), sample_inputs=samples, error_inputs=errors, **kwargs)


OPS = [
    _entry("conv1d", C.conv1d, _conv1d_samples, _conv1d_errors),
    _entry("conv2d", C.conv2d, _conv2d_samples, _conv2d_errors),
    _entry("conv3d", C.conv3d, _conv3d_samples, _conv3d_errors),
    _entry("conv_transpose1d", C.conv_transpose1d, _convt1d_samples, _convt1d_errors),
    _entry("conv_transpose2d", C.conv_transpose2d, _convt2d_samples, _convt2d_errors),
    _entry("conv_transpose3d", C.conv_transpose3d, _convt3d_samples, _convt3d_errors),
    OpInfo("conv_tbc", C.conv_tbc, _torch_conv_tbc, _conv_tbc_samples, _conv_tbc_errors),
]
