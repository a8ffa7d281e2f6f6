"""Broken backends for the tensor memory model (T01–T28), built on the NumPy adapter."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlspec.api import Shape
from dlspec.backends.numpy import NumpyBackend


class ViewCopies(NumpyBackend):
    """view returns a copy instead of sharing memory."""

    name, catches = "view-copies", ("test_view", "test_notes_examples", "test_write_through")

    def view(self, x: Any, shape: Shape) -> Any:
        return np.reshape(x, tuple(shape)).copy()


class ViewNeverRaises(NumpyBackend):
    """view silently copies where no view exists, instead of raising (T15)."""

    name, catches = "view-never-raises", ("test_view", "test_notes_examples")

    def view(self, x: Any, shape: Shape) -> Any:
        return np.reshape(x, tuple(shape))


class ReshapeAlwaysCopies(NumpyBackend):
    """reshape copies even when a view is possible (the notes' claim, T13)."""

    name, catches = "reshape-always-copies", ("test_reshape", "test_notes_examples", "test_write_through")

    def reshape(self, x: Any, shape: Shape) -> Any:
        return np.reshape(x, tuple(shape)).copy()


class ReshapeColumnMajor(NumpyBackend):
    """reshape reads elements in column-major order."""

    name, catches = "reshape-column-major", ("test_reshape", "test_notes_examples")

    def reshape(self, x: Any, shape: Shape) -> Any:
        return np.reshape(x, tuple(shape), order="F")


class PermuteCopies(NumpyBackend):
    """permute copies (the notes' claim, T12)."""

    name, catches = "permute-copies", ("test_metadata_ops", "test_notes_examples", "test_write_through")

    def permute(self, x: Any, dims: Shape) -> Any:
        return np.transpose(x, tuple(dims)).copy()


class TransposeReversesAll(NumpyBackend):
    """transpose(d0, d1) done as .T, which reverses every dimension (T24)."""

    name, catches = "transpose-reverses-all", ("test_metadata_ops",)

    def transpose(self, x: Any, dim0: int, dim1: int) -> Any:
        return x.T


class ExpandCopies(NumpyBackend):
    """expand materialises the broadcast instead of using stride 0 (T18)."""

    name, catches = "expand-copies", ("test_expand", "test_notes_examples", "test_write_through")

    def expand(self, x: Any, shape: Shape) -> Any:
        return np.array(super().expand(x, shape), copy=True)


class ContiguousAlwaysCopies(NumpyBackend):
    """contiguous copies an already contiguous input (the notes' claim, T06)."""

    name, catches = "contiguous-always-copies", ("test_copy_or_alias", "test_notes_examples")

    def contiguous(self, x: Any) -> Any:
        return np.array(x, copy=True, order="C")


class IsContiguousAlwaysTrue(NumpyBackend):
    """is_contiguous ignores the strides."""

    name, catches = "is-contiguous-always-true", ("test_is_contiguous",)

    def is_contiguous(self, x: Any) -> bool:
        return True


class RepeatInterleaves(NumpyBackend):
    """repeat repeats each element in place instead of tiling the whole tensor (T21)."""

    name, catches = "repeat-interleaves", ("test_repeat", "test_notes_examples")

    def repeat(self, x: Any, sizes: Shape) -> Any:
        x = x.reshape((1,) * (len(sizes) - x.ndim) + x.shape)
        for axis, count in enumerate(sizes):
            x = np.repeat(x, count, axis=axis)
        return x


class SharesMemoryAlwaysTrue(NumpyBackend):
    """shares_memory answers True for everything, so copies pass as views."""

    name, catches = "shares-memory-always-true", ("test_shares_memory_is_exact", "test_copy_or_alias", "test_reshape")

    def shares_memory(self, a: Any, b: Any) -> bool:
        return True


class SumKeepsDim(NumpyBackend):
    """sum keeps the reduced dimension as size 1 (T22)."""

    name, catches = "sum-keeps-dim", ("test_sum_along_dim",)

    def sum(self, x: Any, dim: int) -> Any:
        return np.sum(x, axis=dim, keepdims=True)


class GatherWrongAxis(NumpyBackend):
    """gather indexes along the last axis whatever dim says (T26)."""

    name, catches = "gather-wrong-axis", ("test_gather",)

    def gather(self, x: Any, dim: int, index: Any) -> Any:
        return np.take_along_axis(x, index, axis=-1)


class MatmulTransposesRight(NumpyBackend):
    """matmul multiplies by the transpose of the right operand where shapes allow (T23)."""

    name, catches = "matmul-transposes-right", ("test_matmul_2d",)

    def matmul(self, a: Any, b: Any) -> Any:
        return a @ b.T if b.shape[0] == b.shape[1] else a @ b
