"""Conformance: shape operations and indexing (catalogue S01–S16, N01–N27; U01; T26).

Every backend's results are compared with ``reference.shapes`` (and ``reference.memory`` for
the memory area's ``unsqueeze``, ``squeeze``, ``repeat`` and ``reshape``): shapes, dtypes and
values always, exactly for data movement; aliasing and strides where the backend has views.
Inputs are row-major arrays of distinct values, often permuted and sliced first.

Where libraries legitimately differ (torch's ``squeeze(d)`` on a dimension of size 2 is a
no-op, NumPy's raises), the backend's declared behaviour (``backend.behaviour(name)``) picks
the reference's rule; a backend that declares none is reported *not applicable*.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from math import pi, prod
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from dlspec import testing
from dlspec.api import Backend
from dlspec.checks import ORACLE, check_aliasing, check_strides, oracle_dtype
from dlspec.compare import assert_conforms
from dlspec.strategies import Layout, distinct_values, examples, layouts, shapes, view_shapes
from reference import memory
from reference import shapes as ref
from reference.dtypes import round_to

spec = pytest.mark.spec
ASPECTS = ("values", "layout")
MOVE_DTYPES = ("float32", "bfloat16", "int64", "bool")
FLOAT_DTYPES = ("float64", "float32", "float16", "bfloat16")


# -- helpers -----------------------------------------------------------------------------


def check(backend: Backend, name: str, inputs: Layout | list[Layout], rule: Callable[..., memory.Tensor],
          args: Sequence[Any] = (), ref_args: Sequence[Any] | None = None, *, dtype: str = "float32",
          aspect: str = "values") -> None:
    """Run spec operation ``name`` on the input(s) built from ``inputs`` (a list for operations
    taking a sequence) and ``args``; the spec is ``rule`` applied to the same input(s) on the
    reference with ``ref_args`` (default ``args``).  Where the rule raises, the backend must.

    ``aspect="values"``: shape, dtype and values, exactly, and the inputs unchanged.
    ``aspect="layout"``: the result shares memory with an input exactly when the reference's
    does, and a view has the reference's strides (a copy's strides are the library's choice).
    """
    fn = testing.op(backend, name)
    testing.require_dtype(backend, dtype)
    if aspect == "layout":
        testing.require(backend, "views")
    group = inputs if isinstance(inputs, list) else [inputs]
    refs = [layout.build(ORACLE, oracle_dtype(dtype)) for layout in group]
    xs = [layout.build(backend, dtype) for layout in group]
    text = ", ".join([*(layout.describe(dtype) for layout in group), *map(repr, args)])
    pack = (lambda items: items) if isinstance(inputs, list) else (lambda items: items[0])
    expected = _spec_or_raise(backend, f"{name}({text})", lambda: rule(pack(refs), *(args if ref_args is None else ref_args)),
                              lambda: fn(pack(xs), *args))
    if expected is None:
        return
    before = [backend.to_numpy(x) for x in xs]
    actual = fn(pack(xs), *args)
    if aspect == "values":
        assert_conforms(backend, actual, memory.to_numpy(expected), op=name, dtype=dtype, exact=True, inputs=text)
        for x, values in zip(xs, before):
            assert_conforms(backend, x, values, op=f"{name} (input afterwards, must be unchanged)", dtype=dtype,
                            exact=True, inputs=text)
        return
    views = [memory.shares_storage(expected, r) for r in refs]
    for x, view in zip(xs, views):
        check_aliasing(backend, actual, x, view, f"{name}({text})")
    if any(views):
        check_strides(backend, actual, expected.strides, f"{name}({text})")


def _spec_or_raise(backend: Backend, what: str, rule: Callable[[], memory.Tensor], run: Callable[[], Any]) -> memory.Tensor | None:
    """The reference's result ``rule()``; where the rule raises, the spec requires an error:
    assert that ``run()`` raises on the backend and return None."""
    try:
        return rule()
    except (ValueError, TypeError):
        with testing.raises_as_spec(backend, what):
            run()
        return None


def _shape_of(layout: Layout) -> tuple[int, ...]:
    """The shape of the input a layout builds, computed by the reference."""
    return ORACLE.shape(layout.build(ORACLE, "float32"))


def _inputs(min_dims: int, max_dims: int) -> st.SearchStrategy[Layout]:
    """Layouts (see :func:`dlspec.strategies.layouts`) whose input has at least ``min_dims``
    dimensions once sliced: an integer index drops one."""
    return layouts(min_dims, max_dims).filter(lambda layout: len(_shape_of(layout)) >= min_dims)


def _python_index(values: Any, key: tuple[int | slice, ...]) -> Any:
    """``key`` applied to nested Python lists by Python's own indexing, one item per level:
    the documented meaning of the notes' slicing examples (N01–N12)."""
    if not key:
        return values
    first, rest = key[0], key[1:]
    if isinstance(first, int):
        return _python_index(values[first], rest)
    return [_python_index(v, rest) for v in values[first]]


# -- unsqueeze, x[:, None], ... and squeeze (S01-S05 S07-S09) -------------------------------


@st.composite
def _unsqueeze_case(draw):
    layout = draw(layouts(max_dims=3), label="layout")
    ndim = len(_shape_of(layout))
    return layout, draw(st.integers(-ndim - 2, ndim + 1), label="dim")  # one past each end raises


UNSQUEEZE_EXAMPLES = [
    (Layout((4, 5)), 0), (Layout((4, 5)), 2),                    # S01: (1, 4, 5) and (4, 5, 1)
    (Layout((4,)), 0), (Layout((4,)), 1),                        # S08: a row (1, 4), a column (4, 1)
    (Layout((3, 4)), -1), (Layout((3, 4)), 1), (Layout((3, 4)), -3),  # S09: (3, 4, 1), (3, 1, 4), (1, 3, 4)
    (Layout((3, 4)), 3), (Layout((3, 4)), -4),                   # S09: out of [-3, 2], raises
]


@spec("S01", "S08", "S09")
@pytest.mark.parametrize("aspect", ASPECTS)
@given(case=_unsqueeze_case())
@examples("case", UNSQUEEZE_EXAMPLES)
def test_unsqueeze(backend, aspect, case):
    """S01/S08/S09: unsqueeze(dim) inserts a size-1 dimension that is dimension ``dim`` of the
    result: 0 in front, -1 at the end, n before the old dimension n; dim ranges over
    [-ndim-1, ndim] and anything else raises.  A view."""
    layout, dim = case
    check(backend, "unsqueeze", layout, memory.unsqueeze, (dim,), aspect=aspect)


@st.composite
def _none_case(draw):
    layout = draw(layouts(max_dims=3), label="layout")
    return layout, draw(st.integers(0, len(_shape_of(layout))), label="p")


@spec("S02")
@pytest.mark.parametrize("aspect", ASPECTS)
@given(case=_none_case())
@examples("case", [(Layout((4, 5)), 1), (Layout((3, 4), (1, 0)), 2), (Layout(()), 0)])
def test_none_is_unsqueeze(backend, aspect, case):
    """S02: ``x[:, None]``, a None after p full slices, is ``unsqueeze(x, p)``: for x of shape
    (4, 5), (4, 1, 5); the same values, shape and strides, and a view."""
    layout, p = case
    check(backend, "index", layout, lambda t, _: memory.unsqueeze(t, p), ((slice(None),) * p + (None,),), aspect=aspect)


@st.composite
def _ellipsis_case(draw):
    """A layout, an index with ``...`` between in-range ints, and the same index spelled
    with the ``:`` the ``...`` stands for."""
    layout = draw(_inputs(1, 3), label="layout")
    shape = _shape_of(layout)
    head = draw(st.integers(0, len(shape)), label="head")
    tail = draw(st.integers(0, len(shape) - head), label="tail")
    items = [draw(st.integers(-s, s - 1) if s else st.just(slice(None))) for s in shape]
    before, after = tuple(items[:head]), tuple(items[len(shape) - tail :])
    return layout, before + (Ellipsis,) + after, before + (slice(None),) * (len(shape) - head - tail) + after


@spec("S03")
@pytest.mark.parametrize("aspect", ASPECTS)
@given(case=_ellipsis_case())
@examples("case", [(Layout((2, 3, 4, 5)), (0, Ellipsis), (0, slice(None), slice(None), slice(None))),
                   (Layout((2, 3, 4, 5)), (Ellipsis, 0), (slice(None), slice(None), slice(None), 0))])
def test_ellipsis_is_the_missing_slices(backend, aspect, case):
    """S03: ``...`` stands for every dimension the other items leave: for x of shape
    (2, 3, 4, 5), ``x[0, ...]`` is ``x[0, :, :, :]`` and ``x[..., 0]`` is ``x[:, :, :, 0]``."""
    layout, key, explicit = case
    check(backend, "index", layout, lambda t, _: ref.index(t, explicit), (key,), aspect=aspect)


@st.composite
def _squeeze_case(draw):
    layout = draw(_inputs(1, 3), label="layout")
    ndim = len(_shape_of(layout))
    return layout, draw(st.none() | st.integers(-ndim, ndim - 1), label="dim")


SQUEEZE_EXAMPLES = [
    (Layout((2, 1, 3)), None), (Layout((2, 1, 3)), 1),          # S04/S05: (2, 3)
    (Layout((2, 1, 3)), 0), (Layout((2, 1, 3)), -1),            # S04: a dim of size 2 or 3
    (Layout((1, 2, 1, 3)), None),                               # S05: every size-1 dim goes
    (Layout((8, 1)), None), (Layout((8, 1)), -1),               # S07: (batch, 1) -> (batch,)
    (Layout((1, 1)), None), (Layout((1, 1)), -1),               # S07: batch = 1: () versus (1,)
]


@spec("S04", "S05", "S07")
@pytest.mark.parametrize("aspect", ASPECTS)
@given(case=_squeeze_case())
@examples("case", SQUEEZE_EXAMPLES)
def test_squeeze(backend, aspect, case):
    """S05: squeeze() removes every size-1 dimension; S07: so (batch, 1) becomes (batch,), but
    a batch of one becomes () where squeeze(-1) keeps (1,); S04: squeeze(dim) removes a
    size-1 dim, and on any other dim the backend does what it declares
    (``squeeze_non_singleton``): torch returns the tensor unchanged, NumPy and JAX raise."""
    layout, dim = case
    rule = partial(ref.squeeze, non_singleton=testing.declared(backend, "squeeze_non_singleton"))
    check(backend, "squeeze", layout, rule, (dim,), aspect=aspect)


# -- indexing and slicing (N01-N12) ------------------------------------------------------------


@st.composite
def _basic_key(draw, shape, negative_steps):
    """An index for ``shape``: ints and slices (bounds past either end; in about a quarter of
    the keys, when ``negative_steps``, negative steps too) for some leading dims, optionally
    ``...`` and items for some trailing dims, and up to two ``None``."""
    backwards = negative_steps and draw(st.integers(0, 3)) == 0
    steps = (None, 1, 2, 3, -1, -2) if backwards else (None, 1, 2, 3)

    def item(size):
        bound = st.none() | st.integers(-size - 2, size + 2)
        sliced = st.builds(slice, bound, bound, st.sampled_from(steps))
        return draw(sliced | st.integers(-size, size - 1) if size else sliced)

    head = draw(st.integers(0, len(shape)))
    ellipsis = draw(st.booleans())
    tail = draw(st.integers(head, len(shape))) if ellipsis else len(shape)
    key = [item(s) for s in shape[:head]] + [Ellipsis] * ellipsis + [item(s) for s in shape[tail:]]
    for _ in range(draw(st.integers(0, 2))):
        key.insert(draw(st.integers(0, len(key))), None)
    return tuple(key)


@spec("S02", "S03", "N01", "N02", "N03", "N05", "N07")
@pytest.mark.parametrize("aspect", ASPECTS)
@given(data=st.data())
def test_index(backend, aspect, data):
    """N01–N07: x[key] with ints (negative ones count from the end), slices (start included,
    stop excluded, bounds clamped, any step), None (S02) and ... (S03) is a view whose offset
    moves to the first picked element and whose strides are multiplied by the steps.  Keys
    step backwards only on backends that declare ``negative_slice_step``, and then follow it."""
    negative_step = backend.behaviour("negative_slice_step")
    layout = data.draw(layouts(max_dims=3), label="layout")
    key = data.draw(_basic_key(_shape_of(layout), negative_step is not None), label="key")
    dtype = data.draw(st.sampled_from([d for d in MOVE_DTYPES if d in backend.capabilities.dtypes]), label="dtype")
    rule = partial(ref.index, negative_step=negative_step or "supported")
    check(backend, "index", layout, rule, (key,), dtype=dtype, aspect=aspect)


L100, L10, A44 = (100,), (10,), (4, 4)  # L = list(range(100)), list(range(10)), A = arange(16).reshape(4, 4)

NOTES_SLICES = [
    pytest.param(L100, (slice(2, 5),), id="N01-L[2:5]"),
    pytest.param(L100, (slice(None, None, 3),), id="N01-L[::3]"),
    pytest.param(L100, (-1,), id="N02-L[-1]-last"),
    pytest.param(L100, (slice(-2, None),), id="N02-L[-2:]-last-two"),
    pytest.param(L100, (slice(None, 10),), id="N03-L[:10]"),
    pytest.param(L100, (slice(-10, None),), id="N03-L[-10:]"),
    pytest.param(L100, (slice(None, 10, 2),), id="N03-L[:10:2]"),
    pytest.param(L100, (slice(None, None, 5),), id="N03-L[::5]-20-elements"),
    pytest.param(L100, (slice(None),), id="N04-L[:]"),
    pytest.param(A44, (slice(1, None),), id="N05-A[1:]-from-the-2nd-row"),
    pytest.param(A44, (slice(None), slice(0, None, 2)), id="N06-A[:,0::2]-0-based-even-columns"),
    pytest.param(L10, (slice(3, None),), id="N07-3:"),
    pytest.param(L10, (slice(None, 3),), id="N07-:3"),
    pytest.param(L10, (slice(1, 4),), id="N07-1:4"),
    pytest.param(L10, (slice(1, 5, 2),), id="N07-1:5:2"),
    pytest.param(L10, (slice(None, None, 2),), id="N07-::2"),
    pytest.param(L10, (slice(2, None, 2),), id="N07-2::2"),
    pytest.param(L10, (slice(None, 4, 2),), id="N07-:4:2"),
    pytest.param(A44, (slice(1, None), slice(0, None, 2)), id="N08-A[1:,0::2]"),
    pytest.param(A44, (slice(None, 3), slice(None, 2)), id="N09-A[:3,:2]"),
    pytest.param(A44, (slice(None), slice(1, 3)), id="N10-A[:,1:3]"),
    pytest.param(A44, (slice(2, None), slice(None, None, 2)), id="N11-A[2:,::2]-two-columns-not-four"),
    pytest.param(A44, (slice(None), slice(0, 3, 2)), id="N12-A[:,0:3:2]"),
]


@spec("N01", "N02", "N03", "N04", "N05", "N06", "N07", "N08", "N09", "N10", "N11", "N12")
@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize(("shape", "key"), NOTES_SLICES)
def test_notes_slicing(backend, shape, key, aspect):
    """N01–N12: the notes' slices of L = list(range(100)), list(range(10)) and the 4×4 matrix
    A = arange(16) equal Python's own indexing of the same nested lists (N11: A[2:, ::2] is
    [[8, 10], [12, 14]], not whole rows), and are views: for arrays, unlike lists, L[:]
    copies nothing (N04)."""
    if aspect == "layout":
        check(backend, "index", Layout(shape), ref.index, (key,), aspect=aspect)
        return
    values = np.arange(prod(shape)).reshape(shape)
    out = testing.op(backend, "index")(backend.asarray(values), key)
    assert_conforms(backend, out, np.array(_python_index(values.tolist(), key)), op="index", exact=True,
                    inputs=f"arange{shape}, {key}")


@spec("N01")
@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize(("shape", "key"), [
    pytest.param(L10, (slice(None, None, -3),), id="N01-L[::-3]-from-the-end"),
    pytest.param(L10, (slice(None, None, -1),), id="N01-L[::-1]-reversed"),
    pytest.param(L10, (slice(8, 2, -3),), id="N01-L[8:2:-3]"),
    pytest.param(A44, (slice(None, None, -1), slice(3, 0, -2)), id="N01-A[::-1,3:0:-2]"),
])
def test_negative_step(backend, shape, key, aspect):
    """N01: a negative step walks backwards and flips the defaults (L[::-3] = [9, 6, 3, 0]):
    NumPy and JAX follow Python (NumPy with a negative stride), torch raises; declared as
    ``negative_slice_step``."""
    rule = partial(ref.index, negative_step=testing.declared(backend, "negative_slice_step"))
    check(backend, "index", Layout(shape), rule, (key,), aspect=aspect)


@spec("N02")
@pytest.mark.parametrize("key", [(-3,), (2,), (3,), (-4,), (1, 7)], ids=str)
def test_int_index_bounds(backend, key):
    """N02: a negative integer counts from the end (-1 is the last element); one outside
    [-size, size) raises in Python, NumPy and torch, while JAX clamps it to the nearest end
    (declared as ``index_out_of_bounds``)."""
    rule = partial(ref.index, out_of_bounds=testing.declared(backend, "index_out_of_bounds"))
    check(backend, "index", Layout((3, 4)), rule, (key,))


# -- cat and stack (U01) -------------------------------------------------------------------------


@st.composite
def _join_case(draw):
    """cat or stack, input layouts and a dim: sizes along a cat's dim vary (0 included), some
    inputs are transposed, and about one case in eight has a mismatched size."""
    name = draw(st.sampled_from(("cat", "stack")), label="op")
    ndim = draw(st.integers(1 if name == "cat" else 0, 3), label="ndim")
    base = [draw(st.integers(1, 3)) for _ in range(ndim)]
    dim = draw(st.integers(-ndim, ndim - 1) if name == "cat" else st.integers(-ndim - 1, ndim), label="dim")
    sizes = []
    for _ in range(draw(st.integers(1, 3), label="count")):
        shape = list(base)
        if name == "cat":
            shape[dim] = draw(st.integers(0, 3))
        sizes.append(shape)
    others = [i for i in range(ndim) if name == "stack" or i != dim % ndim]
    if others and draw(st.integers(0, 7)) == 7:
        sizes[-1][draw(st.sampled_from(others))] += 1
    return name, [Layout(tuple(reversed(s)), tuple(reversed(range(len(s))))) if len(s) > 1 and draw(st.booleans())
                  else Layout(tuple(s)) for s in sizes], dim


JOIN_EXAMPLES = [
    ("cat", [Layout((2, 3)), Layout((2, 3))], 0),       # (4, 3)
    ("cat", [Layout((2, 3)), Layout((2, 1))], -1),      # (2, 4)
    ("cat", [Layout((2, 3))], 0),                        # one input: still a copy
    ("cat", [Layout(())], 0),                            # a 0-d tensor raises
    ("cat", [Layout((2, 3)), Layout((3, 3))], 1),       # other sizes differ: raises
    ("stack", [Layout((2, 3)), Layout((2, 3))], 0),     # (2, 2, 3)
    ("stack", [Layout((2, 3)), Layout((2, 3))], -1),    # (2, 3, 2)
    ("stack", [Layout(()), Layout(())], 0),             # 0-d tensors stack to (2,)
    ("stack", [Layout((2, 3)), Layout((2, 1))], 0),     # unequal shapes raise
]


@spec("U01")
@pytest.mark.parametrize("aspect", ASPECTS)
@given(case=_join_case())
@examples("case", JOIN_EXAMPLES)
def test_join(backend, aspect, case):
    """U01 (the notes' empty §9, torch.cat vs torch.stack): cat joins along an existing
    dimension (those sizes add up, the others must match; a 0-d input raises); stack joins
    equal shapes along a new dimension, as cat of the inputs unsqueezed there.  Both copy."""
    name, inputs, dim = case
    check(backend, name, inputs, getattr(ref, name), (dim,), aspect=aspect)


# -- gather (T26) --------------------------------------------------------------------------------


@st.composite
def _gather_case(draw):
    """Input shape, dim and index for gather: the index's size along dim is free; in about a
    quarter of the cases it is smaller in other dims, and in about a quarter its values range
    one past each end of [-n, n)."""
    shape = draw(shapes(1, 3, 1, 3), label="shape")
    dim = draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    smaller, wild = draw(st.integers(0, 3)) == 0, draw(st.integers(0, 3)) == 0
    index_shape = tuple(draw(st.integers(1, 3)) if i == dim % len(shape) else draw(st.integers(1, s)) if smaller else s
                        for i, s in enumerate(shape))
    n = shape[dim]
    values = st.integers(-n - 1, n) if wild else st.integers(0, n - 1)
    index = draw(st.lists(values, min_size=prod(index_shape), max_size=prod(index_shape)), label="index")
    return shape, dim, np.array(index, dtype=np.int64).reshape(index_shape), draw(st.sampled_from(("float64", "int64")))


GATHER_EXAMPLES = [
    ((3, 4), 1, np.array([[0, 3], [1, 0], [2, 2]]), "float64"),   # equal other dims
    ((3, 4), 1, np.array([[0, -1], [1, 0], [0, 0]]), "float64"),  # -1: raises or the last one
    ((3, 4), 1, np.array([[0, 4], [1, 0], [0, 0]]), "float64"),   # 4: raises or NaN
    ((3, 4), -1, np.array([[0, 4], [1, 0], [0, -5]]), "int64"),   # the int64 fill value
    ((3, 4), 1, np.array([[0, 1], [1, 0]]), "float64"),           # fewer rows: prefix or raises
    ((3, 4), 1, np.array([[0, 1]]), "float64"),                   # one row: prefix or broadcast
    ((2, 3, 2), 0, np.array([[[1, 0], [0, 1], [1, 1]]]), "int64"),
]


@spec("T26")
@given(case=_gather_case())
@examples("case", GATHER_EXAMPLES)
def test_gather_index_rules(backend, case):
    """T26: gather along any dim, negative dims too, reads x at index[p] along dim and at p
    elsewhere.  Three rules differ between libraries and are declared: a negative index
    (``gather_negative_index``: torch raises, NumPy/JAX count from the end), any other index
    outside the dim (``gather_out_of_bounds``: raises, or JAX's fill value) and an index
    smaller than the input in the other dims (``gather_index_shape``: torch reads the
    leading part, NumPy/JAX broadcast)."""
    shape, dim, index, dtype = case
    rule = partial(ref.gather, negative=testing.declared(backend, "gather_negative_index"),
                   out_of_bounds=testing.declared(backend, "gather_out_of_bounds"),
                   index_shape=testing.declared(backend, "gather_index_shape"))
    check(backend, "gather", Layout(shape), rule, (dim, backend.asarray(index)), (dim, index), dtype=dtype)


# -- repeat and repeat_interleave (S10-S13) ---------------------------------------------------------


@spec("S11", "S13")
@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize(("layout", "sizes"), [
    pytest.param(Layout((3,)), (2,), id="S11-[1,2,3].repeat(2)-tiles-the-whole"),
    pytest.param(Layout((2, 2)), (2, 2), id="S11-2x2.repeat(2,2)"),
    pytest.param(Layout((2,)), (2, 3), id="S13-(2,).repeat(2,3)-is-(2,6)"),
    pytest.param(Layout((2, 3)), (4, 1, 1), id="S13-(2,3).repeat(4,1,1)-is-(4,2,3)"),
    pytest.param(Layout((3, 2), (1, 0)), (1, 2, 2), id="S13-transposed"),
])
def test_repeat_tiles(backend, layout, sizes, aspect):
    """S11: repeat tiles the whole tensor, sizes[i] copies along dimension i; S13: extra
    sizes add dimensions on the left.  A copy."""
    check(backend, "repeat", layout, ref.repeat, (sizes,), aspect=aspect)


@st.composite
def _fewer_sizes_case(draw):
    layout = draw(_inputs(1, 3), label="layout")
    ndim = len(_shape_of(layout))
    return layout, tuple(draw(st.lists(st.integers(0, 3), max_size=ndim - 1), label="sizes"))


@spec("S12")
@given(case=_fewer_sizes_case())
@example(case=(Layout((2, 3)), (2,)))
def test_repeat_fewer_sizes(backend, case):
    """S12: with fewer sizes than dimensions, torch's repeat raises, while NumPy's and JAX's
    tile pad the sizes with 1s on the left; declared as ``repeat_fewer_sizes``."""
    layout, sizes = case
    rule = partial(ref.repeat, fewer_sizes=testing.declared(backend, "repeat_fewer_sizes"))
    check(backend, "repeat", layout, rule, (sizes,))


@st.composite
def _interleave_case(draw):
    """An input, repeats (an int, one count per slice, or a single count in an array) and a
    dim (None flattens); about one array in eight has the wrong length."""
    layout = draw(layouts(max_dims=2), label="layout")
    shape = _shape_of(layout)
    dim = draw(st.none() | st.integers(-len(shape), len(shape) - 1), label="dim") if shape else None
    n = prod(shape) if dim is None else shape[dim]
    length = draw(st.sampled_from(("int", "int", "one", "each", "wrong")), label="repeats")
    if length == "int":
        return layout, draw(st.integers(0, 3)), dim
    count = {"one": 1, "each": n, "wrong": n + 1}[length]
    return layout, np.array(draw(st.lists(st.integers(0, 2), min_size=count, max_size=count)), dtype=np.int64), dim


INTERLEAVE_EXAMPLES = [
    (Layout((3,)), 2, None),                            # [1,2,3] -> [1,1,2,2,3,3]
    (Layout((2, 2)), np.array([1, 2]), 0),              # rows once and twice
    (Layout((2, 2)), 2, None),                          # dim=None flattens first
    (Layout((2, 3), (1, 0)), np.array([0, 2, 1]), 0),   # a zero count drops a row
    (Layout((3,)), np.array([2]), None),                # one count for every element
    (Layout((3,)), np.array([2, 1]), None),             # wrong length: raises
    (Layout((3,)), -1, None),                           # a negative count raises
]


@spec("S10")
@pytest.mark.parametrize("aspect", ASPECTS)
@given(case=_interleave_case())
@examples("case", INTERLEAVE_EXAMPLES)
def test_repeat_interleave(backend, aspect, case):
    """S10: repeat_interleave repeats each element (each slice along dim) in place, with one
    count for all or one per slice; without dim it flattens first; a repeats array of the
    wrong length or a negative count raises.  Always a new tensor, never a view."""
    layout, repeats, dim = case
    args = (repeats if isinstance(repeats, int) else backend.asarray(repeats), dim)
    check(backend, "repeat_interleave", layout, ref.repeat_interleave, args, (repeats, dim), aspect=aspect)


@spec("S10")
def test_repeat_interleave_negative_counts(backend):
    """S10: a negative entry of a repeats array raises; declared as
    ``repeat_interleave_negative_counts`` (JAX declares nothing: jnp.repeat does not check)."""
    assert testing.declared(backend, "repeat_interleave_negative_counts") == "error", "the spec's only rule is to raise"
    counts = np.array([1, -1, 2])
    check(backend, "repeat_interleave", Layout((3,)), ref.repeat_interleave, (backend.asarray(counts), 0), (counts, 0))


# -- triu and tril (N23-N27) ----------------------------------------------------------------------


@st.composite
def _triangle_case(draw):
    layout = draw(_inputs(2, 3), label="layout")
    return (draw(st.sampled_from(("triu", "tril")), label="op"), layout, draw(st.integers(-3, 3), label="k"),
            draw(st.sampled_from(("float32", "int64")), label="dtype"))


TRIANGLE_EXAMPLES = [
    ("triu", Layout((4, 3)), 1, "int64"),           # N24: the notes' 4×3 example
    ("triu", Layout((3, 4, 5)), 0, "int64"),        # N25: batched over the leading dim
    ("triu", Layout((3, 3)), 1, "float32"),         # N26: k = 1 already shifts
    ("triu", Layout((3, 3)), -1, "float32"),        # N26: k = -1 keeps one sub-diagonal
    ("tril", Layout((3, 3)), 0, "int64"),           # N27
    ("tril", Layout((2, 3, 4), (2, 0, 1)), -2, "bool"),
]


@spec("N23", "N24", "N25", "N26", "N27")
@pytest.mark.parametrize("aspect", ASPECTS)
@given(case=_triangle_case())
@examples("case", TRIANGLE_EXAMPLES)
def test_triangle(backend, aspect, case):
    """N23–N27: triu keeps x[..., i, j] where j - i >= k (tril: j - i <= k) and zeroes the
    rest, in the last two dims for every index of the leading ones; k = 1 already moves the
    boundary up-right, k < 0 down-left.  The result is a copy."""
    name, layout, k, dtype = case
    check(backend, name, layout, getattr(ref, name), (k,), dtype=dtype, aspect=aspect)


@spec("N23", "N27")
@pytest.mark.parametrize("name", ["triu", "tril"])
@pytest.mark.parametrize("shape", [(3,), ()], ids=["1-D", "0-d"])
def test_triangle_needs_a_matrix(backend, name, shape):
    """N23/N27: triu and tril act on the last two dims.  A 0-d input raises everywhere; a 1-D
    one raises in torch and JAX, while NumPy uses the vector as every row of a square
    matrix; declared as ``triangle_1d``."""
    rule = partial(getattr(ref, name), one_dim=testing.declared(backend, "triangle_1d"))
    check(backend, name, Layout(shape), rule, (1,))


# -- reshape in C and Fortran order (N18-N22) --------------------------------------------------------


@spec("N18", "N19", "N20")
def test_notes_reshape_c_order(backend):
    """N18: arange(6).reshape(3, 2) is [[0, 1], [2, 3], [4, 5]]; N19: reshaping it to (2, 3)
    reads row by row (C order, torch's only order): [[0, 1, 2], [3, 4, 5]]; N20: the same as
    flattening first."""
    reshape = testing.op(backend, "reshape")
    a, a_ref = reshape(backend.asarray(np.arange(6)), (3, 2)), ORACLE.reshape(ORACLE.asarray(np.arange(6)), (3, 2))
    for name, out, expected in [
        ("N18 reshape(arange(6), (3, 2))", a, a_ref),
        ("N19 reshape(a, (2, 3))", reshape(a, (2, 3)), ORACLE.reshape(a_ref, (2, 3))),
        ("N20 reshape(reshape(a, (-1,)), (2, 3))", reshape(reshape(a, (-1,)), (2, 3)), ORACLE.reshape(a_ref, (2, 3))),
    ]:
        assert_conforms(backend, out, ORACLE.to_numpy(expected), op=name, exact=True)


@st.composite
def _fortran_case(draw):
    layout = draw(layouts(max_dims=3), label="layout")
    return layout, draw(view_shapes(prod(_shape_of(layout))), label="shape")


@spec("N21", "N22")
@given(case=_fortran_case())
@examples("case", [(Layout((3, 2)), (2, 3)), (Layout((3, 2)), (6,)), (Layout((2, 3, 4), (2, 0, 1)), (4, -1)),
                   (Layout((3, 4)), (5, 2))])
def test_reshape_fortran(backend, case):
    """N21/N22: reshape with order='F' reads and writes column-major (first index fastest):
    arange(6).reshape(3, 2) to (2, 3) gives [[0, 4, 3], [2, 1, 5]].  A NumPy behaviour that
    JAX shares; torch's reshape has no order and declares none (``reshape_fortran_order``)."""
    testing.declared(backend, "reshape_fortran_order")
    layout, shape = case
    check(backend, "reshape_fortran", layout, ref.reshape_fortran, (shape,))


@spec("N21", "N22")
def test_notes_reshape_fortran(backend):
    """N21: reshape(a, (2, 3), order='F') of a = [[0, 1], [2, 3], [4, 5]]; N22: the same as
    flattening in F order first, reshape(ravel(a, order='F'), (2, 3), order='F')."""
    testing.declared(backend, "reshape_fortran_order")
    fortran = testing.op(backend, "reshape_fortran")
    a, a_ref = backend.asarray(np.arange(6).reshape(3, 2)), ORACLE.asarray(np.arange(6).reshape(3, 2))
    expected = ORACLE.to_numpy(ORACLE.reshape_fortran(a_ref, (2, 3)))
    assert_conforms(backend, fortran(a, (2, 3)), expected, op="N21 reshape_fortran(a, (2, 3))", exact=True)
    assert_conforms(backend, fortran(fortran(a, (-1,)), (2, 3)), expected, op="N22 via the F-order ravel", exact=True)


# -- the notes' NumPy functions (N13-N17) ---------------------------------------------------------------

NOTES_LISTS = [
    pytest.param([1, 2, 3, 4, 5], id="N13-ints-are-int64"),
    pytest.param([1, 2.5], id="N13-one-float-makes-all-floats"),
    pytest.param([[1, 2], [3, 4.5]], id="N13-two-dims"),
    pytest.param([True, False], id="N13-bools"),
    pytest.param([True, 2], id="N13-bool-and-int-are-int64"),
    pytest.param([], id="N13-empty-is-the-default-float"),
    pytest.param([[1, 2], [3]], id="N13-ragged-raises"),
]

_number = st.one_of(st.booleans(), st.integers(-100, 100), st.floats(-100, 100, allow_nan=False, width=32))


@spec("N13")
@given(values=st.integers(0, 3).flatmap(lambda n: st.lists(st.lists(_number, min_size=n, max_size=n), max_size=3)))
@examples("values", [p.values[0] for p in NOTES_LISTS])
def test_from_list(backend, values):
    """N13: an array from nested lists has the nesting's shape (ragged lists raise) and one
    dtype for all elements: bool, int64 when all are ints or bools, else the backend's
    declared ``default_float_dtype`` (NumPy float64, torch float32)."""
    from_list = testing.op(backend, "from_list")
    rule = partial(ref.from_list, default_float=testing.declared(backend, "default_float_dtype"))
    expected = _spec_or_raise(backend, f"from_list({values!r})", lambda: rule(values), lambda: from_list(values))
    if expected is not None:
        assert_conforms(backend, from_list(values), memory.to_numpy(expected), op="from_list", exact=True,
                        inputs=repr(values))


@spec("N17")
@given(shape=shapes(0, 3, 0, 4), data=st.data())
@example(shape=(2, 3), data=None)
def test_zeros(backend, shape, data):
    """N17: zeros(shape) creates an array of that shape holding 0 (np.zeros; the notes' np.zero
    does not exist, and padding is np.pad); without a dtype it has the declared
    ``default_float_dtype``."""
    choices = [None, *(d for d in ("float32", "int64", "bool", "bfloat16") if d in backend.capabilities.dtypes)]
    dtype = None if data is None else data.draw(st.sampled_from(choices), label="dtype")
    want = dtype or testing.declared(backend, "default_float_dtype")
    out = testing.op(backend, "zeros")(shape, dtype)
    assert_conforms(backend, out, memory.to_numpy(ref.zeros(shape, oracle_dtype(want))), op="zeros", dtype=want,
                    exact=True, inputs=f"{shape}, dtype={dtype}")


def _floats(shape, dtype, data, low, high):
    """Values drawn as float64 in [low, high], either sign, rounded to ``dtype`` so the backend
    sees them exactly."""
    values = data.draw(st.lists(st.floats(low, high), min_size=prod(shape), max_size=prod(shape)), label="x")
    signs = data.draw(st.lists(st.sampled_from((1.0, -1.0)), min_size=prod(shape), max_size=prod(shape)), label="signs")
    return round_to((np.array(values) * np.array(signs)).reshape(shape), dtype)


def check_values(backend: Backend, name: str, x: np.ndarray, dtype: str, rule: Callable[..., memory.Tensor],
                 args: Sequence[Any] = (), ref_args: Sequence[Any] | None = None) -> None:
    """``name`` on ``x`` (values exact in ``dtype``) and ``args`` against ``rule`` applied to
    ``x`` in float64 (int64 for integers) on the reference with ``ref_args``, under the
    tolerance policy (the float16/bfloat16 rule included); where the rule raises, the backend
    must."""
    fn = testing.op(backend, name)
    testing.require_dtype(backend, dtype)
    text = f"{x.tolist()} as {dtype}, {', '.join(map(repr, args))}"
    expected = _spec_or_raise(backend, f"{name}({text})", lambda: rule(memory.from_numpy(x), *(args if ref_args is None else ref_args)),
                              lambda: fn(backend.asarray(x, dtype=dtype), *args))
    if expected is not None:
        values = memory.to_numpy(expected)
        lowp = round_to(values, dtype) if dtype in ("float16", "bfloat16") else None
        assert_conforms(backend, fn(backend.asarray(x, dtype=dtype), *args), values, op=name, dtype=dtype,
                        lowp_expected=lowp, inputs=text)


def _dtype(backend: Backend, data: st.DataObject, dtypes: Sequence[str]) -> str:
    """One of ``dtypes`` that the backend declares, drawn (so jax compiles few variants)."""
    return data.draw(st.sampled_from([d for d in dtypes if d in backend.capabilities.dtypes]), label="dtype")


@spec("N14")
@given(shape=shapes(0, 2, 1, 4), data=st.data())
def test_power(backend, shape, data):
    """N14: power(x, y) is x**y element by element, x an array and y an int or an array of
    x's shape and dtype; for a float x a negative y gives 1 / x**|y|; an integer x with a
    negative int y raises in every library (NumPy not for an empty x, so x has elements)."""
    dtype, n = _dtype(backend, data, (*FLOAT_DTYPES, "int64")), prod(shape)
    if dtype == "int64":
        x = np.array(data.draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n), label="x"), dtype=np.int64)
        x, low = x.reshape(shape), 0
    else:
        x, low = _floats(shape, dtype, data, 0.5, 4.0), -3
    if data.draw(st.booleans(), label="tensor exponent"):
        y = np.array(data.draw(st.lists(st.integers(low, 4), min_size=n, max_size=n), label="y")).reshape(shape).astype(x.dtype)
        check_values(backend, "power", x, dtype, ref.power, (backend.asarray(y, dtype=dtype),), (memory.from_numpy(y),))
    else:
        check_values(backend, "power", x, dtype, ref.power, (data.draw(st.integers(-3, 4), label="y"),))


@spec("N14")
def test_int_power_of_a_negative_tensor(backend):
    """N14: an integer x to a negative integer power has no integer result.  With an exponent
    array, NumPy raises and torch truncates 1 / x**|y| toward zero (0 unless |x| = 1); declared
    as ``int_power_negative_tensor`` (JAX declares nothing: its values are unspecified)."""
    choice = testing.declared(backend, "int_power_negative_tensor")
    x, y = np.array([-2, -1, -1, 1, 2, 3]), np.array([-1, -3, -2, -5, -2, 1])
    rule = partial(ref.power, int_negative_tensor=choice)
    check_values(backend, "power", x, "int64", rule, (backend.asarray(y),), (memory.from_numpy(y),))


@spec("N15", "N16")
@given(shape=shapes(0, 2, 0, 4), data=st.data())
@example(shape=(4,), data=None)
def test_trig(backend, shape, data):
    """N15: sin(pi / 2) is 1.0; N16: the cosine is NumPy's np.cos (the notes' sp.cos names
    nothing).  Element by element against math.sin and math.cos, under the tolerance policy."""
    if data is None:
        x = np.array([pi / 2, 0.0, pi / 6, -pi])
        for name in ("sin", "cos"):
            check_values(backend, name, x, "float64", getattr(ref, name))
        return
    name = data.draw(st.sampled_from(("sin", "cos")), label="op")
    dtype = _dtype(backend, data, FLOAT_DTYPES)
    check_values(backend, name, _floats(shape, dtype, data, 0, 8), dtype, getattr(ref, name))


# -- a scalar into nn.Linear (S06) and unfold as strided slices (S14 S16) -----------------------------------


@spec("S06")
def test_scalar_needs_a_feature_dim(backend):
    """S06: a scalar 3.0 has shape () and no dimension to multiply: its product with a
    (1, 4) weight (Linear(1, 4)'s W.T) raises.  unsqueeze(x, -1) gives it the feature
    dimension, (1,), and unsqueeze(x, 0) a batch of one, (1, 1), which multiplies to (1, 4)."""
    matmul, unsqueeze = testing.op(backend, "matmul"), testing.op(backend, "unsqueeze")
    w = distinct_values((1, 4), "float64")
    x, weight = backend.asarray(np.array(3.0)), backend.asarray(w)
    assert backend.shape(x) == (), f"{backend.name}: a scalar has shape {backend.shape(x)}"
    with testing.raises_as_spec(backend, "matmul of a 0-d tensor with a (1, 4) weight"):
        matmul(x, weight)
    features = unsqueeze(x, -1)
    assert backend.shape(features) == (1,), f"{backend.name}: unsqueeze(scalar, -1) has shape {backend.shape(features)}"
    out = matmul(unsqueeze(features, 0), weight)
    assert_conforms(backend, out, 3.0 * w, op="matmul", terms=1, scale=np.abs(3.0 * w), inputs=f"[[3.0]] @ {w.tolist()}")


@st.composite
def _patch_case(draw):
    """A kernel, a dilation and a stride for a (2, 2, 5, 5) input (one shape: jax compiles
    every distinct slice once)."""
    kh, kw, dilation, stride = (draw(st.integers(1, 2)) for _ in range(4))
    return (2, 2, 5, 5), (kh, kw), dilation, stride


@spec("S14", "S16")
@given(case=_patch_case())
@example(case=((1, 1, 4, 4), (2, 2), 1, 1))  # the notes' einsum-convolution input
@example(case=((1, 3, 5, 4), (3, 2), 2, 1))
def test_unfold_is_strided_slices(backend, case):
    """S16: unfold extracts the sliding patches and flattens each into a column, channel,
    then kernel row, then kernel column; S14: dilation spaces the kernel taps and stride the
    patches, as in F.unfold(input, kernel_size, dilation=1, padding=0, stride=1).  Built on
    the backend from kh·kw strided slices x[:, :, a·d :: s, b·d :: s] (cut to the output
    size), stacked and reshaped, it equals the reference's unfold."""
    (n, c, h, w), (kh, kw), d, s = case
    index, stack, reshape = (testing.op(backend, op) for op in ("index", "stack", "reshape"))
    oh, ow = (h - d * (kh - 1) - 1) // s + 1, (w - d * (kw - 1) - 1) // s + 1
    values = distinct_values((n, c, h, w), "float32")
    x = backend.asarray(values)
    taps = [index(x, (slice(None), slice(None), slice(a * d, a * d + s * (oh - 1) + 1, s),
                      slice(b * d, b * d + s * (ow - 1) + 1, s))) for a in range(kh) for b in range(kw)]
    out = reshape(stack(taps, 2), (n, c * kh * kw, oh * ow))
    expected = ref.unfold(memory.from_numpy(values), (kh, kw), dilation=d, stride=s)
    assert_conforms(backend, out, memory.to_numpy(expected), op="unfold via index, stack and reshape", exact=True,
                    inputs=f"x {(n, c, h, w)}, kernel {(kh, kw)}, dilation {d}, stride {s}")
