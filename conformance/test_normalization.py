"""Conformance: normalisation layers and activation functions (catalogue NR01–NR11, C02).

Every backend's result is compared with ``reference.normalization`` evaluated in float64 on
the same (dtype-rounded) inputs: the shape, the dtype and the values under the tolerance
policy.  The policy's accumulation term describes how each result is computed:

* a normalisation over ``n`` elements: ``terms = n + 2``, ``scale = |w|·rstd·(|x - mean| + |x| +
  mean|x|) + |b|`` (the rounding of ``x``, of the mean's sum and of the normalised value, scaled
  by ``1 / sqrt(var + eps)`` and the affine weight);
* softmax along ``n`` elements: ``terms = n + 2``, ``scale = softmax·(1 + |x - max|)`` (the sum's
  error, and ``e^z``'s relative error ``|z|·eps`` from the rounding of ``z = x - max``);
  log_softmax: ``scale = 1 + |x - max| + log Σ e^z``;
* element-wise activations: the 4-ulp bound alone, on top of which float16 and bfloat16 get
  the error-ratio rule.

Where the reference raises, the backend must raise.  Gradients (torch and JAX) are checked
against central differences of the reference.
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlspec.api import Backend
from dlspec.checks import Bound, check_rule
from dlspec.gradcheck import check_gradient
from dlspec.strategies import draw_dtype, logits, positive, shapes, values_for
from reference import normalization as ref

spec = pytest.mark.spec
DTYPES = ("float64", "float32", "float16", "bfloat16")
RULES: dict[str, Callable[..., Any]] = {
    "layer_norm": ref.layer_norm, "batch_norm": ref.batch_norm, "instance_norm": ref.instance_norm,
    "group_norm": ref.group_norm, "softmax": ref.softmax, "log_softmax": ref.log_softmax, "relu": ref.relu,
    "sigmoid": ref.sigmoid, "tanh": ref.tanh, "silu": ref.swish,
}
ACTIVATIONS = ("relu", "sigmoid", "tanh", "silu")


# -- the one check -------------------------------------------------------------------------


def check(backend: Backend, name: str, args: list[Any], dtype: str, bound: Bound, **kwargs: Any) -> None:
    """:func:`dlspec.checks.check_rule` with the reference rule of ``name`` in this area."""
    check_rule(backend, name, RULES[name], args, dtype, bound, **kwargs)


# -- tolerance bounds ------------------------------------------------------------------------


def unit_scale(x: np.ndarray, axes: tuple[int, ...], eps: float) -> tuple[int, np.ndarray]:
    """``(n + 2, rstd·(|x - mean| + |x| + mean|x|))`` of ``x`` normalised over ``axes``."""
    n = prod(x.shape[a] for a in axes)
    mean, var = ref._statistics(x, axes)  # the reference's own: no warning for an empty batch
    mean_abs = np.sum(np.abs(x), axis=axes, keepdims=True) / max(n, 1)
    return n + 2, (np.abs(x - mean) + np.abs(x) + mean_abs) / np.sqrt(var + eps)


def affine_scale(scale: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None) -> np.ndarray:
    return scale * (1.0 if weight is None else np.abs(weight)) + (0.0 if bias is None else np.abs(bias))


def per_channel(p: np.ndarray | None, ndim: int) -> np.ndarray | None:
    return None if p is None else p.reshape((1, -1) + (1,) * (ndim - 2))


def layer_norm_bound(args: list[Any], kwargs: dict[str, Any], _: tuple[np.ndarray, ...]) -> list[tuple[int, Any]]:
    x, shape, weight, bias, eps = args
    terms, scale = unit_scale(x, tuple(range(x.ndim - len(shape), x.ndim)), eps)
    return [(terms, affine_scale(scale, weight, bias))]


def instance_norm_bound(args: list[Any], kwargs: dict[str, Any], _: tuple[np.ndarray, ...]) -> list[tuple[int, Any]]:
    x, weight, bias, eps = args
    terms, scale = unit_scale(x, tuple(range(2, x.ndim)), eps)
    return [(terms, affine_scale(scale, per_channel(weight, x.ndim), per_channel(bias, x.ndim)))]


def group_norm_bound(args: list[Any], kwargs: dict[str, Any], _: tuple[np.ndarray, ...]) -> list[tuple[int, Any]]:
    x, groups, weight, bias, eps = args
    terms, scale = unit_scale(x.reshape(x.shape[0], groups, x.shape[1] // groups * prod(x.shape[2:])), (2,), eps)
    return [(terms, affine_scale(scale.reshape(x.shape), per_channel(weight, x.ndim), per_channel(bias, x.ndim)))]


def batch_norm_bound(args: list[Any], kwargs: dict[str, Any], out: tuple[np.ndarray, ...]) -> list[tuple[int, Any]]:
    """Training: the normalisation's bound; the running statistics add ``momentum`` times the
    batch statistics' error (their sums of ``n`` terms).  Evaluation: element-wise."""
    x, rm, rv, weight, bias, training, momentum, eps = args
    w, b = per_channel(weight, x.ndim), per_channel(bias, x.ndim)
    axes = (0, *range(2, x.ndim))
    if not training:
        mean, var = per_channel(rm, x.ndim), per_channel(rv, x.ndim)
        scale = (np.abs(x - mean) + np.abs(x) + np.abs(mean)) / np.sqrt(var + eps)
        return [(2, affine_scale(scale, w, b)), (0, 0.0), (0, 0.0)]
    terms, scale = unit_scale(x, axes, eps)
    bounds = [(terms, affine_scale(scale, w, b))]
    if rm is not None:
        n = prod(x.shape[a] for a in axes)
        mean_abs = np.sum(np.abs(x), axis=axes) / max(n, 1)
        bounds += [(terms, np.abs(rm) + momentum * mean_abs),
                   (terms, np.abs(rv) + momentum * np.sum(x * x, axis=axes) / max(n - 1, 1))]
    return bounds


def softmax_bound(args: list[Any], kwargs: dict[str, Any], out: tuple[np.ndarray, ...]) -> list[tuple[int, Any]]:
    x, dim = args
    n, z = _shifted(x, dim)
    return [(n + 2, out[0] * (1 + np.abs(z)))]


def log_softmax_bound(args: list[Any], kwargs: dict[str, Any], out: tuple[np.ndarray, ...]) -> list[tuple[int, Any]]:
    x, dim = args
    n, z = _shifted(x, dim)
    return [(n + 2, 1 + np.abs(z) + np.abs(z - out[0]))]


def _shifted(x: np.ndarray, dim: int) -> tuple[int, np.ndarray]:
    """The size along ``dim`` and ``x - max`` along it (0-d: read as 1-D)."""
    flat = x.reshape(x.shape or (1,))
    top = np.max(flat, axis=dim, keepdims=True, initial=-np.inf)
    return flat.shape[dim], (flat - top).reshape(x.shape)


def elementwise_bound(args: list[Any], kwargs: dict[str, Any], out: tuple[np.ndarray, ...]) -> list[tuple[int, Any]]:
    return [(0, 0.0)]


# -- strategies --------------------------------------------------------------------------------



@st.composite
def channel_shapes(draw: st.DrawFn, min_spatial: int = 0, min_batch: int = 0) -> tuple[int, ...]:
    """``(N, C, *spatial)``: N in ``min_batch``–3, C in 1–4, up to 2 spatial dims of 1–3."""
    return (draw(st.integers(min_batch, 3), label="N"), draw(st.integers(1, 4), label="C"),
            *draw(shapes(min_spatial, 2, 1, 3), label="spatial"))



def maybe(data: st.DataObject, value: Any, label: str) -> Any:
    return data.draw(st.sampled_from((value, None)), label=label)


EPS = st.sampled_from((1e-5, 1e-3, 0.5))


# -- LayerNorm, InstanceNorm, GroupNorm, BatchNorm (NR01-NR06) --------------------------------


@spec("NR01", "NR06")
@given(data=st.data())
def test_layer_norm(backend, data):
    """NR01/NR06: layer_norm(x, normalized_shape, weight, bias, eps) is (x - E[x]) /
    sqrt(Var[x] + eps)·weight + bias over the last len(normalized_shape) dims, per sample,
    the variance biased; weight (gamma) and bias (beta) have shape normalized_shape.  A
    normalized_shape that is not a suffix of the input's shape raises."""
    dtype = draw_dtype(backend, data, DTYPES)
    shape = data.draw(shapes(1, 3, 1, 4), label="shape")
    k = data.draw(st.integers(1, len(shape)), label="normalized dims")
    normalized = shape[len(shape) - k:]
    if data.draw(st.integers(0, 7), label="fault") == 0:
        normalized = (normalized[0] + 1,) + normalized[1:]
    weight = maybe(data, values_for(normalized, dtype, data), "weight")
    bias = maybe(data, values_for(normalized, dtype, data), "bias")
    check(backend, "layer_norm", [values_for(shape, dtype, data), normalized, weight, bias, data.draw(EPS)], dtype,
          layer_norm_bound)


@spec("NR02", "NR05", "NR06")
@given(shape=channel_shapes(), data=st.data())
def test_batch_norm(backend, shape, data):
    """NR02/NR05/NR06: batch_norm of (N, C, *) normalises each channel; in training with the
    batch mean and BIASED batch variance over (N, *spatial), and it returns the running
    statistics moved by momentum, the variance's with the UNBIASED batch variance; in
    evaluation with the running statistics, returned unchanged.  Training on one value per
    channel raises."""
    dtype = draw_dtype(backend, data, DTYPES)
    c = shape[1]
    training = data.draw(st.booleans(), label="training")
    running = not training or data.draw(st.booleans(), label="running statistics")
    rm, rv = (values_for((c,), dtype, data), positive((c,), dtype, data)) if running else (None, None)
    weight, bias = maybe(data, values_for((c,), dtype, data), "weight"), maybe(data, values_for((c,), dtype, data), "bias")
    momentum = data.draw(st.sampled_from((0.1, 0.5)), label="momentum")
    check(backend, "batch_norm", [values_for(shape, dtype, data), rm, rv, weight, bias, training, momentum,
                                  data.draw(EPS)], dtype, batch_norm_bound)


@spec("NR03")
@given(shape=channel_shapes(min_spatial=1, min_batch=1), data=st.data())
def test_instance_norm(backend, shape, data):
    """NR03: instance_norm of (N, C, *spatial) normalises each (sample, channel) over its
    spatial dims (affine=False by default); weight and bias are per channel.  A single
    spatial element raises.  (No empty batch: torch 2.13's instance_norm with a weight
    raises IndexError on one.)"""
    dtype = draw_dtype(backend, data, DTYPES)
    c = shape[1]
    weight, bias = maybe(data, values_for((c,), dtype, data), "weight"), maybe(data, values_for((c,), dtype, data), "bias")
    check(backend, "instance_norm", [values_for(shape, dtype, data), weight, bias, data.draw(EPS)], dtype,
          instance_norm_bound)


@spec("NR04")
@given(shape=channel_shapes(), data=st.data())
def test_group_norm(backend, shape, data):
    """NR04: group_norm(x, G) splits the C channels into G groups of C/G consecutive
    channels and normalises each (sample, group) over its channels and spatial dims; weight
    and bias are per channel.  A G that does not divide C raises."""
    dtype = draw_dtype(backend, data, DTYPES)
    c = shape[1]
    groups = data.draw(st.integers(1, c + 1), label="num_groups")
    weight, bias = maybe(data, values_for((c,), dtype, data), "weight"), maybe(data, values_for((c,), dtype, data), "bias")
    check(backend, "group_norm", [values_for(shape, dtype, data), groups, weight, bias, data.draw(EPS)], dtype,
          group_norm_bound)


ONE_FORMULA = [
    pytest.param("layer_norm", [(4, 3), None, None, 1e-5], layer_norm_bound, id="NR01-LayerNorm((4,3))"),
    pytest.param("batch_norm", [None, None, None, None, True, 0.1, 1e-5], batch_norm_bound, id="NR02-BatchNorm"),
    pytest.param("instance_norm", [None, None, 1e-5], instance_norm_bound, id="NR03-InstanceNorm"),
    pytest.param("group_norm", [2, None, None, 1e-5], group_norm_bound, id="NR04-GroupNorm(2)"),
]


@spec("NR01", "NR02", "NR03", "NR04")
@pytest.mark.parametrize(("name", "rest", "bound"), ONE_FORMULA)
def test_notes_one_formula(backend, name, rest, bound):
    """NR01–NR04: the four layers are one formula, (x - E[x]) / sqrt(Var[x] + eps), on an
    input of shape (N, C, L) = (2, 4, 3) with different reduction axes: LayerNorm over (C, L)
    per sample, BatchNorm (training) over (N, L) per channel, InstanceNorm over L per
    (sample, channel), GroupNorm(2) over channels {0, 1} and {2, 3} (consecutive) with L."""
    x = np.random.default_rng(4).standard_normal((2, 4, 3)) * np.array([1.0, 3.0, 0.5, 2.0])[:, None]
    check(backend, name, [x, *rest], "float64", bound)


@spec("NR02", "NR05")
def test_notes_running_variance_is_unbiased(backend):
    """NR05: BatchNorm1d(1) in training on x = [1, 3]: the output uses the biased variance 1,
    (x - 2)/sqrt(1 + eps) = [-1, 1]; running_mean 0 -> 0.1·2 = 0.2 and running_var 1 ->
    0.9·1 + 0.1·2 = 1.1 (the UNBIASED variance 2); in evaluation the output is then
    (x - 0.2)/sqrt(1.1 + eps); without running statistics, evaluation raises."""
    x, rm, rv = np.array([[1.0], [3.0]]), np.zeros(1), np.ones(1)
    check(backend, "batch_norm", [x, rm, rv, None, None, True, 0.1, 1e-5], "float32", batch_norm_bound)
    check(backend, "batch_norm", [x, rm + 0.2, rv + 0.1, None, None, False, 0.1, 1e-5], "float32", batch_norm_bound)
    check(backend, "batch_norm", [x, None, None, None, None, False, 0.1, 1e-5], "float32", batch_norm_bound)


# -- activations and softmax (NR07-NR11, C02) ------------------------------------------------


@spec("NR07", "NR09", "NR10", "C02")
@pytest.mark.parametrize("name", ACTIVATIONS)
@given(shape=shapes(0, 3), data=st.data())
def test_activations(backend, name, shape, data):
    """NR07/NR09/NR10/C02: relu = max(0, x), sigmoid = 1/(1 + e^-x), tanh, silu (swish) =
    x·sigmoid(x), element-wise, on logits up to ±1e4 (no overflow)."""
    dtype = draw_dtype(backend, data, DTYPES)
    check(backend, name, [logits(shape, dtype, data)], dtype, elementwise_bound)


@spec("NR07", "NR08", "NR11")
@pytest.mark.parametrize(("name", "bound"), [("softmax", softmax_bound), ("log_softmax", log_softmax_bound)])
@given(shape=shapes(0, 3), data=st.data())
def test_softmax(backend, name, bound, shape, data):
    """NR07/NR08/NR11: softmax(x, dim) = e^x_i / Σ_j e^x_j along dim, which couples the
    elements; log_softmax = x_i - log Σ_j e^x_j.  Logits up to ±1e4 neither overflow nor
    give NaN: the max is subtracted first.  A dim out of range raises."""
    dtype = draw_dtype(backend, data, DTYPES)
    ndim = max(len(shape), 1)
    dim = data.draw(st.integers(-ndim, ndim), label="dim")
    check(backend, name, [logits(shape, dtype, data), dim], dtype, bound)


NOTES_ACTIVATIONS = [
    pytest.param("softmax", [1.0, 2.0, 3.0], "float64", id="NR08-softmax-1-2-3"),
    pytest.param("softmax", [1000.0, 1000.0], "float32", id="NR08-softmax-1000-1000-is-half-half"),
    pytest.param("softmax", [1e4, -1e4, 0.0], "float32", id="NR08-softmax-1e4-no-overflow"),
    pytest.param("log_softmax", [1e4, -1e4, 0.0], "float32", id="NR08-log_softmax-1e4-no-overflow"),
    pytest.param("relu", [-2.0, 0.0, 3.0], "float32", id="NR09-relu"),
    pytest.param("sigmoid", [-3.0, 0.0, 3.0], "float64", id="NR10-sigmoid-0.0474-0.5-0.9526"),
    pytest.param("sigmoid", [20.0, -200.0], "float32", id="NR10-sigmoid-float32-saturates-to-1-and-0"),
]


@spec("NR08", "NR09", "NR10")
@pytest.mark.parametrize(("name", "values", "dtype"), NOTES_ACTIVATIONS)
def test_notes_activation_examples(backend, name, values, dtype):
    """NR08–NR10, the notes' examples: softmax([1, 2, 3]) = [0.0900, 0.2447, 0.6652];
    softmax([1000, 1000]) = [0.5, 0.5] and softmax / log_softmax at ±1e4 stay finite;
    relu([-2, 0, 3]) = [0, 0, 3]; sigmoid([-3, 0, 3]) = [0.0474, 0.5, 0.9526], and in
    float32 sigmoid(20) = 1.0, sigmoid(-200) = 0.0."""
    args = [np.array(values)] + ([-1] if "softmax" in name else [])
    bound = {"softmax": softmax_bound, "log_softmax": log_softmax_bound}.get(name, elementwise_bound)
    check(backend, name, args, dtype, bound)


@spec("NR11")
def test_notes_softmax_rows_are_probabilities(backend):
    """NR11: softmax(logits, dim=-1) turns each row of logits into probabilities: [[1, 4.173],
    [3.8, -3.8]] gives about [[0.0402, 0.9598], [0.9995, 0.0005]], each row summing to 1."""
    check(backend, "softmax", [np.array([[1.0, 4.173], [3.8, -3.8]]), -1], "float32", softmax_bound)


# -- gradients (NR05 NR06 NR07) ----------------------------------------------------------------


def _small(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-2, 2, shape)


GRADIENTS = [
    pytest.param("softmax", [_small((3, 4), 1), 1], (0,), {}, id="NR07-softmax"),
    pytest.param("log_softmax", [_small((3, 4), 2), -1], (0,), {}, id="NR08-log_softmax"),
    pytest.param("relu", [_small((2, 5), 3)], (0,), {}, id="NR09-relu"),
    pytest.param("sigmoid", [_small((2, 5), 4)], (0,), {}, id="NR10-sigmoid"),
    pytest.param("tanh", [_small((2, 5), 5)], (0,), {}, id="NR07-tanh"),
    pytest.param("silu", [_small((2, 5), 6)], (0,), {}, id="C02-silu"),
    pytest.param("layer_norm", [_small((3, 4), 7), (4,), _small((4,), 8), _small((4,), 9)], (0, 2, 3), {},
                 id="NR01-NR06-layer_norm-x-weight-bias"),
    pytest.param("group_norm", [_small((2, 4, 3), 10), 2, _small((4,), 11), _small((4,), 12)], (0, 2, 3), {},
                 id="NR04-group_norm"),
    pytest.param("batch_norm", [_small((4, 3, 2), 13), None, None, _small((3,), 14), _small((3,), 15)], (0, 3, 4),
                 {"training": True}, id="NR02-NR06-batch_norm-training"),
    pytest.param("instance_norm", [_small((2, 2, 4), 16)], (0,), {}, id="NR03-instance_norm"),
]


@spec("NR01", "NR02", "NR03", "NR04", "NR06", "NR07", "NR08", "NR09", "NR10", "C02")
@pytest.mark.parametrize(("name", "args", "wrt", "kwargs"), GRADIENTS)
def test_gradients(backend, name, args, wrt, kwargs):
    """NR06/NR07: the backend's vector-Jacobian products of the activations, softmax and the
    normalisation layers — with respect to the input and, for the layers, to weight (gamma)
    and bias (beta), ordinary parameters with gradients — against central differences of the
    reference (relu away from its kink).  Softmax's Jacobian couples the elements of a row."""
    check_gradient(backend, name, args, wrt=wrt, kwargs=kwargs)
