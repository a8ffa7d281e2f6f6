"""Broadcasting (catalogue B01–B09), written out as the rule and as index arithmetic.

Two shapes are *broadcast* against each other like this: align them on the right, reading
a missing leading dimension as size 1 (B02, B04); then, dimension by dimension, equal sizes
match and a size 1 stretches to the other size, whichever operand it belongs to (B01,
B03); any other pair is an error.  An element-wise operation on broadcast operands reads,
for output element ``idx``, the element of each operand that :func:`source_index` names
(B09).  Nothing here calls NumPy's broadcasting functions, which are the behaviour under
test: shapes and indices are computed from the rule itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from reference import memory
from reference.guards import typed
from reference.memory import Shape, Tensor

MINUS_ONE = ("error", "keep")


@typed
def broadcast_shapes(*shapes: Sequence[int]) -> Shape:
    """The shape that ``shapes`` broadcast to: right-aligned, each dimension the one size
    that is not 1 (or 1); raises ``ValueError`` where two sizes differ and neither is 1.
    The rule is symmetric: the order of the shapes does not matter (B03)."""
    for shape in shapes:
        _check_shape(shape)
    ndim = max((len(shape) for shape in shapes), default=0)
    padded = [(1,) * (ndim - len(shape)) + tuple(shape) for shape in shapes]
    result = []
    for dim in range(ndim):
        sizes = {shape[dim] for shape in padded} - {1}
        if len(sizes) > 1:
            raise ValueError(f"shapes {', '.join(map(str, map(tuple, shapes)))} cannot be broadcast: sizes "
                             f"{sorted(sizes)} meet at dimension {dim - ndim} (counted from the right), "
                             f"and neither is 1")
        result.append(sizes.pop() if sizes else 1)
    return tuple(result)


@typed
def source_index(index: Sequence[int], shape: Sequence[int]) -> tuple[int, ...]:
    """The index, into an operand of ``shape``, of the element that output element ``index``
    reads: the output's leading dimensions the operand lacks are dropped (B04), and along
    the operand's size-1 dimensions it always reads index 0 (B01)."""
    lead = len(index) - len(shape)
    if lead < 0:
        raise ValueError(f"an output index {tuple(index)} has fewer dimensions than the operand {tuple(shape)}")
    return tuple(0 if size == 1 else i for i, size in zip(index[lead:], shape))


@typed
def broadcast_to(t: Tensor, shape: Sequence[int], *, minus_one: str = "error") -> Tensor:
    """A view of ``t`` with ``shape``, which must be what ``t.shape`` and ``shape`` broadcast
    to (broadcasting to a shape stretches the input only); each stretched dimension has
    stride 0, so nothing is copied (B09: the operand as an explicit ``expand``).

    A size ``-1`` raises ``ValueError`` (``minus_one="error"``, NumPy and JAX) or, at a
    dimension the input has, keeps its size (``"keep"``, torch, whose ``broadcast_to`` is
    ``expand``); backends declare theirs as behaviour ``broadcast_to_minus_one``.
    """
    if minus_one not in MINUS_ONE:
        raise ValueError(f"minus_one must be one of {MINUS_ONE}, got {minus_one!r}")
    shape = tuple(shape)
    if minus_one == "keep":
        lead = len(shape) - t.ndim
        shape = tuple(t.shape[i - lead] if size == -1 and i >= lead else size for i, size in enumerate(shape))
    if broadcast_shapes(t.shape, shape) != shape:
        raise ValueError(f"cannot broadcast a tensor of shape {t.shape} to {shape}: only its size-1 and "
                         f"missing leading dimensions can grow")
    return memory.expand(t, shape)


@typed
def broadcast_op(op: Callable[[np.ndarray, np.ndarray], np.ndarray], a: Tensor, b: Tensor) -> Tensor:
    """The element-wise ``op`` of two operands of broadcastable shapes: output element
    ``idx`` is ``op(a[source_index(idx, a.shape)], b[source_index(idx, b.shape)])`` (B09).
    The result has the broadcast shape and ``a`` and ``b``'s common dtype."""
    shape = broadcast_shapes(a.shape, b.shape)
    x, y = memory.to_numpy(a), memory.to_numpy(b)
    out = np.empty(shape, dtype=np.result_type(a.dtype, b.dtype))
    for idx in np.ndindex(*shape):
        out[idx] = op(x[source_index(idx, a.shape)], y[source_index(idx, b.shape)])
    return memory.from_numpy(out)


# -- guards ---------------------------------------------------------------------------


def _check_shape(shape: Sequence[int]) -> None:
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence):
        raise TypeError(f"a shape is a sequence of integers, got {shape!r}")
    if any(not isinstance(s, (int, np.integer)) for s in shape):
        raise TypeError(f"a shape holds integers, got {tuple(shape)}")
    if any(s < 0 for s in shape):
        raise ValueError(f"a shape holds non-negative sizes, got {tuple(shape)}")
