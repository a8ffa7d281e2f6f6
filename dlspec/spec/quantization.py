"""Spec operations of int8 quantization and LLM.int8() decomposition (catalogue Q01–Q03)."""

from __future__ import annotations


class QuantizationOps:
    """Int8 quantization and LLM.int8() decomposition."""
