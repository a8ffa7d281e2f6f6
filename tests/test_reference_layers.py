"""The layers reference against independent computations (one-hot products, the catalogue's
hand-worked examples), and its guard clauses."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from reference import einsum, memory
from reference import layers as ref

W = np.arange(15.0).reshape(5, 3)


def one_hot(indices: np.ndarray, rows: int) -> np.ndarray:
    return (np.asarray(indices)[..., None] == np.arange(rows)).astype(np.float64)


def test_lookup_is_a_one_hot_product():
    """EM01: out == weight[idx] == one_hot(idx) @ weight; the padding row comes back as it is (EM04)."""
    idx = np.array([[0, 4], [2, 0]])
    np.testing.assert_array_equal(ref.embedding_lookup(W, idx), one_hot(idx, 5) @ W)
    np.testing.assert_array_equal(ref.embedding_lookup(np.ones((4, 3)), np.array([0]), padding_idx=0), [[1.0, 1.0, 1.0]])
    filled = ref.embedding_lookup(W, np.array([1, 5]), out_of_range="fill_nan")
    np.testing.assert_array_equal(filled[0], W[1])
    assert np.isnan(filled[1]).all()


def test_gradient_is_the_one_hot_transpose_product():
    """EM02: the dense gradient is one_hot(idx).T @ g: rows summed over repeats, unused rows zero."""
    idx = np.array([2, 7, 2])
    g = np.arange(6.0).reshape(3, 2)
    grad = ref.embedding_backward(g, idx, 10)
    np.testing.assert_array_equal(grad, one_hot(idx, 10).reshape(-1, 10).T @ g)
    assert np.flatnonzero(np.any(grad != 0, axis=1)).tolist() == [2, 7]


def test_gradient_padding_and_frequency():
    """EM04: the padding row's gradient is zero; EM07: id 1 thrice with ones: [3, 3] becomes [1, 1]."""
    idx = np.array([1, 1, 1, 0])
    assert ref.embedding_backward(np.ones((4, 2)), idx, 3)[1].tolist() == [3.0, 3.0]
    assert ref.embedding_backward(np.ones((4, 2)), idx, 3, scale_grad_by_freq=True)[1].tolist() == [1.0, 1.0]
    assert ref.embedding_backward(np.ones((4, 2)), idx, 3, padding_idx=-3)[0].tolist() == [0.0, 0.0]


def test_renorm_catalogue_example():
    """EM05: norms [16.87, 25.15, 15.49, 24.61, 25.45], ids [1, 3], max_norm 1: only rows 1 and 3
    change, to norm max_norm·norm/(norm+1e-7) (1.0 to 1e-8)."""
    norms = np.array([16.87, 25.15, 15.49, 24.61, 25.45])
    unit = np.array([[0.6, 0.8, 0.0], [0.0, 0.6, 0.8], [0.8, 0.0, 0.6], [0.6, 0.0, 0.8], [0.0, 0.8, 0.6]])
    out = ref.embedding_renorm(unit * norms[:, None], np.array([1, 3, 3]), 1.0)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), [16.87, 1.0, 15.49, 1.0, 25.45], rtol=1e-8)
    np.testing.assert_array_equal(out[[0, 2, 4]], (unit * norms[:, None])[[0, 2, 4]])


def test_renorm_norm_type_one():
    """EM06: norm_type=1 bounds the L1 norm: [3, -4] (L1 7) with max_norm 1 becomes [3/7, -4/7] (to 1e-7)."""
    out = ref.embedding_renorm(np.array([[3.0, -4.0], [0.1, 0.1]]), np.array([0, 1]), 1.0, norm_type=1.0)
    np.testing.assert_allclose(out, [[3 / 7, -4 / 7], [0.1, 0.1]], rtol=1e-6)


def test_tied_logits_use_one_array():
    """EM11: logits = one_hot(ids) @ W @ W.T with W (vocab, dim), no transpose of the stored table."""
    idx = np.array([[1, 3]])
    np.testing.assert_allclose(ref.tied_logits(W, idx), one_hot(idx, 5) @ W @ W.T)


def test_dropout_rule_and_edges():
    """Survivors scaled by 1/(1-p), dropped elements zero; p=1 gives zeros."""
    x = np.array([1.0, -2.0, 4.0])
    np.testing.assert_array_equal(ref.dropout(x, np.array([True, False, True]), 0.5), [2.0, 0.0, 8.0])
    np.testing.assert_array_equal(ref.dropout(x, np.zeros(3, bool), 1.0), np.zeros(3))


def test_dropout_keeps_the_expectation():
    """E[dropout(x)] = x: the mean of 200000 draws of dropout(1) with p=0.3 is 1 within 6σ."""
    n, p = 200_000, 0.3
    out = ref.dropout(np.ones(n), ref.dropout_mask((n,), p, 11), p)
    sigma = np.sqrt(p / (1 - p) / n)  # the standard deviation of the mean of n draws of {0, 1/(1-p)}
    assert abs(out.mean() - 1.0) < 6 * sigma


def test_dropped_count_bounds():
    """Binomial(n, p) ± 6σ: n=100, p=0.5: 50 ± 30; the edges are exact."""
    assert ref.dropped_count_bounds(100, 0.5) == (20, 80)
    assert ref.dropped_count_bounds(100, 0.0) == (0, 0)
    assert ref.dropped_count_bounds(100, 1.0) == (100, 100)


def test_layer_defaults_are_the_documented_ones():
    """EM03: embedding_module's keyword defaults are EMBEDDING_DEFAULTS, and with none given
    the layer is the plain lookup with the plain one-hot-transpose gradient, dense."""
    params = inspect.signature(ref.embedding_module).parameters
    assert {name: params[name].default for name in ref.EMBEDDING_DEFAULTS} == ref.EMBEDDING_DEFAULTS
    idx, g = np.array([0, 4, 0]), np.arange(9.0).reshape(3, 3)
    out, grad, stored = ref.embedding_module(W * 100, idx, g)
    np.testing.assert_array_equal(out, (W * 100)[idx])  # no renormalisation of rows of norm > 1000
    np.testing.assert_array_equal(grad, one_hot(idx, 5).T @ g)  # row 0 summed twice, no padding, no scaling
    assert stored is None


def test_sparse_gradient_stores_the_looked_up_rows():
    """EM08: ids [2, 7, 2] store rows (2, 7); padding_idx 7 leaves 7 out; the dense form is unchanged."""
    idx, g = np.array([2, 7, 2]), np.ones((3, 2))
    _, grad, stored = ref.embedding_module(np.zeros((10, 2)), idx, g, sparse=True)
    assert stored == (2, 7) and grad[2].tolist() == [2.0, 2.0]
    assert ref.embedding_module(np.zeros((10, 2)), idx, g, padding_idx=7, sparse=True)[2] == (2,)


def test_sparse_steps():
    """EM08: SGD: w − lr·one_hotᵀg; SparseAdam's first step moves a stored element by lr·g/(|g| + ε/√(1−β₂)),
    about lr·sign(g), and no other row; Adam raises with torch's message."""
    idx, g = np.array([1, 3, 1]), np.array([[1.0, -2.0], [0.5, 0.0], [1.0, 4.0]])
    weight = np.ones((4, 2))
    np.testing.assert_allclose(ref.sparse_embedding_step("sgd", weight, idx, g, 0.1), weight - 0.1 * one_hot(idx, 4).T @ g)
    adam = ref.sparse_embedding_step("sparse_adam", weight, idx, g, 0.1)
    np.testing.assert_allclose(adam[[1, 3]], [[0.9, 0.9], [0.9, 1.0]], rtol=1e-6)
    np.testing.assert_array_equal(adam[[0, 2]], weight[[0, 2]])
    with pytest.raises(ValueError, match="Adam does not support sparse gradients, please consider SparseAdam instead"):
        ref.sparse_embedding_step("adam", weight, idx, g, 0.1)


def test_conv_1d_by_hand():
    """MD08: [1, 2, 3, 4] ⋆ [1, 0, −1] = [1−3, 2−4] (a convolution, kernel flipped, would give [2, 2]);
    padding 1 reads a 0 at each end: [−2, −2, −2, 3]; stride 2 keeps every other: [−2, −2]; bias adds."""
    x, w = np.array([[[1.0, 2.0, 3.0, 4.0]]]), np.array([[[1.0, 0.0, -1.0]]])
    assert ref.conv(x, w).tolist() == [[[-2.0, -2.0]]]
    assert ref.conv(x, w, padding=1).tolist() == [[[-2.0, -2.0, -2.0, 3.0]]]
    assert ref.conv(x, w, np.array([0.5]), stride=2, padding=1).tolist() == [[[-1.5, -1.5]]]


def test_conv_2d_and_3d_against_einsum_conv2d():
    """MD08: 2-d equals reference.einsum.conv2d; 3-d with a depth-1 kernel is conv2d slice by
    slice; Conv3d(1, 2, 3) on (1, 1, 5, 5, 5) gives (1, 2, 3, 3, 3) (the catalogue)."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 5, 6)), rng.standard_normal((4, 3, 2, 3))
    conv2d = lambda a, b, **kw: memory.to_numpy(einsum.conv2d(memory.from_numpy(a), memory.from_numpy(b), **kw))  # noqa: E731
    np.testing.assert_allclose(ref.conv(x, w, stride=2, padding=1), conv2d(x, w, stride=2, padding=1), rtol=1e-12)
    x3, w3 = rng.standard_normal((1, 2, 3, 4, 4)), rng.standard_normal((2, 2, 1, 2, 2))
    out = ref.conv(x3, w3, padding=0)
    for d in range(3):
        np.testing.assert_allclose(out[:, :, d], conv2d(x3[:, :, d], w3[:, :, 0]), rtol=1e-12)
    assert ref.conv(np.ones((1, 1, 5, 5, 5)), np.ones((2, 1, 3, 3, 3))).shape == (1, 2, 3, 3, 3)


@pytest.mark.parametrize(("call", "error"), [
    (lambda: ref.embedding_lookup(np.ones(3), np.array([0])), ValueError),
    (lambda: ref.embedding_lookup(W, np.array([0.0])), TypeError),
    (lambda: ref.embedding_lookup(W, np.array([5])), ValueError),
    (lambda: ref.embedding_lookup(W, np.array([0]), padding_idx=5), ValueError),
    (lambda: ref.embedding_lookup(W, np.array([0]), out_of_range="wrap"), ValueError),
    (lambda: ref.embedding_backward(np.ones((2, 3)), np.array([0]), 5), ValueError),
    (lambda: ref.embedding_backward(np.ones((1, 3)), np.array([9]), 5), ValueError),
    (lambda: ref.embedding_backward(np.ones((1, 3)), np.array([0]), -1), ValueError),
    (lambda: ref.embedding_renorm(W, np.array([0]), 0.0), ValueError),
    (lambda: ref.embedding_renorm(W, np.array([0]), 1.0, norm_type=float("nan")), ValueError),
    (lambda: ref.tied_logits(W.astype(np.int64), np.array([0])), TypeError),
    (lambda: ref.dropout(np.ones(3), np.ones(2, bool), 0.5), ValueError),
    (lambda: ref.dropout(np.ones(3), np.ones(3, bool), 1.0), ValueError),
    (lambda: ref.dropout(np.ones(3, np.int64), np.ones(3, bool), 0.5), TypeError),
    (lambda: ref.dropout_mask((3,), 1.5, 0), ValueError),
    (lambda: ref.dropout_mask((-1,), 0.5, 0), ValueError),
    (lambda: ref.dropout_mask((3,), 0.5, "seed"), TypeError),
    (lambda: ref.dropped_count_bounds(-1, 0.5), ValueError),
    (lambda: ref.embedding_module(W, np.array([0]), np.ones((1, 2))), ValueError),
    (lambda: ref.embedding_module(W, np.array([0]), np.ones((1, 3)), sparse=True, scale_grad_by_freq=True), ValueError),
    (lambda: ref.sparse_embedding_step("rmsprop", W, np.array([0]), np.ones((1, 3)), 0.1), ValueError),
    (lambda: ref.sparse_embedding_step("sgd", W, np.array([0]), np.ones((1, 3)), -1.0), ValueError),
    (lambda: ref.conv(np.ones((1, 1, 3, 3, 3, 3)), np.ones((1, 1, 2, 2, 2, 2))), ValueError),
    (lambda: ref.conv(np.ones((1, 1)), np.ones((1, 1))), ValueError),
    (lambda: ref.conv(np.ones((1, 2, 5)), np.ones((1, 3, 2))), ValueError),
    (lambda: ref.conv(np.ones((1, 1, 2)), np.ones((1, 1, 3))), ValueError),
    (lambda: ref.conv(np.ones((1, 1, 5)), np.ones((1, 1, 3)), np.ones(2)), ValueError),
    (lambda: ref.conv(np.ones((1, 1, 5)), np.ones((1, 1, 3)), stride=0), ValueError),
    (lambda: ref.conv(np.ones((1, 1, 5), np.int64), np.ones((1, 1, 3))), TypeError),
    (lambda: ref.conv(np.ones((1, 1, 5)), np.ones((1, 1, 3)), spatial_dims="4"), ValueError),
])
def test_guards(call, error):
    """Bad shapes, dtypes, indices and probabilities raise ValueError or TypeError with a message."""
    with pytest.raises(error, match=r"\w"):
        call()
