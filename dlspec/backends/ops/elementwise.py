"""Adapters' implementations of the element-wise, reduction and sampling operations
(O01–O20), one mixin per library; each backend class in ``dlspec.backends`` inherits its
library's mixin.

Each mixin's ``behaviours`` declares the library's choice where libraries legitimately
differ (the values are the keyword choices of :mod:`reference.elementwise`):

* ``clamp_no_bounds``: ``clamp`` with neither ``min`` nor ``max``;
* ``embedding_small_int_indices``: int8 / int16 / uint8 embedding indices;
* ``randint_empty_range``: ``randint`` with ``high <= low``;
* ``multinomial_exhausted``: more draws without replacement than non-zero weights;
* ``multinomial_invalid_weights``: negative, NaN, infinite or all-zero weights;
* ``multinomial_zero_samples``: ``num_samples = 0``.

Samplers take a ``seed`` and build the library's own seeded generator from it (a
``torch.Generator``, a ``numpy.random.Generator``, a JAX key): seeding is not composition.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from dlspec.spec import Shape, composed
from reference import elementwise as ref
from reference import memory


class ReferenceElementwise:
    """The reference: arrays are ``reference.memory.Tensor`` objects; it follows torch's
    choice wherever libraries differ."""

    behaviours: ClassVar[dict[str, str]] = {
        "clamp_no_bounds": "error",
        "embedding_small_int_indices": "error",
        "randint_empty_range": "error",
        "multinomial_exhausted": "zero_weight_last",
        "multinomial_invalid_weights": "error",
        "multinomial_zero_samples": "error",
    }

    def long(self, x: memory.Tensor) -> memory.Tensor:
        return memory.from_numpy(ref.long(memory.to_numpy(x)))

    def embedding(self, weight: memory.Tensor, indices: memory.Tensor) -> memory.Tensor:
        return memory.from_numpy(ref.embedding(memory.to_numpy(weight), memory.to_numpy(indices)))

    def diff(self, x: memory.Tensor, n: int = 1, dim: int = -1, prepend: memory.Tensor | None = None,
             append: memory.Tensor | None = None) -> memory.Tensor:
        return memory.from_numpy(ref.diff(memory.to_numpy(x), n, dim, _values(prepend), _values(append)))

    def atan(self, x: memory.Tensor) -> memory.Tensor:
        return memory.from_numpy(ref.atan(memory.to_numpy(x)))

    def atan2(self, y: memory.Tensor, x: memory.Tensor) -> memory.Tensor:
        return memory.from_numpy(ref.atan2(memory.to_numpy(y), memory.to_numpy(x)))

    def clamp(self, x: memory.Tensor, min: float | None = None, max: float | None = None) -> memory.Tensor:
        return memory.from_numpy(ref.clamp(memory.to_numpy(x), min, max))

    def max_dim(self, x: memory.Tensor, dim: int) -> tuple[memory.Tensor, memory.Tensor]:
        values, indices = ref.max_dim(memory.to_numpy(x), dim)
        return memory.from_numpy(values), memory.from_numpy(indices)

    def ne(self, a: memory.Tensor, b: memory.Tensor | float) -> memory.Tensor:
        return memory.from_numpy(ref.ne(memory.to_numpy(a), _values(b)))

    def item(self, x: memory.Tensor) -> float | int | bool:
        return ref.item(memory.to_numpy(x))

    def randint(self, low: int, high: int, shape: Shape, seed: int) -> memory.Tensor:
        return memory.from_numpy(ref.randint(low, high, [_values(s) for s in shape], seed))

    def multinomial(self, weights: memory.Tensor, num_samples: int, replacement: bool = False,
                    seed: int = 0) -> memory.Tensor:
        return memory.from_numpy(ref.multinomial(memory.to_numpy(weights), num_samples, replacement, seed))


def _values(x: Any) -> Any:
    """A reference tensor's values as NumPy; anything else (None, a number) as it is."""
    return memory.to_numpy(x) if isinstance(x, memory.Tensor) else x


def _join_keywords(prepend: Any, append: Any) -> dict[str, Any]:
    """The ``prepend`` / ``append`` keywords that were given: NumPy's ``diff`` reads a
    ``None`` as a value to join."""
    return {name: v for name, v in (("prepend", prepend), ("append", append)) if v is not None}


class XpElementwise:
    """Libraries with NumPy's API under ``self.xp``: NumPy, CuPy and ``jax.numpy``."""

    def long(self, x: Any) -> Any:
        return x.astype(self.xp.int64)

    def embedding(self, weight: Any, indices: Any) -> Any:
        return self.xp.take(weight, indices, axis=0)

    def atan(self, x: Any) -> Any:
        return self.xp.arctan(x)

    def atan2(self, y: Any, x: Any) -> Any:
        return self.xp.arctan2(y, x)

    def clamp(self, x: Any, min: float | None = None, max: float | None = None) -> Any:
        return self.xp.clip(x, min, max)

    @composed
    def max_dim(self, x: Any, dim: int) -> tuple[Any, Any]:
        return self.xp.max(x, axis=dim), self.xp.argmax(x, axis=dim)

    def ne(self, a: Any, b: Any) -> Any:
        return self.xp.not_equal(a, b)

    def item(self, x: Any) -> float | int | bool:
        return x.item()


class NumpyElementwise(XpElementwise):
    """NumPy (and CuPy, through ``self.xp``)."""

    behaviours: ClassVar[dict[str, str]] = {
        # np.clip(x, None, None) returns the values unchanged (NumPy 2.4).
        "clamp_no_bounds": "identity",
        # np.take accepts any integer index dtype.
        "embedding_small_int_indices": "accepted",
        # Generator.integers raises "low >= high".
        "randint_empty_range": "error",
        # Generator.choice(replace=False) raises "Fewer non-zero entries in p than size".
        "multinomial_exhausted": "error",
        # Generator.choice raises for probabilities that are negative or NaN (0/0, inf/inf).
        "multinomial_invalid_weights": "error",
        # Generator.choice with size 0 returns an empty array.
        "multinomial_zero_samples": "empty",
    }

    def diff(self, x: Any, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Any:
        return self.xp.diff(x, n=n, axis=dim, **_join_keywords(prepend, append))

    def randint(self, low: int, high: int, shape: Shape, seed: int) -> Any:
        return self.xp.random.default_rng(seed).integers(low, high, tuple(shape))

    @composed
    def multinomial(self, weights: Any, num_samples: int, replacement: bool = False, seed: int = 0) -> Any:
        """Generator.choice per row, on the weights normalised in float64."""
        rng = self.xp.random.default_rng(seed)
        rows = self.xp.asarray(weights, dtype=self.xp.float64).reshape(-1, weights.shape[-1])
        with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 and inf/inf: NaN, which choice rejects
            drawn = [rng.choice(row.shape[0], num_samples, replace=replacement, p=row / row.sum()) for row in rows]
        return self.xp.stack(drawn).reshape(weights.shape[:-1] + (num_samples,))


class TorchElementwise:
    """PyTorch."""

    behaviours: ClassVar[dict[str, str]] = {
        # torch.clamp: "At least one of 'min' or 'max' must not be None".
        "clamp_no_bounds": "error",
        # F.embedding takes Long and Int indices only.
        "embedding_small_int_indices": "error",
        # "random_ expects 'from' to be less than 'to'".
        "randint_empty_range": "error",
        # torch 2.13 goes on with the zero-weight categories (its docs ask for enough non-zero ones).
        "multinomial_exhausted": "zero_weight_last",
        # "probability tensor contains either inf, nan or element < 0" / "sum of probabilities <= 0".
        "multinomial_invalid_weights": "error",
        # "cannot sample n_sample <= 0 samples".
        "multinomial_zero_samples": "error",
    }

    def long(self, x: Any) -> Any:
        return x.long()

    def embedding(self, weight: Any, indices: Any) -> Any:
        return self.torch.nn.functional.embedding(indices, weight)

    def diff(self, x: Any, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Any:
        return self.torch.diff(x, n=n, dim=dim, prepend=prepend, append=append)

    def atan(self, x: Any) -> Any:
        return self.torch.atan(x)

    def atan2(self, y: Any, x: Any) -> Any:
        return self.torch.atan2(y, x)

    def clamp(self, x: Any, min: float | None = None, max: float | None = None) -> Any:
        return self.torch.clamp(x, min=min, max=max)

    def max_dim(self, x: Any, dim: int) -> tuple[Any, Any]:
        values, indices = self.torch.max(x, dim)
        return values, indices

    def ne(self, a: Any, b: Any) -> Any:
        return self.torch.ne(a, b)

    def item(self, x: Any) -> float | int | bool:
        return x.item()

    def randint(self, low: int, high: int, shape: Shape, seed: int) -> Any:
        return self.torch.randint(low, high, tuple(shape), generator=self._generator(seed), device=self.device)

    def multinomial(self, weights: Any, num_samples: int, replacement: bool = False, seed: int = 0) -> Any:
        return self.torch.multinomial(weights, num_samples, replacement, generator=self._generator(seed))

    def _generator(self, seed: int) -> Any:
        return self.torch.Generator(device=self.device).manual_seed(seed)


class JaxElementwise(XpElementwise):
    """JAX (64-bit types enabled by the adapter)."""

    behaviours: ClassVar[dict[str, str]] = {
        # jnp.clip(x) with neither bound returns x.
        "clamp_no_bounds": "identity",
        # jnp.take accepts any integer index dtype.
        "embedding_small_int_indices": "accepted",
        # jax.random.randint cannot raise on traced bounds: minval >= maxval gives minval.
        "randint_empty_range": "fill_low",
        # jax.random.choice(replace=False, p=...) ranks by Gumbel noise - log p, so the zero
        # weights (log 0 = -inf) come last.
        "multinomial_exhausted": "zero_weight_last",
        # jax.random cannot raise on traced values: invalid weights give unspecified indices.
        "multinomial_invalid_weights": "unchecked",
        # jax.random.choice with shape (0,) returns an empty array.
        "multinomial_zero_samples": "empty",
    }

    def diff(self, x: Any, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Any:
        return self.jnp.diff(x, n=n, axis=dim, prepend=prepend, append=append)

    def randint(self, low: int, high: int, shape: Shape, seed: int) -> Any:
        return self.jax.random.randint(self.jax.random.key(seed), tuple(shape), low, high, dtype=self.jnp.int64)

    @composed
    def multinomial(self, weights: Any, num_samples: int, replacement: bool = False, seed: int = 0) -> Any:
        """jax.random.choice on every row, with one key per row split from the seed's."""
        rows = weights.reshape(-1, weights.shape[-1])
        drawn = self._choice_rows(rows, num_samples, replacement, self.jax.random.key(seed))
        return drawn.reshape(weights.shape[:-1] + (num_samples,))

    @functools.cached_property
    def _choice_rows(self) -> Callable[..., Any]:
        """``jax.random.choice`` vmapped over rows and jitted (``num_samples`` and
        ``replacement`` static): one compilation per shape instead of one trace per call."""
        random = self.jax.random

        def draw(rows: Any, num_samples: int, replacement: bool, key: Any) -> Any:
            def one(row_key: Any, p: Any) -> Any:
                return random.choice(row_key, p.shape[0], (num_samples,), replacement, p)

            return self.jax.vmap(one)(random.split(key, rows.shape[0]), rows)

        return self.jax.jit(draw, static_argnums=(1, 2))
