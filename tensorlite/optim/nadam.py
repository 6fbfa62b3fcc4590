"""NAdam (Dozat): Adam with Nesterov momentum and a momentum-decay schedule."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .. import creation
from ..tensor import Tensor
from .optimizer import Optimizer, _check_impl_flags, _check_range, _scalar_dtype, _to_scalar

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam, PyTorch's formulation, step t = 1, 2, ...:

        g <- grad (negated if maximize); p <- p*(1 - lr*wd) if decoupled_weight_decay else g <- g + wd*p
        mu_t = beta1*(1 - 0.5*0.96^(t*momentum_decay));  P_t = mu_1*...*mu_t (state "mu_product")
        m <- lerp(m, g, 1 - beta1);  v <- beta2*v + (1 - beta2)*g^2;  d = sqrt(v/(1 - beta2^t)) + eps
        p <- p - lr*(1 - mu_t)/(1 - P_t) * g/d - lr*mu_{t+1}/(1 - P_t*mu_{t+1}) * m/d

    "mu_product" is a 0-d tensor in the scalar dtype (float32 by default), as in PyTorch, so its
    rounding matches.
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 2e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _check_range("learning rate", lr)
        _check_range("epsilon value", eps)
        _check_range("beta parameter at index 0", betas[0], 0.0, 1.0)
        _check_range("beta parameter at index 1", betas[1], 0.0, 1.0)
        _check_range("weight_decay value", weight_decay)
        _check_range("momentum_decay value", momentum_decay)
        _check_impl_flags(differentiable, None, foreach)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    _GROUP_DEFAULTS = (  # filled into the groups of older state dicts
        ("maximize", False), ("foreach", None), ("capturable", False), ("differentiable", False),
        ("decoupled_weight_decay", False),
    )

    def step(self, closure: Callable[[], Any] | None = None):
        loss = self._eval_closure(closure)
        with self._update_grad_mode():
            for group in self.param_groups:
                lr = _to_scalar(group["lr"])
                beta1, beta2 = group["betas"]
                eps, weight_decay, momentum_decay = group["eps"], group["weight_decay"], group["momentum_decay"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        device = p.device if group["capturable"] else "cpu"
                        state["step"] = creation.tensor(0.0, dtype=_scalar_dtype(), device=device)
                        state["mu_product"] = creation.tensor(1.0, dtype=_scalar_dtype(), device=device)
                        state["exp_avg"] = creation.zeros_like(p)
                        state["exp_avg_sq"] = creation.zeros_like(p)
                    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                    mu_product, step_t = state["mu_product"], state["step"]
                    step_t += 1
                    step = step_t.item()
                    bias_correction2 = 1 - beta2 ** step
                    grad = -p.grad if group["maximize"] else p.grad
                    if weight_decay != 0:
                        if group["decoupled_weight_decay"]:
                            p.mul_(1 - lr * weight_decay)
                        else:
                            grad = grad.add(p, alpha=weight_decay)
                    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                    mu_product *= mu
                    exp_avg.lerp_(grad, 1 - beta1)
                    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                    prod = mu_product.item()
                    mu_product_next = prod * mu_next
                    if group["differentiable"]:
                        # out of place (exp_avg/exp_avg_sq change in place next step; sqrt keeps its output)
                        denom = exp_avg_sq.clone().div(bias_correction2).sqrt().add(eps)
                        # the factors from the 0-d mu_product tensor (its dtype's rounding), as PyTorch
                        p.addcdiv_(grad * (-lr * (1.0 - mu) / (1.0 - mu_product)), denom)
                        p.addcdiv_(exp_avg * (-lr * mu_next / (1.0 - mu_product * mu_next)), denom)
                        continue
                    denom = exp_avg_sq.div(bias_correction2).sqrt()
                    denom.add_(eps)
                    p.addcdiv_(grad, denom, value=(-lr * (1.0 - mu) / (1.0 - prod)))
                    p.addcdiv_(exp_avg, denom, value=(-lr * mu_next) / (1.0 - mu_product_next))
        return loss
