"""Conformance: loss functions (catalogue L01–L09).

Every backend's loss is compared with ``reference.losses`` evaluated in float64 on the same
(dtype-rounded) inputs, for each reduction: the shape (``()`` when reduced), the dtype and the
values under the tolerance policy.  Each loss's bound describes its computation: an
element-wise (or per-sample) loss of ``k`` roundings over terms of magnitude ``s``, then a sum
of ``N`` of them and, for ``"mean"``, a division by the denominator ``D``:

* ``"none"``: ``terms = k``, ``scale = s``;
* ``"sum"`` / ``"mean"``: ``terms = k + N + 1``, ``scale = Σ s / D`` (``D = 1`` for a sum).

Where the reference raises (shapes that differ, a class index out of range), the backend
must raise.  Gradients with respect to the input (torch and JAX) are checked against central
differences of the reference, away from the kinks of L1 and SmoothL1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlspec import testing
from dlspec.api import Backend
from dlspec.checks import check_rule
from dlspec.compare import assert_conforms
from dlspec.gradcheck import check_gradient
from dlspec.strategies import draw_dtype, logits, positive, shapes, values_for
from reference import losses as ref
from reference.dtypes import round_to
from reference.normalization import log_softmax, softmax

spec = pytest.mark.spec
DTYPES = ("float64", "float32")
REDUCTIONS = st.sampled_from(ref.REDUCTIONS)
RULES: dict[str, Callable[..., Any]] = {
    "cross_entropy": ref.cross_entropy, "nll_loss": ref.nll_loss,
    "binary_cross_entropy_with_logits": ref.binary_cross_entropy_with_logits, "mse_loss": ref.mse_loss,
    "l1_loss": ref.l1_loss, "smooth_l1_loss": ref.smooth_l1_loss, "cosine_embedding_loss": ref.cosine_embedding_loss,
    "triplet_margin_loss": ref.triplet_margin_loss, "kl_div": ref.kl_div,
}
#: Per loss: ``(k, s)`` of the unreduced loss, from the float64 arguments and keywords.
Elementwise = Callable[[list[Any], dict[str, Any]], tuple[int, np.ndarray]]


# -- the one check -------------------------------------------------------------------------


def check(backend: Backend, name: str, args: list[Any], dtype: str, **kwargs: Any) -> None:
    """Spec operation ``name`` on ``args`` and ``kwargs`` against the reference, under
    :func:`loss_bound`."""
    check_rule(backend, name, RULES[name], args, dtype, lambda wide, kw, _: [loss_bound(name, wide, kw)], **kwargs)


def loss_bound(name: str, args: list[Any], kwargs: dict[str, Any]) -> tuple[int, Any]:
    """``(terms, scale)`` of loss ``name`` on float64 ``args``: its unreduced loss's
    (:data:`ELEMENTWISE`), then the reduction's sum and division."""
    k, s = ELEMENTWISE[name](args, kwargs)
    if kwargs.get("reduction", "mean") == "none":
        return k, s
    with np.errstate(invalid="ignore", divide="ignore"):  # D = 0: a NaN mean, compared as NaN
        return k + s.size + 1, np.sum(s) / abs(denominator(name, args, kwargs, s.size))


def denominator(name: str, args: list[Any], kwargs: dict[str, Any], n: int) -> float:
    """What ``"mean"`` divides by: ``Σ w[y_i]`` of the non-ignored class indices for NLL and
    cross-entropy, the batch size for KL's ``"batchmean"``, else the element count."""
    reduction = kwargs.get("reduction", "mean")
    if reduction == "sum":
        return 1.0
    if name == "kl_div" and reduction == "batchmean":
        return float(args[0].shape[0]) if args[0].ndim else 1.0
    if name in ("cross_entropy", "nll_loss") and args[1].dtype.kind == "i":
        weight, kept = args[2], args[1] != kwargs.get("ignore_index", -100)
        c = args[0].shape[0 if args[0].ndim == 1 else 1]
        return float(np.sum(np.where(kept, (np.ones(c) if weight is None else weight)[np.where(kept, args[1], 0)], 0)))
    return float(n)


def _class_coefficients(x: np.ndarray, target: np.ndarray, weight: np.ndarray | None, kwargs: dict[str, Any],
                        smoothing: float) -> tuple[int, np.ndarray]:
    """``(class dim, |w_c|·a_ic)``: ``a`` the one-hot target (zero where ignored) or the
    probabilities, mixed with ``smoothing / C``."""
    dim = 0 if x.ndim == 1 else 1
    c = x.shape[dim]
    w = np.abs(np.ones(c) if weight is None else weight).reshape((c,) + (1,) * (x.ndim - dim - 1))
    if target.dtype.kind == "f":
        return dim, w * ((1 - smoothing) * np.abs(target) + smoothing / c)
    kept = target != kwargs.get("ignore_index", -100)
    onehot = np.moveaxis(np.eye(c)[np.where(kept, target, 0)], -1, dim) * np.expand_dims(kept, dim)
    return dim, w * ((1 - smoothing) * onehot + smoothing / c * np.expand_dims(kept, dim))


def cross_entropy_terms(args: list[Any], kwargs: dict[str, Any]) -> tuple[int, np.ndarray]:
    """``s_i = Σ_c |w_c|·a_ic·(1 + |z_ic| + log Σ e^z)``, ``z = x - max``: log_softmax's bound."""
    x, target, weight = args[0], args[1], args[2]
    dim, coeff = _class_coefficients(x, target, weight, kwargs, kwargs.get("label_smoothing", 0.0))
    z = x - np.max(x, axis=dim, keepdims=True)
    return 2 * x.shape[dim] + 2, np.sum(coeff * (1 + np.abs(z) + np.abs(z - log_softmax(x, dim))), axis=dim)


def nll_terms(args: list[Any], kwargs: dict[str, Any]) -> tuple[int, np.ndarray]:
    x, target, weight = args[0], args[1], args[2]
    dim, coeff = _class_coefficients(x, target, weight, kwargs, 0.0)
    return 1, np.sum(coeff * np.abs(x), axis=dim)


def bce_terms(args: list[Any], kwargs: dict[str, Any]) -> tuple[int, np.ndarray]:
    x, t, weight, pos_weight = args[:4]
    w = 1.0 if weight is None else np.abs(weight)
    p = 1.0 if pos_weight is None else np.abs(pos_weight)
    return 4, w * (p * np.abs(t) + np.abs(1 - t)) * (1 + np.abs(x))


def regression_terms(args: list[Any], kwargs: dict[str, Any]) -> tuple[int, np.ndarray]:
    """MSE, L1, SmoothL1: the difference's rounding ``|x| + |t|``, squared where the loss squares."""
    m = np.abs(args[0]) + np.abs(args[1])
    return 3, m * (1 + m / max(kwargs.get("beta", 1.0), 1e-300) if "beta" in kwargs else 1 + m)


def cosine_terms(args: list[Any], kwargs: dict[str, Any]) -> tuple[int, np.ndarray]:
    """``|cos| <= 1``: its error is ``D·eps`` relative to 1 (and the margin's rounding)."""
    x1 = args[0]
    return x1.shape[-1] + 3, np.full(x1.shape[:-1], 2.0 + abs(kwargs.get("margin", 0.0)))


def triplet_terms(args: list[Any], kwargs: dict[str, Any]) -> tuple[int, np.ndarray]:
    """The three distances, each a p-th root of a sum of ``D`` p-th powers, and the margin."""
    a, pos, neg = args
    p, eps = kwargs.get("p", 2.0), kwargs.get("eps", 1e-6)
    distances = sum(np.sum(np.abs(u - v + eps) ** p, axis=-1) ** (1 / p) for u, v in ((a, pos), (a, neg), (pos, neg)))
    return a.shape[-1] + 6, distances + abs(kwargs.get("margin", 1.0))


def kl_terms(args: list[Any], kwargs: dict[str, Any]) -> tuple[int, np.ndarray]:
    x, t = args
    if kwargs.get("log_target", False):
        return 3, np.exp(t) * (1 + np.abs(t) + np.abs(x))
    with np.errstate(divide="ignore", invalid="ignore"):
        return 3, np.abs(np.where(t == 0, 0.0, t * np.log(t))) + np.abs(t * x)


ELEMENTWISE: dict[str, Elementwise] = {
    "cross_entropy": cross_entropy_terms, "nll_loss": nll_terms, "binary_cross_entropy_with_logits": bce_terms,
    "mse_loss": regression_terms, "l1_loss": regression_terms, "smooth_l1_loss": regression_terms,
    "cosine_embedding_loss": cosine_terms, "triplet_margin_loss": triplet_terms, "kl_div": kl_terms,
}


# -- classification (L01 L02 L03 L09) --------------------------------------------------------


@st.composite
def class_inputs(draw: st.DrawFn) -> tuple[tuple[int, ...], int]:
    """An input shape ``(C,)``, ``(N, C)`` or ``(N, C, d)`` (N, d in 0–3, C in 1–4) and its class dim."""
    c = draw(st.integers(1, 4), label="C")
    kind = draw(st.sampled_from(("(N, C)", "(C,)", "(N, C, d)")), label="layout")
    n, d = draw(st.integers(0, 3), label="N"), draw(st.integers(0, 3), label="d")
    return {"(C,)": (c,), "(N, C)": (n, c), "(N, C, d)": (n, c, d)}[kind], 0 if kind == "(C,)" else 1


def class_targets(shape: tuple[int, ...], dim: int, ignore_index: int, data: st.DataObject) -> np.ndarray:
    """Class indices in ``[0, C)`` for an input of ``shape``, some ``ignore_index``, and now and
    then one out of range (``C`` or -1), which must raise."""
    c = shape[dim]
    target_shape = shape[:dim] + shape[dim + 1:]
    choices = st.sampled_from([*range(c), ignore_index, ignore_index])
    target = data.draw(st.lists(choices, min_size=int(np.prod(target_shape)), max_size=int(np.prod(target_shape))),
                       label="targets")
    target = np.array(target, dtype=np.int64).reshape(target_shape)
    if target.size and data.draw(st.integers(0, 9), label="fault") == 0:
        target.reshape(-1)[0] = data.draw(st.sampled_from((c, -1)), label="out of range")
    return target


@spec("L01", "L09")
@given(case=class_inputs(), data=st.data())
def test_cross_entropy(backend, case, data):
    """L01/L09: cross_entropy(logits, target) is NLL of log_softmax over the class dim (dim 1,
    or 0 for a (C,) input; (N, C, d) for sequences).  Class-index targets: entries equal to
    ignore_index are skipped, class weights scale each sample, label_smoothing ε gives
    (1 - ε)·NLL + ε/C·Σ_c w_c·(-logp_c), and 'mean' divides by Σ w[y_i] over the non-ignored
    targets (not N).  Class-probability targets of the input's shape: -Σ_c w_c·t'_c·logp_c with
    t' = (1 - ε)·t + ε/C, 'mean' over the samples, and an ignore_index raises.  A class index
    out of range raises."""
    shape, dim = case
    dtype = draw_dtype(backend, data, DTYPES)
    ignore_index = data.draw(st.sampled_from((-100, 1)), label="ignore_index")
    if data.draw(st.booleans(), label="probability targets"):
        target = np.asarray(round_to(softmax(values_for(shape, dtype, data), dim), dtype))
    else:
        target = class_targets(shape, dim, ignore_index, data)
    weight = data.draw(st.sampled_from((None, positive((shape[dim],), dtype, data))), label="weight")
    check(backend, "cross_entropy", [logits(shape, dtype, data), target, weight], dtype, ignore_index=ignore_index,
          reduction=data.draw(REDUCTIONS, label="reduction"),
          label_smoothing=data.draw(st.sampled_from((0.0, 0.1, 0.5)), label="label_smoothing"))


@spec("L03")
@given(case=class_inputs(), data=st.data())
def test_nll_loss(backend, case, data):
    """L03: nll_loss(logp, y) = -w[y_i]·logp[i, y_i] per sample, with no softmax inside;
    ignore_index skipped; 'mean' divides by Σ w[y_i] over the non-ignored targets.  A class
    index out of range raises."""
    shape, dim = case
    dtype = draw_dtype(backend, data, DTYPES)
    ignore_index = data.draw(st.sampled_from((-100, 0)), label="ignore_index")
    weight = data.draw(st.sampled_from((None, positive((shape[dim],), dtype, data))), label="weight")
    check(backend, "nll_loss", [values_for(shape, dtype, data), class_targets(shape, dim, ignore_index, data), weight],
          dtype, ignore_index=ignore_index, reduction=data.draw(REDUCTIONS, label="reduction"))


@spec("L02")
@given(shape=shapes(1, 3), data=st.data())
def test_binary_cross_entropy_with_logits(backend, shape, data):
    """L02: BCEWithLogits = -w·[p·t·log σ(x) + (1 - t)·log(1 - σ(x))] element-wise, finite
    for logits up to ±1e4 (it never forms log(0)); targets may be soft, in [0, 1]; weight
    broadcasts, pos_weight p is per class (last dim).  Shapes that differ raise."""
    dtype = draw_dtype(backend, data, DTYPES)
    target = np.asarray(round_to(np.abs(values_for(shape, dtype, data)) / 8, dtype))
    if data.draw(st.integers(0, 9), label="fault") == 0:
        target = target[..., :-1] if shape[-1] else target[..., None]
    weight = data.draw(st.sampled_from((None, positive(shape[-1:], dtype, data))), label="weight")
    pos_weight = data.draw(st.sampled_from((None, positive(shape[-1:], dtype, data))), label="pos_weight")
    check(backend, "binary_cross_entropy_with_logits", [logits(shape, dtype, data), target, weight, pos_weight],
          dtype, reduction=data.draw(REDUCTIONS, label="reduction"))


CE_OPTIONS = [
    pytest.param({"weight": np.array([0.5, 1.0, 2.0])}, id="weighted-mean-divides-by-sum-of-weights-3.5"),
    pytest.param({"ignore_index": 1}, id="ignore_index-1-skips-the-second-sample"),
    pytest.param({"label_smoothing": 0.3}, id="label_smoothing-0.3-mixes-in-0.1-per-class"),
    pytest.param({"weight": np.array([0.5, 1.0, 2.0]), "ignore_index": -100, "label_smoothing": 0.2},
                 id="all-three-and-an-ignored-target"),
]


@spec("L01")
@pytest.mark.parametrize("options", CE_OPTIONS)
def test_notes_cross_entropy_options(backend, options):
    """L01: torch's options on logits [[1, 2, 3], [1, 0, -1], [0, 0, 2], [3, 1, 0]] with targets
    [0, 1, 2, 2] (or [0, 1, -100, 2]): class weights w = [0.5, 1, 2] make 'mean' divide by
    Σ w[y_i] = 0.5 + 1 + 2 + 2 (not by 4); ignore_index skips its samples in the sum and the
    count; label_smoothing ε adds ε/C·(-Σ_c logp_c) to (1 - ε)·NLL."""
    x = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, -1.0], [0.0, 0.0, 2.0], [3.0, 1.0, 0.0]])
    y = np.array([0, 1, -100, 2]) if "ignore_index" in options and options["ignore_index"] == -100 else np.array([0, 1, 2, 2])
    rest = {k: v for k, v in options.items() if k != "weight"}
    check(backend, "cross_entropy", [x, y, options.get("weight")], "float64", **rest)


@spec("L01", "L03")
@pytest.mark.parametrize("reduction", ref.REDUCTIONS)
def test_cross_entropy_is_nll_of_log_softmax(backend, reduction):
    """L01/L03: cross_entropy(x, y) equals nll_loss(log_softmax(x, dim=1), y) on the backend
    itself, with class weights and an ignored target; nll_loss applies no softmax."""
    x, y, w = values_for((4, 3), "float64") / 50, np.array([0, 2, -100, 1]), np.array([0.5, 1.0, 2.0])
    args = [backend.asarray(x, "float64"), backend.asarray(y, "int64"), backend.asarray(w, "float64")]
    via_nll = testing.op(backend, "nll_loss")(testing.op(backend, "log_softmax")(args[0], 1), *args[1:],
                                              reduction=reduction)
    terms, scale = loss_bound("cross_entropy", [x, y, w], {"reduction": reduction})
    assert_conforms(backend, via_nll, ref.cross_entropy(x, y, w, reduction=reduction), op="nll_loss(log_softmax(x))",
                    terms=terms, scale=scale)


@spec("L09")
def test_notes_language_model_loss(backend):
    """L09: a language model scores its logits (B, T, V) against the next tokens: the loss is
    cross_entropy(logits[:, :-1] as (B, V, T-1), ids[:, 1:]) — the class dim is 1 — and equals
    the cross-entropy of the flattened (B·(T-1), V) logits with ids[:, 1:].flatten()."""
    rng = np.random.default_rng(9)
    logits_, ids = rng.standard_normal((2, 5, 7)), rng.integers(0, 7, (2, 5))
    shifted = np.ascontiguousarray(np.moveaxis(logits_[:, :-1], -1, 1))
    check(backend, "cross_entropy", [shifted, ids[:, 1:], None], "float32")
    check(backend, "cross_entropy", [logits_[:, :-1].reshape(-1, 7), ids[:, 1:].reshape(-1), None], "float32")
    assert np.isclose(ref.cross_entropy(shifted, ids[:, 1:]), ref.cross_entropy(logits_[:, :-1].reshape(-1, 7),
                                                                                 ids[:, 1:].reshape(-1)))


# -- regression (L04 L05) -----------------------------------------------------------------------


@spec("L04", "L05")
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss"])
@given(shape=shapes(0, 3), data=st.data())
def test_regression_losses(backend, name, shape, data):
    """L04/L05: mse = (x - t)², l1 = |x - t|, smooth_l1 = 0.5·d²/beta for |d| < beta and
    |d| - 0.5·beta beyond (beta = 0: L1), reduced by none / mean (over every element) / sum."""
    dtype = draw_dtype(backend, data, DTYPES)
    kwargs = {"reduction": data.draw(REDUCTIONS, label="reduction")}
    if name == "smooth_l1_loss":
        kwargs["beta"] = data.draw(st.sampled_from((1.0, 0.5, 2.0, 0.0)), label="beta")
    check(backend, name, [values_for(shape, dtype, data), values_for(shape, dtype, data)], dtype, **kwargs)


NOTES_REGRESSION = [
    pytest.param("mse_loss", [1.0, 2.0, 3.0], [0.0, 2.0, 6.0], {}, id="L04-MSE-is-10/3"),
    pytest.param("l1_loss", [1.0, 2.0, 3.0], [0.0, 2.0, 6.0], {}, id="L04-L1-is-4/3"),
    pytest.param("smooth_l1_loss", [0.5, 3.0], [0.0, 0.0], {"reduction": "none"}, id="L05-SmoothL1-0.125-2.5"),
    pytest.param("smooth_l1_loss", [0.5, 3.0], [0.0, 0.0], {"reduction": "none", "beta": 4.0},
                 id="L05-SmoothL1-beta-4-all-quadratic"),
]


@spec("L04", "L05")
@pytest.mark.parametrize(("name", "x", "t", "kwargs"), NOTES_REGRESSION)
def test_notes_regression_examples(backend, name, x, t, kwargs):
    """L04/L05, the notes' examples: p = [1, 2, 3], t = [0, 2, 6] gives MSE 10/3 = 3.3333 and
    L1 4/3 = 1.3333; SmoothL1 of d = [0.5, 3] is [0.125, 2.5] (quadratic below beta = 1,
    linear above), and with beta = 4 both are quadratic, [0.03125, 1.125]."""
    check(backend, name, [np.array(x), np.array(t)], "float32", **kwargs)


# -- embeddings and distributions (L06 L07 L08) --------------------------------------------------


@st.composite
def vector_shapes(draw: st.DrawFn) -> tuple[int, ...]:
    """``(N, D)`` (N in 0–3) or ``(D,)``, D in 1–4."""
    d = draw(st.integers(1, 4), label="D")
    return draw(st.sampled_from(((draw(st.integers(0, 3), label="N"), d), (d,))), label="layout")


@spec("L06")
@given(shape=vector_shapes(), data=st.data())
def test_cosine_embedding_loss(backend, shape, data):
    """L06: cosine_embedding_loss(x1, x2, y, margin): 1 - cos(x1, x2) for label 1 and
    max(0, cos - margin) for label -1 (labels are ±1, not 0/1), cos over the last dim with
    1e-12 added to each squared norm."""
    dtype = draw_dtype(backend, data, DTYPES)
    labels = np.array(data.draw(st.lists(st.sampled_from((1, -1)), min_size=int(np.prod(shape[:-1])),
                                         max_size=int(np.prod(shape[:-1]))), label="labels")).reshape(shape[:-1])
    # Elements of magnitude >= 0.25: where a norm² nears the 1e-12 guard, 1 - cos is
    # ill-conditioned in that guard's rounding, beyond what the tolerance's scale models.
    vectors = [values_for(shape, dtype, data, nonzero=True) for _ in range(2)]
    check(backend, "cosine_embedding_loss", [*vectors, labels],
          dtype, margin=data.draw(st.sampled_from((0.0, 0.5, -0.25)), label="margin"),
          reduction=data.draw(REDUCTIONS, label="reduction"))


@spec("L07")
@given(shape=vector_shapes(), data=st.data())
def test_triplet_margin_loss(backend, shape, data):
    """L07: triplet_margin_loss(a, p, n) = max(d(a, p) - d(a, n) + margin, 0) with
    d(x, y) = ‖x - y + eps‖_p over the last dim; swap replaces d(a, n) by min(d(a, n), d(p, n)).
    A margin <= 0 raises."""
    dtype = draw_dtype(backend, data, DTYPES)
    vectors = [values_for(shape, dtype, data) for _ in range(3)]
    check(backend, "triplet_margin_loss", vectors, dtype,
          margin=data.draw(st.sampled_from((1.0, 0.0, 2.5)), label="margin"),
          p=data.draw(st.sampled_from((2.0, 1.0, 3.0)), label="p"), swap=data.draw(st.booleans(), label="swap"),
          reduction=data.draw(REDUCTIONS, label="reduction"))


@spec("L08")
@given(shape=shapes(1, 3, 1, 4), data=st.data())
def test_kl_div(backend, shape, data):
    """L08: kl_div(input, target) takes LOG-probabilities as input: t·(log t - input)
    element-wise (0 where t = 0), or e^t·(t - input) with log_target; 'batchmean' divides the
    sum by input.shape[0] (the true KL per sample), 'mean' by the number of elements."""
    dtype = draw_dtype(backend, data, DTYPES)
    log_target = data.draw(st.booleans(), label="log_target")
    x = np.asarray(round_to(log_softmax(values_for(shape, dtype, data)), dtype))
    z = values_for(shape, dtype, data) * data.draw(st.sampled_from((1.0, 8.0)), label="sharpness")
    t = np.asarray(round_to(log_softmax(z) if log_target else softmax(z), dtype))
    check(backend, "kl_div", [x, t], dtype, log_target=log_target,
          reduction=data.draw(st.sampled_from((*ref.REDUCTIONS, "batchmean")), label="reduction"))


NOTES_PAIRS = [
    pytest.param("cosine_embedding_loss", [[1.0, 0.0], [1.0, 0.0]], [[1.0, 1.0], [1.0, 1.0]], np.array([1, -1]),
                 {"reduction": "none"}, id="L06-labels-1-and--1-give-0.2929-and-0.7071"),
    pytest.param("triplet_margin_loss", [0.0, 0.0], [3.0, 4.0], [1.0, 0.0], {"margin": 1.0},
                 id="L07-max(5-1+1,0)-is-5"),
]


@spec("L06", "L07")
@pytest.mark.parametrize(("name", "a", "b", "c", "kwargs"), NOTES_PAIRS)
def test_notes_embedding_examples(backend, name, a, b, c, kwargs):
    """L06/L07, the notes' examples: x1 = [1, 0], x2 = [1, 1] (cos 45°) with labels 1 and -1
    give [1 - 0.7071, 0.7071] = [0.2929, 0.7071]; anchor [0, 0], positive [3, 4], negative
    [1, 0] at margin 1 give max(5 - 1 + 1, 0) = 5."""
    third = c if isinstance(c, np.ndarray) else np.array(c)
    check(backend, name, [np.array(a), np.array(b), third], "float32", **kwargs)


@spec("L08")
@pytest.mark.parametrize("reduction", ["batchmean", "mean", "sum"])
def test_notes_kl_div_batchmean(backend, reduction):
    """L08: for input log q and target p of shape (2, 3), 'batchmean' is Σ p·(log p - log q)/2,
    the KL per sample, while the default 'mean' divides by all 6 elements."""
    q, p = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]), np.array([[0.5, 0.25, 0.25], [0.0, 0.5, 0.5]])
    check(backend, "kl_div", [np.log(q), p], "float64", reduction=reduction)


# -- gradients --------------------------------------------------------------------------------------


def _small(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-2, 2, shape)


GRADIENTS = [
    pytest.param("cross_entropy", [_small((3, 4), 1), np.array([0, 3, 1]), np.array([0.5, 1.0, 2.0, 1.5])],
                 {"label_smoothing": 0.2}, id="L01-cross_entropy-weighted-smoothed"),
    pytest.param("cross_entropy", [_small((3, 4), 2), softmax(_small((3, 4), 3))], {}, id="L01-cross_entropy-probs"),
    pytest.param("nll_loss", [_small((3, 4), 4), np.array([2, -100, 1])], {}, id="L03-nll_loss"),
    pytest.param("binary_cross_entropy_with_logits", [_small((2, 3), 5) * 10, np.array([[0, 1, 0.5], [1, 0, 0.25]]),
                                                      None, np.array([1.0, 2.0, 3.0])], {}, id="L02-bce-pos_weight"),
    pytest.param("mse_loss", [_small((2, 3), 6), _small((2, 3), 7)], {}, id="L04-mse"),
    pytest.param("l1_loss", [_small((2, 3), 8), _small((2, 3), 9)], {"reduction": "sum"}, id="L04-l1"),
    pytest.param("smooth_l1_loss", [np.array([0.5, 3.0, -0.2, -2.0]), np.zeros(4)], {"reduction": "none"},
                 id="L05-smooth_l1-grads-bounded-by-1"),
    pytest.param("cosine_embedding_loss", [_small((3, 4), 10), _small((3, 4), 11), np.array([1, -1, -1])],
                 {"margin": -0.5}, id="L06-cosine_embedding"),
    pytest.param("triplet_margin_loss", [_small((3, 4), 12), _small((3, 4), 13), _small((3, 4), 14)],
                 {"margin": 5.0, "swap": True}, id="L07-triplet"),
    pytest.param("kl_div", [log_softmax(_small((3, 4), 15)), softmax(_small((3, 4), 16))], {"reduction": "batchmean"},
                 id="L08-kl_div"),
]


@spec("L01", "L02", "L03", "L04", "L05", "L06", "L07", "L08")
@pytest.mark.parametrize(("name", "args", "kwargs"), GRADIENTS)
def test_gradients(backend, name, args, kwargs):
    """L01–L08: the gradient of every loss with respect to its input against central
    differences of the reference, away from the kinks of L1 and SmoothL1 (whose gradient
    sign(d)·min(|d|/beta, 1) is bounded by 1: [0.5, 1, -0.2, -1] for d = [0.5, 3, -0.2, -2])."""
    check_gradient(backend, name, args, kwargs=kwargs)
