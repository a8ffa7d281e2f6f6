"""Spec operations of matmul, bmm and linear (catalogue M01–M10).

The memory area's ``matmul`` (:mod:`dlspec.spec.memory`, T23) multiplies 2-D matrices;
``matmul_nd`` is the same library call under its full dimension rules.
"""

from __future__ import annotations

from dlspec.spec import Array, spec_op


class MatmulOps:
    """The matrix product of operands of any ndim, strict batched products and ``nn.Linear``'s
    function."""

    @spec_op("M01 M02 M03 M04 M05 M06")
    def matmul_nd(self, a: Array, b: Array) -> Array:
        """``a @ b`` for operands of any ndim >= 1: 1-D operands become a row or a column that
        is removed afterwards; dimensions before the last two are broadcast batch dimensions."""

    @spec_op("M07")
    def bmm(self, a: Array, b: Array) -> Array:
        """Batched matrix products ``(b, n, k) @ (b, k, m) -> (b, n, m)``, batches equal."""

    @spec_op("M08 M09 M10")
    def linear(self, x: Array, weight: Array, bias: Array | None = None) -> Array:
        """``x @ weight.T + bias`` with ``weight`` of shape ``(out_features, in_features)``."""
