"""matmul, bmm and linear (catalogue M01–M10): the dimension rules, then explicit sums.

``matmul(a, b)`` follows one rule for operands of any ndim ≥ 1:

1. a 1-D ``a`` is read as a row ``(1, k)``, a 1-D ``b`` as a column ``(k, 1)`` (M04, M05);
2. the last two dimensions hold the matrices, ``(n, k) @ (k, m)``; the dimensions before them
   are batch dimensions, and the two batch shapes broadcast (M03, M06);
3. every batch element is the 2-D product ``Σ_k a[i, k] · b[k, j]``, accumulated in float64
   one ``k`` at a time (:func:`reference.memory.matmul2d`), for 2-D operands the whole
   result (M02);
4. the dimensions step 1 added are removed again, so 1-D @ 1-D is a 0-d dot product (M01).

``bmm`` is the strict form: 3-D operands with equal batch sizes, nothing broadcast (M07);
``linear(x, W, b)`` is ``x @ W.T + b`` with ``W`` stored as ``(out_features, in_features)``
(M08, M09, M10).  Nothing here calls NumPy's matmul, dot or einsum.

Where libraries legitimately differ, a keyword argument names the choice and backends
declare theirs (:meth:`dlspec.api.Backend.behaviour`):

* ``mixed_dtypes`` (behaviour ``matmul_mixed_dtypes``): operands of different dtypes raise
  (``"error"``, torch: M10, an integer input to a float ``nn.Linear``) or are promoted to
  their common dtype (``"promote"``, NumPy and JAX);
* ``ranks`` (behaviour ``bmm_ranks``): ``bmm`` takes 3-D operands only (``"3d"``, torch), or
  any two of the same ndim ≥ 2 whose leading dimensions are all equal batch dimensions
  (``"equal"``, ``jax.lax.batch_matmul``).
"""

from __future__ import annotations

import numpy as np

from reference import memory
from reference.broadcasting import broadcast_op, broadcast_shapes, broadcast_to
from reference.guards import typed
from reference.memory import Tensor

MIXED_DTYPES = ("error", "promote")
BMM_RANKS = ("3d", "equal")


@typed
def matmul(a: Tensor, b: Tensor, *, mixed_dtypes: str = "error") -> Tensor:
    """The matrix product under the rules of the module docstring; raises ``ValueError`` for
    a 0-d operand, inner sizes that differ, or batch shapes that do not broadcast."""
    _check_dtypes(a, b, mixed_dtypes)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"both arguments to matmul need to be at least 1-D, got {a.ndim}-D and {b.ndim}-D")
    x = a if a.ndim > 1 else memory.unsqueeze(a, 0)
    y = b if b.ndim > 1 else memory.unsqueeze(b, 1)
    if x.shape[-1] != y.shape[-2]:
        raise ValueError(f"matmul: the inner sizes differ, {a.shape} @ {b.shape} "
                         f"(read as {x.shape} @ {y.shape})")
    batch = broadcast_shapes(x.shape[:-2], y.shape[:-2])
    x, y = broadcast_to(x, batch + x.shape[-2:]), broadcast_to(y, batch + y.shape[-2:])
    out = np.empty(batch + (x.shape[-2], y.shape[-1]), dtype=np.result_type(a.dtype, b.dtype))
    for idx in np.ndindex(*batch):
        out[idx] = memory.to_numpy(memory.matmul2d(memory.getitem(x, idx), memory.getitem(y, idx)))
    result = memory.from_numpy(out)
    if a.ndim == 1:
        result = memory.squeeze(result, -2)
    if b.ndim == 1:
        result = memory.squeeze(result, -1)
    return result


@typed
def bmm(a: Tensor, b: Tensor, *, ranks: str = "3d", mixed_dtypes: str = "error") -> Tensor:
    """Batched matrix products ``out[i] = a[i] @ b[i]`` (M07): the batch dimensions must be
    equal (nothing broadcasts) and, with ``ranks="3d"``, the operands 3-D, ``(b, n, k)`` and
    ``(b, k, m)``; raises ``ValueError`` otherwise."""
    if ranks not in BMM_RANKS:
        raise ValueError(f"ranks must be one of {BMM_RANKS}, got {ranks!r}")
    if ranks == "3d" and (a.ndim != 3 or b.ndim != 3):
        raise ValueError(f"bmm takes 3-D operands, got {a.ndim}-D and {b.ndim}-D")
    if a.ndim != b.ndim or a.ndim < 2:
        raise ValueError(f"bmm takes operands of one ndim >= 2, got {a.ndim}-D and {b.ndim}-D")
    if a.shape[:-2] != b.shape[:-2]:
        raise ValueError(f"bmm needs equal batch sizes and does not broadcast them: {a.shape} @ {b.shape}")
    return matmul(a, b, mixed_dtypes=mixed_dtypes)


@typed
def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None, *, mixed_dtypes: str = "error") -> Tensor:
    """``x @ weight.T + bias`` (M08, M09): ``x`` is ``(*, in_features)``, ``weight`` is
    ``(out_features, in_features)`` and the result ``(*, out_features)``; ``bias``, when given,
    must broadcast to that result (usually ``(out_features,)``).  Raises ``ValueError`` for a
    weight that is not 2-D or whose in_features differ from ``x``'s last size."""
    if weight.ndim != 2:
        raise ValueError(f"linear takes a 2-D weight (out_features, in_features), got shape {weight.shape}")
    out = matmul(x, memory.transpose(weight, 0, 1), mixed_dtypes=mixed_dtypes)
    if bias is None:
        return out
    _check_dtypes(out, bias, mixed_dtypes)
    return broadcast_op(np.add, out, broadcast_to(bias, out.shape))


# -- guards ---------------------------------------------------------------------------


def _check_dtypes(a: Tensor, b: Tensor, mixed_dtypes: str) -> None:
    if mixed_dtypes not in MIXED_DTYPES:
        raise ValueError(f"mixed_dtypes must be one of {MIXED_DTYPES}, got {mixed_dtypes!r}")
    if mixed_dtypes == "error" and a.dtype != b.dtype:
        raise TypeError(f"operands must have the same dtype, got {a.dtype} and {b.dtype}")
