"""Perf: tensor memory operations (catalogue T08 T13 T14 T18 T21).

Views change metadata only, so they report latency and 0 bytes; copies report bandwidth
against the algorithmic minimum of bytes read and written (s bytes per element).  With
``--benchmark-disable`` every workload's result is checked, bit for bit, against the reference.
"""

from __future__ import annotations

from math import prod

import pytest

from dlspec import testing
from dlspec.checks import ORACLE

spec = pytest.mark.spec


@spec("T08", "T13")
@pytest.mark.parametrize("name", ["view", "reshape"])
def test_view_of_contiguous(perf, backend, name):
    """T08/T13: viewing or reshaping a contiguous tensor launches no kernel and moves 0 bytes,
    so it is timed on the wall clock, as latency, even where the device has events."""
    fn = testing.op(backend, name)
    shape = perf.matrix_shape()
    x, x_ref = perf.inputs(shape)
    flat = (prod(shape),)
    out = perf.measure(lambda: fn(x, flat), shape=shape, kernel=False)
    perf.check(out, lambda: getattr(ORACLE, name)(x_ref, flat), op=f"{name}{flat}")


@spec("T14")
def test_contiguous_of_transpose(perf, backend):
    """T14: contiguous() of a transposed matrix copies every element once: 2·s·n bytes."""
    transpose, contiguous = testing.op(backend, "transpose"), testing.op(backend, "contiguous")
    shape = perf.matrix_shape()
    x, x_ref = perf.inputs(shape)
    xt = transpose(x, 0, 1)
    out = perf.measure(lambda: contiguous(xt), shape=shape, bytes_min=2 * perf.nbytes(shape))
    perf.check(out, lambda: ORACLE.contiguous(ORACLE.transpose(x_ref, 0, 1)), op="contiguous(transpose(x, 0, 1))")


@spec("T18", "T21")
@pytest.mark.parametrize("name", ["expand", "repeat"])
def test_row_to_matrix(perf, backend, name):
    """T18/T21: a (1, n) row made into an (r, n) matrix.  expand is a stride-0 view (latency,
    0 bytes); repeat is a copy that reads the row and writes r of them: s·n·(1+r) bytes."""
    fn = testing.op(backend, name)
    rows, cols = perf.matrix_shape()
    x, x_ref = perf.inputs((1, cols))
    sizes = (rows, cols) if name == "expand" else (rows, 1)
    copies = name == "repeat"
    out = perf.measure(lambda: fn(x, sizes), shape=(1, cols), bytes_min=perf.itemsize * cols * (1 + rows) if copies else 0,
                       kernel=copies)
    perf.check(out, lambda: getattr(ORACLE, name)(x_ref, sizes), op=f"{name}{sizes}")


@spec("T21")
def test_clone(perf, backend):
    """T21: clone reads and writes every element, 2·s·n bytes: the copy the others compare with."""
    clone = testing.op(backend, "clone")
    shape = perf.matrix_shape()
    x, x_ref = perf.inputs(shape)
    out = perf.measure(lambda: clone(x), shape=shape, bytes_min=2 * perf.nbytes(shape))
    perf.check(out, lambda: ORACLE.clone(x_ref), op="clone")
