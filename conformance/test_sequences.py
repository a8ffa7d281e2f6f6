"""Conformance: padded sequences, attention masks and data loading (catalogue DA01–DA03,
DA08, DA09).

Padding and masks only move data, so every result is compared exactly with
``reference.sequences``: shape, dtype and values.  Data loading is a torch concept
(``torch.utils.data``); a backend implementing ``load_batches`` must produce the reference's
batches and fetch the same indices, one at a time, batch by batch.
"""

from __future__ import annotations

from math import prod
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlspec import testing
from dlspec.api import Backend
from dlspec.compare import assert_conforms
from reference import sequences as ref

spec = pytest.mark.spec
DTYPES = ("float32", "int64")


def check_padding(backend: Backend, name: str, sequences: list[np.ndarray], dtype: str, **options: Any) -> None:
    """Spec operation ``name`` on ``sequences`` given in ``dtype`` must equal the reference
    exactly, or raise where the reference raises."""
    fn = testing.op(backend, name)
    testing.require_dtype(backend, dtype)
    text = f"{[s.tolist() for s in sequences]} as {dtype}, {options}"
    given_sequences = [backend.asarray(s, dtype=dtype) for s in sequences]
    try:
        expected = getattr(ref, name)([s.astype(dtype) for s in sequences], **options)
    except (ValueError, TypeError):
        with testing.raises_as_spec(backend, f"{name}({text})"):
            fn(given_sequences, **options)
        return
    assert_conforms(backend, fn(given_sequences, **options), expected, op=name, exact=True, inputs=text)


@st.composite
def sequence_lists(draw: st.DrawFn) -> list[np.ndarray]:
    """1–4 sequences of lengths 0–4 (distinct values), sharing a trailing shape of () or (1–2,)."""
    trailing = draw(st.sampled_from(((), (2,), (1,))), label="trailing shape")
    lengths = draw(st.lists(st.integers(0, 4), min_size=1, max_size=4), label="lengths")
    start = np.cumsum([0] + [n * max(1, int(np.prod(trailing))) for n in lengths])
    return [np.arange(a, b, dtype=np.float64).reshape((n,) + trailing) + 1 for a, b, n in zip(start, start[1:], lengths)]


@spec("DA08")
@given(sequences=sequence_lists(), data=st.data(), batch_first=st.booleans(), padding_value=st.integers(-2, 0),
       padding_side=st.sampled_from(ref.PADDING_SIDES))
def test_pad_sequence(backend, sequences, data, batch_first, padding_value, padding_side):
    """DA08 (torch.nn.utils.rnn.pad_sequence): (L_i, *) sequences become (max L, B, *), or
    (B, max L, *) with batch_first; each sits at the start of its slot (padding_side right)
    or at its end (left), the rest is padding_value."""
    dtype = data.draw(st.sampled_from([d for d in DTYPES if d in backend.capabilities.dtypes]), label="dtype")
    check_padding(backend, "pad_sequence", sequences, dtype, batch_first=batch_first, padding_value=padding_value,
                  padding_side=padding_side)


@spec("DA08")
@pytest.mark.parametrize("trailing", [((2,), (1,)), ((1,), (2,)), ((2,), (3,)), ((2, 1), (2, 3))], ids=str)
def test_pad_sequence_trailing_shapes(backend, trailing):
    """DA08: pad_sequence's sequences share one trailing shape ``(L_i, *)``; the spec raises
    where they differ.  A backend declaring ``pad_sequence_trailing_shapes="broadcast"``
    (torch) pads into the first sequence's trailing shape and broadcasts the others into it,
    so it must equal the reference on the broadcast sequences, and raise where one does not
    broadcast."""
    sequences = [np.arange(1, 1 + n * prod(shape)).reshape((n, *shape)) for n, shape in zip((2, 3), trailing)]
    if testing.declared(backend, "pad_sequence_trailing_shapes") == "broadcast":
        try:
            sequences = [np.broadcast_to(s, s.shape[:1] + trailing[0]) for s in sequences]
        except ValueError:
            pass  # they do not broadcast: the sequences stay as drawn and the backend must raise
    check_padding(backend, "pad_sequence", sequences, "int64", batch_first=True)


@spec("DA08")
@given(sequences=sequence_lists(), batch_first=st.booleans(), padding_value=st.integers(-2, 0))
def test_left_pad_sequence(backend, sequences, batch_first, padding_value):
    """DA08: the notes' left_pad_sequence puts the padding before each sequence, so every
    sequence ends at the last time step."""
    check_padding(backend, "left_pad_sequence", sequences, "int64", batch_first=batch_first,
                  padding_value=padding_value)


@spec("DA08")
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("name", ["left_pad_sequence", "pad_sequence"])
def test_notes_padding_example(backend, name, batch_first):
    """DA08, the catalogue's example: [1, 2, 3], [4], [5, 6] left-padded with -1 and
    batch_first=True give [[1, 2, 3], [-1, -1, 4], [-1, 5, 6]]; batch_first=False gives the
    (T, B) = (3, 3) transpose; pad_sequence pads on the right.  An empty list raises."""
    sequences = [np.array([1, 2, 3]), np.array([4]), np.array([5, 6])]
    if name == "left_pad_sequence" and batch_first:
        np.testing.assert_array_equal(ref.left_pad_sequence(sequences, True, -1), [[1, 2, 3], [-1, -1, 4], [-1, 5, 6]])
    check_padding(backend, name, sequences, "int64", batch_first=batch_first, padding_value=-1)
    check_padding(backend, name, [], "int64", batch_first=batch_first)


@spec("DA09")
@given(data=st.data(), pad=st.integers(0, 3))
def test_attention_mask(backend, data, pad):
    """DA09: the attention mask of a padded batch is 1 for every real token and 0 for every
    padding token, as int64."""
    rows, length = data.draw(st.integers(1, 3), label="rows"), data.draw(st.integers(0, 6), label="length")
    ids = np.array(data.draw(st.lists(st.integers(0, 5), min_size=rows * length, max_size=rows * length),
                             label="ids"), dtype=np.int64).reshape(rows, length)
    check_mask(backend, ids, pad)


@spec("DA09")
def test_notes_attention_mask_example(backend):
    """DA09 (wrong in the notes): the tokenizer example's second row, 101 ... 102 then eight
    0s, has 8 real tokens, so its mask has 8 ones, not the 7 the notes print."""
    ids = np.array([[101, 1045, 1005, 2310, 2042, 3403, 2005, 1037, 17662, 12172, 2607, 2026, 2878, 2166, 1012, 102],
                    [101, 1045, 5223, 2023, 2061, 2172, 999, 102, 0, 0, 0, 0, 0, 0, 0, 0]])
    assert ref.attention_mask(ids, 0)[1].tolist() == [1] * 8 + [0] * 8
    check_mask(backend, ids, 0)


def check_mask(backend: Backend, ids: np.ndarray, pad: int) -> None:
    """The backend's attention mask of ``ids`` must equal the reference's exactly (int64)."""
    actual = testing.op(backend, "attention_mask")(backend.asarray(ids), pad)
    assert_conforms(backend, actual, ref.attention_mask(ids, pad), op="attention_mask", exact=True,
                    inputs=f"{ids.tolist()}, pad={pad}")


@spec("DA01", "DA02", "DA03")
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize(("size", "batch_size"), [(10, 4), (8, 4), (5, 1), (3, 7)])
def test_load_batches(backend, size, batch_size, drop_last):
    """DA01–DA03: a Dataset of (x[i], y[i]) pairs under a DataLoader (no shuffling): the
    default collate stacks the samples into batches of batch_size (x (4, 1), y [0, 1, 0, 1]),
    the last short batch kept unless drop_last; and each batch is fetched lazily, one
    __getitem__ per index, only when it is asked for ([0, 1, 2, 3] for the first batch)."""
    fn = testing.op(backend, "load_batches")
    x, y = np.arange(size, dtype=np.float32).reshape(size, 1), np.arange(size) % 2
    batches, fetches = ref.load_batches(x, y, batch_size, drop_last)
    got_batches, got_fetches = fn(backend.asarray(x), backend.asarray(y), batch_size, drop_last)
    assert got_fetches == fetches, f"{backend.name}: fetched {got_fetches}, expected one index at a time: {fetches}"
    assert len(got_batches) == len(batches), f"{backend.name}: {len(got_batches)} batches, expected {len(batches)}"
    for (bx, by), (ex, ey) in zip(got_batches, batches):
        assert_conforms(backend, bx, ex, op="load_batches (x)", exact=True, inputs=f"size={size}, bs={batch_size}")
        assert_conforms(backend, by, ey, op="load_batches (y)", exact=True, inputs=f"size={size}, bs={batch_size}")
