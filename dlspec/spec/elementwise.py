"""Spec operations of element-wise ops, reductions and sampling (catalogue O01–O20)."""

from __future__ import annotations

from dlspec.spec import Array, Shape, spec_op


class ElementwiseOps:
    """Conversions, differences, trigonometry, clamp, max along a dim, inequality, item and
    seeded sampling (randint, multinomial)."""

    @spec_op("O01 O02")
    def long(self, x: Array) -> Array:
        """``x.long()``: int64 values, floats truncated toward zero (not floored)."""

    @spec_op("O03")
    def embedding(self, weight: Array, indices: Array) -> Array:
        """The rows of the ``(num_embeddings, dim)`` table ``weight`` picked by integer
        ``indices`` (``nn.Embedding``); floating indices raise."""

    @spec_op("O04 O05 O06")
    def diff(self, x: Array, n: int = 1, dim: int = -1, prepend: Array | None = None,
             append: Array | None = None) -> Array:
        """The ``n``-th forward difference along ``dim`` (default: the last dimension)."""

    @spec_op("O07")
    def atan(self, x: Array) -> Array:
        """Element-wise arctangent, in ``[-π/2, π/2]``."""

    @spec_op("O08")
    def atan2(self, y: Array, x: Array) -> Array:
        """Element-wise angle of ``(x, y)``, ``y`` first, in the closed range ``[-π, π]``."""

    @spec_op("O09 O10 O11")
    def clamp(self, x: Array, min: float | None = None, max: float | None = None) -> Array:
        """Every element raised to ``min``, then lowered to ``max`` (either may be omitted)."""

    @spec_op("O12")
    def max_dim(self, x: Array, dim: int) -> tuple[Array, Array]:
        """``torch.max(x, dim)``: ``(values, indices)`` along ``dim``; ties give the first index."""

    @spec_op("O13")
    def ne(self, a: Array, b: Array | float) -> Array:
        """Element-wise ``a != b`` with broadcasting, as a bool array."""

    @spec_op("O17 O18")
    def item(self, x: Array) -> float | int | bool:
        """The element of a one-element array as a plain Python number."""

    @spec_op("O19 O20")
    def randint(self, low: int, high: int, shape: Shape, seed: int) -> Array:
        """int64 values uniform in ``[low, high)`` (``high`` exclusive), from generator ``seed``."""

    @spec_op("O14 O15 O16")
    def multinomial(self, weights: Array, num_samples: int, replacement: bool = False, seed: int = 0) -> Array:
        """``num_samples`` category indices per row of non-negative, unnormalised ``weights``,
        from generator ``seed``."""
