"""Spec operations of embedding, weight tying, dropout and linear layers (catalogue EM01–EM11)."""

from __future__ import annotations


class LayerOps:
    """Embedding, weight tying, dropout and linear layers."""
