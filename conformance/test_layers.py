"""Conformance: embedding, weight tying, dropout, linear's gradient and convolution (catalogue EM01–EM11, MD05,
MD08, A27, M08, M09).

The reference is :mod:`reference.layers`.  Lookups move data and are compared exactly; the
``max_norm`` renormalisation and the tied head's products under the tolerance policy, and the
renormalised weight is checked IN PLACE.  Gradients (backends with autograd): the lookup's,
the tied head's and linear's against central differences of the reference; where the spec's
gradient is not the derivative of the forward values — the ``padding_idx`` row gets none,
``scale_grad_by_freq`` divides by the count — against the reference's explicit rule
:func:`reference.layers.embedding_backward`.  Dropout is random: its kept elements must be
scaled by ``1/(1-p)`` exactly as the reference's rule for that mask, and the number dropped
must lie within six standard deviations of ``n·p`` (fixed seeds: the bound cannot flake).
The embedding LAYER (``embedding_module``) is built with only the options a test gives, so
its defaults (EM03) and its sparse gradient (EM08) are checked by what they do.  Convolutions
(MD08) against the reference's direct N-d cross-correlation, ``terms`` = C_in·prod(k) + 1.
"""

from __future__ import annotations

from math import prod
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


# -- the embedding layer: its defaults and sparse gradients (EM03 EM08) -------------------------


NONZERO = st.one_of(st.floats(0.5, 2), st.floats(-2, -0.5)).map(lambda v: round(v, 2))


@st.composite
def layer_cases(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A table of 3 to 6 rows, some of large norm (up to 40 per element); ids that look up row
    0 and repeat one id; a cotangent without zeros (so every looked-up row gets a gradient)."""
    rows, dim = draw(st.integers(3, 6), label="rows"), draw(st.integers(1, 3), label="dim")
    weight = draw(hnp.arrays(np.float64, (rows, dim), elements=st.floats(-40, 40).map(lambda v: round(v, 1))))
    shape = draw(st.sampled_from(((3,), (2, 3), (5,))), label="indices shape")
    indices = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, rows - 1)), label="indices")
    indices.flat[0], indices.flat[-1] = 0, indices.flat[1]
    cotangent = draw(hnp.arrays(np.float64, shape + (dim,), elements=NONZERO), label="cotangent")
    return weight, indices, cotangent


def _check_layer(backend: Backend, case: tuple[np.ndarray, np.ndarray, np.ndarray], dtype: str, **options: Any) -> None:
    """The layer's output, dense gradient and stored rows against the reference's, or the
    error the reference raises (the library's layer built with only ``options``)."""
    fn = testing.op(backend, "embedding_module")
    weight, indices, cotangent = (round_to(a, dtype) if a.dtype.kind == "f" else a for a in case)
    text = f"weight {weight.tolist()} as {dtype}, indices {indices.tolist()}, cotangent {cotangent.tolist()}, {options}"
    args = (backend.asarray(weight, dtype), backend.asarray(indices, "int64"), backend.asarray(cotangent, dtype))
    try:
        out, grad, stored = ref.embedding_module(weight, indices, cotangent, **options)
    except (ValueError, TypeError):
        with testing.raises_as_spec(backend, f"embedding_module({text})"):
            fn(*args, **options)
        return
    got_out, got_grad, got_stored = fn(*args, **options)
    renormed = options.get("max_norm") is not None
    assert_conforms(backend, got_out, out, op="embedding_module (output)", dtype=dtype, exact=not renormed,
                    terms=weight.shape[1] + 2, scale=np.abs(ref.embedding_lookup(weight, indices)), inputs=text)
    scale = ref.embedding_backward(np.abs(cotangent), indices, weight.shape[0])
    assert_conforms(backend, got_grad, grad, op="embedding_module (weight gradient, dense form)", dtype=dtype,
                    terms=indices.size, scale=scale, inputs=text)
    kind = "dense" if stored is None else f"sparse storing rows {list(stored)}"
    assert got_stored == stored, (f"{backend.name} embedding_module: the gradient stores {got_stored}, the spec says "
                                  f"{kind}\n{testing.reproduction(backend, 'embedding_module', text)}")


@spec("EM03")
@given(case=layer_cases(), data=st.data())
def test_embedding_layer_defaults(backend, case, data):
    """EM03: nn.Embedding(num_embeddings, embedding_dim) with NO options behaves as its
    declared defaults say: padding_idx=None (row 0, looked up, gets its gradient),
    max_norm=None (rows of norm up to 70 come back unchanged, the weight untouched),
    scale_grad_by_freq=False (a repeated id's gradient is the plain sum), sparse=False
    (the gradient is a dense (num_embeddings, dim) array)."""
    _check_layer(backend, case, draw_dtype(backend, data, ("float64", "float32")))


@spec("EM03")
def test_embedding_declared_defaults(backend):
    """EM03: the constructor declares padding_idx=None, max_norm=None, norm_type=2.0,
    scale_grad_by_freq=False, sparse=False (torch adds _weight, _freeze, device, dtype)."""
    declared = testing.op(backend, "embedding_defaults")()
    got = {name: declared.get(name, "(not declared)") for name in ref.EMBEDDING_DEFAULTS}
    assert got == ref.EMBEDDING_DEFAULTS, f"{backend.name}: nn.Embedding declares {got}, expected {ref.EMBEDDING_DEFAULTS}"


@spec("EM08")
@given(case=layer_cases(), padding=st.sampled_from((None, 0, -1)), data=st.data())
def test_embedding_sparse_gradient(backend, case, padding, data):
    """EM08: with sparse=True the weight's gradient is sparse, storing only the looked-up rows
    (distinct, the padding_idx row left out), and its dense form equals the dense gradient."""
    options = {"sparse": True} if padding is None else {"sparse": True, "padding_idx": padding}
    _check_layer(backend, case, draw_dtype(backend, data, ("float64", "float32")), **options)


LAYER_OPTIONS = [
    pytest.param({"sparse": True, "scale_grad_by_freq": True}, id="EM08-sparse-cannot-scale-by-frequency"),
    pytest.param({"sparse": False}, id="EM03-sparse-False-is-dense"),
    pytest.param({"padding_idx": 0, "scale_grad_by_freq": True}, id="EM04-EM07"),
    pytest.param({"max_norm": 1.0, "norm_type": 1.0}, id="EM05-EM06-max-norm"),
]


@spec("EM03", "EM04", "EM05", "EM07", "EM08")
@pytest.mark.parametrize("options", LAYER_OPTIONS)
def test_embedding_layer_options(backend, options):
    """EM03/EM04/EM05/EM07/EM08: the layer with options given explicitly follows the same
    rules as the functional lookup; a sparse gradient cannot be scaled by frequency (raises)."""
    weight = np.linspace(-20, 20, 12).reshape(4, 3)
    _check_layer(backend, (weight, np.array([[0, 2, 2], [3, 0, 2]]), np.linspace(0.5, 2, 18).reshape(2, 3, 3)),
                 "float64", **options)


@spec("EM08")
@pytest.mark.parametrize("optimizer", ["sgd", "sparse_adam", "adam"])
def test_sparse_embedding_step(backend, optimizer):
    """EM08: SGD and SparseAdam step with the sparse gradient of nn.Embedding(sparse=True)
    (SparseAdam moving only the stored rows); Adam refuses it ("Adam does not support sparse
    gradients, please consider SparseAdam instead")."""
    fn = testing.op(backend, "sparse_embedding_step")
    weight, indices, cotangent = np.linspace(-1, 1, 15).reshape(5, 3), np.array([1, 3, 1]), np.linspace(-2, 1, 9).reshape(3, 3)
    args = (backend.asarray(weight, "float64"), backend.asarray(indices, "int64"), backend.asarray(cotangent, "float64"), 0.1)
    text = f"{optimizer}, weight {weight.tolist()}, ids {indices.tolist()}, lr 0.1"
    try:
        expected = ref.sparse_embedding_step(optimizer, weight, indices, cotangent, 0.1)
    except ValueError:
        with testing.raises_as_spec(backend, f"sparse_embedding_step({text})"):
            fn(optimizer, *args)
        return
    assert_conforms(backend, fn(optimizer, *args), expected, op="sparse_embedding_step", dtype="float64", terms=4,
                    scale=np.abs(weight) + 0.1 * ref.embedding_backward(np.abs(cotangent), indices, 5), inputs=text)


# -- convolution over 1 to 3 spatial dims (MD08) ---------------------------------------------


#: (input shape, weight shape, stride, padding, dtype): two per number of spatial dims, so JAX compiles few programs.
CONV_CASES = [((2, 2, 7), (3, 2, 3), 2, 1, "float32"), ((1, 1, 5), (2, 1, 1), 1, 0, "float64"),
              ((1, 2, 5, 4), (2, 2, 3, 2), 1, 1, "float64"), ((2, 1, 5, 5), (1, 1, 2, 2), 2, 0, "float32"),
              ((1, 2, 4, 3, 5), (2, 2, 2, 2, 3), 2, 1, "float32"), ((1, 1, 5, 5, 5), (2, 1, 3, 3, 3), 1, 1, "float64")]


def _check_conv(backend: Backend, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: int, padding: int,
                dtype: str, **reference: Any) -> None:
    """The backend's conv against the reference's cross-correlation: C_in·prod(k) products and
    the bias summed into each output element."""
    fn = testing.op(backend, "conv")
    x, w = round_to(x, dtype), round_to(w, dtype)
    b = None if b is None else round_to(b, dtype)
    expected = ref.conv(x, w, b, stride, padding, **reference)
    scale = ref.conv(np.abs(x), np.abs(w), None if b is None else np.abs(b), stride, padding, **reference)
    got = fn(backend.asarray(x, dtype), backend.asarray(w, dtype), None if b is None else backend.asarray(b, dtype),
             stride, padding)
    assert_conforms(backend, got, expected, op=f"conv ({w.ndim - 2}-d)", dtype=dtype, terms=prod(w.shape[1:]) + 1,
                    scale=scale, products=backend.behaviour("float32_conv_precision"),
                    inputs=f"x {x.shape}, weight {w.shape}, bias {b is not None}, stride={stride}, padding={padding}, {dtype}")


@spec("MD08")
@given(case=st.sampled_from(CONV_CASES), data=st.data())
def test_conv(backend, case, data):
    """MD08: Conv1d/2d/3d, N = weight.ndim − 2 spatial dims: (batch, C_in, *L) → (batch,
    C_out, *out), out = (L + 2p − k)//s + 1, a cross-correlation (the kernel is not flipped)
    with zero padding on both sides, plus the bias."""
    x_shape, w_shape, stride, padding, dtype = case
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    _check_conv(backend, x, w, b, stride, padding, dtype)


@spec("MD08")
def test_notes_conv3d_example(backend):
    """MD08, the catalogue's example: Conv3d(1, 2, kernel_size=3) on a (1, 1, 5, 5, 5) input
    gives (1, 2, 3, 3, 3)."""
    _check_conv(backend, values_for((1, 1, 5, 5, 5), "float32") / 64, values_for((2, 1, 3, 3, 3), "float32") / 32,
                np.array([0.5, -1.0]), 1, 0, "float32")


@spec("MD08")
def test_conv_four_spatial_dims(backend):
    """MD08: there is no Conv4d — torch's convolutions take 1 to 3 spatial dims and 4 raise;
    a library whose convolution is N-d (JAX, the NumPy composition) declares so and must
    then compute it right."""
    x, w = np.linspace(-1, 1, 81).reshape(1, 1, 3, 3, 3, 3), np.linspace(-1, 1, 32).reshape(2, 1, 2, 2, 2, 2)
    if testing.declared(backend, "conv_spatial_dims") == "any":
        _check_conv(backend, x, w, None, 1, 0, "float64", spatial_dims="any")
        return
    fn = testing.op(backend, "conv")
    with testing.raises_as_spec(backend, "conv with 4 spatial dims (no Conv4d)"):
        fn(backend.asarray(x, "float64"), backend.asarray(w, "float64"))


CONV_GRADIENTS = [
    pytest.param([np.linspace(-1, 1, 10).reshape(1, 2, 5), np.linspace(-1, 2, 8).reshape(2, 2, 2), np.array([0.5, -0.5]),
                  2, 1], id="MD08-conv1d-stride-padding"),
    pytest.param([np.linspace(-1, 1, 16).reshape(1, 1, 4, 4), np.linspace(-1, 2, 4).reshape(1, 1, 2, 2), np.array([0.3]),
                  1, 1], id="MD08-conv2d"),
    pytest.param([np.linspace(-1, 1, 27).reshape(1, 1, 3, 3, 3), np.linspace(-1, 2, 8).reshape(1, 1, 2, 2, 2),
                  np.array([0.3]), 1, 0], id="MD08-conv3d"),
]


@spec("MD08")
@pytest.mark.parametrize("args", CONV_GRADIENTS)
def test_conv_gradient(backend, args):
    """MD08: the gradients of a convolution w.r.t. input, weight and bias against central
    differences of the reference."""
    check_gradient(backend, "conv", args, wrt=(0, 1, 2))
