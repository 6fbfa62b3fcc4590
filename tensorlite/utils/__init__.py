"""`tl.utils`: utilities that sit above the core, as `torch.utils` (data pipeline, checkpoint, tensorboard)."""
from . import checkpoint, data

__all__ = ["data", "checkpoint", "tensorboard"]


def __getattr__(name):
    if name == "tensorboard":  # tensorboardX (the `train` extra) loads only when asked for
        import importlib

        return importlib.import_module("tensorlite.utils.tensorboard")
    raise AttributeError(f"module 'tensorlite.utils' has no attribute {name!r}")
