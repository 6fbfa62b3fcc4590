"""The single source of the package version at runtime (pyproject.toml holds the same number)."""

__version__ = "0.1.0"
