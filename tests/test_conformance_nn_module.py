"""Conformance of tl.nn's module system with torch.nn: every case runs the same code on both libraries.

`same(fn)` calls fn(torch) and fn(tl) and compares what they return (reprs with the library name
normalised, floats rounded) or, when both raise, the exception types. Covered: the Module API
(registration rules and their errors, traversal, state_dict/load_state_dict and their hooks,
forward and full backward hooks, to()/float()/double(), set_submodule, nn.Buffer), containers,
layer constructors (parameter names, shapes, dtypes, buffers, reprs, attributes), layer outputs
with weights copied from torch, padding layers, lazy modules, nn.init, and nn.utils (clipping, vector
conversion, packed sequences, weight/spectral norm, parametrize, functional_call, BN fusion, skip_init).
"""
from __future__ import annotations

import copy
import math
import re
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import tensorlite as tl

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.filterwarnings("ignore")


def _norm(text: str) -> str:
    return text.replace("tensorlite", "torch")


def _outcome(fn, lib):
    try:
        return "ok", _norm(repr(fn(lib)))
    except Exception as e:  # noqa: BLE001 - the exception type is what is compared
        return "raises", type(e).__name__


def same(fn) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, got = _outcome(fn, torch), _outcome(fn, tl)
    assert got == expected, f"{fn.__name__}: torch {expected}, tensorlite {got}"


def r(t, n: int = 4):
    """A tensor of either library as nested lists of rounded floats (None stays None)."""
    return None if t is None else np.round(t.detach().numpy().astype(np.float64), n).tolist()


def names(it):
    return [n for n, _ in it]


def tnames(mods):
    return [type(m).__name__ for m in mods]


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


# -- registration, attributes and their errors ----------------------------------------------------------------------
@case
def reg_param_dot(L): L.nn.Module().register_parameter("a.b", None)
@case
def reg_param_empty(L): L.nn.Module().register_parameter("", None)
@case
def reg_param_nonstr(L): L.nn.Module().register_parameter(1, None)
@case
def reg_param_tensor(L): L.nn.Module().register_parameter("a", L.zeros(2))
@case
def reg_param_existing_attr(L):
    m = L.nn.Module(); m.x = 1; m.register_parameter("x", None)
@case
def reg_param_nonleaf(L):
    m = L.nn.Module(); m.register_parameter("p", L.nn.Parameter(L.ones(1)) * 2)
@case
def reg_buffer_int(L): L.nn.Module().register_buffer("a", 3)
@case
def reg_buffer_over_param(L):
    m = L.nn.Module(); m.p = L.nn.Parameter(L.zeros(1)); m.register_buffer("p", None)
@case
def reg_param_over_buffer(L):
    m = L.nn.Module(); m.register_buffer("b", L.zeros(1)); m.register_parameter("b", None)
@case
def add_module_over_param(L):
    m = L.nn.Linear(1, 1); m.add_module("weight", L.nn.ReLU())
@case
def add_module_bad(L): L.nn.Module().add_module("a", 3)
@case
def add_module_dot(L): L.nn.Module().add_module("a.b", L.nn.ReLU())
@case
def add_module_nonstr(L): L.nn.Module().add_module(3, L.nn.ReLU())
@case
def register_module_alias(L):
    m = L.nn.Module(); m.register_module("a", L.nn.ReLU()); return list(m._modules)
@case
def set_tensor_over_param(L):
    m = L.nn.Module(); m.p = L.nn.Parameter(L.zeros(1)); m.p = L.zeros(1)
@case
def set_none_param_and_module(L):
    m = L.nn.Linear(1, 1); m.weight = None; m.c = L.nn.ReLU(); m.c = None
    return list(m._parameters), m.weight, m.c, list(m.state_dict()), names(m.named_modules())
@case
def set_int_over_module(L):
    m = L.nn.Module(); m.c = L.nn.ReLU(); m.c = 3
@case
def set_int_over_buffer(L):
    m = L.nn.Module(); m.register_buffer("b", L.zeros(1)); m.b = 3
@case
def set_tensor_over_buffer_keeps_persistence(L):
    m = L.nn.Module(); m.register_buffer("b", L.ones(1), persistent=False); m.b = L.zeros(2)
    return list(m.state_dict()), names(m.named_buffers()), tuple(m.b.shape)
@case
def set_param_over_attr(L):
    m = L.nn.Module(); m.p = 5; m.p = L.nn.Parameter(L.zeros(1)); return "p" in m.__dict__, list(m._parameters)
@case
def nn_buffer_attribute(L):
    m = L.nn.Module()
    m.a = L.nn.Buffer(L.ones(2)); m.b = L.nn.Buffer(L.ones(2), persistent=False); m.c = L.ones(1)
    return list(m.state_dict()), names(m.named_buffers()), isinstance(m.a, L.nn.Buffer), isinstance(m.c, L.nn.Buffer)
@case
def nn_buffer_over_attr(L):
    m = L.nn.Module(); m.x = 1; m.x = L.nn.Buffer(L.ones(1))
@case
def delattr_param(L):
    m = L.nn.Linear(2, 2); del m.bias; return list(m.state_dict()), hasattr(m, "bias")
@case
def delattr_missing(L): del L.nn.Linear(2, 2).foo
@case
def getattr_missing(L): return L.nn.Linear(2, 2).foo
@case
def dir_lists_members(L):
    d = dir(L.nn.Sequential(L.nn.Linear(1, 1)))
    e = dir(L.nn.Linear(1, 1))
    return "0" in d, "weight" in e, "bias" in e, "forward" in e, "training" in e
@case
def module_init_kwargs(L): L.nn.Module(foo=1)
@case
def module_no_forward(L): L.nn.Module()(1)


# -- get/set_submodule, traversal -----------------------------------------------------------------------------------
def nested(L):
    return L.nn.Sequential(L.nn.Sequential(L.nn.Linear(1, 1), L.nn.BatchNorm1d(1)), L.nn.ReLU())


@case
def get_submodule_ok(L):
    m = nested(L)
    return type(m.get_submodule("0.1")).__name__, m.get_submodule("") is m, tuple(m.get_parameter("0.0.weight").shape), \
        tuple(m.get_buffer("0.1.running_mean").shape)
@case
def get_submodule_missing(L): nested(L).get_submodule("0.5")
@case
def get_submodule_not_module(L): nested(L).get_submodule("0.0.weight")
@case
def get_parameter_missing(L): nested(L).get_parameter("0.0.foo")
@case
def get_parameter_not_param(L): nested(L).get_parameter("0.1.running_mean")
@case
def get_buffer_not_buffer(L): nested(L).get_buffer("0.1.weight")
@case
def set_submodule_ok(L):
    m = nested(L); m.set_submodule("0.0", L.nn.Tanh()); m.set_submodule("2", L.nn.GELU()); return str(m)
@case
def set_submodule_empty(L): nested(L).set_submodule("", L.nn.ReLU())
@case
def set_submodule_not_module(L): nested(L).set_submodule("0", 3)
@case
def set_submodule_strict(L): nested(L).set_submodule("5", L.nn.ReLU(), strict=True)
@case
def set_submodule_over_param(L): nested(L).set_submodule("0.0.weight", L.nn.ReLU())
@case
def traversal_prefix_recurse(L):
    m = nested(L)
    return names(m.named_parameters(prefix="p")), names(m.named_parameters(recurse=False)), \
        names(m.named_buffers(prefix="b")), names(m.named_modules(prefix="root")), names(m.named_children())
@case
def traversal_shared(L):
    lin = L.nn.Linear(2, 2)
    m = L.nn.Sequential(lin, L.nn.ReLU(), lin)
    return names(m.named_parameters()), names(m.named_parameters(remove_duplicate=False)), names(m.named_modules()), \
        names(m.named_modules(remove_duplicate=False)), list(m.state_dict()), names(m.named_children()), \
        len(list(m.modules()))
@case
def shared_parameter_attr(L):
    m = L.nn.Module(); m.a = L.nn.Parameter(L.ones(1)); m.b = m.a
    return names(m.named_parameters()), list(m.state_dict())
@case
def apply_order(L):
    seen = []
    nested(L).apply(lambda x: seen.append(type(x).__name__))
    return seen
@case
def train_eval_propagate(L):
    m = nested(L)
    r1 = m.eval()
    return r1 is m, [x.training for x in m.modules()], m.train().training, [x.training for x in m.modules()]
@case
def train_non_bool(L): L.nn.Linear(1, 1).train(1)
@case
def requires_grad_(L):
    m = L.nn.Linear(1, 1); r1 = m.requires_grad_(False); return r1 is m, [p.requires_grad for p in m.parameters()]
@case
def zero_grad_modes(L):
    m = L.nn.Linear(2, 1); m(L.ones(1, 2)).sum().backward()
    m.zero_grad(set_to_none=False)
    g = [r(p.grad) for p in m.parameters()]
    m.zero_grad()
    return g, [p.grad for p in m.parameters()]


# -- dtype conversion ---------------------------------------------------------------------------------------------
@case
def casts_keep_int_buffers(L):
    m = L.nn.BatchNorm1d(2)
    out = []
    for f in (m.double, m.half, m.float, lambda: m.to(L.float64), lambda: m.to(dtype=L.float32)):
        r1 = f()
        out.append((r1 is m, [str(t.dtype) for t in m.state_dict().values()]))
    return out
@case
def cast_keeps_parameter_identity(L):
    m = L.nn.Linear(2, 2); w = m.weight
    m(L.ones(1, 2)).sum().backward(); g = m.weight.grad
    opt = L.optim.SGD(m.parameters(), lr=0.1)
    m.double()
    return m.weight is w, m.weight.grad is g, str(m.weight.dtype), str(m.weight.grad.dtype), \
        type(m.weight).__name__, m.weight.is_leaf, opt.param_groups[0]["params"][0] is m.weight
@case
def to_int_dtype(L): L.nn.Linear(1, 1).to(L.int32)
@case
def to_empty(L):
    m = L.nn.Linear(2, 3).to_empty(device="cpu"); return type(m.weight).__name__, tuple(m.weight.shape)


# -- state_dict / load_state_dict ---------------------------------------------------------------------------------
@case
def state_dict_keys(L):
    m = nested(L)
    sd = m.state_dict()
    return type(sd).__name__, list(sd), list(m.state_dict(prefix="x.")), sd["0.0.weight"].requires_grad, \
        m.state_dict(keep_vars=True)["0.0.weight"].requires_grad, dict(sd._metadata)
@case
def state_dict_non_persistent(L):
    m = L.nn.Module(); m.register_buffer("a", L.zeros(2)); m.register_buffer("b", L.zeros(2), persistent=False)
    m.register_buffer("c", None)
    return list(m.state_dict()), names(m.named_buffers())
@case
def load_strict_errors(L):
    m = L.nn.Sequential(L.nn.Linear(1, 1), L.nn.BatchNorm1d(1))
    return m.load_state_dict({"0.weight": L.zeros(1, 1), "extra": L.zeros(1), "0.foo": L.zeros(1)})
@case
def load_strict_message(L):
    m = L.nn.Sequential(L.nn.Linear(1, 1), L.nn.Linear(1, 1))
    sd = {"1.x": L.zeros(1), "z": L.zeros(1), "0.y": L.zeros(1), "2.w": L.zeros(1), "0.weight": L.zeros(1, 1)}
    try:
        m.load_state_dict(sd)
    except RuntimeError as e:
        return str(e)
@case
def load_non_strict(L):
    m = L.nn.Linear(2, 3)
    res = m.load_state_dict({"weight": L.zeros(3, 2), "extra": L.zeros(1)}, strict=False)
    return res, res.missing_keys, res.unexpected_keys, type(res).__name__, str(m.load_state_dict(m.state_dict()))
@case
def load_shape_mismatch_non_strict(L):
    L.nn.Linear(2, 3).load_state_dict({"weight": L.zeros(3, 3), "bias": L.zeros(3)}, strict=False)
@case
def load_non_tensor_value(L): L.nn.Linear(1, 1).load_state_dict({"weight": [[1.0]], "bias": [0.0]})
@case
def load_not_a_dict(L): L.nn.Linear(1, 1).load_state_dict([1])
@case
def load_casts_dtype(L):
    m = L.nn.Linear(2, 1)
    m.load_state_dict({"weight": L.ones(1, 2, dtype=L.float64), "bias": L.zeros(1, dtype=L.float64)})
    return str(m.weight.dtype), r(m.weight)
@case
def load_assign(L):
    m = L.nn.Linear(2, 1)
    p = L.nn.Parameter(L.ones(1, 2), requires_grad=False)
    m.load_state_dict({"weight": p, "bias": L.zeros(1)}, assign=True)
    return m.weight is p, m.weight.requires_grad, type(m.bias).__name__, m.bias.requires_grad
@case
def load_bn_without_num_batches_tracked(L):
    m = L.nn.BatchNorm1d(2)
    plain = {k: v for k, v in m.state_dict().items() if "num_batches" not in k}  # no _metadata: an old checkpoint
    versioned = m.state_dict(); del versioned["num_batches_tracked"]
    return m.load_state_dict(plain), m.load_state_dict(versioned, strict=False)
@case
def extra_state(L):
    class M(L.nn.Module):
        def get_extra_state(self): return {"a": 1}
        def set_extra_state(self, state): self.st = state
    m = M(); sd = m.state_dict(); m.load_state_dict(sd); return list(sd), m.st
@case
def state_dict_hooks(L):
    m = L.nn.Sequential(L.nn.Linear(1, 1)); calls = []
    m[0].register_state_dict_pre_hook(lambda mod, prefix, keep: calls.append(("pre", prefix, keep)))
    m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: calls.append(("post", prefix, list(sd))))
    m.state_dict()
    return calls
@case
def state_dict_post_hook_returns(L):
    m = L.nn.Linear(1, 1); m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: {}); m.state_dict()
@case
def state_dict_private_hook_replaces(L):
    m = L.nn.Linear(1, 1); m._register_state_dict_hook(lambda mod, sd, prefix, meta: {"x": 1}); return m.state_dict()
@case
def load_state_dict_hooks(L):
    m = L.nn.Sequential(L.nn.Linear(1, 1)); calls = []
    m[0].register_load_state_dict_pre_hook(
        lambda mod, sd, prefix, meta, strict, mk, uk, em: calls.append(("pre", type(mod).__name__, prefix, sorted(sd))))
    m.register_load_state_dict_post_hook(lambda mod, ik: calls.append(("post", list(ik.missing_keys))))
    m[0].register_load_state_dict_post_hook(lambda mod, ik: ik.unexpected_keys.clear())
    res = m.load_state_dict({"0.weight": L.zeros(1, 1), "0.bias": L.zeros(1), "0.bar": L.zeros(1)})
    return calls, res
@case
def load_private_pre_hook(L):
    m = L.nn.Linear(1, 1)
    m._register_load_state_dict_pre_hook(lambda sd, prefix, *rest: sd.update({prefix + "bias": L.ones(1)}))
    m.load_state_dict({"weight": L.zeros(1, 1)})
    return r(m.bias)


# -- forward hooks, full backward hooks --------------------------------------------------------------------------
def _sh(g):
    return None if g is None else (tuple(g.shape), round(float(g.sum()), 4))


@case
def forward_hooks(L):
    m = L.nn.Linear(2, 2); calls = []
    h1 = m.register_forward_pre_hook(lambda mod, a: calls.append("pre"))
    h2 = m.register_forward_hook(lambda mod, a, o: calls.append(("post", len(a), tuple(o.shape))))
    h3 = m.register_forward_hook(lambda mod, a, k, o: calls.append(("kw", sorted(k))), with_kwargs=True)
    h4 = m.register_forward_hook(lambda *a: calls.append("first"), prepend=True)
    m(L.ones(1, 2))
    for h in (h1, h2, h3, h4):
        h.remove()
    m(L.ones(1, 2))
    return calls
@case
def forward_hooks_replace(L):
    m = L.nn.Identity()
    m.register_forward_pre_hook(lambda mod, a: (a[0] * 2,))
    m.register_forward_pre_hook(lambda mod, a: a[0] + 1)
    m.register_forward_hook(lambda mod, a, o: o * 10)
    return r(m(L.ones(2)))
@case
def forward_pre_hook_kwargs(L):
    class M(L.nn.Module):
        def forward(self, x, scale=1.0): return x * scale
    m = M(); m.register_forward_pre_hook(lambda mod, a, k: (a, {"scale": 3.0}), with_kwargs=True)
    return r(m(L.ones(2)))
@case
def forward_pre_hook_kwargs_bad_return(L):
    m = L.nn.Identity(); m.register_forward_pre_hook(lambda mod, a, k: a, with_kwargs=True); m(L.ones(2))
@case
def forward_hook_always_call(L):
    class Bad(L.nn.Module):
        def forward(self, x): raise ValueError("boom")
    m = Bad(); calls = []
    m.register_forward_hook(lambda mod, a, o: calls.append(("always", o)), always_call=True)
    m.register_forward_hook(lambda mod, a, o: calls.append(("normal", o)))
    try:
        m(1)
    except ValueError:
        pass
    return calls
@case
def hook_handle_context(L):
    m = L.nn.Identity(); calls = []
    with m.register_forward_hook(lambda *a: calls.append(1)):
        m(L.ones(1))
    m(L.ones(1))
    return calls
@case
def backward_hook_linear(L):
    m = L.nn.Linear(2, 2, bias=False); calls = []
    with L.no_grad():
        m.weight.fill_(1.0)
    h = m.register_full_backward_hook(lambda mod, gi, go: calls.append(([_sh(g) for g in gi], [_sh(g) for g in go])))
    x = L.ones(1, 2, requires_grad=True)
    m(x).sum().backward()
    h.remove()
    m(x).sum().backward()
    return calls, r(x.grad)
@case
def backward_hook_input_without_grad(L):
    m = L.nn.Linear(2, 2); calls = []
    m.register_full_backward_hook(lambda mod, gi, go: calls.append(([_sh(g) for g in gi], [_sh(g) for g in go])))
    m(L.ones(1, 2)).sum().backward()
    return calls
@case
def backward_hook_replaces_grad_input(L):
    m = L.nn.Linear(2, 2, bias=False)
    with L.no_grad():
        m.weight.fill_(1.0)
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 10,))
    x = L.ones(1, 2, requires_grad=True)
    m(x).sum().backward()
    return r(x.grad), r(m.weight.grad)
@case
def backward_pre_hook_replaces_grad_output(L):
    m = L.nn.Linear(2, 2, bias=False)
    with L.no_grad():
        m.weight.fill_(1.0)
    m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 10,))
    x = L.ones(1, 2, requires_grad=True)
    m(x).sum().backward()
    return r(x.grad), r(m.weight.grad)
@case
def backward_hooks_many_args(L):
    class M(L.nn.Module):
        def forward(self, a, k, b, c, i):
            return a * 2, b * 3 + a * c, 7
    m = M(); calls = []
    m.register_full_backward_hook(lambda mod, gi, go: calls.append(("h", [_sh(g) for g in gi], [_sh(g) for g in go])))
    m.register_full_backward_pre_hook(lambda mod, go: calls.append(("pre", [_sh(g) for g in go])))
    a, b = L.ones(2, requires_grad=True), L.ones(2, requires_grad=True)
    o1, o2, _ = m(a, 5, b, L.full((2,), 3.0), L.tensor([1, 2]))
    (o1.sum() + 2 * o2.sum()).backward()
    return calls, r(a.grad), r(b.grad)
@case
def backward_hooks_unused_output(L):
    class M(L.nn.Module):
        def forward(self, a, b): return a * 2, a * 3
    m = M(); calls = []
    m.register_full_backward_hook(lambda mod, gi, go: calls.append(([_sh(g) for g in gi], [_sh(g) for g in go])))
    a, b = L.ones(2, requires_grad=True), L.ones(2, requires_grad=True)
    m(a, b)[0].sum().backward()
    return calls
@case
def backward_hooks_order(L):
    calls = []
    m = L.nn.Sequential(L.nn.Linear(2, 3), L.nn.ReLU(), L.nn.Linear(3, 1))
    for i, sub in enumerate(m):
        sub.register_full_backward_hook(lambda mod, gi, go, i=i: calls.append(("h", i)))
        sub.register_full_backward_pre_hook(lambda mod, go, i=i: calls.append(("pre", i)))
    m.register_full_backward_hook(lambda mod, gi, go: calls.append("seq"))
    m.register_full_backward_pre_hook(lambda mod, go: calls.append("seq-pre"), prepend=True)
    m(L.ones(1, 2, requires_grad=True)).sum().backward()
    return calls
@case
def backward_hook_wrong_count(L):
    m = L.nn.Linear(2, 2); m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    m(L.ones(1, 2, requires_grad=True)).sum().backward()
@case
def backward_pre_hook_wrong_count(L):
    m = L.nn.Linear(2, 2); m.register_full_backward_pre_hook(lambda mod, go: (go[0], go[0]))
    m(L.ones(1, 2, requires_grad=True)).sum().backward()
@case
def backward_hook_no_input_grad_must_return_none(L):
    m = L.nn.Linear(2, 2); m.register_full_backward_hook(lambda mod, gi, go: (L.ones(1, 2),))
    m(L.ones(1, 2)).sum().backward()
@case
def backward_hook_under_no_grad(L):
    m = L.nn.Linear(2, 2); calls = []
    m.register_full_backward_hook(lambda *a: calls.append(1))
    with L.no_grad():
        y = m(L.ones(1, 2, requires_grad=True))
    return y.requires_grad, calls


# -- reprs -------------------------------------------------------------------------------------------------------
@case
def repr_nested(L):
    class Net(L.nn.Module):
        def __init__(self):
            super().__init__(); self.fc = L.nn.Linear(2, 2); self.act = L.nn.GELU()
        def extra_repr(self): return "hello=1"
    return str(L.nn.Sequential(L.nn.Linear(2, 3), L.nn.ReLU(inplace=True), Net(),
                               L.nn.Sequential(L.nn.Dropout(0.2), L.nn.Conv2d(3, 4, 3))))
@case
def repr_containers(L):
    m = L.nn.ModuleDict({"enc": L.nn.Sequential(L.nn.Linear(2, 2), L.nn.ModuleList([L.nn.ReLU()] * 3 + [L.nn.Tanh()])),
                         "p": L.nn.ParameterList([L.nn.Parameter(L.zeros(2, 3)), L.zeros(3)]),
                         "d": L.nn.ParameterDict({"b": L.nn.Parameter(L.zeros(2)), "a": L.zeros(3)})})
    return str(m), str(L.nn.Module()), str(L.nn.Sequential()), str(L.nn.ModuleList())


# -- containers --------------------------------------------------------------------------------------------------
def seq(L):
    return L.nn.Sequential(L.nn.Linear(1, 1), L.nn.ReLU(), L.nn.Tanh(), L.nn.Sigmoid())


@case
def sequential_indexing(L):
    s = seq(L)
    return type(s[0]).__name__, type(s[-1]).__name__, type(s[1:3]).__name__, tnames(s[1:3]), tnames(s[::-1]), \
        list(s[1:3]._modules), len(s)
@case
def sequential_index_oob(L): seq(L)[4]
@case
def sequential_index_oob_negative(L): seq(L)[-5]
@case
def sequential_del(L):
    s = seq(L); del s[1]; a = (tnames(s), list(s._modules))
    del s[-1]; b = (tnames(s), list(s._modules))
    s = seq(L); del s[1:3]
    return a, b, (tnames(s), list(s._modules))
@case
def sequential_mutation(L):
    s = seq(L); s[-1] = L.nn.GELU(); r1 = s.append(L.nn.ELU()); s.insert(0, L.nn.SELU()); s.insert(-1, L.nn.CELU())
    r2 = s.extend([L.nn.Mish()]); popped = s.pop(1)
    return r1 is s, r2 is s, tnames(s), list(s._modules), type(popped).__name__
@case
def sequential_insert_oob(L): seq(L).insert(10, L.nn.ReLU())
@case
def sequential_setitem_bad(L):
    s = seq(L); s[0] = 3
@case
def sequential_ordered_dict(L):
    s = L.nn.Sequential(OrderedDict([("a", L.nn.ReLU()), ("b", L.nn.Tanh()), ("c", L.nn.GELU())]))
    out = list(s._modules), type(s[1]).__name__, type(s.a).__name__, str(s)
    del s[0]
    return out, list(s._modules)
@case
def sequential_add_mul(L):
    return len(seq(L) + seq(L)), list((seq(L) + seq(L))._modules)[-2:], len(seq(L) * 2)
@case
def sequential_empty_forward(L):
    x = L.ones(2); return L.nn.Sequential()(x) is x
@case
def modulelist_ops(L):
    m = L.nn.ModuleList([L.nn.Linear(1, 1), L.nn.ReLU(), L.nn.Tanh()])
    out = [tnames(m), type(m[-1]).__name__, type(m[0:2]).__name__, tnames(m[::2])]
    m.insert(1, L.nn.GELU()); m.insert(-1, L.nn.ELU()); out.append((tnames(m), list(m._modules)))
    del m[0]; del m[-1]; out.append((tnames(m), list(m._modules)))
    del m[::2]; out.append(tnames(m))
    r1 = m.extend([L.nn.Mish()]); m += [L.nn.SiLU()]; m2 = m + m
    out.append((r1 is m, tnames(m), len(m2), type(m2).__name__, type(m.pop(0)).__name__, m[0] in m))
    return out
@case
def modulelist_index_oob(L): L.nn.ModuleList([L.nn.ReLU()])[1]
@case
def modulelist_extend_bad(L): L.nn.ModuleList().extend(3)
@case
def modulelist_call(L): L.nn.ModuleList()(1)
@case
def moduledict_ops(L):
    m = L.nn.ModuleDict({"b": L.nn.ReLU(), "a": L.nn.Tanh()})
    out = [list(m.keys()), list(m), tnames(m.values()), [k for k, _ in m.items()], len(m), "a" in m]
    m.update([("c", L.nn.GELU()), ("a", L.nn.ELU())]); out.append((list(m.keys()), tnames(m.values())))
    out.append(type(m.pop("b")).__name__); del m["a"]; out.append(list(m.keys())); m.clear(); out.append(len(m))
    out.append(list(L.nn.ModuleDict(OrderedDict([("z", L.nn.ReLU()), ("a", L.nn.ReLU())])).keys()))
    return out
@case
def moduledict_missing(L): L.nn.ModuleDict()["zz"]
@case
def moduledict_bad_pair(L): L.nn.ModuleDict().update([("c",)])
@case
def moduledict_bad_value(L):
    m = L.nn.ModuleDict(); m["c"] = 3
@case
def parameterlist_ops(L):
    p = L.nn.ParameterList([L.nn.Parameter(L.ones(2)), L.zeros(3)])
    out = [len(p), tnames(p), [x.requires_grad for x in p], names(p.named_parameters()), type(p[0:1]).__name__]
    p.append("hello"); p.append(3); p[0] = L.ones(5); r1 = p.extend([L.ones(1)])
    out.append((len(p), p[2], p[3], names(p.named_parameters()), tuple(p[0].shape), type(p[0]).__name__, r1 is p,
                list(p.state_dict()), str(p)))
    return out
@case
def parameterlist_oob(L): L.nn.ParameterList([L.ones(1)])[1]
@case
def parameterlist_call(L): L.nn.ParameterList()(1)
@case
def parameterdict_ops(L):
    p = L.nn.ParameterDict({"b": L.nn.Parameter(L.ones(2)), "a": L.zeros(3)})
    out = [list(p.keys()), len(p), "a" in p, type(p["a"]).__name__, names(p.named_parameters()), list(p.state_dict())]
    p["c"] = "str"; out.append((p["c"], list(p.keys())))
    x = p.pop("a"); g = p.get("zz", 5); p.setdefault("q", L.ones(1)); k, _ = p.popitem()
    out.append((type(x).__name__, g, k, list(p.keys()), list(reversed(p)), list(p.fromkeys(["x", "y"]).keys())))
    p.update([("z", L.ones(1))]); p.update({"y": L.ones(1), "d": L.ones(1)}); out.append(list(p.keys()))
    out.append(list((p | L.nn.ParameterDict({"e": L.ones(1)})).keys()))
    p.clear(); out.append((len(p), names(p.named_parameters())))
    return out
@case
def parameterdict_missing(L): L.nn.ParameterDict()["zz"]
@case
def parameterdict_int_key(L): L.nn.ParameterDict()[1]


@pytest.mark.parametrize("fn", CASES, ids=[f.__name__ for f in CASES])
def test_module_api(fn):
    same(fn)


# -- layer constructors: names, shapes, dtypes, buffers, reprs, attributes ----------------------------------------
LAYERS = """
Linear(3, 4) | Linear(3, 4, bias=False) | Linear(0, 4) | Bilinear(2, 3, 4) | Bilinear(2, 3, 4, bias=False)
Identity(3, foo=4) | Flatten() | Flatten(0, 2) | Unflatten(1, (2, 3))
Conv1d(2, 4, 3) | Conv2d(2, 4, 3, stride=2, padding=1, dilation=2, groups=2, bias=False, padding_mode='reflect')
Conv2d(2, 4, (3, 5), padding='same') | Conv2d(2, 4, 3, padding='valid') | Conv3d(2, 4, 3, padding_mode='circular', padding=1)
ConvTranspose1d(2, 4, 3) | ConvTranspose2d(2, 4, 3, stride=2, output_padding=1, groups=2) | ConvTranspose3d(2, 4, 3, bias=False, dilation=2)
BatchNorm1d(3) | BatchNorm2d(3, momentum=None) | BatchNorm3d(3, affine=False, track_running_stats=False) | BatchNorm2d(3, eps=1e-3, momentum=0.2)
LayerNorm(4) | LayerNorm((2, 4), elementwise_affine=False) | LayerNorm(4, bias=False) | GroupNorm(2, 4) | GroupNorm(2, 4, affine=False, eps=1e-3)
InstanceNorm1d(3) | InstanceNorm2d(3, affine=True) | InstanceNorm3d(3, track_running_stats=True) | LocalResponseNorm(3) | RMSNorm([2, 4], eps=1e-5, elementwise_affine=False)
Embedding(10, 3) | Embedding(10, 3, padding_idx=-1, max_norm=1.0, scale_grad_by_freq=True) | EmbeddingBag(10, 3, mode='sum', padding_idx=2)
Dropout() | Dropout(0.2, inplace=True) | Dropout1d() | Dropout2d(0.3) | Dropout3d() | AlphaDropout() | FeatureAlphaDropout(0.1)
RNN(3, 4) | RNN(3, 4, num_layers=2, nonlinearity='relu', bias=False, batch_first=True, dropout=0.1, bidirectional=True)
LSTM(3, 4, 2, bidirectional=True) | LSTM(3, 4, proj_size=2) | LSTM(3, 4, num_layers=2, proj_size=2, bidirectional=True) | GRU(3, 4, 3, dropout=0.5)
RNNCell(3, 4, bias=False, nonlinearity='relu') | LSTMCell(3, 4) | GRUCell(3, 4)
MultiheadAttention(8, 2) | MultiheadAttention(8, 2, kdim=4, vdim=6) | MultiheadAttention(8, 2, bias=False, add_bias_kv=True, add_zero_attn=True, batch_first=True, dropout=0.1)
TransformerEncoderLayer(8, 2, 16) | TransformerEncoderLayer(8, 2, 16, activation='gelu', norm_first=True, batch_first=True, bias=False) | TransformerDecoderLayer(8, 2, 16)
TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2, norm=nn.LayerNorm(8), enable_nested_tensor=False) | Transformer(8, 2, 1, 1, 16)
ReLU(True) | ReLU6(inplace=True) | LeakyReLU(0.2, True) | ELU(alpha=0.5, inplace=True) | CELU() | SELU(True) | GELU(approximate='tanh')
SiLU(inplace=True) | Mish() | Hardtanh(-2.0, 2.0, True) | Hardsigmoid() | Hardswish() | Softplus(beta=2.0, threshold=10.0)
Softshrink() | Hardshrink(0.3) | Threshold(0.1, 20.0) | PReLU(3, init=0.1) | RReLU(0.1, 0.3, inplace=True) | GLU(dim=1)
Softmax() | Softmax(dim=1) | LogSoftmax(dim=-1) | Softmin(1) | Softmax2d() | LogSigmoid() | Tanhshrink() | Softsign()
MaxPool1d(2) | MaxPool2d(3, stride=2, padding=1, ceil_mode=True) | AvgPool2d(2, stride=1, padding=1, count_include_pad=False, divisor_override=2)
AdaptiveAvgPool2d((None, 3)) | AdaptiveMaxPool2d(3, return_indices=True) | LPPool2d(2.0, 3, stride=2) | MaxUnpool2d(2)
Upsample(scale_factor=2) | Upsample(size=(4, 4), mode='bilinear', align_corners=True) | UpsamplingNearest2d(scale_factor=2)
PixelShuffle(2) | PixelUnshuffle(2) | ChannelShuffle(2) | Fold(output_size=(4, 5), kernel_size=2) | Unfold(kernel_size=(2, 3), padding=1, stride=2)
CosineSimilarity() | PairwiseDistance(p=1.0, eps=1e-5, keepdim=True)
ZeroPad1d(2) | ZeroPad2d((1, 2, 3, 4)) | ZeroPad3d(1) | ConstantPad1d((1, 2), 3.5) | ConstantPad2d(1, 0.5) | ConstantPad3d(1, -1.0)
ReflectionPad1d(2) | ReflectionPad2d((1, 1, 2, 0)) | ReflectionPad3d(1) | ReplicationPad1d(2) | ReplicationPad2d(1) | ReplicationPad3d(1)
CircularPad1d(2) | CircularPad2d(1) | CircularPad3d((1, 0, 1, 0, 1, 0))
CrossEntropyLoss(ignore_index=1, label_smoothing=0.1, reduction='sum') | KLDivLoss(reduction='batchmean', log_target=True) | HuberLoss(delta=2.0)
"""
LAYER_CTORS = [c.strip() for line in LAYERS.strip().splitlines() for c in line.split("|")]


def _describe(m):
    def dt(t):
        return None if t is None else _norm(str(t.dtype))

    attrs = {}
    for k, v in vars(m).items():
        if k.startswith("_"):
            continue
        if isinstance(v, (torch.Tensor, tl.Tensor)):
            v = ("tensor", tuple(v.shape))
        elif isinstance(v, (torch.nn.Module, tl.nn.Module)):
            v = type(v).__name__
        elif callable(v):
            v = getattr(v, "__name__", type(v).__name__)
        attrs[k] = _norm(repr(v))
    return (_norm(str(m)), [(n, tuple(p.shape), dt(p), p.requires_grad) for n, p in m.named_parameters()],
            [(n, None if b is None else tuple(b.shape), dt(b)) for n, b in m.named_buffers()], list(m.state_dict()),
            attrs)


@pytest.mark.parametrize("ctor", LAYER_CTORS)
def test_layer_constructor(ctor):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _describe(eval("nn." + ctor, {"nn": torch.nn}))
        got = _describe(eval("nn." + ctor, {"nn": tl.nn}))
    assert got == expected


@pytest.mark.parametrize("ctor", ["Linear(2, 3, dtype={L}.float64)", "Conv2d(2, 3, 1, dtype={L}.float64)",
                                  "BatchNorm1d(2, dtype={L}.float64)", "LSTM(2, 3, dtype={L}.float64)",
                                  "MultiheadAttention(4, 2, dtype={L}.float64)", "Embedding(2, 3, dtype={L}.float64)",
                                  "Embedding(2, 3, dtype={L}.int64)", "GroupNorm(3, 4)", "Conv2d(3, 2, 3, groups=2)",
                                  "Conv2d(4, 4, 3, groups=0)", "Conv2d(4, 4, 3, padding_mode='foo')",
                                  "Conv2d(4, 4, 3, padding='full')", "Conv2d(4, 4, 3, padding='same', stride=2)",
                                  "ConvTranspose2d(4, 4, 3, padding_mode='reflect')", "RNN(2, 3, nonlinearity='gelu')",
                                  "LSTM(2, 3, dropout=2.0)", "LSTM(2, 3, proj_size=3)", "GRU(2, 3, proj_size=1)",
                                  "MultiheadAttention(10, 3)", "TransformerEncoderLayer(8, 2, 16, activation='tanh')",
                                  "Dropout(1.5)", "Embedding(4, 2, padding_idx=4)", "Embedding(4, 2, padding_idx=-5)"])
def test_layer_constructor_dtype_and_errors(ctor):
    def build(L):
        m = eval("nn." + ctor.format(L="L"), {"nn": L.nn, "L": L})
        return [(n, str(p.dtype)) for n, p in m.state_dict().items()]
    same(build)


# -- layer outputs, with torch's weights loaded ---------------------------------------------------------------------
def _to_tl(x):
    if isinstance(x, torch.Tensor):
        return tl.tensor(x.detach().numpy())
    if isinstance(x, (tuple, list)):
        return type(x)(_to_tl(v) for v in x)
    return x


def _flat(x):
    if isinstance(x, (tuple, list)):
        return [a for v in x for a in _flat(v)]
    return [None if x is None else x.detach().numpy()]


g = torch.Generator().manual_seed(0)
X1, X3, X4, X5 = (torch.randn(*s, generator=g) for s in [(4, 3), (2, 3, 5), (2, 3, 6, 6), (2, 3, 4, 4, 4)])
Q, K = torch.randn(5, 2, 8, generator=g), torch.randn(6, 2, 8, generator=g)
FORWARD = [
    ("BatchNorm1d(3)", (X1,), {}, True, 3), ("BatchNorm1d(3, momentum=None)", (X3,), {}, True, 3),
    ("BatchNorm2d(3, affine=False)", (X4,), {}, True, 2), ("BatchNorm2d(3, track_running_stats=False)", (X4,), {}, False, 1),
    ("BatchNorm2d(3)", (X4,), {}, False, 1), ("BatchNorm3d(3)", (X5,), {}, True, 1),
    ("InstanceNorm2d(3, affine=True, track_running_stats=True)", (X4,), {}, True, 2), ("InstanceNorm1d(3)", (X3[0],), {}, True, 1),
    ("GroupNorm(3, 3)", (X4,), {}, True, 1), ("LayerNorm([6, 6], bias=False)", (X4,), {}, True, 1), ("RMSNorm(6)", (X4,), {}, True, 1),
    ("Bilinear(3, 3, 2)", (X1, X1), {}, True, 1), ("Conv1d(3, 4, 4, padding='same', dilation=2)", (X3,), {}, True, 1),
    ("Conv2d(3, 6, 3, padding=1, padding_mode='reflect', groups=3)", (X4,), {}, True, 1),
    ("Conv2d(3, 6, 3, padding=(1, 2), padding_mode='circular')", (X4,), {}, True, 1),
    ("Conv2d(3, 6, 3, padding=1, padding_mode='replicate', stride=2)", (X4,), {}, True, 1),
    ("ConvTranspose2d(3, 4, 3, stride=2)", (X4,), {"output_size": [14, 14]}, True, 1),
    ("Embedding(10, 3, padding_idx=0)", (torch.tensor([[0, 2], [4, 9]]),), {}, True, 1),
    ("Embedding(10, 3, max_norm=0.5)", (torch.tensor([[0, 2], [4, 9]]),), {}, True, 1),
    ("EmbeddingBag(10, 3)", (torch.tensor([1, 2, 4, 5, 4, 3]), torch.tensor([0, 3])), {}, True, 1),
    ("LSTM(5, 4, 2, batch_first=True, bidirectional=True)", (X3,), {}, False, 1),
    ("LSTM(5, 4, proj_size=2, batch_first=True)", (X3,), {}, False, 1),
    ("GRU(5, 4, 2, batch_first=True)", (X3, torch.randn(2, 2, 4, generator=g)), {}, False, 1),
    ("RNN(5, 4, nonlinearity='relu')", (X3[0],), {}, False, 1), ("LSTMCell(3, 4)", (X1,), {}, False, 1),
    ("MultiheadAttention(8, 2)", (Q, K, K), {"average_attn_weights": False}, False, 1),
    ("MultiheadAttention(8, 2)", (Q, K, K), {"need_weights": False}, False, 1),
    ("MultiheadAttention(8, 2, kdim=4, vdim=6)", (Q, K[..., :4], K[..., :6]), {}, False, 1),
    ("MultiheadAttention(8, 2, add_bias_kv=True, add_zero_attn=True)", (Q, K, K), {}, False, 1),
    ("MultiheadAttention(8, 2)", (Q, K, K), {"key_padding_mask": torch.tensor([[False] * 5 + [True], [False] * 6])}, False, 1),
    ("TransformerEncoderLayer(8, 2, 16, activation='gelu', norm_first=True, batch_first=True)", (Q,), {}, False, 1),
    ("TransformerEncoderLayer(8, 2, 16, activation=F.silu)", (Q,), {}, False, 1),
    ("TransformerDecoderLayer(8, 2, 16)", (Q, K), {}, False, 1), ("PReLU(3)", (X4,), {}, True, 1),
    ("Softmax()", (X3,), {}, True, 1), ("Softmin()", (X4,), {}, True, 1), ("Unflatten(-1, (2, 3))", (X4,), {}, True, 1),
    ("MaxPool2d(2, return_indices=True)", (X4,), {}, True, 1), ("AdaptiveMaxPool2d(4, return_indices=True)", (X4,), {}, True, 1),
    ("ZeroPad2d((1, 2, 0, 1))", (X4,), {}, True, 1), ("ConstantPad1d(2, 3.5)", (X3[0],), {}, True, 1),
    ("ReflectionPad2d((1, 1, 2, 0))", (X4,), {}, True, 1), ("ReplicationPad3d(1)", (X5,), {}, True, 1),
    ("CircularPad1d(1)", (X3,), {}, True, 1), ("CircularPad2d((1, 2, 0, 1))", (X4[0],), {}, True, 1),
    ("ChannelShuffle(3)", (torch.randn(2, 6, 2, 2, generator=g),), {}, True, 1),
]


@pytest.mark.parametrize("ctor,args,kwargs,train,steps", FORWARD, ids=[f"{c[0]}-{i}" for i, c in enumerate(FORWARD)])
def test_layer_forward_matches_torch(ctor, args, kwargs, train, steps):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = eval("nn." + ctor, {"nn": torch.nn, "F": torch.nn.functional})
        lm = eval("nn." + ctor, {"nn": tl.nn, "F": tl.nn.functional})
        lm.load_state_dict({k: tl.tensor(v.numpy()) for k, v in tm.state_dict().items()})
        tm.train(train), lm.train(train)
        for _ in range(steps):
            expected = _flat(tm(*args, **kwargs))
            got = _flat(lm(*_to_tl(args), **{k: _to_tl(v) for k, v in kwargs.items()}))
            assert len(got) == len(expected)
            for a, b in zip(expected, got):
                assert (a is None) == (b is None)
                if a is not None:
                    assert b.shape == a.shape and b.dtype == a.dtype
                    np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5)
        for k, v in tm.state_dict().items():  # running statistics, num_batches_tracked
            np.testing.assert_allclose(lm.state_dict()[k].numpy(), v.numpy(), rtol=1e-5, atol=1e-6, err_msg=k)


@pytest.mark.parametrize("ctor,shape", [("CircularPad2d(1)", (2, 3)), ("ChannelShuffle(4)", (2, 6, 2)),
                                        ("ChannelShuffle(2)", (2, 6)), ("ReflectionPad1d(3)", (1, 2, 3)),
                                        ("BatchNorm2d(3)", (2, 3, 4)), ("BatchNorm1d(3)", (1, 3)),
                                        ("LayerNorm(4)", (2, 3)), ("Linear(3, 2)", (2, 4)), ("Conv2d(3, 2, 3)", (1, 4, 5, 5)),
                                        ("GRU(2, 3)", (4, 1, 2, 1)), ("Dropout1d()", (2, 3, 4, 5)), ("GLU()", (3,)),
                                        ("InstanceNorm2d(3)", (3, 4)), ("Embedding(2, 2)", None)])
def test_layer_forward_error_types(ctor, shape):
    def call(L):
        m = eval("nn." + ctor, {"nn": L.nn})
        return m(L.tensor([2])) if shape is None else m(L.ones(*shape))
    same(call)


# -- activations in place, dropout, embeddings --------------------------------------------------------------------
@pytest.mark.parametrize("ctor", ["ReLU(True)", "ReLU6(True)", "LeakyReLU(0.1, True)", "ELU(inplace=True)", "SELU(True)",
                                  "CELU(inplace=True)", "SiLU(True)", "Hardtanh(inplace=True)", "Hardswish(True)",
                                  "Hardsigmoid(True)", "Mish(True)", "Threshold(0.5, 9.0, True)", "Dropout(0.0, True)",
                                  "ReLU()", "GELU()"])
def test_activation_inplace(ctor):
    def run(L):
        x = L.tensor([-1.5, 0.25, 2.0])
        y = eval("nn." + ctor, {"nn": L.nn})(x)
        return r(x), y is x
    same(run)


def test_embedding_from_pretrained_and_padding():
    def run(L):
        w = L.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        e = L.nn.Embedding.from_pretrained(w)
        e2 = L.nn.Embedding.from_pretrained(w, freeze=False, padding_idx=1, max_norm=2.0)
        b = L.nn.EmbeddingBag.from_pretrained(w, mode="sum")
        e3 = L.nn.Embedding(4, 2, padding_idx=1)
        e3(L.tensor([1, 2, 1])).sum().backward()
        return (e.weight.requires_grad, e2.weight.requires_grad, e2.padding_idx, str(e2), r(e(L.tensor([2]))),
                b.weight.requires_grad, r(b(L.tensor([[0, 2]]))), r(e3.weight.grad), r(e3.weight[1]))
    same(run)


def test_dropout_statistics():
    tl.manual_seed(0)
    y = tl.nn.Dropout(0.3)(tl.ones(20000))
    np.testing.assert_allclose(sorted(set(y.numpy().tolist())), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs(float((y == 0).float().mean()) - 0.3) < 0.02
    z = tl.nn.Dropout2d(0.5)(tl.ones(4, 8, 9)[..., None]).reshape(4, 8, 9)
    assert bool(((z == 0).all(-1) | (z != 0).all(-1)).all())  # whole channels
    x = tl.ones(10)
    assert tl.nn.Dropout(0.5).eval()(x) is x


# -- nn.init --------------------------------------------------------------------------------------------------------
def test_init_gains_and_errors():
    for nl in ["linear", "conv2d", "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]:
        assert tl.nn.init.calculate_gain(nl) == pytest.approx(torch.nn.init.calculate_gain(nl))
    assert tl.nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(torch.nn.init.calculate_gain("leaky_relu", 0.2))
    for call in [lambda L: L.nn.init.calculate_gain("foo"), lambda L: L.nn.init.calculate_gain("leaky_relu", "x"),
                 lambda L: L.nn.init.xavier_uniform_(L.empty(3)),
                 lambda L: L.nn.init.kaiming_uniform_(L.empty(3, 3), mode="fan_avg"),
                 lambda L: L.nn.init.eye_(L.empty(3, 3, 3)), lambda L: L.nn.init.dirac_(L.empty(3, 3)),
                 lambda L: L.nn.init.orthogonal_(L.empty(3)), lambda L: L.nn.init.sparse_(L.empty(3, 3, 3), 0.1),
                 lambda L: L.nn.init._calculate_fan_in_and_fan_out(L.empty(4, 3, 2, 5)),
                 lambda L: r(L.nn.init.dirac_(L.empty(4, 2, 3), groups=2)),
                 lambda L: L.nn.init.constant_(L.empty(2, dtype=L.int64), 3).tolist()]:
        same(call)


@pytest.mark.parametrize("name,args", [("uniform_", (-0.5, 0.5)), ("normal_", (0.0, 2.0)), ("constant_", (2.0,)),
                                       ("ones_", ()), ("zeros_", ()), ("eye_", ()), ("xavier_uniform_", (2.0,)),
                                       ("xavier_normal_", ()), ("kaiming_uniform_", (math.sqrt(5),)),
                                       ("kaiming_normal_", (0, "fan_out", "relu")), ("orthogonal_", (0.5,)),
                                       ("trunc_normal_", (0.0, 1.0, -0.5, 0.5)), ("sparse_", (0.5,))])
def test_init_returns_tensor_in_place_without_grad(name, args):
    p = tl.nn.Parameter(tl.empty(64, 96))
    out = getattr(tl.nn.init, name)(p, *args)
    assert out is p and p.grad_fn is None and p.is_leaf and p.requires_grad
    t = torch.nn.Parameter(torch.empty(64, 96))
    getattr(torch.nn.init, name)(t, *args)
    a, b = p.detach().numpy(), t.detach().numpy()
    # same distribution: the same spread (6144 samples: a 5% bound) and, for bounded ones, the same range
    assert abs(a.std() - b.std()) <= 0.05 * b.std() + 1e-7
    if "normal" not in name and name not in ("orthogonal_", "sparse_"):
        assert abs(a.max() - b.max()) <= 0.02 * abs(b.max()) + 1e-7 and abs(a.min() - b.min()) <= 0.02 * abs(b.min()) + 1e-7


@pytest.mark.parametrize("ctor", ["Linear(64, 128)", "Conv2d(16, 32, 3, groups=4)", "ConvTranspose2d(16, 32, 3)",
                                  "Bilinear(16, 24, 32)", "Embedding(200, 64)", "LSTM(32, 64)", "GRUCell(32, 64)",
                                  "MultiheadAttention(64, 4, kdim=32)", "PReLU(8)", "BatchNorm1d(8)"])
def test_default_init_distribution(ctor):
    tm, lm = eval("nn." + ctor, {"nn": torch.nn}), eval("nn." + ctor, {"nn": tl.nn})
    tp = dict(tm.named_parameters())
    for name, p in lm.named_parameters():
        a, b = p.detach().numpy(), tp[name].detach().numpy()
        # the same range (uniform inits: sample extremes are within ~10% of the bound from 32 samples on;
        # Embedding's N(0, 1) extremes vary more) and, for large tensors, the same spread
        tol = 0.4 if ctor.startswith("Embedding") else 0.15
        assert abs(np.abs(a).max() - np.abs(b).max()) <= tol * np.abs(b).max() + 1e-6, name
        if b.size >= 1000:
            assert abs(a.std() - b.std()) <= 0.1 * b.std() + 1e-7, name


# -- nn.utils -------------------------------------------------------------------------------------------------------
def _params(L, *grads):
    ps = []
    for gr in grads:
        p = L.nn.Parameter(L.ones(len(gr)))
        p.grad = None if gr is None else L.tensor(gr)
        ps.append(p)
    return ps


UTILS = []


def util(fn):
    UTILS.append(fn)
    return fn


@util
def clip_norm(L):
    ps = _params(L, [2.0, 2.0, 2.0], [-1.0, -1.0, -1.0, -1.0], None)
    n = L.nn.utils.clip_grad_norm_(ps, 1.0)
    return type(n).__name__, tuple(n.shape), round(n.item(), 5), str(n.dtype), [r(p.grad) for p in ps]
@util
def clip_norm_inf_single_tensor(L):
    p = _params(L, [1.0, -5.0, 2.0])[0]
    n = L.nn.utils.clip_grad_norm_(p, 2.0, norm_type="inf")
    return round(n.item(), 5), r(p.grad)
@util
def clip_norm_foreach_p1(L):
    ps = _params(L, [1.0, -5.0, 2.0])
    return round(L.nn.utils.clip_grad_norm_(ps, max_norm=2.0, norm_type=1, foreach=True).item(), 5), r(ps[0].grad)
@util
def clip_norm_nonfinite_error(L):
    L.nn.utils.clip_grad_norm_(_params(L, [1.0, float("inf")]), 1.0, error_if_nonfinite=True)
@util
def clip_norm_nan(L):
    ps = _params(L, [1.0, float("nan")])
    return str(L.nn.utils.clip_grad_norm_(ps, 1.0).item()), str(r(ps[0].grad))
@util
def clip_norm_empty(L):
    n = L.nn.utils.clip_grad_norm_([], 1.0); m = L.nn.utils.clip_grad_norm_(_params(L, None), 1.0)
    return n.item(), str(n.dtype), m.item()
@util
def clip_value(L):
    ps = _params(L, [1.0, -5.0, 2.0])
    return L.nn.utils.clip_grad_value_(ps, 1.5, foreach=False), r(ps[0].grad)
@util
def total_norm(L):
    return round(L.nn.utils.get_total_norm([L.ones(3), L.ones(2) * 2], norm_type=3).item(), 5)
@util
def params_vector(L):
    m = L.nn.Linear(2, 3)
    with L.no_grad():
        for i, p in enumerate(m.parameters()):
            p.fill_(i + 1)
    v = L.nn.utils.parameters_to_vector(m.parameters())
    L.nn.utils.vector_to_parameters(L.arange(9.0), m.parameters())
    return r(v), v.requires_grad, r(m.weight), r(m.bias), type(m.weight).__name__
@util
def vector_to_parameters_bad(L): L.nn.utils.vector_to_parameters([1.0], [])
@util
def pad_sequence_variants(L):
    seqs = [L.ones(2, 3), L.ones(4, 3) * 2, L.ones(1, 3) * 3]
    ps = L.nn.utils.rnn.pad_sequence
    return tuple(ps(seqs).shape), r(ps(seqs, batch_first=True, padding_value=-1)), \
        r(ps(seqs, batch_first=True, padding_side="left"))
@util
def pad_sequence_bad_side(L): L.nn.utils.rnn.pad_sequence([L.ones(2)], padding_side="middle")
@util
def pack_sorted(L):
    p = L.nn.utils.rnn.pack_padded_sequence(L.arange(12.0).reshape(4, 3, 1), [4, 2, 1])
    return r(p.data), p.batch_sizes.tolist(), str(p.batch_sizes.dtype), p.sorted_indices, p.unsorted_indices, \
        L.nn.utils.rnn.PackedSequence._fields
@util
def pack_unsorted_roundtrip(L):
    p = L.nn.utils.rnn.pack_padded_sequence(L.arange(12.0).reshape(3, 4, 1), L.tensor([2, 4, 1]), batch_first=True,
                                            enforce_sorted=False)
    out, lens = L.nn.utils.rnn.pad_packed_sequence(p, batch_first=True, total_length=5, padding_value=-1.0)
    return r(p.data), p.batch_sizes.tolist(), p.sorted_indices.tolist(), p.unsorted_indices.tolist(), r(out), \
        lens.tolist(), str(lens.dtype)
@util
def pack_enforce_sorted_error(L): L.nn.utils.rnn.pack_padded_sequence(L.ones(3, 2), [1, 3])
@util
def pack_zero_length_error(L): L.nn.utils.rnn.pack_padded_sequence(L.ones(3, 2), [3, 0])
@util
def pad_packed_total_length_short(L):
    p = L.nn.utils.rnn.pack_padded_sequence(L.ones(3, 2), [3, 2])
    L.nn.utils.rnn.pad_packed_sequence(p, total_length=2)
@util
def pack_and_unpack_sequence(L):
    seqs = [L.tensor([1.0, 2.0]), L.tensor([3.0, 4.0, 5.0]), L.tensor([6.0])]
    p = L.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=False)
    unpadded = L.nn.utils.rnn.unpad_sequence(L.arange(8.0).reshape(2, 4), L.tensor([3, 1]), batch_first=True)
    return r(p.data), p.batch_sizes.tolist(), [r(s) for s in L.nn.utils.rnn.unpack_sequence(p)], [r(s) for s in unpadded]
@util
def rnn_takes_packed(L):
    rnn = L.nn.GRU(1, 2)
    out, h = rnn(L.nn.utils.rnn.pack_padded_sequence(L.arange(12.0).reshape(4, 3, 1), [4, 2, 1]))
    return type(out).__name__, tuple(out.data.shape), tuple(h.shape)


def _lin(L, n_in=3, n_out=2):
    m = L.nn.Linear(n_in, n_out)
    with L.no_grad():
        m.weight.copy_(L.tensor(np.arange(n_in * n_out).reshape(n_out, n_in) * 0.1 - 0.3, dtype=L.float32))
        m.bias.fill_(0.5)
    return m


@util
def weight_norm_hook_form(L):
    m = L.nn.utils.weight_norm(_lin(L))
    out = [names(m.named_parameters()), list(m.state_dict()), r(m.weight_g), type(m.weight).__name__]
    y = m(L.ones(1, 3)); y.sum().backward()
    out += [r(y), r(m.weight_g.grad), r(m.weight_v.grad)]
    L.nn.utils.remove_weight_norm(m)
    return out, names(m.named_parameters()), type(m.weight).__name__, r(m.weight), len(m._forward_pre_hooks)
@util
def weight_norm_dims(L):
    a = L.nn.utils.weight_norm(_lin(L), dim=None); b = L.nn.utils.weight_norm(_lin(L), dim=1)
    c = L.nn.utils.weight_norm(L.nn.Conv2d(2, 3, 2))
    return tuple(a.weight_g.shape), r(a.weight_g), tuple(b.weight_g.shape), r(b.weight), tuple(c.weight_g.shape)
@util
def weight_norm_twice(L): L.nn.utils.weight_norm(L.nn.utils.weight_norm(_lin(L)))
@util
def remove_weight_norm_missing(L): L.nn.utils.remove_weight_norm(_lin(L))
@util
def weight_norm_parametrization(L):
    m = L.nn.utils.parametrizations.weight_norm(_lin(L))
    out = [names(m.named_parameters()), list(m.state_dict()), type(m).__name__, str(m), r(m.weight)]
    m(L.ones(1, 3)).sum().backward()
    out += [r(m.parametrizations.weight.original0.grad), r(m.parametrizations.weight.original1.grad)]
    m2 = copy.deepcopy(m)
    out += [type(m2).__name__, r(m2.weight)]
    L.nn.utils.parametrize.remove_parametrizations(m, "weight")
    return out, type(m).__name__, names(m.named_parameters()), r(m.weight), hasattr(m, "parametrizations")
@util
def weight_norm_parametrization_loads_old_keys(L):
    b = L.nn.utils.parametrizations.weight_norm(L.nn.Linear(3, 2))
    return b.load_state_dict(L.nn.utils.weight_norm(_lin(L)).state_dict()), r(b.weight)
@util
def weight_norm_parametrization_remove_unparametrized(L):
    L.nn.utils.parametrize.remove_parametrizations(L.nn.utils.parametrizations.weight_norm(_lin(L)), "weight",
                                                   leave_parametrized=False)
@util
def spectral_norm_parametrization(L):
    m = L.nn.utils.parametrizations.spectral_norm(_lin(L, 4, 3))
    s = L.nn.utils.parametrizations.spectral_norm(L.nn.ConvTranspose2d(2, 3, 2)).parametrizations.weight[0]
    sigma = np.linalg.svd(m.eval().weight.detach().numpy(), compute_uv=False)[0]
    return names(m.named_parameters()), list(m.state_dict()), str(m), round(float(sigma), 3), s.dim, tuple(s._u.shape)
@util
def spectral_norm_hook_form(L):
    m = L.nn.utils.spectral_norm(_lin(L, 4, 3), n_power_iterations=30)
    out = [names(m.named_parameters()), list(m.state_dict()), names(m.named_buffers()), type(m.weight).__name__]
    m(L.ones(1, 4))  # training mode: the power iteration runs
    out.append(round(float(np.linalg.svd(m.weight.detach().numpy(), compute_uv=False)[0]), 4))
    L.nn.utils.remove_spectral_norm(m)
    return out, names(m.named_parameters()), names(m.named_buffers())
@util
def spectral_norm_bad_iterations(L): L.nn.utils.spectral_norm(_lin(L), n_power_iterations=0)
@util
def parametrize_custom(L):
    P = L.nn.utils.parametrize

    class Sym(L.nn.Module):
        def forward(self, X): return X.triu() + X.triu(1).transpose(0, 1)

    class Double(L.nn.Module):
        def forward(self, X): return X * 2
        def right_inverse(self, X): return X / 2

    m = L.nn.Linear(3, 3)
    P.register_parametrization(m, "weight", Sym())
    w = m.weight
    out = [type(m).__name__, bool((w == w.T).all()), P.is_parametrized(m), P.is_parametrized(m, "bias"),
           P.type_before_parametrizations(m).__name__, isinstance(m, L.nn.Linear), list(m.state_dict())]
    P.register_parametrization(m, "weight", Double())
    m.weight = L.ones(3, 3) * 4
    out += [str(m), r(m.parametrizations.weight.original)]
    with P.cached():
        out.append(m.weight is m.weight)
    return out, m.weight is m.weight
@util
def parametrize_buffer(L):
    class Abs(L.nn.Module):
        def forward(self, X): return X.abs()
    m = L.nn.BatchNorm1d(2)
    L.nn.utils.parametrize.register_parametrization(m, "running_mean", Abs())
    return list(m.state_dict()), names(m.named_buffers())
@util
def parametrize_unknown_name(L):
    L.nn.utils.parametrize.register_parametrization(L.nn.Linear(2, 2), "foo", L.nn.Identity())
@util
def parametrize_changes_shape(L):
    class P(L.nn.Module):
        def forward(self, X): return X[0]
    L.nn.utils.parametrize.register_parametrization(L.nn.Linear(2, 2), "weight", P())
@util
def parametrize_set_without_right_inverse(L):
    m = L.nn.Linear(2, 2)
    L.nn.utils.parametrize.register_parametrization(m, "weight", L.nn.Identity())
    m.weight = L.ones(2, 2)
@util
def parametrize_remove_missing(L): L.nn.utils.parametrize.remove_parametrizations(L.nn.Linear(2, 2), "weight")
@util
def fuse_conv_bn(L):
    conv, bn = L.nn.Conv2d(2, 3, 2, bias=False).eval(), L.nn.BatchNorm2d(3).eval()
    with L.no_grad():
        conv.weight.copy_(L.tensor(np.linspace(-1, 1, 24).reshape(3, 2, 2, 2), dtype=L.float32))
        bn.running_mean.copy_(L.tensor([0.1, -0.2, 0.3])); bn.running_var.copy_(L.tensor([1.5, 0.5, 2.0]))
        bn.weight.copy_(L.tensor([1.0, 2.0, 3.0])); bn.bias.copy_(L.tensor([0.1, 0.2, 0.3]))
    f = L.nn.utils.fuse_conv_bn_eval(conv, bn)
    x = L.tensor(np.linspace(-1, 1, 32).reshape(1, 2, 4, 4), dtype=L.float32)
    return type(f).__name__, f is conv, r(f.weight), r(f.bias), r(f(x))
@util
def fuse_conv_bn_training(L): L.nn.utils.fuse_conv_bn_eval(L.nn.Conv2d(2, 3, 1), L.nn.BatchNorm2d(3))
@util
def fuse_linear_bn(L):
    bn = L.nn.BatchNorm1d(2).eval()
    with L.no_grad():
        bn.running_mean.copy_(L.tensor([0.1, -0.2])); bn.running_var.copy_(L.tensor([1.5, 0.5]))
    f = L.nn.utils.fuse_linear_bn_eval(_lin(L).eval(), bn)
    w, b = L.nn.utils.fuse_conv_bn_weights(L.ones(2, 3, 1, 1), None, L.zeros(3), L.ones(3), 0.0,
                                           L.tensor([1.0, 2.0, 3.0]), None, transpose=True)
    return r(f.weight), r(f.bias), type(f.weight).__name__, f.weight.requires_grad, r(w), r(b)
@util
def functional_call(L):
    m = _lin(L)
    w = L.ones(2, 3, requires_grad=True)
    y = L.nn.utils.stateless.functional_call(m, {"weight": w}, (L.ones(1, 3),))
    y.sum().backward()
    y2 = L.nn.utils.stateless.functional_call(m, {"bias": L.zeros(2)}, L.ones(1, 3))
    return r(y), r(w.grad), m.weight.grad, r(m.weight), r(y2)
@util
def functional_call_strict(L):
    L.nn.utils.stateless.functional_call(_lin(L), {"weight": L.ones(2, 3), "foo": L.ones(1)}, (L.ones(1, 3),),
                                         strict=True)
@util
def functional_call_buffers_and_tied(L):
    m = L.nn.BatchNorm1d(2)
    rm, rv, nbt = L.zeros(2), L.ones(2), L.tensor(0)
    L.nn.utils.stateless.functional_call(m, {"running_mean": rm, "running_var": rv, "num_batches_tracked": nbt},
                                         (L.tensor([[1.0, 2.0], [3.0, 5.0]]),))

    class T(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = L.nn.Linear(2, 2, bias=False), L.nn.Linear(2, 2, bias=False)
            self.b.weight = self.a.weight
        def forward(self, x): return self.b(self.a(x))

    y = L.nn.utils.stateless.functional_call(T(), {"a.weight": L.eye(2) * 2}, (L.ones(1, 2),))
    return r(rm), r(m.running_mean), nbt.item(), m.num_batches_tracked.item(), r(y)
@util
def skip_init(L):
    m = L.nn.utils.skip_init(L.nn.Linear, 3, 4, bias=False)
    return type(m).__name__, tuple(m.weight.shape), m.bias
@util
def skip_init_without_device_arg(L):
    class M(L.nn.Module):
        def __init__(self, a): super().__init__()
    L.nn.utils.skip_init(M, 1)


# -- lazy modules -----------------------------------------------------------------------------------------------
LAZY = [("LazyLinear(3)", (2, 5)), ("LazyLinear(3, bias=False)", (5,)), ("LazyConv1d(4, 3)", (2, 3, 8)),
        ("LazyConv2d(4, 3, groups=2, padding=1)", (2, 6, 5, 5)), ("LazyConv2d(4, 3)", (3, 5, 5)),
        ("LazyConv3d(4, 2, bias=False)", (1, 2, 3, 3, 3)), ("LazyConvTranspose1d(4, 3)", (2, 3, 5)),
        ("LazyConvTranspose2d(4, 3, stride=2, output_padding=1, groups=2)", (2, 6, 5, 5)),
        ("LazyConvTranspose3d(4, 2)", (1, 2, 3, 3, 3)), ("LazyBatchNorm1d()", (4, 3)),
        ("LazyBatchNorm2d(affine=False)", (2, 3, 4, 4)), ("LazyBatchNorm3d(track_running_stats=False)", (2, 3, 2, 2, 2)),
        ("LazyBatchNorm2d(bias=False)", (2, 3, 4, 4)), ("LazyInstanceNorm1d()", (2, 3, 5)),
        ("LazyInstanceNorm2d(affine=True)", (2, 3, 4, 4)), ("LazyInstanceNorm3d()", (2, 3, 2, 2, 2)),
        ("LazyConv2d(4, 3)", (5, 5)), ("LazyConv2d(4, 3, groups=2)", (1, 3, 5, 5))]


@pytest.mark.parametrize("ctor,shape", LAZY)
def test_lazy_module(ctor, shape):
    def run(L):
        m = eval("L.nn." + ctor)
        before = (str(m), type(m).__name__, [(n, repr(p)) for n, p in m.named_parameters()],
                  [(n, repr(b)) for n, b in m.named_buffers()], [(k, repr(v)) for k, v in m.state_dict().items()],
                  m.has_uninitialized_params())
        y = m(L.ones(*shape))
        after = (str(m), type(m).__name__, [(n, tuple(p.shape), type(p).__name__, p.requires_grad)
                                            for n, p in m.named_parameters()],
                 [(n, tuple(b.shape), type(b).__name__) for n, b in m.named_buffers()], list(m.state_dict()),
                 tuple(y.shape), len(m._forward_pre_hooks), hasattr(m, "_initialize_hook"))
        return before, after
    same(run)


@util
def lazy_load_state_dict(L):
    full = L.nn.Linear(4, 3)
    m = L.nn.LazyLinear(3)
    res = m.load_state_dict(full.state_dict())
    out = res, type(m).__name__, tuple(m.weight.shape), type(m.weight).__name__, m.in_features
    m(L.ones(1, 4))
    return out, type(m).__name__, m.in_features, bool((m.weight == full.weight).all())
@util
def lazy_state_dict_into_initialized(L): L.nn.Linear(4, 3).load_state_dict(L.nn.LazyLinear(3).state_dict())
@util
def lazy_in_sequential_and_cast(L):
    m = L.nn.Sequential(L.nn.LazyLinear(5), L.nn.ReLU(), L.nn.LazyLinear(2)).double()
    before = str(m)
    m(L.ones(3, 7, dtype=L.float64))
    return before, str(m), names(m.named_parameters()), [str(p.dtype) for p in m.parameters()]
@util
def lazy_init_bounds(L):
    m = L.nn.LazyLinear(500); m(L.ones(1, 100))
    return float(m.weight.abs().max()) <= 0.1, float(m.weight.abs().max()) > 0.09
@util
def lazy_conv_bad_input(L): L.nn.LazyConv2d(4, 3)(L.ones(5))
@util
def uninitialized_shape(L): return L.nn.parameter.UninitializedParameter().shape
@util
def uninitialized_materialize(L):
    p = L.nn.parameter.UninitializedParameter(requires_grad=False, dtype=L.float64); p.materialize((2, 3))
    b = L.nn.parameter.UninitializedBuffer(); b.materialize((4,), dtype=L.float64)
    return type(p).__name__, tuple(p.shape), p.requires_grad, str(p.dtype), type(b).__name__, str(b.dtype), \
        isinstance(p, L.nn.parameter.UninitializedParameter)


@pytest.mark.parametrize("fn", UTILS, ids=[f.__name__ for f in UTILS])
def test_nn_utils(fn):
    same(fn)


def test_signatures_match_torch():
    import inspect

    def params(f):
        return [(p.name, p.kind, p.default if p.default is inspect.Parameter.empty or
                 isinstance(p.default, (int, float, str, bool, type(None))) else "<obj>")
                for p in inspect.signature(f).parameters.values() if p.name not in ("device", "dtype")]

    for tmod, lmod in [(torch.nn, tl.nn), (torch.nn.init, tl.nn.init), (torch.nn.utils, tl.nn.utils),
                       (torch.nn.utils.rnn, tl.nn.utils.rnn), (torch.nn.utils.parametrize, tl.nn.utils.parametrize),
                       (torch.nn.utils.parametrizations, tl.nn.utils.parametrizations)]:
        for name in dir(lmod):
            tf, lf = getattr(tmod, name, None), getattr(lmod, name)
            if name.startswith("_") or tf is None or not callable(lf) or name in ("Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer") or \
                    not getattr(lf, "__module__", "").startswith("tensorlite.nn"):
                continue
            if inspect.isclass(tf):
                tf, lf = tf.__init__, lf.__init__
            try:
                expected = params(tf)
            except (TypeError, ValueError):
                continue
            assert params(lf) == expected, f"{lmod.__name__}.{name}"
    assert tl.nn.Module.register_full_backward_hook and re.match(r"<function", repr(tl.nn.Module.set_submodule))


@pytest.mark.parametrize("cls, shape, kw", [
    ("FractionalMaxPool2d", (2, 3, 9, 9), dict(kernel_size=2, output_size=4)),
    ("FractionalMaxPool2d", (2, 3, 9, 9), dict(kernel_size=3, output_ratio=0.5, return_indices=True)),
    ("FractionalMaxPool3d", (1, 2, 6, 6, 6), dict(kernel_size=2, output_size=(3, 3, 3))),
])
def test_fractional_max_pool_modules_match_torch(cls, shape, kw):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    samples = np.random.default_rng(1).random((shape[0], shape[1], len(shape) - 2)).astype(np.float32)
    ours = getattr(tl.nn, cls)(**kw, _random_samples=tl.tensor(samples))(tl.tensor(x))
    theirs = getattr(torch.nn, cls)(**kw, _random_samples=torch.tensor(samples))(torch.tensor(x))
    for a, b in zip(*((o if isinstance(o, tuple) else (o,)) for o in (ours, theirs))):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert repr(getattr(tl.nn, cls)(**kw)) == repr(getattr(torch.nn, cls)(**kw))


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=2, output_size=3, output_ratio=0.5),
                                dict(kernel_size=2, output_ratio=1.5)])
def test_fractional_max_pool_argument_errors_match_torch(kw):
    with pytest.raises(ValueError) as theirs:
        torch.nn.FractionalMaxPool2d(**kw)
    with pytest.raises(ValueError) as ours:
        tl.nn.FractionalMaxPool2d(**kw)
    assert str(ours.value) == str(theirs.value)
