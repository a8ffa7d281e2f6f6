"""Hypothesis strategies for conformance inputs: small shapes, strided layouts and the
shapes a tensor can be viewed as.

A :class:`Layout` describes how a test input is built — a row-major array of distinct
values, then optionally a permutation and a basic slice — so the same non-contiguous input
can be built on the backend under test and on the reference.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import product
from math import prod
from typing import Any, TypeVar

import numpy as np
from hypothesis import example
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dlspec import testing
from dlspec.api import Backend
from reference.dtypes import round_to, smallest_normal

Index = tuple[int | slice, ...]
T = TypeVar("T")


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
    """A basic index for ``shape``: per leading dim an int or a positive-step slice, with
    steps of 2 and 3 common so that the result is strided."""
    items: list[int | slice] = []
    for size in shape[: draw(st.integers(0, len(shape)))]:
        kind = draw(st.sampled_from(("step", "range", "int")))
        if kind == "int" and size:
            items.append(draw(st.integers(-size, size - 1)))
        elif kind == "step":
            items.append(slice(draw(st.none() | st.integers(0, size)), None, draw(st.integers(2, 3))))
        else:
            items.append(slice(draw(st.none() | st.integers(0, size)), draw(st.none() | st.integers(0, size))))
    return tuple(items)


#: Sizes in the order hypothesis prefers them (it shrinks towards the first).
SIDES = (2, 3, 1, 4)


@st.composite
def layouts(draw: st.DrawFn, min_dims: int = 0, max_dims: int = 4) -> Layout:
    """Inputs of four kinds — permuted, sliced, both, or plain row-major — over shapes of
    ``min_dims``–``max_dims`` dims; a permutation is never the identity (it would be plain
    row-major), and about one shape in ten has a zero size."""
    ndim = draw(st.sampled_from([d for d in (3, 2, 4, 1, 0) if min_dims <= d <= max_dims]))
    shape = tuple(draw(st.sampled_from(SIDES)) for _ in range(ndim))
    if ndim and draw(st.integers(0, 9)) == 9:
        zero_at = draw(st.integers(0, ndim - 1))
        shape = shape[:zero_at] + (0,) + shape[zero_at + 1 :]
    kind = draw(st.sampled_from(("permuted", "sliced", "permuted+sliced", "contiguous")))
    permutation = None
    if "permuted" in kind and ndim >= 2:
        permutation = tuple(draw(st.permutations(range(ndim))))
        if permutation == tuple(range(ndim)):
            permutation = permutation[::-1]
    permuted = tuple(shape[d] for d in permutation) if permutation else shape
    index = draw(basic_index(permuted)) if "sliced" in kind else None
    return Layout(shape, permutation, index or None)


#: Hand-picked inputs every layout-driven test also runs (hypothesis ``@example``s).
INTERESTING = (
    Layout((3, 4), (1, 0)),                        # x.t(): the notes' non-contiguous case
    Layout((2, 3, 4), (2, 0, 1)),                  # permute: strides (1, 12, 4) (T12)
    Layout((3, 4), None, (slice(None), slice(None, None, 2))),  # x[:, ::2] (T07)
    Layout((4, 1, 3), (2, 1, 0), (slice(1, 3),)),  # size-1 dim amid a permuted slice
    Layout(()),                                    # a 0-d tensor
    Layout((2, 0, 3), (1, 0, 2)),                  # no elements
)


def examples(argname: str, values: Sequence[Any]) -> Callable[[T], T]:
    """Decorator: run the hypothesis test on each of ``values`` (as ``argname``) too."""

    def decorate(test: T) -> T:
        for value in reversed(values):
            test = example(**{argname: value})(test)
        return test

    return decorate


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


def draw_dtype(backend: Backend, data: st.DataObject, dtypes: tuple[str, ...]) -> str:
    """One of ``dtypes`` that the backend declares, drawn for this example (drawing one it
    lacks would skip the whole hypothesis test)."""
    return data.draw(st.sampled_from([d for d in dtypes if d in backend.capabilities.dtypes]), label="dtype")


def values_for(shape: tuple[int, ...], dtype: str, data: st.DataObject | None = None, *, nonzero: bool = False) -> np.ndarray:
    """Values of ``shape`` held exactly by ``dtype``: small integers for integer dtypes; for
    floats, values in [-8, 8] rounded to ``dtype``, normal or zero (whether a library flushes
    subnormals is a behaviour of its own), at least 0.25 in magnitude with ``nonzero``.
    Without ``data``, the distinct row-major values."""
    if data is None:
        return distinct_values(shape, dtype)
    if dtype.startswith("int"):
        ints = st.integers(-9, 9).filter(lambda v: v != 0) if nonzero else st.integers(-9, 9)
        return data.draw(hnp.arrays(np.int64, shape, elements=ints), label="values").astype(dtype)
    floats = st.floats(-8, 8)
    if nonzero:
        floats = floats.filter(lambda v: abs(v) >= 0.25)
    values = round_to(data.draw(hnp.arrays(np.float64, shape, elements=floats), label="values"), dtype)
    return np.where(np.abs(values) < smallest_normal(dtype), 0.0, values)


def positive(shape: tuple[int, ...], dtype: str, data: st.DataObject) -> np.ndarray:
    """Values in [0.25, 8.25] held by ``dtype`` (variances)."""
    return round_to(np.abs(values_for(shape, dtype, data)) + 0.25, dtype)


def logits(shape: tuple[int, ...], dtype: str, data: st.DataObject) -> np.ndarray:
    """Values in [-8, 8], or scaled to [-1e4, 1e4] (large logits), held by ``dtype``."""
    magnitude = data.draw(st.sampled_from((1.0, 1250.0)), label="magnitude")
    return np.asarray(round_to(values_for(shape, dtype, data) * magnitude, dtype))
