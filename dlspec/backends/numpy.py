"""NumPy adapter; :mod:`dlspec.backends.cupy` reuses it over the ``cupy`` module."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from dlspec.api import DTYPES, Backend, Capabilities
from dlspec.backends.ops.attention import NumpyAttention
from dlspec.backends.ops.autograd import NumpyAutograd
from dlspec.backends.ops.broadcasting import NumpyBroadcasting
from dlspec.backends.ops.decoding import NumpyDecoding
from dlspec.backends.ops.dtypes import NumpyDtypes
from dlspec.backends.ops.einsum import NumpyEinsum
from dlspec.backends.ops.elementwise import NumpyElementwise
from dlspec.backends.ops.kvcache import NumpyKVCache
from dlspec.backends.ops.layers import NumpyLayers
from dlspec.backends.ops.losses import NumpyLosses
from dlspec.backends.ops.matmul import NumpyMatmul
from dlspec.backends.ops.memory import NumpyMemory
from dlspec.backends.ops.modules import NumpyModules
from dlspec.backends.ops.normalization import NumpyNormalization
from dlspec.backends.ops.optimizers import NumpyOptimizers
from dlspec.backends.ops.parallel import NumpyParallel
from dlspec.backends.ops.quantization import NumpyQuantization
from dlspec.backends.ops.sequences import NumpySequences
from dlspec.backends.ops.shapes import NumpyShapes


class NumpyBackend(NumpyMemory, NumpyShapes, NumpyBroadcasting, NumpyMatmul, NumpyEinsum, NumpyElementwise, NumpyDtypes,
        NumpyAutograd, NumpyLayers, NumpyNormalization, NumpyLosses, NumpyOptimizers, NumpyModules,
        NumpyAttention, NumpyKVCache, NumpyDecoding, NumpySequences, NumpyQuantization, NumpyParallel, Backend):
    """Thin adapter over an array module with NumPy's API (``xp``)."""

    name = "numpy"
    capabilities = Capabilities(
        autograd=False,
        dtypes=frozenset(DTYPES) - {"bfloat16"},
        reasons={"autograd": "numpy has no automatic differentiation", "bfloat16": "numpy has no bfloat16 dtype",
                 "graph": "numpy has no automatic differentiation", "modules": "numpy has no module system",
                 "distributed": "numpy has no collectives"},
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
