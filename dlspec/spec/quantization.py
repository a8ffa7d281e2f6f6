"""Spec operations of absmax int8 quantization and LLM.int8() decomposition (catalogue Q01–Q03);
see :mod:`reference.quantization` for the rules."""

from __future__ import annotations

from dlspec.spec import Array, spec_op


class QuantizationOps:
    """Int8 quantization and LLM.int8() decomposition."""

    @spec_op("Q01 Q02")
    def quantize_absmax(self, x: Array, axis: int | None = None) -> tuple[Array, Array]:
        """``(q, scale)``: ``scale = 127 / max|x|`` over the tensor (``axis=None``, 0-d) or along
        ``axis`` (kept with size 1; a zero absmax gives 1), in ``x``'s dtype, and
        ``q = clip(round(x * scale), -127, 127)`` as int8, ties rounded to even."""

    @spec_op("Q01")
    def dequantize_absmax(self, q: Array, scale: Array) -> Array:
        """``q / scale`` in ``scale``'s dtype."""

    @spec_op("Q03")
    def int8_matmul(self, a: Array, b: Array) -> Array:
        """The product of int8 matrices ``(n, k) @ (k, m)`` as int32, exact."""

    @spec_op("Q03")
    def llm_int8_matmul(self, x: Array, w: Array, threshold: float = 6.0) -> Array:
        """LLM.int8(): columns of ``x`` (n, k) with any ``|x| >= threshold`` times the matching
        rows of ``w`` (k, m) in float, plus the rest through int8 with row scales of ``x`` and
        column scales of ``w``, multiplied exactly in int32; in ``x``'s dtype."""
