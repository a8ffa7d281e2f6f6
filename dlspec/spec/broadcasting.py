"""Spec operations of broadcasting (catalogue B01–B09).

The memory area's ``add`` and ``multiply`` (:mod:`dlspec.spec.memory`) combine operands of
one shape; the ``broadcast_*`` operations here are the same libraries' calls on operands of
different, broadcastable shapes.
"""

from __future__ import annotations

from dlspec.spec import Array, Shape, spec_op


class BroadcastingOps:
    """The broadcasting rule on shapes, broadcasting one array to a shape, and element-wise
    arithmetic on broadcast operands."""

    @spec_op("B01 B02 B03 B04 B05 B06 B07 B08")
    def broadcast_shapes(self, *shapes: Shape) -> tuple[int, ...]:
        """The shape ``shapes`` broadcast to; raises where two sizes differ and neither is 1."""

    @spec_op("B04 B09")
    def broadcast_to(self, x: Array, shape: Shape) -> Array:
        """``x`` stretched to ``shape`` along its size-1 and missing leading dimensions."""

    @spec_op("B01 B02 B03 B04 B05 B06 B07 B08 B09")
    def broadcast_add(self, a: Array, b: Array) -> Array:
        """Element-wise ``a + b`` of broadcastable operands."""

    @spec_op("B09")
    def broadcast_multiply(self, a: Array, b: Array) -> Array:
        """Element-wise ``a * b`` of broadcastable operands."""
