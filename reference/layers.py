"""Embedding, weight tying and dropout (catalogue EM01–EM11): the rules, written out row by row.

Arrays are NumPy arrays.  The lookup itself is :func:`reference.elementwise.embedding` (O03);
this module adds what ``nn.Embedding`` does around it:

* ``padding_idx`` (EM04): the lookup returns that row as it is — it is zero only because
  ``nn.Embedding`` initialises it so, and ``from_pretrained`` or a re-initialisation makes it
  non-zero — but its gradient is always zero, so no optimizer step moves it;
* the gradient (EM02, EM07): DENSE, ``(num_embeddings, dim)``, each used row receiving the sum
  of the output gradients of the positions that picked it (divided by its count in the batch
  with ``scale_grad_by_freq``), every other row exactly zero;
* ``max_norm`` (EM05, EM06): before the lookup, each DISTINCT looked-up row whose ``norm_type``
  norm exceeds ``max_norm`` is scaled IN PLACE in the weight by ``max_norm / (norm + 1e-7)``
  (``torch.embedding_renorm_``); rows not looked up are left alone;
* weight tying (EM09–EM11): the input embedding and the output projection are ONE
  ``(vocab, dim)`` array — ``nn.Linear(dim, vocab).weight`` already has that shape — used as it
  is, never transposed, so ``logits = embed(ids) @ W.T`` and its gradient is the sum of both uses.

``dropout`` (MD05, A27) in training zeroes each element independently with probability ``p``
and scales the survivors by ``1 / (1 - p)``, so the expectation is unchanged; in evaluation it
is the identity.  The spec of the random part is its distribution: :func:`dropout` takes the
keep-mask, :func:`dropout_mask` draws one from ``numpy.random.Generator.random``.

``nn.Embedding``'s keyword defaults (EM03) are :data:`EMBEDDING_DEFAULTS`, and
:func:`embedding_module` is the layer they describe: with no options a plain lookup whose
dense gradient is the scatter-add of the output gradients.  ``sparse=True`` (EM08) stores only
the looked-up rows; SGD and SparseAdam take such a gradient, Adam refuses it
(:func:`sparse_embedding_step`).

``conv`` (MD08) is ``nn.Conv1d``/``Conv2d``/``Conv3d``: a cross-correlation over 1 to 3
spatial dimensions — there is no ``Conv4d``.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

import numpy as np

from reference.elementwise import embedding
from reference.guards import check_choice, check_int, typed

#: How an index outside the table is handled (behaviour ``embedding_index_out_of_range``).
OUT_OF_RANGE = ("error", "fill_nan")
#: The constant ``embedding_renorm_`` adds to the norm before dividing.
RENORM_EPS = 1e-7
#: ``nn.Embedding(num_embeddings, embedding_dim, ...)``'s keyword defaults (EM03).
EMBEDDING_DEFAULTS = {"padding_idx": None, "max_norm": None, "norm_type": 2.0, "scale_grad_by_freq": False,
                      "sparse": False}
#: The optimizers :func:`sparse_embedding_step` knows, by torch's class: SGD, Adam, SparseAdam.
SPARSE_STEP_OPTIMIZERS = ("sgd", "adam", "sparse_adam")
#: What Adam says when handed a sparse gradient (EM08).
ADAM_SPARSE_ERROR = "Adam does not support sparse gradients, please consider SparseAdam instead"
#: SparseAdam's default ``betas`` and ``eps``.
SPARSE_ADAM_BETAS, SPARSE_ADAM_EPS = (0.9, 0.999), 1e-8
#: How many spatial dimensions a convolution takes (behaviour ``conv_spatial_dims``): torch's
#: ``Conv1d``–``Conv3d`` (``"1-3"``), or any number (``"any"``, JAX's ``conv_general_dilated``).
CONV_SPATIAL_DIMS = ("1-3", "any")


@typed
def embedding_lookup(weight: np.ndarray, indices: np.ndarray, padding_idx: int | None = None, *,
                     out_of_range: str = "error") -> np.ndarray:
    """``nn.Embedding``'s forward: the rows of ``weight`` picked by ``indices`` (EM01),
    the ``padding_idx`` row included AS IT IS in the weight (EM04: not forced to zero).
    ``padding_idx`` must lie in ``[-num_embeddings, num_embeddings)``.  An index outside
    ``[0, num_embeddings)`` raises (``out_of_range="error"``, torch) or gives a row of NaN
    (``"fill_nan"``, JAX, whose indexing never raises)."""
    check_choice(out_of_range, "out_of_range", OUT_OF_RANGE)
    _table(weight)
    _padding_row(padding_idx, weight.shape[0])
    indices = np.asarray(indices)
    if out_of_range == "error" or indices.dtype.kind not in "iu":
        return embedding(weight, indices)
    outside = (indices < 0) | (indices >= weight.shape[0])
    rows = embedding(weight, np.where(outside, 0, indices)) if weight.shape[0] else np.zeros(indices.shape + weight.shape[1:])
    return np.where(outside[..., np.newaxis], np.nan, rows)


@typed
def embedding_backward(grad_output: np.ndarray, indices: np.ndarray, num_embeddings: int,
                       padding_idx: int | None = None, scale_grad_by_freq: bool = False) -> np.ndarray:
    """The dense ``(num_embeddings, dim)`` gradient of the lookup (EM02): row ``i`` is the sum
    of ``grad_output[pos]`` over the positions with ``indices[pos] == i`` (each divided by the
    count of ``i`` in ``indices`` with ``scale_grad_by_freq``, EM07), zero for unused rows and
    always zero for ``padding_idx`` (EM04)."""
    check_int(num_embeddings, "num_embeddings")
    if num_embeddings < 0:
        raise ValueError(f"num_embeddings must be >= 0, got {num_embeddings}")
    pad = _padding_row(padding_idx, num_embeddings)
    grad_output, indices = np.asarray(grad_output, dtype=np.float64), np.asarray(indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding indices must be integers, got {indices.dtype}")
    if grad_output.ndim != indices.ndim + 1 or grad_output.shape[:-1] != indices.shape:
        raise ValueError(f"grad_output must have shape indices.shape + (dim,), got {grad_output.shape} "
                         f"for indices of shape {indices.shape}")
    counts: dict[int, int] = {}
    for i in indices.reshape(-1).tolist():
        if not 0 <= i < num_embeddings:
            raise ValueError(f"index {i} is out of range for an embedding table of {num_embeddings} rows")
        counts[i] = counts.get(i, 0) + 1
    grad = np.zeros((num_embeddings, grad_output.shape[-1]))
    for pos in np.ndindex(*indices.shape):
        i = int(indices[pos])
        grad[i] += grad_output[pos] / (counts[i] if scale_grad_by_freq else 1)
    if pad is not None:
        grad[pad] = 0.0
    return grad


@typed
def embedding_renorm(weight: np.ndarray, indices: np.ndarray, max_norm: float, norm_type: float = 2.0) -> np.ndarray:
    """The weight after ``max_norm`` renormalisation (EM05, EM06): each distinct row in
    ``indices`` whose ``norm_type``-norm exceeds ``max_norm`` multiplied by
    ``max_norm / (norm + 1e-7)``; every other row unchanged.  Backends do this in place."""
    _table(weight)
    if not max_norm > 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm}")
    if not norm_type > 0:
        raise ValueError(f"norm_type must be > 0, got {norm_type}")
    embedding(weight, indices)  # the lookup's own guards: integer indices, in range
    out = np.array(weight, dtype=np.float64)
    for i in sorted(set(np.asarray(indices).reshape(-1).tolist())):
        norm = float(np.sum(np.abs(out[i]) ** norm_type) ** (1.0 / norm_type))
        if norm > max_norm:
            out[i] = out[i] * (max_norm / (norm + RENORM_EPS))
    return out


@typed
def tied_logits(weight: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """A tied language-model head (EM09, EM11): embed ``indices`` with the ``(vocab, dim)``
    ``weight``, then project back with the SAME array as an ``nn.Linear(dim, vocab)`` weight,
    ``logits[..., v] = Σ_d h[..., d] · weight[v, d]`` — no transpose of the stored array."""
    _table(weight)
    hidden = np.asarray(embedding(weight, indices), dtype=np.float64)
    return np.sum(hidden[..., np.newaxis, :] * np.asarray(weight, dtype=np.float64), axis=-1)


@typed
def embedding_module(weight: np.ndarray, indices: np.ndarray, cotangent: np.ndarray, padding_idx: int | None = None,
                     max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                     sparse: bool = False) -> tuple[np.ndarray, np.ndarray, tuple[int, ...] | None]:
    """An ``nn.Embedding`` on ``weight`` with these options — their defaults are EM03's,
    :data:`EMBEDDING_DEFAULTS` — run forward on ``indices`` and backward from
    ``sum(output · cotangent)``: the output (the rows, renormalised first with ``max_norm``),
    the weight's gradient in dense form (:func:`embedding_backward`) and the rows a sparse
    gradient stores (EM08: the distinct looked-up ids but ``padding_idx``, sorted), ``None``
    when the gradient is dense (``sparse=False``).  A sparse gradient cannot be scaled by
    frequency: ``sparse`` with ``scale_grad_by_freq`` raises."""
    _table(weight)
    if sparse and scale_grad_by_freq:
        raise ValueError("embedding_backward: scale_grad_by_freq not supported with sparse gradients")
    table = weight if max_norm is None else embedding_renorm(weight, indices, max_norm, norm_type).astype(weight.dtype)
    out = embedding_lookup(table, indices, padding_idx)
    if cotangent.shape != out.shape:
        raise ValueError(f"cotangent must have the output's shape {out.shape}, got {cotangent.shape}")
    grad = embedding_backward(cotangent, indices, weight.shape[0], padding_idx, scale_grad_by_freq)
    if not sparse:
        return out, grad, None
    stored = set(np.asarray(indices).reshape(-1).tolist()) - {_padding_row(padding_idx, weight.shape[0])}
    return out, grad, tuple(sorted(stored))


@typed
def sparse_embedding_step(optimizer: str, weight: np.ndarray, indices: np.ndarray, cotangent: np.ndarray,
                          lr: float) -> np.ndarray:
    """The weight after one step of ``optimizer`` on ``nn.Embedding(sparse=True)`` (EM08),
    gradient from ``sum(lookup · cotangent)``: ``"sgd"`` takes the sparse gradient,
    ``w − lr·g``; ``"sparse_adam"``'s first step moves the stored rows by ``lr·√(1−β₂)/(1−β₁)
    · m / (√v + ε)``, ``m = (1−β₁)g``, ``v = (1−β₂)g²``, the other rows not at all;
    ``"adam"`` refuses a sparse gradient: ``ValueError`` with Adam's message."""
    check_choice(optimizer, "optimizer", SPARSE_STEP_OPTIMIZERS)
    if not lr >= 0:
        raise ValueError(f"lr must be >= 0, got {lr}")
    _, grad, stored = embedding_module(weight, indices, cotangent, sparse=True)
    if optimizer == "adam":
        raise ValueError(ADAM_SPARSE_ERROR)
    new = np.array(weight, dtype=np.float64)
    if optimizer == "sgd":
        return new - lr * grad
    (beta1, beta2), rows = SPARSE_ADAM_BETAS, list(stored)
    m, v = (1 - beta1) * grad[rows], (1 - beta2) * grad[rows] ** 2
    new[rows] -= lr * np.sqrt(1 - beta2) / (1 - beta1) * m / (np.sqrt(v) + SPARSE_ADAM_EPS)
    return new


@typed
def conv(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, stride: int = 1, padding: int = 0, *,
         spatial_dims: str = "1-3") -> np.ndarray:
    """``nn.Conv1d``/``Conv2d``/``Conv3d`` (MD08): the cross-correlation — the kernel is not
    flipped — of ``x`` ``(N, C_in, *L)`` with ``weight`` ``(C_out, C_in, *k)``, plus ``bias``:
    ``out[n, o, *i] = bias[o] + Σ_{c, *a} xp[n, c, *(i·stride + a)] · weight[o, c, *a]``, ``xp``
    being ``x`` with ``padding`` zeros on both sides of every spatial dimension, so each
    output size is ``(L + 2·padding − k) // stride + 1``.  1 to 3 spatial dimensions: a
    fourth raises (there is no ``Conv4d``), unless ``spatial_dims="any"``."""
    check_choice(spatial_dims, "spatial_dims", CONV_SPATIAL_DIMS)
    if x.dtype.kind != "f" or weight.dtype.kind != "f":
        raise TypeError(f"conv takes floating input and weight, got {x.dtype} and {weight.dtype}")
    dims = weight.ndim - 2
    if dims < 1 or (spatial_dims == "1-3" and dims > 3):
        raise ValueError(f"convolutions have 1 to 3 spatial dims (Conv1d, Conv2d, Conv3d; no Conv{dims}d), "
                         f"got a weight of shape {weight.shape}")
    if x.ndim != weight.ndim or x.shape[1] != weight.shape[1]:
        raise ValueError(f"the input must be (N, C_in, *spatial) with the weight's {dims} spatial dims and C_in = "
                         f"{weight.shape[1]}, got {x.shape}")
    if check_int(stride, "stride") < 1 or check_int(padding, "padding") < 0:
        raise ValueError(f"stride must be >= 1 and padding >= 0, got {stride} and {padding}")
    if bias is not None and (bias.shape != weight.shape[:1] or bias.dtype.kind != "f"):
        raise ValueError(f"bias must be a floating ({weight.shape[0]},) array, got {bias.dtype} {bias.shape}")
    padded_sizes, kernel = tuple(size + 2 * padding for size in x.shape[2:]), weight.shape[2:]
    if any(k > size for k, size in zip(kernel, padded_sizes)) or prod(kernel) == 0:
        raise ValueError(f"the kernel {kernel} must be non-empty and fit the padded input {padded_sizes}")
    out_sizes = tuple((size - k) // stride + 1 for size, k in zip(padded_sizes, kernel))
    padded = np.zeros(x.shape[:2] + padded_sizes)
    padded[(slice(None), slice(None)) + tuple(slice(padding, padding + size) for size in x.shape[2:])] = x
    w = np.asarray(weight, dtype=np.float64)
    out = np.zeros((x.shape[0], weight.shape[0]) + out_sizes)
    for offset in np.ndindex(*kernel):
        window = padded[(slice(None), slice(None)) + tuple(slice(a, a + stride * (n - 1) + 1, stride)
                                                           for a, n in zip(offset, out_sizes))]
        taps = w[(slice(None), slice(None)) + offset].reshape(weight.shape[:2] + (1,) * dims)
        out += np.sum(window[:, np.newaxis] * taps[np.newaxis], axis=2)  # (N, 1, C, *out) · (1, O, C, 1...)
    if bias is not None:
        out += np.asarray(bias, dtype=np.float64).reshape((-1,) + (1,) * dims)
    return out


@typed
def dropout(x: np.ndarray, keep: np.ndarray, p: float) -> np.ndarray:
    """Training-mode dropout given its keep-mask: ``x / (1 - p)`` where ``keep``, ``0``
    elsewhere; with ``p = 1`` nothing is kept and the result is all zeros."""
    x, keep = np.asarray(x), np.asarray(keep)
    _probability(p)
    if x.dtype.kind not in "fc":
        raise TypeError(f"dropout takes a floating input, got {x.dtype}")
    if keep.dtype != np.bool_ or keep.shape != x.shape:
        raise ValueError(f"keep must be a bool mask of the input's shape {x.shape}, got {keep.dtype} {keep.shape}")
    if p == 1.0:
        if keep.any():
            raise ValueError("with p = 1 every element is dropped: the keep-mask must be all False")
        return np.zeros(x.shape)
    return np.where(keep, np.asarray(x, dtype=np.float64) / (1.0 - p), 0.0)


@typed
def dropout_mask(shape: Sequence[int], p: float, seed: int) -> np.ndarray:
    """A keep-mask of ``shape``: each element kept independently with probability ``1 - p``
    (a uniform draw in [0, 1) at least ``p``), from ``numpy.random.default_rng(seed)``."""
    _probability(p)
    check_int(seed, "seed")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    if any(check_int(s, "shape entry") < 0 for s in shape):
        raise ValueError(f"shape entries must be >= 0, got {tuple(shape)}")
    return np.random.default_rng(seed).random(tuple(shape)) >= p


@typed
def dropped_count_bounds(n: int, p: float, sigmas: float = 6.0) -> tuple[int, int]:
    """The range of the number of dropped elements among ``n`` that a correct dropout falls
    in except with negligible probability: ``n·p ± sigmas·sqrt(n·p·(1-p))`` (Binomial(n, p)),
    exactly ``(0, 0)`` for ``p = 0`` and ``(n, n)`` for ``p = 1``."""
    check_int(n, "n")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    _probability(p)
    if not sigmas > 0:
        raise ValueError(f"sigmas must be > 0, got {sigmas}")
    spread = sigmas * float(np.sqrt(n * p * (1.0 - p)))
    return max(0, int(np.floor(n * p - spread))), min(n, int(np.ceil(n * p + spread)))


# -- guards ----------------------------------------------------------------------------


def _table(weight: np.ndarray) -> None:
    if weight.ndim != 2:
        raise ValueError(f"the embedding table must be 2-D (num_embeddings, dim), got shape {weight.shape}")
    if weight.dtype.kind not in "fc":
        raise TypeError(f"the embedding table must be floating, got {weight.dtype}")


def _padding_row(padding_idx: int | None, num_embeddings: int) -> int | None:
    """``padding_idx`` as a row number; negative values count from the end, as in torch."""
    if padding_idx is None:
        return None
    check_int(padding_idx, "padding_idx")
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"padding_idx must be within [-{num_embeddings}, {num_embeddings}), got {padding_idx}")
    return padding_idx % num_embeddings


def _probability(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, got {p}")
