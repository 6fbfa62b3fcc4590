"""`skip_init`: build a module without running its parameter initialisation, as torch.nn.utils.skip_init."""
from __future__ import annotations

import inspect

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """module_cls(*args, **kwargs) with its parameters and buffers left uninitialised (on kwargs["device"]).

    PyTorch builds the module on the meta device, which tensorlite lacks: here it is built normally and
    its storage then replaced by empty tensors (`to_empty`), so the result is the same, the saving is not.
    """
    if not issubclass(module_cls, _module()):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    final_device = kwargs.pop("device", "cpu")
    return module_cls(*args, **kwargs).to_empty(device=final_device)


def _module():
    from ..modules.module import Module

    return Module
