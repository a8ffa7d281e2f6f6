"""The reference itself as a backend: arrays are :class:`reference.memory.Tensor` objects."""

from __future__ import annotations

import numpy as np

from dlspec.api import DTYPES, Backend, Capabilities
from dlspec.backends.ops.attention import ReferenceAttention
from dlspec.backends.ops.autograd import ReferenceAutograd
from dlspec.backends.ops.broadcasting import ReferenceBroadcasting
from dlspec.backends.ops.decoding import ReferenceDecoding
from dlspec.backends.ops.dtypes import ReferenceDtypes
from dlspec.backends.ops.einsum import ReferenceEinsum
from dlspec.backends.ops.elementwise import ReferenceElementwise
from dlspec.backends.ops.kvcache import ReferenceKVCache
from dlspec.backends.ops.layers import ReferenceLayers
from dlspec.backends.ops.losses import ReferenceLosses
from dlspec.backends.ops.matmul import ReferenceMatmul
from dlspec.backends.ops.memory import ReferenceMemory
from dlspec.backends.ops.modules import ReferenceModules
from dlspec.backends.ops.normalization import ReferenceNormalization
from dlspec.backends.ops.optimizers import ReferenceOptimizers
from dlspec.backends.ops.parallel import ReferenceParallel
from dlspec.backends.ops.quantization import ReferenceQuantization
from dlspec.backends.ops.sequences import ReferenceSequences
from dlspec.backends.ops.shapes import ReferenceShapes
from reference import memory as ref


class ReferenceBackend(ReferenceMemory, ReferenceShapes, ReferenceBroadcasting, ReferenceMatmul, ReferenceEinsum, ReferenceElementwise, ReferenceDtypes,
        ReferenceAutograd, ReferenceLayers, ReferenceNormalization, ReferenceLosses, ReferenceOptimizers, ReferenceModules,
        ReferenceAttention, ReferenceKVCache, ReferenceDecoding, ReferenceSequences, ReferenceQuantization, ReferenceParallel, Backend):
    """Runs the NumPy reference; aliasing means sharing one storage object."""

    name = "reference"
    capabilities = Capabilities(
        autograd=False,
        graph=True,
        distributed=True,
        dtypes=frozenset(DTYPES) - {"bfloat16"},
        reasons={"autograd": "the reference's gradients are central finite differences (the oracle), not a VJP",
                 "modules": "the reference pins module rules as functions, not as a module system",
                 "bfloat16": "NumPy has no bfloat16 storage"},
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
