"""Adapters' implementations of the shape and indexing operations (S01–S16, N01–N27), one
mixin per library; each backend class in ``dlspec.backends`` inherits its library's mixin.

Each mixin's ``behaviours`` declares the library's choice where libraries legitimately
differ, for this area's operations and for the memory area's ``squeeze``, ``repeat`` and
``gather`` (the values are the keyword choices of :mod:`reference.shapes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from dlspec.spec import Shape
from dlspec.spec.shapes import IndexItem
from reference import memory
from reference import shapes as ref


class ReferenceShapes:
    """The reference: arrays are ``reference.memory.Tensor`` objects."""

    behaviours: ClassVar[dict[str, str]] = {
        # reference.memory.squeeze (the memory area's) follows torch: a non-1 dim is kept.
        "squeeze_non_singleton": "noop",
        # Python's own slicing rule, which NumPy follows: [::-1] reverses (a view).
        "negative_slice_step": "supported",
        "index_out_of_bounds": "error",
        # reference.memory.repeat follows torch: at least one size per dimension.
        "repeat_fewer_sizes": "error",
        "repeat_interleave_negative_counts": "error",
        "triangle_1d": "error",
        "default_float_dtype": "float64",
        "reshape_fortran_order": "supported",
        # reference.memory.gather follows torch's index rules.
        "gather_negative_index": "error",
        "gather_out_of_bounds": "error",
        "gather_index_shape": "prefix",
        "int_power_negative_tensor": "error",
    }

    def index(self, x: memory.Tensor, key: tuple[IndexItem, ...]) -> memory.Tensor:
        return ref.index(x, key)

    def cat(self, xs: Sequence[memory.Tensor], dim: int) -> memory.Tensor:
        return ref.cat(xs, dim)

    def stack(self, xs: Sequence[memory.Tensor], dim: int) -> memory.Tensor:
        return ref.stack(xs, dim)

    def repeat_interleave(self, x: memory.Tensor, repeats: int | memory.Tensor, dim: int | None = None) -> memory.Tensor:
        counts = memory.to_numpy(repeats) if isinstance(repeats, memory.Tensor) else repeats
        return ref.repeat_interleave(x, counts, dim)

    def triu(self, x: memory.Tensor, k: int = 0) -> memory.Tensor:
        return ref.triu(x, k)

    def tril(self, x: memory.Tensor, k: int = 0) -> memory.Tensor:
        return ref.tril(x, k)

    def reshape_fortran(self, x: memory.Tensor, shape: Shape) -> memory.Tensor:
        return ref.reshape_fortran(x, shape)

    def from_list(self, values: object) -> memory.Tensor:
        return ref.from_list(values)

    def zeros(self, shape: Shape, dtype: str | None = None) -> memory.Tensor:
        return ref.zeros(shape, dtype or "float64")

    def power(self, x: memory.Tensor, exponent: int | memory.Tensor) -> memory.Tensor:
        return ref.power(x, exponent)

    def sin(self, x: memory.Tensor) -> memory.Tensor:
        return ref.sin(x)

    def cos(self, x: memory.Tensor) -> memory.Tensor:
        return ref.cos(x)


class XpShapes:
    """Libraries with NumPy's API under ``self.xp``: NumPy, CuPy and ``jax.numpy``."""

    def cat(self, xs: Sequence[Any], dim: int) -> Any:
        return self.xp.concatenate(list(xs), axis=dim)

    def stack(self, xs: Sequence[Any], dim: int) -> Any:
        return self.xp.stack(list(xs), axis=dim)

    def repeat_interleave(self, x: Any, repeats: int | Any, dim: int | None = None) -> Any:
        return self.xp.repeat(x, repeats, axis=dim)

    def triu(self, x: Any, k: int = 0) -> Any:
        return self.xp.triu(x, k)

    def tril(self, x: Any, k: int = 0) -> Any:
        return self.xp.tril(x, k)

    def reshape_fortran(self, x: Any, shape: Shape) -> Any:
        return self.xp.reshape(x, tuple(shape), order="F")

    def from_list(self, values: object) -> Any:
        return self.xp.array(values)

    def zeros(self, shape: Shape, dtype: str | None = None) -> Any:
        return self.xp.zeros(tuple(shape), dtype=self.dtype(dtype) if dtype else None)

    def power(self, x: Any, exponent: int | Any) -> Any:
        return self.xp.power(x, exponent)

    def sin(self, x: Any) -> Any:
        return self.xp.sin(x)

    def cos(self, x: Any) -> Any:
        return self.xp.cos(x)


class NumpyShapes(XpShapes):
    """NumPy (and CuPy, through ``self.xp``)."""

    behaviours: ClassVar[dict[str, str]] = {
        # np.squeeze(x, axis=d) raises ValueError when x.shape[d] != 1.
        "squeeze_non_singleton": "error",
        # x[::-1] is a view with a negative stride.
        "negative_slice_step": "supported",
        "index_out_of_bounds": "error",
        # np.tile pads reps with leading 1s when it has fewer entries than x.ndim.
        "repeat_fewer_sizes": "prepend_ones",
        "repeat_interleave_negative_counts": "error",
        # np.triu/np.tril broadcast a 1-D input to a square matrix whose rows are the vector.
        "triangle_1d": "rows",
        # np.zeros(shape) and np.array([1, 2.5]) are float64.
        "default_float_dtype": "float64",
        "reshape_fortran_order": "supported",
        # take_along_axis indexes like Python: -1 is the last element ...
        "gather_negative_index": "wrap",
        "gather_out_of_bounds": "error",
        # ... and broadcasts the index against the input outside the axis.
        "gather_index_shape": "broadcast",
        # np.power(int array, int array with a negative entry) raises ValueError.
        "int_power_negative_tensor": "error",
    }

    def index(self, x: Any, key: tuple[IndexItem, ...]) -> Any:
        # An index of ints only returns a scalar copy in NumPy; a trailing ... makes it a
        # 0-d view, NumPy's spelling of the same basic index (as memory's getitem does).
        return x[key if any(item is Ellipsis for item in key) else (*key, Ellipsis)]


class TorchShapes:
    """PyTorch; it has no Fortran-order reshape (``reshape_fortran`` is not implemented)."""

    behaviours: ClassVar[dict[str, str]] = {
        # Documented: "if input is not of size 1 in dim, the tensor is returned unchanged".
        "squeeze_non_singleton": "noop",
        # x[::-1] raises ValueError("step must be greater than zero"); torch.flip copies instead.
        "negative_slice_step": "error",
        "index_out_of_bounds": "error",
        # x.repeat(sizes) raises RuntimeError for fewer sizes than dimensions.
        "repeat_fewer_sizes": "error",
        "repeat_interleave_negative_counts": "error",
        # torch.triu raises RuntimeError for fewer than 2 dimensions.
        "triangle_1d": "error",
        # torch.get_default_dtype(): torch.zeros(2) and torch.tensor([1, 2.5]) are float32.
        "default_float_dtype": "float32",
        # torch.gather raises RuntimeError for any index outside [0, n) ...
        "gather_negative_index": "error",
        "gather_out_of_bounds": "error",
        # ... and only needs index.size(d) <= input.size(d) for d != dim (it reads the prefix).
        "gather_index_shape": "prefix",
        # Integer pow with a negative entry of an exponent tensor is 1 / x**n truncated toward
        # zero: 0 unless |x| == 1 (a negative int exponent raises RuntimeError).
        "int_power_negative_tensor": "truncate",
    }

    def index(self, x: Any, key: tuple[IndexItem, ...]) -> Any:
        return x[key]

    def cat(self, xs: Sequence[Any], dim: int) -> Any:
        return self.torch.cat(list(xs), dim=dim)

    def stack(self, xs: Sequence[Any], dim: int) -> Any:
        return self.torch.stack(list(xs), dim=dim)

    def repeat_interleave(self, x: Any, repeats: int | Any, dim: int | None = None) -> Any:
        return self.torch.repeat_interleave(x, repeats, dim=dim)

    def triu(self, x: Any, k: int = 0) -> Any:
        return self.torch.triu(x, diagonal=k)

    def tril(self, x: Any, k: int = 0) -> Any:
        return self.torch.tril(x, diagonal=k)

    def from_list(self, values: object) -> Any:
        return self.torch.tensor(values, device=self.device)

    def zeros(self, shape: Shape, dtype: str | None = None) -> Any:
        return self.torch.zeros(tuple(shape), dtype=self.dtype(dtype) if dtype else None, device=self.device)

    def power(self, x: Any, exponent: int | Any) -> Any:
        return self.torch.pow(x, exponent)

    def sin(self, x: Any) -> Any:
        return self.torch.sin(x)

    def cos(self, x: Any) -> Any:
        return self.torch.cos(x)


class JaxShapes(XpShapes):
    """JAX: every result is a new immutable array."""

    behaviours: ClassVar[dict[str, str]] = {
        # jnp.squeeze raises ValueError for an axis whose size is not 1, like NumPy.
        "squeeze_non_singleton": "error",
        # x[::-1] is a reversed copy.
        "negative_slice_step": "supported",
        # Static integer indices outside the dimension are clamped to its ends, not checked.
        "index_out_of_bounds": "clamp",
        # jnp.tile pads reps with leading 1s, like NumPy.
        "repeat_fewer_sizes": "prepend_ones",
        # No "repeat_interleave_negative_counts": jnp.repeat does not check array repeats (it
        # must stay traceable), so negative counts give unspecified output.
        # jnp.triu/jnp.tril raise ValueError for fewer than 2 dimensions (unlike NumPy).
        "triangle_1d": "error",
        # float64, because the adapter enables jax_enable_x64 (float32 without it).
        "default_float_dtype": "float64",
        "reshape_fortran_order": "supported",
        # take_along_axis: -1 is the last element; other indices outside the axis give the
        # fill value of its default mode="fill" (NaN, the most negative int, ...).
        "gather_negative_index": "wrap",
        "gather_out_of_bounds": "fill",
        "gather_index_shape": "broadcast",
        # No "int_power_negative_tensor": jnp.power gives unspecified values for a negative
        # entry of an integer exponent array (an int exponent raises TypeError).
    }

    def index(self, x: Any, key: tuple[IndexItem, ...]) -> Any:
        return x[key]
