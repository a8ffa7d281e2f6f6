"""Unit tests of ``reference.attention``: its guard clauses, and its values against hand-worked
examples and the formulas of the notes (AT01–AT14, AT17), never against a library's output."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from reference import attention as ref

ONES = np.ones((1, 2, 3))
PARAMS = {name: np.zeros(shape) for name, shape in
          (("in_proj_weight", (6, 2)), ("in_proj_bias", (6,)), ("out_proj_weight", (2, 2)), ("out_proj_bias", (2,)),
           ("linear1_weight", (3, 2)), ("linear1_bias", (3,)), ("linear2_weight", (2, 3)), ("linear2_bias", (2,)),
           ("norm1_weight", (2,)), ("norm1_bias", (2,)), ("norm2_weight", (2,)), ("norm2_bias", (2,)))}
PARAMS.update(norm1_weight=np.ones(2), norm2_weight=np.ones(2))


def _params(**changes: Any) -> dict[str, Any]:
    return {**PARAMS, **changes}


BAD_CALLS: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = [
    (ref.causal_mask, (-1, 2), {}),
    (ref.causal_mask, (2.0, 2), {}),
    (ref.causal_mask, (2, 2), {"alignment": "middle"}),
    (ref.subsequent_mask, ("4",), {}),
    (ref.key_padding_mask, (np.array([1.0]), 2), {}),
    (ref.key_padding_mask, (np.array([[1]]), 2), {}),
    (ref.key_padding_mask, (np.array([3]), 2), {}),
    (ref.expand_kv_heads, (np.ones((3, 2, 2)), 4), {}),
    (ref.expand_kv_heads, (np.ones((2, 2)), 4), {}),
    (ref.attention_weights, (ONES, np.ones((1, 2, 4))), {}),
    (ref.attention_weights, (ONES, ONES), {"fully_masked_row": "skip"}),
    (ref.scaled_dot_product_attention, ([[1.0]], ONES, ONES), {}),
    (ref.scaled_dot_product_attention, (np.ones((1, 2, 3), dtype=np.int64), ONES, ONES), {}),
    (ref.scaled_dot_product_attention, (np.ones(3), ONES, ONES), {}),
    (ref.scaled_dot_product_attention, (ONES, ONES, np.ones((1, 3, 3))), {}),
    (ref.scaled_dot_product_attention, (ONES, ONES, ONES, np.ones((3, 2), dtype=bool)), {}),
    (ref.scaled_dot_product_attention, (ONES, ONES, ONES, np.ones((2, 2), dtype=np.int64)), {}),
    (ref.scaled_dot_product_attention, (ONES, ONES, ONES), {"scale": "big"}),
    (ref.scaled_dot_product_attention, (ONES, ONES, ONES), {"scale": math.inf}),
    (ref.scaled_dot_product_attention, (ONES, ONES, ONES), {"is_causal": 1}),
    (ref.scaled_dot_product_attention, (np.ones((1, 4, 2, 3)), np.ones((1, 3, 2, 3)), np.ones((1, 3, 2, 3))),
     {"enable_gqa": True}),
    (ref.scaled_dot_product_attention, (ONES, ONES, ONES), {"causal_alignment": "diagonal"}),
    (ref.multi_head_attention, (np.ones((1, 2, 4)),) * 3 + (np.ones((12, 4)), None, np.ones((4, 4)), None, 3), {}),
    (ref.multi_head_attention, (np.ones((2, 4)),) * 3 + (np.ones((12, 4)), None, np.ones((4, 4)), None, 2), {}),
    (ref.multi_head_attention, (np.ones((1, 2, 4)),) * 3 + (np.ones((4, 4)), None, np.ones((4, 4)), None, 2), {}),
    (ref.multi_head_attention, (np.ones((1, 2, 4)),) * 3 + (np.ones((12, 4)), None, np.ones((4, 4)), None, 2),
     {"key_padding_mask": np.ones((1, 2))}),
    (ref.multi_head_attention, (np.ones((1, 2, 4)),) * 3 + (np.ones((12, 4)), None, np.ones((4, 4)), None, 2),
     {"key_padding_mask": np.ones((1, 3), dtype=bool)}),
    (ref.feed_forward, (np.ones((1, 2)), _params(linear1_bias=np.ones(4))), {}),
    (ref.encoder_layer, (np.ones((1, 2, 2)), [1, 2], 1), {}),
    (ref.encoder_layer, (np.ones((1, 2, 2)), {"in_proj_weight": np.ones((6, 2))}, 1), {}),
    (ref.encoder_layer, (np.ones((2, 2)), PARAMS, 1), {}),
    (ref.encoder_layer, (np.ones((1, 2, 2)), PARAMS, 1), {"norm_first": "yes"}),
    (ref.encoder_layer, (np.ones((1, 2, 2)), PARAMS, 1), {"eps": -1.0}),
    (ref.transformer_encoder, (np.ones((1, 2, 2)), [], 1), {}),
    (ref.transformer_encoder, (np.ones((1, 2, 2)), [PARAMS], 1), {"final_norm": np.ones(2)}),
    (ref.transformer_encoder, (np.ones((1, 2, 2)), [PARAMS], 1), {"final_norm": (np.ones(3), np.ones(3))}),
    (ref.positional_encoding, (4, 3), {}),
    (ref.positional_encoding, (-1, 2), {}),
    (ref.bert_embeddings, (np.zeros((1, 2)), np.zeros((1, 2), dtype=int)) + (np.ones((2, 2)),) * 3
     + (np.ones(2), np.ones(2)), {}),
    (ref.bert_embeddings, (np.full((1, 2), 5), np.zeros((1, 2), dtype=int)) + (np.ones((2, 2)),) * 3
     + (np.ones(2), np.ones(2)), {}),
    (ref.bert_embeddings, (np.zeros((1, 3), dtype=int), np.zeros((1, 3), dtype=int)) + (np.ones((2, 2)),) * 3
     + (np.ones(2), np.ones(2)), {}),
    (ref.rank_one_residual, (np.ones(3),), {}),
    (ref.rank_one_residual, (np.full((2, 2), np.nan),), {}),
    (ref.self_attention_stack, (np.ones((2, 2)), -1, 0), {}),
    (ref.dot_product_variance, (4, 1, 0), {}),
]


@pytest.mark.parametrize(("fn", "args", "kwargs"), BAD_CALLS, ids=lambda v: getattr(v, "__name__", None))
def test_guards(fn, args, kwargs):
    """Every public function raises ValueError or TypeError, with a message, on bad input."""
    with pytest.raises((ValueError, TypeError), match=r"\w"):
        fn(*args, **kwargs)


def test_attention_by_hand():
    """AT01: one query [1, 0] over keys [1, 0] and [0, 1]: logits 1/√2 and 0, weights
    e^(1/√2) / (e^(1/√2) + 1) and 1 / (e^(1/√2) + 1), output the weighted values."""
    q, k, v = np.array([[1.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 2.0], [3.0, 4.0]])
    w = math.exp(1 / math.sqrt(2)) / (math.exp(1 / math.sqrt(2)) + 1)
    np.testing.assert_allclose(ref.scaled_dot_product_attention(q, k, v), [[w + 3 * (1 - w), 2 * w + 4 * (1 - w)]])
    w_half = math.exp(0.5) / (math.exp(0.5) + 1)
    np.testing.assert_allclose(ref.attention_weights(q, k, scale=0.5), [[w_half, 1 - w_half]])


def test_masks_by_hand():
    """AT03, AT05, AT06: a −∞ logit gets probability exactly 0; a boolean False the same; the
    subsequent mask of size 4 is −∞ above the diagonal; the key-padding mask is True on padding;
    bottom-right causal alignment shifts the diagonal by S − L."""
    q, k = np.zeros((1, 2)), np.zeros((3, 2))
    assert ref.attention_weights(q, k, np.array([0.0, -np.inf, 0.0])).tolist() == [[0.5, 0.0, 0.5]]
    assert ref.attention_weights(q, k, np.array([True, False, True])).tolist() == [[0.5, 0.0, 0.5]]
    inf = -np.inf
    assert ref.subsequent_mask(4).tolist() == [[0, inf, inf, inf], [0, 0, inf, inf], [0, 0, 0, inf], [0, 0, 0, 0]]
    assert ref.key_padding_mask(np.array([2, 4, 0]), 4).tolist() == [[False, False, True, True], [False] * 4, [True] * 4]
    assert ref.causal_mask(2, 4).tolist() == [[True, False, False, False], [True, True, False, False]]
    assert ref.causal_mask(2, 4, "bottom_right").tolist() == [[True, True, True, False], [True] * 4]
    assert ref.causal_mask(3, 1, "bottom_right").tolist() == [[False], [False], [True]]


def test_fully_masked_row_choices():
    """AT03: a fully masked row is 0/0; the three declared outputs are zeros, NaNs and the mean
    of the values (every key equally weighted)."""
    q, k, v = np.ones((2, 2)), np.ones((3, 2)), np.array([[1.0, 0.0], [2.0, 0.0], [6.0, 3.0]])
    mask = np.array([[True, False, True], [False, False, False]])
    outs = {rule: ref.scaled_dot_product_attention(q, k, v, mask, fully_masked_row=rule) for rule in ref.FULLY_MASKED_ROWS}
    assert outs["zero"][1].tolist() == [0.0, 0.0] and np.isnan(outs["nan"][1]).all()
    np.testing.assert_allclose(outs["mean"][1], [3.0, 1.0])
    for out in outs.values():
        np.testing.assert_allclose(out[0], [3.5, 1.5])


def test_grouped_query_attention():
    """AT09: query head h of 4 over 2 kv heads reads kv head h // 2 (repeat_interleave: 0 0 1 1,
    not repeat's 0 1 0 1); GQA with one kv head per query head is MHA, with one kv head for all
    MQA (the kv head broadcast)."""
    kv = np.arange(2.0).reshape(2, 1, 1)
    assert ref.expand_kv_heads(kv, 4).ravel().tolist() == [0.0, 0.0, 1.0, 1.0]
    rng = np.random.default_rng(0)
    q, k, v = rng.standard_normal((4, 3, 2)), rng.standard_normal((4, 5, 2)), rng.standard_normal((4, 5, 2))
    assert np.array_equal(ref.scaled_dot_product_attention(q, k, v, enable_gqa=True),
                          ref.scaled_dot_product_attention(q, k, v))
    mqa = ref.scaled_dot_product_attention(q, k[:1], v[:1], enable_gqa=True)
    for h in range(4):
        np.testing.assert_allclose(mqa[h], ref.scaled_dot_product_attention(q[h], k[0], v[0]))


def test_multi_head_attention_projects_three_ways():
    """AT08: with one key, attention's weight is 1 whatever Q and K are, so the output is the
    value projection alone: out_w·(w_v·x + b_v) + out_b, the THIRD block of in_proj."""
    x = np.array([[[2.0]]])
    w, b = np.array([[5.0], [7.0], [3.0]]), np.array([1.0, 1.0, 0.5])
    out = ref.multi_head_attention(x, x, x, w, b, np.array([[2.0]]), np.array([1.0]), 1)
    assert out.tolist() == [[[2.0 * (3.0 * 2.0 + 0.5) + 1.0]]]


def test_post_ln_and_pre_ln():
    """AT11, AT12: with attention and feed-forward weights zero, Pre-LN returns x unchanged
    (x + 0 + 0) and Post-LN returns LayerNorm(LayerNorm(x)) = (x - mean) / std per token."""
    x = np.array([[[1.0, 3.0], [2.0, 2.5]]])
    assert np.array_equal(ref.encoder_layer(x, PARAMS, 1, norm_first=True), x)
    post = ref.encoder_layer(x, PARAMS, 1, eps=0.0)
    centered = x - x.mean(axis=-1, keepdims=True)
    np.testing.assert_allclose(post, centered / np.abs(centered))
    stacked = ref.transformer_encoder(x, [PARAMS, PARAMS], 1, True, (2 * np.ones(2), np.ones(2)), eps=0.0)
    np.testing.assert_allclose(stacked, 2 * centered / np.abs(centered) + 1)


def test_feed_forward_by_hand():
    """AT13: FF(x) = linear2(relu(linear1(x)))."""
    p = _params(linear1_weight=np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), linear1_bias=np.array([0.0, 0.0, -4.0]),
                linear2_weight=np.ones((2, 3)), linear2_bias=np.array([0.0, 1.0]))
    assert ref.feed_forward(np.array([2.0, -1.0]), p).tolist() == [2.0, 3.0]


def test_positional_encoding_formula():
    """The sinusoidal encoding: row 0 alternates sin 0 = 0 and cos 0 = 1; PE[p, 2i] =
    sin(p / 10000^(2i/d)), PE[p, 2i+1] the cosine of the same angle."""
    pe = ref.positional_encoding(5, 4)
    assert pe[0].tolist() == [0.0, 1.0, 0.0, 1.0]
    for p in range(5):
        for i in range(2):
            angle = p / 10000 ** (2 * i / 4)
            assert pe[p, 2 * i] == pytest.approx(math.sin(angle)) and pe[p, 2 * i + 1] == pytest.approx(math.cos(angle))


def test_bert_embeddings_by_hand():
    """AT17: word + segment + position rows summed, then LayerNorm (here γ=1, β=0, eps=0):
    token 1, segment 0, position 0 give [1, 0] + [0, 2] + [0, 0] = [1, 2] -> [-1, 1]."""
    word, segment, position = np.array([[0.0, 0.0], [1.0, 0.0]]), np.array([[0.0, 2.0]]), np.array([[0.0, 0.0]])
    out = ref.bert_embeddings(np.array([[1]]), np.array([[0]]), word, segment, position, np.ones(2), np.zeros(2), 0.0)
    assert out.tolist() == [[[-1.0, 1.0]]]


def test_transformer_defaults_are_the_papers():
    """AT15: the base model of "Attention is all you need": d_model 512, 8 heads, 6 + 6 layers,
    feed-forward 2048, dropout 0.1."""
    d = ref.transformer_defaults()
    assert (d["d_model"], d["nhead"], d["num_encoder_layers"], d["num_decoder_layers"], d["dim_feedforward"],
            d["dropout"]) == (512, 8, 6, 6, 2048, 0.1)


def test_dot_products_grow_with_d_k():
    """AT02: q·k of independent standard normal vectors has variance d_k (a sum of d_k unit-
    variance products), so dividing by √d_k restores unit variance.  The sample variance of
    n = 20000 draws is within 6 standard errors, √((2d² + 6d)/n) (4th moment 3d² + 6d), of d."""
    n = 20000
    for d in (4, 64, 512):
        assert abs(ref.dot_product_variance(d, n, seed=d) - d) <= 6 * math.sqrt((2 * d * d + 6 * d) / n)


def test_rank_collapse_without_skip_connections():
    """AT10: twelve pure self-attention layers (no skip, no MLP) drive the tokens to one vector,
    a rank-1 matrix (relative residual below 1e-6 here, ~1e-8 in the catalogue), while the same
    stack with skip connections keeps them apart (residual above 1e-2, ~0.1 in the catalogue)."""
    x = np.random.default_rng(10).standard_normal((16, 32))
    assert ref.rank_one_residual(np.outer(np.arange(3.0), np.ones(4))) < 1e-15  # rank 1, up to rounding
    assert ref.rank_one_residual(ref.self_attention_stack(x, 12, seed=1)) < 1e-6
    assert ref.rank_one_residual(ref.self_attention_stack(x, 12, seed=1, skip=True)) > 1e-2
