"""Rprop (Riedmiller & Braun): per-coordinate step sizes adapted from the sign of the gradient only."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .. import creation
from ..ops.elementwise import where
from ..tensor import Tensor
from .optimizer import Optimizer, _check_impl_flags, _check_range, _scalar_dtype, _to_scalar

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Rprop, PyTorch's formulation (step sizes start at lr):

        s = sign(g * g_prev);  step_size <- clamp(step_size * (etaplus if s > 0, etaminus if s < 0, 1 if s = 0),
                                                  *step_sizes)
        g <- 0 where s < 0 (no move after a sign change);  p <- p - sign(g) * step_size;  g_prev <- g
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-2, etas: tuple = (0.5, 1.2),
                 step_sizes: tuple = (1e-6, 50), *, capturable: bool = False, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _check_range("learning rate", lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        _check_impl_flags(differentiable, None, foreach)
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    _GROUP_DEFAULTS = (  # filled into the groups of older state dicts
        ("foreach", None), ("maximize", False), ("differentiable", False), ("capturable", False),
    )

    def step(self, closure: Callable[[], Any] | None = None):
        loss = self._eval_closure(closure)
        with self._update_grad_mode():
            for group in self.param_groups:
                etaminus, etaplus = group["etas"]
                step_size_min, step_size_max = group["step_sizes"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = creation.zeros((), dtype=_scalar_dtype(),
                                                       device=p.device if group["capturable"] else "cpu")
                        state["prev"] = creation.zeros_like(p)
                        state["step_size"] = creation.full_like(p.grad, _to_scalar(group["lr"]))
                    prev, step_size = state["prev"], state["step_size"]
                    state["step"] += 1
                    grad = -p.grad if group["maximize"] else p.grad
                    sign = grad.mul(prev.clone() if group["differentiable"] else prev).sign()
                    # NaN products keep NaN (no branch matches), as with PyTorch's masked assignments
                    factor = where(sign > 0, etaplus, where(sign < 0, etaminus, where(sign == 0, 1.0, sign)))
                    step_size.mul_(factor).clamp_(step_size_min, step_size_max)
                    grad = where(factor == etaminus, 0.0, grad)
                    p.addcmul_(grad.sign(), step_size, value=-1)
                    prev.copy_(grad)
        return loss
