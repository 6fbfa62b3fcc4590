"""einsum: parsing, a matmul-based contraction kernel, and its gradient (itself an einsum).

Labels are handled as ints internally: 'A'..'Z' are 0..25 and 'a'..'z' 26..51 (so sorting ints
sorts letters in ASCII order, which is the implicit-output order PyTorch uses), the dims an
ellipsis covers get 52, 53, ..., and the backward pass draws fresh labels above every used one.

Forward contracts operands pairwise, left to right as PyTorch does without opt_einsum: each
operand first loses its repeated labels (diagonal) and the labels no other operand or the output
needs (summed), then each pair becomes one batched `matmul` over (batch, kept-left, contracted)
x (batch, contracted, kept-right), so large contractions run in BLAS rather than a loop.

Backward: for y = einsum(x_1..x_n), dL/dx_i = einsum(g, x_j for j != i -> labels of x_i). Two
cases need care: a label repeated in x_i (a diagonal) gets a fresh label per extra occurrence,
tied to the first by an identity matrix operand; a label found only in x_i (summed away in
forward) is missing from the gradient einsum, which is then broadcast back along it.
"""
from __future__ import annotations

import string

import numpy as np

from ..amp import policy as _amp
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor
from .arithmetic import broadcast_to

_LETTERS = string.ascii_uppercase + string.ascii_lowercase
_LABEL_OF = {c: i for i, c in enumerate(_LETTERS)}
_ELLIPSIS = -1
_FIRST_ELLIPSIS_LABEL = len(_LETTERS)


# -- small differentiable helpers shared with linalg.py ------------------------------------------------
class Reshape(Function):
    """y = x reshaped (a view when NumPy can make one). Gradient: g reshaped back."""

    keep_inputs = False

    def forward(self, x, shape):
        self.in_shape = x.shape
        return x.reshape(shape)

    def backward(self, grad):
        return Reshape.apply(grad, shape=self.in_shape)


def reshape(t: Tensor, shape: tuple) -> Tensor:
    return t if t._data.shape == shape else Reshape.apply(t, shape=shape)


# -- parsing -------------------------------------------------------------------------------------------
def _label_name(label: int) -> str:
    return _LETTERS[label] if label < _FIRST_ELLIPSIS_LABEL else f"... (dim {label - _FIRST_ELLIPSIS_LABEL})"


def _parse_term(term: str, what: str) -> list:
    labels, has_ellipsis, i = [], False, 0
    while i < len(term):
        c = term[i]
        if c == ".":
            if has_ellipsis:
                raise RuntimeError(f"einsum(): found '.' for {what} for which an ellipsis was already found")
            if term[i:i + 3] != "...":
                raise RuntimeError(f"einsum(): found '.' for {what} that is not part of any ellipsis")
            labels.append(_ELLIPSIS)
            has_ellipsis = True
            i += 3
            continue
        if c not in _LABEL_OF:
            raise RuntimeError(f"einsum(): invalid subscript {c!r} given for {what} in the equation string, "
                               f"subscripts must be in [a-zA-Z]")
        labels.append(_LABEL_OF[c])
        i += 1
    return labels


def parse_equation(equation: str, shapes: list) -> tuple[list, tuple]:
    """Input label lists (ellipses expanded, right-aligned) and the output labels, validated against shapes."""
    eq = "".join(equation.split())  # PyTorch ignores whitespace
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(shapes):
        raise RuntimeError(f"einsum(): fewer operands were provided than specified in the equation "
                           f"{equation!r} ({len(shapes)} given, {len(terms)} expected)")
    if len(terms) < len(shapes):
        raise RuntimeError(f"einsum(): more operands were provided than specified in the equation "
                           f"{equation!r} ({len(shapes)} given, {len(terms)} expected)")
    parsed = [_parse_term(term, f"operand {k}") for k, term in enumerate(terms)]
    ellipsis_ndims = []
    for k, (labels, shape) in enumerate(zip(parsed, shapes)):
        named = len(labels) - (_ELLIPSIS in labels)
        if _ELLIPSIS in labels:
            if named > len(shape):
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) is more than the "
                                   f"number of dimensions ({len(shape)}) for operand {k}")
            ellipsis_ndims.append(len(shape) - named)
        else:
            if named != len(shape):
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) does not match the "
                                   f"number of dimensions ({len(shape)}) for operand {k} and no ellipsis was given")
            ellipsis_ndims.append(0)
    n_ell = max(ellipsis_ndims, default=0)
    all_ell = list(range(_FIRST_ELLIPSIS_LABEL, _FIRST_ELLIPSIS_LABEL + n_ell))
    subs = []
    for labels, e in zip(parsed, ellipsis_ndims):
        expanded = []
        for lab in labels:
            expanded.extend(all_ell[n_ell - e:] if lab == _ELLIPSIS else (lab,))
        subs.append(expanded)

    if arrow:
        out_terms = _parse_term(rhs, "the output")
        seen_in = {lab for s in subs for lab in s}
        out, seen_out = [], set()
        for lab in out_terms:
            if lab == _ELLIPSIS:
                out.extend(all_ell)
                continue
            if lab not in seen_in:
                raise RuntimeError(f"einsum(): output subscript {_LETTERS[lab]} does not appear in the equation "
                                   f"for any input operand")
            if lab in seen_out:
                raise RuntimeError(f"einsum(): output subscript {_LETTERS[lab]} appears more than once in the output")
            seen_out.add(lab)
            out.append(lab)
    else:
        counts: dict = {}
        for s in subs:
            for lab in s:
                counts[lab] = counts.get(lab, 0) + 1
        out = all_ell + sorted(lab for lab, c in counts.items() if c == 1 and lab < _FIRST_ELLIPSIS_LABEL)
    return subs, tuple(out)


def label_sizes(subs: list, shapes: list) -> dict:
    """Each label's size; a size-1 dim broadcasts against the label's other sizes, as in PyTorch."""
    sizes: dict = {}
    for k, (labels, shape) in enumerate(zip(subs, shapes)):
        own: dict = {}
        for lab, s in zip(labels, shape):
            if lab in own:
                if own[lab] != s:
                    raise RuntimeError(f"einsum(): subscript {_label_name(lab)} is repeated for operand {k} but the "
                                       f"sizes don't match, {s} != {own[lab]}")
                continue
            own[lab] = s
            prev = sizes.get(lab)
            if prev is None or prev == 1:
                sizes[lab] = s
            elif s != prev and s != 1:
                raise RuntimeError(f"einsum(): subscript {_label_name(lab)} has size {s} for operand {k} (shape "
                                   f"{tuple(shape)}) which does not broadcast with previously seen size {prev}")
    return sizes


# -- the contraction kernel (arrays in, array out) -----------------------------------------------------
def _einsum_string(ins: list, out) -> str:
    """A NumPy einsum string for label ints (renamed to letters; NumPy only knows 52 of them)."""
    names: dict = {}
    for lab in [x for s in ins for x in s] + list(out):
        if lab not in names:
            names[lab] = _LETTERS[len(names)]
    return ",".join("".join(names[x] for x in s) for s in ins) + "->" + "".join(names[x] for x in out)


def _single(x, labels, out, xp):
    """One operand: diagonals, sums and a permutation, in one call of the array library's einsum."""
    if list(labels) == list(out):
        return x
    if x.dtype == np.bool_ and len(set(out)) < len(set(labels)):
        x = x.astype(np.int64)  # PyTorch sums bool as int64 (NumPy's einsum would OR them)
    return xp.einsum(_einsum_string([labels], out), x)


def _pair(a, la, b, lb, needed, xp):
    """Contract two operands, keeping the labels in `needed`; returns (array, labels)."""
    sa, sb = set(la), set(lb)
    batch = [x for x in la if x in sb and x in needed]
    contract = [x for x in la if x in sb and x not in needed]
    left = [x for x in la if x not in sb]
    right = [x for x in lb if x not in sa]
    size = dict(zip(la, a.shape))
    size.update(zip(lb, b.shape))
    a = xp.transpose(a, [la.index(x) for x in batch + left + contract])
    b = xp.transpose(b, [lb.index(x) for x in batch + contract + right])
    batch_shape = tuple(size[x] for x in batch)
    left_shape = tuple(size[x] for x in left)
    right_shape = tuple(size[x] for x in right)
    if not contract:
        # An outer/elementwise product: broadcasting beats matmul with an inner size of 1.
        a = a.reshape(batch_shape + left_shape + (1,) * len(right))
        b = b.reshape(batch_shape + (1,) * len(left) + right_shape)
        return a * b, batch + left + right
    m, k, n = _prod(left_shape), _prod(tuple(size[x] for x in contract)), _prod(right_shape)
    if batch:
        nb = _prod(batch_shape)
        out = xp.matmul(a.reshape(nb, m, k), b.reshape(nb, k, n))
    else:
        out = xp.matmul(a.reshape(m, k), b.reshape(k, n))
    return out.reshape(batch_shape + left_shape + right_shape), batch + left + right


def _prod(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def contract(arrays, subs, out):
    """einsum on arrays whose labelled sizes agree exactly (broadcast dims already squeezed out)."""
    xp = get_array_module(*arrays)
    out = list(out)
    if len(arrays) == 1:
        res = _single(arrays[0], subs[0], out, xp)
        # A pure permutation/diagonal comes back as a view of the input; the result must own its memory.
        return res.copy() if res is arrays[0] or getattr(res, "base", None) is not None else res
    # Reduce each operand alone first: diagonals, and labels nobody else needs.
    ops = []
    for k, (x, labels) in enumerate(zip(arrays, subs)):
        others = set(out)
        for j, s in enumerate(subs):
            if j != k:
                others.update(s)
        keep = list(dict.fromkeys(x_ for x_ in labels if x_ in others))
        if keep != list(labels):
            x = _single(x, labels, keep, xp)
        ops.append((x, keep))
    cur, cur_labels = ops[0]
    for k in range(1, len(ops)):
        needed = set(out)
        for _, s in ops[k + 1:]:
            needed.update(s)
        # Every label of `cur` is in `out` or a later operand, and every label of the next operand is
        # in `out` or another operand, so the pair never has a label to sum that only one side holds.
        cur, cur_labels = _pair(cur, cur_labels, *ops[k], needed, xp)
    if cur_labels != out:
        cur = xp.transpose(cur, [cur_labels.index(x) for x in out])
    return cur


# -- the differentiable op -----------------------------------------------------------------------------
class Einsum(Function):
    """y = einsum(subs -> out, *xs). Gradient of x_i: einsum of g with the other operands (see module doc).

    `squeezed[i]` is the shape operand i is viewed as (size-1 broadcast dims dropped), or None.
    """

    def forward(self, *arrays, subs, out, squeezed=None):
        self.subs, self.out, self.squeezed = subs, out, squeezed
        if squeezed is not None:
            arrays = [x if s is None else x.reshape(s) for x, s in zip(arrays, squeezed)]
        return contract(arrays, subs, out)

    def backward(self, grad):
        inputs = self.inputs
        if self.squeezed is not None:
            inputs = [t if s is None else reshape(t, s) for t, s in zip(inputs, self.squeezed)]
        grads = []
        for i, needed in enumerate(self.needs_input_grad):
            if not needed:
                grads.append(None)
                continue
            g = einsum_grad(i, grad, inputs, self.subs, self.out)
            if self.squeezed is not None and self.squeezed[i] is not None:
                g = reshape(g, self.inputs[i]._data.shape)
            grads.append(g)
        return tuple(grads)


def einsum_grad(i: int, grad: Tensor, inputs, subs, out) -> Tensor:
    """dL/d(input i) of y = einsum(subs -> out, *inputs), given g = dL/dy."""
    labels = list(subs[i])
    shape = inputs[i]._data.shape
    operands = [grad] + [t for j, t in enumerate(inputs) if j != i]
    op_subs = [tuple(out)] + [tuple(s) for j, s in enumerate(subs) if j != i]
    fresh = max([x for s in subs for x in s] + list(out) + [_FIRST_ELLIPSIS_LABEL]) + 1
    target, seen = [], set()
    for lab, size in zip(labels, shape):
        if lab in seen:  # a diagonal: d(x_ii)/d(x_ij) is the identity, an eye(n) operand tying i to j
            xp = get_array_module(grad._data)
            operands.append(Tensor._wrap(xp.eye(size, dtype=grad._data.dtype)))
            op_subs.append((lab, fresh))
            target.append(fresh)
            fresh += 1
        else:
            seen.add(lab)
            target.append(lab)
    available = {x for s in op_subs for x in s}
    kept = tuple(x for x in target if x in available)
    g = Einsum.apply(*operands, subs=op_subs, out=kept)
    if len(kept) < len(target):
        # Labels summed away in forward (found only in this operand): the gradient is constant along them.
        g = reshape(g, tuple(s if x in available else 1 for x, s in zip(target, shape)))
        g = broadcast_to(g, shape)
    return g


def einsum(*args) -> Tensor:
    """einsum(equation, *operands) or einsum(equation, [operands]) or the sublist form
    einsum(op0, sublist0, op1, sublist1, ..., [out_sublist]); PyTorch's semantics, differentiable."""
    if not args:
        raise TypeError("einsum(): missing required argument 'equation'")
    equation = args[0]
    if isinstance(equation, Tensor):
        equation, operands = _from_sublists(args)
    else:
        if not isinstance(equation, str):
            raise TypeError(f"einsum(): argument 'equation' (position 1) must be str, not {type(equation).__name__}")
        operands = args[1:]
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = tuple(operands[0])
    for k, t in enumerate(operands):
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum(): expected Tensor as element {k} in argument 1, but got {type(t).__name__}")
    if _amp.active[0]:
        operands = _amp.cast_inputs("einsum", *operands)
    shapes = [t._data.shape for t in operands]
    subs, out = parse_equation(equation, shapes)
    if operands:
        dtype = operands[0]._data.dtype
        for t in operands[1:]:
            if t._data.dtype != dtype:
                if dtype == np.bool_:  # PyTorch dispatches bmm on the first operand's dtype
                    raise NotImplementedError(f"einsum(): \"bmm\" not implemented for 'Bool' (operand dtypes "
                                              f"{operands[0].dtype.name} and {t.dtype.name})")
                raise RuntimeError(f"einsum(): expected all operands to have the same dtype, but got "
                                   f"{operands[0].dtype.name} and {t.dtype.name}")
            if type(t._data) is not type(operands[0]._data):
                raise RuntimeError("einsum(): Expected all tensors to be on the same device, but found at least "
                                   f"two devices, {operands[0].device} and {t.device}!")
        if dtype == np.bool_ and len(operands) > 1:
            raise NotImplementedError("einsum(): \"bmm\" not implemented for 'Bool'")
    sizes = label_sizes(subs, shapes)
    squeezed, new_subs = [], []
    for labels, shape in zip(subs, shapes):
        drop = [p for p, (x, s) in enumerate(zip(labels, shape)) if s == 1 and sizes[x] != 1]
        if drop:
            squeezed.append(tuple(s for p, s in enumerate(shape) if p not in drop))
            new_subs.append(tuple(x for p, x in enumerate(labels) if p not in drop))
        else:
            squeezed.append(None)
            new_subs.append(tuple(labels))
    any_squeezed = any(s is not None for s in squeezed)
    return Einsum.apply(*operands, subs=new_subs, out=out, squeezed=tuple(squeezed) if any_squeezed else None)


def _from_sublists(args) -> tuple[str, tuple]:
    """The sublist form: operands interleaved with lists of ints in [0, 52), optional output list last."""
    args = list(args)
    out = args.pop() if len(args) % 2 == 1 else None
    operands, terms = args[0::2], args[1::2]

    def term(sub) -> str:
        chars = []
        for x in sub:
            if x is Ellipsis:
                chars.append("...")
            elif isinstance(x, int) and 0 <= x < len(_LETTERS):
                chars.append(_LETTERS[x])
            else:
                raise ValueError(f"einsum(): subscript in subscript list is not within the valid range [0, 52), "
                                 f"got {x!r}")
        return "".join(chars)

    eq = ",".join(term(s) for s in terms)
    if out is not None:
        eq += "->" + term(out)
    return eq, tuple(operands)
