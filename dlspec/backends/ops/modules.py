"""Adapters' implementations of module parameters, buffers, state_dict, train/eval and training techniques (MD01–MD16, TR01–TR03), one mixin per library;
each backend class in ``dlspec.backends`` inherits its library's mixin."""

from __future__ import annotations


class ReferenceModules:
    """The reference."""


class NumpyModules:
    """NumPy (and CuPy, through ``self.xp``)."""


class TorchModules:
    """PyTorch."""


class JaxModules:
    """JAX."""
