"""Perf: the embedding lookup, dropout and a 3-d convolution (catalogue EM01, MD05, MD08).

The lookup gathers one row of a (rows, dim) table per id, as many ids as the table has rows,
in a shuffled order: it reads and writes each gathered row once and reads the int64 ids,
2·s·n + 8·rows bytes.  Dropout (training, p = 0.1) reads and writes every element once,
2·s·n bytes.  With ``--benchmark-disable`` the lookup is checked bit for bit against the
reference; dropout, whose mask depends on the library's stream, against the reference's rule
for the mask it drew (survivors scaled by 1/(1-p)) and the 6σ bound on how many it dropped.
The Conv3d does 2·C_in·prod(k) FLOPs per output element; its inputs hold -1, 0 and 1, so each
output is an integer of at most C_in·prod(k) = 216 terms that every dtype holds exactly, and it
is checked bit for bit against the reference's cross-correlation.
"""

from __future__ import annotations

from math import prod

import numpy as np
import pytest

from dlspec import testing
from dlspec.checks import ORACLE
from dlspec.compare import assert_conforms
from reference import layers as ref

spec = pytest.mark.spec
SEED, P = 0, 0.1
#: Conv3d input and weight: 8 channels in and out, 3³ kernels, (batch, C, D, H, W) = (1, 8, 16, 16, 16).
CONV_X, CONV_W = (1, 8, 16, 16, 16), (8, 8, 3, 3, 3)


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


@spec("MD08")
def test_conv3d(perf, backend):
    """MD08: Conv3d of a (1, 8, 16, 16, 16) input with an (8, 8, 3, 3, 3) weight, no padding:
    2·C_in·27 FLOPs per output element, at least the input, weight and output bytes."""
    conv = testing.op(backend, "conv")
    rng = np.random.default_rng(SEED)
    x, w = (rng.integers(-1, 2, shape).astype(np.float32) for shape in (CONV_X, CONV_W))
    xb, wb = backend.asarray(x, perf.dtype), backend.asarray(w, perf.dtype)
    out_shape = (CONV_X[0], CONV_W[0], *(size - k + 1 for size, k in zip(CONV_X[2:], CONV_W[2:])))
    out = perf.measure(lambda: conv(xb, wb), shape=CONV_X, flops=2 * prod(out_shape) * prod(CONV_W[1:]),
                       bytes_min=perf.nbytes(CONV_X) + perf.nbytes(CONV_W) + perf.nbytes(out_shape))
    perf.check(out, lambda: ORACLE.conv(ORACLE.asarray(x), ORACLE.asarray(w)), op="conv")
