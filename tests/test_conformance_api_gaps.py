"""Conformance with PyTorch of the API-gap functions: top-level in-place forms, *_copy, unsafe splits, range,
empty_strided, typename, the deterministic switches, layout, Tensor predicates (is_cpu, get_device, conj,
real/imag, ...), post-accumulate-grad hooks, index_reduce, resize_, apply_/map_/map2_, nonzero_static,
dim_order, windows, histogram(dd), gradient, binomial, the legacy norms and the LU/triangular/Cholesky solvers.

Most cases are one expression over a module `M` (torch or tensorlite): both results must agree (type,
dtype, shape, values; recursively through tuples and namedtuples), or both must raise the same exception type.
"""
import warnings

import numpy as np
import pytest

import tensorlite as tl

torch = pytest.importorskip("torch")


# -- harness ---------------------------------------------------------------------------------------------------
def _norm(r):
    if isinstance(r, (torch.Tensor, tl.Tensor)):
        return ("T", str(r.dtype).split(".")[-1], tuple(r.shape), r.detach().numpy().copy())
    if isinstance(r, (torch.dtype, tl.dtype)):
        return ("dtype", str(r).split(".")[-1])
    if isinstance(r, (torch.Size, tl.Size)):
        return ("size", tuple(r))
    if isinstance(r, tuple) and (hasattr(r, "_fields") or hasattr(type(r), "__match_args__")):
        fields = getattr(r, "_fields", None) or type(r).__match_args__  # namedtuple or torch's structseq
        return ("NT", type(r).__name__, tuple(fields), tuple(_norm(x) for x in r))
    if isinstance(r, (list, tuple)):
        return (type(r).__name__, tuple(_norm(x) for x in r))
    if isinstance(r, str):  # type names: "torch.FloatTensor" is "tensorlite.FloatTensor"
        return ("V", r.replace("tensorlite.", "torch."))
    return ("V", r)


def _same(a, b, rtol=1e-5, atol=1e-6) -> bool:
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.dtype.kind == "f":
            return np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
        return np.array_equal(a, b)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y, rtol, atol) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _run(expr: str, M, env: dict):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return _norm(eval(expr, {"M": M, "np": np, **env})), None
        except Exception as exc:  # noqa: BLE001 - the exception type is what is compared
            return None, exc


def check(expr: str, **env):
    ours, our_exc = _run(expr, tl, env)
    theirs, their_exc = _run(expr, torch, env)
    if their_exc is not None or our_exc is not None:
        assert their_exc is not None and our_exc is not None, f"{expr}: torch {their_exc!r}, tensorlite {our_exc!r}"
        assert isinstance(our_exc, type(their_exc)), f"{expr}: torch raises {their_exc!r}, tensorlite {our_exc!r}"
        return
    assert _same(ours, theirs), f"{expr}:\n tensorlite {ours}\n torch      {theirs}"


def both(fn):
    """fn(M) for each library, as the two results (each normalised)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.lu, torch.lu_solve, ... are deprecated in PyTorch
        return _norm(fn(tl)), _norm(fn(torch))


# -- top-level in-place forms ---------------------------------------------------------------------------------------
_X = "M.tensor([0.25, -0.5, 0.75, 0.1])"
_POS = "M.tensor([1.5, 2.0, 3.25, 1.1])"
_INT = "M.tensor([12, 18, -8, 7])"
INPLACE_CASES = [(n, _X, "") for n in "abs_ acos_ arccos_ asin_ arcsin_ asinh_ arcsinh_ atan_ arctan_ atanh_ arctanh_ "
                 "ceil_ cos_ cosh_ deg2rad_ erf_ erfc_ exp2_ exp_ expm1_ fix_ floor_ frac_ log1p_ neg_ negative_ "
                 "rad2deg_ reciprocal_ round_ sin_ sinc_ sinh_ square_ tan_ tanh_ trunc_ zero_".split()]
INPLACE_CASES += [(n, _POS, "") for n in "acosh_ arccosh_ log_ log10_ log2_ rsqrt_ sqrt_".split()]
INPLACE_CASES += [
    ("clamp_", _X, "min=0.0, max=0.5"), ("clamp_", _X, "M.tensor(0.0)"), ("clamp_max_", _X, "0.3"),
    ("clamp_min_", _X, "0.3"), ("clip_", _X, "-0.3, 0.3"), ("fill_", _X, "1.5"), ("fill_", _X, "M.tensor(2.0)"),
    ("gcd_", _INT, "M.tensor([8, 12, 6, 5])"), ("lcm_", _INT, "M.tensor([8, 12, 6, 5])"),
    ("ldexp_", _X, "M.tensor([1.0, 2.0, -1.0, 3.0])"), ("logit_", "M.tensor([0.2, 0.5, 0.9, 0.7])", ""),
    ("logit_", _X, "eps=0.2"), ("xlogy_", _POS, "M.tensor([2.0, 0.5, 1.0, 3.0])"), ("xlogy_", _POS, "2.0"),
    ("round_", "M.tensor([1.234, -5.678, 0.5, 2.5])", "decimals=1"),
    ("index_put_", _X, "(M.tensor([0, 2]),), M.tensor([9.0, 8.0])"),
    ("index_put_", _X, "(M.tensor([0, 0]),), M.tensor([1.0, 2.0]), accumulate=True"),
]


@pytest.mark.parametrize("name, x, args", INPLACE_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(INPLACE_CASES)])
def test_top_level_inplace(name, x, args):
    sep = ", " if args else ""
    check(f"(lambda x: (M.{name}(x{sep}{args}) is x, x))({x})")


@pytest.mark.parametrize("expr", [
    "M.abs_(3)", "M.sqrt_(M.tensor([1, 4]))", "M.clamp_(M.tensor([1.0, 2.0], requires_grad=True), 0.0)",
    "M.relu_(M.tensor([-1.0, 2.0]))", "M.sigmoid_(M.tensor([0.0]))",
])
def test_top_level_inplace_edges(expr):
    check(expr)


# -- detach, fill, copies and unsafe splits -------------------------------------------------------------------------
@pytest.mark.parametrize("expr", [
    "(lambda x: (M.detach(x).requires_grad, M.detach(x).data_ptr() == x.data_ptr()))(M.ones(2, requires_grad=True))",
    "M.fill(M.ones(2, 3, requires_grad=True), 2.5)", "M.fill(M.ones(3), M.tensor(4.0)).tolist()",
    "M.fill(M.ones(3, dtype=M.int64), 2.7)", "M.fill(M.ones(3), M.ones(2))", "M.fill(M.ones(()), 7.0)",
    "M.alias_copy(M.arange(4.0))", "M.as_strided_copy(M.arange(6.0), (2, 2), (1, 2))",
    "M.detach_copy(M.arange(3.0))", "M.diagonal_copy(M.arange(12.0).view(3, 4), 1)",
    "M.expand_copy(M.arange(3.0).view(3, 1), (3, 2))", "M.permute_copy(M.arange(24.0).view(2, 3, 4), (2, 0, 1))",
    "M.select_copy(M.arange(12.0).view(3, 4), 1, -1)", "M.slice_copy(M.arange(10.0), 0, 2, 9, 3)",
    "M.slice_copy(M.arange(10.0), 0, -3)", "M.slice_copy(M.arange(10.0), 0, 0, 100)",
    "M.slice_copy(M.arange(4.0), 0, 0, 2, 0)",
    "M.split_copy(M.arange(5.0), 2)", "M.split_with_sizes(M.arange(5.0), [2, 3])",
    "M.split_with_sizes(M.arange(5.0), [2, 2])",
    "M.split_with_sizes_copy(M.arange(6.0).view(2, 3), [1, 2], 1)", "M.squeeze_copy(M.zeros(2, 1, 3))",
    "M.squeeze_copy(M.zeros(2, 1, 3), 1)", "M.t_copy(M.arange(6.0).view(2, 3))",
    "M.t_copy(M.arange(6.0).view(2, 3)).is_contiguous()", "M.transpose_copy(M.arange(6.0).view(2, 3), 0, 1)",
    "M.unbind_copy(M.arange(6.0).view(2, 3), 1)", "M.unfold_copy(M.arange(7.0), 0, 3, 2)",
    "M.unsqueeze_copy(M.arange(3.0), 0)", "M.view_copy(M.arange(6.0), (2, 3))", "M.view_copy(M.arange(6.0), M.int32)",
    "M.view_copy(M.arange(6.0).view(2, 3).t(), (6,))",
    "(lambda x: M.t_copy(x).data_ptr() != x.data_ptr())(M.ones(2, 2))",
    "M.unsafe_split(M.arange(5.0), 2)", "M.unsafe_chunk(M.arange(5.0), 2)",
    "M.unsafe_split_with_sizes(M.arange(5.0), [4, 1])",
    "M.arange(5.0).unsafe_split(3)", "M.arange(5.0).unsafe_chunk(3)", "M.arange(5.0).unsafe_split_with_sizes([1, 4])",
])
def test_detach_fill_copies(expr):
    check(expr)


def test_copy_functions_are_differentiable():
    for name, args in [("permute_copy", ((1, 0),)), ("t_copy", ()), ("slice_copy", (1, 0, 2)), ("select_copy", (0, 1)),
                       ("diagonal_copy", ()), ("expand_copy", ((2, 2, 3),)), ("view_copy", ((6,),))]:
        a, b = both(lambda M: (lambda x: (getattr(M, name)(x, *args) * 3).sum().backward() or x.grad)(
            M.arange(6.0).view(2, 3).requires_grad_()))
        assert _same(a, b), name


def test_fill_gradients_match():
    def run(M):
        x, v = M.ones(2, 3, requires_grad=True), M.tensor(2.0, requires_grad=True)
        (M.fill(x, v) * M.arange(6.0).view(2, 3)).sum().backward()
        return x.grad, v.grad

    a, b = both(run)
    assert _same(a, b)


# -- creation, typename, switches, layout -------------------------------------------------------------------------
@pytest.mark.parametrize("expr", [
    "M.range(0, 3)", "M.range(1, 2, 0.5)", "M.range(0, 3, dtype=M.int64)", "M.range(3, 0, -1)", "M.range(3, 0)",
    "M.range(0, 3, 0)", "M.range(0.5, 2.6, 0.7)", "M.range(0, 4, requires_grad=True).requires_grad",
    "M.empty_strided((2, 3), (1, 2)).stride()", "M.empty_strided((2, 3), (1, 2)).shape",
    "M.empty_strided((2, 3), (3, 1)).is_contiguous()", "M.empty_strided((2, 3), (1, 2), dtype=M.float64).dtype",
    "M.empty_strided((2, 0), (1, 2)).shape", "M.empty_strided((), ()).shape", "M.empty_strided((2, 3), (1,))",
    "M.empty_strided((2, -3), (1, 1))", "M.empty_strided((2, 2), (0, 1)).stride()",
    "M.empty_strided((2,), (1,), requires_grad=True).requires_grad",
    "M.ones(2, dtype=M.int32).new_empty_strided((2, 3), (1, 2)).dtype",
    "M.ones(2).new_empty_strided((2, 3), (1, 2)).stride()",
    "M.typename(M.zeros(2))", "M.typename(M.zeros(2, dtype=M.int64))", "M.typename(3)", "M.typename(len)",
    "M.typename(M.ones(2, dtype=M.float64))",
    "M.hann_window(5)", "M.hann_window(5, False)", "M.hann_window(5, periodic=False, dtype=M.float64)",
    "M.hamming_window(6)", "M.hamming_window(6, True, 0.5, 0.5)", "M.hamming_window(6, False, alpha=0.6)",
    "M.blackman_window(7)", "M.blackman_window(7, False)", "M.bartlett_window(6)", "M.bartlett_window(6, False)",
    "M.kaiser_window(6)", "M.kaiser_window(6, False, 5.0)", "M.kaiser_window(6, True, 3.0)", "M.hann_window(1)",
    "M.hann_window(0)", "M.bartlett_window(1, False)", "M.hann_window(3, dtype=M.int64)", "M.hann_window(-1)",
    "M.hann_window(3.0)", "M.hann_window(3, requires_grad=True).requires_grad", "M.kaiser_window(2)",
])
def test_creation_and_windows(expr):
    check(expr)


def test_range_warns_like_torch():
    with pytest.warns(UserWarning, match="deprecated") as ours:
        tl.range(0, 2)
    with pytest.warns(UserWarning, match="deprecated") as theirs:
        torch.range(0, 2)
    assert str(ours[0].message) == str(theirs[0].message)


def test_typename_of_classes_and_instances():
    assert tl.typename(tl.nn.Linear) == "tensorlite.nn.modules.linear.Linear"
    assert tl.typename(tl.nn.Linear(2, 2)) == tl.typename(tl.nn.Linear)
    assert torch.typename(object()) == tl.typename(object()) == "object"


def test_deterministic_switches():
    for M in (torch, tl):
        try:
            assert M.are_deterministic_algorithms_enabled() is False
            assert M.is_deterministic_algorithms_warn_only_enabled() is False
            M.use_deterministic_algorithms(True, warn_only=True)
            assert (M.are_deterministic_algorithms_enabled(), M.is_deterministic_algorithms_warn_only_enabled(),
                    M.get_deterministic_debug_mode()) == (True, True, 1)
            M.use_deterministic_algorithms(True)
            assert M.get_deterministic_debug_mode() == 2 and not M.is_deterministic_algorithms_warn_only_enabled()
            M.set_deterministic_debug_mode("warn")
            assert M.is_deterministic_algorithms_warn_only_enabled()
            with pytest.raises(TypeError):
                M.use_deterministic_algorithms(1)
            with pytest.raises(RuntimeError):
                M.set_deterministic_debug_mode("loud")
        finally:
            M.use_deterministic_algorithms(False)
        assert M.get_deterministic_debug_mode() == 0


def test_layout():
    assert tl.zeros(2).layout is tl.strided and isinstance(tl.strided, tl.layout)
    assert repr(tl.strided) == "tensorlite.strided" and repr(torch.strided) == "torch.strided"


# -- Tensor predicates and identities ------------------------------------------------------------------------------
@pytest.mark.parametrize("expr", [
    "(lambda x: (x.is_cpu, x.get_device(), x.is_inference(), x.is_neg(), x.is_conj(), x.output_nr))(M.ones(2))",
    "(lambda x: (M.real(x) is x, x.real is x, M.conj(x) is x, x.conj() is x, x.resolve_conj() is x, "
    "x.resolve_neg() is x, M.resolve_conj(x) is x, M.resolve_neg(x) is x, M.conj_physical(x) is x, "
    "x.conj_physical() is x))(M.ones(2, requires_grad=True))",
    "M.ones(2).imag", "M.imag(M.ones(2))", "M.isreal(M.tensor([1.0, 2.0]))", "M.ones(2, 3, dtype=M.int64).isreal()",
    "M.isreal(M.tensor(True))", "M.is_same_size(M.ones(2, 3), M.zeros(2, 3))", "M.ones(2).is_same_size(M.ones(3))",
    "M.is_same_size(M.ones(2), 2)", "M.is_neg(M.ones(1))", "M.is_conj(M.ones(1))", "M.is_inference(M.ones(1))",
    "[t.output_nr for t in (M.ones(3, requires_grad=True) * 2).unbind()]",
    "(lambda m: (m.values.output_nr, m.indices.output_nr))((M.ones(2, 3, requires_grad=True) * 2).max(1))",
    "M.nonzero_static(M.tensor([0, 1, 0, 2]), size=4)",
    "M.nonzero_static(M.tensor([[0, 1], [2, 0]]), size=1, fill_value=7)",
    "M.nonzero_static(M.tensor(3.0), size=2)", "M.nonzero_static(M.tensor(0.0), size=2)",
    "M.nonzero_static(M.tensor([1, 0]), size=0)", "M.nonzero_static(M.tensor([1, 0]), size=-1)",
    "M.nonzero_static(M.tensor([1, 2]), size=2, fill_value=2.5)",
    "M.tensor([True, False, True]).nonzero_static(size=3)",
])
def test_tensor_predicates(expr):
    check(expr)


DIM_ORDER_CASES = [((2, 3, 4), None), ((2, 3, 4), (2, 0, 1)), ((2, 1), None), ((5,), None),
                   ((3, 1, 4), (2, 1, 0)), ((2, 3, 4, 5), (0, 2, 3, 1)), ((1, 2, 3, 4), None), ((2, 2, 2), (1, 0, 2)),
                   ((4, 1, 1, 3), (3, 2, 0, 1)), ((2, 0, 3), None), ((3, 1, 2, 1), (0, 3, 2, 1))]


@pytest.mark.parametrize("shape, perm", DIM_ORDER_CASES)
def test_dim_order(shape, perm):
    base = "M.zeros{}".format(shape if len(shape) != 1 else f"({shape[0]},)")
    x = base if perm is None else f"{base}.permute{perm}"
    check(f"{x}.dim_order()")
    check(f"{x}.dim_order(ambiguity_check=True)")
    check(f"{x}.dim_order(ambiguity_check=[M.contiguous_format, M.channels_last])")
    check("M.ones(3, 1).expand(3, 4).dim_order()")
    check(f"{x}.dim_order(ambiguity_check='x')")


# -- hooks ---------------------------------------------------------------------------------------------------------
def test_post_accumulate_grad_hook_matches_torch():
    def run(M):
        x = M.ones(3, requires_grad=True)
        calls = []
        handle = x.register_post_accumulate_grad_hook(lambda t: calls.append(("post", t is x, t.grad.tolist())))
        x.register_hook(lambda g: calls.append(("pre", g.tolist())))
        (x * 2).sum().backward()
        (x * 3).sum().backward()
        M.autograd.grad((x * 2).sum(), x)  # no accumulation: no post hook
        y = M.ones(3, requires_grad=True)
        (x * y).sum().backward(inputs=[y])  # x not asked for: none of its hooks run
        handle.remove()
        (x * 2).sum().backward()
        return calls

    assert run(tl) == run(torch)


@pytest.mark.parametrize("expr", [
    "(M.ones(2, requires_grad=True) * 2).register_post_accumulate_grad_hook(lambda t: None)",
    "M.ones(2).register_post_accumulate_grad_hook(lambda t: None)",
    "(lambda x: (x.register_post_accumulate_grad_hook(lambda t: 5), (x * 2).sum().backward()))"
    "(M.ones(2, requires_grad=True))",
    "(lambda x: (x.register_post_accumulate_grad_hook(lambda t: M.ones(2)), (x * 2).sum().backward()))"
    "(M.ones(2, requires_grad=True))",
    "(lambda x: (x.register_post_accumulate_grad_hook(lambda t: setattr(t, 'grad', None)), (x * 2).sum().backward(), "
    "x.grad)[2])(M.ones(2, requires_grad=True))",
])
def test_post_accumulate_grad_hook_edges(expr):
    check(expr)


# -- storage changes and callbacks ---------------------------------------------------------------------------------
@pytest.mark.parametrize("expr", [
    "(lambda z: (z.resize_(2, 2), z.stride()))(M.tensor([1.0, 2.0, 3.0, 4.0]))",
    "(lambda z: (z.resize_(1), z.resize_as_(M.zeros(2, 2))))(M.tensor([1.0, 2.0, 3.0, 4.0]))",
    "M.arange(6.0)[1:3].resize_(4)",
    "(lambda q: (q.resize_(6), q.resize_(3, 2).stride()))(M.arange(6.0).view(2, 3).t())",
    "M.arange(6.0).view(2, 3).resize_(2, 3)", "M.ones(2).resize_((2, 1)).shape", "M.ones(2).resize_([2]).shape",
    "M.ones(2).resize_(-1)", "M.ones(2).resize_as_(3)", "M.tensor([1.0, 2.0], requires_grad=True).resize_(3)",
    "(lambda z: (z.resize_(2, 3)[0], z.shape))(M.arange(4.0))", "M.arange(4, dtype=M.int32).resize_(0)",
    "M.ones(2).apply_(lambda v: v * 3)", "M.ones(2, dtype=M.int64).apply_(lambda v: v * 3.7)",
    "M.ones(2).apply_(lambda v: 'a')", "M.ones(2, dtype=M.bool).apply_(lambda v: 0)",
    "M.ones(2, requires_grad=True).apply_(lambda v: v)", "M.ones(2).apply_(3)",
    "M.ones(2).map_(M.tensor([1.0, 2.0]), lambda a, b: a + b)", "M.ones(2, 3).map_(M.tensor([1.0, 2.0, 3.0]), max)",
    "M.ones(2).map_(M.tensor([1, 2]), lambda a, b: a + b)", "M.ones(2, 3).map_(M.ones(3, 2), lambda a, b: a)",
    "M.ones(2).map2_(M.tensor([1.0, 2.0]), M.tensor([3.0, 4.0]), lambda a, b, c: a + b * c)",
    "M.ones(2).map2_(M.tensor([1.0, 2.0]).double(), M.tensor([3.0, 4.0]), lambda a, b, c: a)",
    "(lambda v: (v.apply_(lambda a: a + 1), v[0]))(M.arange(6.0).view(2, 3))",
])
def test_resize_and_callbacks(expr):
    check(expr)


# -- index_reduce ----------------------------------------------------------------------------------------------------
_IR = "M.arange(1.0, 7.0).view(3, 2), 0, M.tensor([0, 2, 0]), M.tensor([[2.0, 3.0], [4.0, 5.0], [6.0, 7.0]])"


@pytest.mark.parametrize("expr", [
    *[f"M.index_reduce({_IR}, '{r}', include_self={inc})" for r in ("prod", "mean", "amax", "amin")
      for inc in (True, False)],
    "M.arange(1, 7).view(3, 2).index_reduce(0, M.tensor([0, 2, 0]), -M.arange(6).view(3, 2), 'mean')",
    "M.arange(1, 7).view(3, 2).index_reduce(0, M.tensor([0, 2, 0]), M.arange(6).view(3, 2), 'amax', include_self=False)",
    f"M.index_reduce({_IR}, 'sum')", "M.ones(3, 2).index_reduce(0, M.tensor([0.0]), M.ones(1, 2), 'prod')",
    "M.ones(3, 2).index_reduce(0, M.tensor([0, 5]), M.ones(2, 2), 'prod')",
    "M.ones(3, 2).index_reduce(0, M.tensor([-1, 0]), M.ones(2, 2), 'prod')",
    "M.ones(3, 2).index_reduce(0, M.tensor([0, 1]), M.ones(3, 2), 'prod')",
    "M.ones(3, 2).index_reduce(0, M.tensor([[0, 1]]), M.ones(2, 2), 'prod')",
    "M.ones(3, 2).index_reduce(2, M.tensor([0, 1]), M.ones(2, 2), 'prod')",
    "M.ones(3, 2).index_reduce(0, M.tensor([0, 1]), M.ones(2, 2).double(), 'prod')",
    "M.ones(3, 2).index_reduce(0, M.tensor([0, 1]), M.ones(2, 1), 'prod')",
    "M.tensor(5.0).index_reduce(0, M.tensor([0]), M.tensor(2.0), 'prod')",
    "M.ones(3, 2).index_reduce(1, M.tensor([1, 1], dtype=M.int32), M.full((3, 2), 2.0), 'prod')",
    "(lambda x: (x.index_reduce_(0, M.tensor([1]), M.full((1, 2), 3.0), 'amin'), x))(M.ones(3, 2))",
    "M.ones(3, 2, requires_grad=True).index_reduce_(0, M.tensor([1]), M.full((1, 2), 3.0), 'amin')",
])
def test_index_reduce(expr):
    check(expr)


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce_gradients_with_ties_and_zeros(reduce, include_self):
    def run(M):
        x = M.tensor([[6.0, 1.0], [2.0, 0.0], [3.0, 3.0]], requires_grad=True)
        src = M.tensor([[6.0, 3.0], [6.0, 0.0], [1.0, 3.0]], requires_grad=True)
        out = x.index_reduce(0, M.tensor([0, 0, 2]), src, reduce, include_self=include_self)
        return out, M.autograd.grad((out * M.arange(1.0, 7.0).view(3, 2)).sum(), (x, src))

    a, b = both(run)
    assert _same(a, b)


# -- gradient, histograms, binomial, norms ----------------------------------------------------------------------------
_G = "M.tensor([[1.0, 2, 4, 8], [10, 20, 40, 80]])"


@pytest.mark.parametrize("expr", [
    f"M.gradient({_G})", f"M.gradient({_G}, dim=1, edge_order=2)", f"M.gradient({_G}, spacing=2.0)",
    f"M.gradient({_G}, spacing=[2.0, 3.0])",
    f"M.gradient({_G}, spacing=(M.tensor([0.0, 1]), M.tensor([0.0, 1, 3, 4])))",
    f"M.gradient({_G}, spacing=(M.tensor([0.0, 1, 3, 4]),), dim=1, edge_order=2)",
    "M.gradient(M.tensor([1.0, 2]), edge_order=2)",
    "M.gradient(M.tensor(1.0))", f"M.gradient({_G}, edge_order=3)", f"M.gradient({_G}, spacing=[1.0, 2.0, 3.0])",
    "M.gradient(M.tensor([1, 2, 4]))", "M.gradient(M.tensor([1, 2, 4]), spacing=2)", f"M.gradient({_G}, dim=(0, 0))",
    f"M.gradient({_G}, dim=2)", f"M.gradient({_G}, dim=[-1])", f"M.gradient({_G}, spacing=M.tensor(2.0))",
    f"M.gradient({_G}, spacing=[M.tensor(2.0), M.tensor(3.0)])", f"M.gradient({_G}, spacing=2, dim=1)",
    f"M.gradient({_G}.double(), spacing=[M.tensor([0.0, 1]), M.tensor([0.0, 1, 3, 4])])",
    f"M.gradient({_G}, spacing=[M.tensor([0.0, 1]).double(), M.tensor([0.0, 1, 3, 4]).double()])",
    "M.gradient(M.tensor([1, 2, 4]), spacing=[M.tensor([0, 1, 3])])", "M.gradient(M.zeros(0, 3))",
    f"M.gradient({_G}, spacing=[1.0], dim=[0, 1])", "M.gradient(M.arange(24.0).view(2, 3, 4) ** 2, dim=(0, 2))",
])
def test_gradient(expr):
    check(expr)


def test_gradient_is_differentiable():
    def run(M):
        f = M.tensor(np.linspace(0, 2, 12).reshape(3, 4) ** 2, requires_grad=True)
        gs = M.gradient(f, spacing=[M.tensor([0.0, 1.0, 1.5], dtype=M.float64),
                                    M.tensor([0.0, 0.5, 1.5, 2.0], dtype=M.float64)], edge_order=2)
        gs += M.gradient(f, spacing=[0.5, 2.0])
        return M.autograd.grad(sum((g * g).sum() for g in gs), f)

    a, b = both(run)
    assert _same(a, b)


_H = "M.tensor([1.0, 2, 1, 4, 2.5])"


@pytest.mark.parametrize("expr", [
    f"M.histogram({_H}, 3)", f"M.histogram({_H}, M.tensor([0.0, 1, 2, 5]))",
    f"M.histogram({_H}, 3, range=(0.0, 3.0), weight=M.ones(5) * 2, density=True)", f"M.histogram({_H}.long(), 3)",
    f"M.histogram({_H}, -1)", f"M.histogram({_H}, 3, range=(3.0, 0.0))", f"M.histogram({_H}, M.tensor([2.0, 1]))",
    f"M.histogram({_H}, M.tensor([[2.0, 1]]))", f"M.histogram({_H}.double(), M.tensor([0.0, 1, 2, 5]))",
    f"M.histogram({_H}, 3, weight=M.ones(4))", "M.histogram(M.zeros(0), 3)", "M.histogram(M.tensor([2.0, 2.0]), 2)",
    "M.histogram(M.ones(2, 3), 2)", "M.histogram(M.tensor([1.0, float('nan')]), 2)",
    "M.histogram(M.tensor([1.0, float('inf')]), 2)", f"M.histogram({_H}, 3, range=(1.5, 2.2))", f"{_H}.histogram(2)",
    f"{_H}.histogram(M.tensor([1.0, 2.0, 4.0]), density=True)",
    "M.histogram(M.tensor([0.0, 0.5, 1.0]), 2, range=(0.0, 1.0))",
    "M.histogramdd(M.tensor([[0.0, 1], [1, 0], [2, 0], [2, 2]]), bins=[3, 3])",
    "M.histogramdd(M.tensor([[0.0, 1], [1, 0], [2, 0], [2, 2]]), bins=2, range=[0.0, 1, 0, 1], density=True)",
    "M.histogramdd(M.tensor([[0.0, 1], [1, 0]]), bins=[M.tensor([0.0, 1, 2]), M.tensor([0.0, 2])])",
    "M.histogramdd(M.tensor([[0.0, 1], [1, 0]]), bins=[2, 3], weight=M.tensor([2.0, 0.5]))",
    "M.histogramdd(M.tensor([0.0, 1.0]), bins=2)", "M.histogramdd(M.rand(5, 2, 3), bins=2).hist.shape",
    "M.histogramdd(M.rand(5, 2), bins=2, range=[0.0, 1.0])",
])
def test_histograms(expr):
    check(expr)


@pytest.mark.parametrize("bins", [7, "edges"])
def test_histogram_random_data_matches(bins):
    rng = np.random.default_rng(0)
    data = rng.normal(size=500).astype(np.float32)
    w = rng.uniform(size=500).astype(np.float32)
    edges = np.array([-3.0, -1.0, -0.2, 0.0, 0.7, 2.5], dtype=np.float32)

    def run(M):
        b = 7 if bins == 7 else M.tensor(edges)
        return M.histogram(M.tensor(data), b, weight=M.tensor(w)), M.histogram(M.tensor(data), b, density=True)

    a, b = both(run)
    assert _same(a, b)
    pts = rng.normal(size=(300, 3))
    a, b = both(lambda M: M.histogramdd(M.tensor(pts), bins=[3, 4, 2], density=True))
    assert _same(a, b)


@pytest.mark.parametrize("expr", [
    "M.binomial(M.tensor([10.0, 5.0]), M.tensor([0.5, 0.2])).dtype",
    "M.binomial(M.tensor([10, 5]), M.tensor([0.5, 0.2]))",
    "M.binomial(M.tensor([10.0, 5.0]), M.tensor([0.5, 0.2]).double())",
    "M.binomial(M.ones(2, 2) * 4, M.tensor([0.5, 0.2])).shape",
    "M.binomial(M.tensor([0.0, 7.0, 3.0]), M.tensor([0.3, 1.0, 0.0]))",
    "M.binomial(M.tensor([10.0]).double(), M.tensor([0.5]).double()).dtype",
])
def test_binomial(expr):
    check(expr)


def test_binomial_statistics_and_generator():
    counts, probs = tl.full((20000,), 12.0), tl.full((20000,), 0.25)
    draws = tl.binomial(counts, probs).numpy()
    assert draws.min() >= 0 and draws.max() <= 12 and abs(draws.mean() - 3.0) < 0.1
    a = tl.binomial(counts[:5], probs[:5], generator=tl.Generator().manual_seed(3))
    b = tl.binomial(counts[:5], probs[:5], generator=tl.Generator().manual_seed(3))
    assert np.array_equal(a.numpy(), b.numpy())


_A = "M.tensor(np.random.default_rng(0).normal(size=(2, 3, 4)))"


@pytest.mark.parametrize("expr", [
    f"M.nuclear_norm({_A}[0])", f"M.nuclear_norm({_A}, (1, 2))", f"M.nuclear_norm({_A})",
    f"M.nuclear_norm({_A}[0], True)",
    f"M.nuclear_norm({_A}[0], keepdim=True)", f"M.nuclear_norm({_A}, (0, 2), True)", f"M.nuclear_norm({_A}, (1,))",
    f"M.nuclear_norm({_A}.long()[0])", f"M.frobenius_norm({_A}, (1, 2))", f"M.frobenius_norm({_A}, 1)",
    f"M.frobenius_norm({_A}, [1], True)", f"M.frobenius_norm({_A})", f"M.frobenius_norm({_A}, (0, 1, 2))",
    f"M.frobenius_norm({_A}, ())", f"M.frobenius_norm({_A}.long(), (1, 2))",
    "M.rms_norm(M.arange(6.0).view(2, 3), (3,))",
    "M.rms_norm(M.arange(6.0).view(2, 3), [3], M.tensor([1.0, 2, 3]), 1e-3)",
])
def test_legacy_norms(expr):
    check(expr)


# -- LU family and the older solvers ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (3, 5), (5, 3), (2, 2, 4), (1, 1), (0, 3), (2, 0, 0)])
def test_lu_values_pivots_and_gradients(shape):
    a = np.random.default_rng(sum(shape)).normal(size=shape)
    w = np.random.default_rng(1).normal(size=shape)

    def run(M):
        A = M.tensor(a, requires_grad=True)
        LU, piv = M.lu(A)
        P, L, U = M.lu_unpack(LU, piv)
        grads = M.autograd.grad((LU * M.tensor(w)).sum() + (L.sum() + U.sum()) if A.numel() else LU.sum(), A,
                                allow_unused=True)
        return LU, piv, P, L, U, grads

    ours, theirs = both(run)
    assert _same(ours, theirs, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("expr", [
    "M.lu(M.zeros(3, 3), get_infos=True)", "M.lu(M.tensor([[1.0, 2], [2, 4]]), get_infos=True)",
    "M.lu(M.eye(3).expand(2, 3, 3), get_infos=True).info", "M.lu(M.eye(3), pivot=False)", "M.lu(M.ones(3))",
    "M.lu(M.ones(3, 3).long())", "M.lu(M.ones(2, 2).half())", "M.ones(2, 3, 3).lu()[1].dtype",
    "M.lu_unpack(*M.lu(M.ones(2, 3, 3) + M.eye(3)), unpack_data=False)",
    "M.lu_unpack(*M.lu(M.ones(3, 3) + M.eye(3)), unpack_pivots=False)",
    "M.lu_unpack(M.ones(2, 3, 3), M.ones(2, 3, dtype=M.int64))",
    "M.lu_unpack(M.ones(2, 3, 3), M.full((2, 3), 4, dtype=M.int32))",
    "M.linalg.lu_factor(M.zeros(2, 2))", "M.linalg.lu_factor_ex(M.zeros(2, 2))",
    "M.linalg.lu_factor_ex(M.zeros(2, 2, 2), check_errors=True)",
    "M.linalg.lu(M.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]]))",
])
def test_lu_edges(expr):
    check(expr)


_B = "M.tensor(np.random.default_rng(2).normal(size=({})))"
_T = "(M.tensor(np.random.default_rng(3).normal(size=({}))) + 3 * M.eye({}))"


@pytest.mark.parametrize("expr", [
    f"M.lu_solve({_B.format('2, 3, 2')}, *M.lu({_T.format('2, 3, 3', 3)}))",
    f"M.lu_solve({_B.format('3, 2')}, *M.lu({_T.format('2, 3, 3', 3)}))",
    f"M.lu_solve({_B.format('4, 3, 2')}, *M.lu({_T.format('2, 3, 3', 3)}))",
    f"M.lu_solve({_B.format('3')}, *M.lu({_T.format('3, 3', 3)}))",
    f"M.lu_solve({_B.format('4, 1')}, *M.lu({_T.format('3, 3', 3)}))",
    f"M.lu_solve({_B.format('3, 2')}.float(), *M.lu({_T.format('3, 3', 3)}))",
    f"M.lu_solve({_B.format('3, 2')}, {_T.format('3, 4', '3, 4')}, M.ones(3, dtype=M.int32))",
    f"M.lu_solve({_B.format('3, 2')}, *M.lu({_T.format('2, 3, 3', 3)}))",
    f"{_B.format('3, 2')}.lu_solve(*M.lu({_T.format('3, 3', 3)}))",
    f"(lambda LU, p: M.linalg.lu_solve(LU, p, {_B.format('2, 3')}, left=False))(*M.linalg.lu_factor({_T.format('3, 3', 3)}))",
    f"(lambda LU, p: M.linalg.lu_solve(LU, p, {_B.format('3, 2')}, adjoint=True))(*M.linalg.lu_factor({_T.format('3, 3', 3)}))",
    *[f"M.triangular_solve({_B.format('2, 3, 2')}, {_T.format('3, 3', 3)}, {u}, {t}, {d})"
      for u in (True, False) for t in (True, False) for d in (True, False)],
    f"{_B.format('3, 2')}.triangular_solve({_T.format('3, 3', 3)}, upper=False)",
    f"M.triangular_solve({_B.format('3, 2')}, {_T.format('2, 3, 3', 3)}).cloned_coefficient.shape",
    f"M.triangular_solve({_B.format('3')}, {_T.format('3, 3', 3)})",
    f"M.triangular_solve({_B.format('4, 2')}, {_T.format('3, 3', 3)})",
    f"M.triangular_solve({_B.format('3, 2')}, M.ones(3, 4))",
    f"M.triangular_solve({_B.format('3, 2')}.float(), {_T.format('3, 3', 3)})",
    "M.triangular_solve(M.ones(3, 2).long(), M.ones(3, 3).long())", "M.triangular_solve(M.zeros(0, 2), M.zeros(0, 0))",
])
def test_lu_solve_and_triangular_solve(expr):
    check(expr)


_M = "M.tensor(np.random.default_rng(4).normal(size=(3, 3)))"
_L = f"M.linalg.cholesky({_M} @ {_M}.mT + 3 * M.eye(3, dtype=M.float64))"


@pytest.mark.parametrize("expr", [
    f"M.cholesky_solve({_B.format('3, 2')}, {_L})", f"M.cholesky_solve({_B.format('2, 3, 1')}, {_L})",
    f"M.cholesky_solve({_B.format('3, 2')}, {_L}.mT, True)",
    f"M.cholesky_solve({_B.format('2, 3, 1')}, {_L}.expand(4, 1, 3, 3)).shape",
    f"{_B.format('3, 2')}.cholesky_solve({_L})", f"M.cholesky_inverse({_L})",
    f"M.cholesky_inverse({_L}.mT, upper=True)",
    f"{_L}.cholesky_inverse()", "M.cholesky_inverse(M.eye(3).expand(2, 3, 3))", "M.cholesky_inverse(M.zeros(0, 0))",
    "M.cholesky_solve(M.ones(3, 2).long(), M.ones(3, 3).long())", "M.cholesky_solve(M.ones(3, 2), M.ones(3))",
    "M.cholesky_solve(M.ones(3), M.eye(3))", "M.cholesky_solve(M.ones(4, 1), M.eye(3))",
    "M.cholesky_solve(M.ones(3, 1), M.eye(3).double())", "M.cholesky_solve(M.ones(3, 1), M.ones(3, 2))",
    "M.cholesky_inverse(M.ones(3))", "M.cholesky_inverse(M.ones(3, 2))", "M.cholesky_inverse(M.eye(2, dtype=M.int64))",
])
def test_cholesky_solve_and_inverse(expr):
    check(expr)


@pytest.mark.parametrize("upper", [False, True])
def test_solver_gradients_match_torch(upper):
    """Gradients with respect to a factor given directly (PyTorch's formulas, upper triangle included)."""
    rng = np.random.default_rng(5)
    m = rng.normal(size=(3, 3))
    L = np.linalg.cholesky(m @ m.T + 3 * np.eye(3))
    L = L.T if upper else L
    b, g = rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 3, 2))

    def run(M):
        B, F = M.tensor(b, requires_grad=True), M.tensor(L, requires_grad=True)
        x = M.cholesky_solve(B, F, upper)
        inv = M.cholesky_inverse(F, upper)
        t = M.triangular_solve(B, F, upper=upper, transpose=True)
        LU, piv = M.lu(F)
        s = M.lu_solve(B, LU, piv)
        loss = (x * M.tensor(g)).sum() + (inv * inv).sum() + (t.solution * M.tensor(g)).sum() \
            + t.cloned_coefficient.sum() + (s * M.tensor(g)).sum()
        return M.autograd.grad(loss, (B, F))

    ours, theirs = both(run)
    assert _same(ours, theirs, rtol=1e-7, atol=1e-9)


_LAYOUT_CALLS = {"zeros": (2,), "ones": (2,), "empty": (2,), "full": ((2,), 1.0), "arange": (3,), "linspace": (0, 1, 3),
                 "logspace": (0, 1, 3), "eye": (2,), "rand": (2,), "randn": (2,), "randint": (0, 3, (2,)),
                 "randperm": (3,), "tril_indices": (3, 3), "triu_indices": (3, 3), "zeros_like": "like",
                 "ones_like": "like", "empty_like": "like", "rand_like": "like", "randn_like": "like",
                 "full_like": "like+1", "randint_like": "like+3"}


@pytest.mark.parametrize("name", sorted(_LAYOUT_CALLS))
def test_creation_functions_take_layout_strided(name):
    """torch's creation functions take layout=torch.strided; tensorlite's only layout is tl.strided."""
    spec = _LAYOUT_CALLS[name]

    def args(lib):
        if isinstance(spec, tuple):
            return spec
        extra = () if spec == "like" else (float(spec[5:]) if name == "full_like" else int(spec[5:]),)
        return (lib.zeros(2),) + extra

    ours = getattr(tl, name)(*args(tl), layout=tl.strided)
    theirs = getattr(torch, name)(*args(torch), layout=torch.strided)
    assert tuple(ours.shape) == tuple(theirs.shape) and ours.dtype.name == str(theirs.dtype).split(".")[1]
    with pytest.raises(NotImplementedError, match="strided"):
        getattr(tl, name)(*args(tl), layout=tl.layout("sparse_coo"))
