"""`DataLoader`: batches from a dataset, optionally prefetched by background workers (PyTorch's API).

Workers are processes (the `fork` start method where the platform has it; `multiprocessing_context`
may name another) or, with `multiprocessing_context="thread"` or where fork is unavailable, threads.
Batch k is always computed by worker k % num_workers and batches are yielded in sampler order, so for
a given seed the batches are the same for any `num_workers` (augmentation draws depend on the
worker's seed, as in PyTorch). `pin_memory` is accepted and ignored (no pinned host memory here);
without a GPU, iterating warns as PyTorch does.
"""
from __future__ import annotations

import itertools
import multiprocessing
import pickle
import queue
import threading
import warnings
from typing import Any, Callable, Iterable

from ...backend.device import cuda_available
from ...random import Generator, numpy_generator
from . import _worker
from ._collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader"]

_THREAD = "thread"
_POLL_S = 0.5  # how often a waiting main process checks that its workers are alive


class _InfiniteConstantSampler(Sampler):
    """Yields None forever: an iterable dataset ignores indices and only the batch size matters."""

    def __iter__(self):
        while True:
            yield None


class DataLoader:
    """Iterate over `dataset` in batches; see `torch.utils.data.DataLoader` for every argument."""

    __initialized = False

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable | None = None, batch_sampler: Sampler | Iterable | None = None,
                 num_workers: int = 0, collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context=None, generator: Generator | None = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = "iterable"
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                                 f"but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
            self._dataset_kind = "map"

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

        if sampler is None:
            if self._dataset_kind == "iterable":
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.__initialized = True
        self._iterator = None

    # -- configuration -------------------------------------------------------------------------------------
    @property
    def multiprocessing_context(self):
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context) -> None:
        if context is not None:
            if self.num_workers == 0:
                raise ValueError("multiprocessing_context can only be used with multi-process loading "
                                 f"(num_workers > 0), but got num_workers={self.num_workers}")
            if isinstance(context, str) and context != _THREAD:
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid start method in "
                                     f"{methods + [_THREAD]!r}, but got multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            if context != _THREAD and not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError("multiprocessing_context option should be a valid context object or a string "
                                f"specifying the start method, but got multiprocessing_context={context}")
        self.__multiprocessing_context = context

    def __setattr__(self, attr: str, value: Any) -> None:
        if self.__initialized and attr in ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                                           "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after {self.__class__.__name__} is initialized")
        super().__setattr__(attr, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    # -- iteration -----------------------------------------------------------------------------------------
    def __iter__(self) -> "_BaseIter":
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if self.persistent_workers:
            if self._iterator is None:
                self._iterator = _MultiWorkerIter(self)
            else:
                self._iterator._reset(self)
            return self._iterator
        return _MultiWorkerIter(self)

    def __len__(self) -> int:
        if self._dataset_kind == "iterable":
            length = len(self.dataset)  # TypeError when the iterable dataset has no __len__, as in PyTorch
            if self.batch_size is not None:
                return length // self.batch_size if self.drop_last else -(-length // self.batch_size)
            return length
        return len(self._index_sampler)


class _BaseIter:
    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._iterable = loader._dataset_kind == "iterable"
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._collate_fn = loader.collate_fn
        self._num_yielded = 0
        if loader.pin_memory and not cuda_available():
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                          "memory won't be used.", stacklevel=3)
        self._start_epoch(loader)

    def _start_epoch(self, loader: DataLoader) -> None:
        self._sampler_iter = iter(self._index_sampler)
        # Drawn whatever num_workers is, so the global generator advances the same way in every mode.
        self._base_seed = int(numpy_generator(loader.generator).integers(0, 2 ** 63))
        self._num_yielded = 0

    def _next_index(self):
        return next(self._sampler_iter)  # StopIteration ends the epoch

    def __iter__(self) -> "_BaseIter":
        return self

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        return data

    def _next_data(self):
        raise NotImplementedError


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._fetcher = _worker.make_fetcher(self._iterable, self._dataset, self._auto_collation,
                                             self._collate_fn, self._drop_last)

    def _next_data(self):
        return self._fetcher.fetch(self._next_index())


class _MultiWorkerIter(_BaseIter):
    """Round-robin dispatch of batch indices to workers, at most `prefetch_factor` tasks ahead per
    worker, results reordered by task number (unless `in_order=False`)."""

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._num_workers = loader.num_workers
        self._prefetch = loader.prefetch_factor
        self._timeout = loader.timeout
        self._in_order = loader.in_order
        self._persistent = loader.persistent_workers
        context = loader.multiprocessing_context
        if context is None:
            context = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() \
                else _THREAD
        self._in_process = context != _THREAD
        spec = {"dataset": self._dataset, "iterable": self._iterable, "auto_collation": self._auto_collation,
                "collate_fn": self._collate_fn, "drop_last": self._drop_last,
                "worker_init_fn": loader.worker_init_fn, "num_workers": self._num_workers,
                "base_seed": self._base_seed}
        if self._in_process and context.get_start_method() != "fork":
            spec = _worker.dumps(spec)  # a fresh interpreter: the dataset must travel, tensors as arrays
        make_queue = context.Queue if self._in_process else queue.Queue
        self._done_event = context.Event() if self._in_process else threading.Event()
        self._result_queue = make_queue()
        self._index_queues = []
        self._workers = []
        for worker_id in range(self._num_workers):
            index_queue = make_queue()
            args = (spec, worker_id, index_queue, self._result_queue, self._done_event, self._in_process)
            if self._in_process:
                index_queue.cancel_join_thread()
                worker = context.Process(target=_worker.worker_loop, args=args, daemon=True)
            else:
                worker = threading.Thread(target=_worker.worker_loop, args=args, daemon=True)
            worker.start()
            self._index_queues.append(index_queue)
            self._workers.append(worker)
        self._shutdown = False
        self._epoch = 0
        self._reset_state()

    def _reset(self, loader: DataLoader) -> None:
        """Start a new epoch on the same (persistent) workers."""
        self._start_epoch(loader)
        self._epoch += 1
        if self._iterable:
            for q in self._index_queues:
                q.put(_worker.ResetIterator())
        self._reset_state()

    def _reset_state(self) -> None:
        self._send_idx = 0  # next task number to hand out
        self._rcvd_idx = 0  # next task number to yield (in order)
        self._task_info: dict[int, list] = {}  # task -> [worker_id] or [worker_id, data]
        self._outstanding = 0
        self._worker_active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        self._sampler_done = False
        for _ in range(self._prefetch * self._num_workers):
            self._try_put_index()

    def _try_put_index(self) -> None:
        if self._sampler_done or not any(self._worker_active):
            return
        try:
            index = self._next_index()
        except StopIteration:
            self._sampler_done = True
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if self._worker_active[worker_id]:
                break
        self._index_queues[worker_id].put((self._epoch, self._send_idx, index))
        self._task_info[self._send_idx] = [worker_id]
        self._send_idx += 1
        self._outstanding += 1

    def _get_result(self):
        """Wait for the next result of any worker, watching for dead workers and the timeout."""
        waited = 0.0
        while True:
            wait = _POLL_S if self._timeout <= 0 else min(_POLL_S, self._timeout - waited)
            try:
                return self._result_queue.get(timeout=wait)
            except queue.Empty:
                waited += wait
                dead = [w for w in self._workers if not w.is_alive()]
                if dead:
                    pids = ", ".join(str(getattr(w, "pid", w.name)) for w in dead)
                    self._shutdown_workers()
                    raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly") from None
                if 0 < self._timeout <= waited:
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None

    def _next_data(self):
        while True:
            if self._in_order:
                # skip tasks of workers whose iterable dataset has ended (their answer carries no batch)
                while self._rcvd_idx < self._send_idx:
                    info = self._task_info.get(self._rcvd_idx)
                    if info is not None and (len(info) == 2 or self._worker_active[info[0]]):
                        break
                    self._task_info.pop(self._rcvd_idx, None)
                    self._rcvd_idx += 1
                if self._rcvd_idx >= self._send_idx:
                    self._end_epoch()
                if len(self._task_info[self._rcvd_idx]) == 2:
                    data = self._task_info.pop(self._rcvd_idx)[1]
                    self._rcvd_idx += 1
                    return self._deliver(data)
            elif self._outstanding == 0:
                self._end_epoch()
            epoch, task_idx, payload = self._get_result()
            if epoch != self._epoch:
                continue  # an answer to an abandoned epoch of persistent workers
            self._outstanding -= 1
            if isinstance(payload, _worker.IterationEnd):
                self._worker_active[payload.worker_id] = False
                self._task_info.pop(task_idx, None)
                self._try_put_index()
                continue
            if not self._in_order:
                self._task_info.pop(task_idx, None)
                return self._deliver(payload)
            if task_idx == self._rcvd_idx:
                del self._task_info[task_idx]
                self._rcvd_idx += 1
                return self._deliver(payload)
            if task_idx in self._task_info:
                self._task_info[task_idx].append(payload)

    def _end_epoch(self):
        if not self._persistent:
            self._shutdown_workers()
        raise StopIteration

    def _deliver(self, payload):
        self._try_put_index()
        if isinstance(payload, _worker.ExceptionWrapper):
            payload.reraise()
        return pickle.loads(payload) if self._in_process else payload

    def _shutdown_workers(self) -> None:
        if self._shutdown:
            return
        self._shutdown = True
        self._done_event.set()
        for q in self._index_queues:
            q.put(None)
        for w in self._workers:
            # a worker busy in a slow __getitem__ is not waited for long: its result is not wanted
            w.join(timeout=1.0 if self._in_process else 5.0)
        for w in self._workers:
            if self._in_process and w.is_alive():
                w.terminate()
        if self._in_process:
            for q in self._index_queues:
                q.close()
            self._result_queue.cancel_join_thread()
            self._result_queue.close()

    def __del__(self) -> None:
        try:
            self._shutdown_workers()
        except Exception:  # interpreter shutdown: the modules we need may already be gone
            pass
