"""Floating-point formats from their bit layout (catalogue D01–D04).

A binary format with ``e`` exponent bits and ``m`` explicit mantissa bits stores a sign, a
biased exponent *field* and a *fraction*.  With ``bias = 2**(e - 1) - 1``:

* field 0: zero and the subnormals, ``fraction * 2**(1 - bias - m)``;
* field 1 … ``2**e - 2``: the normals, ``(2**m + fraction) * 2**(field - bias - m)``;
* field all ones: infinity (fraction 0) or NaN (any other fraction).

float16 is 1/5/10 bits (IEEE binary16), bfloat16 1/8/7 (the upper half of a float32); every
fact below (eps, max, smallest normal and subnormal, the bits of 1.0) follows from that.
:func:`to_bits16` rounds real values to a 16-bit format with round-to-nearest-even, on the
integers of the bits, and :func:`from_bits16` reads patterns back; neither uses NumPy's
float16 cast, which is one of the behaviours under test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reference.guards import typed

#: (exponent bits, mantissa bits) of each floating dtype.
LAYOUT: dict[str, tuple[int, int]] = {
    "float64": (11, 52),
    "float32": (8, 23),
    "float16": (5, 10),
    "bfloat16": (8, 7),
}

#: The formats :func:`to_bits16` and :func:`from_bits16` encode: 1 sign bit + e + m = 16.
FORMATS16 = ("float16", "bfloat16")

#: Names that mean one IEEE format in every library (D04).  ``"float"`` is not here: it is
#: float32 in torch (C's ``float``) but float64 in NumPy (Python's ``float``).
ALIASES: dict[str, str] = {"half": "float16", "double": "float64"}


@typed
def eps(dtype: str) -> float:
    """Machine epsilon: the gap between 1.0 and the next representable value, 2**-mantissa."""
    if dtype.startswith("complex"):
        dtype = {"complex64": "float32", "complex128": "float64"}.get(dtype, dtype)
    return 2.0 ** -_layout(dtype)[1]


@typed
def bias(dtype: str) -> int:
    """The exponent bias, 2**(exponent bits - 1) - 1: the field of 1.0 (15 for float16, 127
    for bfloat16 and float32)."""
    return 2 ** (_layout(dtype)[0] - 1) - 1


@typed
def smallest_normal(dtype: str) -> float:
    """The smallest positive normal value, 2**(1 - bias) with bias 2**(exponent bits - 1) - 1."""
    return 2.0 ** (1 - bias(dtype))


@typed
def smallest_subnormal(dtype: str) -> float:
    """The smallest positive value, fraction 1 in field 0: 2**(1 - bias - mantissa bits)."""
    return 2.0 ** (1 - bias(dtype) - _layout(dtype)[1])


@typed
def max_finite(dtype: str) -> float:
    """The largest finite value: all fraction bits set in the largest field,
    (2 - 2**-mantissa) * 2**bias."""
    return (2.0 - eps(dtype)) * 2.0 ** bias(dtype)


@dataclass(frozen=True)
class FloatInfo:
    """What ``finfo`` reports for a format, every entry computed from its layout."""

    bits: int
    eps: float
    max: float
    smallest_normal: float
    smallest_subnormal: float
    one: int  #: the bit pattern of 1.0: the bias in the exponent field, fraction 0


@typed
def finfo(dtype: str) -> FloatInfo:
    """The facts of ``dtype`` from its bit layout (D01, D02): float16 has 16 bits, eps 2**-10,
    max 65504 and 1.0 = 0x3C00; bfloat16 16 bits, eps 2**-7, max ≈ 3.39e38 and 1.0 = 0x3F80."""
    exponent_bits, mantissa_bits = _layout(dtype)
    return FloatInfo(
        bits=1 + exponent_bits + mantissa_bits,
        eps=eps(dtype),
        max=max_finite(dtype),
        smallest_normal=smallest_normal(dtype),
        smallest_subnormal=smallest_subnormal(dtype),
        one=bias(dtype) << mantissa_bits,
    )


@typed
def canonical_dtype(alias: str) -> str:
    """The format a library-independent alias names: ``half`` is float16 (IEEE half
    precision), ``double`` float64 (D04).  Raises ``ValueError`` for ``"float"``, whose
    meaning differs between libraries, and for unknown names."""
    if alias == "float":
        raise ValueError("'float' is float32 in torch (C float) but float64 in NumPy (Python float); "
                         "each backend declares its meaning as behaviour 'float_alias'")
    if alias not in ALIASES:
        raise ValueError(f"unknown dtype alias {alias!r}; known: {', '.join(ALIASES)}")
    return ALIASES[alias]


# -- encoding and decoding 16-bit patterns ----------------------------------------------


@typed
def to_bits16(values: np.ndarray, dtype: str) -> np.ndarray:
    """The ``dtype`` (float16 or bfloat16) bit patterns, as uint16, of the values nearest to
    ``values`` (float32 or float64, taken exactly), rounding ties to the even pattern.

    Each value is an integer significand times a power of two.  Near it, the format's
    neighbours are 2**gap apart, with gap = exponent - m (never below the subnormal gap,
    1 - bias - m); the significand is divided by that gap and rounded to the nearest integer
    ``n``, ties to even.  ``n`` then drops into the pattern as it is: a normal ``n`` carries
    the implicit leading 1 into the exponent field, so a carry out of the fraction moves into
    the exponent, rounding up the largest subnormal gives the smallest normal, and rounding
    past the largest finite value gives infinity.  Signs, that of zero too, are kept; NaN
    gives a quiet NaN.
    """
    exponent_bits, mantissa_bits = _layout16(dtype)
    b = bias(dtype)
    x = _exact_float64(values)
    raw = x.view(np.uint64)
    sign = (raw >> np.uint64(63)).astype(np.int64)
    field64 = ((raw >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64)
    fraction64 = (raw & np.uint64(2**52 - 1)).astype(np.int64)
    significand = np.where(field64 > 0, fraction64 | 2**52, fraction64)
    power = np.maximum(field64, 1) - 1023 - 52  # |x| == significand * 2**power
    gap = np.maximum(field64 - 1023, 1 - b) - mantissa_bits
    # Significands are below 2**53, so dropping more than 54 bits rounds to 0 like dropping 54.
    shift = np.minimum(gap - power, 54)
    kept = significand >> shift
    rest = significand - (kept << shift)
    half = (1 << shift) >> 1
    n = kept + ((rest > half) | ((rest == half) & (kept % 2 == 1)))
    # The exponent field (gap + m + bias) in place, less the implicit 1 a normal n holds;
    # anything from the overflow threshold up, infinity included, is capped at infinity.
    infinity = (2**exponent_bits - 1) << mantissa_bits
    magnitude = np.minimum(((gap + mantissa_bits + b - 1) << mantissa_bits) + n, infinity)
    magnitude = np.where(np.isnan(x), infinity | 1 << (mantissa_bits - 1), magnitude)
    return ((sign << (exponent_bits + mantissa_bits)) | magnitude).astype(np.uint16)


@typed
def from_bits16(bits: np.ndarray, dtype: str) -> np.ndarray:
    """The float32 values of ``dtype`` (float16 or bfloat16) bit patterns, each exact: the
    field and fraction read back as in the module docstring."""
    exponent_bits, mantissa_bits = _layout16(dtype)
    bits = np.asarray(bits)
    if bits.dtype != np.uint16:
        raise TypeError(f"bit patterns are uint16, got {bits.dtype}")
    p = bits.astype(np.int64)
    sign = np.where(p >> (exponent_bits + mantissa_bits) == 1, -1.0, 1.0)
    field = (p >> mantissa_bits) & (2**exponent_bits - 1)
    fraction = p & (2**mantissa_bits - 1)
    significand = np.where(field > 0, fraction + 2**mantissa_bits, fraction)
    magnitude = np.ldexp(significand.astype(np.float64), np.maximum(field, 1) - bias(dtype) - mantissa_bits)
    special = np.where(fraction == 0, np.inf, np.nan)
    magnitude = np.where(field == 2**exponent_bits - 1, special, magnitude)
    return np.copysign(magnitude, sign).astype(np.float32)


@typed
def cast(values: np.ndarray, dtype: str) -> np.ndarray:
    """float32 or float64 ``values`` rounded to float16 (the :func:`to_bits16` patterns, read
    as float16), or float16 ``values`` widened to float32 or float64 (exactly, by
    :func:`from_bits16`).  bfloat16 has no NumPy storage: use the two functions directly."""
    x = np.asarray(values)
    if dtype == "float16" and x.dtype in (np.float32, np.float64):
        return to_bits16(x, "float16").view(np.float16)
    if x.dtype == np.float16 and dtype in ("float32", "float64"):
        return from_bits16(x.view(np.uint16), "float16").astype(dtype)
    raise TypeError(f"the reference casts float32/float64 to float16 and float16 to float32/float64, "
                    f"not {x.dtype} to {dtype!r}")


@typed
def float16_bits(values: np.ndarray) -> np.ndarray:
    """The raw patterns of float16 ``values`` as uint16: the same bytes, reinterpreted."""
    x = np.asarray(values)
    if x.dtype != np.float16:
        raise TypeError(f"float16_bits reads float16 values, got {x.dtype}")
    return x.view(np.uint16)


@typed
def bfloat16_from_float32(values: np.ndarray) -> np.ndarray:
    """Round float32 values to bfloat16 (kept as float32) with round-to-nearest-even; NaN
    stays NaN, overflow gives inf."""
    x = np.asarray(values, dtype=np.float32)
    return from_bits16(to_bits16(x, "bfloat16"), "bfloat16")


@typed
def round_to(values: np.ndarray, dtype: str) -> np.ndarray:
    """The float64 values nearest to ``values`` that ``dtype`` can represent (bfloat16 by
    way of float32, as libraries convert to it)."""
    x = np.asarray(values, dtype=np.float64)
    if dtype == "bfloat16":
        return bfloat16_from_float32(x.astype(np.float32)).astype(np.float64)
    if dtype == "float16":
        return from_bits16(to_bits16(x, "float16"), "float16").astype(np.float64)
    if dtype in ("float64", "float32"):
        with np.errstate(over="ignore"):  # values beyond the format's range round to ±inf
            return x.astype(dtype).astype(np.float64)
    raise TypeError(f"cannot round to {dtype!r}; floating dtypes are {', '.join(LAYOUT)}")


# -- guards ---------------------------------------------------------------------------


def _layout(dtype: str) -> tuple[int, int]:
    if dtype not in LAYOUT:
        raise TypeError(f"{dtype!r} is not a floating dtype; known: {', '.join(LAYOUT)}")
    return LAYOUT[dtype]


def _layout16(dtype: str) -> tuple[int, int]:
    if dtype not in FORMATS16:
        raise TypeError(f"{dtype!r} is not a 16-bit floating format; known: {', '.join(FORMATS16)}")
    return LAYOUT[dtype]


def _exact_float64(values: np.ndarray) -> np.ndarray:
    """``values`` as a float64 array; raises ``TypeError`` for non-floating input, whose
    conversion would be a rounding of its own."""
    x = np.asarray(values)
    if x.dtype.kind != "f" or x.dtype.itemsize not in (4, 8):
        raise TypeError(f"to_bits16 encodes float32 or float64 values, got {x.dtype}")
    with np.errstate(invalid="ignore"):  # a signalling NaN widens to a quiet one: still NaN
        return x.astype(np.float64)
