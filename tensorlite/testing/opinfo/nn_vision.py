"""Registry entries for resampling ops (tensorlite/nn/functional/vision.py, sampling.py).

interpolate is covered mode by mode (sizes and scale factors that do not divide, align_corners
both ways, recompute_scale_factor, antialias), plus pixel_(un)shuffle, unfold / fold,
affine_grid and grid_sample (grid points kept off pixel centres, where bilinear sampling has
kinks).
"""
from __future__ import annotations

import numpy as np

from ...nn.functional import sampling as GS, vision as V
from . import ErrorSample, OpInfo, Sample, arr


def _tf(name):
    def call(*args, **kwargs):
        import torch.nn.functional as F  # noqa: PLC0415 - the test oracle only

        return getattr(F, name)(*args, **kwargs)

    return call


def _interp(mode):
    def call(x, *args, **kwargs):
        return V.interpolate(x, *args, mode=mode, **kwargs)

    def torch_call(x, *args, **kwargs):
        import torch.nn.functional as F  # noqa: PLC0415

        return F.interpolate(x, *args, mode=mode, **kwargs)

    return call, torch_call


def _nearest_samples(rng):
    yield Sample((arr(rng, 1, 2, 3, 4),), {"scale_factor": 2}, desc="x2")
    yield Sample((arr(rng, 1, 2, 3, 5),), {"size": (5, 3)}, desc="size, up and down")
    yield Sample((arr(rng, 2, 1, 5),), {"scale_factor": 1.7}, desc="1-d, fractional scale")
    yield Sample((arr(rng, 1, 1, 2, 3, 2),), {"scale_factor": (1.5, 1, 2)}, desc="3-d, per-dim scale")
    yield Sample((arr(rng, 1, 2, 4, 5),), {"scale_factor": 0.6, "recompute_scale_factor": True}, desc="recompute")
    yield Sample((arr(rng, 0, 2, 3, 3),), {"size": 4}, desc="zero batch")


def _linear_samples(rng):
    yield Sample((arr(rng, 2, 2, 4),), {"size": 7}, desc="up")
    yield Sample((arr(rng, 1, 2, 7),), {"scale_factor": 0.6}, desc="down")
    yield Sample((arr(rng, 1, 3, 5),), {"size": 8, "align_corners": True}, desc="align_corners")
    yield Sample((arr(rng, 1, 1, 4),), {"size": 1, "align_corners": True}, desc="to one element")


def _bilinear_samples(rng):
    yield Sample((arr(rng, 1, 2, 3, 4),), {"size": (5, 7)}, desc="up")
    yield Sample((arr(rng, 1, 2, 6, 5),), {"scale_factor": (0.5, 0.7)}, desc="down, per-dim scale")
    yield Sample((arr(rng, 1, 1, 3, 4),), {"scale_factor": 1.5, "align_corners": True}, desc="align_corners")
    yield Sample((arr(rng, 1, 1, 5, 5),), {"scale_factor": 1.5, "recompute_scale_factor": True}, desc="recompute")
    yield Sample((arr(rng, 1, 1, 6, 7),), {"size": (3, 4), "antialias": True}, desc="antialias down")
    yield Sample((arr(rng, 1, 2, 3, 3),), {"size": (5, 2), "antialias": True}, desc="antialias up and down")


def _bicubic_samples(rng):
    yield Sample((arr(rng, 1, 2, 3, 4),), {"size": (5, 6)}, desc="up")
    yield Sample((arr(rng, 1, 1, 6, 5),), {"scale_factor": 0.6}, desc="down")
    yield Sample((arr(rng, 1, 1, 3, 4),), {"size": (4, 7), "align_corners": True}, desc="align_corners")
    yield Sample((arr(rng, 1, 1, 7, 6),), {"size": (3, 4), "antialias": True}, desc="antialias")


def _trilinear_samples(rng):
    yield Sample((arr(rng, 1, 1, 2, 3, 2),), {"size": (3, 4, 3)}, desc="up")
    yield Sample((arr(rng, 1, 2, 3, 3, 2),), {"scale_factor": (0.7, 1.5, 2), "align_corners": True},
                 desc="align_corners, per-dim scale")


def _area_samples(rng):
    yield Sample((arr(rng, 1, 2, 6, 6),), {"size": (3, 2)}, desc="divides")
    yield Sample((arr(rng, 1, 2, 5, 7),), {"scale_factor": 0.5}, desc="scale_factor")
    yield Sample((arr(rng, 2, 2, 7),), {"size": 3}, desc="1-d")


def _interp_errors():
    x = np.zeros((1, 2, 4, 4))
    yield ErrorSample((x,), {"size": 2, "scale_factor": 2}, error=ValueError, match="only one")
    yield ErrorSample((x,), {}, error=ValueError, match="either size or scale_factor")
    yield ErrorSample((x,), {"size": (2, 2, 2)}, error=ValueError, match="same number of spatial")
    yield ErrorSample((x,), {"scale_factor": (2, 2, 2)}, error=ValueError, match="same number of spatial")
    yield ErrorSample((x,), {"size": 0}, match="greater than 0")
    yield ErrorSample((np.zeros((3, 4)),), {"size": 2}, error=NotImplementedError)
    yield ErrorSample((x,), {"size": 2, "recompute_scale_factor": True}, error=ValueError)


def _nearest_errors():
    yield from _interp_errors()
    yield ErrorSample((np.zeros((1, 2, 4, 4)),), {"size": 2, "align_corners": True}, error=ValueError,
                      match="align_corners")
    yield ErrorSample((np.zeros((1, 2, 4, 4)),), {"size": 2, "antialias": True}, error=ValueError,
                      match="Anti-alias")


def _both_errors():
    yield ErrorSample((np.zeros((1, 2, 4, 4)),), {"size": 2, "scale_factor": 2}, error=ValueError, match="only one")
    yield ErrorSample((np.zeros((1, 2, 4, 4)),), {}, error=ValueError, match="either size")


def _exact_errors():
    yield from _both_errors()
    yield ErrorSample((np.zeros((1, 2, 4, 4)),), {"size": 2, "align_corners": False}, error=ValueError,
                      match="align_corners")


def _upsample_samples(size):
    def samples(rng):
        yield Sample((arr(rng, 1, 2, 2, 3),), {"scale_factor": 2}, desc="scale_factor")
        yield Sample((arr(rng, 1, 1, 3, 3), size), desc="size")

    return samples


def _mode_errors(bad_shape):
    def errors():
        yield from _interp_errors() if len(bad_shape) != 4 else ()
        yield ErrorSample((np.zeros(bad_shape),), {"size": 2}, error=NotImplementedError, match="needs")

    return errors


# -- pixel shuffle, unfold, fold ----------------------------------------------------------------------------------
def _pixel_shuffle_samples(rng):
    yield Sample((arr(rng, 1, 8, 2, 3), 2), desc="r=2")
    yield Sample((arr(rng, 9, 2, 2), 3), desc="unbatched, r=3")
    yield Sample((arr(rng, 2, 1, 4, 2, 2), 2), desc="extra leading dim")
    yield Sample((arr(rng, 1, 3, 2, 2), 1), desc="r=1")


def _pixel_shuffle_errors():
    yield ErrorSample((np.zeros((1, 7, 2, 2)), 2), match="divisible")
    yield ErrorSample((np.zeros((8, 2)), 2), match="at least 3")
    yield ErrorSample((np.zeros((1, 8, 2, 2)), 0), match="positive")


def _pixel_unshuffle_samples(rng):
    yield Sample((arr(rng, 1, 2, 4, 6), 2), desc="r=2")
    yield Sample((arr(rng, 1, 3, 3), 3), desc="unbatched, r=3")


def _pixel_unshuffle_errors():
    yield ErrorSample((np.zeros((1, 2, 5, 6)), 2), match="height")
    yield ErrorSample((np.zeros((1, 2, 4, 5)), 2), match="width")


def _channel_shuffle_samples(rng):
    yield Sample((arr(rng, 2, 6, 3), 3), desc="3-d")
    yield Sample((arr(rng, 2, 6, 3, 2), 2), desc="4-d")
    yield Sample((arr(rng, 1, 6, 1, 2, 2), 6), desc="5-d, groups = C")
    yield Sample((arr(rng, 4, 2, 2, 2, 2, 1), 1), desc="6-d, one group: identity")
    yield Sample((arr(rng, 0, 6, 2), 3), desc="zero batch")
    yield Sample((arr(rng, 2, 0, 2), 3), grad=(False,), desc="zero channels (PyTorch's backward fails there)")
    yield Sample((np.arange(12, dtype=np.int64).reshape(1, 4, 3), 2), desc="integer input")
    yield Sample((arr(rng, 2, 4, 3),), {"groups": 2}, desc="groups as a keyword")


def _channel_shuffle_errors():
    yield ErrorSample((np.zeros((2, 6)), 3), match="> 2 dims", desc="2-d input")
    yield ErrorSample((np.zeros((2, 6, 3)), 4), match="divisible", desc="C not divisible by groups")
    yield ErrorSample((np.zeros((2, 6, 3)), 0), match="positive", desc="groups 0")
    yield ErrorSample((np.zeros((2, 6, 3)), -2), match="positive", desc="negative groups")
    yield ErrorSample((np.zeros((2, 6, 3)), 2.0), error=TypeError, desc="float groups")
    yield ErrorSample((np.zeros((2, 6, 3)), True), error=TypeError, desc="bool groups")


def _unfold_samples(rng):
    yield Sample((arr(rng, 2, 2, 4, 4), 2), desc="2x2")
    yield Sample((arr(rng, 1, 2, 5, 4), (2, 3)), {"padding": 1, "stride": 2, "dilation": (2, 1)}, desc="settings")
    yield Sample((arr(rng, 3, 4, 4), 3), {"padding": 1}, desc="unbatched")


def _unfold_errors():
    yield ErrorSample((np.zeros((1, 3, 5, 5, 5)), 2), match="3D or 4D")
    yield ErrorSample((np.zeros((1, 3, 2, 2)), 3), match="at least one")


def _fold_samples(rng):
    yield Sample((arr(rng, 2, 8, 9), (4, 4), 2), {"stride": 1}, desc="overlapping windows")
    yield Sample((arr(rng, 1, 6, 6), (4, 5), (3, 2)), {"stride": 2, "padding": 1}, desc="settings")
    yield Sample((arr(rng, 4, 4), (3, 3), 2), desc="unbatched")


def _fold_errors():
    yield ErrorSample((np.zeros((2, 12, 8)), (4, 4), 2), match="sliding blocks")
    yield ErrorSample((np.zeros((2, 11, 9)), (4, 4), 2), match="divisible")


# -- affine_grid, grid_sample --------------------------------------------------------------------------------------
def _affine_grid_samples(rng):
    yield Sample((arr(rng, 2, 2, 3), (2, 1, 3, 4)), desc="2-d")
    yield Sample((arr(rng, 1, 2, 3), [1, 2, 4, 3]), {"align_corners": True}, desc="align_corners, size a list")
    yield Sample((arr(rng, 1, 3, 4), (1, 1, 2, 3, 2)), {"align_corners": False}, desc="3-d")
    yield Sample((arr(rng, 2, 3, 4), (2, 3, 3, 2, 4)), {"align_corners": True}, desc="3-d, align_corners")
    yield Sample((arr(rng, 1, 2, 3), (1, 1, 1, 4)), {"align_corners": False}, desc="2-d, unit height")
    yield Sample((arr(rng, 1, 3, 4), (1, 2, 1, 3, 1)), {"align_corners": False}, desc="3-d, unit depth and width")


def _affine_grid_errors():
    yield ErrorSample((np.zeros((2, 3, 3)), (2, 1, 3, 4)), error=ValueError, desc="3x3 theta for a 4-d size")
    yield ErrorSample((np.zeros((2, 2, 3)), (2, 1, 3, 4, 5)), error=ValueError, desc="2x3 theta for a 5-d size")
    yield ErrorSample((np.zeros((2, 2, 3)), (2, 1, 3)), error=NotImplementedError, desc="3-d size")
    yield ErrorSample((np.zeros((2, 2, 3)), (2, 1, 0, 4)), {"align_corners": False}, error=ValueError,
                      desc="zero size")
    yield ErrorSample((np.zeros((2, 2, 3), dtype=np.int64), (2, 1, 3, 4)), {"align_corners": False}, error=ValueError,
                      desc="integer theta")
    yield ErrorSample((np.zeros((2, 2, 3)), (3, 1, 3, 4)), {"align_corners": False}, match="batch",
                      desc="size[0] differs from theta's batch")
    yield ErrorSample((np.zeros((2, 2, 3)), (2, 1, 3.0, 4)), {"align_corners": False}, error=TypeError,
                      desc="float size")


def _grid_sample_samples(rng):
    for mode in ("bilinear", "nearest", "bicubic"):
        for pm in ("zeros", "border", "reflection"):
            for ac in (False, True):
                yield Sample((arr(rng, 1, 1, 3, 4), _offgrid(rng, (1, 2, 2, 2), (4, 3), ac)),
                             {"mode": mode, "padding_mode": pm, "align_corners": ac},
                             desc=f"{mode}, {pm}, align_corners={ac}", grad=(True, mode != "nearest"))
    for mode in ("bilinear", "nearest"):  # 5-d: trilinear or nearest (bicubic is 4-d only)
        for pm in ("zeros", "border", "reflection"):
            for ac in (False, True):
                yield Sample((arr(rng, 1, 1, 2, 2, 3), _offgrid(rng, (1, 1, 2, 2, 3), (3, 2, 2), ac)),
                             {"mode": mode, "padding_mode": pm, "align_corners": ac},
                             desc=f"5-d, {mode}, {pm}, align_corners={ac}", grad=(True, mode != "nearest"))
    yield Sample((arr(rng, 2, 2, 3, 3), _offgrid(rng, (2, 2, 2, 2), (3, 3), False)), {"align_corners": False},
                 desc="batch 2, two channels, default mode and padding")
    yield Sample((arr(rng, 1, 2, 1, 3), _offgrid(rng, (1, 2, 2, 2), (3, 1), True)),
                 {"padding_mode": "reflection", "align_corners": True}, desc="unit height, reflection")
    yield Sample((arr(rng, 1, 1, 3, 3), np.zeros((1, 0, 2, 2))), {"align_corners": False}, desc="empty output grid")


def _offgrid(rng, shape, sizes, align_corners):
    """Grid coordinates (x, y[, z] for sizes (W, H[, D])) whose pixel positions are >= 0.15 away from integers
    (and reflections of them)."""
    g = rng.uniform(-1.15, 1.15, size=shape)
    for axis, n in enumerate(sizes):
        c = g[..., axis]
        pix = (c + 1) * (n - 1) / 2 if align_corners else ((c + 1) * n - 1) / 2
        frac = pix - np.floor(pix)
        pix = np.floor(pix) + np.clip(frac, 0.15, 0.85)
        # also keep reflections about the borders off integers: 0.5 grid stays off for both conventions
        g[..., axis] = (pix * 2 / (n - 1) - 1 if n > 1 else c) if align_corners else (2 * pix + 1) / n - 1
    return g


def _grid_sample_errors():
    x, g = np.zeros((1, 2, 3, 4)), np.zeros((1, 2, 2, 2))
    yield ErrorSample((x, g), {"mode": "cubic"}, error=ValueError, desc="bad mode")
    yield ErrorSample((x, g), {"padding_mode": "wrap"}, error=ValueError, desc="bad padding_mode")
    yield ErrorSample((np.zeros((1, 2, 3, 4, 5)), np.zeros((1, 2, 2, 2, 3))), {"mode": "bicubic"},
                      match="bicubic", desc="bicubic on a 5-d input")
    yield ErrorSample((x, np.zeros((1, 2, 2, 2, 3))), match="same number of dimensions", desc="grid of 5 dims")
    yield ErrorSample((x, np.zeros((2, 2, 2, 2))), match="batch size", desc="batch sizes differ")
    yield ErrorSample((x, np.zeros((1, 2, 2, 3))), match="last dimension", desc="grid's last dim is 3 for 4-d")
    yield ErrorSample((np.zeros((1, 2, 0, 4)), g), match="non-empty spatial", desc="empty spatial dim")
    yield ErrorSample((x, g.astype(np.float32)), match="same dtype", desc="dtypes differ")
    yield ErrorSample((np.zeros((2, 3, 4)), np.zeros((2, 2, 2))), desc="3-d input")


OPS = [
    OpInfo("interpolate_nearest", *_interp("nearest"), _nearest_samples, _nearest_errors),
    OpInfo("interpolate_nearest_exact", *_interp("nearest-exact"), _nearest_samples, _exact_errors),
    OpInfo("interpolate_linear", *_interp("linear"), _linear_samples, _mode_errors((1, 2, 4, 4))),
    OpInfo("interpolate_bilinear", *_interp("bilinear"), _bilinear_samples, _mode_errors((1, 2, 4))),
    OpInfo("interpolate_bicubic", *_interp("bicubic"), _bicubic_samples, _mode_errors((1, 2, 4, 4, 4))),
    OpInfo("interpolate_trilinear", *_interp("trilinear"), _trilinear_samples, _mode_errors((1, 2, 4, 4))),
    OpInfo("interpolate_area", *_interp("area"), _area_samples, _exact_errors),
    OpInfo("upsample_nearest", V.upsample_nearest, _tf("upsample_nearest"), _upsample_samples(5), _both_errors),
    OpInfo("upsample_bilinear", V.upsample_bilinear, _tf("upsample_bilinear"), _upsample_samples((4, 5)),
           _both_errors),
    OpInfo("upsample", V.upsample, _tf("upsample"),
           lambda rng: (Sample((arr(rng, 1, 2, 2, 3),), {"scale_factor": 2, "mode": "bilinear"}),), _both_errors),
    OpInfo("pixel_shuffle", V.pixel_shuffle, _tf("pixel_shuffle"), _pixel_shuffle_samples, _pixel_shuffle_errors),
    OpInfo("pixel_unshuffle", V.pixel_unshuffle, _tf("pixel_unshuffle"), _pixel_unshuffle_samples,
           _pixel_unshuffle_errors),
    OpInfo("channel_shuffle", V.channel_shuffle, _tf("channel_shuffle"), _channel_shuffle_samples,
           _channel_shuffle_errors),
    OpInfo("native_channel_shuffle", V.native_channel_shuffle, _tf("channel_shuffle"), _channel_shuffle_samples,
           _channel_shuffle_errors,
           notes="PyTorch's native_channel_shuffle has no derivative; ours is channel_shuffle's: the oracle"),
    OpInfo("unfold", V.unfold, _tf("unfold"), _unfold_samples, _unfold_errors),
    OpInfo("fold", V.fold, _tf("fold"), _fold_samples, _fold_errors),
    OpInfo("affine_grid", GS.affine_grid, _tf("affine_grid"), _affine_grid_samples, _affine_grid_errors),
    OpInfo("grid_sample", GS.grid_sample, _tf("grid_sample"), _grid_sample_samples, _grid_sample_errors,
           notes="built from gather and arithmetic, so twice differentiable (PyTorch's is once in the grid)"),
]
