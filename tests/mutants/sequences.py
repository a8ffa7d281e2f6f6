"""Broken backends for padded sequences and attention masks (DA08, DA09), built on the NumPy adapter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from dlspec.backends.numpy import NumpyBackend


class LeftPadPadsOnTheRight(NumpyBackend):
    """left_pad_sequence puts the padding after each sequence, as pad_sequence does (DA08)."""

    name, catches = "left-pad-pads-on-the-right", ("test_left_pad_sequence", "test_notes_padding_example")

    def left_pad_sequence(self, sequences: Sequence[Any], batch_first: bool = False,
                          padding_value: float = 0.0) -> Any:
        return self.pad_sequence(sequences, batch_first, padding_value)


class AttentionMaskOffByOne(NumpyBackend):
    """the attention mask marks one real token too few, as the notes' printed example does (DA09)."""

    name, catches = "attention-mask-off-by-one", ("test_attention_mask", "test_notes_attention_mask_example")

    def attention_mask(self, input_ids: Any, pad_token_id: int) -> Any:
        real = (input_ids != pad_token_id).sum(axis=-1, keepdims=True)
        return (np.arange(input_ids.shape[-1]) < real - 1).astype(np.int64)


class PadSequenceBroadcastsUndeclared(NumpyBackend):
    """pad_sequence broadcasts differing trailing shapes into the first one's, as torch does,
    while declaring the spec's error (DA08)."""

    name, catches = "pad-sequence-broadcasts-undeclared", ("test_pad_sequence_trailing_shapes",)

    def pad_sequence(self, sequences: Sequence[Any], batch_first: bool = False, padding_value: float = 0.0,
                     padding_side: str = "right") -> Any:
        trailing = sequences[0].shape[1:]
        return super().pad_sequence([np.broadcast_to(s, s.shape[:1] + trailing) for s in sequences], batch_first,
                                    padding_value, padding_side)
