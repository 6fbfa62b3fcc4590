"""Recurrent layers against PyTorch with the same state dict: RNN / LSTM / GRU (multi-layer,
bidirectional, batch_first, proj_size, unbatched, packed sequences), the cells, the packing
utilities, initialisation, errors, and gradients (first and second order).
"""
from __future__ import annotations

import numpy as np
import pytest

import tensorlite as tl
from tensorlite.nn.utils import rnn as rnn_utils

torch = pytest.importorskip("torch")
trnn = torch.nn.utils.rnn

TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-9, atol=1e-10)}
TL_DTYPE = {np.float32: tl.float32, np.float64: tl.float64}
TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64}


def t2n(t) -> np.ndarray:
    return t.detach().numpy()


def close(a, b, dtype=np.float64, scale=1.0):
    tol = TOL[dtype]
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=tol["rtol"] * scale,
                               atol=tol["atol"] * scale)


def pair(cls_name, dtype, *args, **kwargs):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, cls_name)(*args, **kwargs).to(TORCH_DTYPE[dtype])
    ours = getattr(tl.nn, cls_name)(*args, **kwargs).to(TL_DTYPE[dtype])
    state = {k: tl.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict(state)
    return ours, theirs


def flatten(out) -> list:
    """Tensors of a (output, hidden) result in order; a PackedSequence contributes its data."""
    if isinstance(out, (rnn_utils.PackedSequence, trnn.PackedSequence)):
        return [out.data]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in flatten(o)]
    return [out]


def weighted_sum(tensors, lib):
    """sum_i <t_i, w_i> with fixed weights, so every output element gets a distinct gradient."""
    total = 0
    for t in tensors:
        w = (np.arange(t.numel()).reshape(tuple(t.shape)) % 5 - 2.0) / 3
        total = total + (t * lib.tensor(w, dtype=t.dtype)).sum()
    return total


def check_grads(ours, theirs, leaves, dtype, scale=50):
    for (n, p), (tn, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert n == tn
        close(t2n(p.grad), t2n(tp.grad), dtype, scale)
    for a, b in leaves:
        close(t2n(a.grad), t2n(b.grad), dtype, scale)


CONFIGS = [
    ("RNN", dict()),
    ("RNN", dict(nonlinearity="relu", num_layers=2)),
    ("RNN", dict(num_layers=2, bidirectional=True, batch_first=True)),
    ("LSTM", dict()),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(batch_first=True, bias=False)),
    ("LSTM", dict(proj_size=3, num_layers=2, bidirectional=True)),
    ("GRU", dict()),
    ("GRU", dict(num_layers=3, bidirectional=True)),
    ("GRU", dict(batch_first=True, bias=False)),
]
IDS = [f"{c}-" + "-".join(f"{k}={v}" for k, v in kw.items()) for c, kw in CONFIGS]


def _initial_state(cls, kw, batch, rng, dtype):
    d = 2 if kw.get("bidirectional") else 1
    layers = kw.get("num_layers", 1)
    h = rng.standard_normal((layers * d, batch, kw.get("proj_size") or 5)).astype(dtype)
    if cls != "LSTM":
        return [h]
    return [h, rng.standard_normal((layers * d, batch, 5)).astype(dtype)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("with_hx", [False, True])
@pytest.mark.parametrize("cls, kw", CONFIGS, ids=IDS)
def test_rnn_matches_torch(cls, kw, with_hx, dtype):
    ours, theirs = pair(cls, dtype, 4, 5, **kw)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 6, 4) if kw.get("batch_first") else (6, 3, 4)).astype(dtype)
    leaves = [(tl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True))]
    hx_ours = hx_theirs = None
    if with_hx:
        states = [(tl.tensor(h, requires_grad=True), torch.tensor(h, requires_grad=True))
                  for h in _initial_state(cls, kw, 3, rng, dtype)]
        leaves += states
        hx_ours = tuple(s[0] for s in states) if cls == "LSTM" else states[0][0]
        hx_theirs = tuple(s[1] for s in states) if cls == "LSTM" else states[0][1]
    out = ours(leaves[0][0], hx_ours)
    ref = theirs(leaves[0][1], hx_theirs)
    got, want = flatten(out), flatten(ref)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert tuple(a.shape) == tuple(b.shape)
        assert a.dtype == TL_DTYPE[dtype]
        close(t2n(a), t2n(b), dtype, 10)
    weighted_sum(got, tl).backward()
    weighted_sum(want, torch).backward()
    check_grads(ours, theirs, leaves, dtype)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_unbatched_input(cls):
    ours, theirs = pair(cls, np.float64, 4, 5, num_layers=2, bidirectional=True)
    x = np.random.default_rng(1).standard_normal((6, 4))
    got, want = flatten(ours(tl.tensor(x))), flatten(theirs(torch.tensor(x)))
    for a, b in zip(got, want):
        assert tuple(a.shape) == tuple(b.shape)
        close(t2n(a), t2n(b))
    # unbatched with an explicit (2-D) state
    h = np.random.default_rng(2).standard_normal((4, 5))
    hx = (tl.tensor(h), tl.tensor(h)) if cls == "LSTM" else tl.tensor(h)
    thx = (torch.tensor(h), torch.tensor(h)) if cls == "LSTM" else torch.tensor(h)
    for a, b in zip(flatten(ours(tl.tensor(x), hx)), flatten(theirs(torch.tensor(x), thx))):
        close(t2n(a), t2n(b))


PACKED_CONFIGS = [("RNN", dict(num_layers=2)), ("LSTM", dict(bidirectional=True, num_layers=2)),
                  ("LSTM", dict(proj_size=2, bidirectional=True)), ("GRU", dict(bidirectional=True))]


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("cls, kw", PACKED_CONFIGS, ids=["rnn", "lstm-bi", "lstm-proj", "gru-bi"])
def test_packed_sequences_match_torch(cls, kw, enforce_sorted):
    ours, theirs = pair(cls, np.float64, 4, 5, **kw)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 4, 4))
    lengths = [6, 4, 4, 1] if enforce_sorted else [4, 6, 1, 4]
    a, b = tl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    leaves = [(a, b)]
    packed = rnn_utils.pack_padded_sequence(a, lengths, enforce_sorted=enforce_sorted)
    tpacked = trnn.pack_padded_sequence(b, lengths, enforce_sorted=enforce_sorted)
    np.testing.assert_array_equal(t2n(packed.batch_sizes), tpacked.batch_sizes.numpy())
    close(t2n(packed.data), t2n(tpacked.data))
    states = [(tl.tensor(h, requires_grad=True), torch.tensor(h, requires_grad=True))
              for h in _initial_state(cls, kw, 4, rng, np.float64)]
    leaves += states
    hx = tuple(s[0] for s in states) if cls == "LSTM" else states[0][0]
    thx = tuple(s[1] for s in states) if cls == "LSTM" else states[0][1]
    out, hidden = ours(packed, hx)
    tout, thidden = theirs(tpacked, thx)
    assert isinstance(out, rnn_utils.PackedSequence)
    np.testing.assert_array_equal(t2n(out.batch_sizes), tout.batch_sizes.numpy())
    if not enforce_sorted:
        np.testing.assert_array_equal(t2n(out.sorted_indices), tout.sorted_indices.numpy())
        np.testing.assert_array_equal(t2n(out.unsorted_indices), tout.unsorted_indices.numpy())
    got, want = flatten((out, hidden)), flatten((tout, thidden))
    for g, w in zip(got, want):
        close(t2n(g), t2n(w))
    padded, lens = rnn_utils.pad_packed_sequence(out, batch_first=True)
    tpadded, tlens = trnn.pad_packed_sequence(tout, batch_first=True)
    close(t2n(padded), t2n(tpadded))
    np.testing.assert_array_equal(t2n(lens), tlens.numpy())
    weighted_sum([padded] + got[1:], tl).backward()
    weighted_sum([tpadded] + want[1:], torch).backward()
    check_grads(ours, theirs, leaves, np.float64)


def test_packing_utilities_match_torch():
    rng = np.random.default_rng(4)
    seqs = [rng.standard_normal((n, 2)) for n in (5, 3, 3, 1)]
    packed = rnn_utils.pack_sequence([tl.tensor(s) for s in seqs])
    tpacked = trnn.pack_sequence([torch.tensor(s) for s in seqs])
    close(t2n(packed.data), t2n(tpacked.data))
    np.testing.assert_array_equal(t2n(packed.batch_sizes), tpacked.batch_sizes.numpy())
    assert packed.batch_sizes.dtype == tl.int64 and packed.sorted_indices is None
    # unsorted input, padding value, total length, batch_first
    order = [2, 0, 3, 1]
    shuffled = [seqs[i] for i in order]
    packed = rnn_utils.pack_sequence([tl.tensor(s) for s in shuffled], enforce_sorted=False)
    tpacked = trnn.pack_sequence([torch.tensor(s) for s in shuffled], enforce_sorted=False)
    for kwargs in (dict(), dict(batch_first=True, padding_value=-1.0, total_length=7)):
        padded, lens = rnn_utils.pad_packed_sequence(packed, **kwargs)
        tpadded, tlens = trnn.pad_packed_sequence(tpacked, **kwargs)
        close(t2n(padded), t2n(tpadded))
        np.testing.assert_array_equal(t2n(lens), tlens.numpy())
        assert lens.dtype == tl.int64
    for a, b in zip(rnn_utils.unpack_sequence(packed), shuffled):
        close(t2n(a), b)
    # lengths given as a tensor, batch_first input
    x = rng.standard_normal((3, 4, 2))
    p = rnn_utils.pack_padded_sequence(tl.tensor(x), tl.tensor([4, 2, 3]), batch_first=True, enforce_sorted=False)
    tp = trnn.pack_padded_sequence(torch.tensor(x), torch.tensor([4, 2, 3]), batch_first=True, enforce_sorted=False)
    close(t2n(p.data), t2n(tp.data))


def test_packing_errors_match_torch():
    x = np.zeros((4, 3, 2))
    cases = [
        (dict(lengths=[2, 4, 1]), RuntimeError),                 # not sorted
        (dict(lengths=[4, 2, 0]), RuntimeError),                 # zero length
        (dict(lengths=[4, 2]), RuntimeError),                    # wrong count
    ]
    for kwargs, error in cases:
        with pytest.raises(error):
            rnn_utils.pack_padded_sequence(tl.tensor(x), **kwargs)
        with pytest.raises(error):
            trnn.pack_padded_sequence(torch.tensor(x), **kwargs)
    packed = rnn_utils.pack_padded_sequence(tl.tensor(x), [4, 2, 1])
    with pytest.raises(ValueError):
        rnn_utils.pad_packed_sequence(packed, total_length=2)


# -- cells ---------------------------------------------------------------------------------------------------------
CELLS = [("RNNCell", dict()), ("RNNCell", dict(nonlinearity="relu")), ("LSTMCell", dict()),
         ("LSTMCell", dict(bias=False)), ("GRUCell", dict()), ("GRUCell", dict(bias=False))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls, kw", CELLS, ids=[f"{c}-{kw}" for c, kw in CELLS])
def test_cells_match_torch(cls, kw, dtype):
    ours, theirs = pair(cls, dtype, 4, 5, **kw)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4)).astype(dtype)
    h = rng.standard_normal((3, 5)).astype(dtype)
    leaves = [(tl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)),
              (tl.tensor(h, requires_grad=True), torch.tensor(h, requires_grad=True))]
    if cls == "LSTMCell":
        c = rng.standard_normal((3, 5)).astype(dtype)
        leaves.append((tl.tensor(c, requires_grad=True), torch.tensor(c, requires_grad=True)))
        out = ours(leaves[0][0], (leaves[1][0], leaves[2][0]))
        ref = theirs(leaves[0][1], (leaves[1][1], leaves[2][1]))
    else:
        out = ours(leaves[0][0], leaves[1][0])
        ref = theirs(leaves[0][1], leaves[1][1])
    got, want = flatten(out), flatten(ref)
    for a, b in zip(got, want):
        close(t2n(a), t2n(b), dtype, 10)
    weighted_sum(got, tl).backward()
    weighted_sum(want, torch).backward()
    check_grads(ours, theirs, leaves, dtype)
    # unbatched, and no state
    for a, b in zip(flatten(ours(tl.tensor(x[0]))), flatten(theirs(torch.tensor(x[0])))):
        assert tuple(a.shape) == tuple(b.shape)
        close(t2n(a), t2n(b), dtype, 10)


def test_lstm_cell_gradgradcheck():
    tl.manual_seed(0)
    cell = tl.nn.LSTMCell(3, 2).double()
    x = tl.randn(2, 3, dtype=tl.float64, requires_grad=True)
    h = tl.randn(2, 2, dtype=tl.float64, requires_grad=True)
    c = tl.randn(2, 2, dtype=tl.float64, requires_grad=True)
    assert tl.autograd.gradgradcheck(lambda x, h, c: cell(x, (h, c)), (x, h, c))
    gru = tl.nn.GRU(3, 2, bidirectional=True).double()
    seq = tl.randn(3, 1, 3, dtype=tl.float64, requires_grad=True)
    assert tl.autograd.gradgradcheck(lambda s: gru(s)[0], (seq,))


# -- structure, init, modes, errors -----------------------------------------------------------------------------
@pytest.mark.parametrize("cls, kw", CONFIGS, ids=IDS)
def test_parameter_names_shapes_and_init(cls, kw):
    ours = getattr(tl.nn, cls)(4, 5, **kw)
    theirs = getattr(torch.nn, cls)(4, 5, **kw)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert ours._flat_weights_names == theirs._flat_weights_names
    assert [[tuple(p.shape) for p in ws] for ws in ours.all_weights] == \
        [[tuple(p.shape) for p in ws] for ws in theirs.all_weights]
    bound = 1 / np.sqrt(5)
    values = np.concatenate([t2n(p).ravel() for p in ours.parameters()])
    assert np.abs(values).max() <= bound and values.std() > bound / 4
    assert repr(ours) == repr(theirs)


def test_dropout_between_layers_train_and_eval():
    """dropout=1 zeroes the input of every layer but the first in training: deterministic, compare with torch."""
    with pytest.warns(UserWarning):
        tl.nn.LSTM(4, 5, dropout=0.5)
    ours, theirs = pair("LSTM", np.float64, 4, 5, num_layers=2, dropout=1.0)
    x = np.random.default_rng(6).standard_normal((5, 2, 4))
    for train in (True, False):
        ours.train(train)
        theirs.train(train)
        for a, b in zip(flatten(ours(tl.tensor(x))), flatten(theirs(torch.tensor(x)))):
            close(t2n(a), t2n(b))


@pytest.mark.parametrize("make, call, error", [
    (lambda lib: lib.nn.RNN(4, 5), lambda m, lib: m(lib.zeros(2, 3, 4, 1)), ValueError),
    (lambda lib: lib.nn.RNN(4, 5), lambda m, lib: m(lib.zeros(2, 3, 3)), RuntimeError),
    (lambda lib: lib.nn.GRU(4, 5), lambda m, lib: m(lib.zeros(2, 3, 4), lib.zeros(1, 2, 5)), RuntimeError),
    (lambda lib: lib.nn.GRU(4, 5), lambda m, lib: m(lib.zeros(2, 3, 4), lib.zeros(2, 5)), RuntimeError),
    (lambda lib: lib.nn.LSTM(4, 5), lambda m, lib: m(lib.zeros(2, 3, 4), (lib.zeros(1, 3, 5), lib.zeros(1, 3, 4))),
     RuntimeError),
    (lambda lib: lib.nn.LSTM(4, 5), lambda m, lib: m(lib.zeros(2, 3, 4, dtype=lib.float64)), ValueError),
    (lambda lib: lib.nn.LSTM(4, 5), lambda m, lib: m(lib.zeros(0, 3, 4)), RuntimeError),
    (lambda lib: lib.nn.GRUCell(4, 5), lambda m, lib: m(lib.zeros(3, 4), lib.zeros(2, 5)), RuntimeError),
    (lambda lib: lib.nn.LSTMCell(4, 5), lambda m, lib: m(lib.zeros(3, 5)), RuntimeError),
    (lambda lib: lib.nn.RNNCell(4, 5), lambda m, lib: m(lib.zeros(3, 4, 1)), ValueError),
    (lambda lib: lib.nn.GRU(4, 5, proj_size=2), None, ValueError),
    (lambda lib: lib.nn.RNN(4, 5, nonlinearity="sigmoid"), None, ValueError),
    (lambda lib: lib.nn.LSTM(4, 5, proj_size=5), None, ValueError),
    (lambda lib: lib.nn.LSTM(4, 5, dropout=1.5), None, ValueError),
    (lambda lib: lib.nn.LSTM(4, 0), None, ValueError),
])
def test_errors_match_torch(make, call, error):
    for lib in (tl, torch):
        with pytest.raises(error):
            m = make(lib)
            if call is not None:
                call(m, lib)


def test_batch_of_zero_sequences():
    ours, theirs = pair("GRU", np.float32, 4, 5, num_layers=2)
    out, h = ours(tl.zeros(3, 0, 4))
    tout, th = theirs(torch.zeros(3, 0, 4))
    assert tuple(out.shape) == tuple(tout.shape) and tuple(h.shape) == tuple(th.shape)
