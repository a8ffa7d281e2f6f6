"""Spec operations: Shape operations and indexing: squeeze/unsqueeze, slicing, cat/stack, gather, repeat vs repeat_interleave, numpy functions (catalogue S, N)."""

from __future__ import annotations


class ShapeOps:
    """Shape operations and indexing: squeeze/unsqueeze, slicing, cat/stack, gather, repeat vs repeat_interleave, numpy functions (catalogue S, N)."""
