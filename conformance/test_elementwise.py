"""Conformance: element-wise ops, reductions and sampling (catalogue O01–O20).

Every backend's results are compared with ``reference.elementwise``: exactly for
conversions, integers, comparisons, selections (clamp, max) and indices; within the
tolerance policy for atan, atan2 and floating differences (the n-th difference accumulates
``n`` roundings over ``Σ C(n, k)|x|``, :func:`reference.elementwise.diff_magnitude`).  Where
the reference gives ±0, the backend's zero must have the same sign.

Samplers cannot be compared draw by draw (every library has its own stream), so their
tests check what holds for every draw (shape, int64, range, no repeated index without
replacement, no zero-weight category while others remain) and, at the FIXED seed ``SEED``,
that the empirical frequencies fit the weights: Pearson's chi-square goodness-of-fit test
at level ``ALPHA = 1e-3`` (quantiles from :func:`reference.elementwise.chi_square_quantile`).
A correct sampler fails one such check with probability ``ALPHA`` over seeds; this file makes
five of them per backend (three rows, one first-draw column, one randint), so at most a
0.5% chance (Bonferroni) that a correct library's stream trips one at a given seed.  At a fixed seed the outcome is
deterministic: it can only change when a library changes its generator.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from math import prod

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from dlspec import testing
from dlspec.compare import ConformanceError, assert_conforms
from dlspec.strategies import distinct_values
from dlspec.tolerance import LOW_PRECISION
from reference import elementwise as ref
from reference.dtypes import round_to, smallest_normal

spec = pytest.mark.spec
FLOAT_DTYPES = ("float64", "float32", "float16", "bfloat16")
SEED = 20250510
ALPHA = 1e-3

FINITE = st.floats(-8, 8, allow_nan=False, allow_infinity=False)
SMALL_INTS = st.integers(-50, 50)
SPECIAL = st.sampled_from([0.0, -0.0, 1.0, -1.0, math.inf, -math.inf, math.nan])
#: Few distinct shapes, because jax compiles once per shape: pairs that broadcast.
BROADCAST_PAIRS = (((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 4)), ((), (2, 2)), ((4,), (2, 1, 4)))
SHAPES = ((5,), (3, 4), (2, 3, 4), (4, 1), (0, 3))
#: Fewer for the ops whose dim argument multiplies jax's compilations.
DIM_SHAPES = ((5,), (3, 4), (0, 3))


# -- helpers ------------------------------------------------------------------------------


def _values(data: st.DataObject, shape: tuple[int, ...], dtype: str, floats: st.SearchStrategy[float] = FINITE,
            ints: st.SearchStrategy[int] = SMALL_INTS, label: str = "values") -> np.ndarray:
    """Inputs of ``shape`` drawn for ``dtype``: booleans, integers from ``ints``, or floats from
    ``floats`` rounded to ``dtype`` (held as float64), so the backend sees them exactly.
    Subnormal floats become a zero of their sign: whether a library flushes them (XLA on the
    CPU does) is a behaviour of its own, not of the operation tested here."""
    elements, held = (st.booleans(), "bool") if dtype == "bool" else (floats, "float64") if dtype in FLOAT_DTYPES else (ints, dtype)
    drawn = np.array(data.draw(st.lists(elements, min_size=prod(shape), max_size=prod(shape)), label=label), dtype=held)
    return _exact_in(dtype, drawn.reshape(shape)) if dtype in FLOAT_DTYPES else drawn.reshape(shape)


def _exact_in(dtype: str, values: np.ndarray) -> np.ndarray:
    """``values`` rounded to ``dtype``, subnormals replaced by a zero of their sign."""
    values = round_to(values, dtype)
    with np.errstate(invalid="ignore"):
        return np.where(np.abs(values) < smallest_normal(dtype), np.copysign(0.0, values), values)


def _as(dtype: str, values: object) -> np.ndarray:
    """Literal ``values`` in ``dtype``; floats as the float64 values ``dtype`` holds (NumPy has
    no bfloat16)."""
    return round_to(np.asarray(values, dtype=np.float64), dtype) if dtype in FLOAT_DTYPES else np.asarray(values, dtype=dtype)


def _check_float(backend, out, expected: np.ndarray, dtype: str, op: str, inputs: str, terms: int = 0,
                 scale: np.ndarray | float = 0.0) -> None:
    """Compare a floating result under the policy (the low-precision rule for 16-bit floats),
    then the sign of every zero the reference gives."""
    lowp = round_to(expected, dtype) if dtype in LOW_PRECISION else None
    assert_conforms(backend, out, expected, op=op, dtype=dtype, terms=terms, scale=scale, lowp_expected=lowp,
                    inputs=inputs)
    got = backend.to_numpy(out).astype(np.float64)
    zeros = expected == 0
    if np.any(np.signbit(got[zeros]) != np.signbit(expected[zeros])):
        raise ConformanceError(f"{backend.name} {op}: a zero has the wrong sign: got {got[zeros].tolist()}, "
                               f"expected {expected[zeros].tolist()}\n{testing.reproduction(backend, op, inputs)}")


def _check_range(backend, out, bound: float, dtype: str, op: str, inputs: str) -> None:
    """Every non-NaN element lies in ``[-bound, bound]`` with the bound rounded to ``dtype``."""
    got = backend.to_numpy(out).astype(np.float64)
    limit = float(round_to(np.array(bound), dtype))
    outside = ~np.isnan(got) & (np.abs(got) > limit)
    if np.any(outside):
        raise ConformanceError(f"{backend.name} {op}: {got[outside].tolist()} outside [-{limit}, {limit}]\n"
                               f"{testing.reproduction(backend, op, inputs)}")


def _check_against_reference(backend, expect: Callable[[], object], call: Callable[[], object],
                             compare: Callable[[object, object], None], what: str) -> None:
    """Where the reference raises, the backend must raise; otherwise ``compare`` its result."""
    try:
        expected = expect()
    except (ValueError, TypeError):
        with testing.raises_as_spec(backend, what):
            call()
        return
    compare(call(), expected)


def _declared(backend, name: str) -> str:
    """The backend's declared choice for behaviour ``name``; skips (not applicable) if none."""
    declared = backend.behaviour(name)
    if declared is None:
        pytest.skip(f"{testing.NOT_APPLICABLE} {backend.name}: declares no {name!r} behaviour")
    return declared


def _assert_fits(backend, samples: np.ndarray, weights: np.ndarray, what: str) -> None:
    """Pearson's chi-square test of the draws against the weights at level ALPHA; a draw
    outside the categories, or of a zero-weight one, fails it outright."""
    samples = np.asarray(samples, dtype=np.int64).reshape(-1)
    if np.any((samples < 0) | (samples >= len(weights))):
        raise ConformanceError(f"{backend.name} {what}: indices outside [0, {len(weights)}): "
                               f"{sorted(set(samples.tolist()))}\n{testing.reproduction(backend, what, '')}")
    counts = np.bincount(samples, minlength=len(weights))
    stat, df = ref.chi_square(counts, weights)
    limit = ref.chi_square_quantile(1 - ALPHA, df) if df else 0.0
    if not stat <= limit:
        raise ConformanceError(
            f"{backend.name} {what}: counts {counts.tolist()} do not fit weights {np.asarray(weights).tolist()}: "
            f"chi-square {stat:.4g} > {limit:.4g} (df={df}, alpha={ALPHA}, seed={SEED})\n"
            f"{testing.reproduction(backend, what, '')}")


def _int64(backend, out, shape: tuple[int, ...], op: str) -> np.ndarray:
    """The values of a sampler's result after checking its shape and int64 dtype."""
    if backend.shape(out) != shape or backend.dtype_name(out) != "int64":
        raise ConformanceError(f"{backend.name} {op}: {backend.dtype_name(out)} {backend.shape(out)}, "
                               f"expected int64 {shape}\n{testing.reproduction(backend, op, '')}")
    return backend.to_numpy(out)


# -- .long() and embedding indices (O01 O02 O03) -------------------------------------------

LONG_DTYPES = (*FLOAT_DTYPES, "int32", "bool")
HALVES = st.sampled_from([-2.5, -1.5, -0.5, -0.0, 0.5, 1.5, 2.5])


def _check_long(backend, values: np.ndarray, dtype: str) -> None:
    out = testing.op(backend, "long")(backend.asarray(values, dtype=dtype))
    assert_conforms(backend, out, ref.long(values), op="long", dtype="int64", exact=True,
                    inputs=f"{values.tolist()} as {dtype}")


@spec("O01", "O02")
@pytest.mark.parametrize("dtype", LONG_DTYPES)
@given(shape=st.sampled_from(((), (5,), (2, 3))), data=st.data())
def test_long(backend, dtype, shape, data):
    """O01/O02: .long() gives int64 and truncates toward zero, halves and negatives included
    (floor would send -0.5 to -1); integers and bools keep their values."""
    testing.require_dtype(backend, dtype)
    _check_long(backend, _values(data, shape, dtype, HALVES | st.floats(-300, 300, allow_nan=False), st.integers(-1000, 1000)),
                dtype)


@spec("O02")
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_long_notes_example(backend, dtype):
    """O02 (the notes are wrong): [-1.5, -0.5, 0.5, 1.7, 2.5].long() is [-1, 0, 0, 1, 2]
    (truncation toward zero), not floor's [-2, -1, 0, 1, 2]."""
    testing.require_dtype(backend, dtype)
    _check_long(backend, _as(dtype, [-1.5, -0.5, 0.5, 1.7, 2.5]), dtype)


@spec("O03")
@pytest.mark.parametrize("index_dtype", ["int64", "int32", "float32", "float64"])
@pytest.mark.parametrize("indices", [3, [4, 0], [[0, 4, 1], [3, 3, 2]]], ids=["0-d", "1-d", "2-d"])
def test_embedding_needs_integer_indices(backend, indices, index_dtype):
    """O03: an embedding lookup takes integer (int64 or int32) indices, one table row per
    index; floating indices raise, hence the notes' .long() first."""
    weight = distinct_values((5, 3), "float32")
    idx = np.asarray(indices, dtype=index_dtype)
    fn = testing.op(backend, "embedding")
    what = f"embedding(distinct (5, 3), {idx.tolist()} as {index_dtype})"
    _check_against_reference(
        backend, lambda: ref.embedding(weight, idx),
        lambda: fn(backend.asarray(weight), backend.asarray(idx, dtype=index_dtype)),
        lambda out, want: assert_conforms(backend, out, want, op="embedding", exact=True, inputs=what), what)


# -- diff (O04 O05 O06) ----------------------------------------------------------------------

DIFF_DTYPES = (*FLOAT_DTYPES, "int64", "bool")


def _check_diff(backend, dtype: str, values: np.ndarray, **kwargs) -> None:
    """``diff`` on the backend against the reference; ``dim`` is passed only when given, so
    the default is exercised.  ``prepend`` / ``append`` are NumPy arrays here."""
    testing.require_dtype(backend, dtype)
    fn = testing.op(backend, "diff")
    extra = {k: backend.asarray(v, dtype=dtype) if k in ("prepend", "append") else v for k, v in kwargs.items()}
    what = f"diff({values.tolist()} as {dtype}, {', '.join(f'{k}={np.asarray(v).tolist()}' for k, v in kwargs.items())})"

    def compare(out, expected):
        if dtype not in FLOAT_DTYPES:
            assert_conforms(backend, out, expected, op="diff", dtype=dtype, exact=True, inputs=what)
            return
        n = kwargs.get("n", 1)
        scale = ref.diff_magnitude(values, n, kwargs.get("dim", -1), kwargs.get("prepend"), kwargs.get("append"))
        _check_float(backend, out, expected, dtype, "diff", what, terms=n, scale=scale)

    _check_against_reference(
        backend, lambda: ref.diff(values, **kwargs),
        lambda: fn(backend.asarray(values, dtype=dtype), **extra), compare, what)


@spec("O04", "O05", "O06")
@pytest.mark.parametrize("dtype", DIFF_DTYPES)
@given(data=st.data())
def test_diff(backend, dtype, data):
    """O04: diff works along the LAST dimension unless told otherwise; O06: n is the order
    (a difference of differences for n=2) and prepend/append are joined first; an order past
    the length leaves an empty dimension."""
    shape = data.draw(st.sampled_from(DIM_SHAPES), label="shape")
    kwargs: dict[str, object] = {"n": data.draw(st.integers(0, 3), label="n")}
    if data.draw(st.booleans(), label="explicit dim"):
        kwargs["dim"] = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    d = kwargs.get("dim", -1) % len(shape)
    for key in ("prepend", "append"):
        if data.draw(st.booleans(), label=key):
            kwargs[key] = _values(data, shape[:d] + (1,) + shape[d + 1 :], dtype, label=key)
    _check_diff(backend, dtype, _values(data, shape, dtype), **kwargs)


NOTES_X = [1, 2, 4, 7, 0]


@spec("O04", "O05", "O06")
@pytest.mark.parametrize(("values", "kwargs"), [
    pytest.param(NOTES_X, {}, id="O05-notes-example"),
    pytest.param(NOTES_X, {"n": 2}, id="O06-second-order"),
    pytest.param(NOTES_X, {"prepend": [0]}, id="O06-prepend"),
    pytest.param(NOTES_X, {"append": [7, 9]}, id="O06-append"),
    pytest.param([[1, 2, 4], [7, 0, 3]], {}, id="O04-default-is-last-dim"),
    pytest.param([[1, 2, 4], [7, 0, 3]], {"dim": 0}, id="O04-dim-0"),
    pytest.param(NOTES_X, {"dim": 1}, id="O04-notes-dim-1-on-1d-raises"),
    pytest.param(NOTES_X, {"n": -1}, id="negative-order-raises"),
    pytest.param(NOTES_X, {"n": 0}, id="order-0-is-identity"),
    pytest.param(NOTES_X, {"n": 7}, id="order-past-length-is-empty"),
    pytest.param([[1, 2], [3, 4]], {"dim": 1, "prepend": [[0], [0], [0]]}, id="prepend-mismatch-raises"),
    pytest.param(5, {}, id="0-d-raises"),
])
@pytest.mark.parametrize("dtype", ["int64", "float32"])
def test_diff_examples(backend, dtype, values, kwargs):
    """O05: diff([1, 2, 4, 7, 0]) = [1, 2, 3, -7]; O06: n=2 gives [1, 1, -10], prepend=[0]
    gives [1, 1, 2, 3, -7]; O04: the default dim is -1, and the notes' dim=1 on a 1-D
    tensor raises; a negative order and a mismatched prepend raise."""
    arrays = {k: np.asarray(v, dtype=dtype) if k in ("prepend", "append") else v for k, v in kwargs.items()}
    _check_diff(backend, dtype, np.asarray(values, dtype=dtype), **arrays)


# -- atan and atan2 (O07 O08) ----------------------------------------------------------------

WIDE = SPECIAL | st.floats(-1e6, 1e6, allow_nan=False)


def _check_atan(backend, values: np.ndarray, dtype: str) -> None:
    testing.require_dtype(backend, dtype)
    out = testing.op(backend, "atan")(backend.asarray(values, dtype=dtype))
    what = f"atan({values.tolist()} as {dtype})"
    _check_float(backend, out, ref.atan(values), dtype, "atan", what)
    _check_range(backend, out, math.pi / 2, dtype, "atan", what)


@spec("O07")
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@given(shape=st.sampled_from(SHAPES[:3]), data=st.data())
def test_atan(backend, dtype, shape, data):
    """O07: atan is element-wise, ignores the quadrant and stays within ±π/2 (as rounded to
    the dtype): atan(±inf) = ±π/2, atan(-0) = -0."""
    testing.require_dtype(backend, dtype)
    _check_atan(backend, _values(data, shape, dtype, WIDE), dtype)


@spec("O07")
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_atan_notes_example(backend, dtype):
    """O07: atan([-1e6, -1, 0, 1, 1e6]) ≈ [-1.570795, -0.785398, 0, 0.785398, 1.570795], and
    atan(±inf) is ±π/2 rounded to the dtype (float32's is a little larger than π/2)."""
    _check_atan(backend, _as(dtype, [-1e6, -1.0, 0.0, 1.0, 1e6, math.inf, -math.inf, -0.0, math.nan]), dtype)


def _check_atan2(backend, y: np.ndarray, x: np.ndarray, dtype: str) -> None:
    testing.require_dtype(backend, dtype)
    fn = testing.op(backend, "atan2")
    what = f"atan2(y={y.tolist()}, x={x.tolist()} as {dtype})"

    def compare(out, expected):
        _check_float(backend, out, expected, dtype, "atan2", what)
        _check_range(backend, out, math.pi, dtype, "atan2", what)

    _check_against_reference(
        backend, lambda: ref.atan2(y, x),
        lambda: fn(backend.asarray(y, dtype=dtype), backend.asarray(x, dtype=dtype)), compare, what)


@spec("O08")
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@given(data=st.data())
def test_atan2(backend, dtype, data):
    """O08: atan2(input, other) is the angle of the point (x=other, y=input): quadrant-aware,
    broadcasting, in the CLOSED range [-π, π], with the signs of zeros respected."""
    y_shape, x_shape = data.draw(st.sampled_from(BROADCAST_PAIRS + tuple(p[::-1] for p in BROADCAST_PAIRS)), label="shapes")
    y, x = (_values(data, shape, dtype, SPECIAL | FINITE, label=label) for shape, label in ((y_shape, "y"), (x_shape, "x")))
    _check_atan2(backend, y, x, dtype)


ATAN2_EDGES = [0.0, -0.0, 1.0, -1.0, math.inf, -math.inf]


@spec("O08")
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_atan2_signed_zeros_and_quadrants(backend, dtype):
    """O08 (the notes say the open interval (-π, π)): atan2(+0, -1) = π and atan2(-0, -1) = -π,
    so both ends are reached; atan2(1, -1) = 3π/4; every pair of ±0, ±1, ±inf."""
    y, x = np.meshgrid(ATAN2_EDGES, ATAN2_EDGES, indexing="ij")
    _check_atan2(backend, _as(dtype, y), _as(dtype, x), dtype)


# -- clamp (O09 O10 O11) ---------------------------------------------------------------------

CLAMP_DTYPES = (*FLOAT_DTYPES, "int64")


def _check_clamp(backend, values: np.ndarray, dtype: str, low: float | None, high: float | None) -> None:
    """clamp on the backend against the reference, exactly: it only selects values."""
    testing.require_dtype(backend, dtype)
    fn = testing.op(backend, "clamp")
    what = f"clamp({values.tolist()} as {dtype}, min={low}, max={high})"

    def expect():  # the bounds are read in the dtype: round the reference's result to it
        out = ref.clamp(values, low, high)
        return round_to(out, dtype) if dtype in FLOAT_DTYPES else out

    _check_against_reference(
        backend, expect, lambda: fn(backend.asarray(values, dtype=dtype), low, high),
        lambda out, want: assert_conforms(backend, out, want, op="clamp", dtype=dtype, exact=True, inputs=what), what)


@spec("O09", "O11")
@pytest.mark.parametrize("dtype", CLAMP_DTYPES)
@given(shape=st.sampled_from(SHAPES[:3]), data=st.data())
def test_clamp(backend, dtype, shape, data):
    """O09: clamp raises every element to min, then lowers it to max; either bound may be
    left out; with min > max every element becomes max; NaN stays NaN.  O11: symmetric
    bounds (-c, c) clip a gradient by value."""
    values = _values(data, shape, dtype, FINITE | st.just(math.nan), st.integers(-10, 10))
    bound = st.integers(-8, 8) if dtype == "int64" else FINITE.map(lambda v: float(_exact_in(dtype, np.array(v))))
    kind = data.draw(st.sampled_from(["both", "min only", "max only", "min > max", "symmetric"]), label="bounds")
    low, high = data.draw(bound, label="min"), data.draw(bound, label="max")
    if kind == "min only":
        high = None
    elif kind == "max only":
        low = None
    elif kind == "symmetric":
        low, high = -abs(high), abs(high)
    else:
        low, high = (min(low, high), max(low, high))[:: 1 if kind == "both" else -1]
        assume(kind == "both" or low != high)
    _check_clamp(backend, values, dtype, low, high)


@spec("O09", "O11")
@pytest.mark.parametrize(("values", "low", "high"), [
    pytest.param([-2.0, 0.5, 3.0], 0.0, 1.0, id="O09-both"),
    pytest.param([-2.0, 0.5, 3.0], 0.0, None, id="O09-min-only"),
    pytest.param([-2.0, 0.5, 3.0], None, 1.0, id="O09-max-only"),
    pytest.param([-2.0, 0.5, 3.0], 2.0, 1.0, id="O09-min-above-max-gives-max"),
    pytest.param([math.nan, -5.0, 5.0], -1.0, 1.0, id="O09-nan-stays"),
    pytest.param([-3.0, 0.2, 5.0], -1.0, 1.0, id="O11-gradient-clip-by-value"),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_clamp_examples(backend, dtype, values, low, high):
    """O09: clamp([-2, 0.5, 3], 0, 1) = [0, 0.5, 1]; min only [0, 0.5, 3]; max only
    [-2, 0.5, 1]; min=2 > max=1 gives all 1.  O11: clip_grad_value_(g, 1) = g.clamp(-1, 1)."""
    _check_clamp(backend, _as(dtype, values), dtype, low, high)


@spec("O10")
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_clamp_keeps_log_finite(backend, dtype):
    """O10: p.clamp(min=1e-12) has no zeros, so log stays finite: true in float64, float32
    and bfloat16 — but in float16, 1e-12 rounds to 0 and the clamp protects nothing."""
    p = _as(dtype, [0.0, 0.5, 1.0])
    _check_clamp(backend, p, dtype, 1e-12, None)
    got = backend.to_numpy(testing.op(backend, "clamp")(backend.asarray(p, dtype=dtype), 1e-12, None))
    with np.errstate(divide="ignore"):
        finite = bool(np.all(np.isfinite(np.log(got.astype(np.float64)))))
    protects = float(round_to(np.array(1e-12), dtype)) > 0
    assert finite == protects, f"{backend.name}: log(clamp(p, min=1e-12)) in {dtype} finite={finite}, expected {protects}"


# -- max along a dim (O12) -------------------------------------------------------------------

MAX_DTYPES = ("float32", "bfloat16", "int64")
TIES = st.sampled_from([-1.0, 0.0, 2.0, 3.0])


def _check_max(backend, values: np.ndarray, dtype: str, dim: int) -> None:
    """Values and indices against the reference, both exactly (a maximum is one of the inputs)."""
    testing.require_dtype(backend, dtype)
    fn = testing.op(backend, "max_dim")
    what = f"max_dim({values.tolist()} as {dtype}, dim={dim})"

    def compare(out, expected):
        assert_conforms(backend, out[0], expected[0], op="max_dim values", dtype=dtype, exact=True, inputs=what)
        assert_conforms(backend, out[1], expected[1], op="max_dim indices", dtype="int64", exact=True, inputs=what)

    _check_against_reference(
        backend, lambda: ref.max_dim(values, dim),
        lambda: fn(backend.asarray(values, dtype=dtype), dim), compare, what)


@spec("O12")
@pytest.mark.parametrize("dtype", MAX_DTYPES)
@given(data=st.data())
def test_max_dim(backend, dtype, data):
    """O12: max(x, dim) returns (values, indices) along dim, which disappears; among equal
    maxima the FIRST index; a NaN is the maximum (the first NaN); a dim of size 0 raises."""
    shape = data.draw(st.sampled_from(DIM_SHAPES + ((4, 1),)), label="shape")
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    _check_max(backend, _values(data, shape, dtype, TIES | st.just(math.nan) | FINITE, st.integers(-1, 3)), dtype, dim)


@spec("O12")
@pytest.mark.parametrize(("values", "dim"), [
    pytest.param([[1, 5, 5], [7, 2, 7]], 1, id="O12-ties-give-first-index"),
    pytest.param([[1, 5, 5], [7, 2, 7]], 0, id="O12-dim-0"),
    pytest.param([[1, math.nan, 5, math.nan]], 1, id="first-nan-wins"),
    pytest.param(np.zeros((0, 3)), 0, id="empty-reduced-dim-raises"),
    pytest.param(np.zeros((0, 3)), 1, id="empty-other-dim-is-empty"),
])
def test_max_dim_examples(backend, values, dim):
    """O12: max([[1, 5, 5], [7, 2, 7]], 1) = (values [5, 7], indices [1, 0])."""
    _check_max(backend, np.asarray(values, dtype=np.float32), "float32", dim)


# -- ne (O13) --------------------------------------------------------------------------------

NE_DTYPES = ("float32", "float64", "int64", "bool")


def _check_ne(backend, a: np.ndarray, b: np.ndarray | float, dtype: str) -> None:
    testing.require_dtype(backend, dtype)
    fn = testing.op(backend, "ne")
    scalar = not isinstance(b, np.ndarray)
    what = f"ne({a.tolist()}, {b if scalar else b.tolist()} as {dtype})"
    _check_against_reference(
        backend, lambda: ref.ne(a, b),
        lambda: fn(backend.asarray(a, dtype=dtype), b if scalar else backend.asarray(b, dtype=dtype)),
        lambda out, want: assert_conforms(backend, out, want, op="ne", dtype="bool", exact=True, inputs=what), what)


@spec("O13")
@pytest.mark.parametrize("dtype", NE_DTYPES)
@given(data=st.data())
def test_ne(backend, dtype, data):
    """O13: ne compares element by element with broadcasting and returns bools, like !=;
    NaN differs from itself, inf equals inf, -0 equals 0; the right side may be a number."""
    a_shape, b_shape = data.draw(st.sampled_from(BROADCAST_PAIRS + (((2, 3), (2,)),)), label="shapes")
    a = _values(data, a_shape, dtype, SPECIAL, st.integers(-1, 1), label="a")
    b = _values(data, () if data.draw(st.booleans(), label="scalar b") else b_shape, dtype, SPECIAL, st.integers(-1, 1), label="b")
    if b.ndim == 0:
        b = b.tolist()
    _check_ne(backend, a, b, dtype)


@spec("O13")
@pytest.mark.parametrize(("a", "b"), [
    pytest.param([[1, 2, 3], [4, 5, 6]], [1, 5, 3], id="O13-broadcast-2x3-vs-3"),
    pytest.param([1, 5, 3], 5, id="O13-scalar"),
    pytest.param([math.nan, math.inf, -0.0], [math.nan, math.inf, 0.0], id="nan-inf-signed-zero"),
    pytest.param([[1, 2, 3], [4, 5, 6]], [1, 5], id="incompatible-shapes-raise"),
])
def test_ne_examples(backend, a, b):
    """O13: [[1,2,3],[4,5,6]] != [1,5,3] broadcasts to [[F,T,F],[T,F,T]]; [1,5,3] != 5 is
    [T,F,T]; (2, 3) against (2,) does not broadcast and raises."""
    _check_ne(backend, np.asarray(a, dtype=np.float64), b if np.isscalar(b) else np.asarray(b, dtype=np.float64), "float64")


# -- item (O17 O18) --------------------------------------------------------------------------

ITEM_VALUES = {"float64": 2.5, "float32": 2.5, "float16": -0.5, "bfloat16": 3.0, "int64": -3, "int32": 7, "bool": True}


@spec("O17", "O18")
@pytest.mark.parametrize("dtype", list(ITEM_VALUES))
@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (1, 1, 1)])
def test_item(backend, dtype, shape):
    """O17: item() of any one-element tensor, (1, 1) included, is a plain Python number:
    float, int or bool by dtype.  O18: a plain number, not an array, so it holds nothing of
    the tensor (nor of an autograd graph) and is what logging should keep."""
    testing.require_dtype(backend, dtype)
    values = np.full(shape, ITEM_VALUES[dtype], dtype="float32" if dtype == "bfloat16" else dtype)
    got = testing.op(backend, "item")(backend.asarray(values, dtype=dtype))
    want = ref.item(values)
    assert type(got) is type(want) and got == want, (
        f"{backend.name}: item() of {values.tolist()} as {dtype} gave {got!r} ({type(got).__name__}), "
        f"expected {want!r} ({type(want).__name__})")


@spec("O17")
@pytest.mark.parametrize("shape", [(2,), (0,), (2, 1)])
def test_item_needs_one_element(backend, shape):
    """O17: item() of a tensor with 0 or 2 elements raises ("a Tensor with 2 elements cannot
    be converted to Scalar")."""
    with testing.raises_as_spec(backend, f"item() of shape {shape}"):
        testing.op(backend, "item")(backend.asarray(np.ones(shape)))


# -- randint (O19 O20) -----------------------------------------------------------------------


@spec("O19")
@given(low=st.integers(-5, 5), span=st.integers(1, 6), shape=st.sampled_from(((3,), (2, 4), ())),
       seed=st.integers(0, 2**31 - 1))
def test_randint_range(backend, low, span, shape, seed):
    """O19: randint(low, high, size) gives int64 values in [low, high): high is exclusive."""
    out = testing.op(backend, "randint")(low, low + span, shape, seed)
    got = _int64(backend, out, shape, f"randint({low}, {low + span}, {shape}, seed={seed})")
    assert np.all((got >= low) & (got < low + span)), f"{backend.name}: randint({low}, {low + span}) gave {got.tolist()}"


@spec("O19")
def test_randint_covers_range_uniformly(backend):
    """O19: 6000 draws of randint(2, 8) reach every value of 2..7, never 8, and fit the
    uniform distribution (chi-square at ALPHA, fixed seed)."""
    out = testing.op(backend, "randint")(2, 8, (6000,), SEED)
    got = _int64(backend, out, (6000,), f"randint(2, 8, (6000,), seed={SEED})")
    assert (got.min(), got.max()) == (2, 7), f"{backend.name}: randint(2, 8) ranged over [{got.min()}, {got.max()}]"
    _assert_fits(backend, got - 2, np.ones(6), "randint(2, 8)")


@spec("O20")
def test_randint_sizes_from_tensor(backend):
    """O20: the notes' loop `[randint(1, max_source, (L,)) for L in tensor([2, 4], int32)]`:
    0-d int32 tensors serve as sizes, giving sequences of lengths 2 and 4 with ids in 1..7."""
    lengths = backend.asarray(np.array([2, 4], dtype=np.int32), dtype="int32")
    fn, getitem = testing.op(backend, "randint"), testing.op(backend, "getitem")
    for i, length in enumerate((2, 4)):
        got = _int64(backend, fn(1, 8, (getitem(lengths, (i,)),), SEED + i), (length,), "randint(1, 8, (L,))")
        assert np.all((got >= 1) & (got <= 7)), f"{backend.name}: randint(1, 8, ({length},)) gave {got.tolist()}"


# -- multinomial (O14 O15 O16) ---------------------------------------------------------------


#: Samples per row in the property test: one value, as jax compiles once per number.
NUM_SAMPLES = 3


@st.composite
def _multinomial_case(draw):
    """Weights of two fixed shapes (small integers, some zero), a replacement flag and a
    seed; without replacement, never more samples than non-zero weights (what happens then
    is a declared behaviour)."""
    shape = draw(st.sampled_from(((4,), (2, 4))), label="shape")
    weights = np.array(draw(st.lists(st.integers(0, 4), min_size=prod(shape), max_size=prod(shape)), label="weights"),
                       dtype=np.float64).reshape(shape)
    replacement = draw(st.booleans(), label="replacement")
    assume(np.count_nonzero(weights.reshape(-1, 4), axis=1).min() >= (1 if replacement else NUM_SAMPLES))
    return weights, NUM_SAMPLES, replacement, draw(st.integers(0, 2**31 - 1), label="seed")


@spec("O16")
@given(case=_multinomial_case())
def test_multinomial_properties(backend, case):
    """O16: each row is a distribution (unnormalised); every draw is an int64 category index;
    with replacement a zero-weight category never appears; without replacement no index
    repeats in a row and every draw is a category of non-zero weight while any remains."""
    weights, num_samples, replacement, seed = case
    what = f"multinomial({weights.tolist()}, {num_samples}, replacement={replacement}, seed={seed})"
    out = testing.op(backend, "multinomial")(backend.asarray(weights, dtype="float32"), num_samples, replacement, seed)
    got = _int64(backend, out, weights.shape[:-1] + (num_samples,), what).reshape(-1, num_samples)
    for row, w in zip(got, weights.reshape(-1, 4)):
        assert np.all((row >= 0) & (row < 4)), f"{backend.name} {what}: index outside [0, 4) in {row.tolist()}"
        assert np.all(w[row] > 0), f"{backend.name} {what}: drew a zero-weight category: {row.tolist()}"
        assert replacement or len(set(row.tolist())) == num_samples, f"{backend.name} {what}: repeated index {row.tolist()}"


FIT_WEIGHTS = np.array([[0.0, 3.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0], [5.0, 0.0, 0.5, 2.0]])


@spec("O16")
@pytest.mark.parametrize("dtype", ["float32"])
def test_multinomial_frequencies_match_weights(backend, dtype):
    """O16: with replacement, the frequencies of 4000 draws per row fit the normalised weights
    (row [0, 3, 1, 0]: index 1 three times in four, the zero-weight ones never); without
    replacement, the FIRST draw of each of 2000 rows fits them too.  Chi-square at ALPHA,
    fixed seed."""
    fn = testing.op(backend, "multinomial")
    drawn = backend.to_numpy(fn(backend.asarray(FIT_WEIGHTS, dtype=dtype), 4000, True, SEED))
    for i, (row, w) in enumerate(zip(drawn, FIT_WEIGHTS)):
        _assert_fits(backend, row, w, f"multinomial row {i} with replacement ({dtype})")
    first = np.tile(np.array([[1.0, 2.0, 3.0, 0.0]]), (2000, 1))
    drawn = backend.to_numpy(fn(backend.asarray(first, dtype=dtype), 2, False, SEED))
    _assert_fits(backend, drawn[:, 0], first[0], f"multinomial first draw without replacement ({dtype})")
    assert np.all(drawn[:, 0] != drawn[:, 1]), f"{backend.name}: an index repeats without replacement"


@spec("O16")
@pytest.mark.parametrize("num_samples", [5, 9])
def test_multinomial_more_samples_than_categories_raises(backend, num_samples):
    """O16: without replacement (the default) a row of 4 categories cannot give 5 samples."""
    with testing.raises_as_spec(backend, f"multinomial of 4 categories, {num_samples} samples, no replacement"):
        testing.op(backend, "multinomial")(backend.asarray(np.ones(4)), num_samples)


@spec("O15", "O16")
def test_multinomial_keyword_is_num_samples(backend):
    """O15 (the notes write num_sample): the count is the keyword num_samples, and
    replacement defaults to False (two draws from [1, 1] are 0 and 1 in some order)."""
    fn = testing.op(backend, "multinomial")
    assert "num_samples" in inspect.signature(fn).parameters, f"{backend.name}: multinomial has no num_samples"
    got = _int64(backend, fn(backend.asarray(np.ones(2)), num_samples=2, seed=SEED), (2,), "multinomial(num_samples=2)")
    assert sorted(got.tolist()) == [0, 1], f"{backend.name}: without replacement two draws of 2 gave {got.tolist()}"
    with pytest.raises(TypeError):
        fn(backend.asarray(np.ones(2)), num_sample=2)


@spec("O14", "O15")
def test_torch_multinomial_spelling(backend):
    """O14/O15 (the notes' misspellings, claims about torch's own API): torch has no
    multinoimal, and num_sample= is not a keyword of torch.multinomial (TypeError)."""
    torch = getattr(backend, "torch", None)
    if torch is None:
        pytest.skip(f"{testing.NOT_APPLICABLE} {backend.name}: O14/O15 are claims about torch's API spelling")
    assert not hasattr(torch, "multinoimal"), "torch.multinoimal exists"
    with pytest.raises(TypeError, match="num_samples"):
        torch.multinomial(torch.ones(2), num_sample=1)
    assert torch.multinomial(torch.ones(2), num_samples=1).dtype == torch.int64


# -- declared behaviours: where libraries legitimately differ ----------------------------------

VALUES = np.array([-2.0, 0.5, 3.0])


def _clamp_no_bounds(backend, declared: str) -> None:
    fn = testing.op(backend, "clamp")
    _check_against_reference(
        backend, lambda: ref.clamp(VALUES, no_bounds=declared), lambda: fn(backend.asarray(VALUES)),
        lambda out, want: assert_conforms(backend, out, want, op="clamp()", exact=True), "clamp with neither bound")


def _embedding_small_int_indices(backend, declared: str) -> None:
    weight = distinct_values((5, 3), "float32")
    fn = testing.op(backend, "embedding")
    for dtype in ("int8", "uint8"):
        idx = np.array([4, 0, 2], dtype=dtype)
        _check_against_reference(
        backend, lambda idx=idx: ref.embedding(weight, idx, small_ints=declared),
            lambda idx=idx, dtype=dtype: fn(backend.asarray(weight), backend.asarray(idx, dtype=dtype)),
            lambda out, want: assert_conforms(backend, out, want, op="embedding", exact=True),
            f"embedding with {dtype} indices")


def _randint_empty_range(backend, declared: str) -> None:
    fn = testing.op(backend, "randint")
    for low, high in ((5, 5), (5, 2)):
        _check_against_reference(
        backend, lambda low=low, high=high: ref.randint(low, high, (3,), SEED, empty_range=declared),
            lambda low=low, high=high: fn(low, high, (3,), SEED),
            lambda out, want: assert_conforms(backend, out, want, op="randint", exact=True),
            f"randint({low}, {high})")


def _multinomial_exhausted(backend, declared: str) -> None:
    call = lambda: testing.op(backend, "multinomial")(backend.asarray(np.array([1.0, 0.0, 0.0, 0.0])), 4, False, SEED)  # noqa: E731
    if declared == "error":
        with testing.raises_as_spec(backend, "4 draws without replacement from 1 non-zero weight"):
            call()
        return
    got = _int64(backend, call(), (4,), "multinomial([1, 0, 0, 0], 4)").tolist()
    assert got[0] == 0 and sorted(got) == [0, 1, 2, 3], f"{backend.name}: expected 0, then 1, 2, 3 in some order: {got}"


def _multinomial_invalid_weights(backend, declared: str) -> None:
    fn = testing.op(backend, "multinomial")
    for weights in ([1.0, -1.0, 2.0], [0.0, 0.0, 0.0], [math.nan, 1.0, 1.0], [math.inf, 1.0, 1.0]):
        x = backend.asarray(np.array(weights))
        if declared == "error":
            with testing.raises_as_spec(backend, f"multinomial weights {weights}"):
                fn(x, 2, True, SEED)
        else:
            _int64(backend, fn(x, 2, True, SEED), (2,), f"multinomial({weights}) (unchecked)")


def _multinomial_zero_samples(backend, declared: str) -> None:
    call = lambda: testing.op(backend, "multinomial")(backend.asarray(np.ones((2, 3))), 0, True, SEED)  # noqa: E731
    if declared == "error":
        with testing.raises_as_spec(backend, "multinomial with num_samples=0"):
            call()
    else:
        _int64(backend, call(), (2, 0), "multinomial(num_samples=0)")


BEHAVIOURS: dict[str, tuple[tuple[str, ...], Callable[..., None]]] = {
    "clamp_no_bounds": (("error", "identity"), _clamp_no_bounds),
    "embedding_small_int_indices": (("error", "accepted"), _embedding_small_int_indices),
    "randint_empty_range": (("error", "fill_low"), _randint_empty_range),
    "multinomial_exhausted": (("zero_weight_last", "error"), _multinomial_exhausted),
    "multinomial_invalid_weights": (("error", "unchecked"), _multinomial_invalid_weights),
    "multinomial_zero_samples": (("error", "empty"), _multinomial_zero_samples),
}


@spec("O03", "O09", "O16", "O19")
@pytest.mark.parametrize("name", list(BEHAVIOURS))
def test_declared_behaviour(backend, name):
    """Where libraries legitimately differ, the backend does what it declares: clamp with
    neither bound (torch raises, NumPy/JAX return x, O09); int8/uint8 embedding indices (O03);
    randint with high <= low (JAX fills with low, O19); multinomial with the non-zero weights
    used up, invalid weights (JAX cannot raise) and zero samples (O16)."""
    declared = _declared(backend, name)
    choices, check = BEHAVIOURS[name]
    assert declared in choices, f"{backend.name} declares {name}={declared!r}; the spec knows {choices}"
    check(backend, declared)
