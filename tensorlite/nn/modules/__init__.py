"""Layers: each a Module holding its parameters and calling `nn.functional` in forward."""
from .module import Module
from .container import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .activation import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .flatten import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .vision import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .lazy import *  # noqa: F401,F403
from . import container, linear, activation, normalization, dropout, flatten, conv, padding, pooling, vision, \
    sparse, distance, loss, rnn, transformer, lazy

__all__ = ["Module"]
for _m in (container, linear, activation, normalization, dropout, flatten, conv, padding, pooling, vision, sparse,
           distance, loss, rnn, transformer, lazy):
    __all__ += list(_m.__all__)
