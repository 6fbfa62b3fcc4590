"""Registry entries for the copying rearrangements: pad, repeat, tile, flip, roll.

Part of the "shape" group (collected by `shape.py`).
"""
from __future__ import annotations

import numpy as np

import tensorlite as tl
from tensorlite.ops.pad import pad

from . import ErrorSample, Sample, arr
from .shape import entry, torch_mod


def _m(name):
    return lambda x, *args, **kwargs: getattr(x, name)(*args, **kwargs)


def _t(name):
    return lambda *args, **kwargs: getattr(torch_mod(), name)(*args, **kwargs)


def _torch_pad(*args, **kwargs):
    return torch_mod().nn.functional.pad(*args, **kwargs)


# -- pad -----------------------------------------------------------------------------------------------------------
def _pad_samples(rng):
    yield Sample((arr(rng, 3, 4), (1, 2)), desc="last dim")
    yield Sample((arr(rng, 3, 4), (1, 0, 0, 2)), desc="two dims")
    yield Sample((arr(rng, 2, 3, 2), (1, 1, 0, 1, 2, 0)), {"value": 1.5}, desc="all dims, value")
    yield Sample((arr(rng, 3, 4), (-1, 2, 1, -2)), desc="negative pads crop")
    yield Sample((arr(rng, 3, 4), [-2, -2]), desc="crop to empty")
    yield Sample((arr(rng, 0, 3), (1, 1, 1, 0)), desc="zero-size")
    yield Sample((arr(rng), ()), desc="0-d, no padding")
    yield Sample((arr(rng, 3),), {"pad": (2, 1), "mode": "constant", "value": -1.0}, desc="keywords")
    for mode in ("reflect", "replicate", "circular"):
        yield Sample((arr(rng, 2, 5), (2, 1), mode), desc=f"{mode}, 2-D")
        yield Sample((arr(rng, 2, 2, 5), (1, 2), mode), desc=f"{mode}, batched 1-d")
        yield Sample((arr(rng, 2, 3, 4), (1, 2, 2, 1), mode), desc=f"{mode}, 3-D, 2 dims")
        yield Sample((arr(rng, 1, 2, 3, 4), (1, 1, 0, 2, 1, 1), mode), desc=f"{mode}, 4-D, 3 dims")
        yield Sample((arr(rng, 1, 1, 2, 3, 3), (1, 0, 2, 1, 1, 1), mode), desc=f"{mode}, batched 5-D")
        yield Sample((arr(rng, 1, 4, 5), (-1, 2, 2, -1), mode), desc=f"{mode}, negative pads")
        yield Sample((arr(rng, 0, 3, 4), (1, 1), mode), desc=f"{mode}, empty batch")
    yield Sample((arr(rng, 2, 4), (1, 1), "reflect", 0.0), desc="reflect with value 0")


def _pad_errors():
    yield ErrorSample((np.zeros((3, 4)), (1,)), match="divisible by 2")
    yield ErrorSample((np.zeros((3, 4)), (1, 1, 1, 1, 1, 1)), match="less than or equal to two times")
    yield ErrorSample((np.zeros((3, 4)), (-3, -2)), match="negative output size")
    yield ErrorSample((np.zeros((3, 4)), (4, 1), "reflect"), match="Padding size should be less than")
    yield ErrorSample((np.zeros((2, 2, 4)), (5, 1), "circular"), match="wrapping around more than once")
    yield ErrorSample((np.zeros((3, 4)), (1, 1), "foo"), error=NotImplementedError)
    yield ErrorSample((np.zeros((2, 4)), (1, 1), "reflect", 1.0), match="doesn't take in value")
    yield ErrorSample((np.zeros(4), (1, 1), "replicate"), error=NotImplementedError)
    yield ErrorSample((np.zeros((2, 4)), (1, 1, 1, 1), "reflect"), error=NotImplementedError)
    yield ErrorSample((np.zeros((2, 0, 4)), (1, 1), "replicate"), match="non-zero dimensions")
    yield ErrorSample((np.zeros((3, 4)), (1.0, 1)), error=TypeError)


# -- repeat and tile --------------------------------------------------------------------------------------------------
def _repeat_samples(rng):
    yield Sample((arr(rng, 2, 3), 2, 1))
    yield Sample((arr(rng, 2, 3), (2, 1, 3)), desc="tuple, new leading dim")
    yield Sample((arr(rng, 3), 0, 2), desc="zero repeats")
    yield Sample((arr(rng), 2, 3), desc="0-d")
    yield Sample((arr(rng), ()), desc="0-d, no repeats")
    yield Sample((arr(rng, 0, 2), 2, 2), desc="zero-size")
    yield Sample((arr(rng, 2, 3),), {"repeats": [1, 2]}, desc="keyword")


def _repeat_errors():
    yield ErrorSample((np.zeros((2, 3)), 2), match="can not be smaller")
    yield ErrorSample((np.zeros((2, 3)), 2, -1), match="negative dimension")


def _tile_samples(rng):
    yield Sample((arr(rng, 2, 3), (2,)), desc="fewer dims than the tensor")
    yield Sample((arr(rng, 2, 3), (2, 1, 2)), desc="more dims")
    yield Sample((arr(rng, 3), ()), desc="empty dims")
    yield Sample((arr(rng), (3,)), desc="0-d")


def _tile_errors():
    yield ErrorSample((np.zeros((2, 3)), (2, -1)), match="negative dimension")


def _tile_method(x, dims):
    return x.tile(*dims)


def _tile_method_samples(rng):
    return [s for s in _tile_samples(rng) if s.args[1]]


# -- flip and roll ----------------------------------------------------------------------------------------------------
def _flip_samples(rng):
    yield Sample((arr(rng, 2, 3, 4), (0,)))
    yield Sample((arr(rng, 2, 3, 4), (0, 2)))
    yield Sample((arr(rng, 2, 3, 4), [-1]), desc="negative dim, list")
    yield Sample((arr(rng, 2, 3), ()), desc="no dims")
    yield Sample((arr(rng), (0,)), desc="0-d")
    yield Sample((arr(rng, 0, 3), (1,)), desc="zero-size")


def _flip_errors():
    yield ErrorSample((np.zeros((2, 3)), (0, 0)), match="appears multiple times")
    yield ErrorSample((np.zeros((2, 3)), (2,)), error=IndexError)


def _flip_method_samples(rng):
    yield Sample((arr(rng, 2, 3, 4), 0, 2), desc="x.flip(0, 2)")
    yield Sample((arr(rng, 2, 3, 4), 1), desc="x.flip(1)")
    yield Sample((arr(rng, 2, 3, 4), (0, 1)), desc="x.flip((0, 1))")


def _roll_samples(rng):
    yield Sample((arr(rng, 3, 4), 1), desc="flattened")
    yield Sample((arr(rng, 3, 4), 1, 0))
    yield Sample((arr(rng, 3, 4), (1, -2), (0, 1)), desc="two dims")
    yield Sample((arr(rng, 3, 4), -7, -1), desc="shift past the size")
    yield Sample((arr(rng), 1), desc="0-d")
    yield Sample((arr(rng, 0, 3), 1, 1), desc="zero-size")
    yield Sample((arr(rng, 3, 4),), {"shifts": [2], "dims": [1]}, desc="keywords")


def _roll_errors():
    yield ErrorSample((np.zeros((3, 4)), (1, 2)), match="must align")
    yield ErrorSample((np.zeros((3, 4)), (1, 2), (0,)), match="must align")
    yield ErrorSample((np.zeros((3, 4)), 1, 2), error=IndexError)
    yield ErrorSample((np.zeros(()), 1, 0), error=IndexError)


OPS = [
    entry("pad", pad, _torch_pad, _pad_samples, _pad_errors),
    entry("Tensor.repeat", _m("repeat"), _m("repeat"), _repeat_samples, _repeat_errors),
    entry("tile", tl.tile, _t("tile"), _tile_samples, _tile_errors),
    entry("Tensor.tile", _tile_method, _tile_method, _tile_method_samples, _tile_errors),
    entry("flip", tl.flip, _t("flip"), _flip_samples, _flip_errors),
    entry("Tensor.flip", _m("flip"), _m("flip"), _flip_method_samples,
          lambda: [ErrorSample((np.zeros((2, 3)), 0, 0), match="appears multiple times")]),
    entry("fliplr", tl.fliplr, _t("fliplr"), lambda rng: [Sample((arr(rng, 2, 3),)), Sample((arr(rng, 2, 3, 2),))],
          lambda: [ErrorSample((np.zeros(3),), match="2-d")]),
    entry("flipud", tl.flipud, _t("flipud"), lambda rng: [Sample((arr(rng, 3),)), Sample((arr(rng, 2, 3),))],
          lambda: [ErrorSample((np.zeros(()),), match="1-d")]),
    entry("roll", tl.roll, _t("roll"), _roll_samples, _roll_errors),
]
