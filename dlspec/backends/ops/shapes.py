"""Adapters' implementations of the shapes spec operations, one mixin per library."""

from __future__ import annotations


class ReferenceShapes:
    """The reference."""


class NumpyShapes:
    """NumPy (and CuPy, through ``self.xp``)."""


class TorchShapes:
    """PyTorch."""


class JaxShapes:
    """JAX."""
