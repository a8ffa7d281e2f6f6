"""Adapters' implementations of the broadcasting operations (B01–B09), one mixin per
library; each backend class in ``dlspec.backends`` inherits its library's mixin.

``behaviours["broadcast_to_minus_one"]`` declares what a size ``-1`` in ``broadcast_to``
does, where libraries legitimately differ (the choices of :func:`reference.broadcasting.broadcast_to`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from dlspec.spec import Shape
from reference import broadcasting as ref
from reference.memory import Tensor


class ReferenceBroadcasting:
    """The reference: arrays are ``reference.memory.Tensor`` objects."""

    behaviours: ClassVar[dict[str, str]] = {"broadcast_to_minus_one": "error"}  # a shape holds sizes; -1 is expand's spelling (T19)

    def broadcast_shapes(self, *shapes: Shape) -> tuple[int, ...]:
        return ref.broadcast_shapes(*shapes)

    def broadcast_to(self, x: Tensor, shape: Shape) -> Tensor:
        return ref.broadcast_to(x, shape)

    def broadcast_add(self, a: Tensor, b: Tensor) -> Tensor:
        return ref.broadcast_op(np.add, a, b)

    def broadcast_multiply(self, a: Tensor, b: Tensor) -> Tensor:
        return ref.broadcast_op(np.multiply, a, b)


class XpBroadcasting:
    """Libraries with NumPy's API under ``self.xp``: NumPy, CuPy and ``jax.numpy``."""

    # np.broadcast_to and jnp.broadcast_to take sizes only: -1 raises.
    behaviours: ClassVar[dict[str, str]] = {"broadcast_to_minus_one": "error"}

    def broadcast_to(self, x: Any, shape: Shape) -> Any:
        return self.xp.broadcast_to(x, tuple(shape))

    def broadcast_add(self, a: Any, b: Any) -> Any:
        return self.xp.add(a, b)

    def broadcast_multiply(self, a: Any, b: Any) -> Any:
        return self.xp.multiply(a, b)


class NumpyBroadcasting(XpBroadcasting):
    """NumPy (and CuPy, through ``self.xp``)."""

    def broadcast_shapes(self, *shapes: Shape) -> tuple[int, ...]:
        # NumPy's even under CuPy, which has no broadcast_shapes: shapes live on the host.
        return np.broadcast_shapes(*shapes)


class TorchBroadcasting:
    """PyTorch."""

    # torch.broadcast_to is Tensor.expand, where -1 keeps an existing dimension's size.
    behaviours: ClassVar[dict[str, str]] = {"broadcast_to_minus_one": "keep"}

    def broadcast_shapes(self, *shapes: Shape) -> tuple[int, ...]:
        return tuple(self.torch.broadcast_shapes(*shapes))

    def broadcast_to(self, x: Any, shape: Shape) -> Any:
        return self.torch.broadcast_to(x, tuple(shape))

    def broadcast_add(self, a: Any, b: Any) -> Any:
        return self.torch.add(a, b)

    def broadcast_multiply(self, a: Any, b: Any) -> Any:
        return self.torch.multiply(a, b)


class JaxBroadcasting(XpBroadcasting):
    """JAX."""

    def broadcast_shapes(self, *shapes: Shape) -> tuple[int, ...]:
        return tuple(self.jnp.broadcast_shapes(*shapes))
