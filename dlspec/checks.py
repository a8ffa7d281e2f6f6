"""Checks shared by conformance tests: run one spec operation on the backend and on the
reference, then compare what the spec pins down.

:func:`check_op` serves data movement (exact values, aliasing, strides); :func:`check_rule`
serves numerical operations (a float64 reference rule and a tolerance bound per output).

``aspect="values"`` checks the result's shape, dtype and values (exactly: these operations
move data), that the input was not mutated, and that the backend raises where the
reference raises.  ``aspect="layout"`` checks aliasing (the result shares memory with its
input exactly when the reference's does) and, where the backend exposes them, strides.
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod
from typing import Any, Literal

import numpy as np

from dlspec import testing
from dlspec.api import Backend
from dlspec.backends.reference import ReferenceBackend
from dlspec.compare import ConformanceError, assert_conforms
from dlspec.strategies import Layout
from reference.dtypes import round_to

ORACLE = ReferenceBackend()
ORACLE.is_oracle = True  # its operations are not counted in the run's summary
Aspect = Literal["values", "layout"]
LOW_PRECISION = ("float16", "bfloat16")
#: ``(terms, scale)`` of each output, from the float64 inputs, keywords and expected outputs.
Bound = Callable[[list[Any], dict[str, Any], tuple[np.ndarray, ...]], list[tuple[int, Any]]]

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


def check_rule(backend: Backend, name: str, rule: Callable[..., Any], args: list[Any], dtype: str, bound: Bound,
            **kwargs: Any) -> None:
    """Spec operation ``name`` on ``args`` (float arrays given to the backend in ``dtype``,
    integer arrays as int64, anything else as it is) against ``rule`` on the same values in
    float64; each output must have ``dtype`` and conform under ``bound``'s (terms, scale).
    Where the rule raises, the backend must raise."""
    fn = testing.op(backend, name)
    testing.require_dtype(backend, dtype)
    text = ", ".join(f"{a.tolist()} {(a.dtype.kind == 'f' and dtype) or 'int64'}" if isinstance(a, np.ndarray)
                     else repr(a) for a in args)
    text += "".join(f", {k}={v!r}" for k, v in kwargs.items())
    wide = [a.astype(np.float64 if a.dtype.kind == "f" else np.int64) if isinstance(a, np.ndarray) else a for a in args]

    def run() -> Any:
        return fn(*(backend.asarray(a, dtype if a.dtype.kind == "f" else "int64") if isinstance(a, np.ndarray) else a
                    for a in args), **kwargs)

    try:
        expected = rule(*wide, **kwargs)
    except (ValueError, TypeError):
        with testing.raises_as_spec(backend, f"{name}({text})"):
            run()
        return
    expected = expected if isinstance(expected, tuple) else (expected,)
    actual = run()
    actual = actual if isinstance(actual, tuple) else (actual,)
    assert len(actual) == len(expected), f"{backend.name} {name}: {len(actual)} outputs, expected {len(expected)}"
    for i, (got, want, (terms, scale)) in enumerate(zip(actual, expected, bound(wide, kwargs, expected))):
        lowp = round_to(want, dtype) if dtype in LOW_PRECISION else None
        assert_conforms(backend, got, want, op=f"{name} output {i}", dtype=dtype, terms=terms, scale=scale,
                        lowp_expected=lowp, inputs=text)
