"""JAX adapter: immutable arrays, so no views, strides or in-place writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlspec.api import DTYPES, Array, Backend, Capabilities, Shape, composed

_IMMUTABLE = "jax arrays are immutable values: there are no views, strides or in-place writes"


class JaxBackend(Backend):
    """Thin adapter over ``jax.numpy`` with 64-bit types enabled (``jax_enable_x64``)."""

    name = "jax"
    capabilities = Capabilities(
        views=False,
        strides=False,
        inplace=False,
        autograd=True,
        dtypes=frozenset(DTYPES),
        devices=("cpu", "cuda"),
        reasons={"views": _IMMUTABLE, "strides": _IMMUTABLE, "inplace": _IMMUTABLE},
    )
    error_types = (ValueError, TypeError, IndexError)

    def __init__(self, device: str = "cpu") -> None:
        super().__init__(device)
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        self.jax, self.jnp = jax, jnp

    @property
    def library(self) -> str:
        return f"jax {self.jax.__version__}"

    def unavailable(self) -> str | None:
        platform = "gpu" if self.device == "cuda" else "cpu"
        try:
            self.jax.devices(platform)
        except RuntimeError as exc:
            return f"jax has no {platform} device: {exc}"
        return None

    def asarray(self, values: np.ndarray, dtype: str | None = None) -> Any:
        device = self.jax.devices("gpu" if self.device == "cuda" else "cpu")[0]
        values = np.asarray(values)
        if dtype == "bfloat16":
            values = values.astype(np.float32)
        return self.jax.device_put(self.jnp.array(values, dtype=self.dtype(dtype) if dtype else None), device)

    def to_numpy(self, x: Any) -> np.ndarray:
        if x.dtype == self.jnp.bfloat16:
            x = x.astype(self.jnp.float32)
        return np.array(x, copy=True)

    def dtype(self, name: str) -> Any:
        if name not in self.capabilities.dtypes:
            raise TypeError(f"jax has no dtype {name!r}")
        return getattr(self.jnp, "bool_" if name == "bool" else name)

    def dtype_name(self, x: Any) -> str:
        return str(x.dtype)

    def shape(self, x: Any) -> tuple[int, ...]:
        return tuple(x.shape)

    def synchronize(self) -> None:
        (self.jnp.zeros(()) + 0).block_until_ready()

    def reshape(self, x: Any, shape: Shape) -> Any:
        return self.jnp.reshape(x, tuple(shape))

    def transpose(self, x: Any, dim0: int, dim1: int) -> Any:
        return self.jnp.swapaxes(x, dim0, dim1)

    def permute(self, x: Any, dims: Shape) -> Any:
        return self.jnp.transpose(x, tuple(dims))

    def reverse_dims(self, x: Any) -> Any:
        return x.T

    @composed
    def expand(self, x: Any, shape: Shape) -> Any:
        lead = len(shape) - x.ndim
        target = tuple(x.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(shape))
        return self.jnp.broadcast_to(x, target)

    def unsqueeze(self, x: Any, dim: int) -> Any:
        return self.jnp.expand_dims(x, dim)

    def squeeze(self, x: Any, dim: int | None = None) -> Any:
        return self.jnp.squeeze(x, axis=dim)

    def getitem(self, x: Any, index: tuple[int | slice, ...]) -> Any:
        return x[index]

    def repeat(self, x: Any, sizes: Shape) -> Any:
        return self.jnp.tile(x, tuple(sizes))

    def detach(self, x: Any) -> Any:
        return self.jax.lax.stop_gradient(x)

    def clone(self, x: Any) -> Any:
        return self.jnp.array(x, copy=True)

    def sum(self, x: Any, dim: int) -> Any:
        return self.jnp.sum(x, axis=dim)

    def add(self, a: Any, b: Any) -> Any:
        return self.jnp.add(a, b)

    def subtract(self, a: Any, b: Any) -> Any:
        return self.jnp.subtract(a, b)

    def multiply(self, a: Any, b: Any) -> Any:
        return self.jnp.multiply(a, b)

    def divide(self, a: Any, b: Any) -> Any:
        return self.jnp.divide(a, b)

    def matmul(self, a: Any, b: Any) -> Any:
        return self.jnp.matmul(a, b)

    def gather(self, x: Any, dim: int, index: Any) -> Any:
        return self.jnp.take_along_axis(x, index, axis=dim)

    def vmap(self, fn: Callable[[Array], Array], x: Any) -> Any:
        return self.jax.vmap(fn)(x)
