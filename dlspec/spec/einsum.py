"""Spec operations: einsum, unfold and convolution by einsum (catalogue E, S15)."""

from __future__ import annotations


class EinsumOps:
    """einsum, unfold and convolution by einsum (catalogue E, S15)."""
