"""Broken backends for int8 quantization and LLM.int8() (Q01–Q03), built on the NumPy adapter."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlspec.backends.numpy import NumpyBackend


class AbsmaxUsesMean(NumpyBackend):
    """quantize_absmax scales by 127 / mean|x| instead of 127 / max|x|, so large values clip (Q01)."""

    name, catches = "absmax-uses-mean", ("test_quantize_absmax", "test_notes_quantize_examples", "test_round_trip_error")

    def quantize_absmax(self, x: Any, axis: int | None = None) -> tuple[Any, Any]:
        mean = np.asarray(np.mean(np.abs(x), axis=axis, keepdims=axis is not None))
        scale = 127 / np.where(mean == 0, 127, mean)
        return np.clip(np.round(x * scale), -127, 127).astype(np.int8), scale


class RoundsByTruncation(NumpyBackend):
    """quantize_absmax truncates x·scale toward zero (an int8 cast) instead of rounding it (Q01)."""

    name, catches = "rounds-by-truncation", ("test_quantize_absmax", "test_notes_quantize_examples",
                                             "test_round_trip_error")

    def quantize_absmax(self, x: Any, axis: int | None = None) -> tuple[Any, Any]:
        top = np.asarray(np.max(np.abs(x), axis=axis, keepdims=axis is not None))
        scale = 127 / np.where(top == 0, 127, top)
        return np.clip(x * scale, -127, 127).astype(np.int8), scale


class Int8WithoutOutlierSplit(NumpyBackend):
    """llm_int8_matmul quantizes every column, outliers included: plain vector-wise int8 (Q03)."""

    name, catches = "int8-without-outlier-split", ("test_llm_int8_matmul", "test_llm_int8_error_bound",
                                                   "test_notes_llm_int8_example")

    def llm_int8_matmul(self, x: Any, w: Any, threshold: float = 6.0) -> Any:
        return super().llm_int8_matmul(x, w, float("inf"))


class PerTensorScaleInLlmInt8(NumpyBackend):
    """llm_int8_matmul quantizes the regular part of x and w with one scale each, per tensor,
    where LLM.int8() has a scale per row of x and per column of w (Q03)."""

    name, catches = "per-tensor-scale-in-llm-int8", ("test_llm_int8_matmul", "test_llm_int8_error_bound",
                                                     "test_notes_llm_int8_example")

    def llm_int8_matmul(self, x: Any, w: Any, threshold: float = 6.0) -> Any:
        outliers = np.any(np.abs(x) >= threshold, axis=0)
        qx, sx = self.quantize_absmax(np.where(outliers, 0.0, x))
        qw, sw = self.quantize_absmax(np.where(outliers[:, None], 0.0, w))
        exact = np.where(outliers, x, 0.0) @ np.where(outliers[:, None], w, 0.0)
        return self.int8_matmul(qx, qw) / (sx * sw) + exact
