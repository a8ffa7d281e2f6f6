"""Bad input to the reference: every public function of every ``reference`` module, fed
hypothesis-drawn arguments of the wrong kinds, shapes, dims, dtypes and equations, either
returns or raises ``ValueError``/``TypeError`` — never any other exception."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import reference
from reference import memory

ACCEPTED = (ValueError, TypeError)
DTYPES = [np.float64, np.float32, np.float16, np.int64, np.int32, np.int8, np.uint8, np.bool_, np.complex64]


def _public_functions() -> list[tuple[str, Callable[..., Any]]]:
    found = []
    for info in pkgutil.iter_modules(reference.__path__):
        module = importlib.import_module(f"reference.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("_") and fn.__module__ == module.__name__:
                found.append((f"{info.name}.{name}", fn))
    return found


FUNCTIONS = _public_functions()
arrays = hnp.arrays(dtype=st.sampled_from(DTYPES), shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
small_ints = st.integers(-3, 6)
values = st.one_of(
    arrays,
    arrays.map(memory.from_numpy),
    small_ints,
    st.sampled_from([0.0, -1.0, 0.5, 2.0, float("nan"), float("inf"), 1e300]),
    st.sampled_from(["", "ij,jk->ik", "i->", "->i", "ii", "...", "a b", "ij->jj", "i,i", "mean", "none", "sum",
                     "column", "bogus", "float64", "int8", "bfloat16"]),
    st.none(),
    st.booleans(),
    st.tuples(small_ints, small_ints),
    st.lists(small_ints, max_size=4).map(tuple),
    st.lists(arrays, max_size=3),
    st.builds(slice, small_ints, small_ints),
)


@pytest.mark.parametrize(("name", "fn"), FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
@settings(max_examples=40)
@given(data=st.data())
def test_invalid_input_raises_value_or_type_error(name, fn, data):
    """Any arguments at all: the function returns, or raises ValueError or TypeError."""
    params = [p for p in inspect.signature(fn).parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    args, kwargs = [], {}
    for p in params:
        if p.default is not p.empty and not data.draw(st.booleans(), label=f"pass {p.name}"):
            continue
        value = data.draw(values, label=p.name)
        if p.kind == p.KEYWORD_ONLY:
            kwargs[p.name] = value
        else:
            args.append(value)
    try:
        with np.errstate(all="ignore"):
            fn(*args, **kwargs)
    except ACCEPTED:
        pass
    except Exception as exc:
        pytest.fail(f"reference.{name}{tuple(args)!r} {kwargs!r} raised {type(exc).__name__}: {exc}; the reference "
                    f"must validate its arguments and raise ValueError or TypeError")
