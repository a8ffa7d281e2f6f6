"""The element-wise reference's own rules on known cases, and its guard clauses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reference import elementwise as ref


def test_long_truncates_toward_zero():
    got = ref.long(np.array([-1.5, -0.5, 0.5, 1.7000000476837158, 2.5], dtype=np.float32))
    assert got.dtype == np.int64 and got.tolist() == [-1, 0, 0, 1, 2], "O02: truncation, not floor's [-2, -1, 0, 1, 2]"
    assert ref.long(np.array([True, False])).tolist() == [1, 0]


def test_embedding_picks_rows():
    weight = np.arange(12.0).reshape(4, 3)
    assert ref.embedding(weight, np.array([[3, 0]])).tolist() == [[[9.0, 10.0, 11.0], [0.0, 1.0, 2.0]]]
    assert ref.embedding(weight, np.array([1], dtype=np.int8), small_ints="accepted").tolist() == [[3.0, 4.0, 5.0]]


def test_diff_notes_examples():
    x = np.array([1, 2, 4, 7, 0])
    assert ref.diff(x).tolist() == [1, 2, 3, -7], "O05"
    assert ref.diff(x, n=2).tolist() == [1, 1, -10], "O06"
    assert ref.diff(x, prepend=np.array([0])).tolist() == [1, 1, 2, 3, -7], "O06"
    assert ref.diff(np.array([[1, 2, 4], [7, 0, 3]])).tolist() == [[1, 2], [-7, 3]], "O04: the last dim by default"
    assert ref.diff(x, n=0, append=np.array([9])).tolist() == [1, 2, 4, 7, 0], "n=0 ignores append"
    assert ref.diff(x, n=9).shape == (0,)
    assert ref.diff(np.array([True, False, False, True]), n=2).tolist() == [True, True]
    assert ref.diff(np.array([-100, 100], dtype=np.int8)).tolist() == [-56], "integers wrap around"
    assert ref.diff_magnitude(np.array([1.0, -2.0, 4.0]), 2).tolist() == [9.0], "|1| + 2|-2| + |4|"


def test_atan_and_atan2_ranges():
    assert ref.atan(np.array([math.inf, -math.inf])).tolist() == [math.pi / 2, -math.pi / 2]
    assert math.copysign(1, ref.atan(np.array([-0.0]))[0]) == -1
    got = ref.atan2(np.array([0.0, -0.0, 1.0, 1.0]), np.array([-1.0, -1.0, -1.0, 0.0]))
    assert got.tolist() == [math.pi, -math.pi, 3 * math.pi / 4, math.pi / 2], "O08: both ends of [-π, π] are reached"
    assert ref.atan2(np.array([[1.0], [-1.0]]), np.array([1.0, -1.0])).shape == (2, 2), "atan2 broadcasts"


def test_clamp_rules():
    x = np.array([-2.0, 0.5, 3.0])
    assert ref.clamp(x, 0.0, 1.0).tolist() == [0.0, 0.5, 1.0]
    assert ref.clamp(x, 2.0, 1.0).tolist() == [1.0, 1.0, 1.0], "min > max: every element becomes max"
    assert ref.clamp(x, no_bounds="identity").tolist() == x.tolist()
    assert np.isnan(ref.clamp(np.array([math.nan]), 0.0, 1.0)[0])
    assert ref.clamp(np.array([0.0], dtype=np.float16), 1e-12).tolist() == [0.0], "O10: 1e-12 is 0 in float16"


def test_max_dim_first_tie_and_nan():
    values, indices = ref.max_dim(np.array([[1, 5, 5], [7, 2, 7]]), 1)
    assert values.tolist() == [5, 7] and indices.tolist() == [1, 0] and indices.dtype == np.int64
    values, indices = ref.max_dim(np.array([1.0, math.nan, 5.0, math.nan]), 0)
    assert np.isnan(values) and indices == 1


def test_ne_and_item():
    assert ref.ne(np.array([[1, 2, 3], [4, 5, 6]]), np.array([1, 5, 3])).tolist() == [[False, True, False], [True, False, True]]
    assert ref.ne(np.array([math.nan, -0.0]), np.array([math.nan, 0.0])).tolist() == [True, False]
    assert ref.broadcast_shape((2, 1), (1, 4)) == (2, 4)
    assert type(ref.item(np.array([[2.5]], dtype=np.float32))) is float
    assert type(ref.item(np.array([3], dtype=np.int32))) is int and type(ref.item(np.array(True))) is bool


def test_randint_range_and_size_from_array():
    got = ref.randint(2, 8, (np.array(2000, dtype=np.int32),), seed=0)
    assert got.dtype == np.int64 and sorted(set(got.tolist())) == [2, 3, 4, 5, 6, 7]
    assert ref.randint(5, 2, (3,), 0, empty_range="fill_low").tolist() == [5, 5, 5]


def test_multinomial_rules():
    draws = ref.multinomial(np.array([[0.0, 3.0, 1.0]]), 4000, replacement=True, seed=1)
    counts = np.bincount(draws[0], minlength=3)
    assert counts[0] == 0 and abs(counts[1] / 4000 - 0.75) < 0.03
    assert ref.multinomial(np.array([1.0, 0.0, 0.0]), 3).tolist() == [0, 1, 2], "zero weights last, in order"
    assert len(set(ref.multinomial(np.ones(5), 5, seed=3).tolist())) == 5


def test_chi_square():
    assert ref.chi_square([50, 50], [1, 1]) == (0.0, 1)
    assert ref.chi_square([1, 99], [0, 1]) == (math.inf, 0)
    assert ref.chi_square([10, 30], [1.0, 1.0])[0] == pytest.approx(10.0)
    # Table values of the chi-square distribution, and the closed form -2 ln(1 - q) for df = 2.
    assert ref.chi_square_quantile(0.999, 1) == pytest.approx(10.828, abs=1e-3)
    assert ref.chi_square_quantile(0.95, 1) == pytest.approx(3.841, abs=1e-3)
    assert ref.chi_square_quantile(0.999, 10) == pytest.approx(29.588, abs=1e-3)
    assert ref.chi_square_quantile(0.999, 2) == pytest.approx(-2 * math.log(0.001), rel=1e-12)


@pytest.mark.parametrize(("call", "error"), [
    (lambda: ref.long(np.array([math.nan])), ValueError),
    (lambda: ref.long(np.array([1e19])), ValueError),
    (lambda: ref.long(np.array(["a"])), TypeError),
    (lambda: ref.embedding(np.ones((3, 2)), np.array([0.0])), TypeError),
    (lambda: ref.embedding(np.ones((3, 2)), np.array([0], dtype=np.int8)), TypeError),
    (lambda: ref.embedding(np.ones((3, 2)), np.array([3])), ValueError),
    (lambda: ref.embedding(np.ones(3), np.array([0])), ValueError),
    (lambda: ref.diff(np.array(1.0)), ValueError),
    (lambda: ref.diff(np.arange(5), dim=1), ValueError),
    (lambda: ref.diff(np.arange(5), n=-1), ValueError),
    (lambda: ref.diff(np.arange(5), n=1.5), TypeError),
    (lambda: ref.diff(np.ones((2, 2)), dim=1, prepend=np.ones((3, 1))), ValueError),
    (lambda: ref.diff(np.ones(2), prepend=np.ones(1, dtype=np.int64)), TypeError),
    (lambda: ref.atan(np.array([1])), TypeError),
    (lambda: ref.atan2(np.ones(2), np.ones(3)), ValueError),
    (lambda: ref.atan2(np.ones(2, dtype=np.float32), np.ones(2)), TypeError),
    (lambda: ref.clamp(np.ones(2)), ValueError),
    (lambda: ref.clamp(np.ones(2, dtype=np.int64), 0.5), TypeError),
    (lambda: ref.clamp(np.ones(2), "0"), TypeError),
    (lambda: ref.clamp(np.ones(2), no_bounds="maybe"), ValueError),
    (lambda: ref.max_dim(np.array(1.0), 0), ValueError),
    (lambda: ref.max_dim(np.ones((0, 2)), 0), ValueError),
    (lambda: ref.ne(np.ones((2, 3)), np.ones(2)), ValueError),
    (lambda: ref.item(np.ones(2)), ValueError),
    (lambda: ref.randint(5, 5, (2,), 0), ValueError),
    (lambda: ref.randint(0, 2, (-1,), 0), ValueError),
    (lambda: ref.multinomial(np.array([1.0, -1.0]), 1), ValueError),
    (lambda: ref.multinomial(np.array([0.0, 0.0]), 1), ValueError),
    (lambda: ref.multinomial(np.array([math.nan, 1.0]), 1), ValueError),
    (lambda: ref.multinomial(np.array([1, 1]), 1), TypeError),
    (lambda: ref.multinomial(np.ones((2, 2, 2)), 1), ValueError),
    (lambda: ref.multinomial(np.ones(2), 3), ValueError),
    (lambda: ref.multinomial(np.ones(2), 0), ValueError),
    (lambda: ref.multinomial(np.array([1.0, 0.0]), 2, exhausted="error"), ValueError),
    (lambda: ref.chi_square([1, 2], [1.0]), ValueError),
    (lambda: ref.chi_square_quantile(1.5, 1), ValueError),
    (lambda: ref.chi_square_quantile(0.5, 0), ValueError),
])
def test_guard_clauses_raise_clear_errors(call, error):
    with pytest.raises(error) as info:
        call()
    assert len(str(info.value)) > 10, "the error message must say what is wrong"
