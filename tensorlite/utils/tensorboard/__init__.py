"""`tl.utils.tensorboard.SummaryWriter`: torch.utils.tensorboard's import path, backed by tensorboardX.

tensorboardX comes with the `train` extra. Values given as tensorlite Tensors (scalars, histograms,
images, embeddings, ...) become NumPy arrays before tensorboardX sees them.
"""
from __future__ import annotations

import functools

try:
    from tensorboardX import SummaryWriter as _TBXWriter
except ImportError as exc:  # the `train` extra is not installed
    raise ImportError("tl.utils.tensorboard needs tensorboardX: pip install 'tensorlite[train]'") from exc


def _to_numpy(value):
    from ...tensor import Tensor

    if isinstance(value, Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, dict):
        return {k: _to_numpy(v) for k, v in value.items()}
    return value


def _converting(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        return method(self, *(_to_numpy(a) for a in args), **{k: _to_numpy(v) for k, v in kwargs.items()})

    return wrapper


class SummaryWriter(_TBXWriter):
    """tensorboardX's SummaryWriter (same arguments: log_dir, comment, purge_step, max_queue, flush_secs,
    filename_suffix) whose add_* methods accept tensorlite Tensors."""


for _name in dir(_TBXWriter):
    if _name.startswith("add_") and callable(getattr(_TBXWriter, _name)):
        setattr(SummaryWriter, _name, _converting(getattr(_TBXWriter, _name)))

__all__ = ["SummaryWriter"]
