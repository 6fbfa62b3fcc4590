"""Affine maps: `linear` (y = x W^T + b) and `bilinear` (y_k = x1^T A_k x2 + b_k).

`linear` is the hot path of every MLP, so it is one Function around a single matrix product:
leading dims of the input are folded into the rows (a view for contiguous inputs), the bias is
added in place into the fresh product, and the backward is two matrix products and a sum (dx = g W,
dW = g^T x, db = sum g). The products go through the `gemm` kernel (tensorlite.kernels.gemm: native
float32 where it measured faster than NumPy's BLAS; W^T and g^T are read in place, not copied).
The backward is written in Tensor ops (matmul, sum) when a graph of the gradient is being built
(create_graph=True), so double backward works; otherwise it runs on the raw arrays, which skips
building Tensors that nothing would record.
"""
from __future__ import annotations

import numpy as np

from ...autograd import grad_mode
from ...amp import policy as _amp
from ...autograd.function import Function
from ...backend import get_array_module
from ...kernels.gemm import gemm
from ...ops.linalg import _TORCH_NAMES, matmul
from ...ops.shape import reshape
from ...tensor import Tensor

__all__ = ["linear", "bilinear"]

_grad_enabled = grad_mode._grad_enabled


def _rows(shape: tuple) -> int:
    n = 1
    for s in shape[:-1]:
        n *= s
    return n


class Linear(Function):
    """y = x W^T (+ b), x of shape (..., in), W (out, in), b (out,) or (). Gradients: g W, g^T x, sum g."""

    def forward(self, x, w, *bias):
        if x.ndim == 2:
            out = gemm(x, w.T)  # the kernel reads W^T through its strides: no copy
        elif x.ndim == 1:
            out = x @ w.T
        else:  # fold the batch dims into the rows: one GEMM instead of a batch of them
            out = gemm(x.reshape(_rows(x.shape), x.shape[-1]), w.T).reshape(x.shape[:-1] + (w.shape[0],))
        if bias:
            out += bias[0]  # the product is a fresh array: add in place, no second output buffer
        return out

    def backward(self, grad):
        x, w = self.inputs[0], self.inputs[1]
        need = self.needs_input_grad
        if _grad_enabled[0]:
            return self._backward_tensors(grad, x, w)
        g = grad._data
        gx = gw = gb = None
        g2 = g if g.ndim == 2 else g.reshape(_rows(g.shape), g.shape[-1])
        if need[0]:
            if g.ndim == 1:
                gx = Tensor._wrap(g @ w._data)
            else:
                gx = gemm(g2, w._data)
                gx = Tensor._wrap(gx if g.ndim == 2 else gx.reshape(x._data.shape))
        if need[1]:
            x2 = x._data
            x2 = x2 if x2.ndim == 2 else x2.reshape(_rows(x2.shape), x2.shape[-1])
            gw = Tensor._wrap(gemm(g2.T, x2))  # g^T read through its strides: no copy
        if len(need) > 2 and need[2]:
            gb = g2.sum(axis=0)
            shape = self.inputs[2]._data.shape
            if gb.shape != shape:  # a bias of shape () or (1,) was broadcast over the features too
                gb = gb.sum().reshape(shape)
            gb = Tensor._wrap(get_array_module(g).asarray(gb))  # NumPy reductions to 0-d give scalars
        return (gx, gw, gb) if len(need) > 2 else (gx, gw)

    def _backward_tensors(self, grad, x, w):
        """The same gradients in differentiable Tensor ops (create_graph=True)."""
        need = self.needs_input_grad
        gx = gw = gb = None
        out_f, in_f = w._data.shape
        if need[0]:
            gx = matmul(grad, w)
        g2 = reshape(grad, (_rows(grad._data.shape), out_f)) if grad._data.ndim != 2 else grad
        if need[1]:
            x2 = reshape(x, (_rows(x._data.shape), in_f)) if x._data.ndim != 2 else x
            gw = matmul(g2.t(), x2)
        if len(need) > 2 and need[2]:
            gb = g2.sum(0)
            shape = self.inputs[2]._data.shape
            if tuple(gb.shape) != shape:
                gb = reshape(gb.sum(), shape)
        return (gx, gw, gb) if len(need) > 2 else (gx, gw)


def _dtype_name(t: Tensor) -> str:
    return _TORCH_NAMES.get(t._data.dtype.name, t._data.dtype.name)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight^T + bias; input (..., in), weight (out, in), bias (out,). Gradient: see `Linear`."""
    if _amp.active[0]:
        input, weight, bias = _amp.cast_inputs("linear", input, weight, bias)
    try:
        x, w = input._data, weight._data
    except AttributeError:
        bad, name = (input, "input") if not isinstance(input, Tensor) else (weight, "weight")
        raise TypeError(f"linear(): argument '{name}' must be Tensor, not {type(bad).__name__}") from None
    if x.ndim == 0 or w.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {x.ndim}D and {w.ndim}D")
    if w.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {w.ndim}D")
    if x.dtype != w.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_dtype_name(input)} != "
                           f"{_dtype_name(weight)}")
    if x.dtype.kind == "b":
        raise RuntimeError("\"addmm_impl_cpu_\" not implemented for 'Bool'")
    if bias is not None and bias._data.dtype != x.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {bias.dtype.name.capitalize()} and "
                           f"{input.dtype.name.capitalize()}")
    if w.ndim == 1 or x.shape[-1] != w.shape[1] or (bias is not None and bias._data.ndim > 1):
        return _linear_general(input, weight, bias)
    if type(x) is not type(w):
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                           f"{input.device} and {weight.device}!")
    if bias is None:
        return Linear.apply(input, weight)
    b = bias._data
    if b.ndim == 1 and b.shape[0] not in (w.shape[0], 1):
        raise RuntimeError(f"The expanded size of the tensor ({w.shape[0]}) must match the existing size "
                           f"({b.shape[0]}) at non-singleton dimension {max(x.ndim - 1, 0)}.  Target sizes: "
                           f"{list(x.shape[:-1]) + [w.shape[0]]}.  Tensor sizes: [{b.shape[0]}]")
    return Linear.apply(input, weight, bias)


def _linear_general(input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """Rare shapes (a 1-D weight, a full-shape bias) and shape errors: compose matmul and add."""
    x, w = input._data, weight._data
    k = w.shape[-1]
    if x.shape[-1] != k:
        rows = _rows(x.shape) if x.ndim > 1 else 1
        cols = w.shape[0] if w.ndim == 2 else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{x.shape[-1]} and {k}x{cols})")
    out = matmul(input, weight.t() if w.ndim == 2 else weight)
    if bias is not None:
        try:
            np.broadcast_shapes(bias._data.shape, out._data.shape)
        except ValueError:
            raise RuntimeError(f"linear: bias of shape {tuple(bias.shape)} cannot be added to the output of shape "
                               f"{tuple(out.shape)}") from None
        out = out + bias
    return out


@_amp.autocast_op("bilinear")
def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y[..., k] = sum_ij x1[..., i] A[k, i, j] x2[..., j] + b[k]. Gradients through two matmuls (einsum-free).

    Computed as (x1 @ A.view(in1, out*in2)) reshaped to (..., out, in2), times x2, summed over in2:
    one GEMM and one broadcast multiply-reduce, all differentiable Tensor ops.
    """
    x1, x2, w = input1._data, input2._data, weight._data
    named = [("input1", input1), ("input2", input2), ("weight", weight)]
    named += [("bias", bias)] if bias is not None else []
    if len({t._data.dtype for _, t in named}) != 1:  # PyTorch checks this first, bias included
        raise RuntimeError("bilinear(): All tensors must have the same dtype, got "
                           + ", ".join(f"{n}: {t.dtype}" for n, t in named))
    if x1.ndim != x2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {x1.ndim} and {x2.ndim}")
    # PyTorch indexes sizes before checking ranks, so too few dims are IndexErrors.
    if x1.ndim == 0:
        raise IndexError("bilinear(): Dimension specified as -1 but tensor has no dimensions (inputs must be at "
                         "least 1-D)")
    for d in range(x1.ndim - 1):
        if x1.shape[d] != x2.shape[d]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: got {x1.shape[d]} "
                               f"and {x2.shape[d]}")

    def weight_dim(d: int) -> int:
        if d < w.ndim:
            return w.shape[d]
        raise IndexError(f"bilinear(): Dimension specified as {d} but tensor has no dimensions" if w.ndim == 0 else
                         f"bilinear(): Dimension out of range (expected to be in range of [{-w.ndim}, {w.ndim - 1}], "
                         f"but got {d}); weight must be 3-D, got shape {list(w.shape)}")

    if x1.shape[-1] != weight_dim(1):
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {x1.shape[-1]} but expected "
                           f"{w.shape[1]}")
    if x2.shape[-1] != weight_dim(2):
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {x2.shape[-1]} but expected "
                           f"{w.shape[2]}")
    if w.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be a 3-D tensor, got {w.ndim}-D")
    out_f, in1, in2 = w.shape
    if bias is not None and bias._data.ndim == 0:
        raise IndexError("bilinear(): Dimension specified as 0 but tensor has no dimensions (bias must be 1-D)")
    if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != out_f):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias._data.shape[-1]} but "
                           f"expected {out_f}")
    lead = x1.shape[:-1]
    # (..., in1) @ (in1, out*in2) -> (..., out, in2); weight.permute gives A[i, k, j] so rows index i.
    w_flat = reshape(weight.permute(1, 0, 2), (in1, out_f * in2))
    left = reshape(matmul(input1, w_flat), lead + (out_f, in2))
    out = (left * input2.unsqueeze(-2)).sum(-1)
    if bias is not None:
        out = out + bias
    return out
