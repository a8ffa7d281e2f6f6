"""Spec operations: shape operations and indexing (catalogue S01–S16, N01–N27).

``squeeze``, ``unsqueeze``, ``repeat``, ``reshape`` and ``gather`` are the memory area's
operations (:mod:`dlspec.spec.memory`); this area adds full basic indexing, joining,
element-wise repetition, triangles, column-major reshape and the notes' NumPy functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import EllipsisType

from dlspec.spec import Array, Shape, spec_op

#: One item of a basic index: an int, a slice, ``None`` (a new axis) or ``...``.
IndexItem = int | slice | None | EllipsisType


class ShapeOps:
    """Indexing, cat and stack, repeat_interleave, triu and tril, Fortran-order reshape and
    the NumPy functions of the notes (np.array, np.power, np.sin, np.cos, np.zeros)."""

    @spec_op("S02 S03 N01 N02 N03 N04 N05 N06 N07 N08 N09 N10 N11 N12")
    def index(self, x: Array, key: tuple[IndexItem, ...]) -> Array:
        """``x[key]`` with ints, slices of any step, ``None`` and one ``...``: a view."""

    @spec_op("U01")
    def cat(self, xs: Sequence[Array], dim: int) -> Array:
        """Join arrays along an existing dimension (a copy)."""

    @spec_op("U01")
    def stack(self, xs: Sequence[Array], dim: int) -> Array:
        """Join equal-shaped arrays along a new dimension (a copy)."""

    @spec_op("S10")
    def repeat_interleave(self, x: Array, repeats: int | Array, dim: int | None = None) -> Array:
        """Repeat each element ``repeats`` times in place along ``dim``; flatten first
        without ``dim`` (a copy)."""

    @spec_op("N23 N24 N25 N26")
    def triu(self, x: Array, k: int = 0) -> Array:
        """Zero the elements below the ``k``-th diagonal of the last two dimensions (a copy)."""

    @spec_op("N27")
    def tril(self, x: Array, k: int = 0) -> Array:
        """Zero the elements above the ``k``-th diagonal of the last two dimensions (a copy)."""

    @spec_op("N21 N22")
    def reshape_fortran(self, x: Array, shape: Shape) -> Array:
        """NumPy's ``reshape(x, shape, order="F")``: elements read and written column-major."""

    @spec_op("N13")
    def from_list(self, values: object) -> Array:
        """A new array from nested Python lists of numbers, with one inferred dtype."""

    @spec_op("N17")
    def zeros(self, shape: Shape, dtype: str | None = None) -> Array:
        """A new array of ``shape`` holding zeros; the library's default float dtype without
        ``dtype``."""

    @spec_op("N14")
    def power(self, x: Array, exponent: int | Array) -> Array:
        """``x ** exponent`` element by element."""

    @spec_op("N15")
    def sin(self, x: Array) -> Array:
        """The sine of every element."""

    @spec_op("N16")
    def cos(self, x: Array) -> Array:
        """The cosine of every element."""
