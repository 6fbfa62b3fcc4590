"""Registry entries for the special functions (tensorlite/ops/special_fns.py, tensorlite/special.py): the gamma
family, erfinv, Bessel functions, incomplete gamma, zeta, the normal distribution's functions and the
torch.special aliases of existing ops.

Samples keep away from poles (0 and the negative integers for lgamma/digamma/polygamma) so finite
differences are valid; extreme values (poles, infinities, the tails) are forward-only samples. The first
argument of igamma/igammac/zeta has no derivative (PyTorch raises): those samples set grad=(False, True).
"""
from __future__ import annotations

import numpy as np

from ... import _dtype as dt, special as S
from ...ops import special_fns as F
from . import ErrorSample, OpInfo, Sample, arr, away_from, positive
from .elementwise import _domain, _pairs, _pos, _unary


def _torch():
    import torch  # noqa: PLC0415 - torch is the test oracle, imported only when checking

    return torch


def _t(name):
    """torch.<name>, looked up when called."""
    return lambda *args, **kwargs: getattr(_torch(), name)(*args, **kwargs)


def _ts(name):
    """torch.special.<name>, looked up when called."""
    return lambda *args, **kwargs: getattr(_torch().special, name)(*args, **kwargs)


_POLES = tuple(float(k) for k in range(-6, 1))


def _gamma_domain(rng, *shape):
    """Both sides of the poles: values on [-5, 6] at least 0.15 from 0, -1, -2, ..."""
    return away_from(arr(rng, *shape, low=-5.0, high=6.0), _POLES, gap=0.15)


# Samples with int64 inputs (float32 results) are left out where PyTorch's float32 kernel is a few ulps off
# (digamma(1), i0, erfcx, log_ndtr): the float64 checks compare them with float64 tolerances.
_LGAMMA_EXTREME = [0.0, -0.0, -1.0, -2.5, -1e10, 1e-300, 1e-30, 1.0, 2.0, 171.5, 1e30, 1e38, np.inf, -np.inf, np.nan]
_DIGAMMA_EXTREME = [0.0, -0.0, -1.0, -2.5, -1e10 - 0.5, 1e-300, 1.4616321449683622, 1e30, np.inf, -np.inf, np.nan]


def _polygamma_samples(n):
    # no int64 sample: PyTorch's float32 digamma is off by a few ulps (e.g. digamma(1)), beyond float64 tolerances
    base = _unary(_gamma_domain, ints=n > 0, extreme=[1e-30, -2.5, 0.0, -1.0, 1e30, 1e38, np.inf] if n > 1 else
                  [1e-30, -2.5, -1e-8, 1e30, np.inf, -np.inf, np.nan])

    def samples(rng):
        for s in base(rng):
            yield Sample((n,) + s.args, s.kwargs, s.desc, s.grad, s.gradgrad)

    return samples


def _polygamma_errors():
    yield ErrorSample((-1, np.ones(3)), {}, RuntimeError, match="negative n", desc="polygamma: n < 0")
    yield ErrorSample((1.5, np.ones(3)), {}, TypeError, desc="polygamma: float n")


def _mvlgamma_samples(rng):
    for p in (1, 2, 3, 5):
        low = (p - 1) / 2 + 0.3
        yield Sample((positive(rng, 3, 4, low=low, high=low + 4),), {"p": p}, desc=f"p={p}")
    yield Sample((positive(rng, low=2.5, high=4.0), 2), desc="0-d, positional p")
    yield Sample((positive(rng, 0, 3, low=2.5, high=4.0),), {"p": 3}, desc="zero-size")
    yield Sample((np.array([3, 4, 7]),), {"p": 2}, desc="int64 input")
    yield Sample((np.array([0.1, -2.5, 1e30]),), {"p": 2}, desc="below (p-1)/2 and huge: no check, as PyTorch",
                 grad=(False,))


def _mvlgamma_errors():
    yield ErrorSample((np.ones(3),), {"p": 0}, RuntimeError, match="greater than or equal to 1", desc="p = 0")


def _incomplete_samples(rng):
    def a_x(*shape):
        return positive(rng, *shape, low=0.3, high=5.0), positive(rng, *shape, low=0.2, high=8.0)

    for shape, desc in (((3, 4), "same shape"), ((5,), "1-d"), ((), "0-d")):
        yield Sample(a_x(*shape), desc=desc, grad=(False, True))
    yield Sample((positive(rng, 3, 1, low=0.5, high=4.0), positive(rng, 4, low=0.5, high=6.0)), desc="broadcast",
                 grad=(False, True))
    a = positive(rng, 6, low=25.0, high=150.0)
    yield Sample((a, a * rng.uniform(0.8, 1.2, 6)), desc="large a, x near a (uniform expansion)", grad=(False, True))
    yield Sample((positive(rng, 0, 3), positive(rng, 3)), desc="zero-size", grad=(False, True))
    edges = (np.array([0.0, 0.0, 1.0, np.inf, 1.0, -1.0, 1.0, 2.0, 1e-8, 1e5, 1e-3, 300.0]),
             np.array([1.0, 0.0, 0.0, 1.0, np.inf, 1.0, -1.0, np.nan, 0.5, 1e5 + 300.0, 1e-3, 10.0]))
    yield Sample(edges, desc="boundaries and extremes", grad=(False, False))


def _incomplete_errors(op):
    def errors():
        yield ErrorSample((np.array([1, 2]), np.array([1, 2])), {}, NotImplementedError, desc=f"{op}: int64")
        yield ErrorSample((np.ones(3), np.ones(4)), {}, RuntimeError, desc=f"{op}: shapes that don't broadcast")
        yield ErrorSample((np.ones(3), 2.0), {}, TypeError, desc=f"{op}: number other")

    return errors


def _grad_wrt_first(op, torch_op):
    """d/d(first argument) of igamma/igammac/zeta: PyTorch raises NotImplementedError in backward; so do we."""
    def samples(rng):
        yield Sample((positive(rng, 3, low=1.5, high=3.0), positive(rng, 3, low=1.5, high=3.0)), grad=(True, False))

    return OpInfo(f"{op}_grad_input", lambda a, x: getattr(F, op)(a, x).sum().backward(),
                  lambda a, x: torch_op(a, x).sum().backward(), samples, differentiable=False,
                  notes="backward raises NotImplementedError in both libraries")


def _zeta_samples(rng):
    def s_q(*shape):
        return positive(rng, *shape, low=1.3, high=6.0), positive(rng, *shape, low=0.3, high=5.0)

    yield Sample(s_q(3, 4), desc="same shape", grad=(False, True))
    yield Sample((positive(rng, 3, 1, low=1.5, high=4.0), positive(rng, 4, low=0.5, high=3.0)), desc="broadcast",
                 grad=(False, True))
    yield Sample((2.0, positive(rng, 5, low=0.5, high=3.0)), desc="number x", grad=(True,))
    yield Sample((positive(rng, 4, low=2.0, high=5.0), 1.0), desc="number q: Riemann zeta", grad=(False,))
    yield Sample((np.array([2, 3, 4]), np.array([1, 2, 3])), desc="int64: default float dtype")
    yield Sample((np.array([1.0, 0.5, 2.0, 3.0, 2.0, 2.0, 1.5, np.inf, 30.0]),
                  np.array([2.0, 2.0, 0.0, -2.0, -1.5, np.inf, -2.5, 0.5, 1e-3])), desc="poles and edges",
                 grad=(False, False))


def _xlog1py_samples(rng):
    yield from _pairs(lambda rng, *s: arr(rng, *s), lambda rng, *s: positive(rng, *s, low=-0.8, high=2.0))(rng)
    x = arr(rng, 6)
    x[::2] = 0.0
    yield Sample((x, positive(rng, 6)), desc="x = 0 gives 0")
    yield Sample((np.array([0.0, 0.0, 1.0, 0.0, 2.0]), np.array([-1.0, np.nan, -1.0, -2.0, -1.5])),
                 desc="special values", grad=(False, False))
    yield Sample((arr(rng, 3, 4), 2.5), desc="number other")
    yield Sample((2.0, positive(rng, 3, 4)), desc="number input")


def _shape_error(op):
    def errors():
        yield ErrorSample((np.zeros(3), np.zeros(4)), {}, RuntimeError, desc=f"{op}: shapes that don't broadcast")

    return errors


def _softmax_samples(rng):
    yield Sample((arr(rng, 3, 4), 1), desc="dim=1")
    yield Sample((arr(rng, 2, 3, 4),), {"dim": -2}, desc="negative dim")


def _entries() -> list[OpInfo]:
    unary = [
        # name, tensorlite op, torch op, samples
        ("lgamma", F.lgamma, _t("lgamma"), _unary(_gamma_domain, extreme=_LGAMMA_EXTREME)),
        ("digamma", F.digamma, _t("digamma"), _unary(_gamma_domain, extreme=_DIGAMMA_EXTREME, ints=False)),
        ("erfinv", F.erfinv, _t("erfinv"),
         _unary(_domain(-0.95, 0.95), extreme=[-1.0, 1.0, 1.5, -0.0, 1e-300, 0.999999, -0.9999999999, np.nan])),
        ("i0", F.i0, _t("i0"),
         _unary(_domain(-5.0, 5.0), extreme=[-50.0, 0.0, 100.0, 700.0, np.inf, np.nan], ints=False)),
        ("special_i0e", S.i0e, _ts("i0e"), _unary(_domain(-5.0, 5.0), extreme=[-50.0, 0.0, 1e4, np.inf, -np.inf])),
        ("special_i1", S.i1, _ts("i1"), _unary(_domain(-5.0, 5.0), extreme=[-50.0, 0.0, -0.0, 100.0, np.inf])),
        ("special_i1e", S.i1e, _ts("i1e"), _unary(_domain(-5.0, 5.0), extreme=[-50.0, 0.0, -0.0, 1e4, -np.inf])),
        ("special_ndtr", S.ndtr, _ts("ndtr"), _unary(_domain(-4.0, 4.0), extreme=[-8.0, 0.0, 8.0, np.inf, -np.inf])),
        ("special_ndtri", S.ndtri, _ts("ndtri"),
         _unary(_domain(0.05, 0.95), extreme=[0.0, -0.0, 1.0, 1.5, 1e-300, 1e-10, 0.5, 1 - 1e-10], ints=False)),
        ("special_log_ndtr", S.log_ndtr, _ts("log_ndtr"),
         _unary(_domain(-6.0, 4.0), extreme=[-1e10, -40.0, -1.0, 0.0, 10.0, np.inf, -np.inf], ints=False)),
        ("special_erfcx", S.erfcx, _ts("erfcx"),
         _unary(_domain(-3.0, 3.0), extreme=[-30.0, -26.0, -1.0, 0.4, 0.6, 30.0, 1e10, 1e38, np.inf], ints=False)),
        ("special_entr", S.entr, _ts("entr"), _unary(_pos(0.1, 3.0), extreme=[0.0, -1.0, 1.0, 1e-300, 1e38, np.inf])),
    ]
    ops = [OpInfo(name, op, torch_op, samples) for name, op, torch_op, samples in unary]
    for n in (0, 1, 2, 3):
        ops.append(OpInfo(f"polygamma_n{n}", F.polygamma, _t("polygamma"), _polygamma_samples(n),
                          _polygamma_errors if n == 1 else None))
    ops += [
        OpInfo("mvlgamma", F.mvlgamma, _t("mvlgamma"), _mvlgamma_samples, _mvlgamma_errors),
        OpInfo("igamma", F.igamma, _t("igamma"), _incomplete_samples, _incomplete_errors("igamma")),
        OpInfo("igammac", F.igammac, _t("igammac"), _incomplete_samples, _incomplete_errors("igammac")),
        _grad_wrt_first("igamma", _t("igamma")),
        _grad_wrt_first("zeta", _ts("zeta")),
        OpInfo("special_zeta", S.zeta, _ts("zeta"), _zeta_samples, _shape_error("zeta")),
        OpInfo("special_xlog1py", S.xlog1py, _ts("xlog1py"), _xlog1py_samples, _shape_error("xlog1py")),
        OpInfo("special_bessel_j0", S.bessel_j0, _ts("bessel_j0"),
               _unary(_domain(-30.0, 30.0), extreme=[0.0, 2.404825557695773, 1e5, 1e38, -np.inf, np.nan]),
               differentiable=False, atol={"float32": 1e-5, "float64": 1e-6},
               notes="PyTorch's float64 bessel_j0 is accurate to about 4e-7 only (ours: 1e-15, vs mpmath)"),
        OpInfo("special_bessel_j1", S.bessel_j1, _ts("bessel_j1"),
               _unary(_domain(-30.0, 30.0), extreme=[0.0, -0.0, 3.8317059702075125, 1e5, 1e38, np.inf, np.nan]),
               differentiable=False, atol={"float32": 1e-5, "float64": 1e-6}),
        # methods and in-place forms
        OpInfo("polygamma_method", lambda x: x.polygamma(2), lambda x: x.polygamma(2), _unary(_gamma_domain)),
        OpInfo("lgamma_inplace", lambda x: x.clone().lgamma_(), lambda x: x.clone().lgamma_(),
               _unary(_gamma_domain, ints=False)),
        OpInfo("polygamma_inplace", lambda x: x.clone().polygamma_(1), lambda x: x.clone().polygamma_(1),
               _unary(_gamma_domain, ints=False)),
        OpInfo("mvlgamma_inplace", lambda x: x.clone().mvlgamma_(p=2), lambda x: x.clone().mvlgamma_(p=2),
               _unary(_pos(1.0, 4.0), ints=False)),
        OpInfo("igamma_inplace", lambda a, x: a.clone().igammac_(x), lambda a, x: a.clone().igammac_(x),
               lambda rng: iter([Sample((positive(rng, 3, 4), positive(rng, 3, 4)), grad=(False, True))])),
        OpInfo("i0_inplace", lambda x: x.clone().i0_(), lambda x: x.clone().i0_(), _unary(ints=False)),
        # torch.special names of existing ops, where the signature differs from the top-level function's
        OpInfo("special_multigammaln", S.multigammaln, _ts("multigammaln"), _mvlgamma_samples, _mvlgamma_errors),
        OpInfo("special_gammaln", S.gammaln, _ts("gammaln"), _unary(_gamma_domain)),
        OpInfo("special_psi", S.psi, _ts("psi"), _unary(_gamma_domain, ints=False)),
        OpInfo("special_gammaincc", S.gammaincc, _ts("gammaincc"), _incomplete_samples),
        OpInfo("special_softmax", S.softmax, _ts("softmax"), _softmax_samples),
        OpInfo("special_log_softmax_dtype", lambda x, dim: S.log_softmax(x, dim, dtype=dt.float64),
               lambda x, dim: _torch().special.log_softmax(x, dim, dtype=_torch().float64), _softmax_samples),
        OpInfo("special_expit", S.expit, _ts("expit"), _unary(extreme=[-800.0, 800.0])),
        OpInfo("special_round", S.round, _ts("round"),
               lambda rng: iter([Sample((np.array([1.25, -2.5, 0.5, 3.14159]),), {"decimals": 2}, grad=(False,))])),
    ]
    return ops


OPS = _entries()
