"""Datasets: bundled in PyPI packages (Digits, MNIST5k), on disk (FashionMNIST), or generated (Shapes, TextCorpus)."""
from ._base import ImageArrayDataset, stratified_split
from .bundled import Digits, MNIST5k
from .fashion_mnist import FashionMNIST, read_idx
from .shapes import Shapes
from .text import TextCorpus

__all__ = ["Digits", "MNIST5k", "FashionMNIST", "Shapes", "TextCorpus", "stratified_split", "read_idx",
           "ImageArrayDataset"]
