"""CuPy adapter: the NumPy adapter over the ``cupy`` module, on a CUDA device."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from dlspec.api import Shape, composed
from dlspec.backends.numpy import NumpyBackend


class CupyBackend(NumpyBackend):
    """CuPy on the current CUDA device; every test is skipped, with the reason, without one."""

    name = "cupy"
    capabilities = replace(NumpyBackend.capabilities, devices=("cuda",), reasons={
        **NumpyBackend.capabilities.reasons,
        "autograd": "cupy has no automatic differentiation",
        "bfloat16": "cupy has no bfloat16 dtype",
    })

    error_types = (*NumpyBackend.error_types, AttributeError)

    def __init__(self, device: str = "cuda") -> None:
        super().__init__("cuda" if device == "cpu" else device)
        try:
            import cupy
        except ImportError as exc:  # a machine without CUDA has no cupy: skip, don't abort
            self.xp, self.missing = None, f"cupy is not installed ({exc}); pip install 'dlspec[cuda12]' or '[cuda13]'"
        else:
            self.xp, self.missing = cupy, None

    @property
    def library(self) -> str:
        return f"cupy {self.xp.__version__}" if self.xp is not None else "cupy (not installed)"

    def unavailable(self) -> str | None:
        if self.missing is not None:
            return self.missing
        try:
            count = self.xp.cuda.runtime.getDeviceCount()
        except Exception as exc:  # the CUDA driver is missing or broken
            return f"cupy cannot reach a CUDA device: {exc}"
        return None if count else "cupy found no CUDA device"

    def to_numpy(self, x: Any) -> np.ndarray:
        return self.xp.asnumpy(x)

    @composed
    def view(self, x: Any, shape: Shape) -> Any:
        out = x.view()
        out.shape = tuple(shape)  # raises AttributeError when a copy would be needed
        return out

    def synchronize(self) -> None:
        self.xp.cuda.Device().synchronize()

    def device_name(self) -> str:
        props = self.xp.cuda.runtime.getDeviceProperties(self.xp.cuda.Device().id)
        return props["name"].decode()

    def event_pair(self) -> tuple[Any, Any]:
        return self.xp.cuda.Event(), self.xp.cuda.Event()

    def l2_cache_bytes(self) -> int:
        props = self.xp.cuda.runtime.getDeviceProperties(self.xp.cuda.Device().id)
        return int(props["l2CacheSize"])
