"""Broken backends for einsum, unfold and convolution (E01–E09, S15), built on the NumPy
adapter."""

from __future__ import annotations

import string
from typing import Any, ClassVar

import numpy as np

from dlspec.backends.numpy import NumpyBackend
from dlspec.spec.einsum import Pair


class ImplicitFirstAppearance(NumpyBackend):
    """Without '->', the output lists the labels seen once in order of first appearance, not
    sorted (E06): einsum('ba', x) returns x instead of x.T."""

    name, catches = "einsum-implicit-first-appearance", ("test_einsum_examples", "test_einsum_random")

    def einsum(self, equation: str, *operands: Any) -> Any:
        if "->" not in equation:
            letters = [c for c in equation if c in string.ascii_letters]
            once = "".join(c for c in letters if letters.count(c) == 1)
            equation += "->" + ("..." if "..." in equation else "") + once
        return np.einsum(equation, *operands)


class EinsumNoDiagonal(NumpyBackend):
    """A label repeated within one operand is read as two labels, so 'ii->i' sums rows
    instead of taking the diagonal, and 'ii' sums everything instead of the trace."""

    name, catches = "einsum-no-diagonal", ("test_einsum_examples", "test_einsum_random")

    def einsum(self, equation: str, *operands: Any) -> Any:
        lhs, arrow, rhs = equation.partition("->")
        fresh = iter(c for c in string.ascii_letters if c not in equation)
        terms = []
        for term in lhs.split(","):
            renamed = ""
            for c in term:
                renamed += next(fresh) if c in string.ascii_letters and c in renamed else c
            terms.append(renamed)
        return np.einsum(",".join(terms) + arrow + rhs, *operands)


class EinsumLowercaseOnly(NumpyBackend):
    """Upper-case subscripts are rejected, as the notes claim (E01)."""

    name, catches = "einsum-lowercase-only", ("test_einsum_examples", "test_einsum_random")

    def einsum(self, equation: str, *operands: Any) -> Any:
        if any(c in string.ascii_uppercase for c in equation):
            raise ValueError(f"subscripts must be in a-z: {equation!r}")
        return np.einsum(equation, *operands)


class DeclaresEllipsisSum(NumpyBackend):
    """Declares that a dropped '...' is summed, as torch does, but still raises as NumPy."""

    name, catches = "einsum-declares-ellipsis-sum", ("test_einsum_dropped_ellipsis",)
    behaviours: ClassVar[dict[str, str]] = {"einsum_dropped_ellipsis": "sum"}


class UnfoldSpatialMajor(NumpyBackend):
    """unfold orders each column kernel row, kernel column, then channel (spatial-major)
    instead of channel first (S15)."""

    name, catches = "unfold-spatial-major", ("test_unfold_examples", "test_conv2d", "test_conv2d_examples")

    def unfold(self, x: Any, kernel_size: Pair, dilation: Pair = 1, padding: Pair = 0, stride: Pair = 1) -> Any:
        patches = self._patches(x, kernel_size, dilation, padding, stride)
        n, c, oh, ow, kh, kw = patches.shape
        return np.transpose(patches, (0, 4, 5, 1, 2, 3)).reshape(n, c * kh * kw, oh * ow)


class UnfoldIgnoresPadding(NumpyBackend):
    """unfold never pads the input."""

    name, catches = "unfold-ignores-padding", ("test_unfold_examples", "test_conv2d", "test_conv2d_examples")

    def unfold(self, x: Any, kernel_size: Pair, dilation: Pair = 1, padding: Pair = 0, stride: Pair = 1) -> Any:
        return super().unfold(x, kernel_size, dilation, 0, stride)


class ConvFlipped(NumpyBackend):
    """conv2d flips the kernel: a true convolution instead of the cross-correlation every
    deep-learning library computes (E09: the notes' example gives +5, not −5)."""

    name, catches = "conv-flipped", ("test_conv2d", "test_conv2d_examples", "test_notes_einsum_convolution")

    def conv2d(self, x: Any, weight: Any, stride: int = 1, padding: int = 0, dilation: int = 1) -> Any:
        return super().conv2d(x, weight[:, :, ::-1, ::-1], stride, padding, dilation)


class ConvIgnoresDilation(NumpyBackend):
    """conv2d treats every dilation as 1."""

    name, catches = "conv-ignores-dilation", ("test_conv2d", "test_conv2d_examples")

    def conv2d(self, x: Any, weight: Any, stride: int = 1, padding: int = 0, dilation: int = 1) -> Any:
        return super().conv2d(x, weight, stride, padding, 1)
