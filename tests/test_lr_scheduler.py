"""tl.optim.lr_scheduler against torch.optim.lr_scheduler: the same lr (and momentum) sequences.

Every scheduler runs 120+ steps on an optimizer with two param groups (different base lrs);
the lrs after each step must equal PyTorch's (the same Python float arithmetic, so to 1e-13).
Also: a state dict saved mid-run and loaded into a fresh scheduler continues identically,
SequentialLR / ChainedScheduler compositions, ReduceLROnPlateau fed one metric sequence,
step(epoch) closed forms, and PyTorch's warnings and argument errors.
"""
from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pytest

import tensorlite as tl

torch = pytest.importorskip("torch")

STEPS = 120
LRS = (0.1, 0.05)


def _optimizer(lib: str, kind: str = "SGD"):
    """An optimizer over two groups with different lrs (momentum-capable, for cycle_momentum)."""
    mod = tl if lib == "tl" else torch
    groups = [{"params": [mod.zeros(2, requires_grad=True)], "lr": LRS[0]},
              {"params": [mod.zeros(3, requires_grad=True)], "lr": LRS[1]}]
    if kind == "Adam":
        return mod.optim.Adam(groups, lr=0.1)
    return mod.optim.SGD(groups, lr=0.1, momentum=0.9)


def _sched_module(lib: str):
    return tl.optim.lr_scheduler if lib == "tl" else torch.optim.lr_scheduler


# name, kwargs (callables receive the optimizer's library), optimizer kind
CASES = [
    ("StepLR", dict(step_size=7), "SGD"),
    ("StepLR", dict(step_size=10, gamma=0.5), "SGD"),
    ("MultiStepLR", dict(milestones=[10, 25, 25, 60], gamma=0.3), "SGD"),
    ("ExponentialLR", dict(gamma=0.97), "SGD"),
    ("CosineAnnealingLR", dict(T_max=30), "SGD"),
    ("CosineAnnealingLR", dict(T_max=17, eta_min=0.001), "SGD"),
    ("CosineAnnealingWarmRestarts", dict(T_0=10), "SGD"),
    ("CosineAnnealingWarmRestarts", dict(T_0=5, T_mult=2, eta_min=1e-3), "SGD"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=10), "SGD"),
    ("CyclicLR", dict(base_lr=[0.01, 0.02], max_lr=[0.1, 0.3], step_size_up=7, step_size_down=13,
                      mode="triangular2"), "SGD"),
    ("CyclicLR", dict(base_lr=0.001, max_lr=0.1, step_size_up=9, mode="exp_range", gamma=0.99), "SGD"),
    ("CyclicLR", dict(base_lr=0.001, max_lr=0.1, step_size_up=5, base_momentum=0.8, max_momentum=0.95), "Adam"),
    ("CyclicLR", dict(base_lr=0.001, max_lr=0.1, step_size_up=5, cycle_momentum=False), "Adam"),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=STEPS), "SGD"),
    ("OneCycleLR", dict(max_lr=[0.5, 1.0], epochs=12, steps_per_epoch=10, anneal_strategy="linear",
                        pct_start=0.25), "SGD"),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=STEPS, three_phase=True, div_factor=10.0,
                        final_div_factor=100.0), "Adam"),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=STEPS, cycle_momentum=False), "SGD"),
    ("LinearLR", dict(), "SGD"),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.9, total_iters=40), "SGD"),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.0, total_iters=100), "SGD"),
    ("ConstantLR", dict(), "SGD"),
    ("ConstantLR", dict(factor=0.25, total_iters=30), "SGD"),
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95 ** e), "SGD"),
    ("LambdaLR", dict(lr_lambda=[lambda e: 1 / (1 + e), lambda e: 0.5 + 0.5 * math.cos(e / 10)]), "SGD"),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.98 if e % 3 else 1.01), "SGD"),
    ("PolynomialLR", dict(), "SGD"),
    ("PolynomialLR", dict(total_iters=80, power=2.0), "SGD"),
    ("PolynomialLR", dict(total_iters=50, power=0.5), "SGD"),
]
IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(CASES)]


def _momenta(opt) -> list:
    out = []
    for g in opt.param_groups:
        out.append(g["betas"][0] if "betas" in g else g.get("momentum"))
    return out


def _trajectory(lib: str, name: str, kw: dict, kind: str, steps: int = STEPS, resume_at: int | None = None):
    """(lrs, momenta) after construction and after each of `steps` steps; with `resume_at`, the
    scheduler and optimizer are rebuilt from state dicts saved at that step."""
    opt = _optimizer(lib, kind)
    sched = getattr(_sched_module(lib), name)(opt, **kw)
    lrs, moms = [list(sched.get_last_lr())], [_momenta(opt)]
    for i in range(steps):
        if resume_at is not None and i == resume_at:
            saved_sched = copy.deepcopy(sched.state_dict())
            saved_opt = copy.deepcopy(opt.state_dict())
            opt = _optimizer(lib, kind)
            sched = getattr(_sched_module(lib), name)(opt, **kw)
            sched.load_state_dict(saved_sched)
            opt.load_state_dict(saved_opt)
        opt.step()
        sched.step()
        lrs.append(list(sched.get_last_lr()))
        assert lrs[-1] == [g["lr"] for g in opt.param_groups]
        moms.append(_momenta(opt))
    return lrs, moms


def _assert_same(ours, theirs, rel=1e-13):
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a == pytest.approx(b, rel=rel, abs=1e-15), f"step {i}: {a} != {b}"


@pytest.mark.parametrize("name,kw,kind", CASES, ids=IDS)
def test_lr_sequence_matches_torch(name, kw, kind):
    lrs_tl, moms_tl = _trajectory("tl", name, kw, kind)
    lrs_th, moms_th = _trajectory("torch", name, kw, kind)
    _assert_same(lrs_tl, lrs_th)
    _assert_same(moms_tl, moms_th)


@pytest.mark.parametrize("name,kw,kind", CASES, ids=IDS)
def test_state_dict_mid_run_continues_identically(name, kw, kind):
    uninterrupted, moms = _trajectory("tl", name, kw, kind)
    resumed, moms_resumed = _trajectory("tl", name, kw, kind, resume_at=STEPS // 2)
    theirs, _ = _trajectory("torch", name, kw, kind, resume_at=STEPS // 2)
    _assert_same(resumed, uninterrupted, rel=0)
    _assert_same(moms_resumed, moms, rel=0)
    _assert_same(resumed, theirs)


@pytest.mark.parametrize("name,kw,kind", CASES, ids=IDS)
def test_state_dict_keys_match_torch(name, kw, kind):
    ours = getattr(tl.optim.lr_scheduler, name)(_optimizer("tl", kind), **kw)
    theirs = getattr(torch.optim.lr_scheduler, name)(_optimizer("torch", kind), **kw)
    sd_tl, sd_th = ours.state_dict(), theirs.state_dict()
    assert set(sd_tl) == set(sd_th)
    for key in ("last_epoch", "base_lrs", "_last_lr", "_step_count"):
        if key in sd_th:
            assert sd_tl[key] == pytest.approx(sd_th[key], rel=1e-13)


def test_initial_lr_in_groups():
    opt = _optimizer("tl")
    tl.optim.lr_scheduler.StepLR(opt, 5)
    assert [g["initial_lr"] for g in opt.param_groups] == list(LRS)
    with pytest.raises(KeyError, match="initial_lr"):
        tl.optim.lr_scheduler.StepLR(_optimizer("tl"), 5, last_epoch=3)


def test_resume_with_last_epoch_matches_torch():
    """last_epoch >= 0 resumes a schedule (CosineAnnealingLR starts from its closed form)."""
    for name, kw in [("CosineAnnealingLR", dict(T_max=20)), ("StepLR", dict(step_size=4)),
                     ("ExponentialLR", dict(gamma=0.9))]:
        seqs = {}
        for lib in ("tl", "torch"):
            opt = _optimizer(lib)
            for g in opt.param_groups:
                g["initial_lr"] = g["lr"]
            sched = getattr(_sched_module(lib), name)(opt, last_epoch=7, **kw)
            seq = [list(sched.get_last_lr())]
            for _ in range(30):
                opt.step()
                sched.step()
                seq.append(list(sched.get_last_lr()))
            seqs[lib] = seq
        _assert_same(seqs["tl"], seqs["torch"])


# -- compositions -----------------------------------------------------------------------------------------
def _compose(lib: str, which: str):
    opt = _optimizer(lib)
    m = _sched_module(lib)
    if which == "warmup-cosine":
        s = m.SequentialLR(opt, [m.LinearLR(opt, start_factor=0.1, total_iters=10), m.CosineAnnealingLR(opt, 50)],
                           milestones=[10])
    elif which == "three-phase":
        s = m.SequentialLR(opt, [m.ConstantLR(opt, factor=0.5, total_iters=5), m.ExponentialLR(opt, 0.95),
                                 m.StepLR(opt, 8, 0.5)], milestones=[5, 30])
    elif which == "chained":
        s = m.ChainedScheduler([m.ConstantLR(opt, factor=0.2, total_iters=8), m.ExponentialLR(opt, gamma=0.97)])
    elif which == "chained-step-multistep":
        s = m.ChainedScheduler([m.StepLR(opt, 10, 0.7), m.MultiStepLR(opt, [15, 40], 0.5),
                                m.LinearLR(opt, 0.5, total_iters=20)], optimizer=opt)
    else:  # a SequentialLR nested in a ChainedScheduler
        inner = m.SequentialLR(opt, [m.LinearLR(opt, 0.2, total_iters=6), m.ExponentialLR(opt, 0.98)], [6])
        s = m.ChainedScheduler([inner, m.MultiplicativeLR(opt, lambda e: 0.995)])
    return opt, s


COMPOSITIONS = ["warmup-cosine", "three-phase", "chained", "chained-step-multistep", "nested"]


@pytest.mark.parametrize("which", COMPOSITIONS)
def test_compositions_match_torch(which):
    seqs = {}
    for lib in ("tl", "torch"):
        opt, s = _compose(lib, which)
        seq = [list(s.get_last_lr())]
        for _ in range(STEPS):
            opt.step()
            s.step()
            seq.append(list(s.get_last_lr()))
        seqs[lib] = seq
    _assert_same(seqs["tl"], seqs["torch"])


@pytest.mark.parametrize("which", COMPOSITIONS)
def test_composition_state_dict_round_trip(which):
    seqs = {}
    for resume in (False, True):
        opt, s = _compose("tl", which)
        seq = []
        for i in range(STEPS):
            if resume and i == 40:
                saved, saved_opt = copy.deepcopy(s.state_dict()), copy.deepcopy(opt.state_dict())
                opt, s = _compose("tl", which)
                s.load_state_dict(saved)
                opt.load_state_dict(saved_opt)
            opt.step()
            s.step()
            seq.append(list(s.get_last_lr()))
        seqs[resume] = seq
    _assert_same(seqs[True], seqs[False], rel=0)


def test_composition_errors():
    m = tl.optim.lr_scheduler
    opt, other = _optimizer("tl"), _optimizer("tl")
    with pytest.raises(ValueError, match="at least one scheduler"):
        m.SequentialLR(opt, [], milestones=[])
    with pytest.raises(ValueError, match="one more than the number of milestone"):
        m.SequentialLR(opt, [m.StepLR(opt, 3), m.StepLR(opt, 3)], milestones=[])
    with pytest.raises(ValueError, match="same optimizer"):
        m.SequentialLR(opt, [m.StepLR(opt, 3), m.StepLR(other, 3)], milestones=[2])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        m.ChainedScheduler([m.ReduceLROnPlateau(opt)])
    with pytest.raises(TypeError, match="should have `optimizer`"):
        m.ChainedScheduler([object()], optimizer=opt)


# -- ReduceLROnPlateau ------------------------------------------------------------------------------------
def _metrics(n: int = 150) -> list[float]:
    """Decreasing with noise and long plateaus, then rising: exercises improvements, patience, cooldown."""
    rng = np.random.default_rng(7)
    base = np.concatenate([np.linspace(1.0, 0.5, 30), np.full(40, 0.5), np.linspace(0.5, 0.3, 20),
                           np.full(30, 0.3), np.linspace(0.3, 0.6, n - 120)])
    return list(base + rng.normal(0, 0.002, size=n))


PLATEAU = [dict(), dict(patience=3), dict(mode="max", patience=2, factor=0.5),
           dict(patience=2, threshold=0.01, threshold_mode="abs", cooldown=3),
           dict(mode="max", threshold_mode="abs", threshold=0.001, patience=4, cooldown=1),
           dict(patience=1, factor=0.5, min_lr=[0.01, 0.02]), dict(patience=0, factor=0.9, min_lr=0.004, eps=1e-3)]


@pytest.mark.parametrize("kw", PLATEAU, ids=[str(i) for i in range(len(PLATEAU))])
def test_reduce_lr_on_plateau_matches_torch(kw):
    seqs = {}
    for lib in ("tl", "torch"):
        opt = _optimizer(lib)
        s = _sched_module(lib).ReduceLROnPlateau(opt, **kw)
        seq = [(list(s.get_last_lr()), s.num_bad_epochs, s.cooldown_counter, s.best)]
        for i, metric in enumerate(_metrics()):
            if i == 75:  # round trip mid-run
                saved = copy.deepcopy(s.state_dict())
                s = _sched_module(lib).ReduceLROnPlateau(opt, **kw)
                s.load_state_dict(saved)
            opt.step()
            s.step(metric if i % 2 else (tl.tensor(metric) if lib == "tl" else torch.tensor(metric)))
            seq.append((list(s.get_last_lr()), s.num_bad_epochs, s.cooldown_counter, s.best))
        seqs[lib] = seq
    ours, theirs = seqs["tl"], seqs["torch"]
    assert [x[1:3] for x in ours] == [x[1:3] for x in theirs]
    _assert_same([x[0] for x in ours], [x[0] for x in theirs])
    assert [x[3] for x in ours] == pytest.approx([x[3] for x in theirs], rel=1e-6)  # tensor metrics are float32


def test_reduce_lr_on_plateau_errors_and_state():
    m = tl.optim.lr_scheduler
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        m.ReduceLROnPlateau(_optimizer("tl"), factor=1.0)
    with pytest.raises(ValueError, match="mode bad is unknown"):
        m.ReduceLROnPlateau(_optimizer("tl"), mode="bad")
    with pytest.raises(ValueError, match="threshold mode bad is unknown"):
        m.ReduceLROnPlateau(_optimizer("tl"), threshold_mode="bad")
    with pytest.raises(ValueError, match="expected 2 min_lrs"):
        m.ReduceLROnPlateau(_optimizer("tl"), min_lr=[0.1])
    ours = m.ReduceLROnPlateau(_optimizer("tl"))
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(_optimizer("torch"))
    assert ours.state_dict() == theirs.state_dict()


# -- step(epoch), warnings, errors ------------------------------------------------------------------------
@pytest.mark.parametrize("name,kw", [("StepLR", dict(step_size=3)), ("MultiStepLR", dict(milestones=[2, 5, 5])),
                                     ("ExponentialLR", dict(gamma=0.9)), ("CosineAnnealingLR", dict(T_max=10)),
                                     ("LinearLR", dict(total_iters=6)), ("ConstantLR", dict(total_iters=4)),
                                     ("PolynomialLR", dict(total_iters=8, power=2.0)),
                                     ("LambdaLR", dict(lr_lambda=lambda e: 1 / (e + 1)))])
def test_step_with_epoch_uses_closed_form(name, kw):
    epochs = [3, 7, 1, 12, 0, 5]
    seqs = {}
    for lib in ("tl", "torch"):
        opt = _optimizer(lib)
        s = getattr(_sched_module(lib), name)(opt, **kw)
        seq = []
        for e in epochs:
            opt.step()
            with pytest.warns(UserWarning, match="epoch parameter"):
                s.step(e)
            seq.append(list(s.get_last_lr()))
        seqs[lib] = seq
    _assert_same(seqs["tl"], seqs["torch"])


def test_warm_restarts_fractional_epochs():
    epochs = [i + j / 5 for i in range(30) for j in range(5)]
    for kw in (dict(T_0=4), dict(T_0=3, T_mult=2, eta_min=0.01)):
        seqs = {}
        for lib in ("tl", "torch"):
            opt = _optimizer(lib)
            s = _sched_module(lib).CosineAnnealingWarmRestarts(opt, **kw)
            seq = []
            for e in epochs:
                opt.step()
                s.step(e)
                seq.append((list(s.get_last_lr()), s.T_i, s.T_cur, s.last_epoch))
            seqs[lib] = seq
        for ours, theirs in zip(seqs["tl"], seqs["torch"]):
            assert ours[1:] == pytest.approx(theirs[1:], rel=1e-13)
        _assert_same([x[0] for x in seqs["tl"]], [x[0] for x in seqs["torch"]])
    with pytest.raises(ValueError, match="non-negative epoch"):
        tl.optim.lr_scheduler.CosineAnnealingWarmRestarts(_optimizer("tl"), T_0=3).step(-1)


def test_warning_when_scheduler_steps_before_optimizer():
    opt = _optimizer("tl")
    s = tl.optim.lr_scheduler.StepLR(opt, 3)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        s.step()
    opt = _optimizer("tl")
    s = tl.optim.lr_scheduler.StepLR(opt, 3)
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()
        s.get_last_lr()
    with pytest.warns(UserWarning, match="get_last_lr"):
        s.get_lr()


def test_one_cycle_past_total_steps_raises():
    opt = _optimizer("tl")
    s = tl.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=5)
    for _ in range(5):
        opt.step()
        s.step()
    with pytest.raises(ValueError, match="Tried to step 6 times"):
        s.step()


INVALID = [
    ("OneCycleLR", dict(max_lr=0.1), "You must define either total_steps"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=0), "Expected positive integer total_steps"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, pct_start=1.5), "pct_start"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, anneal_strategy="exp"), "anneal_strategy"),
    ("OneCycleLR", dict(max_lr=[0.1, 0.2, 0.3], total_steps=10), "max_lr must have the same length"),
    ("CyclicLR", dict(base_lr=0.1, max_lr=1.0, mode="bad"), "mode is invalid"),
    ("CosineAnnealingWarmRestarts", dict(T_0=0), "Expected positive integer T_0"),
    ("CosineAnnealingWarmRestarts", dict(T_0=2, T_mult=0), "Expected integer T_mult >= 1"),
    ("ConstantLR", dict(factor=1.5), "between 0 and 1"),
    ("LinearLR", dict(start_factor=0.0), "greater than 0"),
    ("LinearLR", dict(end_factor=2.0), "between 0 and 1"),
    ("LambdaLR", dict(lr_lambda=[lambda e: 1.0]), "Expected 2 lr_lambdas, but got 1"),
]


@pytest.mark.parametrize("name,kw,message", INVALID, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(INVALID)])
def test_invalid_arguments_like_torch(name, kw, message):
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim.lr_scheduler, name)(_optimizer("torch"), **kw)
    with pytest.raises(ValueError, match=message) as ours:
        getattr(tl.optim.lr_scheduler, name)(_optimizer("tl"), **kw)
    assert str(ours.value) == str(theirs.value)


def test_not_an_optimizer():
    with pytest.raises(TypeError, match="is not an Optimizer"):
        tl.optim.lr_scheduler.StepLR(object(), 3)


def test_cycle_momentum_needs_momentum():
    p = [tl.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError, match="momentum or beta1"):
        tl.optim.lr_scheduler.CyclicLR(tl.optim.Adagrad(p), 0.01, 0.1)


def test_lambda_state_dict_keeps_callable_objects():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate ** epoch

    opt = _optimizer("tl")
    s = tl.optim.lr_scheduler.LambdaLR(opt, [Decay(0.9), lambda e: 1.0])
    sd = s.state_dict()
    assert sd["lr_lambdas"] == [{"rate": 0.9}, None]
    fresh = tl.optim.lr_scheduler.LambdaLR(_optimizer("tl"), [Decay(0.5), lambda e: 1.0])
    fresh.load_state_dict(sd)
    assert fresh.lr_lambdas[0].rate == 0.9


def test_tensor_lr_filled_in_place():
    p = [tl.zeros(2, requires_grad=True)]
    lr = tl.tensor(0.1)
    opt = tl.optim.SGD(p, lr=lr)
    s = tl.optim.lr_scheduler.ExponentialLR(opt, 0.5)
    opt.step()
    s.step()
    assert opt.param_groups[0]["lr"] is lr
    assert lr.item() == pytest.approx(0.05)
