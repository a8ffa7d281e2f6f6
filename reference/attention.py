"""Scaled dot-product attention, its masks, multi-head variants and transformer blocks
(catalogue AT01–AT15, AT17), from their formulas.

Attention of queries ``q`` ``(..., Hq, L, E)`` over keys ``k`` ``(..., Hkv, S, E)`` and
values ``v`` ``(..., Hkv, S, Ev)`` (torch's layout) is

    logits = q kᵀ · scale            scale = 1/√E unless given (AT01)
    out    = softmax(logits + mask) v

where a mask is either **boolean, True = attend** (torch SDPA's ``attn_mask``; a False entry
adds −∞) or **float, added** to the logits (−∞ removes a key, AT03).  ``nn.MultiheadAttention``'s
``key_padding_mask`` uses the OPPOSITE convention, **True = ignore** (AT05); :func:`key_padding_mask`
builds one from sequence lengths.  The causal mask lets query ``i`` see key ``j`` when

* ``j <= i``            (``causal_alignment="top_left"``, torch SDPA's ``is_causal``), or
* ``j <= i + S - L``    (``"bottom_right"``, flash-attention's, aligning the LAST query with
  the last key),

the same mask when ``L == S`` (AT06).  A query row whose keys are all masked has no defined
softmax; libraries differ, and the keyword ``fully_masked_row`` names the choice: ``"zero"``
(torch SDPA's output row), ``"nan"`` (masked_fill(−∞) + softmax written by hand: 0/0), or
``"mean"`` (a finite large negative number instead of −∞: every key weighs the same, JAX's
boolean mask).  Grouped-query attention (``enable_gqa``, AT09) lets ``Hq`` be a multiple of
``Hkv``: query head ``h`` uses key/value head ``h // (Hq/Hkv)`` (repeat_interleave, not
repeat); ``Hkv = 1`` is multi-query attention, ``Hkv = Hq`` multi-head attention.

The blocks are batch-first, ``(B, L, E)``, with dropout 0.  Arithmetic is float64 (NumPy's
sums and exp, :func:`reference.normalization.softmax` and ``layer_norm``); results keep the
query's floating dtype.  Nothing here calls a library's attention.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from reference.guards import check_choice, check_floats, check_int
from reference.normalization import layer_norm, softmax

CAUSAL_ALIGNMENTS = ("top_left", "bottom_right")
FULLY_MASKED_ROWS = ("zero", "nan", "mean")
#: The arrays of one encoder layer (nn.TransformerEncoderLayer's parameters, ``.`` as ``_``).
LAYER_PARAMS = ("in_proj_weight", "in_proj_bias", "out_proj_weight", "out_proj_bias", "linear1_weight", "linear1_bias",
                "linear2_weight", "linear2_bias", "norm1_weight", "norm1_bias", "norm2_weight", "norm2_bias")
#: nn.Transformer's and nn.TransformerEncoderLayer's defaults, the paper's base model (AT13, AT15).
TRANSFORMER_DEFAULTS = {"d_model": 512, "nhead": 8, "num_encoder_layers": 6, "num_decoder_layers": 6,
                        "dim_feedforward": 2048, "dropout": 0.1, "activation": "relu", "batch_first": False,
                        "norm_first": False, "layer_norm_eps": 1e-5}


# -- guards ------------------------------------------------------------------------------------



def _shape(x: np.ndarray, shape: tuple[int, ...], what: str) -> np.ndarray:
    check_floats(x, what)
    if x.shape != shape:
        raise ValueError(f"{what} must have shape {shape}, got {x.shape}")
    return x.astype(np.float64)


def _scale(scale: float | None, head_dim: int) -> float:
    if scale is None:
        return 1.0 / np.sqrt(head_dim) if head_dim else 1.0
    if isinstance(scale, bool) or not isinstance(scale, (int, float, np.floating, np.integer)):
        raise TypeError(f"scale must be a number or None, got {type(scale).__name__}")
    if not np.isfinite(scale):
        raise ValueError(f"scale must be finite, got {scale}")
    return float(scale)


def _flag(value: object, what: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what} must be a bool, got {type(value).__name__}")
    return bool(value)


def _broadcast(shape: tuple[int, ...], target: tuple[int, ...], what: str) -> None:
    try:
        ok = np.broadcast_shapes(shape, target) == target
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{what} of shape {shape} does not broadcast to {target}")


def _nonnegative(n: object, what: str) -> int:
    n = check_int(n, what)
    if n < 0:
        raise ValueError(f"{what} must be >= 0, got {n}")
    return n


# -- masks ------------------------------------------------------------------------------------


def causal_mask(query_len: int, key_len: int, alignment: str = "top_left") -> np.ndarray:
    """The boolean causal mask ``(L, S)``, True = attend: query ``i`` sees key ``j <= i``
    (top-left) or ``j <= i + S - L`` (bottom-right), AT06."""
    rows, cols = _nonnegative(query_len, "query_len"), _nonnegative(key_len, "key_len")
    check_choice(alignment, "alignment", CAUSAL_ALIGNMENTS)
    offset = 0 if alignment == "top_left" else cols - rows
    return np.arange(cols)[None, :] <= np.arange(rows)[:, None] + offset


def subsequent_mask(size: int) -> np.ndarray:
    """``nn.Transformer.generate_square_subsequent_mask(size)`` (AT05): a float64 ``(size, size)``
    additive mask, −∞ above the diagonal (the future), 0 on and below it."""
    keep = causal_mask(size, size)
    return np.where(keep, 0.0, -np.inf)


def key_padding_mask(lengths: np.ndarray, max_len: int) -> np.ndarray:
    """A boolean ``(B, max_len)`` key-padding mask from sequence lengths, in
    ``nn.MultiheadAttention``'s convention **True = padding, ignore** (AT05): entry ``[b, j]`` is
    ``j >= lengths[b]``."""
    if not isinstance(lengths, np.ndarray) or lengths.dtype.kind not in "iu":
        raise TypeError(f"lengths must be a NumPy integer array, got {getattr(lengths, 'dtype', type(lengths).__name__)}")
    if lengths.ndim != 1:
        raise ValueError(f"lengths must be 1-D (one length per sequence), got shape {lengths.shape}")
    n = _nonnegative(max_len, "max_len")
    if np.any(lengths < 0) or np.any(lengths > n):
        raise ValueError(f"every length must be in [0, {n}], got {lengths.tolist()}")
    return np.arange(n)[None, :] >= lengths[:, None]


# -- scaled dot-product attention ----------------------------------------------------------------


def expand_kv_heads(x: np.ndarray, query_heads: int) -> np.ndarray:
    """Key or value heads ``(..., Hkv, S, E)`` expanded to ``query_heads`` by repeat_interleave
    along dim −3 (AT09): query head ``h`` gets kv head ``h // (query_heads / Hkv)``."""
    check_floats(x, "key/value", 3)
    heads, hq = x.shape[-3], _nonnegative(query_heads, "query_heads")
    if heads == 0 or hq % heads:
        raise ValueError(f"the query heads ({hq}) must be a multiple of the key/value heads ({heads})")
    source = np.arange(hq) // (hq // heads)
    return x[..., source, :, :]


def attention_weights(q: np.ndarray, k: np.ndarray, mask: np.ndarray | None = None, is_causal: bool = False,
                      scale: float | None = None, *, causal_alignment: str = "top_left",
                      fully_masked_row: str = "zero") -> np.ndarray:
    """The attention probabilities ``softmax(q kᵀ·scale + mask)`` ``(..., L, S)`` in float64,
    for ``q`` ``(..., L, E)`` and ``k`` ``(..., S, E)`` of equal leading dims; a fully masked
    row is ``fully_masked_row``'s choice (zeros, NaNs or the uniform ``1/S``)."""
    check_floats(q, "query", 2)
    check_floats(k, "key", 2)
    if k.shape[:-2] != q.shape[:-2] or k.shape[-1] != q.shape[-1]:
        raise ValueError(f"query {q.shape} and key {k.shape} need equal leading dims and head size")
    check_choice(causal_alignment, "causal_alignment", CAUSAL_ALIGNMENTS)
    check_choice(fully_masked_row, "fully_masked_row", FULLY_MASKED_ROWS)
    rows, cols = q.shape[-2], k.shape[-2]
    qk = np.sum(q.astype(np.float64)[..., :, None, :] * k.astype(np.float64)[..., None, :, :], axis=-1)
    logits = qk * _scale(scale, q.shape[-1])
    keep = np.ones(logits.shape, dtype=bool)
    if _flag(is_causal, "is_causal"):
        keep &= causal_mask(rows, cols, causal_alignment)
    if mask is not None:
        if not isinstance(mask, np.ndarray) or mask.dtype.kind not in "bf":
            raise TypeError(f"mask must be a boolean or floating NumPy array, got {getattr(mask, 'dtype', type(mask).__name__)}")
        _broadcast(mask.shape, logits.shape, "mask")
        if mask.dtype.kind == "b":
            keep &= mask
        else:
            logits = logits + mask.astype(np.float64)
            keep &= ~np.isneginf(logits)
    dead = ~np.any(keep, axis=-1, keepdims=True)
    if fully_masked_row == "mean":  # a finite "minus infinity": every key of a dead row weighs the same
        return softmax(np.where(keep, logits, np.where(dead, 0.0, -np.inf)), axis=-1)
    with np.errstate(invalid="ignore"):
        probs = softmax(np.where(keep, logits, -np.inf), axis=-1)
    return np.where(dead, 0.0 if fully_masked_row == "zero" else np.nan, probs)


def scaled_dot_product_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None = None,
                                 is_causal: bool = False, scale: float | None = None, *, enable_gqa: bool = False,
                                 causal_alignment: str = "top_left", fully_masked_row: str = "zero") -> np.ndarray:
    """``softmax(q kᵀ·scale + mask) v`` (AT01, AT03, AT05, AT06, AT09) under the module
    docstring's rules: ``q`` ``(..., Hq, L, E)``, ``k`` ``(..., Hkv, S, E)``, ``v`` ``(..., Hkv, S, Ev)``,
    the result ``(..., Hq, L, Ev)`` in ``q``'s dtype.  ``mask`` (bool, True = attend; or float,
    added) broadcasts to ``(..., Hq, L, S)``; ``Hkv`` may differ from ``Hq`` only with ``enable_gqa``."""
    check_floats(q, "query", 2)
    check_floats(k, "key", 2)
    check_floats(v, "value", 2)
    if k.ndim != q.ndim or v.ndim != q.ndim:
        raise ValueError(f"query, key and value need the same ndim, got {q.shape}, {k.shape}, {v.shape}")
    if v.shape[:-1] != k.shape[:-1]:
        raise ValueError(f"key {k.shape} and value {v.shape} need the same leading dims and length")
    if _flag(enable_gqa, "enable_gqa") and q.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        k, v = expand_kv_heads(k, q.shape[-3]), expand_kv_heads(v, q.shape[-3])
    weights = attention_weights(q, k, mask, is_causal, scale, causal_alignment=causal_alignment,
                                fully_masked_row=fully_masked_row)
    with np.errstate(invalid="ignore"):
        out = np.sum(weights[..., :, :, None] * v.astype(np.float64)[..., None, :, :], axis=-2)
    return out.astype(q.dtype)


# -- multi-head attention -------------------------------------------------------------------------


def _linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """``x @ weight.T + bias`` in float64, as a sum over the input features."""
    out = np.sum(x.astype(np.float64)[..., None, :] * weight.astype(np.float64), axis=-1)
    return out if bias is None else out + bias


def _split_heads(x: np.ndarray, heads: int) -> np.ndarray:
    """``(B, L, E)`` as ``(B, heads, L, E/heads)``: head ``h`` is features ``h·d ... (h+1)·d - 1``."""
    b, n, e = x.shape
    return x.reshape(b, n, heads, e // heads).transpose(0, 2, 1, 3)


def multi_head_attention(query: np.ndarray, key: np.ndarray, value: np.ndarray, in_proj_weight: np.ndarray,
                         in_proj_bias: np.ndarray | None, out_proj_weight: np.ndarray,
                         out_proj_bias: np.ndarray | None, num_heads: int,
                         key_padding_mask: np.ndarray | None = None) -> np.ndarray:
    """``nn.MultiheadAttention`` (batch_first, dropout 0), AT07, AT08: Q, K, V are the three
    DIFFERENT projections ``query W_qᵀ + b_q``, ``key W_kᵀ + b_k``, ``value W_vᵀ + b_v`` of the
    rows of ``in_proj_weight`` ``(3E, E)``; each of ``num_heads`` heads attends on its ``E/num_heads``
    features; the heads are concatenated and projected by ``out_proj``.  ``query`` is ``(B, L, E)``,
    ``key``/``value`` ``(B, S, E)`` (self-attention: all three the same array; cross-attention:
    another sequence); ``key_padding_mask`` ``(B, S)`` is True where a key is padding (ignored)."""
    for x, what in ((query, "query"), (key, "key"), (value, "value")):
        check_floats(x, what, 3)
        if x.ndim != 3:
            raise ValueError(f"{what} must be (B, length, E), got shape {x.shape}")
    b, _, e = query.shape
    if key.shape[0] != b or key.shape[2] != e or value.shape != key.shape:
        raise ValueError(f"key and value must be (B, S, E) = ({b}, S, {e}) alike, got {key.shape} and {value.shape}")
    heads = _nonnegative(num_heads, "num_heads")
    if heads == 0 or e % heads:
        raise ValueError(f"embed_dim {e} must be divisible by num_heads {heads}")
    w = _shape(in_proj_weight, (3 * e, e), "in_proj_weight")
    bias = np.zeros(3 * e) if in_proj_bias is None else _shape(in_proj_bias, (3 * e,), "in_proj_bias")
    w_out = _shape(out_proj_weight, (e, e), "out_proj_weight")
    b_out = None if out_proj_bias is None else _shape(out_proj_bias, (e,), "out_proj_bias")
    mask = None
    if key_padding_mask is not None:
        if not isinstance(key_padding_mask, np.ndarray) or key_padding_mask.dtype != np.bool_:
            raise TypeError("key_padding_mask must be a boolean NumPy array (True = ignore)")
        if key_padding_mask.shape != key.shape[:2]:
            raise ValueError(f"key_padding_mask must have shape {key.shape[:2]}, got {key_padding_mask.shape}")
        mask = ~key_padding_mask[:, None, None, :]  # to SDPA's convention: True = attend
    q, k, v = (_split_heads(_linear(x, w[i * e:(i + 1) * e], bias[i * e:(i + 1) * e]), heads)
               for i, x in enumerate((query, key, value)))
    out = scaled_dot_product_attention(q, k, v, mask)
    concat = out.transpose(0, 2, 1, 3).reshape(b, query.shape[1], e)
    return _linear(concat, w_out, b_out).astype(query.dtype)


# -- transformer blocks ---------------------------------------------------------------------------


def _layer_params(params: Mapping[str, np.ndarray], e: int) -> dict[str, np.ndarray]:
    """The twelve arrays of one encoder layer, checked: names, floating dtypes and shapes."""
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping of the layer's arrays, got {type(params).__name__}")
    missing = [name for name in LAYER_PARAMS if name not in params]
    if missing:
        raise ValueError(f"params is missing {missing}")
    ff = params["linear1_weight"].shape[0] if isinstance(params["linear1_weight"], np.ndarray) else -1
    shapes = {"in_proj_weight": (3 * e, e), "in_proj_bias": (3 * e,), "out_proj_weight": (e, e),
              "out_proj_bias": (e,), "linear1_weight": (ff, e), "linear1_bias": (ff,), "linear2_weight": (e, ff),
              "linear2_bias": (e,), "norm1_weight": (e,), "norm1_bias": (e,), "norm2_weight": (e,), "norm2_bias": (e,)}
    return {name: _shape(params[name], shapes[name], name) for name in LAYER_PARAMS}


def feed_forward(x: np.ndarray, params: Mapping[str, np.ndarray]) -> np.ndarray:
    """The feed-forward sub-block (AT13): ``linear2(relu(linear1(x)))`` (dropouts at p = 0)."""
    check_floats(x, "x", 1)
    p = _layer_params(params, x.shape[-1])
    hidden = np.maximum(_linear(x, p["linear1_weight"], p["linear1_bias"]), 0.0)
    return _linear(hidden, p["linear2_weight"], p["linear2_bias"])


def encoder_layer(x: np.ndarray, params: Mapping[str, np.ndarray], num_heads: int, norm_first: bool = False,
                  eps: float = 1e-5, key_padding_mask: np.ndarray | None = None) -> np.ndarray:
    """One ``nn.TransformerEncoderLayer`` (batch_first, ReLU, dropout 0) on ``x`` ``(B, L, E)``:

    * Post-LN (AT11, the paper's): ``x = norm1(x + SA(x)); x = norm2(x + FF(x))``;
    * Pre-LN (AT12, ``norm_first``): ``x = x + SA(norm1(x)); x = x + FF(norm2(x))``,

    where SA is :func:`multi_head_attention` of ``x`` with itself and FF :func:`feed_forward`."""
    check_floats(x, "x", 3)
    if x.ndim != 3:
        raise ValueError(f"x must be (B, L, E), got shape {x.shape}")
    e = x.shape[-1]
    p = _layer_params(params, e)
    first = _flag(norm_first, "norm_first")

    def attend(h: np.ndarray) -> np.ndarray:
        return multi_head_attention(h, h, h, p["in_proj_weight"], p["in_proj_bias"], p["out_proj_weight"],
                                    p["out_proj_bias"], num_heads, key_padding_mask)

    def norm(h: np.ndarray, i: int) -> np.ndarray:
        return layer_norm(h, (e,), p[f"norm{i}_weight"], p[f"norm{i}_bias"], eps)

    h = x.astype(np.float64)
    if first:
        h = h + attend(norm(h, 1))
        h = h + feed_forward(norm(h, 2), p)
    else:
        h = norm(h + attend(h), 1)
        h = norm(h + feed_forward(h, p), 2)
    return h.astype(x.dtype)


def transformer_encoder(x: np.ndarray, layers: Sequence[Mapping[str, np.ndarray]], num_heads: int,
                        norm_first: bool = False, final_norm: tuple[np.ndarray, np.ndarray] | None = None,
                        eps: float = 1e-5) -> np.ndarray:
    """``nn.TransformerEncoder`` (AT14): the encoder layers applied in order, each with its own
    parameters, then the optional final LayerNorm ``final_norm = (weight, bias)``."""
    if not isinstance(layers, Sequence) or not layers:
        raise ValueError("layers must be a non-empty sequence of parameter mappings")
    h = x
    for params in layers:
        h = encoder_layer(h, params, num_heads, norm_first, eps)
    if final_norm is None:
        return h
    if not isinstance(final_norm, tuple) or len(final_norm) != 2:
        raise TypeError("final_norm must be a (weight, bias) tuple or None")
    e = h.shape[-1]
    weight, bias = (_shape(a, (e,), f"final_norm {what}") for a, what in zip(final_norm, ("weight", "bias")))
    return layer_norm(h.astype(np.float64), (e,), weight, bias, eps).astype(x.dtype)


def positional_encoding(max_len: int, d_model: int) -> np.ndarray:
    """The sinusoidal encoding ``(max_len, d_model)`` of "Attention is all you need", float64:
    ``PE[p, 2i] = sin(p / 10000^(2i/d))`` and ``PE[p, 2i+1] = cos(p / 10000^(2i/d))``; ``d`` even."""
    n, d = _nonnegative(max_len, "max_len"), _nonnegative(d_model, "d_model")
    if d % 2:
        raise ValueError(f"d_model must be even (sin and cos pairs), got {d}")
    angle = np.arange(n, dtype=np.float64)[:, None] / 10000.0 ** (np.arange(0, d, 2, dtype=np.float64) / d)
    pe = np.empty((n, d))
    pe[:, 0::2], pe[:, 1::2] = np.sin(angle), np.cos(angle)
    return pe


def bert_embeddings(input_ids: np.ndarray, token_type_ids: np.ndarray, word: np.ndarray, segment: np.ndarray,
                    position: np.ndarray, norm_weight: np.ndarray, norm_bias: np.ndarray,
                    eps: float = 1e-12) -> np.ndarray:
    """BERT's embeddings (AT17): ``LayerNorm(word[ids] + segment[token_type] + position[0..L-1])``
    for ids ``(B, L)``, with LEARNED position rows (a table, not sinusoids); dropout 0."""
    for ids, what in ((input_ids, "input_ids"), (token_type_ids, "token_type_ids")):
        if not isinstance(ids, np.ndarray) or ids.dtype.kind not in "iu":
            raise TypeError(f"{what} must be a NumPy integer array")
        if ids.ndim != 2 or ids.shape != input_ids.shape:
            raise ValueError(f"{what} must be (B, L) like input_ids, got shape {ids.shape}")
    tables = [check_floats(t, what, 2) for t, what in ((word, "word"), (segment, "segment"), (position, "position"))]
    e = word.shape[1]
    if any(t.ndim != 2 or t.shape[1] != e for t in tables):
        raise ValueError(f"the embedding tables must be 2-D with {e} columns")
    for ids, table, what in ((input_ids, word, "input_ids"), (token_type_ids, segment, "token_type_ids")):
        if ids.size and (ids.min() < 0 or ids.max() >= table.shape[0]):
            raise ValueError(f"{what} must index the {table.shape[0]} rows of its table")
    if input_ids.shape[1] > position.shape[0]:
        raise ValueError(f"sequences of {input_ids.shape[1]} tokens exceed the {position.shape[0]} positions")
    total = (word.astype(np.float64)[input_ids] + segment.astype(np.float64)[token_type_ids]
             + position.astype(np.float64)[: input_ids.shape[1]])
    return layer_norm(total, (e,), _shape(norm_weight, (e,), "norm_weight"), _shape(norm_bias, (e,), "norm_bias"),
                      eps).astype(word.dtype)


def transformer_defaults() -> dict[str, object]:
    """The base model's hyper-parameters as ``nn.Transformer`` defaults them (AT13, AT15):
    d_model 512, 8 heads, 6 + 6 layers, feed-forward 2048, dropout 0.1, Post-LN."""
    return dict(TRANSFORMER_DEFAULTS)


# -- simulations (AT02, AT10) -----------------------------------------------------------------------


def rank_one_residual(x: np.ndarray) -> float:
    """``‖x - x₁‖ / ‖x‖`` for the best rank-1 approximation ``x₁`` of the 2-D ``x`` (Frobenius
    norms, from its singular values): 0 for a rank-1 matrix."""
    check_floats(x, "x", 2)
    if x.ndim != 2 or x.size == 0:
        raise ValueError(f"x must be a non-empty 2-D matrix, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("x must be finite")
    s = np.linalg.svd(x.astype(np.float64), compute_uv=False)
    total = float(np.sqrt(np.sum(s**2)))
    return float(np.sqrt(np.sum(s[1:] ** 2)) / total) if total else 0.0


def self_attention_stack(x: np.ndarray, depth: int, seed: int, skip: bool = False) -> np.ndarray:
    """``depth`` single-head self-attention layers on tokens ``x`` ``(L, E)``, each with fresh
    seeded Gaussian projections ``W_q, W_k, W_v`` of variance ``1/E``, no MLP and no LayerNorm;
    ``skip`` adds the residual connection ``x + SA(x)`` (AT10: without it the tokens collapse
    toward one vector, a rank-1 matrix)."""
    check_floats(x, "x", 2)
    if x.ndim != 2:
        raise ValueError(f"x must be (L, E), got shape {x.shape}")
    n = _nonnegative(depth, "depth")
    rng = np.random.default_rng(check_int(seed, "seed"))
    h = x.astype(np.float64)
    e = h.shape[1]
    for _ in range(n):
        w = rng.standard_normal((3, e, e)) / np.sqrt(e)
        out = scaled_dot_product_attention(h @ w[0], h @ w[1], h @ w[2])
        h = h + out if _flag(skip, "skip") else out
    return h


def dot_product_variance(d_k: int, samples: int, seed: int) -> float:
    """The sample variance of ``q·k`` for ``samples`` pairs of independent standard normal
    vectors of size ``d_k`` (AT02: it is ``d_k``, so ``1/√d_k`` brings the logits back to unit
    variance)."""
    d, n = _nonnegative(d_k, "d_k"), _nonnegative(samples, "samples")
    if n < 2:
        raise ValueError(f"samples must be >= 2, got {n}")
    rng = np.random.default_rng(check_int(seed, "seed"))
    dots = np.sum(rng.standard_normal((n, d)) * rng.standard_normal((n, d)), axis=1)
    return float(np.sum((dots - dots.mean()) ** 2) / (n - 1))

