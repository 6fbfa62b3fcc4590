"""`functional_call`: run a module with some of its parameters and buffers replaced for one call.

The given tensors are swapped into the module (by dotted name), the module is called, and the
originals are put back, so gradients flow to the given tensors and not to the module's own.
"""
from __future__ import annotations

import contextlib
from typing import Any

from ...tensor import Tensor

__all__ = ["functional_call"]

_MISSING = object()


def _untie(module, values: dict) -> dict:
    """Names tied to one tensor in the module (a shared weight) all get the value given for any of them."""
    named = dict(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    groups: dict[int, set] = {}
    for name, t in named.items():
        groups.setdefault(id(t), set()).add(name)
    tied = {n: names for names in groups.values() if len(names) > 1 for n in names}
    out = dict(values)
    for name in [n for n in values if n in tied]:
        given = [values[n] for n in tied[name] if n in values]
        if len({id(v) for v in given}) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(tied[name])}, which are tied. "
                             f"Consider using tie_weights=False")
        for other in tied[name]:
            out[other] = values[name]
    return out


def _swap(module, name: str, value):
    """Put value at module.<dotted name> (value _MISSING removes it); returns what was there."""
    path, _, attr = name.rpartition(".")
    mod = module.get_submodule(path)
    if value is not _MISSING and value is not None and not isinstance(value, Tensor):
        raise TypeError(f"{value} is not an instance of tensorlite.Tensor")
    for table in (mod._parameters, mod._buffers):
        if attr in table:
            old = table[attr]
            if value is _MISSING:
                del table[attr]
            else:
                table[attr] = value
            return old
    old = getattr(mod, attr, _MISSING)
    if value is _MISSING:
        if old is not _MISSING:
            delattr(mod, attr)
    else:
        setattr(mod, attr, value)
    return old


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers: dict, tie_weights: bool = False, strict: bool = False):
    values = _untie(module, parameters_and_buffers) if tie_weights else parameters_and_buffers
    if strict:
        valid = {n for n, _ in module.named_parameters(remove_duplicate=False)} | \
                {n for n, _ in module.named_buffers(remove_duplicate=False)}
        missing, unexpected = sorted(valid - set(values)), sorted(set(values) - valid)
        msgs = []
        if unexpected:
            msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if msgs:
            raise RuntimeError(f"Error(s) in reparametrizing for {module._get_name()}:\n\t" + "\n\t".join(msgs))
    originals: dict = {}
    try:
        for name, value in values.items():
            originals[name] = _swap(module, name, value)
        yield
    finally:
        swapped_back = {name: _swap(module, name, old) for name, old in originals.items()}
        # a module that replaced a given tensor during the call (x = x + 1 on a buffer) hands it back
        parameters_and_buffers.update({k: swapped_back[k] for k in parameters_and_buffers if k in swapped_back})


def functional_call(module, parameters_and_buffers: dict, args: Any = None, kwargs: dict | None = None, *,
                    tie_weights: bool = True, strict: bool = False) -> Any:
    """module(*args, **kwargs) with the named parameters/buffers replaced by the given tensors for this call.

    `parameters_and_buffers` may also be a sequence of dicts (as torch.func.functional_call takes);
    tie_weights: a value given for one of several names sharing a tensor is used for all of them;
    strict: every parameter and buffer must be given, and nothing else. (PyTorch deprecates this in favour of
    torch.func.functional_call, which tensorlite does not have; so no FutureWarning here.)
    """
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)


def _functional_call(module, parameters_and_buffers, args: Any = None, kwargs: dict | None = None, *,
                     tie_weights: bool = True, strict: bool = False) -> Any:
    if isinstance(parameters_and_buffers, (list, tuple)):
        merged: dict = {}
        for d in parameters_and_buffers:
            for k, v in d.items():
                if k in merged:
                    raise ValueError(f"{k} appeared in multiple dictionaries; behavior of functional call is "
                                     f"ambiguous")
                merged[k] = v
        parameters_and_buffers = merged
    kwargs = {} if kwargs is None else kwargs
    args = () if args is None else (args if isinstance(args, tuple) else (args,))
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights, strict=strict):
        return module(*args, **kwargs)
