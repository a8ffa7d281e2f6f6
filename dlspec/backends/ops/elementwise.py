"""Adapters' implementations of the elementwise spec operations, one mixin per library."""

from __future__ import annotations


class ReferenceElementwise:
    """The reference."""


class NumpyElementwise:
    """NumPy (and CuPy, through ``self.xp``)."""


class TorchElementwise:
    """PyTorch."""


class JaxElementwise:
    """JAX."""
