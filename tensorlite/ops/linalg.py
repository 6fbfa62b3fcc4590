"""Linear algebra: matmul and its named forms (mm, bmm, mv, dot, ...), the add-and-multiply fused
forms (addmm, baddbmm, ...), outer products, tensordot, kron, cross and einsum.

matmul follows PyTorch (and NumPy's `@`): 1-D x 1-D is a dot product (0-d result); a 1-D operand
is treated as a row (left) or column (right) vector whose unit dim is dropped from the result;
dims before the last two are batch dims and broadcast. Its gradients are matmuls of transposed
views, dA = g @ B^T and dB = A^T @ g, summed back over broadcast batch dims.

PyTorch requires both operands of a matrix product to have the same dtype (no promotion), and
so do we. Integer products work but are not differentiable; bool products raise
NotImplementedError, as in PyTorch on CPU.
"""
from __future__ import annotations

import numpy as np

from ..amp import policy as _amp
from ..autograd.function import Function
from ..backend import get_array_module
from ..kernels.gemm import gemm
from ..tensor import Tensor, _wrap_dim
from . import _einsum
from ._einsum import Einsum, einsum, reshape
from .arithmetic import as_operands, mul, sum_to_shape

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm", "addmv", "addbmm",
           "baddbmm", "addr", "einsum", "tensordot", "kron", "cross"]

_amp_on = _amp.active  # nonzero while autocast is on somewhere: the ops below then ask amp.policy for dtypes

_TORCH_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
                "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


# -- the Functions -------------------------------------------------------------------------------------
class MatrixTranspose(Function):
    """y = x with its last two dims swapped (a view). Gradient: g swapped back."""

    keep_inputs = False
    is_view = True

    def forward(self, x):
        return x.swapaxes(-1, -2)

    def backward(self, grad):
        return MatrixTranspose.apply(grad)


_mT = MatrixTranspose.apply


class Matmul(Function):
    """y = a @ b (at least one operand >= 2-D). Gradients: g @ b^T and a^T @ g, summed over broadcast batch dims."""

    def forward(self, a, b):
        try:
            # 2-D products through the gemm kernel (native float32 where it is faster than BLAS;
            # transposed views, as in the backward's g @ b^T, are read in place)
            return gemm(a, b) if a.ndim == 2 and b.ndim == 2 else a @ b
        except ValueError:
            raise _matmul_shape_error(a.shape, b.shape) from None

    def backward(self, grad):
        a, b = self.inputs
        a_shape, b_shape = a._data.shape, b._data.shape
        # A 1-D operand is a row (left) or column (right) vector; restore that unit dim in a and g.
        if len(a_shape) == 1:
            a = reshape(a, (1,) + a_shape)
            grad = reshape(grad, grad._data.shape[:-1] + (1,) + grad._data.shape[-1:])
        if len(b_shape) == 1:
            b = reshape(b, b_shape + (1,))
            grad = reshape(grad, grad._data.shape + (1,))
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = Matmul.apply(grad, _mT(b))
            ga = reshape(sum_to_shape(ga, a._data.shape), a_shape)
        if self.needs_input_grad[1]:
            if b._data.ndim == 2 and a._data.ndim > 2:
                # Batched activations times a weight matrix: fold the batch into the rows, one BLAS call
                # instead of a batch of products summed afterwards.
                k, m = a._data.shape[-1], grad._data.shape[-1]
                rows = _rows(a._data.shape)
                gb = Matmul.apply(_mT(reshape(a, (rows, k))), reshape(grad, (rows, m)))
            else:
                gb = sum_to_shape(Matmul.apply(_mT(a), grad), b._data.shape)
            gb = reshape(gb, b_shape)
        return ga, gb


def _rows(shape) -> int:
    n = 1
    for s in shape[:-1]:
        n *= s
    return n


class Dot(Function):
    """y = sum_i a_i b_i (1-D operands). Gradients: g*b and g*a."""

    def forward(self, a, b):
        return get_array_module(a).dot(a, b)

    def backward(self, grad):
        a, b = self.inputs
        ga = mul(grad, b) if self.needs_input_grad[0] else None
        gb = mul(grad, a) if self.needs_input_grad[1] else None
        return ga, gb


class Outer(Function):
    """y_ij = a_i b_j. Gradients: g @ b and a @ g (matrix-vector products)."""

    def forward(self, a, b):
        return a[:, None] * b[None, :]

    def backward(self, grad):
        a, b = self.inputs
        ga = Matmul.apply(grad, b) if self.needs_input_grad[0] else None
        gb = Matmul.apply(a, grad) if self.needs_input_grad[1] else None
        return ga, gb


class ScaledAdd(Function):
    """y = beta*input + alpha*prod (input broadcast to prod's shape; ignored when beta == 0, so its NaNs
    don't propagate). Gradients: beta*g summed to input's shape, and alpha*g."""

    keep_inputs = False

    def forward(self, inp, prod, beta, alpha):
        self.in_shape, self.beta, self.alpha = inp.shape, beta, alpha
        out = prod if alpha == 1 else prod * alpha
        if beta == 0:
            return out
        return out + (inp if beta == 1 else inp * beta)

    def backward(self, grad):
        g_in = g_prod = None
        if self.needs_input_grad[0]:
            g_in = sum_to_shape(grad if self.beta == 1 else mul(grad, self.beta), self.in_shape)
        if self.needs_input_grad[1]:
            g_prod = grad if self.alpha == 1 else mul(grad, self.alpha)
        return g_in, g_prod


# -- checks and messages -------------------------------------------------------------------------------
def _tensor_args(op: str, **named) -> None:
    for name, t in named.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(t).__name__}")


def _same_dtype(op: str, a: Tensor, b: Tensor) -> None:
    da, db = a._data.dtype, b._data.dtype
    if da != db:
        raise RuntimeError(f"{op}: expected m1 and m2 to have the same dtype, but got: "
                           f"{_TORCH_NAMES.get(da.name, da.name)} != {_TORCH_NAMES.get(db.name, db.name)}")
    if type(a._data) is not type(b._data):
        raise RuntimeError(f"{op}: Expected all tensors to be on the same device, but found at least two devices, "
                           f"{a.device} and {b.device}!")
    if da == np.bool_:
        raise NotImplementedError(f"{op}: \"addmm_impl_cpu_\" not implemented for 'Bool'")


def _matmul_shape_error(sa: tuple, sb: tuple, op: str = "matmul") -> RuntimeError:
    ka = sa[-1]
    kb = sb[-2] if len(sb) >= 2 else sb[-1]
    if ka != kb:
        return RuntimeError(f"{op}: cannot multiply {tuple(sa)} by {tuple(sb)}: inner sizes {ka} and {kb} differ")
    ba, bb = sa[:-2], sb[:-2]
    for i in range(1, min(len(ba), len(bb)) + 1):
        x, y = ba[-i], bb[-i]
        if x != y and x != 1 and y != 1:
            return RuntimeError(f"{op}: cannot multiply {tuple(sa)} by {tuple(sb)}: batch dims {ba} and {bb} do not "
                                f"broadcast (the size of tensor a ({x}) must match the size of tensor b ({y}) at "
                                f"non-singleton dimension {max(len(ba), len(bb)) - i})")
    return RuntimeError(f"{op}: cannot multiply {tuple(sa)} by {tuple(sb)}")


def _require_ndim(op: str, name: str, t: Tensor, ndim: int) -> None:
    if t._data.ndim != ndim:
        kind = {1: "a vector", 2: "a matrix", 3: "a 3D tensor"}[ndim]
        raise RuntimeError(f"{op}: {name} must be {kind}, got {t._data.ndim}-D tensor of shape {tuple(t._data.shape)}")


def _scalar_for(t: Tensor, value, name: str):
    """alpha/beta: PyTorch truncates them to integers for integer tensors."""
    if isinstance(value, Tensor):
        value = value.item()
    if not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    return int(value) if t._data.dtype.kind in "iu" else value


# -- matrix products -----------------------------------------------------------------------------------
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with PyTorch's 1-D and broadcast-batch rules (see the module docstring)."""
    if _amp_on[0]:
        input, other = _amp.cast_inputs("matmul", input, other)
    if type(input) is not Tensor or type(other) is not Tensor:
        _tensor_args("matmul", input=input, other=other)
    a, b = input._data, other._data
    if a.dtype != b.dtype or a.dtype == np.bool_ or type(a) is not type(b):
        _same_dtype("matmul", input, other)
    na, nb = a.ndim, b.ndim
    if na >= 2 and nb >= 2:
        return Matmul.apply(input, other)
    if na == 0 or nb == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D")
    if na == 1 and nb == 1:
        if a.shape[0] != b.shape[0]:
            raise _matmul_shape_error(a.shape, b.shape)
        return Dot.apply(input, other)
    if a.shape[-1] != (b.shape[-2] if nb >= 2 else b.shape[0]):
        raise _matmul_shape_error(a.shape, b.shape)
    return Matmul.apply(input, other)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Matrix product of two 2-D tensors (no broadcasting)."""
    if _amp_on[0]:
        input, mat2 = _amp.cast_inputs("mm", input, mat2)
    _tensor_args("mm", input=input, mat2=mat2)
    _require_ndim("mm", "self", input, 2)
    _require_ndim("mm", "mat2", mat2, 2)
    _same_dtype("mm", input, mat2)
    if input._data.shape[1] != mat2._data.shape[0]:
        raise _matmul_shape_error(input._data.shape, mat2._data.shape, "mm")
    return Matmul.apply(input, mat2)


def _check_bmm(op: str, batch1: Tensor, batch2: Tensor) -> None:
    _tensor_args(op, batch1=batch1, batch2=batch2)
    if op != "bmm" and (batch1._data.ndim < 2 or batch2._data.ndim < 3):
        # PyTorch reads batch1.size(1) and batch2.size(2) before checking their ndim: an IndexError.
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of [-2, 1], but got 2): batch1 "
                         f"{tuple(batch1._data.shape)} and batch2 {tuple(batch2._data.shape)} must be 3-D")
    _require_ndim(op, "batch1", batch1, 3)
    _require_ndim(op, "batch2", batch2, 3)
    s1, s2 = batch1._data.shape, batch2._data.shape
    if s1[0] != s2[0] or s1[2] != s2[1]:
        raise RuntimeError(f"{op}: cannot multiply batches {tuple(s1)} and {tuple(s2)}: expected size for first two "
                           f"dimensions of batch2 tensor to be: [{s1[0]}, {s1[2]}] but got: [{s2[0]}, {s2[1]}].")
    if batch1._data.dtype == np.bool_ and batch2._data.dtype != np.bool_:  # PyTorch dispatches on batch1's dtype
        raise NotImplementedError(f"{op}: \"bmm\" not implemented for 'Bool' (batch1 is bool, batch2 is "
                                  f"{batch2._data.dtype.name})")
    _same_dtype(op, batch1, batch2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of (b, n, k) and (b, k, m) tensors (same batch size, no broadcasting)."""
    if _amp_on[0]:
        input, mat2 = _amp.cast_inputs("bmm", input, mat2)
    _check_bmm("bmm", input, mat2)
    return Matmul.apply(input, mat2)


def mv(input: Tensor, vec: Tensor, *, _sized: bool = True) -> Tensor:
    """Matrix-vector product of an (n, k) and a (k,) tensor."""
    if _amp_on[0]:
        input, vec = _amp.cast_inputs("mv", input, vec)
    _tensor_args("mv", input=input, vec=vec)
    if _sized and input._data.ndim == 0:  # torch.mv (not addmv) sizes dim 0 of the matrix first: an out-of-range dim, IndexError
        raise IndexError(f"mv: Dimension specified as 0 but tensor has no dimensions (matrix of shape (), "
                         f"vec of shape {tuple(vec._data.shape)})")
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"mv: vector + matrix @ vector expected, got shapes {tuple(input._data.shape)} and "
                           f"{tuple(vec._data.shape)} ({input._data.ndim}-D and {vec._data.ndim}-D)")
    _same_dtype("mv", input, vec)
    if input._data.shape[1] != vec._data.shape[0]:
        raise RuntimeError(f"mv: size mismatch, got mat {tuple(input._data.shape)} and vec {tuple(vec._data.shape)}")
    return Matmul.apply(input, vec)


def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """Inner product of two 1-D tensors of the same size; a 0-d result."""
    if _amp_on[0]:
        input, tensor = _amp.cast_inputs("dot", input, tensor)
    _tensor_args("dot", input=input, tensor=tensor)
    if input._data.ndim != 1 or tensor._data.ndim != 1:
        raise RuntimeError(f"dot: 1D tensors expected, but got {input._data.ndim}D and {tensor._data.ndim}D tensors")
    if input._data.shape[0] != tensor._data.shape[0]:
        raise RuntimeError(f"dot: inconsistent tensor size, expected tensor [{input._data.shape[0]}] and src "
                           f"[{tensor._data.shape[0]}] to have the same number of elements")
    _same_dtype("dot", input, tensor)
    return Dot.apply(input, tensor)


def vdot(input: Tensor, other: Tensor) -> Tensor:
    """dot with the first argument conjugated: the same as dot for real tensors."""
    return dot(input, other)


def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum over the last dims: out[..a, ..b] = sum_k input[..a, k] other[..b, k]; a 0-d operand scales the other."""
    _tensor_args("inner", input=input, other=other)
    if input._data.ndim == 0 or other._data.ndim == 0:
        return mul(input, other)
    if input._data.shape[-1] != other._data.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input._data.shape)} and {list(other._data.shape)}")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"inner: both inputs should have same dtype, got {input.dtype.name} and {other.dtype.name}")
    return tensordot(input, other, dims=([-1], [-1]))


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """out_ij = input_i vec2_j for 1-D tensors (with type promotion)."""
    _tensor_args("outer", input=input, vec2=vec2)
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    a, b = as_operands(input, vec2, "outer")
    return Outer.apply(a, b)


ger = outer


# -- fused multiply-add forms --------------------------------------------------------------------------
def _scaled_add(op: str, input: Tensor, prod: Tensor, beta, alpha) -> Tensor:
    _tensor_args(op, input=input)
    out_shape = prod._data.shape
    s = input._data.shape
    if len(s) > len(out_shape) or any(x != y and x != 1 for x, y in zip(reversed(s), reversed(out_shape))):
        raise RuntimeError(f"{op}: The expanded size of the input {tuple(s)} must match the product's size "
                           f"{tuple(out_shape)} (the input must broadcast to the result)")
    if input._data.dtype != prod._data.dtype:
        raise RuntimeError(f"{op}: self and mat2 must have the same dtype, but got {input.dtype.name} and "
                           f"{prod.dtype.name}")
    return ScaledAdd.apply(input, prod, beta=_scalar_for(input, beta, "beta"), alpha=_scalar_for(input, alpha, "alpha"))


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2), input broadcast to the product's shape."""
    if _amp_on[0]:
        input, mat1, mat2 = _amp.cast_inputs("addmm", input, mat1, mat2)
    _tensor_args("addmm", mat1=mat1, mat2=mat2)
    _require_ndim("addmm", "mat1", mat1, 2)
    _require_ndim("addmm", "mat2", mat2, 2)
    return _scaled_add("addmm", input, mm(mat1, mat2), beta, alpha)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat @ vec)."""
    if _amp_on[0]:
        input, mat, vec = _amp.cast_inputs("addmv", input, mat, vec)
    return _scaled_add("addmv", input, mv(mat, vec, _sized=False), beta, alpha)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * bmm(batch1, batch2), input broadcast to (b, n, m)."""
    if _amp_on[0]:
        input, batch1, batch2 = _amp.cast_inputs("baddbmm", input, batch1, batch2)
    _check_bmm("baddbmm", batch1, batch2)
    return _scaled_add("baddbmm", input, Matmul.apply(batch1, batch2), beta, alpha)


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * sum_b batch1[b] @ batch2[b] (one contraction over batch and inner dims)."""
    if _amp_on[0]:
        input, batch1, batch2 = _amp.cast_inputs("addbmm", input, batch1, batch2)
    _check_bmm("addbmm", batch1, batch2)
    prod = Einsum.apply(batch1, batch2, subs=((0, 1, 2), (0, 2, 3)), out=(1, 3))
    return _scaled_add("addbmm", input, prod, beta, alpha)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * outer(vec1, vec2)."""
    if _amp_on[0]:
        input, vec1, vec2 = _amp.cast_inputs("addr", input, vec1, vec2)
    return _scaled_add("addr", input, outer(vec1, vec2), beta, alpha)


# -- tensordot, kron, cross ----------------------------------------------------------------------------
def _dims_list(d, name: str) -> list:
    if isinstance(d, Tensor):
        d = d.tolist()
    if isinstance(d, (int, np.integer)):
        raise TypeError(f"tensordot(): argument '{name}' must be tuple of ints, not int")
    return [int(x) for x in d]


def tensordot(a: Tensor, b: Tensor, dims=2, out=None) -> Tensor:
    """Contract dims_a of a with dims_b of b (an int n means a's last n with b's first n); free dims of a, then b."""
    if _amp_on[0]:
        a, b = _amp.cast_inputs("tensordot", a, b)
    _tensor_args("tensordot", a=a, b=b)
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, Tensor) and dims._data.ndim == 0:
        dims = int(dims.item())
    if isinstance(dims, (int, np.integer)) and not isinstance(dims, bool):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(na, nb):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(na - dims, na)), list(range(dims))
    elif isinstance(dims, (list, tuple, Tensor)) and len(dims) == 2:
        dims_a, dims_b = _dims_list(dims[0], "dims_self"), _dims_list(dims[1], "dims_other")
    else:
        raise RuntimeError(f"tensordot expects dims to be int or tuple[list[int], list[int]] or list[list[int]] "
                           f"containing two lists, but got dims={dims}")
    if len(dims_a) != len(dims_b):
        raise RuntimeError(f"tensordot: both dimension lists should have same length, got {dims_a} and {dims_b}")
    dims_a = [_wrap_dim(d, na, "tensordot") for d in dims_a]
    dims_b = [_wrap_dim(d, nb, "tensordot") for d in dims_b]
    for dl in (dims_a, dims_b):
        if len(set(dl)) != len(dl):
            raise RuntimeError(f"tensordot: a dim appears multiple times in the list of dims {dl}")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"tensordot: both inputs should have same dtype, got {a.dtype.name} and {b.dtype.name}")
    sa, sb = a._data.shape, b._data.shape
    for da, db in zip(dims_a, dims_b):
        if sa[da] != sb[db] and sa[da] != 1 and sb[db] != 1:
            raise RuntimeError(f"tensordot: contracted dimensions need to match, but first has size {sa[da]} in dim "
                               f"{da} and second has size {sb[db]} in dim {db}")
    labels_a = list(range(na))
    labels_b = list(range(na, na + nb))
    for da, db in zip(dims_a, dims_b):
        labels_b[db] = labels_a[da]
    out_labels = [labels_a[i] for i in range(na) if i not in dims_a]
    out_labels += [labels_b[i] for i in range(nb) if i not in dims_b]
    return _einsum_labels([a, b], [labels_a, labels_b], out_labels)


def _einsum_labels(operands: list, subs: list, out: list) -> Tensor:
    """einsum from label ints (no parsing), with size-1 broadcasting as in the public einsum."""
    letters = _einsum._LETTERS
    names: dict = {}
    for x in [x for s in subs for x in s]:
        names.setdefault(x, letters[len(names)])
    eq = ",".join("".join(names[x] for x in s) for s in subs) + "->" + "".join(names[x] for x in out)
    return einsum(eq, *operands)


def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product: out[i*m + j] = input[i] other[j] along every dim (the shorter shape padded with 1s)."""
    _tensor_args("kron", input=input, other=other)
    a, b = as_operands(input, other, "kron")
    n = max(a._data.ndim, b._data.ndim)
    sa = (1,) * (n - a._data.ndim) + a._data.shape
    sb = (1,) * (n - b._data.ndim) + b._data.shape
    a, b = reshape(a, sa), reshape(b, sb)
    labels_a, labels_b = list(range(n)), list(range(n, 2 * n))
    interleaved = [x for pair in zip(labels_a, labels_b) for x in pair]
    prod = Einsum.apply(a, b, subs=(tuple(labels_a), tuple(labels_b)), out=tuple(interleaved))
    return reshape(prod, tuple(x * y for x, y in zip(sa, sb)))


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """Cross product of 3-vectors along `dim` (default: the first dim of size 3), broadcasting the rest.

    out_i = eps_ijk input_j other_k, an einsum with the Levi-Civita tensor (so gradients come for free).
    """
    if _amp_on[0]:
        input, other = _amp.cast_inputs("cross", input, other)
    _tensor_args("cross", input=input, other=other)
    if input._data.dtype == np.bool_:
        raise NotImplementedError("linalg.cross: \"cross\" not implemented for 'Bool'")
    if input._data.dtype != other._data.dtype:  # PyTorch's cross does not promote
        raise RuntimeError(f"linalg.cross: expected input and other to have the same dtype, got {input.dtype} and "
                           f"{other.dtype}")
    a, b = as_operands(input, other, "cross")
    n = a._data.ndim
    if b._data.ndim != n:
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions, got shapes "
                           f"{tuple(a._data.shape)} and {tuple(b._data.shape)}")
    try:
        np.broadcast_shapes(a._data.shape, b._data.shape)
    except ValueError:
        raise RuntimeError(f"linalg.cross: shapes {tuple(a._data.shape)} and {tuple(b._data.shape)} cannot be "
                           f"broadcast together") from None
    if dim is None:
        dim = next((d for d, s in enumerate(a._data.shape) if s == 3), None)
        if dim is None:
            raise RuntimeError(f"cross: no dimension of size 3 in input of shape {tuple(a._data.shape)}")
    else:
        dim = _wrap_dim(dim, n, "cross")
    if a._data.shape[dim] != 3 or b._data.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {a._data.shape[dim]} and "
                           f"{b._data.shape[dim]}")
    xp = get_array_module(a._data)
    eps = xp.zeros((3, 3, 3), dtype=a._data.dtype)
    eps[0, 1, 2] = eps[1, 2, 0] = eps[2, 0, 1] = 1
    eps[0, 2, 1] = eps[2, 1, 0] = eps[1, 0, 2] = -1
    i, j, k = n, n + 1, n + 2
    labels_a = [j if d == dim else d for d in range(n)]
    labels_b = [k if d == dim else d for d in range(n)]
    out = [i if d == dim else d for d in range(n)]
    return _einsum_labels([a, b, Tensor._wrap(eps)], [labels_a, labels_b, [i, j, k]], out)


# -- Tensor methods ------------------------------------------------------------------------------------
def _matmul_method(self, other):
    return matmul(self, other) if isinstance(other, Tensor) else NotImplemented


def _rmatmul_method(self, other):
    return matmul(other, self) if isinstance(other, Tensor) else NotImplemented


TENSOR_METHODS = {
    "__matmul__": _matmul_method, "__rmatmul__": _rmatmul_method, "matmul": matmul, "mm": mm, "bmm": bmm,
    "mv": mv, "dot": dot, "vdot": vdot, "inner": inner, "outer": outer, "ger": ger, "addmm": addmm,
    "addmv": addmv, "addbmm": addbmm, "baddbmm": baddbmm, "addr": addr, "kron": kron, "cross": cross,
}

INPLACE = {"addmm": addmm, "addmv": addmv, "addbmm": addbmm, "baddbmm": baddbmm, "addr": addr}
