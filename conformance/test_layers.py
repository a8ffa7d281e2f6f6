"""Conformance: embedding, weight tying, dropout and linear's gradient (catalogue EM01–EM11, MD05, A27, M08, M09).

The reference is :mod:`reference.layers`.  Lookups move data and are compared exactly; the
``max_norm`` renormalisation and the tied head's products under the tolerance policy, and the
renormalised weight is checked IN PLACE.  Gradients (backends with autograd): the lookup's,
the tied head's and linear's against central differences of the reference; where the spec's
gradient is not the derivative of the forward values — the ``padding_idx`` row gets none,
``scale_grad_by_freq`` divides by the count — against the reference's explicit rule
:func:`reference.layers.embedding_backward`.  Dropout is random: its kept elements must be
scaled by ``1/(1-p)`` exactly as the reference's rule for that mask, and the number dropped
must lie within six standard deviations of ``n·p`` (fixed seeds: the bound cannot flake).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dlspec import testing
from dlspec.api import Backend
from dlspec.compare import assert_conforms
from dlspec.gradcheck import check_gradient
from dlspec.strategies import draw_dtype, values_for
from reference import layers as ref
from reference.dtypes import round_to

spec = pytest.mark.spec
FLOATS = ("float64", "float32", "float16", "bfloat16")


def _nested(indices: np.ndarray) -> tuple:
    """Indices as nested tuples of ints: the gradient checks pass them through untouched."""
    return tuple(_nested(row) if isinstance(row, np.ndarray) else int(row) for row in indices)


@st.composite
def lookups(draw: st.DrawFn, max_rows: int = 5, out_of_range: bool = True) -> tuple[np.ndarray, np.ndarray, int | None]:
    """A ``(rows, dim)`` float64 table, integer indices of up to 2 dims (repeats, unused rows,
    now and then, with ``out_of_range``, one too large) and a padding_idx (``None``, in range,
    or negative)."""
    rows, dim = draw(st.integers(1, max_rows), label="rows"), draw(st.integers(1, 3), label="dim")
    weight = draw(hnp.arrays(np.float64, (rows, dim), elements=st.floats(-4, 4).map(lambda v: round(v, 2))))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=4), label="indices shape")
    high = rows - 1 + (draw(st.sampled_from((0, 0, 0, 0, 1)), label="out of range") if out_of_range else 0)
    indices = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, high)), label="indices")
    padding = draw(st.one_of(st.none(), st.integers(-rows, rows - 1)), label="padding_idx")
    return weight, indices, padding


def vjp(backend: Backend, name: str, args: list[Any], cotangent: np.ndarray, **kwargs: Any) -> Any:
    """The backend's gradient of spec operation ``name`` w.r.t. its first argument (a float64
    array), the others passed as they are."""
    testing.require(backend, "autograd")
    testing.op(backend, name)
    fn = getattr(backend, name)  # unguarded: the primal may be a tracer
    first = backend.asarray(args[0], "float64")
    return backend.vjp(lambda w: fn(w, *args[1:], **kwargs), [first], backend.asarray(cotangent, "float64"))[0]


# -- the lookup and padding_idx (EM01 EM04) ----------------------------------------------------


@spec("EM01", "EM04")
@given(case=lookups(), data=st.data())
def test_embedding_lookup(backend, case, data):
    """EM01/EM04: the lookup returns weight[indices], shape indices.shape + (dim,), exactly;
    the padding_idx row is returned AS IT IS in the table — a non-zero padding row (as after
    from_pretrained or a re-initialisation) stays non-zero.  An index out of range raises, or
    where the backend declares so (JAX), gives a row of NaN."""
    weight, indices, padding = case
    dtype = draw_dtype(backend, data, FLOATS)
    fn = testing.op(backend, "embedding_lookup")
    out_of_range = testing.declared(backend, "embedding_index_out_of_range")
    table = round_to(weight, dtype)
    text = f"weight {table.tolist()} as {dtype}, indices {indices.tolist()}, padding_idx={padding}"
    run = lambda: fn(backend.asarray(table, dtype), backend.asarray(indices, "int64"), padding)  # noqa: E731
    try:
        expected = ref.embedding_lookup(table, indices, padding, out_of_range=out_of_range)
    except (ValueError, TypeError):
        with testing.raises_as_spec(backend, f"embedding_lookup({text})"):
            run()
        return
    assert_conforms(backend, run(), expected, op="embedding_lookup", dtype=dtype, exact=True, inputs=text)


@spec("EM04")
def test_notes_padding_row_is_not_forced_to_zero(backend):
    """EM04, the catalogue's example: from_pretrained(ones, padding_idx=0) looks up [1, 1, 1]
    for id 0 — padding_idx only zeroes the row's gradient (and its initial value)."""
    fn = testing.op(backend, "embedding_lookup")
    ones = np.ones((4, 3))
    out = fn(backend.asarray(ones, "float32"), backend.asarray(np.array([0, 2, 0]), "int64"), 0)
    assert_conforms(backend, out, np.ones((3, 3)), op="embedding_lookup", dtype="float32", exact=True,
                    inputs="ones((4, 3)), indices [0, 2, 0], padding_idx=0")


# -- gradients (EM01 EM02 EM04 EM07 EM09 M08 M09) ----------------------------------------------


GRADIENTS = [
    pytest.param("embedding_lookup", [np.linspace(-1, 1, 15).reshape(5, 3), ((1, 3, 1), (4, 1, 3))],
                 id="EM02-repeats-summed-unused-rows-zero"),
    pytest.param("embedding_lookup", [np.linspace(-2, 1, 8).reshape(4, 2), (2, 2, 2)], id="EM02-one-row-thrice"),
    pytest.param("tied_logits", [np.linspace(-1, 1, 12).reshape(4, 3), ((0, 2), (2, 3))],
                 id="EM09-tied-head-both-uses-summed"),
    pytest.param("linear", [np.linspace(-1, 1, 6).reshape(2, 3), np.linspace(-2, 2, 12).reshape(4, 3),
                            np.linspace(0, 1, 4)], id="M08-linear-x-weight-bias"),
]


@spec("EM01", "EM02", "EM09", "EM11", "M08", "M09")
@pytest.mark.parametrize(("name", "args"), GRADIENTS)
def test_gradients(backend, name, args):
    """EM01/EM02/EM09/M08/M09: the vector-Jacobian products against central differences of
    the reference: the lookup's gradient is DENSE (num_embeddings, dim), each used row the sum
    over the positions that picked it, unused rows zero (EM02); the tied head's gradient is the
    sum of the embedding's and the projection's uses of the one (vocab, dim) array (EM09,
    EM11); linear's w.r.t. x, weight and bias (M08, M09)."""
    wrt = tuple(i for i, a in enumerate(args) if isinstance(a, np.ndarray))
    check_gradient(backend, name, args, wrt=wrt)


GRADIENT_RULES = [
    pytest.param(np.array([[0, 2, 0], [3, 0, 1]]), 0, False, id="EM04-padding-row-gets-no-gradient"),
    pytest.param(np.array([1, 4, 4]), -1, False, id="EM04-negative-padding_idx-counts-from-the-end"),
    pytest.param(np.array([1, 1, 1, 2]), None, True, id="EM07-scale_grad_by_freq-divides-by-batch-count"),
    pytest.param(np.array([[3, 3], [0, 3]]), 0, True, id="EM04-EM07-both"),
]


@spec("EM02", "EM04", "EM07")
@pytest.mark.parametrize(("indices", "padding", "by_freq"), GRADIENT_RULES)
def test_embedding_gradient_rule(backend, indices, padding, by_freq):
    """EM02/EM04/EM07: the gradient w.r.t. the table follows the rule, not the derivative of
    the values: dense (5, 2); the padding_idx row gets exactly zero although it is looked up
    (so no optimizer step moves it); with scale_grad_by_freq each row's sum is divided by the
    id's count in THIS batch (id 1 thrice: [3, 3] becomes [1, 1])."""
    weight = np.linspace(-1, 1, 10).reshape(5, 2)
    cotangent = np.random.default_rng(7).standard_normal(indices.shape + (2,))
    got = vjp(backend, "embedding_lookup", [weight, _nested(indices), padding, by_freq], cotangent)
    expected = ref.embedding_backward(cotangent, indices, 5, padding, by_freq)
    scale = ref.embedding_backward(np.abs(cotangent), indices, 5, None, by_freq)
    assert_conforms(backend, got, expected, op="vjp of embedding_lookup", dtype="float64", terms=indices.size,
                    scale=scale, inputs=f"indices {indices.tolist()}, padding_idx={padding}, scale_grad_by_freq={by_freq}")


# -- max_norm renormalises in place (EM05 EM06) ------------------------------------------------


@spec("EM05", "EM06")
@given(case=lookups(max_rows=6), max_norm=st.sampled_from((0.5, 1.0, 3.0)), norm_type=st.sampled_from((1.0, 2.0, 3.0)),
       data=st.data())
def test_embedding_max_norm(backend, case, max_norm, norm_type, data):
    """EM05/EM06: with max_norm, every DISTINCT looked-up row whose norm_type-norm exceeds
    max_norm is multiplied by max_norm / (norm + 1e-7) IN PLACE in the weight, and the lookup
    returns the renormalised rows; rows not looked up, and rows within the bound, keep their
    values.  An index out of range raises."""
    weight, indices, _ = case
    dtype = draw_dtype(backend, data, ("float64", "float32"))
    testing.require(backend, "inplace")
    fn = testing.op(backend, "embedding_max_norm")
    text = f"weight {weight.tolist()} as {dtype}, indices {indices.tolist()}, max_norm={max_norm}, norm_type={norm_type}"
    table = backend.asarray(weight, dtype)
    try:
        renormed = ref.embedding_renorm(weight, indices, max_norm, norm_type)
    except (ValueError, TypeError):
        with testing.raises_as_spec(backend, f"embedding_max_norm({text})"):
            fn(table, backend.asarray(indices, "int64"), max_norm, norm_type)
        return
    out = fn(table, backend.asarray(indices, "int64"), max_norm, norm_type)
    bound = {"dtype": dtype, "terms": weight.shape[1] + 2, "inputs": text}
    assert_conforms(backend, out, ref.embedding_lookup(renormed, indices), op="embedding_max_norm",
                    scale=np.abs(ref.embedding_lookup(weight, indices)), **bound)
    assert_conforms(backend, table, renormed, op="embedding_max_norm (the weight afterwards, renormalised in place)",
                    scale=np.abs(weight), **bound)


@spec("EM05")
def test_notes_max_norm_example(backend):
    """EM05, the catalogue's example: rows of norms [16.87, 25.15, 15.49, 24.61, 25.45],
    ids [1, 3] looked up with max_norm=1: the returned norms are 1.0 and the weight's norms
    become [16.87, 1.0, 15.49, 1.0, 25.45] — only the looked-up rows changed, in place."""
    testing.require(backend, "inplace")
    fn = testing.op(backend, "embedding_max_norm")
    norms = np.array([16.87, 25.15, 15.49, 24.61, 25.45])
    weight = np.array([[0.6, 0.8, 0.0], [0.0, 0.6, 0.8], [0.8, 0.0, 0.6], [0.6, 0.0, 0.8], [0.0, 0.8, 0.6]]) * norms[:, None]
    table, indices = backend.asarray(weight, "float32"), np.array([1, 3])
    out = fn(table, backend.asarray(indices, "int64"), 1.0)
    expected = ref.embedding_renorm(weight, indices, 1.0)
    assert np.allclose(np.linalg.norm(expected, axis=1), [16.87, 1.0, 15.49, 1.0, 25.45])
    text = f"weight {weight.tolist()}, ids [1, 3], max_norm=1"
    assert_conforms(backend, out, expected[indices], op="embedding_max_norm", dtype="float32", terms=5,
                    scale=np.abs(weight[indices]), inputs=text)
    assert_conforms(backend, table, expected, op="embedding_max_norm (weight afterwards)", dtype="float32", terms=5,
                    scale=np.abs(weight), inputs=text)


# -- weight tying (EM09 EM10 EM11) --------------------------------------------------------------


@spec("EM09", "EM11")
@given(case=lookups(out_of_range=False), data=st.data())
def test_tied_logits(backend, case, data):
    """EM09/EM11: a tied head embeds the ids with the (vocab, dim) table and projects back
    with the SAME array as Linear(dim, vocab).weight, logits = embed(ids) @ W.T of shape
    indices.shape + (vocab,): no transpose of the stored array is needed or wanted."""
    weight, indices, _ = case
    dtype = draw_dtype(backend, data, ("float64", "float32"))
    fn = testing.op(backend, "tied_logits")
    out = fn(backend.asarray(weight, dtype), backend.asarray(indices, "int64"))
    text = f"weight {weight.tolist()} as {dtype}, indices {indices.tolist()}"
    assert_conforms(backend, out, ref.tied_logits(weight, indices), op="tied_logits", dtype=dtype, terms=weight.shape[1],
                    scale=ref.tied_logits(np.abs(weight), indices), inputs=text)


@spec("EM09", "EM10", "EM11")
@pytest.mark.parametrize(("vocab", "dim"), [(10, 4), (6, 6)])
def test_tie_embedding_head(backend, vocab, dim):
    """EM09/EM10/EM11: nn.Linear(dim, vocab).weight is (vocab, dim), the embedding's shape, so
    the head is tied by assignment, no transpose (EM11); an in-place update through the
    embedding is seen by the head, one shared array (EM09); parameters() counts it once,
    vocab·dim and not twice that (EM10)."""
    testing.require(backend, "modules")
    fn = testing.op(backend, "tie_embedding_head")
    weight, delta = values_for((vocab, dim), "float32"), np.full((vocab, dim), 0.5)
    head, count = fn(backend.asarray(weight, "float32"), backend.asarray(delta, "float32"))
    assert_conforms(backend, head, weight + delta, op="tie_embedding_head (head weight after the update)",
                    dtype="float32", exact=True, inputs=f"vocab={vocab}, dim={dim}")
    assert count == vocab * dim, f"{backend.name}: the tied model has {count} parameters, expected {vocab * dim}"


# -- dropout (MD05 A27) ------------------------------------------------------------------------


@spec("MD05")
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("p", "seed"), [(0.1, 0), (0.5, 1), (0.9, 2), (0.0, 3), (1.0, 4)])
def test_dropout_training(backend, p, seed, dtype):
    """MD05: in training, dropout zeroes each element with probability p and scales the
    survivors by 1/(1-p): on 4096 non-zero inputs the number zeroed lies within n·p ± 6σ of
    Binomial(n, p) and every survivor equals x/(1-p); p=0 is the identity and p=1 all zeros."""
    testing.require_dtype(backend, dtype)
    fn = testing.op(backend, "dropout")
    x = round_to(np.random.default_rng(seed).uniform(1.0, 2.0, (64, 64)), dtype)
    out = fn(backend.asarray(x, dtype), p, True, seed)
    keep = backend.to_numpy(out) != 0
    low, high = ref.dropped_count_bounds(x.size, p)
    dropped = int(np.sum(~keep))
    assert low <= dropped <= high, (f"{backend.name} dropout(p={p}, seed={seed}) zeroed {dropped} of {x.size} "
                                    f"elements, outside [{low}, {high}] (n·p ± 6σ)")
    assert_conforms(backend, out, ref.dropout(x, keep, p), op="dropout", dtype=dtype,
                    inputs=f"uniform(1, 2) (64, 64) as {dtype}, p={p}, training, seed={seed}")


@spec("MD05", "A27")
@pytest.mark.parametrize("p", [0.0, 0.5, 1.0])
def test_dropout_eval_is_identity(backend, p):
    """MD05/A27: in evaluation dropout is the identity — nothing zeroed, nothing scaled."""
    fn = testing.op(backend, "dropout")
    x = values_for((8, 16), "float32")
    assert_conforms(backend, fn(backend.asarray(x, "float32"), p, False, 0), x, op="dropout", dtype="float32",
                    exact=True, inputs=f"(8, 16) distinct values, p={p}, eval")


@spec("MD05")
@pytest.mark.parametrize("p", [-0.1, 1.5])
@pytest.mark.parametrize("training", [True, False])
def test_dropout_probability_out_of_range_raises(backend, p, training):
    """MD05: a dropout probability outside [0, 1] raises, in training and evaluation."""
    fn = testing.op(backend, "dropout")
    with testing.raises_as_spec(backend, f"dropout(p={p}, training={training})"):
        fn(backend.asarray(np.ones(4), "float32"), p, training, 0)
