"""PyTorch adapter (``--device=cpu`` or ``--device=cuda``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlspec.api import DTYPES, Backend, Capabilities
from dlspec.backends.ops.attention import TorchAttention
from dlspec.backends.ops.autograd import TorchAutograd
from dlspec.backends.ops.broadcasting import TorchBroadcasting
from dlspec.backends.ops.decoding import TorchDecoding
from dlspec.backends.ops.dtypes import TorchDtypes
from dlspec.backends.ops.einsum import TorchEinsum
from dlspec.backends.ops.elementwise import TorchElementwise
from dlspec.backends.ops.kvcache import TorchKVCache
from dlspec.backends.ops.layers import TorchLayers
from dlspec.backends.ops.losses import TorchLosses
from dlspec.backends.ops.matmul import TorchMatmul
from dlspec.backends.ops.memory import TorchMemory
from dlspec.backends.ops.modules import TorchModules
from dlspec.backends.ops.normalization import TorchNormalization
from dlspec.backends.ops.optimizers import TorchOptimizers
from dlspec.backends.ops.parallel import TorchParallel
from dlspec.backends.ops.quantization import TorchQuantization
from dlspec.backends.ops.sequences import TorchSequences
from dlspec.backends.ops.shapes import TorchShapes


class TorchBackend(TorchMemory, TorchShapes, TorchBroadcasting, TorchMatmul, TorchEinsum, TorchElementwise, TorchDtypes,
        TorchAutograd, TorchLayers, TorchNormalization, TorchLosses, TorchOptimizers, TorchModules,
        TorchAttention, TorchKVCache, TorchDecoding, TorchSequences, TorchQuantization, TorchParallel, Backend):
    """Thin adapter over ``torch``; aliasing means sharing one untyped storage (T09)."""

    name = "torch"
    capabilities = Capabilities(autograd=True, graph=True, modules=True, distributed=True, dtypes=frozenset(DTYPES),
                                devices=("cpu", "cuda"))
    error_types = (RuntimeError, ValueError, TypeError, IndexError)

    def __init__(self, device: str = "cpu") -> None:
        super().__init__(device)
        import torch

        self.torch = torch

    @property
    def library(self) -> str:
        return f"torch {self.torch.__version__}"

    def behaviour(self, name: str) -> str | None:
        """Declared behaviours, plus the float32 product precision read from torch's switches:
        on CUDA, cuDNN convolutions use TF32 by default (``torch.backends.cudnn.allow_tf32``)
        and matmuls when ``torch.backends.cuda.matmul.allow_tf32`` is set; the CPU never does."""
        switch = {"float32_matmul_precision": lambda: self.torch.backends.cuda.matmul.allow_tf32,
                  "float32_conv_precision": lambda: self.torch.backends.cudnn.allow_tf32}.get(name)
        if switch is not None:
            return "tf32" if self.device == "cuda" and switch() else "ieee"
        return super().behaviour(name)

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

    def vjp(self, fn: Any, primals: Any, cotangent: Any) -> list[Any]:
        inputs = [p.detach().clone().requires_grad_(True) for p in primals]
        grads = self.torch.autograd.grad(fn(*inputs), inputs, cotangent, allow_unused=True)
        return [self.torch.zeros_like(p) if g is None else g for g, p in zip(grads, inputs)]

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
