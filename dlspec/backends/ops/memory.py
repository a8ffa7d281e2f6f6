"""Adapters' implementations of the tensor memory operations (T01–T28), one mixin per
library; each backend class in ``dlspec.backends`` inherits its library's mixin."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from dlspec.spec import Array, Shape, composed
from reference import memory as ref


class ReferenceMemory:
    """The reference itself: arrays are ``reference.memory.Tensor`` objects."""

    def view(self, x: ref.Tensor, shape: Shape) -> ref.Tensor:
        return ref.view(x, shape)

    def reshape(self, x: ref.Tensor, shape: Shape) -> ref.Tensor:
        return ref.reshape(x, shape)

    def transpose(self, x: ref.Tensor, dim0: int, dim1: int) -> ref.Tensor:
        return ref.transpose(x, dim0, dim1)

    def permute(self, x: ref.Tensor, dims: Shape) -> ref.Tensor:
        return ref.permute(x, dims)

    def reverse_dims(self, x: ref.Tensor) -> ref.Tensor:
        return ref.reverse_dims(x)

    def expand(self, x: ref.Tensor, shape: Shape) -> ref.Tensor:
        return ref.expand(x, shape)

    def unsqueeze(self, x: ref.Tensor, dim: int) -> ref.Tensor:
        return ref.unsqueeze(x, dim)

    def squeeze(self, x: ref.Tensor, dim: int | None = None) -> ref.Tensor:
        return ref.squeeze(x, dim)

    def getitem(self, x: ref.Tensor, index: tuple[int | slice, ...]) -> ref.Tensor:
        return ref.getitem(x, index)

    def setitem(self, x: ref.Tensor, index: tuple[int | slice, ...], value: float) -> None:
        x.storage[ref.positions(ref.getitem(x, index))] = value

    def contiguous(self, x: ref.Tensor) -> ref.Tensor:
        return ref.contiguous(x)

    def is_contiguous(self, x: ref.Tensor) -> bool:
        return ref.is_contiguous(x.shape, x.strides)

    def repeat(self, x: ref.Tensor, sizes: Shape) -> ref.Tensor:
        return ref.repeat(x, sizes)

    def detach(self, x: ref.Tensor) -> ref.Tensor:
        return ref.detach(x)

    def clone(self, x: ref.Tensor) -> ref.Tensor:
        return ref.clone(x)

    def sum(self, x: ref.Tensor, dim: int) -> ref.Tensor:
        return ref.sum_dim(x, dim)

    def add(self, a: ref.Tensor, b: ref.Tensor) -> ref.Tensor:
        return ref.elementwise(np.add, a, b)

    def subtract(self, a: ref.Tensor, b: ref.Tensor) -> ref.Tensor:
        return ref.elementwise(np.subtract, a, b)

    def multiply(self, a: ref.Tensor, b: ref.Tensor) -> ref.Tensor:
        return ref.elementwise(np.multiply, a, b)

    def divide(self, a: ref.Tensor, b: ref.Tensor) -> ref.Tensor:
        return ref.elementwise(np.true_divide, a, b)

    def matmul(self, a: ref.Tensor, b: ref.Tensor) -> ref.Tensor:
        return ref.matmul2d(a, b)

    def gather(self, x: ref.Tensor, dim: int, index: ref.Tensor) -> ref.Tensor:
        return ref.gather(x, dim, ref.to_numpy(index))

    def vmap(self, fn: Callable[[Array], Array], x: ref.Tensor) -> ref.Tensor:
        return ref.vmap(fn, x)


class XpMemory:
    """Libraries with NumPy's API under ``self.xp``: NumPy, CuPy and ``jax.numpy``."""

    def reshape(self, x: Any, shape: Shape) -> Any:
        return self.xp.reshape(x, tuple(shape))

    def transpose(self, x: Any, dim0: int, dim1: int) -> Any:
        return self.xp.swapaxes(x, dim0, dim1)

    def permute(self, x: Any, dims: Shape) -> Any:
        return self.xp.transpose(x, tuple(dims))

    def reverse_dims(self, x: Any) -> Any:
        return x.T

    @composed
    def expand(self, x: Any, shape: Shape) -> Any:
        lead = len(shape) - x.ndim
        target = tuple(x.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(shape))
        return self.xp.broadcast_to(x, target)

    def unsqueeze(self, x: Any, dim: int) -> Any:
        return self.xp.expand_dims(x, dim)

    def squeeze(self, x: Any, dim: int | None = None) -> Any:
        return self.xp.squeeze(x, axis=dim)

    def getitem(self, x: Any, index: tuple[int | slice, ...]) -> Any:
        # x[i, j] with an int for every dim returns a scalar copy in NumPy; x[i, j, ...]
        # is NumPy's spelling of the same basic index as a 0-d view (docs/memory.md).
        return x[(*index, Ellipsis)]

    def repeat(self, x: Any, sizes: Shape) -> Any:
        return self.xp.tile(x, tuple(sizes))

    def clone(self, x: Any) -> Any:
        return x.copy()

    def sum(self, x: Any, dim: int) -> Any:
        return self.xp.sum(x, axis=dim)

    def add(self, a: Any, b: Any) -> Any:
        return self.xp.add(a, b)

    def subtract(self, a: Any, b: Any) -> Any:
        return self.xp.subtract(a, b)

    def multiply(self, a: Any, b: Any) -> Any:
        return self.xp.multiply(a, b)

    def divide(self, a: Any, b: Any) -> Any:
        return self.xp.divide(a, b)

    def matmul(self, a: Any, b: Any) -> Any:
        return self.xp.matmul(a, b)

    def gather(self, x: Any, dim: int, index: Any) -> Any:
        return self.xp.take_along_axis(x, index, axis=dim)


class NumpyMemory(XpMemory):
    """NumPy (and CuPy): strided arrays with views and in-place writes; no autograd, so no
    ``detach``; no vmap, so it is composed from a loop and ``stack``."""

    def view(self, x: Any, shape: Shape) -> Any:
        return self.xp.reshape(x, tuple(shape), copy=False)

    def setitem(self, x: Any, index: tuple[int | slice, ...], value: float) -> None:
        x[index] = value

    def contiguous(self, x: Any) -> Any:
        return self.xp.asarray(x, order="C")

    def is_contiguous(self, x: Any) -> bool:
        return bool(x.flags.c_contiguous)

    @composed
    def vmap(self, fn: Callable[[Array], Array], x: Any) -> Any:
        return self.xp.stack([fn(x[i]) for i in range(x.shape[0])])


class TorchMemory:
    """PyTorch."""

    def view(self, x: Any, shape: Shape) -> Any:
        return x.view(tuple(shape))

    def reshape(self, x: Any, shape: Shape) -> Any:
        return x.reshape(tuple(shape))

    def transpose(self, x: Any, dim0: int, dim1: int) -> Any:
        return x.transpose(dim0, dim1)

    def permute(self, x: Any, dims: Shape) -> Any:
        return x.permute(tuple(dims))

    def reverse_dims(self, x: Any) -> Any:
        with warnings.catch_warnings():  # x.T on ndim != 2 is deprecated but still reverses (T24)
            warnings.simplefilter("ignore", UserWarning)
            return x.T

    def expand(self, x: Any, shape: Shape) -> Any:
        return x.expand(tuple(shape))

    def unsqueeze(self, x: Any, dim: int) -> Any:
        return x.unsqueeze(dim)

    def squeeze(self, x: Any, dim: int | None = None) -> Any:
        return x.squeeze() if dim is None else x.squeeze(dim)

    def getitem(self, x: Any, index: tuple[int | slice, ...]) -> Any:
        return x[index]

    def setitem(self, x: Any, index: tuple[int | slice, ...], value: float) -> None:
        with self.torch.no_grad():
            x[index] = value

    def contiguous(self, x: Any) -> Any:
        return x.contiguous()

    def is_contiguous(self, x: Any) -> bool:
        return bool(x.is_contiguous())

    def repeat(self, x: Any, sizes: Shape) -> Any:
        return x.repeat(tuple(sizes))

    def detach(self, x: Any) -> Any:
        return x.detach()

    def clone(self, x: Any) -> Any:
        return x.clone()

    def sum(self, x: Any, dim: int) -> Any:
        return self.torch.sum(x, dim=dim)

    def add(self, a: Any, b: Any) -> Any:
        return self.torch.add(a, b)

    def subtract(self, a: Any, b: Any) -> Any:
        return self.torch.subtract(a, b)

    def multiply(self, a: Any, b: Any) -> Any:
        return self.torch.multiply(a, b)

    def divide(self, a: Any, b: Any) -> Any:
        return self.torch.divide(a, b)

    def matmul(self, a: Any, b: Any) -> Any:
        return self.torch.matmul(a, b)

    def gather(self, x: Any, dim: int, index: Any) -> Any:
        return self.torch.gather(x, dim, index)

    def vmap(self, fn: Callable[[Array], Array], x: Any) -> Any:
        return self.torch.vmap(fn)(x)


class JaxMemory(XpMemory):
    """JAX: immutable arrays, so no view, contiguous, is_contiguous or setitem."""

    def detach(self, x: Any) -> Any:
        return self.jax.lax.stop_gradient(x)

    def vmap(self, fn: Callable[[Array], Array], x: Any) -> Any:
        return self.jax.vmap(fn)(x)
