"""The layer-norm kernels (kernels/layer_norm.py): native (csrc/layer_norm.cpp) and reference against an
extended-precision oracle, F.layer_norm / nn.LayerNorm against PyTorch, determinism, TENSORLITE_NO_EXT.

Tolerances (why these bounds).  The oracle computes in np.longdouble (64-bit mantissa on x86) from the same
input values, so it is exact to far below the kernels' rounding.  Both implementations compute in the input's
dtype, u = eps(dtype) / 2.  A sum of n terms in any order errs by at most (n - 1) u sum|terms|, so with
K = (D + 4) u per row sum (order-agnostic: it holds for the native lanes and NumPy's pairwise sums alike):

  m0 = sum(x) / D errs by e0 <= K mean|x|;  mu = m0 + sum(x - m0) / D by E_mu <= 2u|mu| + 3K (mean|x - mu| + e0);
  var + eps (corrected two-pass) relatively by <= 3K (var + e0^2) / (var + eps), so rstd by half that + 3u;
  xhat = (x - mu) rstd by E_xh <= rstd E_mu + |xhat| (rel_rstd + 3u);  y = xhat w + b by |w| E_xh + 2u(|xhat w| + |y|).

Backward, given the forward's mean and rstd (the oracle uses the same values): xhat errs by 3u|xhat|, the row
means c1 = mean(gh), c2 = mean(gh xhat) by (K + 2u) mean|gh| and (K + 5u) mean|gh xhat|, so
  |dx err| <= rstd (E_c1 + |xhat| E_c2 + |c2| E_xh + 5u (|gh| + |c1| + |xhat c2|)),
and the column sums over R rows dw, db by (R + 2) u sum|g xhat| + sum|g| E_xh and (R + 1) u sum|g|.
These are worst cases, not fudge factors: a wrong or missing term exceeds them (and test_matches_oracle checks
that the measured errors reach a visible fraction of them, so they are not vacuous).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.kernels as K
from tensorlite.kernels import _native
from kernel_checks import assert_same_across_calls, assert_same_across_thread_counts, run_script

NATIVE, NATIVE_REASON = _native.load()
HAS_NATIVE = NATIVE is not None and hasattr(NATIVE, "layer_norm_forward")
needs_native = pytest.mark.skipif(not HAS_NATIVE, reason=f"native layer norm unavailable: {NATIVE_REASON or 'old build'}")
IMPLS = ["reference"] + (["native"] if HAS_NATIVE else [])
LD = np.longdouble
EPS = 1e-5


def _u(dtype) -> float:
    return float(np.finfo(dtype).eps) / 2


def _inputs(rng, shape, dtype, offset=0.0, scale=1.0, affine="wb"):
    d = shape[-1]
    x = (offset + scale * rng.standard_normal(shape)).astype(dtype)
    w = rng.uniform(0.5, 2.0, d).astype(dtype) * rng.choice([-1, 1], d).astype(dtype) if "w" in affine else None
    b = rng.standard_normal(d).astype(dtype) if "b" in affine else None
    return x, w, b


# -- the oracle and the bounds of the module docstring ---------------------------------------------------------
def _oracle_forward(x, w, b, eps):
    d = x.shape[-1]
    x2 = x.reshape(-1, d).astype(LD)
    mu = x2.mean(axis=1)
    var = ((x2 - mu[:, None]) ** 2).mean(axis=1)
    rstd = 1 / np.sqrt(var + LD(eps))
    xhat = (x2 - mu[:, None]) * rstd[:, None]
    y = xhat * (1 if w is None else w.astype(LD)) + (0 if b is None else b.astype(LD))
    return x2, mu, var, rstd, xhat, y


def _check_forward(x, w, b, got, eps=EPS) -> float:
    """Assert (y, mean, rstd) = got is within the forward bound; return the worst error / bound."""
    y, mean, rstd = got
    dt = x.dtype
    assert y.shape == x.shape and mean.shape == rstd.shape == x.shape[:-1]
    assert y.dtype == mean.dtype == rstd.dtype == dt
    if x.size == 0:
        return 0.0
    u, d = _u(dt), x.shape[-1]
    kk = (d + 4) * u
    x2, mu, var, rs, xhat, yo = _oracle_forward(x, w, b, eps)
    e0 = kk * np.abs(x2).mean(axis=1)
    e_mu = 2 * u * np.abs(mu) + 3 * kk * (np.abs(x2 - mu[:, None]).mean(axis=1) + e0)
    rel_rs = 1.5 * kk * (var + e0 * e0) / (var + LD(eps)) + 3 * u
    e_xh = rs[:, None] * e_mu[:, None] + np.abs(xhat) * (rel_rs[:, None] + 3 * u)
    wa = 1 if w is None else np.abs(w.astype(LD))
    e_y = wa * e_xh + 2 * u * (np.abs(xhat) * wa + np.abs(yo))
    tiny = LD(np.finfo(dt).tiny)
    ratios = [np.abs(mean.reshape(-1).astype(LD) - mu) / (e_mu + tiny),
              np.abs(rstd.reshape(-1).astype(LD) - rs) / (rel_rs * rs + tiny),
              np.abs(y.reshape(yo.shape).astype(LD) - yo) / (e_y + tiny)]
    worst = max(float(r.max()) for r in ratios)
    assert worst <= 1.0, f"forward error {worst:.3g} x the bound, {dt} {x.shape}"
    return worst


def _check_backward(g, x, w, mean, rstd, got) -> float:
    """Assert (dx, dw, db) = got is within the backward bound for these mean and rstd; return worst error / bound."""
    dx, dw, db = got
    dt = x.dtype
    assert dx.shape == x.shape and dx.dtype == dt
    if w is None:
        assert dw is None and db is None
    else:
        assert dw.shape == db.shape == w.shape and dw.dtype == db.dtype == dt
    if x.size == 0:
        if w is not None:
            assert not dw.any() and not db.any()
        return 0.0
    u, d = _u(dt), x.shape[-1]
    kk = (d + 4) * u
    x2, g2 = x.reshape(-1, d).astype(LD), g.reshape(-1, d).astype(LD)
    rows = x2.shape[0]
    rs = rstd.reshape(-1, 1).astype(LD)
    xhat = (x2 - mean.reshape(-1, 1).astype(LD)) * rs
    gh = g2 if w is None else g2 * w.astype(LD)
    c1, c2 = gh.mean(axis=1, keepdims=True), (gh * xhat).mean(axis=1, keepdims=True)
    dxo = rs * (gh - c1 - xhat * c2)
    e_xh = 3 * u * np.abs(xhat)
    e_c1 = (kk + 2 * u) * np.abs(gh).mean(axis=1, keepdims=True)
    e_c2 = (kk + 5 * u) * np.abs(gh * xhat).mean(axis=1, keepdims=True)
    e_dx = rs * (e_c1 + np.abs(xhat) * e_c2 + np.abs(c2) * e_xh + 5 * u * (np.abs(gh) + np.abs(c1)
                                                                          + np.abs(xhat * c2)))
    tiny = LD(np.finfo(dt).tiny)
    ratios = [np.abs(dx.reshape(dxo.shape).astype(LD) - dxo) / (e_dx + tiny)]
    if w is not None:
        dwo, dbo = (g2 * xhat).sum(axis=0), g2.sum(axis=0)
        e_dw = (rows + 2) * u * np.abs(g2 * xhat).sum(axis=0) + (np.abs(g2) * e_xh).sum(axis=0)
        e_db = (rows + 1) * u * np.abs(g2).sum(axis=0)
        ratios += [np.abs(dw.astype(LD) - dwo) / (e_dw + tiny), np.abs(db.astype(LD) - dbo) / (e_db + tiny)]
    worst = max(float(r.max()) for r in ratios)
    assert worst <= 1.0, f"backward error {worst:.3g} x the bound, {dt} {x.shape}"
    return worst


def _run(impl, x, w, b, g, eps=EPS):
    with K.use(impl):
        y, mean, rstd = K.layer_norm_forward(x, w, b, eps)
        grads = K.layer_norm_backward(g, x, w, mean, rstd)
    return (y, mean, rstd), grads


# -- kernels against the oracle ----------------------------------------------------------------------------------
SHAPES = [(5, 1), (3, 2), (7, 15), (4, 16), (9, 17), (64, 256), (33, 1000), (2, 1, 31), (4, 3, 5, 24), (300, 257),
          (40,), (2, 70001)]


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("affine", ["wb", "w", "b", ""])
def test_matches_oracle(impl, dtype, affine):
    rng = np.random.default_rng(len(affine) + 10 * (dtype == np.float64))
    worst = 0.0
    for shape in SHAPES:
        x, w, b = _inputs(rng, shape, dtype, offset=rng.uniform(-3, 3), scale=rng.uniform(0.1, 4), affine=affine)
        g = rng.standard_normal(shape).astype(dtype)
        fwd, grads = _run(impl, x, w, b, g)
        worst = max(worst, _check_forward(x, w, b, fwd), _check_backward(g, x, w, fwd[1], fwd[2], grads))
    # <= 1 is asserted per call; the bound is also not vacuous: rounding-level errors reach a visible part of it
    # (measured 0.2-0.45, at the short sums where a few roundings make the whole error)
    assert worst > 0.05, worst


@needs_native
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_native_matches_reference(dtype):
    rng = np.random.default_rng(3)
    for shape in SHAPES:
        x, w, b = _inputs(rng, shape, dtype)
        g = rng.standard_normal(shape).astype(dtype)
        (fn, gn), (fr, gr) = _run("native", x, w, b, g), _run("reference", x, w, b, g)
        tol = 64 * (shape[-1] + 4) * _u(dtype)  # both within their bounds of the oracle (order-1 values here)
        for a, c in zip(fn + gn, fr + gr):
            np.testing.assert_allclose(a, c, rtol=tol, atol=tol * 8)


@pytest.mark.parametrize("impl", IMPLS)
def test_strided_inputs(impl):
    rng = np.random.default_rng(4)
    base = rng.standard_normal((12, 40, 3)).astype(np.float32)
    wbase = rng.standard_normal(100).astype(np.float32)
    for x in (base[::2, ::2, 0], base[:, :, 1].T, base[::-1, ::-3, 2], np.broadcast_to(base[0, :, 0], (7, 40))):
        d = x.shape[-1]
        w, b = wbase[: 2 * d : 2], wbase[::-1][:d]
        g = np.asfortranarray(rng.standard_normal(x.shape).astype(np.float32))
        fwd, grads = _run(impl, x, w, b, g)
        _check_forward(x, w, b, fwd)
        _check_backward(g, x, w, fwd[1], fwd[2], grads)
        if impl == "native":  # (NumPy's reduction order, so the reference's rounding, follows the strides)
            cfwd, cgrads = _run(impl, *(np.ascontiguousarray(a) for a in (x, w, b, g)))
            for a, c in zip(fwd + grads, cfwd + cgrads):
                np.testing.assert_array_equal(a, c)  # strided input is copied: the same result


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_offsets_keep_their_variance(impl, dtype):
    """1e4 + 1e-2 noise: E[x^2] - E[x]^2 in float32 loses the variance entirely; the two-pass form does not."""
    rng = np.random.default_rng(5)
    x, w, b = _inputs(rng, (64, 256), dtype, offset=1e4, scale=1e-2)
    x[1] = (-3e4 + 1e-3 * rng.standard_normal(256)).astype(dtype)  # a row with a negative, larger offset
    x32 = x.astype(np.float32)
    naive = (x32 * x32).mean(axis=1) - x32.mean(axis=1) ** 2
    true_var = x.astype(LD).var(axis=1)
    assert np.abs(naive - true_var).max() / true_var.min() > 0.5  # the input does defeat the naive formula
    g = rng.standard_normal(x.shape).astype(dtype)
    fwd, grads = _run(impl, x, w, b, g)
    _check_forward(x, w, b, fwd)
    _check_backward(g, x, w, fwd[1], fwd[2], grads)
    rstd_true = 1 / np.sqrt(true_var + EPS)
    assert np.abs(fwd[2] / rstd_true - 1).max() < (1e-4 if dtype == np.float32 else 1e-10)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_empty_and_degenerate(impl, dtype):
    rng = np.random.default_rng(6)
    with K.use(impl):
        # rows = 0: empty results, zero parameter gradients
        x, w, b = _inputs(rng, (0, 8), dtype)
        y, mean, rstd = K.layer_norm_forward(x, w, b)
        assert y.shape == (0, 8) and mean.shape == rstd.shape == (0,)
        dx, dw, db = K.layer_norm_backward(x, x, w, mean, rstd)
        assert dx.shape == (0, 8) and not dw.any() and not db.any() and dw.dtype == dtype
        # D = 0: as torch.native_layer_norm, mean 0 and rstd nan
        x = np.zeros((3, 0), dtype)
        y, mean, rstd = K.layer_norm_forward(x, None, None)
        assert y.shape == (3, 0) and not mean.any() and np.isnan(rstd).all()
        assert K.layer_norm_backward(x, x, None, mean, rstd)[0].shape == (3, 0)
        # constant rows: var = 0, y = b exactly, dx = 0
        x, w, b = np.full((4, 33), 7.25, dtype), rng.standard_normal(33).astype(dtype), rng.standard_normal(33).astype(dtype)
        y, mean, rstd = K.layer_norm_forward(x, w, b, 1e-3)
        np.testing.assert_array_equal(y, np.broadcast_to(b, y.shape))
        np.testing.assert_array_equal(mean, 7.25)
        np.testing.assert_allclose(rstd, 1 / np.sqrt(1e-3), rtol=4 * _u(dtype))
        # non-finite input stays non-finite in its row only
        x = rng.standard_normal((3, 20)).astype(dtype)
        x[1, 5] = np.nan
        y, mean, rstd = K.layer_norm_forward(x, None, None)
        assert np.isnan(y[1]).all() and np.isfinite(y[[0, 2]]).all() and np.isnan(mean[1])


def test_bad_arguments_raise_naming_the_kernel():
    x = np.ones((2, 3), np.float32)
    with pytest.raises(TypeError, match="layer_norm_forward.*float32 or float64.*int64"):
        K.layer_norm_forward(np.ones((2, 3), np.int64))
    with pytest.raises(ValueError, match=r"layer_norm_forward: weight must be \(3,\) float32.*float64 \(4,\)"):
        K.layer_norm_forward(x, np.ones(4))
    with pytest.raises(ValueError, match="layer_norm_forward: x must have at least one dimension"):
        K.layer_norm_forward(np.float32(1.0))
    with pytest.raises(ValueError, match=r"layer_norm_backward: grad_y must be float32 \(2, 3\)"):
        K.layer_norm_backward(np.ones((3, 2), np.float32), x, None, np.zeros(2, np.float32), np.ones(2, np.float32))
    with pytest.raises(ValueError, match=r"layer_norm_backward: rstd must be float32 \(2,\)"):
        K.layer_norm_backward(x, x, None, np.zeros(2, np.float32), np.ones(2))


# -- determinism ---------------------------------------------------------------------------------------------------
def _det_results() -> list[np.ndarray]:
    """Native results on inputs large enough to run in parallel, with several row chunks for dw and db."""
    rng = np.random.default_rng(7)
    out = []
    with K.use("native"):
        for shape, dtype in (((3000, 96), np.float32), ((257, 300), np.float32), ((700, 40), np.float64)):
            x, w, b = _inputs(rng, shape, dtype, offset=1.0)
            g = rng.standard_normal(shape).astype(dtype)
            y, mean, rstd = K.layer_norm_forward(x, w, b)
            out += [y, mean, rstd, *K.layer_norm_backward(g, x, w, mean, rstd)]
    return out


@needs_native
def test_deterministic_across_calls():
    assert_same_across_calls(_det_results)


@needs_native
def test_results_do_not_depend_on_the_thread_count(tmp_path):
    assert_same_across_thread_counts("test_kernels_layer_norm", _det_results, tmp_path)


@needs_native
def test_registry_and_cpu_path():
    assert K.available("cpu")["layer_norm_forward"] == ["native", "reference"]
    assert K.resolve("layer_norm_backward").name == "native"
    assert NATIVE.kernel_paths()["layer_norm_forward"] == "portable"  # no per-ISA code (see csrc/layer_norm.cpp)


# -- through F.layer_norm / nn.LayerNorm, against PyTorch ------------------------------------------------------
@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


CASES = [((6, 10), (10,), "wb"), ((2, 5, 3, 8), (3, 8), "wb"), ((4, 7), (7,), ""), ((3, 4, 9), (9,), "b"),
         ((3, 4, 9), (4, 9), "w"), ((1, 1), (1,), "wb"), ((16, 256), (256,), "wb")]


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_functional_matches_torch(torch, impl, dtype):
    rng = np.random.default_rng(8)
    tol = dict(rtol=2e-5, atol=2e-5) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    for shape, ns, affine in CASES:
        x = (1.5 + 2 * rng.standard_normal(shape)).astype(dtype)
        g = rng.standard_normal(shape).astype(dtype)
        w = rng.standard_normal(ns).astype(dtype) if "w" in affine else None
        b = rng.standard_normal(ns).astype(dtype) if "b" in affine else None
        ours = [tl.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
        theirs = [torch.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
        with K.use(impl):
            y = tl.nn.functional.layer_norm(ours[0], ns, ours[1], ours[2], eps=1e-5)
            y.backward(tl.tensor(g))
        ty = torch.nn.functional.layer_norm(theirs[0], ns, theirs[1], theirs[2], eps=1e-5)
        ty.backward(torch.tensor(g))
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), **tol)
        for a, t in zip(ours, theirs):
            if a is not None:
                np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), **tol, err_msg=f"{shape} {ns} {affine}")


@pytest.mark.parametrize("impl", IMPLS)
def test_module_strided_input_and_partial_grads(torch, impl):
    """nn.LayerNorm on a transposed view, a loss whose gradient is non-contiguous, and frozen parameters."""
    rng = np.random.default_rng(9)
    base = rng.standard_normal((20, 6, 32)).astype(np.float32)
    ln, tln = tl.nn.LayerNorm(32), torch.nn.LayerNorm(32)
    w, b = rng.standard_normal(32).astype(np.float32), rng.standard_normal(32).astype(np.float32)
    with tl.no_grad():
        ln.weight.copy_(tl.tensor(w))
        ln.bias.copy_(tl.tensor(b))
    with torch.no_grad():
        tln.weight.copy_(torch.tensor(w))
        tln.bias.copy_(torch.tensor(b))
    ln.bias.requires_grad_(False)
    tln.bias.requires_grad_(False)
    x = tl.tensor(base, requires_grad=True)
    tx = torch.tensor(base, requires_grad=True)
    with K.use(impl):
        y = ln(x.transpose(0, 1))
        (y[:, ::2] * y[:, ::2]).sum().backward()
    ty = tln(tx.transpose(0, 1))
    (ty[:, ::2] * ty[:, ::2]).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ln.weight.grad.numpy(), tln.weight.grad.numpy(), rtol=1e-4, atol=1e-4)
    assert ln.bias.grad is None


def test_double_backward_matches_torch(torch):
    """create_graph=True takes the Tensor-op backward; its gradient must still be PyTorch's."""
    rng = np.random.default_rng(10)
    x, w, b = (rng.standard_normal(s) for s in ((5, 12), (12,), (12,)))
    v = rng.standard_normal((5, 12))
    ours = [tl.tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = tl.nn.functional.layer_norm(ours[0], (12,), ours[1], ours[2])
    (gx,) = tl.autograd.grad((y * y).sum(), ours[0], create_graph=True)
    (gx * tl.tensor(v)).sum().backward()
    ty = torch.nn.functional.layer_norm(theirs[0], (12,), theirs[1], theirs[2])
    (tgx,) = torch.autograd.grad((ty * ty).sum(), theirs[0], create_graph=True)
    (tgx * torch.tensor(v)).sum().backward()
    np.testing.assert_allclose(gx.detach().numpy(), tgx.detach().numpy(), rtol=1e-10, atol=1e-10)
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-9)


# -- without the extension -----------------------------------------------------------------------------------------
_NO_EXT_SCRIPT = """
import json, numpy as np, tensorlite as tl, tensorlite.kernels as K
rng = np.random.default_rng(11)
x = tl.tensor(rng.standard_normal((6, 3, 16)).astype(np.float32), requires_grad=True)
ln = tl.nn.LayerNorm(16)
ln(x).pow(2).sum().backward()
print(json.dumps([K.available()["layer_norm_forward"], K.resolve("layer_norm_backward").name,
                  x.grad.numpy().tolist(), ln.weight.grad.numpy().tolist()]))
"""


def test_no_extension_runs_the_reference():
    proc = run_script(_NO_EXT_SCRIPT, TENSORLITE_NO_EXT="1")
    assert proc.returncode == 0, proc.stderr[-2000:]
    available, chosen, gx, gw = json.loads(proc.stdout.strip().splitlines()[-1])
    assert available == ["reference"] and chosen == "reference"
    rng = np.random.default_rng(11)
    x = tl.tensor(rng.standard_normal((6, 3, 16)).astype(np.float32), requires_grad=True)
    ln = tl.nn.LayerNorm(16)
    with K.use("reference"):
        ln(x).pow(2).sum().backward()
    np.testing.assert_array_equal(np.asarray(gx, np.float32), x.grad.numpy())
    np.testing.assert_array_equal(np.asarray(gw, np.float32), ln.weight.grad.numpy())
