"""NumPy adapter; :mod:`dlspec.backends.cupy` reuses it over the ``cupy`` module."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from dlspec.api import DTYPES, Array, Backend, Capabilities, Shape, composed


class NumpyBackend(Backend):
    """Thin adapter over an array module with NumPy's API (``xp``)."""

    name = "numpy"
    capabilities = Capabilities(
        autograd=False,
        dtypes=frozenset(DTYPES) - {"bfloat16"},
        reasons={"autograd": "numpy has no automatic differentiation", "bfloat16": "numpy has no bfloat16 dtype"},
    )
    error_types = (ValueError, TypeError, IndexError)
    xp: ModuleType = np

    @property
    def library(self) -> str:
        return f"{self.xp.__name__} {self.xp.__version__}"

    def asarray(self, values: np.ndarray, dtype: str | None = None) -> Any:
        return self.xp.array(values, dtype=self.dtype(dtype) if dtype else None, copy=True, order="C")

    def to_numpy(self, x: Any) -> np.ndarray:
        return np.array(x, copy=True)

    def dtype(self, name: str) -> Any:
        if name not in self.capabilities.dtypes:
            raise TypeError(f"{self.name} has no dtype {name!r}: {self.capabilities.reason(name)}")
        return self.xp.dtype(name)

    def dtype_name(self, x: Any) -> str:
        return x.dtype.name

    def shape(self, x: Any) -> tuple[int, ...]:
        return tuple(x.shape)

    def shares_memory(self, a: Any, b: Any) -> bool:
        return bool(self.xp.shares_memory(a, b))

    def strides(self, x: Any) -> tuple[int, ...]:
        return tuple(s // x.itemsize for s in x.strides)

    def view(self, x: Any, shape: Shape) -> Any:
        return self.xp.reshape(x, tuple(shape), copy=False)

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

    def setitem(self, x: Any, index: tuple[int | slice, ...], value: float) -> None:
        x[index] = value

    def contiguous(self, x: Any) -> Any:
        return self.xp.asarray(x, order="C")

    def is_contiguous(self, x: Any) -> bool:
        return bool(x.flags.c_contiguous)

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
        return self.xp.true_divide(a, b)

    def matmul(self, a: Any, b: Any) -> Any:
        return self.xp.matmul(a, b)

    def gather(self, x: Any, dim: int, index: Any) -> Any:
        return self.xp.take_along_axis(x, index, axis=dim)

    @composed
    def vmap(self, fn: Callable[[Array], Array], x: Any) -> Any:
        return self.xp.stack([fn(x[i]) for i in range(x.shape[0])])
