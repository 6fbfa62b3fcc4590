"""Registry entries for resampling ops (tensorlite/nn/functional/vision.py).

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
    yield Sample((arr(rng, 1, 2, 3), (1, 2, 4, 3)), {"align_corners": True}, desc="align_corners")
    yield Sample((arr(rng, 1, 3, 4), (1, 1, 2, 3, 2)), {"align_corners": False}, desc="3-d")


def _affine_grid_errors():
    yield ErrorSample((np.zeros((2, 3, 3)), (2, 1, 3, 4)), error=ValueError)


def _grid_sample_samples(rng):
    for mode in ("bilinear", "nearest", "bicubic"):
        for pm in ("zeros", "border", "reflection"):
            for ac in (False, True):
                yield Sample((arr(rng, 1, 2, 3, 4), _offgrid(rng, (1, 2, 3, 2), 4, 3, ac)),
                             {"mode": mode, "padding_mode": pm, "align_corners": ac},
                             desc=f"{mode}, {pm}, align_corners={ac}", grad=(True, mode != "nearest"))


def _offgrid(rng, shape, w, h, align_corners):
    """Grid coordinates whose pixel positions are >= 0.15 away from integers (and reflections of them)."""
    g = rng.uniform(-1.15, 1.15, size=shape)
    for axis, n in ((0, w), (1, h)):
        c = g[..., axis]
        pix = (c + 1) * (n - 1) / 2 if align_corners else ((c + 1) * n - 1) / 2
        frac = pix - np.floor(pix)
        pix = np.floor(pix) + np.clip(frac, 0.15, 0.85)
        # also keep reflections about the borders off integers: 0.5 grid stays off for both conventions
        g[..., axis] = pix * 2 / (n - 1) - 1 if align_corners else (2 * pix + 1) / n - 1
    return g


def _grid_sample_errors():
    yield ErrorSample((np.zeros((1, 2, 3, 4)), np.zeros((1, 2, 2, 2))), {"mode": "cubic"}, error=ValueError)
    yield ErrorSample((np.zeros((1, 2, 3, 4)), np.zeros((1, 2, 2, 2))), {"padding_mode": "wrap"}, error=ValueError)


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
    OpInfo("unfold", V.unfold, _tf("unfold"), _unfold_samples, _unfold_errors),
    OpInfo("fold", V.fold, _tf("fold"), _fold_samples, _fold_errors),
    OpInfo("affine_grid", GS.affine_grid, _tf("affine_grid"), _affine_grid_samples, _affine_grid_errors),
    OpInfo("grid_sample", GS.grid_sample, _tf("grid_sample"), _grid_sample_samples, _grid_sample_errors,
           notes="built from gather and arithmetic, so twice differentiable (PyTorch's is once in the grid)"),
]
