"""Spec operations of KV-cache decoding, contiguous and paged (catalogue AT16).

Layout ``(batch, seq, heads, head_dim)`` throughout, as flash-attention's KV cache and vLLM's
block pools; see :mod:`reference.kvcache` for the rules.
"""

from __future__ import annotations

from dlspec.spec import Array, spec_op


class KVCacheOps:
    """KV-cache decoding, contiguous and paged."""

    @spec_op("AT16")
    def kv_cache_append(self, cache_k: Array, cache_v: Array, k_new: Array, v_new: Array,
                        positions: Array) -> tuple[Array, Array]:
        """New caches ``(B, max_len, H, D)`` with ``k_new[b, t]``/``v_new[b, t]`` (``(B, T, H, D)``)
        in slot ``positions[b] + t`` of sequence ``b`` and every other slot unchanged; the
        input caches are left as they were."""

    @spec_op("AT16 AT09")
    def decode_attention(self, q: Array, cache_k: Array, cache_v: Array, lengths: Array) -> Array:
        """Causal attention of ``q`` ``(B, T, Hq, D)``, the last ``T`` tokens of each sequence,
        over the first ``lengths[b]`` cache slots ``(B, max_len, Hkv, D)``: query ``t`` sees
        slots ``0 … lengths[b] − T + t``; query head ``h`` reads kv head ``h // (Hq // Hkv)``."""

    @spec_op("AT16")
    def paged_write(self, pool: Array, block_tables: Array, positions: Array, new: Array) -> Array:
        """A new pool ``(num_blocks, block_size, H, D)`` with ``new[b, t]`` in the slot of token
        ``positions[b] + t`` of sequence ``b``: offset ``p % block_size`` of block
        ``block_tables[b, p // block_size]``; every other slot unchanged."""

    @spec_op("AT16 AT09")
    def paged_attention(self, q: Array, pool_k: Array, pool_v: Array, block_tables: Array, lengths: Array) -> Array:
        """``decode_attention`` over paged caches: sequence ``b``'s cache is the blocks
        ``block_tables[b]`` of the pools laid end to end."""
