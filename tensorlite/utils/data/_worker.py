"""What runs inside a DataLoader worker (a process or a thread): fetch, collate, send back.

Transport: a process worker pickles its batch with `_TensorPickler`, which sends each Tensor as its
NumPy array (our Tensor refuses ordinary pickling by design) and rebuilds it in the main process.
Seeding: worker k seeds Python's `random`, NumPy's legacy global RNG and the tensorlite global
generator with `base_seed + k` (PyTorch's rule). A thread worker cannot reseed the generator it
shares with the main thread, so it gets its own `tl.Generator` seeded the same way; tensorlite's
transforms draw from it (see `worker_generator`), so augmentations are the same in both modes.
"""
from __future__ import annotations

import io
import os
import pickle
import queue
import random
import threading
import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...random import Generator
from ...tensor import Parameter, Tensor

__all__ = ["WorkerInfo", "get_worker_info"]

_local = threading.local()  # .info: the WorkerInfo of the worker running in this thread/process


class WorkerInfo:
    """`id`, `num_workers`, `seed` and `dataset` (the worker's copy) of the current DataLoader worker."""

    __initialized = False

    def __init__(self, **kwargs: Any) -> None:
        for key, value in kwargs.items():
            setattr(self, key, value)
        self.__keys = tuple(kwargs)
        self.__initialized = True

    def __setattr__(self, key: str, value: Any) -> None:
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {self.__class__.__name__} objects")
        super().__setattr__(key, value)

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__keys if k != "generator")
        return f"{self.__class__.__name__}({fields})"


def get_worker_info() -> WorkerInfo | None:
    """Inside a DataLoader worker, its WorkerInfo; in the main process, None."""
    return getattr(_local, "info", None)


def worker_generator() -> Generator | None:
    """The generator random transforms should use in this thread: a thread worker's own, else None
    (meaning the global one, which a process worker has already reseeded)."""
    info = getattr(_local, "info", None)
    return None if info is None else info.generator


# -- messages ----------------------------------------------------------------------------------------------
class ResetIterator:
    """Sent to a worker between epochs (persistent workers): restart the iterable dataset."""


@dataclass
class IterationEnd:
    """A worker's iterable dataset is exhausted; it answers every later task of the epoch with this."""
    worker_id: int


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process and re-raised there with the
    worker's traceback in the message."""

    def __init__(self, exc: BaseException, where: str) -> None:
        self.exc_type = type(exc)
        try:
            pickle.dumps(self.exc_type)
        except Exception:  # a locally defined exception class cannot cross a process boundary
            self.exc_type = RuntimeError
        self.msg = f"Caught {type(exc).__name__} {where}.\nOriginal {traceback.format_exc()}"

    def reraise(self):
        if self.exc_type is KeyError:  # KeyError would repr() the message and mangle the newlines
            raise KeyError(_KeyErrorMessage(self.msg))
        try:
            exc = self.exc_type(self.msg)
        except Exception:  # an exception type whose constructor needs other arguments
            raise RuntimeError(self.msg) from None
        raise exc


class _KeyErrorMessage(str):
    def __repr__(self) -> str:
        return self


# -- tensor transport --------------------------------------------------------------------------------------
def _rebuild_tensor(array: np.ndarray, requires_grad: bool, is_parameter: bool) -> Tensor:
    if is_parameter:
        return Parameter(Tensor._wrap(array), requires_grad)
    return Tensor._wrap(array, requires_grad)


class _TensorPickler(pickle.Pickler):
    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return _rebuild_tensor, (obj._host(), obj.requires_grad, isinstance(obj, Parameter))
        return NotImplemented


def dumps(obj: Any) -> bytes:
    """Pickle `obj`, sending every Tensor inside it as a NumPy array (for inter-process transport only)."""
    buf = io.BytesIO()
    _TensorPickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buf.getvalue()


# -- fetching ----------------------------------------------------------------------------------------------
class MapFetcher:
    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        from ._collate import default_collate
        from .dataset import TensorDataset

        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn
        getitems = getattr(dataset, "__getitems__", None)
        self.getitems = getitems if callable(getitems) else None
        # A TensorDataset batch under default_collate is one gather per tensor (the same values, dtypes
        # and list container as stacking the samples, without the per-sample work).
        self.gather = type(dataset) is TensorDataset and collate_fn is default_collate

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self.gather:
            rows = np.asarray(index, dtype=np.int64)
            return [t[rows] for t in self.dataset.tensors]
        if self.getitems is not None:
            return self.collate_fn(self.getitems(index))
        return self.collate_fn([self.dataset[i] for i in index])


class IterableFetcher:
    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.auto_collation, self.collate_fn, self.drop_last = auto_collation, collate_fn, drop_last
        self.iterator = iter(dataset)
        self.ended = False

    def fetch(self, index):
        """One batch of `len(index)` items (or one item); StopIteration once the dataset is exhausted."""
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.iterator))
        items = []
        for _ in index:
            try:
                items.append(next(self.iterator))
            except StopIteration:
                self.ended = True
                break
        if not items or (self.drop_last and len(items) < len(index)):
            raise StopIteration
        return self.collate_fn(items)


def make_fetcher(iterable: bool, dataset, auto_collation: bool, collate_fn, drop_last: bool):
    cls = IterableFetcher if iterable else MapFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


def seed_worker(base_seed: int, worker_id: int, in_process: bool) -> Generator:
    """Seed this worker's random state; returns the tl generator it should draw from."""
    seed = base_seed + worker_id
    gen = Generator().manual_seed(seed)
    if in_process:
        from ... import random as tl_random

        random.seed(seed)
        np.random.seed(np.random.SeedSequence([worker_id, base_seed]).generate_state(4))
        tl_random.manual_seed(seed)
    return gen


def worker_loop(spec: dict, worker_id: int, index_queue, result_queue, done_event, in_process: bool) -> None:
    """Serve tasks `(epoch, task_idx, index)` from `index_queue` until it yields None.

    `spec` holds the dataset and options (pickled bytes under the spawn/forkserver start methods).
    Each task is answered with `(epoch, task_idx, payload)`: the batch (pickled bytes in a process),
    an `IterationEnd`, or an `ExceptionWrapper`.
    """
    try:
        if isinstance(spec, bytes):
            spec = pickle.loads(spec)
        gen = seed_worker(spec["base_seed"], worker_id, in_process)
        _local.info = WorkerInfo(id=worker_id, num_workers=spec["num_workers"], seed=spec["base_seed"] + worker_id,
                                 dataset=spec["dataset"], generator=None if in_process else gen)
        init_error = None
        try:
            if spec["worker_init_fn"] is not None:
                spec["worker_init_fn"](worker_id)
            fetcher = make_fetcher(spec["iterable"], spec["dataset"], spec["auto_collation"], spec["collate_fn"],
                                   spec["drop_last"])
        except Exception as exc:  # reported on the first task, so the main process re-raises it
            init_error = ExceptionWrapper(exc, f"in DataLoader worker process {worker_id}")
            fetcher = None
        parent = os.getppid() if in_process else None
        while True:
            try:
                task = index_queue.get(timeout=5.0)
            except queue.Empty:
                if done_event.is_set() or (parent is not None and os.getppid() != parent):
                    break  # the main process is gone or shutting down
                continue
            if task is None:
                break
            if isinstance(task, ResetIterator):
                if fetcher is not None and spec["iterable"]:
                    fetcher = make_fetcher(True, spec["dataset"], spec["auto_collation"], spec["collate_fn"],
                                           spec["drop_last"])
                continue
            if done_event.is_set():
                continue  # drain quietly while shutting down
            epoch, task_idx, index = task
            if init_error is not None:
                payload: Any = init_error
            else:
                try:
                    payload = fetcher.fetch(index)
                except StopIteration:
                    payload = IterationEnd(worker_id)
                except Exception as exc:
                    payload = ExceptionWrapper(exc, f"in DataLoader worker process {worker_id}")
                if in_process and not isinstance(payload, (IterationEnd, ExceptionWrapper)):
                    try:
                        payload = dumps(payload)
                    except Exception as exc:
                        payload = ExceptionWrapper(exc, f"in DataLoader worker process {worker_id}")
            result_queue.put((epoch, task_idx, payload))
            del payload
    except KeyboardInterrupt:
        pass
    if in_process:
        # Buffered results nobody will read must not keep this process alive at exit.
        result_queue.cancel_join_thread()
