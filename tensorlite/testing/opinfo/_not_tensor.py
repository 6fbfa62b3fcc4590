"""A shared error sample: a Python number where an op takes a tensor (PyTorch: TypeError)."""
from __future__ import annotations

from . import ErrorSample


def add_not_tensor_errors(ops: list, rest_args: dict) -> None:
    """For each op named in rest_args, add a call `op(1.5, *rest_args[name])` (rest_args[name] = (args, kwargs)
    or just args) that must raise TypeError in both libraries, after the entry's own error samples."""
    for info in ops:
        if info.name not in rest_args:
            continue
        rest = rest_args[info.name]
        args, kwargs = rest if len(rest) == 2 and isinstance(rest[1], dict) else (rest, {})

        def errors(own=info.error_inputs, args=tuple(args), kwargs=dict(kwargs)):
            if own is not None:
                yield from own()
            yield ErrorSample((1.5, *args), dict(kwargs), error=TypeError, desc="a Python number for the tensor")

        info.error_inputs = errors
