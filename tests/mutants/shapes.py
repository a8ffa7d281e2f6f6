"""Broken backends for the shape and indexing operations (S01–S16, N01–N27), built on the
NumPy adapter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from dlspec.api import Shape
from dlspec.backends.numpy import NumpyBackend


class RepeatInterleaveTiles(NumpyBackend):
    """repeat_interleave done as repeat: tiles the whole tensor instead of repeating each
    element in place (S10)."""

    name, catches = "repeat-interleave-tiles", ("test_repeat_interleave",)

    def repeat_interleave(self, x: Any, repeats: Any, dim: int | None = None) -> Any:
        x = x.reshape(-1) if dim is None else x
        d = 0 if dim is None else dim % x.ndim
        count = int(np.max(repeats, initial=0)) if isinstance(repeats, np.ndarray) else repeats
        return np.tile(x, tuple(count if i == d else 1 for i in range(x.ndim)))


class RepeatInterleaveKeepsShape(NumpyBackend):
    """repeat_interleave without dim repeats along dim 0 instead of flattening first (S10)."""

    name, catches = "repeat-interleave-keeps-shape", ("test_repeat_interleave",)

    def repeat_interleave(self, x: Any, repeats: Any, dim: int | None = None) -> Any:
        return np.repeat(x, repeats, axis=0 if dim is None and x.ndim else dim)


class SqueezeDropsNonSingleton(NumpyBackend):
    """squeeze(dim) removes the dimension even when its size is not 1, keeping index 0 (S04)."""

    name, catches = "squeeze-drops-non-singleton", ("test_squeeze",)

    def squeeze(self, x: Any, dim: int | None = None) -> Any:
        if dim is not None and x.shape[dim] != 1:
            return np.take(x, 0, axis=dim)
        return super().squeeze(x, dim)


class UnsqueezeNegativeOffByOne(NumpyBackend):
    """unsqueeze counts a negative dim in the input's dimensions, like list.insert: -1 inserts
    before the last dimension instead of after it (S09)."""

    name, catches = "unsqueeze-negative-off-by-one", ("test_unsqueeze",)

    def unsqueeze(self, x: Any, dim: int) -> Any:
        return np.expand_dims(x, dim + x.ndim if dim < 0 else dim)


class NoneAppendsAxis(NumpyBackend):
    """index puts every new axis from None at the end instead of where the None stands (S02)."""

    name, catches = "none-appends-axis", ("test_none_is_unsqueeze", "test_index")

    def index(self, x: Any, key: tuple[Any, ...]) -> Any:
        out = super().index(x, tuple(item for item in key if item is not None))
        return out.reshape(out.shape + (1,) * sum(item is None for item in key))


class EllipsisIsOneSlice(NumpyBackend):
    """index reads ... as a single ':' instead of every dimension it stands for (S03)."""

    name, catches = "ellipsis-is-one-slice", ("test_ellipsis_is_the_missing_slices", "test_index")

    def index(self, x: Any, key: tuple[Any, ...]) -> Any:
        return super().index(x, tuple(slice(None) if item is Ellipsis else item for item in key))


class NegativeStepCopies(NumpyBackend):
    """index with a negative step returns a reversed copy instead of a view (N01)."""

    name, catches = "negative-step-copies", ("test_negative_step", "test_index")

    def index(self, x: Any, key: tuple[Any, ...]) -> Any:
        out = super().index(x, key)
        backwards = any(isinstance(item, slice) and (item.step or 1) < 0 for item in key)
        return out.copy() if backwards else out


class CatStacks(NumpyBackend):
    """cat done as stack: adds a new dimension instead of joining along an existing one (U01)."""

    name, catches = "cat-stacks", ("test_join",)

    def cat(self, xs: Sequence[Any], dim: int) -> Any:
        return np.stack(list(xs), axis=dim)


class CatReturnsLoneInput(NumpyBackend):
    """cat of a single array returns that array itself, so the result aliases its input (U01)."""

    name, catches = "cat-returns-lone-input", ("test_join",)

    def cat(self, xs: Sequence[Any], dim: int) -> Any:
        return xs[0] if len(xs) == 1 and xs[0].ndim else super().cat(xs, dim)


class GatherClamps(NumpyBackend):
    """gather clamps indices past the end of the dimension instead of raising (T26)."""

    name, catches = "gather-clamps", ("test_gather_index_rules",)

    def gather(self, x: Any, dim: int, index: Any) -> Any:
        return np.take_along_axis(x, np.minimum(index, x.shape[dim] - 1), axis=dim)


class TriuDiagonalOffByOne(NumpyBackend):
    """triu keeps from the (k+1)-th diagonal: the k > 1 reading of the notes (N26)."""

    name, catches = "triu-diagonal-off-by-one", ("test_triangle",)

    def triu(self, x: Any, k: int = 0) -> Any:
        return np.triu(x, k + 1)


class TrilMirrorsK(NumpyBackend):
    """tril takes k with the wrong sign, mirroring triu's (N27)."""

    name, catches = "tril-mirrors-k", ("test_triangle",)

    def tril(self, x: Any, k: int = 0) -> Any:
        return np.tril(x, -k)


class ReshapeFortranIsC(NumpyBackend):
    """reshape_fortran ignores the order and reads row-major (N21)."""

    name, catches = "reshape-fortran-is-c", ("test_reshape_fortran", "test_notes_reshape_fortran")

    def reshape_fortran(self, x: Any, shape: Shape) -> Any:
        return np.reshape(x, tuple(shape))


class ZerosFloat32(NumpyBackend):
    """zeros without a dtype makes float32, not the float64 NumPy declares (N17)."""

    name, catches = "zeros-float32", ("test_zeros",)

    def zeros(self, shape: Shape, dtype: str | None = None) -> Any:
        return np.zeros(tuple(shape), dtype=self.dtype(dtype or "float32"))


class PowerInFloat(NumpyBackend):
    """power computes in float64, so integer powers come back as floats (N14)."""

    name, catches = "power-in-float", ("test_power",)

    def power(self, x: Any, exponent: Any) -> Any:
        return np.power(np.asarray(x, dtype=np.float64), exponent)


class SinInFloat32(NumpyBackend):
    """sin computes in float32 whatever the input's precision (N15)."""

    name, catches = "sin-in-float32", ("test_trig",)

    def sin(self, x: Any) -> Any:
        return np.sin(x.astype(np.float32)).astype(x.dtype)
