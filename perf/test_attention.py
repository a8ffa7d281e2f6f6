"""Perf: masked attention, the backend's fused kernel vs masked_fill + softmax + matmul composed
from its own ops (catalogue AT01 AT03 AT05 AT06), causal (a prefill) and padded.

Attention of ``L`` queries over ``S`` keys with head size ``E`` does ``4·L·S·E`` FLOPs per head
(two products, a multiply and an add per term), but only the unmasked pairs are USEFUL: the
causal mask keeps ``L(L+1)/2`` pairs, about half, and a padding mask ``L·length`` per sequence.
TFLOP/s are reported on those useful FLOPs, so a kernel that skips masked blocks (flash
attention) shows its advantage over one that computes the dense product and discards half.
Bytes: q, k, v and the output read or written once.  With ``--benchmark-disable`` the sizes
shrink to CHECK_SHAPE and the result is checked against the reference in float64 under the
bounds of ``conformance/test_attention.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from conformance.test_attention import reference_attention
from dlspec import testing
from dlspec.compare import assert_conforms
from reference.dtypes import round_to

spec = pytest.mark.spec
#: (batch, heads, length, head size) per device; the CPU's stays well under a second a call.
SHAPES = {"cpu": (2, 4, 256, 64), "cuda": (4, 16, 2048, 128)}
CHECK_SHAPE = (1, 2, 64, 16)


def _composed(backend: Any) -> Any:
    """Attention as written by hand from the backend's spec ops: q kᵀ (q pre-scaled), the
    additive mask broadcast-added (masked_fill with −∞), softmax, then the product with v."""
    matmul, transpose = testing.op(backend, "matmul_nd"), testing.op(backend, "transpose")
    add, softmax = testing.op(backend, "broadcast_add"), testing.op(backend, "softmax")

    def attend(q: Any, k: Any, v: Any, mask: Any) -> Any:
        return matmul(softmax(add(matmul(q, transpose(k, -2, -1)), mask), -1), v)

    return attend


@spec("AT01", "AT03", "AT05", "AT06")
@pytest.mark.parametrize("mask_kind", ["causal", "padded"])
@pytest.mark.parametrize("impl", ["fused", "composed"])
def test_masked_attention(perf, backend, impl, mask_kind):
    """AT06 causal self-attention over the whole prompt (a prefill) and AT05 attention with a
    key-padding mask (sequence lengths L, L/2, L/4, ...): the fused kernel, given
    ``is_causal`` or a boolean mask, against the composed masked_fill + softmax + matmul."""
    fused = testing.op(backend, "scaled_dot_product_attention")
    b, h, n, e = SHAPES.get(backend.device, SHAPES["cpu"]) if perf.benchmark.enabled else CHECK_SHAPE
    rng = np.random.default_rng(0)
    q_np, k_np, v_np = (np.asarray(round_to(rng.standard_normal((b, h, n, e)), perf.dtype), dtype=np.float64)
                        for _ in range(3))
    if mask_kind == "causal":
        keep = np.tril(np.ones((n, n), dtype=bool))
        useful_pairs = b * n * (n + 1) // 2
    else:
        lengths = np.maximum(n >> np.arange(b), 1)
        keep = (np.arange(n)[None, :] < lengths[:, None])[:, None, None, :]
        useful_pairs = n * int(lengths.sum())
    q, k, v = (backend.asarray(a, dtype=perf.dtype) for a in (q_np, k_np, v_np))
    if impl == "fused":
        mask = None if mask_kind == "causal" else backend.asarray(keep)
        args, fn, scale = (q, k, v, mask, mask_kind == "causal"), fused, None
    else:  # the scale folded into q beforehand, as the reference is then told (scale 1)
        q_np = np.asarray(round_to(q_np / np.sqrt(e), perf.dtype), dtype=np.float64)
        additive = backend.asarray(np.where(keep, 0.0, -np.inf), dtype=perf.dtype)
        args, fn, scale = (backend.asarray(q_np, dtype=perf.dtype), k, v, additive), _composed(backend), 1.0
    out = perf.measure(lambda: fn(*args), shape=(b, h, n, e), flops=4 * h * e * useful_pairs,
                       bytes_min=4 * perf.nbytes((b, h, n, e)))
    if not perf.benchmark.enabled:
        expected, error_scale = reference_attention(backend, q_np, k_np, v_np, keep, False, scale, False)
        lowp = round_to(expected, perf.dtype) if perf.dtype in ("float16", "bfloat16") else None
        assert_conforms(backend, out, expected, op=f"{impl} {mask_kind} attention", dtype=perf.dtype, terms=e + n,
                        scale=error_scale, lowp_expected=lowp)
