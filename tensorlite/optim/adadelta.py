"""Adadelta (Zeiler): step sizes from running averages of squared gradients and squared updates."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .. import creation
from ..tensor import Tensor
from .optimizer import Optimizer, _check_impl_flags, _check_range, _scalar_dtype, _to_scalar

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta, PyTorch's formulation:

        g <- grad (negated if maximize) + weight_decay*p;  v <- rho*v + (1 - rho)*g^2
        delta = sqrt(u + eps)/sqrt(v + eps) * g;  u <- rho*u + (1 - rho)*delta^2;  p <- p - lr*delta
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _check_range("learning rate", lr)
        _check_range("rho value", rho, 0.0, 1.0, high_open=False)
        _check_range("epsilon value", eps)
        _check_range("weight_decay value", weight_decay)
        _check_impl_flags(differentiable, None, foreach)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "capturable": capturable, "foreach": foreach, "differentiable": differentiable}
        super().__init__(params, defaults)

    _GROUP_DEFAULTS = (  # filled into the groups of older state dicts
        ("foreach", None), ("maximize", False), ("differentiable", False), ("capturable", False),
    )

    def step(self, closure: Callable[[], Any] | None = None):
        loss = self._eval_closure(closure)
        with self._update_grad_mode():
            for group in self.param_groups:
                lr = _to_scalar(group["lr"])
                rho, eps, weight_decay = group["rho"], group["eps"], group["weight_decay"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = creation.zeros((), dtype=_scalar_dtype(),
                                                       device=p.device if group["capturable"] else "cpu")
                        state["square_avg"] = creation.zeros_like(p)
                        state["acc_delta"] = creation.zeros_like(p)
                    square_avg, acc_delta = state["square_avg"], state["acc_delta"]
                    state["step"] += 1
                    grad = -p.grad if group["maximize"] else p.grad
                    if weight_decay != 0:
                        grad = grad.add(p, alpha=weight_decay)
                    square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
                    std = square_avg.add(eps).sqrt_()
                    delta = acc_delta.add(eps).sqrt_()
                    if group["differentiable"]:
                        delta = delta.clone()  # sqrt_'s backward needs its result unchanged
                    delta.div_(std).mul_(grad)
                    acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
                    p.add_(delta, alpha=-lr)
        return loss
