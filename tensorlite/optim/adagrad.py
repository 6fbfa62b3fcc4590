"""Adagrad (Duchi et al.): per-coordinate learning rates from the sum of squared gradients."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .. import creation
from ..tensor import Tensor
from .optimizer import Optimizer, _check_impl_flags, _check_range, _scalar_dtype, _to_scalar

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad, PyTorch's formulation, step t = 1, 2, ...:

        g <- grad (negated if maximize) + weight_decay*p;  clr = lr / (1 + (t - 1)*lr_decay)
        s <- s + g^2 (s starts at initial_accumulator_value);  p <- p - clr * g/(sqrt(s) + eps)

    State is created for every parameter at construction (as PyTorch does).
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _check_range("learning rate", lr)
        _check_range("lr_decay value", lr_decay)
        _check_range("weight_decay value", weight_decay)
        _check_range("initial_accumulator_value value", initial_accumulator_value)
        _check_range("epsilon value", eps)
        _check_impl_flags(differentiable, fused, foreach)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = creation.tensor(0.0, dtype=_scalar_dtype(is_fused=group["fused"]),
                                                device=p.device if group["fused"] else "cpu")
                state["sum"] = creation.full_like(p, initial_accumulator_value)

    _GROUP_DEFAULTS = (  # filled into the groups of older state dicts
        ("foreach", None), ("maximize", False), ("differentiable", False), ("fused", None),
    )

    def share_memory(self) -> None:
        """PyTorch moves the sums to shared memory for multiprocessing; a no-op here (NumPy arrays)."""

    def step(self, closure: Callable[[], Any] | None = None):
        loss = self._eval_closure(closure)
        with self._update_grad_mode():
            for group in self.param_groups:
                lr = _to_scalar(group["lr"])
                lr_decay, eps, weight_decay = group["lr_decay"], group["eps"], group["weight_decay"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    step_t, state_sum = state["step"], state["sum"]
                    step_t += 1
                    step = step_t.item()
                    grad = -p.grad if group["maximize"] else p.grad
                    if weight_decay != 0:
                        grad = grad.add(p, alpha=weight_decay)
                    clr = lr / (1 + (step - 1) * lr_decay)
                    state_sum.addcmul_(grad, grad, value=1)
                    # (out of place when differentiable: sqrt's backward needs its output unchanged)
                    std = state_sum.sqrt() + eps if group["differentiable"] else state_sum.sqrt().add_(eps)
                    p.addcdiv_(grad, std, value=-clr)
        return loss
