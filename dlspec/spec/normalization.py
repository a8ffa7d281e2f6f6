"""Spec operations of normalisation layers and activation functions (catalogue NR01–NR11)."""

from __future__ import annotations


class NormalizationOps:
    """Normalisation layers and activation functions."""
