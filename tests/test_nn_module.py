"""The Module API against torch.nn.Module, on the same nested model built in both libraries.

Registration and traversal (named_parameters/buffers/modules/children: names and order),
state_dict keys and round trips (also from PyTorch's weights), load_state_dict's strict errors,
train/eval propagation, forward hooks, apply, to(dtype), zero_grad, requires_grad_, and reprs
(equal to PyTorch's up to the library name).
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn as nn

torch = pytest.importorskip("torch")
tnn = torch.nn


def build(lib):
    """The same model in either library: nested containers, a custom module with a buffer, shared weights."""
    L = lib.nn

    class Block(L.Module):
        def __init__(self, c):
            super().__init__()
            self.fc = L.Linear(c, c)
            self.norm = L.BatchNorm1d(c)
            self.act = L.ReLU()
            self.register_buffer("scale", lib.ones(c))
            self.register_buffer("step", lib.zeros(1), persistent=False)

        def forward(self, x):
            return self.act(self.norm(self.fc(x))) * self.scale

    class Net(L.Module):
        def __init__(self):
            super().__init__()
            self.stem = L.Sequential(L.Linear(4, 8), L.GELU())
            self.blocks = L.ModuleList([Block(8), Block(8)])
            self.heads = L.ModuleDict({"cls": L.Linear(8, 3), "reg": L.Linear(8, 1, bias=False)})
            self.gain = L.Parameter(lib.ones(1))
            self.drop = L.Dropout(0.1)
            self.tied = self.heads["cls"]  # the same module twice: reported once

        def forward(self, x):
            x = self.stem(x)
            for b in self.blocks:
                x = b(x)
            x = self.drop(x)
            return self.heads["cls"](x) * self.gain, self.heads["reg"](x)

    return Net()


@pytest.fixture
def models():
    net, tnet = build(tl), build(torch)
    net.double()
    tnet.double()
    net.load_state_dict({k: tl.tensor(v.numpy().copy()) for k, v in tnet.state_dict().items()})
    return net, tnet


def _names(pairs):
    return [n for n, _ in pairs]


def test_traversal_names_and_order(models):
    net, tnet = models
    assert _names(net.named_parameters()) == _names(tnet.named_parameters())
    assert _names(net.named_buffers()) == _names(tnet.named_buffers())
    assert _names(net.named_modules()) == _names(tnet.named_modules())
    assert _names(net.named_children()) == _names(tnet.named_children())
    assert _names(net.named_parameters(recurse=False)) == ["gain"]
    assert _names(net.named_parameters(prefix="model")) == _names(tnet.named_parameters(prefix="model"))
    assert len(list(net.parameters())) == len(list(tnet.parameters()))
    assert [type(m).__name__ for m in net.modules()] == [type(m).__name__ for m in tnet.modules()]
    assert _names(net.named_modules(remove_duplicate=False)) == _names(tnet.named_modules(remove_duplicate=False))


def test_state_dict_keys_and_round_trip(models):
    net, tnet = models
    sd, tsd = net.state_dict(), tnet.state_dict()
    assert list(sd.keys()) == list(tsd.keys())
    assert "blocks.0.step" not in sd  # non-persistent buffer
    for k in sd:
        assert sd[k].dtype.name == str(tsd[k].dtype).replace("torch.", ""), k
        np.testing.assert_array_equal(sd[k].numpy(), tsd[k].numpy())
        assert not sd[k].requires_grad
    fresh = build(tl).double()
    result = fresh.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (k, a), (_, b) in zip(fresh.state_dict().items(), sd.items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    kv = net.state_dict(keep_vars=True)
    assert kv["gain"] is net.gain


def test_same_outputs_from_pytorch_weights(models):
    net, tnet = models
    net.eval()
    tnet.eval()
    x = np.random.default_rng(0).standard_normal((5, 4))
    out = net(tl.tensor(x))
    tout = tnet(torch.tensor(x))
    for a, b in zip(out, tout):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    net.train()
    tnet.train()
    net.drop.p = tnet.drop.p = 0.0
    out = net(tl.tensor(x))
    tout = tnet(torch.tensor(x))
    (out[0].sum() + out[1].sum()).backward()
    (tout[0].sum() + tout[1].sum()).backward()
    tgrads = dict(tnet.named_parameters())
    for name, p in net.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tgrads[name].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)
    for (name, b), (_, tb) in zip(net.named_buffers(), tnet.named_buffers()):
        np.testing.assert_allclose(b.numpy(), tb.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


def _error_text(fn):
    with pytest.raises(RuntimeError) as info:
        fn()
    return str(info.value)


def test_load_state_dict_strict_errors(models):
    net, tnet = models
    sd = net.state_dict()
    tsd = tnet.state_dict()
    # missing
    partial = OrderedDict((k, v) for k, v in sd.items() if k != "heads.cls.bias")
    msg = _error_text(lambda: net.load_state_dict(partial))
    assert "Missing key(s)" in msg and '"heads.cls.bias"' in msg
    # unexpected
    extra = OrderedDict(sd)
    extra["heads.extra.weight"] = tl.zeros(2)
    msg = _error_text(lambda: net.load_state_dict(extra))
    assert "Unexpected key(s)" in msg and '"heads.extra.weight"' in msg
    # mis-shaped
    bad = OrderedDict(sd)
    bad["stem.0.weight"] = tl.zeros(2, 2, dtype=tl.float64)
    msg = _error_text(lambda: net.load_state_dict(bad))
    assert "size mismatch for stem.0.weight" in msg
    # all three at once: every problem listed
    both = OrderedDict((k, v) for k, v in bad.items() if k != "gain")
    both["nope"] = tl.zeros(1)
    msg = _error_text(lambda: net.load_state_dict(both))
    assert '"gain"' in msg and '"nope"' in msg and "size mismatch" in msg
    # strict=False: no error, unexpected keys reported
    t_partial = OrderedDict((k, v) for k, v in tsd.items() if k != "heads.cls.bias")
    t_partial["junk"] = torch.zeros(1)
    ours = net.load_state_dict(OrderedDict((k, tl.tensor(v.numpy())) for k, v in t_partial.items()), strict=False)
    theirs = tnet.load_state_dict(t_partial, strict=False)
    assert ours.unexpected_keys == theirs.unexpected_keys


def test_load_state_dict_non_strict_reports_missing(models):
    net, tnet = models
    t_partial = OrderedDict((k, v) for k, v in tnet.state_dict().items() if k != "heads.cls.bias")
    ours = net.load_state_dict(OrderedDict((k, tl.tensor(v.numpy())) for k, v in t_partial.items()), strict=False)
    theirs = tnet.load_state_dict(t_partial, strict=False)
    assert ours.missing_keys == theirs.missing_keys == ["heads.cls.bias"]


def test_reassignment_keeps_position():
    m = nn.Linear(2, 3)
    m.weight = nn.Parameter(tl.ones(3, 2))
    s = nn.Sequential()
    s.a = nn.ReLU()
    s.b = nn.Tanh()
    s.a = nn.Sigmoid()
    assert list(m.state_dict()) == ["weight", "bias"] and list(s._modules) == ["a", "b"]


def test_train_eval_propagation(models):
    net, tnet = models
    net.eval()
    assert all(not m.training for m in net.modules())
    net.blocks.train()
    assert net.blocks[0].norm.training and not net.stem.training and not net.training
    assert net.train() is net and all(m.training for m in net.modules())
    with pytest.raises(ValueError):
        net.train("yes")


def test_forward_hooks(models):
    net, _ = models
    calls = []
    lin = net.stem[0]

    def pre(module, args):
        calls.append("pre")
        return (args[0] * 0,)

    def post(module, args, output):
        calls.append("post")
        return output + 1

    h1 = lin.register_forward_pre_hook(pre)
    h2 = lin.register_forward_hook(post)
    out = lin(tl.ones(2, 4, dtype=tl.float64))
    np.testing.assert_allclose(out.detach().numpy(), lin.bias.detach().numpy() + 1 + np.zeros((2, 8)))
    assert calls == ["pre", "post"]
    h1.remove()
    h2.remove()
    out = lin(tl.zeros(1, 4, dtype=tl.float64))
    np.testing.assert_allclose(out.detach().numpy()[0], lin.bias.detach().numpy())
    assert calls == ["pre", "post"]


def test_apply_order(models):
    net, tnet = models
    ours, theirs = [], []
    net.apply(lambda m: ours.append(type(m).__name__))
    tnet.apply(lambda m: theirs.append(type(m).__name__))
    assert ours == theirs

    def reinit(m):
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.weight)

    net.apply(reinit)
    assert all(float(m.weight.abs().sum()) == 0 for m in net.modules() if isinstance(m, nn.Linear))


def test_to_dtype_keeps_integer_buffers(models):
    net, _ = models
    net.float()
    assert all(p.dtype == tl.float32 for p in net.parameters())
    assert net.blocks[0].norm.num_batches_tracked.dtype == tl.int64
    assert net.blocks[0].scale.dtype == tl.float32
    net.to(tl.float64)
    assert all(p.dtype == tl.float64 for p in net.parameters())
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    with pytest.raises(TypeError):
        net.to(tl.int32)


def test_zero_grad_and_requires_grad(models):
    net, _ = models
    net.drop.p = 0.0
    out = net(tl.ones(3, 4, dtype=tl.float64))
    out[0].sum().backward()
    assert net.stem[0].weight.grad is not None
    net.zero_grad(set_to_none=False)
    assert float(net.stem[0].weight.grad.abs().sum()) == 0
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    assert all(p.requires_grad for p in net.parameters())


def test_reprs_match_pytorch(models):
    net, tnet = models
    assert repr(net) == repr(tnet).replace("torch.", "tensorlite.")
    seq = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(inplace=True), nn.Dropout(0.2),
                        nn.Sequential(nn.LayerNorm(4), nn.Flatten()))
    tseq = tnn.Sequential(tnn.Linear(3, 4), tnn.BatchNorm1d(4), tnn.ReLU(inplace=True), tnn.Dropout(0.2),
                          tnn.Sequential(tnn.LayerNorm(4), tnn.Flatten()))
    assert repr(seq) == repr(tseq)


def test_registration_rules():
    m = nn.Module()
    m.w = nn.Parameter(tl.ones(2))
    m.sub = nn.Linear(2, 2)
    m.plain = tl.ones(2)  # a plain tensor attribute is not registered
    assert _names(m.named_parameters()) == ["w", "sub.weight", "sub.bias"]
    with pytest.raises(TypeError):
        m.w = tl.ones(2)  # a registered parameter takes only a Parameter or None
    m.register_buffer("b", tl.zeros(1))
    assert list(m.state_dict()) == ["w", "b", "sub.weight", "sub.bias"]
    with pytest.raises(KeyError):
        m.register_buffer("a.b", tl.zeros(1))
    del m.sub
    assert _names(m.named_children()) == []
    assert m.get_submodule("") is m and m.get_parameter("w") is m.w
