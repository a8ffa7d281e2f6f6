"""Spec operations: Broadcasting (catalogue B)."""

from __future__ import annotations


class BroadcastingOps:
    """Broadcasting (catalogue B)."""
