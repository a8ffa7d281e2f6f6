"""Adapters' implementations of matmul, bmm and linear (M01–M10), one mixin per library;
each backend class in ``dlspec.backends`` inherits its library's mixin.

``behaviours`` declares each library's choice where libraries legitimately differ (the
keyword choices of :mod:`reference.matmul`): ``matmul_mixed_dtypes`` (operands of two dtypes
raise or are promoted) and ``bmm_ranks`` (``bmm`` on 3-D operands only, or on any equal ndim).
"""

from __future__ import annotations

from typing import Any, ClassVar

from dlspec.spec import composed
from reference import matmul as ref
from reference.memory import Tensor


class ReferenceMatmul:
    """The reference: arrays are ``reference.memory.Tensor`` objects."""

    # The reference follows torch: one dtype per product, bmm on 3-D operands (M07, M10).
    behaviours: ClassVar[dict[str, str]] = {"matmul_mixed_dtypes": "error", "bmm_ranks": "3d"}

    def matmul_nd(self, a: Tensor, b: Tensor) -> Tensor:
        return ref.matmul(a, b)

    def bmm(self, a: Tensor, b: Tensor) -> Tensor:
        return ref.bmm(a, b)

    def linear(self, x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
        return ref.linear(x, weight, bias)


class XpMatmul:
    """Libraries with NumPy's API under ``self.xp``: NumPy, CuPy and ``jax.numpy``; none has a
    linear function, so it is composed as nn.Linear computes it."""

    # matmul promotes operands of two dtypes to their common one, as every ufunc does.
    behaviours: ClassVar[dict[str, str]] = {"matmul_mixed_dtypes": "promote"}

    def matmul_nd(self, a: Any, b: Any) -> Any:
        return self.xp.matmul(a, b)

    @composed
    def linear(self, x: Any, weight: Any, bias: Any | None = None) -> Any:
        out = self.xp.matmul(x, weight.T)
        # nn.Linear adds the bias to every output row: it broadcasts to the output, never widens it.
        return out if bias is None else self.xp.add(out, self.xp.broadcast_to(bias, out.shape))


class NumpyMatmul(XpMatmul):
    """NumPy (and CuPy, through ``self.xp``): no bmm, whose rule ``matmul`` does not keep
    (it broadcasts batches)."""


class TorchMatmul:
    """PyTorch."""

    # torch.matmul, bmm and F.linear raise for two dtypes ("expected m1 and m2 to have the same dtype").
    behaviours: ClassVar[dict[str, str]] = {"matmul_mixed_dtypes": "error", "bmm_ranks": "3d"}

    def matmul_nd(self, a: Any, b: Any) -> Any:
        return self.torch.matmul(a, b)

    def bmm(self, a: Any, b: Any) -> Any:
        return self.torch.bmm(a, b)

    def linear(self, x: Any, weight: Any, bias: Any | None = None) -> Any:
        return self.torch.nn.functional.linear(x, weight, bias)


class JaxMatmul(XpMatmul):
    """JAX: bmm is ``jax.lax.batch_matmul``."""

    # batch_matmul takes any two operands of one ndim >= 2 whose leading dimensions are equal.
    behaviours: ClassVar[dict[str, str]] = {"bmm_ranks": "equal"}

    def bmm(self, a: Any, b: Any) -> Any:
        return self.jax.lax.batch_matmul(a, b)
