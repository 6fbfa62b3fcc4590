"""`tl.utils`: utilities that sit above the core, as `torch.utils` (for now the data pipeline)."""
from . import data

__all__ = ["data"]
