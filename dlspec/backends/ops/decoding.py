"""Adapters' implementations of decoding: greedy, sampling, penalties and beam search (DE01–DE17), one mixin per library;
each backend class in ``dlspec.backends`` inherits its library's mixin."""

from __future__ import annotations


class ReferenceDecoding:
    """The reference."""


class NumpyDecoding:
    """NumPy (and CuPy, through ``self.xp``)."""


class TorchDecoding:
    """PyTorch."""


class JaxDecoding:
    """JAX."""
