"""`tl.utils.data.distributed`: where PyTorch keeps `DistributedSampler` (defined in `sampler.py`)."""
from .sampler import DistributedSampler

__all__ = ["DistributedSampler"]
