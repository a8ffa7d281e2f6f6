"""Conformance: the gradients of the differentiable spec operations of the memory, shapes,
broadcasting, matmul, einsum and elementwise areas (their catalogue IDs, cited per row).

One table: each row names a spec operation, makes its arguments from a seeded generator
(small float64 values, kept away from kinks and singularities: clamp's bounds, atan2's
origin, a divisor's zero), and says which arguments to differentiate.  The backend's
vector-Jacobian product (``Backend.vjp``: torch's tape, ``jax.vjp``) is compared with float64
central differences of the reference (:mod:`dlspec.gradcheck`).  Backends without autograd
(NumPy, the reference itself) are *not applicable*.

Left out, because the reference has nothing to differentiate or check_gradient cannot pass
them: ``detach`` (its gradient is zero by design, while differences of the reference see the
identity; its graph rule is A11 in test_autograd), ``max_dim`` (returns a pair), ``cat`` and
``stack`` (a list of arrays), ``vmap`` (a function argument), and the integer-valued ops.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from dlspec.gradcheck import check_gradient

spec = pytest.mark.spec
Maker = Callable[[np.random.Generator], list[Any]]


def u(*shape: int) -> Maker:
    """Uniform values in [-1, 1] of ``shape``."""
    return lambda rng: rng.uniform(-1, 1, shape)


def away_from(bounds: tuple[float, ...], *shape: int) -> Callable[[np.random.Generator], np.ndarray]:
    """Uniform values in [-2, 2]; one within 0.1 of a bound (a kink of the op) is moved to
    that bound ± 0.2, on its own side."""
    def make(rng: np.random.Generator) -> np.ndarray:
        x = rng.uniform(-2, 2, shape)
        for b in bounds:
            x = np.where(np.abs(x - b) < 0.1, b + np.where(x >= b, 0.2, -0.2), x)
        return x
    return make


def row(name: str, makers: list[Any], wrt: tuple[int, ...], ident: str) -> Any:
    """A table row: ``makers`` are generator functions (arrays) or constants."""
    return pytest.param(name, makers, wrt, id=ident)


GRADIENTS = [
    # memory (T): views, copies and element-wise arithmetic
    row("view", [u(2, 3), (3, 2)], (0,), "T08-view"),
    row("reshape", [u(2, 3, 2), (4, -1)], (0,), "T13-reshape"),
    row("transpose", [u(2, 3, 4), 0, 2], (0,), "T10-transpose"),
    row("permute", [u(2, 3, 2), (2, 0, 1)], (0,), "T12-permute"),
    row("reverse_dims", [u(2, 3, 2)], (0,), "T24-reverse_dims"),
    row("expand", [u(3, 1), (2, 3, 4)], (0,), "T18-T19-expand-sums-over-broadcast"),
    row("unsqueeze", [u(2, 3), 1], (0,), "T05-unsqueeze"),
    row("squeeze", [u(2, 1, 3), 1], (0,), "T05-squeeze"),
    row("getitem", [u(4, 3), (slice(1, None, 2), 1)], (0,), "T04-T28-getitem-zero-elsewhere"),
    row("contiguous", [u(2, 3)], (0,), "T06-contiguous"),
    row("repeat", [u(2, 3), (2, 1, 2)], (0,), "T21-repeat-sums-copies"),
    row("clone", [u(2, 3)], (0,), "T21-clone"),
    row("sum", [u(2, 3, 4), 1], (0,), "T22-sum-dim"),
    row("add", [u(2, 3), u(2, 3)], (0, 1), "T23-add"),
    row("subtract", [u(2, 3), u(2, 3)], (0, 1), "T23-subtract"),
    row("multiply", [u(2, 3), u(2, 3)], (0, 1), "T23-multiply"),
    row("divide", [u(2, 3), lambda rng: rng.uniform(0.5, 2, (2, 3)) * rng.choice([-1, 1], (2, 3))], (0, 1), "T23-divide"),
    row("matmul", [u(2, 3), u(3, 2)], (0, 1), "T23-matmul"),
    row("gather", [u(3, 4), 1, lambda rng: np.array([[0, 0], [3, 1], [2, 2]])], (0,), "T26-gather-repeats-add-up"),
    # shapes (S, N)
    row("index", [u(3, 4), (None, Ellipsis, slice(None, None, 2))], (0,), "N01-N08-index-none-ellipsis-step"),
    row("repeat_interleave", [u(2, 3), 2, 1], (0,), "S10-repeat_interleave"),
    row("triu", [u(3, 4), 1], (0,), "N23-N24-triu-zero-below"),
    row("tril", [u(3, 3), -1], (0,), "N27-tril"),
    row("reshape_fortran", [u(2, 3), (3, 2)], (0,), "N21-reshape_fortran"),
    row("power", [u(2, 3), 3], (0,), "N14-power"),
    row("sin", [u(2, 3)], (0,), "N15-sin"),
    row("cos", [u(2, 3)], (0,), "N16-cos"),
    # broadcasting (B)
    row("broadcast_to", [u(3, 1), (2, 3, 4)], (0,), "B04-B09-broadcast_to"),
    row("broadcast_add", [u(3, 1), u(4)], (0, 1), "B01-B08-broadcast_add-both-reduced"),
    row("broadcast_multiply", [u(3, 1), u(2, 1, 4)], (0, 1), "B09-broadcast_multiply"),
    # matmul (M)
    row("matmul_nd", [u(3), u(3)], (0, 1), "M01-1d-dot"),
    row("matmul_nd", [u(3, 3), u(3, 3)], (0, 1), "M02-square"),
    row("matmul_nd", [u(3), u(3, 2)], (0, 1), "M04-1d-at-2d"),
    row("matmul_nd", [u(2, 1, 2, 3), u(3, 3, 2)], (0, 1), "M03-M06-batch-broadcast"),
    row("bmm", [u(2, 2, 3), u(2, 3, 2)], (0, 1), "M07-bmm"),
    row("linear", [u(2, 3), u(4, 3), u(4)], (0, 1, 2), "M08-M09-linear"),
    # einsum (E, S15)
    row("einsum", ["ij,jk->ik", u(2, 3), u(3, 2)], (1, 2), "E02-einsum-matrix-product"),
    row("einsum", ["i,i->", u(4), u(4)], (1, 2), "E03-einsum-dot"),
    row("einsum", ["ii->i", u(3, 3)], (1,), "E06-einsum-diagonal"),
    row("einsum", ["...ij->...ji", u(2, 2, 3)], (1,), "E07-einsum-ellipsis"),
    row("einsum", ["IJ,Jk->Ik", u(2, 3), u(3, 2)], (1, 2), "E01-einsum-upper-case"),
    row("unfold", [u(1, 2, 4, 4), 2], (0,), "S15-unfold"),
    row("conv2d", [u(1, 1, 4, 4), u(2, 1, 2, 2), 1, 1], (0, 1), "E08-E09-conv2d"),
    # elementwise (O)
    row("embedding", [u(5, 3), lambda rng: np.array([[1, 4], [1, 1]])], (0,), "O03-embedding-rows-summed"),
    row("diff", [u(2, 4), 2, -1, u(2, 1)], (0, 3), "O04-O06-diff-n2-prepend"),
    row("atan", [lambda rng: rng.uniform(-3, 3, (2, 3))], (0,), "O07-atan"),
    row("atan2", [away_from((0.0,), 2, 3), away_from((0.0,), 2, 3)], (0, 1), "O08-atan2"),
    row("clamp", [away_from((-0.5, 0.5), 2, 4), -0.5, 0.5], (0,), "O09-O11-clamp-zero-outside"),
    row("clamp", [away_from((0.0,), 2, 4), 0.0], (0,), "O09-O10-clamp-min-only"),
]


@spec("T04", "T05", "T06", "T08", "T10", "T12", "T13", "T18", "T19", "T21", "T22", "T23", "T24", "T26", "T28",
      "S10", "N01", "N08", "N14", "N15", "N16", "N21", "N23", "N24", "N27", "B01", "B04", "B08", "B09",
      "M01", "M02", "M03", "M04", "M06", "M07", "M08", "M09", "E01", "E02", "E03", "E06", "E07", "E08", "E09", "S15",
      "O03", "O04", "O06", "O07", "O08", "O09", "O10", "O11")
@pytest.mark.parametrize(("name", "makers", "wrt"), GRADIENTS)
def test_gradient(backend, name, makers, wrt):
    """The gradient of every differentiable spec operation of the memory (T), shapes (S, N),
    broadcasting (B), matmul (M), einsum (E, S15) and elementwise (O) areas, with respect to
    its array arguments, against central differences of the reference: views and copies
    route the cotangent back unchanged (zeros where an element was not used, sums where one
    was used several times: expand, repeat, gather, embedding, broadcasting); products and
    element-wise functions by their derivatives, clamp's zero outside its bounds."""
    rng = np.random.default_rng(sum(map(ord, name)) + len(makers))
    args = [m(rng) if callable(m) else m for m in makers]
    check_gradient(backend, name, args, wrt=wrt)
