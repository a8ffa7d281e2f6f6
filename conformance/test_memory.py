"""Conformance: the tensor memory model (catalogue T01–T28).

Every backend's views, copies and metadata operations are compared with
``reference.memory``: values, shapes and dtypes always; aliasing and strides where the
backend has views (``aspect="layout"``).  Inputs are row-major arrays of distinct values,
optionally permuted and sliced, so strided and non-contiguous cases are exercised.
"""

from __future__ import annotations

import warnings
from math import prod

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from dlspec import testing
from dlspec.api import DTYPES
from dlspec.checks import ORACLE, check_aliasing, check_op, significant_strides
from dlspec.compare import assert_conforms
from dlspec.strategies import (
    INTERESTING,
    Layout,
    basic_index,
    distinct_values,
    examples,
    layouts,
    shapes,
    values_for,
    view_shapes,
)
from reference import memory
from reference.dtypes import round_to

spec = pytest.mark.spec
MOVE_DTYPES = ("float32", "bfloat16", "int64", "bool")
ASPECTS = ("values", "layout")


# -- new arrays: row-major, contiguous, dtypes (T01 T02 T03 T07) --------------------------


@spec("T01", "T02", "T07")
@given(shape=shapes(min_dims=1))
def test_new_array_is_row_major(backend, shape):
    """T01/T02/T07: a new array is row-major (last stride 1), contiguous, and its last
    dimension is the row length; a vector (3,) has one dimension."""
    x = backend.asarray(distinct_values(shape, "float32"))
    assert backend.shape(x) == shape, f"{backend.name}: asarray shape {backend.shape(x)} != {shape}"
    strides = backend.strides(x)
    if strides is not None and prod(shape):
        want = memory.contiguous_strides(shape)
        assert significant_strides(shape, strides) == significant_strides(shape, want), (
            f"{backend.name}: new array of shape {shape} has strides {strides}, row-major is {want}")
    if backend.implementation("is_contiguous") != "not implemented":
        assert testing.op(backend, "is_contiguous")(x), f"{backend.name}: a new array of shape {shape} is not contiguous"
    row = testing.op(backend, "getitem")(x, (0,) * (len(shape) - 1)) if prod(shape) else None
    if row is not None:
        assert backend.shape(row) == (shape[-1],), f"{backend.name}: a row of {shape} has shape {backend.shape(row)}"


@spec("T03")
@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype_round_trip(backend, dtype):
    """T03: every declared dtype exists and holds its values; undeclared ones are reported."""
    testing.require_dtype(backend, dtype)
    values = distinct_values((2, 3), dtype)
    assert_conforms(backend, backend.asarray(values, dtype=dtype), values, op="asarray", dtype=dtype, exact=True,
                    inputs=f"distinct (2, 3) {dtype}")


# -- view and reshape (T08 T13 T15 T16 T17 T25) -------------------------------------------


@st.composite
def _layout_and_view_shape(draw):
    layout = draw(layouts(), label="layout")
    return layout, draw(view_shapes(prod(_shape_of(layout))), label="shape")


VIEW_EXAMPLES = [
    (INTERESTING[0], (12,)), (INTERESTING[0], (2, 2, 3)), (INTERESTING[1], (4, 6)), (INTERESTING[1], (4, 2, 3)),
    (INTERESTING[2], (6,)), (INTERESTING[3], (3, 2)), (INTERESTING[4], (1, 1)), (INTERESTING[5], (0,)),
]


@spec("T08", "T15", "T17")
@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize("dtype", MOVE_DTYPES)
@given(case=_layout_and_view_shape())
@examples("case", VIEW_EXAMPLES)
def test_view(backend, dtype, aspect, case):
    """T08/T15/T17: view shares memory and raises exactly when a new dimension would span
    two non-contiguous chunks of the input, contiguous or not."""
    layout, shape = case
    check_op(backend, "view", layout, dtype, shape, aspect=aspect)


@spec("T13", "T16", "T25")
@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize("dtype", MOVE_DTYPES)
@given(case=_layout_and_view_shape())
@examples("case", VIEW_EXAMPLES)
def test_reshape(backend, dtype, aspect, case):
    """T13/T16/T25: reshape is a view when one is possible and a copy otherwise; it never
    raises for a shape with the right number of elements."""
    layout, shape = case
    check_op(backend, "reshape", layout, dtype, shape, aspect=aspect)


NOTES_VIEWS = [  # (op, input layout, arguments); each id starts with its catalogue ID
    pytest.param("view", Layout((2, 8)), ((2, 8),), id="T08-view-2x8"),
    pytest.param("view", Layout((3, 4), (1, 0)), ((2, 2, 3),), id="T15-transposed-view-2x2x3-works"),
    pytest.param("view", Layout((3, 4), (1, 0)), ((12,),), id="T15-transposed-view-12-raises"),
    pytest.param("view", Layout((2, 3, 4), (2, 0, 1)), ((2, 12),), id="T17-permuted-view-raises"),
    pytest.param("reshape", Layout((3, 4)), ((4, 3),), id="T13-contiguous-reshape-is-view"),
    pytest.param("reshape", Layout((3, 4), (1, 0)), ((12,),), id="T13-transposed-reshape-copies"),
    pytest.param("reshape", Layout((3, 4), (1, 0)), ((2, 2, 3),), id="T16-reshape-keeps-noncontiguous-view"),
    pytest.param("reshape", Layout((3, 4)), ((5, 3),), id="T16-reshape-wrong-numel-raises"),
    pytest.param("reshape", Layout((3, 4)), ((2, -1),), id="T25-reshape-infers-minus-one"),
    pytest.param("reshape", Layout((3, 4)), ((5, 2),), id="T25-reshape-5x2-raises"),
    pytest.param("reshape", Layout((3, 4)), ((-1, -1),), id="T25-two-minus-ones-raise"),
    pytest.param("permute", Layout((2, 3, 4)), ((2, 0, 1),), id="T12-permute-shares-strides-1-12-4"),
    pytest.param("transpose", Layout((2, 3)), (0, 1), id="T10-T11-transpose"),
    pytest.param("reverse_dims", Layout((2, 3, 4)), (), id="T24-dotT-reverses-all-dims"),
    pytest.param("expand", Layout((3,)), ((2, 3),), id="T19-expand-new-leading-dim"),
    pytest.param("expand", Layout((3,)), ((2, -1),), id="T19-expand-minus-one-keeps"),
    pytest.param("expand", Layout((3,)), ((3, 2),), id="T19-expand-3-to-3x2-raises"),
    pytest.param("expand", Layout((2, 3)), ((4, 3),), id="T19-expand-non-singleton-raises"),
    pytest.param("expand", Layout((3, 1)), ((3, 4),), id="T18-expand-stride-0"),
    pytest.param("contiguous", Layout((3, 4)), (), id="T06-contiguous-of-contiguous-is-no-copy"),
    pytest.param("contiguous", Layout((3, 4), (1, 0)), (), id="T14-contiguous-of-transpose-copies"),
    pytest.param("repeat", Layout((2, 3)), ((2, 1),), id="T21-repeat-copies"),
    pytest.param("detach", Layout((2, 3)), (), id="T20-detach-shares"),
    pytest.param("getitem", Layout((3, 4)), ((slice(1, 3), slice(1, 4)),), id="T04-slice-offset-view"),
]


@spec("T04", "T06", "T08", "T10", "T11", "T12", "T13", "T14", "T15", "T16", "T17", "T18", "T19", "T20", "T21", "T24", "T25")
@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize(("name", "layout", "args"), NOTES_VIEWS)
def test_notes_examples(backend, name, layout, args, aspect):
    """The notes' and the catalogue's own examples, each checked for values and layout."""
    check_op(backend, name, layout, "float32", *args, aspect=aspect)


# -- transpose, permute, .T, unsqueeze, squeeze, getitem (T05 T10 T11 T12 T24 T28) --------


@st.composite
def _metadata_case(draw, name):
    """A layout and the arguments of metadata op ``name`` for it."""
    layout = draw(layouts(min_dims=0 if name == "unsqueeze" else 1), label="layout")
    shape = _shape_of(layout)
    ndim = len(shape)
    assume(ndim >= 1 or name == "unsqueeze")
    dim = st.integers(-ndim, ndim - 1)
    args = {
        "transpose": lambda: (draw(dim), draw(dim)),
        "permute": lambda: (tuple(draw(st.permutations(range(ndim)))),),
        "reverse_dims": lambda: (),
        "unsqueeze": lambda: (draw(st.integers(-ndim - 1, ndim)),),
        "squeeze": lambda: (draw(st.sampled_from([None, *[d for d, s in enumerate(shape) if s == 1]])),),
        "getitem": lambda: (draw(basic_index(shape)),),
    }[name]()
    return layout, args


METADATA_EXAMPLES = {
    "transpose": [(INTERESTING[1], (0, 2)), (INTERESTING[2], (-1, 0))],
    "permute": [(INTERESTING[1], ((1, 2, 0),)), (INTERESTING[3], ((2, 0, 1),))],
    "reverse_dims": [(INTERESTING[1], ()), (INTERESTING[3], ())],
    "unsqueeze": [(INTERESTING[0], (1,)), (INTERESTING[4], (0,)), (INTERESTING[2], (-1,))],
    "squeeze": [(INTERESTING[3], (None,)), (INTERESTING[3], (1,))],
    "getitem": [(INTERESTING[0], ((slice(None, None, 2), 1),)), (INTERESTING[1], ((1, slice(1, None, 2)),))],
}


@spec("T04", "T05", "T10", "T11", "T12", "T24", "T28")
@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize("name", list(METADATA_EXAMPLES))
@given(data=st.data())
def test_metadata_ops(backend, name, aspect, data):
    """T05/T10–T12/T24: transpose, permute, .T, unsqueeze and squeeze rewrite shape and
    strides only; T04/T28: basic indexing moves the offset and multiplies strides by the
    step.  Each result is a view with the reference's values and strides."""
    for layout, args in METADATA_EXAMPLES[name]:
        check_op(backend, name, layout, "float32", *args, aspect=aspect)
    layout, args = data.draw(_metadata_case(name))
    check_op(backend, name, layout, "float32", *args, aspect=aspect)


@spec("T28")
@pytest.mark.parametrize(("index", "expected"), [
    ((0, slice(None)), [1, 2, 3]),
    ((slice(None), 1), [2, 5, 8]),
    ((slice(1, 3), slice(0, 2)), [[4, 5], [7, 8]]),
], ids=["x[0,:]", "x[:,1]", "x[1:3,0:2]"])
def test_notes_indexing_example(backend, index, expected):
    """T28: x = [[1,2,3],[4,5,6],[7,8,9]]: x[0,:] = [1,2,3], x[:,1] = [2,5,8],
    x[1:3,0:2] = [[4,5],[7,8]]."""
    x = backend.asarray(np.arange(1, 10).reshape(3, 3))
    out = testing.op(backend, "getitem")(x, index)
    assert_conforms(backend, out, np.array(expected), op="getitem", exact=True, inputs=f"[[1,2,3],[4,5,6],[7,8,9]], {index}")


# -- expand vs repeat, contiguous, detach, clone (T06 T14 T18 T19 T20 T21) ----------------


@st.composite
def _expand_case(draw):
    shape = draw(shapes(0, 3, 0, 3))
    lead = draw(shapes(0, 2, 0, 3))
    target = lead + tuple(draw(st.sampled_from([s, -1] + ([0, 2, 3] if s == 1 else [s + 1]))) for s in shape)
    return Layout(shape), target


@spec("T18", "T19")
@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize("dtype", MOVE_DTYPES)
@given(case=_expand_case())
@example(case=(Layout((3,)), (2, 3)))
@example(case=(Layout((3,)), (3, 2)))
def test_expand(backend, dtype, aspect, case):
    """T18/T19: expand adds leading dims and grows size-1 dims with stride 0, never copies,
    keeps sizes given as -1, and raises for any other size change."""
    layout, target = case
    check_op(backend, "expand", layout, dtype, target, aspect=aspect)


@spec("T21")
@pytest.mark.parametrize("aspect", ASPECTS)
@given(layout=layouts(max_dims=3), data=st.data())
def test_repeat(backend, aspect, layout, data):
    """T21: repeat tiles the input (new leading dims when given more sizes) into new memory."""
    ndim = len(_shape_of(layout))
    sizes = tuple(data.draw(st.lists(st.integers(0, 3), min_size=ndim, max_size=ndim + 2), label="sizes"))
    check_op(backend, "repeat", layout, "float32", sizes, aspect=aspect)


@spec("T06", "T14", "T20", "T21")
@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize("name", ["contiguous", "detach", "clone"])
@given(layout=layouts())
@examples("layout", INTERESTING)
def test_copy_or_alias(backend, name, aspect, layout):
    """T06/T14: contiguous returns its input when already contiguous, else a row-major copy;
    T20: detach shares memory; clone copies."""
    check_op(backend, name, layout, "float32", aspect=aspect)


@spec("T07")
@given(layout=layouts())
@examples("layout", INTERESTING)
def test_is_contiguous(backend, layout):
    """T07: is_contiguous is true exactly for row-major strides (size-1 dims ignored):
    x is, x.t() and x[:, ::2] are not."""
    fn = testing.op(backend, "is_contiguous")
    want = ORACLE.is_contiguous(layout.build(ORACLE, "float32"))
    got = fn(layout.build(backend, "float32"))
    assert got == want, f"{backend.name}: is_contiguous({layout.describe('float32')}) = {got}, the spec says {want}"


@spec("T08", "T18", "T20")
@pytest.mark.parametrize("name", ["view", "expand", "detach", "getitem", "reshape", "permute"])
def test_write_through(backend, name):
    """T08/T18/T20: a write into the input is seen through a view of it (b = t.view(2, 8);
    writing t[0, 0] = 3.14 shows in b), and not through a copy."""
    testing.require(backend, "inplace")
    testing.require(backend, "views")
    arg = {"view": ((2, 8),), "expand": ((3, 4, 4),), "detach": (), "getitem": ((slice(1, 3),),),
           "reshape": ((8, 2),), "permute": ((1, 0),)}[name]
    fn, write = testing.op(backend, name), testing.op(backend, "setitem")
    x_ref, x = ORACLE.asarray(np.zeros((4, 4), np.float32)), backend.asarray(np.zeros((4, 4), np.float32))
    y_ref, y = getattr(ORACLE, name)(x_ref, *arg), fn(x, *arg)
    ORACLE.setitem(x_ref, (1, 2), 3.14)
    write(x, (1, 2), 3.14)
    assert_conforms(backend, y, ORACLE.to_numpy(y_ref), op=f"{name} after writing x[1, 2] = 3.14", exact=True,
                    inputs=f"x = zeros(4, 4), {arg}")


@spec("T09")
def test_shares_memory_is_exact(backend):
    """T09: ``shares_memory`` (not the deprecated typed storage) reports aliasing exactly:
    true for views, false for copies and unrelated arrays, without warnings."""
    testing.require(backend, "views")
    x = backend.asarray(np.arange(12.0).reshape(3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_aliasing(backend, testing.op(backend, "transpose")(x, 0, 1), x, True, "transpose(x, 0, 1)")
        check_aliasing(backend, testing.op(backend, "clone")(x), x, False, "clone(x)")
        check_aliasing(backend, backend.asarray(np.arange(12.0).reshape(3, 4)), x, False, "asarray(same values)")


# -- reductions, arithmetic, gather, vmap (T22 T23 T26 T27) ------------------------------

FLOAT_DTYPES = ("float64", "float32", "float16", "bfloat16")


@spec("T22")
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@given(shape=shapes(1, 3, 1, 5), data=st.data())
@example(shape=(2, 3), data=None)
def test_sum_along_dim(backend, dtype, shape, data):
    """T22: reducing along a dim removes it: [[1,2,3],[4,5,6]].sum(0) = [5,7,9],
    .sum(1) = [6,15]; random inputs against the float64 reference under the policy."""
    testing.require_dtype(backend, dtype)
    values = np.arange(1.0, 7.0).reshape(2, 3) if data is None else values_for(shape, dtype, data)
    dims = range(-len(values.shape), len(values.shape))
    for dim in dims:
        out = testing.op(backend, "sum")(backend.asarray(values, dtype=dtype), dim)
        expected = ORACLE.to_numpy(ORACLE.sum(ORACLE.asarray(values), dim))
        scale = ORACLE.to_numpy(ORACLE.sum(ORACLE.asarray(np.abs(values)), dim))
        lowp = round_to(expected, dtype) if dtype in ("float16", "bfloat16") else None
        assert_conforms(backend, out, expected, op="sum", dtype=dtype, terms=values.shape[dim], scale=scale,
                        lowp_expected=lowp, inputs=f"{values.tolist()} as {dtype}, dim={dim}")


@spec("T23")
@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide"])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@given(shape=shapes(0, 3, 0, 4), data=st.data())
def test_elementwise(backend, name, dtype, shape, data):
    """T23: + - * / act element by element."""
    testing.require_dtype(backend, dtype)
    a, b = values_for(shape, dtype, data), values_for(shape, dtype, data, nonzero=name == "divide")
    out = testing.op(backend, name)(backend.asarray(a, dtype=dtype), backend.asarray(b, dtype=dtype))
    expected = ORACLE.to_numpy(getattr(ORACLE, name)(ORACLE.asarray(a), ORACLE.asarray(b)))
    lowp = round_to(expected, dtype) if dtype in ("float16", "bfloat16") else None
    assert_conforms(backend, out, expected, op=name, dtype=dtype, lowp_expected=lowp, inputs=f"{a.tolist()}, {b.tolist()}")


@spec("T23")
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@given(m=st.integers(1, 4), k=st.integers(1, 6), n=st.integers(1, 4), data=st.data())
@example(m=2, k=2, n=2, data=None)
def test_matmul_2d(backend, dtype, m, k, n, data):
    """T23: a @ b is the matrix product: [[1,2],[3,4]] @ [[5,6],[7,8]] = [[19,22],[43,50]]."""
    testing.require_dtype(backend, dtype)
    if data is None:
        a, b = np.array([[1.0, 2], [3, 4]]), np.array([[5.0, 6], [7, 8]])
    else:
        a, b = values_for((m, k), dtype, data), values_for((k, n), dtype, data)
    out = testing.op(backend, "matmul")(backend.asarray(a, dtype=dtype), backend.asarray(b, dtype=dtype))
    expected = ORACLE.to_numpy(ORACLE.matmul(ORACLE.asarray(a), ORACLE.asarray(b)))
    scale = ORACLE.to_numpy(ORACLE.matmul(ORACLE.asarray(np.abs(a)), ORACLE.asarray(np.abs(b))))
    lowp = round_to(expected, dtype) if dtype in ("float16", "bfloat16") else None
    assert_conforms(backend, out, expected, op="matmul", dtype=dtype, terms=a.shape[1], scale=scale,
                    lowp_expected=lowp, inputs=f"{a.tolist()} @ {b.tolist()} as {dtype}")


@spec("T26")
@given(shape=shapes(1, 3, 1, 4), data=st.data())
@example(shape=(2, 3), data=None)
def test_gather(backend, shape, data):
    """T26: gather picks along one dim by an index table: out[i][j] = x[i][idx[i][j]] for
    dim=1; [[10,11,12],[20,21,22]] with [[2,0],[1,1]] gives [[12,10],[21,21]]."""
    if data is None:
        values, dim, index = np.array([[10, 11, 12], [20, 21, 22]]), 1, np.array([[2, 0], [1, 1]])
    else:
        values = distinct_values(shape, "int64")
        dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
        index_shape = tuple(data.draw(st.integers(1, 4)) if d == dim % len(shape) else s for d, s in enumerate(shape))
        index = np.array(data.draw(st.lists(st.integers(0, shape[dim] - 1), min_size=prod(index_shape),
                                            max_size=prod(index_shape)), label="index")).reshape(index_shape)
    out = testing.op(backend, "gather")(backend.asarray(values), dim, backend.asarray(index))
    expected = ORACLE.to_numpy(ORACLE.gather(ORACLE.asarray(values), dim, ORACLE.asarray(index)))
    assert_conforms(backend, out, expected, op="gather", exact=True, inputs=f"{values.tolist()}, dim={dim}, index={index.tolist()}")


@spec("T27")
@given(shape=shapes(2, 3, 1, 4), data=st.data())
def test_vmap(backend, shape, data):
    """T27: vmap turns a per-sample function (here: sum of squares of a row) into a batched
    one equal to the loop over samples."""
    values = values_for(shape, "float64", data)
    per_sample = lambda be: lambda row: be.sum(be.multiply(row, row), 0)  # noqa: E731
    out = testing.op(backend, "vmap")(per_sample(backend), backend.asarray(values))
    expected = ORACLE.to_numpy(ORACLE.vmap(per_sample(ORACLE), ORACLE.asarray(values)))
    assert_conforms(backend, out, expected, op="vmap", terms=shape[1], scale=np.sum(values**2, axis=1),
                    inputs=f"{values.tolist()}, fn=lambda row: sum(row * row, 0)")


def _shape_of(layout: Layout) -> tuple[int, ...]:
    """The shape of the input a layout builds, computed by the reference."""
    return ORACLE.shape(layout.build(ORACLE, "float32"))
