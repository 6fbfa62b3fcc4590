"""tl.distributions against torch.distributions: values and gradients of every deterministic method
(log_prob, cdf, icdf, entropy, mean, mode, variance, kl_divergence, transforms) compared with PyTorch in
float64, shapes and broadcasting, validation errors; samples checked statistically (the generators
differ, so sample values cannot match PyTorch's)."""
import math
import warnings

import numpy as np
import pytest

import tensorlite as tl

torch = pytest.importorskip("torch")
TD = torch.distributions
D = tl.distributions

RNG = np.random.default_rng(0)


def _pos(*shape):
    return RNG.uniform(0.5, 2.0, shape)


def _real(*shape):
    return RNG.normal(size=shape)


def _probs(*shape):
    return RNG.uniform(0.1, 0.9, shape)


def _simplex(*shape):
    p = RNG.uniform(0.1, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


def _spd(*shape):
    a = RNG.normal(size=shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def _tril(*shape):
    return np.tril(RNG.normal(size=shape), -1) + np.diag(RNG.uniform(0.5, 1.5, shape[-1]))


# id -> (constructor(D, params), params (numpy, made tensors requiring grad), value to score, quantiles for icdf)
CASES = {
    "normal": (lambda d, p: d.Normal(p[0], p[1]), [_real(3), _pos(2, 3)], _real(4, 1, 3), _probs(2, 3)),
    "normal_scalar_param": (lambda d, p: d.Normal(0.5, p[0]), [_pos(3)], _real(3), _probs(3)),
    "uniform": (lambda d, p: d.Uniform(p[0], p[0] + p[1]), [_real(3), _pos(3)], None, _probs(3)),
    "bernoulli_probs": (lambda d, p: d.Bernoulli(probs=p[0]), [_probs(2, 3)], np.array([0., 1., 1.]), None),
    "bernoulli_logits": (lambda d, p: d.Bernoulli(logits=p[0]), [_real(3)], np.array([[0., 1., 0.]]), None),
    "categorical_probs": (lambda d, p: d.Categorical(probs=p[0]), [_simplex(2, 4)], np.array([[0, 3], [1, 2]]), None),
    "categorical_logits": (lambda d, p: d.Categorical(logits=p[0]), [_real(3, 4)], np.array([3, 0, 1]), None),
    "bernoulli_probs1d": (lambda d, p: d.Bernoulli(probs=p[0]), [np.array([0.0, 0.3, 1.0])], np.array([0., 1., 1.]),
                          None),
    "categorical_logits2": (lambda d, p: d.Categorical(logits=p[0]), [_real(2, 4)], np.array([3, 0]), None),
    "onehot": (lambda d, p: d.OneHotCategorical(logits=p[0]), [_real(2, 3)], np.eye(3)[[0, 2]], None),
    "exponential": (lambda d, p: d.Exponential(p[0]), [_pos(3)], _pos(2, 3), _probs(3)),
    "laplace": (lambda d, p: d.Laplace(p[0], p[1]), [_real(3), _pos(3)], _real(2, 3), _probs(3)),
    "cauchy": (lambda d, p: d.Cauchy(p[0], p[1]), [_real(3), _pos(3)], _real(3), _probs(3)),
    "gumbel": (lambda d, p: d.Gumbel(p[0], p[1]), [_real(3), _pos(3)], _real(3), _probs(3)),
    "lognormal": (lambda d, p: d.LogNormal(p[0], p[1]), [_real(3), _pos(3)], _pos(2, 3), _probs(3)),
    "independent": (lambda d, p: d.Independent(d.Normal(p[0], p[1]), 1), [_real(2, 3), _pos(2, 3)], _real(2, 3), None),
    "mvn_cov": (lambda d, p: d.MultivariateNormal(p[0], covariance_matrix=p[1]), [_real(2, 3), _spd(3, 3)],
                _real(4, 1, 3), None),
    "mvn_prec": (lambda d, p: d.MultivariateNormal(p[0], precision_matrix=p[1]), [_real(3), _spd(2, 3, 3)],
                 _real(3), None),
    "mvn_tril": (lambda d, p: d.MultivariateNormal(p[0], scale_tril=p[1]), [_real(3), _tril(3, 3)], _real(2, 3), None),
    "lowrank_mvn": (lambda d, p: d.LowRankMultivariateNormal(p[0], p[1], p[2]), [_real(2, 3), _real(3, 2), _pos(3)],
                    _real(2, 3), None),
    "relaxed_bernoulli": (lambda d, p: d.RelaxedBernoulli(p[0], probs=p[1]), [np.array(0.7), _probs(3)], _probs(3),
                          None),
    "relaxed_onehot": (lambda d, p: d.RelaxedOneHotCategorical(p[0], logits=p[1]), [np.array(0.7), _real(2, 3)],
                       _simplex(2, 3), None),
    "geometric": (lambda d, p: d.Geometric(probs=p[0]), [_probs(3)], np.array([0., 2., 5.]), None),
    "geometric_logits": (lambda d, p: d.Geometric(logits=p[0]), [_real(3)], np.array([1., 0., 3.]), None),
    "transformed_affine_exp": (lambda d, p: d.TransformedDistribution(
        d.Normal(p[0], p[1]), [d.AffineTransform(p[2], 2.0), d.ExpTransform()]),
        [_real(3), _pos(3), _real(3)], _pos(3), _probs(3)),
    "transformed_sigmoid": (lambda d, p: d.TransformedDistribution(d.Normal(p[0], p[1]), d.SigmoidTransform()),
                            [_real(3), _pos(3)], _probs(3), _probs(3)),
    "transformed_tanh": (lambda d, p: d.TransformedDistribution(d.Normal(p[0], p[1]), [d.TanhTransform()]),
                         [_real(3), _pos(3)], _probs(3) - 0.5, None),
    "transformed_stickbreaking": (lambda d, p: d.TransformedDistribution(
        d.Independent(d.Normal(p[0], p[1]), 1), d.StickBreakingTransform()),
        [_real(2, 3), _pos(2, 3)], _simplex(2, 4), None),
    # concentrations on both sides of 3.75 (where PyTorch's Bessel approximation switches) and of 30 (ours)
    "mixture_normal": (lambda d, p: d.MixtureSameFamily(d.Categorical(logits=p[0]), d.Normal(p[1], p[2])),
                       [_real(2, 3), _real(2, 3), _pos(2, 3)], _real(4, 2), None),
    "mixture_mvn": (lambda d, p: d.MixtureSameFamily(d.Categorical(probs=p[0]), d.Independent(d.Normal(p[1], p[2]), 1)),
                    [_simplex(3), _real(3, 2), _pos(3, 2)], _real(4, 2), None),
    "pareto": (lambda d, p: d.Pareto(p[0], p[1] * 2), [_pos(3), _pos(3)], 2.5 + _pos(3), _probs(3)),
    "logistic_normal": (lambda d, p: d.LogisticNormal(p[0], p[1]), [_real(2, 3), _pos(3)], _simplex(2, 4), None),
    "continuous_bernoulli": (lambda d, p: d.ContinuousBernoulli(probs=p[0]), [np.array([0.1, 0.4995, 0.5003, 0.8])],
                             _probs(2, 4), _probs(4)),
    "continuous_bernoulli_logits": (lambda d, p: d.ContinuousBernoulli(logits=p[0]), [_real(3)], _probs(3), _probs(3)),
    "vonmises": (lambda d, p: d.VonMises(p[0], p[1]), [_real(4), np.array([0.3, 2.0, 10.0, 45.0])], _real(4), None),
}
# PyTorch evaluates VonMises' log Bessel functions by polynomial fits good to ~2e-7; we compute them exactly.
TOLERANCE = {"vonmises": (1e-4, 1e-6)}

SECOND_GROUP = {
    "gamma": (lambda d, p: d.Gamma(p[0], p[1]), [_pos(3), _pos(2, 3)], _pos(3), None),
    "chi2": (lambda d, p: d.Chi2(p[0] * 3), [_pos(3)], _pos(3), None),
    "beta": (lambda d, p: d.Beta(p[0], p[1]), [_pos(3), _pos(3)], _probs(2, 3), None),
    "dirichlet": (lambda d, p: d.Dirichlet(p[0]), [_pos(2, 4)], _simplex(2, 4), None),
    "poisson": (lambda d, p: d.Poisson(p[0] * 3), [_pos(3)], np.array([0., 2., 7.]), None),
    "binomial": (lambda d, p: d.Binomial(10, probs=p[0]), [_probs(3)], np.array([0., 4., 10.]), None),
    "binomial_tensor_count": (lambda d, p: d.Binomial(p[1], logits=p[0]), [_real(3), np.array([3., 5., 8.])],
                              np.array([1., 5., 2.]), None),
    "multinomial": (lambda d, p: d.Multinomial(5, probs=p[0]), [_simplex(2, 3)], np.array([[1., 2., 2.]]), None),
    "studentt": (lambda d, p: d.StudentT(p[0] * 3, p[1], p[2]), [_pos(3), _real(3), _pos(3)], _real(2, 3), None),
    "halfnormal": (lambda d, p: d.HalfNormal(p[0]), [_pos(3)], _pos(3), _probs(3)),
    "halfcauchy": (lambda d, p: d.HalfCauchy(p[0]), [_pos(3)], _pos(3), _probs(3)),
    "weibull": (lambda d, p: d.Weibull(p[0], p[1] + 0.5), [_pos(3), _pos(3)], _pos(2, 3), _probs(3)),
    "inverse_gamma": (lambda d, p: d.InverseGamma(p[0] * 2, p[1]), [_pos(3), _pos(3)], _pos(3), None),
    "negative_binomial": (lambda d, p: d.NegativeBinomial(p[0] * 3, logits=p[1]), [_pos(3), _real(3)],
                          np.array([0., 3., 8.]), None),
    "fishersnedecor": (lambda d, p: d.FisherSnedecor(p[0] * 3, p[1] * 5), [_pos(3), _pos(3)], _pos(3), None),
    "kumaraswamy": (lambda d, p: d.Kumaraswamy(p[0], p[1]), [_pos(3), _pos(3)], _probs(3), None),
}

HAS_GROUP2 = True  # the families built on tl.lgamma / tl.digamma / tl.special (kept as a switch for bisecting)
ALL_CASES = dict(CASES, **SECOND_GROUP)
METHODS = ["mean", "mode", "variance", "stddev", "entropy", "perplexity", "log_prob", "cdf", "icdf",
           "enumerate_support"]


def _make(lib, case, dtype="float64"):
    ctor, params, _, _ = ALL_CASES[case]
    if lib is torch:
        ps = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params]
        return ctor(TD, ps), ps
    ps = [tl.tensor(p, dtype=tl.float64, requires_grad=True) for p in params]
    return ctor(D, ps), ps


def _call(dist, method, lib, case):
    _, _, value, q = ALL_CASES[case]
    if method in ("mean", "mode", "variance", "stddev"):
        return getattr(dist, method)
    if method in ("entropy", "perplexity"):
        return getattr(dist, method)()
    if method == "enumerate_support":
        return dist.enumerate_support()
    if method == "icdf":
        arg = q
    else:
        arg = value if value is not None else np.asarray(dist.mean.detach()) + 0.1  # inside the support
    arg = torch.tensor(arg, dtype=torch.float64) if lib is torch else tl.tensor(arg, dtype=tl.float64)
    return getattr(dist, method)(arg)


def _outcome(lib, case, method):
    if method == "icdf" and ALL_CASES[case][3] is None:
        return "skipped", None, None
    dist, params = _make(lib, case)
    try:
        out = _call(dist, method, lib, case)
    except NotImplementedError:
        return "NotImplementedError", None, None
    grads = None
    if out.requires_grad:
        w = np.linspace(0.5, 1.5, max(out.numel(), 1)).reshape(tuple(out.shape))
        weight = torch.tensor(w) if lib is torch else tl.tensor(w)
        total = (out * weight).nan_to_num(0.0, 0.0, 0.0).sum()
        try:
            gs = (torch.autograd.grad if lib is torch else tl.autograd.grad)(total, params, allow_unused=True)
        except NotImplementedError:  # torch has no gradient here (gammainc in its first argument)
            return np.asarray(out.detach()), tuple(out.shape), None
        grads = [None if g is None else np.asarray(g.detach()) for g in gs]
    return np.asarray(out.detach()), tuple(out.shape), grads


def _case_ids():
    ids = list(CASES)
    if HAS_GROUP2:
        ids += list(SECOND_GROUP)
    return ids


@pytest.mark.parametrize("case", _case_ids())
def test_methods_match_torch(case):
    for method in METHODS:
        t_val, t_shape, t_grads = _outcome(torch, case, method)
        l_val, l_shape, l_grads = _outcome(tl, case, method)
        if isinstance(t_val, str):
            assert l_val == t_val, f"{case}.{method}: torch raises {t_val}, tensorlite returned a value"
            continue
        assert not isinstance(l_val, str), f"{case}.{method}: tensorlite raises, torch returns {t_val}"
        assert l_shape == t_shape, f"{case}.{method}: shape {l_shape} vs torch {t_shape}"
        rtol, atol = TOLERANCE.get(case, (1e-6, 1e-8))
        np.testing.assert_allclose(l_val.astype(np.float64), t_val.astype(np.float64), rtol=rtol, atol=atol,
                                   equal_nan=True, err_msg=f"{case}.{method}")
        if t_grads is not None:
            assert l_grads is not None, f"{case}.{method}: no gradient"
            for i, (lg, tg) in enumerate(zip(l_grads, t_grads)):
                if tg is None or not np.any(tg):
                    assert lg is None or np.allclose(lg, 0), f"{case}.{method}: grad of param {i}"
                    continue
                np.testing.assert_allclose(lg, tg, rtol=max(rtol, 1e-5), atol=atol, equal_nan=True,
                                           err_msg=f"{case}.{method} grad of param {i}")


@pytest.mark.parametrize("case", _case_ids())
def test_shapes_properties_and_expand(case):
    t_dist, _ = _make(torch, case)
    l_dist, _ = _make(tl, case)
    assert tuple(l_dist.batch_shape) == tuple(t_dist.batch_shape)
    assert tuple(l_dist.event_shape) == tuple(t_dist.event_shape)
    assert isinstance(l_dist.batch_shape, tl.Size) and isinstance(l_dist.event_shape, tl.Size)
    assert l_dist.has_rsample == t_dist.has_rsample, "has_rsample"
    assert l_dist.has_enumerate_support == t_dist.has_enumerate_support
    assert repr(l_dist.support).replace("tensorlite", "torch") == repr(t_dist.support) or \
        type(l_dist.support).__name__ == type(t_dist.support).__name__
    assert set(l_dist.arg_constraints) == set(t_dist.arg_constraints)
    if hasattr(t_dist, "param_shape"):
        assert tuple(l_dist.param_shape) == tuple(t_dist.param_shape)
    for sample_shape in [(), (2,), (2, 1)]:
        with tl.no_grad():
            s = l_dist.sample(sample_shape)
        assert tuple(s.shape) == tuple(t_dist.sample(sample_shape).shape)
        assert s.dtype == (tl.int64 if t_dist.sample().dtype == torch.int64 else tl.float64)
        if l_dist.has_rsample:
            assert tuple(l_dist.rsample(sample_shape).shape) == tuple(t_dist.rsample(sample_shape).shape)
    new_batch = (5,) + tuple(t_dist.batch_shape)
    t_exp, l_exp = t_dist.expand(new_batch), l_dist.expand(new_batch)
    assert type(l_exp) is type(l_dist) and tuple(l_exp.batch_shape) == tuple(t_exp.batch_shape)
    assert tuple(l_exp.sample().shape) == tuple(t_exp.sample().shape)


def _stats(dist, n=20000):
    with tl.no_grad():
        s = dist.sample((n,)).double().numpy()
    return s.mean(0), s.var(0)


STAT_CASES = {
    "normal": lambda: D.Normal(tl.tensor([0.0, 3.0]), tl.tensor([1.0, 0.5])),
    "uniform": lambda: D.Uniform(tl.tensor([-1.0, 2.0]), tl.tensor([1.0, 5.0])),
    "bernoulli": lambda: D.Bernoulli(tl.tensor([0.2, 0.7])),
    "categorical": lambda: D.Categorical(tl.tensor([[0.1, 0.2, 0.7], [0.5, 0.0, 0.5]])),
    "onehot": lambda: D.OneHotCategorical(tl.tensor([0.1, 0.2, 0.7])),
    "exponential": lambda: D.Exponential(tl.tensor([0.5, 2.0])),
    "laplace": lambda: D.Laplace(tl.tensor([1.0, -1.0]), tl.tensor([0.5, 2.0])),
    "gumbel": lambda: D.Gumbel(tl.tensor([1.0, -1.0]), tl.tensor([0.5, 2.0])),
    "lognormal": lambda: D.LogNormal(tl.tensor([0.0, 0.5]), tl.tensor([0.3, 0.5])),
    "geometric": lambda: D.Geometric(tl.tensor([0.3, 0.8])),
    "mvn": lambda: D.MultivariateNormal(tl.tensor([1.0, -1.0]), tl.tensor([[2.0, 0.5], [0.5, 1.0]])),
    "continuous_bernoulli": lambda: D.ContinuousBernoulli(tl.tensor([0.2, 0.5, 0.9])),
    "mixture": lambda: D.MixtureSameFamily(D.Categorical(tl.tensor([0.3, 0.7])),
                                           D.Normal(tl.tensor([-2.0, 1.0]), tl.tensor([0.5, 1.0]))),
    "pareto": lambda: D.Pareto(tl.tensor([1.0, 2.0]), tl.tensor([10.0, 12.0])),
    "lowrank": lambda: D.LowRankMultivariateNormal(tl.tensor([1.0, -1.0]), tl.tensor([[1.0], [0.5]]),
                                                   tl.tensor([0.5, 1.0])),
}
STAT_CASES_2 = {
    "gamma": lambda: D.Gamma(tl.tensor([0.3, 2.0, 9.0]), tl.tensor([1.0, 2.0, 0.5])),
    "beta": lambda: D.Beta(tl.tensor([0.5, 2.0]), tl.tensor([3.0, 2.0])),
    "dirichlet": lambda: D.Dirichlet(tl.tensor([0.5, 1.0, 3.0])),
    "chi2": lambda: D.Chi2(tl.tensor([1.0, 4.0])),
    "poisson": lambda: D.Poisson(tl.tensor([0.5, 4.0, 30.0])),
    "binomial": lambda: D.Binomial(tl.tensor([5.0, 20.0]), tl.tensor([0.3, 0.9])),
    "multinomial": lambda: D.Multinomial(6, tl.tensor([0.2, 0.3, 0.5])),
    "studentt": lambda: D.StudentT(tl.tensor([5.0, 10.0]), tl.tensor([1.0, 0.0]), tl.tensor([1.0, 2.0])),
    "halfnormal": lambda: D.HalfNormal(tl.tensor([1.0, 2.0])),
    "weibull": lambda: D.Weibull(tl.tensor([1.0, 2.0]), tl.tensor([0.8, 3.0])),
    "inverse_gamma": lambda: D.InverseGamma(tl.tensor([5.0, 8.0]), tl.tensor([1.0, 2.0])),
    "negative_binomial": lambda: D.NegativeBinomial(tl.tensor([3.0, 10.0]), tl.tensor([0.4, 0.2])),
    "fishersnedecor": lambda: D.FisherSnedecor(tl.tensor([5.0, 10.0]), tl.tensor([20.0, 30.0])),
    "kumaraswamy": lambda: D.Kumaraswamy(tl.tensor([2.0, 0.5]), tl.tensor([3.0, 1.5])),
}



@pytest.mark.parametrize("name", list(STAT_CASES) + (list(STAT_CASES_2) if HAS_GROUP2 else []))
def test_sample_moments(name):
    tl.manual_seed(1)
    dist = {**STAT_CASES, **STAT_CASES_2}[name]()
    mean, var = _stats(dist)
    n = 20000
    want_mean, want_var = dist.mean.numpy(), dist.variance.numpy()
    if name == "categorical":  # torch's Categorical has no mean: compare class frequencies instead
        with tl.no_grad():
            s = dist.sample((n,)).numpy()
        freq = np.stack([(s == k).mean(0) for k in range(3)], -1)
        np.testing.assert_allclose(freq, dist.probs.numpy(), atol=0.015)
        return
    np.testing.assert_allclose(mean, want_mean, atol=5 * np.sqrt(want_var / n).max() + 1e-3)
    np.testing.assert_allclose(var, want_var, rtol=0.08, atol=1e-3)


def test_von_mises_samples_and_bessel_functions():
    tl.manual_seed(2)
    loc, kappa = tl.tensor([0.5, -3.0, 2.0]), tl.tensor([2.0, 50.0, 0.01])
    d = D.VonMises(loc, kappa)
    with tl.no_grad():
        s = d.sample((20000,)).double().numpy()
    assert s.min() >= -math.pi and s.max() < math.pi
    circular_mean = np.arctan2(np.sin(s).mean(0), np.cos(s).mean(0))
    np.testing.assert_allclose(circular_mean[:2], loc.numpy()[:2], atol=0.03)
    circular_variance = 1 - np.cos(s - loc.numpy()).mean(0)  # E[cos(x - loc)] = I1(k) / I0(k)
    np.testing.assert_allclose(circular_variance, d.variance.numpy(), atol=0.01)
    from tensorlite.distributions.von_mises import _log_modified_bessel_fn

    x = np.array([1e-3, 0.5, 3.0, 3.75, 12.0, 29.9, 30.1, 80.0, 700.0])
    for order, scaled in ((0, torch.special.i0e), (1, torch.special.i1e)):
        xt = tl.tensor(x, dtype=tl.float64, requires_grad=True)
        got = _log_modified_bessel_fn(xt, order)
        want = scaled(torch.tensor(x)).log() + torch.tensor(x)
        np.testing.assert_allclose(got.detach().numpy(), want.numpy(), rtol=1e-12, atol=1e-14)
        (g,) = tl.autograd.grad(got.sum(), [xt])
        xt_ = torch.tensor(x, requires_grad=True)
        (scaled(xt_).log() + xt_).sum().backward()
        np.testing.assert_allclose(g.numpy(), xt_.grad.numpy(), rtol=1e-10)


def test_seed_reproducible_and_sample_has_no_grad():
    loc = tl.tensor([0.0, 1.0], requires_grad=True)
    d = D.Normal(loc, 1.0)
    tl.manual_seed(3)
    a = d.sample((4,))
    tl.manual_seed(3)
    b = d.sample((4,))
    assert np.array_equal(a.numpy(), b.numpy()) and not a.requires_grad
    assert d.rsample().requires_grad


@pytest.mark.parametrize("name,make,f,grad_of_expectation", [
    # d/dtheta E[f(x)] by the reparameterisation trick vs its closed form
    ("normal", lambda p: D.Normal(p[0], p[1]), lambda x: x * x, lambda p: [2 * p[0], 2 * p[1]]),
    ("exponential", lambda p: D.Exponential(p[0]), lambda x: x, lambda p: [-1 / p[0] ** 2]),
    ("laplace", lambda p: D.Laplace(p[0], p[1]), lambda x: x * x, lambda p: [2 * p[0], 4 * p[1]]),
    ("lognormal", lambda p: D.LogNormal(p[0], p[1]), lambda x: x,
     lambda p: [math.exp(p[0] + p[1] ** 2 / 2), p[1] * math.exp(p[0] + p[1] ** 2 / 2)]),
    ("uniform", lambda p: D.Uniform(p[0], p[1]), lambda x: x, lambda p: [0.5, 0.5]),
])
def test_rsample_gradient(name, make, f, grad_of_expectation):
    tl.manual_seed(0)
    values = [0.7, 1.3]
    params = [tl.tensor(v, dtype=tl.float64, requires_grad=True) for v in values][:len(grad_of_expectation(values))]
    if name == "uniform":
        params = [tl.tensor(0.2, dtype=tl.float64, requires_grad=True), tl.tensor(1.5, dtype=tl.float64,
                                                                                 requires_grad=True)]
    f(make(params).rsample((40000,))).mean().backward()
    want = grad_of_expectation([p.item() for p in params])
    got = [p.grad.item() for p in params[:len(want)]]
    np.testing.assert_allclose(got, want, rtol=0.05, atol=0.02)


@pytest.mark.skipif(not HAS_GROUP2, reason="needs tl.lgamma / tl.digamma")
@pytest.mark.parametrize("name,make,grad_of_mean", [
    # implicit reparameterisation: d E[x] / d params from samples vs the closed form
    ("gamma", lambda p: D.Gamma(p[0], p[1]), lambda a, b: [1 / b, -a / b ** 2]),
    ("gamma_small_alpha", lambda p: D.Gamma(p[0] * 0.2, p[1]), lambda a, b: [0.2 / b, -0.2 * a / b ** 2]),
    ("beta", lambda p: D.Beta(p[0], p[1]), lambda a, b: [b / (a + b) ** 2, -a / (a + b) ** 2]),
    ("dirichlet", lambda p: D.Dirichlet(tl.stack([p[0], p[1]])), lambda a, b: [b / (a + b) ** 2, -a / (a + b) ** 2]),
    ("chi2", lambda p: D.Chi2(p[0] * 4), lambda a, b: [4.0]),
])
def test_rsample_gradient_gamma_family(name, make, grad_of_mean):
    tl.manual_seed(0)
    params = [tl.tensor(v, dtype=tl.float64, requires_grad=True) for v in (1.7, 2.5)]
    x = make(params).rsample((40000,))
    (x[..., 0] if name == "dirichlet" else x).mean().backward()
    want = grad_of_mean(1.7, 2.5)
    got = [p.grad.item() for p in params[:len(want)]]
    np.testing.assert_allclose(got, want, rtol=0.05, atol=0.01)


def test_standard_gamma_grad_matches_torch_and_finite_differences():
    from tensorlite.distributions._gamma import standard_gamma_grad

    rng = np.random.default_rng(0)
    alpha = np.repeat([0.01, 0.3, 1.0, 2.5, 30.0, 60.0, 1e4], 50)
    x = np.maximum(rng.standard_gamma(alpha), 1e-300)
    ours = standard_gamma_grad(alpha, x)
    theirs = torch._standard_gamma_grad(torch.tensor(alpha), torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=2e-3)  # torch's own approximation is good to ~4e-4
    try:
        from tensorlite.kernels.special_gamma import lgamma
        from tensorlite.kernels.special_igamma import igamma
    except ImportError:
        return
    h = 1e-6 * alpha  # dx/dalpha = -(dP/dalpha) / (dP/dx) by central differences of P(alpha, x)
    dp_da = (igamma(alpha + h, x) - igamma(alpha - h, x)) / (2 * h)
    density = np.exp((alpha - 1) * np.log(x) - x - lgamma(alpha))
    ok = density > 1e-8
    np.testing.assert_allclose(ours[ok], -dp_da[ok] / density[ok], rtol=1e-5, atol=1e-9)


INVALID = [
    ("Normal", lambda d, t: d.Normal(t([0.0]), t([-1.0]))),
    ("Normal_nan_loc", lambda d, t: d.Normal(t([math.nan]), t([1.0]))),
    ("Uniform", lambda d, t: d.Uniform(t([1.0]), t([0.0]))),
    ("Bernoulli", lambda d, t: d.Bernoulli(probs=t([1.5]))),
    ("Bernoulli_both", lambda d, t: d.Bernoulli(probs=t([0.5]), logits=t([0.0]))),
    ("Bernoulli_none", lambda d, t: d.Bernoulli()),
    ("Categorical", lambda d, t: d.Categorical(probs=t([-0.1, 1.1]))),
    ("Categorical_0d", lambda d, t: d.Categorical(probs=t(1.0))),
    ("Exponential", lambda d, t: d.Exponential(t([0.0]))),
    ("Laplace", lambda d, t: d.Laplace(t([0.0]), t([0.0]))),
    ("Geometric", lambda d, t: d.Geometric(probs=t([0.0]))),
    ("MVN_two_matrices", lambda d, t: d.MultivariateNormal(t([0.0, 0.0]), covariance_matrix=t(np.eye(2)),
                                                           scale_tril=t(np.eye(2)))),
    ("MVN_not_pd", lambda d, t: d.MultivariateNormal(t([0.0, 0.0]), covariance_matrix=t([[1.0, 2.0], [2.0, 1.0]]))),
    ("MVN_0d_loc", lambda d, t: d.MultivariateNormal(t(0.0), covariance_matrix=t(np.eye(2)))),
    ("Independent_ndims", lambda d, t: d.Independent(d.Normal(t([0.0]), t([1.0])), 2)),
    ("TransformedDistribution", lambda d, t: d.TransformedDistribution(d.Normal(t([0.0]), t([1.0])), "exp")),
    ("log_prob_outside_support", lambda d, t: d.Exponential(t([1.0])).log_prob(t([-1.0]))),
    ("log_prob_bad_shape", lambda d, t: d.Normal(t([0.0, 1.0]), t([1.0, 1.0])).log_prob(t([0.0, 1.0, 2.0]))),
    ("log_prob_not_tensor", lambda d, t: d.Normal(t([0.0]), t([1.0])).log_prob(0.5)),
    ("log_prob_event_shape", lambda d, t: d.MultivariateNormal(t([0.0, 0.0]), t(np.eye(2))).log_prob(t([1.0]))),
    ("categorical_log_prob", lambda d, t: d.Categorical(logits=t([0.0, 0.0])).log_prob(t([2]))),
    ("broadcast_fail", lambda d, t: d.Normal(t([0.0, 1.0]), t([1.0, 1.0, 1.0]))),
    ("set_default_validate_args", lambda d, t: d.Distribution.set_default_validate_args(2)),
]


def _exc(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 -- the exception type is what is compared
        return type(e)
    return None


@pytest.mark.parametrize("name,fn", INVALID, ids=[c[0] for c in INVALID])
def test_validation_errors_match_torch(name, fn):
    def tt(v):
        return torch.tensor(v, dtype=torch.int64 if name == "categorical_log_prob" else torch.float64)

    def lt(v):
        return tl.tensor(v, dtype=tl.int64 if name == "categorical_log_prob" else tl.float64)

    t_exc, l_exc = _exc(lambda: fn(TD, tt)), _exc(lambda: fn(D, lt))
    assert t_exc is not None
    assert l_exc is not None and (issubclass(l_exc, t_exc) or t_exc.__name__ == l_exc.__name__), (t_exc, l_exc)


def test_validate_args_switches():
    assert D.Normal(tl.tensor([0.0]), tl.tensor([-1.0]), validate_args=False).scale.item() == -1.0
    D.Distribution.set_default_validate_args(False)
    try:
        D.Normal(tl.tensor([0.0]), tl.tensor([-1.0]))
        with pytest.raises(ValueError):
            D.Normal(tl.tensor([0.0]), tl.tensor([-1.0]), validate_args=True)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="Expected parameter scale"):
        D.Normal(tl.tensor([0.0]), tl.tensor([-1.0]))


KL_PAIRS = [
    ("normal", "normal"), ("normal_scalar_param", "normal"), ("exponential", "exponential"),
    ("laplace", "laplace"), ("cauchy", "cauchy"), ("uniform", "uniform"), ("bernoulli_logits", "bernoulli_probs1d"),
    ("categorical_probs", "categorical_logits2"), ("geometric", "geometric_logits"), ("independent", "independent"),
    ("mvn_cov", "mvn_tril"), ("mvn_prec", "mvn_cov"), ("lowrank_mvn", "lowrank_mvn"), ("mvn_cov", "lowrank_mvn"),
    ("lowrank_mvn", "mvn_tril"), ("lognormal", "lognormal"), ("normal", "laplace"), ("normal", "gumbel"),
    ("laplace", "normal"), ("exponential", "normal"), ("exponential", "gumbel"), ("gumbel", "normal"),
    ("uniform", "normal"), ("uniform", "gumbel"), ("uniform", "exponential"), ("normal", "exponential"),
    ("pareto", "pareto"), ("continuous_bernoulli", "continuous_bernoulli"),
]
KL_PAIRS_2 = [("gumbel", "gumbel"), ("gamma", "gamma"), ("beta", "beta"), ("dirichlet", "dirichlet"),
              ("poisson", "poisson"), ("binomial", "binomial"), ("halfnormal", "halfnormal"), ("chi2", "gamma"),
              ("exponential", "gamma"), ("gamma", "exponential"), ("gamma", "normal"), ("beta", "normal"),
              ("beta", "uniform"), ("uniform", "beta"), ("uniform", "chi2"), ("gamma", "gumbel"),
              ("beta", "exponential"), ("beta", "gamma"), ("bernoulli_probs", "poisson")]


def _kl(lib, p_case, q_case):
    p, pp = _make(lib, p_case)
    q, qp = _make(lib, q_case)
    kl = (TD if lib is torch else D).kl_divergence(p, q)
    params = pp + qp
    if not kl.requires_grad:  # an infinite KL (disjoint supports) is a constant
        return np.asarray(kl.detach()), [None] * len(params)
    gs = (torch.autograd.grad if lib is torch else tl.autograd.grad)(kl.nan_to_num(0.0, 0.0, 0.0).sum(), params,
                                                                      allow_unused=True)
    return np.asarray(kl.detach()), [None if g is None else np.asarray(g) for g in gs]


@pytest.mark.parametrize("p_case,q_case", KL_PAIRS + (KL_PAIRS_2 if HAS_GROUP2 else []))
def test_kl_divergence_matches_torch(p_case, q_case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_kl, t_grads = _kl(torch, p_case, q_case)
        l_kl, l_grads = _kl(tl, p_case, q_case)
    assert l_kl.shape == t_kl.shape
    np.testing.assert_allclose(l_kl, t_kl, rtol=1e-6, atol=1e-8)
    for lg, tg in zip(l_grads, t_grads):
        if tg is not None and np.any(tg):
            np.testing.assert_allclose(lg, tg, rtol=1e-5, atol=1e-8)


def test_kl_registry_and_errors():
    class MyNormal(D.Normal):
        pass

    p, q = MyNormal(tl.tensor([0.0]), tl.tensor([1.0])), D.Normal(tl.tensor([1.0]), tl.tensor([2.0]))
    expected = D.kl_divergence(D.Normal(tl.tensor([0.0]), tl.tensor([1.0])), q)
    assert np.allclose(D.kl_divergence(p, q).numpy(), expected.numpy())  # subclasses dispatch to the parent's

    @D.register_kl(MyNormal, D.Normal)
    def _kl_mine(p, q):
        return tl.zeros(p.batch_shape)

    assert D.kl_divergence(p, q).sum().item() == 0.0
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Categorical(logits=tl.zeros(3)), q)


TRANSFORMS = [
    ("exp", lambda d, lib: d.ExpTransform(), _real(2, 3)),
    ("affine", lambda d, lib: d.AffineTransform(1.5, -2.0), _real(2, 3)),
    ("affine_tensor_event", lambda d, lib: d.AffineTransform(lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64),
                                                             lib.tensor([0.5, -2.0, 3.0], dtype=lib.float64), 1),
     _real(2, 3)),
    ("sigmoid", lambda d, lib: d.SigmoidTransform(), _real(2, 3)),
    ("tanh", lambda d, lib: d.TanhTransform(), _real(2, 3)),
    ("softplus", lambda d, lib: d.SoftplusTransform(), _real(2, 3)),
    ("power", lambda d, lib: d.PowerTransform(lib.tensor(2.5, dtype=lib.float64)), _pos(2, 3)),
    ("abs", lambda d, lib: d.AbsTransform(), _real(2, 3)),
    ("softmax", lambda d, lib: d.SoftmaxTransform(), _real(2, 3)),
    ("stickbreaking", lambda d, lib: d.StickBreakingTransform(), _real(2, 3)),
    ("lower_cholesky", lambda d, lib: d.LowerCholeskyTransform(), _real(2, 3, 3)),
    ("positive_definite", lambda d, lib: d.PositiveDefiniteTransform(), _real(2, 3, 3)),
    ("corr_cholesky", lambda d, lib: d.CorrCholeskyTransform(), _real(2, 3)),
    ("reshape", lambda d, lib: d.ReshapeTransform((2, 3), (3, 2)), _real(4, 2, 3)),
    ("compose", lambda d, lib: d.ComposeTransform([d.AffineTransform(0.5, 2.0), d.ExpTransform(),
                                                   d.AffineTransform(1.0, -1.0)]), _real(2, 3)),
    ("inverse_of_exp", lambda d, lib: d.ExpTransform().inv, _pos(2, 3)),
    ("independent", lambda d, lib: d.IndependentTransform(d.SigmoidTransform(), 1), _real(2, 3)),
    ("cat", lambda d, lib: d.CatTransform([d.ExpTransform(), d.SigmoidTransform()], dim=-1, lengths=[1, 2]),
     _real(2, 3)),
    ("stack", lambda d, lib: d.StackTransform([d.ExpTransform(), d.TanhTransform()], dim=0), _real(2, 3)),
    ("cdf", lambda d, lib: d.CumulativeDistributionTransform(
        lib.distributions.Normal(lib.tensor(0.5, dtype=lib.float64), lib.tensor(2.0, dtype=lib.float64))), _real(2, 3)),
]


@pytest.mark.parametrize("name,make,x", TRANSFORMS, ids=[t[0] for t in TRANSFORMS])
def test_transforms_match_torch(name, make, x):
    results = {}
    for lib, d in ((torch, torch.distributions.transforms), (tl, D.transforms)):
        t = make(d, lib)
        xt = lib.tensor(x, dtype=lib.float64, requires_grad=True)
        y = t(xt)
        out = {"y": y, "x_back": t.inv(y)}
        if name not in ("softmax", "abs", "lower_cholesky", "positive_definite"):
            out["ladj"] = t.log_abs_det_jacobian(xt, y)
        grad = (torch.autograd.grad if lib is torch else tl.autograd.grad)(
            sum((v * v).sum() for v in out.values()), [xt])[0]
        results[lib] = {k: np.asarray(v.detach()) for k, v in out.items()}, np.asarray(grad), t
    (t_out, t_grad, tt), (l_out, l_grad, lt) = results[torch], results[tl]
    for key in t_out:
        np.testing.assert_allclose(l_out[key], t_out[key], rtol=1e-6, atol=1e-9, err_msg=key)
    np.testing.assert_allclose(l_grad, t_grad, rtol=1e-5, atol=1e-8)
    assert lt.domain.event_dim == tt.domain.event_dim and lt.codomain.event_dim == tt.codomain.event_dim
    assert lt.bijective == tt.bijective
    shape = tuple(x.shape)
    assert tuple(lt.forward_shape(shape)) == tuple(tt.forward_shape(shape))


def test_transform_cache_and_equality():
    t = D.TanhTransform(cache_size=1)
    x = tl.tensor([20.0, -0.5], dtype=tl.float64)
    y = t(x)
    assert t.inv(y) is x  # cached: atanh(tanh(20)) would be inf
    assert D.ExpTransform() == D.ExpTransform() and D.ExpTransform().inv == D.ExpTransform().inv
    assert D.AffineTransform(1.0, 2.0) == D.AffineTransform(1.0, 2.0) != D.AffineTransform(1.0, 3.0)
    assert D.ExpTransform().inv.inv == D.ExpTransform()
    with pytest.raises(ValueError):
        D.ExpTransform(cache_size=2)
    assert D.identity_transform(x) is x


def test_constraints_match_torch():
    from torch.distributions import constraints as tc

    c = D.constraints
    x = np.array([[-1.0, 0.0, 0.5, 1.0, 2.0]])
    m = np.array([[[1.0, 0.0], [0.5, 2.0]], [[1.0, 1.0], [0.0, 1.0]]])
    pairs = [(c.real, tc.real, x), (c.positive, tc.positive, x), (c.nonnegative, tc.nonnegative, x),
             (c.unit_interval, tc.unit_interval, x), (c.boolean, tc.boolean, x),
             (c.nonnegative_integer, tc.nonnegative_integer, x), (c.positive_integer, tc.positive_integer, x),
             (c.interval(-1, 1), tc.interval(-1, 1), x), (c.half_open_interval(-1, 1), tc.half_open_interval(-1, 1), x),
             (c.greater_than(0.5), tc.greater_than(0.5), x), (c.less_than(0.5), tc.less_than(0.5), x),
             (c.integer_interval(0, 1), tc.integer_interval(0, 1), x), (c.simplex, tc.simplex, x),
             (c.real_vector, tc.real_vector, x), (c.independent(c.positive, 1), tc.independent(tc.positive, 1), x),
             (c.one_hot, tc.one_hot, x), (c.lower_triangular, tc.lower_triangular, m),
             (c.lower_cholesky, tc.lower_cholesky, m), (c.symmetric, tc.symmetric, m),
             (c.positive_definite, tc.positive_definite, m), (c.positive_semidefinite, tc.positive_semidefinite, m),
             (c.square, tc.square, m), (c.multinomial(3), tc.multinomial(3), x)]
    for lc, tcon, v in pairs:
        got = lc.check(tl.tensor(v, dtype=tl.float64))
        want = tcon.check(torch.tensor(v, dtype=torch.float64))
        assert np.array_equal(np.asarray(got), want.numpy()), repr(tcon)
        assert repr(lc) == repr(tcon)
        assert lc.event_dim == tcon.event_dim and lc.is_discrete == tcon.is_discrete
    assert c.is_dependent(c.dependent) and not c.is_dependent(c.real)
    assert c.is_dependent(D.Uniform.support) and D.Uniform.support.event_dim == 0
    with pytest.raises(ValueError):
        c.dependent.check(tl.tensor(1.0))


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
def test_constraint_registry_matches_torch(registry):
    from torch.distributions import constraints as tc

    c = D.constraints
    pairs = [(c.real, tc.real), (c.positive, tc.positive), (c.greater_than(1.5), tc.greater_than(1.5)),
             (c.less_than(-1.0), tc.less_than(-1.0)), (c.unit_interval, tc.unit_interval),
             (c.interval(-2.0, 3.0), tc.interval(-2.0, 3.0)), (c.simplex, tc.simplex),
             (c.independent(c.positive, 1), tc.independent(tc.positive, 1)), (c.corr_cholesky, tc.corr_cholesky)]
    x = _real(2, 3)
    for lc, tcon in pairs:
        lt, tt = getattr(D, registry)(lc), getattr(TD, registry)(tcon)
        got = lt(tl.tensor(x, dtype=tl.float64))
        want = tt(torch.tensor(x, dtype=torch.float64))
        np.testing.assert_allclose(np.asarray(got), want.numpy(), rtol=1e-6, atol=1e-9, err_msg=repr(tcon))
    with pytest.raises(NotImplementedError):
        getattr(D, registry)(c.boolean)


def test_enumerate_support_expand_false_and_misc():
    d = D.Bernoulli(tl.tensor([[0.2, 0.3]]))
    t = TD.Bernoulli(torch.tensor([[0.2, 0.3]]))
    assert tuple(d.enumerate_support(expand=False).shape) == tuple(t.enumerate_support(expand=False).shape)
    c = D.Categorical(logits=tl.zeros(2, 3))
    assert c.enumerate_support().dtype == tl.int64 and tuple(c.enumerate_support(False).shape) == (3, 1)
    assert c.mode.dtype == tl.int64
    st = D.OneHotCategoricalStraightThrough(logits=tl.zeros(3, requires_grad=True))
    assert st.rsample().requires_grad
    assert "Normal(loc: " in repr(D.Normal(tl.zeros(2), tl.ones(2)))
    assert repr(D.Independent(D.Normal(tl.zeros(2), tl.ones(2)), 1)).startswith("Independent(Normal(")
    n = D.Normal(0.0, 1.0)
    assert n.batch_shape == tl.Size() and n.sample().shape == tl.Size() and n.loc.dtype == tl.float32
    assert math.isclose(n.icdf(tl.tensor(0.975)).item(), 1.959964, rel_tol=1e-5)
    with pytest.raises(NotImplementedError):
        D.Cauchy(0.0, 1.0).enumerate_support()


def test_policy_gradient_and_vae_step_run():
    """The two roadmap uses end to end: REINFORCE through Categorical, ELBO through Normal.rsample + KL."""
    tl.manual_seed(0)
    logits = tl.zeros(4, 3, requires_grad=True)
    pi = D.Categorical(logits=logits)
    action = pi.sample()
    (-(pi.log_prob(action) * tl.ones(4)).mean() - 0.01 * pi.entropy().mean()).backward()
    assert logits.grad is not None and logits.grad.shape == logits.shape
    mu, log_sigma = tl.zeros(8, 2, requires_grad=True), tl.zeros(8, 2, requires_grad=True)
    q = D.Normal(mu, log_sigma.exp())
    z = q.rsample()
    elbo = D.Normal(tl.zeros(2), tl.ones(2)).log_prob(z).sum(-1) - D.kl_divergence(q, D.Normal(0.0, 1.0)).sum(-1)
    (-elbo.mean()).backward()
    assert mu.grad is not None and log_sigma.grad is not None
