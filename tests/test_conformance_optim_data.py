"""Conformance of tl.optim (optimizers, lr_scheduler, swa_utils) and tl.utils.data against PyTorch.

Every expectation is computed by running the same calls on torch (the oracle): signatures and
defaults, trajectories (including LBFGS, ASGD, Adafactor and differentiable=True), argument errors
(exception types), state-dict structure and resumption, lr sequences, collation structure and
dtypes, DataLoader/sampler behaviour and errors.
"""
from __future__ import annotations

import collections
import copy
import inspect
import warnings

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.utils.data as LD

torch = pytest.importorskip("torch")
import torch.utils.data as TD  # noqa: E402

LIBS = (torch, tl)
RNG = np.random.default_rng(7)


def _both(fn):
    """fn(lib) for torch and tensorlite: (result or exception type, warning messages) for each."""
    out = []
    for lib in LIBS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = fn(lib)
            except Exception as e:  # noqa: BLE001 - the exception type is what is compared
                res = type(e)
        out.append((res, [str(w.message) for w in caught]))
    return out


def _same_exception(fn):
    (t, _), (l, _) = _both(fn)
    assert isinstance(t, type) and issubclass(t, Exception), f"torch did not raise: {t}"
    assert l is t, f"torch raised {t.__name__}, tensorlite gave {l}"


def _signature(obj):
    return [(p.name, p.kind, p.default) for p in inspect.signature(obj).parameters.values() if p.name != "params"]


# ---------------------------------------------------------------------------------------------------
# optimizers
# ---------------------------------------------------------------------------------------------------
OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop",
              "ASGD", "LBFGS", "Adafactor"]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_signature(name):
    assert _signature(getattr(tl.optim, name)) == _signature(getattr(torch.optim, name))


W0 = RNG.standard_normal((2, 3, 4)).astype(np.float32)
B0 = RNG.standard_normal(4).astype(np.float32)
X0 = RNG.standard_normal((5, 3)).astype(np.float32)
Y0 = RNG.standard_normal((5, 4)).astype(np.float32)


def _train(lib, name, kw, steps=20, groups=False):
    """20 steps on a small least-squares + quartic problem: a 3-d, a 1-d and a 0-d parameter,
    optionally in two groups (the second with half the lr)."""
    w = lib.tensor(W0.copy(), requires_grad=True)
    b = lib.tensor(B0.copy(), requires_grad=True)
    s = lib.tensor(0.7, requires_grad=True)
    params = [{"params": [w, s]}, {"params": [b], "lr": kw.get("lr", 0.01) * 0.5}] if groups else [w, b, s]
    opt = getattr(lib.optim, name)(params, **kw)
    x, y = lib.tensor(X0), lib.tensor(Y0)
    for _ in range(steps):
        opt.zero_grad()
        loss = (((x @ w[0] + b * s) - y) ** 2).mean() + (w ** 4).sum() * 0.01 + ((x @ w[1]) ** 2).mean() + s ** 2
        loss.backward()
        opt.step()
    return [t.detach().numpy().copy() for t in (w, b, s)]


TRAJECTORIES = [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, foreach=True)),
    ("SGD", dict(lr=0.05, momentum=0.5, dampening=0.3, weight_decay=0.1, fused=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, foreach=False, capturable=False)),
    ("Adam", dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.1, maximize=True)),
    ("AdamW", dict(lr=0.01, betas=(0.5, 0.6), eps=1e-3, fused=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.2)),
    ("Adadelta", dict(lr=0.5, rho=0.5, weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1)),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-4, 0.1))),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=0.1, alpha=0.5, t0=5, weight_decay=0.1)),
    ("ASGD", dict(lr=0.005, t0=3, maximize=True)),
    ("Adafactor", dict()),
    ("Adafactor", dict(lr=0.05, beta2_decay=-0.5, eps=(1e-6, 1e-2), d=2.0)),
    ("Adafactor", dict(lr=0.05, weight_decay=0.1)),
    ("Adafactor", dict(lr=0.02, maximize=True)),
]


@pytest.mark.parametrize("groups", [False, True])
@pytest.mark.parametrize("name,kw", TRAJECTORIES)
def test_trajectory_matches_torch(name, kw, groups):
    # float32: a few ulps of rounding can grow over 20 steps where an update normalises a tiny gradient
    for t, l in zip(_train(torch, name, kw, groups=groups), _train(tl, name, kw, groups=groups)):
        np.testing.assert_allclose(l, t, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["ASGD", "Adafactor"])
def test_new_optimizer_state_matches_torch(name):
    states = []
    for lib in LIBS:
        p = lib.tensor(W0[0].copy(), requires_grad=True)
        q = lib.tensor(B0.copy(), requires_grad=True)
        opt = getattr(lib.optim, name)([p, q], lr=0.05)
        for _ in range(3):
            opt.zero_grad()
            ((p ** 2).sum() + (q ** 3).sum()).backward()
            opt.step()
        states.append(opt.state_dict())
    t, l = states
    assert l["param_groups"] == [{k: v for k, v in g.items()} for g in t["param_groups"]]
    for i in t["state"]:
        assert sorted(l["state"][i]) == sorted(t["state"][i])
        for key, value in t["state"][i].items():
            assert tuple(l["state"][i][key].shape) == tuple(value.shape), key
            np.testing.assert_allclose(l["state"][i][key].numpy(), value.numpy(), rtol=1e-5, atol=1e-7)


BAD_ARGS = [
    ("SGD", dict(lr=-1)), ("SGD", dict(momentum=-0.1)), ("SGD", dict(weight_decay=-1)),
    ("SGD", dict(nesterov=True)), ("SGD", dict(momentum=0.9, dampening=0.1, nesterov=True)),
    ("SGD", dict(fused=True, foreach=True)), ("SGD", dict(fused=True, differentiable=True)),
    ("Adam", dict(eps=-1)), ("Adam", dict(betas=(1.0, 0.9))), ("Adam", dict(betas=(0.9, 1.0))),
    ("Adam", dict(betas=(-0.1, 0.9))), ("Adam", dict(weight_decay=-1)), ("AdamW", dict(betas=(0.9, 1.5))),
    ("RMSprop", dict(alpha=-1)), ("RMSprop", dict(momentum=-1)), ("Adagrad", dict(lr_decay=-1)),
    ("Adagrad", dict(initial_accumulator_value=-1)), ("Adadelta", dict(rho=1.1)), ("Adamax", dict(betas=(0.5, 1.0))),
    ("NAdam", dict(momentum_decay=-1)), ("RAdam", dict(eps=-1)), ("Rprop", dict(etas=(1.1, 1.2))),
    ("Rprop", dict(etas=(0.5, 0.9))), ("ASGD", dict(lr=-1)), ("ASGD", dict(weight_decay=-1)),
    ("LBFGS", dict(lr=-1)), ("Adafactor", dict(lr=-1)), ("Adafactor", dict(beta2_decay=0.1)),
    ("Adafactor", dict(eps=(-1, 1e-3))), ("Adafactor", dict(eps=(None, -1))), ("Adafactor", dict(d=0.5)),
    ("Adafactor", dict(weight_decay=-1)),
]


@pytest.mark.parametrize("name,kw", BAD_ARGS)
def test_bad_arguments_raise_like_torch(name, kw):
    _same_exception(lambda lib: getattr(lib.optim, name)([lib.zeros(3, requires_grad=True)], **kw))


@pytest.mark.parametrize("make", [
    lambda lib: lib.optim.SGD([], lr=0.1),
    lambda lib: lib.optim.SGD((p for p in []), lr=0.1),
    lambda lib: lib.optim.SGD(lib.zeros(3, requires_grad=True), lr=0.1),
    lambda lib: lib.optim.SGD([lib.zeros(3, requires_grad=True) * 2], lr=0.1),
    lambda lib: lib.optim.SGD([1.0], lr=0.1),
    lambda lib: (lambda p: lib.optim.SGD([p], lr=0.1).add_param_group({"params": [p]}))(
        lib.zeros(3, requires_grad=True)),
    lambda lib: lib.optim.SGD([lib.zeros(3, requires_grad=True)], lr=0.1).add_param_group([lib.zeros(2)]),
    lambda lib: lib.optim.LBFGS([{"params": [lib.zeros(2, requires_grad=True)]},
                                 {"params": [lib.zeros(2, requires_grad=True)]}]),
])
def test_param_group_errors_like_torch(make):
    _same_exception(make)


def test_param_groups_generator_dicts_and_defaults():
    res = []
    for lib in LIBS:
        ps = [lib.zeros(2, requires_grad=True) for _ in range(3)]
        opt = lib.optim.SGD((g for g in [{"params": ps[:2]}, {"params": ps[2], "lr": 0.5}]), lr=0.1, momentum=0.9)
        opt.add_param_group({"params": iter([lib.zeros(1, requires_grad=True)]), "nesterov": True})
        res.append([{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
                   + [len(g["params"]) for g in opt.param_groups])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.optim.SGD([ps[0], ps[0]], lr=0.1)
        res[-1].append(len(caught))
    assert res[0] == res[1]


def test_zero_grad_closure_and_missing_grads():
    for lib in LIBS:
        p, q = lib.ones(3, requires_grad=True), lib.ones(2, requires_grad=True)
        opt = lib.optim.Adam([p, q], lr=0.1)

        def closure():
            opt.zero_grad()
            loss = (p * p).sum()
            loss.backward()
            return loss

        assert float(opt.step(closure).detach()) == 3.0
        assert opt.step() is None
        assert q.grad is None and len(opt.state[q]) == 0 and np.allclose(q.detach().numpy(), 1)
        opt.zero_grad()
        assert p.grad is None
        (p * p).sum().backward()
        opt.zero_grad(set_to_none=False)
        assert p.grad is not None and not p.grad.detach().numpy().any()


def _structure(value):
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return ("T", tuple(value.shape), str(value.dtype).split(".")[-1])
    if isinstance(value, dict):
        return {k: _structure(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_structure(v) for v in value])
    return value


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.1, amsgrad=True)),
                                     ("RMSprop", dict(centered=True, momentum=0.1)), ("Adagrad", {}),
                                     ("NAdam", {}), ("Rprop", {}), ("ASGD", {}), ("Adafactor", {})])
def test_state_dict_structure_and_resume(name, kw):
    finals, structures = [], []
    for lib in LIBS:
        def setup():
            ps = [lib.tensor(np.arange(6, dtype=np.float32).reshape(2, 3) / 7, requires_grad=True),
                  lib.ones(3, requires_grad=True), lib.ones(2, requires_grad=True)]
            return ps, getattr(lib.optim, name)([{"params": ps[:2]}, {"params": [ps[2]], "lr": 0.02}], **kw)

        def run(ps, opt, n, use_last):
            for _ in range(n):
                opt.zero_grad()
                loss = (ps[0] ** 2).sum() + (ps[1] ** 3).sum() + (ps[2].sum() if use_last else 0)
                loss.backward()
                opt.step()

        ps, opt = setup()
        run(ps, opt, 3, False)  # the third parameter has no gradient yet: no state for it
        saved = copy.deepcopy(opt.state_dict())
        structures.append(_structure(saved))
        ps2, opt2 = setup()
        with lib.no_grad():
            for a, b in zip(ps2, ps):
                a.copy_(b)
        opt2.load_state_dict(saved)
        run(ps, opt, 4, True)
        run(ps2, opt2, 4, True)
        for a, b in zip(ps, ps2):
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        finals.append([p.detach().numpy() for p in ps])
    assert structures[0] == structures[1]
    for t, l in zip(*finals):
        np.testing.assert_allclose(l, t, rtol=1e-5, atol=1e-6)


# -- LBFGS --------------------------------------------------------------------------------------------
A_LS = RNG.standard_normal((6, 4))
B_LS = RNG.standard_normal(6)


def _lbfgs(lib, steps=3, dtype="float64", **kw):
    dt = getattr(lib, dtype)
    x = lib.tensor(np.array([-1.2, 1.0, 0.5, -0.3]), dtype=dt, requires_grad=True)
    z = lib.tensor(np.array([0.3, -0.7]), dtype=dt, requires_grad=True)
    a, b = lib.tensor(A_LS, dtype=dt), lib.tensor(B_LS, dtype=dt)
    opt = lib.optim.LBFGS([x, z], **kw)

    def closure():
        opt.zero_grad()
        loss = (((x[1:] - x[:-1] ** 2) ** 2).sum() * 10 + ((1 - x[:-1]) ** 2).sum() + ((a @ x - b) ** 2).mean()
                + (z ** 4).sum() + (z[0] * x[0]) ** 2)
        loss.backward()
        return loss

    losses = [float(opt.step(closure).detach()) for _ in range(steps)]
    state = opt.state[x]
    return (np.concatenate([x.detach().numpy(), z.detach().numpy()]), losses, state["func_evals"], state["n_iter"],
            sorted(state))


@pytest.mark.parametrize("kw", [dict(), dict(lr=0.5, history_size=3), dict(max_iter=5), dict(max_eval=7),
                                dict(tolerance_grad=1e-3), dict(line_search_fn="strong_wolfe"),
                                dict(line_search_fn="strong_wolfe", history_size=2, max_iter=7),
                                dict(lr=0.1, line_search_fn="strong_wolfe")])
def test_lbfgs_matches_torch_float64(kw):
    t, l = _lbfgs(torch, **kw), _lbfgs(tl, **kw)
    np.testing.assert_allclose(l[0], t[0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(l[1], t[1], rtol=1e-9)
    assert l[2:] == t[2:]


@pytest.mark.parametrize("kw", [dict(max_iter=5), dict(max_iter=4, line_search_fn="strong_wolfe")])
def test_lbfgs_matches_torch_float32(kw):
    t, l = _lbfgs(torch, steps=1, dtype="float32", **kw), _lbfgs(tl, steps=1, dtype="float32", **kw)
    np.testing.assert_allclose(l[0], t[0], rtol=1e-4, atol=1e-5)
    assert l[2:] == t[2:]


def test_lbfgs_state_dict_resume_and_closure_errors():
    for lib in LIBS:
        def setup():
            return [lib.tensor([-1.2, 1.0, 0.5], dtype=lib.float64, requires_grad=True)]

        def closure_for(ps, opt):
            def closure():
                opt.zero_grad()
                x = ps[0]
                loss = ((x[1:] - x[:-1] ** 2) ** 2).sum() * 10 + ((1 - x[:-1]) ** 2).sum()
                loss.backward()
                return loss
            return closure

        kw = dict(max_iter=3, line_search_fn="strong_wolfe", history_size=2)
        ps = setup()
        opt = lib.optim.LBFGS(ps, **kw)
        for _ in range(2):
            opt.step(closure_for(ps, opt))
        saved = copy.deepcopy(opt.state_dict())
        ps2 = setup()
        with lib.no_grad():
            ps2[0].copy_(ps[0])
        opt2 = lib.optim.LBFGS(ps2, **kw)
        opt2.load_state_dict(saved)
        for _ in range(2):
            opt.step(closure_for(ps, opt))
            opt2.step(closure_for(ps2, opt2))
        np.testing.assert_array_equal(ps[0].detach().numpy(), ps2[0].detach().numpy())
    _same_exception(lambda lib: lib.optim.LBFGS([lib.zeros(2, requires_grad=True)]).step())
    _same_exception(lambda lib: lib.optim.LBFGS([lib.zeros(2, requires_grad=True)]).step(None))

    def bad_line_search(lib):
        p = lib.ones(2, requires_grad=True)
        opt = lib.optim.LBFGS([p], line_search_fn="foo")

        def closure():
            opt.zero_grad()
            loss = (p ** 2).sum()
            loss.backward()
            return loss
        opt.step(closure)
    _same_exception(bad_line_search)


# -- differentiable=True --------------------------------------------------------------------------------
G0 = RNG.standard_normal((2, 3))
P0 = RNG.standard_normal((2, 3))


def _differentiable_run(lib, name, kw, steps):
    w = lib.tensor(P0, requires_grad=True)
    g = lib.tensor(G0, requires_grad=True)
    p = w.clone()  # non-leaf: a leaf requiring grad cannot be updated in place
    opt = getattr(lib.optim, name)([p], differentiable=True, **kw)
    for k in range(steps):
        p.grad = g * (k + 1) + 0.5 * (k % 2) * p
        opt.step()
    gw, gg = lib.autograd.grad((p ** 2).sum(), (w, g))
    return p.detach().numpy(), gw.numpy(), gg.numpy()


@pytest.mark.parametrize("name,kw", [
    ("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9)), ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.5, dampening=0.2, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.1)), ("Adam", dict(lr=0.1, weight_decay=0.1)), ("AdamW", dict(lr=0.1)),
    ("RMSprop", dict(momentum=0.5)), ("Adagrad", dict(lr_decay=0.1, weight_decay=0.1)),
    ("Adadelta", dict(weight_decay=0.1, maximize=True)), ("NAdam", dict(weight_decay=0.1)),
    ("RAdam", dict(weight_decay=0.1, decoupled_weight_decay=True)), ("ASGD", dict(t0=1, lambd=0.1)),
])
@pytest.mark.parametrize("steps", [3, 8])
def test_differentiable_step_gradients_match_torch(name, kw, steps):
    for t, l in zip(_differentiable_run(torch, name, kw, steps), _differentiable_run(tl, name, kw, steps)):
        np.testing.assert_allclose(l, t, rtol=1e-6, atol=1e-9)


def test_differentiable_on_leaf_raises_like_torch():
    def run(lib):
        p = lib.zeros(3, requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.1, differentiable=True)
        p.grad = lib.ones(3)
        opt.step()
    _same_exception(run)


# -- swa_utils --------------------------------------------------------------------------------------------
def _two_group_sgd(lib, **kw):
    ps = [lib.zeros(2, requires_grad=True) for _ in range(2)]
    kw.setdefault("lr", 0.1)
    return lib.optim.SGD([{"params": [p], "lr": kw["lr"] * (i + 1)} for i, p in enumerate(ps)], **kw)


@pytest.mark.parametrize("kw", [dict(swa_lr=0.05), dict(swa_lr=[0.01, 0.5], anneal_epochs=5, anneal_strategy="linear"),
                                dict(swa_lr=0.05, anneal_epochs=0), dict(swa_lr=0.05, anneal_epochs=1)])
def test_swalr_sequence(kw):
    seqs = []
    for lib in LIBS:
        opt = _two_group_sgd(lib)
        sched = lib.optim.swa_utils.SWALR(opt, **kw)
        seq = [sched.get_last_lr()]
        for _ in range(15):
            opt.step()
            sched.step()
            seq.append(sched.get_last_lr())
        seqs.append(seq)
    np.testing.assert_allclose(seqs[1], seqs[0], rtol=1e-12)


@pytest.mark.parametrize("kw", [dict(swa_lr=0.1, anneal_strategy="x"), dict(swa_lr=0.1, anneal_epochs=-1),
                                dict(swa_lr=[0.1])])
def test_swalr_errors(kw):
    _same_exception(lambda lib: lib.optim.swa_utils.SWALR(_two_group_sgd(lib), **kw))


@pytest.mark.parametrize("make_kw", [
    lambda lib: {}, lambda lib: dict(use_buffers=True),
    lambda lib: dict(multi_avg_fn=lib.optim.swa_utils.get_ema_multi_avg_fn(0.9)),
    lambda lib: dict(avg_fn=lib.optim.swa_utils.get_ema_avg_fn(0.8)),
    lambda lib: dict(avg_fn=lib.optim.swa_utils.get_swa_avg_fn()),
])
def test_averaged_model_and_update_bn(make_kw):
    results = []
    for lib in LIBS:
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.Linear(4, 2))
        rng = np.random.default_rng(1)
        with lib.no_grad():
            for p in model.parameters():
                p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
        avg = lib.optim.swa_utils.AveragedModel(model, **make_kw(lib))
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        x = lib.tensor(rng.standard_normal((8, 3)).astype(np.float32))
        for _ in range(5):
            opt.zero_grad()
            model(x).pow(2).mean().backward()
            opt.step()
            avg.update_parameters(model)
        lib.optim.swa_utils.update_bn([x[:4], (x[4:], 0)], avg)
        results.append(([p.detach().numpy() for p in avg.parameters()], {n: b.numpy() for n, b in avg.named_buffers()},
                        avg(x).detach().numpy()))
    (tp, tb, ty), (lp, lb, ly) = results
    for t, l in zip(tp, lp):
        np.testing.assert_allclose(l, t, rtol=1e-5, atol=1e-6)
    assert list(tb) == list(lb)
    for name in tb:
        np.testing.assert_allclose(lb[name], tb[name], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ly, ty, rtol=1e-5, atol=1e-5)


def test_ema_decay_validation():
    _same_exception(lambda lib: lib.optim.swa_utils.get_ema_multi_avg_fn(1.5))
    _same_exception(lambda lib: lib.optim.swa_utils.get_ema_avg_fn(-0.1))


# ---------------------------------------------------------------------------------------------------
# lr_scheduler
# ---------------------------------------------------------------------------------------------------
def S(lib):
    return lib.optim.lr_scheduler


SCHEDULES = {
    "LambdaLR": lambda lib, o: S(lib).LambdaLR(o, [lambda e: 0.95 ** e, lambda e: 1 / (e + 1)]),
    "MultiplicativeLR": lambda lib, o: S(lib).MultiplicativeLR(o, lambda e: 0.9),
    "StepLR": lambda lib, o: S(lib).StepLR(o, 4, gamma=0.5),
    "MultiStepLR": lambda lib, o: S(lib).MultiStepLR(o, [3, 7, 7, 20], gamma=0.5),
    "ConstantLR": lambda lib, o: S(lib).ConstantLR(o, factor=0.5, total_iters=8),
    "LinearLR": lambda lib, o: S(lib).LinearLR(o, start_factor=0.2, end_factor=0.0, total_iters=10),
    "ExponentialLR": lambda lib, o: S(lib).ExponentialLR(o, 0.9),
    "PolynomialLR": lambda lib, o: S(lib).PolynomialLR(o, total_iters=20, power=2.0),
    "CosineAnnealingLR": lambda lib, o: S(lib).CosineAnnealingLR(o, 7, eta_min=0.01),
    "WarmRestarts": lambda lib, o: S(lib).CosineAnnealingWarmRestarts(o, 3, T_mult=2, eta_min=0.001),
    "CyclicLR": lambda lib, o: S(lib).CyclicLR(o, [0.01, 0.02], 0.1, step_size_up=3, step_size_down=5,
                                                  mode="triangular2"),
    "CyclicLR_exp": lambda lib, o: S(lib).CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.9),
    "OneCycleLR": lambda lib, o: S(lib).OneCycleLR(o, [0.5, 1.0], epochs=5, steps_per_epoch=7,
                                                   anneal_strategy="linear"),
    "OneCycleLR_3": lambda lib, o: S(lib).OneCycleLR(o, 0.5, total_steps=35, three_phase=True, pct_start=0.25),
    "SequentialLR": lambda lib, o: S(lib).SequentialLR(
        o, [S(lib).LinearLR(o, 0.1, total_iters=5), S(lib).CosineAnnealingLR(o, 10), S(lib).StepLR(o, 2)], [5, 15]),
    "ChainedScheduler": lambda lib, o: S(lib).ChainedScheduler(
        [S(lib).StepLR(o, 3, 0.5), S(lib).CosineAnnealingLR(o, 6, eta_min=0.001)]),
}


def _momentum(group):
    return group["momentum"] if "momentum" in group else group["betas"][0]


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_lr_sequence_matches_torch(name, opt_name):
    seqs = []
    for lib in LIBS:
        ps = [lib.zeros(2, requires_grad=True) for _ in range(2)]
        extra = dict(momentum=0.9) if opt_name == "SGD" else {}
        opt = getattr(lib.optim, opt_name)([{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(ps)],
                                           lr=0.1, **extra)
        sched = SCHEDULES[name](lib, opt)
        seq = []
        for _ in range(34):
            seq.append(list(sched.get_last_lr()) + [_momentum(g) for g in opt.param_groups]
                       + [getattr(sched, "last_epoch", -2)])
            opt.step()
            sched.step()
        seqs.append(seq)
    np.testing.assert_allclose(np.array(seqs[1], float), np.array(seqs[0], float), rtol=1e-9, atol=1e-12)


def test_scheduler_warnings_and_initial_lr():
    def before_optimizer_step(lib):
        opt = _two_group_sgd(lib)
        sched = S(lib).StepLR(opt, 2)
        sched.step()
        return [g["initial_lr"] for g in opt.param_groups]

    (t, tw), (l, lw) = _both(before_optimizer_step)
    assert t == l and len(tw) == len(lw) == 1 and "optimizer.step()" in lw[0]
    (t, tw), (l, lw) = _both(lambda lib: S(lib).StepLR(_two_group_sgd(lib), 2).get_lr())
    assert len(tw) == len(lw) == 1 and "get_last_lr()" in lw[0]
    _same_exception(lambda lib: S(lib).StepLR(_two_group_sgd(lib), 2, last_epoch=3))


def _plateau(lib, **kw):
    opt = _two_group_sgd(lib)
    sched = S(lib).ReduceLROnPlateau(opt, **kw)
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.899, 0.8999, 0.9, 0.9, 0.9] + [1.0] * 5 + [0.5] * 15
    out = []
    for m in metrics:
        opt.step()
        sched.step(m if kw.get("mode") != "max" else -m)
        out.append(list(sched.get_last_lr()) + [sched.last_epoch, sched.num_bad_epochs, sched.cooldown_counter])
    return out


@pytest.mark.parametrize("kw", [dict(), dict(patience=1), dict(patience=1, cooldown=2),
                                dict(patience=0, factor=0.5, min_lr=[0.02, 0.05]),
                                dict(patience=0, factor=0.5, eps=0.01), dict(patience=0, factor=0.5, min_lr=0.03),
                                dict(patience=1, threshold=0.1, threshold_mode="abs"),
                                dict(mode="max", patience=1, threshold=0.05)])
def test_reduce_lr_on_plateau(kw):
    np.testing.assert_allclose(np.array(_plateau(tl, **kw)), np.array(_plateau(torch, **kw)), rtol=1e-12)


@pytest.mark.parametrize("make", [
    lambda lib: S(lib).ReduceLROnPlateau(_two_group_sgd(lib), mode="foo"),
    lambda lib: S(lib).ReduceLROnPlateau(_two_group_sgd(lib), threshold_mode="foo"),
    lambda lib: S(lib).ReduceLROnPlateau(_two_group_sgd(lib), factor=1.0),
    lambda lib: S(lib).ReduceLROnPlateau(_two_group_sgd(lib), min_lr=[0.1]),
    lambda lib: S(lib).CosineAnnealingWarmRestarts(_two_group_sgd(lib), T_0=0),
    lambda lib: S(lib).CosineAnnealingWarmRestarts(_two_group_sgd(lib), T_0=2, T_mult=1.5),
    lambda lib: S(lib).CosineAnnealingWarmRestarts(_two_group_sgd(lib), 2).step(-1),
    lambda lib: S(lib).OneCycleLR(_two_group_sgd(lib), 0.1),
    lambda lib: S(lib).OneCycleLR(_two_group_sgd(lib), 0.1, total_steps=0),
    lambda lib: S(lib).OneCycleLR(_two_group_sgd(lib), 0.1, epochs=2, steps_per_epoch=0),
    lambda lib: S(lib).OneCycleLR(_two_group_sgd(lib), 0.1, total_steps=10, pct_start=1.5),
    lambda lib: S(lib).OneCycleLR(_two_group_sgd(lib), 0.1, total_steps=10, anneal_strategy="exp"),
    lambda lib: S(lib).OneCycleLR(lib.optim.Adagrad([lib.zeros(2, requires_grad=True)]), 0.1, total_steps=10),
    lambda lib: S(lib).CyclicLR(_two_group_sgd(lib), 0.01, 0.1, mode="foo"),
    lambda lib: S(lib).ConstantLR(_two_group_sgd(lib), factor=1.5),
    lambda lib: S(lib).LinearLR(_two_group_sgd(lib), start_factor=0),
    lambda lib: S(lib).LambdaLR(_two_group_sgd(lib), [lambda e: 1]),
    lambda lib: S(lib).StepLR(object(), 2),
    lambda lib: S(lib).SequentialLR(_two_group_sgd(lib), [], []),
    lambda lib: S(lib).ChainedScheduler([]),
])
def test_scheduler_errors(make):
    _same_exception(make)


def test_onecycle_past_total_steps_raises():
    def run(lib):
        opt = _two_group_sgd(lib)
        sched = S(lib).OneCycleLR(opt, 0.1, total_steps=5)
        for _ in range(6):
            opt.step()
            sched.step()
    _same_exception(run)


@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_warm_restarts_fractional_epochs(T_mult):
    seqs = []
    for lib in LIBS:
        opt = _two_group_sgd(lib)
        sched = S(lib).CosineAnnealingWarmRestarts(opt, 3, T_mult=T_mult, eta_min=0.01)
        seq = []
        for epoch in np.arange(0, 20, 0.37):
            opt.step()
            sched.step(float(epoch))
            seq.append(list(sched.get_last_lr()) + [sched.T_cur, sched.T_i, sched.last_epoch])
        seqs.append(seq)
    np.testing.assert_allclose(np.array(seqs[1]), np.array(seqs[0]), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name,kw", [("StepLR", dict(step_size=2)), ("CosineAnnealingLR", dict(T_max=6)),
                                     ("OneCycleLR", dict(max_lr=0.3, total_steps=20)), ("LinearLR", {}),
                                     ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3)),
                                     ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2))])
def test_scheduler_state_dict_resume(name, kw):
    seqs = []
    for lib in LIBS:
        opt = _two_group_sgd(lib, momentum=0.9)
        sched = getattr(S(lib), name)(opt, **kw)
        for _ in range(5):
            opt.step()
            sched.step()
        saved = sched.state_dict()
        opt2 = _two_group_sgd(lib, momentum=0.9)
        opt2.load_state_dict(opt.state_dict())
        sched2 = getattr(S(lib), name)(opt2, **kw)
        sched2.load_state_dict(saved)
        seq = []
        for _ in range(8):
            opt.step()
            sched.step()
            opt2.step()
            sched2.step()
            seq.append(sched.get_last_lr() + sched2.get_last_lr())
        seqs.append(seq)
    np.testing.assert_allclose(seqs[1], seqs[0], rtol=1e-12)


@pytest.mark.parametrize("name,kw", [("StepLR", dict(step_size=2)), ("CosineAnnealingLR", dict(T_max=6)),
                                     ("ExponentialLR", dict(gamma=0.5)), ("LinearLR", {}), ("PolynomialLR", {}),
                                     ("MultiStepLR", dict(milestones=[3, 6])), ("ConstantLR", {})])
def test_scheduler_epoch_argument_closed_form(name, kw):
    def run(lib):
        opt = _two_group_sgd(lib)
        sched = getattr(S(lib), name)(opt, **kw)
        out = []
        for epoch in [1, 2, 5, 3, 7, 10]:
            opt.step()
            sched.step(epoch)
            out.append(sched.get_last_lr())
        return out
    (t, tw), (l, lw) = _both(run)
    np.testing.assert_allclose(l, t, rtol=1e-12)
    assert len(lw) == len(tw)


# ---------------------------------------------------------------------------------------------------
# utils.data
# ---------------------------------------------------------------------------------------------------
Point = collections.namedtuple("Point", "x y")


def _desc(x):
    """A library-neutral description of a (collated) structure: types, shapes, dtypes and values."""
    if hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, np.ndarray):
        return ("T", tuple(x.shape), str(x.dtype).split(".")[-1], np.asarray(x.tolist()).tolist())
    if isinstance(x, np.ndarray):
        return ("ndarray", x.dtype.str, x.tolist())
    if isinstance(x, collections.abc.Mapping):
        return (type(x).__name__, {k: _desc(v) for k, v in x.items()})
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, [_desc(v) for v in x])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_desc(v) for v in x])
    return (type(x).__name__, x)


def _same(fn):
    (t, tw), (l, lw) = _both(fn)
    if isinstance(t, type):
        assert l is t, f"torch raised {t.__name__}, tensorlite gave {l}"
    else:
        assert _desc(l) == _desc(t)
    assert len(lw) == len(tw), (tw, lw)


SAMPLES = {
    "tensors": lambda lib: [lib.tensor([1., 2.]), lib.tensor([3., 4.])],
    "int_tensors": lambda lib: [lib.tensor(1), lib.tensor(2)],
    "numpy": lambda lib: [np.array([1, 2], np.int32), np.array([3, 4], np.int32)],
    "numpy_scalars": lambda lib: [np.float32(1.0), np.float32(2.0)],
    "numpy_0d": lambda lib: [np.array(1.5), np.array(2.5)],
    "floats": lambda lib: [1.0, 2.0],
    "ints": lambda lib: [1, 2],
    "bools": lambda lib: [True, False],
    "int_then_float": lambda lib: [1, 2.5],
    "strings": lambda lib: ["a", "b"],
    "dicts": lambda lib: [{"a": 1, "b": lib.tensor([1.])}, {"a": 2, "b": lib.tensor([2.])}],
    "tuples_with_strings": lambda lib: [(1, 2.0, "x"), (3, 4.0, "y")],
    "lists": lambda lib: [[1, 2], [3, 4]],
    "namedtuples": lambda lib: [Point(1, 2.0), Point(3, 4.0)],
    "nested": lambda lib: [{"a": (1, [2.0, np.array([1.])])}, {"a": (3, [4.0, np.array([2.])])}],
    "ordered_dict": lambda lib: [collections.OrderedDict(a=1), collections.OrderedDict(a=2)],
    "ragged_lists": lambda lib: [[1, 2], [3]],
    "ragged_tensors": lambda lib: [lib.tensor([1., 2.]), lib.tensor([3.])],
    "numpy_strings": lambda lib: [np.array(["a"]), np.array(["b"])],
    "none": lambda lib: [None, None],
    "tensor_label_pairs": lambda lib: [(lib.tensor([1.]), 0), (lib.tensor([2.]), 1)],
}


@pytest.mark.parametrize("name", list(SAMPLES))
def test_default_collate_and_convert(name):
    _same(lambda lib: (TD if lib is torch else LD).default_collate(SAMPLES[name](lib)))
    _same(lambda lib: (TD if lib is torch else LD).default_convert(SAMPLES[name](lib)))


def D(lib):
    return TD if lib is torch else LD


X_DATA = np.arange(20, dtype=np.float32).reshape(10, 2)
Y_DATA = np.arange(10)


def _tds(lib):
    return D(lib).TensorDataset(lib.tensor(X_DATA), lib.tensor(Y_DATA))


def _iterable(lib, n, with_len=False):
    class Numbers(D(lib).IterableDataset):
        def __iter__(self):
            return iter(range(n))

    class Sized(Numbers):
        def __len__(self):
            return n

    return Sized() if with_len else Numbers()


def _load(lib, dataset=None, **kw):
    loader = D(lib).DataLoader(_tds(lib) if dataset is None else dataset, **kw)
    batches = list(loader)
    try:
        length = len(loader)
    except TypeError:
        length = "no len"
    return [length, len(batches)] + batches


@pytest.mark.parametrize("kw", [dict(), dict(batch_size=4), dict(batch_size=4, drop_last=True),
                                dict(batch_size=None), dict(batch_sampler=[[0, 1], [5, 2, 3]]),
                                dict(batch_size=None, batch_sampler=[[0, 1], [5, 2, 3]]),
                                dict(sampler=[9, 0, 4], batch_size=2), dict(batch_size=3, pin_memory=True),
                                dict(batch_size=4, num_workers=2), dict(batch_size=3, collate_fn=len)])
def test_dataloader_batches(kw):
    _same(lambda lib: _load(lib, **kw))


@pytest.mark.parametrize("n,kw", [(7, dict(batch_size=3)), (7, dict(batch_size=3, drop_last=True)),
                                  (3, dict(batch_size=None)), (7, dict(batch_size=3, num_workers=1))])
@pytest.mark.parametrize("with_len", [False, True])
def test_dataloader_iterable_dataset(n, kw, with_len):
    _same(lambda lib: _load(lib, _iterable(lib, n, with_len), **kw))


@pytest.mark.parametrize("kw", [dict(batch_size=None, drop_last=True),
                                dict(shuffle=True, sampler=[0, 1]),
                                dict(batch_size=2, batch_sampler=[[0, 1]]),
                                dict(shuffle=True, batch_sampler=[[0, 1]]),
                                dict(drop_last=True, batch_sampler=[[0, 1]]),
                                dict(sampler=[0], batch_sampler=[[0, 1]]),
                                dict(num_workers=-1), dict(prefetch_factor=2), dict(persistent_workers=True),
                                dict(timeout=-1), dict(batch_size=0)])
def test_dataloader_argument_errors(kw):
    _same_exception(lambda lib: D(lib).DataLoader(_tds(lib), **kw))


@pytest.mark.parametrize("kw", [dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])])
def test_dataloader_iterable_dataset_errors(kw):
    _same_exception(lambda lib: D(lib).DataLoader(_iterable(lib, 3), **kw))


def test_dataloader_attributes_and_shuffle():
    _same(lambda lib: (lambda ld: [ld.batch_size, ld.drop_last, type(ld.sampler).__name__,
                                   type(ld.batch_sampler).__name__, ld.num_workers, ld.collate_fn.__name__,
                                   ld.prefetch_factor, len(ld)])(D(lib).DataLoader(_tds(lib), batch_size=3)))
    _same(lambda lib: (lambda ld: [type(ld.sampler).__name__, ld.batch_sampler, ld.collate_fn.__name__])(
        D(lib).DataLoader(_tds(lib), batch_size=None)))
    _same_exception(lambda lib: setattr(D(lib).DataLoader(_tds(lib)), "batch_size", 3))
    for lib in LIBS:
        def order(seed):
            gen = lib.Generator().manual_seed(seed)
            loader = D(lib).DataLoader(_tds(lib), shuffle=True, batch_size=3, generator=gen)
            return [int(y) for _, ys in loader for y in ys]
        assert order(3) == order(3) and sorted(order(3)) == list(range(10))


@pytest.mark.parametrize("make", [
    lambda lib: _tds(lib)[3], lambda lib: len(_tds(lib)), lambda lib: _tds(lib)[2:4],
    lambda lib: D(lib).TensorDataset(lib.tensor(X_DATA), lib.tensor(Y_DATA[:5])),
    lambda lib: [len(D(lib).ConcatDataset([_tds(lib), _tds(lib)])), D(lib).ConcatDataset([_tds(lib), _tds(lib)])[12],
                 D(lib).ConcatDataset([_tds(lib), _tds(lib)])[-1],
                 D(lib).ConcatDataset([_tds(lib)] * 2).cumulative_sizes],
    lambda lib: D(lib).ConcatDataset([_tds(lib), _tds(lib)])[20],
    lambda lib: D(lib).ConcatDataset([_tds(lib), _tds(lib)])[-21],
    lambda lib: D(lib).ConcatDataset([]),
    lambda lib: len(_tds(lib) + _tds(lib)),
    lambda lib: [len(D(lib).Subset(_tds(lib), [3, 1])), D(lib).Subset(_tds(lib), [3, 1])[1]],
    lambda lib: D(lib).Subset(_tds(lib), [3, 1, 5]).__getitems__([0, 2]),
    lambda lib: D(lib).IterableDataset(),
    lambda lib: D(lib).Dataset()[0],
    lambda lib: [D(lib).StackDataset(_tds(lib), _tds(lib))[1], D(lib).StackDataset(a=_tds(lib), b=_tds(lib))[1]],
    lambda lib: list(D(lib).ChainDataset([_iterable(lib, 2), _iterable(lib, 3)])),
])
def test_datasets(make):
    _same(make)


def _split(lib, lengths, **kw):
    parts = D(lib).random_split(range(10), lengths, **kw)
    indices = sorted(i for p in parts for i in p)
    return [len(p) for p in parts] + [indices == list(range(10)), type(parts[0]).__name__]


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.33, 0.33, 0.34], [0.5, 0.5, 0.0], [0.25] * 4, [1.0],
                                     [0.1] * 10, [5, 5, 1], [0.5, 0.6], [-0.1, 1.1]])
def test_random_split_sizes_and_partition(lengths):
    _same(lambda lib: _split(lib, lengths))
    _same(lambda lib: _split(lib, lengths, generator=lib.Generator().manual_seed(1)))


@pytest.mark.parametrize("make", [
    lambda lib: [list(D(lib).SequentialSampler(range(5))), len(D(lib).SequentialSampler(range(5)))],
    lambda lib: [sorted(D(lib).RandomSampler(range(5))), len(D(lib).RandomSampler(range(5)))],
    lambda lib: [len(list(D(lib).RandomSampler(range(5), num_samples=12))),
                 sorted(D(lib).RandomSampler(range(5), num_samples=10)),
                 len(D(lib).RandomSampler(range(5), num_samples=12))],
    lambda lib: [len(list(D(lib).RandomSampler(range(5), replacement=True, num_samples=12))),
                 all(0 <= i < 5 for i in D(lib).RandomSampler(range(5), replacement=True))],
    lambda lib: [type(i).__name__ for i in D(lib).RandomSampler(range(3))],
    lambda lib: D(lib).RandomSampler(range(5), num_samples=0),
    lambda lib: D(lib).RandomSampler(range(5), replacement=1),
    lambda lib: D(lib).RandomSampler([]),
    lambda lib: [sorted(D(lib).SubsetRandomSampler([5, 7, 9])), len(D(lib).SubsetRandomSampler([5, 7, 9]))],
    lambda lib: [len(list(D(lib).WeightedRandomSampler([0.1, 0.9, 0.0], 5))),
                 all(i in (0, 1) for i in D(lib).WeightedRandomSampler([0.1, 0.9, 0.0], 50)),
                 len(D(lib).WeightedRandomSampler([1, 2], 7)),
                 type(next(iter(D(lib).WeightedRandomSampler([1, 2], 7)))).__name__],
    lambda lib: sorted(D(lib).WeightedRandomSampler([1, 1, 1], 3, replacement=False)),
    lambda lib: D(lib).WeightedRandomSampler([1, 1], 0),
    lambda lib: D(lib).WeightedRandomSampler([[1, 1]], 2),
    lambda lib: [list(D(lib).BatchSampler(range(7), 3, False)), list(D(lib).BatchSampler(range(7), 3, True)),
                 len(D(lib).BatchSampler(range(7), 3, False)), len(D(lib).BatchSampler(range(7), 3, True))],
    lambda lib: list(D(lib).BatchSampler(D(lib).SequentialSampler(range(7)), 3, False)),
    lambda lib: D(lib).BatchSampler(range(7), 0, False),
    lambda lib: D(lib).BatchSampler(range(7), 2, 1),
])
def test_samplers(make):
    _same(make)


@pytest.mark.parametrize("n", [10, 11, 3, 1])
@pytest.mark.parametrize("replicas", [1, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler(n, replicas, drop_last):
    shards = {}
    for lib in LIBS:
        for shuffle in (False, True):
            samplers = [D(lib).DistributedSampler(range(n), replicas, r, shuffle=shuffle, drop_last=drop_last)
                        for r in range(replicas)]
            shards[lib, shuffle] = [list(s) for s in samplers] + [[len(s) for s in samplers]]
    assert shards[tl, False] == shards[torch, False]  # no shuffle: the exact same shards
    # shuffled: the permutation's numbers differ, but the shard sizes and the coverage do not
    t, l = shards[torch, True], shards[tl, True]
    assert l[-1] == t[-1] and [len(s) for s in l[:-1]] == [len(s) for s in t[:-1]]
    flat = sum(l[:-1], [])
    assert set(flat) <= set(range(n)) and len(set(flat)) == min(n, len(flat))


def test_distributed_sampler_epochs_and_errors():
    sampler = LD.DistributedSampler(range(10), num_replicas=2, rank=1)
    first = list(sampler)
    sampler.set_epoch(1)
    assert list(sampler) != first
    sampler.set_epoch(0)
    assert list(sampler) == first
    for kw in (dict(num_replicas=2, rank=2), dict(num_replicas=2, rank=-1), dict(num_replicas=2)):
        _same_exception(lambda lib: D(lib).DistributedSampler(range(3), **kw))
    from tensorlite.utils.data.distributed import DistributedSampler
    assert DistributedSampler is LD.DistributedSampler


def test_data_exports_match_torch():
    skipped = {"DFIterDataPipe", "DataChunk", "IterDataPipe", "MapDataPipe", "_DatasetKind", "argument_validation",
               "functional_datapipe", "guaranteed_datapipes_determinism", "non_deterministic", "runtime_validation",
               "runtime_validation_disabled"}  # the datapipes API (deprecated in PyTorch) is not provided
    assert [n for n in TD.__all__ if n not in skipped and not hasattr(LD, n)] == []
    for name in ("swa_utils", "LBFGS", "ASGD", "Adafactor"):
        assert hasattr(tl.optim, name)
    assert sorted(S(tl).__all__) == sorted(S(torch).__all__)
