"""KV-cache decoding, contiguous and paged (catalogue AT16).

Arrays are laid out ``(batch, seq, heads, head_dim)``, as flash-attention's KV cache and
vLLM's block pools are.  A *contiguous cache* holds ``max_len`` slots per sequence, of which
the first ``lengths[b]`` are filled; whatever lies beyond them is padding and must never be
read.

* :func:`kv_cache_append` writes ``T`` new tokens' keys and values of sequence ``b`` into
  slots ``positions[b], …, positions[b] + T − 1`` and leaves every other slot as it was
  (a functional update: it returns new caches).
* :func:`decode_attention` is causal attention of ``T`` new queries against the cache: the
  queries are the last ``T`` tokens of each sequence, query ``t`` of sequence ``b`` sits at
  position ``lengths[b] − T + t`` and attends to slots ``0 … lengths[b] − T + t``
  (bottom-right alignment).  ``T = lengths`` is prefill, ``T = 1`` one decoding step; either
  equals full causal attention over the whole prefix (:func:`causal_attention`).  With
  ``Hq`` query heads and ``Hkv`` key/value heads (GQA; ``Hkv = 1`` is MQA), query head ``h``
  reads key/value head ``h // (Hq // Hkv)``.  The scale is ``1/sqrt(head_dim)``.
* A *paged cache* (vLLM's PagedAttention) keeps keys in a pool of fixed-size blocks,
  ``(num_blocks, block_size, heads, head_dim)``; row ``b`` of a *block table* lists the
  blocks of sequence ``b`` in order, so its token ``p`` lives in slot ``p % block_size`` of
  block ``block_tables[b, p // block_size]`` (:func:`slot_mapping` flattens that to
  ``block · block_size + offset``).  :func:`paged_write` is the append, and
  :func:`paged_attention` equals :func:`decode_attention` over each sequence's blocks laid
  end to end (:func:`gather_pages`).

Everything is computed in float64 with explicit sums, one query at a time.
"""

from __future__ import annotations

import math

import numpy as np

from reference.guards import check_floats, typed
from reference.normalization import softmax


@typed
def kv_cache_append(cache_k: np.ndarray, cache_v: np.ndarray, k_new: np.ndarray, v_new: np.ndarray,
                    positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """New caches equal to ``cache_k``/``cache_v`` ``(B, max_len, H, D)`` except that slots
    ``positions[b] + t`` of sequence ``b`` hold ``k_new[b, t]``/``v_new[b, t]`` (``(B, T, H, D)``)."""
    return _append(cache_k, k_new, positions, "k"), _append(cache_v, v_new, positions, "v")


@typed
def decode_attention(q: np.ndarray, cache_k: np.ndarray, cache_v: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Causal attention of ``q`` ``(B, T, Hq, D)``, the last ``T`` tokens of each sequence,
    over the first ``lengths[b]`` slots of the caches ``(B, max_len, Hkv, D)``; returns
    ``(B, T, Hq, D)`` in float64 (see the module docstring for positions and GQA heads)."""
    q, k, v = (check_floats(a, name).astype(np.float64) for a, name in ((q, "q"), (cache_k, "cache_k"), (cache_v, "cache_v")))
    group = _attention_shapes(q, k, v)
    batch, steps, heads, dim = q.shape
    ends = _lengths(lengths, batch, steps, k.shape[1])
    out = np.zeros(q.shape)
    for b, t, h in np.ndindex(batch, steps, heads):
        visible = ends[b] - steps + t + 1
        keys, values = k[b, :visible, h // group], v[b, :visible, h // group]
        p = softmax((keys * q[b, t, h]).sum(axis=-1) / math.sqrt(dim))
        out[b, t, h] = (p[:, None] * values).sum(axis=0)
    return out


@typed
def causal_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Full causal self-attention over whole sequences ``(B, S, H, D)``: token ``i`` attends
    to tokens ``0 … i``; the result every decoding step must reproduce (AT16)."""
    q = check_floats(q, "q").astype(np.float64)
    if q.ndim != 4 or k.ndim != 4 or q.shape[1] != k.shape[1]:
        raise ValueError(f"causal attention takes (B, S, H, D) arrays of one length, got q {q.shape} and k {k.shape}")
    return decode_attention(q, k, v, np.full(q.shape[0], q.shape[1], dtype=np.int64))


@typed
def slot_mapping(block_tables: np.ndarray, positions: np.ndarray, num_tokens: int, block_size: int) -> np.ndarray:
    """The flat slots ``(B, num_tokens)`` that tokens ``positions[b] + t`` of each sequence
    occupy in a pool of ``block_size``-token blocks: ``block · block_size + offset``, with
    ``block = block_tables[b, p // block_size]`` and ``offset = p % block_size``."""
    tables = _integers(block_tables, "block_tables", 2)
    if num_tokens < 0:
        raise ValueError(f"num_tokens must be >= 0, got {num_tokens}")
    if block_size < 1:
        raise ValueError(f"block_size must be >= 1, got {block_size}")
    starts = _positions(positions, tables.shape[0], num_tokens, tables.shape[1] * block_size)
    tokens = starts[:, None] + np.arange(num_tokens)
    return tables[np.arange(tables.shape[0])[:, None], tokens // block_size] * block_size + tokens % block_size


@typed
def paged_write(pool: np.ndarray, block_tables: np.ndarray, positions: np.ndarray, new: np.ndarray) -> np.ndarray:
    """A new pool ``(num_blocks, block_size, H, D)`` equal to ``pool`` except that token
    ``positions[b] + t`` of sequence ``b`` (its slot by :func:`slot_mapping`) holds
    ``new[b, t]`` (``(B, T, H, D)``); two tokens mapped to one slot raise ``ValueError``."""
    _same_kind(pool, new, "pool", "new")
    if pool.ndim != 4 or new.ndim != 4 or pool.shape[2:] != new.shape[2:]:
        raise ValueError(f"paged_write takes a pool (num_blocks, block_size, H, D) and new tokens (B, T, H, D) "
                         f"with equal H and D, got {pool.shape} and {new.shape}")
    _check_blocks(block_tables, pool.shape[0])
    slots = slot_mapping(block_tables, positions, new.shape[1], pool.shape[1])
    if slots.shape[0] != new.shape[0]:
        raise ValueError(f"{slots.shape[0]} block tables for {new.shape[0]} sequences of new tokens")
    if len(np.unique(slots)) != slots.size:
        raise ValueError("two tokens map to one slot of the pool: sequences must not share blocks they write to")
    flat = pool.reshape(-1, *pool.shape[2:]).copy()
    flat[slots.reshape(-1)] = new.reshape(-1, *new.shape[2:])
    return flat.reshape(pool.shape)


@typed
def gather_pages(pool: np.ndarray, block_tables: np.ndarray) -> np.ndarray:
    """Each sequence's blocks laid end to end: ``(B, max_blocks · block_size, H, D)``, row
    ``b`` holding blocks ``block_tables[b, 0], block_tables[b, 1], …`` of ``pool``."""
    if pool.ndim != 4:
        raise ValueError(f"a pool is (num_blocks, block_size, H, D), got shape {pool.shape}")
    tables = _check_blocks(block_tables, pool.shape[0])
    return pool[tables].reshape(tables.shape[0], tables.shape[1] * pool.shape[1], *pool.shape[2:])


@typed
def paged_attention(q: np.ndarray, pool_k: np.ndarray, pool_v: np.ndarray, block_tables: np.ndarray,
                    lengths: np.ndarray) -> np.ndarray:
    """:func:`decode_attention` of ``q`` ``(B, T, Hq, D)`` over the paged caches: the same
    result as the contiguous cache that :func:`gather_pages` lays out."""
    return decode_attention(q, gather_pages(pool_k, block_tables), gather_pages(pool_v, block_tables), lengths)


# -- guards -----------------------------------------------------------------------------


def _same_kind(cache: np.ndarray, new: np.ndarray, cache_name: str, new_name: str) -> None:
    if cache.dtype != new.dtype:
        raise TypeError(f"{new_name} ({new.dtype}) must have the dtype of {cache_name} ({cache.dtype})")


def _integers(x: np.ndarray, what: str, ndim: int) -> np.ndarray:
    if x.dtype.kind not in "iu":
        raise TypeError(f"{what} must be an integer array, got dtype {x.dtype}")
    if x.ndim != ndim:
        raise ValueError(f"{what} must be {ndim}-D, got shape {x.shape}")
    return x.astype(np.int64)


def _positions(positions: np.ndarray, batch: int, steps: int, capacity: int) -> np.ndarray:
    """Start positions, one per sequence, whose ``steps`` tokens fit in ``capacity`` slots."""
    starts = _integers(positions, "positions", 1)
    if starts.shape[0] != batch:
        raise ValueError(f"positions holds {starts.shape[0]} entries for a batch of {batch}")
    if np.any(starts < 0) or np.any(starts + steps > capacity):
        raise ValueError(f"tokens at positions {starts.tolist()} + {steps} do not fit in {capacity} slots")
    return starts


def _lengths(lengths: np.ndarray, batch: int, steps: int, capacity: int) -> np.ndarray:
    ends = _integers(lengths, "lengths", 1)
    if ends.shape[0] != batch:
        raise ValueError(f"lengths holds {ends.shape[0]} entries for a batch of {batch}")
    if np.any(ends < steps) or np.any(ends > capacity):
        raise ValueError(f"lengths {ends.tolist()} must lie in [{steps}, {capacity}] for {steps} queries "
                         f"and caches of {capacity} slots")
    return ends


def _check_blocks(block_tables: np.ndarray, num_blocks: int) -> np.ndarray:
    tables = _integers(block_tables, "block_tables", 2)
    if np.any(tables < 0) or np.any(tables >= num_blocks):
        raise ValueError(f"block tables must name blocks in [0, {num_blocks}), got {tables.tolist()}")
    return tables


def _append(cache: np.ndarray, new: np.ndarray, positions: np.ndarray, what: str) -> np.ndarray:
    _same_kind(cache, new, f"cache_{what}", f"{what}_new")
    if cache.ndim != 4 or new.ndim != 4 or cache.shape[0] != new.shape[0] or cache.shape[2:] != new.shape[2:]:
        raise ValueError(f"the cache (B, max_len, H, D) and the new tokens (B, T, H, D) must agree in B, H and D, "
                         f"got {cache.shape} and {new.shape}")
    starts = _positions(positions, cache.shape[0], new.shape[1], cache.shape[1])
    out = cache.copy()
    for b, t in np.ndindex(new.shape[:2]):
        out[b, starts[b] + t] = new[b, t]
    return out


def _attention_shapes(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> int:
    """The query heads per key/value head, after checking the shapes agree."""
    if q.ndim != 4 or k.ndim != 4 or k.shape != v.shape:
        raise ValueError(f"attention takes q (B, T, Hq, D) and equal caches (B, max_len, Hkv, D), "
                         f"got {q.shape}, {k.shape} and {v.shape}")
    if q.shape[0] != k.shape[0] or q.shape[3] != k.shape[3]:
        raise ValueError(f"q {q.shape} and the cache {k.shape} differ in batch or head_dim")
    if q.shape[1] < 1 or q.shape[3] < 1 or k.shape[2] < 1 or q.shape[2] % k.shape[2]:
        raise ValueError(f"need T >= 1, head_dim >= 1 and query heads ({q.shape[2]}) a multiple of "
                         f"key/value heads ({k.shape[2]})")
    return q.shape[2] // k.shape[2]
