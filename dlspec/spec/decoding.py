"""Spec operations of decoding: greedy, sampling, penalties and beam search (catalogue DE01–DE17)."""

from __future__ import annotations


class DecodingOps:
    """Decoding: greedy, sampling, penalties and beam search."""
