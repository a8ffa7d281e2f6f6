"""Adapters' implementations of the float16 / bfloat16 operations (D01–D04), one mixin per
library; each backend class in ``dlspec.backends`` inherits its library's mixin.

``behaviours["float_alias"]`` declares which format the library's plain ``float`` names
(D04): libraries legitimately differ there, so the spec records each one's choice.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from dlspec.spec.dtypes import FINFO_KEYS
from reference import dtypes as ref
from reference import memory


class ReferenceDtypes:
    """The reference: float16 from the bits (:func:`reference.dtypes.to_bits16`); it has no
    bfloat16 storage and does not choose a meaning for ``"float"``."""

    def cast(self, x: memory.Tensor, dtype: str) -> memory.Tensor:
        return memory.from_numpy(ref.cast(memory.to_numpy(x), dtype))

    def bits16(self, x: memory.Tensor) -> memory.Tensor:
        return memory.from_numpy(ref.float16_bits(memory.to_numpy(x)))

    def finfo(self, dtype: str) -> dict[str, float]:
        info = ref.finfo(dtype)
        return {key: getattr(info, key) for key in FINFO_KEYS}

    def dtype_alias(self, alias: str) -> str:
        return ref.canonical_dtype(alias)


class NumpyDtypes:
    """NumPy (and CuPy, through ``self.xp``)."""

    # np.dtype(float) is Python's float, a C double (IEEE double precision).
    behaviours: ClassVar[dict[str, str]] = {"float_alias": "float64"}

    def cast(self, x: Any, dtype: str) -> Any:
        with np.errstate(over="ignore"):  # NumPy warns where a value overflows to ±inf, the spec's result
            return x.astype(self.dtype(dtype))

    def bits16(self, x: Any) -> Any:
        return x.view(self.xp.uint16)

    def finfo(self, dtype: str) -> dict[str, float]:
        info = self.xp.finfo(self.dtype(dtype))
        return {key: float(getattr(info, key)) for key in FINFO_KEYS}

    def dtype_alias(self, alias: str) -> str:
        return self.xp.dtype(alias).name


class TorchDtypes:
    """PyTorch."""

    # torch names dtypes after C types: torch.float is C's float, IEEE single precision.
    behaviours: ClassVar[dict[str, str]] = {"float_alias": "float32"}

    def cast(self, x: Any, dtype: str) -> Any:
        return x.to(self.dtype(dtype))

    def bits16(self, x: Any) -> Any:
        return x.view(self.torch.uint16)

    def finfo(self, dtype: str) -> dict[str, float]:
        info = self.torch.finfo(self.dtype(dtype))
        return {key: float(getattr(info, key)) for key in FINFO_KEYS}

    def dtype_alias(self, alias: str) -> str:
        dtype = getattr(self.torch, alias, None)
        if not isinstance(dtype, self.torch.dtype):
            raise TypeError(f"torch has no dtype named {alias!r}")
        return str(dtype).removeprefix("torch.")


class JaxDtypes:
    """JAX."""

    # jax reads float as NumPy does, as the default float width: float64 because the
    # adapter enables jax_enable_x64 (float32 without it).
    behaviours: ClassVar[dict[str, str]] = {"float_alias": "float64"}

    def cast(self, x: Any, dtype: str) -> Any:
        return x.astype(self.dtype(dtype))

    def bits16(self, x: Any) -> Any:
        return self.jax.lax.bitcast_convert_type(x, self.jnp.uint16)

    def finfo(self, dtype: str) -> dict[str, float]:
        info = self.jnp.finfo(self.dtype(dtype))
        return {key: float(getattr(info, key)) for key in FINFO_KEYS}

    def dtype_alias(self, alias: str) -> str:
        return self.jax.dtypes.canonicalize_dtype(alias).name
