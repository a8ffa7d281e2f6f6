"""Adapters' implementations of data, tensor and ZeRO parallelism (P01–P06), one mixin per library;
each backend class in ``dlspec.backends`` inherits its library's mixin."""

from __future__ import annotations


class ReferenceParallel:
    """The reference."""


class NumpyParallel:
    """NumPy (and CuPy, through ``self.xp``)."""


class TorchParallel:
    """PyTorch."""


class JaxParallel:
    """JAX."""
