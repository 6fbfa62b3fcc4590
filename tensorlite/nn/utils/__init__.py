"""`tl.nn.utils`: gradient clipping, parameter/vector conversion, padded sequences (`rnn`), weight and
spectral normalisation, parametrizations, `functional_call` (`stateless`) and conv/linear-BN fusion."""
from . import parametrizations, parametrize, rnn, stateless
from .clip_grad import *  # noqa: F401,F403
from .clip_grad import __all__ as _clip_all
from .convert_parameters import *  # noqa: F401,F403
from .convert_parameters import __all__ as _convert_all
from .fusion import *  # noqa: F401,F403
from .fusion import __all__ as _fusion_all
from .init import skip_init
from .norm_hooks import remove_spectral_norm, remove_weight_norm, spectral_norm, weight_norm

__all__ = ["rnn", "parametrize", "parametrizations", "stateless", "skip_init", "weight_norm", "remove_weight_norm",
           "spectral_norm", "remove_spectral_norm", *_clip_all, *_convert_all, *_fusion_all]
