"""Spec operations of autograd graph semantics and custom functions (catalogue A01–A29, C01–C04)."""

from __future__ import annotations


class AutogradOps:
    """Autograd graph semantics and custom functions."""
