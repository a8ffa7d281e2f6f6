"""Adapters' implementations of embedding, weight tying, dropout and linear layers (EM01–EM11), one mixin per library;
each backend class in ``dlspec.backends`` inherits its library's mixin."""

from __future__ import annotations


class ReferenceLayers:
    """The reference."""


class NumpyLayers:
    """NumPy (and CuPy, through ``self.xp``)."""


class TorchLayers:
    """PyTorch."""


class JaxLayers:
    """JAX."""
