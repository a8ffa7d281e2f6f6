"""Broken backends for broadcasting (B01–B09), built on the NumPy adapter."""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from typing import Any

import numpy as np

from dlspec.api import Shape
from dlspec.backends.numpy import NumpyBackend


def _pad_right(shapes: Sequence[Shape]) -> list[tuple[int, ...]]:
    """The shapes padded with 1s on the right to the longest one's ndim."""
    ndim = max(map(len, shapes), default=0)
    return [tuple(s) + (1,) * (ndim - len(s)) for s in shapes]


class BroadcastAlignsLeft(NumpyBackend):
    """broadcasting pads the shorter shape with 1s on the right, aligning shapes on the left
    instead of the right (B02, B04)."""

    name, catches = "broadcast-aligns-left", ("test_broadcast_shapes", "test_notes_examples", "test_broadcast_arithmetic")

    def broadcast_shapes(self, *shapes: Shape) -> tuple[int, ...]:
        return np.broadcast_shapes(*_pad_right(shapes))

    def broadcast_add(self, a: Any, b: Any) -> Any:
        padded_a, padded_b = _pad_right([a.shape, b.shape])
        return a.reshape(padded_a) + b.reshape(padded_b)


class BroadcastAsymmetric(NumpyBackend):
    """the notes' asymmetric rule (B03): only the smaller operand's size-1 dimensions
    stretch, so (4,1,2) with (3,2) raises."""

    name, catches = "broadcast-asymmetric", ("test_broadcast_shapes", "test_notes_examples")

    def broadcast_shapes(self, *shapes: Shape) -> tuple[int, ...]:
        return reduce(self._smaller_into_larger, shapes, ())

    @staticmethod
    def _smaller_into_larger(a: Shape, b: Shape) -> tuple[int, ...]:
        small, large = sorted((tuple(a), tuple(b)), key=len)
        padded = (1,) * (len(large) - len(small)) + small
        if any(s not in (1, size) for s, size in zip(padded, large)):
            raise ValueError(f"{small} cannot be broadcast to {large}")
        return large


class BroadcastNeverRaises(NumpyBackend):
    """broadcast_shapes takes the larger size of every dimension, so incompatible sizes pass
    (B01, B07)."""

    name, catches = "broadcast-never-raises", ("test_broadcast_shapes", "test_notes_examples")

    def broadcast_shapes(self, *shapes: Shape) -> tuple[int, ...]:
        ndim = max(map(len, shapes), default=0)
        padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
        return tuple(max(sizes) for sizes in zip(*padded))


class BroadcastAddTiles(NumpyBackend):
    """broadcast_add stretches operands with np.resize, which repeats the flat data: right
    for new leading dimensions, wrong along a stretched inner size-1 dimension (B09)."""

    name, catches = "broadcast-add-tiles", ("test_notes_examples", "test_broadcast_arithmetic")

    def broadcast_add(self, a: Any, b: Any) -> Any:
        shape = np.broadcast_shapes(a.shape, b.shape)
        return np.resize(a, shape) + np.resize(b, shape)


class BroadcastToCopies(NumpyBackend):
    """broadcast_to materialises the stretched array instead of a stride-0 view (B09)."""

    name, catches = "broadcast-to-copies", ("test_broadcast_to",)

    def broadcast_to(self, x: Any, shape: Shape) -> Any:
        return np.broadcast_to(x, tuple(shape)).copy()


class BroadcastToStretchesTarget(NumpyBackend):
    """broadcast_to broadcasts the input and the target against each other, so a target that
    the input cannot reach, (3,1) to (1,4), gives (3,4) instead of raising (B04)."""

    name, catches = "broadcast-to-stretches-target", ("test_broadcast_to",)

    def broadcast_to(self, x: Any, shape: Shape) -> Any:
        return np.broadcast_to(x, np.broadcast_shapes(x.shape, tuple(shape)))


class BroadcastToIsExpand(NumpyBackend):
    """broadcast_to is the memory area's expand, which keeps sizes given as -1, while the
    backend still declares NumPy's behaviour, an error (broadcast_to_minus_one)."""

    name, catches = "broadcast-to-is-expand", ("test_broadcast_to_minus_one",)

    def broadcast_to(self, x: Any, shape: Shape) -> Any:
        return self.expand(x, shape)
