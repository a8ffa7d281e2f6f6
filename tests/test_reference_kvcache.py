"""Unit tests of ``reference.kvcache``: guard clauses, and values against hand-worked examples
and an independent formula (full causal attention as whole matrices: a lower-triangular
mask, GQA heads by ``repeat``, softmax by ``exp``/``sum``) (AT16)."""

from __future__ import annotations

import numpy as np
import pytest

from reference import kvcache as ref

RNG = np.random.default_rng(16)


def matrix_causal_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """softmax(QKᵀ/sqrt(d) + causal mask) V over (B, S, H, D) arrays, heads h reading kv head
    h // group: the textbook formula, all positions at once."""
    group = q.shape[2] // k.shape[2]
    k, v = np.repeat(k, group, axis=2), np.repeat(v, group, axis=2)
    scores = np.einsum("bihd,bjhd->bhij", q, k) / np.sqrt(q.shape[-1])
    scores = np.where(np.tril(np.ones((q.shape[1], q.shape[1]), bool)), scores, -np.inf)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    return np.einsum("bhij,bjhd->bihd", weights / weights.sum(-1, keepdims=True), v)


def test_one_key_returns_its_value():
    """With a single cached token the softmax weight is 1: the output is that token's value."""
    q, k, v = np.ones((1, 1, 1, 2)), np.ones((1, 3, 1, 2)), np.arange(6.0).reshape(1, 3, 1, 2)
    np.testing.assert_array_equal(ref.decode_attention(q, k, v, np.array([1])), [[[[0.0, 1.0]]]])


def test_equal_scores_average_the_values():
    """Equal scores give equal weights: the output is the mean of the visible values only."""
    q, k = np.zeros((1, 1, 1, 1)), np.ones((1, 4, 1, 1))
    v = np.array([1.0, 3.0, 100.0, 100.0]).reshape(1, 4, 1, 1)
    np.testing.assert_allclose(ref.decode_attention(q, k, v, np.array([2])), [[[[2.0]]]])


@pytest.mark.parametrize(("heads", "kv_heads"), [(2, 2), (4, 2), (3, 1)])
def test_causal_attention_matches_the_matrix_formula(heads, kv_heads):
    """Full causal attention (MHA, GQA, MQA) equals the textbook matrix formula."""
    q, k, v = (RNG.standard_normal((2, 5, h, 3)) for h in (heads, kv_heads, kv_heads))
    np.testing.assert_allclose(ref.causal_attention(q, k, v), matrix_causal_attention(q, k, v), rtol=1e-12)


def test_incremental_decoding_equals_full_attention():
    """AT16: prefill 2 tokens, then append and attend one token at a time: every step equals
    the matching rows of full causal attention."""
    q, k, v = (RNG.standard_normal((2, 6, h, 2)) for h in (4, 2, 2))
    full = matrix_causal_attention(q, k, v)
    cache_k, cache_v = np.full((2, 6, 2, 2), np.inf), np.full((2, 6, 2, 2), np.inf)
    length = 0
    for width in (2, 1, 1, 1, 1):
        new = slice(length, length + width)
        cache_k, cache_v = ref.kv_cache_append(cache_k, cache_v, k[:, new], v[:, new], np.full(2, length))
        length += width
        np.testing.assert_allclose(ref.decode_attention(q[:, new], cache_k, cache_v, np.full(2, length)),
                                   full[:, new], rtol=1e-12)


def test_append_writes_only_its_slots():
    """kv_cache_append writes slots positions[b] + t and nothing else; its inputs stay."""
    cache = np.zeros((2, 4, 1, 1))
    new = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(2, 2, 1, 1)
    k, v = ref.kv_cache_append(cache, cache, new, -new, np.array([2, 0]))
    np.testing.assert_array_equal(k[..., 0, 0], [[0, 0, 1, 2], [3, 4, 0, 0]])
    np.testing.assert_array_equal(v, -k)
    assert not cache.any()


def test_slot_mapping_by_hand():
    """Tokens 1 and 2 of a sequence with blocks [3, 0] of size 2: offset 1 of block 3 (slot
    7), then offset 0 of block 0 (slot 0)."""
    np.testing.assert_array_equal(ref.slot_mapping(np.array([[3, 0]]), np.array([1]), 2, 2), [[7, 0]])


def test_paged_cache_equals_contiguous_cache():
    """Writing a ragged batch token by token into a paged pool, then laying each sequence's
    blocks end to end, gives the contiguous cache; paged attention equals contiguous."""
    tables = np.array([[4, 1, 6], [0, 5, 2]])
    pool, contiguous = np.zeros((7, 2, 1, 2)), np.zeros((2, 6, 1, 2))
    tokens = RNG.standard_normal((2, 6, 1, 2))
    for p in range(6):
        positions = np.array([p, min(p, 3)])
        step = tokens[np.arange(2), positions][:, None]
        pool = ref.paged_write(pool, tables, positions, step)
        contiguous, _ = ref.kv_cache_append(contiguous, contiguous, step, step, positions)
    np.testing.assert_array_equal(ref.gather_pages(pool, tables), contiguous)
    q, lengths = RNG.standard_normal((2, 1, 2, 2)), np.array([6, 4])
    np.testing.assert_array_equal(ref.paged_attention(q, pool, pool, tables, lengths),
                                  ref.decode_attention(q, contiguous, contiguous, lengths))


@pytest.mark.parametrize(("call", "error"), [
    (lambda: ref.kv_cache_append(np.zeros((1, 2, 1, 1)), np.zeros((1, 2, 1, 1)), np.zeros((1, 1, 1, 1)),
                                 np.zeros((1, 1, 1, 1)), np.array([2])), ValueError),
    (lambda: ref.kv_cache_append(np.zeros((1, 2, 1, 1)), np.zeros((1, 2, 1, 1)), np.zeros((1, 1, 1, 1), np.float32),
                                 np.zeros((1, 1, 1, 1)), np.array([0])), TypeError),
    (lambda: ref.kv_cache_append(np.zeros((1, 2, 1, 1)), np.zeros((1, 2, 1, 1)), np.zeros((1, 1, 1, 1)),
                                 np.zeros((1, 1, 1, 1)), np.array([0.0])), TypeError),
    (lambda: ref.decode_attention(np.zeros((1, 1, 3, 1)), np.zeros((1, 2, 2, 1)), np.zeros((1, 2, 2, 1)),
                                  np.array([1])), ValueError),
    (lambda: ref.decode_attention(np.zeros((1, 2, 1, 1)), np.zeros((1, 2, 1, 1)), np.zeros((1, 2, 1, 1)),
                                  np.array([1])), ValueError),
    (lambda: ref.decode_attention(np.zeros((1, 1, 1, 1)), np.zeros((1, 2, 1, 1)), np.zeros((1, 2, 1, 1)),
                                  np.array([3])), ValueError),
    (lambda: ref.decode_attention(np.zeros((1, 1, 1, 1), int), np.zeros((1, 2, 1, 1)), np.zeros((1, 2, 1, 1)),
                                  np.array([1])), TypeError),
    (lambda: ref.causal_attention(np.zeros((1, 2, 1, 1)), np.zeros((1, 3, 1, 1)), np.zeros((1, 3, 1, 1))),
     ValueError),
    (lambda: ref.slot_mapping(np.array([[0]]), np.array([0]), 1, 0), ValueError),
    (lambda: ref.paged_write(np.zeros((2, 2, 1, 1)), np.array([[0], [0]]), np.array([0, 0]), np.zeros((2, 1, 1, 1))),
     ValueError),
    (lambda: ref.paged_write(np.zeros((2, 2, 1, 1)), np.array([[2]]), np.array([0]), np.zeros((1, 1, 1, 1))),
     ValueError),
    (lambda: ref.gather_pages(np.zeros((2, 2)), np.array([[0]])), ValueError),
    (lambda: ref.paged_attention(np.zeros((1, 1, 1, 1)), np.zeros((2, 2, 1, 1)), np.zeros((2, 2, 1, 1)),
                                 np.array([[0]]), np.array([3])), ValueError),
])
def test_guards(call, error):
    """Every public function raises ValueError or TypeError, with a message, on bad input."""
    with pytest.raises(error, match=r"\w"):
        call()
