"""The tensor memory model (catalogue T01–T28), written out as stride arithmetic.

A tensor is a flat *storage* plus metadata: ``shape``, ``strides`` (in elements) and an
``offset``.  Element ``idx`` lives at ``storage[offset + sum(idx[i] * strides[i])]``.
A *view* is a new :class:`Tensor` over the same storage object; a *copy* owns a new one.
Every operation below states which of the two it returns.  Nothing here calls the NumPy
function that is the behaviour under test: strides, view-ability, broadcasting of
``expand`` and the read-out of values are computed from the rules themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import prod

import numpy as np

from reference.guards import typed

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Tensor:
    """A strided tensor: ``storage`` (1-D) read through ``shape``, ``strides`` and ``offset``."""

    storage: np.ndarray
    shape: Shape
    strides: Shape
    offset: int = 0

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def numel(self) -> int:
        return prod(self.shape)

    @property
    def dtype(self) -> np.dtype:
        return self.storage.dtype


# -- metadata rules -------------------------------------------------------------------


@typed
def contiguous_strides(shape: Sequence[int]) -> Shape:
    """Row-major strides: the last dimension has stride 1, each earlier one the product of
    the sizes after it (T01: the last dim is the row length)."""
    _check_shape(shape)
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


@typed
def is_contiguous(shape: Sequence[int], strides: Sequence[int]) -> bool:
    """True when the strides are row-major for this shape, ignoring size-1 dimensions
    (their stride is never used); tensors with 0 or 1 elements are contiguous (T07)."""
    _check_shape(shape)
    if len(strides) != len(shape):
        raise ValueError(f"strides {tuple(strides)} do not match shape {tuple(shape)}")
    if prod(shape) <= 1:
        return True
    expected = 1
    for size, stride in zip(reversed(shape), reversed(strides)):
        if size != 1:
            if stride != expected:
                return False
            expected *= size
    return True


@typed
def infer_shape(shape: Sequence[int], numel: int) -> Shape:
    """Resolve at most one ``-1`` in ``shape`` so that it holds ``numel`` elements; raise
    ``ValueError`` when that is impossible (T25, T16)."""
    shape = tuple(shape)
    if any(not isinstance(s, (int, np.integer)) for s in shape):
        raise TypeError(f"shape entries must be integers, got {shape}")
    if shape.count(-1) > 1:
        raise ValueError(f"only one dimension can be inferred, got {shape}")
    if any(s < -1 for s in shape):
        raise ValueError(f"invalid shape dimension in {shape}")
    known = prod(s for s in shape if s != -1)
    if -1 in shape:
        if known == 0 or numel % known:
            raise ValueError(f"shape {shape} is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    if prod(shape) != numel:
        raise ValueError(f"shape {shape} is invalid for input of size {numel}")
    return shape


@typed
def view_strides(shape: Sequence[int], strides: Sequence[int], new_shape: Sequence[int]) -> Shape | None:
    """Strides that read the same elements in the same order with ``new_shape``, or ``None``
    when no such strides exist (T15).

    This is torch's stride-splitting rule: the old dimensions are grouped into *chunks*
    that are contiguous with each other (``stride[d-1] == size[d] * stride[d]``); a view
    exists exactly when every new dimension falls inside one chunk, i.e. no new dimension
    spans two chunks.  A chunk's innermost stride is the base that new strides multiply.
    """
    shape, strides, new_shape = tuple(shape), tuple(strides), tuple(new_shape)
    if prod(shape) != prod(new_shape):
        raise ValueError(f"shape {new_shape} is invalid for input of size {prod(shape)}")
    if prod(shape) == 0 or not shape:
        return contiguous_strides(new_shape)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base = strides[-1]
    tensor_numel = view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        tensor_numel *= shape[d]
        chunk_ends = d == 0 or (shape[d - 1] != 1 and strides[d - 1] != tensor_numel * chunk_base)
        if not chunk_ends:
            continue
        while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
            new_strides[view_d] = view_numel * chunk_base
            view_numel *= new_shape[view_d]
            view_d -= 1
        if view_numel != tensor_numel:
            return None
        if d > 0:
            chunk_base = strides[d - 1]
            tensor_numel = view_numel = 1
    return tuple(new_strides) if view_d == -1 else None


# -- constructors and read-out --------------------------------------------------------


@typed
def from_numpy(array: np.ndarray) -> Tensor:
    """A new contiguous tensor owning a copy of ``array``'s values."""
    if isinstance(array, np.generic):
        array = np.asarray(array)
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected a numpy.ndarray, got {type(array).__name__}")
    flat = np.array(array, copy=True).ravel(order="C")
    return Tensor(flat, tuple(array.shape), contiguous_strides(array.shape), 0)


@typed
def positions(t: Tensor) -> np.ndarray:
    """Storage index of every element, laid out in ``t.shape``: offset + Σ idx·stride."""
    pos = np.full(t.shape, t.offset, dtype=np.int64)
    for dim, (size, stride) in enumerate(zip(t.shape, t.strides)):
        index_shape = [1] * t.ndim
        index_shape[dim] = size
        pos = pos + (np.arange(size, dtype=np.int64) * stride).reshape(index_shape)
    return pos


@typed
def to_numpy(t: Tensor) -> np.ndarray:
    """The tensor's values as a new NumPy array, read element by element from storage."""
    return t.storage[positions(t)]


@typed
def shares_storage(a: Tensor, b: Tensor) -> bool:
    """True when both tensors read the same storage object (a write through one is seen by
    the other): the reference's meaning of *aliasing* (T04, T05)."""
    return a.storage is b.storage


# -- operations: views ----------------------------------------------------------------


@typed
def view(t: Tensor, shape: Sequence[int]) -> Tensor:
    """A view with a new shape; raises ``ValueError`` when the strides cannot express it
    (T08, T15, T17).  Never copies."""
    new_shape = infer_shape(shape, t.numel)
    new_strides = view_strides(t.shape, t.strides, new_shape)
    if new_strides is None:
        raise ValueError(
            f"view size {new_shape} is not compatible with input size {t.shape} and strides "
            f"{t.strides}: a new dimension would span two non-contiguous chunks; use reshape"
        )
    return Tensor(t.storage, new_shape, new_strides, t.offset)


@typed
def reshape(t: Tensor, shape: Sequence[int]) -> Tensor:
    """A view when :func:`view_strides` allows one, otherwise a contiguous copy (T13, T16,
    T25).  Raises only for a shape with the wrong number of elements."""
    new_shape = infer_shape(shape, t.numel)
    if view_strides(t.shape, t.strides, new_shape) is not None:
        return view(t, new_shape)
    return view(contiguous(t), new_shape)


@typed
def permute(t: Tensor, dims: Sequence[int]) -> Tensor:
    """A view whose dimension ``i`` is the input's dimension ``dims[i]``: shape and strides
    are reordered, storage untouched (T12)."""
    dims = tuple(_normalize_dim(d, t.ndim) for d in dims)
    if sorted(dims) != list(range(t.ndim)):
        raise ValueError(f"dims {dims} is not a permutation of {t.ndim} dimensions")
    return Tensor(t.storage, tuple(t.shape[d] for d in dims), tuple(t.strides[d] for d in dims), t.offset)


@typed
def transpose(t: Tensor, dim0: int, dim1: int) -> Tensor:
    """A view with two dimensions swapped (T10, T11)."""
    dims = list(range(t.ndim))
    a, b = _normalize_dim(dim0, t.ndim), _normalize_dim(dim1, t.ndim)
    dims[a], dims[b] = dims[b], dims[a]
    return permute(t, dims)


@typed
def reverse_dims(t: Tensor) -> Tensor:
    """``x.T``: a view with *all* dimensions reversed, which equals ``transpose(0, 1)`` only
    for 2-D tensors (T24)."""
    return permute(t, range(t.ndim - 1, -1, -1))


@typed
def expand(t: Tensor, shape: Sequence[int]) -> Tensor:
    """A view broadcast to ``shape`` (T18, T19): new dimensions may be added on the left;
    ``-1`` keeps an existing size; a size-1 dimension may grow and then has stride 0; any
    other size change raises ``ValueError``."""
    shape = tuple(shape)
    if len(shape) < t.ndim:
        raise ValueError(f"expand to {shape} has fewer dimensions than the input {t.shape}")
    lead = len(shape) - t.ndim
    new_shape, new_strides = [], []
    for i, size in enumerate(shape):
        if i < lead:
            if size < 0:
                raise ValueError(f"expand: size {size} is not allowed for a new leading dimension")
            new_shape.append(size)
            new_strides.append(0)
            continue
        old, stride = t.shape[i - lead], t.strides[i - lead]
        if size == -1 or size == old:
            new_shape.append(old)
            new_strides.append(stride)
        elif old == 1 and size >= 0:
            new_shape.append(size)
            new_strides.append(0)
        else:
            raise ValueError(
                f"the expanded size ({size}) must match the existing size ({old}) at "
                f"non-singleton dimension {i}; target {shape}, input {t.shape}"
            )
    return Tensor(t.storage, tuple(new_shape), tuple(new_strides), t.offset)


@typed
def unsqueeze(t: Tensor, dim: int) -> Tensor:
    """A view with a new size-1 dimension inserted at ``dim`` (range ``[-ndim-1, ndim]``)."""
    d = _normalize_dim(dim, t.ndim + 1)
    stride = t.strides[d] * t.shape[d] if d < t.ndim else 1
    return Tensor(t.storage, t.shape[:d] + (1,) + t.shape[d:], t.strides[:d] + (stride,) + t.strides[d:], t.offset)


@typed
def squeeze(t: Tensor, dim: int | None = None) -> Tensor:
    """A view without size-1 dimensions: all of them, or only ``dim`` when it has size 1."""
    if dim is None:
        keep = [i for i, s in enumerate(t.shape) if s != 1]
    else:
        d = _normalize_dim(dim, t.ndim)
        keep = [i for i in range(t.ndim) if i != d or t.shape[i] != 1]
    return Tensor(t.storage, tuple(t.shape[i] for i in keep), tuple(t.strides[i] for i in keep), t.offset)


@typed
def getitem(t: Tensor, index: tuple[int | slice, ...]) -> Tensor:
    """Basic indexing (integers and slices with positive steps) as a view: an integer drops
    its dimension and moves the offset; a slice ``start:stop:step`` moves the offset by
    ``start·stride`` and multiplies the stride by ``step`` (T04, T28)."""
    if not isinstance(index, tuple):
        index = (index,)
    if len(index) > t.ndim:
        raise ValueError(f"too many indices ({len(index)}) for a tensor of dimension {t.ndim}")
    offset, shape, strides = t.offset, [], []
    for d, item in enumerate(index + (slice(None),) * (t.ndim - len(index))):
        size, stride = t.shape[d], t.strides[d]
        if isinstance(item, slice):
            if item.step is not None and item.step <= 0:
                raise ValueError(f"slice step must be positive, got {item.step}")
            start, _, step = item.indices(size)
            count = len(range(*item.indices(size)))
            offset += start * stride if count else 0
            shape.append(count)
            strides.append(stride * step)
        elif isinstance(item, (int, np.integer)):
            if not -size <= item < size:
                raise ValueError(f"index {item} is out of bounds for dimension {d} with size {size}")
            offset += (item % size) * stride
        else:
            raise TypeError(f"basic indexing takes ints and slices, got {type(item).__name__}")
    return Tensor(t.storage, tuple(shape), tuple(strides), offset)


@typed
def detach(t: Tensor) -> Tensor:
    """The same values over the same storage, cut from any autograd graph (T20)."""
    return Tensor(t.storage, t.shape, t.strides, t.offset)


# -- operations: copies ---------------------------------------------------------------


@typed
def contiguous(t: Tensor) -> Tensor:
    """The tensor itself when it is already contiguous (T06), otherwise a row-major copy
    with new storage (T14)."""
    if is_contiguous(t.shape, t.strides):
        return t
    return clone(t)


@typed
def clone(t: Tensor) -> Tensor:
    """A row-major copy with its own storage."""
    return from_numpy(to_numpy(t))


@typed
def repeat(t: Tensor, sizes: Sequence[int]) -> Tensor:
    """A new tensor tiling the input ``sizes[i]`` times along dimension ``i``; when ``sizes``
    is longer than ``ndim`` the input first gains leading size-1 dimensions.  Always a copy
    (T21)."""
    sizes = tuple(sizes)
    if len(sizes) < t.ndim:
        raise ValueError(f"repeat needs at least {t.ndim} sizes, got {sizes}")
    if any(s < 0 for s in sizes):
        raise ValueError(f"repeat sizes must be non-negative, got {sizes}")
    src = to_numpy(t).reshape((1,) * (len(sizes) - t.ndim) + t.shape)
    out_shape = tuple(n * r for n, r in zip(src.shape, sizes))
    out = np.empty(out_shape, dtype=t.dtype)
    for idx in np.ndindex(*out_shape):
        out[idx] = src[tuple(i % n for i, n in zip(idx, src.shape))]
    return from_numpy(out)


# -- reductions, arithmetic, gather, vmap (T22, T23, T26, T27) ------------------------


@typed
def sum_dim(t: Tensor, dim: int) -> Tensor:
    """Sum along ``dim``, which disappears from the shape (T22): row ``i`` of the result
    accumulates the slices ``x[..., k, ...]`` for every ``k`` in float64."""
    d = _normalize_dim(dim, t.ndim)
    moved = permute(t, (d, *[i for i in range(t.ndim) if i != d]))
    acc = np.zeros(moved.shape[1:], dtype=np.float64)
    for k in range(moved.shape[0]):
        acc = acc + to_numpy(getitem(moved, (k,)))
    return from_numpy(acc.astype(_sum_dtype(t.dtype)))


@typed
def elementwise(op: Callable[[np.ndarray, np.ndarray], np.ndarray], a: Tensor, b: Tensor) -> Tensor:
    """An element-wise binary operation on equal shapes (T23)."""
    if a.shape != b.shape:
        raise ValueError(f"element-wise operands must have equal shapes here, got {a.shape} and {b.shape}")
    return from_numpy(op(to_numpy(a), to_numpy(b)))


@typed
def matmul2d(a: Tensor, b: Tensor) -> Tensor:
    """The matrix product of two 2-D tensors: ``out[i, j] = Σ_k a[i, k] · b[k, j]`` (T23)."""
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"matmul2d takes 2-D operands, got {a.ndim}-D and {b.ndim}-D")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"inner sizes differ: {a.shape} @ {b.shape}")
    x, y = to_numpy(a).astype(np.float64), to_numpy(b).astype(np.float64)
    out = np.zeros((a.shape[0], b.shape[1]))
    for k in range(a.shape[1]):
        out += x[:, k : k + 1] * y[k : k + 1, :]
    return from_numpy(out.astype(np.result_type(a.dtype, b.dtype)))


@typed
def gather(t: Tensor, dim: int, index: np.ndarray) -> Tensor:
    """``out[i][j][k] = x[i][index[i][j][k]][k]`` for ``dim == 1``, and likewise for every
    ``dim`` (T26): ``index`` has the input's ndim and picks along ``dim`` only."""
    d = _normalize_dim(dim, t.ndim)
    index = np.asarray(index)
    if index.ndim != t.ndim:
        raise ValueError(f"index must have {t.ndim} dimensions, got {index.ndim}")
    values = to_numpy(t)
    out = np.empty(index.shape, dtype=t.dtype)
    for pos in np.ndindex(*index.shape):
        k = int(index[pos])
        if not 0 <= k < t.shape[d]:
            raise ValueError(f"index {k} is out of bounds for dimension {d} with size {t.shape[d]}")
        out[pos] = values[pos[:d] + (k,) + pos[d + 1 :]]
    return from_numpy(out)


@typed
def vmap(fn: Callable[[Tensor], Tensor], t: Tensor) -> Tensor:
    """Apply a per-sample function to every slice along dimension 0 and stack the results
    (T27): the batched function equals the loop."""
    if t.ndim == 0:
        raise ValueError("vmap needs at least one dimension to map over")
    rows = [to_numpy(fn(getitem(t, (i,)))) for i in range(t.shape[0])]
    return from_numpy(np.array(rows))


# -- guards ---------------------------------------------------------------------------


def _normalize_dim(dim: int, ndim: int) -> int:
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise ValueError(f"dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})")
    return int(dim) % max(ndim, 1)


def _check_shape(shape: Sequence[int]) -> None:
    if any(not isinstance(s, (int, np.integer)) or s < 0 for s in shape):
        raise ValueError(f"a shape holds non-negative integers, got {tuple(shape)}")


def _sum_dtype(dtype: np.dtype) -> np.dtype:
    """Sums keep floating and complex dtypes; bool and integers accumulate in int64."""
    return dtype if dtype.kind in "fc" else np.dtype(np.int64)
