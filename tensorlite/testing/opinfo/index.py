"""Registry entries for indexing (tensorlite/ops/index.py, _scatter.py, _sorting.py).

Samples cover basic keys (ints incl. negative, slices with steps, None, `...`), advanced keys
(int arrays with repeated and negative indices, bool masks, lists, Python bools, 0-d index
tensors, empty results), combinations of both (PyTorch's placement rules), 0-d inputs and
zero-size dims. Index arrays are int64 (they become index tensors), masks bool. Where PyTorch's
result depends on the write order (scatter/index_copy/put with repeated indices), samples
avoid repeats; the accumulating ops get them on purpose.
"""
from __future__ import annotations

import numpy as np

from ...ops import index as I
from . import ErrorSample, OpInfo, Sample, arr

_S = slice


def _rows(rng, n, k, cols):
    """(k, cols) int64 index with distinct entries in each column, drawn from range(n) (no write collisions)."""
    return np.stack([rng.permutation(n)[:k] for _ in range(cols)], axis=1)


def _i(*v):
    return np.array(v, dtype=np.int64)


def _mask(rng, *shape, p=0.5):
    return rng.random(shape) < p


# -- x[key] ------------------------------------------------------------------------------------------------
def _getitem(x, key):
    return x[key]


def getitem_samples(rng):
    x = lambda: arr(rng, 4, 5, 3)  # noqa: E731
    yield Sample((x(), 1), desc="int")
    yield Sample((x(), -1), desc="negative int")
    yield Sample((x(), _S(1, 3)), desc="slice")
    yield Sample((x(), _S(None, None, 2)), desc="slice with step")
    yield Sample((x(), (_S(None), 2)), desc="slice, int")
    yield Sample((x(), (Ellipsis, 1)), desc="ellipsis, int")
    yield Sample((x(), (None, 0, Ellipsis, None)), desc="None, int, ellipsis, None")
    yield Sample((x(), (1, _S(0, 5, 3), -2)), desc="int, stepped slice, negative int")
    yield Sample((x(), _S(3, 1)), desc="empty slice")
    yield Sample((x(), ()), desc="empty tuple")
    yield Sample((x(), np.array(2)), desc="0-d index tensor selects")
    yield Sample((arr(rng), ()), desc="0-d input, ()")
    yield Sample((arr(rng), None), desc="0-d input, None")
    yield Sample((arr(rng), Ellipsis), desc="0-d input, ...")
    yield Sample((arr(rng, 0, 3), _S(None)), desc="zero-size input")
    yield Sample((arr(rng, 0, 3), (Ellipsis, 1)), desc="zero-size input, int")


def getitem_adv_samples(rng):
    x = lambda: arr(rng, 4, 5, 3)  # noqa: E731
    yield Sample((x(), _i(0, 2, 2, -1)), desc="repeated and negative indices")
    yield Sample((x(), (_S(None), _i(0, 1, 4, 4).reshape(2, 2))), desc="2-d index on dim 1")
    yield Sample((x(), (_i(0, 1), _S(None), _i(2, 0))), desc="separated indices: result dims first")
    yield Sample((x(), (_i(0, 3), _i(1, 1))), desc="adjacent indices")
    yield Sample((x(), (_i(1, 3).reshape(2, 1), _i(0, 4, 2))), desc="broadcast indices")
    yield Sample((x(), (1, _S(None), _i(0, 0, 2))), desc="int then index (int selects first)")
    yield Sample((x(), (_i(1, 2), 0, _i(0, 1))), desc="index, int, index")
    yield Sample((x(), _mask(rng, 4, 5)), desc="2-d mask")
    yield Sample((x(), (Ellipsis, _mask(rng, 3))), desc="ellipsis, mask")
    yield Sample((x(), (_mask(rng, 4), _S(1, 3))), desc="mask, slice")
    yield Sample((x(), (_mask(rng, 4, 5), None, _S(0, 2))), desc="2-d mask, None, slice")
    yield Sample((x(), [0, 2, 0]), desc="list index")
    yield Sample((x(), [True, False, True, True]), desc="bool list")
    yield Sample((x(), True), desc="True")
    yield Sample((x(), False), desc="False (empty result)")
    yield Sample((x(), (True, _i(0, 1))), desc="True with index")
    yield Sample((x(), np.zeros(0, dtype=np.int64)), desc="empty index")
    yield Sample((x(), np.zeros((4, 5), dtype=bool)), desc="all-False mask")
    yield Sample((x(), (_S(None, None, 2), _i(-1, 0))), desc="stepped slice then index")
    yield Sample((arr(rng), True), desc="0-d input, True")
    yield Sample((arr(rng), np.array(True)), desc="0-d input, 0-d mask")
    yield Sample((arr(rng, 0, 3), (_S(None), _i(2, 0))), desc="zero-size input, index")


def getitem_errors():
    x = np.zeros((4, 5, 3))
    yield ErrorSample((x, 4), error=IndexError, match="out of bounds for dimension 0 with size 4")
    yield ErrorSample((x, (0, -6)), error=IndexError, match="out of bounds")
    yield ErrorSample((x, (0, 0, 0, 0)), error=IndexError, match="too many indices")
    yield ErrorSample((x, _S(None, None, -1)), error=ValueError, match="step must be greater than zero")
    yield ErrorSample((x, _S(None, None, 0)), error=ValueError)
    yield ErrorSample((x, 1.5), error=IndexError)
    yield ErrorSample((x, np.array([0.0])), error=IndexError, match="long, int, byte or bool")
    yield ErrorSample((x, np.array([0], dtype=np.int16)), error=IndexError)
    yield ErrorSample((x, _i(0, 4)), error=IndexError, match="out of bounds")
    yield ErrorSample((x, (_S(None), _i(-6))), error=IndexError, match="out of bounds")
    yield ErrorSample((x, (_i(0, 1), _i(0, 1, 2))), error=IndexError, match="shape mismatch")
    yield ErrorSample((x, np.ones(3, dtype=bool)), error=IndexError, match="shape of the mask")
    yield ErrorSample((np.zeros(()), 0), error=IndexError, match="0-dim")


# -- writing -------------------------------------------------------------------------------------------------
def _setitem(x, key, value):
    y = x.clone()
    y[key] = value
    return y


def setitem_samples(rng):
    x = lambda: arr(rng, 4, 5, 3)  # noqa: E731
    yield Sample((x(), 1, arr(rng, 5, 3)), desc="int key, full value")
    yield Sample((x(), (_S(None), 2), 2.5), desc="Python float")
    yield Sample((x(), (Ellipsis, 0), 3), desc="Python int into float")
    yield Sample((x(), _S(1, 3), arr(rng, 3)), desc="broadcast value")
    yield Sample((x(), 0, arr(rng, 1, 5, 3)), desc="value with a leading 1")
    yield Sample((x(), _i(0, 2), arr(rng, 1, 5, 1)), desc="index key, broadcast value")
    yield Sample((x(), (_i(0, 1), _S(None), _i(2, 0)), arr(rng, 2, 5)), desc="separated indices")
    yield Sample((x(), (1, _S(None), _i(0, 2)), arr(rng, 5, 2)), desc="int then index")
    m = _mask(rng, 4, 5)
    yield Sample((x(), m, arr(rng, int(m.sum()), 3)), desc="mask, one row per hit")
    yield Sample((x(), m, arr(rng)), desc="mask, 0-d value")
    yield Sample((x(), (Ellipsis, None, 1), arr(rng, 1)), desc="None in key")
    yield Sample((x(), np.zeros(0, dtype=np.int64), arr(rng, 3)), desc="empty index")
    yield Sample((arr(rng), (), arr(rng)), desc="0-d input")
    yield Sample((arr(rng), Ellipsis, 1.5), desc="0-d input, number")


def setitem_errors():
    x = np.zeros((4, 5, 3))
    yield ErrorSample((x, 0, np.zeros(2)), error=RuntimeError)
    yield ErrorSample((x, _i(0, 1), np.zeros((3, 5, 3))), error=RuntimeError, match="shape mismatch")
    yield ErrorSample((x, 9, 1.0), error=IndexError, match="out of bounds")
    yield ErrorSample((x, 0, [1.0, 2.0]), error=TypeError)


def _index_put(x, indices, values, **kw):
    return x.index_put(indices, values, **kw)


def _index_put_(x, indices, values, **kw):
    return x.clone().index_put_(indices, values, **kw)


def index_put_samples(rng):
    x = lambda: arr(rng, 4, 3)  # noqa: E731
    yield Sample((x(), (_i(0, 2),), arr(rng, 2, 3)), desc="rows")
    yield Sample((x(), (_i(0, 2, 3), _i(1, 1, 0)), arr(rng, 3)), desc="elements")
    yield Sample((x(), (_i(0, 0, 3, 0),), arr(rng, 4, 3)), {"accumulate": True}, desc="repeated, accumulate")
    yield Sample((x(), (_i(1, 1), _i(2, 2)), arr(rng)), {"accumulate": True}, desc="same element twice, 0-d value")
    yield Sample((x(), (_mask(rng, 4, 3),), arr(rng)), desc="mask")
    yield Sample((x(), (_i(-1),), arr(rng, 3)), desc="negative index")
    yield Sample((arr(rng, 5), (np.array(2),), arr(rng)), {"accumulate": True}, desc="0-d index")


def index_put_errors():
    x = np.zeros((4, 3))
    yield ErrorSample((x, (_i(0),), np.zeros(3, dtype=np.float32)), error=RuntimeError, match="dtypes match")
    yield ErrorSample((x, (_i(0), _i(0), _i(0)), np.zeros(())), error=IndexError, match="too many indices")
    yield ErrorSample((x, (_i(4),), np.zeros(())), error=IndexError, match="out of bounds")
    yield ErrorSample((x, (_i(0, 1),), np.zeros((3, 3))), error=RuntimeError, match="shape mismatch")
    yield ErrorSample((x, (_i(0, 1),), np.zeros((3, 3))), {"accumulate": True}, error=RuntimeError)
    yield ErrorSample((x, (np.array([0.0]),), np.zeros(())), error=IndexError)


# -- take / put -------------------------------------------------------------------------------------------
def take_samples(rng):
    yield Sample((arr(rng, 3, 4), _i(0, -1, 5, 5, 11)), desc="repeated and negative")
    yield Sample((arr(rng, 3, 4), _i(1, 2, 3, 4).reshape(2, 2)), desc="2-d index")
    yield Sample((arr(rng), np.array(0)), desc="0-d")
    yield Sample((arr(rng, 3), np.zeros((0, 2), dtype=np.int64)), desc="empty index")


def take_errors():
    x = np.zeros((3, 4))
    yield ErrorSample((x, _i(12)), error=IndexError, match="out of range")
    yield ErrorSample((x, np.array([0], dtype=np.int32)), error=RuntimeError, match="long tensor")
    yield ErrorSample((np.zeros(0), _i(0)), error=IndexError)


def put_samples(rng):
    yield Sample((arr(rng, 3, 4), _i(0, -1, 5), arr(rng, 3)), desc="distinct positions")
    yield Sample((arr(rng, 3, 4), _i(0, 5, 5, 0), arr(rng, 2, 2)), {"accumulate": True}, desc="accumulate")
    yield Sample((arr(rng), np.array(0), arr(rng)), desc="0-d")


def put_errors():
    x = np.zeros((3, 4))
    yield ErrorSample((x, _i(0, 1), np.zeros(3)), error=IndexError, match="same number of elements")
    yield ErrorSample((x, _i(0, 1), np.zeros(2, dtype=np.float32)), error=RuntimeError, match="same dtype")
    yield ErrorSample((x, _i(0, 12), np.zeros(2)), error=IndexError, match="out of range")


# -- along a dim -------------------------------------------------------------------------------------------
def index_select_samples(rng):
    yield Sample((arr(rng, 3, 4), 1, _i(0, 3, 3)), desc="repeated")
    yield Sample((arr(rng, 3, 4), 0, _i(2, 0)), desc="dim 0")
    yield Sample((arr(rng, 2, 3, 4), -1, _i(1)), desc="negative dim")
    yield Sample((arr(rng, 3, 4), 1, np.array(2)), desc="0-d index")
    yield Sample((arr(rng), 0, _i(0)), desc="0-d input")
    yield Sample((arr(rng, 3, 4), 0, np.zeros(0, dtype=np.int64)), desc="empty index")


def index_select_errors():
    x = np.zeros((3, 4))
    yield ErrorSample((x, 1, _i(0, 1).reshape(1, 2)), error=IndexError, match="vector")
    yield ErrorSample((x, 1, np.array([0.0])), error=RuntimeError, match="int32 or int64")
    yield ErrorSample((x, 1, _i(4)), error=RuntimeError)
    yield ErrorSample((x, 1, _i(-1)), error=RuntimeError)  # PyTorch's 2-D last-dim kernel
    yield ErrorSample((x, 0, _i(-1)), error=IndexError)
    yield ErrorSample((x, 2, _i(0)), error=IndexError, match="Dimension out of range")


def index_add_samples(rng):
    yield Sample((arr(rng, 3, 4), 0, _i(0, 2, 0), arr(rng, 3, 4)), desc="repeated")
    yield Sample((arr(rng, 3, 4), 1, _i(3, 1), arr(rng, 3, 2)), {"alpha": 2.5}, desc="alpha")
    yield Sample((arr(rng, 3, 4), -2, np.array(1), arr(rng, 1, 4)), desc="0-d index")
    yield Sample((arr(rng), 0, np.array(0), arr(rng)), desc="0-d input")
    yield Sample((arr(rng, 3, 4), 0, np.zeros(0, dtype=np.int64), arr(rng, 0, 4)), desc="empty index")


def index_add_errors():
    x = np.zeros((3, 4))
    yield ErrorSample((x, 0, _i(0, 0), np.zeros((2, 4), dtype=np.float32)), error=RuntimeError, match="scalar type")
    yield ErrorSample((x, 0, _i(0, 0), np.zeros((2, 3))), error=RuntimeError, match="shape must match")
    yield ErrorSample((x, 0, _i(0, 0), np.zeros((3, 4))), error=RuntimeError, match="Number of indices")
    yield ErrorSample((x, 0, _i(0, 5), np.zeros((2, 4))), error=RuntimeError, match="out of bounds")
    yield ErrorSample((x, 0, _i(0, 1).reshape(1, 2), np.zeros((2, 4))), error=IndexError, match="vector")


def index_copy_samples(rng):
    yield Sample((arr(rng, 3, 4), 0, _i(2, 0), arr(rng, 2, 4)), desc="rows")
    yield Sample((arr(rng, 3, 4), -1, _i(3, 1, 0), arr(rng, 3, 3)), desc="negative dim")
    yield Sample((arr(rng), 0, _i(0), arr(rng)), desc="0-d input")


def index_copy_errors():
    x = np.zeros((3, 4))
    yield ErrorSample((x, 0, np.array([0], dtype=np.int32), np.zeros((1, 4))), error=RuntimeError, match="long")
    yield ErrorSample((x, 0, _i(-1), np.zeros((1, 4))), error=IndexError)
    yield ErrorSample((x, 0, _i(0), np.zeros((2, 4))), error=IndexError, match="Number of indices")


def index_fill_samples(rng):
    yield Sample((arr(rng, 3, 4), 1, _i(0, 2, 2), -1.5), desc="number, repeated index")
    yield Sample((arr(rng, 3, 4), 0, _i(2), arr(rng)), desc="0-d tensor value")
    yield Sample((arr(rng, 3, 4), 0, _i(-1), 0.5), desc="negative index")
    yield Sample((arr(rng, 3, 4), 1, np.array(1), 2.0), desc="0-d index")
    yield Sample((arr(rng), 0, _i(0), 5.0), desc="0-d input")


def index_fill_errors():
    x = np.zeros((3, 4))
    yield ErrorSample((x, 1, _i(0), np.zeros(1)), error=RuntimeError, match="0-dimensional value")
    yield ErrorSample((x, 1, np.array([0], dtype=np.int32), 1.0), error=IndexError, match="int64")
    yield ErrorSample((x, 1, _i(4), 1.0), error=IndexError, match="out of bounds")
    yield ErrorSample((x, 1, _i(0).reshape(1, 1), 1.0), error=RuntimeError)


# -- gather / scatter ------------------------------------------------------------------------------------------
def gather_samples(rng):
    yield Sample((arr(rng, 3, 4), 1, rng.integers(0, 4, (3, 5))), desc="repeats, wider than input")
    yield Sample((arr(rng, 3, 4), 0, rng.integers(0, 3, (2, 3))), desc="index smaller than input")
    yield Sample((arr(rng, 2, 3, 4), -1, rng.integers(0, 4, (2, 3, 2))), desc="3-d, negative dim")
    yield Sample((arr(rng), 0, np.array(0)), desc="0-d")
    yield Sample((arr(rng, 4), 0, np.array(3)), desc="0-d index into 1-d")
    yield Sample((arr(rng, 3, 4), 1, np.zeros((3, 0), dtype=np.int64)), desc="empty index")


def gather_errors():
    x = np.zeros((3, 4))
    yield ErrorSample((x, 1, np.zeros((3, 1))), error=RuntimeError, match="int32/int64")
    yield ErrorSample((x, 1, _i(4).reshape(1, 1)), error=RuntimeError, match="out of bounds")
    yield ErrorSample((x, 1, _i(-1).reshape(1, 1)), error=RuntimeError, match="out of bounds")
    yield ErrorSample((x, 1, np.zeros((4, 2), dtype=np.int64)), error=RuntimeError, match="no larger")
    yield ErrorSample((x, 1, np.zeros(2, dtype=np.int64)), error=RuntimeError, match="same number of dimensions")
    yield ErrorSample((x, 2, np.zeros((2, 2), dtype=np.int64)), error=IndexError)


def scatter_samples(rng):
    yield Sample((arr(rng, 3, 4), 0, _rows(rng, 3, 2, 4), arr(rng, 2, 4)), desc="dim 0")
    yield Sample((arr(rng, 3, 4), 1, _rows(rng, 4, 3, 2).T.copy(), arr(rng, 2, 3)), desc="dim 1, smaller index")
    yield Sample((arr(rng, 3, 4), -1, _rows(rng, 4, 4, 3).T.copy(), arr(rng, 3, 4)), desc="permutation")
    yield Sample((arr(rng), 0, np.array(0), arr(rng)), desc="0-d")
    yield Sample((arr(rng, 3, 4), 0, np.zeros((0, 4), dtype=np.int64), arr(rng, 0, 4)), desc="empty index")


def scatter_value_samples(rng):
    yield Sample((arr(rng, 3, 4), 0, rng.integers(0, 3, (2, 4)), 1.5), desc="number, repeats")
    yield Sample((arr(rng, 3, 4), 1, rng.integers(0, 4, (3, 1)), -2.0), desc="dim 1")
    yield Sample((arr(rng), 0, np.array(0), 3.0), desc="0-d")


def scatter_errors():
    x = np.zeros((3, 4))
    yield ErrorSample((x, 0, _i(0).reshape(1, 1), np.zeros((1, 1), dtype=np.float32)), error=RuntimeError)
    yield ErrorSample((x, 0, _i(0, 1).reshape(1, 2), np.zeros((1, 1))), error=RuntimeError, match="no larger")
    yield ErrorSample((x, 0, _i(3).reshape(1, 1), np.zeros((1, 1))), error=RuntimeError, match="out of bounds")
    yield ErrorSample((x, 0, np.zeros((1, 1)), np.zeros((1, 1))), error=RuntimeError)
    yield ErrorSample((x, 0, _i(0), np.zeros(1)), error=RuntimeError, match="same number of dimensions")
    yield ErrorSample((x, 2, _i(0).reshape(1, 1), np.zeros((1, 1))), error=IndexError)


def scatter_add_samples(rng):
    yield Sample((arr(rng, 3, 4), 0, rng.integers(0, 3, (5, 4)), arr(rng, 5, 4)), desc="repeats accumulate")
    yield Sample((arr(rng, 3, 4), 1, rng.integers(0, 4, (2, 6)), arr(rng, 2, 6)), desc="dim 1, smaller rows")
    yield Sample((arr(rng, 2, 3, 2), -2, rng.integers(0, 3, (2, 4, 2)), arr(rng, 2, 4, 2)), desc="3-d")
    yield Sample((arr(rng), 0, np.array(0), arr(rng)), desc="0-d")


def _scatter_reduce_samples(reduce):
    def samples(rng):
        lo, hi = (0.5, 1.5) if reduce == "prod" else (-2.0, 2.0)
        for inc in (True, False):
            kw = {"include_self": inc}
            yield Sample((arr(rng, 3, 4, low=lo, high=hi), 0, rng.integers(0, 3, (5, 4)),
                          arr(rng, 5, 4, low=lo, high=hi), reduce), kw, desc=f"repeats, include_self={inc}")
            yield Sample((arr(rng, 4, low=lo, high=hi), 0, _i(0, 0, 2), arr(rng, 3, low=lo, high=hi), reduce), kw,
                         desc=f"1-d, position 1 untouched, include_self={inc}")
        yield Sample((arr(rng, 3, low=lo, high=hi), 0, _i(1, 1), arr(rng, 2, low=lo, high=hi), reduce),
                     desc="two into one position")
        if reduce == "prod":
            x, s = arr(rng, 3, low=lo, high=hi), arr(rng, 4, low=lo, high=hi)
            x[2], s[0] = 0.0, 0.0
            yield Sample((x, 0, _i(0, 0, 1, 2), s, reduce), desc="exact zeros in input and src")
        yield Sample((arr(rng), 0, np.array(0), arr(rng), reduce), desc="0-d")
    return samples


def scatter_reduce_errors():
    x = np.zeros((3, 4))
    yield ErrorSample((x, 0, _i(0).reshape(1, 1), np.zeros((1, 1)), "add"), error=RuntimeError, match="reduce")
    yield ErrorSample((x, 0, _i(5).reshape(1, 1), np.zeros((1, 1)), "sum"), error=RuntimeError)


def legacy_reduce_samples(rng):
    yield Sample((arr(rng, 3, 4), 0, rng.integers(0, 3, (2, 4)), arr(rng, 2, 4)), {"reduce": "add"}, desc="add")
    yield Sample((arr(rng, 3, 4), 1, rng.integers(0, 4, (3, 2)), arr(rng, 3, 2)), {"reduce": "multiply"},
                 desc="multiply")


def take_along_dim_samples(rng):
    yield Sample((arr(rng, 3, 4), rng.integers(0, 4, (3, 2)), 1), desc="dim 1")
    yield Sample((arr(rng, 3, 4), rng.integers(0, 4, (1, 2)), 1), desc="broadcast index")
    yield Sample((arr(rng, 1, 4), rng.integers(0, 4, (3, 2)), -1), desc="broadcast input")
    yield Sample((arr(rng, 3, 4), rng.integers(0, 12, (5,))), desc="dim=None")
    yield Sample((arr(rng, 3, 4), rng.integers(0, 3, (2, 4)), 0), desc="dim 0, repeats")


def take_along_dim_errors():
    x = np.zeros((3, 4))
    yield ErrorSample((x, np.zeros((3, 1), dtype=np.int32), 1), error=RuntimeError, match="Long")
    yield ErrorSample((x, _i(0), 1), error=RuntimeError, match="same number of dimensions")
    yield ErrorSample((x, np.zeros((2, 1), dtype=np.int64), 1), error=RuntimeError)


# -- masks ---------------------------------------------------------------------------------------------------
def masked_fill_samples(rng):
    yield Sample((arr(rng, 3, 4), _mask(rng, 3, 4), 2.5), desc="number")
    yield Sample((arr(rng, 3, 4), _mask(rng, 4), arr(rng)), desc="broadcast mask, 0-d tensor value")
    yield Sample((arr(rng, 4), _mask(rng, 3, 4), -1.0), desc="mask broadcasts input")
    yield Sample((arr(rng, 3, 4), np.array(True), 0.5), desc="0-d mask")
    yield Sample((arr(rng), np.array(False), arr(rng)), desc="0-d")
    yield Sample((arr(rng, 0, 4), _mask(rng, 0, 4), 1.0), desc="zero-size")


def masked_fill_errors():
    x = np.zeros((3, 4))
    yield ErrorSample((x, np.zeros((3, 4)), 1.0), error=RuntimeError, match="boolean masks")
    yield ErrorSample((x, np.zeros((3, 4), dtype=bool), np.zeros(1)), error=RuntimeError, match="0-dimensional")
    yield ErrorSample((x, np.zeros(3, dtype=bool), 1.0), error=RuntimeError)


def masked_fill_inplace_errors():
    yield ErrorSample((np.zeros(4), np.zeros((3, 4), dtype=bool), 1.0), error=RuntimeError)


def masked_select_samples(rng):
    yield Sample((arr(rng, 3, 4), _mask(rng, 3, 4)), desc="same shape")
    yield Sample((arr(rng, 3, 4), _mask(rng, 4)), desc="broadcast mask")
    yield Sample((arr(rng, 4), _mask(rng, 2, 4)), desc="mask broadcasts input")
    yield Sample((arr(rng, 3, 4), np.zeros((3, 4), dtype=bool)), desc="empty result")
    yield Sample((arr(rng), np.array(True)), desc="0-d")


def masked_select_errors():
    yield ErrorSample((np.zeros((3, 4)), np.zeros((3, 4))), error=RuntimeError, match="BoolTensor")
    yield ErrorSample((np.zeros((3, 4)), np.zeros(3, dtype=bool)), error=RuntimeError)


def masked_scatter_samples(rng):
    yield Sample((arr(rng, 3, 4), _mask(rng, 3, 4), arr(rng, 12)), desc="source as long as input")
    yield Sample((arr(rng, 3, 4), _mask(rng, 4), arr(rng, 4, 5)), desc="broadcast mask, bigger 2-d source")
    yield Sample((arr(rng, 4), _mask(rng, 2, 4), arr(rng, 8)), desc="mask broadcasts input")
    yield Sample((arr(rng), np.array(True), arr(rng, 2)), desc="0-d")


def masked_scatter_errors():
    x = np.zeros((3, 4))
    yield ErrorSample((x, np.ones((3, 4), dtype=bool), np.zeros(5)), error=RuntimeError, match="Number of elements")
    yield ErrorSample((x, np.ones((3, 4), dtype=bool), np.zeros(12, dtype=np.float32)), error=RuntimeError)


# -- sorting and searching ------------------------------------------------------------------------------------
def sort_samples(rng):
    yield Sample((arr(rng, 3, 5),), desc="last dim")
    yield Sample((arr(rng, 3, 5), 0), desc="dim 0")
    yield Sample((arr(rng, 2, 3, 4),), {"dim": -2, "descending": True}, desc="descending, negative dim")
    yield Sample((arr(rng, 6),), {"stable": True, "descending": True}, desc="stable")
    yield Sample((rng.integers(0, 3, (8,)),), {"stable": True}, desc="ints with ties, stable")
    yield Sample((rng.integers(0, 3, (8,)),), {"stable": True, "descending": True}, desc="ties, descending")
    yield Sample((arr(rng),), desc="0-d")
    yield Sample((arr(rng, 0, 3),), desc="zero-size")


def sort_errors():
    yield ErrorSample((np.zeros((3, 4)), 2), error=IndexError)


def topk_samples(rng):
    yield Sample((arr(rng, 3, 5), 2), desc="largest")
    yield Sample((arr(rng, 3, 5), 3), {"dim": 0, "largest": False}, desc="smallest along dim 0")
    yield Sample((arr(rng, 70), 5), desc="long row (partition path)")
    yield Sample((arr(rng, 70), 4), {"largest": False}, desc="long row, smallest")
    yield Sample((arr(rng, 4), 0), desc="k = 0")
    yield Sample((arr(rng, 4), 4), desc="k = n")
    yield Sample((arr(rng), 1), desc="0-d")


def topk_errors():
    yield ErrorSample((np.zeros(3), 4), error=RuntimeError, match="out of range")
    yield ErrorSample((np.zeros(3), -1), error=RuntimeError)
    yield ErrorSample((np.zeros(3), 1.0), error=TypeError)


def nonzero_samples(rng):
    x = arr(rng, 3, 4)
    x[x < 0] = 0.0
    yield Sample((x,), desc="2-d")
    yield Sample((x,), {"as_tuple": True}, desc="as_tuple")
    yield Sample((_mask(rng, 2, 3, 2),), desc="bool 3-d")
    yield Sample((np.array(1.5),), desc="0-d")
    yield Sample((np.array(0.0),), {"as_tuple": True}, desc="0-d zero, as_tuple")
    yield Sample((np.zeros((0, 3)),), desc="zero-size")


def searchsorted_samples(rng):
    seq = np.sort(arr(rng, 6))
    yield Sample((seq, arr(rng, 2, 3)), desc="1-d boundaries", grad=(False, False))
    yield Sample((seq, np.concatenate([seq[:3], arr(rng, 2)])), {"right": True}, desc="right, exact hits",
                 grad=(False, False))
    yield Sample((seq, seq.copy()), {"side": "right", "out_int32": True}, desc="side, int32", grad=(False, False))
    yield Sample((np.sort(arr(rng, 2, 5), axis=-1), arr(rng, 2, 3)), desc="batched boundaries", grad=(False, False))
    yield Sample((seq, 0.25), desc="scalar value", grad=(False,))


def searchsorted_errors():
    yield ErrorSample((np.zeros((1, 3)), np.zeros((2, 1))), error=RuntimeError)
    yield ErrorSample((np.zeros(3), np.zeros(1)), {"side": "left", "right": True}, error=RuntimeError)


def bucketize_samples(rng):
    b = np.sort(arr(rng, 5))
    yield Sample((arr(rng, 3, 2), b), desc="values", grad=(False, False))
    yield Sample((np.concatenate([b, arr(rng, 2)]), b), {"right": True}, desc="right", grad=(False, False))


def bucketize_errors():
    yield ErrorSample((np.zeros(3), np.zeros((2, 2))), error=RuntimeError, match="1 dimension")


def unique_errors():
    yield ErrorSample((_i(1, 2).reshape(1, 2),), {"dim": 2}, error=IndexError)


def unique_samples(rng):
    a = rng.integers(0, 4, (3, 4))
    yield Sample((a,), desc="ints")
    yield Sample((a,), {"return_inverse": True, "return_counts": True}, desc="inverse and counts")
    yield Sample((np.round(arr(rng, 10), 1),), {"return_counts": True}, desc="floats", grad=(False,))
    yield Sample((rng.integers(0, 2, (4, 2)),), {"dim": 0, "return_inverse": True, "return_counts": True},
                 desc="rows")
    yield Sample((np.array(3),), {"return_inverse": True}, desc="0-d")


def unique_consecutive_samples(rng):
    yield Sample((_i(1, 1, 2, 2, 3, 1, 1, 2),), {"return_inverse": True, "return_counts": True}, desc="runs")
    yield Sample((rng.integers(0, 2, (3, 2)),), {"return_counts": True}, desc="2-d flattened")
    yield Sample((_i(1, 1, 2, 2, 1, 1).reshape(3, 2),), {"dim": 0, "return_inverse": True}, desc="rows")


def _torch():
    import torch  # noqa: PLC0415 - torch is the test oracle, imported only when checking

    return torch


def _quiet_torch(name):
    """torch.<name> with its UserWarnings silenced (deprecated reduce= on scatter, non-contiguous searchsorted)."""

    def call(*args, **kwargs):
        import warnings  # noqa: PLC0415

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return getattr(_torch(), name)(*args, **kwargs)

    return call


def _method(name):
    return lambda x, *a, **k: getattr(x, name)(*a, **k)


def _inplace_method(name):
    return lambda x, *a, **k: getattr(x.clone(), name)(*a, **k)


OPS = [
    OpInfo("getitem", _getitem, _getitem, getitem_samples, getitem_errors),
    OpInfo("getitem_advanced", _getitem, _getitem, getitem_adv_samples, getitem_errors),
    OpInfo("setitem", _setitem, _setitem, setitem_samples, setitem_errors),
    OpInfo("index_put", _index_put, _index_put, index_put_samples, index_put_errors),
    OpInfo("index_put_", _index_put_, _index_put_, index_put_samples),
    OpInfo("take", I.take, lambda *a, **k: _torch().take(*a, **k), take_samples, take_errors),
    OpInfo("put", I.put, lambda *a, **k: _torch().put(*a, **k), put_samples, put_errors),
    OpInfo("put_", _inplace_method("put_"), _inplace_method("put_"), put_samples),
    OpInfo("index_select", I.index_select, lambda *a, **k: _torch().index_select(*a, **k), index_select_samples,
           index_select_errors),
    OpInfo("index_add", I.index_add, lambda *a, **k: _torch().index_add(*a, **k), index_add_samples,
           index_add_errors),
    OpInfo("index_add_", _inplace_method("index_add_"), _inplace_method("index_add_"), index_add_samples),
    OpInfo("index_copy", I.index_copy, lambda *a, **k: _torch().index_copy(*a, **k), index_copy_samples,
           index_copy_errors),
    OpInfo("index_fill", I.index_fill, lambda *a, **k: _torch().index_fill(*a, **k), index_fill_samples,
           index_fill_errors),
    OpInfo("index_fill_", _inplace_method("index_fill_"), _inplace_method("index_fill_"), index_fill_samples),
    OpInfo("gather", I.gather, lambda *a, **k: _torch().gather(*a, **k), gather_samples, gather_errors),
    OpInfo("scatter", I.scatter, lambda *a, **k: _torch().scatter(*a, **k), scatter_samples, scatter_errors),
    OpInfo("scatter_value", I.scatter, lambda *a, **k: _torch().scatter(*a, **k), scatter_value_samples),
    OpInfo("scatter_", _inplace_method("scatter_"), _inplace_method("scatter_"), scatter_samples),
    OpInfo("scatter_legacy_reduce", I.scatter, _quiet_torch("scatter"), legacy_reduce_samples,
           differentiable=False),
    OpInfo("scatter_add", I.scatter_add, lambda *a, **k: _torch().scatter_add(*a, **k), scatter_add_samples,
           scatter_errors),
    OpInfo("scatter_add_", _inplace_method("scatter_add_"), _inplace_method("scatter_add_"), scatter_add_samples),
    *[OpInfo(f"scatter_reduce_{r}", I.scatter_reduce, lambda *a, **k: _torch().scatter_reduce(*a, **k),
             _scatter_reduce_samples(r), scatter_reduce_errors if r == "sum" else None)
      for r in ("sum", "prod", "mean", "amax", "amin")],
    OpInfo("take_along_dim", I.take_along_dim, lambda *a, **k: _torch().take_along_dim(*a, **k),
           take_along_dim_samples, take_along_dim_errors),
    OpInfo("masked_fill", I.masked_fill, lambda *a, **k: _torch().masked_fill(*a, **k), masked_fill_samples,
           masked_fill_errors),
    OpInfo("masked_fill_", _inplace_method("masked_fill_"), _inplace_method("masked_fill_"),
           lambda rng: (s for s in masked_fill_samples(rng) if "broadcasts input" not in s.desc),
           masked_fill_inplace_errors),
    OpInfo("masked_select", I.masked_select, lambda *a, **k: _torch().masked_select(*a, **k), masked_select_samples,
           masked_select_errors),
    OpInfo("masked_scatter", I.masked_scatter, lambda *a, **k: _torch().masked_scatter(*a, **k),
           masked_scatter_samples, masked_scatter_errors),
    OpInfo("sort", I.sort, lambda *a, **k: _torch().sort(*a, **k), sort_samples, sort_errors),
    OpInfo("argsort", I.argsort, lambda *a, **k: _torch().argsort(*a, **k), sort_samples, sort_errors,
           differentiable=False),
    OpInfo("msort", I.msort, lambda *a, **k: _torch().msort(*a, **k),
           lambda rng: (s for s in sort_samples(rng) if not s.kwargs and len(s.args) == 1)),
    OpInfo("topk", I.topk, lambda *a, **k: _torch().topk(*a, **k), topk_samples, topk_errors),
    OpInfo("nonzero", I.nonzero, lambda *a, **k: _torch().nonzero(*a, **k), nonzero_samples, differentiable=False),
    OpInfo("argwhere", I.argwhere, lambda *a, **k: _torch().argwhere(*a, **k),
           lambda rng: (s for s in nonzero_samples(rng) if not s.kwargs), differentiable=False),
    OpInfo("searchsorted", I.searchsorted, _quiet_torch("searchsorted"), searchsorted_samples, searchsorted_errors,
           differentiable=False),
    OpInfo("bucketize", I.bucketize, _quiet_torch("bucketize"), bucketize_samples, bucketize_errors,
           differentiable=False),
    OpInfo("unique", I.unique, lambda *a, **k: _torch().unique(*a, **k), unique_samples, unique_errors,
           differentiable=False),
    OpInfo("unique_consecutive", I.unique_consecutive, lambda *a, **k: _torch().unique_consecutive(*a, **k),
           unique_consecutive_samples, unique_errors, differentiable=False),
]
