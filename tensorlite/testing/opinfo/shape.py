"""Registry entries for the shape ops: views (reshape, permute, expand, ...) and the diagonal family.

Joining/splitting (cat, split, ...) and copying rearrangements (pad, repeat, flip, roll) are in
`_join.py` and `_pad.py` next to this file; `OPS` here collects all three. Every entry covers
0-d and zero-size inputs where the op allows them, negative dims, keyword forms and the
Tensor-method spellings (`x.view(2, 3)`, `x.view((2, 3))`, `x.view(tl.Size(...))`); the checker
adds non-contiguous layouts of every floating input.
"""
from __future__ import annotations

import numpy as np

import tensorlite as tl

from . import ErrorSample, OpInfo, Sample, arr


def torch_mod():
    """PyTorch, imported when a torch_op runs (the registry itself must import without it)."""
    import torch  # noqa: PLC0415 - the test oracle only

    return torch


def entry(name, op, torch_op, samples, errors=None, **kwargs) -> OpInfo:
    """An OpInfo whose samples come from `samples(rng)`; `errors()` yields ErrorSamples."""
    return OpInfo(name=name, op=op, torch_op=torch_op, sample_inputs=samples, error_inputs=errors, **kwargs)


# -- reshape and view ---------------------------------------------------------------------------------------------
def _reshape_samples(rng):
    yield Sample((arr(rng, 3, 4), (2, 6)))
    yield Sample((arr(rng, 3, 4), (-1,)), desc="inferred")
    yield Sample((arr(rng, 2, 3, 4), (4, -1, 2)), desc="inferred middle")
    yield Sample((arr(rng), (1, 1)), desc="0-d to 2-D")
    yield Sample((arr(rng, 1, 1), ()), desc="to 0-d")
    yield Sample((arr(rng), (-1,)), desc="0-d inferred")
    yield Sample((arr(rng, 0, 3), (3, 0, 1)), desc="zero-size")
    yield Sample((arr(rng, 0, 3), (-1, 3)), desc="zero-size inferred")
    yield Sample((arr(rng, 2, 3), (2, 3)), desc="same shape")


def _reshape_errors():
    yield ErrorSample((np.zeros((3, 4)), (5, 5)), match=r"shape '\[5, 5\]' is invalid for input of size 12")
    yield ErrorSample((np.zeros((3, 4)), (-1, -1)), match="only one dimension can be inferred")
    yield ErrorSample((np.zeros((3, 4)), (-2, 6)), match="invalid shape dimension -2")
    yield ErrorSample((np.zeros((0, 3)), (-1, 0)), match="ambiguous")
    yield ErrorSample((np.zeros((3, 4)), (0, -1)))
    yield ErrorSample((np.zeros((3, 4)), (2.0, 6)), error=TypeError)


def _view(x, shape, transposed=False):
    return (x.t() if transposed else x).view(shape)


def _view_samples(rng):
    for s in _reshape_samples(rng):
        yield s
    yield Sample((arr(rng, 3, 4), (4, 3)), {"transposed": True}, desc="transposed, splitting a dim")


def _view_errors():
    yield from _reshape_errors()
    yield ErrorSample((np.zeros((3, 4)), (12,)), {"transposed": True}, match="view size is not compatible")
    yield ErrorSample((np.zeros((3, 4)), (2, 6)), {"transposed": True}, match="reshape")


def _view_varargs_samples(rng):
    yield Sample((arr(rng, 3, 4),), {"form": "varargs"}, desc="x.view(2, 6)")
    yield Sample((arr(rng, 3, 4),), {"form": "tuple"}, desc="x.view((2, 6))")
    yield Sample((arr(rng, 3, 4),), {"form": "list"}, desc="x.view([2, 6])")
    yield Sample((arr(rng, 3, 4),), {"form": "size"}, desc="x.view(Size([2, 6]))")
    yield Sample((arr(rng, 3, 4),), {"form": "kw"}, desc="x.view(size=(2, 6))")


def _view_forms(lib, method):
    def call(x, form):
        args = {"varargs": (2, 6), "tuple": ((2, 6),), "list": ([2, 6],), "size": (lib().Size([2, 6]),)}
        if form == "kw":
            return getattr(x, method)(**{"size" if method != "reshape" else "shape": (2, 6)})
        return getattr(x, method)(*args[form])
    return call


def _flatten_samples(rng):
    yield Sample((arr(rng, 2, 3, 4),))
    yield Sample((arr(rng, 2, 3, 4), 1))
    yield Sample((arr(rng, 2, 3, 4), 0, 1))
    yield Sample((arr(rng, 2, 3, 4), -2, -1), desc="negative dims")
    yield Sample((arr(rng, 2, 3, 4),), {"start_dim": 1, "end_dim": 1}, desc="one dim: the input itself")
    yield Sample((arr(rng),), desc="0-d")
    yield Sample((arr(rng, 0, 3, 2), 1), desc="zero-size")


def _flatten_errors():
    yield ErrorSample((np.zeros((2, 3)), 1, 0), match="start_dim cannot come after end_dim")
    yield ErrorSample((np.zeros((2, 3)), 2), error=IndexError)


def _unflatten_samples(rng):
    yield Sample((arr(rng, 3, 4), 1, (2, 2)))
    yield Sample((arr(rng, 3, 4), -1, (2, -1)), desc="inferred, negative dim")
    yield Sample((arr(rng, 6), 0, (1, 2, 3)))
    yield Sample((arr(rng, 0, 4), 1, (2, 2)), desc="zero-size")
    yield Sample((arr(rng, 3, 4), 0, [3, 1]), desc="list sizes")


def _unflatten_errors():
    yield ErrorSample((np.zeros((3, 4)), 1, (3, 3)), match="don't multiply up")
    yield ErrorSample((np.zeros((3, 4)), 1, ()), match="sizes must be non-empty")
    yield ErrorSample((np.zeros((3, 4)), 2, (2, 2)), error=IndexError)


# -- squeeze, unsqueeze -------------------------------------------------------------------------------------------
def _squeeze_samples(rng):
    yield Sample((arr(rng, 3, 1, 4, 1),))
    yield Sample((arr(rng, 3, 1, 4, 1), 1))
    yield Sample((arr(rng, 3, 1, 4, 1), -1), desc="negative dim")
    yield Sample((arr(rng, 3, 1, 4, 1), (1, 3)), desc="tuple of dims")
    yield Sample((arr(rng, 3, 1, 4, 1), 0), desc="non-1 dim is kept")
    yield Sample((arr(rng, 3, 1, 4, 1),), {"dim": (0, -1)}, desc="keyword tuple")
    yield Sample((arr(rng),), desc="0-d")
    yield Sample((arr(rng), 0), desc="0-d, dim 0")
    yield Sample((arr(rng, 1, 0, 1),), desc="zero-size")


def _squeeze_errors():
    yield ErrorSample((np.zeros((3, 1)), 2), error=IndexError)
    yield ErrorSample((np.zeros((3, 1)), (1, 1)), match="appears multiple times")


def _unsqueeze_samples(rng):
    for d in (0, 2, -1, -3):
        yield Sample((arr(rng, 3, 4), d))
    yield Sample((arr(rng), 0), desc="0-d")
    yield Sample((arr(rng), -1), desc="0-d, dim -1")
    yield Sample((arr(rng, 0, 2), 1), desc="zero-size")
    yield Sample((arr(rng, 3, 4),), {"dim": 1})


def _unsqueeze_errors():
    yield ErrorSample((np.zeros((3, 4)), 3), error=IndexError)
    yield ErrorSample((np.zeros((3, 4)), -4), error=IndexError)
    yield ErrorSample((np.zeros(3), 1.0), error=TypeError)


# -- transpose, permute, movedim ----------------------------------------------------------------------------------
def _transpose_samples(rng):
    yield Sample((arr(rng, 2, 3, 4), 0, 2))
    yield Sample((arr(rng, 2, 3, 4), -1, 0), desc="negative dim")
    yield Sample((arr(rng, 2, 3, 4), 1, 1), desc="same dim")
    yield Sample((arr(rng), 0, -1), desc="0-d")
    yield Sample((arr(rng, 0, 3), 0, 1), desc="zero-size")


def _transpose_errors():
    yield ErrorSample((np.zeros((2, 3)), 0, 2), error=IndexError)
    yield ErrorSample((np.zeros((2, 3)), 0.0, 1), error=TypeError)


def _t_samples(rng):
    yield Sample((arr(rng, 3, 4),))
    yield Sample((arr(rng, 3),), desc="1-D")
    yield Sample((arr(rng),), desc="0-d")
    yield Sample((arr(rng, 0, 2),), desc="zero-size")


def _t_errors():
    yield ErrorSample((np.zeros((2, 3, 4)),), match="<= 2 dimensions")


def _permute_samples(rng):
    yield Sample((arr(rng, 2, 3, 4), (2, 0, 1)))
    yield Sample((arr(rng, 2, 3, 4), (-1, 0, 1)), desc="negative dims")
    yield Sample((arr(rng, 2, 3, 4), [1, 0, 2]), desc="list")
    yield Sample((arr(rng), ()), desc="0-d")
    yield Sample((arr(rng, 0, 2), (1, 0)), desc="zero-size")


def _permute_errors():
    yield ErrorSample((np.zeros((2, 3)), (0, 1, 2)), match="does not match")
    yield ErrorSample((np.zeros((2, 3)), (0, 0)), match="duplicate dims")
    yield ErrorSample((np.zeros((2, 3)), (0, 2)), error=IndexError)


def _movedim_samples(rng):
    yield Sample((arr(rng, 2, 3, 4), 0, 2))
    yield Sample((arr(rng, 2, 3, 4), (0, 1), (2, 0)), desc="tuples")
    yield Sample((arr(rng, 2, 3, 4), -1, 0), desc="negative dims")
    yield Sample((arr(rng, 2, 3, 4), [2], [1]), desc="lists")
    yield Sample((arr(rng), 0, 0), desc="0-d")
    yield Sample((arr(rng, 0, 3, 1), 0, -1), desc="zero-size")


def _movedim_errors():
    yield ErrorSample((np.zeros((2, 3)), (0, 1), (1,)), match="same number of dims")
    yield ErrorSample((np.zeros((2, 3)), (0, 0), (1, 0)), match="repeated dim in `source`")
    yield ErrorSample((np.zeros((2, 3)), (0, 1), (0, 0)), match="repeated dim in `destination`")
    yield ErrorSample((np.zeros((2, 3)), 2, 0), error=IndexError)


def _matrix_samples(rng):
    yield Sample((arr(rng, 3, 4),))
    yield Sample((arr(rng, 2, 3, 4),), desc="batched")
    yield Sample((arr(rng, 2, 0, 3),), desc="zero-size")


def _T(x):
    import warnings

    with warnings.catch_warnings():  # both libraries warn that x.T is deprecated for ndim != 2
        warnings.simplefilter("ignore")
        return x.T


def _T_samples(rng):
    yield Sample((arr(rng, 3, 4),))
    yield Sample((arr(rng, 2, 3, 4),), desc="3-D: reverses all dims")
    yield Sample((arr(rng, 3),), desc="1-D")
    yield Sample((arr(rng),), desc="0-d")


def _H_samples(rng):
    yield Sample((arr(rng, 3, 4),))
    yield Sample((arr(rng, 0, 2),), desc="zero-size")


def _errors_1d(error=RuntimeError):
    def errors():
        yield ErrorSample((np.zeros(3),), error=error)
    return errors


def _errors_3d():
    yield ErrorSample((np.zeros((2, 3, 4)),))
    yield ErrorSample((np.zeros(3),))


# -- expand -----------------------------------------------------------------------------------------------------
def _expand(x, *sizes, **kwargs):
    return x.expand(*sizes, **kwargs)


def _expand_samples(rng):
    yield Sample((arr(rng, 3, 1), 3, 4))
    yield Sample((arr(rng, 3, 1), (2, 3, 4)), desc="tuple, new leading dim")
    yield Sample((arr(rng, 3, 1), -1, 4), desc="-1 keeps the size")
    yield Sample((arr(rng, 3), 2, -1), desc="1-D")
    yield Sample((arr(rng), 2, 3), desc="0-d")
    yield Sample((arr(rng), ()), desc="0-d to 0-d")
    yield Sample((arr(rng, 1, 3), 0, 3), desc="to zero-size")
    yield Sample((arr(rng, 3, 1),), {"size": [2, 3, 5]}, desc="keyword")


def _expand_errors():
    yield ErrorSample((np.zeros((3, 4)), 3), match="number of sizes provided")
    yield ErrorSample((np.zeros((3, 4)), -1, 3, 4), match="leading, non-existing dimension")
    yield ErrorSample((np.zeros((3, 4)), 2, 3), match="must match the existing size")


def _expand_as_samples(rng):
    yield Sample((arr(rng, 3, 1), arr(rng, 2, 3, 4)), grad=(True, False))
    yield Sample((arr(rng), arr(rng, 2)), grad=(True, False), desc="0-d")


# -- the diagonal family ------------------------------------------------------------------------------------------
def _diagonal_samples(rng):
    yield Sample((arr(rng, 3, 4),))
    yield Sample((arr(rng, 3, 4), 1), desc="above")
    yield Sample((arr(rng, 3, 4), -2), desc="below")
    yield Sample((arr(rng, 3, 4), 5), desc="past the edge: empty")
    yield Sample((arr(rng, 2, 3, 4), 1, -1, 0), desc="3-D, reversed dims")
    yield Sample((arr(rng, 2, 3, 4),), {"offset": -1, "dim1": 2, "dim2": 1}, desc="keywords")
    yield Sample((arr(rng, 0, 3),), desc="zero-size")


def _diagonal_errors():
    yield ErrorSample((np.zeros((3, 4)), 0, 0, 0), match="cannot be identical")
    yield ErrorSample((np.zeros(3),), error=IndexError)


def _diag_samples(rng):
    yield Sample((arr(rng, 3),))
    yield Sample((arr(rng, 3), 1), desc="1-D above")
    yield Sample((arr(rng, 3), -2), desc="1-D below")
    yield Sample((arr(rng, 3, 4),), desc="2-D")
    yield Sample((arr(rng, 3, 4), 2), desc="2-D above")
    yield Sample((arr(rng, 3, 4),), {"diagonal": -1}, desc="2-D keyword")
    yield Sample((arr(rng, 0),), desc="empty 1-D")


def _diag_errors():
    yield ErrorSample((np.zeros((2, 2, 2)),), match="Supports 1D or 2D")
    yield ErrorSample((np.zeros(()),), match="Supports 1D or 2D")


def _diag_embed_samples(rng):
    yield Sample((arr(rng, 3),))
    yield Sample((arr(rng, 2, 3),))
    yield Sample((arr(rng, 2, 3), 1, 0, 2), desc="offset, new dims 0 and 2")
    yield Sample((arr(rng, 2, 3), -1, 2, 0), desc="reversed dims")
    yield Sample((arr(rng, 2, 0),), desc="zero-size")


def _diag_embed_errors():
    yield ErrorSample((np.zeros((2, 3)), 0, 1, 1), match="cannot be identical")
    yield ErrorSample((np.zeros((2, 3)), 0, 0, 3), error=IndexError)
    yield ErrorSample((np.zeros(()),), error=IndexError)


def _trace_samples(rng):
    yield Sample((arr(rng, 3, 4),))
    yield Sample((arr(rng, 4, 3),))
    yield Sample((arr(rng, 0, 3),), desc="zero-size")
    yield Sample((rng.integers(-5, 5, (3, 3)),), desc="int64")


def _trace_errors():
    yield ErrorSample((np.zeros(3),), match="expected a matrix")
    yield ErrorSample((np.zeros((2, 2, 2)),), match="expected a matrix")
    yield ErrorSample((np.zeros((2, 2), dtype=bool),), error=NotImplementedError)


def _tri_samples(rng):
    yield Sample((arr(rng, 4, 5),))
    yield Sample((arr(rng, 4, 5), 1))
    yield Sample((arr(rng, 4, 5), -2))
    yield Sample((arr(rng, 2, 3, 4), 1), desc="batched")
    yield Sample((arr(rng, 3, 4),), {"diagonal": 7}, desc="keyword, past the edge")
    yield Sample((arr(rng, 0, 3),), desc="zero-size")
    yield Sample((rng.integers(-5, 5, (3, 3)),), desc="int64")


def _tri_errors():
    yield ErrorSample((np.zeros(3),), match="at least 2 dimensions")


def _tri_inplace(name):
    def call(x, *args, **kwargs):
        return getattr(x * 1, name)(*args, **kwargs)
    return call


# -- atleast_nd ---------------------------------------------------------------------------------------------------
def _atleast_samples(rng):
    yield Sample((arr(rng),), desc="0-d")
    yield Sample((arr(rng, 3),), desc="1-D")
    yield Sample((arr(rng, 2, 3),), desc="2-D")
    yield Sample((arr(rng, 2, 3, 1, 2),), desc="4-D")
    yield Sample((arr(rng), arr(rng, 3)), desc="several")
    yield Sample(([arr(rng), arr(rng, 2, 2)],), desc="a list")


# -- in-place shape changes ---------------------------------------------------------------------------------------
def _metadata_inplace(name):
    def call(x, *args, **kwargs):
        y = x * 1  # a non-leaf, so the in-place op is allowed while recording
        out = getattr(y, name)(*args, **kwargs)
        assert out is y
        return y
    return call


def _unsqueeze_inplace_samples(rng):
    yield Sample((arr(rng, 3, 4), 1))
    yield Sample((arr(rng), 0), desc="0-d")


def _squeeze_inplace_samples(rng):
    yield Sample((arr(rng, 3, 1, 4),))
    yield Sample((arr(rng, 3, 1, 4), 1))


def _transpose_inplace_samples(rng):
    yield Sample((arr(rng, 2, 3, 4), 0, 2))


def _t_inplace_samples(rng):
    yield Sample((arr(rng, 3, 4),))
    yield Sample((arr(rng, 3),))


def _m(name):
    """The Tensor-method spelling `x.name(*args, **kwargs)`, for either library."""
    return lambda x, *args, **kwargs: getattr(x, name)(*args, **kwargs)


OPS = [
    entry("reshape", tl.reshape, lambda x, s: torch_mod().reshape(x, s), _reshape_samples, _reshape_errors),
    entry("Tensor.reshape", _view_forms(lambda: tl, "reshape"), _view_forms(torch_mod, "reshape"),
          _view_varargs_samples),
    entry("view", _view, _view, _view_samples, _view_errors),
    entry("Tensor.view", _view_forms(lambda: tl, "view"), _view_forms(torch_mod, "view"), _view_varargs_samples,
          lambda: [ErrorSample((np.zeros((3, 5)), "varargs"), match="invalid for input of size")]),
    entry("view_as", _m("view_as"), _m("view_as"),
          lambda rng: [Sample((arr(rng, 3, 4), arr(rng, 2, 6)), grad=(True, False))],
          lambda: [ErrorSample((np.zeros((3, 4)), np.zeros((5, 2))), match="invalid for input of size")]),
    entry("reshape_as", _m("reshape_as"), _m("reshape_as"),
          lambda rng: [Sample((arr(rng, 3, 4), arr(rng, 6, 2)), grad=(True, False))],
          lambda: [ErrorSample((np.zeros((3, 4)), np.zeros(5)), match="invalid for input of size")]),
    entry("flatten", tl.flatten, lambda *a, **k: torch_mod().flatten(*a, **k), _flatten_samples, _flatten_errors),
    entry("Tensor.flatten", _m("flatten"), _m("flatten"), _flatten_samples, _flatten_errors),
    entry("unflatten", tl.unflatten, lambda *a: torch_mod().unflatten(*a), _unflatten_samples, _unflatten_errors),
    entry("ravel", tl.ravel, lambda x: torch_mod().ravel(x),
          lambda rng: [Sample((arr(rng, 3, 4),)), Sample((arr(rng),), desc="0-d"), Sample((arr(rng, 0, 2),))]),
    entry("squeeze", tl.squeeze, lambda *a, **k: torch_mod().squeeze(*a, **k), _squeeze_samples, _squeeze_errors),
    entry("unsqueeze", tl.unsqueeze, lambda *a, **k: torch_mod().unsqueeze(*a, **k), _unsqueeze_samples,
          _unsqueeze_errors),
    entry("transpose", tl.transpose, lambda *a: torch_mod().transpose(*a), _transpose_samples, _transpose_errors),
    entry("swapaxes", tl.swapaxes, lambda *a: torch_mod().swapaxes(*a), _transpose_samples, _transpose_errors),
    entry("swapdims", _m("swapdims"), _m("swapdims"), _transpose_samples, _transpose_errors),
    entry("t", tl.t, lambda x: torch_mod().t(x), _t_samples, _t_errors),
    entry("permute", tl.permute, lambda x, d: torch_mod().permute(x, d), _permute_samples, _permute_errors),
    entry("Tensor.permute", _m("permute"), _m("permute"),
          lambda rng: [Sample((arr(rng, 2, 3, 4), 2, 0, 1)), Sample((arr(rng, 2, 3, 4), (1, 2, 0))),
                       Sample((arr(rng, 2, 3, 4),), {"dims": [0, 2, 1]})],
          lambda: [ErrorSample((np.zeros((2, 3)), 0, 0), match="duplicate dims"),
                   ErrorSample((np.zeros((2, 3)), 1.5, 0), error=TypeError)]),
    entry("movedim", tl.movedim, lambda *a: torch_mod().movedim(*a), _movedim_samples, _movedim_errors),
    entry("moveaxis", _m("moveaxis"), _m("moveaxis"), _movedim_samples, _movedim_errors),
    entry("T", _T, _T, _T_samples),
    entry("mT", lambda x: x.mT, lambda x: x.mT, _matrix_samples, _errors_1d()),
    entry("H", lambda x: x.H, lambda x: x.H, _H_samples, _errors_3d),
    entry("mH", lambda x: x.mH, lambda x: x.mH, _matrix_samples, _errors_1d()),
    entry("adjoint", tl.adjoint, lambda x: torch_mod().adjoint(x), _matrix_samples, _errors_1d()),
    entry("expand", _expand, _expand, _expand_samples, _expand_errors),
    entry("expand_as", _m("expand_as"), _m("expand_as"), _expand_as_samples,
          lambda: [ErrorSample((np.zeros((3, 2)), np.zeros((3, 4))), match="must match the existing size")]),
    entry("diagonal", tl.diagonal, lambda *a, **k: torch_mod().diagonal(*a, **k), _diagonal_samples,
          _diagonal_errors),
    entry("diag", tl.diag, lambda *a, **k: torch_mod().diag(*a, **k), _diag_samples, _diag_errors),
    entry("diag_embed", tl.diag_embed, lambda *a, **k: torch_mod().diag_embed(*a, **k), _diag_embed_samples,
          _diag_embed_errors),
    entry("trace", tl.trace, lambda x: torch_mod().trace(x), _trace_samples, _trace_errors),
    entry("tril", tl.tril, lambda *a, **k: torch_mod().tril(*a, **k), _tri_samples, _tri_errors),
    entry("triu", tl.triu, lambda *a, **k: torch_mod().triu(*a, **k), _tri_samples, _tri_errors),
    entry("Tensor.tril_", _tri_inplace("tril_"), _tri_inplace("tril_"), _tri_samples, _tri_errors),
    entry("Tensor.triu_", _tri_inplace("triu_"), _tri_inplace("triu_"), _tri_samples, _tri_errors),
    entry("atleast_1d", tl.atleast_1d, lambda *a: torch_mod().atleast_1d(*a), _atleast_samples),
    entry("atleast_2d", tl.atleast_2d, lambda *a: torch_mod().atleast_2d(*a), _atleast_samples),
    entry("atleast_3d", tl.atleast_3d, lambda *a: torch_mod().atleast_3d(*a), _atleast_samples),
    entry("Tensor.unsqueeze_", _metadata_inplace("unsqueeze_"), _metadata_inplace("unsqueeze_"),
          _unsqueeze_inplace_samples, lambda: [ErrorSample((np.zeros((3, 4)), 3), error=IndexError)]),
    entry("Tensor.squeeze_", _metadata_inplace("squeeze_"), _metadata_inplace("squeeze_"), _squeeze_inplace_samples,
          _squeeze_errors),
    entry("Tensor.transpose_", _metadata_inplace("transpose_"), _metadata_inplace("transpose_"),
          _transpose_inplace_samples, _transpose_errors),
    entry("Tensor.t_", _metadata_inplace("t_"), _metadata_inplace("t_"), _t_inplace_samples, _t_errors),
]

from ._join import OPS as _JOIN_OPS  # noqa: E402 - the split-out halves of this group
from ._pad import OPS as _PAD_OPS  # noqa: E402

OPS = OPS + _JOIN_OPS + _PAD_OPS
