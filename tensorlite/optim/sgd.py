"""SGD with optional momentum (heavy-ball or Nesterov), dampening, weight decay and maximize."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from ..backend.device import get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer, _check_impl_flags, _check_range, _to_scalar

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's formulation:

        g <- grad (negated if maximize) + weight_decay * p
        b <- g at the first step, else momentum * b + (1 - dampening) * g
        g <- g + momentum * b (nesterov) or b (momentum != 0)
        p <- p - lr * g
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False, fused: bool | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _check_range("learning rate", lr)
        _check_range("momentum value", momentum)
        _check_range("weight_decay value", weight_decay)
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach, "differentiable": differentiable,
                    "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_impl_flags(differentiable, fused, foreach)
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    def step(self, closure: Callable[[], Any] | None = None):
        loss = self._eval_closure(closure)
        # The update runs on the raw arrays, in place (as torch's foreach kernels do): one pass per term,
        # no Tensor per intermediate.  Each write bumps the tensor's version counter like an in-place op.
        with self._update_grad_mode():
            for group in self.param_groups:
                if group["differentiable"]:
                    self._update_tensors(group)
                    continue
                lr = _to_scalar(group["lr"])
                weight_decay, momentum = group["weight_decay"], group["momentum"]
                dampening, nesterov, maximize = group["dampening"], group["nesterov"], group["maximize"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    param, d = p._data, p.grad._data
                    if maximize:
                        d = -d
                    if weight_decay != 0:
                        d = d + weight_decay * param
                    if momentum != 0:
                        state = self.state[p]
                        buf = state.get("momentum_buffer")
                        if buf is None:
                            # (array(), not .copy(): on a 0-d parameter the arithmetic above gives a NumPy scalar)
                            buf = state["momentum_buffer"] = Tensor._wrap(get_array_module(param).array(d))
                        else:
                            b = buf._data
                            b *= momentum
                            b += d if dampening == 0 else (1 - dampening) * d
                            buf._vc[0] += 1
                        d = d + momentum * buf._data if nesterov else buf._data
                    param -= lr * d
                    p._vc[0] += 1
        return loss

    def _update_tensors(self, group: dict[str, Any]) -> None:
        """The same update in Tensor ops, recorded by autograd (differentiable=True). As in PyTorch the
        first momentum buffer is a detached copy of the gradient, and a tensor lr stays differentiable."""
        lr, weight_decay, momentum = group["lr"], group["weight_decay"], group["momentum"]
        dampening, nesterov = group["dampening"], group["nesterov"]
        for p in group["params"]:
            if p.grad is None:
                continue
            grad = -p.grad if group["maximize"] else p.grad
            if weight_decay != 0:
                grad = grad.add(p, alpha=weight_decay)
            if momentum != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = grad.clone().detach()
                else:
                    buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                grad = grad.add(buf, alpha=momentum) if nesterov else buf
            if isinstance(lr, Tensor):
                p.addcmul_(grad, lr, value=-1)
            else:
                p.add_(grad, alpha=-lr)
