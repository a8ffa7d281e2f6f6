"""Normalisation layers and activation functions (catalogue NR01–NR11), from their formulas.

Every normalisation layer is ONE formula, :func:`_normalize`, over different reduction axes:

    y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias,    Var biased (divides by n, not n - 1)

* LayerNorm (NR01): the statistics of each sample over its last ``len(normalized_shape)`` dims;
* BatchNorm in training (NR02): per channel (dim 1) over every other dim, ``(N, *spatial)``;
  it also moves the running statistics with ``momentum``, the running variance taking the
  UNBIASED batch variance (NR05); in evaluation it normalises with the running statistics;
* InstanceNorm (NR03): per (sample, channel), over the spatial dims;
* GroupNorm (NR04): per (sample, group of ``C / G`` consecutive channels), over those channels
  and the spatial dims.

``weight`` (gamma) and ``bias`` (beta) are per-element (LayerNorm) or per-channel (the others)
affine parameters, applied after the normalisation (NR06).  The activations are element-wise
except softmax, which couples the elements along its axis (NR07); softmax and log_softmax
subtract the maximum first, so large logits (±1e4) neither overflow nor lose the result (NR08).

Arithmetic is in float64 from the formula (NumPy's sum, mean of a sum, exp, log, sqrt); the
result has the input's floating dtype.  Nothing here calls a library's softmax, sigmoid, tanh
or variance.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

import numpy as np

from reference.guards import check_floats, check_int, dim_position

Axes = tuple[int, ...]


# -- guards ------------------------------------------------------------------------------------



def _param(p: np.ndarray | None, shape: tuple[int, ...], what: str) -> np.ndarray | None:
    """An optional affine parameter or running statistic of exactly ``shape``, as float64."""
    if p is None:
        return None
    check_floats(p, what)
    if p.shape != shape:
        raise ValueError(f"{what} must have shape {shape}, got {p.shape}")
    return p.astype(np.float64)


def _eps(eps: float) -> float:
    if isinstance(eps, bool) or not isinstance(eps, (int, float)):
        raise TypeError(f"eps must be a number, got {type(eps).__name__}")
    if not eps >= 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    return float(eps)


def _channels(x: np.ndarray, what: str) -> int:
    """The channel count of an ``(N, C, *)`` input (at least 2-D)."""
    check_floats(x, what)
    if x.ndim < 2:
        raise ValueError(f"{what} expects an input of shape (N, C, *), got shape {x.shape}")
    return x.shape[1]


def _per_channel(p: np.ndarray | None, ndim: int) -> np.ndarray | None:
    """A ``(C,)`` parameter shaped to broadcast against ``(N, C, *)``."""
    return None if p is None else p.reshape((1, -1) + (1,) * (ndim - 2))


# -- the one formula ---------------------------------------------------------------------------


def _statistics(x: np.ndarray, axes: Axes) -> tuple[np.ndarray, np.ndarray]:
    """The mean and the BIASED variance ``Σ(x - mean)² / n`` of float64 ``x`` over ``axes``,
    kept as size-1 dims (``n`` the number of elements reduced)."""
    n = prod(x.shape[a] for a in axes)
    with np.errstate(invalid="ignore"):  # nothing to reduce: 0 / 0, the statistics of no elements
        mean = np.sum(x, axis=axes, keepdims=True) / n
        return mean, np.sum((x - mean) ** 2, axis=axes, keepdims=True) / n


def _normalize(x: np.ndarray, mean: np.ndarray, var: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None,
              eps: float) -> np.ndarray:
    """``(x - mean) / sqrt(var + eps) * weight + bias`` in float64 (``weight``/``bias`` skipped
    when ``None``), every argument already shaped to broadcast against ``x``."""
    return _affine((x - mean) / np.sqrt(var + eps), weight, bias)


def _affine(y: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None) -> np.ndarray:
    """``y * weight + bias``, each skipped when ``None`` (NR06: gamma and beta)."""
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def _over(x: np.ndarray, axes: Axes, weight: np.ndarray | None, bias: np.ndarray | None, eps: float) -> np.ndarray:
    """:func:`_normalize` ``x`` with its own statistics over ``axes``, in ``x``'s dtype."""
    wide = x.astype(np.float64)
    mean, var = _statistics(wide, axes)
    return _normalize(wide, mean, var, weight, bias, eps).astype(x.dtype)


# -- the layers -------------------------------------------------------------------------------


def layer_norm(x: np.ndarray, normalized_shape: Sequence[int], weight: np.ndarray | None = None,
               bias: np.ndarray | None = None, eps: float = 1e-5) -> np.ndarray:
    """LayerNorm (NR01): each sample normalised over its last ``len(normalized_shape)`` dims,
    which must equal ``normalized_shape``; ``weight``/``bias`` have shape ``normalized_shape``."""
    check_floats(x, "layer_norm input")
    if isinstance(normalized_shape, (int, np.integer)) and not isinstance(normalized_shape, bool):
        normalized_shape = (normalized_shape,)
    if not isinstance(normalized_shape, Sequence) or isinstance(normalized_shape, str):
        raise TypeError(f"normalized_shape must be an int or a sequence of ints, got {type(normalized_shape).__name__}")
    shape = tuple(check_int(s, "normalized_shape entry") for s in normalized_shape)
    k = len(shape)
    if k == 0 or k > x.ndim or x.shape[x.ndim - k:] != shape:
        raise ValueError(f"layer_norm: normalized_shape {shape} must be a non-empty suffix of the input shape {x.shape}")
    eps = _eps(eps)
    return _over(x, tuple(range(x.ndim - k, x.ndim)), _param(weight, shape, "weight"), _param(bias, shape, "bias"), eps)


def batch_norm(x: np.ndarray, running_mean: np.ndarray | None = None, running_var: np.ndarray | None = None,
               weight: np.ndarray | None = None, bias: np.ndarray | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BatchNorm of ``(N, C, *)`` input, per channel over every dim but 1 (NR02, NR05).

    Training normalises with the batch mean and BIASED batch variance; given running
    statistics it also returns them moved, ``(1 - momentum)·running + momentum·batch``, the
    variance's batch value UNBIASED (``n / (n - 1)``, ``n = N·Π spatial``, which must not be 1;
    an empty batch leaves them unchanged).
    Evaluation normalises with the running statistics, which it then needs.  Returns
    ``(out, new_running_mean, new_running_var)`` when running statistics are given (unchanged
    in evaluation), else ``out`` alone (training only)."""
    c = _channels(x, "batch_norm")
    if not isinstance(training, bool):
        raise TypeError(f"training must be a bool, got {type(training).__name__}")
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)):
        raise TypeError(f"momentum must be a number, got {type(momentum).__name__}")
    eps = _eps(eps)
    rm, rv = _param(running_mean, (c,), "running_mean"), _param(running_var, (c,), "running_var")
    if (rm is None) != (rv is None):
        raise ValueError("batch_norm takes both running_mean and running_var, or neither")
    if rm is None and not training:
        raise ValueError("batch_norm in evaluation mode needs running_mean and running_var")
    w, b = (_per_channel(_param(p, (c,), what), x.ndim) for p, what in ((weight, "weight"), (bias, "bias")))
    wide = x.astype(np.float64)
    axes = (0, *range(2, x.ndim))
    if training:
        n = prod(x.shape[a] for a in axes)
        if n == 1:
            raise ValueError(f"batch_norm in training needs more than 1 value per channel, got input shape {x.shape}")
        mean, var = _statistics(wide, axes)
    else:
        mean, var = _per_channel(rm, x.ndim), _per_channel(rv, x.ndim)
    out = _normalize(wide, mean, var, w, b, eps).astype(x.dtype)
    if rm is None:
        return out
    if training and n:
        rm = (1 - momentum) * rm + momentum * mean.reshape(c)
        rv = (1 - momentum) * rv + momentum * var.reshape(c) * n / (n - 1)
    return out, rm.astype(running_mean.dtype), rv.astype(running_var.dtype)


def instance_norm(x: np.ndarray, weight: np.ndarray | None = None, bias: np.ndarray | None = None,
                  eps: float = 1e-5) -> np.ndarray:
    """InstanceNorm of ``(N, C, *spatial)`` input (NR03): each (sample, channel) over its
    spatial dims, of which there must not be exactly 1 element; ``weight``/``bias`` ``(C,)``."""
    c = _channels(x, "instance_norm")
    if prod(x.shape[2:]) == 1:
        raise ValueError(f"instance_norm needs more than 1 spatial element, got input shape {x.shape}")
    w, b = (_per_channel(_param(p, (c,), what), x.ndim) for p, what in ((weight, "weight"), (bias, "bias")))
    return _over(x, tuple(range(2, x.ndim)), w, b, _eps(eps))


def group_norm(x: np.ndarray, num_groups: int, weight: np.ndarray | None = None, bias: np.ndarray | None = None,
               eps: float = 1e-5) -> np.ndarray:
    """GroupNorm of ``(N, C, *)`` input (NR04): the channels split into ``num_groups`` groups
    of ``C / num_groups`` consecutive channels, each (sample, group) normalised over its
    channels and spatial dims; then ``weight``/``bias`` ``(C,)`` per channel."""
    c = _channels(x, "group_norm")
    g = check_int(num_groups, "num_groups")
    if g <= 0 or c % g:
        raise ValueError(f"group_norm: num_groups must be positive and divide the {c} channels, got {g}")
    eps = _eps(eps)
    w, b = (_per_channel(_param(p, (c,), what), x.ndim) for p, what in ((weight, "weight"), (bias, "bias")))
    grouped = x.astype(np.float64).reshape(x.shape[0], g, c // g * prod(x.shape[2:]))
    mean, var = _statistics(grouped, (2,))
    return _affine(_normalize(grouped, mean, var, None, None, eps).reshape(x.shape), w, b).astype(x.dtype)


# -- activations (NR07–NR11) --------------------------------------------------------------------


def relu(x: np.ndarray) -> np.ndarray:
    """``max(0, x)`` element-wise (NR09); NaN stays NaN."""
    check_floats(x, "relu input")
    return np.where(x > 0, x, np.where(np.isnan(x), x, 0)).astype(x.dtype)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + e^{-x})`` element-wise (NR10), as ``e^{x} / (1 + e^{x})`` for negative ``x``
    so that neither form overflows."""
    check_floats(x, "sigmoid input")
    wide = x.astype(np.float64)
    z = np.exp(-np.abs(wide))  # in (0, 1]: no overflow
    return np.where(wide >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype)


def tanh(x: np.ndarray) -> np.ndarray:
    """``(e^{x} - e^{-x}) / (e^{x} + e^{-x})`` element-wise, written with ``m = expm1(-2|x|)``
    as ``sign(x)·(-m) / (2 + m)``, which neither overflows nor cancels near 0."""
    check_floats(x, "tanh input")
    wide = x.astype(np.float64)
    m = np.expm1(-2 * np.abs(wide))
    return (np.sign(wide) * -m / (2 + m)).astype(x.dtype)


def swish(x: np.ndarray) -> np.ndarray:
    """swish = SiLU: ``x·sigmoid(x)`` element-wise."""
    check_floats(x, "swish input")
    return (x.astype(np.float64) * sigmoid(x.astype(np.float64))).astype(x.dtype)


def _shifted(x: np.ndarray, axis: int, what: str) -> tuple[np.ndarray, int]:
    """``x - max(x)`` along ``axis`` in float64 (a 0-d ``x`` read as 1-D), and the axis."""
    check_floats(x, what)
    check_int(axis, "axis")
    wide = x.astype(np.float64).reshape(x.shape or (1,))
    pos = dim_position(axis, wide.ndim)
    top = np.max(wide, axis=pos, keepdims=True, initial=-np.inf)
    with np.errstate(invalid="ignore"):  # inf - inf: NaN, as in torch
        return wide - top, pos


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``e^{x_i} / Σ_j e^{x_j}`` along ``axis`` (NR08, NR11), computed as
    ``e^{x_i - max} / Σ_j e^{x_j - max}``: the same value, and no overflow for large logits."""
    z, pos = _shifted(x, axis, "softmax input")
    e = np.exp(z)
    return (e / np.sum(e, axis=pos, keepdims=True)).reshape(x.shape).astype(x.dtype)


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``x_i - log Σ_j e^{x_j}`` along ``axis``, computed as ``(x_i - max) - log Σ_j e^{x_j - max}``."""
    z, pos = _shifted(x, axis, "log_softmax input")
    with np.errstate(divide="ignore"):  # an empty or all -inf row: log 0 = -inf
        return (z - np.log(np.sum(np.exp(z), axis=pos, keepdims=True))).reshape(x.shape).astype(x.dtype)
