"""Spec operations of padded sequences, attention masks and data loading (catalogue DA01–DA09)."""

from __future__ import annotations


class SequenceOps:
    """Padded sequences, attention masks and data loading."""
