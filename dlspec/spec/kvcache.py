"""Spec operations of KV-cache decoding, contiguous and paged (catalogue AT)."""

from __future__ import annotations


class KVCacheOps:
    """KV-cache decoding, contiguous and paged."""
