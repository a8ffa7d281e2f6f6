"""Adapters' implementations of the matmul spec operations, one mixin per library."""

from __future__ import annotations


class ReferenceMatmul:
    """The reference."""


class NumpyMatmul:
    """NumPy (and CuPy, through ``self.xp``)."""


class TorchMatmul:
    """PyTorch."""


class JaxMatmul:
    """JAX."""
