"""Registry entries for linear algebra: matmul and its named forms, fused add-multiply forms,
outer products, tensordot, kron, cross and einsum.

Shapes cover PyTorch's matmul cases (1-D/2-D/batched, broadcast batch dims, size-1 and zero-size
dims); dtype-mismatch errors use an int64 operand against a float one, so they hold in every
tested float dtype.
"""
from __future__ import annotations

import numpy as np

import tensorlite as tl

from . import ErrorSample, OpInfo, Sample, arr

# (shape of a, shape of b) for matmul: every dimensionality PyTorch distinguishes.
MATMUL_SHAPES = [
    ((3, 4), (4, 5), "2-D x 2-D"),
    ((4,), (4,), "1-D x 1-D (dot)"),
    ((3, 4), (4,), "2-D x 1-D"),
    ((4,), (4, 5), "1-D x 2-D"),
    ((2, 3, 4), (4, 5), "batched x 2-D"),
    ((3, 4), (2, 4, 5), "2-D x batched"),
    ((2, 3, 4), (2, 4, 5), "batched x batched"),
    ((2, 1, 3, 4), (3, 4, 2), "broadcast batch dims"),
    ((1, 3, 4), (2, 4, 2), "size-1 batch dim"),
    ((4,), (2, 4, 3), "1-D x batched"),
    ((2, 3, 4), (4,), "batched x 1-D"),
    ((1, 1), (1, 1), "all size 1"),
    ((3, 1), (1, 4), "inner size 1 (outer product)"),
    ((0, 3), (3, 2), "zero rows"),
    ((2, 0), (0, 3), "zero inner size"),
    ((2, 3), (3, 0), "zero columns"),
    ((0, 2, 3), (3, 2), "zero batch"),
]


def _int(rng, *shape):
    return rng.integers(-3, 4, size=shape).astype(np.int64)


def _i64(*shape):
    return np.ones(shape, dtype=np.int64)


def _z(*shape):
    return np.zeros(shape)


# -- matmul and the named products ---------------------------------------------------------------------
def matmul_samples(rng):
    for sa, sb, desc in MATMUL_SHAPES:
        yield Sample((arr(rng, *sa), arr(rng, *sb)), desc=desc)


def matmul_errors():
    yield ErrorSample((_z(), _z(3)), match="at least 1D", desc="0-d operand")
    yield ErrorSample((_z(3, 4), _z(5, 6)), match=r"\(3, 4\).*\(5, 6\)", desc="inner sizes differ")
    yield ErrorSample((_z(3), _z(4)), desc="1-D sizes differ")
    yield ErrorSample((_z(3, 4), _z(5)), desc="2-D x 1-D sizes differ")
    yield ErrorSample((_z(3), _z(4, 5)), desc="1-D x 2-D sizes differ")
    yield ErrorSample((_z(2, 3, 4), _z(3, 4, 5)), desc="batch dims do not broadcast")
    yield ErrorSample((_z(3, 4), _i64(4, 5)), match="same dtype", desc="dtype mismatch")
    yield ErrorSample((_z(3, 4), 2), error=TypeError, desc="Python number operand")


def matmul_int_samples(rng):
    for sa, sb, desc in MATMUL_SHAPES[:11]:
        yield Sample((_int(rng, *sa), _int(rng, *sb)), desc=desc + " (int64)")


def mm_samples(rng):
    yield Sample((arr(rng, 3, 4), arr(rng, 4, 5)))
    yield Sample((arr(rng, 1, 1), arr(rng, 1, 3)), desc="size 1")
    yield Sample((arr(rng, 0, 3), arr(rng, 3, 2)), desc="zero rows")
    yield Sample((arr(rng, 2, 0), arr(rng, 0, 3)), desc="zero inner")


def mm_errors():
    yield ErrorSample((_z(3), _z(3, 4)), desc="1-D self")
    yield ErrorSample((_z(2, 3, 4), _z(4, 5)), desc="3-D self")
    yield ErrorSample((_z(3, 4), _z(5, 4)), desc="inner sizes differ")
    yield ErrorSample((_z(3, 4), _i64(4, 5)), desc="dtype mismatch")


def bmm_samples(rng):
    yield Sample((arr(rng, 2, 3, 4), arr(rng, 2, 4, 5)))
    yield Sample((arr(rng, 1, 1, 1), arr(rng, 1, 1, 2)), desc="size 1")
    yield Sample((arr(rng, 0, 3, 4), arr(rng, 0, 4, 2)), desc="zero batch")
    yield Sample((arr(rng, 2, 3, 0), arr(rng, 2, 0, 2)), desc="zero inner")


def bmm_errors():
    yield ErrorSample((_z(3, 4), _z(2, 4, 5)), desc="2-D batch1")
    yield ErrorSample((_z(2, 3, 4), _z(3, 4, 5)), desc="batch sizes differ")
    yield ErrorSample((_z(2, 3, 4), _z(2, 5, 5)), desc="inner sizes differ")
    yield ErrorSample((_z(1, 3, 4), _z(2, 4, 5)), desc="no broadcasting of batch")
    yield ErrorSample((_z(2, 3, 4), _i64(2, 4, 5)), desc="dtype mismatch")


def mv_samples(rng):
    yield Sample((arr(rng, 3, 4), arr(rng, 4)))
    yield Sample((arr(rng, 1, 1), arr(rng, 1)), desc="size 1")
    yield Sample((arr(rng, 0, 3), arr(rng, 3)), desc="zero rows")
    yield Sample((arr(rng, 2, 0), arr(rng, 0)), desc="zero inner")


def mv_errors():
    yield ErrorSample((_z(3, 4), _z(5)), desc="sizes differ")
    yield ErrorSample((_z(3, 4), _z(4, 1)), desc="2-D vec")
    yield ErrorSample((_z(3), _z(3)), desc="1-D mat")
    yield ErrorSample((_z(3, 4), _i64(4)), desc="dtype mismatch")


def dot_samples(rng):
    yield Sample((arr(rng, 5), arr(rng, 5)))
    yield Sample((arr(rng, 1), arr(rng, 1)), desc="size 1")
    yield Sample((arr(rng, 0), arr(rng, 0)), desc="empty")


def dot_errors():
    yield ErrorSample((_z(3), _z(4)), desc="sizes differ")
    yield ErrorSample((_z(3, 1), _z(3)), desc="2-D operand")
    yield ErrorSample((_z(), _z()), desc="0-d operands")
    yield ErrorSample((_z(3), _i64(3)), desc="dtype mismatch")


def inner_samples(rng):
    yield Sample((arr(rng, 4), arr(rng, 4)), desc="1-D")
    yield Sample((arr(rng, 2, 4), arr(rng, 3, 4)), desc="2-D x 2-D")
    yield Sample((arr(rng, 2, 3, 4), arr(rng, 4)), desc="3-D x 1-D")
    yield Sample((arr(rng), arr(rng, 2, 3)), desc="0-d scales")
    yield Sample((arr(rng, 2, 3), arr(rng)), desc="scales by 0-d")
    yield Sample((arr(rng, 2, 0), arr(rng, 3, 0)), desc="zero last dim")


def inner_errors():
    yield ErrorSample((_z(3), _z(4)), desc="last dims differ")
    yield ErrorSample((_z(2, 3), _z(3, 2)), desc="last dims differ (2-D)")


def outer_samples(rng):
    yield Sample((arr(rng, 3), arr(rng, 4)))
    yield Sample((arr(rng, 1), arr(rng, 1)), desc="size 1")
    yield Sample((arr(rng, 0), arr(rng, 3)), desc="empty")


def outer_errors():
    yield ErrorSample((_z(3, 1), _z(4)), desc="2-D self")
    yield ErrorSample((_z(), _z(4)), desc="0-d self")
    yield ErrorSample((_z(3), _z(4, 1)), desc="2-D vec2")


# -- fused add-multiply forms --------------------------------------------------------------------------
def addmm_samples(rng):
    yield Sample((arr(rng, 2, 3), arr(rng, 2, 4), arr(rng, 4, 3)))
    yield Sample((arr(rng, 3), arr(rng, 2, 4), arr(rng, 4, 3)), desc="broadcast input row")
    yield Sample((arr(rng, 2, 1), arr(rng, 2, 4), arr(rng, 4, 3)), desc="broadcast input column")
    yield Sample((arr(rng), arr(rng, 2, 4), arr(rng, 4, 3)), desc="0-d input")
    yield Sample((arr(rng, 2, 3), arr(rng, 2, 4), arr(rng, 4, 3)), {"beta": 0.5, "alpha": -2.0}, desc="beta, alpha")
    yield Sample((arr(rng, 2, 3), arr(rng, 2, 4), arr(rng, 4, 3)), {"beta": 0}, desc="beta=0 ignores input")
    yield Sample((arr(rng, 2, 3), arr(rng, 2, 0), arr(rng, 0, 3)), desc="zero inner")


def addmm_errors():
    yield ErrorSample((_z(4, 3), _z(2, 4), _z(4, 3)), desc="input does not broadcast to the product")
    yield ErrorSample((_z(3), _z(4), _z(4, 3)), desc="1-D mat1")
    yield ErrorSample((_z(3), _z(2, 4), _z(5, 3)), desc="inner sizes differ")
    yield ErrorSample((_z(3), _z(2, 4), _i64(4, 3)), desc="dtype mismatch")
    yield ErrorSample((_z(3), _z(2, 4), _z(4, 3), 0.5, 2.0), error=TypeError, desc="beta/alpha are keyword-only")


def addmv_samples(rng):
    yield Sample((arr(rng, 2), arr(rng, 2, 4), arr(rng, 4)))
    yield Sample((arr(rng), arr(rng, 2, 4), arr(rng, 4)), desc="0-d input")
    yield Sample((arr(rng, 1), arr(rng, 2, 4), arr(rng, 4)), {"beta": 2.0, "alpha": 0.5},
                 desc="size-1 input, beta, alpha")


def addmv_errors():
    yield ErrorSample((_z(3), _z(2, 4), _z(4)), desc="input does not broadcast")
    yield ErrorSample((_z(2), _z(2, 4), _z(5)), desc="vec size differs")


def baddbmm_samples(rng):
    yield Sample((arr(rng, 2, 3, 5), arr(rng, 2, 3, 4), arr(rng, 2, 4, 5)))
    yield Sample((arr(rng, 5), arr(rng, 2, 3, 4), arr(rng, 2, 4, 5)), desc="broadcast input")
    yield Sample((arr(rng, 1, 3, 1), arr(rng, 2, 3, 4), arr(rng, 2, 4, 5)), desc="size-1 input dims")
    yield Sample((arr(rng, 2, 3, 5), arr(rng, 2, 3, 4), arr(rng, 2, 4, 5)), {"beta": 0.5, "alpha": 0.125},
                 desc="attention-style scale")
    yield Sample((arr(rng, 2, 3, 5), arr(rng, 2, 3, 4), arr(rng, 2, 4, 5)), {"beta": 0.0, "alpha": 2.0}, desc="beta=0")


def baddbmm_errors():
    yield ErrorSample((_z(3, 3, 5), _z(2, 3, 4), _z(2, 4, 5)), desc="input does not broadcast")
    yield ErrorSample((_z(2, 3, 5), _z(2, 3, 4), _z(3, 4, 5)), desc="batch sizes differ")
    yield ErrorSample((_z(2, 3, 5), _z(3, 4), _z(4, 5)), error=IndexError, desc="2-D batches (PyTorch: IndexError)")
    yield ErrorSample((_z(5), _z(2, 3, 4), _z(2, 4, 5, 1)), desc="4-D batch2")
    yield ErrorSample((_z(1, 2, 3, 5), _z(2, 3, 4), _z(2, 4, 5)), desc="input has more dims than the product")


def addbmm_samples(rng):
    yield Sample((arr(rng, 3, 5), arr(rng, 2, 3, 4), arr(rng, 2, 4, 5)))
    yield Sample((arr(rng, 5), arr(rng, 2, 3, 4), arr(rng, 2, 4, 5)), {"beta": 0.5, "alpha": 2.0},
                 desc="broadcast input")
    yield Sample((arr(rng, 3, 5), arr(rng, 0, 3, 4), arr(rng, 0, 4, 5)), desc="zero batch")


def addbmm_errors():
    yield ErrorSample((_z(4, 5), _z(2, 3, 4), _z(2, 4, 5)), desc="input does not broadcast")
    yield ErrorSample((_z(3, 5), _z(2, 3, 4), _z(2, 5, 5)), desc="inner sizes differ")


def addr_samples(rng):
    yield Sample((arr(rng, 3, 4), arr(rng, 3), arr(rng, 4)))
    yield Sample((arr(rng, 4), arr(rng, 3), arr(rng, 4)), {"beta": 2.0, "alpha": -1.0}, desc="broadcast input")


def addr_errors():
    yield ErrorSample((_z(3, 4), _z(3, 1), _z(4)), desc="2-D vec1")
    yield ErrorSample((_z(4, 3), _z(3), _z(4)), desc="input does not broadcast")


# -- tensordot, kron, cross ----------------------------------------------------------------------------
def tensordot_samples(rng):
    yield Sample((arr(rng, 2, 3, 4), arr(rng, 3, 4, 5)), desc="default dims=2")
    yield Sample((arr(rng, 2, 3, 4), arr(rng, 4, 2)), {"dims": 1}, desc="dims=1")
    yield Sample((arr(rng, 2, 3), arr(rng, 3, 2)), {"dims": 0}, desc="dims=0 (outer)")
    yield Sample((arr(rng, 2, 3, 4), arr(rng, 3, 4, 5)), {"dims": ([1, 2], [0, 1])}, desc="explicit lists")
    yield Sample((arr(rng, 2, 3, 4), arr(rng, 3, 4, 5)), {"dims": ([-2], [-3])}, desc="negative dims")
    yield Sample((arr(rng, 3, 2, 4), arr(rng, 4, 3)), {"dims": ([2, 0], [0, 1])}, desc="dims out of order")
    yield Sample((arr(rng, 2, 1), arr(rng, 3, 4)), {"dims": ([1], [0])}, desc="size-1 contracted dim broadcasts")
    yield Sample((arr(rng), arr(rng, 2, 3)), {"dims": 0}, desc="0-d operand")
    yield Sample((arr(rng, 2, 0), arr(rng, 0, 3)), {"dims": 1}, desc="zero contracted size")


def tensordot_errors():
    yield ErrorSample((_z(2, 3, 4), _z(3, 4, 5)), {"dims": 1}, desc="sizes differ")
    yield ErrorSample((_z(2, 3, 4), _z(3, 4, 5)), {"dims": -1}, desc="negative dims")
    yield ErrorSample((_z(2, 3, 4), _z(3, 4, 5)), {"dims": 4}, desc="too many dims")
    yield ErrorSample((_z(2, 3, 4), _z(3, 4, 5)), {"dims": ([1], [0, 1])}, desc="list lengths differ")
    yield ErrorSample((_z(2, 3, 4), _z(3, 4, 5)), {"dims": ([5], [0])}, error=IndexError, desc="dim out of range")
    yield ErrorSample((_z(3, 4), _z(4, 3)), {"dims": ([1, 1], [0, 0])}, desc="repeated dim")
    yield ErrorSample((_z(2, 3, 4), _i64(3, 4, 5)), desc="dtype mismatch")


def kron_samples(rng):
    yield Sample((arr(rng, 2, 3), arr(rng, 2, 2)), desc="2-D x 2-D")
    yield Sample((arr(rng, 2, 3), arr(rng, 4)), desc="2-D x 1-D")
    yield Sample((arr(rng, 3), arr(rng, 2, 2)), desc="1-D x 2-D")
    yield Sample((arr(rng), arr(rng, 3)), desc="0-d")
    yield Sample((arr(rng, 1, 2), arr(rng, 3, 1)), desc="size-1 dims")
    yield Sample((arr(rng, 0, 2), arr(rng, 2, 2)), desc="zero size")


def kron_errors():
    yield ErrorSample((_z(2, 3), 2), error=TypeError, desc="Python number operand")


def operator_errors():
    yield ErrorSample((_z(3, 4), 2), error=TypeError, desc="tensor @ int")
    yield ErrorSample((_z(3, 4), _z(5, 6)), desc="inner sizes differ")
    yield ErrorSample((_z(), _z()), desc="0-d operands")


def cross_samples(rng):
    yield Sample((arr(rng, 4, 3), arr(rng, 4, 3)), {"dim": 1})
    yield Sample((arr(rng, 3, 2), arr(rng, 3, 2)), {"dim": 0}, desc="dim 0")
    yield Sample((arr(rng, 2, 3), arr(rng, 2, 3)), {"dim": -1}, desc="negative dim")
    yield Sample((arr(rng, 4, 3), arr(rng, 1, 3)), {"dim": 1}, desc="broadcast")
    yield Sample((arr(rng, 2, 3, 2), arr(rng, 2, 3, 2)), desc="default dim: first of size 3")
    yield Sample((arr(rng, 3), arr(rng, 3)), desc="1-D")
    yield Sample((arr(rng, 0, 3), arr(rng, 0, 3)), {"dim": 1}, desc="zero batch")


def cross_errors():
    yield ErrorSample((_z(3, 4), _z(3, 4)), {"dim": 1}, desc="dim is not of size 3")
    yield ErrorSample((_z(4, 3), _z(3)), {"dim": -1}, desc="ndims differ")
    yield ErrorSample((_z(4, 2), _z(4, 2)), desc="no dim of size 3")
    yield ErrorSample((_z(4, 3), _z(4, 3)), {"dim": 2}, error=IndexError, desc="dim out of range")


# -- einsum --------------------------------------------------------------------------------------------
# (equation, operand shapes, description): every feature of the subscript language.
EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)], "matrix product"),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)], "batched matrix product"),
    ("ii->i", [(3, 3)], "diagonal"),
    ("ii", [(3, 3)], "trace (implicit)"),
    ("ii->", [(3, 3)], "trace"),
    ("ij->", [(2, 3)], "sum all"),
    ("ij->j", [(2, 3)], "column sums"),
    ("i,i->", [(4,), (4,)], "dot"),
    ("i,j->ij", [(3,), (2,)], "outer"),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 2)], "ellipsis batch with broadcasting"),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 2, 4)], "attention scores"),
    ("bhqk,bhkd->bhqd", [(1, 2, 3, 2), (1, 2, 2, 4)], "attention values"),
    ("ijk->kji", [(2, 3, 4)], "permutation"),
    ("ij,ij->ij", [(2, 3), (2, 3)], "elementwise product"),
    ("ij,ij->ij", [(2, 1), (1, 3)], "size-1 dims broadcast"),
    ("ij,jk->ik", [(2, 1), (3, 4)], "size-1 contracted dim broadcasts"),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)], "three operands"),
    ("ij,jk", [(2, 3), (3, 4)], "implicit output"),
    ("Ab,aB", [(2, 3), (2, 2)], "implicit output, upper case sorts first"),
    ("iij->j", [(2, 2, 3)], "diagonal then sum"),
    ("iii->i", [(2, 2, 2)], "triple diagonal"),
    ("ii,i->i", [(3, 3), (3,)], "diagonal times vector"),
    ("i...i->...", [(3, 2, 3)], "ellipsis between repeated labels"),
    ("...ii->...i", [(2, 3, 3)], "batched diagonal"),
    ("...ij->ij", [(2, 2, 3)], "ellipsis summed away"),
    ("i...->...", [(2, 3)], "leading label summed"),
    ("...,...->...", [(2, 3), (3,)], "ellipsis only, broadcasting"),
    (",i->i", [(), (3,)], "0-d operand"),
    ("->", [()], "0-d identity"),
    ("", [()], "empty equation, 0-d"),
    ("ij,kl->", [(2, 3), (2, 2)], "sum of outer product"),
    ("ijk,jil->kl", [(2, 3, 2), (3, 2, 2)], "contract two labels"),
    ("aab,bc,ca->", [(2, 2, 3), (3, 2), (2, 2)], "diagonal inside a chain"),
    ("ab,ab,bc->ac", [(2, 3), (2, 3), (3, 2)], "elementwise then contract"),
    (" i j -> j i ", [(2, 3)], "whitespace"),
    ("ij,jk->ik", [(2, 0), (0, 3)], "zero contracted size"),
    ("ij->j", [(0, 3)], "zero rows"),
]


def einsum_samples(rng):
    for eq, shapes, desc in EINSUM_CASES:
        yield Sample((eq, *[arr(rng, *s) for s in shapes]), desc=desc)
    yield Sample(("ij,jk->ik", [arr(rng, 2, 3), arr(rng, 3, 2)]), desc="list of operands")
    yield Sample(("ij,jk->ik", (arr(rng, 2, 3), arr(rng, 3, 2))), desc="tuple of operands")


def einsum_errors():
    yield ErrorSample(("ij,jk->ik", _z(2, 3)), desc="fewer operands")
    yield ErrorSample(("ij", _z(2, 3), _z(2, 3)), desc="more operands")
    yield ErrorSample(("ij->i", _z(2, 3, 4)), desc="subscripts do not match ndim")
    yield ErrorSample(("...i->", _z()), desc="more subscripts than dims")
    yield ErrorSample(("ij->ik", _z(2, 3)), desc="output label not in inputs")
    yield ErrorSample(("ij->ii", _z(2, 3)), desc="repeated output label")
    yield ErrorSample(("i1->i", _z(2, 3)), desc="invalid character")
    yield ErrorSample(("i.j->", _z(2, 3)), desc="stray dot")
    yield ErrorSample(("ii->i", _z(2, 3)), desc="repeated label sizes differ")
    yield ErrorSample(("ij,jk->ik", _z(2, 3), _z(4, 4)), desc="sizes differ")
    yield ErrorSample(("...ij,...jk->...ik", _z(2, 3, 3, 4), _z(5, 4, 6)), desc="ellipsis dims do not broadcast")
    yield ErrorSample(("ij,jk->ik", _z(2, 3), _i64(3, 4)), desc="dtype mismatch")
    yield ErrorSample((3, _z(2)), error=TypeError, desc="equation is not a string")


def _torch(name: str):
    """`torch.<name>`, looked up at call time: the registry must import without torch installed."""
    def call(*args, **kwargs):
        import torch

        return getattr(torch, name)(*args, **kwargs)

    call.__name__ = f"torch_{name}"
    return call


def _torch_cross(a, b, dim=None):
    """torch.cross without a dim warns that its default will change; the default is what we test."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return torch.cross(a, b, dim=dim)


def _matmul_operator(a, b):
    return a @ b


def _entry(name: str, samples, errors=None, **kw) -> OpInfo:
    return OpInfo(name, getattr(tl, name), _torch(name), samples, errors, **kw)


OPS = [
    _entry("matmul", matmul_samples, matmul_errors),
    OpInfo("matmul_operator", _matmul_operator, _matmul_operator, matmul_samples, operator_errors),
    OpInfo("matmul_int64", tl.matmul, _torch("matmul"), matmul_int_samples, differentiable=False,
           notes="integer products: forward only, as in PyTorch"),
    _entry("mm", mm_samples, mm_errors),
    _entry("bmm", bmm_samples, bmm_errors),
    _entry("mv", mv_samples, mv_errors),
    _entry("dot", dot_samples, dot_errors),
    _entry("vdot", dot_samples, dot_errors),
    _entry("inner", inner_samples, inner_errors),
    _entry("outer", outer_samples, outer_errors),
    _entry("ger", outer_samples, outer_errors),
    _entry("addmm", addmm_samples, addmm_errors),
    _entry("addmv", addmv_samples, addmv_errors),
    _entry("baddbmm", baddbmm_samples, baddbmm_errors),
    _entry("addbmm", addbmm_samples, addbmm_errors),
    _entry("addr", addr_samples, addr_errors),
    _entry("tensordot", tensordot_samples, tensordot_errors),
    _entry("kron", kron_samples, kron_errors),
    OpInfo("cross", tl.cross, _torch_cross, cross_samples, cross_errors),
    _entry("einsum", einsum_samples, einsum_errors),
]
