"""Adapters' implementations of loss functions (L01–L09), one mixin per library;
each backend class in ``dlspec.backends`` inherits its library's mixin."""

from __future__ import annotations


class ReferenceLosses:
    """The reference."""


class NumpyLosses:
    """NumPy (and CuPy, through ``self.xp``)."""


class TorchLosses:
    """PyTorch."""


class JaxLosses:
    """JAX."""
