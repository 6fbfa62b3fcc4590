"""Array-level kernels: functions on NumPy/CuPy arrays with fixed contracts, no Tensor,
no autograd.  Installs as ``tensorlite.kernels`` (the repository folder is ``kernels/``;
see setup.py for how).

Each kernel has several implementations (``reference``, ``native``, ``triton``); the
registry picks the fastest available for the array's device, and

    with tl.kernels.use("reference"):   # or "native", "triton"; None = automatic
        ...

forces one (RuntimeError, naming the kernel and what is available, if it cannot run).
``set_default(impl)`` does the same process-wide; ``available()`` lists what can run.
"""

from __future__ import annotations

from . import gelu, special  # importing a kernel module registers its implementations
from . import cpu, int8_matmul  # int8_matmul: the module (its function of that name is int8_matmul.int8_matmul)
from . import attention, attention_native  # native after the module defining the contract
from . import conv  # conv2d/conv3d forward and backward, im2col / col2im
from . import conv_native  # native conv2d kernels (csrc/conv.cpp), after the module defining the contract
from . import gemm  # the module (its function is gemm.gemm): float32 matrix products, native in csrc/gemm.cpp
from ._native import load as load_native
from ._registry import IMPL_PRIORITY, dispatch, forced, register, resolve, set_default, use
from ._registry import available_impls as _available_impls
from ._registry import kernels as names
from .gelu import gelu_backward, gelu_forward
from .layer_norm import layer_norm_backward, layer_norm_forward  # registers them; native: csrc/layer_norm.cpp
from .int8_matmul import PackedInt8Weight, int8_linear, pack_int8_weight
from .special import erf, erfc

# Triton conv2d (kernels/conv_triton.py) and int8 GEMM (kernels/int8_matmul_triton.py): registered lazily,
# so triton is imported on a kernel's first call only.  conv3d stays on reference / native.
from . import _triton as _triton_lazy

_triton_lazy.register_lazy("conv2d_forward", "conv_triton")
_triton_lazy.register_lazy("conv2d_backward_input", "conv_triton")
_triton_lazy.register_lazy("conv2d_backward_weight", "conv_triton")
_triton_lazy.register_lazy("int8_matmul", "int8_matmul_triton")
_triton_lazy.register_lazy("int8_linear", "int8_matmul_triton")
_triton_lazy.register_lazy("pack_int8_weight", "int8_matmul_triton")
# Triton fused attention (kernels/attention_triton.py), forward and backward, also loaded on first call.
_triton_lazy.register_lazy("attention_forward", "attention_triton")
_triton_lazy.register_lazy("attention_backward", "attention_triton")

__all__ = [
    "IMPL_PRIORITY",
    "PackedInt8Weight",
    "available",
    "dispatch",
    "erf",
    "erfc",
    "forced",
    "gelu_backward",
    "gelu_forward",
    "int8_linear",
    "layer_norm_backward",
    "layer_norm_forward",
    "load_native",
    "names",
    "pack_int8_weight",
    "register",
    "resolve",
    "selected",
    "set_default",
    "use",
]


def available(device: str | None = None) -> dict[str, list[str]]:
    """``{kernel name: [implementation names that can run now, fastest first]}``,
    restricted to those serving ``device`` ("cpu" or "cuda") when it is given."""
    return {k: _available_impls(k, device) for k in names()}


def selected(device: str = "cpu") -> dict[str, str]:
    """``{kernel name: implementation dispatch would pick on device}``, honouring ``use()``;
    a kernel whose forced implementation cannot run maps to ``"error: <message>"``."""
    out = {}
    for k in names():
        try:
            out[k] = resolve(k, device).name
        except RuntimeError as exc:
            out[k] = f"error: {exc}"
    return out
