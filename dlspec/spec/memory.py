"""Spec operations of the tensor memory model (catalogue T01–T28)."""

from __future__ import annotations

from collections.abc import Callable

from dlspec.spec import Array, Shape, spec_op


class MemoryOps:
    """Views, copies and metadata operations; reductions and arithmetic of the T rows."""

    @spec_op("T08 T15 T17")
    def view(self, x: Array, shape: Shape) -> Array:
        """A view with a new shape; raises when the strides cannot express it."""

    @spec_op("T13 T16 T25")
    def reshape(self, x: Array, shape: Shape) -> Array:
        """A view when possible, otherwise a copy."""

    @spec_op("T10 T11")
    def transpose(self, x: Array, dim0: int, dim1: int) -> Array:
        """Swap two dimensions (a view)."""

    @spec_op("T12")
    def permute(self, x: Array, dims: Shape) -> Array:
        """Reorder all dimensions (a view)."""

    @spec_op("T24")
    def reverse_dims(self, x: Array) -> Array:
        """``x.T``: reverse all dimensions (a view)."""

    @spec_op("T18 T19")
    def expand(self, x: Array, shape: Shape) -> Array:
        """Broadcast to ``shape`` without copying (stride 0); ``-1`` keeps a size."""

    @spec_op("T05")
    def unsqueeze(self, x: Array, dim: int) -> Array:
        """Insert a size-1 dimension (a view)."""

    @spec_op("T05")
    def squeeze(self, x: Array, dim: int | None = None) -> Array:
        """Remove size-1 dimensions (a view)."""

    @spec_op("T04 T28")
    def getitem(self, x: Array, index: tuple[int | slice, ...]) -> Array:
        """Basic indexing with ints and positive-step slices (a view)."""

    @spec_op("T08 T18 T20", inplace=True)
    def setitem(self, x: Array, index: tuple[int | slice, ...], value: float) -> None:
        """Write ``value`` into ``x[index]`` in place."""

    @spec_op("T06 T14")
    def contiguous(self, x: Array) -> Array:
        """``x`` itself when contiguous, else a row-major copy."""

    @spec_op("T07")
    def is_contiguous(self, x: Array) -> bool:
        """Whether ``x`` is row-major contiguous."""

    @spec_op("T21")
    def repeat(self, x: Array, sizes: Shape) -> Array:
        """Tile ``x`` (always a copy)."""

    @spec_op("T20")
    def detach(self, x: Array) -> Array:
        """The same memory, cut from the autograd graph."""

    @spec_op("T21")
    def clone(self, x: Array) -> Array:
        """A copy with its own memory."""

    @spec_op("T22")
    def sum(self, x: Array, dim: int) -> Array:
        """Sum along one dimension, which disappears."""

    @spec_op("T23")
    def add(self, a: Array, b: Array) -> Array:
        """Element-wise ``a + b``."""

    @spec_op("T23")
    def subtract(self, a: Array, b: Array) -> Array:
        """Element-wise ``a - b``."""

    @spec_op("T23")
    def multiply(self, a: Array, b: Array) -> Array:
        """Element-wise ``a * b``."""

    @spec_op("T23")
    def divide(self, a: Array, b: Array) -> Array:
        """Element-wise ``a / b``."""

    @spec_op("T23")
    def matmul(self, a: Array, b: Array) -> Array:
        """The matrix product ``a @ b``."""

    @spec_op("T26")
    def gather(self, x: Array, dim: int, index: Array) -> Array:
        """Pick elements along ``dim`` by an index array of the same ndim."""

    @spec_op("T27")
    def vmap(self, fn: Callable[[Array], Array], x: Array) -> Array:
        """Map a per-sample function over dimension 0."""
