"""Hypothesis strategies for conformance inputs: small shapes, strided layouts and the
shapes a tensor can be viewed as.

A :class:`Layout` describes how a test input is built — a row-major array of distinct
values, then optionally a permutation and a basic slice — so the same non-contiguous input
can be built on the backend under test and on the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import product
from math import prod
from typing import Any

import numpy as np
from hypothesis import strategies as st

from dlspec import testing
from dlspec.api import Backend

Index = tuple[int | slice, ...]


def shapes(min_dims: int = 0, max_dims: int = 4, min_side: int = 0, max_side: int = 4) -> st.SearchStrategy[tuple[int, ...]]:
    """Tuples of ``min_dims``–``max_dims`` sizes, each in ``[min_side, max_side]``."""
    return st.lists(st.integers(min_side, max_side), min_size=min_dims, max_size=max_dims).map(tuple)


def distinct_values(shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """Row-major values that differ between neighbours and are exact in every dtype
    (integers in [-125, 125]; alternating for bool)."""
    n = prod(shape)
    if dtype == "bool":
        return (np.arange(n) % 2 == 1).reshape(shape)
    if dtype == "uint8":
        return (np.arange(n) % 251).astype(np.uint8).reshape(shape)
    values = (np.arange(n) % 251 - 125).astype(np.float64).reshape(shape)
    return values if dtype == "bfloat16" else values.astype(dtype)


@dataclass(frozen=True)
class Layout:
    """A row-major base of ``shape``, then ``permutation`` (if any), then ``index`` (if any)."""

    shape: tuple[int, ...]
    permutation: tuple[int, ...] | None = None
    index: Index | None = None

    def build(self, backend: Backend, dtype: str) -> Any:
        """Build the input on ``backend`` through its own ``permute`` and ``getitem``."""
        x = backend.asarray(distinct_values(self.shape, dtype), dtype=dtype)
        if self.permutation is not None:
            x = testing.op(backend, "permute")(x, self.permutation)
        if self.index is not None:
            x = testing.op(backend, "getitem")(x, self.index)
        return x

    def describe(self, dtype: str) -> str:
        """A short Python-like description for failure messages."""
        text = f"x = asarray(distinct {self.shape} {dtype})"
        if self.permutation is not None:
            text += f".permute{self.permutation}"
        if self.index is not None:
            text += f"[{_index_text(self.index)}]"
        return text


def _index_text(index: Index) -> str:
    def one(item: int | slice) -> str:
        if isinstance(item, int):
            return str(item)
        parts = ["" if v is None else str(v) for v in (item.start, item.stop, item.step)]
        return ":".join(parts[:2]) + (f":{parts[2]}" if item.step is not None else "")

    return ", ".join(one(i) for i in index)


@st.composite
def basic_index(draw: st.DrawFn, shape: tuple[int, ...]) -> Index:
    """A basic index for ``shape``: per leading dim an int or a positive-step slice."""
    items: list[int | slice] = []
    for size in shape[: draw(st.integers(0, len(shape)))]:
        if size and draw(st.booleans()) and draw(st.booleans()):
            items.append(draw(st.integers(0, size - 1)))
        else:
            start = draw(st.none() | st.integers(0, size))
            stop = draw(st.none() | st.integers(0, size))
            items.append(slice(start, stop, draw(st.none() | st.integers(1, 3))))
    return tuple(items)


@st.composite
def layouts(draw: st.DrawFn, min_dims: int = 0, max_dims: int = 4, max_side: int = 4, contiguous: bool | None = None) -> Layout:
    """Contiguous and non-contiguous inputs: a permutation and/or a strided slice of a base."""
    shape = draw(shapes(min_dims, max_dims, 0, max_side))
    if contiguous:
        return Layout(shape)
    permutation = tuple(draw(st.permutations(range(len(shape))))) if draw(st.booleans()) else None
    permuted = tuple(shape[d] for d in permutation) if permutation else shape
    index = draw(basic_index(permuted)) if draw(st.booleans()) else None
    return Layout(shape, permutation, index or None)


@cache
def factorizations(numel: int, max_dims: int = 4) -> tuple[tuple[int, ...], ...]:
    """Every shape of up to ``max_dims`` dims (size-1 dims included) holding ``numel``
    elements; for ``numel == 0``, the shapes with exactly one zero and other sizes up to 3."""
    if numel == 0:
        return tuple(s for nd in range(1, max_dims + 1) for s in product(range(4), repeat=nd) if s.count(0) == 1)
    divisors = [d for d in range(1, numel + 1) if numel % d == 0]
    found = {s for nd in range(max_dims + 1) for s in product(divisors, repeat=nd) if prod(s) == numel}
    return tuple(sorted(found))


@st.composite
def view_shapes(draw: st.DrawFn, numel: int) -> tuple[int, ...]:
    """A shape with ``numel`` elements, sometimes with one size given as ``-1``."""
    shape = draw(st.sampled_from(factorizations(numel)))
    if shape and numel and draw(st.booleans()):
        i = draw(st.integers(0, len(shape) - 1))
        shape = shape[:i] + (-1,) + shape[i + 1 :]
    return shape
