"""`tl.data`: image transforms, tabular preprocessing and datasets (bundled, procedural, or read from disk).

Submodules load on first use, so `import tensorlite` stays light.
"""
import importlib

__all__ = ["transforms", "preprocessing", "datasets"]


def __getattr__(name):
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
