"""tensorlite: a from-scratch tensor and reverse-mode autodiff library with a PyTorch-shaped API.

    import tensorlite as tl
    x = tl.randn(3, requires_grad=True)
    (x * x).sum().backward()        # x.grad == 2 * x

Layers, bottom up: backend (NumPy/CuPy arrays) -> tensor (Tensor) -> autograd (graph, engine)
-> ops (differentiable operations) -> nn, optim, utils.data. See ARCHITECTURE in the README.
"""
import warnings as _warnings

from ._version import __version__
from .backend import memory as _memory

# NumPy reports inf/nan arithmetic ("overflow encountered in multiply") as RuntimeWarnings; PyTorch's
# ops are silent about it, and so are ours.  The filter matches only NumPy's floating-point messages
# raised from tensorlite's own modules (no cost per op: filters are consulted only when a warning fires),
# so NumPy code outside tensorlite keeps its warnings.
_warnings.filterwarnings("ignore", message=r"(overflow|invalid value|divide by zero|underflow) encountered in",
                         category=RuntimeWarning, module=r"tensorlite(\.|$)")

_memory.keep_freed_memory()  # fewer page faults per training step; see tensorlite/backend/memory.py
from ._dtype import (bool, dtype, double, float, float16, float32, float64, get_default_dtype, half, int, int8,
                     int16, int32, int64, long, promote_types, set_default_dtype, short, uint8, is_floating_point,
                     finfo, iinfo)
from . import _dtype
if _dtype.BFLOAT16_NP is not None:
    from ._dtype import bfloat16
from .backend import device
from . import autograd  # before tensor: autograd.function imports Tensor at its end
from .tensor import Parameter, Size, Tensor
from .autograd import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                       set_grad_enabled)
from . import ops
from .ops.arithmetic import *  # noqa: F401,F403
from .ops.convert import *  # noqa: F401,F403
from .ops.elementwise import *  # noqa: F401,F403
from .ops.activation import *  # noqa: F401,F403
from .ops.reduce import *  # noqa: F401,F403
from .ops.shape import *  # noqa: F401,F403
from .ops.join import *  # noqa: F401,F403
from .ops.diag import *  # noqa: F401,F403
from .ops.pad import *  # noqa: F401,F403
from .ops.index import *  # noqa: F401,F403
from .ops.linalg import *  # noqa: F401,F403
from .ops.rearrange import *  # noqa: F401,F403
from .ops.sampling import *  # noqa: F401,F403
from .ops.math_extra import *  # noqa: F401,F403
from .ops.statistics import *  # noqa: F401,F403
from .ops.assemble import *  # noqa: F401,F403
from .ops.decomp import *  # noqa: F401,F403
from .ops.api_gaps import *  # noqa: F401,F403
from .ops.tensor_extras import *  # noqa: F401,F403
from .ops.numerics import *  # noqa: F401,F403
from .ops.lu import *  # noqa: F401,F403
from .ops.special_fns import *  # noqa: F401,F403
from .creation import *  # noqa: F401,F403
from .random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state, default_generator
from ._printing import set_printoptions
from .serialization import load, save
from . import cuda
from . import amp
from .amp import (autocast, clear_autocast_cache, get_autocast_dtype, is_autocast_cache_enabled, is_autocast_enabled,
                  set_autocast_cache_enabled, set_autocast_dtype, set_autocast_enabled)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()


def is_floating_point(input) -> bool:
    """Whether a tensor (or a dtype) is of a floating point dtype."""
    from ._dtype import is_floating_point as dtype_is_floating_point

    return input.is_floating_point() if isinstance(input, Tensor) else dtype_is_floating_point(input)


def is_complex(input: Tensor) -> bool:
    return input.is_complex()


def is_nonzero(input: Tensor) -> bool:
    return input.is_nonzero()


def result_type(tensor1, tensor2) -> dtype:
    from ._dtype import result_type_of

    return result_type_of((tensor1, tensor2))


def can_cast(from_: dtype, to: dtype) -> bool:
    from ._dtype import to_dtype

    return to_dtype(from_)._kind <= to_dtype(to)._kind


# PyTorch's top-level functions that are nn.functional's with a compatible signature (loaded on first use).
_FUNCTIONAL_ALIASES = frozenset(
    "cdist pdist cosine_similarity pairwise_distance pixel_shuffle pixel_unshuffle channel_shuffle "
    "native_channel_shuffle conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d bilinear rrelu "
    "rrelu_ avg_pool1d adaptive_avg_pool1d max_pool1d max_pool2d max_pool3d layer_norm group_norm rms_norm dropout "
    "alpha_dropout feature_alpha_dropout conv_tbc".split())


def __getattr__(name):
    # Subpackages that depend on the full op set load on first use.
    if name in ("nn", "optim", "utils", "data", "kernels", "testing", "models", "linalg", "distributions", "special"):
        import importlib

        return importlib.import_module(f"tensorlite.{name}")
    if name in _FUNCTIONAL_ALIASES:  # torch.cdist, torch.conv2d, ...: the same functions as in nn.functional
        import importlib

        return getattr(importlib.import_module("tensorlite.nn.functional"), name)
    if name == "bfloat16":  # present when ml_dtypes is installed (the `bf16` extra)
        raise AttributeError(f"module 'tensorlite' has no attribute 'bfloat16': {_dtype.BFLOAT16_MISSING}")
    raise AttributeError(f"module 'tensorlite' has no attribute {name!r}")
