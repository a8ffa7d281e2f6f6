"""Shape operations and indexing (catalogue S01–S16, N01–N27), written out as index rules.

Tensors are :class:`reference.memory.Tensor` objects.  The views (:func:`index`,
:func:`squeeze`) compute new shape, strides and offset over the same storage; everything
else writes a new tensor element by element from its rule.  Nothing here calls the NumPy
function under test: no ``concatenate``, ``stack``, ``repeat``, ``tile``, ``triu``,
``take_along_axis``, ``reshape(order="F")``, ``zeros``, ``power`` or ``sin``.

Where libraries legitimately differ, a keyword argument names the choice; its values are
the ones backends declare with :meth:`dlspec.api.Backend.behaviour` (e.g. ``squeeze`` on a
dimension whose size is not 1: ``non_singleton="noop"`` in torch, ``"error"`` in NumPy).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from types import EllipsisType

import numpy as np

from reference import memory
from reference.guards import check_choice, check_int, dim_position, typed
from reference.memory import Shape, Tensor

IndexItem = int | slice | None | EllipsisType


# -- indexing: slices, None and ... (S02 S03 N01-N12) -----------------------------------


@typed
def slice_range(size: int, item: slice) -> range:
    """The positions ``item`` picks from ``size`` elements (N01–N07).

    ``start`` is included and ``stop`` excluded; ``step`` defaults to 1 and may not be 0.
    A negative bound counts from the end (``-1`` is the last element, N02); bounds past
    either end are clamped.  The defaults depend on the step's sign (N01): for a positive
    step they are ``0`` and ``size``; for a negative one the last element and "before the
    first", so ``[::-1]`` reverses.
    """
    step = 1 if item.step is None else check_int(item.step, "slice step")
    if step == 0:
        raise ValueError("slice step cannot be zero")
    low, high = (0, size) if step > 0 else (-1, size - 1)

    def bound(value: int | None, default: int) -> int:
        if value is None:
            return default
        value = check_int(value, "slice bound")
        return min(max(value + size if value < 0 else value, low), high)

    start = bound(item.start, low if step > 0 else high)
    stop = bound(item.stop, high if step > 0 else low)
    return range(start, stop, step)


@typed
def index(t: Tensor, key: IndexItem | tuple[IndexItem, ...], *, negative_step: str = "supported",
          out_of_bounds: str = "error") -> Tensor:
    """``x[key]`` as a view (S02, S03, N01–N12).

    An integer drops its dimension and moves the offset by ``i·stride``; a slice keeps the
    dimension with the positions of :func:`slice_range`: the offset moves to its first
    position and the stride is multiplied by the step (so a negative step gives a negative
    stride); ``None`` inserts a size-1 dimension (S02: ``x[:, None]`` is ``unsqueeze(x, 1)``);
    ``...`` stands for as many ``:`` as the other items leave (S03: ``x[0, ...]`` is
    ``x[0, :, :, :]`` for a 4-D ``x``); dimensions left over at the end are kept whole.

    Libraries differ on a negative step, ``negative_step``: ``"supported"`` (Python, NumPy,
    JAX) or ``"error"`` (torch); and on an integer outside ``[-size, size)``,
    ``out_of_bounds``: ``"error"`` (Python, NumPy, torch) or ``"clamp"`` to the nearest end
    (JAX).
    """
    check_choice(negative_step, "negative_step", ("supported", "error"))
    check_choice(out_of_bounds, "out_of_bounds", ("error", "clamp"))
    key = _expand_ellipsis(key if isinstance(key, tuple) else (key,), t.ndim)
    offset, shape, strides, d = t.offset, [], [], 0
    for item in key:
        if item is None:
            shape.append(1)
            strides.append(0)
            continue
        size, stride = t.shape[d], t.strides[d]
        d += 1
        if isinstance(item, slice):
            if negative_step == "error" and item.step is not None and item.step < 0:
                raise ValueError(f"slice step must be positive here, got {item.step}")
            picked = slice_range(size, item)
            offset += picked.start * stride if picked else 0
            shape.append(len(picked))
            strides.append(stride * picked.step)
        else:
            offset += _position(check_int(item, "index"), size, d - 1, out_of_bounds) * stride
    return Tensor(t.storage, tuple(shape), tuple(strides), offset)


def _expand_ellipsis(key: tuple[IndexItem, ...], ndim: int) -> tuple[IndexItem, ...]:
    """``key`` with ``...`` (or, without one, the end) replaced by the ``:`` it stands for."""
    if sum(item is Ellipsis for item in key) > 1:
        raise ValueError("an index can only have a single ellipsis ('...')")
    used = sum(item is not None and item is not Ellipsis for item in key)
    if used > ndim:
        raise ValueError(f"too many indices ({used}) for a tensor of dimension {ndim}")
    fill = (slice(None),) * (ndim - used)
    at = next((i for i, item in enumerate(key) if item is Ellipsis), len(key))
    return key[:at] + fill + key[at + 1 :]


def _position(i: int, size: int, dim: int, out_of_bounds: str) -> int:
    """The position an integer index picks: negative counts from the end; outside the
    dimension it raises, or clamps to the nearest end."""
    if -size <= i < size:
        return i % size
    if out_of_bounds == "clamp" and size:
        return min(max(i + size if i < 0 else i, 0), size - 1)
    raise ValueError(f"index {i} is out of bounds for dimension {dim} with size {size}")


# -- size-1 dimensions (S01 S04 S05 S07 S08 S09) ----------------------------------------


@typed
def squeeze(t: Tensor, dim: int | None = None, *, non_singleton: str = "noop") -> Tensor:
    """A view without size-1 dimensions: every one of them without ``dim`` (S05, S07), or
    dimension ``dim`` when its size is 1.  For a ``dim`` whose size is not 1 libraries differ
    (S04): torch returns the tensor unchanged (``non_singleton="noop"``), NumPy and JAX raise
    (``"error"``)."""
    check_choice(non_singleton, "non_singleton", ("noop", "error"))
    if dim is not None and non_singleton == "error":
        d = dim_position(dim, t.ndim)
        if t.shape[d] != 1:
            raise ValueError(f"cannot squeeze dimension {dim} of size {t.shape[d]} (shape {t.shape})")
    return memory.squeeze(t, dim)


# -- joining: cat and stack (U01) -------------------------------------------------------


@typed
def cat(ts: Sequence[Tensor], dim: int) -> Tensor:
    """A new tensor joining ``ts`` along their existing dimension ``dim``: every other size
    must agree and the sizes along ``dim`` add up; a 0-d tensor has no dimension to join
    along, so it raises."""
    if not ts:
        raise ValueError("cat needs at least one tensor")
    first = ts[0]
    if first.ndim == 0:
        raise ValueError("a 0-d tensor cannot be concatenated: it has no dimension to join along")
    d = dim_position(dim, first.ndim)
    for k, t in enumerate(ts):
        if t.dtype != first.dtype:
            raise TypeError(f"cat of mixed dtypes ({first.dtype}, {t.dtype}) is outside this spec")
        if t.ndim != first.ndim or any(t.shape[i] != first.shape[i] for i in range(t.ndim) if i != d):
            raise ValueError(f"sizes must match except in dimension {d}: tensor 0 is {first.shape}, tensor {k} is {t.shape}")
    out = np.empty(first.shape[:d] + (sum(t.shape[d] for t in ts),) + first.shape[d + 1 :], dtype=first.dtype)
    start = 0
    for t in ts:
        out[(slice(None),) * d + (slice(start, start + t.shape[d]),)] = memory.to_numpy(t)
        start += t.shape[d]
    return memory.from_numpy(out)


@typed
def stack(ts: Sequence[Tensor], dim: int) -> Tensor:
    """A new tensor joining equal-shaped ``ts`` along a *new* dimension at ``dim`` (range
    ``[-ndim-1, ndim]``): ``stack(ts, d)`` is ``cat([unsqueeze(t, d) for t in ts], d)``."""
    if not ts:
        raise ValueError("stack needs at least one tensor")
    if any(t.shape != ts[0].shape for t in ts):
        raise ValueError(f"stack needs equal shapes, got {[t.shape for t in ts]}")
    return cat([memory.unsqueeze(t, dim) for t in ts], dim)


# -- gather with the libraries' index rules (T26) ---------------------------------------


@typed
def gather(t: Tensor, dim: int, index: np.ndarray, *, negative: str = "error", out_of_bounds: str = "error",
           index_shape: str = "prefix") -> Tensor:
    """``out[p] = x[p with p[dim] replaced by index[p]]`` (T26), with the libraries' three
    differences spelled out:

    * ``negative``: an index in ``[-n, 0)`` raises (``"error"``, torch) or counts from the
      end (``"wrap"``, NumPy, JAX);
    * ``out_of_bounds``: any other index outside ``[0, n)`` raises (``"error"``) or gives
      the fill value (``"fill"``, JAX: NaN, the most negative integer, the largest unsigned
      one, ``True``);
    * ``index_shape``: in the other dimensions the index may be smaller than the input and
      reads its leading part (``"prefix"``, torch), or the two broadcast (``"broadcast"``,
      NumPy, JAX: sizes equal or one of them 1).
    """
    check_choice(negative, "negative", ("error", "wrap"))
    check_choice(out_of_bounds, "out_of_bounds", ("error", "fill"))
    check_choice(index_shape, "index_shape", ("prefix", "broadcast"))
    d = dim_position(dim, t.ndim)
    index = np.asarray(index)
    if index.ndim != t.ndim or index.dtype.kind not in "iu":
        raise ValueError(f"index must be an integer array with {t.ndim} dimensions, got {index.dtype} {index.shape}")
    shape = _gather_shape(t.shape, index.shape, d, index_shape)
    values, n = memory.to_numpy(t), t.shape[d]
    out = np.empty(shape, dtype=t.dtype)
    for pos in np.ndindex(*shape):
        k = int(index[tuple(0 if s == 1 else p for p, s in zip(pos, index.shape))])
        if negative == "wrap" and -n <= k < 0:
            k += n
        if 0 <= k < n:
            out[pos] = values[tuple(k if i == d else 0 if s == 1 else p for i, (p, s) in enumerate(zip(pos, t.shape)))]
        elif out_of_bounds == "fill" and not (negative == "error" and -n <= k < 0):
            out[pos] = _fill_value(t.dtype)
        else:
            raise ValueError(f"index {k} is out of bounds for dimension {d} with size {n}")
    return memory.from_numpy(out)


def _gather_shape(shape: Shape, index_shape: Shape, d: int, rule: str) -> Shape:
    out = []
    for i, (size, wanted) in enumerate(zip(shape, index_shape)):
        if i == d or (rule == "prefix" and wanted <= size) or size == wanted:
            out.append(wanted)
        elif rule == "broadcast" and 1 in (size, wanted):
            out.append(max(size, wanted))
        else:
            raise ValueError(f"index shape {index_shape} does not fit input shape {shape} outside dimension {d} ({rule})")
    return tuple(out)


def _fill_value(dtype: np.dtype) -> float | int | bool:
    if dtype.kind == "b":
        return True
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return info.min if dtype.kind == "i" else info.max
    return math.nan


# -- repeat and repeat_interleave (S10-S13) ---------------------------------------------


@typed
def repeat(t: Tensor, sizes: Sequence[int], *, fewer_sizes: str = "error") -> Tensor:
    """A new tensor tiling the *whole* input ``sizes[i]`` times along dimension ``i`` (S11);
    more sizes than dimensions first add size-1 dimensions on the left (S13).  Fewer sizes
    than dimensions (S12): torch raises (``fewer_sizes="error"``); NumPy's and JAX's
    ``tile`` first pad the sizes with 1s on the left (``"prepend_ones"``)."""
    check_choice(fewer_sizes, "fewer_sizes", ("error", "prepend_ones"))
    sizes = tuple(sizes)
    if fewer_sizes == "prepend_ones":
        sizes = (1,) * (t.ndim - len(sizes)) + sizes
    return memory.repeat(t, sizes)


@typed
def repeat_interleave(t: Tensor, repeats: int | np.ndarray, dim: int | None = None) -> Tensor:
    """A new tensor repeating each *element* in place (S10): along ``dim``, slice ``i`` is
    written ``repeats[i]`` times before slice ``i + 1``.  ``repeats`` is an int (the same
    count for every slice) or a 1-D integer array with one count per slice, or a single one
    for all.  Without ``dim`` the input is flattened first.  A negative count, or a repeats
    array of another length, raises."""
    values = memory.to_numpy(t)
    if dim is None:
        values, d = values.reshape(-1), 0
    elif t.ndim == 0:
        raise ValueError("a 0-d tensor has no dimension to repeat along; use dim=None")
    else:
        d = dim_position(dim, t.ndim)
    n = values.shape[d]
    counts = _counts(repeats, n)
    picks = np.array([i for i in range(n) for _ in range(counts[i])], dtype=np.int64)
    return memory.from_numpy(values[(slice(None),) * d + (picks,)])


def _counts(repeats: int | np.ndarray, n: int) -> list[int]:
    """One non-negative count per slice, from an int or a 1-D integer array (one count, or n)."""
    if isinstance(repeats, (int, np.integer)) and not isinstance(repeats, bool):
        counts = [int(repeats)] * n
    else:
        array = np.asarray(repeats)
        if array.ndim != 1 or array.dtype.kind not in "iu":
            raise TypeError(f"repeats must be an int or a 1-D integer array, got {array.dtype} {array.shape}")
        if len(array) not in (1, n):
            raise ValueError(f"repeats has {len(array)} counts for {n} slices")
        counts = [int(c) for c in array] * (n if len(array) == 1 else 1)
    if any(c < 0 for c in counts):
        raise ValueError(f"repeats must be non-negative, got {repeats}")
    return counts


# -- triu and tril (N23-N27) ------------------------------------------------------------


@typed
def triu(t: Tensor, k: int = 0, *, one_dim: str = "error") -> Tensor:
    """A new tensor keeping ``x[..., i, j]`` where ``j - i >= k`` and zeroing the rest: the
    upper triangle from the ``k``-th diagonal, in the last two dimensions, for every index
    of the leading ones (N23–N25).  ``k = 0`` is the main diagonal; every ``k > 0`` (already
    ``k = 1``) moves the boundary up-right, ``k < 0`` down-left (N26).  A 1-D input: torch
    and JAX raise (``one_dim="error"``); NumPy treats the vector as every row of a square
    matrix (``"rows"``)."""
    return _triangle(t, k, one_dim, lambda i, j: j - i >= k)


@typed
def tril(t: Tensor, k: int = 0, *, one_dim: str = "error") -> Tensor:
    """The lower triangle, :func:`triu`'s mirror: keeps ``x[..., i, j]`` where ``j - i <= k``
    (N27)."""
    return _triangle(t, k, one_dim, lambda i, j: j - i <= k)


def _triangle(t: Tensor, k: int, one_dim: str, keep: Callable[[int, int], bool]) -> Tensor:
    check_int(k, "diagonal k")
    check_choice(one_dim, "one_dim", ("error", "rows"))
    values = memory.to_numpy(t)
    if t.ndim < 2:
        if t.ndim == 0 or one_dim == "error":
            raise ValueError(f"triu/tril needs at least 2 dimensions, got shape {t.shape}")
        values = np.broadcast_to(values, (t.shape[0], t.shape[0]))
    out = np.array(values, copy=True)
    rows, cols = out.shape[-2:]
    for i in range(rows):
        for j in range(cols):
            if not keep(i, j):
                out[..., i, j] = 0
    return memory.from_numpy(out)


# -- reshape in Fortran order (N21 N22) -------------------------------------------------


@typed
def fortran_strides(shape: Sequence[int]) -> Shape:
    """Column-major strides: the *first* dimension has stride 1, each later one the product
    of the sizes before it."""
    strides, step = [], 1
    for size in shape:
        strides.append(step)
        step *= max(size, 1)
    return tuple(strides)


@typed
def reshape_fortran(t: Tensor, shape: Sequence[int]) -> Tensor:
    """NumPy's ``reshape(x, shape, order="F")`` (N21, N22): read the elements in column-major
    order (first index fastest) and write them in the same order into ``shape``.  One size
    may be ``-1``.  The input is first written into a column-major storage, which is then
    read with ``shape``'s column-major strides."""
    new_shape = memory.infer_shape(shape, t.numel)
    storage = np.empty(t.numel, dtype=t.dtype)
    storage[memory.positions(Tensor(storage, t.shape, fortran_strides(t.shape)))] = memory.to_numpy(t)
    return memory.clone(Tensor(storage, new_shape, fortran_strides(new_shape)))


# -- unfold: sliding patches (S14 S16) --------------------------------------------------


@typed
def unfold(t: Tensor, kernel_size: int | tuple[int, int], dilation: int | tuple[int, int] = 1,
           padding: int | tuple[int, int] = 0, stride: int | tuple[int, int] = 1) -> Tensor:
    """``torch.nn.functional.unfold``, with its parameters and defaults (S14): the sliding
    ``kh × kw`` patches of an ``(N, C, H, W)`` tensor, each flattened into a column (S16).

    ``out[n, (c·kh + a)·kw + b, i·ow + j] = x[n, c, i·sh + a·dh − ph, j·sw + b·dw − pw]``,
    zero where that falls in the padding; ``oh = (H + 2·ph − dh·(kh − 1) − 1) // sh + 1``
    and likewise ``ow``.  Columns run over output positions row by row; within a column
    the order is channel, then kernel row, then kernel column.
    """
    if t.ndim != 4:
        raise ValueError(f"unfold takes an (N, C, H, W) tensor, got shape {t.shape}")
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = map(_pair, (kernel_size, dilation, padding, stride))
    if min(kh, kw, dh, dw, sh, sw) < 1 or min(ph, pw) < 0:
        raise ValueError("unfold needs kernel, dilation and stride >= 1 and padding >= 0")
    n, c, h, w = t.shape
    oh, ow = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if oh < 1 or ow < 1:
        raise ValueError(f"the kernel {(kh, kw)} with dilation {(dh, dw)} does not fit the padded input {(h, w)}")
    x = memory.to_numpy(t)
    out = np.zeros((n, c * kh * kw, oh * ow), dtype=t.dtype)
    for ch, a, b, i, j in np.ndindex(c, kh, kw, oh, ow):
        row, col = i * sh + a * dh - ph, j * sw + b * dw - pw
        if 0 <= row < h and 0 <= col < w:
            out[:, (ch * kh + a) * kw + b, i * ow + j] = x[:, ch, row, col]
    return memory.from_numpy(out)


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2:
        raise ValueError(f"expected an int or a pair, got {value!r}")
    return check_int(pair[0], "size"), check_int(pair[1], "size")


# -- the notes' NumPy functions (N13-N17) -----------------------------------------------


@typed
def from_list(values: object, *, default_float: str = "float64") -> Tensor:
    """A new tensor from nested Python lists of numbers (N13): the nesting gives the shape
    (ragged lists raise) and every element gets one dtype: ``bool`` when all are bools,
    ``int64`` when all are ints or bools, otherwise (floats, or no elements at all) the
    library's default float dtype, ``default_float`` (NumPy ``float64``, torch ``float32``)."""
    shape, flat = _nested_shape(values), []
    _flatten(values, flat)
    if any(not isinstance(v, (bool, int, float)) for v in flat):
        raise TypeError(f"from_list takes nested lists of bool, int and float, got {values!r}")
    if flat and all(isinstance(v, bool) for v in flat):
        dtype = "bool"
    elif flat and all(isinstance(v, int) for v in flat):
        dtype = "int64"
    else:
        dtype = default_float
    return memory.from_numpy(np.array(flat, dtype=dtype).reshape(shape))


def _nested_shape(values: object) -> Shape:
    if not isinstance(values, (list, tuple)):
        return ()
    inner = {_nested_shape(v) for v in values}
    if len(inner) > 1:
        raise ValueError(f"ragged nested lists have no shape: {values!r}")
    return (len(values), *(inner.pop() if inner else ()))


def _flatten(values: object, out: list[object]) -> None:
    if isinstance(values, (list, tuple)):
        for v in values:
            _flatten(v, out)
    else:
        out.append(values)


@typed
def zeros(shape: Sequence[int], dtype: str) -> Tensor:
    """A new tensor of ``shape`` filled with zeros (N17: ``np.zeros(shape)`` *creates* an
    array; it does not pad one): a single zero read through stride-0 dimensions, copied."""
    shape = tuple(shape)
    if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0 for s in shape):
        raise ValueError(f"a shape holds non-negative integers, got {shape}")
    return memory.clone(Tensor(np.array([0], dtype=dtype), shape, (0,) * len(shape)))


@typed
def power(t: Tensor, exponent: int | Tensor, *, int_negative_tensor: str = "error") -> Tensor:
    """``x ** y`` element by element (N14), for whole-number exponents: ``y`` is an int or a
    tensor of ``x``'s shape and dtype.  Computed by repeated multiplication, in float64 for
    floats (a negative ``y`` gives ``1 / x**|y|``) and exactly in int64 for integers; the
    result has ``x``'s dtype.

    An integer ``x`` with a negative exponent has no integer result.  For an int exponent
    every library raises.  For a tensor exponent NumPy raises (``int_negative_tensor="error"``)
    while torch truncates ``1 / x**|y|`` toward zero (``"truncate"``): ±1 stay ±1 with the
    exponent's parity, every other base gives 0.
    """
    check_choice(int_negative_tensor, "int_negative_tensor", ("error", "truncate"))
    x = memory.to_numpy(t)
    if x.dtype.kind not in "iuf":
        raise TypeError(f"power is specified here for integer and floating bases, got {x.dtype}")
    if isinstance(exponent, Tensor):
        if exponent.shape != t.shape or exponent.dtype != t.dtype:
            raise ValueError(f"the exponent must have the base's shape and dtype, got {exponent.shape} {exponent.dtype}")
        y = memory.to_numpy(exponent)
    else:
        y = np.full(t.shape, check_int(exponent, "exponent"))
    if np.any(y != np.round(y)):
        raise TypeError("power here takes whole-number exponents only")
    integer = x.dtype.kind in "iu"
    if isinstance(exponent, Tensor):
        negative = int_negative_tensor == "error" and bool(np.any(y < 0))
    else:
        negative = exponent < 0
    if integer and negative:
        raise ValueError("integers to negative integer powers are not allowed")
    out = np.empty(t.shape, dtype=np.int64 if integer else np.float64)
    for pos in np.ndindex(*t.shape):
        out[pos] = _int_power(int(x[pos]), int(y[pos])) if integer else _float_power(float(x[pos]), int(y[pos]))
    return memory.from_numpy(out.astype(t.dtype))


def _int_power(base: int, n: int) -> int:
    if n < 0:  # torch's truncation of 1 / base**|n| toward zero
        return base ** (-n) if abs(base) == 1 else 0
    return math.prod([base] * n)


def _float_power(base: float, n: int) -> float:
    result = math.prod([base] * abs(n))
    if n >= 0:
        return result
    return 1.0 / result if result else math.copysign(math.inf, result)


@typed
def sin(t: Tensor) -> Tensor:
    """The sine of every element (N15: ``sin(π/2) = 1``), from Python's ``math.sin`` (the C
    library's, not NumPy's) on the float64 value, rounded to ``x``'s float dtype."""
    return _unary_float(t, math.sin)


@typed
def cos(t: Tensor) -> Tensor:
    """The cosine of every element (N16: NumPy's is ``np.cos``; the notes' ``sp.cos`` names
    nothing), from ``math.cos`` like :func:`sin`."""
    return _unary_float(t, math.cos)


def _unary_float(t: Tensor, fn: Callable[[float], float]) -> Tensor:
    if t.dtype.kind != "f":
        raise TypeError(f"sin and cos are specified here for floating inputs, got {t.dtype}")
    x = memory.to_numpy(t)
    out = np.array([fn(float(v)) for v in x.reshape(-1)], dtype=np.float64).reshape(t.shape)
    return memory.from_numpy(out.astype(t.dtype))


# -- guards -----------------------------------------------------------------------------


