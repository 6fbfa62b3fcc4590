"""Adamax (Kingma & Ba): Adam with the infinity norm in place of the second moment."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .. import creation
from ..ops.elementwise import maximum
from ..tensor import Tensor
from .optimizer import Optimizer, _check_impl_flags, _check_range, _scalar_dtype, _to_scalar

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax, PyTorch's formulation, step t = 1, 2, ...:

        g <- grad (negated if maximize) + weight_decay*p;  m <- lerp(m, g, 1 - beta1)
        u <- max(beta2*u, |g| + eps);  p <- p - lr/(1 - beta1^t) * m/u
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 2e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _check_range("learning rate", lr)
        _check_range("epsilon value", eps)
        _check_range("beta parameter at index 0", betas[0], 0.0, 1.0)
        _check_range("beta parameter at index 1", betas[1], 0.0, 1.0)
        _check_range("weight_decay value", weight_decay)
        _check_impl_flags(differentiable, None, foreach)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    _GROUP_DEFAULTS = (  # filled into the groups of older state dicts
        ("foreach", None), ("maximize", False), ("differentiable", False), ("capturable", False),
    )

    def step(self, closure: Callable[[], Any] | None = None):
        loss = self._eval_closure(closure)
        with self._update_grad_mode():
            for group in self.param_groups:
                lr = _to_scalar(group["lr"])
                beta1, beta2 = group["betas"]
                eps, weight_decay = group["eps"], group["weight_decay"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = creation.tensor(0.0, dtype=_scalar_dtype(),
                                                        device=p.device if group["capturable"] else "cpu")
                        state["exp_avg"] = creation.zeros_like(p)
                        state["exp_inf"] = creation.zeros_like(p)
                    exp_avg, exp_inf, step_t = state["exp_avg"], state["exp_inf"], state["step"]
                    step_t += 1
                    grad = -p.grad if group["maximize"] else p.grad
                    if weight_decay != 0:
                        grad = grad.add(p, alpha=weight_decay)
                    exp_avg.lerp_(grad, 1 - beta1)
                    exp_inf.copy_(maximum(exp_inf.mul_(beta2), grad.abs().add_(eps)))
                    clr = lr / (1 - beta1 ** step_t.item())
                    p.addcdiv_(exp_avg, exp_inf, value=-clr)
        return loss
