"""RAdam (Liu et al.): Adam with a rectifier that falls back to SGD-with-momentum while the
variance estimate is unreliable (early steps)."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .. import creation
from ..tensor import Tensor
from .optimizer import Optimizer, _check_impl_flags, _check_range, _scalar_dtype, _to_scalar

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam, PyTorch's formulation, step t = 1, 2, ...:

        g <- grad (negated if maximize); p <- p*(1 - lr*wd) if decoupled_weight_decay else g <- g + wd*p
        m <- lerp(m, g, 1 - beta1);  v <- beta2*v + (1 - beta2)*g^2;  m_hat = m/(1 - beta1^t)
        rho_inf = 2/(1 - beta2) - 1;  rho_t = rho_inf - 2t*beta2^t/(1 - beta2^t)
        rho_t > 5: p <- p - lr * m_hat * sqrt(1 - beta2^t)/(sqrt(v) + eps) * r_t,
                   r_t = sqrt((rho_t - 4)(rho_t - 2)rho_inf / ((rho_inf - 4)(rho_inf - 2)rho_t))
        else:      p <- p - lr * m_hat
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _check_range("learning rate", lr)
        _check_range("epsilon value", eps)
        _check_range("beta parameter at index 0", betas[0], 0.0, 1.0)
        _check_range("beta parameter at index 1", betas[1], 0.0, 1.0)
        _check_range("weight_decay value", weight_decay)
        _check_impl_flags(differentiable, None, foreach)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    _GROUP_DEFAULTS = (  # filled into the groups of older state dicts
        ("foreach", None), ("maximize", False), ("differentiable", False), ("decoupled_weight_decay", False),
        ("capturable", False),
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
                        state["exp_avg_sq"] = creation.zeros_like(p)
                    exp_avg, exp_avg_sq, step_t = state["exp_avg"], state["exp_avg_sq"], state["step"]
                    grad = -p.grad if group["maximize"] else p.grad
                    step_t += 1
                    step = step_t.item()
                    if weight_decay != 0:
                        if group["decoupled_weight_decay"]:
                            p.mul_(1 - lr * weight_decay)
                        else:
                            grad = grad.add(p, alpha=weight_decay)
                    exp_avg.lerp_(grad, 1 - beta1)
                    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                    bias_correction1 = 1 - beta1 ** step
                    bias_correction2 = 1 - beta2 ** step
                    # (a copy when differentiable: exp_avg changes in place at the next step)
                    corrected = (exp_avg.clone() if group["differentiable"] else exp_avg) / bias_correction1
                    rho_inf = 2 / (1 - beta2) - 1
                    rho_t = rho_inf - 2 * step * beta2 ** step / bias_correction2
                    if rho_t > 5.0:
                        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                        root = exp_avg_sq.sqrt()
                        root = root.add(eps) if group["differentiable"] else root.add_(eps)
                        adaptive_lr = bias_correction2 ** 0.5 / root
                        p.add_(corrected * lr * adaptive_lr * rect, alpha=-1.0)
                    else:
                        p.add_(corrected * lr, alpha=-1.0)
        return loss
