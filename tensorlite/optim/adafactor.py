"""Adafactor (Shazeer & Stern): Adam-like steps with a factored second-moment estimate, PyTorch's formulation."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .. import _dtype as dt
from .. import creation
from ..autograd.grad_mode import no_grad
from ..ops.reduce import norm
from ..tensor import Tensor
from .optimizer import Optimizer, _scalar_dtype, _to_scalar

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    """Adafactor as PyTorch implements it, step t = 1, 2, ...:

        beta2_t = 1 - t^beta2_decay;  rho = min(lr, 1/sqrt(t));  alpha = max(eps2, RMS(p)) * rho
        p <- p * (1 - lr*weight_decay)
        matrices (and batches of them, last two dims): row/column means of g^2 tracked as
            R <- lerp(R, mean_cols(g^2), 1 - beta2_t), C <- lerp(C, mean_rows(g^2), 1 - beta2_t),
            v = R C / mean(R)          (clamped below by eps1)
        vectors and scalars: v <- lerp(v, g^2, 1 - beta2_t)
        u = g / sqrt(max(v, eps1^2));  p <- p - alpha / max(1, RMS(u)/d) * u

    eps = (eps1, eps2); eps1=None means the machine epsilon of the parameter's dtype.
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple = (None, 1e-3), d: float = 1.0, weight_decay: float = 0.0, *,
                 foreach: bool | None = None, maximize: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {"lr": lr, "beta2_decay": beta2_decay, "eps": eps, "d": d, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize}
        super().__init__(params, defaults)

    _GROUP_DEFAULTS = (("foreach", None), ("maximize", False))  # filled into the groups of older state dicts

    def step(self, closure: Callable[[], Any] | None = None):
        loss = self._eval_closure(closure)
        with no_grad():
            for group in self.param_groups:
                self._update_group(group)
        return loss

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = _to_scalar(group["lr"])
        beta2_decay, (eps1, eps2) = group["beta2_decay"], group["eps"]
        clip, weight_decay = group["d"], group["weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            if p.is_complex():
                raise RuntimeError("Adafactor does not support complex parameters")
            grad = -p.grad if group["maximize"] else p.grad
            state = self.state[p]
            if len(state) == 0:
                state["step"] = creation.tensor(0.0, dtype=_scalar_dtype())
                if grad.dim() > 1:
                    # the factored estimate: one value per row and one per column (of the last two dims)
                    state["row_var"] = grad.new_zeros(tuple(grad.shape[:-1]) + (1,))
                    state["col_var"] = grad.new_zeros(tuple(grad.shape[:-2]) + (1, grad.shape[-1]))
                else:
                    state["variance"] = creation.zeros_like(grad)
            e1 = dt.finfo(p.dtype).eps if eps1 is None else eps1
            state["step"] += 1
            t = state["step"].item()
            one_minus_beta2_t = t ** beta2_decay
            rho_t = min(lr, 1 / (t ** 0.5))
            alpha = max(eps2, p.norm(2).item() / (p.numel() ** 0.5)) * rho_t
            if weight_decay != 0:
                p.mul_(1 - lr * weight_decay)
            if grad.dim() > 1:
                row_var, col_var = state["row_var"], state["col_var"]
                row_mean = norm(grad, dim=-1, keepdim=True).square_().div_(grad.size(-1))
                row_var.lerp_(row_mean, one_minus_beta2_t)
                col_mean = norm(grad, dim=-2, keepdim=True).square_().div_(grad.size(-2))
                col_var.lerp_(col_mean, one_minus_beta2_t)
                var_estimate = row_var @ col_var
                var_estimate.div_(row_var.mean(dim=-2, keepdim=True).clamp_(min=e1))
            else:
                variance = state["variance"]
                variance.lerp_(grad * grad, one_minus_beta2_t)
                var_estimate = variance.clone()
            update = var_estimate.clamp_(min=e1 * e1).rsqrt_()
            update.mul_(grad)
            denom = max(1.0, update.norm(2).item() / ((update.numel() ** 0.5) * clip))
            p.add_(update, alpha=-alpha / denom)
