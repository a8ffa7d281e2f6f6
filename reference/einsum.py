"""einsum (catalogue E01–E09), unfold (S15) and convolution by unfold + einsum, written out
as index rules.

An einsum equation such as ``"ij,jk->ik"`` gives every dimension of every operand a
*label*, a letter ``a``–``z`` or ``A``–``Z`` (E01); spaces are ignored.

* Operands are multiplied element by element along equal labels (E03); a label repeated
  within one operand reads its diagonal (``"ii->i"``).
* The labels right of ``->`` are the output's dimensions, in that order (E02, E05); every
  other label is summed over (E04).
* Without ``->`` the output holds the labels that appear exactly once in the whole equation,
  sorted as characters, so upper case before lower case (E06).
* ``...`` stands for the dimensions an operand has beyond its letters (E07).  These
  dimensions broadcast across operands, aligned from the right; in implicit mode they come
  first in the output.
* A label's sizes must agree; a size of 1 broadcasts against any other.  Within one
  operand, the dimensions of a repeated label must have equal sizes.

:func:`einsum` evaluates the equation by index arithmetic, in float64 (int64 for
integers): it builds one index grid per label, reads each operand at those indices,
multiplies, and adds up the summed labels.  It never calls NumPy's ``einsum``,
``tensordot``, ``dot`` or ``matmul``.

:func:`conv2d` is the cross-correlation every deep-learning ``conv2d`` computes, written as
explicit loops; :func:`conv2d_by_unfold` computes it as the notes do (E09), by
:func:`reference.shapes.unfold` and ``einsum("oc,bcn->bon", ...)``.

Where libraries legitimately differ, a keyword argument names the choice; backends declare
theirs (:meth:`dlspec.api.Backend.behaviour`):

* ``dropped_ellipsis`` (behaviour ``einsum_dropped_ellipsis``): an explicit output without
  ``...`` while the operands' ellipsis covers dimensions sums those dimensions (``"sum"``,
  torch and JAX) or raises (``"error"``, NumPy).
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from math import prod

import numpy as np

from reference import memory
from reference.guards import typed
from reference.memory import Shape, Tensor
from reference.shapes import unfold

__all__ = ["DROPPED_ELLIPSIS", "LETTERS", "conv2d", "conv2d_by_unfold", "einsum", "label_sizes", "output_size", "parse", "unfold"]

LETTERS = frozenset(string.ascii_letters)
DROPPED_ELLIPSIS = ("sum", "error")
ELLIPSIS = "..."

#: A label: a letter, or ``".k"`` for the k-th dimension covered by the ellipsis.
Label = str


# -- the equation ----------------------------------------------------------------------


@typed
def parse(equation: str, ndims: Sequence[int], *, dropped_ellipsis: str = "sum") -> tuple[list[list[Label]], list[Label]]:
    """The labels of each operand's dimensions and of the output's, for operands of
    ``ndims`` dimensions.  Ellipsis dimensions get the labels ``".0"``, ``".1"``, ...,
    aligned from the right across operands.  Raises ``ValueError`` for a malformed equation,
    a wrong number of operands or subscripts, and an output label that is repeated or
    appears in no input."""
    if not isinstance(equation, str):
        raise TypeError(f"the equation must be a str, got {type(equation).__name__}")
    if dropped_ellipsis not in DROPPED_ELLIPSIS:
        raise ValueError(f"dropped_ellipsis must be one of {DROPPED_ELLIPSIS}, got {dropped_ellipsis!r}")
    lhs, arrow, rhs = equation.replace(" ", "").partition("->")
    if "->" in rhs:
        raise ValueError(f"the equation {equation!r} has more than one '->'")
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        raise ValueError(f"the equation {equation!r} names {len(terms)} operands, but {len(ndims)} were given")
    split = [_split(term, f"operand {i}") for i, term in enumerate(terms)]
    covered = [_covered(before + after, has, ndim, i) for i, ((before, has, after), ndim) in enumerate(zip(split, ndims))]
    width = max(covered, default=0)
    inputs = [before + _ellipsis_labels(width, n) + after for (before, _, after), n in zip(split, covered)]
    letters = [label for labels in inputs for label in labels if label in LETTERS]
    if not arrow:
        once = sorted(label for label in set(letters) if letters.count(label) == 1)
        return inputs, _ellipsis_labels(width, width) + once
    return inputs, _explicit_output(rhs, letters, width, dropped_ellipsis)


def _explicit_output(rhs: str, letters: list[Label], width: int, dropped_ellipsis: str) -> list[Label]:
    """The output's labels as written right of ``->``: distinct letters seen in the inputs,
    and the ``width`` ellipsis labels where its ``...`` stands."""
    before, has, after = _split(rhs, "the output")
    for label in before + after:
        if (before + after).count(label) > 1:
            raise ValueError(f"the output subscript {label!r} appears more than once in {rhs!r}")
        if label not in letters:
            raise ValueError(f"the output subscript {label!r} appears in no input")
    if width and not has and dropped_ellipsis == "error":
        raise ValueError(f"the inputs' '...' covers {width} dimension(s) that the output {rhs!r} omits")
    return before + (_ellipsis_labels(width, width) if has else []) + after


def _split(term: str, where: str) -> tuple[list[Label], bool, list[Label]]:
    """The letters before and after the term's ``...``, and whether it has one."""
    before, has, after = term.partition(ELLIPSIS)
    for char in before + after:
        if char == ".":
            raise ValueError(f"{where}: a '.' that is not part of one '...' in {term!r}")
        if char not in LETTERS:
            raise ValueError(f"{where}: invalid subscript {char!r} in {term!r}; subscripts are the letters a-z, A-Z")
    return list(before), bool(has), list(after)


def _covered(letters: list[Label], has_ellipsis: bool, ndim: int, i: int) -> int:
    """How many dimensions operand ``i``'s ellipsis covers."""
    if len(letters) > ndim or (len(letters) < ndim and not has_ellipsis):
        raise ValueError(f"operand {i} has {ndim} dimensions, but its subscripts name {len(letters)}"
                         + ("" if has_ellipsis else " and it has no '...'"))
    return ndim - len(letters)


def _ellipsis_labels(width: int, count: int) -> list[Label]:
    """The labels of the last ``count`` of ``width`` ellipsis dimensions (right-aligned)."""
    return [f".{k}" for k in range(width - count, width)]


@typed
def label_sizes(inputs: list[list[Label]], shapes: Sequence[Shape]) -> dict[Label, int]:
    """Each label's size: equal within one operand, equal or 1 across operands (a 1
    broadcasts); raises ``ValueError`` otherwise."""
    sizes: dict[Label, int] = {}
    for i, (labels, shape) in enumerate(zip(inputs, shapes)):
        for label in dict.fromkeys(labels):
            own = {shape[d] for d, other in enumerate(labels) if other == label}
            if len(own) > 1:
                raise ValueError(f"{_describe(label)} is repeated in operand {i} with different sizes {sorted(own)}")
            size = own.pop()
            known = sizes.setdefault(label, size)
            if size != known and 1 not in (size, known):
                raise ValueError(f"{_describe(label)} has size {size} in operand {i}, which does not broadcast "
                                 f"with size {known} seen before")
            sizes[label] = known if size == 1 else size
    return sizes


def _describe(label: Label) -> str:
    return f"subscript {label!r}" if label in LETTERS else f"the dimension {label[1:]} covered by '...'"


# -- evaluation ------------------------------------------------------------------------


@typed
def einsum(equation: str, *operands: Tensor, dropped_ellipsis: str = "sum") -> Tensor:
    """Evaluate ``equation`` (rules in the module docstring) on ``operands``:
    ``out[output labels] = Σ over the other labels of Π operand[its labels]``, accumulated in
    float64 (int64 for integer operands).  The result has the operands' common dtype."""
    if not operands:
        raise ValueError("einsum needs at least one operand")
    inputs, output = parse(equation, [t.ndim for t in operands], dropped_ellipsis=dropped_ellipsis)
    sizes = label_sizes(inputs, [t.shape for t in operands])
    labels = list(sizes)
    grids = {label: np.arange(sizes[label]).reshape([-1 if other == label else 1 for other in labels]) for label in labels}
    dtype = np.result_type(*(t.dtype for t in operands))
    product = np.ones([sizes[label] for label in labels], dtype=_accumulator(dtype))
    for t, names in zip(operands, inputs):
        index = tuple(grids[label] if size == sizes[label] else 0 * grids[label] for label, size in zip(names, t.shape))
        product = product * memory.to_numpy(t).astype(product.dtype)[index]
    summed = [label for label in labels if label not in output]
    moved = np.transpose(product, [labels.index(label) for label in output + summed])
    terms = moved.reshape([sizes[label] for label in output] + [prod(sizes[label] for label in summed)])
    total = np.zeros(terms.shape[:-1], dtype=product.dtype)
    for k in range(terms.shape[-1]):
        total = total + terms[..., k]
    return memory.from_numpy(total.astype(dtype))


def _accumulator(dtype: np.dtype) -> np.dtype:
    """float64 for floats, complex128 for complex numbers, int64 for integers and bools."""
    return np.dtype({"f": np.float64, "c": np.complex128}.get(dtype.kind, np.int64))


# -- convolution -----------------------------------------------------------------------


@typed
def output_size(size: int, kernel: int, dilation: int = 1, padding: int = 0, stride: int = 1) -> int:
    """The number of kernel positions along one spatial dimension (S15's L is the product of
    the two): ``(size + 2·padding − dilation·(kernel − 1) − 1) // stride + 1``; raises
    ``ValueError`` when the kernel does not fit the padded input."""
    if min(kernel, dilation, stride) < 1 or padding < 0:
        raise ValueError(f"kernel, dilation and stride must be >= 1 and padding >= 0, got "
                         f"kernel={kernel}, dilation={dilation}, stride={stride}, padding={padding}")
    span = dilation * (kernel - 1) + 1
    if span > size + 2 * padding:
        raise ValueError(f"the kernel spans {span} elements, more than the padded input's {size + 2 * padding}")
    return (size + 2 * padding - span) // stride + 1


@typed
def conv2d(x: Tensor, weight: Tensor, stride: int = 1, padding: int = 0, dilation: int = 1) -> Tensor:
    """The cross-correlation of ``x`` ``(N, C, H, W)`` with ``weight`` ``(O, C, kh, kw)``, as
    ``torch.nn.functional.conv2d`` computes it (the kernel is *not* flipped):
    ``out[n, o, i, j] = Σ_{c, a, b} x[n, c, i·stride + a·dilation − padding, j·stride + b·dilation − padding] · weight[o, c, a, b]``,
    where positions in the padding read 0.  Raises ``ValueError`` for operands that are not
    4-D, channel counts that differ, or a kernel that does not fit."""
    _check_conv(x, weight)
    (n, c, h, w), (o, _, kh, kw) = x.shape, weight.shape
    oh, ow = (output_size(size, k, dilation, padding, stride) for size, k in ((h, kh), (w, kw)))
    values, kernel = memory.to_numpy(x).astype(np.float64), memory.to_numpy(weight).astype(np.float64)
    out = np.zeros((n, o, oh, ow))
    for i, j, ch, a, b in np.ndindex(oh, ow, c, kh, kw):
        row, col = i * stride + a * dilation - padding, j * stride + b * dilation - padding
        if 0 <= row < h and 0 <= col < w:
            out[:, :, i, j] += values[:, ch, row, col][:, None] * kernel[:, ch, a, b][None, :]
    return memory.from_numpy(out.astype(np.result_type(x.dtype, weight.dtype)))


@typed
def conv2d_by_unfold(x: Tensor, weight: Tensor, stride: int = 1, padding: int = 0, dilation: int = 1) -> Tensor:
    """The same convolution by the notes' route (E09): ``unfold`` turns every patch into a
    column, ``(N, C·kh·kw, L)``; ``einsum("oc,bcn->bon")`` multiplies them by the weight
    flattened to ``(O, C·kh·kw)``; a reshape gives the output its ``(oh, ow)`` shape."""
    _check_conv(x, weight)
    (n, c, h, w), (o, _, kh, kw) = x.shape, weight.shape
    oh, ow = (output_size(size, k, dilation, padding, stride) for size, k in ((h, kh), (w, kw)))
    columns = unfold(x, (kh, kw), dilation=dilation, padding=padding, stride=stride)
    out = einsum("oc,bcn->bon", memory.reshape(weight, (o, c * kh * kw)), columns)
    return memory.reshape(out, (n, o, oh, ow))


def _check_conv(x: Tensor, weight: Tensor) -> None:
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError(f"conv2d takes an (N, C, H, W) input and an (O, C, kh, kw) weight, got {x.shape} and {weight.shape}")
    if x.shape[1] != weight.shape[1]:
        raise ValueError(f"the input has {x.shape[1]} channels, the weight expects {weight.shape[1]}")
