"""The matmul reference's own rules on known cases, and its guard clauses."""

from __future__ import annotations

import numpy as np
import pytest

from reference import matmul as ref
from reference import memory


def tensor(values) -> memory.Tensor:
    return memory.from_numpy(np.array(values))


def ones(*shape: int) -> memory.Tensor:
    return memory.from_numpy(np.ones(shape))


def test_products_by_hand():
    a, b = tensor([[1, 2], [3, 4]]), tensor([[5, 6], [7, 8]])
    np.testing.assert_array_equal(memory.to_numpy(ref.matmul(a, b)), [[19, 22], [43, 50]])
    dot = ref.matmul(tensor([1.0, 2.0, 3.0]), tensor([4.0, 5.0, 6.0]))
    assert dot.shape == () and memory.to_numpy(dot) == 32.0                     # M01
    np.testing.assert_array_equal(memory.to_numpy(ref.matmul(tensor([1, 2]), b)), [19, 22])  # M04: the row of a
    np.testing.assert_array_equal(memory.to_numpy(ref.matmul(a, tensor([1, 1]))), [3, 7])    # M05: row sums
    np.testing.assert_array_equal(memory.to_numpy(ref.matmul(ones(2, 0), ones(0, 3))), np.zeros((2, 3)))


@pytest.mark.parametrize(("a", "b", "expected"), [
    ((3,), (3,), ()),                      # M01
    ((3, 4), (4, 5), (3, 5)),              # M02
    ((10, 3, 4), (10, 4, 5), (10, 3, 5)),  # M03
    ((3,), (3, 5), (5,)),                  # M04
    ((3, 4), (4,), (3,)),                  # M05
    ((10, 3, 4), (4,), (10, 3)),           # M06
    ((10, 3, 4), (4, 5), (10, 3, 5)),      # M06
    ((2, 1, 3, 4), (5, 4, 6), (2, 5, 3, 6)),  # M06: batch dims broadcast
    ((4,), (2, 4, 5), (2, 5)),
])
def test_matmul_shapes_of_the_notes(a, b, expected):
    assert ref.matmul(ones(*a), ones(*b)).shape == expected


def test_batches_broadcast_and_each_is_its_own_product():
    a = memory.from_numpy(np.arange(12.0).reshape(2, 1, 2, 3))
    b = memory.from_numpy(np.arange(18.0).reshape(3, 3, 2))
    out = memory.to_numpy(ref.matmul(a, b))
    for i in range(2):
        for j in range(3):
            np.testing.assert_array_equal(out[i, j], memory.to_numpy(memory.matmul2d(
                memory.from_numpy(np.arange(12.0).reshape(2, 1, 2, 3)[i, 0]),
                memory.from_numpy(np.arange(18.0).reshape(3, 3, 2)[j]))))


def test_bmm_and_linear():
    assert ref.bmm(ones(10, 3, 4), ones(10, 4, 5)).shape == (10, 3, 5)       # M07
    assert ref.bmm(ones(2, 2, 3, 4), ones(2, 2, 4, 5), ranks="equal").shape == (2, 2, 3, 5)
    x, w, b = tensor([[1.0, 2.0]]), tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]]), tensor([10.0, 20.0, 30.0])
    np.testing.assert_array_equal(memory.to_numpy(ref.linear(x, w, b)), [[11.0, 23.0, 34.0]])  # x @ W.T + b
    np.testing.assert_array_equal(memory.to_numpy(ref.linear(x, w)), [[1.0, 3.0, 4.0]])
    assert ref.linear(ones(128, 20), ones(30, 20), ones(30)).shape == (128, 30)   # M08
    promoted = ref.linear(tensor([[1, 2]]), w, b, mixed_dtypes="promote")          # M10 in NumPy and JAX
    assert promoted.dtype == np.float64


@pytest.mark.parametrize(("call", "error"), [
    (lambda: ref.matmul(ones(), ones(3)), ValueError),                 # 0-d
    (lambda: ref.matmul(ones(3, 4), ones(3, 4)), ValueError),          # inner sizes
    (lambda: ref.matmul(ones(2, 3, 4), ones(3, 4, 5)), ValueError),    # batch 2 vs 3
    (lambda: ref.matmul(tensor([[1, 2]]), ones(2, 2)), TypeError),     # M10: int64 @ float64
    (lambda: ref.matmul(ones(2, 2), ones(2, 2), mixed_dtypes="cast"), ValueError),
    (lambda: ref.bmm(ones(3, 4), ones(4, 5)), ValueError),             # M07: 2-D
    (lambda: ref.bmm(ones(10, 3, 4), ones(1, 4, 5)), ValueError),      # M07: batch 10 vs 1
    (lambda: ref.bmm(ones(2, 3, 4), ones(4, 5), ranks="equal"), ValueError),
    (lambda: ref.bmm(ones(2, 3, 4), ones(2, 4, 5), ranks="4d"), ValueError),
    (lambda: ref.linear(ones(5, 20), ones(20, 30)), ValueError),       # W is (out, in)
    (lambda: ref.linear(ones(5, 20), ones(20)), ValueError),           # W is 2-D
    (lambda: ref.linear(ones(5, 2), ones(3, 2), ones(2)), ValueError),  # bias of in_features
    (lambda: ref.linear(ones(5, 2), ones(1, 2), ones(2)), ValueError),  # a bias never widens the output
    (lambda: ref.linear(tensor([[1, 2]]), ones(3, 2)), TypeError),     # M10
])
def test_guard_clauses_raise_clear_errors(call, error):
    with pytest.raises(error) as info:
        call()
    assert len(str(info.value)) > 10, "the error message must say what is wrong"
