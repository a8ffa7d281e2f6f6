"""Perf: addition of broadcast operands (catalogue B03 B09).

A broadcast add reads each operand once and writes the result: at least s·(|a| + |b| +
|out|) bytes for s bytes per element, reported as GB/s.  Two workloads of the run's matrix
size: a matrix plus a row (one operand stretched, a bias add) and a column plus a row (both
stretched, B03: an outer sum).  With ``--benchmark-disable`` the result is checked, bit for
bit, against the reference: the inputs are distinct integers in [-125, 125], whose sums
every dtype holds exactly.
"""

from __future__ import annotations

import pytest

from dlspec import testing
from dlspec.checks import ORACLE

spec = pytest.mark.spec


@spec("B03", "B09")
@pytest.mark.parametrize("case", ["matrix+row", "column+row"])
def test_broadcast_add(perf, backend, case):
    """B09: a (r, n) matrix plus a (1, n) row; B03: a (r, 1) column plus a (1, n) row, where
    both operands stretch.  Either writes r·n elements."""
    add = testing.op(backend, "broadcast_add")
    rows, cols = perf.matrix_shape()
    shape_a, shape_b = ((rows, cols), (1, cols)) if case == "matrix+row" else ((rows, 1), (1, cols))
    (a, a_ref), (b, b_ref) = perf.inputs(shape_a), perf.inputs(shape_b)
    moved = perf.nbytes(shape_a) + perf.nbytes(shape_b) + perf.nbytes((rows, cols))
    out = perf.measure(lambda: add(a, b), shape=(rows, cols), bytes_min=moved)
    perf.check(out, lambda: ORACLE.broadcast_add(a_ref, b_ref), op=f"broadcast_add of {shape_a} and {shape_b}")
