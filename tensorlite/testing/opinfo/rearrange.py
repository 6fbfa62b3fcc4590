"""Registry entries for tensorlite/ops/rearrange.py: select, rot90, repeat_interleave, diff, meshgrid and
cartesian_prod (unfold's entry lives with the shape group).
"""
from __future__ import annotations

import warnings

import numpy as np

from ...ops import rearrange as R
from . import ErrorSample, OpInfo, Sample, arr
from ._common import _t, _torch, _z
from ._not_tensor import add_not_tensor_errors


def _select_samples(rng):
    yield Sample((arr(rng, 3, 4), 0, 1), desc="dim 0")
    yield Sample((arr(rng, 3, 4), -1, -1), desc="dim -1, index -1")
    yield Sample((arr(rng, 2, 3, 4), 1, 2), desc="3-d")
    yield Sample((arr(rng, 5), 0, 3), desc="1-d: a 0-d result")
    yield Sample((arr(rng, 0, 3), 1, 0), desc="zero-size")


def _select_errors():
    yield ErrorSample((_z(), 0, 0), error=IndexError, desc="0-d input")
    yield ErrorSample((_z(3, 4), 0, 3), error=IndexError, desc="index out of range")
    yield ErrorSample((_z(3, 4), 1, -5), error=IndexError, desc="negative index out of range")
    yield ErrorSample((_z(3, 4), 2, 0), error=IndexError, desc="dim out of range")


def _rot90_samples(rng):
    x = arr(rng, 3, 4)
    for k in (1, 2, 3, 0, -1, 5):
        yield Sample((x, k), desc=f"k={k}")
    yield Sample((arr(rng, 2, 3, 4), 1, (1, 2)), desc="3-d, dims (1, 2)")
    yield Sample((arr(rng, 2, 3, 4), 1, [-1, 0]), desc="dims (-1, 0)")
    yield Sample((arr(rng, 0, 3), 1), desc="zero-size")


def _rot90_errors():
    yield ErrorSample((_z(3), 1), desc="1-d input")
    yield ErrorSample((_z(3, 4), 1, (0, 0)), desc="equal dims")
    yield ErrorSample((_z(3, 4, 2), 1, (0, 1, 2)), desc="three dims")
    yield ErrorSample((_z(3, 4), 1, (0, 2)), error=IndexError, desc="dim out of range")


def _repeat_interleave_samples(rng):
    yield Sample((arr(rng, 2, 3), 2), desc="int repeats, flattened")
    yield Sample((arr(rng, 2, 3), 3, 1), desc="int repeats along dim 1")
    yield Sample((arr(rng, 3, 2), np.array([1, 0, 2]), 0), desc="a count per row")
    yield Sample((arr(rng, 3, 2), np.array([2]), -1), desc="one-element repeats tensor")
    yield Sample((arr(rng, 3, 2), np.array(2), 0), desc="0-d repeats tensor")
    yield Sample((arr(rng, 3, 2), np.array([1, 2, 1]), 0), {"output_size": 4}, desc="output_size")
    yield Sample((arr(rng), 3), desc="0-d input")
    yield Sample((arr(rng, 0, 2), 2, 0), desc="zero-size")
    yield Sample((np.array([2, 0, 1]),), desc="counts only: indices repeated")
    yield Sample((np.array([[1, 2], [3, 4]]), 2, 0), desc="int64 input")


def _repeat_interleave_errors():
    yield ErrorSample((_z(3, 2), np.array([1, -1, 2]), 0), desc="negative repeats")
    yield ErrorSample((_z(3, 2), np.array([1, 2]), 0), desc="repeats of the wrong length")
    yield ErrorSample((_z(3, 2), np.ones((3, 1), dtype=np.int64), 0), desc="2-d repeats")
    yield ErrorSample((_z(3, 2), 2, 2), error=IndexError, desc="dim out of range")
    yield ErrorSample((np.array([[1, 2]]),), desc="counts only: 2-d")


def _diff_samples(rng):
    yield Sample((arr(rng, 3, 5),), desc="last dim")
    yield Sample((arr(rng, 3, 5), 2), desc="n=2")
    yield Sample((arr(rng, 4, 3), 1, 0), desc="dim 0")
    yield Sample((arr(rng, 3, 4), 1, -1, arr(rng, 3, 2), arr(rng, 3, 1)), desc="prepend and append")
    yield Sample((arr(rng, 3, 4),), {"append": arr(rng, 3, 1), "n": 3}, desc="append, n=3")
    yield Sample((arr(rng, 3), 5), desc="n larger than the size")
    yield Sample((arr(rng, 3), 0), desc="n=0")
    yield Sample((arr(rng, 0),), desc="empty")
    yield Sample((np.array([True, True, False, True]),), desc="bool: !=")
    yield Sample((np.array([[1, 4, 9], [2, 2, 0]]),), desc="int64")


def _diff_errors():
    yield ErrorSample((_z(),), desc="0-d input")
    yield ErrorSample((_z(3, 4), 1, -1, _z(2)), desc="prepend of another rank")
    yield ErrorSample((_z(3, 4), 1, 2), error=IndexError, desc="dim out of range")


def _meshgrid(*tensors, **kwargs):
    with warnings.catch_warnings():  # without indexing=, torch.meshgrid warns that it will be required
        warnings.simplefilter("ignore")
        return _torch().meshgrid(*tensors, **kwargs)


def _meshgrid_samples(rng):
    yield Sample((arr(rng, 3), arr(rng, 4)), {"indexing": "ij"}, desc="ij")
    yield Sample((arr(rng, 3), arr(rng, 4)), {"indexing": "xy"}, desc="xy")
    yield Sample((arr(rng, 2), arr(rng, 3), arr(rng, 4)), {"indexing": "xy"}, desc="three, xy")
    yield Sample((arr(rng, 2), arr(rng, 3)), desc="default (ij)")
    yield Sample(([arr(rng, 2), arr(rng, 3)],), {"indexing": "ij"}, desc="a list")
    yield Sample((arr(rng), arr(rng, 3)), {"indexing": "xy"}, desc="0-d input")
    yield Sample((arr(rng, 3),), {"indexing": "xy"}, desc="one tensor")
    yield Sample((arr(rng, 0), arr(rng, 2)), {"indexing": "ij"}, desc="empty input")


def _meshgrid_errors():
    yield ErrorSample((_z(2, 2), _z(3)), {"indexing": "ij"}, desc="2-d input")
    yield ErrorSample((_z(2), _z(3, dtype=np.float32)), {"indexing": "ij"}, desc="dtypes differ")
    yield ErrorSample((_z(2), _z(3)), {"indexing": "yx"}, desc="unknown indexing")
    yield ErrorSample((), {"indexing": "ij"}, desc="no tensors")


def _cartesian_prod_samples(rng):
    yield Sample((arr(rng, 3), arr(rng, 2)), desc="two")
    yield Sample((arr(rng, 2), arr(rng, 2), arr(rng, 3)), desc="three")
    yield Sample((arr(rng, 3),), desc="one")
    yield Sample((arr(rng, 0), arr(rng, 2)), desc="empty")
    yield Sample((np.array([1, 2]), np.array([3, 4, 5])), desc="int64")


def _cartesian_prod_errors():
    yield ErrorSample((_z(2, 2), _z(3)), desc="2-d input")


OPS = [
    OpInfo("select", R.select, _t("select"), _select_samples, _select_errors),
    OpInfo("rot90", R.rot90, _t("rot90"), _rot90_samples, _rot90_errors),
    OpInfo("repeat_interleave", R.repeat_interleave, _t("repeat_interleave"), _repeat_interleave_samples,
           _repeat_interleave_errors),
    OpInfo("diff", R.diff, _t("diff"), _diff_samples, _diff_errors),
    OpInfo("meshgrid", R.meshgrid, _meshgrid, _meshgrid_samples, _meshgrid_errors),
    OpInfo("cartesian_prod", R.cartesian_prod, _t("cartesian_prod"), _cartesian_prod_samples,
           _cartesian_prod_errors),
]

add_not_tensor_errors(OPS, {"select": (0, 0), "rot90": (), "repeat_interleave": (2,), "diff": (),
                            "meshgrid": ((), {"indexing": "ij"}), "cartesian_prod": ()})
