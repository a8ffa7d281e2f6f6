"""Broken backends for element-wise ops, reductions and sampling (O01–O20), built on the
NumPy adapter."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from dlspec.backends.numpy import NumpyBackend


class Atan2SwappedArgs(NumpyBackend):
    """atan2 reads its arguments as (x, y) instead of (y, x) (O08)."""

    name, catches = "atan2-swapped-args", ("test_atan2", "test_atan2_signed_zeros_and_quadrants")

    def atan2(self, y: Any, x: Any) -> Any:
        return np.arctan2(x, y)


class AtanInFloat32(NumpyBackend):
    """atan computed in float32 whatever the input dtype, so float64 loses precision (O07)."""

    name, catches = "atan-in-float32", ("test_atan", "test_atan_notes_example")

    def atan(self, x: Any) -> Any:
        return np.arctan(x.astype(np.float32)).astype(x.dtype)


class LongFloors(NumpyBackend):
    """.long() rounds down, as the notes claim (O02), instead of truncating toward zero."""

    name, catches = "long-floors", ("test_long", "test_long_notes_example")

    def long(self, x: Any) -> Any:
        return np.floor(x).astype(np.int64) if x.dtype.kind == "f" else x.astype(np.int64)


class EmbeddingCastsFloatIndices(NumpyBackend):
    """embedding silently truncates floating indices instead of rejecting them (O03)."""

    name, catches = "embedding-casts-float-indices", ("test_embedding_needs_integer_indices",)

    def embedding(self, weight: Any, indices: Any) -> Any:
        return np.take(weight, indices.astype(np.int64), axis=0)


class DiffDefaultDim0(NumpyBackend):
    """diff differences along the first dimension by default (O04: the default is -1)."""

    name, catches = "diff-default-dim-0", ("test_diff", "test_diff_examples")

    def diff(self, x: Any, n: int = 1, dim: int = 0, prepend: Any = None, append: Any = None) -> Any:
        return super().diff(x, n, dim, prepend, append)


class DiffFirstOrderOnly(NumpyBackend):
    """diff ignores n and always takes one difference (O06)."""

    name, catches = "diff-first-order-only", ("test_diff", "test_diff_examples")

    def diff(self, x: Any, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Any:
        return super().diff(x, 1, dim, prepend, append)


class ClampMaxFirst(NumpyBackend):
    """clamp lowers to max before raising to min, so min > max gives min, not max (O09)."""

    name, catches = "clamp-max-first", ("test_clamp", "test_clamp_examples")

    def clamp(self, x: Any, min: float | None = None, max: float | None = None) -> Any:
        return np.clip(np.clip(x, None, max), min, None)


class MaxDimLastTie(NumpyBackend):
    """max(x, dim) reports the LAST of equal maxima (O12: the first)."""

    name, catches = "max-dim-last-tie", ("test_max_dim", "test_max_dim_examples")

    def max_dim(self, x: Any, dim: int) -> tuple[Any, Any]:
        flipped = np.flip(x, axis=dim)
        return np.max(x, axis=dim), x.shape[dim] - 1 - np.argmax(flipped, axis=dim)


class NeBySubtraction(NumpyBackend):
    """a != b computed as (a - b) != 0, wrong for inf against inf (O13)."""

    name, catches = "ne-by-subtraction", ("test_ne", "test_ne_examples")

    def ne(self, a: Any, b: Any) -> Any:
        with np.errstate(invalid="ignore"):
            return np.not_equal(np.subtract(a, b, dtype=np.float64), 0)


class ItemReturnsArray(NumpyBackend):
    """item() returns a 0-d array instead of a Python number (O17, O18)."""

    name, catches = "item-returns-array", ("test_item",)

    def item(self, x: Any) -> Any:
        return x.reshape(())


class RandintHighInclusive(NumpyBackend):
    """randint includes high (O19: high is exclusive)."""

    name, catches = "randint-high-inclusive", ("test_randint_range", "test_randint_covers_range_uniformly")

    def randint(self, low: int, high: int, shape: Any, seed: int) -> Any:
        return np.random.default_rng(seed).integers(low, high, tuple(shape), endpoint=True)


class MultinomialIgnoresWeights(NumpyBackend):
    """multinomial draws every category uniformly, whatever the weights (O16)."""

    name, catches = "multinomial-ignores-weights", ("test_multinomial_properties", "test_multinomial_frequencies_match_weights")

    def multinomial(self, weights: Any, num_samples: int, replacement: bool = False, seed: int = 0) -> Any:
        return super().multinomial(np.ones_like(weights), num_samples, replacement, seed)


class MultinomialAlwaysReplaces(NumpyBackend):
    """multinomial ignores replacement=False, so indices repeat (O16)."""

    name, catches = "multinomial-always-replaces", ("test_multinomial_properties", "test_multinomial_keyword_is_num_samples")

    def multinomial(self, weights: Any, num_samples: int, replacement: bool = False, seed: int = 0) -> Any:
        return super().multinomial(weights, num_samples, True, seed)


class DeclaresTorchClamp(NumpyBackend):
    """declares torch's clamp_no_bounds="error" while np.clip returns the values (O09)."""

    name, catches = "declares-torch-clamp", ("test_declared_behaviour",)
    behaviours: ClassVar[dict[str, str]] = {"clamp_no_bounds": "error"}
