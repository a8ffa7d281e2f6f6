"""The normalisation and activation reference on hand-worked cases and documented formulas,
and its guard clauses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reference import normalization as ref


def test_layer_norm_by_hand():
    """NR01: [1, 2, 3, 4] has mean 2.5 and biased variance 1.25: y = (x - 2.5)/sqrt(1.25 + eps)."""
    x = np.array([[1.0, 2.0, 3.0, 4.0]])
    expected = (x - 2.5) / math.sqrt(1.25 + 1e-5)
    np.testing.assert_allclose(ref.layer_norm(x, (4,)), expected, rtol=1e-15)
    np.testing.assert_allclose(ref.layer_norm(x, 4, np.full(4, 2.0), np.full(4, 1.0)), 2 * expected + 1, rtol=1e-15)


def test_batch_norm_training_and_running_statistics_by_hand():
    """NR05: x = [1, 3] (one channel): biased variance 1 normalises, the running variance takes
    the unbiased 2: 0.9·1 + 0.1·2 = 1.1, the running mean 0.1·2 = 0.2; evaluation then uses them."""
    x = np.array([[1.0], [3.0]])
    out, mean, var = ref.batch_norm(x, np.zeros(1), np.ones(1), training=True)
    np.testing.assert_allclose(out, [[-1 / math.sqrt(1 + 1e-5)], [1 / math.sqrt(1 + 1e-5)]], rtol=1e-15)
    np.testing.assert_allclose(mean, [0.2], rtol=1e-15)
    np.testing.assert_allclose(var, [1.1], rtol=1e-15)
    out, same_mean, same_var = ref.batch_norm(x, mean, var, training=False)
    np.testing.assert_allclose(out, (x - 0.2) / math.sqrt(1.1 + 1e-5), rtol=1e-15)
    assert same_mean.tolist() == [0.2] and same_var.tolist() == [1.1]


def test_the_layers_reduce_over_their_axes():
    """NR01–NR04: per-slice checks against the formula written with NumPy's mean and var."""
    x = np.random.default_rng(0).standard_normal((2, 4, 3))

    def formula(v: np.ndarray) -> np.ndarray:
        return (v - v.mean()) / np.sqrt(v.var() + 1e-5)

    inst, group, layer = ref.instance_norm(x), ref.group_norm(x, 2), ref.layer_norm(x, (4, 3))
    batch = ref.batch_norm(x, training=True)
    for n in range(2):
        np.testing.assert_allclose(layer[n], formula(x[n]), rtol=1e-12)
        for c in range(4):
            np.testing.assert_allclose(inst[n, c], formula(x[n, c]), rtol=1e-12)
        for g in range(2):
            np.testing.assert_allclose(group[n, 2 * g:2 * g + 2], formula(x[n, 2 * g:2 * g + 2]), rtol=1e-12)
    for c in range(4):
        np.testing.assert_allclose(batch[:, c], formula(x[:, c]), rtol=1e-12)
    np.testing.assert_allclose(ref.group_norm(x, 1), layer, rtol=1e-12)   # one group: LayerNorm over (C, L)
    np.testing.assert_allclose(ref.group_norm(x, 4), inst, rtol=1e-12)    # a group per channel: InstanceNorm


def test_activations_by_hand():
    """NR08–NR10 and swish: the notes' values and the defining formulas."""
    np.testing.assert_allclose(ref.softmax(np.array([1.0, 2.0, 3.0])),
                               [0.09003057317038046, 0.24472847105479767, 0.6652409557748219], rtol=1e-14)
    assert ref.softmax(np.array([1000.0, 1000.0])).tolist() == [0.5, 0.5]
    assert ref.softmax(np.array([1e4, -1e4, 0.0])).tolist() == [1.0, 0.0, 0.0]
    assert ref.log_softmax(np.array([1e4, -1e4, 0.0])).tolist() == [0.0, -2e4, -1e4]
    assert ref.relu(np.array([-2.0, 0.0, 3.0])).tolist() == [0.0, 0.0, 3.0]
    x = np.array([-3.0, -0.5, 0.0, 1e-10, 2.0])
    np.testing.assert_allclose(ref.sigmoid(x), [1 / (1 + math.exp(-v)) for v in x], rtol=1e-15)
    np.testing.assert_allclose(ref.tanh(x), [math.tanh(v) for v in x], rtol=1e-15)
    np.testing.assert_allclose(ref.swish(x), [v / (1 + math.exp(-v)) for v in x], rtol=1e-15)
    assert ref.sigmoid(np.array([20.0, -200.0], dtype=np.float32)).tolist() == [1.0, 0.0]
    assert ref.sigmoid(np.array([-1000.0, 1000.0])).tolist() == [0.0, 1.0]


def test_results_keep_the_input_dtype():
    x = np.ones((2, 3), dtype=np.float32)
    for out in (ref.softmax(x), ref.log_softmax(x, 0), ref.layer_norm(x, (3,)), ref.relu(x), ref.tanh(x)):
        assert out.dtype == np.float32


@pytest.mark.parametrize(("call", "error"), [
    (lambda: ref.softmax([1.0, 2.0]), TypeError),
    (lambda: ref.softmax(np.array([1, 2])), TypeError),
    (lambda: ref.softmax(np.ones(3), 1), ValueError),
    (lambda: ref.softmax(np.ones(3), 0.5), TypeError),
    (lambda: ref.log_softmax(np.ones((2, 2)), -3), ValueError),
    (lambda: ref.relu(np.array([True])), TypeError),
    (lambda: ref.layer_norm(np.ones((2, 3)), (2,)), ValueError),
    (lambda: ref.layer_norm(np.ones((2, 3)), ()), ValueError),
    (lambda: ref.layer_norm(np.ones((2, 3)), "3"), TypeError),
    (lambda: ref.layer_norm(np.ones((2, 3)), (3,), np.ones(2)), ValueError),
    (lambda: ref.layer_norm(np.ones((2, 3)), (3,), eps=-1.0), ValueError),
    (lambda: ref.layer_norm(np.ones((2, 3)), (3,), eps="1"), TypeError),
    (lambda: ref.batch_norm(np.ones(3), training=True), ValueError),
    (lambda: ref.batch_norm(np.ones((1, 3)), training=True), ValueError),
    (lambda: ref.batch_norm(np.ones((2, 3))), ValueError),
    (lambda: ref.batch_norm(np.ones((2, 3)), np.zeros(3), None, training=True), ValueError),
    (lambda: ref.batch_norm(np.ones((2, 3)), np.zeros(2), np.ones(2), training=True), ValueError),
    (lambda: ref.batch_norm(np.ones((2, 3)), training=1), TypeError),
    (lambda: ref.batch_norm(np.ones((2, 3)), training=True, momentum="0.1"), TypeError),
    (lambda: ref.instance_norm(np.ones((2, 3, 1))), ValueError),
    (lambda: ref.group_norm(np.ones((2, 3, 2)), 2), ValueError),
    (lambda: ref.group_norm(np.ones((2, 3, 2)), 0), ValueError),
    (lambda: ref.group_norm(np.ones((2, 3, 2)), 1.0), TypeError),
    (lambda: ref.group_norm(np.ones((2, 4, 2)), 2, np.ones(2)), ValueError),
])
def test_guards(call, error):
    with pytest.raises(error, match=r"\w"):
        call()
