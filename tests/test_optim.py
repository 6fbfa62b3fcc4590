"""tl.optim against torch.optim: the same parameters and gradients give the same trajectory.

Every optimizer runs over a grid of its options for 100 steps on a deterministic loss
(sum of c*p^2/2 + sin(p), gradients from each library's own autograd) and on gradients fed from
a fixed random sequence; the parameters must agree with PyTorch's to rtol 1e-10. Also covered:
param groups with different lrs, parameters without a gradient, state dicts (format, round trip
mid-run), zero_grad, closures, hooks, float32, and PyTorch's argument errors.
"""
from __future__ import annotations

import copy

import numpy as np
import pytest

import tensorlite as tl

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-10, 1e-12
STEPS = 100
RNG = np.random.default_rng(1234)
SHAPES = [(3, 4), (5,), ()]
INIT = [RNG.uniform(-1.5, 1.5, size=s) for s in SHAPES]
CURV = [RNG.uniform(0.5, 2.0, size=s) for s in SHAPES]  # curvature of each quadratic term
FED_GRADS = [[RNG.standard_normal(s) for s in SHAPES] for _ in range(STEPS)]

# name -> option grid (each entry one optimizer configuration)
GRID = {
    "SGD": [dict(lr=0.05), dict(lr=0.05, momentum=0.9), dict(lr=0.05, momentum=0.9, dampening=0.3),
            dict(lr=0.05, momentum=0.9, nesterov=True), dict(lr=0.05, momentum=0.5, weight_decay=0.1),
            dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.05, maximize=True),
            dict(lr=0.05, weight_decay=0.2, maximize=True)],
    "Adam": [dict(lr=0.05), dict(lr=0.05, amsgrad=True), dict(lr=0.05, weight_decay=0.1),
             dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, amsgrad=True, weight_decay=0.05),
             dict(lr=0.05, maximize=True), dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
             dict(lr=0.05, amsgrad=True, maximize=True, weight_decay=0.01)],
    "AdamW": [dict(lr=0.05), dict(lr=0.05, amsgrad=True), dict(lr=0.05, weight_decay=0.2),
              dict(lr=0.05, weight_decay=0.1, amsgrad=True, maximize=True, betas=(0.85, 0.995))],
    "RMSprop": [dict(lr=0.01), dict(lr=0.01, centered=True), dict(lr=0.01, momentum=0.9),
                dict(lr=0.01, momentum=0.9, centered=True), dict(lr=0.003, weight_decay=0.1, alpha=0.9),
                dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.05, maximize=True, eps=1e-6)],
    "Adagrad": [dict(lr=0.1), dict(lr=0.1, lr_decay=0.01), dict(lr=0.1, weight_decay=0.1),
                dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-8),
                dict(lr=0.1, lr_decay=0.05, weight_decay=0.05, initial_accumulator_value=0.1, maximize=True)],
    "Adadelta": [dict(), dict(lr=0.5, rho=0.95), dict(lr=1.0, weight_decay=0.1),
                 dict(lr=2.0, rho=0.8, eps=1e-5, weight_decay=0.05, maximize=True)],
    "Adamax": [dict(lr=0.02), dict(lr=0.02, weight_decay=0.1), dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6),
               dict(lr=0.02, weight_decay=0.05, maximize=True)],
    "NAdam": [dict(lr=0.02), dict(lr=0.02, weight_decay=0.1), dict(lr=0.02, momentum_decay=0.01),
              dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True),
              dict(lr=0.02, betas=(0.85, 0.99), weight_decay=0.05, maximize=True)],
    "RAdam": [dict(lr=0.02), dict(lr=0.02, weight_decay=0.1), dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6),
              dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True),
              dict(lr=0.02, weight_decay=0.05, maximize=True)],
    "Rprop": [dict(lr=0.01), dict(lr=0.02, etas=(0.3, 1.5)), dict(lr=0.01, step_sizes=(1e-3, 0.05)),
              dict(lr=0.01, etas=(0.4, 1.1), step_sizes=(1e-4, 1.0), maximize=True)],
}
CASES = [(name, kw) for name, grid in GRID.items() for kw in grid]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for name, kw in CASES]


# -- helpers ----------------------------------------------------------------------------------------------
def _params(lib: str, dtype: str = "float64", init=INIT):
    if lib == "tl":
        return [tl.tensor(a, dtype=getattr(tl, dtype), requires_grad=True) for a in init]
    return [torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True) for a in init]


def _loss(lib: str, params, maximize: bool):
    """sum(c*p^2/2 + sin(p)) over all parameters; negated when maximizing (so both ascend toward 0)."""
    total = 0
    for p, c in zip(params, CURV):
        c = tl.tensor(c, dtype=p.dtype) if lib == "tl" else torch.tensor(c, dtype=p.dtype)
        total = total + (0.5 * c * p * p + p.sin()).sum()
    return -total if maximize else total


def _opt(lib: str, name: str, params, kw, groups=None):
    mod = tl.optim if lib == "tl" else torch.optim
    if lib == "torch" and name != "Adagrad":
        kw = dict(kw, foreach=False)  # PyTorch's reference single-tensor path (its CPU default anyway)
    if groups is not None:
        return getattr(mod, name)(groups(params), **kw)
    return getattr(mod, name)(params, **kw)


def _step(lib: str, opt, params, kw, step: int, fed: bool):
    opt.zero_grad()
    if fed:
        for p, g in zip(params, FED_GRADS[step]):
            p.grad = tl.tensor(g, dtype=p.dtype) if lib == "tl" else torch.tensor(g, dtype=p.dtype)
    else:
        _loss(lib, params, kw.get("maximize", False)).backward()
    opt.step()


def _values(params) -> list[np.ndarray]:
    return [np.array(p.detach().numpy(), copy=True) for p in params]


def _run(lib, name, kw, steps=STEPS, fed=False, groups=None, dtype="float64"):
    params = _params(lib, dtype)
    opt = _opt(lib, name, params, kw, groups)
    for i in range(steps):
        _step(lib, opt, params, kw, i, fed)
    return params, opt


def _assert_close(ours, theirs, rtol=RTOL, atol=ATOL):
    for a, b in zip(_values(ours), _values(theirs)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def _assert_state_close(opt_tl, opt_th, rtol=RTOL, atol=ATOL):
    sd_tl, sd_th = opt_tl.state_dict(), opt_th.state_dict()
    assert sorted(sd_tl["state"]) == sorted(sd_th["state"])
    for key, st in sd_th["state"].items():
        ours = sd_tl["state"][key]
        assert sorted(ours) == sorted(st)
        for k, v in st.items():
            if torch.is_tensor(v):
                assert ours[k].dtype.name == str(v.dtype).replace("torch.", ""), k
                np.testing.assert_allclose(ours[k].numpy(), v.numpy(), rtol=1e-6 if k == "mu_product" else rtol,
                                           atol=atol, err_msg=k)
            else:
                assert ours[k] == v, k


# -- trajectories ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
@pytest.mark.parametrize("fed", [False, True], ids=["loss", "fed"])
def test_trajectory_matches_torch(name, kw, fed):
    ours, opt_tl = _run("tl", name, kw, fed=fed)
    theirs, opt_th = _run("torch", name, kw, fed=fed)
    _assert_close(ours, theirs)
    _assert_state_close(opt_tl, opt_th)


def _two_groups(params):
    return [{"params": params[:1]}, {"params": params[1:], "lr": 0.003}]


@pytest.mark.parametrize("name", list(GRID))
def test_two_param_groups(name):
    kw = GRID[name][-1]
    ours, opt_tl = _run("tl", name, kw, groups=_two_groups)
    theirs, opt_th = _run("torch", name, kw, groups=_two_groups)
    _assert_close(ours, theirs)
    assert [g["lr"] for g in opt_tl.param_groups] == [g["lr"] for g in opt_th.param_groups]


@pytest.mark.parametrize("name", list(GRID))
def test_group_options_override_defaults(name):
    """A group may override any option, not only lr."""
    kw = GRID[name][0]
    extra = {"SGD": {"momentum": 0.7}, "Adam": {"amsgrad": True}, "AdamW": {"weight_decay": 0.3},
             "RMSprop": {"centered": True}, "Adagrad": {"lr_decay": 0.1}, "Adadelta": {"rho": 0.5},
             "Adamax": {"betas": (0.7, 0.9)}, "NAdam": {"momentum_decay": 0.02},
             "RAdam": {"weight_decay": 0.2}, "Rprop": {"etas": (0.2, 1.3)}}[name]

    def groups(params):
        return [{"params": params[:2], **extra}, {"params": params[2:]}]

    ours, _ = _run("tl", name, kw, steps=30, groups=groups)
    theirs, _ = _run("torch", name, kw, steps=30, groups=groups)
    _assert_close(ours, theirs)


@pytest.mark.parametrize("name", list(GRID))
def test_float32_parameters(name):
    kw = GRID[name][-1]
    ours, opt_tl = _run("tl", name, kw, steps=30, dtype="float32")
    theirs, _ = _run("torch", name, kw, steps=30, dtype="float32")
    for p in ours:
        assert p.dtype == tl.float32
    for st in opt_tl.state.values():
        for k, v in st.items():
            if isinstance(v, tl.Tensor) and k not in ("step", "mu_product"):
                assert v.dtype == tl.float32
    _assert_close(ours, theirs, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("name", list(GRID))
def test_parameter_without_grad_is_skipped(name):
    kw = GRID[name][0]
    results = {}
    for lib in ("tl", "torch"):
        params = _params(lib)
        opt = _opt(lib, name, params, kw)
        for i in range(10):
            opt.zero_grad()
            for p, g in zip(params[:2], FED_GRADS[i]):
                p.grad = tl.tensor(g) if lib == "tl" else torch.tensor(g)
            opt.step()
        results[lib] = (params, opt)
    (ours, opt_tl), (theirs, opt_th) = results["tl"], results["torch"]
    np.testing.assert_array_equal(ours[2].detach().numpy(), INIT[2])
    _assert_close(ours, theirs)
    # no state for the skipped parameter (Adagrad creates all state eagerly, in both libraries)
    assert (ours[2] in opt_tl.state) == (theirs[2] in opt_th.state)


# -- state dicts ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_state_dict_round_trip_mid_run(name, kw):
    """Save at step 50, load into a fresh optimizer over fresh parameters, continue: as uninterrupted."""
    finals = {}
    for lib in ("tl", "torch"):
        params = _params(lib)
        opt = _opt(lib, name, params, kw)
        for i in range(50):
            _step(lib, opt, params, kw, i, fed=True)
        saved = copy.deepcopy(opt.state_dict())
        params2 = _params(lib, init=_values(params))
        opt2 = _opt(lib, name, params2, kw)
        opt2.load_state_dict(saved)
        for i in range(50, STEPS):
            _step(lib, opt2, params2, kw, i, fed=True)
        finals[lib] = params2
    _assert_close(finals["tl"], finals["torch"])
    uninterrupted, _ = _run("tl", name, kw, fed=True)
    # NAdam's float32 mu_product is cast to the parameter dtype on load (as in PyTorch): not bit-identical
    _assert_close(finals["tl"], uninterrupted, rtol=1e-6 if name == "NAdam" else 0, atol=1e-9 if name == "NAdam" else 0)


@pytest.mark.parametrize("name", list(GRID))
def test_state_dict_format_matches_torch(name):
    kw = GRID[name][-1]
    _, opt_tl = _run("tl", name, kw, steps=3, groups=_two_groups)
    _, opt_th = _run("torch", name, kw, steps=3, groups=_two_groups)
    sd_tl, sd_th = opt_tl.state_dict(), opt_th.state_dict()
    assert set(sd_tl) == {"state", "param_groups"}
    assert len(sd_tl["param_groups"]) == len(sd_th["param_groups"])
    for g_tl, g_th in zip(sd_tl["param_groups"], sd_th["param_groups"]):
        g_th = dict(g_th, foreach=None)  # the torch side was built with foreach=False
        assert g_tl == g_th  # every option, and "params" as the same integer ids
    _assert_state_close(opt_tl, opt_th)
    if name != "SGD":  # SGD keeps no step counter; the others keep a 0-d tensor
        step = sd_tl["state"][0]["step"]
        assert isinstance(step, tl.Tensor) and step.ndim == 0 and step.item() == 3.0


def test_load_state_dict_validates_and_casts():
    p = _params("tl")
    opt = tl.optim.Adam(p, lr=0.1)
    for i in range(3):
        _step("tl", opt, p, {}, i, fed=True)
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        tl.optim.Adam([{"params": p[:1]}, {"params": p[1:]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size"):
        tl.optim.Adam(p[:2]).load_state_dict(sd)
    p32 = _params("tl", "float32")
    opt32 = tl.optim.Adam(p32, lr=0.5)
    opt32.load_state_dict(sd)
    assert opt32.param_groups[0]["lr"] == 0.1  # options come from the saved groups
    assert opt32.param_groups[0]["params"][0] is p32[0]
    st = opt32.state[p32[0]]
    assert st["exp_avg"].dtype == tl.float32  # cast to the parameter's dtype, like PyTorch
    assert st["step"].dtype == sd["state"][0]["step"].dtype  # step keeps its own dtype


def test_state_dict_keys_are_parameter_indices():
    p = _params("tl")
    opt = tl.optim.SGD([{"params": [p[2], p[0]]}, {"params": [p[1]], "lr": 0.5}], lr=0.1, momentum=0.9)
    for q in p:
        q.grad = tl.ones_like(q)
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert set(sd["state"]) == {0, 1, 2}
    np.testing.assert_array_equal(sd["state"][0]["momentum_buffer"].numpy(), np.ones(()))


# -- zero_grad, closures, hooks ---------------------------------------------------------------------------
def test_zero_grad_semantics():
    p = _params("tl")
    opt = tl.optim.SGD(p, lr=0.1)
    _loss("tl", p, False).backward()
    grads = [q.grad for q in p]
    opt.zero_grad(set_to_none=False)
    for q, g in zip(p, grads):
        assert q.grad is g  # zeroed in place
        assert not q.grad.requires_grad
        np.testing.assert_array_equal(q.grad.numpy(), 0)
    opt.zero_grad()
    assert all(q.grad is None for q in p)
    opt.zero_grad()  # nothing to do: no error


def test_zero_grad_detaches_graph_grads():
    p = tl.tensor([1.0, 2.0], dtype=tl.float64, requires_grad=True)
    (p * p).sum().backward(create_graph=True)
    assert p.grad.grad_fn is not None
    tl.optim.SGD([p], lr=0.1).zero_grad(set_to_none=False)
    assert p.grad.grad_fn is None and not p.grad.requires_grad
    np.testing.assert_array_equal(p.grad.numpy(), [0.0, 0.0])


def test_step_with_closure_returns_loss_and_records_grad():
    p = _params("tl")
    opt = tl.optim.SGD(p, lr=0.1)
    calls = []

    def closure():
        calls.append(tl.is_grad_enabled())
        opt.zero_grad()
        loss = _loss("tl", p, False)
        loss.backward()
        return loss

    with tl.no_grad():
        loss = opt.step(closure)
    assert calls == [True]  # the closure runs with grad mode on even inside no_grad
    assert isinstance(loss, tl.Tensor)
    theirs = _params("torch")
    topt = torch.optim.SGD(theirs, lr=0.1)

    def tclosure():
        topt.zero_grad()
        loss = _loss("torch", theirs, False)
        loss.backward()
        return loss

    assert loss.item() == pytest.approx(topt.step(tclosure).item(), rel=1e-12)
    _assert_close(p, theirs)
    assert opt.step() is None


def test_update_is_in_place_and_not_recorded():
    p = tl.tensor([1.0, 2.0], dtype=tl.float64, requires_grad=True)
    data, version = p._data, p._version
    opt = tl.optim.Adam([p], lr=0.1)
    p.grad = tl.tensor([0.5, -0.5], dtype=tl.float64)
    opt.step()
    assert p._data is data and p._version > version  # the same buffer, version bumped
    assert p.is_leaf and p.grad_fn is None and p.requires_grad


def test_step_hooks():
    p = _params("tl")
    opt = tl.optim.SGD(p, lr=0.1)
    seen = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: seen.append(("pre", o is opt)))
    post = opt.register_step_post_hook(lambda o, args, kwargs: seen.append(("post", o is opt)))
    glob = tl.optim.register_optimizer_step_pre_hook(lambda o, args, kwargs: seen.append(("global", o is opt)))
    try:
        opt.step()
        assert seen == [("global", True), ("pre", True), ("post", True)]
        pre.remove(), post.remove()
    finally:
        glob.remove()
    seen.clear()
    opt.step()
    assert seen == []


def test_state_dict_hooks():
    p = _params("tl")
    opt = tl.optim.SGD(p, lr=0.1)
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    assert opt.state_dict()["extra"] == 1
    loaded = []
    opt.register_load_state_dict_post_hook(lambda o: loaded.append(o))
    opt.load_state_dict({"state": {}, "param_groups": opt.state_dict()["param_groups"]})
    assert loaded == [opt]


# -- param groups and errors ------------------------------------------------------------------------------
def test_param_groups_defaults_filled_like_torch():
    for name in GRID:
        ours = getattr(tl.optim, name)(_params("tl"), **GRID[name][0])
        theirs = getattr(torch.optim, name)(_params("torch"), **GRID[name][0])
        g_tl, g_th = ours.param_groups[0], theirs.param_groups[0]
        assert set(g_tl) == set(g_th), name
        assert {k: v for k, v in g_tl.items() if k != "params"} == {k: v for k, v in g_th.items() if k != "params"}
        assert ours.defaults == theirs.defaults


def test_add_param_group():
    p = _params("tl")
    opt = tl.optim.SGD(p[:2], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": p[2], "lr": 0.01})
    assert len(opt.param_groups) == 2
    assert opt.param_groups[1]["params"] == [p[2]] and opt.param_groups[1]["momentum"] == 0.9
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [p[0]]})
    with pytest.raises(TypeError, match="must be a dict"):
        opt.add_param_group([p[0]])
    with pytest.raises(TypeError, match="ordered collections"):
        opt.add_param_group({"params": {tl.zeros(2, requires_grad=True)}})


def test_parameter_and_named_parameters_accepted():
    w = tl.Parameter(tl.ones(3))
    opt = tl.optim.SGD([("w", w)], lr=0.5)
    assert opt.param_groups[0]["param_names"] == ["w"]
    w.grad = tl.ones(3)
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), 0.5)
    params = (q for q in [tl.Parameter(tl.ones(2))])  # any iterable, e.g. a generator
    assert len(tl.optim.Adam(params).param_groups[0]["params"]) == 1


def test_required_lr_in_group():
    class Plain(tl.optim.Optimizer):
        def __init__(self, params, lr=tl.optim.optimizer.required):
            super().__init__(params, {"lr": lr})

        def step(self, closure=None):
            return None

    with pytest.raises(ValueError, match="required optimization parameter lr"):
        Plain(_params("tl"))
    assert Plain([{"params": _params("tl"), "lr": 0.1}]).param_groups[0]["lr"] == 0.1


INVALID = [
    ("SGD", dict(lr=-1), "Invalid learning rate: -1"),
    ("SGD", dict(lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
    ("SGD", dict(lr=0.1, weight_decay=-1e-3), "Invalid weight_decay value: -0.001"),
    ("SGD", dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
    ("Adam", dict(lr=-0.1), "Invalid learning rate: -0.1"),
    ("Adam", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("Adam", dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    ("Adam", dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    ("AdamW", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("RMSprop", dict(alpha=-0.1), "Invalid alpha value: -0.1"),
    ("RMSprop", dict(momentum=-0.1), "Invalid momentum value: -0.1"),
    ("Adagrad", dict(lr_decay=-0.1), "Invalid lr_decay value: -0.1"),
    ("Adagrad", dict(initial_accumulator_value=-1.0), "Invalid initial_accumulator_value value: -1.0"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("Adamax", dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    ("NAdam", dict(momentum_decay=-1.0), "Invalid momentum_decay value: -1.0"),
    ("RAdam", dict(betas=(-0.1, 0.9)), "Invalid beta parameter at index 0: -0.1"),
    ("Rprop", dict(etas=(0.5, 0.9)), "Invalid eta values: 0.5, 0.9"),
]


@pytest.mark.parametrize("name,kw,message", INVALID, ids=[f"{n}-{m[:30]}" for n, _, m in INVALID])
def test_invalid_arguments_like_torch(name, kw, message):
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)(_params("torch"), **kw)
    with pytest.raises(ValueError) as ours:
        getattr(tl.optim, name)(_params("tl"), **kw)
    assert message in str(ours.value)
    assert str(ours.value) == str(theirs.value)


def test_invalid_params_argument():
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        tl.optim.SGD(tl.zeros(2, requires_grad=True), lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        tl.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        tl.optim.SGD([1.0], lr=0.1)
    x = tl.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        tl.optim.SGD([x * 2], lr=0.1)


def test_repr_lists_groups():
    opt = tl.optim.SGD(_params("tl"), lr=0.1)
    text = repr(opt)
    assert text.startswith("SGD (") and "Parameter Group 0" in text and "lr: 0.1" in text


def test_tensor_lr():
    ours = _params("tl")
    theirs = _params("torch")
    opt_tl = tl.optim.SGD(ours, lr=tl.tensor(0.05), momentum=0.9)
    opt_th = torch.optim.SGD(theirs, lr=torch.tensor(0.05), momentum=0.9, foreach=False)
    for i in range(10):
        _step("tl", opt_tl, ours, {}, i, fed=True)
        _step("torch", opt_th, theirs, {}, i, fed=True)
    _assert_close(ours, theirs, rtol=1e-6)  # float32 lr tensor on both sides
