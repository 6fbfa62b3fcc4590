"""The autograd engine and its public API, against PyTorch's behaviour."""
import gc
import weakref

import numpy as np
import pytest

import tensorlite as tl

torch = pytest.importorskip("torch")


def pair(values, requires_grad=True, dtype="float64"):
    """The same leaf in tensorlite and torch."""
    a = np.asarray(values, dtype=dtype)
    return (tl.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


def assert_close(t, ref, atol=1e-10):
    np.testing.assert_allclose(np.asarray(t.detach()), ref.detach().numpy(), atol=atol, rtol=1e-7)


# -- backward basics -----------------------------------------------------------------------------------
def test_backward_scalar_accumulates_like_torch():
    x, xt = pair([1.0, -2.0, 3.0])
    for _ in range(2):  # gradients accumulate across backward calls
        ((x * x + x * 3.0).sum()).backward()
        ((xt * xt + xt * 3.0).sum()).backward()
    assert_close(x.grad, xt.grad)


def test_shared_subexpression_gets_summed_gradient():
    x, xt = pair([0.5, 1.5])
    y, yt = x * 2.0, xt * 2.0
    (y * y + y).sum().backward()
    (yt * yt + yt).sum().backward()
    assert_close(x.grad, xt.grad)


def test_backward_nonscalar_needs_gradient():
    x, _ = pair([1.0, 2.0])
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        (x * 2.0).backward()
    g = tl.tensor([1.0, 10.0], dtype=tl.float64)
    (x * 2.0).backward(g)
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 20.0])


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tl.tensor([1.0, 2.0]).sum().backward()


def test_second_backward_through_freed_graph_raises():
    x, _ = pair([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x, xt = pair([1.0, 2.0])
    y, yt = (x * x).sum(), (xt * xt).sum()
    y.backward(retain_graph=True)
    y.backward()
    yt.backward(retain_graph=True)
    yt.backward()
    assert_close(x.grad, xt.grad)


def test_graph_without_saved_tensors_can_backward_twice_like_torch():
    x, xt = pair([1.0, 2.0])
    y, yt = (x + 1.0).sum(), (xt + 1.0).sum()
    y.backward()
    y.backward()
    yt.backward()
    yt.backward()
    assert_close(x.grad, xt.grad)


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        tl.tensor([1, 2, 3], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        tl.tensor([1, 2, 3]).requires_grad_()


def test_is_leaf_and_grad_fn():
    x, _ = pair([1.0])
    y = x * 2.0
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf and y.grad_fn is not None and y.requires_grad
    assert "Mul" in y.grad_fn.name()
    z = tl.tensor([1.0]) * 2.0
    assert z.is_leaf and not z.requires_grad
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad_(False)


def test_next_functions_show_graph_structure():
    x, _ = pair([1.0])
    w = tl.tensor([2.0], dtype=tl.float64)
    y = x * w
    (fn_x, _), (fn_w, _) = y.grad_fn.next_functions
    assert fn_x.name() == "AccumulateGrad" and fn_x.variable is x
    assert fn_w is None


# -- grad modes ----------------------------------------------------------------------------------------
def test_no_grad_context_and_decorator():
    x, _ = pair([1.0])
    with tl.no_grad():
        assert not (x * 2.0).requires_grad
        with tl.enable_grad():
            assert (x * 2.0).requires_grad

    @tl.no_grad()
    def f(t):
        return t * 2.0

    assert not f(x).requires_grad
    assert (x * 2.0).requires_grad


def test_set_grad_enabled_call_context_and_decorator():
    x, _ = pair([1.0])
    with tl.set_grad_enabled(False):
        assert not (x * 2.0).requires_grad
    assert tl.is_grad_enabled()
    tl.set_grad_enabled(False)
    assert not tl.is_grad_enabled()
    tl.set_grad_enabled(True)

    @tl.set_grad_enabled(False)
    def f(t):
        return t * 2.0

    assert tl.is_grad_enabled()
    assert not f(x).requires_grad


# -- autograd.grad and higher order ----------------------------------------------------------------------
def test_autograd_grad_does_not_touch_dot_grad():
    x, xt = pair([1.0, 2.0, 3.0])
    (g,) = tl.autograd.grad((x * x * x).sum(), x)
    (gt,) = torch.autograd.grad((xt * xt * xt).sum(), xt)
    assert_close(g, gt)
    assert x.grad is None


def test_higher_order_gradients_match_torch():
    x, xt = pair([0.3, -1.2, 2.0])
    def f(lib_x):
        return (lib_x * lib_x * lib_x + lib_x * lib_x * 2.0).sum()
    (g1,) = tl.autograd.grad(f(x), x, create_graph=True)
    (g2,) = tl.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = tl.autograd.grad(g2.sum(), x)
    (t1,) = torch.autograd.grad(f(xt), xt, create_graph=True)
    (t2,) = torch.autograd.grad(t1.sum(), xt, create_graph=True)
    (t3,) = torch.autograd.grad(t2.sum(), xt)
    for a, b in ((g1, t1), (g2, t2), (g3, t3)):
        assert_close(a, b)


def test_create_graph_backward_builds_differentiable_grad():
    x, xt = pair([1.5, -0.5])
    (x * x * x).sum().backward(create_graph=True)
    (xt * xt * xt).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    gx, gxt = x.grad, xt.grad
    x.grad, xt.grad = None, None
    gx.sum().backward()
    gxt.sum().backward()
    assert_close(x.grad, xt.grad)


def test_grad_unused_input():
    x, _ = pair([1.0])
    y, _ = pair([2.0])
    with pytest.raises(RuntimeError, match="not have been used"):
        tl.autograd.grad((x * 2.0).sum(), [x, y])
    gx, gy = tl.autograd.grad((x * 2.0).sum(), [x, y], allow_unused=True)
    assert gy is None and gx.item() == 2.0
    gx, gy = tl.autograd.grad((x * 2.0).sum(), [x, y], materialize_grads=True)
    assert gy.item() == 0.0


def test_grad_wrt_non_leaf():
    x, xt = pair([1.0, 2.0])
    y, yt = x * 3.0, xt * 3.0
    (gy,) = tl.autograd.grad((y * y).sum(), y)
    (gyt,) = torch.autograd.grad((yt * yt).sum(), yt)
    assert_close(gy, gyt)


def test_grad_of_input_not_requiring_grad_raises():
    x, _ = pair([1.0])
    c = tl.tensor([1.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        tl.autograd.grad((x * 2.0).sum(), c)


def test_backward_inputs_argument_limits_accumulation():
    x, _ = pair([1.0])
    y, _ = pair([2.0])
    (x * y).sum().backward(inputs=[x])
    assert x.grad.item() == 2.0 and y.grad is None


# -- hooks and retain_grad -----------------------------------------------------------------------------
def test_tensor_hooks_on_leaf_and_non_leaf():
    x, xt = pair([1.0, 2.0])
    seen = []
    h = x.register_hook(lambda g: g * 2.0)
    y = x * 3.0
    y.register_hook(lambda g: seen.append(g.clone()))
    yt = xt * 3.0
    xt.register_hook(lambda g: g * 2.0)
    (y * y).sum().backward()
    (yt * yt).sum().backward()
    assert_close(x.grad, xt.grad)
    assert len(seen) == 1
    h.remove()
    x.grad = None
    (x * 1.0).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tl.tensor([1.0]).register_hook(lambda g: g)


def test_retain_grad():
    x, xt = pair([1.0, 2.0])
    y, yt = x * 3.0, xt * 3.0
    y.retain_grad()
    yt.retain_grad()
    assert y.retains_grad
    (y * y).sum().backward()
    (yt * yt).sum().backward()
    assert_close(y.grad, yt.grad)
    z = x * 2.0
    (z * z).sum().backward()
    assert z.grad is None


# -- custom Functions ----------------------------------------------------------------------------------
class Cube(tl.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3.0 * x * x


class TorchCube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3.0 * x * x


def test_custom_function_first_and_second_order():
    x, xt = pair([0.5, -1.0, 2.0])
    y, yt = Cube.apply(x), TorchCube.apply(xt)
    assert y.grad_fn is not None and "Cube" in y.grad_fn.name()
    (g,) = tl.autograd.grad(y.sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad(yt.sum(), xt, create_graph=True)
    assert_close(g, gt)
    (gg,) = tl.autograd.grad(g.sum(), x)
    (ggt,) = torch.autograd.grad(gt.sum(), xt)
    assert_close(gg, ggt)


def test_custom_function_needs_input_grad_and_non_tensor_args():
    class Scale(tl.autograd.Function):
        @staticmethod
        def forward(ctx, x, factor, w):
            ctx.factor = factor
            ctx.save_for_backward(w)
            return x * factor * w

        @staticmethod
        def backward(ctx, grad):
            (w,) = ctx.saved_tensors
            assert ctx.needs_input_grad == (True, False, False)
            return grad * ctx.factor * w, None, None

    x, _ = pair([1.0, 2.0])
    w = tl.tensor([3.0, 4.0], dtype=tl.float64)
    Scale.apply(x, 2.0, w).sum().backward()
    assert x.grad.tolist() == [6.0, 8.0]


def test_custom_function_setup_context_style():
    class Square(tl.autograd.Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2.0 * x

    x, _ = pair([3.0])
    Square.apply(x).sum().backward()
    assert x.grad.item() == 6.0


def test_custom_function_wrong_gradient_shape_raises():
    class Bad(tl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, grad):
            return tl.ones(5, dtype=tl.float64)

    x, _ = pair([1.0, 2.0])
    with pytest.raises(RuntimeError, match="invalid gradient"):
        Bad.apply(x).sum().backward()


def test_custom_function_saved_tensor_modified_in_place_raises():
    x, _ = pair([1.0, 2.0])
    a = x * 1.0
    y = Cube.apply(a)
    with tl.no_grad():
        a.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# -- version counters and in-place -------------------------------------------------------------------
def test_inplace_on_saved_tensor_detected():
    x, xt = pair([1.0, 2.0])
    a, at = x * 1.0, xt * 1.0
    b, bt = a * a, at * at
    a.add_(1.0)
    at.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        bt.sum().backward()


def test_inplace_gradient_matches_torch():
    x, xt = pair([1.0, -2.0, 3.0])
    a, at = x * 2.0, xt * 2.0
    a.mul_(x)
    at.mul_(xt)
    a += 1.0
    at += 1.0
    assert a._version == at._version == 2
    (a * a).sum().backward()
    (at * at).sum().backward()
    assert_close(x.grad, xt.grad)


def test_inplace_on_leaf_requiring_grad_raises_but_allowed_under_no_grad():
    x, _ = pair([1.0])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1.0)
    with tl.no_grad():
        x.add_(1.0)
    assert x.item() == 2.0 and x.requires_grad and x.is_leaf


# -- memory: the graph does not outlive its use ------------------------------------------------------
def test_graph_is_freed_after_backward():
    x, _ = pair(np.ones(1000))
    y = (x * 2.0) * x
    node = weakref.ref(y.grad_fn)
    y.sum().backward()
    del y
    gc.collect()
    assert node() is None


def test_no_reference_cycle_keeps_intermediates_alive():
    x, _ = pair(np.ones(10))
    y = (x * 2.0).exp()  # exp saves its output: must not make a cycle
    ref = weakref.ref(y)
    del y
    assert ref() is None  # freed by reference counting alone, without gc


# -- a leaf keeps an unshared first gradient without a copy; anything shared is copied ---------------------------
def _identity_fn(keep_grad: list | None = None, ids: list | None = None):
    class PassThrough(tl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            out = g * 1.0  # a fresh tensor
            if keep_grad is not None:
                keep_grad.append(out)  # someone else holds it now
            if ids is not None:
                ids.append(id(out._data))  # an int: holds nothing
            return out

    return PassThrough


def test_fresh_gradient_is_kept_without_copy():
    ids: list = []
    x = tl.randn(3, requires_grad=True)
    _identity_fn(ids=ids).apply(x).sum().backward()
    assert id(x.grad._data) == ids[0]


def test_gradient_held_elsewhere_is_copied():
    held: list = []
    x = tl.randn(3, requires_grad=True)
    _identity_fn(keep_grad=held).apply(x).sum().backward()
    assert x.grad._data is not held[0]._data
    x.grad.add_(1.0)
    np.testing.assert_array_equal(held[0].numpy(), np.ones(3, np.float32))


def test_one_gradient_delivered_to_two_leaves_is_not_aliased():
    a, b = tl.randn(4, requires_grad=True), tl.randn(4, requires_grad=True)
    (a + b).sum().backward()  # add's backward hands the same gradient to both inputs
    assert not np.shares_memory(a.grad._data, b.grad._data)
    a.grad.mul_(3.0)
    np.testing.assert_array_equal(b.grad.numpy(), np.ones(4, np.float32))


def test_seed_gradient_of_a_leaf_root_is_copied():
    x = tl.randn(3, requires_grad=True)
    seed = tl.ones(3)
    x.backward(seed)
    seed.add_(1.0)
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(3, np.float32))


def test_hook_returned_tensor_is_copied():
    x = tl.randn(3, requires_grad=True)
    replacement = tl.full((3,), 5.0)
    x.register_hook(lambda g: replacement)
    (x * 2).sum().backward()
    replacement.add_(1.0)
    np.testing.assert_array_equal(x.grad.numpy(), np.full(3, 5.0, np.float32))


def test_kept_gradient_accumulates_in_place_on_second_backward():
    w = tl.randn(3, 2, requires_grad=True)
    x = tl.randn(4, 3)
    (x @ w).sum().backward()
    first = w.grad.numpy().copy()
    (x @ w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * first, rtol=1e-6)
