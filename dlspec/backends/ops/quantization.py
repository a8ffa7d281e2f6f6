"""Adapters' implementations of int8 quantization and LLM.int8() decomposition (Q01–Q03), one mixin per library;
each backend class in ``dlspec.backends`` inherits its library's mixin.

No library has absmax quantization or LLM.int8() as one public call (bitsandbytes is a
separate CUDA package), so each is composed from the library's abs, max, round (half to
even in all three), clip and matmul, in the input's dtype; the int8 product is accumulated
in int32 (``jax.lax.dot`` with ``preferred_element_type``; NumPy and torch on the CPU multiply
int32 copies; CUDA has no integer matmul in torch's public API, so there it multiplies
float64 copies, exact for inner sizes below 2**53 / 127**2).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from dlspec.spec import composed
from reference import memory
from reference import quantization as ref
from reference.memory import Tensor


class ReferenceQuantization:
    """The reference: results in the input's dtype."""

    def quantize_absmax(self, x: Tensor, axis: int | None = None) -> tuple[Tensor, Tensor]:
        values = memory.to_numpy(x)
        q, scale = ref.quantize_absmax(values, axis)
        return memory.from_numpy(q), memory.from_numpy(scale.astype(values.dtype))

    def dequantize_absmax(self, q: Tensor, scale: Tensor) -> Tensor:
        s = memory.to_numpy(scale)
        return memory.from_numpy(ref.dequantize(memory.to_numpy(q), s).astype(s.dtype))

    def int8_matmul(self, a: Tensor, b: Tensor) -> Tensor:
        return memory.from_numpy(ref.int8_matmul(memory.to_numpy(a), memory.to_numpy(b)))

    def llm_int8_matmul(self, x: Tensor, w: Tensor, threshold: float = ref.THRESHOLD) -> Tensor:
        values = memory.to_numpy(x)
        return memory.from_numpy(ref.llm_int8_matmul(values, memory.to_numpy(w), threshold).astype(values.dtype))


class Int8Decomposition:
    """LLM.int8() from the backend's own quantize and int8 product; a library supplies
    ``_outliers`` (the outlier columns), ``_keep`` (``where(mask, values, 0)``),
    ``_product`` (its float matmul) and ``_as`` (a cast to another array's dtype)."""

    @composed
    def llm_int8_matmul(self, x: Any, w: Any, threshold: float = ref.THRESHOLD) -> Any:
        outliers = self._outliers(x, threshold)
        regular_x, regular_w = self._keep(~outliers[None, :], x), self._keep(~outliers[:, None], w)
        qx, sx = self.quantize_absmax(regular_x, 1)
        qw, sw = self.quantize_absmax(regular_w, 0)
        regular = self._as(self.int8_matmul(qx, qw), x) / (sx * sw)
        return regular + self._product(self._keep(outliers[None, :], x), self._keep(outliers[:, None], w))


class XpQuantization(Int8Decomposition):
    """Libraries with NumPy's API under ``self.xp``: NumPy, CuPy and ``jax.numpy``."""

    @composed
    def quantize_absmax(self, x: Any, axis: int | None = None) -> tuple[Any, Any]:
        xp = self.xp
        top = xp.asarray(xp.max(xp.abs(x), axis=axis, keepdims=axis is not None))
        scale = 127 / xp.where(top == 0, 127, top)
        return xp.clip(xp.round(x * scale), -127, 127).astype(xp.int8), scale

    def dequantize_absmax(self, q: Any, scale: Any) -> Any:
        return q.astype(scale.dtype) / scale

    def _outliers(self, x: Any, threshold: float) -> Any:
        return self.xp.any(self.xp.abs(x) >= threshold, axis=0)

    def _keep(self, mask: Any, values: Any) -> Any:
        return self.xp.where(mask, values, self.xp.zeros((), values.dtype))

    def _product(self, a: Any, b: Any) -> Any:
        return self.xp.matmul(a, b)

    def _as(self, values: Any, like: Any) -> Any:
        return values.astype(like.dtype)


class NumpyQuantization(XpQuantization):
    """NumPy (and CuPy, through ``self.xp``)."""

    @composed
    def int8_matmul(self, a: Any, b: Any) -> Any:
        if a.dtype != self.xp.int8 or b.dtype != self.xp.int8:
            raise TypeError(f"int8_matmul takes int8 matrices, got {a.dtype} and {b.dtype}")
        return self.xp.matmul(a.astype(self.xp.int32), b.astype(self.xp.int32))


class TorchQuantization(Int8Decomposition):
    """PyTorch."""

    @composed
    def quantize_absmax(self, x: Any, axis: int | None = None) -> tuple[Any, Any]:
        torch = self.torch
        top = x.abs().amax() if axis is None else x.abs().amax(dim=axis, keepdim=True)
        absmax = torch.where(top == 0, 127, top)
        # torch computes ``127 / tensor`` as ``reciprocal(tensor) * 127``, two roundings: divide tensors.
        scale = torch.full_like(absmax, 127) / absmax
        return torch.round(x * scale).clamp(-127, 127).to(torch.int8), scale

    def dequantize_absmax(self, q: Any, scale: Any) -> Any:
        return q.to(scale.dtype) / scale

    @composed
    def int8_matmul(self, a: Any, b: Any) -> Any:
        torch = self.torch
        if a.dtype != torch.int8 or b.dtype != torch.int8:
            raise TypeError(f"int8_matmul takes int8 matrices, got {a.dtype} and {b.dtype}")
        wide = torch.int32 if a.device.type == "cpu" else torch.float64
        return torch.matmul(a.to(wide), b.to(wide)).to(torch.int32)

    def _outliers(self, x: Any, threshold: float) -> Any:
        return (x.abs() >= threshold).any(dim=0)

    def _keep(self, mask: Any, values: Any) -> Any:
        return values.masked_fill(~mask, 0)

    def _product(self, a: Any, b: Any) -> Any:
        return self.torch.matmul(a, b)

    def _as(self, values: Any, like: Any) -> Any:
        return values.to(like.dtype)


class JaxQuantization(XpQuantization):
    """JAX: the int8 product is ``jax.lax.dot`` accumulating in int32; the composed ops are
    jitted (one compilation per shape instead of one per primitive)."""

    @composed
    def quantize_absmax(self, x: Any, axis: int | None = None) -> tuple[Any, Any]:
        return self._quantization_jit["quantize_absmax"](x, axis)

    @composed
    def llm_int8_matmul(self, x: Any, w: Any, threshold: float = ref.THRESHOLD) -> Any:
        return self._quantization_jit["llm_int8_matmul"](x, w, threshold)

    @functools.cached_property
    def _quantization_jit(self) -> dict[str, Callable[..., Any]]:
        """The NumPy-API compositions under ``jax.jit``; the axis is static."""
        return {"quantize_absmax": self.jax.jit(functools.partial(XpQuantization.quantize_absmax, self),
                                                static_argnums=(1,)),
                "llm_int8_matmul": self.jax.jit(functools.partial(Int8Decomposition.llm_int8_matmul, self))}

    def int8_matmul(self, a: Any, b: Any) -> Any:
        if a.dtype != self.xp.int8 or b.dtype != self.xp.int8:
            raise TypeError(f"int8_matmul takes int8 matrices, got {a.dtype} and {b.dtype}")
        return self.jax.lax.dot(a, b, preferred_element_type=self.xp.int32)
