"""Spec operations: Casts between float formats (catalogue D)."""

from __future__ import annotations


class DtypeOps:
    """Casts between float formats (catalogue D)."""
