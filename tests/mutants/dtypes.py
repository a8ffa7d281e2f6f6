"""Broken backends for float16 and bfloat16 (D01–D04): wrong rounding, range, subnormals,
NaN, signed zero, bit reading, facts and names.  float16 bugs are built on the NumPy
adapter; bfloat16 bugs on the torch adapter, since NumPy has no bfloat16."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlspec.backends.numpy import NumpyBackend
from dlspec.backends.torch import TorchBackend

CAST_TESTS = ("test_cast_matches_reference_bits", "test_cast_edge_values")


def _bfloat16_by_bits(torch: Any, x: Any, upper: Callable[[np.ndarray], np.ndarray]) -> Any:
    """float32 -> bfloat16 done by hand on the 32-bit patterns: ``upper`` maps each pattern
    (as uint64) to one whose low 16 bits are then dropped."""
    bits = x.numpy().view(np.uint32).astype(np.uint64)
    kept = (upper(bits) & 0xFFFF0000).astype(np.uint32)
    return torch.from_numpy(kept.view(np.float32)).to(torch.bfloat16)  # exact: the low bits are 0


class Bfloat16Truncates(TorchBackend):
    """bfloat16 keeps the upper half of the float32 bits: rounding toward zero, not to nearest."""

    name, catches = "bf16-truncates", CAST_TESTS

    def cast(self, x: Any, dtype: str) -> Any:
        return _bfloat16_by_bits(self.torch, x, lambda bits: bits) if dtype == "bfloat16" else super().cast(x, dtype)


class Bfloat16RoundsHalfUp(TorchBackend):
    """bfloat16 rounds by adding 0x8000 before truncating: ties go away from zero, not to even."""

    name, catches = "bf16-rounds-half-up", CAST_TESTS

    def cast(self, x: Any, dtype: str) -> Any:
        return _bfloat16_by_bits(self.torch, x, lambda bits: bits + 0x8000) if dtype == "bfloat16" else super().cast(x, dtype)


class Bfloat16NanUnchecked(TorchBackend):
    """bfloat16 rounds to nearest even on the bits without first checking for NaN, so a NaN
    whose payload is in the low bits becomes inf, and one with all payload bits set, -0."""

    name, catches = "bf16-nan-unchecked", CAST_TESTS

    def cast(self, x: Any, dtype: str) -> Any:
        if dtype != "bfloat16":
            return super().cast(x, dtype)
        return _bfloat16_by_bits(self.torch, x, lambda bits: bits + 0x7FFF + ((bits >> 16) & 1))


class Float16FlushesSubnormals(NumpyBackend):
    """float16 results below the normal range are flushed to (signed) zero."""

    name, catches = "fp16-flushes-subnormals", CAST_TESTS

    def cast(self, x: Any, dtype: str) -> Any:
        out = super().cast(x, dtype)
        if dtype != "float16":
            return out
        return np.where(np.abs(out) < np.finfo(np.float16).smallest_normal, np.copysign(np.float16(0), out), out)


class Float16Saturates(NumpyBackend):
    """float16 overflow saturates to ±65504 instead of giving ±inf."""

    name, catches = "fp16-saturates", CAST_TESTS

    def cast(self, x: Any, dtype: str) -> Any:
        out = super().cast(x, dtype)
        if dtype != "float16":
            return out
        return np.where(np.isinf(out) & np.isfinite(x), np.copysign(np.finfo(np.float16).max, out), out)


class Float16TiesAwayFromZero(NumpyBackend):
    """float16 rounds ties away from zero instead of to even."""

    name, catches = "fp16-ties-away-from-zero", CAST_TESTS

    def cast(self, x: Any, dtype: str) -> Any:
        out = super().cast(x, dtype)
        if dtype != "float16":
            return out
        away = np.nextafter(out, np.copysign(np.inf, x).astype(np.float16))
        wide, exact = out.astype(np.float64), x.astype(np.float64)
        tie = (np.abs(wide) < np.abs(exact)) & (np.abs(exact - wide) == np.abs(away.astype(np.float64) - exact))
        return np.where(tie, away, out)


class Float16LosesZeroSign(NumpyBackend):
    """float16 results that are zero come out as +0, losing the sign of -0.0 and of negative
    values that underflow."""

    name, catches = "fp16-loses-zero-sign", CAST_TESTS

    def cast(self, x: Any, dtype: str) -> Any:
        out = super().cast(x, dtype)
        return np.where(out == 0, np.zeros_like(out), out) if dtype == "float16" else out


class Float16WideningFlushesSubnormals(NumpyBackend):
    """float16 -> float32 treats subnormal inputs as zero (a denormals-are-zero mode)."""

    name, catches = "fp16-widening-flushes-subnormals", ("test_every_pattern_decodes_as_the_layout_says",)

    def cast(self, x: Any, dtype: str) -> Any:
        out = super().cast(x, dtype)
        if x.dtype != np.float16:
            return out
        return np.where(np.abs(x) < np.finfo(np.float16).smallest_normal, np.copysign(np.zeros_like(out), out), out)


class Bits16ConvertsValues(NumpyBackend):
    """bits16 converts each value to an integer instead of reinterpreting its bits."""

    name, catches = "bits16-converts-values", (*CAST_TESTS, "test_every_pattern_decodes_as_the_layout_says")

    def bits16(self, x: Any) -> Any:
        with np.errstate(invalid="ignore"):
            return x.astype(np.uint16)


class FinfoEpsIsUnitRoundoff(NumpyBackend):
    """finfo reports the unit roundoff eps/2 (2**-11 for float16) as eps."""

    name, catches = "finfo-eps-is-unit-roundoff", ("test_finfo",)

    def finfo(self, dtype: str) -> dict[str, float]:
        return {**super().finfo(dtype), "eps": float(np.finfo(self.dtype(dtype)).epsneg)}


class FloatMeansHalf(TorchBackend):
    """dtype_alias reads "float" as half precision, as the notes' heading does (D04)."""

    name, catches = "float-means-half", ("test_float_alias_is_declared", "test_torch_float_is_float32")

    def dtype_alias(self, alias: str) -> str:
        return "float16" if alias == "float" else super().dtype_alias(alias)


class HalfMeansBfloat16(TorchBackend):
    """dtype_alias maps "half" to bfloat16, the other 16-bit float."""

    name, catches = "half-means-bfloat16", ("test_dtype_aliases", "test_torch_float_is_float32")

    def dtype_alias(self, alias: str) -> str:
        return "bfloat16" if alias == "half" else super().dtype_alias(alias)
