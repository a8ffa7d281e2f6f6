"""The shapes reference's own rules on known cases (the catalogue's observed values), and its
guard clauses."""

from __future__ import annotations

from itertools import product
from math import pi

import numpy as np
import pytest

from reference import memory
from reference import shapes as ref


def t(values) -> memory.Tensor:
    return memory.from_numpy(np.asarray(values))


def v(tensor: memory.Tensor) -> list:
    return memory.to_numpy(tensor).tolist()


A = t(np.arange(16).reshape(4, 4))


def test_slice_range_is_pythons_slicing():
    """N01–N03, N07: every slice of every small list picks what Python's own slicing picks."""
    bounds = [None, *range(-7, 8)]
    for size, start, stop, step in product(range(6), bounds, bounds, [None, 1, 2, 3, -1, -2, -3]):
        item = slice(start, stop, step)
        assert list(ref.slice_range(size, item)) == list(range(size))[item], (size, item)


@pytest.mark.parametrize(("key", "expected"), [
    ((slice(1, None), slice(0, None, 2)), [[4, 6], [8, 10], [12, 14]]),  # N08
    ((slice(None, 3), slice(None, 2)), [[0, 1], [4, 5], [8, 9]]),        # N09
    ((slice(None), slice(1, 3)), [[1, 2], [5, 6], [9, 10], [13, 14]]),   # N10
    ((slice(2, None), slice(None, None, 2)), [[8, 10], [12, 14]]),       # N11 (the notes: whole rows)
    ((slice(None), slice(0, 3, 2)), [[0, 2], [4, 6], [8, 10], [12, 14]]),  # N12
    ((slice(None), slice(0, None, 2)), [[0, 2], [4, 6], [8, 10], [12, 14]]),  # N06: 0-based columns 0 and 2
    ((slice(1, None),), [[4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]]),  # N05
])
def test_index_notes_examples(key, expected):
    assert v(ref.index(A, key)) == expected


def test_index_views_none_and_ellipsis():
    x = t(np.arange(120).reshape(2, 3, 4, 5))
    assert ref.index(t(np.zeros((4, 5))), (slice(None), None)).shape == (4, 1, 5), "S02"
    assert ref.index(x, (0, ...)).shape == (3, 4, 5) and v(ref.index(x, (0, ...))) == v(ref.index(x, (0,))), "S03"
    assert ref.index(x, (..., 0)).shape == (2, 3, 4), "S03"
    whole = ref.index(A, (slice(None),))
    assert memory.shares_storage(whole, A) and whole.strides == A.strides, "N04: a[:] is a view"
    back = ref.index(A, (slice(None, None, -1), slice(3, 0, -2)))
    assert (back.shape, back.strides, back.offset) == ((4, 2), (-4, -2), 15), "a negative step: a negative stride"
    assert v(back) == [[15, 13], [11, 9], [7, 5], [3, 1]]
    L = t(np.arange(100))
    assert v(ref.index(L, (-1,))) == 99 and v(ref.index(L, (slice(-2, None),))) == [98, 99], "N02"
    assert v(ref.index(L, (slice(None, 10, 2),))) == [0, 2, 4, 6, 8] and ref.index(L, (slice(None, None, 5),)).shape == (20,), "N03"
    assert v(ref.index(t(np.arange(10)), (slice(None, None, -3),))) == [9, 6, 3, 0], "N01"


def test_index_choices():
    assert v(ref.index(t([10, 11, 12]), (5,), out_of_bounds="clamp")) == 12
    assert v(ref.index(t([10, 11, 12]), (-9,), out_of_bounds="clamp")) == 10
    with pytest.raises(ValueError, match="out of bounds"):
        ref.index(t([10, 11, 12]), (3,))
    with pytest.raises(ValueError, match="positive"):
        ref.index(A, (slice(None, None, -1),), negative_step="error")


def test_squeeze():
    x = t(np.zeros((2, 1, 3)))
    assert ref.squeeze(x).shape == (2, 3), "S05"
    assert ref.squeeze(x, 1).shape == (2, 3) and ref.squeeze(x, 0).shape == (2, 1, 3), "S04: torch's no-op"
    with pytest.raises(ValueError, match="size 2"):
        ref.squeeze(x, 0, non_singleton="error")
    one = t(np.zeros((1, 1)))
    assert ref.squeeze(t(np.zeros((8, 1)))).shape == (8,) and ref.squeeze(one).shape == () and ref.squeeze(one, -1).shape == (1,), "S07"


def test_cat_and_stack():
    a, b = t([[1, 2], [3, 4]]), t([[5, 6]])
    assert v(ref.cat([a, b], 0)) == [[1, 2], [3, 4], [5, 6]]
    assert v(ref.cat([a, a], -1)) == [[1, 2, 1, 2], [3, 4, 3, 4]]
    assert ref.stack([a, a], 0).shape == (2, 2, 2) and ref.stack([a, a], -1).shape == (2, 2, 2)
    assert v(ref.stack([a, a], 2)) == [[[1, 1], [2, 2]], [[3, 3], [4, 4]]]
    assert v(ref.stack([t(1), t(2)], 0)) == [1, 2]
    assert not memory.shares_storage(ref.cat([a], 0), a), "a copy even of one input"


def test_gather_rules():
    x = t([[10, 11, 12, 13], [20, 21, 22, 23], [30, 31, 32, 33]])
    assert v(ref.gather(t([[10, 11, 12], [20, 21, 22]]), 1, np.array([[2, 0], [1, 1]]))) == [[12, 10], [21, 21]], "T26"
    assert v(ref.gather(x, 1, np.array([[0, -1], [1, 0], [0, 0]]), negative="wrap")) == [[10, 13], [21, 20], [30, 30]]
    filled = ref.gather(x, 1, np.array([[0, 5], [1, 0], [0, -5]]), negative="wrap", out_of_bounds="fill")
    assert v(filled) == [[10, np.iinfo(np.int64).min], [21, 20], [30, np.iinfo(np.int64).min]]
    assert np.isnan(memory.to_numpy(ref.gather(t([[1.0, 2.0]]), 1, np.array([[2]]), out_of_bounds="fill"))).all()
    assert v(ref.gather(x, 1, np.array([[0, 1], [1, 0]]))) == [[10, 11], [21, 20]], "torch: the leading rows"
    assert v(ref.gather(x, 1, np.array([[0, 1]]), index_shape="broadcast")) == [[10, 11], [20, 21], [30, 31]]
    with pytest.raises(ValueError, match="does not fit"):
        ref.gather(x, 1, np.array([[0, 1], [1, 0]]), index_shape="broadcast")
    with pytest.raises(ValueError, match="out of bounds"):
        ref.gather(x, 1, np.array([[0, -1], [1, 0], [0, 0]]), out_of_bounds="fill")


def test_repeat_and_repeat_interleave():
    assert v(ref.repeat(t([1, 2, 3]), (2,))) == [1, 2, 3, 1, 2, 3], "S11"
    assert v(ref.repeat(t([1, 2]), (2, 3))) == [[1, 2, 1, 2, 1, 2], [1, 2, 1, 2, 1, 2]], "S13"
    assert ref.repeat(t(np.zeros((2, 3))), (4, 1, 1)).shape == (4, 2, 3), "S13"
    assert ref.repeat(t(np.zeros((2, 3))), (2,), fewer_sizes="prepend_ones").shape == (2, 6), "S12: np.tile"
    with pytest.raises(ValueError):
        ref.repeat(t(np.zeros((2, 3))), (2,))
    assert v(ref.repeat_interleave(t([1, 2, 3]), 2)) == [1, 1, 2, 2, 3, 3], "S10"
    assert v(ref.repeat_interleave(t([1, 3]), np.array([1, 2]))) == [1, 3, 3], "S10: a repeats tensor"
    m = t([[1, 2], [3, 4]])
    assert v(ref.repeat_interleave(m, np.array([1, 2]), 0)) == [[1, 2], [3, 4], [3, 4]], "S10: dim=0"
    assert v(ref.repeat_interleave(m, 2)) == [1, 1, 2, 2, 3, 3, 4, 4], "S10: dim=None flattens"
    assert v(ref.repeat_interleave(m, np.array([2]), 1)) == [[1, 1, 2, 2], [3, 3, 4, 4]], "one count for all"
    assert not memory.shares_storage(ref.repeat_interleave(m, 1, 0), m)


def test_triu_and_tril():
    nine = t(np.arange(1, 10).reshape(3, 3))
    assert v(ref.triu(nine)) == [[1, 2, 3], [0, 5, 6], [0, 0, 9]], "N23"
    assert not memory.shares_storage(ref.triu(nine), nine), "N23: a copy"
    assert v(ref.triu(t([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]]), 1)) == [[0, 2, 3], [0, 0, 6], [0, 0, 0], [0, 0, 0]], "N24"
    batched = memory.to_numpy(ref.triu(t(np.arange(60).reshape(3, 4, 5))))
    assert batched[0].tolist() == [[0, 1, 2, 3, 4], [0, 6, 7, 8, 9], [0, 0, 12, 13, 14], [0, 0, 0, 18, 19]], "N25"
    assert batched[2].tolist() == [[40, 41, 42, 43, 44], [0, 46, 47, 48, 49], [0, 0, 52, 53, 54], [0, 0, 0, 58, 59]], "N25"
    ones = t(np.ones((3, 3), dtype=np.int64))
    assert v(ref.triu(ones, 1)) == [[0, 1, 1], [0, 0, 1], [0, 0, 0]], "N26: k = 1 already shifts"
    assert v(ref.triu(ones, -1)) == [[1, 1, 1], [1, 1, 1], [0, 1, 1]], "N26"
    assert v(ref.tril(nine)) == [[1, 0, 0], [4, 5, 0], [7, 8, 9]], "N27"
    assert v(ref.triu(t([1, 2, 3]), one_dim="rows")) == [[1, 2, 3], [0, 2, 3], [0, 0, 3]], "NumPy's 1-D rule"


def test_reshape_orders():
    a = memory.reshape(t(np.arange(6)), (3, 2))
    assert v(a) == [[0, 1], [2, 3], [4, 5]], "N18"
    assert v(memory.reshape(a, (2, 3))) == [[0, 1, 2], [3, 4, 5]], "N19"
    assert v(memory.reshape(memory.reshape(a, (-1,)), (2, 3))) == [[0, 1, 2], [3, 4, 5]], "N20"
    assert v(ref.reshape_fortran(a, (2, 3))) == [[0, 4, 3], [2, 1, 5]], "N21"
    assert v(ref.reshape_fortran(a, (-1,))) == [0, 2, 4, 1, 3, 5], "N22: the F-order ravel"
    assert v(ref.reshape_fortran(ref.reshape_fortran(a, (-1,)), (2, 3))) == [[0, 4, 3], [2, 1, 5]], "N22"
    assert ref.fortran_strides((2, 3, 4)) == (1, 2, 6)


def test_unfold():
    x = t(np.arange(1.0, 17.0).reshape(1, 1, 4, 4))
    out = memory.to_numpy(ref.unfold(x, (2, 2)))
    assert out.shape == (1, 4, 9), "(N, C·kh·kw, L)"
    assert out[0, :, 0].tolist() == [1.0, 2.0, 5.0, 6.0] and out[0, :, 1].tolist() == [2.0, 3.0, 6.0, 7.0], "S16"
    assert ref.unfold(t(np.zeros((2, 3, 5, 6))), (2, 3)).shape == (2, 18, 16), "C·kh·kw rows"
    padded = memory.to_numpy(ref.unfold(t(np.arange(1.0, 5.0).reshape(1, 1, 2, 2)), 2, padding=1))
    assert padded.shape == (1, 4, 9) and padded[0, :, 0].tolist() == [0.0, 0.0, 0.0, 1.0], "zero padding"
    spaced = memory.to_numpy(ref.unfold(x, 2, dilation=2, stride=2))
    assert spaced.shape == (1, 4, 1) and spaced[0, :, 0].tolist() == [1.0, 3.0, 9.0, 11.0], "dilation spaces the taps"


def test_numpy_functions():
    assert ref.from_list([1, 2, 3, 4, 5]).dtype == np.int64, "N13"
    assert ref.from_list([1, 2.5]).dtype == np.float64 and ref.from_list([1, 2.5], default_float="float32").dtype == np.float32
    assert ref.from_list([[True], [False]]).dtype == np.bool_ and ref.from_list([True, 2]).dtype == np.int64
    assert ref.from_list([]).shape == (0,) and ref.from_list([[]]).shape == (1, 0)
    assert v(ref.zeros((2, 3), "float64")) == [[0.0] * 3] * 2, "N17"
    assert v(ref.power(t([1, 2, 3]), 2)) == [1, 4, 9], "N14"
    assert v(ref.power(t([2.0, 2.0, 2.0]), t([0.0, 1.0, 3.0]))) == [1.0, 2.0, 8.0], "N14"
    assert v(ref.power(t([2.0, -4.0]), -2)) == [0.25, 0.0625]
    assert v(ref.power(t([-2, -1, -1, 1, 2, 3]), t([-1, -3, -2, -5, -2, 1]), int_negative_tensor="truncate")) == [0, -1, 1, 1, 0, 3]
    assert v(ref.sin(t([pi / 2]))) == [1.0], "N15"
    assert v(ref.cos(t([0.0]))) == [1.0], "N16"


@pytest.mark.parametrize(("call", "error"), [
    (lambda: ref.slice_range(3, slice(None, None, 0)), ValueError),
    (lambda: ref.slice_range(3, slice(1.5, None)), TypeError),
    (lambda: ref.index(A, (..., 0, ...)), ValueError),
    (lambda: ref.index(A, (0, 0, 0)), ValueError),
    (lambda: ref.index(A, (True,)), TypeError),
    (lambda: ref.index(A, (0,), negative_step="maybe"), ValueError),
    (lambda: ref.squeeze(A, 2, non_singleton="error"), ValueError),
    (lambda: ref.cat([], 0), ValueError),
    (lambda: ref.cat([t(1)], 0), ValueError),
    (lambda: ref.cat([A, t([[1.0]])], 0), TypeError),
    (lambda: ref.cat([A, t(np.zeros((2, 3), dtype=np.int64))], 0), ValueError),
    (lambda: ref.stack([A, t(np.zeros((3, 4), dtype=np.int64))], 0), ValueError),
    (lambda: ref.gather(A, 1, np.array([0, 1])), ValueError),
    (lambda: ref.gather(A, 2, np.array([[0]])), ValueError),
    (lambda: ref.repeat_interleave(A, np.array([1, 2]), 0), ValueError),
    (lambda: ref.repeat_interleave(A, -1), ValueError),
    (lambda: ref.repeat_interleave(A, np.array([1.0, 2.0, 1.0, 1.0]), 0), TypeError),
    (lambda: ref.repeat_interleave(t(5), 2, 0), ValueError),
    (lambda: ref.triu(t([1, 2, 3])), ValueError),
    (lambda: ref.triu(t(5), one_dim="rows"), ValueError),
    (lambda: ref.tril(A, 1.5), TypeError),
    (lambda: ref.reshape_fortran(A, (5, 3)), ValueError),
    (lambda: ref.unfold(A, 2), ValueError),
    (lambda: ref.unfold(t(np.zeros((1, 1, 2, 2))), 3), ValueError),
    (lambda: ref.from_list([[1, 2], [3]]), ValueError),
    (lambda: ref.from_list(["a"]), TypeError),
    (lambda: ref.zeros((2, -1), "float64"), ValueError),
    (lambda: ref.power(A, -1), ValueError),
    (lambda: ref.power(t([2.0]), t([0.5])), TypeError),
    (lambda: ref.power(t([True]), 2), TypeError),
    (lambda: ref.sin(A), TypeError),
])
def test_guard_clauses_raise_clear_errors(call, error):
    with pytest.raises(error) as info:
        call()
    assert len(str(info.value)) > 10, "the error message must say what is wrong"
