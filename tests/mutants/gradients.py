"""Broken gradients of existing spec operations (conformance/test_gradients.py), built on the
torch adapter: each op computes the right values but has a wrong backward."""

from __future__ import annotations

from typing import Any

import torch

from dlspec.backends.torch import TorchBackend

CONTROL = "torch"


class _AtanWrongSign(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return torch.atan(x)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved_tensors
        return -grad / (1 + x * x)


class AtanGradientWrongSign(TorchBackend):
    """atan's backward is −1/(1 + x²) instead of 1/(1 + x²) (O07)."""

    name, catches = "gradients-atan-wrong-sign", ("test_gradient",)

    def atan(self, x: Any) -> Any:
        return _AtanWrongSign.apply(x)


class _MatmulTransposedGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        a, b = ctx.saved_tensors
        return grad @ b.mT, grad.mT @ a


class MatmulTransposedGradient(TorchBackend):
    """matmul's gradient of b is (aᵀ g)ᵀ = gᵀ a, transposed, for square 2-D operands (M02)."""

    name, catches = "gradients-matmul-transposed", ("test_gradient",)

    def matmul_nd(self, a: Any, b: Any) -> Any:
        if a.ndim == b.ndim == 2 and a.shape[0] == a.shape[1] == b.shape[1]:
            return _MatmulTransposedGradient.apply(a, b)
        return super().matmul_nd(a, b)


class _StraightThroughClamp(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Any, low: Any, high: Any) -> Any:
        return torch.clamp(x, low, high)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return grad, None, None


class ClampStraightThrough(TorchBackend):
    """clamp passes the gradient through everywhere, also where the value was clamped (O09)."""

    name, catches = "gradients-clamp-straight-through", ("test_gradient",)

    def clamp(self, x: Any, min: float | None = None, max: float | None = None) -> Any:
        return _StraightThroughClamp.apply(x, min, max)


class PermuteDropsGraph(TorchBackend):
    """permute runs on the detached input, so no gradient reaches it (T12)."""

    name, catches = "gradients-permute-drops-graph", ("test_gradient",)

    def permute(self, x: Any, dims: Any) -> Any:
        return x.detach().permute(*dims)


class DivideByConstant(TorchBackend):
    """divide treats the divisor as a constant (a · 1/b.detach()), so b gets no gradient (T23)."""

    name, catches = "gradients-divide-by-constant", ("test_gradient",)

    def divide(self, a: Any, b: Any) -> Any:
        return a * (1 / b.detach())
