"""Perf: element-wise ops, reductions and sampling (catalogue O09 O12 O16).

clamp is the memory-bound element-wise workload: it reads and writes every element once,
2·s·n bytes.  max along the last dimension is the reduction: it reads s·n bytes and writes
one value (s bytes) and one int64 index per row.  multinomial draws one token per row from
a 50,000-entry vocabulary, the decoding step, and reports the weights it reads, s·rows·V
bytes.  With ``--benchmark-disable`` clamp and max are checked, bit for bit, against the
reference; multinomial, whose draws depend on the library's stream, is checked for what
every draw must satisfy (int64, in range, never a zero-weight token).
"""

from __future__ import annotations

import numpy as np
import pytest

from dlspec import testing
from dlspec.checks import ORACLE
from dlspec.compare import assert_conforms

spec = pytest.mark.spec
VOCAB = 50_000
SEED = 0


@spec("O09")
def test_clamp(perf, backend):
    """O09: clamp(x, -50, 50) of a matrix of values in [-125, 125]: 2·s·n bytes."""
    clamp = testing.op(backend, "clamp")
    shape = perf.matrix_shape()
    x, x_ref = perf.inputs(shape)
    out = perf.measure(lambda: clamp(x, -50.0, 50.0), shape=shape, bytes_min=2 * perf.nbytes(shape))
    perf.check(out, lambda: ORACLE.clamp(x_ref, -50.0, 50.0), op="clamp(x, -50, 50)")


@spec("O12")
def test_max_along_rows(perf, backend):
    """O12: max(x, dim=-1) reads the matrix once and writes a value and an int64 index per
    row: s·n + rows·(s + 8) bytes."""
    max_dim = testing.op(backend, "max_dim")
    shape = perf.matrix_shape()
    x, x_ref = perf.inputs(shape)
    values, indices = perf.measure(lambda: max_dim(x, -1), shape=shape,
                                   bytes_min=perf.nbytes(shape) + shape[0] * (perf.itemsize + 8))
    perf.check(values, lambda: ORACLE.max_dim(x_ref, -1)[0], op="max_dim values")
    if not perf.benchmark.enabled:
        want = ORACLE.to_numpy(ORACLE.max_dim(x_ref, -1)[1])
        assert_conforms(backend, indices, want, op="max_dim indices", dtype="int64", exact=True)


@spec("O16")
def test_multinomial_over_vocabulary(perf, backend):
    """O16: one draw with replacement from each row of (rows, 50000) unnormalised weights,
    every third weight 0: s·rows·V bytes of weights read.  64 rows when timed, 2 otherwise."""
    multinomial = testing.op(backend, "multinomial")
    rows = 64 if perf.benchmark.enabled else 2
    weights = np.random.default_rng(SEED).random((rows, VOCAB))
    weights[:, ::3] = 0.0
    w = backend.asarray(weights, dtype=perf.dtype)
    out = perf.measure(lambda: multinomial(w, 1, True, SEED), shape=(rows, VOCAB), bytes_min=rows * VOCAB * perf.itemsize)
    if not perf.benchmark.enabled:
        assert backend.shape(out) == (rows, 1) and backend.dtype_name(out) == "int64", (
            f"{backend.name}: multinomial gave {backend.dtype_name(out)} {backend.shape(out)}")
        drawn = backend.to_numpy(out)[:, 0]
        assert np.all((drawn >= 0) & (drawn < VOCAB)) and np.all(drawn % 3 != 0), (
            f"{backend.name}: drew {drawn.tolist()}; indices divisible by 3 have weight 0")
