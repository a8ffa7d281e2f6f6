"""Spec operations of data, tensor and ZeRO parallelism (catalogue P01–P06)."""

from __future__ import annotations


class ParallelOps:
    """Data, tensor and ZeRO parallelism."""
