"""The reference itself as a backend: arrays are :class:`reference.memory.Tensor` objects."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlspec.api import DTYPES, Array, Backend, Capabilities, Shape
from reference import memory as ref


class ReferenceBackend(Backend):
    """Runs the NumPy reference; aliasing means sharing one storage object."""

    name = "reference"
    capabilities = Capabilities(
        autograd=False,
        dtypes=frozenset(DTYPES) - {"bfloat16"},
        reasons={"autograd": "the reference has no autograd yet", "bfloat16": "NumPy has no bfloat16 storage"},
    )
    error_types = (ValueError, TypeError)

    @property
    def library(self) -> str:
        return f"dlspec reference (numpy {np.__version__})"

    def asarray(self, values: np.ndarray, dtype: str | None = None) -> ref.Tensor:
        return ref.from_numpy(np.asarray(values, dtype=self.dtype(dtype) if dtype else None))

    def to_numpy(self, x: ref.Tensor) -> np.ndarray:
        return ref.to_numpy(x)

    def dtype(self, name: str) -> np.dtype:
        if name not in self.capabilities.dtypes:
            raise TypeError(f"reference backend has no dtype {name!r}")
        return np.dtype(name)

    def dtype_name(self, x: ref.Tensor) -> str:
        return x.dtype.name

    def shape(self, x: ref.Tensor) -> tuple[int, ...]:
        return x.shape

    def shares_memory(self, a: ref.Tensor, b: ref.Tensor) -> bool:
        return ref.shares_storage(a, b)

    def strides(self, x: ref.Tensor) -> tuple[int, ...]:
        return x.strides

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
