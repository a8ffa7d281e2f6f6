"""The tolerance policy and ``assert_conforms``: what passes, what fails, and what a
failure says."""

from __future__ import annotations

import numpy as np
import pytest

from dlspec import tolerance
from dlspec.backends.numpy import NumpyBackend
from dlspec.compare import ConformanceError, assert_conforms
from reference.dtypes import bfloat16_from_float32, eps, round_to, smallest_normal

B = NumpyBackend()


def test_eps_and_smallest_normal_come_from_the_bit_layout():
    assert eps("float16") == 2.0**-10 and eps("bfloat16") == 2.0**-7
    assert eps("float32") == np.finfo(np.float32).eps and eps("float64") == np.finfo(np.float64).eps
    assert smallest_normal("float16") == np.finfo(np.float16).smallest_normal
    assert smallest_normal("bfloat16") == np.finfo(np.float32).smallest_normal


def test_bfloat16_rounds_to_nearest_even():
    one_plus = np.float32(1 + 2**-8)  # exactly between 1 and 1 + 2**-7: ties to even (1.0)
    above = np.float32(1 + 2**-8 + 2**-10)
    assert bfloat16_from_float32(np.array([one_plus, above])).tolist() == [1.0, 1 + 2**-7]
    assert np.isinf(bfloat16_from_float32(np.array([np.float32(3.4e38)]))[0])
    assert round_to(np.array([70000.0]), "float16")[0] == np.inf and round_to(np.array([70000.0]), "bfloat16")[0] == 70144.0


def test_policy_is_exact_for_integers_and_grows_with_terms():
    assert tolerance.for_dtype("int64").rule == "exact"
    one = tolerance.for_dtype("float32")
    many = tolerance.for_dtype("float32", terms=100, scale=10.0)
    assert one.rtol == tolerance.ULPS * eps("float32")
    assert np.all(many.bound(np.zeros(1)) > one.bound(np.zeros(1)))
    with pytest.raises(ValueError, match="terms"):
        tolerance.for_dtype("float32", terms=-1)


def test_within_a_few_ulps_passes_and_beyond_fails():
    expected = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    assert_conforms(B, expected * np.float32(1 + 2 * eps("float32")), expected, op="t")
    with pytest.raises(ConformanceError) as info:
        assert_conforms(B, expected * np.float32(1 + 64 * eps("float32")), expected, op="scale", inputs="x")
    text = str(info.value)
    for part in ("3 of 3 elements out of tolerance", "max abs err", "max rel err", "worst at index (2,)",
                 "tolerance: 4 ulp", "reproduce: scale(x) on numpy"):
        assert part in text, f"{part!r} missing from: {text}"


def test_shape_dtype_and_nan_are_checked():
    with pytest.raises(ConformanceError, match=r"shape \(3,\), expected \(1, 3\)"):
        assert_conforms(B, np.zeros(3), np.zeros((1, 3)), op="t")
    with pytest.raises(ConformanceError, match="dtype float64, expected float32"):
        assert_conforms(B, np.zeros(3), np.zeros(3, np.float32), op="t")
    with pytest.raises(ConformanceError, match="out of tolerance"):
        assert_conforms(B, np.array([np.nan]), np.array([1.0]), op="t")
    assert_conforms(B, np.array([np.nan, np.inf]), np.array([np.nan, np.inf]), op="t")


def test_exact_comparison_reports_the_first_difference():
    with pytest.raises(ConformanceError, match=r"at index \(1,\): got 5, expected 2; 1 of 3"):
        assert_conforms(B, np.array([1, 5, 3]), np.array([1, 2, 3]), op="t", exact=True)


def test_low_precision_error_ratio_rule():
    """float16: the backend may be at most 2x as far from the float64 reference as the
    reference evaluated in float16 is, or within the eps bound."""
    exact = np.array([1.0 / 3.0, 2.0 / 3.0])
    lowp = round_to(exact, "float16")
    ref_err = np.max(np.abs(lowp - exact))
    near = (exact + 1.5 * ref_err).astype(np.float16)
    far = (exact + 40 * ref_err).astype(np.float16)
    assert_conforms(B, near, exact, op="t", dtype="float16", lowp_expected=lowp)
    with pytest.raises(ConformanceError, match="2× the float16 reference's max error"):
        assert_conforms(B, far, exact, op="t", dtype="float16", lowp_expected=lowp)
