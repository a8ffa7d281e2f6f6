"""Adapters' implementations of scaled dot-product attention, masks, multi-head variants and transformer blocks (AT01–AT20), one mixin per library;
each backend class in ``dlspec.backends`` inherits its library's mixin."""

from __future__ import annotations


class ReferenceAttention:
    """The reference."""


class NumpyAttention:
    """NumPy (and CuPy, through ``self.xp``)."""


class TorchAttention:
    """PyTorch."""


class JaxAttention:
    """JAX."""
