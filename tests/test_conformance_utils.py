"""tl.autograd.functional, tl.testing, tl.utils.checkpoint and tl.utils.tensorboard against PyTorch."""
import warnings

import numpy as np
import pytest

import tensorlite as tl

torch = pytest.importorskip("torch")
import torch.autograd.functional as TF  # noqa: E402

LF = tl.autograd.functional
RNG = np.random.default_rng(0)
A, B, VA, VB = RNG.standard_normal((2, 3)), RNG.standard_normal(3), RNG.standard_normal((2, 3)), RNG.standard_normal(3)


def _t(lib, *xs):
    return tuple(lib.tensor(x) for x in xs)


def _same(t, l, path="result"):
    if isinstance(t, tuple):
        assert isinstance(l, tuple) and len(l) == len(t), path
        for i, (x, y) in enumerate(zip(t, l)):
            _same(x, y, f"{path}[{i}]")
        return
    assert not isinstance(l, tuple), path
    np.testing.assert_allclose(l.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=path)
    assert l.requires_grad == t.requires_grad, path


F1 = lambda x: (x ** 3).sum(1) * 2  # noqa: E731
F2 = lambda x, y: ((x * y).sin(), (x ** 2).sum() * y)  # noqa: E731
FS = lambda x, y: (x.exp() * y).sum() + (y ** 3).sum()  # noqa: E731

CASES = [
    ("vjp", F1, lambda L: L(A)[0], lambda L: L(np.ones(2))[0], {}),
    ("vjp", F2, lambda L: L(A, B), lambda L: L(VA, VB), {}),
    ("vjp", F2, lambda L: L(A, B), lambda L: L(VA, VB), {"create_graph": True}),
    ("jvp", F2, lambda L: L(A, B), lambda L: L(VA, VB), {}),
    ("jvp", F1, lambda L: L(A)[0], lambda L: L(VA)[0], {}),
    ("jacobian", F2, lambda L: L(A, B), None, {}),
    ("jacobian", F1, lambda L: L(A)[0], None, {}),
    ("jacobian", F1, lambda L: L(A)[0], None, {"vectorize": True, "strategy": "forward-mode"}),
    ("hessian", FS, lambda L: L(A, B), None, {}),
    ("hessian", lambda x: (x ** 3).sum(), lambda L: L(B)[0], None, {}),
    ("hvp", FS, lambda L: L(A, B), lambda L: L(VA, VB), {}),
    ("hvp", FS, lambda L: L(A, B), lambda L: L(VA, VB), {"create_graph": True}),
    ("vhp", FS, lambda L: L(A, B), lambda L: L(VA, VB), {}),
    ("vhp", lambda x: (x ** 3).sum(), lambda L: L(B)[0], lambda L: L(VB)[0], {"create_graph": True}),
    ("jvp", F2, lambda L: L(A, B), lambda L: L(VA, VB), {"create_graph": True}),
    ("hessian", FS, lambda L: L(A, B), None, {"create_graph": True}),
]


@pytest.mark.parametrize("name,f,inp,v,kw", CASES)
def test_functional_values_and_structure(name, f, inp, v, kw):
    args_t = (inp(lambda *x: _t(torch, *x)),) + ((v(lambda *x: _t(torch, *x)),) if v else ())
    args_l = (inp(lambda *x: _t(tl, *x)),) + ((v(lambda *x: _t(tl, *x)),) if v else ())
    _same(getattr(TF, name)(f, *args_t, **kw), getattr(LF, name)(f, *args_l, **kw))


ERRORS = [
    lambda lib, M: M.vjp(lambda x, y: x * 2, (lib.ones(2), lib.ones(2)), lib.ones(2), strict=True),
    lambda lib, M: M.vjp(lambda x: x * 2, lib.ones(2)),
    lambda lib, M: M.vjp(lambda x: x * 2, [lib.ones(2)], lib.ones(2)),
    lambda lib, M: M.vjp(lambda x: lib.ones(2), lib.ones(2), lib.ones(2), strict=True),
    lambda lib, M: M.jacobian(lambda x, y: x * 2, (lib.ones(2), lib.ones(2)), strict=True),
    lambda lib, M: M.jvp(lambda x, y: x * 2, (lib.ones(2), lib.ones(2)), (lib.ones(2), lib.ones(2)), strict=True),
    lambda lib, M: M.hessian(lambda x: x * 2, lib.ones(2)),
    lambda lib, M: M.hessian(lambda x: (x * 2).sum(), lib.ones(2), strict=True),
    lambda lib, M: M.hvp(lambda x: (x ** 2).sum(), lib.ones(2), (lib.ones(2), lib.ones(2))),
    lambda lib, M: M.jacobian(lambda x: x * 2, lib.ones(2), strategy="forward-mode"),
    lambda lib, M: M.jacobian(lambda x: x * 2, lib.ones(2), strategy="bad"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_functional_errors(i):
    got = []
    for lib, M in ((torch, TF), (tl, LF)):
        with pytest.raises(Exception) as e:
            ERRORS[i](lib, M)
        got.append((type(e.value), str(e.value)))
    assert got[0] == got[1]


def test_jacobian_unused_input_is_zero():
    _same(TF.jacobian(lambda x, y: x * 2, (torch.ones(2), torch.ones(2))),
          LF.jacobian(lambda x, y: x * 2, (tl.ones(2), tl.ones(2))))


def _msg(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except Exception as e:  # noqa: BLE001 -- the type and text are what we compare
        return type(e), str(e).replace("tensorlite.tensor.", "").replace("torch.", "").replace("tensorlite.", "")
    return None


CLOSE = [
    (lambda L: L.tensor([1., 2, 3]), lambda L: L.tensor([1., 2.5, 3]), {}),
    (lambda L: L.tensor([1, 2, 3]), lambda L: L.tensor([1, 4, 3]), {}),
    (lambda L: L.tensor([[1., 2], [3, 4]], dtype=L.float64),
     lambda L: L.tensor([[1., 2], [3, 4 + 1e-6]], dtype=L.float64), {}),
    (lambda L: L.tensor([1., 2]), lambda L: L.tensor([1., 2 + 1e-6]), {}),
    (lambda L: L.tensor([1., 2], dtype=L.float16), lambda L: L.tensor([1., 2.01], dtype=L.float16), {}),
    (lambda L: 1.0, lambda L: 1.5, {}),
    (lambda L: L.ones(2), lambda L: L.ones(3), {}),
    (lambda L: L.ones(2), lambda L: L.ones(2, dtype=L.float64), {}),
    (lambda L: L.ones(2), lambda L: L.ones(2, dtype=L.float64), {"check_dtype": False}),
    (lambda L: [L.ones(2), 1], lambda L: [L.ones(2), 2], {}),
    (lambda L: {"a": L.ones(2)}, lambda L: {"a": L.zeros(2)}, {}),
    (lambda L: L.ones(2), lambda L: 1.0, {}),
    (lambda L: L.ones(2, 2), lambda L: L.tensor([[1., 1], [1, 0]]), {"msg": "custom"}),
    (lambda L: [1, 2], lambda L: [1, 2, 3], {}),
    (lambda L: L.ones(2), lambda L: L.ones(2), {"rtol": 1e-3}),
    (lambda L: L.tensor([float("nan")]), lambda L: L.tensor([float("nan")]), {"equal_nan": True}),
    (lambda L: L.tensor([1., 2]), lambda L: L.tensor([1.1, 2]), {"rtol": 0.2, "atol": 0.0}),
    (lambda L: L.tensor(1.), lambda L: L.tensor(2.), {}),
    (lambda L: L.tensor(float("nan")), lambda L: L.tensor(float("nan")), {}),
    (lambda L: True, lambda L: False, {}),
    (lambda L: 1, lambda L: 1.0, {}),
    (lambda L: 1, lambda L: 1.0, {"check_dtype": False}),
    (lambda L: 1 + 1j, lambda L: 1 + 1.1j, {}),
    (lambda L: (L.ones(2), {"b": [L.zeros(3, dtype=L.int32)]}),
     lambda L: (L.ones(2), {"b": [L.ones(3, dtype=L.int32)]}), {}),
    (lambda L: L.ones(3, 2).t(), lambda L: L.ones(2, 3), {"check_stride": True}),
    (lambda L: np.ones(2), lambda L: np.zeros(2), {}),
]


@pytest.mark.parametrize("a,e,kw", CLOSE)
def test_assert_close(a, e, kw):
    got = _msg(tl.testing.assert_close, a(tl), e(tl), **kw)
    assert got == _msg(torch.testing.assert_close, a(torch), e(torch), **kw)


@pytest.mark.parametrize("dtype,kw", [("float32", {}), ("int64", {"low": -3, "high": 4}), ("bool", {}),
                                      ("float64", {"low": 0.5, "high": 1.0, "noncontiguous": True,
                                                   "requires_grad": True, "exclude_zero": True})])
def test_make_tensor(dtype, kw):
    t = torch.testing.make_tensor(3, 4, dtype=getattr(torch, dtype), device="cpu", **kw)
    l = tl.testing.make_tensor((3, 4), dtype=getattr(tl, dtype), device="cpu", **kw)
    assert (tuple(l.shape), str(l.dtype)[11:], l.requires_grad, l.is_contiguous()) == \
        (tuple(t.shape), str(t.dtype)[6:], t.requires_grad, t.is_contiguous())
    if "low" in kw:
        assert kw["low"] <= float(l.min()) and float(l.max()) <= kw["high"]


def _model(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Dropout(0.5), lib.nn.Linear(8, 3))


@pytest.mark.parametrize("reentrant", [True, False])
@pytest.mark.parametrize("sequential", [False, True])
def test_checkpoint_gradients_match_plain_run(reentrant, sequential):
    from tensorlite.utils.checkpoint import checkpoint, checkpoint_sequential

    m = _model(tl)
    x = tl.randn(5, 4, requires_grad=True)
    tl.manual_seed(1)
    y0 = m(x)
    g0 = tl.autograd.grad(y0.sum(), [x, *m.parameters()])
    tl.manual_seed(1)
    y1 = checkpoint_sequential(m, 2, x, use_reentrant=reentrant) if sequential else \
        checkpoint(m, x, use_reentrant=reentrant)
    y1.sum().backward()  # dropout's mask is redrawn identically thanks to the restored RNG state
    np.testing.assert_allclose(y1.detach().numpy(), y0.detach().numpy())
    for g, t in zip(g0, [x, *m.parameters()]):
        np.testing.assert_allclose(t.grad.numpy(), g.numpy(), rtol=1e-6, atol=1e-7)


def test_checkpoint_warnings_and_errors():
    from tensorlite.utils.checkpoint import checkpoint

    from torch.utils.checkpoint import checkpoint as tcheckpoint
    for lib, ck in ((torch, tcheckpoint), (tl, checkpoint)):
        with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
            ck(lib.sin, lib.randn(3, requires_grad=True))
        with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
            assert not ck(lib.sin, lib.randn(3), use_reentrant=True).requires_grad
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert not ck(lib.sin, lib.randn(3), use_reentrant=False).requires_grad
    for kw in [dict(use_reentrant=True, foo=1), dict(use_reentrant=True, debug=True),
               dict(use_reentrant=False, determinism_check="x")]:
        assert _msg(checkpoint, tl.sin, tl.randn(3), **kw) == _msg(tcheckpoint, torch.sin, torch.randn(3), **kw)


def test_summary_writer_accepts_tensors(tmp_path):
    pytest.importorskip("tensorboardX")
    from tensorlite.utils.tensorboard import SummaryWriter

    w = SummaryWriter(str(tmp_path))
    w.add_scalar("loss", tl.tensor(1.5), 0)
    w.add_scalars("s", {"a": tl.tensor(2.0)}, 0)
    w.add_histogram("h", tl.randn(100), 0)
    w.add_image("img", tl.rand(3, 4, 4), 0)
    w.close()
    assert any(p.name.startswith("events.out.tfevents") for p in tmp_path.iterdir())
    assert tl.utils.tensorboard.SummaryWriter is SummaryWriter


def test_tensorboard_missing_names_the_extra(monkeypatch):
    import importlib
    import sys

    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # as if the `train` extra were not installed
    monkeypatch.delitem(sys.modules, "tensorlite.utils.tensorboard", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'tensorlite\[train\]'"):
        importlib.import_module("tensorlite.utils.tensorboard")
