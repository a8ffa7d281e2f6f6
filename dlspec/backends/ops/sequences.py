"""Adapters' implementations of padded sequences, attention masks and data loading (DA01–DA09), one mixin per library;
each backend class in ``dlspec.backends`` inherits its library's mixin.

``pad_sequence`` is torch's own; elsewhere it is composed by concatenating padding blocks.
``left_pad_sequence`` is torchtune's formula, the notes' function (DA08).  Data loading is a
torch concept (``torch.utils.data``): the other libraries do not implement it.

Behaviour ``pad_sequence_trailing_shapes``: sequences whose trailing shapes differ are an
error in the spec (``"error"``); torch pads into the FIRST sequence's trailing shape and
broadcasts the others into it (``"broadcast"``), raising only where one does not broadcast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from dlspec.spec import composed
from reference import memory
from reference import sequences as ref
from reference.memory import Tensor


class ReferenceSequences:
    """The reference."""

    behaviours: ClassVar[dict[str, str]] = {"pad_sequence_trailing_shapes": "error"}

    def pad_sequence(self, sequences: Sequence[Tensor], batch_first: bool = False, padding_value: float = 0.0,
                     padding_side: str = "right") -> Tensor:
        return memory.from_numpy(ref.pad_sequence([memory.to_numpy(s) for s in sequences], batch_first,
                                                  padding_value, padding_side))

    def left_pad_sequence(self, sequences: Sequence[Tensor], batch_first: bool = False,
                          padding_value: float = 0.0) -> Tensor:
        return memory.from_numpy(ref.left_pad_sequence([memory.to_numpy(s) for s in sequences], batch_first,
                                                       padding_value))

    def attention_mask(self, input_ids: Tensor, pad_token_id: int) -> Tensor:
        return memory.from_numpy(ref.attention_mask(memory.to_numpy(input_ids), pad_token_id))

    def load_batches(self, x: Tensor, y: Tensor, batch_size: int,
                     drop_last: bool = False) -> tuple[list[tuple[Tensor, Tensor]], list[list[int]]]:
        batches, fetches = ref.load_batches(memory.to_numpy(x), memory.to_numpy(y), batch_size, drop_last)
        return [(memory.from_numpy(bx), memory.from_numpy(by)) for bx, by in batches], fetches


class XpSequences:
    """Libraries with NumPy's API under ``self.xp``: NumPy, CuPy and ``jax.numpy``; no padding
    function, so each row is the sequence and a block of padding, concatenated."""

    behaviours: ClassVar[dict[str, str]] = {"pad_sequence_trailing_shapes": "error"}

    @composed
    def pad_sequence(self, sequences: Sequence[Any], batch_first: bool = False, padding_value: float = 0.0,
                     padding_side: str = "right") -> Any:
        xp = self.xp
        if not sequences:
            raise ValueError("received an empty list of sequences")
        if padding_side not in ref.PADDING_SIDES:
            raise ValueError(f"padding_side must be one of {ref.PADDING_SIDES}, got {padding_side!r}")
        longest = max(s.shape[0] for s in sequences)
        dtype = xp.result_type(*sequences)
        rows = []
        for s in sequences:
            pad = xp.full((longest - s.shape[0],) + s.shape[1:], padding_value, dtype=dtype)
            rows.append(xp.concatenate([s.astype(dtype), pad] if padding_side == "right" else [pad, s.astype(dtype)]))
        out = xp.stack(rows)
        return out if batch_first else xp.swapaxes(out, 0, 1)

    @composed
    def left_pad_sequence(self, sequences: Sequence[Any], batch_first: bool = False,
                          padding_value: float = 0.0) -> Any:
        padded = self.pad_sequence([self.xp.flip(s, axis=0) for s in sequences], batch_first, padding_value)
        return self.xp.flip(padded, axis=1 if batch_first else 0)

    @composed
    def attention_mask(self, input_ids: Any, pad_token_id: int) -> Any:
        return (input_ids != pad_token_id).astype(self.xp.int64)


class NumpySequences(XpSequences):
    """NumPy (and CuPy, through ``self.xp``)."""


class TorchSequences:
    """PyTorch: ``torch.nn.utils.rnn.pad_sequence`` and ``torch.utils.data``."""

    behaviours: ClassVar[dict[str, str]] = {"pad_sequence_trailing_shapes": "broadcast"}

    def pad_sequence(self, sequences: Sequence[Any], batch_first: bool = False, padding_value: float = 0.0,
                     padding_side: str = "right") -> Any:
        return self.torch.nn.utils.rnn.pad_sequence(list(sequences), batch_first, padding_value, padding_side)

    @composed
    def left_pad_sequence(self, sequences: Sequence[Any], batch_first: bool = False,
                          padding_value: float = 0.0) -> Any:
        """torchtune's: reverse each sequence, right-pad, reverse the time axis back."""
        padded = self.torch.nn.utils.rnn.pad_sequence([s.flip(0) for s in sequences], batch_first, padding_value)
        return padded.flip(1 if batch_first else 0)

    @composed
    def attention_mask(self, input_ids: Any, pad_token_id: int) -> Any:
        return (input_ids != pad_token_id).long()

    @composed
    def load_batches(self, x: Any, y: Any, batch_size: int,
                     drop_last: bool = False) -> tuple[list[tuple[Any, Any]], list[list[int]]]:
        """A ``Dataset`` subclass that records its ``__getitem__`` calls, under a ``DataLoader``."""
        fetched: list[int] = []

        class Pairs(self.torch.utils.data.Dataset):
            def __len__(self) -> int:
                return x.shape[0]

            def __getitem__(self, index: int) -> tuple[Any, Any]:
                fetched.append(int(index))
                return x[index], y[index]

        batches, fetches = [], []
        for bx, by in self.torch.utils.data.DataLoader(Pairs(), batch_size=batch_size, drop_last=drop_last):
            fetches.append(fetched[sum(map(len, fetches)):])
            batches.append((bx, by))
        return batches, fetches


class JaxSequences(XpSequences):
    """JAX."""
