"""`tl.nn.functional` (usually imported as F): stateless layers, activations and losses.

Activations are the ops of `tensorlite.ops.activation` (the same functions `tl.relu` etc.);
the rest lives in one module per kind. Ops that have a hand-written kernel (convolution,
attention) call the kernel layer, `tensorlite.kernels`, which picks its implementation.
"""
from ...ops.activation import *  # noqa: F401,F403
from ...ops.elementwise import tanh  # noqa: F401  (F.tanh: PyTorch's deprecated alias of torch.tanh)
from ...ops.shape import pad  # noqa: F401
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .fractional_pool import *  # noqa: F401,F403
from .vision import *  # noqa: F401,F403
from .sampling import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
