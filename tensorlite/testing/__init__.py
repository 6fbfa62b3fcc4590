"""`tl.testing`: assert_close and make_tensor (PyTorch's torch.testing). Kept light: the op registry checker
(check.py, opinfo/) and the fake-CUDA backend load only when imported by name."""
from ._comparison import assert_close, make_tensor

__all__ = ["assert_close", "make_tensor"]
