"""Registry entries for splitting and joining: narrow, split, chunk, tensor_split, unbind, cat, stack, ...

Part of the "shape" group (collected by `shape.py`).
"""
from __future__ import annotations

import numpy as np

import tensorlite as tl

from . import ErrorSample, Sample, arr
from .shape import entry, torch_mod


def _m(name):
    return lambda x, *args, **kwargs: getattr(x, name)(*args, **kwargs)


def _t(name):
    return lambda *args, **kwargs: getattr(torch_mod(), name)(*args, **kwargs)


# -- narrow and the splits -----------------------------------------------------------------------------------------
def _narrow_samples(rng):
    yield Sample((arr(rng, 3, 4), 1, 1, 2))
    yield Sample((arr(rng, 3, 4), 0, -2, 2), desc="negative start")
    yield Sample((arr(rng, 3, 4), -1, 4, 0), desc="empty at the end")
    yield Sample((arr(rng, 3, 4), 1, 0, 4), desc="everything")
    yield Sample((arr(rng, 0, 4), 1, 1, 2), desc="zero-size")


def _narrow_errors():
    yield ErrorSample((np.zeros((3, 4)), 1, 3, 2), match="exceeds dimension size")
    yield ErrorSample((np.zeros((3, 4)), 1, 5, 0), error=IndexError)
    yield ErrorSample((np.zeros(()), 0, 0, 1), match="0-dim")
    yield ErrorSample((np.zeros((3, 4)), 1, 1, -1), match="non-negative")
    yield ErrorSample((np.zeros((3, 4)), 2, 0, 1), error=IndexError)


def _split_samples(rng):
    yield Sample((arr(rng, 5, 3), 2), desc="last piece smaller")
    yield Sample((arr(rng, 5, 3), [1, 1, 3]), desc="sizes")
    yield Sample((arr(rng, 3, 5), 2, 1))
    yield Sample((arr(rng, 3, 5), (2, 0, 3), -1), desc="sizes with an empty piece, negative dim")
    yield Sample((arr(rng, 3, 5), 10, 1), desc="one piece")
    yield Sample((arr(rng, 3, 5),), {"dim": 1, "split_size_or_sections": 3}, desc="keywords")
    yield Sample((arr(rng, 0, 3), 2), desc="zero-size")
    yield Sample((arr(rng, 0, 3), 0), desc="zero-size, split_size 0")


def _split_errors():
    yield ErrorSample((np.zeros(()), 1), match="at least a 1-dimensional")
    yield ErrorSample((np.zeros(5), 0), match="split_size can only be 0")
    yield ErrorSample((np.zeros(5), -1), match="non-negative")
    yield ErrorSample((np.zeros(5), [1, 2]), match="sum exactly to 5")
    yield ErrorSample((np.zeros(5), [6, -1]), match="non-negative")
    yield ErrorSample((np.zeros(5), 2, 1), error=IndexError)


def _chunk_samples(rng):
    yield Sample((arr(rng, 5, 3), 2))
    yield Sample((arr(rng, 6, 3), 4), desc="fewer chunks than asked")
    yield Sample((arr(rng, 3, 5), 3, 1))
    yield Sample((arr(rng, 3, 5), 9, -1), desc="more chunks than elements")
    yield Sample((arr(rng, 0, 3), 3), desc="zero-size: all pieces empty")
    yield Sample((arr(rng, 3, 0), 2, 1), desc="zero-size dim")


def _chunk_errors():
    yield ErrorSample((np.zeros(5), 0), match="greater than 0")
    yield ErrorSample((np.zeros(()), 1), match="at least a 1-dimensional")
    yield ErrorSample((np.zeros(5), 1, 1), error=IndexError)


def _tensor_split_samples(rng):
    yield Sample((arr(rng, 7, 3), 3), desc="sections")
    yield Sample((arr(rng, 3, 7), [1, 3, 10], 1), desc="indices past the end")
    yield Sample((arr(rng, 3, 7), [5, 2], 1), desc="decreasing indices: overlapping pieces")
    yield Sample((arr(rng, 3, 4), [-1], -1), desc="negative index")
    yield Sample((arr(rng, 2, 3), 4, 1), desc="more sections than elements")
    yield Sample((arr(rng, 0, 3), 2), desc="zero-size")


def _tensor_split_errors():
    yield ErrorSample((np.zeros(5), 0), match="larger than 0")
    yield ErrorSample((np.zeros(()), 1), match="at least a 1-dimensional")


def _hvd_samples(dims):
    def samples(rng):
        shape = (4, 4, 2)[:dims]
        yield Sample((arr(rng, *shape), 2))
        yield Sample((arr(rng, *shape), [1, 3]))
    return samples


def _hsplit_errors():
    yield ErrorSample((np.zeros((3, 4)), 3), match="not divisible")


def _vsplit_errors():
    yield ErrorSample((np.zeros(4), 2), match="at least 2 dimension")


def _dsplit_errors():
    yield ErrorSample((np.zeros((2, 2)), 2), match="at least 3 dimension")


def _unbind_samples(rng):
    yield Sample((arr(rng, 3, 4),))
    yield Sample((arr(rng, 3, 4), 1))
    yield Sample((arr(rng, 3, 4), -1), desc="negative dim")
    yield Sample((arr(rng, 2, 0),), desc="zero-size pieces")
    yield Sample((arr(rng, 1),), desc="0-d pieces")


def _unbind_errors():
    yield ErrorSample((np.zeros(()),), error=IndexError)
    yield ErrorSample((np.zeros((2, 3)), 2), error=IndexError)


# -- cat and stack ---------------------------------------------------------------------------------------------
def _cat_samples(rng):
    yield Sample(([arr(rng, 2, 3), arr(rng, 4, 3)],))
    yield Sample(([arr(rng, 2, 3), arr(rng, 2, 1), arr(rng, 2, 2)], 1))
    yield Sample(((arr(rng, 2, 3), arr(rng, 2, 1)), -1), desc="tuple, negative dim")
    yield Sample(([arr(rng, 2, 3)],), desc="one tensor: a copy")
    yield Sample(([arr(rng, 0, 3), arr(rng, 2, 3)],), desc="zero-size")
    yield Sample(([arr(rng, 0), arr(rng, 2, 3), arr(rng, 0)], 1), grad=(False, True, False),
                 desc="legacy empty 1-D tensors are skipped")
    yield Sample(([arr(rng, 2, 3), rng.integers(-3, 3, (2, 2))], 1), desc="int64 promoted to float")
    yield Sample(([arr(rng, 3)] * 2,), {"dim": 0}, desc="keyword dim")


def _cat_errors():
    yield ErrorSample(([],), error=ValueError)
    yield ErrorSample(([np.zeros((2, 3)), np.zeros((3, 2))],), match="Sizes of tensors must match")
    yield ErrorSample(([np.zeros((2, 3)), np.zeros(2)],), match="same number of dimensions")
    yield ErrorSample(([np.zeros((2, 3)), np.zeros(())],), match="zero-dimensional")
    yield ErrorSample(([np.zeros((2, 3))], 2), error=IndexError)
    yield ErrorSample((np.zeros((2, 3)),), error=TypeError)


def _concatenate_samples(rng):
    yield Sample(([arr(rng, 2, 3), arr(rng, 2, 1)],), {"axis": 1})
    yield Sample(([arr(rng, 2, 3), arr(rng, 2, 1)], -1))


def _stack_samples(rng):
    for dim in (0, 1, 2, -1, -3):
        yield Sample(([arr(rng, 2, 3), arr(rng, 2, 3)], dim))
    yield Sample(([arr(rng), arr(rng), arr(rng)],), desc="0-d")
    yield Sample(((arr(rng, 0, 2), arr(rng, 0, 2)), 1), desc="zero-size tuple")
    yield Sample(([arr(rng, 3), rng.integers(-3, 3, 3)],), desc="int64 promoted")
    yield Sample(([arr(rng, 2)],), {"dim": -1}, desc="one tensor, keyword")


def _stack_errors():
    yield ErrorSample(([np.zeros((2, 3)), np.zeros((2, 4))],), match="equal size")
    yield ErrorSample(([],), match="non-empty")
    yield ErrorSample(([np.zeros((2, 3))], 3), error=IndexError)


def _stack_like_samples(rng):
    yield Sample(([arr(rng), arr(rng)],), desc="0-d")
    yield Sample(([arr(rng, 3), arr(rng, 3)],), desc="1-D")
    yield Sample(([arr(rng, 2, 3), arr(rng, 2, 3)],), desc="2-D")
    yield Sample(((arr(rng, 2, 3, 2), arr(rng, 2, 3, 2)),), desc="3-D tuple")


def _column_stack_samples(rng):
    yield Sample(([arr(rng, 3), arr(rng, 3, 2)],))
    yield Sample(([arr(rng), arr(rng)],), desc="0-d")


def _stack_like_errors():
    yield ErrorSample(([],), match="non-empty")


OPS = [
    entry("narrow", tl.narrow, _t("narrow"), _narrow_samples, _narrow_errors),
    entry("split", tl.split, _t("split"), _split_samples, _split_errors),
    entry("Tensor.split", _m("split"), _m("split"), lambda rng: [s for s in _split_samples(rng) if not s.kwargs],
          _split_errors),
    entry("Tensor.split_with_sizes", _m("split_with_sizes"), _m("split_with_sizes"),
          lambda rng: [Sample((arr(rng, 5, 2), [2, 3])), Sample((arr(rng, 2, 5), (4, 1), 1))],
          lambda: [ErrorSample((np.zeros(5), [2, 2]), match="sum exactly to 5")]),
    entry("chunk", tl.chunk, _t("chunk"), _chunk_samples, _chunk_errors),
    entry("Tensor.chunk", _m("chunk"), _m("chunk"), _chunk_samples, _chunk_errors),
    entry("tensor_split", tl.tensor_split, _t("tensor_split"), _tensor_split_samples, _tensor_split_errors),
    entry("hsplit", tl.hsplit, _t("hsplit"), _hvd_samples(2), _hsplit_errors),
    entry("vsplit", tl.vsplit, _t("vsplit"), _hvd_samples(2), _vsplit_errors),
    entry("dsplit", tl.dsplit, _t("dsplit"), _hvd_samples(3), _dsplit_errors),
    entry("unbind", tl.unbind, _t("unbind"), _unbind_samples, _unbind_errors),
    entry("cat", tl.cat, _t("cat"), _cat_samples, _cat_errors),
    entry("concat", tl.concat, _t("concat"), _cat_samples, _cat_errors),
    entry("concatenate", tl.concatenate, _t("concatenate"), _concatenate_samples,
          lambda: [ErrorSample(([np.zeros((2, 3)), np.zeros((3, 2))],), {"axis": 1}, match="Sizes of tensors")]),
    entry("stack", tl.stack, _t("stack"), _stack_samples, _stack_errors),
    entry("hstack", tl.hstack, _t("hstack"), _stack_like_samples, _stack_like_errors),
    entry("vstack", tl.vstack, _t("vstack"), _stack_like_samples, _stack_like_errors),
    entry("row_stack", tl.row_stack, _t("vstack"), _stack_like_samples, _stack_like_errors),
    entry("dstack", tl.dstack, _t("dstack"), _stack_like_samples, _stack_like_errors),
    entry("column_stack", tl.column_stack, _t("column_stack"), _column_stack_samples, _stack_like_errors),
]
