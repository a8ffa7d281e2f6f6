"""Spec operations of loss functions (catalogue L01–L09)."""

from __future__ import annotations


class LossOps:
    """Loss functions."""
