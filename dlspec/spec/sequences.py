"""Spec operations of padded sequences, attention masks and data loading (catalogue DA01–DA09)."""

from __future__ import annotations

from collections.abc import Sequence

from dlspec.spec import Array, spec_op


class SequenceOps:
    """Padded sequences, attention masks and data loading."""

    @spec_op("DA08")
    def pad_sequence(self, sequences: Sequence[Array], batch_first: bool = False, padding_value: float = 0.0,
                     padding_side: str = "right") -> Array:
        """``torch.nn.utils.rnn.pad_sequence``: ``(L_i, *)`` sequences into ``(max L, B, *)``,
        or ``(B, max L, *)`` with ``batch_first``, padded on ``padding_side``."""

    @spec_op("DA08")
    def left_pad_sequence(self, sequences: Sequence[Array], batch_first: bool = False,
                          padding_value: float = 0.0) -> Array:
        """The notes' ``left_pad_sequence``: padding before each sequence."""

    @spec_op("DA09")
    def attention_mask(self, input_ids: Array, pad_token_id: int) -> Array:
        """int64: 1 for every real token of a padded batch, 0 for ``pad_token_id``."""

    @spec_op("DA01 DA02 DA03")
    def load_batches(self, x: Array, y: Array, batch_size: int,
                     drop_last: bool = False) -> tuple[list[tuple[Array, Array]], list[list[int]]]:
        """The batches of a DataLoader (no shuffling, default collate) over a dataset of
        ``(x[i], y[i])`` pairs, and for each batch the indices the dataset was asked for while
        producing it."""
