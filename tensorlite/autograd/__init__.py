"""Reverse-mode automatic differentiation: the graph nodes, the engine, and its public API."""
from .api import backward, grad
from .custom_function import Function, FunctionCtx, once_differentiable
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                        set_grad_enabled)

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "is_inference_mode_enabled", "gradcheck",
           "gradgradcheck"]


# Bound after the submodule import, as PyTorch does, so `tl.autograd.gradcheck` is the function
# while `from tensorlite.autograd.gradcheck import GradcheckError` still reaches the module.
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: E402
from . import functional  # noqa: E402  (tl.autograd.functional: vjp, jvp, jacobian, hessian, vhp, hvp)
