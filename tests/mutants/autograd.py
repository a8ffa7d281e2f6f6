"""Broken backends for the autograd graph rules (A01–A29, C01–C04), built on the torch adapter:
each hands out a graph namespace whose tensors (a torch.Tensor subclass) or context managers
break one rule."""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import torch

from dlspec.backends.ops.autograd import TorchGraph
from dlspec.backends.torch import TorchBackend

CONTROL = "torch"


def _leaves(node: Any) -> list[torch.Tensor]:
    """The leaf tensors a grad_fn reaches (through its AccumulateGrad nodes)."""
    found, stack, seen = [], [node], set()
    while stack:
        current = stack.pop()
        if current is None or current in seen:
            continue
        seen.add(current)
        if hasattr(current, "variable"):
            found.append(current.variable)
        stack.extend(n for n, _ in current.next_functions)
    return found


class _SubclassGraph(TorchGraph):
    """A graph namespace whose tensors are instances of ``kind``, a torch.Tensor subclass."""

    kind: type[torch.Tensor] = torch.Tensor

    def tensor(self, values: Any, requires_grad: bool = False) -> Any:
        plain = torch.tensor(np.asarray(values, dtype=np.float64), device=self.device)
        return plain.as_subclass(self.kind).requires_grad_(requires_grad)


class _GraphMutant(TorchBackend):
    graph_class: type[TorchGraph] = TorchGraph

    def graph(self) -> TorchGraph:
        return self.graph_class(self.torch, self.device)


def _with_tensors(kind: type[torch.Tensor]) -> type[TorchGraph]:
    return type(f"{kind.__name__}Graph", (_SubclassGraph,), {"kind": kind})


class _RetainingTensor(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = super().__torch_function__(func, types, args, kwargs or {})
        with torch._C.DisableTorchFunctionSubclass():
            if isinstance(out, torch.Tensor) and out.grad_fn is not None:
                out.retain_grad()
        return out


class NonLeafKeepsGrad(_GraphMutant):
    """Every recorded result retains its gradient, so non-leaves keep .grad (A15)."""

    name, catches = "autograd-non-leaf-keeps-grad", ("test_non_leaf_grad_is_not_kept",)
    graph_class = _with_tensors(_RetainingTensor)


class _OverwritingTensor(torch.Tensor):
    def backward(self, gradient: Any = None, retain_graph: Any = None, create_graph: bool = False, inputs: Any = None) -> None:
        for leaf in _leaves(self.grad_fn):
            leaf.grad = None
        super().backward(gradient, retain_graph, create_graph, inputs)


class GradOverwritten(_GraphMutant):
    """backward replaces the leaves' .grad instead of adding to it (A13, A16)."""

    name, catches = "autograd-grad-overwritten", ("test_gradients_accumulate",)
    graph_class = _with_tensors(_OverwritingTensor)


class _AlwaysRetainingTensor(torch.Tensor):
    def backward(self, gradient: Any = None, retain_graph: Any = None, create_graph: bool = False, inputs: Any = None) -> None:
        super().backward(gradient, True, create_graph, inputs)


class SecondBackwardAllowed(_GraphMutant):
    """backward always retains the graph, so a second pass does not raise (A10)."""

    name, catches = "autograd-second-backward-allowed", ("test_retain_graph",)
    graph_class = _with_tensors(_AlwaysRetainingTensor)


class _FreeingTensor(torch.Tensor):
    def backward(self, gradient: Any = None, retain_graph: Any = None, create_graph: bool = False, inputs: Any = None) -> None:
        super().backward(gradient, bool(retain_graph), create_graph, inputs)


class RetainGraphDefaultsFalse(_GraphMutant):
    """retain_graph=None means False, as the notes say, even with create_graph=True (A10)."""

    name, catches = "autograd-retain-graph-defaults-false", ("test_retain_graph",)
    graph_class = _with_tensors(_FreeingTensor)


class _ImplicitGradientTensor(torch.Tensor):
    def backward(self, gradient: Any = None, retain_graph: Any = None, create_graph: bool = False, inputs: Any = None) -> None:
        super().backward(torch.ones_like(self) if gradient is None else gradient, retain_graph, create_graph, inputs)


class NonScalarImplicitGradient(_GraphMutant):
    """backward() on a non-scalar output silently uses a gradient of ones (A26)."""

    name, catches = "autograd-non-scalar-implicit-gradient", ("test_backward_needs_a_gradient_for_non_scalars",)
    graph_class = _with_tensors(_ImplicitGradientTensor)


class _LeafWritableTensor(torch.Tensor):
    def add_(self, other: Any) -> Any:
        if self.is_leaf and self.requires_grad:
            with torch.no_grad():
                return super().add_(other)
        return super().add_(other)


class InplaceOnLeafAllowed(_GraphMutant):
    """add_ on a leaf that requires grad is done as if under no_grad instead of raising (A18)."""

    name, catches = "autograd-inplace-on-leaf-allowed", ("test_inplace_on_a_leaf",)
    graph_class = _with_tensors(_LeafWritableTensor)


class _DataWritingTensor(torch.Tensor):
    def add_(self, other: Any) -> Any:
        torch.Tensor.add_(self.data, other)
        return self

    def mul_(self, other: Any) -> Any:
        torch.Tensor.mul_(self.data, other)
        return self


class InplaceThroughData(_GraphMutant):
    """In-place ops write through .data: no version bump, no recorded node (A25 goes unnoticed)."""

    name, catches = "autograd-inplace-through-data", ("test_inplace_on_a_saved_value",)
    graph_class = _with_tensors(_DataWritingTensor)


class _RecordingNoGrad(TorchGraph):
    def no_grad(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


class NoGradStillRecords(_GraphMutant):
    """no_grad() is a no-op context: operations inside still record a graph (A11, A28)."""

    name, catches = "autograd-no-grad-still-records", ("test_no_grad_and_detach",)
    graph_class = _RecordingNoGrad


class _FactoryFollowsGradMode(TorchGraph):
    def tensor(self, values: Any, requires_grad: bool = False) -> Any:
        return super().tensor(values, requires_grad and torch.is_grad_enabled())


class FactoryIgnoresRequiresGradInNoGrad(_GraphMutant):
    """tensor(..., requires_grad=True) under no_grad requires no grad, as the notes say (A24)."""

    name, catches = "autograd-factory-ignores-requires-grad", ("test_no_grad_and_detach",)
    graph_class = _FactoryFollowsGradMode


class SwishMissingSigmoidPrime(TorchBackend):
    """SwishFn's backward forgets the x·σ'(x) term and returns grad·σ(x) (C03)."""

    name, catches = "autograd-swish-missing-sigmoid-prime", ("test_swish_function",)

    def swish_function(self) -> type:
        class SwishFn(torch.autograd.Function):
            @staticmethod
            def forward(ctx: Any, x: Any) -> Any:
                sig = torch.sigmoid(x)
                ctx.save_for_backward(sig)
                return x * sig

            @staticmethod
            def backward(ctx: Any, grad: Any) -> Any:
                (sig,) = ctx.saved_tensors
                return grad * sig

        return SwishFn
