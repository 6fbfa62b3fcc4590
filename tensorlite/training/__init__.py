"""Training loop, logging and the `tensorlite train` command."""
from .trainer import Trainer, evaluate, train_one_epoch

__all__ = ["Trainer", "train_one_epoch", "evaluate"]
