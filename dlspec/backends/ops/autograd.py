"""Adapters' implementations of autograd graph semantics and custom functions (A01–A29, C01–C04), one mixin per library;
each backend class in ``dlspec.backends`` inherits its library's mixin.

Only backends with torch-like tensors (capability ``graph``) implement these: the reference
hands out its own tape engine, :mod:`reference.autograd`; torch a thin namespace over
``torch`` and ``torch.autograd`` whose tensors are plain torch tensors.  NumPy has no
autograd and JAX differentiates functions, not tensors, so their mixins are empty.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from reference import autograd as ref


class ReferenceAutograd:
    """The reference: its tape engine over NumPy."""

    def graph(self) -> ModuleType:
        return ref

    def swish_function(self) -> type[ref.Function]:
        return ref.Swish


class NumpyAutograd:
    """NumPy (and CuPy, through ``self.xp``)."""


class TorchGraph:
    """The graph namespace over torch: float64 tensors on the adapter's device; everything
    else is torch's own API under the spec's names."""

    def __init__(self, torch: Any, device: str) -> None:
        self.torch = torch
        self.device = device
        self.Function = torch.autograd.Function

    def tensor(self, values: Any, requires_grad: bool = False) -> Any:
        return self.torch.tensor(np.asarray(values, dtype=np.float64), device=self.device, requires_grad=requires_grad)

    def values(self, t: Any) -> np.ndarray:
        return np.array(t.detach().cpu().numpy(), dtype=np.float64, copy=True)

    def version(self, t: Any) -> int:
        return int(t._version)

    def no_grad(self) -> contextlib.AbstractContextManager[None]:
        return self.torch.no_grad()

    def set_grad_enabled(self, mode: bool) -> contextlib.AbstractContextManager[None]:
        return self.torch.set_grad_enabled(mode)

    def is_grad_enabled(self) -> bool:
        return self.torch.is_grad_enabled()

    def grad(self, output: Any, inputs: Sequence[Any], grad_output: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False) -> tuple[Any, ...]:
        return self.torch.autograd.grad(output, list(inputs), grad_output, retain_graph=retain_graph,
                                        create_graph=create_graph, allow_unused=True)

    def gradcheck(self, fn: Callable[..., Any], inputs: Sequence[Any]) -> bool:
        return bool(self.torch.autograd.gradcheck(fn, tuple(inputs), eps=1e-6, atol=1e-4, rtol=1e-3,
                                                  raise_exception=False))

    def mse_loss(self, input: Any, target: Any, reduction: str = "mean") -> Any:
        return self.torch.nn.functional.mse_loss(input, target, reduction=reduction)


@functools.cache
def torch_swish(torch: Any) -> type:
    """The notes' SwishFn as a ``torch.autograd.Function``."""

    class SwishFn(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            sig = torch.sigmoid(x)
            ctx.save_for_backward(x, sig)
            return x * sig

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:
            x, sig = ctx.saved_tensors
            return grad * (sig + x * sig * (1 - sig))

    return SwishFn


class TorchAutograd:
    """PyTorch."""

    def graph(self) -> TorchGraph:
        return TorchGraph(self.torch, self.device)

    def swish_function(self) -> type:
        return torch_swish(self.torch)


class JaxAutograd:
    """JAX."""
