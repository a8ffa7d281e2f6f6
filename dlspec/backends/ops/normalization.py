"""Adapters' implementations of normalisation layers and activation functions (NR01–NR11), one mixin per library;
each backend class in ``dlspec.backends`` inherits its library's mixin."""

from __future__ import annotations


class ReferenceNormalization:
    """The reference."""


class NumpyNormalization:
    """NumPy (and CuPy, through ``self.xp``)."""


class TorchNormalization:
    """PyTorch."""


class JaxNormalization:
    """JAX."""
