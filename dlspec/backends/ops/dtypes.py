"""Adapters' implementations of the dtypes spec operations, one mixin per library."""

from __future__ import annotations


class ReferenceDtypes:
    """The reference."""


class NumpyDtypes:
    """NumPy (and CuPy, through ``self.xp``)."""


class TorchDtypes:
    """PyTorch."""


class JaxDtypes:
    """JAX."""
