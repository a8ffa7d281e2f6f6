"""Broken backends for matmul, bmm and linear (M01–M10), built on the NumPy adapter."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from dlspec.backends.numpy import NumpyBackend


class MatmulKeepsPrependedDim(NumpyBackend):
    """matmul reads a 1-D first operand as a row but does not remove the prepended 1:
    (3,)@(3,5) gives (1,5) and a dot product (1,) (M01, M04)."""

    name, catches = "matmul-keeps-prepended-dim", ("test_matmul", "test_notes_matmul_examples")

    def matmul_nd(self, a: Any, b: Any) -> Any:
        return np.matmul(a[np.newaxis] if a.ndim == 1 else a, b)


class MatmulBatchesMustBeEqual(NumpyBackend):
    """matmul demands equal batch dimensions instead of broadcasting them, as bmm does
    (M06: (2,1,3,4)@(5,4,6) must give (2,5,3,6))."""

    name, catches = "matmul-batches-must-be-equal", ("test_matmul", "test_notes_matmul_examples")

    def matmul_nd(self, a: Any, b: Any) -> Any:
        if a.ndim > 2 and b.ndim > 2 and a.shape[:-2] != b.shape[:-2]:
            raise ValueError(f"batch dimensions differ: {a.shape} @ {b.shape}")
        return np.matmul(a, b)


class MatmulInLowerPrecision(NumpyBackend):
    """matmul multiplies float64 operands in float32, a silent loss of precision (M02)."""

    name, catches = "matmul-in-lower-precision", ("test_matmul",)

    def matmul_nd(self, a: Any, b: Any) -> Any:
        if a.dtype == np.float64:
            return np.matmul(a.astype(np.float32), b.astype(np.float32)).astype(np.float64)
        return np.matmul(a, b)


class BmmBroadcastsBatches(NumpyBackend):
    """bmm is matmul on 3-D operands, so a batch of 1 broadcasts instead of raising (M07)."""

    name, catches = "bmm-broadcasts-batches", ("test_bmm", "test_notes_bmm_examples")
    behaviours: ClassVar[dict[str, str]] = {"bmm_ranks": "3d"}

    def bmm(self, a: Any, b: Any) -> Any:
        if a.ndim != 3 or b.ndim != 3:
            raise ValueError(f"bmm takes 3-D operands, got {a.ndim}-D and {b.ndim}-D")
        return np.matmul(a, b)


class LinearWithoutTranspose(NumpyBackend):
    """linear computes x @ W + b, reading W as (in, out) instead of (out, in) (M08, M09)."""

    name, catches = "linear-without-transpose", ("test_linear", "test_notes_linear_examples")

    def linear(self, x: Any, weight: Any, bias: Any | None = None) -> Any:
        out = np.matmul(x, weight)
        return out if bias is None else out + bias


class LinearIgnoresBias(NumpyBackend):
    """linear drops its bias: x @ W.T (M09)."""

    name, catches = "linear-ignores-bias", ("test_linear", "test_notes_linear_examples")

    def linear(self, x: Any, weight: Any, bias: Any | None = None) -> Any:
        return np.matmul(x, weight.T)


class DeclaresErrorButPromotes(NumpyBackend):
    """declares torch's behaviour for two dtypes (an error, M10) while NumPy promotes."""

    name, catches = "declares-error-but-promotes", ("test_integer_input_to_a_float_product",)
    behaviours: ClassVar[dict[str, str]] = {"matmul_mixed_dtypes": "error"}
