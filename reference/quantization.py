"""Absmax int8 quantization and LLM.int8()'s mixed-precision decomposition (catalogue Q01–Q03).

*Absmax quantization* (Q01) maps floats to int8 with one scale per tensor, row or column:

    scale = 127 / max|x|        q = clip(round(x · scale), -127, 127)        x ≈ q / scale

``round`` rounds half to even (as ``torch.round`` and ``np.round`` do), so every value is
within half a step of its dequantized value: ``|x − q/scale| ≤ max|x| / 254``.  A zero
absmax (all values 0) gets scale 1.  One large outlier makes the step large and wipes out
the small values (Q02).  *Vector-wise* quantization gives each row of ``X`` and each column
of ``W`` its own scale, so a product ``X @ W`` is ``(Cx @ Cw) / (sx ⊗ sw)`` with the int8
product accumulated exactly in int32.

*LLM.int8()* (Q03, arXiv 2208.07339) is a mixed-precision **decomposition**: the feature
columns of the activation ``X`` that hold any ``|x| ≥ threshold`` (6.0 by default, as
``BitsAndBytesConfig.llm_int8_threshold``) are multiplied in float with the matching rows of
``W``; all other columns go through the vector-wise int8 product.  The outlier columns are
chosen by the *activations*, not by the weights.  Computations are in float64; nothing
here calls NumPy's round, rint or matmul.
"""

from __future__ import annotations

import numpy as np

from reference.guards import check_int, typed

QMAX = 127
#: LLM.int8()'s default outlier threshold on activation magnitudes.
THRESHOLD = 6.0


@typed
def round_half_even(x: np.ndarray) -> np.ndarray:
    """Round each float to the nearest integer, ties to the even one (``round(2.5) = 2``)."""
    x = _finite(x, "x")
    low = np.floor(x)
    frac = x - low
    up = (frac > 0.5) | ((frac == 0.5) & (np.fmod(low, 2) != 0))
    return low + up


@typed
def absmax_scale(x: np.ndarray, axis: int | None = None) -> np.ndarray:
    """``127 / max|x|`` over the whole tensor (``axis=None``, a 0-d scale) or along ``axis``
    (one scale per slice, that axis kept with size 1); a zero absmax gives scale 1."""
    x = _finite(x, "x")
    if axis is not None:
        _axis(axis, x.ndim)
    if (x.size if axis is None else x.shape[axis]) == 0:
        raise ValueError(f"the absmax over no values is undefined (shape {x.shape}, axis {axis})")
    top = np.abs(x).max(axis=axis, keepdims=axis is not None)
    return QMAX / np.where(top == 0, QMAX, top)


@typed
def quantize(x: np.ndarray, scale: np.ndarray | float) -> np.ndarray:
    """``clip(round_half_even(x · scale), -127, 127)`` as int8; ``scale`` broadcasts to ``x``."""
    x = _finite(x, "x")
    s = _finite(np.asarray(scale), "scale")
    if np.any(s <= 0):
        raise ValueError("quantization scales must be positive")
    if np.broadcast_shapes(x.shape, s.shape) != x.shape:
        raise ValueError(f"scale of shape {s.shape} does not broadcast to x of shape {x.shape}")
    return np.clip(round_half_even(x * s), -QMAX, QMAX).astype(np.int8)


@typed
def dequantize(q: np.ndarray, scale: np.ndarray | float) -> np.ndarray:
    """``q / scale`` in float64: the value each int8 code stands for."""
    if q.dtype != np.int8:
        raise TypeError(f"dequantize takes int8 codes, got {q.dtype}")
    s = _finite(np.asarray(scale), "scale")
    if np.any(s <= 0):
        raise ValueError("quantization scales must be positive")
    if np.broadcast_shapes(q.shape, s.shape) != q.shape:
        raise ValueError(f"scale of shape {s.shape} does not broadcast to q of shape {q.shape}")
    return q.astype(np.float64) / s


@typed
def quantize_absmax(x: np.ndarray, axis: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Absmax int8 quantization (Q01): ``(q, scale)`` with ``scale = absmax_scale(x, axis)``
    and ``q = quantize(x, scale)``."""
    scale = absmax_scale(x, axis)
    return quantize(x, scale), scale


@typed
def int8_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The exact product of int8 matrices ``(n, k) @ (k, m)``, accumulated in int32: entry
    ``(i, j)`` is ``Σ_k a[i, k] · b[k, j]``, one ``k`` at a time."""
    for name, m in (("a", a), ("b", b)):
        if m.dtype != np.int8:
            raise TypeError(f"int8_matmul takes int8 matrices, got {name} of dtype {m.dtype}")
        if m.ndim != 2:
            raise ValueError(f"int8_matmul takes 2-D matrices, got {name} of shape {m.shape}")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"int8_matmul: inner sizes differ, {a.shape} @ {b.shape}")
    out = np.zeros((a.shape[0], b.shape[1]), dtype=np.int32)
    for k in range(a.shape[1]):
        out += a[:, k, None].astype(np.int32) * b[None, k, :].astype(np.int32)
    return out


@typed
def outlier_columns(x: np.ndarray, threshold: float = THRESHOLD) -> np.ndarray:
    """LLM.int8()'s outlier feature dimensions: a boolean per column of the 2-D activation
    ``x``, True where any ``|x[:, j]| ≥ threshold``."""
    x = _matrix(x, "x")
    return (np.abs(x) >= _threshold(threshold)).any(axis=0)


@typed
def vectorwise_matmul(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``x @ w`` through int8 with vector-wise scales: rows of ``x`` (``sx``, shape (n, 1))
    and columns of ``w`` (``sw``, shape (1, m)) quantized by their own absmax, multiplied
    exactly in int32, then ``(Cx @ Cw) / (sx · sw)``."""
    x, w = _operands(x, w)
    sx, sw = absmax_scale(x, 1), absmax_scale(w, 0)
    product = int8_matmul(quantize(x, sx), quantize(w, sw))
    return product / (sx * sw)


@typed
def llm_int8_matmul(x: np.ndarray, w: np.ndarray, threshold: float = THRESHOLD) -> np.ndarray:
    """LLM.int8() (Q03): ``x @ w`` with the outlier columns of ``x`` (:func:`outlier_columns`)
    and the matching rows of ``w`` multiplied in float64, and the rest (outlier columns zeroed)
    through :func:`vectorwise_matmul`.  ``threshold=inf`` is plain vector-wise int8."""
    x, w = _operands(x, w)
    outliers = outlier_columns(x, threshold)
    regular = vectorwise_matmul(np.where(outliers, 0.0, x), np.where(outliers[:, None], 0.0, w))
    xo, wo = x[:, outliers], w[outliers, :]
    exact = np.zeros_like(regular)
    for k in range(xo.shape[1]):
        exact += xo[:, k, None] * wo[None, k, :]
    return regular + exact


# -- guards -----------------------------------------------------------------------------


def _finite(x: np.ndarray, what: str) -> np.ndarray:
    """``x`` as float64, which must be real, finite and of a float or integer dtype."""
    if x.dtype.kind not in "fiu":
        raise TypeError(f"{what} must hold real numbers, got dtype {x.dtype}")
    x = x.astype(np.float64)
    if not np.isfinite(x).all():
        raise ValueError(f"{what} must be finite to be quantized")
    return x


def _axis(axis: int, ndim: int) -> None:
    check_int(axis, "axis")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for a {ndim}-D array")


def _matrix(x: np.ndarray, what: str) -> np.ndarray:
    x = _finite(x, what)
    if x.ndim != 2:
        raise ValueError(f"{what} must be a 2-D matrix, got shape {x.shape}")
    return x


def _operands(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, w = _matrix(x, "x"), _matrix(w, "w")
    if x.shape[1] != w.shape[0]:
        raise ValueError(f"inner sizes differ: x {x.shape} @ w {w.shape}")
    if x.shape[1] == 0:
        raise ValueError("the inner size must be at least 1")
    return x, w


def _threshold(threshold: float) -> float:
    if np.isnan(threshold) or threshold <= 0:
        raise ValueError(f"the outlier threshold must be positive, got {threshold}")
    return float(threshold)
