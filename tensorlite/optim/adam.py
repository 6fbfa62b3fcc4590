"""Adam and AdamW (Adam with decoupled weight decay), with the AMSGrad variant."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .. import creation
from ..backend.device import get_array_module
from ..ops.elementwise import maximum
from ..tensor import Tensor
from .optimizer import Optimizer, _check_impl_flags, _check_range, _scalar_dtype, _to_scalar

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's formulation, step t = 1, 2, ...:

        g <- grad (negated if maximize); p <- p*(1 - lr*wd) if decoupled_weight_decay else g <- g + wd*p
        m <- lerp(m, g, 1 - beta1);  v <- beta2*v + (1 - beta2)*g^2   (amsgrad: v_max <- max(v_max, v))
        p <- p - lr/(1 - beta1^t) * m / (sqrt(v or v_max)/sqrt(1 - beta2^t) + eps)
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _check_range("learning rate", lr)
        _check_range("epsilon value", eps)
        _check_range("beta parameter at index 0", betas[0], 0.0, 1.0)
        _check_range("beta parameter at index 1", betas[1], 0.0, 1.0)
        _check_range("weight_decay value", weight_decay)
        if not (all(isinstance(b, float) for b in betas[:2]) or all(isinstance(b, Tensor) for b in betas[:2])):
            raise ValueError("betas must be either both floats or both Tensors")
        for i, b in enumerate(betas[:2]):
            if isinstance(b, Tensor) and b.numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(_to_scalar(b) for b in betas)
        _check_impl_flags(differentiable, fused, foreach)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    _GROUP_DEFAULTS = (  # filled into the groups of older state dicts
        ("amsgrad", False), ("maximize", False), ("foreach", None), ("capturable", False),
        ("differentiable", False), ("decoupled_weight_decay", False), ("fused", None),
    )

    def step(self, closure: Callable[[], Any] | None = None):
        loss = self._eval_closure(closure)
        with self._update_grad_mode():
            for group in self.param_groups:
                if group["differentiable"]:
                    self._update_tensors(group)
                else:
                    self._update_group(group)
        return loss

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = _to_scalar(group["lr"])
        beta1, beta2 = (_to_scalar(b) for b in group["betas"])
        eps, weight_decay, amsgrad = group["eps"], group["weight_decay"], group["amsgrad"]
        decoupled = group["decoupled_weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            grad = -p.grad if group["maximize"] else p.grad
            state = self.state[p]
            if len(state) == 0:
                fused_like = bool(group["fused"]) or bool(group["capturable"])
                state["step"] = creation.tensor(0.0, dtype=_scalar_dtype(is_fused=fused_like),
                                                device=p.device if fused_like else "cpu")
                state["exp_avg"] = creation.zeros_like(p)
                state["exp_avg_sq"] = creation.zeros_like(p)
                if amsgrad:
                    state["max_exp_avg_sq"] = creation.zeros_like(p)
            exp_avg, exp_avg_sq, step_t = state["exp_avg"], state["exp_avg_sq"], state["step"]
            # The update runs on the raw arrays in place (as torch's foreach kernels do), bumping versions.
            param, g, m, v = p._data, grad._data, exp_avg._data, exp_avg_sq._data
            step_t._data += 1
            step_t._vc[0] += 1
            if weight_decay != 0:
                if decoupled:
                    param *= 1 - lr * weight_decay
                else:
                    g = g + weight_decay * param
            w = 1 - beta1  # m <- lerp(m, g, w), in torch's two-sided form (exact at w = 1)
            if w < 0.5:
                m += w * (g - m)
            else:
                m[...] = g - (g - m) * (1 - w)
            v *= beta2
            v += (1 - beta2) * g * g
            step = float(step_t._data)
            bias_correction1 = 1 - beta1 ** step
            bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
            step_size = lr / bias_correction1
            if amsgrad:
                max_sq = state["max_exp_avg_sq"]
                xp = get_array_module(param)
                xp.maximum(max_sq._data, v, out=max_sq._data)
                max_sq._vc[0] += 1
                v = max_sq._data
            denom = get_array_module(param).sqrt(v) / bias_correction2_sqrt
            denom += eps
            param += -step_size * m / denom
            for t in (p, exp_avg, exp_avg_sq):
                t._vc[0] += 1


    def _update_tensors(self, group: dict[str, Any]) -> None:
        """The same update in Tensor ops, recorded by autograd (differentiable=True); the bias corrections
        are computed from the 0-d step tensor and a tensor lr stays differentiable, as in PyTorch."""
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        eps, weight_decay, amsgrad = group["eps"], group["weight_decay"], group["amsgrad"]
        for p in group["params"]:
            if p.grad is None:
                continue
            grad = -p.grad if group["maximize"] else p.grad
            state = self.state[p]
            if len(state) == 0:
                state["step"] = creation.tensor(0.0, dtype=_scalar_dtype())
                state["exp_avg"] = creation.zeros_like(p)
                state["exp_avg_sq"] = creation.zeros_like(p)
                if amsgrad:
                    state["max_exp_avg_sq"] = creation.zeros_like(p)
            exp_avg, exp_avg_sq, step_t = state["exp_avg"], state["exp_avg_sq"], state["step"]
            step_t += 1
            if weight_decay != 0:
                if group["decoupled_weight_decay"]:
                    p.mul_(1 - lr * weight_decay)
                else:
                    grad = grad.add(p, alpha=weight_decay)
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            step_size_neg = -(lr / (1 - beta1 ** step_t))
            bias_correction2_sqrt = (1 - beta2 ** step_t).sqrt()
            if amsgrad:
                max_sq = state["max_exp_avg_sq"]
                max_sq.copy_(maximum(max_sq, exp_avg_sq))
                v = max_sq
            else:
                v = exp_avg_sq
            # p + step_size * m / (sqrt(v)/bc2_sqrt + eps), arranged as PyTorch's capturable form
            denom = (v.sqrt() / (bias_correction2_sqrt * step_size_neg)).add_(eps / step_size_neg)
            p.addcdiv_(exp_avg.clone(), denom)  # a copy: exp_avg changes in place at the next step


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): p <- p*(1 - lr*weight_decay) before the
    Adam update, instead of adding weight_decay*p to the gradient. Default weight_decay 1e-2."""

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
