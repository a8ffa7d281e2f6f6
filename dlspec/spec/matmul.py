"""Spec operations: matmul, bmm and linear (catalogue M)."""

from __future__ import annotations


class MatmulOps:
    """matmul, bmm and linear (catalogue M)."""
