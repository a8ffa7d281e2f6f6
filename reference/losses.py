"""Loss functions (catalogue L01–L09), from torch's formulas.

Each loss computes an element-wise or per-sample loss ``ℓ`` and then reduces it:
``reduction="none"`` returns ``ℓ``, ``"sum"`` its sum, ``"mean"`` its sum divided by a
denominator that is the number of elements — except for class-weighted NLL / cross-entropy
with class-index targets, whose mean divides by the SUM OF THE WEIGHTS of the non-ignored
targets, ``Σ_i w[y_i]`` (so that the mean is a weighted average).  KL divergence also has
``"batchmean"``: the sum divided by the batch size ``input.shape[0]``.

* cross-entropy (L01, L09) is NLL of ``log_softmax`` over the class dim (dim 1; dim 0 for a
  1-D input); targets are class indices (``ignore_index`` skipped, ``weight`` per class) or
  class probabilities of the input's shape; ``label_smoothing`` ε mixes the target with the
  uniform distribution: ``(1 - ε)·target + ε / C``;
* BCE with logits (L02) uses ``log σ(x) = -softplus(-x)`` and ``log(1 - σ(x)) = -softplus(x)``,
  ``softplus(z) = max(z, 0) + log(1 + e^{-|z|})``, which neither overflows nor rounds to log 0;
* NLL (L03) takes log-probabilities: ``ℓ_i = -w[y_i]·input[i, y_i]``, no softmax inside;
* MSE / L1 / SmoothL1 (L04, L05) take ``(input, target)`` of one shape;
* cosine embedding (L06), triplet margin (L07) and KL divergence (L08) as their docstrings say.

Arithmetic is in float64 with NumPy's sum, exp, log and log1p; results have the input's
floating dtype.  :func:`reference.normalization.log_softmax` provides the log-probabilities.
"""

from __future__ import annotations

import numpy as np

from reference.guards import check_choice, check_floats, check_int
from reference.normalization import log_softmax

REDUCTIONS = ("none", "mean", "sum")
#: Added to squared norms by torch's cosine_embedding_loss so that a zero vector gives cosine 0.
COSINE_EPS = 1e-12


# -- guards and reduction ----------------------------------------------------------------------



def _number(value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{what} must be a number, got {type(value).__name__}")
    return float(value)


def _same_shape(a: np.ndarray, b: np.ndarray, what: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{what}: input and target must have the same shape, got {a.shape} and {b.shape}")


def _reduce(loss: np.ndarray, reduction: str, dtype: np.dtype, denominator: float | None = None) -> np.ndarray:
    """``loss`` reduced by ``reduction`` in ``dtype``: as is, its sum, or its sum divided by
    ``denominator`` (default: the number of elements; 0 / 0 is NaN, as in torch)."""
    check_choice(reduction, "reduction", REDUCTIONS)
    if reduction == "none":
        return loss.astype(dtype)
    total = np.sum(loss)
    if reduction == "sum":
        return np.asarray(total, dtype=dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(total / np.float64(loss.size if denominator is None else denominator), dtype=dtype)


def _class_dim(x: np.ndarray, what: str) -> int:
    """The class dim of a ``(C,)`` or ``(N, C, d1, ...)`` input: 0 for 1-D, else 1."""
    check_floats(x, what)
    if x.ndim == 0:
        raise ValueError(f"{what}: the input needs a class dimension, got a 0-d array")
    return 0 if x.ndim == 1 else 1


def _class_weight(weight: np.ndarray | None, c: int) -> np.ndarray:
    if weight is None:
        return np.ones(c)
    check_floats(weight, "weight")
    if weight.shape != (c,):
        raise ValueError(f"weight must have shape ({c},), one per class, got {weight.shape}")
    return weight.astype(np.float64)


def _picked(logp: np.ndarray, target: np.ndarray, w: np.ndarray, ignore_index: int,
            what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For class-index ``target``: ``(logp[i, y_i], w[y_i], kept)`` per sample, zeros where
    ``y_i == ignore_index`` (``kept`` False there); raises for a target out of ``[0, C)``."""
    if target.dtype.kind not in "iu":
        raise TypeError(f"{what}: class-index targets must be integers, got {target.dtype}")
    dim = 0 if logp.ndim == 1 else 1
    c = logp.shape[dim]
    expected = logp.shape[:dim] + logp.shape[dim + 1:]
    if target.shape != expected:
        raise ValueError(f"{what}: target shape {target.shape} does not match input shape {logp.shape} "
                         f"(expected {expected})")
    ignore_index = check_int(ignore_index, "ignore_index")
    kept = target != ignore_index
    if np.any(kept & ((target < 0) | (target >= c))):
        raise ValueError(f"{what}: target {target[kept & ((target < 0) | (target >= c))][0]} is out of bounds "
                         f"for {c} classes")
    safe = np.where(kept, target, 0).astype(np.int64)
    picked = np.take_along_axis(logp, np.expand_dims(safe, dim), axis=dim).squeeze(dim)
    return np.where(kept, picked, 0.0), np.where(kept, w[safe], 0.0), kept


# -- classification -----------------------------------------------------------------------------


def nll_loss(input: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None, ignore_index: int = -100,
             reduction: str = "mean") -> np.ndarray:
    """NLL (L03): ``ℓ_i = -w[y_i]·input[i, y_i]`` on log-probabilities ``input`` of shape
    ``(C,)`` or ``(N, C, d1, ...)`` and integer targets ``(,)`` / ``(N, d1, ...)``; 0 where
    ``y_i == ignore_index``; ``"mean"`` divides by ``Σ w[y_i]`` over the non-ignored targets."""
    dim = _class_dim(input, "nll_loss")
    w = _class_weight(weight, input.shape[dim])
    picked, wy, _ = _picked(input.astype(np.float64), np.asarray(target), w, ignore_index, "nll_loss")
    return _reduce(-wy * picked, reduction, input.dtype, np.sum(wy))


def cross_entropy(input: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> np.ndarray:
    """Cross-entropy of logits (L01): NLL of ``log_softmax(input)`` over the class dim.

    With class-index targets and smoothing ε: ``(1 - ε)·NLL + ε/C · S``, ``S_i = -Σ_c w_c·logp[i, c]``
    (0 for ignored targets), both terms reduced alike ("mean": divided by ``Σ w[y_i]`` over
    the non-ignored targets).  With class-probability targets ``t`` (the input's shape):
    ``ℓ_i = -Σ_c w_c·t'_ic·logp[i, c]`` with ``t' = (1 - ε)·t + ε/C``, "mean" divided by the
    number of samples (weights or not); an ``ignore_index`` other than -100 raises there."""
    dim = _class_dim(input, "cross_entropy")
    eps = _number(label_smoothing, "label_smoothing")
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {eps}")
    if not isinstance(target, np.ndarray):
        raise TypeError(f"target must be a NumPy array, got {type(target).__name__}")
    c = input.shape[dim]
    w = _class_weight(weight, c)
    logp = log_softmax(input.astype(np.float64), dim)
    w_b = w.reshape((c,) + (1,) * (input.ndim - dim - 1))  # broadcast along the class dim
    if target.dtype.kind == "f":
        _same_shape(input, target, "cross_entropy with class probabilities")
        if ignore_index != -100:
            raise ValueError("cross_entropy: ignore_index applies to class-index targets, not probabilities")
        t = (1 - eps) * target.astype(np.float64) + eps / c
        loss = -np.sum(w_b * t * logp, axis=dim)
        return _reduce(loss, reduction, input.dtype, loss.size)
    picked, wy, kept = _picked(logp, target, w, ignore_index, "cross_entropy")
    smooth = np.where(kept, -np.sum(w_b * logp, axis=dim), 0.0)
    denominator = np.sum(wy)
    return ((1 - eps) * _reduce(-wy * picked, reduction, np.float64, denominator)
            + eps / c * _reduce(smooth, reduction, np.float64, denominator)).astype(input.dtype)


def _softplus(z: np.ndarray) -> np.ndarray:
    """``log(1 + e^z)`` as ``max(z, 0) + log1p(e^{-|z|})``: no overflow for large ``|z|``."""
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def binary_cross_entropy_with_logits(input: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None,
                                     pos_weight: np.ndarray | None = None, reduction: str = "mean") -> np.ndarray:
    """BCE with logits (L02): ``ℓ = -w·[p·t·log σ(x) + (1 - t)·log(1 - σ(x))]`` element-wise
    = ``w·[p·t·softplus(-x) + (1 - t)·softplus(x)]``; ``weight`` broadcasts to the input,
    ``pos_weight`` ``p`` along the last (class) dim; targets may be soft, in [0, 1]."""
    check_floats(input, "binary_cross_entropy_with_logits input")
    check_floats(target, "target")
    _same_shape(input, target, "binary_cross_entropy_with_logits")
    x, t = input.astype(np.float64), target.astype(np.float64)
    p = 1.0 if pos_weight is None else _broadcast(pos_weight, input.shape, "pos_weight")
    w = 1.0 if weight is None else _broadcast(weight, input.shape, "weight")
    return _reduce(w * (p * t * _softplus(-x) + (1 - t) * _softplus(x)), reduction, input.dtype)


def _broadcast(p: np.ndarray, shape: tuple[int, ...], what: str) -> np.ndarray:
    """``p`` as float64, checked to broadcast to ``shape`` without growing it."""
    check_floats(p, what)
    if p.ndim > len(shape) or any(a not in (1, b) for a, b in zip(p.shape[::-1], shape[::-1])):
        raise ValueError(f"{what} of shape {p.shape} does not broadcast to the input's shape {shape}")
    return p.astype(np.float64)


# -- regression ----------------------------------------------------------------------------------


def _difference(input: np.ndarray, target: np.ndarray, what: str) -> np.ndarray:
    check_floats(input, f"{what} input")
    check_floats(target, f"{what} target")
    _same_shape(input, target, what)
    return input.astype(np.float64) - target.astype(np.float64)


def mse_loss(input: np.ndarray, target: np.ndarray, reduction: str = "mean") -> np.ndarray:
    """MSE (L04): ``ℓ = (input - target)²`` element-wise."""
    return _reduce(_difference(input, target, "mse_loss") ** 2, reduction, input.dtype)


def l1_loss(input: np.ndarray, target: np.ndarray, reduction: str = "mean") -> np.ndarray:
    """L1 (L04): ``ℓ = |input - target|`` element-wise."""
    return _reduce(np.abs(_difference(input, target, "l1_loss")), reduction, input.dtype)


def smooth_l1_loss(input: np.ndarray, target: np.ndarray, reduction: str = "mean", beta: float = 1.0) -> np.ndarray:
    """SmoothL1 (L05): with ``d = input - target``, ``0.5·d²/beta`` where ``|d| < beta`` and
    ``|d| - 0.5·beta`` elsewhere (``beta = 0``: L1); its gradient is bounded by 1."""
    d = np.abs(_difference(input, target, "smooth_l1_loss"))
    beta = _number(beta, "beta")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    with np.errstate(divide="ignore", invalid="ignore"):  # beta = 0: the quadratic branch is never taken
        loss = np.where(d < beta, 0.5 * d**2 / beta, d - 0.5 * beta)
    return _reduce(loss, reduction, input.dtype)


# -- embeddings and distributions ------------------------------------------------------------------


def _vectors(arrays: tuple[np.ndarray, ...], what: str) -> tuple[np.ndarray, ...]:
    """Float64 copies of ``(N, D)`` or ``(D,)`` arrays of one shape."""
    for a in arrays:
        check_floats(a, what)
    for a in arrays:
        if a.ndim not in (1, 2) or a.shape != arrays[0].shape:
            raise ValueError(f"{what}: inputs must be (N, D) or (D,) of one shape, got {[x.shape for x in arrays]}")
    return tuple(a.astype(np.float64) for a in arrays)


def cosine_embedding_loss(x1: np.ndarray, x2: np.ndarray, target: np.ndarray, margin: float = 0.0,
                          reduction: str = "mean") -> np.ndarray:
    """Cosine embedding (L06): with ``cos = Σ x1·x2 / sqrt((Σx1² + 1e-12)(Σx2² + 1e-12))`` over
    the last dim, ``ℓ = 1 - cos`` for label 1 and ``max(0, cos - margin)`` for label -1
    (labels are ±1, not 0/1); ``target`` has shape ``(N,)``, or ``()`` for 1-D inputs."""
    a, b = _vectors((x1, x2), "cosine_embedding_loss")
    margin = _number(margin, "margin")
    y = np.asarray(target)
    if y.shape != a.shape[:-1]:
        raise ValueError(f"cosine_embedding_loss: target must have shape {a.shape[:-1]}, got {y.shape}")
    if not np.all((y == 1) | (y == -1)):
        raise ValueError("cosine_embedding_loss: labels must be 1 or -1")
    cos = np.sum(a * b, axis=-1) / np.sqrt((np.sum(a * a, axis=-1) + COSINE_EPS) * (np.sum(b * b, axis=-1) + COSINE_EPS))
    return _reduce(np.where(y == 1, 1 - cos, np.maximum(cos - margin, 0)), reduction, x1.dtype)


def _pairwise_distance(a: np.ndarray, b: np.ndarray, p: float, eps: float) -> np.ndarray:
    """``‖a - b + eps‖_p`` over the last dim, as torch's ``pairwise_distance``."""
    d = np.abs(a - b + eps)
    return np.sum(d**p, axis=-1) ** (1 / p)


def triplet_margin_loss(anchor: np.ndarray, positive: np.ndarray, negative: np.ndarray, margin: float = 1.0,
                        p: float = 2.0, eps: float = 1e-6, swap: bool = False, reduction: str = "mean") -> np.ndarray:
    """Triplet margin (L07): ``ℓ = max(d(a, p) - d(a, n) + margin, 0)``, ``margin > 0``, with ``d`` the
    ``p``-norm distance ``‖x - y + eps‖_p``; with ``swap``, ``d(a, n)`` is replaced by
    ``min(d(a, n), d(p, n))``."""
    a, pos, neg = _vectors((anchor, positive, negative), "triplet_margin_loss")
    margin, p, eps = _number(margin, "margin"), _number(p, "p"), _number(eps, "eps")
    if p <= 0 or margin <= 0:
        raise ValueError(f"triplet_margin_loss: p and margin must be > 0, got p={p}, margin={margin}")
    if not isinstance(swap, bool):
        raise TypeError(f"swap must be a bool, got {type(swap).__name__}")
    d_neg = _pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = np.minimum(d_neg, _pairwise_distance(pos, neg, p, eps))
    return _reduce(np.maximum(_pairwise_distance(a, pos, p, eps) - d_neg + margin, 0), reduction, anchor.dtype)


def kl_div(input: np.ndarray, target: np.ndarray, reduction: str = "mean", log_target: bool = False) -> np.ndarray:
    """KL divergence (L08) of log-probabilities ``input`` from ``target``: element-wise
    ``t·(log t - input)`` (0 where ``t = 0``), or ``e^t·(t - input)`` with ``log_target``.
    ``"mean"`` divides by the number of ELEMENTS; ``"batchmean"``, the true KL per sample,
    by ``input.shape[0]`` (a 0-d input: the sum)."""
    check_choice(reduction, "reduction", (*REDUCTIONS, "batchmean"))
    check_floats(input, "kl_div input")
    check_floats(target, "kl_div target")
    _same_shape(input, target, "kl_div")
    if not isinstance(log_target, bool):
        raise TypeError(f"log_target must be a bool, got {type(log_target).__name__}")
    x, t = input.astype(np.float64), target.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # 0·log 0 is 0; log of t < 0, 0·inf: NaN
        loss = np.exp(t) * (t - x) if log_target else np.where(t == 0, 0.0, t * np.log(t)) - t * x
    if reduction == "batchmean":
        return _reduce(loss, "mean", input.dtype, input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction, input.dtype)
