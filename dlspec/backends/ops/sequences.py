"""Adapters' implementations of padded sequences, attention masks and data loading (DA01–DA09), one mixin per library;
each backend class in ``dlspec.backends`` inherits its library's mixin."""

from __future__ import annotations


class ReferenceSequences:
    """The reference."""


class NumpySequences:
    """NumPy (and CuPy, through ``self.xp``)."""


class TorchSequences:
    """PyTorch."""


class JaxSequences:
    """JAX."""
