"""Adapters' implementations of KV-cache decoding, contiguous and paged (AT), one mixin per library;
each backend class in ``dlspec.backends`` inherits its library's mixin."""

from __future__ import annotations


class ReferenceKVCache:
    """The reference."""


class NumpyKVCache:
    """NumPy (and CuPy, through ``self.xp``)."""


class TorchKVCache:
    """PyTorch."""


class JaxKVCache:
    """JAX."""
