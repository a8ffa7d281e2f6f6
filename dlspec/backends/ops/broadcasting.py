"""Adapters' implementations of the broadcasting spec operations, one mixin per library."""

from __future__ import annotations


class ReferenceBroadcasting:
    """The reference."""


class NumpyBroadcasting:
    """NumPy (and CuPy, through ``self.xp``)."""


class TorchBroadcasting:
    """PyTorch."""


class JaxBroadcasting:
    """JAX."""
