"""Adapters' implementations of int8 quantization and LLM.int8() decomposition (Q01–Q03), one mixin per library;
each backend class in ``dlspec.backends`` inherits its library's mixin."""

from __future__ import annotations


class ReferenceQuantization:
    """The reference."""


class NumpyQuantization:
    """NumPy (and CuPy, through ``self.xp``)."""


class TorchQuantization:
    """PyTorch."""


class JaxQuantization:
    """JAX."""
