"""The dtypes reference's own rules on known cases, and its guard clauses."""

from __future__ import annotations

import numpy as np
import pytest

from reference import dtypes as ref


@pytest.mark.parametrize(("dtype", "bits", "eps", "top", "normal", "subnormal", "one"), [
    ("float16", 16, 2.0**-10, 65504.0, 2.0**-14, 2.0**-24, 0x3C00),                             # D01
    ("bfloat16", 16, 2.0**-7, (2 - 2.0**-7) * 2.0**127, 2.0**-126, 2.0**-133, 0x3F80),       # D02
    ("float32", 32, 2.0**-23, float(np.finfo(np.float32).max), 2.0**-126, 2.0**-149, 0x3F800000),
])
def test_finfo_from_the_layout(dtype, bits, eps, top, normal, subnormal, one):
    assert ref.finfo(dtype) == ref.FloatInfo(bits, eps, top, normal, subnormal, one)
    assert ref.bias(dtype) << ref.LAYOUT[dtype][1] == one, "1.0 has the bias in its exponent field"


@pytest.mark.parametrize(("value", "fp16", "bf16"), [
    (1.0, 0x3C00, 0x3F80),                 # D01, D02
    (-2.0, 0xC000, 0xC000),
    (70000.0, 0x7C00, 0x4789),             # D03: fp16 overflows to inf, bf16 is 70144
    (1 + 2**-8, 0x3C04, 0x3F80),           # D03: exact in fp16; a tie in bf16, to even 1.0
    (1 + 3 * 2**-8, 0x3C0C, 0x3F82),       # a tie in bf16 whose even neighbour is above
    (1 + 2**-11, 0x3C00, 0x3F80),          # a tie in fp16, down to even
    (1 + 3 * 2**-11, 0x3C02, 0x3F80),      # a tie in fp16, up to even
    (65504.0, 0x7BFF, 0x4780),             # fp16 max
    (65520.0, 0x7C00, 0x4780),             # fp16 max + half a gap: a tie, to even = inf
    (65519.99609375, 0x7BFF, 0x4780),      # one float32 step below it
    (2.0**-24, 0x0001, 0x3380),            # fp16 smallest subnormal
    (2.0**-25, 0x0000, 0x3300),            # half of it: a tie, to even = 0
    (-(2.0**-25), 0x8000, 0xB300),         # ... keeping the sign
    (3 * 2.0**-25, 0x0002, 0x33C0),        # 1.5 subnormal steps: a tie, to 2
    (2.0**-14 - 2.0**-25, 0x0400, 0x3880), # largest subnormal + half a step carries into the smallest normal
    (2.0**-149, 0x0000, 0x0000),           # float32's smallest subnormal underflows in both
    (-0.0, 0x8000, 0x8000),
    (np.inf, 0x7C00, 0x7F80),
    (-np.inf, 0xFC00, 0xFF80),
    (float(np.finfo(np.float32).max), 0x7C00, 0x7F80),
])
def test_to_bits16_known_cases(value, fp16, bf16):
    x = np.array([value], dtype=np.float32)
    assert [int(ref.to_bits16(x, "float16")[0]), int(ref.to_bits16(x, "bfloat16")[0])] == [fp16, bf16]


def test_nan_gives_a_quiet_nan_even_with_only_low_payload_bits():
    nans = np.array([0x7FC00000, 0x7F800001, 0xFF800001, 0x7FFFFFFF], dtype=np.uint32).view(np.float32)
    assert ref.to_bits16(nans, "float16").tolist() == [0x7E00, 0x7E00, 0xFE00, 0x7E00]
    assert ref.to_bits16(nans, "bfloat16").tolist() == [0x7FC0, 0x7FC0, 0xFFC0, 0x7FC0]


@pytest.mark.parametrize(("bits", "fp16", "bf16"), [
    (0x3C00, 1.0, 2.0**-7),                          # fields 15 and 120, fraction 0
    (0x3F80, 1 + 0x380 / 2**10, 1.0),
    (0x4789, 4 * (1 + 0x389 / 2**10), 70144.0),
    (0x7BFF, 65504.0, (1 + 127 / 128) * 2.0**120),
    (0x0001, 2.0**-24, 2.0**-133),
    (0x7C00, np.inf, 2.0**121),
    (0xFF80, np.nan, -np.inf),
])
def test_from_bits16_known_cases(bits, fp16, bf16):
    pattern = np.array([bits], dtype=np.uint16)
    got = [float(ref.from_bits16(pattern, "float16")[0]), float(ref.from_bits16(pattern, "bfloat16")[0])]
    np.testing.assert_array_equal(got, [fp16, bf16])


@pytest.mark.parametrize("dtype", ref.FORMATS16)
def test_every_pattern_encodes_back_to_itself(dtype):
    """Every value of the format is exact, so it rounds to its own pattern; -0 keeps its sign."""
    patterns = np.arange(2**16, dtype=np.uint16)
    values = ref.from_bits16(patterns, dtype)
    number = ~np.isnan(values)
    assert np.array_equal(ref.to_bits16(values, dtype)[number], patterns[number])
    assert np.isnan(values).sum() == 2 * (2**ref.LAYOUT[dtype][1] - 1), "NaN: all-ones field, fraction not 0"
    assert np.signbit(values[0x8000]) and values[0x8000] == 0


def test_rounding_is_monotonic():
    values = np.sort(np.random.default_rng(0).standard_normal(10_000).astype(np.float32) * 3e4)
    for dtype in ref.FORMATS16:
        rounded = ref.from_bits16(ref.to_bits16(values, dtype), dtype)
        assert np.all(rounded[1:] >= rounded[:-1]), f"{dtype}: rounding must keep the order"


def test_round_to_rounds_float64_once_for_float16_and_via_float32_for_bfloat16():
    just_above_tie = 1 + 2**-11 + 2**-40  # float32 would make it a tie and round it down
    assert ref.round_to(np.array([just_above_tie]), "float16")[0] == 1 + 2**-10
    assert ref.round_to(np.array([1 + 2**-8 + 2**-40]), "bfloat16")[0] == 1.0
    assert ref.round_to(np.array([70000.0]), "float16")[0] == np.inf


def test_cast_and_float16_bits():
    x = np.array([1.0, 70000.0, -0.0], dtype=np.float32)
    half = ref.cast(x, "float16")
    assert half.dtype == np.float16 and ref.float16_bits(half).tolist() == [0x3C00, 0x7C00, 0x8000]
    wide = ref.cast(half, "float64")
    assert wide.dtype == np.float64 and wide.tolist() == [1.0, np.inf, 0.0] and np.signbit(wide[2])


def test_aliases():
    assert (ref.canonical_dtype("half"), ref.canonical_dtype("double")) == ("float16", "float64")
    with pytest.raises(ValueError, match="float32 in torch"):
        ref.canonical_dtype("float")


@pytest.mark.parametrize(("call", "error"), [
    (lambda: ref.eps("int8"), TypeError),
    (lambda: ref.finfo("int8"), TypeError),
    (lambda: ref.to_bits16(np.ones(2, np.float32), "float32"), TypeError),
    (lambda: ref.to_bits16(np.ones(2, np.int32), "float16"), TypeError),
    (lambda: ref.to_bits16(np.ones(2, np.float16), "float16"), TypeError),
    (lambda: ref.from_bits16(np.ones(2, np.float32), "float16"), TypeError),
    (lambda: ref.from_bits16(np.ones(2, np.uint16), "int8"), TypeError),
    (lambda: ref.cast(np.ones(2, np.float32), "bfloat16"), TypeError),
    (lambda: ref.cast(np.ones(2, np.int64), "float16"), TypeError),
    (lambda: ref.float16_bits(np.ones(2, np.float32)), TypeError),
    (lambda: ref.canonical_dtype("quad"), ValueError),
    (lambda: ref.round_to(np.ones(2), "int8"), TypeError),
])
def test_guard_clauses_raise_clear_errors(call, error):
    with pytest.raises(error) as info:
        call()
    assert len(str(info.value)) > 10, "the error message must say what is wrong"
