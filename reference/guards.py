"""Argument guards shared by the reference modules: each raises ``TypeError`` or
``ValueError`` with a message saying what is wrong."""

from __future__ import annotations

import numpy as np


def check_int(value: object, what: str) -> int:
    """``value`` as an int; ``TypeError`` for anything else (bool included)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what} must be an int, got {type(value).__name__}")
    return int(value)


def dim_position(dim: int, ndim: int) -> int:
    """``dim`` in ``[-ndim, ndim)`` as a position; a 0-d tensor has no dimensions."""
    check_int(dim, "dim")
    if not -ndim <= dim < ndim:
        raise ValueError(f"dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})")
    return dim % ndim


def check_choice(value: str, name: str, choices: tuple[str, ...]) -> None:
    """``ValueError`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
