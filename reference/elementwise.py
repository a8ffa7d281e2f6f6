"""Element-wise ops, reductions and sampling (catalogue O01–O20), written out element by element.

Arrays are NumPy arrays.  Every result is computed from its rule on Python numbers
(``math.trunc``, ``math.atan``, ``math.atan2``, comparisons, differences in float64), never by
the NumPy function under test: no ``astype`` to an integer type from floats, ``diff``,
``arctan``, ``arctan2``, ``clip``, ``max``/``argmax``, ``not_equal``, ``take``, ``item``,
``integers`` or ``choice``.  Sampling draws uniform floats in [0, 1) from
``numpy.random.Generator.random`` and maps them by the rule (a scaled floor for
:func:`randint`, the inverse of the cumulative weights for :func:`multinomial`): the spec of a
sampler is its distribution, never its stream, so the tests check distributions.

Where libraries legitimately differ, a keyword argument names the choice; its values are
the ones backends declare with :meth:`dlspec.api.Backend.behaviour` (e.g. ``clamp`` with
neither bound: ``no_bounds="error"`` in torch, ``"identity"`` in NumPy and JAX).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence

import numpy as np

from reference.guards import check_choice, check_int, dim_position, typed

Shape = tuple[int, ...]
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_KIND_NAMES = {"f": "floating", "iuf": "integer and floating", "biuf": "bool, integer and floating"}


# -- conversions: .long() and embedding indices (O01 O02 O03) ----------------------------


@typed
def long(x: np.ndarray) -> np.ndarray:
    """``x.long()``: the values as int64 (O01), floats truncated toward zero (O02: -1.5 -> -1,
    not floor's -2); bools become 0 and 1.  A NaN, an infinity or a value outside int64 has
    no int64 value (C leaves the conversion undefined and libraries differ), so it raises."""
    x = _array(x, "long", "biuf")
    out = []
    for v in x.reshape(-1).tolist():
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"{v} has no int64 value; converting it is undefined")
        v = math.trunc(v)
        if not INT64_MIN <= v <= INT64_MAX:
            raise ValueError(f"{v} is outside the int64 range")
        out.append(v)
    return np.array(out, dtype=np.int64).reshape(x.shape)


@typed
def embedding(weight: np.ndarray, indices: np.ndarray, *, small_ints: str = "error") -> np.ndarray:
    """``nn.Embedding``'s lookup: ``out[i, ...] = weight[indices[i, ...]]``, a row of the
    ``(num_embeddings, dim)`` table per index (O03).  Indices must be integers: floats raise
    (hence ``.long()`` first).  int64 and int32 are accepted everywhere; narrower integer
    dtypes raise in torch (``small_ints="error"``) and are accepted by NumPy and JAX
    (``"accepted"``).  An index outside ``[0, num_embeddings)`` raises."""
    check_choice(small_ints, "small_ints", ("error", "accepted"))
    weight, indices = np.asarray(weight), np.asarray(indices)
    if weight.ndim != 2:
        raise ValueError(f"the embedding table must be 2-D (num_embeddings, dim), got shape {weight.shape}")
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding indices must be integers, got {indices.dtype}; convert them with .long()")
    if small_ints == "error" and indices.dtype not in (np.int32, np.int64):
        raise TypeError(f"embedding indices must be int64 or int32, got {indices.dtype}")
    out = np.empty(indices.shape + weight.shape[1:], dtype=weight.dtype)
    for pos in np.ndindex(*indices.shape):
        i = int(indices[pos])
        if not 0 <= i < weight.shape[0]:
            raise ValueError(f"index {i} is out of range for an embedding table of {weight.shape[0]} rows")
        out[pos] = weight[i]
    return out


# -- differences (O04 O05 O06) ---------------------------------------------------------------


@typed
def diff(x: np.ndarray, n: int = 1, dim: int = -1, prepend: np.ndarray | None = None,
         append: np.ndarray | None = None) -> np.ndarray:
    """The ``n``-th forward difference along ``dim``, by default the LAST dimension (O04: not
    1): ``out[..., i] = x[..., i+1] - x[..., i]``, repeated ``n`` times (O06), each time one
    shorter; ``[1, 2, 4, 7, 0]`` gives ``[1, 2, 3, -7]`` (O05).  ``prepend`` / ``append`` are
    joined to ``x`` along ``dim`` first and must match it elsewhere.  ``n = 0`` gives ``x``
    itself, without them; an ``n`` past the length gives an empty dimension.  Floats are
    differenced in float64, integers wrap around in their dtype, and booleans use "not
    equal" (exclusive or)."""
    values = _joined(x, _order(n), dim, prepend, append)
    d = dim_position(dim, values.ndim)
    kind = values.dtype.kind
    if kind == "b":
        out = _repeat_difference(np.moveaxis(values, d, -1), n, operator.xor)
    else:
        work = values.astype(np.float64 if kind == "f" else np.int64)
        out = _repeat_difference(np.moveaxis(work, d, -1), n, operator.sub)
    return np.moveaxis(out, -1, d).astype(values.dtype)


@typed
def diff_magnitude(x: np.ndarray, n: int = 1, dim: int = -1, prepend: np.ndarray | None = None,
                   append: np.ndarray | None = None) -> np.ndarray:
    """``Σ_k C(n, k) |x[..., i+k]|``: the total magnitude of the terms of each ``n``-th
    difference (the input joined with ``prepend`` / ``append``), in float64: the ``scale`` the
    tolerance policy needs for :func:`diff`."""
    values = np.abs(_joined(x, _order(n), dim, prepend, append).astype(np.float64))
    d = dim_position(dim, values.ndim)
    return np.moveaxis(_repeat_difference(np.moveaxis(values, d, -1), n, operator.add), -1, d)


def _order(n: int) -> int:
    if check_int(n, "n") < 0:
        raise ValueError(f"the order of a difference must be non-negative, got {n}")
    return n


def _joined(x: np.ndarray, n: int, dim: int, prepend: np.ndarray | None, append: np.ndarray | None) -> np.ndarray:
    """``x`` joined with ``prepend`` and ``append`` along ``dim`` (``x`` alone for ``n = 0``)."""
    x = np.asarray(x)
    if x.ndim == 0:
        raise ValueError("diff needs an input with at least one dimension")
    d = dim_position(dim, x.ndim)
    parts = [np.asarray(p) for p in (prepend, x, append) if p is not None]
    for p in parts:
        if p.ndim != x.ndim or p.shape[:d] + p.shape[d + 1 :] != x.shape[:d] + x.shape[d + 1 :]:
            raise ValueError(f"prepend/append of shape {p.shape} must match the input {x.shape} except along dim {dim}")
        if p.dtype != x.dtype:
            raise TypeError(f"prepend/append must have the input's dtype {x.dtype}, got {p.dtype}")
    if n == 0:
        return x
    # np.concatenate only joins the parts here; the behaviour under test is the difference.
    return np.concatenate(parts, axis=d)


def _repeat_difference(values: np.ndarray, n: int, combine: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply ``out[..., i] = combine(v[..., i+1], v[..., i])`` along the last axis ``n`` times."""
    for _ in range(n):
        values = combine(values[..., 1:], values[..., :-1])
    return values


# -- trigonometry (O07 O08) ------------------------------------------------------------------


@typed
def atan(x: np.ndarray) -> np.ndarray:
    """The arctangent of every element, in ``[-π/2, π/2]`` (O07), from Python's ``math.atan``
    (the C library's) on the float64 value: the sign of zero is kept, ``atan(±inf) = ±π/2``.
    Mathematically the range is open; a float32 result of a huge input rounds to ``±π/2``
    itself, whose float32 value is even a little larger than π/2."""
    x = _array(x, "atan", "f")
    return np.array([math.atan(v) for v in x.reshape(-1).tolist()], dtype=np.float64).reshape(x.shape).astype(x.dtype)


@typed
def atan2(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The angle of the point ``(x, y)``, element by element with broadcasting: ``atan2(input,
    other)`` takes ``y`` FIRST (O08).  It knows the quadrant, and its range is the CLOSED
    interval ``[-π, π]``: ``atan2(+0, -1) = π`` and ``atan2(-0, -1) = -π`` (C99 Annex F, via
    ``math.atan2``)."""
    y, x = _array(y, "atan2", "f"), _array(x, "atan2", "f")
    if y.dtype != x.dtype:
        raise TypeError(f"atan2 needs operands of one dtype, got {y.dtype} and {x.dtype}")
    return _broadcast(math.atan2, y, x, np.float64).astype(y.dtype)


# -- clamp (O09 O10 O11) ---------------------------------------------------------------------


@typed
def clamp(x: np.ndarray, min: float | None = None, max: float | None = None, *, no_bounds: str = "error") -> np.ndarray:
    """Every element limited to ``[min, max]`` (O09): first raised to ``min``, then lowered to
    ``max``, so with ``min > max`` every element becomes ``max``; NaN stays NaN.  Either bound
    may be omitted.  With neither, torch raises (``no_bounds="error"``) while NumPy and JAX
    return the values unchanged (``"identity"``).  The bounds are read in ``x``'s dtype, so a
    tiny ``min`` that rounds to 0 there (``1e-12`` in float16) no longer keeps ``log`` finite
    (O10); symmetric bounds ``(-c, c)`` clip gradients by value (O11)."""
    check_choice(no_bounds, "no_bounds", ("error", "identity"))
    x = _array(x, "clamp", "iuf")
    if min is None and max is None and no_bounds == "error":
        raise ValueError("clamp needs at least one of min and max")
    for bound in (min, max):
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, (int, float))):
            raise TypeError(f"a clamp bound is a number, got {type(bound).__name__}")
        if bound is not None and x.dtype.kind in "iu" and not isinstance(bound, int):
            raise TypeError(f"an integer tensor is clamped to integer bounds, got {bound!r}")
    out = []
    for v in x.reshape(-1).tolist():
        if min is not None and v < min:
            v = min
        if max is not None and v > max:
            v = max
        out.append(v)
    return np.array(out, dtype=np.float64 if x.dtype.kind == "f" else np.int64).reshape(x.shape).astype(x.dtype)


# -- reductions and comparisons (O12 O13 O17 O18) ------------------------------------------


@typed
def max_dim(x: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """``torch.max(x, dim)``: the named pair ``(values, indices)`` of the largest element along
    ``dim`` (which disappears) and its position (O12), as int64.  Ties give the FIRST position;
    a NaN counts as the largest, so the first NaN wins.  A reduced dimension of size 0 has no
    maximum and raises."""
    x = _array(x, "max", "biuf")
    if x.ndim == 0:
        raise ValueError("max(x, dim) needs a dimension to reduce; a 0-d tensor has none")
    d = dim_position(dim, x.ndim)
    if x.shape[d] == 0:
        raise ValueError(f"max over dimension {d} of size 0 has no maximum")
    moved = np.moveaxis(x, d, 0)
    values, indices = np.array(moved[0], copy=True), np.zeros(moved.shape[1:], dtype=np.int64)
    for k in range(1, moved.shape[0]):
        for pos in np.ndindex(*values.shape):
            best, v = values[pos].tolist(), moved[(k, *pos)].tolist()
            if best == best and (v != v or v > best):  # x != x only for NaN
                values[pos], indices[pos] = v, k
    return values, indices


@typed
def ne(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    """``a != b`` element by element, with broadcasting (O13): a bool array, true where the
    values differ.  NaN differs from everything, itself included; ``-0.0`` equals ``0.0``;
    ``b`` may be a Python number."""
    a, b = _array(a, "ne", "biuf"), _array(b, "ne", "biuf")
    return _broadcast(operator.ne, a, b, np.bool_)


@typed
def item(x: np.ndarray) -> float | int | bool | complex:
    """``x.item()``: the single element of a one-element tensor of any shape, ``(1, 1)``
    included, as a plain Python number (O17): ``float`` for floats, ``int`` for integers,
    ``bool`` for booleans.  It holds nothing of the tensor, hence no autograd graph (O18).
    Any other number of elements raises."""
    x = np.asarray(x)
    if x.size != 1:
        raise ValueError(f"only a one-element tensor converts to a Python number; this one has {x.size} elements")
    v = x.reshape(-1)[0]
    convert = {"f": float, "i": int, "u": int, "b": bool, "c": complex}.get(x.dtype.kind)
    if convert is None:
        raise TypeError(f"item() is specified for numeric and bool tensors, got {x.dtype}")
    return convert(v)


# -- sampling (O14 O15 O16 O19 O20) ----------------------------------------------------------


@typed
def randint(low: int, high: int, shape: Sequence[int], seed: int, *, empty_range: str = "error") -> np.ndarray:
    """int64 values drawn uniformly from ``[low, high)``: ``high`` is EXCLUSIVE (O19:
    ``randint(2, 8, (3,))`` gives 3 ints in 2..7).  Sizes may be 0-d integer tensors, such as
    the entries of a tensor of lengths (O20).  With ``high <= low`` the range is empty: torch
    and NumPy raise (``empty_range="error"``), JAX fills the result with ``low``
    (``"fill_low"``).  Each value is ``low + floor(u * (high - low))`` for a uniform ``u``."""
    check_choice(empty_range, "empty_range", ("error", "fill_low"))
    low, high = check_int(low, "low"), check_int(high, "high")
    shape = tuple(operator.index(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"a shape holds non-negative sizes, got {shape}")
    if high <= low and empty_range == "error":
        raise ValueError(f"randint needs low < high, got low={low}, high={high}")
    span = max(high - low, 1)
    uniform = np.random.default_rng(seed).random(math.prod(shape))
    return np.array([low + min(math.floor(u * span), span - 1) for u in uniform.tolist()], dtype=np.int64).reshape(shape)


@typed
def multinomial(weights: np.ndarray, num_samples: int, replacement: bool = False, seed: int = 0, *,
                exhausted: str = "zero_weight_last", zero_samples: str = "error") -> np.ndarray:
    """``torch.multinomial(input, num_samples, replacement=False)`` (O15: ``num_samples``):
    for every row of ``weights`` (1-D or 2-D), ``num_samples`` category indices (int64), each
    drawn with probability proportional to its weight; rows need not sum to 1 but must be
    finite and non-negative with a positive sum, else it raises (O16).

    With replacement the draws are independent, so a zero-weight category never appears.
    Without, each drawn category leaves the row (no index repeats) and the next draw is from
    the rest; more samples than categories raise.  When the non-zero weights are used up
    before ``num_samples``, torch and JAX go on with the zero-weight categories in some order
    (``exhausted="zero_weight_last"``; here in increasing order), NumPy raises (``"error"``).
    ``num_samples = 0`` raises in torch (``zero_samples="error"``) and gives an empty result
    in NumPy and JAX (``"empty"``)."""
    check_choice(exhausted, "exhausted", ("zero_weight_last", "error"))
    check_choice(zero_samples, "zero_samples", ("error", "empty"))
    w = _array(weights, "multinomial", "f")
    num_samples = check_int(num_samples, "num_samples")
    if w.ndim not in (1, 2):
        raise ValueError(f"multinomial takes 1-D or 2-D weights, got {w.ndim}-D")
    rows = w.reshape(-1, w.shape[-1]).astype(np.float64)
    if not np.all(np.isfinite(rows)) or np.any(rows < 0):
        raise ValueError("multinomial weights must be finite and non-negative")
    if np.any(rows.sum(axis=1) <= 0):
        raise ValueError("every row of multinomial weights needs a positive sum")
    if num_samples < 0 or (num_samples == 0 and zero_samples == "error"):
        raise ValueError(f"multinomial needs a positive number of samples, got {num_samples}")
    if not replacement and num_samples > rows.shape[1]:
        raise ValueError(f"cannot draw {num_samples} samples without replacement from {rows.shape[1]} categories")
    if not replacement and exhausted == "error" and num_samples > np.count_nonzero(rows, axis=1).min():
        raise ValueError("fewer categories with a non-zero weight than samples to draw without replacement")
    rng = np.random.default_rng(seed)
    out = np.array([_draw_row(row.tolist(), num_samples, replacement, rng) for row in rows], dtype=np.int64)
    return out.reshape(w.shape[:-1] + (num_samples,))


def _draw_row(weights: list[float], num_samples: int, replacement: bool, rng: np.random.Generator) -> list[int]:
    """Inverse-CDF draws from one row; without replacement a drawn category's weight becomes 0,
    and once every weight is 0 the unused categories follow in increasing order."""
    drawn: list[int] = []
    for _ in range(num_samples):
        total = math.fsum(weights)
        if total == 0:
            drawn.append(min(set(range(len(weights))) - set(drawn)))
            continue
        target, acc = rng.random() * total, 0.0
        pick = max(i for i, wi in enumerate(weights) if wi > 0)  # should rounding leave target >= the sum
        for i, wi in enumerate(weights):
            acc += wi
            if wi > 0 and target < acc:
                pick = i
                break
        drawn.append(pick)
        if not replacement:
            weights[pick] = 0.0
    return drawn


# -- statistics for the sampling tests ------------------------------------------------------


@typed
def chi_square(counts: Sequence[int], weights: Sequence[float]) -> tuple[float, int]:
    """Pearson's goodness-of-fit statistic ``Σ (c_i - N p_i)² / (N p_i)`` of ``counts`` against
    the distribution proportional to ``weights``, over the categories of positive weight, and
    its degrees of freedom (their number - 1).  A count in a zero-weight category is
    impossible under the weights: the statistic is then ``inf``."""
    counts, weights = np.asarray(counts, dtype=np.float64), np.asarray(weights, dtype=np.float64)
    if counts.shape != weights.shape or counts.ndim != 1:
        raise ValueError(f"counts and weights must be 1-D of one length, got {counts.shape} and {weights.shape}")
    if np.any(weights < 0) or weights.sum() <= 0:
        raise ValueError("weights must be non-negative with a positive sum")
    positive = weights > 0
    if np.any(counts[~positive] > 0):
        return math.inf, int(positive.sum()) - 1
    expected = counts.sum() * weights[positive] / weights.sum()
    return float(np.sum((counts[positive] - expected) ** 2 / expected)), int(positive.sum()) - 1


@typed
def chi_square_quantile(q: float, df: int) -> float:
    """The ``x`` with ``P(X <= x) = q`` for ``X ~ χ²(df)``, by bisection on the regularized lower
    incomplete gamma function ``P(df/2, x/2)`` (its power series, exact to ~1e-15 here).
    ``chi_square_quantile(0.999, 1) = 10.83`` is the table value."""
    if not 0 < q < 1:
        raise ValueError(f"a quantile level is in (0, 1), got {q}")
    if check_int(df, "df") < 1:
        raise ValueError(f"degrees of freedom must be >= 1, got {df}")
    low, high = 0.0, float(df)
    while _lower_gamma_regularized(df / 2, high / 2) < q:
        high *= 2
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if _lower_gamma_regularized(df / 2, mid / 2) < q else (low, mid)
    return (low + high) / 2


def _lower_gamma_regularized(a: float, x: float) -> float:
    """``P(a, x) = x^a e^-x / Γ(a) · Σ_k x^k / (a (a+1) ... (a+k))``."""
    if x <= 0:
        return 0.0
    term = total = 1.0 / a
    k = 0
    while term > total * 1e-17:
        k += 1
        term *= x / (a + k)
        total += term
    return min(1.0, math.exp(a * math.log(x) - x - math.lgamma(a)) * total)


# -- broadcasting and guards ---------------------------------------------------------------


@typed
def broadcast_shape(a: Sequence[int], b: Sequence[int]) -> Shape:
    """The shape two operands broadcast to: aligned on the right, each pair of sizes equal or
    one of them 1; missing leading sizes count as 1.  Raises ``ValueError`` otherwise."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    if any(p != q and 1 not in (p, q) for p, q in zip(a, b)):
        raise ValueError(f"shapes {a} and {b} do not broadcast")
    return tuple(q if p == 1 else p for p, q in zip(a, b))


def _broadcast(fn: Callable[[object, object], object], a: np.ndarray, b: np.ndarray, dtype: type) -> np.ndarray:
    """``out[idx] = fn(a[...], b[...])`` over the broadcast shape, on Python numbers."""
    shape = broadcast_shape(a.shape, b.shape)
    out = np.empty(shape, dtype=dtype)
    for idx in np.ndindex(*shape):
        out[idx] = fn(_element(a, idx).tolist(), _element(b, idx).tolist())
    return out


def _element(x: np.ndarray, idx: tuple[int, ...]) -> np.generic:
    """The element of ``x`` that broadcast index ``idx`` reads: right-aligned, size 1 read at 0."""
    own = idx[len(idx) - x.ndim :]
    return x[tuple(i if size != 1 else 0 for i, size in zip(own, x.shape))]


def _array(x: object, op: str, kinds: str) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype.kind not in kinds:
        raise TypeError(f"{op} is specified here for {_KIND_NAMES[kinds]} inputs, got {x.dtype}")
    return x


