"""Perf: the embedding lookup and dropout (catalogue EM01, MD05).

The lookup gathers one row of a (rows, dim) table per id, as many ids as the table has rows,
in a shuffled order: it reads and writes each gathered row once and reads the int64 ids,
2·s·n + 8·rows bytes.  Dropout (training, p = 0.1) reads and writes every element once,
2·s·n bytes.  With ``--benchmark-disable`` the lookup is checked bit for bit against the
reference; dropout, whose mask depends on the library's stream, against the reference's rule
for the mask it drew (survivors scaled by 1/(1-p)) and the 6σ bound on how many it dropped.
"""

from __future__ import annotations

import numpy as np
import pytest

from dlspec import testing
from dlspec.checks import ORACLE
from dlspec.compare import assert_conforms
from reference import layers as ref

spec = pytest.mark.spec
SEED, P = 0, 0.1


@spec("EM01")
def test_embedding_lookup(perf, backend):
    """EM01: weight[ids] for a shuffled permutation of the table's rows: 2·s·n + 8·rows bytes."""
    lookup = testing.op(backend, "embedding_lookup")
    shape = perf.matrix_shape()
    weight, weight_ref = perf.inputs(shape)
    ids = np.random.default_rng(SEED).permutation(shape[0])
    idx = backend.asarray(ids, "int64")
    out = perf.measure(lambda: lookup(weight, idx), shape=shape, bytes_min=2 * perf.nbytes(shape) + 8 * shape[0])
    perf.check(out, lambda: ORACLE.embedding_lookup(weight_ref, ORACLE.asarray(ids)), op="embedding_lookup")


@spec("MD05")
def test_dropout(perf, backend):
    """MD05: training-mode dropout with p = 0.1 of a matrix of 1.5: 2·s·n bytes."""
    dropout = testing.op(backend, "dropout")
    shape = perf.matrix_shape()
    x = np.full(shape, 1.5)
    xb = backend.asarray(x, perf.dtype)
    out = perf.measure(lambda: dropout(xb, P, True, SEED), shape=shape, bytes_min=2 * perf.nbytes(shape))
    if not perf.benchmark.enabled:
        keep = backend.to_numpy(out) != 0
        low, high = ref.dropped_count_bounds(keep.size, P)
        assert low <= int(np.sum(~keep)) <= high, f"{backend.name}: dropout dropped {np.sum(~keep)} of {keep.size}"
        assert_conforms(backend, out, ref.dropout(x, keep, P), op="dropout", dtype=perf.dtype)
