"""Adapters' implementations of scaled dot-product attention, masks, multi-head variants and transformer blocks (AT01–AT20), one mixin per library;
each backend class in ``dlspec.backends`` inherits its library's mixin.

torch calls ``F.scaled_dot_product_attention`` (``enable_gqa``), ``F.multi_head_attention_forward``
and ``nn.TransformerEncoderLayer``/``nn.TransformerEncoder`` run with the given arrays through
``torch.func.functional_call``.  NumPy composes attention the way it is written by hand:
``masked_fill(−∞)`` + softmax + matmul, so a fully masked row is 0/0 = NaN.  JAX calls
``jax.nn.dot_product_attention`` (``(B, L, heads, E)`` layout; a boolean mask becomes a large
finite negative logit, so a fully masked row averages every value).  Both compose the blocks
from matmul, their attention and their LayerNorm.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from dlspec.backends.ops.normalization import on_reference
from dlspec.spec import composed
from reference import attention as ref
from reference import memory

#: nn.TransformerEncoderLayer's parameter names for the spec's array names.
TORCH_LAYER_NAMES = {name: ("self_attn." if "proj" in name else "") + name.replace("out_proj_", "out_proj.").replace(
    "linear1_", "linear1.").replace("linear2_", "linear2.").replace("norm1_", "norm1.").replace("norm2_", "norm2.")
    for name in ref.LAYER_PARAMS}


class ReferenceAttention:
    """The reference: arrays are ``reference.memory.Tensor`` objects."""

    behaviours: ClassVar[dict[str, str]] = {"causal_alignment": "top_left", "fully_masked_row_bool": "zero",
                                            "fully_masked_row_float": "zero"}

    def scaled_dot_product_attention(self, q: Any, k: Any, v: Any, mask: Any = None, is_causal: bool = False,
                                     scale: float | None = None, enable_gqa: bool = False) -> Any:
        kind = "bool" if mask is not None and memory.to_numpy(mask).dtype == np.bool_ else "float"
        return on_reference(ref.scaled_dot_product_attention, q, k, v, mask, is_causal, scale, enable_gqa=enable_gqa,
                            fully_masked_row=self.behaviour(f"fully_masked_row_{kind}"))

    def causal_mask(self, query_len: int, key_len: int) -> Any:
        return memory.from_numpy(ref.causal_mask(query_len, key_len, self.behaviour("causal_alignment")))

    def subsequent_mask(self, size: int) -> Any:
        return memory.from_numpy(ref.subsequent_mask(size))

    def key_padding_mask(self, lengths: Any, max_len: int) -> Any:
        return on_reference(ref.key_padding_mask, lengths, max_len)

    def multi_head_attention(self, query: Any, key: Any, value: Any, in_proj_weight: Any, in_proj_bias: Any,
                             out_proj_weight: Any, out_proj_bias: Any, num_heads: int,
                             key_padding_mask: Any = None) -> Any:
        return on_reference(ref.multi_head_attention, query, key, value, in_proj_weight, in_proj_bias, out_proj_weight,
                            out_proj_bias, num_heads, key_padding_mask)

    def encoder_layer(self, x: Any, params: Mapping[str, Any], num_heads: int, norm_first: bool = False,
                      eps: float = 1e-5) -> Any:
        return on_reference(ref.encoder_layer, x, _values(params), num_heads, norm_first, eps)

    def transformer_encoder(self, x: Any, layers: Sequence[Mapping[str, Any]], num_heads: int, norm_first: bool = False,
                            final_norm: tuple[Any, Any] | None = None, eps: float = 1e-5) -> Any:
        norm = None if final_norm is None else tuple(memory.to_numpy(a) for a in final_norm)
        return on_reference(ref.transformer_encoder, x, [_values(p) for p in layers], num_heads, norm_first, norm, eps)

    def positional_encoding(self, max_len: int, d_model: int, dtype: str = "float32") -> Any:
        return memory.from_numpy(ref.positional_encoding(max_len, d_model).astype(dtype))

    def bert_embeddings(self, input_ids: Any, token_type_ids: Any, word: Any, segment: Any, position: Any,
                        norm_weight: Any, norm_bias: Any, eps: float = 1e-12) -> Any:
        return on_reference(ref.bert_embeddings, input_ids, token_type_ids, word, segment, position, norm_weight,
                            norm_bias, eps)

    def transformer_defaults(self) -> dict[str, object]:
        return ref.transformer_defaults()


def _values(params: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {name: memory.to_numpy(a) for name, a in params.items()}


class XpAttention:
    """Libraries with NumPy's API under ``self.xp``: the blocks composed from matmul, the
    backend's own attention and LayerNorm."""

    def _project(self, x: Any, weight: Any, bias: Any) -> Any:
        out = self.xp.matmul(x, self.xp.swapaxes(weight, -1, -2))
        return out if bias is None else out + bias

    def _heads(self, x: Any, heads: int) -> Any:
        b, n, e = x.shape
        return self.xp.swapaxes(x.reshape(b, n, heads, e // heads), 1, 2)

    @composed
    def causal_mask(self, query_len: int, key_len: int) -> Any:
        return self.xp.tril(self.xp.ones((query_len, key_len), dtype=bool))

    @composed
    def subsequent_mask(self, size: int) -> Any:
        return self.xp.where(self.causal_mask(size, size), 0.0, -self.xp.inf)

    @composed
    def key_padding_mask(self, lengths: Any, max_len: int) -> Any:
        return self.xp.arange(max_len)[None, :] >= self.xp.asarray(lengths)[:, None]

    def _padding_to_sdpa(self, key_padding_mask: Any) -> Any:
        """A key-padding mask (True = ignore) as SDPA's ``(B, 1, 1, S)`` mask (True = attend)."""
        return None if key_padding_mask is None else ~key_padding_mask[:, None, None, :]

    @composed
    def multi_head_attention(self, query: Any, key: Any, value: Any, in_proj_weight: Any, in_proj_bias: Any,
                             out_proj_weight: Any, out_proj_bias: Any, num_heads: int,
                             key_padding_mask: Any = None) -> Any:
        b, n, e = query.shape
        if num_heads <= 0 or e % num_heads or in_proj_weight.shape != (3 * e, e):
            raise ValueError(f"embed_dim {e} must be divisible by num_heads {num_heads}, in_proj_weight (3E, E)")
        q, k, v = (self._heads(self._project(x, in_proj_weight[i * e:(i + 1) * e],
                                             None if in_proj_bias is None else in_proj_bias[i * e:(i + 1) * e]),
                               num_heads)
                   for i, x in enumerate((query, key, value)))
        out = self.scaled_dot_product_attention(q, k, v, self._padding_to_sdpa(key_padding_mask))
        return self._project(self.xp.swapaxes(out, 1, 2).reshape(b, n, e), out_proj_weight, out_proj_bias)

    def _by_hand(self, q: Any, k: Any, v: Any, mask: Any, is_causal: bool, scale: float | None, enable_gqa: bool,
                 masked: float) -> Any:
        """Attention as written by hand: the kv heads repeated (``repeat`` is repeat_interleave in
        NumPy's API), ``q kᵀ·scale``, the boolean and causal masks filled with ``masked``, a float
        mask added, softmax, matmul; 16-bit floats computed in float32."""
        xp = self.xp
        if enable_gqa and q.ndim >= 3 and k.shape[-3] != q.shape[-3]:
            if k.shape[-3] == 0 or q.shape[-3] % k.shape[-3]:
                raise ValueError(f"query heads {q.shape[-3]} must be a multiple of key/value heads {k.shape[-3]}")
            group = q.shape[-3] // k.shape[-3]
            k, v = xp.repeat(k, group, axis=-3), xp.repeat(v, group, axis=-3)
        dtype = q.dtype
        work = xp.float32 if dtype.itemsize < 4 else dtype
        q, k, v = q.astype(work), k.astype(work), v.astype(work)
        logits = xp.matmul(q, xp.swapaxes(k, -1, -2)) * (1.0 / np.sqrt(q.shape[-1]) if scale is None else scale)
        if is_causal:
            logits = xp.where(self.causal_mask(q.shape[-2], k.shape[-2]), logits, masked)
        if mask is not None:
            logits = xp.where(mask, logits, masked) if mask.dtype == bool else logits + mask.astype(work)
        with np.errstate(invalid="ignore", over="ignore"):  # a row of -inf: exp(-inf - -inf) = NaN, as by hand
            e = xp.exp(logits - xp.max(logits, axis=-1, keepdims=True))
            return xp.matmul(e / xp.sum(e, axis=-1, keepdims=True), v).astype(dtype)

    def _norm(self, x: Any, params: Mapping[str, Any], i: int, eps: float) -> Any:
        return self.layer_norm(x, (x.shape[-1],), params[f"norm{i}_weight"], params[f"norm{i}_bias"], eps)

    @composed
    def encoder_layer(self, x: Any, params: Mapping[str, Any], num_heads: int, norm_first: bool = False,
                      eps: float = 1e-5) -> Any:
        p = params

        def attend(h: Any) -> Any:
            return self.multi_head_attention(h, h, h, p["in_proj_weight"], p["in_proj_bias"], p["out_proj_weight"],
                                             p["out_proj_bias"], num_heads)

        def feed_forward(h: Any) -> Any:
            hidden = self.xp.maximum(self._project(h, p["linear1_weight"], p["linear1_bias"]), 0)
            return self._project(hidden, p["linear2_weight"], p["linear2_bias"])

        if norm_first:
            x = x + attend(self._norm(x, p, 1, eps))
            return x + feed_forward(self._norm(x, p, 2, eps))
        x = self._norm(x + attend(x), p, 1, eps)
        return self._norm(x + feed_forward(x), p, 2, eps)

    @composed
    def transformer_encoder(self, x: Any, layers: Sequence[Mapping[str, Any]], num_heads: int, norm_first: bool = False,
                            final_norm: tuple[Any, Any] | None = None, eps: float = 1e-5) -> Any:
        if not layers:
            raise ValueError("layers must be a non-empty sequence of parameter mappings")
        for params in layers:
            x = self.encoder_layer(x, params, num_heads, norm_first, eps)
        return x if final_norm is None else self.layer_norm(x, (x.shape[-1],), *final_norm, eps)

    @composed
    def positional_encoding(self, max_len: int, d_model: int, dtype: str = "float32") -> Any:
        if d_model % 2:
            raise ValueError(f"d_model must be even, got {d_model}")
        xp = self.xp
        angle = xp.arange(max_len, dtype=xp.float64)[:, None] / 10000.0 ** (xp.arange(0, d_model, 2) / d_model)
        return xp.stack([xp.sin(angle), xp.cos(angle)], axis=-1).reshape(max_len, d_model).astype(self.dtype(dtype))

    @composed
    def bert_embeddings(self, input_ids: Any, token_type_ids: Any, word: Any, segment: Any, position: Any,
                        norm_weight: Any, norm_bias: Any, eps: float = 1e-12) -> Any:
        ids, types = self.xp.asarray(input_ids), self.xp.asarray(token_type_ids)
        total = self.embedding(word, ids) + self.embedding(segment, types) + position[: ids.shape[1]]
        return self.layer_norm(total, (word.shape[1],), norm_weight, norm_bias, eps)


class NumpyAttention(XpAttention):
    """NumPy (and CuPy, through ``self.xp``): attention composed as written by hand,
    ``masked_fill(−∞)``, softmax, matmul."""

    behaviours: ClassVar[dict[str, str]] = {"causal_alignment": "top_left", "fully_masked_row_bool": "nan",
                                            "fully_masked_row_float": "nan"}

    @composed
    def scaled_dot_product_attention(self, q: Any, k: Any, v: Any, mask: Any = None, is_causal: bool = False,
                                     scale: float | None = None, enable_gqa: bool = False) -> Any:
        return self._by_hand(q, k, v, mask, is_causal, scale, enable_gqa, -np.inf)


class TorchAttention:
    """PyTorch: ``F.scaled_dot_product_attention``, ``F.multi_head_attention_forward`` and the
    encoder modules run with the given arrays by ``torch.func.functional_call``."""

    behaviours: ClassVar[dict[str, str]] = {"causal_alignment": "top_left", "fully_masked_row_bool": "zero",
                                            "fully_masked_row_float": "zero"}

    def scaled_dot_product_attention(self, q: Any, k: Any, v: Any, mask: Any = None, is_causal: bool = False,
                                     scale: float | None = None, enable_gqa: bool = False) -> Any:
        if mask is not None and is_causal:  # SDPA takes one or the other: the causal mask joins the given one
            causal = self.causal_mask(q.shape[-2], k.shape[-2])
            mask = mask & causal if mask.dtype == self.torch.bool else mask.masked_fill(~causal, float("-inf"))
            is_causal = False
        return self.torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=is_causal,
                                                                     scale=scale, enable_gqa=enable_gqa)

    @composed
    def causal_mask(self, query_len: int, key_len: int) -> Any:
        return self.torch.ones(query_len, key_len, dtype=self.torch.bool, device=self.device).tril()

    def subsequent_mask(self, size: int) -> Any:
        return self.torch.nn.Transformer.generate_square_subsequent_mask(size, device=self.device,
                                                                          dtype=self.torch.float64)

    @composed
    def key_padding_mask(self, lengths: Any, max_len: int) -> Any:
        lengths = self.torch.as_tensor(lengths, device=self.device)
        return self.torch.arange(max_len, device=self.device)[None, :] >= lengths[:, None]

    def multi_head_attention(self, query: Any, key: Any, value: Any, in_proj_weight: Any, in_proj_bias: Any,
                             out_proj_weight: Any, out_proj_bias: Any, num_heads: int,
                             key_padding_mask: Any = None) -> Any:
        e = query.shape[-1]
        out, _ = self.torch.nn.functional.multi_head_attention_forward(
            query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1), e, num_heads, in_proj_weight,
            in_proj_bias, None, None, False, 0.0, out_proj_weight, out_proj_bias, training=False,
            key_padding_mask=key_padding_mask, need_weights=False)
        return out.transpose(0, 1)

    def _layer(self, x: Any, params: Mapping[str, Any], num_heads: int, norm_first: bool, eps: float) -> Any:
        e, ff = x.shape[-1], params["linear1_weight"].shape[0]
        return self.torch.nn.TransformerEncoderLayer(e, num_heads, ff, dropout=0.0, layer_norm_eps=eps, batch_first=True,
                                                     norm_first=norm_first, device=x.device, dtype=x.dtype).eval()

    def encoder_layer(self, x: Any, params: Mapping[str, Any], num_heads: int, norm_first: bool = False,
                      eps: float = 1e-5) -> Any:
        layer = self._layer(x, params, num_heads, norm_first, eps)
        weights = {TORCH_LAYER_NAMES[name]: a for name, a in params.items()}
        return self.torch.func.functional_call(layer, weights, (x,), strict=True)

    def transformer_encoder(self, x: Any, layers: Sequence[Mapping[str, Any]], num_heads: int, norm_first: bool = False,
                            final_norm: tuple[Any, Any] | None = None, eps: float = 1e-5) -> Any:
        if not layers:
            raise ValueError("layers must be a non-empty sequence of parameter mappings")
        nn = self.torch.nn
        norm = None if final_norm is None else nn.LayerNorm(x.shape[-1], eps, device=x.device, dtype=x.dtype)
        stack = nn.TransformerEncoder(self._layer(x, layers[0], num_heads, norm_first, eps), len(layers), norm=norm,
                                      enable_nested_tensor=False).eval()
        weights = {f"layers.{i}.{TORCH_LAYER_NAMES[name]}": a for i, p in enumerate(layers) for name, a in p.items()}
        if final_norm is not None:
            weights.update({"norm.weight": final_norm[0], "norm.bias": final_norm[1]})
        return self.torch.func.functional_call(stack, weights, (x,), strict=True)

    @composed
    def positional_encoding(self, max_len: int, d_model: int, dtype: str = "float32") -> Any:
        torch = self.torch
        if d_model % 2:
            raise ValueError(f"d_model must be even, got {d_model}")
        position = torch.arange(max_len, dtype=torch.float64, device=self.device)[:, None]
        angle = position / 10000.0 ** (torch.arange(0, d_model, 2, dtype=torch.float64, device=self.device) / d_model)
        return torch.stack([angle.sin(), angle.cos()], dim=-1).reshape(max_len, d_model).to(self.dtype(dtype))

    @composed
    def bert_embeddings(self, input_ids: Any, token_type_ids: Any, word: Any, segment: Any, position: Any,
                        norm_weight: Any, norm_bias: Any, eps: float = 1e-12) -> Any:
        f = self.torch.nn.functional
        ids = self.torch.as_tensor(input_ids, device=word.device)
        types = self.torch.as_tensor(token_type_ids, device=word.device)
        total = f.embedding(ids, word) + f.embedding(types, segment) + position[: ids.shape[1]]
        return f.layer_norm(total, (word.shape[1],), norm_weight, norm_bias, eps)

    @composed
    def transformer_defaults(self) -> dict[str, object]:
        nn = self.torch.nn
        defaults = {}
        for cls in (nn.TransformerEncoderLayer, nn.Transformer):
            for name, parameter in inspect.signature(cls).parameters.items():
                if name in ref.TRANSFORMER_DEFAULTS and parameter.default is not inspect.Parameter.empty:
                    value = parameter.default
                    defaults[name] = value.__name__ if callable(value) else value  # activation: F.relu
        return defaults


class JaxAttention(XpAttention):
    """JAX: ``jax.nn.dot_product_attention`` on ``(B, L, heads, E)`` arrays (GQA native: query
    head ``h`` reads kv head ``h // (Hq/Hkv)``), float64 by hand."""

    behaviours: ClassVar[dict[str, str]] = {"causal_alignment": "top_left", "fully_masked_row_bool": "mean",
                                            "fully_masked_row_float": "nan"}

    def _jit(self, method: Callable[..., Any], static: tuple[str, ...]) -> Callable[..., Any]:
        """``method`` bound to this backend and compiled once per shape by ``jax.jit`` (op by op,
        every new shape would compile each of its many small operations)."""
        cache = self.__dict__.setdefault("_jitted", {})
        if method not in cache:
            cache[method] = self.jax.jit(functools.partial(method, self), static_argnames=static)
        return cache[method]

    @composed
    def scaled_dot_product_attention(self, q: Any, k: Any, v: Any, mask: Any = None, is_causal: bool = False,
                                     scale: float | None = None, enable_gqa: bool = False) -> Any:
        return self._jit(JaxAttention._attend, ("is_causal", "scale", "enable_gqa"))(
            q, k, v, mask, is_causal=is_causal, scale=scale, enable_gqa=enable_gqa)

    @composed
    def multi_head_attention(self, query: Any, key: Any, value: Any, in_proj_weight: Any, in_proj_bias: Any,
                             out_proj_weight: Any, out_proj_bias: Any, num_heads: int,
                             key_padding_mask: Any = None) -> Any:
        return self._jit(XpAttention.multi_head_attention, ("num_heads",))(
            query, key, value, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, num_heads=num_heads,
            key_padding_mask=key_padding_mask)

    @composed
    def encoder_layer(self, x: Any, params: Mapping[str, Any], num_heads: int, norm_first: bool = False,
                      eps: float = 1e-5) -> Any:
        return self._jit(XpAttention.encoder_layer, ("num_heads", "norm_first", "eps"))(
            x, params, num_heads=num_heads, norm_first=norm_first, eps=eps)

    def _attend(self, q: Any, k: Any, v: Any, mask: Any = None, is_causal: bool = False,
                scale: float | None = None, enable_gqa: bool = False) -> Any:
        """Composed: the torch layout ``(..., H, L, E)`` is reshaped to jax's ``(B, L, H, E)``.
        ``dot_product_attention`` computes float64 logits in float32, so float64 is written by hand,
        with the same finite "minus infinity" for boolean and causal masks; 16-bit floats run in float32."""
        jnp = self.jnp
        if q.dtype == jnp.float64:
            return self._by_hand(q, k, v, mask, is_causal, scale, enable_gqa, float(jnp.finfo(q.dtype).min))
        if q.dtype.itemsize < 4:  # XLA's CPU dot has no float16 x float16 -> float32: compute in float32
            wide = [a if a is None or a.dtype == bool else a.astype(jnp.float32) for a in (q, k, v, mask)]
            return self._attend(*wide, is_causal, scale, enable_gqa).astype(q.dtype)
        if q.ndim < 2 or k.ndim != q.ndim or v.ndim != q.ndim:
            raise ValueError(f"query, key and value need one ndim >= 2, got {q.shape}, {k.shape}, {v.shape}")
        unbatched = q.ndim == 2
        if unbatched:
            q, k, v = q[None], k[None], v[None]
        if k.shape[-3] != q.shape[-3] and not enable_gqa:
            raise ValueError(f"query heads {q.shape[-3]} differ from key/value heads {k.shape[-3]} without enable_gqa")
        batch, (hq, n, _), s = q.shape[:-3], q.shape[-3:], k.shape[-2]

        def bthe(x: Any) -> Any:
            return jnp.swapaxes(x.reshape((-1,) + x.shape[-3:]), 1, 2)

        kwargs = {}
        if mask is not None:
            full = jnp.broadcast_to(mask, batch + (hq, n, s)).reshape((-1, hq, n, s))
            kwargs["mask" if mask.dtype == bool else "bias"] = full if mask.dtype == bool else full.astype(q.dtype)
        out = self.jax.nn.dot_product_attention(bthe(q), bthe(k), bthe(v), scale=scale, is_causal=is_causal, **kwargs)
        out = jnp.swapaxes(out, 1, 2).reshape(batch + (hq, n, v.shape[-1]))
        return out[0] if unbatched else out
