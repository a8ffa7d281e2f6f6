"""Adapters' implementations of the einsum spec operations, one mixin per library."""

from __future__ import annotations


class ReferenceEinsum:
    """The reference."""


class NumpyEinsum:
    """NumPy (and CuPy, through ``self.xp``)."""


class TorchEinsum:
    """PyTorch."""


class JaxEinsum:
    """JAX."""
