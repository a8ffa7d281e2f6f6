"""Broken backends for attention, masks, multi-head variants and transformer blocks (AT01–AT17), built on the NumPy adapter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from dlspec.backends.numpy import NumpyBackend

SDPA_TESTS = ("test_scaled_dot_product_attention", "test_notes_grouped_query_attention", "test_causal_alignment")


class CausalMaskExcludesDiagonal(NumpyBackend):
    """The causal mask hides the diagonal too: query i sees only keys j < i (AT06)."""

    name, catches = "causal-mask-excludes-diagonal", SDPA_TESTS

    def causal_mask(self, query_len: int, key_len: int) -> Any:
        return np.tril(np.ones((query_len, key_len), dtype=bool), k=-1)


class CausalMaskOneExtra(NumpyBackend):
    """The causal mask is off by one the other way: query i also sees key i + 1 (AT06)."""

    name, catches = "causal-mask-one-extra", SDPA_TESTS

    def causal_mask(self, query_len: int, key_len: int) -> Any:
        return np.tril(np.ones((query_len, key_len), dtype=bool), k=1)


class BoolMaskTrueIgnores(NumpyBackend):
    """SDPA reads a boolean mask as True = ignore, nn.MultiheadAttention's key_padding_mask convention (AT05)."""

    name, catches = "bool-mask-true-ignores", ("test_scaled_dot_product_attention", "test_fully_masked_row")

    def scaled_dot_product_attention(self, q: Any, k: Any, v: Any, mask: Any = None, is_causal: bool = False,
                                     scale: float | None = None, enable_gqa: bool = False) -> Any:
        flipped = ~mask if mask is not None and mask.dtype == bool else mask
        return super().scaled_dot_product_attention(q, k, v, flipped, is_causal, scale, enable_gqa)


class ScaleByOneOverD(NumpyBackend):
    """The default scale is 1/E instead of 1/√E (AT01)."""

    name, catches = "scale-by-one-over-d", SDPA_TESTS

    def scaled_dot_product_attention(self, q: Any, k: Any, v: Any, mask: Any = None, is_causal: bool = False,
                                     scale: float | None = None, enable_gqa: bool = False) -> Any:
        return super().scaled_dot_product_attention(q, k, v, mask, is_causal, 1.0 / q.shape[-1] if scale is None
                                                    else scale, enable_gqa)


class GqaByRepeat(NumpyBackend):
    """GQA expands the kv heads with repeat (tile: h -> h % Hkv) instead of repeat_interleave (h -> h // G), AT09."""

    name, catches = "gqa-by-repeat", ("test_scaled_dot_product_attention", "test_notes_grouped_query_attention")

    def scaled_dot_product_attention(self, q: Any, k: Any, v: Any, mask: Any = None, is_causal: bool = False,
                                     scale: float | None = None, enable_gqa: bool = False) -> Any:
        if enable_gqa and k.shape[-3] != q.shape[-3]:
            reps = (1,) * (k.ndim - 3) + (q.shape[-3] // k.shape[-3], 1, 1)
            k, v = np.tile(k, reps), np.tile(v, reps)
        return super().scaled_dot_product_attention(q, k, v, mask, is_causal, scale, enable_gqa)


class PaddingMasksQueries(NumpyBackend):
    """nn.MultiheadAttention's key_padding_mask hides the padded QUERIES' rows instead of the padded keys (AT05)."""

    name, catches = "padding-masks-queries", ("test_multi_head_attention",)

    def _padding_to_sdpa(self, key_padding_mask: Any) -> Any:
        return None if key_padding_mask is None else ~key_padding_mask[:, None, :, None]


class PostLnAsPreLn(NumpyBackend):
    """The encoder layer is always Pre-LN: norm_first=False (Post-LN, the default) is ignored (AT11)."""

    name, catches = "post-ln-as-pre-ln", ("test_encoder_layer", "test_transformer_encoder")

    def encoder_layer(self, x: Any, params: Mapping[str, Any], num_heads: int, norm_first: bool = False,
                      eps: float = 1e-5) -> Any:
        return super().encoder_layer(x, params, num_heads, True, eps)


class PositionalEncodingSwapsSinCos(NumpyBackend):
    """The positional encoding puts cos on the even features and sin on the odd ones."""

    name, catches = "positional-encoding-swaps-sin-cos", ("test_positional_encoding",)

    def positional_encoding(self, max_len: int, d_model: int, dtype: str = "float32") -> Any:
        pe = super().positional_encoding(max_len, d_model, dtype)
        return pe.reshape(max_len, d_model // 2, 2)[..., ::-1].reshape(max_len, d_model)
