"""Spec operations of optimizers, gradient clipping, accumulation and LR schedulers (catalogue OP01–OP18)."""

from __future__ import annotations


class OptimizerOps:
    """Optimizers, gradient clipping, accumulation and LR schedulers."""
