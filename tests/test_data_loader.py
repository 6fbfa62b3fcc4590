"""tl.utils.data against torch.utils.data: datasets, samplers, collation, DataLoader (workers included)."""
from __future__ import annotations

import collections
import os
import time

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import tensorlite as tl
import tensorlite.utils.data as tld


def _np(x):
    """Nested batch -> the same structure with NumPy arrays (for both libraries)."""
    if isinstance(x, (tl.Tensor, torch.Tensor)):
        return x.detach().numpy() if isinstance(x, torch.Tensor) else x.numpy()
    if isinstance(x, dict):
        return {k: _np(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(_np(v) for v in x))
    if isinstance(x, (list, tuple)):
        return type(x)(_np(v) for v in x)
    return x


def _assert_same(a, b):
    """Same structure, same container types, same array values and dtypes."""
    a, b = _np(a), _np(b)
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    else:
        assert a == b


def _pair(n=10, features=3):
    x = np.arange(n * features, dtype=np.float32).reshape(n, features)
    y = np.arange(n, dtype=np.int64) % 3
    return (tld.TensorDataset(tl.from_numpy(x), tl.from_numpy(y)),
            tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)))


Point = collections.namedtuple("Point", ["x", "y"])


class _Samples(tld.Dataset):
    """Mixed-structure samples (used by both libraries: no framework tensors inside)."""

    def __init__(self, n=7):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"img": np.full((2, 2), i, dtype=np.float32), "label": i, "weight": i / 2, "flag": i % 2 == 0,
                "name": f"s{i}", "pair": (i, np.int64(i * 10)), "point": Point(i, float(i)), "list": [i, i + 1]}


# -- collation ---------------------------------------------------------------------------------------------
def test_default_collate_nested_structures_match_torch():
    samples = [_Samples()[i] for i in range(4)]
    ours, ref = tld.default_collate(samples), tud.default_collate(samples)
    _assert_same(ours, ref)
    assert ours["weight"].dtype == tl.float64 and ours["label"].dtype == tl.int64 and ours["flag"].dtype == tl.bool


def test_default_collate_tensors_stack_and_keep_dtype():
    batch = [tl.tensor([1, 2], dtype=tl.int32), tl.tensor([3, 4], dtype=tl.int32)]
    out = tld.default_collate(batch)
    assert out.dtype == tl.int32 and out.shape == (2, 2)
    np.testing.assert_array_equal(out.numpy(), [[1, 2], [3, 4]])


def test_default_collate_errors_like_torch():
    with pytest.raises(RuntimeError, match="equal size"):
        tld.default_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError):
        tud.default_collate([[1, 2], [3]])
    with pytest.raises(TypeError):
        tld.default_collate([object(), object()])
    with pytest.raises(TypeError):
        tld.default_collate([np.array(["a"]), np.array(["b"])])


def test_default_convert_matches_torch():
    sample = {"a": np.ones((2, 3)), "b": (np.zeros(2, dtype=np.int32), 3), "c": "text", "d": np.float64(2.5)}
    _assert_same(tld.default_convert(sample), tud.default_convert(sample))


# -- datasets ----------------------------------------------------------------------------------------------
def test_tensor_dataset_and_size_mismatch():
    ours, ref = _pair()
    assert len(ours) == len(ref) == 10
    _assert_same(ours[3], ref[3])
    with pytest.raises(AssertionError):
        tld.TensorDataset(tl.zeros(3), tl.zeros(4))


def test_concat_subset_stack_chain_like_torch():
    a, ta = _pair(5)
    b, tb = _pair(4)
    cat, tcat = a + b, ta + tb
    assert isinstance(cat, tld.ConcatDataset) and cat.cumulative_sizes == tcat.cumulative_sizes
    for i in [0, 4, 5, 8, -1, -9]:
        _assert_same(cat[i], tcat[i])
    with pytest.raises(ValueError):
        cat[-10]
    with pytest.raises(IndexError):
        cat[9]
    with pytest.raises(AssertionError):
        tld.ConcatDataset([])
    sub, tsub = tld.Subset(cat, [8, 0, 3]), tud.Subset(tcat, [8, 0, 3])
    assert len(sub) == 3
    for i in range(3):
        _assert_same(sub[i], tsub[i])
    stack = tld.StackDataset(x=a, y=a)
    assert set(stack[1]) == {"x", "y"} and len(stack) == 5
    _assert_same(tld.StackDataset(a, a)[2], tud.StackDataset(ta, ta)[2])
    with pytest.raises(ValueError):
        tld.StackDataset(a, b)
    with pytest.raises(ValueError):
        tld.StackDataset(a, y=a)

    class Count(tld.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            return self.n

    chain = Count(2) + Count(3)
    assert isinstance(chain, tld.ChainDataset) and list(chain) == [0, 1, 0, 1, 2] and len(chain) == 5


def test_random_split_sizes_disjoint_and_reproducible():
    ds = list(range(23))
    for lengths in ([10, 13], [0.5, 0.3, 0.2], [0.1] * 10, [23]):
        parts = tld.random_split(ds, lengths, generator=tl.Generator().manual_seed(1))
        ref = tud.random_split(ds, lengths, generator=torch.Generator().manual_seed(1))
        assert [len(p) for p in parts] == [len(p) for p in ref]
        seen = [x for p in parts for x in p]
        assert sorted(seen) == ds
    tl.manual_seed(5)
    one = [list(p) for p in tld.random_split(ds, [3, 20])]
    tl.manual_seed(5)
    two = [list(p) for p in tld.random_split(ds, [3, 20])]
    assert one == two
    with pytest.raises(ValueError):
        tld.random_split(ds, [10, 10])
    with pytest.raises(ValueError):
        tud.random_split(ds, [10, 10])
    with pytest.warns(UserWarning):
        tld.random_split(list(range(3)), [0.9, 0.05, 0.05])


# -- samplers ----------------------------------------------------------------------------------------------
def test_sequential_and_batch_sampler_like_torch():
    for n, bs, drop in [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False), (2, 5, True), (0, 2, False)]:
        ours = tld.BatchSampler(tld.SequentialSampler(range(n)), bs, drop)
        ref = tud.BatchSampler(tud.SequentialSampler(range(n)), bs, drop)
        assert list(ours) == list(ref) and len(ours) == len(ref)


@pytest.mark.parametrize("args", [(0, False), (-1, False), (True, False), (2.0, False), (2, 1)])
def test_batch_sampler_errors_like_torch(args):
    with pytest.raises(ValueError):
        tud.BatchSampler(range(3), *args)
    with pytest.raises(ValueError):
        tld.BatchSampler(range(3), *args)


def test_random_sampler():
    data = range(10)
    tl.manual_seed(0)
    order = list(tld.RandomSampler(data))
    assert sorted(order) == list(data)
    tl.manual_seed(0)
    assert list(tld.RandomSampler(data)) == order
    drawn = list(tld.RandomSampler(data, num_samples=25))
    assert len(drawn) == 25 and sorted(drawn[:20]) == sorted(list(data) * 2)
    with_repl = list(tld.RandomSampler(data, replacement=True, num_samples=50))
    assert len(with_repl) == 50 and all(0 <= i < 10 for i in with_repl)
    g1, g2 = tl.Generator().manual_seed(3), tl.Generator().manual_seed(3)
    assert list(tld.RandomSampler(data, generator=g1)) == list(tld.RandomSampler(data, generator=g2))
    with pytest.raises(TypeError):
        tld.RandomSampler(data, replacement=1)
    with pytest.raises(ValueError):
        tld.RandomSampler(data, num_samples=0)


def test_subset_and_weighted_samplers():
    idx = [3, 7, 11, 19]
    assert sorted(tld.SubsetRandomSampler(idx)) == idx and len(tld.SubsetRandomSampler(idx)) == 4
    weights = [0.0, 1.0, 3.0, 0.0]
    draws = np.array(list(tld.WeightedRandomSampler(weights, 4000, generator=tl.Generator().manual_seed(0))))
    counts = np.bincount(draws, minlength=4)
    assert counts[0] == counts[3] == 0 and 2.5 < counts[2] / counts[1] < 3.5
    no_repl = list(tld.WeightedRandomSampler([1, 1, 1, 1], 4, replacement=False))
    assert sorted(no_repl) == [0, 1, 2, 3]
    with pytest.raises(ValueError):
        tld.WeightedRandomSampler([[1.0]], 2)
    with pytest.raises(ValueError):
        tld.WeightedRandomSampler([1.0], 0)


# -- DataLoader --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (3, False), (3, True), (4, True), (20, False)])
def test_loader_batches_match_torch(batch_size, drop_last):
    ours, ref = _pair(10)
    a = list(tld.DataLoader(ours, batch_size=batch_size, drop_last=drop_last))
    b = list(tud.DataLoader(ref, batch_size=batch_size, drop_last=drop_last))
    assert len(a) == len(b) == len(tld.DataLoader(ours, batch_size=batch_size, drop_last=drop_last))
    for x, y in zip(a, b):
        _assert_same(x, y)


def test_loader_custom_sampler_and_batch_sampler_match_torch():
    ours, ref = _pair(10)
    order = [9, 2, 5, 0, 1, 8, 3]
    _assert_same(list(tld.DataLoader(ours, batch_size=3, sampler=order)),
                 list(tud.DataLoader(ref, batch_size=3, sampler=order)))
    batches = [[1, 2], [9], [4, 5, 6]]
    _assert_same(list(tld.DataLoader(ours, batch_sampler=batches)), list(tud.DataLoader(ref, batch_sampler=batches)))
    # batch_size=None: no auto-collation, samples converted one by one
    samples = _Samples(3)
    _assert_same(list(tld.DataLoader(samples, batch_size=None)), list(tud.DataLoader(samples, batch_size=None)))
    _assert_same(list(tld.DataLoader(samples, batch_size=2)), list(tud.DataLoader(samples, batch_size=2)))


def test_shuffle_is_seeded_and_covers_everything():
    ours, _ = _pair(17)

    def epoch(loader):
        return [b[0][:, 0].numpy().astype(int).tolist() for b in loader]

    tl.manual_seed(42)
    loader = tld.DataLoader(ours, batch_size=4, shuffle=True)
    first, second = epoch(loader), epoch(loader)
    assert first != second  # a new order every epoch
    assert sorted(sum(first, [])) == list(range(0, 51, 3))
    tl.manual_seed(42)
    assert epoch(loader) == first and epoch(loader) == second
    g = tl.Generator().manual_seed(7)
    via_gen = epoch(tld.DataLoader(ours, batch_size=4, shuffle=True, generator=g))
    g.manual_seed(7)
    assert epoch(tld.DataLoader(ours, batch_size=4, shuffle=True, generator=g)) == via_gen


@pytest.mark.parametrize("context", [None, "thread"])
def test_workers_give_the_same_batches_as_the_main_process(context):
    ours, _ = _pair(23)
    results = []
    for workers in (0, 2, 3):
        tl.manual_seed(3)
        kwargs = {} if workers == 0 else {"multiprocessing_context": context}
        loader = tld.DataLoader(ours, batch_size=4, shuffle=True, num_workers=workers, **kwargs)
        results.append([_np(b) for b in loader])
    for other in results[1:]:
        _assert_same(other, results[0])
    # and the global generator is left in the same state whatever num_workers was
    states = []
    for workers in (0, 2):
        tl.manual_seed(3)
        list(tld.DataLoader(ours, batch_size=4, shuffle=True, num_workers=workers))
        states.append(tl.rand(3).numpy())
    np.testing.assert_array_equal(states[0], states[1])


def test_persistent_workers_and_unordered_results():
    ours, _ = _pair(11)
    loader = tld.DataLoader(ours, batch_size=3, num_workers=2, persistent_workers=True)
    expected = [_np(b) for b in tld.DataLoader(ours, batch_size=3)]
    for _ in range(3):
        _assert_same([_np(b) for b in loader], expected)
    it = iter(loader)
    next(it)  # abandon an epoch half-way: the next one must still be complete and in order
    _assert_same([_np(b) for b in loader], expected)
    unordered = [_np(b) for b in tld.DataLoader(ours, batch_size=3, num_workers=2, in_order=False)]
    assert sorted(np.concatenate([b[1] for b in unordered]).tolist()) == sorted(ours.tensors[1].tolist())


class _WorkerIds(tld.Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        info = tld.get_worker_info()
        return -1 if info is None else info.id * 100 + _INIT_FLAG.get("value", 0)


_INIT_FLAG: dict = {}


def _init_worker(worker_id):
    _INIT_FLAG["value"] = 10 + worker_id
    info = tld.get_worker_info()
    assert info.id == worker_id and info.num_workers == 2 and info.seed is not None


@pytest.mark.parametrize("context", [None, "thread"])
def test_worker_info_and_init_fn(context):
    assert tld.get_worker_info() is None
    assert list(tld.DataLoader(_WorkerIds(), batch_size=None)) == [-1] * 6
    got = [int(b) for b in tld.DataLoader(_WorkerIds(), batch_size=None, num_workers=2, worker_init_fn=_init_worker,
                                          multiprocessing_context=context)]
    # batch k is computed by worker k % 2; the init function ran in each worker before any batch
    assert [g // 100 for g in got] == [0, 1, 0, 1, 0, 1]
    if context is None:  # a process worker has its own copy of the module state
        assert [g % 100 for g in got] == [10, 11] * 3
    with pytest.raises(RuntimeError):  # WorkerInfo is read-only, as in PyTorch
        tld.WorkerInfo(id=0, num_workers=1).id = 1


class _Range(tld.IterableDataset):
    def __init__(self, n, shard=True):
        self.n, self.shard = n, shard

    def __iter__(self):
        info = tld.get_worker_info()
        if info is None or not self.shard:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


class _TorchRange(tud.IterableDataset):
    def __init__(self, n, shard=True):
        self.n, self.shard = n, shard

    def __iter__(self):
        info = tud.get_worker_info()
        if info is None or not self.shard:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


@pytest.mark.filterwarnings("ignore:This DataLoader will create")
@pytest.mark.parametrize("workers,batch_size,drop_last,shard", [(0, 3, False, True), (2, 3, False, True),
                                                                (3, 2, True, True), (2, 4, False, False),
                                                                (2, None, False, True)])
def test_iterable_dataset_matches_torch(workers, batch_size, drop_last, shard):
    ours = list(tld.DataLoader(_Range(11, shard), batch_size=batch_size, drop_last=drop_last, num_workers=workers))
    ref = list(tud.DataLoader(_TorchRange(11, shard), batch_size=batch_size, drop_last=drop_last, num_workers=workers))
    _assert_same(ours, ref)


def test_iterable_dataset_persistent_workers_restart_each_epoch():
    loader = tld.DataLoader(_Range(7), batch_size=2, num_workers=2, persistent_workers=True)
    first = [b.tolist() for b in loader]
    assert [b.tolist() for b in loader] == first and sorted(sum(first, [])) == list(range(7))


class _Failing(tld.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            raise KeyError(f"no sample {i}")
        return i


@pytest.mark.parametrize("workers", [0, 2])
def test_errors_in_workers_reach_the_caller_with_their_type(workers):
    with pytest.raises(KeyError, match="no sample 2"):
        list(tld.DataLoader(_Failing(), num_workers=workers))


class _Slow(tld.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        time.sleep(3)
        return i


class _Dies(tld.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        os._exit(3)


def test_timeout_and_dead_worker():
    with pytest.raises(RuntimeError, match="timed out"):
        next(iter(tld.DataLoader(_Slow(), num_workers=1, timeout=0.3)))
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        next(iter(tld.DataLoader(_Dies(), num_workers=1)))


@pytest.mark.slow
def test_spawn_context_sends_tensors_as_arrays():
    ours, _ = _pair(9)
    got = list(tld.DataLoader(ours, batch_size=4, num_workers=2, multiprocessing_context="spawn"))
    _assert_same([_np(b) for b in got], [_np(b) for b in tld.DataLoader(ours, batch_size=4)])


def _loader_errors(lib, dataset, iterable):
    """The same invalid DataLoader configurations for both libraries."""
    cases = [dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2), dict(persistent_workers=True),
             dict(num_workers=1, prefetch_factor=-1), dict(multiprocessing_context="fork")]
    if iterable:
        cases += [dict(shuffle=True), dict(sampler=[0, 1]), dict(batch_sampler=[[0]])]
    else:
        cases += [dict(sampler=[0, 1], shuffle=True), dict(batch_sampler=[[0]], batch_size=2),
                  dict(batch_sampler=[[0]], drop_last=True), dict(batch_size=None, drop_last=True)]
    for kwargs in cases:
        with pytest.raises(ValueError):
            lib.DataLoader(dataset, **kwargs)


def test_loader_argument_errors_like_torch():
    ours, ref = _pair(4)
    _loader_errors(tld, ours, False)
    _loader_errors(tud, ref, False)
    _loader_errors(tld, _Range(3), True)
    _loader_errors(tud, _TorchRange(3), True)
    loader = tld.DataLoader(ours)
    with pytest.raises(ValueError):
        loader.batch_size = 3
    with pytest.raises(TypeError):
        len(tld.DataLoader(_Range(3)))


def test_loader_len_for_iterable_with_len():
    class Sized(_Range):
        def __len__(self):
            return self.n

    class TorchSized(_TorchRange):
        def __len__(self):
            return self.n

    for bs, drop in [(3, False), (3, True), (None, False)]:
        assert len(tld.DataLoader(Sized(10), batch_size=bs, drop_last=drop)) == \
            len(tud.DataLoader(TorchSized(10), batch_size=bs, drop_last=drop))
