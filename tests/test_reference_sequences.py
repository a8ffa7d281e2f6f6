"""The sequences reference on hand-worked padding, the notes' examples (DA08, DA09), the
data-loading simulation (DA01–DA03), and its guard clauses."""

from __future__ import annotations

import numpy as np
import pytest

from reference import sequences as ref

NOTES = [np.array([1, 2, 3]), np.array([4]), np.array([5, 6])]


def test_pad_sequence_by_hand():
    assert ref.pad_sequence(NOTES, True, -1).tolist() == [[1, 2, 3], [4, -1, -1], [5, 6, -1]]
    assert ref.pad_sequence(NOTES, False, -1).tolist() == [[1, 4, 5], [2, -1, 6], [3, -1, -1]]   # (T, B)
    assert ref.pad_sequence(NOTES, True, 0, "left").tolist() == [[1, 2, 3], [0, 0, 4], [0, 5, 6]]
    trailing = ref.pad_sequence([np.ones((2, 3)), np.ones((1, 3))], batch_first=True)
    assert trailing.shape == (2, 2, 3) and trailing[1, 1].tolist() == [0.0, 0.0, 0.0]


def test_notes_left_pad_sequence():
    """DA08: [[1, 2, 3], [-1, -1, 4], [-1, 5, 6]] for batch_first=True, its transpose otherwise."""
    assert ref.left_pad_sequence(NOTES, True, -1).tolist() == [[1, 2, 3], [-1, -1, 4], [-1, 5, 6]]
    assert ref.left_pad_sequence(NOTES, False, -1).tolist() == [[1, -1, -1], [2, -1, 5], [3, 4, 6]]


def test_notes_attention_mask():
    """DA09: 8 real tokens then 8 pads give 8 ones (the notes print 7)."""
    row = np.array([[101, 1045, 5223, 2023, 2061, 2172, 999, 102] + [0] * 8])
    assert ref.attention_mask(row, 0).tolist() == [[1] * 8 + [0] * 8]
    assert ref.attention_mask(row, 0).dtype == np.int64


def test_dataset_and_loader():
    """DA01: len 10, ds[3] = ([3.0], 1); DA02: default collate stacks, x (4, 1), y [0, 1, 0, 1];
    DA03: the first batch fetched only indices 0..3, one at a time."""
    x, y = np.arange(10.0).reshape(10, 1), np.arange(10) % 2
    dataset = ref.PairDataset(x, y)
    assert len(dataset) == 10 and dataset[3][0].tolist() == [3.0] and dataset[3][1] == 1
    batches = ref.data_loader(ref.PairDataset(x, y), 4)
    first = next(batches)
    assert first[0].shape == (4, 1) and first[1].tolist() == [0, 1, 0, 1]
    loaded, fetches = ref.load_batches(x, y, 4)
    assert fetches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [b[0].shape[0] for b in loaded] == [4, 4, 2]
    assert ref.load_batches(x, y, 4, drop_last=True)[1] == [[0, 1, 2, 3], [4, 5, 6, 7]]


@pytest.mark.parametrize(("call", "error"), [
    (lambda: ref.pad_sequence([]), ValueError),
    (lambda: ref.pad_sequence([np.array(1.0)]), ValueError),
    (lambda: ref.pad_sequence([np.ones((2, 3)), np.ones((1, 2))]), ValueError),
    (lambda: ref.pad_sequence(NOTES, padding_side="middle"), ValueError),
    (lambda: ref.pad_sequence([[1, 2]]), TypeError),
    (lambda: ref.pad_sequence(NOTES, batch_first=1), TypeError),
    (lambda: ref.attention_mask(np.array([0.5]), 0), TypeError),
    (lambda: ref.PairDataset(np.ones(3), np.ones(2)), ValueError),
    (lambda: ref.PairDataset(np.ones(3), np.ones(3))[3], ValueError),
    (lambda: ref.data_loader(ref.PairDataset(np.ones(3), np.ones(3)), 0), ValueError),
    (lambda: ref.default_collate([]), ValueError),
])
def test_guard_clauses_raise_clear_errors(call, error):
    with pytest.raises(error) as info:
        call()
    assert len(str(info.value)) > 10, "the error message must say what is wrong"
