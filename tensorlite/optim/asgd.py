"""ASGD: averaged stochastic gradient descent (Polyak & Juditsky), PyTorch's formulation."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .. import creation
from ..tensor import Tensor
from .optimizer import Optimizer, _check_impl_flags, _check_range, _scalar_dtype, _to_scalar

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Averaged SGD, step t = 1, 2, ... with a decaying step size eta and averaging weight mu:

        g <- grad (negated if maximize) + weight_decay*p;  p <- p*(1 - lambd*eta) - eta*g
        ax <- ax + mu*(p - ax)   (the running average of the iterates; a copy of p while mu = 1)
        eta <- lr / (1 + lambd*lr*t)^alpha;  mu <- 1 / max(1, t - t0)
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _check_range("learning rate", lr)
        _check_range("weight_decay value", weight_decay)
        _check_impl_flags(differentiable, None, foreach)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    _GROUP_DEFAULTS = (  # filled into the groups of older state dicts
        ("foreach", None), ("maximize", False), ("differentiable", False), ("capturable", False),
    )

    def step(self, closure: Callable[[], Any] | None = None):
        loss = self._eval_closure(closure)
        with self._update_grad_mode():
            for group in self.param_groups:
                lr = _to_scalar(group["lr"])
                lambd, alpha, t0, weight_decay = group["lambd"], group["alpha"], group["t0"], group["weight_decay"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        device = p.device if group["capturable"] else "cpu"
                        state["step"] = creation.zeros((), dtype=_scalar_dtype(), device=device)
                        state["eta"] = creation.tensor(lr, dtype=_scalar_dtype(), device=device)
                        state["mu"] = creation.ones((), dtype=_scalar_dtype(), device=device)
                        state["ax"] = creation.zeros_like(p)
                    grad = -p.grad if group["maximize"] else p.grad
                    state["step"] += 1
                    step = state["step"].item()
                    if weight_decay != 0:
                        grad = grad.add(p, alpha=weight_decay)
                    # eta and mu are read back from their 0-d tensors (rounded to the scalar dtype), as PyTorch
                    eta = state["eta"].item()
                    p.mul_(1 - lambd * eta)
                    p.add_(grad, alpha=-eta)
                    ax = state["ax"]
                    mu = state["mu"].item()
                    if mu != 1:
                        ax.add_(p.sub(ax).mul_(mu))
                    else:
                        ax.copy_(p)
                    state["eta"].fill_(lr / ((1 + lambd * lr * step) ** alpha))
                    state["mu"].fill_(1 / max(1, step - t0))
        return loss
