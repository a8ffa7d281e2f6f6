"""Unit tests of ``reference.quantization``: guard clauses, and values against the rules'
definitions, hand-worked examples and the catalogue's simulation (Q01–Q03)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dlspec import tolerance
from reference import quantization as ref


def test_round_half_even_by_hand():
    """Ties go to the even neighbour, everything else to the nearest integer."""
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.6, -0.4, 126.5, 0.49999999999999994])
    np.testing.assert_array_equal(ref.round_half_even(x), [-2, -2, 0, 0, 2, 2, 3, 0, 126, 0])


def test_absmax_scale_by_hand():
    """Q01: 127 / max|x|: the absmax may be negative (-1.27 gives 100); per row and per
    column with the reduced axis kept; an all-zero slice gets 1."""
    assert ref.absmax_scale(np.array([0.3, -0.7, 1.1, 0.05, -1.27])) == pytest.approx(100)
    x = np.array([[1.0, -2.0], [0.0, 0.0], [127.0, 4.0]])
    np.testing.assert_allclose(ref.absmax_scale(x, 1), [[63.5], [1.0], [1.0]])
    np.testing.assert_allclose(ref.absmax_scale(x, 0), [[1.0, 31.75]])


def test_quantize_by_hand():
    """Q01: codes of [0.3, -0.7, 1.1, 0.05, -1.27] at scale 100 are 30, -70, 110, 5, -127;
    codes beyond ±127 clip."""
    q, _ = ref.quantize_absmax(np.array([0.3, -0.7, 1.1, 0.05, -1.27]))
    np.testing.assert_array_equal(q, [30, -70, 110, 5, -127])
    assert q.dtype == np.int8
    np.testing.assert_array_equal(ref.quantize(np.array([2.0, -3.0]), 100.0), [127, -127])


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=6),
                  elements=st.floats(-1e6, 1e6)))
def test_round_trip_within_half_a_step(x):
    """Q01: |x − q/scale| ≤ max|x|/254, half a quantization step (up to the rounding of the
    division itself)."""
    q, scale = ref.quantize_absmax(x)
    bound = np.abs(x).max() / 254 + tolerance.for_dtype("float64").bound(x)
    assert np.all(np.abs(ref.dequantize(q, scale) - x) <= bound)


def test_outlier_destroys_precision():
    """Q02: one outlier of 100 among standard normal values quantizes ~30% of them to 0."""
    x = np.random.default_rng(0).standard_normal(256)
    assert np.mean(ref.quantize_absmax(x)[0] == 0) < 0.02
    x[17] = 100.0
    assert np.mean(ref.quantize_absmax(x)[0] == 0) > 0.25


def test_int8_matmul_against_python_integers():
    """The int32 product equals Python's exact integer sums, beyond int16 for k = 64."""
    rng = np.random.default_rng(1)
    a, b = rng.integers(-127, 128, (3, 64)).astype(np.int8), rng.integers(-127, 128, (64, 2)).astype(np.int8)
    a[0], b[:, 0] = 127, 127
    expected = [[sum(int(a[i, k]) * int(b[k, j]) for k in range(64)) for j in range(2)] for i in range(3)]
    got = ref.int8_matmul(a, b)
    assert got.dtype == np.int32 and got[0, 0] == 64 * 127 * 127
    np.testing.assert_array_equal(got, expected)


def test_vectorwise_matmul_is_exact_for_exact_codes():
    """Rows of x and columns of w whose absmax is 127·2^-e quantize exactly, so the
    vector-wise product is the exact product."""
    x = np.array([[127.0, -3.0], [1.0, 127.0]]) / np.array([[4.0], [64.0]])
    w = np.array([[-127.0, 5.0], [2.0, 127.0]]) / np.array([[2.0, 8.0]])
    np.testing.assert_array_equal(ref.vectorwise_matmul(x, w), x @ w)


def test_llm_int8_decomposition_on_the_catalogue_example():
    """Q03: on x (16, 64) with columns 5 and 40 twenty times larger, the outlier columns are
    exactly [5, 40]; threshold=inf is plain vector-wise int8; the decomposition's relative
    error is ~10× smaller (catalogue: 0.0152 -> 0.00086 on its own data)."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((16, 64)), rng.standard_normal((64, 32))
    x[:, [5, 40]] *= 20
    assert np.flatnonzero(ref.outlier_columns(x)).tolist() == [5, 40]
    np.testing.assert_array_equal(ref.llm_int8_matmul(x, w, float("inf")), ref.vectorwise_matmul(x, w))
    exact = x @ w
    errors = [np.abs(ref.llm_int8_matmul(x, w, t) - exact).max() / np.abs(exact).max() for t in (6.0, float("inf"))]
    assert errors[0] * 5 < errors[1]


def test_all_outlier_columns_are_exact():
    """Q03: when every column of x is an outlier column, nothing is quantized."""
    x, w = np.array([[6.0, -7.5]]), np.array([[0.25], [3.0]])
    np.testing.assert_array_equal(ref.llm_int8_matmul(x, w), x @ w)


@pytest.mark.parametrize(("call", "error"), [
    (lambda: ref.round_half_even(np.array([np.nan])), ValueError),
    (lambda: ref.absmax_scale(np.array([1j])), TypeError),
    (lambda: ref.absmax_scale(np.zeros((0, 2)), 0), ValueError),
    (lambda: ref.absmax_scale(np.ones(3), 1), ValueError),
    (lambda: ref.absmax_scale(np.ones(3), 0.5), TypeError),
    (lambda: ref.quantize(np.ones(3), 0.0), ValueError),
    (lambda: ref.quantize(np.ones(3), np.ones(2)), ValueError),
    (lambda: ref.dequantize(np.ones(3), 1.0), TypeError),
    (lambda: ref.dequantize(np.ones(3, np.int8), np.ones((2, 3))), ValueError),
    (lambda: ref.int8_matmul(np.ones((2, 2)), np.ones((2, 2), np.int8)), TypeError),
    (lambda: ref.int8_matmul(np.ones(2, np.int8), np.ones((2, 2), np.int8)), ValueError),
    (lambda: ref.int8_matmul(np.ones((2, 3), np.int8), np.ones((2, 2), np.int8)), ValueError),
    (lambda: ref.outlier_columns(np.ones(3)), ValueError),
    (lambda: ref.outlier_columns(np.ones((2, 2)), -1.0), ValueError),
    (lambda: ref.llm_int8_matmul(np.ones((2, 3)), np.ones((2, 3))), ValueError),
    (lambda: ref.llm_int8_matmul(np.ones((2, 0)), np.ones((0, 3))), ValueError),
    (lambda: ref.llm_int8_matmul(np.ones((2, 2)), np.ones((2, 2)), "6"), TypeError),
])
def test_guards(call, error):
    """Every public function raises ValueError or TypeError, with a message, on bad input."""
    with pytest.raises(error, match=r"\w"):
        call()
