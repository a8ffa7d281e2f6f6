"""Spec operations: Element-wise ops, reductions and sampling (catalogue O)."""

from __future__ import annotations


class ElementwiseOps:
    """Element-wise ops, reductions and sampling (catalogue O)."""
