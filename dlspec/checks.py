"""Checks shared by conformance tests: run one spec operation on the backend and on the
reference, then compare what the spec pins down.

``aspect="values"`` checks the result's shape, dtype and values (exactly: these operations
move data), that the input was not mutated, and that the backend raises where the
reference raises.  ``aspect="layout"`` checks aliasing (the result shares memory with its
input exactly when the reference's does) and, where the backend exposes them, strides.
"""

from __future__ import annotations

from math import prod
from typing import Any, Literal

from dlspec import testing
from dlspec.api import Backend
from dlspec.backends.reference import ReferenceBackend
from dlspec.compare import ConformanceError, assert_conforms
from dlspec.strategies import Layout

ORACLE = ReferenceBackend()
ORACLE.is_oracle = True  # its operations are not counted in the run's summary
Aspect = Literal["values", "layout"]

#: Operations whose result strides the spec leaves to the library, and why.
FREE_STRIDES = {"clone": "torch's clone keeps a dense input's strides (preserve_format); numpy's copy is row-major"}


def oracle_dtype(dtype: str) -> str:
    """The dtype the reference uses for a data-movement check: bfloat16 inputs are small
    integers, exact in float32, which NumPy can store."""
    return "float32" if dtype == "bfloat16" else dtype


def check_op(backend: Backend, name: str, layout: Layout, dtype: str, *args: Any, aspect: Aspect = "values") -> None:
    """Run spec operation ``name`` on an input built from ``layout`` and compare ``aspect``."""
    fn = testing.op(backend, name)
    testing.require_dtype(backend, dtype)
    if aspect == "layout":
        testing.require(backend, "views")
    x_ref = layout.build(ORACLE, oracle_dtype(dtype))
    x = layout.build(backend, dtype)
    inputs = ", ".join([layout.describe(dtype), *map(repr, args)])
    try:
        expected = getattr(ORACLE, name)(x_ref, *args)
    except (ValueError, TypeError):
        with testing.raises_as_spec(backend, f"{name}({inputs})"):
            fn(x, *args)
        return
    before = backend.to_numpy(x)
    actual = fn(x, *args)
    if aspect == "values":
        assert_conforms(backend, actual, ORACLE.to_numpy(expected), op=name, dtype=dtype, exact=True, inputs=inputs)
        assert_conforms(backend, x, before, op=f"{name} (input afterwards, must be unchanged)", dtype=dtype, exact=True, inputs=inputs)
    else:
        check_aliasing(backend, actual, x, ORACLE.shares_memory(expected, x_ref), f"{name}({inputs})")
        if name not in FREE_STRIDES:
            check_strides(backend, actual, ORACLE.strides(expected), f"{name}({inputs})")


def check_aliasing(backend: Backend, result: Any, source: Any, expected: bool, what: str) -> None:
    """Fail unless ``result`` shares memory with ``source`` exactly when the spec says so.
    Arrays without elements alias nothing, so they are not checked."""
    if prod(backend.shape(result)) == 0 or prod(backend.shape(source)) == 0:
        return
    got = backend.shares_memory(result, source)
    if got != expected:
        spec = "a view of its input (shares memory)" if expected else "a copy (its own memory)"
        found = "shares memory with its input" if got else "does not share memory with its input"
        raise ConformanceError(f"{backend.name} {what}: the spec says the result is {spec}, but it {found}\n"
                               f"{testing.reproduction(backend, what, '')}")


def significant_strides(shape: tuple[int, ...], strides: tuple[int, ...]) -> tuple[int | None, ...]:
    """Strides with those of size-1 dimensions blanked out: they are never used to address
    an element, so libraries differ there freely."""
    return tuple(None if size == 1 else stride for size, stride in zip(shape, strides))


def check_strides(backend: Backend, result: Any, expected: tuple[int, ...], what: str) -> None:
    """Fail unless the backend's strides (in elements) match the reference's, ignoring
    size-1 dimensions and empty arrays; skipped for backends that expose no strides."""
    got = backend.strides(result)
    shape = backend.shape(result)
    if got is None or prod(shape) == 0:
        return
    if significant_strides(shape, got) != significant_strides(shape, expected):
        raise ConformanceError(f"{backend.name} {what}: strides {got}, the spec says {expected} "
                               f"(size-1 dimensions ignored)\n{testing.reproduction(backend, what, '')}")
