"""Adapters' implementations of KV-cache decoding, contiguous and paged (AT16), one mixin per library;
each backend class in ``dlspec.backends`` inherits its library's mixin.

Every library composes the same four steps from its own calls: the slots the new tokens go
to (``positions[b] + t``, and for a paged cache ``block_tables[b, p // block_size] ·
block_size + p % block_size``, vLLM's slot mapping); a functional scatter into them (torch
``index_copy``, JAX ``.at[].set``, NumPy a copy and an indexed assignment); the pages of
each sequence gathered by its block table; and causal attention over the first
``lengths[b]`` slots (torch ``F.scaled_dot_product_attention`` with a boolean mask and
``enable_gqa``; NumPy and JAX the softmax of masked scores, kv heads repeated for GQA).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

from dlspec.spec import composed
from reference import kvcache as ref
from reference import memory
from reference.memory import Tensor


class ReferenceKVCache:
    """The reference: attention results in the query's dtype."""

    def kv_cache_append(self, cache_k: Tensor, cache_v: Tensor, k_new: Tensor, v_new: Tensor,
                        positions: Tensor) -> tuple[Tensor, Tensor]:
        k, v = ref.kv_cache_append(*(memory.to_numpy(a) for a in (cache_k, cache_v, k_new, v_new, positions)))
        return memory.from_numpy(k), memory.from_numpy(v)

    def decode_attention(self, q: Tensor, cache_k: Tensor, cache_v: Tensor, lengths: Tensor) -> Tensor:
        values = memory.to_numpy(q)
        out = ref.decode_attention(values, *(memory.to_numpy(a) for a in (cache_k, cache_v, lengths)))
        return memory.from_numpy(out.astype(values.dtype))

    def paged_write(self, pool: Tensor, block_tables: Tensor, positions: Tensor, new: Tensor) -> Tensor:
        return memory.from_numpy(ref.paged_write(*(memory.to_numpy(a) for a in (pool, block_tables, positions, new))))

    def paged_attention(self, q: Tensor, pool_k: Tensor, pool_v: Tensor, block_tables: Tensor,
                        lengths: Tensor) -> Tensor:
        values = memory.to_numpy(q)
        out = ref.paged_attention(values, *(memory.to_numpy(a) for a in (pool_k, pool_v, block_tables, lengths)))
        return memory.from_numpy(out.astype(values.dtype))


class CacheSteps:
    """The four ops from a library's primitives: ``_arange``, ``_scatter(flat, slots, rows)``
    (a new ``flat`` with ``flat[slots[i]] = rows[i]``), ``_gather(pool, block_tables)`` and
    ``_kv_attend(q, k, v, visible)`` (attention of ``(B, T, Hq, D)`` queries over ``(B, S, Hkv, D)``
    caches where the boolean ``visible`` ``(B, T, S)`` allows it)."""

    @composed
    def kv_cache_append(self, cache_k: Any, cache_v: Any, k_new: Any, v_new: Any, positions: Any) -> tuple[Any, Any]:
        batch, max_len = cache_k.shape[:2]
        tokens = positions[:, None] + self._arange(k_new.shape[1], positions)
        slots = (self._arange(batch, positions)[:, None] * max_len + tokens).reshape(-1)
        return self._write(cache_k, slots, k_new), self._write(cache_v, slots, v_new)

    @composed
    def decode_attention(self, q: Any, cache_k: Any, cache_v: Any, lengths: Any) -> Any:
        steps = q.shape[1]
        query_positions = lengths[:, None] - steps + self._arange(steps, lengths)
        visible = self._arange(cache_k.shape[1], lengths)[None, None, :] <= query_positions[:, :, None]
        return self._kv_attend(q, cache_k, cache_v, visible)

    @composed
    def paged_write(self, pool: Any, block_tables: Any, positions: Any, new: Any) -> Any:
        block_size = pool.shape[1]
        tokens = positions[:, None] + self._arange(new.shape[1], positions)
        rows = self._arange(block_tables.shape[0], positions)[:, None]
        slots = (block_tables[rows, tokens // block_size] * block_size + tokens % block_size).reshape(-1)
        return self._write(pool, slots, new)

    @composed
    def paged_attention(self, q: Any, pool_k: Any, pool_v: Any, block_tables: Any, lengths: Any) -> Any:
        return self.decode_attention(q, self._gather(pool_k, block_tables), self._gather(pool_v, block_tables), lengths)

    def _write(self, cache: Any, slots: Any, new: Any) -> Any:
        """``cache`` (its first two dims flattened into slots) with ``new``'s tokens in ``slots``."""
        flat = cache.reshape(-1, *cache.shape[2:])
        return self._scatter(flat, slots, new.reshape(-1, *new.shape[2:])).reshape(cache.shape)

    def _gather(self, pool: Any, block_tables: Any) -> Any:
        return pool[block_tables].reshape(block_tables.shape[0], -1, *pool.shape[2:])


class XpKVCache(CacheSteps):
    """Libraries with NumPy's API under ``self.xp``: the masked softmax written out, kv heads
    repeated (``repeat``, so query head ``h`` reads kv head ``h // group``)."""

    def _arange(self, n: int, like: Any) -> Any:
        return self.xp.arange(n, dtype=like.dtype)

    def _kv_attend(self, q: Any, k: Any, v: Any, visible: Any) -> Any:
        xp = self.xp
        group = q.shape[2] // k.shape[2]
        k, v = xp.repeat(k, group, axis=2), xp.repeat(v, group, axis=2)
        scores = xp.matmul(q.transpose(0, 2, 1, 3), k.transpose(0, 2, 3, 1)) / math.sqrt(q.shape[-1])
        scores = xp.where(visible[:, None], scores, -xp.inf)
        weights = xp.exp(scores - xp.max(scores, axis=-1, keepdims=True))
        weights = weights / xp.sum(weights, axis=-1, keepdims=True)
        return xp.matmul(weights, v.transpose(0, 2, 1, 3)).transpose(0, 2, 1, 3)


class NumpyKVCache(XpKVCache):
    """NumPy (and CuPy, through ``self.xp``): a copy, then an indexed assignment."""

    def _scatter(self, flat: Any, slots: Any, rows: Any) -> Any:
        out = flat.copy()
        out[slots] = rows
        return out


class TorchKVCache(CacheSteps):
    """PyTorch: ``index_copy`` (out of place) and ``F.scaled_dot_product_attention``."""

    def _arange(self, n: int, like: Any) -> Any:
        return self.torch.arange(n, dtype=like.dtype, device=like.device)

    def _scatter(self, flat: Any, slots: Any, rows: Any) -> Any:
        return flat.index_copy(0, slots, rows)

    def _kv_attend(self, q: Any, k: Any, v: Any, visible: Any) -> Any:
        sdpa = self.torch.nn.functional.scaled_dot_product_attention
        out = sdpa(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), attn_mask=visible[:, None],
                   enable_gqa=True)
        return out.transpose(1, 2)


class JaxKVCache(XpKVCache):
    """JAX: ``.at[slots].set`` (arrays are immutable); the four ops are jitted (one
    compilation per shape instead of one per primitive)."""

    @composed
    def kv_cache_append(self, cache_k: Any, cache_v: Any, k_new: Any, v_new: Any, positions: Any) -> tuple[Any, Any]:
        return self._kvcache_jit["kv_cache_append"](cache_k, cache_v, k_new, v_new, positions)

    @composed
    def decode_attention(self, q: Any, cache_k: Any, cache_v: Any, lengths: Any) -> Any:
        return self._kvcache_jit["decode_attention"](q, cache_k, cache_v, lengths)

    @composed
    def paged_write(self, pool: Any, block_tables: Any, positions: Any, new: Any) -> Any:
        return self._kvcache_jit["paged_write"](pool, block_tables, positions, new)

    @composed
    def paged_attention(self, q: Any, pool_k: Any, pool_v: Any, block_tables: Any, lengths: Any) -> Any:
        return self._kvcache_jit["paged_attention"](q, pool_k, pool_v, block_tables, lengths)

    @functools.cached_property
    def _kvcache_jit(self) -> dict[str, Callable[..., Any]]:
        """The compositions of :class:`CacheSteps` under ``jax.jit``."""
        names = ("kv_cache_append", "decode_attention", "paged_write", "paged_attention")
        return {name: self.jax.jit(functools.partial(getattr(CacheSteps, name), self)) for name in names}

    def _scatter(self, flat: Any, slots: Any, rows: Any) -> Any:
        return flat.at[slots].set(rows)
