"""Perf: one KV-cache decoding step (catalogue AT16, AT09), contiguous and paged, MHA and GQA.

A decoding step attends with one new query per sequence over everything cached, so it is
bound by memory: it must read the K and V of every cached token once, ``2 · Σ lengths ·
Hkv · D · s`` bytes for s bytes per element, reported as GB/s and as a fraction of the
copy bandwidth; its ``4 · Σ lengths · Hq · D`` FLOPs are negligible.  GQA (4 query heads
per kv head) reads the same cache for four times the queries.  The batch is ragged
(lengths S, 3S/4, S/2, S/4, …): an implementation that masks a padded cache reads the
padding too, which the fraction shows.  The paged cache holds the same tokens in blocks of
BLOCK tokens under shuffled block tables.  With ``--benchmark-disable`` the workload runs
once at a small size and is checked against the reference under the attention tolerance of
``conformance/test_kvcache.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from conformance.test_kvcache import check_attention
from dlspec import bench, testing
from reference import kvcache as ref
from reference.dtypes import round_to

spec = pytest.mark.spec
#: (batch, kv heads, head_dim) of a benchmark run, and of the small checked run.
DIMS, SMALL_DIMS = (8, 8, 128), (2, 2, 8)
#: Tokens per block of the paged cache, benchmark run and small run.
BLOCK, SMALL_BLOCK = 16, 4
#: Query heads per kv head.
GROUPS = {"MHA": 1, "GQA": 4}


@spec("AT16", "AT09")
@pytest.mark.parametrize("layout", ["contiguous", "paged"])
@pytest.mark.parametrize("heads", list(GROUPS))
def test_decode_step(perf, backend, heads, layout):
    """AT16: one decoding step, decode_attention over a contiguous cache or paged_attention
    over a block pool; the caches fill the run's byte budget (K and V together)."""
    fn = testing.op(backend, "paged_attention" if layout == "paged" else "decode_attention")
    (batch, kv_heads, dim), block = (DIMS, BLOCK) if perf.benchmark.enabled else (SMALL_DIMS, SMALL_BLOCK)
    rows, cols = perf.matrix_shape()
    slots = rows * cols // 2 // (batch * kv_heads * dim) // block * block
    lengths = slots - (np.arange(batch) % 4) * slots // 4
    rng = np.random.default_rng(0)
    q = round_to(rng.standard_normal((batch, 1, kv_heads * GROUPS[heads], dim)), perf.dtype)
    k, v = (round_to(rng.standard_normal((batch, slots, kv_heads, dim)), perf.dtype) for _ in range(2))
    if layout == "paged":
        per_sequence = slots // block
        tables = rng.permutation(batch * per_sequence).reshape(batch, per_sequence)
        pools = [np.empty((batch * per_sequence, block, kv_heads, dim)) for _ in range(2)]
        for pool, cache in zip(pools, (k, v)):
            pool[tables] = cache.reshape(batch, per_sequence, block, kv_heads, dim)
        caches = [perf.backend.asarray(p, dtype=perf.dtype) for p in pools] + [perf.backend.asarray(tables)]
    else:
        caches = [perf.backend.asarray(c, dtype=perf.dtype) for c in (k, v)]
    args = [perf.backend.asarray(q, dtype=perf.dtype), *caches, perf.backend.asarray(lengths)]
    read = int(lengths.sum()) * kv_heads * dim
    out = perf.measure(lambda: fn(*args), shape=k.shape, bytes_min=2 * read * bench.itemsize(perf.dtype),
                       flops=4 * read * GROUPS[heads])
    if not perf.benchmark.enabled:
        check_attention(backend, out, q, k, v, lengths, ref.decode_attention(q, k, v, lengths), perf.dtype,
                        f"{layout} {heads} decode step")
