"""A toy third-party backend for dlspec: "mylib" keeps its arrays as NumPy arrays and
implements only part of the spec, so the rest is reported as not implemented."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlspec import Backend, Capabilities, composed

__all__ = ["MyLibBackend"]


class MyLibBackend(Backend):
    """The smallest useful adapter: conversions, aliasing, strides and five operations."""

    name = "mylib"
    capabilities = Capabilities(dtypes=frozenset({"float64", "float32", "int64", "bool"}),
                                reasons={"autograd": "mylib has no autograd"})
    error_types = (ValueError,)

    @property
    def library(self) -> str:
        return "mylib 0.1.0 (toy, over numpy)"

    def asarray(self, values: np.ndarray, dtype: str | None = None) -> np.ndarray:
        return np.array(values, dtype=self.dtype(dtype) if dtype else None, copy=True)

    def to_numpy(self, x: np.ndarray) -> np.ndarray:
        return np.array(x, copy=True)

    def dtype(self, name: str) -> np.dtype:
        if name not in self.capabilities.dtypes:
            raise TypeError(f"mylib has no dtype {name!r}")
        return np.dtype(name)

    def dtype_name(self, x: np.ndarray) -> str:
        return x.dtype.name

    def shape(self, x: np.ndarray) -> tuple[int, ...]:
        return x.shape

    def shares_memory(self, a: np.ndarray, b: np.ndarray) -> bool:
        return bool(np.shares_memory(a, b))

    def strides(self, x: np.ndarray) -> tuple[int, ...]:
        return tuple(s // x.itemsize for s in x.strides)

    def reshape(self, x: np.ndarray, shape: Any) -> np.ndarray:
        return np.reshape(x, tuple(shape))

    def transpose(self, x: np.ndarray, dim0: int, dim1: int) -> np.ndarray:
        return np.swapaxes(x, dim0, dim1)

    def permute(self, x: np.ndarray, dims: Any) -> np.ndarray:
        return np.transpose(x, tuple(dims))

    def getitem(self, x: np.ndarray, index: tuple) -> np.ndarray:
        return x[(*index, Ellipsis)]

    @composed
    def clone(self, x: np.ndarray) -> np.ndarray:
        out = np.empty(x.shape, dtype=x.dtype)
        out[...] = x
        return out
