"""Spec operations of module parameters, buffers, state_dict, train/eval and training techniques (catalogue MD01–MD16, TR01–TR03)."""

from __future__ import annotations


class ModuleOps:
    """Module parameters, buffers, state_dict, train/eval and training techniques."""
