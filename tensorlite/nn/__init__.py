"""`tl.nn`: modules, layers, parameter initialisation and utilities, shaped like torch.nn."""
from ..tensor import Parameter
from . import functional, init, parameter, utils
from .parameter import Buffer, UninitializedBuffer, UninitializedParameter
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules_all

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "functional", "init", "parameter", "utils", *_modules_all]
