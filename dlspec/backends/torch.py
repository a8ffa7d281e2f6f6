"""PyTorch adapter (``--device=cpu`` or ``--device=cuda``)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from dlspec.api import DTYPES, Array, Backend, Capabilities, Shape


class TorchBackend(Backend):
    """Thin adapter over ``torch``; aliasing means sharing one untyped storage (T09)."""

    name = "torch"
    capabilities = Capabilities(autograd=True, dtypes=frozenset(DTYPES), devices=("cpu", "cuda"))
    error_types = (RuntimeError, ValueError, TypeError, IndexError)

    def __init__(self, device: str = "cpu") -> None:
        super().__init__(device)
        import torch

        self.torch = torch

    @property
    def library(self) -> str:
        return f"torch {self.torch.__version__}"

    def unavailable(self) -> str | None:
        if self.device == "cuda" and not self.torch.cuda.is_available():
            return "torch reports no CUDA device (torch.cuda.is_available() is False)"
        return None

    def asarray(self, values: np.ndarray, dtype: str | None = None) -> Any:
        values = np.asarray(values)
        if dtype == "bfloat16":  # numpy has no bfloat16: pass float32 and let torch round
            values = values.astype(np.float32)
        return self.torch.tensor(values, dtype=self.dtype(dtype) if dtype else None, device=self.device)

    def to_numpy(self, x: Any) -> np.ndarray:
        x = x.detach().cpu()
        if x.dtype == self.torch.bfloat16:
            x = x.float()
        return np.array(x.numpy(), copy=True)

    def dtype(self, name: str) -> Any:
        if name not in self.capabilities.dtypes:
            raise TypeError(f"torch has no dtype {name!r}")
        return getattr(self.torch, name)

    def dtype_name(self, x: Any) -> str:
        return str(x.dtype).removeprefix("torch.")

    def shape(self, x: Any) -> tuple[int, ...]:
        return tuple(x.shape)

    def shares_memory(self, a: Any, b: Any) -> bool:
        return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()

    def strides(self, x: Any) -> tuple[int, ...]:
        return tuple(x.stride())

    def synchronize(self) -> None:
        if self.device == "cuda":
            self.torch.cuda.synchronize()

    def device_name(self) -> str:
        return self.torch.cuda.get_device_name() if self.device == "cuda" else "cpu"

    def event_pair(self) -> tuple[Any, Any] | None:
        if self.device != "cuda":
            return None
        return self.torch.cuda.Event(enable_timing=True), self.torch.cuda.Event(enable_timing=True)

    def l2_cache_bytes(self) -> int | None:
        if self.device != "cuda":
            return None
        return int(self.torch.cuda.get_device_properties(self.torch.cuda.current_device()).L2_cache_size)

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
