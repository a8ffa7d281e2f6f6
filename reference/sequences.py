"""Padded sequences, attention masks and data loading (catalogue DA01–DA03, DA08, DA09).

* ``pad_sequence`` follows ``torch.nn.utils.rnn.pad_sequence``: sequences of shapes
  ``(L_i, *)`` with one trailing shape become ``(max L, B, *)``, or ``(B, max L, *)`` with
  ``batch_first``; each sequence sits at the start of its slot (``padding_side="right"``) or
  at its end (``"left"``), the rest is ``padding_value``.
* ``left_pad_sequence`` is the notes' function (DA08): the same with the padding on the left,
  as torchtune computes it (reverse each sequence, right-pad, reverse the time axis back).
* ``attention_mask`` is 1 for every real token and 0 for padding (DA09).
* :class:`PairDataset` and :func:`data_loader` simulate ``torch.utils.data``: a dataset has a
  length and returns one ``(x, y)`` sample per index (DA01); the loader fetches each batch one
  index at a time, only when the batch is asked for, and collates by stacking (DA02, DA03).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from reference.guards import check_choice, check_int

PADDING_SIDES = ("right", "left")


def pad_sequence(sequences: Sequence[np.ndarray], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> np.ndarray:
    """Stack ``(L_i, *)`` sequences into one padded array, ``(max L, B, *)`` or with
    ``batch_first`` ``(B, max L, *)``; the dtype is the sequences' common one."""
    arrays = _sequences(sequences)
    _check_flag(batch_first, "batch_first")
    check_choice(padding_side, "padding_side", PADDING_SIDES)
    if isinstance(padding_value, bool) or not isinstance(padding_value, (int, float, np.integer, np.floating)):
        raise TypeError(f"padding_value must be a number, got {type(padding_value).__name__}")
    longest = max(a.shape[0] for a in arrays)
    dtype = np.result_type(*arrays)
    out = np.empty((len(arrays), longest) + arrays[0].shape[1:], dtype=dtype)
    for i, a in enumerate(arrays):
        start = 0 if padding_side == "right" else longest - a.shape[0]
        for t in range(longest):
            inside = start <= t < start + a.shape[0]
            out[i, t] = a[t - start] if inside else padding_value
    return out if batch_first else np.swapaxes(out, 0, 1)


def left_pad_sequence(sequences: Sequence[np.ndarray], batch_first: bool = False,
                      padding_value: float = 0.0) -> np.ndarray:
    """The notes' ``left_pad_sequence`` (DA08): like :func:`pad_sequence`, but each sequence
    ends at the end of its slot, the padding before it."""
    return pad_sequence(sequences, batch_first, padding_value, padding_side="left")


def attention_mask(input_ids: np.ndarray, pad_token_id: int) -> np.ndarray:
    """int64 mask of a padded batch of token ids: 1 where the id is a real token, 0 where it
    is ``pad_token_id`` (DA09)."""
    if not isinstance(input_ids, np.ndarray) or input_ids.dtype.kind not in "iu":
        raise TypeError(f"input_ids must be a NumPy integer array, got {getattr(input_ids, 'dtype', type(input_ids))}")
    pad = check_int(pad_token_id, "pad_token_id")
    return np.where(input_ids == pad, 0, 1).astype(np.int64)


class PairDataset:
    """A map-style dataset of ``(x[i], y[i])`` pairs (DA01) that records every index it is
    asked for in ``fetched``."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
            raise TypeError("x and y must be NumPy arrays")
        if x.ndim < 1 or y.ndim < 1 or x.shape[0] != y.shape[0]:
            raise ValueError(f"x and y need one first dimension of equal size, got {x.shape} and {y.shape}")
        self.x, self.y, self.fetched = x, y, []

    def __len__(self) -> int:
        return self.x.shape[0]

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        i = check_int(index, "index")
        if not 0 <= i < len(self):
            raise ValueError(f"index {i} out of range for a dataset of {len(self)} samples")
        self.fetched.append(i)
        return self.x[i], self.y[i]


def default_collate(samples: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """A batch of ``(x, y)`` samples as ``(stacked xs, stacked ys)``: a new first dimension (DA02)."""
    if not samples:
        raise ValueError("cannot collate an empty batch")
    return np.stack([np.asarray(x) for x, _ in samples]), np.stack([np.asarray(y) for _, y in samples])


def data_loader(dataset: PairDataset, batch_size: int, drop_last: bool = False) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Batches of ``batch_size`` consecutive samples, each fetched one index at a time only
    when the batch is asked for (DA03) and collated by stacking; a last short batch is kept
    unless ``drop_last``."""
    if not isinstance(dataset, PairDataset):
        raise TypeError(f"dataset must be a PairDataset, got {type(dataset).__name__}")
    if check_int(batch_size, "batch_size") < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    _check_flag(drop_last, "drop_last")
    return _batches(dataset, batch_size, drop_last)


def _batches(dataset: PairDataset, batch_size: int, drop_last: bool) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    for start in range(0, len(dataset), batch_size):
        indices = range(start, min(start + batch_size, len(dataset)))
        if drop_last and len(indices) < batch_size:
            return
        yield default_collate([dataset[i] for i in indices])


def load_batches(x: np.ndarray, y: np.ndarray, batch_size: int,
                 drop_last: bool = False) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[list[int]]]:
    """Every batch of :func:`data_loader` over ``PairDataset(x, y)``, and for each batch the
    indices the dataset was asked for while producing it (DA01–DA03)."""
    dataset = PairDataset(x, y)
    batches, fetches = [], []
    for batch in data_loader(dataset, batch_size, drop_last):
        fetches.append(dataset.fetched[sum(map(len, fetches)):])
        batches.append(batch)
    return batches, fetches


def _sequences(sequences: object) -> list[np.ndarray]:
    if not isinstance(sequences, (list, tuple)) or not all(isinstance(s, np.ndarray) for s in sequences):
        raise TypeError("sequences must be a list of NumPy arrays")
    if not sequences:
        raise ValueError("received an empty list of sequences")
    if any(s.ndim < 1 for s in sequences):
        raise ValueError("every sequence needs a time dimension (at least 1-D)")
    if len({s.shape[1:] for s in sequences}) > 1:
        raise ValueError(f"sequences must share their trailing shape, got {[s.shape for s in sequences]}")
    return list(sequences)


def _check_flag(value: object, what: str) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what} must be a bool, got {type(value).__name__}")
