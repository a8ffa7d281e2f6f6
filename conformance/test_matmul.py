"""Conformance: matmul, bmm and linear (catalogue M01–M10).

Every backend's products are compared with ``reference.matmul``, which applies the
dimension rules and sums ``Σ_k a[..., i, k] · b[..., k, j]`` explicitly in float64: the
result's shape and dtype exactly, its values under the tolerance policy for a sum of ``k``
products (``terms=k``, ``scale = |a| @ |b|`` from the reference; float16 and bfloat16 also
under the error-ratio rule), integers exactly.  Where the rules forbid a product, the
backend must raise.  Where libraries legitimately differ (two dtypes, bmm's ranks), the
backend's declared behaviour picks the reference's rule.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dlspec import testing
from dlspec.api import Backend
from dlspec.checks import ORACLE
from dlspec.compare import assert_conforms
from dlspec.strategies import draw_dtype, values_for
from reference import matmul as ref
from reference import memory
from reference.dtypes import round_to

spec = pytest.mark.spec
DTYPES = ("float64", "float32", "float16", "bfloat16", "int64")
LOW_PRECISION = ("float16", "bfloat16")
Rule = Callable[..., memory.Tensor]
#: Each spec operation's rule in the reference.
RULES: dict[str, Rule] = {"matmul_nd": ref.matmul, "bmm": ref.bmm, "linear": ref.linear}

#: The notes' examples and the catalogue's (M01-M07), with the errors the rules imply.
NOTES_MATMUL = [
    pytest.param((3,), (3,), id="M01-1d@1d-is-a-0d-dot"),
    pytest.param((3, 4), (4, 5), id="M02-2d@2d"),
    pytest.param((10, 3, 4), (10, 4, 5), id="M03-batched-10x3x4@10x4x5"),
    pytest.param((3,), (3, 5), id="M04-1d@2d-prepends-then-removes-1"),
    pytest.param((3, 4), (4,), id="M05-2d@1d-matrix-vector"),
    pytest.param((10, 3, 4), (4,), id="M06-3d@1d"),
    pytest.param((10, 3, 4), (4, 5), id="M06-3d@2d"),
    pytest.param((2, 1, 3, 4), (5, 4, 6), id="M06-batch-dims-broadcast"),
    pytest.param((4,), (2, 4, 5), id="M06-1d@3d"),
    pytest.param((3, 0), (0, 2), id="M02-k-0-gives-zeros"),
    pytest.param((3, 4), (3, 4), id="M02-inner-sizes-differ-raises"),
    pytest.param((2, 3, 4), (3, 4, 5), id="M06-batch-2-vs-3-raises"),
    pytest.param((), (3,), id="M01-0d-operand-raises"),
]

NOTES_BMM = [
    pytest.param((10, 3, 4), (10, 4, 5), id="M07-bmm-10x3x4@10x4x5"),
    pytest.param((0, 3, 4), (0, 4, 5), id="M07-bmm-no-matrices"),
    pytest.param((10, 3, 4), (1, 4, 5), id="M07-bmm-batch-10-vs-1-raises"),
    pytest.param((2, 3, 4), (2, 3, 5), id="M07-bmm-inner-sizes-differ-raises"),
    pytest.param((3, 4), (4, 5), id="M07-bmm-2d-operands"),
    pytest.param((2, 2, 3, 4), (2, 2, 4, 5), id="M07-bmm-4d-operands"),
    pytest.param((2, 3, 4), (4, 5), id="M07-bmm-3d@2d-raises"),
]


# -- helpers -----------------------------------------------------------------------------


def check_product(backend: Backend, name: str, rule: Rule, operands: list[np.ndarray | None], dtypes: list[str],
                  dtype: str) -> None:
    """Spec operation ``name`` on ``operands`` (NumPy values, ``None`` passed through as is),
    operand ``i`` given to the backend in ``dtypes[i]``, against ``rule`` on the reference in
    float64 (int64 for integer results); an error where the rule raises.

    The result must have dtype ``dtype`` and conform under the policy for a sum of ``k``
    products, ``k`` the operands' inner size (+1 for linear's bias): its scale is ``rule``
    applied to the operands' magnitudes, ``|a| @ |b|``."""
    fn = testing.op(backend, name)
    for d in {*dtypes, dtype}:
        testing.require_dtype(backend, d)
    text = ", ".join(f"{v.tolist()} with shape {v.shape} as {d}" if v is not None else "None"
                     for v, d in zip(operands, dtypes))

    def on_reference(values: list[np.ndarray | None]) -> np.ndarray:
        wide = [None if v is None else ORACLE.asarray(v.astype(np.int64 if v.dtype.kind in "iu" else np.float64))
                for v in values]
        return memory.to_numpy(rule(*wide))

    def run():
        return fn(*(None if v is None else backend.asarray(v, dtype=d) for v, d in zip(operands, dtypes)))

    try:
        expected = on_reference(operands)
    except (ValueError, TypeError):
        with testing.raises_as_spec(backend, f"{name}({text})"):
            run()
        return
    scale = on_reference([None if v is None else np.abs(v) for v in operands])
    terms = operands[0].shape[-1] + sum(v is not None for v in operands[2:])
    lowp = round_to(expected, dtype) if dtype in LOW_PRECISION else None
    assert_conforms(backend, run(), expected, op=name, dtype=dtype, terms=terms, scale=scale, lowp_expected=lowp,
                    products=backend.behaviour("float32_matmul_precision"), inputs=text)


# -- matmul: every dimension case (M01-M06) -----------------------------------------------


@st.composite
def matmul_shapes(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Operand shapes of every case: either operand 1-D or not; batch shapes of up to 2 dims
    that broadcast; inner, row and column sizes up to 3 (0 included); and now and then an
    inner size off by one, which must raise."""
    ones = draw(st.sampled_from(("neither", "a", "b", "both")), label="1-D operands")
    batch_a, batch_b = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3), label="batch").input_shapes
    n, k, m = (draw(st.integers(0, 3), label=side) for side in "nkm")
    k_b = k + draw(st.sampled_from((0, 0, 0, 0, 1)), label="inner mismatch")
    a = (k,) if ones in ("a", "both") else batch_a + (n, k)
    b = (k_b,) if ones in ("b", "both") else batch_b + (k_b, m)
    return a, b


@spec("M01", "M02", "M04", "M05", "M06")
@given(shapes=matmul_shapes(), data=st.data())
def test_matmul(backend, shapes, data):
    """M01–M06: matmul on every dimension case: 1-D @ 1-D is a 0-d dot product (M01); a 1-D
    first operand is a row and a 1-D second one a column, their added 1 removed from the
    result (M04, M05); leading dimensions are batch dimensions that broadcast (M06); the
    values are Σ_k a[..., i, k]·b[..., k, j] (M02).  Inner sizes that differ raise."""
    dtype = draw_dtype(backend, data, DTYPES)
    a, b = (values_for(shape, dtype, data) for shape in shapes)
    check_product(backend, "matmul_nd", ref.matmul, [a, b], [dtype, dtype], dtype)


@spec("M01", "M02", "M03", "M04", "M05", "M06")
@pytest.mark.parametrize("dtype", ["float32", "int64"])
@pytest.mark.parametrize(("shape_a", "shape_b"), NOTES_MATMUL)
def test_notes_matmul_examples(backend, shape_a, shape_b, dtype):
    """M01–M06, the notes' examples: (3,)@(3,) -> () (M01); (3,4)@(4,5) -> (3,5) (M02);
    (10,3,4)@(10,4,5) -> (10,3,5) (M03); (3,)@(3,5) -> (5,) (M04); (3,4)@(4,) -> (3,) (M05);
    (10,3,4)@(4,) -> (10,3), (10,3,4)@(4,5) -> (10,3,5) and (2,1,3,4)@(5,4,6) -> (2,5,3,6)
    (M06); and the errors the rules imply: a 0-d operand, inner sizes or batch sizes that
    differ."""
    a, b = values_for(shape_a, dtype), values_for(shape_b, dtype)
    check_product(backend, "matmul_nd", ref.matmul, [a, b], [dtype, dtype], dtype)


@spec("M02")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matmul_full_mantissa(backend, dtype):
    """M02 at full precision: factors whose every mantissa bit is in use (seeded normal values
    rounded to ``dtype``), so a product computed on narrower factors (TF32's 10 bits, bfloat16's
    7) exceeds the float32 bound unless the backend declares that precision."""
    rng = np.random.default_rng(2)
    a, b = (round_to(rng.standard_normal(shape), dtype) for shape in ((8, 32), (32, 8)))
    check_product(backend, "matmul_nd", ref.matmul, [a, b], [dtype, dtype], dtype)


# -- bmm (M07) ---------------------------------------------------------------------------


@st.composite
def bmm_shapes(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """3-D operands ``(b, n, k)`` and ``(b, k, m)``, sides up to 3 (0 included); now and then
    with a batch of 1 on one side, or an inner size off by one, both of which must raise."""
    batch, n, k, m = (draw(st.integers(0, 3), label=side) for side in ("batch", "n", "k", "m"))
    fault = draw(st.sampled_from((None, None, None, "batch of 1", "inner")), label="fault")
    batch_b = 1 if fault == "batch of 1" and batch != 1 else batch
    return (batch, n, k), (batch_b, k + (fault == "inner"), m)


@spec("M07")
@given(shapes=bmm_shapes(), data=st.data())
def test_bmm(backend, shapes, data):
    """M07: bmm of (b, n, k) and (b, k, m) is (b, n, m), out[i] = a[i] @ b[i]; the batch
    sizes must be equal (a batch of 1 does not broadcast) and the inner sizes too."""
    dtype = draw_dtype(backend, data, DTYPES)
    rule = partial(ref.bmm, ranks=_bmm_ranks(backend))
    a, b = (values_for(shape, dtype, data) for shape in shapes)
    check_product(backend, "bmm", rule, [a, b], [dtype, dtype], dtype)


@spec("M07")
@pytest.mark.parametrize(("shape_a", "shape_b"), NOTES_BMM)
def test_notes_bmm_examples(backend, shape_a, shape_b):
    """M07, the notes' rule: input (b,n,m) and mat2 (b,m,p) give (b,n,p), both 3-D with the
    same number of matrices: batch 10 with 1 raises (no broadcasting).  Operands of another
    ndim raise in torch; JAX's batch_matmul takes any equal ndim >= 2 (behaviour ``bmm_ranks``)."""
    rule = partial(ref.bmm, ranks=_bmm_ranks(backend))
    check_product(backend, "bmm", rule, [values_for(shape_a, "float32"), values_for(shape_b, "float32")],
                  ["float32", "float32"], "float32")


def _bmm_ranks(backend: Backend) -> str:
    """The backend's declared ``bmm_ranks``, after checking that it has a bmm at all."""
    testing.op(backend, "bmm")
    return testing.declared(backend, "bmm_ranks")


# -- linear (M08 M09) -----------------------------------------------------------------------


@st.composite
def linear_shapes(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...] | None]:
    """``x`` of shape ``(*, in)`` (up to 2 batch dims, or 1-D), ``W`` of ``(out, in)`` and a
    bias of ``(out,)`` or none; now and then ``W`` given as ``(in, out)`` or a bias of
    ``(in,)``, which raise where in != out."""
    batch = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3), label="batch")
    in_f, out_f = draw(st.integers(1, 4), label="in"), draw(st.integers(1, 4), label="out")
    fault = draw(st.sampled_from((None, None, None, "W is (in, out)", "bias is (in,)")), label="fault")
    weight = (in_f, out_f) if fault == "W is (in, out)" else (out_f, in_f)
    bias = draw(st.sampled_from(((out_f,), None)), label="bias")
    return batch + (in_f,), weight, (in_f,) if fault == "bias is (in,)" else bias


@spec("M08", "M09")
@given(shapes=linear_shapes(), data=st.data())
def test_linear(backend, shapes, data):
    """M08/M09: linear(x, W, b) = x @ W.T + b, with W stored as (out_features, in_features):
    x of shape (*, in) gives (*, out); without a bias it is x @ W.T.  A W of shape (in, out)
    or a bias of another size raises."""
    dtype = draw_dtype(backend, data, DTYPES)
    x, w, b = (None if shape is None else values_for(shape, dtype, data) for shape in shapes)
    check_product(backend, "linear", ref.linear, [x, w, b], [dtype] * 3, dtype)


@spec("M08", "M09")
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize(("x_shape", "w_shape"), [
    pytest.param((128, 20), (30, 20), id="M08-Linear(20,30)-on-128x20"),
    pytest.param((20,), (30, 20), id="M08-unbatched-input"),
    pytest.param((128, 20), (20, 30), id="M08-weight-as-(in,out)-raises"),
])
def test_notes_linear_examples(backend, x_shape, w_shape, bias):
    """M08/M09: nn.Linear(20, 30) on (128, 20) gives (128, 30), its weight is (30, 20)
    (out, in) and the result x @ W.T + b, with or without bias; an input of shape (20,) gives
    (30,); a weight given as (in, out) = (20, 30) raises."""
    operands = [values_for(x_shape, "float32"), values_for(w_shape, "float32"),
                values_for((w_shape[0],), "float32") if bias else None]
    check_product(backend, "linear", ref.linear, operands, ["float32"] * 3, "float32")


# -- operands of two dtypes (M10) ----------------------------------------------------------


@spec("M10")
@pytest.mark.parametrize(("name", "shapes"), [
    pytest.param("linear", [(4, 3), (2, 3), (2,)], id="M10-Linear-on-an-int64-input"),
    pytest.param("matmul_nd", [(4, 3), (3, 2)], id="M10-int64@float64"),
    pytest.param("bmm", [(2, 4, 3), (2, 3, 2)], id="M10-bmm-int64@float64"),
])
def test_integer_input_to_a_float_product(backend, name, shapes):
    """M10: nn.Linear expects a floating input: in torch an int64 x with a float weight
    raises ("expected m1 and m2 to have the same dtype"), and so do matmul and bmm; NumPy and
    JAX promote the integers and return the float64 product.  Each backend must do what it
    declares (behaviour ``matmul_mixed_dtypes``)."""
    testing.op(backend, name)
    rule = partial(RULES[name], mixed_dtypes=testing.declared(backend, "matmul_mixed_dtypes"))
    if name == "bmm":
        rule = partial(rule, ranks=testing.declared(backend, "bmm_ranks"))
    dtypes = ["int64"] + ["float64"] * (len(shapes) - 1)
    operands = [values_for(shape, dtype) for shape, dtype in zip(shapes, dtypes)]
    check_product(backend, name, rule, operands, dtypes, "float64")
