"""`tl.nn`: modules, layers, parameter initialisation and utilities, shaped like torch.nn."""
from ..tensor import Parameter
from . import functional, init, utils
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules_all

__all__ = ["Parameter", "functional", "init", "utils", *_modules_all]
