"""JAX adapter: immutable arrays, so no views, strides or in-place writes."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlspec.api import DTYPES, Backend, Capabilities
from dlspec.backends.ops.attention import JaxAttention
from dlspec.backends.ops.autograd import JaxAutograd
from dlspec.backends.ops.broadcasting import JaxBroadcasting
from dlspec.backends.ops.decoding import JaxDecoding
from dlspec.backends.ops.dtypes import JaxDtypes
from dlspec.backends.ops.einsum import JaxEinsum
from dlspec.backends.ops.elementwise import JaxElementwise
from dlspec.backends.ops.kvcache import JaxKVCache
from dlspec.backends.ops.layers import JaxLayers
from dlspec.backends.ops.losses import JaxLosses
from dlspec.backends.ops.matmul import JaxMatmul
from dlspec.backends.ops.memory import JaxMemory
from dlspec.backends.ops.modules import JaxModules
from dlspec.backends.ops.normalization import JaxNormalization
from dlspec.backends.ops.optimizers import JaxOptimizers
from dlspec.backends.ops.parallel import JaxParallel
from dlspec.backends.ops.quantization import JaxQuantization
from dlspec.backends.ops.sequences import JaxSequences
from dlspec.backends.ops.shapes import JaxShapes

_IMMUTABLE = "jax arrays are immutable values: there are no views, strides or in-place writes"


class JaxBackend(JaxMemory, JaxShapes, JaxBroadcasting, JaxMatmul, JaxEinsum, JaxElementwise, JaxDtypes,
        JaxAutograd, JaxLayers, JaxNormalization, JaxLosses, JaxOptimizers, JaxModules,
        JaxAttention, JaxKVCache, JaxDecoding, JaxSequences, JaxQuantization, JaxParallel, Backend):
    """Thin adapter over ``jax.numpy`` with 64-bit types enabled (``jax_enable_x64``)."""

    name = "jax"
    capabilities = Capabilities(
        views=False,
        strides=False,
        inplace=False,
        autograd=True,
        dtypes=frozenset(DTYPES),
        devices=("cpu", "cuda"),
        reasons={"views": _IMMUTABLE, "strides": _IMMUTABLE, "inplace": _IMMUTABLE,
                 "graph": "jax differentiates functions (jax.vjp, jax.grad); it has no tensors with .grad, leaves or backward()",
                 "modules": "jax has no module system of its own (flax and equinox are separate libraries)",
                 "distributed": "the adapter does not start jax's multi-process runtime"},
    )
    error_types = (ValueError, TypeError, IndexError)

    def __init__(self, device: str = "cpu") -> None:
        super().__init__(device)
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        self.jax, self.jnp, self.xp = jax, jnp, jnp

    @property
    def library(self) -> str:
        return f"jax {self.jax.__version__}"

    def behaviour(self, name: str) -> str | None:
        """Declared behaviours, plus the float32 product precision: on a GPU, XLA multiplies
        float32 in TF32 unless ``jax_default_matmul_precision`` asks for "highest"/"float32"."""
        if name in ("float32_matmul_precision", "float32_conv_precision"):
            exact = self.jax.config.jax_default_matmul_precision in ("highest", "float32")
            return "ieee" if self.device == "cpu" or exact else "tf32"
        return super().behaviour(name)

    def unavailable(self) -> str | None:
        platform = "gpu" if self.device == "cuda" else "cpu"
        try:
            self.jax.devices(platform)
        except RuntimeError as exc:
            return f"jax has no {platform} device: {exc}"
        return None

    def asarray(self, values: np.ndarray, dtype: str | None = None) -> Any:
        # Converted on the host (NumPy knows JAX's dtypes, bfloat16 included), then only
        # transferred: a conversion on the device would compile once per shape.
        device = self.jax.devices("gpu" if self.device == "cuda" else "cpu")[0]
        values = np.asarray(values)
        if dtype is not None:
            values = values.astype(np.dtype(self.dtype(dtype)))
        return self.jax.device_put(values, device)

    def to_numpy(self, x: Any) -> np.ndarray:
        values = np.array(x, copy=True)  # bfloat16 comes back as ml_dtypes' bfloat16
        return values.astype(np.float32) if values.dtype == np.dtype(self.jnp.bfloat16) else values

    def dtype(self, name: str) -> Any:
        if name not in self.capabilities.dtypes:
            raise TypeError(f"jax has no dtype {name!r}")
        return getattr(self.jnp, "bool_" if name == "bool" else name)

    def dtype_name(self, x: Any) -> str:
        return str(x.dtype)

    def shape(self, x: Any) -> tuple[int, ...]:
        return tuple(x.shape)

    def vjp(self, fn: Any, primals: Any, cotangent: Any) -> list[Any]:
        _, pullback = self.jax.vjp(fn, *primals)
        return list(pullback(cotangent))

    def synchronize(self) -> None:
        (self.jnp.zeros(()) + 0).block_until_ready()
