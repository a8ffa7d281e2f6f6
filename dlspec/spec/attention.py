"""Spec operations of scaled dot-product attention, masks, multi-head variants and transformer blocks (catalogue AT01–AT20)."""

from __future__ import annotations


class AttentionOps:
    """Scaled dot-product attention, masks, multi-head variants and transformer blocks."""
