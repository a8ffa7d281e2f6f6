"""Broken backends for KV-cache decoding, contiguous and paged (AT16), built on the NumPy adapter."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlspec.backends.numpy import NumpyBackend


class AppendOneSlotLate(NumpyBackend):
    """kv_cache_append writes token t at slot positions[b] + t + 1, one slot late (AT16)."""

    name, catches = "append-one-slot-late", ("test_kv_cache_append", "test_incremental_decoding_matches_full_attention",
                                             "test_ragged_batch_decoding")

    def kv_cache_append(self, cache_k: Any, cache_v: Any, k_new: Any, v_new: Any, positions: Any) -> tuple[Any, Any]:
        late = np.minimum(positions + 1, cache_k.shape[1] - k_new.shape[1])
        return super().kv_cache_append(cache_k, cache_v, k_new, v_new, late)


class AppendOverwritesEarlierEntry(NumpyBackend):
    """kv_cache_append also writes the first new token over the entry before it (AT16:
    appending must never disturb earlier entries)."""

    name, catches = "append-overwrites-earlier-entry", ("test_kv_cache_append",
                                                        "test_incremental_decoding_matches_full_attention",
                                                        "test_ragged_batch_decoding")

    def kv_cache_append(self, cache_k: Any, cache_v: Any, k_new: Any, v_new: Any, positions: Any) -> tuple[Any, Any]:
        before = np.maximum(positions - 1, 0)
        cache_k, cache_v = super().kv_cache_append(cache_k, cache_v, k_new[:, :1], v_new[:, :1], before)
        return super().kv_cache_append(cache_k, cache_v, k_new, v_new, positions)


class DecodeIgnoresLengths(NumpyBackend):
    """decode_attention attends causally over every slot of the cache, padding included,
    as if every sequence were max_len long (AT16)."""

    name, catches = "decode-ignores-lengths", ("test_decode_attention", "test_ragged_batch_decoding",
                                               "test_paged_attention", "test_incremental_decoding_matches_full_attention")

    def decode_attention(self, q: Any, cache_k: Any, cache_v: Any, lengths: Any) -> Any:
        return super().decode_attention(q, cache_k, cache_v, np.full_like(lengths, cache_k.shape[1]))


class PagedIgnoresBlockTable(NumpyBackend):
    """paged_attention reads sequence b's blocks as b·M, b·M + 1, … (the pool read as if laid
    out contiguously), ignoring its block table (AT16)."""

    name, catches = "paged-ignores-block-table", ("test_paged_attention", "test_ragged_batch_decoding")

    def paged_attention(self, q: Any, pool_k: Any, pool_v: Any, block_tables: Any, lengths: Any) -> Any:
        blocks = np.arange(block_tables.size).reshape(block_tables.shape)
        return super().paged_attention(q, pool_k, pool_v, blocks, lengths)


class PagedWriteBlockOffByOne(NumpyBackend):
    """paged_write puts token p in block block_tables[b, p // block_size] + 1, the pool's next
    block, an off-by-one in the slot mapping (AT16)."""

    name, catches = "paged-write-block-off-by-one", ("test_paged_write", "test_ragged_batch_decoding")

    def paged_write(self, pool: Any, block_tables: Any, positions: Any, new: Any) -> Any:
        return super().paged_write(pool, (block_tables + 1) % pool.shape[0], positions, new)
