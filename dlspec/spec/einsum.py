"""Spec operations: einsum, unfold and convolution by einsum (catalogue E01–E09, S15)."""

from __future__ import annotations

from dlspec.spec import Array, spec_op

#: An int for both spatial dimensions, or one per dimension ``(height, width)``.
Pair = int | tuple[int, int]


class EinsumOps:
    """Einstein summation, ``torch.nn.functional.unfold`` and ``conv2d``."""

    @spec_op("E01 E02 E03 E04 E05 E06 E07")
    def einsum(self, equation: str, *operands: Array) -> Array:
        """Evaluate an einsum equation: multiply along equal labels, sum the labels missing
        from the output; without ``->`` the output is the labels seen once, sorted."""

    @spec_op("S15")
    def unfold(self, x: Array, kernel_size: Pair, dilation: Pair = 1, padding: Pair = 0, stride: Pair = 1) -> Array:
        """The sliding patches of an ``(N, C, H, W)`` array as columns: ``(N, C·kh·kw, L)``,
        each column ordered channel, kernel row, kernel column."""

    @spec_op("E08 E09")
    def conv2d(self, x: Array, weight: Array, stride: int = 1, padding: int = 0, dilation: int = 1) -> Array:
        """The cross-correlation of ``(N, C, H, W)`` with ``(O, C, kh, kw)``: ``(N, O, oh, ow)``."""
