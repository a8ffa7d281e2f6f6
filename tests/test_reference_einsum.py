"""The einsum reference's own rules on known cases, and its guard clauses."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference import einsum as ref
from reference import memory


def _t(values) -> memory.Tensor:
    return memory.from_numpy(np.asarray(values, dtype=np.float64))


def _v(t: memory.Tensor) -> np.ndarray:
    return memory.to_numpy(t)


A, B = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4) - 5


@pytest.mark.parametrize(("equation", "ndims", "inputs", "output"), [
    ("ij,jk->ik", [2, 2], [["i", "j"], ["j", "k"]], ["i", "k"]),
    ("ba", [2], [["b", "a"]], ["a", "b"]),                            # E06: sorted
    ("bA", [2], [["b", "A"]], ["A", "b"]),                            # E06: upper case first
    ("ii", [2], [["i", "i"]], []),                                    # a repeated label is summed
    ("b...a", [3], [["b", ".0", "a"]], [".0", "a", "b"]),             # E07: ellipsis dims lead
    ("...ij,jk", [4, 2], [[".0", ".1", "i", "j"], ["j", "k"]], [".0", ".1", "i", "k"]),
    ("...i,...i->...", [2, 1], [[".0", "i"], ["i"]], [".0"]),        # right-aligned ellipsis
    ("i j -> j", [2], [["i", "j"]], ["j"]),                           # spaces are ignored
])
def test_parse(equation, ndims, inputs, output):
    assert ref.parse(equation, ndims) == (inputs, output)


def test_label_sizes_broadcast_ones():
    assert ref.label_sizes([["i"], ["i"]], [(1,), (3,)]) == {"i": 3}
    assert ref.label_sizes([["i", "i"], ["i"]], [(1, 1), (3,)]) == {"i": 3}
    assert ref.label_sizes([["i"], ["i"]], [(1,), (0,)]) == {"i": 0}


@pytest.mark.parametrize(("equation", "operands", "expected"), [
    ("ij,jk->ik", [A, B], [[sum(A[i, j] * B[j, k] for j in range(3)) for k in range(4)] for i in range(2)]),  # E02
    ("i,i->i", [A[0], A[1]], A[0] * A[1]),                            # E03
    ("i,i->", [A[0], A[1]], (A[0] * A[1]).sum()),                     # E03: a dot product
    ("ij->i", [A], [3.0, 12.0]),                                      # E04
    ("ijk->kij", [np.arange(24.0).reshape(2, 3, 4)], np.arange(24.0).reshape(2, 3, 4).transpose(2, 0, 1)),  # E05
    ("ba", [A], A.T),                                                 # E06
    ("ii", [np.arange(9.0).reshape(3, 3)], 0.0 + 4 + 8),              # E06: the trace
    ("ii->i", [np.arange(9.0).reshape(3, 3)], [0.0, 4, 8]),           # the diagonal
    ("IJ->JI", [A], A.T),                                             # E01
    ("...ij->...ji", [np.arange(24.0).reshape(2, 3, 4)], np.arange(24.0).reshape(2, 3, 4).transpose(0, 2, 1)),  # E07
    ("i,i->i", [[2.0], A[1]], 2 * A[1]),                              # a size-1 label broadcasts
    (",i->i", [3.0, A[0]], 3 * A[0]),
    ("ij->i", [np.ones((2, 0))], [0.0, 0.0]),                         # an empty sum is 0
])
def test_einsum_known_cases(equation, operands, expected):
    got = _v(ref.einsum(equation, *map(_t, operands)))
    np.testing.assert_allclose(got, np.asarray(expected, dtype=np.float64), rtol=1e-15, atol=1e-12)


def test_einsum_implicit_ellipsis_shape_and_dropped_ellipsis():
    x = _t(np.arange(24.0).reshape(2, 3, 4))
    assert ref.einsum("b...a", x).shape == (3, 4, 2)                  # E07
    np.testing.assert_array_equal(_v(ref.einsum("...i->i", x)), np.arange(24.0).reshape(6, 4).sum(0))
    with pytest.raises(ValueError, match="omits"):
        ref.einsum("...i->i", x, dropped_ellipsis="error")
    assert ref.einsum("...i->i", _t([1.0, 2.0]), dropped_ellipsis="error").shape == (2,)


def test_einsum_keeps_dtype_and_accumulates_integers_exactly():
    big = memory.from_numpy(np.array([2**53, 1, 1], dtype=np.int64))
    out = ref.einsum("i->", big)
    assert out.dtype == np.int64 and int(_v(out)) == 2**53 + 2
    assert ref.einsum("ij->ji", memory.from_numpy(A.astype(np.float32))).dtype == np.float32


def test_notes_einsum_convolution():
    """E09: unfold gives (1, 4, 9) and the convolution is −5 everywhere (x[i, j] − x[i+1, j+1])."""
    x = _t(np.arange(1.0, 17.0).reshape(1, 1, 4, 4))
    kernel = _t(np.array([[1.0, 0.0], [0.0, -1.0]]).reshape(1, 1, 2, 2))
    assert ref.unfold(x, (2, 2)).shape == (1, 4, 9)
    np.testing.assert_array_equal(_v(ref.conv2d_by_unfold(x, kernel)), np.full((1, 1, 3, 3), -5.0))
    np.testing.assert_array_equal(_v(ref.conv2d(x, kernel)), np.full((1, 1, 3, 3), -5.0))


def test_unfold_shape_has_the_channel_factor():
    """S15: (2, 3, 5, 6) with a (2, 3) kernel unfolds to (N, C·kh·kw, L) = (2, 18, 16)."""
    assert ref.unfold(_t(np.zeros((2, 3, 5, 6))), (2, 3)).shape == (2, 18, 16)
    assert [ref.output_size(5, 2), ref.output_size(6, 3)] == [4, 4]
    assert ref.output_size(5, 3, dilation=2, padding=1, stride=2) == 2


@given(n=st.integers(1, 2), c=st.integers(1, 3), o=st.integers(1, 3), h=st.integers(3, 6), w=st.integers(3, 6),
       kh=st.integers(1, 3), kw=st.integers(1, 3), stride=st.integers(1, 3), padding=st.integers(0, 2),
       dilation=st.integers(1, 2), seed=st.integers(0, 2**32 - 1))
def test_conv2d_by_unfold_equals_direct_loops(n, c, o, h, w, kh, kw, stride, padding, dilation, seed):
    """E09: the unfold + einsum route and the direct cross-correlation agree."""
    if dilation * (max(kh, kw) - 1) + 1 > min(h, w) + 2 * padding:
        with pytest.raises(ValueError):
            ref.conv2d(_t(np.ones((n, c, h, w))), _t(np.ones((o, c, kh, kw))), stride, padding, dilation)
        return
    rng = np.random.default_rng(seed)
    x, k = _t(rng.standard_normal((n, c, h, w))), _t(rng.standard_normal((o, c, kh, kw)))
    direct, by_unfold = _v(ref.conv2d(x, k, stride, padding, dilation)), _v(ref.conv2d_by_unfold(x, k, stride, padding, dilation))
    np.testing.assert_allclose(by_unfold, direct, rtol=1e-12, atol=1e-12)


def test_conv2d_is_a_cross_correlation():
    x = _t(np.arange(9.0).reshape(1, 1, 3, 3))
    corner = _t(np.array([[1.0, 0.0], [0.0, 0.0]]).reshape(1, 1, 2, 2))
    np.testing.assert_array_equal(_v(ref.conv2d(x, corner))[0, 0], [[0.0, 1.0], [3.0, 4.0]])


@pytest.mark.parametrize(("call", "error"), [
    (lambda: ref.einsum("ij->i", _t([1.0])), ValueError),             # too many subscripts
    (lambda: ref.einsum("i->i", _t(A)), ValueError),                   # too few, no '...'
    (lambda: ref.einsum("i,i->i", _t([1.0])), ValueError),            # operand count
    (lambda: ref.einsum("i,i->i", _t([1.0, 2]), _t([1.0, 2, 3])), ValueError),
    (lambda: ref.einsum("ii->i", _t(A)), ValueError),                  # a diagonal of two sizes
    (lambda: ref.einsum("ii->ii", _t(np.eye(2))), ValueError),
    (lambda: ref.einsum("i->j", _t([1.0])), ValueError),
    (lambda: ref.einsum("i->i->i", _t([1.0])), ValueError),
    (lambda: ref.einsum("i.->i", _t(A)), ValueError),
    (lambda: ref.einsum("i1->i", _t(A)), ValueError),                  # E01: letters only
    (lambda: ref.einsum("...ij,...jk", _t(np.ones((2, 3, 4))), _t(np.ones((4, 4, 2)))), ValueError),
    (lambda: ref.einsum("i->i"), ValueError),
    (lambda: ref.einsum(3, _t([1.0])), TypeError),
    (lambda: ref.parse("i->i", [1], dropped_ellipsis="keep"), ValueError),
    (lambda: ref.conv2d(_t(np.ones((1, 3, 4, 4))), _t(np.ones((1, 2, 2, 2)))), ValueError),
    (lambda: ref.conv2d(_t(np.ones((3, 4, 4))), _t(np.ones((1, 3, 2, 2)))), ValueError),
    (lambda: ref.conv2d(_t(np.ones((1, 1, 2, 2))), _t(np.ones((1, 1, 3, 3)))), ValueError),
    (lambda: ref.output_size(4, 2, stride=0), ValueError),
    (lambda: ref.output_size(4, 2, padding=-1), ValueError),
])
def test_guard_clauses_raise_clear_errors(call, error):
    with pytest.raises(error) as info:
        call()
    assert len(str(info.value)) > 10, "the error message must say what is wrong"
