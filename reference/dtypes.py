"""Floating-point formats from their bit layout (catalogue D01–D03).

A binary format with ``m`` explicit mantissa bits has machine epsilon ``2**-m``; float16 is
1/5/10 bits, bfloat16 1/8/7 (the upper half of a float32).  :func:`round_to` rounds float64
values to a format with round-to-nearest-even, computed on the bits.
"""

from __future__ import annotations

import numpy as np

#: (exponent bits, mantissa bits) of each floating dtype.
LAYOUT: dict[str, tuple[int, int]] = {
    "float64": (11, 52),
    "float32": (8, 23),
    "float16": (5, 10),
    "bfloat16": (8, 7),
}


def eps(dtype: str) -> float:
    """Machine epsilon: the gap between 1.0 and the next representable value, 2**-mantissa."""
    if dtype.startswith("complex"):
        dtype = {"complex64": "float32", "complex128": "float64"}.get(dtype, dtype)
    if dtype not in LAYOUT:
        raise TypeError(f"{dtype!r} is not a floating dtype; known: {', '.join(LAYOUT)}")
    return 2.0 ** -LAYOUT[dtype][1]


def smallest_normal(dtype: str) -> float:
    """The smallest positive normal value, 2**(1 - bias) with bias 2**(exponent bits - 1) - 1."""
    if dtype not in LAYOUT:
        raise TypeError(f"{dtype!r} is not a floating dtype; known: {', '.join(LAYOUT)}")
    exponent_bits = LAYOUT[dtype][0]
    return 2.0 ** (2 - 2 ** (exponent_bits - 1))


def bfloat16_from_float32(values: np.ndarray) -> np.ndarray:
    """Round float32 values to bfloat16 (kept as float32): add 0x7FFF plus the lowest kept
    bit to the 32-bit pattern and clear the low 16 bits; NaN stays NaN, overflow gives inf."""
    x = np.asarray(values, dtype=np.float32)
    bits = x.view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16
    out = rounded.astype(np.uint32).view(np.float32)
    return np.where(np.isnan(x), np.float32(np.nan), out)


def round_to(values: np.ndarray, dtype: str) -> np.ndarray:
    """The float64 values nearest to ``values`` that ``dtype`` can represent."""
    x = np.asarray(values, dtype=np.float64)
    if dtype == "bfloat16":
        return bfloat16_from_float32(x.astype(np.float32)).astype(np.float64)
    if dtype in ("float64", "float32", "float16"):
        with np.errstate(over="ignore"):  # values beyond the format's range round to ±inf
            return x.astype(dtype).astype(np.float64)
    raise TypeError(f"cannot round to {dtype!r}; floating dtypes are {', '.join(LAYOUT)}")
