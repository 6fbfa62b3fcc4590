"""gradcheck / gradgradcheck themselves, the registry runner and the `tensorlite gradcheck` CLI.

A gradient checker is only trustworthy if it fails on wrong gradients: the user Functions
below are right, wrong by a factor (first order), or right but not differentiable correctly
(second order); each verdict is compared with torch.autograd.gradcheck's on the same code.
"""
from __future__ import annotations

import importlib
import itertools
import textwrap
import warnings

import numpy as np
import pytest

import tensorlite as tl
from tensorlite.autograd.gradcheck import FAST_MODE_THRESHOLD, GradcheckError, gradcheck, gradgradcheck

gc_module = importlib.import_module("tensorlite.autograd.gradcheck")  # the module (tl.autograd.gradcheck is the function)
_plugin_ids = itertools.count()


# -- user Functions written once, run with either library ---------------------------------------------------
def make_cube(lib, factor: float = 3.0, detach: bool = False):
    """y = x^3 with backward g * factor * x^2 (factor 3 is right); detach=True cuts the second derivative."""

    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            base = x.detach() if detach else x
            return grad * factor * base ** 2

    return Cube


def make_mul_add(lib, wrong_second: bool = False):
    """Two inputs, two outputs: (a*b, a+b); wrong_second swaps the gradient of input 1 in output 0."""

    class MulAdd(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b, a + b

        @staticmethod
        def backward(ctx, g_mul, g_add):
            a, b = ctx.saved_tensors
            gb = g_mul * (b if wrong_second else a) + g_add
            return g_mul * b + g_add, gb

    return MulAdd


def rand64(*shape, low=0.5, high=2.0, seed=0):
    return tl.tensor(np.random.default_rng(seed).uniform(low, high, size=shape), dtype=tl.float64,
                     requires_grad=True)


# -- gradcheck passes on correct code ---------------------------------------------------------------------
def test_gradcheck_on_builtin_ops_with_broadcasting():
    a, b = rand64(3, 1, seed=1), rand64(4, seed=2)
    assert gradcheck(lambda a, b: a * b / (a + b) ** 2 - b, (a, b))
    assert gradcheck(lambda a, b: a ** b, (a, b))
    assert gradgradcheck(lambda a, b: a * b / (a + b) ** 2, (a, b))


def test_gradcheck_is_the_function_on_tl_autograd():
    assert tl.autograd.gradcheck is gradcheck and tl.autograd.gradgradcheck is gradgradcheck
    assert issubclass(GradcheckError, RuntimeError)


def test_correct_user_function_passes_first_and_second_order():
    cube = make_cube(tl)
    x = rand64(2, 3)
    assert gradcheck(cube.apply, (x,))
    assert gradgradcheck(cube.apply, (x,))


def test_multiple_inputs_and_outputs():
    f = make_mul_add(tl)
    assert gradcheck(f.apply, (rand64(3, seed=1), rand64(3, seed=2)))
    assert gradgradcheck(f.apply, (rand64(3, seed=1), rand64(3, seed=2)))


def test_non_tensor_int_and_no_grad_inputs_pass_through():
    x = rand64(3)
    idx = tl.tensor([2, 0, 1])
    const = rand64(3, seed=5).detach()
    assert gradcheck(lambda x, k, i, c: (x * k + c, i), (x, 2.5, idx, const))


def test_outputs_that_do_not_require_grad_are_ignored():
    x = rand64(4)
    assert gradcheck(lambda x: (x * x, x.detach() * 3.0, 7), (x,))


def test_zero_dim_and_empty_inputs():
    assert gradcheck(lambda x: x * x, (rand64(),))
    assert gradgradcheck(lambda x: x * x * x, (rand64(),))
    assert gradcheck(lambda x: x * 2.0, (rand64(0, 3),))


def test_non_contiguous_input_and_grad_outputs():
    base = np.random.default_rng(3).uniform(0.5, 2.0, size=(3, 8))
    x = tl.from_numpy(base[:, ::2]).requires_grad_(True)
    assert not x.is_contiguous()
    assert gradcheck(lambda x: x * x * x, (x,))
    assert gradgradcheck(lambda x: x * x * x, (x,), gen_non_contig_grad_outputs=True)


def test_identity_view_and_read_only_inputs():
    x = rand64(3, 4)
    assert gradcheck(lambda x: x, (x,))
    assert gradcheck(lambda x: x.reshape(12), (x,))  # the output shares memory with the perturbed input
    frozen = np.random.default_rng(4).uniform(0.5, 2.0, size=5)
    frozen.flags.writeable = False
    y = tl.from_numpy(frozen).requires_grad_(True)
    assert gradcheck(lambda y: y * y, (y,))
    assert y._data is frozen


def test_signatures_match_pytorch():
    torch = pytest.importorskip("torch")
    import inspect

    for name in ("gradcheck", "gradgradcheck"):
        ours = inspect.signature(getattr(tl.autograd, name)).parameters
        theirs = inspect.signature(getattr(torch.autograd, name)).parameters
        assert [(k, p.default, p.kind) for k, p in ours.items()] == \
            [(k, p.default, p.kind) for k, p in theirs.items()], name


# -- gradcheck fails on wrong code, and says where ----------------------------------------------------------------
def test_wrong_gradient_raises_naming_the_worst_element():
    x = rand64(2, 3)
    with pytest.raises(GradcheckError) as info:
        gradcheck(make_cube(tl, factor=6.0).apply, (x,))
    msg = str(info.value)
    assert "Jacobian mismatch for output 0 with respect to input 0" in msg
    assert "worst element (" in msg and "analytic" in msg and "numeric" in msg
    # the worst element is the one with the largest |x| (the error is 3 x^2 there)
    worst = int(np.argmax(np.abs(x.detach().numpy()).ravel()))
    assert f"worst element ({worst}, {worst})" in msg


def test_wrong_gradient_of_one_input_names_that_input():
    f = make_mul_add(tl, wrong_second=True)
    with pytest.raises(GradcheckError, match="output 0 with respect to input 1"):
        gradcheck(f.apply, (rand64(3, seed=1), rand64(3, seed=2)))


def test_raise_exception_false_returns_false():
    assert gradcheck(make_cube(tl, factor=6.0).apply, (rand64(3),), raise_exception=False) is False
    assert gradgradcheck(make_cube(tl, detach=True).apply, (rand64(3),), raise_exception=False) is False


def test_gradgradcheck_fails_when_backward_is_not_differentiable_correctly():
    cube = make_cube(tl, detach=True)
    x = rand64(2, 2)
    assert gradcheck(cube.apply, (x,))  # first order is right
    with pytest.raises(GradcheckError, match="worst element"):
        gradgradcheck(cube.apply, (x,))


def test_inputs_are_restored_even_after_a_failure():
    x = rand64(3, 2)
    before = x.detach().numpy().copy()
    gradcheck(make_cube(tl, factor=6.0).apply, (x,), raise_exception=False)
    gradcheck(make_cube(tl).apply, (x,), fast_mode=True)
    np.testing.assert_array_equal(x.detach().numpy(), before)
    assert x.grad is None


def test_tolerances_are_honoured():
    x = rand64(4)
    slightly_off = make_cube(tl, factor=3.0 * (1 + 1e-5))  # within rtol=1e-3
    assert gradcheck(slightly_off.apply, (x,))
    assert not gradcheck(slightly_off.apply, (x,), rtol=1e-7, atol=1e-9, raise_exception=False)


def test_input_checks_like_pytorch():
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(lambda x: x * 2.0, (tl.tensor([1.0, 2.0], dtype=tl.float64),))
    with pytest.warns(UserWarning, match="not a double precision"):
        gradcheck(lambda x: x * 2.0, (tl.tensor([1.0, 2.0], requires_grad=True),), raise_exception=False)


def test_function_without_differentiable_outputs_must_not_depend_on_inputs():
    x = rand64(3)
    assert gradcheck(lambda x: x.detach() * 0.0, (x,))
    with pytest.raises(GradcheckError, match="expected to be zero"):
        gradcheck(lambda x: x.detach() * 2.0, (x,))


def test_nondeterministic_backward_is_caught():
    calls = [0]

    class Flaky(tl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, g):
            calls[0] += 1
            return g * (2.0 + 1e-9 * calls[0])

    with pytest.raises(GradcheckError, match="not reentrant"):
        gradcheck(Flaky.apply, (rand64(3),))
    assert gradcheck(Flaky.apply, (rand64(3),), nondet_tol=1e-6)


# -- fast mode ------------------------------------------------------------------------------------------------
def test_fast_mode_is_used_automatically_on_large_inputs(monkeypatch):
    n = int(FAST_MODE_THRESHOLD ** 0.5) + 10
    x = rand64(n)

    def no_slow(*args, **kwargs):
        raise AssertionError("the full Jacobian should not be built for a large input")

    monkeypatch.setattr(gc_module._Checker, "slow", no_slow)
    assert gradcheck(make_cube(tl).apply, (x,))
    with pytest.raises(GradcheckError, match="fast mode"):
        gradcheck(make_cube(tl, factor=6.0).apply, (x,))


def test_fast_mode_verdicts_and_worst_element_on_failure():
    x = rand64(3, 4)
    assert gradcheck(make_cube(tl).apply, (x,), fast_mode=True)
    assert gradgradcheck(make_cube(tl).apply, (x,), fast_mode=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(make_cube(tl, factor=6.0).apply, (x,), fast_mode=True)
    assert "fast mode" in str(info.value) and "worst element" in str(info.value)
    assert not gradgradcheck(make_cube(tl, detach=True).apply, (x,), fast_mode=True, raise_exception=False)


# -- same verdicts as PyTorch --------------------------------------------------------------------------------------
CASES = [  # (name, maker, kwargs, order)
    ("right cube", make_cube, {}, 1),
    ("2x cube", make_cube, {"factor": 6.0}, 1),
    ("1.00001x cube", make_cube, {"factor": 3.00003}, 1),
    ("1.01x cube", make_cube, {"factor": 3.03}, 1),
    ("right cube, 2nd order", make_cube, {}, 2),
    ("detached backward, 2nd order", make_cube, {"detach": True}, 2),
    ("right mul/add", make_mul_add, {}, 1),
    ("wrong mul/add", make_mul_add, {"wrong_second": True}, 1),
]


@pytest.mark.parametrize("fast", [False, True], ids=["slow", "fast"])
@pytest.mark.parametrize("name, maker, kwargs, order", CASES, ids=[c[0] for c in CASES])
def test_verdicts_match_torch(name, maker, kwargs, order, fast):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    n_inputs = 2 if maker is make_mul_add else 1
    arrays = [rng.uniform(0.5, 2.0, size=(2, 3)) for _ in range(n_inputs)]
    ours = [tl.tensor(a, requires_grad=True, dtype=tl.float64) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True, dtype=torch.float64) for a in arrays]
    check_tl = gradcheck if order == 1 else gradgradcheck
    check_torch = torch.autograd.gradcheck if order == 1 else torch.autograd.gradgradcheck
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = check_torch(maker(torch, **kwargs).apply, tuple(theirs), raise_exception=False, fast_mode=fast)
    got = check_tl(maker(tl, **kwargs).apply, tuple(ours), raise_exception=False, fast_mode=fast)
    assert got == expected, f"{name}: tensorlite says {got}, PyTorch says {expected}"


# -- the registry runner and the CLI ----------------------------------------------------------------------------------
PLUGIN = textwrap.dedent('''
    import numpy as np
    import tensorlite as tl
    from tensorlite.testing.opinfo import ErrorSample, OpInfo, Sample, arr


    class Cube(tl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * FACTOR * x ** 2


    def samples(rng):
        yield Sample((arr(rng, 2, 3),), desc="2-d")
        yield Sample((arr(rng),), desc="0-d")


    def binary(rng):
        yield Sample((arr(rng, 3, 1), arr(rng, 4)), desc="broadcast")
        yield Sample((arr(rng, 2), 1.5), desc="python scalar")


    def errors():
        yield ErrorSample((np.zeros((2, 3)), np.zeros(4)), error=RuntimeError)


    OPS = [OpInfo("my_cube", Cube.apply, lambda x: x ** 3, samples),
           OpInfo("my_add", tl.add, lambda a, b: a + b, binary, errors),
           OpInfo("my_mul", tl.mul, lambda a, b: a * b, binary, errors)]
''')


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """Write a plugin module with FACTOR as given; returns its module name."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(factor: float) -> str:
        name = f"gc_plugin_{next(_plugin_ids)}"  # unique: sys.modules keeps earlier plugins
        (tmp_path / f"{name}.py").write_text(f"FACTOR = {factor}\n" + PLUGIN)
        return name

    return make


def test_cli_on_registry_ops(capsys):
    from tensorlite.testing.cli_gradcheck import main
    from tensorlite.testing.opinfo import all_ops

    names = {info.name for info in all_ops()}
    if not {"add", "mul"} <= names:
        pytest.skip("the registry has no add/mul entries yet")
    assert main(["add", "mul"]) == 0
    out = capsys.readouterr().out
    assert "2 ops: 2 passed, 0 failed" in out


def test_cli_plugin_right_and_bogus(plugin, capsys):
    from tensorlite.testing.cli_gradcheck import main

    assert main(["--plugin", plugin(3.0)]) == 0
    out = capsys.readouterr().out
    assert "3 ops: 3 passed, 0 failed" in out
    for column in ("op", "1st order", "2nd order", "torch parity", "errors", "max err"):
        assert column in out
    assert main(["--plugin", plugin(6.0), "-q"]) == 1
    out = capsys.readouterr().out
    assert "my_cube" in out and "FAIL" in out and "worst element" in out
    assert "3 ops: 2 passed, 1 failed" in out


def test_cli_plugin_by_path_and_op_selection(plugin, tmp_path, capsys):
    from tensorlite.testing.cli_gradcheck import main

    path = tmp_path / f"{plugin(3.0)}.py"
    assert main(["--plugin", str(path), "my_a*", "--dtype", "float64"]) == 0
    assert "1 ops: 1 passed, 0 failed" in capsys.readouterr().out


def test_cli_usage_errors(plugin, capsys):
    from tensorlite.testing.cli_gradcheck import main

    assert main(["--plugin", plugin(3.0), "my_cubee"]) == 2
    assert "did you mean my_cube" in capsys.readouterr().err
    assert main(["--plugin", "no_such_module_xyz"]) == 2


def test_cli_without_torch(plugin, monkeypatch, capsys):
    from tensorlite.testing import _samples
    from tensorlite.testing.cli_gradcheck import main

    monkeypatch.setattr(_samples, "_torch_module", False)  # as if torch were not installed
    assert main(["--plugin", plugin(3.0)]) == 0
    out = capsys.readouterr().out
    assert "skipped: torch not installed" in out
    assert main(["--plugin", plugin(6.0)]) == 1


def test_check_functions_raise_assertion_errors(plugin):
    from tensorlite.testing import check

    bad = {info.name: info for info in importlib.import_module(plugin(6.0)).OPS}
    with pytest.raises(AssertionError, match="my_cube: gradcheck failed on 2 of 2 samples"):
        check.check_gradcheck(bad["my_cube"])
    with pytest.raises(AssertionError, match="grad of input 0"):
        check.check_torch_parity(bad["my_cube"], "float32", False)
    with pytest.raises(check.NotApplicable):
        check.check_errors(bad["my_cube"])
    check.check_errors(bad["my_add"])
    report = check.run_op(bad["my_add"])
    assert report.passed and report.first_order == "ok" and report.errors == "ok"
    assert report.max_abs_error is not None and report.max_abs_error < 1e-6
