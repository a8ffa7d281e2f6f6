"""Conformance: einsum (catalogue E01–E07), unfold (S15) and convolution by unfold + einsum
(E08, E09).

Every result is compared with ``reference.einsum``, which parses the equation and evaluates
it by index arithmetic in float64; values follow the tolerance policy, with ``terms`` the
number of products summed into one output element and ``scale`` their magnitude (the same
equation on the absolute values).  Random equations come from :func:`_einsum_cases`;
the catalogue's own examples and every edge case (diagonals, size-1 broadcasting, 0-d and
empty operands, ellipsis) are curated.  Convolutions are checked two ways, the backend's
``conv2d`` and its ``unfold`` + ``einsum("oc,bcn->bon")``, both against the reference's
direct cross-correlation.
"""

from __future__ import annotations

import string
from math import prod
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from dlspec import testing
from dlspec.api import Backend
from dlspec.checks import ORACLE
from dlspec.compare import assert_conforms
from dlspec.strategies import distinct_values
from dlspec.tolerance import LOW_PRECISION
from reference import einsum as ref
from reference.dtypes import round_to, smallest_normal

spec = pytest.mark.spec
FLOAT_DTYPES = ("float64", "float32", "float16", "bfloat16")
EINSUM_DTYPES = (*FLOAT_DTYPES, "int64")
ROUTES = ("conv2d", "unfold+einsum")


# -- helpers -----------------------------------------------------------------------------


def _values(shape: tuple[int, ...], dtype: str, rng: np.random.Generator) -> np.ndarray:
    """Random values ``dtype`` holds exactly: integers in [-4, 4] for int64, otherwise
    standard normal values rounded to ``dtype``, subnormals set to 0 (whether a library
    flushes them is not what is tested here)."""
    if dtype == "int64":
        return rng.integers(-4, 5, size=shape)
    values = round_to(rng.standard_normal(shape), dtype)
    return np.where(np.abs(values) < smallest_normal(dtype), 0.0, values)


def _assert_accumulated(backend: Backend, actual, expected: np.ndarray, dtype: str, *, op: str, terms: int,
                        scale: np.ndarray, inputs: str) -> None:
    """assert_conforms for a sum of ``terms`` products of total magnitude ``scale``, with the
    low-precision rule for float16 and bfloat16 and the backend's declared float32 product
    precision (TF32 on GPUs: convolutions declare ``float32_conv_precision``, the rest
    ``float32_matmul_precision``)."""
    lowp = round_to(expected, dtype) if dtype in LOW_PRECISION else None
    declared = "float32_conv_precision" if "conv" in op else "float32_matmul_precision"
    assert_conforms(backend, actual, expected, op=op, dtype=dtype, terms=terms, scale=scale, lowp_expected=lowp,
                    products=backend.behaviour(declared), inputs=inputs)


def _check_einsum(backend: Backend, equation: str, arrays: list[np.ndarray], dtype: str) -> None:
    """The backend's einsum against the reference's.  An output element sums ``n`` products
    of ``k`` factors (``n`` = the summed labels' sizes multiplied): ``n + k − 1`` roundings."""
    fn = testing.op(backend, "einsum")
    testing.require_dtype(backend, dtype)
    labels, output = ref.parse(equation, [a.ndim for a in arrays])
    sizes = ref.label_sizes(labels, [a.shape for a in arrays])
    summed = prod(size for label, size in sizes.items() if label not in output)
    expected = ORACLE.to_numpy(ORACLE.einsum(equation, *(ORACLE.asarray(a) for a in arrays)))
    scale = ORACLE.to_numpy(ORACLE.einsum(equation, *(ORACLE.asarray(np.abs(a)) for a in arrays)))
    actual = fn(equation, *(backend.asarray(a, dtype=dtype) for a in arrays))
    _assert_accumulated(backend, actual, expected, dtype, op="einsum", terms=summed + len(arrays) - 1, scale=scale,
                        inputs=f"{equation!r}, " + ", ".join(f"{a.tolist()}" for a in arrays) + f" as {dtype}")


def _einsum_inputs(shapes: list[tuple[int, ...]], dtype: str = "float64", seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [_values(shape, dtype, rng) for shape in shapes]


def _dtypes(backend: Backend, dtypes: tuple[str, ...] = FLOAT_DTYPES) -> st.SearchStrategy[str]:
    """Those of ``dtypes`` the backend declares.  Random tests draw their dtype: JAX compiles
    once per example then, not once per example and dtype."""
    return st.sampled_from([d for d in dtypes if d in backend.capabilities.dtypes])


def _require_behaviour(backend: Backend, name: str) -> str:
    """The backend's declared choice ``name``; a skip, reported as not applicable, without one."""
    declared = backend.behaviour(name)
    if declared is None:
        pytest.skip(f"{testing.NOT_APPLICABLE} {backend.name}: declares no {name!r} behaviour")
    return declared


# -- einsum: random equations (E01-E07) ----------------------------------------------------


@st.composite
def _einsum_cases(draw: st.DrawFn) -> tuple[str, list[tuple[int, ...]], int]:
    """A valid equation, its operands' shapes and a seed for their values: 1–3 operands over
    1–4 letters of both cases, labels repeated within an operand (diagonals), sizes of 1 that
    broadcast, sometimes a ``...`` whose dimensions broadcast, implicit or explicit output."""
    letters = draw(st.lists(st.sampled_from(string.ascii_letters), min_size=1, max_size=4, unique=True), label="letters")
    sizes = {label: draw(st.sampled_from((2, 3, 1, 0))) for label in letters}
    batch = tuple(draw(st.lists(st.sampled_from((2, 3, 1)), max_size=2))) if draw(st.booleans()) else None
    terms, shapes = [], []
    for _ in range(draw(st.integers(1, 3), label="operands")):
        subscripts = draw(st.lists(st.sampled_from(letters), max_size=3))
        own = {label: 1 if draw(st.integers(0, 4)) == 0 else sizes[label] for label in subscripts}
        shape = [own[label] for label in subscripts]
        if batch is not None and draw(st.booleans()):
            at = draw(st.integers(0, len(subscripts)))
            covered = batch[len(batch) - draw(st.integers(0, len(batch))):]
            covered = tuple(1 if draw(st.integers(0, 4)) == 0 else size for size in covered)
            subscripts, shape = [*subscripts[:at], "...", *subscripts[at:]], [*shape[:at], *covered, *shape[at:]]
        terms.append("".join(subscripts))
        shapes.append(tuple(shape))
    equation = ",".join(terms)
    if draw(st.booleans()):
        used = list(dict.fromkeys(c for c in equation if c in letters))
        out = draw(st.permutations(used))[: draw(st.integers(0, len(used)))]
        if "..." in equation:
            at = draw(st.integers(0, len(out)))
            out = [*out[:at], "...", *out[at:]]
        equation += "->" + "".join(out)
    return equation, shapes, draw(st.integers(0, 2**32 - 1), label="seed")


@spec("E01", "E02", "E03", "E04", "E05", "E06", "E07")
@given(case=_einsum_cases(), data=st.data())
def test_einsum_random(backend, case, data):
    """E02–E05: factors along a shared label multiply, labels missing from the output are
    summed, the output takes any order; E06: without '->' the output is the labels seen once,
    sorted (E01: upper case, before lower case); E07: '...' dimensions broadcast and lead an
    implicit output.  Random equations against the reference, in a drawn dtype."""
    equation, shapes, seed = case
    dtype = data.draw(_dtypes(backend, EINSUM_DTYPES), label="dtype")
    _check_einsum(backend, equation, _einsum_inputs(shapes, dtype, seed), dtype)


# -- einsum: the catalogue's examples and the edge cases (E01-E07) -------------------------

EINSUM_EXAMPLES = [  # (equation, operand shapes); each id starts with its catalogue ID
    pytest.param("ij,jk->ik", [(2, 3), (3, 4)], id="E02-matmul"),
    pytest.param("i,i->i", [(3,), (3,)], id="E03-product"),
    pytest.param("i,i->", [(3,), (3,)], id="E03-dot"),
    pytest.param("ij->i", [(2, 3)], id="E04-row-sums"),
    pytest.param("ij->", [(2, 3)], id="E04-sum-of-all"),
    pytest.param("ijk->kij", [(2, 3, 4)], id="E05-permute"),
    pytest.param("ba", [(2, 3)], id="E06-implicit-transpose"),
    pytest.param("ij,jk", [(2, 3), (3, 4)], id="E06-implicit-matmul"),
    pytest.param("ii", [(3, 3)], id="E06-implicit-trace"),
    pytest.param("bA", [(2, 3)], id="E06-upper-case-sorts-first"),
    pytest.param("...ij->...ji", [(2, 3, 4)], id="E07-batched-transpose"),
    pytest.param("b...a", [(2, 3, 4)], id="E07-implicit-ellipsis-leads"),
    pytest.param("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)], id="E07-ellipsis-broadcasts"),
    pytest.param("a...b,b", [(2, 3, 4), (4,)], id="E07-ellipsis-in-the-middle"),
    pytest.param("ij->...ij", [(2, 3)], id="E07-ellipsis-covering-nothing"),
    pytest.param("IJ->JI", [(2, 3)], id="E01-upper-case"),
    pytest.param("aB,Bc->ac", [(2, 3), (3, 4)], id="E01-mixed-case"),
    pytest.param("ii->i", [(3, 3)], id="E03-diagonal"),
    pytest.param("iij->ji", [(2, 2, 3)], id="E03-diagonal-of-a-batch"),
    pytest.param("i,i->i", [(1,), (3,)], id="E03-size-1-broadcasts"),
    pytest.param("ii,i->i", [(1, 1), (3,)], id="E03-size-1-diagonal-broadcasts"),
    pytest.param("ij, jk -> ik", [(2, 3), (3, 4)], id="E02-spaces-ignored"),
    pytest.param(",i->i", [(), (3,)], id="E03-0-d-operand"),
    pytest.param("", [()], id="E06-0-d-implicit"),
    pytest.param("ij->i", [(2, 0)], id="E04-empty-sum-is-0"),
    pytest.param("ij,jk->ik", [(2, 0), (0, 3)], id="E04-empty-contraction-is-0"),
]


@spec("E01", "E02", "E03", "E04", "E05", "E06", "E07")
@pytest.mark.parametrize(("equation", "shapes"), EINSUM_EXAMPLES)
def test_einsum_examples(backend, equation, shapes):
    """E01–E07 on the catalogue's examples ('ij,jk->ik' = A@B, 'ba' = x.T, 'ii' = trace,
    'b...a' on (2, 3, 4) -> (3, 4, 2), 'IJ->JI', ...) and the edge cases: diagonals, size-1
    broadcasting, spaces, 0-d operands, empty sums."""
    _check_einsum(backend, equation, _einsum_inputs(shapes), "float64")


EINSUM_ERRORS = [  # (equation, operand shapes, what is wrong)
    ("ij->i", [(3,)], "more subscripts than dimensions"),
    ("i->i", [(2, 3)], "fewer subscripts than dimensions, and no '...'"),
    ("...ij->ij", [(3,)], "more subscripts than dimensions beside '...'"),
    ("i,i->i", [(3,)], "fewer operands than the equation names"),
    ("i->i", [(3,), (3,)], "more operands than the equation names"),
    ("i,i->i", [(2,), (3,)], "one label with sizes 2 and 3"),
    ("ii->i", [(2, 3)], "a repeated label with sizes 2 and 3"),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 4, 2)], "'...' dimensions 2 and 4 that do not broadcast"),
    ("ii->ii", [(3, 3)], "an output label twice"),
    ("i->j", [(3,)], "an output label that is in no input"),
    ("i->i->i", [(3,)], "two '->'"),
    ("i.->i", [(2, 3)], "a '.' that is not part of '...'"),
    ("...i...->i", [(2, 3)], "two '...' in one operand"),
]


@spec("E02", "E07")
@pytest.mark.parametrize(("equation", "shapes", "why"), EINSUM_ERRORS, ids=[e[2] for e in EINSUM_ERRORS])
def test_einsum_errors(backend, equation, shapes, why):
    """E02/E07: an equation must match its operands: one subscript per dimension (or a
    '...' for the rest), one term per operand, one size per label (or 1), '...' dimensions
    that broadcast, output labels that are distinct and come from the inputs, one '->'."""
    fn = testing.op(backend, "einsum")
    operands = [backend.asarray(np.ones(shape)) for shape in shapes]
    with testing.raises_as_spec(backend, f"einsum({equation!r}) on shapes {shapes}: {why}"):
        fn(equation, *operands)


@spec("E01")
def test_einsum_labels(backend):
    """E01: subscripts are letters, upper case included (52, not the notes' 26; the curated
    'IJ->JI' and 'aB,Bc->ac' check them).  Other characters: 'letters' backends (NumPy,
    torch) raise; 'any' backends (JAX, via opt_einsum) take them as labels like a letter."""
    declared = _require_behaviour(backend, "einsum_labels")
    fn = testing.op(backend, "einsum")
    values = _einsum_inputs([(2, 3)])[0]
    for equation in ("i1->i", "i#->i"):
        if declared == "letters":
            with testing.raises_as_spec(backend, f"einsum({equation!r}): a subscript that is not a letter"):
                fn(equation, backend.asarray(values))
        else:
            expected = ORACLE.to_numpy(ORACLE.einsum("ij->i", ORACLE.asarray(values)))
            assert_conforms(backend, fn(equation, backend.asarray(values)), expected, op=f"einsum({equation!r})",
                            terms=3, scale=np.abs(values).sum(1), inputs=f"{values.tolist()}; the same as 'ij->i'")


@spec("E07")
def test_einsum_dropped_ellipsis(backend):
    """E07: an explicit output without '...' while the '...' covers dimensions: 'sum'
    backends (torch, JAX) sum those dimensions, '...i->i' on (2, 3, 4) gives (4,); 'error'
    backends (NumPy) raise.  A '...' that covers nothing may always be left out."""
    declared = _require_behaviour(backend, "einsum_dropped_ellipsis")
    _check_einsum(backend, "...i->i", _einsum_inputs([(3,)]), "float64")
    if declared == "sum":
        _check_einsum(backend, "...i->i", _einsum_inputs([(2, 3, 4)]), "float64")
    else:
        with testing.raises_as_spec(backend, "einsum('...i->i') of a (2, 3, 4) array, which drops two '...' dimensions"):
            testing.op(backend, "einsum")("...i->i", backend.asarray(np.ones((2, 3, 4))))


# -- unfold (S15) ------------------------------------------------------------------------


class Conv(NamedTuple):
    """A convolution's input and weight shapes, its stride, padding and dilation."""

    x_shape: tuple[int, int, int, int]
    w_shape: tuple[int, int, int, int]
    stride: int = 1
    padding: int = 0
    dilation: int = 1

    @property
    def out_hw(self) -> tuple[int, int]:
        """The output's height and width (reference formula)."""
        return tuple(ref.output_size(size, k, self.dilation, self.padding, self.stride)
                     for size, k in zip(self.x_shape[2:], self.w_shape[2:]))

    def describe(self) -> str:
        return (f"x {self.x_shape}, weight {self.w_shape}, stride {self.stride}, padding {self.padding}, "
                f"dilation {self.dilation}")


@st.composite
def _conv_cases(draw: st.DrawFn) -> Conv:
    """Small convolutions whose kernel fits the padded input (few distinct shapes: JAX
    compiles each)."""
    n, c, o = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w, kh, kw = draw(st.sampled_from((4, 5))), draw(st.sampled_from((4, 5))), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    case = Conv((n, c, h, w), (o, c, kh, kw), draw(st.integers(1, 2)), draw(st.integers(0, 1)), draw(st.integers(1, 2)))
    assume(case.dilation * (max(kh, kw) - 1) + 1 <= min(h, w) + 2 * case.padding)
    return case


CONV_EXAMPLES = (
    Conv((1, 1, 4, 4), (1, 1, 2, 2)),                        # the notes' einsum convolution (E09)
    Conv((2, 3, 5, 5), (2, 3, 3, 2), stride=2, padding=1, dilation=2),
    Conv((1, 2, 4, 5), (3, 2, 1, 1)),                        # a 1x1 kernel mixes channels only
    Conv((1, 2, 4, 4), (1, 2, 4, 4)),                        # the kernel covers the input: one position
    Conv((1, 3, 4, 4), (2, 3, 3, 3), padding=1),             # "same" padding
)


def _assert_columns(backend: Backend, columns, values: np.ndarray, dtype: str, kernel, dilation=1, padding=0,
                    stride=1) -> None:
    """``columns``, the backend's unfold of ``values``, against the reference's, exactly (it
    only moves data)."""
    expected = ORACLE.to_numpy(ORACLE.unfold(ORACLE.asarray(values, "float64"), kernel, dilation, padding, stride))
    assert_conforms(backend, columns, expected, op="unfold", dtype=dtype, exact=True,
                    inputs=f"x {values.shape} {dtype}, kernel_size={kernel}, dilation={dilation}, padding={padding}, stride={stride}")


@spec("S15")
@pytest.mark.parametrize(("x_shape", "kernel", "dilation", "padding", "stride", "shape"), [
    pytest.param((2, 3, 5, 6), (2, 3), 1, 0, 1, (2, 18, 16), id="S15-catalogue-2x18x16"),
    pytest.param((1, 2, 5, 6), (2, 2), (2, 1), (1, 0), (1, 2), (1, 8, 15), id="S15-pairs"),
])
def test_unfold_examples(backend, x_shape, kernel, dilation, padding, stride, shape):
    """S15: the output is (N, C·kh·kw, L), not the notes' N × (kernel_size·kernel_size) × M:
    (2, 3, 5, 6) with a (2, 3) kernel gives (2, 3·2·3, 4·4) = (2, 18, 16), each column
    ordered channel, kernel row, kernel column; per-dimension pairs too.  (Random shapes,
    strides, paddings, dilations and dtypes are test_conv2d's unfold+einsum route.)"""
    fn = testing.op(backend, "unfold")
    values = distinct_values(x_shape, "float32")
    out = fn(backend.asarray(values), kernel, dilation, padding, stride)
    assert backend.shape(out) == shape, f"{backend.name}: unfold of {x_shape} with kernel {kernel} has shape {backend.shape(out)}"
    _assert_columns(backend, out, values, "float32", kernel, dilation, padding, stride)


# -- convolution: conv2d and unfold + einsum (E08 E09) -------------------------------------


def _convolve(backend: Backend, route: str, x, weight, case: Conv) -> tuple[object, object | None]:
    """The convolution by the backend's conv2d, or by its unfold, einsum and reshape; and,
    for the second route, the unfolded columns."""
    if route == "conv2d":
        return testing.op(backend, "conv2d")(x, weight, case.stride, case.padding, case.dilation), None
    unfold, einsum, reshape = (testing.op(backend, name) for name in ("unfold", "einsum", "reshape"))
    (n, c, _, _), (o, _, kh, kw) = case.x_shape, case.w_shape
    columns = unfold(x, (kh, kw), case.dilation, case.padding, case.stride)
    out = einsum("oc,bcn->bon", reshape(weight, (o, c * kh * kw)), columns)
    return reshape(out, (n, o, *case.out_hw)), columns


def _check_conv(backend: Backend, route: str, case: Conv, dtype: str, seed: int = 0) -> None:
    """A route against the reference's direct cross-correlation (C·kh·kw products summed),
    and the unfold+einsum route's columns against the reference's unfold."""
    testing.require_dtype(backend, dtype)
    rng = np.random.default_rng(seed)
    x, w = _values(case.x_shape, dtype, rng), _values(case.w_shape, dtype, rng)
    args = (case.stride, case.padding, case.dilation)
    expected = ORACLE.to_numpy(ORACLE.conv2d(ORACLE.asarray(x), ORACLE.asarray(w), *args))
    scale = ORACLE.to_numpy(ORACLE.conv2d(ORACLE.asarray(np.abs(x)), ORACLE.asarray(np.abs(w)), *args))
    actual, columns = _convolve(backend, route, backend.asarray(x, dtype=dtype), backend.asarray(w, dtype=dtype), case)
    if columns is not None:
        _assert_columns(backend, columns, x, dtype, case.w_shape[2:], case.dilation, case.padding, case.stride)
    _assert_accumulated(backend, actual, expected, dtype, op=route, terms=prod(case.w_shape[1:]) + 1, scale=scale,
                        inputs=f"{case.describe()}, seed {seed}, {dtype}")


@spec("S15", "E09")
@pytest.mark.parametrize("route", ROUTES)
@given(case=_conv_cases(), data=st.data())
def test_conv2d(backend, route, case, data):
    """E09: conv2d is a cross-correlation (the kernel is not flipped), with stride, padding
    and dilation, and unfold + einsum('oc,bcn->bon') + reshape computes the same: both routes
    against the reference's direct loops.  S15: on the way, unfold's columns, (N, C·kh·kw, L)
    ordered channel, kernel row, kernel column, equal the reference's exactly.  The dtype is
    drawn, so JAX compiles once per example, not once per example and dtype."""
    dtype, seed = data.draw(_dtypes(backend), label="dtype"), data.draw(st.integers(0, 2**32 - 1), label="seed")
    _check_conv(backend, route, case, dtype, seed)


@spec("S15", "E09")
@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("case", CONV_EXAMPLES, ids=lambda c: c.describe())
def test_conv2d_examples(backend, route, case):
    """E09: the notes' 4×4 input with a 2×2 kernel, strided, padded and dilated kernels, a
    1×1 kernel, a kernel as large as the input and 'same' padding, by both routes."""
    _check_conv(backend, route, case, "float32")


@spec("E08", "E09")
@pytest.mark.parametrize("route", ROUTES)
def test_notes_einsum_convolution(backend, route):
    """E08/E09: the notes' example with its typo fixed (it defines `kernal`, then reads
    `kernel.shape`, a NameError as written): input = arange(1, 17).view(1, 1, 4, 4), kernel
    [[1, 0], [0, -1]]; unfold gives (1, 4, 9), and the output (1, 1, 3, 3) is x[i, j] −
    x[i+1, j+1] = −5 everywhere, by unfold + einsum and by conv2d alike."""
    values, kernel = np.arange(1.0, 17.0).reshape(1, 1, 4, 4), np.array([[1.0, 0.0], [0.0, -1.0]]).reshape(1, 1, 2, 2)
    case = CONV_EXAMPLES[0]
    out, columns = _convolve(backend, route, backend.asarray(values, "float32"), backend.asarray(kernel, "float32"), case)
    if columns is not None:
        assert backend.shape(columns) == (1, 4, 9), f"{backend.name}: the notes' unfold has shape {backend.shape(columns)}"
    expected = ORACLE.to_numpy(ORACLE.conv2d(ORACLE.asarray(values), ORACLE.asarray(kernel)))
    assert_conforms(backend, out, expected, op=route, dtype="float32", terms=5,
                    products=backend.behaviour("float32_conv_precision"), scale=ORACLE.to_numpy(ORACLE.conv2d(ORACLE.asarray(values), ORACLE.asarray(np.abs(kernel)))),
                    inputs="arange(1, 17).view(1, 1, 4, 4), kernel [[1, 0], [0, -1]]")


@spec("S15", "E09")
@pytest.mark.parametrize("name", ["unfold", "conv2d"])
def test_kernel_too_large(backend, name):
    """S15/E09: a 3×3 kernel on a 2×2 input has no position: 'error' backends (NumPy,
    torch) raise; 'empty' backends (JAX) return L = 0 positions: unfold (1, 9, 0), conv2d
    (1, 1, 0, 0)."""
    declared = _require_behaviour(backend, "conv_kernel_too_large")
    fn = testing.op(backend, name)
    x, weight = backend.asarray(np.ones((1, 1, 2, 2))), backend.asarray(np.ones((1, 1, 3, 3)))
    call = (lambda: fn(x, (3, 3))) if name == "unfold" else (lambda: fn(x, weight))
    if declared == "error":
        with testing.raises_as_spec(backend, f"{name} of a (1, 1, 2, 2) input with a 3×3 kernel"):
            call()
    else:
        shape, got = (1, 9, 0) if name == "unfold" else (1, 1, 0, 0), backend.shape(call())
        assert got == shape, f"{backend.name}: {name} with no kernel position has shape {got}, not {shape}"


CONV_ERRORS = [  # (op, input shape, weight shape or kernel size, keyword arguments, what is wrong)
    ("conv2d", (1, 3, 4, 4), (2, 2, 2, 2), {}, "3 input channels, a weight for 2"),
    ("conv2d", (1, 1, 4, 4), (1, 1, 2, 2), {"stride": 0}, "stride 0"),
    ("unfold", (1, 1, 4, 4), (2, 2), {"stride": 0}, "stride 0"),
    ("unfold", (1, 1, 4, 4), (2, 2), {"dilation": 0}, "dilation 0"),
]


@spec("S15", "E09")
@pytest.mark.parametrize(("name", "x_shape", "second", "kwargs", "why"), CONV_ERRORS, ids=[f"{e[0]}-{e[4]}" for e in CONV_ERRORS])
def test_conv_errors(backend, name, x_shape, second, kwargs, why):
    """S15/E09: unfold and conv2d raise for a weight whose channels differ from the input's,
    and for a stride or dilation of 0."""
    fn = testing.op(backend, name)
    x = backend.asarray(np.ones(x_shape))
    with testing.raises_as_spec(backend, f"{name} of {x_shape} with {second}, {kwargs}: {why}"):
        fn(x, backend.asarray(np.ones(second)) if name == "conv2d" else second, **kwargs)
