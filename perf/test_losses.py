"""Perf: cross-entropy over a large vocabulary (catalogue L01 L09), a language model's loss.

``cross_entropy`` of ``(N, V)`` logits and ``N`` class indices reads every logit at least
once: ``s·N·V + 8·N`` bytes, reported as GB/s against the device's copy bandwidth.  On a GPU
the shape is a language model's, ``N = 4096`` positions over a ``V = 32000`` vocabulary; on
the CPU, and with ``--benchmark-disable`` (then checked against the reference in float64
under the conformance bound of ``conformance/test_losses.py``), the run's matrix shape.
"""

from __future__ import annotations

import numpy as np
import pytest

from conformance.test_losses import loss_bound
from dlspec import testing
from dlspec.compare import assert_conforms
from dlspec.strategies import distinct_values
from reference import losses as ref
from reference.dtypes import round_to

spec = pytest.mark.spec
#: A language model's positions and vocabulary (L09).
LM_SHAPE = (4096, 32000)


@spec("L01", "L09")
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_cross_entropy(perf, backend, reduction):
    """L01/L09: cross_entropy(logits (N, V), targets (N,)) with 'mean' and 'none'."""
    fn = testing.op(backend, "cross_entropy")
    shape = LM_SHAPE if perf.benchmark.enabled and backend.device != "cpu" else perf.matrix_shape()
    logits = np.asarray(round_to(distinct_values(shape, "float64") / 32, perf.dtype), dtype=np.float64)
    targets = np.random.default_rng(0).integers(0, shape[1], shape[0])
    x, y = backend.asarray(logits, dtype=perf.dtype), backend.asarray(targets, dtype="int64")
    out = perf.measure(lambda: fn(x, y, reduction=reduction), shape=shape,
                       bytes_min=perf.nbytes(shape) + 8 * shape[0])
    if not perf.benchmark.enabled:
        expected = ref.cross_entropy(logits, targets, reduction=reduction)
        terms, scale = loss_bound("cross_entropy", [logits, targets, None], {"reduction": reduction})
        lowp = round_to(expected, perf.dtype) if perf.dtype in ("float16", "bfloat16") else None
        assert_conforms(backend, out, expected, op=f"cross_entropy of {shape}", dtype=perf.dtype, terms=terms,
                        scale=scale, lowp_expected=lowp)
