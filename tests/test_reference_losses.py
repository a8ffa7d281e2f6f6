"""The loss reference on the notes' examples and hand-worked cases from torch's documented
formulas, and its guard clauses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reference import losses as ref

X = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, -1.0]])


def logsumexp(row: np.ndarray) -> float:
    return math.log(sum(math.exp(v) for v in row))


def test_cross_entropy_by_hand():
    """L01: -logp[i, y_i] averaged; weights make 'mean' a weighted average; ignored targets
    drop out of the sum and the count; smoothing ε adds ε/C·Σ_c(-logp_c)."""
    nll = [logsumexp(X[0]) - X[0, 2], logsumexp(X[1]) - X[1, 0]]
    y = np.array([2, 0])
    assert ref.cross_entropy(X, y) == pytest.approx(sum(nll) / 2, rel=1e-15)
    w = np.array([0.5, 1.0, 2.0])
    assert ref.cross_entropy(X, y, w) == pytest.approx((2.0 * nll[0] + 0.5 * nll[1]) / 2.5, rel=1e-15)
    assert ref.cross_entropy(X, np.array([2, -100])) == pytest.approx(nll[0], rel=1e-15)
    assert ref.cross_entropy(X, np.array([2, 0]), ignore_index=0, reduction="sum") == pytest.approx(nll[0], rel=1e-15)
    smooth = [sum(logsumexp(r) - v for v in r) for r in X]
    expected = sum(0.7 * n + 0.1 * s for n, s in zip(nll, smooth)) / 2
    assert ref.cross_entropy(X, y, label_smoothing=0.3) == pytest.approx(expected, rel=1e-14)
    probs = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    assert ref.cross_entropy(X, probs) == pytest.approx(sum(nll) / 2, rel=1e-15)  # one-hot probabilities
    assert math.isnan(ref.cross_entropy(X, np.array([-100, -100])))               # 0 / 0


def test_nll_takes_log_probabilities():
    """L03: no softmax inside: -input[i, y_i]."""
    assert ref.nll_loss(X, np.array([2, 1]), reduction="none").tolist() == [-3.0, -0.0]


def test_bce_with_logits_by_hand_and_stable():
    """L02: -[p·t·log σ(x) + (1 - t)·log(1 - σ(x))], finite at ±1e4."""
    x, t = np.array([0.5, -2.0]), np.array([1.0, 0.25])
    sig = 1 / (1 + np.exp(-x))
    expected = -(2.0 * t * np.log(sig) + (1 - t) * np.log(1 - sig))
    np.testing.assert_allclose(ref.binary_cross_entropy_with_logits(x, t, pos_weight=np.array(2.0), reduction="none"),
                               expected, rtol=1e-14)
    big = ref.binary_cross_entropy_with_logits(np.array([1e4, -1e4]), np.array([0.0, 1.0]), reduction="none")
    assert big.tolist() == [1e4, 1e4]


def test_regression_examples_of_the_notes():
    """L04/L05: p = [1, 2, 3], t = [0, 2, 6]: MSE 10/3, L1 4/3; SmoothL1 of d = [0.5, 3] is [0.125, 2.5]."""
    p, t = np.array([1.0, 2.0, 3.0]), np.array([0.0, 2.0, 6.0])
    assert ref.mse_loss(p, t) == pytest.approx(10 / 3, rel=1e-15)
    assert ref.l1_loss(p, t) == pytest.approx(4 / 3, rel=1e-15)
    assert ref.smooth_l1_loss(np.array([0.5, 3.0]), np.zeros(2), "none").tolist() == [0.125, 2.5]
    assert ref.smooth_l1_loss(np.array([0.5, 3.0]), np.zeros(2), "none", beta=4.0).tolist() == [0.03125, 1.125]
    assert ref.smooth_l1_loss(np.array([0.5, 3.0]), np.zeros(2), "none", beta=0.0).tolist() == [0.5, 3.0]


def test_embedding_examples_of_the_notes():
    """L06: cos 45° gives 1 - 0.7071 for label 1 and 0.7071 for label -1; L07: max(5 - 1 + 1, 0) = 5."""
    x1, x2 = np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([[1.0, 1.0], [1.0, 1.0]])
    np.testing.assert_allclose(ref.cosine_embedding_loss(x1, x2, np.array([1, -1]), reduction="none"),
                               [1 - math.sqrt(0.5), math.sqrt(0.5)], rtol=1e-11)
    loss = ref.triplet_margin_loss(np.array([0.0, 0.0]), np.array([3.0, 4.0]), np.array([1.0, 0.0]), eps=0.0)
    assert loss == 5.0


def test_kl_div_reductions():
    """L08: Σ t·(log t - input); 'batchmean' divides by the batch size, 'mean' by every element;
    t = 0 adds 0; with log_target, Σ e^t·(t - input)."""
    q, p = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]), np.array([[0.5, 0.25, 0.25], [0.0, 0.5, 0.5]])
    total = sum(pi * math.log(pi / qi) for pr, qr in zip(p, q) for pi, qi in zip(pr, qr) if pi > 0)
    assert ref.kl_div(np.log(q), p, "batchmean") == pytest.approx(total / 2, rel=1e-14)
    assert ref.kl_div(np.log(q), p, "mean") == pytest.approx(total / 6, rel=1e-14)
    first = sum(pi * math.log(pi / qi) for pi, qi in zip(p[0], q[0]))  # log_target: log 0 would give NaN
    assert ref.kl_div(np.log(q[0]), np.log(p[0]), "sum", log_target=True) == pytest.approx(first, rel=1e-14)


@pytest.mark.parametrize(("call", "error"), [
    (lambda: ref.cross_entropy(X, [2, 0]), TypeError),
    (lambda: ref.cross_entropy(X, np.array([3, 0])), ValueError),
    (lambda: ref.cross_entropy(X, np.array([2])), ValueError),
    (lambda: ref.cross_entropy(np.array(1.0), np.array(0)), ValueError),
    (lambda: ref.cross_entropy(X, np.array([2, 0]), np.ones(2)), ValueError),
    (lambda: ref.cross_entropy(X, np.array([2, 0]), label_smoothing=1.5), ValueError),
    (lambda: ref.cross_entropy(X, np.ones((2, 3)) / 3, ignore_index=1), ValueError),
    (lambda: ref.cross_entropy(X, np.array([2, 0]), reduction="avg"), ValueError),
    (lambda: ref.nll_loss(X, np.array([0.0, 1.0])), TypeError),
    (lambda: ref.nll_loss(X, np.array([0, 1]), ignore_index=1.5), TypeError),
    (lambda: ref.binary_cross_entropy_with_logits(X, np.ones(3)), ValueError),
    (lambda: ref.binary_cross_entropy_with_logits(X, np.ones((2, 3)), pos_weight=np.ones(2)), ValueError),
    (lambda: ref.mse_loss(X, np.ones((3, 2))), ValueError),
    (lambda: ref.l1_loss(np.array([1, 2]), np.array([1, 2])), TypeError),
    (lambda: ref.smooth_l1_loss(X, X, beta=-1.0), ValueError),
    (lambda: ref.smooth_l1_loss(X, X, beta="1"), TypeError),
    (lambda: ref.cosine_embedding_loss(X, X, np.array([1, 0])), ValueError),
    (lambda: ref.cosine_embedding_loss(X, X, np.array([1])), ValueError),
    (lambda: ref.cosine_embedding_loss(np.ones((1, 2, 3)), np.ones((1, 2, 3)), np.array([1])), ValueError),
    (lambda: ref.triplet_margin_loss(X, X, X, margin=0.0), ValueError),
    (lambda: ref.triplet_margin_loss(X, X, X, p=0.0), ValueError),
    (lambda: ref.triplet_margin_loss(X, X, X, swap=1), TypeError),
    (lambda: ref.triplet_margin_loss(X, X, X[:1]), ValueError),
    (lambda: ref.kl_div(X, X, reduction="batch"), ValueError),
    (lambda: ref.kl_div(X, X, log_target=None), TypeError),
    (lambda: ref.kl_div(X, X[0]), ValueError),
])
def test_guards(call, error):
    with pytest.raises(error, match=r"\w"):
        call()
