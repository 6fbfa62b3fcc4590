"""The op registry: one `OpInfo` per differentiable op, describing how to test it.

An entry says how to call the op in tensorlite and in PyTorch, and makes sample inputs as
NumPy arrays (float64 for values, int64 for indices, bool for masks); the checker
(`tensorlite.testing.check`) turns them into tensors of each tested dtype, contiguous and not,
and runs every check: gradcheck (first and second order), forward and gradient parity with
PyTorch, and the exception type for invalid inputs. Adding an op means adding one entry.

Groups live in sibling modules (elementwise.py, reduce.py, ...), each exporting `OPS`.
"""
from __future__ import annotations

import dataclasses
import importlib
from typing import Any, Callable, Iterable, Sequence

import numpy as np

GROUPS = ("arithmetic", "elementwise", "activation", "reduce", "shape", "index", "linalg",
          "nn_conv", "nn_pool", "nn_vision", "nn_norm", "nn_misc", "nn_loss", "nn_attention", "api_gaps",
          "statistics", "assemble", "math_extra", "rearrange", "decomp", "linalg_api", "special")


@dataclasses.dataclass
class Sample:
    """One call: `op(*args, **kwargs)`.

    args may hold NumPy arrays (become tensors), lists/tuples of arrays (become lists of tensors)
    and plain Python values (passed through). Floating arrays get requires_grad unless
    `grad` says otherwise (a tuple of bools, one per *tensor* argument in order).
    """

    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    desc: str = ""
    grad: tuple | None = None
    gradgrad: bool = True  # False near kinks where second differences are unreliable


@dataclasses.dataclass
class ErrorSample:
    """A call that must raise `error` in tensorlite (and, when checked, the same type in PyTorch)."""

    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    error: type = RuntimeError
    match: str | None = None  # a regex the tensorlite message must contain
    desc: str = ""


@dataclasses.dataclass
class OpInfo:
    name: str
    op: Callable                                   # tensorlite callable: op(*tensors_and_values, **kwargs)
    torch_op: Callable | None                      # the same call in PyTorch (receives torch tensors)
    sample_inputs: Callable[[np.random.Generator], Iterable[Sample]]
    error_inputs: Callable[[], Iterable[ErrorSample]] | None = None
    differentiable: bool = True                    # False: comparisons, argmax, ... (forward parity only)
    supports_gradgrad: bool = True
    dtypes: Sequence[str] = ("float32", "float64")
    atol: dict = dataclasses.field(default_factory=lambda: {"float32": 1e-5, "float64": 1e-10})
    rtol: dict = dataclasses.field(default_factory=lambda: {"float32": 1.3e-5, "float64": 1e-7})
    grad_atol: dict | None = None                  # defaults to 10x the forward tolerances
    gradcheck_atol: float = 1e-5
    gradcheck_rtol: float = 1e-3
    nondeterministic_output: bool = False          # random ops: compare shapes/dtypes only
    notes: str = ""
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)


def all_ops() -> list[OpInfo]:
    """Every registered OpInfo, in group order."""
    ops = []
    for g in GROUPS:
        try:
            mod = importlib.import_module(f"{__name__}.{g}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{g}":
                continue
            raise
        ops.extend(mod.OPS)
    return ops


def get(name: str) -> OpInfo:
    for info in all_ops():
        if info.name == name:
            return info
    raise KeyError(f"no op named {name!r} in the registry")


# -- helpers for writing sample generators -------------------------------------------------------------
def arr(rng: np.random.Generator, *shape, low: float = -2.0, high: float = 2.0) -> np.ndarray:
    """A float64 array uniform on [low, high) (an array even for shape (), i.e. a 0-d sample)."""
    return np.asarray(rng.uniform(low, high, size=shape))


def away_from(x: np.ndarray, points: Sequence[float], gap: float = 0.1) -> np.ndarray:
    """Nudge values within `gap` of a kink (0 for relu/abs, clamp bounds, ...) out of reach of finite differences."""
    x = x.copy()
    for p in points:
        close = np.abs(x - p) < gap
        x[close] = p + np.where(x[close] >= p, gap, -gap) * (1 + np.abs(x[close] - p))
    return x


def positive(rng: np.random.Generator, *shape, low: float = 0.2, high: float = 2.0) -> np.ndarray:
    return np.asarray(rng.uniform(low, high, size=shape))


def torch_functional(name: str) -> Callable:
    """`torch.nn.functional.<name>` as a torch_op, importing the oracle only when a check runs."""
    def call(*args, **kwargs):
        import torch.nn.functional as TF  # noqa: PLC0415 - the test oracle (a dev dependency)

        return getattr(TF, name)(*args, **kwargs)

    return call
