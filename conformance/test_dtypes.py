"""Conformance: the 16-bit float formats, float16 and bfloat16 (catalogue D01–D04).

Every backend's casts from float32 to float16 and to bfloat16 are compared, bit for bit,
with ``reference.dtypes.to_bits16``: the library's own result is read back as raw 16-bit
patterns with its ``bits16`` (a reinterpretation, e.g. ``x.view(torch.uint16)``), so the
sign of zero counts too.  Where the reference gives NaN, any NaN passes: IEEE 754 leaves a
NaN's sign and payload to the implementation, and the libraries do differ there.
"""

from __future__ import annotations

from math import prod

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlspec import testing
from dlspec.backends.torch import TorchBackend
from dlspec.compare import ConformanceError, assert_conforms
from dlspec.spec.dtypes import FINFO_KEYS
from reference import dtypes as ref

spec = pytest.mark.spec
FORMATS = ("float16", "bfloat16")
#: Few distinct shapes: jax compiles once per shape.
SHAPES = ((), (6,), (3, 4), (2, 3, 4))


# -- comparing bit patterns --------------------------------------------------------------


def _float32(bits: np.ndarray) -> np.ndarray:
    """The float32 values whose patterns are ``bits``."""
    return np.asarray(bits, dtype=np.uint32).view(np.float32)


def _describe(values: np.ndarray, limit: int = 24) -> str:
    """Float32 inputs as their exact patterns, e.g. ``float32 bits [0x3F800000], shape (1,)``."""
    shown = [f"0x{int(b):08X}" for b in np.ravel(values).view(np.uint32)[:limit]]
    more = f" and {values.size - limit} more" if values.size > limit else ""
    return f"float32 bits [{', '.join(shown)}]{more}, shape {values.shape}"


def _is_nan(bits: np.ndarray, dtype: str) -> np.ndarray:
    """Where patterns of ``dtype`` (uint16 for the 16-bit formats, uint32 for float32) are NaN."""
    return np.isnan(bits.view(np.float32) if dtype == "float32" else ref.from_bits16(bits, dtype))


def _assert_bits(backend, got: np.ndarray, want: np.ndarray, dtype: str, values: np.ndarray, what: str) -> None:
    """Fail unless the backend's patterns ``got`` equal the reference's ``want`` bit for bit;
    where ``want`` is a NaN, any NaN pattern passes (sign and payload are the library's)."""
    bad = (got != want) & ~(_is_nan(want, dtype) & _is_nan(got, dtype))
    if np.any(bad):
        width = 2 * got.itemsize
        rows = [f"input 0x{int(i):08X} ({float(v)!r}): got 0x{int(g):0{width}X}, expected 0x{int(w):0{width}X}"
                for i, v, g, w in zip(values.view(np.uint32)[bad], values[bad], got[bad], want[bad])][:5]
        raise ConformanceError(f"{backend.name} {what}: {int(np.sum(bad))} of {bad.size} patterns differ from the "
                               f"reference\n  " + "\n  ".join(rows) + f"\n{testing.reproduction(backend, what, _describe(values))}")


def _patterns(backend, x) -> np.ndarray:
    """The raw 16-bit patterns of backend array ``x``, by its ``bits16``, as NumPy uint16."""
    bits = testing.op(backend, "bits16")(x)
    if backend.shape(bits) != backend.shape(x) or backend.dtype_name(bits) != "uint16":
        raise ConformanceError(f"{backend.name} bits16: {backend.dtype_name(bits)} {backend.shape(bits)}, "
                               f"expected uint16 {backend.shape(x)}\n{testing.reproduction(backend, 'bits16', '')}")
    return backend.to_numpy(bits)


def _check_cast(backend, values: np.ndarray, dtype: str) -> None:
    """Cast float32 ``values`` to ``dtype`` on the backend; compare shape, dtype and values,
    then every pattern bit for bit, with the reference."""
    testing.require_dtype(backend, dtype)
    out = testing.op(backend, "cast")(backend.asarray(values, dtype="float32"), dtype)
    want = ref.to_bits16(values, dtype)
    assert_conforms(backend, out, ref.from_bits16(want, dtype), op=f"cast to {dtype}", dtype=dtype, exact=True,
                    inputs=_describe(values))
    _assert_bits(backend, _patterns(backend, out), want, dtype, values, f"cast to {dtype}")


# -- float32 -> float16 / bfloat16, random (D01 D02 D03) ---------------------------------


@st.composite
def _ties(draw: st.DrawFn, dtype: str) -> int:
    """The float32 pattern of a value exactly halfway between two neighbouring finite
    ``dtype`` values, or one float32 step off it: the values the tie rule decides."""
    largest = int(ref.to_bits16(np.float32(ref.finfo(dtype).max), dtype))
    pattern = draw(st.integers(0, largest - 1))
    low, high = ref.from_bits16(np.array([pattern, pattern + 1], dtype=np.uint16), dtype).astype(np.float64)
    middle = int(np.float32((low + high) / 2).view(np.uint32))  # exact: one bit more than the format
    return (middle + draw(st.sampled_from((0, 0, -1, 1)))) | draw(st.sampled_from((0, 1 << 31)))


@st.composite
def _float32_arrays(draw: st.DrawFn, dtype: str) -> np.ndarray:
    """Float32 arrays mixing three sources: hypothesis' own floats (zeros, infinities, NaNs,
    extremes, subnormals), raw bit patterns (every binade alike) and ties of ``dtype``."""
    shape = draw(st.sampled_from(SHAPES), label="shape")
    element = st.one_of(
        st.floats(width=32).map(lambda v: int(np.float32(v).view(np.uint32))),
        st.integers(0, 2**32 - 1),
        _ties(dtype),
    )
    bits = draw(st.lists(element, min_size=prod(shape), max_size=prod(shape)), label="float32 bits")
    return _float32(bits).reshape(shape)


@spec("D01", "D02", "D03")
@pytest.mark.parametrize("dtype", FORMATS)
@given(data=st.data())
def test_cast_matches_reference_bits(backend, dtype, data):
    """D01/D02/D03: float32 -> float16 (1/5/10 bits) and -> bfloat16 (1/8/7 bits) round to
    nearest, ties to even, overflow to ±inf, keep subnormals and signed zeros and NaN, bit
    for bit as the reference computes from the layouts, on random float32 values."""
    _check_cast(backend, data.draw(_float32_arrays(dtype)), dtype)


# -- float32 -> float16 / bfloat16, curated edges (D01 D02 D03) --------------------------


def _edges(dtype: str) -> dict[str, np.ndarray]:
    """Named positive float32 inputs at the edges of ``dtype``, from the reference's layout
    facts; each case is also checked with the sign bit set."""
    info = ref.finfo(dtype)
    tiny, normal, eps = info.smallest_subnormal, info.smallest_normal, info.eps
    overflow = info.max + eps * 2.0 ** ref.bias(dtype) / 2  # max + half its gap: a tie, to even = inf
    cases = {
        "D01-D02-one-two-half": [1.0, 2.0, 0.5],
        "D03-70000-fp16-inf-bf16-70144": [70000.0],
        "D03-one-plus-2^-8-fp16-exact-bf16-tie-to-1": [1 + 2**-8],
        "tie-above-one-rounds-down-to-even": [1 + eps / 2],
        "tie-rounds-up-to-even": [1 + 3 * eps / 2],
        "max-finite": [info.max],
        "overflow-threshold-tie-goes-to-inf": [overflow],
        "just-below-overflow-threshold-stays-max": [np.nextafter(np.float32(overflow), np.float32(0))],
        "float32-max-overflows": [np.finfo(np.float32).max],
        "smallest-subnormal": [tiny],
        "half-smallest-subnormal-tie-to-zero": [tiny / 2],
        "just-above-half-smallest-subnormal": [np.nextafter(np.float32(tiny / 2), np.float32(1))],
        "three-halves-smallest-subnormal-tie-to-2": [3 * tiny / 2],
        "largest-subnormal-rounds-up-to-smallest-normal": [normal - tiny / 2],
        "smallest-normal": [normal],
        "zero-and-infinity": [0.0, np.inf],
    }
    arrays = {name: np.array(values, dtype=np.float32) for name, values in cases.items()}
    # float32 subnormals, and NaNs whose payload sits in the high, middle or only the low bits
    arrays["float32-subnormals"] = _float32([0x00000001, 0x007FFFFF])
    arrays["nan-payloads"] = _float32([0x7FC00000, 0x7F800001, 0x7FBFFFFF, 0x7FFFFFFF, 0x7F801000])
    return arrays


EDGES = [pytest.param(dtype, name, id=f"{dtype}-{name}") for dtype in FORMATS for name in _edges(dtype)]


@spec("D01", "D02", "D03")
@pytest.mark.parametrize(("dtype", "name"), EDGES)
def test_cast_edge_values(backend, dtype, name):
    """D03: 70000 -> float16 inf but bfloat16 70144; 1 + 2**-8 -> float16 1.00390625 but
    bfloat16 1.0 (a tie, to even).  D01/D02: 1.0 is 0x3C00 / 0x3F80.  And the edges of each
    format: ties both ways, max finite and the overflow threshold, the smallest subnormal and
    half of it, the subnormal-to-normal carry, signed zeros, infinities and NaN payloads."""
    positive = _edges(dtype)[name]
    _check_cast(backend, np.concatenate([positive, _float32(positive.view(np.uint32) | (1 << 31))]), dtype)


# -- float16 / bfloat16 -> float32: every pattern (D01 D02) ------------------------------


@spec("D01", "D02")
@pytest.mark.parametrize("dtype", FORMATS)
def test_every_pattern_decodes_as_the_layout_says(backend, dtype):
    """D01/D02: each of the 65,536 patterns of the format holds the value its layout gives
    (sign, exponent field with bias 15 or 127, fraction), and widening it to float32 is exact."""
    testing.require_dtype(backend, dtype)
    patterns = np.arange(2**16, dtype=np.uint16)
    values = ref.from_bits16(patterns, dtype)
    x = backend.asarray(patterns.view(np.float16) if dtype == "float16" else values, dtype=dtype)
    _assert_bits(backend, _patterns(backend, x), patterns, dtype, values, f"asarray of every {dtype} value")
    wide = testing.op(backend, "cast")(x, "float32")
    assert_conforms(backend, wide, values, op=f"cast {dtype} to float32", exact=True, inputs=f"every {dtype} pattern")
    _assert_bits(backend, backend.to_numpy(wide).view(np.uint32), values.view(np.uint32), "float32", values,
                 f"cast {dtype} to float32")


# -- facts and names (D01 D02 D03 D04) ---------------------------------------------------


@spec("D01", "D02", "D03")
@pytest.mark.parametrize("dtype", FORMATS)
def test_finfo(backend, dtype):
    """D01: float16 has 16 bits, eps 2**-10, max 65504; D02: bfloat16 16 bits, eps 2**-7,
    max ≈ 3.39e38; D03: so bfloat16 has the range and float16 the precision.  The library's
    finfo equals the reference's values from the layout."""
    testing.require_dtype(backend, dtype)
    got = testing.op(backend, "finfo")(dtype)
    want = ref.finfo(dtype)
    wrong = {key: (got.get(key), getattr(want, key)) for key in FINFO_KEYS if got.get(key) != getattr(want, key)}
    assert not wrong, f"{backend.name} finfo({dtype}) differs from the layout's facts (got, expected): {wrong}"


@spec("D04")
@pytest.mark.parametrize("alias", list(ref.ALIASES))
def test_dtype_aliases(backend, alias):
    """D04: "half" is float16 (IEEE half precision) and "double" float64 in every library."""
    got = testing.op(backend, "dtype_alias")(alias)
    assert got == ref.canonical_dtype(alias), f"{backend.name}: dtype alias {alias!r} is {got}, the spec says {ref.canonical_dtype(alias)}"


@spec("D04")
def test_float_alias_is_declared(backend):
    """D04: what plain "float" names differs between libraries (float32 in torch, float64 in
    NumPy); each backend declares it as behaviour ``float_alias`` and must do what it declares."""
    declared = backend.behaviour("float_alias")
    if declared is None:
        pytest.skip(f"{testing.NOT_APPLICABLE} {backend.name}: declares no 'float_alias' behaviour")
    got = testing.op(backend, "dtype_alias")("float")
    assert got == declared, f"{backend.name}: dtype alias 'float' is {got}, but the backend declares {declared}"


@spec("D04")
def test_torch_float_is_float32(backend):
    """D04: the notes label IEEE half precision "float", but torch.float is torch.float32
    (single precision); half precision is torch.float16 == torch.half."""
    if not isinstance(backend, TorchBackend):
        pytest.skip(f"{testing.NOT_APPLICABLE} {backend.name}: torch's dtype names only")
    torch, alias = backend.torch, testing.op(backend, "dtype_alias")
    assert torch.float is torch.float32 and torch.half is torch.float16, "torch's own aliases changed"
    assert (alias("float"), alias("half")) == ("float32", "float16"), (
        f"{backend.name}: 'float' is {alias('float')} and 'half' is {alias('half')}; torch says float32 and float16")
