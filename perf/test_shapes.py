"""Perf: repeat versus repeat_interleave versus expand + reshape (catalogue S10 S11 S13).

Each workload makes r copies of an n-element vector: ``repeat`` tiles the whole vector
(S11), ``repeat_interleave`` repeats each element r times in place (S10), and ``expand`` +
``reshape`` broadcasts the vector as a column with a stride-0 dimension and flattens it,
which must copy, giving repeat_interleave's result.  All three read the vector once and
write r·n elements: at least s·n·(1+r) bytes.  With ``--benchmark-disable`` every result is
checked, bit for bit, against the reference.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dlspec import testing
from dlspec.api import Backend
from dlspec.checks import ORACLE

spec = pytest.mark.spec


def _copies(b: Backend, name: str, r: int, n: int) -> Callable[[Any], Any]:
    """Workload ``name`` on backend ``b`` (the backend under test or the reference): a
    function of an (n,) vector returning its r copies, through ``b``'s own operations."""
    if name == "repeat":
        repeat = testing.op(b, "repeat")
        return lambda x: repeat(x, (r,))
    if name == "repeat_interleave":
        repeat_interleave = testing.op(b, "repeat_interleave")
        return lambda x: repeat_interleave(x, r)
    unsqueeze, expand, reshape = (testing.op(b, op) for op in ("unsqueeze", "expand", "reshape"))
    return lambda x: reshape(expand(unsqueeze(x, 1), (n, r)), (n * r,))


@spec("S10", "S11", "S13")
@pytest.mark.parametrize("name", ["repeat", "repeat_interleave", "expand_reshape"])
def test_vector_copies(perf, backend, name):
    """S10/S11/S13: r copies of an n-vector, tiled (repeat), element by element
    (repeat_interleave) or through a broadcast view flattened (expand + reshape): a copy
    that reads s·n bytes and writes s·n·r, s·n·(1+r) in all."""
    r, n = perf.matrix_shape()
    x, x_ref = perf.inputs((n,))
    fn = _copies(backend, name, r, n)
    out = perf.measure(lambda: fn(x), shape=(n,), bytes_min=perf.itemsize * n * (1 + r))
    perf.check(out, lambda: _copies(ORACLE, name, r, n)(x_ref), op=f"{name}: {r} copies of ({n},)")
