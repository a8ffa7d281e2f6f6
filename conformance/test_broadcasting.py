"""Conformance: broadcasting (catalogue B01–B09).

Every backend's ``broadcast_shapes``, ``broadcast_to`` and arithmetic on operands of
different shapes are compared with ``reference.broadcasting``: the resulting shape, or an
error where the rule forbids one; values (exactly for data movement and integers, under the
tolerance policy for floats); and, for ``broadcast_to``, aliasing and stride-0 strides where
the backend has views.  Shapes come in pairs that broadcast (hypothesis'
``mutually_broadcastable_shapes``) or that one aligned dimension keeps from broadcasting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dlspec import testing
from dlspec.api import Backend
from dlspec.checks import ORACLE, check_op, check_strides
from dlspec.compare import assert_conforms
from dlspec.strategies import Layout, distinct_values, draw_dtype, layouts, values_for
from reference import broadcasting as ref
from reference import memory
from reference.dtypes import round_to

spec = pytest.mark.spec
ASPECTS = ("values", "layout")
MOVE_DTYPES = ("float32", "bfloat16", "int64", "bool")
ARITHMETIC_DTYPES = ("float64", "float32", "float16", "bfloat16", "int64")
OPS = {"broadcast_add": np.add, "broadcast_multiply": np.multiply}

#: The notes' examples (B01–B08), by catalogue ID; which of them broadcast is the reference's
#: to say (``tests/test_reference_broadcasting.py`` pins the notes' answers).
NOTES_PAIRS = [
    pytest.param((3, 1), (3, 4), id="B01-size-1-stretches"),
    pytest.param((3, 4), (3, 4), id="B01-equal-sizes"),
    pytest.param((3, 2), (3, 4), id="B01-2-vs-4-raises"),
    pytest.param((3,), (2, 3), id="B02-right-aligned"),
    pytest.param((2,), (2, 3), id="B02-2-vs-3-raises"),
    pytest.param((4, 1, 2), (3, 2), id="B03-larger-operand-stretches-too"),
    pytest.param((5, 1, 3), (4, 1), id="B04-missing-dims-are-1-on-the-left"),
    pytest.param((4, 3, 2), (3, 2), id="B05"),
    pytest.param((4, 3, 2), (1, 2), id="B06"),
    pytest.param((4, 3, 2), (2, 2), id="B07-raises"),
    pytest.param((4, 3, 2), (1, 3, 2), id="B08"),
    pytest.param((0,), (1,), id="B01-size-1-stretches-to-0"),
    pytest.param((0,), (2,), id="B01-0-vs-2-raises"),
]


# -- helpers -----------------------------------------------------------------------------


def check_shapes(backend: Backend, shapes: Sequence[tuple[int, ...]]) -> None:
    """``broadcast_shapes(*shapes)`` is the reference's shape, in either order of the shapes
    (the rule is symmetric, B03), or raises where the reference raises."""
    fn = testing.op(backend, "broadcast_shapes")
    for order in (tuple(shapes), tuple(reversed(shapes))):
        text = ", ".join(map(str, order))
        try:
            want = ref.broadcast_shapes(*order)
        except ValueError:
            with testing.raises_as_spec(backend, f"broadcast_shapes({text})"):
                fn(*order)
            continue
        got = fn(*order)
        assert got == want, (f"{backend.name}: broadcast_shapes({text}) = {got}, the spec says {want}\n"
                             f"{testing.reproduction(backend, 'broadcast_shapes', text)}")


def check_arithmetic(backend: Backend, name: str, a: np.ndarray, b: np.ndarray, dtype: str) -> None:
    """Spec operation ``name`` on ``a`` and ``b`` in ``dtype``, in both orders, against
    :func:`reference.broadcasting.broadcast_op` in float64 (exact for integers; element-wise
    under the tolerance policy for floats), or an error where the shapes do not broadcast."""
    fn = testing.op(backend, name)
    testing.require_dtype(backend, dtype)
    for x, y in ((a, b), (b, a)):
        text = f"{x.tolist()} with shape {x.shape}, {y.tolist()} with shape {y.shape}, as {dtype}"
        xb, yb = backend.asarray(x, dtype=dtype), backend.asarray(y, dtype=dtype)
        try:
            expected = memory.to_numpy(ref.broadcast_op(OPS[name], ORACLE.asarray(x), ORACLE.asarray(y)))
        except ValueError:
            with testing.raises_as_spec(backend, f"{name}({text})"):
                fn(xb, yb)
            continue
        lowp = round_to(expected, dtype) if dtype in ("float16", "bfloat16") else None
        assert_conforms(backend, fn(xb, yb), expected, op=name, dtype=dtype, lowp_expected=lowp, inputs=text)


# -- shape pairs ---------------------------------------------------------------------------


@st.composite
def shape_groups(draw: st.DrawFn, num_shapes: int = 2) -> tuple[tuple[int, ...], ...]:
    """``num_shapes`` shapes of up to 4 dims (sides up to 4) that broadcast, or, one time in
    three, that do not: two of them get sizes at one right-aligned dimension that differ
    with neither 1 (0 included)."""
    shapes = list(draw(hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, max_dims=4, max_side=4)).input_shapes)
    common = min(len(shapes[0]), len(shapes[1]))
    if common and draw(st.integers(0, 2), label="break") == 0:
        dim = draw(st.integers(1, common), label="dim from the right")
        sizes = draw(st.permutations((0, 2, 3, 4)), label="sizes")[:2]
        shapes[0], shapes[1] = (s[: len(s) - dim] + (size,) + s[len(s) - dim + 1 :] for s, size in zip(shapes, sizes))
    return tuple(shapes)


# -- the rule on shapes (B01-B08) ----------------------------------------------------------


@spec("B01", "B02", "B03", "B04", "B07")
@given(shapes=st.integers(2, 3).flatmap(shape_groups))
@example(shapes=((4, 1, 2), (3, 2)))
@example(shapes=((2, 1), (1, 3), (4, 1, 1)))
@example(shapes=((), (0, 3)))
def test_broadcast_shapes(backend, shapes):
    """B01–B04: shapes are aligned on the right with missing dimensions read as 1 on the
    left (B02, B04); per dimension, equal sizes match and a size 1 of either operand
    stretches (B01, B03: the rule is symmetric); anything else raises (B07)."""
    check_shapes(backend, shapes)


@spec("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08")
@pytest.mark.parametrize(("a", "b"), NOTES_PAIRS)
def test_notes_examples(backend, a, b):
    """B01–B08, the notes' examples: (3,1)+(3,4) -> (3,4), (3,2)+(3,4) raises (B01);
    (3,)+(2,3) -> (2,3), (2,)+(2,3) raises (B02); (4,1,2)+(3,2) -> (4,3,2): the larger
    operand's size 1 stretches too (B03); (5,1,3)+(4,1) -> (5,4,3) (B04); (4,3,2) with (3,2),
    (1,2) and (1,3,2) broadcasts, with (2,2) raises (B05–B08).  Both the shape rule and the
    sum of distinct values are checked."""
    check_shapes(backend, (a, b))
    check_arithmetic(backend, "broadcast_add", values_for(a, "float32"), values_for(b, "float32"), "float32")


# -- arithmetic on broadcast operands (B09) ------------------------------------------------


@spec("B01", "B02", "B03", "B04", "B07", "B09")
@pytest.mark.parametrize("name", list(OPS))
@given(shapes=shape_groups(), data=st.data())
def test_broadcast_arithmetic(backend, name, shapes, data):
    """B09: broadcastable operands add and multiply element by element, each operand read
    through the broadcast (out[idx] = a[source(idx)] + b[source(idx)]), in either order;
    operands that do not broadcast raise."""
    dtype = draw_dtype(backend, data, ARITHMETIC_DTYPES)
    a, b = (values_for(shape, dtype, data) for shape in shapes)
    check_arithmetic(backend, name, a, b, dtype)


@spec("B09")
@pytest.mark.parametrize(("name", "explicit", "args"), [
    pytest.param("broadcast_multiply", "expand", ((4, 3, 2),), id="a*b-is-a*b.expand(4,3,2)"),
    pytest.param("broadcast_add", "repeat", ((4, 1, 1),), id="a+b-is-a+b.repeat(4,1,1)"),
])
def test_broadcast_is_explicit_expand(backend, name, explicit, args):
    """B09, the notes' rule 4: for a of shape (4,3,2) and b of shape (3,2), a*b equals
    a*b.expand(4,3,2) and a+b equals a+b.repeat(4,1,1): broadcasting is the explicit
    stretch, done without it.  Both are compared with the reference's broadcast result."""
    testing.require_dtype(backend, "float32")
    a, b = values_for((4, 3, 2), "float32"), values_for((3, 2), "float32") + 0.5
    expected = memory.to_numpy(ref.broadcast_op(OPS[name], ORACLE.asarray(a), ORACLE.asarray(b)))
    xa, xb = backend.asarray(a), backend.asarray(b)
    same_shape = {"broadcast_multiply": "multiply", "broadcast_add": "add"}[name]
    stretched = testing.op(backend, explicit)(xb, *args)
    for what, out in ((name, testing.op(backend, name)(xa, xb)),
                      (f"{same_shape}(a, {explicit}(b, {args[0]}))", testing.op(backend, same_shape)(xa, stretched))):
        assert_conforms(backend, out, expected, op=what, dtype="float32", inputs="a = distinct (4, 3, 2), b = distinct (3, 2) + 0.5")


# -- broadcast_to (B04 B09) ----------------------------------------------------------------


@st.composite
def _broadcast_to_case(draw: st.DrawFn) -> tuple[Layout, tuple[int, ...]]:
    """An input layout and a target: new leading sizes, each size 1 stretched (to 0, 1, 2 or
    3) or kept, and now and then a size that cannot be reached (which must raise)."""
    layout = draw(layouts(max_dims=3), label="layout")
    shape = ORACLE.shape(layout.build(ORACLE, "float32"))
    lead = draw(st.lists(st.integers(0, 3), max_size=2).map(tuple), label="lead")
    target = tuple(draw(st.sampled_from([0, 1, 2, 3] if s == 1 else [s, s, s, s + 1])) for s in shape)
    return layout, lead + target


@spec("B04", "B09")
@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize("dtype", MOVE_DTYPES)
@given(case=_broadcast_to_case())
@example(case=(Layout((3,)), (2, 3)))                 # B04: (3,) acts as (1, 3)
@example(case=(Layout((3, 1), (1, 0)), (2, 3, 4)))    # a transposed column stretched: stride 0
@example(case=(Layout((3, 1)), (1, 4)))               # only the input stretches: raises
@example(case=(Layout((2, 3)), (3,)))                 # fewer dimensions than the input: raises
def test_broadcast_to(backend, dtype, aspect, case):
    """B04/B09: broadcast_to(x, shape) adds leading dimensions and stretches size-1 ones,
    exactly the operand's view in a broadcast: the values repeat, and where the backend has
    views it shares x's memory with stride 0 along every stretched dimension.  Only x
    stretches (unlike broadcast_shapes, the target does not), so any other target raises."""
    layout, target = case
    check_op(backend, "broadcast_to", layout, dtype, target, aspect=aspect)


@spec("B09")
@pytest.mark.parametrize(("shape", "target"), [
    pytest.param((3, 1), (2, -1, 4), id="minus-one-at-an-existing-dim"),
    pytest.param((3,), (-1, 3), id="minus-one-at-a-new-dim"),
])
def test_broadcast_to_minus_one(backend, shape, target):
    """B09 with a size -1: torch's broadcast_to is expand, where -1 keeps an existing
    dimension's size (T19), NumPy's and JAX's take sizes only and raise.  Each backend must
    do what it declares (behaviour ``broadcast_to_minus_one``); a new dimension cannot be -1."""
    fn = testing.op(backend, "broadcast_to")
    rule = partial(ref.broadcast_to, minus_one=testing.declared(backend, "broadcast_to_minus_one"))
    values = distinct_values(shape, "float32")
    check_against(backend, "broadcast_to", lambda: rule(ORACLE.asarray(values), target),
                  lambda: fn(backend.asarray(values), target), f"distinct {shape}, {target}")


def check_against(backend: Backend, name: str, rule: Callable[[], memory.Tensor], run: Callable[[], Any], text: str) -> None:
    """``run()`` on the backend gives the reference's ``rule()``: exactly its values, and its
    strides where the backend exposes them; where the rule raises, ``run()`` must raise."""
    try:
        expected = rule()
    except ValueError:
        with testing.raises_as_spec(backend, f"{name}({text})"):
            run()
        return
    actual = run()
    assert_conforms(backend, actual, memory.to_numpy(expected), op=name, exact=True, inputs=text)
    if backend.capabilities.views and backend.capabilities.strides:
        check_strides(backend, actual, expected.strides, f"{name}({text})")
