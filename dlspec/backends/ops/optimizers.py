"""Adapters' implementations of optimizers, gradient clipping, accumulation and LR schedulers (OP01–OP18), one mixin per library;
each backend class in ``dlspec.backends`` inherits its library's mixin."""

from __future__ import annotations


class ReferenceOptimizers:
    """The reference."""


class NumpyOptimizers:
    """NumPy (and CuPy, through ``self.xp``)."""


class TorchOptimizers:
    """PyTorch."""


class JaxOptimizers:
    """JAX."""
