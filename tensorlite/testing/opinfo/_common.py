"""Helpers the registry groups share: the PyTorch oracle (imported lazily, optionally with its warnings
silenced) and zero arrays for error samples."""
from __future__ import annotations

import warnings

import numpy as np


def _torch():
    import torch  # noqa: PLC0415 - the test oracle, imported only when checking

    return torch


def _t(name: str):
    """torch.<name>, looked up at call time (so importing the registry does not import torch)."""
    return lambda *args, **kwargs: getattr(_torch(), name)(*args, **kwargs)


def _t_quiet(name: str):
    """torch.<name> with its warnings silenced (deprecations: torch.svd, torch.qr, torch.lu, ...)."""
    def call(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return getattr(_torch(), name)(*args, **kwargs)

    return call


def _z(*shape, dtype=np.float64) -> np.ndarray:
    return np.zeros(shape, dtype=dtype)
