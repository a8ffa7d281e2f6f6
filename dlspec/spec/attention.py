"""Spec operations of scaled dot-product attention, masks, multi-head variants and transformer blocks (catalogue AT01–AT20).

Layouts follow torch: attention takes ``(..., heads, length, head_dim)``; the blocks are
batch-first ``(B, L, E)`` with dropout 0.  The rules are :mod:`reference.attention`'s.
Declared behaviours: ``causal_alignment`` (``"top_left"`` or ``"bottom_right"``) and, for a
query row whose keys are all masked, ``fully_masked_row_bool`` / ``fully_masked_row_float``
(``"zero"``, ``"nan"`` or ``"mean"``) for a boolean and for an additive −∞ mask.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dlspec.spec import Array, spec_op


class AttentionOps:
    """Scaled dot-product attention, masks, multi-head variants and transformer blocks."""

    @spec_op("AT01 AT03 AT04 AT05 AT06 AT09")
    def scaled_dot_product_attention(self, q: Array, k: Array, v: Array, mask: Array | None = None,
                                     is_causal: bool = False, scale: float | None = None,
                                     enable_gqa: bool = False) -> Array:
        """``softmax(q kᵀ·scale + mask) v``, scale 1/√E by default; a boolean ``mask`` is True
        where a query may attend, a floating one is added; ``enable_gqa`` lets the query heads
        be a multiple of the key/value heads (``F.scaled_dot_product_attention``)."""

    @spec_op("AT06")
    def causal_mask(self, query_len: int, key_len: int) -> Array:
        """The boolean ``(L, S)`` causal mask, True = attend, in the backend's declared alignment."""

    @spec_op("AT05")
    def subsequent_mask(self, size: int) -> Array:
        """``nn.Transformer.generate_square_subsequent_mask(size)``: −∞ above the diagonal, 0 elsewhere (float)."""

    @spec_op("AT05")
    def key_padding_mask(self, lengths: Array, max_len: int) -> Array:
        """The boolean ``(B, max_len)`` key-padding mask of sequence ``lengths``, True = padding (ignore)."""

    @spec_op("AT05 AT07 AT08")
    def multi_head_attention(self, query: Array, key: Array, value: Array, in_proj_weight: Array,
                             in_proj_bias: Array | None, out_proj_weight: Array, out_proj_bias: Array | None,
                             num_heads: int, key_padding_mask: Array | None = None) -> Array:
        """``nn.MultiheadAttention(batch_first=True)`` with these weights: Q, K, V projected by the
        three blocks of ``in_proj_weight`` ``(3E, E)``, ``num_heads`` heads, the output projection."""

    @spec_op("AT11 AT12 AT13")
    def encoder_layer(self, x: Array, params: Mapping[str, Array], num_heads: int, norm_first: bool = False,
                      eps: float = 1e-5) -> Array:
        """``nn.TransformerEncoderLayer(batch_first=True, dropout=0)`` with the arrays of ``params``
        (:data:`reference.attention.LAYER_PARAMS`): Post-LN, or Pre-LN with ``norm_first``."""

    @spec_op("AT14")
    def transformer_encoder(self, x: Array, layers: Sequence[Mapping[str, Array]], num_heads: int,
                            norm_first: bool = False, final_norm: tuple[Array, Array] | None = None,
                            eps: float = 1e-5) -> Array:
        """``nn.TransformerEncoder``: one encoder layer per entry of ``layers``, each with its own
        arrays, then the optional final LayerNorm ``(weight, bias)``."""

    @spec_op("U15")
    def positional_encoding(self, max_len: int, d_model: int, dtype: str = "float32") -> Array:
        """The sinusoidal positional encoding ``(max_len, d_model)``: sin on even, cos on odd features."""

    @spec_op("AT17")
    def bert_embeddings(self, input_ids: Array, token_type_ids: Array, word: Array, segment: Array, position: Array,
                        norm_weight: Array, norm_bias: Array, eps: float = 1e-12) -> Array:
        """BERT's embeddings: ``LayerNorm(word[ids] + segment[token_type] + position[0..L-1])``."""

    @spec_op("AT13 AT15")
    def transformer_defaults(self) -> dict[str, object]:
        """The library's default hyper-parameters of its Transformer and encoder layer
        (d_model, nhead, layer counts, dim_feedforward, dropout, activation, batch_first, norm_first, eps)."""
