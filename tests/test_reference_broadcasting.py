"""The broadcasting reference's own rules on known cases, and its guard clauses."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis.extra import numpy as hnp

from reference import broadcasting as ref
from reference import memory


@pytest.mark.parametrize(("a", "b", "expected"), [
    ((3, 1), (3, 4), (3, 4)),          # B01
    ((3, 4), (3, 4), (3, 4)),          # B01
    ((3, 2), (3, 4), None),            # B01: 2 vs 4
    ((3,), (2, 3), (2, 3)),            # B02: right-aligned
    ((2,), (2, 3), None),              # B02: 2 vs 3
    ((4, 1, 2), (3, 2), (4, 3, 2)),    # B03: the larger operand's 1 stretches too
    ((5, 1, 3), (4, 1), (5, 4, 3)),    # B04
    ((4, 3, 2), (3, 2), (4, 3, 2)),    # B05
    ((4, 3, 2), (1, 2), (4, 3, 2)),    # B06
    ((4, 3, 2), (2, 2), None),         # B07
    ((4, 3, 2), (1, 3, 2), (4, 3, 2)),  # B08
    ((0,), (1,), (0,)),                # a 1 stretches to 0 ...
    ((0,), (2,), None),                # ... but 0 is not 1
    ((), (), ()),
])
def test_broadcast_shapes_of_the_notes(a, b, expected):
    for pair in ((a, b), (b, a)):
        if expected is None:
            with pytest.raises(ValueError, match="cannot be broadcast"):
                ref.broadcast_shapes(*pair)
        else:
            assert ref.broadcast_shapes(*pair) == expected


@given(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=4, max_side=4))
def test_broadcast_shapes_agrees_with_hypothesis(case):
    """An independent implementation of the rule (hypothesis') gives the same shape."""
    assert ref.broadcast_shapes(*case.input_shapes) == case.result_shape


def test_source_index_drops_leading_dims_and_reads_0_along_size_1():
    assert ref.source_index((3, 2, 1), (1, 2)) == (0, 1)
    assert ref.source_index((3, 2, 1), (4, 2, 1)) == (3, 2, 0)
    assert ref.source_index((3, 2, 1), ()) == ()


def test_broadcast_op_is_the_explicit_repeat():
    """B09: a + b equals a + b.repeat(4, 1, 1) and a * b.expand(4, 3, 2), with b of (3, 2)."""
    a = memory.from_numpy(np.arange(24.0).reshape(4, 3, 2))
    b = memory.from_numpy(np.arange(6.0).reshape(3, 2) + 0.5)
    repeated = memory.to_numpy(memory.repeat(b, (4, 1, 1)))
    np.testing.assert_array_equal(memory.to_numpy(ref.broadcast_op(np.add, a, b)), memory.to_numpy(a) + repeated)
    np.testing.assert_array_equal(memory.to_numpy(ref.broadcast_op(np.multiply, b, a)), repeated * memory.to_numpy(a))
    column, row = memory.from_numpy(np.array([[1], [2], [3]])), memory.from_numpy(np.array([10, 20]))
    np.testing.assert_array_equal(memory.to_numpy(ref.broadcast_op(np.add, column, row)), [[11, 21], [12, 22], [13, 23]])


def test_broadcast_to_is_a_stride_0_view():
    x = memory.from_numpy(np.arange(3.0).reshape(3, 1))
    y = ref.broadcast_to(x, (2, 3, 4))
    assert (y.shape, y.strides) == ((2, 3, 4), (0, 1, 0))
    assert memory.shares_storage(x, y)
    np.testing.assert_array_equal(memory.to_numpy(y)[1, :, 3], [0.0, 1.0, 2.0])
    assert ref.broadcast_to(x, (2, -1, 4), minus_one="keep").shape == (2, 3, 4)


@pytest.mark.parametrize(("call", "error"), [
    (lambda x: ref.broadcast_to(x, (1, 4)), ValueError),              # only the input stretches
    (lambda x: ref.broadcast_to(x, (3,)), ValueError),                # fewer dimensions
    (lambda x: ref.broadcast_to(x, (3, -1)), ValueError),             # -1 is no size ...
    (lambda x: ref.broadcast_to(x, (-1, 3, 1), minus_one="keep"), ValueError),  # ... nor a new dim's
    (lambda x: ref.broadcast_to(x, (3, 1), minus_one="maybe"), ValueError),
    (lambda x: ref.broadcast_shapes((3, 2.0)), TypeError),
    (lambda x: ref.broadcast_shapes("32"), TypeError),
    (lambda x: ref.broadcast_shapes((3, -2)), ValueError),
    (lambda x: ref.source_index((1,), (2, 3)), ValueError),
    (lambda x: ref.broadcast_op(np.add, x, memory.from_numpy(np.zeros((2, 2)))), ValueError),
])
def test_guard_clauses_raise_clear_errors(call, error):
    x = memory.from_numpy(np.arange(3.0).reshape(3, 1))
    with pytest.raises(error) as info:
        call(x)
    assert len(str(info.value)) > 10, "the error message must say what is wrong"
