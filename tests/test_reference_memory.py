"""The memory reference's own rules on known cases, and its guard clauses."""

from __future__ import annotations

import numpy as np
import pytest

from reference import memory as ref


def test_contiguous_strides_and_is_contiguous():
    assert ref.contiguous_strides((2, 3, 4)) == (12, 4, 1)
    assert ref.is_contiguous((2, 3, 4), (12, 4, 1))
    assert not ref.is_contiguous((4, 3), (1, 4))
    assert ref.is_contiguous((2, 1, 3), (3, 99, 1)), "size-1 strides are ignored"


@pytest.mark.parametrize(("shape", "strides", "new", "expected"), [
    ((4, 3), (1, 4), (2, 2, 3), (2, 1, 4)),   # T15: x.t().view(2, 2, 3)
    ((4, 3), (1, 4), (12,), None),            # T15: x.t().view(12) is impossible
    ((4, 2, 3), (1, 12, 4), (2, 12), None),   # T17: permuted, then view(2, 12)
    ((4, 2, 3), (1, 12, 4), (4, 6), (1, 4)),  # ... but view(4, 6) joins one chunk
    ((2, 3), (3, 1), (3, 2), (2, 1)),
    ((3, 1), (1, 1), (1, 3), (3, 1)),
])
def test_view_strides(shape, strides, new, expected):
    got = ref.view_strides(shape, strides, new)
    if expected is None:
        assert got is None
    else:
        assert got is not None and all(g == e for g, e, n in zip(got, expected, new) if n != 1)


def test_view_reshape_contiguous_alias_as_documented():
    x = ref.from_numpy(np.arange(12.0).reshape(3, 4))
    t = ref.transpose(x, 0, 1)
    assert ref.shares_storage(ref.reshape(x, (4, 3)), x)
    assert not ref.shares_storage(ref.reshape(t, (12,)), t)
    assert ref.contiguous(x) is x and not ref.shares_storage(ref.contiguous(t), t)
    with pytest.raises(ValueError, match="not compatible"):
        ref.view(t, (12,))


@pytest.mark.parametrize(("call", "error"), [
    (lambda x: ref.reshape(x, (5, 3)), ValueError),
    (lambda x: ref.reshape(x, (-1, -1)), ValueError),
    (lambda x: ref.reshape(x, (2.0, 6)), TypeError),
    (lambda x: ref.permute(x, (0, 0)), ValueError),
    (lambda x: ref.transpose(x, 0, 2), ValueError),
    (lambda x: ref.transpose(x, 0, 1.5), TypeError),
    (lambda x: ref.expand(x, (4, 4)), ValueError),
    (lambda x: ref.expand(x, (4,)), ValueError),
    (lambda x: ref.getitem(x, (slice(None, None, -1),)), ValueError),
    (lambda x: ref.getitem(x, (0, 0, 0)), ValueError),
    (lambda x: ref.getitem(x, ("a",)), TypeError),
    (lambda x: ref.repeat(x, (2,)), ValueError),
    (lambda x: ref.gather(x, 1, np.array([[5]])), ValueError),
    (lambda x: ref.from_numpy([1, 2]), TypeError),
    (lambda x: ref.contiguous_strides((2, -1)), ValueError),
])
def test_guard_clauses_raise_clear_errors(call, error):
    x = ref.from_numpy(np.arange(12.0).reshape(3, 4))
    with pytest.raises(error) as info:
        call(x)
    assert len(str(info.value)) > 10, "the error message must say what is wrong"
