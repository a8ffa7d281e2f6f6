"""Conformance: KV-cache decoding, contiguous and paged (catalogue AT16, with AT09's GQA heads).

Every backend is compared with ``reference.kvcache`` (layout ``(batch, seq, heads, head_dim)``):

* writes into a cache, contiguous or paged, only move data: the new caches must equal the
  reference's bit for bit, every slot not written keeping its old value;
* attention results are compared in float64 and float32 under the tolerance policy: a
  score sums ``D`` products and the softmax and the weighted sum ``S`` more terms, and a
  score's error ``δ`` changes an output by up to ``2δ·(P·|V|)``, so ``terms = D + S`` and
  ``scale = (P·|V|)·(1 + 2·max_j |q|·|k_j| / sqrt(D))`` (``P·|V|`` from the reference);
* the incremental checks run the backend's own append and attention step after step, and
  compare every step with full causal attention over the whole prefix (AT16), for MHA, GQA
  and MQA heads, for a batch of sequences of different lengths, and for a paged cache.

Cache slots beyond a sequence's length hold other values throughout, so reading them (a
write one slot late, a mask that ignores the lengths, a wrong block) changes the results.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlspec import testing
from dlspec.api import Backend
from dlspec.compare import assert_conforms
from dlspec.strategies import draw_dtype, values_for
from reference import kvcache as ref

spec = pytest.mark.spec
#: Attention is compared in these; writes move data and are exact in any float dtype.
ATTENTION_DTYPES = ("float64", "float32")
WRITE_DTYPES = ("float64", "float32", "float16", "bfloat16")
#: Query heads and key/value heads of the incremental checks.
HEADS = [pytest.param(2, 2, id="MHA-2-heads"), pytest.param(4, 2, id="GQA-4-heads-2-kv"),
         pytest.param(3, 1, id="MQA-3-heads-1-kv")]


# -- helpers -----------------------------------------------------------------------------


def check_attention(backend: Backend, actual: object, q: np.ndarray, k: np.ndarray, v: np.ndarray, lengths: np.ndarray,
                    expected: np.ndarray, dtype: str, op: str) -> None:
    """Compare ``actual`` with ``expected`` (attention of ``q`` over contiguous caches ``k``/``v``
    and ``lengths``) under the policy's bound for attention described in the module docstring."""
    group = q.shape[2] // k.shape[2]
    kv = np.repeat(np.abs(k), group, axis=2)
    score_sums = np.einsum("bthd,bshd->bths", np.abs(q), kv).max(axis=-1) / math.sqrt(q.shape[-1])
    scale = ref.decode_attention(q, k, np.abs(v), lengths) * (1 + 2 * score_sums[..., None])
    assert_conforms(backend, actual, expected, op=op, dtype=dtype, terms=q.shape[-1] + k.shape[1], scale=scale,
                    inputs=f"q shape {q.shape}, caches {k.shape}, lengths {lengths.tolist()} as {dtype}")


def filled(x: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Sequences ``x`` ``(B, S, H, D)`` with zeros past each one's length: the cache slots a
    step may read, for the scale of :func:`check_attention`."""
    return np.where(np.arange(x.shape[1])[None, :, None, None] < lengths[:, None, None, None], x, 0.0)


def as_backend(backend: Backend, dtype: str, *arrays: np.ndarray) -> list[object]:
    """``arrays`` on the backend: floats in ``dtype``, integers as int64."""
    return [backend.asarray(a, dtype="int64" if a.dtype.kind in "iu" else dtype) for a in arrays]


def random_block_tables(data: st.DataObject, batch: int, per_sequence: int, spare: int) -> np.ndarray:
    """Block tables ``(batch, per_sequence)`` naming distinct blocks of a pool with ``spare``
    more, in a drawn order: no sequence's blocks are consecutive by construction."""
    order = data.draw(st.permutations(range(batch * per_sequence + spare)), label="block order")
    return np.array(order[: batch * per_sequence], dtype=np.int64).reshape(batch, per_sequence)


#: (batch, query heads, kv heads, head_dim, T new queries, max_len): MHA, GQA and MQA, one
#: or two new tokens, a single sequence and ragged batches.  A few shapes only: JAX compiles
#: each op once per shape, and the values, lengths, positions and block tables vary freely.
SHAPES = [(2, 2, 2, 2, 1, 5), (3, 4, 2, 3, 2, 6), (1, 3, 1, 1, 1, 3), (2, 2, 1, 4, 2, 4)]


@st.composite
def attention_shapes(draw: st.DrawFn) -> dict[str, int]:
    """One of :data:`SHAPES` as a dict."""
    batch, heads, kv_heads, dim, steps, slots = draw(st.sampled_from(SHAPES), label="shape")
    return {"batch": batch, "heads": heads, "kv_heads": kv_heads, "dim": dim, "steps": steps, "slots": slots}


def draw_lengths(data: st.DataObject, batch: int, low: int, high: int) -> np.ndarray:
    """One length per sequence in ``[low, high]``: a ragged batch."""
    return np.array([data.draw(st.integers(low, high), label="length") for _ in range(batch)], dtype=np.int64)


def draw_queries(data: st.DataObject, shape: dict[str, int], dtype: str) -> np.ndarray:
    """Queries ``(B, T, Hq, D)`` with values in [-1, 1], so scores stay moderate."""
    return values_for((shape["batch"], shape["steps"], shape["heads"], shape["dim"]), dtype, data) / 8


# -- contiguous cache ------------------------------------------------------------------------


@spec("AT16")
@given(shape=attention_shapes(), data=st.data())
def test_kv_cache_append(backend, shape, data):
    """AT16: appending T new tokens writes k_new[b, t] / v_new[b, t] into slot positions[b] + t
    of sequence b and leaves every other slot, earlier entries included, exactly as it was;
    the input caches are not modified (a functional update)."""
    fn = testing.op(backend, "kv_cache_append")
    dtype = draw_dtype(backend, data, WRITE_DTYPES)
    batch, steps = shape["batch"], shape["steps"]
    cache = (batch, shape["slots"], shape["kv_heads"], shape["dim"])
    new = (batch, steps, shape["kv_heads"], shape["dim"])
    arrays = [values_for(s, dtype, data) for s in (cache, cache, new, new)]
    positions = draw_lengths(data, batch, 0, shape["slots"] - steps)
    got_k, got_v = fn(*as_backend(backend, dtype, *arrays, positions))
    want_k, want_v = ref.kv_cache_append(*arrays, positions)
    for got, want, what in ((got_k, want_k, "k"), (got_v, want_v, "v")):
        assert_conforms(backend, got, want, op=f"kv_cache_append cache_{what}", dtype=dtype, exact=True,
                        inputs=f"caches {cache}, {steps} new tokens at positions {positions.tolist()} as {dtype}")


@spec("AT16", "AT09")
@given(shape=attention_shapes(), data=st.data())
def test_decode_attention(backend, shape, data):
    """AT16/AT09: attention of the last T tokens of each sequence over its first lengths[b]
    cache slots (a ragged batch: slots beyond a sequence's length hold other values and must
    not be read), causal: query t sees slots 0 … lengths[b] − T + t; query head h reads kv
    head h // (Hq / Hkv)."""
    fn = testing.op(backend, "decode_attention")
    dtype = draw_dtype(backend, data, ATTENTION_DTYPES)
    cache = (shape["batch"], shape["slots"], shape["kv_heads"], shape["dim"])
    q, k, v = draw_queries(data, shape, dtype), values_for(cache, dtype, data), values_for(cache, dtype, data)
    lengths = draw_lengths(data, shape["batch"], shape["steps"], shape["slots"])
    check_attention(backend, fn(*as_backend(backend, dtype, q, k, v, lengths)), q, k, v, lengths,
                    ref.decode_attention(q, k, v, lengths), dtype, "decode_attention")


@spec("AT16", "AT09")
@pytest.mark.parametrize(("heads", "kv_heads"), HEADS)
def test_incremental_decoding_matches_full_attention(backend, heads, kv_heads):
    """AT16: prefill a 3-token prompt into an empty cache and attend with its 3 queries, then
    decode 4 tokens one at a time (append its K and V at the current length, attend with its
    query over the cache): every step's output equals full causal attention over the whole
    prefix, for MHA, GQA and MQA heads.  The unused cache slots hold 1000s throughout."""
    append, attend = testing.op(backend, "kv_cache_append"), testing.op(backend, "decode_attention")
    batch, prompt, steps, dim, dtype = 2, 3, 4, 3, "float64"
    total = prompt + steps
    rng = np.random.default_rng(16)
    q, k, v = (rng.standard_normal((batch, total, h, dim)) for h in (heads, kv_heads, kv_heads))
    full = ref.causal_attention(q, k, v)
    cache_k, cache_v = as_backend(backend, dtype, *(np.full((batch, total, kv_heads, dim), 1e3),) * 2)
    length = 0
    for width in [prompt] + [1] * steps:
        new = slice(length, length + width)
        cache_k, cache_v = append(cache_k, cache_v, *as_backend(backend, dtype, k[:, new], v[:, new],
                                                                np.full(batch, length)))
        length += width
        lengths = np.full(batch, length)
        out = attend(*as_backend(backend, dtype, q[:, new]), cache_k, cache_v, *as_backend(backend, dtype, lengths))
        check_attention(backend, out, q[:, new], filled(k, lengths), filled(v, lengths), lengths, full[:, new], dtype,
                        f"decode step to length {length}")


# -- paged cache ---------------------------------------------------------------------------


@st.composite
def paged_shapes(draw: st.DrawFn) -> dict[str, int]:
    """:func:`attention_shapes` with blocks of 2 tokens (a sequence of 3 or 5 slots leaves its
    last block half used) and a pool with one spare block."""
    shape = draw(attention_shapes())
    return shape | {"block": 2, "per_sequence": -(-shape["slots"] // 2), "spare": 1}


def draw_pool(data: st.DataObject, shape: dict[str, int], dtype: str) -> np.ndarray:
    """A pool ``(num_blocks, block_size, Hkv, D)`` of values."""
    blocks = shape["batch"] * shape["per_sequence"] + shape["spare"]
    return values_for((blocks, shape["block"], shape["kv_heads"], shape["dim"]), dtype, data)


@spec("AT16")
@given(shape=paged_shapes(), data=st.data())
def test_paged_write(backend, shape, data):
    """AT16 (paged, as vLLM): token p of sequence b is written to offset p % block_size of block
    block_tables[b, p // block_size] (the slot mapping); every other slot of the pool keeps
    its value, bit for bit."""
    fn = testing.op(backend, "paged_write")
    dtype = draw_dtype(backend, data, WRITE_DTYPES)
    pool = draw_pool(data, shape, dtype)
    tables = random_block_tables(data, shape["batch"], shape["per_sequence"], shape["spare"])
    new = values_for((shape["batch"], shape["steps"], shape["kv_heads"], shape["dim"]), dtype, data)
    positions = draw_lengths(data, shape["batch"], 0, shape["per_sequence"] * shape["block"] - shape["steps"])
    got = fn(*as_backend(backend, dtype, pool, tables, positions, new))
    assert_conforms(backend, got, ref.paged_write(pool, tables, positions, new), op="paged_write", dtype=dtype,
                    exact=True, inputs=f"pool {pool.shape}, block tables {tables.tolist()}, positions "
                                       f"{positions.tolist()}, {shape['steps']} tokens as {dtype}")


@spec("AT16", "AT09")
@given(shape=paged_shapes(), data=st.data())
def test_paged_attention(backend, shape, data):
    """AT16 (paged): attention over a paged cache equals attention over the contiguous cache
    its block tables describe (each sequence's blocks laid end to end), for a ragged batch."""
    fn = testing.op(backend, "paged_attention")
    dtype = draw_dtype(backend, data, ATTENTION_DTYPES)
    pool_k, pool_v = draw_pool(data, shape, dtype), draw_pool(data, shape, dtype)
    tables = random_block_tables(data, shape["batch"], shape["per_sequence"], shape["spare"])
    q = draw_queries(data, shape, dtype)
    lengths = draw_lengths(data, shape["batch"], shape["steps"], shape["slots"])
    k, v = ref.gather_pages(pool_k, tables), ref.gather_pages(pool_v, tables)
    check_attention(backend, fn(*as_backend(backend, dtype, q, pool_k, pool_v, tables, lengths)), q, k, v, lengths,
                    ref.paged_attention(q, pool_k, pool_v, tables, lengths), dtype, "paged_attention")


@spec("AT16", "AT09")
@pytest.mark.parametrize("paged", [False, True], ids=["contiguous", "paged"])
@pytest.mark.parametrize(("heads", "kv_heads"), HEADS)
def test_ragged_batch_decoding(backend, heads, kv_heads, paged):
    """AT16: a batch of prompts of lengths 1, 4 and 2, written padded to 4 tokens (padding
    500s), then 3 decoding steps, each sequence appending at its own length: every step gives each
    sequence its own causal attention over its own prefix, as if it were decoded alone;
    the padding tokens written past a prompt are overwritten by its next tokens and never
    read.  Contiguous, and paged in blocks of 2 with shuffled block tables."""
    write = testing.op(backend, "paged_write" if paged else "kv_cache_append")
    attend = testing.op(backend, "paged_attention" if paged else "decode_attention")
    prompts, steps, dim, block, dtype = np.array([1, 4, 2]), 3, 2, 2, "float64"
    batch, total = len(prompts), prompts.max() + steps
    rng = np.random.default_rng(16)
    q, k, v = (rng.standard_normal((batch, total, h, dim)) for h in (heads, kv_heads, kv_heads))
    per_sequence = -(-total // block)
    tables = rng.permutation(batch * per_sequence + 1)[: batch * per_sequence].reshape(batch, per_sequence)
    pool = (tables.size + 1, block, kv_heads, dim)
    caches = as_backend(backend, dtype, *[np.full(pool if paged else (batch, total, kv_heads, dim), 1e3)] * 2)
    extra = as_backend(backend, dtype, tables) if paged else []
    lengths, width = np.zeros(batch, dtype=np.int64), prompts.max()
    for _ in range(steps + 1):
        rows = np.arange(batch)[:, None], lengths[:, None] + np.arange(width)
        padding = (np.arange(width) >= prompts[:, None])[:, :, None, None] if width > 1 else False
        news = as_backend(backend, dtype, np.where(padding, 500.0, k[rows]), np.where(padding, 500.0, v[rows]), lengths)
        if paged:
            caches = [write(caches[0], *extra, news[2], news[0]), write(caches[1], *extra, news[2], news[1])]
        else:
            caches = list(write(*caches, *news))
        lengths = lengths + (prompts if width > 1 else 1)
        now = np.arange(batch), lengths - 1
        out = attend(*as_backend(backend, dtype, q[now][:, None]), *caches, *extra,
                     *as_backend(backend, dtype, lengths))
        own = np.stack([ref.causal_attention(q[b:b + 1, :n], k[b:b + 1, :n], v[b:b + 1, :n])[0, -1]
                        for b, n in enumerate(lengths)])
        check_attention(backend, out, q[now][:, None], filled(k, lengths), filled(v, lengths), lengths, own[:, None],
                        dtype, f"{'paged' if paged else 'contiguous'} decoding to lengths {lengths.tolist()}")
        width = 1
