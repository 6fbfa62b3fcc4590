"""Devices and their array libraries: "cpu" is NumPy, "cuda" is CuPy (imported lazily)."""
from .device import device, get_array_module, array_module_for, cuda_available, cuda_unavailable_reason

__all__ = ["device", "get_array_module", "array_module_for", "cuda_available", "cuda_unavailable_reason"]
