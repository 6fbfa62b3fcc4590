"""`tl.optim`: optimizers and learning-rate schedules, mirroring `torch.optim`.

Each optimizer follows PyTorch's documented algorithm (and its single-tensor implementation's order
of operations), so a run gives the same trajectory as `torch.optim` for the same gradients.
Updates run in place on the parameters under `no_grad` (with `differentiable=True`, in grad mode, so
the update is part of the autograd graph). Also here: LBFGS, ASGD, Adafactor and `swa_utils`
(AveragedModel, SWALR, update_bn). Not provided: SparseAdam (no sparse tensors) and Muon.
"""
from . import lr_scheduler, swa_utils
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer, register_optimizer_step_post_hook, register_optimizer_step_pre_hook
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop",
           "LBFGS", "ASGD", "Adafactor", "lr_scheduler", "swa_utils",
           "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]
