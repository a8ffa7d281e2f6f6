"""Adapters' implementations of autograd graph semantics and custom functions (A01–A29, C01–C04), one mixin per library;
each backend class in ``dlspec.backends`` inherits its library's mixin."""

from __future__ import annotations


class ReferenceAutograd:
    """The reference."""


class NumpyAutograd:
    """NumPy (and CuPy, through ``self.xp``)."""


class TorchAutograd:
    """PyTorch."""


class JaxAutograd:
    """JAX."""
